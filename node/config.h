/*
 * config.h — the node's identity and its config file.
 *
 * The config is a JSON file `config` in the repo directory with Kubo's shape
 * and key names (Identity.PeerID, Identity.PrivKey, Addresses.API,
 * Addresses.Gateway, Addresses.Swarm, Bootstrap, ...), so that users and
 * tools that know Kubo's config know trove's.  Identity.PrivKey is, as in
 * Kubo, the base64 of the libp2p PrivateKey protobuf.
 *
 * Identity: an Ed25519 key pair from libsodium.  The PeerID is, per the
 * libp2p peer-ids spec, the identity multihash of the protobuf-encoded
 * PublicKey { Type = Ed25519 (1); Data = 32-byte key } (36 bytes, under the
 * 42-byte limit for inlining), printed in base58btc ("12D3KooW...").
 */
#ifndef NODE_CONFIG_H
#define NODE_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/tr.h"

#define NODE_CONFIG_FILE "config"
#define NODE_PEERID_MAX 64

typedef struct node_identity {
  uint8_t pk[32]; /* Ed25519 public key */
  uint8_t sk[64]; /* libsodium secret key: seed || public key */
  char peerid[NODE_PEERID_MAX];
} node_identity_t;

/* Generate a fresh identity.  0, or -EIO if libsodium cannot start. */
int node_identity_new(node_identity_t *id) TR_WUR;

/* The PeerID string of an Ed25519 public key. */
int node_peerid(const uint8_t pk[32], char out[NODE_PEERID_MAX]) TR_WUR;

/* The protobuf PublicKey / PrivateKey encodings of the identity (36 and 68
 * bytes), as Kubo stores and prints them. */
void node_pubkey_proto(const node_identity_t *id, uint8_t out[36]);
void node_privkey_proto(const node_identity_t *id, uint8_t out[68]);

/* Build the default config for a new repo (Kubo's default addresses:
 * API 127.0.0.1:5001, Gateway 127.0.0.1:8080, Swarm 0.0.0.0:4001 and ::).
 * Returns a new reference, NULL on out-of-memory. */
json_t *node_config_default(const node_identity_t *id);

/* Load / save <repo>/config.  Load: TR_ENOREPO if missing, TR_ECONFIG if not
 * valid JSON (message in errbuf if not NULL).  Save writes a temp file,
 * fsyncs and renames, so a crash never leaves half a config. */
int node_config_load(const char *repo, json_t **cfg) TR_WUR;
int node_config_save(const char *repo, const json_t *cfg) TR_WUR;

/* Dotted-key access ("Addresses.API").  get returns a borrowed reference or
 * NULL.  set creates intermediate objects; it steals the value reference. */
json_t *node_config_get(json_t *cfg, const char *key);
int node_config_set(json_t *cfg, const char *key, json_t *value) TR_WUR;

/* ------------------------------------------------------- typed keys */

/* The JSON type of a known key, as Kubo's config struct declares it (and
 * trove's own keys, e.g. Gateway.RateLimit).  Keys not in the table are
 * NODE_CFG_ANY: stored as given, a string unless asked for JSON. */
typedef enum {
  NODE_CFG_ANY,
  NODE_CFG_STRING,  /* "..." */
  NODE_CFG_INT,     /* an integer (OptionalInteger: null too) */
  NODE_CFG_BOOL,    /* true/false (Flag: null too) */
  NODE_CFG_STRINGS, /* a list of strings */
  NODE_CFG_ADDRS,   /* Kubo's Strings: one string, or a list of them */
  NODE_CFG_OBJECT,  /* an object (a section, or a map) */
} node_cfg_type_t;

/* The type of key (compared as Kubo compares them, case-sensitively),
 * NODE_CFG_ANY when unknown.  *nullable (may be NULL) tells whether null
 * is accepted (Kubo's Optional* and Flag types). */
node_cfg_type_t node_config_type(const char *key, bool *nullable);
/* "an integer", "a list of strings", ... for messages. */
const char *node_config_type_name(node_cfg_type_t t);

enum { NODE_CFG_TEXT, NODE_CFG_JSON, NODE_CFG_BOOLEAN };

/* The value that `config KEY TEXT` stores, as a new reference in *out:
 * how is NODE_CFG_TEXT (parse TEXT to the key's type: "0" is the integer 0
 * for Gateway.RateLimit, stays a string for an untyped key), NODE_CFG_JSON
 * (TEXT is JSON, --json) or NODE_CFG_BOOLEAN (true or false, --bool).  A
 * value that is not of the key's type is TR_EUSAGE, with a message naming
 * the key and the type expected in err; -ENOMEM. */
int node_config_value(const char *key, const char *text, int how,
                      json_t **out, char *err, size_t errlen) TR_WUR;

/* Whether key names the private key or an object holding it ("Identity",
 * "Identity.PrivKey", in any case, as Kubo compares them): such keys are
 * neither shown nor changed by `config`, in the CLI or the API; Kubo's
 * message for them is NODE_CONFIG_PRIVKEY_MSG. */
#define NODE_CONFIG_PRIVKEY_MSG "cannot show or change private key through API"
bool node_config_key_private(const char *key);

/* A duration setting ("500ms", "30s", "2m", "1h", as Kubo writes Go
 * durations) in milliseconds.  0 with *ms untouched when the key is
 * absent; TR_ECONFIG when it is not such a string or not in 1 ms..49 days. */
int node_config_duration_ms(json_t *cfg, const char *key,
                            uint32_t *ms) TR_WUR;

/* Read the identity back from a loaded config: TR_ECONFIG when absent or
 * malformed. */
int node_config_identity(json_t *cfg, node_identity_t *id) TR_WUR;

#endif /* NODE_CONFIG_H */

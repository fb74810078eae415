/*
 * config.h — the repo's config file.
 *
 * The config is a JSON file `config` in the repo directory with Kubo's shape
 * and key names (Identity.PeerID, Identity.PrivKey, Addresses.API,
 * Addresses.Gateway, Addresses.Swarm, Bootstrap, ...), so that users and
 * tools that know Kubo's config know trove's.  Identity.PrivKey is, as in
 * Kubo, the base64 of the libp2p PrivateKey protobuf.
 *
 * The identity written into it (Identity.*) is made and read by
 * node/identity.h; the daemon reads the rest.  Below the services that
 * read settings (rpc/ shows and sets them), above common/ alone.
 */
#ifndef CONFIG_CONFIG_H
#define CONFIG_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

#define CONFIG_FILE "config"
/* Load / save <repo>/config.  Load: TR_ENOREPO if missing, TR_ECONFIG if not
 * valid JSON (message in errbuf if not NULL).  Save writes a temp file,
 * fsyncs and renames, so a crash never leaves half a config. */
int config_load(const char *repo, json_t **cfg) TR_WUR;
int config_save(const char *repo, const json_t *cfg) TR_WUR;

/* Dotted-key access ("Addresses.API").  get returns a borrowed reference or
 * NULL.  set creates intermediate objects; it steals the value reference. */
json_t *config_get(json_t *cfg, const char *key);
int config_set(json_t *cfg, const char *key, json_t *value) TR_WUR;

/* Whether the JSON array list (may be NULL) holds the string s. */
bool config_list_has(const json_t *list, const char *s);

/* ------------------------------------------------------- typed keys */

/* The JSON type of a known key, as Kubo's config struct declares it (and
 * trove's own keys, e.g. Gateway.RateLimit).  Keys not in the table are
 * CONFIG_ANY: stored as given, a string unless asked for JSON. */
typedef enum {
  CONFIG_ANY,
  CONFIG_STRING,  /* "..." */
  CONFIG_INT,     /* an integer (OptionalInteger: null too) */
  CONFIG_BOOL,    /* true/false (Flag: null too) */
  CONFIG_STRINGS, /* a list of strings */
  CONFIG_ADDRS,   /* Kubo's Strings: one string, or a list of them */
  CONFIG_OBJECT,  /* an object (a section, or a map) */
} config_type_t;

/* The type of key (compared as Kubo compares them, case-sensitively),
 * CONFIG_ANY when unknown.  *nullable (may be NULL) tells whether null
 * is accepted (Kubo's Optional* and Flag types). */
config_type_t config_type(const char *key, bool *nullable);
/* "an integer", "a list of strings", ... for messages. */
const char *config_type_name(config_type_t t);

enum { CONFIG_TEXT, CONFIG_JSON, CONFIG_BOOLEAN };

/* The value that `config KEY TEXT` stores, as a new reference in *out:
 * how is CONFIG_TEXT (parse TEXT to the key's type: "0" is the integer 0
 * for Gateway.RateLimit, stays a string for an untyped key), CONFIG_JSON
 * (TEXT is JSON, --json) or CONFIG_BOOLEAN (true or false, --bool).  A
 * value that is not of the key's type is TR_EUSAGE, with a message naming
 * the key and the type expected in err; -ENOMEM. */
int config_value(const char *key, const char *text, int how,
                      json_t **out, char *err, size_t errlen) TR_WUR;

/* Whether key names the private key or an object holding it ("Identity",
 * "Identity.PrivKey", in any case, as Kubo compares them): such keys are
 * neither shown nor changed by `config`, in the CLI or the API; Kubo's
 * message for them is CONFIG_PRIVKEY_MSG. */
#define CONFIG_PRIVKEY_MSG "cannot show or change private key through API"
bool config_key_private(const char *key);

/* Kubo's `config replace`: next (a whole config, as given) made fit to
 * be saved in place of cur, in place.  Refused (TR_ECONFIG, the reason in
 * err, Kubo's words) when next is not an object, a key of the type table
 * has the wrong type, it sets Identity.PrivKey, or it adds, removes or
 * changes the API of a Pinning.RemoteServices entry; otherwise next takes
 * cur's Identity.PrivKey and PeerID and each service's API (whose Key
 * `config show` hides).  -ENOMEM. */
int config_replace(const json_t *cur, json_t *next, char *err, size_t n)
    TR_WUR;

/* Kubo's config.ConvertAuthSecret: an API.Authorizations AuthSecret,
 * "type:value", as the Authorization header it stands for, into out
 * ("bearer:T" and a bare "T": "Bearer T"; "basic:U:P": "Basic " and the
 * base64 of U:P; "basic:B64" as it is); "" for an unknown type or an
 * empty secret, which no request matches. */
void config_auth_header(const char *secret, char *out, size_t n);

/* Kubo's Datastore.StorageMax ("10GB": SI units, binary ones, any case)
 * in bytes; its default, 10GB, when absent or not such a size. */
#define CONFIG_STORAGE_MAX_DEFAULT 10000000000ull
uint64_t config_storage_max(json_t *cfg);

/* A duration setting ("500ms", "30s", "2m", "1h", as Kubo writes Go
 * durations) in milliseconds.  0 with *ms untouched when the key is
 * absent; TR_ECONFIG when it is not such a string or not in 1 ms..49 days. */
int config_duration_ms(json_t *cfg, const char *key,
                            uint32_t *ms) TR_WUR;

#endif /* CONFIG_CONFIG_H */

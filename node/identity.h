/*
 * identity.h — the node's identity: an Ed25519 key pair from libsodium,
 * kept in the repo's config as Identity.PrivKey (base64 of the libp2p
 * PrivateKey protobuf, as Kubo keeps it) and Identity.PeerID.  The PeerID
 * is, per the libp2p peer-ids spec, the identity multihash of the
 * protobuf-encoded PublicKey { Type = Ed25519 (1); Data = 32-byte key } (36
 * bytes, under the 42-byte limit for inlining), printed in base58btc
 * ("12D3KooW...").
 */
#ifndef NODE_IDENTITY_H
#define NODE_IDENTITY_H

#include <jansson.h>
#include <stdint.h>

#include "../common/tr.h"

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

/* Write id into cfg as Identity.PrivKey and Identity.PeerID (key
 * rotate).  0, or config_set()'s errors. */
int node_config_set_identity(json_t *cfg, const node_identity_t *id) TR_WUR;

/* Read the identity back from a loaded config: TR_ECONFIG when absent or
 * malformed. */
int node_config_identity(json_t *cfg, node_identity_t *id) TR_WUR;

#endif /* NODE_IDENTITY_H */

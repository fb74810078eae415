/*
 * identity.c — the node's key pair, its PeerID, and the config that holds
 * them (identity.h).
 */
#include "identity.h"

#include <assert.h>
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "../config/config.h"
#include "../config/profile.h"
#include "../net/peerid.h"

/* ---------------------------------------------------------------- identity */

/* The protobuf encodings and the PeerID come from net/peerid.h (protobuf-c,
 * the peer-ids spec's vectors), which the libp2p host uses too: one
 * encoding of the node's keys. */

static void privkey_of(const node_identity_t *id, net_privkey_t *k) {
  memcpy(k->sk, id->sk, sizeof k->sk);
}

void node_pubkey_proto(const node_identity_t *id, uint8_t out[36]) {
  net_pubkey_t pk = {.type = NET_KEY_ED25519, .len = 32};
  memcpy(pk.data, id->pk, 32);
  int n = net_pubkey_marshal(&pk, out, 36);
  assert(n == 36); /* an Ed25519 PublicKey is always 36 bytes */
  (void)n;
}

void node_privkey_proto(const node_identity_t *id, uint8_t out[68]) {
  net_privkey_t k;
  privkey_of(id, &k);
  net_privkey_marshal(&k, out);
  sodium_memzero(&k, sizeof k);
}

int node_peerid(const uint8_t pk[32], char out[NODE_PEERID_MAX]) {
  net_pubkey_t k = {.type = NET_KEY_ED25519, .len = 32};
  memcpy(k.data, pk, 32);
  net_peerid_t id;
  int rc = net_peerid_from_pubkey(&id, &k);
  if (rc)
    return rc;
  rc = net_peerid_format(&id, 0, out, NODE_PEERID_MAX);
  return rc < 0 ? rc : 0;
}

int node_identity_new(node_identity_t *id) {
  net_privkey_t k;
  int rc = net_privkey_generate(&k);
  if (rc)
    return rc;
  memcpy(id->sk, k.sk, 64);
  memcpy(id->pk, k.sk + 32, 32);
  sodium_memzero(&k, sizeof k);
  return node_peerid(id->pk, id->peerid);
}

/* ------------------------------------------------------------------ config */

/* Identity.PrivKey's text: base64 of the PrivateKey protobuf. */
#define PRIV_B64_LEN sodium_base64_ENCODED_LEN(68, sodium_base64_VARIANT_ORIGINAL)
static void privkey_b64(const node_identity_t *id, char b64[PRIV_B64_LEN]) {
  uint8_t priv[68];
  node_privkey_proto(id, priv);
  sodium_bin2base64(b64, PRIV_B64_LEN, priv, sizeof priv,
                    sodium_base64_VARIANT_ORIGINAL);
  sodium_memzero(priv, sizeof priv);
}

int node_config_set_identity(json_t *cfg, const node_identity_t *id) {
  char b64[PRIV_B64_LEN];
  privkey_b64(id, b64);
  json_t *pk = json_string(b64);
  sodium_memzero(b64, sizeof b64);
  int rc = pk ? config_set(cfg, "Identity.PrivKey", pk) : -ENOMEM;
  if (!rc)
    rc = config_set(cfg, "Identity.PeerID", json_string(id->peerid));
  return rc;
}

json_t *node_config_default(const node_identity_t *id) {
  char b64[PRIV_B64_LEN];
  privkey_b64(id, b64);
  /* Bootstrap: Kubo's default peers (AutoConf's fallback list, what
   * Kubo's "auto" gives without its autoconf file), written out; the
   * /dnsaddr ones are resolved (node/bootstrap.h). */
  json_t *boot = json_array();
  for (size_t i = 0; boot && i < config_bootstrap_ndefault; i++)
    if (json_array_append_new(boot, json_string(config_bootstrap_default[i]))) {
      json_decref(boot);
      boot = NULL;
    }
  json_t *cfg = boot ? json_pack(
      "{s:{s:s,s:s}, s:{s:s,s:s,s:[s,s,s,s]}, s:o, s:{s:s}, "
      "s:{s:b}, s:{s:i}}",
      "Identity", "PeerID", id->peerid, "PrivKey", b64, "Addresses", "API",
      "/ip4/127.0.0.1/tcp/5001", "Gateway", "/ip4/127.0.0.1/tcp/8080", "Swarm",
      "/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1",
      "/ip6/::/udp/4001/quic-v1", "Bootstrap", boot, "Datastore", "StorageMax",
      "10GB", "Swarm", "DisableNatPortMap", 1, "Import", "CidVersion", 1)
                     : NULL;
  sodium_memzero(b64, sizeof b64);
  return cfg;
}

int node_config_identity(json_t *cfg, node_identity_t *id) {
  const char *b64 = json_string_value(config_get(cfg, "Identity.PrivKey"));
  if (!b64)
    return TR_ECONFIG;
  uint8_t priv[128]; /* 68 bytes, or 100 in old go-libp2p's 96-byte form */
  size_t n;
  net_privkey_t k;
  int rc = sodium_base642bin(priv, sizeof priv, b64, strlen(b64), NULL, &n,
                             NULL, sodium_base64_VARIANT_ORIGINAL)
               ? TR_ECONFIG
               : net_privkey_unmarshal(&k, priv, n);
  sodium_memzero(priv, sizeof priv);
  if (rc)
    return rc == -ENOMEM ? rc : TR_ECONFIG;
  memcpy(id->sk, k.sk, 64);
  memcpy(id->pk, k.sk + 32, 32);
  sodium_memzero(&k, sizeof k);
  return node_peerid(id->pk, id->peerid);
}

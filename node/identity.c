/*
 * identity.c — the node's key pair, its PeerID, and the config that holds
 * them (identity.h).
 */
#include "identity.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "../config/config.h"
#include "../dag/cid.h"

/* ---------------------------------------------------------------- identity */

void node_pubkey_proto(const node_identity_t *id, uint8_t out[36]) {
  /* PublicKey { KeyType Type = 1 [Ed25519 = 1]; bytes Data = 2 }: so small
   * and fixed that hand-encoding beats a protobuf-c dependency here. */
  out[0] = 0x08, out[1] = 0x01, out[2] = 0x12, out[3] = 32;
  memcpy(out + 4, id->pk, 32);
}

void node_privkey_proto(const node_identity_t *id, uint8_t out[68]) {
  /* Kubo/go-libp2p store the 64-byte private||public form. */
  out[0] = 0x08, out[1] = 0x01, out[2] = 0x12, out[3] = 64;
  memcpy(out + 4, id->sk, 64);
}

int node_peerid(const uint8_t pk[32], char out[NODE_PEERID_MAX]) {
  node_identity_t tmp;
  memcpy(tmp.pk, pk, 32);
  uint8_t mh[2 + 36];
  mh[0] = DAG_MH_IDENTITY;
  mh[1] = 36;
  node_pubkey_proto(&tmp, mh + 2);
  int n = dag_b58_encode(mh, sizeof mh, out, NODE_PEERID_MAX);
  return n < 0 ? n : 0;
}

int node_identity_new(node_identity_t *id) {
  if (sodium_init() < 0)
    return -EIO;
  crypto_sign_keypair(id->pk, id->sk);
  return node_peerid(id->pk, id->peerid);
}

/* ------------------------------------------------------------------ config */

json_t *node_config_default(const node_identity_t *id) {
  uint8_t priv[68];
  node_privkey_proto(id, priv);
  char b64[sodium_base64_ENCODED_LEN(68, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(b64, sizeof b64, priv, sizeof priv,
                    sodium_base64_VARIANT_ORIGINAL);
  sodium_memzero(priv, sizeof priv);
  json_t *cfg = json_pack(
      "{s:{s:s,s:s}, s:{s:s,s:s,s:[s,s,s,s]}, s:[], s:{s:s}, s:{s:b}, "
      "s:{s:i}}",
      "Identity", "PeerID", id->peerid, "PrivKey", b64, "Addresses", "API",
      "/ip4/127.0.0.1/tcp/5001", "Gateway", "/ip4/127.0.0.1/tcp/8080", "Swarm",
      "/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1",
      "/ip6/::/udp/4001/quic-v1", "Bootstrap", "Datastore", "StorageMax",
      "10GB", "Swarm", "DisableNatPortMap", 1, "Import", "CidVersion", 1);
  sodium_memzero(b64, sizeof b64);
  return cfg;
}

int node_config_identity(json_t *cfg, node_identity_t *id) {
  const char *b64 = json_string_value(config_get(cfg, "Identity.PrivKey"));
  if (!b64)
    return TR_ECONFIG;
  uint8_t priv[68];
  size_t n;
  if (sodium_base642bin(priv, sizeof priv, b64, strlen(b64), NULL, &n, NULL,
                        sodium_base64_VARIANT_ORIGINAL) ||
      n != 68 || priv[0] != 0x08 || priv[1] != 0x01 || priv[2] != 0x12 ||
      priv[3] != 64)
    return TR_ECONFIG;
  memcpy(id->sk, priv + 4, 64);
  memcpy(id->pk, priv + 4 + 32, 32);
  sodium_memzero(priv, sizeof priv);
  return node_peerid(id->pk, id->peerid);
}

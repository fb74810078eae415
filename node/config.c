/*
 * config.c — identity generation and the JSON config file (see config.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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
      "s:{s:s}}",
      "Identity", "PeerID", id->peerid, "PrivKey", b64, "Addresses", "API",
      "/ip4/127.0.0.1/tcp/5001", "Gateway", "/ip4/127.0.0.1/tcp/8080", "Swarm",
      "/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1",
      "/ip6/::/udp/4001/quic-v1", "Bootstrap", "Datastore", "StorageMax",
      "10GB", "Swarm", "DisableNatPortMap", 1, "Import", "CidVersion", "1");
  sodium_memzero(b64, sizeof b64);
  return cfg;
}

static void config_path(const char *repo, const char *suffix, char *out,
                        size_t n) {
  snprintf(out, n, "%s/" NODE_CONFIG_FILE "%s", repo, suffix);
}

int node_config_load(const char *repo, json_t **cfg) {
  char path[4096];
  config_path(repo, "", path, sizeof path);
  if (access(path, F_OK))
    return TR_ENOREPO;
  json_error_t err;
  *cfg = json_load_file(path, 0, &err);
  return *cfg ? 0 : TR_ECONFIG;
}

int node_config_save(const char *repo, const json_t *cfg) {
  char path[4096], tmp[4100];
  config_path(repo, "", path, sizeof path);
  config_path(repo, ".tmp", tmp, sizeof tmp);
  char *s = json_dumps(cfg, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  if (!s)
    return -ENOMEM;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int rc = 0;
  if (fd < 0) {
    rc = -errno;
  } else {
    size_t len = strlen(s), off = 0;
    while (off < len && rc == 0) {
      ssize_t w = write(fd, s + off, len - off);
      if (w < 0 && errno != EINTR)
        rc = -errno;
      else if (w > 0)
        off += (size_t)w;
    }
    if (rc == 0 && (write(fd, "\n", 1) != 1 || fsync(fd)))
      rc = -errno;
    close(fd);
    if (rc == 0 && rename(tmp, path))
      rc = -errno;
  }
  free(s);
  return rc;
}

json_t *node_config_get(json_t *cfg, const char *key) {
  char part[256];
  json_t *cur = cfg;
  while (cur && *key) {
    const char *dot = strchr(key, '.');
    size_t n = dot ? (size_t)(dot - key) : strlen(key);
    if (n >= sizeof part)
      return NULL;
    memcpy(part, key, n);
    part[n] = 0;
    cur = json_is_object(cur) ? json_object_get(cur, part) : NULL;
    key += n + (dot ? 1 : 0);
  }
  return cur;
}

int node_config_set(json_t *cfg, const char *key, json_t *value) {
  char part[256];
  json_t *cur = cfg;
  for (;;) {
    const char *dot = strchr(key, '.');
    size_t n = dot ? (size_t)(dot - key) : strlen(key);
    if (n == 0 || n >= sizeof part || !json_is_object(cur)) {
      json_decref(value);
      return TR_ECONFIG;
    }
    memcpy(part, key, n);
    part[n] = 0;
    if (!dot)
      return json_object_set_new(cur, part, value) ? -ENOMEM : 0;
    json_t *next = json_object_get(cur, part);
    if (!next) {
      next = json_object();
      if (!next || json_object_set_new(cur, part, next)) {
        json_decref(value);
        return -ENOMEM;
      }
    }
    cur = next;
    key = dot + 1;
  }
}

bool node_config_key_private(const char *key) {
  /* Kubo lower-cases the key before comparing (core/commands/config.go). */
  return !strcasecmp(key, "Identity") || !strcasecmp(key, "Identity.PrivKey");
}

int node_config_identity(json_t *cfg, node_identity_t *id) {
  const char *b64 = json_string_value(node_config_get(cfg, "Identity.PrivKey"));
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

int node_config_duration_ms(json_t *cfg, const char *key, uint32_t *ms) {
  json_t *v = node_config_get(cfg, key);
  if (!v)
    return 0;
  const char *str = json_string_value(v);
  char *end;
  double n = str ? strtod(str, &end) : -1;
  if (!str || end == str || n < 0)
    return TR_ECONFIG;
  /* Go's time.Duration text, as Kubo writes durations: "500ms", "30s",
   * "2m", "1h". */
  double unit = !strcmp(end, "ms") ? 1 : !strcmp(end, "s") ? 1e3
              : !strcmp(end, "m")  ? 60e3 : !strcmp(end, "h") ? 3600e3 : -1;
  if (unit < 0 || n * unit < 1 || n * unit > UINT32_MAX)
    return TR_ECONFIG;
  *ms = (uint32_t)(n * unit);
  return 0;
}

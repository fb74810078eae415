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
      "s:{s:i}}",
      "Identity", "PeerID", id->peerid, "PrivKey", b64, "Addresses", "API",
      "/ip4/127.0.0.1/tcp/5001", "Gateway", "/ip4/127.0.0.1/tcp/8080", "Swarm",
      "/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1",
      "/ip6/::/udp/4001/quic-v1", "Bootstrap", "Datastore", "StorageMax",
      "10GB", "Swarm", "DisableNatPortMap", 1, "Import", "CidVersion", 1);
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

/* -------------------------------------------------------------- typed keys */

/* Kubo's config struct (the Go files of its config package) for the keys trove reads or a user of
 * Kubo sets most, and trove's own.  Optional* and Flag types take null. */
static const struct {
  const char *key;
  uint8_t type;
  bool nullable;
} key_types[] = {
    {"Identity", NODE_CFG_OBJECT, false},
    {"Identity.PeerID", NODE_CFG_STRING, false},
    {"Addresses", NODE_CFG_OBJECT, false},
    {"Addresses.API", NODE_CFG_ADDRS, false},
    {"Addresses.Gateway", NODE_CFG_ADDRS, false},
    {"Addresses.Swarm", NODE_CFG_STRINGS, false},
    {"Addresses.Announce", NODE_CFG_STRINGS, false},
    {"Addresses.AppendAnnounce", NODE_CFG_STRINGS, false},
    {"Addresses.NoAnnounce", NODE_CFG_STRINGS, false},
    {"Bootstrap", NODE_CFG_STRINGS, false},
    {"API", NODE_CFG_OBJECT, false},
    {"API.HTTPHeaders", NODE_CFG_OBJECT, false},
    {"Datastore", NODE_CFG_OBJECT, false},
    {"Datastore.StorageMax", NODE_CFG_STRING, false},
    {"Datastore.StorageGCWatermark", NODE_CFG_INT, false},
    {"Datastore.GCPeriod", NODE_CFG_STRING, false},
    {"Datastore.BloomFilterSize", NODE_CFG_INT, false},
    {"Gateway", NODE_CFG_OBJECT, false},
    {"Gateway.RateLimit", NODE_CFG_INT, false}, /* trove's */
    {"Gateway.HTTPHeaders", NODE_CFG_OBJECT, false},
    {"Gateway.PublicGateways", NODE_CFG_OBJECT, false},
    {"Gateway.RootRedirect", NODE_CFG_STRING, false},
    {"Gateway.NoFetch", NODE_CFG_BOOL, false},
    {"Gateway.NoDNSLink", NODE_CFG_BOOL, false},
    {"Gateway.DeserializedResponses", NODE_CFG_BOOL, true},
    {"Import", NODE_CFG_OBJECT, false},
    {"Import.CidVersion", NODE_CFG_INT, true},
    {"Import.UnixFSRawLeaves", NODE_CFG_BOOL, true},
    {"Import.UnixFSChunker", NODE_CFG_STRING, true},
    {"Import.HashFunction", NODE_CFG_STRING, true},
    {"Import.UnixFSFileMaxLinks", NODE_CFG_INT, true},
    {"Pinning", NODE_CFG_OBJECT, false},
    {"Pinning.RemoteServices", NODE_CFG_OBJECT, false},
    {"Reprovider", NODE_CFG_OBJECT, false},
    {"Reprovider.Interval", NODE_CFG_STRING, true},
    {"Reprovider.Strategy", NODE_CFG_STRING, true},
    {"Routing", NODE_CFG_OBJECT, false},
    {"Routing.Type", NODE_CFG_STRING, true},
    {"Discovery", NODE_CFG_OBJECT, false},
    {"Discovery.MDNS.Enabled", NODE_CFG_BOOL, false},
    {"Swarm", NODE_CFG_OBJECT, false},
    {"Swarm.DisableNatPortMap", NODE_CFG_BOOL, false},
    {"Swarm.ConnMgr", NODE_CFG_OBJECT, false},
    {"Swarm.ConnMgr.Type", NODE_CFG_STRING, true},
    {"Swarm.ConnMgr.LowWater", NODE_CFG_INT, true},
    {"Swarm.ConnMgr.HighWater", NODE_CFG_INT, true},
    {"Swarm.ConnMgr.GracePeriod", NODE_CFG_STRING, true},
};

node_cfg_type_t node_config_type(const char *key, bool *nullable) {
  for (size_t i = 0; i < TR_ARRAY_LEN(key_types); i++)
    if (!strcmp(key, key_types[i].key)) {
      if (nullable)
        *nullable = key_types[i].nullable;
      return (node_cfg_type_t)key_types[i].type;
    }
  if (nullable)
    *nullable = true;
  return NODE_CFG_ANY;
}

const char *node_config_type_name(node_cfg_type_t t) {
  switch (t) {
  case NODE_CFG_STRING: return "a string";
  case NODE_CFG_INT: return "an integer";
  case NODE_CFG_BOOL: return "a boolean (true or false)";
  case NODE_CFG_STRINGS: return "a list of strings";
  case NODE_CFG_ADDRS: return "a string or a list of strings";
  case NODE_CFG_OBJECT: return "an object";
  default: return "any JSON value";
  }
}

static bool all_strings(const json_t *v) {
  size_t i;
  json_t *e;
  json_array_foreach(v, i, e) if (!json_is_string(e)) return false;
  return true;
}

static bool of_type(const json_t *v, node_cfg_type_t t, bool nullable) {
  if (json_is_null(v))
    return nullable;
  switch (t) {
  case NODE_CFG_STRING: return json_is_string(v);
  case NODE_CFG_INT: return json_is_integer(v);
  case NODE_CFG_BOOL: return json_is_boolean(v);
  case NODE_CFG_STRINGS: return json_is_array(v) && all_strings(v);
  case NODE_CFG_ADDRS:
    return json_is_string(v) || (json_is_array(v) && all_strings(v));
  case NODE_CFG_OBJECT: return json_is_object(v);
  default: return true;
  }
}

/* TEXT as the key's type, without --json. */
static json_t *from_text(node_cfg_type_t t, const char *text) {
  if (t == NODE_CFG_INT) {
    /* Whole string, decimal: "0x1", "1e3" and " 1" are not integers. */
    const char *p = text + (*text == '-');
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (*p < '0' || *p > '9' || errno || *end)
      return NULL;
    return json_integer(v);
  }
  if (t == NODE_CFG_BOOL) {
    if (!strcmp(text, "true") || !strcmp(text, "false"))
      return json_boolean(!strcmp(text, "true"));
    return NULL;
  }
  if (t == NODE_CFG_STRINGS || t == NODE_CFG_OBJECT)
    return NULL; /* needs --json */
  /* JSON holds only UTF-8: bad bytes become U+FFFD, as in Kubo. */
  size_t len;
  char *fixed = tr_utf8_fix(text, strlen(text), &len);
  json_t *v = fixed ? json_stringn(fixed, len) : NULL;
  tr_free(fixed);
  return v;
}

int node_config_value(const char *key, const char *text, int how,
                      json_t **out, char *err, size_t errlen) {
  bool nullable;
  node_cfg_type_t t = node_config_type(key, &nullable);
  json_t *v = NULL;
  *out = NULL;
  /* A key below one that is not an object ("Gateway.RateLimit.X") has
   * nowhere to go. */
  char parent[256];
  for (const char *d = strchr(key, '.'); d; d = strchr(d + 1, '.')) {
    size_t n = (size_t)(d - key);
    if (n >= sizeof parent)
      break;
    memcpy(parent, key, n);
    parent[n] = 0;
    node_cfg_type_t pt = node_config_type(parent, NULL);
    if (pt != NODE_CFG_ANY && pt != NODE_CFG_OBJECT) {
      snprintf(err, errlen, "%s: %s is %s, not an object", key, parent,
               node_config_type_name(pt));
      return TR_EUSAGE;
    }
  }
  if (how == NODE_CFG_JSON) {
    json_error_t je;
    if (!(v = json_loads(text, JSON_DECODE_ANY, &je))) {
      snprintf(err, errlen, "%s: value is not JSON: %s", key, je.text);
      return TR_EUSAGE;
    }
  } else if (how == NODE_CFG_BOOLEAN) {
    if (strcmp(text, "true") && strcmp(text, "false")) {
      snprintf(err, errlen, "%s: %s is not a boolean", key, text);
      return TR_EUSAGE;
    }
    v = json_boolean(!strcmp(text, "true"));
  } else {
    v = from_text(t, text);
    if (!v && t != NODE_CFG_STRING && t != NODE_CFG_ANY &&
        t != NODE_CFG_ADDRS) {
      snprintf(err, errlen, "%s: expected %s, got \"%.100s\"%s", key,
               node_config_type_name(t), text,
               t == NODE_CFG_STRINGS || t == NODE_CFG_OBJECT
                   ? " (give it as JSON with --json)"
                   : "");
      return TR_EUSAGE;
    }
  }
  if (!v)
    return -ENOMEM;
  if (!of_type(v, t, nullable)) {
    snprintf(err, errlen, "%s: expected %s, got %s", key,
             node_config_type_name(t),
             json_is_string(v)    ? "a string"
             : json_is_integer(v) ? "an integer"
             : json_is_number(v)  ? "a number"
             : json_is_boolean(v) ? "a boolean"
             : json_is_array(v)   ? "a list"
             : json_is_object(v)  ? "an object"
                                  : "null");
    json_decref(v);
    return TR_EUSAGE;
  }
  *out = v;
  return 0;
}

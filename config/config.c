/*
 * config.c — the repo's JSON config file (see config.h).
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


/* ------------------------------------------------------------------ config */

static void config_path(const char *repo, const char *suffix, char *out,
                        size_t n) {
  snprintf(out, n, "%s/" CONFIG_FILE "%s", repo, suffix);
}

int config_load(const char *repo, json_t **cfg) {
  char path[4096];
  config_path(repo, "", path, sizeof path);
  if (access(path, F_OK))
    return TR_ENOREPO;
  json_error_t err;
  *cfg = json_load_file(path, 0, &err);
  return *cfg ? 0 : TR_ECONFIG;
}

int config_save(const char *repo, const json_t *cfg) {
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

json_t *config_get(json_t *cfg, const char *key) {
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

int config_set(json_t *cfg, const char *key, json_t *value) {
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

bool config_list_has(const json_t *list, const char *s) {
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    if (json_is_string(v) && !strcmp(json_string_value(v), s))
      return true;
  }
  return false;
}

bool config_key_private(const char *key) {
  /* Kubo lower-cases the key before comparing (core/commands/config.go). */
  return !strcasecmp(key, "Identity") || !strcasecmp(key, "Identity.PrivKey");
}

void config_auth_header(const char *secret, char *out, size_t n) {
  const char *colon = strchr(secret, ':');
  *out = 0;
  if (!*secret)
    return;
  if (!colon) {
    snprintf(out, n, "Bearer %s", secret);
  } else if (!strncmp(secret, "bearer:", 7)) {
    snprintf(out, n, "Bearer %s", secret + 7);
  } else if (!strncmp(secret, "basic:", 6)) {
    const char *v = secret + 6;
    size_t l = strlen(v);
    if (!strchr(v, ':')) {
      snprintf(out, n, "Basic %s", v);
      return;
    }
    char b64[1024];
    if (l <= 700) {
      sodium_bin2base64(b64, sizeof b64, (const unsigned char *)v, l,
                        sodium_base64_VARIANT_ORIGINAL);
      snprintf(out, n, "Basic %s", b64);
    }
  }
}

uint64_t config_storage_max(json_t *cfg) {
  const char *s = json_string_value(config_get(cfg, "Datastore.StorageMax"));
  if (!s)
    return CONFIG_STORAGE_MAX_DEFAULT;
  char *end;
  double v = strtod(s, &end);
  while (*end == ' ')
    end++;
  static const struct {
    const char *u;
    double m;
  } units[] = {{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
               {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
               {"TiB", 1099511627776.0}, {"B", 1}, {"", 1}};
  for (size_t i = 0; i < TR_ARRAY_LEN(units); i++)
    if (!strcasecmp(end, units[i].u))
      return v >= 1 && v < 1e18 / units[i].m ? (uint64_t)(v * units[i].m)
                                            : CONFIG_STORAGE_MAX_DEFAULT;
  return CONFIG_STORAGE_MAX_DEFAULT;
}

int config_duration_ms(json_t *cfg, const char *key, uint32_t *ms) {
  json_t *v = config_get(cfg, key);
  if (!v)
    return 0;
  uint64_t ns;
  if (tr_parse_duration(json_string_value(v), &ns) || ns < 1000000 ||
      ns / 1000000 > UINT32_MAX)
    return TR_ECONFIG;
  *ms = (uint32_t)(ns / 1000000);
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
    {"Identity", CONFIG_OBJECT, false},
    {"Identity.PeerID", CONFIG_STRING, false},
    {"Addresses", CONFIG_OBJECT, false},
    {"Addresses.API", CONFIG_ADDRS, false},
    {"Addresses.Gateway", CONFIG_ADDRS, false},
    {"Addresses.Swarm", CONFIG_STRINGS, false},
    {"Addresses.Announce", CONFIG_STRINGS, false},
    {"Addresses.AppendAnnounce", CONFIG_STRINGS, false},
    {"Addresses.NoAnnounce", CONFIG_STRINGS, false},
    {"Bootstrap", CONFIG_STRINGS, false},
    {"Peering", CONFIG_OBJECT, false},
    {"Peering.Peers", CONFIG_ANY, true}, /* [{"ID": ..., "Addrs": [...]}] */
    {"API", CONFIG_OBJECT, false},
    {"API.HTTPHeaders", CONFIG_OBJECT, false},
    {"Datastore", CONFIG_OBJECT, false},
    {"Datastore.StorageMax", CONFIG_STRING, false},
    {"Datastore.StorageGCWatermark", CONFIG_INT, false},
    {"Datastore.GCPeriod", CONFIG_STRING, false},
    {"Datastore.BloomFilterSize", CONFIG_INT, false},
    /* trove's: the Pinning Service API and its engine (node/mirror.h). */
    {"Mirror", CONFIG_OBJECT, false},
    {"Mirror.PinningAPI", CONFIG_OBJECT, false},
    {"Mirror.PinningAPI.Address", CONFIG_STRING, true},
    {"Mirror.Concurrency", CONFIG_INT, true},
    {"Mirror.FetchTimeout", CONFIG_STRING, true},
    {"Mirror.Follow", CONFIG_OBJECT, false},
    {"Mirror.Follow.Interval", CONFIG_STRING, true},
    {"Mirror.Follow.Grace", CONFIG_STRING, true},
    {"Mirror.Follow.Concurrency", CONFIG_INT, true},
    {"Experimental", CONFIG_OBJECT, false},
    {"Experimental.FilestoreEnabled", CONFIG_BOOL, false},
    {"Experimental.UrlstoreEnabled", CONFIG_BOOL, false},
    {"Experimental.Libp2pStreamMounting", CONFIG_BOOL, false},
    {"Gateway", CONFIG_OBJECT, false},
    {"Gateway.RateLimit", CONFIG_INT, false}, /* trove's */
    {"Gateway.Threads", CONFIG_INT, true},    /* trove's: 0/null is auto */
    {"Gateway.HTTPHeaders", CONFIG_OBJECT, false},
    {"Gateway.PublicGateways", CONFIG_OBJECT, false},
    {"Gateway.RootRedirect", CONFIG_STRING, false},
    {"Gateway.NoFetch", CONFIG_BOOL, false},
    {"Gateway.RetrievalTimeout", CONFIG_STRING, true},
    {"Gateway.MaxConcurrentRequests", CONFIG_INT, true}, /* Optional */
    {"Gateway.MaxRequestDuration", CONFIG_STRING, true}, /* Optional */
    {"Gateway.NoDNSLink", CONFIG_BOOL, false},
    {"Gateway.DeprecatedXIpfsPath", CONFIG_BOOL, true},
    {"DNS", CONFIG_OBJECT, false},
    {"DNS.Resolvers", CONFIG_OBJECT, false},
    {"DNS.MaxCacheTTL", CONFIG_STRING, true}, /* OptionalDuration */
    {"Gateway.DeserializedResponses", CONFIG_BOOL, true},
    {"Gateway.ExposeRoutingAPI", CONFIG_BOOL, true},
    {"Pubsub", CONFIG_OBJECT, false},
    {"Pubsub.Enabled", CONFIG_BOOL, true},  /* Kubo's Flag */
    {"Pubsub.Router", CONFIG_STRING, true}, /* gossipsub (""), floodsub */
    {"Bitswap", CONFIG_OBJECT, false},
    {"Bitswap.Libp2pEnabled", CONFIG_BOOL, true},
    {"Bitswap.ServerEnabled", CONFIG_BOOL, true},
    {"HTTPRetrieval", CONFIG_OBJECT, false},
    {"HTTPRetrieval.Enabled", CONFIG_BOOL, true},
    {"HTTPRetrieval.Gateways", CONFIG_STRINGS, true}, /* trove's */
    {"Import", CONFIG_OBJECT, false},
    {"Import.CidVersion", CONFIG_INT, true},
    {"Import.UnixFSRawLeaves", CONFIG_BOOL, true},
    {"Import.UnixFSChunker", CONFIG_STRING, true},
    {"Import.HashFunction", CONFIG_STRING, true},
    {"Import.UnixFSFileMaxLinks", CONFIG_INT, true},
    {"Pinning", CONFIG_OBJECT, false},
    {"Pinning.RemoteServices", CONFIG_OBJECT, false},
    {"Reprovider", CONFIG_OBJECT, false},
    {"Reprovider.Interval", CONFIG_STRING, true},
    {"Reprovider.Strategy", CONFIG_STRING, true},
    {"Routing", CONFIG_OBJECT, false},
    {"Routing.Type", CONFIG_STRING, true},
    {"Routing.DelegatedRouters", CONFIG_STRINGS, true},
    {"Provide", CONFIG_OBJECT, false},
    {"Provide.Strategy", CONFIG_STRING, true},
    {"Provide.DHT", CONFIG_OBJECT, false},
    {"Provide.DHT.Interval", CONFIG_STRING, true},
    {"Routing.LoopbackAddressesOnLanDHT", CONFIG_BOOL, true},
    {"Ipns", CONFIG_OBJECT, false},
    {"Ipns.RepublishPeriod", CONFIG_STRING, true},
    {"Ipns.RecordLifetime", CONFIG_STRING, true},
    {"Ipns.MaxCacheTTL", CONFIG_STRING, true}, /* OptionalDuration */
    /* trove's scrubber (node/scrub.h).  Mirror.Scrub.Rate is left untyped:
     * an integer (bytes/s) or a string such as "50MiB". */
    {"Mirror", CONFIG_OBJECT, false},
    {"Mirror.Scrub", CONFIG_OBJECT, false},
    {"Mirror.Scrub.Interval", CONFIG_STRING, true},
    {"Mirror.Scrub.RetryDelay", CONFIG_STRING, true},
    {"Mirror.Scrub.FetchTimeout", CONFIG_STRING, true},
    {"Discovery", CONFIG_OBJECT, false},
    {"Discovery.MDNS.Enabled", CONFIG_BOOL, false},
    {"AutoNAT", CONFIG_OBJECT, false},
    {"AutoNAT.ServiceMode", CONFIG_STRING, false},
    {"AutoNAT.Throttle", CONFIG_OBJECT, true},
    {"AutoNAT.AllowPrivateAddrs", CONFIG_BOOL, true}, /* trove's */
    {"Swarm", CONFIG_OBJECT, false},
    {"Swarm.DisableNatPortMap", CONFIG_BOOL, false},
    {"Swarm.Transports", CONFIG_OBJECT, false},
    {"Swarm.Transports.Network", CONFIG_OBJECT, false},
    {"Swarm.Transports.Network.Websocket", CONFIG_BOOL, true},
    {"Swarm.ConnMgr", CONFIG_OBJECT, false},
    {"Swarm.ConnMgr.Type", CONFIG_STRING, true},
    {"Swarm.ConnMgr.LowWater", CONFIG_INT, true},
    {"Swarm.ConnMgr.HighWater", CONFIG_INT, true},
    {"Swarm.ConnMgr.GracePeriod", CONFIG_STRING, true},
    /* trove's (Go durations): the host's timeouts, net/host.h. */
    {"Swarm.DialTimeout", CONFIG_STRING, true},
    {"Swarm.HandshakeTimeout", CONFIG_STRING, true},
    {"Swarm.NegotiateTimeout", CONFIG_STRING, true},
    {"Swarm.WriteTimeout", CONFIG_STRING, true},
    {"Swarm.KeepAliveInterval", CONFIG_STRING, true},
    /* trove's: the host's inbound rate limit (net/host.h), untyped like
     * Mirror.Scrub.Rate: bytes/s as an integer or "8MiB", "1 MB/s". */
    {"Swarm.MaxRecvRate", CONFIG_ANY, true},
};

config_type_t config_type(const char *key, bool *nullable) {
  for (size_t i = 0; i < TR_ARRAY_LEN(key_types); i++)
    if (!strcmp(key, key_types[i].key)) {
      if (nullable)
        *nullable = key_types[i].nullable;
      return (config_type_t)key_types[i].type;
    }
  if (nullable)
    *nullable = true;
  return CONFIG_ANY;
}

const char *config_type_name(config_type_t t) {
  switch (t) {
  case CONFIG_STRING: return "a string";
  case CONFIG_INT: return "an integer";
  case CONFIG_BOOL: return "a boolean (true or false)";
  case CONFIG_STRINGS: return "a list of strings";
  case CONFIG_ADDRS: return "a string or a list of strings";
  case CONFIG_OBJECT: return "an object";
  default: return "any JSON value";
  }
}

static bool all_strings(const json_t *v) {
  size_t i;
  json_t *e;
  json_array_foreach(v, i, e) if (!json_is_string(e)) return false;
  return true;
}

static bool of_type(const json_t *v, config_type_t t, bool nullable) {
  if (json_is_null(v))
    return nullable;
  switch (t) {
  case CONFIG_STRING: return json_is_string(v);
  case CONFIG_INT: return json_is_integer(v);
  case CONFIG_BOOL: return json_is_boolean(v);
  case CONFIG_STRINGS: return json_is_array(v) && all_strings(v);
  case CONFIG_ADDRS:
    return json_is_string(v) || (json_is_array(v) && all_strings(v));
  case CONFIG_OBJECT: return json_is_object(v);
  default: return true;
  }
}

int config_replace(const json_t *cur, json_t *next, char *err, size_t n) {
  if (!json_is_object(next)) {
    snprintf(err, n, "failed to decode file as config");
    return TR_ECONFIG;
  }
  for (size_t i = 0; i < TR_ARRAY_LEN(key_types); i++) {
    json_t *v = config_get(next, key_types[i].key);
    /* Go's decoder takes null for anything (it leaves the zero value) */
    if (v && !of_type(v, key_types[i].type, true)) {
      snprintf(err, n, "failed to decode file as config: %s is not %s",
               key_types[i].key, config_type_name(key_types[i].type));
      return TR_ECONFIG;
    }
  }
  json_t *pk = config_get(next, "Identity.PrivKey");
  if (pk && (!json_is_string(pk) || json_string_length(pk))) {
    snprintf(err, n, "setting private key with API is not supported");
    return TR_ECONFIG;
  }
  json_t *id = json_object_get(next, "Identity");
  if (!id && json_object_set_new(next, "Identity", id = json_object()))
    return -ENOMEM;
  json_t *ck = config_get((json_t *)cur, "Identity.PrivKey");
  json_t *cp = config_get((json_t *)cur, "Identity.PeerID");
  if ((ck && json_object_set(id, "PrivKey", ck)) ||
      (cp && json_object_set(id, "PeerID", cp)))
    return -ENOMEM;
  /* Each remote service keeps its API (the key is a secret `config show`
   * hides, so a file from it has none). */
  json_t *olds = config_get((json_t *)cur, "Pinning.RemoteServices");
  json_t *news = config_get(next, "Pinning.RemoteServices");
  if (json_object_size(olds) != json_object_size(news)) {
    snprintf(err, n, "cannot add or remove remote pinning services with "
             "'config replace'");
    return TR_ECONFIG;
  }
  const char *name;
  json_t *o;
  json_object_foreach(olds, name, o) {
    json_t *nw = json_object_get(news, name);
    json_t *oapi = json_object_get(o, "API"), *napi = json_object_get(nw, "API");
    const char *nkey = json_string_value(json_object_get(napi, "Key"));
    const char *nend = json_string_value(json_object_get(napi, "Endpoint"));
    const char *oend = json_string_value(json_object_get(oapi, "Endpoint"));
    if (!json_is_object(nw)) {
      snprintf(err, n, "cannot add or remove remote pinning services with "
               "'config replace'");
      return TR_ECONFIG;
    }
    if ((nkey && *nkey) ||
        (nend && *nend && (!oend || strcmp(nend, oend)))) {
      snprintf(err, n, "cannot change remote pinning services api info with "
               "`config replace`");
      return TR_ECONFIG;
    }
    if (oapi && json_object_set(nw, "API", oapi))
      return -ENOMEM;
  }
  return 0;
}

/* TEXT as the key's type, without --json. */
static json_t *from_text(config_type_t t, const char *text) {
  if (t == CONFIG_INT) {
    /* Whole string, decimal: "0x1", "1e3" and " 1" are not integers. */
    const char *p = text + (*text == '-');
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (*p < '0' || *p > '9' || errno || *end)
      return NULL;
    return json_integer(v);
  }
  if (t == CONFIG_BOOL) {
    if (!strcmp(text, "true") || !strcmp(text, "false"))
      return json_boolean(!strcmp(text, "true"));
    return NULL;
  }
  if (t == CONFIG_STRINGS || t == CONFIG_OBJECT)
    return NULL; /* needs --json */
  /* JSON holds only UTF-8: bad bytes become U+FFFD, as in Kubo. */
  size_t len;
  char *fixed = tr_utf8_fix(text, strlen(text), &len);
  json_t *v = fixed ? json_stringn(fixed, len) : NULL;
  tr_free(fixed);
  return v;
}

int config_value(const char *key, const char *text, int how,
                      json_t **out, char *err, size_t errlen) {
  bool nullable;
  config_type_t t = config_type(key, &nullable);
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
    config_type_t pt = config_type(parent, NULL);
    if (pt != CONFIG_ANY && pt != CONFIG_OBJECT) {
      snprintf(err, errlen, "%s: %s is %s, not an object", key, parent,
               config_type_name(pt));
      return TR_EUSAGE;
    }
  }
  if (how == CONFIG_JSON) {
    json_error_t je;
    if (!(v = json_loads(text, JSON_DECODE_ANY, &je))) {
      snprintf(err, errlen, "%s: value is not JSON: %s", key, je.text);
      return TR_EUSAGE;
    }
  } else if (how == CONFIG_BOOLEAN) {
    if (strcmp(text, "true") && strcmp(text, "false")) {
      snprintf(err, errlen, "%s: %s is not a boolean", key, text);
      return TR_EUSAGE;
    }
    v = json_boolean(!strcmp(text, "true"));
  } else {
    v = from_text(t, text);
    if (!v && t != CONFIG_STRING && t != CONFIG_ANY &&
        t != CONFIG_ADDRS) {
      snprintf(err, errlen, "%s: expected %s, got \"%.100s\"%s", key,
               config_type_name(t), text,
               t == CONFIG_STRINGS || t == CONFIG_OBJECT
                   ? " (give it as JSON with --json)"
                   : "");
      return TR_EUSAGE;
    }
  }
  if (!v)
    return -ENOMEM;
  if (!of_type(v, t, nullable)) {
    snprintf(err, errlen, "%s: expected %s, got %s", key,
             config_type_name(t),
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

/*
 * profile.c — Kubo's config profiles, its Bootstrap default and the diff
 * its `config profile apply` prints (see profile.h).
 */
#include "profile.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"

/* ------------------------------------------------------------ bootstrap */

const char *const config_bootstrap_default[] = {
    "/dnsaddr/bootstrap.libp2p.io/p2p/"
    "QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN",
    "/dnsaddr/bootstrap.libp2p.io/p2p/"
    "QmQCU2EcMqAqQPR2i9bChDtGNJchTbq5TbXJJ16u19uLTa",
    "/dnsaddr/bootstrap.libp2p.io/p2p/"
    "QmbLHAnMoJPWSCR5Zhtx6BHJX9KiKNN6tpvbUcqanj75Nb",
    "/dnsaddr/bootstrap.libp2p.io/p2p/"
    "QmcZf59bWwK5XFi76CZX8cbJ4BhTzzA3gU1ZjYZcYW3dwt",
    "/dnsaddr/va1.bootstrap.libp2p.io/p2p/"
    "12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc8",
    "/ip4/104.131.131.82/tcp/4001/p2p/"
    "QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ",
    "/ip4/104.131.131.82/udp/4001/quic-v1/p2p/"
    "QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ",
};
const size_t config_bootstrap_ndefault = TR_ARRAY_LEN(config_bootstrap_default);

/* Append s to out unless it is there; 0 or -ENOMEM. */
static int add_once(json_t *out, const char *s) {
  if (config_list_has(out, s))
    return 0;
  return json_array_append_new(out, json_string(s)) ? -ENOMEM : 0;
}

json_t *config_bootstrap_expand(const json_t *boot) {
  json_t *out = json_array();
  size_t i;
  json_t *v;
  int rc = out ? 0 : -ENOMEM;
  json_array_foreach(boot, i, v) {
    const char *s = json_string_value(v);
    if (rc || !s)
      continue;
    if (strcmp(s, "auto")) {
      rc = add_once(out, s);
      continue;
    }
    for (size_t k = 0; !rc && k < config_bootstrap_ndefault; k++)
      rc = add_once(out, config_bootstrap_default[k]);
  }
  if (rc) {
    json_decref(out);
    return NULL;
  }
  return out;
}

/* ------------------------------------------------------------- helpers */

/* Kubo v0.43.1's defaultServerFilters (config/profile.go): the ranges
 * that are private, local or not globally reachable per IANA's
 * special-purpose registries (RFC 6890), loopback included. */
static const char *const server_filters[] = {
    "/ip4/10.0.0.0/ipcidr/8",      "/ip4/100.64.0.0/ipcidr/10",
    "/ip4/127.0.0.0/ipcidr/8",     "/ip4/169.254.0.0/ipcidr/16",
    "/ip4/172.16.0.0/ipcidr/12",   "/ip4/192.0.0.0/ipcidr/24",
    "/ip4/192.0.2.0/ipcidr/24",    "/ip4/192.168.0.0/ipcidr/16",
    "/ip4/198.18.0.0/ipcidr/15",   "/ip4/198.51.100.0/ipcidr/24",
    "/ip4/203.0.113.0/ipcidr/24",  "/ip4/240.0.0.0/ipcidr/4",
    "/ip6/::/ipcidr/3",            "/ip6/::1/ipcidr/128",
    "/ip6/100::/ipcidr/64",        "/ip6/2001:2::/ipcidr/48",
    "/ip6/2001:db8::/ipcidr/32",   "/ip6/fc00::/ipcidr/7",
    "/ip6/fe80::/ipcidr/10",
};

/* Errors of a transform: the first one sticks. */
typedef struct tx {
  json_t *cfg;
  int rc;
} tx_t;

static void set(tx_t *t, const char *key, json_t *v) {
  if (!t->rc)
    t->rc = v ? config_set(t->cfg, key, v) : -ENOMEM;
  else
    json_decref(v);
}

static void set_str(tx_t *t, const char *key, const char *s) {
  set(t, key, json_string(s));
}

static void set_bool(tx_t *t, const char *key, bool b) {
  set(t, key, json_boolean(b));
}

static void set_int(tx_t *t, const char *key, json_int_t i) {
  set(t, key, json_integer(i));
}

static void set_strs(tx_t *t, const char *key, const char *const *s,
                     size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < n; i++)
    if (json_array_append_new(a, json_string(s[i]))) {
      json_decref(a);
      a = NULL;
    }
  set(t, key, a);
}

/* Kubo's appendSingle (add: the list at key, its duplicates dropped, then
 * each of v[] that is not in it) and deleteEntries (!add: the list
 * without v[]; Kubo's order is a Go map's, random, trove keeps the
 * list's). */
static void edit_list(tx_t *t, const char *key, const char *const *v,
                      size_t n, bool add) {
  json_t *out = json_array(), *cur = config_get(t->cfg, key), *e;
  int rc = out ? 0 : -ENOMEM;
  size_t i;
  json_array_foreach(cur, i, e) {
    const char *s = json_string_value(e);
    bool drop = !s;
    for (size_t k = 0; !add && s && k < n && !drop; k++)
      drop = !strcmp(s, v[k]);
    if (!rc && !drop)
      rc = add_once(out, s);
  }
  for (size_t k = 0; add && !rc && k < n; k++)
    rc = add_once(out, v[k]);
  if (rc) {
    json_decref(out);
    out = NULL;
  }
  set(t, key, out);
}

/* ------------------------------------------------------------ profiles */

static void p_server(tx_t *t) {
  edit_list(t, "Addresses.NoAnnounce", server_filters,
            TR_ARRAY_LEN(server_filters), true);
  edit_list(t, "Swarm.AddrFilters", server_filters,
            TR_ARRAY_LEN(server_filters), true);
  set_bool(t, "Discovery.MDNS.Enabled", false);
  set_bool(t, "Swarm.DisableNatPortMap", true);
}

static void p_local_discovery(tx_t *t) {
  edit_list(t, "Addresses.NoAnnounce", server_filters,
            TR_ARRAY_LEN(server_filters), false);
  edit_list(t, "Swarm.AddrFilters", server_filters,
            TR_ARRAY_LEN(server_filters), false);
  set_bool(t, "Discovery.MDNS.Enabled", true);
  set_bool(t, "Swarm.DisableNatPortMap", false);
}

static void p_test(tx_t *t) {
  static const char *const swarm[] = {"/ip4/127.0.0.1/tcp/0"};
  set_str(t, "Addresses.API", "/ip4/127.0.0.1/tcp/0");
  set_str(t, "Addresses.Gateway", "/ip4/127.0.0.1/tcp/0");
  set_strs(t, "Addresses.Swarm", swarm, 1);
  set_bool(t, "Swarm.DisableNatPortMap", true);
  set_bool(t, "Routing.LoopbackAddressesOnLanDHT", true);
  set_strs(t, "Bootstrap", NULL, 0);
  set_bool(t, "Discovery.MDNS.Enabled", false);
  set_bool(t, "AutoTLS.Enabled", false);
  set_bool(t, "AutoConf.Enabled", false);
  set(t, "DNS.Resolvers", json_object());
  set_strs(t, "Routing.DelegatedRouters", NULL, 0);
  set_strs(t, "Ipns.DelegatedPublishers", NULL, 0);
}

static void p_default_networking(tx_t *t) {
  /* Kubo's addressesConfig(): trove listens on what it has a transport
   * for (TCP, /ws) and skips the rest, as it does its own default's. */
  json_t *a = json_pack(
      "{s:[s,s,s,s,s,s,s,s],s:[],s:[],s:[],s:s,s:s}", "Swarm",
      "/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001",
      "/ip4/0.0.0.0/udp/4001/webrtc-direct", "/ip4/0.0.0.0/udp/4001/quic-v1",
      "/ip4/0.0.0.0/udp/4001/quic-v1/webtransport",
      "/ip6/::/udp/4001/webrtc-direct", "/ip6/::/udp/4001/quic-v1",
      "/ip6/::/udp/4001/quic-v1/webtransport", "Announce", "AppendAnnounce",
      "NoAnnounce", "API", "/ip4/127.0.0.1/tcp/5001", "Gateway",
      "/ip4/127.0.0.1/tcp/8080");
  static const char *const boot[] = {"auto"};
  set(t, "Addresses", a);
  set_strs(t, "Bootstrap", boot, 1);
  /* Kubo's transform also sets AutoConf.Enabled, AutoConf.URL and
   * AutoTLS.Enabled to their defaults, which its config marshals as
   * nothing (omitempty), and its file keeps what it held there: so does
   * trove's. */
  set_bool(t, "Swarm.DisableNatPortMap", false);
  set_bool(t, "Discovery.MDNS.Enabled", true);
}

static void p_lowpower(tx_t *t) {
  set_str(t, "Routing.Type", "autoclient");
  set_str(t, "AutoNAT.ServiceMode", "disabled");
  set_bool(t, "Swarm.RelayService.Enabled", false);
  set_str(t, "Swarm.ConnMgr.Type", "basic");
  set_int(t, "Swarm.ConnMgr.LowWater", 20);
  set_int(t, "Swarm.ConnMgr.HighWater", 40);
  set_str(t, "Swarm.ConnMgr.GracePeriod", "1m0s");
}

static void p_announce_off(tx_t *t) {
  set_bool(t, "Provide.Enabled", false);
  set_str(t, "Provide.DHT.Interval", "0s");
}

static void p_announce_on(tx_t *t) {
  set_bool(t, "Provide.Enabled", true);
  set_str(t, "Provide.DHT.Interval", "22h0m0s"); /* Kubo's default */
}

/* Kubo's getAvailablePort: a port the kernel hands out on [::]. */
static void p_randomports(tx_t *t) {
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
  socklen_t len = sizeof sa;
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) ||
      getsockname(fd, (struct sockaddr *)&sa, &len)) {
    if (!t->rc)
      t->rc = -errno;
    if (fd >= 0)
      close(fd);
    return;
  }
  close(fd);
  char a4[48], a6[48];
  unsigned port = ntohs(sa.sin6_port);
  snprintf(a4, sizeof a4, "/ip4/0.0.0.0/tcp/%u", port);
  snprintf(a6, sizeof a6, "/ip6/::/tcp/%u", port);
  const char *const swarm[] = {a4, a6};
  set_strs(t, "Addresses.Swarm", swarm, 2);
}

/* IPIP-499's import profiles, as Kubo's applyUnixFSv02015/v12025. */
static void import_profile(tx_t *t, bool v1) {
  set_int(t, "Import.CidVersion", v1);
  set_bool(t, "Import.UnixFSRawLeaves", v1);
  set_str(t, "Import.UnixFSChunker", v1 ? "size-1048576" : "size-262144");
  set_str(t, "Import.HashFunction", "sha2-256");
  set_int(t, "Import.UnixFSFileMaxLinks", v1 ? 1024 : 174);
  set_int(t, "Import.UnixFSDirectoryMaxLinks", 0);
  set_int(t, "Import.UnixFSHAMTDirectoryMaxFanout", 256);
  set_str(t, "Import.UnixFSHAMTDirectorySizeThreshold", "256KiB");
  set_str(t, "Import.UnixFSHAMTDirectorySizeEstimation",
          v1 ? "block" : "links");
  set_str(t, "Import.UnixFSDAGLayout", "balanced");
  set_str(t, "Import.UnixFSPBNodeFieldOrder", "links-first");
}

static void p_unixfs_v0(tx_t *t) { import_profile(t, false); }
static void p_unixfs_v1(tx_t *t) { import_profile(t, true); }

static void p_autoconf_on(tx_t *t) {
  static const char *const autos[] = {"auto"};
  set_strs(t, "Bootstrap", autos, 1);
  set(t, "DNS.Resolvers", json_pack("{s:s}", ".", "auto"));
  set_strs(t, "Routing.DelegatedRouters", autos, 1);
  set_strs(t, "Ipns.DelegatedPublishers", autos, 1);
  set_bool(t, "AutoConf.Enabled", true);
  json_t *url = config_get(t->cfg, "AutoConf.URL");
  if (!url || json_is_null(url))
    set_str(t, "AutoConf.URL", "https://conf.ipfs-mainnet.org/autoconf.json");
}

static void p_autoconf_off(tx_t *t) {
  set(t, "Bootstrap", json_null());
  set(t, "DNS.Resolvers", json_null());
  set(t, "Routing.DelegatedRouters", json_null());
  set(t, "Ipns.DelegatedPublishers", json_null());
  set_bool(t, "AutoConf.Enabled", false);
}

/* Kubo v0.43.1's profiles; apply NULL: a datastore profile, refused. */
static const struct {
  const char *name;
  void (*apply)(tx_t *t);
} profiles[] = {
    {"announce-off", p_announce_off},
    {"announce-on", p_announce_on},
    {"autoconf-off", p_autoconf_off},
    {"autoconf-on", p_autoconf_on},
    {"badgerds", NULL},
    {"badgerds-measure", NULL},
    {"default-datastore", NULL},
    {"default-networking", p_default_networking},
    {"flatfs", NULL},
    {"flatfs-levelds", NULL},
    {"flatfs-levelds-measure", NULL},
    {"flatfs-measure", NULL},
    {"flatfs-pebbleds", NULL},
    {"flatfs-pebbleds-measure", NULL},
    {"legacy-cid-v0", p_unixfs_v0},
    {"local-discovery", p_local_discovery},
    {"lowpower", p_lowpower},
    {"pebbleds", NULL},
    {"pebbleds-measure", NULL},
    {"randomports", p_randomports},
    {"server", p_server},
    {"test", p_test},
    {"unixfs-v0-2015", p_unixfs_v0},
    {"unixfs-v1-2025", p_unixfs_v1},
};

int config_profile_apply(json_t *cfg, const char *name, char *err,
                         size_t errlen) {
  for (size_t i = 0; i < TR_ARRAY_LEN(profiles); i++) {
    if (strcmp(name, profiles[i].name))
      continue;
    if (!profiles[i].apply) {
      snprintf(err, errlen, "profile \"%s\" changes the datastore, and "
               "trove keeps its blocks in LMDB: it has no such profile",
               name);
      return TR_EUSAGE;
    }
    tx_t t = {cfg, 0};
    profiles[i].apply(&t);
    return t.rc;
  }
  snprintf(err, errlen, "%s is not a profile", name);
  return TR_EUSAGE;
}

/* ---------------------------------------------------------------- diff */

/* elgris/jsondiff's resolutions. */
enum { EQ, NE, ADDED, REMOVED, SUB };

typedef struct item {
  const char *key; /* "" for an array's element */
  const json_t *a, *b;
  int res;
} item_t;

typedef struct out {
  tr_bytes_t buf;
  bool color;
  int rc;
} out_t;

static void put(out_t *o, const char *s) {
  if (!o->rc)
    o->rc = tr_bytes_append(&o->buf, s, strlen(s));
}

/* json.Marshal's form of v: compact, keys sorted (Go's maps), null for
 * nothing. */
static void put_value(out_t *o, const json_t *v) {
  if (!v) {
    put(o, "null");
    return;
  }
  char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  if (!s)
    o->rc = -ENOMEM;
  else
    put(o, s);
  free(s);
}

static void put_key(out_t *o, const char *prefix, const char *key) {
  put(o, prefix);
  put(o, "\"");
  put(o, key);
  put(o, "\": ");
}

static void put_item(out_t *o, const char *prefix, const char *key,
                     const json_t *v, bool more) {
  put_key(o, prefix, key);
  put_value(o, v);
  if (more)
    put(o, ",");
}

static int cmp_items(const void *x, const void *y) {
  return strcmp(((const item_t *)x)->key, ((const item_t *)y)->key);
}

static void write_diff(out_t *o, const char *prefix, const json_t *a,
                       const json_t *b);

/* jsondiff's compare: equal, both objects or both arrays (compared
 * within), or different. */
static int resolve(const json_t *a, const json_t *b) {
  if (json_equal((json_t *)a, (json_t *)b))
    return EQ;
  if ((json_is_object(a) && json_is_object(b)) ||
      (json_is_array(a) && json_is_array(b)))
    return SUB;
  return NE;
}

/* The items of a and b (two objects or two arrays), in jsondiff's order:
 * an object's by key, an array's by index, the longer one's rest added or
 * removed.  *n gets their count; NULL with *n 0 when there are none,
 * NULL with *n 1 on allocation failure. */
static item_t *items_of(const json_t *a, const json_t *b, size_t *n) {
  size_t cap = json_is_object(a) ? json_object_size(a) + json_object_size(b)
                                 : json_array_size(a) + json_array_size(b);
  *n = 0;
  if (!cap)
    return NULL;
  item_t *it = malloc(cap * sizeof *it);
  if (!it) {
    *n = 1;
    return NULL;
  }
  if (json_is_object(a)) {
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)a, k, v) {
      json_t *w = json_object_get(b, k);
      it[(*n)++] = (item_t){k, v, w, w ? resolve(v, w) : REMOVED};
    }
    json_object_foreach((json_t *)b, k, v) {
      if (!json_object_get(a, k))
        it[(*n)++] = (item_t){k, NULL, v, ADDED};
    }
    qsort(it, *n, sizeof *it, cmp_items);
    return it;
  }
  size_t na = json_array_size(a), nb = json_array_size(b);
  for (size_t i = 0; i < na || i < nb; i++) {
    const json_t *x = json_array_get(a, i), *y = json_array_get(b, i);
    it[(*n)++] = (item_t){"", x, y,
                          i >= nb ? REMOVED : i >= na ? ADDED : resolve(x, y)};
  }
  return it;
}

static void write_diff(out_t *o, const char *prefix, const json_t *a,
                       const json_t *b) {
  size_t n;
  item_t *it = items_of(a, b, &n);
  if (!it && n) {
    o->rc = -ENOMEM;
    return;
  }
  size_t pl = strlen(prefix);
  char *pne = malloc(pl + 8), *pnb = malloc(pl + 8), *padd = malloc(pl + 8),
       *prm = malloc(pl + 8), *sub = malloc(pl + 8);
  if (!pne || !pnb || !padd || !prm || !sub) {
    o->rc = -ENOMEM;
    n = 0;
  } else {
    snprintf(pne, pl + 8, "%s<> ", prefix);
    snprintf(pnb, pl + 8, "%s** ", prefix);
    snprintf(padd, pl + 8, "%s<< ", prefix);
    snprintf(prm, pl + 8, "%s>> ", prefix);
    snprintf(sub, pl + 8, "%s    ", prefix);
  }
  const char *yellow = o->color ? "\033[33m" : "",
             *red = o->color ? "\033[31m" : "",
             *green = o->color ? "\033[32m" : "",
             *reset = o->color ? "\033[0m" : "";
  put(o, "{");
  for (size_t i = 0; i < n; i++) {
    bool more = i + 1 < n;
    put(o, "\n");
    switch (it[i].res) {
    case EQ:
      put_item(o, prefix, it[i].key, it[i].a, more);
      break;
    case NE:
      put(o, yellow);
      put_item(o, pne, it[i].key, it[i].a, more);
      put(o, "\n");
      put_item(o, pnb, it[i].key, it[i].b, more);
      put(o, reset);
      break;
    case ADDED:
      put(o, green);
      put_item(o, padd, it[i].key, it[i].b, more);
      put(o, reset);
      break;
    case REMOVED:
      put(o, red);
      put_item(o, prm, it[i].key, it[i].a, more);
      put(o, reset);
      break;
    default:
      put_key(o, prefix, it[i].key);
      write_diff(o, sub, it[i].a, it[i].b);
      if (more)
        put(o, ",");
    }
  }
  put(o, "\n");
  put(o, prefix);
  put(o, "}");
  free(pne), free(pnb), free(padd), free(prm), free(sub);
  free(it);
}

char *config_diff(const json_t *old, const json_t *cur, bool color) {
  out_t o = {.color = color};
  json_t *e = json_object();
  write_diff(&o, "", old ? old : e, cur ? cur : e);
  json_decref(e);
  if (!o.rc)
    o.rc = tr_bytes_append(&o.buf, "", 1);
  if (o.rc) {
    tr_bytes_free(&o.buf);
    return NULL;
  }
  /* A copy from libc's heap: the caller frees it with free(). */
  char *s = strdup((const char *)o.buf.data);
  tr_bytes_free(&o.buf);
  return s;
}

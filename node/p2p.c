/*
 * p2p.c — the daemon's libp2p side (node_int.h): the host and its private
 * network key, AutoNAT, the DHTs with their provide queue, reprovider, IPNS
 * republisher and saved state, and the delegated HTTP routers.
 */
#include "node_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../config/config.h"
#include "../config/profile.h"
#include "../dht/ipns.h"
#include "../dht/name.h"
#include "../dht/persist.h"
#include "../net/multiaddr.h"
#include "republish.h"

/* ------------------------------------------------- the DHTs' snapshot */

/* Meta keys of the LAN and WAN DHTs' state (dht/persist.h). */
static const char *const SNAP_KEY[2] = {"dht.lan", "dht.wan"};
#define SNAPSHOT_MS (5 * 60 * 1000)

static dht_swarm_t *dht_of(node_t *n, int i) {
  return i ? n->dht_wan : n->dht_lan;
}

/* Write n->snap[] into the repo (any thread; one write transaction). */
static int snap_write(node_t *n) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(n->env, 0, &txn);
  for (int i = 0; i < 2 && !rc; i++)
    if (n->snap[i].len)
      rc = bs_meta_put(txn, SNAP_KEY[i], n->snap[i].data, n->snap[i].len);
  if (!rc)
    return bs_txn_commit(txn);
  bs_txn_abort(txn);
  return rc;
}

static int snap_take(node_t *n) {
  for (int i = 0; i < 2; i++) {
    n->snap[i].len = 0;
    dht_swarm_t *sw = dht_of(n, i);
    int rc = sw ? dht_persist_dump(dht_swarm_dht(sw), dht_swarm_now(sw),
                                   &n->snap[i])
                : 0;
    if (rc)
      return rc;
  }
  return 0;
}

static void snap_run(uv_work_t *w) {
  node_t *n = w->data;
  if (snap_write(n))
    tr_log(TR_LOG_WARN, "dht: the snapshot was not written");
}

static void snap_done(uv_work_t *w, int status) {
  (void)status;
  node_t *n = w->data;
  n->snap_busy = false;
}

static void snapshot(uv_timer_t *t) {
  node_t *n = t->data;
  if (n->snap_busy || snap_take(n))
    return;
  n->snap_work.data = n;
  n->snap_busy = !uv_queue_work(&n->loop, &n->snap_work, snap_run, snap_done);
}

/* At shutdown, on the loop (a snapshot in flight has the buffers: then
 * this one is skipped, the other is as fresh). */
void node__dht_save_now(node_t *n) {
  if ((!n->dht_lan && !n->dht_wan) || n->snap_busy)
    return;
  if (snap_take(n) || snap_write(n))
    tr_log(TR_LOG_WARN, "dht: the state was not saved at shutdown");
}

/* The state saved by the last run, back into the DHTs. */
static void dht_restore(node_t *n) {
  bs_txn_t *txn;
  if (bs_txn_begin(n->env, BS_RDONLY, &txn))
    return;
  for (int i = 0; i < 2; i++) {
    const uint8_t *v;
    size_t len;
    dht_swarm_t *sw = dht_of(n, i);
    if (!sw || bs_meta_get(txn, SNAP_KEY[i], &v, &len))
      continue;
    int k = dht_persist_load(dht_swarm_dht(sw), v, len, dht_swarm_now(sw));
    if (k < 0)
      tr_log(TR_LOG_WARN, "dht: the saved %s state is unreadable", SNAP_KEY[i]);
    else if (k > 0)
      tr_log(TR_LOG_INFO, "dht: %d peers and records restored (%s)", k,
             SNAP_KEY[i]);
  }
  bs_txn_abort(txn);
}

/* The host's limits and connection manager from the config: Kubo's
 * Swarm.ConnMgr.{Type,LowWater,HighWater,GracePeriod}, and trove's
 * timeouts (Go durations; null or absent: the defaults of net/host.h):
 * Swarm.DialTimeout (TCP connect), Swarm.HandshakeTimeout (security and
 * muxer), Swarm.NegotiateTimeout (a stream's protocol), Swarm.WriteTimeout
 * (a socket whose queue does not move, and a keep-alive ping's answer),
 * Swarm.KeepAliveInterval (input silence before a ping); and
 * Swarm.MaxRecvRate (bytes/s read from all the host's sockets, an integer
 * or "8MiB"; 0, null or absent: unlimited). */
static int swarm_limits(const node_daemon_opts_t *o, json_t *cfg,
                        net_host_limits_t *lim, net_cm_cfg_t *cm) {
  net_host_limits_default(lim);
  net_cm_cfg_default(cm);
  static const char *keys[] = {"Swarm.DialTimeout", "Swarm.HandshakeTimeout",
                               "Swarm.NegotiateTimeout", "Swarm.WriteTimeout",
                               "Swarm.KeepAliveInterval",
                               "Swarm.ConnMgr.GracePeriod"};
  uint32_t *vals[] = {&lim->dial_ms,  &lim->handshake_ms, &lim->negotiate_ms,
                      &lim->write_ms, &lim->keepalive_ms, &cm->grace_ms};
  for (size_t i = 0; i < TR_ARRAY_LEN(keys); i++)
    if (!json_is_null(config_get(cfg, keys[i])) &&
        config_duration_ms(cfg, keys[i], vals[i]))
      return node__fail(o, TR_ECONFIG,
                        "%s: expected a duration such as \"30s\"", keys[i]);
  json_t *r = config_get(cfg, "Swarm.MaxRecvRate");
  if (json_is_integer(r) && json_integer_value(r) >= 0)
    lim->recv_rate = (uint64_t)json_integer_value(r);
  else if (r && !json_is_null(r) &&
           tr_parse_rate(json_string_value(r), &lim->recv_rate))
    return node__fail(o, TR_ECONFIG, "Swarm.MaxRecvRate: expected bytes "
                      "per second, such as 1048576 or \"1MiB\"");
  if (lim->recv_rate)
    tr_log(TR_LOG_INFO, "swarm: receiving at most %llu bytes/s%s",
           (unsigned long long)lim->recv_rate,
           lim->recv_rate < NET_HOST_RECV_RATE_MIN ? " (raised to the minimum)"
                                                   : "");
  json_t *t = config_get(cfg, "Swarm.ConnMgr.Type");
  const char *type = json_string_value(t);
  if (type && !strcmp(type, "none"))
    cm->enabled = false;
  else if (t && !json_is_null(t) && (!type || (*type && strcmp(type, "basic"))))
    return node__fail(o, TR_ECONFIG,
                      "Swarm.ConnMgr.Type: expected \"basic\" or \"none\"");
  static const char *wkeys[] = {"Swarm.ConnMgr.LowWater",
                                "Swarm.ConnMgr.HighWater"};
  uint32_t *wvals[] = {&cm->low, &cm->high};
  for (int i = 0; i < 2; i++) {
    json_t *v = config_get(cfg, wkeys[i]);
    if (!v || json_is_null(v))
      continue;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > 1000000)
      return node__fail(o, TR_ECONFIG, "%s: expected a count", wkeys[i]);
    *wvals[i] = (uint32_t)json_integer_value(v);
  }
  if (cm->enabled && (cm->high == 0 || cm->low > cm->high))
    return node__fail(o, TR_ECONFIG, "Swarm.ConnMgr: LowWater (%u) must "
                      "not exceed HighWater (%u), which must be positive",
                      cm->low, cm->high);
  return 0;
}

/* <repo>/swarm.key, as Kubo reads $IPFS_PATH/swarm.key: none means the
 * public network, unless LIBP2P_FORCE_PNET=1 (go-libp2p's switch) demands
 * a private one; a key that cannot be read or parsed stops the daemon. */
int node__read_swarm_key(node_t *n, const node_daemon_opts_t *o) {
  char path[4200];
  snprintf(path, sizeof path, "%s/swarm.key", n->repo);
  const char *force = getenv("LIBP2P_FORCE_PNET");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    if (force && !strcmp(force, "1"))
      return node__fail(o, TR_ECONFIG,
                        "privnet: private network was not configured but "
                        "is enforced by the environment");
    return 0;
  }
  if (fd < 0)
    return node__fail(o, -errno,
                      "failed to configure private network: cannot open "
                      "%s: %s", path, strerror(errno));
  /* Only the first NET_PNET_FILE_MAX bytes can matter (pnet.h). */
  uint8_t buf[NET_PNET_FILE_MAX];
  size_t len = 0;
  while (len < sizeof buf) {
    ssize_t k = read(fd, buf + len, sizeof buf - len);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0) {
      int e = errno;
      close(fd);
      return node__fail(o, -e,
                        "failed to configure private network: cannot read "
                        "%s: %s", path, strerror(e));
    }
    if (k == 0)
      break;
    len += (size_t)k;
  }
  close(fd);
  const char *why = NULL;
  int rc = net_pnet_key_parse(buf, len, n->psk, &why);
  sodium_memzero(buf, sizeof buf);
  if (rc)
    return node__fail(o, rc,
                      "failed to configure private network: %s: %s", path,
                      why);
  n->has_psk = true;
  return 0;
}

/* Peering.Peers ([{"ID": ..., "Addrs": [...]}], Kubo's []peer.AddrInfo;
 * null or absent: none), kept connected by net/peering.h.  A malformed
 * entry stops the start, as Kubo's config fails to load. */
static int start_peering(node_t *n, const node_daemon_opts_t *o,
                         json_t *cfg) {
  /* TROVE_PEERING_INITIAL_MS: the tests' way to a shorter back-off. */
  const char *env = getenv("TROVE_PEERING_INITIAL_MS");
  int rc = net_peering_new(&n->loop, n->host,
                           env ? strtoull(env, NULL, 10) : 0, &n->peering);
  if (rc)
    return node__fail(o, rc, "peering: %s", tr_strerror(rc));
  n->rpc.peering = n->peering;
  json_t *peers = config_get(cfg, "Peering.Peers");
  if (peers && !json_is_null(peers) && !json_is_array(peers))
    return node__fail(o, TR_ECONFIG, "Peering.Peers: expected a list");
  size_t i;
  json_t *v;
  json_array_foreach(peers, i, v) {
    const char *id = json_string_value(json_object_get(v, "ID"));
    json_t *addrs = json_object_get(v, "Addrs");
    const char *a[NET_DIAL_ADDRS];
    size_t na = 0, j;
    json_t *av;
    net_peerid_t peer;
    if (!id || net_peerid_parse(&peer, id, strlen(id)))
      return node__fail(o, TR_ECONFIG, "Peering.Peers[%zu]: bad ID", i);
    if (addrs && !json_is_null(addrs) &&
        (!json_is_array(addrs) || json_array_size(addrs) > NET_DIAL_ADDRS))
      return node__fail(o, TR_ECONFIG,
                        "Peering.Peers[%zu]: Addrs: expected a list of at "
                        "most %d addresses", i, NET_DIAL_ADDRS);
    json_array_foreach(addrs, j, av) {
      uint8_t b[NET_MA_MAX];
      const char *s = json_string_value(av);
      if (!s || net_ma_parse(s, strlen(s), b, sizeof b) < 0)
        return node__fail(o, TR_ECONFIG,
                          "Peering.Peers[%zu]: Addrs[%zu]: not a multiaddr",
                          i, j);
      a[na++] = s;
    }
    if ((rc = net_peering_add(n->peering, &peer, a, na)))
      return node__fail(o, rc, "Peering.Peers[%zu]: %s", i,
                        rc == TR_EUSAGE ? "this node's own ID"
                                        : tr_strerror(rc));
  }
  return 0;
}

/* The strings of the list at key into out[0..max) (borrowed from cfg);
 * -1 when it is neither absent, null nor a list of strings. */
static int str_list(json_t *cfg, const char *key, const char **out,
                    size_t max) {
  json_t *a = config_get(cfg, key), *v;
  size_t i, n = 0;
  if (!a || json_is_null(a))
    return 0;
  if (!json_is_array(a) || json_array_size(a) > max)
    return -1;
  json_array_foreach(a, i, v) {
    if (!json_is_string(v))
      return -1;
    out[n++] = json_string_value(v);
  }
  return (int)n;
}

/* Kubo's Addresses.Announce, AppendAnnounce, NoAnnounce and
 * Swarm.AddrFilters (net/addrpolicy.h); a bad entry stops the start, as
 * in Kubo. */
static int addr_policy(node_t *n, const node_daemon_opts_t *o, json_t *cfg) {
  enum { MAX = 256 };
  static const char *const keys[] = {"Addresses.Announce",
                                     "Addresses.AppendAnnounce",
                                     "Addresses.NoAnnounce",
                                     "Swarm.AddrFilters"};
  const char *l[4][MAX];
  int c[4];
  for (int k = 0; k < 4; k++)
    if ((c[k] = str_list(cfg, keys[k], l[k], MAX)) < 0)
      return node__fail(o, TR_ECONFIG, "%s: expected a list of at most %d "
                        "addresses", keys[k], MAX);
  char err[600];
  int rc = net_ap_init(&n->policy, l[0], (size_t)c[0], l[1], (size_t)c[1],
                       l[2], (size_t)c[2], l[3], (size_t)c[3], err,
                       sizeof err);
  if (rc)
    return node__fail(o, rc == TR_EUSAGE ? TR_ECONFIG : rc, "%s",
                      rc == TR_EUSAGE ? err : tr_strerror(rc));
  return 0;
}

/* The libp2p host on Addresses.Swarm (TCP and WebSocket ones; QUIC and
 * others are skipped), printing where it listens and what it announces
 * as Kubo does. */
int node__start_swarm(node_t *n, const node_daemon_opts_t *o, json_t *cfg,
                      const node_identity_t *id) {
  net_host_limits_t lim;
  net_cm_cfg_t cm;
  int rc = swarm_limits(o, cfg, &lim, &cm);
  if (rc)
    return rc;
  memcpy(n->key.sk, id->sk, sizeof n->key.sk);
  n->rpc.key = &n->key;
  /* Kubo's Flag: on unless false. */
  bool ws = !json_is_false(
      config_get(cfg, "Swarm.Transports.Network.Websocket"));
  if ((rc = addr_policy(n, o, cfg)))
    return rc;
  net_host_opts_t ho = {.key = &n->key, .agent = "trove/" TROVE_VERSION,
                        .limits = &lim, .connmgr = &cm,
                        .psk = n->has_psk ? n->psk : NULL, .no_ws = !ws,
                        .policy = &n->policy};
  rc = net_host_new(&n->loop, &ho, &n->host);
  n->rpc.policy = &n->policy;
  if (rc)
    return node__fail(o, rc, "swarm: %s", tr_strerror(rc));
  /* /dnsaddr for the Bootstrap list (node__start_dht) and swarm connect. */
  if ((rc = dns_dnsaddr_new(&n->loop, &n->dnsaddr)))
    return node__fail(o, rc, "dns: %s", tr_strerror(rc));
  n->rpc.dnsaddr = n->dnsaddr;
  if (n->has_psk) {
    /* Kubo's lines, so that operators and scripts see the same. */
    uint8_t fp[NET_PNET_FP_LEN];
    char hex[2 * NET_PNET_FP_LEN + 1];
    if ((rc = net_pnet_fingerprint(n->psk, fp)))
      return node__fail(o, rc, "swarm: %s", tr_strerror(rc));
    tr_hex(fp, sizeof fp, hex);
    printf("Swarm is limited to private network of peers with the swarm key\n"
           "Swarm key fingerprint: %s\n", hex);
  }
  n->rpc.host = n->host;
  json_t *sw = config_get(cfg, "Addresses.Swarm");
  size_t i;
  json_t *v;
  json_array_foreach(sw, i, v) {
    const char *a = json_string_value(v);
    if (!a)
      continue;
    rc = net_host_listen(n->host, a);
    if (rc == TR_ENOTRANSPORT)
      continue;
    /* Not fatal (Kubo's is): the gateway and API serve without a swarm,
     * and a second node on one machine keeps working with port 4001 taken. */
    if (rc)
      tr_log(TR_LOG_WARN, "swarm: cannot listen on %s: %s", a,
             rc > -40000 ? uv_strerror(rc) : tr_strerror(rc));
  }
  char (*addrs)[NET_MA_STR_MAX / 16] = tr_malloc(32 * sizeof *addrs);
  if (!addrs)
    return node__fail(o, -ENOMEM, "out of memory");
  size_t k = net_host_addrs(n->host, addrs, 32);
  for (size_t j = 0; j < k && j < 32; j++)
    printf("Swarm listening on %s\n", addrs[j]);
  k = net_host_announce_addrs(n->host, addrs, 32);
  for (size_t j = 0; j < k && j < 32; j++)
    printf("Swarm announcing %s\n", addrs[j]);
  tr_free(addrs);
  /* Discovery.MDNS.Enabled: on only when set (Kubo's default is on; an
   * archive's server has no link neighbours to find, and the server
   * profile turns it off). */
  if (json_is_true(config_get(cfg, "Discovery.MDNS.Enabled")) &&
      (rc = node_mdns_start(&n->loop, n->host, &n->mdns)))
    tr_log(TR_LOG_WARN, "mdns: cannot start: %s",
           rc > -40000 ? uv_strerror(rc) : tr_strerror(rc));
  /* Libp2p stream mounting (`p2p`): the table is always there, empty
   * until `p2p listen|forward`; the API checks
   * Experimental.Libp2pStreamMounting each time, as Kubo.
   * TROVE_P2P_STREAMS_MAX: the tests' way to a small bound. */
  const char *sm = getenv("TROVE_P2P_STREAMS_MAX");
  if ((rc = p2pm_new(&n->loop, n->host,
                     sm ? (uint32_t)strtoul(sm, NULL, 10) : 0, &n->p2pm)))
    return node__fail(o, rc, "p2p: %s", tr_strerror(rc));
  n->rpc.p2p = p2pm_rpc(n->p2pm);
  return start_peering(n, o, cfg);
}

/* Kubo's auto mode: the WAN DHT serves while the node is reachable. */
static void reach_changed(net_autonat_t *an, net_reach_t r, void *ud) {
  (void)an;
  node_t *n = ud;
  if (n->dht_wan && n->wan_auto &&
      dht_swarm_set_server(n->dht_wan, r == NET_REACH_PUBLIC))
    tr_log(TR_LOG_WARN, "dht: cannot switch the WAN DHT's mode");
}

/* AutoNAT on the host (net/autonat.h): the client always, the v2 server
 * unless AutoNAT.ServiceMode is "disabled" (Kubo's modes; unset is
 * enabled, as Kubo).  AutoNAT.AllowPrivateAddrs (trove's, for tests on
 * private networks) lets it test and dial private addresses. */
int node__start_autonat(node_t *n, const node_daemon_opts_t *o,
                        json_t *cfg) {
  json_t *m = config_get(cfg, "AutoNAT.ServiceMode");
  const char *mode = json_is_null(m) || !m ? "" : json_string_value(m);
  net_autonat_opts_t ao = {.client = true};
  if (!mode)
    return node__fail(o, TR_ECONFIG, "AutoNAT.ServiceMode: expected a string");
  if (!*mode || !strcmp(mode, "enabled"))
    ao.service = true;
  else if (!strcmp(mode, "legacy-v1"))
    tr_log(TR_LOG_WARN, "AutoNAT.ServiceMode legacy-v1: trove speaks AutoNAT "
                        "v2 only; the service is off");
  else if (strcmp(mode, "disabled"))
    return node__fail(o, TR_ECONFIG, "AutoNAT.ServiceMode: unknown autonat "
                      "mode: %s", mode);
  ao.allow_private = json_is_true(config_get(cfg, "AutoNAT.AllowPrivateAddrs"));
  ao.on_change = reach_changed;
  ao.data = n;
  int rc = net_autonat_new(n->host, &ao, &n->autonat);
  if (rc)
    return node__fail(o, rc, "autonat: %s", tr_strerror(rc));
  n->rpc.autonat = n->autonat;
  return 0;
}

/* The IPNS republisher (republish.h) every Ipns.RepublishPeriod (Kubo's
 * 4 h; the first one a minute after start, as Kubo's): our keys' records
 * re-signed, so that they never expire while the node runs; the records
 * held for other names put again as they are while they are valid. */
static void republish(uv_timer_t *t) {
  node_t *n = t->data;
  node_republish_t p = {n->repo, &n->key, n->lifetime_ns, n->dht_lan,
                        n->dht_wan};
  node_republish(&p, NULL);
}

static int start_republisher(node_t *n, const node_daemon_opts_t *o,
                             json_t *cfg) {
  uint32_t period = 0;
  uint64_t life = DHT_NAME_LIFETIME_NS;
  json_t *lt = config_get(cfg, "Ipns.RecordLifetime");
  if (config_duration_ms(cfg, "Ipns.RepublishPeriod", &period) ||
      (json_string_value(lt) &&
       tr_parse_duration(json_string_value(lt), &life)))
    return node__fail(o, TR_ECONFIG, "Ipns: bad RepublishPeriod or "
                      "RecordLifetime");
  n->republish_ms = period ? period : DHT_NAME_REPUBLISH_MS;
  n->lifetime_ns = life;
  /* Kubo 0.43 refuses this too: our records would expire between two
   * republishings. */
  if (life / 1000000u < n->republish_ms)
    return node__fail(o, TR_ECONFIG, "config setting Ipns.RecordLifetime "
                      "(%llu s) must be >= Ipns.RepublishPeriod (%llu s), "
                      "otherwise records expire before they are republished",
                      (unsigned long long)(life / 1000000000u),
                      (unsigned long long)(n->republish_ms / 1000u));
  int rc = uv_timer_init(&n->loop, &n->republish);
  if (rc)
    return node__fail(o, rc, "timer: %s", uv_strerror(rc));
  n->republish.data = n;
  uint64_t first = 60000 < n->republish_ms ? 60000 : n->republish_ms;
  uv_timer_start(&n->republish, republish, first, n->republish_ms);
  return 0;
}

/* The reprovider (dht/reprov.h): a sweep per DHT over what
 * Provide.Strategy names (Kubo's; Reprovider.Strategy, its older name, is
 * read too), every Provide.DHT.Interval (Reprovider.Interval; "0"
 * disables it, as Kubo). */
static int start_reprovider(node_t *n, const node_daemon_opts_t *o,
                            json_t *cfg) {
  json_t *st = config_get(cfg, "Provide.Strategy");
  if (!json_is_string(st))
    st = config_get(cfg, "Reprovider.Strategy");
  dht_provide_strategy_t strategy;
  if (dht_provide_strategy(json_string_value(st), &strategy))
    return node__fail(o, TR_ECONFIG, "Provide.Strategy: unknown strategy "
                      "%s (all, pinned or roots)", json_string_value(st));
  json_t *iv = config_get(cfg, "Provide.DHT.Interval");
  if (!json_is_string(iv))
    iv = config_get(cfg, "Reprovider.Interval");
  uint64_t ns = 22ull * 3600 * 1000000000;
  if (json_is_string(iv) && strcmp(json_string_value(iv), "0") &&
      tr_parse_duration(json_string_value(iv), &ns))
    return node__fail(o, TR_ECONFIG, "Provide.DHT.Interval: bad duration");
  /* "0", or any zero duration ("0s": the announce-off profile's), turns
   * reproviding off, as Kubo; so does Provide.Enabled false. */
  if ((json_is_string(iv) && !strcmp(json_string_value(iv), "0")) || !ns ||
      n->rpc.provide_off)
    return 0;
  dht_swarm_t *both[2] = {n->dht_lan, n->dht_wan};
  for (int i = 0; i < 2; i++) {
    int rc = both[i] ? dht_reprov_new(&n->loop, both[i], n->env, strategy,
                                      ns / 1000000, &n->reprov[i])
                     : 0;
    if (rc)
      return node__fail(o, rc, "reprovider: %s", tr_strerror(rc));
    n->rpc.reprov[i] = n->reprov[i];
  }
  return 0;
}

/* The DHTs (dht/swarm.h), as Kubo's dual DHT: the LAN one (private
 * addresses; loopback ones too with Routing.LoopbackAddressesOnLanDHT)
 * serves unless Routing.Type is dhtclient; the WAN one serves only with
 * dhtserver (Kubo's auto mode would switch it on once AutoNAT says the
 * node is reachable: not yet done here).  "none" and "delegated" (the
 * HTTP routers only: node__start_deleg) run neither.  The Bootstrap peers are
 * dialled (bootstrap.h), at start and again while we have few peers;
 * identify puts them in the tables. */
int node__start_dht(node_t *n, const node_daemon_opts_t *o, json_t *cfg) {
  json_t *t = config_get(cfg, "Routing.Type");
  const char *type = !t || json_is_null(t) ? "auto" : json_string_value(t);
  if (!type)
    return node__fail(o, TR_ECONFIG, "Routing.Type: expected a string");
  bool lan_server = true, wan_server = false;
  n->wan_auto = false;
  if (!strcmp(type, "none") || !strcmp(type, "delegated"))
    return 0;
  if (!strcmp(type, "dhtclient") || !strcmp(type, "autoclient"))
    lan_server = false;
  else if (!strcmp(type, "dhtserver"))
    wan_server = true;
  else if (strcmp(type, "auto") && strcmp(type, "dht"))
    return node__fail(o, TR_ECONFIG, "Routing.Type: unknown routing type: "
                      "%s", type);
  else
    n->wan_auto = true;
  dht_swarm_opts_t so = {
      .lan = true,
      .loopback = json_is_true(
          config_get(cfg, "Routing.LoopbackAddressesOnLanDHT")),
      .server = lan_server,
      .validate = dht_record_validate,
      .select = dht_record_select};
  int rc = dht_swarm_new(&n->loop, n->host, &so, &n->dht_lan);
  if (!rc) {
    so.lan = false, so.loopback = false, so.server = wan_server;
    rc = dht_swarm_new(&n->loop, n->host, &so, &n->dht_wan);
  }
  if (rc)
    return node__fail(o, rc, "dht: %s", tr_strerror(rc));
  n->rpc.dht_lan = n->dht_lan;
  n->rpc.dht_wan = n->dht_wan;
  if (n->autonat)
    reach_changed(n->autonat, net_autonat_reachability(n->autonat), n);
  dht_swarm_t *both[2] = {n->dht_lan, n->dht_wan};
  if ((rc = dht_provq_new(&n->loop, both, 2, &n->provq)))
    return node__fail(o, rc, "dht: %s", tr_strerror(rc));
  /* Kubo's Provide.Enabled (a Flag: on unless false) turns the whole
   * provide system off: no announce at add, no reprovider. */
  n->rpc.provide_off = json_is_false(config_get(cfg, "Provide.Enabled"));
  if (!n->rpc.provide_off) {
    n->rpc.announce = dht_provq_push;
    n->rpc.announce_ud = n->provq;
  }
  n->rpc.provq = n->provq;
  if ((rc = start_republisher(n, o, cfg)))
    return rc;
  if ((rc = start_reprovider(n, o, cfg)))
    return rc;
  dht_restore(n);
  if ((rc = uv_timer_init(&n->loop, &n->snapshot)))
    return node__fail(o, rc, "timer: %s", uv_strerror(rc));
  n->snapshot.data = n;
  uv_timer_start(&n->snapshot, snapshot, SNAPSHOT_MS, SNAPSHOT_MS);
  /* TROVE_BOOTSTRAP_PERIOD_MS: the tests' way to a round sooner. */
  const char *env = getenv("TROVE_BOOTSTRAP_PERIOD_MS");
  uint64_t period = env ? strtoull(env, NULL, 10) : 0;
  /* "auto" (Kubo 0.43's default) stands for AutoConf's fallback peers:
   * trove fetches no autoconf file (config/profile.h). */
  json_t *boot = config_bootstrap_expand(config_get(cfg, "Bootstrap"));
  if (!boot)
    return node__fail(o, -ENOMEM, "bootstrap: out of memory");
  rc = node_boot_start(&n->loop, n->host, n->dnsaddr, boot, period, &n->boot);
  json_decref(boot);
  if (rc)
    return node__fail(o, rc, "bootstrap: %s", tr_strerror(rc));
  return 0;
}

/* Routing.DelegatedRouters, asked beside the DHTs as Kubo does: with
 * Routing.Type auto (the default), autoclient and delegated; "none" and
 * the dht types use no HTTP router. */
int node__start_deleg(node_t *n, const node_daemon_opts_t *o, json_t *cfg) {
  const char *type = json_string_value(config_get(cfg, "Routing.Type"));
  if (type && strcmp(type, "auto") && strcmp(type, "autoclient") &&
      strcmp(type, "delegated"))
    return 0;
  int rc = node_deleg_new(&n->loop, cfg, &n->deleg);
  if (rc)
    return node__fail(o, rc, "Routing.DelegatedRouters: %s",
                      rc == TR_ECONFIG ? "expected a list of URLs"
                                       : tr_strerror(rc));
  if (!n->deleg && type && !strcmp(type, "delegated"))
    tr_log(TR_LOG_WARN, "Routing.Type is delegated but no http:// router is "
                        "in Routing.DelegatedRouters: no routing");
  if (n->deleg) { /* the routing commands ask them too */
    node_deleg_rpc_router(n->deleg, &n->rpc_router);
    n->rpc.router = &n->rpc_router;
  }
  return 0;
}

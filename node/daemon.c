/*
 * daemon.c — the daemon's start-up, main loop and shutdown (see daemon.h).
 */
#include "daemon.h"
#include "mirror.h"
#include "obs_mirror.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "../blockstore/bs.h"
#include "../config/config.h"
#include "../dht/ipns.h"
#include "../dht/name.h"
#include "../dht/persist.h"
#include "../dht/provq.h"
#include "../dht/reprov.h"
#include "../dht/swarm.h"
#include "../gateway/gateway.h"
#include "gwloops.h"
#include "../net/autonat.h"
#include "../net/host.h"
#include "../net/multiaddr.h"
#include "../net/pnet.h"
#include "../rpc/rpc.h"
#include "identity.h"
#include "obs.h"
#include "republish.h"
#include "bitswap.h"
#include "routing.h"
#include "scrub.h"

#define TROVE_VERSION "0.1.0"

int node_daemon_api(const char *repo, char *host, size_t hostsz, int *port) {
  char path[4096], maddr[256] = "";
  snprintf(path, sizeof path, "%s/api", repo);
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  if (!fgets(maddr, sizeof maddr, f))
    maddr[0] = 0;
  fclose(f);
  maddr[strcspn(maddr, "\r\n")] = 0;
  if (node_maddr_tcp(maddr, host, hostsz, port))
    return 0;
  /* A stale file from a killed daemon: only a listener that answers
   * counts. */
  int fd = socket(strchr(host, ':') ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return 0;
  int ok;
  if (strchr(host, ':')) {
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)*port)};
    inet_pton(AF_INET6, host, &sa.sin6_addr);
    ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
  } else {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)*port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
  }
  close(fd);
  return ok;
}

/* ------------------------------------------------------------------ node */

typedef struct node {
  uv_loop_t loop;
  uv_signal_t sigint, sigterm;
  http_server_t *gateway, *api;
  net_host_t *host;
  net_autonat_t *autonat;
  dht_swarm_t *dht_lan, *dht_wan;
  dht_provq_t *provq;   /* announces new roots */
  dht_reprov_t *reprov[2]; /* the LAN and WAN sweeps */
  bool wan_auto; /* the WAN DHT serves when AutoNAT says Public */
  uv_timer_t republish; /* re-signs our IPNS records (republish.h) */
  uint64_t republish_ms, lifetime_ns;
  uv_timer_t snapshot; /* the DHTs' state into the repo */
  uv_work_t snap_work;
  bool snap_busy;
  tr_bytes_t snap[2];
  net_privkey_t key; /* the identity, for the host and IPNS records */
  node_deleg_t *deleg;    /* Routing.DelegatedRouters, or NULL */
  rpc_router_t rpc_router; /* deleg for the RPC API (n->rpc.router) */
  node_routing_t routing; /* the gateway's /routing/v1 on the DHTs */
  node_bitswap_t bitswap; /* and the fetcher of the gateway and API */
  node_scrub_t scrub;     /* Mirror.Scrub: rehash and repair */
  gw_ctx_t gw;   /* the gateway's context */
  int gw_threads;             /* Gateway.Threads: loops serving the gateway */
  http_ipshare_t *gw_share;   /* their per-address table (threads > 1) */
  node_gwloops_t *gwloops;    /* the loops beside the main one, or NULL */
  char gw_host[64];
  gw_dnslink_t dnslink; /* its DNSLink names (node_dnslink_wire) */
  gw_hosts_t gw_hosts;  /* and its hosts (Gateway.PublicGateways) */
  rpc_ctx_t rpc; /* the API's */
  node_obs_t *obs; /* metrics and the status page (node/obs.h) */
  node_mirror_t mirror; /* the Pinning Service API and its engine */
  char pubkey[64]; /* base64 of the PublicKey protobuf, for `id` */
  bs_env_t *env;
  char repo[4096];
  bool has_psk; /* <repo>/swarm.key: a private network */
  uint8_t psk[NET_PNET_KEY_LEN];
  bool stopping;
  bool ready; /* start-up is over: a stop is news worth a log line */
} node_t;

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
static void dht_save_now(node_t *n) {
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

static void stop_node(node_t *n) {
  if (n->stopping)
    return;
  n->stopping = true;
  node_dnslink_stop(&n->dnslink);
  if (n->ready)
    tr_log(TR_LOG_INFO, "shutting down");
  /* The other gateway loops first: their requests' fetches and lookups
   * are relayed to the main loop's fetcher and router, still up here. */
  node_gwloops_stop(n->gwloops);
  if (n->gateway)
    http_server_stop(n->gateway, NULL, NULL);
  if (n->api)
    http_server_stop(n->api, NULL, NULL);
  n->gateway = n->api = NULL;
  node_obs_stop(n->obs);
  n->rpc.host = NULL; /* swarm commands from now on: offline */
  n->rpc.autonat = NULL;
  n->rpc.dht_lan = n->rpc.dht_wan = NULL;
  n->rpc.router = NULL;
  n->rpc.announce = NULL;
  dht_save_now(n);
  if (n->snapshot.loop && !uv_is_closing((uv_handle_t *)&n->snapshot))
    uv_close((uv_handle_t *)&n->snapshot, NULL);
  /* The provide queue uses the DHTs, the DHTs and AutoNAT the host: they
   * go first. */
  dht_provq_close(n->provq); /* freed after the loop (dht_provq_free) */
  n->rpc.reprov[0] = n->rpc.reprov[1] = NULL;
  for (int i = 0; i < 2; i++) {
    dht_reprov_close(n->reprov[i]);
    n->reprov[i] = NULL;
  }
  if (n->republish.loop && !uv_is_closing((uv_handle_t *)&n->republish))
    uv_close((uv_handle_t *)&n->republish, NULL);
  node_routing_stop(&n->routing); /* its lookups are on the DHTs */
  node_mirror_stop(&n->mirror); /* its fetches are bitswap's */
  node_scrub_stop(&n->scrub); /* its repairs use the fetcher */
  node_bitswap_stop(&n->bitswap, &n->gw, &n->rpc); /* so are its searches */
  node_deleg_free(n->deleg); /* both routings' lookups have ended */
  n->deleg = NULL;
  dht_swarm_close(n->dht_lan);
  dht_swarm_close(n->dht_wan);
  n->dht_lan = n->dht_wan = NULL;
  net_autonat_close(n->autonat);
  n->autonat = NULL;
  if (n->host)
    net_host_close(n->host, NULL, NULL);
  n->host = NULL;
  /* The signal handlers stay (unref'd: the loop may end; closed with the
   * rest after it): closing one restores the default action, and a second
   * SIGTERM - `timeout` sends one to the process and one to its group -
   * then killed the daemon mid-shutdown (exit 143 in it_dht_net). */
  if (n->sigint.loop)
    uv_unref((uv_handle_t *)&n->sigint);
  if (n->sigterm.loop)
    uv_unref((uv_handle_t *)&n->sigterm);
}

static void on_signal(uv_signal_t *s, int signum) {
  node_t *n = s->data;
  tr_log(TR_LOG_INFO, "received signal %d%s", signum,
         n->stopping ? " (already shutting down)" : "");
  stop_node(n);
}

static void on_shutdown(void *ud) { stop_node(ud); }

/* Start-up failures are said once, by the caller (cli: "trove: daemon:
 * ..."), from the opts' buffer; logged only when there is none. */
static int startup_fail(const node_daemon_opts_t *o, int rc, const char *fmt,
                        ...) TR_PRINTF(3, 4);
static int startup_fail(const node_daemon_opts_t *o, int rc, const char *fmt,
                        ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (o->err && o->errsz)
    snprintf(o->err, o->errsz, "%s", msg);
  else
    tr_log(TR_LOG_ERROR, "%s", msg);
  return rc;
}

/* The Pinning Service API and its engine (node/mirror.h), on its own
 * listener too when Mirror.PinningAPI.Address is set. */
static int start_mirror(node_t *n, const node_daemon_opts_t *o, json_t *cfg,
                        const node_identity_t *id) {
  const char *own = json_string_value(
      config_get(cfg, "Mirror.PinningAPI.Address"));
  char host[64];
  int port = 0;
  if (own && *own && node_maddr_tcp(own, host, sizeof host, &port))
    return startup_fail(o, TR_ECONFIG, "Mirror.PinningAPI.Address: not a "
                        "TCP multiaddr: %s", own);
  int rc = node_mirror_start(&n->mirror, &n->loop, n->env, n->rpc.fetcher,
                             n->host, id->peerid, cfg,
                             own && *own ? host : NULL, port, n->gw.router,
                             &n->rpc);
  return rc ? startup_fail(o, rc, "mirror: %s", tr_strerror(rc)) : 0;
}

/* The API listener: the Pinning Service API's /pins first, then the RPC
 * API. */
static void api_handle(http_req_t *req, void *ud) {
  node_t *n = ud;
  if (!node_mirror_handle(&n->mirror, req))
    rpc_api_handle(req, &n->rpc);
}

static int listen_on(node_t *n, const node_daemon_opts_t *o, const char *maddr,
                     http_handler_fn fn, void *ud, const http_limits_t *lim,
                     const http_listen_t *lo, http_server_t **srv, char *out,
                     size_t outsz, const char *what, char host[64]) {
  int port;
  if (node_maddr_tcp(maddr, host, 64, &port))
    return startup_fail(o, TR_EUSAGE, "%s: not a TCP multiaddr: %s", what,
                        maddr);
  int rc = http_server_start_ex(&n->loop, host, port, lim, fn, ud, lo, srv);
  if (rc)
    return startup_fail(o, rc, "%s: cannot listen on %s: %s", what, maddr,
                        uv_strerror(rc));
  snprintf(out, outsz, "/%s/%s/tcp/%d", strchr(host, ':') ? "ip6" : "ip4",
           host, http_server_port(*srv));
  return 0;
}

static void walk_close(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

/* <repo>/daemon.lock, held with flock for the daemon's life.  Taken only
 * once the repo is known to exist, so that a mistyped --repo leaves nothing
 * behind. */
static int take_lock(const node_daemon_opts_t *o, const char *repo,
                     int *fdp) {
  char path[4200];
  snprintf(path, sizeof path, "%s/daemon.lock", repo);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return startup_fail(o, -errno, "cannot open %s: %s", path,
                        strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB)) {
    int e = errno;
    close(fd);
    if (e == EWOULDBLOCK)
      return startup_fail(o, TR_EEXIST, "another daemon is running on %s",
                          repo);
    return startup_fail(o, -e, "cannot lock %s: %s", path, strerror(e));
  }
  *fdp = fd;
  return 0;
}

/* Write <repo>/api, by which the CLI finds the daemon: a daemon the CLI
 * cannot find would be bypassed (commands would open the repo directly). */
static int write_api_file(const node_daemon_opts_t *o, const char *repo,
                          const char *maddr) {
  char path[4200];
  snprintf(path, sizeof path, "%s/api", repo);
  FILE *f = fopen(path, "w");
  if (!f)
    return startup_fail(o, -errno, "cannot write %s: %s", path,
                        strerror(errno));
  int ok = fprintf(f, "%s\n", maddr) > 0;
  if (fclose(f) || !ok) {
    unlink(path);
    return startup_fail(o, -EIO, "cannot write %s", path);
  }
  return 0;
}

static int start_signals(node_t *n, const node_daemon_opts_t *o) {
  int rc = uv_signal_init(&n->loop, &n->sigint);
  if (!rc)
    rc = uv_signal_init(&n->loop, &n->sigterm);
  n->sigint.data = n->sigterm.data = n;
  if (!rc)
    rc = uv_signal_start(&n->sigint, on_signal, SIGINT);
  if (!rc)
    rc = uv_signal_start(&n->sigterm, on_signal, SIGTERM);
  return rc ? startup_fail(o, rc, "cannot watch signals: %s", uv_strerror(rc))
            : 0;
}

/* Gateway limits from the config (Kubo-style keys under Gateway.). */
static int gateway_limits(const node_daemon_opts_t *o, json_t *cfg,
                          http_limits_t *glim) {
  http_limits_default(glim);
  /* Gateway.RateLimit: requests per second per client address (burst
   * twice that); 0 lifts the limit, e.g. for a benchmark or behind a
   * reverse proxy that already limits, where every client is 127.0.0.1. */
  json_t *rl = config_get(cfg, "Gateway.RateLimit");
  if (json_is_integer(rl) && json_integer_value(rl) >= 0 &&
      json_integer_value(rl) <= 1000000) {
    glim->rate_per_ip = (uint32_t)json_integer_value(rl);
    glim->rate_burst = 2 * glim->rate_per_ip;
  }
  /* Timeouts, as Go durations ("30s", "500ms", "2m"): how long a request
   * may take to send its header, how long a request or response body may
   * make no progress (a client that stops reading, an HTTP/2 stream whose
   * window is never opened), and how long an idle keep-alive connection
   * is kept. */
  static const char *keys[] = {"Gateway.HeaderTimeout", "Gateway.SendTimeout",
                               "Gateway.IdleTimeout"};
  uint32_t *vals[] = {&glim->header_timeout_ms, &glim->body_timeout_ms,
                      &glim->idle_timeout_ms};
  for (int i = 0; i < 3; i++)
    if (config_duration_ms(cfg, keys[i], vals[i]))
      return startup_fail(o, TR_ECONFIG,
                          "%s: expected a duration such as \"30s\"", keys[i]);
  return 0;
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
      return startup_fail(o, TR_ECONFIG,
                          "%s: expected a duration such as \"30s\"", keys[i]);
  json_t *r = config_get(cfg, "Swarm.MaxRecvRate");
  if (json_is_integer(r) && json_integer_value(r) >= 0)
    lim->recv_rate = (uint64_t)json_integer_value(r);
  else if (r && !json_is_null(r) &&
           tr_parse_rate(json_string_value(r), &lim->recv_rate))
    return startup_fail(o, TR_ECONFIG, "Swarm.MaxRecvRate: expected bytes "
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
    return startup_fail(o, TR_ECONFIG,
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
      return startup_fail(o, TR_ECONFIG, "%s: expected a count", wkeys[i]);
    *wvals[i] = (uint32_t)json_integer_value(v);
  }
  if (cm->enabled && (cm->high == 0 || cm->low > cm->high))
    return startup_fail(o, TR_ECONFIG, "Swarm.ConnMgr: LowWater (%u) must "
                        "not exceed HighWater (%u), which must be positive",
                        cm->low, cm->high);
  return 0;
}

/* <repo>/swarm.key, as Kubo reads $IPFS_PATH/swarm.key: none means the
 * public network, unless LIBP2P_FORCE_PNET=1 (go-libp2p's switch) demands
 * a private one; a key that cannot be read or parsed stops the daemon. */
static int read_swarm_key(node_t *n, const node_daemon_opts_t *o) {
  char path[4200];
  snprintf(path, sizeof path, "%s/swarm.key", n->repo);
  const char *force = getenv("LIBP2P_FORCE_PNET");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    if (force && !strcmp(force, "1"))
      return startup_fail(o, TR_ECONFIG,
                          "privnet: private network was not configured but "
                          "is enforced by the environment");
    return 0;
  }
  if (fd < 0)
    return startup_fail(o, -errno,
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
      return startup_fail(o, -e,
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
    return startup_fail(o, rc,
                        "failed to configure private network: %s: %s", path,
                        why);
  n->has_psk = true;
  return 0;
}

/* The libp2p host on Addresses.Swarm (TCP ones; QUIC and others are
 * skipped), printing where it listens as Kubo does. */
static int start_swarm(node_t *n, const node_daemon_opts_t *o, json_t *cfg,
                       const node_identity_t *id) {
  net_host_limits_t lim;
  net_cm_cfg_t cm;
  int rc = swarm_limits(o, cfg, &lim, &cm);
  if (rc)
    return rc;
  memcpy(n->key.sk, id->sk, sizeof n->key.sk);
  n->rpc.key = &n->key;
  net_host_opts_t ho = {.key = &n->key, .agent = "trove/" TROVE_VERSION,
                        .limits = &lim, .connmgr = &cm,
                        .psk = n->has_psk ? n->psk : NULL};
  rc = net_host_new(&n->loop, &ho, &n->host);
  if (rc)
    return startup_fail(o, rc, "swarm: %s", tr_strerror(rc));
  if (n->has_psk) {
    /* Kubo's lines, so that operators and scripts see the same. */
    uint8_t fp[NET_PNET_FP_LEN];
    char hex[2 * NET_PNET_FP_LEN + 1];
    if ((rc = net_pnet_fingerprint(n->psk, fp)))
      return startup_fail(o, rc, "swarm: %s", tr_strerror(rc));
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
    if (rc == TR_ENOPROTO)
      continue;
    /* Not fatal (Kubo's is): the gateway and API serve without a swarm,
     * and a second node on one machine keeps working with port 4001 taken. */
    if (rc)
      tr_log(TR_LOG_WARN, "swarm: cannot listen on %s: %s", a,
             rc > -40000 ? uv_strerror(rc) : tr_strerror(rc));
  }
  char (*addrs)[NET_MA_STR_MAX / 16] = tr_malloc(32 * sizeof *addrs);
  if (!addrs)
    return startup_fail(o, -ENOMEM, "out of memory");
  size_t k = net_host_addrs(n->host, addrs, 32);
  for (size_t j = 0; j < k && j < 32; j++)
    printf("Swarm listening on %s\n", addrs[j]);
  tr_free(addrs);
  return 0;
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
static int start_autonat(node_t *n, const node_daemon_opts_t *o,
                         json_t *cfg) {
  json_t *m = config_get(cfg, "AutoNAT.ServiceMode");
  const char *mode = json_is_null(m) || !m ? "" : json_string_value(m);
  net_autonat_opts_t ao = {.client = true};
  if (!mode)
    return startup_fail(o, TR_ECONFIG, "AutoNAT.ServiceMode: expected a string");
  if (!*mode || !strcmp(mode, "enabled"))
    ao.service = true;
  else if (!strcmp(mode, "legacy-v1"))
    tr_log(TR_LOG_WARN, "AutoNAT.ServiceMode legacy-v1: trove speaks AutoNAT "
                        "v2 only; the service is off");
  else if (strcmp(mode, "disabled"))
    return startup_fail(o, TR_ECONFIG, "AutoNAT.ServiceMode: unknown autonat "
                        "mode: %s", mode);
  ao.allow_private = json_is_true(config_get(cfg, "AutoNAT.AllowPrivateAddrs"));
  ao.on_change = reach_changed;
  ao.data = n;
  int rc = net_autonat_new(n->host, &ao, &n->autonat);
  if (rc)
    return startup_fail(o, rc, "autonat: %s", tr_strerror(rc));
  n->rpc.autonat = n->autonat;
  return 0;
}

static void bootstrap_dialled(net_host_t *h, int status,
                              const net_peerid_t *peer, void *ud) {
  (void)h, (void)peer;
  if (status)
    tr_log(TR_LOG_INFO, "bootstrap: cannot reach %s: %s", (const char *)ud,
           tr_strerror(status));
  tr_free(ud);
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
    return startup_fail(o, TR_ECONFIG, "Ipns: bad RepublishPeriod or "
                        "RecordLifetime");
  n->republish_ms = period ? period : DHT_NAME_REPUBLISH_MS;
  n->lifetime_ns = life;
  int rc = uv_timer_init(&n->loop, &n->republish);
  if (rc)
    return startup_fail(o, rc, "timer: %s", uv_strerror(rc));
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
    return startup_fail(o, TR_ECONFIG, "Provide.Strategy: unknown strategy "
                        "%s (all, pinned or roots)", json_string_value(st));
  json_t *iv = config_get(cfg, "Provide.DHT.Interval");
  if (!json_is_string(iv))
    iv = config_get(cfg, "Reprovider.Interval");
  uint64_t ns = 22ull * 3600 * 1000000000;
  if (json_is_string(iv) && strcmp(json_string_value(iv), "0") &&
      tr_parse_duration(json_string_value(iv), &ns))
    return startup_fail(o, TR_ECONFIG, "Provide.DHT.Interval: bad duration");
  if (json_is_string(iv) && !strcmp(json_string_value(iv), "0"))
    return 0; /* reproviding off */
  dht_swarm_t *both[2] = {n->dht_lan, n->dht_wan};
  for (int i = 0; i < 2; i++) {
    int rc = both[i] ? dht_reprov_new(&n->loop, both[i], n->env, strategy,
                                      ns / 1000000, &n->reprov[i])
                     : 0;
    if (rc)
      return startup_fail(o, rc, "reprovider: %s", tr_strerror(rc));
    n->rpc.reprov[i] = n->reprov[i];
  }
  return 0;
}

/* The DHTs (dht/swarm.h), as Kubo's dual DHT: the LAN one (private
 * addresses; loopback ones too with Routing.LoopbackAddressesOnLanDHT)
 * serves unless Routing.Type is dhtclient; the WAN one serves only with
 * dhtserver (Kubo's auto mode would switch it on once AutoNAT says the
 * node is reachable: not yet done here).  "none" and "delegated" (the
 * HTTP routers only: start_deleg) run neither.  The Bootstrap peers are
 * dialled; identify puts them in the tables. */
static int start_dht(node_t *n, const node_daemon_opts_t *o, json_t *cfg) {
  json_t *t = config_get(cfg, "Routing.Type");
  const char *type = !t || json_is_null(t) ? "auto" : json_string_value(t);
  if (!type)
    return startup_fail(o, TR_ECONFIG, "Routing.Type: expected a string");
  bool lan_server = true, wan_server = false;
  n->wan_auto = false;
  if (!strcmp(type, "none") || !strcmp(type, "delegated"))
    return 0;
  if (!strcmp(type, "dhtclient") || !strcmp(type, "autoclient"))
    lan_server = false;
  else if (!strcmp(type, "dhtserver"))
    wan_server = true;
  else if (strcmp(type, "auto") && strcmp(type, "dht"))
    return startup_fail(o, TR_ECONFIG, "Routing.Type: unknown routing type: "
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
    return startup_fail(o, rc, "dht: %s", tr_strerror(rc));
  n->rpc.dht_lan = n->dht_lan;
  n->rpc.dht_wan = n->dht_wan;
  if (n->autonat)
    reach_changed(n->autonat, net_autonat_reachability(n->autonat), n);
  dht_swarm_t *both[2] = {n->dht_lan, n->dht_wan};
  if ((rc = dht_provq_new(&n->loop, both, 2, &n->provq)))
    return startup_fail(o, rc, "dht: %s", tr_strerror(rc));
  n->rpc.announce = dht_provq_push;
  n->rpc.announce_ud = n->provq;
  if ((rc = start_republisher(n, o, cfg)))
    return rc;
  if ((rc = start_reprovider(n, o, cfg)))
    return rc;
  dht_restore(n);
  if ((rc = uv_timer_init(&n->loop, &n->snapshot)))
    return startup_fail(o, rc, "timer: %s", uv_strerror(rc));
  n->snapshot.data = n;
  uv_timer_start(&n->snapshot, snapshot, SNAPSHOT_MS, SNAPSHOT_MS);
  json_t *boot = config_get(cfg, "Bootstrap");
  size_t i;
  json_t *v;
  json_array_foreach(boot, i, v) {
    const char *a = json_string_value(v);
    char *copy = a ? tr_malloc(strlen(a) + 1) : NULL;
    if (!copy)
      continue;
    strcpy(copy, a);
    rc = net_host_connect(n->host, a, bootstrap_dialled, copy);
    if (rc) {
      tr_log(TR_LOG_INFO, "bootstrap: cannot dial %s: %s", a, tr_strerror(rc));
      tr_free(copy);
    }
  }
  return 0;
}

/* Routing.DelegatedRouters, asked beside the DHTs as Kubo does: with
 * Routing.Type auto (the default), autoclient and delegated; "none" and
 * the dht types use no HTTP router. */
static int start_deleg(node_t *n, const node_daemon_opts_t *o, json_t *cfg) {
  const char *type = json_string_value(config_get(cfg, "Routing.Type"));
  if (type && strcmp(type, "auto") && strcmp(type, "autoclient") &&
      strcmp(type, "delegated"))
    return 0;
  int rc = node_deleg_new(&n->loop, cfg, &n->deleg);
  if (rc)
    return startup_fail(o, rc, "Routing.DelegatedRouters: %s",
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

int node_daemon_run(const node_daemon_opts_t *o) {
  /* The repo first: nothing is created in a directory that holds none. */
  json_t *cfg = NULL;
  int rc = config_load(o->repo, &cfg);
  if (rc == TR_ENOREPO)
    return startup_fail(o, rc, "no repo at %s (run 'trove init')", o->repo);
  if (rc)
    return startup_fail(o, rc, "reading the config of %s: %s", o->repo,
                        tr_strerror(rc));
  node_t *n = tr_calloc(1, sizeof *n);
  if (!n) {
    json_decref(cfg);
    return startup_fail(o, -ENOMEM, "out of memory");
  }
  snprintf(n->repo, sizeof n->repo, "%s", o->repo);
  /* A small pool: this is a 2-core class machine and workers mostly copy
   * from the page cache. */
  setenv("UV_THREADPOOL_SIZE", "4", 0);
  signal(SIGPIPE, SIG_IGN);

  int lockfd = -1;
  bool loop_ok = false;
  node_identity_t id;
  rc = take_lock(o, n->repo, &lockfd);
  if (!rc)
    rc = read_swarm_key(n, o);
  if (rc)
    goto out;
  rc = node_config_identity(cfg, &id);
  if (!rc)
    rc = bs_open(&n->env, n->repo, 0);
  if (rc) {
    startup_fail(o, rc, "opening repo %s: %s", n->repo, tr_strerror(rc));
    goto out;
  }
  rc = uv_loop_init(&n->loop);
  if (rc) {
    startup_fail(o, rc, "cannot start the event loop: %s", uv_strerror(rc));
    goto out;
  }
  loop_ok = true;
  n->gw.loop = &n->loop;
  n->gw.env = n->env;
  n->gw.version = TROVE_VERSION;
  uint8_t pub[36];
  node_pubkey_proto(&id, pub);
  sodium_bin2base64(n->pubkey, sizeof n->pubkey, pub, sizeof pub,
                    sodium_base64_VARIANT_ORIGINAL);
  n->rpc.loop = &n->loop;
  n->rpc.env = n->env;
  n->rpc.repo = n->repo;
  n->rpc.peerid = id.peerid;
  n->rpc.pubkey = n->pubkey;
  n->rpc.version = TROVE_VERSION;
  n->rpc.shutdown = on_shutdown;
  n->rpc.shutdown_ud = n;

  const char *gw = o->gateway_addr
                       ? o->gateway_addr
                       : json_string_value(config_get(cfg, "Addresses.Gateway"));
  const char *api = o->api_addr
                        ? o->api_addr
                        : json_string_value(config_get(cfg, "Addresses.API"));
  if (!gw)
    gw = "/ip4/127.0.0.1/tcp/8080";
  if (!api)
    api = "/ip4/127.0.0.1/tcp/5001";
  http_limits_t glim;
  rc = gateway_limits(o, cfg, &glim);
  if (!rc)
    rc = start_signals(n, o);
  char api_host[64];
  if (!rc)
    rc = listen_on(n, o, api, api_handle, n, NULL, NULL, &n->api,
                   n->rpc.api_addr, sizeof n->rpc.api_addr, "API", api_host);
  if (!rc && node_gw_threads(cfg, &n->gw_threads))
    rc = startup_fail(o, TR_ECONFIG, "Gateway.Threads: expected 0 (one per "
                      "core) to %d", NODE_GW_THREADS_MAX);
  /* More than one loop: every socket on the port needs SO_REUSEPORT, the
   * main loop's too, and the loops share the per-address limits. */
  http_listen_t glo = {.reuseport = n->gw_threads > 1};
  if (!rc && n->gw_threads > 1 && (rc = http_ipshare_new(&n->gw_share)))
    startup_fail(o, rc, "gateway: %s", tr_strerror(rc));
  glo.share = n->gw_share;
  if (!rc)
    rc = listen_on(n, o, gw, gw_gateway_handle, &n->gw, &glim, &glo,
                   &n->gateway, n->rpc.gateway_addr,
                   sizeof n->rpc.gateway_addr, "gateway", n->gw_host);
  if (!rc)
    rc = start_swarm(n, o, cfg, &id);
  if (!rc)
    rc = start_autonat(n, o, cfg);
  if (!rc)
    rc = start_dht(n, o, cfg);
  if (!rc)
    rc = start_deleg(n, o, cfg);
  if (!rc) /* Gateway.ExposeRoutingAPI: /routing/v1 (Kubo's default: on) */
    rc = node_routing_wire(&n->routing, &n->gw, &n->loop, n->host,
                           n->dht_lan, n->dht_wan, n->deleg, cfg);
  if (!rc && (rc = node_dnslink_wire(&n->dnslink, &n->gw_hosts, &n->gw, cfg)))
    startup_fail(o, rc, "DNSLink, PublicGateways: %s", tr_strerror(rc));
  if (!rc)
    rc = node_bitswap_start(&n->bitswap, &n->loop, n->host, n->env,
                            n->dht_lan, n->dht_wan, n->deleg, cfg, &n->gw,
                            &n->rpc);
  if (!rc && (rc = node_scrub_start(&n->scrub, &n->loop, n->env,
                                     n->rpc.fetcher, cfg, &n->rpc)))
    startup_fail(o, rc, "Mirror.Scrub: %s", tr_strerror(rc));
  if (!rc)
    rc = node_obs_start(&n->obs, &n->loop, &n->rpc);
  if (!rc)
    rc = node_obs_listener(n->obs, n->api, "api");
  if (!rc && n->gw_threads == 1)
    rc = node_obs_listener(n->obs, n->gateway, "gateway");
  if (!rc && n->gw_threads > 1) {
    /* The other loops start now that the gateway's context is whole
     * (fetcher, router, DNSLink): each takes a copy. */
    http_done_fn fn;
    void *ud;
    rc = node_obs_listener_fn(n->obs, "gateway", &fn, &ud);
    if (!rc && (rc = node_gwloops_start(&n->gwloops, &n->loop, &n->gw,
                                        n->gw_threads, n->gateway, n->gw_host,
                                        &glim, n->gw_share, fn, ud)))
      startup_fail(o, rc, "gateway: cannot start %d loops: %s",
                   n->gw_threads, tr_strerror(rc));
    if (!rc)
      rc = node_gwloops_metrics(n->gwloops, node_obs_metrics(n->obs));
  }
  if (!rc)
    rc = start_mirror(n, o, cfg, &id);
  if (!rc)
    rc = node_obs_mirror(n->obs, &n->scrub, &n->mirror);
  if (!rc)
    rc = write_api_file(o, n->repo, n->rpc.api_addr);
  if (rc)
    goto stop;

  char host[64];
  int port;
  if (node_maddr_tcp(n->rpc.api_addr, host, sizeof host, &port) == 0)
    tr_log(TR_LOG_INFO, "RPC API server listening on %s (http://%s:%d/api/v0)",
           n->rpc.api_addr, host, port);
  /* The line ends with the URL, as it did: scripts read it. */
  if (node_maddr_tcp(n->rpc.gateway_addr, host, sizeof host, &port) == 0) {
    tr_log(TR_LOG_INFO, "Gateway server listening on %s (http://%s:%d/ipfs/)",
           n->rpc.gateway_addr, host, port);
    tr_log(TR_LOG_INFO, "gateway: %d loop%s (Gateway.Threads)", n->gw_threads,
           n->gw_threads == 1 ? "" : "s");
  }
  tr_log(TR_LOG_INFO, "peer identity: %s", id.peerid);
  n->ready = true;
  printf("Daemon is ready\n");
  fflush(stdout);

  uv_run(&n->loop, UV_RUN_DEFAULT);
  char path[4200];
  snprintf(path, sizeof path, "%s/api", n->repo);
  unlink(path);
  rc = 0;
stop:
  /* The servers' handles live in libuv until their close callbacks have
   * run: stop them, close whatever else is open, and run the loop until
   * all of it is done before the loop (and n) go away. */
  stop_node(n);
  /* Closing the signal handlers gives SIGTERM back its default action:
   * from here on the process ignores it (a late one would kill a daemon
   * that is done but for freeing), set right after libuv resets it. */
  if (n->sigint.loop && !uv_is_closing((uv_handle_t *)&n->sigint)) {
    uv_close((uv_handle_t *)&n->sigint, NULL);
    signal(SIGINT, SIG_IGN);
  }
  if (n->sigterm.loop && !uv_is_closing((uv_handle_t *)&n->sigterm)) {
    uv_close((uv_handle_t *)&n->sigterm, NULL);
    signal(SIGTERM, SIG_IGN);
  }
  uv_walk(&n->loop, walk_close, NULL);
  uv_run(&n->loop, UV_RUN_DEFAULT);
out:
  if (loop_ok && uv_loop_close(&n->loop))
    tr_log(TR_LOG_WARN, "event loop closed with handles still open");
  node_mirror_free(&n->mirror);
  node_dnslink_free(&n->dnslink);
  gw_dnslink_free(&n->dnslink);
  gw_hosts_free(&n->gw_hosts);
  if (n->env)
    bs_close(n->env);
  dht_provq_free(n->provq);
  node_obs_free(n->obs); /* after the loop: the last requests report */
  node_gwloops_free(n->gwloops); /* after the loop and the registry */
  http_ipshare_free(n->gw_share); /* after every server using it */
  sodium_memzero(&n->key, sizeof n->key);
  tr_bytes_free(&n->snap[0]);
  tr_bytes_free(&n->snap[1]);
  json_decref(cfg);
  if (lockfd >= 0)
    close(lockfd);
  sodium_memzero(n->psk, sizeof n->psk);
  tr_free(n);
  return rc;
}

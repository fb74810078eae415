/*
 * daemon.c — the daemon's start-up, main loop and shutdown (see daemon.h).
 */
#include "node_int.h"
#include "obs_mirror.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../config/config.h"

bool node_daemon_sock(const char *repo, char *buf, size_t cap) {
  struct sockaddr_un un;
  int n = snprintf(buf, cap, "%s/api.sock", repo);
  return n > 0 && (size_t)n < cap && (size_t)n < sizeof un.sun_path;
}

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

/* Every block the daemon serves is read through the map, and the pages
 * read stay in its RSS until they are dropped: serving 300 files of 1 MiB
 * through the gateway took it from 9 to 311 MiB, all of it the map's
 * pages, and there it stayed.  Every NODE_TRIM_MS, past NODE_TRIM_KEEP of
 * file-backed RSS, they are dropped (bs_trim_map: they stay in the page
 * cache).  Blocks served again and again (a hot file) are served from
 * frozen copies or touch a few pages, so this seldom drops what is in
 * use; when it does, the pages fault back in from the cache.  Every
 * 0.1 s, not 0.5: the MFS benchmark's daemon (each change of a big
 * directory writes and reads a new 262 KB block) peaked at 638 MiB of RSS
 * without the trim, 119 MiB with it every 0.5 s and 84-91 MiB every 0.1 s
 * (Kubo's: 99 MiB); the check is one read of /proc/self/statm. */
#define NODE_TRIM_MS 100
#define NODE_TRIM_KEEP (64ull << 20)

static void on_trim(uv_timer_t *t) {
  node_t *n = t->data;
  int rc = bs_trim_map(n->env, NODE_TRIM_KEEP);
  (void)rc; /* no statm: nothing to go by, and nothing lost */
}

static void stop_node(node_t *n) {
  if (n->stopping)
    return;
  n->stopping = true;
  n->rpc.stopping = true;
  node_dnslink_stop(&n->dnslink);
  if (n->ready)
    tr_log(TR_LOG_INFO, "shutting down");
  /* The other gateway loops first: their requests' fetches and lookups
   * are relayed to the main loop's fetcher and router, still up here. */
  node_gwloops_stop(n->gwloops);
  /* Pubsub's subscribers end their answers while the API still runs, so
   * that their clients read a whole answer (Kubo's sub ends cleanly). */
  node__stop_pubsub(n);
  if (n->gateway)
    http_server_stop(n->gateway, NULL, NULL);
  if (n->api)
    http_server_stop(n->api, NULL, NULL);
  if (n->api_unix)
    http_server_stop(n->api_unix, NULL, NULL);
  if (n->api_sock[0])
    unlink(n->api_sock);
  n->gateway = n->api = n->api_unix = NULL;
  n->api_sock[0] = 0;
  node_obs_stop(n->obs);
  n->rpc.host = NULL; /* swarm commands from now on: offline */
  n->rpc.peering = NULL;
  n->rpc.p2p = NULL;
  n->rpc.autonat = NULL;
  n->rpc.dht_lan = n->rpc.dht_wan = NULL;
  n->rpc.router = NULL;
  n->rpc.announce = NULL;
  n->rpc.provq = NULL;
  node__dht_save_now(n);
  if (n->snapshot.loop && !uv_is_closing((uv_handle_t *)&n->snapshot))
    uv_close((uv_handle_t *)&n->snapshot, NULL);
  if (n->maptrim.loop && !uv_is_closing((uv_handle_t *)&n->maptrim))
    uv_close((uv_handle_t *)&n->maptrim, NULL);
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
  if (n->autogc.loop && !uv_is_closing((uv_handle_t *)&n->autogc))
    uv_close((uv_handle_t *)&n->autogc, NULL);
  rpc_gc_stop(&n->rpc); /* an automatic run has no client to go away */
  if (n->host) /* the host's dials by ID look up through host_routing */
    net_host_set_router(n->host, NULL);
  node_routing_stop(&n->host_routing);
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
  node_mdns_stop(n->mdns); /* frees itself once its handles close */
  n->mdns = NULL;
  node_boot_stop(n->boot); /* frees itself: the host's close ends its dials */
  n->boot = NULL;
  net_peering_free(n->peering); /* the same */
  n->peering = NULL;
  p2pm_stop(n->p2pm); /* its streams and sockets, before the host */
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

static void on_autogc(uv_timer_t *t) { rpc_gc_auto(&((node_t *)t->data)->rpc); }

/* Kubo's --enable-gc (corerepo.PeriodicGC): every Datastore.GCPeriod
 * (default 1h; a zero one turns it off), a GC when the repo holds more
 * than Datastore.StorageGCWatermark percent (default 90) of
 * Datastore.StorageMax (default 10GB). */
static int start_autogc(node_t *n, const node_daemon_opts_t *o, json_t *cfg) {
  if (!o->enable_gc)
    return 0;
  json_t *p = config_get(cfg, "Datastore.GCPeriod");
  uint64_t ns = 3600ull * 1000000000;
  if (json_is_string(p) && *json_string_value(p) &&
      tr_parse_duration(json_string_value(p), &ns))
    return node__fail(o, TR_ECONFIG, "Datastore.GCPeriod: bad duration %s",
                      json_string_value(p));
  if (!ns) {
    tr_log(TR_LOG_INFO, "--enable-gc: Datastore.GCPeriod is 0: no GC");
    return 0;
  }
  json_t *w = config_get(cfg, "Datastore.StorageGCWatermark");
  json_int_t pct = json_is_integer(w) ? json_integer_value(w) : 90;
  if (pct < 0 || pct > 100)
    return node__fail(o, TR_ECONFIG, "Datastore.StorageGCWatermark: a "
                      "percentage from 0 to 100");
  n->rpc.gc_max = config_storage_max(cfg);
  n->rpc.gc_threshold = n->rpc.gc_max / 100 * (uint64_t)pct;
  int rc = uv_timer_init(&n->loop, &n->autogc);
  if (rc)
    return node__fail(o, rc, "timer: %s", uv_strerror(rc));
  n->autogc.data = n;
  uint64_t ms = ns / 1000000 ? ns / 1000000 : 1;
  uv_timer_start(&n->autogc, on_autogc, ms, ms);
  tr_log(TR_LOG_INFO, "GC every %llu ms while the repo holds over %llu bytes "
         "(--enable-gc)", (unsigned long long)ms,
         (unsigned long long)n->rpc.gc_threshold);
  return 0;
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
    return node__fail(o, TR_ECONFIG, "Mirror.PinningAPI.Address: not a "
                      "TCP multiaddr: %s", own);
  int rc = node_mirror_start(&n->mirror, &n->loop, n->env, n->rpc.fetcher,
                             n->host, id->peerid, cfg,
                             own && *own ? host : NULL, port, n->gw.router,
                             &n->rpc);
  return rc ? node__fail(o, rc, "mirror: %s", tr_strerror(rc)) : 0;
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
    return node__fail(o, TR_EUSAGE, "%s: not a TCP multiaddr: %s", what,
                      maddr);
  int rc = http_server_start_ex(&n->loop, host, port, lim, fn, ud, lo, srv);
  if (rc)
    return node__fail(o, rc, "%s: cannot listen on %s: %s", what, maddr,
                      uv_strerror(rc));
  snprintf(out, outsz, "/%s/%s/tcp/%d", strchr(host, ':') ? "ip6" : "ip4",
           host, http_server_port(*srv));
  return 0;
}

/* The API on <repo>/api.sock too (node_daemon_sock).  A socket left by a
 * killed daemon is removed first: the repo's lock is ours, so no daemon
 * serves it.  Without the socket the CLI uses the TCP address, so a
 * failure here is only logged. */
static void listen_sock(node_t *n) {
  char path[sizeof n->api_sock];
  if (!node_daemon_sock(n->repo, path, sizeof path)) {
    tr_log(TR_LOG_INFO, "no %s/api.sock: the path is too long for a "
           "socket; the CLI uses the TCP API", n->repo);
    return;
  }
  if (unlink(path) && errno != ENOENT)
    tr_log(TR_LOG_WARN, "cannot remove a stale %s: %s", path,
           strerror(errno));
  int rc = http_server_start_unix(&n->loop, path, NULL, api_handle, n,
                                  &n->api_unix);
  if (rc) {
    tr_log(TR_LOG_WARN, "cannot listen on %s (the CLI uses the TCP API): %s",
           path, uv_strerror(rc));
    unlink(path);
    return;
  }
  memcpy(n->api_sock, path, sizeof path);
}

static void walk_close(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

int node_daemon_lock(const char *repo) {
  char path[4200];
  snprintf(path, sizeof path, "%s/daemon.lock", repo);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return -errno;
  if (flock(fd, LOCK_EX | LOCK_NB)) {
    int e = errno;
    close(fd);
    return e == EWOULDBLOCK ? TR_EEXIST : -e;
  }
  return fd;
}

/* <repo>/daemon.lock, held for the daemon's life.  Taken only once the
 * repo is known to exist, so that a mistyped --repo leaves nothing
 * behind. */
static int take_lock(const node_daemon_opts_t *o, const char *repo,
                     int *fdp) {
  int fd = node_daemon_lock(repo);
  if (fd == TR_EEXIST)
    return node__fail(o, TR_EEXIST, "another daemon is running on %s", repo);
  if (fd < 0)
    return node__fail(o, fd, "cannot lock %s/daemon.lock: %s", repo,
                      strerror(-fd));
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
    return node__fail(o, -errno, "cannot write %s: %s", path,
                      strerror(errno));
  int ok = fprintf(f, "%s\n", maddr) > 0;
  if (fclose(f) || !ok) {
    unlink(path);
    return node__fail(o, -EIO, "cannot write %s", path);
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
  return rc ? node__fail(o, rc, "cannot watch signals: %s", uv_strerror(rc))
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
      return node__fail(o, TR_ECONFIG,
                        "%s: expected a duration such as \"30s\"", keys[i]);
  return 0;
}

/* What the gateway's answers say, and its limits on requests, from the
 * config (Kubo's keys). */
static int gateway_answers(const node_daemon_opts_t *o, json_t *cfg,
                           node_t *n) {
  gw_ctx_t *gw = &n->gw;
  gw->xipfs_path =
      json_is_true(config_get(cfg, "Gateway.DeprecatedXIpfsPath"));
  /* Ipns.MaxCacheTTL: "0s" is allowed (boxo: no cap on what is told). */
  json_t *imt = config_get(cfg, "Ipns.MaxCacheTTL");
  uint64_t ns = 0;
  if (json_is_string(imt) && tr_parse_duration(json_string_value(imt), &ns))
    return node__fail(o, TR_ECONFIG, "Ipns.MaxCacheTTL: expected a duration "
                      "such as \"1m\"");
  gw->ipns_max_ttl_s = ns / 1000000000u >= UINT32_MAX
                           ? UINT32_MAX
                           : (uint32_t)(ns / 1000000000u);
  /* Gateway.MaxRangeRequestFileSize: Kubo's OptionalBytes ("5GiB"). */
  json_t *mrs = config_get(cfg, "Gateway.MaxRangeRequestFileSize");
  if (json_is_integer(mrs) && json_integer_value(mrs) >= 0)
    gw->max_range_size = (uint64_t)json_integer_value(mrs);
  else if (mrs && !json_is_null(mrs) &&
           (!json_is_string(mrs) ||
            tr_parse_rate(json_string_value(mrs), &gw->max_range_size)))
    return node__fail(o, TR_ECONFIG, "Gateway.MaxRangeRequestFileSize: "
                      "expected bytes, such as \"5GiB\"");
  /* Gateway.MaxConcurrentRequests: Kubo's OptionalInteger, 4096 when
   * unset, 0 or less no limit (boxo). */
  json_t *mcr = config_get(cfg, "Gateway.MaxConcurrentRequests");
  json_int_t lim = json_is_integer(mcr) ? json_integer_value(mcr)
                                        : (json_int_t)GW_MAX_REQUESTS;
  n->gw_limit.max = lim <= 0 ? 0 : lim > UINT32_MAX ? UINT32_MAX
                                                    : (uint32_t)lim;
  gw->limit = &n->gw_limit;
  /* Gateway.MaxRequestDuration: Kubo's OptionalDuration; "0s" is the
   * default (boxo takes zero so). */
  json_t *mrd = config_get(cfg, "Gateway.MaxRequestDuration");
  ns = 0;
  if (json_is_string(mrd) && tr_parse_duration(json_string_value(mrd), &ns))
    return node__fail(o, TR_ECONFIG, "Gateway.MaxRequestDuration: expected "
                      "a duration such as \"1h\"");
  uint64_t ms = ns / 1000000u;
  gw->max_request_ms = ms == 0 ? GW_MAX_REQUEST_MS
                       : ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
  return 0;
}

int node_daemon_run(const node_daemon_opts_t *o) {
  /* The repo first: nothing is created in a directory that holds none. */
  json_t *cfg = NULL;
  int rc = config_load(o->repo, &cfg);
  if (rc == TR_ENOREPO)
    return node__fail(o, rc, "no repo at %s (run 'trove init')", o->repo);
  if (rc)
    return node__fail(o, rc, "reading the config of %s: %s", o->repo,
                      tr_strerror(rc));
  node_t *n = tr_calloc(1, sizeof *n);
  if (!n) {
    json_decref(cfg);
    return node__fail(o, -ENOMEM, "out of memory");
  }
  snprintf(n->repo, sizeof n->repo, "%s", o->repo);
  /* The worker pool is the process's, shared by every gateway loop, and
   * each loop's streamed bodies are filled there: 4 workers (they mostly
   * copy from the page cache) or one per loop, whichever is more, so that
   * loops on a many-core machine do not queue behind each other.  A bad
   * Gateway.Threads is reported below. */
  bool gw_threads_bad = node_gw_threads(cfg, &n->gw_threads) != 0;
  if (gw_threads_bad)
    n->gw_threads = 1;
  char pool[16];
  snprintf(pool, sizeof pool, "%d", n->gw_threads > 4 ? n->gw_threads : 4);
  setenv("UV_THREADPOOL_SIZE", pool, 0);
  signal(SIGPIPE, SIG_IGN);

  int lockfd = -1;
  bool loop_ok = false;
  node_identity_t id;
  rc = take_lock(o, n->repo, &lockfd);
  if (!rc)
    rc = node__read_swarm_key(n, o);
  if (rc)
    goto out;
  rc = node_config_identity(cfg, &id);
  if (!rc)
    rc = bs_open(&n->env, n->repo, 0);
  if (rc) {
    node__fail(o, rc, "opening repo %s: %s", n->repo, tr_strerror(rc));
    goto out;
  }
  rc = uv_loop_init(&n->loop);
  if (rc) {
    node__fail(o, rc, "cannot start the event loop: %s", uv_strerror(rc));
    goto out;
  }
  loop_ok = true;
  uv_timer_init(&n->loop, &n->maptrim);
  n->maptrim.data = n;
  uv_timer_start(&n->maptrim, on_trim, NODE_TRIM_MS, NODE_TRIM_MS);
  uv_unref((uv_handle_t *)&n->maptrim); /* never what keeps the loop up */
  n->gw.loop = &n->loop;
  n->gw.env = n->env;
  n->gw.version = TROVE_VERSION;
  if ((rc = gateway_answers(o, cfg, n)))
    goto out;
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
  if (!rc)
    listen_sock(n);
  if (!rc && gw_threads_bad)
    rc = node__fail(o, TR_ECONFIG, "Gateway.Threads: expected 0 (one per "
                    "core) to %d", NODE_GW_THREADS_MAX);
  /* More than one loop: every socket on the port needs SO_REUSEPORT, the
   * main loop's too, and the loops share the per-address limits. */
  http_listen_t glo = {.reuseport = n->gw_threads > 1};
  if (!rc && n->gw_threads > 1 && (rc = http_ipshare_new(&n->gw_share)))
    node__fail(o, rc, "gateway: %s", tr_strerror(rc));
  glo.share = n->gw_share;
  if (!rc)
    rc = listen_on(n, o, gw, gw_gateway_handle, &n->gw, &glim, &glo,
                   &n->gateway, n->rpc.gateway_addr,
                   sizeof n->rpc.gateway_addr, "gateway", n->gw_host);
  if (!rc)
    rc = node__start_swarm(n, o, cfg, &id);
  if (!rc)
    rc = node__start_autonat(n, o, cfg);
  if (!rc)
    rc = node__start_dht(n, o, cfg);
  if (!rc)
    rc = node__start_deleg(n, o, cfg);
  if (!rc && n->host && (n->dht_lan || n->dht_wan || n->deleg)) {
    /* A peer dialled by its ID whose addresses fail: go's routed host. */
    rc = node_routing_start(&n->host_routing, &n->loop, n->host, n->dht_lan,
                            n->dht_wan, n->deleg);
    if (rc)
      node__fail(o, rc, "routing: %s", uv_strerror(rc));
    else
      node_routing_host(&n->host_routing, n->host);
  }
  if (!rc) /* Gateway.ExposeRoutingAPI: /routing/v1 (Kubo's default: on) */
    rc = node_routing_wire(&n->routing, &n->gw, &n->loop, n->host,
                           n->dht_lan, n->dht_wan, n->deleg, cfg);
  if (!rc && (rc = node_dnslink_wire(&n->dnslink, &n->gw_hosts, &n->gw, cfg)))
    node__fail(o, rc, "DNSLink, PublicGateways: %s", tr_strerror(rc));
  if (!rc)
    rc = node_bitswap_start(&n->bitswap, &n->loop, n->host, n->env,
                            n->dht_lan, n->dht_wan, n->deleg, cfg, &n->gw,
                            &n->rpc);
  if (!rc)
    rc = node__start_pubsub(n, o, cfg);
  if (!rc && (rc = node_scrub_start(&n->scrub, &n->loop, n->env,
                                     n->rpc.fetcher, cfg, &n->rpc)))
    node__fail(o, rc, "Mirror.Scrub: %s", tr_strerror(rc));
  if (!rc)
    rc = node_obs_start(&n->obs, &n->loop, &n->rpc);
  if (!rc) { /* one listener for metrics: both sockets serve one API */
    http_done_fn fn;
    void *ud;
    rc = node_obs_listener_fn(n->obs, "api", &fn, &ud);
    if (!rc)
      http_server_on_done(n->api, fn, ud);
    if (!rc && n->api_unix)
      http_server_on_done(n->api_unix, fn, ud);
  }
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
      node__fail(o, rc, "gateway: cannot start %d loops: %s",
                 n->gw_threads, tr_strerror(rc));
    if (!rc)
      rc = node_gwloops_metrics(n->gwloops, node_obs_metrics(n->obs));
  }
  if (!rc)
    rc = start_mirror(n, o, cfg, &id);
  if (!rc)
    rc = start_autogc(n, o, cfg);
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
  if (n->api_sock[0])
    tr_log(TR_LOG_INFO, "RPC API server listening on /unix%s (trove's CLI)",
           n->api_sock);
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
  /* After a start-up failure the loop has not run since the services were
   * stopped: give their wind-down a few turns first (the HTTP client's
   * frees itself from an idle callback, which the walk below would close
   * unrun, leaking it: it_autogc under ASan, a bad setting found after
   * bitswap had started).  After a clean stop this finds nothing to do. */
  for (int i = 0; i < 8; i++)
    uv_run(&n->loop, UV_RUN_NOWAIT);
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
  dns_dnsaddr_free(n->dnsaddr); /* after the loop: swarm connect's too */
  p2pm_free(n->p2pm); /* after the loop: the host's protocol names */
  net_ap_free(&n->policy); /* after the loop: the host's */
  rpc_ctx_fini(&n->rpc);
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

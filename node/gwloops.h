/*
 * gwloops.h — the gateway on several event loops (Gateway.Threads): the
 * daemon's main loop serves the gateway's port as before, and N-1 more
 * loops, each on its own thread with its own listening socket bound with
 * SO_REUSEPORT to the same port, serve it beside it.  The kernel spreads
 * new connections over the sockets; a connection stays on its loop.
 *
 * What the loops share, and how:
 *   - The blockstore: LMDB read transactions (MDB_NOTLS, lock-free
 *     readers), begun and ended on the loop (or worker) that reads.  A hit
 *     in the local store never leaves its loop.
 *   - Fetching a block the store lacks (bitswap) and the router (IPNS
 *     names, /routing/v1): they live on the main loop.  Each loop's
 *     gw_ctx_t carries relays with the same shapes (bs_fetcher_t,
 *     gw_router_t) that post the call to the main loop through a locked
 *     queue and a uv_async, and post the answer back the same way (peers
 *     and records copied: the views of the main loop's callbacks die with
 *     them).  The checks the router makes synchronously on a request's
 *     bytes (a PeerID, an IPNS record's validity) run on the calling loop,
 *     so a bad request is still refused at once (a 400).
 *   - The per-address limits (connections, request rate): one table under
 *     a mutex (http.h's http_ipshare_t).
 *   - The HTTP latency and status metrics: relaxed atomics (common/
 *     metrics.h), updated from every loop.  Requests per loop are counted
 *     by each loop alone and summed at scrape time
 *     (trove_gateway_loop_requests_total{loop="i"}).
 *   - DNSLink lookups and the worker pool: libuv's one thread pool; the
 *     DNSLink map and the gateway hosts are read-only once the daemon is up.
 *   - The libuv thread pool: bodies and big resolutions of every loop.
 * Nothing else: each loop has its own HTTP server state, HTTP/1 and HTTP/2
 * code, timers, read buffer and Date cache.
 *
 * Threads = 1 is the daemon as it was: no pool, one loop, no locks.
 */
#ifndef NODE_GWLOOPS_H
#define NODE_GWLOOPS_H

#include <uv.h>

#include "../common/metrics.h"
#include "../config/config.h"
#include "../gateway/gateway.h"
#include "../http/http.h"

/* Gateway.Threads: 0 or absent is one loop per core, at most
 * NODE_GW_THREADS_AUTO; a number up to NODE_GW_THREADS_MAX is taken as it
 * is.  The environment variable TROVE_GATEWAY_THREADS, when set, wins over
 * the config (the tests and bench/gateway.sh run one setting after
 * another on the same repo). */
#define NODE_GW_THREADS_AUTO 16
#define NODE_GW_THREADS_MAX 64

typedef struct node_gwloops node_gwloops_t;

/* The number of gateway loops cfg (or the environment) asks for (>= 1):
 * 0, or TR_ECONFIG (not an integer in 0..NODE_GW_THREADS_MAX). */
int node_gw_threads(json_t *cfg, int *n) TR_WUR;

/* Start nloops - 1 loops beside the main one, each with a copy of *ctx
 * (its loop and the relays put in), serving host:port (the port main_srv
 * is bound to, with reuseport) with limits lim and the per-address table
 * share.  main_srv, on the main loop, is loop 0: its done callback is
 * taken over (counted, then done(req, status, ns, done_ud) as for every
 * loop; done may be NULL).  Call on the main loop once ctx is fully wired
 * (fetcher, router, DNSLink, hosts).  ctx, share and done_ud must outlive
 * the pool.  0, -ENOMEM, or libuv's errors (nothing is left running). */
int node_gwloops_start(node_gwloops_t **out, uv_loop_t *main, gw_ctx_t *ctx,
                       int nloops, http_server_t *main_srv, const char *host,
                       const http_limits_t *lim, http_ipshare_t *share,
                       http_done_fn done, void *done_ud) TR_WUR;

/* Requests answered by loop i so far (0 is the main loop's); the sum of
 * each loop's own counter, read without stopping them. */
uint64_t node_gwloops_requests(const node_gwloops_t *p, int i);
int node_gwloops_count(const node_gwloops_t *p);

/* The metrics (trove_gateway_loop_requests_total) into m's scrape. */
int node_gwloops_metrics(node_gwloops_t *p, tr_metrics_t *m) TR_WUR;

/* On the main loop, before the fetcher and the router stop: stop every
 * other loop's server (its connections close, its requests' handlers hear
 * of it and cancel what they wait for), wait for the threads to end, then
 * hand the main loop's side of every relay its end.  The main loop's own
 * server is the caller's to stop.  p NULL: nothing. */
void node_gwloops_stop(node_gwloops_t *p);
/* Free p after node_gwloops_stop (and after the metrics registry it was
 * given is freed).  NULL: nothing. */
void node_gwloops_free(node_gwloops_t *p);

#endif /* NODE_GWLOOPS_H */

/*
 * obs.h — the daemon's observability: the metrics registry (common/
 * metrics.h) with a collector for each service, the HTTP latencies of the
 * gateway and API listeners, a ring of transfer-rate samples, and the
 * status object behind the API listener's /status page (rpc/rpc_obs.c
 * serves both; this module only fills them).
 *
 * What it reads, each at scrape time from the service's own statistics,
 * through the rpc_ctx_t the daemon keeps current (its pointers are NULL
 * while a service is off or stopping, and then that service is left out):
 *   the store    blocks now (bs_count, constant time); block bytes, repo
 *                bytes and pins by type from a bs_stat + pin count that
 *                runs in the worker pool at most every OBS_STAT_TTL_MS,
 *                started by a scrape or a status poll that finds the
 *                cache older (the answer is the cache: a few seconds
 *                stale, never a full scan per scrape);
 *   GC           runs and blocks removed (rpc_ctx_t.gc_runs);
 *   libp2p       connections by transport (Kubo's ipfs_p2p_peers_total),
 *                failed handshakes, stream bytes and rates (net_host_bw);
 *   bitswap      bsw_stats of the core and bsw_swarm_stats (streams);
 *   DHT          per LAN/WAN: routing table size, requests, queries,
 *                streams, and the sweep reprovider's provided keys;
 *   HTTP         per listener: a latency histogram and responses by
 *                status class (http_server_on_done);
 *   the process  process_* from /proc/self (obs_proc.c), the names of
 *                Prometheus' client libraries.
 *
 * Hooks for services that come later (the mirror's pins by status, the
 * scrubber's findings and repairs): their metrics go in through
 * tr_metrics_collector_add(node_obs_metrics(obs), fn, ud), their part of
 * the status object through node_obs_section(obs, "scrub", fn, ud).  The
 * status object keeps the keys "scrub", "repairs" and "mirrors" (null or
 * [] until a section fills them), so the page already shows where they go.
 *
 * Everything runs on the loop.
 */
#ifndef NODE_OBS_H
#define NODE_OBS_H

#include <jansson.h>
#include <uv.h>

#include "../common/metrics.h"
#include "../http/http.h"
#include "../rpc/rpc.h"

/* The stat cache's age limit, the transfer-rate sample period and the
 * ring of samples (an hour), pins and peers listed in the status object,
 * and the sections others may add. */
#define OBS_STAT_TTL_MS 5000
#define OBS_SAMPLE_MS 5000
#define OBS_RING 720
#define OBS_PINS_LIST 100
#define OBS_PEERS_LIST 200
#define OBS_SECTIONS_MAX 8

typedef struct node_obs node_obs_t;

/* Start: the registry, the collectors and the sample timer on loop.  rpc
 * is where the services are found (and its metrics/status_json fields are
 * set to this module's); it must outlive obs.  0 or -ENOMEM, -errno from
 * libuv. */
int node_obs_start(node_obs_t **out, uv_loop_t *loop, rpc_ctx_t *rpc) TR_WUR;

/* Measure srv's requests as handler ("gateway", "api": the label). 0,
 * TR_ELIMIT (more than two listeners), or the registry's errors. */
int node_obs_listener(node_obs_t *obs, http_server_t *srv,
                      const char *handler) TR_WUR;

/* The same for a listener on several loops (node/gwloops.h): the metrics
 * are registered, and *fn, *ud are what each loop's server reports to
 * (thread-safe: relaxed atomics).  Errors as node_obs_listener. */
int node_obs_listener_fn(node_obs_t *obs, const char *handler,
                         http_done_fn *fn, void **ud) TR_WUR;

tr_metrics_t *node_obs_metrics(node_obs_t *obs);

/* A part of the status object under key, made by fn on each poll (a new
 * reference, or NULL to leave the key as it is).  TR_ELIMIT past
 * OBS_SECTIONS_MAX.  ud must outlive obs or be removed by stopping it. */
typedef json_t *(*node_obs_section_fn)(void *ud);
int node_obs_section(node_obs_t *obs, const char *key, node_obs_section_fn fn,
                     void *ud) TR_WUR;

/* The status object (rpc_ctx_t.status_json); ud is the node_obs_t. */
json_t *node_obs_status(void *ud);

/* Stop the timer (the loop can end); the registry stays for requests that
 * finish later.  node_obs_free after the loop has run out. */
void node_obs_stop(node_obs_t *obs);
void node_obs_free(node_obs_t *obs);

/* obs_proc.c: the process_* collector (/proc/self). */
void node__obs_proc(tr_mw_t *w, void *ud);

#endif /* NODE_OBS_H */

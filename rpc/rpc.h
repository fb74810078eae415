/*
 * rpc.h — Kubo's RPC API (/api/v0) as a handler on the HTTP server of
 * http/http.h: the commands kubo-rpc-client and the trove CLI use (add, cat,
 * get, ls, refs, pin, block, dag import/export, id, version, config, repo,
 * shutdown, swarm, ping, bitswap, stats bw), with Kubo's request and response shapes, its
 * origin checks
 * (a web page cannot drive the API) and its error bodies.
 *
 * The daemon (node/) fills an rpc_ctx_t and registers rpc_api_handle with
 * the ctx as its ud on the API listener.  The API reads and writes the
 * blockstore it is given and the repo's config file (config/config.h);
 * what only the node knows — its PeerID and public key, its libp2p host,
 * where its listeners ended up, how to stop it — comes in the ctx, so
 * nothing here calls up into node/.
 *
 * Threads: handlers run on the loop thread; reads that can be long run as
 * worker-pool jobs, uploads (add, block put, dag import) on a thread of
 * their own, repo/gc on the GC thread (one run at a time).  Internals:
 * rpc_int.h and api.h; the option tables the CLI shares: opts.h.
 */
#ifndef RPC_RPC_H
#define RPC_RPC_H

#include <jansson.h>
#include <stdbool.h>

#include "../blockstore/bs.h"
#include "../blockstore/fetch.h"
#include "../http/http.h"

struct dht_peer;
struct net_peerid;
struct tr_metrics;
struct json_t;

/* Routers beside the DHTs, for the routing commands (rpc_routing.c): the
 * daemon's Routing.DelegatedRouters (node/delegated.h) behind function
 * pointers, since rpc/ sits below node/.  Each call starts a lookup and
 * returns 0 with *lookup set, or an error (nothing started, no callback).
 * Callbacks come from the loop, never from inside the call; cbs outlives
 * the lookup.  on_peer: a provider, or the peer asked for; it may cancel
 * the lookup.  on_done, once, last: status 0 (a router answered),
 * TR_ENOTFOUND (none knew), another error; for get_ipns val[0..vl) is the
 * best valid record (NULL when none), valid during the call.  cancel
 * before the end: no callback after it. */
typedef struct rpc_router_cbs {
  void (*on_peer)(void *ud, const struct dht_peer *p);
  void (*on_done)(void *ud, int status, const uint8_t *val, size_t vl);
} rpc_router_cbs_t;

typedef struct rpc_router {
  void *ud;
  int (*find_providers)(void *ud, const uint8_t *mh, size_t mhl, size_t max,
                        const rpc_router_cbs_t *cbs, void *cb_ud,
                        void **lookup);
  int (*find_peer)(void *ud, const struct net_peerid *id,
                   const rpc_router_cbs_t *cbs, void *cb_ud, void **lookup);
  int (*get_ipns)(void *ud, const struct net_peerid *name, uint64_t now_ms,
                  const rpc_router_cbs_t *cbs, void *cb_ud, void **lookup);
  void (*cancel)(void *ud, void *lookup);
} rpc_router_t;

typedef struct rpc_ctx {
  uv_loop_t *loop;
  bs_env_t *env;
  const char *repo;    /* repo directory (the config file lives there) */
  const char *peerid;  /* the node's PeerID */
  const char *pubkey;  /* base64 of its libp2p PublicKey protobuf */
  const char *version; /* "0.1.0" */
  /* The libp2p host (the swarm commands, ping, id's Addresses and Protocols); NULL
   * when the node has no swarm or is stopping. */
  struct net_host *host;
  /* Its AutoNAT (swarm/addrs/autonat); NULL when there is none. */
  struct net_autonat *autonat;
  /* The /dnsaddr resolver (dns/dns.h) swarm connect uses; NULL: /dnsaddr
   * addresses are refused.  It outlives the API's requests. */
  struct dns_dnsaddr *dnsaddr;
  /* Peering.Peers (net/peering.h: swarm peering add, ls, rm); NULL when
   * the node has no swarm or is stopping. */
  struct net_peering *peering;
  /* Libp2p stream mounting (rpc_p2p.h: `p2p`, node/p2pmount.h); NULL when
   * the node has no swarm or is stopping. */
  const struct rpc_p2p *p2p;
  /* The LAN and WAN DHTs (routing, dht, stats dht); NULL when routing is
   * off or the node is stopping. */
  struct dht_swarm *dht_lan, *dht_wan;
  /* The bitswap swarm (bitswap/swarm.h: bitswap stat, wantlist, ledger,
   * stats bitswap); NULL when bitswap is off or the node is stopping.
   * Set by node/bitswap.c. */
  struct bsw_swarm *bitswap;
  /* Pubsub (pubsub/swarm.h: the pubsub commands); NULL when it is not
   * enabled or the node is stopping. */
  struct ps_swarm *pubsub;
  /* The routers beside them (routing findprovs, findpeer, get /ipns/);
   * NULL when none.  Not owned; the daemon clears it before they go. */
  const rpc_router_t *router;
  /* Their reprovider sweeps (provide stat); NULL entries when off. */
  struct dht_reprov *reprov[2];
  /* The provide queue behind announce (provide stat); NULL: none. */
  struct dht_provq *provq;
  /* Announce a multihash on the network (the provide queue, from any
   * thread: add and pin add call it for their roots); NULL: nothing. */
  void (*announce)(void *ud, const uint8_t *mh, size_t mhl);
  void *announce_ud;
  /* Kubo's Provide.Enabled false: nothing is announced, and routing
   * provide and provide once answer Kubo's refusal. */
  bool provide_off;
  /* The host's address policy (net/addrpolicy.h: swarm filters changes
   * its filters); NULL offline. */
  struct net_ap *policy;
  /* The daemon's --enable-gc (rpc_gc_auto): its runs collect only while the
   * pages holding data exceed gc_threshold bytes (Datastore.StorageMax
   * times StorageGCWatermark percent), and warn past gc_max. */
  uint64_t gc_threshold, gc_max;
  /* The node's private key (name publish signs with it); NULL offline. */
  const struct net_privkey *key;
  /* Blocks the repo lacks are fetched through fetcher (blockstore/fetch.h;
   * NULL: none is, as with offline set, Kubo's --offline daemon); a
   * request's own offline=true (Kubo's global --offline) turns it off for
   * that request, its timeout= (Kubo's global --timeout, a Go duration)
   * bounds the whole request; without it nothing does (as in Kubo: a pin
   * add of a big archive takes what it takes), but a wait gives up after
   * fetch_timeout_ms (0: RPC_FETCH_TIMEOUT_MS) without progress: for one
   * block, that long; for a whole DAG, that long without the store
   * gaining a block.
   * Not owned. */
  const bs_fetcher_t *fetcher;
  bool offline;
  uint32_t fetch_timeout_ms;
  /* Where the listeners ended up, for `id` and logs. */
  char gateway_addr[128];
  char api_addr[128];
  /* Observability (rpc_obs.c): the registry served at
   * /debug/metrics/prometheus, and the object served at /status.json
   * (a new reference each call; NULL when out of memory) for the page at
   * /status.  NULL: that path is 404.  Not owned. */
  struct tr_metrics *metrics;
  struct json_t *(*status_json)(void *ud);
  void *status_ud;
  /* GC runs finished (rpc_gc.c; counted on the loop) and blocks they
   * removed, for the metrics. */
  uint64_t gc_runs, gc_removed;
  /* Called when the API asks the node to stop (/api/v0/shutdown). */
  void (*shutdown)(void *ud);
  void *shutdown_ud;
  /* Commands of the modules above rpc/ (the mirror's, node/scrub.c),
   * offered each /api/v0/ command rpc/ does not know, after the method and
   * origin checks: it returns true when it has answered.  NULL: none. */
  bool (*ext_cmd)(void *ud, http_req_t *req, const char *cmd);
  void *ext_ud;
  /* The API's own state (zero at start): the origins its CSRF check allows
   * (API.HTTPHeaders' Access-Control-Allow-Origin, NUL-separated, read from
   * the config on the first request), and the repo/gc run in progress. */
  char api_origins[4096];
  size_t api_origins_len;
  /* API.HTTPHeaders' Access-Control-Allow-Methods (NUL-separated; POST
   * when none are configured): what a preflight may ask for. */
  char api_methods[256];
  size_t api_methods_len;
  bool api_origins_read;
  /* API.Authorizations, read with the origins: [{"h": the Authorization
   * header it takes, "p": [allowed path prefixes]}], NULL when there are
   * none (every request passes, as in Kubo).  Freed by rpc_ctx_fini. */
  json_t *api_auth;
  struct rpc_gc *api_gc;
  /* diag/cmds' request log (rpc_diag.c; NULL until the first command).
   * It takes http_req_on_finish of every command it logs. */
  struct rpc_reqlog *reqlog;
  /* log/tail's tap and its tails (rpc_log.c; NULL when none tails). */
  struct rpc_logtail *logtail;
  /* The node has begun to stop: diag/healthy says so. */
  bool stopping;
} rpc_ctx_t;

/* "amd64/linux": Go's GOARCH/GOOS of this machine, as Kubo's version
 * and diag sys name it (rpc_version.c). */
const char *rpc_system(void);
/* The libraries trove runs with, as version/deps answers them: a JSON
 * array of {"Path","Version","ReplacedBy","Sum"}, trove (at version)
 * first.  NULL when out of memory. */
json_t *rpc_version_deps(const char *version);

/* Every command of trove's CLI as Kubo's `commands` answers them: a tree
 * of {"Name", "Subcommands" (sorted by name), "Options": [{"Names":
 * [long, short]}]}, "trove" at the root with the global options.  NULL
 * when out of memory. */
json_t *rpc_commands_tree(void);

/* Free what the API read into ctx (the daemon's end). */
void rpc_ctx_fini(rpc_ctx_t *ctx);

/* How long a request waits for blocks when it gives no timeout=. */
#define RPC_FETCH_TIMEOUT_MS 60000u

/* The API listener's handler; ud is the rpc_ctx_t. */
void rpc_api_handle(http_req_t *req, void *ud);

/* A GC for the daemon's --enable-gc (rpc_gc.c): run, or queued behind the
 * run in progress as a repo/gc call is, when the repo is over
 * ctx->gc_threshold; its outcome is logged.  On the loop's thread. */
void rpc_gc_auto(rpc_ctx_t *ctx);
/* The node stops: the GC under way ends at its next removed block, none
 * starts after it (its waiters get ECANCELED).  On the loop's thread. */
void rpc_gc_stop(rpc_ctx_t *ctx);

#endif /* RPC_RPC_H */

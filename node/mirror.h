/*
 * mirror.h — the daemon's wiring of mirror/ (the Pinning Service API and
 * its pin engine): opens the pins store in the repo, runs the engine on
 * the loop with the node's fetcher, answers /pins on the API listener
 * (node_mirror_handle, called before the RPC API's handler) and, when
 * Mirror.PinningAPI.Address is set, on a listener of its own.
 *
 * The follows (mirror/follow.h) run on the loop too, their IPNS names
 * resolved through router (the gateway's /ipns/ router), and the API
 * commands mirror/follow, mirror/unfollow, mirror/status and mirror/sync,
 * and pin/remote/... (Kubo's, mirror_remote.c), are answered through
 * rpc's ext_cmd hook (what is not theirs goes to the
 * hook installed before: the scrubber's).
 *
 * Config: Mirror.Follow.Interval (a Go duration between syncs of a follow,
 * default 1m), Mirror.Follow.Grace (how long a pin no longer wanted is
 * kept, default 24h; "0": removed at once), Mirror.Follow.Concurrency
 * (syncs at once, default 4), Mirror.PinningAPI.Address (a TCP multiaddr; TLS is a reverse
 * proxy's), Mirror.Concurrency (pins fetched at once, default
 * MIR_CONCURRENCY_DEFAULT), Mirror.FetchTimeout (a Go duration: a fetch
 * that gains no block for that long fails its pin; default 2m).
 */
#ifndef NODE_MIRROR_H
#define NODE_MIRROR_H

#include <jansson.h>

#include "../gateway/gw_routing.h"
#include "../mirror/follow.h"
#include "../mirror/psa_client.h"
#include "../mirror/pins.h"
#include "../net/host.h"
#include "../rpc/rpc.h"

typedef struct node_mirror {
  mir_store_t *st;
  mir_engine_t *eng;
  mir_api_t *api;
  http_server_t *srv;
  net_host_t *host;
  mir_follower_t *fol;          /* the follows (mirror/follow.h) */
  const gw_router_t *router;    /* IPNS names of /ipns/ follows; may be NULL */
  bool (*prev_cmd)(void *, http_req_t *, const char *); /* rpc's ext_cmd before */
  void *prev_ud;
  char addr[128]; /* the own listener's multiaddr, "" when none */
  uv_loop_t *loop;
  rpc_ctx_t *rpc;               /* the repo path and blockstore; not owned */
  char peerid[80];
  struct node__rreq *remote_reqs; /* pin/remote calls in flight */
} node_mirror_t;

/* Start it all (m zeroed).  fetcher and host may be NULL (offline).
 * peerid names this node in the delegates.  own_host (numeric; NULL:
 * none) and own_port: the listener of its own, from
 * Mirror.PinningAPI.Address (the daemon parses it).  0, or an error
 * already logged. */
int node_mirror_start(node_mirror_t *m, uv_loop_t *loop, bs_env_t *env,
                      const bs_fetcher_t *fetcher, net_host_t *host,
                      const char *peerid, json_t *cfg, const char *own_host,
                      int own_port, const gw_router_t *router,
                      rpc_ctx_t *rpc) TR_WUR;
/* true when req was the Pinning Service API's (answered). */
bool node_mirror_handle(node_mirror_t *m, http_req_t *req);
/* Internals of mirror.c, mirror_remote.c and mirror_peers.c (pin/remote):
 * the command (true when it was one of them, answered), the calls in
 * flight ended (node_mirror_stop), a peer dialled, and this node's
 * addresses as a pin's origins when cid's block is here (NULL when not
 * or offline). */
bool node__mirror_remote_cmd(node_mirror_t *m, http_req_t *req,
                             const char *cmd);
void node__mirror_remote_stop(node_mirror_t *m);
void node__mirror_connect(node_mirror_t *m, const char *maddr);
/* Where this node listens, each with /p2p/ID: how many went into buf. */
size_t node__mirror_own_addrs(node_mirror_t *m,
                              char (*buf)[NET_MA_STR_MAX / 16 + 80],
                              size_t max);
json_t *node__mirror_origins(node_mirror_t *m, const dag_cid_t *cid);

/* Stop the listener and the engine (their handles close on the loop). */
void node_mirror_stop(node_mirror_t *m);
/* After the loop has run down: free the rest. */
void node_mirror_free(node_mirror_t *m);

#endif /* NODE_MIRROR_H */

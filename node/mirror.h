/*
 * mirror.h — the daemon's wiring of mirror/ (the Pinning Service API and
 * its pin engine): opens the pins store in the repo, runs the engine on
 * the loop with the node's fetcher, answers /pins on the API listener
 * (node_mirror_handle, called before the RPC API's handler) and, when
 * Mirror.PinningAPI.Address is set, on a listener of its own.
 *
 * Config: Mirror.PinningAPI.Address (a TCP multiaddr; TLS is a reverse
 * proxy's), Mirror.Concurrency (pins fetched at once, default
 * MIR_CONCURRENCY_DEFAULT), Mirror.FetchTimeout (a Go duration: a fetch
 * that gains no block for that long fails its pin; default 2m).
 */
#ifndef NODE_MIRROR_H
#define NODE_MIRROR_H

#include <jansson.h>

#include "../mirror/pins.h"
#include "../net/host.h"

typedef struct node_mirror {
  mir_store_t *st;
  mir_engine_t *eng;
  mir_api_t *api;
  http_server_t *srv;
  net_host_t *host;
  char addr[128]; /* the own listener's multiaddr, "" when none */
} node_mirror_t;

/* Start it all (m zeroed).  fetcher and host may be NULL (offline).
 * peerid names this node in the delegates.  0, or an error already
 * logged. */
int node_mirror_start(node_mirror_t *m, uv_loop_t *loop, bs_env_t *env,
                      const bs_fetcher_t *fetcher, net_host_t *host,
                      const char *peerid, json_t *cfg) TR_WUR;
/* true when req was the Pinning Service API's (answered). */
bool node_mirror_handle(node_mirror_t *m, http_req_t *req);
/* Stop the listener and the engine (their handles close on the loop). */
void node_mirror_stop(node_mirror_t *m);
/* After the loop has run down: free the rest. */
void node_mirror_free(node_mirror_t *m);

#endif /* NODE_MIRROR_H */

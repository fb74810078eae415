/*
 * bitswap.h (node/) — the daemon's bitswap: the swarm adapter on the host
 * (bitswap/swarm.h), a router for its provider searches on the node's
 * DHTs (node/routing.h's, seen through bitswap's own router shape), and
 * the fetcher it hands the gateway and the API.
 *
 * Config: Bitswap.Libp2pEnabled (Kubo's; default true: false runs no
 * bitswap, the node fetches nothing), Bitswap.ServerEnabled (default true:
 * false fetches without serving), HTTPRetrieval.Enabled (Kubo's; default
 * true), HTTPRetrieval.Gateways (trove's: trustless gateways to fetch
 * from, "http://host:port"), Gateway.NoFetch, Gateway.RetrievalTimeout.
 */
#ifndef NODE_BITSWAP_H
#define NODE_BITSWAP_H

#include "../bitswap/swarm.h"
#include "../config/config.h"
#include "../gateway/gateway.h"
#include "../rpc/rpc.h"
#include "routing.h"

typedef struct node_bitswap {
  bsw_swarm_t *sw;
  node_routing_t routing; /* provider searches on the DHTs */
  bsw_router_t router;
} node_bitswap_t;

/* Start bitswap on host over env, with provider searches on the DHTs
 * and delegated routers given (any may be NULL), and hand its fetcher to gw and rpc.  0 (also
 * when the config turns bitswap off), TR_ECONFIG, and bsw_swarm_new()'s
 * errors. */
int node_bitswap_start(node_bitswap_t *nb, uv_loop_t *loop, net_host_t *host,
                       bs_env_t *env, dht_swarm_t *lan, dht_swarm_t *wan,
                       node_deleg_t *deleg, json_t *cfg, gw_ctx_t *gw,
                       rpc_ctx_t *rpc) TR_WUR;
/* Before the DHTs and the host close: fetches end, the writer writes what
 * it holds. */
void node_bitswap_stop(node_bitswap_t *nb, gw_ctx_t *gw, rpc_ctx_t *rpc);

#endif /* NODE_BITSWAP_H */

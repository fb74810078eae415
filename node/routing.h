/*
 * routing.h — the gateway's router (gateway/gw_routing.h) on the node's
 * DHTs: what the Delegated Routing V1 API under /routing/v1/ asks (find
 * providers, find a peer, get and put IPNS records) runs on the LAN and the
 * WAN DHT at once and the answers are merged, as Kubo's dual DHT and
 * rpc/rpc_routing.c do; when Routing.DelegatedRouters names http://
 * routers (node/delegated.h), they are a third side of every call, as
 * Kubo's "auto" routing runs its HTTP routers beside the DHT.  Bitswap's
 * provider searches use the same code (node/bitswap.c).
 *
 * The daemon owns a node_routing_t, starts it once the DHTs are up, hands
 * node_routing_router() to the gateway's context, and stops it before it
 * closes the DHTs: every lookup still running then ends (-ECANCELED).
 */
#ifndef NODE_ROUTING_H
#define NODE_ROUTING_H

#include <stdbool.h>
#include <uv.h>

#include "../config/config.h"
#include "../dht/swarm.h"
#include "../gateway/gateway.h"
#include "../net/host.h"
#include "delegated.h"

/* Lookups at once; past it a call fails with TR_ELIMIT. */
#define NODE_ROUTING_LOOKUPS_MAX 256

typedef struct node_rlook node_rlook_t;

typedef struct node_routing {
  uv_loop_t *loop;
  net_host_t *host;        /* for peers known already; may be NULL */
  dht_swarm_t *lan, *wan;  /* either may be NULL */
  node_deleg_t *deleg;     /* the delegated routers, or NULL; none of the
                              three: -ENOTSUP */
  uv_idle_t idle;          /* delivers the ends, outside the DHT's calls */
  bool started;
  node_rlook_t *live, *pending;
  size_t n;
  gw_router_t router;
} node_routing_t;

/* Start r over the host, DHTs and delegated routers (not owned; they
 * must outlive it, or node_routing_stop() must come first).  0 or libuv's
 * errors. */
int node_routing_start(node_routing_t *r, uv_loop_t *loop, net_host_t *host,
                       dht_swarm_t *lan, dht_swarm_t *wan,
                       node_deleg_t *deleg) TR_WUR;
/* End every lookup (on_done with -ECANCELED), cancel their DHT queries and
 * close the idle handle.  r may be reused after the loop has run once. */
void node_routing_stop(node_routing_t *r);
/* The router to hand the gateway; valid while r is started. */
const gw_router_t *node_routing_router(node_routing_t *r);

/* Hand r to h as the router of its dials by ID (net_host_set_router):
 * a peer whose known addresses all fail is looked up with find_peer (the
 * DHTs, the delegated routers).  Take it back (net_host_set_router(h,
 * NULL)) before node_routing_stop(r). */
void node_routing_host(node_routing_t *r, net_host_t *h);

/* The daemon's wiring: Gateway.ExposeRoutingAPI in cfg (a flag, Kubo's
 * default true; anything but false counts as true) says whether gw serves
 * /routing/v1/; when it does, r is started on the DHTs given (none: the
 * API answers 500, routing is off) and becomes gw's router.  0 or
 * node_routing_start()'s errors. */
int node_routing_wire(node_routing_t *r, gw_ctx_t *gw, uv_loop_t *loop,
                      net_host_t *host, dht_swarm_t *lan, dht_swarm_t *wan,
                      node_deleg_t *deleg, json_t *cfg) TR_WUR;

/* DNSLink for the gateway (node/dnslink.c): the offline name map from the
 * environment variable IPFS_NS_MAP (Kubo's: "domain:/ipfs/CID,..."), DNS
 * lookups through DNS-over-HTTPS for the suffixes DNS.Resolvers maps to
 * an https:// or http:// URL (Kubo's; the longest suffix wins, "." for
 * every name; answers cached for their TTL, at most DNS.MaxCacheTTL),
 * else through the system resolver unless DNS.Resolvers["."] is "none"
 * (trove's), Host sites unless
 * Gateway.NoDNSLink.  Also the gateway hosts of Gateway.PublicGateways
 * (Kubo's: "localhost" with subdomains unless named; UseSubdomains,
 * InlineDNSLink; Paths are always /ipfs and /ipns).  d and hosts are
 * filled (free with gw_dnslink_free, gw_hosts_free) and handed to gw;
 * gw->loop must be set.  0, TR_ECONFIG (IPFS_NS_MAP, PublicGateways,
 * DNS.Resolvers or DNS.MaxCacheTTL malformed), -ENOMEM. */
int node_dnslink_wire(gw_dnslink_t *d, gw_hosts_t *hosts, gw_ctx_t *gw,
                      json_t *cfg) TR_WUR;
/* Stop d's DoH resolver: lookups under way end with -ECANCELED from the
 * loop, which must run on to close its handles; new ones fail with
 * -ECANCELED.  The gateway may still cancel lookups until
 * node_dnslink_free, which frees what is left (after the loop's last run;
 * alone, it also stops).  No-ops when there is no resolver. */
void node_dnslink_stop(gw_dnslink_t *d);
void node_dnslink_free(gw_dnslink_t *d);

#endif /* NODE_ROUTING_H */

/*
 * node_int.h — what the daemon's files share: the node (every service the
 * daemon runs and what they are handed), the start-up's failure report
 * (startup.c), and the libp2p side's start-up and shutdown steps (p2p.c).
 * daemon.c composes them; p2p.c never calls back into daemon.c.
 */
#ifndef NODE_INT_H
#define NODE_INT_H

#include "daemon.h"
#include "mirror.h"

#include <stdbool.h>
#include <sys/un.h>
#include <uv.h>

#include "../blockstore/bs.h"
#include "../dht/provq.h"
#include "../dht/reprov.h"
#include "../dht/swarm.h"
#include "../gateway/gateway.h"
#include "../net/addrpolicy.h"
#include "../net/autonat.h"
#include "../net/host.h"
#include "../net/pnet.h"
#include "../rpc/rpc.h"
#include "bitswap.h"
#include "../pubsub/swarm.h"
#include "bootstrap.h"
#include "../net/peering.h"
#include "delegated.h"
#include "gwloops.h"
#include "mdns.h"
#include "p2pmount.h"
#include "identity.h"
#include "obs.h"
#include "routing.h"
#include "scrub.h"

#define TROVE_VERSION "0.1.0"

typedef struct node {
  uv_loop_t loop;
  uv_signal_t sigint, sigterm;
  http_server_t *gateway, *api;
  /* The API again on <repo>/api.sock, for the CLI (node_daemon_sock);
   * api_sock[0] while the file is ours to remove. */
  http_server_t *api_unix;
  char api_sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
  net_host_t *host;
  net_autonat_t *autonat;
  dht_swarm_t *dht_lan, *dht_wan;
  node_boot_t *boot; /* the Bootstrap rounds */
  net_peering_t *peering; /* Peering.Peers, kept connected */
  p2pm_t *p2pm; /* `p2p` listeners and streams (p2pmount.h) */
  dns_dnsaddr_t *dnsaddr; /* /dnsaddr for them and swarm connect */
  dht_provq_t *provq;   /* announces new roots */
  dht_reprov_t *reprov[2]; /* the LAN and WAN sweeps */
  bool wan_auto; /* the WAN DHT serves when AutoNAT says Public */
  uv_timer_t republish; /* re-signs our IPNS records (republish.h) */
  uint64_t republish_ms, lifetime_ns;
  uv_timer_t snapshot; /* the DHTs' state into the repo */
  uv_timer_t autogc;   /* --enable-gc: a conditional GC each GCPeriod */
  uv_timer_t maptrim;  /* drops the map's pages from RSS (daemon.c) */
  uv_work_t snap_work;
  bool snap_busy;
  tr_bytes_t snap[2];
  net_privkey_t key; /* the identity, for the host and IPNS records */
  node_deleg_t *deleg;    /* Routing.DelegatedRouters, or NULL */
  rpc_router_t rpc_router; /* deleg for the RPC API (n->rpc.router) */
  node_routing_t routing; /* the gateway's /routing/v1 on the DHTs */
  node_routing_t host_routing; /* the host's dials by ID: net_host_set_router */
  node_bitswap_t bitswap; /* and the fetcher of the gateway and API */
  node_scrub_t scrub;     /* Mirror.Scrub: rehash and repair */
  ps_swarm_t *pubsub;     /* Pubsub.Enabled: the pubsub router, or NULL */
  gw_ctx_t gw;   /* the gateway's context */
  gw_limit_t gw_limit; /* its concurrent requests, over all its loops */
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
  net_ap_t policy; /* Addresses.*Announce, Swarm.AddrFilters: the host's */
  node_mdns_t *mdns; /* Discovery.MDNS.Enabled: the link's peers */
  bool has_psk; /* <repo>/swarm.key: a private network */
  uint8_t psk[NET_PNET_KEY_LEN];
  bool stopping;
  bool ready; /* start-up is over: a stop is news worth a log line */
} node_t;

/* Start-up failures are said once, by the caller (cli: "trove: daemon:
 * ..."), from the opts' buffer; logged only when there is none.  Returns
 * rc. */
int node__fail(const node_daemon_opts_t *o, int rc, const char *fmt, ...)
    TR_PRINTF(3, 4);

/* The libp2p side (p2p.c), in the order the daemon starts them; each
 * returns 0 or what node__fail returned. */

/* <repo>/swarm.key, as Kubo reads $IPFS_PATH/swarm.key: none means the
 * public network, unless LIBP2P_FORCE_PNET=1 (go-libp2p's switch) demands
 * a private one; a key that cannot be read or parsed stops the daemon. */
int node__read_swarm_key(node_t *n, const node_daemon_opts_t *o);
/* The libp2p host on Addresses.Swarm, with Swarm's limits and connection
 * manager. */
int node__start_swarm(node_t *n, const node_daemon_opts_t *o, json_t *cfg,
                      const node_identity_t *id);
/* AutoNAT on the host, per AutoNAT.ServiceMode. */
int node__start_autonat(node_t *n, const node_daemon_opts_t *o, json_t *cfg);
/* The LAN and WAN DHTs per Routing.Type, the provide queue, the IPNS
 * republisher, the reprovider, the DHTs' saved state and its snapshot
 * timer, and the Bootstrap dials. */
int node__start_dht(node_t *n, const node_daemon_opts_t *o, json_t *cfg);
/* Routing.DelegatedRouters. */
int node__start_deleg(node_t *n, const node_daemon_opts_t *o, json_t *cfg);
/* Pubsub on the host when Pubsub.Enabled or --enable-pubsub-experiment
 * (pubsub.c), per Pubsub.Router; handed to the API. */
int node__start_pubsub(node_t *n, const node_daemon_opts_t *o, json_t *cfg);
/* At shutdown, before the host: the API's subscriptions end. */
void node__stop_pubsub(node_t *n);
/* At shutdown, on the loop: the DHTs' state into the repo. */
void node__dht_save_now(node_t *n);

#endif /* NODE_INT_H */

/*
 * swarm.h — the DHT on the libp2p host (net/host.h): the thin libuv
 * adapter that gives the core (dht.h) its streams, dials, clock and
 * timer, as go-libp2p-kad-dht's messenger does for its query logic.
 *
 * One dht_swarm_t is one DHT: the WAN one speaks /ipfs/kad/1.0.0 and
 * knows peers by their public addresses; the LAN one speaks
 * /ipfs/lan/kad/1.0.0 and knows them by private ones (and by loopback
 * ones with opts.loopback, Kubo's Routing.LoopbackAddressesOnLanDHT) —
 * Kubo's "dual" DHT is the two side by side.
 *
 * The table: a peer whose identify lists the protocol is added (with the
 * addresses it listens on that the scope allows); one that stops listing
 * it is removed.  When the table goes from empty to not, the DHT looks
 * itself up and refreshes its buckets (go's bootstrap).  A table below
 * DHT_SWARM_LOW_PEERS takes back the connected peers that speak the
 * protocol (go's fixLowPeers), at the tick after it shrank and every
 * DHT_SWARM_FIX_MS: peers evicted for failed requests (a stall, a burst
 * of timeouts) while their connections lived were otherwise gone for
 * good, since only a new connection's identify adds a peer.
 *
 * Requests out: a stream carries a request frame and the peer's answer
 * frame (none for ADD_PROVIDER), after a dial through the peer's
 * addresses when it is not connected; then it stays open, idle, for the
 * next request to that peer (DHT_SWARM_IDLE_PEER_MAX a peer,
 * DHT_SWARM_IDLE_OUT_MAX in all), as go-libp2p-kad-dht keeps its stream
 * to each peer: no stream to open, no protocol to negotiate (a round trip)
 * per request.  An idle stream is closed after DHT_SWARM_REUSE_MS, well
 * inside the servers' own idle timeout (DHT_SWARM_IDLE_MS, Kubo's too);
 * one that fails before the answer (the peer closed or reset it
 * meanwhile) sends the request again on a new stream, once.  An answer
 * with bytes after it ends the stream.  A request with no answer
 * (ADD_PROVIDER) that finds no idle stream while another request is
 * getting one to the same peer (a dial, an open) waits for it and goes
 * on it next: a burst of them to one peer (a provide, a page of the sweep)
 * takes one stream, not one each.  At most DHT_SWARM_OPS_MAX at once,
 * the others wait their turn in order (up to DHT_SWARM_WAIT_MAX of them:
 * a burst of lookups must not fail for want of a slot), as does one
 * whose connection has no stream free.  Requests in
 * (server mode only: a
 * client does not register the protocol, so identify does not list it):
 * a stream may carry any number of requests, each answered in order,
 * until the peer closes it or leaves it idle for DHT_SWARM_IDLE_MS (Kubo
 * sends its ADD_PROVIDERs back to back on one stream).  A request that
 * does not decode, or that the core refuses, resets the stream.
 *
 * Time: the core's now is wall-clock milliseconds (dht_swarm_now()), so
 * that a persistent store keeps expiry times across restarts.
 */
#ifndef DHT_SWARM_H
#define DHT_SWARM_H

#include <stdbool.h>
#include <uv.h>

#include "../net/host.h"
#include "dht.h"

#define DHT_PROTO_WAN "/ipfs/kad/1.0.0"
#define DHT_PROTO_LAN "/ipfs/lan/kad/1.0.0"
#define DHT_SWARM_IDLE_MS 60000 /* go-libp2p-kad-dht's stream idle timeout */
#define DHT_SWARM_TICK_MS 250
#define DHT_SWARM_OPS_MAX 512   /* requests out at once */
#define DHT_SWARM_WAIT_MAX 16384 /* requests out waiting for a slot */
#define DHT_SWARM_REUSE_MS 10000  /* an idle stream of ours lives this long */
#define DHT_SWARM_IDLE_PEER_MAX 2 /* idle streams of ours to one peer */
#define DHT_SWARM_IDLE_OUT_MAX 256 /* idle streams of ours in all */
#define DHT_SWARM_LOW_PEERS 10    /* go's minRTRefreshThreshold */
#define DHT_SWARM_FIX_MS 60000    /* a low table looks at our connections */

typedef struct dht_swarm dht_swarm_t;

typedef struct dht_swarm_opts {
  bool lan;      /* the LAN DHT (private addresses), else the WAN one */
  bool loopback; /* LAN: loopback addresses count as private */
  bool server;   /* answer requests (register the protocol) */
  uint32_t request_ms; /* 0: DHT_REQUEST_MS */
  dht_validate_fn validate;
  dht_select_fn select;
  void *ud; /* for validate and select */
  dht_store_t *store; /* NULL: in memory; not owned */
} dht_swarm_opts_t;

/* 0, TR_EEXIST (the protocol is registered already), TR_ELIMIT, -ENOMEM,
 * libuv's errors. */
int dht_swarm_new(uv_loop_t *loop, net_host_t *h, const dht_swarm_opts_t *o,
                  dht_swarm_t **out) TR_WUR;
/* Fail what is in flight, stop the timer and free (the handle closes
 * asynchronously; the memory goes with it). */
void dht_swarm_close(dht_swarm_t *s);

/* The core, for lookups: pass dht_swarm_now() as now. */
dht_t *dht_swarm_dht(dht_swarm_t *s);
uint64_t dht_swarm_now(const dht_swarm_t *s);
const char *dht_swarm_protocol(const dht_swarm_t *s);
bool dht_swarm_lan(const dht_swarm_t *s);

/* Switch between server and client mode (Kubo's auto mode follows
 * AutoNAT: a server once the node is reachable): the protocol is
 * registered or withdrawn and identify pushed to the connected peers, so
 * that they add us to their tables or drop us.  0, or net_host_handle()'s
 * errors. */
int dht_swarm_set_server(dht_swarm_t *s, bool on) TR_WUR;
bool dht_swarm_server(const dht_swarm_t *s);

/* Refresh what we advertise as provider (the host's listen addresses,
 * those the scope allows); the daemon calls it once its listeners are up. */
void dht_swarm_update_self(dht_swarm_t *s);

typedef struct dht_swarm_stats {
  uint64_t streams_in, streams_out, dials, dial_failures, resets;
  uint64_t streams_reused; /* requests sent on an idle stream of ours */
  uint64_t retries; /* of those, sent again on a new stream */
  uint64_t parked;  /* requests that waited for another's new stream */
  uint32_t idle;    /* idle streams of ours now */
  uint32_t ops; /* requests out in progress */
  uint32_t sends; /* of them, requests with no answer (ADD_PROVIDER) not
                     yet written */
} dht_swarm_stats_t;
void dht_swarm_stats(const dht_swarm_t *s, dht_swarm_stats_t *out);

#endif /* DHT_SWARM_H */

/*
 * swarm.h — bitswap on the libp2p host (net/host.h): the thin libuv
 * adapter that gives the core (bitswap.h) its streams, clock, store and
 * timers, and the node's fetcher (blockstore/fetch.h) built on it.
 *
 * Streams: /ipfs/bitswap/1.2.0, 1.1.0, 1.0.0 and /ipfs/bitswap are
 * answered; each peer that speaks one (identify says so) is a bitswap
 * peer, and we send to it on one stream we open (the newest version it
 * lists), every message behind its uvarint length, as go and js do.  A
 * peer leaves the core when its last connection closes.  What a peer
 * sends on any number of streams it opened is read message by message
 * (at most BSW_MSG_MAX each, BSW_SWARM_PEER_IN_MAX unfinished over all
 * its streams: past either the stream is reset).
 *
 * The store: the server reads blocks on the loop (a read transaction per
 * call, LMDB's map: page-cache hits); blocks that arrive go to the one
 * batching writer (bs_writer_t, owned here), and only once committed are
 * they announced to the server (bsw_block_added) and to the fetches
 * waiting for them.
 *
 * Bad peers: one the core bans is disconnected and refused (its streams
 * reset, our dials to it skipped) for BSW_SWARM_BAN_MS.
 *
 * Providers: when a session finds nobody with a block, the router (the
 * daemon's: the DHTs) is asked for providers of it; up to
 * BSW_SWARM_PROV_MAX of them are dialled and join the session — or, for
 * one that announces an /http address, fetched from over HTTP.
 *
 * HTTP retrieval (opts.http): trustless gateways are peers of the core
 * too (httpnet.h), the configured ones from the start.
 */
#ifndef BITSWAP_SWARM_H
#define BITSWAP_SWARM_H

#include <stdbool.h>
#include <uv.h>

#include "../blockstore/bs.h"
#include "../blockstore/fetch.h"
#include "../net/host.h"
#include "bitswap.h"

#define BSW_SWARM_BAN_MS (10 * 60 * 1000)
#define BSW_SWARM_PROV_MAX 10
#define BSW_SWARM_TICK_MS 100
#define BSW_SWARM_QUEUE_MAX (8u << 20) /* bytes waiting for a stream */
/* Bytes of unfinished messages all of one peer's streams may hold: two
 * whole messages (a peer may send on two streams at once). */
#define BSW_SWARM_PEER_IN_MAX (2 * BSW_MSG_MAX + 64)
/* A fetch's session lives on this long after its last reader, so that
 * the next Range request of a player finds it (and what it fetched ahead)
 * still running. */
#define BSW_SWARM_IDLE_MS 30000

typedef struct bsw_swarm bsw_swarm_t;

/* The providers of a multihash, as the daemon's router finds them: peer
 * is a PeerID (base58btc text), addrs multiaddrs (text); views valid
 * during the call.  done comes once, last, never from inside
 * find_providers; cancel stops a lookup (no callback after it). */
typedef void (*bsw_prov_cb)(void *arg, const char *peer,
                            const char *const *addrs, size_t naddrs);
typedef void (*bsw_prov_done_cb)(void *arg, int status);
typedef struct bsw_router {
  int (*find_providers)(void *ud, const uint8_t *mh, size_t mhl, size_t max,
                        bsw_prov_cb on_peer, bsw_prov_done_cb on_done,
                        void *arg, void **lookup);
  void (*cancel)(void *ud, void *lookup);
  void *ud;
} bsw_router_t;

typedef struct bsw_swarm_opts {
  bs_env_t *env;               /* the store; not owned */
  const bsw_router_t *router;  /* NULL: connected peers only; not owned */
  const bsw_limits_t *limits;  /* NULL: defaults */
  bool server;                 /* answer wants (Kubo's Bitswap server) */
  /* HTTP retrieval (httpnet.h): on, providers that announce /http
   * addresses are fetched from over HTTP, and so are the trustless
   * gateways listed ("http://host:port"; copied). */
  bool http;
  const char *const *gateways;
  size_t ngateways;
} bsw_swarm_opts_t;

/* 0, TR_EEXIST (a bitswap protocol is registered already), TR_ELIMIT,
 * -ENOMEM, libuv's and the writer's errors. */
int bsw_swarm_new(uv_loop_t *loop, net_host_t *h, const bsw_swarm_opts_t *o,
                  bsw_swarm_t **out) TR_WUR;
/* Cancel every fetch (no callbacks), stop, write what the writer holds,
 * and free (handles close asynchronously; the memory goes with them). */
void bsw_swarm_close(bsw_swarm_t *s);

/* The fetcher to hand the gateway and the API: fetches through sessions
 * (one per DAG a reader is in), done once the block is committed. */
const bs_fetcher_t *bsw_swarm_fetcher(bsw_swarm_t *s);

/* A block stored by another path (an import): peers that want it get it. */
void bsw_swarm_block_added(bsw_swarm_t *s, const dag_cid_t *cid, size_t len);
/* The store gained blocks the caller does not name (an import through the
 * API): peers' pending wants are looked up again (bsw_store_grew).  On the
 * loop. */
void bsw_swarm_store_grew(bsw_swarm_t *s);

/* The core, for statistics (bsw_stats, bsw_ledger, bsw_wantlist). */
const bsw_t *bsw_swarm_core(const bsw_swarm_t *s);

typedef struct bsw_swarm_stats {
  uint64_t streams_in, streams_out, bytes_in, bytes_out;
  uint64_t blocks_written, commits, fetches, fetch_sessions, prov_searches;
  uint64_t bans;
} bsw_swarm_stats_t;
void bsw_swarm_stats(bsw_swarm_t *s, bsw_swarm_stats_t *out);

#endif /* BITSWAP_SWARM_H */

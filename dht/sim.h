/*
 * sim.h — an in-process network of DHT cores (dht.h) for tests and
 * benchmarks: thousands of nodes, messages delivered through one event
 * queue in simulated time with per-link latency and loss, nodes that can
 * be killed (their peers see a refused connection after one latency, as
 * TCP would show it) or made silent (requests to them time out).
 *
 * Nodes are named by index; node i's PeerID is the sha2-256 multihash of
 * its index and its one address /ip4/10.a.b.c/tcp/4001 encodes i, so the
 * simulator routes a message by the address the core sends it to.
 * Records: every value is valid, and the greatest by bytes is the best.
 *
 * Deterministic: the same options (seed included) give the same run.
 */
#ifndef DHT_SIM_H
#define DHT_SIM_H

#include "dht.h"

typedef struct dht_sim dht_sim_t;

typedef struct dht_sim_opts {
  size_t n;
  uint32_t lat_min_ms, lat_max_ms; /* one way, uniform; 0,0: 10..50 */
  double loss;                     /* per message */
  uint64_t seed;
  unsigned k, alpha, beta;         /* 0: dht.h's defaults */
  uint32_t request_ms;             /* 0: 2000 */
  bool timers;                     /* run refresh and liveness (slower) */
  /* Requests with no answer (ADD_PROVIDER) a node may have on the way:
   * past it, a send is refused with TR_ELIMIT, as the swarm refuses one
   * when its queue is full.  0: no limit. */
  uint32_t out_max;
  /* Which provider records the nodes' stores keep: NULL, all; else only
   * those for keys keep() accepts, the others counted and dropped, so
   * that a million keys provided into 10,000 nodes do not take twenty
   * million records of memory (bench/bench_dht.c). */
  bool (*keep)(void *ud, const uint8_t *key, size_t kl);
  void *keep_ud;
} dht_sim_opts_t;

/* 0, TR_EUSAGE (n over 2^24 or 0), -ENOMEM. */
int dht_sim_new(const dht_sim_opts_t *o, dht_sim_t **out) TR_WUR;
void dht_sim_free(dht_sim_t *s);

size_t dht_sim_size(const dht_sim_t *s);
dht_t *dht_sim_node(dht_sim_t *s, size_t i);
void dht_sim_peer(const dht_sim_t *s, size_t i, dht_peer_t *out);
uint64_t dht_sim_now(const dht_sim_t *s);

/* Node i dies: what is in flight to it is lost, later requests are
 * refused.  silent: requests to it vanish instead (they time out). */
void dht_sim_kill(dht_sim_t *s, size_t i, bool silent);
bool dht_sim_alive(const dht_sim_t *s, size_t i);

/* Node i lies: it answers every request with DHT_MSG_PEERS_MAX made-up
 * closer peers whose addresses lead nowhere (requests to them time out)
 * and nothing else. */
void dht_sim_lie(dht_sim_t *s, size_t i);

/* Node i learns node via and looks itself up (go's bootstrap). */
int dht_sim_join(dht_sim_t *s, size_t i, size_t via) TR_WUR;
/* Give every live node the table a long-running network converges to:
 * for each bucket, up to k peers drawn at random from the nodes whose key
 * falls in it.  Fast (sorted keys), for networks too big to join one by
 * one. */
int dht_sim_fill_tables(dht_sim_t *s) TR_WUR;

/* Deliver events until the queue is empty or simulated time passes
 * until (absolute ms); the clock then reads until (unless UINT64_MAX).
 * Returns events handled. */
uint64_t dht_sim_run(dht_sim_t *s, uint64_t until);

typedef struct dht_sim_stats {
  uint64_t delivered, lost, refused;
  uint64_t provider_adds; /* records offered to stores (keep() or not) */
} dht_sim_stats_t;
void dht_sim_stats(const dht_sim_t *s, dht_sim_stats_t *out);

#endif /* DHT_SIM_H */

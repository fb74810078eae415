/*
 * reprov.h — the reprovider on the loop: a sweep (sweep.h) per DHT whose
 * keys are the repo's content per Kubo's Provide.Strategy, and the timer
 * that drives it.
 *
 * Strategies: "all" (every block; the default, as Kubo's), "pinned"
 * (every block of every pinned DAG), "roots" (the pins' roots: direct and
 * recursive pins).  For "all" a region's keys are a range of the
 * blockstore's keyspace index (bs_kspace_range: SHA-256 of the multihash,
 * go's keystore): a page costs the page.  "roots" and "pinned" scan the
 * pins (walking the pinned DAGs for "pinned") and keep the region's next
 * page in SHA-256 order: bounded memory (one page), but a cost that grows
 * with the pinned set times the pages of a cycle - small for roots, the
 * pinned DAGs' size for "pinned".
 */
#ifndef DHT_REPROV_H
#define DHT_REPROV_H

#include <uv.h>

#include "../blockstore/bs.h"
#include "sweep.h"
#include "swarm.h"

typedef struct dht_reprov dht_reprov_t;

typedef enum { DHT_PROVIDE_ROOTS, DHT_PROVIDE_PINNED, DHT_PROVIDE_ALL }
dht_provide_strategy_t;

/* Kubo's names ("all", "pinned", "roots"; "" is the default, all);
 * TR_EUSAGE for others. */
int dht_provide_strategy(const char *s, dht_provide_strategy_t *out) TR_WUR;

/* Where a sweep's keys come from: env's blocks per strategy. */
typedef struct dht_reprov_src {
  bs_env_t *env;
  dht_provide_strategy_t strategy;
  bool scan; /* "all" by scanning the blocks, not the index (the bench's
                reference; what a repo without the index gets) */
  unsigned reads; /* pages read; the map is released every
                     DHT_REPROV_RELEASE_PAGES */
} dht_reprov_src_t;

/* Pages of keys read between two releases of the repo's map
 * (bs_release_map): a cycle wanders the whole index, and the pages it
 * faults in (with their neighbours) would otherwise stay in RSS. */
#define DHT_REPROV_RELEASE_PAGES 64

/* A dht_sweep_keys_fn over a dht_reprov_src_t (src): the keys of the
 * region, in SHA-256 order, each once, a read transaction of its own.
 * The number of keys, or the blockstore's errors, -ENOMEM.  Exposed for
 * bench/bench_dht.c (a real repo behind the simulated sweep). */
int dht_reprov_keys(void *src, const uint8_t prefix[32], unsigned bits,
                    const uint8_t *after, dht_sweep_key_t *out,
                    size_t max) TR_WUR;

/* A sweep on sw with env's keys, every interval_ms (0: 22 h).  0,
 * -ENOMEM, the errors of dht_sweep_new() and uv_timer_init(). */
int dht_reprov_new(uv_loop_t *loop, dht_swarm_t *sw, bs_env_t *env,
                   dht_provide_strategy_t strategy, uint64_t interval_ms,
                   dht_reprov_t **out) TR_WUR;
/* Stop and free (after the timer closes). */
void dht_reprov_close(dht_reprov_t *r);
void dht_reprov_stats(const dht_reprov_t *r, dht_sweep_stats_t *out);
dht_provide_strategy_t dht_reprov_strategy(const dht_reprov_t *r);

#endif /* DHT_REPROV_H */

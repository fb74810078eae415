/*
 * reprov.h — the reprovider on the loop: a sweep (sweep.h) per DHT whose
 * keys are the repo's content per Kubo's Provide.Strategy, and the timer
 * that drives it.
 *
 * Strategies: "roots" (the pins' roots: direct and recursive pins),
 * "pinned" (every block of every pinned DAG), "all" (every block).  The
 * keys of a region are found by scanning the pins or the blocks and
 * keeping the region's next page in SHA-256 order: bounded memory (one
 * page), but a cost that grows with the repo times the pages of a cycle.
 * An index by SHA-256 of the multihash (go's keystore) would make it one
 * range read; until then "roots" is the default, and new roots are
 * announced at once by the provide queue (provq.h) anyway.
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

/* Kubo's names ("all", "pinned", "roots"; "" is the default, roots);
 * TR_EUSAGE for others. */
int dht_provide_strategy(const char *s, dht_provide_strategy_t *out) TR_WUR;

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

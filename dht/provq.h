/*
 * provq.h — announcing new content: a queue any thread may push
 * multihashes into (the RPC's add and pin add run on the worker pool),
 * drained on the loop, as Kubo's provide queue announces a new pin's
 * root at once without waiting for the reprovider.  A few keys waiting go
 * one by one into dht_provide() on every DHT, at most DHT_PROVQ_INFLIGHT
 * at once; DHT_PROVQ_BATCH_MIN or more go as one batch (batch.h: one
 * exploration of their keyspace regions rather than a lookup per key, as
 * Kubo's sweep provider batches new keys), up to DHT_PROVQ_BATCH_MAX, the
 * next batch taking what came meanwhile.
 *
 * Bounded: past DHT_PROVQ_MAX waiting keys a push is dropped (counted);
 * the reprovider announces it at its next pass anyway.
 */
#ifndef DHT_PROVQ_H
#define DHT_PROVQ_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "swarm.h"
#include "sweep.h"

#define DHT_PROVQ_MAX 65536
#define DHT_PROVQ_INFLIGHT 8
#define DHT_PROVQ_BATCH_MIN 8
#define DHT_PROVQ_BATCH_MAX 8192
#define DHT_PROVQ_HELD_MAX (4u << 20) /* keys of dht_provq_push_many held */

typedef struct dht_provq dht_provq_t;

/* Announce on sw[0..n) (NULL entries skipped).  0, -ENOMEM, libuv's
 * errors. */
int dht_provq_new(uv_loop_t *loop, dht_swarm_t *const *sw, size_t n,
                  dht_provq_t **out) TR_WUR;
/* Stop: what waits is dropped, lookups in flight are cancelled, pushes
 * from now on are dropped.  Call on the loop, before the swarms close.
 * The memory stays for the pushes other threads may still be making; free
 * it with dht_provq_free() once the loop has ended and those threads are
 * done. */
void dht_provq_close(dht_provq_t *q);
void dht_provq_free(dht_provq_t *q);

/* From any thread: announce mh[0..mhl) (a multihash, at most
 * DHT_KEY_MAX bytes; longer ones are ignored). */
void dht_provq_push(void *q, const uint8_t *mh, size_t mhl);
/* On the loop (`provide once`): announce keys[0..n) as a batch of their
 * own after those before it, taking keys over.  0, or TR_ELIMIT (more
 * than DHT_PROVQ_HELD_MAX keys would wait: keys not taken), TR_EUSAGE
 * (closing: keys not taken). */
int dht_provq_push_many(dht_provq_t *q, dht_sweep_hkey_t *keys,
                        size_t n) TR_WUR;
/* On the loop (`provide clear`): drop every key waiting (not those in
 * flight); returns how many. */
size_t dht_provq_clear(dht_provq_t *q);

typedef struct dht_provq_stats {
  uint64_t pushed, provided, failed, dropped;
  uint64_t batches; /* started */
  uint32_t waiting, inflight;
} dht_provq_stats_t;
void dht_provq_stats(dht_provq_t *q, dht_provq_stats_t *out);

#endif /* DHT_PROVQ_H */

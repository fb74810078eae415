/*
 * batch.h — a set of keys provided once, on the loop: a one-shot sweep
 * (sweep.h, opts.once) on each DHT that knows a peer, and the timer that
 * drives them.  What Kubo 0.39+'s sweep provider does with a batch of new
 * keys (its ProvideOnce): the keyspace regions that hold them explored, a
 * few lookups a region, then each key's ADD_PROVIDERs to the k closest
 * of the peers found - where one lookup per key would cost the network
 * ~20 FIND_NODEs a key, each making a server search its table and answer
 * with 20 peers.  `routing provide` of many CIDs (rpc/rpc_provide.c) and
 * the provide queue (provq.h) use it.
 *
 * Unlike dht_provide, the keys are not put in the DHTs' local stores, as
 * the reprovider's are not: those hold the records other peers gave us,
 * and a batch of a DAG's million blocks would crowd them out (a full
 * store refuses new keys).  The end comes once the records are written
 * out, as a provide's: the sweeps over, the swarms' ADD_PROVIDERs all
 * written (it has no answer; a stream written is as far as it goes).
 */
#ifndef DHT_BATCH_H
#define DHT_BATCH_H

#include <uv.h>

#include "sweep.h"
#include "swarm.h"

/* Regions explored at once, and keys a region's page holds. */
#define DHT_BATCH_CONCURRENCY 16
#define DHT_BATCH_PAGE 64
/* After the sweeps, the end waits for the swarms to have written their
 * requests out, this long at most, looking every DHT_BATCH_FLUSH_POLL_MS. */
#define DHT_BATCH_FLUSH_MS 10000
#define DHT_BATCH_FLUSH_POLL_MS 10

typedef struct dht_batch dht_batch_t;

typedef struct dht_batch_result {
  size_t keys;     /* distinct keys */
  size_t provided; /* the most keys one DHT provided: keys when all went */
} dht_batch_result_t;

/* Whether side i's swarm (sw[i] of dht_batch_new) is still alive: a
 * caller whose swarms may be freed before the batch ends (the RPC's, at
 * shutdown) says so here, and the batch then lets that side go without
 * touching it. */
typedef bool (*dht_batch_here_fn)(void *ud, int i);
/* The end, from the loop (not inside a dht_* call); the batch frees
 * itself afterwards. */
typedef void (*dht_batch_done_fn)(void *ud, const dht_batch_result_t *r);

/* Provide keys[0..n) (taken over on success, with their h filled; any
 * order, repeats dropped) on sw[0] and sw[1] (either may be NULL).  0,
 * -ENETUNREACH (neither knows a peer: nothing started, keys not taken),
 * -ENOMEM, libuv's errors.  here may be NULL (the swarms outlive the
 * batch). */
int dht_batch_new(uv_loop_t *loop, dht_swarm_t *const sw[2],
                  dht_sweep_hkey_t *keys, size_t n, dht_batch_here_fn here,
                  dht_batch_done_fn done, void *ud,
                  dht_batch_t **out) TR_WUR;
/* Stop: no done callback; the lookups are cancelled (on the sides still
 * here), the memory freed once the timer closes.  Not after done. */
void dht_batch_cancel(dht_batch_t *b);

#endif /* DHT_BATCH_H */

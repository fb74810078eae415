/*
 * pool.h — a parallel for-loop on a few long-lived threads: run fn(ctx, i)
 * for every i below n, spread over the caller and the pool's workers, and
 * return when every call has returned.
 *
 * What it is for: the importer hashes the chunks of a run of file bytes
 * at once (dag/importer.h, dag_file_set_pool), which makes an add go at
 * the disk's speed rather than one core's SHA-256 (bench/import.sh).
 * The work items are large (a chunk's hash, 0.1-1 ms), so a run costs one
 * broadcast and one wait, not a handoff per item.
 *
 * One run at a time: a caller that finds the workers busy with another
 * caller's run does its items itself, on its own thread (two adds through
 * the daemon at once each keep at least their own thread).  The caller
 * always takes items too, so a run makes progress even with no worker.
 * fn must not call tr_pool_run on the same pool.
 */
#ifndef COMMON_POOL_H
#define COMMON_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "tr.h"

typedef struct tr_pool tr_pool_t;

typedef void (*tr_pool_fn)(void *ctx, size_t i);

/* A pool whose runs use up to threads threads, the caller's included:
 * threads - 1 workers are started (none for 1).  0, -ENOMEM or
 * pthread_create's error (negative); *p is set only on success. */
int tr_pool_new(tr_pool_t **p, unsigned threads) TR_WUR;
/* Stop the workers and free; no run may be going on. */
void tr_pool_free(tr_pool_t *p);
/* The threads a run may use (workers + 1); 1 for a NULL pool. */
unsigned tr_pool_threads(const tr_pool_t *p);
/* fn(ctx, i) for i in [0, n), each exactly once, in no set order, on at
 * most threads threads (the caller's included; 0: all the pool has);
 * returns when all have returned.  A NULL pool runs them on the caller. */
void tr_pool_run(tr_pool_t *p, unsigned threads, size_t n, tr_pool_fn fn,
                 void *ctx);

/* The same in two steps, so that the caller works on something else while
 * the workers start on the items: tr_pool_start hands them to the idle
 * workers and returns at once; tr_pool_wait takes what is left on the
 * caller and returns when every call has returned (a job that found the
 * workers busy runs whole there).  The caller starts no other job on p
 * between the two (a dag import reads its next window meanwhile). */
typedef struct tr_pool_job {
  tr_pool_t *p;
  tr_pool_fn fn;
  void *ctx;
  size_t n;
  bool mine; /* it holds the workers */
} tr_pool_job_t;
void tr_pool_start(tr_pool_t *p, tr_pool_job_t *j, unsigned threads,
                   size_t n, tr_pool_fn fn, void *ctx);
void tr_pool_wait(tr_pool_job_t *j);

/* The process's pool for hashing imports, made on first use (thread-safe):
 * TROVE_HASH_THREADS threads when that is set (1: no workers), else one
 * per online CPU, at most TR_POOL_THREADS_MAX.  NULL when it could not be
 * made (a run on NULL still works, on the caller alone).  Never freed. */
#define TR_POOL_THREADS_MAX 16
tr_pool_t *tr_pool_hash(void);
/* The threads an import hashes on: all of the hash pool's, less one for
 * its writer thread when it stores what it hashes (blockstore/pipe.h):
 * on two cores a store's add measured 1.10-1.23 s on two hashing threads
 * and 0.96-1.07 s on one, the writer's copies into the page cache being
 * half of its CPU. */
unsigned tr_pool_hash_threads(bool stores);

#endif /* COMMON_POOL_H */

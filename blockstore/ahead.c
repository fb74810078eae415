/*
 * ahead.c — a thread that maps, ahead of GC's deletes, the pages they will
 * read (bs_int.h, bs__ahead_start).
 *
 * A GC deletes garbage blocks scattered over the whole file: each delete
 * descends to a leaf of the blocks database (and one of the links index)
 * that nothing mapped since the last release of the map, and so takes
 * page faults, each mapping the 16 pages around it (the kernel's
 * fault-around), on the deleting thread, which holds the write lock.
 * Profiled (1M blocks, 100k garbage), mapping and unmapping pages were the
 * largest part of the deletes.  This thread takes those faults instead,
 * on another core, while the deleting one copies and writes pages.  It
 * reads the snapshot GC holds through its deletes (gc.c, hold_begin),
 * whose pages are the deletes' but for the leaves and branches earlier
 * chunks rewrote - the deletes go in key order, so those lie behind them.
 *
 * The RSS: the map is released every BS__AHEAD_EPOCH keys, as the
 * deleting thread did itself before, but by this thread and once the
 * deletes are about to pass what it mapped; then it maps the next keys.
 * Measured (1M blocks, 100k garbage, 4 GCs each way): the deletes took
 * 2.32-2.61 s instead of 2.66-3.03 s, with 60-65% of the keys looked up
 * here first, and the peak file-mapped RSS was 134-140 MiB instead of
 * 84-97 MiB.  Releasing every 8192 keys let it look up all of them first
 * (1.84-2.19 s) at 632-664 MiB; unmapping only the 64 KiB windows of the
 * keys passed (process_madvise) gained nothing over this: the branch
 * pages' windows filled the RSS as much.
 */
#include "bs_int.h"

#include <stdatomic.h>
#include <stdint.h>

/* Keys looked up per hold of the map lock: a resize waits for at most
 * this many. */
#define AHEAD_BATCH 64

struct bs__ahead {
  bs_env_t *env;
  MDB_txn *snap;
  const uint8_t *base;
  const size_t *order;
  size_t n;
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  atomic_size_t main; /* the key the deleting thread is at */
  atomic_size_t want; /* signal cv once main reaches this */
  atomic_bool stop;
  atomic_uint_fast64_t first; /* keys looked up before the deletes */
  size_t done_to;             /* this thread's: every key below looked up */
};

static void touch(bs__ahead_t *a, size_t i) {
  const uint8_t *e = a->base + a->order[i];
  MDB_val k = {e[0], (void *)(e + 1)}, v;
  /* The first byte of a large value is on its overflow page's first page,
   * whose header the delete reads to free the run. */
  if (mdb_get(a->snap, a->env->blocks, &k, &v) == 0 && v.mv_size)
    (void)*(volatile const uint8_t *)v.mv_data;
  (void)mdb_get(a->snap, a->env->links, &k, &v);
}

/* Until the deleting thread is at key i or later (or stop). */
static void wait_main(bs__ahead_t *a, size_t i) {
  pthread_mutex_lock(&a->mu);
  atomic_store(&a->want, i);
  while (atomic_load(&a->main) < i && !atomic_load(&a->stop))
    pthread_cond_wait(&a->cv, &a->mu);
  atomic_store(&a->want, SIZE_MAX);
  pthread_mutex_unlock(&a->mu);
}

/* Look up, from where the deletes are, the next BS__AHEAD_EPOCH keys; when
 * the deletes come within BS__AHEAD_MARGIN of the last of them, release the
 * map (all it holds but those few is behind them) and go on from there. */
static void *ahead_main(void *arg) {
  bs__ahead_t *a = arg;
  size_t since = 0, i = 0; /* the last release was at key since */
  while (!atomic_load(&a->stop)) {
    size_t m = atomic_load_explicit(&a->main, memory_order_relaxed);
    if (m > i)
      i = m; /* passed: the deleting thread mapped those itself */
    if (i >= a->n)
      break;
    size_t hi = since + BS__AHEAD_EPOCH;
    if (i >= hi) {
      wait_main(a, hi - BS__AHEAD_MARGIN);
      bs__release_map(a->env);
      since = i = atomic_load(&a->main);
      continue;
    }
    if (hi > a->n)
      hi = a->n;
    size_t end = i + AHEAD_BATCH < hi ? i + AHEAD_BATCH : hi;
    unsigned slot = tr_brlock_rdlock(&a->env->maplock);
    for (size_t j = i; j < end; j++)
      touch(a, j);
    tr_brlock_rdunlock(&a->env->maplock, slot);
    /* Keys looked up again after a release are counted once. */
    size_t from = i > a->done_to ? i : a->done_to;
    if (end > from) {
      atomic_fetch_add_explicit(&a->first, end - from, memory_order_relaxed);
      a->done_to = end;
    }
    i = end;
  }
  return NULL;
}

bs__ahead_t *bs__ahead_start(bs_env_t *env, MDB_txn *snap,
                             const uint8_t *base, const size_t *order,
                             size_t n) {
  unsigned fl = 0;
  /* With the write map the map holds the dirty pages: not released. */
  if (!snap || n < 2 * BS__AHEAD_EPOCH || mdb_env_get_flags(env->mdb, &fl) ||
      (fl & MDB_WRITEMAP))
    return NULL;
  bs__ahead_t *a = tr_calloc(1, sizeof *a);
  if (!a)
    return NULL;
  *a = (bs__ahead_t){.env = env, .snap = snap, .base = base, .order = order,
                     .n = n, .want = SIZE_MAX};
  pthread_mutex_init(&a->mu, NULL);
  pthread_cond_init(&a->cv, NULL);
  if (pthread_create(&a->th, NULL, ahead_main, a)) {
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    tr_free(a);
    return NULL;
  }
  return a;
}

void bs__ahead_at(bs__ahead_t *a, size_t i) {
  /* Both sequentially consistent, as wait_main's store of want and load
   * of main: one of the two threads sees the other's store. */
  atomic_store(&a->main, i);
  if (i >= atomic_load(&a->want)) {
    pthread_mutex_lock(&a->mu);
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
  }
}

uint64_t bs__ahead_looked_up(const bs__ahead_t *a) {
  return atomic_load(&a->first);
}

uint64_t bs__ahead_stop(bs__ahead_t *a) {
  if (!a)
    return 0;
  pthread_mutex_lock(&a->mu);
  atomic_store(&a->stop, true);
  pthread_cond_signal(&a->cv);
  pthread_mutex_unlock(&a->mu);
  pthread_join(a->th, NULL);
  uint64_t first = atomic_load(&a->first);
  pthread_cond_destroy(&a->cv);
  pthread_mutex_destroy(&a->mu);
  tr_free(a);
  return first;
}

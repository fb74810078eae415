/*
 * pool.c — the parallel for-loop of pool.h.
 *
 * A run publishes its job under the mutex and bumps the generation; each
 * worker that sees a new generation joins (active++), takes indices with
 * an atomic counter until none are left, and leaves (active--).  The
 * caller takes indices too, then waits for active to fall to zero before
 * it clears the job, so no worker can still be inside fn when run
 * returns.  A worker that wakes after the job is cleared finds nothing
 * and sleeps again.
 */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

struct tr_pool {
  pthread_mutex_t mu;
  pthread_cond_t go;   /* a new job, or stop */
  pthread_cond_t idle; /* active fell to zero */
  /* The job, under mu; next is taken without it. */
  tr_pool_fn fn;
  void *ctx;
  size_t n;
  atomic_size_t next;
  bool busy; /* a run holds the workers */
  unsigned long gen;
  unsigned active, joined, want; /* joined: workers the run had; want:
                                    how many it may have */
  bool stop;
  unsigned nth;
  pthread_t th[];
};

/* Take and run indices of the current job until none are left. */
static void drain(tr_pool_t *p, tr_pool_fn fn, void *ctx, size_t n) {
  for (;;) {
    size_t i = atomic_fetch_add(&p->next, 1);
    if (i >= n)
      return;
    fn(ctx, i);
  }
}

static void *worker(void *arg) {
  tr_pool_t *p = arg;
  unsigned long seen = 0;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stop && (!p->busy || p->gen == seen))
      pthread_cond_wait(&p->go, &p->mu);
    if (p->stop)
      break;
    seen = p->gen;
    if (p->joined >= p->want)
      continue; /* the run has the threads it asked for */
    p->joined++;
    p->active++;
    tr_pool_fn fn = p->fn;
    void *ctx = p->ctx;
    size_t n = p->n;
    pthread_mutex_unlock(&p->mu);
    drain(p, fn, ctx, n);
    pthread_mutex_lock(&p->mu);
    if (--p->active == 0)
      pthread_cond_signal(&p->idle);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

int tr_pool_new(tr_pool_t **pp, unsigned threads) {
  unsigned nw = threads > 1 ? threads - 1 : 0;
  /* libc's allocator, not tr_malloc: the hash pool lives for the whole
   * process, across the allocators tests swap in (tr_mem_set). */
  tr_pool_t *p = calloc(1, sizeof *p + nw * sizeof(pthread_t));
  if (!p)
    return -ENOMEM;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->go, NULL);
  pthread_cond_init(&p->idle, NULL);
  for (; p->nth < nw; p->nth++) {
    int e = pthread_create(&p->th[p->nth], NULL, worker, p);
    if (e) {
      tr_pool_free(p);
      return -e;
    }
  }
  *pp = p;
  return 0;
}

void tr_pool_free(tr_pool_t *p) {
  if (!p)
    return;
  pthread_mutex_lock(&p->mu);
  p->stop = true;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  for (unsigned i = 0; i < p->nth; i++)
    pthread_join(p->th[i], NULL);
  pthread_cond_destroy(&p->idle);
  pthread_cond_destroy(&p->go);
  pthread_mutex_destroy(&p->mu);
  free(p);
}

unsigned tr_pool_threads(const tr_pool_t *p) { return p ? p->nth + 1 : 1; }

void tr_pool_start(tr_pool_t *p, tr_pool_job_t *j, unsigned threads,
                   size_t n, tr_pool_fn fn, void *ctx) {
  *j = (tr_pool_job_t){.p = p, .fn = fn, .ctx = ctx, .n = n};
  if (!threads || (p && threads > p->nth + 1))
    threads = tr_pool_threads(p);
  if (!p || !p->nth || n < 2 || threads < 2)
    return;
  pthread_mutex_lock(&p->mu);
  if (!p->busy) {
    j->mine = p->busy = true;
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->joined = 0;
    p->want = (unsigned)(n - 1 < threads - 1 ? n - 1 : threads - 1);
    atomic_store(&p->next, 0);
    p->gen++;
    pthread_cond_broadcast(&p->go);
  }
  pthread_mutex_unlock(&p->mu);
}

void tr_pool_wait(tr_pool_job_t *j) {
  tr_pool_t *p = j->p;
  if (!j->mine) {
    for (size_t i = 0; i < j->n; i++)
      j->fn(j->ctx, i);
    return;
  }
  drain(p, j->fn, j->ctx, j->n);
  pthread_mutex_lock(&p->mu);
  while (p->active)
    pthread_cond_wait(&p->idle, &p->mu);
  p->busy = false;
  pthread_mutex_unlock(&p->mu);
  j->mine = false;
  j->n = 0;
}

void tr_pool_run(tr_pool_t *p, unsigned threads, size_t n, tr_pool_fn fn,
                 void *ctx) {
  tr_pool_job_t j;
  tr_pool_start(p, &j, threads, n, fn, ctx);
  tr_pool_wait(&j);
}

/* ------------------------------------------------------ the hash pool */

static tr_pool_t *hash_pool;
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

static void hash_pool_make(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  const char *e = getenv("TROVE_HASH_THREADS");
  if (e && *e) {
    char *end;
    long v = strtol(e, &end, 10);
    if (!*end && v >= 1)
      n = v;
  }
  if (n < 1)
    n = 1;
  if (n > TR_POOL_THREADS_MAX)
    n = TR_POOL_THREADS_MAX;
  /* Never freed: its workers sleep until the process ends, and stopping
   * them in an atexit handler could meet a run still going on another
   * thread. */
  if (tr_pool_new(&hash_pool, (unsigned)n))
    hash_pool = NULL;
}

tr_pool_t *tr_pool_hash(void) {
  pthread_once(&hash_once, hash_pool_make);
  return hash_pool;
}

unsigned tr_pool_hash_threads(bool stores) {
  unsigned t = tr_pool_threads(tr_pool_hash());
  return stores && t > 1 ? t - 1 : t;
}

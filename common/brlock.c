/*
 * brlock.c — the big-reader lock (brlock.h).
 *
 * The reader and the writer each write their own variable and then read
 * the other's (a Dekker handshake), all sequentially consistent: a reader
 * that sees no writer flag has its count where the writer's scan will see
 * it, and a writer that sees every count at zero has its flag where every
 * later reader sees it.
 */
#include "brlock.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>

int tr_brlock_init(tr_brlock_t *l) {
  l->slot = tr_calloc_pairs(TR_SLOTS * sizeof(tr_brslot_t), &l->mem);
  if (!l->slot)
    return -ENOMEM;
  for (unsigned i = 0; i < TR_SLOTS; i++) {
    atomic_init(&l->slot[i].readers, 0);
    atomic_init(&l->slot[i].spare, NULL);
  }
  atomic_init(&l->writer, false);
  pthread_mutex_init(&l->wmu, NULL);
  return 0;
}

void tr_brlock_fini(tr_brlock_t *l) {
  if (!l->mem)
    return;
  pthread_mutex_destroy(&l->wmu);
  tr_free(l->mem);
  l->mem = NULL;
  l->slot = NULL;
}

bool tr_brlock_tryrdlock(tr_brlock_t *l, unsigned *slot) {
  unsigned s = tr_thread_slot();
  atomic_fetch_add(&l->slot[s].readers, 1);
  if (!atomic_load(&l->writer)) {
    *slot = s;
    return true;
  }
  atomic_fetch_sub(&l->slot[s].readers, 1);
  return false;
}

unsigned tr_brlock_rdlock(tr_brlock_t *l) {
  unsigned s;
  while (!tr_brlock_tryrdlock(l, &s)) {
    /* A writer holds wmu from before it raises the flag until after it
     * lowers it: wait for it there. */
    pthread_mutex_lock(&l->wmu);
    pthread_mutex_unlock(&l->wmu);
  }
  return s;
}

void tr_brlock_rdunlock(tr_brlock_t *l, unsigned slot) {
  atomic_fetch_sub_explicit(&l->slot[slot].readers, 1, memory_order_release);
}

void tr_brlock_wrlock(tr_brlock_t *l) {
  pthread_mutex_lock(&l->wmu);
  atomic_store(&l->writer, true);
  for (unsigned i = 0; i < TR_SLOTS; i++) {
    /* Readers hold the lock for a transaction: spin briefly, then sleep
     * in growing steps (up to 1 ms) for the long ones. */
    long ns = 1000;
    for (int spins = 0; atomic_load(&l->slot[i].readers); spins++) {
      if (spins < 64) {
        sched_yield();
        continue;
      }
      struct timespec ts = {0, ns};
      nanosleep(&ts, NULL);
      if (ns < 1000000)
        ns *= 2;
    }
  }
}

void tr_brlock_wrunlock(tr_brlock_t *l) {
  atomic_store(&l->writer, false);
  pthread_mutex_unlock(&l->wmu);
}

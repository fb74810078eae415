/*
 * brlock.h — a reader-writer lock for many short readers on many threads
 * and rare writers (a "big reader" lock, as the Linux kernel's brlock and
 * its per-CPU successors).
 *
 * pthread_rwlock_t counts its readers in one word, so every read lock and
 * unlock on every core writes the same cache line, which then travels
 * between the cores at each read.  Here each thread has a slot of its own
 * (tr_thread_slot) on a cache line of its own: a reader increments and
 * decrements its slot's count and reads the writer flag, which no reader
 * writes and which so stays in every core's cache.  A writer raises the
 * flag and waits until every slot's count is zero.  The blockstore's
 * reads take one per transaction (its maplock): bench/bench_reads.c
 * measured a point read on two threads of two cores at 1.56x one thread's
 * rate with pthread's lock and a pooled transaction behind a mutex, where
 * plain LMDB reached 2.2x.
 *
 * Writer preference: once a writer has raised the flag, new readers wait
 * for it to finish, so a writer cannot starve behind a stream of readers.
 * The price, as with a writer-preferring rwlock: a thread must not take
 * the read lock while it holds it (it could wait on a writer that waits
 * on it); tr_brlock_tryrdlock never waits and may nest.
 *
 * A read lock may be released on another thread than the one that took
 * it (the slot is handed back with it): LMDB read transactions under
 * MDB_NOTLS move between threads.  Writers are slow (they sleep while
 * they wait for readers) and meant to be rare: a map resize, not a write
 * transaction.
 */
#ifndef COMMON_BRLOCK_H
#define COMMON_BRLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <pthread.h>

#include "tr.h"

/* A slot: its reader count, and a word its lock's owner may keep per
 * thread beside it on the same cache line (the blockstore keeps a spare
 * read transaction there); TR_LINE_PAIR bytes (tr.h). */
typedef struct tr_brslot {
  _Alignas(TR_LINE_PAIR) atomic_uint readers;
  _Atomic(void *) spare;
} tr_brslot_t;

typedef struct tr_brlock {
  atomic_bool writer;  /* raised by a writer, which holds wmu meanwhile */
  pthread_mutex_t wmu; /* writers, one at a time; readers wait on it */
  tr_brslot_t *slot;   /* TR_SLOTS of them, aligned */
  void *mem;           /* what slot was carved from */
} tr_brlock_t;

/* 0 or -ENOMEM. */
int tr_brlock_init(tr_brlock_t *l) TR_WUR;
/* No lock may be held; the spare words are the owner's to empty first. */
void tr_brlock_fini(tr_brlock_t *l);

/* Take the lock shared; returns the slot to give tr_brlock_rdunlock. */
unsigned tr_brlock_rdlock(tr_brlock_t *l);
/* The same without waiting: false (nothing held) while a writer has the
 * lock or waits for it. */
bool tr_brlock_tryrdlock(tr_brlock_t *l, unsigned *slot) TR_WUR;
void tr_brlock_rdunlock(tr_brlock_t *l, unsigned slot);

/* Take the lock exclusively: waits for the readers that hold it and
 * keeps new ones out. */
void tr_brlock_wrlock(tr_brlock_t *l);
void tr_brlock_wrunlock(tr_brlock_t *l);

#endif

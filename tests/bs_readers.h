/*
 * bs_readers.h — the reader slots of a store's LMDB environment that hold
 * a snapshot, for the tests that check who pins pages (GC's hold, a
 * batch's, the read transactions an env keeps reset).  Include after
 * testutil.h.
 */
#ifndef BS_READERS_H
#define BS_READERS_H

#include <stdio.h>
#include <string.h>

#include "../blockstore/bs_int.h" /* the LMDB env, for its reader table */

/* mdb_reader_list prints one line per slot: pid, thread, and the txnid or
 * "-" for a slot that holds none (a reset transaction's). */
static inline int bs_readers_line(const char *msg, void *ud) {
  int pid;
  size_t thr;
  char txnid[32];
  if (sscanf(msg, "%d %zx %31s", &pid, &thr, txnid) == 3 && strcmp(txnid, "-"))
    ++*(int *)ud;
  return 0;
}

/* The slots of env that hold a snapshot. */
static inline int bs_active_readers(bs_env_t *env) {
  int n = 0;
  mdb_reader_list(env->mdb, bs_readers_line, &n);
  return n;
}

#endif

/*
 * kspace.c — the keyspace index (bs.h): every stored block's multihash
 * under SHA-256 of it, the point where the DHT files the block's provider
 * records.  The sweep reprovider (dht/reprov.c) announces the keyspace
 * region by region; with this index a region's keys are one cursor range
 * instead of a scan of the whole blocks database per page.
 *
 * Kept exact by the writes themselves: bs_put() adds a new block's entry in
 * the same transaction, bs_del() and GC's deletions remove it (a deleted
 * block is never announced again), and whatever the order of puts and
 * deletes the index and the blocks database commit together.  GC is the
 * one exception: it deletes the blocks first and the entries in a second
 * pass in the index's order (gc.c), so a kill between leaves entries of
 * deleted blocks for the next GC.
 *
 * Built when missing (a repo of schema 1, or a build cut short) by
 * bs_open() (env.c: the build runs transactions, which live there, and
 * env.c calls nothing above it).
 */
#include "bs_int.h"

#include <errno.h>
#include <string.h>

#include "../dag/multihash.h"

int bs__kspace_put(bs_txn_t *txn, const uint8_t *mh, size_t mhl) {
  uint8_t h[32];
  dag_sha256(mh, mhl, h);
  MDB_val k = {32, h}, v = {mhl, (void *)mh};
  return bs__err(mdb_put(txn->mdb, txn->env->kspace, &k, &v, 0));
}

int bs__kspace_del(bs_txn_t *txn, const uint8_t *mh, size_t mhl) {
  uint8_t h[32];
  dag_sha256(mh, mhl, h);
  MDB_val k = {32, h};
  int rc = mdb_del(txn->mdb, txn->env->kspace, &k, NULL);
  return rc == MDB_NOTFOUND ? 0 : bs__err(rc);
}

int bs_kspace_range(bs_txn_t *txn, const uint8_t from[32], bs_kspace_cb cb,
                    void *ud) {
  if (!txn->env->has_kspace)
    return TR_ESCHEMA;
  MDB_cursor *cur;
  int rc = mdb_cursor_open(txn->mdb, txn->env->kspace, &cur);
  if (rc)
    return bs__err(rc);
  MDB_val k = {32, (void *)from}, v;
  int stop = 0;
  rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  while (!rc && !stop) {
    if (k.mv_size == 32)
      stop = cb(k.mv_data, v.mv_data, v.mv_size, ud);
    if (!stop)
      rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (stop)
    return stop;
  return rc == MDB_NOTFOUND ? 0 : bs__err(rc);
}

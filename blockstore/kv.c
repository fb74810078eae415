/*
 * kv.c — named databases for the modules above the blockstore (bs.h,
 * "named databases"): plain get/put/del and an ordered walk, in the
 * caller's transaction.  The blockstore gives no meaning to their keys or
 * values; each module keeps its own schema inside its database.
 */
#include "bs_int.h"

#include <string.h>

static const char *const OURS[] = {"blocks", "links", "pins", "meta",
                                   "kspace", "kslog", "filestore"};

int bs_db_open(bs_env_t *env, const char *name, bs_db_t *db) {
  for (size_t i = 0; i < sizeof OURS / sizeof OURS[0]; i++)
    if (!strcmp(name, OURS[i]))
      return TR_EUSAGE;
  unsigned eflags = 0;
  mdb_env_get_flags(env->mdb, &eflags);
  bool rdonly = eflags & MDB_RDONLY;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, rdonly ? BS_RDONLY : 0, &txn);
  if (rc)
    return rc;
  MDB_dbi dbi;
  rc = mdb_dbi_open(txn->mdb, name, rdonly ? 0 : MDB_CREATE, &dbi);
  if (rc) {
    bs_txn_abort(txn);
    return rc == MDB_DBS_FULL ? TR_ELIMIT : bs__err(rc);
  }
  /* The handle outlives a read transaction; a write one must commit for
   * the new database to exist for others. */
  if ((rc = bs_txn_commit(txn)))
    return rc;
  *db = dbi;
  return 0;
}

int bs_kv_get(bs_txn_t *txn, bs_db_t db, const void *key, size_t klen,
              const uint8_t **val, size_t *vlen) {
  MDB_val k = {klen, (void *)key}, v;
  int rc = mdb_get(txn->mdb, db, &k, &v);
  if (rc)
    return bs__err(rc);
  *val = v.mv_data;
  *vlen = v.mv_size;
  return 0;
}

int bs_kv_put(bs_txn_t *txn, bs_db_t db, const void *key, size_t klen,
              const void *val, size_t vlen) {
  if (!klen || klen > 511)
    return TR_ETOOBIG;
  MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
  return bs__err(mdb_put(txn->mdb, db, &k, &v, 0));
}

int bs_kv_del(bs_txn_t *txn, bs_db_t db, const void *key, size_t klen) {
  MDB_val k = {klen, (void *)key};
  return bs__err(mdb_del(txn->mdb, db, &k, NULL));
}

int bs_kv_range(bs_txn_t *txn, bs_db_t db, const void *from, size_t flen,
                bool reverse, bs_kv_cb cb, void *ud) {
  MDB_cursor *cur;
  int rc = mdb_cursor_open(txn->mdb, db, &cur);
  if (rc)
    return bs__err(rc);
  MDB_val k = {flen, (void *)from}, v;
  MDB_cursor_op next = reverse ? MDB_PREV : MDB_NEXT;
  if (!from) {
    rc = mdb_cursor_get(cur, &k, &v, reverse ? MDB_LAST : MDB_FIRST);
  } else {
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (reverse) {
      /* The last key <= from: SET_RANGE finds the first >= from; step back
       * unless it is from itself (or there is none: then the last). */
      if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
      else if (!rc && (k.mv_size != flen || memcmp(k.mv_data, from, flen)))
        rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
    }
  }
  int stop = 0;
  while (!rc && !(stop = cb(k.mv_data, k.mv_size, v.mv_data, v.mv_size, ud)))
    rc = mdb_cursor_get(cur, &k, &v, next);
  mdb_cursor_close(cur);
  if (stop)
    return stop;
  return rc == MDB_NOTFOUND ? 0 : bs__err(rc);
}

/*
 * meta.c — the bottom of the blockstore's files: LMDB's return codes in
 * trove's terms, and the values of the meta table (bs_meta_get/put) with
 * the generation counters kept there (bs__gen).  It calls no other file
 * of the blockstore, so that any of them may read a generation: env.c
 * opens the environment and its frozen copies (frozen.c), which check the
 * deletion generation.
 */
#include <string.h>

#include "bs_int.h"

int bs__err(int rc) {
  switch (rc) {
  case MDB_SUCCESS:
    return 0;
  case MDB_NOTFOUND:
    return TR_ENOTFOUND;
  case MDB_MAP_FULL:
    return TR_EMAPFULL;
  case MDB_KEYEXIST:
    return TR_EEXIST;
  case MDB_VERSION_MISMATCH:
  case MDB_INVALID:
    return TR_ENOREPO;
  case MDB_CORRUPTED:
  case MDB_PAGE_NOTFOUND:
    return TR_ECORRUPT;
  default:
    return rc > 0 ? -rc : TR_ESTORE;
  }
}

int bs_meta_get(bs_txn_t *txn, const char *key, const uint8_t **val,
                size_t *len) {
  MDB_val k = {strlen(key), (void *)key}, v;
  int rc = mdb_get(txn->mdb, txn->env->meta, &k, &v);
  if (rc)
    return bs__err(rc);
  *val = v.mv_data;
  *len = v.mv_size;
  return 0;
}

int bs_meta_put(bs_txn_t *txn, const char *key, const void *val, size_t len) {
  MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)val};
  return bs__err(mdb_put(txn->mdb, txn->env->meta, &k, &v, 0));
}

int bs__gen(bs_txn_t *txn, const char *key, uint64_t *gen) {
  const uint8_t *v;
  size_t n;
  int rc = bs_meta_get(txn, key, &v, &n);
  *gen = 0;
  if (rc == TR_ENOTFOUND)
    return 0;
  if (rc)
    return rc;
  if (n != sizeof *gen)
    return TR_ECORRUPT;
  memcpy(gen, v, sizeof *gen);
  return 0;
}

int bs__gen_bump(bs_txn_t *txn, const char *key) {
  uint64_t gen;
  int rc = bs__gen(txn, key, &gen);
  if (rc)
    return rc;
  gen++;
  return bs_meta_put(txn, key, &gen, sizeof gen);
}

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
 * deletes the index and the blocks database commit together.
 *
 * Built when missing (a repo of schema 1, or a build cut short): at open,
 * before bs_open() returns, in chunks of KS_BUILD_CHUNK blocks each its
 * own write transaction (bounded dirty memory; the map grows between
 * chunks), under an exclusive flock on <repo>/kspace.lock so that two
 * processes opening an old repo at once do not build it twice.  Then the
 * meta key "kspace" marks it complete and the schema becomes 2: a trove
 * that does not know the index (schema 1) refuses the repo rather than
 * write blocks behind its back.
 */
#include "bs_int.h"

#include <errno.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../dag/multihash.h"

/* Blocks indexed per write transaction of a build: about 5 MiB of dirty
 * index pages. */
#define KS_BUILD_CHUNK 65536

static const MDB_val KS_MARK = {6, "kspace"};

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

/* Index up to KS_BUILD_CHUNK blocks from the key after *last (from the
 * first when *lastl is 0), in one transaction; *done when the blocks ran
 * out (then the mark and schema 2 go in the same commit). */
static int build_chunk(bs_env_t *env, uint8_t *last, size_t *lastl,
                       bool *done, uint64_t *n) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, 0, &txn);
  if (rc)
    return rc;
  MDB_cursor *cur;
  if ((rc = mdb_cursor_open(txn->mdb, env->blocks, &cur))) {
    bs_txn_abort(txn);
    return bs__err(rc);
  }
  MDB_val k = {*lastl, last}, v;
  rc = mdb_cursor_get(cur, &k, &v, *lastl ? MDB_SET_RANGE : MDB_FIRST);
  if (!rc && *lastl && k.mv_size == *lastl && !memcmp(k.mv_data, last, *lastl))
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  int err = 0;
  for (unsigned i = 0; !rc && !err && i < KS_BUILD_CHUNK; i++) {
    if (k.mv_size <= DAG_MH_MAX) {
      err = bs__kspace_put(txn, k.mv_data, k.mv_size);
      memcpy(last, k.mv_data, k.mv_size);
      *lastl = k.mv_size;
      (*n)++;
    }
    if (!err)
      rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (!err && rc && rc != MDB_NOTFOUND)
    err = bs__err(rc);
  *done = rc == MDB_NOTFOUND;
  if (!err && *done) {
    uint32_t ver = BS_SCHEMA_VERSION;
    MDB_val one = {1, "1"}, sv = {sizeof ver, &ver};
    MDB_val sk = {6, "schema"};
    if ((rc = mdb_put(txn->mdb, env->meta, (MDB_val *)&KS_MARK, &one, 0)) ||
        (rc = mdb_put(txn->mdb, env->meta, &sk, &sv, 0)))
      err = bs__err(rc);
  }
  if (err) {
    bs_txn_abort(txn);
    return err;
  }
  return bs_txn_commit(txn);
}

/* Whether the mark is there, in a transaction of its own. */
static int marked(bs_env_t *env, bool *yes) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  MDB_val v;
  rc = mdb_get(txn->mdb, env->meta, (MDB_val *)&KS_MARK, &v);
  bs_txn_abort(txn);
  *yes = rc == 0;
  return rc == 0 || rc == MDB_NOTFOUND ? 0 : bs__err(rc);
}

int bs__kspace_open(bs_env_t *env, MDB_txn *txn, bool rdonly, bool created,
                    bool *build) {
  *build = false;
  int rc = mdb_dbi_open(txn, "kspace", rdonly ? 0 : MDB_CREATE, &env->kspace);
  if (rc == MDB_NOTFOUND && rdonly)
    return 0; /* an old repo read as it is: no index (has_kspace false) */
  if (rc)
    return rc;
  MDB_val v;
  rc = mdb_get(txn, env->meta, (MDB_val *)&KS_MARK, &v);
  if (rc == MDB_NOTFOUND && created) {
    /* A new repo: nothing to index, complete from the start. */
    MDB_val one = {1, "1"};
    if ((rc = mdb_put(txn, env->meta, (MDB_val *)&KS_MARK, &one, 0)))
      return rc;
    env->has_kspace = true;
    return 0;
  }
  if (rc == MDB_NOTFOUND) {
    *build = !rdonly;
    return 0;
  }
  if (rc)
    return rc;
  env->has_kspace = true;
  return 0;
}

int bs__kspace_build(bs_env_t *env) {
  int fd = bs__flock(env->path, "kspace.lock", LOCK_EX);
  if (fd < 0)
    return fd;
  bool done;
  int rc = marked(env, &done);
  if (!rc && !done) {
    /* Empty it first: what a build cut short left is redone whole. */
    bs_txn_t *txn;
    if (!(rc = bs_txn_begin(env, 0, &txn))) {
      rc = bs__err(mdb_drop(txn->mdb, env->kspace, 0));
      rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
    }
    uint64_t n = 0, blocks = 0;
    if (!rc && !bs_txn_begin(env, BS_RDONLY, &txn)) {
      if (bs_count(txn, &blocks))
        blocks = 0;
      bs_txn_abort(txn);
    }
    tr_log(TR_LOG_INFO, "blockstore: building the keyspace index of %llu "
           "blocks (once, for the reprovider)", (unsigned long long)blocks);
    uint8_t last[DAG_MH_MAX];
    size_t lastl = 0;
    while (!rc && !done)
      rc = build_chunk(env, last, &lastl, &done, &n);
    if (!rc)
      tr_log(TR_LOG_INFO, "blockstore: keyspace index built (%llu keys)",
             (unsigned long long)n);
  }
  if (!rc)
    env->has_kspace = true;
  close(fd);
  return rc;
}

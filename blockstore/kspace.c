/*
 * kspace.c — the keyspace index (bs.h): every stored block's multihash
 * under SHA-256 of it, the point where the DHT files the block's provider
 * records.  The sweep reprovider (dht/reprov.c) announces the keyspace
 * region by region; with this index a region's keys are one cursor range
 * instead of a scan of the whole blocks database per page.
 *
 * Two databases.  A put does not insert into the index itself: its key is
 * a hash, so each put landed in a random leaf, and a batch's commit
 * rewrote a leaf of the index per block (a quarter of a put loop's time,
 * bench_blockstore).  A put appends to the log ("kslog") instead, under
 * the first byte of the hash (the bucket) and then an increasing number,
 * so a commit touches the tail of each bucket: 256 leaves at most, however
 * many blocks it holds.  When the log holds more than KS_LOG_MAX entries,
 * the put that finds it so folds its own bucket into the index: the
 * bucket's entries, sorted by hash, inserted in one pass (neighbours share
 * leaves), and removed from the log.  Readers merge the two: a range
 * reads the index and, bucket by bucket, the log's entries of that bucket
 * sorted (KS_LOG_MAX / 256 of them, about).
 *
 * Kept exact by the writes themselves: bs_put() adds a new block's entry in
 * the same transaction, bs_del() and GC's deletions remove it (from the
 * index, else from its bucket of the log), and whatever the order of puts
 * and deletes the entries and the blocks database commit together.  GC is
 * the one exception: it deletes the blocks first and the entries in a
 * second pass (gc.c), so a kill between leaves entries of deleted blocks
 * for the next GC.  A block deleted and put again while such an entry is
 * left may have two (the index's and the log's); readers give its hash
 * once, and GC removes one per pass.
 *
 * Built when missing (a repo of schema 1, or a build cut short) by
 * bs_open() (env.c: the build runs transactions, which live there, and
 * env.c calls nothing above it).
 */
#include "bs_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../dag/multihash.h"

/* Log entries beyond which a put folds its bucket into the index: ~256 an
 * average bucket, the few leaves a reader's merge reads per bucket. */
#define KS_LOG_MAX 65536

/* A log key: the bucket (the hash's first byte), the transaction's id and
 * the put's number in it, big-endian, so a bucket's keys grow with time. */
enum { KS_LOGKEY = 1 + 8 + 4 };

typedef struct ks_ent {
  uint8_t h[32];
  uint8_t mhl;
  uint8_t mh[DAG_MH_MAX];
} ks_ent_t;

static void be_put(uint8_t *p, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}

static uint64_t log_entries(bs_txn_t *txn) {
  MDB_stat st;
  return mdb_stat(txn->mdb, txn->env->kslog, &st) ? 0 : st.ms_entries;
}

static int by_hash(const void *a, const void *b) {
  return memcmp(((const ks_ent_t *)a)->h, ((const ks_ent_t *)b)->h, 32);
}

/* Bucket b of the log into *out (grown as needed; *n entries), sorted by
 * hash, leaving out those below from when given; with del, the entries
 * leave the log as they are read. */
static int log_bucket(bs_txn_t *txn, unsigned b, const uint8_t *from, bool del,
                      ks_ent_t **out, size_t *cap, size_t *n) {
  *n = 0;
  MDB_cursor *cur;
  int rc = mdb_cursor_open(txn->mdb, txn->env->kslog, &cur);
  if (rc)
    return bs__err(rc);
  uint8_t first = (uint8_t)b;
  MDB_val k = {1, &first}, v;
  int err = 0;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
       !rc && ((const uint8_t *)k.mv_data)[0] == b;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    if (v.mv_size > DAG_MH_MAX)
      continue; /* not one of ours */
    if (*n == *cap) {
      size_t nc = *cap ? 2 * *cap : 256;
      ks_ent_t *g = tr_realloc(*out, nc * sizeof *g);
      if (!g) {
        err = -ENOMEM;
        break;
      }
      *out = g;
      *cap = nc;
    }
    ks_ent_t *e = &(*out)[*n];
    dag_sha256(v.mv_data, v.mv_size, e->h);
    e->mhl = (uint8_t)v.mv_size;
    memcpy(e->mh, v.mv_data, v.mv_size);
    if (!from || memcmp(e->h, from, 32) >= 0)
      (*n)++;
    if (del && (rc = mdb_cursor_del(cur, 0)))
      break;
  }
  mdb_cursor_close(cur);
  if (err)
    return err;
  if (rc && rc != MDB_NOTFOUND)
    return bs__err(rc);
  if (*n > 1) /* never qsort(NULL, 0): UB */
    qsort(*out, *n, sizeof **out, by_hash);
  return 0;
}

/* Move bucket b of the log into the index, in the index's order. */
static int fold(bs_txn_t *txn, unsigned b) {
  ks_ent_t *e = NULL;
  size_t cap = 0, n = 0;
  int rc = log_bucket(txn, b, NULL, true, &e, &cap, &n);
  for (size_t i = 0; i < n && !rc; i++) {
    MDB_val k = {32, e[i].h}, v = {e[i].mhl, e[i].mh};
    rc = bs__err(mdb_put(txn->mdb, txn->env->kspace, &k, &v, 0));
  }
  tr_free(e);
  return rc;
}

int bs__kspace_put(bs_txn_t *txn, const uint8_t *mh, size_t mhl) {
  uint8_t h[32], key[KS_LOGKEY];
  dag_sha256(mh, mhl, h);
  key[0] = h[0];
  be_put(key + 1, (uint64_t)mdb_txn_id(txn->mdb), 8);
  be_put(key + 9, txn->ks_seq++, 4);
  MDB_val k = {sizeof key, key}, v = {mhl, (void *)mh};
  int rc = mdb_put(txn->mdb, txn->env->kslog, &k, &v, 0);
  if (rc)
    return bs__err(rc);
  return log_entries(txn) > KS_LOG_MAX ? fold(txn, h[0]) : 0;
}

/* The log's entries of mh, from its bucket. */
static int log_del(bs_txn_t *txn, const uint8_t h[32], const uint8_t *mh,
                   size_t mhl) {
  MDB_cursor *cur;
  int rc = mdb_cursor_open(txn->mdb, txn->env->kslog, &cur);
  if (rc)
    return bs__err(rc);
  MDB_val k = {1, (void *)h}, v;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
       !rc && ((const uint8_t *)k.mv_data)[0] == h[0];
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    if (v.mv_size == mhl && !memcmp(v.mv_data, mh, mhl) &&
        (rc = mdb_cursor_del(cur, 0)))
      break;
  mdb_cursor_close(cur);
  return rc == MDB_NOTFOUND ? 0 : bs__err(rc);
}

int bs__kspace_del(bs_txn_t *txn, const uint8_t *mh, size_t mhl) {
  uint8_t h[32];
  dag_sha256(mh, mhl, h);
  MDB_val k = {32, h};
  int rc = mdb_del(txn->mdb, txn->env->kspace, &k, NULL);
  if (rc == MDB_NOTFOUND)
    return log_del(txn, h, mh, mhl);
  return bs__err(rc);
}

/* One bucket of the range: the index's keys with first byte b from the
 * cursor's position on, merged with the log's (e[0..n), sorted); a hash
 * in both is given once.  *rc is the cursor's state, kept between
 * buckets. */
static int merge_bucket(MDB_cursor *cur, int *rc, MDB_val *k, MDB_val *v,
                        unsigned b, const ks_ent_t *e, size_t n,
                        bs_kspace_cb cb, void *ud) {
  size_t i = 0;
  for (;;) {
    bool idx = !*rc && ((const uint8_t *)k->mv_data)[0] == b;
    if (!idx && i == n)
      return 0;
    if (idx && k->mv_size != 32) { /* not one of ours */
      *rc = mdb_cursor_get(cur, k, v, MDB_NEXT);
      continue;
    }
    /* < 0: the index's key comes first, > 0: the log's, 0: the same. */
    int c = !idx ? 1 : i == n ? -1 : memcmp(k->mv_data, e[i].h, 32);
    int stop = c <= 0 ? cb(k->mv_data, v->mv_data, v->mv_size, ud)
                      : cb(e[i].h, e[i].mh, e[i].mhl, ud);
    if (stop)
      return stop;
    if (c >= 0) /* past this hash in the log, duplicates too */
      for (const uint8_t *h = e[i++].h; i < n && !memcmp(e[i].h, h, 32);)
        i++;
    if (c <= 0)
      *rc = mdb_cursor_get(cur, k, v, MDB_NEXT);
  }
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
  rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  bool logged = txn->env->has_kslog && log_entries(txn) > 0;
  ks_ent_t *e = NULL;
  size_t cap = 0, n = 0;
  int stop = 0, err = 0;
  for (unsigned b = from[0]; b < 256 && !stop && !err; b++) {
    if (logged)
      err = log_bucket(txn, b, b == from[0] ? from : NULL, false, &e, &cap, &n);
    if (!err)
      stop = merge_bucket(cur, &rc, &k, &v, b, e, n, cb, ud);
    if (!stop && rc && rc != MDB_NOTFOUND)
      err = bs__err(rc);
    if (!logged && rc)
      break; /* the index is done, and there is no log */
  }
  tr_free(e);
  mdb_cursor_close(cur);
  return stop ? stop : err;
}

/*
 * gc.c — garbage collection, the gc lock, and pin verification.
 *
 * GC is mark and sweep.  Mark walks every pin through the links index (never
 * decoding a block) into a set of multihash fingerprints; a cursor over the
 * blocks' keys lists what is unmarked; the list is deleted in chunks of
 * transactions (see bs_gc below for why that is safe).  Memory: the set (16
 * bytes per live block at most), the list (~35 bytes per garbage block) and
 * one chunk's dirty pages.
 *
 * The gc lock is a flock() on <repo>/gc.lock: imports hold it shared from
 * their first block to their pin, GC holds it exclusively, so GC never sees
 * an import's blocks before their pin.  flock() locks die with the process,
 * so a killed import never wedges GC.
 */
#include "bs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

static int lock_open(bs_env_t *env, int op) {
  return bs__flock(env->path, "gc.lock", op);
}

int bs_gc_lock_shared(bs_env_t *env) { return lock_open(env, LOCK_SH); }

int bs_gc_trylock_shared(bs_env_t *env) {
  return lock_open(env, LOCK_SH | LOCK_NB);
}

void bs_gc_unlock(int handle) {
  if (handle >= 0)
    close(handle); /* releases the flock */
}

/* -------------------------------------------------------------------- gc */

/* The sweep reads every leaf page of the blocks database (small blocks live
 * inline there), so it hands the map's pages back every this many keys:
 * otherwise a GC's RSS is the size of the repo. */
#define GC_RELEASE_EVERY 16384
/* Deletions per write transaction. */
#define GC_CHUNK 1024

static int mark_visit(const dag_cid_t *cid, const dag_cid_t *via, void *ud) {
  (void)cid, (void)via, (void)ud;
  return 0;
}

/* Mark what the pins keep into live: first every recursive pin's DAG, then
 * the directly pinned blocks.  The order matters: bs__walk does not go
 * below a block already in the set, so a direct pin marked before the
 * recursive pin whose DAG holds it would cut that DAG off there (GC then
 * deleted everything below a directly pinned block inside a pinned tree). */
static int mark_all(bs_txn_t *txn, tr_fpset_t *live) {
  int err = 0, rc = 0; /* err: trove's codes; rc: LMDB's */
  for (int pass = 0; pass < 2 && !err && !rc; pass++) {
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn->mdb, txn->env->pins, &cur)))
      break;
    MDB_val k, v;
    int op = MDB_FIRST;
    while (!err && (rc = mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op)) == 0) {
      op = MDB_NEXT;
      dag_cid_t cid;
      int n = dag_cid_decode(&cid, k.mv_data, k.mv_size);
      if (n < 0 || v.mv_size < 1) {
        err = TR_ECORRUPT; /* never guess about pins: stop the GC */
        break;
      }
      bool recursive = ((const uint8_t *)v.mv_data)[0] == BS_PIN_RECURSIVE;
      if (pass == 0 && recursive)
        err = bs__walk(txn, &cid, live, mark_visit, NULL);
      else if (pass == 1 && !recursive) {
        int added = tr_fpset_add(live, dag_cid_fp(&cid));
        err = added < 0 ? added : 0;
      }
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
      rc = 0;
  }
  return err ? err : bs__err(rc);
}

/* ------------------------------------------------------- chunked gc */

/* Mark in a read snapshot, list the garbage, then delete it GC_CHUNK blocks
 * per write transaction, so that neither the dirty pages of one huge
 * transaction (heap) nor the writer lock are held for the whole run.  Safe
 * because the list can only go stale through a new pin (imports hold the
 * gc lock shared, and GC holds it exclusively): every pin bumps the
 * "pingen" counter in the pin's own transaction, and each chunk checks it
 * in its transaction; a change sends GC back to marking.  A kill between
 * chunks leaves the repo with part of the garbage gone, never more. */

static int collect_garbage(bs_txn_t *txn, const tr_fpset_t *live,
                           tr_bytes_t *list, uint64_t *nlive) {
  MDB_cursor *cur;
  int rc = mdb_cursor_open(txn->mdb, txn->env->blocks, &cur);
  if (rc)
    return bs__err(rc);
  MDB_val k, v;
  int op = MDB_FIRST, err = 0;
  uint64_t scanned = 0;
  *nlive = 0;
  while (!err && (rc = mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op)) == 0) {
    op = MDB_NEXT;
    if (++scanned % GC_RELEASE_EVERY == 0)
      bs__release_map(txn->env);
    if (k.mv_size > 255 || tr_fpset_has(live, dag_mh_fp(k.mv_data, k.mv_size))) {
      (*nlive)++;
      continue;
    }
    uint8_t l = (uint8_t)k.mv_size;
    if (!(err = tr_bytes_append(list, &l, 1)))
      err = tr_bytes_append(list, k.mv_data, k.mv_size);
  }
  mdb_cursor_close(cur);
  if (err)
    return err;
  return rc == MDB_NOTFOUND ? 0 : bs__err(rc);
}

/* Delete list entries from *off on, at most GC_CHUNK, in txn. */
static int delete_chunk(bs_txn_t *txn, const tr_bytes_t *list, size_t *off,
                        bs_gc_cb cb, void *ud, bs_gc_stats_t *st) {
  for (int n = 0; n < GC_CHUNK && *off < list->len; n++) {
    size_t l = list->data[*off];
    MDB_val k = {l, list->data + *off + 1}, v;
    *off += 1 + l;
    int rc = mdb_get(txn->mdb, txn->env->blocks, &k, &v);
    if (rc == MDB_NOTFOUND)
      continue; /* deleted meanwhile (block rm) */
    if (rc)
      return bs__err(rc);
    size_t size = v.mv_size;
    if (cb) {
      dag_cid_t cid;
      int stop;
      if (dag_cid_make(&cid, 1, DAG_CODEC_RAW, k.mv_data, k.mv_size) == 0 &&
          (stop = cb(&cid, ud)))
        return stop;
    }
    if ((rc = mdb_del(txn->mdb, txn->env->blocks, &k, NULL)))
      return bs__err(rc);
    rc = mdb_del(txn->mdb, txn->env->links, &k, NULL);
    if (rc && rc != MDB_NOTFOUND)
      return bs__err(rc);
    if ((rc = bs__kspace_del(txn, k.mv_data, k.mv_size)))
      return rc;
    st->freed += size;
    st->removed++;
  }
  return 0;
}

int bs_gc(bs_env_t *env, bs_gc_cb cb, void *ud, bs_gc_stats_t *stats) {
  bs_gc_stats_t st = {0};
  int lock = lock_open(env, LOCK_EX);
  if (lock < 0)
    return lock;
  tr_bytes_t list = {0};
  int rc = 0;
  for (int round = 0;; round++) {
    /* Mark and list in a read snapshot: readers and writers go on. */
    bs_txn_t *txn;
    uint64_t gen0 = 0, gen = 0, nlive = 0;
    tr_fpset_t live = {0};
    list.len = 0;
    if ((rc = bs_txn_begin(env, BS_RDONLY, &txn)))
      break;
    rc = bs__pin_gen(txn, &gen0);
    if (!rc)
      rc = mark_all(txn, &live);
    if (!rc)
      rc = collect_garbage(txn, &live, &list, &nlive);
    bs_txn_abort(txn);
    tr_fpset_free(&live);
    bs__release_map(env);
    if (rc)
      break;
    /* The mark is done and no transaction is open: the caller may look
     * (or, in tests, pin) before the list is deleted. */
    if (cb && (rc = cb(NULL, ud)))
      break;
    st.live = nlive;
    bool stale = false;
    for (size_t off = 0; off < list.len && !rc;) {
      if ((rc = bs_txn_begin(env, 0, &txn)))
        break;
      rc = bs__pin_gen(txn, &gen);
      if (!rc && gen != gen0) {
        stale = true; /* a pin since the mark: mark again */
        bs_txn_abort(txn);
        break;
      }
      if (!rc)
        rc = delete_chunk(txn, &list, &off, cb, ud, &st);
      rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
      bs__release_map(env);
    }
    if (rc || !stale)
      break;
    st.live = 0;
  }
  tr_bytes_free(&list);
  bs_gc_unlock(lock);
  if (stats)
    *stats = st;
  return rc;
}

/* ---------------------------------------------------------- pin verify */

typedef struct pv_ctx {
  bs_txn_t *txn;
  dag_cid_t bad;
} pv_ctx_t;

static int pv_visit(const dag_cid_t *cid, const dag_cid_t *via, void *ud) {
  (void)via;
  pv_ctx_t *c = ud;
  const uint8_t *data;
  size_t len;
  int rc = bs_get(c->txn, cid, &data, &len);
  if (rc == TR_ENOTFOUND)
    rc = TR_EINCOMPLETE;
  else if (rc == 0)
    rc = dag_cid_verify(cid, data, len);
  if (rc == TR_EHASH)
    rc = 0;
  if (rc)
    c->bad = *cid;
  return rc;
}

typedef struct pv_all {
  bs_txn_t *txn;
  bs_pin_verify_cb cb;
  void *ud;
} pv_all_t;

static int pv_pin(const bs_pin_t *pin, void *ud) {
  pv_all_t *a = ud;
  pv_ctx_t c = {a->txn, {0}};
  tr_fpset_t seen = {0};
  int rc = pin->type == BS_PIN_RECURSIVE
               ? bs__walk(c.txn, &pin->cid, &seen, pv_visit, &c)
               : pv_visit(&pin->cid, NULL, &c);
  tr_fpset_free(&seen);
  if (rc != 0 && rc != TR_EINCOMPLETE && rc != TR_EMISMATCH)
    return rc;
  return a->cb(pin, rc, rc ? &c.bad : NULL, a->ud);
}

int bs_pin_verify(bs_txn_t *txn, bs_pin_verify_cb cb, void *ud) {
  pv_all_t a = {txn, cb, ud};
  return bs_pin_ls(txn, BS_PIN_RECURSIVE | BS_PIN_DIRECT, pv_pin, &a);
}

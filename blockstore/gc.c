/*
 * gc.c — garbage collection, the gc lock, and pin verification.
 *
 * GC is mark and sweep.  Mark walks every pin through the links index (never
 * decoding a block) into a sorted array of 64-bit multihash fingerprints
 * (bs__mark, walk.c); a cursor over the keyspace index lists what is
 * unmarked; the list is deleted in key order, in chunks of transactions
 * (see bs_gc below for why that is safe).  Memory: the array (8 bytes per
 * live block, twice that while it is sorted), the list (~43 bytes per
 * garbage block) and one chunk's dirty pages - never both of the first and
 * the last.  A read snapshot held through the deletes (hold_begin) keeps
 * LMDB from writing the chunks into the scattered pages earlier chunks
 * freed: they go to the free list GC found and the end of the file.  A
 * second thread reads that snapshot ahead of the deletes (ahead.c), so
 * that the page faults of their lookups are mostly its, not theirs.
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
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
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

/* The list's scan hands the map's pages back every this many keys (~330
 * leaves of the keyspace index, each mapped with its neighbours: ~20 MiB),
 * so that the pages it read do not pile up in the RSS. */
#define GC_RELEASE_EVERY 16384
/* The same every this many deletions or lookups of blocks: each maps a
 * leaf of the blocks database and, by the kernel's fault-around, the
 * pages beside it that are in the page cache: 64 KiB of small folios, and
 * any large folio in that window whole (Linux 6.18 maps a large folio
 * entirely: 1000 one-byte reads at random pages of a 256 MiB file mapped
 * 57 MB when it was written 4 KiB at a time, all 258 MB when written
 * 1 MiB at a time; MADV_RANDOM and MADV_NOHUGEPAGE change neither,
 * measured), so 1024 map 64 MiB or more.  Unmapping costs per page
 * mapped, not per call: releasing often costs little more. */
#define GC_RELEASE_LOOKUPS 1024
/* Deletions per write transaction.  Every commit costs an fdatasync; the
 * pages a transaction dirties stay in LMDB's heap until its commit (and in
 * its free list of pages afterwards).  A block's deletion dirties about
 * one leaf of the blocks database (neighbours in key order share branch
 * pages), so 8192 blocks make ~35 MiB; the keyspace index's entries are
 * deleted in its own order, ~50 to a leaf, so 32768 of them make less. */
#define GC_CHUNK 8192
#define GC_KS_CHUNK 32768

/* The garbage: [length byte][multihash] entries back to back in the
 * listing's order, and the offsets of the entries sorted by multihash
 * (the blocks database's order), which the deletion follows. */
typedef struct garbage {
  tr_bytes_t list;
  size_t *order;
  size_t n;
} garbage_t;

/* A batch of the listing's keys, looked up in live together
 * (bs__fpvec_has_many).  The views point into the read snapshot's map,
 * valid until it ends (a release of the map only unmaps the pages). */
typedef struct list_batch {
  const uint8_t *mh[BS__FPVEC_BATCH];
  uint8_t len[BS__FPVEC_BATCH];
  uint64_t fp[BS__FPVEC_BATCH];
  bool hit[BS__FPVEC_BATCH];
  size_t n;
} list_batch_t;

/* Append the batch's keys that live lacks to g's list. */
static int list_flush(list_batch_t *b, const bs__fpvec_t *live, garbage_t *g,
                      uint64_t *nlive) {
  bs__fpvec_has_many(live, b->fp, b->n, b->hit);
  int err = 0;
  for (size_t i = 0; i < b->n && !err; i++) {
    if (b->hit[i]) {
      (*nlive)++;
      continue;
    }
    if (!(err = tr_bytes_append(&g->list, &b->len[i], 1)))
      err = tr_bytes_append(&g->list, b->mh[i], b->len[i]);
    g->n++;
  }
  b->n = 0;
  return err;
}

/* List the keys of dbi that live lacks into g (the multihash is the value
 * with ks, the key without): those whose first byte is in [from, stop)
 * (0, 256: all).  The list keeps the database's order. */
static int list_range(bs_txn_t *txn, MDB_dbi dbi, bool ks, unsigned from,
                      unsigned stop, const bs__fpvec_t *live, garbage_t *g,
                      uint64_t *nlive) {
  bs_env_t *env = txn->env;
  list_batch_t b;
  b.n = 0;
  uint64_t scanned = 0;
  MDB_cursor *cur;
  int rc = mdb_cursor_open(txn->mdb, dbi, &cur), err = 0;
  if (rc)
    return bs__err(rc);
  uint8_t first = (uint8_t)from;
  MDB_val k = {1, &first}, v;
  int op = from ? MDB_SET_RANGE : MDB_FIRST;
  while (!err && (rc = mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op)) == 0) {
    op = MDB_NEXT;
    if (stop < 256 && k.mv_size && ((const uint8_t *)k.mv_data)[0] >= stop) {
      rc = MDB_NOTFOUND;
      break;
    }
    if (++scanned % GC_RELEASE_EVERY == 0)
      bs__release_map(env);
    const MDB_val *mh = ks ? &v : &k;
    if (mh->mv_size > 255) {
      (*nlive)++; /* no multihash of ours: never listed */
      continue;
    }
    b.mh[b.n] = mh->mv_data;
    b.len[b.n] = (uint8_t)mh->mv_size;
    b.fp[b.n++] = bs__fp64(mh->mv_data, mh->mv_size);
    if (b.n == BS__FPVEC_BATCH)
      err = list_flush(&b, live, g, nlive);
  }
  /* The batch points into this cursor's pages: flushed before it closes. */
  if (!err && rc == MDB_NOTFOUND)
    err = list_flush(&b, live, g, nlive);
  mdb_cursor_close(cur);
  return err ? err : rc == MDB_NOTFOUND ? 0 : bs__err(rc);
}

/* The second half of the keyspace index, listed on a thread of its own in
 * a snapshot of its own, which must be the listing's (want): else it
 * lists nothing (again), and the caller lists that half itself.  The
 * snapshot takes no maplock: the listing's transaction holds it shared
 * until this thread is joined, so the map cannot move meanwhile, and a
 * second read lock could wait behind a resize that waits for the first. */
#define LIST_HALF 0x80
typedef struct list_half {
  bs_env_t *env;
  const bs__fpvec_t *live;
  size_t want;
  garbage_t g;
  uint64_t nlive;
  bool again;
  int rc;
} list_half_t;

static void *list_half_main(void *arg) {
  list_half_t *h = arg;
  bs_txn_t txn = {.env = h->env, .rdonly = true};
  if (mdb_txn_begin(h->env->mdb, NULL, MDB_RDONLY, &txn.mdb))
    return NULL;
  if (mdb_txn_id(txn.mdb) == h->want) {
    h->again = false;
    h->rc = list_range(&txn, h->env->kspace, true, LIST_HALF, 256, h->live,
                       &h->g, &h->nlive);
  }
  mdb_txn_abort(txn.mdb);
  return NULL;
}

/* List what live does not hold: by a cursor over the keyspace index and
 * its log (kspace.c), whose entries (~70 bytes each) hold every stored
 * multihash, instead of one over the blocks, whose leaf pages hold the
 * small blocks themselves (the whole repo would be read to learn its
 * keys).  The index's keys are SHA-256 hashes, so its two halves by first
 * byte hold as many keys: the second is listed on another thread, whose
 * page faults then overlap this one's.  Without the index (never on a
 * writable repo: bs_open builds it), over the blocks. */
static int list_garbage(bs_txn_t *txn, const bs__fpvec_t *live, garbage_t *g,
                        uint64_t *nlive) {
  bs_env_t *env = txn->env;
  *nlive = 0;
  if (!env->has_kspace)
    return list_range(txn, env->blocks, false, 0, 256, live, g, nlive);
  list_half_t h = {.env = env, .live = live, .want = mdb_txn_id(txn->mdb),
                   .again = true};
  pthread_t th;
  bool started = pthread_create(&th, NULL, list_half_main, &h) == 0;
  int rc = list_range(txn, env->kspace, true, 0, LIST_HALF, live, g, nlive);
  if (started)
    pthread_join(th, NULL);
  if (!rc)
    rc = h.rc;
  if (!rc && h.again) { /* no thread, or another snapshot: here then */
    rc = list_range(txn, env->kspace, true, LIST_HALF, 256, live, g, nlive);
  } else if (!rc) {
    rc = tr_bytes_append(&g->list, h.g.list.data, h.g.list.len);
    g->n += h.g.n;
    *nlive += h.nlive;
  }
  tr_bytes_free(&h.g.list);
  if (!rc && env->has_kslog)
    rc = list_range(txn, env->kslog, true, 0, 256, live, g, nlive);
  return rc;
}

static int by_key(const void *a, const void *b, void *base) {
  const uint8_t *x = (const uint8_t *)base + *(const size_t *)a;
  const uint8_t *y = (const uint8_t *)base + *(const size_t *)b;
  int c = memcmp(x + 1, y + 1, x[0] < y[0] ? x[0] : y[0]);
  return c ? c : (int)x[0] - (int)y[0];
}

/* LMDB's order of keys: memcmp, then the shorter first. */
static int sort_garbage(garbage_t *g) {
  tr_free(g->order);
  g->order = tr_malloc((g->n ? g->n : 1) * sizeof *g->order);
  if (!g->order)
    return -ENOMEM;
  size_t off = 0;
  for (size_t i = 0; i < g->n; i++) {
    g->order[i] = off;
    off += 1 + (size_t)g->list.data[off];
  }
  qsort_r(g->order, g->n, sizeof *g->order, by_key, g->list.data);
  return 0;
}

/* Pass 1: delete the blocks (and their links entries) from *at on, at
 * most GC_CHUNK, in txn, in key order: neighbours share leaf and branch
 * pages, which a transaction copies once. */
static int delete_blocks(bs_txn_t *txn, const garbage_t *g, size_t *at,
                         bs__ahead_t *ahead, bs_gc_cb cb, void *ud,
                         bs_gc_stats_t *st) {
  /* Bumped whether or not this chunk finds anything left to delete. */
  int err = bs__gen_bump(txn, BS_DEL_GEN);
  if (err)
    return err;
  MDB_cursor *cur;
  int rc = mdb_cursor_open(txn->mdb, txn->env->blocks, &cur);
  if (rc)
    return bs__err(rc);
  /* Garbage may be a filestore reference (the keyspace index lists
   * both): it goes as a stored block does; the file stays. */
  bool refs = bs__fs_any(txn);
  for (int n = 0; n < GC_CHUNK && *at < g->n && !err; n++) {
    if (ahead)
      bs__ahead_at(ahead, *at); /* which releases the map */
    else if (n % GC_RELEASE_LOOKUPS == GC_RELEASE_LOOKUPS - 1)
      bs__release_map_in_txn(txn->env);
    const uint8_t *e = g->list.data + g->order[(*at)++];
    MDB_val k = {e[0], (void *)(e + 1)}, v;
    /* One descent finds the value's size and deletes it. */
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
    if (rc && rc != MDB_NOTFOUND)
      break;
    bool stored = rc == 0;
    /* Its filestore reference goes too, stored or not (the cursor's page
     * is the blocks', which a delete in the other database leaves). */
    int frc = refs ? mdb_del(txn->mdb, txn->env->fs, &k, NULL) : MDB_NOTFOUND;
    if (frc && frc != MDB_NOTFOUND) {
      rc = frc;
      break;
    }
    rc = 0;
    if (!stored && frc)
      continue; /* deleted meanwhile (block rm) */
    size_t size = stored ? v.mv_size : 0;
    if (cb) {
      dag_cid_t cid;
      if (dag_cid_make(&cid, 1, DAG_CODEC_RAW, e + 1, e[0]) == 0 &&
          (err = cb(&cid, ud)))
        break; /* the chunk aborts: nothing of it is deleted */
    }
    if (!stored) { /* a reference alone: no links entry */
      st->removed++;
      continue;
    }
    if ((rc = mdb_cursor_del(cur, 0)))
      break;
    /* MDB_SET_KEY pointed k into the page the delete just rewrote. */
    k.mv_data = (void *)(e + 1);
    rc = mdb_del(txn->mdb, txn->env->links, &k, NULL);
    if (rc == MDB_NOTFOUND)
      rc = 0;
    if (rc)
      break;
    st->freed += size;
    st->removed++;
  }
  mdb_cursor_close(cur);
  return err ? err : bs__err(rc);
}

/* Pass 2: the keyspace entries of the listed blocks that are gone, from *at
 * on, at most GC_KS_CHUNK, in the list's order (the index's own when the
 * list came from it).  A block put again since pass 1 keeps its entry:
 * deleting it would hide the block from the reprovider and from every
 * later GC's list.  Only a write transaction of someone else's can have
 * put one, and without check (no such transaction since the list's
 * snapshot) the lookups are skipped. */
static int delete_kspace(bs_txn_t *txn, const garbage_t *g, size_t *off,
                         size_t *at, bool check) {
  int rc = 0;
  for (int n = 0; n < GC_KS_CHUNK && *at < g->n && !rc; n++, (*at)++) {
    const uint8_t *e = g->list.data + *off;
    *off += 1 + (size_t)e[0];
    /* The index's leaves lie scattered in the file (copy-on-write puts a
     * page wherever the free list has room), so each maps 15 others. */
    if (n % GC_RELEASE_LOOKUPS == GC_RELEASE_LOOKUPS - 1)
      bs__release_map_in_txn(txn->env);
    if (check) {
      MDB_val k = {e[0], (void *)(e + 1)}, v;
      int mrc = mdb_get(txn->mdb, txn->env->blocks, &k, &v);
      if (mrc == 0)
        continue;
      if (mrc != MDB_NOTFOUND)
        return bs__err(mrc);
      if ((mrc = bs__fs_has(txn, &k)) < 0)
        return mrc;
      if (mrc)
        continue; /* referenced again meanwhile */
    }
    rc = bs__kspace_del(txn, e + 1, e[0]);
  }
  return rc;
}

/* Whether anyone else committed since GC's last commit (or since its
 * list's snapshot): LMDB numbers write transactions one after the other,
 * and an aborted one takes no number. */
typedef struct txn_watch {
  size_t last;
  bool others;
} txn_watch_t;

static void watch_begin(txn_watch_t *w, bs_txn_t *txn) {
  if (mdb_txn_id(txn->mdb) != w->last + 1)
    w->others = true;
}

/* Commit a chunk: durable only when it is GC's last.  As a batch's commits
 * (bs__commit_batch), its writeback starts while its pages are written:
 * measured (1M blocks, 100k garbage), the deletes took 2.38-2.67 s where
 * they took 2.69-2.99 s.  The map is released after it unless the
 * read-ahead thread, which releases it itself, has mapped what the next
 * chunk reads. */
static int chunk_end(bs_txn_t *txn, int rc, bool last, bool *unsynced,
                     txn_watch_t *w, const bs__ahead_t *ahead) {
  bs_env_t *env = txn->env;
  size_t id = mdb_txn_id(txn->mdb);
  if (rc)
    bs_txn_abort(txn);
  else if (!(rc = bs__commit_batch(txn, last)))
    *unsynced = !last;
  if (!rc)
    w->last = id;
  if (!ahead)
    bs__release_map(env);
  return rc;
}

/* A read transaction of LMDB's own, begun while GC's listing snapshot is
 * open (maplock held, so the map cannot move meanwhile), and held through
 * the deletes: LMDB reuses no page freed after the oldest reader's
 * snapshot, so GC's chunks take their pages from the free list it had
 * before GC and then from the end of the file, in runs that one writev
 * writes, instead of the leaves and overflow pages its earlier chunks
 * freed, which lie scattered over the file: there each chunk's commit
 * wrote page by page into the large page-cache folios of the file, each
 * dirtied whole.  Measured (1M blocks, 100k garbage): 2.04 GB dirtied
 * instead of 4.23 GB, 52k pwrites instead of 105k, delete 15-30% faster.
 * The price: data.mdb grows by up to the pages GC writes (+231 MiB there,
 * 6.7%, as plain LMDB deleting the same keys in one transaction does),
 * which are free again for later writes once the hold ends.  It holds no
 * maplock (bs_txn_begin's grow_for takes it exclusively in this thread)
 * and is never read: a remap of the map under it is harmless, and ending
 * it only clears its slot in the lock file.  NULL when LMDB refuses one
 * (no reader slot left): GC goes on without. */
static MDB_txn *hold_begin(bs_env_t *env) {
  MDB_txn *hold;
  return mdb_txn_begin(env->mdb, NULL, MDB_RDONLY, &hold) ? NULL : hold;
}

/* Ends the read-ahead (which reads the hold) first. */
static void hold_end(MDB_txn **hold, bs__ahead_t **ahead,
                     bs_gc_stats_t *st) {
  st->read_ahead += bs__ahead_stop(*ahead);
  *ahead = NULL;
  if (*hold)
    mdb_txn_abort(*hold);
  *hold = NULL;
}

/* A chunk failed for want of room (the disk, or the map at its limit)
 * while the hold kept the pages GC freed from reuse: end the hold, so that
 * the chunk, done again, can take them - GC is what a full disk needs
 * (it_gc_full).  True when the caller should do the chunk again; the
 * callback then hears of the chunk's blocks a second time. */
static bool hold_full(MDB_txn **hold, bs__ahead_t **ahead, bs_gc_stats_t *st,
                      int rc) {
  if (!*hold || (rc != -ENOSPC && rc != TR_EMAPFULL))
    return false;
  hold_end(hold, ahead, st);
  return true;
}

static uint64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Mark in a read snapshot, list the garbage, then delete it GC_CHUNK blocks
 * per write transaction, so that neither the dirty pages of one huge
 * transaction (heap) nor the writer lock are held for the whole run; then
 * the blocks' keyspace entries, GC_KS_CHUNK per transaction in the
 * index's order: deleted with their blocks, in the blocks' order, each
 * chunk would rewrite most of the index's leaves (measured: 1.7 pages
 * written per block instead of ~1).  Between the two passes the index
 * holds entries of deleted blocks (never lacks one of a stored block); a
 * GC killed there leaves them to the next GC, whose list they are in.  Safe
 * because the list can only go stale through a new pin (imports hold the
 * gc lock shared, and GC holds it exclusively): every pin bumps the
 * "pingen" counter in the pin's own transaction, and each chunk checks it
 * in its transaction; a change sends GC back to marking.  A kill between
 * chunks leaves the repo with part of the garbage gone, never more.
 *
 * Only the last chunk's commit is durable (chunk_end): a crash may
 * roll back to an earlier chunk, which leaves garbage, never loses data,
 * and saves an fdatasync per chunk. */
int bs_gc(bs_env_t *env, bs_gc_cb cb, void *ud, bs_gc_stats_t *stats) {
  bs_gc_stats_t st = {0};
  int lock = lock_open(env, LOCK_EX);
  if (lock < 0)
    return lock;
  /* A process killed with a snapshot open (a GC's hold, a reader) leaves
   * its slot in LMDB's reader table, and the snapshot keeps every page
   * freed after it from reuse until all openers close the repo (LMDB
   * clears the table then).  Clear the slots of dead processes first. */
  int dead;
  mdb_reader_check(env->mdb, &dead);
  garbage_t g = {0};
  int rc = 0;
  bool unsynced = false;
  MDB_txn *hold = NULL;
  bs__ahead_t *ahead = NULL;
  for (int round = 0;; round++) {
    /* Mark and list in a read snapshot: readers and writers go on. */
    bs_txn_t *txn;
    uint64_t gen0 = 0, gen = 0, nlive = 0;
    bs__fpvec_t live = {0};
    g.list.len = 0;
    g.n = 0;
    if ((rc = bs_txn_begin(env, BS_RDONLY, &txn)))
      break;
    uint64_t t0 = mono_us();
    rc = bs__pin_gen(txn, &gen0);
    if (!rc)
      rc = bs__mark(txn, &live);
    uint64_t t1 = mono_us();
    st.mark_us += t1 - t0;
    if (!rc)
      rc = list_garbage(txn, &live, &g, &nlive);
    txn_watch_t w = {mdb_txn_id(txn->mdb), false};
    /* Hold a snapshot until the deletes are done (hold_begin). */
    if (!rc)
      hold = hold_begin(env);
    bs_txn_abort(txn);
    bs__fpvec_free(&live);
    bs__release_map(env);
    if (!rc)
      rc = sort_garbage(&g);
    uint64_t t2 = mono_us();
    st.list_us += t2 - t1;
    if (rc)
      break;
    /* The mark is done and no transaction is open: the caller may look
     * (or, in tests, pin) before the list is deleted. */
    if (cb && (rc = cb(NULL, ud)))
      break;
    st.live = nlive;
    bool stale = false;
    ahead = bs__ahead_start(env, hold, g.list.data, g.order, g.n);
    for (size_t at = 0; at < g.n && !rc;) {
      size_t from = at;
      bs_gc_stats_t before = st;
      if ((rc = bs_txn_begin(env, 0, &txn)))
        break;
      rc = bs__pin_gen(txn, &gen);
      if (!rc && gen != gen0) {
        stale = true; /* a pin since the mark: mark again */
        bs_txn_abort(txn);
        break;
      }
      watch_begin(&w, txn);
      if (!rc)
        rc = delete_blocks(txn, &g, &at, ahead, cb, ud, &st);
      rc = chunk_end(txn, rc, false, &unsynced, &w, ahead);
      if (hold_full(&hold, &ahead, &st, rc)) { /* again, without the hold */
        uint64_t first = st.read_ahead;
        rc = 0, at = from, st = before;
        st.read_ahead = first;
      }
    }
    st.read_ahead += bs__ahead_stop(ahead); /* the deletes of blocks done */
    ahead = NULL;
    bs__release_map(env);
    /* Then the index, in its order (also after a stale mark: the entries
     * of the blocks deleted so far must go before the list does). */
    for (size_t at = 0, off = 0; at < g.n && !rc;) {
      size_t from = at, from_off = off;
      if ((rc = bs_txn_begin(env, 0, &txn)))
        break;
      watch_begin(&w, txn);
      rc = delete_kspace(txn, &g, &off, &at, w.others);
      rc = chunk_end(txn, rc, !stale && at == g.n, &unsynced, &w, NULL);
      if (hold_full(&hold, &ahead, &st, rc))
        rc = 0, at = from, off = from_off;
    }
    st.delete_us += mono_us() - t2;
    hold_end(&hold, &ahead, &st);
    if (rc || !stale)
      break;
    st.live = 0;
  }
  hold_end(&hold, &ahead, &st); /* when a break skipped the loop's own */
  /* Stopped (an error, the callback) after commits that were not synced:
   * make them durable as GC's own last commit would have. */
  if (unsynced) {
    int src = bs__sync(env);
    rc = rc ? rc : src;
  }
  tr_bytes_free(&g.list);
  tr_free(g.order);
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
               ? bs__walk(c.txn, &pin->cid, &seen, 0, pv_visit, &c)
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

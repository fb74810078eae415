/*
 * test_bs_gc.c — GC (exactness, isolation from readers and pins, chunks,
 * stopped and killed midway, the held snapshot), the import's undo log and
 * its pins, and compaction after a GC.
 */
#include "testutil.h"

#include <signal.h>
#include <sys/wait.h>

#include "bs_readers.h"
#include "../blockstore/bs_int.h"
#include "bs_fixture.h"

typedef bs_fixture_t fx_t;

/* ------------------------------------------------- GC over many chunks */

static int count_key(const uint8_t h[32], const uint8_t *mh, size_t mhl,
                     void *ud) {
  (void)h, (void)mh, (void)mhl;
  ++*(uint64_t *)ud;
  return 0;
}

static uint64_t kspace_count(bs_env_t *env) {
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(env, BS_RDONLY, &t), 0);
  uint8_t zero[32] = {0};
  uint64_t n = 0;
  assert_int_equal(bs_kspace_range(t, zero, count_key, &n), 0);
  bs_txn_abort(t);
  return n;
}

typedef struct gc_watch {
  bs_env_t *env;
  int removed, stop_at, kill_at, readers;
} gc_watch_t;

static int gc_watch_cb(const dag_cid_t *c, void *ud) {
  gc_watch_t *w = ud;
  if (!c)
    return w->kill_at < 0 ? raise(SIGKILL) : 0;
  if (++w->removed == 1)
    w->readers = bs_active_readers(w->env); /* the hold (gc.c) */
  if (w->removed == w->kill_at)
    raise(SIGKILL);
  return w->removed == w->stop_at ? TR_EMISMATCH : 0;
}

#define GC_MANY 20000 /* garbage blocks: three of GC's chunks */

static void put_many(fx_t *f, uint32_t seed0) {
  bs_batch_t *b;
  assert_int_equal(bs_batch_begin(f->env, 1u << 20, &b), 0);
  for (uint32_t i = 0; i < GC_MANY; i++)
    raw_block(bs_batch_txn(b), seed0 + i, i % 4 ? 100 : 3000);
  assert_int_equal(bs_batch_end(b, 1), 0);
}

/* GC deletes in chunks of transactions, holding a read snapshot through
 * them (gc.c's hold, so that its writes go to fresh pages).  However it
 * ends - done, stopped by its callback mid-chunk, or killed between two
 * chunks (whose commits were not synced) - the store is whole (the pinned
 * block there, every stored block in the keyspace index), the next GC
 * finishes the work, no snapshot is left held, and the pages GC freed are
 * reused by later writes (a hold left behind would keep every page freed
 * after it from reuse: the file would grow by each later write). */
static void test_gc_chunks_hold_kill(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t keep = raw_block(t, 7, 5000);
  assert_int_equal(bs_pin_add(t, &keep, BS_PIN_DIRECT, NULL, NULL), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  put_many(f, 1000);
  assert_int_equal(bs_active_readers(f->env), 0);

  /* Stopped by the callback inside the second chunk. */
  gc_watch_t w = {f->env, 0, 10000, 0, 0};
  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, gc_watch_cb, &w, &st), TR_EMISMATCH);
  assert_int_equal(w.readers, 1);
  assert_int_equal(bs_active_readers(f->env), 0);
  bs_stat_t s;
  assert_int_equal(bs_stat(f->env, &s), 0);
  assert_true(s.blocks > 1 && s.blocks < 1 + GC_MANY);
  assert_true(kspace_count(f->env) >= s.blocks);

  /* Killed in a child inside its second chunk, after an unsynced commit. */
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    bs_env_t *env;
    if (bs_open(&env, f->dir, 0))
      _exit(2);
    gc_watch_t k = {env, 0, 0, 9000, 0};
    bs_gc_stats_t kst;
    int rc = bs_gc(env, gc_watch_cb, &k, &kst);
    _exit(rc ? 3 : 4);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  uint64_t before = s.blocks;
  assert_int_equal(bs_stat(f->env, &s), 0);
  assert_true(s.blocks > 1 && s.blocks < before);
  assert_true(kspace_count(f->env) >= s.blocks);
  assert_int_equal(has(f, &keep), 1);

  /* Killed after its mark, its snapshot held and no write under way: the
   * dead process's slot stays in the reader table (the robust writer lock
   * of a GC killed mid-chunk makes LMDB clear it; nothing does here). */
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    bs_env_t *env;
    if (bs_open(&env, f->dir, 0))
      _exit(2);
    gc_watch_t k = {env, 0, 0, -1, 0};
    bs_gc_stats_t kst;
    int rc = bs_gc(env, gc_watch_cb, &k, &kst);
    _exit(rc ? 3 : 4);
  }
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  assert_int_equal(bs_active_readers(f->env), 1);

  /* The next GC clears that slot and finishes the work. */
  memset(&w, 0, sizeof w);
  w.env = f->env;
  assert_int_equal(bs_gc(f->env, gc_watch_cb, &w, &st), 0);
  assert_int_equal(w.readers, 1);
  assert_int_equal(bs_active_readers(f->env), 0);
  assert_int_equal(st.removed, s.blocks - 1);
  assert_int_equal(bs_stat(f->env, &s), 0);
  assert_int_equal(s.blocks, 1);
  assert_int_equal(kspace_count(f->env), 1);
  assert_intact(f, &keep);

  /* The freed pages are reused: as much again fits in the file. */
  uint64_t used = s.repo_bytes;
  put_many(f, 50000);
  assert_int_equal(bs_stat(f->env, &s), 0);
  assert_true(s.repo_bytes < used + used / 8);
}


/* ------------------------------------------------- GC's read-ahead */

static uint64_t wait_looked_up(bs__ahead_t *a, uint64_t want) {
  for (int i = 0; i < 20000 && bs__ahead_looked_up(a) < want; i++)
    usleep(1000);
  usleep(50 * 1000); /* time to go further, were it to */
  return bs__ahead_looked_up(a);
}

/* The read-ahead thread (ahead.c) looks up one epoch of keys ahead of
 * where the deletes are and no more (the map's RSS is bounded by it);
 * once the deletes come near the end of that, it goes on one epoch from
 * where they are, and it ends when they are done.  Keys it looks up again
 * after a release are counted once. */
static void test_read_ahead_stays_an_epoch_ahead(void **state) {
  fx_t *f = *state;
  size_t n = 3 * BS__AHEAD_EPOCH;
  bs_batch_t *b;
  assert_int_equal(bs_batch_begin(f->env, 0, &b), 0);
  uint8_t *keys = malloc(n * 64);
  size_t *order = malloc(n * sizeof *order), off = 0;
  for (size_t i = 0; i < n; i++) {
    dag_cid_t cid = raw_block(bs_batch_txn(b), (uint32_t)i, 50);
    order[i] = off;
    size_t mhl = (size_t)cid.len - cid.mh_off;
    keys[off] = (uint8_t)mhl;
    memcpy(keys + off + 1, cid.bytes + cid.mh_off, mhl);
    off += 1 + mhl;
  }
  assert_int_equal(bs_batch_end(b, 1), 0);
  MDB_txn *snap;
  assert_int_equal(mdb_txn_begin(f->env->mdb, NULL, MDB_RDONLY, &snap), 0);
  /* Too few keys for it to be worth a thread. */
  assert_null(bs__ahead_start(f->env, snap, keys, order,
                              2 * BS__AHEAD_EPOCH - 1));

  bs__ahead_t *a = bs__ahead_start(f->env, snap, keys, order, n);
  assert_non_null(a);
  assert_int_equal(wait_looked_up(a, BS__AHEAD_EPOCH), BS__AHEAD_EPOCH);
  /* Not yet near the end of the epoch: it waits. */
  bs__ahead_at(a, BS__AHEAD_EPOCH - BS__AHEAD_MARGIN - 1);
  assert_int_equal(wait_looked_up(a, BS__AHEAD_EPOCH + 1), BS__AHEAD_EPOCH);
  /* Near it: one epoch on from there. */
  size_t at = BS__AHEAD_EPOCH - BS__AHEAD_MARGIN;
  bs__ahead_at(a, at);
  assert_int_equal(wait_looked_up(a, at + BS__AHEAD_EPOCH),
                   at + BS__AHEAD_EPOCH);
  /* The deletes are done: it ends without looking up the rest. */
  bs__ahead_at(a, n);
  usleep(50 * 1000);
  assert_int_equal(bs__ahead_stop(a), at + BS__AHEAD_EPOCH);
  mdb_txn_abort(snap);
  free(keys);
  free(order);
}

/* ------------------------------------------------------------------ gc */

static void test_gc_exact(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t shared = raw_block(t, 100, 20);
  dag_cid_t a_kids[2] = {raw_block(t, 101, 20), shared};
  dag_cid_t a = pb_node(t, a_kids, 2, 0); /* v0 root */
  dag_cid_t b_kids[2] = {shared, raw_block(t, 102, 20)};
  dag_cid_t b = pb_node(t, b_kids, 2, 1);
  dag_cid_t d_kid = raw_block(t, 103, 20);
  dag_cid_t d = pb_node(t, &d_kid, 1, 1); /* direct: protects only d */
  dag_cid_t loose = raw_block(t, 104, 20);
  assert_int_equal(bs_pin_add(t, &a, BS_PIN_RECURSIVE, NULL, NULL), 0);
  assert_int_equal(bs_pin_add(t, &b, BS_PIN_RECURSIVE, NULL, NULL), 0);
  assert_int_equal(bs_pin_add(t, &d, BS_PIN_DIRECT, NULL, NULL), 0);
  assert_int_equal(bs_txn_commit(t), 0);

  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(st.removed, 2);
  assert_int_equal(st.live, 6);
  assert_int_equal(has(f, &loose), 0);
  assert_int_equal(has(f, &d_kid), 0);
  assert_int_equal(has(f, &shared), 1);
  assert_int_equal(has(f, &a), 1);
  assert_int_equal(has(f, &d), 1);

  /* Unpin a: its own leaf goes, the shared one stays for b. */
  t = wtxn(f);
  assert_int_equal(bs_pin_rm(t, &a, true), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(st.removed, 2);
  assert_int_equal(has(f, &shared), 1);
  assert_int_equal(has(f, &a_kids[0]), 0);
  /* Nothing left to collect. */
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(st.removed, 0);
}

/* More garbage than one GC chunk (1024 deletions per transaction): every
 * chunk removes only garbage, the total is exact, and pins bump the pin
 * generation that tells a running GC its list went stale. */
static void test_gc_chunks(void **state) {
  fx_t *f = *state;
  bs_batch_t *b;
  assert_int_equal(bs_batch_begin(f->env, 0, &b), 0);
  for (uint32_t i = 0; i < 20000; i++)
    raw_block(bs_batch_txn(b), 1000 + i, 40);
  assert_int_equal(bs_batch_end(b, 1), 0);
  bs_txn_t *t = wtxn(f);
  const uint8_t *g;
  size_t gl;
  assert_int_equal(bs_meta_get(t, "pingen", &g, &gl), TR_ENOTFOUND);
  dag_cid_t kids[2] = {raw_block(t, 1000, 40), raw_block(t, 1001, 40)};
  dag_cid_t root = pb_node(t, kids, 2, 1);
  assert_int_equal(bs_pin_add(t, &root, BS_PIN_RECURSIVE, NULL, NULL), 0);
  uint64_t gen;
  assert_int_equal(bs_meta_get(t, "pingen", &g, &gl), 0);
  assert_int_equal(gl, sizeof gen);
  memcpy(&gen, g, sizeof gen);
  assert_int_equal(gen, 1);
  assert_int_equal(bs_txn_commit(t), 0);
  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(st.removed, 19998);
  assert_int_equal(st.live, 3);
  assert_true(st.read_ahead <= st.removed);
  assert_int_equal(has(f, &kids[0]), 1);
  assert_int_equal(has(f, &kids[1]), 1);
  bs_stat_t s2;
  assert_int_equal(bs_stat(f->env, &s2), 0);
  assert_int_equal(s2.blocks, 3);
}

/* Past KS_LOG_MAX puts the keyspace log folds into the index, which GC
 * lists in two halves by the hashes' first byte, the second on a thread
 * of its own (gc.c, list_garbage): both halves are listed, in one
 * snapshot, and every entry goes with its block. */
static void test_gc_lists_both_halves_of_the_index(void **state) {
  fx_t *f = *state;
  enum { N = 70000 };
  bs_batch_t *b;
  assert_int_equal(bs_batch_begin(f->env, 0, &b), 0);
  for (uint32_t i = 0; i < N; i++)
    raw_block(bs_batch_txn(b), 500000 + i, 8);
  assert_int_equal(bs_batch_end(b, 1), 0);
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &t), 0);
  MDB_cursor *cur;
  assert_int_equal(mdb_cursor_open(t->mdb, f->env->kspace, &cur), 0);
  MDB_val k, v;
  assert_int_equal(mdb_cursor_get(cur, &k, &v, MDB_FIRST), 0);
  assert_true(((const uint8_t *)k.mv_data)[0] < 0x80);
  uint8_t half = 0x80;
  k = (MDB_val){1, &half};
  assert_int_equal(mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE), 0);
  mdb_cursor_close(cur);
  bs_txn_abort(t);

  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(st.removed, N);
  assert_int_equal(st.live, 0);
  bs_stat_t s;
  assert_int_equal(bs_stat(f->env, &s), 0);
  assert_int_equal(s.blocks, 0);
  assert_int_equal(kspace_count(f->env), 0);
}

/* bs_undo: a failed import takes back exactly the blocks it stored new -
 * over many commits and a log that spilled to its file - and leaves the
 * blocks that were there before and those a pin made meanwhile reaches. */
static dag_cid_t undo_put(bs_undo_t *u, bs_batch_t *b, uint32_t seed) {
  uint8_t buf[40];
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < sizeof buf; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    buf[i] = (uint8_t)x;
  }
  dag_cid_t cid;
  assert_int_equal(dag_cid_sum(&cid, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, buf,
                               sizeof buf), 0);
  if (u) /* (NULL: the CID only) */
    assert_int_equal(bs_undo_put(u, b, &cid, buf, sizeof buf), 0);
  return cid;
}

static void test_undo_takes_back_only_new_blocks(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t before[100];
  for (uint32_t i = 0; i < 100; i++)
    before[i] = raw_block(t, 5000 + i, 40);
  assert_int_equal(bs_txn_commit(t), 0);
  bs_undo_t *u;
  assert_int_equal(bs_undo_new(f->env, &u), 0);
  bs_batch_t *b;
  /* Small batches, by their pages (a put dirties a leaf or two): ~100
   * commits; 40000 keys: past the log's 1 MiB in memory, into its file. */
  assert_int_equal(bs_batch_begin(f->env, 1 << 20, &b), 0);
  for (uint32_t i = 0; i < 50; i++)
    undo_put(u, b, 5000 + i); /* there before: not recorded */
  for (uint32_t i = 0; i < 39000; i++)
    undo_put(u, b, 6000 + i);
  assert_int_equal(bs_batch_end(b, 1), 0);
  assert_int_equal(bs_undo_count(u), 39000);
  /* Another writer pins a DAG over two of the new blocks meanwhile. */
  t = wtxn(f);
  dag_cid_t kids[2] = {raw_block(NULL, 6000, 40), raw_block(NULL, 6001, 40)};
  dag_cid_t root = pb_node(t, kids, 2, 1);
  assert_int_equal(bs_pin_add(t, &root, BS_PIN_RECURSIVE, NULL, NULL), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  /* The last puts are in a batch that is aborted, all of them (one
   * transaction: 1000 puts dirty ~2000 pages, under 16 MiB). */
  assert_int_equal(bs_batch_begin(f->env, 8 << 20, &b), 0);
  for (uint32_t i = 0; i < 1000; i++)
    undo_put(u, b, 45000 + i);
  assert_int_equal(bs_batch_end(b, 0), 0);
  uint64_t removed = 0;
  assert_int_equal(bs_undo_run(u, &removed), 0);
  bs_undo_free(u);
  assert_int_equal(removed, 39000 - 2);
  bs_stat_t st;
  assert_int_equal(bs_stat(f->env, &st), 0);
  assert_int_equal(st.blocks, 100 + 3);
  for (uint32_t i = 0; i < 100; i++)
    assert_int_equal(has(f, &before[i]), 1);
  assert_int_equal(has(f, &kids[0]), 1);
  assert_int_equal(has(f, &kids[1]), 1);
  assert_int_equal(has(f, &root), 1);
  dag_cid_t gone = raw_block(NULL, 6002, 40);
  assert_int_equal(has(f, &gone), 0);
  gone = raw_block(NULL, 6000 + 38999, 40);
  assert_int_equal(has(f, &gone), 0);
}

/* bs_undo_pin: an import's root is pinned without looking up the blocks
 * the import stored new, and the pin stays exact: a block the CAR lacked,
 * or one deleted since the import began (block rm, GC; another import's
 * undo is a bs_del too), fails it as bs_pin_add would.  Seeds from base:
 * leaves base..base+3 (skip: the one not put), then their dag-pb root. */
static dag_cid_t undo_dag(fx_t *f, bs_undo_t *u, uint32_t base, int skip) {
  bs_batch_t *b;
  assert_int_equal(bs_batch_begin(f->env, 0, &b), 0);
  dag_cid_t kids[4];
  for (int i = 0; i < 4; i++)
    kids[i] = i == skip ? undo_put(NULL, NULL, base + (uint32_t)i)
                        : undo_put(u, b, base + (uint32_t)i);
  dag_pb_link_t links[4];
  for (int i = 0; i < 4; i++)
    links[i] = (dag_pb_link_t){.cid = kids[i], .has_name = true, .name = ""};
  uint8_t buf[512];
  int len = dag_pb_encode(links, 4, NULL, 0, false, buf, sizeof buf);
  assert_true(len > 0);
  dag_cid_t root;
  assert_int_equal(dag_cid_sum(&root, 1, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256,
                               buf, (size_t)len), 0);
  assert_int_equal(bs_undo_put(u, b, &root, buf, (size_t)len), 0);
  assert_int_equal(bs_batch_end(b, 1), 0);
  return root;
}

static int undo_pin(fx_t *f, bs_undo_t *u, const dag_cid_t *root,
                    dag_cid_t *missing) {
  bs_txn_t *t = wtxn(f);
  int rc = bs_undo_pin(u, t, root, NULL, missing);
  assert_int_equal(bs_txn_commit(t), 0);
  return rc;
}

static void del_block(fx_t *f, const dag_cid_t *cid) {
  bs_txn_t *t = wtxn(f);
  assert_int_equal(bs_del(t, cid), 0);
  assert_int_equal(bs_txn_commit(t), 0);
}

static void test_undo_pin_exact(void **state) {
  fx_t *f = *state;
  bs_undo_t *u, *u2;
  dag_cid_t missing, leaf;
  bs_pin_t pin;
  /* Complete: pinned. */
  assert_int_equal(bs_undo_new(f->env, &u), 0);
  dag_cid_t root = undo_dag(f, u, 9000, -1);
  assert_int_equal(undo_pin(f, u, &root, &missing), 0);
  bs_undo_free(u);
  bs_txn_t *t = rtxn(f);
  assert_int_equal(bs_pin_get(t, &root, BS_PIN_RECURSIVE, &pin), 1);
  bs_txn_abort(t);
  /* A leaf the import never had. */
  assert_int_equal(bs_undo_new(f->env, &u), 0);
  root = undo_dag(f, u, 9100, 2);
  assert_int_equal(undo_pin(f, u, &root, &missing), TR_EINCOMPLETE);
  leaf = undo_put(NULL, NULL, 9102);
  assert_true(dag_cid_equal(&missing, &leaf));
  bs_undo_free(u);
  /* A leaf it stored, deleted since (block rm) by another transaction. */
  assert_int_equal(bs_undo_new(f->env, &u), 0);
  root = undo_dag(f, u, 9200, -1);
  leaf = undo_put(NULL, NULL, 9201);
  del_block(f, &leaf);
  assert_int_equal(undo_pin(f, u, &root, &missing), TR_EINCOMPLETE);
  assert_true(dag_cid_equal(&missing, &leaf));
  bs_undo_free(u);
  /* GC took everything unpinned, root too (the import held no gc lock). */
  assert_int_equal(bs_undo_new(f->env, &u), 0);
  root = undo_dag(f, u, 9300, -1);
  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(has(f, &root), 0);
  assert_int_not_equal(undo_pin(f, u, &root, &missing), 0);
  bs_undo_free(u);
  t = rtxn(f);
  assert_int_equal(bs_pin_get(t, &root, BS_PIN_RECURSIVE, &pin), 0);
  bs_txn_abort(t);
  /* Two files (the CLI's merge): the first one's blocks count too ... */
  assert_int_equal(bs_undo_new(f->env, &u), 0);
  root = undo_dag(f, u, 9400, -1);
  assert_int_equal(bs_undo_new(f->env, &u2), 0);
  dag_cid_t root2 = undo_dag(f, u2, 9500, -1);
  bs_undo_merge(u2, u);
  bs_undo_free(u);
  assert_int_equal(undo_pin(f, u2, &root, &missing), 0);
  assert_int_equal(undo_pin(f, u2, &root2, &missing), 0);
  bs_undo_free(u2);
  /* ... while nothing was deleted since the first began: a deletion
   * between the two must not pass for the second's start. */
  assert_int_equal(bs_undo_new(f->env, &u), 0);
  root = undo_dag(f, u, 9600, -1);
  leaf = undo_put(NULL, NULL, 9600);
  del_block(f, &leaf);
  assert_int_equal(bs_undo_new(f->env, &u2), 0);
  (void)undo_dag(f, u2, 9700, -1);
  bs_undo_merge(u2, u);
  bs_undo_free(u);
  assert_int_equal(undo_pin(f, u2, &root, &missing), TR_EINCOMPLETE);
  assert_true(dag_cid_equal(&missing, &leaf));
  bs_undo_free(u2);
}

/* A pin's walk (BS__WALK_LEAVES_AGAIN) puts only the blocks that have
 * children into its set, and keeps the last leaves it checked in a small
 * cache instead; the other walks remember every block and visit it once.
 * A leaf missing under two parents fails the pin either way. */
static int count_visit(const dag_cid_t *cid, const dag_cid_t *via, void *ud) {
  (void)cid, (void)via;
  (*(int *)ud)++;
  return 0;
}

static void test_pin_walk_remembers_only_inner_nodes(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t a = raw_block(t, 300, 100), b = raw_block(t, 301, 100);
  dag_cid_t inner_kids[2] = {b, a};
  dag_cid_t inner = pb_node(t, inner_kids, 2, 1);
  dag_cid_t root_kids[3] = {a, a, inner};
  dag_cid_t root = pb_node(t, root_kids, 3, 1);
  /* root, a, inner, b (a again twice: from the cache); two blocks in the
   * set. */
  tr_fpset_t seen = {0};
  int visits = 0;
  assert_int_equal(bs__walk(t, &root, &seen, BS__WALK_LEAVES_AGAIN,
                            count_visit, &visits), 0);
  assert_int_equal(visits, 4);
  assert_int_equal(seen.n, 2);
  tr_fpset_free(&seen);
  /* Every block once. */
  visits = 0;
  assert_int_equal(bs__walk(t, &root, &seen, 0, count_visit, &visits), 0);
  assert_int_equal(visits, 4);
  assert_int_equal(seen.n, 4);
  tr_fpset_free(&seen);
  assert_int_equal(bs_pin_add(t, &root, BS_PIN_RECURSIVE, NULL, NULL), 0);
  assert_int_equal(bs_pin_rm(t, &root, true), 0);
  assert_int_equal(bs_del(t, &a), 0);
  dag_cid_t missing;
  assert_int_equal(bs_pin_add(t, &root, BS_PIN_RECURSIVE, NULL, &missing),
                   TR_EINCOMPLETE);
  assert_true(dag_cid_equal(&missing, &a));
  bs_txn_abort(t);
}

/* What an import remembers for its pins (bs__stored_t) stops at
 * BS__STORED_MAX entries: then it is dropped whole, so that an import's
 * memory does not grow with the CAR. */
static dag_cid_t nth_cid(uint64_t codec, uint32_t i) {
  uint8_t mh[34] = {0x12, 0x20};
  memcpy(mh + 2, &i, sizeof i);
  dag_cid_t c;
  assert_int_equal(dag_cid_make(&c, 1, codec, mh, sizeof mh), 0);
  return c;
}

static void test_stored_set_is_bounded(void **state) {
  (void)state;
  bs__stored_t s = {0}, t = {0};
  /* Found (0): a raw block is not new; a dag-pb one is known indexed. */
  dag_cid_t raw = nth_cid(DAG_CODEC_RAW, 0), pb = nth_cid(DAG_CODEC_DAG_PB, 1);
  bs__stored_note(&s, &raw, 0);
  assert_int_equal(s.set.n, 0);
  bs__stored_note(&s, &pb, 0);
  assert_int_equal(s.set.n, 1);
  assert_true(tr_fpset_has(&s.set, bs__indexed_fp(&pb)));
  assert_false(tr_fpset_has(&s.set, dag_cid_fp(&pb)));
  bs__stored_note(&s, &raw, TR_EHASH);
  assert_int_equal(s.set.n, 1);
  /* Stored new: both for a dag-pb block. */
  pb = nth_cid(DAG_CODEC_DAG_PB, 2);
  bs__stored_note(&s, &pb, 1);
  assert_int_equal(s.set.n, 3);
  for (uint32_t i = 3; s.set.n < BS__STORED_MAX; i++) {
    raw = nth_cid(DAG_CODEC_RAW, i);
    bs__stored_note(&s, &raw, 1);
  }
  assert_non_null(bs__stored_set(&s));
  assert_true(tr_fpset_has(bs__stored_set(&s), dag_cid_fp(&raw)));
  /* A merge that would pass the bound drops the set it goes into. */
  raw = nth_cid(DAG_CODEC_RAW, 1u << 30);
  bs__stored_note(&t, &raw, 1);
  bs__stored_merge(&t, &s);
  assert_true(t.off);
  assert_null(bs__stored_set(&t));
  assert_null(t.set.slots);
  /* One more than the bound: dropped, its memory freed, for good. */
  raw = nth_cid(DAG_CODEC_RAW, 1u << 31);
  bs__stored_note(&s, &raw, 1);
  assert_null(bs__stored_set(&s));
  assert_null(s.set.slots);
  bs__stored_note(&s, &raw, 1);
  assert_null(s.set.slots);
  /* A dropped set merged in leaves the other's as it was. */
  bs__stored_t u = {0};
  bs__stored_note(&u, &raw, 1);
  bs__stored_merge(&u, &s);
  assert_non_null(bs__stored_set(&u));
  assert_int_equal(u.set.n, 1);
  bs__stored_free(&u);
  bs__stored_free(&t);
  bs__stored_free(&s);
}

static void test_gc_reader_keeps_snapshot(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t g = raw_block(t, 200, 5000);
  assert_int_equal(bs_txn_commit(t), 0);
  bs_txn_t *r = rtxn(f);
  const uint8_t *d;
  size_t n;
  assert_int_equal(bs_get(r, &g, &d, &n), 0);
  /* GC runs while the reader is open and is not blocked by it. */
  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(st.removed, 1);
  assert_int_equal(dag_cid_verify(&g, d, n), 0); /* old snapshot intact */
  bs_txn_abort(r);
  assert_int_equal(has(f, &g), 0);
}


/* repo compact: after a GC the file shrinks to about the data left; while
 * another opener holds the repo it refuses (TR_EINUSE); the blocks that
 * stayed are intact; bs_stat tells data from free pages. */
static void test_compact_shrinks_after_gc(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t keep = raw_block(t, 7, 1000);
  for (uint32_t i = 0; i < 2000; i++)
    raw_block(t, 100 + i, 8192); /* ~16 MB of garbage */
  assert_int_equal(bs_pin_add(t, &keep, BS_PIN_DIRECT, NULL, NULL), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  bs_gc_stats_t gst;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &gst), 0);
  assert_int_equal(gst.removed, 2000);
  bs_stat_t st;
  assert_int_equal(bs_stat(f->env, &st), 0);
  assert_true(st.file_bytes >= 16u << 20);
  assert_true(st.data_bytes < st.repo_bytes / 4); /* mostly free pages */
  uint64_t before, after;
  /* The fixture holds the repo open: compaction must refuse. */
  assert_int_equal(bs_compact(f->dir, &before, &after), TR_EINUSE);
  bs_close(f->env);
  assert_int_equal(bs_compact(f->dir, &before, &after), 0);
  assert_true(before >= 16u << 20);
  assert_true(after < 1u << 20);
  assert_int_equal(bs_open(&f->env, f->dir, 0), 0);
  assert_int_equal(has(f, &keep), 1);
  assert_intact(f, &keep);
  assert_int_equal(bs_stat(f->env, &st), 0);
  assert_int_equal(st.blocks, 1);
  assert_int_equal(st.file_bytes, after);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      bs_fixture_test(test_gc_exact),
      bs_fixture_test(test_gc_chunks),
      bs_fixture_test(test_gc_lists_both_halves_of_the_index),
      bs_fixture_test(test_gc_reader_keeps_snapshot),
      bs_fixture_test(test_undo_takes_back_only_new_blocks),
      bs_fixture_test(test_undo_pin_exact),
      bs_fixture_test(test_pin_walk_remembers_only_inner_nodes),
      cmocka_unit_test(test_stored_set_is_bounded),
      bs_fixture_test(test_compact_shrinks_after_gc),
      bs_fixture_test(test_gc_chunks_hold_kill),
      bs_fixture_test(test_read_ahead_stays_an_epoch_ahead),
  };
  return cmocka_run_group_tests_name("blockstore gc", tests, NULL, NULL);
}

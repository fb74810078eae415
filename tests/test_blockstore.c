/*
 * test_blockstore.c — the LMDB blockstore: blocks, the links index, pins with
 * Kubo's semantics, batches and map growth, verify, and allocation-failure
 * sweeps.  GC, the undo log and compaction: test_bs_gc.c.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdatomic.h>
#include <unistd.h>

#include "testutil.h"

#include "bs_readers.h"
#include "bs_fixture.h"
#include "../dag/varint.h"

/* ----------------------------------------------------------- fixtures */

typedef bs_fixture_t fx_t;

/* -------------------------------------------------------------- blocks */

static void test_put_get_del(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t a = raw_block(t, 1, 1000), b = raw_block(t, 2, 0);
  raw_block(t, 1, 1000); /* twice: a no-op */
  assert_int_equal(bs_txn_commit(t), 0);

  t = rtxn(f);
  const uint8_t *d;
  size_t n;
  assert_int_equal(bs_get(t, &a, &d, &n), 0);
  assert_int_equal(n, 1000);
  assert_int_equal(dag_cid_verify(&a, d, n), 0);
  assert_int_equal(bs_get(t, &b, &d, &n), 0);
  assert_int_equal(n, 0);
  dag_cid_t c = raw_block(NULL, 3, 10);
  assert_int_equal(bs_get(t, &c, &d, &n), TR_ENOTFOUND);
  assert_int_equal(bs_has(t, &c), 0);
  /* Writes through a read-only transaction are refused. */
  assert_int_equal(bs_put(t, &c, d, 0), -EACCES);
  bs_txn_abort(t);

  t = wtxn(f);
  assert_int_equal(bs_del(t, &a), 0);
  assert_int_equal(bs_del(t, &a), TR_ENOTFOUND);
  assert_int_equal(bs_txn_commit(t), 0);
  assert_int_equal(has(f, &a), 0);
  assert_int_equal(has(f, &b), 1);
}

static void test_v0_v1_share_storage(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t leaf = raw_block(t, 7, 100);
  dag_cid_t v0 = pb_node(t, &leaf, 1, 0);
  assert_int_equal(bs_txn_commit(t), 0);
  dag_cid_t v1;
  dag_cid_to_v1(&v1, &v0);
  assert_int_equal(has(f, &v1), 1);
  /* The same multihash as raw: the same bytes. */
  size_t mlen;
  const uint8_t *mh = dag_cid_mh(&v0, &mlen);
  dag_cid_t asraw;
  assert_int_equal(dag_cid_make(&asraw, 1, DAG_CODEC_RAW, mh, mlen), 0);
  assert_int_equal(has(f, &asraw), 1);
}

static void test_identity_cid(void **state) {
  fx_t *f = *state;
  dag_cid_t id;
  assert_int_equal(dag_cid_sum(&id, 1, DAG_CODEC_RAW, DAG_MH_IDENTITY, "hi", 2), 0);
  bs_txn_t *t = wtxn(f);
  assert_int_equal(bs_put(t, &id, (const uint8_t *)"hi", 2), 0);
  const uint8_t *d;
  size_t n;
  assert_int_equal(bs_get(t, &id, &d, &n), 0);
  assert_int_equal(n, 2);
  assert_memory_equal(d, "hi", 2);
  assert_int_equal(bs_txn_commit(t), 0);
  bs_stat_t st;
  assert_int_equal(bs_stat(f->env, &st), 0);
  assert_int_equal(st.blocks, 0); /* never stored */
}

/* An identity CID's view outlives the dag_cid_t it came from (the DAG
 * reader decodes a child's CID into a local; cat queues the view), and
 * the views not released stay intact while many others come and go. */
static void get_identity(bs_txn_t *t, uint8_t fill, size_t len,
                         const uint8_t **d) {
  dag_cid_t id;
  uint8_t buf[DAG_MH_IDENTITY_MAX];
  memset(buf, fill, len);
  assert_int_equal(dag_cid_sum(&id, 1, DAG_CODEC_RAW, DAG_MH_IDENTITY, buf,
                               len), 0);
  size_t n;
  assert_int_equal(bs_get(t, &id, d, &n), 0);
  assert_int_equal(n, len);
  memset(&id, 0xee, sizeof id); /* the CID gone */
}

static void test_identity_view_lifetime(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = rtxn(f);
  const uint8_t *kept[4], *d;
  for (int i = 0; i < 4; i++)
    get_identity(t, (uint8_t)(0x10 + i), 100, &kept[i]);
  /* 4 MB of views released as they come: buffers come and go. */
  for (int i = 0; i < 40000; i++) {
    get_identity(t, (uint8_t)i, 100, &d);
    assert_int_equal(d[0], (uint8_t)i);
    assert_int_equal(d[99], (uint8_t)i);
    bs_txn_release(t, d, 100);
    if (i == 20000) /* an empty one, among them */
      get_identity(t, 0, 0, &d), bs_txn_release(t, d, 0);
  }
  for (int i = 0; i < 4; i++) {
    assert_int_equal(kept[i][0], 0x10 + i);
    assert_int_equal(kept[i][99], 0x10 + i);
  }
  bs_txn_abort(t);
}

static void test_bad_dagpb_not_stored(void **state) {
  fx_t *f = *state;
  const uint8_t junk[] = {0xff, 0xff, 0x01};
  dag_cid_t c;
  assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256, junk,
                               sizeof junk), 0);
  bs_txn_t *t = wtxn(f);
  assert_int_equal(bs_put(t, &c, junk, sizeof junk), TR_EDAGPB);
  assert_int_equal(bs_has(t, &c), 0);
  bs_txn_abort(t);
}

static void test_too_big(void **state) {
  fx_t *f = *state;
  size_t n = BS_MAX_BLOCK + 1;
  uint8_t *big = calloc(1, n);
  dag_cid_t c;
  assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, big, n), 0);
  bs_txn_t *t = wtxn(f);
  assert_int_equal(bs_put(t, &c, big, n), TR_ETOOBIG);
  bs_txn_abort(t);
  free(big);
}

static void test_put_verified(void **state) {
  fx_t *f = *state;
  dag_cid_t c = raw_block(NULL, 9, 64);
  bs_txn_t *t = wtxn(f);
  uint8_t wrong[64] = {0};
  assert_int_equal(bs_put_verified(t, &c, wrong, sizeof wrong), TR_EMISMATCH);
  assert_int_equal(bs_has(t, &c), 0);
  bs_txn_abort(t);
}

typedef struct cids {
  dag_cid_t c[64];
  int n;
} cids_t;

static int collect(const dag_cid_t *c, void *ud) {
  cids_t *v = ud;
  v->c[v->n++] = *c;
  return 0;
}

static void test_links_index(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t kids[3] = {raw_block(t, 1, 10), raw_block(t, 2, 10),
                       raw_block(t, 1, 10)};
  dag_cid_t p = pb_node(t, kids, 3, 1);
  cids_t got = {0};
  assert_int_equal(bs_links(t, &p, collect, &got), 0);
  assert_int_equal(got.n, 3);
  for (int i = 0; i < 3; i++)
    assert_true(dag_cid_equal(&got.c[i], &kids[i]));
  got.n = 0;
  assert_int_equal(bs_links(t, &kids[0], collect, &got), 0);
  assert_int_equal(got.n, 0);
  assert_int_equal(bs_txn_commit(t), 0);
}

/* regression: the same bytes first stored as raw, later referenced as
 * dag-pb, must still get a links entry, or GC would free the children. */
static void test_links_added_when_raw_first(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t kid = raw_block(t, 5, 50);
  dag_cid_t p = pb_node(NULL, &kid, 1, 1);
  /* Encode again to get the bytes, store as raw. */
  dag_pb_link_t l = {0};
  l.cid = kid, l.has_name = true, l.name = "", l.has_tsize = true, l.tsize = 10;
  uint8_t buf[256];
  int len = dag_pb_encode(&l, 1, (const uint8_t *)"\x08\x02", 2, true, buf, sizeof buf);
  size_t mlen;
  const uint8_t *mh = dag_cid_mh(&p, &mlen);
  dag_cid_t asraw;
  assert_int_equal(dag_cid_make(&asraw, 1, DAG_CODEC_RAW, mh, mlen), 0);
  assert_int_equal(bs_put(t, &asraw, buf, (size_t)len), 0);
  assert_int_equal(bs_put(t, &p, buf, (size_t)len), 0);
  assert_int_equal(bs_pin_add(t, &p, BS_PIN_RECURSIVE, NULL, NULL), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(has(f, &kid), 1);
}

/* Store bytes under the raw CID of cid's multihash only, as IPFS Cluster's
 * adder does for every block of a DAG whose first block is a raw leaf. */
static void put_as_raw(bs_txn_t *t, const dag_cid_t *cid, const uint8_t *d,
                       size_t n) {
  size_t mlen;
  const uint8_t *mh = dag_cid_mh(cid, &mlen);
  dag_cid_t asraw;
  assert_int_equal(dag_cid_make(&asraw, 1, DAG_CODEC_RAW, mh, mlen), 0);
  assert_int_equal(bs_put(t, &asraw, d, n), 0);
}

/* Regression (ipfs-cluster-ctl add, then ipfs gc): a DAG whose dag-pb
 * nodes were all stored as raw had no links entries, so its recursive pin
 * passed as complete over missing leaves and GC took every block below the
 * root.  Pinning now indexes such nodes. */
static void test_regression_pin_indexes_nodes_stored_as_raw(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t leaves[3] = {raw_block(t, 200, 30), raw_block(NULL, 201, 30),
                         raw_block(t, 202, 30)};
  dag_cid_t mid = pb_node(NULL, leaves, 2, 1);
  dag_cid_t top_kids[2] = {mid, leaves[2]};
  dag_cid_t top = pb_node(NULL, top_kids, 2, 1);
  /* pb_node's bytes, again, for the raw puts. */
  uint8_t buf[2][512];
  int len[2];
  for (int i = 0; i < 2; i++) {
    const dag_cid_t *k = i ? top_kids : leaves;
    dag_pb_link_t l[2];
    memset(l, 0, sizeof l);
    for (int j = 0; j < 2; j++)
      l[j].cid = k[j], l[j].has_name = true, l[j].name = "",
      l[j].has_tsize = true, l[j].tsize = 10;
    len[i] = dag_pb_encode(l, 2, (const uint8_t *)"\x08\x02", 2, true,
                           buf[i], sizeof buf[i]);
    assert_true(len[i] > 0);
  }
  put_as_raw(t, &mid, buf[0], (size_t)len[0]);
  put_as_raw(t, &top, buf[1], (size_t)len[1]);
  dag_cid_t missing;
  assert_int_equal(bs_pin_add(t, &top, BS_PIN_RECURSIVE, NULL, &missing),
                   TR_EINCOMPLETE);
  assert_true(dag_cid_equal(&missing, &leaves[1]));
  raw_block(t, 201, 30);
  dag_cid_t loose = raw_block(t, 203, 30);
  assert_int_equal(bs_pin_add(t, &top, BS_PIN_RECURSIVE, NULL, NULL), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(st.removed, 1);
  assert_int_equal(has(f, &loose), 0);
  for (int i = 0; i < 3; i++)
    assert_int_equal(has(f, &leaves[i]), 1);
  assert_int_equal(has(f, &mid), 1);
}

/* Pinning tells a linkless dag-pb leaf by its first bytes (read with
 * pread from the map's file, so the walk maps nothing): a node in the
 * legacy order (Data, then Links) also starts with the Data field and must
 * still be found to have links; a committed 300 KiB leaf must pass. */
static void test_pin_leaf_test_reads_header_only(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  size_t dl = 300000;
  uint8_t *leaf = malloc(dl + 8);
  size_t ll = 0;
  leaf[ll++] = 0x0a;
  ll += (size_t)dag_varint_put(leaf + ll, dl);
  memset(leaf + ll, 0x5a, dl);
  ll += dl;
  dag_cid_t lc;
  assert_int_equal(dag_cid_sum(&lc, 0, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256,
                               leaf, ll), 0);
  assert_int_equal(bs_put(t, &lc, leaf, ll), 0);
  free(leaf);
  dag_cid_t kids[2] = {raw_block(t, 220, 30), raw_block(NULL, 221, 30)};
  uint8_t legacy[512];
  size_t n = 0;
  memcpy(legacy, "\x0a\x02\x08\x02", 4); /* Data first */
  n = 4;
  for (int i = 0; i < 2; i++) {
    legacy[n++] = 0x12;
    legacy[n++] = (uint8_t)(2 + kids[i].len + 4);
    legacy[n++] = 0x0a;
    legacy[n++] = (uint8_t)kids[i].len;
    memcpy(legacy + n, kids[i].bytes, kids[i].len);
    n += kids[i].len;
    memcpy(legacy + n, "\x12\x00\x18\x0a", 4);
    n += 4;
  }
  dag_cid_t node;
  assert_int_equal(dag_cid_sum(&node, 1, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256,
                               legacy, n), 0);
  put_as_raw(t, &node, legacy, n); /* no links entry */
  dag_cid_t top_kids[2] = {lc, node};
  dag_cid_t top = pb_node(t, top_kids, 2, 1);
  assert_int_equal(bs_txn_commit(t), 0);

  t = wtxn(f);
  dag_cid_t missing;
  assert_int_equal(bs_pin_add(t, &top, BS_PIN_RECURSIVE, NULL, &missing),
                   TR_EINCOMPLETE);
  assert_true(dag_cid_equal(&missing, &kids[1]));
  raw_block(t, 221, 30);
  assert_int_equal(bs_pin_add(t, &top, BS_PIN_RECURSIVE, NULL, NULL), 0);
  assert_int_equal(bs_txn_commit(t), 0);
}

/* bs_txn_release drops the map's pages of a view, which fault back in
 * unchanged, and leaves alone what is not the map: a block put in this
 * write transaction (LMDB's heap page). */
static void test_txn_release_views(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t big = raw_block(t, 230, 200000);
  assert_int_equal(bs_txn_commit(t), 0);
  t = wtxn(f);
  dag_cid_t fresh = raw_block(t, 231, 100000);
  const uint8_t *d;
  size_t n;
  assert_int_equal(bs_get(t, &fresh, &d, &n), 0);
  uint8_t *copy = malloc(n);
  memcpy(copy, d, n);
  bs_txn_release(t, d, n);
  assert_memory_equal(d, copy, n); /* a heap page: zeroed if released */
  free(copy);
  dag_cid_t id;
  uint8_t idmh[2 + 40] = {0x00, 40};
  memset(idmh + 2, 0x77, 40);
  assert_int_equal(dag_cid_make(&id, 1, DAG_CODEC_RAW, idmh, sizeof idmh), 0);
  assert_int_equal(bs_get(t, &id, &d, &n), 0);
  assert_int_equal(n, 40);
  assert_int_equal(d[39], 0x77);
  bs_txn_release(t, d, n);
  bs_txn_abort(t);
  t = rtxn(f);
  assert_int_equal(bs_get(t, &big, &d, &n), 0);
  copy = malloc(n);
  memcpy(copy, d, n);
  bs_txn_release(t, d, n);
  assert_memory_equal(d, copy, n);
  free(copy);
  bs_txn_abort(t);
}

static int stop_at_first(const dag_cid_t *c, const uint8_t *d, size_t n,
                         void *ud) {
  (void)c, (void)d, (void)n;
  (*(int *)ud)++;
  return 1;
}

static int fail_gc(const dag_cid_t *c, void *ud) {
  (void)ud;
  return c ? TR_EMISMATCH : 0; /* stop inside a deletion, not at the mark */
}

/* regression: a callback's stop value (1, or a trove code) came back as an
 * LMDB error (-EPERM, TR_ESTORE) from bs_foreach and bs_gc. */
static void test_regression_callback_stop_value_kept(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  raw_block(t, 1, 10);
  raw_block(t, 2, 10);
  assert_int_equal(bs_txn_commit(t), 0);
  int calls = 0;
  t = rtxn(f);
  assert_int_equal(bs_foreach(t, stop_at_first, &calls), 1);
  bs_txn_abort(t);
  assert_int_equal(calls, 1);
  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, fail_gc, NULL, &st), TR_EMISMATCH);
  bs_stat_t s2;
  assert_int_equal(bs_stat(f->env, &s2), 0);
  assert_int_equal(s2.blocks, 2); /* the failed GC changed nothing */
}

/* ---------------------------------------------------------------- pins */

static void test_pin_incomplete(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t present = raw_block(t, 1, 10);
  dag_cid_t absent = raw_block(NULL, 2, 10);
  dag_cid_t kids[2] = {present, absent};
  dag_cid_t root = pb_node(t, kids, 2, 1);
  dag_cid_t missing;
  assert_int_equal(bs_pin_add(t, &root, BS_PIN_RECURSIVE, "x", &missing),
                   TR_EINCOMPLETE);
  assert_true(dag_cid_equal(&missing, &absent));
  /* Nothing pinned. */
  bs_pin_t pin;
  assert_int_equal(bs_pin_get(t, &root, BS_PIN_ALL, &pin), 0);
  /* A direct pin needs only the root. */
  assert_int_equal(bs_pin_add(t, &root, BS_PIN_DIRECT, NULL, NULL), 0);
  /* A missing root fails both ways. */
  assert_int_equal(bs_pin_add(t, &absent, BS_PIN_DIRECT, NULL, NULL),
                   TR_EINCOMPLETE);
  bs_txn_abort(t);
}

static int count_types(const bs_pin_t *p, void *ud) {
  int *c = ud;
  c[p->type]++;
  return 0;
}

static void test_pin_semantics(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t l1 = raw_block(t, 1, 10), l2 = raw_block(t, 2, 10);
  dag_cid_t kids[2] = {l1, l2};
  dag_cid_t mid = pb_node(t, kids, 2, 1);
  dag_cid_t root = pb_node(t, &mid, 1, 1);
  dag_cid_t other = raw_block(t, 3, 10);

  assert_int_equal(bs_pin_add(t, &root, BS_PIN_DIRECT, NULL, NULL), 0);
  /* Upgrade direct -> recursive, with a name. */
  assert_int_equal(bs_pin_add(t, &root, BS_PIN_RECURSIVE, "archive", NULL), 0);
  /* Direct over recursive is refused, as Kubo does. */
  assert_int_equal(bs_pin_add(t, &root, BS_PIN_DIRECT, NULL, NULL), TR_EPINTYPE);
  assert_int_equal(bs_pin_add(t, &other, BS_PIN_DIRECT, NULL, NULL), 0);

  bs_pin_t pin;
  assert_int_equal(bs_pin_get(t, &root, BS_PIN_ALL, &pin), 1);
  assert_int_equal(pin.type, BS_PIN_RECURSIVE);
  assert_string_equal(pin.name, "archive");
  assert_int_equal(bs_pin_get(t, &l2, BS_PIN_ALL, &pin), 1);
  assert_int_equal(pin.type, BS_PIN_INDIRECT);
  assert_true(dag_cid_equal(&pin.via, &root));
  assert_int_equal(bs_pin_get(t, &l2, BS_PIN_DIRECT | BS_PIN_RECURSIVE, &pin), 0);

  int c[8] = {0};
  assert_int_equal(bs_pin_ls(t, BS_PIN_ALL, count_types, c), 0);
  assert_int_equal(c[BS_PIN_RECURSIVE], 1);
  assert_int_equal(c[BS_PIN_DIRECT], 1);
  assert_int_equal(c[BS_PIN_INDIRECT], 3); /* mid, l1, l2 */
  memset(c, 0, sizeof c);
  assert_int_equal(bs_pin_ls(t, BS_PIN_INDIRECT, count_types, c), 0);
  assert_int_equal(c[BS_PIN_RECURSIVE] + c[BS_PIN_DIRECT], 0);
  assert_int_equal(c[BS_PIN_INDIRECT], 3);

  /* rm: indirect refused, recursive needs recursive=true. */
  assert_int_equal(bs_pin_rm(t, &mid, true), TR_EINDIRECT);
  assert_int_equal(bs_pin_rm(t, &root, false), TR_EPINTYPE);
  assert_int_equal(bs_pin_rm(t, &root, true), 0);
  assert_int_equal(bs_pin_rm(t, &root, true), TR_ENOTPINNED);
  assert_int_equal(bs_pin_rm(t, &other, false), 0);
  assert_int_equal(bs_txn_commit(t), 0);
}

/* --------------------------------------------------------- batch, growth */

/* RssFile of this process, kB (-1 when unreadable). */
static long rss_file_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "RssFile:", 8))
      v = strtol(line + 8, NULL, 10);
  if (f)
    fclose(f);
  return v;
}

/* Reads one byte of every 4 KiB page of a block (maps them in). */
static int touch_block(const dag_cid_t *cid, const uint8_t *data, size_t len,
                       void *ud) {
  (void)cid;
  for (size_t o = 0; o < len; o += 4096)
    *(uint64_t *)ud += data[o];
  return 0;
}

/* A store in a fresh directory whose map starts at 1 MiB, so that what a
 * test puts grows it. */
static bs_env_t *open_small_map(char **dir) {
  *dir = tmpdir_new();
  setenv("TROVE_MAP_INITIAL", "1048576", 1);
  bs_env_t *env;
  assert_int_equal(bs_open(&env, *dir, BS_CREATE), 0);
  unsetenv("TROVE_MAP_INITIAL");
  return env;
}

static void test_batch_and_map_growth(void **state) {
  (void)state;
  char *dir;
  bs_env_t *env = open_small_map(&dir);
  bs_stat_t st0;
  assert_int_equal(bs_stat(env, &st0), 0);
  bs_batch_t *b;
  assert_int_equal(bs_batch_begin(env, 16u << 20, &b), 0);
  size_t n = 640, sz = 1u << 20; /* 640 MiB: past the first grown map */
  uint8_t *buf = malloc(sz);
  for (size_t i = 0; i < n; i++) {
    memset(buf, (int)i, sz);
    memcpy(buf, &i, sizeof i);
    dag_cid_t c;
    assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, buf, sz), 0);
    assert_int_equal(bs_batch_put(b, &c, buf, sz), 0);
  }
  assert_int_equal(bs_batch_end(b, 1), 0);
  free(buf);
  bs_stat_t st;
  assert_int_equal(bs_stat(env, &st), 0);
  assert_int_equal(st.blocks, n);
  assert_true(st.map_bytes > st0.map_bytes);
  assert_true(st.map_bytes >= (uint64_t)n * sz);
  /* The map moved as it grew (the batch released it before and after):
   * a release must find the new one, not madvise where the old one was.
   * Touch every block's pages through the map, then release: the
   * file-mapped RSS they added must go. */
  long f0 = rss_file_kb();
  bs_txn_t *rt;
  assert_int_equal(bs_txn_begin(env, BS_RDONLY, &rt), 0);
  uint64_t sum = 0;
  assert_int_equal(bs_foreach(rt, touch_block, &sum), 0);
  bs_txn_abort(rt);
  long f1 = rss_file_kb();
  assert_true(sum > 0);
  assert_true(f1 - f0 > 64 * 1024); /* > 64 MiB of the map mapped in */
  bs_release_map(env);
  long f2 = rss_file_kb();
  assert_true(f2 - f0 < (f1 - f0) / 8);
  bs_close(env);
  /* Reopen: everything there, and verify finds no corruption. */
  assert_int_equal(bs_open(&env, dir, 0), 0);
  uint64_t checked, corrupt;
  assert_int_equal(bs_verify(env, false, NULL, NULL, &checked, &corrupt), 0);
  assert_int_equal(checked, n);
  assert_int_equal(corrupt, 0);
  bs_close(env);
  tmpdir_rm(dir);
}

static void count_commit(void *ud) { (*(int *)ud)++; }

/* Puts blocks seed..seed+n-1 of len bytes through a batch of budget
 * bytes; returns the commits the batch made on its own. */
static int batch_commits_cap(bs_env_t *env, size_t budget, size_t cap,
                             uint32_t seed, uint32_t n, size_t len) {
  bs_batch_t *b;
  int commits = 0;
  assert_int_equal(bs_batch_begin(env, budget, &b), 0);
  bs_batch_cap_values(b, cap);
  bs_batch_on_commit(b, count_commit, &commits);
  uint8_t *buf = malloc(len);
  for (uint32_t i = seed; i < seed + n; i++) {
    memset(buf, (int)i, len);
    memcpy(buf, &i, sizeof i);
    dag_cid_t c;
    assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, buf,
                                 len), 0);
    assert_int_equal(bs_batch_put(b, &c, buf, len), 0);
  }
  free(buf);
  assert_int_equal(bs_batch_end(b, 1), 0);
  return commits;
}

static int batch_commits(bs_env_t *env, size_t budget, uint32_t seed,
                         uint32_t n, size_t len) {
  return batch_commits_cap(env, budget, 0, seed, n, len);
}

/* A batch capped at 4 MiB of large values (the pipe's cap) commits 200
 * values of 64 KiB (12.5 MiB) 3 times within its 256 MiB budget, and
 * 6 MiB of 512-byte values not at all: small values are not capped. */
static void test_batch_cap_counts_large_values(void **state) {
  fx_t *f = *state;
  assert_int_equal(batch_commits_cap(f->env, 256u << 20, 4u << 20, 0, 200,
                                     BS_BATCH_LARGE), 3);
  assert_int_equal(batch_commits_cap(f->env, 256u << 20, 4u << 20, 1000, 12000,
                                     512), 0);
  assert_int_equal(batch_commits_cap(f->env, 256u << 20, 4u << 20, 20000, 200,
                                     BS_BATCH_LARGE - 1), 0);
}

/* A batch's commits use the pages the commits before them freed: 500 puts
 * of 512 bytes, a commit each, into 4000 blocks copy a leaf or two and
 * their branches each time, and the file grows by about the values (0.5
 * MB here), not by every copy (18.7 MB when a batch held a snapshot so
 * that its commits appended; blockstore/lmdb_io.c's pages written alone
 * made that unneeded). */
static void test_batch_reuses_freed_pages(void **state) {
  fx_t *f = *state;
  assert_int_equal(batch_commits(f->env, 256u << 20, 0, 4000, 512), 0);
  bs_stat_t s0, s1;
  assert_int_equal(bs_stat(f->env, &s0), 0);
  assert_int_equal(batch_commits(f->env, 4096, 10000, 500, 512), 499);
  assert_int_equal(bs_stat(f->env, &s1), 0);
  assert_true(s1.repo_bytes - s0.repo_bytes < (4u << 20));
}

/* A batch commits when the pages it dirtied, or its values' bytes, reach
 * its budget.  Small blocks into a store of many leaves dirty a leaf each,
 * and one of the keyspace index: 4000 puts of 512 bytes (2 MiB) into
 * 20,000 blocks fill 2 MiB of pages every ~400 puts, ~10 commits
 * (4 when the pages' budget was twice the values'), where counting bytes
 * a 2 MiB batch would not commit at all.
 * Large ones are ruled by their bytes: 200 of 64 KiB (12.5 MiB, and ~1 MiB
 * of leaves) commit 3 times at 4 MiB. */
static void test_batch_budget_counts_pages(void **state) {
  fx_t *f = *state;
  assert_int_equal(batch_commits(f->env, 256u << 20, 0, 20000, 512), 0);
  int small = batch_commits(f->env, 2u << 20, 20000, 4000, 512);
  assert_in_range(small, 9, 20);
  int large = batch_commits(f->env, 4u << 20, 30000, 200, 64 << 10);
  assert_in_range(large, 2, 4);
  bs_txn_t *t = rtxn(f);
  uint64_t blocks;
  assert_int_equal(bs_count(t, &blocks), 0);
  assert_int_equal(blocks, 24200);
  bs_txn_abort(t);
}

/* Read transactions are reset and renewed (env.c, spare_renew): a renewed
 * one sees what was committed after it was put back, even across a map
 * that grew meanwhile, and one put back pins nothing. */
static void test_read_txn_reuse(void **state) {
  (void)state;
  char *dir;
  bs_env_t *env = open_small_map(&dir);
  /* More at once than the thread's slot keeps (one): the rest are ended
   * as before. */
  bs_txn_t *r[5];
  for (size_t i = 0; i < TR_ARRAY_LEN(r); i++)
    assert_int_equal(bs_txn_begin(env, BS_RDONLY, &r[i]), 0);
  assert_int_equal(bs_active_readers(env), (int)TR_ARRAY_LEN(r));
  for (size_t i = 0; i < TR_ARRAY_LEN(r); i++)
    bs_txn_abort(r[i]);
  assert_int_equal(bs_active_readers(env), 0);
  /* Commits between a reset and the renewal, the last ones past the map's
   * first size (1 MiB): each renewed transaction sees all of them. */
  dag_cid_t c[24];
  for (uint32_t i = 0; i < TR_ARRAY_LEN(c); i++) {
    bs_txn_t *t;
    assert_int_equal(bs_txn_begin(env, 0, &t), 0);
    c[i] = raw_block(t, 100 + i, 200000);
    assert_int_equal(bs_txn_commit(t), 0);
    assert_int_equal(bs_txn_begin(env, BS_RDONLY, &t), 0);
    for (uint32_t k = 0; k <= i; k++) {
      const uint8_t *d;
      size_t n;
      assert_int_equal(bs_get(t, &c[k], &d, &n), 0);
      assert_int_equal(dag_cid_verify(&c[k], d, n), 0);
    }
    bs_txn_abort(t);
  }
  bs_stat_t st;
  assert_int_equal(bs_stat(env, &st), 0);
  assert_true(st.map_bytes > 1048576);
  assert_int_equal(bs_active_readers(env), 0);
  bs_close(env);
  tmpdir_rm(dir);
}

/* Readers on four threads, each ending its transactions into its own
 * slot's spare and renewing them, while this one commits blocks that grow
 * the map past its first size: every read finds every block published
 * before its transaction began, whole, and no transaction is left holding
 * a snapshot.  (Linux remaps the grown map at the same address when it
 * can, so this does not show that a growth waits for readers: the next
 * test does.) */
typedef struct {
  bs_env_t *env;
  dag_cid_t c[24];
  atomic_uint published;
  atomic_bool stop;
  atomic_uint bad, reads;
} par_t;

static void *par_reader(void *arg) {
  par_t *p = arg;
  while (!atomic_load(&p->stop)) {
    unsigned n = atomic_load(&p->published);
    bs_txn_t *t;
    if (bs_txn_begin(p->env, BS_RDONLY, &t)) {
      atomic_fetch_add(&p->bad, 1);
      continue;
    }
    for (unsigned k = 0; k < n; k++) {
      const uint8_t *d;
      size_t len;
      if (bs_get(t, &p->c[k], &d, &len) || dag_cid_verify(&p->c[k], d, len))
        atomic_fetch_add(&p->bad, 1);
    }
    bs_txn_abort(t);
    atomic_fetch_add(&p->reads, 1);
  }
  return NULL;
}

static void test_parallel_reads_and_growth(void **state) {
  (void)state;
  char *dir;
  par_t p = {0};
  p.env = open_small_map(&dir);
  pthread_t th[4];
  for (int i = 0; i < 4; i++)
    assert_int_equal(pthread_create(&th[i], NULL, par_reader, &p), 0);
  for (uint32_t i = 0; i < TR_ARRAY_LEN(p.c); i++) {
    bs_txn_t *t;
    assert_int_equal(bs_txn_begin(p.env, 0, &t), 0);
    p.c[i] = raw_block(t, 300 + i, 200000);
    assert_int_equal(bs_txn_commit(t), 0);
    atomic_store(&p.published, i + 1);
  }
  unsigned r0 = atomic_load(&p.reads);
  while (atomic_load(&p.reads) < r0 + 8)
    usleep(1000);
  atomic_store(&p.stop, true);
  for (int i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  assert_int_equal(atomic_load(&p.bad), 0);
  bs_stat_t st;
  assert_int_equal(bs_stat(p.env, &st), 0);
  assert_true(st.map_bytes > 1048576);
  assert_int_equal(bs_active_readers(p.env), 0);
  bs_close(p.env);
  tmpdir_rm(dir);
}

typedef struct {
  bs_env_t *env;
  atomic_int state; /* 1: beginning, 2: begun */
} grow_t;

static void *grow_writer(void *arg) {
  grow_t *g = arg;
  atomic_store(&g->state, 1);
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(g->env, 0, &t), 0);
  atomic_store(&g->state, 2);
  bs_txn_abort(t);
  return NULL;
}

/* The addresses of data.mdb's mappings in this process: the lowest start
 * and the highest end, and how many lines. */
static int mdb_maps(const char *dir, uintptr_t *lo, uintptr_t *hi) {
  char path[4096];
  snprintf(path, sizeof path, "%s/data.mdb", dir);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  FILE *f = fopen("/proc/self/maps", "r");
  assert_non_null(f);
  char line[512];
  int n = 0;
  *lo = UINTPTR_MAX, *hi = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long a, b, off, ino;
    char perms[8];
    unsigned maj, min;
    if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &a, &b, perms, &off, &maj,
               &min, &ino) == 7 && ino == (unsigned long)st.st_ino) {
      n++;
      *lo = a < *lo ? a : *lo;
      *hi = b > *hi ? b : *hi;
    }
  }
  fclose(f);
  return n;
}

/* A process with the repo open twice maps data.mdb twice; releasing one
 * environment's map must drop only that map, not the memory between the
 * two (MADV_DONTNEED zeroes anonymous memory: a range over both maps
 * once zeroed a GC's thread stacks in a test's forked child). */
static void test_release_only_own_map(void **state) {
  bs_fixture_t *f = *state;
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(f->env, 0, &t), 0);
  dag_cid_t cid = raw_block(t, 1, 100);
  assert_int_equal(bs_txn_commit(t), 0);
  /* Memory right below the first map (address space only, its first
   * pages hold data): the second map, placed top-down, goes below it. */
  uintptr_t lo, hi;
  assert_int_equal(mdb_maps(f->dir, &lo, &hi), 1);
  size_t span = (size_t)64 << 20, len = (size_t)64 << 10;
  uint8_t *mem = mmap((void *)(lo - span), span, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
                          MAP_FIXED_NOREPLACE, -1, 0);
  if (mem == MAP_FAILED)
    skip(); /* that room is taken: the layout this test needs is not there */
  assert_int_equal(mprotect(mem, len, PROT_READ | PROT_WRITE), 0);
  memset(mem, 0xa5, len);
  bs_env_t *two;
  assert_int_equal(bs_open(&two, f->dir, 0), 0);
  int maps = mdb_maps(f->dir, &lo, &hi);
  bool between = maps >= 2 && (uintptr_t)mem > lo && (uintptr_t)mem < hi;
  assert_int_equal(bs_txn_begin(two, BS_RDONLY, &t), 0);
  assert_int_equal(bs_has(t, &cid), 1);
  bs_txn_abort(t);
  bs_release_map(two);
  bs_release_map(f->env);
  size_t zeroed = 0;
  for (size_t i = 0; i < len; i++)
    zeroed += mem[i] != 0xa5;
  bs_close(two);
  munmap(mem, span);
  assert_int_equal(zeroed, 0);
  if (!between) /* the layout this test needs did not happen */
    skip();
}

/* A write transaction that must grow the map (a remap, which moves every
 * view into it) waits until a read transaction open on another thread
 * has ended. */
static void test_growth_waits_for_readers(void **state) {
  (void)state;
  char *dir;
  bs_env_t *env = open_small_map(&dir);
  bs_stat_t st;
  assert_int_equal(bs_stat(env, &st), 0);
  uint64_t map0 = st.map_bytes;
  bs_txn_t *r;
  assert_int_equal(bs_txn_begin(env, BS_RDONLY, &r), 0);
  grow_t g = {.env = env};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, grow_writer, &g), 0);
  while (atomic_load(&g.state) == 0)
    usleep(1000);
  usleep(50000);
  assert_int_equal(atomic_load(&g.state), 1);
  bs_txn_abort(r);
  pthread_join(th, NULL);
  assert_int_equal(atomic_load(&g.state), 2);
  assert_int_equal(bs_stat(env, &st), 0);
  assert_true(st.map_bytes > map0);
  bs_close(env);
  tmpdir_rm(dir);
}

static void test_open_errors(void **state) {
  (void)state;
  char *dir = tmpdir_new();
  bs_env_t *env;
  assert_int_equal(bs_open(&env, dir, 0), TR_ENOREPO);
  char sub[4200];
  snprintf(sub, sizeof sub, "%s/nope/deeper", dir);
  assert_true(bs_open(&env, sub, BS_CREATE) < 0);
  tmpdir_rm(dir);
}

/* ---------------------------------------------------- allocation failure */

static void test_alloc_failures(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t kids[2] = {raw_block(t, 1, 10), raw_block(t, 2, 10)};
  dag_cid_t root = pb_node(t, kids, 2, 1);
  assert_int_equal(bs_pin_add(t, &root, BS_PIN_RECURSIVE, NULL, NULL), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  /* Sweep: fail the Nth allocation of a GC and of a pin listing; each must
   * fail cleanly (no crash, no leak under ASan) and leave the store intact,
   * until N is large enough for success. */
  for (long n = 0; n < 50; n++) {
    fm_start(n);
    bs_gc_stats_t st;
    int rc = bs_gc(f->env, NULL, NULL, &st);
    fm_reset();
    assert_true(rc == 0 || rc == -ENOMEM);
    assert_int_equal(has(f, &kids[0]), 1);
    assert_int_equal(has(f, &root), 1);
    if (rc == 0)
      break;
  }
  for (long n = 0; n < 50; n++) {
    int c[8] = {0};
    bs_txn_t *r = rtxn(f);
    fm_start(n);
    int rc = bs_pin_ls(r, BS_PIN_ALL, count_types, c);
    fm_reset();
    bs_txn_abort(r);
    assert_true(rc == 0 || rc == -ENOMEM);
    if (rc == 0) {
      assert_int_equal(c[BS_PIN_INDIRECT], 2);
      break;
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      bs_fixture_test(test_put_get_del),
      bs_fixture_test(test_v0_v1_share_storage),
      bs_fixture_test(test_identity_cid),
      bs_fixture_test(test_identity_view_lifetime),
      bs_fixture_test(test_bad_dagpb_not_stored),
      bs_fixture_test(test_too_big),
      bs_fixture_test(test_put_verified),
      bs_fixture_test(test_links_index),
      bs_fixture_test(test_links_added_when_raw_first),
      bs_fixture_test(test_regression_pin_indexes_nodes_stored_as_raw),
      bs_fixture_test(test_regression_callback_stop_value_kept),
      bs_fixture_test(test_pin_leaf_test_reads_header_only),
      bs_fixture_test(test_txn_release_views),
      bs_fixture_test(test_pin_incomplete),
      bs_fixture_test(test_pin_semantics),
      cmocka_unit_test(test_batch_and_map_growth),
      bs_fixture_test(test_batch_budget_counts_pages),
      bs_fixture_test(test_batch_cap_counts_large_values),
      bs_fixture_test(test_batch_reuses_freed_pages),
      cmocka_unit_test(test_read_txn_reuse),
      cmocka_unit_test(test_parallel_reads_and_growth),
      cmocka_unit_test(test_growth_waits_for_readers),
      bs_fixture_test(test_release_only_own_map),
      cmocka_unit_test(test_open_errors),
      bs_fixture_test(test_alloc_failures),
  };
  return cmocka_run_group_tests_name("blockstore", tests, NULL, NULL);
}

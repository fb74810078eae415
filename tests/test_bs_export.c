/*
 * test_bs_export.c — the resumable blockstore reads of blockstore/export.c:
 * the DAG walker (order, uniqueness, depth limit, a missing block), the
 * CARv1 exporter read back with the CAR reader in pieces of every small
 * size, each piece in its own read transaction (as the streaming gateway
 * uses it), and bs_foreach_from() continuing a listing across
 * transactions.
 */
#include "testutil.h"

#include "bs_fixture.h"
#include "../dag/car.h"
#include "../dag/dagpb.h"

typedef struct fx {
  char *dir;
  bs_env_t *env;
  dag_cid_t leaf[4], mid[2], root;
} fx_t;

static void put(fx_t *f, dag_cid_t *cid, int version, uint64_t codec,
                const void *data, size_t len) {
  assert_int_equal(dag_cid_sum(cid, version, codec, DAG_MH_SHA2_256, data, len), 0);
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(f->env, 0, &t), 0);
  assert_int_equal(bs_put(t, cid, data, len), 0);
  assert_int_equal(bs_txn_commit(t), 0);
}

/* A dag-pb node linking to the given CIDs. */
static void node(fx_t *f, dag_cid_t *out, const dag_cid_t *kids, size_t n) {
  dag_pb_link_t l[8];
  memset(l, 0, sizeof l);
  for (size_t i = 0; i < n; i++) {
    l[i].cid = kids[i];
    l[i].has_name = true;
    l[i].name = "x";
    l[i].name_len = 1;
    l[i].tsize = 10;
    l[i].has_tsize = true;
  }
  uint8_t buf[2048];
  static const uint8_t dir[] = {0x08, 0x01};
  int len = dag_pb_encode(l, n, dir, 2, true, buf, sizeof buf);
  assert_true(len > 0);
  put(f, out, 1, DAG_CODEC_DAG_PB, buf, (size_t)len);
}

/*        root
 *       /    \
 *     mid0   mid1
 *    / |  \    |  \
 *  l0 l1  l2  l1  l3        (l1 is shared; l3 is large) */
static int setup(void **state) {
  fx_t *f = calloc(1, sizeof *f);
  bs_fixture_open(&f->dir, &f->env);
  for (int i = 0; i < 3; i++) {
    char s[24];
    snprintf(s, sizeof s, "leaf-%d", i);
    put(f, &f->leaf[i], 1, DAG_CODEC_RAW, s, strlen(s));
  }
  size_t big = 700000;
  uint8_t *b = malloc(big);
  for (size_t i = 0; i < big; i++)
    b[i] = (uint8_t)(i * 7 + 3);
  put(f, &f->leaf[3], 1, DAG_CODEC_RAW, b, big);
  free(b);
  dag_cid_t k0[3] = {f->leaf[0], f->leaf[1], f->leaf[2]};
  dag_cid_t k1[2] = {f->leaf[1], f->leaf[3]};
  node(f, &f->mid[0], k0, 3);
  node(f, &f->mid[1], k1, 2);
  node(f, &f->root, f->mid, 2);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  bs_fixture_close(f->dir, f->env);
  free(f);
  return 0;
}

/* Walk with a fresh read transaction per step. */
static int walk_all(fx_t *f, unsigned flags, int max_depth, dag_cid_t *out,
                    int *depths, size_t cap, size_t *n) {
  bs_walk_t *w;
  assert_int_equal(bs_walk_new(&f->root, flags, max_depth, &w), 0);
  *n = 0;
  int rc;
  for (;;) {
    bs_txn_t *t;
    assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &t), 0);
    dag_cid_t c, parent;
    int d;
    rc = bs_walk_next(w, t, &c, &parent, &d);
    bs_txn_abort(t);
    if (rc <= 0) {
      if (rc == TR_ENOTFOUND)
        out[*n] = c;
      break;
    }
    assert_true(*n < cap);
    depths[*n] = d;
    out[(*n)++] = c;
  }
  bs_walk_free(w);
  return rc;
}

static void test_walk_order(void **state) {
  fx_t *f = *state;
  dag_cid_t got[16];
  int d[16];
  size_t n;
  /* Unique: pre-order, l1 only the first time. */
  assert_int_equal(walk_all(f, BS_WALK_UNIQUE, -1, got, d, 16, &n), 0);
  const dag_cid_t *want[] = {&f->root, &f->mid[0], &f->leaf[0], &f->leaf[1],
                             &f->leaf[2], &f->mid[1], &f->leaf[3]};
  static const int wd[] = {0, 1, 2, 2, 2, 1, 2};
  assert_int_equal(n, 7);
  for (size_t i = 0; i < n; i++) {
    assert_true(dag_cid_equal(&got[i], want[i]));
    assert_int_equal(d[i], wd[i]);
  }
  /* Every edge: l1 twice. */
  assert_int_equal(walk_all(f, 0, -1, got, d, 16, &n), 0);
  assert_int_equal(n, 8);
  assert_true(dag_cid_equal(&got[6], &f->leaf[1]));
  /* Depth limit 1: root and the two mids. */
  assert_int_equal(walk_all(f, 0, 1, got, d, 16, &n), 0);
  assert_int_equal(n, 3);
  assert_true(dag_cid_equal(&got[2], &f->mid[1]));
}

/* Everything the walk reports from root on, in one transaction. */
static size_t walk_on(fx_t *f, bs_walk_t *w, dag_cid_t *out, size_t cap) {
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &t), 0);
  size_t n = 0;
  dag_cid_t c;
  int rc;
  while ((rc = bs_walk_next(w, t, &c, NULL, NULL)) == 1) {
    assert_true(n < cap);
    out[n++] = c;
  }
  assert_int_equal(rc, 0);
  bs_txn_abort(t);
  return n;
}

/* One walker over several roots, as `refs -u A B` and `provide once -r`
 * use it: what an earlier root's walk reported is not walked again, but
 * each root is reported, and a root walked first is reported again where
 * a later root links to it (Kubo's refs writer). */
static void test_walk_restart(void **state) {
  fx_t *f = *state;
  dag_cid_t got[16];
  bs_walk_t *w;
  /* mid1 first: itself, l1, l3.  Then root: root, mid0, l0, l2 and mid1
   * again (it was a root, not a child), but not mid1's children. */
  assert_int_equal(bs_walk_new(&f->mid[1], BS_WALK_UNIQUE, -1, &w), 0);
  assert_int_equal(walk_on(f, w, got, 16), 3);
  bs_walk_restart(w, &f->root);
  size_t n = walk_on(f, w, got, 16);
  const dag_cid_t *want[] = {&f->root, &f->mid[0], &f->leaf[0], &f->leaf[2],
                             &f->mid[1]};
  assert_int_equal(n, 5);
  for (size_t i = 0; i < n; i++)
    assert_true(dag_cid_equal(&got[i], want[i]));
  /* root again: only itself, its children all seen. */
  bs_walk_restart(w, &f->root);
  assert_int_equal(walk_on(f, w, got, 16), 1);
  assert_true(dag_cid_equal(&got[0], &f->root));
  /* A restart mid-walk drops what was left of the walk before it. */
  bs_walk_free(w);
  assert_int_equal(bs_walk_new(&f->root, BS_WALK_UNIQUE, -1, &w), 0);
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &t), 0);
  for (int i = 0; i < 3; i++) /* root, mid0, l0 */
    assert_int_equal(bs_walk_next(w, t, &got[0], NULL, NULL), 1);
  bs_txn_abort(t);
  bs_walk_restart(w, &f->mid[1]);
  n = walk_on(f, w, got, 16);
  assert_int_equal(n, 3); /* mid1, l1, l3: l1 was not reached before */
  assert_true(dag_cid_equal(&got[2], &f->leaf[3]));
  bs_walk_free(w);
  /* Without UNIQUE a restart remembers nothing. */
  assert_int_equal(bs_walk_new(&f->root, 0, -1, &w), 0);
  assert_int_equal(walk_on(f, w, got, 16), 8);
  bs_walk_restart(w, &f->root);
  assert_int_equal(walk_on(f, w, got, 16), 8);
  bs_walk_free(w);
}

/* Export with pieces of size cap, each in its own transaction, and parse
 * the CAR back. */
static void export_check(fx_t *f, size_t cap) {
  bs_car_export_t *x;
  assert_int_equal(bs_car_export_new(&f->root, &x), 0);
  tr_bytes_t car = {0};
  uint8_t *buf = malloc(cap);
  for (;;) {
    bs_txn_t *t;
    assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &t), 0);
    int64_t n = bs_car_export_read(x, t, buf, cap);
    bs_txn_abort(t);
    assert_true(n >= 0);
    if (n == 0)
      break;
    assert_true((size_t)n <= cap);
    assert_int_equal(tr_bytes_append(&car, buf, (size_t)n), 0);
  }
  uint64_t blocks, bytes;
  bs_car_export_stats(x, &blocks, &bytes);
  assert_int_equal(blocks, 7);
  bs_car_export_free(x);
  free(buf);
  dag_car_reader_t r;
  dag_car_reader_init(&r, NULL);
  size_t off = 0, nb = 0;
  const dag_cid_t *want[] = {&f->root, &f->mid[0], &f->leaf[0], &f->leaf[1],
                             &f->leaf[2], &f->mid[1], &f->leaf[3]};
  for (;;) {
    dag_car_event_t ev;
    size_t used;
    int rc = dag_car_feed(&r, car.data + off, car.len - off, &used, &ev);
    assert_true(rc >= 0);
    off += used;
    if (rc == DAG_CAR_NEED_MORE)
      break;
    if (rc == DAG_CAR_ROOT)
      assert_true(dag_cid_equal(&ev.cid, &f->root));
    if (rc == DAG_CAR_BLOCK) {
      assert_true(nb < 7);
      assert_true(dag_cid_equal(&ev.cid, want[nb]));
      assert_int_equal(dag_cid_verify(&ev.cid, ev.block, ev.block_len), 0);
      nb++;
    }
  }
  assert_int_equal(dag_car_finish(&r), 0);
  assert_int_equal(nb, 7);
  dag_car_reader_free(&r);
  tr_bytes_free(&car);
}

static void test_car_export(void **state) {
  fx_t *f = *state;
  export_check(f, 1u << 20);
  export_check(f, 256u << 10);
  export_check(f, 4093);
  for (size_t cap = 60; cap < 200; cap += 17)
    export_check(f, cap);
  /* Smaller than the header on the first call. */
  bs_car_export_t *x;
  assert_int_equal(bs_car_export_new(&f->root, &x), 0);
  bs_txn_t *t;
  uint8_t small[8];
  assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &t), 0);
  assert_int_equal(bs_car_export_read(x, t, small, sizeof small), TR_EBUFSIZE);
  bs_txn_abort(t);
  bs_car_export_free(x);
}

/* A block removed from the middle of the DAG: the walk and the export
 * both stop with TR_ENOTFOUND and name it.  Runs last (it deletes). */
static void test_missing_block(void **state) {
  fx_t *f = *state;
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(f->env, 0, &t), 0);
  assert_int_equal(bs_del(t, &f->leaf[2]), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  dag_cid_t got[16];
  int d[16];
  size_t n;
  assert_int_equal(walk_all(f, BS_WALK_UNIQUE, -1, got, d, 16, &n),
                   TR_ENOTFOUND);
  assert_true(dag_cid_equal(&got[n], &f->leaf[2]));
  bs_car_export_t *x;
  assert_int_equal(bs_car_export_new(&f->root, &x), 0);
  uint8_t buf[4096];
  int64_t rc;
  assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &t), 0);
  while ((rc = bs_car_export_read(x, t, buf, sizeof buf)) > 0)
    ;
  bs_txn_abort(t);
  assert_int_equal(rc, TR_ENOTFOUND);
  assert_true(dag_cid_equal(bs_car_export_missing(x), &f->leaf[2]));
  bs_car_export_free(x);
}

/* A link to an identity CID: walked (its bytes are in the CID) but, as in
 * go-car and Kubo, not written to the CAR. */
static void test_identity_left_out(void **state) {
  fx_t *f = *state;
  dag_cid_t kids[2], id, top;
  kids[0] = f->leaf[0];
  assert_int_equal(dag_cid_sum(&id, 1, DAG_CODEC_RAW, DAG_MH_IDENTITY, "inline", 6), 0);
  kids[1] = id;
  node(f, &top, kids, 2);
  bs_car_export_t *x;
  assert_int_equal(bs_car_export_new(&top, &x), 0);
  uint8_t buf[4096];
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &t), 0);
  int64_t n = bs_car_export_read(x, t, buf, sizeof buf);
  assert_true(n > 0);
  assert_int_equal(bs_car_export_read(x, t, buf + n, sizeof buf - (size_t)n), 0);
  bs_txn_abort(t);
  uint64_t blocks;
  bs_car_export_stats(x, &blocks, NULL);
  assert_int_equal(blocks, 2); /* top and leaf 0 */
  bs_car_export_free(x);
  bs_walk_t *w;
  size_t seen = 0;
  dag_cid_t c;
  assert_int_equal(bs_walk_new(&top, BS_WALK_UNIQUE, -1, &w), 0);
  assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &t), 0);
  while (bs_walk_next(w, t, &c, NULL, NULL) == 1)
    seen++;
  bs_txn_abort(t);
  bs_walk_free(w);
  assert_int_equal(seen, 3);
}

typedef struct lst {
  dag_cid_t cids[32];
  size_t n, stop_after;
} lst_t;

static int collect(const dag_cid_t *cid, const uint8_t *d, size_t l, void *ud) {
  (void)d;
  (void)l;
  lst_t *s = ud;
  s->cids[s->n++] = *cid;
  return s->stop_after && s->n % s->stop_after == 0 ? 1 : 0;
}

static void test_foreach_from(void **state) {
  fx_t *f = *state;
  bs_txn_t *t;
  lst_t all = {0}, part = {.stop_after = 2};
  assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &t), 0);
  assert_int_equal(bs_foreach_from(t, NULL, 0, collect, &all), 0);
  bs_txn_abort(t);
  assert_int_equal(all.n, 7);
  /* Two at a time, each run in a new transaction from the last key. */
  for (;;) {
    size_t before = part.n;
    const uint8_t *mh = NULL;
    size_t mhl = 0;
    if (part.n)
      mh = dag_cid_mh(&part.cids[part.n - 1], &mhl);
    assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &t), 0);
    int rc = bs_foreach_from(t, mh, mhl, collect, &part);
    bs_txn_abort(t);
    assert_true(rc == 0 || rc == 1);
    if (part.n == before || rc == 0)
      break;
  }
  assert_int_equal(part.n, all.n);
  for (size_t i = 0; i < all.n; i++)
    assert_true(dag_cid_equal(&part.cids[i], &all.cids[i]));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_walk_order),
      cmocka_unit_test(test_walk_restart),
      cmocka_unit_test(test_car_export),
      cmocka_unit_test(test_foreach_from),
      cmocka_unit_test(test_identity_left_out),
      cmocka_unit_test(test_missing_block),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

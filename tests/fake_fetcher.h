/*
 * fake_fetcher.h — what the tests of fetching share (test_gw_fetch.c,
 * test_rpc_fetch.c): a source repo holding the content and an empty repo
 * for the service under test, a fake bs_fetcher_t (blockstore/fetch.h)
 * that "fetches" by copying blocks from the source after a 2 ms timer on
 * the server's loop (F_COPY; a BS_FETCH_DAG fetch copies every block under
 * the CID) or never answers (F_HANG), counting fetches, DAG fetches and
 * cancels; the content (a directory with a small file, a 3 MiB file of 48
 * leaves and a HAMT); a chunked-body decoder.  Include after
 * http_harness.h (the loop).  The test defines fresh_dst().
 */
#ifndef FAKE_FETCHER_H
#define FAKE_FETCHER_H

#include "../blockstore/fetch.h"
#include "../dag/importer.h"
/* ------------------------------------------------------ the two repos */

static char *src_dir, *dst_dir;
static bs_env_t *src, *dst;

static int put_src(const dag_cid_t *cid, const uint8_t *data, size_t len,
                   void *ud) {
  return bs_put(ud, cid, data, len);
}

/* Copy one block src -> dst; TR_ENOTFOUND when src lacks it too. */
static int copy_block(const dag_cid_t *cid) {
  bs_txn_t *t;
  const uint8_t *d;
  size_t n;
  if (bs_txn_begin(src, BS_RDONLY, &t))
    abort();
  int rc = bs_get(t, cid, &d, &n);
  uint8_t *copy = rc ? NULL : malloc(n + 1);
  if (copy)
    memcpy(copy, d, n);
  bs_txn_abort(t);
  if (rc)
    return rc;
  if (bs_txn_begin(dst, 0, &t) || bs_put(t, cid, copy, n) || bs_txn_commit(t))
    abort();
  free(copy);
  return 0;
}

/* A fresh, empty repo for the gateway (between tests: the loop is idle). */

/* ------------------------------------------------------ a fake fetcher */

enum { F_COPY, F_HANG };
static int f_mode;
static unsigned f_delay_ms = 2; /* F_COPY: how long a fetch takes */
static int f_fetches, f_cancels, f_done, f_dag;
static uint64_t f_next = 1;
static dag_cid_t f_root_hint;

typedef struct fake {
  uv_timer_t timer;
  uint64_t handle;
  dag_cid_t cid;
  unsigned flags;
  bs_fetch_done_cb done;
  void *arg;
  struct fake *next;
} fake_t;
static fake_t *f_list;

static void f_unlink(fake_t *f) {
  for (fake_t **p = &f_list; *p; p = &(*p)->next)
    if (*p == f) {
      *p = f->next;
      break;
    }
  uv_close((uv_handle_t *)&f->timer, (uv_close_cb)free);
}

static void f_fire(uv_timer_t *t) {
  fake_t *f = t->data;
  int rc = copy_block(&f->cid);
  if (rc == 0 && (f->flags & BS_FETCH_DAG)) {
    bs_txn_t *tx;
    if (bs_txn_begin(src, BS_RDONLY, &tx))
      abort();
    /* Collect first: one transaction per thread at a time. */
    dag_cid_t *v = malloc(65536 * sizeof *v);
    size_t n = 0;
    bs_walk_t *w;
    if (bs_walk_new(&f->cid, BS_WALK_UNIQUE, -1, &w))
      abort();
    dag_cid_t c;
    while (n < 65536 && bs_walk_next(w, tx, &c, NULL, NULL) == 1)
      v[n++] = c;
    bs_walk_free(w);
    bs_txn_abort(tx);
    for (size_t i = 0; i < n; i++)
      if (v[i].mh_code != DAG_MH_IDENTITY)
        copy_block(&v[i]);
    free(v);
  }
  bs_fetch_done_cb done = f->done;
  void *arg = f->arg;
  f_unlink(f);
  __atomic_add_fetch(&f_done, 1, __ATOMIC_SEQ_CST);
  done(arg, rc == 0 ? 0 : TR_ENOTFOUND);
}

static uint64_t f_fetch(void *ud, const dag_cid_t *cid, const dag_cid_t *root,
                        unsigned flags, bs_fetch_done_cb done, void *arg) {
  (void)ud;
  fake_t *f = calloc(1, sizeof *f);
  uv_timer_init(&loop, &f->timer);
  f->timer.data = f;
  f->handle = f_next++;
  f->cid = *cid;
  f->flags = flags;
  f->done = done;
  f->arg = arg;
  f->next = f_list;
  f_list = f;
  if (root)
    f_root_hint = *root;
  if (flags & BS_FETCH_DAG)
    __atomic_add_fetch(&f_dag, 1, __ATOMIC_SEQ_CST);
  __atomic_add_fetch(&f_fetches, 1, __ATOMIC_SEQ_CST);
  if (f_mode == F_COPY)
    uv_timer_start(&f->timer, f_fire, f_delay_ms, 0);
  return f->handle;
}

static void f_cancel(void *ud, uint64_t handle) {
  (void)ud;
  for (fake_t *f = f_list; f; f = f->next)
    if (f->handle == handle) {
      f_unlink(f);
      __atomic_add_fetch(&f_cancels, 1, __ATOMIC_SEQ_CST);
      return;
    }
  abort(); /* a handle that is not running: a cancel after done */
}

static const bs_fetcher_t FAKE = {f_fetch, f_cancel, NULL};

/* ------------------------------------------------------------ content */

#define BIG (3u << 20)
static uint8_t *big;
static dag_cid_t root, sub, small, bigf, hamt;
static char rs[DAG_CID_STR_MAX], subs[DAG_CID_STR_MAX], smalls[DAG_CID_STR_MAX],
    bigs[DAG_CID_STR_MAX], hamts[DAG_CID_STR_MAX];
#define HAMT_N 300

/* root/ { sub/ { small.txt, big.bin }, hamt/ (HAMT_N files) } */
static void make_content(void) {
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(src, 0, &t), 0);
  dag_import_opts_t o;
  assert_int_equal(dag_import_profile(&o, NULL), 0);
  o.chunker = "size-65536"; /* 48 leaves */
  dag_import_result_t r;
  assert_int_equal(dag_import_bytes(&o, "hello fetch\n", 12, put_src, t, &r), 0);
  small = r.cid;
  uint64_t small_ts = r.tsize;
  big = malloc(BIG);
  uint32_t x = 12345;
  for (size_t i = 0; i < BIG; i++) {
    x = x * 1103515245 + 12345;
    big[i] = (uint8_t)(x >> 16);
  }
  assert_int_equal(dag_import_bytes(&o, big, BIG, put_src, t, &r), 0);
  bigf = r.cid;
  uint64_t big_ts = r.tsize;
  dag_dir_t *d;
  assert_int_equal(dag_dir_new(&d, &o, put_src, t), 0);
  assert_int_equal(dag_dir_add(d, "small.txt", 9, &small, small_ts), 0);
  assert_int_equal(dag_dir_add(d, "big.bin", 7, &bigf, big_ts), 0);
  assert_int_equal(dag_dir_finish(d, &r), 0);
  sub = r.cid;
  uint64_t sub_ts = r.tsize;
  dag_import_opts_t ho = o;
  ho.hamt_threshold = 1000; /* a HAMT with a few levels of shards */
  ho.hamt_fanout = 16;
  dag_dir_t *h;
  assert_int_equal(dag_dir_new(&h, &ho, put_src, t), 0);
  for (int i = 0; i < HAMT_N; i++) {
    char name[32], body[32];
    int n = snprintf(body, sizeof body, "entry %d\n", i);
    assert_int_equal(dag_import_bytes(&o, body, (size_t)n, put_src, t, &r), 0);
    n = snprintf(name, sizeof name, "f%03d", i);
    assert_int_equal(dag_dir_add(h, name, (size_t)n, &r.cid, r.tsize), 0);
  }
  assert_int_equal(dag_dir_finish(h, &r), 0);
  hamt = r.cid;
  uint64_t hamt_ts = r.tsize;
  dag_dir_free(h);
  assert_int_equal(dag_dir_add(d, "sub", 3, &sub, sub_ts), 0);
  assert_int_equal(dag_dir_add(d, "hamt", 4, &hamt, hamt_ts), 0);
  assert_int_equal(dag_dir_finish(d, &r), 0);
  root = r.cid;
  dag_dir_free(d);
  assert_int_equal(bs_txn_commit(t), 0);
  dag_cid_str(&root, rs);
  dag_cid_str(&sub, subs);
  dag_cid_str(&small, smalls);
  dag_cid_str(&bigf, bigs);
  dag_cid_str(&hamt, hamts);
}

/* Decode a chunked body in place; false when it ends early. */
static bool dechunk(uint8_t *p, size_t n, size_t *out) {
  size_t i = 0, o = 0;
  for (;;) {
    char *end;
    if (i >= n)
      return *out = o, false;
    unsigned long k = strtoul((char *)p + i, &end, 16);
    char *crlf = memmem(p + i, n - i, "\r\n", 2);
    if (!crlf || end == (char *)p + i)
      return *out = o, false;
    i = (size_t)((uint8_t *)crlf - p) + 2;
    if (k == 0)
      return *out = o, true;
    if (i + k + 2 > n) {
      size_t have = n - i < k ? n - i : k;
      memmove(p + o, p + i, have);
      return *out = o + have, false;
    }
    memmove(p + o, p + i, k);
    o += k;
    i += k + 2;
  }
}
static int fetches(void) { return __atomic_load_n(&f_fetches, __ATOMIC_SEQ_CST); }
static int cancels(void) { return __atomic_load_n(&f_cancels, __ATOMIC_SEQ_CST); }
TH_UNUSED static int dag_fetches(void) { return __atomic_load_n(&f_dag, __ATOMIC_SEQ_CST); }

#endif /* FAKE_FETCHER_H */

/*
 * test_gw_fetch.c — the gateway serving content its repo lacks, through a
 * fake fetcher (blockstore/fetch.h) that "fetches" a block by copying it
 * from a second repo into the gateway's, a moment later, on the loop.  The
 * gateway runs on a real HTTP server (http_harness.h).  Covered: path
 * resolution through missing directories and a missing file root, a big
 * file whose every leaf is missing (each piece restarts at its missing
 * leaf; the bytes match the source), a Range in the middle, a raw block,
 * CARs (the bytes match the CAR served once everything is there, dups=n
 * and dups=y), a HAMT listing, the retrieval timeout (504 before the first
 * byte, a body cut short after), a client leaving while a fetch runs (the
 * fetch is cancelled) and the offline switches (NoFetch, no fetcher).
 */
#include "http_harness.h"

#include "../dag/importer.h"
#include "../gateway/gw_int.h"
#include "../rpc/rpc.h"

/* ------------------------------------------------------ the two repos */

static char *src_dir, *dst_dir;
static bs_env_t *src, *dst;
static gw_ctx_t gctx;

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
static void fresh_dst(void) {
  if (dst) {
    bs_close(dst);
    tmpdir_rm(dst_dir);
  }
  dst_dir = tmpdir_new();
  assert_int_equal(bs_open(&dst, dst_dir, BS_CREATE), 0);
  gctx.env = dst;
}

/* ------------------------------------------------------ a fake fetcher */

enum { F_COPY, F_HANG };
static int f_mode;
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
    uv_timer_start(&f->timer, f_fire, 2, 0);
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

/* ------------------------------------------------------------- client */

typedef struct resp {
  int status;
  char head[8192];
  uint8_t *body;
  size_t len;
  bool complete; /* the body is as long as it says (or the last chunk came) */
} resp_t;

static uint8_t *rbuf;
#define RBUF (16u << 20)

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

static void get(const char *path, const char *hdrs, resp_t *r) {
  int fd = dial_timeout(10);
  char head[4096];
  int n = snprintf(head, sizeof head,
                   "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n",
                   path, hdrs ? hdrs : "");
  send_all(fd, head, (size_t)n);
  size_t got = 0;
  for (;;) {
    ssize_t k = read(fd, rbuf + got, RBUF - 1 - got);
    if (k <= 0)
      break;
    got += (size_t)k;
  }
  close(fd);
  rbuf[got] = 0;
  memset(r, 0, sizeof *r);
  uint8_t *b = memmem(rbuf, got, "\r\n\r\n", 4);
  assert_non_null(b);
  size_t hl = (size_t)(b - rbuf);
  snprintf(r->head, sizeof r->head, "%.*s", (int)hl, (char *)rbuf);
  r->status = atoi(r->head + 9);
  r->body = b + 4;
  r->len = got - hl - 4;
  const char *cl = strcasestr(r->head, "\r\nContent-Length: ");
  if (strcasestr(r->head, "Transfer-Encoding: chunked"))
    r->complete = dechunk(r->body, r->len, &r->len);
  else
    r->complete = !cl || (size_t)atol(cl + 18) == r->len;
}

static int fetches(void) { return __atomic_load_n(&f_fetches, __ATOMIC_SEQ_CST); }
static int cancels(void) { return __atomic_load_n(&f_cancels, __ATOMIC_SEQ_CST); }

/* ------------------------------------------------------------- tests */

static int setup(void **st) {
  (void)st;
  src_dir = tmpdir_new();
  assert_int_equal(bs_open(&src, src_dir, BS_CREATE), 0);
  make_content();
  rbuf = malloc(RBUF);
  gctx = (gw_ctx_t){.loop = &loop, .version = "test", .fetcher = &FAKE,
                    .fetch_timeout_ms = 3000};
  fresh_dst();
  th_handler = gw_gateway_handle;
  th_handler_ud = &gctx;
  start(NULL);
  return 0;
}

static int teardown(void **st) {
  (void)st;
  stop(); /* every timer of the fake closed, every stream freed */
  assert_null(f_list);
  bs_close(dst);
  bs_close(src);
  tmpdir_rm(dst_dir);
  tmpdir_rm(src_dir);
  free(big);
  free(rbuf);
  return 0;
}

static int before(void **st) {
  (void)st;
  fresh_dst();
  f_mode = F_COPY;
  gctx.no_fetch = false;
  gctx.fetcher = &FAKE;
  gctx.fetch_timeout_ms = 3000;
  return 0;
}

/* Through a missing root directory, a missing subdirectory and a missing
 * file: one fetch each, each hinted with the URL's root. */
static void test_path_on_demand(void **st) {
  (void)st;
  int f0 = fetches();
  char path[512];
  snprintf(path, sizeof path, "/ipfs/%s/sub/small.txt", rs);
  resp_t r;
  get(path, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.len, 12);
  assert_memory_equal(r.body, "hello fetch\n", 12);
  assert_int_equal(fetches() - f0, 3);
  assert_true(dag_cid_equal(&f_root_hint, &root));
  /* Now local: no more fetches. */
  get(path, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(fetches() - f0, 3);
}

/* Every leaf of a 3 MiB file missing: the body is streamed as they come,
 * each piece going on from its missing leaf; the bytes are the source's. */
static void test_big_file(void **st) {
  (void)st;
  int f0 = fetches();
  char path[512];
  snprintf(path, sizeof path, "/ipfs/%s", bigs);
  resp_t r;
  get(path, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_true(r.complete);
  assert_int_equal(r.len, BIG);
  assert_memory_equal(r.body, big, BIG);
  assert_true(fetches() - f0 >= 49); /* the root and 48 leaves */
  assert_true(dag_cid_equal(&f_root_hint, &bigf));
}

static void test_range_middle(void **st) {
  (void)st;
  char path[512];
  snprintf(path, sizeof path, "/ipfs/%s/sub/big.bin", rs);
  resp_t r;
  get(path, "Range: bytes=1000000-1300000\r\n", &r);
  assert_int_equal(r.status, 206);
  assert_int_equal(r.len, 300001);
  assert_memory_equal(r.body, big + 1000000, 300001);
  assert_non_null(strstr(r.head, "Content-Range: bytes 1000000-1300000/3145728"));
  /* Two ranges, multipart: each part from its own leaves. */
  get(path, "Range: bytes=10-20,2000000-2000009\r\n", &r);
  assert_int_equal(r.status, 206);
  assert_true(r.complete);
  assert_non_null(memmem(r.body, r.len, big + 2000000, 10));
}

static void test_raw_block(void **st) {
  (void)st;
  int f0 = fetches();
  char path[512];
  snprintf(path, sizeof path, "/ipfs/%s?format=raw", smalls);
  resp_t r;
  get(path, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(fetches() - f0, 1);
  /* A raw leaf: the block is the bytes. */
  assert_int_equal(r.len, 12);
  assert_memory_equal(r.body, "hello fetch\n", 12);
}

/* A CAR made while fetching is byte for byte the one made from a full
 * repo (order, each block once; with dups=y, as often as linked). */
static void check_car(const char *q) {
  char path[512];
  snprintf(path, sizeof path, "/ipfs/%s/sub%s", rs, q);
  resp_t r;
  fresh_dst();
  int f0 = fetches();
  get(path, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_true(r.complete);
  assert_true(fetches() > f0);
  size_t n = r.len;
  uint8_t *a = malloc(n);
  memcpy(a, r.body, n);
  f0 = fetches();
  get(path, NULL, &r); /* everything is there now */
  assert_int_equal(fetches(), f0);
  assert_int_equal(r.len, n);
  assert_memory_equal(r.body, a, n);
  free(a);
}

static void test_car(void **st) {
  (void)st;
  check_car("?format=car");
  assert_true(fetches() > 0);
  check_car("?format=car&dups=y");
  check_car("?format=car&dag-scope=entity");
  check_car("/big.bin?format=car&dag-scope=entity&entity-bytes=100000:2500000");
  check_car("/big.bin?format=car&dups=y&dag-scope=entity&entity-bytes=0:*");
}

static void test_hamt_listing(void **st) {
  (void)st;
  char path[512];
  snprintf(path, sizeof path, "/ipfs/%s/hamt/", rs);
  resp_t r;
  get(path, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_true(r.complete);
  for (int i = 0; i < HAMT_N; i++) {
    char name[32];
    snprintf(name, sizeof name, ">f%03d</a>", i);
    assert_non_null(memmem(r.body, r.len, name, strlen(name)));
  }
  assert_non_null(memmem(r.body, r.len, "300 entries", 11));
}

/* Nothing comes: 504 at the deadline, the fetch cancelled.  A body that
 * has started is cut short instead. */
static void test_timeout(void **st) {
  (void)st;
  f_mode = F_HANG;
  gctx.fetch_timeout_ms = 200;
  int c0 = cancels();
  char path[512];
  snprintf(path, sizeof path, "/ipfs/%s/sub/small.txt", rs);
  resp_t r;
  get(path, NULL, &r);
  assert_int_equal(r.status, 504);
  assert_int_equal(cancels() - c0, 1);
  /* A listing waits for its first shard before its headers: 504 too. */
  f_mode = F_COPY;
  snprintf(path, sizeof path, "/ipfs/%s/", hamts);
  assert_int_equal(copy_block(&hamt), 0);
  f_mode = F_HANG;
  get(path, NULL, &r);
  assert_int_equal(r.status, 504);
  assert_int_equal(cancels() - c0, 2);
  /* The file's first bytes are here, the rest is not: 200, cut short. */
  f_mode = F_COPY;
  snprintf(path, sizeof path, "/ipfs/%s", bigs);
  get(path, "Range: bytes=0-10\r\n", &r);
  assert_int_equal(r.status, 206);
  f_mode = F_HANG;
  get(path, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_false(r.complete);
  assert_true(r.len < BIG);
  assert_int_equal(cancels() - c0, 3);
}

/* A client that leaves while its request waits for a block: the fetch is
 * cancelled, during path resolution and during a body. */
static void test_client_leaves(void **st) {
  (void)st;
  f_mode = F_HANG;
  gctx.fetch_timeout_ms = 10000;
  char path[512];
  for (int body = 0; body < 2; body++) {
    if (body) { /* the root and first leaf are here: the wait is in the body */
      snprintf(path, sizeof path, "/ipfs/%s", bigs);
      f_mode = F_COPY;
      resp_t r;
      get(path, "Range: bytes=0-10\r\n", &r);
      assert_int_equal(r.status, 206);
      f_mode = F_HANG;
    } else
      snprintf(path, sizeof path, "/ipfs/%s/sub/small.txt", rs);
    int c0 = cancels(), f0 = fetches();
    h2c_t c;
    h2c_open(&c, 65535, 5);
    int32_t id = h2c_get(&c, "GET", path);
    assert_int_equal(h2c_run_ms(&c, 1, 100), 1); /* nothing comes: it waits */
    assert_int_equal(fetches() - f0, 1);
    assert_int_equal(nghttp2_submit_rst_stream(c.s, NGHTTP2_FLAG_NONE, id,
                                               NGHTTP2_CANCEL), 0);
    assert_int_equal(h2c_flush(&c), 0);
    for (int i = 0; i < 200 && cancels() == c0; i++)
      usleep(5000);
    assert_int_equal(cancels() - c0, 1);
    h2c_close(&c);
  }
  assert_int_equal(wait_conns_zero(), 0);
}

/* Gateway.NoFetch, or no fetcher: today's answers, nothing asked. */
static void test_offline(void **st) {
  (void)st;
  char path[512];
  snprintf(path, sizeof path, "/ipfs/%s/sub/small.txt", rs);
  int f0 = fetches();
  resp_t r;
  gctx.no_fetch = true;
  get(path, NULL, &r);
  assert_int_equal(r.status, 504);
  assert_non_null(memmem(r.body, r.len, "not in this node's repo", 23));
  gctx.no_fetch = false;
  gctx.fetcher = NULL;
  get(path, NULL, &r);
  assert_int_equal(r.status, 504);
  assert_int_equal(fetches(), f0);
  /* A bad path is still 404 once what it needs is here. */
  gctx.fetcher = &FAKE;
  snprintf(path, sizeof path, "/ipfs/%s/sub/nope", rs);
  get(path, NULL, &r);
  assert_int_equal(r.status, 404);
}

/* The RPC API's cat: resolution and the body fetch too; offline=true and
 * a short timeout= answer as today. */
static void test_rpc_cat(void **st) {
  (void)st;
  rpc_ctx_t rctx = {.loop = &loop, .env = dst, .repo = dst_dir,
                    .version = "test", .fetcher = &FAKE,
                    .api_origins_read = true};
  th_handler = rpc_api_handle;
  th_handler_ud = &rctx;
  char head[1024];
  resp_t r;
  int fd;
  for (int mode = 0; mode < 3; mode++) {
    const char *q = mode == 0 ? "" : mode == 1 ? "&offline=true" : "&timeout=200ms";
    f_mode = mode == 2 ? F_HANG : F_COPY;
    int f0 = fetches();
    fd = dial_timeout(10);
    int n = snprintf(head, sizeof head,
                     "POST /api/v0/cat?arg=/ipfs/%s/sub/big.bin%s HTTP/1.1\r\n"
                     "Host: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                     rs, q);
    send_all(fd, head, (size_t)n);
    size_t got = 0;
    ssize_t k;
    while ((k = read(fd, rbuf + got, RBUF - 1 - got)) > 0)
      got += (size_t)k;
    close(fd);
    uint8_t *b = memmem(rbuf, got, "\r\n\r\n", 4);
    assert_non_null(b);
    r.status = atoi((char *)rbuf + 9);
    r.body = b + 4;
    r.len = got - (size_t)(b + 4 - rbuf);
    if (mode == 0) {
      assert_int_equal(r.status, 200);
      if (memmem(rbuf, (size_t)(b - rbuf), "chunked", 7))
        assert_true(dechunk(r.body, r.len, &r.len));
      assert_int_equal(r.len, BIG);
      assert_memory_equal(r.body, big, BIG);
      assert_true(fetches() - f0 >= 50);
      fresh_dst();
      rctx.env = dst;
    } else {
      assert_int_equal(r.status, 500);
      assert_int_equal(fetches() - f0, mode == 1 ? 0 : 1);
    }
  }
  th_handler = gw_gateway_handle;
  th_handler_ud = &gctx;
}

int main(void) {
  (void)dial, (void)recv_until;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_path_on_demand, before),
      cmocka_unit_test_setup(test_big_file, before),
      cmocka_unit_test_setup(test_range_middle, before),
      cmocka_unit_test_setup(test_raw_block, before),
      cmocka_unit_test_setup(test_car, before),
      cmocka_unit_test_setup(test_hamt_listing, before),
      cmocka_unit_test_setup(test_timeout, before),
      cmocka_unit_test_setup(test_client_leaves, before),
      cmocka_unit_test_setup(test_offline, before),
      cmocka_unit_test_setup(test_rpc_cat, before),
  };
  return cmocka_run_group_tests_name("gateway fetching", tests, setup, teardown);
}

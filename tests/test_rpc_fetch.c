/*
 * test_rpc_fetch.c — the RPC API's read commands on a repo that lacks the
 * content, through the fake fetcher of fake_fetcher.h (blocks copied from a
 * full repo after a timer), on a real HTTP server (http_harness.h).  Each
 * command's answer is compared byte for byte with the full repo's answer:
 * ls, block get/stat, refs (depth 1, -r, --unique, max-depth), dag export,
 * get (tar, mtimes aside), pin add (recursive: the DAG survives a repo gc;
 * several CIDs; direct: one block; --progress).  Then: offline=true gives
 * today's errors with no fetch, timeout= bounds the whole request (a
 * hanging fetcher, and a cat whose every wait is short but whose sum is
 * not), and a client leaving mid-fetch cancels the fetch.
 */
#include "http_harness.h"

#include "../rpc/rpc.h"

#include "fake_fetcher.h"

static rpc_ctx_t rctx;

static void fresh_dst(void) {
  if (dst) {
    bs_close(dst);
    tmpdir_rm(dst_dir);
  }
  dst_dir = tmpdir_new();
  assert_int_equal(bs_open(&dst, dst_dir, BS_CREATE), 0);
  rctx.env = dst;
  rctx.repo = dst_dir;
}

/* ------------------------------------------------------------- client */

typedef struct resp {
  int status;
  uint8_t *body; /* malloc'ed, NUL-terminated */
  size_t len;
  bool complete;
} resp_t;

static uint8_t *rbuf;
#define RBUF (16u << 20)

static void resp_free(resp_t *r) {
  free(r->body);
  r->body = NULL;
}

/* POST /api/v0/<q> and read the whole answer. */
static void api(const char *q, resp_t *r) {
  int fd = dial_timeout(30);
  char head[2048];
  int n = snprintf(head, sizeof head,
                   "POST /api/v0/%s HTTP/1.1\r\nHost: x\r\nConnection: "
                   "close\r\nContent-Length: 0\r\n\r\n", q);
  send_all(fd, head, (size_t)n);
  size_t got = 0;
  ssize_t k;
  while ((k = read(fd, rbuf + got, RBUF - 1 - got)) > 0)
    got += (size_t)k;
  close(fd);
  uint8_t *b = memmem(rbuf, got, "\r\n\r\n", 4);
  assert_non_null(b);
  r->status = atoi((char *)rbuf + 9);
  size_t hl = (size_t)(b - rbuf);
  size_t len = got - hl - 4;
  r->complete = true;
  if (memmem(rbuf, hl, "chunked", 7))
    r->complete = dechunk(b + 4, len, &len);
  r->body = malloc(len + 1);
  memcpy(r->body, b + 4, len);
  r->body[len] = 0;
  r->len = len;
}

/* The same request against the full repo, no fetcher. */
static void api_full(const char *q, resp_t *r) {
  bs_env_t *env = rctx.env;
  const bs_fetcher_t *f = rctx.fetcher;
  rctx.env = src;
  rctx.fetcher = NULL;
  api(q, r);
  rctx.env = env; /* not the whole struct: the API's state stays */
  rctx.fetcher = f;
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* On the empty repo, with fetching, q answers exactly as the full repo
 * does (and had to fetch); asked again, it fetches nothing. */
static void same_as_full(const char *q, int want_dag) {
  resp_t a, b;
  fresh_dst();
  int f0 = fetches(), d0 = dag_fetches();
  api(q, &a);
  assert_int_equal(a.status, 200);
  assert_true(a.complete);
  assert_true(fetches() > f0);
  if (want_dag >= 0)
    assert_int_equal(dag_fetches() - d0, want_dag);
  api_full(q, &b);
  assert_int_equal(b.status, 200);
  assert_int_equal(a.len, b.len);
  assert_memory_equal(a.body, b.body, a.len);
  resp_free(&b);
  f0 = fetches();
  api(q, &b);
  assert_int_equal(fetches(), f0);
  assert_int_equal(b.len, a.len);
  resp_free(&a);
  resp_free(&b);
}

/* ------------------------------------------------------------- tests */

static int setup(void **st) {
  (void)st;
  src_dir = tmpdir_new();
  assert_int_equal(bs_open(&src, src_dir, BS_CREATE), 0);
  make_content();
  rbuf = malloc(RBUF);
  rctx = (rpc_ctx_t){.loop = &loop, .version = "test", .fetcher = &FAKE,
                     .api_origins_read = true, .fetch_timeout_ms = 10000};
  fresh_dst();
  th_handler = rpc_api_handle;
  th_handler_ud = &rctx;
  start(NULL);
  return 0;
}

static int teardown(void **st) {
  (void)st;
  stop();
  rpc_ctx_fini(&rctx); /* the request log */
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
  f_delay_ms = 2;
  rctx.fetcher = &FAKE;
  rctx.fetch_timeout_ms = 10000;
  return 0;
}

static void test_ls(void **st) {
  (void)st;
  char q[1024];
  snprintf(q, sizeof q, "ls?arg=/ipfs/%s", rs);
  same_as_full(q, 0);
  snprintf(q, sizeof q, "ls?arg=/ipfs/%s/sub", rs);
  same_as_full(q, 0);
  snprintf(q, sizeof q, "ls?arg=/ipfs/%s/hamt&size=false", rs);
  same_as_full(q, 0);
}

static void test_block(void **st) {
  (void)st;
  char q[1024];
  snprintf(q, sizeof q, "block/get?arg=%s", subs);
  same_as_full(q, 0);
  snprintf(q, sizeof q, "block/stat?arg=/ipfs/%s/sub/big.bin", rs);
  same_as_full(q, 0);
  /* The block of a path: the path's blocks, then that one. */
  snprintf(q, sizeof q, "block/get?arg=/ipfs/%s/sub/small.txt", rs);
  fresh_dst();
  int f0 = fetches();
  resp_t r;
  api(q, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.len, 12);
  assert_memory_equal(r.body, "hello fetch\n", 12);
  assert_int_equal(fetches() - f0, 3);
  resp_free(&r);
}

static void test_refs(void **st) {
  (void)st;
  char q[1024];
  /* Depth 1 (the default): the root and its children, block by block. */
  snprintf(q, sizeof q, "refs?arg=%s", rs);
  same_as_full(q, 0);
  /* -r: the whole DAG in one fetch. */
  snprintf(q, sizeof q, "refs?arg=%s&recursive=true", rs);
  same_as_full(q, 1);
  snprintf(q, sizeof q, "refs?arg=%s&recursive=true&unique=true", rs);
  same_as_full(q, 1);
  snprintf(q, sizeof q, "refs?arg=/ipfs/%s/sub&recursive=true&max-depth=2&"
           "edges=true", rs);
  same_as_full(q, 0);
}

static void test_dag_export(void **st) {
  (void)st;
  char q[1024];
  snprintf(q, sizeof q, "dag/export?arg=%s", rs);
  same_as_full(q, 1);
  snprintf(q, sizeof q, "dag/export?arg=%s", bigs);
  same_as_full(q, 1);
}

/* Zero every header's mtime and checksum: entries without an mtime get
 * the time of the request. */
static void tar_normalise(uint8_t *p, size_t n) {
  size_t off = 0;
  while (off + 512 <= n) {
    uint8_t *h = p + off;
    bool zero = true;
    for (int i = 0; i < 512 && zero; i++)
      zero = h[i] == 0;
    if (zero)
      break;
    uint64_t size = strtoull((char *)h + 124, NULL, 8);
    memset(h + 136, 0, 12);
    memset(h + 148, 0, 8);
    off += 512 + (size + 511) / 512 * 512;
  }
}

static void test_get(void **st) {
  (void)st;
  char q[1024];
  snprintf(q, sizeof q, "get?arg=/ipfs/%s/sub", rs);
  resp_t a, b;
  int d0 = dag_fetches();
  api(q, &a);
  assert_int_equal(a.status, 200);
  assert_true(a.complete);
  assert_int_equal(dag_fetches() - d0, 1);
  api_full(q, &b);
  assert_int_equal(a.len, b.len);
  assert_true(a.len > BIG);
  tar_normalise(a.body, a.len);
  tar_normalise(b.body, b.len);
  assert_memory_equal(a.body, b.body, a.len);
  assert_non_null(memmem(a.body, a.len, big, BIG));
  resp_free(&a);
  resp_free(&b);
}

/* Every block under root is in dst. */
static void assert_dag_local(const dag_cid_t *r) {
  bs_txn_t *t;
  bs_walk_t *w;
  assert_int_equal(bs_txn_begin(dst, BS_RDONLY, &t), 0);
  assert_int_equal(bs_walk_new(r, BS_WALK_UNIQUE, -1, &w), 0);
  dag_cid_t c;
  int rc, n = 0;
  while ((rc = bs_walk_next(w, t, &c, NULL, NULL)) == 1)
    n++;
  assert_int_equal(rc, 0);
  assert_true(n > 1);
  bs_walk_free(w);
  bs_txn_abort(t);
}

static void test_pin_add(void **st) {
  (void)st;
  char q[1024];
  resp_t r;
  int d0 = dag_fetches();
  snprintf(q, sizeof q, "pin/add?arg=/ipfs/%s/sub", rs);
  api(q, &r);
  assert_int_equal(r.status, 200);
  char want[1024];
  snprintf(want, sizeof want, "{\"Pins\":[\"%s\"]}\n", subs);
  assert_string_equal((char *)r.body, want);
  assert_int_equal(dag_fetches() - d0, 1);
  resp_free(&r);
  /* The pin holds: GC takes the path's root block, not the DAG. */
  api("repo/gc", &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr((char *)r.body, "\"Key\"")); /* the root went */
  resp_free(&r);
  assert_dag_local(&sub);
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(dst, BS_RDONLY, &t), 0);
  assert_int_equal(bs_has(t, &root), 0);
  bs_pin_t pin;
  assert_int_equal(bs_pin_get(t, &sub, BS_PIN_RECURSIVE, &pin), 1);
  bs_txn_abort(t);

  /* Several at once; one fetch per DAG. */
  fresh_dst();
  d0 = dag_fetches();
  snprintf(q, sizeof q, "pin/add?arg=%s&arg=%s", smalls, hamts);
  api(q, &r);
  assert_int_equal(r.status, 200);
  snprintf(want, sizeof want, "{\"Pins\":[\"%s\",\"%s\"]}\n", smalls, hamts);
  assert_string_equal((char *)r.body, want);
  assert_int_equal(dag_fetches() - d0, 2);
  resp_free(&r);
  assert_dag_local(&hamt);

  /* Direct: the block alone. */
  fresh_dst();
  d0 = dag_fetches();
  int f0 = fetches();
  snprintf(q, sizeof q, "pin/add?arg=%s&recursive=false", bigs);
  api(q, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(dag_fetches(), d0);
  assert_int_equal(fetches() - f0, 1);
  resp_free(&r);
  assert_int_equal(bs_txn_begin(dst, BS_RDONLY, &t), 0);
  assert_int_equal(bs_pin_get(t, &bigf, BS_PIN_DIRECT, &pin), 1);
  bs_txn_abort(t);
}

/* --progress: NDJSON, {"Progress":N} lines while the DAG comes (the
 * blocks the store gained), the result last. */
static void test_pin_progress(void **st) {
  (void)st;
  f_delay_ms = 1200; /* two ticks at least */
  char q[1024];
  resp_t r;
  snprintf(q, sizeof q, "pin/add?arg=%s&progress=true", subs);
  api(q, &r);
  assert_int_equal(r.status, 200);
  char *last = strrchr((char *)r.body, '{');
  char want[1024];
  snprintf(want, sizeof want, "{\"Pins\":[\"%s\"]}\n", subs);
  assert_string_equal(last, want);
  assert_non_null(strstr((char *)r.body, "{\"Progress\":0}\n"));
  /* The final count: every block of sub (root, small, big's root and its
   * 48 leaves). */
  assert_non_null(strstr((char *)r.body, "{\"Progress\":51}\n"));
  resp_free(&r);
}

/* offline=true: today's answers, and nothing asked of the fetcher. */
static void test_offline(void **st) {
  (void)st;
  const char *qs[] = {"ls?arg=%s",          "block/get?arg=%s",
                      "block/stat?arg=%s",  "dag/export?arg=%s",
                      "get?arg=%s",         "pin/add?arg=%s",
                      "cat?arg=%s"};
  int f0 = fetches();
  for (size_t i = 0; i < TR_ARRAY_LEN(qs); i++) {
    char q[1024], q2[1200];
    snprintf(q, sizeof q, qs[i], subs);
    snprintf(q2, sizeof q2, "%s&offline=true", q);
    resp_t a, b;
    api(q2, &a);
    assert_int_equal(a.status, 500);
    /* The same as a node without a fetcher. */
    rctx.fetcher = NULL;
    api(q, &b);
    rctx.fetcher = &FAKE;
    assert_int_equal(b.status, 500);
    assert_string_equal((char *)a.body, (char *)b.body);
    resp_free(&a);
    resp_free(&b);
  }
  /* refs reports the missing block in an Err line, as ever. */
  char q[1024];
  resp_t r;
  snprintf(q, sizeof q, "refs?arg=%s&recursive=true&offline=true", subs);
  api(q, &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr((char *)r.body, "could not find"));
  resp_free(&r);
  assert_int_equal(fetches(), f0);
}

/* A fetcher that never answers: each command fails by its timeout= and
 * cancels its fetch; the whole request, not each wait, is bounded. */
static void test_timeout(void **st) {
  (void)st;
  f_mode = F_HANG;
  const char *qs[] = {"ls?arg=%s",         "block/get?arg=%s",
                      "refs?arg=%s&recursive=true", "dag/export?arg=%s",
                      "get?arg=%s",        "pin/add?arg=%s"};
  for (size_t i = 0; i < TR_ARRAY_LEN(qs); i++) {
    char q[1024], q2[1200];
    snprintf(q, sizeof q, qs[i], subs);
    snprintf(q2, sizeof q2, "%s&timeout=300ms", q);
    int c0 = cancels();
    uint64_t t0 = now_ms();
    resp_t r;
    api(q2, &r);
    /* Well under the ctx's 10 s: the request's own deadline held. */
    assert_true(now_ms() - t0 < 5000);
    assert_int_equal(r.status, 500);
    assert_non_null(strstr((char *)r.body, "deadline exceeded"));
    assert_int_equal(cancels() - c0, 1);
    resp_free(&r);
  }
  /* cat of 49 missing blocks at 100 ms each with timeout=1s: no single
   * wait is long, the sum is; the body is cut short near the deadline. */
  f_mode = F_COPY;
  f_delay_ms = 100;
  char q[1024];
  snprintf(q, sizeof q, "cat?arg=%s&timeout=1s", bigs);
  uint64_t t0 = now_ms();
  resp_t r;
  api(q, &r);
  assert_true(now_ms() - t0 < 4000);
  assert_int_equal(r.status, 200);
  assert_true(r.len < BIG);
  resp_free(&r);
  /* And a job that fetches block after block (ls of a directory whose
   * children are all missing) stops at the deadline too. */
  fresh_dst();
  f_delay_ms = 400;
  snprintf(q, sizeof q, "ls?arg=%s&timeout=1s", hamts);
  t0 = now_ms();
  api(q, &r);
  assert_true(now_ms() - t0 < 4000);
  assert_int_equal(r.status, 500);
  resp_free(&r);
}

/* A client that leaves while its request waits: the fetch is cancelled
 * (a job's block fetch, a DAG fetch before a stream, a pin's). */
static void test_client_leaves(void **st) {
  (void)st;
  f_mode = F_HANG;
  const char *qs[] = {"block/get?arg=%s", "dag/export?arg=%s",
                      "pin/add?arg=%s"};
  for (size_t i = 0; i < TR_ARRAY_LEN(qs); i++) {
    /* HTTP/2: an HTTP/1.1 server stops reading once a request is in, so
     * only a stream reset tells it the client has gone. */
    char q[1024], path[1100];
    snprintf(q, sizeof q, qs[i], subs);
    snprintf(path, sizeof path, "/api/v0/%s", q);
    int c0 = cancels(), f0 = fetches();
    h2c_t c;
    h2c_open(&c, 65535, 5);
    int32_t id = h2c_get(&c, "POST", path);
    assert_int_equal(h2c_run_ms(&c, 1, 100), 1); /* nothing comes: it waits */
    assert_int_equal(fetches() - f0, 1);
    assert_int_equal(nghttp2_submit_rst_stream(c.s, NGHTTP2_FLAG_NONE, id,
                                               NGHTTP2_CANCEL), 0);
    assert_int_equal(h2c_flush(&c), 0);
    for (int k = 0; k < 400 && cancels() == c0; k++)
      usleep(5000);
    assert_int_equal(cancels() - c0, 1);
    h2c_close(&c);
  }
  assert_int_equal(wait_conns_zero(), 0);
  /* The pin's gc lock went with it: a GC runs. */
  resp_t r;
  api("repo/gc", &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
}

int main(void) {
  (void)dial, (void)recv_until;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_ls, before),
      cmocka_unit_test_setup(test_block, before),
      cmocka_unit_test_setup(test_refs, before),
      cmocka_unit_test_setup(test_dag_export, before),
      cmocka_unit_test_setup(test_get, before),
      cmocka_unit_test_setup(test_pin_add, before),
      cmocka_unit_test_setup(test_pin_progress, before),
      cmocka_unit_test_setup(test_offline, before),
      cmocka_unit_test_setup(test_timeout, before),
      cmocka_unit_test_setup(test_client_leaves, before),
  };
  return cmocka_run_group_tests_name("rpc fetching", tests, setup, teardown);
}

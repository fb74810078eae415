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
 * fetch is cancelled), Gateway.MaxRequestDuration and
 * MaxConcurrentRequests, and the offline switches (NoFetch, no fetcher).
 */
#include "http_harness.h"

#include "../dag/importer.h"
#include "../gateway/gw_int.h"
#include "../rpc/rpc.h"

#include "fake_fetcher.h"

static gw_ctx_t gctx;

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
  gctx.max_request_ms = 0;
  gctx.limit = NULL;
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

/* A directory inlined in an identity CID whose index.html is another:
 * nothing to fetch, and the directory's node, read for its stat and again
 * to resolve index.html, lives in the CID (the budget's last-read memo
 * must not keep a pointer into a CID that is gone: ASan saw it). */
static void test_identity_index(void **st) {
  (void)st;
  int f0 = fetches();
  resp_t r;
  get("/ipfs/bafyaamyscifaoakvaabwq2ikcicwcltupb2bqaysdefasakvaacty4b6pafb"
      "ectjnzsgk6bonb2g23ayaufaecab/", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.len, 5);
  assert_memory_equal(r.body, "<p>x\n", 5);
  assert_int_equal(fetches() - f0, 0);
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

/* Gateway.MaxRequestDuration: a request still waiting at its deadline
 * is a 504 (its CORS and path headers kept, the connection closed) and
 * its fetch is cancelled, though the retrieval timeout is far off; a body
 * under way at the deadline is cut short. */
static void test_max_request_duration(void **st) {
  (void)st;
  f_mode = F_HANG;
  gctx.fetch_timeout_ms = 30000;
  gctx.max_request_ms = 300;
  int c0 = cancels();
  char path[512];
  snprintf(path, sizeof path, "/ipfs/%s/sub/small.txt", rs);
  resp_t r;
  uint64_t t0 = uv_hrtime();
  get(path, NULL, &r);
  uint64_t ms = (uv_hrtime() - t0) / 1000000;
  assert_int_equal(r.status, 504);
  assert_true(ms >= 290 && ms < 5000);
  assert_true(r.complete);
  assert_non_null(memmem(r.body, r.len, "Gateway.MaxRequestDuration", 26));
  assert_non_null(strstr(r.head, "\r\nConnection: close"));
  assert_non_null(strstr(r.head, "\r\nAccess-Control-Allow-Origin: *"));
  assert_non_null(strstr(r.head, "\r\nIpfs-Uri: ipfs://"));
  for (int i = 0; i < 200 && cancels() == c0; i++)
    usleep(5000);
  assert_int_equal(cancels() - c0, 1);
  /* The root and first leaf are here; each other leaf comes 40 ms after
   * it is asked for: 47 of them take longer than the deadline. */
  snprintf(path, sizeof path, "/ipfs/%s", bigs);
  f_mode = F_COPY;
  get(path, "Range: bytes=0-10\r\n", &r);
  assert_int_equal(r.status, 206);
  unsigned d0 = f_delay_ms;
  f_delay_ms = 40;
  get(path, NULL, &r);
  f_delay_ms = d0;
  assert_int_equal(r.status, 200);
  assert_false(r.complete);
  assert_true(r.len < BIG);
  /* Fast answers are untouched. */
  gctx.max_request_ms = 0;
  get(path, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_true(r.complete);
  assert_int_equal(wait_conns_zero(), 0);
}

/* Gateway.MaxConcurrentRequests: with one slot taken by a request that
 * waits, the next gets boxo's 429 (Retry-After: 60, Cache-Control:
 * no-store, the CORS headers); the slot comes back when the first ends,
 * by its client leaving here. */
static void test_max_concurrent(void **st) {
  (void)st;
  gw_limit_t lim = {.max = 1};
  gctx.limit = &lim;
  f_mode = F_HANG;
  gctx.fetch_timeout_ms = 30000;
  char path[512];
  snprintf(path, sizeof path, "/ipfs/%s/sub/small.txt", rs);
  int f0 = fetches(), c0 = cancels();
  int fd = dial_timeout(10);
  char head[700];
  int n = snprintf(head, sizeof head, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n",
                   path);
  send_all(fd, head, (size_t)n);
  for (int i = 0; i < 200 && fetches() == f0; i++)
    usleep(5000);
  assert_int_equal(fetches() - f0, 1);
  assert_int_equal(__atomic_load_n(&lim.inflight, __ATOMIC_RELAXED), 1);
  resp_t r;
  get("/ipfs/bafkqaaa", NULL, &r);
  assert_int_equal(r.status, 429);
  assert_non_null(strstr(r.head, "\r\nRetry-After: 60\r\n"));
  assert_non_null(strstr(r.head, "\r\nCache-Control: no-store\r\n"));
  assert_non_null(strstr(r.head, "\r\nAccess-Control-Allow-Origin: *"));
  assert_int_equal(r.len, 50);
  assert_memory_equal(r.body,
                      "Too many requests. Please retry after 60 seconds.\n",
                      50);
  /* Refused, it did not keep a slot. */
  assert_int_equal(__atomic_load_n(&lim.inflight, __ATOMIC_RELAXED), 1);
  close(fd);
  for (int i = 0; i < 200 && cancels() == c0; i++)
    usleep(5000);
  assert_int_equal(cancels() - c0, 1);
  for (int i = 0; i < 200 && __atomic_load_n(&lim.inflight, __ATOMIC_RELAXED);
       i++)
    usleep(5000);
  assert_int_equal(__atomic_load_n(&lim.inflight, __ATOMIC_RELAXED), 0);
  get("/ipfs/bafkqaaa", NULL, &r);
  assert_int_equal(r.status, 200);
  /* Ended by a 504 (the retrieval timeout), a slot is given back too. */
  gctx.fetch_timeout_ms = 100;
  get(path, NULL, &r);
  assert_int_equal(r.status, 504);
  assert_int_equal(__atomic_load_n(&lim.inflight, __ATOMIC_RELAXED), 0);
  gctx.limit = NULL;
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
  rpc_ctx_fini(&rctx); /* the request log */
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
      cmocka_unit_test_setup(test_identity_index, before),
      cmocka_unit_test_setup(test_car, before),
      cmocka_unit_test_setup(test_hamt_listing, before),
      cmocka_unit_test_setup(test_timeout, before),
      cmocka_unit_test_setup(test_client_leaves, before),
      cmocka_unit_test_setup(test_max_request_duration, before),
      cmocka_unit_test_setup(test_max_concurrent, before),
      cmocka_unit_test_setup(test_offline, before),
      cmocka_unit_test_setup(test_rpc_cat, before),
  };
  return cmocka_run_group_tests_name("gateway fetching", tests, setup, teardown);
}

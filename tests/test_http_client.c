/*
 * test_http_client.c — the HTTP client (http/client.h) against real
 * sockets on 127.0.0.1, everything on one loop: trove's own HTTP server
 * (http/http.h) with a few routes for the honest cases, and raw libuv
 * servers (http_rawsrv.h) for what an honest server never does (stall,
 * send garbage, a huge head, both framings, close a pooled connection
 * under a request, stream until its writes block).  Each test counts callbacks,
 * then frees the client, stops the servers, runs the loop dry and checks
 * that uv_loop_close finds every handle closed (ASan checks the memory).
 */
#include "testutil.h"

#include "../http/client.h"
#include "http_rawsrv.h"

/* ------------------------------------------------------------- harness */

static uv_loop_t loop;
static uv_timer_t guard;
static bool guard_fired;
static http_client_t *cl;

static void on_guard(uv_timer_t *t) {
  (void)t;
  guard_fired = true;
}

/* Run the loop until cond holds; a 10 s guard keeps a bug from hanging the
 * test (it fails the assertion after the loop instead). */
#define RUN_UNTIL(cond)                                                        \
  do {                                                                         \
    uv_timer_start(&guard, on_guard, 10000, 0);                                \
    while (!(cond) && !guard_fired)                                            \
      uv_run(&loop, UV_RUN_ONCE);                                              \
    uv_timer_stop(&guard);                                                     \
    assert_false(guard_fired);                                                 \
  } while (0)

static void setup_loop(const http_client_opts_t *o) {
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_timer_init(&loop, &guard), 0);
  guard_fired = false;
  assert_int_equal(http_client_new(&loop, o, &cl), 0);
}

/* ---------------------------------------------------- a request's tally */

typedef struct got {
  int heads, dones, status, done_status, bodies_after_end;
  size_t body;
  char buf[4096];
  size_t buflen;
  const char *ctype;
  char ctype_buf[64];
  http_creq_t *req;
  size_t cancel_after;  /* cancel from on_body once this many bytes came */
  size_t pause_after;   /* pause from on_body once this many bytes came */
  bool ended;           /* cancelled or paused: no on_body may follow */
  bool then_get;        /* on_done starts another GET of next_url */
  const char *next_url;
  struct got *next;
} got_t;

static int g_on_head(http_creq_t *req, int status, const http_header_t *h,
                     size_t nh, void *ud) {
  got_t *g = ud;
  assert_ptr_equal(req, g->req);
  assert_int_equal(g->dones, 0);
  g->heads++;
  g->status = status;
  const char *ct = http_client_header(h, nh, "content-type");
  if (ct) {
    snprintf(g->ctype_buf, sizeof g->ctype_buf, "%s", ct);
    g->ctype = g->ctype_buf;
  }
  return 0;
}

static int g_on_body(http_creq_t *req, const uint8_t *p, size_t n, void *ud) {
  got_t *g = ud;
  (void)req;
  assert_int_equal(g->dones, 0);
  assert_int_equal(g->heads, 1);
  if (g->ended)
    g->bodies_after_end++;
  size_t room = sizeof g->buf - 1 - g->buflen;
  memcpy(g->buf + g->buflen, p, n < room ? n : room);
  g->buflen += n < room ? n : room;
  g->buf[g->buflen] = 0;
  g->body += n;
  if (g->cancel_after && g->body >= g->cancel_after && !g->ended) {
    g->ended = true;
    http_creq_cancel(req);
  }
  if (g->pause_after && g->body >= g->pause_after && !g->ended) {
    g->ended = true;
    http_creq_pause(req);
  }
  return 0;
}

static const http_client_cbs_t g_cbs;

static void g_on_done(http_creq_t *req, int status, void *ud) {
  got_t *g = ud;
  assert_ptr_equal(req, g->req);
  g->dones++;
  g->done_status = status;
  if (g->then_get && g->next) {
    g->next->req = NULL;
    assert_int_equal(http_client_get(cl, g->next_url, NULL, 0, &g_cbs,
                                     g->next, &g->next->req),
                     0);
  }
}

static const http_client_cbs_t g_cbs = {g_on_head, g_on_body, g_on_done};

static void get(const char *url, got_t *g) {
  assert_int_equal(http_client_get(cl, url, NULL, 0, &g_cbs, g, &g->req), 0);
}

/* ------------------------------------------------ trove's server, routes */

static http_server_t *srv;
static int srv_port;

typedef struct echo {
  size_t n;
  char buf[256];
} echo_t;

static void echo_data(http_req_t *r, const uint8_t *p, size_t n, void *ud) {
  (void)r;
  echo_t *e = ud;
  size_t room = sizeof e->buf - 1 - e->n;
  memcpy(e->buf + e->n, p, n < room ? n : room);
  e->n += n < room ? n : room;
}

static void echo_end(http_req_t *r, int status, void *ud) {
  echo_t *e = ud;
  char out[400];
  int n = snprintf(out, sizeof out, "got %zu %d %s", e->n, status, e->buf);
  free(e);
  http_res_simple(r, 200, "text/plain", out, (size_t)n);
}

static void handler(http_req_t *r, void *ud) {
  (void)ud;
  const char *path = http_req_path(r);
  if (!strcmp(path, "/hello")) {
    http_res_simple(r, 200, "text/plain", "hello", 5);
  } else if (!strcmp(path, "/chunked")) {
    http_res_start(r, 200, NULL, 0, -1);
    http_res_write(r, "abc", 3);
    http_res_write(r, "defgh", 5);
    http_res_end(r);
  } else if (!strcmp(path, "/echo")) {
    echo_t *e = calloc(1, sizeof *e);
    http_req_body(r, echo_data, echo_end, e);
  } else if (!strcmp(path, "/big")) {
    size_t n = (size_t)atol(http_req_query(r));
    char *b = malloc(n);
    memset(b, 'b', n);
    http_res_simple(r, 200, "application/octet-stream", b, n);
    free(b);
  } else if (!strcmp(path, "/bigchunked")) {
    size_t n = (size_t)atol(http_req_query(r));
    char piece[1024];
    memset(piece, 'c', sizeof piece);
    http_res_start(r, 200, NULL, 0, -1);
    for (size_t i = 0; i < n; i += sizeof piece)
      http_res_write(r, piece, sizeof piece);
    http_res_end(r);
  } else {
    http_res_simple(r, 404, "text/plain", "nope", 4);
  }
}

static void srv_start(void) {
  assert_int_equal(
      http_server_start(&loop, "127.0.0.1", 0, NULL, handler, NULL, &srv), 0);
  srv_port = http_server_port(srv);
}

static void url(char *buf, size_t n, int port, const char *path) {
  snprintf(buf, n, "http://127.0.0.1:%d%s", port, path);
}

/* Free the client (if the test did not), stop what runs, run the loop dry
 * and check that every handle closed. */
static void teardown(rawsrv_t *raw) {
  http_client_free(cl);
  cl = NULL;
  if (raw)
    raw_stop(raw);
  if (srv)
    http_server_stop(srv, NULL, NULL);
  srv = NULL;
  uv_close((uv_handle_t *)&guard, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* ----------------------------------------------------------------- tests */

/* Content-Length and chunked bodies from trove's server, a POST body, a
 * HEAD, and keep-alive with a per-host limit of 2: six requests, two
 * connections, all answered. */
static void test_bodies_from_trove_server(void **state) {
  (void)state;
  http_client_opts_t o;
  http_client_opts_default(&o);
  o.max_conns_per_host = 2;
  setup_loop(&o);
  srv_start();
  char u[128];
  got_t g[6] = {0};
  url(u, sizeof u, srv_port, "/hello");
  get(u, &g[0]);
  url(u, sizeof u, srv_port, "/chunked");
  get(u, &g[1]);
  url(u, sizeof u, srv_port, "/missing");
  get(u, &g[2]);
  url(u, sizeof u, srv_port, "/echo");
  http_header_t h[] = {{"Content-Type", "text/plain"}, {"X-Why", "test"}};
  assert_int_equal(http_client_request(cl, "POST", u, h, 2, "pinning", 7,
                                       &g_cbs, &g[3], &g[3].req),
                   0);
  url(u, sizeof u, srv_port, "/hello");
  assert_int_equal(http_client_request(cl, "HEAD", u, NULL, 0, NULL, 0,
                                       &g_cbs, &g[4], &g[4].req),
                   0);
  url(u, sizeof u, srv_port, "/bigchunked?300000");
  get(u, &g[5]);
  http_client_stats_t st;
  http_client_stats(cl, &st);
  assert_int_equal(st.queued, 4); /* two connections, one request each */
  RUN_UNTIL(g[0].dones + g[1].dones + g[2].dones + g[3].dones + g[4].dones +
                g[5].dones == 6);
  for (int i = 0; i < 6; i++) {
    assert_int_equal(g[i].done_status, 0);
    assert_int_equal(g[i].heads, 1);
    assert_int_equal(g[i].dones, 1);
  }
  assert_int_equal(g[0].status, 200);
  assert_string_equal(g[0].buf, "hello");
  assert_string_equal(g[0].ctype, "text/plain");
  assert_string_equal(g[1].buf, "abcdefgh");
  assert_int_equal(g[2].status, 404);
  assert_string_equal(g[3].buf, "got 7 0 pinning");
  assert_int_equal(g[4].status, 200);
  assert_int_equal(g[4].body, 0); /* HEAD: no body, connection reusable */
  assert_int_equal(g[5].body, 300032);
  http_client_stats(cl, &st);
  assert_int_equal(st.conns_opened, 2);
  assert_int_equal(st.reqs_reused, 4);
  assert_int_equal(st.conns_idle, 2);
  teardown(NULL);
}

/* The second request reuses the pooled connection: one accept. */
static void test_keepalive_reuse(void **state) {
  (void)state;
  setup_loop(NULL);
  rawsrv_t s;
  raw_start(&loop, &s, RAW_CL);
  char u[128];
  url(u, sizeof u, s.port, "/a");
  got_t a = {0}, b = {0};
  a.then_get = true;
  a.next = &b;
  a.next_url = u;
  get(u, &a);
  RUN_UNTIL(b.dones == 1);
  assert_int_equal(a.done_status, 0);
  assert_int_equal(b.done_status, 0);
  assert_string_equal(a.buf, "hello");
  assert_string_equal(b.buf, "hello");
  assert_int_equal(s.accepts, 1);
  assert_int_equal(s.requests, 2);
  http_client_stats_t st;
  http_client_stats(cl, &st);
  assert_int_equal(st.reqs_reused, 1);
  teardown(&s);
}

/* An idle pooled connection closes after keepalive_ms. */
static void test_keepalive_expires(void **state) {
  (void)state;
  http_client_opts_t o;
  http_client_opts_default(&o);
  o.keepalive_ms = 50;
  setup_loop(&o);
  rawsrv_t s;
  raw_start(&loop, &s, RAW_CL);
  char u[128];
  url(u, sizeof u, s.port, "/a");
  got_t a = {0};
  get(u, &a);
  RUN_UNTIL(a.dones == 1);
  http_client_stats_t st;
  http_client_stats(cl, &st);
  assert_int_equal(st.conns_idle, 1);
  RUN_UNTIL(s.peer_gone == 1);
  http_client_stats(cl, &st);
  assert_int_equal(st.conns_open, 0);
  teardown(&s);
}

/* At max_conns, a request to another host closes the oldest idle pooled
 * connection instead of waiting for it to expire. */
static void test_total_limit_evicts_idle(void **state) {
  (void)state;
  http_client_opts_t o;
  http_client_opts_default(&o);
  o.max_conns = 1;
  setup_loop(&o);
  rawsrv_t s1, s2;
  raw_start(&loop, &s1, RAW_CL);
  raw_start(&loop, &s2, RAW_CL);
  char u[128];
  got_t a = {0}, b = {0};
  url(u, sizeof u, s1.port, "/");
  get(u, &a);
  RUN_UNTIL(a.dones == 1);
  url(u, sizeof u, s2.port, "/");
  get(u, &b);
  RUN_UNTIL(b.dones == 1 && s1.peer_gone == 1);
  assert_int_equal(a.done_status, 0);
  assert_int_equal(b.done_status, 0);
  http_client_stats_t st;
  http_client_stats(cl, &st);
  assert_int_equal(st.conns_open, 1);
  assert_int_equal(st.conns_opened, 2);
  raw_stop(&s1);
  teardown(&s2);
}

/* A read-to-close body ends at the server's close, with status 0. */
static void test_read_to_close(void **state) {
  (void)state;
  setup_loop(NULL);
  rawsrv_t s;
  raw_start(&loop, &s, RAW_CLOSE);
  char u[128];
  url(u, sizeof u, s.port, "/");
  got_t a = {0};
  get(u, &a);
  RUN_UNTIL(a.dones == 1);
  assert_int_equal(a.done_status, 0);
  assert_string_equal(a.buf, "until the end");
  assert_string_equal(a.ctype, "text/x");
  http_client_stats_t st;
  http_client_stats(cl, &st);
  assert_int_equal(st.conns_idle, 0); /* not reusable */
  teardown(&s);
}

/* A pooled connection the server closed when the next request came: the
 * GET is sent again on a fresh connection. */
static void test_stale_connection_retried(void **state) {
  (void)state;
  setup_loop(NULL);
  rawsrv_t s;
  raw_start(&loop, &s, RAW_STALE);
  char u[128];
  url(u, sizeof u, s.port, "/x");
  got_t a = {0}, b = {0};
  a.then_get = true;
  a.next = &b;
  a.next_url = u;
  get(u, &a);
  RUN_UNTIL(b.dones == 1);
  assert_int_equal(b.done_status, 0);
  assert_string_equal(b.buf, "fresh");
  assert_int_equal(s.accepts, 2);
  http_client_stats_t st;
  http_client_stats(cl, &st);
  assert_int_equal(st.retries, 1);
  teardown(&s);
}

/* One hostile response: on_done gets want, once, and nothing crashes. */
static void hostile(int mode, int want, int heads) {
  http_client_opts_t o;
  http_client_opts_default(&o);
  o.header_timeout_ms = 100;
  o.idle_timeout_ms = 100;
  setup_loop(&o);
  rawsrv_t s;
  raw_start(&loop, &s, mode);
  char u[128];
  url(u, sizeof u, s.port, "/ipfs/bafkqaaa?format=raw");
  got_t a = {0};
  get(u, &a);
  RUN_UNTIL(a.dones == 1);
  assert_int_equal(a.done_status, want);
  assert_int_equal(a.heads, heads);
  http_client_stats_t st;
  http_client_stats(cl, &st);
  assert_int_equal(st.conns_open, 0); /* never pooled after an error */
  teardown(&s);
}

static void test_stall_times_out(void **state) {
  (void)state;
  hostile(RAW_STALL, -ETIMEDOUT, 0);
  hostile(RAW_BODYSTALL, -ETIMEDOUT, 1);
}

static void test_garbage_refused(void **state) {
  (void)state;
  hostile(RAW_GARBAGE, TR_EPROTO, 0);
  hostile(RAW_BOTH, TR_EPROTO, 0);
  hostile(RAW_BADCHUNK, TR_EPROTO, 1);
}

static void test_oversized_header(void **state) {
  (void)state;
  hostile(RAW_BIGHEAD, TR_ETOOBIG, 0);
}

/* Over the body cap: a Content-Length fails before on_head, a chunked
 * body when it passes the cap. */
static void test_body_cap(void **state) {
  (void)state;
  setup_loop(NULL);
  srv_start();
  char u[128];
  got_t a = {0}, b = {0}, c = {0};
  url(u, sizeof u, srv_port, "/big?5000");
  get(u, &a);
  http_creq_set_limits(a.req, 4096, 0);
  url(u, sizeof u, srv_port, "/bigchunked?100000");
  get(u, &b);
  http_creq_set_limits(b.req, 50000, 0);
  url(u, sizeof u, srv_port, "/big?4096");
  get(u, &c);
  http_creq_set_limits(c.req, 4096, 0); /* exactly the cap: fine */
  RUN_UNTIL(a.dones + b.dones + c.dones == 3);
  assert_int_equal(a.done_status, TR_ETOOBIG);
  assert_int_equal(a.heads, 0);
  assert_int_equal(b.done_status, TR_ETOOBIG);
  assert_int_equal(b.heads, 1);
  assert_true(b.body <= 50000);
  assert_int_equal(c.done_status, 0);
  assert_int_equal(c.body, 4096);
  teardown(NULL);
}

static void test_refused_and_unresolvable(void **state) {
  (void)state;
  setup_loop(NULL);
  /* A port nobody listens on: bind one, close it. */
  uv_tcp_t t;
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  uv_tcp_init(&loop, &t);
  assert_int_equal(uv_tcp_bind(&t, (struct sockaddr *)&a, 0), 0);
  int len = sizeof a;
  uv_tcp_getsockname(&t, (struct sockaddr *)&a, &len);
  uv_close((uv_handle_t *)&t, NULL);
  char u[128];
  url(u, sizeof u, ntohs(a.sin_port), "/");
  got_t r = {0}, n = {0};
  get(u, &r);
  get("http://nonexistent.invalid/routing/v1/providers/bafkqaaa", &n);
  RUN_UNTIL(r.dones + n.dones == 2);
  assert_int_equal(r.done_status, -ECONNREFUSED);
  assert_true(n.done_status == -ENXIO || n.done_status == -EAGAIN);
  assert_int_equal(r.heads + n.heads, 0);
  teardown(NULL);
}

/* Bad requests fail at the call, and no callback follows. */
static void test_bad_requests(void **state) {
  (void)state;
  setup_loop(NULL);
  got_t g = {0};
  http_creq_t *r = NULL;
  assert_int_equal(http_client_get(cl, "gopher://example.com/", NULL, 0,
                                   &g_cbs, &g, &r),
                   -EPROTONOSUPPORT);
  const char *bad[] = {"http://", "http://a b/", "http://[::1/", "http://h:0/",
                       "http://h:65536/", "http://u@h/", "http://h/a b",
                       "ftp:/x", "http://h:/"};
  for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++)
    assert_int_equal(http_client_get(cl, bad[i], NULL, 0, &g_cbs, &g, &r),
                     -EINVAL);
  http_header_t crlf = {"X-A", "b\r\nX-Injected: 1"}, host = {"Host", "x"};
  assert_int_equal(
      http_client_get(cl, "http://127.0.0.1/", &crlf, 1, &g_cbs, &g, &r),
      -EINVAL);
  assert_int_equal(
      http_client_get(cl, "http://127.0.0.1/", &host, 1, &g_cbs, &g, &r),
      -EINVAL);
  assert_int_equal(http_client_request(cl, "GE T", "http://127.0.0.1/", NULL,
                                       0, NULL, 0, &g_cbs, &g, &r),
                   -EINVAL);
  uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(g.dones, 0);
  teardown(NULL);
}

/* Cancel from on_body: no on_body after, on_done(-ECANCELED) once, and the
 * server sees the connection closed. */
static void test_cancel_mid_body(void **state) {
  (void)state;
  setup_loop(NULL);
  rawsrv_t s;
  raw_start(&loop, &s, RAW_STREAM);
  s.total = 64u << 20;
  char u[128];
  url(u, sizeof u, s.port, "/ipfs/bafy?format=car");
  got_t a = {0};
  a.cancel_after = 1;
  get(u, &a);
  RUN_UNTIL(a.dones == 1 && s.peer_gone == 1);
  assert_int_equal(a.done_status, -ECANCELED);
  assert_int_equal(a.bodies_after_end, 0);
  assert_true(a.body < s.total);
  teardown(&s);
}

static bool waited;
static void on_wait(uv_timer_t *t) {
  (void)t;
  waited = true;
}

/* Pause: the client stops reading, so the server's writes block; a pause
 * four times the idle timeout is no timeout; resume gets the whole body. */
static void test_pause_backpressure(void **state) {
  (void)state;
  http_client_opts_t o;
  http_client_opts_default(&o);
  o.idle_timeout_ms = 50;
  setup_loop(&o);
  rawsrv_t s;
  raw_start(&loop, &s, RAW_STREAM);
  s.total = 64u << 20;
  char u[128];
  url(u, sizeof u, s.port, "/ipfs/bafy?format=car");
  got_t a = {0};
  a.pause_after = 1;
  get(u, &a);
  RUN_UNTIL(a.ended);
  s.blocked = false; /* from now on, a block is the pause's doing */
  RUN_UNTIL(s.blocked);
  size_t at_block = a.body;
  /* Let the loop turn a while: nothing more may come while paused. */
  for (int i = 0; i < 50; i++)
    uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(a.body, at_block);
  assert_int_equal(a.bodies_after_end, 0);
  assert_true(s.written < s.total);
  uv_timer_t w;
  uv_timer_init(&loop, &w);
  waited = false;
  uv_timer_start(&w, on_wait, 200, 0);
  RUN_UNTIL(waited);
  uv_close((uv_handle_t *)&w, NULL);
  assert_int_equal(a.body, at_block);
  assert_int_equal(a.dones, 0);
  a.ended = false;
  a.pause_after = 0;
  http_creq_resume(a.req);
  RUN_UNTIL(a.dones == 1);
  assert_int_equal(a.done_status, 0);
  assert_int_equal(a.body, s.total);
  teardown(&s);
}

/* A pause longer than the idle timeout, then a body that goes on 10 ms
 * after the resume: the idle timeout counts from the resume (a regression
 * test: it used to count from the last byte before the pause, and fired
 * at once). */
static void test_resume_restarts_idle_timeout(void **state) {
  (void)state;
  http_client_opts_t o;
  http_client_opts_default(&o);
  o.idle_timeout_ms = 300;
  setup_loop(&o);
  rawsrv_t s;
  raw_start(&loop, &s, RAW_TWOPART);
  char u[128];
  url(u, sizeof u, s.port, "/");
  got_t a = {0};
  a.pause_after = 1;
  get(u, &a);
  RUN_UNTIL(a.ended);
  uv_timer_t w;
  uv_timer_init(&loop, &w);
  waited = false;
  uv_timer_start(&w, on_wait, 400, 0);
  RUN_UNTIL(waited);
  uv_close((uv_handle_t *)&w, NULL);
  assert_int_equal(a.dones, 0);
  a.ended = false;
  a.pause_after = 0;
  http_creq_resume(a.req);
  raw_rest_soon(&s);
  RUN_UNTIL(a.dones == 1);
  assert_int_equal(a.done_status, 0);
  assert_string_equal(a.buf, "0123456789abcdefghij");
  teardown(&s);
}

/* Free with requests in flight (one on a connection, one waiting for the
 * per-host limit, one resolving): each gets on_done(-ECANCELED) once. */
static void test_free_in_flight(void **state) {
  (void)state;
  http_client_opts_t o;
  http_client_opts_default(&o);
  o.max_conns_per_host = 1;
  setup_loop(&o);
  rawsrv_t s;
  raw_start(&loop, &s, RAW_STALL);
  char u[128];
  url(u, sizeof u, s.port, "/");
  got_t g[4] = {0};
  get(u, &g[0]);
  get(u, &g[1]);
  snprintf(u, sizeof u, "http://localhost:%d/", s.port);
  get(u, &g[2]);
  RUN_UNTIL(s.requests >= 1);
  get("http://127.0.0.1:1/", &g[3]);
  http_client_free(cl);
  cl = NULL;
  for (int i = 0; i < 4; i++)
    assert_int_equal(g[i].dones, 0); /* never from inside the call */
  RUN_UNTIL(g[0].dones + g[1].dones + g[2].dones + g[3].dones == 4);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(g[i].dones, 1);
    assert_int_equal(g[i].done_status, -ECANCELED);
    assert_int_equal(g[i].heads, 0);
  }
  teardown(&s);
}

/* The whole-request deadline also covers the wait in the queue. */
static void test_deadline_in_queue(void **state) {
  (void)state;
  http_client_opts_t o;
  http_client_opts_default(&o);
  o.max_conns_per_host = 1;
  o.deadline_ms = 100;
  setup_loop(&o);
  rawsrv_t s;
  raw_start(&loop, &s, RAW_STALL);
  char u[128];
  url(u, sizeof u, s.port, "/");
  got_t a = {0}, b = {0};
  get(u, &a);
  get(u, &b);
  RUN_UNTIL(a.dones + b.dones == 2);
  assert_int_equal(a.done_status, -ETIMEDOUT);
  assert_int_equal(b.done_status, -ETIMEDOUT);
  assert_int_equal(s.accepts, 1);
  teardown(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bodies_from_trove_server),
      cmocka_unit_test(test_keepalive_reuse),
      cmocka_unit_test(test_keepalive_expires),
      cmocka_unit_test(test_total_limit_evicts_idle),
      cmocka_unit_test(test_read_to_close),
      cmocka_unit_test(test_stale_connection_retried),
      cmocka_unit_test(test_stall_times_out),
      cmocka_unit_test(test_garbage_refused),
      cmocka_unit_test(test_oversized_header),
      cmocka_unit_test(test_body_cap),
      cmocka_unit_test(test_refused_and_unresolvable),
      cmocka_unit_test(test_bad_requests),
      cmocka_unit_test(test_cancel_mid_body),
      cmocka_unit_test(test_pause_backpressure),
      cmocka_unit_test(test_resume_restarts_idle_timeout),
      cmocka_unit_test(test_free_in_flight),
      cmocka_unit_test(test_deadline_in_queue),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

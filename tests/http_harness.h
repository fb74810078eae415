/*
 * http_harness.h — what the HTTP server tests share (test_http.c,
 * test_http_limits.c): the server on 127.0.0.1 with its loop in a thread,
 * a handler with a few test routes, blocking-socket client helpers, and a
 * small HTTP/2 client built on libnghttp2's client session (so h2 tests
 * check what a real HTTP/2 implementation accepts, e.g. header values).
 *
 * Routes of the handler:
 *   /hello            200 "hello METHOD X-Test q=QUERY"
 *   /chunked          200, unknown length (chunked in HTTP/1.1)
 *   /stream?N         N bytes, produced as the client reads (drain callback)
 *   /pieces?N         N bytes, one 256 KiB piece per drain callback, as
 *                     stream.c produces a file
 *   /body             reads the body, then 200 "got N status S"
 *   /lend             reads the body into room it lends the server
 *                     (http_req_body_lend), as rpc_upload.c does, then 200
 *                     "lent N fnv X inplace I moved M copied C status S"
 *   /badhdr           200 with header values holding CR/LF (must be dropped)
 *   /host             200 "host=HOST" (the Host the handler sees)
 *   CONNECT           200 when the target is the address the client
 *                     reached (http_req_local), else 403
 *   anything else     404
 */
#ifndef HTTP_HARNESS_H
#define HTTP_HARNESS_H

#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "../http/http.h"

/* Not every test file uses every helper. */
#define TH_UNUSED __attribute__((unused))

/* ----------------------------------------------------------- the server */

static uv_loop_t loop;
static uv_async_t stop_async;
static http_server_t *srv;
static int port;
static pthread_t thr;
static size_t max_buffered;      /* worst queue seen by the stream handler */
static size_t stream_total;      /* bytes the stream handler produced */
static int body_started;         /* /body handlers that asked for the body */
static int hello_count;          /* /hello requests handled */
static size_t paused_got;        /* /pausebody: bytes delivered while paused */
static size_t pause_total;       /* /pausebody: bytes delivered in all */
static http_req_t *paused_req;     /* /pausebody: waiting for resume_async */
static bool pause_once_done;
static uv_async_t resume_async;

typedef struct stream {
  size_t left;
  bool in_more, gone;
} stream_t;

static void stream_more(http_req_t *r, void *ud) {
  stream_t *s = ud;
  static uint8_t piece[128 << 10];
  s->in_more = true;
  while (s->left && !s->gone && http_res_buffered(r) < HTTP_HIGH_WATER) {
    size_t n = s->left < sizeof piece ? s->left : sizeof piece;
    memset(piece, 'x', n);
    if (http_res_write(r, piece, n))
      break;
    s->left -= n;
    __atomic_add_fetch(&stream_total, n, __ATOMIC_RELAXED);
    if (http_res_buffered(r) > max_buffered)
      max_buffered = http_res_buffered(r);
  }
  s->in_more = false;
  if (!s->left || s->gone || http_req_closed(r)) {
    free(s);
    http_res_end(r);
    return;
  }
  http_res_on_drain(r, stream_more, s);
}

/* The client went away while the stream waited for a drain (or, from inside
 * a write, while it produced). */
static void stream_gone(http_req_t *r, void *ud) {
  stream_t *s = ud;
  s->gone = true;
  if (!s->in_more) {
    free(s);
    http_res_end(r);
  }
}

/* /pieces: one piece per drain callback and no look at the queue, as
 * stream.c does; the server must call back whatever holds the bytes (the
 * stream's queue or the socket's). */
static void pieces_more(http_req_t *r, void *ud) {
  stream_t *s = ud;
  static uint8_t piece[256 << 10];
  if (s->gone || !s->left || http_req_closed(r)) {
    free(s);
    http_res_end(r);
    return;
  }
  size_t n = s->left < sizeof piece ? s->left : sizeof piece;
  memset(piece, 'p', n);
  s->left -= n;
  __atomic_add_fetch(&stream_total, n, __ATOMIC_RELAXED);
  s->in_more = true; /* a close from inside the write must not free s */
  int rc = http_res_write(r, piece, n);
  s->in_more = false;
  if (rc || s->gone || !s->left) {
    free(s);
    http_res_end(r);
    return;
  }
  http_res_on_drain(r, pieces_more, s);
}

typedef struct body {
  size_t n;
} body_t;

static void body_data(http_req_t *r, const uint8_t *p, size_t n, void *ud) {
  (void)r, (void)p;
  ((body_t *)ud)->n += n;
}

static void body_end(http_req_t *r, int status, void *ud) {
  body_t *b = ud;
  char msg[64];
  int n = snprintf(msg, sizeof msg, "got %zu status %d", b->n, status);
  free(b);
  if (status == 0)
    http_res_simple(r, 200, "text/plain", msg, (size_t)n);
  else
    http_res_end(r);
}

/* /lend: each piece is appended where the last one ended, in place when
 * the server read it there, moved down over the framing before it, or
 * copied from elsewhere; the answer has an FNV-1a hash of what was kept. */
typedef struct lend {
  uint8_t buf[2u << 20];
  size_t len, inplace, moved, copied;
  bool over;
} lend_t;

static uint64_t th_fnv(const uint8_t *p, size_t n) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

static void lend_room(http_req_t *r, uint8_t **base, size_t *len, void *ud) {
  (void)r;
  lend_t *l = ud;
  *base = l->buf + l->len;
  *len = sizeof l->buf - l->len;
}

static void lend_data(http_req_t *r, const uint8_t *p, size_t n, void *ud) {
  (void)r;
  lend_t *l = ud;
  uintptr_t a = (uintptr_t)p;
  if (n > sizeof l->buf - l->len) {
    l->over = true;
    return;
  }
  if (a >= (uintptr_t)(l->buf + l->len) && a < (uintptr_t)(l->buf + sizeof l->buf)) {
    if (p == l->buf + l->len)
      l->inplace++;
    else
      memmove(l->buf + l->len, p, n), l->moved++;
  } else {
    memcpy(l->buf + l->len, p, n);
    l->copied++;
  }
  l->len += n;
}

/* The last /lend's room, freed by the next /lend or the test: the server
 * may still parse from it after on_end (http_req_body_lend). */
static lend_t *lend_old;

static void lend_end(http_req_t *r, int status, void *ud) {
  lend_t *l = ud;
  char msg[160];
  int n = snprintf(msg, sizeof msg,
                   "lent %zu fnv %016llx inplace %zu moved %zu copied %zu "
                   "status %d%s", l->len,
                   (unsigned long long)th_fnv(l->buf, l->len), l->inplace,
                   l->moved, l->copied, status, l->over ? " over" : "");
  free(lend_old);
  lend_old = l;
  if (status == 0)
    http_res_simple(r, 200, "text/plain", msg, (size_t)n);
  else
    http_res_end(r);
}

/* /pausebody: pause at the first piece, until the test sends
 * resume_async; count what arrives while paused (must be nothing). */
static void pause_data(http_req_t *r, const uint8_t *p, size_t n, void *ud) {
  (void)p, (void)ud;
  if (paused_req)
    paused_got += n;
  pause_total += n;
  if (!pause_once_done) {
    pause_once_done = true;
    paused_req = r;
    http_req_pause(r);
  }
}

static void pause_end(http_req_t *r, int status, void *ud) {
  (void)ud;
  char msg[64];
  int n = snprintf(msg, sizeof msg, "got %zu status %d", pause_total, status);
  paused_req = NULL;
  if (status == 0)
    http_res_simple(r, 200, "text/plain", msg, (size_t)n);
  else
    http_res_end(r);
}

static void on_resume(uv_async_t *a) {
  (void)a;
  http_req_t *r = paused_req;
  paused_req = NULL;
  if (r)
    http_req_resume(r);
}

/* A test's own handler, which takes every request when set (before
 * start()), e.g. a gateway with a fake router (test_gw_routing.c). */
static http_handler_fn th_handler;
static void *th_handler_ud;

static void handler(http_req_t *r, void *ud) {
  (void)ud;
  if (th_handler) {
    th_handler(r, th_handler_ud);
    return;
  }
  const char *path = http_req_path(r);
  if (!strcmp(http_req_method(r), "CONNECT")) {
    char lh[64], want[80];
    int lp = 0;
    if (!http_req_local(r, lh, sizeof lh, &lp) &&
        snprintf(want, sizeof want, "%s:%d", lh, lp) > 0 &&
        !strcmp(http_req_target(r), want)) {
      http_res_start(r, 200, NULL, 0, 0);
      http_res_end(r);
    } else {
      http_res_simple(r, 403, "text/plain", "no", 2);
    }
  } else if (!strcmp(path, "/host")) {
    char msg[300];
    const char *h = http_req_header(r, "host");
    int n = snprintf(msg, sizeof msg, "host=%s", h ? h : "-");
    http_res_simple(r, 200, "text/plain", msg, (size_t)n);
  } else if (!strcmp(path, "/hello")) {
    hello_count++;
    char msg[256];
    const char *ua = http_req_header(r, "x-test");
    int n = snprintf(msg, sizeof msg, "hello %s %s q=%s", http_req_method(r),
                     ua ? ua : "-", http_req_query(r));
    http_res_simple(r, 200, "text/plain", msg, (size_t)n);
  } else if (!strcmp(path, "/trailer")) {
    /* Values streamed, then an error as a trailer field (Kubo's
     * X-Stream-Error); the CR LF in it must not reach the wire. */
    http_res_start(r, 200, NULL, 0, -1);
    http_res_write(r, "abc", 3);
    http_res_end_trailer(r, "X-Stream-Error", "bad\r\nthing");
  } else if (!strcmp(path, "/chunked")) {
    http_res_start(r, 200, NULL, 0, -1);
    http_res_write(r, "abc", 3);
    http_res_write(r, "defgh", 5);
    http_res_end(r);
  } else if (!strcmp(path, "/stream")) {
    stream_t *s = calloc(1, sizeof *s);
    s->left = (size_t)atol(http_req_query(r));
    http_req_on_close(r, stream_gone, s);
    http_res_start(r, 200, NULL, 0, (int64_t)s->left);
    stream_more(r, s);
  } else if (!strcmp(path, "/pieces")) {
    stream_t *s = calloc(1, sizeof *s);
    s->left = (size_t)atol(http_req_query(r));
    http_req_on_close(r, stream_gone, s);
    http_res_start(r, 200, NULL, 0, (int64_t)s->left);
    pieces_more(r, s);
  } else if (!strcmp(path, "/body")) {
    body_t *b = calloc(1, sizeof *b);
    __atomic_add_fetch(&body_started, 1, __ATOMIC_RELAXED);
    http_req_body(r, body_data, body_end, b);
  } else if (!strcmp(path, "/lend")) {
    lend_t *l = calloc(1, sizeof *l);
    http_req_body(r, lend_data, lend_end, l);
    http_req_body_lend(r, lend_room);
  } else if (!strcmp(path, "/pausebody")) {
    paused_got = pause_total = 0;
    pause_once_done = false;
    http_req_body(r, pause_data, pause_end, NULL);
  } else if (!strcmp(path, "/badhdr")) {
    http_header_t h[] = {{"X-Good", "fine"},
                       {"X-Crlf", "a\r\nX-Injected: 1"},
                       {"X-Lf", "b\nc"},
                       {"X-Cr", "d\re"},
                       {"Bad Name", "v"}};
    http_res_start(r, 200, h, 5, 2);
    http_res_write(r, "ok", 2);
    http_res_end(r);
  } else {
    http_res_simple(r, 404, "text/plain", "nope", 4);
  }
}

/* A second server on the same loop, sharing srv's per-address table
 * (start_shared); NULL when there is none. */
static http_server_t *srv2;
static int port2;

static void on_stop(uv_async_t *a) {
  http_server_stop(srv, NULL, NULL);
  if (srv2)
    http_server_stop(srv2, NULL, NULL);
  srv2 = NULL;
  uv_close((uv_handle_t *)a, NULL);
  uv_close((uv_handle_t *)&resume_async, NULL);
}

static void *loop_main(void *arg) {
  (void)arg;
  uv_run(&loop, UV_RUN_DEFAULT);
  return NULL;
}

/* srv (port) and, with a share, srv2 (port2) on the same loop, sharing
 * the per-address table as the gateway's loops do. */
static void start_shared(const http_limits_t *lim, http_ipshare_t *share) {
  assert_int_equal(uv_loop_init(&loop), 0);
  http_listen_t lo = {.share = share};
  assert_int_equal(http_server_start_ex(&loop, "127.0.0.1", 0, lim, handler,
                                        NULL, &lo, &srv), 0);
  port = http_server_port(srv);
  if (share) {
    assert_int_equal(http_server_start_ex(&loop, "127.0.0.1", 0, lim, handler,
                                          NULL, &lo, &srv2), 0);
    port2 = http_server_port(srv2);
  }
  assert_int_equal(uv_async_init(&loop, &stop_async, on_stop), 0);
  assert_int_equal(uv_async_init(&loop, &resume_async, on_resume), 0);
  hello_count = 0;
  assert_int_equal(pthread_create(&thr, NULL, loop_main, NULL), 0);
}

static void start(const http_limits_t *lim) { start_shared(lim, NULL); }

static void stop(void) {
  uv_async_send(&stop_async);
  pthread_join(thr, NULL);
  assert_int_equal(uv_loop_close(&loop), 0); /* every handle closed */
}

/* Wait (up to 5 s) until the server has no connection open.  Read from the
 * test thread while the loop runs: a word-sized counter, good enough for a
 * test that only waits for it to reach a value. */
TH_UNUSED static uint32_t wait_conns_zero(void) {
  uint32_t n = 0;
  for (int i = 0; i < 500; i++) {
    n = http_server_conns(srv);
    if (n == 0)
      break;
    usleep(10000);
  }
  return n;
}

/* ----------------------------------------------------------- the client */

static int dial_timeout(int secs) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  struct timeval tv = {secs, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

static int dial(void) { return dial_timeout(5); }

static void send_all(int fd, const char *s, size_t n) {
  while (n) {
    ssize_t w = write(fd, s, n);
    assert_true(w > 0);
    s += w;
    n -= (size_t)w;
  }
}

TH_UNUSED static void send_str(int fd, const char *s) { send_all(fd, s, strlen(s)); }

/* Read until the peer closes or `until` appears count times; returns the
 * bytes read (NUL-terminated). */
static size_t recv_until(int fd, char *buf, size_t cap, const char *until,
                         int count) {
  size_t n = 0;
  buf[0] = 0;
  for (;;) {
    if (until) {
      int seen = 0;
      for (const char *p = buf; n && (p = strstr(p, until)); p++)
        seen++;
      if (seen >= count)
        break;
    }
    ssize_t r = read(fd, buf + n, cap - 1 - n);
    if (r <= 0)
      break;
    n += (size_t)r;
    buf[n] = 0;
  }
  buf[n] = 0;
  return n;
}

/* 1 if the peer has closed (EOF or reset) within ms, after reading and
 * dropping whatever came first. */
TH_UNUSED static int peer_closed(int fd, int ms) {
  char tmp[4096];
  for (int waited = 0; waited <= ms; waited += 10) {
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, 10) == 1) {
      ssize_t r = recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
      if (r == 0 || (r < 0 && errno != EAGAIN))
        return 1;
    }
  }
  return 0;
}

/* ------------------------------------------------- an HTTP/2 client */

typedef struct h2c {
  int fd;
  nghttp2_session *s;
  char hdrs[4096]; /* "name: value\n" of every stream's response headers */
  size_t hlen;
  size_t data;     /* DATA bytes received */
  int closed;      /* streams closed */
  int cancelled;   /* of which reset by the server with CANCEL */
  uint32_t last_err;
  bool goaway;
  size_t up_left, up_sent; /* request body to send, sent so far */
} h2c_t;

static int h2c_on_frame(nghttp2_session *s, const nghttp2_frame *f, void *ud) {
  (void)s;
  if (f->hd.type == NGHTTP2_GOAWAY)
    ((h2c_t *)ud)->goaway = true;
  return 0;
}

static ssize_t h2c_body(nghttp2_session *s, int32_t id, uint8_t *buf,
                        size_t len, uint32_t *flags, nghttp2_data_source *src,
                        void *ud) {
  (void)s, (void)id, (void)src;
  h2c_t *c = ud;
  size_t n = c->up_left < len ? c->up_left : len;
  memset(buf, 'u', n);
  c->up_left -= n;
  c->up_sent += n;
  if (!c->up_left)
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

static int h2c_on_header(nghttp2_session *s, const nghttp2_frame *f,
                         const uint8_t *name, size_t nlen, const uint8_t *value,
                         size_t vlen, uint8_t flags, void *ud) {
  (void)s, (void)f, (void)flags;
  h2c_t *c = ud;
  int n = snprintf(c->hdrs + c->hlen, sizeof c->hdrs - c->hlen, "%.*s: %.*s\n",
                   (int)nlen, name, (int)vlen, value);
  if (n > 0 && c->hlen + (size_t)n < sizeof c->hdrs)
    c->hlen += (size_t)n;
  return 0;
}

static int h2c_on_data(nghttp2_session *s, uint8_t flags, int32_t id,
                       const uint8_t *d, size_t len, void *ud) {
  (void)s, (void)flags, (void)id, (void)d;
  ((h2c_t *)ud)->data += len;
  return 0;
}

static int h2c_on_close(nghttp2_session *s, int32_t id, uint32_t err,
                        void *ud) {
  (void)s, (void)id;
  h2c_t *c = ud;
  c->closed++;
  c->cancelled += err == NGHTTP2_CANCEL;
  c->last_err = err;
  return 0;
}

/* Connect with prior knowledge; window is the client's initial stream
 * window (0: the server may send no DATA until the client opens it). */
TH_UNUSED static void h2c_open(h2c_t *c, uint32_t window, int timeout_s) {
  memset(c, 0, sizeof *c);
  c->fd = dial_timeout(timeout_s);
  nghttp2_session_callbacks *cb;
  assert_int_equal(nghttp2_session_callbacks_new(&cb), 0);
  nghttp2_session_callbacks_set_on_header_callback(cb, h2c_on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, h2c_on_data);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, h2c_on_close);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, h2c_on_frame);
  assert_int_equal(nghttp2_session_client_new(&c->s, cb, c), 0);
  nghttp2_session_callbacks_del(cb);
  nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window}};
  assert_int_equal(nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, iv, 1), 0);
}

TH_UNUSED /* A request; with a body of `body` bytes when body > 0. */
TH_UNUSED static int32_t h2c_req(h2c_t *c, const char *method,
                                 const char *path, size_t body) {
  nghttp2_nv nv[] = {
      {(uint8_t *)":method", (uint8_t *)method, 7, strlen(method), 0},
      {(uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0},
      {(uint8_t *)":scheme", (uint8_t *)"http", 7, 4, 0},
      {(uint8_t *)":authority", (uint8_t *)"x", 10, 1, 0},
  };
  nghttp2_data_provider dp = {.read_callback = h2c_body};
  c->up_left = body;
  int32_t id = nghttp2_submit_request(c->s, NULL, nv, 4, body ? &dp : NULL,
                                      NULL);
  assert_true(id > 0);
  return id;
}

TH_UNUSED static int32_t h2c_get(h2c_t *c, const char *method, const char *path) {
  return h2c_req(c, method, path, 0);
}

/* Send what the session has, without reading. */
TH_UNUSED static int h2c_flush(h2c_t *c) {
  const uint8_t *out;
  ssize_t n;
  while ((n = nghttp2_session_mem_send(c->s, &out)) > 0)
    if (write(c->fd, out, (size_t)n) != n)
      return -1;
  return n < 0 ? -1 : 0;
}

/* Send what the session has, then read and feed until want_closed streams
 * have closed.  Returns 0 then, -1 if the connection ended first, 1 if
 * nothing came for idle_ms. */
TH_UNUSED static int h2c_run_ms(h2c_t *c, int want_closed, int idle_ms) {
  uint8_t buf[1 << 16];
  for (;;) {
    const uint8_t *out;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(c->s, &out)) > 0)
      if (write(c->fd, out, (size_t)n) != n)
        return -1;
    if (n < 0)
      return -1;
    if (c->closed >= want_closed)
      return 0;
    struct pollfd pfd = {c->fd, POLLIN, 0};
    if (poll(&pfd, 1, idle_ms) != 1)
      return 1;
    ssize_t r = read(c->fd, buf, sizeof buf);
    if (r <= 0)
      return -1;
    if (nghttp2_session_mem_recv(c->s, buf, (size_t)r) < 0)
      return -1;
  }
}

TH_UNUSED static int h2c_run(h2c_t *c, int want_closed) {
  return h2c_run_ms(c, want_closed, 5000);
}

TH_UNUSED static void h2c_close(h2c_t *c) {
  nghttp2_session_del(c->s);
  close(c->fd);
}

#endif /* HTTP_HARNESS_H */

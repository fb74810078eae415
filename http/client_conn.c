/*
 * client_conn.c — the HTTP client's connections: resolve (uv_getaddrinfo,
 * each address in turn), connect, write the request, read the response
 * into the parser of client_parse.c, the timers (connect, header, idle,
 * deadline, keep-alive), the keep-alive pool's side of a connection, and
 * closing.  Also the request's end: http__creq_finish() puts a request on
 * the done list, and the client's idle handle calls on_done from there, so
 * that no callback ever runs inside an API call or under a parser.
 *
 * One request per connection at a time.  Reads go into the client's one
 * buffer (cl->readbuf); bytes the caller has not taken because it paused
 * are copied to c->pending (at most one read) and reading stops until
 * http_creq_resume() kicks the connection from the loop.
 *
 * https:// connections put a TLS session (tls.h) between the socket and
 * the parser: the handshake runs after connect, before the request is
 * written; ciphertext read is decrypted into cl->tlsbuf and fed on as if
 * read; the request is encrypted and sent from a write of its own.
 *
 * A struct here is freed only from a libuv close callback (or the
 * resolver's), never under a caller, so a connection or request pointer
 * taken before a user callback stays valid after it; the code checks the
 * request's state instead (a callback may cancel it or free the client).
 */
#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "client_int.h"

static void on_handle_closed(uv_handle_t *h);
static void feed(http_cconn_t *c, const uint8_t *p, size_t n);

static uint64_t now(const http_client_t *cl) { return uv_now(cl->loop); }

/* ------------------------------------------------------------- the end */

static void creq_free(http_creq_t *req) {
  http__resp_free(&req->resp);
  tr_bytes_free(&req->wire);
  tr_free(req);
}

static void client_free(http_client_t *cl) {
  http_tls_ctx_free(cl->tls_ctx);
  tr_free(cl->user_agent);
  tr_free(cl);
}

static void on_client_handle_closed(uv_handle_t *h) {
  http_client_t *cl = h->data;
  cl->nhandles--;
  if (cl->nhandles == 0 && cl->nalloc == 0)
    client_free(cl);
}

/* Free the client once it is closing and nothing of it is left: its
 * handles close when no callback is due, its memory goes with the last
 * handle or connection. */
static void client_maybe_free(http_client_t *cl) {
  if (!cl->closing || cl->done_head || cl->kick_head)
    return;
  if (!cl->handles_closing) {
    cl->handles_closing = true;
    uv_close((uv_handle_t *)&cl->idle, on_client_handle_closed);
    uv_close((uv_handle_t *)&cl->qtimer, on_client_handle_closed);
    return;
  }
  if (cl->nhandles == 0 && cl->nalloc == 0)
    client_free(cl);
}

static void on_idle(uv_idle_t *h) {
  http_client_t *cl = h->data;
  http_creq_t *k = cl->kick_head;
  cl->kick_head = NULL;
  while (k) {
    http_creq_t *next = k->kick_next;
    k->in_kick = false;
    k->kick_next = NULL;
    if (k->state == CREQ_ACTIVE && !k->paused && k->conn)
      http__creq_kick(k);
    k = next;
  }
  /* Take the list as it is: requests finished from these callbacks go on
   * a fresh list, run on the next turn. */
  http_creq_t *d = cl->done_head;
  cl->done_head = cl->done_tail = NULL;
  while (d) {
    http_creq_t *next = d->next;
    d->cbs.on_done(d, d->result, d->ud);
    creq_free(d);
    d = next;
  }
  if (!cl->done_head && !cl->kick_head) {
    uv_idle_stop(&cl->idle);
    cl->idle_on = false;
    client_maybe_free(cl);
  }
}

static void idle_start(http_client_t *cl) {
  if (!cl->idle_on && !cl->handles_closing) {
    uv_idle_start(&cl->idle, on_idle);
    cl->idle_on = true;
  }
}

void http__client_wake(http_client_t *cl) { idle_start(cl); }

/* ----------------------------------------------------------- closing */

static void conn_free_maybe(http_cconn_t *c) {
  if (c->nhandles || c->gai_pending)
    return;
  http_client_t *cl = c->cl;
  if (c->ai)
    uv_freeaddrinfo(c->ai);
  tr_bytes_free(&c->wire);
  tr_bytes_free(&c->pending);
  http_tls_free(c->tls);
  tr_free(c);
  cl->nalloc--;
  client_maybe_free(cl);
}

static void on_handle_closed(uv_handle_t *h) {
  http_cconn_t *c = h->data;
  if (h == (uv_handle_t *)&c->tcp)
    c->tcp_open = false;
  c->nhandles--;
  conn_free_maybe(c);
}

void http__cconn_close(http_cconn_t *c) {
  if (c->state == CC_CLOSING)
    return;
  assert(!c->req);
  http_client_t *cl = c->cl;
  if (c->state == CC_IDLE)
    cl->nidle--;
  c->state = CC_CLOSING;
  if (c->prev)
    c->prev->next = c->next;
  else
    cl->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  c->prev = c->next = NULL;
  cl->nconns--;
  uv_close((uv_handle_t *)&c->timer, on_handle_closed);
  if (c->tcp_open && !uv_is_closing((uv_handle_t *)&c->tcp))
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
  if (c->gai_pending)
    uv_cancel((uv_req_t *)&c->gai); /* its callback still comes */
  cl->dispatch(cl);
}

/* ------------------------------------------------------------- timers */

static void on_timer(uv_timer_t *t);

static void arm(http_cconn_t *c) {
  if (c->state == CC_CLOSING)
    return;
  const http_client_opts_t *o = &c->cl->o;
  http_creq_t *req = c->req;
  uint64_t due = UINT64_MAX;
  switch (c->state) {
  case CC_RESOLVING:
  case CC_CONNECTING:
    due = c->stage_ms + o->connect_timeout_ms;
    break;
  case CC_BUSY:
    if (!req->resp.head_done)
      due = c->stage_ms + o->header_timeout_ms;
    else if (!req->paused)
      due = c->progress_ms + o->idle_timeout_ms;
    break;
  case CC_IDLE:
    due = c->idle_since + o->keepalive_ms;
    break;
  }
  if (req && req->deadline_ms && req->deadline_ms < due)
    due = req->deadline_ms;
  if (due == UINT64_MAX) {
    uv_timer_stop(&c->timer);
    return;
  }
  uint64_t t = now(c->cl);
  uv_timer_start(&c->timer, on_timer, due > t ? due - t : 0, 0);
}

void http__cconn_arm(http_cconn_t *c) { arm(c); }

static void on_timer(uv_timer_t *t) {
  http_cconn_t *c = t->data;
  if (c->state == CC_CLOSING)
    return;
  if (c->req)
    http__creq_finish(c->req, -ETIMEDOUT);
  else
    http__cconn_close(c);
}

/* ------------------------------------------------------------ reading */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)hint;
  http_cconn_t *c = h->data;
  *buf = uv_buf_init((char *)c->cl->readbuf, sizeof c->cl->readbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void read_start(http_cconn_t *c) {
  if (!c->reading && c->tcp_open && !c->eof &&
      uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
    c->reading = true;
}

void http__cconn_read_stop(http_cconn_t *c) {
  if (c->reading)
    uv_read_stop((uv_stream_t *)&c->tcp);
  c->reading = false;
  arm(c); /* paused: the idle timeout stops */
}

/* Errors of the connection itself, which a retry on a fresh one may cure
 * when a pooled connection turned out to be closed by the server. */
static bool stale(int err) {
  return err == -ECONNRESET || err == -EPIPE || err == UV_EOF;
}

static void wait_push_front(http_client_t *cl, http_creq_t *r) {
  r->prev = NULL;
  r->next = cl->wait_head;
  if (cl->wait_head)
    cl->wait_head->prev = r;
  else
    cl->wait_tail = r;
  cl->wait_head = r;
  cl->nwait++;
}

/* Take req off c; if a write still holds its bytes, c keeps them (a copy
 * stays with req when it is to be sent again). */
static int detach(http_cconn_t *c, http_creq_t *req, bool keep_copy) {
  c->req = NULL;
  req->conn = NULL;
  if (!c->write_pending)
    return 0;
  tr_bytes_free(&c->wire);
  c->wire = req->wire;
  memset(&req->wire, 0, sizeof req->wire);
  if (keep_copy)
    return tr_bytes_append(&req->wire, c->wire.data, c->wire.len);
  return 0;
}

/* The connection failed under its request: retry a stale pooled one once,
 * else end the request with err. */
static void conn_error(http_cconn_t *c, int err) {
  http_creq_t *req = c->req;
  http_client_t *cl = c->cl;
  if (!req) {
    http__cconn_close(c);
    return;
  }
  if (c->reused && !req->resp.any && req->idempotent && !req->retried &&
      stale(err) && !cl->closing) {
    int rc = detach(c, req, true);
    http__cconn_close(c);
    if (rc) {
      http__creq_finish(req, rc);
      return;
    }
    req->retried = true;
    req->state = CREQ_QUEUED;
    cl->st.retries++;
    wait_push_front(cl, req);
    cl->dispatch(cl);
    return;
  }
  http__creq_finish(req, err == UV_EOF ? -ECONNRESET : err);
}

static void hold(http_cconn_t *c, const uint8_t *p, size_t n) {
  http__cconn_read_stop(c);
  if (n && tr_bytes_append(&c->pending, p, n))
    http__creq_finish(c->req, -ENOMEM);
}

/* The server closed (err UV_EOF) or the socket failed. */
static void at_eof(http_cconn_t *c, int err) {
  http_creq_t *req = c->req;
  if (req->paused || c->pending.len)
    return; /* after what is held, from http__creq_kick */
  if (err != UV_EOF) {
    if (!req->resp.any)
      conn_error(c, err);
    else
      http__creq_finish(req, req->resp.err ? req->resp.err : TR_ETRUNC);
    return;
  }
  int rc = http__resp_eof(&req->resp);
  if (rc == HTTP__RESP_DONE) {
    c->eof = true;
    http__creq_finish(req, 0);
  } else {
    conn_error(c, rc);
  }
}

static void tls_read(http_cconn_t *c, const uint8_t *p, size_t n);

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  http_cconn_t *c = s->data;
  if (c->state == CC_CLOSING || nread == 0)
    return;
  if (c->state == CC_IDLE) { /* EOF, or bytes nobody asked for */
    /* TLS 1.3 servers may send session tickets after a response: records
     * that decrypt to nothing keep the connection. */
    uint8_t b[1];
    if (nread > 0 && c->tls &&
        !http_tls_recv(c->tls, (const uint8_t *)buf->base, (size_t)nread) &&
        http_tls_read(c->tls, b, sizeof b) == 0 && !http_tls_closed(c->tls))
      return;
    http__cconn_close(c);
    return;
  }
  if (nread < 0) {
    c->reading = false;
    uv_read_stop(s);
    c->eof = true;
    c->read_err = (int)nread;
    at_eof(c, (int)nread);
    return;
  }
  c->progress_ms = now(c->cl);
  if (c->tls)
    tls_read(c, (const uint8_t *)buf->base, (size_t)nread);
  else
    feed(c, (const uint8_t *)buf->base, (size_t)nread);
}

static void feed(http_cconn_t *c, const uint8_t *p, size_t n) {
  http_creq_t *req = c->req;
  while (n > 0) {
    if (req->paused && req->resp.head_done) {
      hold(c, p, n);
      return;
    }
    size_t used = 0;
    c->in_feed = true;
    int rc = http__resp_feed(&req->resp, p, n, &used);
    c->in_feed = false;
    if (req->state != CREQ_ACTIVE || c->req != req)
      return; /* cancelled from a callback, or the client freed */
    p += used;
    n -= used;
    if (rc < 0) {
      conn_error(c, rc);
      return;
    }
    if (rc == HTTP__RESP_DONE) {
      if (n) /* bytes after the response: the stream is out of step */
        c->eof = true;
      http__creq_finish(req, 0);
      return;
    }
    if (rc == HTTP__RESP_PAUSED) {
      hold(c, p, n);
      return;
    }
  }
  arm(c);
}

/* Resume: feed what was held, then the EOF that waited, or read again. */
void http__creq_kick(http_creq_t *req) {
  http_cconn_t *c = req->conn;
  /* The idle timeout counts from the resume, not from the last byte
   * before a pause that may have lasted minutes. */
  c->progress_ms = now(c->cl);
  if (c->pending.len) {
    tr_bytes_t b = c->pending;
    memset(&c->pending, 0, sizeof c->pending);
    feed(c, b.data, b.len);
    tr_bytes_free(&b);
  }
  if (req->state != CREQ_ACTIVE || c->req != req || req->paused ||
      c->pending.len)
    return;
  if (c->eof)
    at_eof(c, c->read_err ? c->read_err : UV_EOF);
  else
    read_start(c);
  if (c->req == req)
    arm(c);
}

/* ------------------------------------------------- parser to callbacks */

static int head_cb(void *ud, int status, const http_header_t *h, size_t nh) {
  http_creq_t *req = ud;
  if (req->state != CREQ_ACTIVE)
    return -ECANCELED;
  if (req->cbs.on_head) {
    int rc = req->cbs.on_head(req, status, h, nh, req->ud);
    if (req->state != CREQ_ACTIVE)
      return -ECANCELED;
    if (rc)
      return rc < 0 ? rc : -ECANCELED;
  }
  return req->paused ? HTTP__PAUSE : HTTP__GO;
}

static int body_cb(void *ud, const uint8_t *p, size_t n) {
  http_creq_t *req = ud;
  if (req->state != CREQ_ACTIVE)
    return -ECANCELED;
  if (req->cbs.on_body) {
    int rc = req->cbs.on_body(req, p, n, req->ud);
    if (req->state != CREQ_ACTIVE)
      return -ECANCELED;
    if (rc)
      return rc < 0 ? rc : -ECANCELED;
  }
  return req->paused ? HTTP__PAUSE : HTTP__GO;
}

/* ------------------------------------------------------------ writing */

static void on_write(uv_write_t *w, int status) {
  http_cconn_t *c = w->data;
  c->write_pending = false;
  tr_bytes_free(&c->wire);
  if (c->state == CC_CLOSING || status == 0 || !c->req)
    return;
  /* The server may have answered before it stopped reading (a 413): let
   * the read side finish what it has. */
  if (!c->req->resp.any)
    conn_error(c, status);
}

/* ---------------------------------------------------------------- TLS */

/* A write of ciphertext: its own request and bytes, so that handshake
 * records and the request may be in flight together. */
typedef struct tls_write {
  uv_write_t w;
  http_cconn_t *c;
  tr_bytes_t b;
} tls_write_t;

static void on_tls_write(uv_write_t *w, int status) {
  tls_write_t *tw = w->data;
  http_cconn_t *c = tw->c;
  tr_bytes_free(&tw->b);
  tr_free(tw);
  if (c->state == CC_CLOSING || status == 0 || !c->req)
    return;
  if (!c->req->resp.any)
    conn_error(c, status);
}

/* Send what the session has to send.  0 or an error (the caller ends the
 * request). */
static int tls_flush(http_cconn_t *c) {
  tls_write_t *tw = tr_calloc(1, sizeof *tw);
  if (!tw)
    return -ENOMEM;
  int rc = http_tls_take(c->tls, &tw->b);
  if (rc || !tw->b.len) {
    tr_bytes_free(&tw->b);
    tr_free(tw);
    return rc;
  }
  tw->c = c;
  tw->w.data = tw;
  uv_buf_t b = uv_buf_init((char *)tw->b.data, (unsigned)tw->b.len);
  rc = uv_write(&tw->w, (uv_stream_t *)&c->tcp, &b, 1, on_tls_write);
  if (rc) {
    tr_bytes_free(&tw->b);
    tr_free(tw);
  }
  return rc;
}

static void start_request(http_cconn_t *c);

/* Ciphertext p[0..n) read: finish the handshake (then send the request),
 * decrypt what follows and feed it to the parser. */
static void tls_read(http_cconn_t *c, const uint8_t *p, size_t n) {
  http_creq_t *req = c->req;
  int rc = http_tls_recv(c->tls, p, n);
  if (!rc && !c->tls_ready) {
    rc = http_tls_handshake(c->tls);
    int frc = tls_flush(c);
    if (rc == HTTP_TLS_AGAIN && !frc) {
      arm(c);
      return;
    }
    if (!rc && !frc) {
      c->tls_ready = true;
      start_request(c);
      if (req->state != CREQ_ACTIVE || c->req != req)
        return;
    } else if (!rc) {
      rc = frc;
    }
  }
  while (!rc) {
    long k = http_tls_read(c->tls, c->cl->tlsbuf, sizeof c->cl->tlsbuf);
    if (k <= 0) {
      rc = (int)k;
      break;
    }
    feed(c, c->cl->tlsbuf, (size_t)k);
    if (req->state != CREQ_ACTIVE || c->req != req)
      return;
  }
  if (rc) /* never retried: a broken session is not a stale connection */
    http__creq_finish(req, rc);
  else
    arm(c);
}

/* Connected: the handshake's first flight. */
static void tls_start(http_cconn_t *c) {
  http_client_t *cl = c->cl;
  int rc = cl->tls_ctx ? 0 : http_tls_ctx_new(&cl->tls_ctx);
  if (!rc)
    rc = http_tls_new(cl->tls_ctx, c->req->host, &c->tls);
  if (!rc) {
    rc = http_tls_handshake(c->tls);
    rc = rc == HTTP_TLS_AGAIN ? tls_flush(c) : rc ? rc : TR_ETLS;
  }
  if (rc) {
    http__creq_finish(c->req, rc);
    return;
  }
  c->stage_ms = now(cl);
  http__resp_free(&c->req->resp);
  http__resp_init(&c->req->resp, c->req->head_method, cl->o.max_header_bytes,
                  c->req->max_body, head_cb, body_cb, c->req);
  read_start(c);
  arm(c);
}

/* ------------------------------------------------------- the request */

static void start_request(http_cconn_t *c) {
  http_creq_t *req = c->req;
  http_client_t *cl = c->cl;
  http__resp_free(&req->resp);
  http__resp_init(&req->resp, req->head_method, cl->o.max_header_bytes,
                  req->max_body, head_cb, body_cb, req);
  c->eof = false;
  c->read_err = 0;
  c->pending.len = 0;
  c->stage_ms = c->progress_ms = now(cl);
  if (c->tls) {
    int rc = http_tls_write(c->tls, req->wire.data, req->wire.len);
    if (!rc)
      rc = tls_flush(c);
    if (rc) {
      http__creq_finish(req, rc);
      return;
    }
    read_start(c);
    arm(c);
    return;
  }
  uv_buf_t b = uv_buf_init((char *)req->wire.data, (unsigned)req->wire.len);
  c->wreq.data = c;
  int rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
  if (rc) {
    conn_error(c, rc);
    return;
  }
  c->write_pending = true;
  read_start(c);
  arm(c);
}

void http__cconn_assign(http_cconn_t *c, http_creq_t *req) {
  assert(c->state == CC_IDLE && !c->req);
  c->cl->nidle--;
  c->state = CC_BUSY;
  c->req = req;
  req->conn = c;
  c->cl->st.reqs_reused++;
  start_request(c);
}

/* ------------------------------------------------- resolve and connect */

static void on_tcp_retry_closed(uv_handle_t *h);
static void on_connect(uv_connect_t *cr, int status);

static void try_next(http_cconn_t *c) {
  http_client_t *cl = c->cl;
  while (c->ai_next) {
    struct addrinfo *a = c->ai_next;
    c->ai_next = a->ai_next;
    int rc = uv_tcp_init(cl->loop, &c->tcp);
    if (rc) {
      c->last_err = rc;
      break;
    }
    c->tcp.data = c;
    c->tcp_open = true;
    c->nhandles++;
    c->connect.data = c;
    rc = uv_tcp_connect(&c->connect, &c->tcp, a->ai_addr, on_connect);
    if (rc == 0)
      return;
    c->last_err = rc;
    uv_close((uv_handle_t *)&c->tcp, on_tcp_retry_closed);
    return;
  }
  http__creq_finish(c->req, c->last_err ? c->last_err : -EHOSTUNREACH);
}

static void on_tcp_retry_closed(uv_handle_t *h) {
  http_cconn_t *c = h->data;
  c->tcp_open = false;
  c->nhandles--;
  if (c->state == CC_CLOSING)
    conn_free_maybe(c);
  else
    try_next(c);
}

static void on_connect(uv_connect_t *cr, int status) {
  http_cconn_t *c = cr->data;
  if (c->state == CC_CLOSING || status == UV_ECANCELED)
    return;
  if (status < 0) {
    c->last_err = status;
    uv_close((uv_handle_t *)&c->tcp, on_tcp_retry_closed);
    return;
  }
  uv_freeaddrinfo(c->ai);
  c->ai = c->ai_next = NULL;
  uv_tcp_nodelay(&c->tcp, 1);
  c->cl->st.conns_opened++;
  c->state = CC_BUSY;
  if (c->req->tls)
    tls_start(c);
  else
    start_request(c);
}

static int map_gai(int status) {
  switch (status) {
  case UV_EAI_NONAME:
#ifdef UV_EAI_NODATA
  case UV_EAI_NODATA:
#endif
    return -ENXIO;
  case UV_EAI_AGAIN:
    return -EAGAIN;
  case UV_EAI_MEMORY:
    return -ENOMEM;
  case UV_EAI_CANCELED:
    return -ECANCELED;
  default:
    return -EHOSTUNREACH;
  }
}

static void on_resolved(uv_getaddrinfo_t *g, int status, struct addrinfo *res) {
  http_cconn_t *c = g->data;
  c->gai_pending = false;
  if (c->state == CC_CLOSING) {
    if (res)
      uv_freeaddrinfo(res);
    conn_free_maybe(c);
    return;
  }
  if (status < 0) {
    http__creq_finish(c->req, map_gai(status));
    return;
  }
  c->ai = c->ai_next = res;
  c->state = CC_CONNECTING;
  try_next(c);
}

void http__cconn_open(http_client_t *cl, http_creq_t *req) {
  http_cconn_t *c = tr_calloc(1, sizeof *c);
  if (!c) {
    http__creq_finish(req, -ENOMEM);
    return;
  }
  c->cl = cl;
  memcpy(c->key, req->key, sizeof c->key);
  c->state = CC_RESOLVING;
  c->req = req;
  req->conn = c;
  c->next = cl->conns;
  if (cl->conns)
    cl->conns->prev = c;
  cl->conns = c;
  cl->nconns++;
  cl->nalloc++;
  /* uv_timer_init cannot fail (libuv returns 0 always). */
  (void)uv_timer_init(cl->loop, &c->timer);
  c->timer.data = c;
  c->nhandles = 1;
  c->stage_ms = now(cl);
  char port[8];
  snprintf(port, sizeof port, "%u", req->port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC,
                           .ai_socktype = SOCK_STREAM,
                           .ai_protocol = IPPROTO_TCP,
                           .ai_flags = AI_NUMERICSERV};
  c->gai.data = c;
  int rc = uv_getaddrinfo(cl->loop, &c->gai, on_resolved, req->host, port, &hints);
  if (rc) {
    http__creq_finish(req, map_gai(rc));
    return;
  }
  c->gai_pending = true;
  arm(c);
}

/* ------------------------------------------------------------- finish */

void http__creq_finish(http_creq_t *req, int status) {
  if (req->state == CREQ_DONE)
    return;
  http_client_t *cl = req->cl;
  http_cconn_t *c = req->state == CREQ_ACTIVE ? req->conn : NULL;
  if (req->state == CREQ_QUEUED)
    http__wait_unlink(cl, req);
  bool reuse = c && status == 0 && req->resp.keep_alive && !c->eof &&
               !c->pending.len && !c->write_pending && !cl->closing &&
               c->state == CC_BUSY;
  if (c)
    detach(c, req, false);
  req->state = CREQ_DONE;
  req->result = status;
  req->prev = req->next = NULL;
  if (cl->done_tail)
    cl->done_tail->next = req;
  else
    cl->done_head = req;
  cl->done_tail = req;
  idle_start(cl);
  if (!c || c->state == CC_CLOSING)
    return;
  if (!reuse) {
    http__cconn_close(c);
    return;
  }
  c->state = CC_IDLE;
  c->reused = true;
  c->idle_since = now(cl);
  cl->nidle++;
  read_start(c); /* to see the server close it */
  arm(c);
  cl->dispatch(cl);
}

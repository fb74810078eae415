/*
 * server.c — the listening socket, connections, limits and the write path.
 *
 * Memory per idle connection is what it holds: the connection struct with
 * its libuv handles (well under 1 KiB).  Reads go into one buffer per loop
 * (the server's), and the framing layers copy only what they keep (headers,
 * a partial pipelined request), so 10,000 idle keep-alive connections cost a
 * few MiB.
 *
 * Writes are coalesced: response headers and small bodies gather in c->out
 * and go to the socket in one uv_write when the response ends or when out
 * passes HTTP_WRITE_CHUNK.  c->inflight counts bytes libuv has not written
 * yet; together they are what http_res_buffered() reports.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http_int.h"

#define HTTP_WRITE_CHUNK (64u << 10)

void http_limits_default(http_limits_t *l) {
  l->max_conns = 20000;
  l->max_conns_per_ip = 2000;
  l->max_header_bytes = 16 << 10;
  l->header_timeout_ms = 10000;
  l->idle_timeout_ms = 120000;
  l->body_timeout_ms = 60000;
  l->rate_per_ip = 2000;
  l->rate_burst = 4000;
  l->max_streams = 100;
}

/* ------------------------------------------------------------ addresses */

static uint32_t ip_hash(const char *s) {
  uint32_t h = 2166136261u;
  while (*s)
    h = (h ^ (uint8_t)*s++) * 16777619u;
  return h % HTTP_IP_BUCKETS;
}

static http_ip_t *ip_get(http_server_t *s, const char *addr) {
  http_ip_t **pp = &s->ips[ip_hash(addr)];
  for (http_ip_t *p = *pp; p; p = p->next)
    if (!strcmp(p->addr, addr))
      return p;
  http_ip_t *p = tr_calloc(1, sizeof *p);
  if (!p)
    return NULL;
  snprintf(p->addr, sizeof p->addr, "%s", addr);
  p->tokens = s->lim.rate_burst;
  p->refill_ms = uv_now(s->loop);
  p->next = *pp;
  *pp = p;
  return p;
}

/* Forget an address once it has no connections and a full bucket: a client
 * that reconnects for each request keeps its (partly empty) bucket. */
static void ip_release(http_server_t *s, http_ip_t *ip) {
  if (ip->conns || ip->tokens < s->lim.rate_burst)
    return;
  http_ip_t **pp = &s->ips[ip_hash(ip->addr)];
  while (*pp && *pp != ip)
    pp = &(*pp)->next;
  if (*pp)
    *pp = ip->next;
  tr_free(ip);
}

bool http__rate_ok(http_conn_t *c) {
  http_server_t *s = c->srv;
  if (!s->lim.rate_per_ip || !c->ip)
    return true;
  uint64_t now = uv_now(s->loop);
  http_ip_t *ip = c->ip;
  ip->tokens += (double)(now - ip->refill_ms) * s->lim.rate_per_ip / 1000.0;
  if (ip->tokens > s->lim.rate_burst)
    ip->tokens = s->lim.rate_burst;
  ip->refill_ms = now;
  if (ip->tokens < 1)
    return false;
  ip->tokens -= 1;
  return true;
}

const char *http__date(http_server_t *s) {
  uint64_t now = (uint64_t)time(NULL);
  if (now != s->date_sec) {
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(s->date, sizeof s->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    s->date_sec = now;
  }
  return s->date;
}

/* ---------------------------------------------------------- connections */

static void server_unref(http_server_t *s);

static void handle_closed(uv_handle_t *h) {
  http_conn_t *c = h->data;
  if (--c->handles_open > 0)
    return;
  http_server_t *s = c->srv;
  tr_bytes_free(&c->out);
  tr_bytes_free(&c->pending);
  tr_free(c);
  server_unref(s);
}

void http__conn_close(http_conn_t *c) {
  if (c->closing)
    return;
  c->closing = true;
  http_server_t *s = c->srv;
  /* Requests learn that their client is gone; handlers stop producing. */
  if (c->req) {
    http_req_t *r = c->req;
    c->req = NULL;
    http__req_close(r);
  }
  http__h2_free(c);
  if (c->prev)
    c->prev->next = c->next;
  else
    s->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  s->nconns--;
  if (c->ip) {
    c->ip->conns--;
    ip_release(s, c->ip);
  }
  s->pending_closes++; /* the server outlives its closing connections */
  uv_close((uv_handle_t *)&c->timer, handle_closed);
  uv_close((uv_handle_t *)&c->tcp, handle_closed);
}

static void on_timer(uv_timer_t *t) {
  http_conn_t *c = t->data;
  if (c->failed) {
    http__conn_close(c);
    return;
  }
  if (c->proto == 2) {
    /* A repeating check of every stream's progress (http2.c). */
    if (http__h2_check(c))
      http__conn_close(c);
    return;
  }
  /* A request whose handler is still working (waiting on a worker, say)
   * while the client reads everything is not the client's fault. */
  if (c->proto == 1 && c->req && c->req->state == REQ_ACTIVE &&
      http__conn_buffered(c) == 0 && c->req->body_done) {
    http__conn_timer(c);
    return;
  }
  http__conn_close(c);
}

void http__conn_fail(http_conn_t *c) {
  if (c->closing || c->failed)
    return;
  c->failed = true;
  http__conn_read_stop(c);
  uv_timer_start(&c->timer, on_timer, 0, 0);
}

void http__conn_timer(http_conn_t *c) {
  if (c->closing || c->failed)
    return;
  const http_limits_t *l = &c->srv->lim;
  uint64_t ms;
  if (c->proto == 2) {
    /* Not re-armed by each read: a peer that sends a frame now and then
     * (PING, a WINDOW_UPDATE of 1) must not keep stalled streams alive.
     * The check runs four times per timeout; streams carry their own
     * progress times. */
    if (uv_is_active((uv_handle_t *)&c->timer))
      return;
    uint64_t shortest = l->body_timeout_ms < l->idle_timeout_ms
                            ? l->body_timeout_ms
                            : l->idle_timeout_ms;
    uint64_t every = shortest / 4 > 25 ? shortest / 4 : 25;
    uv_timer_start(&c->timer, on_timer, every, every);
    return;
  }
  if (c->req && c->req->state == REQ_PARSING) {
    /* Slowloris: the deadline runs from the request's first byte and is
     * not pushed back by each further byte. */
    uint64_t now = uv_now(c->srv->loop), end = c->req_start_ms + l->header_timeout_ms;
    ms = end > now ? end - now : 1;
  } else if (c->req)
    ms = l->body_timeout_ms;
  else
    ms = l->idle_timeout_ms;
  uv_timer_start(&c->timer, on_timer, ms, 0);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)hint;
  http_conn_t *c = h->data;
  buf->base = c->srv->readbuf;
  buf->len = HTTP_READ_BUF;
}

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  http_conn_t *c = st->data;
  if (n == 0 || c->closing)
    return;
  if (n < 0) {
    c->eof = true;
    http__conn_close(c);
    return;
  }
  const uint8_t *p = (const uint8_t *)buf->base;
  size_t len = (size_t)n;
  if (c->proto == 0) {
    /* Prior-knowledge HTTP/2 starts with the connection preface. */
    size_t cmp = len < sizeof h2_preface - 1 ? len : sizeof h2_preface - 1;
    if (!memcmp(p, h2_preface, cmp) && len >= sizeof h2_preface - 1) {
      if (http__h2_init(c, NULL, NULL, 0)) {
        http__conn_close(c);
        return;
      }
    } else
      c->proto = 1;
  }
  int rc = c->proto == 2 ? http__h2_feed(c, p, len) : http__h1_feed(c, p, len);
  if (rc)
    http__conn_close(c);
  else if (!c->closing)
    http__conn_timer(c);
}

void http__conn_read_start(http_conn_t *c) {
  if (c->reading || c->closing || c->eof)
    return;
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
    c->reading = true;
}

void http__conn_read_stop(http_conn_t *c) {
  if (!c->reading)
    return;
  uv_read_stop((uv_stream_t *)&c->tcp);
  c->reading = false;
}

/* A connection the server cannot take (out of memory) is still accepted,
 * into the server's one spare handle, and closed at once: libuv does not
 * call on_conn again until the pending connection has been accepted, so
 * leaving it would make the listener deaf for good.  While the spare is
 * closing, the next refusal waits for its close callback (accept_pending),
 * which accepts again. */
static void on_conn(uv_stream_t *ls, int status);

static void server_unref(http_server_t *s) {
  if (--s->pending_closes == 0 && s->stopping) {
    void (*cb)(void *) = s->stop_cb;
    void *ud = s->stop_ud;
    tr_free(s);
    if (cb)
      cb(ud);
  }
}

static void reject_closed(uv_handle_t *h) {
  http_server_t *s = h->data;
  s->reject_busy = false;
  if (s->accept_pending && !s->stopping) {
    s->accept_pending = false;
    on_conn((uv_stream_t *)&s->listener, 0);
  }
  server_unref(s);
}

static void reject(http_server_t *s) {
  if (s->reject_busy || uv_tcp_init(s->loop, &s->reject)) {
    s->accept_pending = true;
    return;
  }
  s->reject_busy = true;
  s->reject.data = s;
  s->pending_closes++;
  (void)uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&s->reject);
  uv_close((uv_handle_t *)&s->reject, reject_closed);
}

static void peer_name(uv_tcp_t *tcp, char addr[48]) {
  struct sockaddr_storage sa;
  int salen = sizeof sa;
  snprintf(addr, 48, "?");
  if (uv_tcp_getpeername(tcp, (struct sockaddr *)&sa, &salen) == 0) {
    if (sa.ss_family == AF_INET)
      uv_ip4_name((struct sockaddr_in *)&sa, addr, 48);
    else
      uv_ip6_name((struct sockaddr_in6 *)&sa, addr, 48);
  }
}

static void on_conn(uv_stream_t *ls, int status) {
  http_server_t *s = ls->data;
  if (status < 0 || s->stopping)
    return;
  http_conn_t *c = tr_calloc(1, sizeof *c);
  if (!c || uv_timer_init(s->loop, &c->timer)) {
    tr_free(c);
    reject(s);
    return;
  }
  if (uv_tcp_init(s->loop, &c->tcp)) {
    c->timer.data = c;
    c->handles_open = 1; /* the timer only */
    c->srv = s;
    s->pending_closes++;
    uv_close((uv_handle_t *)&c->timer, handle_closed);
    reject(s);
    return;
  }
  c->srv = s;
  c->tcp.data = c->timer.data = c;
  c->handles_open = 2;
  c->next = s->conns;
  if (s->conns)
    s->conns->prev = c;
  s->conns = c;
  s->nconns++;
  if (uv_accept(ls, (uv_stream_t *)&c->tcp)) {
    http__conn_close(c);
    return;
  }
  char addr[48];
  peer_name(&c->tcp, addr);
  /* c->ip is set only once the address's count includes c: every close
   * decrements exactly what its accept incremented (a refused connection
   * used to be closed with c->ip set but uncounted, and its close wrapped
   * the counter, locking the address out until restart). */
  http_ip_t *ip = ip_get(s, addr);
  if (!ip || s->nconns > s->lim.max_conns ||
      ip->conns >= s->lim.max_conns_per_ip) {
    /* Over a limit: close at once, before spending anything on it. */
    if (ip)
      ip_release(s, ip);
    http__conn_close(c);
    return;
  }
  c->ip = ip;
  ip->conns++;
  c->write_ms = uv_now(s->loop);
  uv_tcp_nodelay(&c->tcp, 1);
  http__h1_init(c);
  http__conn_read_start(c);
  http__conn_timer(c);
}

/* ---------------------------------------------------------------- writes */

typedef struct wreq {
  uv_write_t w;
  http_conn_t *c;
  size_t n;
  uint8_t data[];
} wreq_t;

size_t http__conn_buffered(const http_conn_t *c) { return c->out.len + c->inflight; }

static void on_write(uv_write_t *w, int status) {
  wreq_t *wr = (wreq_t *)w;
  http_conn_t *c = wr->c;
  c->inflight -= wr->n;
  tr_free(wr);
  if (c->closing)
    return;
  if (status < 0) {
    http__conn_close(c);
    return;
  }
  c->write_ms = uv_now(c->srv->loop);
  if (c->close_when_flushed && http__conn_buffered(c) == 0) {
    http__conn_close(c);
    return;
  }
  http__conn_timer(c);
  if (http__conn_buffered(c) < HTTP_LOW_WATER)
    http__conn_drained(c);
}

/* Write p[0..n) to the socket: straight away as far as the kernel takes
 * it, the rest through a uv_write request holding a copy. */
static int write_bytes(http_conn_t *c, const uint8_t *p, size_t n) {
  size_t off = 0;
  if (c->inflight == 0) {
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    int w = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (w > 0) {
      off = (size_t)w;
      c->write_ms = uv_now(c->srv->loop);
    }
  }
  if (off == n)
    return 0;
  n -= off;
  wreq_t *wr = tr_malloc(sizeof *wr + n);
  if (!wr)
    return -ENOMEM;
  wr->c = c;
  wr->n = n;
  memcpy(wr->data, p + off, n);
  uv_buf_t b = uv_buf_init((char *)wr->data, (unsigned)n);
  int rc = uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, on_write);
  if (rc) {
    tr_free(wr);
    return rc;
  }
  c->inflight += n;
  return 0;
}

int http__conn_flush(http_conn_t *c) {
  if (c->closing || c->failed)
    return -EPIPE;
  int rc = c->out.len ? write_bytes(c, c->out.data, c->out.len) : 0;
  c->out.len = 0;
  if (rc)
    http__conn_fail(c);
  /* Do not keep a large buffer around on an idle connection. */
  if (c->out.cap > HTTP_WRITE_CHUNK * 2)
    tr_bytes_free(&c->out);
  if (!rc && c->close_when_flushed && c->inflight == 0)
    http__conn_close(c);
  return rc;
}

int http__conn_queue(http_conn_t *c, const void *p, size_t n) {
  if (c->closing || c->failed)
    return -EPIPE;
  int rc;
  if (c->out.len + n > HTTP_WRITE_CHUNK && c->out.len &&
      (rc = http__conn_flush(c)))
    goto fail;
  if (n >= HTTP_WRITE_CHUNK)
    rc = write_bytes(c, p, n); /* large: skip the coalescing copy */
  else
    rc = tr_bytes_append(&c->out, p, n);
  if (!rc)
    return 0;
fail:
  /* Bytes lost from the middle of the stream: nothing after them can be
   * framed right, so the connection goes (soon, not under the caller). */
  http__conn_fail(c);
  return rc;
}

void http__conn_drained(http_conn_t *c) {
  if (c->proto == 2) {
    http__h2_send(c);
    return;
  }
  http_req_t *r = c->req;
  if (r && r->on_drain && r->state == REQ_ACTIVE)
    http__drain_later(r);
}

/* ---------------------------------------------------------------- drains */

static void on_idle(uv_idle_t *h) {
  http_server_t *s = h->data;
  http_req_t *list = s->drain_head;
  s->drain_head = NULL;
  uv_idle_stop(&s->idle);
  while (list) {
    http_req_t *r = list;
    list = r->drain_next;
    r->in_drain = false;
    r->drain_next = r->drain_prev = NULL;
    http_drain_cb cb = r->on_drain;
    r->on_drain = NULL;
    if (cb && !r->closed && !r->ended)
      cb(r, r->drain_ud);
  }
}

void http__drain_later(http_req_t *r) {
  if (r->in_drain || !r->conn)
    return;
  http_server_t *s = r->conn->srv;
  r->in_drain = true;
  r->drain_srv = s;
  r->drain_prev = NULL;
  r->drain_next = s->drain_head;
  if (s->drain_head)
    s->drain_head->drain_prev = r;
  s->drain_head = r;
  uv_idle_start(&s->idle, on_idle);
}

void http__drain_cancel(http_req_t *r) {
  if (!r->in_drain)
    return;
  /* The request may have lost its connection; the list lives on the server
   * it was queued on, reached through the neighbours or the head. */
  if (r->drain_prev)
    r->drain_prev->drain_next = r->drain_next;
  else if (r->drain_srv)
    r->drain_srv->drain_head = r->drain_next;
  if (r->drain_next)
    r->drain_next->drain_prev = r->drain_prev;
  r->in_drain = false;
}

/* --------------------------------------------------------------- server */

static void server_handle_closed(uv_handle_t *h) { server_unref(h->data); }

int http_server_start(uv_loop_t *loop, const char *host, int port,
                    const http_limits_t *limits, http_handler_fn handler,
                    void *ud, http_server_t **srvp) {
  http_server_t *s = tr_calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->loop = loop;
  if (limits)
    s->lim = *limits;
  else
    http_limits_default(&s->lim);
  s->handler = handler;
  s->ud = ud;
  struct sockaddr_storage sa;
  int rc = strchr(host, ':') ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&sa)
                             : uv_ip4_addr(host, port, (struct sockaddr_in *)&sa);
  if (rc == 0)
    rc = uv_idle_init(loop, &s->idle);
  if (rc) {
    tr_free(s);
    return rc;
  }
  s->idle.data = s;
  rc = uv_tcp_init(loop, &s->listener);
  if (rc) {
    s->stopping = true;
    s->pending_closes = 1;
    uv_close((uv_handle_t *)&s->idle, server_handle_closed);
    return rc;
  }
  s->listener.data = s;
  rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&sa, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&s->listener, 4096, on_conn);
  if (rc) {
    /* libuv needs both handles (they live inside s) until their close
     * callbacks have run, in an order it chooses: s is freed by the last
     * one.  Freeing it in the listener's callback was a use-after-free,
     * as libuv finished the idle handle after it. */
    s->stopping = true;
    s->pending_closes = 2;
    uv_close((uv_handle_t *)&s->idle, server_handle_closed);
    uv_close((uv_handle_t *)&s->listener, server_handle_closed);
    return rc;
  }
  *srvp = s;
  return 0;
}

int http_server_port(const http_server_t *s) {
  struct sockaddr_storage sa;
  int len = sizeof sa;
  if (uv_tcp_getsockname(&s->listener, (struct sockaddr *)&sa, &len))
    return -1;
  return sa.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&sa)->sin_port)
                                 : ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
}

uint32_t http_server_conns(const http_server_t *s) { return s->nconns; }

uint32_t http_server_conns_from(const http_server_t *s, const char *addr) {
  for (const http_ip_t *p = s->ips[ip_hash(addr)]; p; p = p->next)
    if (!strcmp(p->addr, addr))
      return p->conns;
  return 0;
}

void http_server_stop(http_server_t *s, void (*cb)(void *ud), void *ud) {
  s->stopping = true;
  s->stop_cb = cb;
  s->stop_ud = ud;
  s->pending_closes += 2; /* the listener and the idle handle */
  while (s->drain_head)
    http__drain_cancel(s->drain_head);
  uv_close((uv_handle_t *)&s->idle, server_handle_closed);
  while (s->conns)
    http__conn_close(s->conns);
  for (int i = 0; i < HTTP_IP_BUCKETS; i++)
    while (s->ips[i]) {
      http_ip_t *n = s->ips[i]->next;
      tr_free(s->ips[i]);
      s->ips[i] = n;
    }
  uv_close((uv_handle_t *)&s->listener, server_handle_closed);
}

/*
 * conn.c — a connection's I/O, beneath both framings: the output queue and
 * the socket writes, reading on and off, the timers, closing, the drain
 * callbacks of http_res_on_drain, the per-address table with its request
 * rate limit, and the cached Date value.
 *
 * It calls no framing: what differs between HTTP/1.1 and HTTP/2 (feeding
 * bytes read, what a timeout means, what a drained socket wakes, what a
 * closing connection releases) it asks of the connection's protocol table,
 * c->proto (http_int.h).  server.c accepts connections and sets the table;
 * http1.c and http2.c replace it when the framing is known.
 *
 * Memory per idle connection is what it holds: the connection struct with
 * its libuv handles (well under 1 KiB).  Reads go into one buffer per
 * server (or into the memory a body's handler lends, on_alloc), and the
 * framing layers copy only what they keep (headers, a partial pipelined
 * request), so 10,000 idle keep-alive connections cost a few MiB.
 *
 * Writes are coalesced: response headers and small bodies gather in c->out
 * and go to the socket in one uv_write when the response ends or when out
 * passes HTTP_WRITE_CHUNK.  c->inflight counts bytes libuv has not written
 * yet; together they are what http__conn_buffered() reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http_int.h"

#define HTTP_WRITE_CHUNK (64u << 10)

/* ------------------------------------------------------------ addresses */

static uint32_t ip_hash(const char *s) {
  uint32_t h = 2166136261u;
  while (*s)
    h = (h ^ (uint8_t)*s++) * 16777619u;
  return h % HTTP_IP_BUCKETS;
}

/* The lock of bucket's stripe, when the table is shared. */
static void ip_lock(http_server_t *s, uint32_t bucket) {
  if (s->ipstripe)
    pthread_mutex_lock(&s->ipstripe[bucket % HTTP_IP_STRIPES].mu);
}

static void ip_unlock(http_server_t *s, uint32_t bucket) {
  if (s->ipstripe)
    pthread_mutex_unlock(&s->ipstripe[bucket % HTTP_IP_STRIPES].mu);
}

static http_ip_t *ip_find(http_ip_t *const *ips, uint32_t bucket,
                          const char *addr) {
  for (http_ip_t *p = ips[bucket]; p; p = p->next)
    if (!strcmp(p->addr, addr))
      return p;
  return NULL;
}

/* Forget an address once it has no connections and a full bucket: a client
 * that reconnects for each request keeps its (partly empty) bucket.  Under
 * the lock. */
static void ip_release(http_server_t *s, http_ip_t *ip) {
  if (ip->conns || ip->tokens < s->lim.rate_burst)
    return;
  http_ip_t **pp = &s->ips[ip->bucket];
  while (*pp && *pp != ip)
    pp = &(*pp)->next;
  if (*pp)
    *pp = ip->next;
  tr_free(ip);
}

http_ip_t *http__ip_take(http_server_t *s, const char *addr) {
  uint32_t bucket = ip_hash(addr);
  ip_lock(s, bucket);
  http_ip_t *p = ip_find(s->ips, bucket, addr);
  if (!p && (p = tr_calloc(1, sizeof *p))) {
    snprintf(p->addr, sizeof p->addr, "%s", addr);
    p->bucket = bucket;
    p->tokens = s->lim.rate_burst;
    p->refill_ms = uv_now(s->loop);
    http_ip_t **pp = &s->ips[bucket];
    p->next = *pp;
    *pp = p;
  }
  if (p && p->conns >= s->lim.max_conns_per_ip) {
    ip_release(s, p);
    p = NULL;
  } else if (p)
    p->conns++;
  ip_unlock(s, bucket);
  return p;
}

void http__ip_put(http_server_t *s, http_ip_t *ip) {
  uint32_t bucket = ip->bucket; /* ip may be freed */
  ip_lock(s, bucket);
  ip->conns--;
  ip_release(s, ip);
  ip_unlock(s, bucket);
}

bool http__rate_ok(http_conn_t *c) {
  http_server_t *s = c->srv;
  if (!s->lim.rate_per_ip || !c->ip)
    return true;
  /* Loops' clocks (uv_now) are all the monotonic clock, each cached at its
   * own loop turn: a few ms apart at most, which the bucket absorbs. */
  uint64_t now = uv_now(s->loop);
  http_ip_t *ip = c->ip;
  ip_lock(s, ip->bucket);
  if (now > ip->refill_ms) {
    ip->tokens += (double)(now - ip->refill_ms) * s->lim.rate_per_ip / 1000.0;
    ip->refill_ms = now;
  }
  if (ip->tokens > s->lim.rate_burst)
    ip->tokens = s->lim.rate_burst;
  bool ok = ip->tokens >= 1;
  if (ok)
    ip->tokens -= 1;
  ip_unlock(s, ip->bucket);
  return ok;
}

const char *http__date(http_server_t *s) {
  uint64_t now = (uint64_t)time(NULL);
  if (now != s->date_sec) {
    http_date_format((int64_t)now, s->date);
    s->date_sec = now;
  }
  return s->date;
}


uint32_t http_server_conns_from(const http_server_t *cs, const char *addr) {
  http_server_t *s = (http_server_t *)cs; /* the lock, not the table */
  uint32_t bucket = ip_hash(addr);
  ip_lock(s, bucket);
  const http_ip_t *p = ip_find(s->ips, bucket, addr);
  uint32_t n = p ? p->conns : 0;
  ip_unlock(s, bucket);
  return n;
}

int http_ipshare_new(http_ipshare_t **out) {
  http_ipshare_t *sh = tr_calloc(1, sizeof *sh);
  if (!sh)
    return -ENOMEM;
  for (int i = 0; i < HTTP_IP_STRIPES; i++) {
    int rc = pthread_mutex_init(&sh->stripe[i].mu, NULL);
    if (rc) {
      while (i--)
        pthread_mutex_destroy(&sh->stripe[i].mu);
      tr_free(sh);
      return -rc;
    }
  }
  *out = sh;
  return 0;
}

void http_ipshare_free(http_ipshare_t *sh) {
  if (!sh)
    return;
  for (int i = 0; i < HTTP_IP_BUCKETS; i++)
    while (sh->ips[i]) {
      http_ip_t *n = sh->ips[i]->next;
      tr_free(sh->ips[i]);
      sh->ips[i] = n;
    }
  for (int i = 0; i < HTTP_IP_STRIPES; i++)
    pthread_mutex_destroy(&sh->stripe[i].mu);
  tr_free(sh);
}

/* ---------------------------------------------------------- connections */

static void handle_closed(uv_handle_t *h) {
  http_conn_t *c = h->data;
  if (--c->handles_open > 0)
    return;
  http_server_t *s = c->srv;
  while (c->nfds)
    close(c->fds[--c->nfds]);
  tr_bytes_free(&c->out);
  tr_bytes_free(&c->pending);
  tr_free(c);
  http__server_unref(s);
}

int http__sock_init(http_server_t *s, http_sock_t *k, bool conn) {
  /* A Unix connection is an IPC pipe, so that libuv reads it with
   * recvmsg and keeps the descriptors a client passes (take_fds). */
  return s->is_unix ? uv_pipe_init(s->loop, &k->pipe, conn)
                    : uv_tcp_init(s->loop, &k->tcp);
}

http_conn_t *http__conn_new(http_server_t *s, const http_proto_t *proto) {
  http_conn_t *c = tr_calloc(1, sizeof *c);
  if (!c || uv_timer_init(s->loop, &c->timer)) {
    tr_free(c);
    return NULL;
  }
  c->srv = s;
  c->proto = proto;
  if (http__sock_init(s, &c->sock, true)) {
    c->timer.data = c;
    c->handles_open = 1; /* the timer only */
    s->pending_closes++;
    uv_close((uv_handle_t *)&c->timer, handle_closed);
    return NULL;
  }
  c->sock.handle.data = c->timer.data = c;
  c->handles_open = 2;
  c->next = s->conns;
  if (s->conns)
    s->conns->prev = c;
  s->conns = c;
  s->nconns++;
  return c;
}

void http__conn_close(http_conn_t *c) {
  if (c->closing)
    return;
  c->closing = true;
  http_server_t *s = c->srv;
  /* Requests learn that their client is gone; handlers stop producing. */
  if (c->proto->free)
    c->proto->free(c);
  if (c->prev)
    c->prev->next = c->next;
  else
    s->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  s->nconns--;
  if (c->ip)
    http__ip_put(s, c->ip);
  s->pending_closes++; /* the server outlives its closing connections */
  uv_close((uv_handle_t *)&c->timer, handle_closed);
  uv_close(&c->sock.handle, handle_closed);
}

static void on_timer(uv_timer_t *t) {
  http_conn_t *c = t->data;
  if (c->failed) {
    http__conn_close(c);
    return;
  }
  if (c->proto->version != 2) {
    /* Armed before the deadline moved on (http__conn_timer): not yet. */
    uint64_t now = uv_now(c->srv->loop);
    if (now < c->deadline_ms) {
      c->due_ms = c->deadline_ms;
      uv_timer_start(&c->timer, on_timer, c->deadline_ms - now, 0);
      return;
    }
  }
  /* The framing says whether the time is up (HTTP/1.1: not while the
   * handler works; HTTP/2: a stream's progress); with none chosen yet, the
   * client has sent nothing for the idle timeout.  An HTTP/2 timer repeats,
   * and http__conn_timer leaves a running one alone. */
  if (c->proto->timeout && c->proto->timeout(c) == 0)
    http__conn_timer(c);
  else
    http__conn_close(c);
}

void http__conn_fail(http_conn_t *c) {
  if (c->closing || c->failed)
    return;
  c->failed = true;
  http__conn_read_stop(c);
  c->deadline_ms = c->due_ms = uv_now(c->srv->loop);
  uv_timer_start(&c->timer, on_timer, 0, 0);
}

void http__conn_timer(http_conn_t *c) {
  if (c->closing || c->failed)
    return;
  const http_limits_t *l = &c->srv->lim;
  uint64_t ms;
  if (c->proto->version == 2) {
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
  uint64_t now = uv_now(c->srv->loop);
  if (c->req && c->req->state == REQ_PARSING) {
    /* Slowloris: the deadline runs from the request's first byte and is
     * not pushed back by each further byte. */
    uint64_t end = c->req_start_ms + l->header_timeout_ms;
    ms = end > now ? end - now : 1;
  } else if (c->req) {
    ms = l->body_timeout_ms;
    /* A deadline (http_req_deadline) earlier than that. */
    uint64_t d = c->req->deadline_ms;
    uint64_t left = d > now ? d - now : 1;
    if (d && !c->req->expired && left < ms)
      ms = left;
  } else
    ms = l->idle_timeout_ms;
  c->deadline_ms = now + ms;
  /* The timer is moved every time.  (Leaving a timer that fires no later
   * than the new deadline armed, and arming it again for the rest when it
   * fired early, saved ~1k instructions a request, but it_gwthreads twice
   * found 30 of its 32 in-flight connections gone, once under CI: not
   * kept until that is understood.) */
  c->due_ms = c->deadline_ms;
  uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* HTTP/2 checks its streams from a repeating timer (h2_check); a stream
 * whose deadline comes sooner than the next few checks has them every
 * second. */
#define HTTP_DEADLINE_TICK_MS 1000

void http__conn_deadline(http_conn_t *c, uint64_t deadline_ms) {
  if (c->closing || c->failed)
    return;
  if (c->proto->version != 2) {
    /* Only a deadline before the armed time moves the timer (an hour's,
     * the gateway's default, never does: every request would pay for a
     * timer restart); a later one is seen when the timer is next armed,
     * which every read, write and end of a request does. */
    if (deadline_ms < c->due_ms)
      http__conn_timer(c);
    return;
  }
  /* An hour's deadline is met within one check's period (a quarter of
   * the body timeout) as it is: the timer is left alone. */
  uint64_t now = uv_now(c->srv->loop), rep = uv_timer_get_repeat(&c->timer);
  if (uv_is_active((uv_handle_t *)&c->timer) &&
      (rep <= HTTP_DEADLINE_TICK_MS ||
       (deadline_ms > now && deadline_ms - now >= 4 * rep)))
    return;
  uv_timer_start(&c->timer, on_timer, HTTP_DEADLINE_TICK_MS,
                 HTTP_DEADLINE_TICK_MS);
}

/* Into the room a body's handler lends (http_req_body_lend) while its
 * body streams in over HTTP/1, at most HTTP_LEND_MAX at a time (fewer,
 * larger reads: the loop's cost per read was as large as the copy it
 * saves), else into the server's buffer.  What follows the body in one
 * read (a pipelined request) is held under http1.c's cap, which grows
 * with c->read_max. */
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)hint;
  http_conn_t *c = h->data;
  http_req_t *r = c->req;
  buf->base = c->srv->readbuf;
  buf->len = HTTP_READ_BUF;
  if (r && r->lend && r->on_data && c->proto->version == 1 &&
      r->state == REQ_ACTIVE && !r->body_done && !r->paused &&
      !c->pending.len) {
    uint8_t *base = NULL;
    size_t len = 0;
    r->lend(r, &base, &len, r->body_ud);
    if (base && len) {
      buf->base = (char *)base;
      buf->len = len < HTTP_LEND_MAX ? len : HTTP_LEND_MAX;
      if (buf->len > c->read_max)
        c->read_max = (uint32_t)buf->len;
    }
  }
}

static void fd_handle_closed(uv_handle_t *h) { tr_free(h); }

/* The descriptors libuv received with the last read (over a Unix socket
 * only) onto c->fds, before its bytes are fed: a request that refers to
 * one finds it waiting.  libuv hands a received descriptor out only
 * through uv_accept into a handle, which owns and closes it; a duplicate
 * is kept.  false when the connection must close: more than HTTP_FDS_MAX
 * waiting, or one that could not be taken. */
static bool take_fds(http_conn_t *c) {
  while (uv_pipe_pending_count(&c->sock.pipe) > 0) {
    uv_pipe_t *t = tr_malloc(sizeof *t);
    if (!t || uv_pipe_init(c->srv->loop, t, 0)) {
      tr_free(t);
      return false; /* what stays pending closes with the connection */
    }
    int fd = -1;
    uv_os_fd_t f;
    if (uv_accept(&c->sock.stream, (uv_stream_t *)t) == 0 &&
        uv_fileno((uv_handle_t *)t, &f) == 0)
      fd = fcntl(f, F_DUPFD_CLOEXEC, 0);
    uv_close((uv_handle_t *)t, fd_handle_closed);
    if (fd < 0)
      return false;
    if (c->nfds == HTTP_FDS_MAX) {
      close(fd);
      return false;
    }
    c->fds[c->nfds++] = fd;
  }
  return true;
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  http_conn_t *c = st->data;
  if (n == 0 || c->closing)
    return;
  if (n < 0) {
    c->eof = true;
    http__conn_close(c);
    return;
  }
  if (c->srv->is_unix && !take_fds(c)) {
    tr_log(TR_LOG_WARN, "http: closing a Unix-socket connection: it "
           "passed more descriptors than wait for its requests (%d), or "
           "one that could not be taken", HTTP_FDS_MAX);
    http__conn_close(c);
    return;
  }
  /* On the first read the table is server.c's, which chooses the framing
   * and hands the bytes on to it. */
  int rc = c->proto->feed(c, (const uint8_t *)buf->base, (size_t)n);
  if (rc)
    http__conn_close(c);
  else if (!c->closing)
    http__conn_timer(c);
}

void http__conn_read_start(http_conn_t *c) {
  if (c->reading || c->closing || c->eof)
    return;
  if (uv_read_start(&c->sock.stream, on_alloc, on_read) == 0)
    c->reading = true;
}

void http__conn_read_stop(http_conn_t *c) {
  if (!c->reading)
    return;
  uv_read_stop(&c->sock.stream);
  c->reading = false;
}

void http__server_unref(http_server_t *s) {
  if (--s->pending_closes == 0 && s->stopping) {
    void (*cb)(void *) = s->stop_cb;
    void *ud = s->stop_ud;
    tr_free(s);
    if (cb)
      cb(ud);
  }
}

/* ---------------------------------------------------------------- writes */

typedef struct wreq {
  uv_write_t w;
  http_conn_t *c;
  size_t n;
  uint8_t data[];
} wreq_t;

size_t http__conn_buffered(const http_conn_t *c) { return c->out.len + c->inflight; }

/* The socket's queue fell under HTTP_LOW_WATER: the framing wakes the
 * producers that wait on it. */
static void conn_drained(http_conn_t *c) {
  if (c->proto->drained)
    c->proto->drained(c);
}

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
    conn_drained(c);
}

/* Write p[0..n) to the socket: straight away as far as the kernel takes
 * it, the rest through a uv_write request holding a copy. */
static int write_bytes(http_conn_t *c, const uint8_t *p, size_t n) {
  size_t off = 0;
  if (c->inflight == 0) {
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    int w = uv_try_write(&c->sock.stream, &b, 1);
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
  int rc = uv_write(&wr->w, &c->sock.stream, &b, 1, on_write);
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

int http__conn_reserve(http_conn_t *c, size_t n, uint8_t **out) {
  if (c->closing || c->failed)
    return -EPIPE;
  int rc = 0;
  if (c->out.len + n > HTTP_WRITE_CHUNK && c->out.len)
    rc = http__conn_flush(c);
  if (!rc)
    rc = tr_bytes_reserve(&c->out, n);
  if (!rc) {
    *out = c->out.data + c->out.len;
    return 0;
  }
  http__conn_fail(c); /* as http__conn_queue: the stream lost bytes */
  return rc;
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


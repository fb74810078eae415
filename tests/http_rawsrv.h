/*
 * http_rawsrv.h — raw HTTP/1.1 servers on a libuv loop for
 * test_http_client.c: each answers every request (a head ended by a blank
 * line; bodies are not read) the way its mode says, most of them the way
 * no honest server would (stall, garbage, a 100 KiB head, both framings,
 * bad chunking, closing a pooled connection under the next request), and
 * one streams a big body as fast as the socket takes it, noting when a
 * write would block.  Counters (accepts, requests, connections the client
 * closed) are what the tests assert on.
 */
#ifndef HTTP_RAWSRV_H
#define HTTP_RAWSRV_H

#include "testutil.h"

#include <uv.h>

enum {
  RAW_CL,        /* keep-alive, Content-Length */
  RAW_CLOSE,     /* read-to-close body */
  RAW_STALL,     /* never answers */
  RAW_BODYSTALL, /* a head and part of the body, then nothing */
  RAW_GARBAGE,   /* not HTTP */
  RAW_BIGHEAD,   /* a 100 KiB header */
  RAW_BOTH,      /* Content-Length and chunked */
  RAW_BADCHUNK,  /* a chunk size that is not hex */
  RAW_STALE,     /* answers a connection's first request, closes at its
                    second without answering */
  RAW_STREAM,    /* a big body written as fast as the socket takes it */
  RAW_TWOPART,   /* half a body; the rest when raw_rest_soon() says */
};

typedef struct rawsrv rawsrv_t;
typedef struct rawconn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  rawsrv_t *s;
  char in[8192];
  size_t inlen;
  int nreq, handles;
  size_t sent;
  bool closing;
  struct rawconn *next;
} rawconn_t;

struct rawsrv {
  uv_tcp_t tcp;
  int port, mode, accepts, requests;
  size_t total;     /* RAW_STREAM body size */
  size_t written;   /* RAW_STREAM body bytes the kernel took */
  bool blocked;     /* RAW_STREAM: a write would have blocked */
  int peer_gone;    /* connections the client closed */
  rawconn_t *conns;
};

static void raw_conn_closed(uv_handle_t *h) {
  rawconn_t *c = h->data;
  if (--c->handles == 0) {
    rawconn_t **pp = &c->s->conns;
    while (*pp != c)
      pp = &(*pp)->next;
    *pp = c->next;
    free(c);
  }
}

static void raw_close(rawconn_t *c) {
  if (c->closing)
    return;
  c->closing = true;
  uv_close((uv_handle_t *)&c->tcp, raw_conn_closed);
  uv_close((uv_handle_t *)&c->timer, raw_conn_closed);
}

static void raw_wrote(uv_write_t *w, int status) {
  (void)status;
  free(w->data);
  free(w);
}

static void raw_send(rawconn_t *c, const void *p, size_t n) {
  uv_write_t *w = malloc(sizeof *w);
  char *copy = malloc(n);
  memcpy(copy, p, n);
  w->data = copy;
  uv_buf_t b = uv_buf_init(copy, (unsigned)n);
  assert_int_equal(uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, raw_wrote), 0);
}

static void raw_sends(rawconn_t *c, const char *s) { raw_send(c, s, strlen(s)); }

/* RAW_STREAM: hand the socket as much as it takes now; note when it takes
 * no more (the client stopped reading). */
static void raw_pump(uv_timer_t *t) {
  rawconn_t *c = t->data;
  static char piece[64 << 10];
  memset(piece, 's', sizeof piece);
  rawsrv_t *s = c->s;
  while (c->sent < s->total) {
    size_t n = s->total - c->sent < sizeof piece ? s->total - c->sent
                                                  : sizeof piece;
    uv_buf_t b = uv_buf_init(piece, (unsigned)n);
    int rc = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (rc == UV_EAGAIN) {
      s->blocked = true;
      return;
    }
    if (rc < 0) {
      uv_timer_stop(t);
      return;
    }
    c->sent += (size_t)rc;
    s->written += (size_t)rc;
  }
  uv_timer_stop(t);
}

static void raw_answer(rawconn_t *c) {
  rawsrv_t *s = c->s;
  s->requests++;
  c->nreq++;
  switch (s->mode) {
  case RAW_CL:
    raw_sends(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    break;
  case RAW_CLOSE:
    raw_sends(c, "HTTP/1.1 200 OK\r\nContent-Type: text/x\r\n\r\nuntil the end");
    raw_close(c);
    break;
  case RAW_STALL:
    break;
  case RAW_BODYSTALL:
    raw_sends(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart");
    break;
  case RAW_GARBAGE:
    raw_sends(c, "SSH-2.0-OpenSSH_9.2\r\n\r\n");
    break;
  case RAW_BIGHEAD: {
    size_t n = 100 << 10;
    char *h = malloc(n + 64);
    int k = sprintf(h, "HTTP/1.1 200 OK\r\nX-Big: ");
    memset(h + k, 'x', n);
    memcpy(h + k + n, "\r\n\r\n", 4);
    raw_send(c, h, (size_t)k + n + 4);
    free(h);
    break;
  }
  case RAW_BOTH:
    raw_sends(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    break;
  case RAW_BADCHUNK:
    raw_sends(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "zz\r\nabc\r\n0\r\n\r\n");
    break;
  case RAW_STALE:
    if (c->nreq == 1)
      raw_sends(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh");
    else
      raw_close(c);
    break;
  case RAW_TWOPART:
    raw_sends(c, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789");
    break;
  case RAW_STREAM: {
    char h[128];
    snprintf(h, sizeof h, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
             s->total);
    raw_sends(c, h);
    uv_timer_start(&c->timer, raw_pump, 1, 1);
    break;
  }
  }
}

static void raw_rest(uv_timer_t *t) {
  raw_sends(t->data, "abcdefghij");
}

/* RAW_TWOPART: the rest of the body in 10 ms. */
static void raw_rest_soon(rawsrv_t *s) {
  uv_timer_start(&s->conns->timer, raw_rest, 10, 0);
}

static void raw_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b) {
  (void)hint;
  rawconn_t *c = h->data;
  *b = uv_buf_init(c->in + c->inlen, (unsigned)(sizeof c->in - c->inlen));
}

static void raw_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b) {
  (void)b;
  rawconn_t *c = st->data;
  if (n < 0) {
    c->s->peer_gone++;
    raw_close(c);
    return;
  }
  c->inlen += (size_t)n;
  char *end;
  while (!c->closing && (end = memmem(c->in, c->inlen, "\r\n\r\n", 4))) {
    size_t used = (size_t)(end + 4 - c->in);
    memmove(c->in, c->in + used, c->inlen - used);
    c->inlen -= used;
    raw_answer(c);
  }
  if (c->inlen == sizeof c->in)
    raw_close(c);
}

static void raw_accept(uv_stream_t *l, int status) {
  rawsrv_t *s = l->data;
  assert_int_equal(status, 0);
  rawconn_t *c = calloc(1, sizeof *c);
  c->s = s;
  uv_tcp_init(l->loop, &c->tcp);
  uv_timer_init(l->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->handles = 2;
  c->next = s->conns;
  s->conns = c;
  assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
  s->accepts++;
  uv_read_start((uv_stream_t *)&c->tcp, raw_alloc, raw_read);
}

static void raw_start(uv_loop_t *loop, rawsrv_t *s, int mode) {
  memset(s, 0, sizeof *s);
  s->mode = mode;
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  assert_int_equal(uv_tcp_init(loop, &s->tcp), 0);
  s->tcp.data = s;
  assert_int_equal(uv_tcp_bind(&s->tcp, (struct sockaddr *)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t *)&s->tcp, 16, raw_accept), 0);
  int len = sizeof a;
  uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&a, &len);
  s->port = ntohs(a.sin_port);
}

static void raw_stop(rawsrv_t *s) {
  for (rawconn_t *c = s->conns; c; c = c->next)
    raw_close(c);
  uv_close((uv_handle_t *)&s->tcp, NULL);
}

#endif /* HTTP_RAWSRV_H */

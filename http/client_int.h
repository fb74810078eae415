/*
 * client_int.h — internals of the HTTP client (client.h).  Its files form
 * layers, each calling only the ones below it:
 *
 *   client.c        the API: the client, requests, the wait queue, the
 *                   choice of a connection for each waiting request
 *   client_conn.c   a connection's I/O (resolve, connect, write, read,
 *                   timers, close) and a request's life on it: the
 *                   parser's events to the caller's callbacks, pause,
 *                   finishing requests and calling on_done from the loop
 *   client_parse.c  (leaf, no I/O) URLs, request bytes, and the response
 *                   parser: bytes in, head / body / end events out, so the
 *                   fuzz target drives it without a socket
 *
 * client_conn.c tells client.c that a connection slot or a pooled
 * connection became free through the client's dispatch pointer
 * (cl->dispatch), as the server's files cut their circle with a protocol
 * table; scripts/layering.py checks there is no call circle.
 */
#ifndef HTTP_CLIENT_INT_H
#define HTTP_CLIENT_INT_H

#include <http_parser.h>

#include "client.h"
#include "tls.h"

/* ------------------------------------------------------ client_parse.c */

#define HTTP__HOST_MAX 254 /* a DNS name (253) or an IPv6 literal, + NUL */
#define HTTP__HOSTHDR_MAX (HTTP__HOST_MAX + 10) /* "[" host "]:" port */
#define HTTP__KEY_MAX (HTTP__HOSTHDR_MAX + 10)  /* "https://" before */

typedef struct http__url {
  char host[HTTP__HOST_MAX];  /* name or address, no brackets, lower-case */
  char key[HTTP__KEY_MAX];    /* the pool's key: "host:port" */
  char hosthdr[HTTP__HOSTHDR_MAX]; /* Host header: "[::1]:8080", "a.b" */
  uint16_t port;
  bool tls;           /* https:// */
  const char *target; /* path and query inside the url given; may lack the
                         leading '/' ("?a" or "") */
  size_t target_len;
} http__url_t;

/* Parse an http:// or https:// URL (u->tls; the pool key starts with
 * "https://" then, so the two never share a connection).  0, -EINVAL,
 * -EPROTONOSUPPORT.  u->target points
 * into url. */
int http__url_parse(const char *url, http__url_t *u) TR_WUR;

/* The request's bytes into out (appended): request line, Host,
 * User-Agent (unless hdrs has one), hdrs, Content-Length when send_len,
 * the blank line, body.  0, -EINVAL (see http_client_request), -ENOMEM. */
int http__req_build(tr_bytes_t *out, const char *method, const http__url_t *u,
                    const http_header_t *hdrs, size_t nh, const void *body,
                    size_t len, bool send_len, const char *user_agent) TR_WUR;

/* What the response parser's callbacks return: go on, pause the parser
 * after this event (http__resp_feed returns HTTP__RESP_PAUSED), or a
 * negative code that ends the response with it. */
enum { HTTP__GO = 0, HTTP__PAUSE = 1 };

typedef int (*http__head_fn)(void *ud, int status, const http_header_t *h,
                             size_t nh);
typedef int (*http__body_fn)(void *ud, const uint8_t *p, size_t n);

/* http__resp_feed's results besides a negative error. */
enum { HTTP__RESP_MORE = 0, HTTP__RESP_PAUSED = 1, HTTP__RESP_DONE = 2 };

/* One response being parsed.  Plain data: no handle, no clock. */
typedef struct http__resp {
  http_parser p;
  http__head_fn on_head;
  http__body_fn on_body;
  void *ud;
  uint32_t max_header_bytes;
  uint64_t max_body;
  /* The head: NUL-terminated strings in arena, offsets in offs (name,
   * value pairs), turned into the views of hv for on_head. */
  tr_bytes_t arena;
  uint32_t *offs;
  http_header_t *hv;
  uint32_t nh, caph;
  uint32_t header_bytes;
  uint8_t hstate;   /* 0 status line, 1 in a name, 2 in a value */
  uint8_t ninterim; /* 1xx responses seen */
  bool interim;     /* parsing a 1xx */
  bool head_method; /* a HEAD request: no body follows the head */
  bool head_done, complete, any, keep_alive;
  int status;
  int err;          /* first error, sticky */
  uint64_t body_bytes;
} http__resp_t;

/* Start r for a response to a request (HEAD when head_method).  Never
 * fails; http__resp_free releases what it grows. */
void http__resp_init(http__resp_t *r, bool head_method,
                     uint32_t max_header_bytes, uint64_t max_body,
                     http__head_fn on_head, http__body_fn on_body, void *ud);
void http__resp_free(http__resp_t *r);

/* Parse p[0..n); *used gets the bytes taken.  HTTP__RESP_MORE (all taken,
 * the response goes on), HTTP__RESP_PAUSED (a callback paused: feed the
 * rest, p + *used, later), HTTP__RESP_DONE (the response ended at p +
 * *used; r->keep_alive says whether the connection may be reused), or a
 * negative code (sticky: see client.h's list). */
int http__resp_feed(http__resp_t *r, const uint8_t *p, size_t n,
                    size_t *used) TR_WUR;

/* The connection ended (a read-to-close body ends here).  HTTP__RESP_DONE,
 * or -ECONNRESET (not a byte came), TR_ETRUNC, or r's error. */
int http__resp_eof(http__resp_t *r) TR_WUR;

/* ------------------------------------------------------- client_conn.c */

typedef struct http_cconn http_cconn_t;

/* Where a request is. */
enum { CREQ_QUEUED, CREQ_ACTIVE, CREQ_DONE };

struct http_creq {
  http_client_t *cl;
  http_cconn_t *conn;          /* CREQ_ACTIVE */
  struct http_creq *prev, *next; /* wait queue (QUEUED) or done list */
  struct http_creq *kick_next; /* resume list */
  http_client_cbs_t cbs;
  void *ud;
  char key[HTTP__KEY_MAX];     /* host:port of its pool */
  char host[HTTP__HOST_MAX];
  uint16_t port;
  tr_bytes_t wire;             /* the request's bytes */
  int state;
  int result;                  /* on_done's status, once DONE */
  bool head_method, idempotent, retried;
  bool tls;                    /* https:// */
  bool paused, in_kick;
  uint64_t deadline_ms;        /* loop time; 0: none */
  uint64_t max_body;
  http__resp_t resp;
};

/* Connection states. */
enum { CC_RESOLVING, CC_CONNECTING, CC_BUSY, CC_IDLE, CC_CLOSING };

struct http_cconn {
  http_client_t *cl;
  http_cconn_t *prev, *next;   /* the client's connections */
  char key[HTTP__KEY_MAX];
  int state;
  http_creq_t *req;            /* CC_BUSY, and while connecting */
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_getaddrinfo_t gai;
  uv_connect_t connect;
  uv_write_t wreq;
  struct addrinfo *ai, *ai_next; /* addresses, the next one to try */
  int nhandles;                /* open libuv handles */
  bool gai_pending, tcp_open, reading, eof, reused, write_pending;
  bool in_feed;
  int last_err;                /* the last connect error, for the report */
  int read_err;                /* how reading ended: UV_EOF or an error */
  tr_bytes_t wire;             /* a finished request's bytes libuv may still
                                  hold in a write */
  tr_bytes_t pending;          /* read, not yet parsed (paused) */
  http_tls_t *tls;             /* https://: the session (NULL: plain) */
  bool tls_ready;              /* its handshake is done */
  size_t pending_off;
  uint64_t stage_ms;           /* when the current stage began */
  uint64_t progress_ms;        /* when the last byte came */
  uint64_t idle_since;         /* CC_IDLE */
};

struct http_client {
  uv_loop_t *loop;
  http_client_opts_t o;
  char *user_agent;
  /* client.c sets this: a connection became idle or a slot was freed. */
  void (*dispatch)(http_client_t *cl);
  http_cconn_t *conns;
  uint32_t nconns, nidle;
  uint32_t nalloc;             /* connections not yet freed (closing too) */
  http_creq_t *wait_head, *wait_tail;
  uint32_t nwait;
  http_creq_t *done_head, *done_tail;
  http_creq_t *kick_head;
  uv_idle_t idle;              /* runs the resume and done lists */
  uv_timer_t qtimer;           /* deadlines of waiting requests */
  int nhandles;                /* idle + qtimer, open */
  bool closing, idle_on, in_dispatch, dispatch_again, handles_closing;
  http_client_stats_t st;
  http_tls_ctx_t *tls_ctx;     /* made at the first https:// connection */
  uint8_t readbuf[HTTP_CLIENT_READ_BUF];
  uint8_t tlsbuf[16384];       /* decrypted: one TLS record's plaintext */
};

/* Open a connection for req (state CREQ_ACTIVE, req->conn set): resolve,
 * connect, send.  Failures reach req's on_done through the loop. */
void http__cconn_open(http_client_t *cl, http_creq_t *req);
/* Hand req to the idle connection c of its host. */
void http__cconn_assign(http_cconn_t *c, http_creq_t *req);
/* Close c (any state); its request, if any, must be finished already. */
void http__cconn_close(http_cconn_t *c);
/* End req with status: off the queue or its connection (closed unless its
 * response ended cleanly), on the done list for the loop. */
void http__creq_finish(http_creq_t *req, int status);
/* Resume: feed what is held and read again, from the loop. */
void http__creq_kick(http_creq_t *req);
/* The connection of an active request must stop reading now (pause). */
void http__cconn_read_stop(http_cconn_t *c);
/* Have the loop run the resume and done lists (and, once the client is
 * closing and they are empty, close its handles and free it). */
void http__client_wake(http_client_t *cl);
/* Re-arm c's timer (a request's deadline changed). */
void http__cconn_arm(http_cconn_t *c);

/* ------------------------------------------------- wait queue (inline) */

static inline void http__wait_unlink(http_client_t *cl, http_creq_t *r) {
  if (r->prev)
    r->prev->next = r->next;
  else
    cl->wait_head = r->next;
  if (r->next)
    r->next->prev = r->prev;
  else
    cl->wait_tail = r->prev;
  r->prev = r->next = NULL;
  cl->nwait--;
}

#endif /* HTTP_CLIENT_INT_H */

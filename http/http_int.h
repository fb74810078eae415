/*
 * http_int.h — internals shared by the HTTP server's files.  They form
 * layers, each file calling only the files below it:
 *
 *   server.c      listener, accept, limits on connections, the choice of
 *                 framing from a connection's first bytes, start and stop
 *   http1.c       HTTP/1.1 framing (http-parser), the h2c upgrade
 *     http1_scan.c  (leaf) the RFC 9112 framing checks http-parser skips
 *   http2.c       HTTP/2 framing (nghttp2)
 *   req.c         the request/response API of http.h, for both framings
 *   conn.c        a connection's I/O: output queue, socket writes, reads
 *                 on and off, timers, close, drain callbacks, the
 *                 per-address table and rate limit, the Date value
 *   stream.c      (above req.c) worker-pool body production, stream.h
 *   util.c        (leaf) percent-decoding, query strings
 *
 * The circle the framings used to make with the files under them (req.c
 * calling http1.c and http2.c, which call req.c) is cut as libuv and
 * nghttp2 cut theirs: each connection carries a protocol table
 * (http_proto_t, c->proto) of the framing's functions, set when the framing
 * is chosen (server.c, then http1.c or http2.c).  req.c and conn.c call a
 * framing only through that table and never link to http1.c or http2.c;
 * scripts/layering.py checks that no two files call each other in a circle.
 */
#ifndef HTTP_INT_H
#define HTTP_INT_H

#include <http_parser.h>
#include <pthread.h>
#include <nghttp2/nghttp2.h>

#include "http.h"

typedef struct http_conn http_conn_t;

/* What a framing does for the files beneath it (conn.c, req.c).  A NULL
 * entry means "nothing to do" for the connection-side hooks; the response
 * side is complete for HTTP/1.1 and HTTP/2 (the table server.c starts a
 * connection with has no request, so no response either). */
typedef struct http_proto {
  int version; /* 0 undecided, 1 HTTP/1.x, 2 HTTP/2 */
  /* Connection side, called by conn.c. */
  /* Bytes read from the socket; 0, or negative to close the connection. */
  int (*feed)(http_conn_t *c, const uint8_t *p, size_t n);
  /* The connection's timer fired: 0 to go on (the timer is re-armed for
   * the connection's state), -1 to close.  NULL: close. */
  int (*timeout)(http_conn_t *c);
  /* The socket's queue fell under HTTP_LOW_WATER. */
  void (*drained)(http_conn_t *c);
  /* The connection is closing: tell the requests' handlers, release the
   * framing's state. */
  void (*free)(http_conn_t *c);
  /* Response side, called by req.c for a request of this connection that
   * is neither closed nor ended.  start's headers are checked, and len
   * holds each one's name and value lengths (len[2i], len[2i+1]). */
  int (*start)(http_req_t *r, const http_header_t *h, const size_t *len,
               size_t nh);
  int (*write)(http_req_t *r, const void *p, size_t n);
  void (*end)(http_req_t *r);
  /* Cut the response short (http_res_abort); r is already marked ended. */
  void (*abort)(http_req_t *r);
  /* Send "100 Continue" (the handler is about to read the body). */
  void (*cont)(http_req_t *r);
  /* r's response bytes waiting, as http_res_buffered reports them. */
  size_t (*buffered)(const http_req_t *r);
  /* The handler set its body callbacks (NULL: nothing waits). */
  void (*body_ready)(http_req_t *r);
  /* http_req_pause / http_req_resume. */
  void (*pause)(http_req_t *r);
  void (*resume)(http_req_t *r);
} http_proto_t;

/* Per client address: connection count and a token bucket. */
typedef struct http_ip {
  struct http_ip *next;
  char addr[48];
  uint32_t conns;
  uint32_t bucket; /* of ips[], from the address's hash */
  double tokens;
  uint64_t refill_ms;
} http_ip_t;

#define HTTP_IP_BUCKETS 4096
#define HTTP_READ_BUF (64u << 10)
/* The most one read puts into room a body's handler lends (conn.c). */
#define HTTP_LEND_MAX (256u << 10)
/* Descriptors a Unix-socket client may have passed and no request taken
 * yet (http_req_take_fd); one more closes the connection. */
#define HTTP_FDS_MAX 16

/* The per-address table of servers on several loops (http_ipshare_new):
 * one table, a lock per stripe of its buckets (bucket % HTTP_IP_STRIPES),
 * taken by each accept, close and (with a rate limit) each request of an
 * address there.  Striped so that loops serving different clients take
 * different locks; each lock pads to TR_LINE_PAIR bytes. */
#define HTTP_IP_STRIPES 64
typedef struct http_ipstripe {
  pthread_mutex_t mu;
  char pad[TR_LINE_PAIR - sizeof(pthread_mutex_t) % TR_LINE_PAIR];
} http_ipstripe_t;

struct http_ipshare {
  http_ipstripe_t stripe[HTTP_IP_STRIPES];
  http_ip_t *ips[HTTP_IP_BUCKETS];
};

/* A connection's or a listener's socket: TCP, or a Unix domain socket
 * (http_server_start_unix).  libuv serves both as a stream; the few calls
 * that differ look at http_server_t.is_unix. */
typedef union http_sock {
  uv_handle_t handle;
  uv_stream_t stream;
  uv_tcp_t tcp;
  uv_pipe_t pipe;
} http_sock_t;

struct http_server {
  uv_loop_t *loop;
  http_sock_t listener;
  bool is_unix; /* listener and connections are Unix domain sockets */
  /* A spare handle to accept and close a connection the server cannot
   * take (see on_conn). */
  http_sock_t reject;
  bool reject_busy, accept_pending;
  http_limits_t lim;
  http_handler_fn handler;
  void *ud;
  http_done_fn done; /* http_server_on_done */
  void *done_ud;
  uint32_t nconns;
  http_conn_t *conns; /* doubly linked list of open connections */
  /* The per-address table: own_ips, or a share's (then ipstripe is its
   * locks; NULL when the table is the server's alone). */
  http_ip_t **ips;
  http_ipstripe_t *ipstripe;
  http_ip_t *own_ips[HTTP_IP_BUCKETS];
  bool stopping;
  int pending_closes; /* handles still closing during stop */
  void (*stop_cb)(void *ud);
  void *stop_ud;
  char date[40]; /* cached Date header value */
  /* All connections read into this one buffer: the framing layers consume
   * or copy what they read before on_read returns. */
  char readbuf[HTTP_READ_BUF];
  /* Requests whose drain callback is due: called from an idle handle on the
   * next loop turn, so a handler that writes from its drain callback never
   * recurses. */
  uv_idle_t idle;
  http_req_t *drain_head;
  uint64_t date_sec;
};

typedef struct hdr {
  uint32_t name, value; /* offsets into the request's arena */
} hdr_t;

/* What the HTTP/1 framing scanner (http1_scan.c) is looking at. */
enum {
  SCAN_HEAD,       /* request line and header section */
  SCAN_WAIT,       /* end of the headers: the parser says what follows */
  SCAN_OFF,        /* a Content-Length body, or the message is over */
  SCAN_CHUNK_SIZE, /* chunk-size [chunk-ext] CRLF */
  SCAN_CHUNK_DATA, /* scan_left bytes of data, not looked at */
  SCAN_CHUNK_CR,   /* the CRLF after a chunk's data */
  SCAN_CHUNK_LF,
  SCAN_TRAILER,    /* trailer section, up to its empty line */
};

/* What a request holds in itself before its parts spill to the heap:
 * arena bytes (method, target, path, query, header names and values) and
 * header entries.  A typical request allocates nothing more. */
#define HTTP_REQ_INLINE 512
#define HTTP_REQ_INLINE_HDRS 16

/* Where a request is in its life. */
enum { REQ_PARSING, REQ_ACTIVE, REQ_DONE };

struct http_req {
  http_conn_t *conn;
  char *trailer; /* "name\0value": http_res_end_trailer's field */
  size_t trailer_name;
  int32_t stream_id; /* HTTP/2 stream; 0 for HTTP/1 */
  int state;
  /* Parsed request: strings NUL-terminated inside arena. */
  tr_bytes_t arena;
  hdr_t *hdrs;
  uint32_t nhdrs, caphdrs;
  uint32_t method, target, path, query; /* arena offsets */
  char *query_own; /* http_req_set_query's, instead of query */
  uint32_t header_bytes;
  uint8_t hstate;       /* http1 parsing: 0 URL, 1 name, 2 value */
  bool head;            /* HEAD: no body in the response */
  bool expect_continue; /* "Expect: 100-continue" not yet answered */
  bool keep_alive;
  /* Request body. */
  http_body_data_cb on_data;
  http_body_end_cb on_end;
  http_body_lend_cb lend;
  void *body_ud;
  bool body_done;
  bool paused;
  /* Response. */
  bool started, ended, closed, chunked, transport_done;
  http_header_t extra[HTTP_RES_EXTRA]; /* http_res_extra() */
  uint8_t nextra;
  uint8_t extra_owned; /* bit i: extra[i].value is ours (http_res_extra_dup) */
  int status;
  int64_t content_length;
  tr_bytes_t out; /* HTTP/2: bytes waiting for nghttp2 to take them */
  size_t out_off;
  http_drain_cb on_drain;
  void *drain_ud;
  http_close_cb on_close;
  void *close_ud;
  struct http_req *next; /* HTTP/2: list of the connection's streams */
  struct http_req *drain_next, *drain_prev;
  bool in_drain;
  http_server_t *drain_srv;
  /* HTTP/2 flow control and limits (http2.c). */
  tr_bytes_t inbuf;     /* body bytes the handler has not taken yet */
  bool h2_ready;        /* headers complete, waiting to be dispatched */
  bool h2_end_pending;  /* END_STREAM seen, not yet told to the handler */
  bool h2_taken;        /* nghttp2 has taken response bytes */
  /* http_req_on_finish; http_req_deadline (uv_now() ms, 0: none) and its
   * 504 body; expired: the server answered or cut it (http__req_expire). */
  http_finish_fn on_finish;
  void *finish_ud;
  uint64_t deadline_ms;
  const char *deadline_body;
  bool expired;
  /* The inline room (HTTP_REQ_INLINE): arena and hdrs start here. */
  hdr_t hdrs_inl[HTTP_REQ_INLINE_HDRS];
  uint8_t arena_inl[HTTP_REQ_INLINE];
  uint64_t progress_ms; /* last time the stream moved (either way) */
  /* The server's done hook, taken at dispatch (the request may outlive
   * its connection and server), and when the handler got it (uv_hrtime). */
  http_done_fn done;
  void *done_ud;
  uint64_t t0_ns;
};

struct http_conn {
  http_sock_t sock;
  uv_timer_t timer;
  http_server_t *srv;
  http_conn_t *prev, *next;
  http_ip_t *ip;
  const http_proto_t *proto; /* the framing's table; never NULL */
  bool closing, reading, eof;
  uint32_t read_max; /* the largest read into lent room so far, or 0 */
  bool failed; /* a write failed: closing on the next loop turn */
  bool in_parser;          /* inside http_parser_execute: no re-entry */
  bool close_when_flushed; /* Connection: close, or an error answer */
  int err_status;          /* status for a parse error (400, 414, 431) */
  int handles_open; /* sock + timer, for the close count */
  /* Descriptors passed over a Unix socket (SCM_RIGHTS), oldest first. */
  int fds[HTTP_FDS_MAX];
  uint8_t nfds;
  /* One-shot timer (all but HTTP/2): when the connection's time is up,
   * and when the armed timer fires, which may be earlier (conn.c). */
  uint64_t deadline_ms, due_ms;
  /* Writes. */
  tr_bytes_t out;   /* coalesced bytes not yet handed to libuv */
  size_t inflight;  /* bytes inside uv_write requests */
  /* HTTP/1. */
  http_parser parser;
  http_req_t *req;    /* the request being parsed or served */
  tr_bytes_t pending; /* bytes read but not parsed (pipelining) */
  uint64_t req_start_ms;
  /* Framing checks (http1_scan.c): positions in the connection's byte
   * stream of what the scanner and the parser have taken. */
  uint64_t scan_pos, parsed, scan_left;
  uint32_t scan_linelen, scan_lines;
  uint8_t scan_mode, scan_digits;
  bool scan_cr, scan_ext;
  /* HTTP/2. */
  nghttp2_session *h2;
  http_req_t *streams;
  uint32_t nstreams;
  bool h2_sending;
  bool h2_in_recv;
  uint64_t h2_idle_ms; /* since when no stream is open */
  uint64_t write_ms;   /* last time the socket took bytes */
  double h2_reset_tokens; /* RST_STREAM frames the peer may still send */
  uint64_t h2_reset_ms;
  /* After an h2c upgrade: send no frame until the client's preface has
   * come.  curl 7.88 (Debian 12) drops the connection when more than 32 KiB
   * arrive in the read that carries the 101, which a fast first response
   * (SETTINGS + HEADERS + a 64 KiB window of DATA) would otherwise do. */
  bool h2_wait_preface;
};

/* ------------------------------------------------------------ conn.c */

/* Init k as s's kind of socket (TCP or Unix), for a connection (conn)
 * or for server.c's listener and spare: 0 or -errno from libuv. */
int http__sock_init(http_server_t *s, http_sock_t *k, bool conn);

/* A connection of s, in its list and counted, with its handles ready for
 * uv_accept and proto as its table; NULL when out of memory or handles
 * (what was made is closed). */
http_conn_t *http__conn_new(http_server_t *s, const http_proto_t *proto);
/* Append bytes to the connection's output; flushes when large. */
int http__conn_queue(http_conn_t *c, const void *p, size_t n);
/* Room for n more bytes at the end of c's output (flushed first when the
 * coalesced bytes would pass the write chunk, as http__conn_queue does):
 * *out is where the caller writes up to n bytes, adding what it wrote to
 * c->out.len.  So a framing builds a response head in place, not piece by
 * piece.  0, or the errors of http__conn_queue: -EPIPE (c is closing or
 * failed), -ENOMEM (c fails). */
int http__conn_reserve(http_conn_t *c, size_t n, uint8_t **out) TR_WUR;
/* Hand coalesced output to libuv. */
int http__conn_flush(http_conn_t *c);
/* Bytes waiting on this connection. */
size_t http__conn_buffered(const http_conn_t *c);
void http__conn_close(http_conn_t *c);
/* Close c on the next loop turn, not under the caller (a handler may be
 * inside a http_res_* call): for a write that failed.  Writes fail from now
 * on with -EPIPE. */
void http__conn_fail(http_conn_t *c);
/* Re-arm the connection's timer for its state. */
void http__conn_timer(http_conn_t *c);
/* A request of c has a deadline now (http_req_deadline, at deadline_ms
 * of uv_now()): make the timer see it in time. */
void http__conn_deadline(http_conn_t *c, uint64_t deadline_ms);
void http__conn_read_start(http_conn_t *c);
void http__conn_read_stop(http_conn_t *c);
/* Token bucket: true if the client may make a request now. */
bool http__rate_ok(http_conn_t *c);
const char *http__date(http_server_t *s);
/* Queue r's drain callback for the next loop turn / take it off the queue. */
void http__drain_later(http_req_t *r);
void http__drain_cancel(http_req_t *r);
/* The entry of a client address, made if new, with c counted in it:
 * NULL when out of memory or when the address already holds
 * max_conns_per_ip.  The look-up, the check and the count are one step
 * under the table's lock (a shared table: another loop's close may free an
 * entry with no connection).  http__ip_put uncounts one connection and
 * forgets the entry once it has none and a full bucket. */
http_ip_t *http__ip_take(http_server_t *s, const char *addr);
void http__ip_put(http_server_t *s, http_ip_t *ip);
/* One handle or connection of s has finished closing: the last one after
 * http_server_stop frees s and calls the stop callback. */
void http__server_unref(http_server_t *s);

/* RFC 9110 5.6.2: tchar[ch] is 1 for the token characters of header
 * names (util.c). */
extern const uint8_t http__tchar[256];

/* ------------------------------------------------------------ req.c */

http_req_t *http__req_new(http_conn_t *c, int32_t stream_id);
void http__req_free(http_req_t *r);
/* Append to the arena, returning the offset of the copy (NUL-terminated
 * when term). */
int http__arena_add(http_req_t *r, const char *p, size_t n, bool term,
                  uint32_t *off) TR_WUR;
int http__req_add_header(http_req_t *r, const char *name, size_t nlen,
                       const char *value, size_t vlen) TR_WUR;
/* Room for one more entry in r->hdrs: 0 or -ENOMEM. */
int http__req_hdr_room(http_req_t *r) TR_WUR;
/* Split the target into path and query. */
int http__req_split_target(http_req_t *r) TR_WUR;
/* Hand a complete request to the handler (or answer 429 when the client is
 * over its rate). */
void http__req_dispatch(http_req_t *r);
/* Body events from the framing layer. */
void http__req_body_data(http_req_t *r, const uint8_t *p, size_t n);
void http__req_body_end(http_req_t *r, int status);
/* The transport is finished with r (written out, or stream closed).  Frees
 * r if the handler is done too. */
void http__req_transport_done(http_req_t *r);
/* The client is gone: tell the handler. */
void http__req_close(http_req_t *r);
/* r's deadline (http_req_deadline) has passed, its handler still at work:
 * r->expired is set (the handler's writes fail from now on) and, when no
 * answer had started, the 504 is queued (true).  False: an answer was
 * under way, and the framing cuts it short.  Either way the framing then
 * tells the handler, as when the client goes away. */
bool http__req_expire(http_req_t *r);
/* A duplicate of r's socket (close-on-exec) that another thread may write
 * r's next body bytes to, or -1 when they must go through the output
 * queue: anything but an HTTP/1.1 response with a known length or an
 * HTTP/1.0 one, HEAD, or bytes still queued once the coalesced ones
 * (the head) are dealt with.  Those are moved to pre[0..cap) (*npre set)
 * when they fit, for the caller to write before the body; else handed to
 * the socket (*npre 0).  The caller closes the descriptor, and writes
 * nothing to it once it has queued anything else on r. */
int http__res_direct_fd(http_req_t *r, uint8_t *pre, size_t cap,
                        size_t *npre);
/* Bytes of r went out through that descriptor: the connection moved. */
void http__res_sent(http_req_t *r);

/* ----------------------------------------------------------- http2.c */

/* Switch c to HTTP/2 (c->proto becomes HTTP/2's table).  upgrade_req is
 * the h2c upgrade request (stream 1) or NULL for prior knowledge; settings
 * is the decoded HTTP2-Settings.  On failure nothing has changed. */
int http__h2_init(http_conn_t *c, http_req_t *upgrade_req, const uint8_t *settings,
                size_t settings_len);

/* ----------------------------------------------------------- http1.c */

/* Start c on HTTP/1.x (c->proto becomes HTTP/1's table), or start its
 * parser again after an Upgrade it did not take. */
void http__h1_init(http_conn_t *c);

/* ------------------------------------------------------ http1_scan.c */

/* Check the framing bytes of p[0..n), which start at stream position
 * c->parsed; 0, or -1 when they break RFC 9112 (answer 400). */
int http__h1_scan(http_conn_t *c, const uint8_t *p, size_t n);
/* A new message starts / its header section is parsed (chunked or not). */
void http__h1_scan_reset(http_conn_t *c);
void http__h1_scan_body(http_conn_t *c, bool chunked);

#endif /* HTTP_INT_H */

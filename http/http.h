/*
 * http.h — trove's HTTP server: HTTP/1.1 (keep-alive, pipelining, chunked
 * bodies, via http-parser) and HTTP/2 cleartext (prior knowledge and the
 * h2c upgrade, via nghttp2) on one libuv loop, with one request/response API
 * above both framings.  The gateway, the RPC API and the pinning API are
 * handlers on top of it.
 *
 * Life of a request:
 *   1. When a request's headers are complete the server calls the handler
 *      (http_handler_fn).  The request object stays valid until the handler
 *      has called http_res_end() AND the client is done with it; the server
 *      frees it afterwards.  Never touch req after http_res_end().
 *   2. A request body is pushed to the callbacks set by http_req_body();
 *      without them the body is discarded.  Setting them answers a
 *      client's "Expect: 100-continue" with the interim 100; a handler
 *      that answers without asking for the body gets no 100 sent, and the
 *      HTTP/1.1 connection closes after its answer.  http_req_pause()/
 *      http_req_resume() stop and restart reading (back-pressure for
 *      uploads): over HTTP/1.1 by not reading the socket, over HTTP/2 by
 *      not giving the stream's flow-control window back.
 *   3. The handler answers with http_res_start() (status + headers), then
 *      http_res_write() any number of times, then http_res_end().  Writes are
 *      queued; http_res_buffered() tells how much is waiting, and the drain
 *      callback of http_res_on_drain() fires when the queue has fallen below
 *      HTTP_LOW_WATER — a streaming handler produces the next piece then, so a
 *      slow client never makes the node buffer a whole file.
 *   4. If the client goes away first, the close callback (http_req_on_close)
 *      fires once; the handler must stop producing and still call
 *      http_res_end() (writes after a close are accepted and dropped).
 *
 * Response headers with a name that is not a token or a value with CR or
 * LF are dropped (and logged) for both framings, so a name taken from
 * content can never split or break a response.
 *
 * Limits (http_limits_t): connections in all and per client address, header
 * bytes, request rate per client address (token bucket), idle and header
 * timeouts, a progress timeout for bodies both ways (a client that stops
 * reading, an HTTP/2 stream whose window never opens: reset or closed),
 * concurrent HTTP/2 streams, and per HTTP/2 connection a bound on streams
 * that hold memory without moving and on resets (rapid reset).  HTTP/1.1
 * framing that RFC 9112 says to refuse (bare LF or CR, obs-fold, chunk
 * data not followed by CRLF) gets 400 and a close.  Over a limit the
 * server answers 429/431/400/408 or closes, and the other clients go on
 * being served.
 *
 * Everything runs on the loop thread; no function here is thread-safe.
 * Several servers may serve one port from several loops (one thread each,
 * http_server_start_ex with reuseport): each server is then used on its
 * own loop's thread only, and they share nothing but the per-address
 * table, an http_ipshare_t whose locks (one per stripe of addresses) every
 * accept, every close and, with a rate limit, every request takes, so
 * that max_conns_per_ip and
 * rate_per_ip stay limits per client address across loops (max_conns is
 * per server).  http_server_on_done's callback then runs on each server's
 * thread.
 *
 * Inside, the files form layers (http_int.h has the map): server.c accepts
 * and chooses the framing, http1.c and http2.c frame, req.c implements the
 * calls below for both through a per-connection protocol table, and
 * conn.c does the connection's I/O; stream.c (stream.h) sits on top of
 * this API.
 */
#ifndef HTTP_HTTP_H
#define HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../common/tr.h"

#define HTTP_LOW_WATER (256u << 10)
#define HTTP_HIGH_WATER (1u << 20)

typedef struct http_server http_server_t;
typedef struct http_req http_req_t;

typedef struct http_header {
  const char *name; /* lower-case for requests */
  const char *value;
} http_header_t;

typedef struct http_limits {
  uint32_t max_conns;          /* all connections (default 20000) */
  uint32_t max_conns_per_ip;   /* per client address (default 2000) */
  uint32_t max_header_bytes;   /* request line + headers (default 16 KiB) */
  uint32_t header_timeout_ms;  /* to receive a whole header (default 10 s) */
  uint32_t idle_timeout_ms;    /* keep-alive idle (default 120 s) */
  uint32_t body_timeout_ms;    /* longest a request body or a response may
                                  make no progress (default 60 s) */
  uint32_t rate_per_ip;        /* requests per second per address
                                  (default 2000; 0 = unlimited) */
  uint32_t rate_burst;         /* bucket size (default 4000) */
  uint32_t max_streams;        /* concurrent HTTP/2 streams (default 100) */
} http_limits_t;

/* Fill in the defaults above. */
void http_limits_default(http_limits_t *l);

typedef void (*http_handler_fn)(http_req_t *req, void *ud);

/* Start listening on host:port (numeric IPv4 or IPv6 address).  limits may
 * be NULL for the defaults.  Errors: -errno from libuv (e.g. -EADDRINUSE),
 * -ENOMEM.  *srv is set only on success. */
int http_server_start(uv_loop_t *loop, const char *host, int port,
                    const http_limits_t *limits, http_handler_fn handler,
                    void *ud, http_server_t **srv) TR_WUR;

/* Several servers on one port, each on its own loop (and thread). */
typedef struct http_ipshare http_ipshare_t;
typedef struct http_listen {
  /* Bind with SO_REUSEPORT: the kernel spreads new connections over every
   * socket bound so to the port (by a hash of the client's address and
   * port).  Any process of the same user may then bind the port too. */
  bool reuseport;
  /* The per-address table the servers share (NULL: the server's own). It
   * must outlive every server using it. */
  http_ipshare_t *share;
} http_listen_t;

/* A table to share: 0, -ENOMEM, or -errno of pthread_mutex_init.  Freed
 * with http_ipshare_free (NULL: nothing) once no server uses it. */
int http_ipshare_new(http_ipshare_t **out) TR_WUR;
void http_ipshare_free(http_ipshare_t *sh);

/* http_server_start with listening options (lo NULL: none, the same as
 * http_server_start).  Errors as there, and -errno of socket(),
 * setsockopt() and bind() with reuseport. */
int http_server_start_ex(uv_loop_t *loop, const char *host, int port,
                         const http_limits_t *limits, http_handler_fn handler,
                         void *ud, const http_listen_t *lo,
                         http_server_t **srv) TR_WUR;

/* Listen on a Unix domain socket at path, made mode 0600 (only its
 * owner's processes may connect; put it in a directory only the owner can
 * enter, which also covers the instant between bind and chmod).  The file
 * must not exist (remove a stale one first); the server does not remove
 * it when it stops.  Its clients share one key of the per-address limits
 * ("unix", http_req_peer), and http_req_local gives UV_EAFNOSUPPORT.
 * Errors: -ENAMETOOLONG, -errno from libuv or chmod. */
int http_server_start_unix(uv_loop_t *loop, const char *path,
                           const http_limits_t *limits,
                           http_handler_fn handler, void *ud,
                           http_server_t **srv) TR_WUR;

/* The port actually bound (useful with port 0); -1 for a Unix socket. */
int http_server_port(const http_server_t *srv);

/* Stop accepting and close every connection; cb (may be NULL) runs once
 * everything is closed, after which srv is freed. */
void http_server_stop(http_server_t *srv, void (*cb)(void *ud), void *ud);

/* A request's answer is over: called once per request the handler was
 * given (and per 429 the server gave itself), from http_res_end() or
 * http_res_abort(), with the status sent and the nanoseconds from the end
 * of the request's header to that call (for a streamed body, the time to
 * produce and queue it all, not to deliver the last byte).  req is valid
 * for the call (method, path, headers).  For whoever keeps latencies per
 * listener (node/ puts them in its metrics): the server keeps no numbers
 * of its own.  A request that reached the handler before
 * http_server_stop() still reports after it, so ud must outlive the
 * requests, not the server.  fn NULL: none (the default). */
typedef void (*http_done_fn)(const http_req_t *req, int status,
                             uint64_t ns, void *ud);
void http_server_on_done(http_server_t *srv, http_done_fn fn, void *ud);

/* Number of open connections (for metrics and tests). */
uint32_t http_server_conns(const http_server_t *srv);

/* Open connections from one client address ("127.0.0.1"), as counted
 * against max_conns_per_ip. */
uint32_t http_server_conns_from(const http_server_t *srv, const char *addr);

/* ---------------------------------------------------------- requests */

const char *http_req_method(const http_req_t *req); /* "GET" ... */
/* The request target as sent: "/ipfs/bafy...?format=raw". */
const char *http_req_target(const http_req_t *req);
/* The path part, percent-decoding NOT applied; and the query without '?'
 * ("" when none). */
const char *http_req_path(const http_req_t *req);
const char *http_req_query(const http_req_t *req);
/* Replace the query with q[0..n) (without '?'): the RPC API's arguments
 * read from the body (rpc/body_args.c).  A query string handed out before
 * is no longer the request's (the path and headers stay).  0 or -ENOMEM. */
int http_req_set_query(http_req_t *req, const char *q, size_t n) TR_WUR;
/* Header value by lower-case name; NULL if absent.  Repeated headers are
 * joined with ", " as RFC 9110 allows. */
const char *http_req_header(const http_req_t *req, const char *name);
/* 1 for HTTP/1.x, 2 for HTTP/2. */
int http_req_http_version(const http_req_t *req);
/* Client address as text ("127.0.0.1"; "unix" over a Unix socket). */
const char *http_req_peer(const http_req_t *req);

/* This end of the request's connection, the address the client reached:
 * numeric host text ("127.0.0.1", "::1") into host[cap] and the port.
 * 0, -ENOTCONN (the connection is gone), -ENOSPC (cap too small),
 * UV_EAFNOSUPPORT (a Unix socket's), or another -errno from getsockname. */
int http_req_local(const http_req_t *req, char *host, size_t cap,
                   int *port) TR_WUR;

/* Body callbacks: on_data for each piece (valid only during the call),
 * on_end once at the end (status 0) or when the body failed (negative:
 * client closed, timeout, too large). */
typedef void (*http_body_data_cb)(http_req_t *req, const uint8_t *p, size_t n,
                                void *ud);
typedef void (*http_body_end_cb)(http_req_t *req, int status, void *ud);
void http_req_body(http_req_t *req, http_body_data_cb on_data, http_body_end_cb on_end,
                 void *ud);
void http_req_pause(http_req_t *req);
void http_req_resume(http_req_t *req);

/* Zero-copy bodies (HTTP/1.x only): with a lender set, each socket read
 * while the request's body is being read goes into memory the handler
 * hands out instead of the server's read buffer, so on_data's pieces may
 * lie inside that memory and a handler that keeps body bytes can keep
 * them where they are.  Before each read, lend(req, &base, &len, ud) (ud
 * as given to http_req_body) sets the room the read may fill, or leaves
 * *len 0 for the server's buffer this time; the server reads at most
 * 256 KiB into it at a time, and never touches it after that read's
 * pieces have gone to on_data: bytes in it that are not body (the
 * chunked framing, a pipelined request after the body) are copied if
 * kept.  Pieces need not start where the lent room starts (a chunk-size
 * line may come first), and pieces held back while the body was paused
 * come from elsewhere.  The room must stay valid until the loop callback
 * that read into it returns: on_end can run in the middle of a read, and
 * the server goes on parsing what follows the body from the room after
 * it, so a handler frees lent memory on a later loop turn (a close
 * callback, say), never in on_data or on_end.  NULL stops lending; so does
 * http_req_body(req, NULL, ...). */
typedef void (*http_body_lend_cb)(http_req_t *req, uint8_t **base, size_t *len,
                                  void *ud);
void http_req_body_lend(http_req_t *req, http_body_lend_cb lend);

/* The oldest descriptor a client passed on req's connection (SCM_RIGHTS
 * over a Unix socket, HTTP/1.x only) that no request has taken yet, or
 * -1.  The caller owns it.  Descriptors come with the bytes they were
 * sent with, so one sent with a piece of body is here by the time that
 * piece reaches on_data.  At most HTTP_FDS_MAX (16) wait on a connection:
 * one more closes it; what no request takes closes with it.  A client
 * that can connect to the socket can pass anything, so check what you
 * take (fstat). */
int http_req_take_fd(http_req_t *req);

/* Call fn(req, ud) once when the handler ends req (http_res_end or
 * http_res_abort), after the server's done hook: for what a handler holds
 * for the life of a request and must give back however it ends (the
 * gateway's slot among its concurrent requests).  req is valid for the
 * call.  One per request; a second call replaces the first. */
typedef void (*http_finish_fn)(http_req_t *req, void *ud);
void http_req_on_finish(http_req_t *req, http_finish_fn fn, void *ud);

/* An absolute deadline for req, ms from now (Kubo's Gateway.
 * MaxRequestDuration): if the handler has not ended req by then, the
 * server ends it for the handler.  An answer not yet started becomes a 504
 * Gateway Timeout with the body body (text/plain; a literal, or memory that
 * lives as long as req) and the headers given with http_res_extra; in
 * HTTP/1.1 the connection closes after it.  An answer under way is cut
 * short: the connection closed (HTTP/1.1) or the stream reset (HTTP/2), so
 * the client sees a truncated body.  Either way the handler is told as when
 * the client goes away (http_req_on_close's callback; writes fail with
 * -EPIPE) and must still end req.  The deadline is checked with the
 * connection's other timers: HTTP/2 streams within a second of it when
 * it is near, within a quarter of the body timeout when it is far.
 * Called again, it replaces the deadline.  ms 0 is taken as 1. */
void http_req_deadline(http_req_t *req, uint32_t ms, const char *body);

/* The client went away (or the server is stopping). */
typedef void (*http_close_cb)(http_req_t *req, void *ud);
void http_req_on_close(http_req_t *req, http_close_cb cb, void *ud);
bool http_req_closed(const http_req_t *req);

/* --------------------------------------------------------- responses */

/* CONNECT over HTTP/1.1 (RFC 9110 9.3.6): http-parser hands the request
 * over with its authority-form target ("host:port") as target and path.
 * A 2xx answer goes out without Content-Length or Transfer-Encoding, as
 * the RFC says, and the bytes after the request are read as HTTP/1.1
 * requests to this same server: the "tunnel" ends here, never at another
 * host (the gateway answers 200 only to a CONNECT that names itself).  Any
 * other answer is an ordinary response and the connection goes on too.
 * Over HTTP/2 a CONNECT (no :path) is refused with a stream reset. */

/* Send the status line and headers.  content_length < 0 means unknown
 * (chunked in HTTP/1.1, plain DATA frames in HTTP/2).  For HEAD requests
 * pass the length the GET would have; no body is sent whatever is written.
 * Date, Server and Connection handling are added by the server.  Returns 0
 * or -EINVAL when called twice. */
int http_res_start(http_req_t *req, int status, const http_header_t *hdrs,
                 size_t nhdrs, int64_t content_length);

/* Add name: value to the response this request will get, whatever path of
 * the handler starts it (the API's CORS answer to an allowed origin, set
 * once before dispatch).  name and value are not copied: they must live
 * as long as the request (a header of the request itself, a literal).  At
 * most HTTP_RES_EXTRA per request (the gateway's four CORS headers, its
 * Ipfs-Uri and X-Ipfs-Path); 0 or -ENOSPC. */
#define HTTP_RES_EXTRA 6
int http_res_extra(http_req_t *req, const char *name, const char *value);
/* The same with value copied (freed with the request): a header made for
 * this request.  0, -ENOSPC or -ENOMEM. */
int http_res_extra_dup(http_req_t *req, const char *name, const char *value);

/* Queue body bytes (copied).  0, -ENOMEM, or -EPIPE after a close (the
 * bytes are dropped; the handler should stop and end). */
int http_res_write(http_req_t *req, const void *p, size_t n);

/* Bytes queued and not yet written to the socket. */
size_t http_res_buffered(const http_req_t *req);

/* Write what is queued now instead of when 64 KiB have gathered or the
 * response ends: for small pieces a client waits for while the request is
 * still going on (add's progress).  HTTP/2 sends as it goes already. */
void http_res_flush(http_req_t *req);

/* Call cb once, when the queue falls under HTTP_LOW_WATER (immediately, on
 * the next loop iteration, if it already is). */
typedef void (*http_drain_cb)(http_req_t *req, void *ud);
void http_res_on_drain(http_req_t *req, http_drain_cb cb, void *ud);

/* Finish the response.  The handler gives up req. */
void http_res_end(http_req_t *req);

/* Finish a streamed response with an error the client reads as a trailer
 * field (Kubo's X-Stream-Error after values it has already streamed):
 * HTTP/1.1's last chunk carries it (the answer must be chunked: started
 * with no length), HTTP/2 a trailing HEADERS frame.  CR and LF in value
 * become spaces.  The handler gives up req, as with http_res_end(). */
void http_res_end_trailer(http_req_t *req, const char *name,
                          const char *value);

/* Give up on a response whose body cannot be completed (a block went
 * missing mid-stream): the connection is closed (HTTP/1.1) or the stream
 * reset (HTTP/2) so the client sees a truncated body, never a short one
 * that looks complete.  The handler gives up req, as with http_res_end(). */
void http_res_abort(http_req_t *req);

/* A whole small response in one call: start + write + end. */
void http_res_simple(http_req_t *req, int status, const char *content_type,
                   const void *body, size_t n);

/* Reason phrase for a status code ("Not Found"). */
const char *http_status_text(int status);

/* Percent-decode s[0..n) into out (room for n+1; out may be s, decoding
 * in place); returns the decoded length or -1 on a malformed escape or an
 * encoded NUL. */
int http_pct_decode(const char *s, size_t n, char *out);

/* Percent-encode s as encodeURIComponent (what kubo-rpc-client does to
 * filenames and arguments) into a new string; NULL on -ENOMEM. */
char *http_uri_encode(const char *s);
/* Append key=value to a query string under construction ("?" before the
 * first pair, "&" before the others), the value percent-encoded as
 * http_uri_encode does; q stays NUL-terminated past its len.  0 or
 * -ENOMEM. */
int http_query_add(tr_bytes_t *q, const char *key, const char *value) TR_WUR;

/* Value of key in a query string ("a=1&b=2"), percent-decoded into out;
 * returns 1 if present, 0 if not. */
int http_query_get(const char *query, const char *key, char *out, size_t outsz);

/* Is s[0..n) one media type with its parameters ("type/sub; a=1;
 * b=\"x\"") as Go's mime.ParseMediaType takes it (boxo parses the first
 * IPLD type of an Accept header so, and answers 400 when it fails):
 * tokens around the '/' (or one token), each parameter a token '=' a
 * token or a quoted string, no name twice (case aside), a final ';'
 * allowed?  RFC 2231 continuations (name*0) are not taken apart. */
bool http_media_type_ok(const char *s, size_t n);

/* An HTTP date (If-Modified-Since and the like) as Go's http.ParseTime
 * reads one: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850
 * ("Sunday, 06-Nov-94 08:49:37 GMT", any zone name taken as UTC) or
 * asctime ("Sun Nov  6 08:49:37 1994").  Seconds since the Unix epoch
 * into *t; false when s is none of them. */
bool http_date_parse(const char *s, int64_t *t);

/* t as an IMF-fixdate into out; false for a year past 9999 or before 1,
 * which the format cannot hold. */
bool http_date_format(int64_t t, char out[40]);

#endif /* HTTP_HTTP_H */

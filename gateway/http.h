/*
 * http.h — trove's HTTP server: HTTP/1.1 (keep-alive, pipelining, chunked
 * bodies, via http-parser) and HTTP/2 cleartext (prior knowledge and the
 * h2c upgrade, via nghttp2) on one libuv loop, with one request/response API
 * above both framings.  The gateway, the RPC API and the pinning API are
 * handlers on top of it.
 *
 * Life of a request:
 *   1. When a request's headers are complete the server calls the handler
 *      (gw_handler_fn).  The request object stays valid until the handler
 *      has called gw_res_end() AND the client is done with it; the server
 *      frees it afterwards.  Never touch req after gw_res_end().
 *   2. A request body is pushed to the callbacks set by gw_req_body();
 *      without them the body is discarded.  gw_req_pause()/gw_req_resume()
 *      stop and restart reading (back-pressure for uploads).
 *   3. The handler answers with gw_res_start() (status + headers), then
 *      gw_res_write() any number of times, then gw_res_end().  Writes are
 *      queued; gw_res_buffered() tells how much is waiting, and the drain
 *      callback of gw_res_on_drain() fires when the queue has fallen below
 *      GW_LOW_WATER — a streaming handler produces the next piece then, so a
 *      slow client never makes the node buffer a whole file.
 *   4. If the client goes away first, the close callback (gw_req_on_close)
 *      fires once; the handler must stop producing and still call
 *      gw_res_end() (writes after a close are accepted and dropped).
 *
 * Limits (gw_limits_t): connections in all and per client address, header
 * bytes, request rate per client address (token bucket), idle and header
 * timeouts, concurrent HTTP/2 streams.  Over a limit the server answers
 * 429/431/400/408 or closes, and the other clients go on being served.
 *
 * Everything runs on the loop thread; no function here is thread-safe.
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../common/tr.h"

#define GW_LOW_WATER (256u << 10)
#define GW_HIGH_WATER (1u << 20)

typedef struct gw_server gw_server_t;
typedef struct gw_req gw_req_t;

typedef struct gw_header {
  const char *name; /* lower-case for requests */
  const char *value;
} gw_header_t;

typedef struct gw_limits {
  uint32_t max_conns;          /* all connections (default 20000) */
  uint32_t max_conns_per_ip;   /* per client address (default 2000) */
  uint32_t max_header_bytes;   /* request line + headers (default 16 KiB) */
  uint32_t header_timeout_ms;  /* to receive a whole header (default 10 s) */
  uint32_t idle_timeout_ms;    /* keep-alive idle (default 120 s) */
  uint32_t body_timeout_ms;    /* between body reads / client reads of a
                                  response (default 60 s) */
  uint32_t rate_per_ip;        /* requests per second per address
                                  (default 2000; 0 = unlimited) */
  uint32_t rate_burst;         /* bucket size (default 4000) */
  uint32_t max_streams;        /* concurrent HTTP/2 streams (default 100) */
} gw_limits_t;

/* Fill in the defaults above. */
void gw_limits_default(gw_limits_t *l);

typedef void (*gw_handler_fn)(gw_req_t *req, void *ud);

/* Start listening on host:port (numeric IPv4 or IPv6 address).  limits may
 * be NULL for the defaults.  Errors: -errno from libuv (e.g. -EADDRINUSE),
 * -ENOMEM.  *srv is set only on success. */
int gw_server_start(uv_loop_t *loop, const char *host, int port,
                    const gw_limits_t *limits, gw_handler_fn handler,
                    void *ud, gw_server_t **srv) TR_WUR;

/* The port actually bound (useful with port 0). */
int gw_server_port(const gw_server_t *srv);

/* Stop accepting and close every connection; cb (may be NULL) runs once
 * everything is closed, after which srv is freed. */
void gw_server_stop(gw_server_t *srv, void (*cb)(void *ud), void *ud);

/* Number of open connections (for metrics and tests). */
uint32_t gw_server_conns(const gw_server_t *srv);

/* ---------------------------------------------------------- requests */

const char *gw_req_method(const gw_req_t *req); /* "GET" ... */
/* The request target as sent: "/ipfs/bafy...?format=raw". */
const char *gw_req_target(const gw_req_t *req);
/* The path part, percent-decoding NOT applied; and the query without '?'
 * ("" when none). */
const char *gw_req_path(const gw_req_t *req);
const char *gw_req_query(const gw_req_t *req);
/* Header value by lower-case name; NULL if absent.  Repeated headers are
 * joined with ", " as RFC 9110 allows. */
const char *gw_req_header(const gw_req_t *req, const char *name);
/* 1 for HTTP/1.x, 2 for HTTP/2. */
int gw_req_http_version(const gw_req_t *req);
/* Client address as text ("127.0.0.1"). */
const char *gw_req_peer(const gw_req_t *req);

/* Body callbacks: on_data for each piece (valid only during the call),
 * on_end once at the end (status 0) or when the body failed (negative:
 * client closed, timeout, too large). */
typedef void (*gw_body_data_cb)(gw_req_t *req, const uint8_t *p, size_t n,
                                void *ud);
typedef void (*gw_body_end_cb)(gw_req_t *req, int status, void *ud);
void gw_req_body(gw_req_t *req, gw_body_data_cb on_data, gw_body_end_cb on_end,
                 void *ud);
void gw_req_pause(gw_req_t *req);
void gw_req_resume(gw_req_t *req);

/* The client went away (or the server is stopping). */
typedef void (*gw_close_cb)(gw_req_t *req, void *ud);
void gw_req_on_close(gw_req_t *req, gw_close_cb cb, void *ud);
bool gw_req_closed(const gw_req_t *req);

/* --------------------------------------------------------- responses */

/* Send the status line and headers.  content_length < 0 means unknown
 * (chunked in HTTP/1.1, plain DATA frames in HTTP/2).  For HEAD requests
 * pass the length the GET would have; no body is sent whatever is written.
 * Date, Server and Connection handling are added by the server.  Returns 0
 * or -EINVAL when called twice. */
int gw_res_start(gw_req_t *req, int status, const gw_header_t *hdrs,
                 size_t nhdrs, int64_t content_length);

/* Queue body bytes (copied).  0, -ENOMEM, or -EPIPE after a close (the
 * bytes are dropped; the handler should stop and end). */
int gw_res_write(gw_req_t *req, const void *p, size_t n);

/* Bytes queued and not yet written to the socket. */
size_t gw_res_buffered(const gw_req_t *req);

/* Write what is queued now instead of when 64 KiB have gathered or the
 * response ends: for small pieces a client waits for while the request is
 * still going on (add's progress).  HTTP/2 sends as it goes already. */
void gw_res_flush(gw_req_t *req);

/* Call cb once, when the queue falls under GW_LOW_WATER (immediately, on
 * the next loop iteration, if it already is). */
typedef void (*gw_drain_cb)(gw_req_t *req, void *ud);
void gw_res_on_drain(gw_req_t *req, gw_drain_cb cb, void *ud);

/* Finish the response.  The handler gives up req. */
void gw_res_end(gw_req_t *req);

/* Give up on a response whose body cannot be completed (a block went
 * missing mid-stream): the connection is closed (HTTP/1.1) or the stream
 * reset (HTTP/2) so the client sees a truncated body, never a short one
 * that looks complete.  The handler gives up req, as with gw_res_end(). */
void gw_res_abort(gw_req_t *req);

/* A whole small response in one call: start + write + end. */
void gw_res_simple(gw_req_t *req, int status, const char *content_type,
                   const void *body, size_t n);

/* Reason phrase for a status code ("Not Found"). */
const char *gw_status_text(int status);

#endif /* GW_HTTP_H */

/*
 * client.h — trove's asynchronous HTTP/1.1 client on libuv: what bitswap's
 * HTTP retrieval (GET /ipfs/CID?format=raw|car from trustless gateways),
 * delegated routing (GET /routing/v1/providers/CID) and mirror following
 * (the Pinning Service API, with POST bodies) use to talk to other nodes.
 *
 * What it does:
 *   - URLs http://host[:port]/path?query and https://..., host a name
 *     (resolved with uv_getaddrinfo, each address tried in turn) or an
 *     IPv4 / [IPv6] literal.  https:// goes through tls.h (OpenSSL's
 *     libssl): the certificate is verified against the system store
 *     (SSL_CERT_FILE / SSL_CERT_DIR honoured) and the host name, SNI is
 *     sent; http:// never touches it.  The two never share a pooled
 *     connection.
 *   - Bodies both ways as bytes: a request body from one buffer (sent with
 *     Content-Length), a response body streamed to on_body as it arrives,
 *     decoded from Content-Length, chunked or read-to-close framing.
 *   - Back-pressure: http_creq_pause() stops reading the socket, so a slow
 *     consumer makes the server's writes block instead of making trove
 *     buffer (at most one read, HTTP_CLIENT_READ_BUF, is held).
 *   - A keep-alive pool: a connection whose response ended cleanly waits
 *     idle for the next request to the same host:port (closed after
 *     keepalive_ms).  A request sent on a reused connection that the server
 *     had closed meanwhile (EOF before any response byte) is retried once
 *     on a fresh connection when its method is idempotent (GET, HEAD, PUT,
 *     DELETE, OPTIONS).  No pipelining: one request per connection at a
 *     time.  Requests past the connection limits wait in a FIFO queue; at
 *     max_conns, a request to another host closes the oldest idle pooled
 *     connection.  A connection that sent bytes after its response, or
 *     anything while idle, is closed rather than reused.
 *   - Limits, each a named constant below and overridable in
 *     http_client_opts_t: connect, header, idle (no progress) and whole-
 *     request timeouts, header bytes, body bytes per request, connections
 *     per host:port and in all, waiting requests.
 *
 * What it does not do: client certificates, session resumption, HTTP/2,
 * proxies, redirects (a 3xx is handed to
 * on_head like any status: the caller decides), cookies, compression (no
 * Accept-Encoding is sent), Expect: 100-continue (interim 1xx responses
 * are skipped; 101 is an error since no upgrade is ever asked).
 *
 * Callbacks, and the life of a request (libuv's rules):
 *   - on_head(req, status, headers, n, ud) once, when the response head
 *     has come (1xx skipped).  Header names are lower-case; repeated
 *     headers appear repeatedly; the array and strings are valid during the
 *     call only.  Return 0 to go on, non-zero to abort: on_done then gets
 *     that value if it is negative, else -ECANCELED.
 *   - on_body(req, p, n, ud) for each piece of the decoded body (valid
 *     during the call only); same return convention.  May be NULL (the
 *     body is read and dropped, still within the body cap).
 *   - on_done(req, status, ud) exactly once, last, always from the loop
 *     (never from inside an http_client_* / http_creq_* call), with 0 when
 *     the whole response was received (whatever its HTTP status), or the
 *     error.  req is freed when on_done returns.
 *   - When http_client_request() fails it returns the error and no
 *     callback is ever called.
 *   - After http_creq_cancel() or http_client_free(), or after a callback
 *     asked to abort, no on_head/on_body is called; on_done follows from
 *     the loop.
 *
 * on_done's status:
 *   0                  the response is complete
 *   -ECANCELED         http_creq_cancel, http_client_free, or a callback
 *                      returned a positive value
 *   -ETIMEDOUT         connect, header, idle or whole-request timeout
 *   -ENXIO             the name does not resolve (EAI_NONAME / NODATA)
 *   -EAGAIN            the resolver failed temporarily (EAI_AGAIN)
 *   -EHOSTUNREACH      any other resolver failure
 *   -ECONNREFUSED, -ECONNRESET, -ENETUNREACH, ...: the socket's error
 *                      (-ECONNRESET too when the server closed before
 *                      sending a byte of the response)
 *   TR_EPROTO          the response broke HTTP/1.1: bad status line or
 *                      header, bad chunking, Content-Length with chunked,
 *                      two Content-Lengths, 101, more than
 *                      HTTP_CLIENT_MAX_INTERIM 1xx responses
 *   TR_ETOOBIG         the head passed max_header_bytes (or
 *                      HTTP_CLIENT_MAX_HEADERS fields), or the body passed
 *                      the body cap (a Content-Length over it fails before
 *                      on_head)
 *   TR_ETRUNC          the connection ended inside the response
 *   TR_ETLS            https://: the handshake failed (a certificate that
 *                      does not verify, for another name, no common
 *                      protocol) or a record did not decrypt; the reason
 *                      is logged
 *   -ENOMEM            out of memory
 *   a negative value a callback returned
 *
 * Everything runs on the loop thread; no function here is thread-safe.
 */
#ifndef HTTP_CLIENT_H
#define HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../common/tr.h"
#include "http.h" /* http_header_t */

/* Defaults of http_client_opts_t. */
#define HTTP_CLIENT_CONNECT_TIMEOUT_MS 10000u /* resolve + TCP connect */
#define HTTP_CLIENT_HEADER_TIMEOUT_MS 30000u  /* request handed to a
                                                 connection -> whole head */
#define HTTP_CLIENT_IDLE_TIMEOUT_MS 30000u    /* body: no byte for this long */
#define HTTP_CLIENT_DEADLINE_MS 600000u       /* whole request, queue too */
#define HTTP_CLIENT_MAX_HEADER_BYTES (64u << 10)
#define HTTP_CLIENT_MAX_BODY_BYTES (64ull << 20)
#define HTTP_CLIENT_CONNS_PER_HOST 6u
#define HTTP_CLIENT_MAX_CONNS 64u
#define HTTP_CLIENT_KEEPALIVE_MS 30000u /* idle pooled connection lifetime */
#define HTTP_CLIENT_MAX_QUEUED 1024u    /* requests waiting for a connection */
#define HTTP_CLIENT_USER_AGENT "trove"
/* Fixed caps. */
#define HTTP_CLIENT_MAX_HEADERS 256u    /* header fields in a response */
#define HTTP_CLIENT_MAX_INTERIM 8u      /* 1xx responses before the final */
#define HTTP_CLIENT_READ_BUF (64u << 10)

typedef struct http_client http_client_t;
typedef struct http_creq http_creq_t;

typedef struct http_client_opts {
  uint32_t connect_timeout_ms;
  uint32_t header_timeout_ms;
  uint32_t idle_timeout_ms; /* not counted while the caller has paused */
  uint32_t deadline_ms;     /* from http_client_request to on_done; 0: none */
  uint32_t max_header_bytes;
  uint64_t max_body_bytes;  /* per request; UINT64_MAX: no cap */
  uint32_t max_conns_per_host;
  uint32_t max_conns;       /* in all, busy + idle + connecting */
  uint32_t keepalive_ms;
  uint32_t max_queued;
  const char *user_agent;   /* copied; NULL: HTTP_CLIENT_USER_AGENT */
} http_client_opts_t;

/* Fill o with the defaults above. */
void http_client_opts_default(http_client_opts_t *o);

/* A client on loop.  opts may be NULL (the defaults); a zero field takes
 * its default (deadline_ms and keepalive_ms too: set UINT32_MAX for "no
 * deadline" / a keep-alive as long as the server allows).  0, -EINVAL
 * (a user_agent with control characters), -ENOMEM.  *out is set only on
 * success. */
int http_client_new(uv_loop_t *loop, const http_client_opts_t *opts,
                    http_client_t **out) TR_WUR;

/* Close the client.  Every request not yet done gets on_done(-ECANCELED)
 * once, from the loop, and no other callback; connections are closed and
 * the memory freed once libuv has closed every handle, so the loop must
 * run afterwards (uv_run until it ends, as a test does before
 * uv_loop_close).  Requests made from an on_done after this fail with
 * -ECANCELED.  May be called from inside any of the client's callbacks.
 * NULL is a no-op. */
void http_client_free(http_client_t *cl);

typedef struct http_client_cbs {
  int (*on_head)(http_creq_t *req, int status, const http_header_t *h,
                 size_t nh, void *ud);
  int (*on_body)(http_creq_t *req, const uint8_t *p, size_t n, void *ud);
  void (*on_done)(http_creq_t *req, int status, void *ud);
} http_client_cbs_t;

/* Start a request: method ("GET", "POST", ...; a token), url as above,
 * hdrs[0..nh) extra request headers (names and values copied; Host,
 * Content-Length, Transfer-Encoding, Connection and Upgrade are the
 * client's own and refused; User-Agent replaces the default), body[0..len)
 * the request body (copied; sent with Content-Length, also "0" for POST,
 * PUT and PATCH without one; NULL with len 0 for none).  cbs is copied;
 * on_done is required.  *out (may be NULL) gets the request, valid until
 * on_done returns.
 *
 * Errors (no callback is called then): -EINVAL (a malformed url, method,
 * header name or value -- CR, LF or NUL --, a client header, or no
 * on_done), -EPROTONOSUPPORT (a scheme other than http and https),
 * TR_ELIMIT (max_queued requests already wait), -ECANCELED (the client is
 * being freed), -ENOMEM. */
int http_client_request(http_client_t *cl, const char *method,
                        const char *url, const http_header_t *hdrs,
                        size_t nh, const void *body, size_t len,
                        const http_client_cbs_t *cbs, void *ud,
                        http_creq_t **out) TR_WUR;

/* GET url: http_client_request(cl, "GET", url, hdrs, nh, NULL, 0, ...). */
int http_client_get(http_client_t *cl, const char *url,
                    const http_header_t *hdrs, size_t nh,
                    const http_client_cbs_t *cbs, void *ud,
                    http_creq_t **out) TR_WUR;

/* Override the client's body cap (max_body_bytes; UINT64_MAX: none) and
 * deadline (deadline_ms from now; UINT32_MAX: none) for one request; 0
 * keeps the client's value.  Call it right after http_client_request
 * (before the loop runs again): a trustless CAR may be allowed more than a
 * routing answer. */
void http_creq_set_limits(http_creq_t *req, uint64_t max_body_bytes,
                          uint32_t deadline_ms);

/* Abort req: on_done(-ECANCELED) follows from the loop, and no on_head or
 * on_body is called after this returns.  Its connection is closed if the
 * response was under way.  A no-op if req is already finishing (an error
 * or completion is on its way to on_done); never call it after on_done. */
void http_creq_cancel(http_creq_t *req);

/* Stop / restart the body.  After pause, no on_body is called (beyond the
 * one running, if called from inside it) until resume, and the connection
 * is not read, so the server's writes eventually block; the idle timeout
 * does not run meanwhile (the deadline does) and starts afresh at resume.  Pausing before the head
 * arrives still lets on_head through.  resume delivers what was held from
 * the loop, never from inside the call.  Both are no-ops on a finishing
 * request. */
void http_creq_pause(http_creq_t *req);
void http_creq_resume(http_creq_t *req);

/* The value of the first header named name (lower-case) in h[0..n), or
 * NULL: for on_head. */
const char *http_client_header(const http_header_t *h, size_t n,
                               const char *name);

typedef struct http_client_stats {
  uint64_t conns_opened;  /* TCP connections established */
  uint64_t reqs_reused;   /* requests sent on a pooled connection */
  uint64_t retries;       /* stale keep-alive retries */
  uint32_t conns_open;    /* connecting, busy or idle now */
  uint32_t conns_idle;    /* in the keep-alive pool now */
  uint32_t queued;        /* requests waiting for a connection now */
} http_client_stats_t;

void http_client_stats(const http_client_t *cl, http_client_stats_t *st);

#endif /* HTTP_CLIENT_H */

/*
 * req.c — the request/response API of http.h, shared by both framings.
 * The framing files (http1.c, http2.c) parse into a http_req_t and turn
 * http_res_* calls into bytes; everything protocol-neutral is here.
 *
 * It reaches the framing of a request only through its connection's
 * protocol table (r->conn->proto), so it never links to http1.c or
 * http2.c, which call it; beneath it is conn.c alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "http_int.h"

/* ------------------------------------------------------------- lifecycle */

http_req_t *http__req_new(http_conn_t *c, int32_t stream_id) {
  /* Cleared up to the inline room, which is written before it is read
   * (and malloc, unlike calloc, takes glibc's per-thread cache). */
  http_req_t *r = tr_malloc(sizeof *r);
  if (!r)
    return NULL;
  memset(r, 0, offsetof(http_req_t, hdrs_inl));
  r->conn = c;
  r->stream_id = stream_id;
  r->state = REQ_PARSING;
  r->content_length = -1;
  r->keep_alive = true;
  tr_bytes_borrow(&r->arena, r->arena_inl, sizeof r->arena_inl);
  r->hdrs = r->hdrs_inl;
  r->caphdrs = HTTP_REQ_INLINE_HDRS;
  /* Offset 0 of the arena is an empty string for absent parts. */
  if (tr_bytes_append(&r->arena, "", 1)) {
    tr_free(r);
    return NULL;
  }
  return r;
}

void http__req_free(http_req_t *r) {
  http__drain_cancel(r);
  for (unsigned i = 0; i < r->nextra; i++)
    if (r->extra_owned & (1u << i))
      tr_free((char *)r->extra[i].value);
  tr_free(r->trailer);
  tr_free(r->query_own);
  tr_bytes_free(&r->arena);
  tr_bytes_free(&r->out);
  tr_bytes_free(&r->inbuf);
  if (r->hdrs != r->hdrs_inl)
    tr_free(r->hdrs);
  tr_free(r);
}

int http__arena_add(http_req_t *r, const char *p, size_t n, bool term,
                  uint32_t *off) {
  if (r->arena.len + n + 1 > UINT32_MAX)
    return TR_ETOOBIG;
  if (off)
    *off = (uint32_t)r->arena.len;
  int rc = tr_bytes_append(&r->arena, p, n);
  if (!rc && term)
    rc = tr_bytes_append(&r->arena, "", 1);
  return rc;
}

static char lower(char ch) {
  return ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
}

int http__req_hdr_room(http_req_t *r) {
  if (r->nhdrs < r->caphdrs)
    return 0;
  uint32_t cap = r->caphdrs * 2;
  bool inl = r->hdrs == r->hdrs_inl;
  hdr_t *h = tr_realloc(inl ? NULL : r->hdrs, cap * sizeof *h);
  if (!h)
    return -ENOMEM;
  if (inl)
    memcpy(h, r->hdrs_inl, sizeof r->hdrs_inl);
  r->hdrs = h;
  r->caphdrs = cap;
  return 0;
}

int http__req_add_header(http_req_t *r, const char *name, size_t nlen,
                       const char *value, size_t vlen) {
  int rc = http__req_hdr_room(r);
  if (rc)
    return rc;
  hdr_t *h = &r->hdrs[r->nhdrs];
  rc = http__arena_add(r, name, nlen, true, &h->name);
  if (rc)
    return rc;
  char *nm = (char *)r->arena.data + h->name;
  for (size_t i = 0; i < nlen; i++)
    nm[i] = lower(nm[i]);
  if ((rc = http__arena_add(r, value, vlen, true, &h->value)))
    return rc;
  r->nhdrs++;
  return 0;
}

/* An absolute-form target ("http://host/path?q", RFC 9112 3.2.1), as a
 * client sends it to a proxy: RFC 9112 3.2.2 says its authority is the
 * request's host whatever Host says, so it becomes the value of every
 * Host header (one is added when none came), and the handler sees one
 * host, not two.  userinfo ("user@host") is refused (RFC 9110 4.2.4), and
 * so is an empty authority. */
static int absolute_host(http_req_t *r, const char *a, size_t alen) {
  /* a is not in the arena, which may move as we add. */
  if (!alen || memchr(a, '@', alen))
    return -EINVAL;
  uint32_t off = 0;
  bool seen = false;
  int rc = http__arena_add(r, a, alen, true, &off);
  for (uint32_t i = 0; !rc && i < r->nhdrs; i++)
    if (!strcmp((const char *)r->arena.data + r->hdrs[i].name, "host")) {
      r->hdrs[i].value = off;
      seen = true;
    }
  if (!rc && !seen)
    rc = http__req_add_header(r, "host", 4, a, alen);
  return rc;
}

int http__req_split_target(http_req_t *r) {
  const char *t = (const char *)r->arena.data + r->target;
  const char *p = t;
  size_t skip = !strncasecmp(t, "http://", 7)    ? 7
                : !strncasecmp(t, "https://", 8) ? 8
                                                 : 0;
  size_t alen = 0;
  if (skip) {
    alen = strcspn(t + skip, "/?#");
    p = t + skip + alen;
  }
  if (!skip) {
    /* origin-form, as nearly every request: path and query are copied
     * from the target, in an arena grown beforehand so that the copies'
     * source does not move. */
    size_t plen = strcspn(t, "?#");
    size_t qoff = t[plen] == '?' ? plen + 1 : plen;
    size_t qlen = t[plen] == '?' ? strcspn(t + qoff, "#") : 0;
    int rc = tr_bytes_reserve(&r->arena, plen + qlen + 2);
    t = (const char *)r->arena.data + r->target;
    if (!rc)
      rc = http__arena_add(r, t, plen, true, &r->path);
    if (!rc)
      rc = http__arena_add(r, t + qoff, qlen, true, &r->query);
    return rc;
  }
  /* "http://host?q" has the path "/". */
  bool root = skip && *p != '/';
  size_t plen = root ? 0 : strcspn(p, "?#");
  const char *q = p[plen] == '?' ? p + plen + 1 : "";
  size_t qlen = strcspn(q, "#");
  /* Copy both: the arena may move while we append, so work from copies of
   * the offsets, not pointers. */
  char *tmp = root ? tr_strdup("/") : tr_strndup(p, plen);
  char *qtmp = tr_strndup(q, qlen);
  char *auth = skip ? tr_strndup(t + skip, alen) : NULL;
  int rc = tmp && qtmp && (auth || !skip) ? 0 : -ENOMEM;
  if (!rc)
    rc = http__arena_add(r, tmp, strlen(tmp), true, &r->path);
  if (!rc)
    rc = http__arena_add(r, qtmp, qlen, true, &r->query);
  if (!rc && skip)
    rc = absolute_host(r, auth, alen);
  tr_free(tmp);
  tr_free(qtmp);
  tr_free(auth);
  return rc;
}

static void answer_429(http_req_t *r) {
  static const char body[] = "429 Too Many Requests: slow down\n";
  http_header_t h[] = {{"Retry-After", "1"}};
  http_res_start(r, 429, h, 1, (int64_t)sizeof body - 1);
  http_res_write(r, body, sizeof body - 1);
  http_res_end(r);
}

void http__req_dispatch(http_req_t *r) {
  r->state = REQ_ACTIVE;
  r->done = r->conn->srv->done;
  r->done_ud = r->conn->srv->done_ud;
  if (r->done)
    r->t0_ns = uv_hrtime();
  r->head = !strcmp(http_req_method(r), "HEAD");
  if (!http__rate_ok(r->conn)) {
    answer_429(r);
    return;
  }
  r->conn->srv->handler(r, r->conn->srv->ud);
}

void http__req_body_data(http_req_t *r, const uint8_t *p, size_t n) {
  if (r->on_data && !r->body_done)
    r->on_data(r, p, n, r->body_ud);
}

void http__req_body_end(http_req_t *r, int status) {
  if (r->body_done)
    return;
  r->body_done = true;
  if (r->on_end)
    r->on_end(r, status, r->body_ud);
}

void http__req_transport_done(http_req_t *r) {
  r->transport_done = true;
  if (r->ended)
    http__req_free(r);
}

void http__req_close(http_req_t *r) {
  if (r->closed)
    return;
  if (r->state == REQ_PARSING) { /* no handler has seen it: just drop it */
    http__req_free(r);
    return;
  }
  r->closed = true;
  r->conn = NULL; /* the connection is going away */
  if (!r->body_done) {
    r->body_done = true;
    if (r->on_end)
      r->on_end(r, -ECONNRESET, r->body_ud);
  }
  if (r->on_close && !r->ended)
    r->on_close(r, r->close_ud);
  http__req_transport_done(r);
}

/* -------------------------------------------------------------- requests */

#define STR(r, off) ((const char *)(r)->arena.data + (off))

const char *http_req_method(const http_req_t *r) { return STR(r, r->method); }
const char *http_req_target(const http_req_t *r) { return STR(r, r->target); }
const char *http_req_path(const http_req_t *r) { return STR(r, r->path); }
const char *http_req_query(const http_req_t *r) {
  return r->query_own ? r->query_own : STR(r, r->query);
}

/* Its own allocation, not the arena's: growing the arena would move the
 * strings handed out before (a CORS header already set points into it). */
int http_req_set_query(http_req_t *r, const char *q, size_t n) {
  char *c = tr_malloc(n + 1);
  if (!c)
    return -ENOMEM;
  memcpy(c, q, n);
  c[n] = 0;
  tr_free(r->query_own);
  r->query_own = c;
  return 0;
}

const char *http_req_header(const http_req_t *r, const char *name) {
  /* The first byte first: most names differ there, and a handler asks for
   * a dozen headers a request. */
  for (uint32_t i = 0; i < r->nhdrs; i++) {
    const char *n = STR(r, r->hdrs[i].name);
    if (n[0] == name[0] && !strcmp(n, name))
      return STR(r, r->hdrs[i].value);
  }
  return NULL;
}

int http_req_http_version(const http_req_t *r) { return r->stream_id ? 2 : 1; }

const char *http_req_peer(const http_req_t *r) {
  return r->conn && r->conn->ip ? r->conn->ip->addr : "?";
}

int http_req_take_fd(http_req_t *req) {
  http_conn_t *c = req->conn;
  if (!c || !c->nfds || req->stream_id)
    return -1;
  int fd = c->fds[0];
  memmove(c->fds, c->fds + 1, --c->nfds * sizeof *c->fds);
  return fd;
}

void http_req_body(http_req_t *r, http_body_data_cb on_data, http_body_end_cb on_end,
                 void *ud) {
  r->on_data = on_data;
  r->on_end = on_end;
  r->body_ud = ud;
  if (!on_data)
    r->lend = NULL;
  /* The handler will read the body: a client waiting on "Expect:
   * 100-continue" may send it now. */
  if (on_data && r->expect_continue && !r->started && !r->closed && r->conn) {
    r->expect_continue = false;
    r->conn->proto->cont(r);
  }
  /* HTTP/2 body bytes that came before the callbacks wait in the stream. */
  if (r->conn && !r->closed && r->conn->proto->body_ready)
    r->conn->proto->body_ready(r);
}

void http_req_body_lend(http_req_t *r, http_body_lend_cb lend) {
  r->lend = lend;
}

void http_req_pause(http_req_t *r) {
  r->paused = true;
  if (r->conn && !r->closed && r->conn->proto->pause)
    r->conn->proto->pause(r);
}

void http_req_resume(http_req_t *r) {
  r->paused = false;
  if (!r->conn || r->closed)
    return;
  r->conn->proto->resume(r);
}

void http_req_on_finish(http_req_t *r, http_finish_fn fn, void *ud) {
  r->on_finish = fn;
  r->finish_ud = ud;
}

void http_req_deadline(http_req_t *r, uint32_t ms, const char *body) {
  if (r->ended || r->closed || r->expired || !r->conn)
    return;
  r->deadline_ms = uv_now(r->conn->srv->loop) + (ms ? ms : 1);
  r->deadline_body = body;
  http__conn_deadline(r->conn, r->deadline_ms);
}

bool http__req_expire(http_req_t *r) {
  r->expired = true;
  if (r->started)
    return false;
  const char *b = r->deadline_body ? r->deadline_body : "";
  size_t n = strlen(b);
  http_header_t h[] = {{"Content-Type", "text/plain; charset=utf-8"},
                       {"X-Content-Type-Options", "nosniff"}};
  r->keep_alive = false;
  if (http_res_start(r, 504, h, 2, (int64_t)n) == 0 && n && !r->head)
    r->conn->proto->write(r, b, n);
  return true;
}

void http_req_on_close(http_req_t *r, http_close_cb cb, void *ud) {
  r->on_close = cb;
  r->close_ud = ud;
}

bool http_req_closed(const http_req_t *r) { return r->closed; }

/* ------------------------------------------------------------- responses */

/* The answer is over: tell the server's done hook, once. */
static void report_done(http_req_t *r) {
  http_done_fn fn = r->done;
  r->done = NULL;
  if (fn)
    fn(r, r->status, uv_hrtime() - r->t0_ns, r->done_ud);
  http_finish_fn f = r->on_finish;
  r->on_finish = NULL;
  if (f)
    f(r, r->finish_ud);
}

#define HTTP_MAX_RES_HEADERS 64

/* A header a handler may send: a token name and a value without CR or LF
 * (a C string holds no NUL).  Values come from content (an entry name in
 * X-Ipfs-Path, a filename in Content-Disposition): a line break there would
 * split an HTTP/1.1 response and is a protocol error in HTTP/2. */
/* A header fit to send: a token name and a value without CR or LF.  Its
 * lengths come out of the same pass, so neither framing measures it again
 * (for a small answer the headers are most of the bytes written).
 * http__tchar[0] is 0: the name's scan stops at its end. */
static bool header_ok(const http_header_t *h, size_t *nl, size_t *vl) {
  if (!h->name || !h->value)
    return false;
  const unsigned char *n = (const unsigned char *)h->name;
  size_t i = 0;
  while (http__tchar[n[i]])
    i++;
  if (i == 0 || n[i])
    return false;
  size_t v = strcspn(h->value, "\r\n");
  if (h->value[v])
    return false;
  *nl = i;
  *vl = v;
  return true;
}

int http_res_start(http_req_t *r, int status, const http_header_t *h, size_t nh,
                 int64_t content_length) {
  if (r->started)
    return -EINVAL;
  r->started = true;
  r->status = status;
  r->content_length = content_length;
  if (r->closed)
    return 0;
  /* The one place both framings take headers from: drop the bad ones.
   * Without allocating (nothing here may fail): a handler sends a dozen
   * headers, and one with bad ones (or extra ones) gets its first
   * HTTP_MAX_RES_HEADERS good ones, copied as they are checked. */
  http_header_t ok[HTTP_MAX_RES_HEADERS];
  size_t len[2 * HTTP_MAX_RES_HEADERS];
  size_t k = 0, room = HTTP_MAX_RES_HEADERS - r->nextra, nl, vl;
  for (size_t i = 0; i < nh; i++)
    if (!header_ok(&h[i], &nl, &vl))
      tr_log(TR_LOG_WARN, "%s: dropped response header %s: not a token name "
             "or a value with CR/LF", http_req_target(r),
             h[i].name ? h[i].name : "(null)");
    else if (k < room) {
      ok[k] = h[i];
      len[2 * k] = nl;
      len[2 * k++ + 1] = vl;
    }
  for (size_t i = 0; i < r->nextra; i++)
    if (header_ok(&r->extra[i], &nl, &vl)) {
      ok[k] = r->extra[i];
      len[2 * k] = nl;
      len[2 * k++ + 1] = vl;
    }
  return r->conn->proto->start(r, ok, len, k);
}

int http_res_extra(http_req_t *r, const char *name, const char *value) {
  if (r->nextra == HTTP_RES_EXTRA)
    return -ENOSPC;
  r->extra[r->nextra++] = (http_header_t){name, value};
  return 0;
}

int http_res_extra_dup(http_req_t *r, const char *name, const char *value) {
  if (r->nextra == HTTP_RES_EXTRA)
    return -ENOSPC;
  char *v = tr_strdup(value);
  if (!v)
    return -ENOMEM;
  r->extra_owned |= (uint8_t)(1u << r->nextra);
  r->extra[r->nextra++] = (http_header_t){name, v};
  return 0;
}

int http_res_write(http_req_t *r, const void *p, size_t n) {
  if (r->closed || r->expired)
    return -EPIPE;
  if (!r->started || r->ended)
    return -EINVAL;
  if (r->head || n == 0)
    return 0;
  return r->conn->proto->write(r, p, n);
}

int http__res_direct_fd(http_req_t *r, uint8_t *pre, size_t cap,
                        size_t *npre) {
  http_conn_t *c = r->conn;
  *npre = 0;
  int fd;
  if (r->closed || !r->started || r->ended || r->head || r->stream_id ||
      r->chunked || !c || c->proto->version != 1 || c->closing ||
      c->failed || uv_fileno(&c->sock.handle, &fd))
    return -1;
  if (c->out.len > cap || c->inflight) {
    if (c->out.len && http__conn_flush(c))
      return -1;
    if (c->out.len || c->inflight)
      return -1;
  }
  if ((fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
    return -1;
  if (c->out.len)
    memcpy(pre, c->out.data, c->out.len);
  *npre = c->out.len;
  c->out.len = 0;
  return fd;
}

void http__res_sent(http_req_t *r) {
  http_conn_t *c = r->conn;
  if (r->closed || !c || c->closing)
    return;
  c->write_ms = uv_now(c->srv->loop);
  http__conn_timer(c);
}

void http_res_flush(http_req_t *r) {
  if (!r->closed && r->started && !r->ended && !r->stream_id && r->conn)
    http__conn_flush(r->conn);
}

size_t http_res_buffered(const http_req_t *r) {
  if (r->closed || !r->conn)
    return 0;
  return r->conn->proto->buffered(r);
}

void http_res_on_drain(http_req_t *r, http_drain_cb cb, void *ud) {
  r->on_drain = cb;
  r->drain_ud = ud;
  /* Already drained: call back on the next loop turn, never re-entrantly.
   * Otherwise the write path calls back when the queue falls. */
  if (!r->closed && http_res_buffered(r) < HTTP_LOW_WATER)
    http__drain_later(r);
}

void http_res_end(http_req_t *r) {
  if (r->ended)
    return;
  if (!r->started)
    http_res_start(r, 500, NULL, 0, 0);
  report_done(r); /* before anything below may free r */
  r->ended = true;
  r->state = REQ_DONE;
  if (r->closed) {
    if (r->transport_done)
      http__req_free(r);
    return;
  }
  r->conn->proto->end(r);
}

void http_res_end_trailer(http_req_t *r, const char *name,
                          const char *value) {
  size_t nl = strlen(name), vl = strlen(value);
  if (!r->ended && !r->trailer && (r->trailer = tr_malloc(nl + vl + 2))) {
    memcpy(r->trailer, name, nl + 1);
    for (size_t i = 0; i <= vl; i++)
      r->trailer[nl + 1 + i] =
          value[i] == '\r' || value[i] == '\n' ? ' ' : value[i];
    r->trailer_name = nl;
  }
  http_res_end(r);
}

void http_res_abort(http_req_t *r) {
  if (r->ended)
    return;
  if (r->closed || !r->conn) {
    http_res_end(r);
    return;
  }
  report_done(r);
  /* r is finished before anything below can call back into it.  HTTP/1.1
   * closes the connection once what was queued is out, HTTP/2 resets the
   * stream: either way the client sees a truncated body. */
  r->ended = true;
  r->state = REQ_DONE;
  r->on_close = NULL;
  r->on_drain = NULL;
  r->conn->proto->abort(r);
}

void http_res_simple(http_req_t *r, int status, const char *ctype,
                   const void *body, size_t n) {
  http_header_t h[1] = {{"Content-Type", ctype}};
  http_res_start(r, status, h, ctype ? 1 : 0, (int64_t)n);
  http_res_write(r, body, n);
  http_res_end(r);
}

const char *http_status_text(int s) {
  switch (s) {
  case 101: return "Switching Protocols";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 206: return "Partial Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 304: return "Not Modified";
  case 307: return "Temporary Redirect";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 406: return "Not Acceptable";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 410: return "Gone";
  case 412: return "Precondition Failed";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 416: return "Range Not Satisfiable";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  case 505: return "HTTP Version Not Supported";
  default: return "Unknown";
  }
}

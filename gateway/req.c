/*
 * req.c — the request/response API of http.h, shared by both framings.
 * The framing files (http1.c, http2.c) parse into a gw_req_t and turn
 * gw_res_* calls into bytes; everything protocol-neutral is here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http_int.h"

/* ------------------------------------------------------------- lifecycle */

gw_req_t *gw__req_new(gw_conn_t *c, int32_t stream_id) {
  gw_req_t *r = tr_calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->conn = c;
  r->stream_id = stream_id;
  r->state = REQ_PARSING;
  r->content_length = -1;
  r->keep_alive = true;
  /* Offset 0 of the arena is an empty string for absent parts. */
  if (tr_bytes_append(&r->arena, "", 1)) {
    tr_free(r);
    return NULL;
  }
  return r;
}

void gw__req_free(gw_req_t *r) {
  gw__drain_cancel(r);
  tr_bytes_free(&r->arena);
  tr_bytes_free(&r->out);
  tr_free(r->hdrs);
  tr_free(r);
}

int gw__arena_add(gw_req_t *r, const char *p, size_t n, bool term,
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

int gw__req_add_header(gw_req_t *r, const char *name, size_t nlen,
                       const char *value, size_t vlen) {
  if (r->nhdrs == r->caphdrs) {
    uint32_t cap = r->caphdrs ? r->caphdrs * 2 : 16;
    hdr_t *h = tr_realloc(r->hdrs, cap * sizeof *h);
    if (!h)
      return -ENOMEM;
    r->hdrs = h;
    r->caphdrs = cap;
  }
  hdr_t *h = &r->hdrs[r->nhdrs];
  int rc = gw__arena_add(r, name, nlen, true, &h->name);
  if (rc)
    return rc;
  char *nm = (char *)r->arena.data + h->name;
  for (size_t i = 0; i < nlen; i++)
    nm[i] = lower(nm[i]);
  if ((rc = gw__arena_add(r, value, vlen, true, &h->value)))
    return rc;
  r->nhdrs++;
  return 0;
}

int gw__req_split_target(gw_req_t *r) {
  const char *t = (const char *)r->arena.data + r->target;
  /* absolute-form ("http://host/path") as proxies send it */
  const char *p = t;
  if (!strncmp(p, "http://", 7) || !strncmp(p, "https://", 8)) {
    p = strchr(p + 8, '/');
    if (!p)
      p = "/";
  }
  size_t plen = strcspn(p, "?#");
  const char *q = p[plen] == '?' ? p + plen + 1 : "";
  size_t qlen = strcspn(q, "#");
  /* Copy both: the arena may move while we append, so work from copies of
   * the offsets, not pointers. */
  char *tmp = tr_strndup(p, plen);
  char *qtmp = tr_strndup(q, qlen);
  int rc = tmp && qtmp ? 0 : -ENOMEM;
  if (!rc)
    rc = gw__arena_add(r, tmp, plen, true, &r->path);
  if (!rc)
    rc = gw__arena_add(r, qtmp, qlen, true, &r->query);
  tr_free(tmp);
  tr_free(qtmp);
  return rc;
}

static void answer_429(gw_req_t *r) {
  static const char body[] = "429 Too Many Requests: slow down\n";
  gw_header_t h[] = {{"Retry-After", "1"}};
  gw_res_start(r, 429, h, 1, (int64_t)sizeof body - 1);
  gw_res_write(r, body, sizeof body - 1);
  gw_res_end(r);
}

void gw__req_dispatch(gw_req_t *r) {
  r->state = REQ_ACTIVE;
  r->head = !strcmp(gw_req_method(r), "HEAD");
  if (!gw__rate_ok(r->conn)) {
    answer_429(r);
    return;
  }
  r->conn->srv->handler(r, r->conn->srv->ud);
}

void gw__req_body_data(gw_req_t *r, const uint8_t *p, size_t n) {
  if (r->on_data && !r->body_done)
    r->on_data(r, p, n, r->body_ud);
}

void gw__req_body_end(gw_req_t *r, int status) {
  if (r->body_done)
    return;
  r->body_done = true;
  if (r->on_end)
    r->on_end(r, status, r->body_ud);
}

void gw__req_transport_done(gw_req_t *r) {
  r->transport_done = true;
  if (r->ended)
    gw__req_free(r);
}

void gw__req_close(gw_req_t *r) {
  if (r->closed)
    return;
  if (r->state == REQ_PARSING) { /* no handler has seen it: just drop it */
    gw__req_free(r);
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
  gw__req_transport_done(r);
}

/* -------------------------------------------------------------- requests */

#define STR(r, off) ((const char *)(r)->arena.data + (off))

const char *gw_req_method(const gw_req_t *r) { return STR(r, r->method); }
const char *gw_req_target(const gw_req_t *r) { return STR(r, r->target); }
const char *gw_req_path(const gw_req_t *r) { return STR(r, r->path); }
const char *gw_req_query(const gw_req_t *r) { return STR(r, r->query); }

const char *gw_req_header(const gw_req_t *r, const char *name) {
  for (uint32_t i = 0; i < r->nhdrs; i++)
    if (!strcmp(STR(r, r->hdrs[i].name), name))
      return STR(r, r->hdrs[i].value);
  return NULL;
}

int gw_req_http_version(const gw_req_t *r) { return r->stream_id ? 2 : 1; }

const char *gw_req_peer(const gw_req_t *r) {
  return r->conn && r->conn->ip ? r->conn->ip->addr : "?";
}

void gw_req_body(gw_req_t *r, gw_body_data_cb on_data, gw_body_end_cb on_end,
                 void *ud) {
  r->on_data = on_data;
  r->on_end = on_end;
  r->body_ud = ud;
}

void gw_req_pause(gw_req_t *r) {
  r->paused = true;
  if (r->conn && r->conn->proto == 1)
    gw__conn_read_stop(r->conn);
}

void gw_req_resume(gw_req_t *r) {
  r->paused = false;
  if (r->conn && r->conn->proto == 1)
    gw__h1_next(r->conn); /* feed what was held back, then read */
}

void gw_req_on_close(gw_req_t *r, gw_close_cb cb, void *ud) {
  r->on_close = cb;
  r->close_ud = ud;
}

bool gw_req_closed(const gw_req_t *r) { return r->closed; }

/* ------------------------------------------------------------- responses */

int gw_res_start(gw_req_t *r, int status, const gw_header_t *h, size_t nh,
                 int64_t content_length) {
  if (r->started)
    return -EINVAL;
  r->started = true;
  r->status = status;
  r->content_length = content_length;
  if (r->closed)
    return 0;
  return r->stream_id ? gw__h2_start(r, h, nh) : gw__h1_start(r, h, nh);
}

int gw_res_write(gw_req_t *r, const void *p, size_t n) {
  if (r->closed)
    return -EPIPE;
  if (!r->started || r->ended)
    return -EINVAL;
  if (r->head || n == 0)
    return 0;
  return r->stream_id ? gw__h2_write(r, p, n) : gw__h1_write(r, p, n);
}

void gw_res_flush(gw_req_t *r) {
  if (!r->closed && r->started && !r->ended && !r->stream_id && r->conn)
    gw__conn_flush(r->conn);
}

size_t gw_res_buffered(const gw_req_t *r) {
  if (r->closed || !r->conn)
    return 0;
  if (r->stream_id)
    return r->out.len - r->out_off + gw__conn_buffered(r->conn);
  return gw__conn_buffered(r->conn);
}

void gw_res_on_drain(gw_req_t *r, gw_drain_cb cb, void *ud) {
  r->on_drain = cb;
  r->drain_ud = ud;
  /* Already drained: call back on the next loop turn, never re-entrantly.
   * Otherwise the write path calls back when the queue falls. */
  if (!r->closed && gw_res_buffered(r) < GW_LOW_WATER)
    gw__drain_later(r);
}

void gw_res_end(gw_req_t *r) {
  if (r->ended)
    return;
  if (!r->started)
    gw_res_start(r, 500, NULL, 0, 0);
  r->ended = true;
  r->state = REQ_DONE;
  if (r->closed) {
    if (r->transport_done)
      gw__req_free(r);
    return;
  }
  if (r->stream_id)
    gw__h2_end(r);
  else
    gw__h1_end(r);
}

void gw_res_abort(gw_req_t *r) {
  if (r->ended)
    return;
  if (r->closed || !r->conn) {
    gw_res_end(r);
    return;
  }
  gw_conn_t *c = r->conn;
  /* r is finished before anything below can call back into it. */
  r->ended = true;
  r->state = REQ_DONE;
  r->on_close = NULL;
  r->on_drain = NULL;
  if (r->stream_id) {
    /* The reset closes the stream; on_stream_close frees r. */
    nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, r->stream_id,
                              NGHTTP2_INTERNAL_ERROR);
    gw__h2_send(c);
    return;
  }
  /* HTTP/1: what was queued still goes out, then the connection closes
   * without the final chunk. */
  if (c->req == r)
    c->req = NULL;
  gw__req_free(r);
  c->close_when_flushed = true;
  gw__conn_flush(c);
}

void gw_res_simple(gw_req_t *r, int status, const char *ctype,
                   const void *body, size_t n) {
  gw_header_t h[1] = {{"Content-Type", ctype}};
  gw_res_start(r, status, h, ctype ? 1 : 0, (int64_t)n);
  gw_res_write(r, body, n);
  gw_res_end(r);
}

const char *gw_status_text(int s) {
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

/*
 * client_parse.c — the HTTP client's code free of I/O: URL parsing, the
 * request's bytes, and the response parser (http-parser in HTTP_RESPONSE
 * mode under a small state machine that enforces the client's caps,
 * gathers the head, skips 1xx responses and stops at the end of the
 * message).  No handle, no clock, no socket: tests/fuzz/fuzz_http_client.c
 * feeds it arbitrary bytes split anywhere.
 *
 * http-parser (Debian's 2.9, built without HTTP_PARSER_STRICT) already
 * refuses a bad status line, bad chunk sizes, Content-Length together with
 * chunked, two Content-Lengths, and NUL/CR/LF inside header values; its
 * own head cap (HTTP_MAX_HEADER_SIZE, 80 KiB) bounds what this file does
 * not count (whitespace around values).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client_int.h"

/* ----------------------------------------------------------------- URLs */

static bool is_tchar(unsigned char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= '0' && ch <= '9') || strchr("!#$%&'*+-.^_`|~", ch);
}

static bool is_token(const char *s) {
  if (!*s)
    return false;
  for (; *s; s++)
    if (!is_tchar((unsigned char)*s))
      return false;
  return true;
}

static void lower(char *s) {
  for (; *s; s++)
    if (*s >= 'A' && *s <= 'Z')
      *s = (char)(*s - 'A' + 'a');
}

/* host[:port] or [v6][:port] in a[0..n). */
static int parse_authority(const char *a, size_t n, http__url_t *u) {
  const char *port = NULL;
  size_t hlen;
  bool v6 = n && a[0] == '[';
  if (v6) {
    const char *close = memchr(a, ']', n);
    if (!close)
      return -EINVAL;
    hlen = (size_t)(close - a - 1);
    if (hlen == 0 || hlen >= 46)
      return -EINVAL;
    memcpy(u->host, a + 1, hlen);
    u->host[hlen] = 0;
    unsigned char tmp[16];
    if (inet_pton(AF_INET6, u->host, tmp) != 1)
      return -EINVAL;
    size_t rest = n - (size_t)(close + 1 - a);
    if (rest) {
      if (close[1] != ':')
        return -EINVAL;
      port = close + 2;
    }
  } else {
    const char *colon = memchr(a, ':', n);
    hlen = colon ? (size_t)(colon - a) : n;
    if (hlen == 0 || hlen >= HTTP__HOST_MAX)
      return -EINVAL;
    for (size_t i = 0; i < hlen; i++) {
      unsigned char ch = (unsigned char)a[i];
      if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_'))
        return -EINVAL;
    }
    memcpy(u->host, a, hlen);
    u->host[hlen] = 0;
    if (colon)
      port = colon + 1;
  }
  lower(u->host);
  u->port = u->tls ? 443 : 80;
  if (port) {
    size_t plen = n - (size_t)(port - a);
    if (plen == 0 || plen > 5)
      return -EINVAL;
    unsigned v = 0;
    for (size_t i = 0; i < plen; i++) {
      if (port[i] < '0' || port[i] > '9')
        return -EINVAL;
      v = v * 10 + (unsigned)(port[i] - '0');
    }
    if (v == 0 || v > 65535)
      return -EINVAL;
    u->port = (uint16_t)v;
  }
  const char *l = v6 ? "[" : "", *r = v6 ? "]" : "";
  snprintf(u->hosthdr, sizeof u->hosthdr, "%s%s%s:%u", l, u->host, r,
           u->port);
  snprintf(u->key, sizeof u->key, "%s%s", u->tls ? "https://" : "",
           u->hosthdr);
  if (u->port == (u->tls ? 443 : 80))
    snprintf(u->hosthdr, sizeof u->hosthdr, "%s%s%s", l, u->host, r);
  return 0;
}

int http__url_parse(const char *url, http__url_t *u) {
  memset(u, 0, sizeof *u);
  const char *colon = strstr(url, "://");
  if (!colon)
    return -EINVAL;
  size_t slen = (size_t)(colon - url);
  bool tls = false;
  if (slen == 4 && !strncasecmp(url, "http", 4))
    ; /* ours */
  else if (slen == 5 && !strncasecmp(url, "https", 5))
    tls = true;
  else {
    for (size_t i = 0; i < slen; i++)
      if (!is_tchar((unsigned char)url[i]))
        return -EINVAL;
    return slen ? -EPROTONOSUPPORT : -EINVAL;
  }
  const char *a = colon + 3;
  size_t alen = strcspn(a, "/?#");
  if (memchr(a, '@', alen)) /* userinfo: not for us to send anywhere */
    return -EINVAL;
  u->tls = tls;
  int rc = parse_authority(a, alen, u);
  if (rc)
    return rc;
  u->target = a + alen;
  u->target_len = strcspn(u->target, "#");
  for (size_t i = 0; i < u->target_len; i++) {
    unsigned char ch = (unsigned char)u->target[i];
    if (ch <= 0x20 || ch >= 0x7f) /* callers percent-encode */
      return -EINVAL;
  }
  return 0;
}

/* ------------------------------------------------------- request bytes */

static bool value_ok(const char *v) {
  for (; *v; v++) {
    unsigned char ch = (unsigned char)*v;
    if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
      return false;
  }
  return true;
}

/* Headers the client writes itself. */
static bool reserved(const char *name) {
  static const char *const own[] = {"host", "content-length",
                                    "transfer-encoding", "connection",
                                    "upgrade"};
  for (size_t i = 0; i < TR_ARRAY_LEN(own); i++)
    if (!strcasecmp(name, own[i]))
      return true;
  return false;
}

static int add(tr_bytes_t *b, const char *s) {
  return tr_bytes_append(b, s, strlen(s));
}

int http__req_build(tr_bytes_t *out, const char *method, const http__url_t *u,
                    const http_header_t *hdrs, size_t nh, const void *body,
                    size_t len, bool send_len, const char *user_agent) {
  if (!method || strlen(method) > 32 || !is_token(method))
    return -EINVAL;
  bool have_ua = false;
  for (size_t i = 0; i < nh; i++) {
    if (!hdrs[i].name || !hdrs[i].value || !is_token(hdrs[i].name) ||
        !value_ok(hdrs[i].value) || reserved(hdrs[i].name))
      return -EINVAL;
    if (!strcasecmp(hdrs[i].name, "user-agent"))
      have_ua = true;
  }
  size_t start = out->len;
  int rc = 0;
  rc |= add(out, method);
  rc |= add(out, " ");
  if (u->target_len == 0 || u->target[0] != '/')
    rc |= add(out, "/");
  rc |= tr_bytes_append(out, u->target, u->target_len);
  rc |= add(out, " HTTP/1.1\r\nHost: ");
  rc |= add(out, u->hosthdr);
  rc |= add(out, "\r\n");
  if (!have_ua) {
    rc |= add(out, "User-Agent: ");
    rc |= add(out, user_agent);
    rc |= add(out, "\r\n");
  }
  for (size_t i = 0; i < nh; i++) {
    rc |= add(out, hdrs[i].name);
    rc |= add(out, ": ");
    rc |= add(out, hdrs[i].value);
    rc |= add(out, "\r\n");
  }
  if (send_len) {
    char cl[48];
    snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", len);
    rc |= add(out, cl);
  }
  rc |= add(out, "\r\n");
  if (len)
    rc |= tr_bytes_append(out, body, len);
  if (rc) {
    out->len = start;
    return -ENOMEM;
  }
  return 0;
}

/* ------------------------------------------------------ response parser */

static int fail(http__resp_t *r, int err) {
  if (!r->err)
    r->err = err;
  return -1;
}

/* Count head bytes; each field costs its bytes plus ": " and CRLF. */
static int budget(http__resp_t *r, size_t n) {
  if (n > r->max_header_bytes ||
      r->header_bytes + n > r->max_header_bytes)
    return fail(r, TR_ETOOBIG);
  r->header_bytes += (uint32_t)n;
  return 0;
}

static void head_reset(http__resp_t *r) {
  r->arena.len = 0;
  r->nh = 0;
  r->header_bytes = 0;
  r->hstate = 0;
  r->interim = false;
}

static int on_message_begin(http_parser *p) {
  head_reset(p->data);
  return 0;
}

static int on_status(http_parser *p, const char *at, size_t n) {
  (void)at;
  return budget(p->data, n);
}

static int cut(http__resp_t *r) {
  return tr_bytes_append(&r->arena, "", 1) ? fail(r, -ENOMEM) : 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n) {
  http__resp_t *r = p->data;
  if (budget(r, n))
    return -1;
  if (r->hstate != 1) {
    if (r->hstate == 2 && cut(r))
      return -1;
    if (r->nh >= HTTP_CLIENT_MAX_HEADERS)
      return fail(r, TR_ETOOBIG);
    if (budget(r, 4))
      return -1;
    if (r->nh == r->caph) {
      uint32_t cap = r->caph ? r->caph * 2 : 16;
      uint32_t *o = tr_realloc(r->offs, cap * 2 * sizeof *o);
      if (!o)
        return fail(r, -ENOMEM);
      r->offs = o;
      r->caph = cap;
    }
    r->offs[r->nh * 2] = (uint32_t)r->arena.len;
    r->offs[r->nh * 2 + 1] = UINT32_MAX;
    r->nh++;
    r->hstate = 1;
  }
  return tr_bytes_append(&r->arena, at, n) ? fail(r, -ENOMEM) : 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n) {
  http__resp_t *r = p->data;
  if (budget(r, n))
    return -1;
  if (r->hstate != 2) {
    if (r->nh == 0 || cut(r)) /* a value before any name cannot happen */
      return r->err ? -1 : fail(r, TR_EPROTO);
    r->offs[(r->nh - 1) * 2 + 1] = (uint32_t)r->arena.len;
    r->hstate = 2;
  }
  return tr_bytes_append(&r->arena, at, n) ? fail(r, -ENOMEM) : 0;
}

static int on_headers_complete(http_parser *p) {
  http__resp_t *r = p->data;
  int status = p->status_code;
  if (r->hstate && cut(r))
    return -1;
  if (status == 101) /* never asked for: the bytes after are not HTTP */
    return fail(r, TR_EPROTO);
  /* RFC 9110 6.4.1: 1xx, 204 and 304 responses and answers to HEAD have
   * no content whatever their Content-Length or Transfer-Encoding say;
   * http-parser would read one (1: skip the body). */
  if (status < 200) {
    if (++r->ninterim > HTTP_CLIENT_MAX_INTERIM)
      return fail(r, TR_EPROTO);
    r->interim = true;
    return 1;
  }
  bool bodyless = r->head_method || status == 204 || status == 304;
  if (!bodyless && (p->flags & F_CONTENTLENGTH) &&
      p->content_length > r->max_body)
    return fail(r, TR_ETOOBIG);
  if (r->nh && !r->hv) {
    r->hv = tr_malloc(HTTP_CLIENT_MAX_HEADERS * sizeof *r->hv);
    if (!r->hv)
      return fail(r, -ENOMEM);
  }
  for (uint32_t i = 0; i < r->nh; i++) {
    char *name = (char *)r->arena.data + r->offs[i * 2];
    uint32_t vo = r->offs[i * 2 + 1];
    lower(name);
    r->hv[i].name = name;
    /* A name with no value (cut by the end of the head) reads as "". */
    r->hv[i].value = vo == UINT32_MAX ? "" : (char *)r->arena.data + vo;
  }
  r->status = status;
  r->head_done = true;
  int rc = r->on_head ? r->on_head(r->ud, status, r->hv, r->nh) : 0;
  if (rc < 0)
    return fail(r, rc);
  if (rc == HTTP__PAUSE)
    http_parser_pause(p, 1);
  return bodyless ? 1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t n) {
  http__resp_t *r = p->data;
  if (n > r->max_body || r->body_bytes + n > r->max_body)
    return fail(r, TR_ETOOBIG);
  r->body_bytes += n;
  int rc = r->on_body ? r->on_body(r->ud, (const uint8_t *)at, n) : 0;
  if (rc < 0)
    return fail(r, rc);
  if (rc == HTTP__PAUSE)
    http_parser_pause(p, 1);
  return 0;
}

static int on_message_complete(http_parser *p) {
  http__resp_t *r = p->data;
  if (r->interim) { /* a 1xx: the real response follows */
    head_reset(r);
    return 0;
  }
  r->complete = true;
  r->keep_alive = http_should_keep_alive(p) != 0;
  http_parser_pause(p, 1); /* stop at the end of this message */
  return 0;
}

static const http_parser_settings resp_settings = {
    .on_message_begin = on_message_begin,
    .on_status = on_status,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void http__resp_init(http__resp_t *r, bool head_method,
                     uint32_t max_header_bytes, uint64_t max_body,
                     http__head_fn on_head, http__body_fn on_body_fn,
                     void *ud) {
  memset(r, 0, sizeof *r);
  http_parser_init(&r->p, HTTP_RESPONSE);
  r->p.data = r;
  r->head_method = head_method;
  r->max_header_bytes = max_header_bytes;
  r->max_body = max_body;
  r->on_head = on_head;
  r->on_body = on_body_fn;
  r->ud = ud;
}

void http__resp_free(http__resp_t *r) {
  tr_bytes_free(&r->arena);
  tr_free(r->offs);
  tr_free(r->hv);
  r->offs = NULL;
  r->hv = NULL;
  r->nh = r->caph = 0;
}

static int map_errno(enum http_errno e) {
  switch (e) {
  case HPE_HEADER_OVERFLOW:
    return TR_ETOOBIG;
  case HPE_INVALID_EOF_STATE:
    return TR_ETRUNC;
  default:
    return TR_EPROTO;
  }
}

int http__resp_feed(http__resp_t *r, const uint8_t *p, size_t n,
                    size_t *used) {
  *used = 0;
  if (r->err)
    return r->err;
  if (r->complete)
    return HTTP__RESP_DONE;
  if (n == 0)
    return HTTP__RESP_MORE;
  r->any = true;
  if (HTTP_PARSER_ERRNO(&r->p) == HPE_PAUSED)
    http_parser_pause(&r->p, 0);
  size_t k = http_parser_execute(&r->p, &resp_settings, (const char *)p, n);
  *used = k > n ? n : k;
  enum http_errno e = HTTP_PARSER_ERRNO(&r->p);
  if (r->err)
    return r->err;
  if (e == HPE_PAUSED)
    return r->complete ? HTTP__RESP_DONE : HTTP__RESP_PAUSED;
  if (e != HPE_OK)
    return r->err = map_errno(e);
  if (k < n) /* the parser stopped without a reason: do not guess */
    return r->err = TR_EPROTO;
  return HTTP__RESP_MORE;
}

int http__resp_eof(http__resp_t *r) {
  if (r->err)
    return r->err;
  if (r->complete)
    return HTTP__RESP_DONE;
  if (!r->any)
    return r->err = -ECONNRESET;
  if (HTTP_PARSER_ERRNO(&r->p) == HPE_PAUSED)
    http_parser_pause(&r->p, 0);
  http_parser_execute(&r->p, &resp_settings, NULL, 0);
  if (r->err)
    return r->err;
  if (r->complete)
    return HTTP__RESP_DONE;
  return r->err = TR_ETRUNC;
}

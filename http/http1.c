/*
 * http1.c — HTTP/1.x framing with http-parser: requests in, responses out,
 * keep-alive, pipelining, chunked bodies, and the h2c upgrade.
 *
 * One request at a time per connection: the parser is paused at the end of
 * each request message, and bytes of pipelined requests that follow wait in
 * c->pending (with reading stopped) until the response is out.  So a client
 * that pipelines a thousand requests holds one request's worth of memory.
 *
 * Files beneath it reach it only through its protocol table (h1_proto at
 * the end, set by http__h1_init); it calls http2.c for the h2c upgrade,
 * req.c for requests and conn.c for the connection's I/O.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "http_int.h"

static const http_proto_t h1_proto;

static int header_budget(http_conn_t *c, size_t n) {
  http_req_t *r = c->req;
  r->header_bytes += (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
  if (r->header_bytes > c->srv->lim.max_header_bytes) {
    c->err_status = 431;
    return -1;
  }
  return 0;
}

static int on_message_begin(http_parser *p) {
  http_conn_t *c = p->data;
  c->req = http__req_new(c, 0);
  if (!c->req)
    return -1;
  c->req_start_ms = uv_now(c->srv->loop);
  return 0;
}

static int on_url(http_parser *p, const char *at, size_t n) {
  http_conn_t *c = p->data;
  if (header_budget(c, n)) {
    c->err_status = 414;
    return -1;
  }
  http_req_t *r = c->req;
  if (!r->target)
    r->target = (uint32_t)r->arena.len;
  return http__arena_add(r, at, n, false, NULL) ? -1 : 0;
}

/* The URL, header names and values arrive in pieces; they are appended to
 * the arena as they come and cut into NUL-terminated strings when the next
 * part starts.  r->hstate: 0 in the URL, 1 in a name, 2 in a value. */
static int cut(http_req_t *r) { return http__arena_add(r, "", 0, true, NULL); }

/* RFC 9110 5.6.2 token characters.  http-parser (built without
 * HTTP_PARSER_STRICT, as Debian ships it) lets spaces and other separators
 * into header names, so "Content-Length : 5" would be taken as some other
 * header and its body as the next request: the request smuggling a proxy in
 * front of us could be fooled by.  RFC 9112 5.1 says answer 400. */
static int on_header_field(http_parser *p, const char *at, size_t n) {
  http_conn_t *c = p->data;
  http_req_t *r = c->req;
  /* The chunked body's trailer of a request upgraded to h2c: r is stream
   * 1 now, and http-parser reads the body to its end (on_body drops it);
   * the trailer goes with it.  (fuzz_http: a NULL r here.) */
  if (!r)
    return 0;
  if (header_budget(c, n))
    return -1;
  for (size_t i = 0; i < n; i++)
    if (!http__tchar[(unsigned char)at[i]])
      return -1;
  if (r->hstate != 1) {
    if (cut(r))
      return -1;
    if (http__req_hdr_room(r))
      return -1;
    r->hdrs[r->nhdrs].name = (uint32_t)r->arena.len;
    r->hdrs[r->nhdrs].value = 0; /* offset 0: "" until a value comes */
    r->nhdrs++;
    r->hstate = 1;
  }
  size_t off = r->arena.len;
  if (http__arena_add(r, at, n, false, NULL))
    return -1;
  for (size_t i = off; i < r->arena.len; i++)
    if (r->arena.data[i] >= 'A' && r->arena.data[i] <= 'Z')
      r->arena.data[i] = (uint8_t)(r->arena.data[i] + 32);
  return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n) {
  http_conn_t *c = p->data;
  http_req_t *r = c->req;
  if (!r) /* an upgraded request's trailer, as in on_header_field */
    return 0;
  if (header_budget(c, n))
    return -1;
  if (r->hstate != 2) {
    if (cut(r))
      return -1;
    r->hdrs[r->nhdrs - 1].value = (uint32_t)r->arena.len;
    r->hstate = 2;
  }
  return http__arena_add(r, at, n, false, NULL) ? -1 : 0;
}

static bool has_token(const char *v, const char *tok) {
  size_t n = strlen(tok);
  for (const char *p = v; p && *p;) {
    while (*p == ' ' || *p == ',')
      p++;
    if (!strncasecmp(p, tok, n) && (p[n] == 0 || p[n] == ',' || p[n] == ' '))
      return true;
    p = strchr(p, ',');
  }
  return false;
}

/* The h2c upgrade (RFC 7540 3.2): only for requests without a body. */
static int try_upgrade(http_conn_t *c, http_req_t *r) {
  const char *up = http_req_header(r, "upgrade");
  const char *settings = http_req_header(r, "http2-settings");
  if (!up || !settings || !has_token(up, "h2c"))
    return 0;
  if (c->parser.content_length > 0 && c->parser.content_length != ULLONG_MAX)
    return 0;
  uint8_t raw[512];
  size_t rawlen;
  if (sodium_base642bin(raw, sizeof raw, settings, strlen(settings), NULL,
                        &rawlen, NULL,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING))
    return 0;
  /* The session first: settings it refuses mean no upgrade (RFC 9113
   * lets a server ignore Upgrade), answered over HTTP/1.1 - never a 101
   * followed by nothing.  http__h2_init produces no frame yet, so the 101
   * still goes out before the server's SETTINGS. */
  if (http__h2_init(c, r, raw, rawlen))
    return 0;
  c->req = NULL; /* r is stream 1 now */
  c->h2_wait_preface = true;
  static const char resp[] = "HTTP/1.1 101 Switching Protocols\r\n"
                             "Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
  if (http__conn_queue(c, resp, sizeof resp - 1) || http__conn_flush(c))
    return -1;
  return 1;
}

static int on_headers_complete(http_parser *p) {
  http_conn_t *c = p->data;
  http_req_t *r = c->req;
  if (!r->target)
    return -1;
  if (cut(r)) /* ends the URL or the last name or value */
    return -1;
  if (http__arena_add(r, http_method_str((enum http_method)p->method), 
                    strlen(http_method_str((enum http_method)p->method)), true,
                    &r->method) ||
      http__req_split_target(r))
    return -1;
  r->keep_alive = http_should_keep_alive(p) != 0;
  bool has_body = (p->flags & F_CHUNKED) ||
                  (p->content_length > 0 && p->content_length != ULLONG_MAX);
  /* RFC 9110 10.1.1: HTTP/1.0 requests' Expect is ignored. */
  const char *expect = http_req_header(r, "expect");
  r->expect_continue = has_body && expect && p->http_minor >= 1 &&
                       !strcasecmp(expect, "100-continue");
  int up = try_upgrade(c, r);
  if (up < 0)
    return -1;
  http__h1_scan_body(c, (p->flags & F_CHUNKED) != 0);
  /* Stop here, so that the body's framing is scanned before the parser
   * reads it (http1_scan.c).  Not when the parser hands the connection
   * over (an upgrade): it returns by itself at the end of the message. */
  if (c->proto->version == 1 && !p->upgrade)
    http_parser_pause(p, 1);
  /* Upgraded or not, the request is dispatched; after an upgrade it is
   * stream 1 of the HTTP/2 session and answers go out as HTTP/2. */
  http__req_dispatch(r);
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t n) {
  http_conn_t *c = p->data;
  http_req_t *r = c->req;
  if (!r)
    return 0;
  http__req_body_data(r, (const uint8_t *)at, n);
  if (r->paused && c->req == r)
    http_parser_pause(p, 1);
  return 0;
}

static void h1_finish(http_conn_t *c);

static int on_message_complete(http_parser *p) {
  http_conn_t *c = p->data;
  http_req_t *r = c->req;
  http__h1_scan_reset(c);
  if (r) {
    http__req_body_end(r, 0); /* may end the response; r stays ours here */
    if (r->ended)
      h1_finish(c);
  }
  /* Stop after each message: the next one waits for this response. */
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void http__h1_init(http_conn_t *c) {
  c->proto = &h1_proto;
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  http__h1_scan_reset(c);
}

static void answer_error(http_conn_t *c, int status) {
  char buf[256];
  const char *text = http_status_text(status);
  int n = snprintf(buf, sizeof buf,
                   "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n%d %s\n",
                   status, text, strlen(text) + 5, status, text);
  c->close_when_flushed = true;
  http__conn_read_stop(c);
  if (http__conn_queue(c, buf, (size_t)n) == 0)
    http__conn_flush(c);
}

/* Keep bytes that must wait (a pipelined request behind an active one, or
 * body bytes while the handler has paused the body). */
static int hold(http_conn_t *c, const uint8_t *p, size_t n) {
  http__conn_read_stop(c);
  if (!n)
    return 0;
  /* Cap what a client can make us hold: one request header's worth plus
   * two reads (of the largest size this connection has read). */
  size_t rd = c->read_max > HTTP_READ_BUF ? c->read_max : HTTP_READ_BUF;
  if (c->pending.len + n > c->srv->lim.max_header_bytes + rd * 2)
    return -1;
  return tr_bytes_append(&c->pending, p, n);
}

/* Is the current request waiting on its handler, so that input must wait? */
static bool must_wait(const http_conn_t *c) {
  const http_req_t *r = c->req;
  return r && r->state != REQ_PARSING && (r->body_done || r->paused);
}

/* Read on while a handler works on a request whose body is in, as Go's
 * server reads in the background: a client that leaves is seen at once
 * (its handler told, its fetches cancelled), not at the next write.  What
 * comes meanwhile (a pipelined request) is held, and reading stops then,
 * as before.  Not while the handler has paused the body. */
static void watch_or_wait(http_conn_t *c) {
  const http_req_t *r = c->req;
  if (!must_wait(c) || (r->body_done && !r->paused && !c->pending.len))
    http__conn_read_start(c);
  else
    http__conn_read_stop(c);
}

/* Malformed input: answer 400 (or the parser's 414/431) and close, unless
 * a response is already under way, which only closing can cut.  A request
 * its handler holds is taken from it first (its body ends in error, its
 * close callback fires), so that nothing it writes later follows the 400. */
static int refuse(http_conn_t *c) {
  http_req_t *r = c->req;
  if (r && r->started)
    return -1;
  int status = c->err_status ? c->err_status : 400;
  if (r) {
    c->req = NULL;
    if (r->state == REQ_PARSING)
      http__req_free(r);
    else
      http__req_close(r);
  }
  if (!c->closing)
    answer_error(c, status);
  return 0;
}

static int h1_feed(http_conn_t *c, const uint8_t *p, size_t n) {
  while (n > 0) {
    if (must_wait(c))
      return hold(c, p, n);
    if (http__h1_scan(c, p, n))
      return refuse(c);
    if (HTTP_PARSER_ERRNO(&c->parser) == HPE_PAUSED)
      http_parser_pause(&c->parser, 0);
    c->in_parser = true;
    size_t done = http_parser_execute(&c->parser, &settings, (const char *)p, n);
    c->in_parser = false;
    c->parsed += done;
    if (c->closing)
      return 0;
    if (c->proto->version == 2) /* upgraded: the rest is HTTP/2 */
      return done < n ? c->proto->feed(c, p + done, n - done) : 0;
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    /* Before the upgrade flag: a request that asked to upgrade but failed
     * our checks (a bad target, too many headers) is refused like any
     * other, not passed over as an upgrade we declined - its request,
     * never dispatched, would be lost under the next one. */
    if (e != HPE_PAUSED && e != HPE_OK)
      return refuse(c);
    if (c->parser.upgrade) {
      /* An Upgrade we did not take (websocket...): carry on as HTTP/1. */
      http__h1_init(c);
      http_parser_pause(&c->parser, 1);
      e = HPE_PAUSED;
    }
    p += done;
    n -= done;
    if (done == 0 && e == HPE_OK)
      break;
  }
  watch_or_wait(c);
  return 0;
}

/* Feed what was held back, then read more. */
static void h1_next(http_conn_t *c) {
  if (c->closing || c->in_parser)
    return;
  tr_bytes_t held = c->pending;
  memset(&c->pending, 0, sizeof c->pending);
  int rc = held.len ? h1_feed(c, held.data, held.len) : 0;
  tr_bytes_free(&held);
  if (rc) {
    http__conn_close(c);
    return;
  }
  if (!c->closing && !c->pending.len)
    watch_or_wait(c);
}

/* An answer that has no content whatever its length says: 1xx, 204, 304,
 * and a 2xx to CONNECT, which says nothing of a length either (RFC 9110
 * 9.3.6): what follows on the connection is the tunnel's. */
static bool no_content(const http_req_t *r) {
  return r->status < 200 || r->status == 204 || r->status == 304 ||
         (r->status < 300 && !strcmp(http_req_method(r), "CONNECT"));
}

/* Both the response and the request message are complete. */
static void h1_finish(http_conn_t *c) {
  http_req_t *r = c->req;
  bool keep = r->keep_alive && !(r->content_length < 0 && !r->chunked &&
                                 !r->head && !no_content(r));
  c->req = NULL;
  http__req_free(r);
  if (!keep) {
    c->close_when_flushed = true;
    http__conn_flush(c);
    return;
  }
  http__conn_timer(c);
}

/* ------------------------------------------------------------- responses */

static void h1_continue(http_req_t *r) {
  static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
  if (http__conn_queue(r->conn, cont, sizeof cont - 1) == 0)
    http__conn_flush(r->conn);
}

/* Append s[0..n) at p; the end. */
static char *put(char *p, const char *s, size_t n) {
  memcpy(p, s, n);
  return p + n;
}

/* Append v in decimal (as %lld would write it) at p; the end. */
static char *put_dec(char *p, long long v) {
  char d[24];
  size_t i = 0;
  unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
  if (v < 0)
    *p++ = '-';
  do
    d[i++] = (char)('0' + u % 10);
  while (u /= 10);
  while (i)
    *p++ = d[--i];
  return p;
}

#define PUTS(p, lit) put(p, lit, sizeof lit - 1)

/* The status line, the headers, the framing headers and the empty line,
 * written into the connection's output in one piece: no formatting and no
 * copy per header, which for a small answer is most of what the server
 * does for it. */
static int h1_start(http_req_t *r, const http_header_t *h, const size_t *len,
                    size_t nh) {
  http_conn_t *c = r->conn;
  /* A final answer to a request whose client still waits for a 100 before
   * it sends the body: the client may send it or not, so the connection
   * cannot be reused (RFC 9110 10.1.1). */
  if (r->expect_continue && !r->body_done)
    r->keep_alive = false;
  bool nobody = no_content(r);
  int major = c->parser.http_major, minor = c->parser.http_minor;
  const char *text = http_status_text(r->status);
  const char *date = http__date(c->srv);
  size_t tl = strlen(text), dl = strlen(date);
  size_t need = sizeof "HTTP/1.1 -2147483648 \r\nServer: trove\r\nDate: \r\n" +
                tl + dl;
  for (size_t i = 0; i < nh; i++)
    need += len[2 * i] + len[2 * i + 1] + 4;
  /* Content-Length or Transfer-Encoding, Connection, the empty line. */
  need += sizeof "Content-Length: -9223372036854775808\r\n" +
          sizeof "Connection: keep-alive\r\n" + 2;
  uint8_t *room;
  int rc = http__conn_reserve(c, need, &room);
  if (rc)
    return rc;
  char *start = (char *)room, *p = PUTS(start, "HTTP/1.1 ");
  p = put_dec(p, r->status);
  *p++ = ' ';
  p = put(p, text, tl);
  p = PUTS(p, "\r\nServer: trove\r\nDate: ");
  p = put(p, date, dl);
  p = PUTS(p, "\r\n");
  for (size_t i = 0; i < nh; i++) {
    p = put(p, h[i].name, len[2 * i]);
    p = PUTS(p, ": ");
    p = put(p, h[i].value, len[2 * i + 1]);
    p = PUTS(p, "\r\n");
  }
  if (nobody) {
  } else if (r->content_length >= 0) {
    p = PUTS(p, "Content-Length: ");
    p = put_dec(p, (long long)r->content_length);
    p = PUTS(p, "\r\n");
  } else if (major == 1 && minor >= 1) {
    r->chunked = !r->head;
    p = PUTS(p, "Transfer-Encoding: chunked\r\n");
  } else {
    r->keep_alive = false; /* HTTP/1.0: the body ends with the connection */
  }
  if (!r->keep_alive)
    p = PUTS(p, "Connection: close\r\n");
  else if (major == 1 && minor == 0)
    p = PUTS(p, "Connection: keep-alive\r\n");
  p = PUTS(p, "\r\n");
  c->out.len += (size_t)(p - start);
  return 0;
}

static int h1_write(http_req_t *r, const void *p, size_t n) {
  http_conn_t *c = r->conn;
  int rc;
  if (r->chunked) {
    char head[24];
    int hn = snprintf(head, sizeof head, "%zx\r\n", n);
    if ((rc = http__conn_queue(c, head, (size_t)hn)))
      return rc;
  }
  if ((rc = http__conn_queue(c, p, n)))
    return rc;
  return r->chunked ? http__conn_queue(c, "\r\n", 2) : 0;
}

static void h1_end(http_req_t *r) {
  http_conn_t *c = r->conn;
  if (r->chunked && r->trailer) {
    http__conn_queue(c, "0\r\n", 3);
    http__conn_queue(c, r->trailer, r->trailer_name);
    http__conn_queue(c, ": ", 2);
    const char *v = r->trailer + r->trailer_name + 1;
    http__conn_queue(c, v, strlen(v));
    http__conn_queue(c, "\r\n\r\n", 4);
  } else if (r->chunked) {
    http__conn_queue(c, "0\r\n\r\n", 5);
  }
  http__conn_flush(c);
  if (c->closing)
    return;
  if (r->expect_continue && !r->body_done) {
    /* Answered without asking for the body: the client may never send
     * it, so do not wait for it; close once the answer is out. */
    c->req = NULL;
    http__req_free(r);
    c->close_when_flushed = true;
    http__conn_read_stop(c);
    http__conn_flush(c);
    return;
  }
  if (!r->body_done || c->in_parser) {
    /* Answered before the body was in: the rest of the body is read and
     * dropped (the handler has let go of req), and the request finishes at
     * the end of its message, in on_message_complete - which is also where
     * it finishes when the answer came from inside the parser's callbacks. */
    r->on_data = NULL;
    r->on_end = NULL;
    r->paused = false;
    h1_next(c);
    return;
  }
  h1_finish(c);
  h1_next(c);
}

/* http_res_abort: what was queued still goes out, then the connection
 * closes without the final chunk. */
static void h1_abort(http_req_t *r) {
  http_conn_t *c = r->conn;
  if (c->req == r)
    c->req = NULL;
  http__req_free(r);
  c->close_when_flushed = true;
  http__conn_flush(c);
}

static size_t h1_buffered(const http_req_t *r) {
  return http__conn_buffered(r->conn);
}

/* Back-pressure on an upload: stop reading the socket. */
static void h1_pause(http_req_t *r) { http__conn_read_stop(r->conn); }

/* Feed what was held back, then read. */
static void h1_resume(http_req_t *r) { h1_next(r->conn); }

/* ------------------------------------------------------------ connection */

/* A request whose handler is still working (waiting on a worker, say)
 * while the client reads everything is not the client's fault; anything
 * else past its time (a slow header, an idle keep-alive, a client that
 * stops reading) closes the connection. */
static int h1_timeout(http_conn_t *c) {
  http_req_t *r = c->req;
  if (r && r->state == REQ_ACTIVE && r->deadline_ms && !r->expired &&
      uv_now(c->srv->loop) >= r->deadline_ms) {
    /* The 504, or the answer under way (cut short: the close comes before
     * its length), goes out with what is queued, then the connection
     * closes; the handler hears that its client is gone. */
    http__req_expire(r);
    c->req = NULL;
    c->close_when_flushed = true;
    http__conn_read_stop(c);
    http__conn_flush(c);
    http__req_close(r);
    return 0;
  }
  if (r && r->state == REQ_ACTIVE && http__conn_buffered(c) == 0 &&
      r->body_done)
    return 0;
  return -1;
}

static void h1_drained(http_conn_t *c) {
  http_req_t *r = c->req;
  if (r && r->on_drain && r->state == REQ_ACTIVE)
    http__drain_later(r);
}

static void h1_free(http_conn_t *c) {
  if (c->req) {
    http_req_t *r = c->req;
    c->req = NULL;
    http__req_close(r);
  }
}

static const http_proto_t h1_proto = {
    .version = 1,
    .feed = h1_feed,
    .timeout = h1_timeout,
    .drained = h1_drained,
    .free = h1_free,
    .start = h1_start,
    .write = h1_write,
    .end = h1_end,
    .abort = h1_abort,
    .cont = h1_continue,
    .buffered = h1_buffered,
    .body_ready = NULL,
    .pause = h1_pause,
    .resume = h1_resume,
};

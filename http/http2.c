/*
 * http2.c — HTTP/2 cleartext framing with nghttp2: prior knowledge and the
 * h2c upgrade, many concurrent streams per connection, response bodies
 * pulled by nghttp2 from each stream's queue (r->out) through a data
 * provider, so flow control and priorities are nghttp2's.
 *
 * What a connection may cost is bounded whatever the peer does:
 *   - Output: frames are produced only while the socket has less than
 *     HTTP_HIGH_WATER waiting; a stream whose window is closed reports itself
 *     full (h2_buffered), so its handler stops after one piece; and at
 *     most H2_MAX_BUSY streams may be "busy" (dispatched but nothing sent
 *     yet, or blocked by a closed window) - further requests wait for their
 *     handler until one moves.  A client that opens 100 streams and never
 *     opens a window costs H2_MAX_BUSY pieces, not 100.
 *   - Time: a stream with bytes to send (or a body to receive) that makes
 *     no progress for body_timeout_ms is reset; a socket that takes nothing
 *     for as long is closed; a connection with no stream is closed after
 *     idle_timeout_ms (h2_check, from the connection's timer).
 *   - Uploads: nghttp2's automatic WINDOW_UPDATE is off.  The connection
 *     window is given back at once (one slow stream must not stop the
 *     others), a stream's only when its handler has taken the bytes; a
 *     paused body (http_req_pause) waits in r->inbuf, at most the stream
 *     window (64 KiB), and the client stops sending - as TCP stops an
 *     HTTP/1.1 upload.
 *   - Rapid reset (CVE-2023-44487): requests are dispatched after the
 *     receive (a stream reset in the same read never reaches a handler),
 *     and past H2_RESET_BURST resets (refilled at H2_RESET_RATE per second)
 *     the connection gets GOAWAY (ENHANCE_YOUR_CALM) and is closed.
 * nghttp2 allocates through trove's allocator, so allocation-failure tests
 * cover it too.
 *
 * Files beneath it reach it only through its protocol table (h2_proto at
 * the end, set by http__h2_init); it calls req.c for requests and conn.c
 * for the connection's I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http_int.h"

#define H2_MAX_BUSY 8
#define H2_RESET_BURST 200
#define H2_RESET_RATE 33
/* More than a stream window can bring: a peer past it broke flow control. */
#define H2_MAX_INBUF (1u << 20)

static const http_proto_t h2_proto;
static void h2_send(http_conn_t *c);

static http_req_t *stream_req(http_conn_t *c, int32_t id) {
  return c->h2 ? nghttp2_session_get_stream_user_data(c->h2, id) : NULL;
}

static void unlink_stream(http_conn_t *c, http_req_t *r) {
  http_req_t **pp = &c->streams;
  while (*pp && *pp != r)
    pp = &(*pp)->next;
  if (*pp) {
    *pp = r->next;
    if (--c->nstreams == 0)
      c->h2_idle_ms = uv_now(c->srv->loop);
  }
}

static size_t pending(const http_req_t *r) { return r->out.len - r->out_off; }

/* What the peer lets us send on r now (stream and connection windows). */
static int32_t send_window(http_conn_t *c, const http_req_t *r) {
  int32_t s = nghttp2_session_get_stream_remote_window_size(c->h2, r->stream_id);
  int32_t w = nghttp2_session_get_remote_window_size(c->h2);
  return s < w ? s : w;
}

/* Dispatched and holding memory without moving: nothing sent yet, or
 * bytes waiting behind a closed window. */
static bool stream_busy(http_conn_t *c, const http_req_t *r) {
  if (r->state == REQ_PARSING || r->closed)
    return false;
  if (r->ended && pending(r) == 0)
    return false;
  if (!r->h2_taken)
    return true;
  return pending(r) > 0 && send_window(c, r) <= 0;
}

static size_t h2_buffered(const http_req_t *r) {
  http_conn_t *c = r->conn;
  size_t own = pending(r);
  /* A closed window: the handler must wait for the peer, not queue. */
  if (own && c->h2 && send_window(c, r) <= 0 && own < HTTP_HIGH_WATER)
    return HTTP_HIGH_WATER;
  return own + http__conn_buffered(c);
}

/* ---------------------------------------------------------- receiving */

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f,
                            void *ud) {
  http_conn_t *c = ud;
  if (f->hd.type != NGHTTP2_HEADERS ||
      f->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0;
  http_req_t *r = http__req_new(c, f->hd.stream_id);
  if (!r)
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  r->progress_ms = uv_now(c->srv->loop);
  r->next = c->streams;
  c->streams = r;
  c->nstreams++;
  nghttp2_session_set_stream_user_data(s, f->hd.stream_id, r);
  return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f,
                     const uint8_t *name, size_t nlen, const uint8_t *value,
                     size_t vlen, uint8_t flags, void *ud) {
  (void)s, (void)flags;
  http_conn_t *c = ud;
  http_req_t *r = stream_req(c, f->hd.stream_id);
  if (!r || r->state != REQ_PARSING || r->h2_ready)
    return 0;
  r->header_bytes += (uint32_t)(nlen + vlen);
  if (r->header_bytes > c->srv->lim.max_header_bytes)
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets the stream */
  int rc = 0;
  if (nlen == 7 && !memcmp(name, ":method", 7))
    rc = http__arena_add(r, (const char *)value, vlen, true, &r->method);
  else if (nlen == 5 && !memcmp(name, ":path", 5))
    rc = http__arena_add(r, (const char *)value, vlen, true, &r->target);
  else if (nlen == 10 && !memcmp(name, ":authority", 10))
    rc = http__req_add_header(r, "host", 4, (const char *)value, vlen);
  else if (nlen && name[0] != ':')
    rc = http__req_add_header(r, (const char *)name, nlen, (const char *)value,
                            vlen);
  return rc ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE : 0;
}

/* Rapid reset: a token bucket of RST_STREAM frames per connection, kept
 * here so that the limit is ours (nghttp2's own, set too, is only in
 * versions with the CVE-2023-44487 fix). */
static bool reset_ok(http_conn_t *c) {
  uint64_t now = uv_now(c->srv->loop);
  c->h2_reset_tokens += (double)(now - c->h2_reset_ms) * H2_RESET_RATE / 1000.0;
  if (c->h2_reset_tokens > H2_RESET_BURST)
    c->h2_reset_tokens = H2_RESET_BURST;
  c->h2_reset_ms = now;
  if (c->h2_reset_tokens < 1)
    return false;
  c->h2_reset_tokens -= 1;
  return true;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f,
                         void *ud) {
  http_conn_t *c = ud;
  if (f->hd.type == NGHTTP2_RST_STREAM && !reset_ok(c)) {
    /* GOAWAY, then the connection closes once it is sent. */
    nghttp2_session_terminate_session(s, NGHTTP2_ENHANCE_YOUR_CALM);
    return 0;
  }
  http_req_t *r = stream_req(c, f->hd.stream_id);
  if (!r)
    return 0;
  bool end = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
             (f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA);
  if (f->hd.type == NGHTTP2_HEADERS && r->state == REQ_PARSING &&
      !r->h2_ready) {
    if (!r->method || !r->target || http__req_split_target(r)) {
      nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, f->hd.stream_id,
                                NGHTTP2_PROTOCOL_ERROR);
      return 0;
    }
    /* Dispatched after the receive (h2_send), within the busy limit. */
    r->h2_ready = true;
    const char *expect = http_req_header(r, "expect");
    r->expect_continue = !end && expect && !strcasecmp(expect, "100-continue");
  }
  if (end)
    r->h2_end_pending = true;
  return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id,
                         const uint8_t *data, size_t len, void *ud) {
  (void)flags;
  http_conn_t *c = ud;
  /* The connection window goes back at once; the stream's when the
   * handler takes the bytes. */
  nghttp2_session_consume_connection(s, len);
  http_req_t *r = stream_req(c, id);
  if (!r)
    return 0;
  r->progress_ms = uv_now(c->srv->loop);
  bool taker = r->state != REQ_PARSING && !r->paused && r->inbuf.len == 0 &&
               (r->on_data || r->state == REQ_DONE || r->body_done);
  if (taker) {
    nghttp2_session_consume_stream(s, id, len);
    http__req_body_data(r, data, len);
    return 0;
  }
  if (r->inbuf.len + len > H2_MAX_INBUF || tr_bytes_append(&r->inbuf, data, len))
    return nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id,
                                     NGHTTP2_FLOW_CONTROL_ERROR) ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
  return 0;
}

/* Hand r's held body bytes, then its end, to the handler while it takes
 * them.  The handler may finish (and free) r from its callbacks: r is
 * looked up again by id after each call. */
static void body_flush(http_conn_t *c, int32_t id) {
  http_req_t *r;
  while ((r = stream_req(c, id)) && r->state != REQ_PARSING && !r->paused &&
         (r->on_data || r->on_end || r->state == REQ_DONE)) {
    if (r->inbuf.len) {
      tr_bytes_t b = r->inbuf;
      memset(&r->inbuf, 0, sizeof r->inbuf);
      nghttp2_session_consume_stream(c->h2, id, b.len);
      http__req_body_data(r, b.data, b.len);
      tr_bytes_free(&b);
    } else if (r->h2_end_pending) {
      r->h2_end_pending = false;
      http__req_body_end(r, 0);
    } else {
      return;
    }
  }
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t err,
                           void *ud) {
  (void)err;
  http_conn_t *c = ud;
  http_req_t *r = stream_req(c, id);
  if (!r)
    return 0;
  nghttp2_session_set_stream_user_data(s, id, NULL);
  unlink_stream(c, r);
  if (r->ended) {
    http__req_transport_done(r);
    return 0;
  }
  /* Reset or closed before the handler finished: tell it. */
  http__req_close(r);
  return 0;
}

/* ------------------------------------------------------------ sending */

/* The stream's last DATA frame leaves it open for the trailer
 * (http_res_end_trailer), which nghttp2 sends as HEADERS with END_STREAM.
 * HTTP/2 field names are lower case. */
static void end_trailer(nghttp2_session *s, http_req_t *r, uint32_t *flags) {
  if (!r->trailer || r->expired)
    return;
  char name[64];
  size_t nl = r->trailer_name < sizeof name ? r->trailer_name : sizeof name;
  for (size_t i = 0; i < nl; i++)
    name[i] = (char)(r->trailer[i] >= 'A' && r->trailer[i] <= 'Z'
                         ? r->trailer[i] | 0x20
                         : r->trailer[i]);
  const char *v = r->trailer + r->trailer_name + 1;
  nghttp2_nv nv = {(uint8_t *)name, (uint8_t *)v, nl, strlen(v),
                   NGHTTP2_NV_FLAG_NONE};
  if (nghttp2_submit_trailer(s, r->stream_id, &nv, 1) == 0)
    *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
}

/* nghttp2 pulls a stream's body from r->out. */
static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf,
                         size_t len, uint32_t *flags, nghttp2_data_source *src,
                         void *ud) {
  (void)s, (void)id;
  http_conn_t *c = ud;
  http_req_t *r = src->ptr;
  size_t avail = pending(r);
  if (avail == 0) {
    if (r->ended || r->expired) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      end_trailer(s, r, flags);
      return 0;
    }
    return NGHTTP2_ERR_DEFERRED;
  }
  size_t n = avail < len ? avail : len;
  memcpy(buf, r->out.data + r->out_off, n);
  r->out_off += n;
  r->h2_taken = true;
  r->progress_ms = uv_now(c->srv->loop);
  if (r->out_off == r->out.len) {
    r->out.len = r->out_off = 0;
    if (r->ended || r->expired) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      end_trailer(s, r, flags);
    }
  } else if (r->out_off > (1u << 20)) {
    memmove(r->out.data, r->out.data + r->out_off, r->out.len - r->out_off);
    r->out.len -= r->out_off;
    r->out_off = 0;
  }
  if (r->on_drain && pending(r) < HTTP_LOW_WATER)
    http__drain_later(r);
  return (ssize_t)n;
}

/* Deliver held bodies to handlers that take them now. */
static void flush_bodies(http_conn_t *c) {
  int32_t ids[128];
  size_t n = 0;
  for (http_req_t *r = c->streams; r && n < 128; r = r->next)
    if (r->state != REQ_PARSING && (r->inbuf.len || r->h2_end_pending))
      ids[n++] = r->stream_id;
  for (size_t i = 0; i < n && c->h2 && !c->closing; i++)
    body_flush(c, ids[i]);
}

/* Start the handlers of complete requests, oldest first, while fewer than
 * H2_MAX_BUSY streams are busy.  Returns how many were started. */
static int dispatch_ready(http_conn_t *c) {
  int started = 0;
  while (c->h2 && !c->closing) {
    unsigned busy = 0;
    http_req_t *next = NULL;
    for (http_req_t *r = c->streams; r; r = r->next) {
      busy += stream_busy(c, r);
      if (r->state == REQ_PARSING && r->h2_ready &&
          (!next || r->stream_id < next->stream_id))
        next = r;
    }
    if (!next || busy >= H2_MAX_BUSY)
      break;
    int32_t id = next->stream_id;
    next->progress_ms = uv_now(c->srv->loop);
    http__req_dispatch(next); /* may answer, and end the stream, right here */
    body_flush(c, id);
    started++;
  }
  return started;
}

/* Frames out to the socket while it has room.  -1 if the connection
 * closed. */
static int write_frames(http_conn_t *c) {
  while (c->h2 && http__conn_buffered(c) < HTTP_HIGH_WATER) {
    const uint8_t *data;
    ssize_t n = nghttp2_session_mem_send(c->h2, &data);
    if (n == 0)
      break;
    if (n < 0 || http__conn_queue(c, data, (size_t)n)) {
      http__conn_fail(c); /* nghttp2's NOMEM is fatal to the session too */
      return -1;
    }
  }
  return 0;
}

/* Call back every producer whose queue, as http_res_buffered counts it
 * (the stream's own bytes plus the socket's), is now under HTTP_LOW_WATER.
 * The stream's part falls in read_body, the socket's when it drains: a
 * producer that asked for its callback while its own queue was empty but
 * the socket held HTTP_LOW_WATER or more was woken by neither, since
 * nghttp2 had nothing of that stream's to take, and its download stalled
 * for good (a client reading slower than the server writes). */
static void wake_drains(http_conn_t *c) {
  for (http_req_t *r = c->streams; r; r = r->next)
    if (r->on_drain && !r->in_drain && !r->closed && !r->ended &&
        h2_buffered(r) < HTTP_LOW_WATER)
      http__drain_later(r);
}

static void h2_send(http_conn_t *c) {
  /* Not from inside nghttp2's receive callbacks: h2_feed sends once
   * mem_recv has returned.  Handlers called from here (bodies delivered,
   * requests dispatched) write and end freely: their own calls back into
   * this function return at once, and the loop below sends for them. */
  if (!c->h2 || c->closing || c->failed || c->h2_sending || c->h2_in_recv ||
      c->h2_wait_preface)
    return;
  c->h2_sending = true;
  for (int round = 0; round < 256; round++) {
    flush_bodies(c);
    int started = c->h2 && !c->closing ? dispatch_ready(c) : 0;
    uint32_t open = c->nstreams;
    if (!c->h2 || c->closing || c->failed || write_frames(c))
      break;
    /* Again while that changed who may be dispatched: new handlers
     * started, or streams closed by what was just sent (a reset). */
    if (!started && c->nstreams == open)
      break;
  }
  c->h2_sending = false;
  if (c->closing || c->failed)
    return;
  http__conn_flush(c);
  if (!c->closing && c->h2)
    wake_drains(c);
  if (!c->closing && c->h2 && !nghttp2_session_want_read(c->h2) &&
      !nghttp2_session_want_write(c->h2) && http__conn_buffered(c) == 0)
    http__conn_close(c);
}

/* ------------------------------------------------------------ session */

static void *h2_malloc(size_t n, void *ud) {
  (void)ud;
  return tr_malloc(n);
}
static void h2_free(void *p, void *ud) {
  (void)ud;
  tr_free(p);
}
static void *h2_calloc(size_t n, size_t sz, void *ud) {
  (void)ud;
  return tr_calloc(n, sz);
}
static void *h2_realloc(void *p, size_t n, void *ud) {
  (void)ud;
  return tr_realloc(p, n);
}
static nghttp2_mem h2_mem = {NULL, h2_malloc, h2_free, h2_calloc, h2_realloc};

static int session_new(http_conn_t *c) {
  nghttp2_session_callbacks *cb;
  nghttp2_option *opt;
  if (nghttp2_session_callbacks_new(&cb))
    return -ENOMEM;
  if (nghttp2_option_new(&opt)) {
    nghttp2_session_callbacks_del(cb);
    return -ENOMEM;
  }
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_stream_reset_rate_limit(opt, H2_RESET_BURST, H2_RESET_RATE);
  int rc = nghttp2_session_server_new3(&c->h2, cb, c, opt, &h2_mem);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
  if (rc) {
    c->h2 = NULL;
    return -ENOMEM;
  }
  return 0;
}

int http__h2_init(http_conn_t *c, http_req_t *up, const uint8_t *settings,
                size_t settings_len) {
  if (session_new(c))
    return -ENOMEM;
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, c->srv->lim.max_streams},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, c->srv->lim.max_header_bytes},
  };
  /* On failure nothing has changed: no session, c->proto as it was, and an
   * upgrade request still belongs to the caller (HTTP2-Settings that
   * nghttp2 refuses, e.g. a length not a multiple of 6, must not leave a
   * half-made session or lose the request). */
  if (up && nghttp2_session_upgrade2(c->h2, settings, settings_len,
                                     !strcmp(http_req_method(up), "HEAD"),
                                     up)) {
    nghttp2_session_del(c->h2);
    c->h2 = NULL;
    return -EPROTO;
  }
  if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, 2)) {
    nghttp2_session_del(c->h2);
    c->h2 = NULL;
    return -ENOMEM;
  }
  c->proto = &h2_proto;
  c->h2_idle_ms = c->h2_reset_ms = uv_now(c->srv->loop);
  c->h2_reset_tokens = H2_RESET_BURST;
  /* The HTTP/1 timer gives way to HTTP/2's repeating check. */
  uv_timer_stop(&c->timer);
  if (up) {
    /* The upgrade request becomes stream 1 (half-closed remote). */
    up->stream_id = 1;
    up->next = c->streams;
    up->progress_ms = uv_now(c->srv->loop);
    c->streams = up;
    c->nstreams++;
    up->body_done = true;
  }
  return 0;
}

static int h2_feed(http_conn_t *c, const uint8_t *p, size_t n) {
  if (n)
    c->h2_wait_preface = false; /* the client speaks HTTP/2 now */
  c->h2_in_recv = true;
  ssize_t rc = nghttp2_session_mem_recv(c->h2, p, n);
  c->h2_in_recv = false;
  if (rc < 0)
    return -EPROTO;
  h2_send(c);
  return 0;
}

/* ---------------------------------------------------------- responses */

static int h2_start(http_req_t *r, const http_header_t *h, const size_t *len,
                    size_t nh) {
  http_conn_t *c = r->conn;
  char status[8], clen[24];
  snprintf(status, sizeof status, "%d", r->status);
  nghttp2_nv *nv = tr_calloc(nh + 4, sizeof *nv);
  char *lower = tr_malloc(4096);
  if (!nv || !lower) {
    tr_free(nv);
    tr_free(lower);
    return -ENOMEM;
  }
  size_t n = 0;
#define NV(k, v)                                                              \
  nv[n++] = (nghttp2_nv){(uint8_t *)(k), (uint8_t *)(v), strlen(k), strlen(v), \
                         NGHTTP2_NV_FLAG_NONE}
  NV(":status", status);
  NV("server", "trove");
  NV("date", http__date(c->srv));
  bool nobody = r->status < 200 || r->status == 204 || r->status == 304;
  if (r->content_length >= 0 && !nobody) {
    snprintf(clen, sizeof clen, "%lld", (long long)r->content_length);
    NV("content-length", clen);
  }
  /* HTTP/2 header names are lower case; handlers write canonical case. */
  size_t lo = 0;
  for (size_t i = 0; i < nh; i++) {
    size_t kl = len[2 * i];
    if (lo + kl + 1 > 4096 || !strcasecmp(h[i].name, "connection") ||
        !strcasecmp(h[i].name, "transfer-encoding"))
      continue;
    for (size_t j = 0; j <= kl; j++)
      lower[lo + j] = (char)(h[i].name[j] >= 'A' && h[i].name[j] <= 'Z'
                                 ? h[i].name[j] + 32
                                 : h[i].name[j]);
    nv[n++] = (nghttp2_nv){(uint8_t *)lower + lo, (uint8_t *)h[i].value, kl,
                           len[2 * i + 1], NGHTTP2_NV_FLAG_NONE};
    lo += kl + 1;
  }
#undef NV
  nghttp2_data_provider dp = {.source.ptr = r, .read_callback = read_body};
  int rc = nghttp2_submit_response(c->h2, r->stream_id, nv, n,
                                   (r->head || nobody) ? NULL : &dp);
  tr_free(lower);
  tr_free(nv);
  /* Frames go out on the next write or end: sending here could close a
   * bodiless stream, and call the handler's close callback, while the
   * handler is still inside http_res_start(). */
  return rc ? -EPROTO : 0;
}

static void h2_continue(http_req_t *r) {
  nghttp2_nv nv[] = {{(uint8_t *)":status", (uint8_t *)"100", 7, 3,
                      NGHTTP2_NV_FLAG_NONE}};
  if (nghttp2_submit_headers(r->conn->h2, NGHTTP2_FLAG_NONE, r->stream_id,
                             NULL, nv, 1, NULL) == 0)
    h2_send(r->conn);
}

static int h2_write(http_req_t *r, const void *p, size_t n) {
  int rc = tr_bytes_append(&r->out, p, n);
  if (rc)
    return rc;
  nghttp2_session_resume_data(r->conn->h2, r->stream_id);
  h2_send(r->conn);
  return 0;
}

static void h2_end(http_req_t *r) {
  http_conn_t *c = r->conn;
  if (r->state != REQ_DONE)
    r->state = REQ_DONE;
  /* The handler is done with the body: the request only needs to drop its
   * callbacks; the stream ends when nghttp2 has sent everything.  Body
   * bytes still coming are taken (and dropped) so the client can finish. */
  r->on_data = NULL;
  r->on_end = NULL;
  r->on_drain = NULL;
  r->paused = false;
  nghttp2_session_resume_data(c->h2, r->stream_id);
  h2_send(c);
}

static void h2_body_ready(http_req_t *r) { h2_send(r->conn); }

/* --------------------------------------------------------------- limits */

static int h2_check(http_conn_t *c) {
  if (!c->h2)
    return 0;
  const http_limits_t *l = &c->srv->lim;
  uint64_t now = uv_now(c->srv->loop);
  /* The socket takes nothing: the peer does not read at all. */
  if (http__conn_buffered(c) > 0 && now - c->write_ms >= l->body_timeout_ms)
    return -1;
  if (c->nstreams == 0)
    return now - c->h2_idle_ms >= l->idle_timeout_ms ? -1 : 0;
  /* Streams past their deadline (http_req_deadline): the 504 goes out
   * and ends the stream (read_body), or the answer under way is reset;
   * the handler hears of it when the stream closes.  Writing the 504 may
   * close streams and call handlers, so the list is not walked meanwhile:
   * ids first, a bounded number a tick. */
  int32_t late[64];
  size_t nlate = 0;
  for (http_req_t *r = c->streams; r && nlate < 64; r = r->next)
    if (r->deadline_ms && !r->expired && !r->closed &&
        r->state == REQ_ACTIVE && now >= r->deadline_ms)
      late[nlate++] = r->stream_id;
  for (size_t i = 0; i < nlate && c->h2 && !c->closing; i++) {
    http_req_t *r = stream_req(c, late[i]);
    if (!r || r->expired || r->closed)
      continue;
    /* r may be gone once http__req_expire returns (its 504 written, the
     * stream closed, the handler done): only the id is used after. */
    if (!http__req_expire(r) && c->h2)
      nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, late[i],
                                NGHTTP2_CANCEL);
  }
  if (nlate && c->h2 && !c->closing)
    h2_send(c);
  if (!c->h2 || c->closing)
    return 0;
  int reset = 0;
  for (http_req_t *r = c->streams; r; r = r->next) {
    if (r->closed || now - r->progress_ms < l->body_timeout_ms)
      continue;
    bool sending = r->state != REQ_PARSING &&
                   (pending(r) > 0 || (r->ended && !r->transport_done));
    bool receiving = r->state != REQ_PARSING && !r->body_done && !r->paused &&
                     !r->h2_end_pending;
    bool half_sent = r->state == REQ_PARSING && !r->h2_ready;
    /* A handler at work (nothing to send, body in) is not the peer's
     * fault; a stream waiting for dispatch waits on us. */
    if (sending || receiving || half_sent) {
      nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, r->stream_id,
                                NGHTTP2_CANCEL);
      reset++;
    }
  }
  if (reset)
    h2_send(c);
  return 0;
}

static void h2_free_conn(http_conn_t *c) {
  if (!c->h2)
    return;
  /* Streams still open: their handlers learn the client is gone. */
  while (c->streams) {
    http_req_t *r = c->streams;
    c->streams = r->next;
    c->nstreams--;
    nghttp2_session_set_stream_user_data(c->h2, r->stream_id, NULL);
    http__req_close(r);
  }
  nghttp2_session_del(c->h2);
  c->h2 = NULL;
}

/* http_res_abort: the reset closes the stream; on_stream_close frees r. */
static void h2_abort(http_req_t *r) {
  http_conn_t *c = r->conn;
  nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, r->stream_id,
                            NGHTTP2_INTERNAL_ERROR);
  h2_send(c);
}

/* The socket has room again: more frames, and the producers waiting on it
 * are woken (wake_drains). */
static void h2_drained(http_conn_t *c) { h2_send(c); }

static const http_proto_t h2_proto = {
    .version = 2,
    .feed = h2_feed,
    .timeout = h2_check,
    .drained = h2_drained,
    .free = h2_free_conn,
    .start = h2_start,
    .write = h2_write,
    .end = h2_end,
    .abort = h2_abort,
    .cont = h2_continue,
    .buffered = h2_buffered,
    .body_ready = h2_body_ready,
    .pause = NULL,
    .resume = h2_body_ready, /* deliver what waits; open the window again */
};

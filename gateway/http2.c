/*
 * http2.c — HTTP/2 cleartext framing with nghttp2: prior knowledge and the
 * h2c upgrade, many concurrent streams per connection, response bodies
 * pulled by nghttp2 from each stream's queue (r->out) through a data
 * provider, so flow control and priorities are nghttp2's.
 *
 * Back-pressure: frames are produced only while the connection has less than
 * GW_HIGH_WATER waiting for the socket; a stream's drain callback fires when
 * its own queue falls under GW_LOW_WATER.  Request bodies use nghttp2's
 * automatic window updates (uploads over HTTP/2 are not paused; the RPC
 * API's uploads come over HTTP/1.1 in practice).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http_int.h"

static gw_req_t *stream_req(gw_conn_t *c, int32_t id) {
  return c->h2 ? nghttp2_session_get_stream_user_data(c->h2, id) : NULL;
}

static void unlink_stream(gw_conn_t *c, gw_req_t *r) {
  gw_req_t **pp = &c->streams;
  while (*pp && *pp != r)
    pp = &(*pp)->next;
  if (*pp) {
    *pp = r->next;
    c->nstreams--;
  }
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f,
                            void *ud) {
  gw_conn_t *c = ud;
  if (f->hd.type != NGHTTP2_HEADERS ||
      f->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0;
  gw_req_t *r = gw__req_new(c, f->hd.stream_id);
  if (!r)
    return NGHTTP2_ERR_CALLBACK_FAILURE;
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
  gw_conn_t *c = ud;
  gw_req_t *r = stream_req(c, f->hd.stream_id);
  if (!r || r->state != REQ_PARSING)
    return 0;
  r->header_bytes += (uint32_t)(nlen + vlen);
  if (r->header_bytes > c->srv->lim.max_header_bytes)
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets the stream */
  int rc = 0;
  if (nlen == 7 && !memcmp(name, ":method", 7))
    rc = gw__arena_add(r, (const char *)value, vlen, true, &r->method);
  else if (nlen == 5 && !memcmp(name, ":path", 5))
    rc = gw__arena_add(r, (const char *)value, vlen, true, &r->target);
  else if (nlen == 10 && !memcmp(name, ":authority", 10))
    rc = gw__req_add_header(r, "host", 4, (const char *)value, vlen);
  else if (nlen && name[0] != ':')
    rc = gw__req_add_header(r, (const char *)name, nlen, (const char *)value,
                            vlen);
  return rc ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE : 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f,
                         void *ud) {
  (void)s;
  gw_conn_t *c = ud;
  gw_req_t *r = stream_req(c, f->hd.stream_id);
  if (!r)
    return 0;
  if (f->hd.type == NGHTTP2_HEADERS && r->state == REQ_PARSING) {
    if (!r->method || !r->target || gw__req_split_target(r)) {
      nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, f->hd.stream_id,
                                NGHTTP2_PROTOCOL_ERROR);
      return 0;
    }
    gw__req_dispatch(r);
    /* The handler may have answered and the stream may be gone. */
    r = stream_req(c, f->hd.stream_id);
  }
  if (r && (f->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
      (f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA))
    gw__req_body_end(r, 0);
  return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id,
                         const uint8_t *data, size_t len, void *ud) {
  (void)s, (void)flags;
  gw_req_t *r = stream_req(ud, id);
  if (r)
    gw__req_body_data(r, data, len);
  return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t err,
                           void *ud) {
  (void)err;
  gw_conn_t *c = ud;
  gw_req_t *r = stream_req(c, id);
  if (!r)
    return 0;
  nghttp2_session_set_stream_user_data(s, id, NULL);
  unlink_stream(c, r);
  if (r->ended) {
    gw__req_transport_done(r);
    return 0;
  }
  /* Reset or closed before the handler finished: tell it. */
  gw__req_close(r);
  return 0;
}

/* nghttp2 pulls a stream's body from r->out. */
static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf,
                         size_t len, uint32_t *flags, nghttp2_data_source *src,
                         void *ud) {
  (void)s, (void)id, (void)ud;
  gw_req_t *r = src->ptr;
  size_t avail = r->out.len - r->out_off;
  if (avail == 0) {
    if (r->ended) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    return NGHTTP2_ERR_DEFERRED;
  }
  size_t n = avail < len ? avail : len;
  memcpy(buf, r->out.data + r->out_off, n);
  r->out_off += n;
  if (r->out_off == r->out.len) {
    r->out.len = r->out_off = 0;
    if (r->ended)
      *flags |= NGHTTP2_DATA_FLAG_EOF;
  } else if (r->out_off > (1u << 20)) {
    memmove(r->out.data, r->out.data + r->out_off, r->out.len - r->out_off);
    r->out.len -= r->out_off;
    r->out_off = 0;
  }
  if (r->on_drain && r->out.len - r->out_off < GW_LOW_WATER)
    gw__drain_later(r);
  return (ssize_t)n;
}

void gw__h2_send(gw_conn_t *c) {
  /* Not from inside nghttp2's receive callbacks: gw__h2_feed sends once
   * mem_recv has returned. */
  if (!c->h2 || c->closing || c->h2_sending || c->h2_in_recv ||
      c->h2_wait_preface)
    return;
  c->h2_sending = true;
  while (gw__conn_buffered(c) < GW_HIGH_WATER) {
    const uint8_t *data;
    ssize_t n = nghttp2_session_mem_send(c->h2, &data);
    if (n < 0) {
      c->h2_sending = false;
      gw__conn_close(c);
      return;
    }
    if (n == 0)
      break;
    if (gw__conn_queue(c, data, (size_t)n)) {
      c->h2_sending = false;
      gw__conn_close(c);
      return;
    }
  }
  c->h2_sending = false;
  gw__conn_flush(c);
  if (!c->closing && !nghttp2_session_want_read(c->h2) &&
      !nghttp2_session_want_write(c->h2) && gw__conn_buffered(c) == 0)
    gw__conn_close(c);
}

int gw__h2_init(gw_conn_t *c, gw_req_t *up, const uint8_t *settings,
                size_t settings_len) {
  nghttp2_session_callbacks *cb;
  if (nghttp2_session_callbacks_new(&cb))
    return -ENOMEM;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  int rc = nghttp2_session_server_new(&c->h2, cb, c);
  nghttp2_session_callbacks_del(cb);
  if (rc) {
    c->h2 = NULL;
    return -ENOMEM;
  }
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, c->srv->lim.max_streams},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, c->srv->lim.max_header_bytes},
  };
  /* On failure nothing has changed: no session, c->proto as it was, and an
   * upgrade request still belongs to the caller (HTTP2-Settings that
   * nghttp2 refuses, e.g. a length not a multiple of 6, must not leave a
   * half-made session or lose the request). */
  if (up && nghttp2_session_upgrade2(c->h2, settings, settings_len,
                                     !strcmp(gw_req_method(up), "HEAD"),
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
  c->proto = 2;
  if (up) {
    /* The upgrade request becomes stream 1 (half-closed remote). */
    up->stream_id = 1;
    up->next = c->streams;
    c->streams = up;
    c->nstreams++;
    up->body_done = true;
  }
  return 0;
}

int gw__h2_feed(gw_conn_t *c, const uint8_t *p, size_t n) {
  if (n)
    c->h2_wait_preface = false; /* the client speaks HTTP/2 now */
  c->h2_in_recv = true;
  ssize_t rc = nghttp2_session_mem_recv(c->h2, p, n);
  c->h2_in_recv = false;
  if (rc < 0)
    return -EPROTO;
  gw__h2_send(c);
  return 0;
}

int gw__h2_start(gw_req_t *r, const gw_header_t *h, size_t nh) {
  gw_conn_t *c = r->conn;
  char status[8], clen[24];
  snprintf(status, sizeof status, "%d", r->status);
  nghttp2_nv *nv = tr_calloc(nh + 4, sizeof *nv);
  if (!nv)
    return -ENOMEM;
  size_t n = 0;
#define NV(k, v)                                                              \
  nv[n++] = (nghttp2_nv){(uint8_t *)(k), (uint8_t *)(v), strlen(k), strlen(v), \
                         NGHTTP2_NV_FLAG_NONE}
  NV(":status", status);
  NV("server", "trove");
  NV("date", gw__date(c->srv));
  bool nobody = r->status < 200 || r->status == 204 || r->status == 304;
  if (r->content_length >= 0 && !nobody) {
    snprintf(clen, sizeof clen, "%lld", (long long)r->content_length);
    NV("content-length", clen);
  }
  /* HTTP/2 header names are lower case; handlers write canonical case. */
  char *lower = tr_malloc(4096);
  size_t lo = 0;
  for (size_t i = 0; i < nh && lower; i++) {
    size_t kl = strlen(h[i].name);
    if (lo + kl + 1 > 4096 || !strcasecmp(h[i].name, "connection") ||
        !strcasecmp(h[i].name, "transfer-encoding"))
      continue;
    for (size_t j = 0; j <= kl; j++)
      lower[lo + j] = (char)(h[i].name[j] >= 'A' && h[i].name[j] <= 'Z'
                                 ? h[i].name[j] + 32
                                 : h[i].name[j]);
    NV(lower + lo, h[i].value);
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
   * handler is still inside gw_res_start(). */
  return rc ? -EPROTO : 0;
}

int gw__h2_write(gw_req_t *r, const void *p, size_t n) {
  int rc = tr_bytes_append(&r->out, p, n);
  if (rc)
    return rc;
  nghttp2_session_resume_data(r->conn->h2, r->stream_id);
  gw__h2_send(r->conn);
  return 0;
}

void gw__h2_end(gw_req_t *r) {
  gw_conn_t *c = r->conn;
  if (r->state != REQ_DONE)
    r->state = REQ_DONE;
  /* The handler is done with the body: the request only needs to drop its
   * callbacks; the stream ends when nghttp2 has sent everything. */
  r->on_data = NULL;
  r->on_end = NULL;
  r->on_drain = NULL;
  nghttp2_session_resume_data(c->h2, r->stream_id);
  gw__h2_send(c);
}

void gw__h2_free(gw_conn_t *c) {
  if (!c->h2)
    return;
  /* Streams still open: their handlers learn the client is gone. */
  while (c->streams) {
    gw_req_t *r = c->streams;
    c->streams = r->next;
    c->nstreams--;
    nghttp2_session_set_stream_user_data(c->h2, r->stream_id, NULL);
    gw__req_close(r);
  }
  nghttp2_session_del(c->h2);
  c->h2 = NULL;
}

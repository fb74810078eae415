/*
 * stream.c — worker-pool body production with back-pressure (stream.h).
 *
 * One piece in flight per response: fill on a worker, write on the loop,
 * wait for the drain callback, fill again.  A client that goes away stops
 * the cycle; the state is freed once no work is in flight.
 */
#include <errno.h>
#include <string.h>

#include "http_int.h"
#include "stream.h"

typedef struct http_stream {
  uv_work_t work;
  http_req_t *req;
  void *arg; /* passed to fill */
  http_fill_fn fill;
  http_state_free_fn free_fn;
  http_head_fn head; /* until the first piece */
  void *state;
  int64_t got; /* result of the last fill */
  bool busy, gone, done;
  uint8_t buf[HTTP_STREAM_PIECE];
} http_stream_t;

static void stream_free(http_stream_t *s) {
  if (s->free_fn)
    s->free_fn(s->state);
  tr_free(s);
}

static void next_piece(http_req_t *req, void *ud);

static void work_cb(uv_work_t *w) {
  http_stream_t *s = w->data;
  s->got = s->fill(s->state, s->arg, s->buf, sizeof s->buf);
}

static void after_cb(uv_work_t *w, int status) {
  http_stream_t *s = w->data;
  s->busy = false;
  if (s->head && !s->gone && status != UV_ECANCELED) {
    http_head_fn head = s->head;
    s->head = NULL;
    if (head(s->req, s->state, s->got)) { /* answered in full */
      stream_free(s);
      return;
    }
  }
  if (s->gone || status == UV_ECANCELED) {
    if (!s->gone)
      http_res_abort(s->req);
    else
      http_res_end(s->req);
    stream_free(s);
    return;
  }
  if (s->got < 0) {
    tr_log(TR_LOG_WARN, "%s: response cut short: %s", http_req_target(s->req),
           tr_strerror((int)s->got));
    http_res_abort(s->req);
    stream_free(s);
    return;
  }
  if (s->got == 0) {
    http_res_end(s->req);
    stream_free(s);
    return;
  }
  if (http_res_write(s->req, s->buf, (size_t)s->got)) {
    http_res_end(s->req);
    stream_free(s);
    return;
  }
  http_res_on_drain(s->req, next_piece, s);
}

static void next_piece(http_req_t *req, void *ud) {
  (void)req;
  http_stream_t *s = ud;
  if (s->gone || s->busy)
    return;
  s->busy = true;
  if (uv_queue_work(s->req->conn->srv->loop, &s->work, work_cb, after_cb)) {
    s->busy = false;
    http_res_abort(s->req);
    stream_free(s);
  }
}

static void on_close(http_req_t *req, void *ud) {
  http_stream_t *s = ud;
  s->gone = true;
  if (!s->busy) {
    http_res_end(req);
    stream_free(s);
  }
}

int http_stream_start(http_req_t *req, void *arg, http_fill_fn fill,
                    http_state_free_fn free_fn, void *state) {
  return http_stream_start_head(req, arg, fill, free_fn, state, NULL);
}

int http_stream_start_head(http_req_t *req, void *arg, http_fill_fn fill,
                         http_state_free_fn free_fn, void *state,
                         http_head_fn head) {
  http_stream_t *s = tr_malloc(sizeof *s);
  if (!s) {
    if (free_fn)
      free_fn(state);
    http_res_abort(req);
    return -ENOMEM;
  }
  s->work.data = s;
  s->req = req;
  s->arg = arg;
  s->fill = fill;
  s->free_fn = free_fn;
  s->head = head;
  s->state = state;
  s->got = 0;
  s->busy = s->gone = s->done = false;
  http_req_on_close(req, on_close, s);
  next_piece(req, s);
  return 0;
}

int http_stream_start_sized(http_req_t *req, void *arg, http_fill_fn fill,
                          http_state_free_fn free_fn, void *state,
                          uint64_t size) {
  if (size == 0 || size > HTTP_STREAM_INLINE)
    return http_stream_start(req, arg, fill, free_fn, state);
  uint8_t buf[HTTP_STREAM_INLINE];
  for (;;) {
    int64_t got = fill(state, arg, buf, sizeof buf);
    if (got < 0) {
      tr_log(TR_LOG_WARN, "%s: response cut short: %s", http_req_target(req),
             tr_strerror((int)got));
      if (free_fn)
        free_fn(state);
      http_res_abort(req);
      return 0;
    }
    if (got == 0 || http_res_write(req, buf, (size_t)got))
      break;
  }
  if (free_fn)
    free_fn(state);
  http_res_end(req);
  return 0;
}

int http_copy_cb(const uint8_t *p, size_t n, void *ud) {
  http_copy_t *c = ud;
  if (n > c->cap - c->n)
    n = c->cap - c->n;
  memcpy(c->buf + c->n, p, n);
  c->n += n;
  return 0;
}

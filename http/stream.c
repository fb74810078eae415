/*
 * stream.c — worker-pool body production with back-pressure (stream.h).
 *
 * One piece in flight per response: fill on a worker, write on the loop,
 * wait for the drain callback, fill again.  A fill that waits for input
 * (a wait hook took over) parks the stream until the hook resumes it, the
 * wait times out, or the client leaves.  A client that goes away stops the
 * cycle; the state is freed once no work is in flight and nothing waits.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "http_int.h"
#include "stream.h"

struct http_stream {
  uv_work_t work;
  uv_timer_t timer; /* a wait's deadline; closed before the stream is freed */
  http_req_t *req;
  void *arg; /* passed to fill */
  http_fill_fn fill;
  http_state_free_fn free_fn;
  http_head_fn head; /* until the first piece */
  http_wait_fn wait;
  http_unwait_fn cancel;
  uint32_t wait_ms;
  void *state;
  int64_t got; /* result of the last fill */
  bool busy, gone, parked, timer_init;
  uint8_t buf[HTTP_STREAM_PIECE];
};

static void timer_closed(uv_handle_t *h) { tr_free(h->data); }

static void stream_free(http_stream_t *s) {
  if (s->free_fn)
    s->free_fn(s->state);
  s->free_fn = NULL;
  if (s->timer_init) /* freed once the loop has let go of the timer */
    uv_close((uv_handle_t *)&s->timer, timer_closed);
  else
    tr_free(s);
}

static void next_piece(http_req_t *req, void *ud);

static void work_cb(uv_work_t *w) {
  http_stream_t *s = w->data;
  s->got = s->fill(s->state, s->arg, s->buf, sizeof s->buf);
}

static void wait_timeout(uv_timer_t *t) {
  http_stream_t *s = t->data;
  if (!s->parked)
    return;
  s->cancel(s->state);
  http_stream_resume(s, -ETIMEDOUT);
}

/* Park on a failed fill when the hook takes over; true if it did. */
static bool park(http_stream_t *s) {
  if (!s->wait || s->got >= 0)
    return false;
  if (s->wait_ms && !s->timer_init) {
    if (uv_timer_init(s->req->conn->srv->loop, &s->timer))
      return false;
    s->timer.data = s;
    s->timer_init = true;
  }
  s->parked = true;
  if (s->wait(s->state, s->got, s)) {
    s->parked = false;
    return false;
  }
  if (s->wait_ms)
    uv_timer_start(&s->timer, wait_timeout, s->wait_ms, 0);
  return true;
}

/* What to do with the result of a fill (s->got), on the loop. */
static void piece_done(http_stream_t *s, bool may_wait) {
  if (!s->gone && may_wait && park(s))
    return;
  if (s->head && !s->gone) {
    http_head_fn head = s->head;
    s->head = NULL;
    if (head(s->req, s->state, s->got)) { /* answered in full */
      stream_free(s);
      return;
    }
  }
  if (s->gone) {
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
  /* The next piece is made on a worker: a small one (a listing's head)
   * must not wait in the coalescing buffer until then. */
  http_res_flush(s->req);
  http_res_on_drain(s->req, next_piece, s);
}

static void after_cb(uv_work_t *w, int status) {
  http_stream_t *s = w->data;
  s->busy = false;
  if (status == UV_ECANCELED) {
    if (!s->gone)
      http_res_abort(s->req);
    else
      http_res_end(s->req);
    stream_free(s);
    return;
  }
  piece_done(s, true);
}

void http_stream_resume(http_stream_t *s, int status) {
  assert(s->parked && !s->busy && !s->gone);
  s->parked = false;
  if (s->timer_init)
    uv_timer_stop(&s->timer);
  if (status == 0) {
    next_piece(s->req, s);
    return;
  }
  s->got = status;
  piece_done(s, false);
}

static void next_piece(http_req_t *req, void *ud) {
  (void)req;
  http_stream_t *s = ud;
  if (s->gone || s->busy || s->parked)
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
  if (s->parked) { /* what it waits for is no longer wanted */
    s->parked = false;
    if (s->timer_init)
      uv_timer_stop(&s->timer);
    s->cancel(s->state);
  }
  if (!s->busy) {
    http_res_end(req);
    stream_free(s);
  }
}

static http_stream_t *stream_new(http_req_t *req, void *arg, http_fill_fn fill,
                                 http_state_free_fn free_fn, void *state,
                                 const http_stream_opts_t *o) {
  assert(!o->wait || o->cancel);
  http_stream_t *s = tr_malloc(sizeof *s);
  if (!s) {
    if (free_fn)
      free_fn(state);
    http_res_abort(req);
    return NULL;
  }
  s->work.data = s;
  s->req = req;
  s->arg = arg;
  s->fill = fill;
  s->free_fn = free_fn;
  s->head = o->head;
  s->wait = o->wait;
  s->cancel = o->cancel;
  s->wait_ms = o->wait_timeout_ms;
  s->state = state;
  s->got = 0;
  s->busy = s->gone = s->parked = s->timer_init = false;
  http_req_on_close(req, on_close, s);
  return s;
}

/* A body of known small size, made right here (see stream.h).  Returns 1
 * when it is done (answered), 0 when a fill failed with a wait hook set
 * and the stream must go on in the pool from the fill's result. */
static int inline_body(http_req_t *req, void *arg, http_fill_fn fill,
                       http_state_free_fn free_fn, void *state,
                       const http_stream_opts_t *o, int64_t *failed) {
  uint8_t buf[HTTP_STREAM_INLINE];
  for (;;) {
    int64_t got = fill(state, arg, buf, sizeof buf);
    if (got < 0 && o->wait) {
      *failed = got;
      return 0;
    }
    if (got < 0) {
      tr_log(TR_LOG_WARN, "%s: response cut short: %s", http_req_target(req),
             tr_strerror((int)got));
      if (free_fn)
        free_fn(state);
      http_res_abort(req);
      return 1;
    }
    if (got == 0 || http_res_write(req, buf, (size_t)got))
      break;
  }
  if (free_fn)
    free_fn(state);
  http_res_end(req);
  return 1;
}

int http_stream_start_opts(http_req_t *req, void *arg, http_fill_fn fill,
                           http_state_free_fn free_fn, void *state,
                           const http_stream_opts_t *o) {
  int64_t failed = 0;
  bool small = o->size && o->size <= HTTP_STREAM_INLINE && !o->head;
  if (small && inline_body(req, arg, fill, free_fn, state, o, &failed))
    return 0;
  http_stream_t *s = stream_new(req, arg, fill, free_fn, state, o);
  if (!s)
    return -ENOMEM;
  if (small) { /* the inline fill waits for input: go on from there */
    s->got = failed;
    piece_done(s, true);
  } else
    next_piece(req, s);
  return 0;
}

int http_stream_start(http_req_t *req, void *arg, http_fill_fn fill,
                    http_state_free_fn free_fn, void *state) {
  http_stream_opts_t o = {0};
  return http_stream_start_opts(req, arg, fill, free_fn, state, &o);
}

int http_stream_start_head(http_req_t *req, void *arg, http_fill_fn fill,
                         http_state_free_fn free_fn, void *state,
                         http_head_fn head) {
  http_stream_opts_t o = {.head = head};
  return http_stream_start_opts(req, arg, fill, free_fn, state, &o);
}

int http_stream_start_sized(http_req_t *req, void *arg, http_fill_fn fill,
                          http_state_free_fn free_fn, void *state,
                          uint64_t size) {
  http_stream_opts_t o = {.size = size};
  return http_stream_start_opts(req, arg, fill, free_fn, state, &o);
}

int http_copy_cb(const uint8_t *p, size_t n, void *ud) {
  http_copy_t *c = ud;
  if (n > c->cap - c->n)
    n = c->cap - c->n;
  memcpy(c->buf + c->n, p, n);
  c->n += n;
  return 0;
}

/*
 * stream.c — worker-pool body production with back-pressure (stream.h).
 *
 * One piece in flight per response: fill on a worker, write on the loop,
 * wait for the drain callback, fill again.  A fill that waits for input
 * (a wait hook took over) parks the stream until the hook resumes it, the
 * wait times out, or the client leaves.  A client that goes away stops the
 * cycle; the state is freed once no work is in flight and nothing waits.
 *
 * A view fill (stream.h) writes to the socket from the worker through a
 * duplicate of the connection's descriptor, made on the loop for that one
 * job: the loop may close the connection meanwhile, and the worker must
 * never write to a descriptor number the loop has closed and maybe handed
 * to another client.  While a fill that writes so runs, nothing else writes
 * to the connection: HTTP/1.1 answers one request at a time, and the
 * stream queues its next piece only after this one.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_int.h"
#include "stream.h"

/* A response head up to this size goes out with the body's first bytes. */
#define HTTP_STREAM_PRE 4096u

struct http_stream {
  uv_work_t work;
  uv_timer_t timer; /* a wait's deadline; closed before the stream is freed */
  http_req_t *req;
  void *arg; /* passed to fill */
  http_fill_fn fill;
  http_vfill_fn vfill;
  http_state_free_fn free_fn;
  http_head_fn head; /* until the first piece */
  http_wait_fn wait;
  http_unwait_fn cancel;
  uint32_t wait_ms;
  const char *cut_note; /* http_stream_opts_t's */
  void *state;
  int64_t got; /* result of the last fill */
  size_t len;  /* bytes of it in buf, to queue on the loop */
  uint64_t sent; /* bytes the last job wrote to the socket itself */
  int fd;        /* the job's duplicate of the socket, or -1 */
  bool busy, gone, parked, timer_init;
  bool loop; /* pieces are tried on the loop first (stream.h) */
  unsigned by_ref; /* RUN_BY_REF when the process ignores SIGPIPE */
  /* The response's head, taken from the connection's output for the
   * first job that writes to the socket itself (pre[0..npre)). */
  size_t npre;
  uint8_t pre[HTTP_STREAM_PRE];
  uint8_t buf[HTTP_STREAM_PIECE + HTTP_STREAM_PRE];
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

/* ------------------------------------------------------------- pieces */

size_t http_piece_room(const http_piece_t *p) {
  return p->cap - (size_t)p->sent - (p->len - p->plen) - p->vlen;
}

/* Take done bytes written off the front of the views from iov[*i] on
 * (iov[0] is the head, pre). */
static void consume(http_piece_t *p, int *i, size_t done) {
  for (; done && *i <= p->niov; (*i)++) {
    struct iovec *v = &p->iov[*i];
    size_t d = done < v->iov_len ? done : v->iov_len;
    v->iov_base = (uint8_t *)v->iov_base + d;
    v->iov_len -= d;
    p->foff[*i] += d;
    if (*i > 0)
      p->sent += d;
    done -= d;
    if (v->iov_len)
      break;
  }
}

/* Write pre and the views from iov[*i] on to the socket as far as it takes
 * them: runs of views in memory with one sendmsg each, views of files with
 * sendfile.  On a short write the socket is full (a slow client) or
 * failing: fd becomes -1, and the caller copies the rest. */
static void write_views(http_piece_t *p, int *i) {
  while (*i <= p->niov) {
    int j = *i;
    size_t want = 0;
    ssize_t w;
    if (p->ffd[j] < 0) {
      while (j <= p->niov && p->ffd[j] < 0)
        want += p->iov[j++].iov_len;
      struct msghdr m = {.msg_iov = p->iov + *i, .msg_iovlen = (size_t)(j - *i)};
      /* A file view follows: the tail of these bytes waits for it to fill
       * the segment. */
      int more = j <= p->niov ? MSG_MORE : 0;
      do
        w = sendmsg(p->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT | more);
      while (w < 0 && errno == EINTR);
    } else {
      want = p->iov[j].iov_len;
      off_t off = (off_t)p->foff[j];
      do
        w = sendfile(p->fd, p->ffd[j], &off, want);
      while (w < 0 && errno == EINTR);
    }
    size_t done = w > 0 ? (size_t)w : 0;
    consume(p, i, done);
    if (done < want) {
      p->fd = -1;
      return;
    }
  }
}

void http_piece_flush(http_piece_t *p) {
  int i = 1;
  if (p->fd >= 0 && (p->niov || p->npre)) {
    p->iov[0] = (struct iovec){(void *)p->pre, p->npre};
    p->ffd[0] = -1;
    p->foff[0] = 0;
    i = p->npre ? 0 : 1;
    write_views(p, &i);
    p->pre = p->iov[0].iov_base;
    p->npre = p->iov[0].iov_len;
    if (i == 0)
      i = 1;
  }
  if (p->npre) {
    memcpy(p->buf + p->len, p->pre, p->npre);
    p->len += p->npre;
    p->plen += p->npre;
    p->npre = 0;
  }
  for (; i <= p->niov; i++) {
    uint8_t *to = p->buf + p->len;
    size_t n = p->iov[i].iov_len, got = 0;
    /* A file view from its file: on the loop, data (the map) is not to
     * be touched. */
    while (p->ffd[i] >= 0 && got < n) {
      ssize_t r =
          pread(p->ffd[i], to + got, n - got, (off_t)(p->foff[i] + got));
      if (r <= 0 && !(r < 0 && errno == EINTR))
        break;
      got += r > 0 ? (size_t)r : 0;
    }
    if (got < n)
      memcpy(to + got, (uint8_t *)p->iov[i].iov_base + got, n - got);
    p->len += n;
  }
  p->niov = 0;
  p->vlen = 0;
}

/* sendfile has no MSG_NOSIGNAL: a client gone away would kill a process
 * that does not ignore SIGPIPE (the daemon does; a test may not). */
static bool sigpipe_ignored(void) {
  struct sigaction sa;
  return sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

int http_piece_add_file(http_piece_t *p, const void *data, size_t n, int fd,
                        uint64_t off) {
  assert(n <= http_piece_room(p));
  if (!p->by_ref)
    fd = -1;
  if (n && p->fd >= 0 && p->niov == HTTP_PIECE_IOV)
    http_piece_flush(p);
  if (!n)
    return 0;
  if (p->fd < 0) {
    memcpy(p->buf + p->len, data, n);
    p->len += n;
    return 0;
  }
  p->iov[++p->niov] = (struct iovec){(void *)data, n};
  p->ffd[p->niov] = fd;
  p->foff[p->niov] = off;
  p->vlen += n;
  return 0;
}

int http_piece_add(http_piece_t *p, const void *data, size_t n) {
  return http_piece_add_file(p, data, n, -1, 0);
}

bool http_piece_direct(const http_piece_t *p) { return p->fd >= 0; }

bool http_piece_on_loop(const http_piece_t *p) { return p->loop; }

int http_piece_cb(const uint8_t *data, size_t n, void *ud) {
  http_piece_t *p = ud;
  size_t room = http_piece_room(p);
  return http_piece_add(p, data, n < room ? n : room);
}

enum { RUN_LOOP = 1, RUN_BY_REF = 2 }; /* run_fill's flags: http_piece_t's */

/* One fill of either form into buf[0..cap), writing straight to fd where
 * the piece can (-1: copying only), pre[0..npre) first (then buf has room
 * for npre more).  *sent gets the body bytes written to fd, *len the bytes
 * in buf after them (what is left of pre first). */
static int64_t run_fill(http_fill_fn fill, http_vfill_fn vfill, void *state,
                        void *arg, uint8_t *buf, size_t cap, int fd,
                        const uint8_t *pre, size_t npre, unsigned flags,
                        uint64_t *sent, size_t *len) {
  *sent = 0;
  if (!vfill) {
    int64_t got = fill(state, arg, buf, cap);
    *len = got > 0 ? (size_t)got : 0;
    return got;
  }
  assert(fd >= 0 || !npre);
  http_piece_t p = {.buf = buf, .cap = cap, .fd = fd, .pre = pre, .npre = npre,
                    .loop = flags & RUN_LOOP, .by_ref = flags & RUN_BY_REF};
  int64_t got = vfill(state, arg, &p);
  assert(p.niov == 0); /* the fill flushed its views before they died */
  http_piece_flush(&p);
  *sent = p.sent;
  *len = p.len;
  return got;
}

/* A job writes at most this much straight to the socket: while the client
 * keeps up, fills follow each other on the worker without a round trip
 * through the loop, and the pool is not held by one client for long. */
#define HTTP_STREAM_BURST (1u << 20)

/* A job: fills one after the other, each written straight to the socket
 * where it can, until one leaves bytes in buf, fails or ends, or the
 * burst is spent; on a worker (work_cb) or on the loop (loop_job, with
 * RUN_LOOP). */
static void run_burst(http_stream_t *s, unsigned flags) {
  uint64_t sent = 0, one;
  for (;;) {
    s->got = run_fill(s->fill, s->vfill, s->state, s->arg, s->buf,
                      HTTP_STREAM_PIECE, s->fd, s->pre, s->npre, flags, &one,
                      &s->len);
    s->npre = 0;
    sent += one;
    if (s->got <= 0 || s->len || s->fd < 0 || sent >= HTTP_STREAM_BURST)
      break;
  }
  s->sent = sent;
}

static void work_cb(uv_work_t *w) {
  http_stream_t *s = w->data;
  run_burst(s, s->by_ref);
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
    if (s->cut_note) /* HTTP/1.1 sends what is queued before it closes */
      http_res_write(s->req, s->cut_note, strlen(s->cut_note));
    http_res_abort(s->req);
    stream_free(s);
    return;
  }
  if (s->got == 0) {
    http_res_end(s->req);
    stream_free(s);
    return;
  }
  if (http_res_write(s->req, s->buf, s->len)) {
    http_res_end(s->req);
    stream_free(s);
    return;
  }
  /* The next piece is made on a worker: a small one (a listing's head)
   * must not wait in the coalescing buffer until then. */
  http_res_flush(s->req);
  http_res_on_drain(s->req, next_piece, s);
}

static void job_done(http_stream_t *s, int status) {
  s->busy = false;
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
  if (s->sent && !s->gone)
    http__res_sent(s->req);
  s->sent = 0;
  /* The head the socket did not take, before a fill that made nothing. */
  if (s->got <= 0 && s->len && !s->gone)
    http_res_write(s->req, s->buf, s->len);
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

static void after_cb(uv_work_t *w, int status) { job_done(w->data, status); }

/* The job of work_cb run on the loop (opts.loop), in loop form: true when
 * it did the piece (job_done ran), false when the pool must make it: the
 * first fill would have read the map.  Then the loop is not tried again
 * for this stream. */
static bool loop_job(http_stream_t *s) {
  run_burst(s, RUN_LOOP | s->by_ref);
  if (s->got == -EAGAIN) {
    s->loop = false;
    if (!s->sent && !s->len)
      return false; /* the head, if any, is out: the pool goes on */
    /* What went out stands; the pool makes the rest, after the loop has
     * written what was copied (the end of a head the socket did not
     * take, or of a piece): in order, so the job copies too. */
    s->got = 1;
  }
  job_done(s, 0);
  return true;
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
  s->len = 0;
  piece_done(s, false);
}

static void next_piece(http_req_t *req, void *ud) {
  (void)req;
  http_stream_t *s = ud;
  if (s->gone || s->busy || s->parked)
    return;
  s->busy = true;
  if (s->vfill)
    s->fd = http__res_direct_fd(s->req, s->pre, sizeof s->pre, &s->npre);
  if (s->loop && s->fd >= 0 && loop_job(s))
    return;
  if (uv_queue_work(s->req->conn->srv->loop, &s->work, work_cb, after_cb)) {
    if (s->fd >= 0)
      close(s->fd);
    s->fd = -1;
    s->busy = false;
    if (s->npre) /* the head goes out before the abort closes */
      http_res_write(s->req, s->pre, s->npre);
    s->npre = 0;
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
  s->vfill = o->vfill;
  s->free_fn = free_fn;
  s->head = o->head;
  s->wait = o->wait;
  s->cancel = o->cancel;
  s->wait_ms = o->wait_timeout_ms;
  s->cut_note = o->cut_note;
  s->state = state;
  s->got = 0;
  s->len = 0;
  s->sent = 0;
  s->fd = -1;
  s->npre = 0;
  s->busy = s->gone = s->parked = s->timer_init = false;
  s->loop = o->loop && o->vfill;
  s->by_ref = sigpipe_ignored() ? RUN_BY_REF : 0;
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
    uint64_t sent;
    size_t len;
    int64_t got = run_fill(fill, o->vfill, state, arg, buf, sizeof buf, -1,
                           NULL, 0, 0, &sent, &len);
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
    if (got == 0 || http_res_write(req, buf, len))
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
    s->len = 0;
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

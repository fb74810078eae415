/*
 * rpc_upload.c — the upload pipe of rpc.h: a multipart request body goes
 * from the loop to a thread of its own, which parses it (multipart.h) and
 * runs a command's callbacks (add, block put, dag import); the values the
 * command emits come back to the loop and out as NDJSON.
 *
 * Loop -> thread: the body goes into a queue of slabs (UP_SLAB each), one
 * after the other, each piece appended where the last one ended.  Over
 * HTTP/1 the server reads the socket straight into the free end of the
 * last slab (http_req_body_lend), so a piece is usually already where it
 * belongs and costs no copy (copying every 64 KiB piece was 27% of the
 * loop's time in a 512 MiB add); a piece that a chunk-size line kept from
 * its place moves down over that line, and pieces from elsewhere (the
 * server's buffer, HTTP/2) are copied.  The thread takes all a slab holds
 * beyond what it took before, so the multipart parser and the command see
 * runs of up to a slab.  Over UP_HIGH queued bytes the loop pauses the
 * request (TCP back-pressure reaches the client); when the thread has
 * eaten the queue down to UP_LOW it asks the loop to resume.  So an upload
 * of any size holds about UP_HIGH of body plus two slabs in memory.  (Over
 * HTTP/2 the server cannot pause a body yet; an upload that gets
 * UP_H2_MAX ahead is refused.)
 *
 * The loop also searches each piece for the multipart delimiter as it
 * places it, while the bytes are in its core's cache, and the slab notes
 * how far it holds none (up to its first); the thread's parser then skips
 * that search (rpc_mp_clean).  Searching on the thread, after the bytes
 * had left the cache, was 8% of a daemon's add (memmem over 512 MiB,
 * ~0.1 s); on the loop, right after the read, it measured 30-40% less,
 * and the thread, the add's busiest, is rid of it.
 *
 * Thread -> writer: a block the command puts from the run it is being fed
 * (an add's raw leaf, a dag import's block) is lent to the import pipe
 * (rpc_up_put, bs_pipe_lend), not copied into its queue: copying every
 * leaf there was 6.6% of a daemon's add.  A slab that blocks were lent
 * from is kept, neither freed nor reused, until the pipe's writer is done
 * with its last one (its ticket); at most UP_KEPT_MAX slabs are kept, past
 * that blocks are copied.  So lending adds at most UP_KEPT_MAX slabs to
 * the upload's memory, and leaves as much of the pipe's queue untouched.
 *
 * Thread -> loop: emitted lines are appended to a buffer under the mutex
 * and a uv_async wakes the loop, which writes them.  The response starts
 * when the body has been read whole (or more than UP_OUT_EARLY bytes of
 * output wait): an error met while reading the body - a bad CID, a
 * malformed part - then still gets a real status and Kubo's error JSON.
 * A command that reports progress (add progress=true) starts it at its
 * first line instead, as Kubo streams while it reads: the client draws its
 * bar from those lines, and a later error comes as an error value.
 *
 * Passed files (opts.h, RPC_UP_FD_TYPE): over the Unix socket a part may
 * stand for a regular file whose descriptor came with it; the loop moves
 * descriptors from the connection (http_req_take_fd) onto fds as the
 * bytes they came with arrive, pausing past UP_FDS_HIGH, and the thread
 * reads each file itself when its part comes (passed_file), into slabs
 * it feeds and keeps as body slabs.  No byte of such a file crosses the
 * socket: that copy was the whole cost of an add through the daemon over
 * a local one.
 *
 * Why a thread and not the worker pool: the command keeps a blockstore
 * write batch open across many pieces of body, and an LMDB write
 * transaction must begin and end on one thread; pool jobs would each land
 * on any thread.  The price is one thread per running upload, capped at
 * RPC_MAX_UPLOADS.  The count of running uploads is the one piece of state
 * here outside an object: a static touched only on the loop thread.
 */
#include <assert.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bitswap/swarm.h"
#include "rpc_int.h"

#define UP_HIGH (8u << 20)
#define UP_LOW (2u << 20)
#define UP_OUT_EARLY (1u << 20)
/* HTTP/2 uploads are not paused by the server yet: the most queued. */
#define UP_H2_MAX (128u << 20)
#define UP_STACK (1u << 20)
/* How long the body must stall before the command's idle callback runs. */
#define UP_IDLE_NS (100ull * 1000 * 1000)
/* Body slabs, and how many emptied ones the upload keeps for reuse (a
 * malloc and free per piece once made glibc give the heap's top back and
 * fault it in again: 891 brk calls for a 512 MiB add).  A slab with less
 * free room than one server read (UP_LEND_MIN) is not lent again. */
#define UP_SLAB (4u << 20)
#define UP_SPARE 2
#define UP_LEND_MIN (256u << 10)
/* Taken slabs that may wait for the pipe's writer (rpc_up_put): its
 * queue holds at most BS_PIPE_BYTES of lent blocks, which lie in at most
 * that many bytes of slabs plus the one being fed. */
#define UP_KEPT_MAX (BS_PIPE_BYTES / UP_SLAB + 1)
/* Passed files (RPC_UP_FD_TYPE parts) whose descriptors came and whose
 * parts the thread has not reached: over UP_FDS_HIGH the loop pauses the
 * body as over UP_HIGH bytes; past UP_FDS_MAX the upload is refused. */
#define UP_FDS_MAX 16
#define UP_FDS_HIGH 8

/* A slab: the loop appends body at len (the bytes go in first, then len
 * moves, under mu); the thread takes data[taken..len).  Once sealed the
 * loop appends no more, and once the thread has taken it all and is done
 * with it, it is freed or kept as a spare.  The loop writes only beyond
 * len, the thread reads only below it. */
typedef struct slab {
  struct slab *next;
  size_t cap, len, taken; /* len, taken: under mu */
  bool sealed;            /* under mu */
  size_t clean;           /* data[0..clean) holds no whole delimiter; under
                             mu, written by the loop */
  bool hit;               /* the loop found one: clean stops there */
  bool mapped;            /* a passed file's, mmap'd (file_slab) */
  uint64_t ticket;        /* of the last block lent from it; upload thread */
  uint8_t data[];
} slab_t;

struct rpc_up {
  http_req_t *req;
  rpc_ctx_t *ctx;
  const rpc_up_cmd_t *cmd;
  void *state;
  uv_thread_t thread;
  uv_async_t async;
  uv_mutex_t mu;
  uv_cond_t cond;
  /* Shared, under mu. */
  slab_t *head, *tail; /* the queue; tail is fill, or sealed */
  size_t queued;       /* bytes appended and not yet taken */
  slab_t *spare;       /* emptied UP_SLAB slabs to reuse */
  size_t nspare;
  bool eof, cancelled, read_paused, want_resume, done, early;
  int fds[UP_FDS_MAX]; /* passed descriptors, oldest first */
  size_t nfds;
  int eof_status;
  tr_bytes_t out;
  int rc, status;
  char err[1024];
  /* Loop thread only. */
  tr_bytes_t held; /* output waiting for the response to start */
  bool body_done, started, ended, thread_ok, closing;
  slab_t *fill; /* the slab body is appended to; never sealed */
  const char *delim; /* the parser's delimiter (rpc_mp_delim) */
  size_t dlen;
  /* Upload thread only. */
  rpc_mp_t mp;
  slab_t *run_slab; /* the slab of the run being fed, */
  const uint8_t *run; /* and the run */
  size_t run_len, run_clean; /* run_clean: bytes of it known clean */
  bs_pipe_t *lent_to; /* the pipe that blocks were lent to */
  slab_t *kept, **kept_end; /* taken slabs it may still read, in order */
  size_t nkept;
  bool in_passed; /* the part being fed is a passed file's */
  slab_t *fspare;  /* emptied slabs of passed files, for the next run */
};

static unsigned live_uploads; /* loop thread only, see the top */

void *rpc_up_state(rpc_up_t *u) { return u->state; }
bs_env_t *rpc_up_env(rpc_up_t *u) { return u->ctx->env; }
rpc_ctx_t *rpc_up_ctx(rpc_up_t *u) { return u->ctx; }

bool rpc_up_cancelled(rpc_up_t *u) {
  uv_mutex_lock(&u->mu);
  bool c = u->cancelled;
  uv_mutex_unlock(&u->mu);
  return c;
}

int rpc_up_fail(rpc_up_t *u, int rc, int status, const char *fmt, ...) {
  uv_mutex_lock(&u->mu);
  if (!u->err[0]) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->err, sizeof u->err, fmt, ap);
    va_end(ap);
    u->status = status;
  }
  uv_mutex_unlock(&u->mu);
  return rc < 0 ? rc : TR_EUSAGE;
}

void rpc_up_early(rpc_up_t *u) {
  uv_mutex_lock(&u->mu);
  u->early = true;
  uv_mutex_unlock(&u->mu);
}

int rpc_up_write(rpc_up_t *u, const char *s, size_t n) {
  uv_mutex_lock(&u->mu);
  int rc = tr_bytes_append(&u->out, s, n);
  uv_mutex_unlock(&u->mu);
  uv_async_send(&u->async);
  return rc;
}

int rpc_up_emit(rpc_up_t *u, json_t *o) {
  if (!o)
    return -ENOMEM;
  char *s = rpc_json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (!s)
    return -ENOMEM;
  uv_mutex_lock(&u->mu);
  int rc = tr_bytes_append(&u->out, s, strlen(s));
  if (!rc)
    rc = tr_bytes_append(&u->out, "\n", 1);
  uv_mutex_unlock(&u->mu);
  free(s);
  uv_async_send(&u->async);
  return rc;
}

/* -------------------------------------------------------------- thread */

/* An emptied slab: a spare for the loop to fill again, or onto *drop to
 * be freed outside the lock.  Under mu. */
static void retire(rpc_up_t *u, slab_t *s, slab_t **drop) {
  if (s->mapped) {
    s->next = u->fspare;
    u->fspare = s;
  } else if (s->cap == UP_SLAB && u->nspare < UP_SPARE) {
    s->next = u->spare;
    u->spare = s;
    u->nspare++;
  } else {
    s->next = *drop;
    *drop = s;
  }
}

/* Free the slabs retire() set aside (outside the lock). */
static void free_drops(slab_t *drop) {
  while (drop) {
    slab_t *next = drop->next;
    tr_free(drop);
    drop = next;
  }
}

/* A paused body goes on once little is queued and few passed files
 * wait: true when the loop is to be woken to resume it.  Under mu. */
static bool resume_locked(rpc_up_t *u) {
  if (!u->read_paused || u->queued >= UP_LOW || u->nfds > UP_FDS_HIGH / 2)
    return false;
  u->read_paused = false;
  u->want_resume = true;
  return true;
}

/* How far the pipe's writer has got (bs_pipe_done; asked outside mu). */
static uint64_t writer_done(rpc_up_t *u) {
  return u->lent_to ? bs_pipe_done(u->lent_to) : 0;
}

/* Keep a taken slab while the pipe's writer may still read blocks lent
 * from it: the kept list is in the order slabs were done with. */
static void keep(rpc_up_t *u, slab_t *s) {
  s->next = NULL;
  *u->kept_end = s;
  u->kept_end = &s->next;
  u->nkept++;
}

/* Retire the kept slabs that the pipe's writer is done with (their last
 * lent block put by done), oldest first.  Under mu. */
static void release_kept(rpc_up_t *u, uint64_t done, slab_t **drop) {
  while (u->kept && u->kept->ticket <= done) {
    slab_t *s = u->kept;
    if (!(u->kept = s->next))
      u->kept_end = &u->kept;
    u->nkept--;
    retire(u, s, drop);
  }
}

/* Take the next run of body into *p, *n: false at the end (or when
 * cancelled).  The run taken before is done with by now, so the slabs
 * it emptied go back here, or wait in u->kept while the pipe's writer
 * has blocks lent from them still to put. */
static bool take(rpc_up_t *u, const uint8_t **p, size_t *n) {
  bool idled = false, got = false, resume = false;
  slab_t *drop = NULL;
  u->run = NULL;
  u->run_len = 0;
  uint64_t done = writer_done(u);
  uv_mutex_lock(&u->mu);
  release_kept(u, done, &drop);
  for (;;) {
    slab_t *s = u->head;
    if (u->cancelled)
      break;
    if (s && s->taken < s->len) {
      *p = s->data + s->taken;
      *n = s->len - s->taken;
      u->run_clean = s->clean > s->taken ? s->clean - s->taken : 0;
      s->taken = s->len;
      u->queued -= *n;
      u->run_slab = s;
      u->run = *p;
      u->run_len = *n;
      got = true;
      resume = resume_locked(u);
      break;
    }
    if (s && s->sealed) {
      if (!(u->head = s->next))
        u->tail = NULL;
      if (s->ticket > done) {
        keep(u, s);
      } else {
        retire(u, s, &drop);
      }
      continue;
    }
    if (u->eof)
      break;
    if (!idled && u->cmd->idle) {
      /* Only a real stall counts: a fast client empties the queue all the
       * time for an instant, and committing then would cut batches into
       * slivers (each commit is a sync). */
      if (uv_cond_timedwait(&u->cond, &u->mu, UP_IDLE_NS) == UV_ETIMEDOUT) {
        uv_mutex_unlock(&u->mu);
        u->cmd->idle(u);
        idled = true;
        uv_mutex_lock(&u->mu);
      }
      continue;
    }
    uv_cond_wait(&u->cond, &u->mu);
  }
  uv_mutex_unlock(&u->mu);
  if (resume)
    uv_async_send(&u->async);
  free_drops(drop);
  return got;
}

int rpc_up_put(rpc_up_t *u, bs_pipe_t *pipe, const dag_cid_t *cid,
               const uint8_t *data, size_t len) {
  /* Bytes of the run lie in its slab, which take() holds from here on
   * until the writer is done with them. */
  uintptr_t d = (uintptr_t)data, r = (uintptr_t)u->run;
  if (!u->run || !len || d < r || len > u->run_len ||
      d - r > u->run_len - len || u->nkept >= UP_KEPT_MAX)
    return bs_pipe_put(pipe, cid, data, len);
  assert(!u->lent_to || u->lent_to == pipe);
  uint64_t ticket;
  int rc = bs_pipe_lend(pipe, cid, data, len, &ticket);
  if (!rc) {
    u->lent_to = pipe;
    u->run_slab->ticket = ticket;
  }
  return rc;
}

/* ------------------------------------------------------ passed files */

/* The oldest passed descriptor, or -1 when none came. */
static int next_fd(rpc_up_t *u) {
  int fd = -1;
  bool resume = false;
  uv_mutex_lock(&u->mu);
  if (u->nfds) {
    fd = u->fds[0];
    memmove(u->fds, u->fds + 1, --u->nfds * sizeof *u->fds);
    resume = resume_locked(u);
  }
  uv_mutex_unlock(&u->mu);
  if (resume)
    uv_async_send(&u->async);
  return fd;
}

/* A slab for a passed file's bytes: one emptied before, or a new one.
 * They are mapped, not malloc'd: freed on this thread they went back to
 * its arena, whose top malloc_trim() does not trim (an idle daemon kept
 * 27 MiB after an add of 64 MiB), and reused within the upload, so each
 * page is faulted in once per upload as the loop's body slabs are. */
#define FILE_SLAB_SIZE ((sizeof(slab_t) + UP_SLAB + 4095) & ~(size_t)4095)
static slab_t *file_slab(rpc_up_t *u) {
  slab_t *s = u->fspare;
  if (s) {
    u->fspare = s->next;
  } else {
    void *m = mmap(NULL, FILE_SLAB_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
      return NULL;
    s = m;
  }
  memset(s, 0, sizeof *s);
  s->cap = UP_SLAB;
  s->mapped = true;
  return s;
}

/* Done with a passed file's slab: kept while the pipe's writer may still
 * read blocks lent from it (as take() keeps body slabs), else reused. */
static void file_slab_done(rpc_up_t *u, slab_t *s) {
  if (s->ticket > writer_done(u)) {
    keep(u, s);
  } else {
    s->next = u->fspare;
    u->fspare = s;
  }
}

/* A part of type RPC_UP_FD_TYPE: its bytes are the file whose descriptor
 * the client passed with it.  The command sees an ordinary file part
 * (application/octet-stream) and its bytes as runs of up to a slab, read
 * here, on this thread, one copy from the page cache as `trove add` reads
 * a file; whole blocks in them are lent to the pipe as a body's are.  The
 * body's run being fed is set aside meanwhile. */
static int passed_file(rpc_up_t *u, const rpc_mp_part_t *part) {
  int fd = next_fd(u);
  if (fd < 0)
    return rpc_up_fail(u, TR_EUSAGE, 400, "a part names a passed file, and "
                       "no descriptor came with it");
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
    close(fd);
    return rpc_up_fail(u, TR_EUSAGE, 400, "a passed file is not a regular "
                       "file");
  }
  rpc_mp_part_t p = *part;
  p.content_type = "application/octet-stream";
  int rc = u->cmd->part ? u->cmd->part(u, &p) : 0;
  slab_t *run_slab = u->run_slab;
  const uint8_t *run = u->run;
  size_t run_len = u->run_len;
  while (!rc) {
    /* Slabs the writer is done with come back here, as take() takes them
     * back between runs of body: past UP_KEPT_MAX kept, rpc_up_put would
     * copy every block. */
    slab_t *drop = NULL;
    uint64_t done = writer_done(u);
    uv_mutex_lock(&u->mu);
    release_kept(u, done, &drop);
    uv_mutex_unlock(&u->mu);
    free_drops(drop);
    slab_t *s = file_slab(u);
    if (!s) {
      rc = -ENOMEM;
      break;
    }
    ssize_t r = rpc_up_cancelled(u) ? -ECANCELED
                                    : tr_read_full(fd, s->data, UP_SLAB);
    if (r > 0) {
      u->run_slab = s;
      u->run = s->data;
      u->run_len = (size_t)r;
      rc = u->cmd->data ? u->cmd->data(u, s->data, (size_t)r) : 0;
    }
    file_slab_done(u, s);
    if (r < 0 && r != -ECANCELED)
      rc = rpc_up_fail(u, (int)r, 500, "reading a passed file: %s",
                       strerror((int)-r));
    else if (r < 0)
      rc = (int)r;
    if (r < (ssize_t)UP_SLAB)
      break;
  }
  u->run_slab = run_slab;
  u->run = run;
  u->run_len = run_len;
  close(fd);
  u->in_passed = true;
  return rc;
}

static int feed(rpc_up_t *u, const uint8_t *p, size_t n) {
  size_t off = 0;
  rpc_mp_clean(&u->mp, u->run_clean);
  for (;;) {
    rpc_mp_event_t ev;
    size_t used;
    int rc = rpc_mp_feed(&u->mp, p + off, n - off, &used, &ev);
    off += used;
    if (rc < 0)
      return rpc_up_fail(u, rc, 400, "malformed multipart body: %s",
                         tr_strerror(rc));
    switch (rc) {
    case RPC_MP_NEED_MORE:
      return 0;
    case RPC_MP_PART:
      rc = ev.part.content_type &&
                   !strcmp(ev.part.content_type, RPC_UP_FD_TYPE)
               ? passed_file(u, &ev.part)
           : u->cmd->part ? u->cmd->part(u, &ev.part)
                          : 0;
      break;
    case RPC_MP_DATA:
      if (u->in_passed)
        rc = rpc_up_fail(u, TR_EUSAGE, 400, "a passed file's part has a "
                         "body");
      else
        rc = u->cmd->data ? u->cmd->data(u, ev.data, ev.len) : 0;
      break;
    case RPC_MP_PART_END:
      u->in_passed = false;
      rc = u->cmd->part_end ? u->cmd->part_end(u) : 0;
      break;
    default:
      rc = 0;
    }
    if (rc)
      return rc;
  }
}

static void thread_main(void *arg) {
  rpc_up_t *u = arg;
  int rc = u->cmd->begin ? u->cmd->begin(u) : 0;
  const uint8_t *p;
  size_t n;
  while (!rc && take(u, &p, &n))
    rc = feed(u, p, n);
  uv_mutex_lock(&u->mu);
  bool cancelled = u->cancelled;
  int eof_status = u->eof_status;
  uv_mutex_unlock(&u->mu);
  if (!rc && cancelled)
    rc = -ECANCELED;
  if (!rc && eof_status < 0)
    rc = eof_status;
  if (!rc && (rc = rpc_mp_finish(&u->mp)))
    rc = rpc_up_fail(u, rc, 400, "malformed multipart body: %s",
                     tr_strerror(rc));
  if (!rc && u->cmd->finish)
    rc = u->cmd->finish(u);
  if (u->cmd->cleanup)
    u->cmd->cleanup(u, rc);
  u->lent_to = NULL; /* ended by finish or cleanup: nothing lent is read */
  uv_mutex_lock(&u->mu);
  u->done = true;
  u->rc = rc;
  uv_mutex_unlock(&u->mu);
  uv_async_send(&u->async);
}

/* ---------------------------------------------------------------- loop */

static void free_slabs(slab_t *c) {
  for (slab_t *n; c; c = n) {
    n = c->next;
    if (c->mapped)
      munmap(c, FILE_SLAB_SIZE);
    else
      tr_free(c);
  }
}

static void up_free(rpc_up_t *u) {
  while (u->nfds)
    close(u->fds[--u->nfds]);
  free_slabs(u->head);
  free_slabs(u->spare);
  free_slabs(u->kept);
  free_slabs(u->fspare);
  if (u->cmd->free_state && u->state)
    u->cmd->free_state(u->state);
  rpc_mp_free(&u->mp);
  tr_bytes_free(&u->out);
  tr_bytes_free(&u->held);
  uv_mutex_destroy(&u->mu);
  uv_cond_destroy(&u->cond);
  tr_free(u);
}

static void on_async_closed(uv_handle_t *h) {
  rpc_up_t *u = h->data;
  live_uploads--;
  up_free(u);
  /* The upload's batches, queue and slabs went back to malloc's arenas,
   * which keep freed pages for the next batch (cli/main.c): give them
   * back, or an idle daemon held ~35 MiB of them after one large add.
   * (A walk of the arenas: a millisecond, once per upload.) */
  malloc_trim(0);
}

static void start_response(rpc_up_t *u) {
  u->started = true;
  rpc_start(u->req, RPC_CHUNKED, NULL, -1, -1);
  if (u->held.len)
    http_res_write(u->req, u->held.data, u->held.len);
  u->held.len = 0;
  if (u->early)
    http_res_flush(u->req);
}

/* The request is answered: let go of it. */
static void finish_req(rpc_up_t *u, bool abort_it) {
  http_req_t *req = u->req;
  u->ended = true;
  http_req_body(req, NULL, NULL, NULL);
  http_req_on_close(req, NULL, NULL);
  if (abort_it)
    http_res_abort(req);
  else
    http_res_end(req);
}

static void on_async(uv_async_t *a) {
  rpc_up_t *u = a->data;
  uv_mutex_lock(&u->mu);
  tr_bytes_t out = u->out;
  memset(&u->out, 0, sizeof u->out);
  bool resume = u->want_resume, done = u->done, early = u->early;
  u->want_resume = false;
  int rc = u->rc, status = u->status;
  char err[sizeof u->err];
  memcpy(err, u->err, sizeof err);
  uv_mutex_unlock(&u->mu);

  if (!u->ended) {
    if (resume)
      http_req_resume(u->req);
    if (out.len && tr_bytes_append(&u->held, out.data, out.len))
      rc = rc ? rc : -ENOMEM;
    if (done && rc && !u->started) {
      if (!err[0])
        snprintf(err, sizeof err, "%s", tr_strerror(rc));
      u->ended = true;
      http_req_body(u->req, NULL, NULL, NULL);
      http_req_on_close(u->req, NULL, NULL);
      rpc_error(u->req, status ? status : rpc_status_for(rc), "%s", err);
    } else {
      /* Start when there is something to say and the body is in (or a
       * lot waits), or at the successful end. */
      if (!u->started &&
          ((u->held.len &&
            (u->body_done || early || u->held.len > UP_OUT_EARLY)) ||
           (done && !rc)))
        start_response(u);
      if (u->started && u->held.len) {
        http_res_write(u->req, u->held.data, u->held.len);
        u->held.len = 0;
        if (early && !done)
          http_res_flush(u->req); /* progress is for now */
      }
      if (done && rc) {
        /* Too late for a status: say it in the stream, as Kubo's trailer
         * would, and cut the connection so that no client takes the
         * answer for complete. */
        json_t *o = json_pack("{s:o,s:i,s:s}", "Message",
                              rpc_json_str(err[0] ? err : tr_strerror(rc)),
                              "Code", 0, "Type", "error");
        char *s = o ? rpc_json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (s) {
          http_res_write(u->req, s, strlen(s));
          http_res_write(u->req, "\n", 1);
          free(s);
        }
        finish_req(u, true);
      } else if (done) {
        finish_req(u, false);
      }
    }
  }
  tr_bytes_free(&out);
  if (done && !u->closing) {
    u->closing = true;
    uv_thread_join(&u->thread);
    /* Peers may have asked for what this upload stored: they get it now,
     * not when they ask again. */
    rpc_ctx_t *ctx = rpc_up_ctx(u);
    if (!rc && ctx->bitswap)
      bsw_swarm_store_grew(ctx->bitswap);
    uv_close((uv_handle_t *)&u->async, on_async_closed);
  }
}

/* Out of memory, or an upload HTTP/2 cannot hold back: give up on it.
 * Under mu. */
static void cancel_locked(rpc_up_t *u, int status, const char *why) {
  u->cancelled = true;
  if (!u->err[0]) {
    snprintf(u->err, sizeof u->err, "%s", why);
    u->status = status;
  }
}

/* The fill slab with at least need bytes of room (need <= UP_SLAB): the
 * fill slab is sealed and a new one queued when it has less.  NULL when
 * out of memory. */
static slab_t *fill_room(rpc_up_t *u, size_t need) {
  slab_t *f = u->fill;
  if (f && f->cap - f->len >= need)
    return f;
  uv_mutex_lock(&u->mu);
  if (f)
    f->sealed = true;
  slab_t *s = u->spare;
  if (s) {
    u->spare = s->next;
    u->nspare--;
  }
  uv_mutex_unlock(&u->mu);
  u->fill = NULL;
  if (!s && !(s = tr_malloc(sizeof *s + UP_SLAB)))
    return NULL;
  s->next = NULL;
  s->cap = UP_SLAB;
  s->len = s->taken = s->clean = 0;
  s->sealed = s->hit = s->mapped = false;
  s->ticket = 0;
  uv_mutex_lock(&u->mu);
  if (u->tail)
    u->tail->next = s;
  else
    u->head = s;
  u->tail = s;
  uv_mutex_unlock(&u->mu);
  return u->fill = s;
}

/* http_req_body_lend: the free end of the fill slab. */
static void on_lend(http_req_t *req, uint8_t **base, size_t *len, void *ud) {
  (void)req;
  rpc_up_t *u = ud;
  slab_t *s = fill_room(u, UP_LEND_MIN);
  if (s) {
    *base = s->data + s->len;
    *len = s->cap - s->len;
  }
}

/* The k bytes just placed at the end of s, searched for the delimiter
 * while they are in cache (the top of the file): s's clean length with
 * them.  From dlen - 1 bytes back, for one that straddles two pieces. */
static size_t prescan(const rpc_up_t *u, slab_t *s, size_t k) {
  if (s->hit)
    return s->clean;
  size_t from = s->clean >= u->dlen ? s->clean - u->dlen + 1 : 0;
  const uint8_t *q = memmem(s->data + from, s->len + k - from, u->delim,
                            u->dlen);
  if (!q)
    return s->len + k;
  s->hit = true;
  return (size_t)(q - s->data) + u->dlen - 1;
}

/* The descriptors passed with this piece of body (or before it) onto the
 * upload's queue, ahead of the bytes that name them. */
static void pull_fds(rpc_up_t *u, http_req_t *req) {
  int fd;
  while ((fd = http_req_take_fd(req)) >= 0) {
    uv_mutex_lock(&u->mu);
    if (u->nfds < UP_FDS_MAX) {
      u->fds[u->nfds++] = fd;
      fd = -1;
    } else {
      cancel_locked(u, 400, "more passed files wait than an upload takes");
    }
    uv_cond_signal(&u->cond);
    uv_mutex_unlock(&u->mu);
    if (fd >= 0)
      close(fd);
  }
}

static void on_body(http_req_t *req, const uint8_t *p, size_t n, void *ud) {
  rpc_up_t *u = ud;
  pull_fds(u, req);
  while (n) {
    slab_t *s = u->fill;
    uintptr_t a = (uintptr_t)p;
    size_t k = n;
    if (s && a >= (uintptr_t)(s->data + s->len) &&
        a < (uintptr_t)(s->data + s->cap)) {
      /* Read into the room we lent: in place, or moved down over the
       * framing that came before it. */
      assert(n <= s->cap - (size_t)(p - s->data));
      if (p != s->data + s->len)
        memmove(s->data + s->len, p, n);
    } else if ((s = fill_room(u, 1))) {
      if (k > s->cap - s->len)
        k = s->cap - s->len;
      memcpy(s->data + s->len, p, k);
    }
    size_t clean = s ? prescan(u, s, k) : 0;
    uv_mutex_lock(&u->mu);
    if (!s) {
      cancel_locked(u, 500, "out of memory");
      k = n;
    } else {
      s->clean = clean;
      s->len += k;
      u->queued += k;
    }
    if ((u->queued > UP_HIGH || u->nfds >= UP_FDS_HIGH) && !u->read_paused) {
      u->read_paused = true;
      http_req_pause(req);
    }
    if (u->queued > UP_H2_MAX && http_req_http_version(req) == 2)
      /* HTTP/2 bodies cannot be paused yet (http2.c): rather than queue
       * without bound, give up on an upload that outruns the store. */
      cancel_locked(u, 503, "upload faster than the node can store it "
                    "over HTTP/2; send it over HTTP/1.1");
    uv_cond_signal(&u->cond);
    uv_mutex_unlock(&u->mu);
    p += k;
    n -= k;
  }
}

static void on_end(http_req_t *req, int status, void *ud) {
  (void)req;
  rpc_up_t *u = ud;
  u->body_done = true;
  uv_mutex_lock(&u->mu);
  u->eof = true;
  u->eof_status = status;
  if (status < 0)
    u->cancelled = true;
  uv_cond_signal(&u->cond);
  uv_mutex_unlock(&u->mu);
  uv_async_send(&u->async); /* start the response if output waits */
}

static void on_close(http_req_t *req, void *ud) {
  (void)req;
  rpc_up_t *u = ud;
  uv_mutex_lock(&u->mu);
  u->cancelled = true;
  uv_cond_signal(&u->cond);
  uv_mutex_unlock(&u->mu);
}

void rpc_upload(http_req_t *req, rpc_ctx_t *ctx, const rpc_up_cmd_t *cmd,
                void *state) {
  const char *ct = http_req_header(req, "content-type");
  rpc_up_t *u = NULL;
  if (!ct || strncasecmp(ct, "multipart/", 10)) {
    rpc_error(req, 400, "file argument 'path' is required");
    goto fail;
  }
  if (live_uploads >= RPC_MAX_UPLOADS) {
    rpc_error(req, 503, "too many uploads at once, try again later");
    goto fail;
  }
  u = tr_calloc(1, sizeof *u);
  if (!u) {
    rpc_error(req, 500, "out of memory");
    goto fail;
  }
  if (rpc_mp_init(&u->mp, ct, 0)) {
    rpc_error(req, 400, "malformed multipart Content-Type: %s", ct);
    tr_free(u);
    goto fail;
  }
  u->req = req;
  u->ctx = ctx;
  u->cmd = cmd;
  u->kept_end = &u->kept;
  u->delim = rpc_mp_delim(&u->mp, &u->dlen);
  /* Each init is undone by hand if a later one fails: u is not yet known
   * to anything that would free it. */
  int mu = uv_mutex_init(&u->mu);
  int cv = mu ? -1 : uv_cond_init(&u->cond);
  int as = cv ? -1 : uv_async_init(ctx->loop, &u->async, on_async);
  if (mu || cv || as) {
    if (!mu)
      uv_mutex_destroy(&u->mu);
    if (!mu && !cv)
      uv_cond_destroy(&u->cond);
    rpc_mp_free(&u->mp);
    tr_free(u);
    rpc_error(req, 503, "cannot start an upload: %s",
              uv_strerror(mu ? mu : cv ? cv : as));
    goto fail;
  }
  u->state = state;
  u->async.data = u;
  live_uploads++;
  http_req_body(req, on_body, on_end, u);
  http_req_body_lend(req, on_lend);
  http_req_on_close(req, on_close, u);
  uv_thread_options_t to = {UV_THREAD_HAS_STACK_SIZE, UP_STACK};
  if (uv_thread_create_ex(&u->thread, &to, thread_main, u)) {
    /* No thread: answer now; the async handle is closed and u freed. */
    http_req_body(req, NULL, NULL, NULL);
    http_req_on_close(req, NULL, NULL);
    rpc_error(req, 503, "cannot start an upload thread");
    u->ended = u->closing = true;
    if (cmd->cleanup)
      cmd->cleanup(u, -EAGAIN);
    uv_close((uv_handle_t *)&u->async, on_async_closed);
  }
  return;
fail:
  if (cmd->free_state && state)
    cmd->free_state(state);
}

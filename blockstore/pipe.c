/*
 * pipe.c — an import's writer thread (pipe.h).
 *
 * Why a thread: an add of a large file used to read and hash a block, put
 * it, and every BS_BATCH_BYTES wait for the commit's writev and fdatasync,
 * all one after the other; the disk sat idle while we hashed and the CPU
 * while the disk synced.  Now the importer goes on hashing while the writer
 * puts and commits.
 *
 * The queue is a ring of BS_PIPE_BYTES for the bytes plus a ring of
 * BS_PIPE_ITEMS descriptors.  An item's bytes are contiguous: one that
 * does not fit before the end of the ring starts at its beginning, and the
 * bytes skipped count as its own until it is done.  The producer copies
 * into space it has reserved, outside the lock; the writer removes an item
 * only after it is done with it, so an empty queue means every item is
 * done (what sync waits for) and the ring may start over at 0.
 *
 * A lent block (bs_pipe_lend) has a descriptor and no bytes in the ring:
 * the writer puts it from the producer's memory.  Its length counts in
 * `used` all the same, so the producer never has more than BS_PIPE_BYTES
 * queued, lent or copied, and back-pressure holds as before.  Items are
 * numbered as they are queued and counted as the writer finishes them
 * (`queued`, `done`): the producer lends its bytes until `done` passes the
 * block's number (its ticket).
 */
#include "pipe.h"

#include "bs_int.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

enum { IT_BLOCK, IT_LINE, IT_CALL, IT_COMMIT, IT_END };
#define ALIGN _Alignof(max_align_t)

typedef struct item {
  int kind;
  bool commit; /* IT_END: commit, else abort */
  dag_cid_t cid;
  size_t off, len, span; /* bytes in the ring; span = len + bytes skipped */
  const uint8_t *ext;    /* a lent block's bytes (not in the ring), or NULL */
  bs_pipe_fn fn;
} item_t;

struct bs_pipe {
  bs_env_t *env;
  uint64_t max_open_ns; /* 0: no limit */
  bs_pipe_lines_cb lines;
  void *ud;
  bs_undo_t *undo; /* puts go through it (bs_pipe_set_undo) */
  bool fscache;     /* referenced blocks are not stored (set_fscache) */
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t more; /* items queued (the writer waits) */
  pthread_cond_t room; /* items done (the producer waits) */
  bool writer_waits, producer_waits;
  bool started;
  int begin_rc;
  int err; /* sticky; written by the writer only, under mu */
  int end_rc;
  uint8_t *ring;
  size_t used, wpos; /* bytes held (spans), where the next item goes */
  item_t *items;
  size_t head, n; /* oldest item, items queued */
  uint64_t queued, done; /* items ever queued, ever finished (tickets) */
  /* Writer thread only. */
  bs_batch_t *batch;   /* NULL after a timed or asked-for commit */
  bool dirty;          /* something put or called since the last commit */
  /* The blocks this pipe stored new (bs__stored_t), and the deletion
   * generation its first transaction saw: its pins take them as stored
   * while no deletion has committed since.  With an undo log, the log's
   * own set serves instead. */
  bs__stored_t stored;
  uint64_t del0;
  bool del0_read;
  uint64_t opened_ns;  /* when the open transaction began */
  uint64_t closed_ns;  /* when the writer last let go of the lock */
  int cb_err;          /* the lines callback's error in on_commit */
  tr_bytes_t held;     /* lines waiting for the next commit */
  /* Producer thread only: the room handed out by bs_pipe_room, valid
   * until the producer's next call. */
  bool room_out, room_wrap; /* room_wrap: the room starts over at 0 */
  size_t room_off, room_len;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------- writer */

/* Everything put so far is committed: hand out the lines held. */
static int deliver(bs_pipe_t *p) {
  p->dirty = false;
  if (!p->held.len)
    return 0;
  int rc = p->lines((const char *)p->held.data, p->held.len, p->ud);
  p->held.len = 0;
  return rc;
}

/* The batch committed at its size (bs_batch_on_commit) and goes on. */
static void on_commit(void *arg) {
  bs_pipe_t *p = arg;
  p->opened_ns = now_ns();
  int rc = deliver(p);
  if (rc && !p->cb_err)
    p->cb_err = rc;
}

static int open_batch(bs_pipe_t *p) {
  if (p->batch)
    return 0;
  /* Step aside after a commit made to let others write (pipe.h). */
  uint64_t since = now_ns() - p->closed_ns;
  if (p->closed_ns && since < BS_PIPE_YIELD_MS * 1000000ull) {
    struct timespec ts = {0, (long)(BS_PIPE_YIELD_MS * 1000000ull - since)};
    nanosleep(&ts, NULL);
  }
  int rc = bs_batch_begin(p->env, 0, &p->batch);
  if (rc)
    return rc;
  if (!p->del0_read) {
    /* Before the first put: a deletion from here on moves it. */
    if ((rc = bs__del_gen(bs_batch_txn(p->batch), &p->del0)))
      return rc;
    p->del0_read = true;
  }
  bs_batch_cap_values(p->batch, BS_BATCH_STREAM_CAP);
  bs_batch_on_commit(p->batch, on_commit, p);
  p->opened_ns = now_ns();
  return 0;
}

/* Commit what is pending, leave the lock to others, hand out the lines. */
static int commit_now(bs_pipe_t *p) {
  if (p->batch) {
    int rc = bs_batch_end(p->batch, 1);
    p->batch = NULL;
    p->closed_ns = now_ns();
    if (rc)
      return rc;
  }
  return deliver(p);
}

static int run_item(bs_pipe_t *p, const item_t *it) {
  const uint8_t *data = it->ext ? it->ext : p->ring + it->off;
  int rc;
  switch (it->kind) {
  case IT_BLOCK:
    if (p->batch && p->max_open_ns &&
        now_ns() - p->opened_ns >= p->max_open_ns &&
        (rc = commit_now(p)))
      return rc;
    if ((rc = open_batch(p)))
      return rc;
    /* The put may commit what is pending first (on_commit, which clears
     * dirty): only then is this block pending. */
    MDB_val key = bs__key(&it->cid);
    if (p->undo)
      rc = bs_undo_put(p->undo, p->batch, &it->cid, data, it->len);
    else if (p->fscache && (rc = bs__fs_has(bs_batch_txn(p->batch), &key)))
      rc = rc > 0 ? 0 : rc; /* referenced: Kubo's fscache adds it no more */
    else if (!(rc = bs_batch_reserve(p->batch, it->len))) {
      rc = bs__put(bs_batch_txn(p->batch), &it->cid, data, it->len);
      bs__stored_note(&p->stored, &it->cid, rc);
      rc = rc > 0 ? 0 : rc;
    }
    p->dirty = true;
    return rc ? rc : p->cb_err;
  case IT_LINE:
    if ((rc = tr_bytes_append(&p->held, data, it->len)))
      return rc;
    if (!p->dirty)
      return deliver(p);
    /* Held for a commit (dirty: a batch is open), which must then survive
     * a power cut before the line goes out. */
    assert(p->batch);
    bs_batch_durable_next(p->batch);
    return 0;
  case IT_CALL:
    if ((rc = open_batch(p)))
      return rc;
    p->dirty = true;
    return it->fn(bs_batch_txn(p->batch), data, it->len);
  case IT_COMMIT:
    return commit_now(p);
  }
  return 0;
}

/* The last item: commit or abort, and hand out the last lines. */
static int end_batch(bs_pipe_t *p, bool commit) {
  int rc = p->err;
  if (p->batch) {
    int e = bs_batch_end(p->batch, commit && !rc);
    p->batch = NULL;
    rc = rc ? rc : e;
  }
  if (!rc && commit)
    rc = deliver(p);
  return rc;
}

static void *writer(void *arg) {
  bs_pipe_t *p = arg;
  int rc = open_batch(p);
  pthread_mutex_lock(&p->mu);
  p->begin_rc = rc;
  p->started = true;
  pthread_cond_broadcast(&p->room);
  if (rc) {
    pthread_mutex_unlock(&p->mu);
    return NULL;
  }
  for (;;) {
    while (!p->n) {
      p->writer_waits = true;
      if (!p->batch || !p->max_open_ns || p->err) {
        pthread_cond_wait(&p->more, &p->mu);
        continue;
      }
      /* A transaction is open and nothing comes (a client that sends a
       * byte now and then, never a block): it too ends in time. */
      uint64_t due = p->opened_ns + p->max_open_ns;
      struct timespec ts = {(time_t)(due / 1000000000u),
                            (long)(due % 1000000000u)};
      if (pthread_cond_timedwait(&p->more, &p->mu, &ts) == ETIMEDOUT &&
          !p->n) {
        pthread_mutex_unlock(&p->mu);
        rc = commit_now(p);
        pthread_mutex_lock(&p->mu);
        if (rc && !p->err)
          p->err = rc;
      }
    }
    p->writer_waits = false;
    item_t it = p->items[p->head];
    bool failed = p->err != 0;
    pthread_mutex_unlock(&p->mu);
    if (it.kind == IT_END) {
      rc = end_batch(p, it.commit);
      pthread_mutex_lock(&p->mu);
      p->end_rc = rc;
      p->head = (p->head + 1) % BS_PIPE_ITEMS;
      p->n--;
      pthread_mutex_unlock(&p->mu);
      return NULL;
    }
    /* After an error everything queued is dropped: the producer learns
     * of the error at its next call and stops. */
    rc = failed ? 0 : run_item(p, &it);
    pthread_mutex_lock(&p->mu);
    if (rc && !p->err)
      p->err = rc;
    p->head = (p->head + 1) % BS_PIPE_ITEMS;
    p->n--;
    p->done++; /* a lent block's bytes are the producer's again */
    p->used -= it.span;
    if (p->producer_waits)
      pthread_cond_signal(&p->room);
  }
}

/* ------------------------------------------------------------- producer */

/* The one tear-down, for a pipe whose thread is gone (or never ran). */
static void pipe_free(bs_pipe_t *p) {
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->more);
  pthread_cond_destroy(&p->room);
  tr_bytes_free(&p->held);
  bs__stored_free(&p->stored);
  tr_free(p->ring);
  tr_free(p->items);
  tr_free(p);
}

int bs_pipe_start(bs_env_t *env, uint32_t max_open_ms, bs_pipe_lines_cb lines,
                  void *ud, bs_pipe_t **pp) {
  bs_pipe_t *p = tr_calloc(1, sizeof *p);
  if (!p)
    return -ENOMEM;
  p->env = env;
  p->max_open_ns = (uint64_t)max_open_ms * 1000000u;
  p->lines = lines;
  p->ud = ud;
  /* The writer's timed wait counts on the clock now_ns() reads. */
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->more, &ca);
  pthread_cond_init(&p->room, NULL);
  pthread_condattr_destroy(&ca);
  p->ring = tr_malloc(BS_PIPE_BYTES);
  p->items = tr_calloc(BS_PIPE_ITEMS, sizeof *p->items);
  int rc = p->ring && p->items ? -pthread_create(&p->th, NULL, writer, p)
                               : -ENOMEM;
  if (!rc) {
    pthread_mutex_lock(&p->mu);
    while (!p->started)
      pthread_cond_wait(&p->room, &p->mu);
    rc = p->begin_rc;
    pthread_mutex_unlock(&p->mu);
    if (rc)
      pthread_join(p->th, NULL);
  }
  if (rc) {
    pipe_free(p);
    return rc;
  }
  *pp = p;
  return 0;
}

/* With mu held: wait until len more bytes fit; their offset and span
 * (len + the bytes skipped before it) and whether they start over at the
 * ring's beginning.  Bytes that stay outside the ring (!ring: a lent
 * block) only wait for the budget: span len at no offset.  Returns the
 * sticky error, else 0. */
static int find_space(bs_pipe_t *p, size_t len, bool ring, size_t *off,
                      size_t *span, bool *wrap) {
  for (;;) {
    if (p->err)
      return p->err;
    if (!p->n)
      p->wpos = 0; /* nothing is being read: start over */
    /* Each item starts aligned for any type: a call's argument is a
     * struct (a misaligned one was undefined behaviour). */
    size_t start = (p->wpos + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    *wrap = ring && len > BS_PIPE_BYTES - start;
    *off = *wrap || !ring ? 0 : start; /* wrapped: the bytes skipped are
                                          its own */
    *span = ring ? (*wrap ? BS_PIPE_BYTES : *off) - p->wpos + len : len;
    if (p->n < BS_PIPE_ITEMS && p->used + *span <= BS_PIPE_BYTES)
      return 0;
    p->producer_waits = true;
    pthread_cond_wait(&p->room, &p->mu);
    p->producer_waits = false;
  }
}

/* Queue an item with len bytes of data (copied from data when not NULL,
 * taken in place when they lie in the room handed out, left where they
 * are when the item is lent: it->ext).  Returns the sticky error, else 0;
 * *ticket (may be NULL) gets the item's number. */
static int push(bs_pipe_t *p, item_t *it, const void *data, size_t len,
                uint64_t *ticket) {
  /* Only this thread adds items or moves wpos, and the writer reads only
   * what is queued: the room is as bs_pipe_room left it. */
  uintptr_t d = (uintptr_t)data, room = (uintptr_t)(p->ring + p->room_off);
  bool in_place = p->room_out && len && !it->ext && d >= room &&
                  len <= p->room_len && d - room <= p->room_len - len;
  p->room_out = false;
  pthread_mutex_lock(&p->mu);
  size_t off, span;
  bool wrap;
  int rc = 0;
  if (in_place) {
    off = p->room_off + (size_t)(d - room);
    span = (p->room_wrap ? BS_PIPE_BYTES : 0) + off + len - p->wpos;
    rc = p->err;
    /* The room after these bytes stays the producer's, for the next
     * blocks it read there; they start from wpos, which moves here. */
    size_t used_room = (size_t)(d - room) + len;
    if (used_room < p->room_len) {
      p->room_out = true;
      p->room_off = off + len;
      p->room_len -= used_room;
      p->room_wrap = false;
    }
  } else {
    rc = find_space(p, len, !it->ext, &off, &span, &wrap);
  }
  pthread_mutex_unlock(&p->mu);
  if (rc)
    return rc;
  /* The space is ours: only this thread adds items. */
  if (len && !in_place && !it->ext)
    memcpy(p->ring + off, data, len);
  it->off = off;
  it->len = len;
  it->span = span;
  pthread_mutex_lock(&p->mu);
  p->items[(p->head + p->n) % BS_PIPE_ITEMS] = *it;
  p->n++;
  p->used += span;
  if (!it->ext)
    p->wpos = off + len;
  if (ticket)
    *ticket = p->queued + 1;
  p->queued++;
  if (p->writer_waits)
    pthread_cond_signal(&p->more);
  pthread_mutex_unlock(&p->mu);
  return 0;
}

int bs_pipe_room(bs_pipe_t *p, size_t len, uint8_t **room) {
  if (len > BS_PIPE_ROOM_MAX || !len)
    return TR_ETOOBIG;
  p->room_out = false;
  pthread_mutex_lock(&p->mu);
  size_t span;
  int rc = find_space(p, len, true, &p->room_off, &span, &p->room_wrap);
  pthread_mutex_unlock(&p->mu);
  if (rc)
    return rc;
  p->room_out = true;
  p->room_len = len;
  *room = p->ring + p->room_off;
  return 0;
}

void bs_pipe_set_fscache(bs_pipe_t *p, bool on) {
  pthread_mutex_lock(&p->mu);
  p->fscache = on;
  pthread_mutex_unlock(&p->mu);
}

void bs_pipe_set_undo(bs_pipe_t *p, bs_undo_t *u) {
  /* Under mu: the writer reads it after taking an item under mu. */
  pthread_mutex_lock(&p->mu);
  p->undo = u;
  pthread_mutex_unlock(&p->mu);
}

int bs_pipe_put(bs_pipe_t *p, const dag_cid_t *cid, const uint8_t *data,
                size_t len) {
  if (len > BS_MAX_BLOCK)
    return TR_ETOOBIG;
  item_t it = {.kind = IT_BLOCK, .cid = *cid};
  return push(p, &it, data, len, NULL);
}

int bs_pipe_lend(bs_pipe_t *p, const dag_cid_t *cid, const uint8_t *data,
                 size_t len, uint64_t *ticket) {
  if (len > BS_MAX_BLOCK)
    return TR_ETOOBIG;
  item_t it = {.kind = IT_BLOCK, .cid = *cid, .ext = data};
  return push(p, &it, data, len, ticket);
}

uint64_t bs_pipe_done(bs_pipe_t *p) {
  pthread_mutex_lock(&p->mu);
  uint64_t done = p->done;
  pthread_mutex_unlock(&p->mu);
  return done;
}

int bs_pipe_line(bs_pipe_t *p, const char *line, size_t len) {
  if (len > BS_PIPE_BYTES)
    return TR_ETOOBIG;
  item_t it = {.kind = IT_LINE};
  return push(p, &it, line, len, NULL);
}

int bs_pipe_call(bs_pipe_t *p, bs_pipe_fn fn, const void *arg, size_t len) {
  if (len > BS_PIPE_BYTES)
    return TR_ETOOBIG;
  item_t it = {.kind = IT_CALL, .fn = fn};
  return push(p, &it, arg, len, NULL);
}

typedef struct pin_arg {
  bs_pipe_t *p;
  dag_cid_t cid;
  bool named;
  char name[BS_PIN_NAME_MAX + 1];
} pin_arg_t;

/* On the writer thread, which alone touches p->stored. */
static int pin_in_txn(bs_txn_t *txn, const void *arg, size_t len) {
  const pin_arg_t *a = arg;
  bs_pipe_t *p = a->p;
  const char *name = a->named ? a->name : NULL;
  (void)len;
  if (p->undo)
    return bs_undo_pin(p->undo, txn, &a->cid, name, NULL);
  return bs__pin_stored(txn, &a->cid, name, NULL,
                        p->del0_read ? bs__stored_set(&p->stored) : NULL,
                        p->del0);
}

int bs_pipe_pin(bs_pipe_t *p, const dag_cid_t *cid, const char *name) {
  size_t nl = name ? strlen(name) : 0;
  if (nl > BS_PIN_NAME_MAX)
    return TR_ETOOBIG;
  pin_arg_t a = {.p = p, .cid = *cid, .named = name != NULL};
  memcpy(a.name, name ? name : "", nl + 1);
  return bs_pipe_call(p, pin_in_txn, &a, sizeof a);
}

int bs_pipe_commit(bs_pipe_t *p) {
  item_t it = {.kind = IT_COMMIT};
  return push(p, &it, NULL, 0, NULL);
}

int bs_pipe_sync(bs_pipe_t *p) {
  pthread_mutex_lock(&p->mu);
  while (p->n) { /* after an error the writer drops items: soon empty */
    p->producer_waits = true;
    pthread_cond_wait(&p->room, &p->mu);
    p->producer_waits = false;
  }
  int rc = p->err;
  pthread_mutex_unlock(&p->mu);
  return rc;
}

int bs_pipe_end(bs_pipe_t *p, bool commit) {
  /* Drain first: END then always has a slot. */
  if (bs_pipe_sync(p)) {
    /* the error is in p->err: END reports it */
  }
  item_t it = {.kind = IT_END, .commit = commit};
  pthread_mutex_lock(&p->mu);
  p->items[(p->head + p->n) % BS_PIPE_ITEMS] = it;
  p->n++;
  if (p->writer_waits)
    pthread_cond_signal(&p->more);
  pthread_mutex_unlock(&p->mu);
  pthread_join(p->th, NULL);
  int rc = p->end_rc;
  pipe_free(p);
  return rc;
}

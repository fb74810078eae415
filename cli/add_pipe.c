/*
 * add_pipe.c — the writer thread of `trove add` (add_pipe.h).
 *
 * Why a thread: an add of a large file used to read and hash a block, put
 * it, and every BS_BATCH_BYTES wait for the commit's writev and fdatasync,
 * all one after the other; the disk sat idle while we hashed and the CPU
 * while the disk synced.  Now the importer goes on hashing while the writer
 * puts and commits.
 *
 * The queue is a ring of CLI_PIPE_BYTES for the bytes plus a ring of
 * CLI_PIPE_ITEMS descriptors.  An item's bytes are contiguous: one that
 * does not fit before the end of the ring starts at its beginning, and the
 * bytes skipped count as its own until it is done.  The producer copies
 * into space it has reserved, outside the lock; the writer removes an item
 * only after it is done with it, so an empty queue means every item is
 * done (what sync waits for) and the ring may start over at 0.
 */
#include "add_pipe.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

enum { IT_BLOCK, IT_LINE, IT_CALL, IT_END };

typedef struct item {
  int kind;
  dag_cid_t cid;
  size_t off, len, span; /* bytes in the ring; span = len + bytes skipped */
  cli_pipe_fn fn;
  void *arg;
} item_t;

struct cli_pipe {
  bs_env_t *env;
  bs_batch_t *batch;
  bs_batch_commit_cb on_commit;
  cli_pipe_line_cb line;
  void *ud;
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t more;  /* items queued (the writer waits) */
  pthread_cond_t room;  /* items done (the producer waits) */
  bool writer_waits, producer_waits;
  bool started;
  int begin_rc;
  int err;              /* sticky; written by the writer only */
  int end_rc;
  uint8_t *ring;
  size_t used, wpos;    /* bytes held (spans), where the next item goes */
  item_t *items;
  size_t head, n;       /* oldest item, items queued */
};

static int run_item(cli_pipe_t *p, const item_t *it) {
  switch (it->kind) {
  case IT_BLOCK:
    return bs_batch_put(p->batch, &it->cid, p->ring + it->off, it->len);
  case IT_LINE:
    return p->line((const char *)p->ring + it->off, it->len, p->ud);
  case IT_CALL:
    return it->fn(bs_batch_txn(p->batch), it->arg);
  }
  return 0;
}

static void *writer(void *arg) {
  cli_pipe_t *p = arg;
  int rc = bs_batch_begin(p->env, 0, &p->batch);
  if (!rc)
    bs_batch_on_commit(p->batch, p->on_commit, p->ud);
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
      pthread_cond_wait(&p->more, &p->mu);
    }
    p->writer_waits = false;
    item_t it = p->items[p->head];
    pthread_mutex_unlock(&p->mu);
    if (it.kind == IT_END) {
      int e = bs_batch_end(p->batch, it.len && !p->err);
      pthread_mutex_lock(&p->mu);
      p->end_rc = p->err ? p->err : e;
      p->head = (p->head + 1) % CLI_PIPE_ITEMS;
      p->n--;
      pthread_mutex_unlock(&p->mu);
      return NULL;
    }
    /* After an error everything queued is dropped: the producer learns
     * of the error at its next call and stops. */
    rc = p->err ? 0 : run_item(p, &it);
    pthread_mutex_lock(&p->mu);
    if (rc && !p->err)
      p->err = rc;
    p->head = (p->head + 1) % CLI_PIPE_ITEMS;
    p->n--;
    p->used -= it.span;
    if (p->producer_waits)
      pthread_cond_signal(&p->room);
  }
}

int cli__pipe_start(bs_env_t *env, bs_batch_commit_cb on_commit,
                    cli_pipe_line_cb line, void *ud, cli_pipe_t **pp) {
  cli_pipe_t *p = tr_calloc(1, sizeof *p);
  if (!p)
    return -ENOMEM;
  p->env = env;
  p->on_commit = on_commit;
  p->line = line;
  p->ud = ud;
  p->ring = tr_malloc(CLI_PIPE_BYTES);
  p->items = tr_calloc(CLI_PIPE_ITEMS, sizeof *p->items);
  if (!p->ring || !p->items) {
    tr_free(p->ring);
    tr_free(p->items);
    tr_free(p);
    return -ENOMEM;
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->more, NULL);
  pthread_cond_init(&p->room, NULL);
  int rc = -pthread_create(&p->th, NULL, writer, p);
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
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->more);
    pthread_cond_destroy(&p->room);
    tr_free(p->ring);
    tr_free(p->items);
    tr_free(p);
    return rc;
  }
  *pp = p;
  return 0;
}

/* Queue an item with len bytes of data (copied from data when not NULL).
 * Returns the sticky error, else 0. */
static int push(cli_pipe_t *p, item_t *it, const void *data, size_t len) {
  pthread_mutex_lock(&p->mu);
  size_t off, span;
  for (;;) {
    if (p->err) {
      int e = p->err;
      pthread_mutex_unlock(&p->mu);
      return e;
    }
    if (!p->n)
      p->wpos = 0; /* nothing is being read: start over */
    if (len <= CLI_PIPE_BYTES - p->wpos) {
      off = p->wpos;
      span = len;
    } else { /* to the ring's start; the bytes skipped are this item's */
      off = 0;
      span = CLI_PIPE_BYTES - p->wpos + len;
    }
    if (p->n < CLI_PIPE_ITEMS && p->used + span <= CLI_PIPE_BYTES)
      break;
    p->producer_waits = true;
    pthread_cond_wait(&p->room, &p->mu);
    p->producer_waits = false;
  }
  /* The space is ours: only this thread adds items. */
  pthread_mutex_unlock(&p->mu);
  if (len)
    memcpy(p->ring + off, data, len);
  it->off = off;
  it->len = len;
  it->span = span;
  pthread_mutex_lock(&p->mu);
  p->items[(p->head + p->n) % CLI_PIPE_ITEMS] = *it;
  p->n++;
  p->used += span;
  p->wpos = off + len;
  if (p->writer_waits)
    pthread_cond_signal(&p->more);
  pthread_mutex_unlock(&p->mu);
  return 0;
}

int cli__pipe_put(cli_pipe_t *p, const dag_cid_t *cid, const uint8_t *data,
                  size_t len) {
  if (len > BS_MAX_BLOCK)
    return TR_ETOOBIG;
  item_t it = {.kind = IT_BLOCK, .cid = *cid};
  return push(p, &it, data, len);
}

int cli__pipe_line(cli_pipe_t *p, const char *line, size_t len) {
  if (len > CLI_PIPE_BYTES)
    return TR_ETOOBIG;
  item_t it = {.kind = IT_LINE};
  return push(p, &it, line, len);
}

int cli__pipe_sync(cli_pipe_t *p) {
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

int cli__pipe_call(cli_pipe_t *p, cli_pipe_fn fn, void *arg) {
  item_t it = {.kind = IT_CALL, .fn = fn, .arg = arg};
  int rc = push(p, &it, NULL, 0);
  return rc ? rc : cli__pipe_sync(p);
}

int cli__pipe_end(cli_pipe_t *p, bool commit) {
  /* Drain first: END then always has a slot. */
  if (cli__pipe_sync(p)) {
    /* the error is in p->err: END reports it */
  }
  item_t it = {.kind = IT_END, .len = commit};
  pthread_mutex_lock(&p->mu);
  p->items[(p->head + p->n) % CLI_PIPE_ITEMS] = it;
  p->n++;
  if (p->writer_waits)
    pthread_cond_signal(&p->more);
  pthread_mutex_unlock(&p->mu);
  pthread_join(p->th, NULL);
  int rc = p->end_rc;
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->more);
  pthread_cond_destroy(&p->room);
  tr_free(p->ring);
  tr_free(p->items);
  tr_free(p);
  return rc;
}

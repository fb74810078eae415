/*
 * writer.c — the one batching writer (bs.h's bs_writer_*): a queue any
 * thread appends verified blocks to, and a thread that writes whatever is
 * there in one batch transaction, commits, and says how far it got.
 *
 * Why a thread of its own: a commit waits for the disk (LMDB syncs), and
 * the loop that receives blocks from peers must never wait; why batches:
 * a commit per block would be a sync per block.  Under load the queue
 * grows while a commit runs, so the next batch is larger: the batching
 * adapts to the disk by itself.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "bs_int.h"

typedef struct wblock {
  struct wblock *next;
  dag_cid_t cid;
  uint64_t seq;
  size_t len;
  uint8_t data[];
} wblock_t;

struct bs_writer {
  bs_env_t *env;
  bs_writer_cb cb;
  void *ud;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  wblock_t *head, **tail;
  size_t queued; /* bytes */
  uint64_t seq;  /* last given */
  uint64_t blocks, commits;
  bool closing;
};

static void write_batch(bs_writer_t *w, wblock_t *list) {
  uint64_t last = 0;
  bs_batch_t *b = NULL;
  int rc = bs_batch_begin(w->env, 0, &b);
  for (wblock_t *x = list; x; x = x->next) {
    last = x->seq;
    if (!rc && (rc = bs_batch_put(b, &x->cid, x->data, x->len)))
      tr_log(TR_LOG_ERROR, "writer: block not stored: %s", tr_strerror(rc));
    else if (!rc)
      __atomic_fetch_add(&w->blocks, 1, __ATOMIC_RELAXED);
  }
  if (b) {
    int erc = bs_batch_end(b, rc == 0);
    if (erc)
      tr_log(TR_LOG_ERROR, "writer: commit failed: %s", tr_strerror(erc));
  }
  while (list) {
    wblock_t *next = list->next;
    tr_free(list);
    list = next;
  }
  pthread_mutex_lock(&w->mu);
  w->commits++;
  pthread_mutex_unlock(&w->mu);
  w->cb(w->ud, last);
}

static void *writer_main(void *arg) {
  bs_writer_t *w = arg;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (!w->head && !w->closing)
      pthread_cond_wait(&w->cv, &w->mu);
    if (!w->head)
      break; /* closing, and nothing left */
    wblock_t *list = w->head;
    w->head = NULL;
    w->tail = &w->head;
    w->queued = 0;
    pthread_mutex_unlock(&w->mu);
    write_batch(w, list);
    pthread_mutex_lock(&w->mu);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

int bs_writer_new(bs_env_t *env, bs_writer_cb cb, void *ud,
                  bs_writer_t **out) {
  bs_writer_t *w = tr_calloc(1, sizeof *w);
  if (!w)
    return -ENOMEM;
  w->env = env;
  w->cb = cb;
  w->ud = ud;
  w->tail = &w->head;
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cv, NULL);
  int rc = pthread_create(&w->thread, NULL, writer_main, w);
  if (rc) {
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    tr_free(w);
    return -rc;
  }
  *out = w;
  return 0;
}

uint64_t bs_writer_put(bs_writer_t *w, const dag_cid_t *cid,
                       const uint8_t *data, size_t len) {
  wblock_t *x = tr_malloc(sizeof *x + len);
  if (!x)
    return 0;
  x->next = NULL;
  x->cid = *cid;
  x->len = len;
  memcpy(x->data, data, len);
  pthread_mutex_lock(&w->mu);
  if (w->closing || w->queued + len > BS_WRITER_QUEUE_MAX) {
    pthread_mutex_unlock(&w->mu);
    tr_free(x);
    return 0;
  }
  x->seq = ++w->seq;
  *w->tail = x;
  w->tail = &x->next;
  w->queued += len;
  uint64_t seq = x->seq;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
  return seq;
}

void bs_writer_stats(bs_writer_t *w, uint64_t *blocks, uint64_t *commits) {
  pthread_mutex_lock(&w->mu);
  *commits = w->commits;
  pthread_mutex_unlock(&w->mu);
  *blocks = __atomic_load_n(&w->blocks, __ATOMIC_RELAXED);
}

void bs_writer_free(bs_writer_t *w) {
  if (!w)
    return;
  pthread_mutex_lock(&w->mu);
  w->closing = true;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->thread, NULL);
  pthread_cond_destroy(&w->cv);
  pthread_mutex_destroy(&w->mu);
  tr_free(w);
}

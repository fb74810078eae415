/*
 * rpc_gc.c — /api/v0/repo/gc on a thread of its own, never in the worker
 * pool: GC takes the repo's gc lock exclusively, and waits for it as long
 * as an import holds it shared - an upload trickling in a byte every few
 * seconds holds it for as long as it lasts.  Four repo/gc calls run as pool
 * jobs then sat on all four workers, and every download and API call
 * behind them timed out.  (DESIGN.md: nothing that waits on a lock runs in
 * the shared pool.)
 *
 * One GC at a time per node (ctx->api_gc).  A request that arrives while a
 * GC runs waits for the next one - a GC whose mark phase began before the
 * request might keep what the request expects gone - and every request that
 * arrives meanwhile shares that next run: however many calls pile up, one
 * thread, at most two runs back to back, no pool worker.  Answers are
 * Kubo's: NDJSON {"Key":{"/":cid}} per removed block (nothing with
 * quiet=true), or a 500 {"Message": "garbage collection: ..."}.
 *
 * When every request a run serves has gone away, the run stops at its next
 * removed block (bs_gc's callback says so), so a shutdown is not held up
 * longer than the gc lock takes to come free.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rpc_int.h"

typedef struct gc_waiter {
  struct gc_waiter *next;
  http_req_t *req;
  struct rpc_gc *gc;
  bool quiet, gone;
} gc_waiter_t;

struct rpc_gc {
  rpc_ctx_t *ctx;
  uv_thread_t thread;
  uv_async_t async;
  uv_mutex_t mu;
  gc_waiter_t *running; /* served by the run in progress */
  gc_waiter_t *queued;  /* to be served by the next run */
  /* A run whose waiters are all automatic (rpc_gc_auto) first checks the
   * repo's size against these. */
  bool auto_only;
  uint64_t auto_threshold, auto_max;
  bool stopping; /* rpc_gc_stop: no run after this one */
  /* Under mu: */
  bool done, cancel;
  /* Written by the thread while it runs, read by the loop once done. */
  int rc;
  uint64_t removed;
  tr_bytes_t lines;
};

/* --------------------------------------------------------------- thread */

static int gc_removed(const dag_cid_t *cid, void *ud) {
  struct rpc_gc *g = ud;
  uv_mutex_lock(&g->mu);
  bool cancel = g->cancel;
  uv_mutex_unlock(&g->mu);
  if (cancel)
    return -ECANCELED;
  if (!cid)
    return 0; /* the end of a mark: nothing removed yet */
  char s[DAG_CID_STR_MAX], line[DAG_CID_STR_MAX + 32];
  int n = snprintf(line, sizeof line, "{\"Key\":{\"/\":\"%s\"}}\n",
                   dag_cid_str(cid, s));
  return tr_bytes_append(&g->lines, line, (size_t)n);
}

/* Whether an automatic run has work: the pages holding data (what GC
 * can shrink; the file keeps its size) over the watermark, as Kubo's
 * maybeGC compares its datastore's disk usage. */
static bool over_watermark(struct rpc_gc *g) {
  bs_stat_t st;
  if (bs_stat(g->ctx->env, &st))
    return true; /* in doubt, collect */
  if (st.data_bytes <= g->auto_threshold)
    return false;
  if (st.data_bytes > g->auto_max)
    tr_log(TR_LOG_WARN, "pre-GC: maximum storage limit exceeded (%llu of "
           "Datastore.StorageMax %llu bytes)",
           (unsigned long long)st.data_bytes, (unsigned long long)g->auto_max);
  tr_log(TR_LOG_INFO, "Watermark exceeded. Starting repo GC...");
  return true;
}

static void gc_thread(void *arg) {
  struct rpc_gc *g = arg;
  bs_gc_stats_t st;
  memset(&st, 0, sizeof st);
  int rc = g->auto_only && !over_watermark(g)
               ? 1 /* nothing to do */
               : bs_gc(g->ctx->env, gc_removed, g, &st);
  uv_mutex_lock(&g->mu);
  g->rc = rc;
  g->removed = st.removed;
  g->done = true;
  uv_mutex_unlock(&g->mu);
  uv_async_send(&g->async);
}

/* ----------------------------------------------------------------- loop */

static void on_closed(uv_handle_t *h) {
  struct rpc_gc *g = h->data;
  tr_bytes_free(&g->lines);
  uv_mutex_destroy(&g->mu);
  tr_free(g);
}

static void answer(gc_waiter_t *w, int rc, uint64_t removed,
                   const tr_bytes_t *lines) {
  if (!w->req) { /* an automatic run's: the log is its answer */
    if (rc == -ECANCELED)
      tr_log(TR_LOG_INFO, "repo GC: stopped, the node stops");
    else if (rc < 0)
      tr_log(TR_LOG_ERROR, "repo GC: %s", tr_strerror(rc));
    else if (rc == 0)
      tr_log(TR_LOG_INFO, "Repo GC done: %llu blocks removed. See `trove "
             "repo stat` to see how much space got freed.",
             (unsigned long long)removed);
    tr_free(w);
    return;
  }
  http_req_on_close(w->req, NULL, NULL);
  if (rc) {
    rpc_error(w->req, 500, "garbage collection: %s", tr_strerror(rc));
  } else {
    size_t n = w->quiet ? 0 : lines->len;
    rpc_start(w->req, RPC_CHUNKED, NULL, (int64_t)n, -1);
    if (n)
      http_res_write(w->req, lines->data, n);
    http_res_end(w->req);
  }
  tr_free(w);
}

/* A client went away.  Its answer is still written (and dropped) when its
 * run ends; if no one is left waiting for the run in progress, stop it. */
static void on_gone(http_req_t *req, void *ud) {
  (void)req;
  gc_waiter_t *w = ud;
  struct rpc_gc *g = w->gc;
  w->gone = true;
  bool mine = false, all = true;
  for (gc_waiter_t *x = g->running; x; x = x->next) {
    mine |= x == w;
    all &= x->gone;
  }
  if (mine && all) {
    uv_mutex_lock(&g->mu);
    g->cancel = true;
    uv_mutex_unlock(&g->mu);
  }
}

/* Start a run for g->running on a new thread; on failure answer them. */
static int start_run(struct rpc_gc *g) {
  g->auto_only = true;
  for (gc_waiter_t *w = g->running; w; w = w->next)
    g->auto_only &= !w->req;
  g->done = g->cancel = false;
  g->rc = 0;
  g->lines.len = 0;
  if (uv_thread_create(&g->thread, gc_thread, g) == 0)
    return 0;
  tr_log(TR_LOG_ERROR, "repo/gc: cannot start a thread");
  for (gc_waiter_t *w = g->running, *n; w; w = n) {
    n = w->next;
    answer(w, -EAGAIN, 0, &g->lines);
  }
  g->running = NULL;
  return -EAGAIN;
}

static void on_async(uv_async_t *a) {
  struct rpc_gc *g = a->data;
  uv_mutex_lock(&g->mu);
  bool done = g->done;
  uv_mutex_unlock(&g->mu);
  if (!done)
    return;
  uv_thread_join(&g->thread);
  int rc = g->rc;
  if (rc != 1) { /* 1: an automatic run found nothing to do */
    g->ctx->gc_runs++; /* for the metrics (node/obs.c) */
    g->ctx->gc_removed += g->removed;
  }
  for (gc_waiter_t *w = g->running, *n; w; w = n) {
    n = w->next;
    answer(w, rc, g->removed, &g->lines);
  }
  g->running = g->queued;
  g->queued = NULL;
  if (g->running && !g->stopping && start_run(g) == 0)
    return;
  for (gc_waiter_t *w = g->running, *n; w; w = n) { /* the node stops */
    n = w->next;
    answer(w, -ECANCELED, 0, &g->lines);
  }
  g->running = NULL;
  for (gc_waiter_t *w = g->queued, *n; w; w = n) { /* none: defensive */
    n = w->next;
    answer(w, -EAGAIN, 0, &g->lines);
  }
  g->ctx->api_gc = NULL;
  uv_close((uv_handle_t *)&g->async, on_closed);
}

/* Hand w to the run in progress's successor, or start one for it.  0, or
 * an error (w was not taken). */
static int submit(rpc_ctx_t *ctx, gc_waiter_t *w) {
  struct rpc_gc *g = ctx->api_gc;
  if (g) {
    /* A run is in progress: wait for (and share) the next one. */
    w->gc = g;
    w->next = g->queued;
    g->queued = w;
    if (w->req)
      http_req_on_close(w->req, on_gone, w);
    return 0;
  }
  if (!(g = tr_calloc(1, sizeof *g)))
    return -ENOMEM;
  g->ctx = ctx;
  if (uv_mutex_init(&g->mu)) {
    tr_free(g);
    return -EAGAIN;
  }
  if (uv_async_init(ctx->loop, &g->async, on_async)) {
    uv_mutex_destroy(&g->mu);
    tr_free(g);
    return -EAGAIN;
  }
  g->async.data = g;
  g->auto_threshold = ctx->gc_threshold;
  g->auto_max = ctx->gc_max;
  w->gc = g;
  g->running = w;
  if (w->req)
    http_req_on_close(w->req, on_gone, w);
  if (start_run(g)) { /* w was answered */
    uv_close((uv_handle_t *)&g->async, on_closed);
    return 0;
  }
  ctx->api_gc = g;
  return 0;
}

void rpc_cmd_repo_gc(http_req_t *req, rpc_ctx_t *ctx) {
  bool quiet;
  if (rpc_opt_bool(req, "quiet", false, &quiet)) {
    rpc_error(req, 400, "invalid value for quiet");
    return;
  }
  gc_waiter_t *w = tr_calloc(1, sizeof *w);
  if (!w) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  w->req = req;
  w->quiet = quiet;
  if (submit(ctx, w)) {
    tr_free(w);
    rpc_error(req, 500, "cannot start garbage collection");
  }
}

void rpc_gc_auto(rpc_ctx_t *ctx) {
  gc_waiter_t *w = tr_calloc(1, sizeof *w);
  if (!w || submit(ctx, w)) {
    tr_free(w);
    tr_log(TR_LOG_ERROR, "repo GC: cannot start");
  }
}

void rpc_gc_stop(rpc_ctx_t *ctx) {
  struct rpc_gc *g = ctx->api_gc;
  if (!g)
    return;
  g->stopping = true;
  uv_mutex_lock(&g->mu);
  g->cancel = true; /* the run stops at its next removed block */
  uv_mutex_unlock(&g->mu);
}

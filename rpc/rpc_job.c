/*
 * rpc_job.c — the RPC API's worker-pool jobs (rpc_int.h), and how they get
 * the blocks the repo lacks.
 *
 * A job runs its fn on the pool, then answers on the loop.  A job made
 * with rpc_job_run_fetch() may fail for want of a block (rpc_job_get()
 * notes which) or of a whole DAG (rpc_job_missing() with BS_FETCH_DAG,
 * rpc_job_dag_check()): the fetcher (blockstore/fetch.h) is asked for it
 * and fn runs again from the start once it is in the store, until fn
 * succeeds, asks twice for the same thing (it cannot be had), or the
 * request's deadline passes.  The deadline is the whole request's (Kubo's
 * --timeout bounds the command): it is fixed when the job is made and
 * carried into a streamed body (rpc_job_stream_fetch), whose waits end at
 * it too.  Nothing here bounds a body that needs no fetching.
 *
 * Why fetch-then-rerun rather than fetch-while-reading: a job's fn reads
 * in one transaction on a pool thread that must not wait, and the API's
 * reads are short next to a network round trip; running them again costs
 * little, and keeps each command's code a plain read of the store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dag/reader.h"
#include "rpc_int.h"

static void timer_free(uv_handle_t *h) { tr_free(h); }

static void close_timer(uv_timer_t **t) {
  if (*t)
    uv_close((uv_handle_t *)*t, timer_free);
  *t = NULL;
}

static void job_free(rpc_job_t *j) {
  close_timer(&j->timer);
  close_timer(&j->ptimer);
  if (j->free_state && j->state)
    j->free_state(j->state);
  json_decref(j->json);
  tr_bytes_free(&j->out);
  tr_free(j);
}

static void job_work(uv_work_t *w) {
  rpc_job_t *j = w->data;
  j->fn(j);
}

static void job_after(uv_work_t *w, int status);

/* ------------------------------------------------------------ progress */

/* The store's blocks.  On the loop: one read transaction and LMDB's own
 * count, no page of data touched. */
static uint64_t store_blocks(rpc_job_t *j) {
  bs_txn_t *txn;
  uint64_t n = 0;
  if (bs_txn_begin(j->env, BS_RDONLY, &txn) == 0) {
    if (bs_count(txn, &n))
      n = 0;
    bs_txn_abort(txn);
  }
  return n;
}

/* Blocks the store gained since the first fetch began. */
static uint64_t progress_now(rpc_job_t *j) {
  uint64_t n = store_blocks(j);
  return n > j->prog_base ? n - j->prog_base : 0;
}

static void progress_line(rpc_job_t *j) {
  rpc_write_line(j->req, json_pack("{s:I}", "Progress",
                                   (json_int_t)progress_now(j)));
  http_res_flush(j->req);
}

static void progress_tick(uv_timer_t *t) { progress_line(t->data); }

/* A fetch begins: the answer's headers go now (NDJSON), and a line every
 * RPC_PROGRESS_MS while it runs. */
static void progress_start(rpc_job_t *j) {
  if (!j->started) {
    j->started = true;
    rpc_start(j->req, RPC_CHUNKED, NULL, -1, -1);
    j->prog_base = 0;
    j->prog_base = progress_now(j);
  }
  if (!j->ptimer) {
    if (!(j->ptimer = tr_malloc(sizeof *j->ptimer)))
      return; /* no ticks: the final line still comes */
    uv_timer_init(j->ctx->loop, j->ptimer);
    j->ptimer->data = j;
  }
  uv_timer_start(j->ptimer, progress_tick, RPC_PROGRESS_MS, RPC_PROGRESS_MS);
}

/* An error once the headers are out: an error value in the stream, then a
 * cut connection, so that no client takes the answer for complete (as
 * rpc_upload does). */
static void job_error_now(rpc_job_t *j, int status, const char *msg) {
  if (!j->started) {
    rpc_error(j->req, status, "%s", msg);
  } else {
    rpc_write_line(j->req, json_pack("{s:o,s:i,s:s}", "Message",
                                     rpc_json_str(msg), "Code", 0, "Type",
                                     "error"));
    http_res_abort(j->req);
  }
  job_free(j);
}

/* ---------------------------------------------------- fetching in jobs */

int rpc_fetch_policy(http_req_t *req, const rpc_ctx_t *ctx, bool *on,
                     uint32_t *ms) {
  bool off = false;
  char *t = NULL;
  int rc = rpc_opt_bool(req, "offline", false, &off);
  if (!rc)
    rc = rpc_opt_str(req, "timeout", &t);
  uint64_t ns = 0;
  if (!rc && t && (rc = tr_parse_duration(t, &ns)) == 0 && ns == 0)
    rc = TR_EUSAGE;
  tr_free(t);
  if (rc)
    return TR_EUSAGE;
  *on = ctx->fetcher && !ctx->offline && !off;
  /* timeout= bounds the whole request, as Kubo's --timeout.  Without it,
   * as in Kubo, nothing does (a pin add of a big archive takes what it
   * takes); only a wait for one block gives up after the stall time
   * (stall_ms()), since one block that does not come in that long will
   * not. */
  uint64_t m = ns ? ns / 1000000 : UINT32_MAX;
  *ms = m > UINT32_MAX ? UINT32_MAX : m ? (uint32_t)m : 1;
  return 0;
}

/* The stall time: ctx->fetch_timeout_ms, RPC_FETCH_TIMEOUT_MS when 0. */
static uint64_t stall_ms(const rpc_ctx_t *ctx) {
  return ctx->fetch_timeout_ms ? ctx->fetch_timeout_ms : RPC_FETCH_TIMEOUT_MS;
}

/* How long one wait may last from now: to the deadline, and no longer
 * than the stall time; a DAG wait is renewed while the store gains blocks
 * (job_fetch_timeout). */
static uint64_t wait_ms(const rpc_ctx_t *ctx, uint64_t deadline, uint64_t now,
                        bool dag) {
  uint64_t left = deadline - now;
  uint64_t stall = stall_ms(ctx);
  return dag || left < stall ? left : stall;
}

void rpc_job_missing(rpc_job_t *j, const dag_cid_t *cid, unsigned flags) {
  j->missing = *cid;
  j->missing_flags = flags;
  j->has_missing = true;
}

int rpc_job_get(const dag_cid_t *cid, const uint8_t **data, size_t *len,
                void *ud) {
  rpc_job_t *j = ud;
  int rc = bs_get(j->txn, cid, data, len);
  if (rc == TR_ENOTFOUND)
    rpc_job_missing(j, cid, 0);
  return rc;
}

int rpc_job_dag_check(rpc_job_t *j, bs_txn_t *txn, const dag_cid_t *root,
                      int max_depth, unsigned walk_flags) {
  /* Whole DAGs are a set: each block once is enough to know. */
  if (max_depth < 0)
    walk_flags |= BS_WALK_UNIQUE;
  bs_walk_t *w;
  int rc = bs_walk_new(root, walk_flags, max_depth, &w);
  if (rc)
    return rc;
  dag_cid_t c;
  while ((rc = bs_walk_next(w, txn, &c, NULL, NULL)) == 1) {
  }
  bs_walk_free(w);
  if (rc == TR_ENOTFOUND) {
    char s[DAG_CID_STR_MAX], msg[700];
    if (max_depth < 0)
      rpc_job_missing(j, root, BS_FETCH_DAG);
    else
      rpc_job_missing(j, &c, 0);
    rpc_job_fail(j, 500, "%s",
                 rpc_errmsg(rc, dag_cid_str(&c, s), msg, sizeof msg));
  }
  return rc;
}

/* The client left while the job waits for a fetch. */
static void job_gone(http_req_t *req, void *ud) {
  rpc_job_t *j = ud;
  if (j->fetch)
    j->ctx->fetcher->cancel(j->ctx->fetcher->ud, j->fetch);
  j->fetch = 0;
  http_res_end(req);
  job_free(j);
}

static void job_fetch_end(rpc_job_t *j) {
  http_req_on_close(j->req, NULL, NULL);
  if (j->timer)
    uv_timer_stop(j->timer);
  if (j->ptimer)
    uv_timer_stop(j->ptimer);
}

static uint64_t wait_ms(const rpc_ctx_t *ctx, uint64_t deadline, uint64_t now,
                        bool dag);

static void job_fetch_timeout(uv_timer_t *t) {
  rpc_job_t *j = t->data;
  /* A whole DAG may take long: it gives up only when the store gained no
   * block for a stall time (or at the request's deadline). */
  uint64_t now = uv_now(j->ctx->loop);
  if ((j->last_flags & BS_FETCH_DAG) && now < j->deadline) {
    uint64_t n = store_blocks(j);
    if (n != j->stall_n) {
      j->stall_n = n;
      uv_timer_start(t, job_fetch_timeout,
                     wait_ms(j->ctx, j->deadline, now, false), 0);
      return;
    }
  }
  j->ctx->fetcher->cancel(j->ctx->fetcher->ud, j->fetch);
  j->fetch = 0;
  job_fetch_end(j);
  char s[DAG_CID_STR_MAX], msg[DAG_CID_STR_MAX + 100];
  snprintf(msg, sizeof msg, "context deadline exceeded: %s %s not retrieved "
           "in time", j->last_flags & BS_FETCH_DAG ? "the DAG under" : "block",
           dag_cid_str(&j->last, s));
  /* The client hears it, and so does the operator: a stall is either the
   * network's (nobody has it) or ours, and the log is where to tell. */
  char why[64];
  if (now >= j->deadline)
    snprintf(why, sizeof why, "at the request's deadline");
  else
    snprintf(why, sizeof why, "after %llu ms without a new block",
             (unsigned long long)stall_ms(j->ctx));
  tr_log(TR_LOG_WARN, "%s: gave up %s: %s", http_req_path(j->req), why, msg);
  job_error_now(j, 500, msg);
}

/* Run again from the start, with nothing of the failed run kept. */
static void job_rerun(rpc_job_t *j) {
  j->status = 0;
  j->err[0] = 0;
  json_decref(j->json);
  j->json = NULL;
  j->out.len = 0;
  j->has_missing = false;
  j->again = false;
  if (uv_queue_work(j->ctx->loop, &j->work, job_work, job_after))
    job_error_now(j, 500, "cannot queue work");
}

static void job_fetched(void *arg, int status) {
  rpc_job_t *j = arg;
  j->fetch = 0;
  job_fetch_end(j);
  if (status) {
    char s[DAG_CID_STR_MAX], msg[DAG_CID_STR_MAX + 100];
    snprintf(msg, sizeof msg, "cannot retrieve %s: %s",
             dag_cid_str(&j->last, s), tr_strerror(status));
    job_error_now(j, 500, msg);
    return;
  }
  job_rerun(j);
}

static void job_again_fire(uv_timer_t *t) {
  rpc_job_t *j = t->data;
  job_fetch_end(j);
  job_rerun(j);
}

static bool ensure_timer(rpc_job_t *j) {
  if (!j->timer) {
    if (!(j->timer = tr_malloc(sizeof *j->timer)))
      return false;
    uv_timer_init(j->ctx->loop, j->timer);
    j->timer->data = j;
  }
  return true;
}

void rpc_job_again(rpc_job_t *j) { j->again = true; }

/* After a run that asked to be run again later: true when it will be. */
static bool job_again(rpc_job_t *j) {
  uint64_t now = uv_now(j->ctx->loop);
  if (!j->again || !j->refetch || now >= j->deadline || !ensure_timer(j))
    return false;
  uint64_t left = j->deadline - now;
  http_req_on_close(j->req, job_gone, j);
  uv_timer_start(j->timer, job_again_fire,
                 left < RPC_AGAIN_MS ? left : RPC_AGAIN_MS, 0);
  return true;
}

/* After a failed run: fetch what it lacked; true when a fetch started. */
static bool job_refetch(rpc_job_t *j) {
  if (!j->refetch || !j->fetch_on || !j->has_missing)
    return false;
  if (j->has_last && j->last_flags == j->missing_flags &&
      dag_cid_equal(&j->last, &j->missing))
    return false; /* fetched, and missing still */
  uint64_t now = uv_now(j->ctx->loop);
  if (now >= j->deadline || !ensure_timer(j))
    return false;
  const bs_fetcher_t *f = j->ctx->fetcher;
  /* A DAG's order hint is its own root; a block's, the request's. */
  const dag_cid_t *hint = j->missing_flags & BS_FETCH_DAG ? &j->missing
                          : j->hint.len                 ? &j->hint
                                                        : NULL;
  j->fetch = f->fetch(f->ud, &j->missing, hint, j->missing_flags,
                      job_fetched, j);
  if (!j->fetch)
    return false;
  j->last = j->missing;
  j->last_flags = j->missing_flags;
  j->has_last = true;
  http_req_on_close(j->req, job_gone, j);
  j->stall_n = store_blocks(j);
  uv_timer_start(j->timer, job_fetch_timeout,
                 wait_ms(j->ctx, j->deadline, now, false), 0);
  if (j->progress)
    progress_start(j);
  return true;
}

/* ------------------------------------------------------- the stream's */

static void miss_stop(rpc_miss_t *m) { close_timer(&m->timer); }

static void miss_done(void *arg, int status) {
  rpc_miss_t *m = arg;
  m->handle = 0;
  miss_stop(m);
  http_stream_resume(m->s, status);
}

static void miss_timeout(uv_timer_t *t) {
  rpc_miss_t *m = t->data;
  m->f->cancel(m->f->ud, m->handle);
  m->handle = 0;
  miss_stop(m);
  http_stream_resume(m->s, -ETIMEDOUT);
}

static int miss_wait(void *state, int64_t err, http_stream_t *s) {
  rpc_miss_t *m = state;
  if (err != TR_ENOTFOUND || !m->has || !m->f)
    return -1;
  m->has = false;
  if (m->has_last && dag_cid_equal(&m->last, &m->cid))
    return -1;
  uint64_t now = uv_now(m->loop);
  if (now >= m->deadline)
    return -1;
  /* The request's deadline, not one per wait: a timer while waiting. */
  if (!(m->timer = tr_malloc(sizeof *m->timer)))
    return -1;
  uv_timer_init(m->loop, m->timer);
  m->timer->data = m;
  m->s = s;
  m->handle = m->f->fetch(m->f->ud, &m->cid, &m->root, 0, miss_done, m);
  if (!m->handle) {
    miss_stop(m);
    return -1;
  }
  uv_timer_start(m->timer, miss_timeout,
                 wait_ms(m->ctx, m->deadline, now, false), 0);
  m->last = m->cid;
  m->has_last = true;
  return 0;
}

static void miss_cancel(void *state) {
  rpc_miss_t *m = state;
  if (m->handle)
    m->f->cancel(m->f->ud, m->handle);
  m->handle = 0;
  miss_stop(m);
}

void rpc_job_stream_fetch(rpc_job_t *j, http_fill_fn fill, rpc_miss_t *m,
                          const dag_cid_t *root) {
  void *state = j->state;
  j->state = NULL;
  memset(m, 0, sizeof *m);
  http_stream_opts_t o = {0};
  if (j->fetch_on) {
    m->f = j->ctx->fetcher;
    m->root = *root;
    m->loop = j->ctx->loop;
    m->ctx = j->ctx;
    m->deadline = j->deadline;
    o.wait = miss_wait;
    o.cancel = miss_cancel;
  }
  http_stream_start_opts(j->req, j->ctx->env, fill, j->free_state, state, &o);
  job_free(j);
}

/* ---------------------------------------------------------------- jobs */

static void job_after(uv_work_t *w, int status) {
  rpc_job_t *j = w->data;
  if (status != UV_ECANCELED && j->status >= 400 &&
      (job_again(j) || job_refetch(j)))
    return;
  if (status == UV_ECANCELED && j->status < 400)
    rpc_job_fail(j, 500, "request cancelled");
  if (j->done && j->status < 400)
    j->done(j);
  else
    rpc_job_answer(j);
}

static int job_run(http_req_t *req, rpc_ctx_t *ctx, rpc_work_fn fn,
                   rpc_done_fn done, void *state,
                   void (*free_state)(void *state), bool refetch) {
  rpc_job_t *j = tr_calloc(1, sizeof *j);
  if (!j) {
    if (free_state && state)
      free_state(state);
    rpc_error(req, 500, "out of memory");
    return -ENOMEM;
  }
  j->work.data = j;
  j->req = req;
  j->ctx = ctx;
  j->env = ctx->env;
  j->fn = fn;
  j->done = done;
  j->state = state;
  j->free_state = free_state;
  j->kind = RPC_SINGLE;
  if (refetch) {
    j->refetch = true;
    if (rpc_fetch_policy(req, ctx, &j->fetch_on, &j->fetch_ms)) {
      rpc_error(req, 400, "invalid timeout or offline option");
      job_free(j);
      return TR_EUSAGE;
    }
    j->deadline = uv_now(ctx->loop) + j->fetch_ms;
  }
  if (uv_queue_work(ctx->loop, &j->work, job_work, job_after)) {
    rpc_error(req, 500, "cannot queue work");
    job_free(j);
    return -ENOMEM;
  }
  return 0;
}

int rpc_job_run(http_req_t *req, rpc_ctx_t *ctx, rpc_work_fn fn, rpc_done_fn done,
                void *state, void (*free_state)(void *state)) {
  return job_run(req, ctx, fn, done, state, free_state, false);
}

int rpc_job_run_fetch(http_req_t *req, rpc_ctx_t *ctx, rpc_work_fn fn,
                      rpc_done_fn done, void *state,
                      void (*free_state)(void *state)) {
  return job_run(req, ctx, fn, done, state, free_state, true);
}

void rpc_job_fail(rpc_job_t *j, int status, const char *fmt, ...) {
  if (j->status >= 400)
    return;
  j->status = status;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(j->err, sizeof j->err, fmt, ap);
  va_end(ap);
}

int rpc_job_line(rpc_job_t *j, json_t *o) {
  if (!o)
    return -ENOMEM;
  char *s = rpc_json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (!s)
    return -ENOMEM;
  int rc = tr_bytes_append(&j->out, s, strlen(s));
  if (!rc)
    rc = tr_bytes_append(&j->out, "\n", 1);
  free(s);
  j->kind = RPC_CHUNKED;
  return rc;
}

/* The answer once progress lines have gone out: the last count (as Kubo,
 * only when not 0), then the result as one more line. */
static void answer_started(rpc_job_t *j) {
  http_req_t *req = j->req;
  if (j->status >= 400) {
    job_error_now(j, j->status, j->err);
    return;
  }
  if (progress_now(j))
    progress_line(j);
  if (j->json) {
    rpc_write_line(req, j->json);
    j->json = NULL;
  } else {
    http_res_write(req, j->out.data, j->out.len);
  }
  http_res_end(req);
  job_free(j);
}

void rpc_job_answer(rpc_job_t *j) {
  http_req_t *req = j->req;
  if (j->started) {
    answer_started(j);
    return;
  }
  if (j->status >= 400) {
    rpc_error(req, j->status, "%s", j->err);
  } else if (j->json) {
    char *s = rpc_json_dumps(j->json, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s) {
      rpc_error(req, 500, "out of memory");
    } else {
      size_t n = strlen(s);
      rpc_start(req, j->kind, NULL, (int64_t)n + 1, -1);
      http_res_write(req, s, n);
      http_res_write(req, "\n", 1);
      http_res_end(req);
      free(s);
    }
  } else {
    rpc_start(req, j->kind, j->ctype, (int64_t)j->out.len, -1);
    http_res_write(req, j->out.data, j->out.len);
    http_res_end(req);
  }
  job_free(j);
}

void rpc_job_lines_fail(rpc_job_t *j) {
  rpc_start(j->req, RPC_CHUNKED, NULL, -1, -1);
  http_res_write(j->req, j->out.data, j->out.len);
  http_res_end_trailer(j->req, "X-Stream-Error", j->err);
  job_free(j);
}

void rpc_job_stream(rpc_job_t *j, http_fill_fn fill) {
  void *state = j->state;
  j->state = NULL;
  http_stream_start(j->req, j->ctx->env, fill, j->free_state, state);
  job_free(j);
}

void rpc_job_handoff(rpc_job_t *j) { job_free(j); }

/* ------------------------------------------------------------- paths */

/* Resolve inside j, recording Kubo's message on failure.  A job that
 * fetches reads through rpc_job_get, and its hint is the path's root. */
int rpc_job_resolve(rpc_job_t *j, bs_txn_t *txn, const char *arg,
                    dag_cid_t *out) {
  j->txn = txn;
  int rc = j->refetch ? rpc_resolve_cb(arg, rpc_job_get, j, out, &j->hint)
                      : rpc_resolve(txn, arg, out);
  char msg[700];
  if (rc == TR_EPATH)
    rpc_resolve_miss(arg, j->refetch ? rpc_job_get : bs_get_cb,
                     j->refetch ? (void *)j : (void *)txn, msg, sizeof msg);
  if (rc)
    rpc_job_fail(j, rpc_status_for(rc), "%s",
                 rc == TR_EPATH ? msg : rpc_errmsg(rc, arg, msg, sizeof msg));
  return rc;
}

/*
 * rpc_verify.c — Kubo 0.43's repo/verify [drop=] [heal=] [heal-timeout=]:
 * every stored block rehashed (bs_verify, a pool job); a corrupt one is
 * reported, with drop removed, with heal removed and fetched again from
 * the network, one at a time, each within heal-timeout (default 30s; 0:
 * no limit, as Kubo's).  The answer is NDJSON {"Msg"}: a line
 * per corrupt block in Kubo's words ("block C was corrupt (why)[, removed[,
 * healed | , failed to heal (why)]]"), then {"Progress": N} (the blocks
 * checked; Kubo sends one a block, trove one in all) and the summary,
 * "verify complete, all blocks validated." or "verify complete, N blocks
 * corrupt[, N removed][, N healed][, N failed to heal]".  As in Kubo the
 * summary is an error (the stream's X-Stream-Error trailer) when a
 * corrupt block stays: without drop, or one heal failed.
 */
#include <stdio.h>
#include <string.h>

#include "../blockstore/fetch.h"
#include "rpc_int.h"

#define CORRUPT_WHY "block in storage has different hash than requested"

typedef struct verify {
  bool drop, heal;
  uint64_t heal_ms;
  uint64_t checked, corrupt, healed, heal_failed;
  bool fail; /* the summary (in the job's err) ends the stream as an error */
  dag_cid_t *bad; /* heal: the blocks removed, to fetch */
  size_t nbad, cap, next;
  /* healing, on the loop */
  http_req_t *req;
  rpc_ctx_t *ctx;
  uint64_t handle;
  uv_timer_t *timer;
  bool gone;
} verify_t;

static void verify_free(void *p) {
  verify_t *v = p;
  tr_free(v->bad);
  tr_free(v);
}

static int on_bad(const dag_cid_t *cid, void *ud) {
  rpc_job_t *j = ud;
  verify_t *v = j->state;
  char s[DAG_CID_STR_MAX], msg[DAG_CID_STR_MAX + 96];
  if (v->heal) { /* its line comes once it is fetched, or not */
    if (v->nbad == v->cap) {
      size_t cap = v->cap ? v->cap * 2 : 16;
      dag_cid_t *nb = tr_realloc(v->bad, cap * sizeof *nb);
      if (!nb)
        return -ENOMEM;
      v->bad = nb, v->cap = cap;
    }
    v->bad[v->nbad++] = *cid;
    return 0;
  }
  snprintf(msg, sizeof msg, "block %s was corrupt (" CORRUPT_WHY ")%s",
           dag_cid_str(cid, s), v->drop ? ", removed" : "");
  return rpc_job_line(j, json_pack("{s:s}", "Msg", msg));
}

/* The summary; true when it is an error (a corrupt block remains). */
static bool summary(const verify_t *v, char *out, size_t n) {
  if (!v->corrupt) {
    snprintf(out, n, "verify complete, all blocks validated.");
    return false;
  }
  int k = snprintf(out, n, "verify complete, %llu blocks corrupt",
                   (unsigned long long)v->corrupt);
  if (v->drop && k > 0 && (size_t)k < n)
    k += snprintf(out + k, n - (size_t)k, ", %llu removed",
                  (unsigned long long)v->corrupt);
  if (v->healed && k > 0 && (size_t)k < n)
    k += snprintf(out + k, n - (size_t)k, ", %llu healed",
                  (unsigned long long)v->healed);
  if (v->heal_failed && k > 0 && (size_t)k < n)
    snprintf(out + k, n - (size_t)k, ", %llu failed to heal",
             (unsigned long long)v->heal_failed);
  return !v->drop || v->heal_failed;
}

static void verify_work(rpc_job_t *j) {
  verify_t *v = j->state;
  int rc = bs_verify(j->env, v->drop, on_bad, j, &v->checked, &v->corrupt);
  j->kind = RPC_CHUNKED;
  if (rc) {
    rpc_job_fail(j, 500, "verify: %s", tr_strerror(rc));
    return;
  }
  if (v->heal)
    return; /* verify_done goes on */
  char msg[256];
  bool bad = summary(v, msg, sizeof msg);
  if (rpc_job_line(j, json_pack("{s:I}", "Progress", (json_int_t)v->checked)))
    rpc_job_fail(j, 500, "out of memory");
  else if (bad) /* lines so far, then the summary as the stream's error */
    v->fail = true, snprintf(j->err, sizeof j->err, "%s", msg);
  else if (rpc_job_line(j, json_pack("{s:s}", "Msg", msg)))
    rpc_job_fail(j, 500, "out of memory");
}

/* ---------------------------------------------------------------- heal */

static void heal_next(verify_t *v);

static void heal_end(verify_t *v) {
  if (v->timer) {
    uv_close((uv_handle_t *)v->timer, (uv_close_cb)tr_free);
    v->timer = NULL;
  }
  if (!v->gone) {
    char msg[256];
    http_req_on_close(v->req, NULL, NULL);
    rpc_write_line(v->req, json_pack("{s:I}", "Progress",
                                     (json_int_t)v->checked));
    if (summary(v, msg, sizeof msg)) {
      http_res_end_trailer(v->req, "X-Stream-Error", msg);
    } else {
      rpc_write_line(v->req, json_pack("{s:s}", "Msg", msg));
      http_res_end(v->req);
    }
  }
  verify_free(v);
}

/* One block's outcome: its line, then the next. */
static void heal_one(verify_t *v, int status) {
  const bs_fetcher_t *f = v->ctx->fetcher;
  char s[DAG_CID_STR_MAX], msg[DAG_CID_STR_MAX + 200];
  if (v->handle && status == -ETIMEDOUT)
    f->cancel(f->ud, v->handle);
  v->handle = 0;
  if (v->timer)
    uv_timer_stop(v->timer);
  dag_cid_str(&v->bad[v->next], s);
  if (status) {
    v->heal_failed++;
    snprintf(msg, sizeof msg, "block %s was corrupt (" CORRUPT_WHY "), "
             "removed, failed to heal (%s)", s,
             status == -ETIMEDOUT ? "context deadline exceeded"
                                  : tr_strerror(status));
  } else {
    v->healed++;
    snprintf(msg, sizeof msg, "block %s was corrupt (" CORRUPT_WHY "), "
             "removed, healed", s);
  }
  if (!v->gone)
    rpc_write_line(v->req, json_pack("{s:s}", "Msg", msg));
  v->next++;
  heal_next(v);
}

static void fetched(void *arg, int status) { heal_one(arg, status); }

static void heal_timeout(uv_timer_t *t) { heal_one(t->data, -ETIMEDOUT); }

static void heal_gone(http_req_t *req, void *ud) {
  verify_t *v = ud;
  v->gone = true;
  http_res_end(req);
  if (v->handle) { /* the fetch under way stops; the rest are skipped */
    v->ctx->fetcher->cancel(v->ctx->fetcher->ud, v->handle);
    v->handle = 0;
    v->next = v->nbad;
    heal_end(v);
  }
}

static void heal_next(verify_t *v) {
  const bs_fetcher_t *f = v->ctx->fetcher;
  while (v->next < v->nbad && !v->gone) {
    if (v->heal_ms && !v->timer) {
      if (!(v->timer = tr_malloc(sizeof *v->timer)))
        break;
      uv_timer_init(v->ctx->loop, v->timer);
      v->timer->data = v;
    }
    v->handle = f->fetch(f->ud, &v->bad[v->next], NULL, 0, fetched, v);
    if (v->handle) {
      if (v->heal_ms)
        uv_timer_start(v->timer, heal_timeout, v->heal_ms, 0);
      return;
    }
    heal_one(v, TR_ELIMIT);
    return;
  }
  heal_end(v);
}

static void verify_done(rpc_job_t *j) {
  verify_t *v = j->state;
  if (!v->heal) { /* the lines, then the summary or the error */
    if (v->fail)
      rpc_job_lines_fail(j);
    else
      rpc_job_answer(j);
    return;
  }
  j->state = NULL; /* v outlives the job now */
  v->req = j->req;
  v->ctx = j->ctx;
  rpc_start(v->req, RPC_CHUNKED, NULL, -1, -1);
  http_res_flush(v->req);
  http_req_on_close(v->req, heal_gone, v);
  rpc_job_handoff(j);
  heal_next(v);
}

void rpc_cmd_repo_verify(http_req_t *req, rpc_ctx_t *ctx) {
  verify_t *v = tr_calloc(1, sizeof *v);
  char *to = NULL;
  uint64_t ns = 30000000000ull;
  if (!v) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  if (rpc_opt_bool(req, "drop", false, &v->drop) ||
      rpc_opt_bool(req, "heal", false, &v->heal) ||
      rpc_opt_str(req, "heal-timeout", &to)) {
    rpc_error(req, 400, "invalid option");
  } else if (to && tr_parse_duration(to, &ns)) {
    rpc_error(req, 500, "invalid heal-timeout: time: invalid duration "
              "\"%s\"", to);
  } else if (v->heal && (!ctx->fetcher || ctx->offline)) {
    rpc_error(req, 500, "this command must be run in online mode, try "
              "running 'trove daemon' first");
  } else {
    v->drop = v->drop || v->heal;
    v->heal_ms = ns / 1000000 + (ns % 1000000 != 0);
    tr_free(to);
    (void)rpc_job_run(req, ctx, verify_work, verify_done, v, verify_free);
    return;
  }
  tr_free(to);
  verify_free(v);
}

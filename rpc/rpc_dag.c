/*
 * rpc_dag.c — /api/v0/dag/export and /api/v0/dag/import, CARv1 in and out
 * with Kubo's parameters and answers:
 *
 *   dag/export arg=<cid>   the CAR (X-Stream-Output,
 *                          application/vnd.ipld.car): header with that root,
 *                          then every block of the DAG once, depth-first
 *   dag/import multipart of CARs (v1 or v2), pin-roots=true stats=
 *                          allow-big-block=
 *              NDJSON {"Root":{"Cid":{"/":cid},"PinErrorMsg":""}} per root,
 *              then {"Stats":{"BlockCount","BlockBytesCount"}} with stats
 *
 * Export streams from the blockstore's resumable CAR exporter
 * (blockstore/export.c), one piece per pool job.
 *
 * Import is all or nothing: a bad block, a truncated CAR or a malformed
 * one rejects the whole import and leaves nothing of it.  The body is
 * stored as it streams: each block is checked against its CID
 * (dag_cid_verify) on the upload thread and handed to the writer thread of
 * a blockstore pipe (blockstore/pipe.h, as /api/v0/add does), which puts
 * it while the next ones are hashed and commits at the batch's size, after
 * at most a second, and whenever the body stalls for 100 ms (a slow client
 * never holds the repo's write lock while nothing arrives).  The writer
 * records the keys of the blocks it stored new (bs_pipe_set_undo), and any
 * failure - the CAR's, the client's going away, the disk's - ends the pipe
 * with abort and deletes them again (bs_undo_run, in cleanup); blocks
 * stored before stay.  The roots are pinned through the pipe too, behind
 * every block.  (It used to spool
 * the whole body and write it in a second pass: an extra copy of every
 * byte, through a file past 32 MiB.)  A crash mid-import leaves the
 * blocks unpinned, and the next GC takes them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../blockstore/pipe.h"
#include "../dag/car.h"
#include "rpc_int.h"

/* The longest the pipe's transaction stays open while blocks come
 * (rpc_add.c's reasons). */
#define BATCH_MAX_MS 1000
#define SOFT_BLOCK_LIMIT (2u << 20)
#define MAX_ROOTS 4096

/* -------------------------------------------------------------- export */

typedef struct exp {
  bs_car_export_t *x;
  dag_cid_t root;
  char *arg; /* CID[/path]: the DAG at the path's end is exported */
} exp_t;

static void exp_free(void *p) {
  exp_t *e = p;
  bs_car_export_free(e->x);
  tr_free(e->arg);
  tr_free(e);
}

/* The root must be here (Kubo's message otherwise).  With fetching, the
 * whole DAG is made local first (BS_FETCH_DAG, then this runs again), so
 * that the CAR streams from a complete DAG: the exporter's walk cannot go
 * on past a missing block, and one fetch for the DAG lets the fetcher ask
 * for many blocks at once where a wait per block would be a round trip
 * each. */
static void exp_check(rpc_job_t *j) {
  exp_t *e = j->state;
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, BS_RDONLY, &txn);
  if (rc) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  /* Kubo exports the DAG at a path's end (cmdutils.PathOrCidPath). */
  if (rpc_job_resolve(j, txn, e->arg, &e->root)) {
    bs_txn_abort(txn);
    return;
  }
  if (j->fetch_on) {
    rc = rpc_job_dag_check(j, txn, &e->root, -1, 0);
    bs_txn_abort(txn);
    if (rc && rc != TR_ENOTFOUND)
      rpc_job_fail(j, 500, "%s", tr_strerror(rc));
  } else {
    rc = bs_has(txn, &e->root);
    bs_txn_abort(txn);
    char s[DAG_CID_STR_MAX], msg[700];
    if (rc == 0)
      rpc_job_fail(j, 500, "%s", rpc_errmsg(TR_ENOTFOUND,
                                            dag_cid_str(&e->root, s), msg,
                                            sizeof msg));
    else if (rc < 0)
      rpc_job_fail(j, 500, "%s", tr_strerror(rc));
  }
  bs_car_export_free(e->x);
  e->x = NULL;
  if (j->status < 400 && (rc = bs_car_export_new(&e->root, &e->x)))
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
}

static int64_t exp_fill(void *state, void *arg, uint8_t *buf, size_t cap) {
  bs_env_t *env = arg;
  exp_t *e = state;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  int64_t n = bs_car_export_read(e->x, txn, buf, cap);
  bs_txn_abort(txn);
  if (n == TR_ENOTFOUND) {
    char s[DAG_CID_STR_MAX];
    tr_log(TR_LOG_WARN, "dag export: block %s is missing",
           dag_cid_str(bs_car_export_missing(e->x), s));
  }
  return n;
}

static void exp_start(rpc_job_t *j) {
  rpc_start(j->req, RPC_STREAM, "application/vnd.ipld.car", -1, -1);
  rpc_job_stream(j, exp_fill);
}

void rpc_cmd_dag_export(http_req_t *req, rpc_ctx_t *ctx) {
  char *arg;
  if (rpc_one_arg(req, "root", &arg))
    return;
  exp_t *e = tr_calloc(1, sizeof *e);
  const char *path;
  char msg[700];
  int rc = e ? rpc_parse_path(arg, &e->root, &path) : -ENOMEM;
  if (rc) {
    rpc_error(req, rc == -ENOMEM ? 500 : 400, "%s",
              rpc_errmsg(rc, arg, msg, sizeof msg));
    tr_free(arg);
    if (e)
      exp_free(e);
    return;
  }
  e->arg = arg;
  (void)rpc_job_run_fetch(req, ctx, exp_check, exp_start, e, exp_free);
}

/* -------------------------------------------------------------- import */

typedef struct imp {
  bool pin_roots, stats, allow_big;
  dag_car_reader_t car;
  bool in_part;
  dag_cid_t *roots;
  size_t nroots, caproots;
  bs_pipe_t *pipe;      /* the writer thread; ended by finish or cleanup */
  bs_undo_t *undo;      /* the blocks this import stored new (the writer's) */
  json_t *pinned;       /* the roots' lines, made by pin_roots */
  uint64_t blocks, bytes;
  int lock;
} imp_t;

static void imp_free(void *p) {
  imp_t *m = p;
  dag_car_reader_free(&m->car);
  tr_free(m->roots);
  bs_undo_free(m->undo);
  json_decref(m->pinned);
  tr_free(m);
}

static int add_root(imp_t *m, const dag_cid_t *c) {
  for (size_t i = 0; i < m->nroots; i++)
    if (dag_cid_equal(&m->roots[i], c))
      return 0;
  if (m->nroots == MAX_ROOTS)
    return TR_ETOOBIG;
  if (m->nroots == m->caproots) {
    size_t cap = m->caproots ? 2 * m->caproots : 4;
    dag_cid_t *r = tr_realloc(m->roots, cap * sizeof *r);
    if (!r)
      return -ENOMEM;
    m->roots = r;
    m->caproots = cap;
  }
  m->roots[m->nroots++] = *c;
  return 0;
}

static int imp_part(rpc_up_t *u, const rpc_mp_part_t *part) {
  (void)part;
  imp_t *m = rpc_up_state(u);
  dag_car_reader_free(&m->car);
  dag_car_reader_init(&m->car, NULL);
  m->in_part = true;
  return 0;
}

static int imp_data(rpc_up_t *u, const uint8_t *p, size_t n) {
  imp_t *m = rpc_up_state(u);
  size_t off = 0;
  char s[DAG_CID_STR_MAX];
  for (;;) {
    dag_car_event_t ev;
    size_t used;
    int rc = dag_car_feed(&m->car, p + off, n - off, &used, &ev);
    off += used;
    if (rc < 0)
      return rpc_up_fail(u, rc, 500, "import failed: %s", tr_strerror(rc));
    if (rc == DAG_CAR_NEED_MORE)
      return 0;
    if (rc == DAG_CAR_ROOT && (rc = add_root(m, &ev.cid)))
      return rpc_up_fail(u, rc, 500, "import failed: too many roots");
    if (rc != DAG_CAR_BLOCK)
      continue;
    if (ev.block_len > (m->allow_big ? BS_MAX_BLOCK : SOFT_BLOCK_LIMIT))
      return rpc_up_fail(u, TR_ETOOBIG, 500,
                         "import failed at block \"%s\": produced block is "
                         "over 2MiB: big blocks can't be exchanged with other "
                         "peers. consider using UnixFS for automatic chunking "
                         "of bigger files, or pass --allow-big-block to "
                         "override", dag_cid_str(&ev.cid, s));
    if ((rc = dag_cid_verify(&ev.cid, ev.block, ev.block_len)))
      return rpc_up_fail(u, rc, 500, "import failed at block \"%s\": %s",
                         dag_cid_str(&ev.cid, s), tr_strerror(rc));
    if ((rc = rpc_up_put(u, m->pipe, &ev.cid, ev.block, ev.block_len)))
      return rpc_up_fail(u, rc, 500, "import: writing blocks: %s",
                         tr_strerror(rc));
    m->blocks++;
    m->bytes += ev.block_len;
  }
}

static int imp_part_end(rpc_up_t *u) {
  imp_t *m = rpc_up_state(u);
  int rc = dag_car_finish(&m->car);
  m->in_part = false;
  if (rc)
    return rpc_up_fail(u, rc, 500, "import failed: %s", tr_strerror(rc));
  return 0;
}

/* The pipe's call (writer thread, behind every block): pin the roots and
 * make their lines into m->pinned.  A root that cannot be pinned is its
 * line's PinErrorMsg, as Kubo's; only a fatal error fails the import. */
static int pin_roots(bs_txn_t *txn, const void *arg, size_t len) {
  imp_t *m = *(imp_t *const *)arg;
  (void)len;
  if (!(m->pinned = json_array()))
    return -ENOMEM;
  char s[DAG_CID_STR_MAX], ms[DAG_CID_STR_MAX], msg[800];
  for (size_t i = 0; i < m->nroots; i++) {
    dag_cid_t missing;
    int e = bs_undo_pin(m->undo, txn, &m->roots[i], NULL, &missing);
    msg[0] = 0;
    if (e == TR_EINCOMPLETE)
      rpc_errmsg(TR_ENOTFOUND, dag_cid_str(&missing, ms), msg, sizeof msg);
    else if (e == TR_ENOTFOUND)
      rpc_errmsg(e, dag_cid_str(&m->roots[i], ms), msg, sizeof msg);
    else if (e && TR_IS_FATAL(e))
      return e;
    else if (e)
      snprintf(msg, sizeof msg, "%s", tr_strerror(e));
    if (json_array_append_new(m->pinned,
                              json_pack("{s:{s:{s:s},s:s}}", "Root", "Cid",
                                        "/", dag_cid_str(&m->roots[i], s),
                                        "PinErrorMsg", msg)))
      return -ENOMEM;
  }
  return 0;
}

static int imp_finish(rpc_up_t *u) {
  imp_t *m = rpc_up_state(u);
  if (m->in_part)
    return rpc_up_fail(u, TR_ETRUNC, 500, "import failed: truncated body");
  int rc = m->pin_roots && m->nroots
               ? bs_pipe_call(m->pipe, pin_roots, &m, sizeof m)
               : 0;
  /* The last commit (with the pins); nothing of ours left pending. */
  int e = bs_pipe_end(m->pipe, rc == 0);
  m->pipe = NULL;
  rc = rc ? rc : e;
  if (rc)
    return rpc_up_fail(u, rc, 500, "import: %s", tr_strerror(rc));
  size_t i;
  json_t *v;
  json_array_foreach(m->pinned, i, v) {
    if ((rc = rpc_up_emit(u, json_incref(v))))
      break;
  }
  if (!rc && m->stats)
    rc = rpc_up_emit(u, json_pack("{s:{s:I,s:I}}", "Stats", "BlockCount",
                                  (json_int_t)m->blocks, "BlockBytesCount",
                                  (json_int_t)m->bytes));
  return rc;
}

static int imp_begin(rpc_up_t *u) {
  imp_t *m = rpc_up_state(u);
  /* Shared gc lock for the whole import: GC must not collect blocks
   * written and not yet pinned (Kubo's PinLock). */
  m->lock = bs_gc_lock_shared(rpc_up_env(u));
  if (m->lock < 0)
    return rpc_up_fail(u, m->lock, 500, "gc lock: %s", tr_strerror(m->lock));
  int rc = bs_undo_new(rpc_up_env(u), &m->undo);
  if (!rc)
    rc = bs_pipe_start(rpc_up_env(u), BATCH_MAX_MS, NULL, NULL, &m->pipe);
  if (rc)
    return rpc_up_fail(u, rc, 500, "import: %s", tr_strerror(rc));
  bs_pipe_set_undo(m->pipe, m->undo);
  return 0;
}

/* The body has stalled: commit what is pending, so that other writers are
 * not kept waiting on this client.  Queued, not waited for: a failed
 * commit fails the import at its next put or at its end. */
static void imp_idle(rpc_up_t *u) {
  imp_t *m = rpc_up_state(u);
  if (m->pipe && bs_pipe_commit(m->pipe) == 0)
    tr_log(TR_LOG_DEBUG, "dag import: the body stalled; committing the batch");
}

/* On failure, take back every block this import stored new: all or
 * nothing (the top of the file). */
static void imp_cleanup(rpc_up_t *u, int rc) {
  imp_t *m = rpc_up_state(u);
  /* Still here only when the import failed (imp_finish ends it): drop
   * what is pending, then take back what earlier commits stored. */
  if (m->pipe && bs_pipe_end(m->pipe, false))
    tr_log(TR_LOG_DEBUG, "dag import: the writer had failed too");
  m->pipe = NULL;
  uint64_t gone = 0;
  int e = rc && m->undo ? bs_undo_run(m->undo, &gone) : 0;
  if (e)
    tr_log(TR_LOG_WARN, "dag import failed and %llu blocks it stored stay "
           "(unpinned: gc removes them): %s",
           (unsigned long long)bs_undo_count(m->undo), tr_strerror(e));
  if (m->lock >= 0)
    bs_gc_unlock(m->lock);
  m->lock = -1;
}

static const rpc_up_cmd_t imp_cmd = {
    .begin = imp_begin,
    .part = imp_part,
    .data = imp_data,
    .part_end = imp_part_end,
    .finish = imp_finish,
    .idle = imp_idle,
    .cleanup = imp_cleanup,
    .free_state = imp_free,
};

void rpc_cmd_dag_import(http_req_t *req, rpc_ctx_t *ctx) {
  imp_t *m = tr_calloc(1, sizeof *m);
  if (!m) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  m->lock = -1;
  dag_car_reader_init(&m->car, NULL);
  if (rpc_opt_bool(req, "pin-roots", true, &m->pin_roots) ||
      rpc_opt_bool(req, "stats", false, &m->stats) ||
      rpc_opt_bool(req, "allow-big-block", false, &m->allow_big)) {
    rpc_error(req, 400, "invalid option value");
    imp_free(m);
    return;
  }
  rpc_upload(req, ctx, &imp_cmd, m);
}

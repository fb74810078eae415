/*
 * rpc_mfs.c — /api/v0/files/... (Kubo's MFS commands; the tree is mfs.c's),
 * with Kubo's parameters and answers:
 *
 *   files/ls     arg=[path] long= U=        {"Entries":[{"Name","Type",
 *                                            "Size","Hash"}]}
 *   files/stat   arg=<path> with-local=     {"Hash","Size","CumulativeSize",
 *                                            "Blocks","Type",...}
 *   files/flush  arg=[path]                 {"Cid"}
 *   files/mkdir  arg=<path> parents= cid-version= hash=
 *   files/cp     arg=<source> arg=<dest> parents= force=
 *   files/mv     arg=<source> arg=<dest>
 *   files/rm     arg=<path>... recursive= force=
 *                                           each failure a JSON string
 *                                           line, then the error
 *   files/chcid  arg=<path> cid-version= hash=
 *   files/chmod  arg=<mode> arg=<path>
 *   files/touch  arg=<path> mtime= mtime-nsecs=
 *   (files/read is rpc_files.c's, beside cat; files/write rpc_mfs_write.c)
 *
 * flush= (Kubo's option of every files command) is accepted: every change
 * is stored whole when it is made (mfs.h), so there is nothing to defer.
 * Sources and `stat` paths may be content paths (/ipfs/...); what the
 * repo lacks is fetched.  Changes take the gc lock shared (a running GC:
 * the job waits for it) and one write transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mfs.h"
#include "rpc_int.h"

typedef struct freq {
  mfs_cmd_t c;
  bool rm_failed; /* rm: j->out holds the failures' lines */
} freq_t;

static void freq_free(void *p) {
  freq_t *r = p;
  rpc_strv_free(r->c.args, r->c.n);
  tr_free(r);
}

/* Content paths through the job's resolver (fetching, Kubo's messages). */
static int job_resolve(mfs_t *m, const char *arg, dag_cid_t *out) {
  rpc_job_t *j = m->ud;
  char p[MFS_PATH_MAX + 8];
  int ns;
  const char *rest = dag_path_rest(arg, &ns);
  snprintf(p, sizeof p, "%s%s", ns == DAG_NS_IPNS ? "/ipns/" : "/ipfs/",
           ns == DAG_NS_NONE ? arg : rest);
  int rc = rpc_job_resolve(j, m->txn, ns == DAG_NS_NONE ? arg : p, out);
  if (rc && !m->err[0])
    snprintf(m->err, sizeof m->err, "%.500s", j->err);
  j->status = 0, j->err[0] = 0; /* the command words the answer */
  return rc;
}

static void f_work(rpc_job_t *j) {
  freq_t *r = j->state;
  bool change = r->c.op >= MFS_MKDIR;
  int lock = -1;
  r->rm_failed = false;
  if (change && (lock = bs_gc_trylock_shared(j->env)) < 0) {
    rpc_job_again(j); /* a GC runs: Kubo's MFS commands wait for it */
    return;
  }
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, change ? 0 : BS_RDONLY, &txn);
  if (rc) {
    bs_gc_unlock(lock);
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  j->txn = txn;
  mfs_t m = {.txn = txn, .resolve = job_resolve, .get = rpc_job_get,
             .ud = j, .dflt = {0, DAG_MH_SHA2_256}};
  tr_bytes_t lines = {0};
  json_t *answer = NULL;
  rc = mfs_run(&m, &r->c, &answer, &lines);
  j->txn = NULL;
  if (change && (rc == 0 || rc == 1)) {
    int crc = bs_txn_commit(txn);
    if (crc)
      rc = crc;
  } else {
    bs_txn_abort(txn);
  }
  bs_gc_unlock(lock);
  char s[DAG_CID_STR_MAX];
  if (rc == TR_ENOTFOUND && j->has_missing) {
    rpc_job_fail(j, 500, "block was not found locally (offline): ipld: "
                 "could not find %s", dag_cid_str(&j->missing, s));
  } else if (rc == 1) {
    tr_bytes_free(&j->out);
    j->out = lines;
    lines = (tr_bytes_t){0};
    r->rm_failed = true;
  } else if (rc) {
    rpc_job_fail(j, 500, "%s", m.err[0] ? m.err : tr_strerror(rc));
  } else {
    j->json = answer;
    answer = NULL;
  }
  json_decref(answer);
  tr_bytes_free(&lines);
}

/* rm's failures: their lines, then the error line and a cut (the way a
 * streamed answer fails here). */
static void f_done(rpc_job_t *j) {
  freq_t *r = j->state;
  if (!r->rm_failed) {
    rpc_job_answer(j);
    return;
  }
  rpc_job_fail(j, 500, "can't remove some files");
  rpc_job_lines_fail(j);
}

/* ------------------------------------------------------------- requests */

static int opts(http_req_t *req, freq_t *r, char *err, size_t n) {
  mfs_cmd_t *c = &r->c;
  int rc = 0;
  switch (c->op) {
  case MFS_LS:
    return rpc_opt_bool(req, "long", false, &c->flag);
  case MFS_STAT:
    return rpc_opt_bool(req, "with-local", false, &c->flag);
  case MFS_CP:
    if (!(rc = rpc_opt_bool(req, "parents", false, &c->flag)))
      rc = rpc_opt_bool(req, "force", false, &c->force);
    return rc;
  case MFS_RM:
    if (!(rc = rpc_opt_bool(req, "recursive", false, &c->flag)))
      rc = rpc_opt_bool(req, "force", false, &c->force);
    return rc;
  case MFS_MKDIR:
    if ((rc = rpc_opt_bool(req, "parents", false, &c->flag)))
      return rc;
    /* fall through */
  case MFS_CHCID: {
    int64_t v;
    char *hash = NULL;
    if (!(rc = rpc_opt_i64(req, "cid-version", -1, &v)) &&
        !(rc = rpc_opt_str(req, "hash", &hash)))
      rc = mfs_cmd_prefix(c, v, hash, err, n);
    tr_free(hash);
    return rc;
  }
  case MFS_CHMOD:
    return c->n == 2 ? mfs_cmd_mode(c, c->args[0], err, n) : 0;
  case MFS_TOUCH: {
    int64_t ns = 0;
    if (!(rc = rpc_opt_i64(req, "mtime", 0, &c->sec)))
      rc = rpc_opt_i64(req, "mtime-nsecs", 0, &ns);
    if (!rc && (ns < 0 || ns > 999999999))
      rc = TR_EUSAGE;
    c->nsec = (uint32_t)ns;
    if (!rc && !c->sec) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      c->sec = ts.tv_sec;
      c->nsec = (uint32_t)ts.tv_nsec;
    }
    return rc;
  }
  default:
    return 0;
  }
}

static void files_cmd(http_req_t *req, rpc_ctx_t *ctx, mfs_op_t op,
                      size_t min, size_t max, const char *what) {
  freq_t *r = tr_calloc(1, sizeof *r);
  if (!r) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  r->c.op = op;
  char err[256] = "";
  bool flush = true;
  int rc = rpc_args(req, "arg", &r->c.args, &r->c.n);
  if (!rc)
    rc = rpc_opt_bool(req, "flush", true, &flush);
  if (!rc && r->c.n < min)
    rpc_error(req, 400, "argument \"%s\" is required", what);
  else if (!rc && r->c.n > max)
    rpc_error(req, 400, "expected %zu argument(s), got %zu", max, r->c.n);
  else if (!rc && op == MFS_RM && !flush)
    rpc_error(req, 500, "files rm always flushes for safety. The --flush "
              "flag cannot be set to false for this command");
  else if (!rc && (rc = opts(req, r, err, sizeof err)))
    rpc_error(req, err[0] ? 500 : 400, "%s",
              err[0] ? err : "invalid option value");
  else if (rc)
    rpc_error(req, 400, "invalid argument: %s", tr_strerror(rc));
  else {
    (void)rpc_job_run_fetch(req, ctx, f_work, op == MFS_RM ? f_done : NULL,
                            r, freq_free);
    return;
  }
  freq_free(r);
}

void rpc_cmd_files_ls(http_req_t *req, rpc_ctx_t *ctx) {
  files_cmd(req, ctx, MFS_LS, 0, 1, "path");
}
void rpc_cmd_files_stat(http_req_t *req, rpc_ctx_t *ctx) {
  files_cmd(req, ctx, MFS_STAT, 1, 1, "path");
}
void rpc_cmd_files_flush(http_req_t *req, rpc_ctx_t *ctx) {
  files_cmd(req, ctx, MFS_FLUSH, 0, 1, "path");
}
void rpc_cmd_files_mkdir(http_req_t *req, rpc_ctx_t *ctx) {
  files_cmd(req, ctx, MFS_MKDIR, 1, 1, "path");
}
void rpc_cmd_files_cp(http_req_t *req, rpc_ctx_t *ctx) {
  files_cmd(req, ctx, MFS_CP, 2, 2, "source");
}
void rpc_cmd_files_mv(http_req_t *req, rpc_ctx_t *ctx) {
  files_cmd(req, ctx, MFS_MV, 2, 2, "source");
}
void rpc_cmd_files_rm(http_req_t *req, rpc_ctx_t *ctx) {
  files_cmd(req, ctx, MFS_RM, 1, SIZE_MAX, "path");
}
void rpc_cmd_files_chcid(http_req_t *req, rpc_ctx_t *ctx) {
  files_cmd(req, ctx, MFS_CHCID, 1, 1, "path");
}
void rpc_cmd_files_chmod(http_req_t *req, rpc_ctx_t *ctx) {
  files_cmd(req, ctx, MFS_CHMOD, 2, 2, "mode");
}
void rpc_cmd_files_touch(http_req_t *req, rpc_ctx_t *ctx) {
  files_cmd(req, ctx, MFS_TOUCH, 1, 1, "path");
}

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
 *                                           line, then the X-Stream-Error
 *                                           trailer
 *   files/write  arg=<path> offset= count= create= parents= truncate=
 *                raw-leaves= cid-version= hash=, the data as a multipart
 *                file (below)
 *   files/chcid  arg=<path> cid-version= hash=
 *   files/chmod  arg=<mode> arg=<path>
 *   files/touch  arg=<path> mtime= mtime-nsecs=
 *   (files/read is rpc_files.c's, beside cat)
 *
 * flush= (Kubo's option of every files command) is accepted: every change
 * is stored whole when it is made (mfs.h), so there is nothing to defer.
 * Sources and `stat` paths may be content paths (/ipfs/...); what the
 * repo lacks is fetched.  Changes take the gc lock shared (a running GC:
 * the job waits for it) and one write transaction.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
             .ud = j};
  mfs_import_prefix(j->ctx->repo, &m.dflt);
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
    if (!rc && (ns < 0 || ns > UINT32_MAX))
      rc = TR_EUSAGE;
    if (!rc)
      mfs_cmd_touch_time(c, c->sec, ns);
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
  /* Kubo names the first argument missing: cp's "dest" when only the
   * source came. */
  if (!rc && r->c.n < min)
    rpc_error(req, 400, "argument \"%s\" is required",
              r->c.n == 1 ? (op == MFS_CHMOD ? "path" : "dest") : what);
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

/* ---------------------------------------------------------------- write */

/* files/write: the body's first part is spooled to an unnamed file in the
 * repo's directory as it arrives, then written into MFS in one write
 * transaction: a slow client never holds the repo's write lock.  Blocks
 * the file lacks are not fetched here (the error names the missing one). */
typedef struct fw {
  mfs_write_t w;
  char *path;
  int spool;
  int parts;
} fw_t;

static void fw_free(void *p) {
  fw_t *f = p;
  tr_free(f->path);
  tr_free(f);
}

static int fw_begin(rpc_up_t *u) {
  fw_t *f = rpc_up_state(u);
  f->spool = open(bs_path(rpc_up_env(u)), O_TMPFILE | O_RDWR | O_CLOEXEC,
                  0600);
  if (f->spool < 0)
    return rpc_up_fail(u, -errno, 500, "spool: %s", strerror(errno));
  return 0;
}

static int fw_part(rpc_up_t *u, const rpc_mp_part_t *part) {
  (void)part;
  ((fw_t *)rpc_up_state(u))->parts++;
  return 0;
}

static int fw_data(rpc_up_t *u, const uint8_t *p, size_t n) {
  fw_t *f = rpc_up_state(u);
  if (f->parts != 1)
    return 0; /* Kubo reads the first file only */
  while (n) {
    ssize_t w = write(f->spool, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return rpc_up_fail(u, -errno, 500, "spool: %s", strerror(errno));
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int fw_finish(rpc_up_t *u) {
  fw_t *f = rpc_up_state(u);
  bs_env_t *env = rpc_up_env(u);
  if (!f->parts)
    return rpc_up_fail(u, TR_EUSAGE, 400, "file argument 'data' is "
                       "required");
  if (lseek(f->spool, 0, SEEK_SET) < 0)
    return rpc_up_fail(u, -errno, 500, "spool: %s", strerror(errno));
  int lock = bs_gc_lock_shared(env);
  if (lock < 0)
    return rpc_up_fail(u, lock, 500, "gc lock: %s", tr_strerror(lock));
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, 0, &txn);
  mfs_t m = {.txn = txn};
  mfs_import_prefix(rpc_up_ctx(u)->repo, &m.dflt);
  if (!rc) {
    rc = mfs_write_fd(&m, &f->w, f->spool);
    if (!rc)
      rc = bs_txn_commit(txn);
    else
      bs_txn_abort(txn);
  }
  bs_gc_unlock(lock);
  if (rc)
    return rpc_up_fail(u, rc, 500, "%s", m.err[0] ? m.err : tr_strerror(rc));
  return 0;
}

static void fw_cleanup(rpc_up_t *u, int rc) {
  (void)rc;
  fw_t *f = rpc_up_state(u);
  if (f->spool >= 0)
    close(f->spool);
  f->spool = -1;
}

static const rpc_up_cmd_t fw_cmd = {
    .begin = fw_begin,
    .part = fw_part,
    .data = fw_data,
    .finish = fw_finish,
    .cleanup = fw_cleanup,
    .free_state = fw_free,
};

void rpc_cmd_files_write(http_req_t *req, rpc_ctx_t *ctx) {
  fw_t *f = tr_calloc(1, sizeof *f);
  if (!f) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  f->spool = -1;
  mfs_write_t *w = &f->w;
  mfs_cmd_t c = {0};
  char err[256] = "", *raw = NULL, *hash = NULL;
  int64_t v = -1;
  int rc = rpc_one_arg(req, "path", &f->path);
  if (rc)
    goto fail; /* answered */
  w->path = f->path;
  if (!(rc = rpc_opt_i64(req, "offset", 0, &w->offset)) &&
      !(rc = rpc_opt_i64(req, "count", -1, &w->count)) &&
      !(rc = rpc_opt_bool(req, "create", false, &w->create)) &&
      !(rc = rpc_opt_bool(req, "parents", false, &w->parents)) &&
      !(rc = rpc_opt_bool(req, "truncate", false, &w->truncate)) &&
      !(rc = rpc_opt_str(req, "raw-leaves", &raw)) &&
      !(rc = rpc_opt_i64(req, "cid-version", -1, &v)) &&
      !(rc = rpc_opt_str(req, "hash", &hash)))
    rc = mfs_cmd_prefix(&c, v, hash, err, sizeof err);
  w->raw_leaves = -1;
  if (!rc && raw) {
    bool b;
    if (!(rc = rpc_opt_bool(req, "raw-leaves", false, &b)))
      w->raw_leaves = b;
  }
  w->has_pfx = c.has_pfx;
  w->pfx = c.pfx;
  if (rc) {
    rpc_error(req, err[0] ? 500 : 400, "%s",
              err[0] ? err : "invalid option value");
  } else if (w->offset < 0) {
    rpc_error(req, 500, "cannot have negative write offset");
  } else if (w->count < -1 ||
             (w->count < 0 && strstr(http_req_query(req), "count=-"))) {
    rpc_error(req, 500, "cannot have negative byte count");
  } else {
    tr_free(raw);
    tr_free(hash);
    rpc_upload(req, ctx, &fw_cmd, f);
    return;
  }
fail:
  tr_free(raw);
  tr_free(hash);
  fw_free(f);
}

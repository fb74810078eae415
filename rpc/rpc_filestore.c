/*
 * rpc_filestore.c — Kubo 0.43's filestore commands of the API:
 *
 *   filestore/ls      arg=<cid>... file-order=        NDJSON ListRes
 *   filestore/verify  arg=<cid>... file-order= remove-bad-blocks=
 *   filestore/dups    cid-base=                       NDJSON {"Ref","Err"}
 *
 * A ListRes is {"Status","ErrorMsg","Key":{"/":cid}|null,"FilePath",
 * "Offset","Size"} (fs_list.h); its Key is always base32, as go-cid
 * marshals it: Kubo's --cid-base applies to ls and verify in its CLI
 * alone, and to dups' Ref on the server.  Without
 * Experimental.FilestoreEnabled (or UrlstoreEnabled) each answers Kubo's
 * 500 "filestore is not enabled, see https://git.io/vNItf".
 *
 * The answer streams (http/stream.h): every fill runs on the pool and
 * takes the next values of the listing, which opens its own short
 * transactions (fs_list.c).  The first fill checks the config and, for a
 * listing of all references, collects them, so that a refusal or a store
 * that cannot be read still gets an error status (the head callback).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fs_list.h"
#include "rpc_int.h"

typedef struct fsreq {
  rpc_fsl_opts_t o;
  rpc_fsl_t *l;
  char **args;
  size_t n;
  char *repo;   /* the config is read by the first fill, on the pool */
  char base;    /* dups: --cid-base (0: base32) */
  bool started, done;
  int pending;  /* an error to return once the lines before it are out */
  char *held;   /* a line that did not fit the last piece */
  rpc_fsl_res_t res; /* large (a path and a message): kept off the stack */
} fsreq_t;

static void fsreq_free(void *p) {
  fsreq_t *f = p;
  rpc_fsl_free(f->l);
  rpc_strv_free(f->args, f->n);
  tr_free(f->repo);
  free(f->held);
  tr_free(f);
}

/* One value as a JSON line (malloc'd, newline included); NULL: -ENOMEM. */
static char *value_line(const fsreq_t *f) {
  json_t *o;
  if (f->o.mode == RPC_FSL_DUPS) {
    char s[DAG_CID_STR_MAX];
    if (dag_cid_format(&f->res.key, f->base, s, sizeof s) < 0)
      dag_cid_str(&f->res.key, s);
    o = json_pack("{s:s,s:s}", "Ref", s, "Err", "");
  } else {
    o = rpc_fsl_json(&f->res);
  }
  char *s = o ? rpc_json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!s)
    return NULL;
  size_t n = strlen(s);
  char *line = realloc(s, n + 2);
  if (!line) {
    free(s);
    return NULL;
  }
  memcpy(line + n, "\n", 2);
  return line;
}

/* Copy line into buf at *n if it fits (then freed), else keep it. */
static bool put(fsreq_t *f, char *line, uint8_t *buf, size_t *n, size_t cap) {
  size_t len = strlen(line);
  if (len > cap - *n) {
    f->held = line;
    return false;
  }
  memcpy(buf + *n, line, len);
  *n += len;
  free(line);
  return true;
}

static int64_t fs_fill(void *state, void *arg, uint8_t *buf, size_t cap) {
  fsreq_t *f = state;
  size_t n = 0;
  if (!f->started) {
    f->started = true;
    if (!rpc_fsl_enabled(f->repo, &f->o.allow_files))
      return TR_EFSOFF;
    int rc = rpc_fsl_new(arg, &f->o, &f->l);
    if (rc)
      return rc;
  }
  if (f->held) {
    char *line = f->held;
    f->held = NULL;
    if (!put(f, line, buf, &n, cap)) /* cannot happen: a line < a piece */
      return -E2BIG;
  }
  if (f->pending)
    return n ? (int64_t)n : f->pending;
  while (!f->done && !f->held) {
    int rc = rpc_fsl_next(f->l, &f->res);
    if (rc < 0) { /* the lines so far, then the error */
      if (!n)
        return rc;
      f->pending = rc;
      break;
    }
    if (rc == 0) {
      f->done = true;
      break;
    }
    char *line = value_line(f);
    if (!line)
      return -ENOMEM;
    put(f, line, buf, &n, cap);
  }
  return (int64_t)n;
}

static int fs_head(http_req_t *req, void *state, int64_t first) {
  (void)state;
  if (first == TR_EFSOFF) {
    rpc_error(req, 500, "%s", RPC_FSL_OFF_MSG);
    return 1;
  }
  if (first < 0) {
    rpc_error(req, 500, "%s", tr_strerror((int)first));
    return 1;
  }
  rpc_start(req, RPC_CHUNKED, NULL, -1, -1);
  return 0;
}

static void fs_run(http_req_t *req, rpc_ctx_t *ctx, const char *cmd,
                   int mode) {
  fsreq_t *f = tr_calloc(1, sizeof *f);
  rpc_vals_t v = {0};
  char err[512];
  if (!f) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  f->o.mode = mode;
  if (rpc_vals_req(&v, rpc_cmddef_api(cmd), req, err, sizeof err)) {
    rpc_error(req, 400, "%s", err);
    goto out;
  }
  if (rpc_args(req, "arg", &f->args, &f->n)) {
    rpc_error(req, 400, "invalid argument");
    goto out;
  }
  if (mode == RPC_FSL_DUPS) {
    const char *b = rpc_vals_str(&v, "cid-base");
    if (b && *b && dag_mb_from_name(b, &f->base)) {
      rpc_error(req, 500, "unsupported multibase encoding: %s", b);
      goto out;
    }
    rpc_strv_free(f->args, f->n); /* dups takes none (Kubo ignores them) */
    f->args = NULL, f->n = 0;
  } else {
    f->o.file_order = rpc_vals_bool(&v, "file-order");
    if (mode == RPC_FSL_VERIFY)
      f->o.remove_bad = rpc_vals_bool(&v, "remove-bad-blocks");
  }
  f->o.args = f->args;
  f->o.nargs = f->n;
  if (ctx->repo && !(f->repo = tr_strdup(ctx->repo))) {
    rpc_error(req, 500, "out of memory");
    goto out;
  }
  rpc_vals_free(&v);
  (void)http_stream_start_head(req, ctx->env, fs_fill, fsreq_free, f,
                               fs_head);
  return;
out:
  rpc_vals_free(&v);
  fsreq_free(f);
}

void rpc_cmd_filestore_ls(http_req_t *req, rpc_ctx_t *ctx) {
  fs_run(req, ctx, "filestore/ls", RPC_FSL_LS);
}

void rpc_cmd_filestore_verify(http_req_t *req, rpc_ctx_t *ctx) {
  fs_run(req, ctx, "filestore/verify", RPC_FSL_VERIFY);
}

void rpc_cmd_filestore_dups(http_req_t *req, rpc_ctx_t *ctx) {
  fs_run(req, ctx, "filestore/dups", RPC_FSL_DUPS);
}

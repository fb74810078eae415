/*
 * gw_tar.c — ?format=tar and Accept: application/x-tar: the UnixFS file or
 * directory tree at the content path as a tar stream (dag/tar.h, the
 * writer `trove get` uses), its top entry named after the CID (or the
 * path's last name), streamed piece by piece with the gateway's wait hook
 * for blocks the repo lacks.
 *
 * Names may hold "/" and ".." (DAG_TAR_CLEAN) while the path stays inside
 * the archive; a DAG with a name that would escape it is refused
 * before the answer starts when its directories can be read within the
 * loop's budget (a 500, as boxo); past that budget, or with directories
 * still to fetch, the stream is cut short where the name is met instead
 * (the only way left once the status is out).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gw_int.h"
#include "../dag/importer.h"
#include "../dag/tar.h"

typedef struct tar_state {
  gw_miss_t miss; /* first: the wait hook's view (gw_int.h) */
  dag_tar_t *tar;
} tar_state_t;

static int64_t fill_tar(void *st, void *arg, uint8_t *buf, size_t cap) {
  bs_env_t *env = arg;
  tar_state_t *s = st;
  gw_budget_t b = {.left = GW_PIECE_BUDGET(cap)};
  int rc = bs_txn_begin(env, BS_RDONLY, &b.txn);
  if (rc)
    return rc;
  int64_t n = dag_tar_read(s->tar, gw__budget_get, &b, buf, cap);
  bs_txn_abort(b.txn);
  if (n == TR_ENOTFOUND)
    gw__miss_note(&s->miss, &b); /* the walk resumes at that block */
  return n;
}

static void free_tar(void *st) {
  tar_state_t *s = st;
  dag_tar_free(s->tar);
  tr_free(s);
}

void gw__serve_tar(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t) {
  char s[DAG_CID_STR_MAX], etag[DAG_CID_STR_MAX + 16], cd[1600], fname[512];
  dag_cid_str(&t->cid, s);
  /* Weak: the bytes depend on the writer (mtimes), not on the CID alone. */
  snprintf(etag, sizeof etag, "W/\"%s.x-tar\"", s);
  if (gw__not_modified(req, t, etag)) {
    gw__target_free(t);
    return;
  }
  if (t->rc > 0) {
    gw_error(req, 501, "%s is not UnixFS: no TAR of it", s);
    gw__target_free(t);
    return;
  }
  gw_budget_t b = {.left = GW_INLINE_BUDGET};
  int rc = bs_txn_begin(ctx->env, BS_RDONLY, &b.txn);
  if (rc == 0) {
    rc = dag_tar_check(&t->cid, DAG_TAR_CLEAN, gw__budget_get, &b);
    bs_txn_abort(b.txn);
  }
  if (rc == TR_EUNSAFE || (rc && !b.over && !b.miss)) {
    gw_error(req, 500, "%s: cannot make a TAR of it: %s", s, tr_strerror(rc));
    gw__target_free(t);
    return;
  }
  const char *base = t->last_name[0] && dag_name_ok(t->last_name, strlen(t->last_name))
                         ? t->last_name
                         : s;
  tar_state_t *st = tr_calloc(1, sizeof *st);
  if (!st || !(st->tar = dag_tar_new(&t->cid, base, (int64_t)time(NULL), DAG_TAR_CLEAN))) {
    tr_free(st);
    gw__target_free(t);
    gw_error(req, 500, "out of memory");
    return;
  }
  if (http_query_get(http_req_query(req), "filename", fname, sizeof fname) &&
      fname[0])
    gw__content_disposition(cd, sizeof cd, "attachment", fname);
  else {
    char dn[600];
    snprintf(dn, sizeof dn, "%.500s.tar", base);
    gw__content_disposition(cd, sizeof cd, "attachment", dn);
  }
  http_header_t h[16] = {{"Content-Type", "application/x-tar"},
                         {"Content-Disposition", cd},
                         {"X-Content-Type-Options", "nosniff"},
                         {"Vary", "Accept"}};
  size_t n = 4;
  int64_t mod; /* an /ipns/ path's, as boxo's TAR answers */
  char lastmod[40];
  if (gw__modtime(t, false, &mod, lastmod))
    h[n++] = (http_header_t){"Last-Modified", lastmod};
  n = gw__std_headers(t, etag, h, n);
  http_res_start(req, 200, h, n, -1);
  if (!strcmp(http_req_method(req), "HEAD")) {
    free_tar(st);
    gw__target_free(t);
    http_res_end(req);
    return;
  }
  gw__miss_init(&st->miss, ctx, &t->cid);
  gw__target_free(t);
  http_stream_opts_t o = gw__stream_opts(ctx, 0);
  http_stream_start_opts(req, ctx->env, fill_tar, free_tar, st, &o);
}

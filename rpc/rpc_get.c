/*
 * rpc_get.c — /api/v0/get: a UnixFS file, directory tree or symlink as a
 * tar stream, which is what Kubo sends (with archive=false as well: tar is
 * its transport format, and the ipfs CLI unpacks it).
 *
 *   get arg=<path> [archive=] [compress=] [compression-level=1..9]
 *     -> application/x-tar, X-Stream-Output, X-Content-Length (the DAG's
 *        size); with compress, application/gzip: the tar gzipped, or a
 *        file's bytes when archive is false (a directory is then refused,
 *        as Kubo refuses it: "file is not regular")
 *
 * The tar itself (boxo's TarWriter layout, names checked) is dag/tar.h's.
 *
 * Produced piece by piece on the pool (http/stream.h), each piece in its
 * own read transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../common/gz.h"
#include "../dag/importer.h"
#include "../dag/tar.h"
#include "rpc_int.h"

typedef struct get {
  char *arg;
  dag_cid_t root;
  char *base;      /* name of the root entry in the tar */
  dag_tar_t *tar;  /* made once the root is known */
  uint64_t total;  /* X-Content-Length */
  /* compress: gzip over the tar, or over the file's bytes (raw) */
  bool gz, raw, ended;
  int level;
  tr_gz_t z;
  uint64_t pos;    /* raw: the next byte of the file */
  tr_bytes_t pend; /* compressed, not yet sent */
  tr_bytes_t tmp;  /* what is compressed next */
} get_t;

static void get_free(void *p) {
  get_t *g = p;
  tr_gz_free(&g->z);
  tr_bytes_free(&g->pend);
  tr_bytes_free(&g->tmp);
  dag_tar_free(g->tar);
  tr_free(g->arg);
  tr_free(g->base);
  tr_free(g);
}

static int take(const uint8_t *p, size_t n, void *ud) {
  return tr_bytes_append(ud, p, n);
}

/* Up to cap bytes of what is compressed (the tar, or the file from pos). */
static int64_t plain_read(get_t *g, bs_txn_t *txn, uint8_t *buf,
                          size_t cap) {
  if (!g->raw)
    return dag_tar_read(g->tar, bs_get_cb, txn, buf, cap);
  if (g->pos >= g->total)
    return 0;
  g->tmp.len = 0;
  int rc = dag_cat(&g->root, g->pos, cap, bs_get_cb, txn, take, &g->tmp);
  if (rc)
    return rc;
  memcpy(buf, g->tmp.data, g->tmp.len);
  g->pos += g->tmp.len;
  return (int64_t)g->tmp.len;
}

/* The gzip stream, cap bytes at a time. */
static int64_t gz_read(get_t *g, bs_txn_t *txn, uint8_t *buf, size_t cap) {
  while (g->pend.len < cap && !g->ended) {
    int64_t n = plain_read(g, txn, buf, cap); /* buf as scratch */
    if (n < 0)
      return n;
    int rc = tr_gz_put(&g->z, buf, (size_t)n, n == 0, &g->pend);
    if (rc)
      return rc;
    g->ended = n == 0;
  }
  size_t k = g->pend.len < cap ? g->pend.len : cap;
  memcpy(buf, g->pend.data, k);
  memmove(g->pend.data, g->pend.data + k, g->pend.len - k);
  g->pend.len -= k;
  return (int64_t)k;
}

static int64_t get_fill(void *state, void *arg, uint8_t *buf, size_t cap) {
  bs_env_t *env = arg;
  get_t *g = state;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  int64_t n = g->gz ? gz_read(g, txn, buf, cap)
                    : dag_tar_read(g->tar, bs_get_cb, txn, buf, cap);
  bs_txn_abort(txn);
  if (n < 0) {
    char s[DAG_CID_STR_MAX];
    tr_log(TR_LOG_WARN, "get %s: tar cut short: %s", dag_cid_str(&g->root, s),
           tr_strerror((int)n));
  }
  return n;
}

/* --------------------------------------------------------------- start */

static int sum_tsize(const dag_pb_link_t *lk, size_t i, void *ud) {
  (void)i;
  *(uint64_t *)ud += lk->tsize;
  return 0;
}

static void get_prepare(rpc_job_t *j) {
  get_t *g = j->state;
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, BS_RDONLY, &txn);
  if (rc) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  const char *path;
  dag_cid_t c;
  char msg[700];
  /* With fetching (rpc_job_run_fetch): the path, then the whole DAG under
   * it in one BS_FETCH_DAG, this running again after each fetch; the tar
   * then streams from a complete DAG (as dag export does). */
  j->txn = txn;
  rc = rpc_parse_path(g->arg, &c, &path);
  if (!rc) {
    j->hint = c;
    rc = *path ? dag_resolve(&c, path, strlen(path), rpc_job_get, j, &g->root)
               : (g->root = c, 0);
  }
  if (rc == TR_EPATH) { /* Kubo names the segment and where it looked */
    rpc_resolve_miss(g->arg, rpc_job_get, j, msg, sizeof msg);
    bs_txn_abort(txn);
    rpc_job_fail(j, rpc_status_for(rc), "%s", msg);
    return;
  }
  if (!rc && j->fetch_on &&
      (rc = rpc_job_dag_check(j, txn, &g->root, -1, 0)) == TR_ENOTFOUND) {
    bs_txn_abort(txn);
    return; /* failed, with the DAG to fetch noted */
  }
  dag_node_info_t info;
  if (!rc)
    rc = dag_stat(&g->root, rpc_job_get, j, &info);
  if (!rc) {
    if (info.kind == DAG_NODE_FILE) {
      g->total = info.size;
    } else {
      /* A directory's size, as Kubo reports it: its cumulative size. */
      const uint8_t *data;
      size_t len;
      g->total = 0;
      dag_pb_node_t node;
      if (rpc_job_get(&g->root, &data, &len, j) == 0 &&
          dag_pb_decode(data, len, sum_tsize, &g->total, &node) == 0)
        g->total += len;
    }
  }
  bs_txn_abort(txn);
  if (!rc && g->raw && info.kind != DAG_NODE_FILE) {
    rpc_job_fail(j, 500, "file is not regular");
    return;
  }
  if (!rc && g->gz) {
    tr_gz_free(&g->z); /* from a try before a fetch */
    rc = tr_gz_init(&g->z, g->level);
  }
  if (!rc) {
    dag_tar_free(g->tar); /* from a try before a fetch */
    if (!(g->tar = dag_tar_new(&g->root, g->base, (int64_t)time(NULL), 0)))
      rc = -ENOMEM;
  }
  if (rc)
    rpc_job_fail(j, rpc_status_for(rc), "%s",
                 rpc_errmsg(rc, g->arg, msg, sizeof msg));
}

static void get_start(rpc_job_t *j) {
  get_t *g = j->state;
  rpc_start(j->req, RPC_STREAM, g->gz ? "application/gzip"
                                      : "application/x-tar",
            -1, (int64_t)g->total);
  rpc_job_stream(j, get_fill);
}

void rpc_cmd_get(http_req_t *req, rpc_ctx_t *ctx) {
  get_t *g = tr_calloc(1, sizeof *g);
  bool archive = false;
  int64_t level = -1;
  if (!g) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  if (rpc_opt_bool(req, "compress", false, &g->gz) ||
      rpc_opt_bool(req, "archive", false, &archive) ||
      rpc_opt_i64(req, "compression-level", -1, &level)) {
    rpc_error(req, 400, "invalid value for compress, archive or "
              "compression-level");
    get_free(g);
    return;
  }
  /* Kubo's getCompressOptions: a level counts only with compress */
  if (g->gz && level != -1 && (level < 1 || level > 9)) {
    rpc_error(req, 500, "compression level must be between 1 and 9");
    get_free(g);
    return;
  }
  g->level = (int)level;
  g->raw = g->gz && !archive;
  if (rpc_one_arg(req, "ipfs-path", &g->arg)) {
    get_free(g);
    return;
  }
  /* The tar's top entry is named after the last element of the path. */
  const char *a = g->arg;
  size_t len = strlen(a);
  while (len && a[len - 1] == '/')
    len--;
  size_t start = len;
  while (start && a[start - 1] != '/')
    start--;
  if (!(g->base = tr_strndup(a + start, len - start)) || !*g->base ||
      !dag_name_ok(g->base, strlen(g->base))) {
    rpc_error(req, 400, "invalid path \"%s\"", g->arg);
    get_free(g);
    return;
  }
  (void)rpc_job_run_fetch(req, ctx, get_prepare, get_start, g, get_free);
}

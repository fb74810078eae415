/*
 * gateway.c — the IPFS HTTP gateway's front: request checks, /ipfs/ path
 * parsing and resolution, response format selection (UnixFS, raw, CAR),
 * caching headers, and the protocol-handler redirect.  Bodies are served by
 * gw_file.c, gw_dir.c and gw_car.c.
 *
 * Status codes follow the path- and trustless-gateway specs: 400 for a bad
 * CID, path or parameter; 404 when the content path names nothing; 405 for
 * methods other than GET/HEAD/OPTIONS; 406 for an Accept no format matches;
 * 412 for a failed If-Match; 416 for unsatisfiable ranges (gw_file.c); 501
 * for /ipns/ names that are not keys (DNSLink: no DNS) and 404 for a key
 * with no valid record on the DHTs (gw_ipns.c); 504 when a block is not in
 * the repo (with no bitswap yet, the gateway cannot retrieve it).
 *
 * Path resolution, the index.html lookup and type sniffing run on the loop
 * thread while they read little (GW_INLINE_BUDGET), which is what almost
 * every request needs, and start again in the worker pool when they read
 * more (big directories on the path), within GW_WORK_BUDGET; bodies of
 * more than one small block are produced in the worker pool (stream.h).
 * So no request's content can stall the loop, and none can hold a worker
 * for long.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gw_int.h"

/* ------------------------------------------------------------ formats */

/* The response format: ?format= wins over Accept, as the spec says. */
static int pick_format(http_req_t *req, int *fmt) {
  char f[32];
  if (http_query_get(http_req_query(req), "format", f, sizeof f)) {
    if (!strcmp(f, "raw"))
      *fmt = GW_FMT_RAW;
    else if (!strcmp(f, "car"))
      *fmt = GW_FMT_CAR;
    else {
      gw_error(req, 400, "unsupported format \"%s\"", f);
      return -1;
    }
    return 0;
  }
  *fmt = GW_FMT_UNIXFS;
  const char *acc = http_req_header(req, "accept");
  if (!acc)
    return 0;
  /* The first IPLD type listed that we serve wins; q-values are honoured
   * only as "q=0 means no". */
  bool other_ipld = false;
  for (const char *p = acc; *p;) {
    while (*p == ' ' || *p == ',')
      p++;
    size_t n = strcspn(p, ",");
    char item[256];
    snprintf(item, sizeof item, "%.*s", (int)(n < 255 ? n : 255), p);
    p += n;
    if (strstr(item, "q=0") && !strstr(item, "q=0."))
      continue;
    if (!strncmp(item, "application/vnd.ipld.raw", 24)) {
      *fmt = GW_FMT_RAW;
      return 0;
    }
    if (!strncmp(item, "application/vnd.ipld.car", 24)) {
      if (strstr(item, "version=2")) {
        other_ipld = true;
        continue;
      }
      *fmt = GW_FMT_CAR;
      return 0;
    }
    if (!strncmp(item, "application/vnd.ipld.", 21) ||
        !strncmp(item, "application/vnd.ipfs.", 21))
      other_ipld = true;
    else if (!strncmp(item, "*/*", 3) || !strncmp(item, "text/", 5) ||
             !strncmp(item, "image/", 6) || !strncmp(item, "application/", 12) ||
             !strncmp(item, "video/", 6) || !strncmp(item, "audio/", 6))
      return 0;
  }
  if (other_ipld) {
    gw_error(req, 406, "none of the requested formats is supported");
    return -1;
  }
  return 0;
}

/* --------------------------------------------------------- resolution */

static void answer_dag_error(http_req_t *req, const gw_target_t *t) {
  char s[DAG_CID_STR_MAX];
  dag_cid_str(&t->err_at, s);
  int rc = t->rc;
  const char *name = t->err_name;
  if (t->budget_over)
    gw_error(req, 504, "%s: resolving this path reads more blocks than a "
             "request may", s);
  else if (rc == TR_ENOTFOUND)
    gw_error(req, 504, "block %s is not in this node's repo", s);
  else if (rc == TR_EPATH)
    gw_error(req, 404, "no link named \"%.200s\" under %s", name, s);
  else if (rc == TR_ENOTDIR)
    gw_error(req, 404, "%s is not a directory, cannot resolve \"%.200s\"", s,
             name);
  else if (rc == TR_ECODEC)
    gw_error(req, 501, "%s: codec not supported for UnixFS paths", s);
  else
    gw_error(req, 502, "%s: %s", s, tr_strerror(rc));
}

/* Resolve the names below t->root, one segment at a time so that each
 * step's CID is known (X-Ipfs-Roots, CAR path blocks). */
static int resolve(gw_target_t *t, gw_budget_t *b) {
  dag_cid_t cur = t->root;
  char s[DAG_CID_STR_MAX];
  size_t hl = (size_t)snprintf(t->roots_hdr, sizeof t->roots_hdr, "%s",
                               dag_cid_str(&cur, s));
  bool full = false;
  t->npath = 0;
  for (size_t i = 1; i < t->nseg; i++) {
    dag_cid_t next;
    int rc = dag_resolve(&cur, t->segs[i], strlen(t->segs[i]), gw__budget_get,
                         b, &next);
    if (rc) {
      t->err_at = cur;
      t->err_name = t->segs[i];
      return rc;
    }
    t->path_cids[t->npath++] = cur;
    cur = next;
    /* As many CIDs as fit, never part of one. */
    size_t l = strlen(dag_cid_str(&cur, s));
    if (!full && hl + l + 2 <= sizeof t->roots_hdr) {
      t->roots_hdr[hl++] = ',';
      memcpy(t->roots_hdr + hl, s, l + 1);
      hl += l;
    } else
      full = true;
  }
  t->cid = cur;
  t->err_at = cur;
  t->err_name = "";
  int rc = dag_stat(&cur, gw__budget_get, b, &t->info);
  if (rc == TR_ECODEC || rc == TR_EUNIXFS || rc == TR_EDAGPB) {
    /* Not UnixFS: still fine for raw and CAR; mark it. */
    memset(&t->info, 0, sizeof t->info);
    return rc == TR_ECODEC ? 1 : 2;
  }
  return rc;
}

/* What serving a UnixFS answer needs: index.html, a file's first bytes, a
 * symlink's target. */
static int read_unixfs(gw_target_t *t, gw_budget_t *b) {
  int rc;
  if (t->info.kind == DAG_NODE_SYMLINK) {
    t->symlink = tr_malloc(t->info.target_len + 1);
    if (!t->symlink)
      return -ENOMEM;
    memcpy(t->symlink, t->info.target, t->info.target_len);
  }
  t->info.target = NULL; /* a view that ends with the transaction */
  const dag_cid_t *file = &t->cid;
  if (t->info.kind == DAG_NODE_DIR) {
    if (!t->trailing_slash)
      return 0;
    rc = dag_resolve(&t->cid, "index.html", 10, gw__budget_get, b, &t->index);
    if (rc == TR_EPATH)
      return 0;
    if (rc == 0)
      rc = dag_stat(&t->index, gw__budget_get, b, &t->index_info);
    if (rc)
      return b->over ? rc : 0; /* a broken index.html: list the directory */
    t->index_info.target = NULL;
    if (t->index_info.kind != DAG_NODE_FILE)
      return 0;
    t->has_index = true;
    file = &t->index;
  } else if (t->info.kind != DAG_NODE_FILE)
    return 0;
  http_copy_t c = {t->head, 0, sizeof t->head};
  rc = dag_cat(file, 0, sizeof t->head, gw__budget_get, b, http_copy_cb, &c);
  t->head_len = c.n;
  return rc;
}

void gw__prepare(bs_env_t *env, gw_target_t *t, uint64_t budget) {
  gw_budget_t b = {NULL, budget, false};
  int rc = bs_txn_begin(env, BS_RDONLY, &b.txn);
  if (rc) {
    t->rc = rc;
    t->err_at = t->root;
    return;
  }
  /* A second try (in the worker) starts afresh. */
  t->budget_over = t->has_index = false;
  t->head_len = 0;
  tr_free(t->symlink);
  t->symlink = NULL;
  rc = resolve(t, &b);
  if (rc == 0 && t->fmt == GW_FMT_UNIXFS && (rc = read_unixfs(t, &b)))
    t->err_at = t->has_index ? t->index : t->cid;
  bs_txn_abort(b.txn);
  t->rc = rc;
  t->budget_over = b.over;
}

/* ------------------------------------------------------- path parsing */

int gw__split_path(const char *p, char *buf, char **segs, size_t *nseg,
                   bool *trailing_slash) {
  size_t len = strlen(p), bo = 0;
  *nseg = 0;
  *trailing_slash = len > 0 && p[len - 1] == '/';
  /* Empty segments ("//") are skipped; "." and ".." are refused: browsers
   * resolve them before sending, so a raw one is a traversal attempt, and an
   * encoded one (%2e%2e) or an encoded '/' must not become one either. */
  while (*p) {
    size_t n = strcspn(p, "/");
    if (n) {
      if (*nseg == GW_MAX_SEGMENTS + 1)
        return TR_ETOOBIG;
      int d = http_pct_decode(p, n, buf + bo);
      if (d <= 0 || !strcmp(buf + bo, ".") || !strcmp(buf + bo, "..") ||
          memchr(buf + bo, '/', (size_t)d))
        return -EINVAL;
      segs[(*nseg)++] = buf + bo;
      bo += (size_t)d + 1;
    }
    p += n;
    if (*p == '/')
      p++;
  }
  return *nseg ? 0 : TR_EPATH;
}

/* ----------------------------------------------------------- handler */

static void protocol_handler(http_req_t *req) {
  char uri[2048];
  if (!http_query_get(http_req_query(req), "uri", uri, sizeof uri)) {
    gw_error(req, 400, "missing CID in /ipfs/ path");
    return;
  }
  if (strncmp(uri, "ipfs://", 7)) {
    gw_error(req, 400, "uri parameter must be an ipfs:// URI");
    return;
  }
  char loc[2100];
  snprintf(loc, sizeof loc, "/ipfs/%s", uri + 7);
  if (strpbrk(loc, "\r\n")) {
    gw_error(req, 400, "bad uri");
    return;
  }
  http_header_t h[] = {{"Location", loc}};
  http_res_start(req, 301, h, 1, 0);
  http_res_end(req);
}

/* Answer a prepared request (on the loop). */
static void dispatch(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t) {
  if (t->rc < 0) {
    answer_dag_error(req, t);
    gw__target_free(t);
    return;
  }
  const char *im = http_req_header(req, "if-match");
  char etag[DAG_CID_STR_MAX + 8];
  char s[DAG_CID_STR_MAX];
  snprintf(etag, sizeof etag, "\"%s\"", dag_cid_str(&t->cid, s));
  if (im && !gw__etag_in(im, etag))
    gw_error(req, 412, "If-Match does not match %s", etag);
  else if (t->fmt == GW_FMT_RAW)
    gw__serve_raw(req, ctx, t), t = NULL;
  else if (t->fmt == GW_FMT_CAR)
    gw__serve_car(req, ctx, t), t = NULL;
  else if (t->rc > 0)
    gw_error(req, 501, "%s is not UnixFS; ask for ?format=raw or "
             "?format=car", s);
  else if (t->info.kind == DAG_NODE_DIR)
    gw__serve_dir_listing(req, ctx, t), t = NULL;
  else
    gw__serve_file(req, ctx, t), t = NULL;
  gw__target_free(t);
}

/* Preparation that outgrew the loop's budget, in the worker pool. */
typedef struct prep_job {
  uv_work_t work;
  http_req_t *req;
  gw_ctx_t *ctx;
  gw_target_t *t;
} prep_job_t;

static void prep_work(uv_work_t *w) {
  prep_job_t *j = w->data;
  gw__prepare(j->ctx->env, j->t, GW_WORK_BUDGET);
}

static void prep_after(uv_work_t *w, int status) {
  prep_job_t *j = w->data;
  if (status == UV_ECANCELED || http_req_closed(j->req)) {
    http_res_end(j->req); /* the client went away: nothing to send */
    gw__target_free(j->t);
  } else
    dispatch(j->req, j->ctx, j->t);
  tr_free(j);
}

/* Parse the URL into a new target; answers the request and returns NULL
 * when it is not one to resolve. */
static gw_target_t *parse_target(http_req_t *req, const char *path) {
  gw_target_t *t = tr_calloc(1, sizeof *t);
  size_t pl = strlen(path);
  if (t) {
    t->segbuf = tr_malloc(pl + 1);
    t->segs = tr_malloc((pl / 2 + 2) * sizeof *t->segs);
    t->ipfs_path = tr_malloc(pl + 8);
  }
  if (!t || !t->segbuf || !t->segs || !t->ipfs_path) {
    gw__target_free(t);
    gw_error(req, 500, "out of memory");
    return NULL;
  }
  int bad = gw__split_path(path + 6, t->segbuf, t->segs, &t->nseg,
                           &t->trailing_slash);
  if (bad) {
    gw_error(req, 400, t->nseg == 0 && bad == TR_EPATH ? "missing CID"
                                                       : "invalid path");
  } else if (dag_cid_parse(&t->root, t->segs[0], strlen(t->segs[0]))) {
    gw_error(req, 400, "invalid CID \"%.100s\"", t->segs[0]);
  } else if (pick_format(req, &t->fmt) == 0) {
    t->path_cids = tr_malloc((t->nseg + 1) * sizeof *t->path_cids);
    if (!t->path_cids) {
      gw_error(req, 500, "out of memory");
    } else {
      size_t o = (size_t)snprintf(t->ipfs_path, pl + 8, "/ipfs");
      for (size_t i = 0; i < t->nseg; i++)
        o += (size_t)snprintf(t->ipfs_path + o, pl + 8 - o, "/%s", t->segs[i]);
      t->last_name = t->nseg > 1 ? t->segs[t->nseg - 1] : "";
      return t;
    }
  }
  gw__target_free(t);
  return NULL;
}

static void serve_ipfs(http_req_t *req, gw_ctx_t *ctx, const char *path);

void gw_gateway_handle(http_req_t *req, void *ud) {
  gw_ctx_t *ctx = ud;
  const char *m = http_req_method(req);
  if (ctx->expose_routing && !strncmp(http_req_path(req), "/routing/v1/", 12)) {
    gw__routing_handle(req, ctx);
    return;
  }
  if (!strcmp(m, "OPTIONS")) {
    http_header_t h[] = {{"Allow", "GET, HEAD, OPTIONS"},
                       {"Access-Control-Allow-Origin", "*"},
                       {"Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"},
                       {"Access-Control-Allow-Headers", "Content-Type, Range"}};
    http_res_start(req, 200, h, 4, 0);
    http_res_end(req);
    return;
  }
  if (strcmp(m, "GET") && strcmp(m, "HEAD")) {
    http_header_t h[] = {{"Allow", "GET, HEAD, OPTIONS"}};
    http_res_start(req, 405, h, 1, 0);
    http_res_end(req);
    return;
  }
  const char *path = http_req_path(req);
  if (!strncmp(path, "/ipns/", 6)) {
    gw__serve_ipns(req, ctx, path, serve_ipfs);
    return;
  }
  if (!strcmp(path, "/ipfs") || !strcmp(path, "/ipfs/")) {
    protocol_handler(req);
    return;
  }
  if (strncmp(path, "/ipfs/", 6)) {
    gw_error(req, 404, "only /ipfs/ and /ipns/ paths are served here");
    return;
  }
  serve_ipfs(req, ctx, path);
}

/* An /ipfs/ path: the request's, or what an IPNS name resolved to. */
static void serve_ipfs(http_req_t *req, gw_ctx_t *ctx, const char *path) {
  gw_target_t *t = parse_target(req, path);
  if (!t)
    return;
  /* Most paths are a few small blocks: answered right here.  One that
   * reads more starts again in the worker pool, so that big directories
   * on the way cost the loop no more than GW_INLINE_BUDGET. */
  gw__prepare(ctx->env, t, GW_INLINE_BUDGET);
  if (!t->budget_over) {
    dispatch(req, ctx, t);
    return;
  }
  prep_job_t *j = tr_malloc(sizeof *j);
  if (!j) {
    gw__target_free(t);
    gw_error(req, 500, "out of memory");
    return;
  }
  *j = (prep_job_t){.req = req, .ctx = ctx, .t = t};
  j->work.data = j;
  if (uv_queue_work(ctx->loop, &j->work, prep_work, prep_after)) {
    tr_free(j);
    gw__target_free(t);
    gw_error(req, 500, "cannot queue work");
  }
}

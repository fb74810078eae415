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
 * for /ipns/ (no naming yet); 504 when a block is not in the repo (with no
 * network to fetch it from, the gateway cannot retrieve it).
 *
 * Path resolution reads a few small blocks on the loop thread; every body
 * of more than one block is produced in the worker pool (stream.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gw_int.h"

size_t gw__std_headers(const gw_target_t *t, const char *etag,
                       gw_header_t *h, size_t n) {
  h[n++] = (gw_header_t){"X-Ipfs-Path", t->ipfs_path};
  h[n++] = (gw_header_t){"X-Ipfs-Roots", t->roots_hdr};
  h[n++] = (gw_header_t){"Cache-Control", GW_CACHE_IMMUTABLE};
  if (etag)
    h[n++] = (gw_header_t){"Etag", etag};
  h[n++] = (gw_header_t){"Access-Control-Allow-Origin", "*"};
  return n;
}

/* Does an If-None-Match / If-Match list contain etag (or "*")? */
static bool etag_in(const char *list, const char *etag) {
  if (!list)
    return false;
  size_t el = strlen(etag);
  for (const char *p = list; *p;) {
    while (*p == ' ' || *p == ',')
      p++;
    if (*p == '*')
      return true;
    if (!strncmp(p, "W/", 2))
      p += 2;
    if (!strncmp(p, etag, el) && (p[el] == 0 || p[el] == ',' || p[el] == ' '))
      return true;
    p += strcspn(p, ",");
  }
  return false;
}

bool gw__not_modified(gw_req_t *req, const gw_target_t *t, const char *etag) {
  if (!etag_in(gw_req_header(req, "if-none-match"), etag))
    return false;
  gw_header_t h[8];
  size_t n = gw__std_headers(t, etag, h, 0);
  gw_res_start(req, 304, h, n, 0);
  gw_res_end(req);
  return true;
}

/* ------------------------------------------------------------ formats */

enum { FMT_UNIXFS, FMT_RAW, FMT_CAR };

/* The response format: ?format= wins over Accept, as the spec says. */
static int pick_format(gw_req_t *req, int *fmt) {
  char f[32];
  if (gw_query_get(gw_req_query(req), "format", f, sizeof f)) {
    if (!strcmp(f, "raw"))
      *fmt = FMT_RAW;
    else if (!strcmp(f, "car"))
      *fmt = FMT_CAR;
    else {
      gw_error(req, 400, "unsupported format \"%s\"", f);
      return -1;
    }
    return 0;
  }
  *fmt = FMT_UNIXFS;
  const char *acc = gw_req_header(req, "accept");
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
      *fmt = FMT_RAW;
      return 0;
    }
    if (!strncmp(item, "application/vnd.ipld.car", 24)) {
      if (strstr(item, "version=2")) {
        other_ipld = true;
        continue;
      }
      *fmt = FMT_CAR;
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

static void answer_dag_error(gw_req_t *req, int rc, const dag_cid_t *at,
                             const char *name) {
  char s[DAG_CID_STR_MAX];
  dag_cid_str(at, s);
  if (rc == TR_ENOTFOUND)
    gw_error(req, 504, "block %s is not in this node's repo", s);
  else if (rc == TR_EPATH)
    gw_error(req, 404, "no link named \"%s\" under %s", name, s);
  else if (rc == TR_ENOTDIR)
    gw_error(req, 404, "%s is not a directory, cannot resolve \"%s\"", s, name);
  else if (rc == TR_ECODEC)
    gw_error(req, 501, "%s: codec not supported for UnixFS paths", s);
  else
    gw_error(req, 502, "%s: %s", s, tr_strerror(rc));
}

/* Resolve segs[0..nseg) below t->root, one segment at a time so that each
 * step's CID is known (X-Ipfs-Roots, CAR path blocks). */
static int resolve(gw_req_t *req, gw_ctx_t *ctx, gw_target_t *t, char **segs,
                   size_t nseg) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(ctx->env, BS_RDONLY, &txn);
  if (rc) {
    gw_error(req, 500, "repo: %s", tr_strerror(rc));
    return -1;
  }
  dag_cid_t cur = t->root;
  char s[DAG_CID_STR_MAX];
  size_t hl = (size_t)snprintf(t->roots_hdr, sizeof t->roots_hdr, "%s",
                               dag_cid_str(&cur, s));
  t->npath = 0;
  for (size_t i = 0; i < nseg; i++) {
    dag_cid_t next;
    rc = dag_resolve(&cur, segs[i], strlen(segs[i]), bs_get_cb, txn, &next);
    if (rc) {
      bs_txn_abort(txn);
      answer_dag_error(req, rc, &cur, segs[i]);
      return -1;
    }
    t->path_cids[t->npath++] = cur;
    cur = next;
    if (hl < sizeof t->roots_hdr)
      hl += (size_t)snprintf(t->roots_hdr + hl, sizeof t->roots_hdr - hl,
                             ",%s", dag_cid_str(&cur, s));
  }
  t->cid = cur;
  rc = dag_stat(&cur, bs_get_cb, txn, &t->info);
  bs_txn_abort(txn);
  if (rc == TR_ECODEC || rc == TR_EUNIXFS || rc == TR_EDAGPB) {
    /* Not UnixFS: still fine for raw and CAR; mark it. */
    memset(&t->info, 0, sizeof t->info);
    t->info.kind = 0;
    return rc == TR_ECODEC ? 1 : 2;
  }
  if (rc) {
    answer_dag_error(req, rc, &cur, "");
    return -1;
  }
  return 0;
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
      int d = gw_pct_decode(p, n, buf + bo);
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

static void protocol_handler(gw_req_t *req) {
  char uri[2048];
  if (!gw_query_get(gw_req_query(req), "uri", uri, sizeof uri)) {
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
  gw_header_t h[] = {{"Location", loc}};
  gw_res_start(req, 301, h, 1, 0);
  gw_res_end(req);
}

void gw_gateway_handle(gw_req_t *req, void *ud) {
  gw_ctx_t *ctx = ud;
  const char *m = gw_req_method(req);
  if (!strcmp(m, "OPTIONS")) {
    gw_header_t h[] = {{"Allow", "GET, HEAD, OPTIONS"},
                       {"Access-Control-Allow-Origin", "*"},
                       {"Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"},
                       {"Access-Control-Allow-Headers", "Content-Type, Range"}};
    gw_res_start(req, 200, h, 4, 0);
    gw_res_end(req);
    return;
  }
  if (strcmp(m, "GET") && strcmp(m, "HEAD")) {
    gw_header_t h[] = {{"Allow", "GET, HEAD, OPTIONS"}};
    gw_res_start(req, 405, h, 1, 0);
    gw_res_end(req);
    return;
  }
  const char *path = gw_req_path(req);
  if (!strncmp(path, "/ipns/", 6)) {
    gw_error(req, 501, "IPNS is not supported by this node yet");
    return;
  }
  if (!strcmp(path, "/ipfs") || !strcmp(path, "/ipfs/")) {
    protocol_handler(req);
    return;
  }
  if (strncmp(path, "/ipfs/", 6)) {
    gw_error(req, 404, "only /ipfs/ paths are served here");
    return;
  }
  gw_target_t *t = tr_calloc(1, sizeof *t);
  char *buf = tr_malloc(strlen(path) + 1);
  if (!t || !buf) {
    tr_free(t);
    tr_free(buf);
    gw_error(req, 500, "out of memory");
    return;
  }
  char *segs[GW_MAX_SEGMENTS + 1];
  size_t nseg = 0;
  int bad = gw__split_path(path + 6, buf, segs, &nseg, &t->trailing_slash);
  int fmt;
  if (bad) {
    gw_error(req, 400, nseg == 0 && bad == TR_EPATH ? "missing CID"
                                                    : "invalid path");
  } else if (dag_cid_parse(&t->root, segs[0], strlen(segs[0]))) {
    gw_error(req, 400, "invalid CID \"%.100s\"", segs[0]);
  } else if (pick_format(req, &fmt) == 0) {
    size_t o = (size_t)snprintf(t->ipfs_path, sizeof t->ipfs_path, "/ipfs");
    for (size_t i = 0; i < nseg && o < sizeof t->ipfs_path; i++)
      o += (size_t)snprintf(t->ipfs_path + o, sizeof t->ipfs_path - o, "/%s",
                            segs[i]);
    if (nseg > 1)
      snprintf(t->last_name, sizeof t->last_name, "%s", segs[nseg - 1]);
    int r = resolve(req, ctx, t, segs + 1, nseg - 1);
    if (r >= 0) {
      const char *im = gw_req_header(req, "if-match");
      char etag[DAG_CID_STR_MAX + 8];
      char s[DAG_CID_STR_MAX];
      snprintf(etag, sizeof etag, "\"%s\"", dag_cid_str(&t->cid, s));
      if (im && !etag_in(im, etag))
        gw_error(req, 412, "If-Match does not match %s", etag);
      else if (fmt == FMT_RAW)
        gw__serve_raw(req, ctx, t), t = NULL;
      else if (fmt == FMT_CAR)
        gw__serve_car(req, ctx, t), t = NULL;
      else if (r > 0)
        gw_error(req, 501, "%s is not UnixFS; ask for ?format=raw or "
                 "?format=car", s);
      else if (t->info.kind == DAG_NODE_DIR)
        gw__serve_dir_listing(req, ctx, t), t = NULL;
      else
        gw__serve_file(req, ctx, t), t = NULL;
    }
  }
  tr_free(buf);
  tr_free(t);
}

/*
 * gateway.c — the IPFS HTTP gateway's front: request checks, /ipfs/ path
 * parsing and resolution, response format selection (UnixFS, raw, CAR),
 * caching headers, and the protocol-handler redirect.  Bodies are served by
 * gw_file.c, gw_dir.c and gw_car.c.
 *
 * Status codes follow the path- and trustless-gateway specs: 400 for a bad
 * CID, path or parameter; 404 when the content path names nothing; 405 for
 * methods other than GET/HEAD/OPTIONS; 406 for an Accept no format matches;
 * 412 for a failed If-Match or If-Unmodified-Since of a file or block
 * (Kubo checks neither for listings, CARs and TARs: gw_common.c's
 * gw__preconditions); 416 for unsatisfiable ranges (gw_file.c); 501
 * for /ipns/ names that are not keys (DNSLink: no DNS) and 404 for a key
 * with no valid record on the DHTs (gw_ipns.c); 504 when a block is not in
 * the repo and cannot be fetched in time (ctx->fetcher, fetch_timeout_ms),
 * or at once when the gateway does not fetch (no fetcher, Gateway.NoFetch).
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
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gw_int.h"
#include "../dag/dagjson.h"

/* ------------------------------------------------------------ formats */

/* ?format= values and Accept media types of the formats served. */
static const struct {
  const char *name, *mtype;
  int fmt;
} formats[] = {
    {"raw", "application/vnd.ipld.raw", GW_FMT_RAW},
    {"car", "application/vnd.ipld.car", GW_FMT_CAR},
    {"tar", "application/x-tar", GW_FMT_TAR},
    {"dag-json", "application/vnd.ipld.dag-json", GW_FMT_DAG_JSON},
    {"dag-cbor", "application/vnd.ipld.dag-cbor", GW_FMT_DAG_CBOR},
    {"json", "application/json", GW_FMT_JSON},
    {"cbor", "application/cbor", GW_FMT_CBOR},
};

/* Does the first IPLD-ish type of an Accept list (boxo's prefixes) parse
 * as a media type?  boxo reads it, ?format= or not, and answers 400 when
 * it does not (a parameter given twice, one with no value). */
static bool accept_parses(const char *acc) {
  static const char *const pre[] = {
      "application/vnd.ipld", "application/vnd.ipfs", "application/x-tar",
      "application/json", "application/cbor"};
  for (const char *p = acc; *p;) {
    size_t n = strcspn(p, ",");
    const char *b = p;
    while (b < p + n && (*b == ' ' || *b == '\t'))
      b++;
    size_t bl = (size_t)(p + n - b);
    for (size_t i = 0; i < TR_ARRAY_LEN(pre); i++)
      if (bl >= strlen(pre[i]) && !strncmp(b, pre[i], strlen(pre[i])))
        return http_media_type_ok(b, bl);
    p += n + (p[n] == ',');
  }
  return true;
}

/* The response format: ?format= wins over Accept, as the spec says
 * (IPIP-0523).  Sets t->fmt, t->fmt_query and t->html. */
static int pick_format(http_req_t *req, gw_target_t *t) {
  char f[32];
  const char *acc = http_req_header(req, "accept");
  t->html = acc && strstr(acc, "text/html");
  if (acc && !accept_parses(acc)) {
    gw_error(req, 400, "error while processing the Accept header: not a "
             "media type with its parameters");
    return -1;
  }
  if (http_query_get(http_req_query(req), "format", f, sizeof f)) {
    for (size_t i = 0; i < TR_ARRAY_LEN(formats); i++)
      if (!strcmp(f, formats[i].name)) {
        t->fmt = formats[i].fmt;
        t->fmt_query = true;
        return 0;
      }
    gw_error(req, 400, "unsupported format \"%s\"", f);
    return -1;
  }
  t->fmt = GW_FMT_UNIXFS;
  if (!acc)
    return 0;
  /* The first type listed that we serve wins; q-values are honoured only
   * as "q=0 means no". */
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
    size_t il = strcspn(item, "; ");
    bool known = false;
    for (size_t i = 0; i < TR_ARRAY_LEN(formats) && !known; i++)
      if (strlen(formats[i].mtype) == il && !strncmp(item, formats[i].mtype, il)) {
        known = true;
        if (formats[i].fmt == GW_FMT_CAR && strstr(item, "version=2")) {
          other_ipld = true;
          break;
        }
        t->fmt = formats[i].fmt;
        return 0;
      }
    if (known)
      continue;
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
  else if (rc == TR_EPATHREM)
    gw_error(req, 501, "%s: the path ends inside the block at \"%.200s\"; "
             "only links are served", s, name);
  else if (rc == TR_EFSCHANGED || rc == TR_EFSFILE)
    gw_error(req, 500, "%s: %s", s, tr_strerror(rc)); /* our own disk */
  else
    gw_error(req, 502, "%s: %s", s, tr_strerror(rc));
}

/* Resolve the names below t->root, one segment at a time so that each
 * step's CID is known (X-Ipfs-Roots, CAR path blocks). */
static int resolve(gw_target_t *t, gw_budget_t *b) {
  dag_cid_t cur = t->root;
  /* Each step's CID is encoded once, into cid_str: the last one is the
   * answer's (ETag), str_cid says which it is. */
  char *s = t->cid_str;
  size_t hl = strlen(dag_cid_str(&cur, s));
  memcpy(t->roots_hdr, s, hl + 1); /* roots_hdr holds a CID string or more */
  t->str_cid = cur;
  bool full = false;
  t->npath = 0;
  for (size_t i = 1; i < t->nseg; i++) {
    dag_cid_t next;
    int rc;
    if (cur.codec == DAG_CODEC_DAG_CBOR || cur.codec == DAG_CODEC_DAG_JSON) {
      /* IPLD pathing: names inside the block up to the next link. */
      const uint8_t *data;
      size_t len, used = 0;
      rc = gw__budget_get(&cur, &data, &len, b);
      if (rc == 0)
        rc = (cur.codec == DAG_CODEC_DAG_CBOR ? dag_cbor_path : dag_json_path)(
            data, len, t->segs + i, t->nseg - i, &used, &next);
      if (rc == 0)
        i += used - 1;
    } else
      rc = dag_resolve(&cur, t->segs[i], strlen(t->segs[i]), gw__budget_get,
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
    t->str_cid = cur;
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
  const dag_node_info_t *info = &t->info;
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
    info = &t->index_info;
  } else if (t->info.kind != DAG_NODE_FILE)
    return 0;
  /* A file of one block (no links), small enough: all of it, which is
   * then its answer.  Else the bytes to sniff, as few blocks as may be (a
   * Range elsewhere in the file must not need blocks it does not cover). */
  size_t want = info->nlinks == 0 && info->size <= GW_HEAD_MAX ? GW_HEAD_MAX
                                                                 : GW_SNIFF;
  http_copy_t c = {t->head, 0, want};
  rc = dag_cat(file, 0, want, gw__budget_get, b, http_copy_cb, &c);
  t->head_len = c.n;
  return rc;
}

void gw__prepare(bs_env_t *env, gw_target_t *t, uint64_t budget) {
  gw_budget_t b = {.left = budget};
  t->has_missing = false;
  int rc = bs_txn_begin(env, BS_RDONLY, &b.txn);
  if (rc) {
    t->rc = rc;
    t->err_at = t->root;
    return;
  }
  /* A second try (in the worker, or after a fetch) starts afresh. */
  t->budget_over = t->has_index = false;
  t->head_len = 0;
  tr_free(t->symlink);
  t->symlink = NULL;
  t->redir_status = t->status = 0;
  rc = resolve(t, &b);
  /* A site's missing path: its _redirects may say what to do instead. */
  rc = gw__site_redirects(t, &b, rc);
  if (rc == GW_SITE_REWRITE)
    rc = resolve(t, &b);
  else if (rc < 0 && b.miss)
    t->err_at = b.missing;
  if (t->redir_status || t->status) {
    bs_txn_abort(b.txn);
    t->rc = rc;
    t->budget_over = b.over;
    t->has_missing = b.miss;
    t->missing = b.missing;
    return;
  }
  if (rc == 0 && t->fmt == GW_FMT_UNIXFS && (rc = read_unixfs(t, &b)))
    t->err_at = t->has_index ? t->index : t->cid;
  bs_txn_abort(b.txn);
  t->rc = rc;
  t->budget_over = b.over;
  t->has_missing = b.miss;
  t->missing = b.missing;
}

/* ----------------------------------------------------------- handler */

static void protocol_handler(http_req_t *req, bool ipns) {
  char uri[2048];
  const char *ns = ipns ? "ipns" : "ipfs";
  if (!http_query_get(http_req_query(req), "uri", uri, sizeof uri)) {
    gw_error(req, 400, "missing %s in /%s/ path", ipns ? "name" : "CID", ns);
    return;
  }
  if (strncmp(uri, ns, 4) || strncmp(uri + 4, "://", 3)) {
    gw_error(req, 400, "uri parameter must be an %s:// URI", ns);
    return;
  }
  char loc[2100];
  snprintf(loc, sizeof loc, "/%s/%s", ns, uri + 7);
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
  if (t->redir_status) { /* _redirects: a redirect, or why it cannot be */
    gw__site_answer(req, t);
    gw__target_free(t);
    return;
  }
  if (t->rc < 0) {
    answer_dag_error(req, t);
    gw__target_free(t);
    return;
  }
  char buf[DAG_CID_STR_MAX];
  const char *s = gw__cid_str(t, &t->cid, buf);
  uint64_t codec = t->cid.codec;
  int fmt = t->fmt;
  if (gw__blockfmt(fmt) && !gw__codec_fits(fmt, codec)) {
    /* Accept: application/json or cbor of a UnixFS node is a hint, not a
     * demand: JSON files stored in UnixFS are fetched so (boxo). */
    if (!t->fmt_query && (fmt == GW_FMT_JSON || fmt == GW_FMT_CBOR) &&
        codec == DAG_CODEC_DAG_PB)
      fmt = GW_FMT_UNIXFS;
    else {
      gw_error(req, 406, "%s (codec %s) cannot be served as %s: no "
               "conversions between codecs", s, dag_codec_name(codec),
               gw__blockfmt(fmt)->ctype);
      gw__target_free(t);
      return;
    }
  }
  if (fmt == GW_FMT_UNIXFS && gw__codec_fmt(codec) != GW_FMT_UNIXFS)
    fmt = t->html ? -1 : gw__codec_fmt(codec);
  if (fmt == -1)
    gw__serve_dag_preview(req, ctx, t), t = NULL;
  else if (gw__blockfmt(fmt))
    gw__serve_block(req, ctx, t, gw__blockfmt(fmt)), t = NULL;
  else if (fmt == GW_FMT_CAR)
    gw__serve_car(req, ctx, t), t = NULL;
  else if (fmt == GW_FMT_TAR)
    gw__serve_tar(req, ctx, t), t = NULL;
  else if (t->rc > 0)
    gw_error(req, 501, "%s is not UnixFS; ask for ?format=raw or "
             "?format=car", s);
  else if (t->info.kind == DAG_NODE_DIR)
    gw__serve_dir_listing(req, ctx, t), t = NULL;
  else
    gw__serve_file(req, ctx, t), t = NULL;
  gw__target_free(t);
}

/* ---------------------------------------------- resolving, fetching */

/* A request whose preparation outgrew the loop's budget (it goes on in the
 * worker pool) or met a block the repo lacks (it waits for the fetcher,
 * then resolves again, until the path resolves, fails for good, or the
 * deadline passes: 504).  Most requests never need one. */
typedef struct resolve {
  uv_work_t work;
  uv_timer_t timer;
  http_req_t *req;
  gw_ctx_t *ctx;
  gw_target_t *t;
  uint64_t deadline; /* uv_now() of the 504 */
  uint64_t fetch;    /* the running fetch, 0 when none */
  bool has_last;     /* the block fetched last */
  dag_cid_t last;
  bool busy, gone;   /* a worker job runs; the client went away */
} resolve_t;

static void advance(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t,
                    resolve_t *r, bool worker_ran);

static void resolve_closed(uv_handle_t *h) { tr_free(h->data); }

/* End r (the timer's close frees it); the target goes on or is freed. */
static void resolve_end(resolve_t *r) {
  http_req_on_close(r->req, NULL, NULL);
  uv_close((uv_handle_t *)&r->timer, resolve_closed);
}

static void resolve_gone(http_req_t *req, void *ud) {
  resolve_t *r = ud;
  r->gone = true;
  if (r->busy)
    return; /* prep_after finishes */
  if (r->fetch)
    r->ctx->fetcher->cancel(r->ctx->fetcher->ud, r->fetch);
  r->fetch = 0;
  uv_timer_stop(&r->timer);
  gw__target_free(r->t);
  resolve_end(r);
  http_res_end(req);
}

static resolve_t *resolve_new(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t) {
  resolve_t *r = tr_calloc(1, sizeof *r);
  if (!r)
    return NULL;
  if (uv_timer_init(ctx->loop, &r->timer)) {
    tr_free(r);
    return NULL;
  }
  r->timer.data = r;
  r->work.data = r;
  r->req = req;
  r->ctx = ctx;
  r->t = t;
  r->deadline = uv_now(ctx->loop) + gw__fetch_ms(ctx);
  http_req_on_close(req, resolve_gone, r);
  return r;
}

static void prep_work(uv_work_t *w) {
  resolve_t *r = w->data;
  gw__prepare(r->ctx->env, r->t, GW_WORK_BUDGET);
}

static void prep_after(uv_work_t *w, int status) {
  resolve_t *r = w->data;
  r->busy = false;
  if (status == UV_ECANCELED || r->gone) {
    gw__target_free(r->t);
    resolve_end(r);
    http_res_end(r->req); /* the client went away: nothing to send */
    return;
  }
  advance(r->req, r->ctx, r->t, r, true);
}

static void fetch_timeout(uv_timer_t *tm) {
  resolve_t *r = tm->data;
  if (r->fetch)
    r->ctx->fetcher->cancel(r->ctx->fetcher->ud, r->fetch);
  r->fetch = 0;
  char s[DAG_CID_STR_MAX];
  dag_cid_str(&r->last, s);
  gw__target_free(r->t);
  resolve_end(r);
  gw_error(r->req, 504, "retrieving %s took longer than %u ms", s,
           (unsigned)gw__fetch_ms(r->ctx));
}

static void fetched(void *arg, int status) {
  resolve_t *r = arg;
  r->fetch = 0;
  uv_timer_stop(&r->timer);
  if (status) {
    char s[DAG_CID_STR_MAX];
    dag_cid_str(&r->last, s);
    gw__target_free(r->t);
    resolve_end(r);
    gw_error(r->req, 502, "cannot retrieve %s: %s", s, tr_strerror(status));
    return;
  }
  /* Again from the start: on the loop while that is cheap. */
  gw__prepare(r->ctx->env, r->t, GW_INLINE_BUDGET);
  advance(r->req, r->ctx, r->t, r, false);
}

/* Ask the fetcher for t's missing block; false when it will not. */
static bool fetch_missing(resolve_t *r) {
  gw_target_t *t = r->t;
  if (r->has_last && dag_cid_equal(&r->last, &t->missing))
    return false; /* fetched, and missing still */
  uint64_t now = uv_now(r->ctx->loop);
  if (now >= r->deadline)
    return false;
  const bs_fetcher_t *f = r->ctx->fetcher;
  r->fetch = f->fetch(f->ud, &t->missing, &t->root, 0, fetched, r);
  if (!r->fetch)
    return false;
  r->last = t->missing;
  r->has_last = true;
  uv_timer_start(&r->timer, fetch_timeout, r->deadline - now, 0);
  return true;
}

/* After a preparation: on to the worker, to the fetcher, or the answer. */
/* Cache-Control: only-if-cached (RFC 9111 5.2.1.7): the client wants
 * nothing fetched. */
static bool only_if_cached(http_req_t *req) {
  const char *cc = http_req_header(req, "cache-control");
  return cc && strstr(cc, "only-if-cached");
}

static void advance(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t,
                    resolve_t *r, bool worker_ran) {
  if (t->has_missing && !t->budget_over && only_if_cached(req)) {
    /* The path-gateway spec's answer when the content is not local. */
    char s[DAG_CID_STR_MAX];
    dag_cid_str(&t->missing, s);
    gw__target_free(t);
    if (r)
      resolve_end(r);
    gw_error(req, 412, "%s is not in this node's repo (only-if-cached)", s);
    return;
  }
  bool more = t->budget_over && !worker_ran;
  bool fetch = !more && t->has_missing && !t->budget_over && gw__fetching(ctx);
  if ((more || fetch) && !r && !(r = resolve_new(req, ctx, t))) {
    gw__target_free(t);
    gw_error(req, 500, "out of memory");
    return;
  }
  if (more) {
    r->busy = true;
    if (uv_queue_work(ctx->loop, &r->work, prep_work, prep_after) == 0)
      return;
    r->busy = false;
    gw__target_free(t);
    resolve_end(r);
    gw_error(req, 500, "cannot queue work");
    return;
  }
  if (fetch && fetch_missing(r))
    return;
  if (r)
    resolve_end(r);
  dispatch(req, ctx, t);
}

/* The content path, for a listing's title and an /ipns/ answer's
 * Cache-Control: what the client asked for -- /ipns/NAME/... for a name,
 * not what it resolved to; for a DNSLink site or a NAME.ipns subdomain
 * the /ipns/ path its Host stands for (asked, else the request's path) --
 * with its trailing slash.  NULL (ipfs_path is used) when it cannot be
 * made. */
static char *request_xpath(http_req_t *req, gw_target_t *t,
                           const char *asked, char *room) {
  const char *rp = asked ? asked : http_req_path(req);
  if (strncmp(rp, "/ipns/", 6)) {
    /* ipfs_path and its slash: room has strlen(ipfs_path) + 2 bytes. */
    size_t l = strlen(t->ipfs_path);
    memcpy(room, t->ipfs_path, l);
    if (t->trailing_slash)
      room[l++] = '/';
    room[l] = 0;
    t->inl |= GW_INL_XPATH;
    return room;
  }
  size_t rl = strlen(rp);
  char *buf = tr_malloc(rl + 1), **segs = tr_malloc((rl / 2 + 2) * sizeof *segs);
  char *x = tr_malloc(rl + 8);
  size_t nseg;
  bool slash;
  if (!buf || !segs || !x || gw__split_path(rp + 6, buf, segs, &nseg, &slash)) {
    tr_free(x);
    x = NULL;
  } else {
    size_t o = (size_t)snprintf(x, rl + 8, "/ipns");
    for (size_t i = 0; i < nseg; i++)
      o += (size_t)snprintf(x + o, rl + 8 - o, "/%s", segs[i]);
    if (slash)
      snprintf(x + o, rl + 8 - o, "/");
  }
  tr_free(buf);
  tr_free(segs);
  return x;
}

/* The target's paths: its CIDs' room, ipfs_path, last_name, xpath.
 * False when answered (out of memory). */
static bool target_paths(http_req_t *req, gw_target_t *t, const char *asked,
                         char *xroom) {
  if (t->nseg + 1 <= GW_PATH_INLINE) {
    t->path_cids = t->path_inl;
    t->inl |= GW_INL_CIDS;
  } else
    t->path_cids = tr_malloc((t->nseg + 1) * sizeof *t->path_cids);
  if (!t->path_cids) {
    gw_error(req, 500, "out of memory");
    return false;
  }
  /* "/ipfs" and "/<seg>" for each: no longer than "/ipfs/" + path, as
   * decoding and skipping empty segments only shorten it. */
  memcpy(t->ipfs_path, "/ipfs", 5);
  size_t o = 5;
  for (size_t i = 0; i < t->nseg; i++) {
    size_t l = strlen(t->segs[i]);
    t->ipfs_path[o++] = '/';
    memcpy(t->ipfs_path + o, t->segs[i], l);
    o += l;
  }
  t->ipfs_path[o] = 0;
  t->last_name = t->nseg > 1 ? t->segs[t->nseg - 1] : "";
  t->xpath = request_xpath(req, t, asked, xroom);
  return true;
}

/* Parse the URL into a new target; answers the request and returns NULL
 * when it is not one to resolve. */
static gw_target_t *parse_target(http_req_t *req, const gw_ctx_t *ctx,
                                 const char *path, const char *asked,
                                 int64_t ttl_s) {
  /* One allocation: the target, then the copies of the path, each sized
   * by it: segment pointers (a segment is a byte and a '/' at least),
   * segments, ipfs_path ("/ipfs" and "/<seg>" for each: decoding and
   * skipping empty segments only shorten path + 6), X-Ipfs-Path (that and
   * a slash).  Cleared up to the buffers that are written before they are
   * read. */
  size_t pl = strlen(path), nptr = pl / 2 + 2;
  gw_target_t *t = tr_malloc(sizeof *t + nptr * sizeof(char *) + 4 * pl + 24);
  if (!t) {
    gw_error(req, 500, "out of memory");
    return NULL;
  }
  memset(t, 0, offsetof(gw_target_t, cid_str));
  t->cid_str[0] = t->roots_hdr[0] = 0;
  if (ttl_s >= 0)
    snprintf(t->ipns_cc, sizeof t->ipns_cc, "public, max-age=%lld",
             (long long)ttl_s);
  t->segs = (char **)(t + 1);
  t->segbuf = (char *)(t->segs + nptr);
  t->ipfs_path = t->segbuf + pl + 1;
  char *xroom = t->ipfs_path + pl + 8; /* pl + 10 bytes */
  t->inl = GW_INL_PATHS;
  int bad = gw__split_path(path + 6, t->segbuf, t->segs, &t->nseg,
                           &t->trailing_slash);
  if (bad) {
    gw_error(req, 400, t->nseg == 0 && bad == TR_EPATH ? "missing CID"
                                                       : "invalid path");
  } else if (dag_cid_parse(&t->root, t->segs[0], strlen(t->segs[0]))) {
    gw_error(req, 400, "invalid path \"/ipfs/%.100s\": invalid CID", t->segs[0]);
  } else {
    /* An /ipns/ path's are set already (gw__serve_ipns): they name what
     * was asked, not what it resolved to. */
    if (!asked)
      gw__path_headers(req, ctx, false, &t->root, t->segs, t->nseg,
                       t->trailing_slash);
    if (pick_format(req, t) == 0 && target_paths(req, t, asked, xroom))
      return t;
  }
  gw__target_free(t);
  return NULL;
}

static void serve_ipfs(http_req_t *req, gw_ctx_t *ctx, const char *path,
                       const char *asked, int64_t ttl_s);
static void serve_ipfs_site(http_req_t *req, gw_ctx_t *ctx, const char *path,
                            const char *asked, int64_t ttl_s, int site);

/* The slot a request took (admit) goes back when its handler ends it. */
static void release_slot(http_req_t *req, void *ud) {
  (void)req;
  __atomic_fetch_sub(&((gw_limit_t *)ud)->inflight, 1, __ATOMIC_RELAXED);
}

/* Take one of the gateway's slots for req, or answer boxo's 429 (false).
 * The count is taken before it is checked, so that loops racing for the
 * last slot cannot both have it; one refused gives it back at once. */
static bool admit(http_req_t *req, gw_limit_t *l) {
  uint32_t was = __atomic_fetch_add(&l->inflight, 1, __ATOMIC_RELAXED);
  if (was < l->max) {
    http_req_on_finish(req, release_slot, l);
    return true;
  }
  __atomic_fetch_sub(&l->inflight, 1, __ATOMIC_RELAXED);
  static const char body[] =
      "Too many requests. Please retry after 60 seconds.\n";
  http_header_t h[] = {{"Cache-Control", "no-store"},
                       {"Content-Type", "text/plain; charset=utf-8"},
                       {"Retry-After", "60"},
                       {"X-Content-Type-Options", "nosniff"}};
  http_res_start(req, 429, h, 4, (int64_t)sizeof body - 1);
  http_res_write(req, body, sizeof body - 1);
  http_res_end(req);
  return false;
}

void gw_gateway_handle(http_req_t *req, void *ud) {
  gw_ctx_t *ctx = ud;
  const char *m = http_req_method(req);
  if (ctx->expose_routing && !strncmp(http_req_path(req), "/routing/v1/", 12)) {
    gw__routing_handle(req, ctx);
    return;
  }
  if (!strcmp(m, "CONNECT")) { /* a client that takes us for a proxy */
    gw__connect(req, ctx);
    return;
  }
  /* CORS as Kubo's gateway sends it, on every answer (errors too): any
   * origin may read what the gateway serves, its ranges and its paths.
   * An OPTIONS (a preflight) gets them and nothing else. */
  http_res_extra(req, "Access-Control-Allow-Origin", "*");
  http_res_extra(req, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
  http_res_extra(req, "Access-Control-Allow-Headers", GW_CORS_ALLOW_HEADERS);
  http_res_extra(req, "Access-Control-Expose-Headers",
                 ctx->xipfs_path ? GW_CORS_EXPOSE_HEADERS_XPATH
                                 : GW_CORS_EXPOSE_HEADERS);
  /* Kubo's two limits wrap its whole gateway handler (boxo's NewHandler),
   * inside the CORS headers. */
  if (ctx->limit && ctx->limit->max && !admit(req, ctx->limit))
    return;
  if (ctx->max_request_ms)
    http_req_deadline(req, ctx->max_request_ms,
                      "Gateway Timeout: the request took longer than the "
                      "gateway allows (Gateway.MaxRequestDuration)\n");
  if (!strcmp(m, "OPTIONS")) {
    http_header_t h[] = {{"Allow", "GET, HEAD, OPTIONS"}};
    http_res_start(req, 200, h, 1, 0);
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
  gw_host_t hp;
  int hk = gw__host_parse(req, ctx, &hp);
  if (hk == GW_HOST_GATEWAY && gw__host_redirect(req, &hp))
    return;
  if (hk == GW_HOST_SUBDOMAIN) {
    char *p;
    if (gw__host_subdomain_path(req, &hp, &p))
      return;
    if (hp.ipns)
      gw__serve_ipns(req, ctx, p, serve_ipfs);
    else /* what gw__site_kind() would find again */
      serve_ipfs_site(req, ctx, p, NULL, -1, GW_SITE_IMMUTABLE);
    tr_free(p);
    return;
  }
  char host[256];
  if (hk == GW_HOST_PATH && gw__dnslink_site(req, ctx, host, sizeof host)) {
    /* A DNSLink site, by its Host (Kubo's, unless Gateway.NoDNSLink): the
     * whole origin is /ipns/<host>. */
    size_t l = strlen(host) + strlen(path) + 8;
    char *p = tr_malloc(l);
    if (!p) {
      gw_error(req, 500, "out of memory");
      return;
    }
    snprintf(p, l, "/ipns/%s%s", host, path);
    gw__serve_ipns(req, ctx, p, serve_ipfs);
    tr_free(p);
    return;
  }
  if (!strcmp(path, "/ipfs") || !strcmp(path, "/ipfs/") ||
      !strcmp(path, "/ipns") || !strcmp(path, "/ipns/")) {
    protocol_handler(req, path[3] == 'n'); /* ?uri=ipfs://, ipns:// */
    return;
  }
  if (!strncmp(path, "/ipns/", 6)) {
    gw__serve_ipns(req, ctx, path, serve_ipfs);
    return;
  }
  if (strncmp(path, "/ipfs/", 6)) {
    gw_error(req, 404, "only /ipfs/ and /ipns/ paths are served here");
    return;
  }
  /* A path gateway's own path, or a gateway host's that is not
   * redirected: no site (gw__site_kind() would parse the Host again to say
   * so). */
  serve_ipfs_site(req, ctx, path, NULL, -1, GW_SITE_NONE);
}

/* An /ipfs/ path: the request's, or what an IPNS name resolved to (asked:
 * the /ipns/ path, and ttl_s its records' TTL: gw_serve_fn). */
static void serve_ipfs(http_req_t *req, gw_ctx_t *ctx, const char *path,
                       const char *asked, int64_t ttl_s) {
  serve_ipfs_site(req, ctx, path, asked, ttl_s, -1);
}

/* The same where the caller knows the request's GW_SITE_* (-1: not). */
static void serve_ipfs_site(http_req_t *req, gw_ctx_t *ctx, const char *path,
                            const char *asked, int64_t ttl_s, int site) {
  gw_target_t *t = parse_target(req, ctx, path, asked, ttl_s);
  if (!t)
    return;
  if (t->fmt == GW_FMT_UNIXFS)
    t->site = site >= 0 ? site : gw__site_kind(req, ctx);
  /* Most paths are a few small blocks: answered right here.  One that
   * reads more starts again in the worker pool, so that big directories
   * on the way cost the loop no more than GW_INLINE_BUDGET; one that
   * meets a block the repo lacks waits for the fetcher. */
  gw__prepare(ctx->env, t, GW_INLINE_BUDGET);
  advance(req, ctx, t, NULL, false);
}

/*
 * gw_common.c — what the gateway's answers share: the standard headers of
 * a content answer, conditional requests (If-None-Match), path splitting,
 * the budgeted block reader, and freeing a target.  Below gateway.c (the front) and
 * gw_file.c, gw_dir.c, gw_car.c (the bodies), which all call it; it calls
 * none of them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../dag/multibase.h"
#include "../dag/multihash.h"
#include "gw_int.h"

size_t gw__std_headers(const gw_target_t *t, const char *etag,
                       http_header_t *h, size_t n) {
  h[n++] = (http_header_t){"X-Ipfs-Roots", t->roots_hdr};
  /* What an /ipns/ name (or a DNSLink site) points at changes: never
   * immutable.  As boxo: max-age=TTL when the name's TTL is known (IPNS
   * records), nothing otherwise (DNSLink). */
  if (!t->xpath || strncmp(t->xpath, "/ipns/", 6))
    h[n++] = (http_header_t){"Cache-Control", GW_CACHE_IMMUTABLE};
  else if (t->ipns_cc[0])
    h[n++] = (http_header_t){"Cache-Control", t->ipns_cc};
  if (etag)
    h[n++] = (http_header_t){"Etag", etag};
  return n; /* the CORS headers: gw_gateway_handle() adds them to all */
}

/* Does an If-None-Match / If-Match list contain etag (or "*")? */
bool gw__etag_in(const char *list, const char *etag) {
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

/* A 304 with the headers of the answer it stands for, but Last-Modified
 * (Go's ServeContent drops that when there is an ETag). */
static bool answer_304(http_req_t *req, const gw_target_t *t,
                       const char *etag) {
  http_header_t h[8];
  size_t n = gw__std_headers(t, etag, h, 0);
  http_res_start(req, 304, h, n, 0);
  http_res_end(req);
  return true;
}

void gw__range_refused(http_req_t *req, const gw_target_t *t,
                       const char *etag, http_header_t *h, size_t n,
                       uint64_t size, bool malformed, bool block) {
  if (malformed && !block) {
    gw_error(req, 400, "invalid range request: invalid range");
    return;
  }
  const char *body = malformed ? "invalid range request: invalid range\n"
                               : "invalid range: failed to overlap\n";
  char crange[48];
  h[n++] = (http_header_t){"Content-Type", "text/plain; charset=utf-8"};
  h[n++] = (http_header_t){"X-Content-Type-Options", "nosniff"};
  if (!malformed) {
    snprintf(crange, sizeof crange, "bytes */%llu", (unsigned long long)size);
    h[n++] = (http_header_t){"Content-Range", crange};
  }
  n = gw__std_headers(t, etag, h, n);
  size_t len = strlen(body);
  http_res_start(req, malformed ? 400 : 416, h, n, (int64_t)len);
  http_res_write(req, body, len);
  http_res_end(req);
}

void gw__precondition_failed(http_req_t *req, const gw_target_t *t,
                             const char *etag, bool has_mod, int64_t mod) {
  char date[40];
  http_header_t h[8] = {{"Content-Type", "text/plain; charset=utf-8"}};
  size_t n = 1;
  if (has_mod && http_date_format(mod, date))
    h[n++] = (http_header_t){"Last-Modified", date};
  n = gw__std_headers(t, etag, h, n);
  http_res_start(req, 412, h, n, 0);
  http_res_end(req);
}

bool gw__not_modified(http_req_t *req, const gw_target_t *t, const char *etag) {
  return gw__etag_in(http_req_header(req, "if-none-match"), etag) &&
         answer_304(req, t, etag);
}

bool gw__modtime(const gw_target_t *t, bool mtime, int64_t *sec,
                 char date[40]) {
  if (mtime && t->info.has_mtime && t->info.mtime_sec != 0)
    *sec = t->info.mtime_sec;
  else if (t->xpath && !strncmp(t->xpath, "/ipns/", 6))
    *sec = (int64_t)time(NULL);
  else
    return false;
  return http_date_format(*sec, date);
}

bool gw__preconditions(http_req_t *req, const gw_target_t *t,
                       const char *etag, bool has_mod, int64_t mod) {
  int64_t since;
  const char *im = http_req_header(req, "if-match");
  if (im && !gw__etag_in(im, etag)) {
    gw__precondition_failed(req, t, etag, has_mod, mod);
    return true;
  }
  const char *ius = http_req_header(req, "if-unmodified-since");
  if (has_mod && !im &&
      http_date_parse(ius, &since) && mod > since) {
    gw__precondition_failed(req, t, etag, has_mod, mod);
    return true;
  }
  const char *inm = http_req_header(req, "if-none-match");
  if (inm)
    return gw__etag_in(inm, etag) && answer_304(req, t, etag);
  return has_mod &&
         http_date_parse(http_req_header(req, "if-modified-since"), &since) &&
         mod <= since && answer_304(req, t, etag);
}

/* ------------------------------------------------- the path's headers */

/* A DNSLink name as x/net/idna's Lookup profile gives it (boxo), for the
 * names it gives back unchanged but for case: ASCII labels of letters,
 * digits and hyphens, none at a label's ends nor in its 3rd and 4th
 * places; two labels at least; one final dot dropped.  Anything else
 * (non-ASCII, "_", an xn-- label this does not decode) has no value here:
 * the header is left out, as IPIP-0548 allows.  Its length or -1. */
static int dnslink_canon(const char *s, char *out, size_t cap) {
  size_t n = strlen(s);
  if (n && s[n - 1] == '.')
    n--;
  if (n == 0 || n >= cap || !memchr(s, '.', n))
    return -1;
  for (size_t i = 0, lab = 0; i <= n; i++) {
    char c = i < n ? s[i] : '.';
    if (c == '.') {
      size_t l = i - lab;
      if (l == 0 || out[lab] == '-' || out[i - 1] == '-' ||
          (l > 4 && out[lab + 2] == '-' && out[lab + 3] == '-'))
        return -1;
      lab = i + 1;
      if (i < n)
        out[i] = '.';
      continue;
    }
    if (c >= 'A' && c <= 'Z')
      c = (char)(c + 32);
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      return -1;
    out[i] = c;
  }
  out[n] = 0;
  return (int)n;
}

int gw__name_id(const char *name, size_t n, uint8_t out[64], size_t *len) {
  if (n && (name[0] == '1' || (n > 1 && name[0] == 'Q' && name[1] == 'm')))
    return dag_b58_decode(name, n, out, 64, len) ? -1 : 0;
  dag_cid_t cid;
  if (dag_cid_parse(&cid, name, n) || cid.codec != DAG_CODEC_LIBP2P_KEY ||
      cid.len - cid.mh_off > 64)
    return -1;
  *len = (size_t)(cid.len - cid.mh_off);
  memcpy(out, cid.bytes + cid.mh_off, *len);
  return 0;
}

int gw__name_base36(const char *name, size_t n, char *out, size_t cap) {
  uint8_t mh[64];
  size_t ml;
  dag_cid_t cid;
  if (gw__name_id(name, n, mh, &ml) ||
      dag_cid_make(&cid, 1, DAG_CODEC_LIBP2P_KEY, mh, ml))
    return -1;
  int l = dag_cid_format(&cid, 'k', out, cap);
  return l < 0 ? -1 : l;
}

bool gw__pct_put(char *out, size_t cap, size_t *o, const char *s, size_t n,
                 const char *keep) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    bool k = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
             (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
             c == '~' || (c && keep && strchr(keep, c));
    if (*o + (k ? 1 : 3) >= cap)
      return false;
    if (k) {
      out[(*o)++] = (char)c;
    } else {
      out[(*o)++] = '%';
      out[(*o)++] = hex[c >> 4];
      out[(*o)++] = hex[c & 15];
    }
  }
  return true;
}

int gw__ipfs_uri(bool ipns, const dag_cid_t *root, char *const *segs,
                 size_t nseg, bool trailing_slash, char *out, size_t cap) {
  if (nseg == 0 || cap < 8)
    return -1;
  memcpy(out, ipns ? "ipns://" : "ipfs://", 7);
  size_t o = 7;
  int rl;
  if (!ipns) {
    dag_cid_t cid, v1;
    if (!root && dag_cid_parse(&cid, segs[0], strlen(segs[0])))
      return -1;
    dag_cid_to_v1(&v1, root ? root : &cid);
    rl = dag_cid_format(&v1, 'b', out + o, cap - o);
  } else if ((rl = gw__name_base36(segs[0], strlen(segs[0]), out + o,
                                   cap - o)) < 0) {
    rl = dnslink_canon(segs[0], out + o, cap - o);
  }
  if (rl < 0)
    return -1;
  o += (size_t)rl;
  for (size_t i = 1; i < nseg; i++) {
    if (o + 1 >= cap)
      return -1;
    out[o++] = '/';
    if (!gw__pct_put(out, cap, &o, segs[i], strlen(segs[i]), NULL))
      return -1;
  }
  if (trailing_slash) {
    if (o + 1 >= cap)
      return -1;
    out[o++] = '/';
  }
  out[o] = 0;
  return (int)o;
}

/* RFC 9110 5.5: HTAB, SP and visible ASCII only. */
static bool field_safe(const char *s) {
  for (; *s; s++)
    if (*s != '\t' && (*s < 0x20 || *s > 0x7e))
      return false;
  return true;
}

void gw__path_headers(http_req_t *req, const gw_ctx_t *ctx, bool ipns,
                      const dag_cid_t *root, char *const *segs, size_t nseg,
                      bool trailing_slash) {
  char uri[GW_IPFS_URI_MAX + 1];
  if (ctx->xipfs_path) {
    /* "/ipns" or "/ipfs", then "/<segment>" each, then the slash. */
    size_t l = 7;
    for (size_t i = 0; i < nseg; i++)
      l += strlen(segs[i]) + 1;
    char *x = tr_malloc(l);
    if (x) {
      size_t o = (size_t)snprintf(x, l, "/%s", ipns ? "ipns" : "ipfs");
      for (size_t i = 0; i < nseg; i++)
        o += (size_t)snprintf(x + o, l - o, "/%s", segs[i]);
      if (trailing_slash)
        snprintf(x + o, l - o, "/");
      if (field_safe(x))
        http_res_extra_dup(req, "X-Ipfs-Path", x);
      tr_free(x);
    }
  }
  if (gw__ipfs_uri(ipns, root, segs, nseg, trailing_slash, uri, sizeof uri) > 0)
    http_res_extra_dup(req, "Ipfs-Uri", uri);
}

/* ------------------------------------------------------- path parsing */

/* Here, not in gateway.c: gw_site.c splits a _redirects target too. */
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

/* ------------------------------------------------------ block reads */

int gw__budget_get(const dag_cid_t *cid, const uint8_t **data, size_t *len,
                   void *ud) {
  gw_budget_t *b = ud;
  if (b->has_last && dag_cid_equal(cid, &b->last)) {
    *data = b->last_data;
    *len = b->last_len;
  } else {
    int rc = bs_get(b->txn, cid, data, len);
    if (rc == TR_ENOTFOUND) {
      b->miss = true;
      b->missing = *cid;
    }
    if (rc)
      return rc;
    /* Not an identity CID's: its bytes are the caller's CID's, which may
     * be gone by the next read. */
    b->has_last = cid->mh_code != DAG_MH_IDENTITY;
    b->last = *cid;
    b->last_data = *data;
    b->last_len = *len;
  }
  /* A raw block is only read where it is copied; a dag-pb node is parsed
   * whole. */
  uint64_t cost = GW_READ_COST + (cid->codec == DAG_CODEC_RAW ? 0 : *len);
  if (cost > b->left) {
    b->over = true;
    return TR_ETOOBIG;
  }
  b->left -= cost;
  return 0;
}

/* ---------------------------------------------------------- fetching */

bool gw__fetching(const gw_ctx_t *ctx) {
  return ctx->fetcher && !ctx->no_fetch;
}

uint32_t gw__fetch_ms(const gw_ctx_t *ctx) {
  return ctx->fetch_timeout_ms ? ctx->fetch_timeout_ms : GW_FETCH_TIMEOUT_MS;
}

void gw__miss_init(gw_miss_t *m, const gw_ctx_t *ctx, const dag_cid_t *root) {
  memset(m, 0, sizeof *m);
  m->ctx = ctx;
  m->root = *root;
}

void gw__miss_note(gw_miss_t *m, const gw_budget_t *b) {
  if (b->miss) {
    m->cid = b->missing;
    m->has = true;
  }
}

static void miss_done(void *arg, int status) {
  gw_miss_t *m = arg;
  m->handle = 0;
  http_stream_resume(m->s, status);
}

static int miss_wait(void *state, int64_t err, http_stream_t *s) {
  gw_miss_t *m = state;
  if (err != TR_ENOTFOUND || !m->has)
    return -1;
  m->has = false;
  if (m->has_last && dag_cid_equal(&m->last, &m->cid))
    return -1; /* fetched, and missing still: it will not come */
  const bs_fetcher_t *f = m->ctx->fetcher;
  m->s = s;
  m->handle = f->fetch(f->ud, &m->cid, &m->root, m->flags, miss_done, m);
  if (!m->handle)
    return -1;
  m->last = m->cid;
  m->has_last = true;
  return 0;
}

static void miss_cancel(void *state) {
  gw_miss_t *m = state;
  if (m->handle)
    m->ctx->fetcher->cancel(m->ctx->fetcher->ud, m->handle);
  m->handle = 0;
}

http_stream_opts_t gw__stream_opts(const gw_ctx_t *ctx, uint64_t size) {
  http_stream_opts_t o = {.size = size};
  if (gw__fetching(ctx)) {
    o.wait = miss_wait;
    o.cancel = miss_cancel;
    o.wait_timeout_ms = gw__fetch_ms(ctx);
  }
  return o;
}

const char *gw__cid_str(const gw_target_t *t, const dag_cid_t *c,
                        char buf[DAG_CID_STR_MAX]) {
  if (t->str_cid.len && dag_cid_equal(&t->str_cid, c))
    return t->cid_str;
  return dag_cid_str(c, buf);
}

/* Copy src into out at *o, keeping room for the NUL (out[0..cap)). */
static void put(char *out, size_t cap, size_t *o, const char *src, size_t n) {
  if (*o + n >= cap)
    n = cap - 1 - *o;
  memcpy(out + *o, src, n);
  *o += n;
}

void gw__etag(const char *s, const char *suffix, char *out, size_t cap) {
  size_t o = 0;
  if (!cap)
    return;
  put(out, cap, &o, "\"", 1);
  put(out, cap, &o, s, strlen(s));
  if (suffix) {
    put(out, cap, &o, ".", 1);
    put(out, cap, &o, suffix, strlen(suffix));
  }
  put(out, cap, &o, "\"", 1);
  out[o] = 0;
}

void gw__target_drop_paths(gw_target_t *t) {
  if (!(t->inl & GW_INL_PATHS)) {
    tr_free(t->ipfs_path);
    tr_free(t->segbuf);
    tr_free(t->segs);
  }
  if (!(t->inl & GW_INL_CIDS))
    tr_free(t->path_cids);
  t->ipfs_path = t->segbuf = NULL;
  t->segs = NULL;
  t->path_cids = NULL;
  t->inl &= (uint8_t)~(GW_INL_PATHS | GW_INL_CIDS);
}

void gw__target_free(gw_target_t *t) {
  if (!t)
    return;
  gw__target_drop_paths(t);
  if (!(t->inl & GW_INL_XPATH))
    tr_free(t->xpath);
  tr_free(t->symlink);
  tr_free(t->redir_msg);
  tr_free(t);
}

/* ------------------------------------------------------ downloads */

void gw__content_disposition(char *out, size_t cap, const char *kind,
                             const char *fname) {
  /* An ASCII name as it is; otherwise an ASCII fallback (one '_' per
   * non-ASCII character) and the UTF-8 name in filename* (RFC 6266), as
   * boxo writes it.  Quotes, backslashes and controls never reach the
   * quoted string. */
  char ascii[512];
  size_t a = 0;
  bool plain = true;
  for (const unsigned char *p = (const unsigned char *)fname; *p && a < sizeof ascii - 1; p++) {
    if (*p >= 0x80) {
      plain = false;
      if ((*p & 0xC0) != 0x80) /* one '_' per character, not per byte */
        ascii[a++] = '_';
    } else if (*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7f) {
      plain = false;
      ascii[a++] = '_';
    } else
      ascii[a++] = (char)*p;
  }
  ascii[a] = 0;
  int n = snprintf(out, cap, "%s; filename=\"%s\"", kind, ascii);
  if (plain || n < 0 || (size_t)n >= cap)
    return;
  size_t o = (size_t)n;
  o += (size_t)snprintf(out + o, cap - o, "; filename*=UTF-8''");
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)fname; *p && o + 4 < cap; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
        (*p >= '0' && *p <= '9') || strchr("-._~", *p))
      out[o++] = (char)*p;
    else {
      out[o++] = '%';
      out[o++] = hex[*p >> 4];
      out[o++] = hex[*p & 15];
    }
  }
  out[o] = 0;
}

/* --------------------------------------------------------------- errors */

void gw_error(http_req_t *req, int status, const char *fmt, ...) {
  char msg[512], body[700];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  int n = snprintf(body, sizeof body, "%s: %s\n", http_status_text(status), msg);
  http_header_t h[] = {{"Content-Type", "text/plain; charset=utf-8"},
                     {"X-Content-Type-Options", "nosniff"},
                     {"Cache-Control", "no-cache"}};
  http_res_start(req, status, h, 3, n);
  http_res_write(req, body, (size_t)n);
  http_res_end(req);
}

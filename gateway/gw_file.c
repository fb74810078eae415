/*
 * gw_file.c — file bodies for the path gateway (Content-Type from the name
 * or the first bytes, Range requests with one or many ranges, HEAD) and the
 * trustless gateway's raw blocks.  Bytes are read in the worker pool through
 * dag_cat() a piece at a time, so a 10 GiB file costs the node one piece of
 * memory per client.  Ranges that overlap or touch are merged first, so no
 * byte is sent twice: sixteen "0-" ranges send the file once, not sixteen
 * times.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_int.h"
#include "../dag/dagjson.h"

/* More ranges than this and the whole file is sent (200), as nginx and
 * Apache do past their limits. */
#define MAX_RANGES 16

/* ------------------------------------------------------ content types */

static const struct {
  const char *ext, *type;
} ext_types[] = {
    {"html", "text/html; charset=utf-8"}, {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"}, {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"}, {"json", "application/json"},
    {"txt", "text/plain; charset=utf-8"}, {"md", "text/markdown; charset=utf-8"},
    {"xml", "text/xml; charset=utf-8"}, {"svg", "image/svg+xml"},
    {"png", "image/png"}, {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"},
    {"gif", "image/gif"}, {"webp", "image/webp"}, {"ico", "image/x-icon"},
    {"avif", "image/avif"}, {"mp4", "video/mp4"}, {"m4v", "video/mp4"},
    {"webm", "video/webm"}, {"mkv", "video/x-matroska"}, {"mov", "video/quicktime"},
    {"mp3", "audio/mpeg"}, {"ogg", "audio/ogg"}, {"wav", "audio/wav"},
    {"flac", "audio/flac"}, {"pdf", "application/pdf"}, {"wasm", "application/wasm"},
    {"zip", "application/zip"}, {"gz", "application/gzip"},
    {"tar", "application/x-tar"}, {"car", "application/vnd.ipld.car"},
    {"woff2", "font/woff2"}, {"woff", "font/woff"}, {"csv", "text/csv; charset=utf-8"},
};

static const char *type_by_name(const char *name) {
  const char *dot = strrchr(name, '.');
  if (!dot)
    return NULL;
  for (size_t i = 0; i < TR_ARRAY_LEN(ext_types); i++)
    if (!strcasecmp(dot + 1, ext_types[i].ext))
      return ext_types[i].type;
  return NULL;
}

/* The WHATWG MIME sniffing signatures that matter for archives. */
static const char *type_by_bytes(const uint8_t *p, size_t n) {
  if (n >= 5 && !memcmp(p, "%PDF-", 5))
    return "application/pdf";
  if (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8))
    return "image/png";
  if (n >= 3 && !memcmp(p, "\xff\xd8\xff", 3))
    return "image/jpeg";
  if (n >= 6 && (!memcmp(p, "GIF87a", 6) || !memcmp(p, "GIF89a", 6)))
    return "image/gif";
  if (n >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4))
    return "image/webp";
  if (n >= 12 && !memcmp(p + 4, "ftyp", 4))
    return "video/mp4";
  if (n >= 4 && !memcmp(p, "\x1a\x45\xdf\xa3", 4))
    return "video/webm";
  if (n >= 3 && !memcmp(p, "ID3", 3))
    return "audio/mpeg";
  if (n >= 4 && !memcmp(p, "OggS", 4))
    return "application/ogg";
  if (n >= 4 && !memcmp(p, "\0asm", 4))
    return "application/wasm";
  if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
    return "application/x-gzip";
  if (n >= 4 && !memcmp(p, "PK\x03\x04", 4))
    return "application/zip";
  size_t i = 0;
  while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
    i++;
  if (n - i >= 5 && p[i] == '<' &&
      (!strncasecmp((const char *)p + i, "<!doc", 5) ||
                     !strncasecmp((const char *)p + i, "<html", 5) ||
                     !strncasecmp((const char *)p + i, "<head", 5) ||
                     !strncasecmp((const char *)p + i, "<body", 5)))
    return "text/html; charset=utf-8";
  if (n - i >= 4 && p[i] == '<' && !strncasecmp((const char *)p + i, "<svg", 4))
    return "image/svg+xml";
  for (size_t k = 0; k < n; k++)
    if (p[k] < 0x20 && p[k] != '\n' && p[k] != '\r' && p[k] != '\t' &&
        p[k] != '\f' && p[k] != 0x1b)
      return "application/octet-stream";
  return "text/plain; charset=utf-8";
}

/* ---------------------------------------------------------- streaming */

typedef struct range {
  uint64_t start, len;
} range_t;

typedef struct file_state {
  gw_miss_t miss; /* first: the wait hook's view (gw_int.h) */
  dag_cid_t cid;
  uint64_t size;
  range_t r[MAX_RANGES];
  size_t nr, cur;   /* ranges, and the one being sent */
  uint64_t done;    /* bytes of r[cur] sent */
  bool multipart;
  bool part_head;   /* the part header of r[cur] is out */
  bool closed;      /* the closing boundary is out */
  char boundary[40];
  const char *ctype;
} file_state_t;

/* ------------------------------------------------- frozen copies
 *
 * Where the piece writes to the socket itself, a large block's bytes go
 * from its frozen copy (blockstore/bs.h: a sealed memfd) with sendfile,
 * by reference: no copy at all on the second and later requests for it,
 * where a view of the map costs the kernel's copy into the socket every
 * time (measured: half of the daemon's time serving 1 MiB files, in
 * _copy_from_iter).  The references are held until the piece is flushed. */
#define ZC_REFS 8

typedef struct zc {
  gw_budget_t b;
  bs_env_t *env;
  http_piece_t *p;
  const uint8_t *blk; /* the last large block read, blk[0..blen) */
  size_t blen;
  dag_cid_t cid;      /* its CID */
  bs_frozen_t *fz[ZC_REFS];
  int nfz;
} zc_t;

static int zc_get(const dag_cid_t *cid, const uint8_t **data, size_t *len,
                  void *ud) {
  zc_t *z = ud;
  int rc = gw__budget_get(cid, data, len, &z->b);
  if (rc == 0 && *len >= BS_FROZEN_MIN && http_piece_direct(z->p)) {
    z->blk = *data;
    z->blen = *len;
    z->cid = *cid;
  }
  return rc;
}

/* Flush the piece and let go of the copies it sent from. */
static void zc_flush(zc_t *z) {
  http_piece_flush(z->p);
  for (int i = 0; i < z->nfz; i++)
    bs_frozen_put(z->env, z->fz[i]);
  z->nfz = 0;
}

/* http_piece_cb, with the bytes of the last large block read going by
 * reference from its frozen copy where there is one. */
static int zc_out(const uint8_t *data, size_t n, void *ud) {
  zc_t *z = ud;
  size_t room = http_piece_room(z->p);
  if (n > room)
    n = room;
  if (n == 0)
    return 0;
  if (n >= BS_FROZEN_MIN && z->blk && data >= z->blk &&
      n <= z->blen - (size_t)(data - z->blk) && http_piece_direct(z->p)) {
    if (z->nfz == ZC_REFS)
      zc_flush(z);
    int fd;
    bs_frozen_t **fz = &z->fz[z->nfz];
    /* A copy is made for a block asked for before (bs_frozen_get), and a
     * block larger than a piece is read again for each piece of one
     * response: only the piece with its first byte asks, the others take
     * a copy that exists.  Otherwise every large block of a file served
     * once was copied, from its second piece on (a download of a big file
     * made copies it never used, and pushed the hot ones out). */
    int rc = http_piece_on_loop(z->p) || data != z->blk
                 ? bs_frozen_find(z->b.txn, &z->cid, z->blen, fz, &fd)
                 : bs_frozen_get(z->b.txn, &z->cid, z->blk, z->blen, fz, &fd);
    if (rc == 0) {
      z->nfz++;
      return http_piece_add_file(z->p, data, n, fd, (uint64_t)(data - z->blk));
    }
  }
  if (http_piece_on_loop(z->p))
    return -EAGAIN; /* the map's bytes are read in the pool */
  return http_piece_add(z->p, data, n);
}

/* A view fill (http/stream.h): the leaves' bytes go from the map (or their
 * frozen copies) to the socket (or to the piece's buffer) without a copy
 * of our own, before the read transaction ends. */
static int64_t fill_file(void *st, void *arg, http_piece_t *p) {
  bs_env_t *env = arg;
  file_state_t *s = st;
  size_t cap = http_piece_room(p), o = 0;
  char head[320];
  if (s->cur == s->nr) {
    if (s->multipart && !s->closed) {
      s->closed = true;
      o = (size_t)snprintf(head, sizeof head, "\r\n--%s--\r\n", s->boundary);
      http_piece_add(p, head, o);
      http_piece_flush(p);
      return (int64_t)o;
    }
    return 0;
  }
  range_t *r = &s->r[s->cur];
  if (s->multipart && !s->part_head) {
    /* The boundary is 37 bytes and the types are short: it fits. */
    o = (size_t)snprintf(head, sizeof head,
                         "\r\n--%s\r\nContent-Type: %s\r\nContent-Range: "
                         "bytes %llu-%llu/%llu\r\n\r\n",
                         s->boundary, s->ctype, (unsigned long long)r->start,
                         (unsigned long long)(r->start + r->len - 1),
                         (unsigned long long)s->size);
    if (o >= sizeof head)
      return TR_EBUFSIZE;
    http_piece_add(p, head, o);
    s->part_head = true;
  }
  uint64_t want = r->len - s->done;
  if (want > cap - o)
    want = cap - o;
  zc_t z = {.b = {.left = GW_PIECE_BUDGET(cap)},
            .env = env, .p = p};
  int rc = bs_txn_begin(env, BS_RDONLY, &z.b.txn);
  if (rc) {
    http_piece_flush(p);
    return o ? (int64_t)o : rc;
  }
  size_t room = http_piece_room(p);
  rc = dag_cat(&s->cid, r->start + s->done, want, zc_get, &z, zc_out, &z);
  size_t got = room - http_piece_room(p);
  /* The views die with the transaction: out or copied before it ends. */
  zc_flush(&z);
  bs_txn_abort(z.b.txn);
  if (rc == TR_ENOTFOUND || rc == -EAGAIN) {
    /* The bytes before the missing block (or, on the loop, before the
     * first that has no frozen copy) are good: hand them out, and the
     * next fill starts at that block (its offset). */
    if (rc == TR_ENOTFOUND)
      gw__miss_note(&s->miss, &z.b);
    want = got;
    if (o + want == 0)
      return rc;
    rc = 0;
  } else if (rc)
    return o ? (int64_t)o : rc;
  else if (got != want)
    return TR_EUNIXFS; /* the DAG is shorter than it says */
  s->done += want;
  if (s->done == r->len) {
    s->cur++;
    s->done = 0;
    s->part_head = false;
  }
  return (int64_t)(o + want);
}

static void free_state(void *st) { tr_free(st); }

/* 1*DIGIT at p into *v (saturating: a position past any file is as good as
 * UINT64_MAX); the end, or NULL when there is no digit. */
static const char *digits(const char *p, uint64_t *v) {
  const char *q = p;
  *v = 0;
  for (; *q >= '0' && *q <= '9'; q++)
    *v = *v > (UINT64_MAX - 9) / 10 ? UINT64_MAX : *v * 10 + (uint64_t)(*q - '0');
  return q == p ? NULL : q;
}

static int by_start(const void *a, const void *b) {
  const range_t *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start;
}

/* Merge ranges that overlap or touch (RFC 9110 14.3 lets a server coalesce
 * them).  When none do, the order asked for is kept. */
static int coalesce(range_t *r, int n) {
  range_t s[MAX_RANGES];
  memcpy(s, r, (size_t)n * sizeof *r);
  qsort(s, (size_t)n, sizeof *s, by_start);
  int m = 0;
  for (int i = 0; i < n; i++) {
    if (m && s[i].start <= s[m - 1].start + s[m - 1].len) {
      uint64_t end = s[i].start + s[i].len;
      if (end > s[m - 1].start + s[m - 1].len)
        s[m - 1].len = end - s[m - 1].start;
    } else
      s[m++] = s[i];
  }
  if (m < n)
    memcpy(r, s, (size_t)m * sizeof *r);
  return m;
}

/* One range-spec at *pp (RFC 9110 14.1.2: first-pos "-" [last-pos], or
 * "-" suffix-length), each number with an optional '+' as Go's ParseInt
 * takes it (Kubo answers "bytes=+1-+2" with 206).  1 and r when
 * satisfiable, 0 when not, -1 when malformed. */
static int parse_one(const char **pp, uint64_t size, range_t *r) {
  const char *p = *pp;
  uint64_t a, b;
  if (*p == '-') {
    p += 1 + (p[1] == '+');
    if (!(p = digits(p, &b)))
      return -1;
    *pp = p;
    if (b == 0 || size == 0)
      return 0;
    r->start = b > size ? 0 : size - b;
    r->len = size - r->start;
    return 1;
  }
  if (!(p = digits(p + (*p == '+'), &a)) || *p != '-')
    return -1;
  p++;
  b = UINT64_MAX;
  if (*p == '+' || (*p >= '0' && *p <= '9')) {
    if (!(p = digits(p + (*p == '+'), &b)))
      return -1;
    if (b < a)
      return -1;
  }
  *pp = p;
  if (a >= size)
    return 0;
  if (b >= size)
    b = size - 1;
  r->start = a;
  r->len = b - a + 1;
  return 1;
}

/* Parse a Range header.  Returns the number of satisfiable ranges (merged
 * when they overlap or touch), 0 when none is (416), -1 when it is not a
 * byte range, names none or asks for more than MAX_RANGES (serve it all),
 * -2 when it is malformed ("bytes=--5", "bytes=5-2": Kubo's 400,
 * gw__range_refused). */
static int parse_ranges(const char *h, uint64_t size, range_t *r) {
  if (strncmp(h, "bytes=", 6))
    return -1;
  int n = 0;
  bool any = false;
  for (const char *p = h + 6;;) {
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    if (!*p)
      break;
    range_t one;
    int k = parse_one(&p, size, &one);
    if (k < 0)
      return -2;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p && *p != ',')
      return -2;
    any = true;
    if (k == 0)
      continue;
    if (n == MAX_RANGES)
      return -1; /* a storm of ranges: answer with the whole file */
    r[n++] = one;
  }
  if (!any)
    return -1; /* "bytes=": no range at all, the whole file (as Go) */
  return n ? coalesce(r, n) : 0;
}

static void serve_symlink(http_req_t *req, gw_target_t *t) {
  http_header_t h[8] = {{"Content-Type", "text/plain; charset=utf-8"}};
  size_t n = gw__std_headers(t, NULL, h, 1);
  http_res_start(req, 200, h, n, (int64_t)t->info.target_len);
  http_res_write(req, t->symlink, t->info.target_len);
  http_res_end(req);
}

void gw__serve_file(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t) {
  if (t->info.kind == DAG_NODE_SYMLINK) {
    serve_symlink(req, t);
    gw__target_free(t);
    return;
  }
  char s[DAG_CID_STR_MAX], etag[GW_ETAG_MAX];
  gw__etag(gw__cid_str(t, t->etag_dir ? &t->dir : &t->cid, s), NULL, etag,
           sizeof etag);
  /* Last-Modified: the file's UnixFS mtime (boxo), which conditional
   * requests then compare with, as Go's ServeContent does. */
  int64_t mod = 0;
  char lastmod[40];
  bool has_mod = !t->status && gw__modtime(t, true, &mod, lastmod);
  if (!t->status && gw__preconditions(req, t, etag, has_mod, mod)) {
    gw__target_free(t);
    return;
  }
  if (ctx->max_range_size && t->info.size > ctx->max_range_size &&
      !t->status && http_req_header(req, "range")) {
    gw__target_free(t);
    gw_error(req, 501, "range requests not supported for files larger than "
             "%llu bytes: switch to verifiable block requests "
             "(application/vnd.ipld.raw)",
             (unsigned long long)ctx->max_range_size);
    return;
  }
  file_state_t *st = tr_calloc(1, sizeof *st);
  if (!st) {
    gw__target_free(t);
    gw_error(req, 500, "out of memory");
    return;
  }
  gw__miss_init(&st->miss, ctx, &t->cid);
  st->cid = t->cid;
  st->size = t->info.size;
  /* Content-Type: ?filename=, then the path's last name, then sniffing of
   * the first 512 bytes. */
  char fname[512] = "";
  const char *ctype = NULL;
  if (http_query_get(http_req_query(req), "filename", fname, sizeof fname))
    ctype = type_by_name(fname);
  if (!ctype && t->last_name[0])
    ctype = type_by_name(t->last_name);
  if (!ctype) /* the first bytes, read by gw__prepare() */
    ctype = type_by_bytes(t->head, t->head_len < GW_SNIFF ? t->head_len : GW_SNIFF);
  /* JSON is text to the WHATWG sniffer, but it is served as
   * application/json by its content, as boxo does, when the whole file is
   * in the sniffed bytes and parses. */
  if (!strcmp(ctype, "text/plain; charset=utf-8") && t->head_len == st->size &&
      st->size <= GW_SNIFF && dag_json_valid(t->head, t->head_len))
    ctype = "application/json";
  if (t->status) /* a site's custom error page (gw_site.c), as boxo's */
    ctype = "text/html";
  st->ctype = ctype;

  http_header_t h[16];
  size_t n = 0;
  char cd[1600], crange[96], mtype[96];
  h[n++] = (http_header_t){"Accept-Ranges", "bytes"};
  if (fname[0]) {
    char dl[16];
    bool attach = http_query_get(http_req_query(req), "download", dl, sizeof dl) &&
                  !strcmp(dl, "true");
    gw__content_disposition(cd, sizeof cd, attach ? "attachment" : "inline", fname);
    h[n++] = (http_header_t){"Content-Disposition", cd};
  }
  int status = 200;
  int64_t clen = (int64_t)st->size;
  const char *rh = t->status ? NULL : http_req_header(req, "range");
  const char *ifr = http_req_header(req, "if-range");
  int64_t ifr_date;
  if (t->status)
    status = t->status; /* served whole */
  if (rh && (!ifr || !strcmp(ifr, etag) ||
             (has_mod && http_date_parse(ifr, &ifr_date) && ifr_date == mod))) {
    int nr = parse_ranges(rh, st->size, st->r);
    if (nr == 0 || nr == -2) {
      http_header_t e[12];
      size_t m = 0;
      if (fname[0])
        e[m++] = (http_header_t){"Content-Disposition", cd};
      if (has_mod)
        e[m++] = (http_header_t){"Last-Modified", lastmod};
      gw__range_refused(req, t, etag, e, m, st->size, nr == -2, false);
      tr_free(st);
      gw__target_free(t);
      return;
    }
    if (nr > 0) {
      status = 206;
      st->nr = (size_t)nr;
      if (nr == 1) {
        snprintf(crange, sizeof crange, "bytes %llu-%llu/%llu",
                 (unsigned long long)st->r[0].start,
                 (unsigned long long)(st->r[0].start + st->r[0].len - 1),
                 (unsigned long long)st->size);
        h[n++] = (http_header_t){"Content-Range", crange};
        clen = (int64_t)st->r[0].len;
      } else {
        st->multipart = true;
        /* Random, so that it says nothing of the node's memory and a file
         * cannot be made to contain it. */
        uint8_t rnd[16];
        randombytes_buf(rnd, sizeof rnd);
        memcpy(st->boundary, "trove", 5);
        sodium_bin2hex(st->boundary + 5, sizeof st->boundary - 5, rnd,
                       sizeof rnd);
        snprintf(mtype, sizeof mtype, "multipart/byteranges; boundary=%s",
                 st->boundary);
        ctype = mtype;
        clen = -1; /* computed lengths are easy to get wrong: stream it */
      }
    }
  }
  if (!st->nr) {
    st->nr = 1;
    st->r[0].start = 0;
    st->r[0].len = st->size;
    if (st->size == 0)
      st->nr = 0;
  }
  h[n++] = (http_header_t){"Content-Type", ctype};
  h[n++] = (http_header_t){"X-Content-Type-Options", "nosniff"};
  if (has_mod)
    h[n++] = (http_header_t){"Last-Modified", lastmod};
  /* A custom page of a mutable site (IPNS, DNSLink) is not immutable:
   * gw__std_headers leaves Cache-Control out for /ipns/ paths. */
  n = gw__std_headers(t, etag, h, n);
  http_res_start(req, status, h, n, clen);
  if (!strcmp(http_req_method(req), "HEAD")) {
    gw__target_free(t);
    tr_free(st);
    http_res_end(req);
    return;
  }
  if (!st->multipart && t->head_len == st->size) {
    /* The whole file was read with its path: the answer is here. */
    if (st->nr)
      http_res_write(req, t->head + st->r[0].start, (size_t)st->r[0].len);
    gw__target_free(t);
    tr_free(st);
    http_res_end(req);
    return;
  }
  gw__target_free(t);
  /* A multipart body is a little longer than its ranges: the worker path. */
  http_stream_opts_t o = gw__stream_opts(ctx, st->multipart ? 0 : (uint64_t)clen);
  o.vfill = fill_file;
  o.loop = true;
  http_stream_start_opts(req, ctx->env, NULL, free_state, st, &o);
}

/* ------------------------------------------------------------------ raw */

typedef struct raw_state {
  gw_miss_t miss; /* first: the wait hook's view (gw_int.h) */
  dag_cid_t cid;
  uint64_t off, end; /* the bytes [off, end) of the block are sent */
} raw_state_t;

/* A view fill, as fill_file. */
static int64_t fill_raw(void *st, void *arg, http_piece_t *p) {
  bs_env_t *env = arg;
  raw_state_t *s = st;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  const uint8_t *data;
  size_t len;
  rc = bs_get(txn, &s->cid, &data, &len);
  if (rc) {
    bs_txn_abort(txn);
    s->miss.cid = s->cid;
    s->miss.has = rc == TR_ENOTFOUND;
    return rc;
  }
  uint64_t end = s->end < len ? s->end : len;
  size_t n = s->off >= end ? 0 : (size_t)(end - s->off);
  size_t room = http_piece_room(p);
  if (n > room)
    n = room;
  zc_t z = {.b = {.txn = txn}, .env = env, .p = p};
  if (len >= BS_FROZEN_MIN && http_piece_direct(p)) {
    z.blk = data;
    z.blen = len;
    z.cid = s->cid;
  }
  rc = zc_out(data + s->off, n, &z);
  zc_flush(&z); /* before the view dies with txn */
  bs_txn_abort(txn);
  if (rc)
    return rc; /* -EAGAIN: on the loop, and no frozen copy */
  s->off += n;
  return (int64_t)n;
}

/* ---------------------------------------------------- block formats */

static const gw_blockfmt_t block_fmts[] = {
    [GW_FMT_RAW] = {"application/vnd.ipld.raw", "raw", "bin", false},
    [GW_FMT_DAG_JSON] = {"application/vnd.ipld.dag-json", "dag-json", "json", true},
    [GW_FMT_DAG_CBOR] = {"application/vnd.ipld.dag-cbor", "dag-cbor", "cbor", false},
    [GW_FMT_JSON] = {"application/json", "json", "json", true},
    [GW_FMT_CBOR] = {"application/cbor", "cbor", "cbor", false},
};

const gw_blockfmt_t *gw__blockfmt(int fmt) {
  if (fmt < 0 || (size_t)fmt >= TR_ARRAY_LEN(block_fmts) || !block_fmts[fmt].ctype)
    return NULL;
  return &block_fmts[fmt];
}

bool gw__codec_fits(int fmt, uint64_t codec) {
  switch (fmt) {
  case GW_FMT_DAG_JSON:
    return codec == DAG_CODEC_DAG_JSON;
  case GW_FMT_DAG_CBOR:
    return codec == DAG_CODEC_DAG_CBOR;
  case GW_FMT_JSON:
    return codec == DAG_CODEC_DAG_JSON || codec == DAG_CODEC_JSON ||
           codec == DAG_CODEC_RAW;
  case GW_FMT_CBOR:
    return codec == DAG_CODEC_DAG_CBOR || codec == DAG_CODEC_CBOR ||
           codec == DAG_CODEC_RAW;
  default:
    return true;
  }
}

int gw__codec_fmt(uint64_t codec) {
  switch (codec) {
  case DAG_CODEC_DAG_JSON:
    return GW_FMT_DAG_JSON;
  case DAG_CODEC_DAG_CBOR:
    return GW_FMT_DAG_CBOR;
  case DAG_CODEC_JSON:
    return GW_FMT_JSON;
  case DAG_CODEC_CBOR:
    return GW_FMT_CBOR;
  default:
    return GW_FMT_UNIXFS;
  }
}

void gw__serve_block(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t,
                     const gw_blockfmt_t *bf) {
  char buf[DAG_CID_STR_MAX], etag[GW_ETAG_MAX], cd[1600];
  const char *s = gw__cid_str(t, &t->cid, buf);
  gw__etag(s, bf->suffix, etag, sizeof etag);
  int64_t mod = 0; /* an /ipns/ path's: boxo serves blocks with ServeContent */
  char lastmod[40];
  bool has_mod = gw__modtime(t, false, &mod, lastmod);
  if (gw__preconditions(req, t, etag, has_mod, mod)) {
    gw__target_free(t);
    return;
  }
  bs_txn_t *txn;
  size_t len = 0;
  const uint8_t *data;
  int rc = bs_txn_begin(ctx->env, BS_RDONLY, &txn);
  if (rc == 0) {
    rc = bs_get(txn, &t->cid, &data, &len);
    bs_txn_abort(txn);
  }
  if (rc) {
    gw_error(req, rc == TR_ENOTFOUND ? 504 : 500, "block %s: %s", s,
             tr_strerror(rc));
    gw__target_free(t);
    return;
  }
  /* ?filename= names the download, as for files (boxo does the same);
   * ?download=true makes an inline type an attachment. */
  char fname[512], dl[16];
  const char *kind = bf->is_inline ? "inline" : "attachment";
  if (http_query_get(http_req_query(req), "download", dl, sizeof dl) &&
      !strcmp(dl, "true"))
    kind = "attachment";
  if (http_query_get(http_req_query(req), "filename", fname, sizeof fname) &&
      fname[0])
    gw__content_disposition(cd, sizeof cd, kind, fname);
  else
    snprintf(cd, sizeof cd, "%s; filename=\"%s.%s\"", kind, s, bf->ext);
  http_header_t h[24] = {{"Content-Type", bf->ctype},
                         {"Content-Disposition", cd},
                         {"X-Content-Type-Options", "nosniff"},
                         {"Vary", "Accept"},
                         {"Accept-Ranges", "bytes"},
                         {"Last-Modified", lastmod}};
  size_t n = has_mod ? 6 : 5;
  /* One range of the block: 206; an unsatisfiable one: 416; several: the
   * whole block (a server may ignore Range, and a block is small). */
  int status = 200;
  uint64_t off = 0, end = len;
  char crange[96];
  const char *rh = http_req_header(req, "range");
  const char *ifr = http_req_header(req, "if-range");
  if (rh && (!ifr || !strcmp(ifr, etag))) {
    range_t r[MAX_RANGES];
    int nr = parse_ranges(rh, len, r);
    if (nr == 0 || nr == -2) {
      http_header_t e[12] = {{"Content-Disposition", cd}};
      size_t m = 1;
      if (has_mod)
        e[m++] = (http_header_t){"Last-Modified", lastmod};
      gw__range_refused(req, t, etag, e, m, len, nr == -2, true);
      gw__target_free(t);
      return;
    }
    if (nr == 1) {
      status = 206;
      off = r[0].start;
      end = r[0].start + r[0].len;
      snprintf(crange, sizeof crange, "bytes %llu-%llu/%zu",
               (unsigned long long)off, (unsigned long long)(end - 1), len);
      h[n++] = (http_header_t){"Content-Range", crange};
    }
  }
  n = gw__std_headers(t, etag, h, n);
  http_res_start(req, status, h, n, (int64_t)(end - off));
  raw_state_t *st = tr_calloc(1, sizeof *st);
  if (!st || !strcmp(http_req_method(req), "HEAD") || end == off) {
    tr_free(st);
    gw__target_free(t);
    if (st || end == off || !strcmp(http_req_method(req), "HEAD"))
      http_res_end(req);
    else
      http_res_abort(req);
    return;
  }
  st->off = off;
  st->end = end;
  gw__miss_init(&st->miss, ctx, &t->cid);
  st->cid = t->cid;
  gw__target_free(t);
  http_stream_opts_t o = gw__stream_opts(ctx, end - off);
  o.vfill = fill_raw;
  o.loop = true;
  http_stream_start_opts(req, ctx->env, NULL, free_state, st, &o);
}

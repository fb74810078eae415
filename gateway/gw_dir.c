/*
 * gw_dir.c — directories on the path gateway: the trailing-slash redirect,
 * index.html, and an HTML listing (names, sizes, CIDs) that reads well in a
 * browser.  Names come from the DAG and are untrusted: every one is
 * HTML-escaped for text and percent-encoded for links.  A listing is
 * streamed, bounded (GW_DIR_MAX_ENTRIES rows), sorted by name (a HAMT's
 * entries are gathered and sorted first), produced off the loop, and each
 * row has an icon for what the entry is (read from its block when the repo
 * has it; never fetched for the icon).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_int.h"

void gw__html_escape(const char *s, size_t n, char *out, size_t outsz) {
  size_t o = 0;
  for (size_t i = 0; i < n && o + 7 < outsz; i++) {
    const char *rep = NULL;
    switch (s[i]) {
    case '<': rep = "&lt;"; break;
    case '>': rep = "&gt;"; break;
    case '&': rep = "&amp;"; break;
    case '"': rep = "&quot;"; break;
    case '\'': rep = "&#39;"; break;
    default: break;
    }
    if (rep) {
      size_t l = strlen(rep);
      memcpy(out + o, rep, l);
      o += l;
    } else
      out[o++] = s[i];
  }
  out[o] = 0;
}

void gw__url_escape(const char *s, size_t n, char *out, size_t outsz) {
  size_t o = 0;
  (void)gw__pct_put(out, outsz, &o, s, n, "!$()*+,;=:@");
  out[o] = 0;
}

static void human(uint64_t n, char *out, size_t sz) {
  const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)n;
  int i = 0;
  while (v >= 1024 && i < 4)
    v /= 1024, i++;
  snprintf(out, sz, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<title>%s</title><style>"
    "body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;"
    "margin:0;background:#f4f6f8;color:#1c2733}"
    "header{background:#0b3a53;color:#fff;padding:14px 24px}"
    "header b{font-size:18px;letter-spacing:.5px}"
    "main{max-width:960px;margin:24px auto;background:#fff;border-radius:8px;"
    "box-shadow:0 1px 3px rgba(0,0,0,.12);overflow:hidden}"
    ".path{padding:14px 20px;border-bottom:1px solid #e3e8ee;"
    "font-family:ui-monospace,Menlo,monospace;word-break:break-all}"
    ".path a{color:#0b6e99;text-decoration:none}"
    ".root{padding:0 20px 12px;color:#667;font-size:13px}"
    "table{width:100%%;border-collapse:collapse}"
    "td{padding:8px 20px;border-top:1px solid #eef1f4}"
    "tr:hover td{background:#f7fafc}"
    "td.n a{color:#0b3a53;font-weight:500;text-decoration:none}"
    "td.c a{color:#778;font-family:ui-monospace,Menlo,monospace;font-size:13px;"
    "text-decoration:none}td.s{text-align:right;color:#556;white-space:nowrap}"
    "footer{text-align:center;color:#889;font-size:12px;margin:16px}"
    ".dl{padding:0 20px 12px;font-size:13px}.dl a{color:#0b6e99}"
    "td.n:before{display:inline-block;width:1.7em}"
    "tr.f td.n:before{content:\"\\1F4C4\"}tr.d td.n:before{content:\"\\1F4C1\"}"
    "tr.l td.n:before{content:\"\\1F517\"}tr.u td.n:before{content:\"\\2753\"}"
    "</style></head><body><header><b>trove</b> &middot; IPFS gateway</header>"
    "<main><div class=\"path\"><strong>Index of %s</strong></div>"
    "<div class=\"root ipfs-hash\" translate=\"no\">%s</div>"
    "<div class=\"dl\">Download this directory: <a href=\"?format=car\">CAR</a>"
    " &middot; <a href=\"?format=tar\">TAR</a></div><table>\n";

/* ------------------------------------------------------- the listing */

/* The listing is produced like a file body: a piece at a time in the worker
 * pool, the HAMT walk (dag_ls_iter_t) resumed in each piece, so a directory
 * of a million entries costs the node one piece of memory and the loop
 * nothing.  The headers wait for the first piece, so a directory that is
 * broken from the start (a missing block, a shard reached twice) gets an
 * error status.  At most GW_DIR_MAX_ENTRIES rows are sent; past them the
 * page says so and points at the trustless (CAR) and RPC ways to get
 * everything. */
enum { LS_HEAD, LS_GATHER, LS_ROWS, LS_FOOT, LS_DONE };

typedef struct list_state {
  gw_miss_t miss; /* first: the wait hook's view (gw_int.h) */
  gw_target_t *t;
  char etag[DAG_CID_STR_MAX + 32];
  const char *version;
  int phase;
  dag_ls_iter_t it;
  uint64_t count;
  bool more; /* stopped at GW_DIR_MAX_ENTRIES (or GW_DIR_SORT_BYTES) */
  bs_txn_t *txn; /* the piece's read transaction: for the rows' icons */
  /* A HAMT (sorted): its entries gathered into ents (see gather()), their
   * offsets in offs, sorted by name, then sent from next on. */
  bool sorted;
  tr_bytes_t ents;
  size_t *offs, nents, offs_cap, next, pause_at;
  /* The piece being filled. */
  uint8_t *buf;
  size_t n, cap;
  tr_bytes_t head; /* the page head, built on the loop */
  tr_bytes_t base; /* the listing's URL path, escaped, with its slash (NUL) */
  size_t row_max;  /* room a row needs: ROW_MAX + the base */
  bool site;       /* a DNSLink site's listing: CIDs link to cid.ipfs.tech */
  char hashpre[310]; /* before /ipfs/CID in CID links: "" or //<gateway> */
} list_state_t;

/* A row without its base: name (1 KiB escaped), its link (2 KiB), the
 * link escaped again for ?filename= (6 KiB), the CID, the markup. */
#define ROW_MAX 16384
#define CRUMBS_MAX (32u << 10)
/* Links in a listing are absolute paths, as Kubo's (the conformance suite
 * reads them); past this length of the escaped path they are relative
 * (the page's URL ends in a slash, so they lead to the same place). */
#define DIR_BASE_MAX (16u << 10)
/* Entries a HAMT's first piece gathers before the headers go out: enough
 * for a malformed HAMT to fail with a real status (a shard reached twice
 * shows within the first shards), few enough that the page starts at once
 * however big the directory. */
#define FIRST_GATHER 2048

/* What an entry is, for its icon ('f' file, 'd' directory, 'l' symlink,
 * 'u' unknown), from the first bytes of its block: a dag-pb node's links
 * come first and are passed over by their lengths, then its Data, whose
 * first field is the UnixFS type.  Only what the repo holds is read: a
 * listing does not fetch a hundred thousand blocks to draw icons. */
static char entry_kind(bs_txn_t *txn, const dag_cid_t *cid) {
  if (cid->codec == DAG_CODEC_RAW)
    return 'f';
  const uint8_t *p;
  size_t n, i = 0;
  if (!txn || cid->codec != DAG_CODEC_DAG_PB || bs_get(txn, cid, &p, &n))
    return 'u';
  while (i < n) {
    uint8_t tag = p[i++];
    uint64_t v;
    int k = dag_varint_get(p + i, n - i, &v);
    if (k < 0 || v > n - i - (size_t)k)
      return 'u';
    i += (size_t)k;
    if (tag == 0x12) { /* a link */
      i += (size_t)v;
      continue;
    }
    if (tag != 0x0a || v < 2 || p[i] != 0x08) /* Data, its Type first */
      return 'u';
    switch (p[i + 1]) {
    case DAG_UNIXFS_DIRECTORY:
    case DAG_UNIXFS_HAMT: return 'd';
    case DAG_UNIXFS_RAW:
    case DAG_UNIXFS_FILE: return 'f';
    case DAG_UNIXFS_SYMLINK: return 'l';
    default: return 'u';
    }
  }
  return 'u';
}

static int put_row(list_state_t *c, const dag_dirent_t *e) {
  char name[1024], href[2048], fname[6144], cid[DAG_CID_STR_MAX], size[32];
  gw__html_escape(e->name, e->name_len, name, sizeof name);
  gw__url_escape(e->name, e->name_len, href, sizeof href);
  /* ?filename= holds the escaped name escaped again: what Kubo's template
   * writes (and the conformance suite checks), byte for byte. */
  gw__url_escape(href, strlen(href), fname, sizeof fname);
  dag_cid_str(&e->cid, cid);
  human(e->tsize, size, sizeof size);
  char kind = entry_kind(c->txn, &e->cid);
  int w = c->site ? snprintf((char *)c->buf + c->n, c->cap - c->n,
                   "<tr class=\"%c\"><td class=\"n\"><a href=\"%s%s\">%s</a></td>"
                   "<td class=\"c\" title=\"%s\"><a class=\"ipfs-hash\" "
                   "translate=\"no\" href=\"https://cid.ipfs.tech/#%s\" "
                   "target=\"_blank\" rel=\"noreferrer noopener\">%.*s&hellip;%s"
                   "</a></td><td class=\"s\">%s</td></tr>\n",
                   kind, (char *)c->base.data, href, name, cid, cid, 8, cid,
                   cid + strlen(cid) - 6, size)
                  : snprintf((char *)c->buf + c->n, c->cap - c->n,
                   "<tr class=\"%c\"><td class=\"n\"><a href=\"%s%s\">%s</a></td>"
                   "<td class=\"c\" title=\"%s\"><a class=\"ipfs-hash\" "
                   "translate=\"no\" href=\"%s/ipfs/%s?filename=%s\">%.*s&hellip;%s"
                   "</a></td><td class=\"s\">%s</td></tr>\n",
                   kind, (char *)c->base.data, href, name, cid, c->hashpre, cid, fname, 8, cid,
                   cid + strlen(cid) - 6, size);
  c->n += (size_t)w < c->cap - c->n ? (size_t)w : c->cap - c->n - 1;
  c->count++;
  return c->cap - c->n < c->row_max ? 1 : 0; /* the piece is full: pause */
}

static int list_row(const dag_dirent_t *e, void *ud) {
  list_state_t *c = ud;
  if (c->count == GW_DIR_MAX_ENTRIES) {
    c->more = true;
    return 2;
  }
  return put_row(c, e);
}

/* A gathered entry: tsize (8 bytes), name length (4), CID length (2), the
 * CID's bytes, the name.  Returns 0, 1 to pause (the first piece's share),
 * 2 at the caps, -ENOMEM. */
#define ENT_HDR 14
static int gather(const dag_dirent_t *e, void *ud) {
  list_state_t *c = ud;
  size_t need = ENT_HDR + e->cid.len + e->name_len;
  if (c->nents == GW_DIR_MAX_ENTRIES || c->ents.len + need > GW_DIR_SORT_BYTES) {
    c->more = true;
    return 2;
  }
  if (c->nents == c->offs_cap) {
    size_t nc = c->offs_cap ? c->offs_cap * 2 : 1024;
    size_t *o = tr_realloc(c->offs, nc * sizeof *o);
    if (!o)
      return -ENOMEM;
    c->offs = o;
    c->offs_cap = nc;
  }
  uint8_t h[ENT_HDR];
  uint32_t nl = (uint32_t)e->name_len;
  uint16_t cl = e->cid.len;
  memcpy(h, &e->tsize, 8);
  memcpy(h + 8, &nl, 4);
  memcpy(h + 12, &cl, 2);
  size_t at = c->ents.len;
  if (tr_bytes_append(&c->ents, h, sizeof h) ||
      tr_bytes_append(&c->ents, e->cid.bytes, cl) ||
      tr_bytes_append(&c->ents, e->name, e->name_len)) {
    c->ents.len = at;
    return -ENOMEM;
  }
  c->offs[c->nents++] = at;
  return c->nents == c->pause_at ? 1 : 0;
}

/* Names compare as bytes, shorter first on a tie: Go's string order, which
 * is the order of a basic directory's links. */
static int ent_cmp(const void *a, const void *b, void *arg) {
  const uint8_t *base = arg, *x = base + *(const size_t *)a,
                *y = base + *(const size_t *)b;
  uint32_t xl, yl;
  uint16_t xc, yc;
  memcpy(&xl, x + 8, 4);
  memcpy(&yl, y + 8, 4);
  memcpy(&xc, x + 12, 2);
  memcpy(&yc, y + 12, 2);
  int r = memcmp(x + ENT_HDR + xc, y + ENT_HDR + yc, xl < yl ? xl : yl);
  return r ? r : (xl > yl) - (xl < yl);
}

/* The sorted entries from c->next on, as rows, while the piece has room. */
static int sorted_rows(list_state_t *c) {
  while (c->next < c->nents && c->cap - c->n >= c->row_max) {
    const uint8_t *x = c->ents.data + c->offs[c->next];
    dag_dirent_t e;
    uint32_t nl;
    uint16_t cl;
    memcpy(&e.tsize, x, 8);
    memcpy(&nl, x + 8, 4);
    memcpy(&cl, x + 12, 2);
    if (dag_cid_decode(&e.cid, x + ENT_HDR, cl) < 0)
      return TR_EUNIXFS; /* it decoded when the walk gave it */
    e.name = (const char *)x + ENT_HDR + cl;
    e.name_len = nl;
    c->next++;
    put_row(c, &e);
  }
  return c->next == c->nents ? 0 : 1;
}

static int64_t fill_list(void *st, void *arg, uint8_t *buf, size_t cap) {
  bs_env_t *env = arg;
  list_state_t *c = st;
  c->buf = buf;
  c->n = 0;
  c->cap = cap;
  int phase0 = c->phase;
  if (c->phase == LS_HEAD) {
    /* The head is at most a few KiB (fixed-size path buffers) */
    size_t n = c->head.len < cap ? c->head.len : cap;
    memcpy(buf, c->head.data, n);
    c->n = n;
    c->phase = c->sorted ? LS_GATHER : LS_ROWS;
  }
  if (c->phase == LS_GATHER) {
    /* The first piece gathers FIRST_GATHER entries, then the headers and
     * the page head go out; the next gathers the rest, sorts them and
     * starts the rows. */
    gw_budget_t b = {.left = UINT64_MAX};
    c->pause_at = phase0 == LS_HEAD ? c->nents + FIRST_GATHER : SIZE_MAX;
    int rc = bs_txn_begin(env, BS_RDONLY, &b.txn);
    if (rc)
      return rc;
    rc = dag_ls_iter_run(&c->it, gw__budget_get, &b, gather, c);
    bs_txn_abort(b.txn);
    if (rc == TR_ENOTFOUND) {
      gw__miss_note(&c->miss, &b);
      if (phase0 == LS_HEAD)
        c->phase = LS_HEAD; /* the headers wait (a 504 if it never comes) */
      return phase0 == LS_HEAD ? rc : (c->n ? (int64_t)c->n : rc);
    }
    if (rc < 0)
      return rc;
    if (rc == 1)
      return (int64_t)c->n; /* the first piece: the head */
    qsort_r(c->offs, c->nents, sizeof *c->offs, ent_cmp, c->ents.data);
    c->phase = LS_ROWS;
  }
  if (c->phase == LS_ROWS && c->sorted && cap - c->n >= c->row_max) {
    int rc = bs_txn_begin(env, BS_RDONLY, &c->txn);
    if (rc)
      return rc;
    rc = sorted_rows(c);
    bs_txn_abort(c->txn);
    c->txn = NULL;
    if (rc < 0)
      return rc;
    if (rc == 0)
      c->phase = LS_FOOT;
  } else if (c->phase == LS_ROWS && cap - c->n >= c->row_max) {
    gw_budget_t b = {.left = GW_PIECE_BUDGET(cap)};
    size_t before = c->n;
    int rc = bs_txn_begin(env, BS_RDONLY, &b.txn);
    if (rc)
      return rc;
    c->txn = b.txn;
    rc = dag_ls_iter_run(&c->it, gw__budget_get, &b, list_row, c);
    c->txn = NULL;
    bs_txn_abort(b.txn);
    if (rc == TR_ENOTFOUND) {
      /* A shard is missing; the walk waits at it.  Rows made before it go
       * out now; with none, a first piece starts again from the head, so
       * that the headers still wait (a 504 if the shard never comes). */
      gw__miss_note(&c->miss, &b);
      if (c->n > before)
        return (int64_t)c->n;
      if (phase0 == LS_HEAD)
        c->phase = LS_HEAD;
      return rc;
    }
    if (rc < 0)
      return rc;
    if (rc == 0 || c->more)
      c->phase = LS_FOOT;
  }
  if (c->phase == LS_FOOT && cap - c->n >= 1024) {
    int w = c->more
                ? snprintf((char *)buf + c->n, cap - c->n,
                           "</table><p class=\"more\">The first %llu entries "
                           "are shown%s; there are more.  Get the whole "
                           "directory as a CAR (?format=car) or with "
                           "<code>trove ls</code>.</p></main><footer>served "
                           "by trove %s</footer></body></html>\n",
                           (unsigned long long)c->count,
                           c->sorted ? " (those the directory's shards gave "
                                       "first, sorted by name)" : "",
                           c->version)
                : snprintf((char *)buf + c->n, cap - c->n,
                           "</table></main><footer>%llu entr%s &middot; "
                           "served by trove %s</footer></body></html>\n",
                           (unsigned long long)c->count,
                           c->count == 1 ? "y" : "ies", c->version);
    c->n += (size_t)w;
    c->phase = LS_DONE;
  }
  return (int64_t)c->n;
}

static void free_list(void *st) {
  list_state_t *c = st;
  dag_ls_iter_free(&c->it);
  tr_bytes_free(&c->ents);
  tr_free(c->offs);
  tr_bytes_free(&c->head);
  tr_bytes_free(&c->base);
  gw__target_free(c->t);
  tr_free(c);
}

static int list_head(http_req_t *req, void *st, int64_t first) {
  list_state_t *c = st;
  gw_target_t *t = c->t;
  if (first < 0) {
    char s[DAG_CID_STR_MAX];
    dag_cid_str(&t->cid, s);
    gw_error(req, first == TR_ENOTFOUND || first == -ETIMEDOUT ? 504 : 502,
             "listing %s: %s", s,
             first == TR_EUNIXFS ? "malformed directory (a HAMT shard is "
                                   "malformed or reached twice)"
                                 : tr_strerror((int)first));
    return 1;
  }
  http_header_t h[10] = {{"Content-Type", "text/html; charset=utf-8"}};
  size_t n = gw__std_headers(t, c->etag, h, 1);
  /* A listing is immutable too (same CID, same entries), but keep it
   * revalidated in case the page layout changes with a trove upgrade.  An
   * /ipns/ listing keeps its name's TTL, stale for as long (boxo's
   * dirListingCacheControl). */
  char cc[96];
  for (size_t i = 0; i < n; i++)
    if (!strcmp(h[i].name, "Cache-Control")) {
      if (!strcmp(h[i].value, GW_CACHE_IMMUTABLE))
        h[i].value = "public, max-age=604800, stale-while-revalidate=2678400";
      else if (h[i].value == t->ipns_cc) {
        snprintf(cc, sizeof cc, "%s, stale-while-revalidate=2678400",
                 t->ipns_cc);
        h[i].value = cc;
      }
    }
  http_res_start(req, 200, h, n, -1);
  return 0;
}

/* The page head as Kubo's (the conformance suite reads it): the content
 * path as the title, "Index of" and the breadcrumbs -- "/ipfs" then each
 * step of the path linked to itself (no trailing slash) -- the CID, and
 * the way back up ("<path>/..") below a content root.  Also the rows'
 * base: the content path escaped, each link is base + name.
 *
 * On a DNSLink site (site: its host) the content path is /ipns/<host>/...,
 * but the site is mounted at the origin's root: links and the base leave
 * the /ipns/<host> out, crumbs point at //<host>/..., and CIDs link to
 * cid.ipfs.tech (a site's origin has no /ipfs/ of its own). */
static int build_head(list_state_t *c, const char *site, const char *rpath,
                      const char *sub) {
  gw_target_t *t = c->t;
  const char *cp = t->xpath ? t->xpath : t->ipfs_path;
  char *sitecp = NULL;
  if (site) {
    size_t rl = strlen(rpath), hl = strlen(site);
    sitecp = tr_malloc(hl + rl + 16);
    if (!sitecp)
      return -ENOMEM;
    int k = snprintf(sitecp, hl + 8, "/ipns/%s", site);
    int d = http_pct_decode(rpath, rl, sitecp + k);
    if (d < 0)
      sitecp[k] = 0;
    cp = sitecp;
  }
  char s[DAG_CID_STR_MAX];
  dag_cid_str(&t->cid, s);
  tr_bytes_t crumbs = {0}, href = {0}, full = {0};
  char esc[1024], seg[3100];
  int rc = 0;
  bool cut = false;
  size_t i = 0;
  for (const char *p = cp + 1; *p && !rc; i++) {
    size_t n = strcspn(p, "/");
    if (!n) { /* "//" or the final slash */
      p++;
      i--;
      continue;
    }
    gw__html_escape(p, n < 150 ? n : 150, esc, sizeof esc);
    gw__url_escape(p, n < 1000 ? n : 1000, seg, sizeof seg);
    p += n;
    /* The links' path: all of it, or on a site or a subdomain what
     * follows /ipns/<host> or /ipfs/<CID> (the origin's root). */
    if (!(rc = tr_bytes_append(&full, "/", 1)))
      rc = tr_bytes_append(&full, seg, strlen(seg));
    if (!rc && (!(site || sub) || i >= 2)) {
      if (!(rc = tr_bytes_append(&c->base, "/", 1)))
        rc = tr_bytes_append(&c->base, seg, strlen(seg));
    }
    if (rc || cut)
      continue;
    if (crumbs.len > CRUMBS_MAX) {
      /* Each crumb holds the whole path before it: a deep path would make
       * the head grow with the square of its length. */
      cut = true;
      rc = tr_bytes_append(&crumbs, "/&hellip;", 9);
      continue;
    }
    if (i == 0) { /* "/ipfs": no link */
      if (!(rc = tr_bytes_append(&crumbs, "/", 1)))
        rc = tr_bytes_append(&crumbs, esc, strlen(esc));
      continue;
    }
    href.len = 0;
    if (site) {
      if (!(rc = tr_bytes_append(&href, "//", 2)) &&
          !(rc = tr_bytes_append(&href, site, strlen(site))))
        rc = i == 1 ? tr_bytes_append(&href, "/", 1)
                    : tr_bytes_append(&href, c->base.data, c->base.len);
    } else if (sub) { /* the path gateway of the parent domain */
      if (!(rc = tr_bytes_append(&href, "//", 2)) &&
          !(rc = tr_bytes_append(&href, sub, strlen(sub))))
        rc = tr_bytes_append(&href, full.data, full.len);
    } else
      rc = tr_bytes_append(&href, full.data, full.len);
    if (!rc && !(rc = tr_bytes_append(&crumbs, "/<a href=\"", 10)) &&
        !(rc = tr_bytes_append(&crumbs, href.data, href.len)) &&
        !(rc = tr_bytes_append(&crumbs, "\">", 2)) &&
        !(rc = tr_bytes_append(&crumbs, esc, strlen(esc))))
      rc = tr_bytes_append(&crumbs, "</a>", 4);
  }
  tr_bytes_free(&href);
  tr_bytes_free(&full);
  if (!rc)
    rc = tr_bytes_append(&crumbs, "", 1); /* NUL */
  if (!rc && c->base.len + 1 > DIR_BASE_MAX)
    c->base.len = 0; /* relative links */
  else if (!rc)
    rc = tr_bytes_append(&c->base, "/", 1);
  if (!rc && !(rc = tr_bytes_append(&c->base, "", 1))) /* NUL */
    c->base.len--;
  c->site = site != NULL;
  if (sub)
    snprintf(c->hashpre, sizeof c->hashpre, "//%s", sub);
  c->row_max = ROW_MAX + c->base.len;
  char title[1024];
  gw__html_escape(cp, strlen(cp) < 300 ? strlen(cp) : 300, title, sizeof title);
  tr_free(sitecp);
  if (rc) {
    tr_bytes_free(&crumbs);
    return rc;
  }
  size_t hl = sizeof page_head + strlen(title) + crumbs.len + strlen(s) +
              c->base.len + 160;
  if (!(rc = tr_bytes_reserve(&c->head, hl))) {
    int w = snprintf((char *)c->head.data, hl, page_head, title,
                     (char *)crumbs.data, s);
    c->head.len = (size_t)w;
    if (t->npath) /* a parent to go back to */
      c->head.len += (size_t)snprintf(
          (char *)c->head.data + c->head.len, hl - c->head.len,
          "<tr><td class=\"n\"><a href=\"%s..\">..</a></td><td></td><td>"
          "</td></tr>\n",
          (char *)c->base.data);
  }
  tr_bytes_free(&crumbs);
  return rc;
}

void gw__serve_dir_listing(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t) {
  const char *path = http_req_path(req);
  if (!t->trailing_slash) {
    /* Relative links in the listing and in index.html need the slash. */
    char *loc = tr_malloc(strlen(path) + strlen(http_req_query(req)) + 4);
    if (!loc) {
      gw__target_free(t);
      gw_error(req, 500, "out of memory");
      return;
    }
    const char *q = http_req_query(req);
    sprintf(loc, "%s/%s%s", path, q[0] ? "?" : "", q);
    http_header_t h[8] = {{"Location", loc}};
    size_t n = gw__std_headers(t, NULL, h, 1);
    http_res_start(req, 301, h, n, 0);
    http_res_end(req);
    tr_free(loc);
    gw__target_free(t);
    return;
  }
  if (t->has_index) { /* found by gw__prepare() */
    t->path_cids[t->npath++] = t->cid;
    /* The directory is what was asked for: its CID is the ETag (boxo's),
     * so that a new index.html in a new directory is a new ETag too. */
    t->etag_dir = true;
    t->dir = t->cid;
    t->cid = t->index;
    /* Its Last-Modified is the directory's mtime too, not index.html's:
     * boxo dates the answer from the directory it resolved. */
    bool has_mtime = t->info.has_mtime;
    int64_t sec = t->info.mtime_sec;
    t->info = t->index_info;
    t->info.has_mtime = has_mtime;
    t->info.mtime_sec = sec;
    t->last_name = "index.html";
    gw__serve_file(req, ctx, t);
    return;
  }
  list_state_t *c = tr_calloc(1, sizeof *c);
  if (!c) {
    gw__target_free(t);
    gw_error(req, 500, "out of memory");
    return;
  }
  gw__miss_init(&c->miss, ctx, &t->cid);
  c->t = t;
  c->version = ctx->version;
  char s[DAG_CID_STR_MAX];
  dag_cid_str(&t->cid, s);
  snprintf(c->etag, sizeof c->etag, "\"DirIndex-trove3_CID-%s\"", s);
  dag_ls_iter_init(&c->it, &t->cid, 0, NULL, NULL);
  c->sorted = t->info.unixfs_type == DAG_UNIXFS_HAMT;
  if (gw__not_modified(req, t, c->etag)) {
    free_list(c);
    return;
  }
  char site[256];
  gw_host_t hp;
  bool is_sub = gw__host_parse(req, ctx, &hp) == GW_HOST_SUBDOMAIN;
  bool is_site = !is_sub && gw__dnslink_site(req, ctx, site, sizeof site);
  if (build_head(c, is_site ? site : NULL, path, is_sub ? hp.parent : NULL)) {
    free_list(c);
    gw_error(req, 500, "out of memory");
    return;
  }
  if (!strcmp(http_req_method(req), "HEAD")) {
    list_head(req, c, 0);
    free_list(c);
    http_res_end(req);
    return;
  }
  http_stream_opts_t o = gw__stream_opts(ctx, 0);
  o.head = list_head;
  http_stream_start_opts(req, ctx->env, fill_list, free_list, c, &o);
}

/*
 * gw_dir.c — directories on the path gateway: the trailing-slash redirect,
 * index.html, and an HTML listing (names, sizes, CIDs) that reads well in a
 * browser.  Names come from the DAG and are untrusted: every one is
 * HTML-escaped for text and percent-encoded for links.
 */
#include <stdio.h>
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
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (size_t i = 0; i < n && o + 4 < outsz; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || (c && strchr("-._~!$()*+,;=:@", c)))
      out[o++] = (char)c;
    else {
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
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

typedef struct list_ctx {
  tr_bytes_t html;
  const char *base; /* the request path, ending in '/' */
  int err;
  size_t count;
} list_ctx_t;

static void put(list_ctx_t *c, const char *s) {
  if (!c->err)
    c->err = tr_bytes_append(&c->html, s, strlen(s));
}

static int list_entry(const dag_dirent_t *e, void *ud) {
  list_ctx_t *c = ud;
  char name[1024], href[2048], cid[DAG_CID_STR_MAX], size[32], row[8192];
  gw__html_escape(e->name, e->name_len, name, sizeof name);
  gw__url_escape(e->name, e->name_len, href, sizeof href);
  dag_cid_str(&e->cid, cid);
  human(e->tsize, size, sizeof size);
  snprintf(row, sizeof row,
           "<tr><td class=\"n\"><a href=\"%s\">%s</a></td>"
           "<td class=\"c\"><a class=\"cid\" href=\"/ipfs/%s?filename=%s\" "
           "title=\"%s\">%.*s&hellip;%s</a></td><td class=\"s\">%s</td></tr>\n",
           href, name, cid, href, cid, 8, cid, cid + strlen(cid) - 6, size);
  put(c, row);
  c->count++;
  return c->err;
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
    "</style></head><body><header><b>trove</b> &middot; IPFS gateway</header>"
    "<main><div class=\"path\">%s</div><div class=\"root\">%s</div><table>\n";

void gw__serve_dir_listing(gw_req_t *req, gw_ctx_t *ctx, gw_target_t *t) {
  const char *path = gw_req_path(req);
  if (!t->trailing_slash) {
    /* Relative links in the listing and in index.html need the slash. */
    char loc[4200];
    const char *q = gw_req_query(req);
    snprintf(loc, sizeof loc, "%s/%s%s", path, q[0] ? "?" : "", q);
    gw_header_t h[8] = {{"Location", loc}};
    size_t n = gw__std_headers(t, NULL, h, 1);
    gw_res_start(req, 301, h, n, 0);
    gw_res_end(req);
    tr_free(t);
    return;
  }
  bs_txn_t *txn;
  int rc = bs_txn_begin(ctx->env, BS_RDONLY, &txn);
  if (rc) {
    gw_error(req, 500, "repo: %s", tr_strerror(rc));
    tr_free(t);
    return;
  }
  dag_cid_t index;
  rc = dag_resolve(&t->cid, "index.html", 10, bs_get_cb, txn, &index);
  if (rc == 0) {
    dag_node_info_t info;
    if (dag_stat(&index, bs_get_cb, txn, &info) == 0 &&
        info.kind == DAG_NODE_FILE) {
      bs_txn_abort(txn);
      t->path_cids[t->npath++] = t->cid;
      t->cid = index;
      t->info = info;
      snprintf(t->last_name, sizeof t->last_name, "index.html");
      gw__serve_file(req, ctx, t);
      return;
    }
  }
  char s[DAG_CID_STR_MAX], etag[DAG_CID_STR_MAX + 32];
  dag_cid_str(&t->cid, s);
  snprintf(etag, sizeof etag, "\"DirIndex-trove1_CID-%s\"", s);
  if (gw__not_modified(req, t, etag)) {
    bs_txn_abort(txn);
    tr_free(t);
    return;
  }
  list_ctx_t c = {{0}, path, 0, 0};
  /* Breadcrumbs: each step of the path links to itself. */
  char crumbs[8192] = "", title[1024], esc[1024], seg[1024], acc[4096] = "";
  size_t co = 0, ao = 0;
  const char *p = t->ipfs_path + 1;
  while (*p && co < sizeof crumbs - 1 && ao < sizeof acc - 1) {
    size_t n = strcspn(p, "/");
    gw__html_escape(p, n, esc, sizeof esc);
    gw__url_escape(p, n, seg, sizeof seg);
    ao += (size_t)snprintf(acc + ao, sizeof acc - ao, "/%s", seg);
    co += (size_t)snprintf(crumbs + co, sizeof crumbs - co,
                           "/<a href=\"%s/\">%s</a>", acc, esc);
    p += n;
    if (*p == '/')
      p++;
  }
  gw__html_escape(t->ipfs_path, strlen(t->ipfs_path), title, sizeof title);
  char root[DAG_CID_STR_MAX + 64];
  snprintf(root, sizeof root, "%s", s);
  size_t hl = sizeof page_head + strlen(title) + strlen(crumbs) + strlen(root) + 64;
  char *head = tr_malloc(hl);
  if (head) {
    snprintf(head, hl, page_head, title, crumbs, root);
    put(&c, head);
    tr_free(head);
  }
  if (t->npath) /* a parent to go back to */
    put(&c, "<tr><td class=\"n\"><a href=\"..\">..</a></td><td></td><td></td></tr>\n");
  rc = dag_ls(&t->cid, bs_get_cb, txn, list_entry, &c);
  bs_txn_abort(txn);
  if (rc || c.err) {
    tr_bytes_free(&c.html);
    gw_error(req, rc == TR_ENOTFOUND ? 504 : 502, "listing %s: %s", s,
             tr_strerror(rc ? rc : c.err));
    tr_free(t);
    return;
  }
  char foot[256];
  snprintf(foot, sizeof foot,
           "</table></main><footer>%zu entr%s &middot; served by trove %s"
           "</footer></body></html>\n",
           c.count, c.count == 1 ? "y" : "ies", ctx->version);
  put(&c, foot);
  gw_header_t h[10] = {{"Content-Type", "text/html; charset=utf-8"}};
  size_t n = gw__std_headers(t, etag, h, 1);
  /* A listing is immutable too (same CID, same entries), but keep it
   * revalidated in case the page layout changes with a trove upgrade. */
  for (size_t i = 0; i < n; i++)
    if (!strcmp(h[i].name, "Cache-Control"))
      h[i].value = "public, max-age=604800, stale-while-revalidate=2678400";
  gw_res_start(req, 200, h, n, (int64_t)c.html.len);
  gw_res_write(req, c.html.data, c.html.len);
  gw_res_end(req);
  tr_bytes_free(&c.html);
  tr_free(t);
}

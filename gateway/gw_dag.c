/*
 * gw_dag.c — the HTML preview of a DAG-JSON, DAG-CBOR, JSON or CBOR block:
 * what the gateway answers a browser (Accept: text/html) asking for one,
 * as Kubo's dag-index-html does: the CID, the codec, links to the block in
 * its own format and as raw bytes or a CAR, and the data as DAG-JSON text.
 *
 * Not a converter: the data is shown, never served as another codec
 * (IPIP-0524).  The page is built in memory: one block is at most a few
 * MiB, and its text a few times that.
 */
#include <stdio.h>
#include <string.h>

#include "gw_int.h"
#include "../dag/dagjson.h"

/* Append p[0..n) HTML-escaped. */
static int put_escaped(tr_bytes_t *b, const uint8_t *p, size_t n) {
  size_t s = 0;
  for (size_t i = 0; i < n; i++) {
    const char *e = p[i] == '<'   ? "&lt;"
                    : p[i] == '>' ? "&gt;"
                    : p[i] == '&' ? "&amp;"
                    : p[i] == '"' ? "&#34;"
                                  : NULL;
    if (!e)
      continue;
    if (tr_bytes_append(b, p + s, i - s) || tr_bytes_append(b, e, strlen(e)))
      return -ENOMEM;
    s = i + 1;
  }
  return tr_bytes_append(b, p + s, n - s);
}

static int put(tr_bytes_t *b, const char *s) {
  return tr_bytes_append(b, s, strlen(s));
}

/* The page for the block data[0..len) of t->cid. */
static int page(tr_bytes_t *b, const gw_target_t *t, const uint8_t *data,
                size_t len) {
  char s[DAG_CID_STR_MAX], line[4 * DAG_CID_STR_MAX + 1024];
  dag_cid_str(&t->cid, s);
  uint64_t codec = t->cid.codec;
  const char *cname = dag_codec_name(codec);
  const gw_blockfmt_t *own = gw__blockfmt(gw__codec_fmt(codec));
  int rc = put(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
  snprintf(line, sizeof line,
           "%s (%s)</title>\n<style>body{font-family:sans-serif;margin:2em}"
           "pre{background:#f4f4f4;padding:1em;overflow:auto;white-space:pre-wrap}"
           ".ipfs-hash{font-family:monospace}</style>\n</head>\n<body>\n"
           "<h1>%s preview</h1>\n<p>CID: <a class=\"ipfs-hash\" translate=\"no\" "
           "href=\"/ipfs/%s\">%s</a><br>Codec: %s (0x%llx), %zu bytes</p>\n",
           s, cname ? cname : "?", cname ? cname : "?", s, s, cname ? cname : "?",
           (unsigned long long)codec, len);
  if (rc == 0)
    rc = put(b, line);
  snprintf(line, sizeof line,
           "<p>Download: <a href=\"/ipfs/%s?format=%s\">%s</a> · "
           "<a href=\"/ipfs/%s?format=raw\">raw block</a> · "
           "<a href=\"/ipfs/%s?format=car\">CAR</a></p>\n<pre>",
           s, own ? own->suffix : "raw", own ? own->ctype : "raw", s, s);
  if (rc == 0)
    rc = put(b, line);
  if (rc)
    return rc;
  if (codec == DAG_CODEC_DAG_JSON || codec == DAG_CODEC_JSON) {
    rc = put_escaped(b, data, len);
  } else {
    tr_bytes_t j = {0};
    int jr = dag_cbor_to_json(data, len, &j);
    if (jr == -ENOMEM)
      rc = jr;
    else if (jr)
      rc = put(b, "(this block is not DAG-CBOR that can be shown as DAG-JSON)");
    else
      rc = put_escaped(b, j.data, j.len);
    tr_bytes_free(&j);
  }
  return rc ? rc : put(b, "</pre>\n</body>\n</html>\n");
}

void gw__serve_dag_preview(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t) {
  char s[DAG_CID_STR_MAX], etag[DAG_CID_STR_MAX + 40];
  dag_cid_str(&t->cid, s);
  /* Like the listing's DirIndex ETag: the page's own version and the CID. */
  snprintf(etag, sizeof etag, "\"DagIndex-trove1_CID-%s\"", s);
  if (gw__not_modified(req, t, etag)) {
    gw__target_free(t);
    return;
  }
  bs_txn_t *txn;
  const uint8_t *data;
  size_t len = 0;
  tr_bytes_t b = {0};
  int rc = bs_txn_begin(ctx->env, BS_RDONLY, &txn);
  if (rc == 0) {
    rc = bs_get(txn, &t->cid, &data, &len);
    if (rc == 0)
      rc = page(&b, t, data, len);
    bs_txn_abort(txn);
  }
  if (rc) {
    gw_error(req, rc == TR_ENOTFOUND ? 504 : 500, "block %s: %s", s,
             tr_strerror(rc));
  } else {
    http_header_t h[16] = {{"Content-Type", "text/html; charset=utf-8"},
                           {"Vary", "Accept"}};
    size_t n = gw__std_headers(t, etag, h, 2);
    /* A generated page, not the immutable block: no Cache-Control, as
     * boxo sends none for its HTML. */
    for (size_t i = 0; i < n; i++)
      if (!strcmp(h[i].name, "Cache-Control"))
        h[i--] = h[--n];
    http_res_start(req, 200, h, n, (int64_t)b.len);
    if (strcmp(http_req_method(req), "HEAD"))
      http_res_write(req, b.data, b.len);
    http_res_end(req);
  }
  tr_bytes_free(&b);
  gw__target_free(t);
}

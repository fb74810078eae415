/*
 * rpc_util.c — the RPC API's shared plumbing (rpc.h): query parameters as
 * go-ipfs-cmds parses them, Kubo's error answers and response headers, paths.
 * Worker-pool jobs and their fetching live in rpc_job.c, the upload thread
 * in rpc_upload.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dag/reader.h"
#include "rpc_int.h"

/* ------------------------------------------------------------- params */

/* Form-decode s[0..n) into a new string: '+' is a space, %XX a byte.
 * *out is NULL and the result TR_EUSAGE for a bad escape or a NUL. */
static int form_decode(const char *s, size_t n, char **out) {
  *out = NULL;
  if (n > RPC_MAX_ARG * 3)
    return TR_EUSAGE;
  char *d = tr_malloc(n + 1);
  if (!d)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++)
    d[i] = s[i] == '+' ? ' ' : s[i];
  /* In place: the decoded string is never longer than its input. */
  int o = http_pct_decode(d, n, d);
  if (o < 0 || (size_t)o > RPC_MAX_ARG) {
    tr_free(d);
    return TR_EUSAGE;
  }
  *out = d;
  return 0;
}

void rpc_strv_free(char **v, size_t n) {
  for (size_t i = 0; i < n; i++)
    tr_free(v[i]);
  tr_free(v);
}

int rpc_args(const http_req_t *req, const char *key, char ***out, size_t *np) {
  const char *q = http_req_query(req);
  size_t kl = strlen(key), n = 0, cap = 0;
  char **v = NULL;
  int rc = 0;
  *out = NULL;
  *np = 0;
  while (*q) {
    size_t len = strcspn(q, "&");
    const char *eq = memchr(q, '=', len);
    size_t klen = eq ? (size_t)(eq - q) : len;
    char *k = NULL;
    if ((rc = form_decode(q, klen, &k)))
      break;
    bool match = strlen(k) == kl && !memcmp(k, key, kl);
    tr_free(k);
    if (match) {
      if (n == cap) {
        cap = cap ? cap * 2 : 4;
        char **nv = tr_realloc(v, cap * sizeof *nv);
        if (!nv) {
          rc = -ENOMEM;
          break;
        }
        v = nv;
      }
      const char *val = eq ? eq + 1 : q + len;
      if ((rc = form_decode(val, (size_t)(q + len - val), &v[n])))
        break;
      n++;
    }
    q += len;
    if (*q == '&')
      q++;
  }
  if (rc) {
    rpc_strv_free(v, n);
    return rc;
  }
  *out = v;
  *np = n;
  return 0;
}

int rpc_opt_str(const http_req_t *req, const char *key, char **out) {
  char **v;
  size_t n;
  *out = NULL;
  int rc = rpc_args(req, key, &v, &n);
  if (rc || !n)
    return rc;
  *out = v[0];
  v[0] = NULL;
  rpc_strv_free(v, n);
  return 0;
}

int rpc_opt_bool(const http_req_t *req, const char *key, bool dflt, bool *out) {
  char *s;
  int rc = rpc_opt_str(req, key, &s);
  *out = dflt;
  if (rc || !s)
    return rc;
  static const char *const t[] = {"", "1", "t", "T", "TRUE", "true", "True"};
  static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
  rc = TR_EUSAGE;
  for (size_t i = 0; i < TR_ARRAY_LEN(t); i++)
    if (!strcmp(s, t[i]))
      *out = true, rc = 0;
  for (size_t i = 0; i < TR_ARRAY_LEN(f); i++)
    if (!strcmp(s, f[i]))
      *out = false, rc = 0;
  tr_free(s);
  return rc;
}

int rpc_opt_i64(const http_req_t *req, const char *key, int64_t dflt,
                int64_t *out) {
  char *s;
  int rc = rpc_opt_str(req, key, &s);
  *out = dflt;
  if (rc || !s)
    return rc;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  rc = errno || end == s || *end ? TR_EUSAGE : 0;
  if (!rc)
    *out = v;
  tr_free(s);
  return rc;
}

int rpc_vals_req(rpc_vals_t *v, const rpc_cmddef_t *d, const http_req_t *req,
                 char *err, size_t errlen) {
  memset(v, 0, sizeof *v);
  v->def = d;
  for (size_t k = 0; d->opts[k].name; k++) {
    if (!d->opts[k].rpc)
      continue; /* the CLI's alone: a client's value is not ours to read */
    char *s;
    int rc = rpc_opt_str(req, d->opts[k].rpc, &s);
    if (rc) {
      snprintf(err, errlen, "option %s: %s", d->opts[k].rpc,
               tr_strerror(rc));
      rpc_vals_free(v);
      return rc;
    }
    if (!s)
      continue;
    v->owned[k] = s;
    if ((rc = rpc_vals_set(v, k, s, err, errlen))) {
      rpc_vals_free(v);
      return rc;
    }
  }
  return 0;
}

int rpc_one_arg(http_req_t *req, const char *what, char **out) {
  char **v;
  size_t n;
  *out = NULL;
  int rc = rpc_args(req, "arg", &v, &n);
  if (rc) {
    rpc_error(req, 400, "invalid argument: %s", tr_strerror(rc));
    return rc;
  }
  if (n != 1) {
    rpc_strv_free(v, n);
    if (n == 0)
      rpc_error(req, 400, "argument \"%s\" is required", what);
    else
      rpc_error(req, 400, "expected 1 argument \"%s\", got %zu", what, n);
    return TR_EUSAGE;
  }
  *out = v[0];
  v[0] = NULL;
  rpc_strv_free(v, n);
  return 0;
}

int rpc_parse_path(const char *arg, dag_cid_t *cid, const char **path) {
  int ns;
  const char *s = dag_path_rest(arg, &ns);
  if (ns == DAG_NS_IPNS)
    return TR_ECID; /* a name: not a CID */
  size_t n = strcspn(s, "/");
  int rc = dag_cid_parse(cid, s, n);
  if (rc)
    return rc;
  *path = s + n;
  return 0;
}

/* ------------------------------------------------------------ answers */

int rpc_status_for(int err) {
  switch (err) {
  case TR_EUSAGE:
  case TR_ECID:
  case TR_EMULTIBASE:
  case TR_EBASE:
  case TR_EMULTIHASH:
  case TR_EVARINT:
  case TR_EMULTIPART:
  case TR_ECHUNKER:
    return 400;
  default:
    return 500;
  }
}

const char *rpc_errmsg(int err, const char *what, char *buf, size_t n) {
  switch (err) {
  case TR_ENOTFOUND:
    /* Kubo's words for a block an offline node does not have. */
    snprintf(buf, n, "block was not found locally (offline): ipld: could not "
             "find %s", what);
    break;
  case TR_EPATH:
    snprintf(buf, n, "no link named \"%s\" under the path", what);
    break;
  case TR_ECID:
  case TR_EMULTIBASE:
  case TR_EBASE:
  case TR_EMULTIHASH:
  case TR_EVARINT:
    snprintf(buf, n, "invalid path \"%s\": invalid cid: %s", what,
             tr_strerror(err));
    break;
  case TR_ENOTDIR:
    snprintf(buf, n, "%s: not a directory", what);
    break;
  case TR_ENOTFILE:
    snprintf(buf, n, "%s: this dag node is a directory", what);
    break;
  default:
    snprintf(buf, n, "%s: %s", what, tr_strerror(err));
  }
  return buf;
}

void rpc_error(http_req_t *req, int status, const char *fmt, ...) {
  char msg[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_t *o = json_pack("{s:o,s:i,s:s}", "Message", rpc_json_str(msg),
                        "Code", status == 400 ? 1 : 0, "Type", "error");
  char *s = o ? rpc_json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  size_t n = s ? strlen(s) : 0;
  http_header_t h[] = {{"Content-Type", "application/json"},
                     {"Cache-Control", "no-cache"},
                     {"Vary", "Origin"}};
  http_res_start(req, status, h, TR_ARRAY_LEN(h), (int64_t)n + 1);
  if (s)
    http_res_write(req, s, n);
  http_res_write(req, "\n", 1);
  http_res_end(req);
  free(s);
}

#define EXPOSED "X-Stream-Output, X-Chunked-Output, X-Content-Length"

int rpc_start(http_req_t *req, int kind, const char *ctype, int64_t length,
              int64_t xlen) {
  char xl[24];
  http_header_t h[8] = {
      {"Content-Type", ctype ? ctype : "application/json"},
      {"Access-Control-Allow-Headers", EXPOSED},
      {"Access-Control-Expose-Headers", EXPOSED},
      {"Trailer", "X-Stream-Error"},
      {"Vary", "Origin"},
      {"Cache-Control", "no-cache"},
  };
  size_t n = 6;
  if (kind == RPC_STREAM)
    h[n++] = (http_header_t){"X-Stream-Output", "1"};
  else if (kind == RPC_CHUNKED)
    h[n++] = (http_header_t){"X-Chunked-Output", "1"};
  if (xlen >= 0) {
    snprintf(xl, sizeof xl, "%lld", (long long)xlen);
    h[n++] = (http_header_t){"X-Content-Length", xl};
  }
  return http_res_start(req, 200, h, n, length);
}

/* ---------------------------------------------------------- utilities */

char *rpc_json_dumps(const json_t *o, size_t flags) {
  char *s = json_dumps(o, flags);
  if (!s)
    return NULL;
  /* Go's encoding/json writes <, > and & as \u003c, \u003e and \u0026
   * (they can only stand inside strings). */
  size_t extra = 0, n = 0;
  for (; s[n]; n++)
    extra += s[n] == '<' || s[n] == '>' || s[n] == '&' ? 5 : 0;
  if (!extra)
    return s;
  char *d = malloc(n + extra + 1), *o2 = d;
  if (d) {
    for (size_t i = 0; i < n; i++) {
      const char *e = s[i] == '<' ? "\\u003c" : s[i] == '>' ? "\\u003e"
                      : s[i] == '&' ? "\\u0026" : NULL;
      if (e) {
        memcpy(o2, e, 6);
        o2 += 6;
      } else {
        *o2++ = s[i];
      }
    }
    *o2 = 0;
  }
  free(s);
  return d;
}

json_t *rpc_json_strn(const char *s, size_t n) {
  if (tr_utf8_valid(s, n))
    return json_stringn_nocheck(s, n);
  size_t len;
  char *v = tr_utf8_fix(s, n, &len);
  json_t *j = v ? json_stringn_nocheck(v, len) : NULL;
  tr_free(v);
  return j;
}

json_t *rpc_json_str(const char *s) { return rpc_json_strn(s, strlen(s)); }

static int cmp_strp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *rpc_json_nil_if_empty(json_t *arr) {
  if (!arr || json_array_size(arr))
    return arr;
  json_decref(arr);
  return json_null();
}

json_t *rpc_json_sorted(const char **v, size_t n) {
  json_t *a = json_array();
  if (!a)
    return NULL;
  if (n > 1) /* qsort(NULL, 0) is undefined */
    qsort(v, n, sizeof *v, cmp_strp);
  for (size_t i = 0; i < n; i++)
    if (json_array_append_new(a, rpc_json_str(v[i]))) {
      json_decref(a);
      return NULL;
    }
  return a;
}

char *rpc_query_unescape(const char *s) {
  char *d;
  int rc = form_decode(s, strlen(s), &d);
  if (rc == TR_EUSAGE)
    return tr_strdup(s);
  return d;
}

char *rpc_clean_path(const char *filename) {
  char *u = rpc_query_unescape(filename ? filename : "");
  if (!u)
    return NULL;
  /* path.Clean("/" + u): drop empty and "." elements, resolve ".." (never
   * above the root), no trailing slash. */
  size_t n = strlen(u);
  char *out = tr_malloc(n + 1);
  if (!out) {
    tr_free(u);
    return NULL;
  }
  size_t o = 0;
  const char *p = u;
  while (*p) {
    while (*p == '/')
      p++;
    size_t len = strcspn(p, "/");
    if (len == 0)
      break;
    if (len == 1 && p[0] == '.') {
      /* skip */
    } else if (len == 2 && p[0] == '.' && p[1] == '.') {
      while (o > 0 && out[o - 1] != '/')
        o--;
      if (o > 0)
        o--;
    } else {
      if (o)
        out[o++] = '/';
      memcpy(out + o, p, len);
      o += len;
    }
    p += len;
  }
  out[o] = 0;
  tr_free(u);
  return out;
}

/* ------------------------------------------------------------ paths */

int rpc_resolve_cb(const char *arg, dag_get_cb get, void *ud, dag_cid_t *out,
                   dag_cid_t *rootp) {
  const char *path;
  dag_cid_t root;
  int rc = rpc_parse_path(arg, &root, &path);
  if (!rc && rootp)
    *rootp = root;
  if (!rc && *path)
    rc = dag_resolve(&root, path, strlen(path), get, ud, out);
  else if (!rc)
    *out = root;
  return rc;
}

int rpc_resolve(bs_txn_t *txn, const char *arg, dag_cid_t *out) {
  return rpc_resolve_cb(arg, bs_get_cb, txn, out, NULL);
}

void rpc_resolve_miss(const char *arg, dag_get_cb get, void *ud, char *buf,
                      size_t n) {
  const char *path;
  dag_cid_t cur, next;
  char s[DAG_CID_STR_MAX];
  snprintf(buf, n, "no link named \"%s\" under the path", arg);
  if (rpc_parse_path(arg, &cur, &path))
    return;
  /* Segment by segment (the error path only): the one not found, and the
   * CID of the node it was looked for in, as Kubo names them. */
  while (*path) {
    while (*path == '/')
      path++;
    size_t l = strcspn(path, "/");
    if (!l)
      break;
    int rc = dag_resolve(&cur, path, l, get, ud, &next);
    if (rc == TR_EPATH) {
      snprintf(buf, n, "no link named \"%.*s\" under %s", (int)l, path,
               dag_cid_str(&cur, s));
      return;
    }
    if (rc)
      return;
    cur = next;
    path += l;
  }
}

/* ------------------------------------------------------------ answers */

void rpc_api_error(http_req_t *req, int status, const char *msg) {
  json_t *o = json_pack("{s:o,s:i,s:s}", "Message", rpc_json_str(msg), "Code",
                        0, "Type", "error");
  char *s = o ? rpc_json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  http_header_t h[] = {{"Content-Type", "application/json"},
                     {"Cache-Control", "no-cache"}};
  size_t n = s ? strlen(s) : 0;
  http_res_start(req, status, h, 2, (int64_t)n + 1);
  if (s)
    http_res_write(req, s, n);
  http_res_write(req, "\n", 1);
  http_res_end(req);
  free(s);
}

void rpc_api_json(http_req_t *req, json_t *o) {
  /* o NULL: the caller's json_pack or json_array failed. */
  char *s = o ? rpc_json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  json_decref(o);
  if (!s) {
    rpc_api_error(req, 500, "out of memory");
    return;
  }
  http_header_t h[] = {{"Content-Type", "application/json"},
                     {"Cache-Control", "no-cache"},
                     {"Vary", "Origin"}};
  size_t n = strlen(s);
  http_res_start(req, 200, h, 3, (int64_t)n + 1);
  http_res_write(req, s, n);
  http_res_write(req, "\n", 1);
  http_res_end(req);
  free(s);
}

void rpc_write_line(http_req_t *req, json_t *o) {
  char *s = o ? rpc_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  json_decref(o);
  if (s) {
    http_res_write(req, s, strlen(s));
    http_res_write(req, "\n", 1);
  }
  free(s);
}

void rpc_announce(rpc_ctx_t *ctx, const dag_cid_t *cid) {
  if (ctx && ctx->announce)
    ctx->announce(ctx->announce_ud, cid->bytes + cid->mh_off,
                  (size_t)(cid->len - cid->mh_off));
}

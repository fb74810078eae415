/*
 * rpc_util.c — the RPC API's shared plumbing (rpc.h): query parameters as
 * go-ipfs-cmds parses them, Kubo's error answers and response headers, and
 * worker-pool jobs.  The upload thread lives in rpc_upload.c.
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
  const char *s = arg;
  if (!strncmp(s, "/ipfs/", 6))
    s += 6;
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
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
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

/* ---------------------------------------------------------------- jobs */

static void timer_free(uv_handle_t *h) { tr_free(h); }

static void job_free(rpc_job_t *j) {
  if (j->timer)
    uv_close((uv_handle_t *)j->timer, timer_free);
  if (j->free_state && j->state)
    j->free_state(j->state);
  json_decref(j->json);
  tr_bytes_free(&j->out);
  tr_free(j);
}

static void job_work(uv_work_t *w) {
  rpc_job_t *j = w->data;
  j->fn(j);
}

/* -------------------------------------------------- fetching in jobs */

int rpc_fetch_policy(http_req_t *req, const rpc_ctx_t *ctx, bool *on,
                     uint32_t *ms) {
  bool off = false;
  char *t = NULL;
  int rc = rpc_opt_bool(req, "offline", false, &off);
  if (!rc)
    rc = rpc_opt_str(req, "timeout", &t);
  uint64_t ns = 0;
  if (!rc && t && (rc = tr_parse_duration(t, &ns)) == 0 && ns == 0)
    rc = TR_EUSAGE;
  tr_free(t);
  if (rc)
    return TR_EUSAGE;
  *on = ctx->fetcher && !ctx->offline && !off;
  uint64_t m = ns ? ns / 1000000 : ctx->fetch_timeout_ms ? ctx->fetch_timeout_ms
                                                         : RPC_FETCH_TIMEOUT_MS;
  *ms = m > UINT32_MAX ? UINT32_MAX : m ? (uint32_t)m : 1;
  return 0;
}

int rpc_job_get(const dag_cid_t *cid, const uint8_t **data, size_t *len,
                void *ud) {
  rpc_job_t *j = ud;
  int rc = bs_get(j->txn, cid, data, len);
  if (rc == TR_ENOTFOUND) {
    j->missing = *cid;
    j->has_missing = true;
  }
  return rc;
}

static void job_work(uv_work_t *w);
static void job_after(uv_work_t *w, int status);

/* The client left while the job waits for a block. */
static void job_gone(http_req_t *req, void *ud) {
  rpc_job_t *j = ud;
  if (j->fetch)
    j->ctx->fetcher->cancel(j->ctx->fetcher->ud, j->fetch);
  j->fetch = 0;
  http_res_end(req);
  job_free(j);
}

static void job_fetch_end(rpc_job_t *j) {
  http_req_on_close(j->req, NULL, NULL);
  uv_timer_stop(j->timer);
}

static void job_fetch_timeout(uv_timer_t *t) {
  rpc_job_t *j = t->data;
  j->ctx->fetcher->cancel(j->ctx->fetcher->ud, j->fetch);
  j->fetch = 0;
  job_fetch_end(j);
  char s[DAG_CID_STR_MAX];
  rpc_error(j->req, 500, "context deadline exceeded: block %s not retrieved "
            "in time", dag_cid_str(&j->last, s));
  job_free(j);
}

static void job_fetched(void *arg, int status) {
  rpc_job_t *j = arg;
  j->fetch = 0;
  job_fetch_end(j);
  if (status) {
    char s[DAG_CID_STR_MAX];
    rpc_error(j->req, 500, "cannot retrieve %s: %s", dag_cid_str(&j->last, s),
              tr_strerror(status));
    job_free(j);
    return;
  }
  /* Run again from the start, with nothing of the failed run kept. */
  j->status = 0;
  j->err[0] = 0;
  json_decref(j->json);
  j->json = NULL;
  j->out.len = 0;
  j->has_missing = false;
  if (uv_queue_work(j->ctx->loop, &j->work, job_work, job_after)) {
    rpc_error(j->req, 500, "cannot queue work");
    job_free(j);
  }
}

/* After a failed run: fetch what it lacked; true when a fetch started. */
static bool job_refetch(rpc_job_t *j) {
  if (!j->refetch || !j->fetch_on || !j->has_missing)
    return false;
  if (j->has_last && dag_cid_equal(&j->last, &j->missing))
    return false; /* fetched, and missing still */
  uint64_t now = uv_now(j->ctx->loop);
  if (now >= j->deadline)
    return false;
  if (!j->timer) {
    if (!(j->timer = tr_malloc(sizeof *j->timer)))
      return false;
    uv_timer_init(j->ctx->loop, j->timer);
    j->timer->data = j;
  }
  const bs_fetcher_t *f = j->ctx->fetcher;
  j->fetch = f->fetch(f->ud, &j->missing, &j->hint, 0, job_fetched, j);
  if (!j->fetch)
    return false;
  j->last = j->missing;
  j->has_last = true;
  http_req_on_close(j->req, job_gone, j);
  uv_timer_start(j->timer, job_fetch_timeout, j->deadline - now, 0);
  return true;
}

/* ------------------------------------------------------- the stream's */

static void miss_done(void *arg, int status) {
  rpc_miss_t *m = arg;
  m->handle = 0;
  http_stream_resume(m->s, status);
}

static int miss_wait(void *state, int64_t err, http_stream_t *s) {
  rpc_miss_t *m = state;
  if (err != TR_ENOTFOUND || !m->has || !m->f)
    return -1;
  m->has = false;
  if (m->has_last && dag_cid_equal(&m->last, &m->cid))
    return -1;
  m->s = s;
  m->handle = m->f->fetch(m->f->ud, &m->cid, &m->root, 0, miss_done, m);
  if (!m->handle)
    return -1;
  m->last = m->cid;
  m->has_last = true;
  return 0;
}

static void miss_cancel(void *state) {
  rpc_miss_t *m = state;
  if (m->handle)
    m->f->cancel(m->f->ud, m->handle);
  m->handle = 0;
}

void rpc_job_stream_fetch(rpc_job_t *j, http_fill_fn fill, rpc_miss_t *m,
                          const dag_cid_t *root) {
  void *state = j->state;
  j->state = NULL;
  memset(m, 0, sizeof *m);
  http_stream_opts_t o = {0};
  if (j->fetch_on) {
    m->f = j->ctx->fetcher;
    m->root = *root;
    o.wait = miss_wait;
    o.cancel = miss_cancel;
    o.wait_timeout_ms = j->fetch_ms;
  }
  http_stream_start_opts(j->req, j->ctx->env, fill, j->free_state, state, &o);
  job_free(j);
}

static void job_after(uv_work_t *w, int status) {
  rpc_job_t *j = w->data;
  if (status != UV_ECANCELED && j->status >= 400 && job_refetch(j))
    return;
  if (status == UV_ECANCELED && j->status < 400)
    rpc_job_fail(j, 500, "request cancelled");
  if (j->done && j->status < 400)
    j->done(j);
  else
    rpc_job_answer(j);
}

static int job_run(http_req_t *req, rpc_ctx_t *ctx, rpc_work_fn fn,
                   rpc_done_fn done, void *state,
                   void (*free_state)(void *state), bool refetch) {
  rpc_job_t *j = tr_calloc(1, sizeof *j);
  if (!j) {
    if (free_state && state)
      free_state(state);
    rpc_error(req, 500, "out of memory");
    return -ENOMEM;
  }
  j->work.data = j;
  j->req = req;
  j->ctx = ctx;
  j->env = ctx->env;
  j->fn = fn;
  j->done = done;
  j->state = state;
  j->free_state = free_state;
  j->kind = RPC_SINGLE;
  if (refetch) {
    j->refetch = true;
    if (rpc_fetch_policy(req, ctx, &j->fetch_on, &j->fetch_ms)) {
      rpc_error(req, 400, "invalid timeout or offline option");
      job_free(j);
      return TR_EUSAGE;
    }
    j->deadline = uv_now(ctx->loop) + j->fetch_ms;
  }
  if (uv_queue_work(ctx->loop, &j->work, job_work, job_after)) {
    rpc_error(req, 500, "cannot queue work");
    job_free(j);
    return -ENOMEM;
  }
  return 0;
}

int rpc_job_run(http_req_t *req, rpc_ctx_t *ctx, rpc_work_fn fn, rpc_done_fn done,
                void *state, void (*free_state)(void *state)) {
  return job_run(req, ctx, fn, done, state, free_state, false);
}

int rpc_job_run_fetch(http_req_t *req, rpc_ctx_t *ctx, rpc_work_fn fn,
                      rpc_done_fn done, void *state,
                      void (*free_state)(void *state)) {
  return job_run(req, ctx, fn, done, state, free_state, true);
}

void rpc_job_fail(rpc_job_t *j, int status, const char *fmt, ...) {
  if (j->status >= 400)
    return;
  j->status = status;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(j->err, sizeof j->err, fmt, ap);
  va_end(ap);
}

int rpc_job_line(rpc_job_t *j, json_t *o) {
  if (!o)
    return -ENOMEM;
  char *s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (!s)
    return -ENOMEM;
  int rc = tr_bytes_append(&j->out, s, strlen(s));
  if (!rc)
    rc = tr_bytes_append(&j->out, "\n", 1);
  free(s);
  j->kind = RPC_CHUNKED;
  return rc;
}

void rpc_job_answer(rpc_job_t *j) {
  http_req_t *req = j->req;
  if (j->status >= 400) {
    rpc_error(req, j->status, "%s", j->err);
  } else if (j->json) {
    char *s = json_dumps(j->json, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s) {
      rpc_error(req, 500, "out of memory");
    } else {
      size_t n = strlen(s);
      rpc_start(req, j->kind, NULL, (int64_t)n + 1, -1);
      http_res_write(req, s, n);
      http_res_write(req, "\n", 1);
      http_res_end(req);
      free(s);
    }
  } else {
    rpc_start(req, j->kind, j->ctype, (int64_t)j->out.len, -1);
    http_res_write(req, j->out.data, j->out.len);
    http_res_end(req);
  }
  job_free(j);
}

void rpc_job_stream(rpc_job_t *j, http_fill_fn fill) {
  void *state = j->state;
  j->state = NULL;
  http_stream_start(j->req, j->ctx->env, fill, j->free_state, state);
  job_free(j);
}

/* ---------------------------------------------------------- utilities */

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

static int resolve(dag_get_cb get, void *ud, const char *arg, dag_cid_t *out,
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
  return resolve(bs_get_cb, txn, arg, out, NULL);
}

/* Resolve inside j, recording Kubo's message on failure.  A job that
 * fetches reads through rpc_job_get, and its hint is the path's root. */
int rpc_job_resolve(rpc_job_t *j, bs_txn_t *txn, const char *arg,
                    dag_cid_t *out) {
  j->txn = txn;
  int rc = j->refetch ? resolve(rpc_job_get, j, arg, out, &j->hint)
                      : rpc_resolve(txn, arg, out);
  char msg[700];
  if (rc)
    rpc_job_fail(j, rpc_status_for(rc), "%s",
                 rpc_errmsg(rc, arg, msg, sizeof msg));
  return rc;
}

/* ------------------------------------------------------------ answers */

void rpc_api_error(http_req_t *req, int status, const char *msg) {
  json_t *o = json_pack("{s:o,s:i,s:s}", "Message", rpc_json_str(msg), "Code",
                        0, "Type", "error");
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
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
  char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
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
  char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
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

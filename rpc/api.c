/*
 * api.c — the API listener's router: Kubo's RPC API under /api/v0 (POST
 * only, as Kubo since 0.5: a GET gets 405 so that a web page cannot drive the
 * node through an <img> tag), with commands implemented in rpc_*.c.
 * Errors use Kubo's JSON shape {"Message": ..., "Code": 0, "Type": "error"}.
 *
 * POST alone does not stop a web page: fetch(url, {method: 'POST', mode:
 * 'no-cors'}) sends one from any origin (the answer is opaque to the page,
 * but the command runs).  So, as go-ipfs-cmds does (http/config.go:
 * allowOrigin, allowReferer, allowUserAgent), a request is refused with
 * 403 "403 - Forbidden" when its Origin, or the scheme://host of its
 * Referer, is not an allowed origin, or when it is a POST with neither
 * header from a browser (a User-Agent starting "Mozilla").  Allowed: "*"
 * or an exact match in the config's API.HTTPHeaders
 * Access-Control-Allow-Origin list, plus what Kubo always adds - the API's
 * own address as http(s)://127.0.0.1:PORT, [::1]:PORT and localhost:PORT,
 * and the IPFS Companion extension.  Requests without Origin and Referer
 * (curl, the CLI, kubo-rpc-client under Node) pass, as in Kubo.  Beyond
 * Kubo: a request with neither header but a Sec-Fetch-Site of "cross-site"
 * or "same-site" is refused too (only browsers send it, and they say where
 * the request came from).  The list is read from the config on the first
 * request; like Kubo, a change takes effect at the next start.
 *
 * CORS, as rs/cors under go-ipfs-cmds: an allowed origin's answer carries
 * Access-Control-Allow-Origin, and a preflight (OPTIONS with
 * Access-Control-Request-Method) is granted for an allowed origin, a
 * method of API.HTTPHeaders' Access-Control-Allow-Methods (POST by
 * default) and rs/cors' default request headers.
 *
 * The observability pages (rpc_obs.c: /debug/metrics/prometheus, /status,
 * /status.json) are GETs under the same origin rules, less the
 * user-agent one (see request_allowed).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../config/config.h"
#include "rpc_int.h"

static void rpc_shutdown(http_req_t *req, rpc_ctx_t *ctx) {
  http_res_simple(req, 200, "text/plain", "", 0);
  if (ctx->shutdown)
    ctx->shutdown(ctx->shutdown_ud);
}

/* Whether this daemon reads passed files (opts.h: RPC_UP_FD_TYPE) from
 * this request's connection: over its Unix socket only. */
static void rpc_passfd(http_req_t *req, rpc_ctx_t *ctx) {
  (void)ctx;
  rpc_api_json(req, json_pack("{s:b}", "PassFd",
                              !strcmp(http_req_peer(req), "unix")));
}

static const rpc_cmd_t base_cmds[] = {
    {"version", rpc_cmd_version}, /* rpc_version.c */
    {"passfd", rpc_passfd},
    {"shutdown", rpc_shutdown},
};

/* ---------------------------------------------------------------- csrf */

/* Kubo's origins, always allowed (core/corehttp/commands.go). */
static const char *const localhost_origins[] = {
    "http://127.0.0.1:", "https://127.0.0.1:", "http://[::1]:",
    "https://[::1]:",    "http://localhost:",  "https://localhost:",
};
static const char *const companion_origins[] = {
    "chrome-extension://nibjojkomfdiaoajekhjakgkdhaomnch",
    "chrome-extension://hjoieblefckbooibpepigmacodalfndh",
};

/* A JSON list of strings into buf as NUL-separated strings. */
static void read_list(json_t *list, char *buf, size_t cap, size_t *len) {
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    const char *o = json_string_value(v);
    size_t n = o ? strlen(o) + 1 : 0;
    if (!n)
      continue;
    if (n > cap - *len) {
      tr_log(TR_LOG_WARN, "API.HTTPHeaders: list too long, ignoring "
             "\"%.100s\" and the rest", o);
      break;
    }
    memcpy(buf + *len, o, n);
    *len += n;
  }
}

/* API.Authorizations (Kubo's RPC auth scopes) into ctx->api_auth. */
static void read_auth(rpc_ctx_t *ctx, json_t *cfg) {
  json_decref(ctx->api_auth);
  ctx->api_auth = NULL;
  json_t *az = config_get(cfg, "API.Authorizations");
  if (!json_is_object(az) || !json_object_size(az))
    return;
  json_t *out = json_array();
  const char *user;
  json_t *scope;
  json_object_foreach(az, user, scope) {
    const char *secret = json_string_value(json_object_get(scope, "AuthSecret"));
    char h[1100];
    config_auth_header(secret ? secret : "", h, sizeof h);
    json_t *paths = json_object_get(scope, "AllowedPaths");
    if (*h && out)
      json_array_append_new(out, json_pack("{s:s,s:O}", "h", h, "p",
                                           json_is_array(paths)
                                               ? paths
                                               : json_array()));
  }
  /* Authorizations set but none usable: nothing passes (Kubo's map is
   * then empty, yet its handler is installed). */
  ctx->api_auth = out ? out : json_array();
}

/* Read API.HTTPHeaders' Access-Control-Allow-Origin and -Methods into ctx,
 * and API.Authorizations (once; a config that cannot be read leaves only Kubo's defaults). */
static void read_origins(rpc_ctx_t *ctx) {
  ctx->api_origins_read = true;
  ctx->api_origins_len = 0;
  ctx->api_methods_len = 0;
  json_t *cfg = NULL;
  if (config_load(ctx->repo, &cfg))
    return;
  read_auth(ctx, cfg);
  json_t *hh = json_object_get(config_get(cfg, "API"), "HTTPHeaders");
  read_list(json_object_get(hh, "Access-Control-Allow-Origin"),
            ctx->api_origins, sizeof ctx->api_origins, &ctx->api_origins_len);
  read_list(json_object_get(hh, "Access-Control-Allow-Methods"),
            ctx->api_methods, sizeof ctx->api_methods, &ctx->api_methods_len);
  json_decref(cfg);
}

/* Whether origin[0..n) is allowed (go-ipfs-cmds: "*" or an exact match). */
static bool origin_ok(rpc_ctx_t *ctx, const char *origin, size_t n) {
  if (!ctx->api_origins_read)
    read_origins(ctx);
  for (size_t off = 0; off < ctx->api_origins_len;) {
    const char *o = ctx->api_origins + off;
    size_t l = strlen(o);
    if (!strcmp(o, "*") || (l == n && !memcmp(o, origin, n)))
      return true;
    off += l + 1;
  }
  for (size_t i = 0; i < TR_ARRAY_LEN(companion_origins); i++)
    if (strlen(companion_origins[i]) == n &&
        !memcmp(companion_origins[i], origin, n))
      return true;
  /* Kubo substitutes the port the API listens on for "<port>". */
  const char *port = strrchr(ctx->api_addr, '/');
  if (!port || !port[1])
    return false;
  port++;
  for (size_t i = 0; i < TR_ARRAY_LEN(localhost_origins); i++) {
    size_t pl = strlen(localhost_origins[i]);
    if (n == pl + strlen(port) && !memcmp(origin, localhost_origins[i], pl) &&
        !memcmp(origin + pl, port, n - pl))
      return true;
  }
  return false;
}

/* The scheme://host of a Referer, as Go's url.Parse gives them, into
 * out[0..*n); false when it does not parse (Kubo then refuses). */
static bool referer_origin(const char *ref, char *out, size_t outsz,
                           size_t *n) {
  for (const char *p = ref; *p; p++)
    if ((unsigned char)*p < 0x21 || *p == 0x7f)
      return false; /* Go refuses control bytes and spaces */
  size_t s = strcspn(ref, ":/?#");
  bool scheme = ref[s] == ':' && s > 0 &&
                ((ref[0] | 0x20) >= 'a' && (ref[0] | 0x20) <= 'z');
  for (size_t i = 0; scheme && i < s; i++)
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "0123456789+-.", ref[i]))
      scheme = false;
  const char *rest = scheme ? ref + s + 1 : ref;
  const char *host = "";
  size_t hl = 0;
  if (!strncmp(rest, "//", 2)) {
    host = rest + 2;
    hl = strcspn(host, "/?#");
    const char *at = memrchr(host, '@', hl); /* no userinfo in Host */
    if (at) {
      hl -= (size_t)(at + 1 - host);
      host = at + 1;
    }
  }
  size_t sl = scheme ? s : 0;
  if (sl + 3 + hl >= outsz)
    return false;
  for (size_t i = 0; i < sl; i++) /* Go lower-cases the scheme */
    out[i] = (char)(ref[i] >= 'A' && ref[i] <= 'Z' ? ref[i] | 0x20 : ref[i]);
  memcpy(out + sl, "://", 3);
  memcpy(out + sl + 3, host, hl);
  *n = sl + 3 + hl;
  out[*n] = 0;
  return true;
}

/* go-ipfs-cmds' allowOrigin && allowReferer && allowUserAgent; for the
 * GET pages of rpc_obs.c (browser false) the user-agent rule is left out,
 * so that a browser may open them by their URL, which sends neither Origin
 * nor Referer; a cross-site one is still refused by Sec-Fetch-Site. */
static bool request_allowed(http_req_t *req, rpc_ctx_t *ctx, bool browser) {
  const char *origin = http_req_header(req, "origin");
  const char *ref = http_req_header(req, "referer");
  if (origin && *origin && !origin_ok(ctx, origin, strlen(origin)))
    return false;
  if (ref && *ref) {
    char o[2048];
    size_t n;
    if (!referer_origin(ref, o, sizeof o, &n) || !origin_ok(ctx, o, n))
      return false;
  }
  if ((origin && *origin) || (ref && *ref))
    return true;
  const char *ua = http_req_header(req, "user-agent");
  if (browser && ua && !strncmp(ua, "Mozilla", 7))
    return false;
  const char *site = http_req_header(req, "sec-fetch-site");
  return !site || (strcasecmp(site, "cross-site") &&
                   strcasecmp(site, "same-site"));
}

static void forbidden(http_req_t *req) {
  /* Go's http.Error(w, "403 - Forbidden", 403), byte for byte. */
  static const char msg[] = "403 - Forbidden\n";
  http_header_t h[] = {{"Content-Type", "text/plain; charset=utf-8"},
                     {"X-Content-Type-Options", "nosniff"}};
  http_res_start(req, 403, h, 2, sizeof msg - 1);
  http_res_write(req, msg, sizeof msg - 1);
  http_res_end(req);
}

/* ------------------------------------------------------------------ cors */

/* As rs/cors under go-ipfs-cmds: an allowed Origin gets
 * Access-Control-Allow-Origin on the answer (its own value, or "*" when
 * the config allows every origin), so a web app the user allowed can read
 * it; an Origin refused gets nothing, and the browser hides the answer. */

static bool origins_all(rpc_ctx_t *ctx) {
  for (size_t off = 0; off < ctx->api_origins_len;) {
    const char *o = ctx->api_origins + off;
    if (!strcmp(o, "*"))
      return true;
    off += strlen(o) + 1;
  }
  return false;
}

/* The configured method equal to m (case aside), or NULL; POST when the
 * config names none. */
static const char *method_allowed(rpc_ctx_t *ctx, const char *m) {
  if (!ctx->api_methods_len)
    return strcasecmp(m, "POST") ? NULL : "POST";
  for (size_t off = 0; off < ctx->api_methods_len;) {
    const char *o = ctx->api_methods + off;
    if (!strcasecmp(o, m))
      return o;
    off += strlen(o) + 1;
  }
  return NULL;
}

/* Whether every name in the list "a, b" is one rs/cors allows by default. */
static bool headers_allowed(const char *list) {
  static const char *const ok[] = {"origin", "accept", "content-type",
                                   "x-requested-with"};
  for (const char *p = list; *p;) {
    p += strspn(p, " \t,");
    size_t n = strcspn(p, " \t,");
    if (!n)
      break;
    bool found = false;
    for (size_t i = 0; i < TR_ARRAY_LEN(ok) && !found; i++)
      found = strlen(ok[i]) == n && !strncasecmp(ok[i], p, n);
    if (!found)
      return false;
    p += n;
  }
  return true;
}

/* An allowed request's answer names its origin (set before dispatch, for
 * whatever answer the command gives). */
static void cors_actual(http_req_t *req, rpc_ctx_t *ctx) {
  const char *origin = http_req_header(req, "origin");
  if (!origin || !*origin || !method_allowed(ctx, http_req_method(req)))
    return; /* request_allowed() passed: the origin is allowed */
  (void)http_res_extra(req, "Access-Control-Allow-Origin",
                       origins_all(ctx) ? "*" : origin);
}

/* OPTIONS.  A preflight (Access-Control-Request-Method) is answered 204,
 * with the permission when origin, method and headers are allowed and
 * without it otherwise; any other OPTIONS passes the origin checks and
 * gets 204 with Allow, as go-ipfs-cmds answers. */
static void options(http_req_t *req, rpc_ctx_t *ctx) {
  const char *origin = http_req_header(req, "origin");
  const char *acrm = http_req_header(req, "access-control-request-method");
  if (acrm && *acrm) {
    const char *acrh = http_req_header(req, "access-control-request-headers");
    http_header_t h[4] = {{"Vary", "Origin, Access-Control-Request-Method, "
                                   "Access-Control-Request-Headers"}};
    size_t n = 1;
    const char *m;
    if (!ctx->api_origins_read)
      read_origins(ctx);
    if (origin && *origin && origin_ok(ctx, origin, strlen(origin)) &&
        (m = method_allowed(ctx, acrm)) && (!acrh || headers_allowed(acrh))) {
      h[n++] = (http_header_t){"Access-Control-Allow-Origin",
                               origins_all(ctx) ? "*" : origin};
      h[n++] = (http_header_t){"Access-Control-Allow-Methods", m};
      if (acrh && *acrh)
        h[n++] = (http_header_t){"Access-Control-Allow-Headers", acrh};
    }
    http_res_start(req, 204, h, n, 0);
    http_res_end(req);
    return;
  }
  if (!request_allowed(req, ctx, true)) {
    forbidden(req);
    return;
  }
  http_header_t h[] = {{"Allow", "POST"}};
  http_res_start(req, 204, h, 1, 0);
  http_res_end(req);
}

/* ---------------------------------------------------------------- auth */

/* Kubo's withAuthSecrets, before anything else of the API: with
 * API.Authorizations set, a request passes only with an Authorization
 * header one of them names, to /api/v0/version or a path under one of
 * its AllowedPaths.  trove's CLI on the repo's own Unix socket passes:
 * it can read the secrets in the config anyway (the socket is the
 * repo's, as private as its files). */
static bool auth_ok(http_req_t *req, rpc_ctx_t *ctx) {
  if (!ctx->api_origins_read)
    read_origins(ctx);
  if (!ctx->api_auth || !strcmp(http_req_peer(req), "unix"))
    return true;
  const char *h = http_req_header(req, "authorization");
  const char *path = http_req_path(req);
  size_t i;
  json_t *a;
  json_array_foreach(ctx->api_auth, i, a) {
    if (!h || strcmp(h, json_string_value(json_object_get(a, "h"))))
      continue;
    if (!strcmp(path, "/api/v0/version"))
      return true;
    size_t k;
    json_t *p;
    json_array_foreach(json_object_get(a, "p"), k, p) {
      const char *pre = json_string_value(p);
      if (pre && !strncmp(path, pre, strlen(pre)))
        return true;
    }
  }
  return false;
}

void rpc_ctx_fini(rpc_ctx_t *ctx) {
  json_decref(ctx->api_auth);
  ctx->api_auth = NULL;
  rpc__reqlog_free(ctx);
  rpc__logtail_free(ctx);
}

/* ------------------------------------------------------------- routing */

/* Commands from the rpc_*.c files, registered in api_cmds.c. */
extern const rpc_cmd_t rpc_cmds[];
extern const size_t rpc_ncmds;

void rpc_api_handle(http_req_t *req, void *ud) {
  rpc_ctx_t *ctx = ud;
  const char *path = http_req_path(req);
  if (rpc__obs_path(path)) { /* metrics and the status page: GET */
    if (!request_allowed(req, ctx, false)) {
      tr_log(TR_LOG_WARN, "API blocked request to %.200s (possible CSRF)",
             path);
      forbidden(req);
      return;
    }
    rpc__obs_handle(req, ctx);
    return;
  }
  if (strncmp(path, "/api/v0/", 8)) {
    rpc_api_error(req, 404, "404 page not found");
    return;
  }
  const char *cmd = path + 8;
  if (!auth_ok(req, ctx)) {
    /* Go's http.Error with Kubo's message. */
    static const char msg[] = "Kubo RPC Access Denied: Please provide a valid "
                              "authorization token as defined in the "
                              "API.Authorizations configuration.\n";
    http_header_t h[] = {{"Content-Type", "text/plain; charset=utf-8"},
                         {"X-Content-Type-Options", "nosniff"}};
    http_res_start(req, 403, h, 2, sizeof msg - 1);
    http_res_write(req, msg, sizeof msg - 1);
    http_res_end(req);
    return;
  }
  if (!strcmp(http_req_method(req), "OPTIONS")) {
    options(req, ctx);
    return;
  }
  if (strcmp(http_req_method(req), "POST")) {
    http_header_t h[] = {{"Allow", "POST"}, {"Content-Type", "text/plain"}};
    static const char msg[] = "405 - Method Not Allowed\n";
    http_res_start(req, 405, h, 2, sizeof msg - 1);
    http_res_write(req, msg, sizeof msg - 1);
    http_res_end(req);
    return;
  }
  if (!request_allowed(req, ctx, true)) {
    tr_log(TR_LOG_WARN, "API blocked request to %.200s (possible CSRF)", path);
    forbidden(req);
    return;
  }
  cors_actual(req, ctx);
  for (size_t i = 0; i < TR_ARRAY_LEN(base_cmds); i++)
    if (!strcmp(cmd, base_cmds[i].name)) {
      rpc__reqlog_begin(req, ctx, cmd);
      base_cmds[i].fn(req, ctx);
      return;
    }
  for (size_t i = 0; i < rpc_ncmds; i++)
    if (!strcmp(cmd, rpc_cmds[i].name)) {
      rpc__reqlog_begin(req, ctx, cmd);
      if (!rpc__body_args(req, ctx, cmd, rpc_cmds[i].fn))
        rpc_cmds[i].fn(req, ctx);
      return;
    }
  rpc__reqlog_begin(req, ctx, cmd);
  if (ctx->ext_cmd && ctx->ext_cmd(ctx->ext_ud, req, cmd))
    return;
  rpc__reqlog_drop(req, ctx);
  char msg[300];
  snprintf(msg, sizeof msg, "unknown command \"%.200s\"", cmd);
  rpc_api_error(req, 404, msg);
}

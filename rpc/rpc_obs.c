/*
 * rpc_obs.c — the node's observability pages on the API listener:
 *
 *   GET /debug/metrics/prometheus  the registry the daemon hands in
 *       (rpc_ctx_t.metrics) as Prometheus text 0.0.4, where Kubo serves
 *       it (core/corehttp/metrics.go, on the API port, GET, no POST rule);
 *   GET /status                    one self-contained HTML page (inline
 *       CSS, JS and SVG: rpc/status.html, compiled in), which polls
 *   GET /status.json               the daemon's status object
 *       (rpc_ctx_t.status_json: pins, peers, transfer rate samples, scrub,
 *       repairs, mirrors; its fields are the daemon's, see node/obs.h).
 *
 * api.c has applied the API's origin rules before any of these runs (an
 * Origin or a Referer must be an allowed origin, a cross-site browser
 * request with neither is refused); only the POST rule and the
 * "browser without Origin/Referer" rule are left out, as for Kubo's
 * metrics, so that a browser can open /status by its URL.  Every answer
 * is no-store: a status is stale at once.  HEAD gets the headers alone.
 */
#include <string.h>

#include "../common/metrics.h"
#include "rpc_int.h"

/* rpc/status.html, made into a C string by the Makefile. */
extern const char rpc__status_html[];

static void answer(http_req_t *req, const char *ctype, const char *body,
                   size_t n) {
  http_header_t h[] = {{"Content-Type", ctype},
                       {"Cache-Control", "no-store"},
                       {"X-Content-Type-Options", "nosniff"}};
  http_res_start(req, 200, h, TR_ARRAY_LEN(h), (int64_t)n);
  http_res_write(req, body, n);
  http_res_end(req);
}

static void metrics_page(http_req_t *req, rpc_ctx_t *ctx) {
  tr_bytes_t out = {0};
  int rc = tr_metrics_write(ctx->metrics, &out);
  if (rc) {
    tr_bytes_free(&out);
    rpc_api_error(req, 500, tr_strerror(rc));
    return;
  }
  answer(req, TR_METRICS_CONTENT_TYPE, (const char *)out.data, out.len);
  tr_bytes_free(&out);
}

static void status_json(http_req_t *req, rpc_ctx_t *ctx) {
  json_t *o = ctx->status_json(ctx->status_ud);
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!s) {
    rpc_api_error(req, 500, "out of memory");
    return;
  }
  answer(req, "application/json", s, strlen(s));
  free(s);
}

bool rpc__obs_path(const char *path) {
  return !strcmp(path, "/debug/metrics/prometheus") ||
         !strcmp(path, "/status") || !strcmp(path, "/status.json");
}

void rpc__obs_handle(http_req_t *req, rpc_ctx_t *ctx) {
  const char *path = http_req_path(req);
  const char *m = http_req_method(req);
  if (strcmp(m, "GET") && strcmp(m, "HEAD")) {
    http_header_t h[] = {{"Allow", "GET, HEAD"},
                         {"Content-Type", "text/plain"}};
    static const char msg[] = "405 - Method Not Allowed\n";
    http_res_start(req, 405, h, 2, sizeof msg - 1);
    http_res_write(req, msg, sizeof msg - 1);
    http_res_end(req);
    return;
  }
  if (!strcmp(path, "/debug/metrics/prometheus") && ctx->metrics)
    metrics_page(req, ctx);
  else if (!strcmp(path, "/status") && ctx->status_json)
    answer(req, "text/html; charset=utf-8", rpc__status_html,
           strlen(rpc__status_html));
  else if (!strcmp(path, "/status.json") && ctx->status_json)
    status_json(req, ctx);
  else
    rpc_api_error(req, 404, "404 page not found");
}

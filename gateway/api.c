/*
 * api.c — the API listener's router: Kubo's RPC API under /api/v0 (POST
 * only, as Kubo since 0.5: a GET gets 405 so that a web page cannot drive the
 * node through an <img> tag), with commands implemented in rpc_*.c.
 * Errors use Kubo's JSON shape {"Message": ..., "Code": 0, "Type": "error"}.
 */
#include <stdio.h>
#include <string.h>

#include "rpc.h"

void gw_api_error(gw_req_t *req, int status, const char *msg) {
  json_t *o = json_pack("{s:o,s:i,s:s}", "Message", rpc_json_str(msg), "Code",
                        0, "Type", "error");
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  gw_header_t h[] = {{"Content-Type", "application/json"},
                     {"Cache-Control", "no-cache"}};
  size_t n = s ? strlen(s) : 0;
  gw_res_start(req, status, h, 2, (int64_t)n + 1);
  if (s)
    gw_res_write(req, s, n);
  gw_res_write(req, "\n", 1);
  gw_res_end(req);
  free(s);
}

void gw_api_json(gw_req_t *req, json_t *o) {
  char *s = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(o);
  if (!s) {
    gw_api_error(req, 500, "out of memory");
    return;
  }
  gw_header_t h[] = {{"Content-Type", "application/json"},
                     {"Cache-Control", "no-cache"},
                     {"Vary", "Origin"}};
  size_t n = strlen(s);
  gw_res_start(req, 200, h, 3, (int64_t)n + 1);
  gw_res_write(req, s, n);
  gw_res_write(req, "\n", 1);
  gw_res_end(req);
  free(s);
}

static void rpc_version(gw_req_t *req, gw_ctx_t *ctx) {
  gw_api_json(req, json_pack("{s:s,s:s,s:s,s:s,s:s}", "Version", ctx->version,
                             "Commit", "", "Repo", "1", "System",
                             "amd64/linux", "Golang", "none (C11)"));
}

static void rpc_shutdown(gw_req_t *req, gw_ctx_t *ctx) {
  gw_res_simple(req, 200, "text/plain", "", 0);
  if (ctx->shutdown)
    ctx->shutdown(ctx->shutdown_ud);
}

static const gw_rpc_cmd_t base_cmds[] = {
    {"version", rpc_version},
    {"shutdown", rpc_shutdown},
};

/* Commands from the rpc_*.c files, registered in api_cmds.c. */
extern const gw_rpc_cmd_t gw_rpc_cmds[];
extern const size_t gw_rpc_ncmds;

void gw_api_handle(gw_req_t *req, void *ud) {
  gw_ctx_t *ctx = ud;
  const char *path = gw_req_path(req);
  if (strncmp(path, "/api/v0/", 8)) {
    gw_api_error(req, 404, "404 page not found");
    return;
  }
  const char *cmd = path + 8;
  if (strcmp(gw_req_method(req), "POST")) {
    gw_header_t h[] = {{"Allow", "POST"}, {"Content-Type", "text/plain"}};
    static const char msg[] = "405 - Method Not Allowed\n";
    gw_res_start(req, 405, h, 2, sizeof msg - 1);
    gw_res_write(req, msg, sizeof msg - 1);
    gw_res_end(req);
    return;
  }
  for (size_t i = 0; i < TR_ARRAY_LEN(base_cmds); i++)
    if (!strcmp(cmd, base_cmds[i].name)) {
      base_cmds[i].fn(req, ctx);
      return;
    }
  for (size_t i = 0; i < gw_rpc_ncmds; i++)
    if (!strcmp(cmd, gw_rpc_cmds[i].name)) {
      gw_rpc_cmds[i].fn(req, ctx);
      return;
    }
  char msg[300];
  snprintf(msg, sizeof msg, "unknown command \"%.200s\"", cmd);
  gw_api_error(req, 404, msg);
}

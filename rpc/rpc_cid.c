/*
 * rpc_cid.c — Kubo's `cid format` and `cid base32` over the API, with no
 * repo (dag_cid_conv):
 *
 *   cid/format arg=CID... f= v= mc= b=   {"CidStr":arg,"Formatted":s,
 *   cid/base32 arg=CID...                 "ErrorMsg":""} a line per CID
 *
 * A CID that does not parse or convert has its reason in ErrorMsg; a
 * format or option that is wrong is a 500 for the whole request, as
 * Kubo's command fails then.
 */
#include <string.h>

#include "rpc_int.h"

static void run(http_req_t *req, const dag_cid_conv_t *c) {
  char **args;
  size_t n;
  if (rpc_args(req, "arg", &args, &n)) {
    rpc_error(req, 400, "malformed argument");
    return;
  }
  json_t *lines = json_array();
  char err[160] = "";
  int rc = lines ? 0 : -ENOMEM;
  for (size_t i = 0; i < n && !rc; i++) {
    tr_bytes_t out = {0};
    err[0] = 0;
    int e = dag_cid_conv(c, args[i], &out, err, sizeof err);
    if (e == TR_EUSAGE || e == -ENOMEM)
      rc = e;
    else if (json_array_append_new(
                 lines, json_pack("{s:s, s:s%, s:s}", "CidStr", args[i],
                                  "Formatted",
                                  e || !out.len ? "" : (char *)out.data,
                                  e ? 0 : out.len, "ErrorMsg", e ? err : "")))
      rc = -ENOMEM;
    tr_bytes_free(&out);
  }
  if (rc) {
    rpc_error(req, 500, "%s", rc == TR_EUSAGE ? err : tr_strerror(rc));
  } else {
    rpc_start(req, RPC_CHUNKED, NULL, -1, -1);
    for (size_t i = 0; i < json_array_size(lines); i++)
      rpc_write_line(req, json_incref(json_array_get(lines, i)));
    http_res_end(req);
  }
  json_decref(lines);
  rpc_strv_free(args, n);
}

void rpc_cmd_cid_format(http_req_t *req, rpc_ctx_t *ctx) {
  (void)ctx;
  char *f = NULL, *v = NULL, *mc = NULL, *b = NULL, err[160];
  dag_cid_conv_t c;
  if (rpc_opt_str(req, "f", &f) || rpc_opt_str(req, "v", &v) ||
      rpc_opt_str(req, "mc", &mc) || rpc_opt_str(req, "b", &b))
    rpc_error(req, 400, "malformed option");
  else if (dag_cid_conv_opts(&c, f, v, mc, b, err, sizeof err))
    rpc_error(req, 500, "%s", err);
  else
    run(req, &c);
  tr_free(f), tr_free(v), tr_free(mc), tr_free(b);
}

void rpc_cmd_cid_base32(http_req_t *req, rpc_ctx_t *ctx) {
  (void)ctx;
  dag_cid_conv_t c = {"%s", 1, 0, DAG_MB_BASE32};
  run(req, &c);
}

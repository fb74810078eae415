/*
 * rpc_cid.c — Kubo's `cid` commands over the API, with no repo
 * (dag/cidfmt.c, dag/cidinfo.c):
 *
 *   cid/format arg=CID... f= v= mc= b=   {"CidStr":arg,"Formatted":s,
 *   cid/base32 arg=CID...                 "ErrorMsg":""} a line per CID
 *   cid/inspect arg=CID                  Kubo's CidInspectRes
 *   cid/bases (= multibase/list)         [{"Code":N,"Name":s}...]
 *   cid/codecs supported=, cid/hashes    the same
 *
 * A CID that does not parse or convert has its reason in ErrorMsg (in
 * errorMsg for inspect, with the other fields zero, as Kubo answers it);
 * a format or option that is wrong is a 500 for the whole request, as
 * Kubo's command fails then.  The lists come in trove's order (Kubo's
 * order, by code for codecs and hashes; Kubo sends bases and hashes in Go
 * map order, which changes from call to call); their text options
 * (prefix, numeric) change nothing in JSON, as in Kubo.
 */
#include <string.h>

#include "../dag/cidinfo.h"
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

void rpc_cmd_cid_inspect(http_req_t *req, rpc_ctx_t *ctx) {
  (void)ctx;
  char *arg;
  if (rpc_one_arg(req, "cid", &arg))
    return;
  dag_cid_info_t in;
  dag_cid_inspect(arg, &in);
  json_t *o = json_pack(
      "{s:o, s:i, s:{s:o, s:s}, s:{s:I, s:s}, s:{s:I, s:s, s:I, s:s}}", "cid",
      rpc_json_str(arg), "version", in.version, "multibase", "prefix",
      rpc_json_strn(in.prefix, in.prefix_len), "name", in.base_name,
      "multicodec", "code", (json_int_t)in.codec, "name", in.codec_name,
      "multihash", "code", (json_int_t)in.mh_code, "name", in.mh_name,
      "length", (json_int_t)in.mh_len, "digest", in.digest);
  if (o && in.cidv0[0])
    json_object_set_new(o, "cidV0", json_string(in.cidv0));
  if (o)
    json_object_set_new(o, "cidV1", json_string(in.cidv1));
  if (o && in.err[0])
    json_object_set_new(o, "errorMsg", rpc_json_str(in.err));
  rpc_api_json(req, o);
  tr_free(arg);
}

/* [{"Code":N,"Name":s}...] of what nth gives. */
typedef bool (*code_nth_fn)(size_t i, bool flag, uint64_t *code,
                            const char **name);

static void code_list(http_req_t *req, code_nth_fn nth, bool flag) {
  json_t *a = json_array();
  uint64_t code;
  const char *name;
  for (size_t i = 0; a && nth(i, flag, &code, &name); i++)
    if (json_array_append_new(a, json_pack("{s:I, s:s}", "Code",
                                           (json_int_t)code, "Name", name))) {
      json_decref(a);
      a = NULL;
    }
  rpc_api_json(req, a);
}

static bool base_nth(size_t i, bool flag, uint64_t *code, const char **name) {
  (void)flag;
  char b = dag_mb_nth(i);
  *code = (uint64_t)dag_mb_code(b);
  *name = dag_mb_name(b);
  return b != 0;
}

/* A listing: the options o1 and o2 checked (they shape the CLI's text
 * alone), o2 handed to nth as its flag. */
static void list(http_req_t *req, code_nth_fn nth, const char *o1,
                 const char *o2) {
  bool b1, b2;
  if (rpc_opt_bool(req, o1, false, &b1) || rpc_opt_bool(req, o2, false, &b2))
    rpc_error(req, 400, "invalid boolean option");
  else
    code_list(req, nth, b2);
}

void rpc_cmd_cid_bases(http_req_t *req, rpc_ctx_t *ctx) {
  (void)ctx;
  list(req, base_nth, "prefix", "numeric");
}

void rpc_cmd_cid_codecs(http_req_t *req, rpc_ctx_t *ctx) {
  (void)ctx;
  list(req, dag_codecs_nth, "numeric", "supported");
}

void rpc_cmd_cid_hashes(http_req_t *req, rpc_ctx_t *ctx) {
  (void)ctx;
  list(req, dag_mh_nth, "numeric", "supported");
}

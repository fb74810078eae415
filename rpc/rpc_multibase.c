/*
 * rpc_multibase.c — Kubo's `multibase` commands over the API, with no
 * repo; the file comes as the first part of a multipart body
 * (rpc_file_collect), as Kubo's CLI and kubo-rpc-client send a FileArg:
 *
 *   multibase/encode b=NAME (base64url)   the string, text/plain
 *   multibase/decode                      the bytes, text/plain
 *   multibase/transcode b=NAME            the string in the other base
 *   multibase/list                        cid/bases' JSON (rpc_cid.c)
 *
 * As Kubo: a 200 stream (X-Stream-Output) with no newline added, and 500
 * with Kubo's message for a base it does not know or a string that does
 * not decode.  Files are taken up to DAG_MB_FILE_MAX bytes.
 */
#include <errno.h>
#include <string.h>

#include "../dag/cidinfo.h"
#include "rpc_int.h"

enum { MB_ENCODE, MB_DECODE, MB_TRANSCODE };

/* What the body's callback needs: the command and the base asked for. */
typedef struct mbreq {
  int cmd;
  char base;
} mbreq_t;

static void answer(http_req_t *req, const void *p, size_t n) {
  rpc_start(req, RPC_STREAM, "text/plain", (int64_t)n, -1);
  http_res_write(req, p, n);
  http_res_end(req);
}

static void on_file(http_req_t *req, const uint8_t *data, size_t len,
                    void *ud) {
  mbreq_t m = *(mbreq_t *)ud;
  tr_free(ud);
  if (!req)
    return;
  if (len > DAG_MB_FILE_MAX) {
    rpc_error(req, 500, "failed to read file contents: trove takes files "
              "of up to %u MiB", DAG_MB_FILE_MAX >> 20);
    return;
  }
  int rc;
  tr_bytes_t dec = {0};
  char err[160], base;
  if (m.cmd != MB_ENCODE) {
    if ((rc = dag_mb_decode_file(data, len, &dec, &base, err, sizeof err))) {
      rpc_error(req, 500, "%s", rc == -ENOMEM ? "out of memory" : err);
      tr_bytes_free(&dec);
      return;
    }
    data = dec.data, len = dec.len;
  }
  if (m.cmd == MB_DECODE) {
    answer(req, data, len);
  } else {
    char *s = tr_malloc(DAG_MB_ENCODED_MAX_ANY(len));
    int n = s ? dag_mb_encode(m.base, data, len, s,
                              DAG_MB_ENCODED_MAX_ANY(len))
              : -ENOMEM;
    if (n >= 0)
      answer(req, s, (size_t)n);
    else if (n == TR_ETOOBIG)
      rpc_error(req, 500, "%s encodes up to 4096 bytes (its encoding takes "
                "quadratic time)", dag_mb_name(m.base));
    else
      rpc_error(req, 500, "%s", tr_strerror(n));
    tr_free(s);
  }
  tr_bytes_free(&dec);
}

static void run(http_req_t *req, int cmd) {
  mbreq_t *m = tr_calloc(1, sizeof *m);
  char *b = NULL;
  if (!m) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  m->cmd = cmd;
  if (cmd != MB_DECODE) {
    if (rpc_opt_str(req, "b", &b)) {
      rpc_error(req, 400, "malformed option b");
      tr_free(m);
      return;
    }
    if (dag_mb_from_name(b ? b : "base64url", &m->base)) {
      rpc_error(req, 500, *(b ? b : "") ? "unsupported multibase encoding: "
                "%s" : "empty multibase encoding%s", b ? b : "");
      tr_free(b);
      tr_free(m);
      return;
    }
    tr_free(b);
  }
  rpc_file_collect(req, cmd == MB_ENCODE ? "file" : "encoded_file",
                   DAG_MB_FILE_MAX, on_file, m);
}

void rpc_cmd_multibase_encode(http_req_t *req, rpc_ctx_t *ctx) {
  (void)ctx;
  run(req, MB_ENCODE);
}

void rpc_cmd_multibase_decode(http_req_t *req, rpc_ctx_t *ctx) {
  (void)ctx;
  run(req, MB_DECODE);
}

void rpc_cmd_multibase_transcode(http_req_t *req, rpc_ctx_t *ctx) {
  (void)ctx;
  run(req, MB_TRANSCODE);
}

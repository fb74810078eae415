/*
 * body_file.c — a command's file argument (go-ipfs-cmds' FileArg, what
 * `ipfs multibase encode FILE` sends): the first part of a multipart body,
 * collected whole on the loop up to a cap, for commands whose files are
 * small enough to take in at once (rpc_upload.c streams the large ones).
 */
#include <errno.h>

#include "rpc_int.h"

typedef struct bfile {
  rpc_ctx_t *ctx;
  rpc_file_fn done;
  void *ud;
  size_t max;
  rpc_mp_t mp;
  int err;        /* the body's first error */
  unsigned parts; /* parts seen */
  bool in_first;
  tr_bytes_t data;
} bfile_t;

static void on_data(http_req_t *req, const uint8_t *p, size_t n, void *ud) {
  (void)req;
  bfile_t *b = ud;
  while (!b->err) {
    size_t used = 0;
    rpc_mp_event_t ev;
    int rc = rpc_mp_feed(&b->mp, p, n, &used, &ev);
    p += used, n -= used;
    if (rc < 0)
      b->err = rc;
    else if (rc == RPC_MP_PART)
      b->in_first = b->parts++ == 0;
    else if (rc == RPC_MP_DATA && b->in_first)
      b->err = ev.len > b->max - b->data.len
                   ? TR_ETOOBIG
                   : tr_bytes_append(&b->data, ev.data, ev.len);
    else if (rc == RPC_MP_PART_END)
      b->in_first = false;
    else if (rc == RPC_MP_NEED_MORE || rc == RPC_MP_END)
      break; /* all taken; or the end, the epilogue ignored */
  }
}

static void on_end(http_req_t *req, int status, void *ud) {
  bfile_t *b = ud;
  int rc = status < 0 ? -ECANCELED : b->err ? b->err : rpc_mp_finish(&b->mp);
  if (!rc && !b->parts)
    rc = -ENOENT;
  b->done(status < 0 ? NULL : req, b->ctx, rc, b->data.data, b->data.len,
          b->ud);
  rpc_mp_free(&b->mp);
  tr_bytes_free(&b->data);
  tr_free(b);
}

void rpc_body_file(http_req_t *req, rpc_ctx_t *ctx, size_t max,
                   rpc_file_fn done, void *ud) {
  bfile_t *b = tr_calloc(1, sizeof *b);
  const char *ct = http_req_header(req, "content-type");
  if (!b) {
    done(req, ctx, -ENOMEM, NULL, 0, ud);
    return;
  }
  *b = (bfile_t){.ctx = ctx, .done = done, .ud = ud, .max = max};
  if (!ct || rpc_mp_init(&b->mp, ct, 0)) {
    tr_free(b);
    done(req, ctx, -ENOENT, NULL, 0, ud); /* no body: no file */
    return;
  }
  http_req_body(req, on_data, on_end, b);
}

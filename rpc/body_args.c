/*
 * body_args.c — arguments in the request body, as go-ipfs-cmds'
 * ParseBodyArgs reads them.  Kubo's CLI, given a command's arguments on
 * stdin (`ipfs pin add < cids`), sends the first line as arg= in the URL
 * and the rest as a multipart file part named "stdin", one argument a
 * line; trove's CLI does the same with argument lists too long for a URL.
 * For the commands whose Kubo counterpart calls ParseBodyArgs, a
 * multipart body is read whole (at most RPC_BODY_ARGS_MAX bytes), each
 * non-empty line of its file parts (CR LF or LF) is appended to the query
 * as arg=, and the command runs as if they had all come in the URL.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "multipart.h"
#include "rpc_int.h"

typedef struct bargs {
  rpc_ctx_t *ctx;
  rpc_fn fn;
  tr_bytes_t body;
  bool over;
} bargs_t;

static void bargs_free(bargs_t *b) {
  tr_bytes_free(&b->body);
  tr_free(b);
}

static void on_data(http_req_t *req, const uint8_t *p, size_t n, void *ud) {
  (void)req;
  bargs_t *b = ud;
  if (b->over)
    return;
  if (b->body.len + n > RPC_BODY_ARGS_MAX ||
      tr_bytes_append(&b->body, p, n)) {
    b->over = true;
    tr_bytes_free(&b->body);
  }
}

/* Each line of buf[0..n) onto q as arg=. */
static int add_lines(tr_bytes_t *q, const uint8_t *buf, size_t n) {
  int rc = 0;
  for (size_t i = 0; i < n && !rc;) {
    const uint8_t *nl = memchr(buf + i, '\n', n - i);
    size_t end = nl ? (size_t)(nl - buf) : n, len = end - i;
    if (len && buf[i + len - 1] == '\r')
      len--;
    if (len) {
      /* A NUL cannot be in an argument (the URL's refuse %00 too). */
      if (memchr(buf + i, 0, len))
        return TR_EUSAGE;
      char *line = tr_malloc(len + 1);
      if (!line)
        return -ENOMEM;
      memcpy(line, buf + i, len);
      line[len] = 0;
      rc = http_query_add(q, "arg", line);
      tr_free(line);
    }
    i = end + 1;
  }
  return rc;
}

int rpc__body_query(const char *query, const char *ctype,
                    const uint8_t *body, size_t len, tr_bytes_t *q) {
  int rc = *query ? tr_bytes_append(q, "?", 1) : 0;
  if (!rc)
    rc = tr_bytes_append(q, query, strlen(query));
  rpc_mp_t mp;
  if (rc || (rc = rpc_mp_init(&mp, ctype ? ctype : "", 0)))
    return rc;
  tr_bytes_t part = {0};
  bool file = false;
  size_t off = 0;
  for (;;) {
    rpc_mp_event_t ev;
    size_t used;
    int e = rpc_mp_feed(&mp, body + off, len - off, &used, &ev);
    off += used;
    if (e < 0) {
      rc = e;
      break;
    }
    if (e == RPC_MP_NEED_MORE) {
      rc = rpc_mp_finish(&mp);
      break;
    }
    if (e == RPC_MP_PART) {
      file = ev.part.filename != NULL || !strcmp(ev.part.name, "file");
      part.len = 0;
    } else if (e == RPC_MP_DATA && file) {
      if ((rc = tr_bytes_append(&part, ev.data, ev.len)))
        break;
    } else if (e == RPC_MP_PART_END && file) {
      if ((rc = add_lines(q, part.data, part.len)))
        break;
    } else if (e == RPC_MP_END) {
      break;
    }
  }
  tr_bytes_free(&part);
  rpc_mp_free(&mp);
  return rc;
}

static void on_end(http_req_t *req, int status, void *ud) {
  bargs_t *b = ud;
  tr_bytes_t q = {0};
  int rc = status;
  if (!rc && b->over)
    rc = TR_ETOOBIG;
  if (!rc)
    rc = rpc__body_query(http_req_query(req),
                         http_req_header(req, "content-type"), b->body.data,
                         b->body.len, &q);
  /* The query without its '?'. */
  if (!rc)
    rc = http_req_set_query(req, q.len ? (const char *)q.data + 1 : "",
                            q.len ? q.len - 1 : 0);
  tr_bytes_free(&q);
  rpc_ctx_t *ctx = b->ctx;
  rpc_fn fn = b->fn;
  bargs_free(b);
  if (rc) {
    char msg[200];
    if (rc == TR_ETOOBIG)
      snprintf(msg, sizeof msg, "the arguments in the body are over %u "
               "bytes", RPC_BODY_ARGS_MAX);
    else
      snprintf(msg, sizeof msg, "reading the arguments in the body: %s",
               tr_strerror(rc));
    rpc_api_error(req, 400, msg);
    return;
  }
  fn(req, ctx);
}

bool rpc__body_args(http_req_t *req, rpc_ctx_t *ctx, const char *cmd,
                    rpc_fn fn) {
  const char *ctype = http_req_header(req, "content-type");
  if (!ctype || strncasecmp(ctype, "multipart/", 10))
    return false;
  if (!rpc_cmddef_stdin_args(cmd))
    return false;
  bargs_t *b = tr_calloc(1, sizeof *b);
  if (!b) {
    rpc_api_error(req, 500, "out of memory");
    return true;
  }
  b->ctx = ctx, b->fn = fn;
  http_req_body(req, on_data, on_end, b);
  return true;
}

/*
 * rpc_file.c — the one small file a command takes as a multipart body
 * (rpc_file_collect, rpc_int.h): a record for routing put and name put,
 * a key for key import, data for key sign and verify, a record for name
 * inspect.  Read on the loop with http_req_body() and parsed there
 * (multipart.h is sans-I/O): the files are small, bounded by the caller,
 * and the commands that take them answer on the loop.
 */
#include <errno.h>
#include <sodium.h>

#include "rpc_int.h"

typedef struct rpc_file {
  const char *what; /* the argument's name, for Kubo's refusal */
  rpc_mp_t mp;
  int err;        /* the body's first error (multipart, memory) */
  unsigned parts; /* parts seen */
  bool in_first;  /* inside the first part */
  size_t max;
  tr_bytes_t data;
  rpc_file_fn done;
  void *ud;
} rpc_file_t;

static void file_free(rpc_file_t *f) {
  rpc_mp_free(&f->mp);
  /* A key may have come this way. */
  if (f->data.data)
    sodium_memzero(f->data.data, f->data.len);
  tr_bytes_free(&f->data);
  tr_free(f);
}

static void file_data(http_req_t *req, const uint8_t *p, size_t n, void *ud) {
  (void)req;
  rpc_file_t *f = ud;
  while (!f->err) {
    size_t used = 0;
    rpc_mp_event_t ev;
    int rc = rpc_mp_feed(&f->mp, p, n, &used, &ev);
    p += used, n -= used;
    if (rc < 0) {
      f->err = rc;
    } else if (rc == RPC_MP_PART) {
      f->in_first = f->parts++ == 0;
    } else if (rc == RPC_MP_DATA && f->in_first) {
      /* One byte past the cap tells the caller the file was longer; the
       * rest is dropped. */
      size_t room = f->max + 1 - f->data.len;
      if (tr_bytes_append(&f->data, ev.data, ev.len < room ? ev.len : room))
        f->err = -ENOMEM;
    } else if (rc == RPC_MP_PART_END) {
      f->in_first = false;
    } else if (rc == RPC_MP_NEED_MORE || rc == RPC_MP_END) {
      break; /* all taken; or the end, the epilogue ignored */
    }
  }
}

static void file_end(http_req_t *req, int status, void *ud) {
  rpc_file_t *f = ud;
  int rc = status < 0 ? status : f->err ? f->err : rpc_mp_finish(&f->mp);
  if (status < 0) {
    req = NULL; /* the client left, or the body broke off */
  } else if (!rc && !f->parts) {
    rpc_error(req, 400, "argument \"%s\" is required", f->what);
    req = NULL;
  } else if (rc) {
    rpc_error(req, 400, "invalid multipart body: %s", tr_strerror(rc));
    req = NULL;
  }
  f->done(req, f->data.data, f->data.len, f->ud);
  file_free(f);
}

void rpc_file_collect(http_req_t *req, const char *what, size_t max,
                      rpc_file_fn done, void *ud) {
  rpc_file_t *f = tr_calloc(1, sizeof *f);
  const char *ct = http_req_header(req, "content-type");
  if (!f || !ct || rpc_mp_init(&f->mp, ct, 0)) {
    tr_free(f);
    if (f)
      rpc_error(req, 400, "argument \"%s\" is required", what);
    else
      rpc_error(req, 500, "out of memory");
    done(NULL, NULL, 0, ud);
    return;
  }
  f->what = what, f->max = max, f->done = done, f->ud = ud;
  http_req_body(req, file_data, file_end, f);
}

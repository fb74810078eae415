/*
 * rpc_part.c — a command's one file argument (key import's key, routing
 * put's value, config replace's file): the first part of the request's
 * multipart body, read whole into memory (rpc_int.h, rpc_first_part).
 */
#include <sodium.h>

#include "rpc_int.h"

typedef struct part {
  rpc_mp_t mp;
  int err;
  unsigned parts;
  bool in_first;
  size_t max;
  tr_bytes_t data;
  rpc_part_cb done;
  void *ud;
} part_t;

static void part_free(part_t *s) {
  rpc_mp_free(&s->mp);
  if (s->data.data) /* it may be a key */
    sodium_memzero(s->data.data, s->data.len);
  tr_bytes_free(&s->data);
  tr_free(s);
}

static void on_data(http_req_t *req, const uint8_t *p, size_t n, void *ud) {
  (void)req;
  part_t *s = ud;
  while (!s->err) {
    size_t used = 0;
    rpc_mp_event_t ev;
    int rc = rpc_mp_feed(&s->mp, p, n, &used, &ev);
    p += used, n -= used;
    if (rc < 0) {
      s->err = rc;
    } else if (rc == RPC_MP_PART) {
      s->in_first = s->parts++ == 0;
    } else if (rc == RPC_MP_DATA && s->in_first) {
      /* Past the cap the rest is dropped; the length refuses it. */
      size_t room = s->max + 1 - s->data.len;
      if (tr_bytes_append(&s->data, ev.data, ev.len < room ? ev.len : room))
        s->err = -ENOMEM;
    } else if (rc == RPC_MP_PART_END) {
      s->in_first = false;
    } else if (rc == RPC_MP_NEED_MORE || rc == RPC_MP_END) {
      break;
    }
  }
}

static void on_end(http_req_t *req, int status, void *ud) {
  part_t *s = ud;
  int rc = status < 0 ? -ECANCELED
           : s->err   ? s->err
                      : rpc_mp_finish(&s->mp);
  if (!rc && !s->parts)
    rc = TR_ENOTFOUND;
  else if (!rc && s->data.len > s->max)
    rc = TR_ETOOBIG;
  s->done(req, rc, &s->data, s->ud);
  part_free(s);
}

void rpc_first_part(http_req_t *req, size_t max, rpc_part_cb done,
                    void *ud) {
  part_t *s = tr_calloc(1, sizeof *s);
  const char *ct = http_req_header(req, "content-type");
  if (!s) {
    done(req, -ENOMEM, NULL, ud);
    return;
  }
  s->max = max, s->done = done, s->ud = ud;
  if (!ct || rpc_mp_init(&s->mp, ct, 0)) {
    done(req, TR_ENOTFOUND, NULL, ud);
    part_free(s);
    return;
  }
  http_req_body(req, on_data, on_end, s);
}

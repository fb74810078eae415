/*
 * api.c — the Pinning Service API over HTTP (pins.h, "api"):
 *
 *   GET    /pins              200 PinResults (streamed), 400
 *   POST   /pins              202 PinStatus, 400, 413
 *   GET    /pins/{requestid}  200 PinStatus, 404
 *   POST   /pins/{requestid}  202 PinStatus (replace), 400, 404, 413
 *   DELETE /pins/{requestid}  202, 404
 *   anything                  401 without a live bearer token, first
 *
 * Errors are the spec's Failure: {"error":{"reason","details"}}.  Writes
 * (add, replace, delete) are one short write transaction on the loop;
 * listings stream from the worker pool, each piece in a read transaction
 * of its own (mir_list_t is resumable), so a million pins list in the
 * memory of one piece.  PinResults puts "count" first: it is computed in
 * the first piece (counters for the default query, pins.h "Counting").
 */
#include "mir_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../http/stream.h"

struct mir_api {
  mir_store_t *st;
  mir_engine_t *eng;
  json_t *delegates; /* array of strings, at least one */
};

int mir_api_new(mir_store_t *st, mir_engine_t *eng,
                const char *const *delegates, size_t n, mir_api_t **out) {
  mir_api_t *a = tr_calloc(1, sizeof *a);
  if (!a)
    return -ENOMEM;
  a->st = st;
  a->eng = eng;
  a->delegates = json_array();
  for (size_t i = 0; i < n && i < MIR_DELEGATES_MAX; i++)
    json_array_append_new(a->delegates, json_string(delegates[i]));
  if (!json_array_size(a->delegates))
    /* The spec wants at least one; a node with no address has none to
     * give, so give the one that names nothing to dial. */
    json_array_append_new(a->delegates, json_string("/ip4/127.0.0.1"));
  *out = a;
  return 0;
}

void mir_api_free(mir_api_t *a) {
  if (!a)
    return;
  json_decref(a->delegates);
  tr_free(a);
}

/* ------------------------------------------------------------ answers */

static void reply_json(http_req_t *req, int status, json_t *o) {
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  http_header_t h[] = {{"Content-Type", "application/json"}};
  if (!s) {
    http_res_simple(req, 500, "text/plain", "out of memory\n", 14);
    return;
  }
  http_res_start(req, status, h, 1, (int64_t)strlen(s));
  http_res_write(req, s, strlen(s));
  http_res_end(req);
  free(s);
}

static void fail(http_req_t *req, int status, const char *reason,
                 const char *details) {
  json_t *e = json_pack("{s:s}", "reason", reason);
  if (details)
    json_object_set_new(e, "details", json_string(details));
  if (status == 401) {
    http_header_t h[] = {{"Content-Type", "application/json"},
                         {"WWW-Authenticate", "Bearer"}};
    char *s = json_dumps(json_pack("{s:o}", "error", e), JSON_COMPACT);
    http_res_start(req, 401, h, 2, s ? (int64_t)strlen(s) : 0);
    if (s)
      http_res_write(req, s, strlen(s));
    http_res_end(req);
    free(s);
    return;
  }
  reply_json(req, status, json_pack("{s:o}", "error", e));
}

static json_t *raw_json(const char *s, size_t n, json_t *dflt) {
  json_t *v = s ? json_loadb(s, n, 0, NULL) : NULL;
  return v ? v : dflt;
}

/* The PinStatus of p. */
static json_t *pin_status(const mir_api_t *a, const mir_pin_t *p) {
  char t[40], cid[DAG_CID_STR_MAX];
  mir_time_fmt(p->created, t, sizeof t);
  dag_cid_str(&p->cid, cid);
  json_t *pin = json_pack("{s:s}", "cid", cid);
  if (p->name)
    json_object_set_new(pin, "name", json_stringn(p->name, p->name_len));
  if (p->origins)
    json_object_set_new(pin, "origins",
                        raw_json(p->origins, p->origins_len, json_array()));
  if (p->meta)
    json_object_set_new(pin, "meta",
                        raw_json(p->meta, p->meta_len, json_object()));
  json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:O}", "requestid", p->requestid,
                        "status", mir_status_name(p->status), "created", t,
                        "pin", pin, "delegates", a->delegates);
  json_object_set_new(o, "info", raw_json(p->info, p->info_len,
                                          json_object()));
  return o;
}

/* -------------------------------------------------------------- listing */

typedef struct list_state {
  mir_api_t *a;
  mir_list_t *l;
  mir_query_t q;
  char *meta_buf;
  unsigned limit, n;
  int phase;      /* 0 head not written, 1 results, 2 done */
  char *pending;  /* a pin's JSON that did not fit the last piece */
  size_t pending_len;
} list_state_t;

static void list_free(void *p) {
  list_state_t *s = p;
  mir_list_free(s->l);
  tr_free(s->meta_buf);
  tr_free((void *)s->q.name);
  free(s->pending);
  tr_free(s);
}

static int64_t list_fill(void *state, void *arg, uint8_t *buf, size_t cap) {
  list_state_t *s = state;
  (void)arg;
  size_t w = 0;
  bs_txn_t *txn;
  if (s->phase == 2)
    return 0;
  int rc = bs_txn_begin(mir_store_env(s->a->st), BS_RDONLY, &txn);
  if (rc)
    return rc;
  if (s->phase == 0) {
    uint64_t count;
    if ((rc = mir_count(s->a->st, txn, &s->q, &count))) {
      bs_txn_abort(txn);
      return rc;
    }
    w = (size_t)snprintf((char *)buf, cap, "{\"count\":%llu,\"results\":[",
                         (unsigned long long)count);
    s->phase = 1;
  }
  for (;;) {
    if (s->pending) {
      size_t need = s->pending_len + 1;
      if (w + need + 3 > cap)
        break;
      if (s->n > 1)
        buf[w++] = ',';
      memcpy(buf + w, s->pending, s->pending_len);
      w += s->pending_len;
      free(s->pending);
      s->pending = NULL;
    }
    if (s->n >= s->limit)
      goto end;
    mir_pin_t p;
    rc = mir_list_next(s->l, txn, &p);
    if (rc < 0) {
      bs_txn_abort(txn);
      return rc;
    }
    if (!rc)
      goto end;
    json_t *o = pin_status(s->a, &p);
    s->pending = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s->pending) {
      bs_txn_abort(txn);
      return -ENOMEM;
    }
    s->pending_len = strlen(s->pending);
    s->n++;
  }
  bs_txn_abort(txn);
  return (int64_t)w;
end:
  bs_txn_abort(txn);
  memcpy(buf + w, "]}", 2);
  s->phase = 2;
  return (int64_t)(w + 2);
}

static void list_pins(mir_api_t *a, http_req_t *req) {
  list_state_t *s = tr_calloc(1, sizeof *s);
  if (!s) {
    fail(req, 500, "INTERNAL", "out of memory");
    return;
  }
  s->a = a;
  char err[160] = "";
  int rc = mir__parse_query(http_req_query(req), &s->q, &s->limit,
                            &s->meta_buf, err, sizeof err);
  if (!rc)
    rc = mir_list_new(a->st, &s->q, &s->l);
  if (rc) {
    fail(req, rc == -ENOMEM ? 500 : 400,
         rc == -ENOMEM ? "INTERNAL" : "BAD_REQUEST",
         *err ? err : tr_strerror(rc));
    list_free(s);
    return;
  }
  http_header_t h[] = {{"Content-Type", "application/json"}};
  http_res_start(req, 200, h, 1, -1);
  http_stream_start(req, a, list_fill, list_free, s);
}

/* ------------------------------------------------------- add, replace */

typedef struct body {
  mir_api_t *a;
  char id[MIR_REQID_LEN + 1]; /* replace: the old one */
  char *buf;
  size_t n;
  bool too_big;
} body_t;

static void body_data(http_req_t *req, const uint8_t *p, size_t n, void *ud) {
  (void)req;
  body_t *b = ud;
  if (b->too_big || b->n + n > MIR_BODY_MAX) {
    b->too_big = true;
    return;
  }
  memcpy(b->buf + b->n, p, n);
  b->n += n;
}

static void body_end(http_req_t *req, int status, void *ud) {
  body_t *b = ud;
  mir_api_t *a = b->a;
  if (status) {
    if (!http_req_closed(req))
      fail(req, b->too_big ? 413 : 400, b->too_big ? "PAYLOAD_TOO_LARGE"
                                                   : "BAD_REQUEST",
           "request body could not be read");
    goto out;
  }
  if (b->too_big) {
    fail(req, 413, "PAYLOAD_TOO_LARGE", "request body over the limit");
    goto out;
  }
  char err[160] = "";
  mir__body_t pb;
  int rc = mir__parse_body(b->buf, b->n, &pb, err, sizeof err);
  if (rc) {
    fail(req, rc == -ENOMEM ? 500 : 400, rc == -ENOMEM ? "INTERNAL"
                                                       : "BAD_REQUEST", err);
    mir__body_free(&pb);
    goto out;
  }
  pb.pin.source = MIR_SRC_API;
  bs_txn_t *txn;
  rc = bs_txn_begin(mir_store_env(a->st), 0, &txn);
  if (!rc) {
    rc = *b->id ? mir_pin_replace(a->st, txn, b->id, &pb.pin)
                : mir_pin_add(a->st, txn, &pb.pin);
    rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
  }
  if (rc == TR_ENOTFOUND)
    fail(req, 404, "NOT_FOUND", "no pin object with that requestid");
  else if (rc)
    fail(req, 500, "INTERNAL", tr_strerror(rc));
  else
    reply_json(req, 202, pin_status(a, &pb.pin));
  mir__body_free(&pb);
  if (!rc && a->eng)
    mir_engine_kick(a->eng);
out:
  tr_free(b->buf);
  tr_free(b);
}

static void read_body(mir_api_t *a, http_req_t *req, const char *id) {
  const char *cl = http_req_header(req, "content-length");
  if (cl && strtoull(cl, NULL, 10) > MIR_BODY_MAX) {
    fail(req, 413, "PAYLOAD_TOO_LARGE", "request body over the limit");
    return;
  }
  body_t *b = tr_calloc(1, sizeof *b);
  char *buf = b ? tr_malloc(MIR_BODY_MAX) : NULL;
  if (!buf) {
    tr_free(b);
    fail(req, 500, "INTERNAL", "out of memory");
    return;
  }
  b->a = a;
  b->buf = buf;
  if (id)
    snprintf(b->id, sizeof b->id, "%s", id);
  http_req_body(req, body_data, body_end, b);
}

/* ------------------------------------------------------ get, delete */

static void one_pin(mir_api_t *a, http_req_t *req, const char *id,
                    bool delete) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(mir_store_env(a->st), delete ? 0 : BS_RDONLY, &txn);
  json_t *o = NULL;
  if (!rc) {
    if (delete) {
      rc = mir_pin_del(a->st, txn, id, NULL);
      rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
    } else {
      mir_pin_t p;
      rc = mir_pin_get(a->st, txn, id, &p);
      if (!rc)
        o = pin_status(a, &p);
      bs_txn_abort(txn);
    }
  }
  if (rc == TR_ENOTFOUND)
    fail(req, 404, "NOT_FOUND", "no pin object with that requestid");
  else if (rc)
    fail(req, 500, "INTERNAL", tr_strerror(rc));
  else if (delete)
    http_res_simple(req, 202, NULL, NULL, 0);
  else
    reply_json(req, 200, o);
}

/* ------------------------------------------------------------ dispatch */

static bool authorized(mir_api_t *a, http_req_t *req) {
  const char *h = http_req_header(req, "authorization");
  if (!h || strncasecmp(h, "Bearer ", 7))
    return false;
  h += 7;
  while (*h == ' ')
    h++;
  size_t n = strlen(h);
  while (n && h[n - 1] == ' ')
    n--;
  bs_txn_t *txn;
  if (bs_txn_begin(mir_store_env(a->st), BS_RDONLY, &txn))
    return false;
  int rc = mir_token_check(a->st, txn, h, n);
  bs_txn_abort(txn);
  return rc == 0;
}

bool mir_api_handle(mir_api_t *a, http_req_t *req) {
  const char *path = http_req_path(req);
  if (strncmp(path, "/pins", 5) || (path[5] && path[5] != '/'))
    return false;
  if (!authorized(a, req)) {
    fail(req, 401, "UNAUTHORIZED", "a valid bearer token is required");
    return true;
  }
  const char *m = http_req_method(req);
  const char *id = path[5] == '/' ? path + 6 : NULL;
  if (id && !*id)
    id = NULL;
  if (!id) {
    if (!strcmp(m, "GET"))
      list_pins(a, req);
    else if (!strcmp(m, "POST"))
      read_body(a, req, NULL);
    else
      fail(req, 405, "METHOD_NOT_ALLOWED", "use GET or POST on /pins");
    return true;
  }
  if (strchr(id, '/')) {
    fail(req, 404, "NOT_FOUND", "no such resource");
    return true;
  }
  if (!strcmp(m, "GET"))
    one_pin(a, req, id, false);
  else if (!strcmp(m, "DELETE"))
    one_pin(a, req, id, true);
  else if (!strcmp(m, "POST")) {
    uint64_t c, r;
    if (!mir__reqid_parse(id, &c, &r))
      fail(req, 404, "NOT_FOUND", "no pin object with that requestid");
    else
      read_body(a, req, id);
  } else
    fail(req, 405, "METHOD_NOT_ALLOWED", "use GET, POST or DELETE");
  return true;
}

void mir_api_serve(http_req_t *req, void *ud) {
  if (!mir_api_handle(ud, req))
    http_res_simple(req, 404, "text/plain", "404 page not found\n", 19);
}

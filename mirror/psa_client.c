/*
 * psa_client.c — Pinning Service API requests on the loop
 * (mirror/psa_client.h): one http/client.h request an operation (a list
 * walk makes one a page, in turn), the body gathered up to
 * MIR_PSA_BODY_MAX and handed to psa_parse.c when whole.
 *
 * Lifetimes.  An operation lives until the HTTP request's on_done (always
 * from the loop).  A cancel marks it and cancels the request: its memory
 * goes in that on_done, with no callback to the caller.  The mir_psa_t
 * lives until its last operation is gone, so mir_psa_free may be called
 * from inside a callback.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../http/client.h"
#include "psa_client.h"

enum { OP_LIST, OP_ALL, OP_ADD, OP_GET, OP_DELETE };

struct mir_psa {
  http_client_t *http;
  char endpoint[MIR_PSA_URL_MAX];
  char *auth;    /* "Bearer KEY" */
  size_t ops;    /* not yet freed */
  bool closing;
};

struct mir_psa_op {
  mir_psa_t *c;
  int kind;
  http_creq_t *h;
  tr_bytes_t body;
  int http_status;
  bool cancelled;
  mir_psa_done_cb cb;
  void *ud;
  /* OP_ALL: the query (owned copies), the walk's place. */
  mir_psa_pin_cb on_pin;
  char *cids, *name, *match, *meta;
  unsigned status, limit;
  char before[40];
  int64_t before_us; /* the walk's before=, microseconds */
  size_t pages;
  /* The pins handed out that the next page may list again (created in
   * [t, before), t the last page's oldest time), skipped there by
   * requestid.  check: the count of a page that could not be paged past
   * with an overlap, held against the next page's (asked with before=t). */
  struct seen {
    char id[MIR_PSA_REQID_MAX + 1];
    int64_t created_us;
  } *seen;
  size_t nseen, seen_cap;
  uint64_t check;
};

/* ------------------------------------------------------------ client */

static bool clean(const char *s, size_t max) {
  if (!s)
    return true;
  size_t n = strlen(s);
  if (n > max)
    return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
      return false;
  return true;
}

int mir_psa_new(uv_loop_t *loop, const char *endpoint, const char *key,
                mir_psa_t **out) {
  *out = NULL;
  char ep[MIR_PSA_URL_MAX], err[128];
  if (!key || !clean(key, MIR_PSA_KEY_MAX) ||
      mir_psa_endpoint_normalize(endpoint, ep, sizeof ep, err, sizeof err))
    return TR_EUSAGE;
  if (strncmp(ep, "http://", 7) && strncmp(ep, "https://", 8))
    return -EPROTONOSUPPORT;
  mir_psa_t *c = tr_calloc(1, sizeof *c);
  if (!c)
    return -ENOMEM;
  size_t al = strlen(key) + 8;
  if (!(c->auth = tr_malloc(al))) {
    tr_free(c);
    return -ENOMEM;
  }
  snprintf(c->auth, al, "Bearer %s", key);
  snprintf(c->endpoint, sizeof c->endpoint, "%s", ep);
  http_client_opts_t o;
  http_client_opts_default(&o);
  o.deadline_ms = MIR_PSA_TIMEOUT_MS;
  o.max_body_bytes = MIR_PSA_BODY_MAX;
  int rc = http_client_new(loop, &o, &c->http);
  if (rc) {
    tr_free(c->auth);
    tr_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

static void psa_release(mir_psa_t *c) {
  if (c->closing && !c->ops) {
    tr_free(c->auth);
    tr_free(c);
  }
}

void mir_psa_free(mir_psa_t *c) {
  if (!c || c->closing)
    return;
  c->closing = true;
  http_client_free(c->http); /* running ops end with -ECANCELED */
  psa_release(c);
}

/* ---------------------------------------------------------- requests */

static void op_free(mir_psa_op_t *op) {
  mir_psa_t *c = op->c;
  tr_bytes_free(&op->body);
  tr_free(op->cids);
  tr_free(op->name);
  tr_free(op->match);
  tr_free(op->meta);
  tr_free(op->seen);
  tr_free(op);
  c->ops--;
  psa_release(c);
}

static int on_head(http_creq_t *req, int status, const http_header_t *h,
                   size_t nh, void *ud) {
  (void)req, (void)h, (void)nh;
  mir_psa_op_t *op = ud;
  op->http_status = status;
  return op->cancelled ? 1 : 0;
}

static int on_body(http_creq_t *req, const uint8_t *p, size_t n, void *ud) {
  (void)req;
  mir_psa_op_t *op = ud;
  if (op->cancelled)
    return 1;
  if (op->body.len + n > MIR_PSA_BODY_MAX)
    return TR_ETOOBIG;
  return tr_bytes_append(&op->body, p, n);
}

static void finish(mir_psa_op_t *op, mir_psa_result_t *r) {
  if (!op->cancelled) {
    r->http_status = op->http_status;
    if (!r->reason)
      r->reason = "";
    if (!r->details)
      r->details = "";
    op->cb(op->ud, r);
  }
  op_free(op);
}

static int send_req(mir_psa_op_t *op, const char *method, const char *url,
                    const char *ctype, const void *body, size_t bl);
static int next_page(mir_psa_op_t *op);

static bool was_seen(const mir_psa_op_t *op, const char *id) {
  for (size_t i = 0; i < op->nseen; i++)
    if (!strcmp(op->seen[i].id, id))
      return true;
  return false;
}

static int seen_add(mir_psa_op_t *op, const mir_psa_pin_t *p) {
  if (op->nseen == op->seen_cap) {
    size_t cap = op->seen_cap ? op->seen_cap * 2 : 4;
    void *t = tr_realloc(op->seen, cap * sizeof *op->seen);
    if (!t)
      return -ENOMEM;
    op->seen = t;
    op->seen_cap = cap;
  }
  struct seen *e = &op->seen[op->nseen++];
  snprintf(e->id, sizeof e->id, "%s", p->requestid);
  e->created_us = p->created_us;
  return 0;
}

/* Keep the pins seen created in [lo, hi). */
static void seen_keep(mir_psa_op_t *op, int64_t lo, int64_t hi) {
  size_t k = 0;
  for (size_t i = 0; i < op->nseen; i++)
    if (op->seen[i].created_us >= lo && op->seen[i].created_us < hi)
      op->seen[k++] = op->seen[i];
  op->nseen = k;
}

/* One unit of the precision s (RFC 3339) is written with, in
 * microseconds, and the fraction digits to write a time of it with. */
static int64_t time_unit(const char *s, int *digits) {
  const char *p = strchr(s, '.');
  int d = 0;
  if (p)
    while (p[1 + d] >= '0' && p[1 + d] <= '9')
      d++;
  *digits = d > 6 ? 6 : d;
  int64_t u = 1;
  for (int i = *digits; i < 6; i++)
    u *= 10;
  return u;
}

/* A page of a walk has come: hand its pins out, then ask the next.
 *
 * The next page is asked with before= one unit of the service's precision
 * past the page's oldest time t, not t itself: a service that writes
 * created to the second lists many pins at one t, and before=t would skip
 * those that did not fit the page (go-pinning-service-http-client does;
 * a mirror would never pin them, and would drop them as unwanted).  What
 * this page held in [t, t + unit) comes again at the top of the next and
 * is skipped by requestid (Go's time format trims trailing zeros, so the
 * unit is read from each time as written).  A page that cannot be paged
 * past that way (all of it in that span) is followed by one asked with
 * before=t, and the two counts must differ by no more than the pins seen
 * in between, or more pins than a page share t and the walk cannot have
 * them all (TR_ELIMIT, rather than a wanted set with holes). */
static int walk_page(mir_psa_op_t *op, const mir_psa_page_t *pg, bool *more) {
  *more = false;
  int64_t was = op->before[0] ? op->before_us : INT64_MAX;
  for (size_t i = 0; i < pg->n; i++)
    if (pg->pins[i].created_us >= was)
      return TR_EPROTO; /* not older than asked: it would loop us */
  if (op->check) {
    if (op->check > pg->count && op->check - pg->count > op->nseen) {
      tr_log(TR_LOG_WARN, "pinning service: %" PRIu64 " pins created at %s, "
             "more than a page of %u: they cannot all be listed",
             op->check - pg->count, op->before, op->limit);
      return TR_ELIMIT;
    }
    op->check = 0;
    op->nseen = 0; /* this page is older than all of them */
  }
  for (size_t i = 0; i < pg->n; i++) {
    if (was_seen(op, pg->pins[i].requestid))
      continue;
    if (op->on_pin(op->ud, &pg->pins[i]) || op->cancelled)
      return 0;
  }
  /* count is of the pins matching the query as asked, before= included
   * (the spec's "for passed query filters"; trove's service counts so):
   * a page that holds that many is the last.  Held against all the pins
   * of the walk so far, it ended a walk of 10,000 pins at 6,000. */
  if (!pg->n || pg->n < op->limit || pg->n >= pg->count)
    return 0;
  if (++op->pages >= MIR_PSA_PAGES_MAX)
    return TR_ELIMIT;
  const mir_psa_pin_t *old = &pg->pins[0];
  for (size_t i = 1; i < pg->n; i++)
    if (pg->pins[i].created_us < old->created_us)
      old = &pg->pins[i];
  int digits;
  int64_t t = old->created_us, next = t + time_unit(old->created, &digits);
  bool past = false; /* the page holds a pin the overlap leaves out */
  for (size_t i = 0; i < pg->n; i++)
    past |= pg->pins[i].created_us >= next;
  bool overlap = next < was && past;
  int64_t hi = overlap ? next : was; /* what the next page may list again */
  seen_keep(op, t, hi);
  for (size_t i = 0; i < pg->n; i++) {
    const mir_psa_pin_t *p = &pg->pins[i];
    if (p->created_us < hi && !was_seen(op, p->requestid) && seen_add(op, p))
      return -ENOMEM;
  }
  if (overlap) {
    op->before_us = next;
    mir_psa_format_time_us(next, digits, op->before, sizeof op->before);
  } else {
    op->check = pg->count;
    op->before_us = t;
    snprintf(op->before, sizeof op->before, "%s", old->created);
  }
  *more = true;
  return 0;
}

static void on_done(http_creq_t *req, int status, void *ud) {
  (void)req;
  mir_psa_op_t *op = ud;
  mir_psa_result_t r = {0};
  mir_psa_page_t pg = {0};
  mir_psa_pin_t pin = {0};
  char reason[MIR_PSA_REASON_MAX], details[MIR_PSA_DETAILS_MAX];
  op->h = NULL;
  int want = op->kind == OP_ADD || op->kind == OP_DELETE ? 202 : 200;
  if (op->cancelled || op->c->closing)
    status = -ECANCELED;
  if (!status && op->http_status != want) {
    mir_psa_parse_failure((const char *)op->body.data, op->body.len, reason,
                          sizeof reason, details, sizeof details);
    r.reason = reason;
    r.details = details;
    status = op->http_status == 404                                ? TR_ENOTFOUND
             : op->http_status == 401 || op->http_status == 403 ? -EACCES
                                                                   : TR_EPROTO;
    /* The spec's add answers 202; some services answer 200: take both. */
    if (op->http_status == 200 && op->kind != OP_GET && op->kind != OP_LIST &&
        op->kind != OP_ALL)
      status = 0, r.reason = r.details = NULL;
  }
  if (!status && (op->kind == OP_LIST || op->kind == OP_ALL)) {
    status = mir_psa_parse_page((const char *)op->body.data, op->body.len, &pg);
    if (!status && op->kind == OP_LIST)
      r.page = &pg;
    bool more = false;
    if (!status && op->kind == OP_ALL)
      status = walk_page(op, &pg, &more);
    if (!status && more && !op->cancelled) {
      mir_psa_page_free(&pg);
      op->body.len = 0;
      op->http_status = 0;
      if (!(status = next_page(op)))
        return; /* the walk goes on in the next request */
    }
  } else if (!status && op->kind != OP_DELETE) {
    status = mir_psa_parse_status((const char *)op->body.data, op->body.len,
                                  &pin);
    if (!status)
      r.pin = &pin;
  }
  r.status = status;
  finish(op, &r);
  mir_psa_page_free(&pg);
  mir_psa_pin_free(&pin);
}

static int send_req(mir_psa_op_t *op, const char *method, const char *url,
                    const char *ctype, const void *body, size_t bl) {
  http_header_t h[3] = {{"Authorization", op->c->auth},
                        {"Accept", "application/json"},
                        {"Content-Type", ctype ? ctype : ""}};
  http_client_cbs_t cbs = {on_head, on_body, on_done};
  return http_client_request(op->c->http, method, url, h, ctype ? 3 : 2, body,
                             bl, &cbs, op, &op->h);
}

static mir_psa_op_t *op_new(mir_psa_t *c, int kind, mir_psa_done_cb cb,
                            void *ud) {
  mir_psa_op_t *op = tr_calloc(1, sizeof *op);
  if (!op)
    return NULL;
  op->c = c;
  op->kind = kind;
  op->cb = cb;
  op->ud = ud;
  c->ops++;
  return op;
}

/* ---------------------------------------------------------------- URL */

static int qadd(tr_bytes_t *u, const char *k, const char *v) {
  static const char hex[] = "0123456789ABCDEF";
  if (!v || !*v)
    return 0;
  int rc = tr_bytes_append(u, memchr(u->data, '?', u->len) ? "&" : "?", 1);
  if (!rc)
    rc = tr_bytes_append(u, k, strlen(k));
  if (!rc)
    rc = tr_bytes_append(u, "=", 1);
  for (; !rc && *v; v++) {
    unsigned char ch = (unsigned char)*v;
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
        (ch >= '0' && ch <= '9') || strchr("-._~,", ch))
      rc = tr_bytes_append(u, v, 1);
    else {
      char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
      rc = tr_bytes_append(u, e, 3);
    }
  }
  return rc;
}

static int list_url(mir_psa_t *c, const mir_psa_query_t *q, tr_bytes_t *u) {
  char st[64] = "", lim[16] = "";
  for (unsigned b = 1; b <= 8; b <<= 1)
    if (q->status & b)
      snprintf(st + strlen(st), sizeof st - strlen(st), "%s%s",
               st[0] ? "," : "", mir_psa_status_name(b));
  if (q->limit)
    snprintf(lim, sizeof lim, "%u", q->limit);
  int rc = tr_bytes_append(u, c->endpoint, strlen(c->endpoint));
  if (!rc)
    rc = tr_bytes_append(u, "/pins", 5);
  if (!rc)
    rc = qadd(u, "cid", q->cids);
  if (!rc)
    rc = qadd(u, "name", q->name);
  if (!rc)
    rc = qadd(u, "match", q->match);
  if (!rc)
    rc = qadd(u, "status", st);
  if (!rc)
    rc = qadd(u, "before", q->before);
  if (!rc)
    rc = qadd(u, "after", q->after);
  if (!rc)
    rc = qadd(u, "limit", lim);
  if (!rc)
    rc = qadd(u, "meta", q->meta);
  if (!rc)
    rc = tr_bytes_append(u, "", 1);
  if (!rc && u->len > MIR_PSA_URL_MAX)
    rc = TR_EUSAGE;
  return rc;
}

static int start_list(mir_psa_op_t *op, const mir_psa_query_t *q) {
  tr_bytes_t u = {0};
  int rc = list_url(op->c, q, &u);
  if (!rc)
    rc = send_req(op, "GET", (const char *)u.data, NULL, NULL, 0);
  tr_bytes_free(&u);
  return rc;
}

static int next_page(mir_psa_op_t *op) {
  mir_psa_query_t q = {op->cids, op->name, op->match, op->status,
                       op->before[0] ? op->before : NULL, NULL,
                       op->limit, op->meta};
  return start_list(op, &q);
}

static bool query_ok(const mir_psa_query_t *q) {
  return clean(q->cids, MIR_PSA_URL_MAX) && clean(q->name, MIR_PSA_NAME_MAX) &&
         clean(q->match, 16) && clean(q->before, 39) && clean(q->after, 39) &&
         clean(q->meta, MIR_PSA_URL_MAX) && q->limit <= MIR_PSA_RESULTS_MAX;
}

/* ------------------------------------------------------------ the API */

static int started(mir_psa_op_t *op, int rc, mir_psa_op_t **out) {
  if (rc) {
    op->cancelled = true;
    op_free(op);
    return rc;
  }
  if (out)
    *out = op;
  return 0;
}

int mir_psa_list(mir_psa_t *c, const mir_psa_query_t *q, mir_psa_done_cb cb,
                 void *ud, mir_psa_op_t **out) {
  if (c->closing)
    return -ECANCELED;
  if (!query_ok(q) || !cb)
    return TR_EUSAGE;
  mir_psa_op_t *op = op_new(c, OP_LIST, cb, ud);
  if (!op)
    return -ENOMEM;
  return started(op, start_list(op, q), out);
}

static char *dup0(const char *s) { return s && *s ? tr_strdup(s) : NULL; }

int mir_psa_list_all(mir_psa_t *c, const mir_psa_query_t *q,
                     mir_psa_pin_cb on_pin, mir_psa_done_cb on_done_cb,
                     void *ud, mir_psa_op_t **out) {
  if (c->closing)
    return -ECANCELED;
  if (!query_ok(q) || !on_pin || !on_done_cb)
    return TR_EUSAGE;
  mir_psa_op_t *op = op_new(c, OP_ALL, on_done_cb, ud);
  if (!op)
    return -ENOMEM;
  op->on_pin = on_pin;
  op->status = q->status;
  op->limit = q->limit ? q->limit : MIR_PSA_LIMIT_DEFAULT;
  if ((q->cids && *q->cids && !(op->cids = dup0(q->cids))) ||
      (q->name && *q->name && !(op->name = dup0(q->name))) ||
      (q->match && *q->match && !(op->match = dup0(q->match))) ||
      (q->meta && *q->meta && !(op->meta = dup0(q->meta))))
    return started(op, -ENOMEM, out);
  return started(op, next_page(op), out);
}

static bool id_ok(const char *id) {
  return id && *id && clean(id, MIR_PSA_REQID_MAX) && !strpbrk(id, "/?#%");
}

int mir_psa_add(mir_psa_t *c, const char *id, const char *cid,
                const char *name, json_t *origins, json_t *meta,
                mir_psa_done_cb cb, void *ud, mir_psa_op_t **out) {
  if (c->closing)
    return -ECANCELED;
  if (!cb || !cid || !clean(cid, MIR_PSA_CID_MAX) || !clean(name, MIR_PSA_NAME_MAX) ||
      (id && !id_ok(id)) || (origins && !json_is_array(origins)) ||
      (meta && !json_is_object(meta)))
    return TR_EUSAGE;
  json_t *o = json_pack("{s:s}", "cid", cid);
  if (o && name && *name)
    json_object_set_new(o, "name", json_string(name));
  if (o && origins && json_array_size(origins))
    json_object_set(o, "origins", origins);
  if (o && meta && json_object_size(meta))
    json_object_set(o, "meta", meta);
  char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!body)
    return -ENOMEM;
  char url[MIR_PSA_URL_MAX + MIR_PSA_REQID_MAX + 8];
  snprintf(url, sizeof url, "%s/pins%s%s", c->endpoint, id ? "/" : "",
           id ? id : "");
  mir_psa_op_t *op = op_new(c, OP_ADD, cb, ud);
  int rc = op ? send_req(op, "POST", url, "application/json", body,
                         strlen(body))
              : -ENOMEM;
  free(body);
  return op ? started(op, rc, out) : rc;
}

static int by_id(mir_psa_t *c, int kind, const char *method, const char *id,
                 mir_psa_done_cb cb, void *ud, mir_psa_op_t **out) {
  if (c->closing)
    return -ECANCELED;
  if (!cb || !id_ok(id))
    return TR_EUSAGE;
  char url[MIR_PSA_URL_MAX + MIR_PSA_REQID_MAX + 8];
  snprintf(url, sizeof url, "%s/pins/%s", c->endpoint, id);
  mir_psa_op_t *op = op_new(c, kind, cb, ud);
  if (!op)
    return -ENOMEM;
  return started(op, send_req(op, method, url, NULL, NULL, 0), out);
}

int mir_psa_get(mir_psa_t *c, const char *id, mir_psa_done_cb cb, void *ud,
                mir_psa_op_t **out) {
  return by_id(c, OP_GET, "GET", id, cb, ud, out);
}

int mir_psa_delete(mir_psa_t *c, const char *id, mir_psa_done_cb cb,
                   void *ud, mir_psa_op_t **out) {
  return by_id(c, OP_DELETE, "DELETE", id, cb, ud, out);
}

void mir_psa_cancel(mir_psa_op_t *op) {
  if (!op || op->cancelled)
    return;
  op->cancelled = true;
  if (op->h)
    http_creq_cancel(op->h);
}

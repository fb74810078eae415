/*
 * remote.c — `pin remote` operations on a loop (remote.h).
 *
 * An operation (mir_rop_t) owns one client of the service (two for
 * service ls: one at a time) and a timer (add's polling).  It ends in
 * done(): the caller's callback once, then the client is freed (allowed
 * from inside its callback) and the timer closed; the memory goes in the
 * timer's close callback, so a cancel from anywhere is safe too.
 */
#include "remote.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "../dag/cid.h"

enum { OP_SVCLS, OP_ADD, OP_LS, OP_RM };

struct mir_rop {
  int kind;
  uv_loop_t *loop;
  uv_timer_t timer;
  mir_psa_t *c;
  mir_psa_op_t *op;    /* the request in flight */
  mir_remote_cb cb;
  void *ud;
  bool ended;
  /* add */
  bool background;
  void (*on_delegates)(void *, json_t *);
  char id[MIR_PSA_REQID_MAX + 1];
  /* ls, rm */
  mir_psa_pin_cb on_pin;
  bool force;
  json_t *ids;         /* rm: the requestids to delete */
  size_t next;
  /* service ls */
  json_t *list;        /* {"RemoteServices":[...]} */
  json_t *keys;        /* the services' keys, in list's order */
  size_t svc, st;
  bool stat;
  json_int_t cnt[4];
  char msg[MIR_REMOTE_MSG_MAX];
};

/* ----------------------------------------------------------- services */

json_t *mir_remote_services(json_t *cfg) {
  json_t *s = config_get(cfg, "Pinning.RemoteServices");
  return json_is_object(s) ? s : NULL;
}

int mir_remote_service_add(json_t *cfg, const char *name, const char *ep,
                           const char *key, char *err, size_t en) {
  char norm[MIR_PSA_URL_MAX];
  if (mir_psa_endpoint_normalize(ep, norm, sizeof norm, err, en))
    return TR_EUSAGE;
  json_t *s = mir_remote_services(cfg);
  if (s && json_object_get(s, name)) {
    snprintf(err, en, "service already present");
    return TR_EEXIST;
  }
  json_t *svc = json_pack("{s:{s:s,s:s},s:{s:{s:b,s:s,s:s}}}", "API",
                          "Endpoint", norm, "Key", key, "Policies", "MFS",
                          "Enable", 0, "PinName", "", "RepinInterval", "");
  int rc = svc ? 0 : -ENOMEM;
  if (!rc && !s) {
    s = json_object();
    rc = s ? config_set(cfg, "Pinning.RemoteServices", s) : -ENOMEM;
    s = mir_remote_services(cfg);
  }
  if (!rc && (!s || json_object_set_new(s, name, svc)))
    rc = -ENOMEM;
  else
    svc = NULL;
  json_decref(svc);
  if (rc)
    snprintf(err, en, "%s", tr_strerror(rc));
  return rc;
}

void mir_remote_service_rm(json_t *cfg, const char *name) {
  json_t *s = mir_remote_services(cfg);
  if (s)
    json_object_del(s, name);
}

int mir_remote_service_find(json_t *cfg, const char *name, const char **ep,
                            const char **key, char *err, size_t en) {
  if (!name || !*name) {
    snprintf(err, en, "a service name must be passed");
    return TR_EUSAGE;
  }
  json_t *api =
      json_object_get(json_object_get(mir_remote_services(cfg), name), "API");
  *ep = json_string_value(json_object_get(api, "Endpoint"));
  *key = json_string_value(json_object_get(api, "Key"));
  if (!*ep || !*key) {
    snprintf(err, en, "service not known");
    return TR_ENOTFOUND;
  }
  return 0;
}

int mir_remote_query(const char *status, const char *cids, const char *name,
                     mir_psa_query_t *q, char *err, size_t en) {
  memset(q, 0, sizeof *q);
  const char *st = status && *status ? status : "pinned";
  if (mir_psa_status_mask(st, &q->status)) {
    snprintf(err, en, "status \"%s\" is not valid", st);
    return TR_EUSAGE;
  }
  /* Kubo names the first bad one. */
  for (const char *c = st; *c;) {
    size_t n = strcspn(c, ",");
    if (!mir_psa_status_bit(c, n)) {
      snprintf(err, en, "status \"%.*s\" is not valid", (int)n, c);
      return TR_EUSAGE;
    }
    c += n + (c[n] == ',');
  }
  q->name = name && *name ? name : NULL;
  q->cids = cids && *cids ? cids : NULL;
  for (const char *c = q->cids; c && *c;) {
    size_t n = strcspn(c, ",");
    dag_cid_t cid;
    if (dag_cid_parse(&cid, c, n)) {
      snprintf(err, en, "CID \"%.*s\" cannot be parsed", (int)n, c);
      return TR_EUSAGE;
    }
    c += n + (c[n] == ',');
  }
  return 0;
}

/* ------------------------------------------------------------ plumbing */

static void rop_free(uv_handle_t *h) {
  mir_rop_t *r = h->data;
  json_decref(r->ids);
  json_decref(r->list);
  json_decref(r->keys);
  tr_free(r);
}

static void teardown(mir_rop_t *r) {
  r->ended = true;
  mir_psa_free(r->c);
  r->c = NULL;
  uv_timer_stop(&r->timer);
  uv_close((uv_handle_t *)&r->timer, rop_free);
}

static void done(mir_rop_t *r, int status, const mir_psa_pin_t *pin) {
  mir_remote_end_t e = {status, status ? r->msg : "", pin,
                        r->kind == OP_SVCLS ? r->list : NULL};
  r->cb(r->ud, &e);
  teardown(r);
}

/* "what: why (HTTP reason: details)" into r->msg. */
static void why(mir_rop_t *r, const char *what, const mir_psa_result_t *res) {
  const char *w = res->status == -EACCES ? "access denied (check the key)"
                                         : tr_strerror(res->status);
  if (res->reason[0])
    snprintf(r->msg, sizeof r->msg, "%s%s%s (%d %s%s%s)", what,
             *what ? ": " : "", w, res->http_status, res->reason,
             res->details[0] ? ": " : "", res->details);
  else
    snprintf(r->msg, sizeof r->msg, "%s%s%s", what, *what ? ": " : "", w);
}

static int rop_new(uv_loop_t *loop, int kind, const char *ep, const char *key,
                   mir_remote_cb cb, void *ud, mir_rop_t **out) {
  mir_rop_t *r = tr_calloc(1, sizeof *r);
  if (!r)
    return -ENOMEM;
  r->kind = kind;
  r->loop = loop;
  r->cb = cb;
  r->ud = ud;
  int rc = ep ? mir_psa_new(loop, ep, key, &r->c) : 0;
  if (rc) {
    tr_free(r);
    return rc;
  }
  uv_timer_init(loop, &r->timer);
  r->timer.data = r;
  *out = r;
  return 0;
}

/* An operation that could not start: no callback, memory on the loop. */
static int fail_start(mir_rop_t *r, int rc) {
  teardown(r);
  return rc;
}

void mir_remote_cancel(mir_rop_t *r) {
  if (!r || r->ended)
    return;
  if (r->op)
    mir_psa_cancel(r->op);
  r->op = NULL;
  teardown(r);
}

/* ---------------------------------------------------------- service ls */

static void svc_next(mir_rop_t *r);

static void svc_count(void *ud, const mir_psa_result_t *res) {
  mir_rop_t *r = ud;
  r->op = NULL;
  json_t *d = json_array_get(json_object_get(r->list, "RemoteServices"),
                             r->svc);
  if (res->status) {
    json_object_set_new(d, "Stat", json_pack("{s:s}", "Status", "invalid"));
  } else {
    r->cnt[r->st] = (json_int_t)res->page->count;
    if (++r->st < 4) {
      mir_psa_query_t q = {.status = 1u << r->st, .limit = 1};
      if (!mir_psa_list(r->c, &q, svc_count, r, &r->op))
        return;
      json_object_set_new(d, "Stat", json_pack("{s:s}", "Status", "invalid"));
    } else {
      json_object_set_new(
          d, "Stat",
          json_pack("{s:s,s:{s:I,s:I,s:I,s:I}}", "Status", "valid",
                    "PinCount", "Queued", r->cnt[0], "Pinning", r->cnt[1],
                    "Pinned", r->cnt[2], "Failed", r->cnt[3]));
    }
  }
  r->svc++;
  svc_next(r);
}

/* Ask the counts of service r->svc, or end. */
static void svc_next(mir_rop_t *r) {
  json_t *a = json_object_get(r->list, "RemoteServices");
  for (; r->svc < json_array_size(a); r->svc++) {
    json_t *d = json_array_get(a, r->svc);
    mir_psa_free(r->c);
    r->c = NULL;
    r->st = 0;
    const char *ep = json_string_value(json_object_get(d, "ApiEndpoint"));
    const char *key = json_string_value(json_array_get(r->keys, r->svc));
    mir_psa_query_t q = {.status = MIR_PSA_QUEUED, .limit = 1};
    if (ep && key && !mir_psa_new(r->loop, ep, key, &r->c) &&
        !mir_psa_list(r->c, &q, svc_count, r, &r->op))
      return;
    json_object_set_new(d, "Stat", json_pack("{s:s}", "Status", "invalid"));
  }
  done(r, 0, NULL);
}

static void svc_start(uv_timer_t *t) {
  mir_rop_t *r = t->data;
  if (r->stat)
    svc_next(r);
  else
    done(r, 0, NULL);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int mir_remote_service_ls(uv_loop_t *loop, json_t *cfg, bool stat,
                          mir_remote_cb cb, void *ud, mir_rop_t **out) {
  mir_rop_t *r;
  int rc = rop_new(loop, OP_SVCLS, NULL, NULL, cb, ud, &r);
  if (rc)
    return rc;
  r->stat = stat;
  json_t *s = mir_remote_services(cfg);
  size_t n = json_object_size(s), i = 0;
  const char **names = tr_calloc(n + 1, sizeof *names);
  json_t *a = json_array();
  r->list = json_pack("{s:o}", "RemoteServices", a);
  r->keys = json_array();
  if (!names || !a || !r->list || !r->keys) {
    tr_free(names);
    if (!r->list)
      json_decref(a);
    return fail_start(r, -ENOMEM);
  }
  const char *k;
  json_t *v;
  json_object_foreach(s, k, v) names[i++] = k;
  qsort(names, n, sizeof *names, by_name);
  for (i = 0; i < n; i++) {
    json_t *api = json_object_get(json_object_get(s, names[i]), "API");
    const char *ep = json_string_value(json_object_get(api, "Endpoint"));
    const char *key = json_string_value(json_object_get(api, "Key"));
    if (json_array_append_new(a, json_pack("{s:s,s:s}", "Service", names[i],
                                           "ApiEndpoint", ep ? ep : "")) ||
        json_array_append_new(r->keys, json_string(key ? key : ""))) {
      tr_free(names);
      return fail_start(r, -ENOMEM);
    }
  }
  tr_free(names);
  /* The answer comes from the loop, as every other operation's. */
  uv_timer_start(&r->timer, svc_start, 0, 0);
  *out = r;
  return 0;
}

/* ------------------------------------------------------------------ add */

static void add_status(void *ud, const mir_psa_result_t *res);

static void add_poll(uv_timer_t *t) {
  mir_rop_t *r = t->data;
  int rc = mir_psa_get(r->c, r->id, add_status, r, &r->op);
  if (rc) {
    snprintf(r->msg, sizeof r->msg, "failed to check pin status for "
             "requestid=\"%s\" due to error: %s", r->id, tr_strerror(rc));
    done(r, rc, NULL);
  }
}

static void add_status(void *ud, const mir_psa_result_t *res) {
  mir_rop_t *r = ud;
  r->op = NULL;
  bool first = !r->id[0];
  if (res->status) {
    char pre[MIR_PSA_REQID_MAX + 80] = "";
    if (!first)
      snprintf(pre, sizeof pre, "failed to check pin status for "
               "requestid=\"%s\" due to error", r->id);
    why(r, pre, res);
    done(r, res->status, NULL);
    return;
  }
  const mir_psa_pin_t *p = res->pin;
  if (first) {
    snprintf(r->id, sizeof r->id, "%s", p->requestid);
    if (r->on_delegates)
      r->on_delegates(r->ud, p->delegates);
    if (r->ended)
      return;
  } else if (strcmp(p->requestid, r->id)) {
    snprintf(r->msg, sizeof r->msg, "failed to check pin status for "
             "requestid=\"%s\", remote service sent unexpected "
             "requestid=\"%s\"", r->id, p->requestid);
    done(r, TR_EPROTO, NULL);
    return;
  }
  if (r->background || p->status == MIR_PSA_PINNED) {
    done(r, 0, p);
  } else if (p->status == MIR_PSA_FAILED) {
    snprintf(r->msg, sizeof r->msg, "remote service failed to pin "
             "requestid=\"%s\"", r->id);
    done(r, TR_EPROTO, NULL);
  } else {
    uv_timer_start(&r->timer, add_poll, MIR_REMOTE_POLL_MS, 0);
  }
}

int mir_remote_add(uv_loop_t *loop, const char *ep, const char *key,
                   const char *cid, const char *name, json_t *origins,
                   bool background, void (*on_delegates)(void *, json_t *),
                   mir_remote_cb cb, void *ud, mir_rop_t **out) {
  mir_rop_t *r;
  int rc = rop_new(loop, OP_ADD, ep, key, cb, ud, &r);
  if (rc)
    return rc;
  r->background = background;
  r->on_delegates = on_delegates;
  if ((rc = mir_psa_add(r->c, NULL, cid, name, origins, NULL, add_status, r,
                        &r->op)))
    return fail_start(r, rc);
  *out = r;
  return 0;
}

/* ---------------------------------------------------------------- ls rm */

static int ls_pin(void *ud, const mir_psa_pin_t *p) {
  mir_rop_t *r = ud;
  if (r->kind == OP_LS)
    return r->on_pin(r->ud, p) || r->ended;
  return json_array_append_new(r->ids, json_string(p->requestid)) ? 1 : 0;
}

static void rm_next(mir_rop_t *r);

static void rm_deleted(void *ud, const mir_psa_result_t *res) {
  mir_rop_t *r = ud;
  r->op = NULL;
  if (res->status) {
    char pre[MIR_PSA_REQID_MAX + 80];
    snprintf(pre, sizeof pre, "removing pin identified by requestid=\"%s\" "
             "failed", json_string_value(json_array_get(r->ids, r->next)));
    why(r, pre, res);
    done(r, res->status, NULL);
    return;
  }
  r->next++;
  rm_next(r);
}

static void rm_next(mir_rop_t *r) {
  if (r->next >= json_array_size(r->ids)) {
    done(r, 0, NULL);
    return;
  }
  const char *id = json_string_value(json_array_get(r->ids, r->next));
  int rc = mir_psa_delete(r->c, id, rm_deleted, r, &r->op);
  if (rc) {
    snprintf(r->msg, sizeof r->msg, "removing pin identified by "
             "requestid=\"%s\" failed: %s", id, tr_strerror(rc));
    done(r, rc, NULL);
  }
}

static void ls_done(void *ud, const mir_psa_result_t *res) {
  mir_rop_t *r = ud;
  r->op = NULL;
  if (res->status) {
    why(r, r->kind == OP_RM ? "error while listing remote pins" : "", res);
    done(r, res->status, NULL);
  } else if (r->kind == OP_LS) {
    done(r, 0, NULL);
  } else if (json_array_size(r->ids) > 1 && !r->force) {
    snprintf(r->msg, sizeof r->msg, "multiple remote pins are matching this "
             "query, add --force to confirm the bulk removal");
    done(r, TR_EEXIST, NULL);
  } else {
    rm_next(r);
  }
}

static int walk(uv_loop_t *loop, int kind, const char *ep, const char *key,
                const mir_psa_query_t *q, mir_remote_cb cb, void *ud,
                mir_rop_t **out, mir_rop_t **rr) {
  int rc = rop_new(loop, kind, ep, key, cb, ud, rr);
  if (rc)
    return rc;
  mir_rop_t *r = *rr;
  if (kind == OP_RM && !(r->ids = json_array()))
    return fail_start(r, -ENOMEM);
  if ((rc = mir_psa_list_all(r->c, q, ls_pin, ls_done, r, &r->op)))
    return fail_start(r, rc);
  *out = r;
  return 0;
}

int mir_remote_ls(uv_loop_t *loop, const char *ep, const char *key,
                  const mir_psa_query_t *q, mir_psa_pin_cb on_pin,
                  mir_remote_cb cb, void *ud, mir_rop_t **out) {
  mir_rop_t *r;
  int rc = walk(loop, OP_LS, ep, key, q, cb, ud, out, &r);
  if (!rc)
    r->on_pin = on_pin;
  return rc;
}

int mir_remote_rm(uv_loop_t *loop, const char *ep, const char *key,
                  const mir_psa_query_t *q, bool force, mir_remote_cb cb,
                  void *ud, mir_rop_t **out) {
  mir_rop_t *r;
  int rc = walk(loop, OP_RM, ep, key, q, cb, ud, out, &r);
  if (!rc)
    r->force = force;
  return rc;
}

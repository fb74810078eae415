/*
 * mirror_remote.c — /api/v0/pin/remote/... on the daemon, as Kubo's
 * (core/commands/pin/remotepin.go), offered through rpc's ext_cmd chain by
 * node/mirror.c:
 *
 *   pin/remote/service/add arg=NAME arg=ENDPOINT arg=KEY      -> 200, no body
 *   pin/remote/service/rm  arg=NAME                           -> 200, no body
 *   pin/remote/service/ls  [stat=]  -> {"RemoteServices":[{"Service",
 *                         "ApiEndpoint"[,"Stat":{"Status"[,"PinCount"]}]}]}
 *   pin/remote/add arg=CID service= [name=] [background=]
 *                                    -> {"Status","Cid","Name"}
 *   pin/remote/ls  service= [name=] [cid=]... [status=]...
 *                                    -> one {"Status","Cid","Name"} a pin,
 *                                       streamed (X-Chunked-Output)
 *   pin/remote/rm  service= [name=] [cid=]... [status=]... [force=] -> 200
 *
 * cid= and status= may repeat (kubo-rpc-client) or be comma-separated
 * (Kubo's CLI).  The work is mirror/remote.h's, on the daemon's loop; the
 * config (Pinning.RemoteServices) is the repo's file, read on each call
 * as Kubo's fsrepo does.  add sends this node's addresses as origins when
 * the CID's block is here, and dials the delegates the service answers
 * with.  Errors are Kubo's {"Message","Code","Type":"error"} (500; 400
 * for a missing or bad argument); one after some pins of ls were sent is
 * written as such a value in the stream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "../dag/cid.h"
#include "../mirror/remote.h"
#include "mirror.h"

#define RR_QVAL_MAX 4096 /* a joined cid= or status= value */

enum { RR_SVCLS, RR_ADD, RR_LS, RR_RM };

typedef struct node__rreq {
  node_mirror_t *m;
  http_req_t *req;
  mir_rop_t *op;
  int kind;
  bool started; /* ls: the stream's head is sent */
  struct node__rreq *prev, *next;
} rreq_t;

static void send_json(http_req_t *req, int status, json_t *o) {
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!s) {
    http_res_simple(req, 500, "text/plain", "out of memory", 13);
    return;
  }
  size_t n = strlen(s);
  s[n] = '\n'; /* Kubo's encoder ends each value with a newline */
  http_res_simple(req, status, "application/json", s, n + 1);
  free(s);
}

static json_t *err_obj(const char *msg, int code) {
  return json_pack("{s:s,s:i,s:s}", "Message", msg, "Code", code, "Type",
                   "error");
}

static void fail(http_req_t *req, int status, const char *msg) {
  send_json(req, status, err_obj(msg, status == 400 ? 1 : 0));
}

static void ok_empty(http_req_t *req) {
  http_res_simple(req, 200, "text/plain", "", 0);
}

/* Every value of key in q, joined with commas (Kubo's delimited strings
 * option takes both); 1 when there is one, 0 when none, -1 too long. */
static int qall(const char *q, const char *key, char *out, size_t n) {
  size_t kl = strlen(key), len = 0;
  int found = 0;
  out[0] = 0;
  for (const char *p = q; p && *p;) {
    const char *amp = strchr(p, '&');
    size_t sl = amp ? (size_t)(amp - p) : strlen(p);
    if (sl > kl && !strncmp(p, key, kl) && p[kl] == '=') {
      const char *v = p + kl + 1;
      size_t vl = sl - kl - 1;
      if (len + 1 + vl + 1 > n)
        return -1;
      if (found)
        out[len++] = ',';
      int d = http_pct_decode(v, vl, out + len);
      if (d < 0)
        return -1;
      len += (size_t)d;
      out[len] = 0;
      found = 1;
    }
    p = amp ? amp + 1 : NULL;
  }
  return found;
}

static bool qbool(const char *q, const char *k) {
  char v[16];
  return q && http_query_get(q, k, v, sizeof v) &&
         (!*v || !strcmp(v, "true") || !strcmp(v, "1"));
}

/* The i-th arg= of q (0-based) into out; 1 or 0. */
static int qarg(const char *q, size_t i, char *out, size_t n) {
  size_t k = 0;
  for (const char *p = q; p && *p;) {
    const char *amp = strchr(p, '&');
    size_t sl = amp ? (size_t)(amp - p) : strlen(p);
    if (sl >= 4 && !strncmp(p, "arg=", 4) && k++ == i) {
      if (sl - 4 + 1 > n)
        return 0;
      int d = http_pct_decode(p + 4, sl - 4, out);
      if (d < 0)
        return 0;
      out[d] = 0;
      return 1;
    }
    p = amp ? amp + 1 : NULL;
  }
  return 0;
}

/* ------------------------------------------------------ request list */

static void unlink_rr(rreq_t *r) {
  if (r->prev)
    r->prev->next = r->next;
  else
    r->m->remote_reqs = r->next;
  if (r->next)
    r->next->prev = r->prev;
}

static void rr_free(rreq_t *r) {
  unlink_rr(r);
  tr_free(r);
}

static void rr_closed(http_req_t *req, void *ud) {
  rreq_t *r = ud;
  mir_remote_cancel(r->op);
  http_res_end(req);
  rr_free(r);
}

static rreq_t *rr_new(node_mirror_t *m, http_req_t *req, int kind) {
  rreq_t *r = tr_calloc(1, sizeof *r);
  if (!r)
    return NULL;
  *r = (rreq_t){.m = m, .req = req, .kind = kind, .next = m->remote_reqs};
  if (r->next)
    r->next->prev = r;
  m->remote_reqs = r;
  return r;
}

void node__mirror_remote_stop(node_mirror_t *m) {
  while (m->remote_reqs) {
    rreq_t *r = m->remote_reqs;
    mir_remote_cancel(r->op);
    if (r->started) {
      http_res_abort(r->req);
    } else {
      fail(r->req, 500, "the daemon is stopping");
    }
    rr_free(r);
  }
}

/* ------------------------------------------------------------- answers */

static json_t *pin_out(const mir_psa_pin_t *p) {
  return json_pack("{s:s,s:s,s:s}", "Status", mir_psa_status_name(p->status),
                   "Cid", p->cid, "Name", p->name);
}

static void stream_head(rreq_t *r) {
  if (r->started)
    return;
  r->started = true;
  http_header_t h[] = {{"Content-Type", "application/json"},
                       {"X-Chunked-Output", "1"},
                       {"Trailer", "X-Stream-Error"},
                       {"Cache-Control", "no-cache"},
                       {"Vary", "Origin"}};
  http_res_start(r->req, 200, h, TR_ARRAY_LEN(h), -1);
}

static void write_line(http_req_t *req, json_t *o) {
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!s)
    return;
  http_res_write(req, s, strlen(s));
  http_res_write(req, "\n", 1);
  free(s);
}

static int ls_pin(void *ud, const mir_psa_pin_t *p) {
  rreq_t *r = ud;
  stream_head(r);
  write_line(r->req, pin_out(p));
  return 0;
}

static void op_end(void *ud, const mir_remote_end_t *e) {
  rreq_t *r = ud;
  r->op = NULL;
  http_req_on_close(r->req, NULL, NULL);
  if (r->started) { /* ls: the stream goes on, an error is its last value */
    if (e->status)
      write_line(r->req, err_obj(e->msg, 0));
    http_res_end(r->req);
  } else if (e->status) {
    fail(r->req, 500, e->msg);
  } else if (r->kind == RR_SVCLS) {
    send_json(r->req, 200, json_incref(e->list));
  } else if (r->kind == RR_ADD) {
    send_json(r->req, 200, pin_out(e->pin));
  } else if (r->kind == RR_LS) {
    stream_head(r);
    http_res_end(r->req);
  } else {
    ok_empty(r->req);
  }
  rr_free(r);
}

static void dial_delegates(void *ud, json_t *dl) {
  rreq_t *r = ud;
  size_t i;
  json_t *d;
  json_array_foreach(dl, i, d) node__mirror_connect(r->m,
                                                    json_string_value(d));
}

/* ------------------------------------------------------------ commands */

static int load_cfg(node_mirror_t *m, http_req_t *req, json_t **cfg) {
  int rc = config_load(m->rpc->repo, cfg);
  if (rc)
    fail(req, 500, tr_strerror(rc));
  return rc;
}

static void svc_add_rm(node_mirror_t *m, http_req_t *req, bool add) {
  const char *q = http_req_query(req);
  char name[256], ep[MIR_PSA_URL_MAX], key[MIR_PSA_KEY_MAX + 1];
  char err[MIR_REMOTE_MSG_MAX];
  if (!q || !qarg(q, 0, name, sizeof name) ||
      (add && (!qarg(q, 1, ep, sizeof ep) || !qarg(q, 2, key, sizeof key)))) {
    fail(req, 400, add ? "expecting three arguments: service name, endpoint "
                         "and key"
                       : "expecting one argument: name");
    return;
  }
  json_t *cfg;
  if (load_cfg(m, req, &cfg))
    return;
  int rc = 0;
  if (add)
    rc = mir_remote_service_add(cfg, name, ep, key, err, sizeof err);
  else
    mir_remote_service_rm(cfg, name);
  if (!rc && (rc = config_save(m->rpc->repo, cfg)))
    snprintf(err, sizeof err, "%s", tr_strerror(rc));
  json_decref(cfg);
  if (rc)
    fail(req, 500, err);
  else
    ok_empty(req);
}

static void pin_cmd(node_mirror_t *m, http_req_t *req, int kind) {
  const char *q = http_req_query(req);
  q = q ? q : "";
  char svc[256] = "", name[MIR_PSA_NAME_MAX + 1] = "";
  char cids[RR_QVAL_MAX], st[RR_QVAL_MAX], arg[MIR_PSA_CID_MAX + 8];
  char err[MIR_REMOTE_MSG_MAX];
  http_query_get(q, "service", svc, sizeof svc);
  bool has_name = http_query_get(q, "name", name, sizeof name) == 1;
  mir_psa_query_t pq;
  dag_cid_t cid;
  const char *c = arg;
  if (kind == RR_ADD) {
    if (!qarg(q, 0, arg, sizeof arg)) {
      fail(req, 400, "argument \"ipfs-path\" is required");
      return;
    }
    if (!strncmp(c, "/ipfs/", 6))
      c += 6;
    if (dag_cid_parse(&cid, c, strlen(c))) {
      snprintf(err, sizeof err, "invalid path \"%s\": not a CID", arg);
      fail(req, 500, err);
      return;
    }
  } else {
    if (qarg(q, 0, arg, sizeof arg)) {
      snprintf(err, sizeof err, "unexpected argument \"%s\"", arg);
      fail(req, 500, err);
      return;
    }
    if (qall(q, "cid", cids, sizeof cids) < 0 ||
        qall(q, "status", st, sizeof st) < 0) {
      fail(req, 400, "cid or status: too long");
      return;
    }
    if (mir_remote_query(st, cids, has_name ? name : NULL, &pq, err,
                         sizeof err)) {
      fail(req, 500, err);
      return;
    }
  }
  json_t *cfg;
  if (load_cfg(m, req, &cfg))
    return;
  const char *ep, *key;
  if (mir_remote_service_find(cfg, svc, &ep, &key, err, sizeof err)) {
    json_decref(cfg);
    fail(req, 500, err);
    return;
  }
  rreq_t *r = rr_new(m, req, kind);
  json_t *origins = NULL;
  int rc = r ? 0 : -ENOMEM;
  if (!rc && kind == RR_ADD)
    origins = node__mirror_origins(m, &cid);
  if (!rc && kind == RR_ADD)
    rc = mir_remote_add(m->loop, ep, key, c, has_name ? name : NULL, origins,
                        qbool(q, "background"), dial_delegates, op_end, r,
                        &r->op);
  else if (!rc && kind == RR_LS)
    rc = mir_remote_ls(m->loop, ep, key, &pq, ls_pin, op_end, r, &r->op);
  else if (!rc)
    rc = mir_remote_rm(m->loop, ep, key, &pq, qbool(q, "force"), op_end, r,
                       &r->op);
  json_decref(origins);
  json_decref(cfg);
  if (rc) {
    if (r)
      rr_free(r);
    snprintf(err, sizeof err, "%s: %s", ep,
             rc == -EPROTONOSUPPORT
                 ? "only http:// and https:// services are spoken"
                 : tr_strerror(rc));
    fail(req, 500, err);
    return;
  }
  http_req_on_close(req, rr_closed, r);
}

static void svc_ls(node_mirror_t *m, http_req_t *req) {
  json_t *cfg;
  if (load_cfg(m, req, &cfg))
    return;
  rreq_t *r = rr_new(m, req, RR_SVCLS);
  int rc = r ? mir_remote_service_ls(m->loop, cfg, qbool(http_req_query(req),
                                                         "stat"),
                                     op_end, r, &r->op)
             : -ENOMEM;
  json_decref(cfg);
  if (rc) {
    if (r)
      rr_free(r);
    fail(req, 500, tr_strerror(rc));
    return;
  }
  http_req_on_close(req, rr_closed, r);
}

bool node__mirror_remote_cmd(node_mirror_t *m, http_req_t *req,
                             const char *cmd) {
  if (strncmp(cmd, "pin/remote/", 11))
    return false;
  const char *c = cmd + 11;
  if (!strcmp(c, "service/add"))
    svc_add_rm(m, req, true);
  else if (!strcmp(c, "service/rm"))
    svc_add_rm(m, req, false);
  else if (!strcmp(c, "service/ls"))
    svc_ls(m, req);
  else if (!strcmp(c, "add"))
    pin_cmd(m, req, RR_ADD);
  else if (!strcmp(c, "ls"))
    pin_cmd(m, req, RR_LS);
  else if (!strcmp(c, "rm"))
    pin_cmd(m, req, RR_RM);
  else
    return false;
  return true;
}

/*
 * mirror.c — node_mirror_*: mirror/ wired into the daemon (mirror.h).
 */
#include "mirror.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "../dag/cid.h"
#include "../dag/multibase.h"
#include "../rpc/api.h"

#define NODE_IPNS_DEPTH_MAX 8 /* /ipns/ names for names, as the gateway */

/* The engine dials a pin's origins through this. */
static void connect_origin(void *ud, const char *maddr) {
  node__mirror_connect(ud, maddr);
}

/* ---------------------------------------------------- the IPNS resolver */

typedef struct res {
  node_mirror_t *m;
  mir_resolve_cb cb;
  void *ud;
  void *lookup;
  unsigned depth;
} res_t;

/* The PeerID bytes a name stands for (as gw_ipns.c reads it): 0 or -1. */
static int name_id(const char *name, size_t n, uint8_t *out, size_t *len) {
  if (n && (name[0] == '1' || (n > 1 && name[0] == 'Q' && name[1] == 'm')))
    return dag_b58_decode(name, n, out, 64, len) ? -1 : 0;
  dag_cid_t cid;
  if (dag_cid_parse(&cid, name, n) || cid.codec != DAG_CODEC_LIBP2P_KEY ||
      cid.len - cid.mh_off > 64)
    return -1;
  *len = (size_t)(cid.len - cid.mh_off);
  memcpy(out, cid.bytes + cid.mh_off, *len);
  return 0;
}

static int res_start(res_t *r, const char *name, size_t n);

static void res_done(void *ud, int status, const gw_ipns_t *rec) {
  res_t *r = ud;
  r->lookup = NULL;
  const char *v = !status && rec ? rec->value : "";
  if (!status && !strncmp(v, "/ipns/", 6) &&
      ++r->depth < NODE_IPNS_DEPTH_MAX) {
    const char *nm = v + 6;
    if (!(status = res_start(r, nm, strcspn(nm, "/"))))
      return;
  }
  if (!status && !rec)
    status = TR_ENOTFOUND;
  r->cb(r->ud, status, status ? NULL : v);
  tr_free(r);
}

static int res_start(res_t *r, const char *name, size_t n) {
  uint8_t id[64];
  size_t idl;
  if (name_id(name, n, id, &idl))
    return TR_EPEERID;
  return r->m->router->get_ipns(r->m->router->ud, id, idl, res_done, r,
                                &r->lookup);
}

static int resolve(void *rud, const char *name, mir_resolve_cb cb, void *ud,
                   void **op) {
  node_mirror_t *m = rud;
  if (!m->router)
    return -ENOTSUP;
  res_t *r = tr_calloc(1, sizeof *r);
  if (!r)
    return -ENOMEM;
  *r = (res_t){m, cb, ud, NULL, 0};
  int rc = res_start(r, name, strlen(name));
  if (rc) {
    tr_free(r);
    return rc;
  }
  *op = r;
  return 0;
}

static void resolve_cancel(void *rud, void *op) {
  node_mirror_t *m = rud;
  res_t *r = op;
  if (r->lookup)
    m->router->cancel(m->router->ud, r->lookup);
  tr_free(r);
}

/* ------------------------------------------------------ the API commands */

static bool qbool(const char *q, const char *k) {
  char v[16];
  return http_query_get(q, k, v, sizeof v) && (!*v || !strcmp(v, "true") ||
                                               !strcmp(v, "1"));
}

static void cmd_follow(node_mirror_t *m, http_req_t *req) {
  const char *q = http_req_query(req);
  char src[MIR_FOLLOW_SOURCE_MAX + 1], tok[MIR_PSA_KEY_MAX + 1], kb[16];
  char msg[300];
  if (!q || http_query_get(q, "arg", src, sizeof src) != 1 || !*src) {
    rpc_api_error(req, 500, "argument \"source\" is required");
    return;
  }
  bool has_tok = http_query_get(q, "token", tok, sizeof tok) == 1;
  unsigned keep = 0;
  if (http_query_get(q, "keep", kb, sizeof kb) == 1)
    keep = (unsigned)strtoul(kb, NULL, 10);
  int kind = qbool(q, "list")             ? MIR_FOLLOW_LIST
             : !strncmp(src, "/ipns/", 6) ? MIR_FOLLOW_IPNS
                                          : MIR_FOLLOW_PSA;
  if (kind == MIR_FOLLOW_PSA && !has_tok) {
    rpc_api_error(req, 500, "following a pinning service needs --token");
    return;
  }
  uint32_t id;
  int rc = m->fol ? mir_follow_add(m->fol, kind, src, has_tok ? tok : NULL,
                                   keep, &id)
                  : -ENOTSUP;
  if (rc) {
    snprintf(msg, sizeof msg, "mirror follow: %s",
             rc == TR_EEXIST  ? "already followed"
             : rc == TR_EUSAGE ? "bad source (an http:// endpoint, /ipns/NAME, "
                                 "or a list file's absolute path; keep <= 64)"
                               : tr_strerror(rc));
    rpc_api_error(req, 500, msg);
    return;
  }
  rpc_api_json(req, json_pack("{s:I,s:s}", "ID", (json_int_t)id, "Kind",
                             mir_follow_kind_name(kind)));
}

static void cmd_unfollow(node_mirror_t *m, http_req_t *req) {
  const char *q = http_req_query(req);
  char a[32], msg[200];
  uint64_t removed = 0;
  if (!q || http_query_get(q, "arg", a, sizeof a) != 1 || !*a) {
    rpc_api_error(req, 500, "argument \"id\" is required");
    return;
  }
  char *end;
  unsigned long id = strtoul(a, &end, 10);
  int rc = *end || !id || id > UINT32_MAX
               ? TR_EUSAGE
               : m->fol ? mir_follow_rm(m->fol, (uint32_t)id, &removed)
                        : -ENOTSUP;
  if (rc) {
    snprintf(msg, sizeof msg, "mirror unfollow: %s",
             rc == TR_ENOTFOUND ? "no such follow" : tr_strerror(rc));
    rpc_api_error(req, 500, msg);
    return;
  }
  rpc_api_json(req, json_pack("{s:I,s:I}", "ID", (json_int_t)id, "Removed",
                             (json_int_t)removed));
}

static bool mirror_cmd(void *ud, http_req_t *req, const char *cmd) {
  node_mirror_t *m = ud;
  if (!strcmp(cmd, "mirror/follow"))
    cmd_follow(m, req);
  else if (!strcmp(cmd, "mirror/unfollow"))
    cmd_unfollow(m, req);
  else if (!strcmp(cmd, "mirror/status")) {
    json_t *o = m->fol ? mir_follow_status(m->fol)
                       : json_pack("{s:[]}", "Follows");
    if (o)
      rpc_api_json(req, o);
    else
      rpc_api_error(req, 500, "out of memory");
  } else if (!strcmp(cmd, "mirror/sync")) {
    char a[32] = "0";
    const char *q = http_req_query(req);
    if (q)
      http_query_get(q, "arg", a, sizeof a);
    int rc = m->fol ? mir_follow_sync(m->fol, (uint32_t)strtoul(a, NULL, 10))
                    : -ENOTSUP;
    if (rc)
      rpc_api_error(req, 500,
                    rc == TR_ENOTFOUND ? "no such follow" : tr_strerror(rc));
    else
      rpc_api_json(req, json_pack("{s:b}", "Started", 1));
  } else if (!node__mirror_remote_cmd(m, req, cmd)) {
    return m->prev_cmd && m->prev_cmd(m->prev_ud, req, cmd);
  }
  return true;
}

static uint32_t duration_ms(json_t *cfg, const char *key, uint32_t def) {
  uint32_t ms;
  json_t *v = config_get(cfg, key);
  if (!v || json_is_null(v))
    return def;
  if (json_is_string(v) && !strcmp(json_string_value(v), "0"))
    return 0;
  if (config_duration_ms(cfg, key, &ms)) {
    tr_log(TR_LOG_WARN, "%s: not a duration, %u ms used", key, def);
    return def;
  }
  return ms;
}

int node_mirror_start(node_mirror_t *m, uv_loop_t *loop, bs_env_t *env,
                      const bs_fetcher_t *fetcher, net_host_t *host,
                      const char *peerid, json_t *cfg, const char *own_host,
                      int own_port, const gw_router_t *router,
                      rpc_ctx_t *rpc) {
  m->host = host;
  m->router = router;
  m->loop = loop;
  m->rpc = rpc;
  snprintf(m->peerid, sizeof m->peerid, "%s", peerid ? peerid : "");
  m->prev_cmd = rpc->ext_cmd; /* the scrubber's: offered what is not ours */
  m->prev_ud = rpc->ext_ud;
  rpc->ext_cmd = mirror_cmd;
  rpc->ext_ud = m;
  int rc = mir_store_open(env, &m->st);
  if (rc) {
    tr_log(TR_LOG_ERROR, "mirror: cannot open the pins store: %s",
           tr_strerror(rc));
    return rc;
  }
  mir_engine_opts_t eo = {0};
  json_t *c = config_get(cfg, "Mirror.Concurrency");
  if (json_is_integer(c) && json_integer_value(c) > 0)
    eo.concurrency = (unsigned)json_integer_value(c);
  uint32_t ms;
  if (!config_duration_ms(cfg, "Mirror.FetchTimeout", &ms) && ms)
    eo.stall_ms = ms;
  eo.connect = connect_origin;
  eo.ud = m;
  if ((rc = mir_engine_new(loop, m->st, fetcher, &eo, &m->eng))) {
    tr_log(TR_LOG_ERROR, "mirror: cannot start the pin engine: %s",
           tr_strerror(rc));
    return rc;
  }
  /* Delegates: where this node listens, with its id. */
  const char *dl[MIR_DELEGATES_MAX];
  char buf[MIR_DELEGATES_MAX][NET_MA_STR_MAX / 16 + 80];
  size_t nd = node__mirror_own_addrs(m, buf, MIR_DELEGATES_MAX);
  for (size_t i = 0; i < nd; i++)
    dl[i] = buf[i];
  if ((rc = mir_api_new(m->st, m->eng, dl, nd, &m->api)))
    return rc;
  if (own_host) {
    if ((rc = http_server_start(loop, own_host, own_port, NULL,
                                mir_api_serve, m->api, &m->srv))) {
      tr_log(TR_LOG_ERROR, "mirror: cannot listen on %s port %d: %s",
             own_host, own_port, uv_strerror(rc));
      return rc;
    }
    snprintf(m->addr, sizeof m->addr, "/%s/%s/tcp/%d",
             strchr(own_host, ':') ? "ip6" : "ip4", own_host,
             http_server_port(m->srv));
    tr_log(TR_LOG_INFO, "Pinning Service API listening on %s", m->addr);
  }
  mir_follow_opts_t fo = {
      .poll_ms = duration_ms(cfg, "Mirror.Follow.Interval",
                             MIR_FOLLOW_POLL_MS_DEFAULT),
      .grace_ms = duration_ms(cfg, "Mirror.Follow.Grace",
                              MIR_FOLLOW_GRACE_MS_DEFAULT),
      .resolve = resolve,
      .resolve_cancel = resolve_cancel,
      .rud = m};
  if (!fo.poll_ms)
    fo.poll_ms = MIR_FOLLOW_POLL_MS_DEFAULT;
  json_t *fc = config_get(cfg, "Mirror.Follow.Concurrency");
  if (json_is_integer(fc) && json_integer_value(fc) > 0)
    fo.concurrency = (unsigned)json_integer_value(fc);
  if ((rc = mir_follower_new(loop, m->st, m->eng, &fo, &m->fol))) {
    tr_log(TR_LOG_ERROR, "mirror: cannot load the follows: %s",
           tr_strerror(rc));
    return rc;
  }
  return 0;
}

bool node_mirror_handle(node_mirror_t *m, http_req_t *req) {
  return m->api && mir_api_handle(m->api, req);
}

void node_mirror_stop(node_mirror_t *m) {
  node__mirror_remote_stop(m); /* pin remote calls in flight */
  mir_follower_free(m->fol); /* before the engine it kicks */
  m->fol = NULL;
  m->router = NULL;
  if (m->srv)
    http_server_stop(m->srv, NULL, NULL);
  m->srv = NULL;
  mir_engine_free(m->eng);
  m->eng = NULL;
  m->host = NULL;
}

void node_mirror_free(node_mirror_t *m) {
  mir_api_free(m->api);
  m->api = NULL;
  if (m->st)
    mir_store_close(m->st);
  m->st = NULL;
}

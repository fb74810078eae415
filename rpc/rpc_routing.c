/*
 * rpc_routing.c — /api/v0 commands on the DHTs (ctx->dht_lan, dht_wan),
 * with Kubo's answers: NDJSON QueryEvents {"ID","Type","Responses",
 * "Extra"} (Type 2 FinalPeer, 4 Provider, 5 Value), as Kubo's dual DHT
 * gives them — each lookup runs on both DHTs at once and the answers are
 * merged.
 *
 *   routing/findprovs arg=CID num-providers=N   Provider events (each
 *                            provider once), then the end
 *   routing/findpeer arg=PEER   one FinalPeer event with its addresses,
 *                            or "routing: not found"
 *   (routing/provide is rpc_provide.c)
 *   routing/get arg=KEY      one Value event, Extra the record in base64
 *   dht/query arg=PEER       FinalPeer events: the closest peers to it
 *   stats/dht                {"lan":{...},"wan":{...}} the routing tables
 *
 * (routing/put is rpc_routing_put.c; name publish, name resolve and
 * provide/stat are rpc_name.c.)
 * A lookup's state (rop_t, rpc_rop.h) is freed once both DHTs are done
 * with it and its timer is closed; a client that leaves cancels the
 * lookups.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../dag/cid.h"
#include "../dht/ipns.h"
#include "../net/host.h"
#include "../net/multiaddr.h"
#include "rpc_rop.h"

static void complete(rop_t *r);

static void rop_on_timer_closed(uv_handle_t *h) {
  rop_t *r = h->data;
  r->timer_closed = true;
  net_peerset_free(&r->seen);
  tr_free(r->val);
  tr_free(r->keys);
  tr_free(r->put_val);
  tr_free(r->put_value);
  tr_free(r);
}

static void cancel_all(rop_t *r) {
  /* A DHT the node has let go of (it is stopping: ctx forgot it) is
   * freed with its lookups, ours included: nothing to cancel there. */
  for (int i = 0; i < 2; i++) {
    side_t *sd = &r->side[i];
    if (sd->live && rpc__side_here(r, i)) {
      sd->live = false;
      dht_cancel(dht_swarm_dht(sd->sw), sd->qid);
    }
  }
  dht_batch_cancel(r->batch);
  r->batch = NULL;
  /* The routers end their lookups from the loop even once the node let
   * go of them (node_deleg_free): always cancel ours, or its end would
   * come to a freed r. */
  if (r->dlive) {
    r->dlive = false;
    r->router->cancel(r->router->ud, r->dlook);
  }
}

/* The end of it: lookups cancelled, the answer ended (with err as a
 * trailing error line when set), the state freed once its timer closes. */
void rpc__rop_end(rop_t *r, const char *err) {
  if (r->ended)
    return;
  r->ended = true;
  cancel_all(r);
  if (r->req) {
    http_req_t *req = rpc__rop_take(r);
    if (r->deferred)
      rpc_error(req, 500, "%s", err ? err : "the routing operation ended");
    else {
      if (err)
        rpc_write_line(req, json_pack("{s:o,s:i,s:s}", "Message",
                                      rpc_json_str(err), "Code", 0, "Type",
                                      "error"));
      http_res_end(req);
    }
  }
  uv_timer_stop(&r->timer);
  /* At shutdown the daemon may have closed every handle already (its
   * walk): then r stays allocated until exit rather than be freed under
   * a handle libuv still holds. */
  if (!uv_is_closing((uv_handle_t *)&r->timer))
    uv_close((uv_handle_t *)&r->timer, rop_on_timer_closed);
}

http_req_t *rpc__rop_take(rop_t *r) {
  http_req_t *req = r->req;
  if (req)
    http_req_on_close(req, NULL, NULL);
  r->req = NULL;
  return req;
}

static void rop_gone(http_req_t *req, void *ud) {
  rop_t *r = ud;
  http_res_end(req);
  r->req = NULL;
  rpc__rop_end(r, NULL);
}

bool rpc__side_here(const rop_t *r, int i) {
  const side_t *sd = &r->side[i];
  return sd->sw && sd->sw == (i ? r->ctx->dht_wan : r->ctx->dht_lan);
}

static void rop_timeout(uv_timer_t *t) {
  rpc__rop_end(t->data, "context deadline exceeded");
}

void rpc__rop_deadline(rop_t *r, uint64_t ms) {
  if (!r->ended)
    uv_timer_start(&r->timer, rop_timeout, ms, 0);
}

/* A peer as Kubo's AddrInfo: {"ID","Addrs"}. */
static json_t *addrinfo(const dht_peer_t *p) {
  char id[NET_PEERID_STR_MAX];
  if (net_peerid_format(&p->id, 0, id, sizeof id) < 0)
    return NULL;
  json_t *addrs = json_array();
  for (uint8_t i = 0; addrs && i < p->naddrs; i++) {
    char a[NET_MA_STR_MAX / 8];
    if (net_ma_format(p->addrs[i], p->addrlen[i], a, sizeof a) > 0)
      json_array_append_new(addrs, json_string(a));
  }
  return json_pack("{s:s,s:o}", "ID", id, "Addrs",
                   addrs ? addrs : json_null());
}

void rpc__rop_event(rop_t *r, int type, const dht_peer_t *p,
                    const char *extra) {
  if (!r->req)
    return;
  json_t *resp = p ? json_pack("[o]", addrinfo(p)) : json_null();
  rpc_write_line(r->req, json_pack("{s:s,s:i,s:o,s:s}", "ID", "", "Type",
                                   type, "Responses",
                                   resp ? resp : json_null(), "Extra",
                                   extra ? extra : ""));
}

/* ------------------------------------------------------ lookup results */

static void got_provider(rop_t *r, const dht_peer_t *p) {
  if (r->ended || !net_peerset_add(&r->seen, &p->id))
    return;
  rpc__rop_event(r, EV_PROVIDER, p, NULL);
  if (r->max && r->seen.n >= r->max)
    rpc__rop_end(r, NULL);
}

static void on_provider(void *ud, const dht_peer_t *p) {
  got_provider(((side_t *)ud)->r, p);
}

static void found_end(uv_timer_t *t) { rpc__rop_end(t->data, NULL); }

/* findpeer: the target, from either DHT or a router, ends it (Kubo's
 * FindPeer takes the first answer) - from the loop's next turn: a DHT's
 * on_peer must not cancel its own lookup, which the end does. */
static void got_peer(rop_t *r, const dht_peer_t *p) {
  if (r->kind == R_FINDPEER && !r->found && !r->ended &&
      net_peerid_equal(&p->id, &r->target)) {
    r->found = true;
    rpc__rop_event(r, EV_FINAL_PEER, p, NULL);
    uv_timer_start(&r->timer, found_end, 0, 0);
  }
}

static void on_peer(void *ud, const dht_peer_t *p) {
  got_peer(((side_t *)ud)->r, p);
}

/* get, resolve: keep the better of what r holds and val (valid). */
static void take_value(rop_t *r, const uint8_t *val, size_t vl) {
  if (r->val) {
    const uint8_t *v[2] = {r->val, val};
    size_t l[2] = {r->vl, vl};
    if (dht_record_select(NULL, r->key, r->kl, v, l, 2) == 0)
      return;
  }
  uint8_t *c = tr_malloc(vl ? vl : 1);
  if (c) {
    memcpy(c, val, vl);
    tr_free(r->val);
    r->val = c, r->vl = vl;
  }
}

static bool all_done(const rop_t *r) {
  return !r->side[0].live && !r->side[1].live && !r->dlive;
}

static void on_done(void *ud, int status, const dht_peer_t *closest, size_t n,
                    const uint8_t *val, size_t vl, const dht_qstats_t *st) {
  (void)st;
  side_t *sd = ud;
  rop_t *r = sd->r;
  sd->live = false;
  sd->status = status;
  if (r->ended)
    return;
  if (r->kind == R_PROVIDE)
    r->reached += n;
  if (r->kind == R_QUERY)
    for (size_t i = 0; i < n; i++)
      if (net_peerset_add(&r->seen, &closest[i].id))
        rpc__rop_event(r, EV_FINAL_PEER, &closest[i], NULL);
  if (r->kind == R_FINDPEER)
    for (size_t i = 0; i < n && !r->found; i++)
      on_peer(ud, &closest[i]);
  if ((r->kind == R_GET || r->kind == R_RESOLVE) && val && !status &&
      !r->ended)
    take_value(r, val, vl); /* the better of the sides' answers */
  if (!r->ended && all_done(r))
    complete(r);
}

/* ------------------------------------------------ the routers' side */

static void d_on_peer(void *ud, const dht_peer_t *p) {
  rop_t *r = ud;
  if (r->kind == R_FINDPROVS)
    got_provider(r, p);
  else
    got_peer(r, p);
}

static void d_on_done(void *ud, int status, const uint8_t *val, size_t vl) {
  rop_t *r = ud;
  r->dlive = false;
  if (r->ended)
    return;
  if ((r->kind == R_GET || r->kind == R_RESOLVE) && val && !status)
    take_value(r, val, vl);
  if (all_done(r))
    complete(r);
}

static const rpc_router_cbs_t DCBS = {d_on_peer, d_on_done};

/* Whether r's kind and key go to the routers: providers, peers and IPNS
 * records are what the Routing V1 API serves. */
static bool router_wants(const rop_t *r, const uint8_t *key, size_t kl) {
  if (!r->router)
    return false;
  if (r->kind == R_GET || r->kind == R_RESOLVE)
    return kl > 6 && !memcmp(key, "/ipns/", 6);
  return r->kind == R_FINDPROVS || r->kind == R_FINDPEER;
}

/* Start the routers' lookup (r->dlive already set); on failure the side
 * is simply not live. */
static void router_start(rop_t *r, const uint8_t *key, size_t kl) {
  const rpc_router_t *rt = r->router;
  int rc;
  net_peerid_t id;
  if (r->kind == R_FINDPROVS) {
    rc = rt->find_providers(rt->ud, key, kl, r->max, &DCBS, r, &r->dlook);
  } else if (r->kind == R_FINDPEER) {
    rc = rt->find_peer(rt->ud, &r->target, &DCBS, r, &r->dlook);
  } else {
    rc = dht_ipns_key_parse(key, kl, &id);
    if (!rc) {
      dht_swarm_t *sw = r->ctx->dht_wan ? r->ctx->dht_wan : r->ctx->dht_lan;
      uint64_t now;
      if (sw) {
        now = dht_swarm_now(sw);
      } else { /* the records' validity is wall-clock time */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
      }
      rc = rt->get_ipns(rt->ud, &id, now, &DCBS, r, &r->dlook);
    }
  }
  if (rc)
    r->dlive = false;
}

/* Both DHTs are done: the answer's end. */
static void complete(rop_t *r) {
  if (r->finish) {
    r->finish(r);
    return;
  }
  switch (r->kind) {
  case R_FINDPEER:
    rpc__rop_end(r, r->found ? NULL : "routing: not found");
    return;
  case R_GET:
    if (!r->val) {
      rpc__rop_end(r, "routing: not found");
      return;
    }
    {
      size_t b64 = sodium_base64_ENCODED_LEN(r->vl,
                                             sodium_base64_VARIANT_ORIGINAL);
      char *s = tr_malloc(b64);
      if (s) {
        sodium_bin2base64(s, b64, r->val, r->vl,
                          sodium_base64_VARIANT_ORIGINAL);
        rpc__rop_event(r, EV_VALUE, NULL, s);
        tr_free(s);
      }
    }
    rpc__rop_end(r, NULL);
    return;
  default:
    rpc__rop_end(r, NULL);
  }
}

/* -------------------------------------------------------------- start */

static const dht_query_cbs_t CBS = {on_provider, on_peer, NULL, on_done};

/* Start the lookup of key on every DHT that knows a peer; false when
 * none does (nothing started).  Every side that will run is marked live
 * before any starts, so that one ending inside its start does not look
 * like the end of all; if none is left running after the starts (each
 * ended inside, or failed to start), the end is taken here. */
bool rpc__rop_run(rop_t *r, const uint8_t *key, size_t kl) {
  int n = 0;
  for (int i = 0; i < 2; i++) {
    side_t *sd = &r->side[i];
    sd->status = 0;
    /* A put stores locally, and a get or a resolve reads the local store
     * first (a record put or published here): they run even on an empty
     * table. */
    sd->live = sd->sw && (r->kind == R_PUT || r->kind == R_RESOLVE ||
                          r->kind == R_GET ||
                          dht_rt_size(dht_swarm_dht(sd->sw)) > 0);
    n += sd->live;
  }
  r->dlive = router_wants(r, key, kl);
  n += r->dlive;
  if (!n)
    return false;
  for (int i = 0; i < 2; i++) {
    side_t *sd = &r->side[i];
    if (!sd->live || r->ended)
      continue;
    dht_t *d = dht_swarm_dht(sd->sw);
    uint64_t now = dht_swarm_now(sd->sw);
    int rc;
    switch (r->kind) {
    case R_FINDPROVS:
      rc = dht_get_providers(d, key, kl, r->max, &CBS, sd, now, &sd->qid);
      break;
    case R_PROVIDE:
      rc = dht_provide(d, key, kl, &CBS, sd, now, &sd->qid);
      break;
    case R_GET:
    case R_RESOLVE:
      rc = dht_get_value(d, key, kl, &CBS, sd, now, &sd->qid);
      break;
    case R_PUT:
      rc = dht_put_value(d, key, kl, r->val, r->vl, &CBS, sd, now, &sd->qid);
      break;
    case R_FINDPEER:
    case R_QUERY:
      /* Until the k closest have answered, not the first three: in a small
       * network the one peer that knows the target may answer last. */
      rc = dht_find_closest(d, key, kl, &CBS, sd, now, &sd->qid);
      break;
    default:
      rc = dht_find_node(d, key, kl, &CBS, sd, now, &sd->qid);
    }
    if (rc) {
      sd->live = false;
      sd->status = rc;
    }
  }
  if (r->dlive && !r->ended)
    router_start(r, key, kl);
  if (!r->ended && all_done(r))
    complete(r);
  return true;
}

bool rpc__rop_can(http_req_t *req, const rpc_ctx_t *ctx) {
  if (ctx->dht_lan || ctx->dht_wan || ctx->router)
    return true;
  rpc_error(req, 500, ctx->host ? "routing is off (Routing.Type none)"
                                : "this command must be run in online mode");
  return false;
}

rop_t *rpc__rop_new(http_req_t *req, rpc_ctx_t *ctx, int kind) {
  return rpc__rop_new2(req, ctx, kind, false);
}

rop_t *rpc__rop_new2(http_req_t *req, rpc_ctx_t *ctx, int kind,
                     bool deferred) {
  if (!rpc__rop_can(req, ctx))
    return NULL;
  rop_t *r = tr_calloc(1, sizeof *r);
  if (!r) {
    rpc_error(req, 500, "out of memory");
    return NULL;
  }
  r->req = req;
  r->ctx = ctx;
  r->kind = kind;
  r->side[0] = (side_t){.r = r, .sw = ctx->dht_lan};
  r->side[1] = (side_t){.r = r, .sw = ctx->dht_wan};
  r->router = ctx->router;
  if (uv_timer_init(ctx->loop, &r->timer)) {
    tr_free(r);
    rpc_error(req, 500, "out of memory");
    return NULL;
  }
  r->timer.data = r;
  uv_timer_start(&r->timer, rop_timeout, ROUTING_MS, 0);
  r->deferred = deferred;
  http_req_on_close(req, rop_gone, r);
  if (!deferred)
    rpc_start(req, RPC_CHUNKED, NULL, -1, -1);
  return r;
}

/* The multihash of a CID argument (what the DHT keys providers by). */
static int cid_mh(http_req_t *req, const char *arg, dag_cid_t *cid) {
  const char *path;
  if (rpc_parse_path(arg, cid, &path)) {
    rpc_error(req, 500, "invalid cid: %s", arg);
    return -1;
  }
  return 0;
}

void rpc_cmd_routing_findprovs(http_req_t *req, rpc_ctx_t *ctx) {
  char *arg;
  int64_t n;
  if (rpc_one_arg(req, "key", &arg))
    return;
  if (rpc_opt_i64(req, "num-providers", FINDPROVS_DEFAULT, &n) || n < 1) {
    rpc_error(req, 500, "number of providers must be greater than 0");
    tr_free(arg);
    return;
  }
  dag_cid_t cid;
  int bad = cid_mh(req, arg, &cid);
  tr_free(arg);
  rop_t *r = bad ? NULL : rpc__rop_new(req, ctx, R_FINDPROVS);
  if (!r)
    return;
  r->max = (size_t)n;
  if (!rpc__rop_run(r, cid.bytes + cid.mh_off, cid.len - cid.mh_off))
    rpc__rop_end(r, NULL);
}

void rpc_cmd_routing_findpeer(http_req_t *req, rpc_ctx_t *ctx) {
  char *arg;
  if (rpc_one_arg(req, "peer", &arg))
    return;
  net_peerid_t id;
  int rc = net_peerid_parse(&id, arg, strlen(arg));
  tr_free(arg);
  if (rc) {
    rpc_error(req, 500, "invalid peer id");
    return;
  }
  if (ctx->host && net_peerid_equal(&id, net_host_id(ctx->host))) {
    rpc_error(req, 500, "cannot FindPeer on self");
    return;
  }
  rop_t *r = rpc__rop_new(req, ctx, R_FINDPEER);
  if (!r)
    return;
  r->target = id;
  /* Connected, or known with addresses: the peerstore answers (Kubo's
   * FindPeer does the same before any lookup). */
  net_peerinfo_t *pi =
      ctx->host ? net_ps_get(net_host_peerstore(ctx->host), &id) : NULL;
  if (pi && pi->naddrs && net_host_connected(ctx->host, &id)) {
    dht_peer_t p;
    const uint8_t *a[NET_PS_ADDRS_MAX];
    size_t l[NET_PS_ADDRS_MAX];
    for (uint8_t i = 0; i < pi->naddrs; i++)
      a[i] = pi->addrs[i], l[i] = pi->addrlen[i];
    dht_peer_set(&p, &id, a, l, pi->naddrs);
    on_peer(&r->side[0], &p);
    rpc__rop_end(r, NULL);
    return;
  }
  if (!rpc__rop_run(r, id.bytes, id.len))
    rpc__rop_end(r, "routing: not found");
}

void rpc_cmd_dht_query(http_req_t *req, rpc_ctx_t *ctx) {
  char *arg;
  if (rpc_one_arg(req, "peerID", &arg))
    return;
  net_peerid_t id;
  int rc = net_peerid_parse(&id, arg, strlen(arg));
  tr_free(arg);
  if (rc) {
    rpc_error(req, 500, "invalid peer id");
    return;
  }
  rop_t *r = rpc__rop_new(req, ctx, R_QUERY);
  if (r && !rpc__rop_run(r, id.bytes, id.len))
    rpc__rop_end(r, "failed to find any peer in table");
}

void rpc_cmd_routing_get(http_req_t *req, rpc_ctx_t *ctx) {
  char *arg;
  if (rpc_one_arg(req, "key", &arg))
    return;
  /* "/ipns/<name>": the name as a PeerID into the binary routing key. */
  uint8_t key[DHT_KEY_MAX];
  size_t kl = 0;
  net_peerid_t id;
  if (!strncmp(arg, "/ipns/", 6) &&
      !net_peerid_parse(&id, arg + 6, strlen(arg + 6))) {
    memcpy(key, "/ipns/", 6);
    memcpy(key + 6, id.bytes, id.len);
    kl = 6 + id.len;
  } else if (!strncmp(arg, "/pk/", 4) &&
             !net_peerid_parse(&id, arg + 4, strlen(arg + 4))) {
    memcpy(key, "/pk/", 4);
    memcpy(key + 4, id.bytes, id.len);
    kl = 4 + id.len;
  }
  tr_free(arg);
  if (!kl) {
    rpc_error(req, 500, "invalid key: want /ipns/NAME or /pk/PEER");
    return;
  }
  rop_t *r = rpc__rop_new(req, ctx, R_GET);
  if (r) {
    memcpy(r->key, key, kl);
    r->kl = kl;
  }
  if (r && !rpc__rop_run(r, key, kl))
    rpc__rop_end(r, "routing: not found");
}

/* ------------------------------------------------------------- stats */

static void rt_row(void *ud, unsigned bucket, const dht_peer_t *p,
                   uint64_t last_seen) {
  json_t *buckets = ud;
  char id[NET_PEERID_STR_MAX];
  if (net_peerid_format(&p->id, 0, id, sizeof id) < 0)
    return;
  while (json_array_size(buckets) <= bucket)
    json_array_append_new(buckets, json_pack("{s:[]}", "Peers"));
  json_t *peers = json_object_get(json_array_get(buckets, bucket), "Peers");
  json_array_append_new(peers, json_pack("{s:s,s:I}", "ID", id,
                                         "LastSeenMs", (json_int_t)last_seen));
}

static json_t *table(dht_swarm_t *sw) {
  if (!sw)
    return json_null();
  json_t *buckets = json_array();
  dht_rt_walk(dht_swarm_dht(sw), rt_row, buckets);
  dht_stats_t st;
  dht_stats(dht_swarm_dht(sw), &st);
  return json_pack("{s:s,s:I,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I}}", "Protocol",
                   dht_swarm_protocol(sw), "Size",
                   (json_int_t)dht_rt_size(dht_swarm_dht(sw)), "Buckets",
                   buckets, "Stats", "RequestsIn",
                   (json_int_t)st.requests_in, "RequestsRefused",
                   (json_int_t)st.requests_refused, "RequestsOut",
                   (json_int_t)st.requests_out, "Replies",
                   (json_int_t)st.replies, "Failures",
                   (json_int_t)st.failures, "Timeouts",
                   (json_int_t)st.timeouts);
}

void rpc_cmd_stats_dht(http_req_t *req, rpc_ctx_t *ctx) {
  if (!ctx->dht_lan && !ctx->dht_wan) {
    rpc_error(req, 500, "this command must be run in online mode");
    return;
  }
  rpc_api_json(req, json_pack("{s:o,s:o}", "lan", table(ctx->dht_lan), "wan",
                              table(ctx->dht_wan)));
}


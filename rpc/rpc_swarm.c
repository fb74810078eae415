/*
 * rpc_swarm.c — /api/v0 commands about the libp2p swarm, with Kubo's
 * answers:
 *
 *   swarm/connect arg=MADDR  {"Strings":["connect ID success"]}; a
 *                            /dnsaddr/NAME[/p2p/ID] resolved first (its
 *                            addresses dialled in turn, as Kubo's)
 *   swarm/disconnect arg=MADDR  {"Strings":["disconnect ID success"]}
 *   swarm/addrs              {"Addrs":{"ID":["/ip4/..."]}} (the peerstore)
 *   swarm/addrs/local        {"Strings":[...]} (where we listen)
 *   swarm/addrs/autonat      {"reachability":"Public","reachable":[...],
 *                            "unreachable":[...],"unknown":[...]}
 *   swarm/filters[/add|/rm]  {"Strings":[...]} (Swarm.AddrFilters)
 *   ping arg=PEER count=N    NDJSON {"Success","Time","Text"}: "PING ID.",
 *                            one line per echo (Time in ns), the average
 *
 * id and swarm/peers, which answer what peers said in identify, are in
 * rpc_id.c; what both files share, in swarm_op.c (swarm_int.h).
 *
 * They run on the loop thread against ctx->host (NULL when the daemon has
 * no swarm: Kubo's "this command must be run in online mode").  connect
 * and ping wait on the network: their state (rpc__netop_t) outlives the
 * request when the client goes away or the answer times out, until the
 * host lets go of it (net_host_connect and net_ping always call back
 * once, at the latest when the host closes).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../dns/dns.h"
#include "../dht/swarm.h"
#include "../net/autonat.h"
#include "../net/host.h"
#include "../net/identify.h"
#include "../net/peerstore.h"
#include "../config/config.h"
#include "../net/addrpolicy.h"
#include "swarm_int.h"

#define CONNECT_MS 30000
#define PING_INTERVAL_MS 1000 /* Kubo's ticker */
#define PING_COUNT_DEFAULT 10
#define PING_COUNT_MAX 1000

/* The multiaddr s (binary into b); its /p2p/ID into *peer (len 0 when
 * absent).  Answers Kubo's error and returns non-zero when malformed. */
static int parse_maddr(http_req_t *req, const char *s, net_peerid_t *peer,
                       bool *transport) {
  uint8_t b[NET_MA_MAX];
  int len = net_ma_parse(s, strlen(s), b, sizeof b);
  peer->len = 0;
  *transport = false;
  net_ma_comp_t c;
  for (int off = 0, k; len > 0 && off < len; off += k) {
    if ((k = net_ma_next(b + off, (size_t)(len - off), &c)) < 0) {
      len = k;
      break;
    }
    if (c.code != NET_MA_P2P)
      *transport = true;
    else if (net_peerid_from_bytes(peer, c.value, c.vlen))
      len = TR_EMULTIADDR;
  }
  if (len < 0) {
    rpc_error(req, 500, "failed to parse multiaddr \"%s\": %s", s,
              tr_strerror(len));
    return -1;
  }
  return 0;
}

static void answer_strings(http_req_t *req, const char *s) {
  json_t *o = json_pack("{s:[o]}", "Strings", rpc_json_str(s));
  rpc_api_json(req, o);
}

/* -------------------------------------------------------------- addrs */

/* Kubo's autoNATResult: reachability, and the addresses by what AutoNAT
 * found (each list left out when empty, as Kubo's omitempty). */
static void an_addr(const char *addr, net_reach_t r, void *ud) {
  json_t **lists = ud;
  json_t *l = lists[r];
  if (l)
    json_array_append_new(l, rpc_json_str(addr));
}

void rpc_cmd_swarm_addrs_autonat(http_req_t *req, rpc_ctx_t *ctx) {
  if (!rpc__online(req, ctx))
    return;
  json_t *o = json_object();
  json_t *lists[3] = {json_array(), json_array(), json_array()};
  net_reach_t r = NET_REACH_UNKNOWN;
  if (ctx->autonat) {
    r = net_autonat_reachability(ctx->autonat);
    net_autonat_addrs(ctx->autonat, an_addr, lists);
  }
  /* Indexed by net_reach_t: unknown, public, private. */
  static const char *const names[3] = {"unknown", "reachable", "unreachable"};
  if (o && json_object_set_new(o, "reachability", rpc_json_str(net_reach_str(r))))
    json_decref(o), o = NULL;
  for (int i = 1; i <= 3; i++) {
    int k = i % 3; /* reachable, unreachable, unknown: Kubo's order */
    if (o && lists[k] && json_array_size(lists[k])) {
      if (json_object_set_new(o, names[k], lists[k]))
        json_decref(o), o = NULL;
    } else {
      json_decref(lists[k]);
    }
    lists[k] = NULL;
  }
  rpc_api_json(req, o);
}

void rpc_cmd_swarm_addrs(http_req_t *req, rpc_ctx_t *ctx) {
  net_host_t *h = rpc__online(req, ctx);
  if (!h)
    return;
  net_peerstore_t *ps = net_host_peerstore(h);
  json_t *all = json_object();
  for (size_t i = 0; all && i < ps->n; i++) {
    net_peerinfo_t *pi = &ps->v[i];
    char id[NET_PEERID_STR_MAX], s[NET_PS_ADDR_MAX * 8];
    json_t *a = json_array();
    rpc__peer_str(&pi->id, id, sizeof id);
    for (size_t k = 0; a && k < pi->naddrs; k++)
      if (net_ma_format(pi->addrs[k], pi->addrlen[k], s, sizeof s) >= 0)
        json_array_append_new(a, rpc_json_str(s));
    if (!a || json_object_set_new(all, id, a)) {
      json_decref(all);
      all = NULL;
    }
  }
  json_t *o = all ? json_pack("{s:o}", "Addrs", all) : NULL;
  rpc_api_json(req, o);
}

void rpc_cmd_swarm_addrs_local(http_req_t *req, rpc_ctx_t *ctx) {
  net_host_t *h = rpc__online(req, ctx);
  if (!h)
    return;
  char addrs[32][NET_MA_STR_MAX / 16];
  size_t n = net_host_announce_addrs(h, addrs, 32);
  json_t *a = json_array();
  for (size_t i = 0; a && i < n && i < 32; i++)
    json_array_append_new(a, rpc_json_str(addrs[i]));
  json_t *o = a ? json_pack("{s:o}", "Strings", a) : NULL;
  rpc_api_json(req, o);
}

/* Kubo's InterfaceListenAddresses: what the host listens on, unspecified
 * addresses expanded, sorted. */
void rpc_cmd_swarm_addrs_listen(http_req_t *req, rpc_ctx_t *ctx) {
  net_host_t *h = rpc__online(req, ctx);
  if (!h)
    return;
  char addrs[32][NET_MA_STR_MAX / 16];
  const char *v[32];
  size_t n = net_host_addrs(h, addrs, 32);
  n = n > 32 ? 32 : n;
  for (size_t i = 0; i < n; i++)
    v[i] = addrs[i];
  json_t *a = rpc_json_sorted(v, n);
  rpc_api_json(req, a ? json_pack("{s:o}", "Strings", a) : NULL);
}

void rpc_cmd_swarm_disconnect(http_req_t *req, rpc_ctx_t *ctx) {
  net_host_t *h = rpc__online(req, ctx);
  char *arg;
  if (!h || rpc_one_arg(req, "address", &arg))
    return;
  net_peerid_t peer;
  bool transport;
  if (parse_maddr(req, arg, &peer, &transport) == 0) {
    char id[NET_PEERID_STR_MAX], msg[NET_PEERID_STR_MAX + 64];
    rpc__peer_str(&peer, id, sizeof id);
    int rc = peer.len ? net_host_disconnect(h, &peer) : TR_EMULTIADDR;
    if (!peer.len)
      rpc_error(req, 500, "%s: invalid p2p multiaddr", arg);
    else if (rc)
      rpc_error(req, 500, "disconnect %s failure: not connected", id);
    else {
      snprintf(msg, sizeof msg, "disconnect %s success", id);
      answer_strings(req, msg);
    }
  }
  tr_free(arg);
}

/* ------------------------------------------------------------ connect */

static void connect_timeout(uv_timer_t *t) {
  rpc__netop_t *op = t->data;
  http_req_t *req = rpc__netop_take(op);
  if (req)
    rpc_error(req, 500, "connect %s failure: context deadline exceeded",
              op->id);
  rpc__netop_done(op);
}

static void connected(net_host_t *h, int status, const net_peerid_t *peer,
                      void *ud) {
  (void)h;
  rpc__netop_t *op = ud;
  op->net_busy = false;
  http_req_t *req = rpc__netop_take(op);
  if (req) {
    if (status) {
      rpc_error(req, 500, "connect %s failure: %s", op->id,
                tr_strerror(status));
    } else {
      char msg[NET_PEERID_STR_MAX + 32];
      rpc__peer_str(peer, op->id, sizeof op->id);
      snprintf(msg, sizeof msg, "connect %s success", op->id);
      answer_strings(req, msg);
    }
  }
  rpc__netop_done(op);
}

/* Dial the peer at addrs[0..n) (n 0: where the peerstore says it is) and
 * answer from connected(). */
static void connect_dial(rpc__netop_t *op, const char *const *addrs, size_t n) {
  int rc = rpc__netop_dial(op, addrs, n, connected);
  if (rc) {
    http_req_t *req = rpc__netop_take(op);
    if (req)
      rpc_error(req, 500, "connect %s failure: %s", op->id, tr_strerror(rc));
    rpc__netop_done(op);
  }
}

static void dns_resolved(void *ud, int status, char *const *addrs,
                         size_t n) {
  rpc__netop_t *op = ud;
  op->dns = NULL;
  if (!status) {
    connect_dial(op, (const char *const *)addrs,
                 n < NET_DIAL_ADDRS ? n : NET_DIAL_ADDRS);
    return;
  }
  http_req_t *req = rpc__netop_take(op);
  if (req)
    rpc_error(req, 500, "connect %s failure: %s", op->id,
              status == TR_ENOTFOUND ? "no address found for it"
                                     : tr_strerror(status));
  rpc__netop_done(op);
}

void rpc_cmd_swarm_connect(http_req_t *req, rpc_ctx_t *ctx) {
  net_host_t *h = rpc__online(req, ctx);
  char *arg;
  if (!h || rpc_one_arg(req, "address", &arg))
    return;
  net_peerid_t peer;
  bool transport;
  rpc__netop_t *op = NULL;
  if (parse_maddr(req, arg, &peer, &transport) || !(op = rpc__netop_new(req))) {
    tr_free(arg);
    return;
  }
  op->peer = peer;
  if (peer.len)
    rpc__peer_str(&peer, op->id, sizeof op->id);
  else
    snprintf(op->id, sizeof op->id, "%.60s", arg);
  int rc = rpc__netop_start(op, req, ctx, connect_timeout, CONNECT_MS);
  if (rc) {
    tr_free(op);
    rpc_error(req, 500, "connect %s failure: %s", arg, tr_strerror(rc));
    tr_free(arg);
    return;
  }
  if (dns_is_dnsaddr(arg)) {
    rc = ctx->dnsaddr ? dns_dnsaddr_resolve(ctx->dnsaddr, arg, dns_resolved,
                                            op, &op->dns)
                      : -ENOTSUP;
    if (rc) {
      rpc__netop_take(op);
      rpc_error(req, 500, "connect %s failure: cannot resolve it: %s", op->id,
                tr_strerror(rc));
      rpc__netop_done(op);
    }
    tr_free(arg);
    return;
  }
  /* /p2p/<id> alone: where the peerstore, else the DHTs, say it is. */
  const char *one = arg;
  connect_dial(op, &one, transport ? 1 : 0);
  tr_free(arg);
}

/* --------------------------------------------------------------- ping */

static void ping_line(rpc__netop_t *op, bool ok, uint64_t ns,
                      const char *text) {
  if (!op->req)
    return;
  rpc_write_line(op->req, json_pack("{s:b,s:I,s:o}", "Success", ok, "Time",
                                    (json_int_t)ns, "Text",
                                    rpc_json_str(text)));
}

/* The run is over: the average, or Kubo's error value when nothing came
 * back. */
static void ping_end(rpc__netop_t *op, const char *err) {
  if (op->req) {
    if (err)
      ping_line(op, false, 0, err);
    if (op->got) {
      char text[64];
      snprintf(text, sizeof text, "Average latency: %.2fms",
               (double)op->total_us / 1000.0 / op->got);
      ping_line(op, true, 0, text);
    } else {
      static const char E[] =
          "{\"Message\":\"ping failed\",\"Code\":0,\"Type\":\"error\"}\n";
      http_res_write(op->req, E, sizeof E - 1);
    }
    http_res_end(rpc__netop_take(op));
  }
  rpc__netop_done(op);
}

static void ping_timeout(uv_timer_t *t) {
  ping_end(t->data, "context deadline exceeded");
}

static void pinged(int status, uint64_t rtt_us, void *ud) {
  rpc__netop_t *op = ud;
  if (status == 0) {
    op->got++;
    op->total_us += rtt_us;
    ping_line(op, true, rtt_us * 1000, "");
    return;
  }
  op->net_busy = false;
  ping_end(op, status == 1 ? NULL : tr_strerror(status));
}

static void ping_go(rpc__netop_t *op) {
  op->net_busy = true;
  int rc = net_ping(op->ctx->host, &op->peer, op->count,
                    PING_INTERVAL_MS, pinged, op);
  if (rc) {
    op->net_busy = false;
    ping_end(op, tr_strerror(rc));
  }
}

/* ping ADDR/p2p/ID, or ID not connected: dialled first (where the
 * peerstore or the DHTs say), as Kubo does. */
static void ping_dialled(net_host_t *h, int status, const net_peerid_t *peer,
                         void *ud) {
  (void)h, (void)peer;
  rpc__netop_t *op = ud;
  op->net_busy = false;
  if (!op->req)
    rpc__netop_done(op);
  else if (status == TR_ENOADDR)
    ping_end(op, "peer lookup failed: routing: not found");
  else if (status)
    ping_end(op, tr_strerror(status));
  else
    ping_go(op);
}

/* Whether a lookup could find a peer: a DHT that knows a peer, or a
 * delegated router (the host's router asks them). */
static bool can_look_up(rpc_ctx_t *ctx) {
  dht_swarm_t *sw[2] = {ctx->dht_lan, ctx->dht_wan};
  for (int i = 0; i < 2; i++)
    if (sw[i] && dht_rt_size(dht_swarm_dht(sw[i])) > 0)
      return true;
  return ctx->router && ctx->router->find_peer;
}

void rpc_cmd_ping(http_req_t *req, rpc_ctx_t *ctx) {
  net_host_t *h = rpc__online(req, ctx);
  char *arg;
  int64_t count;
  if (!h)
    return;
  if (rpc_opt_i64(req, "count", PING_COUNT_DEFAULT, &count)) {
    rpc_error(req, 400, "invalid value for count");
    return;
  }
  if (count <= 0 || count > PING_COUNT_MAX) {
    rpc_error(req, 500, "ping count must be greater than 0 (at most %d)",
              PING_COUNT_MAX);
    return;
  }
  if (rpc_one_arg(req, "peer ID", &arg))
    return;
  net_peerid_t peer;
  bool transport = false;
  int rc = 0;
  if (arg[0] == '/') {
    if (parse_maddr(req, arg, &peer, &transport)) {
      tr_free(arg);
      return;
    }
    if (!peer.len)
      rc = TR_EMULTIADDR;
  } else {
    rc = net_peerid_parse(&peer, arg, strlen(arg));
  }
  if (rc) {
    rpc_error(req, 500, "failed to parse peer address '%s': %s", arg,
              tr_strerror(rc));
    tr_free(arg);
    return;
  }
  if (net_peerid_equal(&peer, net_host_id(h))) {
    rpc_error(req, 500, "error: can't ping self");
    tr_free(arg);
    return;
  }
  net_peerinfo_t *pi = net_ps_get(net_host_peerstore(h), &peer);
  if (!transport && !net_host_connected(h, &peer) && !(pi && pi->naddrs) &&
      !can_look_up(ctx)) { /* nothing could find it */
    rpc_error(req, 500, "peer lookup failed: routing: not found");
    tr_free(arg);
    return;
  }
  rpc__netop_t *op = rpc__netop_new(req);
  if (!op) {
    tr_free(arg);
    return;
  }
  op->peer = peer;
  op->count = (unsigned)count;
  rpc__peer_str(&peer, op->id, sizeof op->id);
  rc = rpc__netop_start(op, req, ctx, ping_timeout,
                CONNECT_MS + (uint64_t)count * NET_PING_TIMEOUT_MS);
  if (rc) {
    tr_free(op);
    rpc_error(req, 500, "ping: %s", tr_strerror(rc));
    tr_free(arg);
    return;
  }
  rpc_start(req, RPC_CHUNKED, NULL, -1, -1);
  char text[NET_PEERID_STR_MAX + 8];
  snprintf(text, sizeof text, "PING %s.", op->id);
  ping_line(op, true, 0, text);
  if (!net_host_connected(h, &peer)) {
    /* An address given is dialled; a bare ID where the peerstore, else
     * the DHTs, say it is. */
    const char *one = arg;
    if ((rc = rpc__netop_dial(op, &one, transport ? 1 : 0, ping_dialled)))
      ping_end(op, tr_strerror(rc));
  } else {
    ping_go(op);
  }
  tr_free(arg);
}

/* ------------------------------------------------------------ filters */

/* swarm/filters, swarm/filters/add arg=F..., swarm/filters/rm arg=F...
 * (all or * for every one): Kubo's, changing the running host's filters
 * (net/addrpolicy.h) and Swarm.AddrFilters in the config the same way
 * (filtersAdd, filtersRemove, filtersRemoveAll of Kubo's swarm.go); the
 * answer {"Strings": the filters listed, added or removed}. */
typedef struct filt_req {
  char **args;
  size_t n;
  bool add, all;
} filt_req_t;

static void filt_free(void *p) {
  filt_req_t *r = p;
  rpc_strv_free(r->args, r->n);
  tr_free(r);
}

static bool in_list(char *const *v, size_t n, const char *s) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(v[i], s))
      return true;
  return false;
}

static void filt_work(rpc_job_t *j) {
  filt_req_t *r = j->state;
  json_t *cfg = NULL, *out = json_array(), *list = json_array();
  int rc = out && list ? config_load(j->ctx->repo, &cfg) : -ENOMEM;
  if (rc) {
    rpc_job_fail(j, 500, "reading the config: %s", tr_strerror(rc));
    json_decref(out), json_decref(list);
    return;
  }
  json_t *old = config_get(cfg, "Swarm.AddrFilters"), *v;
  size_t i;
  if (r->add) {
    for (i = 0; i < r->n; i++)
      if (!in_list(r->args, i, r->args[i])) {
        json_array_append_new(list, json_string(r->args[i]));
        json_array_append_new(out, json_string(r->args[i]));
      }
    json_array_foreach(old, i, v) {
      const char *s = json_string_value(v);
      if (s && !in_list(r->args, r->n, s))
        json_array_append_new(list, json_string(s));
    }
  } else {
    json_array_foreach(old, i, v) {
      const char *s = json_string_value(v);
      if (!s)
        continue;
      bool go = r->all || in_list(r->args, r->n, s);
      json_array_append_new(go ? out : list, json_string(s));
    }
  }
  if (!r->add && r->all) {
    json_decref(list);
    list = json_null();
  }
  rc = config_set(cfg, "Swarm.AddrFilters", list);
  if (!rc)
    rc = config_save(j->ctx->repo, cfg);
  json_decref(cfg);
  if (rc) {
    json_decref(out);
    rpc_job_fail(j, 500, "writing the config: %s", tr_strerror(rc));
    return;
  }
  if (!(j->json = json_pack("{s:o}", "Strings", out)))
    rpc_job_fail(j, 500, "out of memory");
}

void rpc_cmd_swarm_filters(http_req_t *req, rpc_ctx_t *ctx) {
  if (!rpc__online(req, ctx))
    return;
  char a[64][NET_MA_STR_MAX / 16];
  size_t n = ctx->policy ? net_ap_filters(ctx->policy, a, 64) : 0;
  json_t *l = json_array();
  for (size_t i = 0; l && i < n && i < 64; i++)
    json_array_append_new(l, rpc_json_str(a[i]));
  rpc_api_json(req, l ? json_pack("{s:o}", "Strings", l) : NULL);
}

static void filters_change(http_req_t *req, rpc_ctx_t *ctx, bool add) {
  if (!rpc__online(req, ctx))
    return;
  filt_req_t *r = tr_calloc(1, sizeof *r);
  if (!r || rpc_args(req, "arg", &r->args, &r->n)) {
    if (r)
      filt_free(r);
    rpc_error(req, 400, "invalid argument");
    return;
  }
  r->add = add;
  if (!r->n) {
    rpc_error(req, add ? 500 : 400, add ? "no filters to add"
                                        : "argument \"address\" is required");
    filt_free(r);
    return;
  }
  r->all = !add && (!strcmp(r->args[0], "all") || !strcmp(r->args[0], "*"));
  for (size_t i = 0; !r->all && i < r->n; i++) {
    int rc = add ? net_ap_filter_add(ctx->policy, r->args[i])
                 : net_ap_filter_rm(ctx->policy, r->args[i]);
    if (rc) {
      rpc_error(req, 500, rc == TR_EUSAGE ? "invalid multiaddr-filter: %s"
                                          : "%s",
                rc == TR_EUSAGE ? r->args[i] : tr_strerror(rc));
      filt_free(r);
      return;
    }
  }
  if (r->all) {
    char a[64][NET_MA_STR_MAX / 16];
    size_t n;
    while ((n = net_ap_filters(ctx->policy, a, 1)) > 0)
      if (net_ap_filter_rm(ctx->policy, a[0]))
        break;
  }
  (void)rpc_job_run(req, ctx, filt_work, NULL, r, filt_free);
}

void rpc_cmd_swarm_filters_add(http_req_t *req, rpc_ctx_t *ctx) {
  filters_change(req, ctx, true);
}

void rpc_cmd_swarm_filters_rm(http_req_t *req, rpc_ctx_t *ctx) {
  filters_change(req, ctx, false);
}

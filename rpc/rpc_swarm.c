/*
 * rpc_swarm.c — /api/v0 commands about the libp2p swarm, with Kubo's
 * answers:
 *
 *   swarm/peers              {"Peers":[{"Addr","Peer","Direction"}]}
 *                            (null when none, as Kubo)
 *   swarm/connect arg=MADDR  {"Strings":["connect ID success"]}; a
 *                            /dnsaddr/NAME[/p2p/ID] resolved first (its
 *                            addresses dialled in turn, as Kubo's)
 *   swarm/disconnect arg=MADDR  {"Strings":["disconnect ID success"]}
 *   swarm/addrs              {"Addrs":{"ID":["/ip4/..."]}} (the peerstore)
 *   swarm/addrs/local        {"Strings":[...]} (where we listen)
 *   swarm/addrs/autonat      {"reachability":"Public","reachable":[...],
 *                            "unreachable":[...],"unknown":[...]}
 *   ping arg=PEER count=N    NDJSON {"Success","Time","Text"}: "PING ID.",
 *                            one line per echo (Time in ns), the average
 *   id [arg=PEER]            {"ID","PublicKey","Addresses","AgentVersion",
 *                            "Protocols"}, Addresses and Protocols sorted:
 *                            ours, or what PEER said in identify (dialled
 *                            at its known addresses when not connected,
 *                            as Kubo's host.Connect)
 *
 * They run on the loop thread against ctx->host (NULL when the daemon has
 * no swarm: Kubo's "this command must be run in online mode").  connect
 * and ping wait on the network: their state (op_t) outlives the request
 * when the client goes away or the answer times out, until the host lets
 * go of it (net_host_connect and net_ping always call back once, at the
 * latest when the host closes).
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../dns/dns.h"
#include "../dht/keystore.h"
#include "../dht/swarm.h"
#include "../net/autonat.h"
#include "../net/host.h"
#include "../net/identify.h"
#include "../net/peerstore.h"
#include "../config/config.h"
#include "../net/addrpolicy.h"
#include "rpc_int.h"

#define CONNECT_MS 30000
#define PING_INTERVAL_MS 1000 /* Kubo's ticker */
#define PING_COUNT_DEFAULT 10
#define PING_COUNT_MAX 1000
#define ID_MS 30000 /* id PEER: dials and identify together */
/* id's --peerid-base: a multibase name ("base256emoji" is the longest),
 * and what the longest base (base2) makes of a libp2p-key CID. */
#define ID_BASE_MAX 24
#define ID_STR_MAX (8 * (NET_PEERID_MAX + 4) + 8)

static net_host_t *online(http_req_t *req, rpc_ctx_t *ctx) {
  if (!ctx->host)
    rpc_error(req, 500, "this command must be run in online mode");
  return ctx->host;
}

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

static void peer_str(const net_peerid_t *p, char *out, size_t n) {
  if (!p || !p->len || net_peerid_format(p, 0, out, n) < 0)
    snprintf(out, n, "%s", "<unknown peer>");
}

static void answer_strings(http_req_t *req, const char *s) {
  json_t *o = json_pack("{s:[o]}", "Strings", rpc_json_str(s));
  rpc_api_json(req, o);
}

/* ------------------------------------------------------- peers, addrs */

/* Kubo's autoNATResult: reachability, and the addresses by what AutoNAT
 * found (each list left out when empty, as Kubo's omitempty). */
static void an_addr(const char *addr, net_reach_t r, void *ud) {
  json_t **lists = ud;
  json_t *l = lists[r];
  if (l)
    json_array_append_new(l, rpc_json_str(addr));
}

void rpc_cmd_swarm_addrs_autonat(http_req_t *req, rpc_ctx_t *ctx) {
  if (!online(req, ctx))
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

static json_t *peer_json(net_host_t *h, const net_peerid_t *peer,
                         const char *base);

/* swarm peers' options: what each connection's row carries beyond its
 * address and peer (-v: all of it). */
typedef struct peers_req {
  net_host_t *h;
  bool latency, direction, streams, identify;
  json_t *rows;
} peers_req_t;

static int cmp_proto(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_addr(const void *a, const void *b) {
  const char *x = json_string_value(json_object_get(*(json_t *const *)a, "Addr"));
  const char *y = json_string_value(json_object_get(*(json_t *const *)b, "Addr"));
  return strcmp(x ? x : "", y ? y : "");
}

/* Kubo's connInfo, its fields in Go's order, the empty ones left out
 * (omitempty) but Identify, which is always there (zero when not asked
 * for).  Muxer is never set by Kubo 0.43.1, so never here either. */
static void peer_row(const net_conn_view_t *c, void *ud) {
  peers_req_t *r = ud;
  char id[NET_PEERID_STR_MAX];
  if (!r->rows) /* out of memory earlier: the answer fails */
    return;
  peer_str(c->peer, id, sizeof id);
  json_t *o = json_pack("{s:o,s:s}", "Addr", rpc_json_str(c->addr), "Peer",
                        id);
  if (!o)
    return;
  if (r->latency) {
    net_peerinfo_t *pi = net_ps_get(net_host_peerstore(r->h), c->peer);
    char d[TR_DURATION_STR_MAX] = "n/a";
    if (pi && pi->latency_ns)
      tr_format_duration((int64_t)pi->latency_ns, d);
    json_object_set_new(o, "Latency", rpc_json_str(d));
  }
  /* Kubo's Direction: 1 inbound, 2 outbound (network.Direction). */
  if (r->direction)
    json_object_set_new(o, "Direction", json_integer(c->outbound ? 2 : 1));
  if (r->streams && c->nstreams) {
    const char **v = tr_malloc(c->nstreams * sizeof *v);
    json_t *a = v ? json_array() : NULL;
    for (size_t i = 0; a && i < c->nstreams; i++)
      v[i] = c->streams[i];
    if (a && c->nstreams > 1)
      qsort(v, c->nstreams, sizeof *v, cmp_proto);
    for (size_t i = 0; a && i < c->nstreams; i++)
      json_array_append_new(a, json_pack("{s:o}", "Protocol",
                                         rpc_json_str(v[i])));
    tr_free(v);
    if (a)
      json_object_set_new(o, "Streams", a);
  }
  json_t *idf = r->identify
                    ? peer_json(r->h, c->peer, "b58mh")
                    : json_pack("{s:s,s:s,s:n,s:s,s:n}", "ID", "",
                                "PublicKey", "", "Addresses",
                                "AgentVersion", "", "Protocols");
  if (!idf)
    json_decref(o), o = NULL;
  if (!o || json_object_set_new(o, "Identify", idf) ||
      json_array_append_new(r->rows, o))
    r->rows = NULL; /* json_array_append_new took o either way */
}

/* swarm/peers [verbose latency streams direction identify]: Kubo's
 * connInfos, sorted by address; "Peers": null without any. */
void rpc_cmd_swarm_peers(http_req_t *req, rpc_ctx_t *ctx) {
  net_host_t *h = online(req, ctx);
  if (!h)
    return;
  peers_req_t r = {.h = h};
  bool v;
  if (rpc_opt_bool(req, "verbose", false, &v) ||
      rpc_opt_bool(req, "latency", v, &r.latency) ||
      rpc_opt_bool(req, "streams", v, &r.streams) ||
      rpc_opt_bool(req, "direction", v, &r.direction) ||
      rpc_opt_bool(req, "identify", v, &r.identify)) {
    rpc_error(req, 400, "invalid boolean option");
    return;
  }
  r.latency |= v, r.streams |= v, r.direction |= v, r.identify |= v;
  json_t *all = json_array();
  r.rows = all;
  if (r.rows)
    net_host_conns_view(h, peer_row, &r);
  json_t *a = NULL;
  size_t n = r.rows ? json_array_size(all) : 0;
  json_t **v2 = n ? tr_malloc(n * sizeof *v2) : NULL;
  if (r.rows && !n) {
    a = json_null(); /* Kubo: "Peers": null */
  } else if (v2 && (a = json_array())) {
    for (size_t i = 0; i < n; i++)
      v2[i] = json_array_get(all, i);
    qsort(v2, n, sizeof *v2, cmp_addr);
    for (size_t i = 0; i < n; i++)
      json_array_append(a, v2[i]);
  }
  tr_free(v2);
  json_decref(all);
  json_t *o = a ? json_pack("{s:o}", "Peers", a) : NULL;
  rpc_api_json(req, o);
}

void rpc_cmd_swarm_addrs(http_req_t *req, rpc_ctx_t *ctx) {
  net_host_t *h = online(req, ctx);
  if (!h)
    return;
  net_peerstore_t *ps = net_host_peerstore(h);
  json_t *all = json_object();
  for (size_t i = 0; all && i < ps->n; i++) {
    net_peerinfo_t *pi = &ps->v[i];
    char id[NET_PEERID_STR_MAX], s[NET_PS_ADDR_MAX * 8];
    json_t *a = json_array();
    peer_str(&pi->id, id, sizeof id);
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
  net_host_t *h = online(req, ctx);
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
  net_host_t *h = online(req, ctx);
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
  net_host_t *h = online(req, ctx);
  char *arg;
  if (!h || rpc_one_arg(req, "address", &arg))
    return;
  net_peerid_t peer;
  bool transport;
  if (parse_maddr(req, arg, &peer, &transport) == 0) {
    char id[NET_PEERID_STR_MAX], msg[NET_PEERID_STR_MAX + 64];
    peer_str(&peer, id, sizeof id);
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

/* ------------------------------------------------ connect, ping: ops */

typedef struct op {
  http_req_t *req; /* NULL once answered */
  rpc_ctx_t *ctx;
  uv_timer_t timer;
  bool net_busy;     /* the host holds the op as its ud */
  bool timer_closed;
  net_peerid_t peer;
  char id[NET_PEERID_STR_MAX];
  char base[ID_BASE_MAX]; /* id: --peerid-base, checked */
  /* ping */
  unsigned count, got;
  uint64_t total_us;
  /* connect, ping, id: the dial while under way (net_busy) */
  net_dial_t *dial;
  /* connect to a /dnsaddr: its resolution while under way */
  void *dns;
} op_t;

static void op_maybe_free(op_t *op) {
  if (!op->net_busy && op->timer_closed)
    tr_free(op);
}

static void on_timer_closed(uv_handle_t *t) {
  op_t *op = t->data;
  op->timer_closed = true;
  op_maybe_free(op);
}

/* The answer is over (sent, or nobody to send it to); op is freed here
 * or later, once the timer is closed and the host has let go of it. */
static void op_done(op_t *op) {
  if (op->dns) {
    dns_dnsaddr_cancel(op->ctx->dnsaddr, op->dns);
    op->dns = NULL;
  }
  net_dial_cancel(op->dial); /* no address after the one under way */
  if (op->req) {
    http_req_on_close(op->req, NULL, NULL);
    op->req = NULL;
  }
  if (!uv_is_closing((uv_handle_t *)&op->timer))
    uv_close((uv_handle_t *)&op->timer, on_timer_closed);
  else
    op_maybe_free(op);
}

/* The request, to answer now (the answer may free it): op forgets it. */
static http_req_t *op_take(op_t *op) {
  http_req_t *req = op->req;
  if (req)
    http_req_on_close(req, NULL, NULL);
  op->req = NULL;
  return req;
}

static void op_gone(http_req_t *req, void *ud) {
  op_t *op = ud;
  http_res_end(req); /* dropped: the client is gone */
  op->req = NULL;
  op_done(op);
}

/* Start op's timer of ms and watch for the client leaving.  The op is
 * freed by op_done() from then on; -errno before. */
static int op_start(op_t *op, http_req_t *req, rpc_ctx_t *ctx,
                    uv_timer_cb on_timeout, uint64_t ms) {
  op->req = req;
  op->ctx = ctx;
  int rc = uv_timer_init(ctx->loop, &op->timer);
  if (rc)
    return rc;
  op->timer.data = op;
  uv_timer_start(&op->timer, on_timeout, ms, 0);
  http_req_on_close(req, op_gone, op);
  return 0;
}

static op_t *op_new(http_req_t *req) {
  op_t *op = tr_calloc(1, sizeof *op);
  if (!op)
    rpc_error(req, 500, "out of memory");
  return op;
}

/* Dial op's peer (op->peer; none: whoever the addresses say) at
 * addrs[0..n), or n 0: where the peerstore says (the host asks the DHTs
 * when nothing it knows works); after gets the end, with op as its ud.
 * 0, or the error (after does not run). */
static int op_dial(op_t *op, const char *const *addrs, size_t n,
                   net_connect_cb after) {
  if (!op->ctx->host) /* the node stops (a /dnsaddr answer came late) */
    return -ECANCELED;
  op->net_busy = true;
  int rc = net_host_dial(op->ctx->host, op->peer.len ? &op->peer : NULL,
                         addrs, n, after, op, &op->dial);
  if (rc)
    op->net_busy = false;
  return rc;
}

/* ------------------------------------------------------------ connect */

static void connect_timeout(uv_timer_t *t) {
  op_t *op = t->data;
  http_req_t *req = op_take(op);
  if (req)
    rpc_error(req, 500, "connect %s failure: context deadline exceeded",
              op->id);
  op_done(op);
}

static void connected(net_host_t *h, int status, const net_peerid_t *peer,
                      void *ud) {
  (void)h;
  op_t *op = ud;
  op->net_busy = false;
  http_req_t *req = op_take(op);
  if (req) {
    if (status) {
      rpc_error(req, 500, "connect %s failure: %s", op->id,
                tr_strerror(status));
    } else {
      char msg[NET_PEERID_STR_MAX + 32];
      peer_str(peer, op->id, sizeof op->id);
      snprintf(msg, sizeof msg, "connect %s success", op->id);
      answer_strings(req, msg);
    }
  }
  op_done(op);
}

/* Dial the peer at addrs[0..n) (n 0: where the peerstore says it is) and
 * answer from connected(). */
static void connect_dial(op_t *op, const char *const *addrs, size_t n) {
  int rc = op_dial(op, addrs, n, connected);
  if (rc) {
    http_req_t *req = op_take(op);
    if (req)
      rpc_error(req, 500, "connect %s failure: %s", op->id, tr_strerror(rc));
    op_done(op);
  }
}

static void dns_resolved(void *ud, int status, char *const *addrs,
                         size_t n) {
  op_t *op = ud;
  op->dns = NULL;
  if (!status) {
    connect_dial(op, (const char *const *)addrs,
                 n < NET_DIAL_ADDRS ? n : NET_DIAL_ADDRS);
    return;
  }
  http_req_t *req = op_take(op);
  if (req)
    rpc_error(req, 500, "connect %s failure: %s", op->id,
              status == TR_ENOTFOUND ? "no address found for it"
                                     : tr_strerror(status));
  op_done(op);
}

void rpc_cmd_swarm_connect(http_req_t *req, rpc_ctx_t *ctx) {
  net_host_t *h = online(req, ctx);
  char *arg;
  if (!h || rpc_one_arg(req, "address", &arg))
    return;
  net_peerid_t peer;
  bool transport;
  op_t *op = NULL;
  if (parse_maddr(req, arg, &peer, &transport) || !(op = op_new(req))) {
    tr_free(arg);
    return;
  }
  op->peer = peer;
  if (peer.len)
    peer_str(&peer, op->id, sizeof op->id);
  else
    snprintf(op->id, sizeof op->id, "%.60s", arg);
  int rc = op_start(op, req, ctx, connect_timeout, CONNECT_MS);
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
      op_take(op);
      rpc_error(req, 500, "connect %s failure: cannot resolve it: %s", op->id,
                tr_strerror(rc));
      op_done(op);
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

static void ping_line(op_t *op, bool ok, uint64_t ns, const char *text) {
  if (!op->req)
    return;
  rpc_write_line(op->req, json_pack("{s:b,s:I,s:o}", "Success", ok, "Time",
                                    (json_int_t)ns, "Text",
                                    rpc_json_str(text)));
}

/* The run is over: the average, or Kubo's error value when nothing came
 * back. */
static void ping_end(op_t *op, const char *err) {
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
    http_res_end(op_take(op));
  }
  op_done(op);
}

static void ping_timeout(uv_timer_t *t) {
  ping_end(t->data, "context deadline exceeded");
}

static void pinged(int status, uint64_t rtt_us, void *ud) {
  op_t *op = ud;
  if (status == 0) {
    op->got++;
    op->total_us += rtt_us;
    ping_line(op, true, rtt_us * 1000, "");
    return;
  }
  op->net_busy = false;
  ping_end(op, status == 1 ? NULL : tr_strerror(status));
}

static void ping_go(op_t *op) {
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
  op_t *op = ud;
  op->net_busy = false;
  if (!op->req)
    op_done(op);
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
  net_host_t *h = online(req, ctx);
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
  op_t *op = op_new(req);
  if (!op) {
    tr_free(arg);
    return;
  }
  op->peer = peer;
  op->count = (unsigned)count;
  peer_str(&peer, op->id, sizeof op->id);
  rc = op_start(op, req, ctx, ping_timeout,
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
    if ((rc = op_dial(op, &one, transport ? 1 : 0, ping_dialled)))
      ping_end(op, tr_strerror(rc));
  } else {
    ping_go(op);
  }
  tr_free(arg);
}

/* ----------------------------------------------------------------- id */

/* Kubo's IdOutput for peer: ID in base (dht_key_format_id: Kubo's
 * keyencode), the addresses with "/p2p/" and the base58 ID appended
 * (go-libp2p's AddrInfoToP2pAddrs: that alone for a peer without any;
 * null where the node has no host), the protocols null when there are
 * none (Go's nil slice).  NULL on -ENOMEM. */
static json_t *id_json(const net_peerid_t *peer, const char *base,
                       const char *pubkey, char **addrs, size_t naddrs,
                       bool no_addrs, const char *agent, const char **protos,
                       size_t nprotos) {
  char id[ID_STR_MAX], b58[NET_PEERID_STR_MAX], *only = "";
  if (dht_key_format_id(peer, base, id, sizeof id) < 0)
    id[0] = 0; /* base was checked: only a malformed peer gets here */
  peer_str(peer, b58, sizeof b58);
  json_t *a = NULL, *p = nprotos ? rpc_json_sorted(protos, nprotos)
                                 : json_null();
  if (!naddrs && !no_addrs)
    addrs = &only, naddrs = 1;
  const char **full = tr_calloc(naddrs + 1, sizeof *full);
  char *buf = tr_malloc(naddrs * (NET_MA_STR_MAX / 16 + NET_PEERID_STR_MAX + 8) + 1);
  if (no_addrs) {
    a = json_null();
  } else if (full && buf) {
    char *w = buf;
    for (size_t i = 0; i < naddrs; i++) {
      full[i] = w;
      w += sprintf(w, "%s/p2p/%s", addrs[i], b58) + 1;
    }
    a = rpc_json_sorted(full, naddrs);
  }
  tr_free(full);
  tr_free(buf);
  if (!a || !p) {
    json_decref(a);
    json_decref(p);
    return NULL;
  }
  return json_pack("{s:s,s:o,s:o,s:o,s:o}", "ID", id, "PublicKey",
                   rpc_json_str(pubkey), "Addresses", a, "AgentVersion",
                   rpc_json_str(agent), "Protocols", p);
}

/* The node's own: its listen addresses and protocols (neither without a
 * host: Kubo's offline node has no PeerHost). */
static json_t *self_json(rpc_ctx_t *ctx, const char *base) {
  char agent[64];
  snprintf(agent, sizeof agent, "trove/%s", ctx->version);
  char(*a)[NET_MA_STR_MAX / 16] = tr_malloc(32 * sizeof *a);
  char *ap[32];
  const char *p[NET_HOST_HANDLERS_MAX];
  size_t na = 0, np = 0;
  net_peerid_t self;
  if (!a)
    return NULL;
  if (ctx->host) {
    na = net_host_announce_addrs(ctx->host, a, 32);
    na = na > 32 ? 32 : na;
    np = net_host_protocols(ctx->host, p, NET_HOST_HANDLERS_MAX);
    np = np > NET_HOST_HANDLERS_MAX ? NET_HOST_HANDLERS_MAX : np;
    self = *net_host_id(ctx->host);
  } else if (net_peerid_parse(&self, ctx->peerid, strlen(ctx->peerid))) {
    self.len = 0;
  }
  for (size_t i = 0; i < na; i++)
    ap[i] = a[i];
  json_t *o = id_json(&self, base, ctx->pubkey, ap, na, !ctx->host, agent, p,
                      np);
  tr_free(a);
  return o;
}

/* What peer told us, from the peerstore of h (NULL: none; its key from
 * the PeerID when identify gave none). */
static json_t *peer_json(net_host_t *h, const net_peerid_t *peer,
                         const char *base) {
  net_peerinfo_t *pi = h ? net_ps_get(net_host_peerstore(h), peer) : NULL;
  char addrs[NET_PS_ADDRS_MAX][NET_MA_STR_MAX / 16], *ap[NET_PS_ADDRS_MAX];
  const char *protos[NET_PS_PROTOS_BYTES / 2];
  size_t na = 0, np = 0;
  uint8_t kb[NET_PUBKEY_PB_MAX];
  const uint8_t *key = NULL;
  size_t klen = 0;
  net_pubkey_t *pk = tr_malloc(sizeof *pk);
  if (!pk)
    return NULL;
  if (pi && pi->pklen) {
    key = pi->pubkey, klen = pi->pklen;
  } else if (net_peerid_pubkey(peer, pk) == 0) {
    int k = net_pubkey_marshal(pk, kb, sizeof kb);
    if (k > 0)
      key = kb, klen = (size_t)k;
  }
  tr_free(pk);
  char b64[sodium_base64_ENCODED_LEN(NET_PUBKEY_PB_MAX,
                                     sodium_base64_VARIANT_ORIGINAL)] = "";
  if (key)
    sodium_bin2base64(b64, sizeof b64, key, klen,
                      sodium_base64_VARIANT_ORIGINAL);
  for (size_t i = 0; pi && i < pi->naddrs; i++)
    if (net_ma_format(pi->addrs[i], pi->addrlen[i], addrs[na],
                      sizeof addrs[na]) >= 0)
      ap[na] = addrs[na], na++;
  for (size_t off = 0; pi && off < pi->protolen && np < NET_PS_PROTOS_BYTES / 2;
       off += strlen(pi->protos + off) + 1)
    protos[np++] = pi->protos + off;
  char agent[sizeof pi->agent] = "";
  if (pi) /* Kubo cleans it (cmdutils.CleanAndTrim): no control bytes */
    for (size_t i = 0, j = 0; pi->agent[i] && j + 1 < sizeof agent; i++)
      if ((unsigned char)pi->agent[i] >= 0x20 && pi->agent[i] != 0x7f)
        agent[j++] = pi->agent[i], agent[j] = 0;
  return id_json(peer, base, b64, ap, na, false, agent, protos, np);
}

static void id_answer(op_t *op, const char *err) {
  http_req_t *req = op_take(op);
  if (req) {
    if (err)
      rpc_error(req, 500, "%s", err);
    else
      rpc_api_json(req, peer_json(op->ctx->host, &op->peer, op->base));
  }
  op_done(op);
}

static void id_timeout(uv_timer_t *t) {
  id_answer(t->data, "identify failed to complete: context deadline exceeded");
}

/* As go-libp2p's host.Connect: it returns once identify is done, however it
 * went; what the peer said (maybe nothing) is printed. */
static void id_identified(int status, void *ud) {
  (void)status;
  op_t *op = ud;
  op->net_busy = false;
  id_answer(op, NULL);
}

static void id_wait(op_t *op) {
  op->net_busy = true;
  int rc = net_identify_wait(op->ctx->host, &op->peer, ID_MS, id_identified,
                             op);
  if (rc) {
    op->net_busy = false;
    id_answer(op, rc < 0 ? tr_strerror(rc) : NULL);
  }
}

static void id_dialled(net_host_t *h, int status, const net_peerid_t *peer,
                       void *ud) {
  (void)h, (void)peer;
  op_t *op = ud;
  op->net_busy = false;
  if (!op->req) {
    op_done(op);
  } else if (status == TR_ENOADDR) {
    id_answer(op, "failed to dial: no addresses (peer lookup: routing: "
                  "not found)");
  } else if (status) {
    char msg[160];
    snprintf(msg, sizeof msg, "failed to dial %s: %s", op->id,
             tr_strerror(status));
    id_answer(op, msg);
  } else {
    id_wait(op);
  }
}

/* Dial the peer where the peerstore says it is. */
static void id_dial(op_t *op) {
  int rc = op_dial(op, NULL, 0, id_dialled);
  if (rc)
    id_answer(op, tr_strerror(rc));
}

/* --peerid-base into base (default b58mh); 0, or answered. */
static int id_base(http_req_t *req, char *base, size_t n) {
  char *b = NULL;
  if (rpc_opt_str(req, "peerid-base", &b)) {
    rpc_error(req, 400, "invalid peerid-base");
    return -1;
  }
  net_peerid_t zero = {0};
  char tmp[ID_STR_MAX];
  int rc = b && (strlen(b) >= n ||
                 dht_key_format_id(&zero, b, tmp, sizeof tmp) == TR_EBASE);
  if (rc) /* go-multibase's EncoderByName */
    rpc_error(req, 500, *b ? "unsupported multibase encoding: %s"
                           : "empty multibase encoding%s", b);
  else
    snprintf(base, n, "%s", b ? b : "b58mh");
  tr_free(b);
  return rc ? -1 : 0;
}

void rpc_cmd_id(http_req_t *req, rpc_ctx_t *ctx) {
  char **args, base[ID_BASE_MAX];
  size_t n;
  net_peerid_t peer, self;
  bool offline;
  if (id_base(req, base, sizeof base))
    return;
  if (rpc_opt_bool(req, "offline", false, &offline)) {
    rpc_error(req, 400, "invalid offline");
    return;
  }
  if (rpc_args(req, "arg", &args, &n)) {
    rpc_error(req, 400, "invalid argument");
    return;
  }
  int rc = n ? net_peerid_parse(&peer, args[0], strlen(args[0])) : 0;
  rpc_strv_free(args, n);
  if (rc) {
    rpc_error(req, 500, "invalid peer id");
    return;
  }
  if (ctx->host)
    self = *net_host_id(ctx->host);
  else if (net_peerid_parse(&self, ctx->peerid, strlen(ctx->peerid)))
    self.len = 0;
  if (!n || net_peerid_equal(&peer, &self)) {
    rpc_api_json(req, self_json(ctx, base));
    return;
  }
  /* Kubo's --offline: what the peerstore has, without a dial (the key
   * alone, from an inline PeerID, on a node that has none). */
  if (offline) {
    rpc_api_json(req, peer_json(ctx->host, &peer, base));
    return;
  }
  if (!ctx->host) {
    rpc_error(req, 500, "'ipfs id' cannot query information on remote "
                        "peers without a running daemon; if you only want "
                        "to convert --peerid-base, pass --offline option");
    return;
  }
  op_t *op = op_new(req);
  if (!op)
    return;
  op->peer = peer;
  snprintf(op->base, sizeof op->base, "%s", base);
  peer_str(&peer, op->id, sizeof op->id);
  if ((rc = op_start(op, req, ctx, id_timeout, ID_MS + 1000))) {
    tr_free(op);
    rpc_error(req, 500, "id: %s", tr_strerror(rc));
    return;
  }
  if (net_host_connected(ctx->host, &peer))
    id_wait(op);
  else
    id_dial(op);
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
  if (!online(req, ctx))
    return;
  char a[64][NET_MA_STR_MAX / 16];
  size_t n = ctx->policy ? net_ap_filters(ctx->policy, a, 64) : 0;
  json_t *l = json_array();
  for (size_t i = 0; l && i < n && i < 64; i++)
    json_array_append_new(l, rpc_json_str(a[i]));
  rpc_api_json(req, l ? json_pack("{s:o}", "Strings", l) : NULL);
}

static void filters_change(http_req_t *req, rpc_ctx_t *ctx, bool add) {
  if (!online(req, ctx))
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

/*
 * rpc_id.c — /api/v0 commands that say who peers are, with Kubo's
 * answers:
 *
 *   id [arg=PEER]            {"ID","PublicKey","Addresses","AgentVersion",
 *                            "Protocols"}, Addresses and Protocols sorted:
 *                            ours, or what PEER said in identify (dialled
 *                            at its known addresses when not connected,
 *                            as Kubo's host.Connect)
 *   swarm/peers              {"Peers":[{"Addr","Peer","Direction"}]}
 *                            (null when none, as Kubo), each row with
 *                            id's answer for its peer under "Identify"
 *                            with --identify
 *
 * They are apart from rpc_swarm.c, the rest of the swarm's commands, for
 * size, and kept together because swarm peers --identify prints what id
 * prints (peer_json).  They run on the loop thread against ctx->host
 * (NULL when the daemon has no swarm); id PEER waits on the network as an
 * rpc__netop_t (swarm_int.h).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../dht/keystore.h"
#include "../net/host.h"
#include "../net/identify.h"
#include "../net/peerstore.h"
#include "swarm_int.h"

#define ID_MS 30000 /* id PEER: dials and identify together */
/* What the longest base (base2) makes of a libp2p-key CID. */
#define ID_STR_MAX (8 * (NET_PEERID_MAX + 4) + 8)

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
  rpc__peer_str(peer, b58, sizeof b58);
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

static void id_answer(rpc__netop_t *op, const char *err) {
  http_req_t *req = rpc__netop_take(op);
  if (req) {
    if (err)
      rpc_error(req, 500, "%s", err);
    else
      rpc_api_json(req, peer_json(op->ctx->host, &op->peer, op->base));
  }
  rpc__netop_done(op);
}

static void id_timeout(uv_timer_t *t) {
  id_answer(t->data, "identify failed to complete: context deadline exceeded");
}

/* As go-libp2p's host.Connect: it returns once identify is done, however it
 * went; what the peer said (maybe nothing) is printed. */
static void id_identified(int status, void *ud) {
  (void)status;
  rpc__netop_t *op = ud;
  op->net_busy = false;
  id_answer(op, NULL);
}

static void id_wait(rpc__netop_t *op) {
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
  rpc__netop_t *op = ud;
  op->net_busy = false;
  if (!op->req) {
    rpc__netop_done(op);
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
static void id_dial(rpc__netop_t *op) {
  int rc = rpc__netop_dial(op, NULL, 0, id_dialled);
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
  char **args, base[RPC_ID_BASE_MAX];
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
  rpc__netop_t *op = rpc__netop_new(req);
  if (!op)
    return;
  op->peer = peer;
  snprintf(op->base, sizeof op->base, "%s", base);
  rpc__peer_str(&peer, op->id, sizeof op->id);
  if ((rc = rpc__netop_start(op, req, ctx, id_timeout, ID_MS + 1000))) {
    tr_free(op);
    rpc_error(req, 500, "id: %s", tr_strerror(rc));
    return;
  }
  if (net_host_connected(ctx->host, &peer))
    id_wait(op);
  else
    id_dial(op);
}

/* ------------------------------------------------------- swarm peers */

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
  rpc__peer_str(c->peer, id, sizeof id);
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
  net_host_t *h = rpc__online(req, ctx);
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

/*
 * rpc_bitswap.c — Kubo's bitswap and bandwidth commands, answered from
 * the daemon's bitswap core (bitswap.h: bsw_stats, bsw_ledger,
 * bsw_wantlist, bsw_peers) and the host's counters (net_host_bw), in the
 * shapes Kubo v0.43.1 gives (checked against `ipfs` itself):
 *
 *   bitswap/stat, stats/bitswap   {"Wantlist":[{"/":cid}...],"Peers":[id...],
 *       "BlocksReceived","DataReceived","DupBlksReceived","DupDataReceived",
 *       "MessagesReceived","BlocksSent","DataSent"} (boxo's Stat; v0.43 has
 *       no ProvideBufLen).  Peers are the peers whose wantlist with us is
 *       not empty (boxo's engine.Peers()), sorted.  verbose and human only
 *       change the CLI's text.
 *   bitswap/wantlist [peer=ID]     {"Keys":[{"/":cid}...]}: ours (also for
 *       peer=our ID), [] when empty; a peer's: what it wants of us, null
 *       when nothing (Go's nil slice, as Kubo answers).
 *   bitswap/ledger arg=ID          {"Peer","Value","Sent","Recv","Exchanged"}:
 *       Value is boxo's debt ratio sent/(recv+1); a peer we have no
 *       ledger of answers zeros, as Kubo does.
 *   bitswap/reprovide, routing/reprovide   Kubo's answer with the sweep
 *       provider (trove's only one): an error.
 *   stats/bw [peer=ID | proto=P] [poll [interval=1s]]   NDJSON
 *       {"TotalIn","TotalOut","RateIn","RateOut"}, one value, or one each
 *       interval until the client goes away with poll.
 *
 * Numbers: Go writes a float64 with the shortest digits; a whole value is
 * written here as an integer (3000753, as Go writes it), a fraction by
 * jansson (%.17g: the same double, perhaps in more digits).
 *
 * Offline (no bitswap, no host): Kubo's errors, 400 "unable to run
 * offline: ..." for stat and bw, 500 for the others.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../bitswap/swarm.h"
#include "../net/host.h"
#include "rpc_int.h"

#define NOT_ONLINE "this command must be run in online mode"
#define BW_POLL_MIN_MS 10 /* the shortest poll interval honoured */

/* A float64 as Go would write it, as far as jansson allows. */
static json_t *go_num(double v) {
  if (v == floor(v) && fabs(v) < 9e15)
    return json_integer((json_int_t)v);
  return json_real(v);
}

static json_t *cid_link(const dag_cid_t *cid) {
  char buf[DAG_CID_STR_MAX];
  return json_pack("{s:s}", "/", dag_cid_str(cid, buf));
}

/* The collected CIDs as [{"/":cid}...], sorted by their text so that the
 * answer does not change with a hash table's order. */
typedef struct cids {
  json_t *arr;
  bool oom;
} cids_t;

static void on_cid(void *ud, const dag_cid_t *cid, int type) {
  (void)type;
  cids_t *c = ud;
  json_t *l = cid_link(cid);
  if (!l || json_array_append_new(c->arr, l))
    c->oom = true;
}

static int cmp_link(const void *a, const void *b) {
  json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
  return strcmp(json_string_value(json_object_get(x, "/")),
                json_string_value(json_object_get(y, "/")));
}

static json_t *sorted_links(json_t *arr) {
  size_t n = json_array_size(arr);
  json_t **v = n ? tr_malloc(n * sizeof *v) : NULL;
  if (n && !v) {
    json_decref(arr);
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    v[i] = json_incref(json_array_get(arr, i));
  if (n)
    qsort(v, n, sizeof *v, cmp_link);
  json_t *out = json_array();
  bool ok = out != NULL;
  for (size_t i = 0; i < n; i++) {
    if (ok && json_array_append(out, v[i]))
      ok = false;
    json_decref(v[i]);
  }
  if (!ok) {
    json_decref(out);
    out = NULL;
  }
  tr_free(v);
  json_decref(arr);
  return out;
}

/* Our wantlist (peer NULL) or peer's; NULL on out-of-memory. */
static json_t *wantlist(const bsw_t *b, const net_peerid_t *peer) {
  cids_t c = {json_array(), false};
  if (!c.arr)
    return NULL;
  (void)bsw_wantlist(b, peer, on_cid, &c); /* unknown peer: none */
  if (c.oom) {
    json_decref(c.arr);
    return NULL;
  }
  return sorted_links(c.arr);
}

/* --------------------------------------------------------------- stat */

typedef struct peers {
  const bsw_t *b;
  const char **v;
  size_t n, cap;
  char (*buf)[NET_PEERID_STR_MAX];
  bool oom;
} peers_t;

static void on_peer(void *ud, const net_peerid_t *peer, int version) {
  (void)version;
  peers_t *p = ud;
  bsw_ledger_t l;
  if (p->oom || bsw_ledger(p->b, peer, &l) || !l.wants)
    return;
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 16;
    char(*nb)[NET_PEERID_STR_MAX] = tr_realloc(p->buf, cap * sizeof *nb);
    if (!nb) {
      p->oom = true;
      return;
    }
    p->buf = nb;
    p->cap = cap;
  }
  if (net_peerid_format(peer, 0, p->buf[p->n], NET_PEERID_STR_MAX) > 0)
    p->n++;
}

static json_t *stat_json(const bsw_t *b) {
  bsw_stats_t st;
  bsw_stats(b, &st);
  peers_t p = {.b = b};
  bsw_peers(b, on_peer, &p);
  const char **v = p.n ? tr_malloc(p.n * sizeof *v) : NULL;
  json_t *peers = NULL;
  if (!p.oom && (v || !p.n)) {
    for (size_t i = 0; i < p.n; i++)
      v[i] = p.buf[i];
    peers = rpc_json_sorted(v, p.n);
  }
  tr_free(v);
  tr_free(p.buf);
  json_t *wl = wantlist(b, NULL);
  if (!peers || !wl) {
    json_decref(peers);
    json_decref(wl);
    return NULL;
  }
  return json_pack("{s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "Wantlist", wl,
                   "Peers", peers, "BlocksReceived",
                   (json_int_t)st.blocks_received, "DataReceived",
                   (json_int_t)st.data_received, "DupBlksReceived",
                   (json_int_t)st.dup_blocks, "DupDataReceived",
                   (json_int_t)st.dup_data, "MessagesReceived",
                   (json_int_t)st.messages_received, "BlocksSent",
                   (json_int_t)st.blocks_sent, "DataSent",
                   (json_int_t)st.data_sent);
}

void rpc_cmd_bitswap_stat(http_req_t *req, rpc_ctx_t *ctx) {
  bool verbose, human;
  if (rpc_opt_bool(req, "verbose", false, &verbose) ||
      rpc_opt_bool(req, "human", false, &human)) {
    rpc_error(req, 400, "could not convert value to type \"bool\"");
    return;
  }
  if (!ctx->bitswap) {
    rpc_error(req, 400, "unable to run offline: " NOT_ONLINE);
    return;
  }
  rpc_api_json(req, stat_json(bsw_swarm_core(ctx->bitswap)));
}

/* ----------------------------------------------------------- wantlist */

/* Kubo's peer.Decode failure: 500 "failed to parse peer ID: ...". */
static int peer_arg(http_req_t *req, const char *s, net_peerid_t *id) {
  if (!net_peerid_parse(id, s, strlen(s)))
    return 0;
  rpc_error(req, 500, "failed to parse peer ID: %s", tr_strerror(TR_EPEERID));
  return -1;
}

void rpc_cmd_bitswap_wantlist(http_req_t *req, rpc_ctx_t *ctx) {
  char *ps = NULL;
  if (rpc_opt_str(req, "peer", &ps)) {
    rpc_error(req, 400, "invalid peer option");
    return;
  }
  net_peerid_t id;
  if (!ctx->bitswap) {
    rpc_error(req, 500, NOT_ONLINE);
  } else if (!ps || !peer_arg(req, ps, &id)) {
    const bsw_t *b = bsw_swarm_core(ctx->bitswap);
    bool self = !ps || (ctx->host && net_peerid_equal(&id,
                                                      net_host_id(ctx->host)));
    json_t *keys = wantlist(b, self ? NULL : &id);
    if (keys && !self && !json_array_size(keys)) {
      json_decref(keys);
      keys = json_null();
    }
    rpc_api_json(req, keys ? json_pack("{s:o}", "Keys", keys) : NULL);
  }
  tr_free(ps);
}

/* ------------------------------------------------------------- ledger */

void rpc_cmd_bitswap_ledger(http_req_t *req, rpc_ctx_t *ctx) {
  if (!ctx->bitswap) {
    rpc_error(req, 500, NOT_ONLINE);
    return;
  }
  char *arg;
  if (rpc_one_arg(req, "peer", &arg))
    return;
  net_peerid_t id;
  if (!peer_arg(req, arg, &id)) {
    bsw_ledger_t l = {0};
    (void)bsw_ledger(bsw_swarm_core(ctx->bitswap), &id, &l); /* none: 0s */
    char s[NET_PEERID_STR_MAX];
    /* Kubo echoes the ID in its own form (the argument may be a CID). */
    if (net_peerid_format(&id, 0, s, sizeof s) < 0)
      snprintf(s, sizeof s, "%s", "");
    rpc_api_json(
        req, json_pack("{s:s,s:o,s:I,s:I,s:I}", "Peer", s, "Value",
                       go_num((double)l.sent / ((double)l.recv + 1)), "Sent",
                       (json_int_t)l.sent, "Recv", (json_int_t)l.recv,
                       "Exchanged", (json_int_t)l.exchanged));
  }
  tr_free(arg);
}

/* ---------------------------------------------------------- reprovide */

void rpc_cmd_bitswap_reprovide(http_req_t *req, rpc_ctx_t *ctx) {
  if (!ctx->dht_lan && !ctx->dht_wan) {
    rpc_error(req, 500, NOT_ONLINE);
    return;
  }
  /* trove's reprovider is a sweep, Kubo's default: Kubo's words. */
  rpc_error(req, 500, "manual reprovide is not available with the sweep "
            "provider; run 'ipfs provide stat' to monitor the sweep "
            "schedule");
}

/* ----------------------------------------------------------- stats/bw */

typedef struct bwq {
  http_req_t *req; /* NULL once the client went away */
  rpc_ctx_t *ctx;
  uv_timer_t timer;
  bool has_peer;
  net_peerid_t peer;
  char *proto;
} bwq_t;

static json_t *bw_json(const bwq_t *q) {
  net_bw_t bw;
  net_host_bw(q->ctx->host, q->has_peer ? &q->peer : NULL, q->proto, &bw);
  return json_pack("{s:I,s:I,s:o,s:o}", "TotalIn", (json_int_t)bw.total_in,
                   "TotalOut", (json_int_t)bw.total_out, "RateIn",
                   go_num(bw.rate_in), "RateOut", go_num(bw.rate_out));
}

static void bwq_free(uv_handle_t *t) {
  bwq_t *q = t->data;
  tr_free(q->proto);
  tr_free(q);
}

static void bwq_end(bwq_t *q) {
  if (q->req) {
    http_req_on_close(q->req, NULL, NULL);
    http_res_end(q->req);
    q->req = NULL;
  }
  uv_close((uv_handle_t *)&q->timer, bwq_free);
}

static void bwq_gone(http_req_t *req, void *ud) {
  bwq_t *q = ud;
  http_res_end(req); /* dropped: the client is gone, but it must end */
  q->req = NULL;
  uv_close((uv_handle_t *)&q->timer, bwq_free);
}

static void bwq_tick(uv_timer_t *t) {
  bwq_t *q = t->data;
  if (!q->ctx->host) { /* the node is stopping */
    bwq_end(q);
    return;
  }
  rpc_write_line(q->req, bw_json(q));
  http_res_flush(q->req);
}

void rpc_cmd_stats_bw(http_req_t *req, rpc_ctx_t *ctx) {
  bwq_t *q = tr_calloc(1, sizeof *q);
  char *ps = NULL, *iv = NULL;
  bool poll = false;
  uint64_t ns = 1000000000ull;
  if (!q) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  int rc = rpc_opt_str(req, "peer", &ps) | rpc_opt_str(req, "proto", &q->proto) |
           rpc_opt_str(req, "interval", &iv) |
           rpc_opt_bool(req, "poll", false, &poll);
  if (rc)
    rpc_error(req, 400, "invalid option");
  else if (!ctx->host)
    rpc_error(req, 400, "unable to run offline: " NOT_ONLINE);
  else if (ps && q->proto)
    rpc_error(req, 400, "please only specify peer OR protocol");
  else if (ps && peer_arg(req, ps, &q->peer))
    ;
  else if (iv && tr_parse_duration(iv, &ns))
    rpc_error(req, 500, "time: invalid duration \"%s\"", iv);
  else
    rc = 1;
  q->has_peer = ps != NULL;
  tr_free(ps);
  tr_free(iv);
  if (rc != 1) {
    tr_free(q->proto);
    tr_free(q);
    return;
  }
  q->req = req;
  q->ctx = ctx;
  rpc_start(req, RPC_CHUNKED, NULL, -1, -1);
  rpc_write_line(req, bw_json(q));
  if (!poll || uv_timer_init(ctx->loop, &q->timer)) {
    http_res_end(req);
    tr_free(q->proto);
    tr_free(q);
    return;
  }
  q->timer.data = q;
  http_res_flush(req);
  http_req_on_close(req, bwq_gone, q);
  uint64_t ms = ns / 1000000u;
  ms = ms < BW_POLL_MIN_MS ? BW_POLL_MIN_MS : ms;
  uv_timer_start(&q->timer, bwq_tick, ms, ms);
}

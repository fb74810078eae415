/*
 * obs.c — the daemon's metrics collectors, HTTP latencies, transfer-rate
 * ring and status object (obs.h).  It only reads: each collector takes a
 * service's statistics struct through rpc_ctx_t at scrape time; the one
 * piece of LMDB work (bs_stat and the pin count) runs in the worker pool,
 * its answer cached.  Not done here: serving (rpc/rpc_obs.c), the page
 * (rpc/status.html).
 */
#include "obs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../bitswap/bitswap.h"
#include "../bitswap/swarm.h"
#include "../dht/dht.h"
#include "../dht/reprov.h"
#include "../dht/swarm.h"
#include "../net/host.h"

/* Latency buckets (seconds): from a cached block to a slow fetch. */
static const double LAT_BOUNDS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                    0.025,  0.05,  0.1,    0.25,  0.5,
                                    1,      2.5,   5,      10,    30,  60};

typedef struct obs_listener {
  tr_metric_t *lat;
  tr_metric_t *codes[5]; /* 1xx .. 5xx */
} obs_listener_t;

/* What the pool job finds (bs_stat and the pins by type). */
typedef struct obs_stat {
  bs_stat_t st;
  uint64_t recursive, direct;
  uint64_t at_ms; /* loop time it was taken; 0: never */
  int rc;
  json_t *pins; /* the first OBS_PINS_LIST pins, for the page */
} obs_stat_t;

typedef struct obs_sample {
  uint64_t unix_ms;
  double in, out; /* bytes a second over the period before */
} obs_sample_t;

typedef struct obs_section {
  char key[32];
  node_obs_section_fn fn;
  void *ud;
} obs_section_t;

struct node_obs {
  uv_loop_t *loop;
  rpc_ctx_t *rpc;
  tr_metrics_t *m;
  obs_listener_t ls[2];
  size_t nls;
  /* The store's cache and its job. */
  obs_stat_t cache, job;
  uv_work_t work;
  bool busy;
  /* Transfer rate: ring of samples, the totals at the last one. */
  uv_timer_t timer;
  obs_sample_t ring[OBS_RING];
  size_t head, n;
  uint64_t last_in, last_out, last_ms;
  uint64_t start_unix_ms;
  obs_section_t sec[OBS_SECTIONS_MAX];
  size_t nsec;
};

static uint64_t unix_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ the store */

static int count_pin(const bs_pin_t *p, void *ud) {
  obs_stat_t *s = ud;
  if (p->type == BS_PIN_RECURSIVE)
    s->recursive++;
  else
    s->direct++;
  if (s->pins && json_array_size(s->pins) < OBS_PINS_LIST) {
    char c[DAG_CID_STR_MAX];
    json_array_append_new(
        s->pins, json_pack("{s:s,s:s,s:s,s:I}", "cid", dag_cid_str(&p->cid, c),
                           "type", p->type == BS_PIN_RECURSIVE ? "recursive"
                                                               : "direct",
                           "name", p->name, "created", (json_int_t)p->created));
  }
  return 0;
}

/* In the pool: LMDB reads only. */
static void stat_run(uv_work_t *w) {
  node_obs_t *o = w->data;
  obs_stat_t *s = &o->job;
  s->recursive = s->direct = 0;
  s->rc = bs_stat(o->rpc->env, &s->st);
  bs_txn_t *txn;
  if (!s->rc && !(s->rc = bs_txn_begin(o->rpc->env, BS_RDONLY, &txn))) {
    s->rc = bs_pin_ls(txn, BS_PIN_DIRECT | BS_PIN_RECURSIVE, count_pin, s);
    bs_txn_abort(txn);
  }
}

static void stat_done(uv_work_t *w, int status) {
  node_obs_t *o = w->data;
  o->busy = false;
  if (status || o->job.rc) {
    json_decref(o->job.pins);
    o->job.pins = NULL;
    return;
  }
  json_decref(o->cache.pins);
  o->cache = o->job;
  o->cache.at_ms = uv_now(o->loop) ? uv_now(o->loop) : 1;
  o->job.pins = NULL;
}

/* Start a refresh when the cache is older than OBS_STAT_TTL_MS. */
static void stat_refresh(node_obs_t *o) {
  if (o->busy || !o->rpc->env ||
      (o->cache.at_ms && uv_now(o->loop) - o->cache.at_ms < OBS_STAT_TTL_MS))
    return;
  o->job.pins = json_array();
  o->work.data = o;
  if (uv_queue_work(o->loop, &o->work, stat_run, stat_done) == 0)
    o->busy = true;
  else {
    json_decref(o->job.pins);
    o->job.pins = NULL;
  }
}

static uint64_t blocks_now(node_obs_t *o) {
  bs_txn_t *txn;
  uint64_t n = o->cache.st.blocks;
  /* LMDB keeps the count: one page read, as pin add's progress does. */
  if (o->rpc->env && bs_txn_begin(o->rpc->env, BS_RDONLY, &txn) == 0) {
    if (bs_count(txn, &n))
      n = o->cache.st.blocks;
    bs_txn_abort(txn);
  }
  return n;
}

static void collect_store(tr_mw_t *w, void *ud) {
  node_obs_t *o = ud;
  stat_refresh(o);
  tr_mw_one(w, "trove_blocks", TR_METRIC_GAUGE, "Blocks in the store.",
            (double)blocks_now(o));
  if (!o->cache.at_ms)
    return; /* the first stat is still running */
  tr_mw_one(w, "trove_block_bytes", TR_METRIC_GAUGE,
            "Bytes of block data in the store (cached, see "
            "trove_store_stat_age_seconds).",
            (double)o->cache.st.block_bytes);
  tr_mw_one(w, "trove_repo_bytes", TR_METRIC_GAUGE,
            "Bytes of the repo's data file that LMDB has written.",
            (double)o->cache.st.repo_bytes);
  tr_mw_one(w, "trove_store_stat_age_seconds", TR_METRIC_GAUGE,
            "Age of the cached store figures.",
            (double)(uv_now(o->loop) - o->cache.at_ms) / 1000);
  tr_mw_family(w, "trove_pins", TR_METRIC_GAUGE,
               "Pins of the local pinset by type (cached).");
  tr_mw_sample_u64(w, "trove_pins",
                   (const char *const[]){"type", "recursive", NULL},
                   o->cache.recursive);
  tr_mw_sample_u64(w, "trove_pins",
                   (const char *const[]){"type", "direct", NULL},
                   o->cache.direct);
  tr_mw_one(w, "trove_gc_runs_total", TR_METRIC_COUNTER,
            "Garbage collections finished.", (double)o->rpc->gc_runs);
  tr_mw_one(w, "trove_gc_removed_blocks_total", TR_METRIC_COUNTER,
            "Blocks garbage collection removed.", (double)o->rpc->gc_removed);
}

/* -------------------------------------------------------------- libp2p */

typedef struct transports {
  char name[8][48];
  uint64_t n[8];
  size_t len;
  json_t *peers; /* NULL: count only */
} transports_t;

/* "/ip4/1.2.3.4/tcp/4001/p2p/..." -> "/ip4/tcp" (Kubo's label: the
 * protocol names of the remote multiaddr). */
static void transport_of(const char *addr, char *out, size_t cap) {
  size_t n = 0;
  out[0] = 0;
  for (int i = 0; *addr && n + 1 < cap; i++) {
    const char *e = strchr(addr + 1, '/');
    size_t l = e ? (size_t)(e - addr) : strlen(addr);
    if (!(i & 1) && strncmp(addr, "/p2p", l) && n + l < cap) {
      memcpy(out + n, addr, l);
      n += l;
      out[n] = 0;
    }
    addr += l;
  }
}

static void on_conn(const net_peerid_t *peer, const char *addr, bool outbound,
                    void *ud) {
  transports_t *t = ud;
  char tr[48];
  transport_of(addr, tr, sizeof tr);
  size_t i = 0;
  while (i < t->len && strcmp(t->name[i], tr))
    i++;
  if (i == t->len && t->len < TR_ARRAY_LEN(t->name))
    snprintf(t->name[t->len++], sizeof t->name[0], "%s", tr);
  if (i < t->len)
    t->n[i]++;
  if (t->peers && json_array_size(t->peers) < OBS_PEERS_LIST) {
    char id[NET_PEERID_STR_MAX];
    if (net_peerid_format(peer, 0, id, sizeof id) < 0)
      id[0] = 0;
    json_array_append_new(t->peers, json_pack("{s:s,s:s,s:b}", "id", id,
                                              "addr", addr, "outbound",
                                              outbound));
  }
}

static void collect_net(tr_mw_t *w, void *ud) {
  node_obs_t *o = ud;
  net_host_t *h = o->rpc->host;
  if (!h)
    return;
  transports_t t = {0};
  size_t conns = net_host_conns(h, on_conn, &t);
  tr_mw_family(w, "ipfs_p2p_peers_total", TR_METRIC_GAUGE,
               "Number of connected peers");
  for (size_t i = 0; i < t.len; i++)
    tr_mw_sample_u64(w, "ipfs_p2p_peers_total",
                     (const char *const[]){"transport", t.name[i], NULL},
                     t.n[i]);
  tr_mw_one(w, "trove_libp2p_connections", TR_METRIC_GAUGE,
            "Open libp2p connections.", (double)conns);
  net_host_stats_t hs;
  net_host_stats(h, &hs);
  tr_mw_one(w, "trove_libp2p_handshakes_failed_total", TR_METRIC_COUNTER,
            "Connections closed before their upgrade finished.",
            (double)hs.handshakes_failed);
  tr_mw_one(w, "trove_libp2p_recv_metered_bytes_total", TR_METRIC_COUNTER,
            "Bytes read from sockets under Swarm.MaxRecvRate (0 without).",
            (double)hs.recv_metered);
  tr_mw_one(w, "trove_libp2p_recv_throttled_total", TR_METRIC_COUNTER,
            "Times every socket stopped reading for Swarm.MaxRecvRate.",
            (double)hs.recv_throttled);
  net_bw_t bw;
  net_host_bw(h, NULL, NULL, &bw);
  const char *const in[] = {"direction", "in", NULL};
  const char *const out[] = {"direction", "out", NULL};
  tr_mw_family(w, "trove_libp2p_stream_bytes_total", TR_METRIC_COUNTER,
               "Bytes of libp2p streams (Kubo's stats bw).");
  tr_mw_sample_u64(w, "trove_libp2p_stream_bytes_total", in, bw.total_in);
  tr_mw_sample_u64(w, "trove_libp2p_stream_bytes_total", out, bw.total_out);
  tr_mw_family(w, "trove_libp2p_stream_rate_bytes", TR_METRIC_GAUGE,
               "Bytes a second of libp2p streams over the last second.");
  tr_mw_sample(w, "trove_libp2p_stream_rate_bytes", in, bw.rate_in);
  tr_mw_sample(w, "trove_libp2p_stream_rate_bytes", out, bw.rate_out);
}

/* ------------------------------------------------------ bitswap, DHT */

static void counter(tr_mw_t *w, const char *name, const char *help,
                    uint64_t v) {
  tr_mw_family(w, name, TR_METRIC_COUNTER, help);
  tr_mw_sample_u64(w, name, NULL, v);
}

static void gauge(tr_mw_t *w, const char *name, const char *help,
                  uint64_t v) {
  tr_mw_family(w, name, TR_METRIC_GAUGE, help);
  tr_mw_sample_u64(w, name, NULL, v);
}

static void collect_bitswap(tr_mw_t *w, void *ud) {
  node_obs_t *o = ud;
  if (!o->rpc->bitswap)
    return;
  bsw_stats_t s;
  bsw_stats(bsw_swarm_core(o->rpc->bitswap), &s);
  bsw_swarm_stats_t ss;
  bsw_swarm_stats(o->rpc->bitswap, &ss);
  counter(w, "trove_bitswap_blocks_received_total",
          "Wanted blocks received over bitswap.", s.blocks_received);
  counter(w, "trove_bitswap_received_bytes_total",
          "Bytes of wanted blocks received.", s.data_received);
  counter(w, "trove_bitswap_dup_blocks_received_total",
          "Blocks received more than once.", s.dup_blocks);
  counter(w, "trove_bitswap_blocks_sent_total", "Blocks sent to peers.",
          s.blocks_sent);
  counter(w, "trove_bitswap_sent_bytes_total", "Bytes of blocks sent.",
          s.data_sent);
  counter(w, "trove_bitswap_messages_received_total",
          "Bitswap messages received.", s.messages_received);
  counter(w, "trove_bitswap_bad_blocks_total",
          "Blocks unwanted or not matching their CID.", s.bad_blocks);
  counter(w, "trove_bitswap_streams_total", "Bitswap streams opened.",
          ss.streams_in + ss.streams_out);
  counter(w, "trove_bitswap_provider_searches_total",
          "Provider searches (a session that found nobody with a block).",
          ss.prov_searches);
  gauge(w, "trove_bitswap_peers", "Bitswap peers.", s.peers);
  gauge(w, "trove_bitswap_wants", "Entries of our wantlist.", s.wants);
  gauge(w, "trove_bitswap_sessions", "Bitswap sessions.", s.sessions);
}

static void collect_dht(tr_mw_t *w, void *ud) {
  node_obs_t *o = ud;
  struct {
    const char *name;
    uint64_t v[2];
    bool counter;
    const char *help;
  } rows[] = {
      {"trove_dht_routing_table_peers", {0}, false, "Peers in the table."},
      {"trove_dht_requests_in_total", {0}, true, "Requests answered."},
      {"trove_dht_requests_out_total", {0}, true, "Requests sent."},
      {"trove_dht_failures_total", {0}, true, "Requests that failed."},
      {"trove_dht_timeouts_total", {0}, true, "Requests that timed out."},
      {"trove_dht_queries", {0}, false, "Lookups running."},
      {"trove_dht_streams_total", {0}, true, "DHT streams opened."},
      {"trove_dht_provided_keys_total", {0}, true,
       "Keys the sweep reprovider provided."},
  };
  bool any[2] = {false, false};
  struct dht_swarm *sw[2] = {o->rpc->dht_lan, o->rpc->dht_wan};
  for (int i = 0; i < 2; i++) {
    if (!sw[i])
      continue;
    any[i] = true;
    dht_t *d = dht_swarm_dht(sw[i]);
    dht_stats_t st;
    dht_stats(d, &st);
    dht_swarm_stats_t ss;
    dht_swarm_stats(sw[i], &ss);
    rows[0].v[i] = dht_rt_size(d);
    rows[1].v[i] = st.requests_in;
    rows[2].v[i] = st.requests_out;
    rows[3].v[i] = st.failures;
    rows[4].v[i] = st.timeouts;
    rows[5].v[i] = st.queries;
    rows[6].v[i] = ss.streams_in + ss.streams_out;
    if (o->rpc->reprov[i]) {
      dht_sweep_stats_t sp;
      dht_reprov_stats(o->rpc->reprov[i], &sp);
      rows[7].v[i] = sp.keys;
    }
  }
  if (!any[0] && !any[1])
    return;
  static const char *const side[2] = {"lan", "wan"};
  for (size_t r = 0; r < TR_ARRAY_LEN(rows); r++) {
    tr_mw_family(w, rows[r].name,
                 rows[r].counter ? TR_METRIC_COUNTER : TR_METRIC_GAUGE,
                 rows[r].help);
    for (int i = 0; i < 2; i++)
      if (any[i])
        tr_mw_sample_u64(w, rows[r].name,
                         (const char *const[]){"dht", side[i], NULL},
                         rows[r].v[i]);
  }
}

/* ---------------------------------------------------------------- HTTP */

static void on_http_done(const http_req_t *req, int status, uint64_t ns,
                         void *ud) {
  (void)req;
  obs_listener_t *l = ud;
  tr_metric_observe(l->lat, (double)ns / 1e9);
  if (status >= 100 && status < 600)
    tr_metric_add(l->codes[status / 100 - 1], 1);
}

int node_obs_listener(node_obs_t *o, http_server_t *srv,
                      const char *handler) {
  http_done_fn fn;
  void *ud;
  int rc = node_obs_listener_fn(o, handler, &fn, &ud);
  if (!rc)
    http_server_on_done(srv, fn, ud);
  return rc;
}

int node_obs_listener_fn(node_obs_t *o, const char *handler, http_done_fn *fn,
                         void **ud) {
  if (o->nls == TR_ARRAY_LEN(o->ls))
    return TR_ELIMIT;
  obs_listener_t *l = &o->ls[o->nls];
  int rc = tr_metrics_histogram(
      o->m, "trove_http_request_duration_seconds",
      "Time from a request's header to the end of its answer, by listener.",
      (const char *const[]){"handler", handler, NULL}, LAT_BOUNDS,
      TR_ARRAY_LEN(LAT_BOUNDS), &l->lat);
  static const char *const cls[5] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  for (int i = 0; i < 5 && !rc; i++)
    rc = tr_metrics_counter(o->m, "trove_http_responses_total",
                            "Answers by listener and status class.",
                            (const char *const[]){"handler", handler, "code",
                                                  cls[i], NULL},
                            &l->codes[i]);
  if (rc)
    return rc;
  o->nls++;
  *fn = on_http_done;
  *ud = l;
  return 0;
}

/* ------------------------------------------------------ transfer rate */

static void bw_totals(node_obs_t *o, uint64_t *in, uint64_t *out) {
  net_bw_t bw = {0};
  if (o->rpc->host)
    net_host_bw(o->rpc->host, NULL, NULL, &bw);
  *in = bw.total_in;
  *out = bw.total_out;
}

static void on_sample(uv_timer_t *t) {
  node_obs_t *o = t->data;
  uint64_t in, out, now = uv_now(o->loop);
  bw_totals(o, &in, &out);
  double secs = (double)(now - o->last_ms) / 1000;
  if (secs <= 0)
    return;
  obs_sample_t *s = &o->ring[(o->head + o->n) % OBS_RING];
  if (o->n == OBS_RING)
    o->head = (o->head + 1) % OBS_RING;
  else
    o->n++;
  s->unix_ms = unix_ms();
  s->in = in >= o->last_in ? (double)(in - o->last_in) / secs : 0;
  s->out = out >= o->last_out ? (double)(out - o->last_out) / secs : 0;
  o->last_in = in;
  o->last_out = out;
  o->last_ms = now;
}

/* -------------------------------------------------------------- status */

int node_obs_section(node_obs_t *o, const char *key, node_obs_section_fn fn,
                     void *ud) {
  if (o->nsec == OBS_SECTIONS_MAX)
    return TR_ELIMIT;
  if (!key || strlen(key) >= sizeof o->sec[0].key)
    return TR_EUSAGE;
  obs_section_t *s = &o->sec[o->nsec++];
  snprintf(s->key, sizeof s->key, "%s", key);
  s->fn = fn;
  s->ud = ud;
  return 0;
}

static json_t *transfer_json(node_obs_t *o) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < o->n; i++) {
    const obs_sample_t *s = &o->ring[(o->head + i) % OBS_RING];
    json_array_append_new(a, json_pack("[I,f,f]", (json_int_t)s->unix_ms,
                                       s->in, s->out));
  }
  net_bw_t bw = {0};
  if (o->rpc->host)
    net_host_bw(o->rpc->host, NULL, NULL, &bw);
  return json_pack("{s:i,s:o*,s:I,s:I,s:f,s:f}", "interval_ms", OBS_SAMPLE_MS,
                   "samples", a, "total_in", (json_int_t)bw.total_in,
                   "total_out", (json_int_t)bw.total_out, "rate_in",
                   bw.rate_in, "rate_out", bw.rate_out);
}

static json_t *http_json(node_obs_t *o) {
  json_t *h = json_object();
  static const char *const names[2] = {"api", "gateway"};
  for (size_t i = 0; h && i < o->nls; i++) {
    uint64_t codes[5];
    for (int k = 0; k < 5; k++)
      codes[k] = tr_metric_value(o->ls[i].codes[k]);
    json_object_set_new(
        h, names[i],
        json_pack("{s:I,s:I,s:I,s:I}", "requests",
                  (json_int_t)tr_metric_value(o->ls[i].lat), "ok",
                  (json_int_t)codes[1], "client_errors", (json_int_t)codes[3],
                  "server_errors", (json_int_t)codes[4]));
  }
  return h;
}

json_t *node_obs_status(void *ud) {
  node_obs_t *o = ud;
  stat_refresh(o);
  transports_t t = {0};
  t.peers = json_array();
  size_t conns = o->rpc->host ? net_host_conns(o->rpc->host, on_conn, &t) : 0;
  bsw_stats_t bs = {0};
  if (o->rpc->bitswap)
    bsw_stats(bsw_swarm_core(o->rpc->bitswap), &bs);
  json_t *pins = o->cache.pins ? json_deep_copy(o->cache.pins) : json_array();
  json_t *st = json_pack(
      "{s:s,s:s,s:I,s:I,"
      "s:{s:I,s:I,s:I,s:o*},"
      "s:{s:I,s:I,s:o*,s:n},"
      "s:I,s:o*,"
      "s:{s:I,s:I,s:I,s:I,s:I},"
      "s:{s:I,s:I},"
      "s:o*,s:o*,s:n,s:[],s:n}",
      "version", o->rpc->version, "peer_id", o->rpc->peerid, "time",
      (json_int_t)unix_ms(), "uptime_s",
      (json_int_t)((unix_ms() - o->start_unix_ms) / 1000),
      "store", "blocks", (json_int_t)blocks_now(o), "block_bytes",
      (json_int_t)o->cache.st.block_bytes, "repo_bytes",
      (json_int_t)o->cache.st.repo_bytes, "stat_age_s",
      o->cache.at_ms ? json_real((double)(uv_now(o->loop) - o->cache.at_ms) /
                                 1000)
                     : NULL,
      "pins", "recursive", (json_int_t)o->cache.recursive, "direct",
      (json_int_t)o->cache.direct, "list", pins, "by_status",
      "peer_count", (json_int_t)conns, "peers", t.peers,
      "bitswap", "blocks_received", (json_int_t)bs.blocks_received,
      "blocks_sent", (json_int_t)bs.blocks_sent, "bytes_received",
      (json_int_t)bs.data_received, "bytes_sent", (json_int_t)bs.data_sent,
      "wants", (json_int_t)bs.wants,
      "gc", "runs", (json_int_t)o->rpc->gc_runs, "removed",
      (json_int_t)o->rpc->gc_removed,
      "transfer", transfer_json(o), "http", http_json(o), "scrub", "repairs",
      "mirrors");
  for (size_t i = 0; st && i < o->nsec; i++) {
    json_t *v = o->sec[i].fn(o->sec[i].ud);
    if (v)
      json_object_set_new(st, o->sec[i].key, v);
  }
  return st;
}

/* ------------------------------------------------------------ lifetime */

int node_obs_start(node_obs_t **out, uv_loop_t *loop, rpc_ctx_t *rpc) {
  node_obs_t *o = tr_calloc(1, sizeof *o);
  if (!o || !(o->m = tr_metrics_new())) {
    tr_free(o);
    return -ENOMEM;
  }
  o->loop = loop;
  o->rpc = rpc;
  o->start_unix_ms = unix_ms();
  int rc = 0;
  tr_metrics_collect_fn fns[] = {collect_store, collect_net, collect_bitswap,
                                 collect_dht, node__obs_proc};
  for (size_t i = 0; i < TR_ARRAY_LEN(fns) && !rc; i++)
    rc = tr_metrics_collector_add(o->m, fns[i], o);
  if (!rc)
    rc = uv_timer_init(loop, &o->timer);
  if (rc) {
    tr_metrics_free(o->m);
    tr_free(o);
    return rc;
  }
  o->timer.data = o;
  o->last_ms = uv_now(loop);
  bw_totals(o, &o->last_in, &o->last_out);
  uv_timer_start(&o->timer, on_sample, OBS_SAMPLE_MS, OBS_SAMPLE_MS);
  uv_unref((uv_handle_t *)&o->timer); /* never what keeps the loop up */
  rpc->metrics = o->m;
  rpc->status_json = node_obs_status;
  rpc->status_ud = o;
  stat_refresh(o);
  *out = o;
  return 0;
}

tr_metrics_t *node_obs_metrics(node_obs_t *o) { return o->m; }

void node_obs_stop(node_obs_t *o) {
  if (o && !uv_is_closing((uv_handle_t *)&o->timer))
    uv_close((uv_handle_t *)&o->timer, NULL);
}

void node_obs_free(node_obs_t *o) {
  if (!o)
    return;
  json_decref(o->cache.pins);
  json_decref(o->job.pins);
  tr_metrics_free(o->m);
  tr_free(o);
}

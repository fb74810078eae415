/*
 * test_dht_swarm.c — the DHT on real hosts (dht/swarm.h) on one loop over
 * 127.0.0.1: a client and SERVERS LAN servers (loopback allowed).  The
 * client connects to each; identify puts them in its table.
 *
 * A burst: LOOKUPS FIND_NODE lookups started at once, each asking every
 * server, so that far more requests are due than DHT_SWARM_OPS_MAX, and
 * more to each server than a connection has streams (yamux's
 * streams_max, 256).  Each must end with status 0 and every server among
 * the closest.  The bugs it caught: past DHT_SWARM_OPS_MAX the swarm
 * refused the send, the core marked the candidate failed, and 230 of the
 * 400 lookups ended with TR_ENOTFOUND (the daemon said "failed to find
 * any peer in table"); with that fixed, opening a stream on a connection
 * whose streams were all in use failed the request too (128 of 400), and
 * counted against a live peer.
 *
 * Reuse: sequential provides (a lookup, then ADD_PROVIDERs to the same
 * servers) go on the streams the first one opened, as go-libp2p-kad-dht
 * keeps one stream to each peer; the records land.  The reference: one
 * stream per request (the swarm before), where 20 provides to 3 servers
 * opened 120 streams.
 *
 * A burst of ADD_PROVIDERs (the sweep's page) to a peer we are not
 * connected to: one dial and one stream carry them all (without parking,
 * each dialed and opened its own).
 *
 * A peer that resets a stream when a second request comes on it (one
 * whose idle timeout fired as we wrote): each request is sent again on a
 * new stream and the lookups succeed.
 *
 * A table emptied while the connections live (every peer evicted): the
 * connected servers are back in it at the next tick (go's fixLowPeers);
 * before, only a new connection's identify added a peer, and the table
 * stayed empty.
 */
#include "testutil.h"

#include <sodium.h>
#include <uv.h>

#include "../dht/msg.h"
#include "../dht/swarm.h"
#include "../net/host.h"

#define SERVERS 3
#define LOOKUPS 400 /* x SERVERS requests: well past DHT_SWARM_OPS_MAX */

typedef struct t {
  uv_loop_t loop;
  net_host_t *h[SERVERS + 1]; /* [0] the client */
  dht_swarm_t *sw[SERVERS + 1];
  int connected, closed;
  int done, ok, bad_status, short_closest;
} t_t;

static void on_conn(net_host_t *h, int status, const net_peerid_t *p,
                    void *ud) {
  (void)h, (void)p;
  assert_int_equal(status, 0);
  ((t_t *)ud)->connected++;
}

static void on_closed(void *ud) { ((t_t *)ud)->closed++; }

static void on_done(void *ud, int status, const dht_peer_t *closest, size_t n,
                    const uint8_t *val, size_t vl, const dht_qstats_t *st) {
  (void)closest, (void)val, (void)vl, (void)st;
  t_t *t = ud;
  t->done++;
  if (status)
    t->bad_status++;
  else if (n < SERVERS)
    t->short_closest++;
  else
    t->ok++;
}

#define RUN_UNTIL(t, cond)                                                     \
  for (int _i = 0; _i < 2000 && !(cond); _i++)                                 \
    uv_run(&(t)->loop, UV_RUN_NOWAIT), usleep(2000)

static void connect_to(t_t *t, net_host_t *h) {
  char addrs[4][NET_MA_STR_MAX / 16], id[NET_PEERID_STR_MAX], ma[1024];
  assert_true(net_host_addrs(h, addrs, 4) >= 1);
  assert_true(net_peerid_format(net_host_id(h), 0, id, sizeof id) > 0);
  snprintf(ma, sizeof ma, "%s/p2p/%s", addrs[0], id);
  assert_int_equal(net_host_connect(t->h[0], ma, on_conn, t), 0);
}

/* The client and SERVERS servers, connected, each in the client's table. */
static void setup_net(t_t *t) {
  memset(t, 0, sizeof *t);
  assert_int_equal(uv_loop_init(&t->loop), 0);
  for (int i = 0; i <= SERVERS; i++) {
    net_privkey_t k;
    assert_int_equal(net_privkey_generate(&k), 0);
    net_host_opts_t o = {.key = &k, .agent = "trove/test-dht-swarm"};
    assert_int_equal(net_host_new(&t->loop, &o, &t->h[i]), 0);
    assert_int_equal(net_host_listen(t->h[i], "/ip4/127.0.0.1/tcp/0"), 0);
    dht_swarm_opts_t so = {.lan = true, .loopback = true, .server = i > 0};
    assert_int_equal(dht_swarm_new(&t->loop, t->h[i], &so, &t->sw[i]), 0);
  }
  for (int i = 1; i <= SERVERS; i++)
    connect_to(t, t->h[i]);
  dht_t *d = dht_swarm_dht(t->sw[0]);
  RUN_UNTIL(t, t->connected == SERVERS && dht_rt_size(d) == SERVERS);
  assert_int_equal(dht_rt_size(d), SERVERS);
  /* The bootstrap lookups (the table was empty) end first: they ask the
   * servers at once, on streams of their own. */
  dht_stats_t ds = {.queries = 1};
  RUN_UNTIL(t, (dht_stats(d, &ds), ds.queries == 0));
  assert_int_equal(ds.queries, 0);
}

static void teardown_net(t_t *t, net_host_t *extra) {
  for (int i = 0; i <= SERVERS; i++)
    dht_swarm_close(t->sw[i]);
  for (int i = 0; i <= SERVERS; i++)
    net_host_close(t->h[i], on_closed, t);
  if (extra)
    net_host_close(extra, on_closed, t);
  uv_run(&t->loop, UV_RUN_DEFAULT);
  assert_int_equal(t->closed, SERVERS + 1 + (extra != NULL));
  assert_int_equal(uv_loop_close(&t->loop), 0);
}

static void random_key(uint8_t key[34]) {
  key[0] = 0x12, key[1] = 0x20;
  randombytes_buf(key + 2, 32);
}

static void test_burst(void **state) {
  (void)state;
  static t_t t; /* static: the callbacks' ud outlives nothing here */
  setup_net(&t);
  dht_t *d = dht_swarm_dht(t.sw[0]);

  static const dht_query_cbs_t cbs = {.on_done = on_done};
  for (int i = 0; i < LOOKUPS; i++) {
    uint8_t key[34];
    random_key(key);
    assert_int_equal(dht_find_node(d, key, sizeof key, &cbs, &t,
                                   dht_swarm_now(t.sw[0]), NULL),
                     0);
  }
  RUN_UNTIL(&t, t.done == LOOKUPS);
  assert_int_equal(t.done, LOOKUPS);
  assert_int_equal(t.bad_status, 0);
  assert_int_equal(t.short_closest, 0);
  assert_int_equal(t.ok, LOOKUPS);
  teardown_net(&t, NULL);
}

/* ------------------------------------------------------------- reuse */

#define PROVIDES 20

typedef struct found {
  const net_peerid_t *want;
  int done, hit;
} found_t;

static void on_provider(void *ud, const dht_peer_t *p) {
  found_t *f = ud;
  f->hit += net_peerid_equal(&p->id, f->want);
}

static void on_found_done(void *ud, int status, const dht_peer_t *closest,
                          size_t n, const uint8_t *val, size_t vl,
                          const dht_qstats_t *st) {
  (void)status, (void)closest, (void)n, (void)val, (void)vl, (void)st;
  ((found_t *)ud)->done++;
}

static void test_reuse(void **state) {
  (void)state;
  static t_t t;
  setup_net(&t);
  dht_t *d = dht_swarm_dht(t.sw[0]);
  dht_swarm_stats_t st0;
  dht_swarm_stats(t.sw[0], &st0);
  static const dht_query_cbs_t cbs = {.on_done = on_done};
  uint8_t keys[PROVIDES][34];
  for (int i = 0; i < PROVIDES; i++) {
    random_key(keys[i]);
    assert_int_equal(dht_provide(d, keys[i], 34, &cbs, &t,
                                 dht_swarm_now(t.sw[0]), NULL),
                     0);
    /* The ADD_PROVIDERs go out on the next loop turns: until they are
     * all written, the next provide's requests would find the streams
     * busy and open others (as concurrent requests to a peer do). */
    dht_swarm_stats_t now = {.ops = 1};
    RUN_UNTIL(&t, t.done == i + 1 &&
                      (dht_swarm_stats(t.sw[0], &now), now.ops == 0));
    assert_int_equal(now.ops, 0);
  }
  assert_int_equal(t.ok, PROVIDES);
  dht_swarm_stats_t st;
  dht_swarm_stats(t.sw[0], &st);
  /* Each provide: a FIND_NODE and an ADD_PROVIDER to each server, all of
   * them but a stream's first on one opened before (120 streams without
   * reuse). */
  uint64_t opened = st.streams_out - st0.streams_out;
  uint64_t reused = st.streams_reused - st0.streams_reused;
  assert_true(opened + reused >= 2 * PROVIDES * SERVERS);
  assert_true(opened <= SERVERS);
  assert_int_equal(st.retries, 0);
  assert_true(st.idle >= 1 && st.idle <= DHT_SWARM_IDLE_PEER_MAX * SERVERS);
  /* The ADD_PROVIDERs sent on reused streams arrived: each server lists
   * the client as a provider of every key. */
  for (int i = 1; i <= SERVERS; i++)
    for (int k = 0; k < PROVIDES; k++) {
      found_t f = {.want = net_host_id(t.h[0])};
      static const dht_query_cbs_t fcbs = {.on_provider = on_provider,
                                           .on_done = on_found_done};
      assert_int_equal(dht_get_providers(dht_swarm_dht(t.sw[i]), keys[k], 34,
                                         1, &fcbs, &f,
                                         dht_swarm_now(t.sw[i]), NULL),
                       0);
      RUN_UNTIL(&t, f.done);
      assert_int_equal(f.hit, 1);
    }
  teardown_net(&t, NULL);
}

/* ------------------------------------------------------------ a burst */

#define BURST 100

/* One more DHT server on t's loop, listening on 127.0.0.1, outside the
 * client's table (the caller closes it: dht_swarm_close, teardown_net). */
static void new_server(t_t *t, net_host_t **h, dht_swarm_t **sw) {
  net_privkey_t k;
  assert_int_equal(net_privkey_generate(&k), 0);
  net_host_opts_t o = {.key = &k, .agent = "trove/test-dht-server"};
  assert_int_equal(net_host_new(&t->loop, &o, h), 0);
  assert_int_equal(net_host_listen(*h, "/ip4/127.0.0.1/tcp/0"), 0);
  dht_swarm_opts_t so = {.lan = true, .loopback = true, .server = true};
  assert_int_equal(dht_swarm_new(&t->loop, *h, &so, sw), 0);
}

static void test_burst_add_provider(void **state) {
  (void)state;
  static t_t t;
  setup_net(&t);
  dht_t *d = dht_swarm_dht(t.sw[0]);
  /* A server the client knows only by its address. */
  net_host_t *h;
  dht_swarm_t *sw;
  new_server(&t, &h, &sw);
  char addrs[4][NET_MA_STR_MAX / 16];
  assert_true(net_host_addrs(h, addrs, 4) >= 1);
  uint8_t ma[DHT_ADDR_MAX];
  int ml = net_ma_parse(addrs[0], strlen(addrs[0]), ma, sizeof ma);
  assert_true(ml > 0);
  const uint8_t *a[1] = {ma};
  size_t l[1] = {(size_t)ml};
  dht_peer_t to;
  dht_peer_set(&to, net_host_id(h), a, l, 1);
  assert_false(net_host_connected(t.h[0], net_host_id(h)));

  dht_swarm_stats_t st0, st;
  dht_swarm_stats(t.sw[0], &st0);
  uint8_t keys[BURST][34];
  for (int i = 0; i < BURST; i++) {
    random_key(keys[i]);
    assert_int_equal(dht_add_provider_to(d, keys[i], 34, &to, 1,
                                         dht_swarm_now(t.sw[0]), NULL),
                     1);
  }
  st.ops = 1;
  RUN_UNTIL(&t, (dht_swarm_stats(t.sw[0], &st), st.ops == 0));
  assert_int_equal(st.ops, 0);
  assert_int_equal(st.dials - st0.dials, 1);
  assert_int_equal(st.streams_out - st0.streams_out, 1);
  assert_int_equal(st.parked - st0.parked, BURST - 1);
  assert_int_equal(st.streams_reused - st0.streams_reused, BURST - 1);
  /* Every one arrived. */
  dht_stats_t ds = {0};
  RUN_UNTIL(&t, (dht_stats(dht_swarm_dht(sw), &ds), ds.requests_in >= BURST));
  assert_int_equal(ds.requests_in, BURST);
  for (int i = 0; i < BURST; i++) {
    found_t f = {.want = net_host_id(t.h[0])};
    static const dht_query_cbs_t fcbs = {.on_provider = on_provider,
                                         .on_done = on_found_done};
    assert_int_equal(dht_get_providers(dht_swarm_dht(sw), keys[i], 34, 1,
                                       &fcbs, &f, dht_swarm_now(sw), NULL),
                     0);
    RUN_UNTIL(&t, f.done);
    assert_int_equal(f.hit, 1);
  }
  dht_swarm_close(sw);
  teardown_net(&t, h);
}

/* A server whose first address is a tarpit (a port that takes the TCP
 * connection and never speaks: the handshake would time out after 15 s):
 * its second address is dialled 250 ms later (net_host_dial's race) and
 * the record arrives in a moment. */
static void test_dial_past_tarpit(void **state) {
  (void)state;
  static t_t t;
  setup_net(&t);
  dht_t *d = dht_swarm_dht(t.sw[0]);
  net_host_t *h;
  dht_swarm_t *sw;
  new_server(&t, &h, &sw);
  char pits[64], addrs[4][NET_MA_STR_MAX / 16];
  int pit = test_tarpit(pits, sizeof pits);
  assert_true(net_host_addrs(h, addrs, 4) >= 1);
  uint8_t ma[2][DHT_ADDR_MAX];
  int ml0 = net_ma_parse(pits, strlen(pits), ma[0], sizeof ma[0]);
  int ml1 = net_ma_parse(addrs[0], strlen(addrs[0]), ma[1], sizeof ma[1]);
  assert_true(ml0 > 0 && ml1 > 0);
  const uint8_t *a[2] = {ma[0], ma[1]};
  size_t l[2] = {(size_t)ml0, (size_t)ml1};
  dht_peer_t to;
  dht_peer_set(&to, net_host_id(h), a, l, 2);
  uint8_t key[34];
  random_key(key);
  uint64_t t0 = uv_hrtime();
  assert_int_equal(dht_add_provider_to(d, key, 34, &to, 1,
                                       dht_swarm_now(t.sw[0]), NULL),
                   1);
  dht_stats_t ds = {0};
  RUN_UNTIL(&t, (dht_stats(dht_swarm_dht(sw), &ds), ds.requests_in >= 1));
  assert_int_equal(ds.requests_in, 1);
  uint64_t ms = (uv_hrtime() - t0) / 1000000;
  assert_true(ms < 3000); /* in turn: 15 s */
  close(pit);
  dht_swarm_close(sw);
  teardown_net(&t, h);
}

/* ------------------------------------------------ a peer that resets */

/* A DHT server that answers the first request on a stream and resets the
 * stream when another comes on it. */
typedef struct rude {
  dht_t *d;
  int answered, resets;
} rude_t;

typedef struct rude_st {
  rude_t *r;
  tr_bytes_t in;
  bool answered;
} rude_st_t;

static const net_stream_cbs_t GONE = {0};

static void rude_end(net_stream_t *st, bool reset) {
  rude_st_t *rs = net_stream_ud(st);
  net_stream_set(st, &GONE, NULL);
  if (reset)
    net_stream_reset(st);
  else
    net_stream_close(st);
  tr_bytes_free(&rs->in);
  free(rs);
}

static void rude_data(net_stream_t *st, const uint8_t *p, size_t n) {
  rude_st_t *rs = net_stream_ud(st);
  assert_int_equal(tr_bytes_append(&rs->in, p, n), 0);
  const uint8_t *body;
  size_t blen;
  int64_t took = dht_frame(rs->in.data, rs->in.len, DHT_MSG_MAX, &body, &blen);
  assert_true(took >= 0);
  if (took == 0)
    return;
  if (rs->answered) {
    rs->r->resets++;
    rude_end(st, true);
    return;
  }
  dht_peer_t from;
  dht_peer_set(&from, net_stream_peer(st), NULL, NULL, 0);
  tr_bytes_t resp = {0};
  assert_int_equal(dht_handle(rs->r->d, &from, body, blen, 0, &resp), 0);
  assert_int_equal(net_stream_write(st, resp.data, resp.len), 0);
  tr_bytes_free(&resp);
  rs->answered = true;
  rs->r->answered++;
  rs->in.len = 0;
}

static void rude_fin(net_stream_t *st) { rude_end(st, false); }

static void rude_close(net_stream_t *st, int status) {
  (void)status;
  rude_st_t *rs = net_stream_ud(st);
  if (rs) {
    tr_bytes_free(&rs->in);
    free(rs);
  }
}

static const net_stream_cbs_t RUDE = {rude_data, rude_fin, rude_close, NULL};

static void rude_stream(net_stream_t *st, void *ud) {
  rude_st_t *rs = calloc(1, sizeof *rs);
  assert_non_null(rs);
  rs->r = ud;
  net_stream_set(st, &RUDE, rs);
}

static int no_send(void *ud, uint64_t req, const dht_peer_t *peer, bool want,
                   const uint8_t *p, size_t n) {
  (void)ud, (void)req, (void)peer, (void)want, (void)p, (void)n;
  return -ECANCELED;
}

static void test_reset_reused(void **state) {
  (void)state;
  static t_t t;
  setup_net(&t);
  /* The rude peer joins: the client's table then holds it too. */
  net_privkey_t k;
  assert_int_equal(net_privkey_generate(&k), 0);
  net_host_opts_t o = {.key = &k, .agent = "trove/test-dht-rude"};
  net_host_t *h;
  assert_int_equal(net_host_new(&t.loop, &o, &h), 0);
  assert_int_equal(net_host_listen(h, "/ip4/127.0.0.1/tcp/0"), 0);
  static rude_t r;
  memset(&r, 0, sizeof r);
  dht_opts_t dopt = {.self = *net_host_id(h), .server = true, .send = no_send};
  assert_int_equal(dht_new(&dopt, 0, &r.d), 0);
  assert_int_equal(net_host_handle(h, DHT_PROTO_LAN, rude_stream, &r), 0);
  connect_to(&t, h);
  dht_t *d = dht_swarm_dht(t.sw[0]);
  RUN_UNTIL(&t, dht_rt_size(d) == SERVERS + 1);
  assert_int_equal(dht_rt_size(d), SERVERS + 1);

  static const dht_query_cbs_t cbs = {.on_done = on_done};
  for (int i = 0; i < 5; i++) {
    uint8_t key[34];
    random_key(key);
    assert_int_equal(dht_find_node(d, key, sizeof key, &cbs, &t,
                                   dht_swarm_now(t.sw[0]), NULL),
                     0);
    /* Until the rude answer is in too (a lookup may end without it). */
    RUN_UNTIL(&t, t.done == i + 1 && r.answered == i + 1);
    for (int j = 0; j < 5; j++)
      uv_run(&t.loop, UV_RUN_NOWAIT), usleep(1000);
  }
  assert_int_equal(t.done, 5);
  assert_int_equal(t.bad_status, 0);
  /* Every lookup got the rude peer's answer, each but the first on a new
   * stream, the reused one having been reset under the request. */
  assert_int_equal(r.answered, 5);
  assert_int_equal(r.resets, 4);
  dht_swarm_stats_t st;
  dht_swarm_stats(t.sw[0], &st);
  assert_int_equal(st.retries, 4);
  assert_int_equal(dht_rt_size(d), SERVERS + 1); /* not counted against it */
  teardown_net(&t, h);
  dht_free(r.d);
}

static void test_fix_low(void **state) {
  (void)state;
  t_t t;
  setup_net(&t);
  dht_t *d = dht_swarm_dht(t.sw[0]);
  for (int i = 1; i <= SERVERS; i++)
    dht_remove_peer(d, net_host_id(t.h[i]));
  assert_int_equal(dht_rt_size(d), 0);
  RUN_UNTIL(&t, dht_rt_size(d) == SERVERS);
  assert_int_equal(dht_rt_size(d), SERVERS);
  teardown_net(&t, NULL);
}

int main(void) {
  if (sodium_init() < 0)
    return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_burst),
                                     cmocka_unit_test(test_reuse),
                                     cmocka_unit_test(test_burst_add_provider),
                                     cmocka_unit_test(test_dial_past_tarpit),
                                     cmocka_unit_test(test_reset_reused),
                                     cmocka_unit_test(test_fix_low)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

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
 */
#include "testutil.h"

#include <sodium.h>
#include <uv.h>

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

static void test_burst(void **state) {
  (void)state;
  static t_t t; /* static: the callbacks' ud outlives nothing here */
  memset(&t, 0, sizeof t);
  assert_int_equal(uv_loop_init(&t.loop), 0);
  for (int i = 0; i <= SERVERS; i++) {
    net_privkey_t k;
    assert_int_equal(net_privkey_generate(&k), 0);
    net_host_opts_t o = {.key = &k, .agent = "trove/test-dht-swarm"};
    assert_int_equal(net_host_new(&t.loop, &o, &t.h[i]), 0);
    assert_int_equal(net_host_listen(t.h[i], "/ip4/127.0.0.1/tcp/0"), 0);
    dht_swarm_opts_t so = {.lan = true, .loopback = true, .server = i > 0};
    assert_int_equal(dht_swarm_new(&t.loop, t.h[i], &so, &t.sw[i]), 0);
  }
  for (int i = 1; i <= SERVERS; i++) {
    char addrs[4][NET_MA_STR_MAX / 16], id[NET_PEERID_STR_MAX], ma[1024];
    assert_true(net_host_addrs(t.h[i], addrs, 4) >= 1);
    assert_true(net_peerid_format(net_host_id(t.h[i]), 0, id, sizeof id) > 0);
    snprintf(ma, sizeof ma, "%s/p2p/%s", addrs[0], id);
    assert_int_equal(net_host_connect(t.h[0], ma, on_conn, &t), 0);
  }
  dht_t *d = dht_swarm_dht(t.sw[0]);
  RUN_UNTIL(&t, t.connected == SERVERS && dht_rt_size(d) == SERVERS);
  assert_int_equal(dht_rt_size(d), SERVERS);

  static const dht_query_cbs_t cbs = {.on_done = on_done};
  for (int i = 0; i < LOOKUPS; i++) {
    uint8_t key[34] = {0x12, 0x20};
    randombytes_buf(key + 2, 32);
    assert_int_equal(dht_find_node(d, key, sizeof key, &cbs, &t,
                                   dht_swarm_now(t.sw[0]), NULL),
                     0);
  }
  RUN_UNTIL(&t, t.done == LOOKUPS);
  assert_int_equal(t.done, LOOKUPS);
  assert_int_equal(t.bad_status, 0);
  assert_int_equal(t.short_closest, 0);
  assert_int_equal(t.ok, LOOKUPS);

  for (int i = 0; i <= SERVERS; i++)
    dht_swarm_close(t.sw[i]);
  for (int i = 0; i <= SERVERS; i++)
    net_host_close(t.h[i], on_closed, &t);
  uv_run(&t.loop, UV_RUN_DEFAULT);
  assert_int_equal(t.closed, SERVERS + 1);
  assert_int_equal(uv_loop_close(&t.loop), 0);
}

int main(void) {
  if (sodium_init() < 0)
    return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_burst)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_dial.c — net_host_dial and net_peering on two hosts over 127.0.0.1
 * (tests/host_pair.h).  net_host_dial: addresses tried in turn (refused,
 * junk, another peer's, not TCP, then a /dns4 name that connects), raced
 * past tarpits (and in turn without a peer), at
 * once when connected or when there is nothing to try, cancelled, and
 * ended by the host's close in the middle of a lookup; the host's router
 * asked when every address failed, and taken away or closed under a
 * lookup.  net_peering: boxo's back-off schedule, and a peer kept
 * connected through a cut, let go once removed, and a service freed while
 * it dials.
 */
#include "host_pair.h"

#include <signal.h>
#include <time.h>

#include "../net/peering.h"

/* --- net_host_dial: a peer at several addresses, in turn */

typedef struct dial_t {
  int calls, status;
  net_peerid_t peer;
  net_dial_t *handle;
} dial_t_;

static void on_dial(net_host_t *h, int status, const net_peerid_t *p,
                    void *ud) {
  (void)h;
  dial_t_ *d = ud;
  d->calls++;
  d->status = status;
  if (p)
    d->peer = *p;
  assert_null(d->handle); /* cleared before the call */
}

/* "/ip4/127.0.0.1/tcp/N" of t->addr, and its port. */
static void a_parts(t_t *t, char *ipport, size_t n, int *port) {
  snprintf(ipport, n, "%s", t->addr);
  *strstr(ipport, "/p2p/") = 0;
  *port = atoi(strstr(ipport, "/tcp/") + 5);
}

static void test_dial_in_turn(void **state) {
  (void)state;
  t_t *t = calloc(1, sizeof *t);
  host_pair(t);
  char ipport[1024], dns[1100], wrong[1200], id[NET_PEERID_STR_MAX];
  int port;
  a_parts(t, ipport, sizeof ipport, &port);
  assert_true(net_peerid_format(net_host_id(t->b), 0, id, sizeof id) > 0);
  snprintf(wrong, sizeof wrong, "%s/p2p/%s", ipport, id);
  /* localhost is /etc/hosts's, so the lookup needs no name server; the
   * address has no /p2p: the dial adds a's. */
  snprintf(dns, sizeof dns, "/dns4/localhost/tcp/%d", port);
  const char *addrs[] = {
      "/ip4/127.0.0.1/tcp/1",            /* refused */
      "not a multiaddr",                 /* skipped */
      wrong,                             /* another peer: skipped */
      "/ip4/127.0.0.1/udp/4001/quic-v1", /* not TCP */
      dns,                               /* resolved, then connected */
  };
  dial_t_ d = {0};
  assert_int_equal(net_host_dial(t->b, net_host_id(t->a), addrs, 5, on_dial,
                                 &d, &d.handle),
                   0);
  assert_non_null(d.handle);
  RUN_UNTIL(t, d.calls);
  assert_int_equal(d.calls, 1);
  assert_int_equal(d.status, 0);
  assert_true(net_peerid_equal(&d.peer, net_host_id(t->a)));
  assert_true(net_host_connected(t->b, net_host_id(t->a)));

  /* Connected already: at once, inside the call. */
  dial_t_ d2 = {0};
  assert_int_equal(net_host_dial(t->b, net_host_id(t->a), NULL, 0, on_dial,
                                 &d2, &d2.handle),
                   0);
  assert_int_equal(d2.calls, 1);
  assert_int_equal(d2.status, 0);

  /* No address and nothing in the peerstore: TR_ENOADDR, inside the call. */
  dial_t_ d3 = {0};
  net_peerid_t nobody = *net_host_id(t->b);
  nobody.bytes[nobody.len - 1] ^= 1;
  assert_int_equal(net_host_dial(t->a, &nobody, NULL, 0, on_dial, &d3,
                                 &d3.handle),
                   0);
  assert_int_equal(d3.calls, 1);
  assert_int_equal(d3.status, TR_ENOADDR);
  assert_null(d3.handle);

  /* Every address fails: the last failure. */
  const char *bad[] = {"/ip4/127.0.0.1/tcp/1"};
  dial_t_ d4 = {0};
  assert_int_equal(net_host_dial(t->a, &nobody, bad, 1, on_dial, &d4, NULL),
                   0);
  RUN_UNTIL(t, d4.calls);
  assert_int_equal(d4.calls, 1);
  assert_int_equal(d4.status, -ECONNREFUSED);
  assert_int_equal(net_host_dial(t->a, NULL, bad, NET_DIAL_ADDRS + 1,
                                 on_dial, &d4, NULL),
                   TR_EUSAGE);
  host_pair_end(t);
  free(t);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Two tarpits before the good address: the dials race (go-libp2p's
 * stagger), so the peer is reached in a moment, not after two handshake
 * timeouts (3 s each here).  Without a peer the addresses go one at a
 * time: the good one waits for both tarpits.  Cancelled in the race, the
 * dial reports once, when what is under way has ended. */
static void test_dial_races(void **state) {
  (void)state;
  t_t *t = calloc(1, sizeof *t);
  net_host_limits_t lim;
  net_host_limits_default(&lim);
  lim.handshake_ms = 3000;
  host_pair_lim(t, NULL, NULL, &lim);
  char pit1[64], pit2[64], ipport[1024];
  int fd1 = test_tarpit(pit1, sizeof pit1),
      fd2 = test_tarpit(pit2, sizeof pit2), port;
  a_parts(t, ipport, sizeof ipport, &port);
  const char *addrs[] = {pit1, pit2, ipport};
  dial_t_ d = {0};
  double t0 = now_s();
  assert_int_equal(net_host_dial(t->b, net_host_id(t->a), addrs, 3, on_dial,
                                 &d, &d.handle),
                   0);
  while (!d.calls && now_s() - t0 < 10)
    uv_run(&t->loop, UV_RUN_ONCE);
  double took = now_s() - t0;
  assert_int_equal(d.calls, 1);
  assert_int_equal(d.status, 0);
  assert_true(took >= 2 * NET_DIAL_STAGGER_MS / 1000.0 - 0.05);
  assert_true(took < 2.5); /* in turn: over 6 s */
  assert_true(net_host_connected(t->b, net_host_id(t->a)));
  assert_int_equal(net_host_disconnect(t->b, net_host_id(t->a)), 0);
  RUN_UNTIL(t, !net_host_connected(t->b, net_host_id(t->a)));

  /* No peer: one address at a time. */
  dial_t_ d2 = {0};
  const char *two[] = {pit1, t->addr};
  t0 = now_s();
  assert_int_equal(net_host_dial(t->b, NULL, two, 2, on_dial, &d2, NULL), 0);
  while (!d2.calls && now_s() - t0 < 10)
    uv_run(&t->loop, UV_RUN_ONCE);
  assert_int_equal(d2.status, 0);
  assert_true(now_s() - t0 >= 2.9);
  assert_int_equal(net_host_disconnect(t->b, net_host_id(t->a)), 0);
  RUN_UNTIL(t, !net_host_connected(t->b, net_host_id(t->a)));

  /* Cancelled while both tarpits are under way: no third address, one
   * report, once both have failed. */
  dial_t_ d3 = {0};
  t0 = now_s();
  assert_int_equal(net_host_dial(t->b, net_host_id(t->a), addrs, 3, on_dial,
                                 &d3, &d3.handle),
                   0);
  while (now_s() - t0 < 0.4)
    uv_run(&t->loop, UV_RUN_NOWAIT), usleep(5000);
  net_dial_cancel(d3.handle);
  while (!d3.calls && now_s() - t0 < 10)
    uv_run(&t->loop, UV_RUN_ONCE);
  assert_int_equal(d3.calls, 1);
  assert_int_equal(d3.status, -ECANCELED);
  assert_false(net_host_connected(t->b, net_host_id(t->a)));
  close(fd1);
  close(fd2);
  host_pair_end(t);
  free(t);
}

static void test_dial_cancel_and_close(void **state) {
  (void)state;
  t_t *t = calloc(1, sizeof *t);
  host_pair(t);
  char ipport[1024], dns[1100];
  int port;
  a_parts(t, ipport, sizeof ipport, &port);
  /* Cancelled while the first address is under way: the good second one
   * is never tried. */
  const char *addrs[] = {"/ip4/127.0.0.1/tcp/1", t->addr};
  dial_t_ d = {0};
  assert_int_equal(net_host_dial(t->b, NULL, addrs, 2, on_dial, &d,
                                 &d.handle),
                   0);
  net_dial_cancel(d.handle);
  RUN_UNTIL(t, d.calls);
  assert_int_equal(d.calls, 1);
  assert_int_equal(d.status, -ECANCELED);
  assert_false(net_host_connected(t->b, net_host_id(t->a)));

  /* The host closes while a name is being looked up: the dial ends with
   * the close, and the lookup's answer later frees it (ASan: no leak, no
   * use after free). */
  snprintf(dns, sizeof dns, "/dns4/localhost/tcp/%d", port);
  const char *one = dns;
  dial_t_ d2 = {0};
  assert_int_equal(net_host_dial(t->b, net_host_id(t->a), &one, 1, on_dial,
                                 &d2, &d2.handle),
                   0);
  assert_int_equal(d2.calls, 0);
  net_host_close(t->b, on_closed, t);
  assert_int_equal(d2.calls, 1);
  assert_int_equal(d2.status, -ECANCELED);
  net_host_close(t->a, on_closed, t);
  uv_run(&t->loop, UV_RUN_DEFAULT);
  assert_int_equal(t->closed, 2);
  assert_int_equal(d2.calls, 1);
  assert_int_equal(uv_loop_close(&t->loop), 0);
  free(t);
}

/* --- the host's router: where a peer is when its addresses fail */

typedef struct fake_router {
  uv_timer_t timer;
  char addr[1024]; /* what it finds */
  int finds, cancels;
  net_found_cb done;
  void *ctx;
  bool live;
} fake_router_t;

static void fr_fire(uv_timer_t *t) {
  fake_router_t *r = t->data;
  r->live = false;
  char *a = r->addr;
  r->done(r->ctx, 0, &a, 1);
}

static int fr_find(void *ud, const net_peerid_t *peer, net_found_cb done,
                   void *ctx, void **handle) {
  (void)peer;
  fake_router_t *r = ud;
  r->finds++;
  r->done = done, r->ctx = ctx, r->live = true;
  uv_timer_start(&r->timer, fr_fire, 10, 0); /* never inside find */
  *handle = r;
  return 0;
}

static void fr_cancel(void *ud, void *handle) {
  fake_router_t *r = ud;
  assert_ptr_equal(handle, r);
  r->cancels++;
  r->live = false;
  uv_timer_stop(&r->timer);
}

static void test_dial_router(void **state) {
  (void)state;
  t_t *t = calloc(1, sizeof *t);
  host_pair(t);
  fake_router_t fr = {0};
  assert_int_equal(uv_timer_init(&t->loop, &fr.timer), 0);
  fr.timer.data = &fr;
  a_parts(t, fr.addr, sizeof fr.addr, &(int){0}); /* a's, without /p2p */
  net_host_set_router(t->b, &(net_router_t){fr_find, fr_cancel, &fr});
  /* The one address known is dead: the router is asked, once, and its
   * answer connects. */
  const char *dead[] = {"/ip4/127.0.0.1/tcp/1"};
  dial_t_ d = {0};
  assert_int_equal(net_host_dial(t->b, net_host_id(t->a), dead, 1, on_dial,
                                 &d, &d.handle),
                   0);
  RUN_UNTIL(t, d.calls);
  assert_int_equal(d.status, 0);
  assert_int_equal(fr.finds, 1);
  assert_true(net_host_connected(t->b, net_host_id(t->a)));
  assert_int_equal(net_host_disconnect(t->b, net_host_id(t->a)), 0);
  RUN_UNTIL(t, !net_host_connected(t->b, net_host_id(t->a)));

  /* Without a peer there is nobody to look up: the failure stands. */
  dial_t_ d2 = {0};
  assert_int_equal(net_host_dial(t->b, NULL, dead, 1, on_dial, &d2, NULL), 0);
  RUN_UNTIL(t, d2.calls);
  assert_int_equal(d2.status, -ECONNREFUSED);
  assert_int_equal(fr.finds, 1);

  /* The router goes while it looks: the dial ends at once with what
   * failed before, the lookup cancelled. */
  net_peerid_t other = *net_host_id(t->a);
  other.bytes[other.len - 1] ^= 1;
  dial_t_ d3 = {0};
  assert_int_equal(net_host_dial(t->b, &other, NULL, 0, on_dial, &d3, NULL),
                   0);
  assert_int_equal(fr.finds, 2);
  assert_true(fr.live);
  net_host_set_router(t->b, NULL);
  assert_int_equal(fr.cancels, 1);
  assert_int_equal(d3.calls, 1);
  assert_int_equal(d3.status, TR_ENOADDR);

  /* And the host's close ends a dial in a lookup, cancelling it. */
  net_host_set_router(t->b, &(net_router_t){fr_find, fr_cancel, &fr});
  dial_t_ d4 = {0};
  assert_int_equal(net_host_dial(t->b, &other, NULL, 0, on_dial, &d4, NULL),
                   0);
  assert_true(fr.live);
  net_host_close(t->b, on_closed, t);
  assert_int_equal(fr.cancels, 2);
  assert_int_equal(d4.calls, 1);
  assert_int_equal(d4.status, -ECANCELED);
  net_host_close(t->a, on_closed, t);
  uv_close((uv_handle_t *)&fr.timer, NULL);
  uv_run(&t->loop, UV_RUN_DEFAULT);
  assert_int_equal(t->closed, 2);
  assert_int_equal(uv_loop_close(&t->loop), 0);
  free(t);
}

/* --- net_peering: the back-off's schedule, and a peer kept connected */

static void test_peering_backoff(void **state) {
  (void)state;
  const uint64_t init = NET_PEERING_INITIAL_MS,
                 max = init * NET_PEERING_MAX_FACTOR;
  /* boxo: cur + cur/2 + rand(cur): 7.5 to 12.5 s after 5 s. */
  assert_int_equal(net_peering_next_delay(init, max, 0, 0), 7500);
  assert_int_equal(net_peering_next_delay(init, max, init - 1, 0), 12499);
  assert_int_equal(net_peering_next_delay(init, max, init, 0), 7500);
  /* Past the max: 90-100% of it. */
  assert_int_equal(net_peering_next_delay(max - 1, max, 0, 0), max);
  assert_int_equal(net_peering_next_delay(max - 1, max, 0, max / 10 - 1),
                   max - (max / 10 - 1));
  uint64_t d = init;
  for (int i = 0; i < 100; i++) {
    uint64_t next = net_peering_next_delay(d, max, (uint64_t)i * 7919,
                                           (uint64_t)i * 104729);
    assert_true((next <= max && next >= max * 9 / 10) ||
                (next >= d + d / 2 && next < d * 5 / 2 + 1));
    d = next;
  }
  assert_true(d >= max * 9 / 10 && d <= max);
  assert_int_equal(net_peering_next_delay(0, max, 5, 5), 0);
}

static int peering_freed;
static void on_peering_closed(void *ud) { (void)ud, peering_freed++; }

static void test_peering_keeps_connected(void **state) {
  (void)state;
  t_t *t = calloc(1, sizeof *t);
  host_pair(t);
  char ipport[1024];
  int port;
  a_parts(t, ipport, sizeof ipport, &port);
  net_peering_t *p;
  assert_int_equal(net_peering_new(&t->loop, t->b, 50, &p), 0);
  const char *one = ipport; /* without /p2p: the peer's own is added */
  assert_int_equal(net_peering_add(p, net_host_id(t->a), &one, 1), 0);
  assert_int_equal(net_peering_add(p, net_host_id(t->b), NULL, 0),
                   TR_EUSAGE);
  assert_true(net_host_protected(t->b, net_host_id(t->a)));
  assert_int_equal(net_peering_list(p, NULL, NULL), 1);
  RUN_UNTIL(t, net_host_connected(t->b, net_host_id(t->a)));
  assert_true(net_host_connected(t->b, net_host_id(t->a)));
  /* Cut: back within the back-off (75-125 ms, polled every 20 ms). */
  assert_int_equal(net_host_disconnect(t->b, net_host_id(t->a)), 0);
  RUN_UNTIL(t, !net_host_connected(t->b, net_host_id(t->a)));
  RUN_UNTIL(t, net_host_connected(t->b, net_host_id(t->a)));
  assert_true(net_host_connected(t->b, net_host_id(t->a)));
  /* Removed: unprotected, and a cut stays a cut. */
  assert_int_equal(net_peering_remove(p, net_host_id(t->a)), 0);
  assert_int_equal(net_peering_remove(p, net_host_id(t->a)), TR_ENOTFOUND);
  assert_false(net_host_protected(t->b, net_host_id(t->a)));
  assert_int_equal(net_host_disconnect(t->b, net_host_id(t->a)), 0);
  for (int i = 0; i < 60; i++)
    uv_run(&t->loop, UV_RUN_NOWAIT), usleep(5000);
  assert_false(net_host_connected(t->b, net_host_id(t->a)));
  /* Added again at an address that refuses, and freed while it dials:
   * the dial is cancelled and the service goes once it called back. */
  const char *dead = "/ip4/127.0.0.1/tcp/1";
  assert_int_equal(net_peering_add(p, net_host_id(t->a), &dead, 1), 0);
  for (int i = 0; i < 40; i++)
    uv_run(&t->loop, UV_RUN_NOWAIT), usleep(5000);
  net_peering_free(p);
  peering_freed = 0;
  net_host_close(t->a, on_peering_closed, t);
  net_host_close(t->b, on_peering_closed, t);
  uv_run(&t->loop, UV_RUN_DEFAULT);
  assert_int_equal(peering_freed, 2);
  assert_int_equal(uv_loop_close(&t->loop), 0);
  free(t);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN); /* as the daemon: peers that vanish */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dial_in_turn),
      cmocka_unit_test(test_dial_races),
      cmocka_unit_test(test_dial_cancel_and_close),
      cmocka_unit_test(test_dial_router),
      cmocka_unit_test(test_peering_backoff),
      cmocka_unit_test(test_peering_keeps_connected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

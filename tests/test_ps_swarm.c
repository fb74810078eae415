/*
 * test_ps_swarm.c — pubsub on real hosts (pubsub/swarm.h) on one loop
 * over 127.0.0.1: two nodes find each other through identify, subscribe,
 * publish both ways (each message once, from its author), a subscriber
 * that leaves from inside its own callback, a peer that writes an RPC
 * that does not decode (cut off: its messages no longer arrive), and the
 * close, which ends the subscribers still there through their closed
 * callbacks.
 */
#include "testutil.h"

#include <uv.h>

#include "../net/host.h"
#include "../pubsub/swarm.h"

typedef struct sub_rec {
  int got, closed;
  char last[64];
  net_peerid_t from;
  ps_swarm_sub_t *sub;
  bool leave_in_cb;
} sub_rec_t;

static uv_loop_t loop;
static net_host_t *ha, *hb;
static ps_swarm_t *sa, *sb;
static int hosts_closed;

#define RUN_UNTIL(cond)                                                        \
  for (int _i = 0; _i < 1000 && !(cond); _i++)                                 \
    uv_run(&loop, UV_RUN_NOWAIT), usleep(5000)

static void on_msg(void *ud, const ps_msg_t *m) {
  sub_rec_t *r = ud;
  r->got++;
  r->from = m->from;
  size_t n = m->len < sizeof r->last - 1 ? m->len : sizeof r->last - 1;
  memcpy(r->last, m->data, n);
  r->last[n] = 0;
  if (r->leave_in_cb) {
    ps_swarm_unsub(r->sub);
    r->sub = NULL;
  }
}

static void on_sub_closed(void *ud) { ((sub_rec_t *)ud)->closed++; }

static void on_conn(net_host_t *h, int status, const net_peerid_t *p,
                    void *ud) {
  (void)h, (void)p;
  *(int *)ud = status == 0 ? 1 : -1;
}

static void on_host_closed(void *ud) {
  (void)ud;
  hosts_closed++;
}

static void up(void) {
  assert_int_equal(uv_loop_init(&loop), 0);
  net_privkey_t ka, kb;
  assert_int_equal(net_privkey_generate(&ka), 0);
  assert_int_equal(net_privkey_generate(&kb), 0);
  net_host_opts_t oa = {.key = &ka, .agent = "trove/test-a"};
  net_host_opts_t ob = {.key = &kb, .agent = "trove/test-b"};
  assert_int_equal(net_host_new(&loop, &oa, &ha), 0);
  assert_int_equal(net_host_new(&loop, &ob, &hb), 0);
  ps_swarm_opts_t pa = {&ka, false}, pb = {&kb, false};
  assert_int_equal(ps_swarm_new(&loop, ha, &pa, &sa), 0);
  assert_int_equal(ps_swarm_new(&loop, hb, &pb, &sb), 0);
  assert_int_equal(net_host_listen(ha, "/ip4/127.0.0.1/tcp/0"), 0);
  char addrs[4][NET_MA_STR_MAX / 16], id[NET_PEERID_STR_MAX], ma[1024];
  assert_int_equal(net_host_addrs(ha, addrs, 4), 1);
  assert_true(net_peerid_format(net_host_id(ha), 0, id, sizeof id) > 0);
  snprintf(ma, sizeof ma, "%s/p2p/%s", addrs[0], id);
  int connected = 0;
  assert_int_equal(net_host_connect(hb, ma, on_conn, &connected), 0);
  RUN_UNTIL(connected);
  assert_int_equal(connected, 1);
  /* identify tells each that the other speaks /meshsub/1.1.0 */
  RUN_UNTIL(ps_peers(ps_swarm_core(sa), NULL, 0, NULL, NULL) == 1 &&
            ps_peers(ps_swarm_core(sb), NULL, 0, NULL, NULL) == 1);
  assert_int_equal(ps_peers(ps_swarm_core(sa), NULL, 0, NULL, NULL), 1);
}

static void down(void) {
  ps_swarm_close(sa);
  ps_swarm_close(sb);
  hosts_closed = 0;
  net_host_close(ha, on_host_closed, NULL);
  net_host_close(hb, on_host_closed, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(hosts_closed, 2);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_publish_both_ways(void **state) {
  (void)state;
  up();
  sub_rec_t ra = {0}, rb = {0}, ra2 = {0};
  assert_int_equal(ps_swarm_sub(sa, "t", 1, on_msg, on_sub_closed, &ra,
                                &ra.sub), 0);
  assert_int_equal(ps_swarm_sub(sa, "t", 1, on_msg, on_sub_closed, &ra2,
                                &ra2.sub), 0);
  assert_int_equal(ps_swarm_sub(sb, "t", 1, on_msg, on_sub_closed, &rb,
                                &rb.sub), 0);
  assert_int_equal(ps_topics(ps_swarm_core(sa), NULL, NULL), 1);
  RUN_UNTIL(ps_peers(ps_swarm_core(sa), "t", 1, NULL, NULL) == 1 &&
            ps_peers(ps_swarm_core(sb), "t", 1, NULL, NULL) == 1);
  assert_int_equal(ps_swarm_publish(sb, "t", 1, (const uint8_t *)"hello", 5),
                   0);
  assert_int_equal(rb.got, 1); /* our own, at once */
  RUN_UNTIL(ra.got == 1 && ra2.got == 1);
  assert_int_equal(ra.got, 1);
  assert_int_equal(ra2.got, 1);
  assert_string_equal(ra.last, "hello");
  assert_true(net_peerid_equal(&ra.from, net_host_id(hb)));
  /* The other way, and a subscriber that leaves inside its callback. */
  ra2.leave_in_cb = true;
  assert_int_equal(ps_swarm_publish(sa, "t", 1, (const uint8_t *)"back", 4),
                   0);
  assert_int_equal(ra2.got, 2);
  RUN_UNTIL(rb.got == 2);
  assert_string_equal(rb.last, "back");
  assert_true(net_peerid_equal(&rb.from, net_host_id(ha)));
  assert_int_equal(ps_swarm_publish(sb, "t", 1, (const uint8_t *)"3", 1), 0);
  RUN_UNTIL(ra.got == 3);
  assert_int_equal(ra.got, 3);
  assert_int_equal(ra2.got, 2); /* gone */
  assert_int_equal(ps_topics(ps_swarm_core(sa), NULL, NULL), 1);
  ps_swarm_unsub(ra.sub);
  assert_int_equal(ps_topics(ps_swarm_core(sa), NULL, NULL), 0);
  /* b's subscriber is there at the close: its closed callback runs. */
  down();
  assert_int_equal(rb.closed, 1);
  assert_int_equal(ra.closed + ra2.closed, 0);
}

typedef struct raw {
  net_stream_t *st;
  int done;
} raw_t;

static void on_raw(net_stream_t *st, int status, void *ud) {
  raw_t *r = ud;
  r->st = status ? NULL : st;
  r->done = status ? -1 : 1;
}

static void test_bad_frame_cuts_off(void **state) {
  (void)state;
  up();
  sub_rec_t ra = {0};
  assert_int_equal(ps_swarm_sub(sa, "t", 1, on_msg, on_sub_closed, &ra,
                                &ra.sub), 0);
  RUN_UNTIL(ps_peers(ps_swarm_core(sb), "t", 1, NULL, NULL) == 1);
  /* b's host writes a frame whose RPC does not decode on a stream of its
   * own. */
  raw_t w = {0};
  assert_int_equal(net_host_open(hb, net_host_id(ha), PS_PROTO_MESH11,
                                 on_raw, &w), 0);
  RUN_UNTIL(w.done);
  assert_int_equal(w.done, 1);
  static const uint8_t bad[] = {0x03, 0x0a, 0x05, 0x08};
  assert_int_equal(net_stream_write(w.st, bad, sizeof bad), 0);
  RUN_UNTIL(ps_peers(ps_swarm_core(sa), NULL, 0, NULL, NULL) == 0);
  assert_int_equal(ps_peers(ps_swarm_core(sa), NULL, 0, NULL, NULL), 0);
  /* Cut off: what b publishes no longer reaches a. */
  assert_int_equal(ps_swarm_publish(sb, "t", 1, (const uint8_t *)"x", 1), 0);
  for (int i = 0; i < 50; i++)
    uv_run(&loop, UV_RUN_NOWAIT), usleep(5000);
  assert_int_equal(ra.got, 0);
  down();
  assert_int_equal(ra.closed, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_publish_both_ways),
      cmocka_unit_test(test_bad_frame_cuts_off),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

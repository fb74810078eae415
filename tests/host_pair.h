/*
 * host_pair.h — two hosts on one loop over 127.0.0.1 for the host tests
 * (test_host.c, test_dial.c): a listens, b dials; t->addr is a's address
 * with its /p2p.  Static inline: each test file takes what it uses.
 */
#ifndef TESTS_HOST_PAIR_H
#define TESTS_HOST_PAIR_H

#include "testutil.h"

#include <uv.h>

#include "../net/host.h"

#define NSTREAMS 16

typedef struct t {
  uv_loop_t loop;
  net_host_t *a, *b;
  char addr[1024];
  int connected, conn_status, pings, ping_done, closed;
  size_t echoed[NSTREAMS];
  int streams_done;
  uint8_t *pattern;
} t_t;

/* t->a listening on 127.0.0.1, its address with /p2p in t->addr. */
static inline void host_listen_a(t_t *t) {
  assert_int_equal(net_host_listen(t->a, "/ip4/127.0.0.1/tcp/0"), 0);
  char addrs[4][NET_MA_STR_MAX / 16];
  assert_int_equal(net_host_addrs(t->a, addrs, 4), 1);
  char id[NET_PEERID_STR_MAX];
  assert_true(net_peerid_format(net_host_id(t->a), 0, id, sizeof id) > 0);
  snprintf(t->addr, sizeof t->addr, "%s/p2p/%s", addrs[0], id);
}

/* Hosts a (listening) and b, with the private network keys pa and pb
 * (NULL: none). */
static inline void host_pair_lim(t_t *t, const uint8_t *pa, const uint8_t *pb,
                          const net_host_limits_t *lim) {
  assert_int_equal(uv_loop_init(&t->loop), 0);
  net_privkey_t ka, kb;
  assert_int_equal(net_privkey_generate(&ka), 0);
  assert_int_equal(net_privkey_generate(&kb), 0);
  net_host_opts_t oa = {.key = &ka, .agent = "trove/test-a", .psk = pa,
                        .limits = lim};
  net_host_opts_t ob = {.key = &kb, .agent = "trove/test-b", .psk = pb,
                        .limits = lim};
  assert_int_equal(net_host_new(&t->loop, &oa, &t->a), 0);
  assert_int_equal(net_host_new(&t->loop, &ob, &t->b), 0);
  host_listen_a(t);
}

static inline void host_pair_psk(t_t *t, const uint8_t *pa, const uint8_t *pb) {
  host_pair_lim(t, pa, pb, NULL);
}
static inline void host_pair(t_t *t) { host_pair_psk(t, NULL, NULL); }

static inline void on_closed(void *ud) { ((t_t *)ud)->closed++; }

static inline void host_pair_end(t_t *t) {
  net_host_close(t->a, on_closed, t);
  net_host_close(t->b, on_closed, t);
  uv_run(&t->loop, UV_RUN_DEFAULT);
  assert_int_equal(t->closed, 2);
  assert_int_equal(uv_loop_close(&t->loop), 0);
}

static inline void on_conn(net_host_t *h, int status, const net_peerid_t *p,
                    void *ud) {
  (void)h, (void)p;
  t_t *t = ud;
  t->connected++;
  t->conn_status = status;
  if (status == 0)
    uv_stop(&t->loop);
}

/* Run the loop until cond or a second of loop time per round. */
#define RUN_UNTIL(t, cond)                                                     \
  for (int _i = 0; _i < 200 && !(cond); _i++)                                  \
    uv_run(&(t)->loop, UV_RUN_NOWAIT), usleep(5000)

#endif /* TESTS_HOST_PAIR_H */

/*
 * test_connmgr.c — the connection policy of net/connmgr.h with a made-up
 * clock: trimming (HighWater, LowWater, grace period, silence period,
 * protection, the order connections go in), protection tags, and dial
 * backoff (go-libp2p's 5 s + 1 s * tries^2 up to 5 min, per peer and
 * address, cleared by a success, forgotten once expired for as long
 * again, a full table).
 */
#include "testutil.h"

#include "../net/connmgr.h"

static net_peerid_t peer(uint8_t k) {
  net_peerid_t p = {.len = 34};
  p.bytes[0] = 0x12, p.bytes[1] = 32, p.bytes[2] = k;
  return p;
}

static net_cm_t *cm_new(uint32_t low, uint32_t high, uint32_t grace) {
  net_cm_t *cm = calloc(1, sizeof *cm);
  net_cm_cfg_t cfg = {.enabled = true, .low = low, .high = high,
                      .grace_ms = grace};
  assert_int_equal(net_cm_init(cm, &cfg), 0);
  return cm;
}

static void cm_end(net_cm_t *cm) {
  net_cm_free(cm);
  free(cm);
}

static void test_defaults(void **state) {
  (void)state;
  net_cm_cfg_t cfg;
  net_cm_cfg_default(&cfg);
  assert_true(cfg.enabled);
  assert_int_equal(cfg.low, 32);
  assert_int_equal(cfg.high, 96);
  assert_int_equal(cfg.grace_ms, 20000);
  net_cm_t cm;
  cfg.low = 97;
  assert_int_equal(net_cm_init(&cm, &cfg), TR_EUSAGE);
  cfg.low = 0, cfg.high = 0;
  assert_int_equal(net_cm_init(&cm, &cfg), TR_EUSAGE);
  cfg.enabled = false; /* Type "none": the watermarks do not matter */
  assert_int_equal(net_cm_init(&cm, &cfg), 0);
  net_cm_free(&cm);
}

/* The brief's case: HighWater 4, LowWater 2, grace 1 s, six peers. */
static void test_trim_after_grace(void **state) {
  (void)state;
  net_cm_t *cm = cm_new(2, 4, 1000);
  net_peerid_t p[6];
  net_cm_conn_t c[6];
  size_t out[6];
  for (int i = 0; i < 6; i++) {
    p[i] = peer((uint8_t)i);
    c[i] = (net_cm_conn_t){.peer = &p[i], .opened = 100 + (uint64_t)i,
                           .used = 100 + (uint64_t)i, .inbound = true};
  }
  /* At or under HighWater: nothing, and no trim counted. */
  assert_int_equal(net_cm_trim(cm, c, 4, 5000, out), 0);
  assert_false(cm->trimmed);
  /* Over it, but all within their grace period: nothing. */
  assert_int_equal(net_cm_trim(cm, c, 6, 500, out), 0);
  /* The silence period (the grace, 1 s, being shorter than 10 s). */
  assert_int_equal(net_cm_trim(cm, c, 6, 1400, out), 0);
  /* Out of grace and silence: down to LowWater, oldest-used first. */
  size_t n = net_cm_trim(cm, c, 6, 1600, out);
  assert_int_equal(n, 4);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(out[i], i);
  cm_end(cm);
}

static void test_trim_order(void **state) {
  (void)state;
  net_cm_t *cm = cm_new(1, 2, 10);
  net_peerid_t p[5];
  for (int i = 0; i < 5; i++)
    p[i] = peer((uint8_t)i);
  net_cm_conn_t c[5] = {
      /* busy, outbound, recently used: kept longest */
      {.peer = &p[0], .opened = 0, .used = 900, .streams = 3},
      /* busy, inbound */
      {.peer = &p[1], .opened = 0, .used = 900, .streams = 3, .inbound = true},
      /* idle, outbound */
      {.peer = &p[2], .opened = 0, .used = 800},
      /* idle, inbound, used recently */
      {.peer = &p[3], .opened = 0, .used = 700, .inbound = true},
      /* idle, inbound, used long ago: first to go */
      {.peer = &p[4], .opened = 0, .used = 100, .inbound = true},
  };
  size_t out[5];
  assert_int_equal(net_cm_trim(cm, c, 5, 1000, out), 4);
  assert_int_equal(out[0], 4);
  assert_int_equal(out[1], 3);
  assert_int_equal(out[2], 2);
  assert_int_equal(out[3], 1);
  cm_end(cm);
}

/* Young and protected connections are not candidates; with fewer than
 * LowWater candidates nothing is closed (go-libp2p's rule). */
static void test_trim_spares(void **state) {
  (void)state;
  net_cm_t *cm = cm_new(2, 3, 1000);
  net_peerid_t p[6];
  net_cm_conn_t c[6];
  size_t out[6];
  for (int i = 0; i < 6; i++) {
    p[i] = peer((uint8_t)i);
    c[i] = (net_cm_conn_t){.peer = &p[i], .opened = 0, .inbound = true};
  }
  c[0].opened = c[1].opened = c[2].opened = 10500; /* young until 11500 */
  assert_int_equal(net_cm_protect(cm, &p[3], "dht", true), 0);
  /* Candidates: 4 and 5 only: not more than LowWater. */
  assert_int_equal(net_cm_trim(cm, c, 6, 10000, out), 0);
  assert_int_equal(net_cm_protect(cm, &p[3], "dht", false), 0);
  /* 3, 4, 5 are candidates now: one goes, never a young one. */
  size_t n = net_cm_trim(cm, c, 6, 11000, out);
  assert_int_equal(n, 1);
  assert_true(out[0] >= 3);
  /* Disabled ("none"): never. */
  cm->cfg.enabled = false;
  assert_int_equal(net_cm_trim(cm, c, 6, 99000, out), 0);
  cm_end(cm);
}

static void test_protect_tags(void **state) {
  (void)state;
  net_cm_t *cm = cm_new(1, 2, 10);
  net_peerid_t a = peer(1), b = peer(2);
  assert_false(net_cm_protected(cm, &a));
  assert_int_equal(net_cm_protect(cm, &a, "dht", true), 0);
  assert_int_equal(net_cm_protect(cm, &a, "bitswap", true), 0);
  assert_int_equal(net_cm_protect(cm, &a, "dht", true), 0); /* again */
  assert_true(net_cm_protected(cm, &a));
  assert_false(net_cm_protected(cm, &b));
  assert_int_equal(net_cm_protect(cm, &a, "dht", false), 0);
  assert_true(net_cm_protected(cm, &a)); /* bitswap still holds it */
  assert_int_equal(net_cm_protect(cm, &a, "bitswap", false), 0);
  assert_false(net_cm_protected(cm, &a));
  assert_int_equal(net_cm_protect(cm, &b, "nope", false), 0);
  assert_int_equal(net_cm_protect(cm, &a, "", true), TR_EUSAGE);
  char big[NET_CM_TAG_MAX + 2];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  assert_int_equal(net_cm_protect(cm, &a, big, true), TR_EUSAGE);
  /* The table's cap. */
  char tag[16];
  for (int i = 0; i < NET_CM_PROTECT_MAX; i++) {
    snprintf(tag, sizeof tag, "t%d", i);
    assert_int_equal(net_cm_protect(cm, &b, tag, true), 0);
  }
  assert_int_equal(net_cm_protect(cm, &a, "one-more", true), TR_ELIMIT);
  cm_end(cm);
}

static void test_backoff(void **state) {
  (void)state;
  net_cm_t *cm = cm_new(1, 2, 10);
  net_peerid_t a = peer(1), b = peer(2), none = {0};
  static const uint8_t ma1[] = {4, 127, 0, 0, 1, 6, 0x0f, 0xa1};
  static const uint8_t ma2[] = {4, 127, 0, 0, 1, 6, 0x0f, 0xa2};
  uint64_t t = 1000000;
  assert_int_equal(net_backoff_left(cm, &a, ma1, sizeof ma1, t), 0);
  net_backoff_fail(cm, &a, ma1, sizeof ma1, t);
  /* 5 s for that peer at that address only. */
  assert_int_equal(net_backoff_left(cm, &a, ma1, sizeof ma1, t), 5000);
  assert_int_equal(net_backoff_left(cm, &a, ma1, sizeof ma1, t + 4999), 1);
  assert_int_equal(net_backoff_left(cm, &a, ma1, sizeof ma1, t + 5000), 0);
  assert_int_equal(net_backoff_left(cm, &a, ma2, sizeof ma2, t), 0);
  assert_int_equal(net_backoff_left(cm, &b, ma1, sizeof ma1, t), 0);
  assert_int_equal(net_backoff_left(cm, &none, ma1, sizeof ma1, t), 0);
  /* Failures in a row: 5 + 1 * tries^2 seconds. */
  t += 5000;
  net_backoff_fail(cm, &a, ma1, sizeof ma1, t);
  assert_int_equal(net_backoff_left(cm, &a, ma1, sizeof ma1, t), 6000);
  t += 6000;
  net_backoff_fail(cm, &a, ma1, sizeof ma1, t);
  assert_int_equal(net_backoff_left(cm, &a, ma1, sizeof ma1, t), 9000);
  /* Capped at 5 minutes. */
  for (int i = 0; i < 40; i++)
    net_backoff_fail(cm, &a, ma1, sizeof ma1, t);
  assert_int_equal(net_backoff_left(cm, &a, ma1, sizeof ma1, t), 300000);
  /* A success clears the peer, and the peerless entry of its address. */
  net_backoff_fail(cm, &a, ma2, sizeof ma2, t);
  net_backoff_fail(cm, &none, ma1, sizeof ma1, t);
  net_backoff_fail(cm, &b, ma1, sizeof ma1, t);
  net_backoff_clear(cm, &a, ma1, sizeof ma1);
  assert_int_equal(net_backoff_left(cm, &a, ma1, sizeof ma1, t), 0);
  assert_int_equal(net_backoff_left(cm, &a, ma2, sizeof ma2, t), 0);
  assert_int_equal(net_backoff_left(cm, &none, ma1, sizeof ma1, t), 0);
  assert_int_equal(net_backoff_left(cm, &b, ma1, sizeof ma1, t), 5000);
  /* Forgotten once expired for its next backoff (5 s + 1 s * 1^2): the
   * next failure is 5 s again. */
  t += 5000 + 5999;
  net_backoff_fail(cm, &b, ma2, sizeof ma2, t); /* (b, ma1) still known */
  assert_int_equal(cm->nbo, 2);
  t += 1;
  net_backoff_fail(cm, &b, ma1, sizeof ma1, t);
  assert_int_equal(net_backoff_left(cm, &b, ma1, sizeof ma1, t), 5000);
  cm_end(cm);
}

static void test_backoff_full(void **state) {
  (void)state;
  net_cm_t *cm = cm_new(1, 2, 10);
  uint8_t ma[8] = {4, 10, 0, 0, 0, 6, 0, 1};
  net_peerid_t none = {0};
  for (int i = 0; i < NET_BACKOFF_MAX + 10; i++) {
    ma[3] = (uint8_t)(i >> 8), ma[4] = (uint8_t)i;
    net_backoff_fail(cm, &none, ma, sizeof ma, 1000 + (uint64_t)i);
  }
  assert_int_equal(cm->nbo, NET_BACKOFF_MAX);
  /* The newest is there; the oldest made room. */
  assert_true(net_backoff_left(cm, &none, ma, sizeof ma, 2000) > 0);
  ma[3] = 0, ma[4] = 0;
  assert_int_equal(net_backoff_left(cm, &none, ma, sizeof ma, 2000), 0);
  cm_end(cm);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_trim_after_grace),
      cmocka_unit_test(test_trim_order),
      cmocka_unit_test(test_trim_spares),
      cmocka_unit_test(test_protect_tags),
      cmocka_unit_test(test_backoff),
      cmocka_unit_test(test_backoff_full),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

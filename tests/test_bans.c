/*
 * test_bans.c — net/bans.h: a ban holds until its time, ends by itself,
 * and each peer is told apart.
 */
#include "testutil.h"

#include "../net/bans.h"

static net_peerid_t peer(uint8_t n) {
  net_privkey_t k;
  uint8_t seed[32] = {n};
  net_privkey_from_seed(&k, seed);
  net_pubkey_t pk;
  net_privkey_pubkey(&k, &pk);
  net_peerid_t id;
  assert_int_equal(net_peerid_from_pubkey(&id, &pk), 0);
  return id;
}

static void test_bans(void **state) {
  (void)state;
  net_bans_t b = {0};
  net_peerid_t a = peer(1), c = peer(2), d = peer(3);
  assert_false(net_bans_has(&b, &a, 0));
  assert_int_equal(net_bans_add(&b, &a, 100), 0);
  assert_int_equal(net_bans_add(&b, &c, 200), 0);
  assert_true(net_bans_has(&b, &a, 99));
  assert_true(net_bans_has(&b, &c, 99));
  assert_false(net_bans_has(&b, &d, 99));
  assert_false(net_bans_has(&b, &a, 100)); /* over at its time, and gone */
  assert_true(net_bans_has(&b, &c, 150));
  assert_false(net_bans_has(&b, &a, 50));
  assert_false(net_bans_has(&b, &c, 250));
  assert_null(b.head); /* both dropped as they ended */
  assert_int_equal(net_bans_add(&b, &d, 1000), 0);
  net_bans_free(&b);
  assert_null(b.head);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_bans)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

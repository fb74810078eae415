/*
 * test_addrpolicy.c — net/addrpolicy.h: ranges at their edges (a prefix
 * that ends inside a byte, /0, /32, /128, IPv6 /7 and /10), a /dns address
 * inside no range, an IPv4 range that takes no IPv6 address; Announce,
 * AppendAnnounce and NoAnnounce as Kubo's makeAddrsFactory combines them
 * (duplicates once); and the entries refused, with the key named.
 */
#include "testutil.h"

#include "../net/addrpolicy.h"

static bool blocked(const net_ap_t *p, const char *s) {
  uint8_t b[NET_MA_MAX];
  int n = net_ma_parse(s, strlen(s), b, sizeof b);
  assert_true(n > 0);
  return net_ap_blocked(p, b, (size_t)n);
}

static void test_ranges(void **state) {
  (void)state;
  const char *f[] = {"/ip4/10.128.0.0/ipcidr/9", "/ip4/192.168.1.7/ipcidr/32",
                     "/ip6/fc00::/ipcidr/7", "/ip6/fe80::/ipcidr/10"};
  net_ap_t p;
  char err[256];
  assert_int_equal(net_ap_init(&p, NULL, 0, NULL, 0, NULL, 0, f, 4, err,
                               sizeof err),
                   0);
  assert_true(blocked(&p, "/ip4/10.128.0.1/tcp/1"));
  assert_true(blocked(&p, "/ip4/10.255.255.255/tcp/1"));
  assert_false(blocked(&p, "/ip4/10.127.255.255/tcp/1"));
  assert_false(blocked(&p, "/ip4/11.128.0.0/tcp/1"));
  assert_true(blocked(&p, "/ip4/192.168.1.7/tcp/4001/ws"));
  assert_false(blocked(&p, "/ip4/192.168.1.8/tcp/4001"));
  assert_true(blocked(&p, "/ip6/fd12::1/tcp/1"));
  assert_true(blocked(&p, "/ip6/fc00::/tcp/1"));
  assert_false(blocked(&p, "/ip6/fe00::1/tcp/1"));
  assert_true(blocked(&p, "/ip6/febf::1/tcp/1"));
  assert_false(blocked(&p, "/ip6/fec0::1/tcp/1"));
  assert_false(blocked(&p, "/dns4/10.128.0.1/tcp/1"));
  assert_false(blocked(&p, "/ip6/::ffff:10.128.0.1/tcp/1"));
  net_ap_free(&p);
  const char *all[] = {"/ip4/0.0.0.0/ipcidr/0"};
  assert_int_equal(net_ap_init(&p, NULL, 0, NULL, 0, NULL, 0, all, 1, err,
                               sizeof err),
                   0);
  assert_true(blocked(&p, "/ip4/255.1.2.3/tcp/1"));
  assert_false(blocked(&p, "/ip6/::1/tcp/1"));
  net_ap_free(&p);
}

static void test_announce(void **state) {
  (void)state;
  char in[3][NET_MA_STR_MAX / 16] = {"/ip4/127.0.0.1/tcp/1",
                                     "/ip4/192.168.0.5/tcp/1",
                                     "/ip6/::1/tcp/1"};
  char out[8][NET_MA_STR_MAX / 16];
  net_ap_t p;
  char err[256];
  /* No settings: the listen addresses. */
  assert_int_equal(net_ap_init(&p, NULL, 0, NULL, 0, NULL, 0, NULL, 0, err,
                               sizeof err),
                   0);
  assert_int_equal(net_ap_announce(&p, in, 3, out, 8), 3);
  net_ap_free(&p);
  /* NoAnnounce over them, AppendAnnounce added (once). */
  const char *no[] = {"/ip4/192.168.0.0/ipcidr/16", "/ip6/::1/tcp/1"};
  const char *app[] = {"/dns4/a.example/tcp/4001", "/dns4/a.example/tcp/4001"};
  assert_int_equal(net_ap_init(&p, NULL, 0, app, 2, no, 2, NULL, 0, err,
                               sizeof err),
                   0);
  assert_int_equal(net_ap_announce(&p, in, 3, out, 8), 2);
  assert_string_equal(out[0], "/ip4/127.0.0.1/tcp/1");
  assert_string_equal(out[1], "/dns4/a.example/tcp/4001");
  /* max smaller than the answer: more than max says so */
  assert_true(net_ap_announce(&p, in, 3, out, 1) > 1);
  assert_string_equal(out[0], "/ip4/127.0.0.1/tcp/1");
  net_ap_free(&p);
  /* Announce replaces them; NoAnnounce filters it too. */
  const char *ann[] = {"/ip4/1.2.3.4/tcp/1", "/ip4/192.168.9.9/tcp/1"};
  assert_int_equal(net_ap_init(&p, ann, 2, NULL, 0, no, 2, NULL, 0, err,
                               sizeof err),
                   0);
  assert_int_equal(net_ap_announce(&p, in, 3, out, 8), 1);
  assert_string_equal(out[0], "/ip4/1.2.3.4/tcp/1");
  net_ap_free(&p);
}

static void test_refused(void **state) {
  (void)state;
  net_ap_t p;
  char err[256];
  const char *bad_ann[] = {"/ip4/1.2.3.4/tcp/1", "nope"};
  assert_int_equal(net_ap_init(&p, bad_ann, 2, NULL, 0, NULL, 0, NULL, 0,
                               err, sizeof err),
                   TR_EUSAGE);
  assert_non_null(strstr(err, "Addresses.Announce"));
  const char *bad_no[] = {"/ip4/1.2.3.4/ipcidr/99x"};
  assert_int_equal(net_ap_init(&p, NULL, 0, NULL, 0, bad_no, 1, NULL, 0, err,
                               sizeof err),
                   TR_EUSAGE);
  assert_non_null(strstr(err, "Addresses.NoAnnounce"));
  const char *bad_f[] = {"/ip4/1.2.3.0/ipcidr/33", "/ip4/1.2.3.4/tcp/1",
                         "/ipcidr/8", "/ip4/1.2.3.4/ipcidr/8/tcp/1"};
  for (size_t i = 0; i < TR_ARRAY_LEN(bad_f); i++) {
    assert_int_equal(net_ap_init(&p, NULL, 0, NULL, 0, NULL, 0, &bad_f[i], 1,
                                 err, sizeof err),
                     TR_EUSAGE);
    assert_non_null(strstr(err, "Swarm.AddrFilters"));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ranges),
      cmocka_unit_test(test_announce),
      cmocka_unit_test(test_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

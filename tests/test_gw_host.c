/*
 * test_gw_host.c — the gateway's hostnames (gw_host.c): which CONNECT
 * targets name the gateway itself (answered 200, the tunnel served by the
 * gateway) and which are another host's (403: the gateway is no proxy).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "../gateway/gw_int.h"

static void test_connect_targets(void **state) {
  (void)state;
  gw_hosts_t hosts = {0};
  assert_int_equal(gw_hosts_add(&hosts, "example.com", true, true), 0);
  gw_ctx_t ctx = {0};
  ctx.hosts = &hosts;
  /* Its own address and port, as the client reached it. */
  assert_true(gw__connect_ok(&ctx, "127.0.0.1:8080", "127.0.0.1", 8080));
  assert_true(gw__connect_ok(&ctx, "localhost:8080", "127.0.0.1", 8080));
  assert_true(gw__connect_ok(&ctx, "LocalHost:8080", "127.0.0.1", 8080));
  assert_true(gw__connect_ok(&ctx, "[::1]:8080", "::1", 8080));
  assert_true(gw__connect_ok(&ctx, "[0::1]:8080", "::1", 8080));
  assert_true(gw__connect_ok(&ctx, "192.0.2.7:80", "192.0.2.7", 80));
  /* A gateway host or its subdomains, at this port or 80. */
  assert_true(gw__connect_ok(&ctx, "example.com:8080", "127.0.0.1", 8080));
  assert_true(gw__connect_ok(&ctx, "bafyx.ipfs.example.com:80", "127.0.0.1", 8080));
  assert_true(gw__connect_ok(&ctx, "k51x.ipns.example.com:8080", "127.0.0.1", 8080));
  /* Anything else is another host. */
  assert_false(gw__connect_ok(&ctx, "127.0.0.1:25", "127.0.0.1", 8080));
  assert_false(gw__connect_ok(&ctx, "127.0.0.2:8080", "127.0.0.1", 8080));
  assert_false(gw__connect_ok(&ctx, "10.0.0.1:8080", "127.0.0.1", 8080));
  assert_false(gw__connect_ok(&ctx, "localhost:8080", "192.0.2.7", 8080));
  assert_false(gw__connect_ok(&ctx, "[::1]:8080", "127.0.0.1", 8080));
  assert_false(gw__connect_ok(&ctx, "example.com:443", "127.0.0.1", 8080));
  assert_false(gw__connect_ok(&ctx, "example.org:80", "127.0.0.1", 8080));
  assert_false(gw__connect_ok(&ctx, "evil.example.com.attacker.net:80", "127.0.0.1", 8080));
  assert_false(gw__connect_ok(&ctx, "example.com.:80", "127.0.0.1", 8080));
  /* Malformed: no port, an empty host, junk after the port, bare IPv6,
   * userinfo, a path. */
  assert_false(gw__connect_ok(&ctx, "127.0.0.1", "127.0.0.1", 8080));
  assert_false(gw__connect_ok(&ctx, ":8080", "127.0.0.1", 8080));
  assert_false(gw__connect_ok(&ctx, "127.0.0.1:8080x", "127.0.0.1", 8080));
  assert_false(gw__connect_ok(&ctx, "127.0.0.1:", "127.0.0.1", 8080));
  assert_false(gw__connect_ok(&ctx, "::1:8080", "::1", 8080));
  assert_false(gw__connect_ok(&ctx, "[::1]8080", "::1", 8080));
  assert_false(gw__connect_ok(&ctx, "u@127.0.0.1:8080", "127.0.0.1", 8080));
  assert_false(gw__connect_ok(&ctx, "example.com/x:80", "127.0.0.1", 8080));
  assert_false(gw__connect_ok(&ctx, "", "127.0.0.1", 8080));
  /* No gateway hosts configured: only the address. */
  ctx.hosts = NULL;
  assert_false(gw__connect_ok(&ctx, "example.com:8080", "127.0.0.1", 8080));
  assert_true(gw__connect_ok(&ctx, "127.0.0.1:8080", "127.0.0.1", 8080));
  gw_hosts_free(&hosts);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_connect_targets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

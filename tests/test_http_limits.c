/*
 * test_http_limits.c — the HTTP server's limits and failure paths on real
 * loopback sockets: per-address connection accounting, an allocation
 * failure sweep over whole requests (HTTP/1.1 and HTTP/2), and HTTP/2
 * resource bounds (header values, zero-window streams, send timeouts,
 * upload flow control, rapid reset).  Each regression test is named after
 * the bug it covers.
 */
#include "http_harness.h"

/* ------------------------------------------------ connection accounting */

/* 2,001 connections locked an address out until restart: a connection
 * refused by the per-address limit was not counted, but its close
 * decremented the counter, which wrapped. */
static void test_conn_limit_refused_do_not_lock_out(void **state) {
  (void)state;
  gw_limits_t lim;
  gw_limits_default(&lim);
  lim.max_conns_per_ip = 3;
  start(&lim);
  int fds[8];
  for (int i = 0; i < 8; i++)
    fds[i] = dial();
  /* The five over the limit are closed by the server. */
  int refused = 0;
  for (int i = 0; i < 8; i++)
    refused += peer_closed(fds[i], i < 3 ? 50 : 2000);
  assert_int_equal(refused, 5);
  for (int i = 0; i < 8; i++)
    close(fds[i]);
  assert_int_equal(wait_conns_zero(), 0);
  assert_int_equal(gw_server_conns_from(srv, "127.0.0.1"), 0);
  /* The address is served again, up to its limit. */
  char buf[4096];
  for (int i = 0; i < 3; i++) {
    fds[i] = dial();
    send_str(fds[i], "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    recv_until(fds[i], buf, sizeof buf, "q=", 1);
    assert_non_null(strstr(buf, "200 OK"));
  }
  assert_int_equal(gw_server_conns_from(srv, "127.0.0.1"), 3);
  for (int i = 0; i < 3; i++)
    close(fds[i]);
  assert_int_equal(wait_conns_zero(), 0);
  assert_int_equal(gw_server_conns_from(srv, "127.0.0.1"), 0);
  stop();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conn_limit_refused_do_not_lock_out),
  };
  return cmocka_run_group_tests_name("http_limits", tests, NULL, NULL);
}

/*
 * test_http.c — the HTTP/1.1 server core on a real loopback socket: keep-
 * alive, pipelining, chunked and HEAD responses, HTTP/1.0, request bodies,
 * limits (header size, slowloris timeout, rate), malformed input, and
 * back-pressure (a slow reader never makes the server queue more than a
 * bounded amount).  The server runs its loop in a thread; the test talks to
 * it with plain blocking sockets.
 */
#include "http_harness.h"

/* ----------------------------------------------------------------- tests */

static void test_keepalive_and_pipelining(void **state) {
  (void)state;
  start(NULL);
  int fd = dial();
  char buf[8192];
  const char *req = "GET /hello?a=1 HTTP/1.1\r\nHost: x\r\nX-Test: one\r\n\r\n";
  send_all(fd, req, strlen(req));
  recv_until(fd, buf, sizeof buf, "q=a=1", 1);
  assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
  assert_non_null(strstr(buf, "hello GET one q=a=1"));
  assert_null(strstr(buf, "Connection: close"));
  /* Three pipelined requests in one write: three answers, in order. */
  const char *three = "GET /hello?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                      "HEAD /hello?n=2 HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /hello?n=3 HTTP/1.1\r\nHost: x\r\n\r\n";
  send_all(fd, three, strlen(three));
  recv_until(fd, buf, sizeof buf, "q=n=3", 1);
  char *a = strstr(buf, "q=n=1"), *c = strstr(buf, "q=n=3");
  assert_non_null(a);
  assert_non_null(c);
  assert_true(a < c);
  assert_null(strstr(buf, "q=n=2")); /* HEAD: no body */
  int heads = 0;
  for (char *p = buf; (p = strstr(p, "HTTP/1.1 200")); p++)
    heads++;
  assert_int_equal(heads, 3);
  close(fd);
  stop();
}

static void test_chunked_and_http10(void **state) {
  (void)state;
  start(NULL);
  int fd = dial();
  char buf[4096];
  send_all(fd, "GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n", 35);
  recv_until(fd, buf, sizeof buf, "0\r\n\r\n", 1);
  assert_non_null(strstr(buf, "Transfer-Encoding: chunked"));
  assert_non_null(strstr(buf, "3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n"));
  close(fd);
  /* HTTP/1.0 without keep-alive: the server closes after the answer. */
  fd = dial();
  send_all(fd, "GET /chunked HTTP/1.0\r\n\r\n", 25);
  size_t n = recv_until(fd, buf, sizeof buf, NULL, 0);
  assert_true(n > 0);
  assert_null(strstr(buf, "chunked"));
  assert_non_null(strstr(buf, "abcdefgh"));
  close(fd);
  stop();
}

static void test_request_body(void **state) {
  (void)state;
  start(NULL);
  int fd = dial();
  char buf[4096];
  const char *r1 = "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789";
  send_all(fd, r1, strlen(r1));
  recv_until(fd, buf, sizeof buf, "status 0", 1);
  assert_non_null(strstr(buf, "got 10 status 0"));
  const char *r2 = "POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n";
  send_all(fd, r2, strlen(r2));
  recv_until(fd, buf, sizeof buf, "got 7", 1);
  assert_non_null(strstr(buf, "got 7 status 0"));
  close(fd);
  stop();
}

static void test_bad_requests(void **state) {
  (void)state;
  gw_limits_t lim;
  gw_limits_default(&lim);
  lim.max_header_bytes = 1024;
  start(&lim);
  char buf[4096];
  int fd = dial();
  send_all(fd, "BLAH\r\n\r\n", 8);
  recv_until(fd, buf, sizeof buf, NULL, 0);
  assert_non_null(strstr(buf, "HTTP/1.1 400"));
  close(fd);
  /* Oversized header: 431, and the server goes on serving others. */
  fd = dial();
  char big[4096];
  int n = snprintf(big, sizeof big, "GET /hello HTTP/1.1\r\nX-Big: ");
  memset(big + n, 'a', 2000);
  memcpy(big + n + 2000, "\r\n\r\n", 4);
  send_all(fd, big, (size_t)n + 2004);
  recv_until(fd, buf, sizeof buf, NULL, 0);
  assert_non_null(strstr(buf, "HTTP/1.1 431"));
  close(fd);
  fd = dial();
  send_all(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", 33);
  recv_until(fd, buf, sizeof buf, "q=", 1);
  assert_non_null(strstr(buf, "200 OK"));
  close(fd);
  stop();
}

static void test_slowloris_timeout(void **state) {
  (void)state;
  gw_limits_t lim;
  gw_limits_default(&lim);
  lim.header_timeout_ms = 300;
  start(&lim);
  int fd = dial();
  struct timeval t0, t1;
  gettimeofday(&t0, NULL);
  /* A byte every 100 ms never finishes a header: cut off at ~300 ms even
   * though bytes keep coming. */
  const char *slow = "GET /hello HTTP/1.1\r\nX-A: b";
  ssize_t closed = 1;
  for (int i = 0; slow[i] && closed > 0; i++) {
    if (write(fd, slow + i, 1) != 1)
      break;
    usleep(100000);
    char c;
    struct timeval tv = {0, 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    closed = read(fd, &c, 1);
    if (closed < 0)
      closed = 1; /* timeout: still open */
  }
  gettimeofday(&t1, NULL);
  double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_usec - t0.tv_usec) / 1e3;
  assert_int_equal(closed, 0);
  assert_true(ms < 2000);
  close(fd);
  stop();
}

static void test_rate_limit(void **state) {
  (void)state;
  gw_limits_t lim;
  gw_limits_default(&lim);
  lim.rate_per_ip = 1;
  lim.rate_burst = 3;
  start(&lim);
  int fd = dial();
  char buf[16384];
  char reqs[1024] = "";
  for (int i = 0; i < 5; i++)
    strcat(reqs, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  send_all(fd, reqs, strlen(reqs));
  recv_until(fd, buf, sizeof buf, "HTTP/1.1 429", 2);
  int ok = 0, limited = 0;
  for (char *p = buf; (p = strstr(p, "HTTP/1.1 ")); p++) {
    ok += !strncmp(p, "HTTP/1.1 200", 12);
    limited += !strncmp(p, "HTTP/1.1 429", 12);
  }
  assert_int_equal(ok, 3);
  assert_int_equal(limited, 2);
  close(fd);
  stop();
}

static void test_backpressure(void **state) {
  (void)state;
  start(NULL);
  max_buffered = stream_total = 0;
  int fd = dial();
  size_t want = 64u << 20;
  char req[128];
  int n = snprintf(req, sizeof req, "GET /stream?%zu HTTP/1.1\r\nHost: x\r\n\r\n", want);
  send_all(fd, req, (size_t)n);
  /* Read slowly at first: the server must stop producing, not queue. */
  static char buf[1 << 16];
  size_t got = 0;
  for (int i = 0; i < 20; i++) {
    ssize_t r = read(fd, buf, sizeof buf);
    assert_true(r > 0);
    got += (size_t)r;
    usleep(20000);
  }
  assert_true(stream_total < want / 2);
  /* Then everything arrives. */
  while (got < want) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  assert_true(got >= want);
  assert_true(max_buffered <= GW_HIGH_WATER + (128u << 10));
  close(fd);
  stop();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keepalive_and_pipelining),
      cmocka_unit_test(test_chunked_and_http10),
      cmocka_unit_test(test_request_body),
      cmocka_unit_test(test_bad_requests),
      cmocka_unit_test(test_slowloris_timeout),
      cmocka_unit_test(test_rate_limit),
      cmocka_unit_test(test_backpressure),
  };
  return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}

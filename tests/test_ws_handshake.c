/*
 * test_ws_handshake.c — the WebSocket transport's HTTP upgrade (net/ws.h,
 * RFC 6455 section 4); the frames are test_ws.c's.
 *
 *   - RFC 6455's Sec-WebSocket-Accept example (section 1.3).
 *   - Request -> server -> client round trip, a wrong key refused, every
 *     proper prefix incomplete, frames after a head left alone (RFC 6455
 *     5.7's "Hello" frames), too small a buffer either way.
 *   - The NET_WS_HEAD_MAX boundary.
 *   - Each refusal the server and the client make, and the variants they
 *     must accept (any case, token lists, whitespace).
 */
#include "testutil.h"

#include <stdbool.h>

#include "../net/ws.h"

/* RFC 6455 5.7: "Hello" from a client (masked) and from a server. */
static const uint8_t MASKED_HELLO[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                       0x7f, 0x9f, 0x4d, 0x51, 0x58};
static const uint8_t HELLO_FRAME[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};

static void test_rfc_accept(void **state) {
  (void)state;
  char acc[NET_WS_ACCEPT_B64 + 1];
  memset(acc, 'x', sizeof acc);
  net_ws_accept("dGhlIHNhbXBsZSBub25jZQ==", 24, acc);
  assert_string_equal(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}


/* ---------------------------------------------------------- handshake */

static const uint8_t KEY[NET_WS_KEY_LEN] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
                                            0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98,
                                            0x76, 0x54, 0x32, 0x10};

static int server(const char *head, char *resp, size_t *rlen) {
  static char r[512];
  size_t rl = 0;
  int rc = net_ws_server_head((const uint8_t *)head, strlen(head),
                              resp ? resp : r, 512, rlen ? rlen : &rl);
  return rc;
}

static void test_handshake_roundtrip(void **state) {
  (void)state;
  char req[NET_WS_HEAD_MAX];
  int n = net_ws_request(req, sizeof req, "[::1]:4001", KEY);
  assert_true(n > 0);
  assert_int_equal((size_t)n, strlen(req));
  assert_non_null(strstr(req, "\r\nHost: [::1]:4001\r\n"));
  /* base64 of KEY. */
  assert_non_null(strstr(req, "\r\nSec-WebSocket-Key: ASNFZ4mrze/+3LqYdlQyEA==\r\n"));
  char resp[512];
  size_t rlen = 0;
  assert_int_equal(net_ws_server_head((const uint8_t *)req, (size_t)n, resp,
                                      sizeof resp, &rlen),
                   n);
  assert_true(rlen > 0 && rlen < sizeof resp);
  assert_int_equal(rlen, strlen(resp));
  assert_true(!strncmp(resp, "HTTP/1.1 101 ", 13));
  assert_int_equal(net_ws_client_head((const uint8_t *)resp, rlen, KEY),
                   (int)rlen);
  char resp2[512];
  memcpy(resp2, resp, rlen);
  for (int i = 0; i < NET_WS_KEY_LEN; i++) {
    uint8_t other[NET_WS_KEY_LEN];
    memcpy(other, KEY, sizeof other);
    other[i] ^= 0x80;
    assert_int_equal(net_ws_client_head((const uint8_t *)resp, rlen, other),
                     TR_EPROTO);
  }
  /* Every proper prefix is incomplete, both ways. */
  for (int i = 0; i < n; i++)
    assert_int_equal(net_ws_server_head((const uint8_t *)req, (size_t)i, resp,
                                        sizeof resp, &rlen),
                     0);
  for (size_t i = 0; i < rlen; i++)
    assert_int_equal(net_ws_client_head((const uint8_t *)resp2, i, KEY), 0);
  /* Frames right behind a head are not the head's. */
  uint8_t more[NET_WS_HEAD_MAX + 64];
  memcpy(more, req, (size_t)n);
  size_t fn = sizeof MASKED_HELLO;
  memcpy(more + n, MASKED_HELLO, fn);
  assert_int_equal(net_ws_server_head(more, (size_t)n + fn, resp, sizeof resp,
                                      &rlen),
                   n);
  memcpy(more, resp2, rlen);
  fn = sizeof HELLO_FRAME;
  memcpy(more + rlen, HELLO_FRAME, fn);
  /* Bytes that look like a head's end come after the real one. */
  memcpy(more + rlen + fn, "\r\n\r\n", 4);
  assert_int_equal(net_ws_client_head(more, rlen + fn + 4, KEY), (int)rlen);
  /* Too small a buffer, either way. */
  assert_int_equal(net_ws_request(req, 40, "[::1]:4001", KEY), TR_ETOOBIG);
  n = net_ws_request(req, sizeof req, "[::1]:4001", KEY);
  assert_int_equal(net_ws_request(req, (size_t)n, "[::1]:4001", KEY),
                   TR_ETOOBIG);
  assert_int_equal(net_ws_request(req, (size_t)n + 1, "[::1]:4001", KEY), n);
  assert_int_equal(net_ws_server_head((const uint8_t *)req, (size_t)n, resp,
                                      20, &rlen),
                   TR_ETOOBIG);
}

/* A request from its parts; fields in the order given. */
#define REQ_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define L_HOST "Host: h:1\r\n"
#define L_UP "Upgrade: websocket\r\n"
#define L_CONN "Connection: Upgrade\r\n"
#define L_KEY "Sec-WebSocket-Key: " REQ_KEY "\r\n"
#define L_VER "Sec-WebSocket-Version: 13\r\n"
#define GOOD_REQ "GET /chat HTTP/1.1\r\n" L_HOST L_UP L_CONN L_KEY L_VER "\r\n"

static void test_server_refusals(void **state) {
  (void)state;
  char resp[512];
  size_t rlen;
  assert_int_equal(server(GOOD_REQ, resp, &rlen), (int)strlen(GOOD_REQ));
  assert_non_null(strstr(resp, "\r\nSec-WebSocket-Accept: "
                               "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
  static const char *bad[] = {
      "POST /chat HTTP/1.1\r\n" L_HOST L_UP L_CONN L_KEY L_VER "\r\n",
      "get /chat HTTP/1.1\r\n" L_HOST L_UP L_CONN L_KEY L_VER "\r\n",
      "GET /chat HTTP/1.0\r\n" L_HOST L_UP L_CONN L_KEY L_VER "\r\n",
      "GET /chat HTTP/2.0\r\n" L_HOST L_UP L_CONN L_KEY L_VER "\r\n",
      "GET /chat\r\n" L_HOST L_UP L_CONN L_KEY L_VER "\r\n",
      "GET HTTP/1.1\r\n" L_HOST L_UP L_CONN L_KEY L_VER "\r\n",
      /* Each field missing. */
      "GET / HTTP/1.1\r\n" L_UP L_CONN L_KEY L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_CONN L_KEY L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP L_KEY L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP L_CONN L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP L_CONN L_KEY "\r\n",
      /* Given twice. */
      "GET / HTTP/1.1\r\n" L_HOST L_UP L_UP L_CONN L_KEY L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP "upgrade: WebSocket\r\n" L_CONN L_KEY
      L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP L_CONN L_KEY L_KEY L_VER "\r\n",
      /* The wrong values. */
      "GET / HTTP/1.1\r\n" L_HOST "Upgrade: h2c\r\n" L_CONN L_KEY L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST "Upgrade: websockets\r\n" L_CONN L_KEY L_VER
      "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP "Connection: keep-alive\r\n" L_KEY L_VER
      "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP "Connection: upgraded\r\n" L_KEY L_VER
      "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP "Connection: keep-alive upgrade\r\n"
      L_KEY L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP L_CONN L_KEY
      "Sec-WebSocket-Version: 8\r\n\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP L_CONN L_KEY
      "Sec-WebSocket-Version: 130\r\n\r\n",
      /* Keys: too short, too long, a bad character, no padding. */
      "GET / HTTP/1.1\r\n" L_HOST L_UP L_CONN
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=\r\n" L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP L_CONN
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ===\r\n" L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP L_CONN
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQQ==\r\n" L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP L_CONN
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j*Q==\r\n" L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP L_CONN
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub2 jZQ==\r\n" L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP L_CONN
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQAA\r\n" L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP L_CONN "Sec-WebSocket-Key:\r\n" L_VER
      "\r\n",
      /* A response, not a request. */
      "HTTP/1.1 101 Switching Protocols\r\n" L_UP L_CONN "\r\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = server(bad[i], NULL, NULL);
    if (rc != TR_EPROTO)
      fail_msg("request %zu taken (%d):\n%s", i, rc, bad[i]);
  }
  static const char *good[] = {
      GOOD_REQ,
      /* Tokens in lists, any case; any field order and spacing. */
      "GET / HTTP/1.1\r\n" L_HOST L_UP "Connection: keep-alive, Upgrade\r\n"
      L_KEY L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST L_UP "Connection: UPGRADE\r\n" L_KEY L_VER
      "\r\n",
      "GET / HTTP/1.1\r\n" L_HOST "Upgrade: WebSocket\r\n"
      "Connection: upgrade,keep-alive\r\n" L_KEY L_VER "\r\n",
      "GET / HTTP/1.1\r\n" L_VER L_KEY L_CONN L_UP L_HOST "\r\n",
      "GET /p2p?x=1 HTTP/1.1\r\nhost:h:1\r\nupgrade:\twebsocket \r\n"
      "CONNECTION:  Upgrade\r\nsec-websocket-key: " REQ_KEY "  \r\n"
      "sec-websocket-version:13\r\nOrigin: http://evil.example\r\n"
      "User-Agent: Go-http-client/1.1\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    int rc = server(good[i], resp, &rlen);
    if (rc != (int)strlen(good[i]))
      fail_msg("request %zu refused (%d):\n%s", i, rc, good[i]);
    /* The accept is the key's, whatever the spacing around it. */
    assert_non_null(strstr(resp, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
  }
}

/* The head limit: a head of exactly NET_WS_HEAD_MAX bytes is taken, one
 * byte more is not, and a head that has not ended by then is refused
 * (while under it, it may still end). */
static void test_head_max(void **state) {
  (void)state;
  static char h[NET_WS_HEAD_MAX + 64];
  const char *start = "GET / HTTP/1.1\r\n" L_HOST L_UP L_CONN L_KEY L_VER;
  size_t sl = strlen(start);
  for (size_t total = NET_WS_HEAD_MAX - 1; total <= NET_WS_HEAD_MAX + 1;
       total++) {
    /* start, "X-Pad: aaa...\r\n", "\r\n": total bytes. */
    size_t pad = total - sl - 2 - 2 - 7;
    memcpy(h, start, sl);
    memcpy(h + sl, "X-Pad: ", 7);
    memset(h + sl + 7, 'a', pad);
    memcpy(h + sl + 7 + pad, "\r\n\r\n", 5);
    assert_int_equal(strlen(h), total);
    char resp[512];
    size_t rlen;
    int rc = net_ws_server_head((const uint8_t *)h, total, resp, sizeof resp,
                                &rlen);
    assert_int_equal(rc, total <= NET_WS_HEAD_MAX ? (int)total : TR_EPROTO);
    /* Without its empty line: incomplete under the limit, refused at it. */
    for (size_t n = NET_WS_HEAD_MAX - 2; n <= NET_WS_HEAD_MAX + 1; n++) {
      memset(h + sl + 7, 'a', NET_WS_HEAD_MAX + 32 - sl - 7);
      rc = net_ws_server_head((const uint8_t *)h, n, resp, sizeof resp, &rlen);
      assert_int_equal(rc, n < NET_WS_HEAD_MAX ? 0 : TR_EPROTO);
      rc = net_ws_client_head((const uint8_t *)h, n, KEY);
      assert_int_equal(rc, n < NET_WS_HEAD_MAX ? 0 : TR_EPROTO);
    }
  }
}

static void test_client_refusals(void **state) {
  (void)state;
  char req[512], resp[512];
  size_t rlen;
  int n = net_ws_request(req, sizeof req, "h:1", KEY);
  assert_true(n > 0);
  assert_int_equal(net_ws_server_head((const uint8_t *)req, (size_t)n, resp,
                                      sizeof resp, &rlen),
                   n);
  const char *acc = strstr(resp, "Sec-WebSocket-Accept: ");
  assert_non_null(acc);
  char a[NET_WS_ACCEPT_B64 + 1];
  memcpy(a, acc + 22, NET_WS_ACCEPT_B64);
  a[NET_WS_ACCEPT_B64] = 0;
  char wrong[NET_WS_ACCEPT_B64 + 1];
  memcpy(wrong, a, sizeof wrong);
  wrong[3] = wrong[3] == 'A' ? 'B' : 'A';
  char buf[1024];
#define RESP(first, up, conn, accept)                                       \
  (snprintf(buf, sizeof buf, "%s\r\n%s%sSec-WebSocket-Accept: %s\r\n\r\n",  \
            first, up, conn, accept),                                       \
   net_ws_client_head((const uint8_t *)buf, strlen(buf), KEY))
  const char *up = "Upgrade: websocket\r\n", *conn = "Connection: Upgrade\r\n";
  int len = RESP("HTTP/1.1 101 Switching Protocols", up, conn, a);
  assert_int_equal(len, (int)strlen(buf));
  /* Variants taken: no reason phrase, other case, token lists. */
  assert_true(RESP("HTTP/1.1 101", up, conn, a) > 0);
  assert_true(RESP("HTTP/1.1 101 OK", "upgrade: WebSocket\r\n",
                   "connection: keep-alive, upgrade\r\nServer: x\r\n", a) > 0);
  /* Refused. */
  assert_int_equal(RESP("HTTP/1.1 200 OK", up, conn, a), TR_EPROTO);
  assert_int_equal(RESP("HTTP/1.1 1010 Odd", up, conn, a), TR_EPROTO);
  assert_int_equal(RESP("HTTP/1.1 100 Continue", up, conn, a), TR_EPROTO);
  assert_int_equal(RESP("HTTP/1.1 111 Odd", up, conn, a), TR_EPROTO);
  assert_int_equal(RESP("HTTP/1.0 101 Switching Protocols", up, conn, a),
                   TR_EPROTO);
  assert_int_equal(RESP("HTTP/1.1 400 Bad Request", up, conn, a), TR_EPROTO);
  assert_int_equal(RESP("HTTP/1.1 101 Switching Protocols", up, conn, wrong),
                   TR_EPROTO);
  assert_int_equal(RESP("HTTP/1.1 101 Switching Protocols", up, conn,
                        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
                   TR_EPROTO);
  assert_int_equal(RESP("HTTP/1.1 101 Switching Protocols", "", conn, a),
                   TR_EPROTO);
  assert_int_equal(RESP("HTTP/1.1 101 Switching Protocols", "Upgrade: h2c\r\n",
                        conn, a),
                   TR_EPROTO);
  assert_int_equal(RESP("HTTP/1.1 101 Switching Protocols", up, "", a),
                   TR_EPROTO);
  assert_int_equal(RESP("HTTP/1.1 101 Switching Protocols", up,
                        "Connection: close\r\n", a),
                   TR_EPROTO);
  /* An accept one character short or long. */
  char shorter[NET_WS_ACCEPT_B64];
  memcpy(shorter, a, NET_WS_ACCEPT_B64 - 1);
  shorter[NET_WS_ACCEPT_B64 - 1] = 0;
  assert_int_equal(RESP("HTTP/1.1 101 Switching Protocols", up, conn, shorter),
                   TR_EPROTO);
  char longer[NET_WS_ACCEPT_B64 + 2];
  snprintf(longer, sizeof longer, "%sA", a);
  assert_int_equal(RESP("HTTP/1.1 101 Switching Protocols", up, conn, longer),
                   TR_EPROTO);
  /* No accept at all, or two. */
  snprintf(buf, sizeof buf, "HTTP/1.1 101 Switching Protocols\r\n%s%s\r\n", up,
           conn);
  assert_int_equal(net_ws_client_head((const uint8_t *)buf, strlen(buf), KEY),
                   TR_EPROTO);
  snprintf(buf, sizeof buf,
           "HTTP/1.1 101 Switching Protocols\r\n%s%sSec-WebSocket-Accept: "
           "%s\r\nSec-WebSocket-Accept: %s\r\n\r\n",
           up, conn, a, a);
  assert_int_equal(net_ws_client_head((const uint8_t *)buf, strlen(buf), KEY),
                   TR_EPROTO);
  /* A head with nothing in it. */
  assert_int_equal(net_ws_client_head((const uint8_t *)"\r\n\r\n", 4, KEY),
                   TR_EPROTO);
  assert_int_equal(server("\r\n\r\n", NULL, NULL), TR_EPROTO);
#undef RESP
}
int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc_accept),
      cmocka_unit_test(test_handshake_roundtrip),
      cmocka_unit_test(test_server_refusals),
      cmocka_unit_test(test_head_max),
      cmocka_unit_test(test_client_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

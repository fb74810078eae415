/*
 * test_ws.c — the WebSocket transport's wire (net/ws.h, RFC 6455).
 *
 *   - RFC 6455's own examples: every frame of section 5.7 (unmasked and masked "Hello", "Hel" +
 *     "lo", a ping and its masked pong, the 256-byte and 64 KiB headers),
 *     each read by the role that may receive it and refused by the other
 *     (a client reads unmasked frames only, a server masked ones only).
 *   - gorilla/websocket's bytes (tests/vectors/ws/frames.txt, made by
 *     tests/vectors/ws/gen): both directions, messages of 0 to 100000
 *     bytes, fragmented ones with pings and pongs between the fragments, a
 *     close; whole, cut at every byte offset and in random pieces, the
 *     data, the last ping and the close come out the same.  Its handshakes
 *     too: trove's request is byte for byte what the generator sent
 *     gorilla's server, whose answer trove's client takes; gorilla's
 *     request gets from trove's server the answer gorilla's server gave.
 *   - Streams built here, cut everywhere: control frames between
 *     fragments, empty frames of every kind, a ping's pong (masked and
 *     not, read back by the other role), a close (and that nothing after
 *     it is read, junk included).
 *   - Encoding: net_ws_header's bytes for lengths at each size boundary up
 *     to 2^32, masked and not, read back by the other role.
 *   - Hostile frames, each TR_EPROTO with no data out, at the header's last
 *     byte when fed byte by byte, next to a near twin that is accepted:
 *     reserved bits, unknown opcodes, long or fragmented control frames,
 *     continuations with nothing to continue, a data frame inside a
 *     fragmented message, the wrong masking, a length with its top bit set.
 * The handshake on its own is test_ws_handshake.c's.
 * Regenerate the vectors with tests/vectors/ws/gen.sh (Go).
 */
#include "testutil.h"

#include <stdbool.h>

#include "../net/ws.h"

#define FRAMES "tests/vectors/ws/frames.txt"
#define BIG (1u << 18) /* larger than any vector's wire */

static uint64_t rnd = 0x9e3779b97f4a7c15u;
static uint64_t next_rnd(void) {
  rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
  return rnd;
}

/* ------------------------------------------------------------ feeding */

/* What a decoder made of a stream. */
typedef struct got {
  uint8_t data[BIG];
  size_t n;
  int rc;
  net_ws_t ws; /* its state at the end */
} got_t;

/* Feed wire[0..n) to a fresh decoder of the given role in the pieces that
 * cuts[0..ncuts) (ascending) make.  Stops at the first failure. */
static void feed_cuts(bool client, const uint8_t *wire, size_t n,
                      const size_t *cuts, size_t ncuts, got_t *g) {
  static uint8_t buf[BIG];
  assert_true(n <= BIG);
  memcpy(buf, wire, n);
  net_ws_init(&g->ws, client);
  g->n = 0;
  g->rc = 0;
  size_t prev = 0;
  for (size_t i = 0; i <= ncuts; i++) {
    size_t end = i < ncuts ? cuts[i] : n, out = 12345;
    g->rc = net_ws_recv(&g->ws, buf + prev, end - prev, &out);
    if (g->rc) {
      assert_int_equal(g->rc, TR_EPROTO);
      assert_int_equal(out, 0);
      return;
    }
    /* Payloads never overtake the bytes they came from. */
    assert_true(out <= end - prev);
    memcpy(g->data + g->n, buf + prev, out);
    g->n += out;
    prev = end;
  }
}

static void feed(bool client, const uint8_t *wire, size_t n, got_t *g) {
  feed_cuts(client, wire, n, NULL, 0, g);
}

/* What a decoder must have made of a stream. */
typedef struct want {
  const uint8_t *data;
  size_t n;
  const uint8_t *ping; /* NULL: no ping came */
  size_t plen;
  bool closed, in_msg;
} want_t;

static void check(const got_t *g, const want_t *w) {
  assert_int_equal(g->rc, 0);
  assert_int_equal(g->n, w->n);
  if (w->n)
    assert_memory_equal(g->data, w->data, w->n);
  assert_int_equal(g->ws.pong_due, w->ping != NULL);
  if (w->ping) {
    assert_int_equal(g->ws.plen, w->plen);
    assert_memory_equal(g->ws.ping, w->ping, w->plen);
  }
  assert_int_equal(g->ws.closed, w->closed);
  assert_int_equal(g->ws.in_msg, w->in_msg);
}

static got_t g1; /* large: not on the stack */

/* The stream read whole, cut once at every offset (and at every pair of
 * offsets when it is short), and in random pieces: each time, w. */
static void check_cuts(bool client, const uint8_t *wire, size_t n,
                       const want_t *w, size_t pairs_upto, size_t singles_upto) {
  feed(client, wire, n, &g1);
  check(&g1, w);
  if (n <= singles_upto)
    for (size_t c = 0; c <= n; c++) {
      feed_cuts(client, wire, n, &c, 1, &g1);
      check(&g1, w);
    }
  if (n <= pairs_upto)
    for (size_t a = 0; a <= n; a++)
      for (size_t b = a; b <= n; b++) {
        size_t cuts[2] = {a, b};
        feed_cuts(client, wire, n, cuts, 2, &g1);
        check(&g1, w);
      }
  static size_t cuts[BIG];
  for (int round = 0; round < 20; round++) {
    /* Small pieces in some rounds (headers split), large in others. */
    size_t span = round % 3 == 0 ? 5 : round % 3 == 1 ? 200 : 9000;
    size_t nc = 0, at = 0;
    for (;;) {
      at += next_rnd() % span;
      if (at > n)
        break;
      assert_true(nc < BIG);
      cuts[nc++] = at;
    }
    feed_cuts(client, wire, n, cuts, nc, &g1);
    check(&g1, w);
  }
  /* One byte at a time. */
  size_t nc = 0;
  for (size_t c = 1; c < n; c++)
    cuts[nc++] = c;
  feed_cuts(client, wire, n, cuts, nc, &g1);
  check(&g1, w);
}

/* A frame built by hand (not by net_ws_header, which is under test): b0
 * as given, len in the shortest form unless wide forces the 64-bit one,
 * masked with mask when given. */
static size_t frame(uint8_t *out, uint8_t b0, uint64_t len, const void *pl,
                    const uint8_t *mask) {
  size_t n = 0;
  out[n++] = b0;
  uint8_t m = mask ? 0x80 : 0;
  if (len < 126) {
    out[n++] = (uint8_t)(m | len);
  } else if (len < 65536) {
    out[n++] = m | 126;
    out[n++] = (uint8_t)(len >> 8);
    out[n++] = (uint8_t)len;
  } else {
    out[n++] = m | 127;
    for (int s = 56; s >= 0; s -= 8)
      out[n++] = (uint8_t)(len >> s);
  }
  if (mask) {
    memcpy(out + n, mask, 4);
    n += 4;
  }
  if (pl) {
    memcpy(out + n, pl, (size_t)len);
    for (size_t i = 0; mask && i < len; i++)
      out[n + i] ^= mask[i & 3];
    n += (size_t)len;
  }
  return n;
}

static const uint8_t MASK[4] = {0x37, 0xfa, 0x21, 0x3d};
static const uint8_t MASK2[4] = {0xde, 0xad, 0xbe, 0xef};

/* ----------------------------------------------------------- RFC 6455 */

static const uint8_t HELLO[] = "Hello";

static void test_rfc_frames(void **state) {
  (void)state;
  /* 5.7: a single-frame unmasked text message. */
  static const uint8_t unmasked[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
  want_t hello = {.data = HELLO, .n = 5};
  check_cuts(true, unmasked, sizeof unmasked, &hello, 100, 100);
  feed(false, unmasked, sizeof unmasked, &g1);
  assert_int_equal(g1.rc, TR_EPROTO);

  /* A single-frame masked text message. */
  static const uint8_t masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                   0x7f, 0x9f, 0x4d, 0x51, 0x58};
  check_cuts(false, masked, sizeof masked, &hello, 100, 100);
  feed(true, masked, sizeof masked, &g1);
  assert_int_equal(g1.rc, TR_EPROTO);

  /* A fragmented unmasked text message: open after the first frame. */
  static const uint8_t frag[] = {0x01, 0x03, 0x48, 0x65, 0x6c,
                                 0x80, 0x02, 0x6c, 0x6f};
  feed(true, frag, 5, &g1);
  want_t hel = {.data = HELLO, .n = 3, .in_msg = true};
  check(&g1, &hel);
  check_cuts(true, frag, sizeof frag, &hello, 100, 100);
  feed(false, frag, sizeof frag, &g1);
  assert_int_equal(g1.rc, TR_EPROTO);

  /* An unmasked ping ("Hello"), then its pong, masked as the RFC's is
   * (a client answering) and unmasked (a server answering). */
  static const uint8_t ping[] = {0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
  want_t pinged = {.data = NULL, .n = 0, .ping = HELLO, .plen = 5};
  check_cuts(true, ping, sizeof ping, &pinged, 100, 100);
  feed(true, ping, sizeof ping, &g1);
  uint8_t pong[NET_WS_HDR_MAX + NET_WS_CTRL_MAX];
  size_t k = net_ws_pong(&g1.ws, pong, MASK);
  static const uint8_t mpong[] = {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                  0x7f, 0x9f, 0x4d, 0x51, 0x58};
  assert_int_equal(k, sizeof mpong);
  assert_memory_equal(pong, mpong, k);
  assert_false(g1.ws.pong_due);
  /* A server takes it: a pong, so no data and nothing to answer. */
  static got_t g2;
  feed(false, pong, k, &g2);
  want_t nothing = {0};
  check(&g2, &nothing);
  k = net_ws_pong(&g1.ws, pong, NULL);
  static const uint8_t upong[] = {0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
  assert_int_equal(k, sizeof upong);
  assert_memory_equal(pong, upong, k);
  feed(true, pong, k, &g2);
  check(&g2, &nothing);

  /* 256 bytes and 64 KiB in a single unmasked binary frame. */
  uint8_t h[NET_WS_HDR_MAX];
  static const uint8_t h256[] = {0x82, 0x7e, 0x01, 0x00};
  assert_int_equal(net_ws_header(h, NET_WS_BIN, 256, NULL), 4);
  assert_memory_equal(h, h256, 4);
  static const uint8_t h64k[] = {0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0};
  assert_int_equal(net_ws_header(h, NET_WS_BIN, 65536, NULL), 10);
  assert_memory_equal(h, h64k, 10);
  static uint8_t wire[10 + 65536], pl[65536];
  for (size_t i = 0; i < sizeof pl; i++)
    pl[i] = (uint8_t)(i * 7 + (i >> 9));
  memcpy(wire, h256, 4);
  memcpy(wire + 4, pl, 256);
  want_t w256 = {.data = pl, .n = 256};
  check_cuts(true, wire, 4 + 256, &w256, 0, 1000);
  memcpy(wire, h64k, 10);
  memcpy(wire + 10, pl, 65536);
  want_t w64k = {.data = pl, .n = 65536};
  check_cuts(true, wire, sizeof wire, &w64k, 0, 0);
  feed(false, wire, sizeof wire, &g1);
  assert_int_equal(g1.rc, TR_EPROTO);
}

/* ------------------------------------------------- gorilla's vectors */

/* The generator's pattern (tests/vectors/ws/gen/gen_test.go). */
static void pattern(uint8_t *out, size_t n, uint32_t seed) {
  for (size_t i = 0; i < n; i++)
    out[i] = (uint8_t)(((uint32_t)i * 2654435761u + seed * 40503u) >> 11);
}

/* The next "name = value" line (comments and blank lines skipped): the
 * name into name, the value (malloc'd, newline cut) returned; NULL at the
 * end of the file. */
static char *next_line(FILE *f, char *name, size_t namesz) {
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) >= 0) {
    if (line[0] == '#' || line[0] == '\n')
      continue;
    line[strcspn(line, "\n")] = 0;
    char *eq = strstr(line, " =");
    assert_non_null(eq);
    *eq = 0;
    snprintf(name, namesz, "%s", line);
    char *v = eq[2] == ' ' ? eq + 3 : eq + 2;
    memmove(line, v, strlen(v) + 1);
    return line;
  }
  free(line);
  return NULL;
}

static char *expect_line(FILE *f, const char *name) {
  char got[32];
  char *v = next_line(f, got, sizeof got);
  assert_non_null(v);
  assert_string_equal(got, name);
  return v;
}

/* A request, the answer to it and the key it was made with. */
static void check_handshake_vector(const uint8_t *req, size_t reqn,
                                   const uint8_t *resp, size_t respn,
                                   const uint8_t key[NET_WS_KEY_LEN]) {
  char ours[512];
  size_t olen = 0;
  assert_int_equal(net_ws_server_head(req, reqn, ours, sizeof ours, &olen),
                   (int)reqn);
  /* Both answer exactly so (no extra headers either side). */
  assert_int_equal(olen, respn);
  assert_memory_equal(ours, resp, respn);
  assert_int_equal(net_ws_client_head(resp, respn, key), (int)respn);
  uint8_t other[NET_WS_KEY_LEN];
  memcpy(other, key, sizeof other);
  other[15] ^= 1;
  assert_int_equal(net_ws_client_head(resp, respn, other), TR_EPROTO);
}

static void test_gorilla_vectors(void **state) {
  (void)state;
  FILE *f = fopen(FRAMES, "r");
  if (!f)
    fail_msg("cannot open " FRAMES " (run from the repository root)");
  static uint8_t wire[BIG], data[BIG], req[1024], resp[1024];
  uint8_t ping[NET_WS_CTRL_MAX], key[NET_WS_KEY_LEN];
  char name[32];
  char *v;
  int frames = 0, handshakes = 0, from_client = 0, fragmented = 0, big = 0;
  while ((v = next_line(f, name, sizeof name))) {
    if (!strcmp(name, "req")) {
      size_t reqn = unhex(v, req, sizeof req);
      free(v);
      v = expect_line(f, "resp");
      size_t respn = unhex(v, resp, sizeof resp);
      free(v);
      v = expect_line(f, "key");
      assert_int_equal(unhex(v, key, sizeof key), NET_WS_KEY_LEN);
      free(v);
      check_handshake_vector(req, reqn, resp, respn, key);
      if (handshakes == 1) {
        /* The second is trove's own request. */
        char ours[512];
        int n = net_ws_request(ours, sizeof ours, "example.test:4001", key);
        assert_int_equal(n, (int)reqn);
        assert_memory_equal(ours, req, reqn);
      }
      handshakes++;
      continue;
    }
    assert_string_equal(name, "from");
    bool from_server = !strcmp(v, "server");
    assert_true(from_server || !strcmp(v, "client"));
    free(v);
    v = expect_line(f, "wire");
    size_t n = unhex(v, wire, sizeof wire);
    free(v);
    v = expect_line(f, "data");
    want_t w = {.data = data};
    if (!strncmp(v, "hex:", 4)) {
      w.n = unhex(v + 4, data, sizeof data);
    } else {
      unsigned long len, seed;
      assert_int_equal(sscanf(v, "gen:%lu:%lu", &len, &seed), 2);
      assert_true(len <= sizeof data);
      pattern(data, len, (uint32_t)seed);
      w.n = len;
    }
    free(v);
    v = expect_line(f, "ping");
    if (strcmp(v, "-")) {
      w.plen = unhex(v, ping, sizeof ping);
      w.ping = ping;
    }
    free(v);
    v = expect_line(f, "close");
    w.closed = !strcmp(v, "1");
    free(v);

    /* The receiver is the other side. */
    bool client = from_server;
    check_cuts(client, wire, n, &w, 40, 20000);
    feed(!client, wire, n, &g1);
    assert_int_equal(g1.rc, TR_EPROTO);
    frames++;
    from_client += !from_server;
    fragmented += n > 0 && !(wire[0] & 0x80);
    big += w.n >= 65536;
  }
  fclose(f);
  /* The generator made what it says it makes. */
  assert_int_equal(handshakes, 2);
  assert_true(frames >= 20);
  assert_int_equal(from_client * 2, frames);
  assert_true(fragmented >= 4);
  assert_true(big >= 4);
}

/* ----------------------------------------------- streams built here */

/* Control frames between fragments; empty frames of every kind. */
static void test_streams(void **state) {
  (void)state;
  for (int masked = 0; masked < 2; masked++) {
    const uint8_t *m = masked ? MASK : NULL, *m2 = masked ? MASK2 : NULL;
    bool client = !masked;
    uint8_t wire[512];
    size_t n = 0;
    /* "He" (empty continuation) ping "x" "l" pong "lo" (empty final). */
    n += frame(wire + n, NET_WS_TEXT, 2, "He", m);
    n += frame(wire + n, NET_WS_CONT, 0, "", m2);
    n += frame(wire + n, 0x80 | NET_WS_PING, 1, "x", m);
    n += frame(wire + n, NET_WS_CONT, 1, "l", m2);
    n += frame(wire + n, 0x80 | NET_WS_PONG, 4, "pong", m);
    n += frame(wire + n, NET_WS_CONT, 2, "lo", m);
    n += frame(wire + n, 0x80 | NET_WS_CONT, 0, "", m2);
    /* An empty binary message, an empty ping, " world" in one frame. */
    n += frame(wire + n, 0x80 | NET_WS_BIN, 0, "", m);
    n += frame(wire + n, 0x80 | NET_WS_PING, 0, "", m2);
    n += frame(wire + n, 0x80 | NET_WS_BIN, 6, " world", m);
    static const uint8_t all[] = "Hello world";
    want_t w = {.data = all, .n = 11, .ping = all, .plen = 0};
    check_cuts(client, wire, n, &w, 200, 1000);

    /* Stopped inside the message, the ping "x" is due and the message
     * open. */
    size_t upto = frame(wire, NET_WS_TEXT, 2, "He", m);
    upto += frame(wire + upto, NET_WS_CONT, 0, "", m2);
    upto += frame(wire + upto, 0x80 | NET_WS_PING, 1, "x", m);
    want_t mid = {.data = all, .n = 2, .ping = (const uint8_t *)"x",
                  .plen = 1, .in_msg = true};
    check_cuts(client, wire, upto, &mid, 200, 1000);
  }
}

/* A 125-byte ping, answered masked and unmasked; the answers read back by
 * the role that receives them carry no data and ask for nothing. */
static void test_pong(void **state) {
  (void)state;
  uint8_t pl[NET_WS_CTRL_MAX], wire[256], pong[NET_WS_HDR_MAX + NET_WS_CTRL_MAX];
  for (size_t i = 0; i < sizeof pl; i++)
    pl[i] = (uint8_t)(0xa5 ^ i);
  for (int masked = 0; masked < 2; masked++) {
    /* We are a client when the ping is unmasked. */
    bool client = !masked;
    size_t n = frame(wire, 0x80 | NET_WS_PING, 125, pl, masked ? MASK2 : NULL);
    want_t w = {.ping = pl, .plen = 125};
    check_cuts(client, wire, n, &w, 0, 1000);
    feed(client, wire, n, &g1);
    /* A client masks its pong; a server does not. */
    size_t k = net_ws_pong(&g1.ws, pong, client ? MASK : NULL);
    assert_false(g1.ws.pong_due);
    assert_int_equal(k, 2 + (client ? 4 : 0) + 125);
    assert_int_equal(pong[0], 0x80 | NET_WS_PONG);
    assert_int_equal(pong[1], (client ? 0x80 : 0) | 125);
    uint8_t plain[NET_WS_CTRL_MAX];
    memcpy(plain, pong + k - 125, 125);
    if (client) {
      assert_memory_equal(pong + 2, MASK, 4);
      net_ws_mask(plain, 125, MASK);
    }
    assert_memory_equal(plain, pl, 125);
    /* Read back by the peer's role; then a ping after it still counts. */
    static got_t g2;
    feed(!client, pong, k, &g2);
    want_t nothing = {0};
    check(&g2, &nothing);
    /* Pong bytes followed by data, both in the peer's role. */
    uint8_t both[512];
    memcpy(both, pong, k);
    size_t bn = k + frame(both + k, 0x80 | NET_WS_BIN, 3, "abc",
                          client ? MASK2 : NULL);
    want_t abc = {.data = (const uint8_t *)"abc", .n = 3};
    check_cuts(!client, both, bn, &abc, 0, 1000);
  }
  /* Two pings before an answer: the last one's payload is answered. */
  uint8_t wire2[64];
  size_t n = frame(wire2, 0x89, 3, "one", NULL);
  n += frame(wire2 + n, 0x89, 2, "tw", NULL);
  want_t w = {.ping = (const uint8_t *)"tw", .plen = 2};
  check_cuts(true, wire2, n, &w, 64, 64);
}

/* A close frame ends reading: data after it, and junk, come to nothing,
 * and so do later calls. */
static void test_close(void **state) {
  (void)state;
  for (int masked = 0; masked < 2; masked++) {
    const uint8_t *m = masked ? MASK : NULL;
    bool client = !masked;
    uint8_t wire[128];
    size_t n = frame(wire, 0x80 | NET_WS_BIN, 4, "data", m);
    n += frame(wire + n, 0x80 | NET_WS_CLOSE, 5, "\x03\xe8" "bye", m);
    size_t end = n;
    n += frame(wire + n, 0x80 | NET_WS_BIN, 4, "more", m);
    memset(wire + n, 0xff, 16); /* RSV bits, opcode 0xf: refused if read */
    n += 16;
    want_t w = {.data = (const uint8_t *)"data", .n = 4, .closed = true};
    check_cuts(client, wire, n, &w, 60, 200);
    check_cuts(client, wire, end, &w, 60, 200);
    /* An empty close, alone; then more calls read nothing. */
    size_t k = frame(wire, 0x80 | NET_WS_CLOSE, 0, "", m);
    feed(client, wire, k, &g1);
    want_t closed = {.closed = true};
    check(&g1, &closed);
    uint8_t more[8] = {0x82, 0x02, 'h', 'i', 0xff, 0xff, 0xff, 0xff};
    size_t out = 99;
    assert_int_equal(net_ws_recv(&g1.ws, more, sizeof more, &out), 0);
    assert_int_equal(out, 0);
    /* A close is a control frame: it may come inside a message. */
    n = frame(wire, NET_WS_BIN, 2, "ab", m);
    n += frame(wire + n, 0x80 | NET_WS_CLOSE, 0, "", m);
    want_t ab = {.data = (const uint8_t *)"ab", .n = 2, .closed = true,
                 .in_msg = true};
    check_cuts(client, wire, n, &ab, 60, 60);
  }
}

/* ----------------------------------------------------------- encoding */

static void test_header(void **state) {
  (void)state;
  static const struct {
    uint64_t len;
    size_t hlen;
    uint8_t b[10];
  } cases[] = {
      {0, 2, {0x82, 0x00}},
      {1, 2, {0x82, 0x01}},
      {125, 2, {0x82, 0x7d}},
      {126, 4, {0x82, 0x7e, 0x00, 0x7e}},
      {127, 4, {0x82, 0x7e, 0x00, 0x7f}},
      {65535, 4, {0x82, 0x7e, 0xff, 0xff}},
      {65536, 10, {0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}},
      {100000, 10, {0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x86, 0xa0}},
      {(uint64_t)1 << 32, 10, {0x82, 0x7f, 0, 0, 0, 0x01, 0, 0, 0, 0}},
      {((uint64_t)1 << 63) - 1, 10,
       {0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
  };
  static uint8_t wire[NET_WS_HDR_MAX + 100000], pl[100000];
  for (size_t i = 0; i < sizeof pl; i++)
    pl[i] = (uint8_t)(i ^ (i >> 8) ^ (i >> 16));
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    uint64_t len = cases[c].len;
    for (int masked = 0; masked < 2; masked++) {
      uint8_t h[NET_WS_HDR_MAX + 1];
      memset(h, 0xcc, sizeof h);
      size_t hl = net_ws_header(h, NET_WS_BIN, len, masked ? MASK : NULL);
      assert_int_equal(hl, cases[c].hlen + (masked ? 4 : 0));
      assert_int_equal(h[0], cases[c].b[0]);
      assert_int_equal(h[1], cases[c].b[1] | (masked ? 0x80 : 0));
      assert_memory_equal(h + 2, cases[c].b + 2, cases[c].hlen - 2);
      if (masked)
        assert_memory_equal(h + cases[c].hlen, MASK, 4);
      assert_int_equal(h[NET_WS_HDR_MAX], 0xcc); /* nothing past the max */
      bool client = !masked; /* the receiver */
      if (len <= sizeof pl) {
        /* The whole frame, read back by the other role. */
        memcpy(wire, h, hl);
        memcpy(wire + hl, pl, (size_t)len);
        if (masked)
          net_ws_mask(wire + hl, (size_t)len, MASK);
        want_t w = {.data = pl, .n = (size_t)len};
        check_cuts(client, wire, hl + (size_t)len, &w, 0, len < 200 ? 400 : 0);
      } else {
        /* The header and a little payload: the rest is still due. */
        memcpy(wire, h, hl);
        memcpy(wire + hl, pl, 100);
        if (masked)
          net_ws_mask(wire + hl, 100, MASK);
        feed(client, wire, hl + 100, &g1);
        assert_int_equal(g1.rc, 0);
        assert_int_equal(g1.n, 100);
        assert_memory_equal(g1.data, pl, 100);
        assert_true(g1.ws.in_frame);
        assert_true(g1.ws.left == len - 100);
      }
    }
  }
  /* Other opcodes keep FIN and their number. */
  uint8_t h[NET_WS_HDR_MAX];
  assert_int_equal(net_ws_header(h, NET_WS_TEXT, 3, NULL), 2);
  assert_int_equal(h[0], 0x81);
  assert_int_equal(net_ws_header(h, NET_WS_CLOSE, 0, NULL), 2);
  assert_int_equal(h[0], 0x88);
  /* net_ws_mask: XOR from the key's first byte, and its own inverse. */
  uint8_t b[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0x55};
  net_ws_mask(b, 9, MASK);
  static const uint8_t bm[9] = {0x37, 0xfa, 0x21, 0x3d, 0x37,
                                0xfa, 0x21, 0x3d, 0x55 ^ 0x37};
  assert_memory_equal(b, bm, 9);
  net_ws_mask(b, 9, MASK);
  assert_int_equal(b[8], 0x55);
}

/* ------------------------------------------------------------ hostile */

/* wire must be refused by a decoder of role client, at its last byte
 * when fed one byte at a time, with no data out. */
static void refused(bool client, const uint8_t *wire, size_t n) {
  feed(client, wire, n, &g1);
  assert_int_equal(g1.rc, TR_EPROTO);
  net_ws_t ws;
  net_ws_init(&ws, client);
  uint8_t b;
  for (size_t i = 0; i < n; i++) {
    size_t out = 7;
    b = wire[i];
    int rc = net_ws_recv(&ws, &b, 1, &out);
    if (i + 1 < n) {
      assert_int_equal(rc, 0);
    } else {
      assert_int_equal(rc, TR_EPROTO);
      assert_int_equal(out, 0);
    }
  }
}

static void accepted(bool client, const uint8_t *wire, size_t n) {
  feed(client, wire, n, &g1);
  assert_int_equal(g1.rc, 0);
}

/* One frame header (no payload) from the b0 and the length given, for a
 * decoder of the role client (masked when it is a server). */
static size_t hdr_for(uint8_t *out, bool client, uint8_t b0, uint64_t len) {
  return frame(out, b0, len, NULL, client ? NULL : MASK);
}

static void test_hostile(void **state) {
  (void)state;
  for (int role = 0; role < 2; role++) {
    bool client = role;
    const uint8_t *m = client ? NULL : MASK;
    uint8_t w[64];
    size_t n;
    /* Reserved bits: no extension was negotiated. */
    static const uint8_t rsv[] = {0x40, 0x20, 0x10, 0x70};
    for (size_t i = 0; i < sizeof rsv; i++) {
      n = hdr_for(w, client, 0x82 | rsv[i], 0);
      refused(client, w, n);
      n = hdr_for(w, client, 0x80 | rsv[i] | NET_WS_PING, 0);
      refused(client, w, n);
    }
    n = hdr_for(w, client, 0x82, 0);
    accepted(client, w, n);
    /* Unknown opcodes, data (3-7) and control (0xb-0xf), with FIN or not. */
    for (uint8_t op = 0; op < 16; op++) {
      bool known = op <= 2 || (op >= 8 && op <= 0xa);
      n = hdr_for(w, client, 0x80 | op, 0);
      if (!known)
        refused(client, w, n);
      else if (op != NET_WS_CONT)
        accepted(client, w, n);
      n = hdr_for(w, client, op, 0);
      if (!known)
        refused(client, w, n);
    }
    /* Control frames: 125 bytes at most, never fragmented. */
    static const uint8_t ctl[] = {NET_WS_PING, NET_WS_PONG, NET_WS_CLOSE};
    uint8_t pl[126] = {0};
    for (size_t i = 0; i < sizeof ctl; i++) {
      n = hdr_for(w, client, 0x80 | ctl[i], 126);
      refused(client, w, n);
      n = hdr_for(w, client, 0x80 | ctl[i], 65536);
      refused(client, w, n);
      n = hdr_for(w, client, ctl[i], 0);
      refused(client, w, n);
      uint8_t ok[256];
      n = frame(ok, 0x80 | ctl[i], 125, pl, m);
      accepted(client, ok, n);
    }
    /* A continuation with nothing to continue: first, after a final
     * frame, after a message that ended. */
    n = hdr_for(w, client, 0x80, 0);
    refused(client, w, n);
    n = hdr_for(w, client, 0x00, 0);
    refused(client, w, n);
    n = frame(w, 0x82, 1, "a", m);
    n += hdr_for(w + n, client, 0x80, 0);
    refused(client, w, n);
    n = frame(w, 0x02, 1, "a", m);
    n += frame(w + n, 0x80, 1, "b", m);
    n += hdr_for(w + n, client, 0x00, 0);
    refused(client, w, n);
    /* A new data frame inside a fragmented message (a ping is fine). */
    for (uint8_t op = NET_WS_TEXT; op <= NET_WS_BIN; op++)
      for (int fin = 0; fin < 2; fin++) {
        n = frame(w, 0x01, 1, "a", m);
        n += frame(w + n, 0x89, 0, "", m);
        n += hdr_for(w + n, client, (uint8_t)(fin ? 0x80 | op : op), 1);
        refused(client, w, n);
      }
    n = frame(w, 0x01, 1, "a", m);
    n += frame(w + n, 0x89, 0, "", m);
    n += frame(w + n, 0x80, 1, "b", m);
    n += hdr_for(w + n, client, 0x82, 0);
    accepted(client, w, n);
    /* The wrong masking for the role, data and control. */
    n = frame(w, 0x82, 1, "a", client ? MASK : NULL);
    refused(client, w, 2 + (client ? 4 : 0));
    n = frame(w, 0x89, 0, "", client ? MASK : NULL);
    refused(client, w, n);
    /* A 64-bit length with its top bit set; the largest without is fine
     * (it streams). */
    n = hdr_for(w, client, 0x82, (uint64_t)1 << 63);
    refused(client, w, n);
    n = hdr_for(w, client, 0x82, ~(uint64_t)0);
    refused(client, w, n);
    n = hdr_for(w, client, 0x82, ((uint64_t)1 << 63) - 1);
    accepted(client, w, n);
    /* Data before the failure is not handed out either. */
    n = frame(w, 0x82, 3, "abc", m);
    n += hdr_for(w + n, client, 0x83, 0);
    feed(client, w, n, &g1);
    assert_int_equal(g1.rc, TR_EPROTO);
    assert_int_equal(g1.n, 0);
    /* A failed decoder stays failed: a good frame after a 14-byte header
     * that failed gives nothing (its header buffer is full). */
    net_ws_t ws;
    net_ws_init(&ws, client);
    n = hdr_for(w, client, 0xf2, 70000); /* RSV + opcode: fails at once */
    size_t out = 99;
    assert_int_equal(net_ws_recv(&ws, w, n, &out), TR_EPROTO);
    n = frame(w, 0x82, 3, "abc", m);
    out = 99;
    assert_int_equal(net_ws_recv(&ws, w, n, &out), TR_EPROTO);
    assert_int_equal(out, 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc_frames),
      cmocka_unit_test(test_gorilla_vectors),
      cmocka_unit_test(test_streams),
      cmocka_unit_test(test_pong),
      cmocka_unit_test(test_close),
      cmocka_unit_test(test_header),
      cmocka_unit_test(test_hostile),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

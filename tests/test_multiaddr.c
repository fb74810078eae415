/*
 * test_multiaddr.c — multiaddr string and binary forms against
 * tests/vectors/multiaddr/multiaddr.txt (go-multiaddr's cases and trove's),
 * plus the bounds: buffer sizes, the length caps and component walking.
 */
#include "testutil.h"

#include "../net/multiaddr.h"

#define MA_VECTORS "tests/vectors/multiaddr/multiaddr.txt"

/* Parse s; format; parse the formatted string: same bytes.  Returns the
 * formatted string in out. */
static void roundtrip(const char *s, char *out) {
  uint8_t b[NET_MA_MAX], b2[NET_MA_MAX];
  int n = net_ma_parse(s, strlen(s), b, sizeof b);
  if (n <= 0)
    fail_msg("should parse: %s (%s)", s, tr_errname(n));
  assert_int_equal(net_ma_validate(b, (size_t)n), 0);
  int sl = net_ma_format(b, (size_t)n, out, NET_MA_STR_MAX);
  assert_true(sl > 0);
  assert_int_equal((size_t)sl, strlen(out));
  int n2 = net_ma_parse(out, (size_t)sl, b2, sizeof b2);
  assert_int_equal(n2, n);
  assert_memory_equal(b, b2, (size_t)n);
}

static void test_vectors(void **state) {
  (void)state;
  FILE *f = fopen(MA_VECTORS, "r");
  assert_non_null(f);
  static char line[16384], out[NET_MA_STR_MAX];
  char kind[16], a[8192], b[8192];
  int count = 0;
  uint8_t bin[NET_MA_MAX], want[NET_MA_MAX];
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || line[0] == '\n')
      continue;
    int nf = sscanf(line, "%15s %8191s %8191s", kind, a, b);
    assert_true(nf >= 2);
    if (!strcmp(a, "-"))
      a[0] = 0;
    count++;
    if (!strcmp(kind, "good")) {
      roundtrip(a, out);
    } else if (!strcmp(kind, "same")) {
      roundtrip(a, out);
      assert_string_equal(out, a);
    } else if (!strcmp(kind, "canon")) {
      roundtrip(a, out);
      assert_string_equal(out, b);
    } else if (!strcmp(kind, "ok")) {
      roundtrip(a, out);
      assert_string_equal(out, a);
      size_t wn = unhex(b, want, sizeof want);
      assert_int_equal(net_ma_parse(a, strlen(a), bin, sizeof bin), (int)wn);
      assert_memory_equal(bin, want, wn);
    } else if (!strcmp(kind, "bad") || !strcmp(kind, "unknown")) {
      int rc = net_ma_parse(a, strlen(a), bin, sizeof bin);
      if (rc != TR_EMULTIADDR)
        fail_msg("should fail with EMULTIADDR: '%s' (%d)", a, rc);
    } else if (!strcmp(kind, "badbin")) {
      size_t n = unhex(a, bin, sizeof bin);
      if (net_ma_validate(bin, n) != TR_EMULTIADDR)
        fail_msg("should not validate: %s", a);
      assert_int_equal(net_ma_format(bin, n, out, sizeof out), TR_EMULTIADDR);
    } else {
      fail_msg("unknown vector kind %s", kind);
    }
  }
  fclose(f);
  assert_true(count > 150);
}

static void test_walk(void **state) {
  (void)state;
  const char *s = "/ip4/10.0.0.1/tcp/4001/p2p/"
                  "12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV";
  uint8_t b[NET_MA_MAX];
  int n = net_ma_parse(s, strlen(s), b, sizeof b);
  assert_true(n > 0);
  static const uint32_t codes[] = {NET_MA_IP4, NET_MA_TCP, NET_MA_P2P};
  size_t vlens[] = {4, 2, 38}, i = 0;
  net_ma_comp_t c;
  for (size_t off = 0; off < (size_t)n; i++) {
    int k = net_ma_next(b + off, (size_t)n - off, &c);
    assert_true(k > 0);
    assert_int_equal(c.code, codes[i]);
    assert_int_equal(c.vlen, vlens[i]);
    assert_string_equal(c.name, net_ma_proto_name(c.code));
    off += (size_t)k;
  }
  assert_int_equal(i, 3);
  assert_int_equal(c.value[0], 0x00); /* identity multihash */
  assert_int_equal(net_ma_next(b, 0, &c), TR_EMULTIADDR);
  assert_null(net_ma_proto_name(12345));
}

static void test_bounds(void **state) {
  (void)state;
  uint8_t b[NET_MA_MAX];
  char out[64];
  const char *s = "/ip4/127.0.0.1/tcp/4001";
  /* Output buffers one byte short. */
  assert_int_equal(net_ma_parse(s, strlen(s), b, 6), TR_EBUFSIZE);
  int n = net_ma_parse(s, strlen(s), b, 8);
  assert_int_equal(n, 8);
  assert_int_equal(net_ma_format(b, 8, out, strlen(s)), TR_EBUFSIZE);
  assert_int_equal(net_ma_format(b, 8, out, strlen(s) + 1), (int)strlen(s));
  assert_string_equal(out, s);

  /* Too long a string, too long a binary form. */
  static char big[NET_MA_STR_MAX + 8];
  memset(big, 'a', sizeof big);
  big[0] = '/';
  assert_int_equal(net_ma_parse(big, sizeof big, b, sizeof b), TR_ETOOBIG);
  size_t pos = 0;
  while (pos + 8 < NET_MA_STR_MAX)
    memcpy(big + pos, "/tcp/100", 8), pos += 8; /* 3 bytes each */
  assert_int_equal(net_ma_parse(big, pos, b, sizeof b), TR_ETOOBIG);
  static uint8_t bigbin[NET_MA_MAX + 3];
  for (size_t i = 0; i + 3 <= sizeof bigbin; i += 3)
    bigbin[i] = 6, bigbin[i + 1] = 0, bigbin[i + 2] = 1;
  assert_int_equal(net_ma_validate(bigbin, sizeof bigbin), TR_ETOOBIG);
  assert_int_equal(net_ma_validate(bigbin, NET_MA_MAX - 1), 0);

  /* The longest component name formats within NET_MA_STR_MAX: 512
   * webrtc-direct components (2 bytes, 14 characters each). */
  static uint8_t wd[NET_MA_MAX];
  for (size_t i = 0; i < sizeof wd; i += 2)
    wd[i] = 0x98, wd[i + 1] = 0x02;
  static char wds[NET_MA_STR_MAX];
  assert_int_equal(net_ma_format(wd, sizeof wd, wds, sizeof wds), 512 * 14);
}

/* Names are printable ASCII without '/': a control character or a space
 * from a peer would not survive the string form. */
static void test_names_printable(void **state) {
  (void)state;
  uint8_t b[] = {0x35, 0x03, 'a', ' ', 'b'};
  assert_int_equal(net_ma_validate(b, sizeof b), TR_EMULTIADDR);
  b[3] = '\n';
  assert_int_equal(net_ma_validate(b, sizeof b), TR_EMULTIADDR);
  b[3] = '-';
  assert_int_equal(net_ma_validate(b, sizeof b), 0);
  assert_int_equal(net_ma_parse("/dns/a\tb", 8, b, sizeof b), TR_EMULTIADDR);
  char name[300];
  memset(name, 'x', sizeof name);
  memcpy(name, "/dns/", 5);
  assert_int_equal(net_ma_parse(name, 5 + 255, b, 4), TR_EBUFSIZE);
  assert_int_equal(net_ma_parse(name, 5 + 256, b, 4), TR_EMULTIADDR);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vectors),
      cmocka_unit_test(test_walk),
      cmocka_unit_test(test_bounds),
      cmocka_unit_test(test_names_printable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_mss.c — multistream-select 1.0: the spec's byte-exact frames
 * (libp2p/specs connections/README.md: "na" is 0x036e610a), a listener and
 * an initiator talking in memory (whole and byte by byte), `ls`, and every
 * way a peer can break the protocol or the limits (go-multistream's 1024-
 * byte message cap and its trailing-newline rule, multistream.go).
 */
#include "testutil.h"

#include "../net/mss.h"

#define HDR "\x13/multistream/1.0.0\n"
#define HDR_LEN 20

static const char *YAMUX[] = {"/yamux/1.0.0"};
static const char *PROPOSE[] = {"/mplex/6.7.0", "/yamux/1.0.0"};

static void test_spec_frames(void **state) {
  (void)state;
  uint8_t b[64];
  assert_int_equal(net_mss_encode("na", b, sizeof b), 4);
  assert_memory_equal(b, "\x03\x6e\x61\x0a", 4);
  assert_int_equal(net_mss_encode(NET_MSS_PROTOCOL, b, sizeof b), HDR_LEN);
  assert_memory_equal(b, HDR, HDR_LEN);
  assert_int_equal(net_mss_encode("na", b, 3), TR_EBUFSIZE);
  char big[NET_MSS_MSG_MAX + 1];
  memset(big, 'a', sizeof big);
  big[NET_MSS_MSG_MAX] = 0;
  assert_int_equal(net_mss_encode(big, b, sizeof b), TR_ETOOBIG);
}

/* Move a's output into b, chunk bytes per feed (0: all at once).  Returns
 * b's last result; *left gets the bytes b did not consume. */
static int pump(net_mss_t *a, net_mss_t *b, size_t chunk, uint8_t *left,
                size_t *nleft) {
  size_t n;
  const uint8_t *o = net_mss_output(a, &n);
  uint8_t buf[NET_MSS_OUT_MAX];
  memcpy(buf, o, n);
  int rc = NET_MSS_AGAIN;
  size_t off = 0;
  *nleft = 0;
  while (off < n && rc == NET_MSS_AGAIN) {
    size_t k = chunk && chunk < n - off ? chunk : n - off, used;
    rc = net_mss_feed(b, buf + off, k, &used);
    off += used;
  }
  memcpy(left, buf + off, n - off);
  *nleft = n - off;
  return rc;
}

static void negotiate(size_t chunk) {
  net_mss_t l, i;
  assert_int_equal(net_mss_listener(&l, YAMUX, 1), 0);
  assert_int_equal(net_mss_initiator(&i, PROPOSE, 2), 0);
  /* The initiator's first flight, byte for byte: header and proposal. */
  size_t n;
  const uint8_t *o = net_mss_output(&i, &n);
  assert_int_equal(n, HDR_LEN + 14);
  assert_memory_equal(o, HDR "\x0d/mplex/6.7.0\n", n);
  i.outlen = n; /* put it back for pump() */
  uint8_t left[NET_MSS_OUT_MAX];
  size_t nl;
  assert_int_equal(pump(&i, &l, chunk, left, &nl), NET_MSS_AGAIN);
  /* The listener: its header, then "na". */
  o = net_mss_output(&l, &n);
  assert_int_equal(n, HDR_LEN + 4);
  assert_memory_equal(o, HDR "\x03na\n", n);
  l.outlen = n;
  assert_int_equal(pump(&l, &i, chunk, left, &nl), NET_MSS_AGAIN);
  /* The second proposal is accepted and echoed. */
  assert_int_equal(pump(&i, &l, chunk, left, &nl), NET_MSS_DONE);
  assert_string_equal(net_mss_selected(&l), "/yamux/1.0.0");
  o = net_mss_output(&l, &n);
  assert_int_equal(n, 14);
  assert_memory_equal(o, "\x0d/yamux/1.0.0\n", n);
  l.outlen = n;
  assert_int_equal(pump(&l, &i, chunk, left, &nl), NET_MSS_DONE);
  assert_string_equal(net_mss_selected(&i), "/yamux/1.0.0");
  assert_int_equal(nl, 0);
  size_t used;
  assert_int_equal(net_mss_feed(&i, left, 0, &used), TR_EUSAGE);
}

static void test_negotiate_whole(void **state) {
  (void)state;
  negotiate(0);
}

static void test_negotiate_byte_by_byte(void **state) {
  (void)state;
  negotiate(1);
}

/* Bytes after the accepting echo are the chosen protocol's: not consumed. */
static void test_eager_data_left(void **state) {
  (void)state;
  net_mss_t i;
  assert_int_equal(net_mss_initiator(&i, YAMUX, 1), 0);
  uint8_t in[] = HDR "\x0d/yamux/1.0.0\nDATA";
  size_t used;
  assert_int_equal(net_mss_feed(&i, in, sizeof in - 1, &used), NET_MSS_DONE);
  assert_int_equal(used, sizeof in - 1 - 4);
}

static void test_ls(void **state) {
  (void)state;
  static const char *protos[] = {"/a", "/bc"};
  net_mss_t l;
  assert_int_equal(net_mss_listener(&l, protos, 2), 0);
  size_t n, used;
  net_mss_output(&l, &n);
  uint8_t in[] = HDR "\x03ls\n";
  assert_int_equal(net_mss_feed(&l, in, sizeof in - 1, &used), NET_MSS_AGAIN);
  assert_int_equal(used, sizeof in - 1);
  const uint8_t *o = net_mss_output(&l, &n);
  /* One message: "\x03/a\n" "\x04/bc\n" "\n", 10 bytes. */
  assert_int_equal(n, 11);
  assert_memory_equal(o, "\x0a\x03/a\n\x04/bc\n\n", 11);
}

static int feed_all(net_mss_t *m, const void *in, size_t len) {
  size_t used;
  return net_mss_feed(m, in, len, &used);
}

static void test_peer_errors(void **state) {
  (void)state;
  net_mss_t m;
  /* Not the multistream header first. */
  assert_int_equal(net_mss_listener(&m, YAMUX, 1), 0);
  assert_int_equal(feed_all(&m, "\x03na\n", 4), TR_EPROTO);
  assert_int_equal(feed_all(&m, HDR, HDR_LEN), TR_EUSAGE);
  /* A message without its newline, an empty message, a bad varint. */
  assert_int_equal(net_mss_listener(&m, YAMUX, 1), 0);
  assert_int_equal(feed_all(&m, HDR "\x03lsx", HDR_LEN + 4), TR_EPROTO);
  assert_int_equal(net_mss_listener(&m, YAMUX, 1), 0);
  assert_int_equal(feed_all(&m, "\x00", 1), TR_EPROTO);
  assert_int_equal(net_mss_listener(&m, YAMUX, 1), 0);
  assert_int_equal(feed_all(&m, "\x80\x00", 2), TR_EPROTO);
  /* 1025 bytes, and a three-byte length, are refused before the body. */
  assert_int_equal(net_mss_listener(&m, YAMUX, 1), 0);
  assert_int_equal(feed_all(&m, HDR "\x81\x08", HDR_LEN + 2), TR_ETOOBIG);
  assert_int_equal(net_mss_listener(&m, YAMUX, 1), 0);
  assert_int_equal(feed_all(&m, HDR "\x80\x80", HDR_LEN + 2), TR_ETOOBIG);
  /* A first message that strays from the header is refused at its first
   * wrong byte, without waiting for the length it claims (a private
   * network's other key turns the header into such bytes). */
  size_t used;
  assert_int_equal(net_mss_listener(&m, YAMUX, 1), 0);
  assert_int_equal(net_mss_feed(&m, (const uint8_t *)"\x64", 1, &used),
                   TR_EPROTO);
  assert_int_equal(net_mss_initiator(&m, YAMUX, 1), 0);
  assert_int_equal(net_mss_feed(&m, (const uint8_t *)"\x13/multistream/",
                                14, &used), NET_MSS_AGAIN);
  assert_int_equal(net_mss_feed(&m, (const uint8_t *)"2.0.0\n", 6, &used),
                   TR_EPROTO);
  /* 1024 is allowed. */
  static uint8_t big[2 + 1024];
  big[0] = 0x80, big[1] = 0x08;
  memset(big + 2, 'x', 1023);
  big[1025] = '\n';
  assert_int_equal(net_mss_listener(&m, YAMUX, 1), 0);
  assert_int_equal(feed_all(&m, HDR, HDR_LEN), NET_MSS_AGAIN);
  assert_int_equal(feed_all(&m, big, sizeof big), NET_MSS_AGAIN);

  /* Proposals without end: cut off after NET_MSS_TRIES_MAX. */
  assert_int_equal(net_mss_listener(&m, YAMUX, 1), 0);
  assert_int_equal(feed_all(&m, HDR, HDR_LEN), NET_MSS_AGAIN);
  int rc = 0, k;
  size_t n;
  for (k = 0; k < 100 && rc == 0; k++) {
    rc = feed_all(&m, "\x06/nope\n", 7);
    net_mss_output(&m, &n);
  }
  assert_int_equal(rc, TR_EPROTO);
  assert_int_equal(k, NET_MSS_TRIES_MAX + 1);

  /* Initiator: an answer that is neither the proposal nor "na"; every
   * proposal refused. */
  assert_int_equal(net_mss_initiator(&m, YAMUX, 1), 0);
  assert_int_equal(feed_all(&m, HDR "\x06/nope\n", HDR_LEN + 7), TR_EPROTO);
  assert_int_equal(net_mss_initiator(&m, PROPOSE, 2), 0);
  assert_int_equal(feed_all(&m, HDR "\x03na\n\x03na\n", HDR_LEN + 8),
                   TR_ENOPROTO);
}

static void test_usage_errors(void **state) {
  (void)state;
  net_mss_t m;
  static const char *empty[] = {""}, *nl[] = {"/a\nb"};
  assert_int_equal(net_mss_initiator(&m, YAMUX, 0), TR_EUSAGE);
  assert_int_equal(net_mss_listener(&m, empty, 1), TR_EUSAGE);
  assert_int_equal(net_mss_listener(&m, nl, 1), TR_EUSAGE);
  assert_int_equal(net_mss_listener(&m, YAMUX, NET_MSS_PROTOS_MAX + 1),
                   TR_EUSAGE);
  /* A listener with no protocols refuses everything. */
  assert_int_equal(net_mss_listener(&m, NULL, 0), 0);
  assert_int_equal(feed_all(&m, HDR "\x03/a\n", HDR_LEN + 4), NET_MSS_AGAIN);
  size_t n;
  const uint8_t *o = net_mss_output(&m, &n);
  assert_int_equal(n, HDR_LEN + 4);
  assert_memory_equal(o + HDR_LEN, "\x03na\n", 4);
  assert_null(net_mss_selected(&m));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spec_frames),
      cmocka_unit_test(test_negotiate_whole),
      cmocka_unit_test(test_negotiate_byte_by_byte),
      cmocka_unit_test(test_eager_data_left),
      cmocka_unit_test(test_ls),
      cmocka_unit_test(test_peer_errors),
      cmocka_unit_test(test_usage_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

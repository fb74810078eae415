/*
 * test_gw_uri.c — the Ipfs-Uri header's value (IPIP-0548, gw_common.c's
 * gw__ipfs_uri) for the forms boxo v0.43.0 canonicalizes: /ipfs/ roots
 * as base32 CIDv1, IPNS keys as base36 libp2p-key CIDs, DNSLink names in
 * lower case (and the names x/net/idna's Lookup refuses left out), each
 * segment percent-encoded but for RFC 3986's unreserved bytes, the
 * trailing slash kept, GW_IPFS_URI_MAX.  tests/interop/gateway_uri_kubo.sh
 * checks the same against Kubo's gateway.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../gateway/gw_int.h"

#define V0 "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn" /* the empty dir */
#define V1 "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"
#define KEY36 "k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8"
#define KEY32 "bafzaajaiaejcbzdibmxyzdjbbehgvizh6g5tikvy47mshdy6gwbruvgwvd24seje"
#define KEY58 "12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK"

/* The URI of ns root/segs... (slash: a trailing one), or NULL for none. */
static const char *uri(bool ipns, bool slash, const char *root, ...) {
  static char out[GW_IPFS_URI_MAX + 1];
  char *segs[16];
  size_t n = 0;
  segs[n++] = (char *)root;
  va_list ap;
  va_start(ap, root);
  for (char *s; (s = va_arg(ap, char *));)
    segs[n++] = s;
  va_end(ap);
  int l = gw__ipfs_uri(ipns, NULL, segs, n, slash, out, sizeof out);
  if (l < 0)
    return NULL;
  assert_int_equal((size_t)l, strlen(out));
  return out;
}

static void test_ipfs_roots(void **state) {
  (void)state;
  assert_string_equal(uri(false, false, V1, NULL), "ipfs://" V1);
  assert_string_equal(uri(false, true, V1, NULL), "ipfs://" V1 "/");
  assert_string_equal(uri(false, false, V0, NULL), "ipfs://" V1);
  assert_string_equal(uri(false, false,
                          "BAFYBEICZSSCDSBS7FFQZ55ASQDF3SMV6KLCW3GOFSZVWLYARCI47BGF354",
                          NULL),
                      "ipfs://" V1);
  /* The codec is kept (raw, an identity hash); another base is base32. */
  assert_string_equal(uri(false, false, "bafkqabtimvwgy3yk", NULL),
                      "ipfs://bafkqabtimvwgy3yk");
  assert_string_equal(
      uri(false, false, "zdj7WbTaiJT1fgatdet9Ei9iDB5hdCxkbVyhyh8YTUnXMiwYi", NULL),
      "ipfs://" V1);
  /* A root the caller parsed already: the same value. */
  dag_cid_t r;
  char *seg[] = {V0}, out[128];
  assert_int_equal(dag_cid_parse(&r, V0, strlen(V0)), 0);
  assert_true(gw__ipfs_uri(false, &r, seg, 1, false, out, sizeof out) > 0);
  assert_string_equal(out, "ipfs://" V1);
  assert_null(uri(false, false, "notacid", NULL));
  assert_null(uri(false, false, "", NULL));
}

static void test_ipns_names(void **state) {
  (void)state;
  assert_string_equal(uri(true, false, KEY36, "x", NULL), "ipns://" KEY36 "/x");
  assert_string_equal(uri(true, true, KEY32, NULL), "ipns://" KEY36 "/");
  assert_string_equal(uri(true, false, KEY58, NULL), "ipns://" KEY36);
  /* DNSLink names: lower case, one final dot dropped. */
  assert_string_equal(uri(true, false, "Site.Example.ORG.", "a.txt", NULL),
                      "ipns://site.example.org/a.txt");
  assert_string_equal(uri(true, false, "a-b.123.example", NULL),
                      "ipns://a-b.123.example");
  /* What idna's Lookup refuses, and what it would change (non-ASCII,
   * punycode labels): no header. */
  const char *none[] = {"localhost", "a..b", "ab--.example", ".a.b", "a.b..", "-a.b",
                        "a-.b", "ab--cd.com", "_dnslink.example.com",
                        "x_y.com", "ünï.com", "xn--nxasmq6b.com", "a b.com",
                        "a/b.com", V1 /* a CID that is not a key, no dot */};
  for (size_t i = 0; i < sizeof none / sizeof *none; i++)
    assert_null(uri(true, false, none[i], NULL));
}

static void test_segments(void **state) {
  (void)state;
  assert_string_equal(uri(false, false, V1, "sub", "\xc5\x82\xc3\xb3" "d\xc5\xba.txt", NULL),
                      "ipfs://" V1 "/sub/%C5%82%C3%B3d%C5%BA.txt");
  assert_string_equal(uri(false, false, V1, "a b&c=d+e;f.txt", NULL),
                      "ipfs://" V1 "/a%20b%26c%3Dd%2Be%3Bf.txt");
  assert_string_equal(uri(false, true, V1, "t~_-.txt", "q?#%'()*!$,:@", NULL),
                      "ipfs://" V1 "/t~_-.txt/q%3F%23%25%27%28%29%2A%21%24%2C%3A%40/");
  assert_string_equal(uri(false, false, V1, "ctl\x01\x7f\xff", NULL),
                      "ipfs://" V1 "/ctl%01%7F%FF");
}

static void test_length_cap(void **state) {
  (void)state;
  /* "ipfs://" + V1 + "/" + seg: exactly GW_IPFS_URI_MAX is sent, one more
   * byte is not (boxo's maxIpfsUriLength). */
  static char seg[GW_IPFS_URI_MAX];
  size_t room = GW_IPFS_URI_MAX - strlen("ipfs://" V1 "/");
  memset(seg, 'a', room);
  seg[room] = 0;
  const char *u = uri(false, false, V1, seg, NULL);
  assert_non_null(u);
  assert_int_equal(strlen(u), GW_IPFS_URI_MAX);
  assert_null(uri(false, true, V1, seg, NULL));
  seg[room - 1] = ' '; /* "%20": two bytes over */
  assert_null(uri(false, false, V1, seg, NULL));
  /* A small buffer: none rather than a cut value. */
  char small[16];
  char *segs[] = {V1};
  assert_int_equal(gw__ipfs_uri(false, NULL, segs, 1, false, small, sizeof small),
                   -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ipfs_roots),
      cmocka_unit_test(test_ipns_names),
      cmocka_unit_test(test_segments),
      cmocka_unit_test(test_length_cap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

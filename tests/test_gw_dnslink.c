/*
 * test_gw_dnslink.c — the DNSLink parsers of the gateway (gw_dnslink.c):
 * the offline name map (Kubo's IPFS_NS_MAP), a TXT record's value, domain
 * names, and the TXT records of a DNS answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "../gateway/gw_int.h"

#define S(x) x, strlen(x)

static void test_map(void **state) {
  (void)state;
  gw_dnslink_t d = {0};
  assert_int_equal(gw_dnslink_map_parse(&d, S("a.example.org:/ipfs/bafyA,"
                                              "B.Example.org.:/ipns/k51x/sub,,")),
                   0);
  assert_int_equal(d.nmap, 2);
  assert_string_equal(gw_dnslink_map_get(&d, S("A.EXAMPLE.ORG")), "/ipfs/bafyA");
  assert_string_equal(gw_dnslink_map_get(&d, S("a.example.org.")), "/ipfs/bafyA");
  assert_string_equal(gw_dnslink_map_get(&d, S("b.example.org")), "/ipns/k51x/sub");
  assert_null(gw_dnslink_map_get(&d, S("c.example.org")));
  assert_null(gw_dnslink_map_get(&d, S("example.org")));
  assert_null(gw_dnslink_map_get(NULL, S("a.example.org")));
  /* Refused whole: nothing kept. */
  static const char *bad[] = {
      "a.example.org",               /* no value */
      "a.example.org:",              /* empty value */
      "a.example.org:/ipfs/",        /* nothing after the namespace */
      "a.example.org:bafyA",         /* not a path */
      "a.example.org:/ipfs/a b",     /* a space */
      "localhost:/ipfs/bafyA",       /* no dot */
      "a..org:/ipfs/bafyA",          /* an empty label */
      "a b.org:/ipfs/bafyA",         /* not a DNS name */
      ":/ipfs/bafyA",                /* no domain */
      "ok.org:/ipfs/x,bad:/ipfs/y",  /* one bad entry */
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(gw_dnslink_map_parse(&d, S(bad[i])), -EINVAL);
    assert_int_equal(d.nmap, 0);
    assert_null(d.map);
  }
  assert_int_equal(gw_dnslink_map_parse(&d, S("")), 0);
  assert_int_equal(d.nmap, 0);
  gw_dnslink_free(&d);
}

static void test_domain(void **state) {
  (void)state;
  assert_true(gw_dnslink_domain_ok(S("example.org")));
  assert_true(gw_dnslink_domain_ok(S("_dnslink.a-b.example.org.")));
  assert_false(gw_dnslink_domain_ok(S("example")));
  assert_false(gw_dnslink_domain_ok(S(".example.org")));
  assert_false(gw_dnslink_domain_ok(S("exa mple.org")));
  assert_false(gw_dnslink_domain_ok(S("")));
  char label[70];
  memset(label, 'a', 64);
  memcpy(label + 64, ".org", 5);
  assert_false(gw_dnslink_domain_ok(S(label))); /* a 64-byte label */
  assert_true(gw_dnslink_domain_ok(label + 1, strlen(label) - 1));
}

static void test_txt(void **state) {
  (void)state;
  char out[64];
  assert_int_equal(gw_dnslink_txt(S("dnslink=/ipfs/bafyA"), out, sizeof out), 11);
  assert_string_equal(out, "/ipfs/bafyA");
  assert_int_equal(gw_dnslink_txt(S("dnslink= /ipns/k51x/a \t"), out, sizeof out), 12);
  assert_string_equal(out, "/ipns/k51x/a");
  assert_int_equal(gw_dnslink_txt(S("v=spf1 -all"), out, sizeof out), TR_ENOTFOUND);
  assert_int_equal(gw_dnslink_txt(S("dnslink"), out, sizeof out), TR_ENOTFOUND);
  assert_int_equal(gw_dnslink_txt(S("dnslink=ipfs://x"), out, sizeof out), -EINVAL);
  assert_int_equal(gw_dnslink_txt(S("dnslink=/ipfs/a\x01"), out, sizeof out), -EINVAL);
  assert_int_equal(gw_dnslink_txt(S("dnslink=/ipfs/0123456789"), out, 8), TR_EBUFSIZE);
}

/* A DNS answer: the question, then TXT records of the given strings, each
 * with its TTL (ttls NULL: 60 s each); a record "CNAME" is a CNAME. */
static size_t answer_ttl(uint8_t *b, const char *const *recs, size_t n,
                         const uint32_t *ttls) {
  static const uint8_t hdr[] = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0};
  memcpy(b, hdr, sizeof hdr);
  b[7] = (uint8_t)n;
  size_t o = sizeof hdr;
  static const uint8_t q[] = "\x08_dnslink\x07" "example\x03org\x00\x00\x10\x00\x01";
  memcpy(b + o, q, sizeof q - 1);
  o += sizeof q - 1;
  for (size_t i = 0; i < n; i++) {
    uint32_t t = ttls ? ttls[i] : 60;
    if (!strcmp(recs[i], "CNAME")) { /* to the question's name: c0 0c */
      const uint8_t rr[] = {0xc0, 0x0c, 0, 5, 0, 1, (uint8_t)(t >> 24),
                            (uint8_t)(t >> 16), (uint8_t)(t >> 8), (uint8_t)t,
                            0, 2, 0xc0, 0x0c};
      memcpy(b + o, rr, sizeof rr);
      o += sizeof rr;
      continue;
    }
    size_t l = strlen(recs[i]);
    const uint8_t rr[] = {0xc0, 0x0c, 0, 16, 0, 1, (uint8_t)(t >> 24),
                          (uint8_t)(t >> 16), (uint8_t)(t >> 8), (uint8_t)t, 0,
                          (uint8_t)(l + 1), (uint8_t)l};
    memcpy(b + o, rr, sizeof rr);
    o += sizeof rr;
    memcpy(b + o, recs[i], l);
    o += l;
  }
  return o;
}

static size_t answer(uint8_t *b, const char *const *recs, size_t n) {
  return answer_ttl(b, recs, n, NULL);
}

static void test_answer(void **state) {
  (void)state;
  uint8_t b[512];
  char out[64];
  int64_t ttl;
  const char *recs[] = {"v=spf1 -all", "dnslink=bad", "dnslink=/ipfs/bafyA"};
  size_t n = answer(b, recs, 3);
  assert_int_equal(gw__dnslink_answer(b, n, out, sizeof out, &ttl), 0);
  assert_string_equal(out, "/ipfs/bafyA");
  assert_int_equal(ttl, 60);
  n = answer(b, recs, 2);
  assert_int_equal(gw__dnslink_answer(b, n, out, sizeof out, &ttl), TR_ENOTFOUND);
  assert_int_equal(ttl, -1);
  n = answer(b, recs + 2, 1);
  assert_int_equal(gw__dnslink_answer(b, n - 3, out, sizeof out, &ttl), TR_ENOTFOUND);
  assert_int_equal(gw__dnslink_answer(b, 5, out, sizeof out, &ttl), TR_ENOTFOUND);
  /* The TTL: the DNSLink record's, or a CNAME's on the way when shorter;
   * the other TXT records' do not count. */
  const char *cn[] = {"v=spf1 -all", "CNAME", "dnslink=/ipfs/bafyB", "dnslink=/ipfs/bafyC"};
  const uint32_t t1[] = {5, 3600, 120, 7};
  n = answer_ttl(b, cn, 4, t1);
  assert_int_equal(gw__dnslink_answer(b, n, out, sizeof out, &ttl), 0);
  assert_string_equal(out, "/ipfs/bafyB");
  assert_int_equal(ttl, 120);
  const uint32_t t2[] = {5, 30, 120, 7};
  n = answer_ttl(b, cn, 4, t2);
  assert_int_equal(gw__dnslink_answer(b, n, out, sizeof out, &ttl), 0);
  assert_int_equal(ttl, 30);
  const uint32_t t3[] = {5, 30, 0xffffffffu, 7}; /* not capped here */
  n = answer_ttl(b, cn + 2, 1, t3 + 2);
  assert_int_equal(gw__dnslink_answer(b, n, out, sizeof out, &ttl), 0);
  assert_int_equal(ttl, 0xffffffffll);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_map),
      cmocka_unit_test(test_domain),
      cmocka_unit_test(test_txt),
      cmocka_unit_test(test_answer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_dns.c — the DNS codec of dns/dns.h against known-answer vectors
 * made by an independent implementation (dnspython 2.8.0's to_wire(): a
 * query, an answer with two TXT records and name compression, a CNAME
 * chain, NXDOMAIN), then hostile answers (pointer loops, forward
 * pointers, every truncation, oversize, a wrong id or question, TC, error
 * rcodes); and the resolver's table (DNS.Resolvers: the longest suffix on
 * a label boundary wins, "." the default, schemes refused).
 */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "../dns/dns.h"

#define V(s) ((const uint8_t *)(s)), (sizeof(s) - 1)

/* dnspython: make_query('_dnslink.example.org.', 'TXT'), id 0, flags RD. */
static const char QUERY[] =
    "\x00\x00\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x08\x5f\x64\x6e\x73\x6c"
    "\x69\x6e\x6b\x07\x65\x78\x61\x6d\x70\x6c\x65\x03\x6f\x72\x67\x00\x00\x10"
    "\x00\x01";
/* Its answer: "v=spf1" " -all" and "dnslink=/ipfs/bafkqaaa", TTL 300, the
 * owners compressed (0xc00c). */
static const char ANSWER[] =
    "\x00\x00\x81\x00\x00\x01\x00\x02\x00\x00\x00\x00\x08\x5f\x64\x6e\x73\x6c"
    "\x69\x6e\x6b\x07\x65\x78\x61\x6d\x70\x6c\x65\x03\x6f\x72\x67\x00\x00\x10"
    "\x00\x01\xc0\x0c\x00\x10\x00\x01\x00\x00\x01\x2c\x00\x0d\x06\x76\x3d\x73"
    "\x70\x66\x31\x05\x20\x2d\x61\x6c\x6c\xc0\x0c\x00\x10\x00\x01\x00\x00\x01"
    "\x2c\x00\x17\x16\x64\x6e\x73\x6c\x69\x6e\x6b\x3d\x2f\x69\x70\x66\x73\x2f"
    "\x62\x61\x66\x6b\x71\x61\x61\x61";
/* A CNAME (TTL 600) to _dnslink.other.example.net (its "example" a
 * pointer), whose TXT (TTL 120) is "dnslink=/ipns/k51abc". */
static const char CNAME[] =
    "\x00\x00\x81\x00\x00\x01\x00\x02\x00\x00\x00\x00\x08\x5f\x64\x6e\x73\x6c"
    "\x69\x6e\x6b\x07\x65\x78\x61\x6d\x70\x6c\x65\x03\x6f\x72\x67\x00\x00\x10"
    "\x00\x01\xc0\x0c\x00\x05\x00\x01\x00\x00\x02\x58\x00\x1c\x08\x5f\x64\x6e"
    "\x73\x6c\x69\x6e\x6b\x05\x6f\x74\x68\x65\x72\x07\x65\x78\x61\x6d\x70\x6c"
    "\x65\x03\x6e\x65\x74\x00\xc0\x32\x00\x10\x00\x01\x00\x00\x00\x78\x00\x15"
    "\x14\x64\x6e\x73\x6c\x69\x6e\x6b\x3d\x2f\x69\x70\x6e\x73\x2f\x6b\x35\x31"
    "\x61\x62\x63";
static const char NXDOMAIN[] =
    "\x00\x00\x81\x03\x00\x01\x00\x00\x00\x00\x00\x00\x08\x5f\x64\x6e\x73\x6c"
    "\x69\x6e\x6b\x07\x65\x78\x61\x6d\x70\x6c\x65\x03\x6f\x72\x67\x00\x00\x10"
    "\x00\x01";

static const char *NAME = "_dnslink.example.org";

typedef struct got {
  int n;
  char txt[4][128];
  uint32_t ttl[4];
  int stop_at; /* return 7 at this record (1-based); 0: never */
} got_t;

static int on_txt(void *ud, const char *t, size_t n, uint32_t ttl) {
  got_t *g = ud;
  if (g->n < 4) {
    snprintf(g->txt[g->n], sizeof g->txt[0], "%.*s", (int)n, t);
    g->ttl[g->n] = ttl;
  }
  g->n++;
  return g->n == g->stop_at ? 7 : 0;
}

static void test_query_vector(void **state) {
  (void)state;
  uint8_t q[300];
  int n = dns_query_encode(0, "_dnslink.example.org.", DNS_TYPE_TXT, q,
                           sizeof q);
  assert_int_equal(n, sizeof QUERY - 1);
  assert_memory_equal(q, QUERY, sizeof QUERY - 1);
  /* Without the final dot: the same bytes. */
  assert_int_equal(dns_query_encode(0, NAME, DNS_TYPE_TXT, q, sizeof q), n);
  assert_memory_equal(q, QUERY, sizeof QUERY - 1);
  assert_int_equal(dns_query_encode(0, NAME, DNS_TYPE_TXT, q, (size_t)n - 1),
                   TR_EBUFSIZE);
  const char *bad[] = {"", ".", "a..b", "a b.c", ".a", "a..",
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                       "aaaaaaaaa.org"};
  for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++)
    assert_int_equal(dns_query_encode(0, bad[i], DNS_TYPE_TXT, q, sizeof q),
                     -EINVAL);
  char big[300];
  memset(big, 'a', sizeof big);
  for (size_t i = 60; i < sizeof big; i += 61)
    big[i] = '.';
  big[254] = 0; /* 254 bytes of text: over DNS_NAME_MAX */
  assert_int_equal(dns_query_encode(0, big, DNS_TYPE_TXT, q, sizeof q),
                   -EINVAL);
  big[253] = 0;
  assert_true(dns_query_encode(0, big, DNS_TYPE_TXT, q, sizeof q) > 0);
}

static void test_answer_vectors(void **state) {
  (void)state;
  got_t g = {0};
  uint32_t ttl = 0;
  assert_int_equal(dns_txt_parse(V(ANSWER), 0, NAME, on_txt, &g, &ttl), 0);
  assert_int_equal(g.n, 2);
  assert_string_equal(g.txt[0], "v=spf1 -all"); /* two strings joined */
  assert_string_equal(g.txt[1], "dnslink=/ipfs/bafkqaaa");
  assert_int_equal(g.ttl[1], 300);
  assert_int_equal(ttl, 300);
  /* Names compare without case or the final dot. */
  memset(&g, 0, sizeof g);
  assert_int_equal(
      dns_txt_parse(V(ANSWER), 0, "_DNSLink.Example.ORG.", on_txt, &g, NULL),
      0);
  assert_int_equal(g.n, 2);
  /* A callback's value stops the walk and is returned. */
  memset(&g, 0, sizeof g);
  g.stop_at = 1;
  assert_int_equal(dns_txt_parse(V(ANSWER), 0, NAME, on_txt, &g, NULL), 7);
  assert_int_equal(g.n, 1);

  memset(&g, 0, sizeof g);
  assert_int_equal(dns_txt_parse(V(CNAME), 0, NAME, on_txt, &g, &ttl), 0);
  assert_int_equal(g.n, 1);
  assert_string_equal(g.txt[0], "dnslink=/ipns/k51abc");
  assert_int_equal(ttl, 120); /* the least of the chain */

  memset(&g, 0, sizeof g);
  assert_int_equal(dns_txt_parse(V(NXDOMAIN), 0, NAME, on_txt, &g, &ttl),
                   TR_ENOTFOUND);
  assert_int_equal(g.n, 0);
}

/* A copy of a vector to damage. */
static uint8_t buf[DNS_MSG_MAX + 2];
static size_t mk(const uint8_t *v, size_t n) {
  memcpy(buf, v, n);
  return n;
}

static void test_hostile(void **state) {
  (void)state;
  got_t g = {0};
  /* Every truncation of each vector: an error, never a read past it. */
  const struct {
    const char *v;
    size_t n;
  } vs[] = {{ANSWER, sizeof ANSWER - 1}, {CNAME, sizeof CNAME - 1}};
  for (size_t k = 0; k < TR_ARRAY_LEN(vs); k++)
    for (size_t n = 0; n < vs[k].n; n++) {
      uint8_t *p = tr_malloc(n ? n : 1); /* exact size: ASan sees overreads */
      memcpy(p, vs[k].v, n);
      assert_int_equal(dns_txt_parse(p, n, 0, NAME, on_txt, &g, NULL),
                       TR_EPROTO);
      tr_free(p);
    }
  /* The first answer's owner pointer aimed at itself (offset 38): a loop. */
  size_t n = mk(V(ANSWER));
  buf[39] = 38;
  assert_int_equal(dns_txt_parse(buf, n, 0, NAME, on_txt, &g, NULL),
                   TR_EPROTO);
  /* ... and forward, at the second record's owner. */
  buf[39] = 60;
  assert_int_equal(dns_txt_parse(buf, n, 0, NAME, on_txt, &g, NULL),
                   TR_EPROTO);
  /* The question's name as a pointer to the header: refused too (only
   * backwards; into the header it reads garbage labels, not a loop). */
  n = mk(V(ANSWER));
  buf[12] = 0xc0;
  buf[13] = 12;
  assert_int_equal(dns_txt_parse(buf, n, 0, NAME, on_txt, &g, NULL),
                   TR_EPROTO);
  /* A wrong id, not a response, TC, another question type, another name. */
  n = mk(V(ANSWER));
  assert_int_equal(dns_txt_parse(buf, n, 1, NAME, on_txt, &g, NULL),
                   TR_EPROTO);
  buf[2] &= 0x7f;
  assert_int_equal(dns_txt_parse(buf, n, 0, NAME, on_txt, &g, NULL),
                   TR_EPROTO);
  n = mk(V(ANSWER));
  buf[2] |= 0x02;
  assert_int_equal(dns_txt_parse(buf, n, 0, NAME, on_txt, &g, NULL),
                   TR_EPROTO);
  n = mk(V(ANSWER));
  buf[35] = 1; /* QTYPE A */
  assert_int_equal(dns_txt_parse(buf, n, 0, NAME, on_txt, &g, NULL),
                   TR_EPROTO);
  n = mk(V(ANSWER));
  assert_int_equal(
      dns_txt_parse(buf, n, 0, "_dnslink.example.com", on_txt, &g, NULL),
      TR_EPROTO);
  /* SERVFAIL, REFUSED: the server's error. */
  n = mk(V(NXDOMAIN));
  buf[3] = 0x82;
  assert_int_equal(dns_txt_parse(buf, n, 0, NAME, on_txt, &g, NULL),
                   -EREMOTEIO);
  buf[3] = 0x85;
  assert_int_equal(dns_txt_parse(buf, n, 0, NAME, on_txt, &g, NULL),
                   -EREMOTEIO);
  /* Oversize. */
  assert_int_equal(dns_txt_parse(buf, DNS_MSG_MAX + 1, 0, NAME, on_txt, &g,
                                 NULL),
                   TR_ETOOBIG);
  /* A TXT whose length byte runs past its rdata: skipped, not an error. */
  memset(&g, 0, sizeof g);
  n = mk(V(ANSWER));
  buf[50] = 0x20; /* "v=spf1"'s length */
  assert_int_equal(dns_txt_parse(buf, n, 0, NAME, on_txt, &g, NULL), 0);
  assert_int_equal(g.n, 1);
  assert_string_equal(g.txt[0], "dnslink=/ipfs/bafkqaaa");
  /* An rdlength past the end. */
  n = mk(V(ANSWER));
  buf[49] = 0xff;
  assert_int_equal(dns_txt_parse(buf, n, 0, NAME, on_txt, &g, NULL),
                   TR_EPROTO);
  /* ANCOUNT says more records than there are. */
  n = mk(V(ANSWER));
  buf[7] = 3;
  assert_int_equal(dns_txt_parse(buf, n, 0, NAME, on_txt, &g, NULL),
                   TR_EPROTO);
}

/* A CNAME that points back at the question (a chain loop): bounded by
 * DNS_CNAME_MAX, no records, no error. */
static void test_cname_loop(void **state) {
  (void)state;
  size_t n = mk(V(NXDOMAIN));
  buf[3] = 0x80;
  buf[7] = 1; /* ANCOUNT */
  const uint8_t rr[] = {0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 9, 0, 2, 0xc0, 0x0c};
  memcpy(buf + n, rr, sizeof rr);
  got_t g = {0};
  uint32_t ttl = 0;
  assert_int_equal(dns_txt_parse(buf, n + sizeof rr, 0, NAME, on_txt, &g, &ttl),
                   0);
  assert_int_equal(g.n, 0);
}

static void test_resolver_table(void **state) {
  (void)state;
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  dns_resolver_t *r;
  assert_int_equal(dns_resolver_new(&loop, NULL, &r), 0);
  assert_null(dns_resolver_url(r, "example.org"));
  assert_int_equal(dns_resolver_add(r, "eth.", "https://eth.test/dns-query"), 0);
  assert_int_equal(dns_resolver_add(r, "b.eth", "http://127.0.0.1:1/q"), 0);
  assert_null(dns_resolver_url(r, "example.org")); /* no "." yet */
  assert_string_equal(dns_resolver_url(r, "_dnslink.a.eth"),
                      "https://eth.test/dns-query");
  assert_string_equal(dns_resolver_url(r, "x.B.ETH."), "http://127.0.0.1:1/q");
  assert_string_equal(dns_resolver_url(r, "b.eth"), "http://127.0.0.1:1/q");
  /* Label boundaries: "ab.eth" is under eth, not under b.eth; "beth" under
   * neither. */
  assert_string_equal(dns_resolver_url(r, "ab.eth"), "https://eth.test/dns-query");
  assert_null(dns_resolver_url(r, "beth"));
  assert_int_equal(dns_resolver_add(r, ".", "https://root.test/q"), 0);
  assert_string_equal(dns_resolver_url(r, "beth"), "https://root.test/q");
  assert_int_equal(dns_resolver_add(r, ".", "https://root2.test/q"), 0);
  assert_string_equal(dns_resolver_url(r, "example.org"), "https://root2.test/q");
  assert_int_equal(dns_resolver_add(r, "x", "udp://1.1.1.1"), -EPROTONOSUPPORT);
  assert_int_equal(dns_resolver_add(r, "x", "1.1.1.1"), -EINVAL);
  assert_int_equal(dns_resolver_add(r, "x", "https://a/#f"), -EINVAL);
  assert_int_equal(dns_resolver_add(r, "a..b", "https://a/"), -EINVAL);
  assert_int_equal(dns_resolver_add(r, "", "https://a/"), -EINVAL);
  /* A lookup no entry covers is not the resolver's. */
  dns_resolver_t *r2;
  assert_int_equal(dns_resolver_new(&loop, NULL, &r2), 0);
  assert_int_equal(dns_resolver_txt(r2, "a.example", NULL, NULL, NULL), -EINVAL);
  dns_resolver_free(r2);
  dns_resolver_free(r);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_query_vector),
      cmocka_unit_test(test_answer_vectors),
      cmocka_unit_test(test_hostile),
      cmocka_unit_test(test_cname_loop),
      cmocka_unit_test(test_resolver_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

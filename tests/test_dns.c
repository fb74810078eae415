/*
 * test_dns.c — the DNS codec of dns/dns.h against known-answer vectors
 * made by an independent implementation (dnspython 2.8.0's to_wire(): a
 * query, an answer with two TXT records and name compression, a CNAME
 * chain, NXDOMAIN), then hostile answers (pointer loops, forward
 * pointers, every truncation, oversize, a wrong id or question, TC, error
 * rcodes); the resolver's table (DNS.Resolvers: the longest suffix on
 * a label boundary wins, "." the default, schemes refused); and the mDNS
 * codec against miekg/dns (zeroconf's library): its browse query byte for
 * byte, the TXT strings of a zeroconf answer, ours read back, every
 * truncation.
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


/* ---------------------------------------------------------------- mDNS */

/* miekg/dns (zeroconf's DNS library; tests/vectors/mdns/gen): a zeroconf
 * server's answer to a browse of _p2p._udp.local, names compressed: the
 * PTR, then SRV, TXT (two dnsaddr strings) and A in the additional
 * section. */
static const char MDNS_ANSWER[] =
    "\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x03\x04\x5f\x70\x32\x70\x04"
    "\x5f\x75\x64\x70\x05\x6c\x6f\x63\x61\x6c\x00\x00\x0c\x00\x01\x00\x00\x0c"
    "\x80\x00\x23\x20\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e"
    "\x6f\x70\x71\x72\x73\x74\x75\x76\x77\x78\x79\x7a\x30\x31\x32\x33\x34\x35"
    "\xc0\x0c\xc0\x27\x00\x21\x00\x01\x00\x00\x0c\x80\x00\x2e\x00\x00\x00\x00"
    "\x0f\xa1\x20\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"
    "\x70\x71\x72\x73\x74\x75\x76\x77\x78\x79\x7a\x30\x31\x32\x33\x34\x35\x05"
    "\x6c\x6f\x63\x61\x6c\x00\xc0\x27\x00\x10\x00\x01\x00\x00\x0c\x80\x00\xb0"
    "\x58\x64\x6e\x73\x61\x64\x64\x72\x3d\x2f\x69\x70\x34\x2f\x31\x30\x2e\x38"
    "\x38\x2e\x30\x2e\x32\x2f\x74\x63\x70\x2f\x34\x30\x30\x31\x2f\x70\x32\x70"
    "\x2f\x31\x32\x44\x33\x4b\x6f\x6f\x57\x4b\x6e\x44\x64\x47\x33\x69\x58\x77"
    "\x39\x65\x54\x46\x69\x6a\x6b\x33\x45\x57\x53\x75\x6e\x5a\x63\x46\x69\x35"
    "\x34\x5a\x6b\x61\x34\x77\x6d\x74\x71\x74\x74\x36\x72\x50\x78\x63\x38\x56"
    "\x64\x6e\x73\x61\x64\x64\x72\x3d\x2f\x69\x70\x36\x2f\x66\x65\x38\x30\x3a"
    "\x3a\x31\x2f\x74\x63\x70\x2f\x34\x30\x30\x31\x2f\x70\x32\x70\x2f\x31\x32"
    "\x44\x33\x4b\x6f\x6f\x57\x4b\x6e\x44\x64\x47\x33\x69\x58\x77\x39\x65\x54"
    "\x46\x69\x6a\x6b\x33\x45\x57\x53\x75\x6e\x5a\x63\x46\x69\x35\x34\x5a\x6b"
    "\x61\x34\x77\x6d\x74\x71\x74\x74\x36\x72\x50\x78\x63\x38\xc0\x5c\x00\x01"
    "\x00\x01\x00\x00\x00\x78\x00\x04\x0a\x58\x00\x02";
/* Its browse query, id 0, no recursion. */
static const char MDNS_QUERY[] =
    "\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04\x5f\x70\x32\x70\x04"
    "\x5f\x75\x64\x70\x05\x6c\x6f\x63\x61\x6c\x00\x00\x0c\x00\x01";

typedef struct strs {
  char s[8][256];
  size_t n;
} strs_t;

static void on_mdns_txt(void *ud, const char *s, size_t len) {
  strs_t *t = ud;
  assert_true(len < 256);
  if (t->n < 8) {
    memcpy(t->s[t->n], s, len);
    t->s[t->n++][len] = 0;
  }
}

static void test_mdns(void **state) {
  (void)state;
  uint8_t q[64];
  int n = dns_mdns_query(q, sizeof q);
  assert_int_equal(n, sizeof MDNS_QUERY - 1);
  assert_memory_equal(q, MDNS_QUERY, (size_t)n);
  bool uni;
  assert_int_equal(dns_mdns_asks(q, (size_t)n, &uni), 1);
  assert_false(uni);
  q[n - 2] |= 0x80; /* QU */
  assert_int_equal(dns_mdns_asks(q, (size_t)n, &uni), 1);
  assert_true(uni);
  uint8_t other[64];
  int m = dns_query_encode(0, "_other._udp.local", 12, other, sizeof other);
  assert_int_equal(dns_mdns_asks(other, (size_t)m, &uni), 0);
  assert_int_equal(dns_mdns_asks(V(MDNS_ANSWER), &uni), 0); /* an answer */

  strs_t t = {.n = 0};
  assert_int_equal(dns_mdns_txts(V(MDNS_ANSWER), on_mdns_txt, &t), 0);
  assert_int_equal(t.n, 2);
  assert_string_equal(t.s[0], "dnsaddr=/ip4/10.88.0.2/tcp/4001/p2p/"
                              "12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc8");
  assert_string_equal(t.s[1], "dnsaddr=/ip6/fe80::1/tcp/4001/p2p/"
                              "12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc8");
  t.n = 0;
  assert_int_equal(dns_mdns_txts(q, (size_t)n, on_mdns_txt, &t), 0); /* a query */
  assert_int_equal(t.n, 0);

  /* Ours, read back: the same records as zeroconf's, uncompressed. */
  const char *txt[] = {t.s[0], "dnsaddr=/ip4/1.2.3.4/tcp/1/p2p/x"};
  strcpy(t.s[0], "dnsaddr=/ip4/10.88.0.2/tcp/4001/p2p/y");
  uint8_t a[1024], ip[4] = {10, 88, 0, 2};
  n = dns_mdns_answer("abcdefghijklmnopqrstuvwxyz012345", txt, 2, ip, a,
                      sizeof a);
  assert_true(n > 0);
  assert_int_equal(dns_mdns_asks(a, (size_t)n, &uni), 0);
  strs_t u = {.n = 0};
  assert_int_equal(dns_mdns_txts(a, (size_t)n, on_mdns_txt, &u), 0);
  assert_int_equal(u.n, 2);
  assert_string_equal(u.s[1], "dnsaddr=/ip4/1.2.3.4/tcp/1/p2p/x");
  /* zeroconf's records in the same order: PTR; SRV, TXT, A. */
  assert_memory_equal(a, "\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x03", 12);
  assert_int_equal(dns_mdns_answer("Bad", txt, 2, ip, a, sizeof a), -EINVAL);
  assert_int_equal(dns_mdns_answer("ok", txt, 2, ip, a, 40), TR_EBUFSIZE);

  /* Every truncation of the vector: an error or fewer strings, no crash
   * (ASan); a pointer forward or into itself refused. */
  for (size_t k = 0; k < sizeof MDNS_ANSWER - 1; k++) {
    t.n = 0;
    int rc = dns_mdns_txts((const uint8_t *)MDNS_ANSWER, k, on_mdns_txt, &t);
    assert_true(rc == 0 || rc == TR_EPROTO);
    assert_true(t.n <= 2);
    assert_true(dns_mdns_asks((const uint8_t *)MDNS_ANSWER, k, &uni) <= 0);
  }
  uint8_t bad[sizeof MDNS_ANSWER];
  memcpy(bad, MDNS_ANSWER, sizeof bad);
  bad[74] = 0xc0; /* the SRV's owner, a pointer (0xc027), now points ahead */
  bad[75] = 0xff;
  assert_int_equal(dns_mdns_txts(bad, sizeof bad - 1, on_mdns_txt, &t),
                   TR_EPROTO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_query_vector),
      cmocka_unit_test(test_answer_vectors),
      cmocka_unit_test(test_hostile),
      cmocka_unit_test(test_cname_loop),
      cmocka_unit_test(test_resolver_table),
      cmocka_unit_test(test_mdns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

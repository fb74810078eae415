/*
 * fuzz_dns.c — libFuzzer target for the DNS codec (dns/dns_msg.c): the
 * input as an answer to a TXT query for _dnslink.example.org (the seeds'
 * question), and as a name to encode a query for.
 *
 * Properties: dns_txt_parse returns only the documented codes; each record
 * it hands out is at most DNS_TXT_MAX bytes with a TTL under 2^31, there
 * are at most DNS_RR_MAX * (DNS_CNAME_MAX + 1) of them, and *min_ttl is
 * the least of them (or UINT32_MAX when none); a query that encodes is
 * read back, its QR bit set, as an answer to itself with no records.
 * The same bytes are an mDNS message: dns_mdns_asks gives 0, 1 or
 * TR_EPROTO, dns_mdns_txts 0, TR_EPROTO or TR_ETOOBIG and strings of 1 to
 * 255 bytes inside the input; and strings cut from the input, put in our
 * answer, come back the same.
 * Build: make build-fuzz/fuzz_dns; seeds in tests/fuzz/corpus/fuzz_dns.
 */
#include "../../dns/dns.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct seen {
  size_t n;
  uint32_t least;
} seen_t;

static int on_txt(void *ud, const char *txt, size_t n, uint32_t ttl) {
  seen_t *s = ud;
  (void)txt;
  if (n > DNS_TXT_MAX || ttl > 0x7fffffffu)
    abort();
  if (++s->n > (size_t)DNS_RR_MAX * (DNS_CNAME_MAX + 1))
    abort();
  if (ttl < s->least)
    s->least = ttl;
  return 0;
}

typedef struct mseen {
  const uint8_t *lo, *hi;
  size_t n;
  char got[4][256];
} mseen_t;

static void on_mdns(void *ud, const char *str, size_t len) {
  mseen_t *m = ud;
  if (!len || len > 255 || (const uint8_t *)str < m->lo ||
      (const uint8_t *)str + len > m->hi)
    abort();
  if (m->n < 4) {
    memcpy(m->got[m->n], str, len);
    m->got[m->n][len] = 0;
  }
  m->n++;
}

static void mdns(const uint8_t *data, size_t size) {
  bool uni;
  int a = dns_mdns_asks(data, size, &uni);
  if (a != 0 && a != 1 && a != TR_EPROTO)
    abort();
  mseen_t m = {data, data + size, 0, {{0}}};
  int rc = dns_mdns_txts(data, size, on_mdns, &m);
  if (rc != 0 && rc != TR_EPROTO && rc != TR_ETOOBIG)
    abort();
  /* Up to 3 NUL-free strings from the input, through our answer. */
  char strs[3][256];
  const char *txt[3];
  size_t k = 0, off = 0;
  while (k < 3 && off < size) {
    size_t l = 0;
    while (off + l < size && l < 200 && data[off + l] && data[off + l] != '\n')
      l++;
    if (l) {
      memcpy(strs[k], data + off, l);
      strs[k][l] = 0;
      txt[k] = strs[k];
      k++;
    }
    off += l + 1;
  }
  uint8_t out[2048], ip[4] = {10, 0, 0, 1};
  int n = dns_mdns_answer("fuzz0", txt, k, ip, out, sizeof out);
  if (n <= 0)
    abort();
  m = (mseen_t){out, out + n, 0, {{0}}};
  if (dns_mdns_txts(out, (size_t)n, on_mdns, &m) || m.n != (k ? k : 0))
    abort();
  for (size_t i = 0; i < k; i++)
    if (strcmp(m.got[i], txt[i]))
      abort();
  if (dns_mdns_asks(out, (size_t)n, &uni) != 0)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mdns(data, size);
  seen_t s = {0, UINT32_MAX};
  uint32_t ttl;
  int rc = dns_txt_parse(data, size, 0, "_dnslink.example.org", on_txt, &s,
                         &ttl);
  if (rc != 0 && rc != TR_ENOTFOUND && rc != -EREMOTEIO && rc != TR_EPROTO &&
      rc != TR_ETOOBIG)
    abort();
  if (rc == 0 && s.n && ttl > s.least) /* CNAMEs may lower it further */
    abort();
  if (rc == 0 && !s.n && ttl != UINT32_MAX && ttl > 0x7fffffffu)
    abort();

  char name[DNS_NAME_MAX + 2];
  if (size >= sizeof name)
    return 0;
  memcpy(name, data, size);
  name[size] = 0;
  uint8_t q[DNS_NAME_MAX + 32];
  int n = dns_query_encode(0x1234, name, DNS_TYPE_TXT, q, sizeof q);
  if (n == -EINVAL || n == TR_EBUFSIZE)
    return 0;
  if (n < 17 || (size_t)n > sizeof q)
    abort();
  q[2] |= 0x80;
  s.n = 0;
  if (dns_txt_parse(q, (size_t)n, 0x1234, name, on_txt, &s, NULL) != 0 || s.n)
    abort();
  return 0;
}

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
 * Build: make build-fuzz/fuzz_dns; seeds in tests/fuzz/corpus/fuzz_dns.
 */
#include "../../dns/dns.h"

#include <errno.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
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

/*
 * fuzz_dnslink.c — libFuzzer target for the DNSLink parsers of the gateway
 * (gateway/gw_dnslink.c): the input as a name map (IPFS_NS_MAP), as a TXT
 * record's text, as a domain, and as a DNS answer.
 *
 * Properties: a map that parses holds at most GW_DNSLINK_MAP_MAX entries,
 * each a valid domain and a /ipfs/ or /ipns/ value found again by
 * gw_dnslink_map_get(); a TXT value is NUL-terminated, its length is the
 * one returned, and it starts with /ipfs/ or /ipns/; errors are those
 * documented; an answer's value is such a value too.
 * Build: make build-fuzz/fuzz_dnslink; seeds in tests/fuzz/corpus/fuzz_dnslink.
 */
#include "../../gateway/gw_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void check_value(const char *v, size_t n) {
  if (strlen(v) != n || n >= GW_DNSLINK_VALUE_MAX ||
      (strncmp(v, "/ipfs/", 6) && strncmp(v, "/ipns/", 6)))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  gw_dnslink_t d = {0};
  int rc = gw_dnslink_map_parse(&d, s, size);
  if (rc == 0) {
    if (d.nmap > GW_DNSLINK_MAP_MAX)
      abort();
    for (size_t i = 0; i < d.nmap; i++) {
      const char *dom = d.map[i].domain;
      if (!gw_dnslink_domain_ok(dom, strlen(dom)))
        abort();
      check_value(d.map[i].value, strlen(d.map[i].value));
      if (!gw_dnslink_map_get(&d, dom, strlen(dom)))
        abort();
    }
  } else if (rc != -EINVAL && rc != TR_ETOOBIG && rc != -ENOMEM) {
    abort();
  } else if (d.nmap || d.map) {
    abort(); /* nothing kept on an error */
  }
  gw_dnslink_free(&d);

  char out[GW_DNSLINK_VALUE_MAX];
  int k = gw_dnslink_txt(s, size, out, sizeof out);
  if (k >= 0)
    check_value(out, (size_t)k);
  else if (k != TR_ENOTFOUND && k != -EINVAL && k != TR_EBUFSIZE)
    abort();
  (void)gw_dnslink_domain_ok(s, size);
  int64_t ttl;
  if (gw__dnslink_answer(data, size, out, sizeof out, &ttl) == 0) {
    check_value(out, strlen(out));
    if (ttl < 0 || ttl > (int64_t)UINT32_MAX) /* a TTL is 32 bits */
      abort();
  } else if (ttl != -1) {
    abort();
  }
  return 0;
}

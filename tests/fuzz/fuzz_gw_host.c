/*
 * fuzz_gw_host.c — libFuzzer target for the gateway's Host parsing
 * (gateway/gw_int.h: gw__host_parse_str), the subdomain gateway's entry:
 * the input is the Host (or X-Forwarded-Host) value, against the hosts
 * "localhost" (subdomains) and "gw.example" (paths only).
 *
 * Properties: the answer is one of the three kinds; a gateway or a
 * subdomain names one of the configured hosts; the parent (which goes
 * into Location headers) is that host's name and at most ":digits"; a
 * subdomain's label is non-empty and DNS name bytes only (it becomes a
 * path segment); nothing is read past the NUL.  The same input as a
 * CONNECT target (gw__connect_ok): one taken as the gateway's own asks
 * for port 8080 or 80 (never another).
 * Build: make build-fuzz/fuzz_gw_host; seeds in tests/fuzz/corpus/fuzz_gw_host.
 */
#include "../../gateway/gw_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static gw_hosts_t hosts;

static bool parent_ok(const gw_host_t *hp) {
  size_t n = strlen(hp->gw->host);
  if (strncasecmp(hp->parent, hp->gw->host, n))
    return false;
  const char *p = hp->parent + n;
  if (!*p)
    return true;
  if (*p++ != ':' || !*p)
    return false;
  for (; *p; p++)
    if (!isdigit((unsigned char)*p))
      return false;
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!hosts.n && (gw_hosts_add(&hosts, "localhost", true, false) ||
                   gw_hosts_add(&hosts, "gw.example", false, false)))
    abort();
  gw_ctx_t ctx = {0};
  ctx.hosts = &hosts;
  char *s = malloc(size + 1);
  memcpy(s, data, size);
  s[size] = 0;
  gw_host_t hp;
  int k = gw__host_parse_str(&ctx, s, size & 1 ? "https" : NULL, &hp);
  switch (k) {
  case GW_HOST_PATH:
    break;
  case GW_HOST_GATEWAY:
    if (!hp.gw || !parent_ok(&hp) || hp.label[0])
      abort();
    break;
  case GW_HOST_SUBDOMAIN:
    if (!hp.gw || !hp.gw->subdomains || !parent_ok(&hp) || !hp.label[0])
      abort();
    for (const char *p = hp.label; *p; p++)
      if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
        abort();
    break;
  default:
    abort();
  }
  if (gw__connect_ok(&ctx, s, size & 2 ? "::1" : "127.0.0.1", 8080)) {
    const char *colon = strrchr(s, ':');
    long port = colon ? strtol(colon + 1, NULL, 10) : -1;
    if (port != 8080 && port != 80)
      abort();
  }
  free(s);
  return 0;
}

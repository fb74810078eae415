/*
 * gw_dnslink.c — DNSLink (dnslink.dev): a domain names a content path by a
 * TXT record "dnslink=/ipfs/CID" (or /ipns/NAME) at _dnslink.<domain>, or
 * at <domain> itself.  Names are looked up in the offline name map first
 * (Kubo's IPFS_NS_MAP: "domain:/ipfs/CID,other:/ipns/NAME", read by the
 * daemon at start, for tests and air-gapped nodes), then, when dns is on,
 * through the system resolver (libresolv's res_nquery, in the worker pool:
 * it blocks) with a timeout.  Everything here is synchronous and loop-free;
 * gw_ipns.c runs gw__dnslink_lookup() in the worker pool.
 */
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>

#include "gw_int.h"

/* Case-insensitive compare of a domain against s[0..n), a trailing dot on
 * either side ignored ("example.org." is "example.org"). */
static bool same_domain(const char *d, const char *s, size_t n) {
  size_t dl = strlen(d);
  if (dl && d[dl - 1] == '.')
    dl--;
  if (n && s[n - 1] == '.')
    n--;
  return dl == n && !strncasecmp(d, s, n);
}

/* A content path DNSLink may name: /ipfs/X or /ipns/X, printable ASCII
 * without spaces (a CID, a name, a path of them). */
static bool value_ok(const char *v, size_t n) {
  if (n <= 6 || n >= GW_DNSLINK_VALUE_MAX ||
      (strncmp(v, "/ipfs/", 6) && strncmp(v, "/ipns/", 6)))
    return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f)
      return false;
  return true;
}

bool gw_dnslink_domain_ok(const char *s, size_t n) {
  if (n && s[n - 1] == '.')
    n--;
  if (!n || n > 253 || !memchr(s, '.', n))
    return false;
  size_t label = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '.') {
      if (!label)
        return false;
      label = 0;
    } else if (isalnum(c) || c == '-' || c == '_') {
      if (++label > 63)
        return false;
    } else
      return false;
  }
  return label > 0;
}

void gw_dnslink_free(gw_dnslink_t *d) {
  for (size_t i = 0; i < d->nmap; i++) {
    tr_free(d->map[i].domain);
    tr_free(d->map[i].value);
  }
  tr_free(d->map);
  d->map = NULL;
  d->nmap = 0;
}

int gw_dnslink_map_parse(gw_dnslink_t *d, const char *s, size_t n) {
  gw_dnslink_free(d);
  size_t cap = 0;
  for (size_t i = 0; i < n;) {
    const char *e = s + i;
    const char *comma = memchr(e, ',', n - i);
    size_t el = comma ? (size_t)(comma - e) : n - i;
    i += el + 1;
    if (!el)
      continue; /* "a:/ipfs/x,,b:/ipfs/y" and a trailing comma */
    const char *colon = memchr(e, ':', el);
    if (!colon)
      goto bad;
    size_t dl = (size_t)(colon - e), vl = el - dl - 1;
    if (!gw_dnslink_domain_ok(e, dl) || !value_ok(colon + 1, vl))
      goto bad;
    if (d->nmap == GW_DNSLINK_MAP_MAX) {
      gw_dnslink_free(d);
      return TR_ETOOBIG;
    }
    if (d->nmap == cap) {
      size_t nc = cap ? cap * 2 : 8;
      gw_dnslink_entry_t *m = tr_realloc(d->map, nc * sizeof *m);
      if (!m)
        goto nomem;
      d->map = m;
      cap = nc;
    }
    gw_dnslink_entry_t *m = &d->map[d->nmap];
    m->domain = tr_malloc(dl + 1);
    m->value = tr_malloc(vl + 1);
    if (!m->domain || !m->value) {
      tr_free(m->domain);
      tr_free(m->value);
      goto nomem;
    }
    memcpy(m->domain, e, dl);
    m->domain[dl] = 0;
    memcpy(m->value, colon + 1, vl);
    m->value[vl] = 0;
    d->nmap++;
  }
  return 0;
bad:
  gw_dnslink_free(d);
  return -EINVAL;
nomem:
  gw_dnslink_free(d);
  return -ENOMEM;
}

const char *gw_dnslink_map_get(const gw_dnslink_t *d, const char *s, size_t n) {
  for (size_t i = 0; d && i < d->nmap; i++)
    if (same_domain(d->map[i].domain, s, n))
      return d->map[i].value;
  return NULL;
}

int gw_dnslink_txt(const char *s, size_t n, char *out, size_t cap) {
  static const char pre[] = "dnslink=";
  if (n < sizeof pre - 1 || strncmp(s, pre, sizeof pre - 1))
    return TR_ENOTFOUND;
  s += sizeof pre - 1;
  n -= sizeof pre - 1;
  while (n && (*s == ' ' || *s == '\t'))
    s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    n--;
  if (!value_ok(s, n))
    return -EINVAL;
  if (n >= cap)
    return TR_EBUFSIZE;
  memcpy(out, s, n);
  out[n] = 0;
  return (int)n;
}

/* The first DNSLink among the TXT records of name: 0, TR_ENOTFOUND (no
 * record, no DNSLink among them, or no answer in time), -EIO (the
 * resolver could not be set up). */
static int txt_lookup(const gw_dnslink_t *d, const char *name, char *out,
                      size_t cap, int64_t *ttl_s) {
  struct __res_state st;
  memset(&st, 0, sizeof st);
  if (res_ninit(&st))
    return -EIO;
  /* res_nquery waits retrans seconds per try, retry tries per server. */
  unsigned ms = d->dns_timeout_ms ? d->dns_timeout_ms : GW_DNSLINK_TIMEOUT_MS;
  st.retrans = (int)(ms / 1000 ? ms / 1000 : 1);
  st.retry = 1;
  unsigned char ans[GW_DNSLINK_ANSWER_MAX];
  int len = res_nquery(&st, name, ns_c_in, ns_t_txt, ans, sizeof ans);
  res_nclose(&st);
  if (len <= 0)
    return TR_ENOTFOUND;
  return gw__dnslink_answer(ans, len > (int)sizeof ans ? sizeof ans : (size_t)len,
                            out, cap, ttl_s);
}

int gw__dnslink_answer(const uint8_t *ans, size_t len, char *out, size_t cap,
                       int64_t *ttl_s) {
  ns_msg msg;
  *ttl_s = -1;
  if (len > GW_DNSLINK_ANSWER_MAX || ns_initparse(ans, (int)len, &msg))
    return TR_ENOTFOUND;
  int rc = TR_ENOTFOUND;
  int64_t ttl = INT64_MAX;
  for (int i = 0; i < ns_msg_count(msg, ns_s_an) && rc < 0; i++) {
    ns_rr rr;
    if (ns_parserr(&msg, ns_s_an, i, &rr))
      continue;
    if (ns_rr_type(rr) == ns_t_cname && (int64_t)ns_rr_ttl(rr) < ttl)
      ttl = ns_rr_ttl(rr);
    if (ns_rr_type(rr) != ns_t_txt)
      continue;
    /* A TXT record is character-strings (a length byte, then the bytes):
     * one value, cut in pieces of 255, joined back. */
    const unsigned char *p = ns_rr_rdata(rr);
    size_t rl = ns_rr_rdlen(rr), o = 0;
    char txt[GW_DNSLINK_VALUE_MAX + 16];
    for (size_t j = 0; j < rl;) {
      size_t sl = p[j++];
      if (sl > rl - j || sl > sizeof txt - 1 - o) {
        o = 0;
        break;
      }
      memcpy(txt + o, p + j, sl);
      o += sl;
      j += sl;
    }
    int k = gw_dnslink_txt(txt, o, out, cap);
    rc = k >= 0 ? 0 : TR_ENOTFOUND;
    if (!rc && (int64_t)ns_rr_ttl(rr) < ttl)
      ttl = ns_rr_ttl(rr);
  }
  *ttl_s = rc ? -1 : ttl;
  return rc;
}

int gw__dnslink_lookup(const gw_dnslink_t *d, const char *domain, char *out,
                       size_t cap, int64_t *ttl_s) {
  size_t n = strlen(domain);
  *ttl_s = -1;
  if (!gw_dnslink_domain_ok(domain, n))
    return -EINVAL;
  const char *v = gw_dnslink_map_get(d, domain, n);
  if (v) {
    if (strlen(v) >= cap)
      return TR_EBUFSIZE;
    memcpy(out, v, strlen(v) + 1);
    return 0;
  }
  if (!d || !d->dns)
    return TR_ENOTFOUND;
  char name[300];
  snprintf(name, sizeof name, "_dnslink.%s", domain);
  int rc = txt_lookup(d, name, out, cap, ttl_s);
  if (rc == TR_ENOTFOUND) /* the older form: the TXT record on the domain */
    rc = txt_lookup(d, domain, out, cap, ttl_s);
  if (!rc && d->max_ttl_s && *ttl_s > (int64_t)d->max_ttl_s)
    *ttl_s = d->max_ttl_s;
  return rc;
}

bool gw__dnslink_site(http_req_t *req, const gw_ctx_t *ctx, char *host,
                      size_t cap) {
  const gw_dnslink_t *d = ctx->dnslink;
  const char *h = http_req_header(req, "host");
  if (!d || d->no_sites || !d->nmap || !h || h[0] == '[')
    return false;
  size_t n = strcspn(h, ":");
  if (n >= cap || !gw_dnslink_map_get(d, h, n))
    return false;
  memcpy(host, h, n);
  host[n] = 0;
  return true;
}

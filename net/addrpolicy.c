/*
 * addrpolicy.c — Kubo's announce and filter settings (see addrpolicy.h).
 */
#include "addrpolicy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A range from "/ip4/A/ipcidr/N" or "/ip6/A/ipcidr/N" (go-multiaddr's
 * mask.NewMask); false for anything else. */
static bool range_parse(const char *s, net_ap_range_t *r) {
  uint8_t b[NET_MA_MAX];
  int n = net_ma_parse(s, strlen(s), b, sizeof b);
  net_ma_comp_t ip, cidr;
  int k = n > 0 ? net_ma_next(b, (size_t)n, &ip) : -1;
  int m = k > 0 ? net_ma_next(b + k, (size_t)(n - k), &cidr) : -1;
  if (k <= 0 || m <= 0 || k + m != n || cidr.code != 43 || cidr.vlen != 1 ||
      (ip.code != NET_MA_IP4 && ip.code != NET_MA_IP6))
    return false;
  r->fam = ip.code == NET_MA_IP4 ? 4 : 6;
  r->bits = cidr.value[0];
  if (r->bits > (r->fam == 4 ? 32 : 128))
    return false;
  memset(r->ip, 0, sizeof r->ip);
  memcpy(r->ip, ip.value, ip.vlen);
  return true;
}

/* Whether the binary multiaddr starts with an IP inside r. */
static bool in_range(const net_ap_range_t *r, const uint8_t *ma, size_t len) {
  net_ma_comp_t c;
  if (net_ma_next(ma, len, &c) <= 0)
    return false;
  if (!((c.code == NET_MA_IP4 && r->fam == 4) ||
        (c.code == NET_MA_IP6 && r->fam == 6)))
    return false;
  size_t full = r->bits / 8, rest = r->bits % 8;
  if (memcmp(c.value, r->ip, full))
    return false;
  if (!rest)
    return true;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (c.value[full] & mask) == (r->ip[full] & mask);
}

static bool in_any(const net_ap_range_t *r, size_t n, const uint8_t *ma,
                   size_t len) {
  for (size_t i = 0; i < n; i++)
    if (in_range(&r[i], ma, len))
      return true;
  return false;
}

/* Parse the addresses s[0..n) into *out / *lens (binary, each malloc'd). */
static int addrs_parse(const char *const *s, size_t n, const char *key,
                       uint8_t ***out, size_t **lens, size_t *count,
                       char *err, size_t errlen) {
  if (!n)
    return 0;
  *out = tr_calloc(n, sizeof **out);
  *lens = tr_calloc(n, sizeof **lens);
  if (!*out || !*lens)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    uint8_t b[NET_MA_MAX];
    int k = net_ma_parse(s[i], strlen(s[i]), b, sizeof b);
    if (k <= 0) {
      snprintf(err, errlen, "%s: not a multiaddr: %s", key, s[i]);
      return TR_EUSAGE;
    }
    if (!((*out)[*count] = tr_malloc((size_t)k)))
      return -ENOMEM;
    memcpy((*out)[*count], b, (size_t)k);
    (*lens)[(*count)++] = (size_t)k;
  }
  return 0;
}

int net_ap_init(net_ap_t *p, const char *const *announce, size_t na,
                const char *const *append, size_t nap,
                const char *const *noannounce, size_t nno,
                const char *const *filters, size_t nf, char *err,
                size_t errlen) {
  memset(p, 0, sizeof *p);
  int rc = addrs_parse(announce, na, "Addresses.Announce", &p->announce,
                       &p->announce_len, &p->nannounce, err, errlen);
  if (!rc)
    rc = addrs_parse(append, nap, "Addresses.AppendAnnounce", &p->append,
                     &p->append_len, &p->nappend, err, errlen);
  if (!rc && nno) {
    /* A range, else an exact address (Kubo tries the mask first). */
    const char **exact = tr_calloc(nno, sizeof *exact);
    p->noann_ranges = tr_calloc(nno, sizeof *p->noann_ranges);
    size_t ne = 0;
    rc = exact && p->noann_ranges ? 0 : -ENOMEM;
    for (size_t i = 0; !rc && i < nno; i++) {
      if (range_parse(noannounce[i], &p->noann_ranges[p->nnoann_ranges]))
        p->nnoann_ranges++;
      else
        exact[ne++] = noannounce[i];
    }
    if (!rc)
      rc = addrs_parse(exact, ne, "Addresses.NoAnnounce", &p->noann,
                       &p->noann_len, &p->nnoann, err, errlen);
    tr_free(exact);
  }
  if (!rc && nf) {
    if (!(p->filters = tr_calloc(nf, sizeof *p->filters)))
      rc = -ENOMEM;
    for (size_t i = 0; !rc && i < nf; i++) {
      if (!range_parse(filters[i], &p->filters[p->nfilters++])) {
        snprintf(err, errlen, "Swarm.AddrFilters: not an address range "
                 "(/ip4/A/ipcidr/N): %s", filters[i]);
        rc = TR_EUSAGE;
      }
    }
  }
  if (rc)
    net_ap_free(p);
  return rc;
}

static void free_list(uint8_t **a, size_t *l, size_t n) {
  for (size_t i = 0; a && i < n; i++)
    tr_free(a[i]);
  tr_free(a);
  tr_free(l);
}

void net_ap_free(net_ap_t *p) {
  free_list(p->announce, p->announce_len, p->nannounce);
  free_list(p->append, p->append_len, p->nappend);
  free_list(p->noann, p->noann_len, p->nnoann);
  tr_free(p->noann_ranges);
  tr_free(p->filters);
  memset(p, 0, sizeof *p);
}

/* r with its host bits cleared, as go's net.IPNet holds it. */
static void masked(net_ap_range_t *r) {
  size_t nb = r->fam == 4 ? 4 : 16;
  for (size_t i = 0; i < nb; i++) {
    unsigned keep = r->bits >= 8 * (i + 1) ? 8
                    : r->bits > 8 * i      ? (unsigned)(r->bits - 8 * i)
                                           : 0;
    r->ip[i] &= (uint8_t)(keep ? 0xff << (8 - keep) : 0);
  }
}

static bool same_range(const net_ap_range_t *a, const net_ap_range_t *b) {
  net_ap_range_t x = *a, y = *b;
  masked(&x), masked(&y);
  return x.fam == y.fam && x.bits == y.bits && !memcmp(x.ip, y.ip, 16);
}

int net_ap_filter_add(net_ap_t *p, const char *s) {
  net_ap_range_t r;
  if (!range_parse(s, &r))
    return TR_EUSAGE;
  for (size_t i = 0; i < p->nfilters; i++)
    if (same_range(&p->filters[i], &r))
      return 0;
  net_ap_range_t *f = tr_realloc(p->filters, (p->nfilters + 1) * sizeof *f);
  if (!f)
    return -ENOMEM;
  p->filters = f;
  f[p->nfilters++] = r;
  return 0;
}

int net_ap_filter_rm(net_ap_t *p, const char *s) {
  net_ap_range_t r;
  if (!range_parse(s, &r))
    return TR_EUSAGE;
  size_t k = 0;
  for (size_t i = 0; i < p->nfilters; i++)
    if (!same_range(&p->filters[i], &r))
      p->filters[k++] = p->filters[i];
  p->nfilters = k;
  return 0;
}

size_t net_ap_filters(const net_ap_t *p, char (*out)[NET_MA_STR_MAX / 16],
                      size_t max) {
  for (size_t i = 0; i < p->nfilters && i < max; i++) {
    net_ap_range_t r = p->filters[i];
    masked(&r);
    uint8_t b[1 + 16 + 2];
    size_t n = 0;
    b[n++] = r.fam == 4 ? NET_MA_IP4 : NET_MA_IP6;
    memcpy(b + n, r.ip, r.fam == 4 ? 4 : 16);
    n += r.fam == 4 ? 4 : 16;
    b[n++] = 43; /* ipcidr */
    b[n++] = r.bits;
    if (net_ma_format(b, n, out[i], sizeof out[i]) < 0)
      snprintf(out[i], sizeof out[i], "?");
  }
  return p->nfilters;
}

bool net_ap_blocked(const net_ap_t *p, const uint8_t *ma, size_t len) {
  return in_any(p->filters, p->nfilters, ma, len);
}

typedef struct out {
  char (*out)[NET_MA_STR_MAX / 16];
  size_t max, n;
} out_t;

/* Add the binary ma to o unless NoAnnounce takes it or it is there. */
static void put(const net_ap_t *p, out_t *o, const uint8_t *ma, size_t len) {
  if (in_any(p->noann_ranges, p->nnoann_ranges, ma, len))
    return;
  for (size_t i = 0; i < p->nnoann; i++)
    if (p->noann_len[i] == len && !memcmp(p->noann[i], ma, len))
      return;
  char s[NET_MA_STR_MAX / 16];
  if (net_ma_format(ma, len, s, sizeof s) < 0)
    return;
  for (size_t i = 0; i < o->n && i < o->max; i++)
    if (!strcmp(o->out[i], s))
      return;
  if (o->n < o->max)
    memcpy(o->out[o->n], s, sizeof s);
  o->n++;
}

size_t net_ap_announce(const net_ap_t *p, char (*in)[NET_MA_STR_MAX / 16],
                       size_t n, char (*out)[NET_MA_STR_MAX / 16],
                       size_t max) {
  out_t o = {out, max, 0};
  if (p->nannounce) {
    for (size_t i = 0; i < p->nannounce; i++)
      put(p, &o, p->announce[i], p->announce_len[i]);
  } else {
    for (size_t i = 0; i < n; i++) {
      uint8_t b[NET_MA_MAX];
      int k = net_ma_parse(in[i], strlen(in[i]), b, sizeof b);
      if (k > 0)
        put(p, &o, b, (size_t)k);
    }
  }
  for (size_t i = 0; i < p->nappend; i++)
    put(p, &o, p->append[i], p->append_len[i]);
  return o.n;
}

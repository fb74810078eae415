/*
 * dnslink.c — the daemon's DNSLink and gateway-host settings for the
 * gateway (routing.h): Kubo's IPFS_NS_MAP, DNS.Resolvers (DNS-over-HTTPS
 * per suffix through dns/dns.h, handed to the gateway as its
 * gw_dnslink_resolver_t), DNS.MaxCacheTTL, Gateway.NoDNSLink and
 * Gateway.PublicGateways.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "../dns/dns.h"
#include "routing.h"

/* ------------------------------------------------------- DoH for DNSLink */

/* The gateway's resolver: the dns/ resolver, and the DNSLink rule on top
 * (the first dnslink= TXT record of _dnslink.<domain>, as boxo asks only
 * that name). */
typedef struct doh {
  gw_dnslink_resolver_t iface;
  dns_resolver_t *dns;
} doh_t;

typedef struct doh_lookup {
  gw_dnslink_cb cb;
  void *cb_ud;
  void *h;
} doh_lookup_t;

static void doh_done(void *ud, int status, const char *const *txt, size_t n,
                     uint32_t ttl) {
  doh_lookup_t *l = ud;
  char v[GW_DNSLINK_VALUE_MAX];
  int rc = status ? status : TR_ENOTFOUND;
  for (size_t i = 0; !status && i < n && rc; i++)
    if (gw_dnslink_txt(txt[i], strlen(txt[i]), v, sizeof v) >= 0)
      rc = 0;
  l->cb(l->cb_ud, rc, rc ? NULL : v,
        rc || ttl == UINT32_MAX ? -1 : (int64_t)ttl);
  tr_free(l);
}

static int doh_lookup(void *ud, const char *domain, gw_dnslink_cb cb,
                      void *cb_ud, void **h) {
  doh_t *d = ud;
  char name[300];
  snprintf(name, sizeof name, "_dnslink.%s", domain);
  if (!d->dns) /* stopping */
    return -ECANCELED;
  if (!dns_resolver_url(d->dns, name))
    return -ENOTSUP;
  doh_lookup_t *l = tr_calloc(1, sizeof *l);
  if (!l)
    return -ENOMEM;
  l->cb = cb;
  l->cb_ud = cb_ud;
  int rc = dns_resolver_txt(d->dns, name, doh_done, l, &l->h);
  if (rc) {
    tr_free(l);
    return rc;
  }
  *h = l;
  return 0;
}

/* Also after node_dnslink_stop: a lookup under way then still waits for
 * its -ECANCELED, which the cancel stops. */
static void doh_cancel(void *ud, void *h) {
  doh_t *d = ud;
  doh_lookup_t *l = h;
  dns_resolver_cancel(d->dns, l->h);
  tr_free(l);
}

/* DNS.Resolvers and DNS.MaxCacheTTL.  Values: an https:// or http:// DoH
 * URL; "" and "auto" leave the suffix to the system resolver (trove has
 * no AutoConf); "none" for "." turns DNS off (trove's, for tests). */
static int resolvers(gw_dnslink_t *d, gw_ctx_t *gw, json_t *cfg) {
  d->dns = true;
  dns_resolver_opts_t o = {.max_cache_ttl_s = UINT32_MAX};
  json_t *mt = config_get(cfg, "DNS.MaxCacheTTL");
  if (mt && !json_is_null(mt)) {
    uint64_t ns;
    if (!json_is_string(mt) ||
        tr_parse_duration(json_string_value(mt), &ns)) {
      tr_log(TR_LOG_ERROR, "DNS.MaxCacheTTL: not a duration (\"1m\", \"0s\")");
      return TR_ECONFIG;
    }
    uint64_t s = ns / 1000000000u;
    o.max_cache_ttl_s = s >= UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)s;
    d->max_ttl_s = o.max_cache_ttl_s; /* the system resolver's answers too */
  }
  json_t *res = config_get(cfg, "DNS.Resolvers");
  doh_t *doh = NULL;
  const char *key;
  json_t *v;
  int rc = 0;
  json_object_foreach(res, key, v) {
    const char *s = json_string_value(v);
    if (!s || !*s || !strcmp(s, "auto"))
      continue;
    if (!strcmp(s, "none") && !strcmp(key, ".")) {
      d->dns = false;
      continue;
    }
    if (!doh) {
      doh = tr_calloc(1, sizeof *doh);
      if (!doh || dns_resolver_new(gw->loop, &o, &doh->dns)) {
        tr_free(doh);
        return -ENOMEM;
      }
      doh->iface = (gw_dnslink_resolver_t){doh, doh_lookup, doh_cancel};
      d->resolver = &doh->iface;
    }
    rc = dns_resolver_add(doh->dns, key, s);
    if (rc) {
      tr_log(TR_LOG_ERROR, "DNS.Resolvers[\"%s\"] = %s: %s", key, s,
             rc == -EPROTONOSUPPORT ? "only https:// and http:// DNS-over-"
                                      "HTTPS URLs are supported"
                                    : tr_strerror(rc));
      return rc == -ENOMEM ? rc : TR_ECONFIG;
    }
    tr_log(TR_LOG_INFO, "DNS: names under \"%s\" through %s", key, s);
  }
  return 0;
}

void node_dnslink_stop(gw_dnslink_t *d) {
  if (!d->resolver)
    return;
  doh_t *doh = d->resolver->ud;
  dns_resolver_free(doh->dns);
  doh->dns = NULL;
}

void node_dnslink_free(gw_dnslink_t *d) {
  if (!d->resolver)
    return;
  doh_t *doh = d->resolver->ud;
  d->resolver = NULL;
  dns_resolver_free(doh->dns); /* NULL once stopped */
  tr_free(doh);
}

/* Gateway.PublicGateways as Kubo reads it: {"host": {"UseSubdomains":
 * bool, "InlineDNSLink": bool, "Paths": [...]}}, "localhost" with
 * subdomains there unless the config names it (null: removed). */
static int public_gateways(gw_hosts_t *hosts, json_t *cfg) {
  json_t *pg = config_get(cfg, "Gateway.PublicGateways");
  int rc = 0;
  if (!json_object_get(pg, "localhost"))
    rc = gw_hosts_add(hosts, "localhost", true, false);
  const char *host;
  json_t *v;
  json_object_foreach(pg, host, v) {
    if (rc || json_is_null(v))
      continue;
    if (!json_is_object(v)) {
      tr_log(TR_LOG_ERROR, "Gateway.PublicGateways[\"%s\"] is not an object",
             host);
      return TR_ECONFIG;
    }
    rc = gw_hosts_add(hosts, host,
                      json_is_true(json_object_get(v, "UseSubdomains")),
                      json_is_true(json_object_get(v, "InlineDNSLink")));
    if (rc == -EINVAL) {
      tr_log(TR_LOG_ERROR, "Gateway.PublicGateways: \"%s\" is not a host "
             "name", host);
      return TR_ECONFIG;
    }
  }
  return rc;
}

int node_dnslink_wire(gw_dnslink_t *d, gw_hosts_t *hosts, gw_ctx_t *gw,
                      json_t *cfg) {
  memset(d, 0, sizeof *d);
  memset(hosts, 0, sizeof *hosts);
  int hrc = public_gateways(hosts, cfg);
  if (hrc) {
    gw_hosts_free(hosts);
    return hrc;
  }
  gw->hosts = hosts;
  const char *map = getenv("IPFS_NS_MAP");
  if (map && *map) {
    int rc = gw_dnslink_map_parse(d, map, strlen(map));
    if (rc) {
      tr_log(TR_LOG_ERROR, "IPFS_NS_MAP: %s (want domain:/ipfs/CID,...)",
             tr_strerror(rc));
      return rc == -ENOMEM ? rc : TR_ECONFIG;
    }
    tr_log(TR_LOG_INFO, "DNSLink: %zu name%s from IPFS_NS_MAP", d->nmap,
           d->nmap == 1 ? "" : "s");
  }
  int rc = resolvers(d, gw, cfg);
  if (rc) {
    node_dnslink_free(d);
    return rc;
  }
  json_t *no = config_get(cfg, "Gateway.NoDNSLink");
  d->no_sites = json_is_true(no);
  gw->dnslink = d;
  return 0;
}

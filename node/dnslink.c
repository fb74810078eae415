/*
 * dnslink.c — the daemon's DNSLink and gateway-host settings for the
 * gateway (routing.h): Kubo's IPFS_NS_MAP, DNS.Resolvers,
 * Gateway.NoDNSLink and Gateway.PublicGateways.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "routing.h"

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
  d->dns = true;
  json_t *res = config_get(cfg, "DNS.Resolvers");
  const char *key;
  json_t *v;
  json_object_foreach(res, key, v) {
    const char *s = json_string_value(v);
    if (!strcmp(key, ".") && s && !strcmp(s, "none"))
      d->dns = false;
    else if (s && *s)
      tr_log(TR_LOG_WARN, "DNS.Resolvers[\"%s\"] = %s: trove asks the "
             "system resolver instead", key, s);
  }
  json_t *no = config_get(cfg, "Gateway.NoDNSLink");
  d->no_sites = json_is_true(no);
  gw->dnslink = d;
  return 0;
}

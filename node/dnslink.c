/*
 * dnslink.c — the daemon's DNSLink settings for the gateway (routing.h):
 * Kubo's IPFS_NS_MAP, DNS.Resolvers and Gateway.NoDNSLink.
 */
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "routing.h"

int node_dnslink_wire(gw_dnslink_t *d, gw_ctx_t *gw, json_t *cfg) {
  memset(d, 0, sizeof *d);
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

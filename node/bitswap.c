/*
 * bitswap.c (node/) — the daemon's bitswap wiring (node/bitswap.h): the
 * provider searches of bitswap's sessions run on a router of the node's
 * DHTs and delegated routers, converted from the gateway's router shape (gw_router_t) to
 * bitswap's (bsw_router_t), since bitswap/ may not name gateway/.
 */
#include "bitswap.h"

#include <errno.h>
#include <string.h>

typedef struct plook { /* one provider search, between the two shapes */
  bsw_prov_cb on_peer;
  bsw_prov_done_cb on_done;
  void *arg;
  void *inner;
  node_bitswap_t *nb;
} plook_t;

static void on_gw_peer(void *ud, const gw_peer_t *p) {
  plook_t *l = ud;
  l->on_peer(l->arg, p->id, p->addrs, p->naddrs);
}

static void on_gw_done(void *ud, int status) {
  plook_t *l = ud;
  l->on_done(l->arg, status);
  tr_free(l);
}

static int find_providers(void *ud, const uint8_t *mh, size_t mhl, size_t max,
                          bsw_prov_cb on_peer, bsw_prov_done_cb on_done,
                          void *arg, void **lookup) {
  node_bitswap_t *nb = ud;
  const gw_router_t *r = node_routing_router(&nb->routing);
  plook_t *l = tr_calloc(1, sizeof *l);
  if (!l)
    return -ENOMEM;
  *l = (plook_t){on_peer, on_done, arg, NULL, nb};
  int rc = r->find_providers(r->ud, mh, mhl, max, on_gw_peer, on_gw_done, l,
                             &l->inner);
  if (rc) {
    tr_free(l);
    return rc;
  }
  *lookup = l;
  return 0;
}

static void cancel(void *ud, void *lookup) {
  node_bitswap_t *nb = ud;
  plook_t *l = lookup;
  const gw_router_t *r = node_routing_router(&nb->routing);
  r->cancel(r->ud, l->inner);
  tr_free(l);
}

static bool cfg_flag(json_t *cfg, const char *key, bool dflt) {
  json_t *v = config_get(cfg, key);
  return json_is_boolean(v) ? json_is_true(v) : dflt;
}

int node_bitswap_start(node_bitswap_t *nb, uv_loop_t *loop, net_host_t *host,
                       bs_env_t *env, dht_swarm_t *lan, dht_swarm_t *wan,
                       node_deleg_t *deleg, json_t *cfg, gw_ctx_t *gw,
                       rpc_ctx_t *rpc) {
  memset(nb, 0, sizeof *nb);
  if (!host || !cfg_flag(cfg, "Bitswap.Libp2pEnabled", true))
    return 0;
  bool routed = lan || wan || deleg;
  if (routed) {
    int rc = node_routing_start(&nb->routing, loop, host, lan, wan, deleg);
    if (rc)
      return rc;
    nb->router = (bsw_router_t){find_providers, cancel, nb};
  }
  /* HTTPRetrieval.Gateways: trove's own key (Kubo fetches over HTTP only
   * from providers that announce /http addresses). */
  const char *gws[16];
  size_t ngw = 0;
  json_t *gl = config_get(cfg, "HTTPRetrieval.Gateways");
  if (gl && !json_is_null(gl) && !json_is_array(gl))
    return TR_ECONFIG;
  for (size_t i = 0; i < json_array_size(gl) && ngw < 16; i++)
    if (json_is_string(json_array_get(gl, i)))
      gws[ngw++] = json_string_value(json_array_get(gl, i));
  bsw_swarm_opts_t so = {
      .env = env,
      .router = routed ? &nb->router : NULL,
      .server = cfg_flag(cfg, "Bitswap.ServerEnabled", true),
      .http = cfg_flag(cfg, "HTTPRetrieval.Enabled", true),
      .gateways = gws,
      .ngateways = ngw,
  };
  int rc = bsw_swarm_new(loop, host, &so, &nb->sw);
  if (rc) {
    if (routed)
      node_routing_stop(&nb->routing);
    nb->sw = NULL;
    return rc;
  }
  const bs_fetcher_t *f = bsw_swarm_fetcher(nb->sw);
  gw->fetcher = f;
  gw->no_fetch = cfg_flag(cfg, "Gateway.NoFetch", false);
  /* Kubo's Gateway.RetrievalTimeout: how long a gateway request waits for
   * a block before it answers 504 (boxo's 30 s when unset). */
  uint32_t ms = 0;
  if (config_duration_ms(cfg, "Gateway.RetrievalTimeout", &ms)) {
    bsw_swarm_close(nb->sw);
    nb->sw = NULL;
    if (routed)
      node_routing_stop(&nb->routing);
    return TR_ECONFIG;
  }
  gw->fetch_timeout_ms = ms;
  rpc->fetcher = f;
  rpc->bitswap = nb->sw;
  return 0;
}

void node_bitswap_stop(node_bitswap_t *nb, gw_ctx_t *gw, rpc_ctx_t *rpc) {
  gw->fetcher = NULL;
  rpc->fetcher = NULL;
  rpc->bitswap = NULL;
  if (!nb->sw)
    return;
  /* The swarm cancels its searches through the router: it goes first. */
  bsw_swarm_close(nb->sw);
  nb->sw = NULL;
  if (nb->router.find_providers)
    node_routing_stop(&nb->routing);
}

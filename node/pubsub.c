/*
 * pubsub.c (node/) — the daemon's pubsub: pubsub/swarm.h on the host,
 * started when the daemon runs with --enable-pubsub-experiment, or
 * without that flag when the config's Pubsub.Enabled is true (Kubo's
 * switches; --enable-pubsub-experiment=false wins over the config), with the router
 * Pubsub.Router names ("" or "gossipsub": gossipsub; "floodsub"), and
 * handed to the API (rpc_ctx_t.pubsub).  Without a host (offline) there
 * is none, and the API's pubsub commands answer Kubo's "not enabled".
 */
#include <string.h>

#include "node_int.h"

int node__start_pubsub(node_t *n, const node_daemon_opts_t *o, json_t *cfg) {
  /* The flag, when given, wins over the config (Kubo's t0320). */
  bool on = o->enable_pubsub >= 0 ? o->enable_pubsub > 0
                                  : json_is_true(config_get(cfg, "Pubsub.Enabled"));
  if (!on || !n->host)
    return 0;
  json_t *rt = config_get(cfg, "Pubsub.Router");
  const char *router = json_is_string(rt) ? json_string_value(rt) : "";
  bool flood = !strcmp(router, "floodsub");
  if (!flood && router[0] && strcmp(router, "gossipsub"))
    return node__fail(o, TR_ECONFIG, "unknown pubsub router %s", router);
  ps_swarm_opts_t po = {&n->key, flood};
  int rc = ps_swarm_new(&n->loop, n->host, &po, &n->pubsub);
  if (rc)
    return node__fail(o, rc, "pubsub: %s", tr_strerror(rc));
  n->rpc.pubsub = n->pubsub;
  tr_log(TR_LOG_INFO, "pubsub: %s router on", flood ? "floodsub" : "gossipsub");
  return 0;
}

void node__stop_pubsub(node_t *n) {
  n->rpc.pubsub = NULL;
  ps_swarm_close(n->pubsub);
  n->pubsub = NULL;
}

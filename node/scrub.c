/*
 * scrub.c (node/) — the scrubber's configuration and API commands (see
 * node/scrub.h).
 */
#include "scrub.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../rpc/api.h"

static bool scrub_cmd(void *ud, http_req_t *req, const char *cmd) {
  node_scrub_t *ns = ud;
  if (!strcmp(cmd, "mirror/scrub/status")) {
    rpc_api_json(req, mir_scrub_json(ns->s));
    return true;
  }
  if (strcmp(cmd, "mirror/scrub/start"))
    return false;
  if (!ns->s) {
    rpc_api_error(req, 500,
                  "the scrubber is off (set Mirror.Scrub.Rate and restart)");
    return true;
  }
  if (mir_scrub_start(ns->s) == -EBUSY) {
    rpc_api_error(req, 500, "a scrub pass is already running");
    return true;
  }
  rpc_api_json(req, mir_scrub_json(ns->s));
  return true;
}

static int duration(json_t *cfg, const char *key, uint64_t def,
                    uint64_t *ms) {
  json_t *v = config_get(cfg, key);
  *ms = def;
  if (!v || json_is_null(v))
    return 0;
  const char *s = json_string_value(v);
  uint64_t ns;
  if (s && !strcmp(s, "0")) {
    *ms = 0;
    return 0;
  }
  if (!s || tr_parse_duration(s, &ns)) {
    tr_log(TR_LOG_ERROR, "%s: expected a duration such as \"24h\"", key);
    return TR_ECONFIG;
  }
  *ms = ns / 1000000;
  return 0;
}

int node_scrub_start(node_scrub_t *ns, uv_loop_t *loop, bs_env_t *env,
                     const bs_fetcher_t *fetcher, json_t *cfg,
                     rpc_ctx_t *rpc) {
  ns->s = NULL;
  rpc->ext_cmd = scrub_cmd;
  rpc->ext_ud = ns;
  mir_scrub_cfg_t sc = {0};
  json_t *r = config_get(cfg, "Mirror.Scrub.Rate");
  if (json_is_integer(r) && json_integer_value(r) >= 0) {
    sc.rate = (uint64_t)json_integer_value(r);
  } else if (r && !json_is_null(r) &&
             mir_scrub_parse_rate(json_string_value(r), &sc.rate)) {
    tr_log(TR_LOG_ERROR, "Mirror.Scrub.Rate: expected bytes per second, "
           "such as 52428800 or \"50MiB\"");
    return TR_ECONFIG;
  }
  uint64_t iv, retry, to;
  int rc = duration(cfg, "Mirror.Scrub.Interval", 24ull * 3600 * 1000, &iv);
  if (!rc)
    rc = duration(cfg, "Mirror.Scrub.RetryDelay", MIR_SCRUB_RETRY_MS, &retry);
  if (!rc)
    rc = duration(cfg, "Mirror.Scrub.FetchTimeout",
                  MIR_SCRUB_FETCH_TIMEOUT_MS, &to);
  if (rc)
    return rc;
  if (!sc.rate)
    return 0; /* off */
  sc.interval_ms = iv;
  sc.retry_ms = retry > UINT32_MAX ? UINT32_MAX : retry ? (uint32_t)retry : 1;
  sc.fetch_timeout_ms = to > UINT32_MAX ? UINT32_MAX : to ? (uint32_t)to : 1;
  if ((rc = mir_scrub_new(loop, env, fetcher, &sc, &ns->s)))
    return rc;
  tr_log(TR_LOG_INFO, "scrub: %llu bytes/s, a pass every %llu s%s",
         (unsigned long long)sc.rate, (unsigned long long)iv / 1000,
         fetcher ? "" : " (offline: no repairs)");
  return 0;
}

void node_scrub_stop(node_scrub_t *ns) {
  mir_scrub_close(ns->s);
  ns->s = NULL; /* status says "off" to the last requests */
}

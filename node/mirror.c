/*
 * mirror.c — node_mirror_*: mirror/ wired into the daemon (mirror.h).
 */
#include "mirror.h"

#include <stdio.h>
#include <string.h>

#include "../config/config.h"
#include "daemon.h"

static void connect_done(net_host_t *h, int status, const net_peerid_t *peer,
                         void *ud) {
  (void)h, (void)peer, (void)ud;
  if (status)
    tr_log(TR_LOG_DEBUG, "mirror: an origin could not be reached: %s",
           tr_strerror(status));
}

static void connect_origin(void *ud, const char *maddr) {
  node_mirror_t *m = ud;
  if (m->host && net_host_connect(m->host, maddr, connect_done, m))
    tr_log(TR_LOG_DEBUG, "mirror: origin %s not dialled", maddr);
}

int node_mirror_start(node_mirror_t *m, uv_loop_t *loop, bs_env_t *env,
                      const bs_fetcher_t *fetcher, net_host_t *host,
                      const char *peerid, json_t *cfg) {
  m->host = host;
  int rc = mir_store_open(env, &m->st);
  if (rc) {
    tr_log(TR_LOG_ERROR, "mirror: cannot open the pins store: %s",
           tr_strerror(rc));
    return rc;
  }
  mir_engine_opts_t eo = {0};
  json_t *c = config_get(cfg, "Mirror.Concurrency");
  if (json_is_integer(c) && json_integer_value(c) > 0)
    eo.concurrency = (unsigned)json_integer_value(c);
  uint32_t ms;
  if (!config_duration_ms(cfg, "Mirror.FetchTimeout", &ms) && ms)
    eo.stall_ms = ms;
  eo.connect = connect_origin;
  eo.ud = m;
  if ((rc = mir_engine_new(loop, m->st, fetcher, &eo, &m->eng))) {
    tr_log(TR_LOG_ERROR, "mirror: cannot start the pin engine: %s",
           tr_strerror(rc));
    return rc;
  }
  /* Delegates: where this node listens, with its id. */
  char (*addrs)[NET_MA_STR_MAX / 16] = NULL;
  const char *dl[MIR_DELEGATES_MAX];
  char buf[MIR_DELEGATES_MAX][NET_MA_STR_MAX / 16 + 80];
  size_t nd = 0;
  if (host && (addrs = tr_calloc(MIR_DELEGATES_MAX, sizeof *addrs))) {
    size_t n = net_host_addrs(host, addrs, MIR_DELEGATES_MAX);
    for (size_t i = 0; i < n && i < MIR_DELEGATES_MAX; i++) {
      snprintf(buf[nd], sizeof buf[nd], "%s/p2p/%s", addrs[i], peerid);
      dl[nd] = buf[nd];
      nd++;
    }
  }
  tr_free(addrs);
  if ((rc = mir_api_new(m->st, m->eng, dl, nd, &m->api)))
    return rc;
  const char *own = json_string_value(config_get(cfg,
                                                 "Mirror.PinningAPI.Address"));
  if (own && *own) {
    char h[64];
    int port;
    if (node_maddr_tcp(own, h, sizeof h, &port)) {
      tr_log(TR_LOG_ERROR, "mirror: Mirror.PinningAPI.Address: not a TCP "
             "multiaddr: %s", own);
      return TR_ECONFIG;
    }
    if ((rc = http_server_start(loop, h, port, NULL, mir_api_serve, m->api,
                                &m->srv))) {
      tr_log(TR_LOG_ERROR, "mirror: cannot listen on %s: %s", own,
             uv_strerror(rc));
      return rc;
    }
    snprintf(m->addr, sizeof m->addr, "/%s/%s/tcp/%d",
             strchr(h, ':') ? "ip6" : "ip4", h, http_server_port(m->srv));
    tr_log(TR_LOG_INFO, "Pinning Service API listening on %s", m->addr);
  }
  return 0;
}

bool node_mirror_handle(node_mirror_t *m, http_req_t *req) {
  return m->api && mir_api_handle(m->api, req);
}

void node_mirror_stop(node_mirror_t *m) {
  if (m->srv)
    http_server_stop(m->srv, NULL, NULL);
  m->srv = NULL;
  mir_engine_free(m->eng);
  m->eng = NULL;
  m->host = NULL;
}

void node_mirror_free(node_mirror_t *m) {
  mir_api_free(m->api);
  m->api = NULL;
  if (m->st)
    mir_store_close(m->st);
  m->st = NULL;
}

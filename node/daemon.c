/*
 * daemon.c — the daemon's start-up, main loop and shutdown (see daemon.h).
 */
#include "daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "../blockstore/bs.h"
#include "../gateway/gateway.h"
#include "config.h"

#define TROVE_VERSION "0.1.0"

int node_maddr_tcp(const char *m, char *host, size_t hostsz, int *port) {
  char proto[8], h[64];
  int p;
  if (sscanf(m, "/%7[^/]/%63[^/]/tcp/%d", proto, h, &p) != 3 || p < 0 ||
      p > 65535)
    return TR_EUSAGE;
  if (strcmp(proto, "ip4") && strcmp(proto, "ip6"))
    return TR_EUSAGE;
  unsigned char buf[16];
  if (inet_pton(strcmp(proto, "ip4") ? AF_INET6 : AF_INET, h, buf) != 1)
    return TR_EUSAGE;
  snprintf(host, hostsz, "%s", h);
  *port = p;
  return 0;
}

int node_daemon_api(const char *repo, char *host, size_t hostsz, int *port) {
  char path[4096], maddr[256] = "";
  snprintf(path, sizeof path, "%s/api", repo);
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  if (!fgets(maddr, sizeof maddr, f))
    maddr[0] = 0;
  fclose(f);
  maddr[strcspn(maddr, "\r\n")] = 0;
  if (node_maddr_tcp(maddr, host, hostsz, port))
    return 0;
  /* A stale file from a killed daemon: only a listener that answers
   * counts. */
  int fd = socket(strchr(host, ':') ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return 0;
  int ok;
  if (strchr(host, ':')) {
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)*port)};
    inet_pton(AF_INET6, host, &sa.sin6_addr);
    ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
  } else {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)*port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
  }
  close(fd);
  return ok;
}

/* ------------------------------------------------------------------ node */

typedef struct node {
  uv_loop_t loop;
  uv_signal_t sigint, sigterm;
  gw_server_t *gateway, *api;
  gw_ctx_t ctx;
  bs_env_t *env;
  char repo[4096];
  bool stopping;
} node_t;

static void stop_node(node_t *n) {
  if (n->stopping)
    return;
  n->stopping = true;
  tr_log(TR_LOG_INFO, "shutting down");
  if (n->gateway)
    gw_server_stop(n->gateway, NULL, NULL);
  if (n->api)
    gw_server_stop(n->api, NULL, NULL);
  n->gateway = n->api = NULL;
  uv_close((uv_handle_t *)&n->sigint, NULL);
  uv_close((uv_handle_t *)&n->sigterm, NULL);
}

static void on_signal(uv_signal_t *s, int signum) {
  tr_log(TR_LOG_INFO, "received signal %d", signum);
  stop_node(s->data);
}

static void on_shutdown(void *ud) { stop_node(ud); }

static int listen_on(node_t *n, const char *maddr, gw_handler_fn fn,
                     const gw_limits_t *lim, gw_server_t **srv, char *out,
                     size_t outsz, const char *what) {
  char host[64];
  int port;
  if (node_maddr_tcp(maddr, host, sizeof host, &port)) {
    tr_log(TR_LOG_ERROR, "%s: not a TCP multiaddr: %s", what, maddr);
    return TR_EUSAGE;
  }
  int rc = gw_server_start(&n->loop, host, port, lim, fn, &n->ctx, srv);
  if (rc) {
    tr_log(TR_LOG_ERROR, "%s: cannot listen on %s: %s", what, maddr,
           uv_strerror(rc));
    return rc;
  }
  snprintf(out, outsz, "/%s/%s/tcp/%d", strchr(host, ':') ? "ip6" : "ip4",
           host, gw_server_port(*srv));
  return 0;
}

static void walk_close(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

int node_daemon_run(const node_daemon_opts_t *o) {
  node_t *n = tr_calloc(1, sizeof *n);
  if (!n)
    return -ENOMEM;
  snprintf(n->repo, sizeof n->repo, "%s", o->repo);
  /* A small pool: this is a 2-core class machine and workers mostly copy
   * from the page cache. */
  setenv("UV_THREADPOOL_SIZE", "4", 0);
  signal(SIGPIPE, SIG_IGN);

  char path[4200];
  snprintf(path, sizeof path, "%s/daemon.lock", n->repo);
  int lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB)) {
    tr_log(TR_LOG_ERROR, "another daemon is running on %s", n->repo);
    if (lockfd >= 0)
      close(lockfd);
    tr_free(n);
    return TR_EEXIST;
  }
  json_t *cfg = NULL;
  node_identity_t id;
  int rc = node_config_load(n->repo, &cfg);
  if (!rc)
    rc = node_config_identity(cfg, &id);
  if (!rc)
    rc = bs_open(&n->env, n->repo, 0);
  if (rc) {
    tr_log(TR_LOG_ERROR, "opening repo %s: %s", n->repo, tr_strerror(rc));
    goto out;
  }
  uv_loop_init(&n->loop);
  n->ctx.loop = &n->loop;
  n->ctx.env = n->env;
  n->ctx.repo = n->repo;
  n->ctx.peerid = id.peerid;
  n->ctx.version = TROVE_VERSION;
  n->ctx.shutdown = on_shutdown;
  n->ctx.shutdown_ud = n;

  const char *gw = o->gateway_addr
                       ? o->gateway_addr
                       : json_string_value(node_config_get(cfg, "Addresses.Gateway"));
  const char *api = o->api_addr
                        ? o->api_addr
                        : json_string_value(node_config_get(cfg, "Addresses.API"));
  if (!gw)
    gw = "/ip4/127.0.0.1/tcp/8080";
  if (!api)
    api = "/ip4/127.0.0.1/tcp/5001";
  /* Gateway.RateLimit: requests per second per client address (burst
   * twice that); 0 lifts the limit, e.g. for a benchmark or behind a
   * reverse proxy that already limits, where every client is 127.0.0.1. */
  gw_limits_t glim;
  gw_limits_default(&glim);
  json_t *rl = node_config_get(cfg, "Gateway.RateLimit");
  if (json_is_integer(rl) && json_integer_value(rl) >= 0 &&
      json_integer_value(rl) <= 1000000) {
    glim.rate_per_ip = (uint32_t)json_integer_value(rl);
    glim.rate_burst = 2 * glim.rate_per_ip;
  }
  rc = listen_on(n, api, gw_api_handle, NULL, &n->api, n->ctx.api_addr,
                 sizeof n->ctx.api_addr, "API");
  if (!rc)
    rc = listen_on(n, gw, gw_gateway_handle, &glim, &n->gateway,
                   n->ctx.gateway_addr, sizeof n->ctx.gateway_addr, "gateway");
  if (rc)
    goto stop;

  snprintf(path, sizeof path, "%s/api", n->repo);
  FILE *f = fopen(path, "w");
  if (f) {
    fprintf(f, "%s\n", n->ctx.api_addr);
    fclose(f);
  }
  uv_signal_init(&n->loop, &n->sigint);
  uv_signal_init(&n->loop, &n->sigterm);
  n->sigint.data = n->sigterm.data = n;
  uv_signal_start(&n->sigint, on_signal, SIGINT);
  uv_signal_start(&n->sigterm, on_signal, SIGTERM);

  char host[64];
  int port;
  if (node_maddr_tcp(n->ctx.api_addr, host, sizeof host, &port) == 0)
    tr_log(TR_LOG_INFO, "RPC API server listening on %s (http://%s:%d/api/v0)",
           n->ctx.api_addr, host, port);
  if (node_maddr_tcp(n->ctx.gateway_addr, host, sizeof host, &port) == 0)
    tr_log(TR_LOG_INFO, "Gateway server listening on %s (http://%s:%d/ipfs/)",
           n->ctx.gateway_addr, host, port);
  tr_log(TR_LOG_INFO, "peer identity: %s", id.peerid);
  printf("Daemon is ready\n");
  fflush(stdout);

  uv_run(&n->loop, UV_RUN_DEFAULT);
  unlink(path);
  rc = 0;
stop:
  if (!n->stopping && (n->api || n->gateway)) {
    if (n->gateway)
      gw_server_stop(n->gateway, NULL, NULL);
    if (n->api)
      gw_server_stop(n->api, NULL, NULL);
  }
  uv_walk(&n->loop, walk_close, NULL);
  uv_run(&n->loop, UV_RUN_DEFAULT);
  uv_loop_close(&n->loop);
out:
  bs_close(n->env);
  json_decref(cfg);
  close(lockfd);
  tr_free(n);
  return rc;
}

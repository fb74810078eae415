/*
 * cmd_pin_remote.c — `trove pin remote service add|ls|rm` and `trove pin
 * remote add|ls|rm`, as Kubo's `ipfs pin remote` (core/commands/pin/
 * remotepin.go).  The work is mirror/remote.h's: through a running
 * daemon's /api/v0/pin/remote/... (node/mirror_remote.c, which adds this
 * node's addresses as origins and dials the delegates), or, without one,
 * on a loop of the command's own with the repo's config.  Output is
 * Kubo's either way: service ls "NAME ENDPOINT [q/p/p/f|invalid]" aligned
 * as its tabwriter does, add "CID:    ...\nName:   ...\nStatus: ...", ls
 * "CID\tSTATUS\tNAME".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "../mirror/remote.h"
#include "../node/daemon.h"
#include "remote_int.h"

/* --------------------------------------------------------------- output */

static void print_pin(json_t *o) {
  /* Kubo escapes non-printable bytes of the name (cmdenv.EscNonPrint);
   * the client's parser has refused control characters already. */
  printf("%s\t%s\t%s\n", cli__jstr(o, "Cid"), cli__jstr(o, "Status"),
         cli__jstr(o, "Name"));
}

static void print_services(json_t *list, bool stat) {
  json_t *a = json_object_get(list, "RemoteServices"), *d;
  size_t i, w0 = 0, w1 = 0;
  json_array_foreach(a, i, d) {
    size_t l0 = strlen(cli__jstr(d, "Service"));
    size_t l1 = strlen(cli__jstr(d, "ApiEndpoint"));
    w0 = l0 > w0 ? l0 : w0;
    w1 = l1 > w1 ? l1 : w1;
  }
  json_array_foreach(a, i, d) {
    if (!stat) {
      printf("%-*s %s\n", (int)w0, cli__jstr(d, "Service"),
             cli__jstr(d, "ApiEndpoint"));
      continue;
    }
    json_t *s = json_object_get(d, "Stat");
    json_t *pc = json_object_get(s, "PinCount");
    char st[96];
    if (pc)
      snprintf(st, sizeof st, "%lld/%lld/%lld/%lld",
               (long long)json_integer_value(json_object_get(pc, "Queued")),
               (long long)json_integer_value(json_object_get(pc, "Pinning")),
               (long long)json_integer_value(json_object_get(pc, "Pinned")),
               (long long)json_integer_value(json_object_get(pc, "Failed")));
    else
      snprintf(st, sizeof st, "%s", cli__jstr(s, "Status"));
    printf("%-*s %-*s %s\n", (int)w0, cli__jstr(d, "Service"), (int)w1,
           cli__jstr(d, "ApiEndpoint"), st);
  }
}

static void print_add(json_t *o) {
  printf("CID:    %s\nName:   %s\nStatus: %s\n", cli__jstr(o, "Cid"),
         cli__jstr(o, "Name"), cli__jstr(o, "Status"));
}

/* ------------------------------------------------------ through a daemon */

/* Start cmd with the options and args; 1 when there is none (run here),
 * else the status once what was answered is printed. */
static int via_daemon(cli_t *cli, const char *name, const char *cmd, int argc,
                      char **argv, int *status) {
  const char *off = getenv("TROVE_OFFLINE");
  remote_t r = {.what = name, .v = &cli->v, .cli = cli, .h = {.fd = -1}};
  if ((off && *off && strcmp(off, "0")) ||
      node_daemon_api(cli->repo, r.host, sizeof r.host, &r.port) != 1)
    return 1;
  tr_log(TR_LOG_DEBUG, "%s: through the daemon's API at %s:%d", name, r.host,
         r.port);
  int rc = cli__qopts(&r, &cli->v) || cli__qargs(&r, argc, argv) ||
           cli__start(&r, cmd, NULL);
  if (!rc && (rc = cli_http_response(&r.h)))
    rc = cli_failf("%s: no answer from the daemon: %s", name,
                   tr_strerror(rc));
  else if (!rc && r.h.status != 200) {
    char msg[2048];
    cli_http_error(&r.h, msg, sizeof msg);
    rc = cli_failf("%s", msg); /* Kubo's words, as when run here */
  }
  json_t *o;
  int n;
  while (!rc && (n = cli__next_value(&r, &o)) != 0) {
    if (n < 0) {
      rc = 1;
      break;
    }
    if (!strcmp(cmd, "pin/remote/ls"))
      print_pin(o);
    else if (!strcmp(cmd, "pin/remote/add"))
      print_add(o);
    else if (!strcmp(cmd, "pin/remote/service/ls"))
      print_services(o, rpc_vals_bool(&cli->v, "stat"));
    json_decref(o);
  }
  cli_http_close(&r.h);
  tr_bytes_free(&r.q);
  tr_bytes_free(&r.body_args);
  fflush(stdout);
  *status = rc ? 1 : 0;
  return 0;
}

#define VIA_DAEMON(cli, name, cmd, argc, argv)                               \
  do {                                                                       \
    int st_;                                                                 \
    if (!via_daemon(cli, name, cmd, argc, argv, &st_))                       \
      return st_;                                                            \
  } while (0)

/* ------------------------------------------------------------- locally */

typedef struct pr {
  uv_loop_t loop;
  bool done, stat;
  int status;
  int kind; /* 0 service ls, 1 add, 2 ls, 3 rm */
} pr_t;

static int pr_pin(void *ud, const mir_psa_pin_t *p) {
  (void)ud;
  printf("%s\t%s\t%s\n", p->cid, mir_psa_status_name(p->status), p->name);
  return 0;
}

static void pr_end(void *ud, const mir_remote_end_t *e) {
  pr_t *p = ud;
  p->done = true;
  p->status = e->status ? cli_failf("%s", e->msg) : 0;
  if (e->status)
    return;
  if (p->kind == 0)
    print_services(e->list, p->stat);
  if (p->kind == 1)
    printf("CID:    %s\nName:   %s\nStatus: %s\n", e->pin->cid, e->pin->name,
           mir_psa_status_name(e->pin->status));
}

/* Run the operation start() began to its end, then the loop down. */
static int pr_run(pr_t *p, int rc) {
  if (rc)
    p->status = cli_failf("%s", rc == -EPROTONOSUPPORT
                                    ? "https:// services are reached through "
                                      "a local reverse proxy (trove's HTTP "
                                      "client has no TLS)"
                                    : tr_strerror(rc));
  uv_run(&p->loop, UV_RUN_DEFAULT);
  uv_loop_close(&p->loop);
  return p->status ? 1 : 0;
}

static int load(cli_t *cli, json_t **cfg) {
  int rc = config_load(cli->repo, cfg);
  return rc ? cli_failf("%s", tr_strerror(rc)) : 0;
}

/* The service's endpoint and key (views into cfg), reported when absent. */
static int service(cli_t *cli, json_t *cfg, const char **ep, const char **key) {
  char err[128];
  if (mir_remote_service_find(cfg, CLI_STR(cli, "service"), ep, key, err,
                              sizeof err))
    return cli_failf("%s", err);
  return 0;
}

/* ----------------------------------------------------------- services */

int cmd_pin_remote_service_add(cli_t *cli, int argc, char **argv) {
  if (argc != 4)
    return cli_failf("expecting three arguments: service name, endpoint and key");
  VIA_DAEMON(cli, "pin remote service add", "pin/remote/service/add", argc,
             argv);
  json_t *cfg;
  char err[256];
  if (load(cli, &cfg))
    return 1;
  int rc = mir_remote_service_add(cfg, argv[1], argv[2], argv[3], err,
                                  sizeof err);
  if (!rc && (rc = config_save(cli->repo, cfg)))
    snprintf(err, sizeof err, "%s", tr_strerror(rc));
  json_decref(cfg);
  return rc ? cli_failf("%s", err) : 0;
}

int cmd_pin_remote_service_rm(cli_t *cli, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("expecting one argument: name");
  VIA_DAEMON(cli, "pin remote service rm", "pin/remote/service/rm", argc,
             argv);
  json_t *cfg;
  if (load(cli, &cfg))
    return 1;
  mir_remote_service_rm(cfg, argv[1]);
  int rc = config_save(cli->repo, cfg);
  json_decref(cfg);
  return rc ? cli_failf("pin remote service rm: %s", tr_strerror(rc)) : 0;
}

int cmd_pin_remote_service_ls(cli_t *cli, int argc, char **argv) {
  if (argc != 1)
    return cli_failf("pin remote service ls: takes no arguments");
  VIA_DAEMON(cli, "pin remote service ls", "pin/remote/service/ls", argc,
             argv);
  json_t *cfg;
  if (load(cli, &cfg))
    return 1;
  pr_t p = {.kind = 0, .stat = rpc_vals_bool(&cli->v, "stat")};
  uv_loop_init(&p.loop);
  mir_rop_t *op;
  int rc = mir_remote_service_ls(&p.loop, cfg, p.stat, pr_end, &p, &op);
  json_decref(cfg);
  return pr_run(&p, rc);
}

/* ---------------------------------------------------------- add ls rm */

int cmd_pin_remote_add(cli_t *cli, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("expecting one CID argument");
  int ns;
  const char *arg = dag_path_rest(argv[1], &ns);
  dag_cid_t cid;
  if (ns == DAG_NS_IPNS || dag_cid_parse(&cid, arg, strlen(arg)))
    return cli_failf("invalid path \"%s\": not a CID", argv[1]);
  VIA_DAEMON(cli, "pin remote add", "pin/remote/add", argc, argv);
  json_t *cfg;
  const char *ep, *key;
  if (load(cli, &cfg))
    return 1;
  if (service(cli, cfg, &ep, &key)) {
    json_decref(cfg);
    return 1;
  }
  pr_t p = {.kind = 1};
  uv_loop_init(&p.loop);
  mir_rop_t *op;
  /* No origins: without a daemon this node is not online. */
  int rc = mir_remote_add(&p.loop, ep, key, arg, CLI_STR(cli, "name"), NULL,
                          rpc_vals_bool(&cli->v, "background"), NULL, pr_end,
                          &p, &op);
  json_decref(cfg);
  return pr_run(&p, rc);
}

static int ls_rm(cli_t *cli, int argc, char **argv, bool rm) {
  if (argc != 1)
    return cli_failf("unexpected argument \"%s\"", argv[1]);
  char err[256];
  mir_psa_query_t q;
  if (mir_remote_query(CLI_STR(cli, "status"), CLI_STR(cli, "cid"),
                       CLI_STR(cli, "name"), &q, err, sizeof err))
    return cli_failf("%s", err);
  VIA_DAEMON(cli, rm ? "pin remote rm" : "pin remote ls",
             rm ? "pin/remote/rm" : "pin/remote/ls", argc, argv);
  json_t *cfg;
  const char *ep, *key;
  if (load(cli, &cfg))
    return 1;
  if (service(cli, cfg, &ep, &key)) {
    json_decref(cfg);
    return 1;
  }
  pr_t p = {.kind = rm ? 3 : 2};
  uv_loop_init(&p.loop);
  mir_rop_t *op;
  int rc = rm ? mir_remote_rm(&p.loop, ep, key, &q,
                              rpc_vals_bool(&cli->v, "force"), pr_end, &p, &op)
              : mir_remote_ls(&p.loop, ep, key, &q, pr_pin, pr_end, &p, &op);
  json_decref(cfg);
  return pr_run(&p, rc);
}

int cmd_pin_remote_ls(cli_t *cli, int argc, char **argv) {
  return ls_rm(cli, argc, argv, false);
}

int cmd_pin_remote_rm(cli_t *cli, int argc, char **argv) {
  return ls_rm(cli, argc, argv, true);
}

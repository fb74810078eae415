/*
 * cmd_pin_remote.c — `trove pin remote service add|ls|rm` and `trove pin
 * remote add|ls|rm`, as Kubo's `ipfs pin remote` (core/commands/pin/
 * remotepin.go): services live in the config's Pinning.RemoteServices in
 * Kubo's shape ({"API":{"Endpoint","Key"},"Policies":{"MFS":{...}}}), and
 * the pins are asked of the service with the Pinning Service API client
 * (mirror/psa_client.h) on a loop of the command's own.
 *
 * These run in the CLI whether or not a daemon holds the repo: the config
 * is a file any process may rewrite (as Kubo's service add does through
 * fsrepo), and the remote service is reached directly.  Output is Kubo's:
 * service ls "NAME ENDPOINT [q/p/p/f|invalid]" aligned as its tabwriter
 * does, add "CID:    ...\nName:   ...\nStatus: ...", ls "CID\tSTATUS\tNAME".
 *
 * What it does not do: `pin remote add` of a path (only a CID), and the
 * origins Kubo adds when the CID is in the local store and the node is
 * online (the CLI has no swarm; the daemon's follow sets origins).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dag/cid.h"
#include "../config/config.h"
#include "../mirror/psa_client.h"
#include "cli.h"

#define PR_POLL_MS 500 /* Kubo polls a non-background add every 500 ms */

/* ----------------------------------------------------------- services */

static json_t *services(json_t *cfg) {
  json_t *s = config_get(cfg, "Pinning.RemoteServices");
  return json_is_object(s) ? s : NULL;
}

int cmd_pin_remote_service_add(cli_t *cli, int argc, char **argv) {
  if (argc != 4)
    return cli_failf("expecting three arguments: service name, endpoint and key");
  char ep[MIR_PSA_URL_MAX], err[128];
  if (mir_psa_endpoint_normalize(argv[2], ep, sizeof ep, err, sizeof err))
    return cli_failf("%s", err);
  json_t *cfg;
  int rc = config_load(cli->repo, &cfg);
  if (rc)
    return cli_failf("pin remote service add: %s", tr_strerror(rc));
  json_t *s = services(cfg);
  if (s && json_object_get(s, argv[1])) {
    json_decref(cfg);
    return cli_failf("service already present");
  }
  json_t *svc = json_pack("{s:{s:s,s:s},s:{s:{s:b,s:s,s:s}}}", "API",
                          "Endpoint", ep, "Key", argv[3], "Policies", "MFS",
                          "Enable", 0, "PinName", "", "RepinInterval", "");
  if (!s) {
    s = json_object();
    rc = config_set(cfg, "Pinning.RemoteServices", s);
  }
  if (!rc && (!svc || json_object_set_new(s, argv[1], svc)))
    rc = -ENOMEM;
  if (!rc)
    rc = config_save(cli->repo, cfg);
  json_decref(cfg);
  return rc ? cli_failf("pin remote service add: %s", tr_strerror(rc)) : 0;
}

int cmd_pin_remote_service_rm(cli_t *cli, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("expecting one argument: name");
  json_t *cfg;
  int rc = config_load(cli->repo, &cfg);
  if (rc)
    return cli_failf("pin remote service rm: %s", tr_strerror(rc));
  json_t *s = services(cfg);
  if (s)
    json_object_del(s, argv[1]);
  rc = config_save(cli->repo, cfg);
  json_decref(cfg);
  return rc ? cli_failf("pin remote service rm: %s", tr_strerror(rc)) : 0;
}

/* --------------------------------------------------------- the loop */

typedef struct pr {
  uv_loop_t loop;
  mir_psa_t *c;
  int done, status, http_status;
  char reason[MIR_PSA_REASON_MAX], details[MIR_PSA_DETAILS_MAX];
  mir_psa_pin_t pin;   /* add/get: the answer */
  bool have_pin;
  uint64_t count;      /* list: the page's count */
  json_t *ids;         /* list_all: requestids seen (rm) */
  bool print;          /* list_all: print each pin */
  bool quiet;          /* errors not reported (service ls --stat) */
} pr_t;

static void pr_done(void *ud, const mir_psa_result_t *r) {
  pr_t *p = ud;
  p->done = 1;
  p->status = r->status;
  p->http_status = r->http_status;
  snprintf(p->reason, sizeof p->reason, "%s", r->reason);
  snprintf(p->details, sizeof p->details, "%s", r->details);
  if (r->page)
    p->count = r->page->count;
  if (r->pin) {
    mir_psa_pin_free(&p->pin);
    p->pin = *r->pin;
    p->pin.origins = json_incref(r->pin->origins);
    p->pin.delegates = json_incref(r->pin->delegates);
    p->pin.meta = json_incref(r->pin->meta);
    p->have_pin = true;
  }
}

/* Run the loop until the operation started ends; its error reported. */
static int pr_wait(pr_t *p, const char *what) {
  while (!p->done && uv_run(&p->loop, UV_RUN_ONCE))
    ;
  p->done = 0;
  if (!p->status)
    return 0;
  if (p->quiet)
    return 1;
  if (p->reason[0])
    return cli_failf("%s: %s (%d %s%s%s)", what, tr_strerror(p->status),
                     p->http_status, p->reason, p->details[0] ? ": " : "",
                     p->details);
  return cli_failf("%s: %s", what, tr_strerror(p->status));
}

static int pr_open(cli_t *cli, pr_t *p, const char *name) {
  memset(p, 0, sizeof *p);
  if (!name || !*name)
    return cli_failf("a service name must be passed");
  json_t *cfg;
  int rc = config_load(cli->repo, &cfg);
  if (rc)
    return cli_failf("%s", tr_strerror(rc));
  json_t *api = json_object_get(json_object_get(services(cfg), name), "API");
  const char *ep = json_string_value(json_object_get(api, "Endpoint"));
  const char *key = json_string_value(json_object_get(api, "Key"));
  if (!ep || !key) {
    json_decref(cfg);
    return cli_failf("service not known");
  }
  uv_loop_init(&p->loop);
  rc = mir_psa_new(&p->loop, ep, key, &p->c);
  json_decref(cfg);
  if (rc == -EPROTONOSUPPORT)
    return cli_failf("%s: https:// services are reached through a local "
                     "reverse proxy (trove's HTTP client has no TLS)", ep);
  if (rc)
    return cli_failf("%s: %s", ep, tr_strerror(rc));
  return 0;
}

static void pr_close(pr_t *p) {
  mir_psa_free(p->c);
  p->c = NULL;
  uv_run(&p->loop, UV_RUN_DEFAULT);
  uv_loop_close(&p->loop);
  mir_psa_pin_free(&p->pin);
  json_decref(p->ids);
}

/* ------------------------------------------------------- service ls */

int cmd_pin_remote_service_ls(cli_t *cli, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("pin remote service ls: takes no arguments");
  bool stat = rpc_vals_bool(&cli->v, "stat");
  json_t *cfg;
  int rc = config_load(cli->repo, &cfg);
  if (rc)
    return cli_failf("pin remote service ls: %s", tr_strerror(rc));
  json_t *s = services(cfg);
  /* Kubo sorts by name and pads columns with a tabwriter (min width 1,
   * padding 1). */
  const char **names = tr_calloc(json_object_size(s) + 1, sizeof *names);
  char (*stats)[64] = tr_calloc(json_object_size(s) + 1, sizeof *stats);
  size_t n = 0, w0 = 0, w1 = 0;
  const char *k;
  json_t *v;
  json_object_foreach(s, k, v) names[n++] = k;
  qsort(names, n, sizeof *names, (int (*)(const void *, const void *))strcmp);
  for (size_t i = 0; i < n; i++) {
    const char *ep = json_string_value(json_object_get(
        json_object_get(json_object_get(s, names[i]), "API"), "Endpoint"));
    w0 = strlen(names[i]) > w0 ? strlen(names[i]) : w0;
    w1 = ep && strlen(ep) > w1 ? strlen(ep) : w1;
    if (!stat)
      continue;
    pr_t p;
    uint64_t cnt[4] = {0};
    bool ok = !pr_open(cli, &p, names[i]);
    p.quiet = true;
    for (unsigned b = 0; ok && b < 4; b++) {
      mir_psa_query_t q = {.status = 1u << b, .limit = 1};
      ok = !mir_psa_list(p.c, &q, pr_done, &p, NULL) && !pr_wait(&p, names[i]);
      cnt[b] = p.count;
    }
    if (p.c)
      pr_close(&p);
    if (ok)
      snprintf(stats[i], sizeof stats[i], "%llu/%llu/%llu/%llu",
               (unsigned long long)cnt[0], (unsigned long long)cnt[1],
               (unsigned long long)cnt[2], (unsigned long long)cnt[3]);
    else
      snprintf(stats[i], sizeof stats[i], "invalid");
  }
  for (size_t i = 0; i < n; i++) {
    const char *ep = json_string_value(json_object_get(
        json_object_get(json_object_get(s, names[i]), "API"), "Endpoint"));
    if (stat)
      printf("%-*s %-*s %s\n", (int)w0, names[i], (int)w1, ep ? ep : "",
             stats[i]);
    else
      printf("%-*s %s\n", (int)w0, names[i], ep ? ep : "");
  }
  tr_free(names);
  tr_free(stats);
  json_decref(cfg);
  return 0;
}

/* ---------------------------------------------------------- add ls rm */

int cmd_pin_remote_add(cli_t *cli, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("expecting one CID argument");
  const char *arg = argv[1];
  if (!strncmp(arg, "/ipfs/", 6))
    arg += 6;
  dag_cid_t cid;
  if (dag_cid_parse(&cid, arg, strlen(arg)))
    return cli_failf("invalid path \"%s\": not a CID", argv[1]);
  pr_t p;
  if (pr_open(cli, &p, CLI_STR(cli, "service")))
    return 1;
  int rc = mir_psa_add(p.c, NULL, arg, CLI_STR(cli, "name"), NULL, NULL,
                       pr_done, &p, NULL);
  if (rc) {
    pr_close(&p);
    return cli_failf("pin remote add: %s", tr_strerror(rc));
  }
  if (pr_wait(&p, "pin remote add")) {
    pr_close(&p);
    return 1;
  }
  char id[MIR_PSA_REQID_MAX + 1];
  snprintf(id, sizeof id, "%s", p.pin.requestid);
  while (!rpc_vals_bool(&cli->v, "background") &&
         p.pin.status != MIR_PSA_PINNED) {
    if (p.pin.status == MIR_PSA_FAILED) {
      pr_close(&p);
      return cli_failf("remote service failed to pin requestid=\"%s\"", id);
    }
    usleep(PR_POLL_MS * 1000);
    if ((rc = mir_psa_get(p.c, id, pr_done, &p, NULL)) ||
        pr_wait(&p, "pin remote add")) {
      pr_close(&p);
      return rc ? cli_failf("failed to check pin status for requestid=\"%s\" "
                            "due to error: %s", id, tr_strerror(rc))
                : 1;
    }
    if (strcmp(p.pin.requestid, id)) {
      pr_close(&p);
      return cli_failf("failed to check pin status for requestid=\"%s\", "
                       "remote service sent unexpected requestid=\"%s\"",
                       id, p.pin.requestid);
    }
  }
  printf("CID:    %s\nName:   %s\nStatus: %s\n", p.pin.cid, p.pin.name,
         mir_psa_status_name(p.pin.status));
  pr_close(&p);
  return 0;
}

static int ls_pin(void *ud, const mir_psa_pin_t *ps) {
  pr_t *p = ud;
  if (p->print) {
    /* Kubo escapes non-printable bytes of the name (cmdenv.EscNonPrint);
     * the parser has refused control characters already. */
    printf("%s\t%s\t%s\n", ps->cid, mir_psa_status_name(ps->status),
           ps->name);
    return 0;
  }
  return json_array_append_new(p->ids, json_string(ps->requestid)) ? 1 : 0;
}

/* The ls/rm query from the options; statuses default to pinned. */
static int ls_query(cli_t *cli, mir_psa_query_t *q) {
  memset(q, 0, sizeof *q);
  const char *st = CLI_STR(cli, "status");
  if (mir_psa_status_mask(st ? st : "pinned", &q->status))
    return cli_failf("status \"%s\" is not valid", st);
  q->name = CLI_STR(cli, "name");
  q->cids = CLI_STR(cli, "cid");
  for (const char *c = q->cids; c && *c;) {
    size_t n = strcspn(c, ",");
    dag_cid_t cid;
    if (dag_cid_parse(&cid, c, n))
      return cli_failf("CID \"%.*s\" cannot be parsed", (int)n, c);
    c += n + (c[n] == ',');
  }
  return 0;
}

static int walk(pr_t *p, const mir_psa_query_t *q, const char *what) {
  int rc = mir_psa_list_all(p->c, q, ls_pin, pr_done, p, NULL);
  if (rc)
    return cli_failf("%s: %s", what, tr_strerror(rc));
  return pr_wait(p, what);
}

int cmd_pin_remote_ls(cli_t *cli, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("pin remote ls: takes no arguments");
  mir_psa_query_t q;
  pr_t p;
  if (ls_query(cli, &q) || pr_open(cli, &p, CLI_STR(cli, "service")))
    return 1;
  p.print = true;
  int rc = walk(&p, &q, "pin remote ls");
  pr_close(&p);
  return rc;
}

int cmd_pin_remote_rm(cli_t *cli, int argc, char **argv) {
  if (argc != 1)
    return cli_failf("unexpected argument \"%s\"", argv[1]);
  mir_psa_query_t q;
  pr_t p;
  if (ls_query(cli, &q) || pr_open(cli, &p, CLI_STR(cli, "service")))
    return 1;
  if (!(p.ids = json_array())) {
    pr_close(&p);
    return cli_failf("out of memory");
  }
  if (walk(&p, &q, "error while listing remote pins")) {
    pr_close(&p);
    return 1;
  }
  if (json_array_size(p.ids) > 1 && !rpc_vals_bool(&cli->v, "force")) {
    pr_close(&p);
    return cli_failf("multiple remote pins are matching this query, add "
                     "--force to confirm the bulk removal");
  }
  size_t i;
  json_t *id;
  json_array_foreach(p.ids, i, id) {
    const char *s = json_string_value(id);
    if (mir_psa_delete(p.c, s, pr_done, &p, NULL) ||
        pr_wait(&p, "pin remote rm")) {
      cli_failf("removing pin identified by requestid=\"%s\" failed", s);
      pr_close(&p);
      return 1;
    }
  }
  pr_close(&p);
  return 0;
}

/*
 * rpc_bootstrap.c — Kubo's `bootstrap` commands (see bootstrap.h) and
 * their /api/v0 handlers: bootstrap, bootstrap/list, bootstrap/add,
 * bootstrap/add/default, bootstrap/rm, bootstrap/rm/all, each answering
 * {"Peers": [...]}.  Where Kubo's order comes from a Go map (the peers
 * kept by rm), trove keeps the list's order.
 */
#include "bootstrap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../config/config.h"
#include "../config/profile.h"
#include "../net/multiaddr.h"
#include "../net/peerid.h"
#include "rpc_int.h"

/* An entry parsed: its transport part (binary), its peer, and the whole
 * as Kubo formats it ("/p2p/" form). */
typedef struct entry {
  uint8_t tpt[NET_MA_MAX];
  size_t tlen;
  net_peerid_t id;
  char canon[NET_MA_STR_MAX];
} entry_t;

/* 0, or TR_EUSAGE for what is not an address ending in /p2p/ID (with a
 * transport before it when need_tpt). */
static int entry_parse(const char *s, bool need_tpt, entry_t *e, char *err,
                       size_t errlen) {
  uint8_t b[NET_MA_MAX];
  int n = net_ma_parse(s, strlen(s), b, sizeof b);
  if (n <= 0 || net_ma_peer(b, (size_t)n, &e->id, &e->tlen) ||
      net_ma_format(b, (size_t)n, e->canon, sizeof e->canon) < 0) {
    snprintf(err, errlen, "invalid bootstrap address: %s", s);
    return TR_EUSAGE;
  }
  if (need_tpt && !e->tlen) {
    snprintf(err, errlen, "bootstrap address without a transport: %s", s);
    return TR_EUSAGE;
  }
  memcpy(e->tpt, b, e->tlen);
  return 0;
}

static bool autoconf_on(json_t *cfg) {
  json_t *v = config_get(cfg, "AutoConf.Enabled");
  return !json_is_false(v); /* Kubo's DefaultAutoConfEnabled: true */
}

static int push(json_t *a, const char *s) {
  return json_array_append_new(a, json_string(s)) ? -ENOMEM : 0;
}

static int boot_add(json_t *cfg, char *const *peers, size_t n, json_t *out,
                    char *err, size_t errlen) {
  if (!n) {
    snprintf(err, errlen, "no bootstrap peers to add");
    return TR_EUSAGE;
  }
  for (size_t i = 0; i < n; i++) {
    const char *p = strcmp(peers[i], "default") ? peers[i] : "auto";
    entry_t e;
    if (!strcmp(p, "auto")) {
      if (!autoconf_on(cfg)) {
        snprintf(err, errlen, "cannot add default bootstrap peers: "
                 "AutoConf is disabled (AutoConf.Enabled=false). Enable "
                 "AutoConf by setting AutoConf.Enabled=true in your "
                 "config, or add specific peer addresses instead");
        return TR_EUSAGE;
      }
    } else if (entry_parse(p, true, &e, err, errlen)) {
      return TR_EUSAGE;
    }
  }
  json_t *list = json_array();
  int rc = list ? 0 : -ENOMEM;
  for (size_t i = 0; !rc && i < n; i++) {
    const char *p = strcmp(peers[i], "default") ? peers[i] : "auto";
    if (!config_list_has(list, p))
      rc = push(list, p) ? -ENOMEM : push(out, p);
  }
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(cfg, "Bootstrap"), i, v) {
    const char *s = json_string_value(v);
    if (!rc && s && !config_list_has(list, s))
      rc = push(list, s);
  }
  if (!rc)
    return config_set(cfg, "Bootstrap", list);
  json_decref(list);
  return rc;
}

static int boot_rm(json_t *cfg, char *const *peers, size_t n, json_t *out,
                   char *err, size_t errlen) {
  json_t *cur = json_object_get(cfg, "Bootstrap");
  if (config_list_has(cur, "auto") && autoconf_on(cfg)) {
    snprintf(err, errlen, "cannot remove individual bootstrap peers when "
             "using 'auto' placeholder: the 'auto' value is managed by "
             "AutoConf. Either disable AutoConf by setting "
             "AutoConf.Enabled=false and replace 'auto' with specific peer "
             "addresses, or use 'ipfs bootstrap rm --all' to remove all "
             "peers");
    return TR_EUSAGE;
  }
  entry_t *rm = n ? tr_malloc(n * sizeof *rm) : NULL;
  if (n && !rm)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++)
    if (entry_parse(peers[i], false, &rm[i], err, errlen)) {
      tr_free(rm);
      return TR_EUSAGE;
    }
  json_t *keep = json_array();
  int rc = keep ? 0 : -ENOMEM;
  size_t i;
  json_t *v;
  json_array_foreach(cur, i, v) {
    const char *s = json_string_value(v);
    entry_t e;
    char ignore[8];
    if (rc || !s)
      continue;
    if (entry_parse(s, false, &e, ignore, sizeof ignore)) {
      rc = push(keep, s); /* not a peer address ("auto"): left alone */
      continue;
    }
    /* The whole peer goes when it is named alone (/p2p/ID), else the
     * addresses named with it (Kubo merges a peer's into one AddrInfo). */
    bool named = false, whole = true, hit = false;
    for (size_t k = 0; k < n; k++) {
      if (!net_peerid_equal(&rm[k].id, &e.id))
        continue;
      named = true;
      if (rm[k].tlen) {
        whole = false;
        hit |= rm[k].tlen == e.tlen && !memcmp(rm[k].tpt, e.tpt, e.tlen);
      }
    }
    /* Kubo writes back the peers it keeps as it formats them (/p2p/). */
    rc = named && (whole || hit) ? push(out, e.canon) : push(keep, e.canon);
  }
  tr_free(rm);
  if (!rc)
    return config_set(cfg, "Bootstrap", keep);
  json_decref(keep);
  return rc;
}

static int boot_rm_all(json_t *cfg, json_t *out) {
  json_t *cur = json_object_get(cfg, "Bootstrap");
  bool has_auto = config_list_has(cur, "auto");
  size_t i;
  json_t *v;
  int rc = 0;
  json_array_foreach(cur, i, v) {
    const char *s = json_string_value(v);
    entry_t e;
    char ignore[8];
    if (rc || !s)
      continue;
    /* With "auto" Kubo lists the entries as written, else as it
     * formats its peers. */
    rc = has_auto || entry_parse(s, false, &e, ignore, sizeof ignore)
             ? push(out, s)
             : push(out, e.canon);
  }
  return rc ? rc : config_set(cfg, "Bootstrap", json_null());
}

int rpc_bootstrap(json_t *cfg, int op, char *const *peers, size_t n,
                  json_t **out, char *err, size_t errlen) {
  json_t *o = NULL;
  int rc = 0;
  if (n > RPC_BOOT_PEERS_MAX) {
    snprintf(err, errlen, "more than %d peers at once", RPC_BOOT_PEERS_MAX);
    return TR_EUSAGE;
  }
  switch (op) {
  case RPC_BOOT_LIST:
    o = json_array();
    rc = o ? 0 : -ENOMEM;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(cfg, "Bootstrap"), i, v) {
      if (!rc && json_string_value(v))
        rc = push(o, json_string_value(v));
    }
    break;
  case RPC_BOOT_LIST_EXPANDED:
    o = config_bootstrap_expand(json_object_get(cfg, "Bootstrap"));
    rc = o ? 0 : -ENOMEM;
    break;
  default:
    if (!(o = json_array()))
      return -ENOMEM;
    rc = op == RPC_BOOT_ADD  ? boot_add(cfg, peers, n, o, err, errlen)
         : op == RPC_BOOT_RM ? boot_rm(cfg, peers, n, o, err, errlen)
                             : boot_rm_all(cfg, o);
  }
  if (rc) {
    json_decref(o);
    return rc;
  }
  *out = o;
  return 0;
}

/* ------------------------------------------------------------- the API */

typedef struct boot_req {
  int op;
  char **args;
  size_t n;
} boot_req_t;

static void boot_free(void *p) {
  boot_req_t *r = p;
  rpc_strv_free(r->args, r->n);
  tr_free(r);
}

static void boot_work(rpc_job_t *j) {
  boot_req_t *r = j->state;
  json_t *cfg = NULL, *peers = NULL;
  char err[512] = "";
  int rc = config_load(j->ctx->repo, &cfg);
  if (rc) {
    rpc_job_fail(j, 500, "reading the config: %s", tr_strerror(rc));
    return;
  }
  rc = rpc_bootstrap(cfg, r->op, r->args, r->n, &peers, err, sizeof err);
  if (!rc && r->op != RPC_BOOT_LIST && r->op != RPC_BOOT_LIST_EXPANDED)
    rc = config_save(j->ctx->repo, cfg);
  json_decref(cfg);
  if (rc) {
    json_decref(peers);
    rpc_job_fail(j, 500, "%s", rc == TR_EUSAGE ? err : tr_strerror(rc));
    return;
  }
  if (!(j->json = json_pack("{s:o}", "Peers", peers)))
    rpc_job_fail(j, 500, "out of memory");
}

static void boot_run(http_req_t *req, rpc_ctx_t *ctx, int op) {
  boot_req_t *r = tr_calloc(1, sizeof *r);
  bool flag = false;
  if (!r) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  r->op = op;
  /* Kubo's flags: list --expand-auto, rm --all (kubo-rpc-client's
   * clear), and add's old --default (its reset). */
  const char *fname = op == RPC_BOOT_LIST ? "expand-auto"
                      : op == RPC_BOOT_RM ? "all"
                      : op == RPC_BOOT_ADD ? "default"
                                           : NULL;
  if ((op != RPC_BOOT_RM_ALL && rpc_args(req, "arg", &r->args, &r->n)) ||
      (fname && rpc_opt_bool(req, fname, false, &flag))) {
    rpc_error(req, 400, "invalid argument");
    boot_free(r);
    return;
  }
  if (flag)
    r->op = op == RPC_BOOT_LIST ? RPC_BOOT_LIST_EXPANDED
            : op == RPC_BOOT_RM ? RPC_BOOT_RM_ALL
                                : op;
  if (flag && op == RPC_BOOT_ADD && !r->n) {
    rpc_strv_free(r->args, r->n);
    if (!(r->args = tr_calloc(1, sizeof *r->args)) ||
        !(r->args[0] = tr_strdup("default"))) {
      boot_free(r);
      rpc_error(req, 500, "out of memory");
      return;
    }
    r->n = 1;
  }
  (void)rpc_job_run(req, ctx, boot_work, NULL, r, boot_free);
}

void rpc_cmd_bootstrap_list(http_req_t *req, rpc_ctx_t *ctx) {
  boot_run(req, ctx, RPC_BOOT_LIST);
}

void rpc_cmd_bootstrap_add(http_req_t *req, rpc_ctx_t *ctx) {
  boot_run(req, ctx, RPC_BOOT_ADD);
}

void rpc_cmd_bootstrap_add_default(http_req_t *req, rpc_ctx_t *ctx) {
  boot_req_t *r = tr_calloc(1, sizeof *r);
  if (!r || !(r->args = tr_calloc(1, sizeof *r->args)) ||
      !(r->args[0] = tr_strdup("default"))) {
    if (r)
      boot_free(r);
    rpc_error(req, 500, "out of memory");
    return;
  }
  r->n = 1;
  r->op = RPC_BOOT_ADD;
  (void)rpc_job_run(req, ctx, boot_work, NULL, r, boot_free);
}

void rpc_cmd_bootstrap_rm(http_req_t *req, rpc_ctx_t *ctx) {
  boot_run(req, ctx, RPC_BOOT_RM);
}

void rpc_cmd_bootstrap_rm_all(http_req_t *req, rpc_ctx_t *ctx) {
  boot_run(req, ctx, RPC_BOOT_RM_ALL);
}

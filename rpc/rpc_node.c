/*
 * rpc_node.c — /api/v0 commands about the node and its repo, with Kubo's
 * answers:
 *
 *   config arg=K [arg=V] bool= json=   {"Key","Value"}
 *   config/show           the config, without Identity.PrivKey
 *   config/profile/apply arg=NAME dry-run=  {"OldCfg","NewCfg"}
 *                         (config/profile.h's profiles)
 *   config/replace        a file part: the whole config (config_replace)
 *   (repo/gc lives in rpc_gc.c: it runs on a thread of its own; id in
 *   rpc_swarm.c: it asks the swarm)
 *   repo/stat size-only=  {"RepoSize","StorageMax","NumObjects","RepoPath",
 *                          "Version"} and trove's "DataSize","FileSize"
 *
 * Everything touching the repo or the config file runs as a pool job.  A
 * config change is written to <repo>/config and, as in Kubo, takes effect
 * when the daemon restarts.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../config/config.h"
#include "../config/profile.h"
#include "rpc_int.h"

/* -------------------------------------------------------------- config */

typedef struct cfg_req {
  char **args;
  size_t n;
  bool as_bool, as_json, show;
} cfg_req_t;

static void cfg_free(void *p) {
  cfg_req_t *r = p;
  rpc_strv_free(r->args, r->n);
  tr_free(r);
}

static void cfg_work(rpc_job_t *j) {
  cfg_req_t *r = j->state;
  json_t *cfg = NULL;
  int rc = config_load(j->ctx->repo, &cfg);
  if (rc) {
    rpc_job_fail(j, 500, "reading the config: %s", tr_strerror(rc));
    return;
  }
  if (r->show) {
    json_t *ident = json_object_get(cfg, "Identity");
    if (ident)
      json_object_del(ident, "PrivKey");
    j->json = cfg;
    return;
  }
  const char *key = r->args[0];
  if (r->n == 1) {
    json_t *v = config_get(cfg, key);
    if (!v)
      rpc_job_fail(j, 500, "failed to get config value: key has no "
                   "attributes: %s", key);
    else
      j->json = json_pack("{s:o,s:O}", "Key", rpc_json_str(key), "Value", v);
    json_decref(cfg);
    return;
  }
  /* Typed as the CLI types it (config_value): "0" for an integer
   * key is the integer 0, a wrong type is refused. */
  json_t *v;
  char err[512];
  rc = config_value(key, r->args[1],
                         r->as_json   ? CONFIG_JSON
                         : r->as_bool ? CONFIG_BOOLEAN
                                      : CONFIG_TEXT,
                         &v, err, sizeof err);
  if (rc) {
    rpc_job_fail(j, 500, "failed to set config value: %s",
                 rc == TR_EUSAGE ? err : tr_strerror(rc));
    json_decref(cfg);
    return;
  }
  json_t *answer = json_pack("{s:o,s:O}", "Key", rpc_json_str(key), "Value", v);
  rc = config_set(cfg, key, v); /* steals v */
  if (!rc)
    rc = config_save(j->ctx->repo, cfg);
  json_decref(cfg);
  if (rc) {
    json_decref(answer);
    rpc_job_fail(j, 500, "failed to set config value: %s", tr_strerror(rc));
    return;
  }
  j->json = answer;
}

void rpc_cmd_config(http_req_t *req, rpc_ctx_t *ctx) {
  cfg_req_t *r = tr_calloc(1, sizeof *r);
  if (!r) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  if (rpc_args(req, "arg", &r->args, &r->n) ||
      rpc_opt_bool(req, "bool", false, &r->as_bool) ||
      rpc_opt_bool(req, "json", false, &r->as_json)) {
    rpc_error(req, 400, "invalid argument");
    cfg_free(r);
    return;
  }
  if (r->n == 0 || r->n > 2) {
    rpc_error(req, 400, r->n ? "too many arguments"
                             : "argument \"key\" is required");
    cfg_free(r);
    return;
  }
  if (config_key_private(r->args[0])) {
    rpc_error(req, 500, CONFIG_PRIVKEY_MSG);
    cfg_free(r);
    return;
  }
  (void)rpc_job_run(req, ctx, cfg_work, NULL, r, cfg_free);
}

/* config/profile/apply arg=NAME dry-run=: Kubo's {"OldCfg","NewCfg"}, both
 * without Identity.PrivKey; the file is written unless dry-run. */
typedef struct prof_req {
  char *name;
  bool dry;
} prof_req_t;

static void prof_free(void *p) {
  prof_req_t *r = p;
  tr_free(r->name);
  tr_free(r);
}

static void prof_work(rpc_job_t *j) {
  prof_req_t *r = j->state;
  json_t *cfg = NULL, *cur = NULL;
  char err[512];
  int rc = config_load(j->ctx->repo, &cfg);
  if (rc) {
    rpc_job_fail(j, 500, "reading the config: %s", tr_strerror(rc));
    return;
  }
  if (!(cur = json_deep_copy(cfg)))
    rc = -ENOMEM;
  else if ((rc = config_profile_apply(cur, r->name, err, sizeof err)))
    ;
  else if (!r->dry)
    rc = config_save(j->ctx->repo, cur);
  if (rc) {
    rpc_job_fail(j, 500, "%s", rc == TR_EUSAGE ? err : tr_strerror(rc));
    json_decref(cfg);
    json_decref(cur);
    return;
  }
  json_object_del(json_object_get(cfg, "Identity"), "PrivKey");
  json_object_del(json_object_get(cur, "Identity"), "PrivKey");
  if (!(j->json = json_pack("{s:o,s:o}", "OldCfg", cfg, "NewCfg", cur)))
    rpc_job_fail(j, 500, "out of memory");
}

void rpc_cmd_config_profile_apply(http_req_t *req, rpc_ctx_t *ctx) {
  prof_req_t *r = tr_calloc(1, sizeof *r);
  char **args = NULL;
  size_t n = 0;
  if (!r) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  if (rpc_args(req, "arg", &args, &n) ||
      rpc_opt_bool(req, "dry-run", false, &r->dry)) {
    rpc_strv_free(args, n);
    prof_free(r);
    rpc_error(req, 400, "invalid argument");
    return;
  }
  if (n != 1) {
    rpc_strv_free(args, n);
    prof_free(r);
    rpc_error(req, 400, n ? "too many arguments"
                          : "argument \"profile\" is required");
    return;
  }
  r->name = args[0];
  args[0] = NULL;
  rpc_strv_free(args, n);
  (void)rpc_job_run(req, ctx, prof_work, NULL, r, prof_free);
}

void rpc_cmd_config_show(http_req_t *req, rpc_ctx_t *ctx) {
  cfg_req_t *r = tr_calloc(1, sizeof *r);
  if (!r) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  r->show = true;
  (void)rpc_job_run(req, ctx, cfg_work, NULL, r, cfg_free);
}

/* ---------------------------------------------------------------- repo */

static void stat_work(rpc_job_t *j) {
  bs_stat_t st;
  int rc = bs_stat(j->env, &st);
  if (rc) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  uint64_t max = CONFIG_STORAGE_MAX_DEFAULT;
  json_t *cfg;
  if (config_load(j->ctx->repo, &cfg) == 0) {
    max = config_storage_max(cfg);
    json_decref(cfg);
  }
  char ver[32];
  snprintf(ver, sizeof ver, "trove-repo@%d", BS_SCHEMA_VERSION);
  /* Kubo's fields, then trove's: DataSize is what the pages in use hold,
   * FileSize what data.mdb takes on disk (the rest is free space that
   * `trove repo compact` gives back). */
  j->json = json_pack("{s:I,s:I,s:I,s:o,s:s,s:I,s:I}", "RepoSize",
                      (json_int_t)st.repo_bytes, "StorageMax", (json_int_t)max,
                      "NumObjects", (json_int_t)(st.blocks + st.refs), "RepoPath",
                      rpc_json_str(j->ctx->repo), "Version", ver, "DataSize",
                      (json_int_t)st.data_bytes, "FileSize",
                      (json_int_t)st.file_bytes);
  if (!j->json)
    rpc_job_fail(j, 500, "out of memory");
}

void rpc_cmd_repo_stat(http_req_t *req, rpc_ctx_t *ctx) {
  (void)rpc_job_run(req, ctx, stat_work, NULL, NULL, NULL);
}

/* config/replace, a file part: Kubo's; the file is decoded on the loop
 * (it is capped), checked and saved by a pool job. */
#define RPC_CONFIG_MAX (4u << 20)

static void replace_free(void *p) { json_decref(p); }

static void replace_work(rpc_job_t *j) {
  json_t *cur = NULL;
  char err[512];
  int rc = config_load(j->ctx->repo, &cur);
  if (rc) {
    rpc_job_fail(j, 500, "reading the config: %s", tr_strerror(rc));
    return;
  }
  if ((rc = config_replace(cur, j->state, err, sizeof err)) ||
      (rc = config_save(j->ctx->repo, j->state)))
    rpc_job_fail(j, 500, "%s", rc == TR_ECONFIG ? err : tr_strerror(rc));
  json_decref(cur);
}

static void replace_read(http_req_t *req, const uint8_t *data, size_t n,
                         void *ud) {
  rpc_ctx_t *ctx = ud;
  json_t *next = NULL;
  if (!req)
    return;
  if (n > RPC_CONFIG_MAX)
    rpc_error(req, 413, "the config file is over %u bytes", RPC_CONFIG_MAX);
  else if (!(next = json_loadb((const char *)data, n, JSON_REJECT_DUPLICATES,
                               NULL)))
    rpc_error(req, 500, "failed to decode file as config");
  else
    (void)rpc_job_run(req, ctx, replace_work, NULL, next, replace_free);
}

void rpc_cmd_config_replace(http_req_t *req, rpc_ctx_t *ctx) {
  rpc_file_collect(req, "file", RPC_CONFIG_MAX, replace_read, ctx);
}

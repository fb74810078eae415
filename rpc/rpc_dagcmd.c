/*
 * rpc_dagcmd.c — /api/v0/dag/{get,resolve,put,stat} with Kubo's parameters
 * and answers (the work is dagcmd.c's):
 *
 *   dag/get      arg=<cid[/path]> output-codec=dag-json
 *                                    the node's bytes (X-Stream-Output)
 *   dag/resolve  arg=<cid[/path]>    {"Cid":{"/":cid},"RemPath":"/x"}
 *   dag/put      multipart, input-codec=dag-json store-codec=dag-cbor
 *                hash= pin= allow-big-block=
 *                                    {"Cid":{"/":cid}} per part (NDJSON)
 *   dag/stat     arg=<cid>... progress=true
 *                                    NDJSON: a partial line per root, then
 *                                    {"UniqueBlocks","TotalSize",
 *                                    "SharedSize","Ratio","DagStats"}
 *
 * get, resolve and stat run as pool jobs that fetch what the repo lacks
 * (stat the whole DAG first); put runs on the upload thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dagcmd.h"
#include "rpc_int.h"

#define SOFT_BLOCK_LIMIT (2u << 20)

/* ------------------------------------------------------ get and resolve */

typedef struct dg_req {
  char *arg;
  uint64_t codec;
  bool resolve;
} dg_req_t;

static void dg_free(void *p) {
  dg_req_t *d = p;
  tr_free(d->arg);
  tr_free(d);
}

static void dg_work(rpc_job_t *j) {
  dg_req_t *d = j->state;
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, BS_RDONLY, &txn);
  if (rc) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  j->txn = txn;
  char err[RPC_DAG_ERR_MAX], s[DAG_CID_STR_MAX];
  dag_cid_t cid;
  if (d->resolve) {
    char rem[4096];
    rc = rpc_dag_walk(d->arg, rpc_job_get, j, &cid, rem, sizeof rem, err);
    if (!rc)
      j->json = json_pack("{s:{s:s},s:s}", "Cid", "/", dag_cid_str(&cid, s),
                          "RemPath", rem);
  } else {
    rc = rpc_dag_get(d->arg, d->codec, rpc_job_get, j, &j->out, err);
    j->kind = RPC_STREAM;
    j->ctype = "text/plain";
  }
  j->txn = NULL;
  bs_txn_abort(txn);
  if (rc == TR_ENOTFOUND && !err[0])
    rpc_job_fail(j, 500, "block was not found locally (offline): ipld: "
                 "could not find %s", dag_cid_str(&j->missing, s));
  else if (rc)
    rpc_job_fail(j, rc == TR_ECID ? 400 : 500, "%s",
                 err[0] ? err : tr_strerror(rc));
}

static void dag_get_or_resolve(http_req_t *req, rpc_ctx_t *ctx, bool resolve) {
  dg_req_t *d = tr_calloc(1, sizeof *d);
  if (!d) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  d->resolve = resolve;
  d->codec = IPLD_CODEC_DAG_JSON;
  if (rpc_one_arg(req, resolve ? "ref" : "ref", &d->arg)) {
    dg_free(d);
    return;
  }
  char *codec = NULL;
  if (!resolve && rpc_opt_str(req, "output-codec", &codec)) {
    rpc_error(req, 400, "invalid option value");
    dg_free(d);
    return;
  }
  if (codec && *codec && !(d->codec = ipld_codec_code(codec))) {
    rpc_error(req, 500, "unknown multicodec: \"%s\"", codec);
    tr_free(codec);
    dg_free(d);
    return;
  }
  tr_free(codec);
  (void)rpc_job_run_fetch(req, ctx, dg_work, NULL, d, dg_free);
}

void rpc_cmd_dag_get(http_req_t *req, rpc_ctx_t *ctx) {
  dag_get_or_resolve(req, ctx, false);
}

void rpc_cmd_dag_resolve(http_req_t *req, rpc_ctx_t *ctx) {
  dag_get_or_resolve(req, ctx, true);
}

/* ------------------------------------------------------------------ stat */

typedef struct ds_req {
  char **args;
  size_t n;
  bool progress;
} ds_req_t;

static void ds_free(void *p) {
  ds_req_t *d = p;
  rpc_strv_free(d->args, d->n);
  tr_free(d);
}

static int stat_line(rpc_job_t *j, const rpc_dag_stat_t *st, bool partial) {
  char *s = rpc_dag_stat_dump(st, partial);
  int rc = s ? tr_bytes_append(&j->out, s, strlen(s)) : -ENOMEM;
  if (!rc)
    rc = tr_bytes_append(&j->out, "\n", 1);
  free(s);
  return rc;
}

static void ds_work(rpc_job_t *j) {
  ds_req_t *d = j->state;
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, BS_RDONLY, &txn);
  if (rc) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  j->txn = txn;
  rpc_dag_stat_t st = {0};
  j->kind = RPC_CHUNKED;
  for (size_t i = 0; i < d->n && !rc; i++) {
    dag_cid_t root, missing;
    char msg[700], s[DAG_CID_STR_MAX];
    if ((rc = rpc_job_resolve(j, txn, d->args[i], &root)))
      break;
    /* The whole DAG first (fetched when missing), then the sums. */
    if ((rc = rpc_job_dag_check(j, txn, &root, -1, 0))) {
      if (rc != TR_ENOTFOUND)
        rpc_job_fail(j, 500, "%s", tr_strerror(rc));
      break;
    }
    if ((rc = rpc_dag_stat_add(&st, txn, &root, NULL, NULL, &missing))) {
      rpc_job_fail(j, 500, "error traversing DAG: %s",
                   rc == TR_ENOTFOUND
                       ? rpc_errmsg(rc, dag_cid_str(&missing, s), msg,
                                    sizeof msg)
                       : tr_strerror(rc));
      break;
    }
    /* Kubo streams a line per block as it walks; the walk here ends
     * before the answer starts, so one line per root says the same. */
    if (d->progress && (rc = stat_line(j, &st, true)))
      rpc_job_fail(j, 500, "out of memory");
  }
  if (!rc && stat_line(j, &st, false))
    rpc_job_fail(j, 500, "out of memory");
  rpc_dag_stat_free(&st);
  j->txn = NULL;
  bs_txn_abort(txn);
}

void rpc_cmd_dag_stat(http_req_t *req, rpc_ctx_t *ctx) {
  ds_req_t *d = tr_calloc(1, sizeof *d);
  if (!d) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  if (rpc_args(req, "arg", &d->args, &d->n) ||
      rpc_opt_bool(req, "progress", true, &d->progress)) {
    rpc_error(req, 400, "invalid option value");
    ds_free(d);
    return;
  }
  if (!d->n) {
    rpc_error(req, 400, "argument \"root\" is required");
    ds_free(d);
    return;
  }
  (void)rpc_job_run_fetch(req, ctx, ds_work, NULL, d, ds_free);
}

/* ------------------------------------------------------------------- put */

typedef struct dp_req {
  uint64_t in, store, mh;
  bool pin, allow_big;
  tr_bytes_t buf, block;
} dp_req_t;

static void dp_free(void *p) {
  dp_req_t *r = p;
  tr_bytes_free(&r->buf);
  tr_bytes_free(&r->block);
  tr_free(r);
}

static int dp_part(rpc_up_t *u, const rpc_mp_part_t *part) {
  (void)part;
  dp_req_t *r = rpc_up_state(u);
  r->buf.len = 0;
  return 0;
}

static int dp_data(rpc_up_t *u, const uint8_t *p, size_t n) {
  dp_req_t *r = rpc_up_state(u);
  /* The input is bounded as the block it makes is (an encoding no more
   * than a few times smaller than its text). */
  if (r->buf.len + n > 4 * (size_t)BS_MAX_BLOCK)
    return rpc_up_fail(u, TR_ETOOBIG, 500, "input is over %u MiB",
                       4u * BS_MAX_BLOCK >> 20);
  if (tr_bytes_append(&r->buf, p, n))
    return rpc_up_fail(u, -ENOMEM, 500, "out of memory");
  return 0;
}

static int dp_part_end(rpc_up_t *u) {
  dp_req_t *r = rpc_up_state(u);
  char err[RPC_DAG_ERR_MAX], s[DAG_CID_STR_MAX];
  dag_cid_t cid;
  r->block.len = 0;
  int rc = rpc_dag_put(r->buf.data, r->buf.len, r->in, r->store, r->mh,
                       &r->block, &cid, err);
  if (rc)
    return rpc_up_fail(u, rc, 500, "%s", err[0] ? err : tr_strerror(rc));
  size_t max = r->allow_big ? BS_MAX_BLOCK : SOFT_BLOCK_LIMIT;
  if (r->block.len > max)
    return rpc_up_fail(u, TR_ETOOBIG, 500,
                       "produced block is over %s: big blocks can't be "
                       "exchanged with other peers. consider using UnixFS "
                       "for automatic chunking of bigger files, or pass "
                       "--allow-big-block to override",
                       r->allow_big ? "4MiB" : "2MiB");
  if ((rc = bs_put_one(rpc_up_env(u), &cid, r->block.data, r->block.len,
                       r->pin)))
    return rpc_up_fail(u, rc, 500, "%s", tr_strerror(rc));
  return rpc_up_emit(u, json_pack("{s:{s:s}}", "Cid", "/",
                                  dag_cid_str(&cid, s)));
}

static const rpc_up_cmd_t dp_cmd = {
    .part = dp_part,
    .data = dp_data,
    .part_end = dp_part_end,
    .free_state = dp_free,
};

void rpc_cmd_dag_put(http_req_t *req, rpc_ctx_t *ctx) {
  dp_req_t *r = tr_calloc(1, sizeof *r);
  char *in = NULL, *store = NULL, *hash = NULL;
  int rc = r ? 0 : -ENOMEM;
  if (!rc)
    rc = rpc_opt_str(req, "input-codec", &in);
  if (!rc)
    rc = rpc_opt_str(req, "store-codec", &store);
  if (!rc)
    rc = rpc_opt_str(req, "hash", &hash);
  if (!rc)
    rc = rpc_opt_bool(req, "pin", false, &r->pin);
  if (!rc)
    rc = rpc_opt_bool(req, "allow-big-block", false, &r->allow_big);
  if (rc) {
    rpc_error(req, rc == -ENOMEM ? 500 : 400, "invalid option: %s",
              tr_strerror(rc));
    goto fail;
  }
  r->in = in && *in ? ipld_codec_code(in) : IPLD_CODEC_DAG_JSON;
  r->store = store && *store ? ipld_codec_code(store) : IPLD_CODEC_DAG_CBOR;
  r->mh = DAG_MH_SHA2_256;
  if (!r->in || !r->store) {
    rpc_error(req, 500, "unknown multicodec: \"%s\"", !r->in ? in : store);
    goto fail;
  }
  if (hash && *hash && dag_mh_from_name(hash, &r->mh)) {
    rpc_error(req, 500, "unknown multicodec: \"%s\"", hash);
    goto fail;
  }
  tr_free(in);
  tr_free(store);
  tr_free(hash);
  rpc_upload(req, ctx, &dp_cmd, r);
  return;
fail:
  tr_free(in);
  tr_free(store);
  tr_free(hash);
  if (r)
    dp_free(r);
}

/*
 * rpc_block.c — /api/v0/block/{get,put,stat,rm}: raw block access with
 * Kubo's parameters and answers.
 *
 *   block/get  arg=<cid|path>          the block's bytes (X-Stream-Output)
 *   block/stat arg=<cid|path>          {"Key","Size"}
 *   block/put  multipart, cid-codec= mhtype= format= pin= allow-big-block=
 *                                      {"Key","Size"} per part
 *   block/rm   arg=<cid>... force= quiet=
 *                                      NDJSON {"Hash","Error"} per CID
 *
 * Reads and removals run as pool jobs; put runs on the upload thread
 * (rpc_upload.c) so that a block is hashed and written off the loop.
 * Blocks are refused over 2 MiB, bitswap's limit, unless allow-big-block
 * (then up to BS_MAX_BLOCK), as Kubo does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../dag/reader.h"
#include "rpc_int.h"

#define SOFT_BLOCK_LIMIT (2u << 20)

/* ------------------------------------------------------------ get/stat */

typedef struct blk_req {
  char *arg;
  bool stat;
} blk_req_t;

static void blk_free(void *p) {
  blk_req_t *b = p;
  tr_free(b->arg);
  tr_free(b);
}

static void get_work(rpc_job_t *j) {
  blk_req_t *b = j->state;
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, BS_RDONLY, &txn);
  if (rc) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  dag_cid_t cid;
  const uint8_t *data;
  size_t len;
  char msg[600], s[DAG_CID_STR_MAX];
  /* Rerun after a fetch: j->out starts empty again. */
  if (rpc_job_resolve(j, txn, b->arg, &cid) == 0) {
    rc = rpc_job_get(&cid, &data, &len, j);
    if (rc)
      rpc_job_fail(j, 500, "%s",
                   rpc_errmsg(rc, dag_cid_str(&cid, s), msg, sizeof msg));
    else if (b->stat)
      j->json = json_pack("{s:s,s:I}", "Key", dag_cid_str(&cid, s), "Size",
                          (json_int_t)len);
    else if (tr_bytes_append(&j->out, data, len))
      rpc_job_fail(j, 500, "out of memory");
  }
  bs_txn_abort(txn);
  if (!b->stat) {
    j->kind = RPC_STREAM;
    j->ctype = "text/plain";
  }
}

static void block_getstat(http_req_t *req, rpc_ctx_t *ctx, bool stat) {
  blk_req_t *b = tr_calloc(1, sizeof *b);
  if (!b) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  b->stat = stat;
  if (rpc_one_arg(req, stat ? "cid" : "cid", &b->arg)) {
    blk_free(b);
    return;
  }
  (void)rpc_job_run_fetch(req, ctx, get_work, NULL, b, blk_free);
}

void rpc_cmd_block_get(http_req_t *req, rpc_ctx_t *ctx) {
  block_getstat(req, ctx, false);
}

void rpc_cmd_block_stat(http_req_t *req, rpc_ctx_t *ctx) {
  block_getstat(req, ctx, true);
}

/* ------------------------------------------------------------------ rm */

typedef struct rm_req {
  char **args;
  size_t n;
  bool force, quiet;
} rm_req_t;

static void rm_free(void *p) {
  rm_req_t *r = p;
  rpc_strv_free(r->args, r->n);
  tr_free(r);
}

static void rm_work(rpc_job_t *j) {
  rm_req_t *r = j->state;
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, 0, &txn);
  if (rc) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  j->kind = RPC_CHUNKED;
  for (size_t i = 0; i < r->n && !rc; i++) {
    dag_cid_t cid;
    char err[700] = "", s[DAG_CID_STR_MAX], ps[DAG_CID_STR_MAX];
    const char *path;
    int e = rpc_parse_path(r->args[i], &cid, &path);
    if (e) {
      /* Kubo refuses the whole request for a bad CID. */
      rpc_job_fail(j, 400, "invalid content identifier \"%s\"", r->args[i]);
      rc = TR_ECID;
      break;
    }
    /* A path: the block at its end (never its root), as Kubo's. */
    if (*path && (e = rpc_resolve(txn, r->args[i], &cid))) {
      char msg[700];
      if (e == TR_EPATH)
        rpc_resolve_miss(r->args[i], bs_get_cb, txn, msg, sizeof msg);
      rpc_job_fail(j, 500, "%s", e == TR_EPATH ? msg
                                 : rpc_errmsg(e, r->args[i], msg, sizeof msg));
      rc = e;
      break;
    }
    bs_pin_t pin;
    e = bs_pin_get(txn, &cid, BS_PIN_ALL, &pin);
    if (e < 0) {
      rc = e;
      rpc_job_fail(j, 500, "%s", tr_strerror(e));
      break;
    }
    if (e == 1) {
      if (pin.type == BS_PIN_INDIRECT)
        snprintf(err, sizeof err, "pinned via %s", dag_cid_str(&pin.via, ps));
      else
        snprintf(err, sizeof err, "pinned: %s",
                 pin.type == BS_PIN_RECURSIVE ? "recursive" : "direct");
    } else if ((e = bs_del(txn, &cid)) == TR_ENOTFOUND) {
      if (!r->force)
        snprintf(err, sizeof err, "ipld: could not find %s",
                 dag_cid_str(&cid, s));
    } else if (e) {
      rc = e;
      rpc_job_fail(j, 500, "%s", tr_strerror(e));
      break;
    }
    if (r->quiet && !err[0])
      continue;
    json_t *o = err[0] ? json_pack("{s:s,s:s}", "Hash", dag_cid_str(&cid, s),
                                   "Error", err)
                       : json_pack("{s:s}", "Hash", dag_cid_str(&cid, s));
    if (rpc_job_line(j, o)) {
      rc = -ENOMEM;
      rpc_job_fail(j, 500, "out of memory");
    }
  }
  if (rc)
    bs_txn_abort(txn);
  else if ((rc = bs_txn_commit(txn)))
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
}

void rpc_cmd_block_rm(http_req_t *req, rpc_ctx_t *ctx) {
  rm_req_t *r = tr_calloc(1, sizeof *r);
  if (!r) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  if (rpc_args(req, "arg", &r->args, &r->n) ||
      rpc_opt_bool(req, "force", false, &r->force) ||
      rpc_opt_bool(req, "quiet", false, &r->quiet)) {
    rpc_error(req, 400, "invalid option value");
    rm_free(r);
    return;
  }
  if (!r->n) {
    rpc_error(req, 400, "argument \"cid\" is required");
    rm_free(r);
    return;
  }
  (void)rpc_job_run(req, ctx, rm_work, NULL, r, rm_free);
}

/* ----------------------------------------------------------------- put */

typedef struct put_req {
  int version;
  uint64_t codec, mh;
  bool pin, allow_big;
  tr_bytes_t buf;
  bool in_part;
} put_req_t;

static void put_free(void *p) {
  put_req_t *r = p;
  tr_bytes_free(&r->buf);
  tr_free(r);
}

static int put_part(rpc_up_t *u, const rpc_mp_part_t *part) {
  (void)part;
  put_req_t *r = rpc_up_state(u);
  r->buf.len = 0;
  r->in_part = true;
  return 0;
}

static int put_data(rpc_up_t *u, const uint8_t *p, size_t n) {
  put_req_t *r = rpc_up_state(u);
  size_t max = r->allow_big ? BS_MAX_BLOCK : SOFT_BLOCK_LIMIT;
  if (r->buf.len + n > max)
    return rpc_up_fail(u, TR_ETOOBIG, 500,
                       r->allow_big
                           ? "block is over the repo's limit of 4MiB"
                           : "produced block is over 2MiB: big blocks can't "
                             "be exchanged with other peers. consider using "
                             "UnixFS for automatic chunking of bigger files, "
                             "or pass --allow-big-block to override");
  if (tr_bytes_append(&r->buf, p, n))
    return rpc_up_fail(u, -ENOMEM, 500, "out of memory");
  return 0;
}

static int put_part_end(rpc_up_t *u) {
  put_req_t *r = rpc_up_state(u);
  dag_cid_t cid;
  r->in_part = false;
  int rc = dag_cid_sum(&cid, r->version, r->codec, r->mh, r->buf.data,
                       r->buf.len);
  if (rc)
    return rpc_up_fail(u, rc, 500, "%s", tr_strerror(rc));
  if ((rc = bs_put_one(rpc_up_env(u), &cid, r->buf.data, r->buf.len,
                       r->pin)))
    return rpc_up_fail(u, rc, 500, "%s", tr_strerror(rc));
  char s[DAG_CID_STR_MAX];
  return rpc_up_emit(u, json_pack("{s:s,s:I}", "Key", dag_cid_str(&cid, s),
                                  "Size", (json_int_t)r->buf.len));
}

static const rpc_up_cmd_t put_cmd = {
    .part = put_part,
    .data = put_data,
    .part_end = put_part_end,
    .free_state = put_free,
};

void rpc_cmd_block_put(http_req_t *req, rpc_ctx_t *ctx) {
  put_req_t *r = tr_calloc(1, sizeof *r);
  char *codec = NULL, *mh = NULL, *format = NULL;
  int rc = r ? 0 : -ENOMEM;
  if (!rc)
    rc = rpc_opt_str(req, "cid-codec", &codec);
  if (!rc)
    rc = rpc_opt_str(req, "mhtype", &mh);
  if (!rc)
    rc = rpc_opt_str(req, "format", &format);
  if (!rc)
    rc = rpc_opt_bool(req, "pin", false, &r->pin);
  if (!rc)
    rc = rpc_opt_bool(req, "allow-big-block", false, &r->allow_big);
  if (rc) {
    rpc_error(req, rc == -ENOMEM ? 500 : 400, "invalid option: %s",
              tr_strerror(rc));
    goto fail;
  }
  r->version = 1;
  r->codec = DAG_CODEC_RAW;
  r->mh = DAG_MH_SHA2_256;
  if (mh && dag_mh_from_name(mh, &r->mh)) {
    rpc_error(req, 500, "unrecognized multihash function: %s", mh);
    goto fail;
  }
  if (format && *format) {
    if (codec && *codec && strcmp(codec, "raw")) {
      rpc_error(req, 500, "unable to use \"format\" (deprecated) and a "
                "custom \"cid-codec\" at the same time");
      goto fail;
    }
    /* Kubo's legacy names: v0 is CIDv0 dag-pb; protobuf and cbor are v1. */
    if (!strcmp(format, "v0")) {
      r->version = 0;
      r->codec = DAG_CODEC_DAG_PB;
    } else if (!strcmp(format, "protobuf") || !strcmp(format, "dag-pb"))
      r->codec = DAG_CODEC_DAG_PB;
    else if (!strcmp(format, "cbor") || !strcmp(format, "dag-cbor"))
      r->codec = DAG_CODEC_DAG_CBOR;
    else if (strcmp(format, "raw")) {
      rpc_error(req, 500, "unrecognized format: %s", format);
      goto fail;
    }
    if (r->version == 0 && r->mh != DAG_MH_SHA2_256) {
      rpc_error(req, 500, "only sha2-256 is supported with CIDv0");
      goto fail;
    }
  } else if (codec && *codec && dag_codec_from_name(codec, &r->codec)) {
    rpc_error(req, 500, "unknown multicodec %s", codec);
    goto fail;
  }
  tr_free(codec);
  tr_free(mh);
  tr_free(format);
  rpc_upload(req, ctx, &put_cmd, r);
  return;
fail:
  tr_free(codec);
  tr_free(mh);
  tr_free(format);
  if (r)
    put_free(r);
}

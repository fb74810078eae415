/*
 * rpc_provide.c — /api/v0/routing/provide arg=CID... [recursive=true]:
 * announce on both DHTs that this node provides each CID (an ADD_PROVIDER
 * to each of the k peers closest to it); with recursive, every block of
 * each CID's DAG.  As Kubo's: every CID must be in the repo ("block CID
 * not found locally, cannot provide"), and so must every block of a DAG
 * provided recursively.  And Kubo 0.43's provide once (through the
 * provide queue, dht/provq.h) and provide clear.
 *
 * First a job on the pool checks the repo and gathers the keys (the DAG
 * walks, each block once).  A few keys (under PROVIDE_SWEEP_MIN) then go
 * one after the other, each a lookup of its k closest, then the
 * ADD_PROVIDERs, the record in the local store too (dht_provide).  More
 * go as one batch (dht/batch.h), the way Kubo 0.39+'s sweep provider
 * takes them: the regions of the keyspace that hold them explored, a few
 * lookups a region whatever its number of keys, then each key's records
 * to the k closest of the peers found.
 *
 * The answer ends with an error line when no DHT knows a peer ("failed to
 * find any peer in table", as Kubo), or, in a batch, when neither DHT
 * could reach the peers of some keys' regions.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../dag/cid.h"
#include "../dag/multihash.h"
#include "../dht/provq.h"
#include "rpc_rop.h"

/* Distinct keys from which a provide goes as a batch: below, the sweep's
 * estimation lookup (one per DHT) costs more than it saves. */
#define PROVIDE_SWEEP_MIN 8
/* Keys one provide gathers at most (101 bytes each: ~100 MiB): a DAG
 * larger than that is the reprovider's (Provide.Strategy all or pinned). */
#define PROVIDE_KEYS_MAX (1u << 20)
/* Blocks a walk reads in one read transaction. */
#define PROVIDE_TXN_BLOCKS 65536
/* A batch's deadline: its lookups each end by themselves; this only
 * bounds a network that keeps answering slowly. */
#define PROVIDE_BATCH_MS (3600u * 1000)

/* --------------------------------------------------- one after another */

/* complete() comes back here after each key's lookups on both DHTs. */
static void provide_next(rop_t *r) {
  if (r->ended)
    return;
  if (r->next_key == r->nkeys) {
    rpc__rop_end(r, r->reached ? NULL : "failed to find any peer in table");
    return;
  }
  const dht_sweep_hkey_t *k = &r->keys[r->next_key++];
  if (!rpc__rop_run(r, k->mh, k->len))
    rpc__rop_end(r, "failed to find any peer in table");
}

/* ---------------------------------------------------------- as a batch */

static bool batch_here(void *ud, int i) { return rpc__side_here(ud, i); }

static void batch_done(void *ud, const dht_batch_result_t *res) {
  rop_t *r = ud;
  r->batch = NULL;
  if (!res->provided) {
    rpc__rop_end(r, "failed to find any peer in table");
  } else if (res->provided < res->keys) {
    char msg[160];
    snprintf(msg, sizeof msg,
             "failed to provide %zu of %zu keys: no peer reached in their "
             "part of the keyspace",
             res->keys - res->provided, res->keys);
    rpc__rop_end(r, msg);
  } else {
    rpc__rop_end(r, NULL);
  }
}

/* ------------------------------------------------------ gathering keys */

typedef struct pjob {
  char **args;
  size_t nargs;
  bool recursive;
  bool once; /* provide once: a {"Queued": CID} line for each */
  dht_sweep_hkey_t *keys;
  size_t n, cap;
  tr_fpset_t seen; /* each block once, across arguments and DAGs */
  bs_walk_t *walk; /* one for all roots: a shared subtree is walked once */
} pjob_t;

static void pjob_free(void *state) {
  pjob_t *p = state;
  rpc_strv_free(p->args, p->nargs);
  tr_free(p->keys);
  tr_fpset_free(&p->seen);
  bs_walk_free(p->walk);
  tr_free(p);
}

/* Keep cid's multihash, once (Kubo's provide once dedups the same way).
 * Identity CIDs are skipped (their bytes are the CID: nobody looks them
 * up), and so are multihashes a batch cannot hold (over
 * DHT_SWEEP_HKEY_MH bytes: a blake3 output longer than 64 bytes). */
static int keep(rpc_job_t *j, pjob_t *p, const dag_cid_t *cid) {
  size_t mhl;
  const uint8_t *mh = dag_cid_mh(cid, &mhl);
  if (!mhl || mhl > DHT_SWEEP_HKEY_MH || cid->mh_code == DAG_MH_IDENTITY)
    return 0;
  int fresh = tr_fpset_add(&p->seen, dag_cid_fp(cid));
  if (fresh < 0) {
    rpc_job_fail(j, 500, "out of memory");
    return fresh;
  }
  if (!fresh)
    return 0; /* an argument again, or a block two DAGs share */
  if (p->n == p->cap) {
    if (p->cap == PROVIDE_KEYS_MAX) {
      rpc_job_fail(j, 500,
                   "more than %u blocks to provide at once: let the "
                   "reprovider announce them (Provide.Strategy)",
                   PROVIDE_KEYS_MAX);
      return TR_ETOOBIG;
    }
    size_t cap = p->cap ? p->cap * 2 : 64;
    if (cap > PROVIDE_KEYS_MAX)
      cap = PROVIDE_KEYS_MAX;
    dht_sweep_hkey_t *v = tr_realloc(p->keys, cap * sizeof *v);
    if (!v) {
      rpc_job_fail(j, 500, "out of memory");
      return -ENOMEM;
    }
    p->keys = v, p->cap = cap;
  }
  p->keys[p->n].len = (uint8_t)mhl;
  memcpy(p->keys[p->n++].mh, mh, mhl);
  if (p->once) {
    char s[DAG_CID_STR_MAX];
    if (rpc_job_line(j, json_pack("{s:s}", "Queued", dag_cid_str(cid, s)))) {
      rpc_job_fail(j, 500, "out of memory");
      return -ENOMEM;
    }
  }
  return 0;
}

static void not_local(rpc_job_t *j, const dag_cid_t *cid) {
  char s[DAG_CID_STR_MAX];
  rpc_job_fail(j, 500, "block %s not found locally, cannot provide",
               dag_cid_str(cid, s));
}

/* Every block of root's DAG not seen under an earlier root, each once, in
 * read transactions of PROVIDE_TXN_BLOCKS blocks (*txn is renewed). */
static int walk(rpc_job_t *j, pjob_t *p, bs_txn_t **txn,
                const dag_cid_t *root) {
  int rc;
  if (p->walk)
    bs_walk_restart(p->walk, root);
  else if ((rc = bs_walk_new(root, BS_WALK_UNIQUE, -1, &p->walk))) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return rc;
  }
  dag_cid_t cid;
  for (size_t seen = 1;; seen++) {
    rc = bs_walk_next(p->walk, *txn, &cid, NULL, NULL);
    if (rc == 1)
      rc = keep(j, p, &cid);
    else if (rc == TR_ENOTFOUND)
      not_local(j, &cid);
    else if (rc < 0)
      rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    else
      break; /* the walk is over */
    if (rc)
      break;
    if (seen % PROVIDE_TXN_BLOCKS == 0) {
      bs_txn_abort(*txn);
      if ((rc = bs_txn_begin(j->env, BS_RDONLY, txn))) {
        *txn = NULL;
        rpc_job_fail(j, 500, "%s", tr_strerror(rc));
        break;
      }
    }
  }
  return rc;
}

/* On the pool: each CID must be local; its key, or its DAG's keys. */
static void gather(rpc_job_t *j) {
  pjob_t *p = j->state;
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, BS_RDONLY, &txn);
  if (rc) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  for (size_t i = 0; i < p->nargs && !rc; i++) {
    dag_cid_t cid;
    const char *path;
    if (rpc_parse_path(p->args[i], &cid, &path)) {
      rpc_job_fail(j, 500, "invalid cid: %s", p->args[i]);
      break;
    }
    rc = bs_has(txn, &cid);
    if (rc < 0) {
      rpc_job_fail(j, 500, "%s", tr_strerror(rc));
      break;
    }
    if (!rc) {
      not_local(j, &cid);
      rc = TR_ENOTFOUND;
      break;
    }
    rc = p->recursive ? walk(j, p, &txn, &cid) : keep(j, p, &cid);
  }
  if (txn)
    bs_txn_abort(txn);
}

/* gather for provide once: its answer is NDJSON lines. */
static void gather_once(rpc_job_t *j) {
  j->kind = RPC_CHUNKED;
  gather(j);
}

/* On the loop: announce what gather found. */
static void gathered(rpc_job_t *j) {
  pjob_t *p = j->state;
  http_req_t *req = j->req;
  rpc_ctx_t *ctx = j->ctx;
  dht_sweep_hkey_t *keys = p->keys;
  size_t n = p->n;
  p->keys = NULL;
  rpc_job_handoff(j);
  rop_t *r = rpc__rop_new(req, ctx, R_PROVIDE);
  if (!r) {
    tr_free(keys);
    return;
  }
  /* Distinct already (keep); a batch sorts them by SHA-256 itself. */
  r->keys = keys;
  r->nkeys = n;
  if (!n) { /* identity CIDs alone: nothing to announce */
    rpc__rop_end(r, NULL);
    return;
  }
  if (n < PROVIDE_SWEEP_MIN) {
    r->finish = provide_next;
    provide_next(r);
    return;
  }
  dht_swarm_t *sw[2] = {r->side[0].sw, r->side[1].sw};
  int rc = dht_batch_new(ctx->loop, sw, keys, n, batch_here, batch_done, r,
                         &r->batch);
  if (rc) {
    rpc__rop_end(r, rc == -ENETUNREACH ? "failed to find any peer in table"
                                       : tr_strerror(rc));
    return;
  }
  r->keys = NULL; /* the batch's now */
  rpc__rop_deadline(r, PROVIDE_BATCH_MS);
}

/* ----------------------------------------------------------- commands */

/* The arguments of routing provide and provide once; NULL when answered
 * (an error). */
static pjob_t *pjob_new(http_req_t *req) {
  pjob_t *p = tr_calloc(1, sizeof *p);
  if (!p) {
    rpc_error(req, 500, "out of memory");
    return NULL;
  }
  int rc = rpc_args(req, "arg", &p->args, &p->nargs);
  if (!rc)
    rc = rpc_opt_bool(req, "recursive", false, &p->recursive);
  if (rc) {
    rpc_error(req, 400, "invalid argument: %s", tr_strerror(rc));
    pjob_free(p);
    return NULL;
  }
  if (!p->nargs) {
    rpc_error(req, 400, "argument \"key\" is required");
    pjob_free(p);
    return NULL;
  }
  for (size_t i = 0; i < p->nargs; i++) {
    dag_cid_t cid;
    const char *path;
    if (rpc_parse_path(p->args[i], &cid, &path)) {
      rpc_error(req, 500, "invalid cid: %s", p->args[i]);
      pjob_free(p);
      return NULL;
    }
  }
  return p;
}

void rpc_cmd_routing_provide(http_req_t *req, rpc_ctx_t *ctx) {
  if (!rpc__rop_can(req, ctx))
    return;
  if (ctx->provide_off) {
    rpc_error(req, 500, "invalid configuration: Provide.Enabled is set to "
              "'false'");
    return;
  }
  pjob_t *p = pjob_new(req);
  if (p)
    (void)rpc_job_run(req, ctx, gather, gathered, p, pjob_free);
}

/* provide once, on the loop: the keys to the provide queue, as a batch of
 * their own; the answer is the lines gather wrote. */
static void queued(rpc_job_t *j) {
  pjob_t *p = j->state;
  if (!j->ctx->provq) { /* the node stopped meanwhile */
    rpc_job_fail(j, 500, "this command must be run in online mode");
  } else if (p->n) {
    int rc = dht_provq_push_many(j->ctx->provq, p->keys, p->n);
    if (rc)
      rpc_job_fail(j, 500, "cannot provide: %s",
                   rc == TR_ELIMIT ? "the provide queue is full"
                                   : tr_strerror(rc));
    else
      p->keys = NULL;
  }
  rpc_job_answer(j);
}

/* Whether some DHT knows a peer. */
static bool dht_peers(const rpc_ctx_t *ctx) {
  return (ctx->dht_lan && dht_rt_size(dht_swarm_dht(ctx->dht_lan))) ||
         (ctx->dht_wan && dht_rt_size(dht_swarm_dht(ctx->dht_wan)));
}

void rpc_cmd_provide_once(http_req_t *req, rpc_ctx_t *ctx) {
  if (!ctx->provq) {
    rpc_error(req, 500, "this command must be run in online mode");
    return;
  }
  if (ctx->provide_off) {
    rpc_error(req, 500, "cannot provide: Provide.Enabled is false");
    return;
  }
  if (!dht_peers(ctx)) {
    rpc_error(req, 500, "cannot provide: no connected peers");
    return;
  }
  pjob_t *p = pjob_new(req);
  if (!p)
    return;
  p->once = true;
  (void)rpc_job_run(req, ctx, gather_once, queued, p, pjob_free);
}

void rpc_cmd_provide_clear(http_req_t *req, rpc_ctx_t *ctx) {
  bool quiet;
  if (rpc_opt_bool(req, "quiet", false, &quiet)) {
    rpc_error(req, 400, "invalid argument: quiet");
    return;
  }
  size_t n = ctx->provq ? dht_provq_clear(ctx->provq) : 0;
  if (quiet) {
    rpc_start(req, RPC_SINGLE, NULL, 0, -1);
    http_res_end(req);
    return;
  }
  rpc_api_json(req, json_integer((json_int_t)n));
}

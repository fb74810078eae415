/*
 * rpc_resolve.c — /api/v0/resolve, as Kubo answers it:
 *
 *   resolve arg=<path> recursive=true      {"Path":"/ipfs/<cid>"}
 *
 * An /ipfs/ path (or a bare CID[/path]) is walked to the CID of its last
 * node, fetching what the repo lacks as cat does (IPFS Cluster's ipfshttp
 * connector resolves every pin path longer than /ipfs/CID this way before
 * pinning).  An /ipns/NAME is name/resolve's job and gets its answer, which
 * has the same shape.  Not done: a path below an IPNS name (/ipns/NAME/a),
 * which would chain a DHT lookup into a DAG walk, and keeping the input's
 * multibase - the CID comes back in trove's default (base32 for CIDv1, as
 * Kubo gives for a base32 input, which is what every client sends).
 */
#include <string.h>

#include "rpc_int.h"

typedef struct res_req {
  char *arg;
} res_req_t;

static void res_free(void *p) {
  res_req_t *r = p;
  tr_free(r->arg);
  tr_free(r);
}

static void res_work(rpc_job_t *j) {
  res_req_t *r = j->state;
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, BS_RDONLY, &txn);
  if (rc) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  dag_cid_t cid;
  rc = rpc_job_resolve(j, txn, r->arg, &cid);
  bs_txn_abort(txn);
  if (rc)
    return; /* rpc_job_resolve() recorded Kubo's message */
  char s[DAG_CID_STR_MAX], path[DAG_CID_STR_MAX + 8];
  snprintf(path, sizeof path, "/ipfs/%s", dag_cid_str(&cid, s));
  j->json = json_pack("{s:s}", "Path", path);
  if (!j->json)
    rpc_job_fail(j, 500, "out of memory");
}

void rpc_cmd_resolve(http_req_t *req, rpc_ctx_t *ctx) {
  char *arg;
  bool recursive;
  if (rpc_opt_bool(req, "recursive", true, &recursive)) {
    rpc_error(req, 400, "invalid recursive");
    return;
  }
  if (rpc_one_arg(req, "name", &arg))
    return;
  int ns;
  const char *rest = dag_path_rest(arg, &ns);
  if (ns == DAG_NS_IPNS) {
    bool sub = strchr(rest, '/') != NULL;
    tr_free(arg);
    if (sub)
      rpc_error(req, 500, "resolving a path below an IPNS name is not "
                "supported by trove");
    else
      rpc_cmd_name_resolve(req, ctx); /* reads the same arg= and recursive= */
    return;
  }
  res_req_t *r = tr_calloc(1, sizeof *r);
  if (!r) {
    tr_free(arg);
    rpc_error(req, 500, "out of memory");
    return;
  }
  r->arg = arg;
  (void)rpc_job_run_fetch(req, ctx, res_work, NULL, r, res_free);
}

/*
 * rpc_provide.c — /api/v0/routing/provide arg=CID...: announce on both
 * DHTs that this node provides each CID (an ADD_PROVIDER to each of the
 * k peers closest to it, and the record in the local store).
 *
 * A few CIDs (under PROVIDE_SWEEP_MIN distinct ones) go one after the
 * other, each a lookup of its k closest, then the ADD_PROVIDERs
 * (dht_provide).  More go as one batch (dht/batch.h), the way Kubo
 * 0.39+'s sweep provider takes them: the regions of the keyspace that
 * hold them explored, a few lookups a region whatever its number of
 * CIDs, then each CID's records to the k closest of the peers found.
 *
 * The answer ends with an error line when no DHT knows a peer ("failed to
 * find any peer in table", as Kubo), or, the sweep's way, when neither
 * DHT could reach the peers of some CIDs' regions.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../dag/cid.h"
#include "rpc_rop.h"

/* Distinct CIDs from which a provide goes the sweep's way: below, the
 * sweep's estimation lookup (one per DHT) costs more than it saves. */
#define PROVIDE_SWEEP_MIN 8

/* --------------------------------------------------- one after another */

/* complete() comes back here after each key's lookups on both DHTs. */
static void provide_next(rop_t *r) {
  if (r->ended)
    return;
  if (r->next_arg == r->nargs) {
    rpc__rop_end(r, r->reached ? NULL : "failed to find any peer in table");
    return;
  }
  dag_cid_t cid;
  const char *path;
  if (rpc_parse_path(r->args[r->next_arg++], &cid, &path)) {
    rpc__rop_end(r, "invalid cid");
    return;
  }
  if (!rpc__rop_run(r, cid.bytes + cid.mh_off, cid.len - cid.mh_off))
    rpc__rop_end(r, "failed to find any peer in table");
}

/* ---------------------------------------------------- the sweep's way */

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

/* args' multihashes, for dht_batch_new: NULL when out of memory. */
static dht_sweep_hkey_t *batch_keys(char **args, size_t n, size_t *m) {
  dht_sweep_hkey_t *v = tr_malloc(n * sizeof *v);
  *m = 0;
  for (size_t i = 0; v && i < n; i++) {
    dag_cid_t cid;
    const char *path;
    if (rpc_parse_path(args[i], &cid, &path))
      continue; /* checked before */
    size_t mhl = (size_t)(cid.len - cid.mh_off);
    if (!mhl || mhl > DHT_SWEEP_MH_MAX)
      continue;
    dht_sweep_key_t *k = &v[(*m)++].k;
    k->len = (uint8_t)mhl;
    memcpy(k->mh, cid.bytes + cid.mh_off, mhl);
  }
  return v;
}

/* ----------------------------------------------------------- command */

void rpc_cmd_routing_provide(http_req_t *req, rpc_ctx_t *ctx) {
  char **args;
  size_t n;
  int rc = rpc_args(req, "arg", &args, &n);
  if (rc) {
    rpc_error(req, 500, "%s", tr_strerror(rc));
    return;
  }
  if (!n) {
    rpc_error(req, 400, "argument \"key\" is required");
    return;
  }
  for (size_t i = 0; i < n; i++) {
    dag_cid_t cid;
    const char *path;
    if (rpc_parse_path(args[i], &cid, &path)) {
      rpc_error(req, 500, "invalid cid: %s", args[i]);
      rpc_strv_free(args, n);
      return;
    }
  }
  rop_t *r = rpc__rop_new(req, ctx, R_PROVIDE);
  if (!r) {
    rpc_strv_free(args, n);
    return;
  }
  r->args = args;
  r->nargs = n;
  size_t m;
  dht_sweep_hkey_t *keys = batch_keys(args, n, &m);
  if (!keys) {
    rpc__rop_end(r, "out of memory");
    return;
  }
  m = dht_sweep_hkeys_sort(keys, m);
  if (m >= PROVIDE_SWEEP_MIN) {
    dht_swarm_t *sw[2] = {r->side[0].sw, r->side[1].sw};
    rc = dht_batch_new(ctx->loop, sw, keys, m, batch_here, batch_done, r,
                       &r->batch);
    if (rc) {
      tr_free(keys);
      rpc__rop_end(r, rc == -ENETUNREACH ? "failed to find any peer in table"
                                         : tr_strerror(rc));
    }
    return;
  }
  tr_free(keys);
  r->finish = provide_next;
  provide_next(r);
}

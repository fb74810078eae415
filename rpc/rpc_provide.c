/*
 * rpc_provide.c — /api/v0/routing/provide arg=CID...: announce on both
 * DHTs that this node provides each CID (an ADD_PROVIDER to each of the
 * k peers closest to it, and the record in the local store).
 *
 * A few CIDs (under PROVIDE_SWEEP_MIN distinct ones) go one after the
 * other, each a lookup of its k closest, then the ADD_PROVIDERs
 * (dht_provide).  More go the way Kubo 0.39+'s sweep provider takes them
 * (its ProvideOnce): a one-shot sweep (dht/sweep.h, opts.once) explores
 * the regions of the keyspace that hold them, a few lookups a region,
 * and sends each CID's records to the k closest among the peers found.
 * Per CID, a lookup costs the network ~20 FIND_NODEs, each of which
 * makes a server search its table and answer with 20 peers; a region's
 * exploration costs a few lookups whatever its number of CIDs.
 *
 * The answer ends with an error line when no DHT knows a peer ("failed to
 * find any peer in table", as Kubo), or, the sweep's way, when neither
 * DHT could reach the peers of some CIDs' regions.
 */
#include <stdio.h>
#include <string.h>

#include "../dag/cid.h"
#include "rpc_rop.h"

/* Distinct CIDs from which a provide goes the sweep's way: below, the
 * sweep's estimation lookup (one per DHT) costs more than it saves. */
#define PROVIDE_SWEEP_MIN 8
/* Regions explored at once, and keys a region's page holds: a command's
 * keys fit in few pages (its URL holds a few hundred CIDs), and in a large
 * network each is in a region of its own, explored by one lookup. */
#define PROVIDE_SWEEP_CONCURRENCY 16
#define PROVIDE_SWEEP_PAGE 64

struct rpc_pkey {
  uint8_t h[32]; /* SHA-256 of the multihash: the DHT's keyspace */
  dht_sweep_key_t k;
};

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

static bool in_region(const uint8_t h[32], const uint8_t prefix[32],
                      unsigned bits) {
  for (unsigned i = 0; i < bits; i++) {
    uint8_t m = (uint8_t)(0x80 >> (i % 8));
    if ((h[i / 8] & m) != (prefix[i / 8] & m))
      return false;
  }
  return true;
}

/* dht_sweep_keys_fn over r->pkeys (sorted, distinct). */
static int sweep_keys(void *ud, const uint8_t prefix[32], unsigned bits,
                      const uint8_t *after, dht_sweep_key_t *out,
                      size_t max) {
  const rop_t *r = ((const side_t *)ud)->r;
  uint8_t from[32] = {0};
  for (unsigned i = 0; i < bits; i++)
    from[i / 8] = (uint8_t)(from[i / 8] | (prefix[i / 8] & (0x80u >> (i % 8))));
  /* The first key past after, or at or past the region's first point. */
  size_t lo = 0, hi = r->npkeys;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = memcmp(r->pkeys[mid].h, after ? after : from, 32);
    if (after ? c <= 0 : c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t n = 0;
  for (size_t i = lo; i < r->npkeys && n < max; i++) {
    if (!in_region(r->pkeys[i].h, prefix, bits))
      break;
    out[n++] = r->pkeys[i].k;
  }
  return (int)n;
}

static void prov_tick(uv_timer_t *t);

/* The timer at the earliest a sweep wants a tick, or the deadline. */
static void prov_arm(rop_t *r) {
  uint64_t now = uv_now(r->ctx->loop);
  uint64_t in = r->deadline > now ? r->deadline - now : 0;
  for (int i = 0; i < 2; i++) {
    const side_t *sd = &r->side[i];
    if (!sd->sweep || !rpc__side_here(sd))
      continue;
    uint64_t snow = dht_swarm_now(sd->sw);
    uint64_t d = sd->over || sd->at <= snow ? 0 : sd->at - snow;
    if (d < in)
      in = d;
  }
  uv_timer_start(&r->timer, prov_tick, in, 0);
}

static void sweep_wake(void *ud, uint64_t at) {
  side_t *sd = ud;
  if (at < sd->at) {
    sd->at = at;
    prov_arm(sd->r);
  }
}

/* The sweep is over (called inside it): freed from the timer. */
static void sweep_done(void *ud) {
  side_t *sd = ud;
  sd->over = true;
  uv_timer_start(&sd->r->timer, prov_tick, 0, 0);
}

/* A side whose sweep is over: what it provided counts, then it goes. */
static void side_end(side_t *sd) {
  dht_sweep_stats_t st;
  dht_sweep_stats(sd->sweep, &st);
  if (st.cycles && st.cycle_keys > sd->r->reached)
    sd->r->reached = (size_t)st.cycle_keys;
  rpc__side_sweep_free(sd);
}

static void prov_tick(uv_timer_t *t) {
  rop_t *r = t->data;
  if (r->ended)
    return;
  if (uv_now(r->ctx->loop) >= r->deadline) {
    rpc__rop_end(r, "context deadline exceeded");
    return;
  }
  for (int i = 0; i < 2; i++) {
    side_t *sd = &r->side[i];
    if (!sd->sweep)
      continue;
    if (!rpc__side_here(sd)) { /* the node is stopping */
      rpc__side_sweep_free(sd);
      continue;
    }
    if (!sd->over)
      sd->at = dht_sweep_tick(sd->sweep, dht_swarm_now(sd->sw));
    if (sd->over)
      side_end(sd);
  }
  if (r->side[0].sweep || r->side[1].sweep) {
    prov_arm(r);
    return;
  }
  if (!r->reached) {
    rpc__rop_end(r, "failed to find any peer in table");
  } else if (r->reached < r->npkeys) {
    char msg[160];
    snprintf(msg, sizeof msg,
             "failed to provide %zu of %zu keys: no peer reached in their "
             "part of the keyspace",
             r->npkeys - r->reached, r->npkeys);
    rpc__rop_end(r, msg);
  } else {
    rpc__rop_end(r, NULL);
  }
}

static int pkey_cmp(const void *a, const void *b) {
  return memcmp(((const struct rpc_pkey *)a)->h,
                ((const struct rpc_pkey *)b)->h, 32);
}

/* args' multihashes into r->pkeys, sorted, each once. */
static int pkeys_load(rop_t *r, char **args, size_t n) {
  r->pkeys = tr_malloc(n * sizeof *r->pkeys);
  if (!r->pkeys)
    return -1;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    dag_cid_t cid;
    const char *path;
    if (rpc_parse_path(args[i], &cid, &path))
      continue; /* checked before */
    size_t mhl = (size_t)(cid.len - cid.mh_off);
    if (!mhl || mhl > DHT_SWEEP_MH_MAX)
      continue;
    struct rpc_pkey *k = &r->pkeys[m++];
    k->k.len = (uint8_t)mhl;
    memcpy(k->k.mh, cid.bytes + cid.mh_off, mhl);
    dht_key(k->k.mh, mhl, k->h);
  }
  qsort(r->pkeys, m, sizeof *r->pkeys, pkey_cmp);
  size_t w = 0;
  for (size_t i = 0; i < m; i++)
    if (!w || memcmp(r->pkeys[i].h, r->pkeys[w - 1].h, 32))
      r->pkeys[w++] = r->pkeys[i];
  r->npkeys = w;
  return 0;
}

/* A one-shot sweep on every DHT that knows a peer; false when none does
 * or none could start (nothing running then). */
static bool sweep_start(rop_t *r) {
  bool any = false;
  for (int i = 0; i < 2; i++) {
    side_t *sd = &r->side[i];
    if (!sd->sw || !dht_rt_size(dht_swarm_dht(sd->sw)))
      continue;
    dht_t *d = dht_swarm_dht(sd->sw);
    uint64_t now = dht_swarm_now(sd->sw);
    for (size_t j = 0; j < r->npkeys; j++)
      if (dht_provide_local(d, r->pkeys[j].k.mh, r->pkeys[j].k.len, now))
        break; /* the local store is full: the network's records matter */
    dht_sweep_opts_t o = {.keys = sweep_keys,
                          .wake = sweep_wake,
                          .done = sweep_done,
                          .ud = sd,
                          .once = true,
                          .concurrency = PROVIDE_SWEEP_CONCURRENCY,
                          .page = PROVIDE_SWEEP_PAGE,
                          .pace_ms = UINT32_MAX};
    if (dht_sweep_new(d, &o, &sd->sweep))
      continue;
    sd->live = true;
    sd->over = false;
    sd->at = now;
    any = true;
  }
  if (any) {
    r->deadline = uv_now(r->ctx->loop) + ROUTING_MS;
    uv_timer_start(&r->timer, prov_tick, 0, 0);
  }
  return any;
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
  if (pkeys_load(r, args, n)) {
    rpc__rop_end(r, "out of memory");
    return;
  }
  if (r->npkeys >= PROVIDE_SWEEP_MIN) {
    if (!sweep_start(r))
      rpc__rop_end(r, "failed to find any peer in table");
    return;
  }
  r->finish = provide_next;
  provide_next(r);
}

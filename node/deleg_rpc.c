/*
 * deleg_rpc.c — the delegated routers (delegated.h) as the RPC API's
 * rpc_router_t (rpc/rpc.h), so that `trove routing findprovs|findpeer|get`
 * and `name resolve` ask them beside the DHTs.  rpc/ sits below node/ and
 * cannot name node_deleg_*: each lookup gets a small wrapper that carries
 * the API's callbacks over the delegated ones.
 */
#include <errno.h>

#include "../rpc/rpc.h"
#include "delegated.h"

typedef struct wrap {
  const rpc_router_cbs_t *cbs;
  void *ud;
  node_dlook_t *l;
} wrap_t;

static void w_peer(void *ud, const dht_peer_t *p) {
  wrap_t *w = ud;
  /* It may cancel (and free w): nothing of w after. */
  if (w->cbs->on_peer)
    w->cbs->on_peer(w->ud, p);
}

static void w_done(void *ud, int status, const uint8_t *val, size_t vl) {
  wrap_t *w = ud;
  const rpc_router_cbs_t *cbs = w->cbs;
  void *cud = w->ud;
  tr_free(w); /* the lookup is over: no cancel can come for it now */
  if (cbs->on_done)
    cbs->on_done(cud, status, val, vl);
}

static const node_deleg_cbs_t WCBS = {w_peer, w_done};

static wrap_t *wrap_new(const rpc_router_cbs_t *cbs, void *ud) {
  wrap_t *w = tr_calloc(1, sizeof *w);
  if (w)
    w->cbs = cbs, w->ud = ud;
  return w;
}

static int started(wrap_t *w, int rc, void **lookup) {
  if (rc) {
    tr_free(w);
    return rc;
  }
  *lookup = w;
  return 0;
}

static int r_find_providers(void *ud, const uint8_t *mh, size_t mhl,
                            size_t max, const rpc_router_cbs_t *cbs,
                            void *cb_ud, void **lookup) {
  wrap_t *w = wrap_new(cbs, cb_ud);
  if (!w)
    return -ENOMEM;
  return started(w, node_deleg_find_providers(ud, mh, mhl, max, &WCBS, w,
                                              &w->l),
                 lookup);
}

static int r_find_peer(void *ud, const struct net_peerid *id,
                       const rpc_router_cbs_t *cbs, void *cb_ud,
                       void **lookup) {
  wrap_t *w = wrap_new(cbs, cb_ud);
  if (!w)
    return -ENOMEM;
  return started(w, node_deleg_find_peer(ud, id, &WCBS, w, &w->l), lookup);
}

static int r_get_ipns(void *ud, const struct net_peerid *name, uint64_t now,
                      const rpc_router_cbs_t *cbs, void *cb_ud,
                      void **lookup) {
  wrap_t *w = wrap_new(cbs, cb_ud);
  if (!w)
    return -ENOMEM;
  return started(w, node_deleg_get_ipns(ud, name, now, &WCBS, w, &w->l),
                 lookup);
}

static void r_cancel(void *ud, void *lookup) {
  (void)ud;
  wrap_t *w = lookup;
  node_deleg_cancel(w->l);
  tr_free(w);
}

void node_deleg_rpc_router(node_deleg_t *d, struct rpc_router *out) {
  *out = (rpc_router_t){.ud = d,
                        .find_providers = r_find_providers,
                        .find_peer = r_find_peer,
                        .get_ipns = r_get_ipns,
                        .cancel = r_cancel};
}

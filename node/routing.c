/*
 * routing.c — the gateway's router (gateway/gw_routing.h) on the LAN and
 * WAN DHTs and the delegated routers (delegated.c), for the Delegated
 * Routing V1 API and bitswap.  Each call starts the same lookup on every
 * DHT that knows a peer and on the routers, and merges what they find, as
 * rpc/rpc_routing.c does for the RPC: providers each PeerID once (the
 * first max), a peer from whichever DHT names it first (or from the
 * peerstore when we are connected to it, as go-libp2p-kad-dht's FindPeer
 * looks there first), the better of the two IPNS records (the DHT's
 * selector), and a put that counts when either DHT took it.
 *
 * The DHT calls back from inside its own calls, and a lookup's on_peer
 * must not cancel (dht.h); the gateway must not see its lookup end from
 * inside the call that started it.  So a lookup that is over is only
 * marked (finish()) and moved to the pending list; the idle handle then
 * cancels what is left of it on the DHTs and delivers the end from the
 * loop.  Providers go to the gateway as they come; one that cancels then
 * frees the lookup at once (dht_cancel() is allowed in the DHT's
 * on_provider), except while the lookup is starting or delivering, when
 * the cancel is only noted and acted on once that is over.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "../dht/ipns.h"
#include "../net/multiaddr.h"
#include "../net/peerstore.h"
#include "routing.h"

enum { K_PROVIDERS, K_PEER, K_GET, K_PUT };
enum { NSIDES = 3, S_DELEG = 2 };

typedef struct rside {
  node_rlook_t *l;
  dht_swarm_t *sw;    /* a DHT side, or NULL: */
  node_dlook_t *dl;   /* the routers' side (node/delegated.h) */
  uint64_t qid;
  bool live;
  int status;
} rside_t;

struct node_rlook {
  node_routing_t *r;
  node_rlook_t **list; /* &r->live or &r->pending; NULL when on neither */
  node_rlook_t *prev, *next;
  bool starting, delivering, cancelled;
  bool ok; /* put: a DHT took the record */
  int kind, status;
  rside_t side[NSIDES]; /* LAN DHT, WAN DHT, delegated routers */
  gw_peer_cb on_peer;
  gw_done_cb on_done;
  gw_ipns_cb on_ipns;
  void *ud;
  size_t max;
  net_peerset_t seen; /* each peer reported once */
  net_peerid_t target;
  bool found;
  dht_peer_t peer; /* find_peer: the answer */
  uint8_t key[DHT_KEY_MAX];
  size_t kl;
  uint8_t *val; /* get: the best record so far */
  size_t vl;
};

/* ------------------------------------------------------------- lists */

static void list_add(node_rlook_t **head, node_rlook_t *l) {
  l->list = head;
  l->prev = NULL;
  l->next = *head;
  if (*head)
    (*head)->prev = l;
  *head = l;
}

static void list_unlink(node_rlook_t *l) {
  if (!l->list)
    return;
  if (l->prev)
    l->prev->next = l->next;
  else
    *l->list = l->next;
  if (l->next)
    l->next->prev = l->prev;
  l->list = NULL;
  l->prev = l->next = NULL;
}

static void lookup_free(node_rlook_t *l) {
  list_unlink(l);
  l->r->n--;
  net_peerset_free(&l->seen);
  tr_free(l->val);
  tr_free(l);
}

static void cancel_sides(node_rlook_t *l) {
  for (int i = 0; i < NSIDES; i++) {
    rside_t *sd = &l->side[i];
    if (!sd->live)
      continue;
    sd->live = false;
    if (sd->sw)
      dht_cancel(dht_swarm_dht(sd->sw), sd->qid);
    else if (sd->dl)
      node_deleg_cancel(sd->dl); /* allowed inside its on_peer too */
    sd->dl = NULL;
  }
}

static bool any_live(const node_rlook_t *l) {
  for (int i = 0; i < NSIDES; i++)
    if (l->side[i].live)
      return true;
  return false;
}

static bool is_pending(const node_rlook_t *l) {
  return l->list == &l->r->pending;
}

static void on_idle(uv_idle_t *h);

/* The lookup is over: its end goes out from the idle handle. */
static void finish(node_rlook_t *l, int status) {
  if (is_pending(l) || !l->list)
    return;
  list_unlink(l);
  list_add(&l->r->pending, l);
  l->status = status;
  uv_idle_start(&l->r->idle, on_idle);
}

/* --------------------------------------------------------- reporting */

/* Hand p to the gateway as text.  l may be gone when this returns. */
static void emit(node_rlook_t *l, const dht_peer_t *p) {
  char id[NET_PEERID_STR_MAX];
  char buf[DHT_PEER_ADDRS_MAX][8 * DHT_ADDR_MAX]; /* NET_MA_STR_MAX's ratio */
  const char *addrs[DHT_PEER_ADDRS_MAX];
  size_t n = 0;
  if (net_peerid_format(&p->id, 0, id, sizeof id) < 0)
    return;
  for (uint8_t i = 0; i < p->naddrs && i < DHT_PEER_ADDRS_MAX; i++)
    if (net_ma_format(p->addrs[i], p->addrlen[i], buf[n], sizeof buf[n]) > 0)
      addrs[n] = buf[n], n++;
  gw_peer_t g = {id, addrs, n};
  l->on_peer(l->ud, &g);
}

static int end_status(const node_rlook_t *l) {
  switch (l->kind) {
  case K_PEER:
    return l->found ? 0 : TR_ENOTFOUND;
  case K_GET:
    return l->val ? 0 : TR_ENOTFOUND;
  case K_PUT:
    if (l->ok)
      return 0;
    for (int i = 0; i < NSIDES; i++)
      if (l->side[i].status && l->side[i].status != TR_ENOTFOUND)
        return l->side[i].status;
    return TR_ENOTFOUND;
  default:
    return 0;
  }
}

/* ---------------------------------------------------- DHT callbacks */

static void d_provider(void *ud, const dht_peer_t *p) {
  node_rlook_t *l = ((rside_t *)ud)->l;
  if (l->cancelled || is_pending(l) ||
      !net_peerset_add(&l->seen, &p->id))
    return;
  if (l->max && l->seen.n >= l->max)
    finish(l, 0);
  emit(l, p); /* last: the gateway may cancel, and l be gone */
}

/* Not allowed to cancel here (dht.h): the answer waits in l->peer. */
static void d_peer(void *ud, const dht_peer_t *p) {
  node_rlook_t *l = ((rside_t *)ud)->l;
  if (l->kind == K_PEER && !l->found && !l->cancelled && !is_pending(l) &&
      p->naddrs && net_peerid_equal(&p->id, &l->target)) {
    l->found = true;
    l->peer = *p;
    finish(l, 0);
  }
}

static void d_done(void *ud, int status, const dht_peer_t *closest, size_t n,
                   const uint8_t *val, size_t vl, const dht_qstats_t *st) {
  (void)st;
  rside_t *sd = ud;
  node_rlook_t *l = sd->l;
  sd->live = false;
  sd->status = status;
  if (l->cancelled || is_pending(l))
    return;
  if (l->kind == K_PEER)
    for (size_t i = 0; i < n && !l->found; i++)
      d_peer(ud, &closest[i]);
  if (l->kind == K_PUT && !status)
    l->ok = true;
  if (l->kind == K_GET && val && !status) {
    if (l->val) { /* the better of the two DHTs' records */
      const uint8_t *v[2] = {l->val, val};
      size_t len[2] = {l->vl, vl};
      if (dht_record_select(NULL, l->key, l->kl, v, len, 2) == 0)
        val = NULL;
    }
    uint8_t *c = val ? tr_malloc(vl ? vl : 1) : NULL;
    if (c) {
      memcpy(c, val, vl);
      tr_free(l->val);
      l->val = c, l->vl = vl;
    }
  }
  if (!l->starting && !is_pending(l) && !any_live(l))
    finish(l, end_status(l));
}

static const dht_query_cbs_t CBS = {d_provider, d_peer, NULL, d_done};

/* ------------------------------------------------- routers' callbacks */

/* The routers call back from the loop only, never from inside a start:
 * the DHT's handlers serve them as they are. */
static void dl_peer(void *ud, const dht_peer_t *p) {
  node_rlook_t *l = ((rside_t *)ud)->l;
  if (l->kind == K_PROVIDERS)
    d_provider(ud, p);
  else
    d_peer(ud, p);
}

/* val: validated by delegated.c already. */
static void dl_done(void *ud, int status, const uint8_t *val, size_t vl) {
  ((rside_t *)ud)->dl = NULL;
  d_done(ud, status, NULL, 0, val, vl, NULL);
}

static const node_deleg_cbs_t DL_CBS = {dl_peer, dl_done};

/* Wall-clock milliseconds, the DHT's clock when there is one. */
static uint64_t now_ms(const node_routing_t *r) {
  if (r->lan || r->wan)
    return dht_swarm_now(r->lan ? r->lan : r->wan);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------ ends */

static void deliver_ipns(node_rlook_t *l) {
  if (!l->val) {
    l->on_ipns(l->ud, l->status ? l->status : TR_ENOTFOUND, NULL);
    return;
  }
  char value[2048] = "";
  gw_ipns_t g = {l->val, l->vl, 0, -1, value};
  dht_ipns_record_t rec = {0};
  if (!dht_ipns_parse(&rec, l->val, l->vl)) {
    dht_ipns_time_t eol;
    if (!dht_ipns_eol(&rec, &eol))
      g.eol = eol.sec;
    if (rec.d.has & DHT_IPNS_D_TTL)
      g.ttl_s = rec.d.ttl / INT64_C(1000000000);
    if ((rec.d.has & DHT_IPNS_D_VALUE) && rec.d.value.len < sizeof value &&
        !memchr(rec.d.value.p, 0, rec.d.value.len)) {
      memcpy(value, rec.d.value.p, rec.d.value.len);
      value[rec.d.value.len] = 0;
    }
    dht_ipns_record_free(&rec);
  }
  l->on_ipns(l->ud, 0, &g);
}

static void deliver(node_rlook_t *l) {
  list_unlink(l);
  cancel_sides(l); /* outside the DHT's calls now */
  l->delivering = true;
  if (l->kind == K_GET)
    deliver_ipns(l);
  else {
    if (l->kind == K_PEER && l->found)
      emit(l, &l->peer);
    if (!l->cancelled)
      l->on_done(l->ud, l->status);
  }
  lookup_free(l);
}

static void on_idle(uv_idle_t *h) {
  node_routing_t *r = h->data;
  while (r->pending)
    deliver(r->pending);
  uv_idle_stop(h);
}

/* ----------------------------------------------------------- starts */

static int begin(node_routing_t *r, int kind, void *ud, void **out,
                 node_rlook_t **lp) {
  if (!r->started || (!r->lan && !r->wan && !r->deleg))
    return -ENOTSUP;
  if (r->n >= NODE_ROUTING_LOOKUPS_MAX)
    return TR_ELIMIT;
  node_rlook_t *l = tr_calloc(1, sizeof *l);
  if (!l)
    return -ENOMEM;
  l->r = r;
  l->kind = kind;
  l->ud = ud;
  l->side[0] = (rside_t){.l = l, .sw = r->lan};
  l->side[1] = (rside_t){.l = l, .sw = r->wan};
  l->side[S_DELEG] = (rside_t){.l = l};
  list_add(&r->live, l);
  r->n++;
  *out = l;
  *lp = l;
  return 0;
}

/* The routers' side of l: they call back from the loop only. */
static void run_deleg(node_rlook_t *l, rside_t *sd, const uint8_t *val,
                      size_t vl) {
  node_deleg_t *dg = l->r->deleg;
  int rc;
  switch (l->kind) {
  case K_PROVIDERS:
    rc = node_deleg_find_providers(dg, l->key, l->kl, l->max, &DL_CBS, sd,
                                   &sd->dl);
    break;
  case K_PEER:
    rc = node_deleg_find_peer(dg, &l->target, &DL_CBS, sd, &sd->dl);
    break;
  case K_GET:
    rc = node_deleg_get_ipns(dg, &l->target, now_ms(l->r), &DL_CBS, sd,
                             &sd->dl);
    break;
  default:
    rc = node_deleg_put_ipns(dg, &l->target, val, vl, &DL_CBS, sd, &sd->dl);
  }
  if (rc) {
    sd->live = false;
    sd->dl = NULL;
    sd->status = rc;
  }
}

/* Start the lookup of l->key on every DHT that knows a peer (a put: on
 * every DHT, which stores the record itself too).  Every side that will
 * run is marked live before any starts, so that one ending inside its
 * start does not look like the end of all. */
static void run(node_rlook_t *l, const uint8_t *val, size_t vl) {
  l->starting = true;
  for (int i = 0; i < 2; i++) {
    rside_t *sd = &l->side[i];
    /* A get reads the DHT's local store first (records put with
     * --allow-offline, or stored for others): it runs with no peers too. */
    sd->live = sd->sw && (l->kind == K_PUT || l->kind == K_GET ||
                          dht_rt_size(dht_swarm_dht(sd->sw)) > 0);
  }
  l->side[S_DELEG].live = l->r->deleg != NULL;
  for (int i = 0; i < NSIDES; i++) {
    rside_t *sd = &l->side[i];
    if (!sd->live)
      continue;
    if (l->cancelled || is_pending(l)) {
      sd->live = false;
      continue;
    }
    if (i == S_DELEG) {
      run_deleg(l, sd, val, vl);
      continue;
    }
    dht_t *d = dht_swarm_dht(sd->sw);
    uint64_t now = dht_swarm_now(sd->sw);
    int rc;
    switch (l->kind) {
    case K_PROVIDERS:
      rc = dht_get_providers(d, l->key, l->kl, l->max, &CBS, sd, now,
                             &sd->qid);
      break;
    case K_GET:
      rc = dht_get_value(d, l->key, l->kl, &CBS, sd, now, &sd->qid);
      break;
    case K_PUT:
      rc = dht_put_value(d, l->key, l->kl, val, vl, &CBS, sd, now, &sd->qid);
      break;
    default:
      /* Until the k closest have answered (see rpc_routing.c). */
      rc = dht_find_closest(d, l->key, l->kl, &CBS, sd, now, &sd->qid);
    }
    if (rc) {
      sd->live = false;
      sd->status = rc;
    }
  }
  l->starting = false;
  if (l->cancelled) {
    cancel_sides(l);
    lookup_free(l);
  } else if (!is_pending(l) && !any_live(l))
    finish(l, end_status(l));
}

static int r_find_providers(void *ud, const uint8_t *mh, size_t mhl,
                            size_t max, gw_peer_cb on_peer,
                            gw_done_cb on_done, void *cb_ud, void **lookup) {
  node_rlook_t *l;
  if (!mhl || mhl > DHT_KEY_MAX)
    return TR_EUSAGE;
  int rc = begin(ud, K_PROVIDERS, cb_ud, lookup, &l);
  if (rc)
    return rc;
  l->on_peer = on_peer;
  l->on_done = on_done;
  l->max = max;
  memcpy(l->key, mh, mhl);
  l->kl = mhl;
  run(l, NULL, 0);
  return 0;
}

static int r_find_peer(void *ud, const uint8_t *idb, size_t idl,
                       gw_peer_cb on_peer, gw_done_cb on_done, void *cb_ud,
                       void **lookup) {
  node_routing_t *r = ud;
  net_peerid_t id;
  if (net_peerid_from_bytes(&id, idb, idl))
    return TR_EPEERID;
  node_rlook_t *l;
  int rc = begin(r, K_PEER, cb_ud, lookup, &l);
  if (rc)
    return rc;
  l->on_peer = on_peer;
  l->on_done = on_done;
  l->target = id;
  memcpy(l->key, id.bytes, id.len);
  l->kl = id.len;
  /* Connected, with addresses: the peerstore answers. */
  net_peerinfo_t *pi =
      r->host ? net_ps_get(net_host_peerstore(r->host), &id) : NULL;
  if (pi && pi->naddrs && net_host_connected(r->host, &id)) {
    const uint8_t *a[NET_PS_ADDRS_MAX];
    size_t len[NET_PS_ADDRS_MAX];
    for (uint8_t i = 0; i < pi->naddrs; i++)
      a[i] = pi->addrs[i], len[i] = pi->addrlen[i];
    dht_peer_set(&l->peer, &id, a, len, pi->naddrs);
    if (l->peer.naddrs) {
      l->found = true;
      finish(l, 0);
      return 0;
    }
  }
  run(l, NULL, 0);
  return 0;
}

/* "/ipns/" + the name's PeerID bytes into l's key. */
static int ipns_key(const uint8_t *idb, size_t idl, uint8_t *key, size_t *kl,
                    net_peerid_t *id) {
  if (net_peerid_from_bytes(id, idb, idl))
    return TR_EPEERID;
  int n = dht_ipns_key(id, key, DHT_KEY_MAX);
  if (n < 0)
    return n;
  *kl = (size_t)n;
  return 0;
}

static int r_get_ipns(void *ud, const uint8_t *idb, size_t idl,
                      gw_ipns_cb on_done, void *cb_ud, void **lookup) {
  uint8_t key[DHT_KEY_MAX];
  size_t kl;
  net_peerid_t id;
  int rc = ipns_key(idb, idl, key, &kl, &id);
  node_rlook_t *l;
  if (rc || (rc = begin(ud, K_GET, cb_ud, lookup, &l)))
    return rc;
  l->on_ipns = on_done;
  l->target = id;
  memcpy(l->key, key, kl);
  l->kl = kl;
  run(l, NULL, 0);
  return 0;
}

static int r_put_ipns(void *ud, const uint8_t *idb, size_t idl,
                      const uint8_t *rec, size_t rl, gw_done_cb on_done,
                      void *cb_ud, void **lookup) {
  node_routing_t *r = ud;
  uint8_t key[DHT_KEY_MAX];
  size_t kl;
  net_peerid_t id;
  int rc = ipns_key(idb, idl, key, &kl, &id);
  if (rc)
    return rc;
  if (!r->started || (!r->lan && !r->wan && !r->deleg))
    return -ENOTSUP;
  /* The request's fault or not: validated here, before any lookup. */
  rc = dht_record_validate(NULL, key, kl, rec, rl, now_ms(r));
  node_rlook_t *l;
  if (rc || (rc = begin(r, K_PUT, cb_ud, lookup, &l)))
    return rc;
  l->on_done = on_done;
  l->target = id;
  memcpy(l->key, key, kl);
  l->kl = kl;
  run(l, rec, rl);
  return 0;
}

static void r_cancel(void *ud, void *lookup) {
  (void)ud;
  node_rlook_t *l = lookup;
  if (l->starting || l->delivering) {
    l->cancelled = true; /* acted on when that is over */
    return;
  }
  cancel_sides(l);
  lookup_free(l);
}

/* ------------------------------------------- the host's router */

/* One lookup for the host (net_router_t): find_peer's answer kept until
 * its on_done, then handed over as net_host_dial wants it. */
typedef struct host_find {
  node_routing_t *r;
  void *lookup;
  net_found_cb done;
  void *ctx;
  char *addrs[DHT_PEER_ADDRS_MAX];
  size_t n;
} host_find_t;

static void host_find_free(host_find_t *f) {
  for (size_t i = 0; i < f->n; i++)
    tr_free(f->addrs[i]);
  tr_free(f);
}

static void hf_peer(void *ud, const gw_peer_t *p) {
  host_find_t *f = ud;
  for (size_t i = 0; i < p->naddrs && f->n < DHT_PEER_ADDRS_MAX; i++)
    if ((f->addrs[f->n] = tr_strdup(p->addrs[i])))
      f->n++;
}

static void hf_done(void *ud, int status) {
  host_find_t *f = ud;
  f->done(f->ctx, f->n ? 0 : status ? status : TR_ENOTFOUND, f->addrs, f->n);
  host_find_free(f);
}

static int host_find(void *ud, const net_peerid_t *peer, net_found_cb done,
                     void *ctx, void **handle) {
  node_routing_t *r = ud;
  host_find_t *f = tr_calloc(1, sizeof *f);
  if (!f)
    return -ENOMEM;
  *f = (host_find_t){.r = r, .done = done, .ctx = ctx};
  int rc = r->router.find_peer(r, peer->bytes, peer->len, hf_peer, hf_done,
                               f, &f->lookup);
  if (rc) {
    tr_free(f);
    return rc;
  }
  *handle = f;
  return 0;
}

static void host_find_cancel(void *ud, void *handle) {
  node_routing_t *r = ud;
  host_find_t *f = handle;
  r->router.cancel(r, f->lookup);
  host_find_free(f);
}

void node_routing_host(node_routing_t *r, net_host_t *h) {
  net_host_set_router(h, &(net_router_t){host_find, host_find_cancel, r});
}

/* ------------------------------------------------------------ life */

int node_routing_start(node_routing_t *r, uv_loop_t *loop, net_host_t *host,
                       dht_swarm_t *lan, dht_swarm_t *wan,
                       node_deleg_t *deleg) {
  memset(r, 0, sizeof *r);
  int rc = uv_idle_init(loop, &r->idle);
  if (rc)
    return rc;
  r->idle.data = r;
  r->loop = loop;
  r->host = host;
  r->lan = lan;
  r->wan = wan;
  r->deleg = deleg;
  r->started = true;
  r->router = (gw_router_t){r,          r_find_providers, r_find_peer,
                            r_get_ipns, r_put_ipns,       r_cancel};
  return 0;
}

void node_routing_stop(node_routing_t *r) {
  if (!r->started)
    return;
  r->started = false;
  while (r->live || r->pending) {
    node_rlook_t *l = r->live ? r->live : r->pending;
    list_unlink(l);
    cancel_sides(l);
    l->delivering = true;
    if (l->kind == K_GET)
      l->on_ipns(l->ud, -ECANCELED, NULL);
    else
      l->on_done(l->ud, -ECANCELED);
    lookup_free(l);
  }
  uv_idle_stop(&r->idle);
  uv_close((uv_handle_t *)&r->idle, NULL);
  r->host = NULL;
  r->lan = r->wan = NULL;
  r->deleg = NULL;
}

const gw_router_t *node_routing_router(node_routing_t *r) {
  return &r->router;
}

int node_routing_wire(node_routing_t *r, gw_ctx_t *gw, uv_loop_t *loop,
                      net_host_t *host, dht_swarm_t *lan, dht_swarm_t *wan,
                      node_deleg_t *deleg, json_t *cfg) {
  gw->expose_routing =
      !json_is_false(config_get(cfg, "Gateway.ExposeRoutingAPI"));
  gw->router = NULL;
  if (!gw->expose_routing)
    return 0;
  int rc = node_routing_start(r, loop, host, lan, wan, deleg);
  if (!rc)
    gw->router = node_routing_router(r);
  return rc;
}

/*
 * gwloops.c — the gateway on several loops (gwloops.h): the threads, the
 * queues between them and the main loop, and the relays that carry the
 * fetcher's, the router's and the DNSLink resolver's calls across (the
 * resolver, DNS-over-HTTPS, is an HTTP client on the main loop).  It serves nothing itself (the
 * gateway's handler does, on each loop) and does not start the main loop's
 * server (the daemon does).
 *
 * A queue is a locked list of messages and the uv_async that wakes its
 * loop.  A message is a function and its object; an object that crosses
 * (a relayed fetch or lookup) is reference-counted, one reference per side
 * that may still touch it and per message in flight, so that either side
 * may give up first.  A queue that is closed refuses messages; the sender
 * then drops the message's reference.
 */
#include "gwloops.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../dht/ipns.h"
#include "../dht/msg.h"
#include "../net/peerid.h"

/* ------------------------------------------------------------- queues */

typedef struct msg msg_t;
/* run: false when the queue's loop is gone (only references to drop). */
typedef void (*msg_fn)(msg_t *m, bool run);
struct msg {
  msg_t *next;
  msg_fn fn;
};

typedef struct mq {
  pthread_mutex_t mu;
  msg_t *head, *tail;
  bool open;
  uv_async_t async;
} mq_t;

static void mq_run(uv_async_t *a) {
  mq_t *q = a->data;
  pthread_mutex_lock(&q->mu);
  msg_t *m = q->head;
  q->head = q->tail = NULL;
  pthread_mutex_unlock(&q->mu);
  while (m) {
    msg_t *n = m->next;
    m->fn(m, true);
    m = n;
  }
}

static int mq_init(mq_t *q, uv_loop_t *loop) {
  int rc = pthread_mutex_init(&q->mu, NULL);
  if (rc)
    return -rc;
  q->head = q->tail = NULL;
  q->async.data = q;
  if ((rc = uv_async_init(loop, &q->async, mq_run))) {
    pthread_mutex_destroy(&q->mu);
    return rc;
  }
  q->open = true;
  return 0;
}

/* False (m not taken) when q is closed. */
static bool mq_post(mq_t *q, msg_t *m) {
  m->next = NULL;
  pthread_mutex_lock(&q->mu);
  bool ok = q->open;
  if (ok) {
    if (q->tail)
      q->tail->next = m;
    else
      q->head = m;
    q->tail = m;
    /* Under the lock: mq_close cannot close the handle in between. */
    uv_async_send(&q->async);
  }
  pthread_mutex_unlock(&q->mu);
  return ok;
}

/* On q's loop: refuse messages from now on and close the handle; what is
 * queued stays for mq_drain. */
static void mq_close(mq_t *q, uv_close_cb cb) {
  pthread_mutex_lock(&q->mu);
  q->open = false;
  pthread_mutex_unlock(&q->mu);
  uv_close((uv_handle_t *)&q->async, cb);
}

/* Messages left after the close: run on the owner's behalf (run true, on
 * the thread that owns what they touch) or only dropped. */
static void mq_drain(mq_t *q, bool run) {
  pthread_mutex_lock(&q->mu);
  msg_t *m = q->head;
  q->head = q->tail = NULL;
  pthread_mutex_unlock(&q->mu);
  while (m) {
    msg_t *n = m->next;
    m->fn(m, run);
    m = n;
  }
}

/* --------------------------------------------------------------- pool */

typedef struct relay relay_t;
typedef struct rlink {
  relay_t *prev, *next;
  bool on;
} rlink_t;

typedef struct gwl {
  node_gwloops_t *pool;
  int idx;
  bool thread_ok;
  uv_thread_t th;
  uv_loop_t loop;
  mq_t q; /* to this loop */
  gw_ctx_t ctx;
  bs_fetcher_t fetcher;
  gw_router_t router;
  gw_dnslink_t dnslink;          /* the main's, but for its resolver: */
  gw_dnslink_resolver_t dlres;   /* the relay */
  http_server_t *srv;
  msg_t stop;
  _Atomic uint64_t requests; /* written by this loop only */
  relay_t *live;             /* relays the gateway still waits on */
  uint64_t next_id;
} gwl_t;

struct node_gwloops {
  uv_loop_t *main;
  gw_ctx_t *ctx; /* the main loop's: its fetcher and router are the real ones */
  mq_t q;        /* to the main loop */
  bool q_ok, q_closed, free_pending;
  relay_t *inflight; /* relays the main loop's services hold (main only) */
  http_done_fn done;
  void *done_ud;
  int n;
  gwl_t *loops; /* [0] is the main loop's server, no thread */
};

/* ------------------------------------------------------------- relays */

enum { R_FETCH, R_PROVIDERS, R_PEER, R_GET_IPNS, R_PUT_IPNS, R_DNSLINK };

/* A call relayed to the main loop: one object for a fetch or a lookup.
 * start and cancel go to the main loop, done (and, for lookups, one
 * allocated message per peer) back. */
struct relay {
  msg_t start, cancel, done;
  _Atomic int refs;
  atomic_bool cancelled; /* set by the calling loop, read by the main */
  gwl_t *l;
  int kind;
  /* The calling loop's side. */
  rlink_t live; /* in l->live until it ends */
  uint64_t id;
  void *cb_ud;
  bs_fetch_done_cb fetch_cb;
  gw_peer_cb peer_cb;
  gw_done_cb done_cb;
  gw_ipns_cb ipns_cb;
  gw_dnslink_cb dl_cb;
  /* The call. */
  char domain[256]; /* R_DNSLINK's, and its answer's TTL (-1 unknown) */
  int64_t ttl_s;
  dag_cid_t cid, root;
  bool has_root;
  unsigned flags;
  uint8_t key[DAG_MH_MAX > 64 ? DAG_MH_MAX : 64];
  size_t kl, max;
  uint8_t *rec; /* put_ipns's record; get_ipns's answer */
  size_t rl;
  /* The main loop's side. */
  rlink_t held; /* in pool->inflight while a real call runs */
  uint64_t handle; /* the fetcher's */
  void *lookup;    /* the router's */
  /* The answer. */
  int status;
  bool has_ipns;
  gw_ipns_t ipns; /* views into rec, value */
  char *value;
};

static void relay_unref(relay_t *r) {
  if (atomic_fetch_sub(&r->refs, 1) != 1)
    return;
  tr_free(r->rec);
  tr_free(r->value);
  tr_free(r);
}

static void post_or_drop(mq_t *q, relay_t *r, msg_t *m) {
  if (!mq_post(q, m))
    relay_unref(r);
}

/* A relay's place in one of its two lists, each touched by one thread
 * only (the calling loop's live list, the main loop's inflight list);
 * off is the link's offset in relay_t. */
#define RLINK(r, off) ((rlink_t *)((char *)(r) + (off)))

static void rl_push(relay_t **head, relay_t *r, size_t off) {
  rlink_t *k = RLINK(r, off);
  k->on = true;
  k->prev = NULL;
  k->next = *head;
  if (*head)
    RLINK(*head, off)->prev = r;
  *head = r;
}

static void rl_del(relay_t **head, relay_t *r, size_t off) {
  rlink_t *k = RLINK(r, off);
  if (!k->on)
    return;
  k->on = false;
  if (k->prev)
    RLINK(k->prev, off)->next = k->next;
  else
    *head = k->next;
  if (k->next)
    RLINK(k->next, off)->prev = k->prev;
}

/* Main side: r is held (a real call runs) or not. */
static void hold(node_gwloops_t *p, relay_t *r) {
  rl_push(&p->inflight, r, offsetof(relay_t, held));
}

static void unhold(node_gwloops_t *p, relay_t *r) {
  rl_del(&p->inflight, r, offsetof(relay_t, held));
}

/* Calling side: its list of relays not yet ended. */
static void live_add(gwl_t *l, relay_t *r) {
  r->id = ++l->next_id;
  rl_push(&l->live, r, offsetof(relay_t, live));
}

static void live_del(gwl_t *l, relay_t *r) {
  rl_del(&l->live, r, offsetof(relay_t, live));
}

/* The end, on the calling loop. */
static void done_run(msg_t *m, bool run) {
  relay_t *r = (relay_t *)((char *)m - offsetof(relay_t, done));
  if (run && r->live.on) {
    live_del(r->l, r);
    if (r->kind == R_FETCH)
      r->fetch_cb(r->cb_ud, r->status);
    else if (r->kind == R_GET_IPNS)
      r->ipns_cb(r->cb_ud, r->status, r->has_ipns ? &r->ipns : NULL);
    else if (r->kind == R_DNSLINK)
      r->dl_cb(r->cb_ud, r->status, r->status ? NULL : r->value, r->ttl_s);
    else
      r->done_cb(r->cb_ud, r->status);
    relay_unref(r); /* the calling side's */
  }
  relay_unref(r); /* the message's */
}

/* Main side: the real call ended (or never began): back with status. */
static void finish_main(relay_t *r, int status) {
  unhold(r->l->pool, r);
  r->status = status;
  post_or_drop(&r->l->q, r, &r->done);
}

static void main_fetched(void *arg, int status) {
  relay_t *r = arg;
  r->handle = 0;
  finish_main(r, status);
}

static void main_done(void *ud, int status) {
  relay_t *r = ud;
  r->lookup = NULL;
  finish_main(r, status);
}

static void main_ipns(void *ud, int status, const gw_ipns_t *rec) {
  relay_t *r = ud;
  r->lookup = NULL;
  if (status == 0 && rec) {
    size_t vl = strlen(rec->value);
    r->rec = tr_malloc(rec->len ? rec->len : 1);
    r->value = tr_malloc(vl + 1);
    if (!r->rec || !r->value)
      status = -ENOMEM;
    else {
      memcpy(r->rec, rec->rec, rec->len);
      memcpy(r->value, rec->value, vl + 1);
      r->ipns = *rec;
      r->ipns.rec = r->rec;
      r->ipns.value = r->value;
      r->has_ipns = true;
    }
  }
  finish_main(r, status);
}

static void main_dnslink(void *ud, int status, const char *value,
                         int64_t ttl_s) {
  relay_t *r = ud;
  r->lookup = NULL;
  r->ttl_s = ttl_s;
  if (status == 0 && !(r->value = tr_strdup(value ? value : "")))
    status = -ENOMEM;
  finish_main(r, status);
}

/* A peer found: copied into one message for the calling loop. */
typedef struct peer_msg {
  msg_t m;
  relay_t *r;
  gw_peer_t p;
  const char *addrs[];
} peer_msg_t;

static void peer_run(msg_t *m, bool run) {
  peer_msg_t *pm = (peer_msg_t *)m;
  relay_t *r = pm->r;
  if (run && r->live.on)
    r->peer_cb(r->cb_ud, &pm->p); /* may cancel r */
  tr_free(pm);
  relay_unref(r);
}

static void main_peer(void *ud, const gw_peer_t *p) {
  relay_t *r = ud;
  if (atomic_load(&r->cancelled))
    return;
  size_t sz = sizeof(peer_msg_t) + p->naddrs * sizeof(char *) + strlen(p->id) + 1;
  for (size_t i = 0; i < p->naddrs; i++)
    sz += strlen(p->addrs[i]) + 1;
  peer_msg_t *pm = tr_malloc(sz);
  if (!pm)
    return; /* out of memory: this peer is left out, as gw_routing does */
  char *s = (char *)(pm->addrs + p->naddrs);
  pm->m.fn = peer_run;
  pm->r = r;
  pm->p.id = s;
  s = stpcpy(s, p->id) + 1;
  for (size_t i = 0; i < p->naddrs; i++) {
    pm->addrs[i] = s;
    s = stpcpy(s, p->addrs[i]) + 1;
  }
  pm->p.addrs = pm->addrs;
  pm->p.naddrs = p->naddrs;
  atomic_fetch_add(&r->refs, 1);
  if (!mq_post(&r->l->q, &pm->m)) {
    tr_free(pm);
    relay_unref(r);
  }
}

/* The call, on the main loop, on its real services as they are now (the
 * fetcher and the router are gone once the daemon stops them). */
static void start_run(msg_t *m, bool run) {
  relay_t *r = (relay_t *)((char *)m - offsetof(relay_t, start));
  node_gwloops_t *p = r->l->pool;
  if (!run || atomic_load(&r->cancelled)) {
    relay_unref(r);
    return;
  }
  hold(p, r); /* the message's reference, now the call's */
  if (r->kind == R_FETCH) {
    const bs_fetcher_t *f = p->ctx->fetcher;
    r->handle = f ? f->fetch(f->ud, &r->cid, r->has_root ? &r->root : NULL,
                             r->flags, main_fetched, r)
                  : 0;
    if (!r->handle)
      finish_main(r, f ? TR_ELIMIT : -ENOTSUP);
    return;
  }
  if (r->kind == R_DNSLINK) {
    const gw_dnslink_resolver_t *res =
        p->ctx->dnslink ? p->ctx->dnslink->resolver : NULL;
    int rc = res ? res->lookup(res->ud, r->domain, main_dnslink, r, &r->lookup)
                 : -ENOTSUP;
    if (rc) {
      r->lookup = NULL;
      finish_main(r, rc); /* -ENOTSUP: the calling loop asks the system */
    }
    return;
  }
  const gw_router_t *rt = p->ctx->router;
  int rc = -ENOTSUP;
  if (rt && r->kind == R_PROVIDERS)
    rc = rt->find_providers(rt->ud, r->key, r->kl, r->max, main_peer,
                            main_done, r, &r->lookup);
  else if (rt && r->kind == R_PEER)
    rc = rt->find_peer(rt->ud, r->key, r->kl, main_peer, main_done, r,
                       &r->lookup);
  else if (rt && r->kind == R_GET_IPNS)
    rc = rt->get_ipns(rt->ud, r->key, r->kl, main_ipns, r, &r->lookup);
  else if (rt && r->kind == R_PUT_IPNS)
    rc = rt->put_ipns(rt->ud, r->key, r->kl, r->rec, r->rl, main_done, r,
                      &r->lookup);
  if (rc) {
    r->lookup = NULL;
    finish_main(r, rc);
  }
}

/* Stop the real call, if it runs; on the main loop. */
static void cancel_main(node_gwloops_t *p, relay_t *r) {
  if (!r->held.on)
    return;
  unhold(p, r);
  if (r->kind == R_FETCH) {
    if (r->handle && p->ctx->fetcher)
      p->ctx->fetcher->cancel(p->ctx->fetcher->ud, r->handle);
    r->handle = 0;
  } else if (r->kind == R_DNSLINK) {
    const gw_dnslink_resolver_t *res =
        p->ctx->dnslink ? p->ctx->dnslink->resolver : NULL;
    if (r->lookup && res)
      res->cancel(res->ud, r->lookup);
    r->lookup = NULL;
  } else if (r->lookup && p->ctx->router) {
    p->ctx->router->cancel(p->ctx->router->ud, r->lookup);
    r->lookup = NULL;
  }
  relay_unref(r); /* the call's */
}

static void cancel_run(msg_t *m, bool run) {
  relay_t *r = (relay_t *)((char *)m - offsetof(relay_t, cancel));
  if (run)
    cancel_main(r->l->pool, r);
  relay_unref(r);
}

/* Calling side: a new relay, live, with its start on the way. */
static relay_t *relay_new(gwl_t *l, int kind, void *cb_ud) {
  relay_t *r = tr_calloc(1, sizeof *r);
  if (!r)
    return NULL;
  atomic_init(&r->refs, 1); /* the calling side's */
  atomic_init(&r->cancelled, false);
  r->l = l;
  r->kind = kind;
  r->cb_ud = cb_ud;
  r->start.fn = start_run;
  r->cancel.fn = cancel_run;
  r->done.fn = done_run;
  return r;
}

/* Send r's start; false (r freed) when the main loop takes no more. */
static bool relay_send(relay_t *r) {
  atomic_fetch_add(&r->refs, 1);
  if (!mq_post(&r->l->pool->q, &r->start)) {
    relay_unref(r);
    relay_unref(r);
    return false;
  }
  live_add(r->l, r);
  return true;
}

/* Calling side: the caller gives up on r; no callback after this. */
static void relay_cancel(relay_t *r) {
  if (!r->live.on)
    return;
  live_del(r->l, r);
  atomic_store(&r->cancelled, true);
  atomic_fetch_add(&r->refs, 1);
  post_or_drop(&r->l->pool->q, r, &r->cancel);
  relay_unref(r); /* the calling side's */
}

/* ------------------------------------------------ the relayed fetcher */

static uint64_t rf_fetch(void *ud, const dag_cid_t *cid, const dag_cid_t *root,
                         unsigned flags, bs_fetch_done_cb done, void *arg) {
  gwl_t *l = ud;
  relay_t *r = relay_new(l, R_FETCH, arg);
  if (!r)
    return 0;
  r->fetch_cb = done;
  r->cid = *cid;
  if (root) {
    r->root = *root;
    r->has_root = true;
  }
  r->flags = flags;
  return relay_send(r) ? r->id : 0;
}

/* Handles are ids: a stale one (the fetch has ended) names nothing. */
static void rf_cancel(void *ud, uint64_t handle) {
  gwl_t *l = ud;
  for (relay_t *r = l->live; r; r = r->live.next)
    if (r->id == handle && r->kind == R_FETCH) {
      relay_cancel(r);
      return;
    }
}

/* ------------------------------------------------- the relayed router */

static int rr_begin(gwl_t *l, int kind, const uint8_t *key, size_t kl,
                    void *cb_ud, void **lookup, relay_t **out) {
  if (kl > sizeof((relay_t *)0)->key)
    return TR_EUSAGE;
  relay_t *r = relay_new(l, kind, cb_ud);
  if (!r)
    return -ENOMEM;
  memcpy(r->key, key, kl);
  r->kl = kl;
  *out = r;
  *lookup = r;
  return 0;
}

static int rr_send(relay_t *r) { return relay_send(r) ? 0 : -ENOTSUP; }

static int rr_find_providers(void *ud, const uint8_t *mh, size_t mhl,
                             size_t max, gw_peer_cb on_peer, gw_done_cb on_done,
                             void *cb_ud, void **lookup) {
  relay_t *r;
  int rc = rr_begin(ud, R_PROVIDERS, mh, mhl, cb_ud, lookup, &r);
  if (rc)
    return rc;
  r->peer_cb = on_peer;
  r->done_cb = on_done;
  r->max = max;
  return rr_send(r);
}

/* The router's synchronous checks, here on the calling loop: a bad
 * request is answered at once, as on the main loop. */
static int peerid_ok(const uint8_t *id, size_t idl) {
  net_peerid_t pid;
  return net_peerid_from_bytes(&pid, id, idl) ? TR_EPEERID : 0;
}

static int rr_find_peer(void *ud, const uint8_t *id, size_t idl,
                        gw_peer_cb on_peer, gw_done_cb on_done, void *cb_ud,
                        void **lookup) {
  relay_t *r;
  int rc = peerid_ok(id, idl);
  if (rc || (rc = rr_begin(ud, R_PEER, id, idl, cb_ud, lookup, &r)))
    return rc;
  r->peer_cb = on_peer;
  r->done_cb = on_done;
  return rr_send(r);
}

static int rr_get_ipns(void *ud, const uint8_t *id, size_t idl,
                       gw_ipns_cb on_done, void *cb_ud, void **lookup) {
  relay_t *r;
  int rc = peerid_ok(id, idl);
  if (rc || (rc = rr_begin(ud, R_GET_IPNS, id, idl, cb_ud, lookup, &r)))
    return rc;
  r->ipns_cb = on_done;
  return rr_send(r);
}

static int rr_put_ipns(void *ud, const uint8_t *id, size_t idl,
                       const uint8_t *rec, size_t rl, gw_done_cb on_done,
                       void *cb_ud, void **lookup) {
  net_peerid_t pid;
  uint8_t key[DHT_KEY_MAX];
  if (net_peerid_from_bytes(&pid, id, idl))
    return TR_EPEERID;
  int kl = dht_ipns_key(&pid, key, sizeof key);
  if (kl < 0)
    return kl;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
  int rc = dht_record_validate(NULL, key, (size_t)kl, rec, rl, now);
  relay_t *r;
  if (rc || (rc = rr_begin(ud, R_PUT_IPNS, id, idl, cb_ud, lookup, &r)))
    return rc;
  r->done_cb = on_done;
  r->rec = tr_malloc(rl ? rl : 1);
  if (!r->rec) {
    relay_unref(r);
    return -ENOMEM;
  }
  memcpy(r->rec, rec, rl);
  r->rl = rl;
  return rr_send(r);
}

static void rr_cancel(void *ud, void *lookup) {
  (void)ud;
  relay_cancel(lookup);
}

/* ------------------------------------------ the relayed DNSLink resolver */

/* Whether the resolver covers the name is known on the main loop only
 * (its table goes with it at shutdown), so the answer may be -ENOTSUP as
 * the callback's status: the gateway then asks the system resolver. */
static int rd_lookup(void *ud, const char *domain, gw_dnslink_cb cb,
                     void *cb_ud, void **h) {
  gwl_t *l = ud;
  size_t n = strlen(domain);
  if (n >= sizeof((relay_t *)0)->domain)
    return -ENOTSUP;
  relay_t *r = relay_new(l, R_DNSLINK, cb_ud);
  if (!r)
    return -ENOMEM;
  r->dl_cb = cb;
  r->ttl_s = -1;
  memcpy(r->domain, domain, n + 1);
  if (!relay_send(r))
    return -ENOTSUP; /* r is gone */
  *h = r;
  return 0;
}

static void rd_cancel(void *ud, void *h) {
  (void)ud;
  relay_cancel(h);
}

/* -------------------------------------------------------------- loops */

static void loop_done(const http_req_t *req, int status, uint64_t ns,
                      void *ud) {
  gwl_t *l = ud;
  /* One writer: a plain add, published for the scrape. */
  atomic_store_explicit(&l->requests,
                        atomic_load_explicit(&l->requests, memory_order_relaxed) + 1,
                        memory_order_relaxed);
  if (l->pool->done)
    l->pool->done(req, status, ns, l->pool->done_ud);
}

static void srv_stopped(void *ud) {
  gwl_t *l = ud;
  l->srv = NULL;
  mq_close(&l->q, NULL); /* the loop now runs out */
}

static void stop_run(msg_t *m, bool run) {
  gwl_t *l = (gwl_t *)((char *)m - offsetof(gwl_t, stop));
  if (run && l->srv)
    http_server_stop(l->srv, srv_stopped, l);
}

static void thread_main(void *arg) {
  gwl_t *l = arg;
  uv_run(&l->loop, UV_RUN_DEFAULT);
}

static void walk_close(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

/* Close what loop l holds and run it out (on the caller's thread: the
 * loop's thread has ended or never began). */
static void loop_finish(gwl_t *l) {
  uv_walk(&l->loop, walk_close, NULL);
  uv_run(&l->loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&l->loop))
    tr_log(TR_LOG_WARN, "gateway loop %d closed with handles open", l->idx);
}

static int loop_start(node_gwloops_t *p, gwl_t *l, const char *host, int port,
                      const http_limits_t *lim, http_ipshare_t *share) {
  int rc = uv_loop_init(&l->loop);
  if (rc)
    return rc;
  if ((rc = mq_init(&l->q, &l->loop))) {
    loop_finish(l);
    return rc;
  }
  l->ctx = *p->ctx;
  l->ctx.loop = &l->loop;
  l->fetcher = (bs_fetcher_t){rf_fetch, rf_cancel, l};
  l->router = (gw_router_t){l,           rr_find_providers, rr_find_peer,
                            rr_get_ipns, rr_put_ipns,       rr_cancel};
  if (p->ctx->fetcher)
    l->ctx.fetcher = &l->fetcher;
  if (p->ctx->router)
    l->ctx.router = &l->router;
  if (p->ctx->dnslink && p->ctx->dnslink->resolver) {
    l->dnslink = *p->ctx->dnslink; /* the map and flags, shared read-only */
    l->dlres = (gw_dnslink_resolver_t){l, rd_lookup, rd_cancel};
    l->dnslink.resolver = &l->dlres;
    l->ctx.dnslink = &l->dnslink;
  }
  l->stop.fn = stop_run;
  http_listen_t lo = {.reuseport = true, .share = share};
  rc = http_server_start_ex(&l->loop, host, port, lim, gw_gateway_handle,
                            &l->ctx, &lo, &l->srv);
  if (rc) {
    mq_close(&l->q, NULL);
    loop_finish(l);
    pthread_mutex_destroy(&l->q.mu);
    return rc;
  }
  http_server_on_done(l->srv, loop_done, l);
  if ((rc = uv_thread_create(&l->th, thread_main, l))) {
    http_server_stop(l->srv, NULL, NULL);
    l->srv = NULL;
    mq_close(&l->q, NULL);
    loop_finish(l);
    pthread_mutex_destroy(&l->q.mu);
    return rc;
  }
  l->thread_ok = true;
  return 0;
}

int node_gw_threads(json_t *cfg, int *n) {
  json_t *v = config_get(cfg, "Gateway.Threads");
  json_int_t k = 0;
  const char *env = getenv("TROVE_GATEWAY_THREADS");
  if (env && *env) {
    char *end;
    long e = strtol(env, &end, 10);
    if (*end || e < 0 || e > NODE_GW_THREADS_MAX)
      return TR_ECONFIG;
    k = e;
  } else if (v && !json_is_null(v)) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > NODE_GW_THREADS_MAX)
      return TR_ECONFIG;
    k = json_integer_value(v);
  }
  if (k == 0) {
    k = uv_available_parallelism();
    if (k > NODE_GW_THREADS_AUTO)
      k = NODE_GW_THREADS_AUTO;
  }
  *n = k < 1 ? 1 : (int)k;
  return 0;
}

int node_gwloops_start(node_gwloops_t **out, uv_loop_t *main, gw_ctx_t *ctx,
                       int nloops, http_server_t *main_srv, const char *host,
                       const http_limits_t *lim, http_ipshare_t *share,
                       http_done_fn done, void *done_ud) {
  node_gwloops_t *p = tr_calloc(1, sizeof *p);
  if (!p || !(p->loops = tr_calloc((size_t)nloops, sizeof *p->loops))) {
    tr_free(p);
    return -ENOMEM;
  }
  p->main = main;
  p->ctx = ctx;
  p->done = done;
  p->done_ud = done_ud;
  int rc = mq_init(&p->q, main);
  if (rc) {
    tr_free(p->loops);
    tr_free(p);
    return rc;
  }
  p->q_ok = true;
  p->loops[0].pool = p;
  p->loops[0].srv = main_srv;
  http_server_on_done(main_srv, loop_done, &p->loops[0]);
  p->n = 1;
  int port = http_server_port(main_srv);
  for (int i = 1; i < nloops && !rc; i++) {
    gwl_t *l = &p->loops[i];
    l->pool = p;
    l->idx = i;
    if (!(rc = loop_start(p, l, host, port, lim, share)))
      p->n++;
  }
  if (rc) {
    http_server_on_done(main_srv, done, done_ud);
    node_gwloops_stop(p);
    node_gwloops_free(p);
    return rc;
  }
  *out = p;
  return 0;
}

uint64_t node_gwloops_requests(const node_gwloops_t *p, int i) {
  gwl_t *l = &p->loops[i]; /* an atomic load of a const object */
  return atomic_load_explicit(&l->requests, memory_order_relaxed);
}

int node_gwloops_count(const node_gwloops_t *p) { return p->n; }

static void collect(tr_mw_t *w, void *ud) {
  node_gwloops_t *p = ud;
  static const char name[] = "trove_gateway_loop_requests_total";
  tr_mw_family(w, name, TR_METRIC_COUNTER,
               "Gateway answers by the event loop that served them "
               "(Gateway.Threads; loop 0 is the main loop).");
  for (int i = 0; i < p->n; i++) {
    char idx[16];
    snprintf(idx, sizeof idx, "%d", i);
    tr_mw_sample_u64(w, name, (const char *const[]){"loop", idx, NULL},
                     node_gwloops_requests(p, i));
  }
}

int node_gwloops_metrics(node_gwloops_t *p, tr_metrics_t *m) {
  return tr_metrics_collector_add(m, collect, p);
}

static void pool_free(node_gwloops_t *p) {
  /* Messages refused after the close were dropped by their senders. */
  mq_drain(&p->q, false);
  pthread_mutex_destroy(&p->q.mu);
  tr_free(p->loops);
  tr_free(p);
}

/* The main queue's handle lives in p: p goes only once it has closed
 * (node_gwloops_free after the loop has run, or here when the start
 * failed and nobody holds p). */
static void main_q_closed(uv_handle_t *h) {
  node_gwloops_t *p =
      (node_gwloops_t *)((char *)h->data - offsetof(node_gwloops_t, q));
  p->q_closed = true;
  if (p->free_pending)
    pool_free(p);
}

void node_gwloops_stop(node_gwloops_t *p) {
  if (!p || !p->q_ok)
    return;
  /* Loop 0 is the daemon's; its done callback counts into p until the
   * daemon stops it, so p is freed only after the loop. */
  for (int i = 1; i < p->n; i++)
    if (!mq_post(&p->loops[i].q, &p->loops[i].stop))
      tr_log(TR_LOG_WARN, "gateway loop %d: its queue is closed", i);
  for (int i = 1; i < p->n; i++) {
    gwl_t *l = &p->loops[i];
    if (!l->thread_ok)
      continue;
    uv_thread_join(&l->th);
    l->thread_ok = false;
    /* The thread is gone: its side of what is left is ours to run. */
    mq_drain(&l->q, false); /* late ends: the handlers are gone */
    while (l->live)
      relay_cancel(l->live);
    loop_finish(l);
    pthread_mutex_destroy(&l->q.mu);
  }
  /* Cancels and starts the loops sent before they ended, then every call
   * still held: the fetcher and the router are still up. */
  mq_drain(&p->q, true);
  while (p->inflight)
    cancel_main(p, p->inflight);
  mq_close(&p->q, main_q_closed);
  p->q_ok = false;
}

void node_gwloops_free(node_gwloops_t *p) {
  if (!p)
    return;
  if (p->q_ok) /* never stopped */
    node_gwloops_stop(p);
  if (p->q_closed)
    pool_free(p);
  else
    p->free_pending = true; /* when the handle's close has run */
}

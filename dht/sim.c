/*
 * sim.c — the simulated network of sim.h: a binary heap of events in
 * simulated time; each node's send function turns a request into a
 * delivery (or a loss, or a refusal) at the other end.
 */
#include "sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../dag/multihash.h"

enum { EV_REQ, EV_REPLY, EV_FAIL, EV_TICK };

typedef struct ev {
  uint64_t t, seq, req;
  uint32_t src, dst; /* EV_REQ: src asks dst; others: dst gets it */
  uint8_t kind;
  bool want;
  int err;
  uint8_t *buf;
  uint32_t len;
} ev_t;

/* A node's store when opts.keep is set: every provider record is
 * counted, only kept ones reach the memstore. */
typedef struct keepstore {
  dht_store_t base;
  dht_store_t *in;
  dht_sim_t *s;
} keepstore_t;

typedef struct simnode {
  dht_sim_t *s;
  uint32_t i;
  dht_t *d;
  dht_peer_t peer;
  bool alive, silent, liar;
  uint32_t outq;   /* its requests with no answer still on the way */
  keepstore_t *ks; /* opts.keep's, else NULL (the node's own store) */
} simnode_t;

struct dht_sim {
  dht_sim_opts_t o;
  simnode_t *nodes;
  ev_t *h;
  size_t nh, caph;
  uint64_t now, seq, rng;
  dht_sim_stats_t st;
};

static uint64_t rnd(dht_sim_t *s) {
  uint64_t x = s->rng;
  x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
  s->rng = x;
  return x * 0x2545F4914F6CDD1Dull;
}

static bool ev_less(const ev_t *a, const ev_t *b) {
  return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int push(dht_sim_t *s, ev_t e) {
  if (s->nh == s->caph) {
    size_t ncap = s->caph ? s->caph * 2 : 1024;
    ev_t *n = tr_realloc(s->h, ncap * sizeof *n);
    if (!n)
      return -ENOMEM;
    s->h = n, s->caph = ncap;
  }
  e.seq = s->seq++;
  size_t i = s->nh++;
  while (i > 0 && ev_less(&e, &s->h[(i - 1) / 2])) {
    s->h[i] = s->h[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  s->h[i] = e;
  return 0;
}

static ev_t pop(dht_sim_t *s) {
  ev_t top = s->h[0], last = s->h[--s->nh];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= s->nh)
      break;
    if (c + 1 < s->nh && ev_less(&s->h[c + 1], &s->h[c]))
      c++;
    if (!ev_less(&s->h[c], &last))
      break;
    s->h[i] = s->h[c];
    i = c;
  }
  if (s->nh)
    s->h[i] = last;
  return top;
}

static uint64_t latency(dht_sim_t *s) {
  uint32_t lo = s->o.lat_min_ms, hi = s->o.lat_max_ms;
  return lo + (hi > lo ? rnd(s) % (hi - lo + 1) : 0);
}

static bool lost(dht_sim_t *s) {
  return s->o.loss > 0 && (double)(rnd(s) >> 11) / 9007199254740992.0 <
                              s->o.loss;
}

/* The node an address names (10.a.b.c), BLACKHOLE for an address in
 * 11/8 (nobody answers there), or -1. */
#define BLACKHOLE (-2)
static int64_t addr_node(const dht_sim_t *s, const dht_peer_t *p) {
  for (uint8_t i = 0; i < p->naddrs; i++) {
    const uint8_t *a = p->addrs[i];
    if (p->addrlen[i] != 8 || a[0] != 0x04)
      continue;
    if (a[1] == 11)
      return BLACKHOLE;
    size_t n = ((size_t)a[2] << 16) | ((size_t)a[3] << 8) | a[4];
    if (a[1] == 10 && n < s->o.n)
      return (int64_t)n;
  }
  return -1;
}

/* The frame's body, copied. */
static int unframe(const uint8_t *p, size_t n, uint8_t **out, uint32_t *len) {
  const uint8_t *b;
  size_t bl;
  int64_t took = dht_frame(p, n, DHT_MSG_MAX, &b, &bl);
  if (took <= 0)
    return TR_EPROTO;
  *out = tr_malloc(bl ? bl : 1);
  if (!*out)
    return -ENOMEM;
  memcpy(*out, b, bl);
  *len = (uint32_t)bl;
  return 0;
}

static int fail_later(dht_sim_t *s, uint32_t node, uint64_t req, int err,
                      uint64_t after) {
  return push(s, (ev_t){.t = s->now + after, .kind = EV_FAIL, .dst = node,
                        .req = req, .err = err});
}

static int sim_send(void *ud, uint64_t req, const dht_peer_t *peer,
                    bool want_reply, const uint8_t *p, size_t n) {
  simnode_t *me = ud;
  dht_sim_t *s = me->s;
  int64_t dst = addr_node(s, peer);
  if (dst == BLACKHOLE) {
    s->st.lost++;
    return want_reply
               ? fail_later(s, me->i, req, -ETIMEDOUT, s->o.request_ms)
               : 0;
  }
  if (dst < 0)
    return TR_ENOTCONN;
  if (!want_reply && s->o.out_max && me->outq >= s->o.out_max)
    return TR_ELIMIT; /* the swarm's queue, full */
  simnode_t *to = &s->nodes[dst];
  if (!to->alive && !to->silent) {
    s->st.refused++;
    return want_reply ? fail_later(s, me->i, req, -ECONNREFUSED, latency(s))
                      : 0;
  }
  if (!to->alive || lost(s)) {
    s->st.lost++;
    return want_reply
               ? fail_later(s, me->i, req, -ETIMEDOUT, s->o.request_ms)
               : 0;
  }
  ev_t e = {.t = s->now + latency(s), .kind = EV_REQ, .src = me->i,
            .dst = (uint32_t)dst, .req = req, .want = want_reply};
  int rc = unframe(p, n, &e.buf, &e.len);
  if (rc)
    return rc;
  if ((rc = push(s, e)))
    tr_free(e.buf);
  else if (!want_reply)
    me->outq++;
  return rc;
}

static int ks_add_provider(dht_store_t *st, const uint8_t *key, size_t kl,
                           const dht_peer_t *p, uint64_t expires) {
  keepstore_t *k = (keepstore_t *)st;
  k->s->st.provider_adds++;
  if (!k->s->o.keep(k->s->o.keep_ud, key, kl))
    return 0;
  return dht_store_add_provider(k->in, key, kl, p, expires);
}
static size_t ks_providers(dht_store_t *st, const uint8_t *key, size_t kl,
                           uint64_t now, dht_peer_t *out, size_t max) {
  return dht_store_providers(((keepstore_t *)st)->in, key, kl, now, out, max);
}
static int ks_put_record(dht_store_t *st, const uint8_t *key, size_t kl,
                         const uint8_t *val, size_t vl, uint64_t expires) {
  return dht_store_put_record(((keepstore_t *)st)->in, key, kl, val, vl,
                              expires);
}
static int ks_get_record(dht_store_t *st, const uint8_t *key, size_t kl,
                         uint64_t now, tr_bytes_t *out) {
  return dht_store_get_record(((keepstore_t *)st)->in, key, kl, now, out);
}
static void ks_expire(dht_store_t *st, uint64_t now) {
  dht_store_expire(((keepstore_t *)st)->in, now);
}
static void ks_free(dht_store_t *st) {
  keepstore_t *k = (keepstore_t *)st;
  dht_store_free(k->in);
  tr_free(k);
}
static const dht_store_ops_t keepstore_ops = {
    ks_add_provider, ks_providers, ks_put_record,
    ks_get_record,   ks_expire,    ks_free};

static int keepstore_new(dht_sim_t *s, keepstore_t **out) {
  keepstore_t *k = tr_calloc(1, sizeof *k);
  if (!k)
    return -ENOMEM;
  int rc = dht_memstore_new(0, 0, &k->in);
  if (rc) {
    tr_free(k);
    return rc;
  }
  k->base.ops = &keepstore_ops;
  k->s = s;
  *out = k;
  return 0;
}

static int sim_validate(void *ud, const uint8_t *key, size_t kl,
                        const uint8_t *val, size_t vl, uint64_t now) {
  (void)ud, (void)key, (void)kl, (void)val, (void)vl, (void)now;
  return 0;
}

static size_t sim_select(void *ud, const uint8_t *key, size_t kl,
                         const uint8_t *const *vals, const size_t *lens,
                         size_t n) {
  (void)ud, (void)key, (void)kl;
  size_t best = 0;
  for (size_t i = 1; i < n; i++) {
    size_t m = lens[i] < lens[best] ? lens[i] : lens[best];
    int c = memcmp(vals[i], vals[best], m);
    if (c > 0 || (c == 0 && lens[i] > lens[best]))
      best = i;
  }
  return best;
}

int dht_sim_new(const dht_sim_opts_t *o, dht_sim_t **out) {
  if (!o->n || o->n > (1u << 24))
    return TR_EUSAGE;
  dht_sim_t *s = tr_calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->o = *o;
  if (!s->o.lat_min_ms && !s->o.lat_max_ms)
    s->o.lat_min_ms = 10, s->o.lat_max_ms = 50;
  if (!s->o.request_ms)
    s->o.request_ms = 2000;
  s->rng = o->seed * 0x9E3779B97F4A7C15ull + 1;
  s->now = 1000;
  s->nodes = tr_calloc(o->n, sizeof *s->nodes);
  if (!s->nodes) {
    tr_free(s);
    return -ENOMEM;
  }
  for (size_t i = 0; i < o->n; i++) {
    simnode_t *nd = &s->nodes[i];
    nd->s = s, nd->i = (uint32_t)i, nd->alive = true;
    uint8_t idx[8], id[34] = {0x12, 0x20};
    for (int b = 0; b < 8; b++)
      idx[b] = (uint8_t)(i >> (8 * b)) ^ (uint8_t)(o->seed >> (8 * b));
    dag_sha256(idx, sizeof idx, id + 2);
    net_peerid_t pid;
    int rc = net_peerid_from_bytes(&pid, id, sizeof id);
    if (rc) {
      dht_sim_free(s);
      return rc;
    }
    uint8_t ma[8] = {0x04, 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8),
                     (uint8_t)i, 0x06, 0x0f, 0xa1};
    const uint8_t *mp = ma;
    size_t ml = sizeof ma;
    dht_peer_set(&nd->peer, &pid, &mp, &ml, 1);
    dht_opts_t d = {.self = nd->peer.id, .self_info = nd->peer,
                    .k = o->k, .alpha = o->alpha, .beta = o->beta,
                    .request_ms = s->o.request_ms, .server = true,
                    .send = sim_send, .validate = sim_validate,
                    .select = sim_select, .ud = nd, .vud = nd};
    if (!o->timers)
      d.refresh_ms = d.check_ms = UINT32_MAX;
    if (o->keep) {
      if ((rc = keepstore_new(s, &nd->ks))) {
        dht_sim_free(s);
        return rc;
      }
      d.store = &nd->ks->base;
    }
    if ((rc = dht_new(&d, s->now, &nd->d))) {
      dht_sim_free(s);
      return rc;
    }
    if (o->timers && (rc = push(s, (ev_t){.t = s->now + 1000 + i % 1000,
                                          .kind = EV_TICK,
                                          .dst = (uint32_t)i}))) {
      dht_sim_free(s);
      return rc;
    }
  }
  *out = s;
  return 0;
}

void dht_sim_free(dht_sim_t *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->nh; i++)
    tr_free(s->h[i].buf);
  tr_free(s->h);
  for (size_t i = 0; s->nodes && i < s->o.n; i++) {
    dht_free(s->nodes[i].d);
    if (s->nodes[i].ks)
      dht_store_free(&s->nodes[i].ks->base);
  }
  tr_free(s->nodes);
  tr_free(s);
}

size_t dht_sim_size(const dht_sim_t *s) { return s->o.n; }
dht_t *dht_sim_node(dht_sim_t *s, size_t i) { return s->nodes[i].d; }
void dht_sim_peer(const dht_sim_t *s, size_t i, dht_peer_t *out) {
  *out = s->nodes[i].peer;
}
uint64_t dht_sim_now(const dht_sim_t *s) { return s->now; }
bool dht_sim_alive(const dht_sim_t *s, size_t i) { return s->nodes[i].alive; }
void dht_sim_stats(const dht_sim_t *s, dht_sim_stats_t *out) { *out = s->st; }

void dht_sim_lie(dht_sim_t *s, size_t i) { s->nodes[i].liar = true; }

/* A liar's answer: as many made-up peers as a message may carry. */
static int lie(dht_sim_t *s, const uint8_t *req, size_t n, tr_bytes_t *out) {
  dht_msg_t m;
  int rc = dht_msg_decode(req, n, &m);
  if (rc)
    return rc;
  dht_peer_t *fake = tr_calloc(DHT_MSG_PEERS_MAX, sizeof *fake);
  if (!fake) {
    dht_msg_free(&m);
    return -ENOMEM;
  }
  for (size_t j = 0; j < DHT_MSG_PEERS_MAX; j++) {
    uint8_t id[34] = {0x12, 0x20};
    for (int b = 0; b < 32; b += 8) {
      uint64_t r = rnd(s);
      memcpy(id + 2 + b, &r, 8);
    }
    net_peerid_t fid;
    if (net_peerid_from_bytes(&fid, id, sizeof id))
      continue;
    uint8_t ma[8] = {0x04, 11, id[2], id[3], id[4], 0x06, 0x0f, 0xa1};
    const uint8_t *mp = ma;
    size_t ml = sizeof ma;
    dht_peer_set(&fake[j], &fid, &mp, &ml, 1);
  }
  dht_msg_t r = {.type = m.type, .key = m.key, .keylen = m.keylen,
                 .closer = fake, .ncloser = DHT_MSG_PEERS_MAX};
  rc = dht_msg_encode(&r, out);
  tr_free(fake);
  dht_msg_free(&m);
  return rc;
}

void dht_sim_kill(dht_sim_t *s, size_t i, bool silent) {
  s->nodes[i].alive = false;
  s->nodes[i].silent = silent;
}

int dht_sim_join(dht_sim_t *s, size_t i, size_t via) {
  int rc = dht_add_peer(s->nodes[i].d, &s->nodes[via].peer, s->now);
  if (!rc)
    rc = dht_bootstrap(s->nodes[i].d, s->now);
  if (!rc)
    dht_refresh(s->nodes[i].d, s->now);
  return rc;
}

static void handle(dht_sim_t *s, ev_t *e) {
  simnode_t *dst = &s->nodes[e->dst];
  switch (e->kind) {
  case EV_REQ: {
    simnode_t *src = &s->nodes[e->src];
    if (!e->want)
      src->outq--;
    if (!dst->alive) { /* died with the request in flight */
      if (e->want)
        (void)fail_later(s, e->src, e->req,
                         dst->silent ? -ETIMEDOUT : -ECONNRESET,
                         dst->silent ? s->o.request_ms : latency(s));
      break;
    }
    s->st.delivered++;
    /* Every simulated node is a server: the asker goes into the table,
     * as go's handlers do for peers identify shows as servers. */
    if (!src->liar && dht_add_peer(dst->d, &src->peer, s->now))
      break; /* only self is refused */
    tr_bytes_t resp = {0};
    int rc = dst->liar ? lie(s, e->buf, e->len, &resp)
                       : dht_handle(dst->d, &src->peer, e->buf, e->len,
                                    s->now, &resp);
    if (e->want) {
      if (rc || !resp.len) {
        (void)fail_later(s, e->src, e->req, rc ? rc : TR_EPROTO, latency(s));
      } else if (lost(s)) {
        s->st.lost++;
        (void)fail_later(s, e->src, e->req, -ETIMEDOUT, s->o.request_ms);
      } else {
        ev_t r = {.t = s->now + latency(s), .kind = EV_REPLY, .dst = e->src,
                  .req = e->req};
        if (!unframe(resp.data, resp.len, &r.buf, &r.len) && push(s, r))
          tr_free(r.buf);
      }
    }
    tr_bytes_free(&resp);
    break;
  }
  case EV_REPLY:
    if (dst->alive) {
      s->st.delivered++;
      dht_on_reply(dst->d, e->req, e->buf, e->len, s->now);
    }
    break;
  case EV_FAIL:
    if (dst->alive)
      dht_on_fail(dst->d, e->req, e->err, s->now);
    break;
  case EV_TICK:
    if (dst->alive) {
      uint64_t next = dht_tick(dst->d, s->now);
      (void)push(s, (ev_t){.t = next > s->now ? next : s->now + 1,
                           .kind = EV_TICK, .dst = e->dst});
    }
    break;
  }
}

uint64_t dht_sim_run(dht_sim_t *s, uint64_t until) {
  uint64_t n = 0;
  while (s->nh && s->h[0].t <= until) {
    ev_t e = pop(s);
    if (e.t > s->now)
      s->now = e.t;
    handle(s, &e);
    tr_free(e.buf);
    n++;
  }
  /* The clock reaches until even when later events wait: a caller that
   * runs the network in slices (a reprovider's pace) must see time
   * pass. */
  if (s->now < until && until != UINT64_MAX)
    s->now = until;
  return n;
}

/* ------------------------------------------------------- fill_tables */

typedef struct keyed {
  uint8_t k[32];
  uint32_t i;
} keyed_t;

static int keyed_cmp(const void *a, const void *b) {
  return memcmp(((const keyed_t *)a)->k, ((const keyed_t *)b)->k, 32);
}

/* First index in v[0..n) whose key is >= k. */
static size_t lower(const keyed_t *v, size_t n, const uint8_t k[32]) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (memcmp(v[mid].k, k, 32) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

int dht_sim_fill_tables(dht_sim_t *s) {
  size_t n = s->o.n;
  keyed_t *v = tr_malloc(n * sizeof *v);
  if (!v)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    dht_key(s->nodes[i].peer.id.bytes, s->nodes[i].peer.id.len, v[i].k);
    v[i].i = (uint32_t)i;
  }
  qsort(v, n, sizeof *v, keyed_cmp);
  unsigned k = s->o.k ? s->o.k : DHT_K;
  for (size_t x = 0; x < n; x++) {
    simnode_t *nd = &s->nodes[v[x].i];
    if (!nd->alive)
      continue;
    for (unsigned cpl = 0; cpl < 256; cpl++) {
      /* Keys sharing cpl bits with ours and differing at bit cpl: one
       * contiguous range of the sorted keys. */
      uint8_t lo[32], hi[32];
      memcpy(lo, v[x].k, 32);
      lo[cpl / 8] ^= (uint8_t)(0x80 >> (cpl % 8));
      memcpy(hi, lo, 32);
      for (unsigned b = cpl + 1; b < 256; b++) {
        lo[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
        hi[b / 8] |= (uint8_t)(0x80 >> (b % 8));
      }
      size_t a = lower(v, n, lo), z = lower(v, n, hi);
      if (z < n && !memcmp(v[z].k, hi, 32))
        z++;
      size_t m = z - a;
      for (size_t j = 0; j < m && j < k; j++) {
        size_t pick = m <= k ? a + j : a + rnd(s) % m;
        simnode_t *p = &s->nodes[v[pick].i];
        if (p->alive && dht_add_peer(nd->d, &p->peer, s->now))
          continue; /* only self is refused, and self is not in range */
      }
      /* Past the range that still holds anyone but us, all is empty. */
      uint8_t same_lo[32], same_hi[32];
      memcpy(same_lo, v[x].k, 32);
      memcpy(same_hi, v[x].k, 32);
      for (unsigned b = cpl + 1; b < 256; b++) {
        same_lo[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
        same_hi[b / 8] |= (uint8_t)(0x80 >> (b % 8));
      }
      size_t sa = lower(v, n, same_lo), sz = lower(v, n, same_hi);
      if (sz < n && !memcmp(v[sz].k, same_hi, 32))
        sz++;
      if (sz - sa <= 1)
        break;
    }
  }
  tr_free(v);
  return 0;
}

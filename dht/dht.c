/*
 * dht.c — the DHT node: options, the requests it has out (each with a
 * deadline), the routing of answers to lookups and liveness checks, and
 * the timers.
 */
#include <errno.h>
#include <string.h>

#include "../dag/multihash.h"
#include "dht_int.h"

#define STORE_EXPIRE_MS 60000

int dht_new(const dht_opts_t *o, uint64_t now, dht_t **out) {
  if (!o->send || !o->self.len)
    return TR_EUSAGE;
  dht_t *d = tr_calloc(1, sizeof *d);
  if (!d)
    return -ENOMEM;
  d->o = *o;
  if (!d->o.k)
    d->o.k = DHT_K;
  if (d->o.k > DHT_K)
    d->o.k = DHT_K; /* replies carry at most DHT_K: see serve.c */
  if (!d->o.alpha)
    d->o.alpha = DHT_ALPHA;
  if (!d->o.beta)
    d->o.beta = DHT_BETA;
  if (!d->o.request_ms)
    d->o.request_ms = DHT_REQUEST_MS;
  if (!d->o.query_ms)
    d->o.query_ms = DHT_QUERY_MS;
  if (!d->o.refresh_ms)
    d->o.refresh_ms = DHT_REFRESH_MS;
  if (!d->o.check_ms)
    d->o.check_ms = DHT_CHECK_MS;
  if (!d->o.provider_ttl_ms)
    d->o.provider_ttl_ms = DHT_PROVIDER_TTL_MS;
  if (!d->o.record_ttl_ms)
    d->o.record_ttl_ms = DHT_RECORD_TTL_MS;
  dht_key(o->self.bytes, o->self.len, d->selfkey);
  memcpy(&d->rng, d->selfkey, 8);
  d->rng |= 1;
  d->store = o->store;
  if (!d->store) {
    int rc = dht_memstore_new(0, 0, &d->store);
    if (rc) {
      tr_free(d);
      return rc;
    }
    d->own_store = true;
  }
  d->next_expire = now + STORE_EXPIRE_MS;
  dht__rt_init(d);
  *out = d;
  return 0;
}

void dht_free(dht_t *d) {
  if (!d)
    return;
  for (size_t i = 0; i < d->nq; i++)
    dht__query_free(d->q[i]);
  tr_free(d->q);
  tr_free(d->reqs);
  dht__rt_free(d);
  if (d->own_store)
    dht_store_free(d->store);
  tr_free(d);
}

/* Take request id off the list; false when unknown. */
static bool req_take(dht_t *d, uint64_t id, dht_req_t *out) {
  for (size_t i = 0; i < d->nreq; i++)
    if (d->reqs[i].id == id) {
      *out = d->reqs[i];
      d->reqs[i] = d->reqs[--d->nreq];
      return true;
    }
  return false;
}

static dht_query_t *live_query(dht_t *d, dht_query_t *q) {
  for (size_t i = 0; q && i < d->nq; i++)
    if (d->q[i] == q)
      return q;
  return NULL;
}

void dht_on_fail(dht_t *d, uint64_t req, int err, uint64_t now) {
  dht_req_t r;
  if (!req_take(d, req, &r))
    return;
  d->st.failures++;
  if (err == -ETIMEDOUT)
    d->st.timeouts++;
  dht__rt_failed(d, &r.peer);
  dht_query_t *q = live_query(d, r.q);
  if (q)
    dht__query_fail(d, q, &r.peer, now);
}

void dht_on_reply(dht_t *d, uint64_t req, const uint8_t *body, size_t n,
                  uint64_t now) {
  dht_req_t r;
  if (!req_take(d, req, &r))
    return;
  dht_msg_t m;
  if (dht_msg_decode(body, n, &m)) {
    d->st.failures++;
    dht__rt_failed(d, &r.peer);
    dht_query_t *q = live_query(d, r.q);
    if (q)
      dht__query_fail(d, q, &r.peer, now);
    return;
  }
  d->st.replies++;
  if (r.type == DHT_PING || r.type == 0xff) {
    /* A liveness answer, or one for a lookup that is over: the peer is
     * alive either way. */
    if (m.type == r.type || r.type == 0xff) {
      dht_rtent_t *e = dht__rt_find(d, &r.peer);
      if (e) {
        e->checking = false;
        e->fails = 0;
        e->last_seen = now;
      }
    } else {
      dht__rt_failed(d, &r.peer);
    }
    dht_msg_free(&m);
    return;
  }
  dht_query_t *q = live_query(d, r.q);
  if (q) {
    if (m.type == (dht_msg_type_t)r.type)
      dht__query_reply(d, q, &r.peer, &m, now);
    else
      dht__query_fail(d, q, &r.peer, now);
  }
  dht_msg_free(&m);
}

/* Liveness: the least recently seen peer of each bucket, when silent for
 * check_ms, gets a PING; its failure counts as any other. */
static void check_bucket(dht_t *d, dht_bucket_t *b, uint64_t now) {
  if (!b->n || b->v[0].checking ||
      now - b->v[0].last_seen < (uint64_t)d->o.check_ms)
    return;
  dht_msg_t m = {.type = DHT_PING};
  dht_peer_t p = b->v[0].p;
  b->v[0].checking = true;
  if (dht__send(d, NULL, &p, true, &m, now)) {
    dht_rtent_t *e = dht__rt_find(d, &p.id);
    if (e)
      e->checking = false;
    dht__rt_failed(d, &p.id);
  }
}

/* A key whose SHA-256 shares exactly cpl bits with ours, by trial (go's
 * refresh does the same up to cpl 15: 2^16 hashes at worst). */
static void refresh_key(dht_t *d, unsigned cpl, uint8_t key[34]) {
  key[0] = 0x12, key[1] = 0x20; /* shaped as a sha2-256 PeerID */
  uint8_t h[32];
  for (;;) {
    for (unsigned i = 0; i < 32; i += 8) {
      uint64_t r = dht__rand(d);
      memcpy(key + 2 + i, &r, 8);
    }
    dht_key(key, 34, h);
    if (dht_cpl(h, d->selfkey) == cpl)
      return;
  }
}

#define REFRESH_CPL_MAX 15

static void refresh(dht_t *d, uint64_t now, bool all) {
  /* Refresh the buckets up to the deepest non-empty one (no deeper than
   * REFRESH_CPL_MAX) that nobody looked into for refresh_ms. */
  unsigned deepest = 0;
  for (unsigned i = 0; i < TR_ARRAY_LEN(d->b); i++)
    if (d->b[i].n)
      deepest = i;
  if (deepest > REFRESH_CPL_MAX)
    deepest = REFRESH_CPL_MAX;
  for (unsigned i = 0; i <= deepest; i++) {
    dht_bucket_t *b = &d->b[i];
    if (now - b->refreshed < d->o.refresh_ms && b->refreshed && !all)
      continue;
    b->refreshed = now;
    uint8_t key[34];
    refresh_key(d, i, key);
    if (dht_find_node(d, key, sizeof key, NULL, NULL, now, NULL))
      return;
  }
}

static void rt_tick(dht_t *d, uint64_t now) {
  if (d->o.check_ms != UINT32_MAX)
    for (unsigned i = 0; i < TR_ARRAY_LEN(d->b); i++)
      check_bucket(d, &d->b[i], now);
  if (d->o.refresh_ms != UINT32_MAX && d->rtn)
    refresh(d, now, false);
}

void dht_refresh(dht_t *d, uint64_t now) {
  if (d->rtn)
    refresh(d, now, true);
}

int dht_bootstrap(dht_t *d, uint64_t now) {
  return dht_find_node(d, d->o.self.bytes, d->o.self.len, NULL, NULL, now,
                       NULL);
}

uint64_t dht_tick(dht_t *d, uint64_t now) {
  /* Requests past their deadline fail; failing one may start others, so
   * the list is walked again from the start after each. */
  for (size_t i = 0; i < d->nreq; i++)
    if (d->reqs[i].deadline <= now) {
      uint64_t id = d->reqs[i].id;
      dht_on_fail(d, id, -ETIMEDOUT, now);
      i = (size_t)-1;
    }
  dht__query_tick(d, now);
  rt_tick(d, now);
  if (now >= d->next_expire) {
    dht_store_expire(d->store, now);
    d->next_expire = now + STORE_EXPIRE_MS;
  }
  uint64_t next = d->next_expire;
  for (size_t i = 0; i < d->nreq; i++)
    if (d->reqs[i].deadline < next)
      next = d->reqs[i].deadline;
  for (size_t i = 0; i < d->nq; i++)
    if (d->q[i]->deadline < next)
      next = d->q[i]->deadline;
  if (d->o.check_ms != UINT32_MAX && now + 1000 < next)
    next = now + 1000; /* liveness and refresh are checked each second */
  return next;
}

void dht_stats(const dht_t *d, dht_stats_t *out) {
  *out = d->st;
  out->queries = (uint32_t)d->nq;
}

const net_peerid_t *dht_self(const dht_t *d) { return &d->o.self; }

void dht_set_server(dht_t *d, bool on) { d->o.server = on; }

void dht_set_self_info(dht_t *d, const dht_peer_t *self) {
  d->o.self_info = *self;
  d->o.self_info.id = d->o.self;
}
dht_store_t *dht_store(dht_t *d) { return d->store; }

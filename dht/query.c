/*
 * query.c — iterative lookups.  A lookup keeps the DHT_QUERY_CANDS_MAX
 * closest peers it has heard of, sorted by XOR distance to the target,
 * keeps α requests in flight to the closest not yet asked, and ends when
 * the β closest that have not failed have all answered
 * (go-libp2p-kad-dht's isLookupTermination), when nobody is left to ask,
 * or at its deadline.  provide and put then write to the k closest that
 * answered.
 */
#include <errno.h>
#include <string.h>

#include "dht_int.h"

void dht__query_free(dht_query_t *q) {
  if (!q)
    return;
  tr_free(q->key);
  tr_free(q->c);
  net_peerset_free(&q->provs);
  tr_free(q->val);
  tr_free(q);
}

/* q's requests stay at the adapter; their answers will find no query. */
static void orphan(dht_t *d, dht_query_t *q) {
  for (size_t i = 0; i < d->nreq; i++)
    if (d->reqs[i].q == q)
      d->reqs[i].q = NULL, d->reqs[i].type = 0xff;
  q->inflight = 0;
}

static void query_unlink(dht_t *d, dht_query_t *q) {
  for (size_t i = 0; i < d->nq; i++)
    if (d->q[i] == q) {
      d->q[i] = d->q[--d->nq];
      break;
    }
  orphan(d, q);
}

/* Hand the result over and free q.  Callbacks may start or cancel other
 * queries, so q leaves the list first. */
static void query_done(dht_t *d, dht_query_t *q, int status, uint64_t now) {
  query_unlink(d, q);
  q->st.ended = now;
  dht_peer_t out[DHT_QUERY_CANDS_MAX];
  size_t n = 0;
  for (size_t i = 0; i < q->nc && n < d->o.k; i++) {
    const dht_cand_t *c = &q->c[i];
    bool ok = q->kind == Q_PROVIDE ? c->wrote >= 1
              : q->kind == Q_PUT   ? c->wrote == 2
                                   : c->state == CAND_QUERIED;
    if (ok)
      out[n++] = c->p;
  }
  for (size_t i = 0; i < q->nc; i++)
    if (q->c[i].state == CAND_QUERIED) {
      q->st.hops = q->c[i].hop;
      break;
    }
  /* No peer answered: not found, unless the value is our own copy. */
  if (!status && !n && q->kind != Q_PROVS &&
      !(q->kind == Q_VALUE && q->have_val))
    status = TR_ENOTFOUND;
  if (!status && q->kind == Q_VALUE && !q->have_val)
    status = TR_ENOTFOUND;
  if (q->cbs.on_done)
    q->cbs.on_done(q->ud, status, out, n, q->have_val ? q->val : NULL,
                   q->have_val ? q->vl : 0, &q->st);
  d->st.queries = (uint32_t)d->nq;
  dht__query_free(q);
}

static dht_cand_t *cand_find(dht_query_t *q, const net_peerid_t *id) {
  for (size_t i = 0; i < q->nc; i++)
    if (net_peerid_equal(&q->c[i].p.id, id))
      return &q->c[i];
  return NULL;
}

/* Add p as a candidate (closest first; the farthest falls off a full
 * list unless it is waiting for an answer). */
static void cand_add(dht_t *d, dht_query_t *q, const dht_peer_t *p,
                     uint8_t hop) {
  if (net_peerid_equal(&p->id, &d->o.self) || cand_find(q, &p->id))
    return;
  dht_peer_t f = *p;
  if (!dht__addrs_ok(d, &f))
    return;
  uint8_t k[32], dist[32];
  dht_key(p->id.bytes, p->id.len, k);
  for (int i = 0; i < 32; i++)
    dist[i] = k[i] ^ q->target[i];
  size_t at = q->nc;
  while (at > 0 && memcmp(dist, q->c[at - 1].dist, 32) < 0)
    at--;
  if (q->nc == DHT_QUERY_CANDS_MAX) {
    if (at == q->nc)
      return;
    size_t last = q->nc - 1;
    if (q->c[last].state == CAND_WAITING)
      return; /* keep the list whole until that answer is in */
    q->nc--;
  }
  memmove(&q->c[at + 1], &q->c[at], (q->nc - at) * sizeof *q->c);
  dht_cand_t *c = &q->c[at];
  memset(c, 0, sizeof *c);
  c->p = f;
  if (q->cbs.on_peer)
    q->cbs.on_peer(q->ud, &f);
  c->p.conn = DHT_NOT_CONNECTED;
  memcpy(c->dist, dist, 32);
  c->state = CAND_HEARD;
  c->hop = hop;
  q->nc++;
}

static dht_msg_type_t lookup_type(dht_qkind_t k) {
  switch (k) {
  case Q_PROVS:
    return DHT_GET_PROVIDERS;
  case Q_VALUE:
    return DHT_GET_VALUE;
  default:
    return DHT_FIND_NODE;
  }
}

/* Over when the β closest that have not failed have answered.  A lookup
 * that ends in writes waits for the k closest: they are the ones that
 * will hold the record. */
static bool lookup_over(dht_t *d, dht_query_t *q) {
  unsigned seen = 0, want = q->kind == Q_PROVIDE || q->kind == Q_PUT ||
                                    q->kind == Q_CLOSEST
                                ? d->o.k
                                : d->o.beta;
  for (size_t i = 0; i < q->nc && seen < want; i++) {
    if (q->c[i].state == CAND_FAILED)
      continue;
    if (q->c[i].state != CAND_QUERIED)
      return false;
    seen++;
  }
  return true;
}

static void write_phase(dht_t *d, dht_query_t *q, uint64_t now);

/* Send what may be sent, or end the lookup.  May free q. */
static void query_step(dht_t *d, dht_query_t *q, uint64_t now) {
  if (q->writing) {
    if (q->kind == Q_PROVIDE || !q->inflight)
      query_done(d, q, 0, now);
    return;
  }
  if (q->kind == Q_PROVS && q->max_provs && q->nprovs >= q->max_provs) {
    query_done(d, q, 0, now);
    return;
  }
  if (lookup_over(d, q)) {
    /* Answers still in flight are not waited for (go cancels them). */
    if (q->kind == Q_PROVIDE || q->kind == Q_PUT)
      write_phase(d, q, now);
    else
      query_done(d, q, 0, now);
    return;
  }
  dht_msg_t m = {.type = lookup_type(q->kind), .key = q->key,
                 .keylen = q->kl};
  for (size_t i = 0; i < q->nc && q->inflight < d->o.alpha; i++) {
    dht_cand_t *c = &q->c[i];
    if (c->state != CAND_HEARD)
      continue;
    if (lookup_over(d, q))
      break;
    c->state = CAND_WAITING;
    dht_peer_t to = c->p;
    if (dht__send(d, q, &to, true, &m, now)) {
      c->state = CAND_FAILED;
      q->st.fails++;
      continue;
    }
    q->inflight++;
    q->st.sent++;
  }
  if (!q->inflight) {
    if (q->kind == Q_PROVIDE || q->kind == Q_PUT)
      write_phase(d, q, now);
    else
      query_done(d, q, 0, now);
  }
}

/* provide: ADD_PROVIDER (no answer) to the k closest that answered;
 * put: PUT_VALUE, each echo awaited. */
static void write_phase(dht_t *d, dht_query_t *q, uint64_t now) {
  q->writing = true;
  orphan(d, q);
  dht_peer_t self = d->o.self_info;
  self.id = d->o.self;
  dht_msg_t m = {.key = q->key, .keylen = q->kl};
  if (q->kind == Q_PROVIDE) {
    m.type = DHT_ADD_PROVIDER;
    m.providers = &self;
    m.nproviders = 1;
  } else {
    m.type = DHT_PUT_VALUE;
    m.has_record = true;
    m.record.key = q->key;
    m.record.keylen = q->kl;
    m.record.value = q->val;
    m.record.vlen = q->vl;
  }
  unsigned n = 0;
  for (size_t i = 0; i < q->nc && n < d->o.k; i++) {
    dht_cand_t *c = &q->c[i];
    if (c->state != CAND_QUERIED)
      continue;
    n++;
    dht_peer_t to = c->p;
    if (dht__send(d, q, &to, q->kind == Q_PUT, &m, now))
      continue;
    c->wrote = 1;
    q->st.sent++;
    if (q->kind == Q_PUT)
      q->inflight++;
  }
  query_step(d, q, now);
}

static void report_provider(dht_query_t *q, const dht_peer_t *p) {
  if (q->max_provs && q->nprovs >= q->max_provs)
    return;
  if (!net_peerset_add(&q->provs, &p->id))
    return;
  q->nprovs++;
  if (q->cbs.on_provider)
    q->cbs.on_provider(q->ud, p);
}

static void take_record(dht_t *d, dht_query_t *q, const dht_peer_t *from,
                        const dht_msg_t *m, uint64_t now) {
  if (!m->has_record || !d->o.validate || m->record.keylen != q->kl ||
      memcmp(m->record.key, q->key, q->kl))
    return;
  if (d->o.validate(d->o.vud, q->key, q->kl, m->record.value, m->record.vlen,
                    now))
    return;
  if (q->cbs.on_record)
    q->cbs.on_record(q->ud, from, m->record.value, m->record.vlen);
  if (q->have_val && d->o.select) {
    const uint8_t *v[2] = {q->val, m->record.value};
    size_t l[2] = {q->vl, m->record.vlen};
    if (d->o.select(d->o.vud, q->key, q->kl, v, l, 2) == 0)
      return;
  } else if (q->have_val) {
    return;
  }
  uint8_t *copy = tr_malloc(m->record.vlen ? m->record.vlen : 1);
  if (!copy)
    return;
  memcpy(copy, m->record.value, m->record.vlen);
  tr_free(q->val);
  q->val = copy, q->vl = m->record.vlen, q->have_val = true;
}

void dht__query_reply(dht_t *d, dht_query_t *q, const net_peerid_t *from,
                      const dht_msg_t *m, uint64_t now) {
  dht_cand_t *c = cand_find(q, from);
  if (q->inflight)
    q->inflight--;
  q->st.replies++;
  if (q->writing) {
    if (c && m->has_record && m->record.vlen == q->vl &&
        !memcmp(m->record.value, q->val, q->vl))
      c->wrote = 2;
    query_step(d, q, now);
    return;
  }
  uint8_t hop = c ? c->hop : 0;
  if (c) {
    c->state = CAND_QUERIED;
    dht__rt_seen(d, &c->p, now); /* it answered: a live server */
  }
  for (size_t i = 0; i < m->ncloser; i++)
    cand_add(d, q, &m->closer[i], (uint8_t)(hop + 1));
  if (q->kind == Q_PROVS)
    for (size_t i = 0; i < m->nproviders; i++)
      report_provider(q, &m->providers[i]);
  if (q->kind == Q_VALUE && c)
    take_record(d, q, &c->p, m, now);
  query_step(d, q, now);
}

void dht__query_fail(dht_t *d, dht_query_t *q, const net_peerid_t *from,
                     uint64_t now) {
  dht_cand_t *c = cand_find(q, from);
  if (q->inflight)
    q->inflight--;
  q->st.fails++;
  if (c && !q->writing)
    c->state = CAND_FAILED;
  query_step(d, q, now);
}

void dht__query_tick(dht_t *d, uint64_t now) {
  for (size_t i = 0; i < d->nq; i++)
    if (d->q[i]->deadline <= now) {
      query_done(d, d->q[i], -ETIMEDOUT, now);
      i = (size_t)-1; /* the list changed under us: start over */
    }
}

int dht__query_start(dht_t *d, dht_qkind_t kind, const uint8_t *key,
                     size_t kl, const dht_query_cbs_t *cbs, void *ud,
                     uint64_t now, uint64_t *qid) {
  if (!kl || kl > DHT_KEY_MAX)
    return TR_EUSAGE;
  if (d->nq >= DHT_QUERIES_MAX)
    return TR_ELIMIT;
  dht_query_t *q = tr_calloc(1, sizeof *q);
  if (!q)
    return -ENOMEM;
  q->key = tr_malloc(kl);
  q->c = tr_malloc(DHT_QUERY_CANDS_MAX * sizeof *q->c);
  if (!q->key || !q->c) {
    dht__query_free(q);
    return -ENOMEM;
  }
  memcpy(q->key, key, kl);
  q->kl = kl;
  q->kind = kind;
  dht_key(key, kl, q->target);
  q->id = ++d->next_qid;
  q->deadline = now + d->o.query_ms;
  q->st.started = now;
  if (cbs)
    q->cbs = *cbs;
  q->ud = ud;
  dht_query_t **nq = tr_realloc(d->q, (d->nq + 1) * sizeof *nq);
  if (!nq) {
    dht__query_free(q);
    return -ENOMEM;
  }
  d->q = nq;
  d->q[d->nq++] = q;
  d->st.queries = (uint32_t)d->nq;
  d->b[dht_cpl(q->target, d->selfkey)].refreshed = now;
  dht_peer_t seed[DHT_QUERY_CANDS_MAX];
  size_t n = dht_rt_closest(d, key, kl, seed, d->o.k);
  for (size_t i = 0; i < n; i++)
    cand_add(d, q, &seed[i], 0);
  if (qid)
    *qid = q->id;
  return 0;
}

/* The caller sets up what it must, then runs the first step. */
static int start(dht_t *d, dht_qkind_t kind, const uint8_t *key, size_t kl,
                 size_t max, const uint8_t *val, size_t vl,
                 const dht_query_cbs_t *cbs, void *ud, uint64_t now,
                 uint64_t *qid) {
  uint64_t id;
  int rc = dht__query_start(d, kind, key, kl, cbs, ud, now, &id);
  if (rc)
    return rc;
  dht_query_t *q = d->q[d->nq - 1];
  q->max_provs = max;
  if (val) {
    q->val = tr_malloc(vl ? vl : 1);
    if (!q->val) {
      query_unlink(d, q);
      dht__query_free(q);
      return -ENOMEM;
    }
    memcpy(q->val, val, vl);
    q->vl = vl;
  }
  if (qid)
    *qid = id;
  if (kind == Q_PROVS) {
    dht_peer_t local[DHT_STORE_PER_KEY];
    size_t n = dht_store_providers(d->store, key, kl, now, local,
                                   TR_ARRAY_LEN(local));
    for (size_t i = 0; i < n; i++)
      report_provider(q, &local[i]);
  }
  if (kind == Q_VALUE) {
    /* Our own copy competes with what the network answers (go's GetValue
     * reads the local datastore first). */
    tr_bytes_t v = {0};
    if (!dht_store_get_record(d->store, key, kl, now, &v) && d->o.validate &&
        !d->o.validate(d->o.vud, key, kl, v.data, v.len, now)) {
      q->val = v.data;
      q->vl = v.len;
      q->have_val = true;
    } else {
      tr_bytes_free(&v);
    }
  }
  query_step(d, q, now);
  return 0;
}

int dht_find_node(dht_t *d, const uint8_t *key, size_t kl,
                  const dht_query_cbs_t *cbs, void *ud, uint64_t now,
                  uint64_t *qid) {
  return start(d, Q_FIND, key, kl, 0, NULL, 0, cbs, ud, now, qid);
}

int dht_find_closest(dht_t *d, const uint8_t *key, size_t kl,
                     const dht_query_cbs_t *cbs, void *ud, uint64_t now,
                     uint64_t *qid) {
  return start(d, Q_CLOSEST, key, kl, 0, NULL, 0, cbs, ud, now, qid);
}

int dht_get_providers(dht_t *d, const uint8_t *mh, size_t mhl, size_t max,
                      const dht_query_cbs_t *cbs, void *ud, uint64_t now,
                      uint64_t *qid) {
  return start(d, Q_PROVS, mh, mhl, max, NULL, 0, cbs, ud, now, qid);
}

int dht_get_value(dht_t *d, const uint8_t *key, size_t kl,
                  const dht_query_cbs_t *cbs, void *ud, uint64_t now,
                  uint64_t *qid) {
  return start(d, Q_VALUE, key, kl, 0, NULL, 0, cbs, ud, now, qid);
}

int dht_provide(dht_t *d, const uint8_t *mh, size_t mhl,
                const dht_query_cbs_t *cbs, void *ud, uint64_t now,
                uint64_t *qid) {
  if (!mhl || mhl > DHT_KEY_MAX)
    return TR_EUSAGE;
  dht_peer_t self = d->o.self_info;
  self.id = d->o.self;
  int rc = dht_store_add_provider(d->store, mh, mhl, &self,
                                  now + d->o.provider_ttl_ms);
  if (rc)
    return rc;
  return start(d, Q_PROVIDE, mh, mhl, 0, NULL, 0, cbs, ud, now, qid);
}

int dht_put_value(dht_t *d, const uint8_t *key, size_t kl,
                  const uint8_t *val, size_t vl, const dht_query_cbs_t *cbs,
                  void *ud, uint64_t now, uint64_t *qid) {
  if (!d->o.validate || d->o.validate(d->o.vud, key, kl, val, vl, now))
    return TR_EUSAGE;
  if (!kl || kl > DHT_KEY_MAX)
    return TR_EUSAGE;
  int rc = dht_store_put_record(d->store, key, kl, val, vl,
                                now + d->o.record_ttl_ms);
  if (rc)
    return rc;
  return start(d, Q_PUT, key, kl, 0, val, vl, cbs, ud, now, qid);
}

int dht_add_provider_to(dht_t *d, const uint8_t *mh, size_t mhl,
                        const dht_peer_t *peers, size_t n, uint64_t now,
                        size_t *done) {
  (void)now; /* nothing awaited, no deadline to set */
  if (done)
    *done = 0;
  if (!mhl || mhl > DHT_KEY_MAX)
    return TR_EUSAGE;
  dht_peer_t self = d->o.self_info;
  self.id = d->o.self;
  dht_msg_t m = {.type = DHT_ADD_PROVIDER, .key = (uint8_t *)mh,
                 .keylen = mhl, .providers = &self, .nproviders = 1};
  tr_bytes_t frame = {0};
  int rc = dht_msg_encode(&m, &frame);
  if (rc)
    return rc;
  int sent = 0;
  size_t i = 0;
  for (; i < n; i++) {
    dht_peer_t to = peers[i];
    if (net_peerid_equal(&to.id, &d->o.self) || !dht__addrs_ok(d, &to))
      continue;
    rc = dht__send_frame(d, &to, frame.data, frame.len);
    if (rc == TR_ELIMIT)
      break;
    if (!rc)
      sent++;
  }
  tr_bytes_free(&frame);
  if (done)
    *done = i;
  return sent;
}

void dht_cancel(dht_t *d, uint64_t qid) {
  for (size_t i = 0; i < d->nq; i++)
    if (d->q[i]->id == qid) {
      dht_query_t *q = d->q[i];
      query_unlink(d, q);
      dht__query_free(q);
      d->st.queries = (uint32_t)d->nq;
      return;
    }
}

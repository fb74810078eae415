/*
 * rtable.c — the routing table: bucket i holds the peers whose key shares
 * exactly i leading bits with ours.  Each bucket keeps k live peers, least
 * recently seen first, and k replacements; a peer that fails
 * DHT_RT_FAILS_MAX requests in a row is dropped and the newest
 * replacement takes its place (Kademlia's §2.4 policy, which keeps the
 * long-lived peers a churning network rewards).
 */
#include <errno.h>
#include <string.h>

#include "dht_int.h"


unsigned dht_cpl(const uint8_t a[32], const uint8_t b[32]) {
  for (unsigned i = 0; i < 32; i++) {
    uint8_t x = a[i] ^ b[i];
    if (x)
      return i * 8 + (unsigned)__builtin_clz(x) - 24;
  }
  return 256;
}

int dht_closer(const uint8_t t[32], const uint8_t a[32], const uint8_t b[32]) {
  for (unsigned i = 0; i < 32; i++) {
    uint8_t x = a[i] ^ t[i], y = b[i] ^ t[i];
    if (x != y)
      return x < y ? -1 : 1;
  }
  return 0;
}

void dht__rt_init(dht_t *d) {
  for (unsigned i = 0; i < TR_ARRAY_LEN(d->b); i++)
    d->b[i].refreshed = 0;
}

void dht__rt_free(dht_t *d) {
  for (unsigned i = 0; i < TR_ARRAY_LEN(d->b); i++) {
    tr_free(d->b[i].v);
    tr_free(d->b[i].repl);
    d->b[i].v = d->b[i].repl = NULL;
  }
}

static int bucket_alloc(dht_t *d, dht_bucket_t *b) {
  if (b->v)
    return 0;
  b->v = tr_calloc(d->o.k, sizeof *b->v);
  b->repl = tr_calloc(d->o.k, sizeof *b->repl);
  if (!b->v || !b->repl) {
    tr_free(b->v);
    tr_free(b->repl);
    b->v = b->repl = NULL;
    return -ENOMEM;
  }
  return 0;
}

dht_rtent_t *dht__rt_find(dht_t *d, const net_peerid_t *id) {
  uint8_t k[32];
  dht_key(id->bytes, id->len, k);
  dht_bucket_t *b = &d->b[dht_cpl(k, d->selfkey)];
  for (uint32_t i = 0; i < b->n; i++)
    if (net_peerid_equal(&b->v[i].p.id, id))
      return &b->v[i];
  return NULL;
}

/* Move entry i of the bucket to the end (most recently seen). */
static void to_tail(dht_bucket_t *b, uint32_t i) {
  dht_rtent_t e = b->v[i];
  memmove(&b->v[i], &b->v[i + 1], (b->n - i - 1) * sizeof e);
  b->v[b->n - 1] = e;
}

static void put_repl(dht_t *d, dht_bucket_t *b, const dht_peer_t *p,
                     const uint8_t key[32], uint64_t now) {
  for (uint32_t i = 0; i < b->nrepl; i++)
    if (net_peerid_equal(&b->repl[i].p.id, &p->id)) {
      memmove(&b->repl[i], &b->repl[i + 1],
              (b->nrepl - i - 1) * sizeof *b->repl);
      b->nrepl--;
      break;
    }
  if (b->nrepl == d->o.k) {
    memmove(&b->repl[0], &b->repl[1], (b->nrepl - 1) * sizeof *b->repl);
    b->nrepl--;
  }
  dht_rtent_t *e = &b->repl[b->nrepl++];
  memset(e, 0, sizeof *e);
  e->p = *p;
  memcpy(e->key, key, 32);
  e->last_seen = now;
}

void dht__rt_seen(dht_t *d, const dht_peer_t *p, uint64_t now) {
  if (net_peerid_equal(&p->id, &d->o.self))
    return;
  uint8_t k[32];
  dht_key(p->id.bytes, p->id.len, k);
  unsigned cpl = dht_cpl(k, d->selfkey);
  dht_bucket_t *b = &d->b[cpl];
  for (uint32_t i = 0; i < b->n; i++)
    if (net_peerid_equal(&b->v[i].p.id, &p->id)) {
      if (p->naddrs) {
        b->v[i].p = *p;
        b->v[i].p.conn = DHT_NOT_CONNECTED;
      }
      b->v[i].last_seen = now;
      b->v[i].fails = 0;
      to_tail(b, i);
      return;
    }
  if (!p->naddrs)
    return; /* a peer we could not reach again is no use in the table */
  if (bucket_alloc(d, b))
    return;
  if (b->n < d->o.k) {
    dht_rtent_t *e = &b->v[b->n++];
    memset(e, 0, sizeof *e);
    e->p = *p;
    e->p.conn = DHT_NOT_CONNECTED;
    memcpy(e->key, k, 32);
    e->last_seen = now;
    d->rtn++;
    return;
  }
  put_repl(d, b, p, k, now);
}

static void evict(dht_t *d, dht_bucket_t *b, uint32_t i) {
  memmove(&b->v[i], &b->v[i + 1], (b->n - i - 1) * sizeof *b->v);
  b->n--;
  d->rtn--;
  if (b->nrepl) {
    /* The newest replacement, at the head: it has not been seen lately
     * by the table, so it is the next to be checked. */
    memmove(&b->v[1], &b->v[0], b->n * sizeof *b->v);
    b->v[0] = b->repl[--b->nrepl];
    b->n++;
    d->rtn++;
  }
}

void dht__rt_failed(dht_t *d, const net_peerid_t *id) {
  uint8_t k[32];
  dht_key(id->bytes, id->len, k);
  dht_bucket_t *b = &d->b[dht_cpl(k, d->selfkey)];
  for (uint32_t i = 0; i < b->n; i++)
    if (net_peerid_equal(&b->v[i].p.id, id)) {
      b->v[i].checking = false;
      if (++b->v[i].fails >= DHT_RT_FAILS_MAX)
        evict(d, b, i);
      return;
    }
}

int dht_add_peer(dht_t *d, const dht_peer_t *p, uint64_t now) {
  if (net_peerid_equal(&p->id, &d->o.self))
    return TR_EUSAGE;
  dht_peer_t f = *p;
  if (!dht__addrs_ok(d, &f))
    return TR_EUSAGE;
  dht__rt_seen(d, &f, now);
  return 0;
}

void dht_remove_peer(dht_t *d, const net_peerid_t *id) {
  uint8_t k[32];
  dht_key(id->bytes, id->len, k);
  dht_bucket_t *b = &d->b[dht_cpl(k, d->selfkey)];
  for (uint32_t i = 0; i < b->n; i++)
    if (net_peerid_equal(&b->v[i].p.id, id)) {
      evict(d, b, i);
      return;
    }
  for (uint32_t i = 0; i < b->nrepl; i++)
    if (net_peerid_equal(&b->repl[i].p.id, id)) {
      memmove(&b->repl[i], &b->repl[i + 1],
              (b->nrepl - i - 1) * sizeof *b->repl);
      b->nrepl--;
      return;
    }
}

size_t dht_rt_size(const dht_t *d) { return d->rtn; }

void dht_rt_walk(const dht_t *d, dht_rt_fn fn, void *ud) {
  for (unsigned i = 0; i < TR_ARRAY_LEN(d->b); i++)
    for (uint32_t j = 0; j < d->b[i].n; j++)
      fn(ud, i, &d->b[i].v[j].p, d->b[i].v[j].last_seen);
}

size_t dht_rt_closest(const dht_t *d, const uint8_t *key, size_t kl,
                      dht_peer_t *out, size_t max) {
  uint8_t t[32];
  dht_key(key, kl, t);
  /* Insertion into a short sorted list of pointers: the table holds a
   * few hundred peers and max is k. */
  const dht_rtent_t *best[DHT_QUERY_CANDS_MAX];
  if (max > DHT_QUERY_CANDS_MAX)
    max = DHT_QUERY_CANDS_MAX;
  size_t n = 0;
  for (unsigned i = 0; i < TR_ARRAY_LEN(d->b); i++)
    for (uint32_t j = 0; j < d->b[i].n; j++) {
      const dht_rtent_t *e = &d->b[i].v[j];
      if (n == max && dht_closer(t, e->key, best[n - 1]->key) >= 0)
        continue;
      size_t at = n < max ? n++ : n - 1;
      while (at > 0 && dht_closer(t, e->key, best[at - 1]->key) < 0) {
        best[at] = best[at - 1];
        at--;
      }
      best[at] = e;
    }
  for (size_t i = 0; i < n; i++)
    out[i] = best[i]->p;
  return n;
}

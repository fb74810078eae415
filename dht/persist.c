/*
 * persist.c — a DHT's table and records as bytes and back (persist.h).
 */
#include "persist.h"

#include <errno.h>
#include <string.h>

#define MAGIC "TRDHT1\n"

typedef struct dump {
  tr_bytes_t *out;
  int rc;
} dump_t;

static void put(dump_t *w, const void *p, size_t n) {
  if (!w->rc)
    w->rc = tr_bytes_append(w->out, p, n);
}

static void put_int(dump_t *w, uint64_t v, int bytes) {
  uint8_t b[8];
  for (int i = 0; i < bytes; i++)
    b[i] = (uint8_t)(v >> (8 * i));
  put(w, b, (size_t)bytes);
}

static void put_peer(dump_t *w, const dht_peer_t *p) {
  put_int(w, p->id.len, 1);
  put(w, p->id.bytes, p->id.len);
  put_int(w, p->naddrs, 1);
  for (uint8_t i = 0; i < p->naddrs; i++) {
    put_int(w, p->addrlen[i], 1);
    put(w, p->addrs[i], p->addrlen[i]);
  }
}

static void rt_peer(void *ud, unsigned bucket, const dht_peer_t *p,
                    uint64_t last_seen) {
  (void)bucket, (void)last_seen;
  dump_t *w = ud;
  put_int(w, 1, 1);
  put_peer(w, p);
}

static void record(void *ud, const uint8_t *key, size_t kl,
                   const dht_peer_t *p, const uint8_t *val, size_t vl,
                   uint64_t expires) {
  dump_t *w = ud;
  put_int(w, p ? 2 : 3, 1);
  put_int(w, kl, 2);
  put(w, key, kl);
  if (p) {
    put_peer(w, p);
  } else {
    put_int(w, vl, 4);
    put(w, val, vl);
  }
  put_int(w, expires, 8);
}

int dht_persist_dump(dht_t *d, uint64_t now, tr_bytes_t *out) {
  if (!dht_store_is_mem(dht_store(d)))
    return TR_EUSAGE;
  dump_t w = {out, 0};
  put(&w, MAGIC, sizeof MAGIC - 1);
  dht_rt_walk(d, rt_peer, &w);
  dht_memstore_each(dht_store(d), now, record, &w);
  return w.rc;
}

/* ------------------------------------------------------------ loading */

typedef struct rd {
  const uint8_t *p;
  size_t n;
  bool bad;
} rd_t;

static const uint8_t *take(rd_t *r, size_t n) {
  if (r->bad || r->n < n) {
    r->bad = true;
    return NULL;
  }
  const uint8_t *p = r->p;
  r->p += n, r->n -= n;
  return p;
}

static uint64_t get_int(rd_t *r, int bytes) {
  const uint8_t *b = take(r, (size_t)bytes);
  uint64_t v = 0;
  for (int i = 0; b && i < bytes; i++)
    v |= (uint64_t)b[i] << (8 * i);
  return v;
}

static bool get_peer(rd_t *r, dht_peer_t *p) {
  size_t il = (size_t)get_int(r, 1);
  const uint8_t *id = take(r, il);
  net_peerid_t pid;
  if (!id || net_peerid_from_bytes(&pid, id, il))
    return false;
  size_t na = (size_t)get_int(r, 1);
  const uint8_t *a[DHT_PEER_ADDRS_MAX];
  size_t l[DHT_PEER_ADDRS_MAX], k = 0;
  for (size_t i = 0; i < na; i++) {
    size_t al = (size_t)get_int(r, 1);
    const uint8_t *ab = take(r, al);
    if (!ab)
      return false;
    if (k < DHT_PEER_ADDRS_MAX)
      a[k] = ab, l[k++] = al;
  }
  dht_peer_set(p, &pid, a, l, k);
  return !r->bad;
}

int dht_persist_load(dht_t *d, const uint8_t *p, size_t n, uint64_t now) {
  if (n < sizeof MAGIC - 1 || memcmp(p, MAGIC, sizeof MAGIC - 1))
    return TR_ECORRUPT;
  rd_t r = {p + sizeof MAGIC - 1, n - (sizeof MAGIC - 1), false};
  int taken = 0;
  dht_store_t *st = dht_store(d);
  while (r.n && !r.bad) {
    int type = (int)get_int(&r, 1);
    dht_peer_t peer;
    if (type == 1) {
      if (!get_peer(&r, &peer))
        break;
      if (!dht_add_peer(d, &peer, now))
        taken++;
      continue;
    }
    if (type != 2 && type != 3)
      break;
    size_t kl = (size_t)get_int(&r, 2);
    const uint8_t *key = take(&r, kl);
    if (!key || !kl || kl > DHT_KEY_MAX)
      break;
    if (type == 2) {
      if (!get_peer(&r, &peer))
        break;
      uint64_t exp = get_int(&r, 8);
      if (!r.bad && exp > now && !dht_store_add_provider(st, key, kl, &peer, exp))
        taken++;
    } else {
      size_t vl = (size_t)get_int(&r, 4);
      const uint8_t *val = vl <= DHT_RECORD_VALUE_MAX ? take(&r, vl) : NULL;
      uint64_t exp = get_int(&r, 8);
      if (!val || r.bad)
        break;
      if (exp > now && !dht_store_put_record(st, key, kl, val, vl, exp))
        taken++;
    }
  }
  return taken;
}

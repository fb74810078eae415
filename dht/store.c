/*
 * store.c — the in-memory DHT store (store.h): two open-addressing tables,
 * keys by SHA-256 of the key and provider peers by SHA-256 of the PeerID,
 * each rebuilt when its live and dead slots pass half the table.
 */
#include "store.h"

#include <errno.h>
#include <string.h>

#include "../dag/multihash.h"

enum { SLOT_EMPTY = 0, SLOT_USED = 1, SLOT_DEAD = 2 };

typedef struct mprov {
  uint32_t peer; /* slot in the peer table */
  uint64_t expires;
} mprov_t;

typedef struct mkey {
  uint8_t state; /* slot_t's fields first */
  uint8_t h[32];
  uint32_t nprov, cap;
  mprov_t *prov;
  uint8_t *key; /* the key itself, for dht_memstore_each() */
  uint16_t kl;
  uint8_t *val;
  uint32_t vl;
  uint64_t vexp;
} mkey_t;

typedef struct mpeer {
  uint8_t state; /* slot_t's fields first */
  uint8_t h[32];
  uint32_t refs;
  dht_peer_t p;
} mpeer_t;

typedef struct memstore {
  dht_store_t base;
  size_t max_keys, per_key;
  mkey_t *k;
  size_t kcap, klive, kdead;
  mpeer_t *p;
  size_t pcap, plive, pdead;
} memstore_t;

static uint64_t h64(const uint8_t h[32]) {
  uint64_t v;
  memcpy(&v, h, 8);
  return v;
}

/* Both tables' slots begin with this header. */
typedef struct slot {
  uint8_t state;
  uint8_t h[32];
} slot_t;

/* The slot of h in tab (cap slots of stride bytes), or where it would go
 * (the first dead slot on the way when absent); *found says which. */
static size_t find(const void *tab, size_t stride, size_t cap,
                   const uint8_t h[32], bool *found) {
  size_t m = cap - 1, i = h64(h) & m, dead = SIZE_MAX;
  *found = false;
  for (;; i = (i + 1) & m) {
    const slot_t *sl = (const slot_t *)((const char *)tab + i * stride);
    if (sl->state == SLOT_EMPTY)
      break;
    if (sl->state == SLOT_DEAD) {
      if (dead == SIZE_MAX)
        dead = i;
    } else if (!memcmp(sl->h, h, 32)) {
      *found = true;
      return i;
    }
  }
  return dead != SIZE_MAX ? dead : i;
}
#define FIND(tab, cap, h, found) find((tab), sizeof *(tab), (cap), (h), (found))

static int key_grow(memstore_t *s) {
  size_t ncap = s->kcap ? s->kcap : 64;
  while (s->klive * 2 >= ncap)
    ncap *= 2;
  mkey_t *n = tr_calloc(ncap, sizeof *n);
  if (!n)
    return -ENOMEM;
  for (size_t i = 0; i < s->kcap; i++) {
    if (s->k[i].state != SLOT_USED)
      continue;
    bool f;
    size_t j = FIND(n, ncap, s->k[i].h, &f);
    n[j] = s->k[i];
  }
  tr_free(s->k);
  s->k = n, s->kcap = ncap, s->kdead = 0;
  return 0;
}

static int peer_grow(memstore_t *s) {
  size_t ncap = s->pcap ? s->pcap : 64;
  while (s->plive * 2 >= ncap)
    ncap *= 2;
  mpeer_t *n = tr_calloc(ncap, sizeof *n);
  if (!n)
    return -ENOMEM;
  /* Provider entries name peers by slot: remap them. */
  uint32_t *map = tr_malloc((s->pcap ? s->pcap : 1) * sizeof *map);
  if (!map) {
    tr_free(n);
    return -ENOMEM;
  }
  for (size_t i = 0; i < s->pcap; i++) {
    if (s->p[i].state != SLOT_USED)
      continue;
    bool f;
    size_t j = FIND(n, ncap, s->p[i].h, &f);
    n[j] = s->p[i];
    map[i] = (uint32_t)j;
  }
  for (size_t i = 0; i < s->kcap; i++)
    for (uint32_t j = 0; s->k[i].state == SLOT_USED && j < s->k[i].nprov; j++)
      s->k[i].prov[j].peer = map[s->k[i].prov[j].peer];
  tr_free(map);
  tr_free(s->p);
  s->p = n, s->pcap = ncap, s->pdead = 0;
  return 0;
}

static void peer_unref(memstore_t *s, uint32_t slot) {
  if (--s->p[slot].refs == 0) {
    s->p[slot].state = SLOT_DEAD;
    s->plive--, s->pdead++;
  }
}

static void key_drop_if_empty(memstore_t *s, mkey_t *k) {
  if (k->nprov || k->val)
    return;
  tr_free(k->prov);
  tr_free(k->key);
  memset(k, 0, sizeof *k);
  k->state = SLOT_DEAD;
  s->klive--, s->kdead++;
}

/* The key's entry, made when absent and make is set; NULL when absent (or
 * on TR_ELIMIT / -ENOMEM in *err). */
static mkey_t *key_get(memstore_t *s, const uint8_t *key, size_t kl,
                       bool make, int *err) {
  uint8_t h[32];
  dag_sha256(key, kl, h);
  *err = 0;
  if (!s->kcap && !make)
    return NULL;
  if ((s->klive + s->kdead + 1) * 2 > s->kcap) {
    if (!make && s->kcap)
      goto look;
    if ((*err = key_grow(s)))
      return NULL;
  }
look:;
  bool f;
  size_t i = FIND(s->k, s->kcap, h, &f);
  if (f)
    return &s->k[i];
  if (!make)
    return NULL;
  if (s->klive >= s->max_keys) {
    *err = TR_ELIMIT;
    return NULL;
  }
  uint8_t *copy = tr_malloc(kl ? kl : 1);
  if (!copy) {
    *err = -ENOMEM;
    return NULL;
  }
  memcpy(copy, key, kl);
  if (s->k[i].state == SLOT_DEAD)
    s->kdead--;
  memset(&s->k[i], 0, sizeof s->k[i]);
  s->k[i].state = SLOT_USED;
  memcpy(s->k[i].h, h, 32);
  s->k[i].key = copy;
  s->k[i].kl = (uint16_t)kl;
  s->klive++;
  return &s->k[i];
}

static int peer_get(memstore_t *s, const dht_peer_t *p, uint32_t *slot) {
  uint8_t h[32];
  dag_sha256(p->id.bytes, p->id.len, h);
  if ((s->plive + s->pdead + 1) * 2 > s->pcap) {
    int rc = peer_grow(s);
    if (rc)
      return rc;
  }
  bool f;
  size_t i = FIND(s->p, s->pcap, h, &f);
  if (!f) {
    if (s->p[i].state == SLOT_DEAD)
      s->pdead--;
    memset(&s->p[i], 0, sizeof s->p[i]);
    s->p[i].state = SLOT_USED;
    memcpy(s->p[i].h, h, 32);
    s->p[i].p.id = p->id;
    s->plive++;
  }
  if (p->naddrs) {
    uint32_t refs = s->p[i].refs;
    s->p[i].p = *p;
    s->p[i].p.conn = DHT_NOT_CONNECTED;
    s->p[i].refs = refs;
  }
  *slot = (uint32_t)i;
  return 0;
}

static int ms_add_provider(dht_store_t *b, const uint8_t *key, size_t kl,
                           const dht_peer_t *p, uint64_t expires) {
  memstore_t *s = (memstore_t *)b;
  int err;
  /* The peer first: growing the peer table remaps slots in keys. */
  uint32_t slot;
  if ((err = peer_get(s, p, &slot)))
    return err;
  mkey_t *k = key_get(s, key, kl, true, &err);
  if (!k) {
    if (!s->p[slot].refs) {
      s->p[slot].state = SLOT_DEAD;
      s->plive--, s->pdead++;
    }
    return err;
  }
  for (uint32_t j = 0; j < k->nprov; j++)
    if (k->prov[j].peer == slot) {
      if (expires > k->prov[j].expires)
        k->prov[j].expires = expires;
      return 0;
    }
  if (k->nprov == s->per_key) {
    uint32_t old = 0;
    for (uint32_t j = 1; j < k->nprov; j++)
      if (k->prov[j].expires < k->prov[old].expires)
        old = j;
    if (k->prov[old].expires >= expires)
      return 0; /* the newcomer would expire first: it is the one dropped */
    peer_unref(s, k->prov[old].peer);
    k->prov[old] = (mprov_t){slot, expires};
    s->p[slot].refs++;
    return 0;
  }
  if (k->nprov == k->cap) {
    uint32_t ncap = k->cap ? k->cap * 2 : 4;
    mprov_t *n = tr_realloc(k->prov, ncap * sizeof *n);
    if (!n) {
      key_drop_if_empty(s, k);
      return -ENOMEM;
    }
    k->prov = n, k->cap = ncap;
  }
  k->prov[k->nprov++] = (mprov_t){slot, expires};
  s->p[slot].refs++;
  return 0;
}

static size_t ms_providers(dht_store_t *b, const uint8_t *key, size_t kl,
                           uint64_t now, dht_peer_t *out, size_t max) {
  memstore_t *s = (memstore_t *)b;
  int err;
  mkey_t *k = key_get(s, key, kl, false, &err);
  size_t n = 0;
  for (uint32_t j = 0; k && j < k->nprov && n < max; j++)
    if (k->prov[j].expires > now)
      out[n++] = s->p[k->prov[j].peer].p;
  return n;
}

static int ms_put_record(dht_store_t *b, const uint8_t *key, size_t kl,
                         const uint8_t *val, size_t vl, uint64_t expires) {
  memstore_t *s = (memstore_t *)b;
  uint8_t *copy = tr_malloc(vl ? vl : 1);
  if (!copy)
    return -ENOMEM;
  memcpy(copy, val, vl);
  int err;
  mkey_t *k = key_get(s, key, kl, true, &err);
  if (!k) {
    tr_free(copy);
    return err;
  }
  tr_free(k->val);
  k->val = copy, k->vl = (uint32_t)vl, k->vexp = expires;
  return 0;
}

static int ms_get_record(dht_store_t *b, const uint8_t *key, size_t kl,
                         uint64_t now, tr_bytes_t *out) {
  memstore_t *s = (memstore_t *)b;
  int err;
  mkey_t *k = key_get(s, key, kl, false, &err);
  if (!k || !k->val || k->vexp <= now)
    return TR_ENOTFOUND;
  return tr_bytes_append(out, k->val, k->vl);
}

static void ms_expire(dht_store_t *b, uint64_t now) {
  memstore_t *s = (memstore_t *)b;
  for (size_t i = 0; i < s->kcap; i++) {
    mkey_t *k = &s->k[i];
    if (k->state != SLOT_USED)
      continue;
    uint32_t w = 0;
    for (uint32_t j = 0; j < k->nprov; j++) {
      if (k->prov[j].expires > now)
        k->prov[w++] = k->prov[j];
      else
        peer_unref(s, k->prov[j].peer);
    }
    k->nprov = w;
    if (k->val && k->vexp <= now) {
      tr_free(k->val);
      k->val = NULL;
    }
    key_drop_if_empty(s, k);
  }
}

static void ms_free(dht_store_t *b) {
  memstore_t *s = (memstore_t *)b;
  for (size_t i = 0; i < s->kcap; i++)
    if (s->k[i].state == SLOT_USED) {
      tr_free(s->k[i].prov);
      tr_free(s->k[i].val);
      tr_free(s->k[i].key);
    }
  tr_free(s->k);
  tr_free(s->p);
  tr_free(s);
}

static const dht_store_ops_t ms_ops = {
    ms_add_provider, ms_providers, ms_put_record,
    ms_get_record,   ms_expire,    ms_free,
};

int dht_memstore_new(size_t max_keys, size_t per_key, dht_store_t **out) {
  memstore_t *s = tr_calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->base.ops = &ms_ops;
  s->max_keys = max_keys ? max_keys : DHT_STORE_KEYS_MAX;
  s->per_key = per_key ? per_key : DHT_STORE_PER_KEY;
  *out = &s->base;
  return 0;
}

bool dht_store_is_mem(const dht_store_t *s) {
  return s && s->ops == &ms_ops;
}

size_t dht_memstore_keys(const dht_store_t *b) {
  return ((const memstore_t *)b)->klive;
}

void dht_memstore_each(dht_store_t *b, uint64_t now, dht_memstore_fn fn,
                       void *ud) {
  memstore_t *s = (memstore_t *)b;
  for (size_t i = 0; i < s->kcap; i++) {
    mkey_t *k = &s->k[i];
    if (k->state != SLOT_USED)
      continue;
    for (uint32_t j = 0; j < k->nprov; j++)
      if (k->prov[j].expires > now)
        fn(ud, k->key, k->kl, &s->p[k->prov[j].peer].p, NULL, 0,
           k->prov[j].expires);
    if (k->val && k->vexp > now)
      fn(ud, k->key, k->kl, NULL, k->val, k->vl, k->vexp);
  }
}

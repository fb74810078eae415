/*
 * store.h — what a DHT server keeps for others: provider records (this
 * peer has the block with this multihash, until then) and value records
 * (IPNS, public keys), behind an interface so that the daemon can keep
 * them in LMDB across restarts and the simulator in memory.
 *
 * Times are the DHT's now (milliseconds); a store that persists wants the
 * adapter's now to be wall-clock time.
 *
 * dht_memstore_new() is the in-memory store: a hash table on SHA-256 of
 * the key, at most max_keys keys and per_key providers a key (a full key
 * drops its record expiring first for a newcomer; a full table refuses
 * new keys with TR_ELIMIT until dht_store_expire() frees some).  A
 * provider's addresses are kept once per peer, not once per record.
 */
#ifndef DHT_STORE_H
#define DHT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "msg.h"

typedef struct dht_store dht_store_t;

typedef struct dht_store_ops {
  /* p provides key until expires (a provider already there is renewed,
   * its addresses replaced when p has some).  0, TR_ELIMIT, -ENOMEM. */
  int (*add_provider)(dht_store_t *s, const uint8_t *key, size_t kl,
                      const dht_peer_t *p, uint64_t expires);
  /* The providers of key not expired at now, up to max, into out;
   * returns how many. */
  size_t (*providers)(dht_store_t *s, const uint8_t *key, size_t kl,
                      uint64_t now, dht_peer_t *out, size_t max);
  /* Keep value for key until expires, replacing what was there (the
   * caller chose it).  0, TR_ELIMIT, -ENOMEM. */
  int (*put_record)(dht_store_t *s, const uint8_t *key, size_t kl,
                    const uint8_t *val, size_t vl, uint64_t expires);
  /* The record for key into out (appended): 0, TR_ENOTFOUND, -ENOMEM. */
  int (*get_record)(dht_store_t *s, const uint8_t *key, size_t kl,
                    uint64_t now, tr_bytes_t *out);
  /* Drop what expired before now. */
  void (*expire)(dht_store_t *s, uint64_t now);
  void (*free)(dht_store_t *s);
} dht_store_ops_t;

struct dht_store {
  const dht_store_ops_t *ops;
};

static inline int dht_store_add_provider(dht_store_t *s, const uint8_t *k,
                                         size_t kl, const dht_peer_t *p,
                                         uint64_t exp) {
  return s->ops->add_provider(s, k, kl, p, exp);
}
static inline size_t dht_store_providers(dht_store_t *s, const uint8_t *k,
                                         size_t kl, uint64_t now,
                                         dht_peer_t *out, size_t max) {
  return s->ops->providers(s, k, kl, now, out, max);
}
static inline int dht_store_put_record(dht_store_t *s, const uint8_t *k,
                                       size_t kl, const uint8_t *v,
                                       size_t vl, uint64_t exp) {
  return s->ops->put_record(s, k, kl, v, vl, exp);
}
static inline int dht_store_get_record(dht_store_t *s, const uint8_t *k,
                                       size_t kl, uint64_t now,
                                       tr_bytes_t *out) {
  return s->ops->get_record(s, k, kl, now, out);
}
static inline void dht_store_expire(dht_store_t *s, uint64_t now) {
  s->ops->expire(s, now);
}
static inline void dht_store_free(dht_store_t *s) {
  if (s)
    s->ops->free(s);
}

#define DHT_STORE_KEYS_MAX (1u << 20)
#define DHT_STORE_PER_KEY 64

/* 0 for a default; 0 or -ENOMEM. */
int dht_memstore_new(size_t max_keys, size_t per_key,
                     dht_store_t **out) TR_WUR;
/* Whether s is the in-memory store. */
bool dht_store_is_mem(const dht_store_t *s);
/* Keys held (providers or record). */
size_t dht_memstore_keys(const dht_store_t *s);

/* Walk what b (a memstore) holds and has not expired at now: each
 * provider record (p set, val NULL) and each value record (p NULL). */
typedef void (*dht_memstore_fn)(void *ud, const uint8_t *key, size_t kl,
                                const dht_peer_t *p, const uint8_t *val,
                                size_t vl, uint64_t expires);
void dht_memstore_each(dht_store_t *b, uint64_t now, dht_memstore_fn fn,
                       void *ud);

#endif /* DHT_STORE_H */

/*
 * ipns_util.h — what test_ipns.c and test_ipns_rules.c share: the clock
 * they validate at, keys from a seed, the routing key of a key, and a
 * record of PATH made with dht_ipns_create().
 */
#ifndef TEST_IPNS_UTIL_H
#define TEST_IPNS_UTIL_H

#include "testutil.h"

#include "../dht/ipns.h"

/* 2026-01-01T00:00:00Z: after every fixture was made, before any expires
 * (they are valid for about 100 years). */
static const dht_ipns_time_t NOW = {1767225600, 0};

static inline void seed_key(net_privkey_t *sk, uint8_t v) {
  uint8_t seed[32];
  memset(seed, v, sizeof seed);
  net_privkey_from_seed(sk, seed);
}

static inline void key_of(const net_privkey_t *sk,
                          uint8_t key[DHT_IPNS_KEY_MAX], size_t *kl,
                          net_peerid_t *id) {
  net_pubkey_t pk;
  net_privkey_pubkey(sk, &pk);
  assert_int_equal(net_peerid_from_pubkey(id, &pk), 0);
  int n = dht_ipns_key(id, key, DHT_IPNS_KEY_MAX);
  assert_true(n > 0);
  *kl = (size_t)n;
}

static const char PATH[] = "/ipfs/bafkqae3imvwgy3zamzxxe3jamnxw63aa";
#define HOUR INT64_C(3600)

/* A record of PATH with sequence seq, valid until NOW + eol_s, into out. */
static inline void make(const net_privkey_t *sk, uint64_t seq,
                        int64_t eol_s, unsigned flags, tr_bytes_t *out) {
  dht_ipns_time_t eol = {NOW.sec + eol_s, 0};
  out->len = 0;
  assert_int_equal(dht_ipns_create(sk, (const uint8_t *)PATH, strlen(PATH),
                                   seq, eol, 0, flags, out),
                   0);
}

#endif /* TEST_IPNS_UTIL_H */

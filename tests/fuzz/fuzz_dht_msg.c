/*
 * fuzz_dht_msg.c — libFuzzer target for the kad DHT's wire messages
 * (dht/msg.h): the input is a stream as a peer would send it, frames
 * (dht_frame) each decoded (dht_msg_decode).  Only documented codes come
 * back; every decoded message keeps its caps (peers, addresses, valid
 * multiaddrs, key and record sizes), re-encodes, and decodes again to the
 * same fields.
 * Build: make build-fuzz/fuzz_dht_msg; seeds in
 * tests/fuzz/corpus/fuzz_dht_msg.
 */
#include "../../dht/msg.h"
#include "../../net/multiaddr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void check_peers(const dht_peer_t *v, size_t n) {
  if (n > DHT_MSG_PEERS_MAX || (n && !v))
    abort();
  for (size_t i = 0; i < n; i++) {
    net_peerid_t id;
    if (net_peerid_from_bytes(&id, v[i].id.bytes, v[i].id.len) ||
        v[i].naddrs > DHT_PEER_ADDRS_MAX || v[i].conn > DHT_CANNOT_CONNECT)
      abort();
    for (size_t j = 0; j < v[i].naddrs; j++)
      if (v[i].addrlen[j] > DHT_ADDR_MAX ||
          net_ma_validate(v[i].addrs[j], v[i].addrlen[j]))
        abort();
  }
}

static void same_peers(const dht_peer_t *a, const dht_peer_t *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!net_peerid_equal(&a[i].id, &b[i].id) || a[i].conn != b[i].conn ||
        a[i].naddrs != b[i].naddrs)
      abort();
    for (size_t j = 0; j < a[i].naddrs; j++)
      if (a[i].addrlen[j] != b[i].addrlen[j] ||
          memcmp(a[i].addrs[j], b[i].addrs[j], a[i].addrlen[j]))
        abort();
  }
}

static bool same_bytes(const uint8_t *a, size_t al, const uint8_t *b,
                       size_t bl) {
  return al == bl && (!al || !memcmp(a, b, al));
}

/* b is a re-decode of a: the same fields, and nothing dropped twice. */
static void same(const dht_msg_t *a, const dht_msg_t *b) {
  if (a->type != b->type || a->cluster_level != b->cluster_level ||
      !same_bytes(a->key, a->keylen, b->key, b->keylen) ||
      a->has_record != b->has_record || a->ncloser != b->ncloser ||
      a->nproviders != b->nproviders || b->closer_dropped ||
      b->providers_dropped)
    abort();
  if (a->has_record &&
      (!same_bytes(a->record.key, a->record.keylen, b->record.key,
                   b->record.keylen) ||
       !same_bytes(a->record.value, a->record.vlen, b->record.value,
                   b->record.vlen) ||
       strcmp(a->record.time_received, b->record.time_received)))
    abort();
  same_peers(a->closer, b->closer, a->ncloser);
  same_peers(a->providers, b->providers, a->nproviders);
}

static void one(const uint8_t *body, size_t blen) {
  dht_msg_t m1, m2;
  int rc = dht_msg_decode(body, blen, &m1);
  if (rc == TR_EPROTO || rc == -ENOMEM) {
    if (m1.key || m1.closer || m1.providers || m1.record.key ||
        m1.record.value)
      abort(); /* "on error m holds nothing to free" */
    return;
  }
  if (rc)
    abort();
  if ((unsigned)m1.type > DHT_PING || m1.keylen > DHT_KEY_MAX ||
      (m1.keylen && !m1.key) || m1.record.keylen > DHT_KEY_MAX ||
      m1.record.vlen > DHT_RECORD_VALUE_MAX ||
      !memchr(m1.record.time_received, 0, DHT_TIME_MAX))
    abort();
  check_peers(m1.closer, m1.ncloser);
  check_peers(m1.providers, m1.nproviders);
  tr_bytes_t b = {0};
  rc = dht_msg_encode(&m1, &b);
  if (rc == -ENOMEM)
    goto out;
  const uint8_t *b2;
  size_t l2;
  if (rc || dht_frame(b.data, b.len, DHT_MSG_MAX, &b2, &l2) != (int64_t)b.len)
    abort();
  rc = dht_msg_decode(b2, l2, &m2);
  if (rc == -ENOMEM)
    goto out;
  if (rc)
    abort();
  same(&m1, &m2);
  dht_msg_free(&m2);
out:
  tr_bytes_free(&b);
  dht_msg_free(&m1);
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  while (n > 0) {
    const uint8_t *body;
    size_t blen;
    int64_t k = dht_frame(p, n, DHT_MSG_MAX, &body, &blen);
    if (k == 0 || k == TR_EPROTO || k == TR_ETOOBIG)
      return 0;
    if (k < 0 || (size_t)k > n || blen > DHT_MSG_MAX || body < p ||
        body + blen != p + k)
      abort();
    one(body, blen);
    p += k, n -= (size_t)k;
  }
  return 0;
}

/*
 * serve.c — the server side: a request in, its reply out, as
 * go-libp2p-kad-dht's handlers.go answers them.
 */
#include <errno.h>
#include <string.h>

#include "../dag/multihash.h"
#include "dht_int.h"

/* The k closest peers we know to key, less the requester (it knows
 * itself) and peers we hold no address for. */
static size_t closer(dht_t *d, const uint8_t *key, size_t kl,
                     const net_peerid_t *from, dht_peer_t *out) {
  dht_peer_t tmp[DHT_K + 1];
  size_t want = d->o.k < DHT_K ? d->o.k : DHT_K;
  size_t n = dht_rt_closest(d, key, kl, tmp, want + 1), w = 0;
  for (size_t i = 0; i < n && w < want; i++)
    if (!net_peerid_equal(&tmp[i].id, from) && tmp[i].naddrs)
      out[w++] = tmp[i];
  return w;
}

/* The key is exactly one multihash (go's mh.Cast). */
static bool is_multihash(const dht_msg_t *m) {
  uint64_t code;
  const uint8_t *dg;
  size_t dl;
  return dag_mh_parse(m->key, m->keylen, &code, &dg, &dl) == (int)m->keylen;
}

static int reply(tr_bytes_t *resp, const dht_msg_t *m) {
  return dht_msg_encode(m, resp);
}

static int find_node(dht_t *d, const dht_peer_t *from, const dht_msg_t *m,
                     tr_bytes_t *resp) {
  dht_peer_t out[DHT_K];
  dht_msg_t r = {.type = DHT_FIND_NODE, .key = m->key, .keylen = m->keylen,
                 .cluster_level = m->cluster_level, .closer = out};
  net_peerid_t target;
  if (!net_peerid_from_bytes(&target, m->key, m->keylen) &&
      net_peerid_equal(&target, &d->o.self)) {
    /* Asked for us by name: go answers with itself. */
    out[0] = d->o.self_info;
    out[0].id = d->o.self;
    r.ncloser = 1;
  } else {
    r.ncloser = closer(d, m->key, m->keylen, &from->id, out);
  }
  return reply(resp, &r);
}

static int get_providers(dht_t *d, const dht_peer_t *from,
                         const dht_msg_t *m, uint64_t now, tr_bytes_t *resp) {
  if (!is_multihash(m))
    return TR_EPROTO; /* go: "handleGetProviders: bad multihash" */
  dht_peer_t out[DHT_K], provs[DHT_STORE_PER_KEY];
  dht_msg_t r = {.type = DHT_GET_PROVIDERS, .key = m->key,
                 .keylen = m->keylen, .cluster_level = m->cluster_level,
                 .closer = out, .providers = provs};
  r.nproviders = dht_store_providers(d->store, m->key, m->keylen, now, provs,
                                     TR_ARRAY_LEN(provs));
  r.ncloser = closer(d, m->key, m->keylen, &from->id, out);
  return reply(resp, &r);
}

/* Only the sender may add itself (go: "providers may only add
 * themselves"); others in the list are ignored, as are addresses when the
 * record brings none (then those the sender is known by stay). */
static int add_provider(dht_t *d, const dht_peer_t *from, const dht_msg_t *m,
                        uint64_t now) {
  if (!is_multihash(m))
    return TR_EPROTO;
  for (size_t i = 0; i < m->nproviders; i++) {
    if (!net_peerid_equal(&m->providers[i].id, &from->id))
      continue;
    dht_peer_t p = m->providers[i];
    if (!dht__addrs_ok(d, &p) && from->naddrs) {
      p = *from;
      dht__addrs_ok(d, &p);
    }
    int rc = dht_store_add_provider(d->store, m->key, m->keylen, &p,
                                    now + d->o.provider_ttl_ms);
    if (rc == -ENOMEM)
      return rc;
  }
  return 0;
}

static int get_value(dht_t *d, const dht_peer_t *from, const dht_msg_t *m,
                     uint64_t now, tr_bytes_t *resp) {
  dht_peer_t out[DHT_K];
  dht_msg_t r = {.type = DHT_GET_VALUE, .key = m->key, .keylen = m->keylen,
                 .cluster_level = m->cluster_level, .closer = out};
  tr_bytes_t val = {0};
  int rc = dht_store_get_record(d->store, m->key, m->keylen, now, &val);
  if (rc && rc != TR_ENOTFOUND)
    return rc;
  /* A record that expired in the meantime is not served. */
  if (!rc && (!d->o.validate || d->o.validate(d->o.vud, m->key, m->keylen,
                                              val.data, val.len, now)))
    rc = TR_ENOTFOUND;
  if (!rc) {
    r.has_record = true;
    r.record.key = m->key;
    r.record.keylen = m->keylen;
    r.record.value = val.data;
    r.record.vlen = val.len;
  }
  r.ncloser = closer(d, m->key, m->keylen, &from->id, out);
  rc = reply(resp, &r);
  tr_bytes_free(&val);
  return rc;
}

static int put_value(dht_t *d, const dht_msg_t *m, uint64_t now,
                     tr_bytes_t *resp) {
  if (!m->has_record || m->record.keylen != m->keylen ||
      memcmp(m->record.key, m->key, m->keylen))
    return TR_EPROTO; /* go: "key doesn't match record key" */
  if (!d->o.validate || d->o.validate(d->o.vud, m->key, m->keylen,
                                      m->record.value, m->record.vlen, now))
    return TR_EPROTO;
  tr_bytes_t old = {0};
  int rc = dht_store_get_record(d->store, m->key, m->keylen, now, &old);
  bool keep_old = false;
  if (!rc && d->o.select &&
      !d->o.validate(d->o.vud, m->key, m->keylen, old.data, old.len, now)) {
    const uint8_t *v[2] = {old.data, m->record.value};
    size_t l[2] = {old.len, m->record.vlen};
    keep_old = d->o.select(d->o.vud, m->key, m->keylen, v, l, 2) == 0 &&
               (old.len != m->record.vlen ||
                memcmp(old.data, m->record.value, old.len));
  }
  tr_bytes_free(&old);
  if (keep_old)
    return TR_EPROTO; /* go: "old record is better" refuses the put */
  rc = dht_store_put_record(d->store, m->key, m->keylen, m->record.value,
                            m->record.vlen, now + d->o.record_ttl_ms);
  if (rc == -ENOMEM)
    return rc;
  dht_msg_t r = *m; /* echoed, as go does */
  r.closer = r.providers = NULL;
  r.ncloser = r.nproviders = 0;
  return reply(resp, &r);
}

int dht_handle(dht_t *d, const dht_peer_t *from, const uint8_t *body,
               size_t n, uint64_t now, tr_bytes_t *resp) {
  d->st.requests_in++;
  if (!d->o.server) {
    d->st.requests_refused++;
    return TR_ENOPROTO;
  }
  dht_msg_t m;
  int rc = dht_msg_decode(body, n, &m);
  if (rc) {
    d->st.requests_refused++;
    return rc == -ENOMEM ? rc : TR_EPROTO;
  }
  switch (m.type) {
  case DHT_FIND_NODE:
    rc = find_node(d, from, &m, resp);
    break;
  case DHT_GET_PROVIDERS:
    rc = get_providers(d, from, &m, now, resp);
    break;
  case DHT_ADD_PROVIDER:
    rc = add_provider(d, from, &m, now);
    break;
  case DHT_GET_VALUE:
    rc = get_value(d, from, &m, now, resp);
    break;
  case DHT_PUT_VALUE:
    rc = put_value(d, &m, now, resp);
    break;
  case DHT_PING:
    rc = reply(resp, &(dht_msg_t){.type = DHT_PING});
    break;
  default:
    rc = TR_EPROTO;
  }
  dht_msg_free(&m);
  if (rc)
    d->st.requests_refused++;
  return rc;
}

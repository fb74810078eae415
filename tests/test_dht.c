/*
 * test_dht.c — the DHT core (dht/dht.h) byte by byte and on the simulated
 * network (dht/sim.h): keyspace arithmetic, the in-memory store, the
 * routing table's buckets, replacements and evictions, the server's
 * answers and refusals, and lookups among hundreds of nodes that join one
 * by one — providers and records found from every node, still found after
 * a third of the network dies, and found with liars in the network.
 */
#include "testutil.h"

#include "../dag/multihash.h"
#include "../dht/dht.h"
#include "../dht/ipns.h"
#include "../dht/persist.h"
#include "../dht/sim.h"

static net_peerid_t pid(uint32_t i) {
  uint8_t b[34] = {0x12, 0x20};
  uint8_t x[4] = {(uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16), 0x5a};
  dag_sha256(x, sizeof x, b + 2);
  net_peerid_t id;
  assert_int_equal(net_peerid_from_bytes(&id, b, sizeof b), 0);
  return id;
}

static dht_peer_t peer(uint32_t i) {
  dht_peer_t p;
  net_peerid_t id = pid(i);
  uint8_t ma[8] = {0x04, 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8),
                   (uint8_t)i, 0x06, 0x0f, 0xa1};
  const uint8_t *mp = ma;
  size_t ml = sizeof ma;
  dht_peer_set(&p, &id, &mp, &ml, 1);
  return p;
}

static void mh_of(uint32_t i, uint8_t mh[34]) {
  mh[0] = 0x12, mh[1] = 0x20;
  uint8_t x[5] = {'c', (uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16), 7};
  dag_sha256(x, sizeof x, mh + 2);
}

/* ----------------------------------------------------------- keyspace */

static void test_keys(void **state) {
  (void)state;
  uint8_t a[32] = {0}, b[32] = {0}, t[32] = {0};
  assert_int_equal(dht_cpl(a, b), 256);
  b[0] = 0x80;
  assert_int_equal(dht_cpl(a, b), 0);
  b[0] = 0x01;
  assert_int_equal(dht_cpl(a, b), 7);
  b[0] = 0, b[31] = 1;
  assert_int_equal(dht_cpl(a, b), 255);
  /* XOR distance, not numeric: from t = 0x40.., 0x60.. (xor 0x20) is
   * closer than 0x00.. (xor 0x40) although 0x00 < 0x40 < 0x60. */
  t[0] = 0x40;
  memset(a, 0, 32), memset(b, 0, 32);
  a[0] = 0x60;
  assert_true(dht_closer(t, a, b) < 0);
  assert_true(dht_closer(t, b, a) > 0);
  assert_int_equal(dht_closer(t, a, a), 0);
  /* The key of a key is its SHA-256 (the spec's keyspace). */
  uint8_t k[32], want[32];
  dht_key((const uint8_t *)"abc", 3, k);
  dag_sha256("abc", 3, want);
  assert_memory_equal(k, want, 32);
}

/* -------------------------------------------------------------- store */

static void test_memstore(void **state) {
  (void)state;
  dht_store_t *s;
  assert_int_equal(dht_memstore_new(4, 3, &s), 0);
  uint8_t mh[34];
  mh_of(1, mh);
  dht_peer_t out[8];
  assert_int_equal(dht_store_providers(s, mh, 34, 0, out, 8), 0);
  for (uint32_t i = 0; i < 3; i++) {
    dht_peer_t p = peer(i);
    assert_int_equal(dht_store_add_provider(s, mh, 34, &p, 1000 + i), 0);
  }
  /* A fourth with a later expiry pushes out the one expiring first. */
  dht_peer_t p3 = peer(3);
  assert_int_equal(dht_store_add_provider(s, mh, 34, &p3, 5000), 0);
  size_t n = dht_store_providers(s, mh, 34, 0, out, 8);
  assert_int_equal(n, 3);
  bool has0 = false, has3 = false;
  for (size_t i = 0; i < n; i++) {
    net_peerid_t z = pid(0);
    has0 |= net_peerid_equal(&out[i].id, &z);
    has3 |= net_peerid_equal(&out[i].id, &p3.id);
  }
  assert_false(has0);
  assert_true(has3);
  /* Renewing keeps one entry; its addresses are the peer's, kept once. */
  assert_int_equal(dht_store_add_provider(s, mh, 34, &p3, 6000), 0);
  assert_int_equal(dht_store_providers(s, mh, 34, 0, out, 8), 3);
  /* Expired records are not served, then dropped. */
  assert_int_equal(dht_store_providers(s, mh, 34, 1001, out, 8), 2);
  dht_store_expire(s, 5500);
  assert_int_equal(dht_store_providers(s, mh, 34, 0, out, 8), 1);
  assert_memory_equal(out[0].addrs[0], p3.addrs[0], p3.addrlen[0]);
  /* Records. */
  tr_bytes_t v = {0};
  assert_int_equal(dht_store_get_record(s, (const uint8_t *)"/x/a", 4, 0, &v),
                   TR_ENOTFOUND);
  assert_int_equal(
      dht_store_put_record(s, (const uint8_t *)"/x/a", 4,
                           (const uint8_t *)"val", 3, 100),
      0);
  assert_int_equal(dht_store_get_record(s, (const uint8_t *)"/x/a", 4, 0, &v),
                   0);
  assert_int_equal(v.len, 3);
  assert_memory_equal(v.data, "val", 3);
  tr_bytes_free(&v);
  assert_int_equal(
      dht_store_get_record(s, (const uint8_t *)"/x/a", 4, 100, &v),
      TR_ENOTFOUND);
  /* max_keys: the fifth key is refused until expiry frees room. */
  for (uint32_t i = 10; i < 12; i++) {
    uint8_t m2[34];
    mh_of(i, m2);
    assert_int_equal(dht_store_add_provider(s, m2, 34, &p3, 9000), 0);
  }
  uint8_t m5[34];
  mh_of(20, m5);
  assert_int_equal(dht_store_add_provider(s, m5, 34, &p3, 9000), TR_ELIMIT);
  dht_store_expire(s, 200); /* the /x/a record goes */
  assert_int_equal(dht_store_add_provider(s, m5, 34, &p3, 9000), 0);
  assert_int_equal(dht_memstore_keys(s), 4);
  dht_store_free(s);
}

/* -------------------------------------------------- one node, by hand */

typedef struct sent {
  uint64_t req;
  dht_peer_t to;
  bool want;
  tr_bytes_t frame;
} sent_t;

static sent_t sent[256];
static size_t nsent;

static int rec_send(void *ud, uint64_t req, const dht_peer_t *peer,
                    bool want_reply, const uint8_t *p, size_t n) {
  (void)ud;
  assert_true(nsent < TR_ARRAY_LEN(sent));
  sent_t *s = &sent[nsent++];
  s->req = req, s->to = *peer, s->want = want_reply;
  memset(&s->frame, 0, sizeof s->frame);
  assert_int_equal(tr_bytes_append(&s->frame, p, n), 0);
  return 0;
}

static void sent_clear(void) {
  for (size_t i = 0; i < nsent; i++)
    tr_bytes_free(&sent[i].frame);
  nsent = 0;
}

static int accept_all(void *ud, const uint8_t *k, size_t kl, const uint8_t *v,
                      size_t vl, uint64_t now) {
  (void)ud, (void)k, (void)kl, (void)now;
  /* "bad" values are invalid: the server must refuse them. */
  return vl == 3 && !memcmp(v, "bad", 3) ? TR_ESIG : 0;
}

static dht_t *node(uint32_t self, bool server) {
  dht_opts_t o = {.self = pid(self), .self_info = peer(self),
                  .server = server, .send = rec_send,
                  .validate = accept_all, .check_ms = UINT32_MAX,
                  .refresh_ms = UINT32_MAX};
  dht_t *d;
  assert_int_equal(dht_new(&o, 0, &d), 0);
  return d;
}

static void decode_frame(const tr_bytes_t *f, dht_msg_t *m) {
  const uint8_t *b;
  size_t bl;
  assert_true(dht_frame(f->data, f->len, DHT_MSG_MAX, &b, &bl) > 0);
  assert_int_equal(dht_msg_decode(b, bl, m), 0);
}

static int ask(dht_t *d, uint32_t from, const dht_msg_t *req, dht_msg_t *r) {
  tr_bytes_t q = {0}, resp = {0};
  assert_int_equal(dht_msg_encode(req, &q), 0);
  const uint8_t *b;
  size_t bl;
  assert_true(dht_frame(q.data, q.len, DHT_MSG_MAX, &b, &bl) > 0);
  dht_peer_t fp = peer(from);
  int rc = dht_handle(d, &fp, b, bl, 10, &resp);
  tr_bytes_free(&q);
  if (!rc && resp.len)
    decode_frame(&resp, r);
  else
    memset(r, 0, sizeof *r);
  if (!rc && !resp.len)
    rc = 1; /* no reply */
  tr_bytes_free(&resp);
  return rc;
}

static void test_rtable(void **state) {
  (void)state;
  dht_t *d = node(0, true);
  uint8_t self[32];
  net_peerid_t me = pid(0);
  dht_key(me.bytes, me.len, self);
  assert_int_equal(dht_add_peer(d, &(dht_peer_t){.id = me}, 0), TR_EUSAGE);
  /* No address: refused. */
  dht_peer_t bare = {.id = pid(1)};
  assert_int_equal(dht_add_peer(d, &bare, 0), TR_EUSAGE);
  /* Fill bucket 0 (half the keyspace) past k: the rest wait as
   * replacements and the table holds k there. */
  uint32_t in_b0[40], n0 = 0;
  for (uint32_t i = 1; n0 < 40; i++) {
    dht_peer_t p = peer(i);
    uint8_t k[32];
    dht_key(p.id.bytes, p.id.len, k);
    if (dht_cpl(k, self) != 0)
      continue;
    assert_int_equal(dht_add_peer(d, &p, i), 0);
    in_b0[n0++] = i;
  }
  assert_int_equal(dht_rt_size(d), DHT_K);
  /* A peer that leaves the table makes room for the newest replacement
   * (the 40th). */
  net_peerid_t first = pid(in_b0[0]), newest = pid(in_b0[39]);
  dht_remove_peer(d, &first);
  assert_int_equal(dht_rt_size(d), DHT_K);
  dht_peer_t closest[DHT_K];
  bool found = false;
  size_t n = dht_rt_closest(d, newest.bytes, newest.len, closest, DHT_K);
  assert_int_equal(n, DHT_K);
  for (size_t i = 0; i < n; i++)
    found |= net_peerid_equal(&closest[i].id, &newest);
  assert_true(found);
  /* Sorted closest first. */
  uint8_t t[32];
  dht_key(newest.bytes, newest.len, t);
  for (size_t i = 1; i < n; i++) {
    uint8_t a[32], b[32];
    dht_key(closest[i - 1].id.bytes, closest[i - 1].id.len, a);
    dht_key(closest[i].id.bytes, closest[i].id.len, b);
    assert_true(dht_closer(t, a, b) <= 0);
  }
  assert_true(net_peerid_equal(&closest[0].id, &newest));
  dht_free(d);
}

static void test_serve(void **state) {
  (void)state;
  dht_t *d = node(0, true);
  for (uint32_t i = 1; i <= 60; i++) {
    dht_peer_t p = peer(i);
    assert_int_equal(dht_add_peer(d, &p, 0), 0);
  }
  dht_msg_t r;
  /* FIND_NODE: k closest, the requester left out. */
  net_peerid_t t = pid(5);
  dht_msg_t fn = {.type = DHT_FIND_NODE, .key = t.bytes, .keylen = t.len};
  assert_int_equal(ask(d, 7, &fn, &r), 0);
  assert_int_equal(r.type, DHT_FIND_NODE);
  assert_true(r.ncloser > 0 && r.ncloser <= DHT_K);
  net_peerid_t seven = pid(7);
  for (size_t i = 0; i < r.ncloser; i++)
    assert_false(net_peerid_equal(&r.closer[i].id, &seven));
  dht_msg_free(&r);
  /* FIND_NODE for us: we answer with ourselves. */
  net_peerid_t me = pid(0);
  fn.key = me.bytes, fn.keylen = me.len;
  assert_int_equal(ask(d, 7, &fn, &r), 0);
  assert_int_equal(r.ncloser, 1);
  assert_true(net_peerid_equal(&r.closer[0].id, &me));
  dht_msg_free(&r);
  /* ADD_PROVIDER: only the sender may add itself; no reply. */
  uint8_t mh[34];
  mh_of(9, mh);
  dht_peer_t p7 = peer(7), p8 = peer(8);
  dht_peer_t both[2] = {p8, p7};
  dht_msg_t ap = {.type = DHT_ADD_PROVIDER, .key = mh, .keylen = 34,
                  .providers = both, .nproviders = 2};
  assert_int_equal(ask(d, 7, &ap, &r), 1);
  dht_msg_t gp = {.type = DHT_GET_PROVIDERS, .key = mh, .keylen = 34};
  assert_int_equal(ask(d, 3, &gp, &r), 0);
  assert_int_equal(r.nproviders, 1);
  assert_true(net_peerid_equal(&r.providers[0].id, &p7.id));
  assert_int_equal(r.providers[0].naddrs, 1);
  assert_true(r.ncloser > 0);
  dht_msg_free(&r);
  /* A key that is not a multihash is refused. */
  gp.key = (uint8_t *)"\x12\x20zz", gp.keylen = 4;
  assert_int_equal(ask(d, 3, &gp, &r), TR_EPROTO);
  /* PUT_VALUE: echoed, then served; invalid and mismatched refused. */
  uint8_t key[] = "/v/name";
  dht_msg_t pv = {.type = DHT_PUT_VALUE, .key = key, .keylen = 7,
                  .has_record = true,
                  .record = {.key = key, .keylen = 7,
                             .value = (uint8_t *)"one", .vlen = 3}};
  assert_int_equal(ask(d, 3, &pv, &r), 0);
  assert_int_equal(r.type, DHT_PUT_VALUE);
  assert_true(r.has_record);
  dht_msg_free(&r);
  dht_msg_t gv = {.type = DHT_GET_VALUE, .key = key, .keylen = 7};
  assert_int_equal(ask(d, 4, &gv, &r), 0);
  assert_true(r.has_record);
  assert_int_equal(r.record.vlen, 3);
  assert_memory_equal(r.record.value, "one", 3);
  dht_msg_free(&r);
  pv.record.value = (uint8_t *)"bad";
  assert_int_equal(ask(d, 3, &pv, &r), TR_EPROTO);
  pv.record.value = (uint8_t *)"two";
  pv.record.key = (uint8_t *)"/v/other";
  pv.record.keylen = 8;
  assert_int_equal(ask(d, 3, &pv, &r), TR_EPROTO);
  /* The refused puts left the first record. */
  assert_int_equal(ask(d, 4, &gv, &r), 0);
  assert_memory_equal(r.record.value, "one", 3);
  dht_msg_free(&r);
  /* PING echoes; garbage is refused. */
  dht_msg_t pg = {.type = DHT_PING};
  assert_int_equal(ask(d, 3, &pg, &r), 0);
  assert_int_equal(r.type, DHT_PING);
  dht_msg_free(&r);
  dht_peer_t fp = peer(3);
  tr_bytes_t resp = {0};
  assert_int_equal(dht_handle(d, &fp, (const uint8_t *)"\xff\xff\xff", 3, 0,
                              &resp),
                   TR_EPROTO);
  assert_int_equal(resp.len, 0);
  dht_free(d);
  /* A client answers nobody. */
  d = node(0, false);
  assert_int_equal(ask(d, 3, &pg, &r), TR_ENOPROTO);
  dht_free(d);
}

/* A lookup against scripted answers: it asks α at once, ends when the β
 * closest answered, and a reply of the wrong type counts as a failure. */
typedef struct done {
  int calls, status;
  size_t n, provs;
  dht_qstats_t st;
} done_t;

static void on_done(void *ud, int status, const dht_peer_t *closest, size_t n,
                    const uint8_t *val, size_t vl, const dht_qstats_t *st) {
  (void)closest, (void)val, (void)vl;
  done_t *x = ud;
  x->calls++;
  x->status = status;
  x->n = n;
  x->st = *st;
}

static void on_provider(void *ud, const dht_peer_t *p) {
  (void)p;
  ((done_t *)ud)->provs++;
}

static void test_lookup_by_hand(void **state) {
  (void)state;
  dht_t *d = node(0, true);
  for (uint32_t i = 1; i <= 30; i++) {
    dht_peer_t p = peer(i);
    assert_int_equal(dht_add_peer(d, &p, 0), 0);
  }
  done_t x = {0};
  dht_query_cbs_t cbs = {.on_done = on_done, .on_provider = on_provider};
  uint8_t mh[34];
  mh_of(1, mh);
  sent_clear();
  uint64_t qid;
  assert_int_equal(dht_get_providers(d, mh, 34, 1, &cbs, &x, 0, &qid), 0);
  assert_int_equal(nsent, DHT_ALPHA);
  dht_msg_t m;
  decode_frame(&sent[0].frame, &m);
  assert_int_equal(m.type, DHT_GET_PROVIDERS);
  assert_int_equal(m.keylen, 34);
  assert_memory_equal(m.key, mh, 34);
  dht_msg_free(&m);
  /* A wrong-type answer fails that request only. */
  tr_bytes_t f = {0};
  dht_msg_t wrong = {.type = DHT_PING};
  assert_int_equal(dht_msg_encode(&wrong, &f), 0);
  const uint8_t *b;
  size_t bl;
  assert_true(dht_frame(f.data, f.len, DHT_MSG_MAX, &b, &bl) > 0);
  dht_on_reply(d, sent[0].req, b, bl, 1);
  tr_bytes_free(&f);
  assert_int_equal(x.calls, 0);
  /* One provider answers: max 1 reached, done with it. */
  dht_peer_t prov = peer(99);
  dht_msg_t ok = {.type = DHT_GET_PROVIDERS, .key = mh, .keylen = 34,
                  .providers = &prov, .nproviders = 1};
  assert_int_equal(dht_msg_encode(&ok, &f), 0);
  assert_true(dht_frame(f.data, f.len, DHT_MSG_MAX, &b, &bl) > 0);
  dht_on_reply(d, sent[1].req, b, bl, 2);
  assert_int_equal(x.calls, 1);
  assert_int_equal(x.status, 0);
  assert_int_equal(x.provs, 1);
  /* Late answers for the finished lookup are ignored. */
  dht_on_reply(d, sent[2].req, b, bl, 3);
  tr_bytes_free(&f);
  assert_int_equal(x.calls, 1);
  /* Timeouts: requests fail at their deadline, then the lookup ends. */
  memset(&x, 0, sizeof x);
  sent_clear();
  assert_int_equal(dht_find_node(d, mh, 34, &cbs, &x, 100, NULL), 0);
  assert_true(nsent >= DHT_ALPHA);
  for (uint64_t t = 100; x.calls == 0 && t < 100 + 5 * DHT_QUERY_MS;
       t += 1000)
    dht_tick(d, t);
  assert_int_equal(x.calls, 1);
  assert_int_equal(x.status, TR_ENOTFOUND);
  assert_true(x.st.fails >= DHT_ALPHA);
  /* Peers asked twice in vain (both lookups) left the table. */
  assert_true(dht_rt_size(d) < 30);
  sent_clear();
  dht_free(d);
}

/* --------------------------------------------- IPNS through the server */

/* A record for the name of seed's key, sequence seq, valid until an hour
 * after the server's now below (2026-12). */
static void ipns_rec(uint8_t seed, uint64_t seq, const char *value,
                     tr_bytes_t *out, uint8_t *key, size_t *kl) {
  uint8_t s32[32] = {seed};
  net_privkey_t sk;
  net_privkey_from_seed(&sk, s32);
  net_pubkey_t pk;
  net_privkey_pubkey(&sk, &pk);
  net_peerid_t id;
  assert_int_equal(net_peerid_from_pubkey(&id, &pk), 0);
  dht_ipns_time_t eol = {1796003600, 0};
  assert_int_equal(dht_ipns_create(&sk, (const uint8_t *)value,
                                   strlen(value), seq, eol, 0, 0, out),
                   0);
  int n = dht_ipns_key(&id, key, DHT_KEY_MAX);
  assert_true(n > 0);
  *kl = (size_t)n;
}

static void test_serve_ipns(void **state) {
  (void)state;
  dht_opts_t o = {.self = pid(0), .self_info = peer(0), .server = true,
                  .send = rec_send, .validate = dht_record_validate,
                  .select = dht_record_select, .check_ms = UINT32_MAX,
                  .refresh_ms = UINT32_MAX};
  const uint64_t now = 1796000000000ull; /* 2026-12 */
  dht_t *d;
  assert_int_equal(dht_new(&o, now, &d), 0);
  uint8_t key[DHT_KEY_MAX], key2[DHT_KEY_MAX];
  size_t kl, kl2;
  tr_bytes_t r1 = {0}, r2 = {0}, other = {0};
  ipns_rec(1, 1, "/ipfs/bafyone", &r1, key, &kl);
  ipns_rec(1, 2, "/ipfs/bafytwo", &r2, key, &kl);
  ipns_rec(2, 9, "/ipfs/bafyother", &other, key2, &kl2);
  tr_bytes_t q = {0}, resp = {0};
  dht_peer_t from = peer(3);
  const uint8_t *b;
  size_t bl;
#define PUT(k, klen, rec)                                                     \
  ({                                                                          \
    dht_msg_t m = {.type = DHT_PUT_VALUE, .key = (k), .keylen = (klen),     \
                   .has_record = true,                                        \
                   .record = {.key = (k), .keylen = (klen),                   \
                              .value = (rec)->data, .vlen = (rec)->len}};     \
    q.len = resp.len = 0;                                                     \
    assert_int_equal(dht_msg_encode(&m, &q), 0);                              \
    assert_true(dht_frame(q.data, q.len, DHT_MSG_MAX, &b, &bl) > 0);          \
    dht_handle(d, &from, b, bl, now, &resp);                                  \
  })
  assert_int_equal(PUT(key, kl, &r2), 0);
  /* An older sequence does not replace a newer one. */
  assert_int_equal(PUT(key, kl, &r1), TR_EPROTO);
  /* Another key's record under this name: refused. */
  assert_int_equal(PUT(key, kl, &other), TR_EPROTO);
  /* A tampered record: refused. */
  tr_bytes_t bad = {0};
  assert_int_equal(tr_bytes_append(&bad, r2.data, r2.len), 0);
  bad.data[bad.len / 2] ^= 1;
  assert_int_equal(PUT(key, kl, &bad), TR_EPROTO);
  /* A key under no namespace: refused. */
  assert_int_equal(PUT((uint8_t *)"/x/y", 4, &r2), TR_EPROTO);
  /* What is served is the valid, newest record. */
  tr_bytes_t v = {0};
  assert_int_equal(dht_store_get_record(dht_store(d), key, kl, now, &v), 0);
  assert_int_equal(v.len, r2.len);
  assert_memory_equal(v.data, r2.data, r2.len);
  tr_bytes_free(&v);
  /* Once its EOL has passed (an hour later), it is no longer served,
   * although the store would keep it for 48 h. */
  dht_msg_t gv = {.type = DHT_GET_VALUE, .key = key, .keylen = kl};
  q.len = resp.len = 0;
  assert_int_equal(dht_msg_encode(&gv, &q), 0);
  assert_true(dht_frame(q.data, q.len, DHT_MSG_MAX, &b, &bl) > 0);
  assert_int_equal(dht_handle(d, &from, b, bl, now + 2 * 3600 * 1000, &resp),
                   0);
  dht_msg_t r;
  decode_frame(&resp, &r);
  assert_false(r.has_record);
  dht_msg_free(&r);
#undef PUT
  tr_bytes_free(&q);
  tr_bytes_free(&resp);
  tr_bytes_free(&r1);
  tr_bytes_free(&r2);
  tr_bytes_free(&other);
  tr_bytes_free(&bad);
  dht_free(d);
}

/* ------------------------------------------------------------ persist */

static void test_persist(void **state) {
  (void)state;
  dht_t *d = node(0, true);
  for (uint32_t i = 1; i <= 40; i++) {
    dht_peer_t p = peer(i);
    assert_int_equal(dht_add_peer(d, &p, 0), 0);
  }
  uint8_t mh[34];
  mh_of(5, mh);
  dht_peer_t p7 = peer(7), p8 = peer(8);
  assert_int_equal(dht_store_add_provider(dht_store(d), mh, 34, &p7, 5000), 0);
  assert_int_equal(dht_store_add_provider(dht_store(d), mh, 34, &p8, 50), 0);
  assert_int_equal(dht_store_put_record(dht_store(d), (const uint8_t *)"/v/k",
                                        4, (const uint8_t *)"val", 3, 9000),
                   0);
  tr_bytes_t b = {0};
  assert_int_equal(dht_persist_dump(d, 100, &b), 0); /* p8 expired by 100 */
  size_t rt = dht_rt_size(d);
  dht_free(d);

  d = node(0, true);
  int n = dht_persist_load(d, b.data, b.len, 100);
  assert_int_equal(n, (int)rt + 2);
  assert_int_equal(dht_rt_size(d), rt);
  dht_peer_t out[4];
  assert_int_equal(dht_store_providers(dht_store(d), mh, 34, 100, out, 4), 1);
  assert_true(net_peerid_equal(&out[0].id, &p7.id));
  assert_memory_equal(out[0].addrs[0], p7.addrs[0], p7.addrlen[0]);
  tr_bytes_t v = {0};
  assert_int_equal(dht_store_get_record(dht_store(d), (const uint8_t *)"/v/k",
                                        4, 100, &v),
                   0);
  assert_memory_equal(v.data, "val", 3);
  tr_bytes_free(&v);
  dht_free(d);
  /* Loaded later, the records that expired in between stay out. */
  d = node(0, true);
  assert_int_equal(dht_persist_load(d, b.data, b.len, 6000), (int)rt + 1);
  dht_free(d);
  /* Every truncation loads a prefix, never more, never a crash. */
  for (size_t cut = 0; cut < b.len; cut++) {
    d = node(0, true);
    int k = dht_persist_load(d, b.data, cut, 100);
    assert_true(cut < 7 ? k == TR_ECORRUPT : k >= 0 && k <= n);
    dht_free(d);
  }
  tr_bytes_free(&b);
}

/* ---------------------------------------------------- simulated network */

typedef struct found {
  size_t provs, done, ok;
  net_peerid_t want;
  bool saw_want;
} found_t;

static void sim_provider(void *ud, const dht_peer_t *p) {
  found_t *f = ud;
  f->provs++;
  if (net_peerid_equal(&p->id, &f->want))
    f->saw_want = true;
}

static void sim_done(void *ud, int status, const dht_peer_t *c, size_t n,
                     const uint8_t *val, size_t vl, const dht_qstats_t *st) {
  (void)c, (void)n, (void)val, (void)vl, (void)st;
  found_t *f = ud;
  f->done++;
  if (!status)
    f->ok++;
}

static dht_sim_t *sim_joined(size_t n, uint64_t seed) {
  dht_sim_opts_t o = {.n = n, .seed = seed};
  dht_sim_t *s;
  assert_int_equal(dht_sim_new(&o, &s), 0);
  /* Each joins through a random earlier node, one after the other. */
  for (size_t i = 1; i < n; i++) {
    assert_int_equal(dht_sim_join(s, i, (size_t)(seed * 7 + i * 13) % i), 0);
    dht_sim_run(s, UINT64_MAX);
  }
  /* A second pass, as refresh would do, fills the early nodes' tables. */
  for (size_t i = 0; i < n; i++)
    assert_int_equal(dht_bootstrap(dht_sim_node(s, i), dht_sim_now(s)), 0);
  dht_sim_run(s, UINT64_MAX);
  return s;
}

/* Provide from some nodes, then look from every live node: each lookup
 * must find the provider.  Returns lookups that failed. */
static size_t provide_and_find(dht_sim_t *s, size_t nprov, uint32_t salt,
                               bool provide) {
  size_t n = dht_sim_size(s), failed = 0;
  const dht_query_cbs_t cbs = {.on_done = sim_done,
                               .on_provider = sim_provider};
  for (size_t c = 0; c < nprov; c++) {
    /* Providing: a live node.  Looking again: whoever provided it then,
     * dead or alive (its record outlives it). */
    size_t who = (c * 7919 + salt) % n;
    while (provide && !dht_sim_alive(s, who))
      who = (who + 1) % n;
    uint8_t mh[34];
    mh_of((uint32_t)(c + salt * 1000), mh);
    if (provide) {
      found_t pf = {0};
      assert_int_equal(dht_provide(dht_sim_node(s, who), mh, 34, &cbs, &pf,
                                   dht_sim_now(s), NULL),
                       0);
      dht_sim_run(s, UINT64_MAX);
      assert_int_equal(pf.done, 1);
      assert_int_equal(pf.ok, 1);
    }
    for (size_t i = 0; i < n; i++) {
      if (!dht_sim_alive(s, i) || i == who)
        continue;
      dht_peer_t wp;
      dht_sim_peer(s, who, &wp);
      found_t f = {.want = wp.id};
      assert_int_equal(dht_get_providers(dht_sim_node(s, i), mh, 34, 1, &cbs,
                                         &f, dht_sim_now(s), NULL),
                       0);
      dht_sim_run(s, UINT64_MAX);
      assert_int_equal(f.done, 1);
      if (!f.saw_want)
        failed++;
    }
  }
  return failed;
}

static void test_sim_providers(void **state) {
  (void)state;
  dht_sim_t *s = sim_joined(300, 1);
  size_t rt_min = SIZE_MAX;
  for (size_t i = 0; i < 300; i++)
    if (dht_rt_size(dht_sim_node(s, i)) < rt_min)
      rt_min = dht_rt_size(dht_sim_node(s, i));
  /* Two self-lookups teach every node a good part of its neighbourhood
   * (14 peers at least, with this seed). */
  assert_true(rt_min >= DHT_K / 2);
  assert_int_equal(provide_and_find(s, 5, 1, true), 0);
  /* A third of the nodes die (half refuse, half go silent); what was
   * provided before is still found from every node left. */
  for (size_t i = 0; i < 300; i += 3)
    dht_sim_kill(s, i, i % 2);
  assert_int_equal(provide_and_find(s, 5, 1, false), 0);
  /* And new provides work in the damaged network. */
  assert_int_equal(provide_and_find(s, 3, 2, true), 0);
  dht_sim_free(s);
}

static void test_sim_values(void **state) {
  (void)state;
  dht_sim_t *s = sim_joined(150, 2);
  uint8_t key[] = "/v/some-name";
  const dht_query_cbs_t cbs = {.on_done = sim_done};
  found_t pf = {0};
  assert_int_equal(dht_put_value(dht_sim_node(s, 3), key, sizeof key,
                                 (const uint8_t *)"v1", 2, &cbs, &pf,
                                 dht_sim_now(s), NULL),
                   0);
  dht_sim_run(s, UINT64_MAX);
  assert_int_equal(pf.ok, 1);
  /* A newer value from elsewhere replaces it where it lands. */
  assert_int_equal(dht_put_value(dht_sim_node(s, 77), key, sizeof key,
                                 (const uint8_t *)"v2", 2, &cbs, &pf,
                                 dht_sim_now(s), NULL),
                   0);
  dht_sim_run(s, UINT64_MAX);
  assert_int_equal(pf.ok, 2);
  for (size_t i = 0; i < 150; i += 10) {
    found_t f = {0};
    assert_int_equal(dht_get_value(dht_sim_node(s, i), key, sizeof key,
                                   &cbs, &f, dht_sim_now(s), NULL),
                     0);
    dht_sim_run(s, UINT64_MAX);
    assert_int_equal(f.ok, 1);
  }
  /* A key nobody wrote: TR_ENOTFOUND, not a hang. */
  found_t nf = {0};
  assert_int_equal(dht_get_value(dht_sim_node(s, 5), (const uint8_t *)"/v/x",
                                 4, &cbs, &nf, dht_sim_now(s), NULL),
                   0);
  dht_sim_run(s, UINT64_MAX);
  assert_int_equal(nf.done, 1);
  assert_int_equal(nf.ok, 0);
  dht_sim_free(s);
}

static void test_sim_liars(void **state) {
  (void)state;
  dht_sim_t *s = sim_joined(200, 3);
  /* One node in ten now answers every request with 64 made-up peers that
   * never answer. Lookups from honest nodes still find the providers. */
  for (size_t i = 5; i < 200; i += 10)
    dht_sim_lie(s, i);
  size_t failed = 0, n = 0;
  const dht_query_cbs_t cbs = {.on_done = sim_done,
                               .on_provider = sim_provider};
  uint8_t mh[34];
  mh_of(4242, mh);
  found_t pf = {0};
  assert_int_equal(dht_provide(dht_sim_node(s, 1), mh, 34, &cbs, &pf,
                               dht_sim_now(s), NULL),
                   0);
  dht_sim_run(s, UINT64_MAX);
  assert_int_equal(pf.ok, 1);
  dht_peer_t wp;
  dht_sim_peer(s, 1, &wp);
  for (size_t i = 2; i < 200; i += 3) {
    if (i % 10 == 5)
      continue;
    found_t f = {.want = wp.id};
    assert_int_equal(dht_get_providers(dht_sim_node(s, i), mh, 34, 1, &cbs,
                                       &f, dht_sim_now(s), NULL),
                     0);
    dht_sim_run(s, UINT64_MAX);
    assert_int_equal(f.done, 1);
    failed += !f.saw_want;
    n++;
  }
  assert_int_equal(failed, 0);
  dht_sim_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keys),
      cmocka_unit_test(test_memstore),
      cmocka_unit_test(test_rtable),
      cmocka_unit_test(test_serve),
      cmocka_unit_test(test_lookup_by_hand),
      cmocka_unit_test(test_persist),
      cmocka_unit_test(test_serve_ipns),
      cmocka_unit_test(test_sim_providers),
      cmocka_unit_test(test_sim_values),
      cmocka_unit_test(test_sim_liars),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

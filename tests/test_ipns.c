/*
 * test_ipns.c — IPNS records and the /ipns/, /pk/ validators (dht/ipns.h).
 *
 * Known answers: the IPNS spec's six test vectors and the other records of
 * ipfs/gateway-conformance's fixtures (tests/vectors/ipns/, copied from
 * gateway-conformance fixtures/ipns_records, gateway-cache,
 * path_gateway_dag, subdomain_gateway and tooling/ipns/_fixtures) are
 * validated with the outcome the spec and boxo give; each marshals back to
 * its own bytes; a record created here for a fixture's value, sequence,
 * validity and TTL has the fixture's signed data byte for byte (the data
 * does not depend on the key), so the DAG-CBOR encoding and key order are
 * boxo's; and its protobuf equals the fixture's with the signatures swapped.
 * A record Kubo 0.43.1 published, with its key: recreated here byte for
 * byte, signatures included (tests/vectors/ipns/kubo-0.43.1_*).
 *
 * Then boxo's own tests, translated: sign -> validate, tampering with the
 * signature, the data or a V1 field, expiry at the exact EOL, the size
 * limit, keys that do not match the name, a negative TTL, the ordering of
 * TestOrdering, and the timestamp format; plus allocation failure sweeps.
 *
 * Run from the repository root: vectors are read from tests/vectors/ipns/.
 */
#include "testutil.h"

#include "../dag/cbor.h"
#include "../dht/ipns.h"

#include <sodium.h>

#define VEC "tests/vectors/ipns/"

/* 2026-01-01T00:00:00Z: after every fixture was made, before any expires
 * (they are valid for about 100 years). */
static const dht_ipns_time_t NOW = {1767225600, 0};

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot open %s (run from the repository root)", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
  if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)
    fail_msg("short read on %s", path);
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* The routing key of the name a fixture is named after (its file name up
 * to '_' or '.'). */
static size_t name_key(const char *file, uint8_t key[DHT_IPNS_KEY_MAX],
                       net_peerid_t *id) {
  const char *s = strncmp(file, "tooling_", 8) ? file : file + 8;
  size_t n = strcspn(s, "_.");
  assert_int_equal(net_peerid_parse(id, s, n), 0);
  int kl = dht_ipns_key(id, key, DHT_IPNS_KEY_MAX);
  assert_true(kl > 6);
  return (size_t)kl;
}

static int validate_file(const char *file, dht_ipns_time_t now) {
  char path[512];
  snprintf(path, sizeof path, VEC "%s", file);
  size_t n, kl;
  uint8_t *b = slurp(path, &n), key[DHT_IPNS_KEY_MAX];
  net_peerid_t id;
  kl = name_key(file, key, &id);
  int rc = dht_ipns_validate(key, kl, b, n, now, NULL);
  free(b);
  return rc;
}

static bool bytes_equal_view(dht_ipns_bytes_t a, dht_ipns_bytes_t b) {
  return a.len == b.len && (a.len == 0 || !memcmp(a.p, b.p, a.len));
}

static void seed_key(net_privkey_t *sk, uint8_t v) {
  uint8_t seed[32];
  memset(seed, v, sizeof seed);
  net_privkey_from_seed(sk, seed);
}

static void key_of(const net_privkey_t *sk, uint8_t key[DHT_IPNS_KEY_MAX],
                   size_t *kl, net_peerid_t *id) {
  net_pubkey_t pk;
  net_privkey_pubkey(sk, &pk);
  assert_int_equal(net_peerid_from_pubkey(id, &pk), 0);
  int n = dht_ipns_key(id, key, DHT_IPNS_KEY_MAX);
  assert_true(n > 0);
  *kl = (size_t)n;
}

static const char PATH[] = "/ipfs/bafkqae3imvwgy3zamzxxe3jamnxw63aa";
#define HOUR INT64_C(3600)

/* ------------------------------------------------------ spec vectors */

static void test_spec_vectors(void **state) {
  (void)state;
  static const struct {
    const char *file;
    int rc;
  } v[] = {
      /* 1. V1-only: no data, so it does not even parse (boxo). */
      {"k51qzi5uqu5dm4tm0wt8srkg9h9suud4wuiwjimndrkydqm81cqtlb5ak6p7ku_v1"
       ".ipns-record",
       TR_EIPNS},
      /* 2. V1+V2, both signatures valid. */
      {"k51qzi5uqu5dlkw8pxuw9qmqayfdeh4kfebhmreauqdc6a7c3y7d5i9fi8mk9w_v1-v2"
       ".ipns-record",
       0},
      /* 3. V1 value differs from the signed data's. */
      {"k51qzi5uqu5dlmit2tuwdvnx4sbnyqgmvbxftl0eo3f33wwtb9gr7yozae9kpw_v1-v2-"
       "broken-v1-value.ipns-record",
       TR_EIPNSV1},
      /* 4. Only signatureV1 valid. */
      {"k51qzi5uqu5diamp7qnnvs1p1gzmku3eijkeijs3418j23j077zrkok63xdm8c_v1-v2-"
       "broken-signature-v2.ipns-record",
       TR_ESIG},
      /* 5. Only signatureV2 valid: V1 signatures are never checked. */
      {"k51qzi5uqu5dilgf7gorsh9vcqqq4myo6jd4zmqkuy9pxyxi5fua3uf7axph4y_v1-v2-"
       "broken-signature-v1.ipns-record",
       0},
      /* 6. V2-only. */
      {"k51qzi5uqu5dit2ku9mutlfgwyz8u730on38kd10m97m36bjt66my99hb6103f_v2"
       ".ipns-record",
       0},
      /* gateway-conformance's other records, all Ed25519 V1+V2. */
      {"k51qzi5uqu5dghjous0agrwavl8vzl64xckoqzwqeqwudfr74kfd11zcyk3b7l"
       ".ipns-record",
       0},
      {"k51qzi5uqu5dhjghbwdvbo6mi40htrq6e2z4pwgp15pgv3ho1azvidttzh8yy2"
       ".ipns-record",
       0},
      {"k51qzi5uqu5djokp3m1keo36hoxtd6u3a1d2rg1camf6al7p3huy63dojlm57c"
       ".ipns-record",
       0},
      {"k51qzi5uqu5dlxdsdu5fpuu7h69wu4ohp32iwm9pdt9nq3y5rpn3ln9j12zfhe"
       ".ipns-record",
       0},
      {"12D3KooWLQzUv2FHWGVPXTXSZpdHs7oHbXub2G5WC8Tx4NQhyd2d.ipns-record", 0},
      {"tooling_k51qzi5uqu5dgh7y9l90nqs6tvnzcm9erbt8fhzg3fu79p5qt9zb2izvfu51ki"
       ".ipns-record",
       0},
      {"tooling_k51qzi5uqu5dh71qgwangrt6r0nd4094i88nsady6qgd1dhjcyfsaqmpp143ab"
       ".ipns-record",
       0},
      /* An RSA key (a Qm name, the key embedded): it parses and its key
       * matches the name, but only Ed25519 verifies here. */
      {"QmVujd5Vb7moysJj8itnGufN7MEtPRCNHkKpNuA4onsRa3.ipns-record", TR_EKEY},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(v); i++) {
    int rc = validate_file(v[i].file, NOW);
    if (rc != v[i].rc)
      fail_msg("%s: %s, want %s", v[i].file, tr_errname(rc),
               tr_errname(v[i].rc));
  }
}

/* The values the spec says the valid vectors point at. */
static void test_spec_values(void **state) {
  (void)state;
  static const struct {
    const char *file, *value;
  } v[] = {
      {"k51qzi5uqu5dlkw8pxuw9qmqayfdeh4kfebhmreauqdc6a7c3y7d5i9fi8mk9w_v1-v2"
       ".ipns-record",
       "/ipfs/bafkqaddwgevxmmraojswg33smq"},
      {"k51qzi5uqu5dilgf7gorsh9vcqqq4myo6jd4zmqkuy9pxyxi5fua3uf7axph4y_v1-v2-"
       "broken-signature-v1.ipns-record",
       "/ipfs/bafkqahtwgevxmmrao5uxi2bamjzg623fnyqhg2lhnzqxi5lsmuqhmmi"},
      {"k51qzi5uqu5dit2ku9mutlfgwyz8u730on38kd10m97m36bjt66my99hb6103f_v2"
       ".ipns-record",
       "/ipfs/bafkqadtwgiww63tmpeqhezldn5zgi"},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(v); i++) {
    char path[512];
    snprintf(path, sizeof path, VEC "%s", v[i].file);
    size_t n;
    uint8_t *b = slurp(path, &n);
    dht_ipns_record_t rec;
    assert_int_equal(dht_ipns_parse(&rec, b, n), 0);
    assert_true(rec.d.has & DHT_IPNS_D_VALUE);
    assert_int_equal(rec.d.value.len, strlen(v[i].value));
    assert_memory_equal(rec.d.value.p, v[i].value, rec.d.value.len);
    assert_int_equal(rec.d.sequence, 0);
    dht_ipns_record_free(&rec);
    free(b);
  }
}

/* The legacy signature covers value + validity + "EOL" (the enum's name,
 * as Go's fmt writes it): check it on the vector with both signatures
 * valid, so dht_ipns_create()'s signatureV1 is the one old readers check. */
static void test_sig_v1_format(void **state) {
  (void)state;
  const char *file =
      "k51qzi5uqu5dlkw8pxuw9qmqayfdeh4kfebhmreauqdc6a7c3y7d5i9fi8mk9w_v1-v2"
      ".ipns-record";
  char path[512];
  snprintf(path, sizeof path, VEC "%s", file);
  size_t n;
  uint8_t *b = slurp(path, &n), key[DHT_IPNS_KEY_MAX];
  net_peerid_t id;
  name_key(file, key, &id);
  dht_ipns_record_t rec;
  assert_int_equal(dht_ipns_parse(&rec, b, n), 0);
  net_pubkey_t pk;
  assert_int_equal(dht_ipns_pubkey(&rec, &id, NULL, &pk), 0);
  uint8_t msg[512];
  size_t m = 0;
  memcpy(msg + m, rec.value.p, rec.value.len);
  m += rec.value.len;
  memcpy(msg + m, rec.validity.p, rec.validity.len);
  m += rec.validity.len;
  memcpy(msg + m, "EOL", 3);
  m += 3;
  assert_int_equal(net_verify(&pk, msg, m, rec.signature_v1.p,
                              rec.signature_v1.len),
                   0);
  dht_ipns_record_free(&rec);
  free(b);
}

/* Every fixture marshals back to its bytes; for each valid V1+V2 one, a
 * record created here from its fields has the same data and, signatures
 * swapped, the same protobuf. */
static void test_fixture_roundtrip(void **state) {
  (void)state;
  static const char *files[] = {
      "k51qzi5uqu5dlkw8pxuw9qmqayfdeh4kfebhmreauqdc6a7c3y7d5i9fi8mk9w_v1-v2"
      ".ipns-record",
      "k51qzi5uqu5dit2ku9mutlfgwyz8u730on38kd10m97m36bjt66my99hb6103f_v2"
      ".ipns-record",
      "k51qzi5uqu5dghjous0agrwavl8vzl64xckoqzwqeqwudfr74kfd11zcyk3b7l"
      ".ipns-record",
      "k51qzi5uqu5djokp3m1keo36hoxtd6u3a1d2rg1camf6al7p3huy63dojlm57c"
      ".ipns-record",
      "12D3KooWLQzUv2FHWGVPXTXSZpdHs7oHbXub2G5WC8Tx4NQhyd2d.ipns-record",
      "tooling_k51qzi5uqu5dgh7y9l90nqs6tvnzcm9erbt8fhzg3fu79p5qt9zb2izvfu51ki"
      ".ipns-record",
      "tooling_k51qzi5uqu5dh71qgwangrt6r0nd4094i88nsady6qgd1dhjcyfsaqmpp143ab"
      ".ipns-record",
      "QmVujd5Vb7moysJj8itnGufN7MEtPRCNHkKpNuA4onsRa3.ipns-record",
  };
  net_privkey_t sk;
  seed_key(&sk, 7);
  for (size_t i = 0; i < TR_ARRAY_LEN(files); i++) {
    char path[512];
    snprintf(path, sizeof path, VEC "%s", files[i]);
    size_t n;
    uint8_t *b = slurp(path, &n);
    dht_ipns_record_t rec, mine;
    assert_int_equal(dht_ipns_parse(&rec, b, n), 0);
    tr_bytes_t out = {0};
    assert_int_equal(dht_ipns_marshal(&rec, &out), 0);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.data, b, n);
    out.len = 0;

    dht_ipns_time_t eol;
    assert_int_equal(dht_ipns_eol(&rec, &eol), 0);
    bool v2only = !(rec.has & DHT_IPNS_HAS_VALUE);
    assert_int_equal(dht_ipns_create(&sk, rec.d.value.p, rec.d.value.len,
                                     (uint64_t)rec.d.sequence, eol, rec.d.ttl,
                                     v2only ? DHT_IPNS_V2_ONLY : 0, &out),
                     0);
    assert_int_equal(dht_ipns_parse(&mine, out.data, out.len), 0);
    if (!bytes_equal_view(mine.data, rec.data))
      fail_msg("%s: created data differs from the fixture's", files[i]);
    /* The fixture with our signatures (and without its pubKey: an RSA
     * key's record embeds it, ours never does) is what we wrote. */
    dht_ipns_record_t swapped = rec;
    swapped.signature_v2 = mine.signature_v2;
    swapped.signature_v1 = mine.signature_v1;
    swapped.has &= ~(unsigned)DHT_IPNS_HAS_PUBKEY;
    tr_bytes_t again = {0};
    assert_int_equal(dht_ipns_marshal(&swapped, &again), 0);
    assert_int_equal(again.len, out.len);
    assert_memory_equal(again.data, out.data, out.len);
    tr_bytes_free(&again);
    dht_ipns_record_free(&mine);
    tr_bytes_free(&out);
    dht_ipns_record_free(&rec);
    free(b);
  }
}

/* A record Kubo 0.43.1 published (`ipfs name publish --key=k1
 * --lifetime=8760h /ipfs/bafkqaaa`, fetched from its gateway with
 * ?format=ipns-record), and that throwaway key as `ipfs key export`
 * wrote it.  Ed25519 signs deterministically, so the record created here
 * from the same key and fields must be Kubo's, signatures and all. */
#define KUBO_NAME "k51qzi5uqu5dlnvrbpztmtqr9ftdqpia88tqjqnzvq9ym00wtpiol3rjt8sml4"
static void test_kubo_record(void **state) {
  (void)state;
  size_t n, kn;
  uint8_t *b = slurp(VEC "kubo-0.43.1_" KUBO_NAME ".ipns-record", &n);
  uint8_t *kb = slurp(VEC "kubo-0.43.1_" KUBO_NAME ".key", &kn);
  net_peerid_t id;
  assert_int_equal(net_peerid_parse(&id, KUBO_NAME, strlen(KUBO_NAME)), 0);
  uint8_t key[DHT_IPNS_KEY_MAX];
  int kl = dht_ipns_key(&id, key, sizeof key);
  assert_true(kl > 0);
  assert_int_equal(dht_ipns_validate(key, (size_t)kl, b, n, NOW, NULL), 0);

  dht_ipns_record_t rec;
  assert_int_equal(dht_ipns_parse(&rec, b, n), 0);
  assert_int_equal(rec.d.value.len, 14);
  assert_memory_equal(rec.d.value.p, "/ipfs/bafkqaaa", 14);
  assert_int_equal(rec.d.ttl, DHT_IPNS_DEFAULT_TTL_NS);
  dht_ipns_time_t eol;
  assert_int_equal(dht_ipns_eol(&rec, &eol), 0);
  net_privkey_t sk;
  assert_int_equal(net_privkey_unmarshal(&sk, kb, kn), 0);
  net_pubkey_t pk;
  net_privkey_pubkey(&sk, &pk);
  assert_true(net_peerid_matches(&id, &pk));
  tr_bytes_t out = {0};
  assert_int_equal(dht_ipns_create(&sk, rec.d.value.p, rec.d.value.len,
                                   (uint64_t)rec.d.sequence, eol, rec.d.ttl,
                                   0, &out),
                   0);
  assert_int_equal(out.len, n);
  assert_memory_equal(out.data, b, n);
  tr_bytes_free(&out);
  dht_ipns_record_free(&rec);
  free(kb);
  free(b);
}

/* ------------------------------------------------------ own records */

/* A record for sk: PATH, seq, EOL now + eol_s, TTL 0 unless said. */
static void make(const net_privkey_t *sk, uint64_t seq, int64_t eol_s,
                 unsigned flags, tr_bytes_t *out) {
  dht_ipns_time_t eol = {NOW.sec + eol_s, 0};
  out->len = 0;
  assert_int_equal(dht_ipns_create(sk, (const uint8_t *)PATH, strlen(PATH),
                                   seq, eol, 0, flags, out),
                   0);
}

static void test_sign_validate(void **state) {
  (void)state;
  net_privkey_t sk;
  seed_key(&sk, 1);
  uint8_t key[DHT_IPNS_KEY_MAX];
  size_t kl;
  net_peerid_t id;
  key_of(&sk, key, &kl, &id);
  tr_bytes_t r = {0};
  dht_ipns_time_t eol = {NOW.sec + HOUR, 123456789};
  assert_int_equal(dht_ipns_create(&sk, (const uint8_t *)PATH, strlen(PATH),
                                   42, eol, DHT_IPNS_DEFAULT_TTL_NS, 0, &r),
                   0);
  assert_int_equal(dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL), 0);

  dht_ipns_record_t rec;
  assert_int_equal(dht_ipns_parse(&rec, r.data, r.len), 0);
  /* boxo's defaults: V1 fields and signatureV1, no pubKey for Ed25519. */
  assert_int_equal(rec.has, DHT_IPNS_HAS_VALUE | DHT_IPNS_HAS_SIG_V1 |
                                DHT_IPNS_HAS_VALIDITY_TYPE |
                                DHT_IPNS_HAS_VALIDITY | DHT_IPNS_HAS_SEQUENCE |
                                DHT_IPNS_HAS_TTL | DHT_IPNS_HAS_SIG_V2 |
                                DHT_IPNS_HAS_DATA);
  assert_int_equal(rec.d.has, 31);
  assert_int_equal(rec.d.sequence, 42);
  assert_int_equal(rec.sequence, 42);
  assert_int_equal(rec.d.ttl, DHT_IPNS_DEFAULT_TTL_NS);
  assert_int_equal(rec.validity.len, rec.d.validity.len);
  assert_memory_equal(rec.validity.p, "2026-01-01T01:00:00.123456789Z",
                      rec.validity.len);
  dht_ipns_time_t got;
  assert_int_equal(dht_ipns_eol(&rec, &got), 0);
  assert_true(got.sec == eol.sec && got.nsec == eol.nsec);
  /* The signature V1 is over value + validity + "EOL". */
  net_pubkey_t pk;
  assert_int_equal(dht_ipns_pubkey(&rec, &id, NULL, &pk), 0);
  uint8_t msg[256];
  memcpy(msg, PATH, strlen(PATH));
  memcpy(msg + strlen(PATH), rec.validity.p, rec.validity.len);
  memcpy(msg + strlen(PATH) + rec.validity.len, "EOL", 3);
  assert_int_equal(net_verify(&pk, msg, strlen(PATH) + rec.validity.len + 3,
                              rec.signature_v1.p, rec.signature_v1.len),
                   0);
  /* Expiry is now > EOL: valid at the EOL itself, not a nanosecond on. */
  assert_int_equal(dht_ipns_verify(&rec, &pk, eol), 0);
  dht_ipns_time_t after = {eol.sec, eol.nsec + 1};
  assert_int_equal(dht_ipns_verify(&rec, &pk, after), TR_EEXPIRED);
  dht_ipns_record_free(&rec);

  /* V2-only records validate and carry only signatureV2 and data. */
  make(&sk, 1, HOUR, DHT_IPNS_V2_ONLY, &r);
  assert_int_equal(dht_ipns_parse(&rec, r.data, r.len), 0);
  assert_int_equal(rec.has, DHT_IPNS_HAS_SIG_V2 | DHT_IPNS_HAS_DATA);
  dht_ipns_record_free(&rec);
  assert_int_equal(dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL), 0);

  /* An embedded key that is the name's is fine. */
  make(&sk, 1, HOUR, DHT_IPNS_EMBED_KEY, &r);
  assert_int_equal(dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL), 0);
  tr_bytes_free(&r);
}

static void test_expired(void **state) {
  (void)state;
  net_privkey_t sk;
  seed_key(&sk, 2);
  uint8_t key[DHT_IPNS_KEY_MAX];
  size_t kl;
  net_peerid_t id;
  key_of(&sk, key, &kl, &id);
  tr_bytes_t r = {0};
  make(&sk, 1, -HOUR, 0, &r);
  assert_int_equal(dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL),
                   TR_EEXPIRED);
  dht_ipns_time_t earlier = {NOW.sec - 2 * HOUR, 0};
  assert_int_equal(dht_ipns_validate(key, kl, r.data, r.len, earlier, NULL),
                   0);
  tr_bytes_free(&r);
}

/* Replace the bytes of a field found by content (each occurs once). */
static void patch(tr_bytes_t *r, const void *from, const void *to, size_t n) {
  uint8_t *p = memmem(r->data, r->len, from, n);
  assert_non_null(p);
  assert_null(memmem(p + 1, r->len - (size_t)(p - r->data) - 1, from, n));
  memcpy(p, to, n);
}

static void test_tampered(void **state) {
  (void)state;
  net_privkey_t sk;
  seed_key(&sk, 3);
  uint8_t key[DHT_IPNS_KEY_MAX];
  size_t kl;
  net_peerid_t id;
  key_of(&sk, key, &kl, &id);
  tr_bytes_t r = {0};
  dht_ipns_record_t rec;

  /* A bit of signatureV2 flipped. */
  make(&sk, 5, HOUR, 0, &r);
  assert_int_equal(dht_ipns_parse(&rec, r.data, r.len), 0);
  uint8_t sig[64];
  memcpy(sig, rec.signature_v2.p, 64);
  dht_ipns_record_free(&rec);
  uint8_t bad[64];
  memcpy(bad, sig, 64);
  bad[10] ^= 1;
  patch(&r, sig, bad, 64);
  assert_int_equal(dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL),
                   TR_ESIG);

  /* The signed data's Sequence changed (5 -> 6; "Sequence" then 0x05). */
  make(&sk, 5, HOUR, DHT_IPNS_V2_ONLY, &r);
  patch(&r, "Sequence\x05", "Sequence\x06", 9);
  assert_int_equal(dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL),
                   TR_ESIG);

  /* The signed data's Value changed. */
  make(&sk, 5, HOUR, DHT_IPNS_V2_ONLY, &r);
  patch(&r, "bafkqae3imvwgy3", "bafkqae3imvwgy4", 15);
  assert_int_equal(dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL),
                   TR_ESIG);

  /* V1 fields differ from the signed data: value, sequence, validity,
   * ttl, validity type. */
  make(&sk, 5, HOUR, 0, &r);
  assert_int_equal(dht_ipns_parse(&rec, r.data, r.len), 0);
  static const char other[] = "/ipfs/bafkqae3imvwgy3zamzxxe3jamnxw63ab";
  dht_ipns_record_t t = rec;
  tr_bytes_t o = {0};
  for (int k = 0; k < 6; k++) {
    t = rec;
    switch (k) {
    case 0:
      t.value = (dht_ipns_bytes_t){(const uint8_t *)other, strlen(other)};
      break;
    case 1:
      t.sequence = 6;
      break;
    case 2:
      t.validity = (dht_ipns_bytes_t){(const uint8_t *)"2026-01-01T01:00:01Z",
                                      20};
      break;
    case 3:
      t.ttl = 1;
      break;
    case 4:
      t.validity_type = 1;
      break;
    case 5: /* a value alone (no signatureV1) also triggers the check */
      t.has &= ~(unsigned)DHT_IPNS_HAS_SIG_V1;
      t.sequence = 7;
      break;
    }
    o.len = 0;
    assert_int_equal(dht_ipns_marshal(&t, &o), 0);
    int rc = dht_ipns_validate(key, kl, o.data, o.len, NOW, NULL);
    if (rc != TR_EIPNSV1)
      fail_msg("V1 tamper %d: %s", k, tr_errname(rc));
  }
  /* Without value and signatureV1 the other V1 fields are not compared
   * (boxo), and signatureV1 is never verified. */
  t = rec;
  t.has &= ~(unsigned)(DHT_IPNS_HAS_SIG_V1 | DHT_IPNS_HAS_VALUE);
  t.sequence = 99;
  o.len = 0;
  assert_int_equal(dht_ipns_marshal(&t, &o), 0);
  assert_int_equal(dht_ipns_validate(key, kl, o.data, o.len, NOW, NULL), 0);
  t = rec;
  t.signature_v1 = (dht_ipns_bytes_t){(const uint8_t *)"garbage", 7};
  o.len = 0;
  assert_int_equal(dht_ipns_marshal(&t, &o), 0);
  assert_int_equal(dht_ipns_validate(key, kl, o.data, o.len, NOW, NULL), 0);
  /* No signatureV2, or an empty one. */
  t = rec;
  t.has &= ~(unsigned)DHT_IPNS_HAS_SIG_V2;
  o.len = 0;
  assert_int_equal(dht_ipns_marshal(&t, &o), 0);
  assert_int_equal(dht_ipns_validate(key, kl, o.data, o.len, NOW, NULL),
                   TR_ESIG);
  t.has |= DHT_IPNS_HAS_SIG_V2;
  t.signature_v2.len = 0;
  o.len = 0;
  assert_int_equal(dht_ipns_marshal(&t, &o), 0);
  assert_int_equal(dht_ipns_validate(key, kl, o.data, o.len, NOW, NULL),
                   TR_ESIG);
  /* No data: not a record boxo parses. */
  t = rec;
  t.has &= ~(unsigned)DHT_IPNS_HAS_DATA;
  o.len = 0;
  assert_int_equal(dht_ipns_marshal(&t, &o), 0);
  assert_int_equal(dht_ipns_validate(key, kl, o.data, o.len, NOW, NULL),
                   TR_EIPNS);
  dht_ipns_record_free(&rec);
  tr_bytes_free(&o);
  tr_bytes_free(&r);
}

static void test_size_limit(void **state) {
  (void)state;
  net_privkey_t sk;
  seed_key(&sk, 4);
  uint8_t key[DHT_IPNS_KEY_MAX];
  size_t kl;
  net_peerid_t id;
  key_of(&sk, key, &kl, &id);
  dht_ipns_time_t eol = {NOW.sec + HOUR, 0};
  /* A value that makes the record (V2-only: value once, in the data) just
   * fit, then one byte more. */
  size_t vmax = 0;
  uint8_t *big = malloc(DHT_IPNS_RECORD_MAX + 1);
  memset(big, 'a', DHT_IPNS_RECORD_MAX + 1);
  memcpy(big, "/ipfs/", 6);
  tr_bytes_t r = {0};
  for (size_t v = DHT_IPNS_RECORD_MAX - 300; v <= DHT_IPNS_RECORD_MAX; v++) {
    r.len = 0;
    int rc = dht_ipns_create(&sk, big, v, 1, eol, 0, DHT_IPNS_V2_ONLY, &r);
    if (rc == TR_ETOOBIG) {
      assert_int_equal(r.len, 0); /* out unchanged */
      break;
    }
    assert_int_equal(rc, 0);
    assert_true(r.len <= DHT_IPNS_RECORD_MAX);
    vmax = v;
  }
  assert_true(vmax > 0);
  r.len = 0;
  assert_int_equal(
      dht_ipns_create(&sk, big, vmax, 1, eol, 0, DHT_IPNS_V2_ONLY, &r), 0);
  assert_true(r.len > DHT_IPNS_RECORD_MAX - 4);
  assert_int_equal(dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL), 0);
  /* Over the limit on the wire: a valid record with trailing unknown field
   * bytes (field 15, bytes) past 10 KiB is refused before parsing. */
  uint8_t pad[] = {0x7a, 0x10, 'p', 'a', 'd', 'p', 'a', 'd', 'p', 'a',
                   'd',  'p',  'a', 'd', 'p', 'a', 'd', 'x'};
  assert_int_equal(tr_bytes_append(&r, pad, sizeof pad), 0);
  assert_true(r.len > DHT_IPNS_RECORD_MAX);
  assert_int_equal(dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL),
                   TR_ETOOBIG);
  dht_ipns_record_t rec;
  assert_int_equal(dht_ipns_parse(&rec, r.data, r.len), TR_ETOOBIG);
  /* Within the limit, unknown fields are skipped, as Go does. */
  r.len = 0;
  make(&sk, 1, HOUR, 0, &r);
  assert_int_equal(tr_bytes_append(&r, pad, sizeof pad), 0);
  assert_int_equal(dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL), 0);
  /* A value too big for any record. */
  r.len = 0;
  assert_int_equal(dht_ipns_create(&sk, big, DHT_IPNS_RECORD_MAX + 1, 1, eol,
                                   0, 0, &r),
                   TR_ETOOBIG);
  assert_int_equal(r.len, 0);
  free(big);
  tr_bytes_free(&r);
}

static void test_key_mismatch(void **state) {
  (void)state;
  net_privkey_t a, b;
  seed_key(&a, 5);
  seed_key(&b, 6);
  uint8_t ka[DHT_IPNS_KEY_MAX], kb[DHT_IPNS_KEY_MAX];
  size_t kla, klb;
  net_peerid_t ida, idb;
  key_of(&a, ka, &kla, &ida);
  key_of(&b, kb, &klb, &idb);
  tr_bytes_t r = {0};
  /* A's record under B's name: B's inlined key does not verify it (boxo's
   * TestValidateWithName: ErrSignature). */
  make(&a, 1, HOUR, 0, &r);
  assert_int_equal(dht_ipns_validate(kb, klb, r.data, r.len, NOW, NULL),
                   TR_ESIG);
  /* With A's key embedded: the key is not the name's. */
  make(&a, 1, HOUR, DHT_IPNS_EMBED_KEY, &r);
  assert_int_equal(dht_ipns_validate(kb, klb, r.data, r.len, NOW, NULL),
                   TR_EKEYMISMATCH);
  assert_int_equal(dht_ipns_validate(ka, kla, r.data, r.len, NOW, NULL), 0);

  /* A pubKey that is no key. */
  dht_ipns_record_t rec;
  assert_int_equal(dht_ipns_parse(&rec, r.data, r.len), 0);
  dht_ipns_record_t t = rec;
  t.pubkey = (dht_ipns_bytes_t){(const uint8_t *)"probably not a key", 18};
  tr_bytes_t o = {0};
  assert_int_equal(dht_ipns_marshal(&t, &o), 0);
  assert_int_equal(dht_ipns_validate(ka, kla, o.data, o.len, NOW, NULL),
                   TR_EKEY);
  dht_ipns_record_free(&rec);

  /* A hashed name (sha2-256 of A's key) without a key in the record: the
   * caller's peerstore must supply it; one that is not the name's is
   * refused. */
  net_pubkey_t pka, pkb;
  net_privkey_pubkey(&a, &pka);
  net_privkey_pubkey(&b, &pkb);
  uint8_t pkm[NET_PUBKEY_PB_MAX];
  int pl = net_pubkey_marshal(&pka, pkm, sizeof pkm);
  assert_true(pl > 0);
  net_peerid_t hashed;
  hashed.len = 34;
  hashed.bytes[0] = 0x12;
  hashed.bytes[1] = 0x20;
  crypto_hash_sha256(hashed.bytes + 2, pkm, (unsigned long long)pl);
  make(&a, 1, HOUR, 0, &r);
  assert_int_equal(dht_ipns_parse(&rec, r.data, r.len), 0);
  net_pubkey_t got;
  assert_int_equal(dht_ipns_pubkey(&rec, &hashed, NULL, &got), TR_ENOPUBKEY);
  assert_int_equal(dht_ipns_pubkey(&rec, &hashed, &pkb, &got),
                   TR_EKEYMISMATCH);
  dht_ipns_record_free(&rec);
  uint8_t hk[DHT_IPNS_KEY_MAX];
  int hkl = dht_ipns_key(&hashed, hk, sizeof hk);
  assert_int_equal(hkl, 6 + 34);
  assert_int_equal(dht_ipns_validate(hk, (size_t)hkl, r.data, r.len, NOW,
                                     NULL),
                   TR_ENOPUBKEY);
  tr_bytes_free(&o);
  tr_bytes_free(&r);
}

/* boxo's TestValidator cases on names: bad routing keys. */
static void test_routing_keys(void **state) {
  (void)state;
  net_privkey_t sk;
  seed_key(&sk, 8);
  uint8_t key[DHT_IPNS_KEY_MAX];
  size_t kl;
  net_peerid_t id, back;
  key_of(&sk, key, &kl, &id);
  assert_int_equal(kl, 6 + 38); /* identity multihash of 36 bytes of key */
  assert_memory_equal(key, "/ipns/", 6);
  assert_memory_equal(key + 6, id.bytes, id.len);
  assert_int_equal(dht_ipns_key_parse(key, kl, &back), 0);
  assert_true(net_peerid_equal(&id, &back));
  uint8_t small[10];
  assert_int_equal(dht_ipns_key(&id, small, sizeof small), TR_EBUFSIZE);

  tr_bytes_t r = {0};
  make(&sk, 1, HOUR, 0, &r);
  static const char *bad[] = {"/ipns/bad key", "//", "/wrong/x", "", "/ipns/",
                              "/ipns"};
  static const int want[] = {TR_EPEERID, TR_ERECKEY, TR_ERECKEY,
                             TR_ERECKEY, TR_EPEERID, TR_ERECKEY};
  for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++)
    assert_int_equal(dht_ipns_validate((const uint8_t *)bad[i],
                                       strlen(bad[i]), r.data, r.len, NOW,
                                       NULL),
                     want[i]);
  /* The /pk/ key of the same PeerID is not an IPNS key. */
  uint8_t pk[DHT_IPNS_PK_KEY_MAX];
  int pkl = dht_ipns_pk_key(&id, pk, sizeof pk);
  assert_int_equal(pkl, 4 + 38);
  assert_int_equal(dht_ipns_validate(pk, (size_t)pkl, r.data, r.len, NOW,
                                     NULL),
                   TR_ERECKEY);
  /* Bad record bytes under a good key. */
  assert_int_equal(dht_ipns_validate(key, kl, (const uint8_t *)"bad data", 8,
                                     NOW, NULL),
                   TR_EIPNS);
  tr_bytes_free(&r);
}

/* ------------------------------------------------- hand-made data */

/* A V2-only record of sk over the given data bytes. */
static void sign_data(const net_privkey_t *sk, const tr_bytes_t *d,
                      tr_bytes_t *out) {
  uint8_t msg[2048], sig[64];
  assert_true(d->len + 15 <= sizeof msg);
  memcpy(msg, "ipns-signature:", 15);
  memcpy(msg + 15, d->data, d->len);
  net_sign(sk, msg, 15 + d->len, sig);
  dht_ipns_record_t r;
  memset(&r, 0, sizeof r);
  r.has = DHT_IPNS_HAS_SIG_V2 | DHT_IPNS_HAS_DATA;
  r.signature_v2 = (dht_ipns_bytes_t){sig, 64};
  r.data = (dht_ipns_bytes_t){d->data, d->len};
  out->len = 0;
  assert_int_equal(dht_ipns_marshal(&r, out), 0);
}

/* The data map's entries, as (key, kind, value) built in order. */
static void put_entry_bytes(tr_bytes_t *d, const char *k, const char *v) {
  assert_int_equal(dag_cbor_put_text(d, k, strlen(k)), 0);
  assert_int_equal(dag_cbor_put_bytes(d, v, strlen(v)), 0);
}
static void put_entry_int(tr_bytes_t *d, const char *k, int64_t v) {
  assert_int_equal(dag_cbor_put_text(d, k, strlen(k)), 0);
  assert_int_equal(dag_cbor_put_int(d, v), 0);
}

static void test_data_rules(void **state) {
  (void)state;
  net_privkey_t sk;
  seed_key(&sk, 9);
  uint8_t key[DHT_IPNS_KEY_MAX];
  size_t kl;
  net_peerid_t id;
  key_of(&sk, key, &kl, &id);
  tr_bytes_t d = {0}, r = {0};
  const char *eol = "2026-01-01T01:00:00Z";

  /* Extension keys (the spec's "Extensible Data") are signed and allowed;
   * a negative TTL is not (boxo's TestValidateRejectsNegativeTTL). */
  for (int ttl = 1; ttl >= -1; ttl -= 2) {
    d.len = 0;
    assert_int_equal(dag_cbor_put_head(&d, 5, 6), 0);
    put_entry_int(&d, "TTL", ttl);
    assert_int_equal(dag_cbor_put_text(&d, "_ext", 4), 0);
    assert_int_equal(dag_cbor_put_text(&d, "hello", 5), 0);
    put_entry_bytes(&d, "Value", PATH);
    put_entry_int(&d, "Sequence", 1);
    put_entry_bytes(&d, "Validity", eol);
    put_entry_int(&d, "ValidityType", 0);
    sign_data(&sk, &d, &r);
    assert_int_equal(dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL),
                     ttl < 0 ? TR_EIPNS : 0);
  }

  /* No TTL, or a TTL of another kind: ignored (boxo reads it only to
   * refuse a negative one).  No Sequence: valid, but cannot be selected. */
  d.len = 0;
  assert_int_equal(dag_cbor_put_head(&d, 5, 3), 0);
  put_entry_bytes(&d, "TTL", "x");
  put_entry_bytes(&d, "Validity", eol);
  put_entry_int(&d, "ValidityType", 0);
  sign_data(&sk, &d, &r);
  assert_int_equal(dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL), 0);
  const uint8_t *vals[2] = {r.data, r.data};
  size_t lens[2] = {r.len, r.len};
  assert_int_equal(dht_ipns_select(vals, lens, 1), 0);
  assert_int_equal(dht_ipns_select(vals, lens, 2), TR_EIPNS);

  /* Validity types and timestamps. */
  static const struct {
    int64_t type;
    const char *validity;
    int rc;
  } v[] = {
      {1, "2026-01-01T01:00:00Z", TR_EVALIDITY},
      {0, "2026-01-01 01:00:00Z", TR_EVALIDITY},
      {0, "2026-02-29T01:00:00Z", TR_EVALIDITY},
      {0, "2025-12-31T23:59:59.999999999Z", TR_EEXPIRED},
      {0, "2026-01-01T00:00:00Z", 0},
      {0, "2026-01-01T00:30:00+00:30", 0}, /* = NOW */
      {0, "2026-01-01T00:30:00+00:31", TR_EEXPIRED},
      {0, "2025-12-31T23:00:00-01:00", 0},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(v); i++) {
    d.len = 0;
    assert_int_equal(dag_cbor_put_head(&d, 5, 3), 0);
    put_entry_int(&d, "Sequence", 1);
    put_entry_bytes(&d, "Validity", v[i].validity);
    put_entry_int(&d, "ValidityType", v[i].type);
    sign_data(&sk, &d, &r);
    int rc = dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL);
    if (rc != v[i].rc)
      fail_msg("%s: %s, want %s", v[i].validity, tr_errname(rc),
               tr_errname(v[i].rc));
  }

  /* Malformed data: each refused when parsing, before any signature. */
#define B(s) {s, sizeof s - 1}
  static const struct {
    const char *p;
    size_t n;
  } bad[] = {
      B("\x80"),                       /* a list, not a map */
      B("\xa1\x01\x02"),               /* a key that is not text */
      B("\xa1\x63TTL\x01\x00"),        /* trailing bytes */
      B("\xa2\x63TTL\x01\x63TTL\x02"), /* a reserved key twice */
      B("\xa1\x63TTL\x18\x01"),        /* a non-minimal integer */
      B("\xb8\x01\x63TTL\x01"),        /* a non-minimal map length */
      B("\xbf\x63TTL\x01\xff"),        /* an indefinite map */
      B("\xa1\x63TTL\x3b\xff\xff\xff\xff\xff\xff\xff\xff"), /* < INT64_MIN */
      B("\xa1\x63TTL"),                /* truncated */
      B("\xa1\x64_ext\xc1\x00"),       /* a tag other than 42 */
      B("\xa1\x65Value\x59\x00\x01X"), /* a non-minimal byte string */
      B("\xa1\x78\x03TTL\x01"),        /* a non-minimal key length */
      B("\xa5\x63TTL\x01"),            /* more entries than bytes */
  };
#undef B
  for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++) {
    d.len = 0;
    assert_int_equal(tr_bytes_append(&d, bad[i].p, bad[i].n), 0);
    sign_data(&sk, &d, &r);
    dht_ipns_record_t rec;
    int rc = dht_ipns_parse(&rec, r.data, r.len);
    if (rc != TR_EIPNS)
      fail_msg("bad data %zu: %s", i, tr_errname(rc));
  }
  /* A Sequence beyond int64 is not an integer to boxo (absent). */
  d.len = 0;
  assert_int_equal(dag_cbor_put_head(&d, 5, 1), 0);
  assert_int_equal(dag_cbor_put_text(&d, "Sequence", 8), 0);
  assert_int_equal(dag_cbor_put_head(&d, 0, UINT64_MAX), 0);
  sign_data(&sk, &d, &r);
  dht_ipns_record_t rec;
  assert_int_equal(dht_ipns_parse(&rec, r.data, r.len), 0);
  assert_int_equal(rec.d.has, 0);
  dht_ipns_record_free(&rec);
  tr_bytes_free(&d);
  tr_bytes_free(&r);
}

/* ------------------------------------------------------------ select */

static int pick(tr_bytes_t *recs, const int *idx, size_t n) {
  const uint8_t *vals[8];
  size_t lens[8];
  for (size_t i = 0; i < n; i++) {
    vals[i] = recs[idx[i]].data;
    lens[i] = recs[idx[i]].len;
  }
  int rc = dht_ipns_select(vals, lens, n);
  return rc < 0 ? rc : idx[rc];
}

/* boxo's TestOrdering: every order of each set picks the same record. */
static void test_select(void **state) {
  (void)state;
  net_privkey_t sk;
  seed_key(&sk, 10);
  tr_bytes_t r[7] = {{0}};
  make(&sk, 1, HOUR, 0, &r[0]);
  make(&sk, 2, HOUR, 0, &r[1]);
  make(&sk, 3, HOUR, 0, &r[2]);
  make(&sk, 3, 2 * HOUR, 0, &r[3]);
  make(&sk, 4, 3 * HOUR, 0, &r[4]);
  /* r5: seq 2^63 is written as a negative CBOR integer (boxo's int64
   * cast) and still compares as the greatest uint64 here. */
  make(&sk, UINT64_C(1) << 63, HOUR, 0, &r[5]);
  /* r6: r4 without signatureV2 loses to everything signed. */
  {
    dht_ipns_record_t rec;
    assert_int_equal(dht_ipns_parse(&rec, r[4].data, r[4].len), 0);
    rec.has &= ~(unsigned)DHT_IPNS_HAS_SIG_V2;
    rec.sequence = 100;
    assert_int_equal(dht_ipns_marshal(&rec, &r[6]), 0);
    dht_ipns_record_free(&rec);
  }
  static const struct {
    int set[6];
    size_t n;
    int best;
  } cases[] = {
      {{0}, 1, 0},          {{0, 1}, 2, 1},          {{0, 1, 2}, 3, 2},
      {{0, 1, 2, 3}, 4, 3}, {{0, 1, 2, 3, 4}, 5, 4}, {{6, 0}, 2, 0},
      {{0, 5, 4}, 3, 5},
  };
  for (size_t c = 0; c < TR_ARRAY_LEN(cases); c++) {
    int set[6];
    size_t n = cases[c].n;
    memcpy(set, cases[c].set, sizeof set);
    /* every rotation and its reverse */
    for (size_t rot = 0; rot < n; rot++) {
      for (int rev = 0; rev < 2; rev++) {
        int order[6];
        for (size_t i = 0; i < n; i++)
          order[i] = set[rev ? (rot + n - i) % n : (rot + i) % n];
        int got = pick(r, order, n);
        if (got != cases[c].best)
          fail_msg("case %zu rot %zu rev %d: %d, want %d", c, rot, rev, got,
                   cases[c].best);
      }
    }
  }
  /* Equal sequence and EOL: the greater bytes win, in either order.  Two
   * records differing only in their value have the same keys. */
  tr_bytes_t x = {0}, y = {0};
  dht_ipns_time_t eol = {NOW.sec + HOUR, 0};
  assert_int_equal(dht_ipns_create(&sk, (const uint8_t *)"/ipfs/a", 7, 9, eol,
                                   0, 0, &x),
                   0);
  assert_int_equal(dht_ipns_create(&sk, (const uint8_t *)"/ipfs/b", 7, 9, eol,
                                   0, 0, &y),
                   0);
  size_t n = x.len < y.len ? x.len : y.len;
  int c = memcmp(x.data, y.data, n);
  int bigger = c > 0 || (c == 0 && x.len > y.len) ? 0 : 1;
  const uint8_t *vals[2] = {x.data, y.data};
  size_t lens[2] = {x.len, y.len};
  assert_int_equal(dht_ipns_select(vals, lens, 2), bigger);
  vals[0] = y.data, vals[1] = x.data, lens[0] = y.len, lens[1] = x.len;
  assert_int_equal(dht_ipns_select(vals, lens, 2), 1 - bigger);
  /* The same record twice: the first. */
  vals[1] = y.data, lens[1] = y.len;
  assert_int_equal(dht_ipns_select(vals, lens, 2), 0);
  /* A record that does not parse, anywhere, fails the selection. */
  vals[1] = (const uint8_t *)"junk", lens[1] = 4;
  assert_int_equal(dht_ipns_select(vals, lens, 2), TR_EIPNS);
  assert_int_equal(dht_ipns_select(vals, lens, 0), TR_EUSAGE);
  tr_bytes_free(&x);
  tr_bytes_free(&y);
  for (size_t i = 0; i < TR_ARRAY_LEN(r); i++)
    tr_bytes_free(&r[i]);
}

/* -------------------------------------------------------- timestamps */

static void test_time(void **state) {
  (void)state;
  static const struct {
    const char *s;
    int64_t sec;
    uint32_t nsec;
    const char *canon; /* what format writes back; NULL: s itself */
  } ok[] = {
      {"1970-01-01T00:00:00.000000001Z", 0, 1, NULL},
      {"1970-01-01T00:00:00Z", 0, 0, NULL},
      {"2123-08-14T12:17:03.694052Z", 4847689023, 694052000, NULL},
      {"2024-02-29T23:59:59.5Z", 1709251199, 500000000, NULL},
      {"2024-02-29T23:59:59.500Z", 1709251199, 500000000,
       "2024-02-29T23:59:59.5Z"},
      {"2024-03-01T01:00:00+01:00", 1709251200, 0, "2024-03-01T00:00:00Z"},
      {"2024-02-29T23:00:00-01:00", 1709251200, 0, "2024-03-01T00:00:00Z"},
      {"2000-01-01T00:00:00.1234567891234Z", 946684800, 123456789,
       "2000-01-01T00:00:00.123456789Z"},
      {"0000-01-01T00:00:00Z", -62167219200, 0, NULL},
      {"9999-12-31T23:59:59.999999999Z", 253402300799, 999999999, NULL},
      {"1969-12-31T23:59:59Z", -1, 0, NULL},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(ok); i++) {
    dht_ipns_time_t t;
    assert_int_equal(dht_ipns_time_parse(ok[i].s, strlen(ok[i].s), &t), 0);
    if (t.sec != ok[i].sec || t.nsec != ok[i].nsec)
      fail_msg("%s: %lld.%09u", ok[i].s, (long long)t.sec, t.nsec);
    char out[DHT_IPNS_TIME_STR_MAX];
    const char *want = ok[i].canon ? ok[i].canon : ok[i].s;
    assert_int_equal(dht_ipns_time_format(t, out, sizeof out),
                     (int)strlen(want));
    assert_string_equal(out, want);
  }
  static const char *bad[] = {
      "",
      "2023-02-29T00:00:00Z",
      "2023-13-01T00:00:00Z",
      "2023-00-01T00:00:00Z",
      "2023-01-00T00:00:00Z",
      "2023-01-01T24:00:00Z",
      "2023-01-01T00:60:00Z",
      "2023-01-01T00:00:60Z",
      "2023-01-01T00:00:00",
      "2023-01-01t00:00:00Z",
      "2023-01-01T00:00:00z",
      "2023-01-01T00:00:00.Z",
      "2023-01-01T00:00:00+0100",
      "2023-01-01T00:00:00+24:00",
      "2023-01-01T00:00:00+01:60",
      "2023-01-01T00:00:00ZZ",
      "+023-01-01T00:00:00Z",
      "2023-1-01T00:00:00Z",
      "2023-01-01T00:00:00.1a",
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++) {
    dht_ipns_time_t t;
    if (dht_ipns_time_parse(bad[i], strlen(bad[i]), &t) != TR_EVALIDITY)
      fail_msg("accepted %s", bad[i]);
  }
  char out[DHT_IPNS_TIME_STR_MAX];
  dht_ipns_time_t t = {253402300800, 0}; /* year 10000 */
  assert_int_equal(dht_ipns_time_format(t, out, sizeof out), TR_EUSAGE);
  t.sec = -62167219201; /* year -1 */
  assert_int_equal(dht_ipns_time_format(t, out, sizeof out), TR_EUSAGE);
  t.sec = 0;
  t.nsec = 1000000000;
  assert_int_equal(dht_ipns_time_format(t, out, sizeof out), TR_EUSAGE);
  t.nsec = 0;
  assert_int_equal(dht_ipns_time_format(t, out, 20), TR_EBUFSIZE);
  assert_int_equal(dht_ipns_time_format(t, out, 21), 20);
  /* create refuses what format refuses */
  net_privkey_t sk;
  seed_key(&sk, 11);
  tr_bytes_t r = {0};
  t.sec = 253402300800;
  assert_int_equal(dht_ipns_create(&sk, (const uint8_t *)PATH, strlen(PATH),
                                   1, t, 0, 0, &r),
                   TR_EUSAGE);
  tr_bytes_free(&r);
}

/* --------------------------------------------------------------- /pk/ */

static void test_pk(void **state) {
  (void)state;
  net_privkey_t a, b;
  seed_key(&a, 12);
  seed_key(&b, 13);
  net_pubkey_t pka, pkb;
  net_privkey_pubkey(&a, &pka);
  net_privkey_pubkey(&b, &pkb);
  net_peerid_t ida, back;
  assert_int_equal(net_peerid_from_pubkey(&ida, &pka), 0);
  uint8_t key[DHT_IPNS_PK_KEY_MAX], va[NET_PUBKEY_PB_MAX],
      vb[NET_PUBKEY_PB_MAX];
  int kl = dht_ipns_pk_key(&ida, key, sizeof key);
  assert_true(kl == 4 + ida.len);
  assert_memory_equal(key, "/pk/", 4);
  assert_int_equal(dht_ipns_pk_key_parse(key, (size_t)kl, &back), 0);
  assert_true(net_peerid_equal(&back, &ida));
  int la = net_pubkey_marshal(&pka, va, sizeof va);
  int lb = net_pubkey_marshal(&pkb, vb, sizeof vb);
  assert_true(la > 0 && lb > 0);
  assert_int_equal(dht_ipns_pk_validate(key, (size_t)kl, va, (size_t)la), 0);
  assert_int_equal(dht_ipns_pk_validate(key, (size_t)kl, vb, (size_t)lb),
                   TR_EKEYMISMATCH);
  assert_int_equal(
      dht_ipns_pk_validate(key, (size_t)kl, (const uint8_t *)"xx", 2),
      TR_EKEY);
  assert_int_equal(dht_ipns_pk_validate((const uint8_t *)"/pk/zz", 6, va,
                                        (size_t)la),
                   TR_EPEERID);
  key[1] = 'q';
  assert_int_equal(dht_ipns_pk_validate(key, (size_t)kl, va, (size_t)la),
                   TR_ERECKEY);
}

/* --------------------------------------------------------- failmalloc */

/* Every allocation of parse, create, validate and select may fail: the
 * result is then -ENOMEM (never a crash, a leak or a false verdict), and
 * once enough succeed it is the normal one. */
static void test_failmalloc(void **state) {
  (void)state;
  net_privkey_t sk;
  seed_key(&sk, 14);
  uint8_t key[DHT_IPNS_KEY_MAX];
  size_t kl;
  net_peerid_t id;
  key_of(&sk, key, &kl, &id);
  tr_bytes_t a = {0}, b = {0};
  make(&sk, 1, HOUR, 0, &a);
  make(&sk, 2, HOUR, 0, &b);
  const uint8_t *vals[2] = {a.data, b.data};
  size_t lens[2] = {a.len, b.len};
  /* A value long enough that the data outgrows create's stack buffer. */
  uint8_t value[300];
  memset(value, 'v', sizeof value);
  bool done[3] = {false, false, false};
  for (long i = 0; i < 200 && !(done[0] && done[1] && done[2]); i++) {
    fm_start(i);
    int rv = dht_ipns_validate(key, kl, a.data, a.len, NOW, NULL);
    int rs = dht_ipns_select(vals, lens, 2);
    tr_bytes_t c = {0};
    int rc = dht_ipns_create(&sk, value, sizeof value, 1,
                             (dht_ipns_time_t){NOW.sec + 1, 0}, 0, 0, &c);
    fm_reset();
    tr_bytes_free(&c);
    assert_true(rv == 0 || rv == -ENOMEM);
    assert_true(rs == 1 || rs == -ENOMEM);
    assert_true(rc == 0 || rc == -ENOMEM);
    done[0] |= rv == 0;
    done[1] |= rs == 1;
    done[2] |= rc == 0;
  }
  assert_true(done[0] && done[1] && done[2]);
  tr_bytes_free(&a);
  tr_bytes_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spec_vectors),
      cmocka_unit_test(test_spec_values),
      cmocka_unit_test(test_sig_v1_format),
      cmocka_unit_test(test_fixture_roundtrip),
      cmocka_unit_test(test_kubo_record),
      cmocka_unit_test(test_sign_validate),
      cmocka_unit_test(test_expired),
      cmocka_unit_test(test_tampered),
      cmocka_unit_test(test_size_limit),
      cmocka_unit_test(test_key_mismatch),
      cmocka_unit_test(test_routing_keys),
      cmocka_unit_test(test_data_rules),
      cmocka_unit_test(test_select),
      cmocka_unit_test(test_time),
      cmocka_unit_test(test_pk),
      cmocka_unit_test(test_failmalloc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

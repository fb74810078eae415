/*
 * test_ipns_keys.c — IPNS records of keys other than Ed25519 (dht/ipns.h
 * over net_verify(), net/pkverify.c): RSA, secp256k1 and ECDSA, as
 * go-libp2p and boxo verify them.
 *
 * Known answers: records Kubo 0.43.1 published with `ipfs key gen
 * --type=rsa --size=2048` and `--type=secp256k1` keys (`ipfs name publish
 * --allow-offline --lifetime=8760h /ipfs/bafkqaaa`, fetched from its
 * gateway with ?format=ipns-record; tests/vectors/ipns/kubo-0.43.1_k2k4...
 * and _kzwf...), and gateway-conformance's RSA fixture (QmVujd5V...).
 * Each validates; with a byte of its signature or data flipped it does
 * not (TR_ESIG); an RSA record without its pubKey cannot be checked (its
 * name is a hash: TR_ENOPUBKEY).
 *
 * Then records signed here with libcrypto over a Kubo record's data: RSA
 * keys of 2048 bits validate and of 1024 bits are refused (TR_EKEY, as
 * go-libp2p's MinRsaKeyBits); ECDSA P-256 and P-384 keys validate, a
 * P-256 signature checked as another key's fails; a pubKey of one type
 * with data of another is refused.
 *
 * Run from the repository root: vectors are read from tests/vectors/ipns/.
 */
#include "ipns_util.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#define VEC "tests/vectors/ipns/"
#define RSA_NAME "k2k4r8ph6mjaqxb65opssmdu8o21ak13uzwi6ro1cnlozbufa3npnsef"
#define SECP_NAME "kzwfwjn5ji4purencfvqrdecwvsufzias63lh6mssen1kkieebrg9dc8i8gc03d"
#define CONF_RSA_NAME "QmVujd5Vb7moysJj8itnGufN7MEtPRCNHkKpNuA4onsRa3"

static size_t name_key(const char *name, uint8_t key[DHT_IPNS_KEY_MAX]) {
  net_peerid_t id;
  assert_int_equal(net_peerid_parse(&id, name, strlen(name)), 0);
  int kl = dht_ipns_key(&id, key, DHT_IPNS_KEY_MAX);
  assert_true(kl > 6);
  return (size_t)kl;
}

/* Validate b[0..n) under name, with byte `flip` of the field f (a view
 * into a parsed copy) inverted when f is not NULL. */
static int validate_flipped(const char *name, const uint8_t *b, size_t n,
                            int which, size_t flip) {
  uint8_t key[DHT_IPNS_KEY_MAX];
  size_t kl = name_key(name, key);
  if (which < 0)
    return dht_ipns_validate(key, kl, b, n, NOW, NULL);
  dht_ipns_record_t rec;
  assert_int_equal(dht_ipns_parse(&rec, b, n), 0);
  dht_ipns_bytes_t *f = which == 0 ? &rec.signature_v2 : &rec.data;
  assert_true(f->len > flip);
  uint8_t *copy = malloc(f->len);
  memcpy(copy, f->p, f->len);
  copy[flip] ^= 0x01;
  f->p = copy;
  tr_bytes_t o = {0};
  assert_int_equal(dht_ipns_marshal(&rec, &o), 0);
  int rc = dht_ipns_validate(key, kl, o.data, o.len, NOW, NULL);
  tr_bytes_free(&o);
  free(copy);
  dht_ipns_record_free(&rec);
  return rc;
}

static void test_kubo_records(void **state) {
  (void)state;
  static const struct {
    const char *name, *file;
  } v[] = {
      {RSA_NAME, VEC "kubo-0.43.1_" RSA_NAME ".ipns-record"},
      {SECP_NAME, VEC "kubo-0.43.1_" SECP_NAME ".ipns-record"},
      {CONF_RSA_NAME, VEC CONF_RSA_NAME ".ipns-record"},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(v); i++) {
    size_t n;
    uint8_t *b = slurp(v[i].file, &n);
    int rc = validate_flipped(v[i].name, b, n, -1, 0);
    if (rc)
      fail_msg("%s: %s, want OK", v[i].file, tr_errname(rc));
    dht_ipns_record_t rec;
    assert_int_equal(dht_ipns_parse(&rec, b, n), 0);
    /* RSA keys come in the record; a secp256k1 name inlines its key. */
    net_pubkey_t pk;
    if (i == 1) {
      net_peerid_t id;
      assert_false(rec.has & DHT_IPNS_HAS_PUBKEY);
      assert_int_equal(net_peerid_parse(&id, SECP_NAME, strlen(SECP_NAME)), 0);
      assert_int_equal(net_peerid_pubkey(&id, &pk), 0);
    } else {
      assert_true(rec.has & DHT_IPNS_HAS_PUBKEY);
      assert_int_equal(net_pubkey_unmarshal(&pk, rec.pubkey.p, rec.pubkey.len),
                       0);
    }
    assert_int_equal(pk.type, i == 1 ? NET_KEY_SECP256K1 : NET_KEY_RSA);
    if (i < 2) {
      assert_int_equal(rec.d.value.len, 14);
      assert_memory_equal(rec.d.value.p, "/ipfs/bafkqaaa", 14);
    }
    /* The signature, the first and the last byte, and the data. */
    assert_int_equal(validate_flipped(v[i].name, b, n, 0, 0), TR_ESIG);
    assert_int_equal(
        validate_flipped(v[i].name, b, n, 0, rec.signature_v2.len - 1),
        TR_ESIG);
    assert_int_equal(validate_flipped(v[i].name, b, n, 1, rec.data.len - 3),
                     TR_ESIG);
    /* Without its pubKey: an RSA name is a hash, so the key must come with
     * the record (or from the caller's peerstore). */
    uint8_t key[DHT_IPNS_KEY_MAX];
    size_t kl = name_key(v[i].name, key);
    rec.has &= ~(unsigned)DHT_IPNS_HAS_PUBKEY;
    rec.pubkey.len = 0;
    tr_bytes_t o = {0};
    assert_int_equal(dht_ipns_marshal(&rec, &o), 0);
    assert_int_equal(dht_ipns_validate(key, kl, o.data, o.len, NOW, NULL),
                     i == 1 ? 0 : TR_ENOPUBKEY);
    /* ... or from the caller's peerstore. */
    if (i != 1)
      assert_int_equal(dht_ipns_validate(key, kl, o.data, o.len, NOW, &pk), 0);
    tr_bytes_free(&o);
    dht_ipns_record_free(&rec);
    free(b);
  }
}

/* The Kubo RSA record's data re-signed with key (a libp2p key of type
 * type: PKIX DER for RSA and ECDSA), its pubKey embedded; the routing key
 * of the key's PeerID into rk.  Returns the record in out. */
static void sign_record(EVP_PKEY *key, int type, tr_bytes_t *out,
                        uint8_t rk[DHT_IPNS_KEY_MAX], size_t *rkl) {
  size_t n;
  uint8_t *b = slurp(VEC "kubo-0.43.1_" RSA_NAME ".ipns-record", &n);
  dht_ipns_record_t rec;
  assert_int_equal(dht_ipns_parse(&rec, b, n), 0);
  net_pubkey_t pk = {.type = type};
  unsigned char *der = NULL;
  int dl = i2d_PUBKEY(key, &der);
  assert_true(dl > 0 && dl <= NET_PUBKEY_MAX);
  memcpy(pk.data, der, (size_t)dl);
  pk.len = (uint16_t)dl;
  OPENSSL_free(der);
  uint8_t pkb[NET_PUBKEY_PB_MAX];
  int pl = net_pubkey_marshal(&pk, pkb, sizeof pkb);
  assert_true(pl > 0);
  net_peerid_t id;
  assert_int_equal(net_peerid_from_pubkey(&id, &pk), 0);
  int kl = dht_ipns_key(&id, rk, DHT_IPNS_KEY_MAX);
  assert_true(kl > 0);
  *rkl = (size_t)kl;

  tr_bytes_t msg = {0};
  assert_int_equal(tr_bytes_append(&msg, "ipns-signature:", 15), 0);
  assert_int_equal(tr_bytes_append(&msg, rec.data.p, rec.data.len), 0);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
  size_t sl = 0;
  assert_int_equal(EVP_DigestSign(md, NULL, &sl, msg.data, msg.len), 1);
  uint8_t *sig = malloc(sl);
  assert_int_equal(EVP_DigestSign(md, sig, &sl, msg.data, msg.len), 1);
  EVP_MD_CTX_free(md);
  tr_bytes_free(&msg);
  rec.signature_v2 = (dht_ipns_bytes_t){sig, sl};
  rec.pubkey = (dht_ipns_bytes_t){pkb, (size_t)pl};
  /* V2 only: the V1 signature would be the old key's. */
  rec.has = DHT_IPNS_HAS_SIG_V2 | DHT_IPNS_HAS_DATA | DHT_IPNS_HAS_PUBKEY;
  out->len = 0;
  assert_int_equal(dht_ipns_marshal(&rec, out), 0);
  free(sig);
  dht_ipns_record_free(&rec);
  free(b);
}

static void test_rsa_sizes(void **state) {
  (void)state;
  tr_bytes_t r = {0};
  uint8_t rk[DHT_IPNS_KEY_MAX];
  size_t rkl;
  EVP_PKEY *k2048 = EVP_RSA_gen(2048), *k1024 = EVP_RSA_gen(1024);
  assert_non_null(k2048);
  assert_non_null(k1024);
  sign_record(k2048, NET_KEY_RSA, &r, rk, &rkl);
  assert_int_equal(dht_ipns_validate(rk, rkl, r.data, r.len, NOW, NULL), 0);
  /* A 1024-bit key: go-libp2p refuses keys under 2048 bits. */
  sign_record(k1024, NET_KEY_RSA, &r, rk, &rkl);
  assert_int_equal(dht_ipns_validate(rk, rkl, r.data, r.len, NOW, NULL),
                   TR_EKEY);
  /* An RSA key labelled ECDSA, and the other way round. */
  sign_record(k2048, NET_KEY_ECDSA, &r, rk, &rkl);
  assert_int_equal(dht_ipns_validate(rk, rkl, r.data, r.len, NOW, NULL),
                   TR_EKEY);
  EVP_PKEY *p256 = EVP_EC_gen("P-256");
  assert_non_null(p256);
  sign_record(p256, NET_KEY_RSA, &r, rk, &rkl);
  assert_int_equal(dht_ipns_validate(rk, rkl, r.data, r.len, NOW, NULL),
                   TR_EKEY);
  EVP_PKEY_free(p256);
  EVP_PKEY_free(k2048);
  EVP_PKEY_free(k1024);
  tr_bytes_free(&r);
}

static void test_ecdsa(void **state) {
  (void)state;
  tr_bytes_t r = {0}, r2 = {0};
  uint8_t rk[DHT_IPNS_KEY_MAX], rk2[DHT_IPNS_KEY_MAX];
  size_t rkl, rkl2;
  EVP_PKEY *a = EVP_EC_gen("P-256"), *b = EVP_EC_gen("P-384");
  assert_non_null(a);
  assert_non_null(b);
  sign_record(a, NET_KEY_ECDSA, &r, rk, &rkl);
  assert_int_equal(dht_ipns_validate(rk, rkl, r.data, r.len, NOW, NULL), 0);
  sign_record(b, NET_KEY_ECDSA, &r2, rk2, &rkl2);
  assert_int_equal(dht_ipns_validate(rk2, rkl2, r2.data, r2.len, NOW, NULL),
                   0);
  /* One key's signature with the other's key: the pubKey's PeerID is not
   * the name (mismatch), and checked as the other key's, a bad signature. */
  assert_int_equal(dht_ipns_validate(rk2, rkl2, r.data, r.len, NOW, NULL),
                   TR_EKEYMISMATCH);
  dht_ipns_record_t ra, rb;
  assert_int_equal(dht_ipns_parse(&ra, r.data, r.len), 0);
  assert_int_equal(dht_ipns_parse(&rb, r2.data, r2.len), 0);
  net_pubkey_t pkb;
  assert_int_equal(net_pubkey_unmarshal(&pkb, rb.pubkey.p, rb.pubkey.len), 0);
  assert_int_equal(dht_ipns_verify(&ra, &pkb, NOW), TR_ESIG);
  /* A secp256k1 key whose point is not on the curve. */
  net_pubkey_t bad = {.type = NET_KEY_SECP256K1, .len = 33};
  memset(bad.data, 0xff, 33);
  bad.data[0] = 2;
  assert_int_equal(dht_ipns_verify(&ra, &bad, NOW), TR_EKEY);
  dht_ipns_record_free(&ra);
  dht_ipns_record_free(&rb);
  EVP_PKEY_free(a);
  EVP_PKEY_free(b);
  tr_bytes_free(&r);
  tr_bytes_free(&r2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kubo_records),
      cmocka_unit_test(test_rsa_sizes),
      cmocka_unit_test(test_ecdsa),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * pksign.c — keys of every type go-libp2p has, signing (peerid.h:
 * net_privkey_any_pubkey, net_sign_any): Ed25519 through peerid.c, the
 * others through libcrypto (OpenSSL 3's EVP API), decoded as go-libp2p
 * decodes them (core/crypto/rsa_go.go, secp256k1.go, ecdsa.go).  The key
 * is untrusted (a keystore file, an import): decoded strictly, its size
 * bounded, every copy of its secret wiped, the OpenSSL error queue left
 * empty.
 */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <string.h>

#include "net_int.h"
#include "peerid.h"

/* A secp256k1 scalar as SEC1 DER (RFC 5915's ECPrivateKey: version 1,
 * the key, the curve's OID, no public key), which libcrypto decodes with
 * the public point computed: the prefix, the 32 bytes, the suffix. */
static const uint8_t SEC1_HEAD[] = {0x30, 0x2e, 0x02, 0x01, 0x01, 0x04, 0x20};
static const uint8_t SEC1_TAIL[] = {0xa0, 0x07, 0x06, 0x05, 0x2b,
                                    0x81, 0x04, 0x00, 0x0a};

/* DER of the given libcrypto type, all of d[0..n), or NULL. */
static EVP_PKEY *der_key(int type, const uint8_t *d, size_t n) {
  const unsigned char *p = d;
  EVP_PKEY *key = d2i_PrivateKey(type, NULL, &p, (long)n);
  if (key && p != d + n) {
    EVP_PKEY_free(key);
    key = NULL;
  }
  return key;
}

/* Go's rsa.PrivateKey.Validate, which ParsePKCS1PrivateKey runs and
 * libcrypto's decoder does not: n = pq, and de = 1 modulo p - 1 and
 * q - 1 (two primes: Go reads more, but neither Kubo nor go-libp2p makes
 * such keys).  libcrypto's pairwise check says as much but also tests
 * the primes: some 50 ms a key. */
static bool rsa_holds(const EVP_PKEY *key) {
  BIGNUM *n = NULL, *e = NULL, *d = NULL, *p = NULL, *q = NULL;
  BIGNUM *t = BN_new(), *m = BN_new();
  BN_CTX *bc = BN_CTX_new();
  bool ok = t && m && bc &&
            EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) &&
            EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) &&
            EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_D, &d) &&
            EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_FACTOR1, &p) &&
            EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_FACTOR2, &q) &&
            BN_cmp(p, BN_value_one()) > 0 && BN_cmp(q, BN_value_one()) > 0 &&
            BN_mul(t, p, q, bc) && !BN_cmp(t, n);
  for (int i = 0; ok && i < 2; i++) {
    /* m = prime - 1; t = de mod m, which must be 1 */
    ok = BN_copy(m, i ? q : p) && BN_sub_word(m, 1) &&
         BN_mod_mul(t, d, e, m, bc) && BN_is_one(t);
  }
  BN_clear_free(d);
  BN_clear_free(p);
  BN_clear_free(q);
  BN_free(n);
  BN_free(e);
  BN_clear_free(t);
  BN_clear_free(m);
  BN_CTX_free(bc);
  ERR_clear_error();
  return ok;
}

static EVP_PKEY *evp_key(int type, const uint8_t *d, size_t n) {
  EVP_PKEY *key = NULL;
  if (type == NET_KEY_RSA) {
    /* Go's ParsePKCS1PrivateKey validates the key (n = pq, de = 1):
     * libcrypto's decoder does not, its pairwise check does. */
    key = der_key(EVP_PKEY_RSA, d, n);
    int bits = key ? EVP_PKEY_get_bits(key) : 0;
    if (key && (bits < NET_RSA_MIN_BITS || bits > NET_RSA_MAX_BITS ||
                !rsa_holds(key))) {
      EVP_PKEY_free(key);
      key = NULL;
    }
  } else if (type == NET_KEY_ECDSA) {
    key = der_key(EVP_PKEY_EC, d, n);
    if (key && !net__ecdsa_curve_ok(key)) {
      EVP_PKEY_free(key);
      key = NULL;
    }
  } else if (type == NET_KEY_SECP256K1 && n == 32) {
    uint8_t der[sizeof SEC1_HEAD + 32 + sizeof SEC1_TAIL];
    memcpy(der, SEC1_HEAD, sizeof SEC1_HEAD);
    memcpy(der + sizeof SEC1_HEAD, d, 32);
    memcpy(der + sizeof SEC1_HEAD + 32, SEC1_TAIL, sizeof SEC1_TAIL);
    key = der_key(EVP_PKEY_EC, der, sizeof der);
    sodium_memzero(der, sizeof der);
  }
  ERR_clear_error();
  return key;
}

/* The key's PublicKey Data as go-libp2p writes it. */
static int evp_pubkey(EVP_PKEY *key, int type, net_pubkey_t *pk) {
  pk->type = type;
  if (type == NET_KEY_SECP256K1) {
    /* libcrypto hands the point uncompressed; go-libp2p writes it
     * compressed: the parity of y in the prefix, then x. */
    uint8_t pt[65];
    size_t len = 0;
    int ok = EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt,
                                             sizeof pt, &len) &&
             len == 65 && pt[0] == 4;
    ERR_clear_error();
    if (!ok)
      return TR_EKEY;
    pk->data[0] = (uint8_t)(2 + (pt[64] & 1));
    memcpy(pk->data + 1, pt + 1, 32);
    pk->len = 33;
    return 0;
  }
  int len = i2d_PUBKEY(key, NULL);
  if (len <= 0 || len > NET_PUBKEY_MAX) {
    ERR_clear_error();
    return TR_EKEY;
  }
  unsigned char *p = pk->data;
  len = i2d_PUBKEY(key, &p);
  ERR_clear_error();
  if (len <= 0)
    return TR_EKEY;
  pk->len = (uint16_t)len;
  return 0;
}

/* The type and Data of the PrivateKey b[0..n), into a buffer of ours
 * (*d, wiped and freed by the caller with wipe()). */
static int unpack(const uint8_t *b, size_t n, int *type, uint8_t **d,
                  size_t *len) {
  *d = NULL;
  if (n > NET_PRIVKEY_ANY_MAX)
    return TR_EKEY;
  if (!(*d = tr_malloc(n ? n : 1)))
    return -ENOMEM;
  /* Data is inside the message: n bytes always hold it. */
  return net__unpack_key(true, b, n, type, *d, n, len);
}

static void wipe(uint8_t *d, size_t n) {
  if (d) {
    sodium_memzero(d, n ? n : 1);
    tr_free(d);
  }
}

/* The PrivateKey b[0..n) of a type libcrypto handles, as its key, and
 * its type.  0; TR_EKEY, -ENOMEM. */
static int evp_of(const uint8_t *b, size_t n, int *type, EVP_PKEY **key) {
  uint8_t *d;
  size_t len = 0;
  int rc = unpack(b, n, type, &d, &len);
  *key = rc ? NULL : evp_key(*type, d, len);
  wipe(d, n);
  return rc ? rc : *key ? 0 : TR_EKEY;
}

int net_privkey_any_pubkey(const uint8_t *b, size_t n, net_pubkey_t *pk) {
  net_privkey_t ed;
  int rc = net_privkey_unmarshal(&ed, b, n);
  if (rc != TR_EKEY) {
    if (!rc)
      net_privkey_pubkey(&ed, pk);
    sodium_memzero(&ed, sizeof ed);
    return rc;
  }
  int type;
  EVP_PKEY *key;
  if ((rc = evp_of(b, n, &type, &key)))
    return rc;
  rc = evp_pubkey(key, type, pk);
  EVP_PKEY_free(key);
  return rc;
}

int net_sign_any(const uint8_t *b, size_t n, const uint8_t *msg, size_t mlen,
                 uint8_t *sig, size_t cap) {
  net_privkey_t ed;
  int rc = net_privkey_unmarshal(&ed, b, n);
  if (rc != TR_EKEY) {
    if (!rc && cap < 64)
      rc = TR_EBUFSIZE;
    if (!rc)
      net_sign(&ed, msg, mlen, sig);
    sodium_memzero(&ed, sizeof ed);
    return rc ? rc : 64;
  }
  int type;
  EVP_PKEY *key;
  if ((rc = evp_of(b, n, &type, &key)))
    return rc;
  rc = -ENOMEM;
  size_t sl = 0;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  /* PKCS#1 v1.5 is an RSA key's default padding; an EC key signs DER. */
  if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
      EVP_DigestSign(md, NULL, &sl, msg, mlen) == 1) {
    if (sl > cap)
      rc = TR_EBUFSIZE;
    else if (EVP_DigestSign(md, sig, &sl, msg, mlen) == 1)
      rc = (int)sl;
  }
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  ERR_clear_error();
  return rc;
}

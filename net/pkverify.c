/*
 * pkverify.c — signatures of the key types other than Ed25519, through
 * libcrypto (OpenSSL 3's EVP API), as go-libp2p verifies them
 * (core/crypto/rsa_go.go, secp256k1.go, ecdsa.go); net_verify() (peerid.c)
 * sends them here.  Every key is untrusted: decoded strictly, its size
 * bounded, and the OpenSSL error queue left empty.
 *
 *   RSA        PublicKey.Data is a PKIX (SubjectPublicKeyInfo) DER key,
 *              rsaEncryption, nothing after it, of NET_RSA_MIN_BITS to
 *              NET_RSA_MAX_BITS (go-libp2p's MinRsaKeyBits and
 *              maxRsaKeyBits); the signature RSASSA-PKCS1-v1_5 with SHA-256,
 *              exactly the modulus' length.
 *   secp256k1  Data is the point, 33 bytes compressed (02/03) or 65
 *              uncompressed (04), on the curve; the signature DER (r, s)
 *              over SHA-256 of the message.
 *   ECDSA      Data is a PKIX DER key on a named NIST curve (P-224, P-256,
 *              P-384, P-521, what Go's x509 reads); the signature DER (r, s)
 *              over SHA-256 of the message whatever the curve.
 *
 * Known difference, on malformed input only: go-libp2p's ECDSA verify
 * ignores bytes after the signature's DER, which OpenSSL refuses.
 */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <string.h>

#include "net_int.h"
#include "peerid.h"

/* A PKIX DER key of the given OpenSSL type ("RSA", "EC"), or NULL. */
static EVP_PKEY *pkix_key(const net_pubkey_t *k, const char *type) {
  const unsigned char *p = k->data;
  EVP_PKEY *key = d2i_PUBKEY(NULL, &p, k->len);
  if (key && (p != k->data + k->len || !EVP_PKEY_is_a(key, type))) {
    EVP_PKEY_free(key);
    key = NULL;
  }
  return key;
}

static EVP_PKEY *rsa_key(const net_pubkey_t *k) {
  EVP_PKEY *key = pkix_key(k, "RSA");
  int bits = key ? EVP_PKEY_get_bits(key) : 0;
  if (key && (bits < NET_RSA_MIN_BITS || bits > NET_RSA_MAX_BITS)) {
    EVP_PKEY_free(key);
    key = NULL;
  }
  return key;
}

bool net__ecdsa_curve_ok(EVP_PKEY *key) {
  static const char *const curves[] = {"secp224r1", "prime256v1", "secp384r1",
                                       "secp521r1"};
  char name[32];
  size_t nl = 0;
  bool ok = EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
                                           name, sizeof name, &nl);
  bool named = false;
  for (size_t i = 0; ok && i < TR_ARRAY_LEN(curves); i++)
    named = named || !strcmp(name, curves[i]);
  return named;
}

static EVP_PKEY *ecdsa_key(const net_pubkey_t *k) {
  EVP_PKEY *key = pkix_key(k, "EC");
  if (key && !net__ecdsa_curve_ok(key)) {
    EVP_PKEY_free(key);
    key = NULL;
  }
  return key;
}

static EVP_PKEY *secp256k1_key(const net_pubkey_t *k) {
  if (!((k->len == 33 && (k->data[0] == 2 || k->data[0] == 3)) ||
        (k->len == 65 && k->data[0] == 4)))
    return NULL;
  char group[] = "secp256k1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                        (void *)k->data, k->len),
      OSSL_PARAM_construct_end()};
  EVP_PKEY *key = NULL;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
  if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
      EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    key = NULL;
  EVP_PKEY_CTX_free(ctx);
  return key;
}

int net__verify_evp(const net_pubkey_t *k, const uint8_t *msg, size_t n,
                    const uint8_t *sig, size_t siglen) {
  EVP_PKEY *key = k->type == NET_KEY_RSA         ? rsa_key(k)
                  : k->type == NET_KEY_SECP256K1 ? secp256k1_key(k)
                  : k->type == NET_KEY_ECDSA     ? ecdsa_key(k)
                                                 : NULL;
  if (!key) {
    ERR_clear_error();
    return TR_EKEY;
  }
  int rc = -ENOMEM;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  /* PKCS#1 v1.5 is an RSA key's default padding. */
  if (md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1)
    rc = EVP_DigestVerify(md, sig, siglen, msg, n) == 1 ? 0 : TR_ESIG;
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  ERR_clear_error();
  return rc;
}

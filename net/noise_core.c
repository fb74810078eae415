/*
 * noise_core.c — the Noise Protocol Framework pieces libp2p uses: the XX
 * pattern with X25519, ChaCha20-Poly1305 and SHA-256 (see noise.h).
 *
 * Written from the framework's spec (sections 5 and 7): CipherState,
 * SymmetricState (MixKey, MixHash, EncryptAndHash, DecryptAndHash, Split
 * through HKDF) and the XX message tokens.  Only what XX needs: no PSKs, no
 * rekey, no other patterns.  X25519 and the handshake's hashing are
 * libsodium's; ChaCha20-Poly1305 is OpenSSL's where it can be (see
 * aead_ctx).  This file does no I/O; its only allocation is one cipher
 * context per thread.
 */
#include "noise.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <string.h>

/* 32 bytes: the name itself is the initial h (no hashing, spec 5.2). */
static const char PROTOCOL_NAME[] = "Noise_XX_25519_ChaChaPoly_SHA256";

/* ---------------------------------------------------------- CipherState */

/* Every byte a peer sends or receives goes through this AEAD, so it is
 * OpenSSL's: on cores with AVX-512 its ChaCha20-Poly1305 seals 65,519-byte
 * frames at 2.8 GB/s where libsodium's does 1.3 (this project's 2-core VM,
 * bench/p2p_ref prints both).  An EVP context is per thread (the gateway's
 * loops and the host may seal at once) and is set up with the cipher once;
 * each call then sets only key, nonce and direction, which for ChaCha20
 * costs little (no key schedule).  The thread's exit frees it.  That
 * setting up still costs OpenSSL about 500 ns a call, so frames under
 * NET_NOISE_SODIUM_MAX, where libsodium is the faster (DHT requests,
 * wantlists, yamux's window updates), go through libsodium.  Where
 * OpenSSL cannot (a FIPS-only provider set has no ChaCha20, or no memory
 * for a context) libsodium seals too: the same bytes, a node that still
 * talks to its peers. */
static pthread_key_t aead_key;
static pthread_once_t aead_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *aead_cipher; /* NULL: OpenSSL has none for us */
static atomic_bool aead_sodium; /* net_noise_aead_use_sodium */

static void aead_free(void *ctx) { EVP_CIPHER_CTX_free(ctx); }
static void aead_init(void) {
  if (pthread_key_create(&aead_key, aead_free) == 0)
    aead_cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
}

void net_noise_aead_use_sodium(bool on) { atomic_store(&aead_sodium, on); }

/* The 96-bit nonce: 4 zero bytes, then n as 64-bit little-endian. */
static void nonce(uint64_t n, uint8_t out[12]) {
  memset(out, 0, 4);
  for (int i = 0; i < 8; i++)
    out[4 + i] = (uint8_t)(n >> (8 * i));
}

/* The thread's OpenSSL context keyed with k and iv, encrypting or not,
 * for a frame of n bytes of plaintext; NULL when libsodium is to do it. */
static EVP_CIPHER_CTX *aead_ctx(const uint8_t k[32], const uint8_t iv[12],
                                int enc, size_t n) {
  if (n < NET_NOISE_SODIUM_MAX)
    return NULL;
  pthread_once(&aead_once, aead_init);
  if (!aead_cipher || atomic_load_explicit(&aead_sodium, memory_order_relaxed))
    return NULL;
  EVP_CIPHER_CTX *ctx = pthread_getspecific(aead_key);
  if (!ctx) {
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx || !EVP_CipherInit_ex(ctx, aead_cipher, NULL, NULL, NULL, enc) ||
        pthread_setspecific(aead_key, ctx)) {
      EVP_CIPHER_CTX_free(ctx);
      return NULL;
    }
  }
  return EVP_CipherInit_ex(ctx, NULL, NULL, k, iv, enc) ? ctx : NULL;
}

int net_noise_cs_seal(net_noise_cs_t *cs, const uint8_t *ad, size_t adlen,
                      const uint8_t *pt, size_t n, uint8_t *out) {
  if (cs->n == UINT64_MAX || n > INT_MAX - NET_NOISE_TAG || adlen > INT_MAX)
    return TR_ETOOBIG;
  uint8_t iv[12];
  nonce(cs->n, iv);
  EVP_CIPHER_CTX *ctx = aead_ctx(cs->k, iv, 1, n);
  int len;
  if (!ctx)
    crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, n, ad, adlen,
                                              NULL, iv, cs->k);
  else if ((adlen && !EVP_CipherUpdate(ctx, NULL, &len, ad, (int)adlen)) ||
           !EVP_CipherUpdate(ctx, out, &len, pt, (int)n) ||
           !EVP_CipherFinal_ex(ctx, out + len, &len) ||
           !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, NET_NOISE_TAG,
                                out + n))
    return -ENOMEM; /* only when OpenSSL cannot allocate; pt may be gone */
  cs->n++;
  return 0;
}

int net_noise_cs_open(net_noise_cs_t *cs, const uint8_t *ad, size_t adlen,
                      const uint8_t *ct, size_t n, uint8_t *out) {
  if (cs->n == UINT64_MAX || n > INT_MAX || adlen > INT_MAX)
    return TR_ETOOBIG;
  if (n < NET_NOISE_TAG)
    return TR_EDECRYPT;
  size_t m = n - NET_NOISE_TAG;
  uint8_t iv[12], tag[NET_NOISE_TAG]; /* out may overlap ct's tag */
  nonce(cs->n, iv);
  memcpy(tag, ct + m, NET_NOISE_TAG);
  EVP_CIPHER_CTX *ctx = aead_ctx(cs->k, iv, 0, m);
  int len, ok;
  if (ctx && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, NET_NOISE_TAG,
                                 tag))
    ok = (!adlen || EVP_CipherUpdate(ctx, NULL, &len, ad, (int)adlen)) &&
         EVP_CipherUpdate(ctx, out, &len, ct, (int)m) &&
         EVP_CipherFinal_ex(ctx, out + len, &len) > 0;
  else
    ok = crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, n, ad,
                                                   adlen, iv, cs->k) == 0;
  if (!ok) {
    /* OpenSSL writes the plaintext before it checks the tag; a forgery's
     * bytes must not stay where a caller could read them. */
    memset(out, 0, m);
    return TR_EDECRYPT;
  }
  cs->n++;
  return 0;
}

/* ------------------------------------------------------- SymmetricState */

static void hmac(const uint8_t key[32], const uint8_t *a, size_t alen,
                 const uint8_t *b, size_t blen, uint8_t out[32]) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key, 32);
  crypto_auth_hmacsha256_update(&st, a, alen);
  if (blen)
    crypto_auth_hmacsha256_update(&st, b, blen);
  crypto_auth_hmacsha256_final(&st, out);
  sodium_memzero(&st, sizeof st);
}

/* HKDF(ck, ikm) with two outputs (spec 4.3). */
static void hkdf2(const uint8_t ck[32], const uint8_t *ikm, size_t n,
                  uint8_t o1[32], uint8_t o2[32]) {
  uint8_t temp[32], one = 1, two[33];
  hmac(ck, ikm, n, NULL, 0, temp);
  hmac(temp, &one, 1, NULL, 0, o1);
  memcpy(two, o1, 32);
  two[32] = 2;
  hmac(temp, two, 33, NULL, 0, o2);
  sodium_memzero(temp, sizeof temp);
  sodium_memzero(two, sizeof two);
}

static void mix_hash(net_noise_hs_t *hs, const uint8_t *d, size_t n) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, hs->h, 32);
  crypto_hash_sha256_update(&st, d, n);
  crypto_hash_sha256_final(&st, hs->h);
}

static void mix_key(net_noise_hs_t *hs, const uint8_t dh[32]) {
  hkdf2(hs->ck, dh, 32, hs->ck, hs->cs.k);
  hs->cs.n = 0;
  hs->has_key = true;
}

/* DH(sk, pk) mixed into the key.  TR_EPROTO for a low-order point, whose
 * shared secret is all zero (libsodium refuses it). */
static int mix_dh(net_noise_hs_t *hs, const uint8_t sk[32],
                  const uint8_t pk[32]) {
  uint8_t dh[32];
  int rc = crypto_scalarmult(dh, sk, pk) ? TR_EPROTO : 0;
  if (rc == 0)
    mix_key(hs, dh);
  sodium_memzero(dh, sizeof dh);
  return rc;
}

/* EncryptAndHash: out gets n (+16 once keyed) bytes. */
static int encrypt_hash(net_noise_hs_t *hs, const uint8_t *pt, size_t n,
                        uint8_t *out, size_t *outlen) {
  if (!hs->has_key) {
    memmove(out, pt, n);
    *outlen = n;
  } else {
    int rc = net_noise_cs_seal(&hs->cs, hs->h, 32, pt, n, out);
    if (rc < 0)
      return rc;
    *outlen = n + NET_NOISE_TAG;
  }
  mix_hash(hs, out, *outlen);
  return 0;
}

static int decrypt_hash(net_noise_hs_t *hs, const uint8_t *ct, size_t n,
                        uint8_t *out, size_t *outlen) {
  uint8_t h[32];
  memcpy(h, hs->h, 32);
  mix_hash(hs, ct, n); /* h after this step hashes the ciphertext */
  if (!hs->has_key) {
    memmove(out, ct, n);
    *outlen = n;
    return 0;
  }
  if (n < NET_NOISE_TAG)
    return TR_EPROTO;
  *outlen = n - NET_NOISE_TAG;
  return net_noise_cs_open(&hs->cs, h, 32, ct, n, out);
}

/* ------------------------------------------------------ HandshakeState */

void net_noise_hs_init(net_noise_hs_t *hs, bool initiator,
                       const uint8_t *prologue, size_t plen,
                       const uint8_t s_sk[32], const uint8_t *e_sk) {
  memset(hs, 0, sizeof *hs);
  memcpy(hs->h, PROTOCOL_NAME, 32);
  memcpy(hs->ck, hs->h, 32);
  mix_hash(hs, prologue, plen);
  hs->initiator = initiator;
  memcpy(hs->s_sk, s_sk, 32);
  crypto_scalarmult_base(hs->s_pk, hs->s_sk);
  if (e_sk)
    memcpy(hs->e_sk, e_sk, 32);
  else
    randombytes_buf(hs->e_sk, 32);
  crypto_scalarmult_base(hs->e_pk, hs->e_sk);
}

/* Is it our turn to write?  Messages 0 and 2 are the initiator's. */
static bool my_turn(const net_noise_hs_t *hs) {
  return hs->step < 3 && (hs->step % 2 == 0) == hs->initiator;
}

/* The tokens of message hs->step, writing side.  *pos advances in out. */
static int write_tokens(net_noise_hs_t *hs, uint8_t *out, size_t *pos) {
  size_t n;
  int rc = 0;
  switch (hs->step) {
  case 0: /* -> e */
    memcpy(out, hs->e_pk, 32);
    mix_hash(hs, hs->e_pk, 32);
    *pos = 32;
    return 0;
  case 1: /* <- e, ee, s, es */
    memcpy(out, hs->e_pk, 32);
    mix_hash(hs, hs->e_pk, 32);
    if ((rc = mix_dh(hs, hs->e_sk, hs->re)) < 0 ||
        (rc = encrypt_hash(hs, hs->s_pk, 32, out + 32, &n)) < 0)
      return rc;
    *pos = 32 + n;
    return mix_dh(hs, hs->s_sk, hs->re);
  default: /* -> s, se */
    if ((rc = encrypt_hash(hs, hs->s_pk, 32, out, &n)) < 0)
      return rc;
    *pos = n;
    return mix_dh(hs, hs->s_sk, hs->re);
  }
}

int net_noise_hs_write(net_noise_hs_t *hs, const uint8_t *payload, size_t n,
                       uint8_t *out, size_t outsize) {
  if (!my_turn(hs))
    return TR_EUSAGE;
  size_t need = (hs->step == 0 ? 32u : 48u) + (hs->step == 1 ? 32u : 0u) + n +
                (hs->step == 0 ? 0 : NET_NOISE_TAG);
  if (need > NET_NOISE_MSG_MAX)
    return TR_ETOOBIG;
  if (need > outsize)
    return TR_EBUFSIZE;
  size_t pos, plen;
  int rc = write_tokens(hs, out, &pos);
  if (rc == 0)
    rc = encrypt_hash(hs, payload, n, out + pos, &plen);
  if (rc < 0)
    return rc;
  hs->step++;
  return (int)(pos + plen);
}

/* The tokens of message hs->step, reading side: their size, or an error. */
static int read_tokens(net_noise_hs_t *hs, const uint8_t *msg, size_t n) {
  size_t k;
  int rc;
  switch (hs->step) {
  case 0: /* -> e */
    if (n < 32)
      return TR_EPROTO;
    memcpy(hs->re, msg, 32);
    mix_hash(hs, hs->re, 32);
    return 32;
  case 1: /* <- e, ee, s, es */
    if (n < 32 + 48)
      return TR_EPROTO;
    memcpy(hs->re, msg, 32);
    mix_hash(hs, hs->re, 32);
    if ((rc = mix_dh(hs, hs->e_sk, hs->re)) < 0 ||
        (rc = decrypt_hash(hs, msg + 32, 48, hs->rs, &k)) < 0 ||
        (rc = mix_dh(hs, hs->e_sk, hs->rs)) < 0)
      return rc;
    return 80;
  default: /* -> s, se */
    if (n < 48)
      return TR_EPROTO;
    if ((rc = decrypt_hash(hs, msg, 48, hs->rs, &k)) < 0 ||
        (rc = mix_dh(hs, hs->e_sk, hs->rs)) < 0)
      return rc;
    return 48;
  }
}

int net_noise_hs_read(net_noise_hs_t *hs, const uint8_t *msg, size_t n,
                      uint8_t *out, size_t outsize) {
  if (hs->step >= 3 || my_turn(hs))
    return TR_EUSAGE;
  int t = read_tokens(hs, msg, n);
  if (t < 0)
    return t;
  size_t rest = n - (size_t)t, plen;
  if (rest > outsize + (hs->has_key ? NET_NOISE_TAG : 0))
    return TR_EBUFSIZE;
  int rc = decrypt_hash(hs, msg + t, rest, out, &plen);
  if (rc < 0)
    return rc;
  hs->step++;
  return (int)plen;
}

int net_noise_hs_split(net_noise_hs_t *hs, net_noise_cs_t *send,
                       net_noise_cs_t *recv, uint8_t hash[32]) {
  if (hs->step != 3)
    return TR_EUSAGE;
  uint8_t k1[32], k2[32];
  hkdf2(hs->ck, NULL, 0, k1, k2);
  /* The initiator sends with the first key. */
  memcpy(send->k, hs->initiator ? k1 : k2, 32);
  memcpy(recv->k, hs->initiator ? k2 : k1, 32);
  send->n = recv->n = 0;
  if (hash)
    memcpy(hash, hs->h, 32);
  sodium_memzero(k1, sizeof k1);
  sodium_memzero(k2, sizeof k2);
  return 0;
}

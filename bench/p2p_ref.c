/*
 * p2p_ref.c — the references bench/p2p.sh sets trove's libp2p figures
 * beside, measured in the same run with the same libraries trove links:
 *
 *   seal   ChaCha20-Poly1305 (IETF) sealing Noise's largest transport
 *          frames (65,519 bytes of plaintext, as net/host.c seals a bulk
 *          transfer) in a loop into one output buffer, MB/s of plaintext:
 *          the most one core could push through Noise if nothing else cost
 *          anything.  OpenSSL's EVP calls, as net/noise_core.c makes them
 *          (the key and nonce set per frame); seal_sodium is libsodium's
 *          ChaCha20-Poly1305, which net/ used before, for comparison.
 *   hs     the public-key work of one side of a libp2p Noise XX handshake
 *          as net/noise.c does it: two X25519 base-point multiplications
 *          (its fresh static key and its ephemeral key), three X25519
 *          Diffie-Hellman operations (ee, es, se), one Ed25519 signature
 *          (over its static key) and one verification (the peer's); the
 *          hashing and the few small AEAD calls are left out.
 *
 * Every figure is per second of this process's CPU time (not wall time),
 * so that other load on a shared machine does not lower it.
 *
 * Usage: p2p_ref [SECONDS] (default 1 per figure).  Prints
 *   seal MBps=...
 *   seal_sodium MBps=...
 *   hs_side us=... x25519_base_us=... x25519_us=... sign_us=... verify_us=...
 * Not a benchmark by itself (bench/run.sh runs only build/bench/bench_*).
 */
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define FRAME 65519 /* NET_NOISE_PLAIN_MAX */

/* CPU time, not wall time: the machine is shared, and what the figures
 * stand for is what one core does when it has nothing else to do. */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned char pt[FRAME], ct[FRAME + 16], key[32], nonce[12];
static unsigned char sk[32], pk[32], pk2[32], dh[32], esk[64], epk[32];
static unsigned char sig[64];
static unsigned long long ctr;

static EVP_CIPHER_CTX *evp;

static int seal(void) {
  int len;
  nonce[4] = (unsigned char)ctr, nonce[5] = (unsigned char)(ctr >> 8);
  ctr++;
  return !EVP_CipherInit_ex(evp, NULL, NULL, key, nonce, 1) ||
         !EVP_CipherUpdate(evp, ct, &len, pt, FRAME) ||
         !EVP_CipherFinal_ex(evp, ct + len, &len) ||
         !EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_AEAD_GET_TAG, 16, ct + FRAME);
}
static int seal_sodium(void) {
  nonce[4] = (unsigned char)ctr, nonce[5] = (unsigned char)(ctr >> 8);
  ctr++;
  return crypto_aead_chacha20poly1305_ietf_encrypt(ct, NULL, pt, FRAME, NULL,
                                                   0, NULL, nonce, key);
}
static int x25519_base(void) {
  sk[0]++;
  return crypto_scalarmult_base(pk, sk);
}
static int x25519(void) {
  sk[0]++;
  return crypto_scalarmult(dh, sk, pk2);
}
static int sign(void) {
  pk[0]++;
  return crypto_sign_detached(sig, NULL, pk, 32, esk);
}
static int verify(void) { return crypto_sign_verify_detached(sig, pk, 32, epk); }

/* Run op until secs of CPU time have passed; microseconds per call (exits
 * on error). */
static double time_us(double secs, int (*op)(void)) {
  double t0 = now(), t;
  unsigned long n = 0;
  do {
    for (int i = 0; i < 16; i++, n++)
      if (op()) {
        fprintf(stderr, "p2p_ref: a crypto call failed\n");
        exit(1);
      }
  } while ((t = now() - t0) < secs);
  return t * 1e6 / (double)n;
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 1.0;
  if (sodium_init() < 0 || secs <= 0)
    return 1;
  randombytes_buf(pt, sizeof pt);
  randombytes_buf(key, sizeof key);
  evp = EVP_CIPHER_CTX_new();
  if (!evp || !EVP_CipherInit_ex(evp, EVP_chacha20_poly1305(), NULL, NULL,
                                 NULL, 1))
    return 1;
  printf("seal MBps=%.1f\n", FRAME / time_us(secs, seal));
  printf("seal_sodium MBps=%.1f\n", FRAME / time_us(secs / 2, seal_sodium));
  EVP_CIPHER_CTX_free(evp);

  randombytes_buf(sk, sizeof sk);
  crypto_scalarmult_base(pk2, sk);
  crypto_sign_keypair(epk, esk);
  double b = time_us(secs / 4, x25519_base), d = time_us(secs / 4, x25519);
  double s = time_us(secs / 4, sign);
  sign();
  double v = time_us(secs / 4, verify);
  printf("hs_side us=%.1f x25519_base_us=%.1f x25519_us=%.1f sign_us=%.1f "
         "verify_us=%.1f\n", 2 * b + 3 * d + s + v, b, d, s, v);
  return 0;
}

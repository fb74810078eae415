/*
 * blake2.c — BLAKE2b and BLAKE2s (RFC 7693), unkeyed, one-shot, sequential
 * mode only (no BLAKE2bp/BLAKE2sp tree modes, no salt or personalisation:
 * multihash uses none of them).  See hashfn.h for the contract.
 *
 * Portable C: words are loaded and stored little-endian through memcpy (one
 * instruction on x86 and arm64 at -O2, and correct on big-endian hosts via
 * the byte-wise fallback), and the rounds are unrolled so that the message
 * schedule is constant indices rather than table loads.  No build options
 * affect this file.
 */
#include "hashfn.h"

#include "../common/tr.h"

#include <assert.h>
#include <string.h>

/* ------------------------------------------------------------ rotations */

static inline uint64_t rotr64(uint64_t x, unsigned n) {
  return (x >> n) | (x << (64 - n));
}

static inline uint32_t rotr32(uint32_t x, unsigned n) {
  return (x >> n) | (x << (32 - n));
}

/* The message schedule, shared by both functions (BLAKE2s uses the first
 * ten rows; BLAKE2b's rounds 10 and 11 repeat rows 0 and 1).  The rounds
 * below spell the indices out through this table with constant subscripts,
 * which the compiler folds. */
static const uint8_t sigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

/* --------------------------------------------------------------- BLAKE2b */

/* The SHA-512 initial hash values (RFC 7693 section 2.6). */
static const uint64_t b2b_iv[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
    0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
    0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

#define B2B_G(a, b, c, d, x, y)                                                \
  do {                                                                         \
    v[a] = v[a] + v[b] + (x);                                                  \
    v[d] = rotr64(v[d] ^ v[a], 32);                                            \
    v[c] = v[c] + v[d];                                                        \
    v[b] = rotr64(v[b] ^ v[c], 24);                                            \
    v[a] = v[a] + v[b] + (y);                                                  \
    v[d] = rotr64(v[d] ^ v[a], 16);                                            \
    v[c] = v[c] + v[d];                                                        \
    v[b] = rotr64(v[b] ^ v[c], 63);                                            \
  } while (0)

#define B2B_ROUND(r)                                                           \
  do {                                                                         \
    B2B_G(0, 4, 8, 12, m[sigma[r][0]], m[sigma[r][1]]);                        \
    B2B_G(1, 5, 9, 13, m[sigma[r][2]], m[sigma[r][3]]);                        \
    B2B_G(2, 6, 10, 14, m[sigma[r][4]], m[sigma[r][5]]);                       \
    B2B_G(3, 7, 11, 15, m[sigma[r][6]], m[sigma[r][7]]);                       \
    B2B_G(0, 5, 10, 15, m[sigma[r][8]], m[sigma[r][9]]);                       \
    B2B_G(1, 6, 11, 12, m[sigma[r][10]], m[sigma[r][11]]);                     \
    B2B_G(2, 7, 8, 13, m[sigma[r][12]], m[sigma[r][13]]);                      \
    B2B_G(3, 4, 9, 14, m[sigma[r][14]], m[sigma[r][15]]);                      \
  } while (0)

/* One 128-byte block into h.  t is the byte count so far including this
 * block; trove's inputs fit in a size_t, so the high counter word is 0. */
static void b2b_compress(uint64_t h[8], const uint8_t *block, uint64_t t,
                         int last) {
  uint64_t m[16], v[16];
  for (int i = 0; i < 16; i++)
    m[i] = tr_le64(block + 8 * i);
  for (int i = 0; i < 8; i++) {
    v[i] = h[i];
    v[i + 8] = b2b_iv[i];
  }
  v[12] ^= t;
  if (last)
    v[14] = ~v[14];
  B2B_ROUND(0);
  B2B_ROUND(1);
  B2B_ROUND(2);
  B2B_ROUND(3);
  B2B_ROUND(4);
  B2B_ROUND(5);
  B2B_ROUND(6);
  B2B_ROUND(7);
  B2B_ROUND(8);
  B2B_ROUND(9);
  B2B_ROUND(10);
  B2B_ROUND(11);
  for (int i = 0; i < 8; i++)
    h[i] ^= v[i] ^ v[i + 8];
}

void dag_blake2b(const void *in, size_t len, uint8_t *out, size_t outlen) {
  assert(outlen >= 1 && outlen <= 64);
  assert(in || len == 0);
  const uint8_t *p = in;
  uint64_t h[8];
  memcpy(h, b2b_iv, sizeof h);
  /* Parameter block word 0: digest length, key length 0, fanout 1, depth
   * 1; the rest of the block is zero for the sequential unkeyed mode. */
  h[0] ^= 0x01010000ULL ^ (uint64_t)outlen;

  /* Every block but the last is compressed as it stands; the last one
   * (possibly full, possibly empty when len is 0) carries the final flag,
   * so a full final block must not be compressed early. */
  uint64_t t = 0;
  while (len > 128) {
    t += 128;
    b2b_compress(h, p, t, 0);
    p += 128;
    len -= 128;
  }
  uint8_t block[128] = {0};
  if (len)
    memcpy(block, p, len);
  t += len;
  b2b_compress(h, block, t, 1);

  uint8_t full[64];
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 8; j++)
      full[8 * i + j] = (uint8_t)(h[i] >> (8 * j));
  memcpy(out, full, outlen);
}

/* --------------------------------------------------------------- BLAKE2s */

/* The SHA-256 initial hash values (RFC 7693 section 3.2). */
static const uint32_t b2s_iv[8] = {
    0x6a09e667UL, 0xbb67ae85UL, 0x3c6ef372UL, 0xa54ff53aUL,
    0x510e527fUL, 0x9b05688cUL, 0x1f83d9abUL, 0x5be0cd19UL,
};

#define B2S_G(a, b, c, d, x, y)                                                \
  do {                                                                         \
    v[a] = v[a] + v[b] + (x);                                                  \
    v[d] = rotr32(v[d] ^ v[a], 16);                                            \
    v[c] = v[c] + v[d];                                                        \
    v[b] = rotr32(v[b] ^ v[c], 12);                                            \
    v[a] = v[a] + v[b] + (y);                                                  \
    v[d] = rotr32(v[d] ^ v[a], 8);                                             \
    v[c] = v[c] + v[d];                                                        \
    v[b] = rotr32(v[b] ^ v[c], 7);                                             \
  } while (0)

#define B2S_ROUND(r)                                                           \
  do {                                                                         \
    B2S_G(0, 4, 8, 12, m[sigma[r][0]], m[sigma[r][1]]);                        \
    B2S_G(1, 5, 9, 13, m[sigma[r][2]], m[sigma[r][3]]);                        \
    B2S_G(2, 6, 10, 14, m[sigma[r][4]], m[sigma[r][5]]);                       \
    B2S_G(3, 7, 11, 15, m[sigma[r][6]], m[sigma[r][7]]);                       \
    B2S_G(0, 5, 10, 15, m[sigma[r][8]], m[sigma[r][9]]);                       \
    B2S_G(1, 6, 11, 12, m[sigma[r][10]], m[sigma[r][11]]);                     \
    B2S_G(2, 7, 8, 13, m[sigma[r][12]], m[sigma[r][13]]);                      \
    B2S_G(3, 4, 9, 14, m[sigma[r][14]], m[sigma[r][15]]);                      \
  } while (0)

/* One 64-byte block into h; t is the byte count including this block (a
 * 64-bit counter split over v[12] and v[13]). */
static void b2s_compress(uint32_t h[8], const uint8_t *block, uint64_t t,
                         int last) {
  uint32_t m[16], v[16];
  for (int i = 0; i < 16; i++)
    m[i] = tr_le32(block + 4 * i);
  for (int i = 0; i < 8; i++) {
    v[i] = h[i];
    v[i + 8] = b2s_iv[i];
  }
  v[12] ^= (uint32_t)t;
  v[13] ^= (uint32_t)(t >> 32);
  if (last)
    v[14] = ~v[14];
  B2S_ROUND(0);
  B2S_ROUND(1);
  B2S_ROUND(2);
  B2S_ROUND(3);
  B2S_ROUND(4);
  B2S_ROUND(5);
  B2S_ROUND(6);
  B2S_ROUND(7);
  B2S_ROUND(8);
  B2S_ROUND(9);
  for (int i = 0; i < 8; i++)
    h[i] ^= v[i] ^ v[i + 8];
}

void dag_blake2s(const void *in, size_t len, uint8_t *out, size_t outlen) {
  assert(outlen >= 1 && outlen <= 32);
  assert(in || len == 0);
  const uint8_t *p = in;
  uint32_t h[8];
  memcpy(h, b2s_iv, sizeof h);
  h[0] ^= 0x01010000UL ^ (uint32_t)outlen;

  /* As in dag_blake2b: hold the last block back for the final flag. */
  uint64_t t = 0;
  while (len > 64) {
    t += 64;
    b2s_compress(h, p, t, 0);
    p += 64;
    len -= 64;
  }
  uint8_t block[64] = {0};
  if (len)
    memcpy(block, p, len);
  t += len;
  b2s_compress(h, block, t, 1);

  uint8_t full[32];
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 4; j++)
      full[4 * i + j] = (uint8_t)(h[i] >> (8 * j));
  memcpy(out, full, outlen);
}

/*
 * keccak.c — the Keccak-f[1600] permutation and the sponge over it (FIPS
 * 202): SHA3-224/256/384/512, SHAKE128/256 and the original Keccak padding
 * that Ethereum's keccak-256 uses, all one function told apart by its rate
 * and padding byte (see hashfn.h).  It does not do cSHAKE, KMAC or the
 * incremental (init/update/final) interface: multihash needs none of them.
 *
 * Portable C: lanes are loaded and stored little-endian through memcpy, and
 * each round is written out lane by lane (theta's column parities, rho and
 * pi as one table of constant moves, then chi and iota) so that the
 * compiler can keep the state in registers.  No build options affect this
 * file.
 */
#include "hashfn.h"

#include "../common/tr.h"

#include <assert.h>
#include <string.h>

/* n is 1..63 at every call site: a rotation by 0 would shift by 64. */
static inline uint64_t rotl64(uint64_t x, unsigned n) {
  return (x << n) | (x >> (64 - n));
}

/* Iota's round constants, from the LFSR rc(t) of FIPS 202 section 3.2.5. */
static const uint64_t keccak_rc[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
    0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
    0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
    0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
    0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
    0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
    0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* chi over one row of five lanes b[y*5 .. y*5+4], into a. */
#define CHI_ROW(y)                                                             \
  do {                                                                         \
    a[5 * (y) + 0] = b[5 * (y) + 0] ^ (~b[5 * (y) + 1] & b[5 * (y) + 2]);      \
    a[5 * (y) + 1] = b[5 * (y) + 1] ^ (~b[5 * (y) + 2] & b[5 * (y) + 3]);      \
    a[5 * (y) + 2] = b[5 * (y) + 2] ^ (~b[5 * (y) + 3] & b[5 * (y) + 4]);      \
    a[5 * (y) + 3] = b[5 * (y) + 3] ^ (~b[5 * (y) + 4] & b[5 * (y) + 0]);      \
    a[5 * (y) + 4] = b[5 * (y) + 4] ^ (~b[5 * (y) + 0] & b[5 * (y) + 1]);      \
  } while (0)

/* Keccak-f[1600] on st, lane (x, y) at st[x + 5 * y].  The state is
 * copied into a local array indexed only by constants, which lets the
 * compiler keep it in registers (or at least in the stack frame, away from
 * the caller's aliasing). */
static void keccak_f1600(uint64_t st[25]) {
  uint64_t a[25], b[25];
  memcpy(a, st, sizeof a);
  for (int r = 0; r < 24; r++) {
    /* theta: each lane takes the parities of its two neighbouring columns. */
    uint64_t c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20];
    uint64_t c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21];
    uint64_t c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22];
    uint64_t c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23];
    uint64_t c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24];
    uint64_t d0 = c4 ^ rotl64(c1, 1);
    uint64_t d1 = c0 ^ rotl64(c2, 1);
    uint64_t d2 = c1 ^ rotl64(c3, 1);
    uint64_t d3 = c2 ^ rotl64(c4, 1);
    uint64_t d4 = c3 ^ rotl64(c0, 1);
    /* rho and pi: lane (x, y) rotated by its offset moves to
     * (y, 2x + 3y mod 5).  The offsets and destinations were worked out
     * from FIPS 202 sections 3.2.2 and 3.2.3. */
    b[0] = a[0] ^ d0;
    b[16] = rotl64(a[5] ^ d0, 36);
    b[7] = rotl64(a[10] ^ d0, 3);
    b[23] = rotl64(a[15] ^ d0, 41);
    b[14] = rotl64(a[20] ^ d0, 18);
    b[10] = rotl64(a[1] ^ d1, 1);
    b[1] = rotl64(a[6] ^ d1, 44);
    b[17] = rotl64(a[11] ^ d1, 10);
    b[8] = rotl64(a[16] ^ d1, 45);
    b[24] = rotl64(a[21] ^ d1, 2);
    b[20] = rotl64(a[2] ^ d2, 62);
    b[11] = rotl64(a[7] ^ d2, 6);
    b[2] = rotl64(a[12] ^ d2, 43);
    b[18] = rotl64(a[17] ^ d2, 15);
    b[9] = rotl64(a[22] ^ d2, 61);
    b[5] = rotl64(a[3] ^ d3, 28);
    b[21] = rotl64(a[8] ^ d3, 55);
    b[12] = rotl64(a[13] ^ d3, 25);
    b[3] = rotl64(a[18] ^ d3, 21);
    b[19] = rotl64(a[23] ^ d3, 56);
    b[15] = rotl64(a[4] ^ d4, 27);
    b[6] = rotl64(a[9] ^ d4, 20);
    b[22] = rotl64(a[14] ^ d4, 39);
    b[13] = rotl64(a[19] ^ d4, 8);
    b[4] = rotl64(a[24] ^ d4, 14);
    /* chi: the only nonlinear step, along each row; then iota. */
    CHI_ROW(0);
    CHI_ROW(1);
    CHI_ROW(2);
    CHI_ROW(3);
    CHI_ROW(4);
    a[0] ^= keccak_rc[r];
  }
  memcpy(st, a, sizeof a);
}

/* XOR n bytes (n <= 200) into the state, little-endian lane order. */
static void xor_bytes(uint64_t st[25], const uint8_t *p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    st[i / 8] ^= tr_le64(p + i);
  for (; i < n; i++)
    st[i / 8] ^= (uint64_t)p[i] << (8 * (i % 8));
}

void dag_keccak(const void *in, size_t len, size_t rate, uint8_t domain,
                uint8_t *out, size_t outlen) {
  assert(rate >= 8 && rate <= 192 && rate % 8 == 0);
  assert(domain != 0 && domain < 0x80);
  assert(in || len == 0);
  const uint8_t *p = in;
  uint64_t st[25] = {0};

  /* Absorb whole blocks.  A message of exactly k blocks still gets one
   * more block holding only the padding. */
  while (len >= rate) {
    xor_bytes(st, p, rate);
    keccak_f1600(st);
    p += rate;
    len -= rate;
  }
  /* pad10*1 with the domain bits in front: the domain byte right after the
   * message, 0x80 in the last byte of the block (the two share a byte, and
   * so are XORed together, when len is rate - 1). */
  uint8_t last[200] = {0};
  if (len)
    memcpy(last, p, len);
  last[len] ^= domain;
  last[rate - 1] ^= 0x80;
  xor_bytes(st, last, rate);
  keccak_f1600(st);

  /* Squeeze: the first rate bytes of the state, little-endian, then
   * permute again for more. */
  for (;;) {
    size_t n = outlen < rate ? outlen : rate;
    for (size_t i = 0; i < n; i++)
      out[i] = (uint8_t)(st[i / 8] >> (8 * (i % 8)));
    out += n;
    outlen -= n;
    if (!outlen)
      break;
    keccak_f1600(st);
  }
}

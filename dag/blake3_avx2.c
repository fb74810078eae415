/*
 * blake3_avx2.c — BLAKE3 compressions eight at a time with AVX2, for
 * dag/blake3.c's one-shot hash: whole 1024-byte chunks, eight in parallel,
 * and parent nodes, eight in parallel.  It does not pick between this and
 * the portable path (blake3.c asks the CPU once and calls in here only
 * when AVX2 is there), nor handle partial chunks, the root or extended
 * output: those stay in blake3.c, which this file never calls back.
 *
 * The layout, from the BLAKE3 paper's section 5.3 ("SIMD"), written anew:
 * each of the eight 32-bit lanes of a 256-bit register belongs to one
 * input, so the sixteen state words are sixteen registers and one pass of
 * the scalar G function over them advances all eight compressions.  The
 * sixteen message words of each 64-byte block are loaded from the eight
 * inputs as rows and transposed into columns, word k of every lane in one
 * register.  After the last block the eight chaining values are
 * transposed back into rows, one CV per input.
 *
 * Build options: x86-64 only; elsewhere this file compiles to nothing.  It
 * needs no -mavx2: the functions carry __attribute__((target("avx2"))),
 * which GCC and clang (the fuzz build) both accept, so the Makefile builds
 * it with the same flags as every other file in dag/ and the rest of trove stays
 * runnable on CPUs without AVX2.
 */
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)

#include <immintrin.h>

#include "blake3_int.h"

#define B3_AVX2 __attribute__((target("avx2")))

/* ------------------------------------------------------------ primitives */

static inline B3_AVX2 __m256i set1(uint32_t x) {
  return _mm256_set1_epi32((int)x);
}

/* Rotations by 16 and 8 move whole bytes, so a byte shuffle (one
 * instruction) does them; 12 and 7 need two shifts and an OR. */
static inline B3_AVX2 __m256i rotr16(__m256i x) {
  const __m256i k = _mm256_setr_epi8(
      2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, //
      2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
  return _mm256_shuffle_epi8(x, k);
}

static inline B3_AVX2 __m256i rotr8(__m256i x) {
  const __m256i k = _mm256_setr_epi8(
      1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, //
      1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
  return _mm256_shuffle_epi8(x, k);
}

static inline B3_AVX2 __m256i rotr12(__m256i x) {
  return _mm256_or_si256(_mm256_srli_epi32(x, 12), _mm256_slli_epi32(x, 20));
}

static inline B3_AVX2 __m256i rotr7(__m256i x) {
  return _mm256_or_si256(_mm256_srli_epi32(x, 7), _mm256_slli_epi32(x, 25));
}

/* Transpose an 8x8 matrix of 32-bit words held as eight rows: afterwards
 * r[k] holds what was word k of every row.  Three steps: interleave words
 * of row pairs, then 64-bit pairs of those, then swap 128-bit halves. */
static inline B3_AVX2 void transpose8(__m256i r[8]) {
  __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]);
  __m256i t1 = _mm256_unpackhi_epi32(r[0], r[1]);
  __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]);
  __m256i t3 = _mm256_unpackhi_epi32(r[2], r[3]);
  __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]);
  __m256i t5 = _mm256_unpackhi_epi32(r[4], r[5]);
  __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]);
  __m256i t7 = _mm256_unpackhi_epi32(r[6], r[7]);
  /* u0 holds words 0 (low half) and 4 (high half) of rows 0-3, u1 words
   * 1 and 5, u2 words 2 and 6, u3 words 3 and 7; u4-u7 so for rows 4-7. */
  __m256i u0 = _mm256_unpacklo_epi64(t0, t2);
  __m256i u1 = _mm256_unpackhi_epi64(t0, t2);
  __m256i u2 = _mm256_unpacklo_epi64(t1, t3);
  __m256i u3 = _mm256_unpackhi_epi64(t1, t3);
  __m256i u4 = _mm256_unpacklo_epi64(t4, t6);
  __m256i u5 = _mm256_unpackhi_epi64(t4, t6);
  __m256i u6 = _mm256_unpacklo_epi64(t5, t7);
  __m256i u7 = _mm256_unpackhi_epi64(t5, t7);
  r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
  r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
  r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
  r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
  r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
  r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
  r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
  r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

/* The sixteen message words of block p + lane * stride, one lane per
 * input: m[k] holds word k of all eight blocks.  The loads are unaligned
 * (the caller's input sits anywhere); x86-64 is little-endian, as BLAKE3's
 * words are, so no byte swap. */
static inline B3_AVX2 void load_msg(__m256i m[16], const uint8_t *p,
                                    size_t stride) {
  for (size_t i = 0; i < 8; i++) {
    const uint8_t *q = p + i * stride;
    m[i] = _mm256_loadu_si256((const __m256i *)q);
    m[i + 8] = _mm256_loadu_si256((const __m256i *)(q + 32));
  }
  transpose8(m);
  transpose8(m + 8);
}

/* ----------------------------------------------------------- compression */

#define G(a, b, c, d, x, y)                                                    \
  do {                                                                         \
    v[a] = _mm256_add_epi32(_mm256_add_epi32(v[a], v[b]), (x));               \
    v[d] = rotr16(_mm256_xor_si256(v[d], v[a]));                               \
    v[c] = _mm256_add_epi32(v[c], v[d]);                                       \
    v[b] = rotr12(_mm256_xor_si256(v[b], v[c]));                               \
    v[a] = _mm256_add_epi32(_mm256_add_epi32(v[a], v[b]), (y));               \
    v[d] = rotr8(_mm256_xor_si256(v[d], v[a]));                                \
    v[c] = _mm256_add_epi32(v[c], v[d]);                                       \
    v[b] = rotr7(_mm256_xor_si256(v[b], v[c]));                                \
  } while (0)

#define ROUND(r)                                                               \
  do {                                                                         \
    G(0, 4, 8, 12, m[b3_sched[r][0]], m[b3_sched[r][1]]);                      \
    G(1, 5, 9, 13, m[b3_sched[r][2]], m[b3_sched[r][3]]);                      \
    G(2, 6, 10, 14, m[b3_sched[r][4]], m[b3_sched[r][5]]);                     \
    G(3, 7, 11, 15, m[b3_sched[r][6]], m[b3_sched[r][7]]);                     \
    G(0, 5, 10, 15, m[b3_sched[r][8]], m[b3_sched[r][9]]);                     \
    G(1, 6, 11, 12, m[b3_sched[r][10]], m[b3_sched[r][11]]);                   \
    G(2, 7, 8, 13, m[b3_sched[r][12]], m[b3_sched[r][13]]);                    \
    G(3, 4, 9, 14, m[b3_sched[r][14]], m[b3_sched[r][15]]);                    \
  } while (0)

/* Eight chains of nblocks full 64-byte blocks each, lane i reading from
 * in + i * stride, every chain keyed with the IV: the first block gets
 * flags | first, the last flags | last (both, when there is one block),
 * and lane i's counter is (ctr_hi:ctr_lo)[i].  The eight resulting CVs go
 * to out[i].  Every input byte is read before out is written, so out may
 * overlap in (blake3.c folds a level of parents in place). */
static B3_AVX2 void hash8(const uint8_t *in, size_t stride, size_t nblocks,
                          __m256i ctr_lo, __m256i ctr_hi, uint32_t flags,
                          uint32_t first, uint32_t last, uint32_t out[8][8]) {
  __m256i h[8];
  for (size_t i = 0; i < 8; i++)
    h[i] = set1(b3_iv[i]);
  for (size_t b = 0; b < nblocks; b++) {
    uint32_t f = flags;
    if (b == 0)
      f |= first;
    if (b + 1 == nblocks)
      f |= last;
    __m256i m[16], v[16];
    load_msg(m, in + b * 64, stride);
    /* Eight interleaved streams 1 KiB apart defeat the hardware
     * prefetcher in part: hashing 64 MiB ran at 2.2 GB/s without this and
     * 3.0 GB/s with it (AMD EPYC).  So while the eight chunks are hashed,
     * sweep the 8 KiB that follow them (the next call's chunks, when the
     * caller has more) into L1, 512 bytes per block.  A prefetch is a hint
     * that never faults, so one past the end of the input is harmless. */
    if (stride == 1024 && nblocks == 16)
      for (size_t i = 0; i < 8; i++)
        _mm_prefetch((const char *)(in + 8 * 1024 + b * 512 + i * 64),
                     _MM_HINT_T0);
    for (size_t i = 0; i < 8; i++)
      v[i] = h[i];
    v[8] = set1(b3_iv[0]);
    v[9] = set1(b3_iv[1]);
    v[10] = set1(b3_iv[2]);
    v[11] = set1(b3_iv[3]);
    v[12] = ctr_lo;
    v[13] = ctr_hi;
    v[14] = set1(64);
    v[15] = set1(f);
    ROUND(0);
    ROUND(1);
    ROUND(2);
    ROUND(3);
    ROUND(4);
    ROUND(5);
    ROUND(6);
    for (size_t i = 0; i < 8; i++)
      h[i] = _mm256_xor_si256(v[i], v[i + 8]);
  }
  transpose8(h);
  for (size_t i = 0; i < 8; i++)
    _mm256_storeu_si256((__m256i *)out[i], h[i]);
}

/* ------------------------------------------------------------- interface */

/* The CVs of the eight whole chunks at in[0..8192), chunk i having chunk
 * counter counter + i.  None of them may be the root (the caller keeps a
 * lone chunk on the portable path). */
B3_AVX2 void dag__blake3_chunks8_avx2(const uint8_t *in, uint64_t counter,
                                      uint32_t out[8][8]) {
  uint32_t lo[8], hi[8];
  for (int i = 0; i < 8; i++) {
    uint64_t c = counter + (uint64_t)i;
    lo[i] = (uint32_t)c;
    hi[i] = (uint32_t)(c >> 32);
  }
  __m256i ctr_lo = _mm256_loadu_si256((const __m256i *)lo);
  __m256i ctr_hi = _mm256_loadu_si256((const __m256i *)hi);
  hash8(in, 1024, 16, ctr_lo, ctr_hi, 0, CHUNK_START, CHUNK_END, out);
}

/* The CVs of eight parent nodes, parent i over the children in[2i] (left)
 * and in[2i + 1] (right), none of them the root.  A parent's block is its
 * two children's CVs, words in order, and in[] holds exactly those words
 * in little-endian memory, so the 64-byte blocks are read in place.  out
 * may be in[0..8): every child is read before any parent is written. */
B3_AVX2 void dag__blake3_parents8_avx2(const uint32_t in[16][8],
                                       uint32_t out[8][8]) {
  __m256i zero = _mm256_setzero_si256();
  hash8((const uint8_t *)in, 64, 1, zero, zero, PARENT, 0, 0, out);
}

#else

/* ISO C wants at least one declaration in a translation unit. */
typedef int dag__blake3_avx2_unused;

#endif /* __x86_64__ */

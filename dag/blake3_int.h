/*
 * blake3_int.h — what dag/blake3.c (the one-shot hash, the portable path)
 * and dag/blake3_avx2.c (eight compressions at a time) share: BLAKE3's
 * constants and the AVX2 routines.  Not for other files: they include
 * hashfn.h.
 */
#ifndef DAG_BLAKE3_INT_H
#define DAG_BLAKE3_INT_H

#include <stdint.h>

#define B3_BLOCK 64
#define B3_CHUNK 1024

enum {
  CHUNK_START = 1 << 0,
  CHUNK_END = 1 << 1,
  PARENT = 1 << 2,
  ROOT = 1 << 3,
};

/* The SHA-256 initial hash values, BLAKE3's IV and, in hash mode, its key. */
static const uint32_t b3_iv[8] = {
    0x6a09e667UL, 0xbb67ae85UL, 0x3c6ef372UL, 0xa54ff53aUL,
    0x510e527fUL, 0x9b05688cUL, 0x1f83d9abUL, 0x5be0cd19UL,
};

/* The message word order in each of the seven rounds: row 0 is the
 * identity and each row is the one before it put through the spec's
 * permutation {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8}.
 * Applying the permutation to the indices once here, rather than moving
 * the message words between rounds, leaves constant subscripts only. */
static const uint8_t b3_sched[7][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
    {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},
    {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
    {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},
    {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
    {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
};

#if defined(__x86_64__)
/* dag/blake3_avx2.c; call them only on a CPU with AVX2 (blake3.c asks it
 * once).  chunks8: the chaining values of the eight whole chunks at
 * in[0..8 KiB), the first one's counter given.  parents8: the chaining
 * values of eight parents, each of two CVs in[2i] and in[2i+1]. */
void dag__blake3_chunks8_avx2(const uint8_t *in, uint64_t counter,
                              uint32_t out[8][8]);
void dag__blake3_parents8_avx2(const uint32_t in[16][8], uint32_t out[8][8]);
#endif

#endif /* DAG_BLAKE3_INT_H */

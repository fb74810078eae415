/*
 * blake3.c — BLAKE3 in its default hash mode with extendable output,
 * one-shot, portable C (see hashfn.h for the contract).  It does not do the
 * keyed_hash or derive_key modes, an incremental interface, multithreading
 * or SIMD: it compresses one block at a time, which the BLAKE3 paper's
 * portable implementation also does, at roughly BLAKE2s speed.
 *
 * The shape, after the BLAKE3 specification (section 2 and the reference
 * implementation's structure, rewritten here): the input is cut into
 * 1024-byte chunks of sixteen 64-byte blocks; each chunk's blocks are
 * chained with the chunk's index as the counter, and yield a chaining value
 * (CV).  CVs go on a stack; after chunk n (counting from 1) the stack is
 * merged once for every trailing zero bit of n, which builds the
 * left-leaning binary tree the spec requires.  The last chunk is held back
 * and folded into the remaining stack from the right; the very last
 * compression (chunk or parent) gets the ROOT flag and is rerun with output
 * block counters 0, 1, 2, ... to give as many bytes as are asked for.
 *
 * No build options affect this file.
 */
#include "hashfn.h"

#include <assert.h>
#include <string.h>

#define B3_BLOCK 64
#define B3_CHUNK 1024
/* A size_t input has at most 2^64 / 2^10 chunks, so the stack of subtree
 * CVs, one per set bit of the chunk count, never holds more than 54. */
#define B3_MAX_DEPTH 54

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

static inline uint32_t load32(const uint8_t *p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
#else
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
#endif
}

static inline void store32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t rotr32(uint32_t x, unsigned n) {
  return (x >> n) | (x << (32 - n));
}

/* ----------------------------------------------------------- compression */

#define B3_G(a, b, c, d, x, y)                                                 \
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

#define B3_ROUND(r)                                                            \
  do {                                                                         \
    B3_G(0, 4, 8, 12, m[b3_sched[r][0]], m[b3_sched[r][1]]);                   \
    B3_G(1, 5, 9, 13, m[b3_sched[r][2]], m[b3_sched[r][3]]);                   \
    B3_G(2, 6, 10, 14, m[b3_sched[r][4]], m[b3_sched[r][5]]);                  \
    B3_G(3, 7, 11, 15, m[b3_sched[r][6]], m[b3_sched[r][7]]);                  \
    B3_G(0, 5, 10, 15, m[b3_sched[r][8]], m[b3_sched[r][9]]);                  \
    B3_G(1, 6, 11, 12, m[b3_sched[r][10]], m[b3_sched[r][11]]);                \
    B3_G(2, 7, 8, 13, m[b3_sched[r][12]], m[b3_sched[r][13]]);                 \
    B3_G(3, 4, 9, 14, m[b3_sched[r][14]], m[b3_sched[r][15]]);                 \
  } while (0)

/* The compression function's full 16-word state after its seven rounds,
 * before the feed-forward (which differs between CV and XOF use). */
static void b3_rounds(uint32_t v[16], const uint32_t cv[8],
                      const uint8_t block[B3_BLOCK], uint64_t counter,
                      uint32_t block_len, uint32_t flags) {
  uint32_t m[16];
  for (int i = 0; i < 16; i++)
    m[i] = load32(block + 4 * i);
  for (int i = 0; i < 8; i++)
    v[i] = cv[i];
  v[8] = b3_iv[0];
  v[9] = b3_iv[1];
  v[10] = b3_iv[2];
  v[11] = b3_iv[3];
  v[12] = (uint32_t)counter;
  v[13] = (uint32_t)(counter >> 32);
  v[14] = block_len;
  v[15] = flags;
  B3_ROUND(0);
  B3_ROUND(1);
  B3_ROUND(2);
  B3_ROUND(3);
  B3_ROUND(4);
  B3_ROUND(5);
  B3_ROUND(6);
}

/* Compress in place: cv becomes the next chaining value. */
static void b3_compress_cv(uint32_t cv[8], const uint8_t block[B3_BLOCK],
                           uint64_t counter, uint32_t block_len,
                           uint32_t flags) {
  uint32_t v[16];
  b3_rounds(v, cv, block, counter, block_len, flags);
  for (int i = 0; i < 8; i++)
    cv[i] = v[i] ^ v[i + 8];
}

/* ------------------------------------------------------------------ tree */

/* A compression not yet run: the last block of a chunk or a parent node,
 * kept so that it can become either a CV or the root's output. */
typedef struct b3_output {
  uint32_t cv[8];
  uint8_t block[B3_BLOCK];
  uint64_t counter;
  uint32_t block_len, flags;
} b3_output_t;

static void b3_output_cv(const b3_output_t *o, uint32_t cv[8]) {
  memcpy(cv, o->cv, 8 * sizeof cv[0]);
  b3_compress_cv(cv, o->block, o->counter, o->block_len, o->flags);
}

/* All of one chunk but its last block; that block goes into *o.  len is
 * 0..1024: an empty input is a single chunk of one empty block. */
static void b3_chunk(const uint8_t *p, size_t len, uint64_t chunk_index,
                     b3_output_t *o) {
  uint32_t flags = CHUNK_START;
  memcpy(o->cv, b3_iv, sizeof o->cv);
  while (len > B3_BLOCK) {
    b3_compress_cv(o->cv, p, chunk_index, B3_BLOCK, flags);
    flags = 0;
    p += B3_BLOCK;
    len -= B3_BLOCK;
  }
  memset(o->block, 0, sizeof o->block);
  if (len)
    memcpy(o->block, p, len);
  o->counter = chunk_index;
  o->block_len = (uint32_t)len;
  o->flags = flags | CHUNK_END;
}

/* The parent node over two child CVs, as a pending output. */
static void b3_parent(const uint32_t left[8], const uint32_t right[8],
                      b3_output_t *o) {
  memcpy(o->cv, b3_iv, sizeof o->cv);
  for (int i = 0; i < 8; i++) {
    store32(o->block + 4 * i, left[i]);
    store32(o->block + 32 + 4 * i, right[i]);
  }
  o->counter = 0;
  o->block_len = B3_BLOCK;
  o->flags = PARENT;
}

/* The root's extended output: the root compression rerun with output block
 * counter 0, 1, 2, ..., each time keeping all 16 state words. */
static void b3_root_bytes(const b3_output_t *o, uint8_t *out, size_t outlen) {
  uint64_t counter = 0;
  while (outlen) {
    uint32_t v[16];
    uint8_t blk[B3_BLOCK];
    b3_rounds(v, o->cv, o->block, counter++, o->block_len, o->flags | ROOT);
    for (int i = 0; i < 8; i++) {
      store32(blk + 4 * i, v[i] ^ v[i + 8]);
      store32(blk + 32 + 4 * i, v[i + 8] ^ o->cv[i]);
    }
    size_t n = outlen < B3_BLOCK ? outlen : B3_BLOCK;
    memcpy(out, blk, n);
    out += n;
    outlen -= n;
  }
}

void dag_blake3(const void *in, size_t len, uint8_t *out, size_t outlen) {
  assert(in || len == 0);
  const uint8_t *p = in;
  uint32_t stack[B3_MAX_DEPTH][8];
  size_t depth = 0;
  uint64_t chunks = 0;
  b3_output_t o;

  /* Every chunk but the last is full and not the root: fold its CV into
   * the stack.  After chunk number chunks (from 1), each trailing zero bit
   * of that count is a completed subtree whose two halves are the top two
   * entries. */
  while (len > B3_CHUNK) {
    uint32_t cv[8];
    b3_chunk(p, B3_CHUNK, chunks, &o);
    b3_output_cv(&o, cv);
    chunks++;
    for (uint64_t n = chunks; !(n & 1); n >>= 1) {
      b3_output_t par;
      b3_parent(stack[--depth], cv, &par);
      b3_output_cv(&par, cv);
    }
    assert(depth < B3_MAX_DEPTH);
    memcpy(stack[depth++], cv, sizeof cv);
    p += B3_CHUNK;
    len -= B3_CHUNK;
  }

  /* The last chunk (0..1024 bytes) joins the remaining subtrees from the
   * right; whichever output is left over at the top is the root. */
  b3_chunk(p, len, chunks, &o);
  while (depth) {
    uint32_t cv[8];
    b3_output_cv(&o, cv);
    b3_parent(stack[--depth], cv, &o);
  }
  b3_root_bytes(&o, out, outlen);
}

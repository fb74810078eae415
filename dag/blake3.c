/*
 * blake3.c — BLAKE3 in its default hash mode with extendable output,
 * one-shot (see hashfn.h for the contract): the tree, the portable
 * compression function, and the choice between it and eight-way AVX2
 * compressions (dag/blake3_avx2.c) for the bulk of a long input.  It does
 * not do the keyed_hash or derive_key modes, an incremental interface or
 * multithreading.
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
 * The portable path compresses one block at a time, at roughly BLAKE2s
 * speed.  On x86-64 CPUs with AVX2, inputs of at least eight chunks have
 * their leading whole chunks hashed eight at a time instead, in aligned
 * subtrees of up to B3_BATCH chunks whose parents are also compressed
 * eight at a time (see b3_subtree); what is left over, under eight chunks,
 * goes the portable way.  Both paths give the same bytes, which
 * tests/test_hashfn.c checks over many lengths through
 * dag_blake3_portable().
 *
 * Build options: on x86-64 (__x86_64__) the AVX2 path is compiled in and
 * chosen at run time by asking the CPU once; elsewhere only the portable
 * path exists.  No compiler flag (-mavx2 or other) is needed.
 */
#include "hashfn.h"

#include "../common/tr.h"
#include "blake3_int.h"

#include <assert.h>
#include <stdatomic.h>
#include <string.h>

/* A size_t input has at most 2^64 / 2^10 chunks, so the stack of subtree
 * CVs, one per set bit of the chunk count, never holds more than 54. */
#define B3_MAX_DEPTH 54

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
    m[i] = tr_le32(block + 4 * i);
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
    tr_put_le32(o->block + 4 * i, left[i]);
    tr_put_le32(o->block + 32 + 4 * i, right[i]);
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
      tr_put_le32(blk + 4 * i, v[i] ^ v[i + 8]);
      tr_put_le32(blk + 32 + 4 * i, v[i + 8] ^ o->cv[i]);
    }
    size_t n = outlen < B3_BLOCK ? outlen : B3_BLOCK;
    memcpy(out, blk, n);
    out += n;
    outlen -= n;
  }
}

/* Fold a finished subtree of n chunks (a power of two, and chunks, the
 * count before it, a multiple of n) into the stack.  After it, each
 * trailing zero bit of the chunk count in units of n is a completed subtree
 * whose two halves are the top entry and cv. */
static void b3_push(uint32_t stack[B3_MAX_DEPTH][8], size_t *depth,
                    uint64_t *chunks, uint32_t cv[8], uint64_t n) {
  assert(*chunks % n == 0);
  *chunks += n;
  for (uint64_t m = *chunks / n; !(m & 1); m >>= 1) {
    b3_output_t par;
    assert(*depth > 0);
    b3_parent(stack[--*depth], cv, &par);
    b3_output_cv(&par, cv);
  }
  assert(*depth < B3_MAX_DEPTH);
  memcpy(stack[(*depth)++], cv, 8 * sizeof cv[0]);
}

/* ------------------------------------------------------------------ AVX2 */

#if defined(__x86_64__)

/* The most chunks hashed as one subtree: its CVs take 8 KiB of stack, and
 * all but seven of its 255 parents are compressed eight at a time (a
 * level of under sixteen CVs goes the portable way).  Parents are one
 * compression in sixteen, so doing them one at a time would cost much:
 * on an AMD EPYC, 1 MiB inputs hash at 2.4 GB/s with subtrees of 8 chunks
 * (all parents portable), 2.85 with 64 and 2.93 with 256. */
#define B3_BATCH 256

/* Whether the CPU (and the OS, which must save the YMM registers: the
 * builtin checks that too) runs AVX2.  The answer is cached in one flag:
 * 0 not asked yet, 1 no, 2 yes.  Threads that race on the first call all
 * store the same value, so relaxed atomics are enough. */
static int b3_have_avx2(void) {
  static _Atomic int known;
  int k = atomic_load_explicit(&known, memory_order_relaxed);
  if (!k) {
    __builtin_cpu_init();
    k = __builtin_cpu_supports("avx2") ? 2 : 1;
    atomic_store_explicit(&known, k, memory_order_relaxed);
  }
  return k == 2;
}

/* The subtree over the n whole chunks at p (n a power of two, 8..B3_BATCH,
 * the first with chunk counter counter), as its pending top parent in *o:
 * all chunks go through the AVX2 routine, then each level of parents is
 * built in place in cv[], parent i over children 2i and 2i + 1. */
static void b3_subtree(const uint8_t *p, size_t n, uint64_t counter,
                       b3_output_t *o) {
  uint32_t cv[B3_BATCH][8];
  assert(n >= 8 && n <= B3_BATCH && (n & (n - 1)) == 0);
  for (size_t i = 0; i < n; i += 8)
    dag__blake3_chunks8_avx2(p + i * B3_CHUNK, counter + i, cv + i);
  for (; n > 2; n /= 2) {
    if (n >= 16) {
      for (size_t i = 0; i < n / 2; i += 8)
        dag__blake3_parents8_avx2((const uint32_t(*)[8])(cv + 2 * i),
                                  cv + i);
    } else {
      for (size_t i = 0; i < n / 2; i++) {
        b3_output_t par;
        b3_parent(cv[2 * i], cv[2 * i + 1], &par);
        b3_output_cv(&par, cv[i]);
      }
    }
  }
  b3_parent(cv[0], cv[1], o);
}

#else

static int b3_have_avx2(void) { return 0; }

#endif /* __x86_64__ */

/* -------------------------------------------------------------- one-shot */

static void b3_hash(const uint8_t *p, size_t len, uint8_t *out, size_t outlen,
                    int simd) {
  uint32_t stack[B3_MAX_DEPTH][8];
  size_t depth = 0;
  uint64_t chunks = 0;
  b3_output_t o;
  int have_last = 0;

#if defined(__x86_64__)
  /* While eight whole chunks are left, take the largest aligned subtree
   * that fits: the chunk count so far is a multiple of its size, so it is
   * a complete subtree of the final tree.  If it ends the input, its
   * pending top parent plays the part of the held-back last chunk below
   * (it is the root when nothing is on the stack); otherwise its CV goes
   * on the stack like a chunk's. */
  while (simd && len >= 8 * B3_CHUNK) {
    size_t n = B3_BATCH;
    while (n * B3_CHUNK > len || chunks % n)
      n /= 2;
    b3_subtree(p, n, chunks, &o);
    p += n * B3_CHUNK;
    len -= n * B3_CHUNK;
    if (!len) {
      have_last = 1;
      break;
    }
    uint32_t cv[8];
    b3_output_cv(&o, cv);
    b3_push(stack, &depth, &chunks, cv, n);
  }
#else
  (void)simd;
#endif

  /* Every chunk but the last is full and not the root: fold its CV into
   * the stack. */
  while (len > B3_CHUNK) {
    uint32_t cv[8];
    b3_chunk(p, B3_CHUNK, chunks, &o);
    b3_output_cv(&o, cv);
    b3_push(stack, &depth, &chunks, cv, 1);
    p += B3_CHUNK;
    len -= B3_CHUNK;
  }

  /* The last chunk (0..1024 bytes) joins the remaining subtrees from the
   * right; whichever output is left over at the top is the root. */
  if (!have_last)
    b3_chunk(p, len, chunks, &o);
  while (depth) {
    uint32_t cv[8];
    b3_output_cv(&o, cv);
    b3_parent(stack[--depth], cv, &o);
  }
  b3_root_bytes(&o, out, outlen);
}

void dag_blake3(const void *in, size_t len, uint8_t *out, size_t outlen) {
  assert(in || len == 0);
  b3_hash(in, len, out, outlen, b3_have_avx2());
}

void dag_blake3_portable(const void *in, size_t len, uint8_t *out,
                         size_t outlen) {
  assert(in || len == 0);
  b3_hash(in, len, out, outlen, 0);
}

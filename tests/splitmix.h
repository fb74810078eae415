/*
 * splitmix.h — the test bytes of tests/gen_modify_vectors.sh: splitmix64
 * from a seed, each output 8 little-endian bytes, so that the trickle and
 * modifier tests regenerate megabytes of input from (seed, length) instead
 * of storing them.  Must stay identical to gen() in tests/modvec/main.go.
 */
#ifndef SPLITMIX_H
#define SPLITMIX_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Bytes [0, n) of the stream for seed into p. */
static inline void splitmix_fill(uint64_t seed, uint8_t *p, size_t n) {
  uint64_t s = seed;
  for (size_t i = 0; i < n; i += 8) {
    s += 0x9E3779B97F4A7C15ull;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    for (size_t k = 0; k < 8 && i + k < n; k++)
      p[i + k] = (uint8_t)(z >> (8 * k));
  }
}

/* A malloc'd copy of the stream (never NULL: aborts). */
static inline uint8_t *splitmix_alloc(uint64_t seed, size_t n) {
  uint8_t *p = malloc(n ? n : 1);
  if (!p)
    abort();
  splitmix_fill(seed, p, n);
  return p;
}

#endif /* SPLITMIX_H */

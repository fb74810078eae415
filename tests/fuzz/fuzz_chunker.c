/*
 * fuzz_chunker.c — libFuzzer target for dag/chunker.h: random specs and
 * random bytes.  Checks that
 *   - the spec parser never crashes, and accepted specs have sane bounds;
 *   - every chunk is 1..max bytes, every chunk but the last >= min, and the
 *     chunks put back together are the input;
 *   - feeding a dag_chunker_max()-sized window (as an importer does) gives
 *     the same cuts as feeding everything, and a chunk's bytes alone
 *     confirm its own cut (the cut depends only on bytes since the last);
 *   - rabin cuts equal those of a slow from-scratch model: for each length
 *     L, the fingerprint of the 16 bytes ending at L computed by long
 *     division, with no tables and no rolling.
 *
 * Input: byte 0 picks the mode; rabin specs get their numbers from the next
 * bytes; mode 3 reads a NUL-terminated spec string verbatim.  Buzhash needs
 * more than 128 KiB to cut at all, so its payload is tiled out to up to
 * ~620 KiB and mixed with a position-keyed generator (or not) by flag bits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../dag/chunker.h"

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* Fingerprint of w[0..16), recomputed from scratch by Horner's rule: each
 * byte shifts in and the 8 overflow bits are reduced with a table that this
 * file builds by long division - neither dag/rabin.c's tables nor its
 * rolling update are involved. */
static uint64_t slow_fingerprint(const uint8_t *w) {
  static uint64_t red[256];
  static int ready;
  if (!ready) {
    for (uint64_t b = 0; b < 256; b++) {
      uint64_t h = b << 53;
      for (int bit = 60; bit >= 53; bit--)
        if (h >> bit & 1)
          h ^= DAG_RABIN_POL << (bit - 53);
      red[b] = h;
    }
    ready = 1;
  }
  uint64_t h = 0;
  for (int i = 0; i < DAG_RABIN_WINDOW; i++) {
    uint64_t top = h >> 45; /* the bits that will pass degree 53 */
    h = ((h << 8) & ((UINT64_C(1) << 53) - 1)) ^ w[i] ^ red[top];
  }
  return h;
}

static size_t slow_rabin_cut(const dag_chunker_t *c, const uint8_t *buf,
                             size_t len) {
  if (len < c->min)
    return len;
  for (size_t l = c->min; l <= len && l <= c->max; l++)
    if ((slow_fingerprint(buf + l - DAG_RABIN_WINDOW) & c->mask) == 0)
      return l;
  return len < c->max ? len : c->max;
}

static void check(const dag_chunker_t *c, const uint8_t *buf, size_t len) {
  size_t max = dag_chunker_max(c);
  size_t min = c->kind == DAG_CHUNK_SIZE ? c->size : c->min;
  if (max == 0 || max > DAG_CHUNK_LIMIT || min > max)
    abort();
  uint8_t *out = malloc(len + 1);
  size_t off = 0;
  while (off < len) {
    size_t rest = len - off;
    size_t n = dag_chunker_cut(c, buf + off, rest, true);
    if (n == 0 || n > rest || n > max || (n < min && n != rest))
      abort();
    size_t w = rest <= max ? dag_chunker_cut(c, buf + off, rest, true)
                           : dag_chunker_cut(c, buf + off, max, false);
    if (w != n)
      abort();
    if (dag_chunker_cut(c, buf + off, n, n == rest) != n)
      abort();
    if (c->kind == DAG_CHUNK_RABIN && slow_rabin_cut(c, buf + off, rest) != n)
      abort();
    memcpy(out + off, buf + off, n);
    off += n;
  }
  if (off != len || (len && memcmp(out, buf, len) != 0))
    abort();
  if (dag_chunker_cut(c, buf + len, 0, true) != 0)
    abort();
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t mode = data[0] & 3, flags = data[0] >> 2;
  data++, size--;
  char spec[96];
  if (mode == 0) { /* buzhash over an expanded payload */
    if (size < 2)
      return 0;
    size_t len = ((size_t)data[0] << 8 | data[1]) * 8u +
                 (flags & 1 ? 0 : 100000);
    data += 2, size -= 2;
    uint8_t *buf = malloc(len + 1);
    uint64_t s = flags, r = 0;
    for (size_t i = 0; i < len; i++) {
      if (i % 8 == 0)
        r = flags & 2 ? splitmix(&s) : 0;
      buf[i] = (uint8_t)((size ? data[i % size] : 0) ^ (r >> (i % 8 * 8)));
    }
    dag_chunker_t c;
    if (dag_chunker_init(&c, flags & 4 ? "buzhash-x" : "buzhash"))
      abort();
    check(&c, buf, len);
    free(buf);
    return 0;
  }
  if (mode == 3) { /* a verbatim spec, then the payload */
    const uint8_t *nul = memchr(data, 0, size < 95 ? size : 95);
    if (!nul)
      return 0;
    memcpy(spec, data, (size_t)(nul - data) + 1);
    size -= (size_t)(nul - data) + 1;
    data = nul + 1;
  } else {
    if (size < 6)
      return 0;
    size_t a = (size_t)data[0] << 8 | data[1], b = (size_t)data[2] << 8 | data[3],
           m = (size_t)data[4] << 8 | data[5];
    data += 6, size -= 6;
    if (mode == 1)
      snprintf(spec, sizeof spec, "rabin-%zu", a);
    else
      snprintf(spec, sizeof spec, flags & 1 ? "rabin-min:%zu-avg:%zu-max:%zu"
                                            : "rabin-%zu-%zu-%zu",
               a % 4096, a % 4096 + b % 8192, a % 4096 + b % 8192 + m % 8192);
  }
  dag_chunker_t c;
  if (dag_chunker_init(&c, spec) != 0)
    return 0;
  check(&c, data, size);
  return 0;
}

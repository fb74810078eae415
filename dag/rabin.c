/*
 * rabin.c — the rabin chunker of boxo/go-ipfs-chunker, which is
 * github.com/whyrusleeping/chunker (a fork of restic's chunker with a
 * 16-byte window) driven with boxo's polynomial.  See chunker.h for the
 * contract; this file only builds the tables and finds a cut.
 *
 * The fingerprint of a byte string b_0..b_{n-1} is the polynomial
 * sum b_i(x) * x^(8(n-1-i)) reduced modulo pol over GF(2), pol of degree
 * 53.  Appending a byte multiplies by x^8, adds the byte and reduces with
 * one lookup in mod_table (indexed by the 8 bits that overflow degree 53);
 * sliding a byte out of the 16-byte window adds out_table[byte], the
 * fingerprint of that byte followed by 15 zero bytes.
 *
 * What Go does at a chunk boundary, and why cut() can start from zero:
 * Chunker.reset() clears the window, sets the digest to the fingerprint of
 * a single 0x01 byte (slide(1)), and skips MIN - 16 bytes without hashing
 * them.  Sixteen bytes later, when the first test happens at length MIN,
 * the 0x01 has slid out and the digest is exactly the fingerprint of the 16
 * bytes ending there; the fingerprint is linear, so starting from a zero
 * digest and a zero window gives the same value.  MIN >= 16 is required
 * (chunker.c enforces it); below that Go's skip count wraps around.
 *
 * Speed: the rolling update is one dependency chain per byte (xor, shift,
 * table load, xor), about 2 ns/byte on the machine this was written on;
 * scan_lanes() runs four chains side by side for the large chunk sizes
 * people use, and with the MIN - 16 bytes that are never hashed the default
 * "rabin" splits about 1 GB/s there (Go's reference: under 200 MB/s).
 */
#include "chunker.h"

int dag__rabin_init(dag_chunker_t *c, uint64_t pol, size_t min, size_t avg,
                    size_t max);
size_t dag__rabin_cut(const dag_chunker_t *c, const uint8_t *buf, size_t len,
                      bool eof);

/* ------------------------------------------------- polynomials over GF(2) */

static int pol_deg(uint64_t x) { return x ? 63 - __builtin_clzll(x) : -1; }

/* x mod d; d != 0. */
static uint64_t pol_mod(uint64_t x, uint64_t d) {
  int dd = pol_deg(d);
  for (int diff = pol_deg(x) - dd; diff >= 0; diff = pol_deg(x) - dd)
    x ^= d << diff;
  return x;
}

/* ------------------------------------------------------------------- init */

/* min, avg, max already checked by the parser: 16 <= min < avg < max.
 * pol must have degree 9..63 so the tables mean something; every caller
 * passes DAG_RABIN_POL except tests of the restic vectors. */
int dag__rabin_init(dag_chunker_t *c, uint64_t pol, size_t min, size_t avg,
                    size_t max) {
  int k = pol_deg(pol);
  if (k < 9 || min < DAG_RABIN_WINDOW || min > avg || avg > max)
    return TR_ECHUNKER;
  c->kind = DAG_CHUNK_RABIN;
  c->min = min, c->avg = avg, c->max = max;
  c->pol = pol;
  c->shift = (unsigned)(k - 8);
  /* Go: sizeMask = 1<<uint(math.Log2(avg)) - 1.  Log2 of an integer below
   * 2^53 is never rounded up to the next integer, so this is floor(log2). */
  c->mask = (UINT64_C(1) << pol_deg(avg)) - 1;
  for (unsigned b = 0; b < 256; b++) {
    /* out_table[b] = fingerprint(b, then WINDOW-1 zero bytes). */
    uint64_t h = pol_mod(b, pol);
    for (int i = 0; i < DAG_RABIN_WINDOW - 1; i++)
      h = pol_mod(h << 8, pol);
    c->out_table[b] = h;
    /* mod_table[b] = (b * x^k mod pol) | b * x^k: one xor both clears the
     * 8 overflow bits and adds their remainder. */
    c->mod_table[b] = pol_mod((uint64_t)b << k, pol) | ((uint64_t)b << k);
  }
  return 0;
}

/* -------------------------------------------------------------------- cut */

/* One rolling step: byte `in` enters the window, `gone` (16 bytes older)
 * leaves it. */
#define RABIN_ROLL(d, gone, in)                                                \
  do {                                                                         \
    (d) ^= out[(gone)];                                                        \
    (d) = (((d) << 8) | (in)) ^ mod[(d) >> shift];                            \
  } while (0)

/* The first length L in [from, to] whose window (the 16 bytes ending at L)
 * has a fingerprint with the mask bits clear, or 0 if there is none.
 * from >= 16.  Starting at a zero digest is exact: see the top of file. */
static size_t scan(const dag_chunker_t *c, const uint8_t *buf, size_t from,
                   size_t to) {
  const uint64_t *mod = c->mod_table, *out = c->out_table;
  const uint64_t mask = c->mask;
  const unsigned shift = c->shift;
  uint64_t d = 0;
  for (size_t i = from - DAG_RABIN_WINDOW; i < from; i++)
    d = ((d << 8) | buf[i]) ^ mod[d >> shift];
  if ((d & mask) == 0)
    return from;
  for (size_t i = from; i < to; i++) {
    RABIN_ROLL(d, buf[i - DAG_RABIN_WINDOW], buf[i]);
    if ((d & mask) == 0)
      return i + 1;
  }
  return 0;
}

/* The fingerprint at L depends only on the 16 bytes before L, so a range of
 * lengths can be split into lanes that roll independently.  One lane is a
 * chain of dependent operations (xor, shift, load, xor) and leaves most of
 * the CPU idle; four interleaved lanes run about twice as fast.  A
 * block is RABIN_LANES spans of RABIN_SPAN lengths; when any lane hits, the
 * block is rescanned one lane at a time, in order, so the earliest hit wins
 * exactly as in the plain loop.  Each lane pays 16 bytes of warm-up per
 * span, and a cut costs at most one block rescanned: both small next to
 * the chunk sizes this path is used for (mask of 12 bits or more). */
#define RABIN_LANES 4 /* scan_lanes() spells the four out */
#define RABIN_SPAN 512
#define RABIN_LANES_MIN_MASK 4095

static size_t scan_lanes(const dag_chunker_t *c, const uint8_t *buf,
                         size_t from, size_t to) {
  const uint64_t *mod = c->mod_table, *out = c->out_table;
  const uint64_t mask = c->mask;
  const unsigned shift = c->shift;
  const size_t block = RABIN_LANES * RABIN_SPAN;
  for (; to - from + 1 >= block; from += block) {
    const uint8_t *p0 = buf + from, *p1 = p0 + RABIN_SPAN,
                  *p2 = p1 + RABIN_SPAN, *p3 = p2 + RABIN_SPAN;
    uint64_t d0 = 0, d1 = 0, d2 = 0, d3 = 0;
    for (ptrdiff_t i = -DAG_RABIN_WINDOW; i < 0; i++) {
      d0 = ((d0 << 8) | p0[i]) ^ mod[d0 >> shift];
      d1 = ((d1 << 8) | p1[i]) ^ mod[d1 >> shift];
      d2 = ((d2 << 8) | p2[i]) ^ mod[d2 >> shift];
      d3 = ((d3 << 8) | p3[i]) ^ mod[d3 >> shift];
    }
    /* Lane q tests the lengths from + q*SPAN + [0, SPAN): the warm-up gave
     * the first, each step below the next. */
    bool hit = !(d0 & mask) | !(d1 & mask) | !(d2 & mask) | !(d3 & mask);
    for (ptrdiff_t j = 0; j < RABIN_SPAN - 1 && !hit; j++) {
      RABIN_ROLL(d0, p0[j - DAG_RABIN_WINDOW], p0[j]);
      RABIN_ROLL(d1, p1[j - DAG_RABIN_WINDOW], p1[j]);
      RABIN_ROLL(d2, p2[j - DAG_RABIN_WINDOW], p2[j]);
      RABIN_ROLL(d3, p3[j - DAG_RABIN_WINDOW], p3[j]);
      hit = !(d0 & mask) | !(d1 & mask) | !(d2 & mask) | !(d3 & mask);
    }
    if (hit) {
      size_t l = scan(c, buf, from, from + block - 1);
      if (l)
        return l;
    }
  }
  return from <= to ? scan(c, buf, from, to) : 0;
}

size_t dag__rabin_cut(const dag_chunker_t *c, const uint8_t *buf, size_t len,
                      bool eof) {
  const size_t min = c->min, max = c->max;
  if (len < min)
    return eof ? len : 0;
  /* Test lengths min..end; the window of length min is the chunk's own
   * bytes min-16..min, which Go hashes first (see the top of the file). */
  const size_t end = len < max ? len : max;
  size_t l = c->mask >= RABIN_LANES_MIN_MASK ? scan_lanes(c, buf, min, end)
                                             : scan(c, buf, min, end);
  if (l)
    return l;
  if (end == max)
    return max;
  return eof ? len : 0;
}

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
 * Speed: the loop is one dependency chain per byte (xor, shift, table load,
 * xor), about 1 ns/byte on a current x86; the out_table load does not sit
 * on the chain because the outgoing byte is known in advance.
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

size_t dag__rabin_cut(const dag_chunker_t *c, const uint8_t *buf, size_t len,
                      bool eof) {
  const size_t min = c->min, max = c->max;
  if (len < min)
    return eof ? len : 0;
  const uint64_t *mod = c->mod_table, *out = c->out_table;
  const uint64_t mask = c->mask;
  const unsigned shift = c->shift;
  const size_t end = len < max ? len : max;
  uint64_t d = 0;
  /* The 16 bytes that end at length min fill the window; nothing slides
   * out yet (see the top of the file). */
  for (size_t i = min - DAG_RABIN_WINDOW; i < min; i++)
    d = ((d << 8) | buf[i]) ^ mod[d >> shift];
  if ((d & mask) == 0)
    return min;
  for (size_t i = min; i < end; i++) {
    d ^= out[buf[i - DAG_RABIN_WINDOW]];
    d = ((d << 8) | buf[i]) ^ mod[d >> shift];
    if ((d & mask) == 0)
      return i + 1;
  }
  if (end == max)
    return max;
  return eof ? len : 0;
}

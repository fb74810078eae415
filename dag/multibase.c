/*
 * multibase.c — multibase encode/decode: the RFC 4648 bases (16, 32,
 * 32hex, 64, 64url, with and without padding) by bit packing, the
 * positional bases (36, 58btc, 58flickr) by long division, base2 a bit a
 * character, identity as it is and base256emoji an emoji a byte.  The
 * positional code is quadratic, so its input is capped
 * (DAG_MB_POSITIONAL_MAX): CIDs and keys are far below it, and a hostile
 * megabyte string cannot burn CPU.
 *
 * Decoding is strict about padding, trailing bits and lengths, so every
 * accepted string is the encoding of its bytes; the bases whose alphabets
 * have one case (16, 32, 32hex, 36) take either case, mixed too, as the
 * multibase spec's case_insensitivity.csv asks and go-multibase (Kubo) and
 * js-multiformats >= 14.0.1 do: a CID typed or cased by a browser's host
 * name still decodes.
 */
#include "multibase.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define DAG_MB_POSITIONAL_MAX 4096

static const char B32L[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char B32U[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char B32HL[] = "0123456789abcdefghijklmnopqrstuv";
static const char B32HU[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
static const char B16L[] = "0123456789abcdef";
static const char B16U[] = "0123456789ABCDEF";
static const char B64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char B64URL[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char B58[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char B58F[] =
    "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
static const char B36L[] = "0123456789abcdefghijklmnopqrstuvwxyz";
static const char B36U[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

enum { K_RFC, K_POS, K_BIN, K_ID, K_EMOJI };

typedef struct base {
  char id;      /* multibase.h: the prefix but for identity and emoji */
  int32_t code; /* go-multibase's Encoding: the prefix's code point */
  const char *name; /* go-multibase's */
  uint8_t kind;
  const char *alpha;
  int bits;  /* bits per char for RFC 4648 bases */
  int radix; /* positional bases */
  int pad;   /* RFC 4648: '=' padding */
  int icase; /* letters of either case: the alphabet has only one */
} base_t;

#define RFC(c, name, alpha, bits, pad) {c, c, name, K_RFC, alpha, bits, 0, pad, 1}
#define POS(c, name, alpha, radix, icase) {c, c, name, K_POS, alpha, 0, radix, 0, icase}

/* In the order Kubo's `multibase list` sorts them (dag_mb_nth). */
static const base_t bases[] = {
    {DAG_MB_IDENTITY, 0x00, "identity", K_ID, NULL, 0, 0, 0, 0},
    {'0', '0', "base2", K_BIN, "01", 0, 0, 0, 0},
    RFC('b', "base32", B32L, 5, 0),
    RFC('B', "base32upper", B32U, 5, 0),
    RFC('c', "base32pad", B32L, 5, 1),
    RFC('C', "base32padupper", B32U, 5, 1),
    RFC('f', "base16", B16L, 4, 0),
    RFC('F', "base16upper", B16U, 4, 0),
    POS('k', "base36", B36L, 36, 1),
    POS('K', "base36upper", B36U, 36, 1),
    {'m', 'm', "base64", K_RFC, B64, 6, 0, 0, 0},
    {'M', 'M', "base64pad", K_RFC, B64, 6, 0, 1, 0},
    RFC('t', "base32hexpad", B32HL, 5, 1),
    RFC('T', "base32hexpadupper", B32HU, 5, 1),
    {'u', 'u', "base64url", K_RFC, B64URL, 6, 0, 0, 0},
    {'U', 'U', "base64urlpad", K_RFC, B64URL, 6, 0, 1, 0},
    RFC('v', "base32hex", B32HL, 5, 0),
    RFC('V', "base32hexupper", B32HU, 5, 0),
    POS('z', "base58btc", B58, 58, 0),
    POS('Z', "base58flickr", B58F, 58, 0),
    {DAG_MB_BASE256EMOJI, 0x1f680, "base256emoji", K_EMOJI, NULL, 0, 0, 0, 0},
};
#undef RFC
#undef POS

/* go-multibase's base256emoji alphabet: the code point of each byte. */
static const uint32_t EMOJI[256] = {
    0x1f680, 0x1fa90, 0x2604, 0x1f6f0, 0x1f30c, 0x1f311, 0x1f312, 0x1f313,
    0x1f314, 0x1f315, 0x1f316, 0x1f317, 0x1f318, 0x1f30d, 0x1f30f, 0x1f30e,
    0x1f409, 0x2600, 0x1f4bb, 0x1f5a5, 0x1f4be, 0x1f4bf, 0x1f602, 0x2764,
    0x1f60d, 0x1f923, 0x1f60a, 0x1f64f, 0x1f495, 0x1f62d, 0x1f618, 0x1f44d,
    0x1f605, 0x1f44f, 0x1f601, 0x1f525, 0x1f970, 0x1f494, 0x1f496, 0x1f499,
    0x1f622, 0x1f914, 0x1f606, 0x1f644, 0x1f4aa, 0x1f609, 0x263a, 0x1f44c,
    0x1f917, 0x1f49c, 0x1f614, 0x1f60e, 0x1f607, 0x1f339, 0x1f926, 0x1f389,
    0x1f49e, 0x270c, 0x2728, 0x1f937, 0x1f631, 0x1f60c, 0x1f338, 0x1f64c,
    0x1f60b, 0x1f497, 0x1f49a, 0x1f60f, 0x1f49b, 0x1f642, 0x1f493, 0x1f929,
    0x1f604, 0x1f600, 0x1f5a4, 0x1f603, 0x1f4af, 0x1f648, 0x1f447, 0x1f3b6,
    0x1f612, 0x1f92d, 0x2763, 0x1f61c, 0x1f48b, 0x1f440, 0x1f62a, 0x1f611,
    0x1f4a5, 0x1f64b, 0x1f61e, 0x1f629, 0x1f621, 0x1f92a, 0x1f44a, 0x1f973,
    0x1f625, 0x1f924, 0x1f449, 0x1f483, 0x1f633, 0x270b, 0x1f61a, 0x1f61d,
    0x1f634, 0x1f31f, 0x1f62c, 0x1f643, 0x1f340, 0x1f337, 0x1f63b, 0x1f613,
    0x2b50, 0x2705, 0x1f97a, 0x1f308, 0x1f608, 0x1f918, 0x1f4a6, 0x2714,
    0x1f623, 0x1f3c3, 0x1f490, 0x2639, 0x1f38a, 0x1f498, 0x1f620, 0x261d,
    0x1f615, 0x1f33a, 0x1f382, 0x1f33b, 0x1f610, 0x1f595, 0x1f49d, 0x1f64a,
    0x1f639, 0x1f5e3, 0x1f4ab, 0x1f480, 0x1f451, 0x1f3b5, 0x1f91e, 0x1f61b,
    0x1f534, 0x1f624, 0x1f33c, 0x1f62b, 0x26bd, 0x1f919, 0x2615, 0x1f3c6,
    0x1f92b, 0x1f448, 0x1f62e, 0x1f646, 0x1f37b, 0x1f343, 0x1f436, 0x1f481,
    0x1f632, 0x1f33f, 0x1f9e1, 0x1f381, 0x26a1, 0x1f31e, 0x1f388, 0x274c,
    0x270a, 0x1f44b, 0x1f630, 0x1f928, 0x1f636, 0x1f91d, 0x1f6b6, 0x1f4b0,
    0x1f353, 0x1f4a2, 0x1f91f, 0x1f641, 0x1f6a8, 0x1f4a8, 0x1f92c, 0x2708,
    0x1f380, 0x1f37a, 0x1f913, 0x1f619, 0x1f49f, 0x1f331, 0x1f616, 0x1f476,
    0x1f974, 0x25b6, 0x27a1, 0x2753, 0x1f48e, 0x1f4b8, 0x2b07, 0x1f628,
    0x1f31a, 0x1f98b, 0x1f637, 0x1f57a, 0x26a0, 0x1f645, 0x1f61f, 0x1f635,
    0x1f44e, 0x1f932, 0x1f920, 0x1f927, 0x1f4cc, 0x1f535, 0x1f485, 0x1f9d0,
    0x1f43e, 0x1f352, 0x1f617, 0x1f911, 0x1f30a, 0x1f92f, 0x1f437, 0x260e,
    0x1f4a7, 0x1f62f, 0x1f486, 0x1f446, 0x1f3a4, 0x1f647, 0x1f351, 0x2744,
    0x1f334, 0x1f4a3, 0x1f438, 0x1f48c, 0x1f4cd, 0x1f940, 0x1f922, 0x1f445,
    0x1f4a1, 0x1f4a9, 0x1f450, 0x1f4f8, 0x1f47b, 0x1f910, 0x1f92e, 0x1f3bc,
    0x1f975, 0x1f6a9, 0x1f34e, 0x1f34a, 0x1f47c, 0x1f48d, 0x1f4e3, 0x1f942,
};

static const base_t *base_find(char id) {
  for (size_t i = 0; i < TR_ARRAY_LEN(bases); i++)
    if (bases[i].id == id)
      return &bases[i];
  return NULL;
}

static size_t utf8_put(uint32_t c, char *out) {
  return tr_utf8_put(c, (uint8_t *)out);
}

/* The code point of the UTF-8 character at s[0..n): its length, or 0
 * when the bytes are none (tr_utf8_seq: no overlong forms). */
static size_t utf8_get(const char *s, size_t n, uint32_t *c) {
  const uint8_t *u = (const uint8_t *)s;
  size_t len = tr_utf8_seq(u, n);
  uint32_t v = len == 1 ? u[0] : u[0] & (0x7fu >> len);
  for (size_t i = 1; i < len; i++)
    v = v << 6 | (u[i] & 0x3f);
  *c = v;
  return len;
}

size_t dag_mb_prefix(char id, char out[4]) {
  const base_t *b = base_find(id);
  return b ? utf8_put((uint32_t)b->code, out) : 0;
}

int32_t dag_mb_code(char id) {
  const base_t *b = base_find(id);
  return b ? b->code : -1;
}

const char *dag_mb_name(char id) {
  const base_t *b = base_find(id);
  return b ? b->name : NULL;
}

int dag_mb_from_name(const char *name, char *id) {
  for (size_t i = 0; i < TR_ARRAY_LEN(bases); i++) {
    char p[4];
    size_t pl = utf8_put((uint32_t)bases[i].code, p);
    if (!strcmp(bases[i].name, name) ||
        (strlen(name) == pl && !memcmp(name, p, pl))) {
      *id = bases[i].id;
      return 0;
    }
  }
  return TR_EBASE;
}

char dag_mb_nth(size_t i) {
  return i < TR_ARRAY_LEN(bases) ? bases[i].id : 0;
}

/* Decoding tables, made once: for each base the value of each byte, or -1
 * (a CID in every gateway request is decoded: a search of the alphabet
 * per character was most of the cost); the base a string's first byte
 * names; base256emoji's code points sorted, with their bytes. */
static int8_t rev[TR_ARRAY_LEN(bases)][256];
static int8_t by_first[256];
typedef struct emo {
  uint32_t c;
  uint8_t byte;
} emo_t;
static emo_t emo_rev[256];
static pthread_once_t rev_once = PTHREAD_ONCE_INIT;

static int emo_cmp(const void *a, const void *b) {
  uint32_t x = ((const emo_t *)a)->c, y = ((const emo_t *)b)->c;
  return x < y ? -1 : x > y;
}

static void rev_init(void) {
  memset(by_first, -1, sizeof by_first);
  for (size_t i = 0; i < TR_ARRAY_LEN(bases); i++) {
    const base_t *b = &bases[i];
    char p[4];
    utf8_put((uint32_t)b->code, p);
    by_first[(unsigned char)p[0]] = (int8_t)i;
    memset(rev[i], -1, sizeof rev[i]);
    for (int k = 0; b->alpha && b->alpha[k]; k++) {
      unsigned char c = (unsigned char)b->alpha[k];
      rev[i][c] = (int8_t)k;
      /* A one-case alphabet takes its letters in the other case too. */
      if (b->icase && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
        rev[i][c ^ 0x20] = (int8_t)k;
    }
  }
  for (int i = 0; i < 256; i++)
    emo_rev[i] = (emo_t){EMOJI[i], (uint8_t)i};
  qsort(emo_rev, 256, sizeof *emo_rev, emo_cmp);
}

static const int8_t *rev_of(const base_t *b) {
  pthread_once(&rev_once, rev_init);
  return rev[b - bases];
}

int dag_mb_first_byte(unsigned char c, char *id) {
  pthread_once(&rev_once, rev_init);
  int i = by_first[c];
  if (i < 0 || bases[i].kind == K_EMOJI)
    return TR_EBASE;
  *id = bases[i].id;
  return 0;
}

/* ------------------------------------------------------------ RFC 4648 */

/* The bodies take bits as an argument and are inlined for each of 4, 5
 * and 6: with the shifts known, the loops are a few instructions a
 * character (a gateway encodes and decodes a CID per request). */
#define MB_INLINE static inline __attribute__((always_inline))

MB_INLINE int rfc_encode_bits(const base_t *b, int bits, const uint8_t *in,
                              size_t n, char *out, size_t outsize) {
  size_t chars = (n * 8 + (size_t)bits - 1) / (size_t)bits;
  size_t group = bits == 5 ? 8 : bits == 6 ? 4 : 2;
  size_t padded = b->pad ? (chars + group - 1) / group * group : chars;
  if (outsize < padded + 1)
    return TR_EBUFSIZE;
  uint32_t acc = 0;
  int nbits = 0;
  size_t o = 0, i = 0;
  unsigned mask = (1u << bits) - 1;
  /* Whole groups first (5 bytes to 8 characters in base32), a word at a
   * time; what is left goes the bit-serial way below. */
  size_t gin = group * (size_t)bits / 8;
  for (; n - i >= gin; i += gin) {
    uint64_t x = 0;
#pragma GCC unroll 8
    for (size_t k = 0; k < gin; k++)
      x = x << 8 | in[i + k];
#pragma GCC unroll 8
    for (size_t k = group; k-- > 0; x >>= bits)
      out[o + k] = b->alpha[x & mask];
    o += group;
  }
  for (; i < n; i++) {
    acc = (acc << 8) | in[i];
    nbits += 8;
    while (nbits >= bits) {
      nbits -= bits;
      out[o++] = b->alpha[(acc >> nbits) & mask];
    }
  }
  if (nbits > 0)
    out[o++] = b->alpha[(acc << (bits - nbits)) & mask];
  while (o < padded)
    out[o++] = '=';
  out[o] = 0;
  return (int)o;
}

MB_INLINE int rfc_decode_bits(const base_t *b, int bits, const char *s,
                              size_t slen, uint8_t *out, size_t outsize,
                              size_t *outlen) {
  if (b->pad) {
    size_t group = bits == 5 ? 8 : 4;
    if (slen % group)
      return TR_EMULTIBASE;
    size_t npad = 0;
    while (npad < slen && s[slen - 1 - npad] == '=')
      npad++;
    if (npad >= group)
      return TR_EMULTIBASE;
    slen -= npad;
  }
  /* Which counts of leftover characters are possible depends on the base:
   * e.g. base32 never ends with 1, 3 or 6 characters of a group. */
  size_t rem = (slen * (size_t)bits) % 8;
  if (rem >= (size_t)bits)
    return TR_EMULTIBASE;
  size_t nbytes = slen * (size_t)bits / 8;
  if (nbytes > outsize)
    return TR_EBUFSIZE;
  const int8_t *rv = rev_of(b);
  uint32_t acc = 0;
  int nbits = 0;
  size_t o = 0, i = 0;
  /* Whole groups a word at a time: 8 characters to 5 bytes in base32. */
  size_t group = bits == 5 ? 8 : bits == 6 ? 4 : 2;
  for (; slen - i >= group; i += group) {
    uint64_t x = 0;
    int bad = 0;
#pragma GCC unroll 8
    for (size_t k = 0; k < group; k++) {
      int v = rv[(unsigned char)s[i + k]];
      bad |= v;
      x = x << bits | (uint64_t)(v & 0xff);
    }
    if (bad < 0)
      return TR_EMULTIBASE;
#pragma GCC unroll 8
    for (size_t k = group * (size_t)bits / 8; k-- > 0; x >>= 8)
      out[o + k] = (uint8_t)x;
    o += group * (size_t)bits / 8;
  }
  for (; i < slen; i++) {
    int v = rv[(unsigned char)s[i]];
    if (v < 0)
      return TR_EMULTIBASE;
    acc = (acc << bits) | (uint32_t)v;
    nbits += bits;
    if (nbits >= 8) {
      nbits -= 8;
      out[o++] = (uint8_t)(acc >> nbits);
    }
  }
  if (nbits && (acc & ((1u << nbits) - 1)))
    return TR_EMULTIBASE;
  *outlen = o;
  return 0;
}

static int rfc_encode(const base_t *b, const uint8_t *in, size_t n, char *out,
                      size_t outsize) {
  switch (b->bits) {
  case 4:
    return rfc_encode_bits(b, 4, in, n, out, outsize);
  case 5:
    return rfc_encode_bits(b, 5, in, n, out, outsize);
  default:
    return rfc_encode_bits(b, 6, in, n, out, outsize);
  }
}

static int rfc_decode(const base_t *b, const char *s, size_t slen,
                      uint8_t *out, size_t outsize, size_t *outlen) {
  switch (b->bits) {
  case 4:
    return rfc_decode_bits(b, 4, s, slen, out, outsize, outlen);
  case 5:
    return rfc_decode_bits(b, 5, s, slen, out, outsize, outlen);
  default:
    return rfc_decode_bits(b, 6, s, slen, out, outsize, outlen);
  }
}

/* ---------------------------------------------------------- positional */

static int pos_encode(const base_t *b, const uint8_t *in, size_t n, char *out,
                      size_t outsize) {
  if (n > DAG_MB_POSITIONAL_MAX)
    return TR_ETOOBIG;
  size_t zeros = 0;
  while (zeros < n && in[zeros] == 0)
    zeros++;
  /* digits[] holds the number in base radix, least significant first. */
  uint8_t digits[DAG_MB_POSITIONAL_MAX * 2];
  size_t nd = 0;
  for (size_t i = zeros; i < n; i++) {
    uint32_t carry = in[i];
    for (size_t j = 0; j < nd; j++) {
      carry += (uint32_t)digits[j] << 8;
      digits[j] = (uint8_t)(carry % (uint32_t)b->radix);
      carry /= (uint32_t)b->radix;
    }
    while (carry) {
      digits[nd++] = (uint8_t)(carry % (uint32_t)b->radix);
      carry /= (uint32_t)b->radix;
    }
  }
  if (outsize < zeros + nd + 1)
    return TR_EBUFSIZE;
  size_t o = 0;
  for (size_t i = 0; i < zeros; i++)
    out[o++] = b->alpha[0];
  for (size_t i = nd; i-- > 0;)
    out[o++] = b->alpha[digits[i]];
  out[o] = 0;
  return (int)o;
}

/* The longest string that DAG_MB_POSITIONAL_MAX bytes encode to,
 * ceil(8 * max / log2(radix)): whatever trove encodes, it decodes. */
static size_t pos_max_chars(int radix) { return radix == 36 ? 6339 : 5594; }

static int pos_decode(const base_t *b, const char *s, size_t slen,
                      uint8_t *out, size_t outsize, size_t *outlen) {
  if (slen > pos_max_chars(b->radix))
    return TR_ETOOBIG;
  size_t zeros = 0;
  while (zeros < slen && s[zeros] == b->alpha[0])
    zeros++;
  uint8_t bytes[DAG_MB_POSITIONAL_MAX + 1]; /* little-endian */
  size_t nb = 0;
  const int8_t *rv = rev_of(b);
  for (size_t i = zeros; i < slen; i++) {
    int v = rv[(unsigned char)s[i]];
    if (v < 0)
      return TR_EMULTIBASE;
    uint32_t carry = (uint32_t)v;
    for (size_t j = 0; j < nb; j++) {
      carry += (uint32_t)bytes[j] * (uint32_t)b->radix;
      bytes[j] = (uint8_t)carry;
      carry >>= 8;
    }
    while (carry) {
      if (nb == sizeof bytes)
        return TR_ETOOBIG;
      bytes[nb++] = (uint8_t)carry;
      carry >>= 8;
    }
  }
  if (zeros + nb > DAG_MB_POSITIONAL_MAX)
    return TR_ETOOBIG;
  if (zeros + nb > outsize)
    return TR_EBUFSIZE;
  memset(out, 0, zeros);
  for (size_t i = 0; i < nb; i++)
    out[zeros + i] = bytes[nb - 1 - i];
  *outlen = zeros + nb;
  return 0;
}

/* ------------------------------------------------ base2, base256emoji */

static int bin_encode(const uint8_t *in, size_t n, char *out,
                      size_t outsize) {
  if (outsize < 8 * n + 1)
    return TR_EBUFSIZE;
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < 8; k++)
      out[8 * i + (size_t)k] = (char)('0' + (in[i] >> (7 - k) & 1));
  out[8 * n] = 0;
  return (int)(8 * n);
}

/* Whole bytes only: go-multibase pads a short string with leading '0's,
 * which would make "1" and "00000001" the same bytes. */
static int bin_decode(const char *s, size_t slen, uint8_t *out,
                      size_t outsize, size_t *outlen) {
  if (slen % 8)
    return TR_EMULTIBASE;
  if (slen / 8 > outsize)
    return TR_EBUFSIZE;
  for (size_t i = 0; i < slen / 8; i++) {
    unsigned v = 0;
    for (size_t k = 0; k < 8; k++) {
      char c = s[8 * i + k];
      if (c != '0' && c != '1')
        return TR_EMULTIBASE;
      v = v << 1 | (unsigned)(c - '0');
    }
    out[i] = (uint8_t)v;
  }
  *outlen = slen / 8;
  return 0;
}

static int emoji_encode(const uint8_t *in, size_t n, char *out,
                        size_t outsize) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c[4];
    size_t l = utf8_put(EMOJI[in[i]], c);
    if (outsize - o < l + 1)
      return TR_EBUFSIZE;
    memcpy(out + o, c, l);
    o += l;
  }
  out[o] = 0; /* outsize >= 1: the caller checked */
  return (int)o;
}

static int emoji_decode(const char *s, size_t slen, uint8_t *out,
                        size_t outsize, size_t *outlen) {
  pthread_once(&rev_once, rev_init);
  size_t o = 0;
  for (size_t i = 0; i < slen;) {
    emo_t key;
    size_t l = utf8_get(s + i, slen - i, &key.c);
    const emo_t *e = l ? bsearch(&key, emo_rev, 256, sizeof key, emo_cmp)
                       : NULL;
    if (!e)
      return TR_EMULTIBASE;
    if (o == outsize)
      return TR_EBUFSIZE;
    out[o++] = e->byte;
    i += l;
  }
  *outlen = o;
  return 0;
}

/* ---------------------------------------------------------------- API */

int dag_mb_encode(char id, const uint8_t *in, size_t n, char *out,
                  size_t outsize) {
  const base_t *b = base_find(id);
  if (!b)
    return TR_EBASE;
  if (n > (INT_MAX - 8) / 8) /* every base's string fits an int then */
    return TR_ETOOBIG;
  char p[4];
  size_t pl = utf8_put((uint32_t)b->code, p);
  if (outsize < pl + 1)
    return TR_EBUFSIZE;
  memcpy(out, p, pl);
  char *o = out + pl;
  size_t osz = outsize - pl;
  int rc;
  switch (b->kind) {
  case K_RFC:
    rc = rfc_encode(b, in, n, o, osz);
    break;
  case K_POS:
    rc = pos_encode(b, in, n, o, osz);
    break;
  case K_BIN:
    rc = bin_encode(in, n, o, osz);
    break;
  case K_EMOJI:
    rc = emoji_encode(in, n, o, osz);
    break;
  default: /* identity */
    if (osz < n + 1)
      return TR_EBUFSIZE;
    if (n)
      memcpy(o, in, n);
    o[n] = 0;
    rc = (int)n;
  }
  return rc < 0 ? rc : rc + (int)pl;
}

int dag_mb_decode(const char *s, size_t slen, uint8_t *out, size_t outsize,
                  size_t *outlen, char *basep) {
  if (slen == 0)
    return TR_EBASE;
  pthread_once(&rev_once, rev_init);
  int i = by_first[(unsigned char)s[0]];
  if (i < 0)
    return TR_EBASE;
  const base_t *b = &bases[i];
  char p[4];
  size_t pl = utf8_put((uint32_t)b->code, p);
  if (slen < pl || memcmp(s, p, pl))
    return TR_EBASE;
  if (basep)
    *basep = b->id;
  s += pl, slen -= pl;
  switch (b->kind) {
  case K_RFC:
    return rfc_decode(b, s, slen, out, outsize, outlen);
  case K_POS:
    return pos_decode(b, s, slen, out, outsize, outlen);
  case K_BIN:
    return bin_decode(s, slen, out, outsize, outlen);
  case K_EMOJI:
    return emoji_decode(s, slen, out, outsize, outlen);
  default: /* identity */
    if (slen > outsize)
      return TR_EBUFSIZE;
    if (slen)
      memcpy(out, s, slen);
    *outlen = slen;
    return 0;
  }
}

int dag_b58_encode(const uint8_t *in, size_t n, char *out, size_t outsize) {
  return pos_encode(base_find('z'), in, n, out, outsize);
}

int dag_b58_decode(const char *s, size_t slen, uint8_t *out, size_t outsize,
                   size_t *outlen) {
  return pos_decode(base_find('z'), s, slen, out, outsize, outlen);
}

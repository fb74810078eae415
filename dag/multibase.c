/*
 * multibase.c — multibase encode/decode: the RFC 4648 bases (16, 32, 64,
 * 64url, with and without padding) by bit packing, and the positional bases
 * (36, 58btc) by long division.  The positional code is quadratic, so its
 * input is capped (DAG_MB_POSITIONAL_MAX): CIDs and keys are far below it,
 * and a hostile megabyte string cannot burn CPU.
 *
 * Decoding is strict about padding and trailing bits, so every accepted
 * string is the encoding of its bytes; the bases whose alphabets have one
 * case (16, 32, 36) take either case, mixed too, as the multibase spec's
 * case_insensitivity.csv asks and go-multibase (Kubo) and js-multiformats
 * >= 14.0.1 do: a CID typed or cased by a browser's host name still
 * decodes.
 */
#include "multibase.h"

#include <pthread.h>
#include <string.h>

#define DAG_MB_POSITIONAL_MAX 4096

static const char B32L[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char B32U[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char B16L[] = "0123456789abcdef";
static const char B16U[] = "0123456789ABCDEF";
static const char B64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char B64URL[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char B58[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char B36L[] = "0123456789abcdefghijklmnopqrstuvwxyz";
static const char B36U[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

typedef struct base {
  char prefix;
  const char *name; /* go-multibase's */
  const char *alpha;
  int bits;  /* bits per char for RFC 4648 bases; 0 for positional */
  int radix; /* positional bases */
  int pad;   /* RFC 4648: '=' padding */
  int icase; /* letters of either case: the alphabet has only one */
} base_t;

static const base_t bases[] = {
    {'f', "base16", B16L, 4, 0, 0, 1},
    {'F', "base16upper", B16U, 4, 0, 0, 1},
    {'b', "base32", B32L, 5, 0, 0, 1},
    {'B', "base32upper", B32U, 5, 0, 0, 1},
    {'c', "base32pad", B32L, 5, 0, 1, 1},
    {'C', "base32padupper", B32U, 5, 0, 1, 1},
    {'m', "base64", B64, 6, 0, 0, 0},
    {'M', "base64pad", B64, 6, 0, 1, 0},
    {'u', "base64url", B64URL, 6, 0, 0, 0},
    {'U', "base64urlpad", B64URL, 6, 0, 1, 0},
    {'z', "base58btc", B58, 0, 58, 0, 0},
    {'k', "base36", B36L, 0, 36, 0, 1},
    {'K', "base36upper", B36U, 0, 36, 0, 1},
};

const char *dag_mb_name(char prefix) {
  for (size_t i = 0; i < TR_ARRAY_LEN(bases); i++)
    if (bases[i].prefix == prefix)
      return bases[i].name;
  return NULL;
}

int dag_mb_from_name(const char *name, char *prefix) {
  for (size_t i = 0; i < TR_ARRAY_LEN(bases); i++)
    if (!strcmp(bases[i].name, name)) {
      *prefix = bases[i].prefix;
      return 0;
    }
  return TR_EBASE;
}

static const base_t *base_find(char prefix) {
  for (size_t i = 0; i < TR_ARRAY_LEN(bases); i++)
    if (bases[i].prefix == prefix)
      return &bases[i];
  return NULL;
}

/* Decoding tables, one per base: the value of each byte, or -1.  Made
 * once (a CID in every gateway request is decoded: a search of the
 * alphabet per character was most of the cost). */
static int8_t rev[TR_ARRAY_LEN(bases)][256];
static pthread_once_t rev_once = PTHREAD_ONCE_INIT;

static void rev_init(void) {
  for (size_t i = 0; i < TR_ARRAY_LEN(bases); i++) {
    const base_t *b = &bases[i];
    memset(rev[i], -1, sizeof rev[i]);
    for (int k = 0; b->alpha[k]; k++) {
      unsigned char c = (unsigned char)b->alpha[k];
      rev[i][c] = (int8_t)k;
      /* A one-case alphabet takes its letters in the other case too. */
      if (b->icase && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
        rev[i][c ^ 0x20] = (int8_t)k;
    }
  }
}

static const int8_t *rev_of(const base_t *b) {
  pthread_once(&rev_once, rev_init);
  return rev[b - bases];
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

static int pos_decode(const base_t *b, const char *s, size_t slen,
                      uint8_t *out, size_t outsize, size_t *outlen) {
  if (slen > DAG_MB_POSITIONAL_MAX)
    return TR_ETOOBIG;
  size_t zeros = 0;
  while (zeros < slen && s[zeros] == b->alpha[0])
    zeros++;
  uint8_t bytes[DAG_MB_POSITIONAL_MAX]; /* little-endian */
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
      bytes[nb++] = (uint8_t)carry;
      carry >>= 8;
    }
  }
  if (zeros + nb > outsize)
    return TR_EBUFSIZE;
  memset(out, 0, zeros);
  for (size_t i = 0; i < nb; i++)
    out[zeros + i] = bytes[nb - 1 - i];
  *outlen = zeros + nb;
  return 0;
}

/* ---------------------------------------------------------------- API */

int dag_mb_encode(char base, const uint8_t *in, size_t n, char *out,
                  size_t outsize) {
  const base_t *b = base_find(base);
  if (!b)
    return TR_EBASE;
  if (outsize < 2)
    return TR_EBUFSIZE;
  out[0] = base;
  int rc = b->bits ? rfc_encode(b, in, n, out + 1, outsize - 1)
                   : pos_encode(b, in, n, out + 1, outsize - 1);
  return rc < 0 ? rc : rc + 1;
}

int dag_mb_decode(const char *s, size_t slen, uint8_t *out, size_t outsize,
                  size_t *outlen, char *basep) {
  if (slen == 0)
    return TR_EBASE;
  const base_t *b = base_find(s[0]);
  if (!b)
    return TR_EBASE;
  if (basep)
    *basep = s[0];
  return b->bits ? rfc_decode(b, s + 1, slen - 1, out, outsize, outlen)
                 : pos_decode(b, s + 1, slen - 1, out, outsize, outlen);
}

int dag_b58_encode(const uint8_t *in, size_t n, char *out, size_t outsize) {
  return pos_encode(base_find('z'), in, n, out, outsize);
}

int dag_b58_decode(const char *s, size_t slen, uint8_t *out, size_t outsize,
                   size_t *outlen) {
  return pos_decode(base_find('z'), s, slen, out, outsize, outlen);
}

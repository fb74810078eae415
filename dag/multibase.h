/*
 * multibase.h — multibase strings (multiformats/multibase): every base
 * go-multibase v0.3.0 (Kubo v0.43.1's) knows, with and without prefix.
 *
 * Pure computation over caller memory: no I/O, no allocation, no global
 * state but decoding tables made once.  Inputs are untrusted; every length
 * is checked and a malformed input returns a negative TR_E* code (see
 * common/tr.h).
 */
#ifndef DAG_MULTIBASE_H
#define DAG_MULTIBASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

/* ------------------------------------------------------------- multibase */

/* A base is named by a char, its id: the prefix character for every base
 * whose prefix is one ASCII character.  Two are not: identity's prefix is
 * the byte 0, which callers use for "no base" (dag_cid_format, the
 * conversions), and base256emoji's is four bytes (U+1F680, a rocket), so
 * their ids are made up; dag_mb_prefix() gives a base's real prefix.
 *
 * base8, base10, base32z and base45 are in the multibase table but not in
 * go-multibase v0.3.0: Kubo refuses them, and so does trove. */
enum {
  DAG_MB_BASE2 = '0',
  DAG_MB_BASE16 = 'f',
  DAG_MB_BASE16UPPER = 'F',
  DAG_MB_BASE32 = 'b',
  DAG_MB_BASE32UPPER = 'B',
  DAG_MB_BASE32PAD = 'c',
  DAG_MB_BASE32PADUPPER = 'C',
  DAG_MB_BASE32HEX = 'v',
  DAG_MB_BASE32HEXUPPER = 'V',
  DAG_MB_BASE32HEXPAD = 't',
  DAG_MB_BASE32HEXPADUPPER = 'T',
  DAG_MB_BASE36 = 'k',
  DAG_MB_BASE36UPPER = 'K',
  DAG_MB_BASE58BTC = 'z',
  DAG_MB_BASE58FLICKR = 'Z',
  DAG_MB_BASE64 = 'm',
  DAG_MB_BASE64URL = 'u',
  DAG_MB_BASE64URLPAD = 'U',
  DAG_MB_BASE64PAD = 'M',
};
/* The made-up ids.  base256emoji's is the byte go-cidutil writes for its
 * %B (its code truncated to a byte), which no prefix begins with. */
#define DAG_MB_IDENTITY ((char)0x01)
#define DAG_MB_BASE256EMOJI ((char)0x80)

/* Largest string dag_mb_encode() can produce for n input bytes, including
 * the prefix and the trailing NUL, in every base but base2 and
 * base256emoji (base58/base36 are the longest: ~1.37n); those two take up
 * to 8 characters a byte, which DAG_MB_ENCODED_MAX_ANY covers. */
#define DAG_MB_ENCODED_MAX(n) (2 * (size_t)(n) + 8)
#define DAG_MB_ENCODED_MAX_ANY(n) (8 * (size_t)(n) + 8)

/* Decode a multibase string s[0..slen) (prefix included) into out.  On
 * success returns 0, sets *outlen and, when base is not NULL, *base to the
 * base's id.  Errors:
 *   TR_EBASE       empty string or unknown prefix
 *   TR_EMULTIBASE  a character outside the alphabet, bad padding,
 *                  non-zero trailing bits, a length no input gives
 *   TR_EBUFSIZE    out is too small
 *   TR_ETOOBIG     a base36/base58 string of more than 4096 bytes, or
 *                  longer than 4096 bytes encode to (those bases decode in
 *                  quadratic time, so their input is capped)
 * The bases whose alphabet has one case (16, 32, 32hex, 36) take either,
 * mixed too; identity takes any bytes, NULs included. */
int dag_mb_decode(const char *s, size_t slen, uint8_t *out, size_t outsize,
                  size_t *outlen, char *base) TR_WUR;

/* Encode in[0..n) in the given base with its prefix, NUL-terminated (an
 * identity string may hold NULs before it: use the length).  Returns the
 * string length (without NUL), or TR_EBASE / TR_EBUFSIZE, or TR_ETOOBIG
 * for base36/base58 input over 4096 bytes or a string over INT_MAX. */
int dag_mb_encode(char base, const uint8_t *in, size_t n, char *out,
                  size_t outsize) TR_WUR;

/* A base's name as go-multibase spells it ("base32", "base58btc"); NULL
 * for an id trove does not know.  dag_mb_from_name takes a name or, as
 * go-multibase's EncoderByName, a prefix alone ("z", "🚀"): 0 with *base
 * set, or TR_EBASE. */
const char *dag_mb_name(char base);
int dag_mb_from_name(const char *name, char *base) TR_WUR;

/* The base's prefix: its bytes in out (up to 4, no NUL) and their count,
 * 0 for an unknown id.  Its code, go-multibase's Encoding (the prefix's
 * code point: 0 for identity, 0x1F680 for base256emoji), or -1. */
size_t dag_mb_prefix(char base, char out[4]);
int32_t dag_mb_code(char base);

/* The base a string's first byte names, as go-cid's ExtractEncoding
 * reads a CID string's (a byte, not a character: base256emoji's prefix
 * names none there): 0 with *base set, or TR_EBASE. */
int dag_mb_first_byte(unsigned char c, char *base) TR_WUR;

/* The bases one by one, i from 0, in the order Kubo's `multibase list`
 * prints them (by code, a letter's lower case first); 0 past the last. */
char dag_mb_nth(size_t i);

/* Bare base58btc (no prefix), as used by CIDv0 and PeerIDs.  Same return
 * conventions as the multibase functions. */
int dag_b58_encode(const uint8_t *in, size_t n, char *out,
                   size_t outsize) TR_WUR;
int dag_b58_decode(const char *s, size_t slen, uint8_t *out, size_t outsize,
                   size_t *outlen) TR_WUR;

#endif /* DAG_MULTIBASE_H */

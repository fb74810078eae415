/*
 * multibase.h — multibase strings (multiformats/multibase): the RFC 4648 bases and
 * base36/base58btc, with and without prefix.
 *
 * Pure computation over caller memory: no I/O, no allocation, no global
 * state.  Inputs are untrusted; every length is checked and a malformed
 * input returns a negative TR_E* code (see common/tr.h).
 */
#ifndef DAG_MULTIBASE_H
#define DAG_MULTIBASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

/* ------------------------------------------------------------- multibase */

/* Multibase prefixes trove knows.  Decoding accepts all of them; encoding
 * supports all of them too (base32 lower and base58btc are the ones CIDs use
 * by default, base36 is what libp2p-key CIDs use in subdomains). */
enum {
  DAG_MB_BASE16 = 'f',
  DAG_MB_BASE16UPPER = 'F',
  DAG_MB_BASE32 = 'b',
  DAG_MB_BASE32UPPER = 'B',
  DAG_MB_BASE36 = 'k',
  DAG_MB_BASE36UPPER = 'K',
  DAG_MB_BASE58BTC = 'z',
  DAG_MB_BASE64 = 'm',
  DAG_MB_BASE64URL = 'u',
  DAG_MB_BASE64URLPAD = 'U',
  DAG_MB_BASE64PAD = 'M',
};

/* Largest string dag_mb_encode() can produce for n input bytes, including the
 * prefix and the trailing NUL (base58/base36 are the longest: ~1.37n). */
#define DAG_MB_ENCODED_MAX(n) (2 * (size_t)(n) + 8)

/* Decode a multibase string s[0..slen) (prefix included) into out.  On
 * success returns 0, sets *outlen and, when base is not NULL, *base to the
 * prefix character.  Errors:
 *   TR_EBASE       empty string or unknown prefix
 *   TR_EMULTIBASE  a character outside the alphabet, bad padding, or
 *                  non-zero trailing bits
 *   TR_EBUFSIZE    out is too small
 *   TR_ETOOBIG     a base36/base58btc string over 4096 characters (those
 *                  bases decode in quadratic time, so their input is capped) */
int dag_mb_decode(const char *s, size_t slen, uint8_t *out, size_t outsize,
                  size_t *outlen, char *base) TR_WUR;

/* Encode in[0..n) in the given base with its prefix, NUL-terminated.
 * Returns the string length (without NUL), or TR_EBASE / TR_EBUFSIZE, or
 * TR_ETOOBIG for base36/base58btc input over 4096 bytes. */
int dag_mb_encode(char base, const uint8_t *in, size_t n, char *out,
                  size_t outsize) TR_WUR;

/* A base's name as go-multibase spells it ("base32", "base58btc"), and
 * the prefix of a name: NULL / TR_EBASE for a base trove does not know. */
const char *dag_mb_name(char prefix);
int dag_mb_from_name(const char *name, char *prefix) TR_WUR;

/* Bare base58btc (no prefix), as used by CIDv0 and PeerIDs.  Same return
 * conventions as the multibase functions. */
int dag_b58_encode(const uint8_t *in, size_t n, char *out,
                   size_t outsize) TR_WUR;
int dag_b58_decode(const char *s, size_t slen, uint8_t *out, size_t outsize,
                   size_t *outlen) TR_WUR;

#endif /* DAG_MULTIBASE_H */

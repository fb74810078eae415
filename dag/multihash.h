/*
 * multihash.h — multihashes (multiformats/multihash): parsing, and hashing
 * with each function Kubo accepts (OpenSSL's SHA-1 and SHA-2, hashfn.h's
 * SHA-3, Keccak, BLAKE2 and BLAKE3), identity.
 *
 * Pure computation over caller memory: no I/O, no allocation, no global
 * state.  Inputs are untrusted; every length is checked and a malformed
 * input returns a negative TR_E* code (see common/tr.h).
 */
#ifndef DAG_MULTIHASH_H
#define DAG_MULTIHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "varint.h"

/* ------------------------------------------------------------- multihash */

#define DAG_MH_IDENTITY 0x00
#define DAG_MH_SHA1 0x11
#define DAG_MH_SHA2_256 0x12
#define DAG_MH_SHA2_512 0x13
#define DAG_MH_SHAKE_256 0x19
#define DAG_MH_BLAKE3 0x1e
#define DAG_MH_DBL_SHA2_256 0x56

/* Identity digests longer than this are refused (boxo's verifcid limit). */
#define DAG_MH_IDENTITY_MAX 128
/* Largest multihash trove handles: code and length varints + digest. */
#define DAG_MH_MAX (2 * DAG_VARINT_MAX + DAG_MH_IDENTITY_MAX)

/* Parse the multihash at the start of in[0..len).  On success returns the
 * bytes it occupies and fills the out-parameters (*digest points into in).
 * Errors: TR_ETRUNC, TR_EVARINT, TR_EMULTIHASH (a sha2-256 digest that is
 * not 32 bytes, a sha2-512 one not 64, or a digest longer than DAG_MH_IDENTITY_MAX). */
int dag_mh_parse(const uint8_t *in, size_t len, uint64_t *code,
                 const uint8_t **digest, size_t *dlen) TR_WUR;

/* Compute the multihash of data with function code into out.  Returns its
 * length, or TR_EHASH (a function trove does not compute), TR_ETOOBIG
 * (identity over the limit), TR_EBUFSIZE.
 *
 * The functions are those Kubo v0.43.1 hashes and fetches with (boxo's
 * verifcid allows them, and go-multihash computes them): identity, sha1,
 * sha2-256, sha2-512, dbl-sha2-256, sha3-224/256/384/512, keccak-256 and
 * -512, shake-256, blake3, blake2b-160 to -512 (every 8 bits) and
 * blake2s-256, by go-multihash's names (dag_mh_name).  The digest has the function's
 * length (shake-256: 64 bytes, blake3: 32). */
int dag_mh_sum(uint64_t code, const void *data, size_t len, uint8_t *out,
               size_t outsize) TR_WUR;
/* The same with a digest of dlen bytes, as a CID names it (dag_cid_verify):
 * DAG_MH_LEN_DEFAULT for the function's own; 1 to 64 for shake-256 and to
 * 128 for blake3 (extendable output); for identity, len; for the others
 * their length only (a truncated digest is TR_EHASH: go-multihash would
 * compare a prefix, which trove does not do). */
#define DAG_MH_LEN_DEFAULT ((size_t)-1)
int dag_mh_sum_len(uint64_t code, size_t dlen, const void *data, size_t len,
                   uint8_t *out, size_t outsize) TR_WUR;

/* SHA-256 through OpenSSL's EVP (it uses the SHA-NI instructions). */
void dag_sha256(const void *data, size_t len, uint8_t out[32]);
/* SHA-256 of the concatenation of parts[i][0..lens[i]), i < n: a framed
 * leaf hashed without writing its frame around the chunk (importer.c's
 * parallel hashing). */
void dag_sha256_parts(const void *const *parts, const size_t *lens, size_t n,
                      uint8_t out[32]);

/* A hash function's name as go-multihash spells it ("sha2-256",
 * "blake2b-256", "md5"; "unknown" for a code go-multihash's Codes lacks),
 * and the code of a function trove computes (TR_EHASH for others). */
const char *dag_mh_name(uint64_t code);
int dag_mh_from_name(const char *name, uint64_t *code) TR_WUR;

/* The i-th hash function by code, i from 0: of those Kubo's `cid hashes`
 * lists (go-multihash's names that boxo's verifcid allows), or with
 * computed of those trove computes (dag_mh_sum; all of them but keccak-224
 * and -384 and blake2s-160 to -248, which go-multihash names but does
 * not compute).  False past the last. */
bool dag_mh_nth(size_t i, bool computed, uint64_t *code, const char **name);

#endif /* DAG_MULTIHASH_H */

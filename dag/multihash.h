/*
 * multihash.h — multihashes (multiformats/multihash): parsing, sha2-256 through
 * OpenSSL, identity.
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
#define DAG_MH_SHA2_256 0x12
#define DAG_MH_SHA2_512 0x13
#define DAG_MH_BLAKE3 0x1e

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
 * length, or TR_EHASH (unsupported function), TR_ETOOBIG (identity over the
 * limit), TR_EBUFSIZE. */
int dag_mh_sum(uint64_t code, const void *data, size_t len, uint8_t *out,
               size_t outsize) TR_WUR;

/* SHA-256 through OpenSSL's EVP (it uses the SHA-NI instructions). */
void dag_sha256(const void *data, size_t len, uint8_t out[32]);

/* Hash function name ("sha2-256", "sha2-512", "identity", "blake3") and
 * the reverse. */
const char *dag_mh_name(uint64_t code);
int dag_mh_from_name(const char *name, uint64_t *code) TR_WUR;

#endif /* DAG_MULTIHASH_H */

/*
 * varint.h — unsigned varints (multiformats/unsigned-varint).
 *
 * Pure computation over caller memory: no I/O, no allocation, no global
 * state.  Inputs are untrusted; every length is checked and a malformed
 * input returns a negative TR_E* code (see common/tr.h).
 */
#ifndef DAG_VARINT_H
#define DAG_VARINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

/* ---------------------------------------------------------------- varint */

/* The multiformats spec caps varints at 9 bytes (63 bits). */
#define DAG_VARINT_MAX 9

/* Bytes needed to encode v (1..10; values >= 2^63 need 10 and are refused by
 * the decoder, so never encode them). */
size_t dag_varint_size(uint64_t v);

/* Encode v into out (room for DAG_VARINT_MAX bytes).  Returns bytes written.
 * Precondition: v < 2^63. */
size_t dag_varint_put(uint8_t *out, uint64_t v);

/* Decode a varint from in[0..len).  On success returns the number of bytes
 * consumed (1..9) and sets *v.  Errors:
 *   TR_ETRUNC   the input ends inside the varint
 *   TR_EVARINT  non-minimal encoding (trailing 0x00 byte) or more than 9
 *               bytes */
int dag_varint_get(const uint8_t *in, size_t len, uint64_t *v) TR_WUR;

/* ------------------------------------------------- length-prefixed frames */

/* One frame at the start of in[0..len): a varint length, then that many
 * bytes (libp2p's "uvarint-prefixed" messages: AutoNAT, the kad DHT).
 * Returns the bytes the frame takes (prefix included, > 0) with *body and
 * *blen set to its payload; 0 when more bytes are needed; TR_ETOOBIG when
 * the length is over max; TR_EPROTO for a malformed length (non-minimal or
 * over 9 bytes).  *body points into in. */
int64_t dag_varint_frame(const uint8_t *in, size_t len, size_t max,
                         const uint8_t **body, size_t *blen) TR_WUR;

#endif /* DAG_VARINT_H */

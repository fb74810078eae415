/*
 * cbor.h — the part of dag-cbor trove needs without a full data model: a
 * strict walk over one DAG-CBOR item that reports its links (tag 42 over a
 * byte string 0x00 + binary CID).  Used by the blockstore's links index and
 * by CAR headers.  Indefinite lengths, tags other than 42, and nesting deeper
 * than DAG_CBOR_MAX_DEPTH are refused, as DAG-CBOR's strict profile does.
 *
 * And a small deterministic encoder (dag_cbor_put_*) for the few documents
 * trove writes itself, such as an IPNS record's signed data: each item in
 * its shortest form, as DAG-CBOR requires.  The caller writes map keys in
 * DAG-CBOR's order (dag_cbor_key_cmp()); nothing here sorts.
 */
#ifndef DAG_CBOR_H
#define DAG_CBOR_H

#include "cid.h"

#define DAG_CBOR_MAX_DEPTH 64

typedef int (*dag_cbor_link_cb)(const dag_cid_t *cid, void *ud);

/* Walk the single item in in[0..len) (trailing bytes are an error) and call
 * cb for each link in document order.  Returns 0, TR_ECBOR, or cb's non-zero
 * value. */
int dag_cbor_links(const uint8_t *in, size_t len, dag_cbor_link_cb cb,
                   void *ud) TR_WUR;

/* Read one item header at in[*pos]: major type (0..7), the argument (length,
 * value or tag number), advancing *pos past the header.  TR_ECBOR/TR_ETRUNC
 * on malformed input or indefinite lengths. */
int dag_cbor_head(const uint8_t *in, size_t len, size_t *pos, int *major,
                  uint64_t *arg) TR_WUR;

/* The value of a float item (major 7) whose head dag_cbor_head read:
 * info is the head's additional information (25: half, 26: single, 27:
 * double precision), arg its argument (the float's bits). */
double dag_cbor_float(int info, uint64_t arg);

/* Skip one whole item (recursively) starting at *pos. */
int dag_cbor_skip(const uint8_t *in, size_t len, size_t *pos) TR_WUR;

/* ---------------------------------------------------------- encoding */

/* Append the head of an item of major type major (0..7) with argument arg
 * (a length, count, value or tag number) in its shortest form.  0 or
 * -ENOMEM (out unchanged). */
int dag_cbor_put_head(tr_bytes_t *out, int major, uint64_t arg) TR_WUR;

/* Append the integer v: major type 0 when v >= 0, else 1 with -1 - v. */
int dag_cbor_put_int(tr_bytes_t *out, int64_t v) TR_WUR;

/* Append a byte string (major 2) or a text string (major 3) of p[0..n).
 * The text is not checked for UTF-8.  0 or -ENOMEM (out unchanged). */
int dag_cbor_put_bytes(tr_bytes_t *out, const void *p, size_t n) TR_WUR;
int dag_cbor_put_text(tr_bytes_t *out, const char *s, size_t n) TR_WUR;

/* DAG-CBOR's map key order (RFC 7049's canonical order, which DAG-CBOR
 * keeps): the shorter key first, keys of one length bytewise.  <0, 0, >0
 * as memcmp. */
int dag_cbor_key_cmp(const char *a, size_t alen, const char *b, size_t blen);

#endif /* DAG_CBOR_H */

/*
 * cbor.h — the part of dag-cbor trove needs without a full data model: a
 * strict walk over one DAG-CBOR item that reports its links (tag 42 over a
 * byte string 0x00 + binary CID).  Used by the blockstore's links index and
 * by CAR headers.  Indefinite lengths, tags other than 42, and nesting deeper
 * than DAG_CBOR_MAX_DEPTH are refused, as DAG-CBOR's strict profile does.
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

/* Skip one whole item (recursively) starting at *pos. */
int dag_cbor_skip(const uint8_t *in, size_t len, size_t *pos) TR_WUR;

#endif /* DAG_CBOR_H */

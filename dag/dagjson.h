/*
 * dagjson.h — DAG-JSON as far as the gateway needs it, and pathing inside
 * DAG-CBOR and DAG-JSON blocks:
 *
 *   dag_json_valid     is a buffer one strict JSON (RFC 8259) value?
 *   dag_json_path      follow path segments inside a DAG-JSON block to the
 *   dag_cbor_path      first link ({"/": "cid"} / CBOR tag 42) they reach
 *   dag_cbor_to_json   DAG-CBOR rendered as DAG-JSON text (the HTML preview)
 *
 * The gateway serves a block's own bytes for every JSON/CBOR format
 * (IPIP-0524: no conversions between codecs), so there is no DAG-JSON to
 * DAG-CBOR encoder here; dag_cbor_to_json only makes the human-readable
 * preview, in document order (DAG-JSON's own key order is not kept).
 *
 * Everything read is untrusted: nesting deeper than DAG_JSON_MAX_DEPTH is
 * refused, no input makes these read past len, and no allocation but the
 * output buffer's happens.  Strings are checked for escapes and control
 * characters, not for UTF-8.
 */
#ifndef DAG_DAGJSON_H
#define DAG_DAGJSON_H

#include "cbor.h"
#include "cid.h"

/* Two more than DAG-CBOR's: the DAG-JSON form of a value nests deeper than
 * the value itself (bytes are {"/":{"bytes":"..."}}, a link {"/":"cid"}), so
 * the deepest block DAG-CBOR allows must still be valid DAG-JSON, whether
 * written as such or rendered by dag_cbor_to_json. */
#define DAG_JSON_MAX_DEPTH (DAG_CBOR_MAX_DEPTH + 2)

/* Is in[0..len) exactly one JSON value (whitespace around it allowed)? */
bool dag_json_valid(const uint8_t *in, size_t len);

/* Follow segs[0..nseg) (decoded names: a map key, or a list index in
 * decimal) from the top value of the block in[0..len), stopping at the
 * first value that is a link.  On success *used (1..nseg) is the number of
 * segments consumed to reach it and *link the CID it names.  Errors:
 *   TR_EPATH     a key not in its map, an index past its list, or a name
 *                below a scalar (the gateway's 404)
 *   TR_EPATHREM  every segment consumed and the value reached is not a
 *                link: a path that ends inside the block (501, as boxo:
 *                only links are served)
 *   TR_EJSON / TR_ECBOR  malformed input met on the way
 *   TR_ECID      a link whose CID does not parse
 * nseg must be at least 1. */
int dag_json_path(const uint8_t *in, size_t len, char *const *segs,
                  size_t nseg, size_t *used, dag_cid_t *link) TR_WUR;
int dag_cbor_path(const uint8_t *in, size_t len, char *const *segs,
                  size_t nseg, size_t *used, dag_cid_t *link) TR_WUR;

/* Append the DAG-JSON form of the single DAG-CBOR item in[0..len) to out:
 * links as {"/":"cid"}, bytes as {"/":{"bytes":"base64"}}, floats with
 * %.17g.  Returns 0, TR_ECBOR (malformed, trailing bytes, a tag other than
 * 42, a map key that is not a string, nesting past DAG_CBOR_MAX_DEPTH) or
 * -ENOMEM.  out may hold part of the text on error. */
int dag_cbor_to_json(const uint8_t *in, size_t len, tr_bytes_t *out) TR_WUR;

#endif /* DAG_DAGJSON_H */

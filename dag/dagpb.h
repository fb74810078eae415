/*
 * dagpb.h — the dag-pb codec (specs/ipld/codecs/dag-pb): strict decoding and
 * canonical encoding of PBNode { repeated PBLink Links = 2; bytes Data = 1 }
 * and PBLink { bytes Hash = 1; string Name = 2; uint64 Tsize = 3 }.
 *
 * Canonical form, as Kubo/boxo and js @ipld/dag-pb write it: Links before
 * Data (protobuf-c would write field order, hence this hand-written codec);
 * inside a link Hash, Name, Tsize in that order.  The encoder writes only
 * that form.  The decoder also reads Data before all the Links, as
 * the spec says decoders SHOULD ("IPFS data exists in both forms") and
 * go-merkledag and js @ipld/dag-pb do, and says so in node.canonical; fields
 * out of order inside a link, repeated Data, unknown fields, wrong wire
 * types, non-minimal varints or a Hash that is not a CID are TR_EDAGPB.  Pure computation, no
 * allocation: links are handed to a callback as views into the input.
 */
#ifndef DAG_DAGPB_H
#define DAG_DAGPB_H

#include "cid.h"

typedef struct dag_pb_link {
  dag_cid_t cid;
  const char *name;  /* not NUL-terminated; view into the encoded node */
  size_t name_len;
  bool has_name;
  uint64_t tsize;
  bool has_tsize;
} dag_pb_link_t;

/* Called for each link in order; non-zero stops decoding and is returned. */
typedef int (*dag_pb_link_cb)(const dag_pb_link_t *link, size_t index,
                              void *ud);

typedef struct dag_pb_node {
  size_t nlinks;
  const uint8_t *data; /* view into the input; NULL when absent */
  size_t data_len;
  bool has_data;
  bool canonical; /* false: Data came before a link, so re-encoding the
                     node gives other bytes (another CID) */
} dag_pb_node_t;

/* Decode in[0..len).  cb may be NULL (validate and count only).  Fills
 * *node on success.  Errors: TR_EDAGPB, TR_ETRUNC, or cb's value. */
int dag_pb_decode(const uint8_t *in, size_t len, dag_pb_link_cb cb, void *ud,
                  dag_pb_node_t *node) TR_WUR;

/* Bytes dag_pb_encode() will write. */
size_t dag_pb_encoded_size(const dag_pb_link_t *links, size_t n,
                           const uint8_t *data, size_t dlen, bool has_data);

/* Encode canonically into out.  Returns bytes written or TR_EBUFSIZE. */
int dag_pb_encode(const dag_pb_link_t *links, size_t n, const uint8_t *data,
                  size_t dlen, bool has_data, uint8_t *out,
                  size_t outsize) TR_WUR;

/* Size of one encoded PBLink entry inside a node (tag + length + body):
 * what the HAMT "block" size estimate adds up. */
size_t dag_pb_link_size(const dag_pb_link_t *link);

#endif /* DAG_DAGPB_H */

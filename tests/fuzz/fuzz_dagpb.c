/*
 * fuzz_dagpb.c — libFuzzer target for dag_pb_decode().
 *
 * Every block the decoder calls canonical must re-encode, from the decoded
 * links and data, to exactly the input bytes: otherwise two different
 * blocks (two CIDs) would decode to the same node.  A legacy block (Data
 * before Links) re-encodes to the same length, in the canonical order.  Also checked: dag_pb_encoded_size() and dag_pb_link_size() agree
 * with the input length, link views lie inside the input, and failures are
 * TR_EDAGPB or TR_ETRUNC only.
 * Build: make build-fuzz/fuzz_dagpb; seeds in tests/fuzz/corpus/fuzz_dagpb
 * (ipld/codec-fixtures dag-pb blocks and hand-made strictness cases).
 */
#include "../../dag/dagpb.h"

#include <stdlib.h>
#include <string.h>

typedef struct collect {
  dag_pb_link_t *links;
  size_t cap, n;
  const uint8_t *in;
  size_t len;
} collect_t;

static int collect_cb(const dag_pb_link_t *lk, size_t index, void *ud) {
  collect_t *c = ud;
  if (index != c->n || c->n >= c->cap)
    abort();
  if (lk->has_name && lk->name_len &&
      ((const uint8_t *)lk->name < c->in ||
       (const uint8_t *)lk->name + lk->name_len > c->in + c->len))
    abort();
  c->links[c->n++] = *lk;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* The smallest link entry is 8 bytes (12 len 0a len + a 4-byte CIDv1
   * identity CID), so size / 8 + 1 is room for all of them. */
  collect_t c = {malloc(sizeof(dag_pb_link_t) * (size / 8 + 1)), size / 8 + 1,
                 0, data, size};
  dag_pb_node_t node;
  int rc = dag_pb_decode(data, size, collect_cb, &c, &node);
  if (rc != 0) {
    if (rc != TR_EDAGPB && rc != TR_ETRUNC)
      abort();
    free(c.links);
    return 0;
  }
  if (node.nlinks != c.n)
    abort();
  if (node.has_data && node.data_len &&
      (node.data < data || node.data + node.data_len > data + size))
    abort();
  size_t sz = dag_pb_encoded_size(c.links, c.n, node.data, node.data_len,
                                  node.has_data);
  size_t parts = node.has_data ? 1 + dag_varint_size(node.data_len) +
                                     node.data_len
                               : 0;
  for (size_t i = 0; i < c.n; i++)
    parts += dag_pb_link_size(&c.links[i]);
  if (sz != size || parts != size)
    abort();
  uint8_t *out = malloc(size + 1);
  int n = dag_pb_encode(c.links, c.n, node.data, node.data_len, node.has_data,
                        out, size);
  if (n < 0 || (size_t)n != size || (node.canonical && memcmp(out, data, size)))
    abort();
  if (!node.canonical) {
    dag_pb_node_t again;
    if (dag_pb_decode(out, size, NULL, NULL, &again) || !again.canonical ||
        again.nlinks != node.nlinks || again.data_len != node.data_len)
      abort();
  }
  free(out);
  free(c.links);
  return 0;
}

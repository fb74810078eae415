/*
 * fuzz_cbor.c — libFuzzer target for the DAG-CBOR link walker
 * (dag_cbor_links, dag_cbor_skip, dag_cbor_head).
 *
 * Properties: dag_cbor_links() succeeds exactly when dag_cbor_skip() walks
 * one item that ends at the end of the input; it fails only with TR_ECBOR;
 * every link it reports is a well-formed CID whose binary form decodes
 * again; dag_cbor_skip() never moves past the input.  Deep nesting must be
 * refused by the depth cap, not by the stack (ASan would see the overflow).
 * Build: make build-fuzz/fuzz_cbor; seeds in tests/fuzz/corpus/fuzz_cbor
 * (ipld/codec-fixtures dag-cbor blocks and hand-made cases).
 */
#include "../../dag/cbor.h"

#include <stdlib.h>
#include <string.h>

static int link_cb(const dag_cid_t *cid, void *ud) {
  size_t *count = ud;
  dag_cid_t again;
  if (cid->len == 0 ||
      dag_cid_decode(&again, cid->bytes, cid->len) != cid->len ||
      !dag_cid_equal(&again, cid))
    abort();
  (*count)++;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t count = 0;
  int rc = dag_cbor_links(data, size, link_cb, &count);
  if (rc != 0 && rc != TR_ECBOR)
    abort();
  size_t pos = 0;
  int rs = dag_cbor_skip(data, size, &pos);
  if (pos > size)
    abort();
  if (rs != 0 && rs != TR_ECBOR && rs != TR_ETRUNC)
    abort();
  if ((rc == 0) != (rs == 0 && pos == size))
    abort();
  /* Walk the headers one after another as a flat stream. */
  pos = 0;
  while (pos < size) {
    int major;
    uint64_t arg;
    size_t before = pos;
    if (dag_cbor_head(data, size, &pos, &major, &arg) != 0)
      break;
    if (pos <= before || pos > size || major < 0 || major > 7)
      abort();
  }
  return 0;
}

/*
 * fuzz_dagjson.c — libFuzzer target for dag/dagjson.h: the JSON validator,
 * pathing inside DAG-JSON and DAG-CBOR blocks, and the DAG-CBOR to DAG-JSON
 * renderer (the HTML preview's input is any block the gateway holds).
 *
 * Input: one byte of path selector, then the block.  Properties: no read
 * past the input (ASan); pathing succeeds only with 1..nseg segments used;
 * whatever dag_cbor_to_json() renders is valid JSON (it must never make
 * text a browser's JSON viewer would choke on); dag_cbor_to_json() fails
 * only with TR_ECBOR or -ENOMEM.
 * Build: make build-fuzz/fuzz_dagjson; seeds in tests/fuzz/corpus/fuzz_dagjson.
 */
#include "../../dag/dagjson.h"

#include <errno.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  static char s_foo[] = "foo", s_link[] = "link", s_zero[] = "0",
              s_bar[] = "bar", s_slash[] = "/";
  char *paths[][3] = {{s_foo, s_link, s_bar}, {s_zero, s_foo, s_slash},
                      {s_bar, s_zero, s_link}, {s_slash, s_foo, s_zero}};
  char *const *segs = paths[data[0] & 3];
  size_t nseg = 1 + (size_t)((data[0] >> 2) % 3);
  data++, size--;
  (void)dag_json_valid(data, size);
  size_t used = 0;
  dag_cid_t link;
  if (dag_json_path(data, size, segs, nseg, &used, &link) == 0 &&
      (used == 0 || used > nseg))
    abort();
  used = 0;
  if (dag_cbor_path(data, size, segs, nseg, &used, &link) == 0 &&
      (used == 0 || used > nseg))
    abort();
  tr_bytes_t out = {0};
  int rc = dag_cbor_to_json(data, size, &out);
  if (rc == 0 && !dag_json_valid(out.data, out.len))
    abort();
  if (rc && rc != TR_ECBOR && rc != -ENOMEM)
    abort();
  tr_bytes_free(&out);
  return 0;
}

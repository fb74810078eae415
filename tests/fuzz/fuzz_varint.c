/*
 * fuzz_varint.c — libFuzzer target for dag_varint_get().
 *
 * Properties checked on every input, besides "no crash, no overread":
 *   - a success consumes 1..9 bytes, and dag_varint_put() of the value
 *     gives back exactly those bytes (only minimal encodings are accepted);
 *   - TR_ETRUNC exactly when fewer than 9 bytes are given and every one
 *     has the continuation bit;
 *   - no other error than TR_ETRUNC / TR_EVARINT.
 * Build: make build-fuzz/fuzz_varint; seeds in tests/fuzz/corpus/fuzz_varint.
 */
#include "../../dag/cid.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint64_t v = 0;
  int rc = dag_varint_get(data, size, &v);
  size_t conts = 0;
  while (conts < size && conts < DAG_VARINT_MAX && (data[conts] & 0x80))
    conts++;
  bool truncated = conts == size && size < DAG_VARINT_MAX;
  if (rc < 0) {
    if (rc != TR_ETRUNC && rc != TR_EVARINT)
      abort();
    if ((rc == TR_ETRUNC) != truncated)
      abort();
    return 0;
  }
  if (truncated || rc < 1 || rc > DAG_VARINT_MAX || (size_t)rc > size)
    abort();
  uint8_t out[DAG_VARINT_MAX + 1];
  size_t n = dag_varint_put(out, v);
  if (n != (size_t)rc || memcmp(out, data, n) || dag_varint_size(v) != n)
    abort();
  return 0;
}

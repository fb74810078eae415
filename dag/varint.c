/*
 * varint.c — unsigned LEB128 varints as the multiformats spec restricts them:
 * at most 9 bytes (63 bits) and minimally encoded.
 */
#include "varint.h"

size_t dag_varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

size_t dag_varint_put(uint8_t *out, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  out[n++] = (uint8_t)v;
  return n;
}

int dag_varint_get(const uint8_t *in, size_t len, uint64_t *v) {
  uint64_t x = 0;
  for (size_t i = 0; i < DAG_VARINT_MAX; i++) {
    if (i >= len)
      return TR_ETRUNC;
    uint8_t b = in[i];
    x |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      /* A last byte of 0 after other bytes means the value had a shorter
       * encoding: the spec requires the minimal one. */
      if (b == 0 && i > 0)
        return TR_EVARINT;
      *v = x;
      return (int)(i + 1);
    }
  }
  return TR_EVARINT;
}

/*
 * varint.c — unsigned LEB128 varints as the multiformats spec restricts them:
 * at most 9 bytes (63 bits) and minimally encoded; and the frames that a
 * varint length prefixes (dag_varint_frame).
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

int64_t dag_varint_frame(const uint8_t *in, size_t len, size_t max,
                         const uint8_t **body, size_t *blen) {
  uint64_t n;
  int k = dag_varint_get(in, len, &n);
  if (k == TR_ETRUNC)
    return 0; /* only below DAG_VARINT_MAX bytes: more may complete it */
  if (k < 0)
    return TR_EPROTO;
  if (n > max)
    return TR_ETOOBIG;
  if (len - (size_t)k < n)
    return 0;
  *body = in + k;
  *blen = (size_t)n;
  return (int64_t)((size_t)k + n);
}

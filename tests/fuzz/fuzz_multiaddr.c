/*
 * fuzz_multiaddr.c — libFuzzer target for net_ma_validate(),
 * net_ma_format() and net_ma_parse().
 *
 * Properties:
 *   - binary: an input that validates formats to a string that parses back
 *     to exactly the input bytes, and walking it with net_ma_next() covers
 *     it exactly;
 *   - string: an input that parses gives bytes that validate, and their
 *     string form is a fixed point (formats, parses, formats the same);
 *   - only documented errors.
 * Build: make build-fuzz/fuzz_multiaddr; seeds in
 * tests/fuzz/corpus/fuzz_multiaddr.
 */
#include "../../net/multiaddr.h"

#include <stdlib.h>
#include <string.h>

static char s1[NET_MA_STR_MAX], s2[NET_MA_STR_MAX];
static uint8_t b1[NET_MA_MAX];

static void from_binary(const uint8_t *data, size_t size) {
  int rc = net_ma_validate(data, size);
  if (rc == TR_EMULTIADDR || rc == TR_ETOOBIG)
    return;
  if (rc != 0)
    abort();
  net_ma_comp_t c;
  size_t off = 0;
  while (off < size) {
    int n = net_ma_next(data + off, size - off, &c);
    if (n <= 0 || c.value < data + off || c.value + c.vlen > data + size)
      abort();
    off += (size_t)n;
  }
  int sl = net_ma_format(data, size, s1, sizeof s1);
  if (sl <= 0 || (size_t)sl != strlen(s1) || off != size)
    abort();
  int n = net_ma_parse(s1, (size_t)sl, b1, sizeof b1);
  if (n < 0 || (size_t)n != size || memcmp(b1, data, size))
    abort();
}

static void from_string(const uint8_t *data, size_t size) {
  int n = net_ma_parse((const char *)data, size, b1, sizeof b1);
  if (n == TR_EMULTIADDR || n == TR_ETOOBIG)
    return;
  if (n <= 0 || net_ma_validate(b1, (size_t)n) != 0)
    abort();
  int sl = net_ma_format(b1, (size_t)n, s1, sizeof s1);
  if (sl <= 0)
    abort();
  uint8_t b2[NET_MA_MAX];
  int n2 = net_ma_parse(s1, (size_t)sl, b2, sizeof b2);
  if (n2 != n || memcmp(b1, b2, (size_t)n))
    abort();
  if (net_ma_format(b2, (size_t)n2, s2, sizeof s2) != sl || strcmp(s1, s2))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  from_binary(data, size);
  from_string(data, size);
  return 0;
}

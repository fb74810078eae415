/*
 * utf8.c — UTF-8 validation and repair (tr.h).  JSON must be valid UTF-8,
 * and jansson refuses to build a string that is not; names that reach an
 * answer (file names, paths, arguments, pin names) come from users and
 * file systems as arbitrary bytes.  Every such string is passed through
 * tr_utf8_fix() first, which replaces what is not UTF-8 exactly as Go's
 * encoding/json does, so answers match Kubo's byte for byte.
 */
#include <string.h>

#include "tr.h"

size_t tr_utf8_seq(const uint8_t *s, size_t n) {
  uint8_t c = s[0];
  if (c < 0x80)
    return 1;
  size_t len;
  uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
  if (c >= 0xC2 && c <= 0xDF)
    len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0; /* overlong */
    else if (c == 0xED)
      hi = 0x9F; /* surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90; /* overlong */
    else if (c == 0xF4)
      hi = 0x8F; /* above U+10FFFF */
  } else
    return 0;
  if (n < len || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xBF)
      return 0;
  return len;
}

size_t tr_utf8_put(uint32_t c, uint8_t out[4]) {
  if (c < 0x80) {
    out[0] = (uint8_t)c;
    return 1;
  }
  if (c < 0x800) {
    out[0] = (uint8_t)(0xc0 | c >> 6);
    out[1] = (uint8_t)(0x80 | (c & 0x3f));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = (uint8_t)(0xe0 | c >> 12);
    out[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
    out[2] = (uint8_t)(0x80 | (c & 0x3f));
    return 3;
  }
  out[0] = (uint8_t)(0xf0 | c >> 18);
  out[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
  out[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
  out[3] = (uint8_t)(0x80 | (c & 0x3f));
  return 4;
}

bool tr_utf8_valid(const char *s, size_t n) {
  const uint8_t *p = (const uint8_t *)s;
  for (size_t i = 0; i < n;) {
    size_t k = tr_utf8_seq(p + i, n - i);
    if (!k)
      return false;
    i += k;
  }
  return true;
}

char *tr_utf8_fix(const char *s, size_t n, size_t *outlen) {
  const uint8_t *p = (const uint8_t *)s;
  /* Each bad byte grows to three: size for the worst case, once. */
  if (n > (SIZE_MAX - 1) / 3)
    return NULL;
  char *out = tr_malloc(3 * n + 1);
  if (!out)
    return NULL;
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    size_t k = tr_utf8_seq(p + i, n - i);
    if (k) {
      memcpy(out + o, p + i, k);
      o += k;
      i += k;
    } else {
      memcpy(out + o, "\xEF\xBF\xBD", 3); /* U+FFFD */
      o += 3;
      i++;
    }
  }
  out[o] = 0;
  if (outlen)
    *outlen = o;
  return out;
}

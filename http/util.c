/*
 * util.c — small helpers every handler on the server needs: percent-
 * decoding and query parameters (http.h).
 */
#include <string.h>

#include "http.h"

int http_pct_decode(const char *s, size_t n, char *out) {
  size_t o = 0, i = 0;
  while (i < n) {
    /* The bytes up to the next escape as they are (a CID in a path has
     * none), then the escape. */
    const char *pc = memchr(s + i, '%', n - i);
    size_t run = pc ? (size_t)(pc - (s + i)) : n - i;
    memmove(out + o, s + i, run); /* out may be s: decoding in place */
    o += run;
    i += run;
    if (i == n)
      break;
    if (i + 2 >= n)
      return -1;
    int a = tr_hexval(s[i + 1]), b = tr_hexval(s[i + 2]);
    if (a < 0 || b < 0 || (a == 0 && b == 0))
      return -1;
    out[o++] = (char)(a * 16 + b);
    i += 3;
  }
  out[o] = 0;
  return (int)o;
}

int http_query_get(const char *q, const char *key, char *out, size_t outsz) {
  size_t kl = strlen(key);
  while (q && *q) {
    size_t n = strcspn(q, "&");
    if (n >= kl && !strncmp(q, key, kl) && (q[kl] == '=' || kl == n)) {
      const char *v = q[kl] == '=' ? q + kl + 1 : q + kl;
      size_t vl = n - (size_t)(v - q);
      if (vl >= outsz)
        vl = outsz - 1;
      /* '+' is a space in form encoding */
      char tmp[1024];
      if (vl >= sizeof tmp)
        vl = sizeof tmp - 1;
      for (size_t i = 0; i < vl; i++)
        tmp[i] = v[i] == '+' ? ' ' : v[i];
      if (http_pct_decode(tmp, vl, out) < 0)
        return 0;
      return 1;
    }
    q += n;
    if (*q == '&')
      q++;
  }
  return 0;
}

/*
 * util.c — small helpers every handler on the server needs: percent-
 * decoding, query parameters and media types (http.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

static bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || strchr("-_.!~*'()", c);
}

char *http_uri_encode(const char *s) {
  size_t n = strlen(s);
  char *out = tr_malloc(3 * n + 1);
  if (!out)
    return NULL;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c && unreserved(c))
      out[o++] = (char)c;
    else
      o += (size_t)sprintf(out + o, "%%%02X", c);
  }
  out[o] = 0;
  return out;
}

int http_query_add(tr_bytes_t *q, const char *key, const char *value) {
  char *v = http_uri_encode(value);
  if (!v)
    return -ENOMEM;
  int rc = tr_bytes_append(q, q->len ? "&" : "?", 1);
  if (!rc)
    rc = tr_bytes_append(q, key, strlen(key));
  if (!rc)
    rc = tr_bytes_append(q, "=", 1);
  if (!rc)
    rc = tr_bytes_append(q, v, strlen(v) + 1); /* keep it a string */
  if (!rc)
    q->len--;
  tr_free(v);
  return rc;
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

/* RFC 2045's token: ASCII 0x21-0x7e but tspecials. */
static bool token_char(char c) {
  return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?=", c);
}

static size_t token_len(const char *s, size_t n) {
  size_t i = 0;
  while (i < n && token_char(s[i]))
    i++;
  return i;
}

static size_t skip_space(const char *s, size_t n, size_t i) {
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
    i++;
  return i;
}

bool http_media_type_ok(const char *s, size_t n) {
  /* The type: what comes before the first ';', blanks trimmed. */
  size_t semi = 0;
  while (semi < n && s[semi] != ';')
    semi++;
  size_t b = skip_space(s, semi, 0), e = semi;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
    e--;
  size_t t = token_len(s + b, e - b);
  if (t == 0)
    return false;
  if (b + t < e) {
    if (s[b + t] != '/')
      return false;
    size_t sub = token_len(s + b + t + 1, e - b - t - 1);
    if (sub == 0 || b + t + 1 + sub != e)
      return false;
  }
  /* The parameters: names kept to find one given twice (16 at most: an
   * Accept item with more is refused too). */
  struct {
    const char *p;
    size_t n;
  } names[16];
  size_t nn = 0;
  for (size_t i = semi; (i = skip_space(s, n, i)) < n;) {
    if (s[i] != ';')
      return false;
    size_t k = skip_space(s, n, i + 1);
    size_t kl = token_len(s + k, n - k);
    if (kl == 0) /* only a trailing ';' may have no parameter */
      return skip_space(s, n, k) == n;
    size_t v = skip_space(s, n, k + kl);
    if (v >= n || s[v] != '=')
      return false;
    v = skip_space(s, n, v + 1);
    if (v < n && s[v] == '"') {
      size_t j = v + 1;
      while (j < n && s[j] != '"')
        j += s[j] == '\\' && j + 1 < n ? 2 : 1;
      if (j >= n)
        return false;
      i = j + 1;
    } else {
      size_t vl = token_len(s + v, n - v);
      if (vl == 0)
        return false;
      i = v + vl;
    }
    for (size_t j = 0; j < nn; j++)
      if (names[j].n == kl && !strncasecmp(names[j].p, s + k, kl))
        return false;
    if (nn == TR_ARRAY_LEN(names))
      return false;
    names[nn].p = s + k;
    names[nn++].n = kl;
  }
  return true;
}

/* ------------------------------------------------------------- dates */

bool http_date_parse(const char *s, int64_t *t) {
  static const char *const fmts[] = {"%a, %d %b %Y %H:%M:%S GMT",
                                     "%A, %d-%b-%y %H:%M:%S %Z",
                                     "%a %b %e %H:%M:%S %Y"};
  if (!s)
    return false;
  for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, fmts[i], &tm); /* %Z: read, not used */
    if (end && !*end) {
      *t = (int64_t)timegm(&tm);
      return true;
    }
  }
  return false;
}

bool http_date_format(int64_t t, char out[40]) {
  time_t tt = (time_t)t;
  struct tm tm;
  if (!gmtime_r(&tt, &tm) || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999)
    return false;
  return strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0;
}

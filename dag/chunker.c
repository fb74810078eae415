/*
 * chunker.c — chunk boundaries; see chunker.h.  Fixed-size chunking lives
 * here; rabin and buzhash have files of their own (rabin.c, buzhash.c).
 */
#include "chunker.h"

#include <stdlib.h>
#include <string.h>

/* Implemented in rabin.c and buzhash.c. */
int dag__rabin_init(dag_chunker_t *c, size_t min, size_t avg, size_t max);
size_t dag__rabin_cut(const dag_chunker_t *c, const uint8_t *buf, size_t len,
                      bool eof);
int dag__buzhash_init(dag_chunker_t *c);
size_t dag__buzhash_cut(const dag_chunker_t *c, const uint8_t *buf,
                        size_t len, bool eof);

/* Parse a decimal size_t; the whole string must be digits. */
static int parse_size(const char *s, size_t n, size_t *out) {
  if (n == 0 || n > 12)
    return TR_ECHUNKER;
  size_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return TR_ECHUNKER;
    v = v * 10 + (size_t)(s[i] - '0');
  }
  *out = v;
  return 0;
}

int dag_chunker_init(dag_chunker_t *c, const char *spec) {
  memset(c, 0, sizeof *c);
  if (!spec || !*spec)
    spec = "size-262144";
  if (!strncmp(spec, "size-", 5)) {
    size_t n;
    if (parse_size(spec + 5, strlen(spec + 5), &n) || n == 0 ||
        n > DAG_CHUNK_LIMIT)
      return TR_ECHUNKER;
    c->kind = DAG_CHUNK_SIZE;
    c->size = n;
    return 0;
  }
  if (!strcmp(spec, "buzhash"))
    return dag__buzhash_init(c);
  if (!strncmp(spec, "rabin", 5)) {
    const char *p = spec + 5;
    size_t v[3], nv = 0;
    while (*p) {
      if (*p != '-' || nv == 3)
        return TR_ECHUNKER;
      const char *e = strchr(p + 1, '-');
      size_t n = e ? (size_t)(e - p - 1) : strlen(p + 1);
      if (parse_size(p + 1, n, &v[nv++]))
        return TR_ECHUNKER;
      p += 1 + n;
    }
    size_t min, avg, max;
    if (nv == 0) {
      avg = 256 * 1024;
    } else if (nv == 1) {
      avg = v[0];
    } else if (nv == 3) {
      min = v[0], avg = v[1], max = v[2];
      goto check;
    } else
      return TR_ECHUNKER;
    min = avg / 3;
    max = avg + avg / 2;
  check:
    if (min == 0 || min > avg || avg > max || max > DAG_CHUNK_LIMIT)
      return TR_ECHUNKER;
    return dag__rabin_init(c, min, avg, max);
  }
  return TR_ECHUNKER;
}

size_t dag_chunker_max(const dag_chunker_t *c) {
  return c->kind == DAG_CHUNK_SIZE ? c->size : c->max;
}

size_t dag_chunker_cut(const dag_chunker_t *c, const uint8_t *buf, size_t len,
                       bool eof) {
  switch (c->kind) {
  case DAG_CHUNK_SIZE:
    if (len >= c->size)
      return c->size;
    return eof ? len : 0;
  case DAG_CHUNK_RABIN:
    return dag__rabin_cut(c, buf, len, eof);
  case DAG_CHUNK_BUZHASH:
    return dag__buzhash_cut(c, buf, len, eof);
  default:
    abort(); /* dag_chunker_init() was not called */
  }
}

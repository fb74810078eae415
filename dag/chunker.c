/*
 * chunker.c — chunker spec parsing and dispatch; see chunker.h.  Fixed-size
 * chunking lives here; rabin and buzhash have files of their own (rabin.c,
 * buzhash.c).  The parser follows boxo's chunker/parse.go and registry.go
 * rule by rule so that a spec Kubo accepts means the same chunks here.
 */
#include "chunker.h"

#include <stdlib.h>
#include <string.h>

/* Implemented in rabin.c and buzhash.c. */
int dag__rabin_init(dag_chunker_t *c, uint64_t pol, size_t min, size_t avg,
                    size_t max);
size_t dag__rabin_cut(const dag_chunker_t *c, const uint8_t *buf, size_t len,
                      bool eof);
int dag__buzhash_init(dag_chunker_t *c);
size_t dag__buzhash_cut(const dag_chunker_t *c, const uint8_t *buf,
                        size_t len, bool eof);

/* Parse s[0..n) as Go's strconv.Atoi would a non-negative number: an
 * optional '+', then digits only, leading zeros allowed.  Twelve significant
 * digits are plenty (every valid value is below DAG_CHUNK_LIMIT) and keep
 * the sum far from overflow. */
static int parse_size(const char *s, size_t n, size_t *out) {
  if (n > 0 && s[0] == '+')
    s++, n--;
  if (n == 0)
    return TR_ECHUNKER;
  while (n > 1 && s[0] == '0')
    s++, n--;
  if (n > 12)
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

/* One field of "rabin-MIN-AVG-MAX": boxo splits it on ':' and, if there was
 * a colon, wants the first piece to be the label; the number is the last
 * piece ("min:x:5" passes, as it does in Go). */
static int parse_labelled(const char *s, size_t n, const char *label,
                          size_t *out) {
  const char *colon = memchr(s, ':', n);
  if (colon) {
    size_t ll = strlen(label);
    if ((size_t)(colon - s) != ll || memcmp(s, label, ll) != 0)
      return TR_ECHUNKER;
    const char *last = s + n;
    while (last[-1] != ':')
      last--;
    n -= (size_t)(last - s);
    s = last;
  }
  return parse_size(s, n, out);
}

/* Split spec at '-' into at most 4 fields; returns the count, or -1 if there
 * are more than 4 (no spec has that many). */
static int split_dash(const char *spec, const char *f[4], size_t fl[4]) {
  int nf = 0;
  for (const char *p = spec;;) {
    if (nf == 4)
      return -1;
    const char *e = strchr(p, '-');
    f[nf] = p;
    fl[nf] = e ? (size_t)(e - p) : strlen(p);
    nf++;
    if (!e)
      return nf;
    p = e + 1;
  }
}

static int init_rabin(dag_chunker_t *c, const char *f[4], size_t fl[4],
                      int nf) {
  size_t min, avg, max;
  if (nf == 1 || nf == 2) {
    avg = 256 * 1024;
    if (nf == 2 && parse_size(f[1], fl[1], &avg))
      return TR_ECHUNKER;
    min = avg / 3;
    max = avg + avg / 2;
    /* boxo checks only max; min >= 16 is ours (see chunker.h). */
    if (max > DAG_CHUNK_LIMIT || min < DAG_RABIN_WINDOW)
      return TR_ECHUNKER;
  } else if (nf == 4) {
    if (parse_labelled(f[1], fl[1], "min", &min) ||
        parse_labelled(f[2], fl[2], "avg", &avg) ||
        parse_labelled(f[3], fl[3], "max", &max))
      return TR_ECHUNKER;
    if (min < DAG_RABIN_WINDOW || min >= avg || avg >= max ||
        max > DAG_CHUNK_LIMIT)
      return TR_ECHUNKER;
  } else {
    return TR_ECHUNKER;
  }
  return dag__rabin_init(c, DAG_RABIN_POL, min, avg, max);
}

int dag_chunker_init(dag_chunker_t *c, const char *spec) {
  memset(c, 0, sizeof *c);
  if (!spec || !*spec || !strcmp(spec, "default"))
    spec = "size-262144";
  const char *f[4];
  size_t fl[4];
  int nf = split_dash(spec, f, fl);
  /* boxo picks the algorithm by the text before the first '-'. */
  if (fl[0] == 7 && !memcmp(f[0], "buzhash", 7))
    return dag__buzhash_init(c);
  if (nf < 0)
    return TR_ECHUNKER;
  if (fl[0] == 4 && !memcmp(f[0], "size", 4)) {
    size_t n;
    if (nf != 2 || parse_size(f[1], fl[1], &n) || n == 0 ||
        n > DAG_CHUNK_LIMIT)
      return TR_ECHUNKER;
    c->kind = DAG_CHUNK_SIZE;
    c->size = n;
    return 0;
  }
  if (fl[0] == 5 && !memcmp(f[0], "rabin", 5))
    return init_rabin(c, f, fl, nf);
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

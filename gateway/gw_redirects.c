/*
 * gw_redirects.c — the web redirects file (`_redirects`, specs.ipfs.tech/
 * http-gateways/web-redirects-file) as boxo's gateway reads it with
 * go-ipfs-redirects-file: lines "from to [status]", placeholders (:name)
 * and a trailing splat (*) in from, :name and :splat in to, statuses 200
 * (a rewrite), 301 (the default), 302, 303, 307, 308, 404, 410 and 451
 * (custom error pages), comments, CRLF or LF, at most 64 KiB.
 *
 * Pure (sans-I/O, no allocation): the file's bytes and a path in, the
 * first matching rule's status and expanded target out, or why the file
 * is refused.  Reading the file from the site's root and acting on the
 * rule is gw_site.c's job; the fuzzer (tests/fuzz/fuzz_redirects.c) and
 * tests/test_gw_redirects.c drive this file directly.
 *
 * Where it differs from go-ipfs-redirects-file, on purpose:
 *   - the spec's "MUST error when the same placeholder name is used more
 *     than once in from" is enforced (Go keeps the last one);
 *   - a rule's from holds at most GW_REDIRECTS_PARAMS_MAX placeholders, so
 *     that checking them stays linear;
 *   - placeholders in to are replaced in one pass, the longest name that
 *     fits first (Go replaces name after name in map order, so ":a" and
 *     ":ab" give random results and a value holding ":b" is replaced again);
 *   - what a placeholder captures is percent-encoded where it lands (the
 *     target becomes a Location header or a path that is decoded again):
 *     "%0d%0a" in a request cannot turn into a header line, "?" into a
 *     query;
 *   - whitespace is ASCII's (Go's also counts U+0085 and U+00A0).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gw_int.h"

static bool is_ws(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
         c == '\r';
}

/* A field quoted in an error message: printable ASCII only, cut short. */
static void quote(const char *s, size_t n, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n && o + 4 < cap; i++) {
    unsigned char c = (unsigned char)s[i];
    out[o++] = c >= 0x20 && c < 0x7f && c != '"' ? (char)c : '?';
    if (i == 63 && n > 64) {
      memcpy(out + o, "...", 3);
      o += 3;
      break;
    }
  }
  out[o] = 0;
}

static int fail(char *err, size_t cap, int rc, unsigned line, const char *fmt,
                ...) TR_PRINTF(5, 6);
static int fail(char *err, size_t cap, int rc, unsigned line, const char *fmt,
                ...) {
  if (err && cap) {
    int o = line ? snprintf(err, cap, "line %u: ", line) : 0;
    va_list ap;
    va_start(ap, fmt);
    if (o >= 0 && (size_t)o < cap)
      vsnprintf(err + o, cap - (size_t)o, fmt, ap);
    va_end(ap);
  }
  return rc;
}

/* ----------------------------------------------------------- fields */

/* What url.Parse refuses in a path: control bytes, and a '%' not followed
 * by two hex digits (outside the query, which Go does not unescape).
 * NULL when s[0..n) is fine, else the reason. */
static const char *url_bad(const char *s, size_t n, char *why, size_t cap) {
  bool query = false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f)
      return "invalid control character in URL";
    if (c == '?' && !query)
      query = true;
    else if (c == '#')
      query = false;
    else if (c == '%' && !query &&
             (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
              !isxdigit((unsigned char)s[i + 2]))) {
      char q[16];
      quote(s + i, n - i < 3 ? n - i : 3, q, sizeof q);
      snprintf(why, cap, "invalid URL escape \"%s\"", q);
      return why;
    }
  }
  return NULL;
}

/* Go's strconv.Atoi then the supported set: the status, or 0 with err. */
static int parse_status(const char *s, size_t n, char *err, size_t cap,
                        unsigned line) {
  char q[80];
  quote(s, n, q, sizeof q);
  if (s[n - 1] == '!')
    return fail(err, cap, 0, line, "parsing status \"%s\": forced redirects "
                "(or \"shadowing\") are not supported", q);
  size_t i = s[0] == '+' || s[0] == '-';
  long v = 0;
  if (i == n)
    return fail(err, cap, 0, line, "parsing status \"%s\": invalid syntax", q);
  for (; i < n; i++) {
    if (!isdigit((unsigned char)s[i]))
      return fail(err, cap, 0, line, "parsing status \"%s\": invalid syntax", q);
    if (v < 100000)
      v = v * 10 + (s[i] - '0');
  }
  if (s[0] == '-')
    v = -v;
  switch (v) {
  case 200: case 301: case 302: case 303: case 307: case 308:
  case 404: case 410: case 451:
    return (int)v;
  default:
    return fail(err, cap, 0, line, "parsing status \"%s\": status code %s is "
                "not supported", q, q);
  }
}

/* The placeholders of from (segments ":name"): at most
 * GW_REDIRECTS_PARAMS_MAX, no name twice (the spec's MUST). */
static int check_params(const char *s, size_t n, char *err, size_t cap,
                        unsigned line) {
  const char *name[GW_REDIRECTS_PARAMS_MAX];
  size_t len[GW_REDIRECTS_PARAMS_MAX], np = 0;
  for (size_t i = 0; i < n;) {
    size_t e = i;
    while (e < n && s[e] != '/')
      e++;
    if (e - i > 1 && s[i] == ':') {
      for (size_t k = 0; k < np; k++)
        if (len[k] == e - i - 1 && !memcmp(name[k], s + i + 1, len[k])) {
          char q[80];
          quote(s + i, e - i, q, sizeof q);
          return fail(err, cap, -EINVAL, line, "parsing 'from': placeholder "
                      "\"%s\" used more than once", q);
        }
      if (np == GW_REDIRECTS_PARAMS_MAX)
        return fail(err, cap, -EINVAL, line, "parsing 'from': more than %d "
                    "placeholders", GW_REDIRECTS_PARAMS_MAX);
      name[np] = s + i + 1;
      len[np++] = e - i - 1;
    }
    i = e + 1;
  }
  return 0;
}

static int parse_from(const char *s, size_t n, char *err, size_t cap,
                      unsigned line) {
  const char *star = memchr(s, '*', n);
  if (star && s[n - 1] != '*')
    return fail(err, cap, -EINVAL, line, "parsing 'from': path must end "
                "with asterisk");
  if (star && star != s + n - 1)
    return fail(err, cap, -EINVAL, line, "parsing 'from': path can have at "
                "most one asterisk");
  char why[64];
  const char *bad = url_bad(s, n, why, sizeof why);
  if (bad)
    return fail(err, cap, -EINVAL, line, "parsing 'from': %s", bad);
  if (s[0] != '/')
    return fail(err, cap, -EINVAL, line, "parsing 'from': path must begin "
                "with '/'");
  return check_params(s, n, err, cap, line);
}

/* A path, or an absolute URL of the schemes go-ipfs-redirects-file allows
 * (Go's url.Parse lower-cases the scheme, so "HTTPS:" is one). */
static int parse_to(const char *s, size_t n, char *err, size_t cap,
                    unsigned line) {
  char why[64];
  const char *bad = url_bad(s, n, why, sizeof why);
  if (bad)
    return fail(err, cap, -EINVAL, line, "parsing 'to': %s", bad);
  if (s[0] == '/')
    return 0;
  static const char *const schemes[] = {"http:", "https:", "ipfs:", "ipns:"};
  for (size_t i = 0; i < TR_ARRAY_LEN(schemes); i++) {
    size_t l = strlen(schemes[i]);
    if (n >= l && !strncasecmp(s, schemes[i], l))
      return 0;
  }
  return fail(err, cap, -EINVAL, line, "parsing 'to': invalid URL scheme");
}

/* ------------------------------------------------------------ match */

typedef struct param {
  const char *name, *val;
  size_t nl, vl;
} param_t;

typedef struct found {
  param_t p[GW_REDIRECTS_PARAMS_MAX];
  size_t np;
  const char *trail; /* what the splat took */
  size_t tl;
} found_t;

/* ucarion/urlpath's Match, which go-ipfs-redirects-file uses: from (one
 * trailing '/' cut) is '/'-separated segments, ":name" takes one segment
 * of the path, a final "*" segment takes the rest (":splat"); every other
 * segment must equal the path's.  path has its trailing '/' cut too. */
static bool match(const char *from, size_t fl, const char *path, size_t pl,
                  found_t *f) {
  if (fl && from[fl - 1] == '/')
    fl--;
  bool trailing = false;
  if (fl && from[fl - 1] == '*' && (fl == 1 || from[fl - 2] == '/')) {
    trailing = true;
    fl = fl >= 2 ? fl - 2 : 0; /* "/a/STAR" is "/a"; "/STAR" is "", one segment */
  }
  const char *p = from, *pe = from + fl, *s = path, *se = path + pl;
  f->np = 0;
  for (;;) {
    const char *pend = memchr(p, '/', (size_t)(pe - p));
    bool last = !pend;
    if (last)
      pend = pe;
    const char *send = memchr(s, '/', (size_t)(se - s)), *next;
    if (!send) {
      /* Out of path before the last segment; or a splat, which needs a
       * slash after the segments. */
      if (!last || trailing)
        return false;
      send = next = se;
    } else {
      if (last && !trailing)
        return false; /* path left over */
      next = send + 1;
    }
    size_t sl = (size_t)(pend - p), vl = (size_t)(send - s);
    if (sl > 1 && p[0] == ':') {
      /* check_params() bounded their number. */
      f->p[f->np++] = (param_t){p + 1, s, sl - 1, vl};
    } else if (sl != vl || memcmp(p, s, sl)) {
      return false;
    }
    s = next;
    if (last)
      break;
    p = pend + 1;
  }
  f->trail = s;
  f->tl = (size_t)(se - s);
  return true;
}

/* Append v[0..n) to out, percent-encoding all but unreserved bytes and a
 * few path-safe ones ('/' too when slash). */
static bool put_enc(char *out, size_t cap, size_t *o, const char *v, size_t n,
                    bool slash) {
  return gw__pct_put(out, cap, o, v, n, slash ? "!$'()*,;:@/" : "!$'()*,;:@");
}

/* to with its placeholders replaced: the longest name of a placeholder
 * that fits, then ":splat". */
static int expand(const char *to, size_t n, const found_t *f, char *out,
                  size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    if (to[i] == ':') {
      const param_t *best = NULL;
      for (size_t k = 0; k < f->np; k++)
        if (f->p[k].nl <= n - i - 1 && !memcmp(to + i + 1, f->p[k].name, f->p[k].nl) &&
            (!best || f->p[k].nl > best->nl))
          best = &f->p[k];
      if (best) {
        if (!put_enc(out, cap, &o, best->val, best->vl, false))
          return TR_EBUFSIZE;
        i += 1 + best->nl;
        continue;
      }
      if (n - i - 1 >= 5 && !memcmp(to + i + 1, "splat", 5)) {
        if (!put_enc(out, cap, &o, f->trail, f->tl, true))
          return TR_EBUFSIZE;
        i += 6;
        continue;
      }
    }
    if (o + 1 >= cap)
      return TR_EBUFSIZE;
    out[o++] = to[i++];
  }
  out[o] = 0;
  return 0;
}

/* ------------------------------------------------------------- eval */

int gw__redirects_eval(const char *file, size_t len, const char *path,
                       size_t pl, int *status, char *to, size_t cap, char *err,
                       size_t errcap) {
  *status = 0;
  if (err && errcap)
    err[0] = 0;
  if (cap)
    to[0] = 0;
  if (len > GW_REDIRECTS_FILE_MAX)
    return fail(err, errcap, TR_ETOOBIG, 0, "redirects file size cannot "
                "exceed %d bytes", GW_REDIRECTS_FILE_MAX);
  if (pl && path[pl - 1] == '/')
    pl--; /* boxo trims the request path's trailing slash */
  /* The first rule that matches wins, but the whole file must parse: a
   * bad line anywhere is a 500, as boxo answers. */
  const char *mto = NULL;
  size_t mtl = 0;
  int mst = 0; /* *status only once the whole file has parsed */
  found_t f;
  unsigned line = 0;
  for (size_t i = 0; i < len;) {
    const char *nl = memchr(file + i, '\n', len - i);
    size_t e = nl ? (size_t)(nl - file) : len;
    const char *s = file + i;
    size_t n = e - i;
    i = e + 1;
    line++;
    while (n && is_ws((unsigned char)*s))
      s++, n--;
    while (n && is_ws((unsigned char)s[n - 1]))
      n--;
    if (!n || *s == '#')
      continue;
    const char *fs[3];
    size_t fl[3], nf = 0;
    for (size_t k = 0; k < n;) {
      while (k < n && is_ws((unsigned char)s[k]))
        k++;
      if (k == n)
        break;
      size_t b = k;
      while (k < n && !is_ws((unsigned char)s[k]))
        k++;
      if (nf == 3)
        return fail(err, errcap, -EINVAL, line, "must match format 'from to "
                    "[status]'");
      fs[nf] = s + b;
      fl[nf++] = k - b;
    }
    if (nf <= 1)
      return fail(err, errcap, -EINVAL, line, "missing 'to' path");
    int rc = parse_from(fs[0], fl[0], err, errcap, line);
    if (rc == 0)
      rc = parse_to(fs[1], fl[1], err, errcap, line);
    if (rc)
      return rc;
    int st = 301;
    if (nf == 3 && !(st = parse_status(fs[2], fl[2], err, errcap, line)))
      return -EINVAL;
    if (!mto && match(fs[0], fl[0], path, pl, &f)) {
      mto = fs[1];
      mtl = fl[1];
      mst = st;
    }
  }
  if (!mto)
    return 0;
  int rc = expand(mto, mtl, &f, to, cap);
  if (rc)
    return fail(err, errcap, rc, 0, "the rule's target is longer than %zu "
                "bytes once expanded", cap ? cap - 1 : 0);
  *status = mst;
  return 1;
}

/* ---------------------------------------------------------- location */

/* Append s[0..n) to out, percent-encoding what may not stand in a URL
 * (controls, space, non-ASCII, quotes and the like): a Location header
 * holds no byte a client could misread. */
static bool put_url(char *out, size_t cap, size_t *o, const char *s, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    bool esc = c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c);
    if (*o + (esc ? 3 : 1) >= cap)
      return false;
    if (esc) {
      out[(*o)++] = '%';
      out[(*o)++] = hex[c >> 4];
      out[(*o)++] = hex[c & 15];
    } else
      out[(*o)++] = (char)c;
  }
  return true;
}

/* Is key k[0..kl) among the parameters of query q[0..ql)? */
static bool has_key(const char *q, size_t ql, const char *k, size_t kl) {
  for (size_t i = 0; i < ql;) {
    size_t e = i;
    while (e < ql && q[e] != '&')
      e++;
    size_t el = e - i, pk = 0;
    while (pk < el && q[i + pk] != '=')
      pk++;
    if (pk == kl && !memcmp(q + i, k, kl))
      return true;
    i = e + 1;
  }
  return false;
}

int gw__redirects_location(const char *to, const char *query, char *out,
                           size_t cap) {
  size_t n = strlen(to), ql = query ? strlen(query) : 0, o = 0;
  if (!cap)
    return TR_EBUFSIZE;
  size_t base = strcspn(to, "?#");
  size_t fr = base + strcspn(to + base, "#"); /* the fragment's '#' */
  if (!ql) {
    if (!put_url(out, cap, &o, to, n))
      return TR_EBUFSIZE;
    out[o] = 0;
    return 0;
  }
  /* The spec: the request's query parameters are kept, and win over the
   * rule's own of the same name. */
  if (!put_url(out, cap, &o, to, base) || !put_url(out, cap, &o, "?", 1))
    return TR_EBUFSIZE;
  const char *sq = to + base + (to[base] == '?');
  size_t sql = to[base] == '?' ? fr - base - 1 : 0;
  for (size_t i = 0; i < sql;) {
    size_t e = i;
    while (e < sql && sq[e] != '&')
      e++;
    size_t kl = 0;
    while (i + kl < e && sq[i + kl] != '=')
      kl++;
    if (e > i && !has_key(query, ql, sq + i, kl) &&
        (!put_url(out, cap, &o, sq + i, e - i) || !put_url(out, cap, &o, "&", 1)))
      return TR_EBUFSIZE;
    i = e + 1;
  }
  if (!put_url(out, cap, &o, query, ql) ||
      !put_url(out, cap, &o, to + fr, n - fr))
    return TR_EBUFSIZE;
  out[o] = 0;
  return 0;
}

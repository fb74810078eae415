/*
 * ipld_json.c — the dag-json and json codecs of ipld.h: JSON text to a
 * tree and back, byte for byte as Kubo v0.43.1 (go-ipld-prime v0.24.0 on
 * refmt v0.90.0's JSON reader and writer) does.  What Kubo does that a
 * plain JSON library would not, each checked with `ipfs dag put/get`:
 *
 *   reading   a number with no '.', 'e' or 'E' is an int64 or an error
 *             (never a float: 9223372036854775808 fails), "-0" is int 0,
 *             a number with one is a float64 (1.0 and 1e2 are floats), one
 *             out of float range fails, "1." is the float 1; a comma before
 *             ']' or '}' is allowed ("[1,]"); invalid UTF-8 in a string
 *             reads as U+FFFD per byte, a lone surrogate escape as U+FFFD;
 *             a duplicate key fails; NUL bytes may trail the value.
 *   dag-json  {"/": string} alone in its map is a link (a string that is no
 *             CID fails); {"/": {"bytes": string}} is bytes, the base64
 *             unpadded or padded, newlines skipped, stray low bits
 *             ignored (Go's base64.RawStdEncoding, then StdEncoding);
 *             any other map with a "/" key is a plain map.
 *   writing   dag-json: compact, keys sorted bytewise; json: one entry a
 *             line, tab indents, "key": value, the tree's own key order,
 *             a newline after a top-level map or list.  Strings escape
 *             '"' '\\' \n \r \t, other controls as \u00XX, U+2028 and
 *             U+2029, and each invalid UTF-8 byte as the six characters
 *             \ufffd; '/', '<', '>', '&' and DEL are written as they are.
 *             Floats as ES6 prints numbers: shortest round-trip digits,
 *             plain for 1e-6 <= |x| < 1e21 (100.0 is "100", -0.0 "-0"),
 *             else exponent form "1e+21", "1e-7".  Links as the CID's
 *             string (a CIDv0 in base58btc, v1 in base32).
 *
 * Kubo writes a float with an integral value as an integer (1.0 becomes
 * "1"), which reads back as an int, and one of 1e19 or more as digits no
 * int64 holds, which it cannot read back at all; trove does the same.
 */
#include "ipld_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------- reading */

typedef struct jdec {
  const uint8_t *in;
  size_t len, pos;
  ipld_arena_t *a;
  bool dag;
  tr_bytes_t stk; /* members of the open containers, innermost last */
} jdec_t;

static void ws(jdec_t *d) {
  while (d->pos < d->len && (d->in[d->pos] == ' ' || d->in[d->pos] == '\t' ||
                             d->in[d->pos] == '\n' || d->in[d->pos] == '\r'))
    d->pos++;
}

static int hex4(const uint8_t *p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    int h = tr_hexval(p[i]);
    if (h < 0)
      return -1;
    v = v << 4 | h;
  }
  return v;
}

/* Unescape s[0..n) (a string body the scan found well formed) into o,
 * which has room for 3n bytes: no escape or byte grows more than that. */
static size_t unescape(const uint8_t *s, size_t n, uint8_t *o) {
  size_t w = 0;
  for (size_t r = 0; r < n;) {
    uint8_t c = s[r];
    if (c >= 0x80) {
      size_t k = tr_utf8_seq(s + r, n - r);
      if (!k) { /* Go coerces each byte that starts no rune to U+FFFD */
        w += tr_utf8_put(0xfffd, o + w);
        r++;
      } else {
        memcpy(o + w, s + r, k);
        w += k;
        r += k;
      }
      continue;
    }
    if (c != '\\') {
      o[w++] = c;
      r++;
      continue;
    }
    char e = (char)s[r + 1];
    r += 2;
    switch (e) {
    case 'b': o[w++] = '\b'; break;
    case 'f': o[w++] = '\f'; break;
    case 'n': o[w++] = '\n'; break;
    case 'r': o[w++] = '\r'; break;
    case 't': o[w++] = '\t'; break;
    case 'u': {
      uint32_t u = (uint32_t)hex4(s + r);
      r += 4;
      if (u >= 0xd800 && u < 0xe000) {
        /* A high surrogate takes a low one from the very next escape;
         * anything else is U+FFFD, and that next escape stays unread. */
        int lo = n - r >= 6 && s[r] == '\\' && s[r + 1] == 'u'
                     ? hex4(s + r + 2)
                     : -1;
        if (u < 0xdc00 && lo >= 0xdc00 && lo < 0xe000) {
          u = 0x10000 + ((u - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
          r += 6;
        } else
          u = 0xfffd;
      }
      w += tr_utf8_put(u, o + w);
      break;
    }
    default: /* '"', '\\', '/' */
      o[w++] = (uint8_t)e;
    }
  }
  return w;
}

/* The string at d->pos ('"' there): a view into the input when it has no
 * escape and is valid UTF-8, else a decoded copy in the arena. */
static int j_string(jdec_t *d, const uint8_t **p, size_t *n) {
  size_t start = ++d->pos, i = start;
  bool plain = true;
  for (;;) {
    if (i >= d->len)
      return TR_EJSON;
    uint8_t c = d->in[i];
    if (c == '"')
      break;
    if (c < 0x20)
      return TR_EJSON;
    if (c == '\\') {
      plain = false;
      if (d->len - i < 2)
        return TR_EJSON;
      c = d->in[i + 1];
      if (c == 'u') {
        if (d->len - i < 6 || hex4(d->in + i + 2) < 0)
          return TR_EJSON;
        i += 6;
      } else if (c && strchr("\"\\/bfnrt", c)) {
        i += 2;
      } else
        return TR_EJSON; /* refmt refuses \' and the rest */
    } else if (c >= 0x80) {
      size_t k = tr_utf8_seq(d->in + i, d->len - i);
      plain = plain && k;
      i += k ? k : 1;
    } else
      i++;
  }
  d->pos = i + 1;
  size_t len = i - start;
  if (plain) {
    *p = d->in + start;
    *n = len;
    return 0;
  }
  uint8_t *o = ipld_alloc(d->a, 3 * len);
  if (!o)
    return -ENOMEM;
  *n = unescape(d->in + start, len, o);
  *p = o;
  return 0;
}

static bool digit(const jdec_t *d, size_t i) {
  return i < d->len && d->in[i] >= '0' && d->in[i] <= '9';
}

/* A number as refmt scans it, then parses it as Go's strconv: an integer
 * text through ParseInt (out of range is an error, not a float), anything
 * else through ParseFloat. */
static int j_number(jdec_t *d, ipld_node_t *n) {
  size_t s = d->pos, i = s;
  bool isfloat = false;
  if (d->in[i] == '-')
    i++;
  if (!digit(d, i))
    return TR_EJSON;
  if (d->in[i] == '0')
    i++;
  else
    while (digit(d, i))
      i++;
  if (i < d->len && d->in[i] == '.') {
    /* refmt ends the number at a '.' with no digit after it, and
     * ParseFloat takes "1.": Kubo reads "[1.]" as [1.0]. */
    isfloat = true;
    for (i++; digit(d, i);)
      i++;
  }
  if (i < d->len && (d->in[i] == 'e' || d->in[i] == 'E') &&
      (i == s || d->in[i - 1] != '.')) {
    isfloat = true;
    i++;
    if (i < d->len && (d->in[i] == '+' || d->in[i] == '-'))
      i++;
    if (!digit(d, i))
      return TR_EJSON;
    while (digit(d, i))
      i++;
  }
  d->pos = i;
  if (!isfloat) {
    bool neg = d->in[s] == '-';
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
    for (size_t k = s + neg; k < i; k++) {
      unsigned dg = (unsigned)(d->in[k] - '0');
      if (v > (lim - dg) / 10)
        return TR_EJSON;
      v = v * 10 + dg;
    }
    n->kind = IPLD_INT;
    n->u.i = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
  }
  char small[64], *buf = small;
  if (i - s >= sizeof small && !(buf = tr_malloc(i - s + 1)))
    return -ENOMEM;
  memcpy(buf, d->in + s, i - s);
  buf[i - s] = 0;
  double f = strtod(buf, NULL); /* correctly rounded, as ParseFloat */
  if (buf != small)
    tr_free(buf);
  if (isinf(f))
    return TR_EJSON; /* ParseFloat's ErrRange; underflow to 0 is fine */
  n->kind = IPLD_FLOAT;
  n->u.f = f;
  return 0;
}

static int j_value(jdec_t *d, int depth, ipld_node_t **out);

/* Move the members pushed since base from the stack into the arena. */
static void *j_pop(jdec_t *d, size_t base) {
  size_t n = d->stk.len - base;
  void *v = ipld_alloc(d->a, n);
  if (v && n)
    memcpy(v, d->stk.data + base, n);
  d->stk.len = base;
  return v;
}

/* After a member: ',' (then maybe the close: refmt allows a trailing
 * comma) or the close.  1 when the container ends. */
static int j_next(jdec_t *d, uint8_t close) {
  ws(d);
  if (d->pos >= d->len)
    return TR_EJSON;
  uint8_t c = d->in[d->pos++];
  if (c == close)
    return 1;
  if (c != ',')
    return TR_EJSON;
  ws(d);
  if (d->pos < d->len && d->in[d->pos] == close) {
    d->pos++;
    return 1;
  }
  return 0;
}

static int j_list(jdec_t *d, int depth, ipld_node_t *n) {
  size_t base = d->stk.len;
  int rc = 0;
  d->pos++;
  ws(d);
  if (d->pos < d->len && d->in[d->pos] == ']')
    d->pos++;
  else
    while (rc == 0) {
      ipld_node_t *v;
      if ((rc = j_value(d, depth + 1, &v)) ||
          (rc = tr_bytes_append(&d->stk, &v, sizeof v)))
        return rc;
      rc = j_next(d, ']');
    }
  if (rc < 0)
    return rc;
  n->kind = IPLD_LIST;
  n->u.list.n = (d->stk.len - base) / sizeof(ipld_node_t *);
  return (n->u.list.v = j_pop(d, base)) ? 0 : -ENOMEM;
}

static bool is_key(const ipld_entry_t *e, const char *k) {
  return e->klen == strlen(k) && !memcmp(e->key, k, e->klen);
}

/* base64 as go-ipld-prime reads a dag-json bytes: RawStdEncoding, and on
 * a bad character (a '=' included) StdEncoding; both skip '\r' and '\n'
 * and ignore the low bits of a last partial group. */
static int b64_decode(const uint8_t *s, size_t n, ipld_arena_t *a,
                      ipld_node_t *out) {
  uint8_t *o = ipld_alloc(a, n / 4 * 3 + 3);
  if (!o)
    return -ENOMEM;
  size_t w = 0, got = 0, pad = 0;
  uint32_t acc = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = s[i];
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+'             ? 62
            : c == '/'             ? 63
                                   : -1;
    if (c == '\r' || c == '\n')
      continue;
    if (c == '=') {
      pad++;
      continue;
    }
    if (v < 0 || pad)
      return TR_EJSON;
    acc = acc << 6 | (uint32_t)v;
    if (++got % 4 == 0) {
      o[w++] = (uint8_t)(acc >> 16);
      o[w++] = (uint8_t)(acc >> 8);
      o[w++] = (uint8_t)acc;
      acc = 0;
    }
  }
  size_t rem = got % 4;
  if (rem == 1 || (pad && (rem < 2 || rem + pad != 4)))
    return TR_EJSON;
  if (rem == 2)
    o[w++] = (uint8_t)(acc >> 4);
  if (rem == 3) {
    o[w++] = (uint8_t)(acc >> 10);
    o[w++] = (uint8_t)(acc >> 2);
  }
  out->kind = IPLD_BYTES;
  out->u.s.p = o;
  out->u.s.n = w;
  return 0;
}

/* dag-json's two special maps, checked once the map is read: exactly
 * {"/": string} and {"/": {"bytes": string}} (go-ipld-prime looks ahead
 * for the same token sequences). */
static int j_special(jdec_t *d, ipld_node_t *n) {
  if (n->u.map.n != 1 || !is_key(&n->u.map.v[0], "/"))
    return 0;
  const ipld_node_t *v = n->u.map.v[0].val;
  if (v->kind == IPLD_STRING) {
    if (dag_cid_parse(&n->u.link, (const char *)v->u.s.p, v->u.s.n))
      return TR_ECID;
    n->kind = IPLD_LINK;
    return 0;
  }
  if (v->kind == IPLD_MAP && v->u.map.n == 1 &&
      is_key(&v->u.map.v[0], "bytes") &&
      v->u.map.v[0].val->kind == IPLD_STRING) {
    const ipld_node_t *s = v->u.map.v[0].val;
    return b64_decode(s->u.s.p, s->u.s.n, d->a, n);
  }
  return 0;
}

static int j_map(jdec_t *d, int depth, ipld_node_t *n) {
  size_t base = d->stk.len;
  int rc = 0;
  d->pos++;
  ws(d);
  if (d->pos < d->len && d->in[d->pos] == '}')
    d->pos++;
  else
    while (rc == 0) {
      ipld_entry_t e;
      const uint8_t *k;
      ws(d);
      if (d->pos >= d->len || d->in[d->pos] != '"')
        return TR_EJSON; /* keys are strings */
      if ((rc = j_string(d, &k, &e.klen)))
        return rc;
      e.key = (const char *)k;
      ws(d);
      if (d->pos >= d->len || d->in[d->pos++] != ':')
        return TR_EJSON;
      if ((rc = j_value(d, depth + 1, &e.val)) ||
          (rc = tr_bytes_append(&d->stk, &e, sizeof e)))
        return rc;
      rc = j_next(d, '}');
    }
  if (rc < 0)
    return rc;
  n->kind = IPLD_MAP;
  n->u.map.n = (d->stk.len - base) / sizeof(ipld_entry_t);
  if (!(n->u.map.v = j_pop(d, base)))
    return -ENOMEM;
  int dup = ipld__has_dup(n->u.map.v, n->u.map.n);
  if (dup)
    return dup < 0 ? dup : TR_EJSON; /* "cannot repeat map key" */
  return d->dag ? j_special(d, n) : 0;
}

static int j_value(jdec_t *d, int depth, ipld_node_t **out) {
  static const char *const lits[] = {"null", "true", "false"};
  ws(d);
  if (d->pos >= d->len)
    return TR_EJSON;
  ipld_node_t *n = *out = ipld_new(d->a, IPLD_NULL);
  if (!n)
    return -ENOMEM;
  uint8_t c = d->in[d->pos];
  if ((c == '{' || c == '[') && depth >= IPLD_MAX_DEPTH)
    return TR_EJSON;
  if (c == '{')
    return j_map(d, depth, n);
  if (c == '[')
    return j_list(d, depth, n);
  if (c == '"') {
    n->kind = IPLD_STRING;
    return j_string(d, &n->u.s.p, &n->u.s.n);
  }
  if (c == '-' || (c >= '0' && c <= '9'))
    return j_number(d, n);
  for (int i = 0; i < 3; i++) {
    size_t l = strlen(lits[i]);
    if (d->len - d->pos >= l && !memcmp(d->in + d->pos, lits[i], l)) {
      d->pos += l;
      n->kind = i ? IPLD_BOOL : IPLD_NULL;
      n->u.b = i == 1;
      return 0;
    }
  }
  return TR_EJSON;
}

int ipld__json_decode(const uint8_t *in, size_t len, bool dag,
                      ipld_arena_t *a, ipld_node_t **out) {
  jdec_t d = {in, len, 0, a, dag, {0}};
  int rc = j_value(&d, 0, out);
  tr_bytes_free(&d.stk);
  if (rc)
    return rc;
  /* go-ipld-prime lets whitespace and NUL bytes trail the value.  (Kubo
   * also lets any one byte follow a number at the top level, "1x", because
   * refmt reads it ahead and drops it; trove does not copy that bug.) */
  while (d.pos < len && (in[d.pos] == ' ' || in[d.pos] == '\t' ||
                         in[d.pos] == '\n' || in[d.pos] == '\r' ||
                         in[d.pos] == 0))
    d.pos++;
  return d.pos == len ? 0 : TR_EJSON;
}

/* ----------------------------------------------------------- writing */

static int put(tr_bytes_t *out, const char *s) {
  return tr_bytes_append(out, s, strlen(s));
}

/* A JSON string as refmt's emitString writes it. */
static int put_string(tr_bytes_t *out, const uint8_t *s, size_t n) {
  int rc = put(out, "\"");
  size_t start = 0;
  for (size_t i = 0; i < n && rc == 0;) {
    uint8_t c = s[i];
    char esc[8];
    size_t k = 1;
    if (c < 0x80) {
      if (c >= 0x20 && c != '"' && c != '\\') {
        i++;
        continue;
      }
      if (c == '"' || c == '\\')
        snprintf(esc, sizeof esc, "\\%c", c);
      else if (c == '\n' || c == '\r' || c == '\t')
        snprintf(esc, sizeof esc, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
      else
        snprintf(esc, sizeof esc, "\\u%04x", c);
    } else if (!(k = tr_utf8_seq(s + i, n - i))) {
      k = 1;
      strcpy(esc, "\\ufffd");
    } else if (k == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
               (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
      strcpy(esc, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
    } else {
      i += k;
      continue;
    }
    if ((rc = tr_bytes_append(out, s + start, i - start)) == 0)
      rc = put(out, esc);
    i += k;
    start = i;
  }
  if (rc == 0)
    rc = tr_bytes_append(out, s + start, n - start);
  return rc ? rc : put(out, "\"");
}

/* The shortest decimal digits that read back as x (> 0, finite), and the
 * exponent of the first: x ~ 0.d1d2... * 10^(*e10 + 1).  printf gives the
 * nearest p-digit decimal; at a power of two the gap above x is twice the
 * gap below, so when that nearest one lies below and misses, the next one
 * up may still read back, and Go's shortest formatting would take it. */
static size_t shortest(double x, char dig[24], int *e10) {
  char buf[40];
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, sizeof buf, "%.*e", p - 1, x);
    char *e = strchr(buf, 'e');
    size_t nd = 0;
    for (char *q = buf; q < e; q++)
      if (*q != '.')
        dig[nd++] = *q;
    *e10 = atoi(e + 1);
    if (strtod(buf, NULL) == x)
      return nd;
    if (strtod(buf, NULL) < x) {
      /* One unit up in the last digit, carrying. */
      size_t k = nd;
      while (k > 0 && dig[k - 1] == '9')
        dig[--k] = '0';
      if (k == 0) {
        memmove(dig + 1, dig, nd - 1);
        dig[0] = '1';
        (*e10)++;
      } else
        dig[k - 1]++;
      snprintf(buf, sizeof buf, "%c.%.*se%d", dig[0], (int)nd - 1, dig + 1,
               *e10);
      if (nd == 1)
        snprintf(buf, sizeof buf, "%ce%d", dig[0], *e10);
      if (strtod(buf, NULL) == x)
        return nd;
    }
  }
  return 0; /* not reached: 17 digits always read back */
}

/* refmt's emitFloat: strconv.FormatFloat(x, 'f' or 'e', -1, 64), 'e' for
 * |x| < 1e-6 or >= 1e21, with "e-07" cleaned to "e-7". */
static int put_float(tr_bytes_t *out, double x) {
  char s[400];
  size_t o = 0;
  if (signbit(x))
    s[o++] = '-';
  x = fabs(x);
  if (x == 0) {
    s[o++] = '0';
    return tr_bytes_append(out, s, o);
  }
  char dig[24];
  int e;
  size_t nd = shortest(x, dig, &e);
  while (nd > 1 && dig[nd - 1] == '0')
    nd--; /* printf's nearest may end in zeros; shortest form does not */
  if (x < 1e-6 || x >= 1e21) {
    s[o++] = dig[0];
    if (nd > 1) {
      s[o++] = '.';
      memcpy(s + o, dig + 1, nd - 1);
      o += nd - 1;
    }
    /* Go writes at least two exponent digits and refmt cleans "e-07" to
     * "e-7"; a positive exponent is 21 or more here, so no padding is
     * ever left. */
    o += (size_t)snprintf(s + o, sizeof s - o, "e%c%d", e < 0 ? '-' : '+',
                          e < 0 ? -e : e);
    return tr_bytes_append(out, s, o);
  }
  if (e >= 0) { /* digits, zeros up to the point, then the rest */
    for (int i = 0; i <= e; i++)
      s[o++] = (size_t)i < nd ? dig[i] : '0';
    if (nd > (size_t)e + 1) {
      s[o++] = '.';
      memcpy(s + o, dig + e + 1, nd - (size_t)e - 1);
      o += nd - (size_t)e - 1;
    }
  } else {
    s[o++] = '0';
    s[o++] = '.';
    for (int i = -1; i > e; i--)
      s[o++] = '0';
    memcpy(s + o, dig, nd);
    o += nd;
  }
  return tr_bytes_append(out, s, o);
}

static int indent(tr_bytes_t *out, bool pretty, int depth) {
  int rc = 0;
  if (pretty) {
    rc = put(out, "\n");
    for (int i = 0; i < depth && rc == 0; i++)
      rc = put(out, "\t");
  }
  return rc;
}

static int j_enc(const ipld_node_t *n, bool dag, int depth, tr_bytes_t *out);

static int j_enc_map(const ipld_node_t *n, bool dag, int depth,
                     tr_bytes_t *out) {
  size_t cnt = n->u.map.n;
  const ipld_entry_t **s = NULL;
  int rc = put(out, "{");
  if (rc || !cnt)
    return rc ? rc : put(out, "}");
  if (dag && !(s = ipld__sorted(n->u.map.v, cnt, ipld__key_cmp_bytes)))
    return -ENOMEM;
  for (size_t i = 0; i < cnt && rc == 0; i++) {
    const ipld_entry_t *e = s ? s[i] : &n->u.map.v[i];
    if ((i && (rc = put(out, ","))) || (rc = indent(out, !dag, depth + 1)) ||
        (rc = put_string(out, (const uint8_t *)e->key, e->klen)) ||
        (rc = put(out, dag ? ":" : ": ")))
      break;
    rc = j_enc(e->val, dag, depth + 1, out);
  }
  tr_free(s);
  if (rc == 0)
    rc = indent(out, !dag, depth);
  return rc ? rc : put(out, "}");
}

static int j_enc(const ipld_node_t *n, bool dag, int depth, tr_bytes_t *out) {
  char num[32];
  int rc = 0;
  if (depth > IPLD_MAX_DEPTH)
    return TR_ECODEC;
  switch (n->kind) {
  case IPLD_NULL:
    return put(out, "null");
  case IPLD_BOOL:
    return put(out, n->u.b ? "true" : "false");
  case IPLD_INT:
    if (n->big)
      return TR_ECODEC; /* Kubo: "unsigned integer out of range" */
    snprintf(num, sizeof num, "%" PRId64, n->u.i);
    return put(out, num);
  case IPLD_FLOAT:
    if (isnan(n->u.f) || isinf(n->u.f))
      return TR_ECODEC;
    return put_float(out, n->u.f);
  case IPLD_STRING:
    return put_string(out, n->u.s.p, n->u.s.n);
  case IPLD_BYTES: {
    if (!dag)
      return TR_ECODEC;
    size_t cap = DAG_MB_ENCODED_MAX(n->u.s.n);
    if ((rc = put(out, "{\"/\":{\"bytes\":\"")) ||
        (rc = tr_bytes_reserve(out, cap)))
      return rc;
    char *at = (char *)out->data + out->len;
    int w = dag_mb_encode(DAG_MB_BASE64, n->u.s.p, n->u.s.n, at, cap);
    if (w < 1)
      return TR_ECODEC;
    memmove(at, at + 1, (size_t)w - 1); /* drop the multibase prefix */
    out->len += (size_t)w - 1;
    return put(out, "\"}}");
  }
  case IPLD_LINK: {
    char cid[DAG_CID_STR_MAX];
    if (!dag || dag_cid_format(&n->u.link, 0, cid, sizeof cid) < 0)
      return TR_ECODEC;
    if ((rc = put(out, "{\"/\":\"")) || (rc = put(out, cid)))
      return rc;
    return put(out, "\"}");
  }
  case IPLD_LIST:
    if ((rc = put(out, "[")))
      return rc;
    for (size_t i = 0; i < n->u.list.n && rc == 0; i++)
      if (!(i && (rc = put(out, ","))) &&
          !(rc = indent(out, !dag, depth + 1)))
        rc = j_enc(n->u.list.v[i], dag, depth + 1, out);
    if (rc == 0 && n->u.list.n)
      rc = indent(out, !dag, depth);
    return rc ? rc : put(out, "]");
  case IPLD_MAP:
    return j_enc_map(n, dag, depth, out);
  }
  return TR_ECODEC;
}

int ipld__json_encode(const ipld_node_t *n, bool dag, tr_bytes_t *out) {
  int rc = j_enc(n, dag, 0, out);
  /* refmt ends json's (not dag-json's) top-level map or list with a
   * newline. */
  if (rc == 0 && !dag && (n->kind == IPLD_LIST || n->kind == IPLD_MAP))
    rc = put(out, "\n");
  return rc;
}

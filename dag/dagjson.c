/*
 * dagjson.c — strict JSON scanning, pathing inside DAG-JSON and DAG-CBOR
 * blocks, and DAG-CBOR rendered as DAG-JSON text; see dagjson.h.
 */
#include "dagjson.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cbor.h"
#include "multibase.h"

/* ---------------------------------------------------------- scanning */

static void ws(const uint8_t *in, size_t len, size_t *pos) {
  while (*pos < len && (in[*pos] == ' ' || in[*pos] == '\t' ||
                        in[*pos] == '\n' || in[*pos] == '\r'))
    (*pos)++;
}

/* Scan the string at in[*pos] ('"' expected).  With out, decode it into
 * out[0..cap) (UTF-8, NUL-terminated when it fits); *fits tells whether it
 * did.  Surrogate pairs are decoded; a lone surrogate becomes U+FFFD. */
static int string(const uint8_t *in, size_t len, size_t *pos, char *out,
                  size_t cap, bool *fits) {
  size_t o = 0;
  bool ok = true;
  if (*pos >= len || in[*pos] != '"')
    return TR_EJSON;
  (*pos)++;
  for (;;) {
    if (*pos >= len)
      return TR_EJSON;
    uint8_t c = in[(*pos)++];
    uint8_t enc[4];
    size_t n = 1;
    enc[0] = c;
    if (c == '"')
      break;
    if (c < 0x20)
      return TR_EJSON;
    if (c == '\\') {
      if (*pos >= len)
        return TR_EJSON;
      c = in[(*pos)++];
      switch (c) {
      case '"': case '\\': case '/': enc[0] = c; break;
      case 'b': enc[0] = '\b'; break;
      case 'f': enc[0] = '\f'; break;
      case 'n': enc[0] = '\n'; break;
      case 'r': enc[0] = '\r'; break;
      case 't': enc[0] = '\t'; break;
      case 'u': {
        uint32_t u = 0;
        for (int k = 0; k < 4; k++) {
          int h = *pos < len ? tr_hexval(in[(*pos)++]) : -1;
          if (h < 0)
            return TR_EJSON;
          u = u << 4 | (uint32_t)h;
        }
        if (u >= 0xd800 && u < 0xdc00 && len - *pos >= 6 && in[*pos] == '\\' &&
            in[*pos + 1] == 'u') {
          uint32_t lo = 0;
          bool hex = true;
          for (int k = 0; k < 4; k++) {
            int h = tr_hexval(in[*pos + 2 + (size_t)k]);
            hex = hex && h >= 0;
            lo = lo << 4 | (uint32_t)(h < 0 ? 0 : h);
          }
          if (hex && lo >= 0xdc00 && lo < 0xe000) {
            u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            *pos += 6;
          }
        }
        if (u >= 0xd800 && u < 0xe000)
          u = 0xfffd;
        if (u < 0x80) {
          enc[0] = (uint8_t)u;
        } else if (u < 0x800) {
          enc[0] = (uint8_t)(0xc0 | u >> 6);
          enc[1] = (uint8_t)(0x80 | (u & 0x3f));
          n = 2;
        } else if (u < 0x10000) {
          enc[0] = (uint8_t)(0xe0 | u >> 12);
          enc[1] = (uint8_t)(0x80 | ((u >> 6) & 0x3f));
          enc[2] = (uint8_t)(0x80 | (u & 0x3f));
          n = 3;
        } else {
          enc[0] = (uint8_t)(0xf0 | u >> 18);
          enc[1] = (uint8_t)(0x80 | ((u >> 12) & 0x3f));
          enc[2] = (uint8_t)(0x80 | ((u >> 6) & 0x3f));
          enc[3] = (uint8_t)(0x80 | (u & 0x3f));
          n = 4;
        }
        break;
      }
      default:
        return TR_EJSON;
      }
    }
    if (out && ok) {
      if (cap - o <= n)
        ok = false;
      else {
        memcpy(out + o, enc, n);
        o += n;
      }
    }
  }
  if (out && ok)
    out[o] = 0;
  if (fits)
    *fits = ok;
  return 0;
}

static int number(const uint8_t *in, size_t len, size_t *pos) {
  size_t p = *pos;
  if (p < len && in[p] == '-')
    p++;
  if (p >= len || in[p] < '0' || in[p] > '9')
    return TR_EJSON;
  if (in[p] == '0')
    p++;
  else
    while (p < len && in[p] >= '0' && in[p] <= '9')
      p++;
  if (p < len && in[p] == '.') {
    p++;
    if (p >= len || in[p] < '0' || in[p] > '9')
      return TR_EJSON;
    while (p < len && in[p] >= '0' && in[p] <= '9')
      p++;
  }
  if (p < len && (in[p] == 'e' || in[p] == 'E')) {
    p++;
    if (p < len && (in[p] == '+' || in[p] == '-'))
      p++;
    if (p >= len || in[p] < '0' || in[p] > '9')
      return TR_EJSON;
    while (p < len && in[p] >= '0' && in[p] <= '9')
      p++;
  }
  *pos = p;
  return 0;
}

/* Skip the value at in[*pos] (whitespace before it skipped too). */
static int skip(const uint8_t *in, size_t len, size_t *pos, int depth) {
  if (depth > DAG_JSON_MAX_DEPTH)
    return TR_EJSON;
  ws(in, len, pos);
  if (*pos >= len)
    return TR_EJSON;
  uint8_t c = in[*pos];
  int rc;
  if (c == '"')
    return string(in, len, pos, NULL, 0, NULL);
  if (c == '{' || c == '[') {
    uint8_t close = c == '{' ? '}' : ']';
    (*pos)++;
    ws(in, len, pos);
    if (*pos < len && in[*pos] == close) {
      (*pos)++;
      return 0;
    }
    for (;;) {
      if (c == '{') {
        ws(in, len, pos);
        if ((rc = string(in, len, pos, NULL, 0, NULL)))
          return rc;
        ws(in, len, pos);
        if (*pos >= len || in[(*pos)++] != ':')
          return TR_EJSON;
      }
      if ((rc = skip(in, len, pos, depth + 1)))
        return rc;
      ws(in, len, pos);
      if (*pos >= len)
        return TR_EJSON;
      uint8_t d = in[(*pos)++];
      if (d == close)
        return 0;
      if (d != ',')
        return TR_EJSON;
    }
  }
  static const char *const lits[] = {"true", "false", "null"};
  for (size_t i = 0; i < 3; i++) {
    size_t l = strlen(lits[i]);
    if (len - *pos >= l && !memcmp(in + *pos, lits[i], l)) {
      *pos += l;
      return 0;
    }
  }
  return number(in, len, pos);
}

bool dag_json_valid(const uint8_t *in, size_t len) {
  size_t pos = 0;
  if (skip(in, len, &pos, 0))
    return false;
  ws(in, len, &pos);
  return pos == len;
}

/* ------------------------------------------------------------ pathing */

/* Is the value at in[pos] a link, {"/": "cid"} and nothing else? */
static int json_link(const uint8_t *in, size_t len, size_t pos,
                     dag_cid_t *cid) {
  ws(in, len, &pos);
  if (pos >= len || in[pos] != '{')
    return 0;
  pos++;
  ws(in, len, &pos);
  char key[2];
  bool fits;
  if (pos >= len || in[pos] != '"' ||
      string(in, len, &pos, key, sizeof key, &fits) || !fits ||
      strcmp(key, "/"))
    return 0;
  ws(in, len, &pos);
  if (pos >= len || in[pos++] != ':')
    return 0;
  ws(in, len, &pos);
  char str[DAG_CID_STR_MAX];
  if (pos >= len || in[pos] != '"' ||
      string(in, len, &pos, str, sizeof str, &fits))
    return 0;
  ws(in, len, &pos);
  if (pos >= len || in[pos] != '}')
    return 0;
  if (!fits || dag_cid_parse(cid, str, strlen(str)))
    return TR_ECID;
  return 1;
}

/* A list index: decimal digits, no leading zero, below 2^32. */
static bool index_of(const char *s, uint64_t *i) {
  size_t n = strlen(s);
  if (!n || n > 10 || (n > 1 && s[0] == '0'))
    return false;
  *i = 0;
  for (size_t k = 0; k < n; k++) {
    if (s[k] < '0' || s[k] > '9')
      return false;
    *i = *i * 10 + (uint64_t)(s[k] - '0');
  }
  return true;
}

/* Move *pos from the container at in[*pos] to its member named seg. */
static int json_child(const uint8_t *in, size_t len, size_t *pos,
                      const char *seg) {
  ws(in, len, pos);
  if (*pos >= len)
    return TR_EJSON;
  uint8_t c = in[*pos];
  uint64_t want = 0;
  if (c != '{' && (c != '[' || !index_of(seg, &want)))
    return TR_EPATH; /* a scalar, or a list and a name that is no index */
  uint8_t close = c == '{' ? '}' : ']';
  (*pos)++;
  ws(in, len, pos);
  if (*pos < len && in[*pos] == close)
    return TR_EPATH;
  size_t segl = strlen(seg);
  char *key = NULL;
  char small[256];
  if (c == '{') /* a key longer than seg cannot match: stop decoding there */
    key = segl + 2 <= sizeof small ? small : NULL;
  for (uint64_t i = 0;; i++) {
    int rc;
    bool match = false;
    if (c == '{') {
      ws(in, len, pos);
      bool fits = false;
      char *buf = key ? key : tr_malloc(segl + 2);
      if (!buf)
        return -ENOMEM;
      rc = string(in, len, pos, buf, segl + 2, &fits);
      match = rc == 0 && fits && !strcmp(buf, seg);
      if (buf != key)
        tr_free(buf);
      if (rc)
        return rc;
      ws(in, len, pos);
      if (*pos >= len || in[(*pos)++] != ':')
        return TR_EJSON;
    } else
      match = i == want;
    if (match) {
      ws(in, len, pos);
      return 0;
    }
    if ((rc = skip(in, len, pos, 1)))
      return rc;
    ws(in, len, pos);
    if (*pos >= len)
      return TR_EJSON;
    uint8_t d = in[(*pos)++];
    if (d == close)
      return TR_EPATH;
    if (d != ',')
      return TR_EJSON;
  }
}

int dag_json_path(const uint8_t *in, size_t len, char *const *segs,
                  size_t nseg, size_t *used, dag_cid_t *link) {
  size_t pos = 0;
  for (size_t i = 0; i < nseg; i++) {
    int rc = json_child(in, len, &pos, segs[i]);
    if (rc)
      return rc;
    if ((rc = json_link(in, len, pos, link)) != 0) {
      if (rc < 0)
        return rc;
      *used = i + 1;
      return 0;
    }
  }
  return TR_EPATHREM;
}

/* Is the CBOR item at in[pos] a link (tag 42)?  Sets *cid. */
static int cbor_link(const uint8_t *in, size_t len, size_t pos,
                     dag_cid_t *cid) {
  int major, rc;
  uint64_t arg;
  if ((rc = dag_cbor_head(in, len, &pos, &major, &arg)))
    return rc == TR_ETRUNC ? TR_ECBOR : rc;
  if (major != 6 || arg != 42)
    return 0;
  uint64_t blen;
  if ((rc = dag_cbor_head(in, len, &pos, &major, &blen)))
    return TR_ECBOR;
  if (major != 2 || blen < 2 || blen > len - pos || in[pos] != 0)
    return TR_ECBOR;
  rc = dag_cid_decode(cid, in + pos + 1, (size_t)blen - 1);
  if (rc < 0 || (uint64_t)rc != blen - 1)
    return TR_ECID;
  return 1;
}

static int cbor_child(const uint8_t *in, size_t len, size_t *pos,
                      const char *seg) {
  int major, rc;
  uint64_t n, want = 0;
  if ((rc = dag_cbor_head(in, len, pos, &major, &n)))
    return TR_ECBOR;
  if (major == 4) {
    if (!index_of(seg, &want) || want >= n)
      return TR_EPATH;
    for (uint64_t i = 0; i < want; i++)
      if ((rc = dag_cbor_skip(in, len, pos)))
        return TR_ECBOR;
    return 0;
  }
  if (major != 5)
    return TR_EPATH;
  size_t segl = strlen(seg);
  for (uint64_t i = 0; i < n; i++) {
    uint64_t kl;
    if (dag_cbor_head(in, len, pos, &major, &kl) || major != 3 ||
        kl > len - *pos)
      return TR_ECBOR;
    bool match = kl == segl && !memcmp(in + *pos, seg, segl);
    *pos += (size_t)kl;
    if (match)
      return 0;
    if (dag_cbor_skip(in, len, pos))
      return TR_ECBOR;
  }
  return TR_EPATH;
}

int dag_cbor_path(const uint8_t *in, size_t len, char *const *segs,
                  size_t nseg, size_t *used, dag_cid_t *link) {
  size_t pos = 0;
  for (size_t i = 0; i < nseg; i++) {
    int rc = cbor_child(in, len, &pos, segs[i]);
    if (rc)
      return rc;
    if ((rc = cbor_link(in, len, pos, link)) != 0) {
      if (rc < 0)
        return rc;
      *used = i + 1;
      return 0;
    }
  }
  return TR_EPATHREM;
}

/* ---------------------------------------------------- CBOR as DAG-JSON */

static int put(tr_bytes_t *out, const char *s) {
  return tr_bytes_append(out, s, strlen(s));
}

static int put_json_string(tr_bytes_t *out, const uint8_t *p, size_t n) {
  int rc = put(out, "\"");
  for (size_t i = 0; i < n && rc == 0; i++) {
    char e[8];
    if (p[i] == '"' || p[i] == '\\') {
      e[0] = '\\';
      e[1] = (char)p[i];
      e[2] = 0;
    } else if (p[i] < 0x20)
      snprintf(e, sizeof e, "\\u%04x", p[i]);
    else {
      e[0] = (char)p[i];
      e[1] = 0;
    }
    rc = put(out, e);
  }
  return rc ? rc : put(out, "\"");
}

static int to_json(const uint8_t *in, size_t len, size_t *pos, int depth,
                   tr_bytes_t *out) {
  if (depth > DAG_CBOR_MAX_DEPTH || *pos >= len)
    return TR_ECBOR;
  size_t at = *pos;
  int info = in[*pos] & 31, major, rc;
  uint64_t arg;
  char num[40];
  if (dag_cbor_head(in, len, pos, &major, &arg))
    return TR_ECBOR;
  switch (major) {
  case 0:
    snprintf(num, sizeof num, "%llu", (unsigned long long)arg);
    return put(out, num);
  case 1:
    if (arg == UINT64_MAX)
      return put(out, "-18446744073709551616");
    snprintf(num, sizeof num, "-%llu", (unsigned long long)arg + 1);
    return put(out, num);
  case 2: {
    if (arg > len - *pos)
      return TR_ECBOR;
    size_t cap = DAG_MB_ENCODED_MAX(arg);
    char *b = tr_malloc(cap);
    if (!b)
      return -ENOMEM;
    int n = dag_mb_encode('m', in + *pos, (size_t)arg, b, cap);
    *pos += (size_t)arg;
    rc = n < 0 ? n : put(out, "{\"/\":{\"bytes\":\"");
    if (rc == 0 && (rc = tr_bytes_append(out, b + 1, (size_t)n - 1)) == 0)
      rc = put(out, "\"}}");
    tr_free(b);
    return rc;
  }
  case 3:
    if (arg > len - *pos)
      return TR_ECBOR;
    *pos += (size_t)arg;
    return put_json_string(out, in + *pos - arg, (size_t)arg);
  case 4:
  case 5: {
    if (arg > len - *pos)
      return TR_ECBOR; /* every item takes a byte at least */
    if ((rc = put(out, major == 4 ? "[" : "{")))
      return rc;
    for (uint64_t i = 0; i < arg; i++) {
      if (i && (rc = put(out, ",")))
        return rc;
      if (major == 5) {
        if (*pos >= len || in[*pos] >> 5 != 3)
          return TR_ECBOR;
        if ((rc = to_json(in, len, pos, depth + 1, out)) || (rc = put(out, ":")))
          return rc;
      }
      if ((rc = to_json(in, len, pos, depth + 1, out)))
        return rc;
    }
    return put(out, major == 4 ? "]" : "}");
  }
  case 6: {
    dag_cid_t cid;
    if (cbor_link(in, len, at, &cid) != 1)
      return TR_ECBOR;
    *pos = at;
    if (dag_cbor_skip(in, len, pos))
      return TR_ECBOR;
    char s[DAG_CID_STR_MAX];
    if ((rc = put(out, "{\"/\":\"")) || (rc = put(out, dag_cid_str(&cid, s))))
      return rc;
    return put(out, "\"}");
  }
  default:
    if (info == 20)
      return put(out, "false");
    if (info == 21)
      return put(out, "true");
    if (info == 22)
      return put(out, "null");
    if (info >= 25 && info <= 27) {
      double d = dag_cbor_float(info, arg);
      if (d != d || d - d != 0)
        return TR_ECBOR; /* NaN and infinities have no DAG-JSON form */
      snprintf(num, sizeof num, "%.17g", d);
      return put(out, num);
    }
    return TR_ECBOR;
  }
}

int dag_cbor_to_json(const uint8_t *in, size_t len, tr_bytes_t *out) {
  size_t pos = 0;
  int rc = to_json(in, len, &pos, 0, out);
  if (rc == 0 && pos != len)
    rc = TR_ECBOR;
  return rc;
}

/*
 * cbor.c — strict DAG-CBOR walking for links, and the small deterministic
 * encoder; see cbor.h.
 */
#include "cbor.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <string.h>

int dag_cbor_head(const uint8_t *in, size_t len, size_t *pos, int *major,
                  uint64_t *arg) {
  if (*pos >= len)
    return TR_ETRUNC;
  uint8_t b = in[(*pos)++];
  *major = b >> 5;
  uint8_t info = b & 31;
  if (info < 24) {
    *arg = info;
    return 0;
  }
  if (info > 27)
    return TR_ECBOR; /* indefinite lengths and reserved values */
  size_t n = (size_t)1 << (info - 24);
  if (len - *pos < n)
    return TR_ETRUNC;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)
    v = (v << 8) | in[(*pos)++];
  *arg = v;
  return 0;
}

static int walk(const uint8_t *in, size_t len, size_t *pos, int depth,
                dag_cbor_link_cb cb, void *ud) {
  if (depth > DAG_CBOR_MAX_DEPTH)
    return TR_ECBOR;
  int major, rc;
  uint64_t arg;
  if ((rc = dag_cbor_head(in, len, pos, &major, &arg)))
    return rc;
  switch (major) {
  case 0:
  case 1:
    return 0;
  case 2:
  case 3:
    if (arg > len - *pos)
      return TR_ETRUNC;
    *pos += (size_t)arg;
    return 0;
  case 4:
  case 5: {
    /* Each element needs at least one byte: reject counts the input cannot
     * hold before looping over them. */
    uint64_t items = major == 5 ? arg * 2 : arg;
    if (arg > len || items > len - *pos)
      return TR_ETRUNC;
    for (uint64_t i = 0; i < items; i++)
      if ((rc = walk(in, len, pos, depth + 1, cb, ud)))
        return rc;
    return 0;
  }
  case 6: {
    /* Kubo's rules (refmt's; ipld.c's decoder keeps them too): one tag at
     * most; on a byte string it must be 42, a link; on anything else it is
     * dropped, and the item is walked as if untagged. */
    size_t at = *pos;
    int m2;
    uint64_t blen;
    if ((rc = dag_cbor_head(in, len, pos, &m2, &blen)))
      return rc;
    if (m2 == 6)
      return TR_ECBOR;
    if (m2 != 2) {
      *pos = at;
      return walk(in, len, pos, depth, cb, ud); /* not a tag: no loop */
    }
    if (arg != 42 || blen < 2 || blen > len - *pos || in[*pos] != 0)
      return TR_ECBOR;
    dag_cid_t cid;
    rc = dag_cid_decode(&cid, in + *pos + 1, (size_t)blen - 1);
    if (rc < 0 || (uint64_t)rc != blen - 1)
      return TR_ECBOR;
    *pos += (size_t)blen;
    return cb ? cb(&cid, ud) : 0;
  }
  default: /* 7: simple values and floats; the header held the payload */
    return 0;
  }
}

int dag_cbor_skip(const uint8_t *in, size_t len, size_t *pos) {
  return walk(in, len, pos, 0, NULL, NULL);
}

int dag_cbor_links(const uint8_t *in, size_t len, dag_cbor_link_cb cb,
                   void *ud) {
  size_t pos = 0;
  int rc = walk(in, len, &pos, 0, cb, ud);
  if (rc)
    return rc == TR_ETRUNC ? TR_ECBOR : rc;
  return pos == len ? 0 : TR_ECBOR;
}

/* ---------------------------------------------------------- encoding */

int dag_cbor_put_head(tr_bytes_t *out, int major, uint64_t arg) {
  uint8_t b[9];
  size_t n;
  assert(major >= 0 && major <= 7);
  uint8_t m = (uint8_t)((major & 7) << 5);
  if (arg < 24) {
    b[0] = (uint8_t)(m | arg);
    n = 1;
  } else {
    /* 24..27: 1, 2, 4 or 8 bytes of argument, the fewest that hold it. */
    int info = arg <= 0xff          ? 24
               : arg <= 0xffff      ? 25
               : arg <= 0xffffffffu ? 26
                                    : 27;
    size_t w = (size_t)1 << (info - 24);
    b[0] = (uint8_t)(m | info);
    for (size_t i = 0; i < w; i++)
      b[1 + i] = (uint8_t)(arg >> (8 * (w - 1 - i)));
    n = 1 + w;
  }
  return tr_bytes_append(out, b, n);
}

int dag_cbor_put_int(tr_bytes_t *out, int64_t v) {
  if (v >= 0)
    return dag_cbor_put_head(out, 0, (uint64_t)v);
  /* -1 - v without overflow, INT64_MIN included. */
  return dag_cbor_put_head(out, 1, ~(uint64_t)v);
}

static int put_string(tr_bytes_t *out, int major, const void *p, size_t n) {
  size_t len = out->len;
  int rc = dag_cbor_put_head(out, major, n);
  if (rc == 0 && n && (rc = tr_bytes_append(out, p, n)))
    out->len = len; /* the head alone would leave out malformed */
  return rc;
}

int dag_cbor_put_bytes(tr_bytes_t *out, const void *p, size_t n) {
  return put_string(out, 2, p, n);
}

int dag_cbor_put_text(tr_bytes_t *out, const char *s, size_t n) {
  return put_string(out, 3, s, n);
}

int dag_cbor_key_cmp(const char *a, size_t alen, const char *b, size_t blen) {
  if (alen != blen)
    return alen < blen ? -1 : 1;
  return alen ? memcmp(a, b, alen) : 0;
}

double dag_cbor_float(int info, uint64_t arg) {
  if (info == 25) { /* IEEE 754 half precision */
    uint16_t h = (uint16_t)arg;
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v = e == 0    ? ldexp(m, -24)
               : e == 31 ? (m ? NAN : INFINITY)
                         : ldexp(1024 + m, e - 25);
    return h & 0x8000 ? -v : v;
  }
  if (info == 26) {
    uint32_t u = (uint32_t)arg;
    float g;
    memcpy(&g, &u, sizeof g);
    return g;
  }
  double f;
  memcpy(&f, &arg, sizeof f);
  return f;
}

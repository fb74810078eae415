/*
 * cidfmt.c — a CID written after a printf-style format, as go-cidutil's
 * Format writes it, and converted (version, codec, base) as Kubo's `ipfs
 * cid format` and `cid base32` convert it, for the CLI and the API alike.
 * Pure computation.
 */
#include "cid.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int puts_(tr_bytes_t *out, const char *s) {
  return tr_bytes_append(out, s, strlen(s));
}

/* in[0..n) in base, its prefix kept or not: go-cidutil strips one byte,
 * which leaves three of base256emoji's four. */
static int put_base(tr_bytes_t *out, char base, const uint8_t *in, size_t n,
                    bool strip) {
  char s[DAG_MB_ENCODED_MAX_ANY(DAG_CID_MAX)];
  int k = dag_mb_encode(base, in, n, s, sizeof s);
  if (k < 0)
    return k;
  return tr_bytes_append(out, s + (strip ? 1 : 0), (size_t)k - strip);
}

int dag_cid_fmt(const char *fmt, char base, const dag_cid_t *cid,
                tr_bytes_t *out, char *err, size_t errsize) {
  size_t mhl, dl;
  const uint8_t *mh = dag_cid_mh(cid, &mhl), *dig;
  uint64_t code;
  if (dag_mh_parse(mh, mhl, &code, &dig, &dl) < 0)
    return TR_ECID; /* cannot be: the CID parsed */
  const char *cn = dag_mc_name(cid->codec), *hn = dag_mh_name(code);
  char cbuf[32], hbuf[32], num[48];
  if (!cn) /* go-multicodec's String of an unknown code */
    snprintf(cbuf, sizeof cbuf, "Code(%" PRIu64 ")", cid->codec), cn = cbuf;
  if (!strcmp(hn, "unknown"))
    snprintf(hbuf, sizeof hbuf, "hash?%" PRIu64, code), hn = hbuf;
  const char *bn = dag_mb_name(base);
  char bbuf[16];
  if (!bn)
    snprintf(bbuf, sizeof bbuf, "base?%c", base), bn = bbuf;
  int rc = 0;
  for (const char *p = fmt; *p && !rc; p++) {
    if (*p != '%') {
      rc = tr_bytes_append(out, p, 1);
      continue;
    }
    switch (*++p) {
    case '\0':
      snprintf(err, errsize, "premature end of format string");
      return TR_EUSAGE;
    case '%':
      rc = puts_(out, "%");
      break;
    case 'b':
      rc = puts_(out, bn);
      break;
    case 'B': { /* go-cidutil's byte(base): identity's 0, 0x80 for 🚀 */
      int32_t bc = dag_mb_code(base);
      char b = bc < 0 ? base : (char)(bc & 0xff);
      rc = tr_bytes_append(out, &b, 1);
      break;
    }
    case 'v':
    case 'V':
      snprintf(num, sizeof num, "%s%u", *p == 'v' ? "cidv" : "", cid->version);
      rc = puts_(out, num);
      break;
    case 'c':
      rc = puts_(out, cn);
      break;
    case 'C':
      snprintf(num, sizeof num, "%" PRIu64, cid->codec);
      rc = puts_(out, num);
      break;
    case 'h':
      rc = puts_(out, hn);
      break;
    case 'H':
      snprintf(num, sizeof num, "%" PRIu64, code);
      rc = puts_(out, num);
      break;
    case 'L':
      snprintf(num, sizeof num, "%zu", dl);
      rc = puts_(out, num);
      break;
    case 'm':
    case 'M':
      rc = put_base(out, base, mh, mhl, *p == 'M');
      break;
    case 'd':
    case 'D':
      rc = put_base(out, base, dig, dl, *p == 'D');
      break;
    case 's': {
      char s[DAG_MB_ENCODED_MAX_ANY(DAG_CID_MAX)];
      if (cid->version == 0 && base != DAG_MB_BASE58BTC) {
        snprintf(err, errsize, "invalid base encoding for CIDv0: only "
                 "base58btc");
        return TR_EBASE;
      }
      rc = dag_cid_format(cid, base, s, sizeof s);
      if (rc >= 0)
        rc = tr_bytes_append(out, s, (size_t)rc);
      break;
    }
    case 'S':
      rc = put_base(out, base, cid->bytes, cid->len, true);
      break;
    case 'P':
      snprintf(num, sizeof num, "cidv%u-", cid->version);
      if (!(rc = puts_(out, num)) && !(rc = puts_(out, cn)) &&
          !(rc = puts_(out, "-")) && !(rc = puts_(out, hn))) {
        snprintf(num, sizeof num, "-%zu", dl);
        rc = puts_(out, num);
      }
      break;
    default:
      snprintf(err, errsize,
               "unrecognized specifier in format string: %%%c", *p);
      return TR_EUSAGE;
    }
  }
  if (rc < 0)
    snprintf(err, errsize, "%s", tr_strerror(rc));
  return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------- conversions */

int dag_cid_conv_opts(dag_cid_conv_t *c, const char *fmt, const char *v,
                      const char *mc, const char *b, char *err,
                      size_t errsize) {
  *c = (dag_cid_conv_t){fmt && *fmt ? fmt : "%s", -1, 0, 0};
  bool base = b && *b;
  if (!strchr(c->fmt, '%')) {
    snprintf(err, errsize, "invalid format string: \"%s\"", c->fmt);
    return TR_EUSAGE;
  }
  if (mc && *mc && dag_mc_parse(mc, &c->codec)) {
    snprintf(err, errsize, "unknown multicodec: \"%s\"", mc);
    return TR_EUSAGE;
  }
  if (!v || !*v) {
    if (base)
      c->version = 1;
  } else if (!strcmp(v, "0")) {
    if (c->codec && c->codec != DAG_CODEC_DAG_PB) {
      snprintf(err, errsize, "cannot convert to CIDv0 with any codec other "
               "than dag-pb");
      return TR_EUSAGE;
    }
    if (base && strcmp(b, "base58btc")) {
      snprintf(err, errsize, "cannot convert to CIDv0 with any multibase "
               "other than the implicit base58btc");
      return TR_EUSAGE;
    }
    c->version = 0;
  } else if (!strcmp(v, "1")) {
    c->version = 1;
  } else {
    snprintf(err, errsize, "invalid cid version: \"%s\"", v);
    return TR_EUSAGE;
  }
  if (base && dag_mb_from_name(b, &c->base)) {
    snprintf(err, errsize, "unsupported multibase encoding: %s", b);
    return TR_EUSAGE;
  }
  return 0;
}

int dag_cid_conv(const dag_cid_conv_t *c, const char *arg, tr_bytes_t *out,
                 char *err, size_t errsize) {
  dag_cid_t cid;
  int rc = dag_cid_parse(&cid, arg, strlen(arg));
  if (rc) {
    snprintf(err, errsize, "invalid cid: %s", tr_strerror(rc));
    return rc;
  }
  size_t mhl = 0;
  const uint8_t *m = dag_cid_mh(&cid, &mhl);
  uint8_t mh[DAG_MH_MAX];
  memcpy(mh, m, mhl);
  if (c->codec && c->codec != cid.codec)
    rc = dag_cid_make(&cid, 1, c->codec, mh, mhl);
  if (!rc && c->version == 0 && cid.codec != DAG_CODEC_DAG_PB) {
    snprintf(err, errsize, "can't convert non-dag-pb nodes to cidv0");
    return TR_ECID;
  }
  if (!rc && c->version >= 0)
    rc = dag_cid_make(&cid, c->version, cid.codec, mh, mhl);
  if (rc) {
    snprintf(err, errsize, "%s", tr_strerror(rc));
    return rc;
  }
  /* The argument's base unless asked otherwise: a CIDv0 string's is
   * base58btc, and a CIDv0 has no other.  The argument's is its first
   * byte's, as go-cid's ExtractEncoding reads it: a base256emoji CID has
   * none, and Kubo fails it. */
  char base = c->base;
  if (cid.version == 0 || (!c->base && arg[0] == 'Q'))
    base = DAG_MB_BASE58BTC;
  else if (!base && dag_mb_first_byte((unsigned char)arg[0], &base)) {
    snprintf(err, errsize, "unsupported multibase encoding: -1");
    return TR_EBASE;
  }
  return dag_cid_fmt(c->fmt, base, &cid, out, err, errsize);
}

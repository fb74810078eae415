/*
 * cidinfo.c — Kubo's `cid inspect`, the base, codec and hash lists and
 * `multibase decode`'s reading of a file (cidinfo.h), with Kubo's words
 * and layout (core/commands/cid.go, multibase.go).
 */
#include "cidinfo.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ipld.h"

static int putf(tr_bytes_t *out, const char *fmt, ...) TR_PRINTF(2, 3);
static int putf(tr_bytes_t *out, const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof line)
    return -ENOMEM; /* no line here is that long */
  return tr_bytes_append(out, line, (size_t)n);
}

/* ------------------------------------------------------------ inspect */

/* peer.Decode's first branch, which Kubo tries on a string that is no CID:
 * a base58btc multihash ("Qm...", "1...") is a PeerID, whose CID (base36
 * libp2p-key) goes into the note. */
static void peer_note(const char *arg, char *err, size_t errsize) {
  size_t n = strlen(arg), len, dl;
  if (strncmp(arg, "Qm", 2) && arg[0] != '1')
    return;
  uint8_t mh[DAG_MH_MAX];
  uint64_t code;
  const uint8_t *dig;
  dag_cid_t cid;
  char s[DAG_CID_STR_MAX];
  if (dag_b58_decode(arg, n, mh, sizeof mh, &len) ||
      dag_mh_parse(mh, len, &code, &dig, &dl) != (int)len ||
      dag_cid_make(&cid, 1, DAG_CODEC_LIBP2P_KEY, mh, len) ||
      dag_cid_format(&cid, DAG_MB_BASE36, s, sizeof s) < 0)
    return;
  size_t used = strlen(err);
  snprintf(err + used, errsize - used,
           "\nNote: the value is a PeerID; inspect its CID representation "
           "instead:\n  %s",
           s);
}

int dag_cid_inspect(const char *arg, dag_cid_info_t *info) {
  memset(info, 0, sizeof *info);
  info->base_name = info->codec_name = info->mh_name = "";
  dag_cid_t cid;
  size_t n = strlen(arg);
  /* go-cid's Decode: too short first, then the base, then the bytes. */
  int rc = n < 2 ? TR_ECID : dag_cid_parse(&cid, arg, n);
  if (rc) {
    /* 'Q' is no prefix: a "Qm..." that is no CIDv0 has none to go-cid. */
    bool nobase = rc == TR_EBASE || (arg[0] == 'Q' && n != 46);
    snprintf(info->err, sizeof info->err, "invalid CID: invalid cid: %s",
             n < 2     ? "cid too short"
             : nobase  ? "selected encoding not supported"
                       : tr_strerror(rc));
    peer_note(arg, info->err, sizeof info->err);
    return rc;
  }
  info->version = cid.version;
  char base = DAG_MB_BASE58BTC;
  if (cid.version == 1 && dag_mb_first_byte((unsigned char)arg[0], &base)) {
    memcpy(info->prefix, "\xef\xbf\xbd", 3); /* string(rune(-1)) */
    info->prefix_len = 3;
  } else {
    info->prefix_len = dag_mb_prefix(base, info->prefix);
    info->base_name = dag_mb_name(base);
  }
  info->codec = cid.codec;
  info->codec_name = dag_mc_name(cid.codec);
  if (!info->codec_name)
    info->codec_name = "unknown";
  size_t mhl, dl;
  const uint8_t *mh = dag_cid_mh(&cid, &mhl), *dig;
  if (dag_mh_parse(mh, mhl, &info->mh_code, &dig, &dl) < 0)
    return TR_ECID; /* cannot be: the CID parsed */
  info->mh_name = dag_mh_name(info->mh_code);
  info->mh_len = dl;
  for (size_t i = 0; i < dl; i++)
    snprintf(info->digest + 2 * i, 3, "%02x", dig[i]);
  dag_cid_t v;
  /* Only dag-pb with a 32-byte sha2-256 has a CIDv0 (to_v0 checks the
   * rest: a sha2-256 digest is never of another length here). */
  if (dag_cid_to_v0(&v, &cid) ||
      dag_cid_format(&v, 0, info->cidv0, sizeof info->cidv0) < 0)
    info->cidv0[0] = 0;
  dag_cid_to_v1(&v, &cid);
  if (dag_cid_format(&v, cid.codec == DAG_CODEC_LIBP2P_KEY ? DAG_MB_BASE36
                                                          : DAG_MB_BASE32,
                     info->cidv1, sizeof info->cidv1) < 0)
    info->cidv1[0] = 0;
  return 0;
}

int dag_cid_inspect_text(const char *arg, const dag_cid_info_t *i,
                         tr_bytes_t *out) {
  const char *imp = i->version == 0 ? ", implicit" : "";
  int rc = tr_bytes_append(out, "CID:        ", 12);
  if (!rc)
    rc = tr_bytes_append(out, arg, strlen(arg));
  if (!rc)
    rc = putf(out, "\nVersion:    %d\n", i->version);
  if (rc)
    return rc;
  if (i->version == 0) {
    rc = putf(out, "Multibase:  %s (implicit)\n", i->base_name);
  } else if (!(rc = putf(out, "Multibase:  %s (", i->base_name)) &&
             !(rc = tr_bytes_append(out, i->prefix, i->prefix_len))) {
    rc = tr_bytes_append(out, ")\n", 2);
  }
  if (!rc)
    rc = putf(out,
              "Multicodec: %s (0x%" PRIx64 "%s)\n"
              "Multihash:  %s (0x%" PRIx64 "%s)\n"
              "  Length:   %zu bytes\n",
              i->codec_name, i->codec, imp, i->mh_name, i->mh_code, imp,
              i->mh_len);
  if (!rc)
    rc = putf(out, "  Digest:   %s\n", i->digest);
  if (rc)
    return rc;
  if (i->cidv0[0])
    rc = putf(out, "CIDv0:      %s\n", i->cidv0);
  else if (i->codec != DAG_CODEC_DAG_PB)
    rc = putf(out, "CIDv0:      not possible, requires dag-pb (0x70), got %s "
              "(0x%" PRIx64 ")\n", i->codec_name, i->codec);
  else if (i->mh_code != DAG_MH_SHA2_256)
    rc = putf(out, "CIDv0:      not possible, requires sha2-256 (0x12), got "
              "%s (0x%" PRIx64 ")\n", i->mh_name, i->mh_code);
  else if (i->mh_len != 32)
    rc = putf(out, "CIDv0:      not possible, requires 32-byte digest, got "
              "%zu\n", i->mh_len);
  return rc ? rc : putf(out, "CIDv1:      %s\n", i->cidv1);
}

/* -------------------------------------------------------------- lists */

int dag_bases_text(bool prefix, bool numeric, tr_bytes_t *out) {
  int rc = 0;
  for (size_t k = 0; !rc && dag_mb_nth(k); k++) {
    char b = dag_mb_nth(k), p[5] = {' '};
    int32_t code = dag_mb_code(b);
    /* Kubo prints a blank for a prefix that is no printable character
     * (identity's NUL). */
    size_t pl = code < 0x20 ? 1 : dag_mb_prefix(b, p);
    p[pl] = 0;
    const char *name = dag_mb_name(b);
    if (prefix && numeric)
      rc = putf(out, "%s %7" PRId32 "  %s\n", p, code, name);
    else if (prefix)
      rc = putf(out, "%s  %s\n", p, name);
    else if (numeric)
      rc = putf(out, "%7" PRId32 "  %s\n", code, name);
    else
      rc = putf(out, "%s\n", name);
  }
  return rc;
}

bool dag_codecs_nth(size_t i, bool supported, uint64_t *code,
                    const char **name) {
  for (size_t k = 0; dag_codec_nth(k, code, name); k++)
    if ((!supported || ipld_codec_known(*code) ||
         *code == DAG_CODEC_LIBP2P_KEY) &&
        i-- == 0)
      return true;
  return false;
}

/* Kubo's codeAndName lines of what nth gives: "%5d  name" with
 * numeric, else the name. */
static int codes_text(bool (*nth)(size_t, bool, uint64_t *, const char **),
                      bool numeric, bool supported, tr_bytes_t *out) {
  uint64_t code;
  const char *name;
  int rc = 0;
  for (size_t k = 0; !rc && nth(k, supported, &code, &name); k++)
    rc = numeric ? putf(out, "%5" PRIu64 "  %s\n", code, name)
                 : putf(out, "%s\n", name);
  return rc;
}

int dag_codecs_text(bool numeric, bool supported, tr_bytes_t *out) {
  return codes_text(dag_codecs_nth, numeric, supported, out);
}

int dag_hashes_text(bool numeric, bool supported, tr_bytes_t *out) {
  return codes_text(dag_mh_nth, numeric, supported, out);
}

/* ---------------------------------------------------- multibase decode */

int dag_mb_decode_file(const uint8_t *in, size_t n, tr_bytes_t *out,
                       char *base, char *err, size_t errsize) {
  const char *s = (const char *)in;
  if (!n) {
    snprintf(err, errsize, "failed to decode multibase: cannot decode "
             "multibase for zero length string");
    return TR_EBASE;
  }
  int rc = tr_bytes_reserve(out, n);
  if (rc)
    return rc;
  tr_bytes_t text = {0};
  if (memchr("bBcCvVtTmMuU", s[0], 12) &&
      (memchr(s, '\r', n) || memchr(s, '\n', n))) {
    /* Go's base32 and base64 decoders skip CR and LF wherever they are. */
    if ((rc = tr_bytes_reserve(&text, n)))
      return rc;
    for (size_t i = 0; i < n; i++)
      if (s[i] != '\r' && s[i] != '\n')
        text.data[text.len++] = in[i];
    s = (const char *)text.data, n = text.len;
  }
  size_t len = 0;
  rc = dag_mb_decode(s, n, out->data + out->len, n, &len, base);
  /* go-base36 and base58 refuse an empty string; trove's decoder, which
   * encodes empty input as the prefix alone, takes it back. */
  if (!rc && n == 1 && memchr("zZkK", s[0], 4))
    rc = TR_EMULTIBASE;
  tr_bytes_free(&text);
  if (rc == TR_EBASE)
    snprintf(err, errsize,
             "failed to decode multibase: selected encoding not supported");
  else if (rc == TR_ETOOBIG)
    snprintf(err, errsize, "failed to decode multibase: trove decodes %s "
             "of up to 4096 bytes (its decoding takes quadratic time)",
             dag_mb_name(*base));
  else if (rc)
    snprintf(err, errsize, "failed to decode multibase: %s", tr_strerror(rc));
  else
    out->len += len;
  return rc;
}

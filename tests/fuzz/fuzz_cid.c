/*
 * fuzz_cid.c — libFuzzer target for dag_cid_decode() (binary) and
 * dag_cid_parse() (string).
 *
 * Properties:
 *   - binary: a success consumes at most the input, and the CID's binary
 *     form is exactly the bytes consumed (canonical: minimal varints, v0 as
 *     the bare multihash); decoding that form again gives an equal CID;
 *     formatting it and parsing the string gives it back; v0 -> v1 -> v0 is
 *     the identity;
 *   - string: a success formats, in the string's own base (v0: none), to
 *     exactly the input (strict multibase), and parses back equal;
 *   - only documented errors;
 *   - dag_cid_inspect (Kubo's `cid inspect`) of the input as a C string
 *     succeeds exactly when it parses as a CID, writes its text then, and
 *     says why ("invalid CID: ...") otherwise;
 *   - dag_cid_conv (Kubo's `cid format`): an input "FMT\nCID" is written
 *     with FMT, in CIDv1 base36 too; "%s" gives the CID back; only
 *     documented errors, and no write past the output.
 * Build: make build-fuzz/fuzz_cid; seeds in tests/fuzz/corpus/fuzz_cid.
 */
#include "../../dag/cid.h"
#include "../../dag/cidinfo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool known_error(int rc) {
  return rc == TR_ETRUNC || rc == TR_EVARINT || rc == TR_ECID ||
         rc == TR_EMULTIHASH || rc == TR_EMULTIBASE || rc == TR_EBASE;
}

static void roundtrip(const dag_cid_t *cid) {
  if (cid->version > 1 || cid->len > DAG_CID_MAX || cid->mh_off >= cid->len)
    abort();
  dag_cid_t again;
  if (dag_cid_decode(&again, cid->bytes, cid->len) != cid->len ||
      !dag_cid_equal(&again, cid) || again.codec != cid->codec ||
      again.mh_code != cid->mh_code || again.version != cid->version)
    abort();
  char s[DAG_CID_STR_MAX];
  int n = dag_cid_format(cid, 0, s, sizeof s);
  if (n <= 0 || dag_cid_parse(&again, s, (size_t)n) != 0 ||
      !dag_cid_equal(&again, cid))
    abort();
  dag_cid_t v1, v0;
  dag_cid_to_v1(&v1, cid);
  if (v1.version != 1 || v1.codec != cid->codec)
    abort();
  if (cid->version == 0 &&
      (dag_cid_to_v0(&v0, &v1) != 0 || !dag_cid_equal(&v0, cid)))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dag_cid_t cid;
  int rc = dag_cid_decode(&cid, data, size);
  if (rc > 0) {
    if ((size_t)rc > size || cid.len != rc ||
        memcmp(cid.bytes, data, (size_t)rc))
      abort();
    roundtrip(&cid);
  } else if (!known_error(rc))
    abort();

  const char *s = (const char *)data;
  rc = dag_cid_parse(&cid, s, size);
  if (rc == 0) {
    /* The string's base: its prefix may be identity's NUL or four bytes
     * (base256emoji), so ask the decoder. */
    char base = 0;
    uint8_t bin[DAG_CID_MAX + 8];
    size_t blen;
    if (cid.version &&
        dag_mb_decode(s, size, bin, sizeof bin, &blen, &base))
      abort();
    char out[DAG_MB_ENCODED_MAX_ANY(DAG_CID_MAX)];
    int n = dag_cid_format(&cid, base, out, sizeof out);
    /* base16/32/32hex/36 take letters of either case; the rest is exact. */
    bool icase = base && strchr("fFbBcCvVtTkK", base);
    if (n < 0 || (size_t)n != size || out[0] != s[0] ||
        (icase ? strncasecmp(out, s, size) : memcmp(out, s, size)))
      abort();
    roundtrip(&cid);
  } else if (!known_error(rc))
    abort();

  if (size < 8192 && !memchr(data, 0, size)) {
    char arg[8192];
    memcpy(arg, data, size);
    arg[size] = 0;
    dag_cid_info_t in;
    int irc = dag_cid_inspect(arg, &in);
    bool parses = size >= 2 && dag_cid_parse(&cid, arg, size) == 0;
    if ((irc == 0) != parses)
      abort();
    tr_bytes_t text = {0};
    if (irc == 0 ? dag_cid_inspect_text(arg, &in, &text) != 0 || in.err[0]
                 : strncmp(in.err, "invalid CID: invalid cid: ", 26))
      abort();
    tr_bytes_free(&text);
  }

  const char *nl = memchr(data, '\n', size);
  if (nl && size < 4096) {
    char buf[4096];
    memcpy(buf, data, size);
    buf[size] = 0;
    buf[nl - s] = 0;
    const char *fmt = buf, *arg = buf + (nl - s) + 1;
    char err[160];
    for (int k = 0; k < 2; k++) {
      dag_cid_conv_t c;
      rc = dag_cid_conv_opts(&c, fmt, k ? "1" : NULL, NULL,
                             k ? "base36" : NULL, err, sizeof err);
      if (rc && rc != TR_EUSAGE)
        abort();
      if (rc)
        continue;
      tr_bytes_t out = {0};
      rc = dag_cid_conv(&c, arg, &out, err, sizeof err);
      if (rc && rc != TR_EUSAGE && rc != -ENOMEM && !known_error(rc) &&
          rc != TR_EHASH)
        abort();
      if (!rc && !k && !strcmp(fmt, "%s") &&
          (out.len != strlen(arg) || memcmp(out.data, arg, out.len)) &&
          arg[0] != 'Q' && !strchr("fFbBcCkK", arg[0]))
        abort(); /* written back as it came (case aside) */
      tr_bytes_free(&out);
    }
  }
  return 0;
}

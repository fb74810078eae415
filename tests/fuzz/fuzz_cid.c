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
 *   - dag_cid_conv (Kubo's `cid format`): an input "FMT\nCID" is written
 *     with FMT, in CIDv1 base36 too; "%s" gives the CID back; only
 *     documented errors, and no write past the output.
 * Build: make build-fuzz/fuzz_cid; seeds in tests/fuzz/corpus/fuzz_cid.
 */
#include "../../dag/cid.h"

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
    char out[DAG_CID_STR_MAX];
    int n = dag_cid_format(&cid, cid.version ? s[0] : 0, out, sizeof out);
    /* base16/32/36 take letters of either case; the rest is exact. */
    bool icase = cid.version && strchr("fFbBcCkK", s[0]);
    if (n < 0 || (size_t)n != size || out[0] != s[0] ||
        (icase ? strncasecmp(out, s, size) : memcmp(out, s, size)))
      abort();
    roundtrip(&cid);
  } else if (!known_error(rc))
    abort();

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

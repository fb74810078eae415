/*
 * fuzz_multibase.c — libFuzzer target for dag_mb_decode()/dag_mb_encode()
 * and the bare base58btc pair.
 *
 * The input is read three ways:
 *   1. as a multibase string: when it decodes, encoding the bytes with the
 *      same base must give the input back exactly, but for the case of the
 *      letters in the bases that take either (16, 32, 32hex, 36), and
 *      decoding that again must give the same bytes;
 *   2. as a bare base58btc string, with the same property;
 *   3. as bytes to encode in a base chosen by the first byte, among every
 *      base (dag_mb_nth): decoding the result must give the bytes back;
 *   4. as a file for `multibase decode` (dag_mb_decode_file): what it
 *      gives is no longer than the input, errors are documented ones with
 *      Kubo's "failed to decode multibase: " before them.
 * Errors must be ones the header documents (plus TR_ETOOBIG for the capped
 * positional bases); with an output buffer as large as the input,
 * TR_EBUFSIZE is a bug.
 * Build: make build-fuzz/fuzz_multibase; seeds in
 * tests/fuzz/corpus/fuzz_multibase.
 */
#include "../../dag/cid.h"
#include "../../dag/cidinfo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void check_decode(const char *s, size_t n, bool bare) {
  /* A decoded string is never longer than its input: one byte per
   * character at most (base58/36 leading zeros). */
  uint8_t *out = malloc(n + 1);
  size_t olen = 0;
  char base = 'z';
  int rc = bare ? dag_b58_decode(s, n, out, n + 1, &olen)
                : dag_mb_decode(s, n, out, n + 1, &olen, &base);
  if (rc < 0) {
    if (rc != TR_EBASE && rc != TR_EMULTIBASE && rc != TR_ETOOBIG)
      abort();
    if (bare && rc == TR_EBASE)
      abort();
    free(out);
    return;
  }
  if (rc != 0 || olen > n)
    abort();
  size_t cap = DAG_MB_ENCODED_MAX_ANY(olen);
  char *enc = malloc(cap);
  int elen = bare ? dag_b58_encode(out, olen, enc, cap)
                  : dag_mb_encode(base, out, olen, enc, cap);
  bool icase = !bare && strchr("fFbBcCvVtTkK", base);
  if (elen < 0 || (size_t)elen != n || enc[elen] || (!bare && enc[0] != s[0]) ||
      (icase ? strncasecmp(enc, s, n) : memcmp(enc, s, n)))
    abort();
  uint8_t *again = malloc(olen + 1);
  size_t alen = 0;
  rc = bare ? dag_b58_decode(enc, (size_t)elen, again, olen + 1, &alen)
            : dag_mb_decode(enc, (size_t)elen, again, olen + 1, &alen, NULL);
  if (rc != 0 || alen != olen || memcmp(again, out, olen))
    abort();
  free(again);
  free(enc);
  free(out);
}

static void check_encode(const uint8_t *data, size_t size) {
  if (size == 0)
    return;
  size_t nbases = 0;
  while (dag_mb_nth(nbases))
    nbases++;
  char base = dag_mb_nth(data[0] % nbases);
  const uint8_t *in = data + 1;
  size_t n = size - 1;
  /* Positional bases are quadratic and capped at 4096 bytes; keep the
   * fuzzer fast. */
  bool positional = strchr("zZkK", base) != NULL;
  if (positional && n > 1024)
    n = 1024;
  bool wide = base == DAG_MB_BASE2 || base == DAG_MB_BASE256EMOJI;
  size_t cap = wide ? DAG_MB_ENCODED_MAX_ANY(n) : DAG_MB_ENCODED_MAX(n);
  char *enc = malloc(cap);
  int elen = dag_mb_encode(base, in, n, enc, cap);
  char p[4];
  size_t pl = dag_mb_prefix(base, p);
  if (elen < 1 || (size_t)elen >= cap || enc[elen] || memcmp(enc, p, pl) ||
      (base != DAG_MB_IDENTITY && strlen(enc) != (size_t)elen))
    abort();
  uint8_t *out = malloc(n + 1);
  size_t olen = 0;
  char got = 0;
  if (dag_mb_decode(enc, (size_t)elen, out, n + 1, &olen, &got) != 0 ||
      got != base || olen != n || (n && memcmp(out, in, n)))
    abort();
  free(out);
  free(enc);
}

static void check_file(const uint8_t *data, size_t size) {
  tr_bytes_t out = {0};
  char err[160] = "", base;
  int rc = dag_mb_decode_file(data, size, &out, &base, err, sizeof err);
  if (rc == 0 ? out.len > size
              : (rc != TR_EBASE && rc != TR_EMULTIBASE && rc != TR_ETOOBIG &&
                 rc != -ENOMEM) ||
                    (rc != -ENOMEM &&
                     strncmp(err, "failed to decode multibase: ", 28)))
    abort();
  tr_bytes_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_file(data, size);
  check_decode((const char *)data, size, false);
  check_decode((const char *)data, size, true);
  check_encode(data, size);
  return 0;
}

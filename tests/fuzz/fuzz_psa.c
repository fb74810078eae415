/*
 * fuzz_psa.c — libFuzzer target for the Pinning Service API's request
 * parsers (mirror/parse.c): the first byte picks the body parser
 * (mir__parse_body, a Pin JSON) or the query parser (mir__parse_query,
 * GET /pins' query string); the rest is the input.
 *
 * Properties:
 *   - only TR_EUSAGE (with a reason) or -ENOMEM fail;
 *   - body: a success has a CID, a name within MIR_NAME_MAX without NUL,
 *     origins/meta texts within MIR_JSON_MAX that parse back as JSON;
 *   - query: a success has 1 <= limit <= MIR_LIMIT_MAX, at most
 *     MIR_CIDS_MAX CIDs, a non-empty status mask inside MIR_ST_ALL, a
 *     match in range, and a meta text that mir_list_new accepts.
 * Build: make build-fuzz/fuzz_psa; seeds in tests/fuzz/corpus/fuzz_psa.
 */
#include "../../mirror/mir_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void body(const uint8_t *d, size_t n) {
  char err[160] = "";
  mir__body_t b;
  int rc = mir__parse_body((const char *)d, n, &b, err, sizeof err);
  if (rc && rc != TR_EUSAGE && rc != -ENOMEM)
    abort();
  if (rc == TR_EUSAGE && !*err)
    abort();
  if (!rc) {
    if (!b.pin.cid.len || b.pin.name_len > MIR_NAME_MAX ||
        (b.pin.name && memchr(b.pin.name, 0, b.pin.name_len)) ||
        b.pin.origins_len > MIR_JSON_MAX || b.pin.meta_len > MIR_JSON_MAX)
      abort();
    json_t *o = b.pin.meta ? json_loadb(b.pin.meta, b.pin.meta_len, 0, NULL)
                           : NULL;
    if (b.pin.meta && !json_is_object(o))
      abort();
    json_decref(o);
  }
  mir__body_free(&b);
}

static void query(const uint8_t *d, size_t n) {
  char *s = malloc(n + 1), err[160] = "", *meta = NULL;
  if (!s)
    return;
  memcpy(s, d, n);
  s[n] = 0;
  mir_query_t q;
  unsigned limit = 0;
  int rc = mir__parse_query(s, &q, &limit, &meta, err, sizeof err);
  if (rc && rc != TR_EUSAGE && rc != -ENOMEM)
    abort();
  if (!rc) {
    if (limit < 1 || limit > MIR_LIMIT_MAX || q.ncids > MIR_CIDS_MAX ||
        !q.statuses || (q.statuses & ~MIR_ST_ALL) || q.match < 0 ||
        q.match > MIR_MATCH_IPARTIAL)
      abort();
    if (q.meta) {
      json_t *m = json_loadb(q.meta, q.meta_len, 0, NULL);
      if (!json_is_object(m))
        abort();
      json_decref(m);
    }
  }
  tr_free((void *)q.name);
  tr_free(meta);
  free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (!n)
    return 0;
  if (d[0] & 1)
    body(d + 1, n - 1);
  else
    query(d + 1, n - 1);
  return 0;
}

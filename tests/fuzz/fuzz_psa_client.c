/*
 * fuzz_psa_client.c — libFuzzer target for the Pinning Service API
 * client's answer parser (mirror/psa_client.h, mir_psa_parse_*).  The
 * first byte picks the parser (a PinStatus, a PinResults page, a Failure);
 * the rest is the body.
 *
 * Properties: only the documented codes come back; a parsed pin has a
 * non-empty requestid without control characters within its cap, exactly
 * one status bit, a CID that parses, a name within the spec's 255 bytes,
 * at most MIR_PSA_ADDRS_MAX origins and delegates, all strings starting
 * with '/'; a page never holds more than MIR_PSA_RESULTS_MAX pins nor
 * more than its count; reason and details are NUL-terminated within
 * their buffers.  Build: make build-fuzz/fuzz_psa_client; seeds in
 * tests/fuzz/corpus/fuzz_psa_client.
 */
#include "../../dag/cid.h"
#include "../../mirror/psa_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void check_pin(const mir_psa_pin_t *p) {
  size_t n = strlen(p->requestid);
  if (!n || n > MIR_PSA_REQID_MAX)
    abort();
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)p->requestid[i] < 0x20)
      abort();
  if (!mir_psa_status_name(p->status) || strlen(p->name) > MIR_PSA_NAME_MAX)
    abort();
  dag_cid_t c;
  if (dag_cid_parse(&c, p->cid, strlen(p->cid)))
    abort();
  if (json_array_size(p->origins) > MIR_PSA_ADDRS_MAX ||
      json_array_size(p->delegates) > MIR_PSA_ADDRS_MAX ||
      !json_is_object(p->meta))
    abort();
  size_t i;
  json_t *e;
  json_array_foreach(p->origins, i, e) if (json_string_value(e)[0] != '/')
      abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (!n)
    return 0;
  const char *s = (const char *)d + 1;
  size_t len = n - 1;
  int rc;
  switch (d[0] % 3) {
  case 0: {
    mir_psa_pin_t p;
    rc = mir_psa_parse_status(s, len, &p);
    if (rc && rc != TR_EPROTO && rc != -ENOMEM)
      abort();
    if (!rc) {
      check_pin(&p);
      mir_psa_pin_free(&p);
    }
    break;
  }
  case 1: {
    mir_psa_page_t pg;
    rc = mir_psa_parse_page(s, len, &pg);
    if (rc && rc != TR_EPROTO && rc != -ENOMEM)
      abort();
    if (!rc) {
      if (pg.n > MIR_PSA_RESULTS_MAX || pg.n > pg.count)
        abort();
      for (size_t i = 0; i < pg.n; i++)
        check_pin(&pg.pins[i]);
      mir_psa_page_free(&pg);
    }
    break;
  }
  default: {
    char r[8], dt[16];
    mir_psa_parse_failure(s, len, r, sizeof r, dt, sizeof dt);
    if (strlen(r) >= sizeof r || strlen(dt) >= sizeof dt)
      abort();
  }
  }
  return 0;
}

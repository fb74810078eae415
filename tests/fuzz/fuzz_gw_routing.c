/*
 * fuzz_gw_routing.c — libFuzzer target for the parsers of the gateway's
 * /routing/v1/ API (gateway/gw_int.h): gw__rt_route() on the input as a
 * path, gw__rt_accept() on it as an Accept header, and gw__rt_key() on it
 * as the key segment of each kind of route.
 *
 * Properties: a route's key is a non-empty view inside the path with no
 * '/'; accept gives one of its documented results; a key that parses is a
 * multihash of at most DAG_MH_MAX bytes that dag_mh_parse() takes whole,
 * and its errors are among those documented.
 * Build: make build-fuzz/fuzz_gw_routing; seeds in
 * tests/fuzz/corpus/fuzz_gw_routing.
 */
#include "../../gateway/gw_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool key_error_ok(int rc) {
  return rc == TR_ETOOBIG || rc == -EINVAL || rc == TR_ECODEC ||
         rc == TR_ECID || rc == TR_EBASE || rc == TR_EMULTIBASE ||
         rc == TR_ETRUNC || rc == TR_EVARINT || rc == TR_EMULTIHASH ||
         rc == TR_EBUFSIZE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  memcpy(s, data, size);
  s[size] = 0; /* a NUL inside ends the string, as in a header */
  const char *k;
  size_t kl;
  int kind = gw__rt_route(s, &k, &kl);
  if (kind) {
    if (kind < GW_RT_PROVIDERS || kind > GW_RT_IPNS || !kl ||
        k < s || k + kl != s + strlen(s) || memchr(k, '/', kl))
      abort();
  }
  int a = gw__rt_accept(s);
  if (a != GW_RT_JSON && a != GW_RT_NDJSON && a != TR_ENOTFOUND &&
      a != -EINVAL)
    abort();
  size_t n = strlen(s);
  for (int kd = GW_RT_PROVIDERS; kd <= GW_RT_IPNS; kd++) {
    uint8_t mh[DAG_MH_MAX + 8];
    memset(mh, 0xa5, sizeof mh);
    size_t len = 0;
    int rc = gw__rt_key(kd, s, n, mh, DAG_MH_MAX, &len);
    if (rc) {
      if (!key_error_ok(rc))
        abort();
      continue;
    }
    uint64_t code;
    const uint8_t *dg;
    size_t dl;
    if (!len || len > DAG_MH_MAX || mh[DAG_MH_MAX] != 0xa5 ||
        dag_mh_parse(mh, len, &code, &dg, &dl) != (int)len)
      abort();
  }
  free(s);
  return 0;
}

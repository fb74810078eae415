/*
 * fuzz_pnet_key.c — libFuzzer target for net_pnet_key_parse(), the
 * swarm.key reader (net/pnet.h).
 *
 * Properties:
 *   - only the documented results: 0, or TR_ESWARMKEY with a reason;
 *   - a key that parses does not depend on what follows it: the same input
 *     with bytes appended gives the same key (go reads only what it needs);
 *   - a key that parses, written back as a canonical /base16/ and /base64/
 *     file, parses to the same key.
 * Build: make build-fuzz/fuzz_pnet_key; seeds in
 * tests/fuzz/corpus/fuzz_pnet_key.
 */
#include "../../net/pnet.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define HDR NET_PNET_HEADER "\n"

static uint8_t buf[NET_PNET_FILE_MAX + 64];

static void same_key(const uint8_t *p, size_t n, const uint8_t *psk) {
  uint8_t k2[NET_PNET_KEY_LEN];
  if (net_pnet_key_parse(p, n, k2, NULL) != 0 ||
      memcmp(k2, psk, sizeof k2))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > NET_PNET_FILE_MAX)
    return 0;
  uint8_t psk[NET_PNET_KEY_LEN];
  const char *why = NULL;
  int rc = net_pnet_key_parse(data, size, psk, &why);
  if (rc == TR_ESWARMKEY) {
    if (!why || !*why)
      abort();
    return 0;
  }
  if (rc != 0)
    abort();
  /* Appended bytes are never read. */
  memcpy(buf, data, size);
  memcpy(buf + size, "\n\r=zz\x00\xff/base16/\n", 16);
  same_key(buf, size + 16, psk);
  /* Written back canonically. */
  char hex[2 * NET_PNET_KEY_LEN + 1], b64[64];
  sodium_bin2hex(hex, sizeof hex, psk, sizeof psk);
  size_t n = (size_t)snprintf((char *)buf, sizeof buf, HDR "/base16/\n%s\n",
                              hex);
  same_key(buf, n, psk);
  sodium_bin2base64(b64, sizeof b64, psk, sizeof psk,
                    sodium_base64_VARIANT_ORIGINAL);
  n = (size_t)snprintf((char *)buf, sizeof buf, HDR "/base64/\r\n%s\r\n", b64);
  same_key(buf, n, psk);
  return 0;
}

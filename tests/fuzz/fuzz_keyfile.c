/*
 * fuzz_keyfile.c — libFuzzer target for dht_key_file_parse(), the reader
 * of keystore files and of `key import`'s input (dht/keystore.h).
 *
 * Properties:
 *   - only the documented results: 0, TR_EKEY, TR_EKEYTYPE, -ENOMEM;
 *   - a key that parses, marshalled again, parses to the same key, and
 *     its marshalled form is the canonical 68 bytes (what trove writes).
 * Build: make build-fuzz/fuzz_keyfile; seeds in
 * tests/fuzz/corpus/fuzz_keyfile (an Ed25519 key as Kubo exports it, the
 * 96-byte old form, an RSA header).
 */
#include "../../dht/keystore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  net_privkey_t k, k2;
  int rc = dht_key_file_parse(data, size, &k);
  if (rc != 0 && rc != TR_EKEY && rc != TR_EKEYTYPE && rc != -ENOMEM)
    abort();
  if (rc)
    return 0;
  uint8_t pb[NET_PRIVKEY_PB_LEN];
  net_privkey_marshal(&k, pb);
  if (dht_key_file_parse(pb, sizeof pb, &k2) || memcmp(k.sk, k2.sk, 64))
    abort();
  return 0;
}

/*
 * fuzz_keyfile.c — libFuzzer target for dht_key_file_parse(), the reader
 * of keystore files and of `key import`'s input (dht/keystore.h).
 *
 * Properties:
 *   - only the documented results: 0, TR_EKEY, TR_EKEYTYPE, -ENOMEM;
 *   - a key that parses, marshalled again, parses to the same key, and
 *     its marshalled form is the canonical 68 bytes (what trove writes);
 *   - the reader of keys of every type (net_privkey_any_pubkey, what
 *     `key import` and `key sign` go through) answers 0 or TR_EKEY, and a
 *     key it takes signs (net_sign_any) a message its public key
 *     verifies; an Ed25519 key gives the same public key both ways.
 * Build: make build-fuzz/fuzz_keyfile; seeds in
 * tests/fuzz/corpus/fuzz_keyfile (an Ed25519 key as Kubo exports it, the
 * 96-byte old form, an RSA header, Kubo's RSA-2048 and secp256k1 keys).
 */
#include "../../dht/keystore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  net_privkey_t k, k2;
  net_pubkey_t any, pk;
  int arc = net_privkey_any_pubkey(data, size, &any);
  if (arc != 0 && arc != TR_EKEY && arc != -ENOMEM)
    abort();
  if (arc == 0) {
    static const uint8_t msg[] = "libp2p-key signed message:fuzz";
    uint8_t sig[NET_SIG_MAX];
    int sl = net_sign_any(data, size, msg, sizeof msg - 1, sig, sizeof sig);
    if (sl != -ENOMEM &&
        (sl <= 0 || net_verify(&any, msg, sizeof msg - 1, sig, (size_t)sl)))
      abort();
  }
  int rc = dht_key_file_parse(data, size, &k);
  if (rc == 0) {
    net_privkey_pubkey(&k, &pk);
    if (arc == 0 && (pk.len != any.len || memcmp(pk.data, any.data, pk.len)))
      abort();
  }
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

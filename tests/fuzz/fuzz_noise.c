/*
 * fuzz_noise.c — libFuzzer target for the libp2p Noise handshake reader.
 *
 * Bytes from a peer reach three places, each fuzzed here:
 *   1. a responder's net_noise_feed() with the raw input as frames
 *      (message 1 and whatever follows);
 *   2. an initiator's net_noise_feed() with the raw input as message 2
 *      (fails to decrypt, but checks the framing and lengths);
 *   3. the payload parser behind the encryption: a responder built on the
 *      bare Noise layer sends the input as its message-2 payload, properly
 *      encrypted, so protobuf decoding, key parsing and signature checks
 *      see arbitrary bytes.
 * Properties: only documented codes, consumed <= given, no leak (ASan).
 * Build: make build-fuzz/fuzz_noise; seeds in tests/fuzz/corpus/fuzz_noise.
 */
#include "../../net/noise.h"

#include <stdlib.h>
#include <string.h>

static bool known(int rc) {
  return rc == NET_NOISE_AGAIN || rc == NET_NOISE_DONE || rc == TR_ETOOBIG ||
         rc == TR_EPROTO || rc == TR_EDECRYPT || rc == TR_EKEY ||
         rc == TR_ESIG || rc == TR_EPEER || rc == TR_EPEERID;
}

static net_privkey_t key;
static net_noise_t s;

static void feed_all(const uint8_t *data, size_t size) {
  size_t off = 0, used;
  while (off < size) {
    int rc = net_noise_feed(&s, data + off, size - off, &used);
    if (!known(rc) || used > size - off)
      abort();
    if (rc != NET_NOISE_AGAIN || used == 0)
      break;
    off += used;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool init;
  if (!init) {
    uint8_t seed[32] = {1};
    net_privkey_from_seed(&key, seed);
    init = true;
  }
  if (net_noise_start(&s, false, &key, NULL))
    abort();
  feed_all(data, size);
  if (net_noise_start(&s, true, &key, NULL))
    abort();
  feed_all(data, size);

  /* 3: the input as an encrypted, well-framed payload of message 2. */
  if (size > NET_NOISE_HS_MAX - 128)
    return 0;
  uint8_t sk[32] = {2}, msg[NET_NOISE_HS_MAX + 2], scratch[64];
  net_noise_hs_t hr;
  net_noise_hs_init(&hr, false, NULL, 0, sk, sk);
  if (net_noise_start(&s, true, &key, NULL))
    abort();
  size_t n, used;
  const uint8_t *o = net_noise_output(&s, &n);
  if (net_noise_hs_read(&hr, o + 2, n - 2, scratch, sizeof scratch) < 0)
    abort();
  int m = net_noise_hs_write(&hr, data, size, msg + 2, sizeof msg - 2);
  if (m < 0)
    abort();
  msg[0] = (uint8_t)(m >> 8), msg[1] = (uint8_t)m;
  int rc = net_noise_feed(&s, msg, (size_t)m + 2, &used);
  if (!known(rc) || rc == NET_NOISE_AGAIN)
    abort();
  return 0;
}

/*
 * fuzz_dht_persist.c — libFuzzer target for dht_persist_load(), the
 * reader of the DHT state the daemon keeps in the repo (dht/persist.h).
 *
 * Properties:
 *   - only the documented results: TR_ECORRUPT, or a count >= 0;
 *   - what loaded dumps again and that dump loads back into a fresh node
 *     whole: the same number of entries (a round trip loses nothing).
 * Build: make build-fuzz/fuzz_dht_persist; seeds in
 * tests/fuzz/corpus/fuzz_dht_persist.
 */
#include "../../dht/persist.h"

#include <stdlib.h>
#include <string.h>

static int nosend(void *ud, uint64_t req, const dht_peer_t *peer, bool want,
                  const uint8_t *p, size_t n) {
  (void)ud, (void)req, (void)peer, (void)want, (void)p, (void)n;
  return 0;
}

static dht_t *fresh(void) {
  static const uint8_t id[34] = {0x12, 0x20, 1, 2, 3};
  dht_opts_t o = {.send = nosend, .refresh_ms = UINT32_MAX,
                  .check_ms = UINT32_MAX};
  if (net_peerid_from_bytes(&o.self, id, sizeof id))
    abort();
  dht_t *d;
  if (dht_new(&o, 0, &d))
    abort();
  return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  dht_t *d = fresh();
  int k = dht_persist_load(d, p, n, 1000);
  if (k < 0 && k != TR_ECORRUPT)
    abort();
  tr_bytes_t b = {0};
  if (dht_persist_dump(d, 1000, &b))
    abort();
  dht_t *e = fresh();
  int k2 = dht_persist_load(e, b.data, b.len, 1000);
  tr_bytes_t b2 = {0};
  if (k2 < 0 || dht_persist_dump(e, 1000, &b2) || b2.len != b.len)
    abort();
  tr_bytes_free(&b);
  tr_bytes_free(&b2);
  dht_free(d);
  dht_free(e);
  return 0;
}

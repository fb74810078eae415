/*
 * fuzz_delegated.c — libFuzzer target for the parser of delegated
 * routers' answers (node/delegated.h, node_dparse_*).  The first byte
 * picks the mode (NDJSON or one JSON document), the line / document cap
 * and the size of the reads; the rest is the body, fed in those pieces.
 *
 * Properties: feed and end return only their documented values; every
 * peer handed out has a PeerID that formats and at most DHT_PEER_ADDRS_MAX
 * addresses, each a valid multiaddr of at most DHT_ADDR_MAX bytes; the
 * buffer never grows past the cap; records seen never pass the records
 * cap and peers + skipped are the records; and the same body fed in
 * one piece gives the same peers (NDJSON: cutting reads never changes
 * what is parsed).
 * Build: make build-fuzz/fuzz_delegated; seeds in
 * tests/fuzz/corpus/fuzz_delegated.
 */
#include "../../net/multiaddr.h"
#include "../../node/delegated.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  size_t n;
  uint64_t hash; /* over the PeerIDs, in order */
} acc_t;

static int on_peer(void *ud, const dht_peer_t *p) {
  acc_t *a = ud;
  char id[NET_PEERID_STR_MAX];
  if (net_peerid_format(&p->id, 0, id, sizeof id) <= 0)
    abort();
  if (p->naddrs > DHT_PEER_ADDRS_MAX)
    abort();
  for (uint8_t i = 0; i < p->naddrs; i++)
    if (p->addrlen[i] > DHT_ADDR_MAX ||
        net_ma_validate(p->addrs[i], p->addrlen[i]))
      abort();
  a->n++;
  for (uint8_t i = 0; i < p->id.len; i++)
    a->hash = a->hash * 1099511628211ull ^ p->id.bytes[i];
  return 0;
}

static void run(bool ndjson, size_t limit, size_t step, const uint8_t *d,
                size_t n, acc_t *a) {
  node_dparse_t p;
  node_dparse_init(&p, ndjson, limit, 50, on_peer, a);
  for (size_t i = 0; i < n; i += step) {
    size_t k = n - i < step ? n - i : step;
    int rc = node_dparse_feed(&p, d + i, k);
    if (rc != 0 && rc != 1 && rc != TR_ETOOBIG && rc != -ENOMEM)
      abort();
    if (p.cap > p.limit)
      abort();
    if (rc)
      break;
  }
  int rc = node_dparse_end(&p);
  if (rc != 0 && rc != 1 && rc != -ENOMEM)
    abort();
  if (p.records > 50 || p.peers + p.skipped != p.records)
    abort();
  node_dparse_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t c = data[0];
  bool ndjson = c & 1;
  size_t limit = (c & 2) ? 64 + (size_t)(c >> 2) * 16 : 0;
  size_t step = 1 + (c >> 3);
  acc_t a = {0}, b = {0};
  run(ndjson, limit, step, data + 1, size - 1, &a);
  run(ndjson, limit, size, data + 1, size - 1, &b);
  if (ndjson && (a.n != b.n || a.hash != b.hash))
    abort();
  return 0;
}

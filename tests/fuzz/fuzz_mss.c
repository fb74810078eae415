/*
 * fuzz_mss.c — libFuzzer target for the multistream-select state machines.
 *
 * The first input byte picks the role (listener or initiator) and the
 * chunk size the rest is fed in.  Properties: feeding never consumes more
 * than it was given, consumes all of it while the result is NET_MSS_AGAIN,
 * returns only documented codes, never queues more than NET_MSS_OUT_MAX,
 * and a NET_MSS_DONE names one of the protocols offered.
 * Build: make build-fuzz/fuzz_mss; seeds in tests/fuzz/corpus/fuzz_mss.
 */
#include "../../net/mss.h"

#include <stdlib.h>
#include <string.h>

static const char *PROTOS[] = {"/noise", "/yamux/1.0.0", "/ipfs/id/1.0.0"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  net_mss_t m;
  int rc = (data[0] & 1) ? net_mss_initiator(&m, PROTOS, 3)
                         : net_mss_listener(&m, PROTOS, 3);
  if (rc)
    abort();
  size_t chunk = (data[0] >> 1) + 1, off = 1, n;
  while (off < size) {
    size_t k = chunk < size - off ? chunk : size - off, used;
    rc = net_mss_feed(&m, data + off, k, &used);
    if (used > k || (rc == NET_MSS_AGAIN && used != k))
      abort();
    net_mss_output(&m, &n);
    if (n > NET_MSS_OUT_MAX)
      abort();
    off += used;
    if (rc == NET_MSS_DONE) {
      const char *p = net_mss_selected(&m);
      if (!p || (strcmp(p, PROTOS[0]) && strcmp(p, PROTOS[1]) &&
                 strcmp(p, PROTOS[2])))
        abort();
      break;
    }
    if (rc < 0) {
      if (rc != TR_EPROTO && rc != TR_ETOOBIG && rc != TR_ENOPROTO)
        abort();
      break;
    }
  }
  return 0;
}

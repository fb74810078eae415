/*
 * fuzz_yamux.c — libFuzzer target for the yamux session.
 *
 * The first input byte picks the side (client or server), the chunk size
 * the rest is fed in, and whether the application consumes, writes back
 * and closes what it receives.  Properties: feed never consumes more than
 * it was given, consumes everything unless it fails or the output is at
 * its cap, returns only documented codes, the output stays under its cap
 * plus one frame, and the stream count under its limit.
 * Build: make build-fuzz/fuzz_yamux; seeds in tests/fuzz/corpus/fuzz_yamux.
 */
#include "../../net/yamux.h"

#include <errno.h>
#include <stdlib.h>

static int echo;

static int on_stream(net_yamux_t *y, uint32_t id) {
  (void)y;
  return (id % 5 == 0) ? -1 : 0;
}
static void on_data(net_yamux_t *y, uint32_t id, const uint8_t *p, size_t n) {
  if (!echo)
    return;
  net_yamux_consume(y, id, (uint32_t)n, true);
  if (net_yamux_write(y, id, p, n) < 0 && net_yamux_stream_data(y, id))
    abort();
}
static void on_fin(net_yamux_t *y, uint32_t id) {
  if (echo && net_yamux_close(y, id) && net_yamux_stream_data(y, id))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  net_yamux_cbs_t cbs = {.on_stream = on_stream, .on_data = on_data,
                         .on_fin = on_fin};
  net_yamux_limits_t lim;
  net_yamux_limits_default(&lim);
  lim.streams_max = 8;
  lim.out_max = 4096;
  lim.window_max = 16u << 20; /* the host's: consume grows windows */
  net_yamux_t y;
  echo = data[0] & 2;
  if (net_yamux_init(&y, data[0] & 1, &cbs, &lim, NULL))
    abort();
  if (data[0] & 4)
    (void)net_yamux_open(&y);
  size_t chunk = (data[0] >> 3) + 1, off = 1;
  while (off < size) {
    size_t k = chunk < size - off ? chunk : size - off, used, n;
    int rc = net_yamux_feed(&y, data + off, k, &used);
    if (used > k)
      abort();
    if (rc != 0 && rc != TR_EPROTO && rc != -ENOMEM)
      abort();
    if (rc)
      break;
    if (net_yamux_nstreams(&y) > lim.streams_max)
      abort();
    net_yamux_output(&y, &n);
    if (n > 2 * lim.out_max + 64 * 1024 + 2 * NET_YAMUX_HDR)
      abort();
    if (used < k && n < 2 * lim.out_max)
      abort();
    net_yamux_output_done(&y, n);
    off += used;
  }
  net_yamux_free(&y);
  return 0;
}

/*
 * ping.c — /ipfs/ping/1.0.0 (libp2p/specs ping/ping.md): the handler echoes
 * every 32 bytes it reads; net_ping() sends random 32-byte payloads one at
 * a time on one stream and checks each echo.
 */
#include "host_int.h"
#include "identify.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

/* ------------------------------------------------------------ handler */

static void echo_data(net_stream_t *s, const uint8_t *p, size_t n) {
  /* An echo of exactly what came: the peer's window bounds it, and a peer
   * that never reads the echoes hits stream_buf_max and is reset. */
  if (net_stream_write(s, p, n))
    return;
}
static void echo_fin(net_stream_t *s) { net_stream_close(s); }
static void echo_close(net_stream_t *s, int status) {
  (void)s, (void)status;
}
static const net_stream_cbs_t ECHO_CBS = {echo_data, echo_fin, echo_close,
                                          NULL};

static void on_ping(net_stream_t *s, void *ud) {
  (void)ud;
  net_stream_set(s, &ECHO_CBS, NULL);
}

int net__ping_init(net_host_t *h) {
  return net_host_handle(h, NET_PING_PROTOCOL, on_ping, NULL);
}

/* ------------------------------------------------------------- client */

typedef struct ping {
  net_ping_cb cb;
  void *ud;
  unsigned left;
  uint8_t sent[NET_PING_SIZE], got[NET_PING_SIZE];
  size_t ngot;
  uint64_t t0;
  bool over;
} ping_t;

static uint64_t now_us(void) { return uv_hrtime() / 1000; }

static void ping_send(net_stream_t *s, ping_t *p) {
  randombytes_buf(p->sent, sizeof p->sent);
  p->ngot = 0;
  p->t0 = now_us();
  if (net_stream_write(s, p->sent, sizeof p->sent)) {
    p->over = true;
    p->cb(TR_ENOSTREAM, 0, p->ud);
    net_stream_reset(s);
  }
}

static void ping_data(net_stream_t *s, const uint8_t *d, size_t n) {
  ping_t *p = net_stream_ud(s);
  while (n > 0 && !p->over) {
    size_t k = NET_PING_SIZE - p->ngot < n ? NET_PING_SIZE - p->ngot : n;
    memcpy(p->got + p->ngot, d, k);
    p->ngot += k, d += k, n -= k;
    if (p->ngot < NET_PING_SIZE)
      return;
    if (memcmp(p->got, p->sent, NET_PING_SIZE)) {
      p->over = true;
      p->cb(TR_EPROTO, 0, p->ud);
      net_stream_reset(s);
      return;
    }
    p->cb(0, now_us() - p->t0, p->ud);
    if (--p->left == 0) {
      p->over = true;
      p->cb(1, 0, p->ud);
      net_stream_close(s);
      return;
    }
    ping_send(s, p);
  }
}

static void ping_fin(net_stream_t *s) {
  ping_t *p = net_stream_ud(s);
  if (!p->over) {
    p->over = true;
    p->cb(-ECONNRESET, 0, p->ud);
  }
  net_stream_close(s);
}

static void ping_close(net_stream_t *s, int status) {
  ping_t *p = net_stream_ud(s);
  if (!p->over)
    p->cb(status ? status : -ECONNRESET, 0, p->ud);
  tr_free(p);
}

static const net_stream_cbs_t PING = {ping_data, ping_fin, ping_close, NULL};

static void on_open(net_stream_t *s, int status, void *ud) {
  ping_t *p = ud;
  if (status) {
    p->cb(status, 0, p->ud);
    tr_free(p);
    return;
  }
  net_stream_set(s, &PING, p);
  ping_send(s, p);
}

int net_ping(net_host_t *h, const net_peerid_t *peer, unsigned count,
             net_ping_cb cb, void *ud) {
  ping_t *p = tr_calloc(1, sizeof *p);
  if (!p)
    return -ENOMEM;
  p->cb = cb;
  p->ud = ud;
  p->left = count ? count : 1;
  int rc = net_host_open(h, peer, NET_PING_PROTOCOL, on_open, p);
  if (rc)
    tr_free(p);
  return rc;
}

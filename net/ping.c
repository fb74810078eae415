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

/* One timer serves both waits: for an echo (NET_PING_TIMEOUT_MS, then the
 * run fails with -ETIMEDOUT) and between pings (the interval).  p is freed
 * once both its stream and its timer are closed. */
typedef struct ping {
  net_ping_cb cb;
  void *ud;
  unsigned left;
  uint32_t interval_ms;
  uint8_t sent[NET_PING_SIZE], got[NET_PING_SIZE];
  size_t ngot;
  uint64_t t0; /* uv_hrtime() ns: the latency keeps Go's resolution */
  bool over, waiting_echo, stream_done, timer_done;
  net_stream_t *s;
  uv_timer_t timer;
} ping_t;


static void timer_closed(uv_handle_t *t) {
  ping_t *p = t->data;
  p->timer_done = true;
  if (p->stream_done)
    tr_free(p);
}

/* The stream is done with p: close the timer, which frees p. */
static void stream_done(ping_t *p) {
  p->s = NULL;
  p->stream_done = true;
  uv_close((uv_handle_t *)&p->timer, timer_closed);
}

/* The run ends: report once, stop the timer. */
static void ping_over(ping_t *p, int status) {
  if (p->over)
    return;
  p->over = true;
  p->cb(status, 0, p->ud);
  uv_timer_stop(&p->timer);
}

static void on_timer(uv_timer_t *t);

static void ping_send(net_stream_t *s, ping_t *p) {
  randombytes_buf(p->sent, sizeof p->sent);
  p->ngot = 0;
  p->t0 = uv_hrtime();
  p->waiting_echo = true;
  uv_timer_start(&p->timer, on_timer, NET_PING_TIMEOUT_MS, 0);
  if (net_stream_write(s, p->sent, sizeof p->sent)) {
    ping_over(p, TR_ENOSTREAM);
    net_stream_reset(s);
  }
}

static void on_timer(uv_timer_t *t) {
  ping_t *p = t->data;
  if (p->over || !p->s)
    return;
  if (p->waiting_echo) {
    ping_over(p, -ETIMEDOUT);
    net_stream_reset(p->s);
  } else {
    ping_send(p->s, p);
  }
}

static void ping_data(net_stream_t *s, const uint8_t *d, size_t n) {
  ping_t *p = net_stream_ud(s);
  while (n > 0 && !p->over) {
    if (!p->waiting_echo) { /* bytes nobody asked for */
      ping_over(p, TR_EPROTO);
      net_stream_reset(s);
      return;
    }
    size_t k = NET_PING_SIZE - p->ngot < n ? NET_PING_SIZE - p->ngot : n;
    memcpy(p->got + p->ngot, d, k);
    p->ngot += k, d += k, n -= k;
    if (p->ngot < NET_PING_SIZE)
      return;
    if (memcmp(p->got, p->sent, NET_PING_SIZE)) {
      ping_over(p, TR_EPROTO);
      net_stream_reset(s);
      return;
    }
    p->waiting_echo = false;
    uint64_t rtt_ns = uv_hrtime() - p->t0;
    /* As go-libp2p's ping service: the peer's latency (swarm peers -v).
     * The host's peerstore straight from host_int.h: host.c calls into
     * this file, so calling back into host.c would close a circle. */
    net_peerinfo_t *pi = net_ps_put(&net_stream_host(s)->ps,
                                    net_stream_peer(s));
    if (pi)
      net_ps_record_latency(pi, rtt_ns);
    p->cb(0, rtt_ns / 1000, p->ud);
    if (--p->left == 0) {
      ping_over(p, 1);
      net_stream_close(s);
      return;
    }
    if (p->interval_ms)
      uv_timer_start(&p->timer, on_timer, p->interval_ms, 0);
    else
      ping_send(s, p);
  }
}

static void ping_fin(net_stream_t *s) {
  ping_over(net_stream_ud(s), -ECONNRESET);
  net_stream_close(s);
}

static void ping_close(net_stream_t *s, int status) {
  ping_t *p = net_stream_ud(s);
  ping_over(p, status ? status : -ECONNRESET);
  stream_done(p);
}

static const net_stream_cbs_t PING = {ping_data, ping_fin, ping_close, NULL};

static void on_open(net_stream_t *s, int status, void *ud) {
  ping_t *p = ud;
  if (status) {
    ping_over(p, status);
    stream_done(p);
    return;
  }
  p->s = s;
  net_stream_set(s, &PING, p);
  ping_send(s, p);
}

int net_ping(net_host_t *h, const net_peerid_t *peer, unsigned count,
             uint32_t interval_ms, net_ping_cb cb, void *ud) {
  ping_t *p = tr_calloc(1, sizeof *p);
  if (!p)
    return -ENOMEM;
  p->cb = cb;
  p->ud = ud;
  p->left = count ? count : 1;
  p->interval_ms = interval_ms;
  int rc = uv_timer_init(h->loop, &p->timer);
  if (rc) {
    tr_free(p);
    return rc;
  }
  p->timer.data = p;
  rc = net_host_open(h, peer, NET_PING_PROTOCOL, on_open, p);
  if (rc)
    stream_done(p); /* no callback: the run never started */
  return rc;
}

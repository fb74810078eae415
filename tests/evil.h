/*
 * evil.h — a blocking libp2p dialer made of trove's own sans-I/O codecs
 * (net/mss.h, net/noise.h, net/yamux.h), for tests that need a peer which
 * gets through the upgrade and then misbehaves, or stops half-way.  Used
 * by tests/evil_peer.c (the hostile peer the integration test runs against
 * a real daemon) and by tests/test_host.c (in a thread beside the host's
 * loop).  Header-only: static functions, no global state, so that several
 * threads may each drive their own evil_t.
 *
 * What it is not: a libp2p implementation.  Only the dialer's side, one
 * proposal per negotiation, and a yamux session (evil_service) that
 * answers pings and refuses every stream the other side opens.
 */
#ifndef TESTS_EVIL_H
#define TESTS_EVIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../net/mss.h"
#include "../net/noise.h"
#include "../net/peerid.h"
#include "../net/yamux.h"

#define EVIL_BUF (4 * 65536)

typedef struct evil {
  int fd;
  net_privkey_t key;
  net_peerid_t id, remote;
  net_noise_cs_t tx, rx;
  net_yamux_t y; /* after evil_upgrade + evil_yamux */
  bool has_y;
  uint32_t pongs, resets;
  size_t inlen, plen;
  uint8_t in[EVIL_BUF];    /* raw bytes not used yet */
  uint8_t plain[EVIL_BUF]; /* decrypted bytes not used yet */
} evil_t;

static inline uint64_t evil_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A new evil_t with a fresh Ed25519 identity (or a copy of key). */
static inline evil_t *evil_new(const net_privkey_t *key) {
  evil_t *e = calloc(1, sizeof *e);
  if (!e)
    return NULL;
  e->fd = -1;
  if (key)
    e->key = *key;
  else if (net_privkey_generate(&e->key)) {
    free(e);
    return NULL;
  }
  net_pubkey_t pk;
  net_privkey_pubkey(&e->key, &pk);
  if (net_peerid_from_pubkey(&e->id, &pk)) {
    free(e);
    return NULL;
  }
  return e;
}

static inline void evil_free(evil_t *e) {
  if (!e)
    return;
  if (e->fd >= 0)
    close(e->fd);
  if (e->has_y)
    net_yamux_free(&e->y);
  free(e);
}

/* A TCP connection to ip:port from src (NULL: any).  0 or -errno. */
static inline int evil_dial(evil_t *e, const char *ip, int port,
                            const char *src) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return -errno;
  struct sockaddr_in sa = {.sin_family = AF_INET};
  if (src) {
    inet_pton(AF_INET, src, &sa.sin_addr);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa)) {
      int rc = -errno;
      close(fd);
      return rc;
    }
  }
  sa.sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, ip, &sa.sin_addr);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
    int rc = -errno;
    close(fd);
    return rc;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  e->fd = fd;
  return 0;
}

/* Send all of p, waiting at most timeout_ms for room.  0, -ETIMEDOUT or
 * -errno (-EPIPE, -ECONNRESET once the other side is gone). */
static inline int evil_send_t(evil_t *e, const void *p, size_t n,
                              int timeout_ms) {
  const uint8_t *b = p;
  uint64_t end = evil_ms() + (uint64_t)timeout_ms;
  while (n) {
    ssize_t k = send(e->fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (k > 0) {
      b += k, n -= (size_t)k;
      continue;
    }
    if (k < 0 && errno != EAGAIN && errno != EINTR)
      return -errno;
    uint64_t now = evil_ms();
    if (now >= end)
      return -ETIMEDOUT;
    struct pollfd pf = {.fd = e->fd, .events = POLLOUT};
    poll(&pf, 1, (int)(end - now));
  }
  return 0;
}
static inline int evil_send(evil_t *e, const void *p, size_t n) {
  return evil_send_t(e, p, n, 10000);
}

/* Read what is there into e->in, waiting at most timeout_ms.  Bytes read
 * (> 0), 0 at EOF, -ETIMEDOUT, -ENOBUFS (in is full), -errno. */
static inline int evil_fill(evil_t *e, int timeout_ms) {
  if (e->inlen == sizeof e->in)
    return -ENOBUFS;
  struct pollfd pf = {.fd = e->fd, .events = POLLIN};
  int r = poll(&pf, 1, timeout_ms);
  if (r == 0)
    return -ETIMEDOUT;
  ssize_t k = recv(e->fd, e->in + e->inlen, sizeof e->in - e->inlen, 0);
  if (k < 0)
    return -errno;
  e->inlen += (size_t)k;
  return (int)k;
}

static inline void evil_take_in(evil_t *e, size_t n) {
  memmove(e->in, e->in + n, e->inlen - n);
  e->inlen -= n;
}
static inline void evil_take_plain(evil_t *e, size_t n) {
  memmove(e->plain, e->plain + n, e->plen - n);
  e->plen -= n;
}

/* Decrypt the whole transport frames in e->in into e->plain.  0 or
 * TR_EDECRYPT. */
static inline int evil_open_frames(evil_t *e) {
  while (e->inlen >= 2) {
    size_t f = (size_t)e->in[0] << 8 | e->in[1];
    if (e->inlen < 2 + f || f < NET_NOISE_TAG ||
        e->plen + f - NET_NOISE_TAG > sizeof e->plain)
      break;
    int rc = net_noise_cs_open(&e->rx, NULL, 0, e->in + 2, f,
                               e->plain + e->plen);
    if (rc)
      return rc;
    e->plen += f - NET_NOISE_TAG;
    evil_take_in(e, 2 + f);
  }
  return 0;
}

/* Seal p[0..n) into transport frames and send them. */
static inline int evil_send_sealed_t(evil_t *e, const void *p, size_t n,
                                     int timeout_ms) {
  static __thread uint8_t buf[2 + NET_NOISE_MSG_MAX];
  const uint8_t *b = p;
  while (n) {
    size_t k = n < NET_NOISE_PLAIN_MAX ? n : NET_NOISE_PLAIN_MAX;
    if (net_noise_cs_seal(&e->tx, NULL, 0, b, k, buf + 2))
      return TR_ETOOBIG;
    size_t ct = k + NET_NOISE_TAG;
    buf[0] = (uint8_t)(ct >> 8), buf[1] = (uint8_t)ct;
    int rc = evil_send_t(e, buf, 2 + ct, timeout_ms);
    if (rc)
      return rc;
    b += k, n -= k;
  }
  return 0;
}
static inline int evil_send_sealed(evil_t *e, const void *p, size_t n) {
  return evil_send_sealed_t(e, p, n, 10000);
}

/* Negotiate proto as the initiator, in the clear or inside Noise. */
static inline int evil_mss(evil_t *e, const char *proto, bool sealed) {
  net_mss_t *m = malloc(sizeof *m);
  const char *protos[] = {proto};
  int rc = m ? net_mss_initiator(m, protos, 1) : -ENOMEM;
  for (;;) {
    size_t n;
    const uint8_t *o = rc ? NULL : net_mss_output(m, &n);
    if (o && n)
      rc = sealed ? evil_send_sealed(e, o, n) : evil_send(e, o, n);
    if (rc)
      break;
    uint8_t *src = sealed ? e->plain : e->in;
    size_t *len = sealed ? &e->plen : &e->inlen, used = 0;
    if (*len) {
      rc = net_mss_feed(m, src, *len, &used);
      sealed ? evil_take_plain(e, used) : evil_take_in(e, used);
      if (rc == NET_MSS_DONE) {
        rc = 0;
        break;
      }
      if (rc < 0)
        break;
      if (used)
        continue;
    }
    int k = evil_fill(e, 10000);
    if (k <= 0) {
      rc = k ? k : -ECONNRESET;
      break;
    }
    if (sealed && (rc = evil_open_frames(e)))
      break;
  }
  free(m);
  return rc;
}

/* Noise XX as initiator; stop_after_msg1: send message 1, read message 2,
 * and never send message 3 (a stalled handshake). */
static inline int evil_noise(evil_t *e, bool stop_after_msg1) {
  net_noise_t *ns = malloc(sizeof *ns);
  int rc = ns ? net_noise_start(ns, true, &e->key, NULL) : -ENOMEM;
  size_t n;
  const uint8_t *o;
  if (!rc && (o = net_noise_output(ns, &n)) && n)
    rc = evil_send(e, o, n);
  while (!rc) {
    size_t used = 0;
    rc = e->inlen ? net_noise_feed(ns, e->in, e->inlen, &used) : 0;
    evil_take_in(e, used);
    if (rc == NET_NOISE_DONE) {
      if (!stop_after_msg1 && (o = net_noise_output(ns, &n)) && n)
        rc = evil_send(e, o, n);
      else
        rc = 0;
      e->tx = ns->send;
      e->rx = ns->recv;
      e->remote = *net_noise_remote(ns);
      break;
    }
    if (rc < 0)
      break;
    if (used)
      continue;
    int k = evil_fill(e, 10000);
    rc = k > 0 ? 0 : k ? k : -ECONNRESET;
  }
  free(ns);
  return rc;
}

/* The whole upgrade: /noise, the handshake, /yamux/1.0.0. */
static inline int evil_upgrade(evil_t *e) {
  int rc = evil_mss(e, NET_NOISE_PROTOCOL, false);
  if (!rc)
    rc = evil_noise(e, false);
  if (!rc)
    rc = evil_mss(e, NET_YAMUX_PROTOCOL, true);
  return rc;
}

/* ------------------------------------------------------------ yamux */

static inline int evil_refuse(net_yamux_t *y, uint32_t id) {
  (void)y, (void)id;
  return -1;
}
static inline void evil_pong(net_yamux_t *y, uint32_t opaque) {
  (void)opaque;
  ((evil_t *)y->data)->pongs++;
}
static inline void evil_reset(net_yamux_t *y, uint32_t id) {
  (void)id;
  ((evil_t *)y->data)->resets++;
}

/* Start a yamux session (dialer side, streams_max 0: yamux's default)
 * that refuses streams and counts pongs and resets; evil_service drives
 * it. */
static inline int evil_yamux(evil_t *e, uint32_t streams_max) {
  static const net_yamux_cbs_t cbs = {
      .on_stream = evil_refuse, .on_pong = evil_pong, .on_reset = evil_reset};
  net_yamux_limits_t lim;
  net_yamux_limits_default(&lim);
  if (streams_max)
    lim.streams_max = streams_max;
  int rc = net_yamux_init(&e->y, true, &cbs, &lim, e);
  e->has_y = !rc;
  return rc;
}

/* Send what the session queued. */
static inline int evil_flush(evil_t *e) {
  size_t n;
  const uint8_t *o = net_yamux_output(&e->y, &n);
  int rc = n ? evil_send_sealed(e, o, n) : 0;
  if (!rc)
    net_yamux_output_done(&e->y, n);
  return rc;
}

/* Read for at most timeout_ms and feed the session.  0, or the
 * connection's end: -ECONNRESET (EOF too), an error. */
static inline int evil_service(evil_t *e, int timeout_ms) {
  int k = evil_fill(e, timeout_ms);
  if (k == -ETIMEDOUT)
    return 0;
  if (k <= 0)
    return k ? k : -ECONNRESET;
  int rc = evil_open_frames(e);
  size_t used = 0;
  if (!rc && e->plen)
    rc = net_yamux_feed(&e->y, e->plain, e->plen, &used);
  evil_take_plain(e, used);
  return rc ? rc : evil_flush(e);
}

/* A yamux ping answered within timeout_ms: the connection is alive. */
static inline bool evil_alive(evil_t *e, int timeout_ms) {
  uint32_t before = e->pongs;
  if (net_yamux_ping(&e->y, 0x5eed) || evil_flush(e))
    return false;
  uint64_t end = evil_ms() + (uint64_t)timeout_ms;
  while (e->pongs == before && evil_ms() < end)
    if (evil_service(e, 100))
      return false;
  return e->pongs != before;
}

/* One raw yamux frame (header, then payload), sealed. */
static inline int evil_yframe(evil_t *e, uint8_t ver, uint8_t type,
                              uint16_t flags, uint32_t id, uint32_t len,
                              const void *payload, size_t plen) {
  uint8_t *b = malloc(NET_YAMUX_HDR + plen);
  if (!b)
    return -ENOMEM;
  net_yamux_header(b, type, flags, id, len);
  b[0] = ver;
  if (plen)
    memcpy(b + NET_YAMUX_HDR, payload, plen);
  int rc = evil_send_sealed(e, b, NET_YAMUX_HDR + plen);
  free(b);
  return rc;
}

/* ------------------------------------------------------ was it cut? */

/* Read and drop everything until the other side closes (EOF or reset):
 * returns the ms that took, or -1 when it had not after timeout_ms. */
static inline int64_t evil_wait_cut(evil_t *e, int timeout_ms) {
  uint64_t t0 = evil_ms(), end = t0 + (uint64_t)timeout_ms;
  for (uint64_t now; (now = evil_ms()) < end;) {
    e->inlen = 0;
    int k = evil_fill(e, (int)(end - now));
    if (k == 0 || (k < 0 && k != -ETIMEDOUT))
      return (int64_t)(evil_ms() - t0);
  }
  return -1;
}

/* The same without reading a byte (a peer that never reads): watch for
 * the other side's FIN or RST, and every 200 ms send a yamux ping (valid
 * input, so it cannot be the reason for a cut) whose failure (EPIPE,
 * ECONNRESET) shows a closed socket even when its FIN sits behind data we
 * do not read. */
static inline int64_t evil_wait_cut_noread(evil_t *e, int timeout_ms) {
  uint64_t t0 = evil_ms(), end = t0 + (uint64_t)timeout_ms;
  uint8_t ping[NET_YAMUX_HDR], frame[2 + NET_YAMUX_HDR + NET_NOISE_TAG];
  for (uint64_t now; (now = evil_ms()) < end;) {
    struct pollfd pf = {.fd = e->fd, .events = POLLRDHUP};
    if (poll(&pf, 1, 200) > 0 && (pf.revents & (POLLRDHUP | POLLERR | POLLHUP)))
      return (int64_t)(evil_ms() - t0);
    net_yamux_header(ping, NET_YAMUX_PING, NET_YAMUX_SYN, 0, 7);
    if (net_noise_cs_seal(&e->tx, NULL, 0, ping, sizeof ping, frame + 2))
      return -1;
    frame[0] = 0, frame[1] = NET_YAMUX_HDR + NET_NOISE_TAG;
    ssize_t k = send(e->fd, frame, sizeof frame, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (k < 0 && errno != EAGAIN && errno != EINTR)
      return (int64_t)(evil_ms() - t0);
    if (k > 0 && (size_t)k < sizeof frame) {
      /* Half a frame went: finish it, or the stream would be corrupt. */
      int rc = evil_send_t(e, frame + k, sizeof frame - (size_t)k,
                           (int)(end - evil_ms()));
      if (rc == -ETIMEDOUT)
        return -1;
      if (rc)
        return (int64_t)(evil_ms() - t0);
    } else if (k < 0) {
      /* No room: the nonce was used for a frame never sent; undo it. */
      e->tx.n--;
    }
  }
  return -1;
}

#endif /* TESTS_EVIL_H */

/*
 * evil_peer.c — a hostile libp2p peer for tests/it_p2p_hostile.sh (and a
 * well-behaved one for tests/it_p2p_connmgr.sh): it dials a trove daemon
 * with trove's own codecs (tests/evil.h), gets as far through the upgrade
 * as the scenario wants, misbehaves, and checks that the daemon cuts it.
 *
 *   evil_peer SCENARIO IP PORT [-s SRC] [-n N] [-t SECONDS]
 *
 * SRC is the source address to dial from (127.0.0.x: the daemon counts
 * connections per IP, and exempts 127.0.0.1), N a count, SECONDS how long
 * to wait for the cut (default 30) or to hold.  Exit status 0 when the
 * daemon did what it should (one line "ok SCENARIO: ..." with the time it
 * took), 1 when not ("FAIL SCENARIO: ..."), 2 on a usage or set-up error.
 * Scenarios are listed in SCENARIOS below; the bitswap ones (bsw-*) are
 * in evil_bsw.h, for tests/it_bitswap_evil.sh.
 */
#include <stdarg.h>
#include <stdio.h>

#include "evil.h"

#include "../net/host.h"
#include "../net/identify.h"

static const char *ip, *src, *name;
static int port, n_arg = -1, secs = 30;

static int done(bool ok, const char *fmt, ...) TR_PRINTF(2, 3);
static int done(bool ok, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%s %s: ", ok ? "ok" : "FAIL", name);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
  return ok ? 0 : 1;
}

static evil_t *dial(const net_privkey_t *key, const char *from) {
  evil_t *e = evil_new(key);
  int rc = e ? evil_dial(e, ip, port, from) : -ENOMEM;
  if (rc) {
    fprintf(stderr, "evil_peer %s: cannot dial %s:%d from %s: %s\n", name, ip,
            port, from ? from : "any", strerror(-rc));
    exit(2);
  }
  return e;
}

static evil_t *dial_upgraded(void) {
  evil_t *e = dial(NULL, src);
  int rc = evil_upgrade(e);
  if (rc) {
    fprintf(stderr, "evil_peer %s: upgrade failed: %s\n", name,
            tr_strerror(rc));
    exit(2);
  }
  return e;
}

/* The scenario's verdict: was the connection cut within secs? */
static int expect_cut(evil_t *e, bool noread, const char *why) {
  int64_t ms = noread ? evil_wait_cut_noread(e, secs * 1000)
                      : evil_wait_cut(e, secs * 1000);
  evil_free(e);
  if (ms < 0)
    return done(false, "still connected after %d s (%s)", secs, why);
  return done(true, "cut after %lld ms (%s)", (long long)ms, why);
}

/* ------------------------------------------------ multistream-select */

static int mss_garbage(void) {
  evil_t *e = dial(NULL, src);
  uint8_t junk[4096];
  memset(junk, 0xff, sizeof junk);
  evil_send(e, junk, sizeof junk);
  return expect_cut(e, false, "garbage instead of multistream");
}

static int mss_long(void) {
  evil_t *e = dial(NULL, src);
  uint8_t msg[2 + 200] = {0x88, 0x27}; /* varint 5000 */
  memset(msg + 2, 'a', sizeof msg - 2);
  evil_send(e, msg, sizeof msg);
  return expect_cut(e, false, "a 5000-byte multistream line");
}

static int mss_trunc(void) {
  evil_t *e = dial(NULL, src);
  static const char hdr[] = "\x13/multistream/1.0.0\n\x1e/noi";
  evil_send(e, hdr, sizeof hdr - 1);
  return expect_cut(e, false, "a truncated proposal, then silence");
}

static int silent(void) {
  return expect_cut(dial(NULL, src), false, "connected, sends nothing");
}

/* ------------------------------------------------------------- Noise */

static int noise_stall(void) {
  evil_t *e = dial(NULL, src);
  int rc = evil_mss(e, NET_NOISE_PROTOCOL, false);
  if (!rc)
    rc = evil_noise(e, true);
  if (rc)
    return done(false, "handshake start failed: %s", tr_strerror(rc));
  return expect_cut(e, false, "Noise message 3 never sent");
}

static int noise_big(void) {
  evil_t *e = dial(NULL, src);
  int rc = evil_mss(e, NET_NOISE_PROTOCOL, false);
  if (rc)
    return done(false, "multistream failed: %s", tr_strerror(rc));
  uint8_t msg[2 + 1000] = {0xff, 0xff};
  evil_send(e, msg, sizeof msg);
  return expect_cut(e, false, "a 65535-byte handshake message");
}

static int noise_badtag(void) {
  evil_t *e = dial_upgraded();
  uint8_t f[2 + 32 + NET_NOISE_TAG] = {0, 32 + NET_NOISE_TAG};
  uint8_t pt[32] = {0};
  if (net_noise_cs_seal(&e->tx, NULL, 0, pt, sizeof pt, f + 2))
    return 2;
  f[10] ^= 1;
  evil_send(e, f, sizeof f);
  return expect_cut(e, false, "a transport frame with a bad tag");
}

static int noise_short(void) {
  evil_t *e = dial_upgraded();
  static const uint8_t f[] = {0, 5, 1, 2, 3, 4, 5};
  evil_send(e, f, sizeof f);
  return expect_cut(e, false, "a transport frame shorter than its tag");
}

static int noise_trunc(void) {
  evil_t *e = dial_upgraded();
  uint8_t f[2 + 10] = {0x03, 0xe8};
  evil_send(e, f, sizeof f);
  return expect_cut(e, false, "10 bytes of a 1000-byte frame, then silence");
}

/* ------------------------------------------------------------- yamux */

static int y_window(void) {
  evil_t *e = dial_upgraded();
  uint8_t data[1000] = {0};
  evil_yframe(e, 0, NET_YAMUX_DATA, NET_YAMUX_SYN, 1, 300000, data,
              sizeof data);
  return expect_cut(e, false, "a data frame beyond the window");
}

static int y_type(void) {
  evil_t *e = dial_upgraded();
  evil_yframe(e, 0, 9, 0, 0, 0, NULL, 0);
  return expect_cut(e, false, "frame type 9");
}

static int y_version(void) {
  evil_t *e = dial_upgraded();
  evil_yframe(e, 1, NET_YAMUX_PING, NET_YAMUX_SYN, 0, 1, NULL, 0);
  return expect_cut(e, false, "yamux version 1");
}

/* Frames packed into big sealed writes.  Returns false once the daemon
 * stops taking them for stall_ms (it stopped reading). */
typedef struct batch {
  evil_t *e;
  uint8_t b[60000];
  size_t n;
  int stall_ms;
  bool stalled;
} batch_t;

static void batch_flush(batch_t *bt) {
  if (bt->n && !bt->stalled &&
      evil_send_sealed_t(bt->e, bt->b, bt->n, bt->stall_ms))
    bt->stalled = true;
  bt->n = 0;
}

static void batch_frame(batch_t *bt, uint8_t type, uint16_t flags, uint32_t id,
                        uint32_t len, const void *p, size_t plen) {
  if (bt->n + NET_YAMUX_HDR + plen > sizeof bt->b)
    batch_flush(bt);
  net_yamux_header(bt->b + bt->n, type, flags, id, len);
  if (plen)
    memcpy(bt->b + bt->n + NET_YAMUX_HDR, p, plen);
  bt->n += NET_YAMUX_HDR + plen;
}

static int y_winup(void) {
  evil_t *e = dial_upgraded();
  if (evil_yamux(e, 0))
    return 2;
  batch_t *bt = calloc(1, sizeof *bt);
  bt->e = e;
  bt->stall_ms = 5000;
  batch_frame(bt, NET_YAMUX_WINUP, NET_YAMUX_SYN, 1, 0, NULL, 0);
  /* 200,000 window updates of one byte: no answer, no memory. */
  for (int i = 0; i < 200000; i++)
    batch_frame(bt, NET_YAMUX_WINUP, 0, 1, 1, NULL, 0);
  batch_flush(bt);
  bool alive = evil_alive(e, 5000);
  /* Then one that overflows the 32-bit window. */
  batch_frame(bt, NET_YAMUX_WINUP, 0, 1, UINT32_MAX, NULL, 0);
  batch_flush(bt);
  free(bt);
  if (!alive)
    return done(false, "the window-update flood itself cut the connection");
  return expect_cut(e, false, "window updates, then one past 2^32");
}

static int y_pings(void) {
  evil_t *e = dial_upgraded();
  batch_t *bt = calloc(1, sizeof *bt);
  bt->e = e;
  bt->stall_ms = 1000;
  /* Pings until the daemon stops reading (each asks for 12 bytes back;
   * we read none), at most ~100 MB. */
  size_t sent = 0;
  for (uint32_t i = 0; !bt->stalled && sent < 100u << 20; i++) {
    batch_frame(bt, NET_YAMUX_PING, NET_YAMUX_SYN, 0, i, NULL, 0);
    sent += NET_YAMUX_HDR;
  }
  batch_flush(bt);
  free(bt);
  printf("  %s: %zu bytes of pings sent before the daemon stopped reading\n",
         name, sent);
  return expect_cut(e, true, "a ping flood whose pongs are never read");
}

/* Streams past NET_HOST_STREAMS_MAX: refused with RST at once, and the
 * rest reset when their negotiation times out; the connection lives. */
static int y_streams(void) {
  uint32_t n = n_arg > 0 ? (uint32_t)n_arg : 600;
  evil_t *e = dial_upgraded();
  if (evil_yamux(e, n + 8))
    return 2;
  for (uint32_t i = 0; i < n; i++)
    if (net_yamux_open(&e->y) < 0)
      return 2;
  evil_flush(e);
  uint64_t t0 = evil_ms(), end = t0 + (uint64_t)secs * 1000;
  while (e->resets < n && evil_ms() < end)
    if (evil_service(e, 100))
      return done(false, "the connection was cut (%u of %u streams reset)",
                  e->resets, n);
  uint64_t ms = evil_ms() - t0;
  bool alive = evil_alive(e, 5000);
  uint32_t resets = e->resets;
  evil_free(e);
  if (resets < n)
    return done(false, "%u of %u unnegotiated streams reset after %d s",
                resets, n, secs);
  return done(alive, "%u streams refused or reset within %llu ms; "
              "connection %s", n, (unsigned long long)ms,
              alive ? "still answers pings" : "dead");
}

/* A peer that never reads: n streams of /ipfs/ping/1.0.0, each sent its
 * whole first window of ping payload (the echo it asks for is as much),
 * and not a byte read, nor a window update sent.  The daemon must hold
 * a bounded amount (conn_buf_max, sock_buf_max) and cut it (WriteTimeout). */
static int noread(void) {
  uint32_t n = n_arg > 0 ? (uint32_t)n_arg : 200;
  evil_t *e = dial_upgraded();
  batch_t *bt = calloc(1, sizeof *bt);
  bt->e = e;
  bt->stall_ms = 2000;
  static uint8_t pay[32768];
  memset(pay, 0x5a, sizeof pay);
  uint8_t neg[64];
  int h = net_mss_encode(NET_MSS_PROTOCOL, neg, sizeof neg);
  int k = net_mss_encode(NET_PING_PROTOCOL, neg + h, sizeof neg - (size_t)h);
  size_t negn = (size_t)(h + k), sent = 0;
  for (uint32_t i = 0; i < n && !bt->stalled; i++) {
    uint32_t id = 2 * i + 1;
    batch_frame(bt, NET_YAMUX_DATA, NET_YAMUX_SYN, id, (uint32_t)negn, neg,
                negn);
    for (size_t left = NET_YAMUX_WINDOW - negn; left && !bt->stalled;) {
      size_t m = left < sizeof pay ? left : sizeof pay;
      batch_frame(bt, NET_YAMUX_DATA, 0, id, (uint32_t)m, pay, m);
      left -= m, sent += m;
    }
  }
  batch_flush(bt);
  free(bt);
  printf("  %s: %zu bytes of pings sent on %u streams\n", name, sent, n);
  return expect_cut(e, true, "pings on many streams, answers never read");
}

/* -------------------------------------------------------- connections */

/* n connections that complete the upgrade; how many are up and answer a
 * ping afterwards. */
static int count_up(int n, const net_privkey_t *key, const char *why,
                    uint32_t want) {
  evil_t **es = calloc((size_t)n, sizeof *es);
  for (int i = 0; i < n; i++) {
    es[i] = dial(key, src);
    if (evil_upgrade(es[i]) || evil_yamux(es[i], 0)) {
      evil_free(es[i]);
      es[i] = NULL;
    }
  }
  uint32_t up = 0;
  for (int i = 0; i < n; i++)
    if (es[i] && evil_alive(es[i], 5000))
      up++;
  for (int i = 0; i < n; i++)
    evil_free(es[i]);
  free(es);
  return done(up == want, "%u of %d connections %s are up (want %u)", up, n,
              why, want);
}

static int per_ip(void) {
  return count_up(n_arg > 0 ? n_arg : 12, NULL, "from one IP, each its own peer",
                  NET_HOST_CONNS_PER_IP);
}

static int per_peer(void) {
  net_privkey_t key;
  if (net_privkey_generate(&key))
    return 2;
  return count_up(n_arg > 0 ? n_arg : 6, &key, "of one peer",
                  NET_HOST_CONNS_PER_PEER);
}

/* n silent connections from SRC, SRC+1, ... (8 each, the per-IP cap),
 * held for secs: "ready" once they are open.  Prints how many the daemon
 * closed (evicted or timed out). */
static int flood(void) {
  int n = n_arg > 0 ? n_arg : 100;
  struct in_addr base;
  inet_pton(AF_INET, src ? src : "127.0.0.100", &base);
  evil_t **es = calloc((size_t)n, sizeof *es);
  for (int i = 0; i < n; i++) {
    struct in_addr a = {htonl(ntohl(base.s_addr) + (uint32_t)(i / 8))};
    char from[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, from, sizeof from);
    es[i] = dial(NULL, from);
  }
  printf("ready\n");
  fflush(stdout);
  uint64_t end = evil_ms() + (uint64_t)secs * 1000;
  int closed = 0;
  while (evil_ms() < end && closed < n) {
    struct pollfd *pf = calloc((size_t)n, sizeof *pf);
    for (int i = 0; i < n; i++)
      pf[i] = (struct pollfd){.fd = es[i] ? es[i]->fd : -1, .events = POLLIN};
    poll(pf, (nfds_t)n, 100);
    for (int i = 0; i < n; i++)
      if (es[i] && (pf[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        uint8_t b[512];
        ssize_t k = recv(es[i]->fd, b, sizeof b, MSG_DONTWAIT);
        if (k == 0 || (k < 0 && errno != EAGAIN)) {
          evil_free(es[i]);
          es[i] = NULL;
          closed++;
        }
      }
    free(pf);
  }
  for (int i = 0; i < n; i++)
    evil_free(es[i]);
  free(es);
  return done(true, "%d silent connections held; the daemon closed %d", n,
              closed);
}

/* n well-behaved peers (each its own key) that stay connected, answer
 * pings and refuse streams, for secs or until stdin closes; "ready" once
 * all are up, and at the end how many the daemon closed. */
static int hold(void) {
  int n = n_arg > 0 ? n_arg : 6;
  evil_t **es = calloc((size_t)n, sizeof *es);
  for (int i = 0; i < n; i++) {
    es[i] = dial_upgraded();
    if (evil_yamux(es[i], 0))
      return 2;
  }
  printf("ready\n");
  fflush(stdout);
  uint64_t end = evil_ms() + (uint64_t)secs * 1000;
  int closed = 0;
  while (evil_ms() < end && closed < n) {
    struct pollfd *pf = calloc((size_t)n + 1, sizeof *pf);
    for (int i = 0; i < n; i++)
      pf[i] = (struct pollfd){.fd = es[i] ? es[i]->fd : -1, .events = POLLIN};
    pf[n] = (struct pollfd){.fd = 0, .events = POLLIN};
    poll(pf, (nfds_t)n + 1, 200);
    if (pf[n].revents) {
      char c;
      if (read(0, &c, 1) <= 0)
        end = 0;
    }
    for (int i = 0; i < n; i++)
      if (es[i] && pf[i].revents && evil_service(es[i], 0)) {
        evil_free(es[i]);
        es[i] = NULL;
        closed++;
      }
    free(pf);
  }
  for (int i = 0; i < n; i++)
    evil_free(es[i]);
  free(es);
  return done(true, "held %d connections; the daemon closed %d", n, closed);
}

#include "evil_bsw.h"

static const struct {
  const char *name;
  int (*fn)(void);
  const char *what;
} SCENARIOS[] = {
    {"mss-garbage", mss_garbage, "4 KiB of 0xff instead of multistream"},
    {"mss-long", mss_long, "a multistream line over 1024 bytes"},
    {"mss-trunc", mss_trunc, "half a multistream message, then silence"},
    {"silent", silent, "TCP connect, then nothing"},
    {"noise-stall", noise_stall, "Noise messages 1-2, never 3"},
    {"noise-big", noise_big, "a 65535-byte Noise handshake message"},
    {"noise-badtag", noise_badtag, "a transport frame with a bad tag"},
    {"noise-short", noise_short, "a transport frame shorter than a tag"},
    {"noise-trunc", noise_trunc, "a truncated transport frame, then silence"},
    {"y-window", y_window, "yamux data beyond the window"},
    {"y-type", y_type, "an unknown yamux frame type"},
    {"y-version", y_version, "a bad yamux version"},
    {"y-winup", y_winup, "200k window updates, then an overflowing one"},
    {"y-pings", y_pings, "yamux pings, pongs never read"},
    {"y-streams", y_streams, "-n streams (600) never negotiated"},
    {"noread", noread, "-n ping streams (200), answers never read"},
    {"per-ip", per_ip, "-n upgraded connections (12) from one IP"},
    {"per-peer", per_peer, "-n connections (6) of one peer ID"},
    {"flood", flood, "-n silent connections (100) from -s and up, held -t s"},
    {"hold", hold, "-n good peers (6) held -t s or until stdin closes"},
    {"bsw-corrupt", bsw_corrupt, "bitswap: HAVE, then blocks that lie"},
    {"bsw-unasked", bsw_unasked, "bitswap: blocks nobody asked for"},
    {"bsw-big", bsw_big, "bitswap: a message over BSW_MSG_MAX"},
    {"bsw-stall", bsw_stall, "bitswap: HAVE to all, never a block"},
    {"bsw-halves", bsw_halves,
     "bitswap: streams each holding half a message, never finished"},
};

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: evil_peer SCENARIO IP PORT [-s SRC] [-n N] "
                    "[-t SECONDS]\n");
    for (size_t i = 0; i < TR_ARRAY_LEN(SCENARIOS); i++)
      fprintf(stderr, "  %-12s %s\n", SCENARIOS[i].name, SCENARIOS[i].what);
    return 2;
  }
  name = argv[1], ip = argv[2], port = atoi(argv[3]);
  for (int i = 4; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "-s"))
      src = argv[i + 1];
    else if (!strcmp(argv[i], "-n"))
      n_arg = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-t"))
      secs = atoi(argv[i + 1]);
    else
      return fprintf(stderr, "evil_peer: unknown option %s\n", argv[i]), 2;
  }
  for (size_t i = 0; i < TR_ARRAY_LEN(SCENARIOS); i++)
    if (!strcmp(name, SCENARIOS[i].name))
      return SCENARIOS[i].fn();
  fprintf(stderr, "evil_peer: no scenario %s\n", name);
  return 2;
}

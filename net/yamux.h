/*
 * yamux.h — the /yamux/1.0.0 stream multiplexer (hashicorp/yamux spec.md,
 * libp2p/specs yamux/README.md), sans-I/O.
 *
 * Every frame starts with a 12-byte big-endian header:
 *
 *   version (1 byte, 0) | type (1) | flags (2) | stream id (4) | length (4)
 *
 * Types: 0 data (length bytes of payload follow), 1 window update (length is
 * the credit added to the stream's send window), 2 ping (stream 0, length an
 * opaque value echoed with ACK), 3 go away (stream 0, length an error code:
 * 0 normal, 1 protocol error, 2 internal error).  Flags: SYN 1 opens a
 * stream, ACK 2 accepts it, FIN 4 half-closes, RST 8 resets.  The dialer's
 * streams have odd ids, the listener's even ones.  Every stream starts with
 * a 256 KiB window each way.
 *
 * Use: net_yamux_init() with callbacks; feed received bytes to
 * net_yamux_feed() (which calls the callbacks as frames complete), send
 * what net_yamux_output() returns, then net_yamux_output_done().  Open
 * streams with net_yamux_open(), write with net_yamux_write() (which takes
 * only what the peer's window allows: the rest waits for on_window), and
 * tell the session what the application has consumed with
 * net_yamux_consume(): only that is credited back to the peer, so a reader
 * that stops reading stops the peer (back-pressure) instead of buffering.
 *
 * Callbacks may call any function on the session, including write, open,
 * reset and close; a stream id stays valid until on_close reports it gone.
 * They must not free the session (mark it and free it after feed returns).
 *
 * Limits (net_yamux_limits_t, defaults NET_YAMUX_*): streams open at once
 * (a SYN past it is refused with RST, as go-yamux does), bytes of output
 * queued (writes take no more past out_max; feed stops reading at twice
 * out_max: the caller must send first, so a peer that pings but never
 * reads cannot grow it), and the receive window.
 * Time limits are the caller's.  Errors are fatal to the session: the
 * caller sends the output (a go-away) and closes the connection.
 */
#ifndef NET_YAMUX_H
#define NET_YAMUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

#define NET_YAMUX_PROTOCOL "/yamux/1.0.0"
#define NET_YAMUX_HDR 12
#define NET_YAMUX_WINDOW (256 * 1024)
/* Default caps. */
#define NET_YAMUX_STREAMS_MAX 256
#define NET_YAMUX_OUT_MAX (1024 * 1024)

enum { NET_YAMUX_DATA = 0, NET_YAMUX_WINUP = 1, NET_YAMUX_PING = 2,
       NET_YAMUX_GOAWAY = 3 };
enum { NET_YAMUX_SYN = 1, NET_YAMUX_ACK = 2, NET_YAMUX_FIN = 4,
       NET_YAMUX_RST = 8 };
enum { NET_YAMUX_GO_NORMAL = 0, NET_YAMUX_GO_PROTO = 1,
       NET_YAMUX_GO_INTERNAL = 2 };

typedef struct net_yamux net_yamux_t;

/* What feed reports.  Any may be NULL.  ud is net_yamux_t.data. */
typedef struct net_yamux_cbs {
  /* The peer opened stream id.  Return 0 to accept (an ACK goes out with
   * the next window update or data), anything else to refuse it (RST). */
  int (*on_stream)(net_yamux_t *y, uint32_t id);
  /* Payload on stream id; the view lasts for the call.  Call
   * net_yamux_consume() once the application has taken the bytes. */
  void (*on_data)(net_yamux_t *y, uint32_t id, const uint8_t *p, size_t n);
  /* The peer half-closed (FIN) or reset (RST) stream id. */
  void (*on_fin)(net_yamux_t *y, uint32_t id);
  void (*on_reset)(net_yamux_t *y, uint32_t id);
  /* The peer's window for stream id grew: writes may resume. */
  void (*on_window)(net_yamux_t *y, uint32_t id);
  /* Stream id is gone (both sides closed, or reset): forget it.  It is
   * out of the table already; data is its user pointer. */
  void (*on_close)(net_yamux_t *y, uint32_t id, void *data);
  /* Answer to our ping, and the peer's go-away. */
  void (*on_pong)(net_yamux_t *y, uint32_t opaque);
  void (*on_goaway)(net_yamux_t *y, uint32_t code);
} net_yamux_cbs_t;

typedef struct net_yamux_limits {
  uint32_t streams_max; /* open at once, both directions */
  size_t out_max;       /* queued output that stops feed */
  uint32_t window;      /* receive window a stream starts with (>= 256 KiB) */
  uint32_t window_max;  /* and may grow to (net_yamux_consume); < window:
                         * no growth */
} net_yamux_limits_t;

typedef struct net_yamux_stream {
  uint32_t id;
  uint32_t send_win;  /* what the peer lets us send */
  uint32_t recv_win;  /* what we let the peer send */
  uint32_t unacked;   /* consumed by the application, not yet credited */
  uint32_t win;       /* the receive window now: window .. window_max */
  uint8_t flags;      /* NET_YAMUX_S_* */
  void *data;
} net_yamux_stream_t;

enum {
  NET_YAMUX_S_LFIN = 1,  /* we sent FIN */
  NET_YAMUX_S_RFIN = 2,  /* the peer sent FIN */
  NET_YAMUX_S_ACKED = 4, /* opened by the peer: our ACK is due/sent */
  NET_YAMUX_S_NEEDACK = 8,
};

struct net_yamux {
  net_yamux_cbs_t cbs;
  net_yamux_limits_t lim;
  void *data;
  bool client, goaway_sent, goaway_recv, failed;
  uint32_t next_id;
  net_yamux_stream_t *streams;
  uint32_t nstreams, cap;
  /* the frame being read */
  uint8_t hdr[NET_YAMUX_HDR];
  uint8_t hdrlen;
  uint32_t body_left; /* payload bytes of the current data frame to come */
  uint32_t body_id;   /* its stream (0: discard) */
  tr_bytes_t out;
  size_t out_off;
};

/* Fill lim with the defaults. */
void net_yamux_limits_default(net_yamux_limits_t *lim);

/* Start a session; client is the dialer's side (odd stream ids).  lim may be
 * NULL (defaults).  Allocates nothing yet.  0 or TR_EUSAGE (a window under
 * 256 KiB, no streams). */
int net_yamux_init(net_yamux_t *y, bool client, const net_yamux_cbs_t *cbs,
                   const net_yamux_limits_t *lim, void *data) TR_WUR;
/* Free the stream table and output; no callbacks. */
void net_yamux_free(net_yamux_t *y);

/* Feed received bytes.  *consumed is less than len only when the queued
 * output reached 2 * lim.out_max (send it and feed the rest) or on error.
 * 0, or (fatal; a go-away is queued):
 *   TR_EPROTO  a bad version or type, a data frame beyond the window we
 *              gave, a SYN for an id of the wrong parity or in use, a
 *              stream frame on id 0 or a session frame on another
 *   -ENOMEM
 * TR_EUSAGE when fed after a fatal error. */
int net_yamux_feed(net_yamux_t *y, const uint8_t *in, size_t len,
                   size_t *consumed) TR_WUR;

/* Queued output: a view valid until the next call on y.  Then say how much
 * was taken with net_yamux_output_done(). */
const uint8_t *net_yamux_output(net_yamux_t *y, size_t *len);
void net_yamux_output_done(net_yamux_t *y, size_t n);

/* Open a stream (a window update with SYN goes out).  Returns its id (> 0),
 * or TR_ELIMIT (streams_max open, or ids used up), TR_EGOAWAY (either side
 * went away), -ENOMEM. */
int64_t net_yamux_open(net_yamux_t *y) TR_WUR;

/* Queue p[0..n) on stream id, as much as its send window allows and output
 * room (lim.out_max) permits.  Returns the bytes taken (0: wait for
 * on_window or for the output to drain), or TR_ENOSTREAM (no such stream,
 * or we already sent FIN), -ENOMEM. */
int64_t net_yamux_write(net_yamux_t *y, uint32_t id, const uint8_t *p,
                        size_t n) TR_WUR;
/* How much net_yamux_write() would take now on id (0 when none). */
uint32_t net_yamux_send_window(const net_yamux_t *y, uint32_t id);

/* The application took n bytes of stream id's data: credit them back to
 * the peer (in one window update once half the window is owed).  With
 * grow, that update also doubles the stream's window, up to
 * lim.window_max: the caller says so when taking the bytes cost it
 * nothing it must hold (go-yamux grows a window when its reader keeps up;
 * a reader that answers what it reads and cannot send the answers should
 * not ask for more).  No-op for an unknown stream. */
void net_yamux_consume(net_yamux_t *y, uint32_t id, uint32_t n, bool grow);

/* Half-close (FIN) or reset (RST) stream id.  0, TR_ENOSTREAM, -ENOMEM. */
int net_yamux_close(net_yamux_t *y, uint32_t id) TR_WUR;
int net_yamux_reset(net_yamux_t *y, uint32_t id) TR_WUR;

/* Ping with an opaque value; go away with a code (no new streams either
 * way afterwards).  0 or -ENOMEM. */
int net_yamux_ping(net_yamux_t *y, uint32_t opaque) TR_WUR;
int net_yamux_goaway(net_yamux_t *y, uint32_t code) TR_WUR;

/* The per-stream user pointer (NULL for an unknown stream). */
void *net_yamux_stream_data(const net_yamux_t *y, uint32_t id);
int net_yamux_set_stream_data(net_yamux_t *y, uint32_t id, void *data);
/* Streams open now. */
static inline uint32_t net_yamux_nstreams(const net_yamux_t *y) {
  return y->nstreams;
}

/* Encode one header into out. */
void net_yamux_header(uint8_t out[NET_YAMUX_HDR], uint8_t type,
                      uint16_t flags, uint32_t id, uint32_t length);

#endif /* NET_YAMUX_H */

/*
 * host_int.h — what host.c (libuv: sockets, timers), conn.c (the upgrade
 * and the streams, no libuv calls), addrs.c and the built-in protocols
 * (identify.c, ping.c) share.  Nothing outside net/ includes it.
 *
 * Calls go one way: host.c → identify.c, ping.c (their init) → conn.c
 * (streams, handlers, the upgrade) → mss, noise, yamux.  conn.c reaches
 * the socket only through the connection's transport (net_transport_t,
 * filled in by host.c), and tells the protocols that a connection is up
 * through the hooks they registered (net__on_conn_up), so that it never
 * calls up.
 */
#ifndef NET_HOST_INT_H
#define NET_HOST_INT_H

#include "addrpolicy.h"
#include "host.h"
#include "identify.h"
#include "mss.h"
#include "noise.h"
#include "obsaddr.h"
#include "peerstore.h"
#include "ws.h"
#include "yamux.h"

/* Largest remote address kept per connection (/ip6/.../tcp/N is 21). */
#define NET_CONN_MA_MAX 32

enum {
  NET_PH_DIAL,    /* TCP connect in progress */
  NET_PH_SEC,     /* multistream-select for /noise, plaintext */
  NET_PH_NOISE,   /* the Noise handshake */
  NET_PH_MUX,     /* multistream-select for /yamux/1.0.0, encrypted */
  NET_PH_OPEN,    /* yamux */
  NET_PH_CLOSED,
};

/* What conn.c needs of the socket under a connection: host.c's TCP
 * functions, handed over when the connection is made.  send_* copy p;
 * close tears the connection down (conn.c's net__conn_teardown runs
 * first) and is a no-op when it is already closing. */
typedef struct net_transport {
  int (*send_raw)(net_conn_t *c, const uint8_t *p, size_t n);
  int (*send_sealed)(net_conn_t *c, const uint8_t *p, size_t n);
  void (*pause)(net_conn_t *c, bool pause);
  size_t (*queued)(net_conn_t *c); /* bytes waiting on the socket */
  void (*close)(net_conn_t *c, int status);
  uint64_t (*now)(net_conn_t *c); /* loop ms */
} net_transport_t;

/* Bytes of streams one way and the other, and their rates (bw.c). */
typedef struct net__bwc {
  uint64_t in, out;           /* since the start */
  uint64_t in_last, out_last; /* at the last rate tick */
  double rate_in, rate_out;   /* bytes/s over the last tick */
} net__bwc_t;

/* Called when a connection finished its upgrade (yamux is up). */
typedef void (*net_conn_up_cb)(net_conn_t *c, void *ud);
#define NET_HOST_HOOKS_MAX 8

struct net_conn {
  uv_tcp_t tcp;
  const net_transport_t *tp;
  uv_connect_t creq;
  net_host_t *h;
  net_conn_t *next, *prev;
  uint8_t phase;
  bool outbound, closing, paused, has_expect;
  bool rd_started; /* start_conn ran: the socket may be read */
  bool reading;    /* uv_read_start is in effect */
  uint64_t deadline; /* loop ms; 0: none */
  net_mss_t *mss;     /* during a negotiation only */
  net_noise_t *noise; /* during the handshake only */
  net_noise_cs_t tx, rx;
  net_yamux_t mux;
  net_peerid_t peer, expect;
  bool pnet_on; /* pn runs: our nonce is out, every byte goes through it */
  net_pnet_t pn;
  /* A /ws connection: ws_hs while its HTTP upgrade runs (ws_head holds
   * the head read so far), then ws_on: every byte either way travels in
   * WebSocket frames, under the private network's protector (ws.h). */
  bool ws, ws_hs, ws_on;
  net_ws_t wsr;
  uint8_t ws_key[NET_WS_KEY_LEN];
  tr_bytes_t ws_head;
  uint8_t ma[NET_CONN_MA_MAX];
  uint8_t malen;
  uint8_t ip[8];    /* inbound: the remote IPv4 address or IPv6 /56 */
  uint8_t iplen;    /* 0: outbound, or exempt from conns_per_ip */
  uint64_t started; /* loop ms: accepted or dialled */
  uint64_t opened;  /* loop ms: upgraded */
  uint64_t used;    /* loop ms: last stream opened or data received */
  uint64_t rx_at;   /* loop ms: last bytes received */
  uint64_t ping_at; /* loop ms: keep-alive ping in flight; 0: none */
  uint32_t ping_id;
  uint64_t wprogress; /* loop ms: the socket's queue last shrank or was empty */
  size_t wq_last;     /* the socket's queue at the last sweep */
  size_t wbuffered;   /* bytes its streams hold beyond the peer's windows */
  uint8_t lma[NET_CONN_MA_MAX]; /* our end (observed addresses) */
  uint8_t lmalen;
  tr_bytes_t in;    /* received bytes short of a whole frame */
  tr_bytes_t plain; /* decrypted bytes yamux has not taken yet */
  net_connect_cb ccb;
  void *cud;
  net__bwc_t bw; /* its streams' bytes (net_host_bw per peer) */
};

struct net_stream {
  net_conn_t *c;
  uint32_t id;
  bool inbound, fin_pending, reset_seen;
  bool wrote; /* the application wrote on it (its window stays: conn.c) */
  bool drain_wanted; /* a write left bytes in wbuf: on_drain when out */
  net_mss_t *mss; /* during negotiation only */
  const char *proto;
  uint64_t deadline;
  net_stream_cbs_t cbs;
  void *ud;
  net_open_cb ocb;
  void *oud;
  tr_bytes_t wbuf; /* written, beyond the peer's window */
  size_t woff;
  uint8_t bwp; /* its protocol's bandwidth entry + 1; 0: none (yet) */
  bool paused;  /* net_stream_pause: what arrives is not credited back */
  uint32_t owed; /* bytes taken while paused, credited on resume */
};

typedef struct net_handler {
  const char *proto;
  net_handler_cb cb;
  void *ud;
} net_handler_t;

typedef struct net_listener {
  uv_tcp_t tcp;
  net_host_t *h;
  uint8_t ma[NET_CONN_MA_MAX]; /* /ws included */
  uint8_t malen;
  bool ws;
} net_listener_t;

struct net_host {
  uv_loop_t *loop;
  net_privkey_t key;
  net_peerid_t id;
  char agent[64];
  net_host_limits_t lim;
  bool has_psk;
  uint8_t psk[NET_PNET_KEY_LEN];
  bool no_ws; /* the WebSocket transport is off (net_host_opts_t) */
  const struct net_ap *policy; /* net_host_opts_t's, or NULL */
  net_host_stats_t stats;
  net_listener_t *ls[NET_HOST_LISTENERS_MAX];
  size_t nls;
  net_handler_t handlers[NET_HOST_HANDLERS_MAX];
  const char *protos[NET_HOST_HANDLERS_MAX];
  size_t nhandlers;
  struct {
    net_conn_up_cb cb;
    void *ud;
  } up[NET_HOST_HOOKS_MAX];
  size_t nup;
  net_conn_t *conns;
  uint32_t nconns, npending, ndials;
  net_cm_t cm;
  uv_timer_t sweep;
  net_peerstore_t ps;
  struct net_id_wait *idw; /* identify.c's waiters */
  struct {
    net_identified_cb cb;
    void *ud;
  } idwatch[NET_HOST_HOOKS_MAX]; /* identify.c's watchers */
  size_t nidwatch;
  net_obs_t obs; /* what peers observe us at (identify.c records) */
  bool closing;
  /* dial.c's dials (net_host_dial), and how it ends them at the close:
   * a pointer, so that host.c never calls up into dial.c. */
  struct net_dial *dials;
  void (*dials_close)(net_host_t *h);
  net_router_t router; /* find NULL: none (net_host_set_router, dial.c) */
  uint32_t router_gen;  /* how many times it was set */
  int open_handles;
  void (*done)(void *ud);
  void *done_ud;
  net__bwc_t bw; /* all streams */
  struct {
    char name[NET_BW_PROTO_LEN];
    net__bwc_t c;
  } bwp[NET_BW_PROTOS_MAX];
  size_t nbwp;
  uint64_t bw_at; /* loop ms of the last rate tick */
  tr_bucket_t rx;       /* lim.recv_rate's bucket (host.c) */
  uint32_t rx_chunk;    /* the read size it aims at */
  bool rx_throttled;    /* every socket's reading is stopped for it */
  uv_timer_t rx_timer;  /* starts them again */
  uint8_t rbuf[64 * 1024];
  uint8_t pbuf[NET_NOISE_MSG_MAX];
};

/* addrs.c: a socket address as a binary /ip4|ip6/A/tcp/P[/ws] (returns
 * its length), and a /ip4|ip6/A/tcp/P[/ws][/p2p/ID] string as a socket
 * address, whether it is /ws, and a PeerID (len 0 when absent): 0,
 * TR_EMULTIADDR, TR_ENOTRANSPORT (wss, tls and the rest). */
size_t net__sa_to_ma(const struct sockaddr *sa, bool ws, uint8_t *out);
int net__ma_to_sa(const char *s, struct sockaddr_storage *ss, bool *ws,
                  net_peerid_t *peer);

/* conn.c: c->tp must be set before net__conn_start. */
int net__conn_start(net_conn_t *c);
void net__conn_input(net_conn_t *c, const uint8_t *p, size_t n);
void net__conn_pump(net_conn_t *c);
void net__conn_teardown(net_conn_t *c, int status);
/* Deadlines of handshakes and stream negotiations, and the keep-alive. */
void net__sweep(net_host_t *h, uint64_t now);
int net__open_on(net_conn_t *c, const char *proto, net_open_cb cb, void *ud);
/* Run cb(c, ud) for every connection of h that comes up.  0, TR_ELIMIT. */
int net__on_conn_up(net_host_t *h, net_conn_up_cb cb, void *ud);

/* bw.c: count n bytes of s (on c; s NULL: the totals only) in or out;
 * count them for s's protocol alone (bytes read: the totals counted the
 * frame before the negotiation took its part); bind s to its protocol
 * once negotiated (bytes after that count for the protocol too);
 * recompute the rates once NET_BW_RATE_MS has passed (the sweep calls
 * it). */
void net__bw_add(net_conn_t *c, const net_stream_t *s, bool in, size_t n);
void net__bw_add_proto(const net_stream_t *s, bool in, size_t n);
void net__bw_bind(net_stream_t *s, const char *proto);
void net__bw_tick(net_host_t *h, uint64_t now);

/* identify.c, ping.c: register their handlers and hooks on h. */
int net__identify_init(net_host_t *h);
/* identify.c: time out its waiters (from the host's sweep), and cancel
 * them all (when the host closes). */
void net__identify_sweep(net_host_t *h, uint64_t now);
void net__identify_close(net_host_t *h);
int net__ping_init(net_host_t *h);

#endif /* NET_HOST_INT_H */

/*
 * host.h — the libp2p host: TCP listeners and dials on the node's libuv
 * loop, each connection upgraded as go-libp2p and js-libp2p do it
 * (multistream-select "/noise", Noise XX with the PeerID check, then
 * multistream-select "/yamux/1.0.0"), and streams handed to protocol
 * handlers by name after a per-stream multistream-select.
 *
 * The host is the only libuv code in net/ (with AutoNAT's timer,
 * autonat.h); the protocol cores it drives (mss.h, noise.h, yamux.h) are
 * sans-I/O.  Built in: /ipfs/id/1.0.0 and
 * /ipfs/id/push/1.0.0 (identify.c: what peers say about themselves goes to
 * the peerstore, peerstore.h) and /ipfs/ping/1.0.0 (ping.c).  The DHT and
 * bitswap register their protocols with net_host_handle().
 *
 * WebSocket (ws.h): a listen or dial address /ip4|ip6/A/tcp/P/ws runs the
 * same TCP connection behind an HTTP/1.1 Upgrade, every byte after it in
 * WebSocket frames (go-libp2p's and js-libp2p's websocket transports);
 * /wss and /tls/ws are not supported (no TLS).  A peer's plain TCP
 * addresses are dialled before its /ws ones.
 *
 * A private network (net_host_opts_t.psk, the swarm.key of pnet.h): every
 * TCP connection, inbound and outbound, runs the PSK protector under
 * everything else, so the first bytes each side sends are its nonce and
 * the rest (multistream-select, Noise, yamux) is XSalsa20-encrypted.  A
 * peer without the key, or with another, reads noise: its connection fails
 * the handshake and is dropped (net_host_stats().handshakes_failed).
 *
 * Limits (net_host_limits_t, defaults NET_HOST_*): connections at once,
 * per peer and per remote IP (inbound, handshaking or open: go-libp2p's
 * resource manager allows 8 per IPv4 address and per IPv6 /56; 127.0.0.1
 * and ::1, the machine itself, are exempt), inbound handshakes in progress
 * (when full, the oldest one makes room for the newcomer, so that silent
 * connections cannot lock honest peers out), dials in progress, streams per connection (yamux's cap),
 * bytes a stream buffers for writing, bytes all the streams a peer opened
 * on one connection buffer (the answers to what it asked: a peer that
 * asks on many streams and never reads is held to that; a stream that
 * would pass it is reset), bytes queued on a socket before the host stops
 * pulling from its session; and times: a dial, a handshake (security and
 * muxer), a stream's protocol negotiation, a write that makes no progress
 * (go-yamux's ConnectionWriteTimeout: a peer that stops reading is cut),
 * and the keep-alive (go-yamux's: after that long without input a yamux
 * ping goes out, and a connection whose pong does not come within the
 * write timeout is cut).  A peer that breaks a limit loses its connection
 * (or its stream), nothing more.
 *
 * Receive rate (net_host_limits_t.recv_rate; trove's Swarm.MaxRecvRate):
 * one token bucket (tr_bucket_t) for every byte the host takes from its
 * sockets, whatever it carries (bitswap blocks, DHT, identify; the Noise,
 * yamux and private-network overhead too, so the bytes on the wire are
 * bounded, not only the payload net_host_bw counts).  Each read is at most
 * what the bucket holds (at least NET_HOST_RECV_CHUNK_MIN, at most
 * rate/64 clamped to NET_HOST_RECV_CHUNK_MAX); once it holds less than one
 * such chunk every connection stops reading (uv_read_stop) and a timer
 * starts them all again when it has refilled.  The kernel's receive
 * window, then yamux's stream windows, then the senders' own queues slow
 * the senders: nothing is dropped.  Burst: NET_HOST_RECV_BURST_MS of the
 * rate (at least four chunks).  It lives here, at the socket, rather than
 * in bitswap's wants: what a want-block costs is known only once the
 * block arrives, and a peer may send what was never asked for.  Why it
 * does not kill the connections it slows: pauses are a chunk's worth of
 * the rate (16 ms at 1 MiB/s), far under the keep-alive's and the write
 * timeout's seconds; every connection with bytes waiting gets its turn
 * (the loop's poll serves ready sockets in rotation), so small control
 * traffic waits behind at most a chunk per busy connection; and our own
 * writes are not throttled, so our write timeout is unaffected.  Rates
 * under NET_HOST_RECV_RATE_MIN are raised to it (a slower one would let
 * many busy connections starve a ping past the timeouts).
 *
 * Connection manager (net_cm_cfg_t in net_host_opts_t, connmgr.h; Kubo's
 * Swarm.ConnMgr): past HighWater open connections, the host closes the
 * least useful ones down to LowWater, sparing those younger than the grace
 * period and the peers protected with net_host_protect().  Dial backoff
 * (connmgr.h; go-libp2p's swarm): a failed dial to (peer, address) makes
 * the same dial fail at once with TR_EBACKOFF for 5 s, longer after each
 * further failure (at most 5 min), until a connection to the peer
 * succeeds.
 *
 * Threading: everything on the loop thread.  Callbacks follow libuv: a
 * call that fails synchronously never calls its callback.
 */
#ifndef NET_HOST_H
#define NET_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../common/tr.h"
#include "connmgr.h"
#include "multiaddr.h"
#include "peerid.h"
#include "pnet.h"

#define NET_HOST_CONNS_MAX 512
#define NET_HOST_CONNS_PER_PEER 4
#define NET_HOST_CONNS_PER_IP 8
#define NET_HOST_PENDING_MAX 64
#define NET_HOST_DIALS_MAX 64
#define NET_HOST_STREAMS_MAX 256
#define NET_HOST_STREAM_BUF_MAX (4 * 1024 * 1024)
/* The receive window a stream may grow to.  yamux's 256 KiB held a
 * stream to 256 KiB in flight: under 60% of what the same stream moves
 * at 16 MiB on loopback (bench/p2p.sh: 0.58-0.60 against 1.01-1.04
 * GB/s), 2.6 MB/s at 100 ms RTT.  16 MiB is where go-yamux's and js-libp2p's auto-tuning
 * stop.  Each stream starts at 256 KiB and doubles its window with each
 * credit while the application has written nothing on it (conn.c): trove
 * hands every byte to the stream's handler as it arrives, so a window
 * holds no memory of ours, but a handler that answers (ping, an echo, a
 * DHT query) must not be asked faster than its answers leave. */
#define NET_HOST_STREAM_WINDOW (16 * 1024 * 1024)
#define NET_HOST_CONN_BUF_MAX (8 * 1024 * 1024)
#define NET_HOST_SOCK_BUF_MAX (1024 * 1024)
#define NET_HOST_DIAL_MS 10000
#define NET_HOST_HANDSHAKE_MS 15000
#define NET_HOST_NEGOTIATE_MS 10000
#define NET_HOST_WRITE_MS 10000
#define NET_HOST_KEEPALIVE_MS 30000
/* The inbound rate limit (recv_rate; 0: none, the default).  See
 * "Receive rate" above. */
#define NET_HOST_RECV_RATE 0
#define NET_HOST_RECV_BURST_MS 100
#define NET_HOST_RECV_CHUNK_MAX (16 * 1024)
#define NET_HOST_RECV_CHUNK_MIN 1024
#define NET_HOST_RECV_RATE_MIN (16 * 1024)
#define NET_HOST_LISTENERS_MAX 8
#define NET_HOST_HANDLERS_MAX 32

typedef struct net_host_limits {
  uint32_t conns_max, conns_per_peer, conns_per_ip, pending_max, dials_max,
      streams_max;
  size_t stream_buf_max, conn_buf_max, sock_buf_max;
  uint32_t stream_window; /* a stream's receive window grows to */
  uint32_t dial_ms, handshake_ms, negotiate_ms, write_ms, keepalive_ms;
  uint64_t recv_rate; /* bytes/s taken from all sockets; 0: unlimited */
} net_host_limits_t;

void net_host_limits_default(net_host_limits_t *lim);

typedef struct net_host net_host_t;
typedef struct net_stream net_stream_t;
typedef struct net_conn net_conn_t;

/* --------------------------------------------------------------- host */

typedef struct net_host_opts {
  const net_privkey_t *key; /* copied */
  const char *agent;        /* "trove/0.1.0"; copied */
  const net_host_limits_t *limits; /* NULL: defaults */
  const net_cm_cfg_t *connmgr;     /* NULL: defaults (Kubo's) */
  /* NULL: the public network.  Else the private network's key,
   * NET_PNET_KEY_LEN bytes (net_pnet_key_parse()), copied: only peers with
   * the same key can connect, either way. */
  const uint8_t *psk;
  /* The WebSocket transport (/tcp/P/ws, ws.h) off: its listens and dials
   * fail with TR_ENOTRANSPORT (Kubo's Swarm.Transports.Network.Websocket
   * false). */
  bool no_ws;
  /* NULL: announce the listen addresses, filter nothing.  Else Kubo's
   * Addresses.Announce/AppendAnnounce/NoAnnounce and Swarm.AddrFilters
   * (addrpolicy.h), the caller's, for the host's life: what
   * net_host_announce_addrs gives, and the ranges neither dialled
   * (TR_EFILTERED) nor accepted. */
  const struct net_ap *policy;
} net_host_opts_t;

/* Make a host on loop.  0, -ENOMEM, TR_EUSAGE (no key, or a connection
 * manager with LowWater over HighWater). */
int net_host_new(uv_loop_t *loop, const net_host_opts_t *o,
                 net_host_t **out) TR_WUR;

/* Listen on a TCP multiaddr ("/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/0"),
 * or a WebSocket one ("/ip4/0.0.0.0/tcp/4002/ws": a port of its own).
 * Others (quic, wss, webtransport) are skipped: returns TR_ENOTRANSPORT, and
 * the caller may go on.  0, TR_EMULTIADDR, TR_ELIMIT, or libuv's -errno. */
int net_host_listen(net_host_t *h, const char *maddr) TR_WUR;

/* The addresses listened on, as strings (port 0 resolved; 0.0.0.0 and ::
 * expanded to the machine's interface addresses, as Kubo prints them).
 * Writes up to max into out; returns how many there are. */
size_t net_host_addrs(net_host_t *h, char (*out)[NET_MA_STR_MAX / 16],
                      size_t max);

/* The addresses the host tells peers it is at (identify, the DHT, `id`):
 * the listen addresses as net_host_addrs gives them, through the
 * options' policy (Announce, AppendAnnounce, NoAnnounce).  Same shape
 * and return as net_host_addrs(). */
size_t net_host_announce_addrs(net_host_t *h, char (*out)[NET_MA_STR_MAX / 16],
                               size_t max);

/* The addresses peers observe us at that enough of them agree on
 * (obsaddr.h: NET_OBS_ACTIVATION distinct observers, an IPv4 address or
 * IPv6 /56 each, for one of the addresses above; at most
 * NET_OBS_PER_LISTEN per listen address, most observed first).  A
 * connection we dialled has an ephemeral local port, so only inbound
 * connections count: the answer is empty until enough peers have dialled
 * us.  Same shape and return as net_host_addrs(). */
size_t net_host_observed_addrs(net_host_t *h,
                               char (*out)[NET_MA_STR_MAX / 16], size_t max);

/* Close every listener and connection, then free h; done (may be NULL)
 * runs once all handles are closed, with done_ud. */
void net_host_close(net_host_t *h, void (*done)(void *ud), void *done_ud);

/* Counters since net_host_new(). */
typedef struct net_host_stats {
  /* Connections that were up at the TCP level and closed before their
   * upgrade finished: a peer that does not speak multistream-select or
   * Noise, one with another private network key (or none, or one where
   * we have none), a PeerID that is not the one dialled, a timeout.
   * Connections cut by net_host_close() do not count. */
  uint64_t handshakes_failed;
  /* The receive rate limit: times every connection stopped reading for it,
   * and the bytes it metered (all that was read from sockets; 0 without a
   * limit). */
  uint64_t recv_throttled, recv_metered;
} net_host_stats_t;
void net_host_stats(const net_host_t *h, net_host_stats_t *out);

/* Bandwidth, as go-libp2p's metrics.BandwidthCounter reports it to Kubo's
 * `stats bw`: the bytes of streams (what yamux carries for them, the
 * multistream-select negotiation included; not yamux's, Noise's or TCP's
 * own overhead), in and out, since net_host_new(), with a rate in bytes a
 * second over the last NET_BW_RATE_MS.  Counted three ways: all
 * streams; per peer, the sum over its connections open now (the bytes of
 * closed connections leave a peer's count, unlike go-libp2p's meters that
 * outlive them); per protocol, the bytes after negotiation, for up to
 * NET_BW_PROTOS_MAX protocol names (those of longer than NET_BW_PROTO_LEN
 * - 1 bytes, and any beyond the cap, count only in the totals). */
#define NET_BW_PROTOS_MAX 64
#define NET_BW_PROTO_LEN 96
#define NET_BW_RATE_MS 1000
typedef struct net_bw {
  uint64_t total_in, total_out;
  double rate_in, rate_out; /* bytes per second */
} net_bw_t;
/* peer NULL and proto NULL: all; peer: that peer's open connections (zero
 * when none); proto: that protocol (zero when never seen).  Both: peer
 * wins (the API refuses both, as Kubo does). */
void net_host_bw(const net_host_t *h, const net_peerid_t *peer,
                 const char *proto, net_bw_t *out);

/* Bytes the node read outside the host (bitswap's HTTP retrieval) charged
 * to Swarm.MaxRecvRate's bucket, so that one budget covers all it takes
 * in: n bytes just read.  Returns the milliseconds the caller should stop
 * reading for (0: go on; always 0 without a limit).  The host's own
 * sockets stop too while the bucket is empty. */
uint64_t net_host_recv_charge(net_host_t *h, size_t n);

const net_peerid_t *net_host_id(const net_host_t *h);
const char *net_host_agent(const net_host_t *h);
struct net_peerstore *net_host_peerstore(net_host_t *h);

/* ------------------------------------------------------- connections */

/* Dial maddr ("/ip4/127.0.0.1/tcp/4001/p2p/12D3Koo..."; without /p2p any
 * peer is accepted) and upgrade.  cb gets 0 and the peer, or an error:
 * -ETIMEDOUT, -ECONNREFUSED and libuv's others, TR_EPEER (someone else
 * answered), TR_ENOPROTO (no common security or muxer), TR_EPROTO,
 * TR_ELIMIT.  A peer already connected answers at once.  A failure puts
 * (peer, address) in dial backoff.  Returns 0 (cb will run), or
 * TR_EMULTIADDR, TR_ENOTRANSPORT (not TCP nor /ws), TR_EBACKOFF (that dial failed a
 * moment ago: see above), TR_ELIMIT (dials_max dials or conns_max
 * connections in progress), -ENOMEM. */
typedef void (*net_connect_cb)(net_host_t *h, int status,
                               const net_peerid_t *peer, void *ud);
int net_host_connect(net_host_t *h, const char *maddr, net_connect_cb cb,
                     void *ud) TR_WUR;

/* Where a peer is, for the dials that know it by its ID and whose
 * addresses all failed or were none (go-libp2p's routed host, which asks
 * FindPeer): the daemon hands the host its DHT lookup.  find starts one
 * for peer and returns 0 with *handle set, then calls done(ctx, ...) once
 * from the loop (never inside find): 0 and the addresses found (without
 * /p2p), or an error; cancel(ud, handle) stops it (no done after).  NULL:
 * none, and the lookups under way are cancelled (their dials end with
 * what failed before, from inside this call): the daemon clears it before
 * it closes what find uses. */
typedef void (*net_found_cb)(void *ctx, int status, char *const *addrs,
                             size_t n);
typedef struct net_router {
  int (*find)(void *ud, const net_peerid_t *peer, net_found_cb done,
              void *ctx, void **handle);
  void (*cancel)(void *ud, void *handle);
  void *ud;
} net_router_t;
void net_host_set_router(net_host_t *h, const net_router_t *r);

/* Dial a peer at several addresses until one connects: go-libp2p's
 * host.Connect with an AddrInfo.  With peer given the dials race as
 * go-libp2p's do: in the order given, the next NET_DIAL_STAGGER_MS after
 * the one before while none has connected, at once when one fails, at
 * most NET_DIAL_RACE under way; the first to connect wins (one that
 * connects after it is kept as a second connection is, up to
 * conns_per_peer, and left to the connection manager).  Without peer the
 * addresses may reach different peers: one at a time.  peer (may be NULL)
 * is whom the addresses must reach: an
 * address without /p2p gets /p2p/<peer>, one naming another peer is
 * skipped, and n 0 tries the addresses the peerstore holds for peer.
 * Without peer, each address says whom it reaches (or anyone, as
 * net_host_connect).  /dns, /dns4 and /dns6 names are resolved first
 * (getaddrinfo in libuv's pool, at most NET_DIAL_RESOLVED addresses a
 * name) and the results tried in their order; /dnsaddr is dns/'s.  When
 * every address failed (or there was none) and peer is given, the host's
 * router (net_host_set_router) is asked where it is, once, and what it
 * finds is tried.
 *
 * cb runs exactly once: 0 and the peer, or the last failure (TR_ENOADDR
 * when there was nothing to try, TR_ERESOLVE when a name gave nothing,
 * net_host_connect's errors, -ECANCELED after net_dial_cancel or the
 * host's close).  It runs inside this call when the peer is connected
 * already or nothing could be dialled.  *out (may be NULL) is set for
 * net_dial_cancel and back to NULL just before cb runs.  0, -ENOMEM (no
 * callback) or TR_EUSAGE (n over NET_DIAL_ADDRS). */
#define NET_DIAL_ADDRS 64
#define NET_DIAL_RESOLVED 8
#define NET_DIAL_STAGGER_MS 250 /* go-libp2p's PublicTCPDelay */
#define NET_DIAL_RACE 8
typedef struct net_dial net_dial_t;
int net_host_dial(net_host_t *h, const net_peerid_t *peer,
                  const char *const *addrs, size_t n, net_connect_cb cb,
                  void *ud, net_dial_t **out) TR_WUR;
/* The same with flags: NET_DIAL_NO_ROUTER leaves the router out (the
 * DHT's own dials: asking the DHT where a peer it is querying is would
 * start a lookup for every dead peer of a lookup). */
#define NET_DIAL_NO_ROUTER 1u
int net_host_dial_flags(net_host_t *h, const net_peerid_t *peer,
                        const char *const *addrs, size_t n, unsigned flags,
                        net_connect_cb cb, void *ud,
                        net_dial_t **out) TR_WUR;
/* Try no further address: cb comes once the attempts under way end,
 * with 0 if one connected, else -ECANCELED. */
void net_dial_cancel(net_dial_t *d);

/* Close every connection to peer.  0 or TR_ENOTCONN. */
int net_host_disconnect(net_host_t *h, const net_peerid_t *peer) TR_WUR;

/* Walk the open (upgraded) connections: fn gets each peer, its remote
 * multiaddr (string) and whether we dialled it. */
typedef void (*net_conn_fn)(const net_peerid_t *peer, const char *addr,
                            bool outbound, void *ud);
size_t net_host_conns(net_host_t *h, net_conn_fn fn, void *ud);
/* The same walk with each connection's open streams (`swarm peers
 * --streams`): streams[0..nstreams) their protocols, "" for one whose
 * protocol is still being negotiated (go-libp2p's empty Protocol()).
 * The view lasts for the call.  A connection whose list cannot be
 * allocated is reported with no streams. */
typedef struct net_conn_view {
  const net_peerid_t *peer;
  const char *addr; /* the remote multiaddr */
  bool outbound;
  const char *const *streams;
  size_t nstreams;
} net_conn_view_t;
typedef void (*net_conn_view_fn)(const net_conn_view_t *c, void *ud);
size_t net_host_conns_view(net_host_t *h, net_conn_view_fn fn, void *ud);
bool net_host_connected(net_host_t *h, const net_peerid_t *peer);

/* Protect peer's connections from the connection manager under tag (on),
 * or lift that tag (off); the peer stays protected while any tag holds
 * (go-libp2p's Protect/Unprotect: the DHT and bitswap each keep their own
 * peers).  Works whether or not the peer is connected.  0; TR_EUSAGE (tag
 * empty or over NET_CM_TAG_MAX bytes); TR_ELIMIT (NET_CM_PROTECT_MAX tags
 * held); -ENOMEM. */
int net_host_protect(net_host_t *h, const net_peerid_t *peer,
                     const char *tag, bool on) TR_WUR;
bool net_host_protected(net_host_t *h, const net_peerid_t *peer);

/* ----------------------------------------------------------- streams */

/* What a stream reports.  on_data's view lasts for the call (the bytes
 * are credited back to the peer when it returns); on_close is the last
 * call, with 0 after a clean end (both FINs) or the error that ended it,
 * and s is gone after it.  on_drain (may be NULL) says that the bytes a
 * net_stream_write() had to leave buffered (net_stream_buffered() > 0 when
 * it returned) have all gone to the connection: a writer with more than
 * stream_buf_max to send writes a piece, and the next one from on_drain.
 * It never runs inside net_stream_write() itself. */
typedef struct net_stream_cbs {
  void (*on_data)(net_stream_t *s, const uint8_t *p, size_t n);
  void (*on_fin)(net_stream_t *s);
  void (*on_close)(net_stream_t *s, int status);
  void (*on_drain)(net_stream_t *s);
} net_stream_cbs_t;

/* A protocol handler: a peer opened a stream for proto.  Set callbacks
 * with net_stream_set(); a handler that wants nothing of it resets it. */
typedef void (*net_handler_cb)(net_stream_t *s, void *ud);

/* Register handler for proto (a string that must outlive h).  0,
 * TR_ELIMIT, TR_EEXIST. */
int net_host_handle(net_host_t *h, const char *proto, net_handler_cb cb,
                    void *ud) TR_WUR;
/* Stop answering proto: streams negotiated from now on are refused (those
 * open keep their handler).  0 or TR_ENOTFOUND.  Identify lists what is
 * registered: net_identify_push() tells the connected peers. */
int net_host_unhandle(net_host_t *h, const char *proto) TR_WUR;
/* The protocols registered, in order; returns how many. */
size_t net_host_protocols(net_host_t *h, const char **out, size_t max);

/* Open a stream to a connected peer for proto.  cb gets the stream (0)
 * once the peer accepted proto, or an error (TR_ENOTCONN, TR_ENOPROTO,
 * TR_ELIMIT, -ETIMEDOUT, TR_EGOAWAY) and NULL. */
typedef void (*net_open_cb)(net_stream_t *s, int status, void *ud);
int net_host_open(net_host_t *h, const net_peerid_t *peer, const char *proto,
                  net_open_cb cb, void *ud) TR_WUR;

void net_stream_set(net_stream_t *s, const net_stream_cbs_t *cbs, void *ud);
void *net_stream_ud(net_stream_t *s);
const char *net_stream_protocol(net_stream_t *s);
const net_peerid_t *net_stream_peer(net_stream_t *s);
net_host_t *net_stream_host(net_stream_t *s);
/* The connection's remote address, binary (for identify's observedAddr). */
const uint8_t *net_stream_remote_ma(net_stream_t *s, size_t *len);

/* Queue p[0..n) (sent as the peer's window allows).  0, TR_ELIMIT (over
 * stream_buf_max, or on a stream the peer opened over the connection's
 * conn_buf_max: the stream is reset), TR_ENOSTREAM, -ENOMEM. */
int net_stream_write(net_stream_t *s, const uint8_t *p, size_t n) TR_WUR;
/* Bytes written to s that wait for the peer's window (at most
 * stream_buf_max); on_drain runs when they reach 0 again. */
size_t net_stream_buffered(const net_stream_t *s);
/* Stop (paused true) or start again crediting what arrives on s back to
 * the peer: a paused stream still delivers what the peer had room to
 * send, at most its receive window, then the peer waits.  For a reader
 * that hands the bytes on to something slower (a TCP socket: the
 * daemon's p2p stream mounting) and must not hold more than that. */
void net_stream_pause(net_stream_t *s, bool paused);
/* Half-close once the queued bytes are out; reset at once. */
void net_stream_close(net_stream_t *s);
void net_stream_reset(net_stream_t *s);

#endif /* NET_HOST_H */

/*
 * identify.h — /ipfs/id/1.0.0, /ipfs/id/push/1.0.0 and /ipfs/ping/1.0.0,
 * the protocols every host speaks (registered by net_host_new()).
 *
 * Identify: see identify.c for what is sent and kept.  Ping: the peer
 * echoes each 32-byte payload on the same stream; net_ping() sends one and
 * measures the round trip.
 */
#ifndef NET_IDENTIFY_H
#define NET_IDENTIFY_H

#include "host.h"
#include "peerstore.h"

#define NET_ID_PROTOCOL "/ipfs/id/1.0.0"
#define NET_ID_PUSH_PROTOCOL "/ipfs/id/push/1.0.0"
#define NET_ID_PROTOCOL_VERSION "ipfs/0.1.0"
#define NET_PING_PROTOCOL "/ipfs/ping/1.0.0"
#define NET_PING_SIZE 32

/* Append our Identify message (varint length first) to out, with observed
 * (a binary multiaddr, olen 0 for none) as observedAddr.  0, -ENOMEM. */
int net_identify_build(net_host_t *h, const uint8_t *observed, size_t olen,
                       tr_bytes_t *out) TR_WUR;
/* Read one or more length-prefixed Identify messages p[0..n) from peer into
 * ps.  0, TR_EPROTO, -ENOMEM. */
int net_identify_parse(net_peerstore_t *ps, const net_peerid_t *peer,
                       const uint8_t *p, size_t n) TR_WUR;

/* Wait until a connected peer has answered the identify the host asks on
 * each new connection (what it said is then in the peerstore).  Returns 1
 * when it already has (cb is not called); else 0, and cb runs once: 0 when
 * the answer came, the error that ended the identify stream (the peer
 * refused it, the connection went), -ETIMEDOUT after timeout_ms (checked
 * every 250 ms), -ECANCELED when the host closes.  TR_ENOTCONN, -ENOMEM. */
typedef void (*net_identify_cb)(int status, void *ud);
int net_identify_wait(net_host_t *h, const net_peerid_t *peer,
                      uint32_t timeout_ms, net_identify_cb cb,
                      void *ud) TR_WUR;

/* Watch identify: cb runs each time a peer's identify (the answer to
 * ours, or a push) has been read into the peerstore, so that the DHT can
 * see who speaks its protocol.  At most NET_HOST_HOOKS_MAX watchers.
 * 0, TR_ELIMIT. */
typedef void (*net_identified_cb)(net_host_t *h, const net_peerid_t *peer,
                                  void *ud);
int net_identify_watch(net_host_t *h, net_identified_cb cb, void *ud) TR_WUR;

/* Identify push: tell every connected peer what we are now (our
 * protocols and addresses), on /ipfs/id/push/1.0.0, after a change such as
 * the DHT switching to server mode.  Returns the connections walked (a
 * peer with several gets it on one).  Best effort: a peer that refuses
 * the stream keeps what it had. */
size_t net_identify_push(net_host_t *h);

/* Ping a connected peer count times on one stream, interval_ms apart
 * (Kubo's `ipfs ping` waits 1 s; 0: at once): cb once per answer with the
 * round trip in microseconds (status 0), or once with an error that ends
 * the run (TR_ENOTCONN, TR_ENOPROTO, TR_EPROTO: a wrong or unasked echo,
 * -ETIMEDOUT: no echo within NET_PING_TIMEOUT_MS, go-libp2p's pingTimeout,
 * -ECONNRESET).  After the last answer cb gets status 1 (done).  0, or
 * the errors of net_host_open() and uv_timer_init(). */
#define NET_PING_TIMEOUT_MS 10000
typedef void (*net_ping_cb)(int status, uint64_t rtt_us, void *ud);
int net_ping(net_host_t *h, const net_peerid_t *peer, unsigned count,
             uint32_t interval_ms, net_ping_cb cb, void *ud) TR_WUR;

#endif /* NET_IDENTIFY_H */

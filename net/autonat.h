/*
 * autonat.h — AutoNAT v2 (libp2p/specs autonat/autonat-v2.md): is this
 * node reachable from the Internet, address by address?
 *
 * Client: every NET_AN_TICK_MS the node takes its candidate addresses
 * (the listen addresses with a public IP, as go-multiaddr's IsPublicAddr
 * decides, plus the observed addresses enough peers agree on:
 * net_host_observed_addrs()), picks the one that most needs a check and a
 * connected peer that announced /libp2p/autonat/2/dial-request (the
 * peerstore's protocols) and has not been asked for
 * NET_AN_SERVER_THROTTLE_MS, and sends it a DialRequest with those
 * addresses and a random nonce.  The server dials the first it accepts on
 * a new connection and sends the nonce back on
 * /libp2p/autonat/2/dial-back; a dial-back whose nonce matches no request
 * in flight is reset.  When the server asks for dial data (it must dial
 * an IP other than the one it sees us at), up to NET_AN_DATA_MAX bytes
 * are sent; more is refused.  Each address keeps its last NET_AN_OUTCOMES
 * results: it is reachable when successes outnumber failures by
 * NET_AN_MIN_CONFIDENCE, unreachable the other way round (go-libp2p's
 * addrs_reachability_tracker), and is checked until the difference is
 * NET_AN_TARGET_CONFIDENCE, then again after NET_AN_RECHECK_MS.  The
 * node is Public when one address is reachable, Private when none is and
 * one is unreachable, Unknown otherwise (no candidate, no server, too few
 * answers); a change is logged and told to the on_change callback.
 *
 * Server (opts.service, Kubo's AutoNAT.ServiceMode "enabled"): serves
 * /libp2p/autonat/2/dial-request under rate limits (NET_AN_SERVER_RPM
 * requests a minute in all, NET_AN_SERVER_PEER_RPM and
 * NET_AN_SERVER_PEER_BUSY at once per peer, NET_AN_SERVER_DATA_RPM that
 * need dial data), dials only public IPv4/IPv6 TCP addresses unless
 * opts.allow_private, asks 30,000..100,000 bytes of dial data first when
 * the address's IP is not the one the client connects from, and dials
 * back from a fresh host with a throwaway key (a new connection, never
 * the client's own, as go-libp2p's dialer host).  AutoNAT v1
 * (/libp2p/autonat/1.0.0) is not spoken.
 *
 * Layers: the messages, the server's choices, the rate limiter and the
 * client's tally are sans-I/O (autonat_msg.c, autonat_tally.c: bytes and
 * times in, decisions out) and are tested byte by byte; autonat.c (the
 * client, the service) and autonat_serve.c (the server) drive them on the
 * host's loop.
 */
#ifndef NET_AUTONAT_H
#define NET_AUTONAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "host.h"

#define NET_AN_DIAL_PROTOCOL "/libp2p/autonat/2/dial-request"
#define NET_AN_BACK_PROTOCOL "/libp2p/autonat/2/dial-back"

/* Messages on dial-request, and on dial-back (go's maxMsgSize,
 * dialBackMaxMsgSize). */
#define NET_AN_MSG_MAX 8192
#define NET_AN_BACK_MSG_MAX 1024
/* Addresses of a request a server looks at (go's maxPeerAddresses), and
 * that a client sends (maxAddrsPerRequest). */
#define NET_AN_ADDRS_MAX 50
#define NET_AN_REQ_ADDRS_MAX 10
/* Longest address kept from a request: a longer one is never dialled. */
#define NET_AN_ADDR_MAX 64
/* Dial data a server asks (the spec's 30k..100k), and the most a client
 * pays. */
#define NET_AN_DATA_MIN 30000
#define NET_AN_DATA_MAX 100000
/* Data bytes in one DialDataResponse (the spec's cap), and the fewest a
 * server accepts in one before the end (go: a peer sending crumbs makes
 * the server parse many messages). */
#define NET_AN_DATA_CHUNK 4096
#define NET_AN_DATA_MSG_MIN 100

/* Server limits, per minute and at once (go's defaults). */
#define NET_AN_SERVER_RPM 60
#define NET_AN_SERVER_PEER_RPM 12
#define NET_AN_SERVER_DATA_RPM 12
#define NET_AN_SERVER_PEER_BUSY 2
#define NET_AN_LIMIT_WINDOW_MS 60000
/* A server request, from first byte to answer (go's streamTimeout), the
 * dial back's wait for the client's answer, and the longest a server
 * waits after dial data before dialling (go's thundering-herd guard). */
#define NET_AN_SERVER_MS 15000
#define NET_AN_BACK_MS 5000
#define NET_AN_DATA_WAIT_MS 3000

/* Client: how often it looks for work, how long a check may take (go's
 * probeTimeout), how long a server is left alone after a check
 * (throttlePeerDuration), checks at once, addresses tracked. */
#define NET_AN_TICK_MS 1000
#define NET_AN_PROBE_MS 30000
#define NET_AN_SERVER_THROTTLE_MS (2 * 60 * 1000)
#define NET_AN_CLIENT_BUSY 2
#define NET_AN_TRACK_MAX 16
#define NET_AN_THROTTLE_MAX 64
/* The tally (go's addrs_reachability_tracker constants). */
#define NET_AN_OUTCOMES 5
#define NET_AN_MIN_CONFIDENCE 2
#define NET_AN_TARGET_CONFIDENCE 3
#define NET_AN_RECHECK_MS (60 * 60 * 1000)
#define NET_AN_RESULT_TTL_MS ((uint64_t)NET_AN_OUTCOMES * NET_AN_RECHECK_MS)
#define NET_AN_RECENT_MS (10 * 60 * 1000)
#define NET_AN_RECENT_DIALS_MAX 10
#define NET_AN_REFUSALS_MAX 5

typedef enum net_reach {
  NET_REACH_UNKNOWN = 0,
  NET_REACH_PUBLIC,
  NET_REACH_PRIVATE,
} net_reach_t;

/* "Unknown", "Public", "Private": go-libp2p's Reachability.String(), as
 * Kubo's `swarm addrs autonat` prints it. */
const char *net_reach_str(net_reach_t r);

/* ---------------------------------------------------------- the service */

typedef struct net_autonat net_autonat_t;
typedef void (*net_reach_cb)(net_autonat_t *an, net_reach_t r, void *ud);

typedef struct net_autonat_opts {
  bool service;       /* serve dial-request */
  bool client;        /* check our own addresses */
  bool allow_private; /* test and dial private and loopback addresses too
                         (tests on one machine; never on the Internet) */
  uint32_t tick_ms;   /* 0: NET_AN_TICK_MS */
  uint32_t throttle_ms; /* 0: NET_AN_SERVER_THROTTLE_MS */
  net_reach_cb on_change; /* may be NULL */
  void *data;             /* on_change's ud */
} net_autonat_opts_t;

/* Start AutoNAT on h: registers its protocols (dial-back always, so that
 * the client can be answered; dial-request when o->service) and a timer.
 * 0, -ENOMEM, TR_ELIMIT / TR_EEXIST (net_host_handle: once per host). */
int net_autonat_new(net_host_t *h, const net_autonat_opts_t *o,
                    net_autonat_t **out) TR_WUR;

/* Stop: checks and dial-backs in flight are abandoned (their streams
 * reset, the dial-back hosts closed), an is freed once its handles are.
 * The handlers stay registered on h and name an: close h in the same loop
 * turn (before the loop runs again), as the daemon does. */
void net_autonat_close(net_autonat_t *an);

net_reach_t net_autonat_reachability(const net_autonat_t *an);

/* Each tracked address (a multiaddr string) and what is known of it;
 * returns how many. */
typedef void (*net_an_addr_fn)(const char *addr, net_reach_t r, void *ud);
size_t net_autonat_addrs(net_autonat_t *an, net_an_addr_fn fn, void *ud);

/* ------------------------------------------------ messages (sans-I/O) */

/* One message at the start of p[0..n), behind its varint length: returns
 * the bytes it takes with *body, *blen set, 0 when more bytes are needed,
 * TR_ETOOBIG when the length is over max, TR_EPROTO for a malformed
 * length. */
int64_t net_an_frame(const uint8_t *p, size_t n, size_t max,
                     const uint8_t **body, size_t *blen) TR_WUR;

enum { /* Message.msg */
  NET_AN_NONE = 0,
  NET_AN_DIAL_REQUEST = 1,
  NET_AN_DIAL_RESPONSE = 2,
  NET_AN_DATA_REQUEST = 3,
  NET_AN_DATA_RESPONSE = 4,
};
enum { /* DialResponse.status */
  NET_AN_RS_INTERNAL_ERROR = 0,
  NET_AN_RS_REJECTED = 100,
  NET_AN_RS_REFUSED = 101,
  NET_AN_RS_OK = 200,
};
enum { /* DialStatus */
  NET_AN_DS_UNUSED = 0,
  NET_AN_DS_DIAL_ERROR = 100,
  NET_AN_DS_BACK_ERROR = 101,
  NET_AN_DS_OK = 200,
};

/* A dial-request stream's Message, decoded or to encode. */
typedef struct net_an_msg {
  int type;
  /* DialRequest: the first NET_AN_ADDRS_MAX addresses (len 0: longer than
   * NET_AN_ADDR_MAX, never dialled) of naddrs, and the nonce. */
  uint32_t naddrs;
  uint8_t addrlen[NET_AN_ADDRS_MAX];
  uint8_t addrs[NET_AN_ADDRS_MAX][NET_AN_ADDR_MAX];
  uint64_t nonce;
  /* DialResponse (status, addr_idx, dial_status), DialDataRequest
   * (addr_idx, num_bytes), DialDataResponse (data_len bytes; encoded as
   * zeros). */
  uint32_t status, addr_idx, dial_status;
  uint64_t num_bytes;
  size_t data_len;
} net_an_msg_t;

/* Decode one Message body (no length prefix).  Values the spec does not
 * know (a status of 7) are kept for the caller to refuse.  0, TR_EPROTO
 * (not a Message, or no msg set), -ENOMEM. */
int net_an_decode(const uint8_t *p, size_t n, net_an_msg_t *m) TR_WUR;
/* Append m, length first, to out.  0, TR_EUSAGE (a type outside the four,
 * data_len over NET_AN_DATA_CHUNK, more than NET_AN_ADDRS_MAX
 * addresses), -ENOMEM. */
int net_an_encode(const net_an_msg_t *m, tr_bytes_t *out) TR_WUR;

/* dial-back: DialBack {nonce} and DialBackResponse {OK}, length first. */
int net_an_back_encode(uint64_t nonce, tr_bytes_t *out) TR_WUR;
int net_an_back_decode(const uint8_t *p, size_t n, uint64_t *nonce) TR_WUR;
int net_an_back_ok_encode(tr_bytes_t *out) TR_WUR;

/* --------------------------------------------- server choices (sans-I/O) */

/* The index of the address a server dials: the first among the first
 * NET_AN_ADDRS_MAX that is /ip4|ip6/A/tcp/P (a trailing /p2p/ID allowed)
 * and public (or any IP with allow_private); -1 when there is none. */
int net_an_pick(const net_an_msg_t *req, bool allow_private);
/* Whether dialling addr needs dial data first: its IP is not the IP the
 * client is observed at (or either has no IP). */
bool net_an_needs_data(const uint8_t *observed, size_t olen,
                       const uint8_t *addr, size_t alen);

/* Counting dial data: want bytes asked; feed each message as it comes.
 * Returns 1 once got >= want, 0 for more, TR_EPROTO for a message that is
 * not a DialDataResponse, or one under NET_AN_DATA_MSG_MIN bytes before
 * the end. */
typedef struct net_an_data {
  uint64_t want, got;
} net_an_data_t;
int net_an_data_feed(net_an_data_t *d, const net_an_msg_t *m) TR_WUR;

/* The server's rate limiter: sliding one-minute windows.  Caps may be
 * lowered after init (never raised past the constants). */
typedef struct net_an_limiter {
  uint32_t rpm, peer_rpm, data_rpm, peer_busy;
  struct {
    uint64_t t;
    net_peerid_t p;
  } req[NET_AN_SERVER_RPM];
  size_t nreq;
  uint64_t data[NET_AN_SERVER_DATA_RPM];
  size_t ndata;
  struct {
    net_peerid_t p;
    uint32_t n;
  } busy[NET_AN_SERVER_RPM];
  size_t nbusy;
} net_an_limiter_t;

void net_an_limiter_init(net_an_limiter_t *l);
/* Whether a request from p may start at now (ms); when it may, it counts
 * and p is busy until net_an_limiter_done(). */
bool net_an_limiter_accept(net_an_limiter_t *l, const net_peerid_t *p,
                           uint64_t now);
bool net_an_limiter_accept_data(net_an_limiter_t *l, uint64_t now);
void net_an_limiter_done(net_an_limiter_t *l, const net_peerid_t *p);

/* ------------------------------------------------ client tally (sans-I/O) */

enum { NET_AN_OUT_OK, NET_AN_OUT_FAIL, NET_AN_OUT_REFUSED };

typedef struct net_an_addr {
  uint8_t ma[NET_AN_ADDR_MAX];
  uint8_t len;
  uint8_t nout, ndial, refusals, busy;
  struct {
    uint64_t at;
    bool ok;
  } out[NET_AN_OUTCOMES];
  uint64_t dial[NET_AN_RECENT_DIALS_MAX]; /* when checks were answered */
  uint64_t refused_at;
} net_an_addr_t;

typedef struct net_an_tally {
  net_an_addr_t a[NET_AN_TRACK_MAX];
  size_t n;
} net_an_tally_t;

/* Track exactly addrs[0..n) (binary; over-long ones and those past
 * NET_AN_TRACK_MAX skipped), keeping what is known of those already
 * tracked. */
void net_an_tally_set(net_an_tally_t *t, const uint8_t *const *addrs,
                      const size_t *lens, size_t n);
/* What the outcomes of a say (stale ones, older than
 * NET_AN_RESULT_TTL_MS, dropped first). */
net_reach_t net_an_addr_reach(net_an_addr_t *a, uint64_t now);
/* How many more checks a wants now (0 once confident, or after too many
 * refusals or checks lately). */
unsigned net_an_addr_needed(net_an_addr_t *a, uint64_t now);
/* The address that most needs a check (needed beyond those in flight),
 * or -1. */
int net_an_tally_pick(net_an_tally_t *t, uint64_t now);
/* Record a server's answer for the address ma (ignored when untracked):
 * NET_AN_OUT_OK (dialled back, nonce right), _FAIL (could not dial),
 * _REFUSED (would not dial). */
void net_an_tally_outcome(net_an_tally_t *t, const uint8_t *ma, size_t len,
                          uint64_t now, int outcome);
/* The node's reachability from its addresses' (see the top). */
net_reach_t net_an_tally_reach(net_an_tally_t *t, uint64_t now);

#endif /* NET_AUTONAT_H */

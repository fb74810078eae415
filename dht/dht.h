/*
 * dht.h — the Kademlia DHT core (/ipfs/kad/1.0.0 as go-libp2p-kad-dht
 * speaks it), free of I/O in the manner of jech/dht: messages and time go
 * in, messages come out through one send function, and nothing here knows
 * about sockets, streams or clocks.  The same code runs over libp2p
 * streams (dht_host.h, the adapter on net/'s host) and over the simulated
 * network of tests/dht_sim.c and bench/dht.
 *
 * What it holds:
 *  - the routing table: 256 k-buckets by common prefix length of
 *    SHA-256(PeerID) with ours; a full bucket keeps a replacement cache,
 *    a peer that fails DHT_RT_FAILS_MAX requests in a row leaves for the
 *    freshest replacement, and the least recently seen peer of each bucket
 *    is pinged when it has been silent for opts.check_ms;
 *  - lookups: iterative, α requests in flight, candidates ordered by XOR
 *    distance, done when the β closest candidates that have not failed have
 *    all answered (go-libp2p-kad-dht's termination), or on the query's
 *    deadline; FIND_NODE, GET_PROVIDERS (also done once enough providers
 *    are found), GET_VALUE (records checked by the validator, the best
 *    chosen by the selector), and the two that end by writing to the k
 *    closest: provide (ADD_PROVIDER) and put (PUT_VALUE);
 *  - the server side (opts.server): answers FIND_NODE, GET_PROVIDERS,
 *    ADD_PROVIDER (only the sender may add itself), GET_VALUE, PUT_VALUE
 *    (records the validator accepts, the better of old and new kept) and
 *    PING, from the store (dht/store.h).
 *
 * Time: every entry point takes now (milliseconds, any monotonic origin).
 * dht_tick() expires requests and queries, refreshes buckets, checks
 * liveness, and returns when it wants to run next.
 *
 * Re-entrancy: io.send is called from inside dht_* calls and must not
 * call back into the DHT synchronously (queue instead).  User callbacks
 * (dht_query_cbs_t) may call any dht_* function, including dht_cancel().
 */
#ifndef DHT_DHT_H
#define DHT_DHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "msg.h"
#include "store.h"

#define DHT_K 20
#define DHT_ALPHA 10
#define DHT_BETA 3
#define DHT_RT_FAILS_MAX 2
#define DHT_QUERY_CANDS_MAX 256 /* candidates a lookup keeps (closest) */
#define DHT_QUERIES_MAX 1024    /* lookups at once */
#define DHT_REQUEST_MS 10000
#define DHT_QUERY_MS 60000
#define DHT_REFRESH_MS (10 * 60 * 1000)  /* go-libp2p-kad-dht's */
#define DHT_CHECK_MS (10 * 60 * 1000)
#define DHT_PROVIDER_TTL_MS (48ull * 3600 * 1000)
#define DHT_RECORD_TTL_MS (48ull * 3600 * 1000)

typedef struct dht dht_t;

/* The one output.  Send the frame p[0..n) (one encoded request) to peer
 * (its addresses are hints for a dial) as request req.  want_reply: the
 * adapter reads one reply frame and gives it to dht_on_reply(), or reports
 * dht_on_fail() (no reply, a broken stream, a dial that failed); exactly
 * one of the two, later, never from inside send.  Without want_reply
 * (ADD_PROVIDER) nothing comes back.  A non-zero return is a failure now
 * (nothing will come back). */
typedef int (*dht_send_fn)(void *ud, uint64_t req, const dht_peer_t *peer,
                           bool want_reply, const uint8_t *p, size_t n);

/* Record validation (GET_VALUE, PUT_VALUE): 0 if value is a valid record
 * for key now, else an error.  Selection: the index of the best of
 * vals[0..n) (all valid).  NULL validate: every PUT_VALUE is refused and
 * no record is ever accepted. */
typedef int (*dht_validate_fn)(void *ud, const uint8_t *key, size_t kl,
                               const uint8_t *val, size_t vl, uint64_t now);
typedef size_t (*dht_select_fn)(void *ud, const uint8_t *key, size_t kl,
                                const uint8_t *const *vals,
                                const size_t *lens, size_t n);

/* Which addresses a peer may be known by (the LAN DHT keeps private ones,
 * the WAN DHT public ones).  NULL: every address. */
typedef bool (*dht_addr_fn)(void *ud, const uint8_t *ma, size_t n);

typedef struct dht_opts {
  net_peerid_t self;
  dht_peer_t self_info; /* what we advertise in ADD_PROVIDER (addrs) */
  unsigned k, alpha, beta;      /* 0: DHT_K, DHT_ALPHA, DHT_BETA */
  uint32_t request_ms, query_ms; /* 0: DHT_REQUEST_MS, DHT_QUERY_MS */
  uint32_t refresh_ms, check_ms; /* 0: the defaults; UINT32_MAX: never */
  uint64_t provider_ttl_ms, record_ttl_ms;
  bool server; /* answer requests; else dht_handle() refuses them */
  dht_send_fn send;
  dht_validate_fn validate;
  dht_select_fn select;
  dht_addr_fn addr_ok;
  void *ud;  /* for send and addr_ok */
  void *vud; /* for validate and select */
  dht_store_t *store; /* NULL: a private in-memory store with defaults */
} dht_opts_t;

/* 0, TR_EUSAGE (no send), -ENOMEM. */
int dht_new(const dht_opts_t *o, uint64_t now, dht_t **out) TR_WUR;
/* Cancel every query (no callbacks) and free.  Requests in flight at the
 * adapter may still report; the adapter must stop calling first. */
void dht_free(dht_t *d);

/* ------------------------------------------------------------- inputs */

/* The reply to request req arrived (body: one frame's protobuf).  A reply
 * that does not decode, or is not of the request's type, counts as a
 * failure.  Unknown req (cancelled, timed out): ignored. */
void dht_on_reply(dht_t *d, uint64_t req, const uint8_t *body, size_t n,
                  uint64_t now);
void dht_on_fail(dht_t *d, uint64_t req, int err, uint64_t now);

/* A request body from peer from: the reply frame is appended to resp
 * (nothing for ADD_PROVIDER).  0; TR_EPROTO (undecodable, or invalid:
 * the adapter should reset the stream); TR_ENOPROTO (client mode);
 * -ENOMEM. */
int dht_handle(dht_t *d, const dht_peer_t *from, const uint8_t *body,
               size_t n, uint64_t now, tr_bytes_t *resp) TR_WUR;

/* Run timers; returns the time (absolute, as now) it wants the next
 * call at the latest. */
uint64_t dht_tick(dht_t *d, uint64_t now);

/* ------------------------------------------------------ routing table */

/* A peer that speaks the protocol as a server (identify said so, or it
 * answered us): into its bucket, or that bucket's replacement cache when
 * full; a known peer's addresses are refreshed.  Peers without an address
 * addr_ok accepts are refused (TR_EUSAGE), as is self. */
int dht_add_peer(dht_t *d, const dht_peer_t *p, uint64_t now) TR_WUR;
/* The peer is gone for good (it stopped speaking the protocol). */
void dht_remove_peer(dht_t *d, const net_peerid_t *id);
size_t dht_rt_size(const dht_t *d);
/* Walk the table: bucket index (common prefix length) and peer. */
typedef void (*dht_rt_fn)(void *ud, unsigned bucket, const dht_peer_t *p,
                          uint64_t last_seen);
void dht_rt_walk(const dht_t *d, dht_rt_fn fn, void *ud);
/* The n closest peers in the table to key (SHA-256 of the key bytes),
 * closest first; returns how many (at most max). */
size_t dht_rt_closest(const dht_t *d, const uint8_t *key, size_t kl,
                      dht_peer_t *out, size_t max);

/* ------------------------------------------------------------ lookups */

typedef struct dht_qstats {
  uint32_t sent, replies, fails; /* requests */
  uint32_t hops; /* longest referral chain to the closest peer found */
  uint64_t started, ended;
} dht_qstats_t;

/* Callbacks of a lookup; any may be NULL.  on_provider: one provider,
 * each PeerID once.  on_record: a valid record (before selection).
 * on_peer: see above.  on_done: last, with 0 or an error (TR_ENOTFOUND: GET_VALUE found no
 * valid record, FIND_NODE/provide reached nobody; -ETIMEDOUT: the
 * deadline passed, with what was found so far), the closest peers that
 * answered (closest first, at most k), the best record for GET_VALUE
 * (NULL otherwise) and the counters. */
typedef struct dht_query_cbs {
  void (*on_provider)(void *ud, const dht_peer_t *p);
  /* A peer the lookup hears of: from its own table at the start, then
   * from the answers (each once per lookup, with the addresses the scope
   * allows; findpeer looks for its target here).  It must not cancel the
   * lookup. */
  void (*on_peer)(void *ud, const dht_peer_t *p);
  void (*on_record)(void *ud, const dht_peer_t *from, const uint8_t *val,
                    size_t vl);
  void (*on_done)(void *ud, int status, const dht_peer_t *closest,
                  size_t n, const uint8_t *val, size_t vl,
                  const dht_qstats_t *st);
} dht_query_cbs_t;

/* Each starts a lookup and returns 0 with *qid (may be NULL) set, or
 * TR_ELIMIT (DHT_QUERIES_MAX running), TR_EUSAGE (key empty or over
 * DHT_KEY_MAX), -ENOMEM; callbacks only after a 0.  A lookup with an empty
 * routing table ends at once (on_done from inside the call, with
 * TR_ENOTFOUND). */
int dht_find_node(dht_t *d, const uint8_t *key, size_t kl,
                  const dht_query_cbs_t *cbs, void *ud, uint64_t now,
                  uint64_t *qid) TR_WUR;
/* Stop after max providers (0: no limit, the lookup's end).  The local
 * store's providers come first. */
int dht_get_providers(dht_t *d, const uint8_t *mh, size_t mhl, size_t max,
                      const dht_query_cbs_t *cbs, void *ud, uint64_t now,
                      uint64_t *qid) TR_WUR;
/* The local store's record, when valid, is the first candidate. */
int dht_get_value(dht_t *d, const uint8_t *key, size_t kl,
                  const dht_query_cbs_t *cbs, void *ud, uint64_t now,
                  uint64_t *qid) TR_WUR;
/* Add ourselves as provider of mh locally, find the k closest peers and
 * send each an ADD_PROVIDER.  on_done's closest are those it went to. */
int dht_provide(dht_t *d, const uint8_t *mh, size_t mhl,
                const dht_query_cbs_t *cbs, void *ud, uint64_t now,
                uint64_t *qid) TR_WUR;
/* A FIND_NODE lookup that ends as provide's does, when the k closest that
 * have not failed have all answered (go's GetClosestPeers), and writes
 * nothing.  on_done's closest: those k, closest first (fewer when fewer
 * answered).  Errors as dht_find_node(). */
int dht_find_closest(dht_t *d, const uint8_t *key, size_t kl,
                     const dht_query_cbs_t *cbs, void *ud, uint64_t now,
                     uint64_t *qid) TR_WUR;
/* The write half of dht_provide for a caller that already knows where the
 * record goes (dht/sweep.h): ADD_PROVIDER for mh, naming ourselves with
 * self_info's addresses, to each of peers[0..n); no lookup, nothing
 * stored locally, nothing awaited (ADD_PROVIDER has no answer).  The
 * message is encoded once.  It stops at the first send the adapter
 * refuses for want of room (TR_ELIMIT: its queue is full), so that the
 * caller can send the rest later: *done (may be NULL) gets how many of
 * peers were dealt with (sent, skipped, or refused for another reason).
 * Returns how many sends the adapter took (0..n), or TR_EUSAGE (mhl 0 or
 * over DHT_KEY_MAX), -ENOMEM. */
int dht_add_provider_to(dht_t *d, const uint8_t *mh, size_t mhl,
                        const dht_peer_t *peers, size_t n, uint64_t now,
                        size_t *done) TR_WUR;
/* Store the record locally (validated), then PUT_VALUE to the k closest;
 * on_done's closest are those that echoed it back. */
int dht_put_value(dht_t *d, const uint8_t *key, size_t kl,
                  const uint8_t *val, size_t vl, const dht_query_cbs_t *cbs,
                  void *ud, uint64_t now, uint64_t *qid) TR_WUR;
/* Stop a lookup: no more callbacks for it.  Unknown qid: nothing. */
void dht_cancel(dht_t *d, uint64_t qid);

/* A FIND_NODE for our own PeerID, as go-libp2p-kad-dht's bootstrap: it
 * fills the buckets near us.  0 or dht_find_node()'s errors. */
int dht_bootstrap(dht_t *d, uint64_t now) TR_WUR;

/* Look up a random key in every bucket up to the deepest non-empty one
 * (at most cpl 15), now, whatever their refresh time: what go does when
 * it starts, and what dht_tick() does for buckets idle for refresh_ms. */
void dht_refresh(dht_t *d, uint64_t now);

/* Server mode on or off (requests are refused when off: a client). */
void dht_set_server(dht_t *d, bool on);

/* Replace what we advertise of ourselves in ADD_PROVIDER (addresses). */
void dht_set_self_info(dht_t *d, const dht_peer_t *self);

/* --------------------------------------------------------------- stats */

typedef struct dht_stats {
  uint64_t requests_in, requests_refused, requests_out, replies,
      failures, timeouts;
  uint32_t queries; /* running */
} dht_stats_t;
void dht_stats(const dht_t *d, dht_stats_t *out);
const net_peerid_t *dht_self(const dht_t *d);
dht_store_t *dht_store(dht_t *d);

/* --------------------------------------------------------------- keys */

/* SHA-256 of a key's bytes: the point in the keyspace it sits at. */
void dht_key(const uint8_t *key, size_t kl, uint8_t out[32]);
/* Common prefix length of a and b, 0..256. */
unsigned dht_cpl(const uint8_t a[32], const uint8_t b[32]);
/* <0, 0, >0 as a is closer to target than b. */
int dht_closer(const uint8_t target[32], const uint8_t a[32],
               const uint8_t b[32]);

#endif /* DHT_DHT_H */

/*
 * pubsub.h — libp2p pubsub (go-libp2p-pubsub's wire and its gossipsub
 * v1.1 router, with floodsub for old peers or as the whole router), free
 * of I/O in the manner of bitswap.h and dht.h: frames and time go in,
 * frames come out through one send function, messages for the node's own
 * subscribers come out through deliver, and nothing here knows a socket,
 * a stream, a thread or a clock.  pubsub/swarm.h runs it on the libp2p
 * host; tests/test_pubsub.c runs cores wired back to back.
 *
 * The wire: go-libp2p-pubsub's pb/rpc.proto, hand-coded (msg.c):
 *   RPC { repeated SubOpts subscriptions = 1 {bool subscribe = 1;
 *         string topicid = 2}; repeated Message publish = 2;
 *         ControlMessage control = 3 }
 *   Message { bytes from = 1; bytes data = 2; bytes seqno = 3;
 *             string topic = 4; bytes signature = 5; bytes key = 6 }
 *   ControlMessage { ihave = 1 {topicID = 1, messageIDs = 2}, iwant = 2
 *             {messageIDs = 1}, graft = 3 {topicID = 1}, prune = 4
 *             {topicID = 1, peers = 2, backoff = 3}, idontwant = 5 }
 * Each RPC travels behind its uvarint length, at most PS_FRAME_MAX bytes
 * (go-libp2p-pubsub's DefaultMaxMessageSize); the adapter cuts frames
 * (ps_frame) and hands each body to ps_input.
 *
 * What it does, as go-libp2p-pubsub v0.17 does by default (Kubo's):
 *  - StrictSign: every message we publish carries from (our PeerID),
 *    seqno (8 bytes big-endian from a counter that starts at
 *    opts.seqno0, go's time.Now().UnixNano()), and a signature over
 *    "libp2p-pubsub:" + the Message marshalled without signature and key
 *    (no key field: an Ed25519 PeerID inlines its key).  A message that
 *    arrives unsigned, with a bad signature, a key that is not its from's,
 *    no seqno, or claiming to be ours, is dropped (counted in
 *    ps_stats_t.rejected), as is one for a topic we have not joined.
 *  - Message IDs: from + seqno.  A seen-cache (PS_SEEN_TTL_MS, at most
 *    PS_SEEN_MAX IDs) drops duplicates and replays.
 *  - Kubo's default validator (go-libp2p-pubsub's BasicSeqnoValidator):
 *    a message whose seqno (its first 8 bytes, big-endian; fewer is
 *    refused) is not above the last one accepted from its author is
 *    ignored, so a replay older than the seen-cache is still dropped.
 *    Kubo keeps the last seqnos in its datastore; here they are in memory
 *    (PS_AUTHORS_MAX authors, the least recent forgotten first).
 *  - gossipsub v1.1 (/meshsub/1.1.0, and /meshsub/1.0.0): a mesh per
 *    joined topic kept between PS_DLO and PS_DHI (PS_D on repair) by
 *    GRAFT/PRUNE on the heartbeat (PS_HEARTBEAT_MS, first after
 *    PS_HEARTBEAT_INIT_MS), PRUNE backoff PS_PRUNE_BACKOFF_MS (the
 *    unsubscribe one PS_UNSUB_BACKOFF_MS) that outlives a leave, a
 *    message cache of
 *    PS_MCACHE_HISTORY heartbeats of which the last PS_MCACHE_GOSSIP are
 *    announced in IHAVE to PS_DLAZY peers outside the mesh, IWANT
 *    answered from it.  Our own messages are flood-published (to every
 *    peer in the topic: floodPublish, Kubo's setting); forwarded ones go
 *    to the mesh and to floodsub peers.  No fanout: go keeps it only on
 *    the publishing path floodPublish bypasses (pubsub.c says more).  No
 *    peer scoring (Kubo leaves it off), no peer exchange, no IDONTWANT
 *    (we do not speak 1.2).
 *  - floodsub (/floodsub/1.0.0) peers get every message of the topics
 *    they subscribe to; opts.floodsub makes the whole router floodsub
 *    (Kubo's Pubsub.Router "floodsub"): no mesh, no control messages.
 *
 * Limits (each a macro a build may set: -DPS_PEERS_MAX=...):
 * PS_PEERS_MAX peers, PS_TOPICS_MAX topics joined, PS_PEER_TOPICS_MAX
 * subscriptions per peer, topic names of at most PS_TOPIC_LEN_MAX bytes,
 * PS_SEEN_MAX seen IDs, PS_MCACHE_MAX cached messages, PS_AUTHORS_MAX
 * authors' seqnos; PS_IWANT_MAX IDs answered per RPC and
 * PS_IWANT_BYTES_MAX bytes per peer and heartbeat, PS_IHAVE_MAX IDs asked
 * per peer and heartbeat.  An RPC that does not decode is a protocol
 * violation: ps_input returns TR_EPROTO and the adapter cuts the stream.
 *
 * Time: every entry point takes now (milliseconds, monotonic); ps_tick
 * runs the heartbeat and returns when it wants to run next.
 *
 * Re-entrancy: io callbacks are called from inside ps_* calls and must not
 * call back into the core (queue instead).
 */
#ifndef PUBSUB_PUBSUB_H
#define PUBSUB_PUBSUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "../net/peerid.h"

#define PS_PROTO_MESH11 "/meshsub/1.1.0"
#define PS_PROTO_MESH10 "/meshsub/1.0.0"
#define PS_PROTO_FLOOD "/floodsub/1.0.0"
/* A peer's protocol, best first. */
enum { PS_FLOOD = 1, PS_MESH10 = 2, PS_MESH11 = 3 };

#define PS_FRAME_MAX (1u << 20) /* DefaultMaxMessageSize */
#define PS_D 6
#define PS_DLO 5
#define PS_DHI 12
#define PS_DLAZY 6
#define PS_MESH_MAX 32 /* GRAFTs past PS_DHI are PRUNEd: never reached */
#define PS_HEARTBEAT_MS 1000
#define PS_HEARTBEAT_INIT_MS 100
#define PS_MCACHE_HISTORY 5
#define PS_MCACHE_GOSSIP 3
#define PS_PRUNE_BACKOFF_MS 60000
#define PS_UNSUB_BACKOFF_MS 10000
#define PS_SEEN_TTL_MS 120000
#ifndef PS_SEEN_MAX
#define PS_SEEN_MAX 65536
#endif
#ifndef PS_MCACHE_MAX
#define PS_MCACHE_MAX 8192
#endif
#ifndef PS_PEERS_MAX
#define PS_PEERS_MAX 1024
#endif
#ifndef PS_TOPICS_MAX
#define PS_TOPICS_MAX 1024
#endif
#ifndef PS_PEER_TOPICS_MAX
#define PS_PEER_TOPICS_MAX 512
#endif
#ifndef PS_TOPIC_LEN_MAX
#define PS_TOPIC_LEN_MAX 1024
#endif
#ifndef PS_IWANT_MAX
#define PS_IWANT_MAX 500
#endif
#ifndef PS_IHAVE_MAX
#define PS_IHAVE_MAX 5000
#endif
#ifndef PS_IHAVE_MSGS_MAX
#define PS_IHAVE_MSGS_MAX 10 /* IHAVE messages heeded per peer and beat */
#endif
/* Bytes of cached messages IWANT may draw per peer and heartbeat: a small
 * IWANT must not buy megabytes without end (go limits retransmissions to
 * 3 a message and peer). */
#ifndef PS_IWANT_BYTES_MAX
#define PS_IWANT_BYTES_MAX (4u << 20)
#endif
#define PS_ID_MAX 128        /* from + seqno */
#ifndef PS_AUTHORS_MAX
#define PS_AUTHORS_MAX 4096  /* authors whose last seqno is kept */
#endif

typedef struct ps ps_t;

/* A message for the node's subscribers; every view lasts for the call. */
typedef struct ps_msg {
  net_peerid_t from; /* the author */
  const uint8_t *data;
  size_t len;
  const uint8_t *seqno;
  size_t seqlen;
  const char *topic; /* not NUL-terminated */
  size_t topiclen;
} ps_msg_t;

typedef struct ps_io {
  /* Send one RPC p[0..n) (no length prefix) to peer.  0, or a failure
   * (the RPC is lost; the peer stays). */
  int (*send)(void *ud, const net_peerid_t *peer, const uint8_t *p,
              size_t n);
  /* A message for a topic we joined (ps_join), ours included, once. */
  void (*deliver)(void *ud, const ps_msg_t *m);
  void *ud;
} ps_io_t;

typedef struct ps_opts {
  const net_privkey_t *key; /* the node's key (copied); signs what we send */
  bool floodsub;            /* the router is floodsub */
  uint64_t seqno0;          /* the seqno counter's start */
  uint64_t seed;            /* the peer selection's randomness */
} ps_opts_t;

/* 0, TR_EUSAGE (no send, deliver or key), -ENOMEM. */
int ps_new(const ps_io_t *io, const ps_opts_t *o, uint64_t now,
           ps_t **out) TR_WUR;
/* Free everything; no callbacks. */
void ps_free(ps_t *ps);

/* ---------------------------------------------------------------- peers */

/* A peer that speaks proto (PS_FLOOD, PS_MESH10, PS_MESH11) is connected:
 * it is sent our subscriptions.  Again for a known peer: its protocol is
 * updated.  0, TR_EUSAGE, TR_ELIMIT (PS_PEERS_MAX), -ENOMEM. */
int ps_peer_up(ps_t *ps, const net_peerid_t *peer, int proto,
               uint64_t now) TR_WUR;
/* The peer went away: it leaves every mesh and topic. */
void ps_peer_down(ps_t *ps, const net_peerid_t *peer, uint64_t now);
bool ps_peer_known(const ps_t *ps, const net_peerid_t *peer);

/* One frame from the start of in[0..len): its length prefix and body, as
 * dag_varint_frame with PS_FRAME_MAX.  Returns the bytes it takes (> 0),
 * 0 when more are needed, TR_ETOOBIG (over PS_FRAME_MAX) or TR_EPROTO. */
int64_t ps_frame(const uint8_t *in, size_t len, const uint8_t **body,
                 size_t *blen) TR_WUR;

/* One RPC (a frame's body) from peer, which must be up.  0; TR_EPROTO (it
 * does not decode: cut the peer off), TR_ETOOBIG (n over PS_FRAME_MAX),
 * TR_ENOTCONN (peer not up); -ENOMEM. */
int ps_input(ps_t *ps, const net_peerid_t *peer, const uint8_t *p, size_t n,
             uint64_t now) TR_WUR;

/* --------------------------------------------------------- subscribing */

/* Join topic t[0..tlen) (refcounted: a second join only counts).  The
 * first join tells every peer and builds the mesh.  0, TR_EUSAGE (empty or
 * over PS_TOPIC_LEN_MAX), TR_ELIMIT, -ENOMEM. */
int ps_join(ps_t *ps, const char *t, size_t tlen, uint64_t now) TR_WUR;
/* Drop one join; the last tells every peer and PRUNEs the mesh.  0 or
 * TR_ENOTFOUND. */
int ps_leave(ps_t *ps, const char *t, size_t tlen, uint64_t now) TR_WUR;
/* Publish data[0..len) to topic t: signed, to every peer in the topic
 * (and delivered here when we joined it).  0, TR_EUSAGE, TR_ETOOBIG (the
 * RPC would pass PS_FRAME_MAX), TR_ELIMIT, -ENOMEM. */
int ps_publish(ps_t *ps, const char *t, size_t tlen, const uint8_t *data,
               size_t len, uint64_t now) TR_WUR;

/* Forget the seqno validator's last seqno of peer (NULL: of every author),
 * as Kubo's `pubsub reset [--peer]` clears its store; returns how many
 * authors were forgotten. */
size_t ps_seqno_reset(ps_t *ps, const net_peerid_t *peer);

/* Run the heartbeat when due; returns when to call next (absolute). */
uint64_t ps_tick(ps_t *ps, uint64_t now);

/* -------------------------------------------------------- observation */

typedef void (*ps_topic_fn)(void *ud, const char *t, size_t tlen);
/* The topics joined; returns how many. */
size_t ps_topics(const ps_t *ps, ps_topic_fn fn, void *ud);
typedef void (*ps_peer_fn)(void *ud, const net_peerid_t *peer);
/* The peers (t NULL), or the peers subscribed to t; returns how many. */
size_t ps_peers(const ps_t *ps, const char *t, size_t tlen, ps_peer_fn fn,
                void *ud);
/* The peers in our mesh of t (how many; fn may be NULL). */
size_t ps_mesh(const ps_t *ps, const char *t, size_t tlen, ps_peer_fn fn,
               void *ud);

typedef struct ps_stats {
  uint64_t rpcs_in, rpcs_out, published, delivered, forwarded;
  uint64_t duplicates, rejected, stale, bad_rpcs;
  uint64_t grafts_sent, prunes_sent, ihaves_sent, iwants_sent;
  uint64_t iwant_served;
  uint32_t peers, topics, seen, mcache;
} ps_stats_t;
void ps_stats(const ps_t *ps, ps_stats_t *out);

#endif /* PUBSUB_PUBSUB_H */

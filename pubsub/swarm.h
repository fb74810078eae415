/*
 * swarm.h — pubsub on the libp2p host (net/host.h): the thin libuv
 * adapter that gives the core (pubsub.h) its streams, its clock and its
 * local subscribers.
 *
 * Streams, as go-libp2p-pubsub uses them: each peer whose identify lists
 * /meshsub/1.1.0, /meshsub/1.0.0 or /floodsub/1.0.0 (only the last when
 * the router is floodsub) is a pubsub peer, and we write to it on one
 * stream we open (the best protocol both speak), every RPC behind its
 * uvarint length; what it writes on the stream it opened to us is read
 * RPC by RPC, at most PS_FRAME_MAX each (one such stream a peer: a new
 * one replaces the last, as in go).  A frame over that, or one that
 * does not decode, resets the stream and cuts the peer off for
 * PS_SWARM_BAN_MS (its streams refused, the core forgets it).  A peer
 * leaves the core when its last connection closes, or when the stream
 * we write on breaks (it comes back at its next identify).
 *
 * Local subscribers: ps_swarm_sub() joins a topic for one subscriber (an
 * API `pubsub sub`), which gets every message of the topic through its
 * callback, on the loop, until ps_swarm_unsub() or the swarm's close
 * (which calls its closed callback: the subscriber ends its answer).
 *
 * Threading: everything on the loop.
 */
#ifndef PUBSUB_SWARM_H
#define PUBSUB_SWARM_H

#include <stdbool.h>
#include <uv.h>

#include "../net/host.h"
#include "pubsub.h"

#define PS_SWARM_BAN_MS (10 * 60 * 1000)
#define PS_SWARM_QUEUE_MAX (8u << 20) /* bytes waiting for a stream */
#define PS_SWARM_SUBS_MAX 1024        /* local subscribers */

typedef struct ps_swarm ps_swarm_t;
typedef struct ps_swarm_sub ps_swarm_sub_t;

typedef struct ps_swarm_opts {
  const net_privkey_t *key; /* the node's; copied */
  bool floodsub;            /* Pubsub.Router "floodsub" */
} ps_swarm_opts_t;

/* 0, TR_EEXIST (a pubsub protocol is registered already), TR_ELIMIT,
 * -ENOMEM, ps_new()'s errors. */
int ps_swarm_new(uv_loop_t *loop, net_host_t *h, const ps_swarm_opts_t *o,
                 ps_swarm_t **out) TR_WUR;
/* Every subscriber's closed callback runs (inside this call), then the
 * streams go and the swarm is freed once its timer has closed. */
void ps_swarm_close(ps_swarm_t *s);

/* A message of the subscribed topic: a view for the call.  The callback
 * may call ps_swarm_unsub() on its own subscription. */
typedef void (*ps_swarm_msg_cb)(void *ud, const ps_msg_t *m);
/* The swarm is closing: the subscription is gone (do not unsub it). */
typedef void (*ps_swarm_closed_cb)(void *ud);

/* Subscribe to t[0..tlen).  0 with *out, TR_EUSAGE, TR_ELIMIT, -ENOMEM. */
int ps_swarm_sub(ps_swarm_t *s, const char *t, size_t tlen,
                 ps_swarm_msg_cb on_msg, ps_swarm_closed_cb on_closed,
                 void *ud, ps_swarm_sub_t **out) TR_WUR;
/* End a subscription: no callback after this; the last one of its topic
 * leaves it (on the next loop turn when called from a message callback). */
void ps_swarm_unsub(ps_swarm_sub_t *sub);

/* ps_publish() on the loop's clock. */
int ps_swarm_publish(ps_swarm_t *s, const char *t, size_t tlen,
                     const uint8_t *data, size_t len) TR_WUR;

/* ps_seqno_reset() (Kubo's `pubsub reset`): authors forgotten. */
size_t ps_swarm_seqno_reset(ps_swarm_t *s, const net_peerid_t *peer);

/* The core, for ps_topics, ps_peers, ps_stats. */
const ps_t *ps_swarm_core(const ps_swarm_t *s);

#endif /* PUBSUB_SWARM_H */

/*
 * ps_core.h — the core's state, shared by gossip.c (the heartbeat) →
 * pubsub.c (peers, topics, input, publishing) → cache.c (seen IDs, the
 * message cache) → msg.c (the wire).  Internal to pubsub/.
 */
#ifndef PUBSUB_PS_CORE_H
#define PUBSUB_PS_CORE_H

#include "ps_int.h"

typedef struct ps_sub { /* a topic a peer subscribes to */
  char *t;
  size_t len;
} ps_sub_t;

typedef struct ps_peer {
  net_peerid_t id;
  int proto;
  ps_sub_t *subs;
  size_t nsubs, capsubs;
  unsigned ihaves;   /* IHAVE messages heeded this heartbeat */
  unsigned asked;    /* IDs asked for this heartbeat */
  size_t served;     /* bytes IWANT drew this heartbeat */
  tr_bytes_t ctl;    /* ControlMessage fields waiting to go out */
} ps_peer_t;

typedef struct ps_backoff { /* no GRAFT between us and id on a topic */
  net_peerid_t id;
  uint64_t topic; /* the topic name's hash (ps__hash) */
  uint64_t until;
} ps_backoff_t;

typedef struct ps_topic { /* a topic we joined */
  char *t;
  size_t len;
  unsigned refs;
  ps_peer_t *mesh[PS_MESH_MAX];
  size_t nmesh;
} ps_topic_t;

typedef struct ps_author { /* the seqno validator's memory */
  net_peerid_t id;
  uint64_t seqno, used; /* used: when last accepted (a counter) */
} ps_author_t;

typedef struct ps_seen_e {
  uint64_t h, exp;
  int32_t next; /* the bucket's chain */
} ps_seen_e_t;

#define PS_SEEN_BUCKETS 16384
#define PS_BACKOFF_MAX 4096

typedef struct ps_mc_e { /* a cached message */
  uint64_t h, gen;
  uint8_t id[PS_ID_MAX];
  size_t idlen;
  char *t; /* its topic */
  size_t tlen;
  uint8_t *msg; /* the Message's encoding */
  size_t n;
} ps_mc_e_t;

struct ps {
  ps_io_t io;
  net_privkey_t key;
  net_peerid_t self;
  bool floodsub;
  uint64_t seqno;
  uint64_t rng;
  uint8_t hkey[16]; /* the ID hash's key */
  ps_peer_t **peers;
  size_t npeers, cappeers;
  ps_topic_t **topics;
  size_t ntopics, captopics;
  /* Backoffs outlive a topic's leave, as go-libp2p-pubsub's do: a peer
   * pruned when we left is not grafted again at once if we rejoin. */
  ps_backoff_t *bo;
  size_t nbo, capbo;
  ps_seen_e_t *seen;
  int32_t *buckets;
  size_t seen_tail, nseen;
  ps_author_t *authors;
  size_t nauthors;
  uint64_t accepts;
  ps_mc_e_t *mc;
  size_t mc_tail, nmc;
  uint64_t gen;
  uint64_t next_beat;
  ps_stats_t st;
};

/* pubsub.c */
ps_peer_t *ps__peer(const ps_t *ps, const net_peerid_t *id);
ps_topic_t *ps__topic(const ps_t *ps, const char *t, size_t tlen);
bool ps__peer_in(const ps_peer_t *p, const char *t, size_t tlen);
bool ps__in_mesh(const ps_topic_t *tp, const ps_peer_t *p);
void ps__mesh_del(ps_topic_t *tp, const ps_peer_t *p);
bool ps__backed_off(const ps_t *ps, const ps_topic_t *tp,
                    const net_peerid_t *id, uint64_t now);
void ps__backoff_add(ps_t *ps, const char *t, size_t tlen,
                     const net_peerid_t *id, uint64_t until);
void ps__backoff_expire(ps_t *ps, uint64_t now);
uint64_t ps__rand(ps_t *ps);
uint64_t ps__hash(const ps_t *ps, const uint8_t *id, size_t n);
int ps__send(ps_t *ps, ps_peer_t *p, const tr_bytes_t *rpc);
/* Pending control for p: a GRAFT or PRUNE of t; flush sends it. */
void ps__ctl_graft(ps_t *ps, ps_peer_t *p, const char *t, size_t tlen);
void ps__ctl_prune(ps_t *ps, ps_peer_t *p, const char *t, size_t tlen,
                   uint64_t backoff_s);
void ps__ctl_flush(ps_t *ps, ps_peer_t *p);
/* Peers of t able to join a mesh (gossipsub, not in it, not backed off),
 * in random order, into out (room for ps->npeers); returns how many. */
size_t ps__candidates(ps_t *ps, ps_topic_t *tp, bool for_mesh, uint64_t now,
                      ps_peer_t **out);

/* cache.c */
bool ps__seen_has(ps_t *ps, uint64_t h, uint64_t now);
void ps__seen_add(ps_t *ps, uint64_t h, uint64_t now);
void ps__mc_put(ps_t *ps, uint64_t h, const uint8_t *id, size_t idlen,
                const char *t, size_t tlen, const uint8_t *msg, size_t n);
const ps_mc_e_t *ps__mc_get(const ps_t *ps, uint64_t h, const uint8_t *id,
                            size_t idlen);
void ps__mc_free(ps_t *ps);
void ps__mc_shift(ps_t *ps);
void ps__seen_expire(ps_t *ps, uint64_t now);

#endif /* PUBSUB_PS_CORE_H */

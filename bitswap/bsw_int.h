/*
 * bsw_int.h — what the bitswap core's files share (internal to bitswap/):
 * bitswap.c (the node: the peer table, dispatch of messages, timers) →
 * server.c (ledgers and the fair scheduler), client.c (block and
 * presence arrival, timers of the client) → session.c (sessions: their
 * peers, want-block placement, DAG fetch-ahead) → wants.c (the wants
 * table and the wantlist we have sent each peer, flushed as one message
 * per peer at the end of each call) → peer.c (find, charge, send) →
 * msg.c.
 *
 * A peer is one bsw__peer_t in b->peers, shared by the halves: each keeps
 * its own state behind an opaque pointer in it (srv, cli).
 */
#ifndef BITSWAP_BSW_INT_H
#define BITSWAP_BSW_INT_H

#include "bitswap.h"

typedef struct bsw__peer {
  net_peerid_t id;
  int version; /* BSW_V100, BSW_V110, BSW_V120 */
  int score;   /* penalties so far; at BSW_SCORE_BAN the peer is banned */
  bool banned; /* set by bsw__penalize; acted on when the call returns */
  uint64_t sent, recv, exchanged; /* block bytes each way, blocks both */
  uint64_t up_at;
  struct bsw__ledger *srv; /* server.c's, NULL until it makes one */
  struct bsw__cpeer *cli;  /* wants.c's, NULL until it makes one */
} bsw__peer_t;

struct bsw {
  bsw_io_t io;
  bsw_limits_t lim;
  bsw__peer_t **peers;
  size_t npeers, peers_cap;
  struct bsw__server *srv;
  struct bsw__client *cli;
  bsw_stats_t st;
  uint64_t now;
  tr_bytes_t scratch; /* message building */
};

bsw__peer_t *bsw__peer_find(const bsw_t *b, const net_peerid_t *id);
/* Charge p: at BSW_SCORE_BAN it is marked banned (the public entry point
 * that runs this bans it and removes it before returning).  Returns
 * p->banned. */
bool bsw__penalize(bsw_t *b, bsw__peer_t *p, int score, const char *why);
/* Send the message in out to p through io.send; counts it. */
int bsw__send(bsw_t *b, bsw__peer_t *p, const tr_bytes_t *out);

/* ------------------------------------------------------------ server.c */

/* The server's state lives in b->srv and each peer's p->srv.  Every
 * function here runs on bitswap.c's behalf; none calls the client. */
int bsw__srv_new(bsw_t *b) TR_WUR;
void bsw__srv_free(bsw_t *b);
/* The peer is gone: drop its ledger (p->srv) and anything queued. */
void bsw__srv_peer_down(bsw_t *b, bsw__peer_t *p);
/* The wantlist part of a message from p (m->entries, m->full): update
 * its ledger and queue the answers.  0; TR_ELIMIT (the wantlist would
 * pass lim.wantlist_max: entries past it are ignored, and the caller
 * charges the peer BSW_SCORE_BAD); -ENOMEM. */
int bsw__srv_wantlist(bsw_t *b, bsw__peer_t *p, const bsw_msg_t *m,
                      uint64_t now) TR_WUR;
/* What p was sent has drained: it may get its next message. */
void bsw__srv_ready(bsw_t *b, bsw__peer_t *p, uint64_t now);
/* A block is now in the store: peers that want it get it (or HAVE). */
/* Every unanswered wantlist entry of every peer looked up in the store
 * again (bsw_store_grew). */
void bsw__srv_recheck(bsw_t *b);
void bsw__srv_block_added(bsw_t *b, const dag_cid_t *cid, size_t len,
                          uint64_t now);
/* Send what can be sent now: round robin over the peers with answers
 * queued, not busy, within lim.inflight_max in all. */
void bsw__srv_pump(bsw_t *b, uint64_t now);
/* Entries of p's wantlist, and each of them. */
uint32_t bsw__srv_wants(const bsw__peer_t *p);
void bsw__srv_wantlist_each(const bsw__peer_t *p, bsw_cid_fn fn, void *ud);

/* ------------------------------------------------------------- wants.c */

/* Deepest DAG position a want remembers; deeper blocks share their
 * ancestor's position at this depth (the order among them is arrival). */
#define BSW_PATH_MAX 24

typedef struct bsw__sess bsw__sess_t;

/* A session's interest in a want: where in its DAG the block sits (the
 * child indexes from the root, for DAG order) and whether its children
 * are wanted too. */
typedef struct bsw__wref {
  bsw__sess_t *s;
  bool dag;
  uint8_t depth;
  uint16_t path[BSW_PATH_MAX];
} bsw__wref_t;

/* One CID the client wants, whatever the number of sessions. */
typedef struct bsw__want {
  dag_cid_t cid;
  tr_fp_t fp;
  bsw__wref_t *refs;
  uint16_t nrefs, refs_cap;
  bsw__peer_t *blk_peer;  /* the peer asked want-block, or NULL */
  uint64_t blk_at, blk_deadline;
  uint64_t since, have_at; /* created; last want-have broadcast */
  uint8_t nlacks;         /* peers that said DONT_HAVE or timed out */
  bsw__peer_t *lacks[8];
} bsw__want_t;

/* CIDs wanted lately (received or cancelled), to tell a block that comes
 * late (a duplicate, or one sent before our CANCEL arrived) from one
 * nobody asked for: two generations of BSW_RECENT_MAX, the older dropped
 * when the newer fills. */
typedef struct bsw__recent {
  tr_fpset_t cur, old;
} bsw__recent_t;

/* What the client knows of a peer (p->cli). */
typedef struct bsw__cpeer {
  tr_fpmap_t sent;        /* fp -> (void *)(type + 1): what it has of ours */
  bsw_entry_t *pend;      /* entries not yet sent */
  size_t npend, pend_cap;
  bool dirty;             /* in the flush list */
  uint32_t inflight, window; /* want-blocks placed on it; its cap */
  /* Its delivery rate: blocks come in bursts (a message carries many), so
   * the rate is measured burst to burst: the bytes of a burst over the
   * time since the one before, when it had wants in hand all along. */
  uint64_t last_block_at; /* when the current burst began */
  uint64_t burst, gap;    /* its bytes so far; time since the one before */
  bool busy;              /* it still had wants in hand after that burst */
  double rate;            /* EWMA, bytes/ms; 0: not known yet */
  uint64_t bytes;         /* block bytes it delivered */
  uint32_t timeouts, blocks;
} bsw__cpeer_t;

struct bsw__client {
  tr_fpmap_t wants;       /* fp -> bsw__want_t */
  bsw__sess_t **sess;
  size_t nsess, sess_cap;
  uint64_t next_sid;
  bsw__peer_t **dirty;    /* peers with entries to flush */
  size_t ndirty, dirty_cap;
  bsw__recent_t *recent;  /* wants.c's: CIDs wanted lately */
  uint32_t prio_seq;      /* entries sent: their priorities count down */
};

bsw__cpeer_t *bsw__cpeer(bsw_t *b, bsw__peer_t *p); /* NULL: -ENOMEM */
bsw__want_t *bsw__want_get(bsw_t *b, const dag_cid_t *cid);
/* Find or make the want of cid.  NULL: -ENOMEM or BSW_WANTS_MAX. */
bsw__want_t *bsw__want_add(bsw_t *b, const dag_cid_t *cid, uint64_t now);
void bsw__recent_add(bsw_t *b, tr_fp_t fp);
bool bsw__recent_has(bsw_t *b, tr_fp_t fp);
/* Forget w (it goes into the recent set): every peer that has it in its
 * wantlist gets CANCEL. */
void bsw__want_drop(bsw_t *b, bsw__want_t *w);
/* Queue an entry for p (merged into the message of the next flush);
 * cancel removes it from what p has. */
void bsw__want_send(bsw_t *b, bsw__peer_t *p, const dag_cid_t *cid, int type,
                    bool cancel);
/* Ask p want-block for w (placement: blk_peer, inflight, deadline). */
void bsw__want_place(bsw_t *b, bsw__want_t *w, bsw__peer_t *p, uint64_t now);
/* Undo the placement (the peer failed it): it goes into w's lacks. */
void bsw__want_unplace(bsw_t *b, bsw__want_t *w, bool lacks);
bool bsw__want_lacks(const bsw__want_t *w, const bsw__peer_t *p);
/* want-have to every connected peer that has not been asked. */
void bsw__want_broadcast(bsw_t *b, bsw__want_t *w, uint64_t now);
/* Send every queued entry, one message per peer. */
void bsw__flush(bsw_t *b);
/* A peer leaves: its placements come undone, it leaves every lacks list,
 * its client state is freed. */
void bsw__wants_peer_down(bsw_t *b, bsw__peer_t *p);

/* ----------------------------------------------------------- session.c */

bsw__sess_t *bsw__sess_find(bsw_t *b, uint64_t sid);
/* A want of s's arrived (data: the block, for its links; NULL when only
 * its presence in the store is known, then links come from io.links). */
void bsw__sess_arrived(bsw_t *b, const bsw__wref_t *r, const dag_cid_t *cid,
                       const uint8_t *data, size_t len, uint64_t now);
/* p has blocks of s (it said HAVE, or sent one): a peer of s from now. */
void bsw__sess_add_peer(bsw_t *b, bsw__sess_t *s, bsw__peer_t *p,
                        uint64_t now);
void bsw__sess_peer_down(bsw_t *b, bsw__peer_t *p);
/* p said HAVE for cid, a want gone already (its block came from another
 * peer): p joins the sessions whose DAG holds cid. */
void bsw__sess_have_late(bsw_t *b, bsw__peer_t *p, const dag_cid_t *cid,
                         uint64_t now);
/* Place w's want-block on the best peer of its sessions, or broadcast
 * want-have when they have none. */
void bsw__sess_place(bsw_t *b, bsw__want_t *w, uint64_t now);
/* Start wants from the sessions' DAG queues, up to lim.ahead_max each;
 * report sessions that are done. */
void bsw__sess_pump(bsw_t *b, uint64_t now);
/* Timers: want-block deadlines, rebroadcasts, provider searches. */
uint64_t bsw__sess_tick(bsw_t *b, uint64_t now);
void bsw__sess_free_all(bsw_t *b);

/* ------------------------------------------------------------ client.c */

int bsw__cli_new(bsw_t *b) TR_WUR;
void bsw__cli_free(bsw_t *b);
/* A new peer: it gets our whole wantlist's want-haves (as boxo does). */
void bsw__cli_peer_up(bsw_t *b, bsw__peer_t *p, uint64_t now);
void bsw__cli_peer_down(bsw_t *b, bsw__peer_t *p, uint64_t now);
/* The blocks and presences of a message from p. */
void bsw__cli_on_message(bsw_t *b, bsw__peer_t *p, const bsw_msg_t *m,
                         uint64_t now);
void bsw__cli_block_added(bsw_t *b, const dag_cid_t *cid, const uint8_t *data,
                          size_t len, uint64_t now);
uint64_t bsw__cli_tick(bsw_t *b, uint64_t now);

#endif /* BITSWAP_BSW_INT_H */

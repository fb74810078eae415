/*
 * bsw_int.h — what the bitswap core's files share (internal to bitswap/):
 * bitswap.c (the node: peers, scores, dispatch of messages, timers) →
 * server.c (ledgers and the fair scheduler), client.c (wants, the
 * per-peer wantlists we send, block arrival) → session.c (sessions:
 * their peers, want-block placement, DAG fetch-ahead) → msg.c.
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
  uint64_t sent, recv, exchanged; /* block bytes each way, messages in */
  uint64_t up_at;
  struct bsw__ledger *srv; /* server.c's, NULL until it makes one */
  struct bsw__cpeer *cli;  /* client.c's, NULL until it makes one */
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
void bsw__srv_block_added(bsw_t *b, const dag_cid_t *cid, size_t len,
                          uint64_t now);
/* Send what can be sent now: round robin over the peers with answers
 * queued, not busy, within lim.inflight_max in all. */
void bsw__srv_pump(bsw_t *b, uint64_t now);
/* Entries of p's wantlist, and each of them. */
uint32_t bsw__srv_wants(const bsw__peer_t *p);
void bsw__srv_wantlist_each(const bsw__peer_t *p, bsw_cid_fn fn, void *ud);

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

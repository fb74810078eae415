/*
 * bitswap.h — the bitswap core (/ipfs/bitswap/1.2.0, and 1.1.0, 1.0.0 for
 * old peers), free of I/O in the manner of dht.h: messages and time go
 * in, messages come out through one send function, blocks are read from
 * and handed to the caller through callbacks, and nothing here knows a
 * socket, a stream, a thread or a clock.  bitswap/swarm.h runs it on the
 * libp2p host; the tests run it between cores wired back to back.
 *
 * Two halves share the peers:
 *
 *  - the server (server.c): a ledger per peer (its wantlist as it sent
 *    it, bytes each way), and a scheduler that answers the peers in turn,
 *    one message of at most BSW_SEND_TARGET bytes each per round, to a
 *    peer whose previous message has drained (bsw_peer_ready), so that no
 *    peer hogs the upload, and no more than BSW_INFLIGHT_MAX bytes sent
 *    and not yet drained in all; a wantlist holds at most
 *    BSW_WANTLIST_MAX entries (bsw_limits_t).  want-have is answered HAVE (or the block itself
 *    when it is small, as boxo does), a block we lack DONT_HAVE when the
 *    peer asked for it; a block that arrives later (bsw_block_added) goes
 *    to the peers that want it.
 *
 *  - the client (client.c, session.c): wants grouped in sessions.  A
 *    session starts by asking every connected peer want-have (with
 *    send-dont-have), takes the peers that answer HAVE or send blocks,
 *    and the providers the caller finds (io.find_providers, when nobody
 *    has answered within BSW_PROVIDER_DELAY_MS), and sends each want-block
 *    to one of its peers, chosen by measured latency and throughput, with
 *    a window of wants in flight per peer that grows as the peer delivers
 *    and shrinks when it times out.  A want whose peer says DONT_HAVE, goes
 *    away or times out is sent to another.  A session fetching a DAG
 *    (bsw_session_want(..., dag=true)) reads the links of each block as
 *    it arrives and wants the children in DAG order ahead of the reader,
 *    up to BSW_AHEAD_MAX blocks, from the position of the last block a
 *    reader asked for (so a Range in the middle of a file is fetched from
 *    there on).
 *
 * Every block received is hashed (bsw_block_cid) and kept only if its CID's
 * multihash is wanted: a block nobody asked for lately (neither wanted now
 * nor received or cancelled among the last BSW_RECENT_MAX wants), or one
 * that does not hash to a wanted CID, is dropped and costs its peer
 * BSW_SCORE_FATAL, as does a message that does not decode; a late
 * duplicate is only counted; a wantlist over its cap costs BSW_SCORE_BAD.  A peer
 * whose score reaches BSW_SCORE_BAN is handed to io.ban and forgotten.
 *
 * Time: every entry point takes now (milliseconds, monotonic).
 * bsw_tick() runs the timers and returns when it wants to run next.
 *
 * Re-entrancy: io callbacks are called from inside bsw_* calls and must
 * not call back into the core synchronously (queue instead), except
 * where said otherwise.
 */
#ifndef BITSWAP_BITSWAP_H
#define BITSWAP_BITSWAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "../dag/cid.h"
#include "../net/peerid.h"
#include "msg.h"

#define BSW_SEND_TARGET (256u << 10) /* bytes of blocks per message and turn */
#define BSW_WANTLIST_MAX 1024      /* entries a peer's wantlist may hold */
#define BSW_INFLIGHT_MAX (64u << 20) /* server bytes sent, not yet drained */
#define BSW_PEERS_MAX 4096
#define BSW_SESSIONS_MAX 4096
#define BSW_WANTS_MAX 262144       /* client wants at once, all sessions */
#define BSW_AHEAD_MAX 256          /* blocks a DAG session fetches ahead */
#define BSW_WINDOW_MIN 4           /* want-blocks in flight per peer */
#define BSW_WINDOW_MAX 128
#define BSW_PROVIDER_DELAY_MS 1000 /* boxo's provSearchDelay */
#define BSW_REBROADCAST_MS 10000   /* boxo's rebroadcastDelay */
#define BSW_WANT_TIMEOUT_MS 5000   /* a want-block unanswered this long moves */
#define BSW_HAVE_INLINE_MAX 1024   /* want-have of a block this small: send it */
#define BSW_RECENT_MAX 8192        /* wants remembered after they end */
#define BSW_SCORE_BAD 10
#define BSW_SCORE_FATAL 100
#define BSW_SCORE_BAN 100

typedef struct bsw bsw_t;

typedef struct bsw_limits {
  uint32_t wantlist_max;   /* BSW_WANTLIST_MAX */
  uint32_t send_target;    /* BSW_SEND_TARGET */
  size_t inflight_max;     /* BSW_INFLIGHT_MAX */
  uint32_t want_timeout_ms;     /* BSW_WANT_TIMEOUT_MS */
  uint32_t provider_delay_ms;   /* BSW_PROVIDER_DELAY_MS */
  uint32_t ahead_max;      /* BSW_AHEAD_MAX */
} bsw_limits_t;
void bsw_limits_default(bsw_limits_t *l);

typedef struct bsw_io {
  /* Send one encoded message p[0..n) (no length prefix) to peer.  0, or a
   * failure now (the peer is treated as gone for this message). */
  int (*send)(void *ud, const net_peerid_t *peer, const uint8_t *p, size_t n);
  /* The store (the server's reads, and the client's check for blocks of
   * a DAG it already has): stat gives a block's size (0) or
   * TR_ENOTFOUND; get appends the block's bytes to out (0, TR_ENOTFOUND,
   * -ENOMEM). */
  int (*stat)(void *ud, const dag_cid_t *cid, size_t *size);
  int (*get)(void *ud, const dag_cid_t *cid, tr_bytes_t *out);
  /* The children of a block the store has, in link order (the store's
   * links index saves reading the block): fn for each, a non-zero return
   * stops and is returned.  0, TR_ENOTFOUND.  May be NULL: then get and
   * the block's own links. */
  int (*links)(void *ud, const dag_cid_t *cid,
               int (*fn)(void *fud, const dag_cid_t *child), void *fud);
  /* A wanted block arrived and hashes to its CID: keep it.  data is a
   * view for the call.  May call bsw_block_added() (it is not re-entrant
   * into the client). */
  void (*on_block)(void *ud, const dag_cid_t *cid, const uint8_t *data,
                   size_t len);
  /* Session sid has wanted cid for a while and no peer has it: find
   * providers and hand them in with bsw_session_add_peer() once
   * connected.  May be NULL. */
  void (*find_providers)(void *ud, uint64_t sid, const dag_cid_t *cid);
  /* Session sid has every block it wanted (a DAG: every block under its
   * roots).  May be NULL. */
  void (*on_session_done)(void *ud, uint64_t sid);
  /* Cut peer off (close its connections, refuse it for a while): it broke
   * the protocol or sent what nobody asked for.  The core has forgotten
   * it already. */
  void (*ban)(void *ud, const net_peerid_t *peer, const char *why);
  void *ud;
} bsw_io_t;

/* 0, TR_EUSAGE (no send/stat/get/on_block), -ENOMEM.  lim NULL: defaults. */
int bsw_new(const bsw_io_t *io, const bsw_limits_t *lim, uint64_t now,
            bsw_t **out) TR_WUR;
/* Free everything; no callbacks. */
void bsw_free(bsw_t *b);

/* -------------------------------------------------------------- peers */

/* A peer that speaks bitswap (version BSW_V100/110/120) is connected: it
 * gets our wantlist (full), and may send us its own.  Again for a known
 * peer: the version is updated.  0, TR_ELIMIT (BSW_PEERS_MAX), -ENOMEM. */
int bsw_peer_up(bsw_t *b, const net_peerid_t *peer, int version,
                uint64_t now) TR_WUR;
/* The peer went away: its ledger is dropped, its wants move to others. */
void bsw_peer_down(bsw_t *b, const net_peerid_t *peer, uint64_t now);
/* What was sent to peer has gone to the connection: the server may send
 * it the next message. */
void bsw_peer_ready(bsw_t *b, const net_peerid_t *peer, uint64_t now);

/* One message from peer.  0; TR_EPROTO/TR_ETOOBIG/TR_ECID (the message
 * was refused: the adapter should reset the stream; the peer's score took
 * BSW_SCORE_FATAL and it may have been banned); -ENOMEM.  A peer not yet
 * up is taken as up with version BSW_V120. */
int bsw_on_message(bsw_t *b, const net_peerid_t *peer, const uint8_t *p,
                   size_t n, uint64_t now) TR_WUR;

/* We have a new block (imported, or fetched by another path): peers
 * whose wantlist has it get it (or HAVE), and a client want of it is
 * satisfied (sessions continue as if it had arrived, without on_block).
 * data may be NULL when only the server side matters. */
void bsw_block_added(bsw_t *b, const dag_cid_t *cid, const uint8_t *data,
                     size_t len, uint64_t now);

/* The store gained blocks by a path that did not name them (an import
 * through the API): every entry of every peer's wantlist not yet answered
 * with its block or HAVE is looked up in the store again (at most
 * peers x BSW_WANTLIST_MAX stat calls), and answered when found. */
void bsw_store_grew(bsw_t *b, uint64_t now);

/* Run timers; returns the next time it wants to be called (absolute). */
uint64_t bsw_tick(bsw_t *b, uint64_t now);

/* ----------------------------------------------------------- sessions */

/* 0 with *sid, TR_ELIMIT, -ENOMEM. */
int bsw_session_new(bsw_t *b, uint64_t now, uint64_t *sid) TR_WUR;
/* Cancel the session's wants (peers get CANCEL) and forget it. */
void bsw_session_free(bsw_t *b, uint64_t sid, uint64_t now);
/* Want cid in session sid (again: a reader is waiting on it now, so it
 * goes first and the session fetches ahead from there).  dag: also every
 * block under it.  A block the store has is not fetched (a DAG's blocks
 * the store has are walked for their links).  0, TR_ENOTFOUND (no such
 * session), TR_ELIMIT (BSW_WANTS_MAX), -ENOMEM. */
int bsw_session_want(bsw_t *b, uint64_t sid, const dag_cid_t *cid, bool dag,
                     uint64_t now) TR_WUR;
/* A provider found for the session, now connected (bsw_peer_up first). */
void bsw_session_add_peer(bsw_t *b, uint64_t sid, const net_peerid_t *peer,
                          uint64_t now);

/* ------------------------------------------------------- observation */

typedef struct bsw_stats {
  uint64_t blocks_received, data_received;  /* wanted blocks */
  uint64_t dup_blocks, dup_data;            /* arrived twice */
  uint64_t blocks_sent, data_sent;
  uint64_t messages_received;
  uint64_t bad_blocks;                      /* unwanted or not matching */
  uint64_t bans;
  uint32_t peers, wants, sessions;
} bsw_stats_t;
void bsw_stats(const bsw_t *b, bsw_stats_t *out);

/* Kubo's ledger of one peer.  0 or TR_ENOTFOUND (not connected). */
typedef struct bsw_ledger {
  uint64_t sent, recv;        /* block bytes */
  uint64_t exchanged;         /* blocks sent and received (boxo's
                               * ExchangeCount, Kubo's "Exchanged") */
  uint32_t wants;             /* entries of its wantlist */
} bsw_ledger_t;
int bsw_ledger(const bsw_t *b, const net_peerid_t *peer, bsw_ledger_t *out);

/* Our wantlist (peer NULL: every CID any session wants, once), or what
 * peer wants of us.  fn gets each CID and its want type. */
typedef void (*bsw_cid_fn)(void *ud, const dag_cid_t *cid, int type);
int bsw_wantlist(const bsw_t *b, const net_peerid_t *peer, bsw_cid_fn fn,
                 void *ud);
/* The connected bitswap peers. */
typedef void (*bsw_peer_fn)(void *ud, const net_peerid_t *peer, int version);
void bsw_peers(const bsw_t *b, bsw_peer_fn fn, void *ud);

#endif /* BITSWAP_BITSWAP_H */

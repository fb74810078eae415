/*
 * bitswap.c — the bitswap node: the peer table both halves share, scores
 * and bans, the dispatch of a message to the server (its wantlist) and
 * the client (its blocks and presences), and the entry points of
 * bitswap.h that are not a session's.
 *
 * Every entry point ends the same way: peers marked banned are handed to
 * io.ban and removed, the server sends what it can, and the client's
 * queued wantlist entries go out, one message per peer.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "bsw_int.h"

void bsw_limits_default(bsw_limits_t *l) {
  l->wantlist_max = BSW_WANTLIST_MAX;
  l->send_target = BSW_SEND_TARGET;
  l->inflight_max = BSW_INFLIGHT_MAX;
  l->want_timeout_ms = BSW_WANT_TIMEOUT_MS;
  l->provider_delay_ms = BSW_PROVIDER_DELAY_MS;
  l->ahead_max = BSW_AHEAD_MAX;
}

int bsw_new(const bsw_io_t *io, const bsw_limits_t *lim, uint64_t now,
            bsw_t **out) {
  if (!io || !io->send || !io->stat || !io->get || !io->on_block)
    return TR_EUSAGE;
  bsw_t *b = tr_calloc(1, sizeof *b);
  if (!b)
    return -ENOMEM;
  b->io = *io;
  if (lim)
    b->lim = *lim;
  else
    bsw_limits_default(&b->lim);
  b->now = now;
  int rc = bsw__srv_new(b);
  if (!rc)
    rc = bsw__cli_new(b);
  if (rc) {
    bsw_free(b);
    return rc;
  }
  *out = b;
  return 0;
}

static void peer_free(bsw_t *b, bsw__peer_t *p) {
  bsw__srv_peer_down(b, p);
  bsw__cli_peer_down(b, p, b->now);
  tr_free(p);
}

void bsw_free(bsw_t *b) {
  if (!b)
    return;
  if (b->cli)
    bsw__sess_free_all(b);
  for (size_t i = b->npeers; i-- > 0;) {
    bsw__peer_t *p = b->peers[i];
    b->npeers = i; /* out of the table before its state goes */
    peer_free(b, p);
  }
  bsw__cli_free(b);
  bsw__srv_free(b);
  tr_free(b->peers);
  tr_bytes_free(&b->scratch);
  tr_free(b);
}

/* ---------------------------------------------------------------- peers */

static void peer_remove(bsw_t *b, bsw__peer_t *p) {
  for (size_t i = 0; i < b->npeers; i++)
    if (b->peers[i] == p) {
      b->peers[i] = b->peers[--b->npeers];
      break;
    }
  peer_free(b, p);
  b->st.peers = (uint32_t)b->npeers;
}

/* The end of every entry point (see the top of the file). */
static void settle(bsw_t *b, uint64_t now) {
  for (size_t i = 0; i < b->npeers;) {
    bsw__peer_t *p = b->peers[i];
    if (!p->banned) {
      i++;
      continue;
    }
    net_peerid_t id = p->id;
    peer_remove(b, p);
    b->st.bans++;
    if (b->io.ban)
      b->io.ban(b->io.ud, &id, "broke the bitswap protocol");
  }
  bsw__srv_pump(b, now);
  bsw__sess_pump(b, now);
  bsw__flush(b);
}

int bsw_peer_up(bsw_t *b, const net_peerid_t *peer, int version,
                uint64_t now) {
  b->now = now;
  bsw__peer_t *p = bsw__peer_find(b, peer);
  if (p) {
    p->version = version;
    return 0;
  }
  if (b->npeers >= BSW_PEERS_MAX)
    return TR_ELIMIT;
  if (b->npeers == b->peers_cap) {
    size_t n = b->peers_cap ? b->peers_cap * 2 : 16;
    bsw__peer_t **v = tr_realloc(b->peers, n * sizeof *v);
    if (!v)
      return -ENOMEM;
    b->peers = v;
    b->peers_cap = n;
  }
  if (!(p = tr_calloc(1, sizeof *p)))
    return -ENOMEM;
  p->id = *peer;
  p->version = version;
  p->up_at = now;
  b->peers[b->npeers++] = p;
  b->st.peers = (uint32_t)b->npeers;
  bsw__cli_peer_up(b, p, now);
  settle(b, now);
  return 0;
}

void bsw_peer_down(bsw_t *b, const net_peerid_t *peer, uint64_t now) {
  b->now = now;
  bsw__peer_t *p = bsw__peer_find(b, peer);
  if (!p)
    return;
  peer_remove(b, p);
  settle(b, now);
}

void bsw_peer_ready(bsw_t *b, const net_peerid_t *peer, uint64_t now) {
  b->now = now;
  bsw__peer_t *p = bsw__peer_find(b, peer);
  if (!p)
    return;
  bsw__srv_ready(b, p, now);
  settle(b, now);
}

/* ------------------------------------------------------------- messages */

int bsw_on_message(bsw_t *b, const net_peerid_t *peer, const uint8_t *body,
                   size_t n, uint64_t now) {
  b->now = now;
  bsw__peer_t *p = bsw__peer_find(b, peer);
  if (!p) {
    int rc = bsw_peer_up(b, peer, BSW_V120, now);
    if (rc)
      return rc;
    if (!(p = bsw__peer_find(b, peer)))
      return -ENOMEM;
  }
  bsw_msg_t m;
  int rc = bsw_msg_decode(&m, body, n);
  if (rc) {
    if (rc != -ENOMEM)
      bsw__penalize(b, p, BSW_SCORE_FATAL, "sent a malformed message");
    settle(b, now);
    return rc;
  }
  b->st.messages_received++;
  if (m.nentries || m.full) {
    rc = bsw__srv_wantlist(b, p, &m, now);
    if (rc == TR_ELIMIT)
      bsw__penalize(b, p, BSW_SCORE_BAD, "wantlist over the limit");
    rc = rc == -ENOMEM ? rc : 0;
  }
  if (!p->banned)
    bsw__cli_on_message(b, p, &m, now);
  bsw_msg_free(&m);
  settle(b, now);
  return rc;
}

void bsw_block_added(bsw_t *b, const dag_cid_t *cid, const uint8_t *data,
                     size_t len, uint64_t now) {
  b->now = now;
  bsw__srv_block_added(b, cid, len, now);
  bsw__cli_block_added(b, cid, data, len, now);
  settle(b, now);
}

void bsw_store_grew(bsw_t *b, uint64_t now) {
  b->now = now;
  bsw__srv_recheck(b);
  settle(b, now);
}

uint64_t bsw_tick(bsw_t *b, uint64_t now) {
  b->now = now;
  uint64_t next = bsw__cli_tick(b, now);
  settle(b, now);
  return next;
}

/* ---------------------------------------------------------- observation */

void bsw_stats(const bsw_t *b, bsw_stats_t *out) {
  *out = b->st;
  out->peers = (uint32_t)b->npeers;
  out->wants = (uint32_t)b->cli->wants.n;
  out->sessions = (uint32_t)b->cli->nsess;
}

int bsw_ledger(const bsw_t *b, const net_peerid_t *peer, bsw_ledger_t *out) {
  const bsw__peer_t *p = bsw__peer_find(b, peer);
  if (!p)
    return TR_ENOTFOUND;
  out->sent = p->sent;
  out->recv = p->recv;
  out->exchanged = p->exchanged;
  out->wants = bsw__srv_wants(p);
  return 0;
}

int bsw_wantlist(const bsw_t *b, const net_peerid_t *peer, bsw_cid_fn fn,
                 void *ud) {
  if (peer) {
    const bsw__peer_t *p = bsw__peer_find(b, peer);
    if (!p)
      return TR_ENOTFOUND;
    bsw__srv_wantlist_each(p, fn, ud);
    return 0;
  }
  const tr_fpmap_t *m = &b->cli->wants;
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i].hi || m->keys[i].lo) {
      const bsw__want_t *w = m->vals[i];
      fn(ud, &w->cid, w->blk_peer ? BSW_WANT_BLOCK : BSW_WANT_HAVE);
    }
  return 0;
}

void bsw_peers(const bsw_t *b, bsw_peer_fn fn, void *ud) {
  for (size_t i = 0; i < b->npeers; i++)
    fn(ud, &b->peers[i]->id, b->peers[i]->version);
}

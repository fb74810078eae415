/*
 * peer.c — the leaf every file of the core uses: finding a peer, charging
 * it, and sending it a message.  Kept apart so that bitswap.c (which
 * calls the server and the client) is not called back by them.
 */
#include "bsw_int.h"

bsw__peer_t *bsw__peer_find(const bsw_t *b, const net_peerid_t *id) {
  for (size_t i = 0; i < b->npeers; i++)
    if (net_peerid_equal(&b->peers[i]->id, id))
      return b->peers[i];
  return NULL;
}

bool bsw__penalize(bsw_t *b, bsw__peer_t *p, int score, const char *why) {
  (void)b;
  p->score += score;
  if (p->score >= BSW_SCORE_BAN && !p->banned) {
    p->banned = true;
    tr_log(TR_LOG_WARN, "bitswap: banning a peer: %s", why);
  }
  return p->banned;
}

int bsw__send(bsw_t *b, bsw__peer_t *p, const tr_bytes_t *out) {
  if (!out->len)
    return 0;
  return b->io.send(b->io.ud, &p->id, out->data, out->len);
}


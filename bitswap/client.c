/*
 * client.c — what the client does with what peers send it: blocks (hashed,
 * kept only when wanted), HAVE and DONT_HAVE, and its timers.
 *
 * A block is checked before anything else sees it: bsw_block_cid() hashes
 * the data under the prefix the peer sent, and only a CID whose multihash
 * is one we want is kept.  So a peer cannot make us store, or pass to a
 * reader, bytes that are not the block asked for: a block that does not
 * match is simply a block nobody asked for, dropped and charged to the
 * peer.  Blocks that arrive twice (we cancelled, it had sent already) are
 * (or after a cancel: it had sent already) are told apart from unrequested
 * ones by the set of CIDs wanted lately (wants.c's), and only counted.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "bsw_int.h"

static bsw__recent_t *recent_of(bsw_t *b) { return b->cli->recent; }

int bsw__cli_new(bsw_t *b) {
  b->cli = tr_calloc(1, sizeof *b->cli);
  if (!b->cli)
    return -ENOMEM;
  if (!(b->cli->recent = tr_calloc(1, sizeof(bsw__recent_t)))) {
    tr_free(b->cli);
    b->cli = NULL;
    return -ENOMEM;
  }
  return 0;
}

static void free_want(void *ud, void *v) {
  (void)ud;
  bsw__want_t *w = v;
  tr_free(w->refs);
  tr_free(w);
}

void bsw__cli_free(bsw_t *b) {
  if (!b->cli)
    return;
  bsw__sess_free_all(b);
  tr_fpmap_each(&b->cli->wants, free_want, NULL);
  tr_fpmap_free(&b->cli->wants);
  tr_free(b->cli->sess);
  tr_free(b->cli->dirty);
  bsw__recent_t *r = recent_of(b);
  tr_fpset_free(&r->cur);
  tr_fpset_free(&r->old);
  tr_free(r);
  tr_free(b->cli);
  b->cli = NULL;
}

/* ---------------------------------------------------------------- peers */

void bsw__cli_peer_up(bsw_t *b, bsw__peer_t *p, uint64_t now) {
  (void)now;
  /* It may have what we wait for: wants not placed go to it as
   * want-have (boxo sends new peers its broadcast wantlist). */
  struct bsw__client *c = b->cli;
  for (size_t i = 0; i < c->wants.cap; i++) {
    if (!c->wants.keys[i].hi && !c->wants.keys[i].lo)
      continue;
    bsw__want_t *w = c->wants.vals[i];
    if (!w->blk_peer && w->have_at)
      bsw__want_send(b, p, &w->cid, BSW_WANT_HAVE, false);
  }
}

void bsw__cli_peer_down(bsw_t *b, bsw__peer_t *p, uint64_t now) {
  /* It leaves its sessions first, so that its wants go elsewhere. */
  bsw__sess_peer_down(b, p);
  struct bsw__client *c = b->cli;
  for (size_t i = 0; i < c->wants.cap; i++) {
    if (!c->wants.keys[i].hi && !c->wants.keys[i].lo)
      continue;
    bsw__want_t *w = c->wants.vals[i];
    if (w->blk_peer == p) {
      bsw__want_unplace(b, w, false);
      w->have_at = 0; /* asked around again if nobody else has it */
      bsw__sess_place(b, w, now);
    }
  }
  bsw__wants_peer_down(b, p);
}

/* --------------------------------------------------------------- blocks */

/* A wanted block from p: count, hand it on, feed the sessions, cancel it
 * everywhere else. */
static void got_block(bsw_t *b, bsw__peer_t *p, bsw__want_t *w,
                      const uint8_t *data, size_t len, uint64_t now) {
  bsw__cpeer_t *cp = bsw__cpeer(b, p);
  if (cp) {
    if (now != cp->last_block_at) { /* a new burst: the last one's rate */
      if (cp->busy && cp->gap) {
        double r = (double)cp->burst / (double)cp->gap;
        cp->rate = cp->rate ? 0.7 * cp->rate + 0.3 * r : r;
      }
      cp->gap = cp->last_block_at ? now - cp->last_block_at : 0;
      cp->last_block_at = now;
      cp->burst = 0;
    }
    cp->burst += len;
    cp->bytes += len;
    /* This want leaves its inflight when it is dropped below. */
    cp->busy = cp->inflight > (w->blk_peer == p ? 1u : 0u);
    cp->blocks++;
    /* The window grows only when the peer ran dry (this was the last want
     * it had in hand): a peer that still has work has window enough, and
     * growing it anyway lets the first peers to answer take every want
     * while the others, whose first answers come later, starve. */
    if (!cp->busy && cp->window < BSW_WINDOW_MAX)
      cp->window += cp->window / 2 ? cp->window / 2 : 1;
    if (cp->window > BSW_WINDOW_MAX)
      cp->window = BSW_WINDOW_MAX;
  }
  b->st.blocks_received++;
  b->st.data_received += len;
  p->recv += len;
  p->exchanged++;
  /* The refs may point to sessions that join p; copy them out, since
   * dropping the want frees them. */
  uint16_t n = w->nrefs;
  bsw__wref_t one, *refs = n == 1 ? &one : tr_malloc(n * sizeof *refs);
  if (refs)
    memcpy(refs, w->refs, n * sizeof *refs);
  dag_cid_t cid = w->cid;
  bsw__want_drop(b, w); /* CANCEL to every peer that holds it */
  for (uint16_t i = 0; refs && i < n; i++) {
    bsw__sess_add_peer(b, refs[i].s, p, now);
    bsw__sess_arrived(b, &refs[i], &cid, data, len, now);
  }
  if (refs != &one)
    tr_free(refs);
  /* Last, with w gone: on_block may call bsw_block_added (bitswap.h),
   * which drops the want of cid if it is still there. */
  b->io.on_block(b->io.ud, &cid, data, len);
}

static void on_presence(bsw_t *b, bsw__peer_t *p, const bsw_presence_t *pr,
                        uint64_t now) {
  bsw__want_t *w = bsw__want_get(b, &pr->cid);
  if (!w) {
    /* The block came from a quicker peer before this HAVE: the peer still
     * has what the sessions that wanted it fetch, so it joins them (else
     * a peer slower by a round trip than the first to answer the
     * broadcast would never serve the DAG: boxo keeps a session's
     * interest in a CID past its block for the same reason). */
    if (pr->type == BSW_HAVE)
      bsw__sess_have_late(b, p, &pr->cid, now);
    return;
  }
  if (pr->type == BSW_HAVE) {
    /* It has it now, whatever it said or failed before. */
    for (unsigned i = 0; i < w->nlacks; i++)
      if (w->lacks[i] == p) {
        w->lacks[i] = w->lacks[--w->nlacks];
        break;
      }
    for (uint16_t i = 0; i < w->nrefs; i++)
      bsw__sess_add_peer(b, w->refs[i].s, p, now);
    if (!w->blk_peer)
      bsw__sess_place(b, w, now);
  } else {
    bool was = w->blk_peer == p;
    if (was)
      bsw__want_unplace(b, w, true);
    else if (!bsw__want_lacks(w, p) && w->nlacks < TR_ARRAY_LEN(w->lacks))
      w->lacks[w->nlacks++] = p;
    if (was)
      bsw__sess_place(b, w, now);
  }
}

void bsw__cli_on_message(bsw_t *b, bsw__peer_t *p, const bsw_msg_t *m,
                         uint64_t now) {
  for (size_t i = 0; i < m->nblocks && !p->banned; i++) {
    dag_cid_t cid;
    int rc = bsw_block_cid(&m->blocks[i], &cid);
    if (rc) {
      b->st.bad_blocks++;
      bsw__penalize(b, p, BSW_SCORE_BAD, "block with a bad prefix");
      continue;
    }
    bsw__want_t *w = bsw__want_get(b, &cid);
    if (w) {
      /* The server hears of it once it is in the store (the adapter
       * calls bsw_block_added after the commit). */
      got_block(b, p, w, m->blocks[i].data, m->blocks[i].len, now);
    } else if (bsw__recent_has(b, dag_cid_fp(&cid))) {
      b->st.dup_blocks++;
      b->st.dup_data += m->blocks[i].len;
      /* A late answer (a small block sent for a want-have, as a HAVE
       * would be): the peer has the DAG too, as on_presence's late HAVE. */
      bsw__sess_have_late(b, p, &cid, now);
    } else {
      b->st.bad_blocks++;
      /* Not wanted now, nor lately (received or cancelled): a block that
       * does not hash to what it was asked for, or one nobody asked for.
       * Either way a lie: cut off at once (its wants move to others as
       * it leaves). */
      bsw__penalize(b, p, BSW_SCORE_FATAL, "sent a block nobody asked for");
    }
  }
  for (size_t i = 0; i < m->npresences && !p->banned; i++)
    on_presence(b, p, &m->presences[i], now);
  bsw__sess_pump(b, now);
}

void bsw__cli_block_added(bsw_t *b, const dag_cid_t *cid, const uint8_t *data,
                          size_t len, uint64_t now) {
  bsw__want_t *w = bsw__want_get(b, cid);
  if (!w)
    return;
  uint16_t n = w->nrefs;
  bsw__wref_t one, *refs = n == 1 ? &one : tr_malloc(n * sizeof *refs);
  if (refs)
    memcpy(refs, w->refs, n * sizeof *refs);
  dag_cid_t c = w->cid;
  bsw__want_drop(b, w);
  for (uint16_t i = 0; refs && i < n; i++)
    bsw__sess_arrived(b, &refs[i], &c, data, len, now);
  if (refs != &one)
    tr_free(refs);
  bsw__sess_pump(b, now);
}

uint64_t bsw__cli_tick(bsw_t *b, uint64_t now) {
  return bsw__sess_tick(b, now);
}

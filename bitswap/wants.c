/*
 * wants.c — the client's wants table and the wantlist each peer has of
 * ours (boxo's wantmanager and peerwantmanager, without their goroutines).
 *
 * A want is one CID, whatever the number of sessions after it; a peer's
 * record says which of our wants it holds and as what (want-have or
 * want-block), so that a block arriving sends CANCEL exactly to the peers
 * that still hold it, and a want placed again on a peer is not sent twice.
 * Entries are queued per peer and flushed once per entry point
 * (bsw__flush), so a burst of wants becomes one message per peer.
 *
 * Placement (which peer gets a want-block) is session.c's choice; here is
 * only its bookkeeping.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "bsw_int.h"

/* ---------------------------------------------------------------- peers */

bsw__cpeer_t *bsw__cpeer(bsw_t *b, bsw__peer_t *p) {
  (void)b;
  if (!p->cli) {
    p->cli = tr_calloc(1, sizeof *p->cli);
    if (p->cli)
      p->cli->window = BSW_WINDOW_MIN * 2;
  }
  return p->cli;
}

static void mark_dirty(bsw_t *b, bsw__peer_t *p) {
  struct bsw__client *c = b->cli;
  if (p->cli->dirty)
    return;
  if (c->ndirty == c->dirty_cap) {
    size_t n = c->dirty_cap ? c->dirty_cap * 2 : 16;
    bsw__peer_t **v = tr_realloc(c->dirty, n * sizeof *v);
    if (!v)
      return; /* the entries wait for the next flush that has room */
    c->dirty = v;
    c->dirty_cap = n;
  }
  c->dirty[c->ndirty++] = p;
  p->cli->dirty = true;
}

void bsw__want_send(bsw_t *b, bsw__peer_t *p, const dag_cid_t *cid, int type,
                    bool cancel) {
  if (cancel && !p->cli)
    return;
  bsw__cpeer_t *cp = bsw__cpeer(b, p);
  if (!cp)
    return;
  /* Older peers know only want-block (a want-have would be read as one):
   * what we would ask them want-have we ask want-block, as boxo's
   * message queue does for a peer without HAVE support, or they would
   * never be asked anything, since wants go out as want-have first. */
  if (!cancel && type == BSW_WANT_HAVE && p->version < BSW_V120)
    type = BSW_WANT_BLOCK;
  tr_fp_t fp = dag_cid_fp(cid);
  uintptr_t had = (uintptr_t)tr_fpmap_get(&cp->sent, fp);
  if (cancel) {
    if (!had)
      return;
    tr_fpmap_del(&cp->sent, fp);
  } else {
    /* A want-block replaces a want-have at the peer; the reverse would
     * not (boxo's rule), and the same entry twice is noise. */
    if (had == (uintptr_t)type + 1 || (had == BSW_WANT_BLOCK + 1 &&
                                       type == BSW_WANT_HAVE))
      return;
    if (tr_fpmap_put(&cp->sent, fp, (void *)((uintptr_t)type + 1)))
      return;
  }
  if (cp->npend == cp->pend_cap) {
    size_t n = cp->pend_cap ? cp->pend_cap * 2 : 16;
    bsw_entry_t *v = tr_realloc(cp->pend, n * sizeof *v);
    if (!v)
      return;
    cp->pend = v;
    cp->pend_cap = n;
  }
  bsw_entry_t *e = &cp->pend[cp->npend++];
  memset(e, 0, sizeof *e);
  e->cid = *cid;
  e->cancel = cancel;
  e->type = (uint8_t)type;
  e->send_dont_have = !cancel;
  /* Older wants first: the priority falls with every entry ever sent
   * (boxo counts down the same way).  It used to restart with each
   * message, so a want sent alone later (one per block as they arrive)
   * outranked the 4th of the first message for ever: a reader waiting on
   * that block starved while the rest of the file streamed past. */
  e->priority = INT32_MAX - 1 - (int32_t)(b->cli->prio_seq++ & 0x3fffffff);
  mark_dirty(b, p);
}

void bsw__flush(bsw_t *b) {
  struct bsw__client *c = b->cli;
  for (size_t i = 0; i < c->ndirty; i++) {
    bsw__peer_t *p = c->dirty[i];
    bsw__cpeer_t *cp = p->cli;
    cp->dirty = false;
    /* A message holds at most BSW_MSG_ITEMS_MAX entries; a CID is at most
     * ~70 bytes, so a part of 4096 stays far below BSW_MSG_MAX. */
    for (size_t off = 0; off < cp->npend; off += 4096) {
      size_t n = cp->npend - off < 4096 ? cp->npend - off : 4096;
      b->scratch.len = 0;
      if (bsw_enc_wantlist(&b->scratch, cp->pend + off, n, false,
                           p->version) == 0)
        (void)bsw__send(b, p, &b->scratch);
    }
    cp->npend = 0;
  }
  c->ndirty = 0;
}

/* ---------------------------------------------------------------- wants */

bsw__want_t *bsw__want_get(bsw_t *b, const dag_cid_t *cid) {
  return tr_fpmap_get(&b->cli->wants, dag_cid_fp(cid));
}

bsw__want_t *bsw__want_add(bsw_t *b, const dag_cid_t *cid, uint64_t now) {
  tr_fp_t fp = dag_cid_fp(cid);
  bsw__want_t *w = tr_fpmap_get(&b->cli->wants, fp);
  if (w)
    return w;
  if (b->cli->wants.n >= BSW_WANTS_MAX)
    return NULL;
  if (!(w = tr_calloc(1, sizeof *w)))
    return NULL;
  w->cid = *cid;
  w->fp = fp;
  w->since = now;
  if (tr_fpmap_put(&b->cli->wants, fp, w)) {
    tr_free(w);
    return NULL;
  }
  return w;
}

void bsw__want_place(bsw_t *b, bsw__want_t *w, bsw__peer_t *p, uint64_t now) {
  bsw__cpeer_t *cp = bsw__cpeer(b, p);
  if (!cp)
    return;
  assert(!w->blk_peer);
  w->blk_peer = p;
  w->blk_at = now;
  /* Wait for what is queued ahead of it at the peer's measured pace,
   * and at least the configured timeout. */
  double avg = cp->blocks ? (double)cp->bytes / cp->blocks : 0;
  uint64_t wait =
      cp->rate ? (uint64_t)((cp->inflight + 1) * avg / cp->rate * 2) : 0;
  w->blk_deadline = now + (wait > b->lim.want_timeout_ms
                               ? wait : b->lim.want_timeout_ms);
  cp->inflight++;
  bsw__want_send(b, p, &w->cid, BSW_WANT_BLOCK, false);
}

bool bsw__want_lacks(const bsw__want_t *w, const bsw__peer_t *p) {
  for (unsigned i = 0; i < w->nlacks; i++)
    if (w->lacks[i] == p)
      return true;
  return false;
}

void bsw__want_unplace(bsw_t *b, bsw__want_t *w, bool lacks) {
  bsw__peer_t *p = w->blk_peer;
  if (!p)
    return;
  w->blk_peer = NULL;
  if (p->cli && p->cli->inflight)
    p->cli->inflight--;
  if (lacks && !bsw__want_lacks(w, p)) {
    if (w->nlacks == TR_ARRAY_LEN(w->lacks)) /* the oldest is forgiven */
      memmove(w->lacks, w->lacks + 1, sizeof w->lacks - sizeof *w->lacks),
          w->nlacks--;
    w->lacks[w->nlacks++] = p;
  }
  (void)b;
}

void bsw__want_broadcast(bsw_t *b, bsw__want_t *w, uint64_t now) {
  w->have_at = now;
  for (size_t i = 0; i < b->npeers; i++)
    if (!bsw__want_lacks(w, b->peers[i]) && b->peers[i] != w->blk_peer)
      bsw__want_send(b, b->peers[i], &w->cid, BSW_WANT_HAVE, false);
}

void bsw__recent_add(bsw_t *b, tr_fp_t fp) {
  bsw__recent_t *r = b->cli->recent;
  if (r->cur.n >= BSW_RECENT_MAX) {
    tr_fpset_free(&r->old);
    r->old = r->cur;
    memset(&r->cur, 0, sizeof r->cur);
  }
  int rc = tr_fpset_add(&r->cur, fp);
  (void)rc; /* out of memory: a late block of it counts as unrequested */
}

bool bsw__recent_has(bsw_t *b, tr_fp_t fp) {
  bsw__recent_t *r = b->cli->recent;
  return tr_fpset_has(&r->cur, fp) || tr_fpset_has(&r->old, fp);
}

void bsw__want_drop(bsw_t *b, bsw__want_t *w) {
  bsw__recent_add(b, w->fp);
  bsw__want_unplace(b, w, false);
  for (size_t i = 0; i < b->npeers; i++)
    bsw__want_send(b, b->peers[i], &w->cid, 0, true);
  tr_fpmap_del(&b->cli->wants, w->fp);
  tr_free(w->refs);
  tr_free(w);
}

/* ------------------------------------------------------------ peer down */

struct down_ctx {
  bsw_t *b;
  bsw__peer_t *p;
};

static void want_forget_peer(void *ud, void *v) {
  struct down_ctx *d = ud;
  bsw__want_t *w = v;
  if (w->blk_peer == d->p)
    bsw__want_unplace(d->b, w, false);
  for (unsigned i = 0; i < w->nlacks; i++)
    if (w->lacks[i] == d->p) {
      memmove(w->lacks + i, w->lacks + i + 1,
              (w->nlacks - i - 1) * sizeof *w->lacks);
      w->nlacks--;
      break;
    }
}

void bsw__wants_peer_down(bsw_t *b, bsw__peer_t *p) {
  struct down_ctx d = {b, p};
  tr_fpmap_each(&b->cli->wants, want_forget_peer, &d);
  struct bsw__client *c = b->cli;
  for (size_t i = 0; i < c->ndirty; i++)
    if (c->dirty[i] == p) {
      c->dirty[i] = c->dirty[--c->ndirty];
      break;
    }
  if (p->cli) {
    tr_fpmap_free(&p->cli->sent);
    tr_free(p->cli->pend);
    tr_free(p->cli);
    p->cli = NULL;
  }
}

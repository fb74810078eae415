/*
 * session.c — bitswap sessions: which peers serve a group of wants, where
 * each want-block goes, and the DAG fetched ahead of its reader (boxo's
 * session, sessionwantsender and the fetch-ahead a sequential reader of
 * a UnixFS file needs).
 *
 * Peers: a session starts with none and broadcasts want-have for its
 * first wants; a peer that answers HAVE or sends a block joins it, as
 * does a provider the caller found (bsw_session_add_peer).  Placement:
 * each want-block goes to the peer of its sessions that would deliver it
 * first by what it has shown: (wants in flight there + 1) / its measured
 * rate of delivery, among the peers whose window (wants in flight) has room
 * and that have not said DONT_HAVE for it.  Windows grow by one per block
 * and halve at a timeout, so a fast peer ends up with more of the wants —
 * the split by throughput and latency the issue asks for.
 *
 * DAG order: a session fetching a DAG keeps the blocks it knows of but
 * has not asked for in a heap ordered by their position in the DAG (the
 * child indexes from the root), and asks for at most lim.ahead_max at
 * once, the earliest first, from the cursor: the position of the block a
 * reader last asked for, so a reader that jumps (a Range request) gets
 * the blocks after its position next, and those before it after.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "../dag/ipld.h"
#include "bsw_int.h"

typedef struct item {
  dag_cid_t cid;
  uint8_t depth;
  uint16_t path[BSW_PATH_MAX];
} item_t;

struct bsw__sess {
  uint64_t id;
  bsw__peer_t **peers;
  size_t npeers, peers_cap;
  item_t *heap; /* blocks of the DAG known and not yet asked for */
  size_t nheap, heap_cap;
  uint8_t cur_depth;
  uint16_t cursor[BSW_PATH_MAX];
  tr_fpset_t seen;  /* blocks of the DAG queued, asked for or walked */
  tr_fp_t *waiting; /* wants not placed yet (stale ones are skipped) */
  size_t nwait, wait_cap;
  uint32_t active;  /* wants outstanding */
  uint32_t nbcast;  /* want-have broadcasts while it had no peer */
  uint64_t created, last_progress, prov_at;
  bool done; /* on_session_done was reported for the current wants */
  bool lost; /* out of memory lost a block of the DAG: never done */
};

/* ------------------------------------------------------------- the heap */

static int path_cmp(const uint16_t *a, unsigned da, const uint16_t *b,
                    unsigned db) {
  unsigned n = da < db ? da : db;
  for (unsigned i = 0; i < n; i++)
    if (a[i] != b[i])
      return a[i] < b[i] ? -1 : 1;
  return da < db ? -1 : da > db;
}

/* Before the cursor comes after everything at or past it. */
static bool item_less(const bsw__sess_t *s, const item_t *a, const item_t *b) {
  bool pa = path_cmp(a->path, a->depth, s->cursor, s->cur_depth) < 0;
  bool pb = path_cmp(b->path, b->depth, s->cursor, s->cur_depth) < 0;
  if (pa != pb)
    return pb;
  return path_cmp(a->path, a->depth, b->path, b->depth) < 0;
}

static void heap_down(bsw__sess_t *s, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, m = i;
    if (l < s->nheap && item_less(s, &s->heap[l], &s->heap[m]))
      m = l;
    if (l + 1 < s->nheap && item_less(s, &s->heap[l + 1], &s->heap[m]))
      m = l + 1;
    if (m == i)
      return;
    item_t t = s->heap[i];
    s->heap[i] = s->heap[m];
    s->heap[m] = t;
    i = m;
  }
}

/* Room for one more item.  0 or -ENOMEM. */
static int heap_reserve(bsw__sess_t *s) {
  if (s->nheap == s->heap_cap) {
    size_t n = s->heap_cap ? s->heap_cap * 2 : 64;
    item_t *v = tr_realloc(s->heap, n * sizeof *v);
    if (!v)
      return -ENOMEM;
    s->heap = v;
    s->heap_cap = n;
  }
  return 0;
}

/* Cannot fail after a heap_reserve, or after a pop. */
static int heap_push(bsw__sess_t *s, const item_t *it) {
  if (heap_reserve(s))
    return -ENOMEM;
  size_t i = s->nheap++;
  s->heap[i] = *it;
  while (i && item_less(s, &s->heap[i], &s->heap[(i - 1) / 2])) {
    item_t t = s->heap[i];
    s->heap[i] = s->heap[(i - 1) / 2];
    s->heap[(i - 1) / 2] = t;
    i = (i - 1) / 2;
  }
  return 0;
}

static void heap_pop(bsw__sess_t *s, item_t *out) {
  *out = s->heap[0];
  s->heap[0] = s->heap[--s->nheap];
  heap_down(s, 0);
}

static void set_cursor(bsw__sess_t *s, const uint16_t *path, unsigned depth) {
  if (!path_cmp(path, depth, s->cursor, s->cur_depth))
    return;
  memcpy(s->cursor, path, depth * sizeof *path);
  s->cur_depth = (uint8_t)depth;
  for (size_t i = s->nheap / 2; i-- > 0;) /* the order changed: rebuild */
    heap_down(s, i);
}

/* ------------------------------------------------------------- sessions */

bsw__sess_t *bsw__sess_find(bsw_t *b, uint64_t sid) {
  for (size_t i = 0; i < b->cli->nsess; i++)
    if (b->cli->sess[i]->id == sid)
      return b->cli->sess[i];
  return NULL;
}

int bsw_session_new(bsw_t *b, uint64_t now, uint64_t *sid) {
  struct bsw__client *c = b->cli;
  if (c->nsess >= BSW_SESSIONS_MAX)
    return TR_ELIMIT;
  if (c->nsess == c->sess_cap) {
    size_t n = c->sess_cap ? c->sess_cap * 2 : 8;
    bsw__sess_t **v = tr_realloc(c->sess, n * sizeof *v);
    if (!v)
      return -ENOMEM;
    c->sess = v;
    c->sess_cap = n;
  }
  bsw__sess_t *s = tr_calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->id = ++c->next_sid;
  s->created = s->last_progress = now;
  s->done = true; /* nothing wanted yet */
  c->sess[c->nsess++] = s;
  b->st.sessions = (uint32_t)c->nsess;
  *sid = s->id;
  return 0;
}

static void wref_remove(bsw_t *b, bsw__want_t *w, const bsw__sess_t *s) {
  for (uint16_t i = 0; i < w->nrefs; i++)
    if (w->refs[i].s == s) {
      w->refs[i] = w->refs[--w->nrefs];
      break;
    }
  if (!w->nrefs)
    bsw__want_drop(b, w);
}

static void sess_destroy(bsw_t *b, bsw__sess_t *s) {
  /* Every want loses its ref to s, without memory (a want left pointing
   * at a freed session would be a use after free): a slot can change
   * while the map is walked (a drop deletes), so walk again until a walk
   * finds none (two walks, mostly). */
  tr_fpmap_t *m = &b->cli->wants;
  for (bool again = true; again;) {
    again = false;
    for (size_t i = 0; i < m->cap; i++) {
      if (!m->keys[i].hi && !m->keys[i].lo)
        continue;
      bsw__want_t *w = m->vals[i];
      for (uint16_t j = 0; j < w->nrefs; j++)
        if (w->refs[j].s == s) {
          wref_remove(b, w, s);
          again = true;
          break;
        }
    }
  }
  tr_free(s->peers);
  tr_free(s->heap);
  tr_free(s->waiting);
  tr_fpset_free(&s->seen);
  tr_free(s);
}

void bsw_session_free(bsw_t *b, uint64_t sid, uint64_t now) {
  (void)now;
  struct bsw__client *c = b->cli;
  for (size_t i = 0; i < c->nsess; i++)
    if (c->sess[i]->id == sid) {
      bsw__sess_t *s = c->sess[i];
      c->sess[i] = c->sess[--c->nsess];
      sess_destroy(b, s);
      break;
    }
  b->st.sessions = (uint32_t)c->nsess;
  bsw__flush(b);
}

void bsw__sess_free_all(bsw_t *b) {
  while (b->cli->nsess)
    bsw_session_free(b, b->cli->sess[0]->id, 0);
}

void bsw__sess_add_peer(bsw_t *b, bsw__sess_t *s, bsw__peer_t *p,
                        uint64_t now) {
  (void)b, (void)now;
  for (size_t i = 0; i < s->npeers; i++)
    if (s->peers[i] == p)
      return;
  if (s->npeers == s->peers_cap) {
    size_t n = s->peers_cap ? s->peers_cap * 2 : 8;
    bsw__peer_t **v = tr_realloc(s->peers, n * sizeof *v);
    if (!v)
      return;
    s->peers = v;
    s->peers_cap = n;
  }
  s->peers[s->npeers++] = p;
}

void bsw_session_add_peer(bsw_t *b, uint64_t sid, const net_peerid_t *peer,
                          uint64_t now) {
  bsw__sess_t *s = bsw__sess_find(b, sid);
  bsw__peer_t *p = bsw__peer_find(b, peer);
  if (!s || !p)
    return;
  bsw__sess_add_peer(b, s, p, now);
  bsw__sess_pump(b, now);
  bsw__flush(b);
}

void bsw__sess_have_late(bsw_t *b, bsw__peer_t *p, const dag_cid_t *cid,
                         uint64_t now) {
  tr_fp_t fp = dag_cid_fp(cid);
  for (size_t i = 0; i < b->cli->nsess; i++) {
    bsw__sess_t *s = b->cli->sess[i];
    if (tr_fpset_has(&s->seen, fp))
      bsw__sess_add_peer(b, s, p, now);
  }
}

void bsw__sess_peer_down(bsw_t *b, bsw__peer_t *p) {
  for (size_t i = 0; i < b->cli->nsess; i++) {
    bsw__sess_t *s = b->cli->sess[i];
    for (size_t j = 0; j < s->npeers; j++)
      if (s->peers[j] == p) {
        s->peers[j] = s->peers[--s->npeers];
        break;
      }
  }
}

/* ------------------------------------------------------------ placement */

static void wait_push(bsw__sess_t *s, tr_fp_t fp) {
  if (s->nwait == s->wait_cap) {
    size_t n = s->wait_cap ? s->wait_cap * 2 : 64;
    tr_fp_t *v = tr_realloc(s->waiting, n * sizeof *v);
    if (!v)
      return; /* the tick's timeout sweep finds it again */
    s->waiting = v;
    s->wait_cap = n;
  }
  s->waiting[s->nwait++] = fp;
}

/* The best peer for w among its sessions' peers, or NULL. */
static bsw__peer_t *best_peer(bsw_t *b, const bsw__want_t *w,
                              bool *any_peer) {
  bsw__peer_t *best = NULL;
  double best_cost = 0;
  *any_peer = false;
  for (uint16_t r = 0; r < w->nrefs; r++) {
    const bsw__sess_t *s = w->refs[r].s;
    for (size_t i = 0; i < s->npeers; i++) {
      bsw__peer_t *p = s->peers[i];
      if (bsw__want_lacks(w, p))
        continue;
      *any_peer = true;
      bsw__cpeer_t *cp = bsw__cpeer(b, p);
      if (!cp || cp->inflight >= cp->window)
        continue;
      /* When its next block would come: what it has in hand, at its
       * rate.  A peer not measured yet is tried first. */
      double cost = (cp->inflight + 1) / (cp->rate ? cp->rate : 1e9);
      if (!best || cost < best_cost)
        best = p, best_cost = cost;
    }
  }
  return best;
}

/* Place w; returns false when it has to wait (no peer with room). */
static bool place(bsw_t *b, bsw__want_t *w, uint64_t now) {
  if (w->blk_peer)
    return true;
  bool any;
  bsw__peer_t *p = best_peer(b, w, &any);
  if (p) {
    bsw__want_place(b, w, p, now);
    return true;
  }
  if (!any && !w->have_at) {
    /* Nobody of its sessions has it: ask everyone, once; the tick asks
     * again every BSW_REBROADCAST_MS while it waits.  A session without
     * peers broadcasts only its first few wants (boxo's), the rest wait
     * for the peers those bring. */
    bsw__sess_t *s = w->refs[0].s;
    if (s->npeers || s->nbcast < 16) {
      s->nbcast += !s->npeers;
      bsw__want_broadcast(b, w, now);
    }
  }
  return false;
}

void bsw__sess_place(bsw_t *b, bsw__want_t *w, uint64_t now) {
  if (!place(b, w, now))
    for (uint16_t r = 0; r < w->nrefs; r++)
      wait_push(w->refs[r].s, w->fp);
}

/* --------------------------------------------------------------- the DAG */

typedef struct expand_ctx {
  bsw_t *b;
  bsw__sess_t *s;
  const item_t *parent;
  uint16_t idx;
  int err;
} expand_ctx_t;

static int push_child(void *ud, const dag_cid_t *child) {
  expand_ctx_t *e = ud;
  uint16_t idx = e->idx < UINT16_MAX ? e->idx++ : UINT16_MAX;
  /* Room first: a child marked seen and not queued would never be
   * fetched (the walk that is retried after an error skips it). */
  int rc = heap_reserve(e->s);
  if (!rc)
    rc = tr_fpset_add(&e->s->seen, dag_cid_fp(child));
  if (rc <= 0)
    return rc < 0 ? (e->err = rc) : 0;
  item_t it;
  it.cid = *child;
  memcpy(it.path, e->parent->path, sizeof it.path);
  it.depth = e->parent->depth;
  if (it.depth < BSW_PATH_MAX)
    it.path[it.depth++] = idx;
  rc = heap_push(e->s, &it);
  assert(rc == 0);
  return rc;
}

static int link_child(const dag_cid_t *cid, void *ud) {
  return push_child(ud, cid);
}

/* Queue the children of block it (bytes in data, or from the store).
 * 0, or -ENOMEM: the walk is to be done again (children queued already
 * are skipped then). */
static int expand(bsw_t *b, bsw__sess_t *s, const item_t *it,
                  const uint8_t *data, size_t len) {
  expand_ctx_t e = {b, s, it, 0, 0};
  if (!ipld_codec_has_links(it->cid.codec))
    return 0;
  if (!data && b->io.links) {
    int rc = b->io.links(b->io.ud, &it->cid, push_child, &e);
    /* Other errors: gone meanwhile (GC), nothing to walk. */
    return e.err ? e.err : rc == -ENOMEM ? rc : 0;
  }
  tr_bytes_t buf = {0};
  if (!data) {
    int rc = b->io.get(b->io.ud, &it->cid, &buf);
    if (rc) {
      tr_bytes_free(&buf);
      return rc == -ENOMEM ? rc : 0;
    }
    data = buf.data, len = buf.len;
  }
  /* A block that does not decode has no children to fetch; it hashed to
   * its CID, so it is what the DAG holds, and the reader will say so. */
  int rc = ipld_links(it->cid.codec, data, len, link_child, &e);
  (void)rc;
  tr_bytes_free(&buf);
  return e.err;
}

void bsw__sess_arrived(bsw_t *b, const bsw__wref_t *r, const dag_cid_t *cid,
                       const uint8_t *data, size_t len, uint64_t now) {
  bsw__sess_t *s = r->s;
  if (s->active)
    s->active--;
  s->last_progress = now;
  if (r->dag) {
    item_t it;
    it.cid = *cid;
    it.depth = r->depth;
    memcpy(it.path, r->path, sizeof it.path);
    /* Out of memory: the block is walked again from the heap later (it
     * is in the store by then, or fetched again); if even that cannot be
     * queued, the session can no longer say it is done. */
    if (expand(b, s, &it, data, len) && heap_push(s, &it))
      s->lost = true;
  }
}

/* Start a want for it in s.  0, or an error (the item is dropped). */
static int start_want(bsw_t *b, bsw__sess_t *s, const item_t *it, bool dag,
                      uint64_t now) {
  bsw__want_t *w = bsw__want_add(b, &it->cid, now);
  if (!w) /* the cap, or out of memory (bitswap.h's codes) */
    return b->cli->wants.n >= BSW_WANTS_MAX ? TR_ELIMIT : -ENOMEM;
  for (uint16_t i = 0; i < w->nrefs; i++)
    if (w->refs[i].s == s)
      return 0;
  if (w->nrefs == w->refs_cap) {
    uint16_t n = w->refs_cap ? (uint16_t)(w->refs_cap * 2) : 1;
    bsw__wref_t *v = tr_realloc(w->refs, n * sizeof *v);
    if (!v) {
      if (!w->nrefs)
        bsw__want_drop(b, w);
      return -ENOMEM;
    }
    w->refs = v;
    w->refs_cap = n;
  }
  bsw__wref_t *r = &w->refs[w->nrefs++];
  r->s = s;
  r->dag = dag;
  r->depth = it->depth;
  memcpy(r->path, it->path, sizeof r->path);
  s->active++;
  s->done = false;
  bsw__sess_place(b, w, now);
  return 0;
}

static bool local(bsw_t *b, const dag_cid_t *cid) {
  size_t n;
  return b->io.stat(b->io.ud, cid, &n) == 0;
}

int bsw_session_want(bsw_t *b, uint64_t sid, const dag_cid_t *cid, bool dag,
                     uint64_t now) {
  bsw__sess_t *s = bsw__sess_find(b, sid);
  if (!s)
    return TR_ENOTFOUND;
  item_t it = {.cid = *cid, .depth = s->cur_depth};
  memcpy(it.path, s->cursor, sizeof it.path);
  bsw__want_t *w = bsw__want_get(b, cid);
  for (uint16_t i = 0; w && i < w->nrefs; i++)
    if (w->refs[i].s == s) { /* asked for already: a reader waits now */
      set_cursor(s, w->refs[i].path, w->refs[i].depth);
      w->refs[i].dag |= dag;
      return 0;
    }
  /* Memory first: past this point nothing is lost when a call fails (a
   * queued item taken out and not put back, or a session told done for
   * a want it never started, would end a DAG fetch short). */
  int rc = heap_reserve(s);
  if (!rc)
    rc = tr_fpset_add(&s->seen, dag_cid_fp(cid));
  if (rc < 0)
    return rc;
  bool queued = false;
  for (size_t i = 0; i < s->nheap; i++)
    if (dag_cid_equal(&s->heap[i].cid, cid)) { /* queued: take it out */
      queued = true;
      it = s->heap[i];
      s->heap[i] = s->heap[--s->nheap];
      for (size_t j = s->nheap / 2 + 1; j-- > 0;)
        heap_down(s, j);
      dag = true;
      break;
    }
  if (local(b, cid)) {
    if (dag) {
      rc = heap_push(s, &it); /* room reserved */
      assert(rc == 0);
    }
  } else if ((rc = start_want(b, s, &it, dag, now))) {
    if (queued) {
      int rc2 = heap_push(s, &it); /* back where it was; room reserved */
      assert(rc2 == 0);
      (void)rc2;
    }
    return rc;
  }
  set_cursor(s, it.path, it.depth);
  s->done = false;
  bsw__sess_pump(b, now);
  bsw__flush(b);
  return 0;
}

/* ------------------------------------------------------------ the pump */

static void sess_pump_one(bsw_t *b, bsw__sess_t *s, uint64_t now) {
  /* Waiting wants first (older, and those a reader asked for). */
  size_t keep = 0;
  for (size_t i = 0; i < s->nwait; i++) {
    bsw__want_t *w = tr_fpmap_get(&b->cli->wants, s->waiting[i]);
    if (w && !place(b, w, now))
      s->waiting[keep++] = s->waiting[i];
  }
  s->nwait = keep;
  /* Then the DAG, in order, while the window ahead has room.  A block the
   * store has is walked here and now (a fetch resumed after a restart
   * walks what it fetched before). */
  while (s->nheap && s->active < b->lim.ahead_max) {
    item_t it;
    heap_pop(s, &it);
    int rc = local(b, &it.cid) ? expand(b, s, &it, NULL, 0)
                               : start_want(b, s, &it, true, now);
    if (rc) { /* out of memory: back in the heap (just popped: room) */
      rc = heap_push(s, &it);
      assert(rc == 0);
      break;
    }
  }
  if (!s->done && !s->active && !s->nheap && !s->lost) {
    s->done = true;
    if (b->io.on_session_done)
      b->io.on_session_done(b->io.ud, s->id);
  }
}

void bsw__sess_pump(bsw_t *b, uint64_t now) {
  for (size_t i = 0; i < b->cli->nsess; i++)
    sess_pump_one(b, b->cli->sess[i], now);
}

/* --------------------------------------------------------------- timers */

struct tick_ctx {
  bsw_t *b;
  uint64_t now, next;
};

static void want_tick(void *ud, void *v) {
  struct tick_ctx *t = ud;
  bsw__want_t *w = v;
  bsw_t *b = t->b;
  if (w->blk_peer && w->blk_deadline <= t->now) {
    /* Too slow: the peer's window halves, and the want goes to whoever is
     * best now, not to this peer again (it joins the lacks, as if it had
     * said DONT_HAVE): a peer that never answers has no measured pace, so
     * it looks the fastest and would get the same want back at every
     * timeout, forever.  The rebroadcast below forgives it. */
    bsw__cpeer_t *cp = w->blk_peer->cli;
    if (cp) {
      cp->timeouts++;
      cp->window = cp->window / 2 > BSW_WINDOW_MIN ? cp->window / 2
                                                   : BSW_WINDOW_MIN;
    }
    bsw__want_unplace(b, w, true);
    for (uint16_t r = 0; r < w->nrefs; r++)
      wait_push(w->refs[r].s, w->fp);
  } else if (w->blk_peer && w->blk_deadline < t->next) {
    t->next = w->blk_deadline;
  }
  if (!w->blk_peer && w->have_at &&
      t->now - w->have_at >= BSW_REBROADCAST_MS) {
    /* Still waiting: everyone is asked again, those that lacked it or
     * timed out included (they may have it now; a slow peer may be the
     * only one), and it may be placed on any of them. */
    w->nlacks = 0;
    bsw__want_broadcast(b, w, t->now);
    for (uint16_t r = 0; r < w->nrefs; r++)
      wait_push(w->refs[r].s, w->fp);
  }
}

uint64_t bsw__sess_tick(bsw_t *b, uint64_t now) {
  struct tick_ctx t = {b, now, now + 1000};
  tr_fpmap_each(&b->cli->wants, want_tick, &t);
  for (size_t i = 0; i < b->cli->nsess; i++) {
    bsw__sess_t *s = b->cli->sess[i];
    if (!s->active || !b->io.find_providers)
      continue;
    uint64_t quiet = now - s->last_progress;
    uint64_t since = now - (s->prov_at ? s->prov_at : s->created);
    if (quiet >= b->lim.provider_delay_ms &&
        since >= (s->prov_at ? BSW_REBROADCAST_MS
                             : b->lim.provider_delay_ms)) {
      bsw__want_t *w = NULL;
      for (size_t j = 0; !w && j < s->nwait; j++)
        w = tr_fpmap_get(&b->cli->wants, s->waiting[j]);
      if (w) {
        s->prov_at = now;
        b->io.find_providers(b->io.ud, s->id, &w->cid);
      }
    }
  }
  bsw__sess_pump(b, now);
  return t.next;
}

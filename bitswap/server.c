/*
 * server.c — the server half of the bitswap core: a ledger per peer (its
 * wantlist as it sent it, with the answer queued for each entry) and the
 * fair scheduler that sends the answers (boxo's decision engine and
 * peertaskqueue, reduced to what bitswap.h promises).
 *
 * The queue is not a separate structure: an answer is a field of its
 * wantlist entry (ans), so a peer's queue can never be larger than its
 * wantlist, a cancel drops the answer with the entry, and a block that
 * arrives later upgrades a queued DONT_HAVE in place.  Entries are kept in
 * a dense array (iteration, the scheduler's pick) indexed by an
 * open-addressing table of fingerprints (dag_cid_fp: the multihash, so a
 * CIDv0 and its CIDv1 are one entry, as the store sees them).
 *
 * Blocks are read (io.get) when the message that carries them is built,
 * never when queued: the memory of the answers is the message in
 * b->scratch plus one block in srv->blk.
 *
 * Rules taken from boxo: answered want-blocks and want-haves answered
 * HAVE or with the block leave the wantlist (MessageSent); entries
 * answered DONT_HAVE, or not answered because the store lacks them, stay,
 * and bsw__srv_block_added answers them later; a want-block entry replaces
 * a want-have for the same CID, not the reverse; identity CIDs are
 * ignored.  Older peers (1.0.0, 1.1.0) get no presences: their entries
 * are taken as want-block without send-dont-have.
 *
 * Nothing here sends but bsw__srv_pump, which bitswap.c runs once at the
 * end of each entry point (after bans are acted on, so a peer banned by
 * the message that queued its answers gets none).
 * No I/O, no clock, no client calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bsw_int.h"

typedef struct bsw__server bsw__server_t;

enum { ANS_NONE = 0, ANS_HAVE, ANS_DONT_HAVE, ANS_BLOCK };

typedef struct srv_want {
  dag_cid_t cid;
  tr_fp_t fp;
  uint64_t seq;  /* when its answer was queued: arrival order */
  size_t size;   /* the block's size, for ANS_BLOCK */
  int32_t prio;
  uint8_t type;  /* BSW_WANT_* */
  uint8_t ans;   /* ANS_*: the answer queued, or none */
  bool sdh;      /* send-dont-have */
  bool gone;     /* to be removed once the message is sent */
  uint32_t idx;  /* in the ledger's w */
} srv_want_t;

struct bsw__ledger {
  bsw__peer_t *p;
  size_t idx;         /* in srv->l */
  tr_fpmap_t map;     /* the wantlist by fingerprint: srv_want_t * */
  srv_want_t **w;     /* the same entries, dense, for the scheduler */
  uint32_t n, cap;
  uint32_t nq;        /* entries with an answer queued */
  bool busy;          /* a message went out and has not drained */
  size_t busy_bytes;  /* its size, counted in srv->inflight */
};

/* An answer picked for the message being built, sorted by priority
 * (highest first) then arrival. */
typedef struct srv_pick {
  int32_t prio;
  uint64_t seq;
  srv_want_t *w;
  uint8_t out; /* OUT_*: what sending it does to its entry */
} srv_pick_t;

enum {
  OUT_SENT = 1, /* a block or HAVE: the entry leaves once sent */
  OUT_CLEAR,    /* a DONT_HAVE, or nothing: the entry stays, unanswered */
  OUT_REMOVE    /* cannot ever be answered: the entry leaves */
};

struct bsw__server {
  struct bsw__ledger **l; /* peers with a ledger, in round-robin order */
  size_t n, cap;
  size_t cursor;          /* the next turn starts here */
  size_t inflight;        /* bytes sent to busy peers, not yet drained */
  uint64_t seq;
  tr_bytes_t blk;         /* the block being read */
  srv_pick_t *pick;       /* as large as the largest wantlist */
  size_t pick_cap;
};

/* ------------------------------------------------------------ the table */

static srv_want_t *want_find(const struct bsw__ledger *L, tr_fp_t fp) {
  return L ? tr_fpmap_get(&L->map, fp) : NULL;
}

/* A new entry for fp, zeroed, in the map and the array.  NULL: -ENOMEM. */
static srv_want_t *want_new(bsw__server_t *S, struct bsw__ledger *L,
                            tr_fp_t fp) {
  if (L->n == L->cap) {
    uint32_t cap = L->cap ? 2 * L->cap : 16;
    srv_want_t **w = tr_realloc(L->w, cap * sizeof *w);
    if (!w)
      return NULL;
    L->w = w;
    L->cap = cap;
  }
  /* The scheduler's pick must never need memory: it grows here. */
  if (S->pick_cap < L->n + 1u) {
    size_t cap = S->pick_cap ? 2 * S->pick_cap : 16;
    srv_pick_t *pk = tr_realloc(S->pick, cap * sizeof *pk);
    if (!pk)
      return NULL;
    S->pick = pk;
    S->pick_cap = cap;
  }
  srv_want_t *w = tr_calloc(1, sizeof *w);
  if (!w || tr_fpmap_put(&L->map, fp, w)) {
    tr_free(w);
    return NULL;
  }
  w->fp = fp;
  w->idx = L->n;
  L->w[L->n++] = w;
  return w;
}

static void want_remove(struct bsw__ledger *L, srv_want_t *w) {
  if (w->ans != ANS_NONE)
    L->nq--;
  tr_fpmap_del(&L->map, w->fp);
  srv_want_t *last = L->w[--L->n];
  L->w[w->idx] = last;
  last->idx = w->idx;
  tr_free(w);
}

static void want_clear(struct bsw__ledger *L) {
  while (L->n)
    want_remove(L, L->w[L->n - 1]);
}

/* ------------------------------------------------------------- ledgers */

int bsw__srv_new(bsw_t *b) {
  b->srv = tr_calloc(1, sizeof *b->srv);
  return b->srv ? 0 : -ENOMEM;
}

static void ledger_free(struct bsw__ledger *L) {
  for (uint32_t i = 0; i < L->n; i++)
    tr_free(L->w[i]);
  tr_fpmap_free(&L->map);
  tr_free(L->w);
  tr_free(L);
}

/* The peers themselves may be gone already: only the ledgers are freed. */
void bsw__srv_free(bsw_t *b) {
  bsw__server_t *S = b->srv;
  if (!S)
    return;
  for (size_t i = 0; i < S->n; i++)
    ledger_free(S->l[i]);
  tr_free(S->l);
  tr_free(S->pick);
  tr_bytes_free(&S->blk);
  tr_free(S);
  b->srv = NULL;
}

static struct bsw__ledger *ledger_get(bsw__server_t *S, bsw__peer_t *p) {
  if (p->srv)
    return p->srv;
  if (S->n == S->cap) {
    size_t cap = S->cap ? 2 * S->cap : 16;
    struct bsw__ledger **l = tr_realloc(S->l, cap * sizeof *l);
    if (!l)
      return NULL;
    S->l = l;
    S->cap = cap;
  }
  struct bsw__ledger *L = tr_calloc(1, sizeof *L);
  if (!L)
    return NULL;
  L->p = p;
  L->idx = S->n;
  S->l[S->n++] = L;
  p->srv = L;
  return L;
}

/* Sends nothing (bsw_free comes this way too). */
void bsw__srv_peer_down(bsw_t *b, bsw__peer_t *p) {
  bsw__server_t *S = b->srv;
  struct bsw__ledger *L = p->srv;
  if (!L)
    return;
  if (L->busy)
    S->inflight -= L->busy_bytes; /* those bytes will never drain */
  /* Keep the order of the others, so the round robin goes on fairly. */
  memmove(&S->l[L->idx], &S->l[L->idx + 1],
          (S->n - L->idx - 1) * sizeof *S->l);
  S->n--;
  for (size_t i = L->idx; i < S->n; i++)
    S->l[i]->idx = i;
  if (S->cursor > L->idx)
    S->cursor--;
  ledger_free(L);
  p->srv = NULL;
}

uint32_t bsw__srv_wants(const bsw__peer_t *p) {
  return p->srv ? p->srv->n : 0;
}

void bsw__srv_wantlist_each(const bsw__peer_t *p, bsw_cid_fn fn, void *ud) {
  const struct bsw__ledger *L = p->srv;
  for (uint32_t i = 0; L && i < L->n; i++)
    fn(ud, &L->w[i]->cid, L->w[i]->type);
}

/* ------------------------------------------------------------- answers */

static void answer_set(bsw__server_t *S, struct bsw__ledger *L,
                       srv_want_t *w, uint8_t ans) {
  if (w->ans == ANS_NONE && ans != ANS_NONE) {
    L->nq++;
    w->seq = S->seq++;
  } else if (w->ans != ANS_NONE && ans == ANS_NONE) {
    L->nq--;
  }
  w->ans = ans;
}

/* What an entry gets when the store has its block of size len. */
static uint8_t answer_have(const srv_want_t *w, size_t len) {
  return w->type == BSW_WANT_BLOCK || len <= BSW_HAVE_INLINE_MAX ? ANS_BLOCK
                                                                 : ANS_HAVE;
}

/* Queue the answer for w from the store (boxo stats at receipt, reads at
 * send).  A store error other than not-found leaves it unanswered: it
 * stays in the wantlist for a later block_added. */
static void answer_from_store(bsw_t *b, struct bsw__ledger *L,
                              srv_want_t *w) {
  size_t size = 0;
  int rc = b->io.stat(b->io.ud, &w->cid, &size);
  if (rc == 0) {
    w->size = size;
    answer_set(b->srv, L, w, answer_have(w, size));
  } else if (rc == TR_ENOTFOUND && w->sdh) {
    answer_set(b->srv, L, w, ANS_DONT_HAVE);
  } else {
    answer_set(b->srv, L, w, ANS_NONE);
  }
}

/* One want entry e (not a cancel).  0, TR_ELIMIT (a new CID past the cap:
 * ignored), -ENOMEM. */
static int want_add(bsw_t *b, struct bsw__ledger *L, const bsw_entry_t *e,
                    int version) {
  bsw__server_t *S = b->srv;
  tr_fp_t fp = dag_cid_fp(&e->cid);
  uint8_t type = version < BSW_V120 ? BSW_WANT_BLOCK : e->type;
  bool sdh = version < BSW_V120 ? false : e->send_dont_have;
  srv_want_t *w = want_find(L, fp);
  if (w) {
    /* A want-block replaces a want-have, never the reverse. */
    if (type == BSW_WANT_BLOCK)
      w->type = BSW_WANT_BLOCK;
    w->prio = e->priority;
    w->sdh = w->sdh || sdh;
  } else {
    if (L->n >= b->lim.wantlist_max)
      return TR_ELIMIT;
    w = want_new(S, L, fp);
    if (!w)
      return -ENOMEM;
    w->cid = e->cid;
    w->prio = e->priority;
    w->type = type;
    w->sdh = sdh;
  }
  answer_from_store(b, L, w);
  return 0;
}

int bsw__srv_wantlist(bsw_t *b, bsw__peer_t *p, const bsw_msg_t *m,
                      uint64_t now) {
  (void)now;
  if (!m->full && !m->nentries)
    return 0;
  struct bsw__ledger *L = ledger_get(b->srv, p);
  if (!L)
    return -ENOMEM;
  if (m->full)
    want_clear(L);
  int ret = 0;
  for (size_t i = 0; i < m->nentries; i++) {
    const bsw_entry_t *e = &m->entries[i];
    if (e->cid.mh_code == DAG_MH_IDENTITY)
      continue; /* boxo ignores them rather than drop the peer */
    if (e->cancel) {
      srv_want_t *w = want_find(L, dag_cid_fp(&e->cid));
      if (w)
        want_remove(L, w);
      continue;
    }
    int rc = want_add(b, L, e, p->version);
    if (rc == -ENOMEM)
      return rc;
    if (rc)
      ret = rc;
  }
  return ret;
}

void bsw__srv_recheck(bsw_t *b) {
  bsw__server_t *S = b->srv;
  for (size_t i = 0; i < S->n; i++) {
    struct bsw__ledger *L = S->l[i];
    for (uint32_t k = 0; k < L->n; k++) {
      srv_want_t *w = L->w[k];
      size_t size;
      if (w->gone || w->ans == ANS_BLOCK || w->ans == ANS_HAVE ||
          b->io.stat(b->io.ud, &w->cid, &size))
        continue;
      w->size = size;
      answer_set(S, L, w, answer_have(w, size));
    }
  }
}

void bsw__srv_block_added(bsw_t *b, const dag_cid_t *cid, size_t len,
                          uint64_t now) {
  bsw__server_t *S = b->srv;
  tr_fp_t fp = dag_cid_fp(cid);
  (void)now;
  for (size_t i = 0; i < S->n; i++) {
    srv_want_t *w = want_find(S->l[i], fp);
    if (!w || w->ans == ANS_BLOCK || w->ans == ANS_HAVE)
      continue;
    w->size = len;
    answer_set(S, S->l[i], w, answer_have(w, len));
  }
}

/* ----------------------------------------------------------- scheduler */

static int pick_cmp(const void *a, const void *b) {
  const srv_pick_t *x = a, *y = b;
  if (x->prio != y->prio)
    return x->prio > y->prio ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Add w's block to the message, read now.  The outcome in *out; the
 * bytes of block data added in *len.  0 or -ENOMEM. */
static int enc_block(bsw_t *b, bsw__peer_t *p, const srv_want_t *w,
                     uint8_t *out, size_t *len) {
  bsw__server_t *S = b->srv;
  S->blk.len = 0;
  *len = 0;
  int rc = b->io.get(b->io.ud, &w->cid, &S->blk);
  if (rc == 0)
    rc = bsw_enc_block(&b->scratch, &w->cid, S->blk.data, S->blk.len,
                       p->version);
  if (rc == 0) {
    *out = OUT_SENT;
    *len = S->blk.len;
    return 0;
  }
  if (rc == -ENOMEM)
    return rc;
  if (rc == TR_ECODEC) {
    *out = OUT_REMOVE; /* a 1.0.0 peer cannot be sent this block, ever */
    return 0;
  }
  /* Gone from the store since it was queued (GC), or unreadable: the
   * entry stays, as if the store had lacked it from the start. */
  *out = OUT_CLEAR;
  if (w->sdh && p->version >= BSW_V120)
    return bsw_enc_presence(&b->scratch, &w->cid, BSW_DONT_HAVE);
  return 0;
}

/* What a message item costs beyond its block data, at most: the field
 * tags and lengths, the CID or its prefix, the presence type. */
#define SRV_ITEM_OVERHEAD 24

/* Choose L's next message: its answers in priority order (then arrival),
 * blocks up to lim.send_target bytes (at least one), every presence,
 * into S->pick[0..*npick).  Returns the message's size at most. */
static size_t plan(bsw__server_t *S, const struct bsw__ledger *L,
                   uint32_t target, size_t *npick) {
  size_t n = 0, k = 0, est = 0, data = 0;
  for (uint32_t i = 0; i < L->n; i++)
    if (L->w[i]->ans != ANS_NONE)
      S->pick[n++] = (srv_pick_t){L->w[i]->prio, L->w[i]->seq, L->w[i], 0};
  qsort(S->pick, n, sizeof *S->pick, pick_cmp);
  bool blocks_full = false;
  for (size_t j = 0; j < n; j++) {
    const srv_want_t *w = S->pick[j].w;
    if (w->ans == ANS_BLOCK) {
      if (blocks_full || (data && data + w->size > target)) {
        blocks_full = true; /* in priority order: no smaller one after */
        continue;
      }
      data += w->size;
      est += w->size;
    }
    est += SRV_ITEM_OVERHEAD + w->cid.len;
    S->pick[k++] = S->pick[j];
  }
  *npick = k;
  return est;
}

/* Build the planned message in b->scratch, reading the blocks now; each
 * pick's outcome is set.  Block bytes in *data, their count in *nblocks.
 * 0 or -ENOMEM (L unchanged). */
static int build(bsw_t *b, struct bsw__ledger *L, size_t npick,
                 uint64_t *data, uint64_t *nblocks) {
  bsw__peer_t *p = L->p;
  b->scratch.len = 0;
  *data = *nblocks = 0;
  for (size_t j = 0; j < npick; j++) {
    srv_pick_t *pk = &b->srv->pick[j];
    const srv_want_t *w = pk->w;
    int rc = 0;
    if (w->ans == ANS_BLOCK) {
      size_t len;
      rc = enc_block(b, p, w, &pk->out, &len);
      if (!rc && pk->out == OUT_SENT) {
        *data += len;
        (*nblocks)++;
      }
    } else if (p->version >= BSW_V120) {
      bool have = w->ans == ANS_HAVE;
      rc = bsw_enc_presence(&b->scratch, &w->cid,
                            have ? BSW_HAVE : BSW_DONT_HAVE);
      pk->out = have ? OUT_SENT : OUT_CLEAR;
    } else {
      pk->out = OUT_CLEAR; /* the peer went back to 1.1.0 since */
    }
    if (rc < 0)
      return rc;
  }
  return 0;
}

/* After L's message, sent (ok) or not, the answers that went in are
 * settled: blocks and HAVEs sent leave the wantlist (boxo's MessageSent);
 * the rest stay, unanswered. */
static void settle(bsw__server_t *S, struct bsw__ledger *L, size_t npick,
                   bool ok) {
  for (size_t j = 0; j < npick; j++) {
    srv_want_t *w = S->pick[j].w;
    uint8_t out = S->pick[j].out;
    w->gone = out == OUT_REMOVE || (ok && out == OUT_SENT);
    answer_set(S, L, w, ANS_NONE);
  }
  for (uint32_t i = L->n; i-- > 0;)
    if (L->w[i]->gone)
      want_remove(L, L->w[i]);
}

/* L's turn: one message.  1 sent, 0 nothing sent (its answers were
 * settled all the same), SRV_FULL (it would pass lim.inflight_max: L
 * unchanged, wait for a drain), -ENOMEM (L unchanged). */
#define SRV_FULL 2
static int serve(bsw_t *b, struct bsw__ledger *L) {
  bsw__server_t *S = b->srv;
  size_t npick;
  uint64_t data, nblocks;
  size_t est = plan(S, L, b->lim.send_target, &npick);
  /* A message alone may be larger than the cap (a big block): it goes
   * out once nothing else is in flight. */
  if (S->inflight && S->inflight + est > b->lim.inflight_max)
    return SRV_FULL;
  int rc = build(b, L, npick, &data, &nblocks);
  if (rc)
    return rc;
  bool sent = false;
  if (b->scratch.len > 0 && bsw__send(b, L->p, &b->scratch) == 0) {
    sent = true;
    L->busy = true;
    L->busy_bytes = b->scratch.len;
    S->inflight += b->scratch.len;
    L->p->sent += data;
    L->p->exchanged += nblocks;
    b->st.blocks_sent += nblocks;
    b->st.data_sent += data;
  }
  settle(S, L, npick, sent);
  return sent;
}

/* The turn goes round the ledgers from the cursor, which moves past each
 * peer served, so every peer with answers queued gets one message before
 * any gets a second.  A peer whose message would pass the in-flight cap
 * keeps its turn (a smaller one behind it does not overtake it). */
void bsw__srv_pump(bsw_t *b, uint64_t now) {
  bsw__server_t *S = b->srv;
  (void)now;
  while (S->n && S->inflight < b->lim.inflight_max) {
    size_t i = 0, k;
    for (k = 0; k < S->n; k++) {
      i = (S->cursor + k) % S->n;
      if (!S->l[i]->busy && S->l[i]->nq)
        break;
    }
    if (k == S->n)
      return; /* nobody to serve now */
    S->cursor = i;
    int rc = serve(b, S->l[i]);
    if (rc < 0 || rc == SRV_FULL)
      return; /* wait for a drain; out of memory: the next event retries */
    /* Not modulo n: a ledger added at the end before the next turn is
     * next, since it has not had a turn yet. */
    S->cursor = i + 1;
  }
}

void bsw__srv_ready(bsw_t *b, bsw__peer_t *p, uint64_t now) {
  struct bsw__ledger *L = p->srv;
  (void)now;
  if (L && L->busy) {
    b->srv->inflight -= L->busy_bytes;
    L->busy = false;
    L->busy_bytes = 0;
  }
}

/*
 * walk.c — the fingerprint set and the depth-first walk over the links
 * index that pins, GC and pin verification share.
 */
#include "bs_int.h"

#include <errno.h>
#include <string.h>

/* ------------------------------------------------------------------ walk */

typedef struct frame {
  const uint8_t *p; /* next child CID inside the LMDB links value */
  size_t left;
  dag_cid_t parent;
} frame_t;

typedef struct wstack {
  frame_t *f;
  size_t depth, cap;
} wstack_t;

static int mark(tr_fpset_t *seen, const dag_cid_t *cid) {
  return tr_fpset_add(seen, dag_cid_fp(cid));
}

/* cid's links entry: 1 and a view, 0 when it has none (a leaf). */
static int links_of(bs_txn_t *txn, const dag_cid_t *cid, MDB_val *v) {
  MDB_val k = bs__key(cid);
  int rc = mdb_get(txn->mdb, txn->env->links, &k, v);
  if (rc == MDB_NOTFOUND)
    return 0;
  return rc ? bs__err(rc) : 1;
}

/* Push cid's children (its links entry v) as a frame.  The stack grows
 * as deep as the DAG goes: its depth is bounded by the blocks in the
 * store, and a frame is ~100 bytes, so a chain of a million blocks costs
 * ~100 MB where a fixed cap would make such a DAG impossible to pin or
 * GC. */
static int push(wstack_t *st, const dag_cid_t *cid, const MDB_val *v) {
  if (st->depth == st->cap) {
    size_t cap = st->cap ? st->cap * 2 : 64;
    frame_t *f = tr_realloc(st->f, cap * sizeof *f);
    if (!f)
      return -ENOMEM;
    st->f = f;
    st->cap = cap;
  }
  st->f[st->depth].p = v->mv_data;
  st->f[st->depth].left = v->mv_size;
  st->f[st->depth].parent = *cid;
  st->depth++;
  return 0;
}

/* BS__WALK_LEAVES_AGAIN's memory of the last leaves visited, by
 * fingerprint (direct-mapped, 64 KiB): a file's repeated chunks (zeros)
 * are one leaf under many parents, each a lookup again without it. */
#define RECENT_LEAVES 4096

typedef struct walk {
  bs_txn_t *txn;
  tr_fpset_t *seen;
  tr_fp_t *recent; /* BS__WALK_LEAVES_AGAIN; NULL otherwise */
  bs__visit_cb visit;
  void *ud;
  wstack_t st;
} walk_t;

static int walk_reach(walk_t *w, const dag_cid_t *cid, const dag_cid_t *via);

typedef struct id_reach {
  walk_t *w;
  const dag_cid_t *via;
} id_reach_t;

static int id_reach(const dag_cid_t *child, void *ud) {
  id_reach_t *r = ud;
  return walk_reach(r->w, child, r->via);
}

/* cid reached (via NULL: the root): unless seen, visit it and push its
 * children.  via may point into the stack: it is used before the push.
 * An identity CID is visited like any block (Kubo lists one as an
 * indirect pin), and what it links to is reached through it at once. */
static int walk_reach(walk_t *w, const dag_cid_t *cid, const dag_cid_t *via) {
  MDB_val v;
  int rc, has;
  if (cid->mh_code == DAG_MH_IDENTITY) {
    dag_cid_t self = *cid; /* cid may point into the stack, which grows */
    if ((rc = mark(w->seen, &self)) <= 0 || (rc = w->visit(&self, via, w->ud)))
      return rc;
    id_reach_t r = {w, &self};
    return bs__id_children(&self, id_reach, &r);
  }
  if (!w->recent) {
    if ((rc = mark(w->seen, cid)) <= 0)
      return rc; /* seen (0) or an error */
    if ((rc = w->visit(cid, via, w->ud)))
      return rc;
    has = links_of(w->txn, cid, &v);
  } else {
    tr_fp_t fp = dag_cid_fp(cid);
    tr_fp_t *slot = &w->recent[fp.lo % RECENT_LEAVES];
    if (tr_fp_eq(*slot, fp))
      return 0;
    if ((has = links_of(w->txn, cid, &v)) > 0 &&
        (rc = tr_fpset_add(w->seen, fp)) <= 0)
      return rc;
    if (has >= 0 && (rc = w->visit(cid, via, w->ud)))
      return rc;
    if (has == 0)
      *slot = fp;
  }
  return has > 0 ? push(&w->st, cid, &v) : has;
}

int bs__walk(bs_txn_t *txn, const dag_cid_t *root, tr_fpset_t *seen,
             unsigned flags, bs__visit_cb visit, void *ud) {
  /* Everything in seen has been walked below already (see bs_int.h), a
   * root too. */
  walk_t w = {txn, seen, NULL, visit, ud, {0}};
  if ((flags & BS__WALK_LEAVES_AGAIN) &&
      !(w.recent = tr_calloc(RECENT_LEAVES, sizeof *w.recent)))
    return -ENOMEM;
  int rc = walk_reach(&w, root, NULL);
  while (rc == 0 && w.st.depth) {
    frame_t *f = &w.st.f[w.st.depth - 1];
    if (!f->left) {
      w.st.depth--;
      continue;
    }
    dag_cid_t child;
    int n = dag_cid_decode(&child, f->p, f->left);
    if (n < 0) {
      rc = TR_ECORRUPT;
      break;
    }
    f->p += n;
    f->left -= (size_t)n;
    rc = walk_reach(&w, &child, &f->parent);
  }
  tr_free(w.st.f);
  tr_free(w.recent);
  return rc;
}

/* --------------------------------------------------------- public walk */

typedef struct pub_walk {
  bs_visit_cb cb;
  void *ud;
} pub_walk_t;

static int pub_visit(const dag_cid_t *cid, const dag_cid_t *via, void *ud) {
  (void)via;
  pub_walk_t *w = ud;
  return w->cb(cid, w->ud);
}

int bs_dag_walk(bs_txn_t *txn, const dag_cid_t *root, bs_visit_cb cb,
                void *ud) {
  tr_fpset_t seen = {0};
  pub_walk_t w = {cb, ud};
  int rc = bs__walk(txn, root, &seen, 0, pub_visit, &w);
  tr_fpset_free(&seen);
  return rc;
}

/* ------------------------------------------------------------ GC's mark */

/* Double the vector (so that pushes cost O(1) each).  A big realloc is an mremap in glibc: no copy. */
static int fpv_grow(bs__fpvec_t *v) {
  size_t cap = v->cap ? v->cap * 2 : 4096;
  uint64_t *a = tr_realloc(v->a, cap * sizeof *a);
  if (!a)
    return -ENOMEM;
  v->a = a;
  v->cap = cap;
  return 0;
}

static int fpv_reserve(bs__fpvec_t *v) {
  return v->n < v->cap ? 0 : fpv_grow(v);
}

/* LSD radix sort, 16 bits a pass, through a scratch array of the same
 * size: 4 linear passes where qsort makes ~20 with a call per compare. */
static int radix_sort(uint64_t *a, size_t n) {
  if (n < 2)
    return 0;
  uint64_t *tmp = tr_malloc(n * sizeof *tmp);
  size_t *count = tr_malloc(65536 * sizeof *count);
  if (!tmp || !count) {
    tr_free(tmp);
    tr_free(count);
    return -ENOMEM;
  }
  uint64_t *src = a, *dst = tmp;
  for (unsigned shift = 0; shift < 64; shift += 16) {
    memset(count, 0, 65536 * sizeof *count);
    for (size_t i = 0; i < n; i++)
      count[(src[i] >> shift) & 0xffff]++;
    size_t sum = 0;
    for (size_t d = 0; d < 65536; d++) {
      size_t c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++)
      dst[count[(src[i] >> shift) & 0xffff]++] = src[i];
    uint64_t *t = src;
    src = dst;
    dst = t;
  }
  /* Four passes: the sorted result is back in a. */
  tr_free(tmp);
  tr_free(count);
  return 0;
}

/* Sort and drop repeats; with dups, each value that was repeated goes
 * there (as {value, 1}). */
static int sort_unique(bs__fpvec_t *v, tr_fpset_t *dups) {
  int rc = radix_sort(v->a, v->n);
  if (rc)
    return rc;
  size_t o = 0;
  for (size_t i = 0; i < v->n; i++) {
    if (o && v->a[o - 1] == v->a[i]) {
      if (dups && (rc = tr_fpset_add(dups, (tr_fp_t){v->a[i], 1})) < 0)
        return rc;
      continue;
    }
    v->a[o++] = v->a[i];
  }
  v->n = o;
  return 0;
}

int bs__fpvec_seal(bs__fpvec_t *v, tr_fpset_t *dups) {
  int rc = sort_unique(v, dups);
  if (rc)
    return rc;
  /* The bucket index: about one bucket per 8 values, at most 2^16. */
  unsigned bits = 4;
  while (bits < 16 && ((size_t)8 << bits) < v->n)
    bits++;
  tr_free(v->idx);
  v->idx = tr_malloc(((size_t)1 << bits) * sizeof *v->idx + sizeof *v->idx);
  if (!v->idx)
    return -ENOMEM;
  v->shift = 64 - bits;
  size_t i = 0;
  for (size_t b = 0; b < ((size_t)1 << bits); b++) {
    while (i < v->n && (v->a[i] >> v->shift) < b)
      i++;
    v->idx[b] = i;
  }
  v->idx[(size_t)1 << bits] = v->n;
  return 0;
}

/* The index of x in v->a[lo..hi), or -1. */
static ssize_t fpv_search(const bs__fpvec_t *v, size_t lo, size_t hi,
                          uint64_t x) {
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v->a[mid] < x)
      lo = mid + 1;
    else if (v->a[mid] > x)
      hi = mid;
    else
      return (ssize_t)mid;
  }
  return -1;
}

ssize_t bs__fpvec_find(const bs__fpvec_t *v, uint64_t x) {
  if (!v->idx)
    return -1;
  return fpv_search(v, v->idx[x >> v->shift], v->idx[(x >> v->shift) + 1], x);
}

/* Three passes over the batch, each starting the loads the next needs: the
 * buckets' bounds, then the first and last cache lines of each bucket's
 * values (8 to 16 values: one or two lines), then the searches.  One
 * lookup at a time waits for two or three cache misses in a row (the
 * array is 8 MiB for 1M blocks); here the misses of a batch overlap. */
void bs__fpvec_has_many(const bs__fpvec_t *v, const uint64_t *x, size_t n,
                        bool *hit) {
  size_t lo[BS__FPVEC_BATCH], hi[BS__FPVEC_BATCH];
  for (size_t at = 0; at < n; at += BS__FPVEC_BATCH) {
    size_t m = n - at < BS__FPVEC_BATCH ? n - at : BS__FPVEC_BATCH;
    if (!v->idx) {
      memset(hit + at, 0, m * sizeof *hit);
      continue;
    }
    for (size_t i = 0; i < m; i++)
      __builtin_prefetch(&v->idx[x[at + i] >> v->shift]);
    for (size_t i = 0; i < m; i++) {
      size_t b = x[at + i] >> v->shift;
      lo[i] = v->idx[b];
      hi[i] = v->idx[b + 1];
      if (lo[i] < hi[i]) {
        __builtin_prefetch(&v->a[lo[i]]);
        __builtin_prefetch(&v->a[hi[i] - 1]);
      }
    }
    for (size_t i = 0; i < m; i++)
      hit[at + i] = fpv_search(v, lo[i], hi[i], x[at + i]) >= 0;
  }
}

void bs__fpvec_free(bs__fpvec_t *v) {
  tr_free(v->a);
  tr_free(v->idx);
  memset(v, 0, sizeof *v);
}

/* The mark's state.  inner holds the fingerprints of every key of the
 * links index (the blocks that have children), walked one bit per inner
 * value: set once its children are on the stack.  A fingerprint two links
 * keys share (never seen: 2^-64 per pair) is in amb, and such keys are
 * deduplicated by their full 128-bit fingerprint in amb_seen instead of
 * the bit, which they would share. */
/* Links values read between two releases of the map (~64 KiB each). */
#define MARK_RELEASE_EVERY 1024
/* Vector size below which repeats are kept (sorting would cost more). */
#define MARK_DEDUPE_MIN 65536

typedef struct gframe {
  const uint8_t *p; /* next child CID inside the LMDB links value */
  size_t left;
} gframe_t;

typedef struct mark {
  bs_txn_t *txn;
  bs__fpvec_t *live;
  bs__fpvec_t inner;
  uint8_t *walked;
  tr_fpset_t amb, amb_seen;
  gframe_t *stk;
  size_t depth, cap;
  uint64_t reads; /* links values read */
} mark_t;

/* Mark one block; put its children on the stack when it has a links entry
 * that was not walked yet. */
static int reach(mark_t *m, const uint8_t *mh, size_t mhl) {
  tr_fp_t fp = dag_mh_fp(mh, mhl);
  int rc;
  /* A block reached again through another parent is pushed again: the
   * repeats go when the vector is full, before it grows (a DAG that links
   * one block a million times must not cost a million entries). */
  bs__fpvec_t *l = m->live;
  if (l->n == l->cap && l->cap >= MARK_DEDUPE_MIN) {
    if ((rc = sort_unique(l, NULL)))
      return rc;
    if (l->n > l->cap - l->cap / 4 && (rc = fpv_grow(l)))
      return rc; /* less than a quarter went: grow anyway */
  }
  if ((rc = fpv_reserve(l)))
    return rc;
  m->live->a[m->live->n++] = fp.hi;
  ssize_t i = bs__fpvec_find(&m->inner, fp.hi);
  if (i < 0 || (m->walked[i / 8] & (1u << (i % 8))))
    return 0;
  bool amb = m->amb.n && tr_fpset_has(&m->amb, (tr_fp_t){fp.hi, 1});
  if (amb && (rc = tr_fpset_add(&m->amb_seen, fp)) <= 0)
    return rc;
  MDB_val k = {mhl, (void *)mh}, v;
  rc = mdb_get(m->txn->mdb, m->txn->env->links, &k, &v);
  if (rc == MDB_NOTFOUND)
    return 0; /* another key's fingerprint: a leaf */
  if (rc)
    return bs__err(rc);
  if (!amb)
    m->walked[i / 8] |= (uint8_t)(1u << (i % 8));
  /* Each links value read maps its pages and, by the kernel's
   * fault-around, up to 15 neighbours each: hand them back now and then
   * (the stack's views stay valid: the snapshot's pages fault back in). */
  if (++m->reads % MARK_RELEASE_EVERY == 0)
    bs__release_map(m->txn->env);
  if (m->depth == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    gframe_t *f = tr_realloc(m->stk, cap * sizeof *f);
    if (!f)
      return -ENOMEM;
    m->stk = f;
    m->cap = cap;
  }
  m->stk[m->depth].p = v.mv_data;
  m->stk[m->depth].left = v.mv_size;
  m->depth++;
  return 0;
}

static int reach_cid(const dag_cid_t *cid, void *ud) {
  size_t n;
  const uint8_t *mh = dag_cid_mh(cid, &n);
  return reach(ud, mh, n);
}

/* cid marked, or, an identity CID being stored nowhere, the stored blocks
 * it links to (bs__id_children).  May move the stack. */
static int reach_any(mark_t *m, const dag_cid_t *cid) {
  return cid->mh_code == DAG_MH_IDENTITY ? bs__id_children(cid, reach_cid, m)
                                         : reach_cid(cid, m);
}

/* Everything below root, root included. */
static int mark_dag(mark_t *m, const dag_cid_t *root) {
  int rc = reach_any(m, root);
  while (rc == 0 && m->depth) {
    gframe_t *f = &m->stk[m->depth - 1];
    if (!f->left) {
      m->depth--;
      continue;
    }
    dag_cid_t child;
    int len = dag_cid_decode(&child, f->p, f->left);
    if (len < 0)
      return TR_ECORRUPT;
    f->p += len;
    f->left -= (size_t)len;
    rc = reach_any(m, &child); /* f may move */
  }
  m->depth = 0;
  return rc;
}

/* inner: the links index's keys, by a cursor that reads keys only (a
 * value on overflow pages is not touched). */
static int load_inner(mark_t *m) {
  MDB_cursor *cur;
  int rc = mdb_cursor_open(m->txn->mdb, m->txn->env->links, &cur);
  if (rc)
    return bs__err(rc);
  MDB_val k, v;
  int err = 0;
  for (int op = MDB_FIRST;
       !err && (rc = mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op)) == 0;
       op = MDB_NEXT) {
    if (!(err = fpv_reserve(&m->inner)))
      m->inner.a[m->inner.n++] = dag_mh_fp(k.mv_data, k.mv_size).hi;
  }
  mdb_cursor_close(cur);
  if (!err && rc != MDB_NOTFOUND)
    err = bs__err(rc);
  if (!err)
    err = bs__fpvec_seal(&m->inner, &m->amb);
  if (!err && !(m->walked = tr_calloc(m->inner.n / 8 + 1, 1)))
    err = -ENOMEM;
  return err;
}

int bs__mark(bs_txn_t *txn, bs__fpvec_t *live) {
  mark_t m = {.txn = txn, .live = live};
  int err = load_inner(&m), rc = 0; /* err: trove's codes; rc: LMDB's */
  /* Room for as many fingerprints as blocks are stored, so that a DAG
   * without repeats fills the vector once instead of being sorted at every
   * doubling (1M blocks: ~1M values sorted less).  Untouched room costs
   * address space, not memory. */
  MDB_stat ms;
  if (!err && !mdb_stat(txn->mdb, txn->env->blocks, &ms) &&
      ms.ms_entries > live->cap) {
    uint64_t *a = tr_realloc(live->a, ms.ms_entries * sizeof *a);
    if (!a)
      err = -ENOMEM;
    else
      live->a = a, live->cap = ms.ms_entries;
  }
  MDB_cursor *cur = NULL;
  if (!err)
    rc = mdb_cursor_open(txn->mdb, txn->env->pins, &cur);
  MDB_val k, v;
  for (int op = MDB_FIRST;
       !err && !rc && (rc = mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op)) == 0;
       op = MDB_NEXT) {
    dag_cid_t cid;
    int n = dag_cid_decode(&cid, k.mv_data, k.mv_size);
    if (n < 0 || v.mv_size < 1) {
      err = TR_ECORRUPT; /* never guess about pins: stop the GC */
      break;
    }
    if (((const uint8_t *)v.mv_data)[0] == BS_PIN_RECURSIVE) {
      err = mark_dag(&m, &cid); /* an identity root: what it links to */
    } else if (cid.mh_code != DAG_MH_IDENTITY) {
      /* A direct pin keeps its block only, even one with links: it is
       * marked but never walked (the walked bit is not touched), so a
       * recursive pin reaching it still walks below it. */
      size_t mhl;
      const uint8_t *mh = dag_cid_mh(&cid, &mhl);
      if (!(err = fpv_reserve(live)))
        live->a[live->n++] = dag_mh_fp(mh, mhl).hi;
    }
  }
  if (cur)
    mdb_cursor_close(cur);
  if (rc == MDB_NOTFOUND)
    rc = 0;
  /* The MFS root: what it reaches and the repo holds is kept, as Kubo's
   * GC keeps its best-effort roots (a block it lacks is no error). */
  const uint8_t *fv;
  size_t fn;
  if (!err && !rc && !bs_meta_get(txn, BS_META_FILES_ROOT, &fv, &fn)) {
    dag_cid_t froot;
    if (dag_cid_decode(&froot, fv, fn) != (int)fn)
      err = TR_ECORRUPT; /* never guess about roots: stop the GC */
    else
      err = mark_dag(&m, &froot);
  }
  if (!err && !rc)
    err = bs__fpvec_seal(live, NULL);
  bs__fpvec_free(&m.inner);
  tr_free(m.walked);
  tr_fpset_free(&m.amb);
  tr_fpset_free(&m.amb_seen);
  tr_free(m.stk);
  return err ? err : bs__err(rc);
}

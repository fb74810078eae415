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

/* Push cid's children frame, if it has a links entry.  The stack grows as
 * deep as the DAG goes: its depth is bounded by the blocks in the store,
 * and a frame is ~100 bytes, so a chain of a million blocks costs ~100 MB
 * where a fixed cap would make such a DAG impossible to pin or GC. */
static int push(bs_txn_t *txn, wstack_t *st, const dag_cid_t *cid) {
  MDB_val k = bs__key(cid), v;
  int rc = mdb_get(txn->mdb, txn->env->links, &k, &v);
  if (rc == MDB_NOTFOUND)
    return 0;
  if (rc)
    return bs__err(rc);
  if (st->depth == st->cap) {
    size_t cap = st->cap ? st->cap * 2 : 64;
    frame_t *f = tr_realloc(st->f, cap * sizeof *f);
    if (!f)
      return -ENOMEM;
    st->f = f;
    st->cap = cap;
  }
  st->f[st->depth].p = v.mv_data;
  st->f[st->depth].left = v.mv_size;
  st->f[st->depth].parent = *cid;
  st->depth++;
  return 0;
}

int bs__walk(bs_txn_t *txn, const dag_cid_t *root, tr_fpset_t *seen,
             bs__visit_cb visit, void *ud) {
  /* Everything in seen has been walked below already (see bs_int.h), a
   * root too. */
  int rc = mark(seen, root);
  if (rc <= 0)
    return rc;
  if ((rc = visit(root, NULL, ud)))
    return rc;
  wstack_t st = {0};
  rc = push(txn, &st, root);
  while (rc == 0 && st.depth) {
    frame_t *f = &st.f[st.depth - 1];
    if (!f->left) {
      st.depth--;
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
    if (child.mh_code == DAG_MH_IDENTITY)
      continue; /* inline data: nothing stored, nothing to keep */
    if ((rc = mark(seen, &child)) <= 0)
      continue; /* seen (rc 0) or error (loop ends) */
    if ((rc = visit(&child, &f->parent, ud)))
      break;
    rc = push(txn, &st, &child);
  }
  tr_free(st.f);
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
  int rc = bs__walk(txn, root, &seen, pub_visit, &w);
  tr_fpset_free(&seen);
  return rc;
}

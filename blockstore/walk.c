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

#define WALK_MAX_DEPTH 4096

static int mark(tr_set64_t *seen, const dag_cid_t *cid) {
  return tr_set64_add(seen, dag_cid_fp(cid));
}

/* Push cid's children frame, if it has a links entry. */
static int push(bs_txn_t *txn, frame_t *st, size_t *depth,
                const dag_cid_t *cid) {
  MDB_val k = bs__key(cid), v;
  int rc = mdb_get(txn->mdb, txn->env->links, &k, &v);
  if (rc == MDB_NOTFOUND)
    return 0;
  if (rc)
    return bs__err(rc);
  if (*depth == WALK_MAX_DEPTH)
    return TR_ETOOBIG;
  st[*depth].p = v.mv_data;
  st[*depth].left = v.mv_size;
  st[*depth].parent = *cid;
  (*depth)++;
  return 0;
}

int bs__walk(bs_txn_t *txn, const dag_cid_t *root, tr_set64_t *seen,
             bs__visit_cb visit, void *ud) {
  /* A root seen before is not visited again, but the walk still goes
   * below it: pin ls starts from roots it has already listed. */
  int rc = mark(seen, root);
  if (rc < 0)
    return rc;
  if (rc == 1 && (rc = visit(root, NULL, ud)))
    return rc;
  frame_t *st = tr_malloc(WALK_MAX_DEPTH * sizeof *st);
  if (!st)
    return -ENOMEM;
  size_t depth = 0;
  rc = push(txn, st, &depth, root);
  while (rc == 0 && depth) {
    frame_t *f = &st[depth - 1];
    if (!f->left) {
      depth--;
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
    rc = push(txn, st, &depth, &child);
  }
  tr_free(st);
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
  tr_set64_t seen = {0};
  pub_walk_t w = {cb, ud};
  int rc = bs__walk(txn, root, &seen, pub_visit, &w);
  tr_set64_free(&seen);
  return rc;
}

/*
 * walk.c — the fingerprint set and the depth-first walk over the links
 * index that pins, GC and pin verification share.
 */
#include "bs_int.h"

#include <errno.h>
#include <string.h>

/* ------------------------------------------------------------------- set */

uint64_t bs__fp(const uint8_t *mh, size_t len) {
  /* FNV-1a over the whole multihash, then a murmur3 finaliser to spread the
   * bits.  For sha2-256 multihashes the digest is already uniform; hashing
   * the whole key keeps identity and future hashes correct too. */
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < len; i++) {
    h ^= mh[i];
    h *= 1099511628211ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h ? h : 1; /* 0 marks an empty slot */
}

static int set_grow(bs_set_t *s) {
  size_t cap = s->cap ? s->cap * 2 : 1024;
  uint64_t *slots = tr_calloc(cap, sizeof *slots);
  if (!slots)
    return -ENOMEM;
  for (size_t i = 0; i < s->cap; i++) {
    uint64_t fp = s->slots[i];
    if (!fp)
      continue;
    size_t j = (size_t)fp & (cap - 1);
    while (slots[j])
      j = (j + 1) & (cap - 1);
    slots[j] = fp;
  }
  tr_free(s->slots);
  s->slots = slots;
  s->cap = cap;
  return 0;
}

int bs__set_add(bs_set_t *s, uint64_t fp) {
  if ((s->n + 1) * 2 > s->cap) {
    int rc = set_grow(s);
    if (rc)
      return rc;
  }
  size_t j = (size_t)fp & (s->cap - 1);
  while (s->slots[j]) {
    if (s->slots[j] == fp)
      return 0;
    j = (j + 1) & (s->cap - 1);
  }
  s->slots[j] = fp;
  s->n++;
  return 1;
}

bool bs__set_has(const bs_set_t *s, uint64_t fp) {
  if (!s->cap)
    return false;
  size_t j = (size_t)fp & (s->cap - 1);
  while (s->slots[j]) {
    if (s->slots[j] == fp)
      return true;
    j = (j + 1) & (s->cap - 1);
  }
  return false;
}

void bs__set_free(bs_set_t *s) {
  tr_free(s->slots);
  memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------------ walk */

typedef struct frame {
  const uint8_t *p; /* next child CID inside the LMDB links value */
  size_t left;
  dag_cid_t parent;
} frame_t;

#define WALK_MAX_DEPTH 4096

static int mark(bs_set_t *seen, const dag_cid_t *cid) {
  size_t n;
  const uint8_t *mh = dag_cid_mh(cid, &n);
  return bs__set_add(seen, bs__fp(mh, n));
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

int bs__walk(bs_txn_t *txn, const dag_cid_t *root, bs_set_t *seen,
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
  bs_set_t seen = {0};
  pub_walk_t w = {cb, ud};
  int rc = bs__walk(txn, root, &seen, pub_visit, &w);
  bs__set_free(&seen);
  return rc;
}

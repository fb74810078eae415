/*
 * export.c — resumable reads of the blockstore for streaming answers: a
 * depth-first DAG walker over the links index (bs_walk_*), a CARv1 exporter
 * built on it (bs_car_export_*); the block listing that can restart after
 * a given key (bs_foreach_from) lives in blocks.c.  `trove dag export`, the RPC API's
 * dag/export, refs and refs/local, and the trustless gateway's CAR answers
 * share them.
 *
 * Why resumable: a streamed HTTP body is produced one bounded piece at a
 * time on a worker thread, each piece in its own short read transaction
 * (gateway/stream.h), so nothing here may keep an LMDB view between calls.
 * The state holds CIDs and byte offsets instead: resuming costs one links
 * lookup per step, never a re-walk.  The memory held is the walk's stack
 * (one CID and an offset per level, as deep as the DAG: no fixed cap, since
 * the DAG is already in the store) plus, for unique walks, a set of
 * fingerprints of the blocks seen (bs_int.h).
 */
#include "bs_int.h"

#include <errno.h>
#include <string.h>

#include "../dag/car.h"

/* ------------------------------------------------------------------ walk */

typedef struct wframe {
  dag_cid_t cid; /* a block with a links entry */
  size_t off;    /* next child: byte offset into that entry */
} wframe_t;

struct bs_walk {
  dag_cid_t root;
  unsigned flags;
  int max_depth;
  bool started;
  wframe_t *st;
  size_t depth, cap;
  tr_fpset_t seen;
  /* BS_WALK_UNIQUE with a max depth: each block's least depth reached
   * (Kubo's RefWriter.seen), open addressing at load <= 1/2. */
  struct dslot {
    tr_fp_t fp;
    int depth;
  } *ds;
  size_t dcap, dn;
  uint8_t idbuf[BS__ID_LINKS_MAX]; /* an identity node's links */
};

/* The slot of fp in w->ds: its own, or the empty one it would take. */
static struct dslot *dslot(struct dslot *ds, size_t cap, tr_fp_t fp) {
  size_t j = (size_t)fp.lo & (cap - 1);
  while ((ds[j].fp.hi | ds[j].fp.lo) && !tr_fp_eq(ds[j].fp, fp))
    j = (j + 1) & (cap - 1);
  return &ds[j];
}

/* The depth fp was reached at before (-1: never), then record depth when
 * it is less.  -ENOMEM. */
static int depth_seen(bs_walk_t *w, tr_fp_t fp, int depth, int *old) {
  if ((w->dn + 1) * 2 > w->dcap) {
    size_t cap = w->dcap ? w->dcap * 2 : 256;
    struct dslot *ds = tr_calloc(cap, sizeof *ds);
    if (!ds)
      return -ENOMEM;
    for (size_t i = 0; i < w->dcap; i++)
      if (w->ds[i].fp.hi | w->ds[i].fp.lo)
        *dslot(ds, cap, w->ds[i].fp) = w->ds[i];
    tr_free(w->ds);
    w->ds = ds;
    w->dcap = cap;
  }
  struct dslot *sl = dslot(w->ds, w->dcap, fp);
  bool had = sl->fp.hi | sl->fp.lo;
  *old = had ? sl->depth : -1;
  if (!had) {
    sl->fp = fp;
    w->dn++;
  }
  if (!had || depth < sl->depth)
    sl->depth = depth;
  return 0;
}

int bs_walk_new(const dag_cid_t *root, unsigned flags, int max_depth,
                bs_walk_t **wp) {
  bs_walk_t *w = tr_calloc(1, sizeof *w);
  if (!w)
    return -ENOMEM;
  w->root = *root;
  w->flags = flags;
  w->max_depth = max_depth;
  *wp = w;
  return 0;
}

void bs_walk_restart(bs_walk_t *w, const dag_cid_t *root) {
  w->root = *root;
  w->started = false;
  w->depth = 0;
}

void bs_walk_free(bs_walk_t *w) {
  if (!w)
    return;
  tr_free(w->st);
  tr_fpset_free(&w->seen);
  tr_free(w->ds);
  tr_free(w);
}

/* cid's entry in the links index (an identity CID's: parsed into idbuf):
 * 1 and a view, 0 if it has none. */
static int links_of(bs_txn_t *txn, const dag_cid_t *cid, MDB_val *v,
                    uint8_t *idbuf) {
  if (cid->mh_code == DAG_MH_IDENTITY)
    return bs__id_links(cid, idbuf, v);
  MDB_val k = bs__key(cid);
  int rc = mdb_get(txn->mdb, txn->env->links, &k, v);
  if (rc == MDB_NOTFOUND)
    return 0;
  return rc ? bs__err(rc) : 1;
}

/* Make cid the next frame if it has children; check that it is there. */
static int enter(bs_walk_t *w, bs_txn_t *txn, const dag_cid_t *cid,
                 int depth) {
  MDB_val v;
  int rc = links_of(txn, cid, &v, w->idbuf);
  if (rc < 0)
    return rc;
  if (rc == 0) {
    /* No children recorded: a leaf, or a block we do not have (bs_del
     * removes a block and its entry together). */
    int has = bs_has(txn, cid);
    return has < 0 ? has : has ? 0 : TR_ENOTFOUND;
  }
  if (w->max_depth >= 0 && depth >= w->max_depth)
    return 0;
  if (w->depth == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 16;
    wframe_t *st = tr_realloc(w->st, cap * sizeof *st);
    if (!st)
      return -ENOMEM;
    w->st = st;
    w->cap = cap;
  }
  w->st[w->depth].cid = *cid;
  w->st[w->depth].off = 0;
  w->depth++;
  return 0;
}

static int mark(bs_walk_t *w, const dag_cid_t *cid) {
  size_t n;
  const uint8_t *mh = dag_cid_mh(cid, &n);
  return tr_fpset_add(&w->seen, dag_mh_fp(mh, n));
}

int bs_walk_next(bs_walk_t *w, bs_txn_t *txn, dag_cid_t *cid,
                 dag_cid_t *parent, int *depth) {
  int rc;
  if (!w->started) {
    w->started = true;
    *cid = w->root; /* not marked: no block links to its own ancestor */
    if ((rc = enter(w, txn, &w->root, 0)))
      return rc;
    if (parent)
      memset(parent, 0, sizeof *parent);
    if (depth)
      *depth = 0;
    return 1;
  }
  while (w->depth) {
    wframe_t *f = &w->st[w->depth - 1];
    MDB_val v;
    if ((rc = links_of(txn, &f->cid, &v, w->idbuf)) < 0)
      return rc;
    if (rc == 0) { /* removed since the last step: missing, and skipped */
      *cid = f->cid;
      w->depth--;
      return TR_ENOTFOUND;
    }
    if (f->off >= v.mv_size) {
      w->depth--;
      continue;
    }
    dag_cid_t child;
    int n = dag_cid_decode(&child, (const uint8_t *)v.mv_data + f->off,
                           v.mv_size - f->off);
    if (n < 0)
      return TR_ECORRUPT;
    f->off += (size_t)n;
    int d = (int)w->depth;
    if (w->max_depth >= 0 && d > w->max_depth)
      continue;
    bool report = true;
    if ((w->flags & BS_WALK_UNIQUE) && w->max_depth >= 0) {
      /* Kubo's RefWriter.visit: a block reached again, but higher up
       * than before, is walked again (its subtree reaches deeper now)
       * without being reported again. */
      size_t mn;
      const uint8_t *mh = dag_cid_mh(&child, &mn);
      int old;
      if ((rc = depth_seen(w, dag_mh_fp(mh, mn), d, &old)) < 0)
        return rc;
      if (old >= 0 && old <= d)
        continue;
      report = old < 0;
    } else if (w->flags & BS_WALK_UNIQUE) {
      if ((rc = mark(w, &child)) < 0)
        return rc;
      if (rc == 0)
        continue; /* seen: neither reported nor walked again */
    }
    if (!report) {
      if ((rc = enter(w, txn, &child, d))) {
        *cid = child; /* TR_ENOTFOUND names the block */
        return rc;
      }
      continue;
    }
    *cid = child;
    if (parent)
      *parent = f->cid;
    if (depth)
      *depth = d;
    /* f may move when the stack grows: nothing below uses it. */
    if ((rc = enter(w, txn, &child, d)))
      return rc;
    return 1;
  }
  return 0;
}

/* ------------------------------------------------------------ CAR export */

struct bs_car_export {
  bs_walk_t *walk;
  dag_cid_t root;
  bool header_done, done;
  /* The section being written: its head, then its block (fetched again
   * on each call: views do not outlive a transaction). */
  bool in_section;
  dag_cid_t cid;
  uint8_t head[DAG_CAR_SECTION_HEAD_MAX];
  size_t head_len;
  uint64_t block_len;
  uint64_t pos; /* bytes of head + block already written */
  dag_cid_t missing;
  uint64_t blocks, bytes;
};

int bs_car_export_new(const dag_cid_t *root, bs_car_export_t **xp) {
  bs_car_export_t *x = tr_calloc(1, sizeof *x);
  if (!x)
    return -ENOMEM;
  int rc = bs_walk_new(root, BS_WALK_UNIQUE, -1, &x->walk);
  if (rc) {
    tr_free(x);
    return rc;
  }
  x->root = *root;
  *xp = x;
  return 0;
}

void bs_car_export_free(bs_car_export_t *x) {
  if (!x)
    return;
  bs_walk_free(x->walk);
  tr_free(x);
}

const dag_cid_t *bs_car_export_missing(const bs_car_export_t *x) {
  return &x->missing;
}

void bs_car_export_stats(const bs_car_export_t *x, uint64_t *blocks,
                         uint64_t *bytes) {
  if (blocks)
    *blocks = x->blocks;
  if (bytes)
    *bytes = x->bytes;
}

int64_t bs_car_export_read(bs_car_export_t *x, bs_txn_t *txn, uint8_t *buf,
                           size_t cap) {
  size_t n = 0;
  if (!x->header_done) {
    /* The header is small (one root): write it only when it fits whole,
     * so no state is needed for a partial header. */
    size_t hs = dag_car_header_v1_size(&x->root, 1);
    if (cap < hs)
      return TR_EBUFSIZE;
    int rc = dag_car_header_v1(&x->root, 1, buf, cap);
    if (rc < 0)
      return rc;
    n = (size_t)rc;
    x->header_done = true;
  }
  while (n < cap && !x->done) {
    if (!x->in_section) {
      dag_cid_t parent;
      int depth;
      int rc = bs_walk_next(x->walk, txn, &x->cid, &parent, &depth);
      if (rc == TR_ENOTFOUND)
        x->missing = x->cid;
      if (rc < 0)
        return rc;
      if (rc == 0) {
        x->done = true;
        break;
      }
      if (x->cid.mh_code == DAG_MH_IDENTITY)
        continue; /* inline data: go-car (so Kubo) leaves it out */
      const uint8_t *data;
      size_t len;
      if ((rc = bs_get(txn, &x->cid, &data, &len))) {
        if (rc == TR_ENOTFOUND)
          x->missing = x->cid;
        return rc;
      }
      if ((rc = dag_car_section_head(&x->cid, len, x->head, sizeof x->head)) < 0)
        return rc;
      x->head_len = (size_t)rc;
      x->block_len = len;
      x->pos = 0;
      x->in_section = true;
      x->blocks++;
      x->bytes += len;
    }
    const uint8_t *data = NULL;
    size_t len = 0;
    if (x->pos + (cap - n) > x->head_len) { /* some block bytes fit */
      int rc = bs_get(txn, &x->cid, &data, &len);
      if (rc == TR_ENOTFOUND)
        x->missing = x->cid;
      if (rc)
        return rc;
      if (len != x->block_len)
        return TR_ECORRUPT; /* replaced under us: cannot happen for
                               content-addressed bytes */
    }
    uint64_t total = x->head_len + x->block_len;
    while (n < cap && x->pos < total) {
      size_t k;
      if (x->pos < x->head_len) {
        k = x->head_len - (size_t)x->pos;
        if (k > cap - n)
          k = cap - n;
        memcpy(buf + n, x->head + x->pos, k);
      } else {
        uint64_t boff = x->pos - x->head_len;
        k = (size_t)(x->block_len - boff);
        if (k > cap - n)
          k = cap - n;
        memcpy(buf + n, data + boff, k);
      }
      n += k;
      x->pos += k;
    }
    if (x->pos == total)
      x->in_section = false;
  }
  return (int64_t)n;
}

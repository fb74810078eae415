/*
 * mfs_hamt.c — a HAMT directory edited in place, shard by shard, as boxo's
 * Shard.swapValue edits it: setting or removing one name rewrites only the
 * shards on its hash's path (a directory of a million entries costs a few
 * shards per change, not a rebuild).  The result is the canonical shape
 * dag_hamt_build gives for the same entries: a bucket with one entry holds
 * it, one with several a child shard, and a child shard left with a single
 * entry folds back into its parent's bucket.
 */
#include "mfs_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../dag/dagpb.h"
#include "../dag/hamt.h"

typedef struct hlink {
  char *name; /* the link's name: bucket prefix, then the entry's name */
  size_t len;
  dag_cid_t cid;
  uint64_t tsize;
} hlink_t;

typedef struct hctx {
  mfs_t *m;
  const mfs_prefix_t *pfx;
  uint64_t fanout;
  unsigned bits, padlen;
  const char *name;
  size_t len;
  uint64_t hash;
  const dag_cid_t *val; /* NULL: remove */
  uint64_t val_tsize;
  const dag_meta_t *meta; /* the root shard's */
} hctx_t;

/* What a shard became: its CID and size, and whether it holds a single
 * entry (then its parent takes that entry into the bucket instead). */
typedef struct hres {
  dag_cid_t cid;
  uint64_t tsize;
  size_t n;
  bool one_value;
  hlink_t value; /* when one_value: the entry (name with this prefix) */
} hres_t;

typedef struct hnode {
  hlink_t *l;
  size_t n, cap;
} hnode_t;

static void hnode_free(hnode_t *h) {
  for (size_t i = 0; i < h->n; i++)
    tr_free(h->l[i].name);
  tr_free(h->l);
}

static int keep(const dag_pb_link_t *l, size_t i, void *ud) {
  (void)i;
  hnode_t *h = ud;
  if (h->n == h->cap) {
    size_t cap = h->cap ? 2 * h->cap : 16;
    hlink_t *a = tr_realloc(h->l, cap * sizeof *a);
    if (!a)
      return -ENOMEM;
    h->l = a, h->cap = cap;
  }
  char *nm = tr_malloc(l->name_len ? l->name_len : 1);
  if (!nm)
    return -ENOMEM;
  memcpy(nm, l->name, l->name_len);
  h->l[h->n++] = (hlink_t){nm, l->name_len, l->cid, l->tsize};
  return 0;
}

/* Load a shard: its links copied (the puts below may move the map's
 * pages), its fields checked. */
static int load(hctx_t *c, const dag_cid_t *cid, hnode_t *h) {
  const uint8_t *p;
  size_t n;
  memset(h, 0, sizeof *h);
  int rc = mfs__get(c->m, cid, &p, &n);
  if (rc)
    return rc;
  dag_pb_node_t pb;
  dag_unixfs_t u;
  unsigned bits, padlen;
  if (cid->codec != DAG_CODEC_DAG_PB ||
      dag_pb_decode(p, n, NULL, NULL, &pb) || !pb.has_data ||
      dag_unixfs_decode(pb.data, pb.data_len, &u) ||
      dag_hamt_check(&u, &bits, &padlen) || u.fanout != c->fanout)
    return TR_EUNIXFS;
  if ((rc = dag_pb_decode(p, n, keep, h, &pb)))
    hnode_free(h);
  return rc;
}

static int bucket(const hctx_t *c, const hlink_t *l) {
  return dag_hamt_link_index(l->name, l->len, c->padlen, c->fanout);
}

static int link_named(hlink_t *l, unsigned idx, unsigned padlen,
                      const char *key, size_t klen, const dag_cid_t *cid,
                      uint64_t tsize) {
  static const char hex[] = "0123456789ABCDEF";
  char *nm = tr_malloc(padlen + klen);
  if (!nm)
    return -ENOMEM;
  for (unsigned i = padlen; i > 0; i--, idx >>= 4)
    nm[i - 1] = hex[idx & 15];
  memcpy(nm + padlen, key, klen);
  tr_free(l->name);
  *l = (hlink_t){nm, padlen + klen, *cid, tsize};
  return 0;
}

/* Encode h at depth and fill r. */
static int emit(hctx_t *c, hnode_t *h, unsigned depth, hres_t *r) {
  dag_pb_link_t *pl = tr_calloc(h->n ? h->n : 1, sizeof *pl);
  if (!pl)
    return -ENOMEM;
  for (size_t i = 0; i < h->n; i++)
    pl[i] = (dag_pb_link_t){.cid = h->l[i].cid, .name = h->l[i].name,
                            .name_len = h->l[i].len, .has_name = true,
                            .tsize = h->l[i].tsize, .has_tsize = true};
  dag_cidb_t cb = {c->pfx->version, c->pfx->mh, 0};
  int rc = dag_hamt_emit(pl, h->n, c->fanout, &cb, depth ? NULL : c->meta,
                         mfs__put, c->m, &r->cid, &r->tsize);
  tr_free(pl);
  r->n = h->n;
  r->one_value = h->n == 1 && h->l[0].len > c->padlen;
  return rc;
}

/* The shard for two entries that share a bucket at depth - 1. */
static int fork2(hctx_t *c, const hlink_t *old, unsigned depth,
                 dag_cid_t *cid, uint64_t *tsize) {
  dag_hamt_entry_t e[2] = {
      {.name = old->name + c->padlen, .name_len = old->len - c->padlen,
       .cid = old->cid.bytes, .cid_len = old->cid.len, .tsize = old->tsize},
      {.name = c->name, .name_len = c->len, .cid = c->val->bytes,
       .cid_len = c->val->len, .tsize = c->val_tsize},
  };
  dag_cidb_t cb = {c->pfx->version, c->pfx->mh, 0};
  return dag_hamt_build_at(e, 2, c->fanout, depth, &cb, mfs__put, c->m, cid,
                           tsize);
}

static int set(hctx_t *c, const dag_cid_t *cid, unsigned depth, hres_t *r) {
  if ((depth + 1) * c->bits > 64)
    return TR_ETOOBIG;
  hnode_t h;
  int rc = load(c, cid, &h);
  if (rc)
    return rc;
  unsigned idx = dag_hamt_index(c->hash, depth, c->bits);
  size_t k = 0;
  while (k < h.n && bucket(c, &h.l[k]) >= 0 &&
         (unsigned)bucket(c, &h.l[k]) < idx)
    k++;
  bool here = k < h.n && bucket(c, &h.l[k]) == (int)idx;
  if (k < h.n && bucket(c, &h.l[k]) < 0) {
    rc = TR_EUNIXFS;
  } else if (!here) {
    if (!c->val) {
      rc = TR_EPATH;
    } else { /* an empty bucket takes the entry */
      hlink_t *a = h.n == h.cap ? tr_realloc(h.l, (h.cap = h.cap * 2 + 1) *
                                                      sizeof *a)
                                : h.l;
      if (!a) {
        rc = -ENOMEM;
      } else {
        h.l = a;
        memmove(&h.l[k + 1], &h.l[k], (h.n - k) * sizeof *h.l);
        h.l[k].name = NULL;
        h.n++;
        rc = link_named(&h.l[k], idx, c->padlen, c->name, c->len, c->val,
                        c->val_tsize);
      }
    }
  } else if (h.l[k].len > c->padlen) { /* the bucket holds an entry */
    hlink_t *l = &h.l[k];
    bool same = l->len - c->padlen == c->len &&
                !memcmp(l->name + c->padlen, c->name, c->len);
    if (same && !c->val) {
      tr_free(l->name);
      memmove(l, l + 1, (h.n - k - 1) * sizeof *l);
      h.n--;
    } else if (same) {
      l->cid = *c->val, l->tsize = c->val_tsize;
    } else if (!c->val) {
      rc = TR_EPATH;
    } else { /* two entries in one bucket: a shard below for both */
      dag_cid_t sc;
      uint64_t st;
      if (!(rc = fork2(c, l, depth + 1, &sc, &st)))
        rc = link_named(l, idx, c->padlen, "", 0, &sc, st);
    }
  } else { /* a child shard */
    hres_t cr = {0};
    if (!(rc = set(c, &h.l[k].cid, depth + 1, &cr))) {
      if (cr.n == 0) { /* boxo prunes an empty child */
        tr_free(h.l[k].name);
        memmove(&h.l[k], &h.l[k + 1], (h.n - k - 1) * sizeof *h.l);
        h.n--;
      } else if (cr.one_value && !c->val) { /* fold the last one back */
        rc = link_named(&h.l[k], idx, c->padlen, cr.value.name + c->padlen,
                        cr.value.len - c->padlen, &cr.value.cid,
                        cr.value.tsize);
      } else {
        h.l[k].cid = cr.cid, h.l[k].tsize = cr.tsize;
      }
    }
    tr_free(cr.value.name);
  }
  if (!rc)
    rc = emit(c, &h, depth, r);
  if (!rc && r->one_value) {
    r->value = h.l[0];
    h.l[0].name = NULL; /* moved */
  }
  hnode_free(&h);
  return rc;
}

int mfs__hamt_set(mfs_t *m, const dag_cid_t *root, const mfs_prefix_t *pfx,
                  uint64_t fanout, const dag_meta_t *meta, const char *name,
                  size_t len, const dag_cid_t *val, uint64_t val_tsize,
                  dag_cid_t *out, uint64_t *tsize, size_t *nroot) {
  int bits = dag_hamt_bits(fanout);
  if (bits < 0)
    return TR_EUNIXFS;
  hctx_t c = {m, pfx, fanout, (unsigned)bits, dag_hamt_padlen(fanout),
              name, len, dag_hamt_hash(name, len), val, val_tsize, meta};
  hres_t r = {0};
  int rc = set(&c, root, 0, &r);
  tr_free(r.value.name);
  if (!rc)
    *out = r.cid, *tsize = r.tsize, *nroot = r.n;
  return rc;
}

int mfs__hamt_get(mfs_t *m, const dag_cid_t *root, const char *name,
                  size_t len, dag_cid_t *cid, uint64_t *tsize) {
  uint64_t hash = dag_hamt_hash(name, len);
  dag_cid_t cur = *root;
  for (unsigned depth = 0;; depth++) {
    const uint8_t *p;
    size_t n;
    int rc = mfs__get(m, &cur, &p, &n);
    if (rc)
      return rc;
    dag_pb_node_t pb;
    dag_unixfs_t u;
    if (cur.codec != DAG_CODEC_DAG_PB ||
        dag_pb_decode(p, n, NULL, NULL, &pb) || !pb.has_data ||
        dag_unixfs_decode(pb.data, pb.data_len, &u))
      return TR_EUNIXFS;
    dag_pb_link_t l;
    bool descend;
    if ((rc = dag_hamt_find(p, n, &u, name, len, hash, depth, &l, &descend)))
      return rc;
    if (!descend) {
      *cid = l.cid, *tsize = l.tsize;
      return 0;
    }
    cur = l.cid;
  }
}

int mfs__hamt_meta(mfs_t *m, const dag_cid_t *root, const mfs_prefix_t *pfx,
                   uint64_t fanout, const dag_meta_t *meta, dag_cid_t *out,
                   uint64_t *tsize) {
  int bits = dag_hamt_bits(fanout);
  if (bits < 0)
    return TR_EUNIXFS;
  hctx_t c = {.m = m, .pfx = pfx, .fanout = fanout, .bits = (unsigned)bits,
              .padlen = dag_hamt_padlen(fanout), .meta = meta};
  hnode_t h;
  int rc = load(&c, root, &h);
  hres_t r = {0};
  if (!rc)
    rc = emit(&c, &h, 0, &r);
  hnode_free(&h);
  if (!rc)
    *out = r.cid, *tsize = r.tsize;
  return rc;
}

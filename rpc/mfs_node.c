/*
 * mfs_node.c — single MFS nodes: a file node's metadata rewritten as
 * boxo's File.SetMode/SetModTime rewrite it, and the JSON answers of
 * `files stat` and `files ls`, with Kubo's fields.
 */
#include "mfs_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dag/dagpb.h"
#include "../dag/multihash.h"
#include "opts.h"

/* ------------------------------------------------------------- metadata */

typedef struct links {
  dag_pb_link_t *l;
  size_t n, cap;
} links_t;

static int keep_link(const dag_pb_link_t *l, size_t i, void *ud) {
  (void)i;
  links_t *x = ud;
  if (x->n == x->cap) {
    size_t cap = x->cap ? 2 * x->cap : 16;
    dag_pb_link_t *a = tr_realloc(x->l, cap * sizeof *a);
    if (!a)
      return -ENOMEM;
    x->l = a, x->cap = cap;
  }
  x->l[x->n++] = *l;
  return 0;
}

int mfs__node_meta(mfs_t *m, const dag_cid_t *cid, bool set_mode,
                   uint32_t mode, bool set_mtime, int64_t sec, uint32_t nsec,
                   dag_cid_t *out, uint64_t *tsize) {
  const uint8_t *p;
  size_t n;
  int rc = mfs__get(m, cid, &p, &n);
  if (rc)
    return rc;
  links_t ln = {0};
  uint64_t *bs = NULL;
  uint8_t *ubuf = NULL, *blk = NULL;
  dag_unixfs_t u = {0}, old;
  dag_meta_t meta = {0};
  int version = 0;
  uint64_t mh = DAG_MH_SHA2_256;
  if (cid->codec == DAG_CODEC_RAW) {
    /* boxo wraps the bytes in a File node (NodeWithData: CIDv0). */
    u.type = DAG_UNIXFS_FILE;
    u.data = p, u.data_len = n, u.has_data = true;
    u.filesize = n, u.has_filesize = true;
  } else {
    dag_pb_node_t pb;
    if ((rc = dag_pb_decode(p, n, keep_link, &ln, &pb)))
      goto out;
    if (!pb.has_data || dag_unixfs_decode(pb.data, pb.data_len, &old)) {
      rc = TR_EUNIXFS;
      goto out;
    }
    u.type = old.type;
    u.data = old.data, u.data_len = old.data_len, u.has_data = old.has_data;
    u.filesize = old.filesize, u.has_filesize = old.has_filesize;
    u.hash_type = old.hash_type, u.has_hash_type = old.has_hash_type;
    u.fanout = old.fanout, u.has_fanout = old.has_fanout;
    meta.has_mode = old.has_mode, meta.mode = old.mode & 07777;
    meta.has_mtime = old.has_mtime;
    meta.mtime_sec = old.mtime_sec, meta.mtime_nsec = old.mtime_nsec;
    if (old.n_blocksizes) {
      if (!(bs = tr_malloc(old.n_blocksizes * sizeof *bs))) {
        rc = -ENOMEM;
        goto out;
      }
      dag_unixfs_iter_t it;
      dag_unixfs_iter_init(&old, &it);
      size_t k = 0;
      while (k < old.n_blocksizes && dag_unixfs_iter_next(&it, &bs[k]))
        k++;
    }
    version = cid->version;
    mh = cid->mh_code;
  }
  if (set_mode)
    mfs__meta_mode(&meta, mode);
  if (set_mtime)
    mfs__meta_mtime(&meta, sec, nsec);
  dag_unixfs_set_meta(&u, &meta);
  size_t nb = cid->codec == DAG_CODEC_RAW ? 0 : old.n_blocksizes;
  size_t ul = dag_unixfs_encoded_size(&u, bs, nb);
  size_t bl;
  int w;
  if (!(ubuf = tr_malloc(ul ? ul : 1)) ||
      (w = dag_unixfs_encode(&u, bs, nb, ubuf, ul)) < 0) {
    rc = ubuf ? TR_EBUFSIZE : -ENOMEM;
    goto out;
  }
  bl = dag_pb_encoded_size(ln.l, ln.n, ubuf, (size_t)w, true);
  if (!(blk = tr_malloc(bl)) ||
      (w = dag_pb_encode(ln.l, ln.n, ubuf, (size_t)w, true, blk, bl)) < 0) {
    rc = blk ? TR_EBUFSIZE : -ENOMEM;
    goto out;
  }
  if ((rc = dag_cid_sum(out, version, DAG_CODEC_DAG_PB, mh, blk, (size_t)w)) ||
      (rc = bs_put(m->txn, out, blk, (size_t)w)))
    goto out;
  *tsize = (uint64_t)w;
  for (size_t i = 0; i < ln.n; i++)
    *tsize += ln.l[i].tsize;
out:
  tr_free(ln.l);
  tr_free(bs);
  tr_free(ubuf);
  tr_free(blk);
  return rc;
}


/*
 * emit.c — hashing a block and handing it to put, and encoding a File node
 * from its links and UnixFS fields: what the builders (importer.c, dir.c,
 * hamt.c, trickle.c) and the modifier (modify.c, mod_append.c) share.  See
 * import_int.h.
 */
#include "import_int.h"

#include <errno.h>
#include <string.h>

int dag__emit(const dag_cidb_t *cb, uint64_t codec, const uint8_t *block,
              size_t len, dag_put_cb put, void *ud, dag_cid_t *cid) {
  int rc = dag_cidb_sum(cb, codec, block, len, cid);
  if (rc < 0)
    return rc;
  return put(cid, block, len, ud);
}

void dag__nbuf_free(dag__nbuf_t *b) {
  tr_free(b->ufs);
  tr_free(b->node);
  memset(b, 0, sizeof *b);
}

static int nbuf_grow(uint8_t **p, size_t *cap, size_t need) {
  if (need <= *cap)
    return 0;
  uint8_t *q = tr_realloc(*p, need);
  if (!q)
    return -ENOMEM;
  *p = q;
  *cap = need;
  return 0;
}

int dag__node_emit(dag__nbuf_t *b, const dag_cidb_t *cb,
                   const dag_unixfs_t *u, const dag_pb_link_t *links,
                   const uint64_t *sizes, size_t n, dag_put_cb put, void *ud,
                   dag_cid_t *cid, uint64_t *tsize) {
  size_t ulen = dag_unixfs_encoded_size(u, sizes, n);
  int rc = nbuf_grow(&b->ufs, &b->ufs_cap, ulen + 2);
  if (rc)
    return rc;
  int k = dag_unixfs_encode(u, sizes, n, b->ufs, b->ufs_cap);
  if (k < 0)
    return k;
  if (u->has_data && !u->data_len) {
    /* Go's proto2 writes a Data field that is present but empty (a leaf
     * cut to nothing: data[:0]), which dag_unixfs_encode leaves out: put
     * 12 00 after the Type field, the first. */
    size_t t = 1 + dag_varint_size((uint64_t)u->type);
    memmove(b->ufs + t + 2, b->ufs + t, (size_t)k - t);
    b->ufs[t] = 0x12;
    b->ufs[t + 1] = 0x00;
    k += 2;
  }
  size_t sz = dag_pb_encoded_size(links, n, b->ufs, (size_t)k, true);
  if ((rc = nbuf_grow(&b->node, &b->node_cap, sz)))
    return rc;
  if ((k = dag_pb_encode(links, n, b->ufs, (size_t)k, true, b->node,
                         b->node_cap)) < 0)
    return k;
  uint64_t ts = sz;
  for (size_t i = 0; i < n; i++)
    ts += links[i].tsize;
  *tsize = ts;
  return dag__emit(cb, DAG_CODEC_DAG_PB, b->node, sz, put, ud, cid);
}


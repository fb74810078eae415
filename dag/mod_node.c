/*
 * mod_node.c — the nodes the modifier (modify.c, mod_append.c) holds while
 * they change: loading a block into links and UnixFS fields, adding links
 * as boxo's FSNodeOverDag.AddChild does, encoding and putting them with
 * boxo's identity-hash fallback, and the mtime rules of Go's FSNode.
 */
#include "mod_int.h"

#include <errno.h>
#include <string.h>

void dag__mnode_free(mnode_t *n) {
  tr_free(n->blk);
  tr_free(n->links);
  tr_free(n->bs);
  memset(n, 0, sizeof *n);
}

void dag__mnode_file(dag_mod_t *m, mnode_t *n) {
  memset(n, 0, sizeof *n);
  n->version = m->version;
  n->mh = m->mh;
  n->u.type = DAG_UNIXFS_FILE;
  n->u.has_filesize = true; /* NewFSNode sets Filesize to 0 */
}

static int grow(mnode_t *n, size_t want) {
  if (want <= n->cap)
    return 0;
  if (want > 2 * (size_t)DAG_IMPORT_MAX_LINKS)
    return TR_ETOOBIG;
  size_t cap = n->cap ? 2 * n->cap : 16;
  while (cap < want)
    cap *= 2;
  dag_pb_link_t *l = tr_realloc(n->links, cap * sizeof *l);
  if (!l)
    return -ENOMEM;
  n->links = l;
  uint64_t *b = tr_realloc(n->bs, cap * sizeof *b);
  if (!b)
    return -ENOMEM;
  n->bs = b;
  n->cap = cap;
  return 0;
}

int dag__mnode_add(mnode_t *n, const dag_cid_t *cid, uint64_t tsize,
                   uint64_t size) {
  int rc = grow(n, n->n + 1);
  if (rc)
    return rc;
  dag_pb_link_t *l = &n->links[n->n];
  memset(l, 0, sizeof *l);
  l->cid = *cid;
  l->name = "";
  l->has_name = true;
  l->tsize = tsize;
  l->has_tsize = true;
  n->bs[n->n++] = size;
  n->u.filesize += size; /* AddBlockSize: UpdateFilesize(+size) */
  n->u.has_filesize = true;
  return 0;
}

typedef struct lctx {
  mnode_t *n;
} lctx_t;

static int take_link(const dag_pb_link_t *l, size_t i, void *ud) {
  mnode_t *n = ((lctx_t *)ud)->n;
  n->links[i] = *l;
  /* Go writes every link with its Name and Tsize (0 when absent). */
  if (!l->has_name) {
    n->links[i].name = "";
    n->links[i].name_len = 0;
  }
  n->links[i].has_name = n->links[i].has_tsize = true;
  return 0;
}

int dag__mnode_load_root(dag_mod_t *m, const dag_cid_t *cid, mnode_t *n,
                         bool root) {
  memset(n, 0, sizeof *n);
  if (cid->codec != DAG_CODEC_RAW && cid->codec != DAG_CODEC_DAG_PB)
    return TR_ECODEC;
  const uint8_t *data;
  size_t len;
  int rc = m->get(cid, &data, &len, m->ud);
  if (rc)
    return rc;
  /* A copy: the view may not outlive our next put, and leaves are
   * overwritten where they lie. */
  if (!(n->blk = tr_malloc(len ? len : 1)))
    return -ENOMEM;
  memcpy(n->blk, data, len);
  n->len = len;
  n->version = cid->version;
  n->mh = cid->mh_code;
  if (cid->codec == DAG_CODEC_RAW) {
    n->raw = true;
    return 0;
  }
  dag_pb_node_t pb;
  if ((rc = dag_pb_decode(n->blk, len, NULL, NULL, &pb)))
    goto fail;
  if (pb.nlinks > DAG_IMPORT_MAX_LINKS) {
    rc = TR_ETOOBIG;
    goto fail;
  }
  if ((rc = grow(n, pb.nlinks)))
    goto fail;
  lctx_t lc = {n};
  if ((rc = dag_pb_decode(n->blk, len, take_link, &lc, &pb)))
    goto fail;
  n->n = pb.nlinks;
  rc = TR_EUNIXFS;
  if (!pb.has_data || dag_unixfs_decode(pb.data, pb.data_len, &n->u))
    goto fail;
  if (n->u.type != DAG_UNIXFS_FILE && n->u.type != DAG_UNIXFS_RAW) {
    rc = root ? TR_ENOTFILE : TR_EUNIXFS;
    goto fail;
  }
  if (n->u.n_blocksizes != n->n)
    goto fail;
  dag_unixfs_iter_t it;
  dag_unixfs_iter_init(&n->u, &it);
  for (size_t i = 0; i < n->n; i++)
    dag_unixfs_iter_next(&it, &n->bs[i]);
  return 0;
fail:
  dag__mnode_free(n);
  return rc;
}

int dag__mnode_load(dag_mod_t *m, const dag_cid_t *cid, mnode_t *n) {
  return dag__mnode_load_root(m, cid, n, false);
}

int dag__mnode_commit(dag_mod_t *m, mnode_t *n, dag_cid_t *cid,
                      uint64_t *tsize) {
  uint64_t mh = n->mh;
  if (n->raw) {
    if (mh == DAG_MH_IDENTITY && n->len > DAG_MH_IDENTITY_MAX)
      mh = DAG_MH_SHA2_256; /* boxo's safePrefixForSize */
    *tsize = n->len;
    dag_cidb_t cb = {1, mh, 0};
    return dag__emit(&cb, DAG_CODEC_RAW, n->blk, n->len, m->put, m->ud, cid);
  }
  if (mh == DAG_MH_IDENTITY) {
    size_t ulen = dag_unixfs_encoded_size(&n->u, n->bs, n->n) +
                  (n->u.has_data && !n->u.data_len ? 2 : 0);
    if (dag_pb_encoded_size(n->links, n->n, NULL, ulen, true) >
        DAG_MH_IDENTITY_MAX)
      mh = DAG_MH_SHA2_256; /* boxo's ensureSafeProtoNodeHash */
  }
  dag_cidb_t cb = {n->version, mh, 0};
  return dag__node_emit(&m->nb, &cb, &n->u, n->links, n->bs, n->n, m->put,
                        m->ud, cid, tsize);
}

/* Go's time.Time{} is 0001-01-01 UTC. */
#define GO_ZERO_TIME (-62135596800LL)

bool dag__mtime_set(const dag_unixfs_t *u) {
  if (!u->has_mtime)
    return false;
  if (u->has_mtime_nsec && (u->mtime_nsec < 1 || u->mtime_nsec > 999999999))
    return false; /* FSNode.ModTime() reads these as no time */
  return !(u->mtime_sec == GO_ZERO_TIME &&
           (!u->has_mtime_nsec || u->mtime_nsec == 0));
}

void dag__mtime_now(dag_mod_t *m, dag_unixfs_t *u) {
  if (!m->o.has_now)
    return;
  u->has_mtime = true;
  u->mtime_sec = m->o.now_sec;
  u->mtime_nsec = m->o.now_nsec;
  u->has_mtime_nsec = m->o.now_nsec > 0;
}


/*
 * reader.c — stat, path resolution, file streaming and directory listing
 * over UnixFS DAGs; see reader.h.
 *
 * dag-pb nodes are decoded once with dag_pb_decode() to validate them, then
 * walked link by link: a top-level field of a valid node is cheap to step
 * over, and one Links field on its own is itself a valid PBNode, so
 * dag_pb_decode() decodes a single link without this file knowing PBLink's
 * layout.  That keeps a file walk at one small frame per level.
 */
#include "reader.h"

#include <string.h>

#include "hamt.h"

/* -------------------------------------------------------------- loading */

typedef struct node {
  const uint8_t *blk;
  size_t len;
  bool raw;
  dag_pb_node_t pn;
  dag_unixfs_t u;
} node_t;

static int load(const dag_cid_t *cid, dag_get_cb get, void *ud, node_t *n) {
  memset(n, 0, sizeof *n);
  int rc = get(cid, &n->blk, &n->len, ud);
  if (rc)
    return rc;
  if (cid->codec == DAG_CODEC_RAW) {
    n->raw = true;
    return 0;
  }
  if (cid->codec != DAG_CODEC_DAG_PB)
    return TR_ECODEC;
  if ((rc = dag_pb_decode(n->blk, n->len, NULL, NULL, &n->pn)))
    return rc == TR_ETRUNC ? TR_EDAGPB : rc;
  if (!n->pn.has_data)
    return TR_EUNIXFS;
  return dag_unixfs_decode(n->pn.data, n->pn.data_len, &n->u);
}

static int take_link(const dag_pb_link_t *lk, size_t i, void *ud) {
  (void)i;
  *(dag_pb_link_t *)ud = *lk;
  return 0;
}

/* The next link of a validated node at or after *pos: 1 and *lk, 0 at the
 * end. */
static int next_link(const uint8_t *blk, size_t len, size_t *pos,
                     dag_pb_link_t *lk) {
  while (*pos < len) {
    size_t start = *pos;
    uint64_t tag, n;
    int k = dag_varint_get(blk + *pos, len - *pos, &tag);
    if (k < 0)
      return TR_EDAGPB;
    *pos += (size_t)k;
    if ((k = dag_varint_get(blk + *pos, len - *pos, &n)) < 0 ||
        n > len - *pos - (size_t)k)
      return TR_EDAGPB;
    *pos += (size_t)k + (size_t)n;
    if (tag == 0x12) {
      dag_pb_node_t one;
      int rc = dag_pb_decode(blk + start, *pos - start, take_link, lk, &one);
      return rc ? TR_EDAGPB : 1;
    }
  }
  return 0;
}

/* ----------------------------------------------------------------- stat */

int dag_stat(const dag_cid_t *cid, dag_get_cb get, void *ud,
             dag_node_info_t *info) {
  node_t n;
  int rc = load(cid, get, ud, &n);
  memset(info, 0, sizeof *info);
  if (rc)
    return rc;
  if (n.raw) {
    info->kind = DAG_NODE_FILE;
    info->unixfs_type = -1;
    info->size = n.len;
    return 0;
  }
  info->unixfs_type = n.u.type;
  info->nlinks = n.pn.nlinks;
  info->has_mode = n.u.has_mode;
  info->mode = n.u.mode;
  info->has_mtime = n.u.has_mtime;
  info->mtime_sec = n.u.mtime_sec;
  switch (n.u.type) {
  case DAG_UNIXFS_FILE:
  case DAG_UNIXFS_RAW:
    info->kind = DAG_NODE_FILE;
    /* filesize when given; a leaf written without one has its data */
    info->size = n.u.has_filesize ? n.u.filesize
                                  : n.u.data_len + n.u.blocksizes_sum;
    return 0;
  case DAG_UNIXFS_DIRECTORY:
  case DAG_UNIXFS_HAMT:
    info->kind = DAG_NODE_DIR;
    return 0;
  case DAG_UNIXFS_SYMLINK:
    info->kind = DAG_NODE_SYMLINK;
    info->target = n.u.data;
    info->target_len = n.u.data_len;
    info->size = n.u.data_len;
    return 0;
  default:
    return TR_EUNIXFS; /* Metadata: never written by any importer */
  }
}

/* -------------------------------------------------------------- resolve */

typedef struct byname {
  const char *name;
  size_t len;
  dag_cid_t *out;
  bool found;
} byname_t;

static int byname_cb(const dag_pb_link_t *lk, size_t i, void *ud) {
  (void)i;
  byname_t *b = ud;
  if (lk->name_len != b->len || memcmp(lk->name, b->name, b->len))
    return 0;
  *b->out = lk->cid;
  b->found = true;
  return 1;
}

/* One path segment below the node at *cid; replaces *cid. */
static int step(dag_cid_t *cid, const char *seg, size_t len, dag_get_cb get,
                void *ud) {
  node_t n;
  int rc = load(cid, get, ud, &n);
  if (rc)
    return rc;
  if (n.raw || (n.u.type != DAG_UNIXFS_DIRECTORY &&
                n.u.type != DAG_UNIXFS_HAMT))
    return TR_ENOTDIR;
  if (n.u.type == DAG_UNIXFS_DIRECTORY) {
    byname_t b = {seg, len, cid, false};
    dag_pb_node_t pn;
    rc = dag_pb_decode(n.blk, n.len, byname_cb, &b, &pn);
    if (rc < 0)
      return rc;
    return b.found ? 0 : TR_EPATH;
  }
  uint64_t hash = dag_hamt_hash(seg, len);
  for (unsigned depth = 0;; depth++) {
    dag_pb_link_t lk;
    bool descend;
    if ((rc = dag_hamt_find(n.blk, n.len, &n.u, seg, len, hash, depth, &lk,
                            &descend)))
      return rc;
    if (!descend) {
      *cid = lk.cid;
      return 0;
    }
    if ((rc = load(&lk.cid, get, ud, &n)))
      return rc;
    if (n.raw || n.u.type != DAG_UNIXFS_HAMT)
      return TR_EUNIXFS;
  }
}

int dag_resolve(const dag_cid_t *root, const char *path, size_t len,
                dag_get_cb get, void *ud, dag_cid_t *out) {
  dag_cid_t cur = *root;
  size_t i = 0;
  while (i < len) {
    if (path[i] == '/') {
      i++;
      continue;
    }
    size_t j = i;
    while (j < len && path[j] != '/')
      j++;
    int rc = step(&cur, path + i, j - i, get, ud);
    if (rc)
      return rc;
    i = j;
  }
  *out = cur;
  return 0;
}

/* ------------------------------------------------------------------ cat */

typedef struct frame {
  const uint8_t *blk;
  size_t len, pos;
  dag_unixfs_iter_t it;
  uint64_t expect, got; /* bytes this subtree must give, and has given */
} frame_t;

typedef struct cat {
  dag_get_cb get;
  void *ud;
  dag_data_cb out;
  void *oud;
  uint64_t skip, left;
  frame_t st[DAG_READ_MAX_DEPTH];
  size_t sp;
} cat_t;

/* Pass p[0..n) on, minus what is before the range or after it. */
static int emit(cat_t *c, const uint8_t *p, size_t n) {
  if (c->skip >= n) {
    c->skip -= n;
    return 0;
  }
  p += c->skip;
  n -= (size_t)c->skip;
  c->skip = 0;
  if (n > c->left)
    n = (size_t)c->left;
  c->left -= n;
  return n ? c->out(p, n, c->oud) : 0;
}

/* Start reading a File/Raw node: its own data, then a frame for its links
 * (expect = UINT64_MAX when the size is not known in advance). */
static int open_node(cat_t *c, const node_t *n, uint64_t expect) {
  if (n->u.type != DAG_UNIXFS_FILE && n->u.type != DAG_UNIXFS_RAW)
    return TR_EUNIXFS;
  if (n->pn.nlinks != n->u.n_blocksizes)
    return TR_EUNIXFS;
  int rc = emit(c, n->u.data, n->u.data_len);
  if (rc)
    return rc;
  if (!n->pn.nlinks)
    return expect != UINT64_MAX && expect != n->u.data_len ? TR_EUNIXFS : 0;
  if (c->sp == DAG_READ_MAX_DEPTH)
    return TR_ETOOBIG;
  frame_t *f = &c->st[c->sp++];
  f->blk = n->blk;
  f->len = n->len;
  f->pos = 0;
  dag_unixfs_iter_init(&n->u, &f->it);
  f->expect = expect;
  f->got = n->u.data_len;
  return 0;
}

/* Advance the top frame by one link. */
static int cat_step(cat_t *c) {
  frame_t *f = &c->st[c->sp - 1];
  dag_pb_link_t lk;
  int rc = next_link(f->blk, f->len, &f->pos, &lk);
  if (rc < 0)
    return rc;
  if (rc == 0) {
    if (f->expect != UINT64_MAX && f->got != f->expect)
      return TR_EUNIXFS;
    c->sp--;
    return 0;
  }
  uint64_t v;
  if (!dag_unixfs_iter_next(&f->it, &v))
    return TR_EUNIXFS;
  f->got += v;
  if (v && c->skip >= v) { /* the whole subtree is before the range */
    c->skip -= v;
    return 0;
  }
  node_t n;
  if ((rc = load(&lk.cid, c->get, c->ud, &n)))
    return rc;
  if (n.raw)
    return n.len != v ? TR_EUNIXFS : emit(c, n.blk, n.len);
  return open_node(c, &n, v);
}

int dag_cat(const dag_cid_t *cid, uint64_t offset, uint64_t length,
            dag_get_cb get, void *ud, dag_data_cb out, void *oud) {
  node_t n;
  int rc = load(cid, get, ud, &n);
  if (rc)
    return rc;
  if (length == 0)
    return 0;
  /* 64 frames of about 80 bytes: fine on the stack of any thread */
  cat_t c;
  c.get = get;
  c.ud = ud;
  c.out = out;
  c.oud = oud;
  c.skip = offset;
  c.left = length;
  c.sp = 0;
  if (n.raw)
    return emit(&c, n.blk, n.len);
  if (n.u.type == DAG_UNIXFS_DIRECTORY || n.u.type == DAG_UNIXFS_HAMT ||
      n.u.type == DAG_UNIXFS_SYMLINK)
    return TR_ENOTFILE;
  rc = open_node(&c, &n, UINT64_MAX);
  while (!rc && c.sp && c.left)
    rc = cat_step(&c);
  return rc;
}

/* ------------------------------------------------------------------- ls */

typedef struct lsctx {
  dag_dirent_cb cb;
  void *cud;
  dag_get_cb get;
  void *ud;
} lsctx_t;

static int flat_cb(const dag_pb_link_t *lk, size_t i, void *ud) {
  (void)i;
  lsctx_t *l = ud;
  dag_dirent_t e = {lk->name ? lk->name : "", lk->name_len, lk->cid,
                    lk->tsize};
  return l->cb(&e, l->cud);
}

static int walk_shard(lsctx_t *l, const node_t *n, unsigned depth) {
  unsigned bits, padlen;
  int rc = dag_hamt_check(&n->u, &bits, &padlen);
  if (rc)
    return rc;
  if ((depth + 1) * bits > 64)
    return TR_EUNIXFS;
  size_t pos = 0;
  dag_pb_link_t lk;
  while ((rc = next_link(n->blk, n->len, &pos, &lk)) == 1) {
    if (dag_hamt_link_index(lk.name, lk.name_len, padlen, n->u.fanout) < 0)
      return TR_EUNIXFS;
    if (lk.name_len == padlen) {
      node_t child;
      if ((rc = load(&lk.cid, l->get, l->ud, &child)))
        return rc;
      if (child.raw || child.u.type != DAG_UNIXFS_HAMT ||
          child.u.fanout != n->u.fanout)
        return TR_EUNIXFS;
      if ((rc = walk_shard(l, &child, depth + 1)))
        return rc;
    } else {
      dag_dirent_t e = {lk.name + padlen, lk.name_len - padlen, lk.cid,
                        lk.tsize};
      if ((rc = l->cb(&e, l->cud)))
        return rc;
    }
  }
  return rc;
}

int dag_ls(const dag_cid_t *cid, dag_get_cb get, void *ud, dag_dirent_cb cb,
           void *cud) {
  node_t n;
  int rc = load(cid, get, ud, &n);
  if (rc)
    return rc;
  lsctx_t l = {cb, cud, get, ud};
  if (!n.raw && n.u.type == DAG_UNIXFS_DIRECTORY) {
    dag_pb_node_t pn;
    return dag_pb_decode(n.blk, n.len, flat_cb, &l, &pn);
  }
  if (!n.raw && n.u.type == DAG_UNIXFS_HAMT)
    return walk_shard(&l, &n, 0);
  return TR_ENOTDIR;
}

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

#include <errno.h>
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
  info->mtime_nsec = n.u.has_mtime_nsec ? n.u.mtime_nsec : 0;
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
  frame_t *st; /* grows with the DAG's depth, up to DAG_READ_MAX_DEPTH */
  size_t sp, cap;
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
  if (c->sp == c->cap) {
    if (c->cap == DAG_READ_MAX_DEPTH)
      return TR_ETOOBIG;
    size_t cap = c->cap ? c->cap * 4 : 16;
    if (cap > DAG_READ_MAX_DEPTH)
      cap = DAG_READ_MAX_DEPTH;
    frame_t *st = tr_realloc(c->st, cap * sizeof *st);
    if (!st)
      return -ENOMEM;
    c->st = st;
    c->cap = cap;
  }
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
  if (v == 0) {
    /* A child of size 0 is checked to be empty file data, not walked: its
     * own children can only be of size 0 too, and a DAG can refer to one
     * empty node 16 times a level, 40 levels deep, which walked would
     * make a zero-byte file cost 16^40 reads. */
    if (n.raw)
      return n.len ? TR_EUNIXFS : 0;
    if ((n.u.type != DAG_UNIXFS_FILE && n.u.type != DAG_UNIXFS_RAW) ||
        n.pn.nlinks != n.u.n_blocksizes || n.u.data_len ||
        n.u.blocksizes_sum)
      return TR_EUNIXFS;
    return 0;
  }
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
  cat_t c = {0};
  c.get = get;
  c.ud = ud;
  c.out = out;
  c.oud = oud;
  c.skip = offset;
  c.left = length;
  if (n.raw)
    return emit(&c, n.blk, n.len);
  if (n.u.type == DAG_UNIXFS_DIRECTORY || n.u.type == DAG_UNIXFS_HAMT ||
      n.u.type == DAG_UNIXFS_SYMLINK)
    return TR_ENOTFILE;
  rc = open_node(&c, &n, UINT64_MAX);
  while (!rc && c.sp && c.left)
    rc = cat_step(&c);
  tr_free(c.st);
  return rc;
}

/* ------------------------------------------------------------------- ls */

/* What a walk needs of one directory node it is in; views last as get's. */
typedef struct lvl {
  const uint8_t *blk;
  size_t len, nlinks;
  uint64_t fanout;
  unsigned bits, padlen;
  bool hamt, loaded;
} lvl_t;

/* Load a directory node: the root may be a Directory or a HAMT shard, a
 * node below must be a shard of the root's fanout. */
static int lvl_load(const dag_cid_t *cid, dag_get_cb get, void *ud,
                    bool root, uint64_t fanout, lvl_t *v) {
  node_t n;
  int rc = load(cid, get, ud, &n);
  if (rc)
    return rc;
  if (root) {
    if (n.raw || (n.u.type != DAG_UNIXFS_DIRECTORY &&
                  n.u.type != DAG_UNIXFS_HAMT))
      return TR_ENOTDIR;
  } else if (n.raw || n.u.type != DAG_UNIXFS_HAMT || n.u.fanout != fanout) {
    return TR_EUNIXFS;
  }
  v->blk = n.blk;
  v->len = n.len;
  v->nlinks = n.pn.nlinks;
  v->fanout = n.u.fanout;
  v->hamt = n.u.type == DAG_UNIXFS_HAMT;
  if (v->hamt && (rc = dag_hamt_check(&n.u, &v->bits, &v->padlen)))
    return rc;
  v->loaded = true;
  return 0;
}

void dag_ls_iter_init(dag_ls_iter_t *it, const dag_cid_t *cid,
                      unsigned flags, dag_node_cb on_node, void *node_ud) {
  memset(it, 0, sizeof *it);
  it->root = *cid;
  it->flags = flags;
  it->on_node = on_node;
  it->node_ud = node_ud;
}

void dag_ls_iter_free(dag_ls_iter_t *it) { tr_fpset_free(&it->seen); }

/* A missing block (TR_ENOTFOUND) leaves the walk where it was, so that it
 * can be run again once the block is there (the gateway fetches it); any
 * other error ends it. */
static int ls_fail(dag_ls_iter_t *it, int rc) {
  if (rc == TR_ENOTFOUND)
    return rc;
  it->done = true;
  it->err = rc;
  return rc;
}

static int ls_start(dag_ls_iter_t *it, dag_get_cb get, void *ud, lvl_t *v) {
  int rc = lvl_load(&it->root, get, ud, true, 0, v);
  if (rc)
    return ls_fail(it, rc);
  it->started = true;
  it->fanout = v->fanout;
  it->st[0].cid = it->root;
  it->st[0].pos = 0;
  it->sp = 1;
  if (v->hamt && (rc = tr_fpset_add(&it->seen, dag_cid_fp(&it->root))) < 0)
    return ls_fail(it, rc);
  return it->on_node ? it->on_node(&it->root, v->blk, v->len, it->node_ud)
                     : 0;
}

/* Enter the child shard lk of the frame at depth d: 0 entered (or passed
 * over), else on_node's value or an error. */
static int ls_enter(dag_ls_iter_t *it, dag_get_cb get, void *ud, lvl_t *lv,
                    size_t d, const dag_pb_link_t *lk) {
  /* The child is at depth d + 1 and uses bits [(d+1)*b, (d+2)*b). */
  if (d + 1 >= DAG_LS_MAX_DEPTH || (d + 2) * lv[d].bits > 64)
    return ls_fail(it, TR_EUNIXFS);
  /* Reached before (only shards with links are in the set): not a tree.
   * Checked before the read, so passing over costs nothing. */
  tr_fp_t fp = dag_cid_fp(&lk->cid);
  if (tr_fpset_has(&it->seen, fp))
    return it->flags & DAG_LS_SKIP_SEEN ? 0 : ls_fail(it, TR_EUNIXFS);
  lvl_t *c = &lv[d + 1];
  int rc = lvl_load(&lk->cid, get, ud, false, it->fanout, c);
  if (rc)
    return ls_fail(it, rc);
  if (c->nlinks && (rc = tr_fpset_add(&it->seen, fp)) < 0)
    return ls_fail(it, rc);
  it->st[d + 1].cid = lk->cid;
  it->st[d + 1].pos = 0;
  it->sp = d + 2;
  return it->on_node ? it->on_node(&lk->cid, c->blk, c->len, it->node_ud) : 0;
}

int dag_ls_iter_run(dag_ls_iter_t *it, dag_get_cb get, void *ud,
                    dag_dirent_cb cb, void *cud) {
  if (it->done)
    return it->err;
  /* The blocks on the path are reloaded once per run, when first needed. */
  lvl_t lv[DAG_LS_MAX_DEPTH];
  for (size_t i = 0; i < DAG_LS_MAX_DEPTH; i++)
    lv[i].loaded = false;
  int rc;
  if (!it->started && (rc = ls_start(it, get, ud, &lv[0])))
    return rc;
  while (it->sp) {
    size_t d = it->sp - 1;
    lvl_t *v = &lv[d];
    if (!v->loaded &&
        (rc = lvl_load(&it->st[d].cid, get, ud, d == 0, it->fanout, v)))
      return ls_fail(it, rc);
    dag_pb_link_t lk;
    size_t pos0 = it->st[d].pos; /* back here if the child is missing */
    if ((rc = next_link(v->blk, v->len, &it->st[d].pos, &lk)) < 0)
      return ls_fail(it, rc);
    if (rc == 0) {
      v->loaded = false;
      it->sp--;
      continue;
    }
    size_t skip = 0;
    if (v->hamt) {
      if (dag_hamt_link_index(lk.name, lk.name_len, v->padlen, v->fanout) < 0)
        return ls_fail(it, TR_EUNIXFS);
      if (lk.name_len == v->padlen) {
        if ((rc = ls_enter(it, get, ud, lv, d, &lk))) {
          if (rc == TR_ENOTFOUND)
            it->st[d].pos = pos0;
          return rc;
        }
        continue;
      }
      skip = v->padlen;
    }
    dag_dirent_t e = {lk.name ? lk.name + skip : "", lk.name_len - skip,
                      lk.cid, lk.tsize};
    it->entries++;
    if ((rc = cb(&e, cud)))
      return rc;
  }
  it->done = true;
  return 0;
}

int dag_ls(const dag_cid_t *cid, dag_get_cb get, void *ud, dag_dirent_cb cb,
           void *cud) {
  dag_ls_iter_t *it = tr_malloc(sizeof *it);
  if (!it)
    return -ENOMEM;
  dag_ls_iter_init(it, cid, 0, NULL, NULL);
  int rc = dag_ls_iter_run(it, get, ud, cb, cud);
  dag_ls_iter_free(it);
  tr_free(it);
  return rc;
}

/*
 * mod_append.c — boxo's appendData and trickle.Append (importer/trickle,
 * v0.43.0) for the modifier (modify.h): the bytes past a file's end are cut
 * into leaves and hung under its root where boxo's Append puts them.
 *
 * This is a line-by-line port, recursion and all, because the CIDs must be
 * boxo's and Append's idea of where the trickle shape stopped is not the
 * one Layout (trickle.c) has: trickleDepthInfo guesses the depth from the
 * number of links, appendFillLastChild descends with depth - 1 where the
 * last child was built with a deeper limit, and so on.  The bytes are all
 * in memory (the modifier's write buffer) or zeros, so pulling chunks, as
 * boxo does, costs nothing; the recursion is as deep as the trickle tree,
 * capped at DAG_MOD_MAX_DEPTH.
 */
#include "mod_int.h"

#include <errno.h>
#include <string.h>

/* Zeros for sparse chunks (boxo cuts them 4096 bytes at a time). */
static const uint8_t zeros[4096];

static bool done(const msrc_t *s) { return s->left == 0; }

/* Cut the next chunk and emit its leaf: a raw block, or a dag-pb node
 * { Type Raw, Data, filesize } (boxo's NewLeafNode(data, TRaw)). */
static int next_leaf(dag_mod_t *m, msrc_t *s, dag_cid_t *cid, uint64_t *tsize,
                     uint64_t *size) {
  size_t n = s->left < s->chunk ? (size_t)s->left : s->chunk;
  const uint8_t *p = s->p;
  bool full_zero = !p && n == s->chunk;
  if (!p) {
    if (n > sizeof zeros)
      return TR_EUSAGE; /* zero chunks are 4096 bytes at most */
    p = zeros;
  } else
    s->p += n;
  s->left -= n;
  *size = n;
  if (full_zero && s->zcached) {
    *cid = s->zcid;
    *tsize = s->ztsize;
    return 0;
  }
  int rc;
  if (s->raw_leaves) {
    uint64_t mh = m->mh == DAG_MH_IDENTITY && n > DAG_MH_IDENTITY_MAX
                      ? DAG_MH_SHA2_256
                      : m->mh;
    dag_cidb_t cb = {1, mh, 0};
    rc = dag__emit(&cb, DAG_CODEC_RAW, p, n, m->put, m->ud, cid);
    *tsize = n;
  } else {
    mnode_t leaf;
    dag__mnode_file(m, &leaf);
    leaf.u.type = DAG_UNIXFS_RAW;
    leaf.u.data = p;
    leaf.u.data_len = n;
    leaf.u.has_data = true;
    leaf.u.filesize = n;
    rc = dag__mnode_commit(m, &leaf, cid, tsize);
    dag__mnode_free(&leaf);
  }
  if (!rc && full_zero) {
    s->zcached = true;
    s->zcid = *cid;
    s->ztsize = *tsize;
  }
  return rc;
}

/* boxo's FillNodeLayer: leaves while the node has room and data remains. */
static int fill_layer(dag_mod_t *m, mnode_t *nd, msrc_t *s) {
  while (nd->n < m->o.max_links && !done(s)) {
    dag_cid_t cid;
    uint64_t tsize, size;
    int rc = next_leaf(m, s, &cid, &tsize, &size);
    if (!rc)
      rc = dag__mnode_add(nd, &cid, tsize, size);
    if (rc)
      return rc;
  }
  return 0;
}

static int fill_rec(dag_mod_t *m, mnode_t *nd, int maxdepth, msrc_t *s,
                    int lvl);

/* A new File node filled by fill_rec to maxdepth, committed and added to
 * parent (fillTrickleRec + AddChild). */
static int add_subtree(dag_mod_t *m, mnode_t *parent, int maxdepth, msrc_t *s,
                       int lvl) {
  mnode_t c;
  dag__mnode_file(m, &c);
  dag_cid_t cid;
  uint64_t tsize;
  int rc = fill_rec(m, &c, maxdepth, s, lvl + 1);
  if (!rc)
    rc = dag__mnode_commit(m, &c, &cid, &tsize);
  if (!rc)
    rc = dag__mnode_add(parent, &cid, tsize, c.u.filesize);
  dag__mnode_free(&c);
  return rc;
}

/* boxo's fillTrickleRec for a fresh node (maxdepth > 0 here). */
static int fill_rec(dag_mod_t *m, mnode_t *nd, int maxdepth, msrc_t *s,
                    int lvl) {
  if (lvl > DAG_MOD_MAX_DEPTH)
    return TR_ETOOBIG;
  int rc = fill_layer(m, nd, s);
  for (int depth = 1; !rc && depth < maxdepth && !done(s); depth++)
    for (int r = 0; !rc && r < DAG_TRICKLE_REPEAT && !done(s); r++)
      rc = add_subtree(m, nd, depth, s, lvl);
  return rc;
}

/* boxo's trickleDepthInfo. */
static void depth_info(const dag_mod_t *m, const mnode_t *nd, int *depth,
                       int *rep) {
  if (nd->n < m->o.max_links) {
    *depth = *rep = 0;
    return;
  }
  size_t nonleaf = nd->n - m->o.max_links;
  /* Bounded: a node holds at most DAG_IMPORT_MAX_LINKS links. */
  *depth = (int)(nonleaf / DAG_TRICKLE_REPEAT) + 1;
  *rep = (int)(nonleaf % DAG_TRICKLE_REPEAT);
}

static int append_rec(dag_mod_t *m, mnode_t *nd, int maxdepth, msrc_t *s,
                      int lvl);

/* boxo's appendFillLastChild. */
static int fill_last_child(dag_mod_t *m, mnode_t *nd, int depth, int rep,
                           msrc_t *s, int lvl) {
  if (nd->n <= m->o.max_links)
    return 0;
  if (lvl > DAG_MOD_MAX_DEPTH)
    return TR_ETOOBIG;
  size_t last = nd->n - 1;
  mnode_t c;
  int rc = dag__mnode_load(m, &nd->links[last].cid, &c);
  if (rc)
    return rc;
  if (c.raw) {
    dag__mnode_free(&c);
    return TR_ECODEC; /* boxo: ErrNotProtobuf */
  }
  dag_cid_t cid;
  uint64_t tsize;
  rc = append_rec(m, &c, depth - 1, s, lvl + 1);
  if (!rc)
    rc = dag__mnode_commit(m, &c, &cid, &tsize);
  if (!rc) {
    /* RemoveChild(last), then AddChild(filled) */
    nd->u.filesize -= nd->bs[last];
    nd->n--;
    rc = dag__mnode_add(nd, &cid, tsize, c.u.filesize);
  }
  dag__mnode_free(&c);
  if (rc || rep == 0)
    return rc;
  for (; !rc && rep < DAG_TRICKLE_REPEAT && !done(s); rep++)
    rc = add_subtree(m, nd, depth, s, lvl);
  return rc;
}

/* boxo's appendRec: maxdepth may be -1 (no limit) or 0 (nothing to do). */
static int append_rec(dag_mod_t *m, mnode_t *nd, int maxdepth, msrc_t *s,
                      int lvl) {
  if (maxdepth == 0 || done(s))
    return 0;
  int depth, rep, rc;
  depth_info(m, nd, &depth, &rep);
  if (depth == 0) {
    if ((rc = fill_layer(m, nd, s)))
      return rc;
    depth++;
  }
  if (depth == maxdepth)
    return 0;
  if ((rc = fill_last_child(m, nd, depth, rep, s, lvl)))
    return rc;
  if (!done(s))
    depth++;
  for (int i = depth; !rc && i < maxdepth && !done(s); i++)
    for (int j = 0; !rc && j < DAG_TRICKLE_REPEAT && !done(s); j++)
      rc = add_subtree(m, nd, i, s, lvl);
  return rc;
}

/* boxo's trickle.Append on the root. */
static int append(dag_mod_t *m, mnode_t *nd, msrc_t *s) {
  int depth, rep, rc;
  depth_info(m, nd, &depth, &rep);
  if (depth == 0) {
    if ((rc = fill_layer(m, nd, s)))
      return rc;
    if (done(s)) {
      if (dag__mtime_set(&nd->u))
        dag__mtime_now(m, &nd->u);
      return 0;
    }
    depth++;
  }
  if ((rc = fill_last_child(m, nd, depth - 1, rep, s, 0)))
    return rc;
  if (!done(s))
    depth++;
  for (int i = depth; !rc && !done(s); i++) {
    if (i > DAG_MOD_MAX_DEPTH)
      return TR_ETOOBIG;
    for (int j = 0; !rc && j < DAG_TRICKLE_REPEAT && !done(s); j++)
      rc = add_subtree(m, nd, i, s, 0);
  }
  return rc;
}

int dag__mod_append(dag_mod_t *m, mnode_t *n, msrc_t *s) {
  if (n->raw) {
    /* A raw block cannot have links: a File node whose first (and only)
     * link is the old block, with the modifier's prefix, and raw leaves
     * from here on whatever the options say. */
    dag_cid_t cid;
    int rc = dag_cid_sum(&cid, 1, DAG_CODEC_RAW,
                         n->mh == DAG_MH_IDENTITY && n->len > DAG_MH_IDENTITY_MAX
                             ? DAG_MH_SHA2_256
                             : n->mh,
                         n->blk, n->len);
    if (rc < 0)
      return rc;
    mnode_t f;
    dag__mnode_file(m, &f);
    if ((rc = dag__mnode_add(&f, &cid, n->len, n->len))) {
      dag__mnode_free(&f);
      return rc;
    }
    dag__mnode_free(n);
    *n = f;
    s->raw_leaves = true;
  }
  return append(m, n, s);
}

/*
 * trickle.c — the trickle layout of boxo's importer/trickle (Layout), as a
 * builder that leaves are pushed into one at a time.
 * What the layout is and what it guarantees is in importer.h; the leaves
 * themselves are cut and framed by importer.c, nodes encoded by emit.c.
 *
 * boxo's Layout is a recursion that pulls chunks:
 *
 *   fill(node, maxDepth):
 *     add leaves while node has fewer than max_links children and data remains
 *     for depth = 1; maxDepth == -1 || depth < maxDepth; depth++:
 *       for rep = 0; rep < 4 && data remains; rep++:
 *         node.add(fill(new node, depth))
 *
 * Here the recursion is a stack of frames, one per open node: a frame is
 * (maxdepth, the depth of the subtrees it is adding (0 while it takes
 * leaves), how many of that depth it has).  A leaf goes into the top frame
 * while it takes leaves; otherwise the top frame either is complete (its
 * next depth reached its limit: it is closed and becomes its parent's
 * child) or opens a child frame for its next subtree.  A node is opened
 * only when a leaf arrives for it, as boxo opens one only while data
 * remains, so the same chunks give the same nodes.  The stack holds at
 * most one frame per depth, each with at most max_links + 4 * depth links.
 */
#include "import_int.h"

#include "dagpb.h"

#include <errno.h>
#include <string.h>

/* ------------------------------------------------------------- frames */

typedef struct tframe {
  int maxdepth; /* -1 at the root: no limit */
  int depth;    /* 0 while taking leaves, else the depth being added */
  int rep;      /* subtrees of that depth added so far */
  size_t n;
  dag_pb_link_t *links;
  uint64_t *sizes;
} tframe_t;

struct dag__trickle {
  dag_cidb_t cb;
  size_t max_links, cap; /* cap: links a frame can hold */
  dag_put_cb put;
  void *ud;
  tframe_t fr[DAG_IMPORT_MAX_DEPTH];
  size_t sp; /* frames open */
  dag__nbuf_t nb;
};

int dag__trickle_new(dag__trickle_t **tp, const dag_cidb_t *cb,
                     size_t max_links, dag_put_cb put, void *ud) {
  dag__trickle_t *t = tr_calloc(1, sizeof *t);
  if (!t)
    return -ENOMEM;
  t->cb = *cb;
  t->max_links = max_links;
  /* Leaves, then 4 subtrees for each depth below the limit. */
  t->cap = max_links + DAG_TRICKLE_REPEAT * DAG_IMPORT_MAX_DEPTH;
  t->put = put;
  t->ud = ud;
  *tp = t;
  return 0;
}

void dag__trickle_free(dag__trickle_t *t) {
  if (!t)
    return;
  for (size_t i = 0; i < DAG_IMPORT_MAX_DEPTH; i++) {
    tr_free(t->fr[i].links);
    tr_free(t->fr[i].sizes);
  }
  dag__nbuf_free(&t->nb);
  tr_free(t);
}

void dag__trickle_reset(dag__trickle_t *t) { t->sp = 0; }

static int push(dag__trickle_t *t, int maxdepth) {
  if (t->sp == DAG_IMPORT_MAX_DEPTH)
    return TR_ETOOBIG;
  tframe_t *f = &t->fr[t->sp];
  if (!f->links) {
    f->links = tr_calloc(t->cap, sizeof *f->links);
    f->sizes = tr_calloc(t->cap, sizeof *f->sizes);
    if (!f->links || !f->sizes)
      return -ENOMEM;
  }
  f->maxdepth = maxdepth;
  f->depth = f->rep = 0;
  f->n = 0;
  t->sp++;
  return 0;
}

static void add(tframe_t *f, const dag_cid_t *cid, uint64_t tsize,
                uint64_t size) {
  dag_pb_link_t *lk = &f->links[f->n];
  lk->cid = *cid;
  lk->name = "";
  lk->name_len = 0;
  lk->has_name = true;
  lk->tsize = tsize;
  lk->has_tsize = true;
  f->sizes[f->n++] = size;
}

/* Close the top frame into a File node: the root's link goes to res, any
 * other's to its parent, which then has one more subtree of its depth. */
static int pop(dag__trickle_t *t, const dag_meta_t *meta,
               dag_import_result_t *res) {
  tframe_t *f = &t->fr[t->sp - 1];
  dag_unixfs_t u = {0};
  u.type = DAG_UNIXFS_FILE;
  u.has_filesize = true;
  for (size_t i = 0; i < f->n; i++)
    u.filesize += f->sizes[i];
  bool root = t->sp == 1;
  dag_unixfs_set_meta(&u, root ? meta : NULL);
  dag_cid_t cid;
  uint64_t tsize;
  int rc = dag__node_emit(&t->nb, &t->cb, &u, f->links, f->sizes,
                          f->n, t->put, t->ud, &cid, &tsize);
  if (rc)
    return rc;
  t->sp--;
  if (root) {
    res->cid = cid;
    res->tsize = tsize;
    res->size = u.filesize;
    return 0;
  }
  tframe_t *p = &t->fr[t->sp - 1];
  add(p, &cid, tsize, u.filesize);
  if (++p->rep == DAG_TRICKLE_REPEAT) {
    p->depth++;
    p->rep = 0;
  }
  return 0;
}

int dag__trickle_leaf(dag__trickle_t *t, const dag_cid_t *cid, uint64_t tsize,
                      uint64_t size) {
  int rc;
  if (t->sp == 0 && (rc = push(t, -1)))
    return rc;
  for (;;) {
    tframe_t *f = &t->fr[t->sp - 1];
    if (f->depth == 0 && f->n < t->max_links) {
      add(f, cid, tsize, size);
      return 0;
    }
    if (f->depth == 0)
      f->depth = 1;
    if (f->maxdepth != -1 && f->depth >= f->maxdepth)
      rc = pop(t, NULL, NULL);
    else
      rc = push(t, f->depth);
    if (rc)
      return rc;
  }
}

int dag__trickle_finish(dag__trickle_t *t, const dag_meta_t *meta,
                        dag_import_result_t *res) {
  int rc = 0;
  if (t->sp == 0)
    rc = push(t, -1); /* no data: the root alone, with no links */
  while (!rc && t->sp > 0)
    rc = pop(t, meta, res);
  t->sp = 0;
  return rc;
}

/*
 * mod_int.h — what modify.c (the modifier: buffering, overwrite, truncate),
 * mod_append.c (boxo's trickle.Append and the leaves it cuts) and
 * mod_node.c (the nodes they hold) share.  Calls go modify.c ->
 * mod_append.c -> mod_node.c.
 */
#ifndef DAG_MOD_INT_H
#define DAG_MOD_INT_H

#include "import_int.h"
#include "modify.h"

/* A node held while it changes: a raw leaf (blk is its bytes), or a dag-pb
 * UnixFS node (links and u are views into blk, an owned copy of the block,
 * or into memory of their own for links added here).  version and mh are
 * the CID prefix it is written with (boxo's CidBuilder). */
typedef struct mnode {
  bool raw;
  int version;
  uint64_t mh;
  uint8_t *blk;
  size_t len;
  dag_unixfs_t u; /* dag-pb only; u.filesize is kept up to date */
  dag_pb_link_t *links;
  uint64_t *bs; /* blocksizes, one per link */
  size_t n, cap;
} mnode_t;

/* Where appended bytes come from: a buffer, or zeros (boxo's zeroReader),
 * cut in chunks of a fixed size. */
typedef struct msrc {
  const uint8_t *p; /* NULL: zeros */
  uint64_t left;
  size_t chunk;
  bool raw_leaves;
  /* The leaf of one full zero chunk, made once. */
  bool zcached;
  dag_cid_t zcid;
  uint64_t ztsize;
} msrc_t;

struct dag_mod {
  dag_mod_opts_t o;
  dag_get_cb get;
  dag_put_cb put;
  void *ud;
  int err;         /* sticky */
  int version;     /* boxo's Prefix: the root's CID version and hash */
  uint64_t mh;
  bool raw_leaves;
  mnode_t cur;     /* the root (boxo's curNode) */
  dag_cid_t cur_cid;
  uint64_t cur_tsize;
  bool cur_dirty;  /* cur_cid is not cur's encoding yet */
  uint8_t *wb;     /* buffered writes (boxo's wrBuf) */
  size_t wb_len, wb_pos, wb_cap;
  bool wb_on;      /* a write since the last Sync (wrBuf != nil) */
  size_t piece;    /* bytes of the current io.Copy write */
  uint64_t wstart; /* boxo's writeStart */
  dag__nbuf_t nb;
};

/* Free what n holds and zero it. */
void dag__mnode_free(mnode_t *n);
/* A new File node with no links, of the modifier's prefix. */
void dag__mnode_file(dag_mod_t *m, mnode_t *n);
/* Load the block at cid; root: a type other than File or Raw is
 * TR_ENOTFILE (the file, as MFS checks it) rather than TR_EUNIXFS (a bad
 * child).  Errors: get's, TR_ECODEC, TR_EDAGPB, TR_EUNIXFS, TR_ETOOBIG
 * (over DAG_IMPORT_MAX_LINKS links), -ENOMEM. */
int dag__mnode_load_root(dag_mod_t *m, const dag_cid_t *cid, mnode_t *n,
                         bool root);
/* Load the block at cid as a child (any File or Raw node, or a raw leaf).
 * Errors: get's, TR_ECODEC, TR_EDAGPB, TR_EUNIXFS, -ENOMEM. */
int dag__mnode_load(dag_mod_t *m, const dag_cid_t *cid, mnode_t *n);
/* Append a link (empty name) and its blocksize; filesize grows with it. */
int dag__mnode_add(mnode_t *n, const dag_cid_t *cid, uint64_t tsize,
                   uint64_t size);
/* Encode n, put it, and give its CID and cumulative size. */
int dag__mnode_commit(dag_mod_t *m, mnode_t *n, dag_cid_t *cid,
                      uint64_t *tsize);
/* boxo's `!fsn.ModTime().IsZero()`. */
bool dag__mtime_set(const dag_unixfs_t *u);
/* Stamp opts.now into u's mtime (boxo's SetModTime(time.Now())), if the
 * caller gave a time. */
void dag__mtime_now(dag_mod_t *m, dag_unixfs_t *u);

/* boxo's appendData: append src's bytes to the root n (raw or dag-pb; a
 * raw one is first wrapped in a File node).  n is left uncommitted. */
int dag__mod_append(dag_mod_t *m, mnode_t *n, msrc_t *src);

#endif /* DAG_MOD_INT_H */

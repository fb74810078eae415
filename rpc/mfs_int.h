/*
 * mfs_int.h — what mfs.c (the tree and its edits) and mfs_node.c (single
 * nodes: reading, rewriting a node's metadata, the JSON answers) share.
 */
#ifndef RPC_MFS_INT_H
#define RPC_MFS_INT_H

#include "mfs.h"

/* Fail m with Kubo's message; returns rc. */
int mfs__fail(mfs_t *m, int rc, const char *fmt, ...) TR_PRINTF(3, 4);

/* A block through m's get callback. */
int mfs__get(mfs_t *m, const dag_cid_t *cid, const uint8_t **p, size_t *n)
    TR_WUR;

/* mfs__get as a dag_get_cb (ud is m). */
int mfs__get_cb(const dag_cid_t *cid, const uint8_t **p, size_t *n, void *m)
    TR_WUR;

/* Store a block in m->txn (a dag_put_cb, ud is m). */
int mfs__put(const dag_cid_t *cid, const uint8_t *data, size_t len, void *m)
    TR_WUR;

/* What a node is: DAG_NODE_DIR, DAG_NODE_FILE (files, raw blocks and
 * symlinks: MFS's "file"); TR_EUNIXFS for what MFS cannot hold. */
int mfs__kind(mfs_t *m, const dag_cid_t *cid, int *kind) TR_WUR;

/* A copy of the file or symlink node cid with its mode (set_mode) or mtime
 * (set_mtime) changed as boxo's File.SetMode/SetModTime change them, stored
 * in m->txn; its CID and cumulative size out. */
int mfs__node_meta(mfs_t *m, const dag_cid_t *cid, bool set_mode,
                   uint32_t mode, bool set_mtime, int64_t sec, uint32_t nsec,
                   dag_cid_t *out, uint64_t *tsize) TR_WUR;

/* mfs_hamt.c: set (val) or remove (val NULL: TR_EPATH when it is not
 * there) name in the HAMT whose root shard is root, rewriting the shards
 * on its path with pfx (the root shard with meta); the new root, its
 * cumulative size and its number of links out. */
int mfs__hamt_set(mfs_t *m, const dag_cid_t *root, const mfs_prefix_t *pfx,
                  uint64_t fanout, const dag_meta_t *meta, const char *name,
                  size_t len, const dag_cid_t *val, uint64_t val_tsize,
                  dag_cid_t *out, uint64_t *tsize, size_t *nroot) TR_WUR;
/* name's entry in the HAMT at root: TR_EPATH when there is none. */
int mfs__hamt_get(mfs_t *m, const dag_cid_t *root, const char *name,
                  size_t len, dag_cid_t *cid, uint64_t *tsize) TR_WUR;
/* The root shard again with meta and pfx. */
int mfs__hamt_meta(mfs_t *m, const dag_cid_t *root, const mfs_prefix_t *pfx,
                   uint64_t fanout, const dag_meta_t *meta, dag_cid_t *out,
                   uint64_t *tsize) TR_WUR;

/* boxo's SetModeFromUnixPermissions and SetModTime on a dag_meta_t. */
void mfs__meta_mode(dag_meta_t *meta, uint32_t mode);
void mfs__meta_mtime(dag_meta_t *meta, int64_t sec, uint32_t nsec);

/* ------------------------------------------ mfs.c: the tree, for mfs_ops.c */

/* A clean path's segments: s[i] points into it (not terminated), l[i] its
 * length. */
#define MFS__MAX_SEGS (MFS_PATH_MAX / 2)
typedef struct mfs__segs {
  const char *s[MFS__MAX_SEGS];
  size_t l[MFS__MAX_SEGS];
  size_t n;
} mfs__segs_t;

/* mfs_check_path, then the segments.  TR_EUSAGE (m->err). */
int mfs__parse(mfs_t *m, const char *path, char *clean, mfs__segs_t *sg)
    TR_WUR;
/* Follow sg's first k segments from the root (boxo's DirLookup, its
 * messages). */
int mfs__lookup_segs(mfs_t *m, const mfs__segs_t *sg, size_t k,
                     dag_cid_t *out) TR_WUR;
/* sg's first n segments joined by '/' (no leading one) into out. */
void mfs__join(const mfs__segs_t *sg, size_t n, char *out, size_t cap);

/* A directory being edited (mfs.c): its entries by name. */
typedef struct mfs__dir mfs__dir_t;
/* name's entry: 0, TR_EPATH when there is none, or a read's error. */
int mfs__dir_get(mfs_t *m, const mfs__dir_t *d, const char *name,
                 size_t len, dag_cid_t *cid, uint64_t *tsize) TR_WUR;
int mfs__dir_set(mfs_t *m, mfs__dir_t *d, const char *name, size_t len,
                 const dag_cid_t *cid, uint64_t tsize) TR_WUR;
/* Remove an entry that is there (every link of that name). */
int mfs__dir_del(mfs_t *m, mfs__dir_t *d, const char *name, size_t len)
    TR_WUR;
/* boxo's SetMode / SetModTime of a directory, its SetCidBuilder. */
void mfs__dir_meta(mfs__dir_t *d, bool set_mode, uint32_t mode,
                   bool set_mtime, int64_t sec, uint32_t nsec);
void mfs__dir_prefix(mfs__dir_t *d, const mfs_prefix_t *p);
/* An empty directory of prefix p, stored; its CID and size. */
int mfs__empty_dir(mfs_t *m, const mfs_prefix_t *p, dag_cid_t *cid,
                   uint64_t *tsize) TR_WUR;

/* mfs__edit's flags. */
enum {
  MFS__E_PARENTS = 1, /* make missing directories on the way (mkdir -p) */
  MFS__E_MKDIR = 2,   /* mkdir's message for a file on the way */
  /* The message when the directory edited itself is a file: boxo's
   * lookupDir (PutNode: cp), or Kubo's getParentDir (rm). */
  MFS__E_LOOKUPDIR = 4,
  MFS__E_GETPARENT = 8,
};

/* Edit the directory at sg's first k segments with fn (0: store the
 * change; 1: nothing changed), then store it and every directory above
 * it and record the new root. */
typedef int (*mfs__edit_fn)(mfs_t *m, mfs__dir_t *dir, void *ud);
int mfs__edit(mfs_t *m, const mfs__segs_t *sg, size_t k, unsigned flags,
              const mfs_prefix_t *newp, mfs__edit_fn fn, void *ud) TR_WUR;

#endif /* RPC_MFS_INT_H */

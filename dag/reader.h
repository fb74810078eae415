/*
 * reader.h — reading UnixFS DAGs: what a node is, resolving a path through
 * directories and HAMT shards, streaming a file's bytes (any byte range) and
 * listing a directory.  The counterpart of importer.h, and what `cat`,
 * `get`, `ls` and the gateway are built on.
 *
 * Sans-I/O: blocks come from the caller's get callback, which returns a view
 * that must stay valid until the operation returns (an LMDB read transaction
 * gives exactly that; so does an in-memory store).  Blocks are not verified
 * against their CIDs here: the blockstore verifies what it accepts.
 *
 * Everything read is untrusted.  Memory is bounded by the depth of the DAG,
 * not by its size: a file is walked with an explicit stack that grows with
 * the DAG's depth (at most DAG_READ_MAX_DEPTH frames of ~80 bytes), each a
 * view into one block plus a cursor;
 * links are decoded one at a time.  A File node must list one blocksize per
 * link (every importer writes them; a byte range is found with them) and
 * each child must produce exactly its blocksize when read in full, else
 * TR_EUNIXFS: a DAG that lies about its sizes is refused, not half-read.
 */
#ifndef DAG_READER_H
#define DAG_READER_H

#include "dagpb.h"
#include "unixfs.h"

/* Deepest file DAG walked.  Kubo's importers stay under 10 levels, but Kubo
 * reads any depth; a million levels costs ~80 MB of stack frames (and a
 * DAG of a million blocks to make). */
#define DAG_READ_MAX_DEPTH (1u << 20)

/* Fetch a block: 0 and a view, or a negative code (TR_ENOTFOUND when the
 * block is missing), which the operation returns. */
typedef int (*dag_get_cb)(const dag_cid_t *cid, const uint8_t **data,
                          size_t *len, void *ud);

enum {
  DAG_NODE_FILE = 1,    /* raw block, or UnixFS File/Raw */
  DAG_NODE_DIR = 2,     /* UnixFS Directory or HAMTShard */
  DAG_NODE_SYMLINK = 3, /* UnixFS Symlink */
};

typedef struct dag_node_info {
  int kind;              /* DAG_NODE_* */
  int unixfs_type;       /* DAG_UNIXFS_*, or -1 for a raw block */
  uint64_t size;         /* file: its size; symlink: target length; dir: 0 */
  const uint8_t *target; /* symlink target (view into the block) */
  size_t target_len;
  size_t nlinks;         /* dag-pb links of the node itself */
  bool has_mode, has_mtime;
  uint32_t mode;
  int64_t mtime_sec;
  uint32_t mtime_nsec;
} dag_node_info_t;

/* What cid is.  Errors: the get callback's, TR_ECODEC (neither raw nor
 * dag-pb), TR_EDAGPB, TR_EUNIXFS (no or bad UnixFS data, Metadata nodes). */
int dag_stat(const dag_cid_t *cid, dag_get_cb get, void *ud,
             dag_node_info_t *info) TR_WUR;

/* Follow path[0..len) ("a/b/c"; empty segments are skipped) from root
 * through Directory and HAMTShard nodes.  Sets *out.  Errors: TR_EPATH (no
 * such name), TR_ENOTDIR (a segment below something that is not a
 * directory), those of dag_stat() and dag_hamt_find(). */
int dag_resolve(const dag_cid_t *root, const char *path, size_t len,
                dag_get_cb get, void *ud, dag_cid_t *out) TR_WUR;

/* Stream bytes [offset, offset + length) of the file at cid (length
 * UINT64_MAX: to the end) to out, in order, in pieces that are views into
 * blocks.  Subtrees before offset are skipped with the blocksizes, not
 * read.  If out returns non-zero the walk stops and that value is returned.
 * Errors: TR_ENOTFILE (a directory or symlink), TR_EUNIXFS (sizes that do
 * not add up, a child that is not file data), TR_ETOOBIG (deeper than
 * DAG_READ_MAX_DEPTH), TR_EDAGPB, TR_ECODEC, the get callback's. */
typedef int (*dag_data_cb)(const uint8_t *p, size_t n, void *ud);
int dag_cat(const dag_cid_t *cid, uint64_t offset, uint64_t length,
            dag_get_cb get, void *ud, dag_data_cb out, void *oud) TR_WUR;

/* One directory entry; name is a view valid during the callback. */
typedef struct dag_dirent {
  const char *name;
  size_t name_len;
  dag_cid_t cid;
  uint64_t tsize;
} dag_dirent_t;
typedef int (*dag_dirent_cb)(const dag_dirent_t *e, void *ud);

/* Call cb for every entry of the directory at cid: a Directory's links in
 * order, or a HAMT's entries in shard order with the bucket prefixes taken
 * off.  Names are passed as stored: callers that write to a file system
 * must check them (dag_name_ok in importer.h).  cb returning non-zero stops
 * the listing with that value.  Errors: TR_ENOTDIR, TR_EUNIXFS (a malformed
 * shard, or a shard reached twice: see dag_ls_iter_t), -ENOMEM, those of
 * dag_stat().  A dag_ls_iter_t run to the end. */
int dag_ls(const dag_cid_t *cid, dag_get_cb get, void *ud, dag_dirent_cb cb,
           void *cud) TR_WUR;

/* -------------------------------------------------- resumable listing */

/* Deepest HAMT walked: 64 hash bits at 3 bits a level (fanout 8, the
 * smallest) make 21 levels below the root. */
#define DAG_LS_MAX_DEPTH 22

/* Called once for each directory node a walk enters (the directory itself,
 * then each HAMT shard), with its block; non-zero pauses the walk, which
 * resumes inside that node. */
typedef int (*dag_node_cb)(const dag_cid_t *cid, const uint8_t *blk,
                           size_t len, void *ud);

enum {
  /* A shard reached a second time is passed over (its blocks and entries
   * were already given once) instead of failing the walk: what a CAR with
   * each block once wants. */
  DAG_LS_SKIP_SEEN = 1,
};

/* A directory listing that can stop and resume, across read transactions:
 * it keeps CIDs and offsets, never views, and reloads the shards on its
 * path (at most DAG_LS_MAX_DEPTH) when run again.
 *
 * Hostile shapes cost no more than the blocks they are made of: a HAMT is a
 * tree, so a shard that holds links and is reached twice (several buckets,
 * or several shards, pointing at one child: a DAG that would list
 * 256^8 entries from a few kilobytes) fails the walk with TR_EUNIXFS, or is
 * passed over with DAG_LS_SKIP_SEEN.  So a walk reads each shard once and
 * gives each entry once; the set of shards seen costs 16 bytes a shard.
 * Initialise with dag_ls_iter_init(); free with dag_ls_iter_free(). */
typedef struct dag_ls_iter {
  dag_cid_t root;
  unsigned flags;
  dag_node_cb on_node; /* may be NULL */
  void *node_ud;
  bool started, done;
  int err;         /* the error that ended the walk */
  uint64_t fanout; /* the root shard's: every shard must have it */
  size_t sp;       /* frames in use */
  struct {
    dag_cid_t cid;
    size_t pos; /* offset of the next link in the block */
  } st[DAG_LS_MAX_DEPTH];
  tr_fpset_t seen;  /* fingerprints of the shards entered */
  uint64_t entries; /* entries given so far */
} dag_ls_iter_t;

void dag_ls_iter_init(dag_ls_iter_t *it, const dag_cid_t *cid,
                      unsigned flags, dag_node_cb on_node, void *node_ud);

/* Walk on: cb for each entry, on_node for each node entered, until the end
 * (0), until cb or on_node returns non-zero (that value; run again to go
 * on after the entry or inside the node it was called for) or an error
 * (those of dag_ls(); the walk cannot go on), except TR_ENOTFOUND: a block
 * is missing, and a run once it is there goes on from that block.  Views given to the
 * callbacks last as get's do. */
int dag_ls_iter_run(dag_ls_iter_t *it, dag_get_cb get, void *ud,
                    dag_dirent_cb cb, void *cud) TR_WUR;

void dag_ls_iter_free(dag_ls_iter_t *it);

#endif /* DAG_READER_H */

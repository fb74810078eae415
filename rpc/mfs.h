/*
 * mfs.h — Kubo's Mutable File System (`ipfs files`): one UnixFS directory
 * tree whose root CID the repo keeps (meta key MFS_ROOT_KEY), edited by
 * path.  No I/O of its own beyond the transaction it is given: the RPC
 * API (rpc_mfs.c, which fetches what the repo lacks) and the CLI run the
 * same code.
 *
 * Every change is whole when its transaction commits: the blocks of the
 * edited directory and of each directory above it, and the new root, in
 * that one transaction - so there is nothing to flush (`files flush`
 * answers the CID a path has) and a crash keeps the last committed tree.
 * GC keeps what the root reaches (blockstore/walk.c), as Kubo's GC keeps
 * the MFS root's blocks that are present; the caller holds the gc lock
 * shared while it changes the tree, as Kubo's MFS commands take its pin
 * lock, so a `files cp` of blocks no pin holds cannot race a GC.
 *
 * Directories come out as boxo's (v0.43) dynamic directory writes them: a
 * flat UnixFS Directory, or a HAMT when the links estimate (names plus CID
 * bytes) is over 256 KiB; a HAMT turns flat again only when a change makes
 * it smaller and it fits; links sorted by name; each directory keeps its
 * own CID version and hash (chcid changes them), new ones take the
 * prefix given (Import.CidVersion and HashFunction, or the command's).
 * Messages are Kubo's ("file does not exist", "file already exists", ...).
 */
#ifndef RPC_MFS_H
#define RPC_MFS_H

#include "../blockstore/bs.h"
#include "../dag/importer.h"
#include "../dag/reader.h"

#define MFS_ROOT_KEY BS_META_FILES_ROOT
#define MFS_ERR_MAX 512
/* Longest path taken (Kubo has no limit; a deeper tree is still read). */
#define MFS_PATH_MAX 4096

typedef struct mfs_prefix {
  int version;  /* 0 or 1 */
  uint64_t mh;  /* multihash function */
} mfs_prefix_t;

typedef struct mfs {
  bs_txn_t *txn;     /* a write transaction for the changes */
  /* content paths (NULL: mfs_resolve's own /ipfs/ walk) */
  int (*resolve)(struct mfs *m, const char *arg, dag_cid_t *out);
  dag_get_cb get;    /* reads (NULL: bs_get_cb on txn) */
  void *ud;
  mfs_prefix_t dflt; /* new directories and files */
  char err[MFS_ERR_MAX]; /* Kubo's message, when a call fails */
  int rc;            /* why the last JSON answer (NULL) failed */
} mfs_t;

/* Kubo's checkPath: "paths must not be empty", "paths must start with a
 * leading slash"; out gets the path cleaned as Go's path.Clean does, a
 * trailing '/' kept.  0 or TR_EUSAGE (m->err says why). */
int mfs_check_path(mfs_t *m, const char *in, char *out, size_t cap) TR_WUR;

/* The root (the empty CIDv0 directory when the repo has none yet). */
int mfs_root(mfs_t *m, dag_cid_t *root) TR_WUR;

/* The node at path (checked).  TR_ENOENT ("file does not exist"),
 * TR_ENOTDIR ("cannot access a/b: Not a directory"), the get callback's
 * (TR_ENOTFOUND: a block is missing). */
int mfs_lookup(mfs_t *m, const char *path, dag_cid_t *out) TR_WUR;

/* `files mkdir [-p]` with prefix p (NULL: m->dflt). */
int mfs_mkdir(mfs_t *m, const char *path, bool parents,
              const mfs_prefix_t *p) TR_WUR;

/* `files cp`: link node (a UnixFS node or raw block, tsize its
 * cumulative size) at dst; parents: make the directories above it; force:
 * replace a file there.  A dst ending in '/' is the caller's to complete
 * with the source's name. */
int mfs_put(mfs_t *m, const char *dst, const dag_cid_t *node,
            uint64_t tsize, bool parents, bool force) TR_WUR;

/* `files mv` (boxo's Mv: onto a file replaces it, onto a directory moves
 * into it). */
int mfs_mv(mfs_t *m, const char *src, const char *dst) TR_WUR;

/* `files rm` of one path: recursive for directories, force for anything
 * (and nothing there is no error). */
int mfs_rm(mfs_t *m, const char *path, bool recursive, bool force) TR_WUR;

/* `files chmod` and `files touch`: the UnixFS 1.5 mode (permission bits)
 * or mtime of a file or directory node.  A raw block becomes a dag-pb
 * File node holding its bytes, as boxo does. */
int mfs_chmod(mfs_t *m, const char *path, uint32_t mode) TR_WUR;
int mfs_touch(mfs_t *m, const char *path, int64_t sec, uint32_t nsec) TR_WUR;

/* `files chcid`: a directory (not the root) rewritten with prefix p. */
int mfs_chcid(mfs_t *m, const char *path, const mfs_prefix_t *p) TR_WUR;

/* Link the file node (cid, tsize) at path, replacing what is there, or
 * creating it when create (parents: the directories above too); what
 * `files write` does once its modifier has the file's new root. */
int mfs_set_file(mfs_t *m, const char *path, const dag_cid_t *cid,
                 uint64_t tsize, bool create, bool parents) TR_WUR;

/* `files write`: the bytes read from fd (at most count; -1: to its end)
 * written into the file at path from offset, through boxo's DagModifier
 * (dag/modify.h): the file made empty first with truncate, created with
 * create (the directories above with parents), its new leaves raw when
 * raw_leaves is 1, dag-pb when 0, as boxo picks when -1 (raw for a
 * CIDv1 file).  A new file takes pfx when has_pfx, else m->dflt. */
typedef struct mfs_write {
  const char *path;
  int64_t offset, count;
  bool create, parents, truncate;
  int raw_leaves;
  bool has_pfx;
  mfs_prefix_t pfx;
} mfs_write_t;
int mfs_write_fd(mfs_t *m, const mfs_write_t *w, int fd) TR_WUR;

/* The prefix a new file at path gets when none is asked for (boxo: the
 * parent directory's). */
int mfs_parent_prefix(mfs_t *m, const char *path, mfs_prefix_t *p) TR_WUR;

/* The cumulative size of a node (its block plus its links' Tsizes). */
int mfs_cumulative(mfs_t *m, const dag_cid_t *cid, uint64_t *size) TR_WUR;

/* Answers, as Kubo's JSON.  `files stat` of a node: {"Hash","Size",
 * "CumulativeSize","Blocks","Type"[,"Mode","Mtime","MtimeNsecs"]}, with
 * with_local also {"WithLocality","Local","SizeLocal"} (read in txn:
 * missing blocks counted, never fetched).  NULL on error (m->err). */
struct json_t;
struct json_t *mfs_stat_json(mfs_t *m, const dag_cid_t *cid, bool with_local);
/* `files ls`: {"Entries":[...]} of the directory or file at path (name
 * is the last segment, for a file); long adds Type, Size and Hash. */
struct json_t *mfs_ls_json(mfs_t *m, const char *path, bool long_) ;

/* ------------------------------------------------------------ commands */

/* One `files` command as Kubo runs it, for the API and the CLI alike. */
typedef enum {
  MFS_LS, MFS_STAT, MFS_FLUSH, /* reads */
  MFS_MKDIR, MFS_CP, MFS_MV, MFS_RM, MFS_CHCID, MFS_CHMOD, MFS_TOUCH
} mfs_op_t;

typedef struct mfs_cmd {
  mfs_op_t op;
  char **args; /* as given */
  size_t n;
  bool flag;  /* ls: long; stat: with-local; mkdir, cp: parents; rm: -r */
  bool force; /* cp, rm */
  bool has_pfx; /* mkdir, chcid: cid-version or hash given */
  mfs_prefix_t pfx;
  uint32_t mode;       /* chmod (parsed) */
  int64_t sec;         /* touch */
  uint32_t nsec;
} mfs_cmd_t;

/* Whether an argument is a content path (/ipfs/, /ipns/, /ipld/, ipfs://,
 * ipns://) rather than an MFS path: Kubo's NewPathFromURI. */
bool mfs_content_path(const char *p);

/* A content path's node (m->resolve when set, else an /ipfs/ path
 * followed through m's get). */
int mfs_resolve(mfs_t *m, const char *arg, dag_cid_t *out) TR_WUR;

/* Run c in m (a write transaction for a change: the caller commits it on
 * 0 and holds the gc lock shared).  *answer: the JSON answer of ls, stat
 * and flush.  rm's failures (each path is removed or fails on its own, as
 * Kubo's) are JSON string lines in lines, and the call returns 1 (the
 * caller commits what was removed, then fails with "can't remove some
 * files").  Else 0 or an error with m->err set; TR_ENOTFOUND when the
 * get callback found a block missing. */
int mfs_run(mfs_t *m, const mfs_cmd_t *c, struct json_t **answer,
            tr_bytes_t *lines) TR_WUR;

/* `add --to-files=to`: link one added top-level entry (name as added,
 * root cid) into MFS as Kubo's add does: under the directory to when it
 * ends in '/', else at to itself (only one entry: *linked says one was).
 * Errors with Kubo's messages ("to-files: ..."). */
int mfs_to_files(mfs_t *m, const char *to, const char *name,
                 const dag_cid_t *cid, bool *linked) TR_WUR;

/* The prefix of new directories and files: Kubo's Import.CidVersion and
 * Import.HashFunction from the repo's config (a hash other than sha2-256
 * makes CIDv1), CIDv0 sha2-256 when unset or unreadable. */
void mfs_import_prefix(const char *repo, mfs_prefix_t *p);

/* The command's parts that are parsed alike everywhere: getPrefix's
 * cid-version and hash (version -1 and hash NULL: not given) and chmod's
 * octal mode.  TR_EUSAGE with Kubo's message in err. */
int mfs_cmd_prefix(mfs_cmd_t *c, int64_t version, const char *hash,
                   char *err, size_t n) TR_WUR;
int mfs_cmd_mode(mfs_cmd_t *c, const char *mode, char *err, size_t n) TR_WUR;
/* touch's time from --mtime and --mtime-nsecs as Kubo takes them: now
 * when mtime is 0, else Go's time.Unix(mtime, nsecs) (whole seconds
 * carried out of nsecs). */
void mfs_cmd_touch_time(mfs_cmd_t *c, int64_t mtime, int64_t nsecs);

#endif /* RPC_MFS_H */

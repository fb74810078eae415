/*
 * importer.h — turning files, symlinks and directories into UnixFS DAGs with
 * the CIDs Kubo (boxo) and js ipfs-unixfs-importer give for the same bytes
 * and settings.  Sans-I/O: the caller feeds bytes and directory entries; the
 * importer hands every block it makes to a put callback (dag_put_cb in
 * unixfs.h), children before parents, and returns the root.
 *
 * Files (importer.c): the chunker cuts the stream into leaves (raw blocks,
 * or dag-pb UnixFS File nodes { Data, filesize }); leaves are grouped into
 * internal File nodes of at most max_links links each, with the balanced
 * layout of boxo's importer/balanced and js's layout/balanced: every node is
 * full except those on the right edge, all leaves at the same depth.  An
 * internal node's links carry an empty Name and Tsize = the cumulative size
 * of the child's serialised subtree; its UnixFS data is { Type File,
 * filesize, blocksizes = the file bytes under each child } - Type File also
 * with raw leaves.  A file that fits in one chunk is that single leaf
 * block; an empty file is one empty leaf (bafkreihdwdcef... raw, or
 * QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH as a v0 File leaf).
 * Memory is bounded: one chunk buffer plus, per tree level, the pending
 * links of the node being filled (at most max_links each); nothing grows
 * with the file.  Data can be read straight into the importer's buffer
 * (dag_file_space + dag_file_commit), so each byte is copied once and
 * hashed once.
 *
 * The trickle layout (trickle.c, layout = DAG_LAYOUT_TRICKLE; boxo's
 * importer/trickle Layout, `ipfs add --trickle`): every File node first
 * takes up to max_links leaves, then subtrees in groups of 4
 * (DAG_TRICKLE_REPEAT) of depth 1, 2, 3, ... below its own depth limit
 * (none at the root).  The root is always a dag-pb File node, also for a
 * file of one chunk (one link) or of none (no link: { Type File,
 * filesize 0 }, QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH in v0, with
 * or without raw leaves), so the metadata always goes into the root.  Its
 * dag-pb leaves are UnixFS Raw nodes { Type Raw, Data, filesize } (boxo's
 * FillNodeLayer), not File nodes as in the balanced layout.  Memory is
 * bounded as for the balanced layout: one node being filled per depth.
 *
 * Directories (dir.c): entries are collected, sorted by name bytes (dag-pb's
 * link order) and written as one UnixFS Directory node, or as a HAMT
 * (hamt.h) when the size estimate is strictly over hamt_threshold:
 *   DAG_HAMT_EST_LINKS  sum over links of name bytes + CID bytes (boxo's
 *                       legacy "links" estimate; profile unixfs-v0-2015)
 *   DAG_HAMT_EST_BLOCK  the byte length of the serialised directory block
 *                       (boxo's "block"; profile unixfs-v1-2025)
 * The estimate uses every entry with its final CID and Tsize, as Kubo's
 * MFS-based adder ends up doing.  (js ipfs-unixfs-importer differs in one
 * corner: it counts a subdirectory that has children as 0 bytes when it
 * decides, because the subdirectory has no CID yet.  Directories made only
 * of files and empty directories come out the same in both.)
 *
 * Metadata (UnixFS 1.5 mode and mtime, dag_meta_t) goes where boxo puts it
 * for Kubo's `add --preserve-mode/--preserve-mtime/--mode/--mtime`: into a
 * file's root when that is a dag-pb node (a single raw leaf cannot carry
 * it, and boxo drops it there), into a directory's node or its HAMT's root
 * shard (counted in the block estimate, as boxo counts it), into a symlink
 * node; nowhere else.  Without it nothing is written (Kubo's defaults).
 * Errors are negative
 * TR_* codes or the put callback's own value; after an error a builder only
 * accepts _free (file builders also _finish, which returns the error).
 */
#ifndef DAG_IMPORTER_H
#define DAG_IMPORTER_H

#include "../common/pool.h"
#include "chunker.h"
#include "unixfs.h"

/* File DAG layouts (dag_import_opts_t.layout). */
enum {
  DAG_LAYOUT_BALANCED = 0, /* boxo importer/balanced, Kubo's default */
  DAG_LAYOUT_TRICKLE = 1,  /* boxo importer/trickle, `ipfs add --trickle` */
};

enum {
  DAG_HAMT_EST_LINKS = 1,
  DAG_HAMT_EST_BLOCK = 2,
  DAG_HAMT_EST_DISABLED = 3,
};

/* Kubo's bounds: the balanced builder needs at least 2 links per node to
 * make progress; more than this would make nodes too big to exchange. */
#define DAG_IMPORT_MAX_LINKS 65536
/* A file DAG deeper than this would need more than 2^(2*16) leaves even at
 * 2 links per node; the builder refuses to grow past it (TR_ETOOBIG). */
#define DAG_IMPORT_MAX_DEPTH 32

typedef struct dag_import_opts {
  int cid_version;          /* CID version of dag-pb nodes: 0 or 1 */
  bool raw_leaves;          /* leaves as raw blocks (always CIDv1) */
  uint64_t mh_code;         /* multihash function, DAG_MH_SHA2_256 */
  const char *chunker;      /* Kubo chunker spec, see chunker.h */
  size_t max_links;         /* links per file node, 2..DAG_IMPORT_MAX_LINKS */
  int hamt_estimate;        /* DAG_HAMT_EST_* */
  uint64_t hamt_threshold;  /* shard when the estimate is > this */
  uint64_t hamt_fanout;     /* 256 */
  size_t dir_max_links;     /* a directory of more entries is a HAMT
                               whatever its size (boxo's MaxLinks, `add
                               --max-directory-links`; 0: no limit) */
  int layout;               /* DAG_LAYOUT_BALANCED (0, the default) or
                               DAG_LAYOUT_TRICKLE */
  size_t inline_below;      /* `add --inline`: blocks shorter than this get
                               identity CIDs (dag_cidb_t; 0: none) */
} dag_import_opts_t;

/* The CID builder of o's dag-pb nodes (raw leaves: dag_cidb_sum makes
 * them CIDv1). */
static inline dag_cidb_t dag_import_cidb(const dag_import_opts_t *o) {
  return (dag_cidb_t){o->cid_version, o->mh_code, o->inline_below};
}

/* Fill *o with a named profile (IPIP-499 / Kubo config profiles):
 *   "unixfs-v1-2025" (also NULL): CIDv1, raw leaves, sha2-256, size-1048576,
 *       1024 links, HAMT over 262144 bytes by the block estimate, fanout 256
 *   "unixfs-v0-2015" (alias "legacy-cid-v0"): CIDv0, dag-pb leaves,
 *       sha2-256, size-262144, 174 links, HAMT over 262144 by the links
 *       estimate, fanout 256
 * Errors: TR_EUSAGE (unknown name). */
int dag_import_profile(dag_import_opts_t *o, const char *name) TR_WUR;

/* What an import produced. */
typedef struct dag_import_result {
  dag_cid_t cid;   /* the root */
  uint64_t tsize;  /* cumulative size: the bytes of every block of the DAG,
                      the Tsize a link to it carries */
  uint64_t size;   /* file bytes (0 for directories and symlinks) */
} dag_import_result_t;

/* ---------------------------------------------------------------- files */

typedef struct dag_file dag_file_t;

/* A file builder for options o (copied; o->chunker is parsed here).  It can
 * import any number of files one after the other: dag_file_finish() leaves
 * it ready for the next.  Errors: TR_EUSAGE (bad options: version, links,
 * CIDv0 with a hash other than sha2-256), TR_ECHUNKER, -ENOMEM. */
int dag_file_new(dag_file_t **f, const dag_import_opts_t *o, dag_put_cb put,
                 void *ud) TR_WUR;
void dag_file_free(dag_file_t *f);

/* Metadata for the file in progress (call it before the file's first
 * byte), NULL for none; copied; cleared by _finish and _reset.  With dag-pb
 * leaves the first leaf is then held back (one chunk copied) until a second
 * shows it is not the root. */
void dag_file_set_meta(dag_file_t *f, const dag_meta_t *m);

/* Hash the leaves of each run of input on up to threads of pool's threads
 * (common/pool.h; 0: all of them; NULL, a pool of one thread or threads
 * 1: on the caller, as without this call; an import that writes leaves a
 * core to its writer thread):
 * the chunks a call can cut are hashed at once, then put and linked in
 * order, so the blocks, their order and the CIDs are those of a
 * sequential import.  Not for a file whose first dag-pb leaf is held
 * back for metadata, nor for dag-pb leaves hashed with other than
 * sha2-256 (those stay sequential).  With a pool the buffer that
 * dag_file_space shows grows to two chunks a thread (16 MiB at most), so
 * a reader that fills it gives the pool enough chunks.  Call it before
 * the file's first byte.  0 or -ENOMEM (f unchanged). */
int dag_file_set_pool(dag_file_t *f, tr_pool_t *pool,
                      unsigned threads) TR_WUR;

/* Zero-copy input: the free space of the builder's buffer, where the caller
 * may write (e.g. read(2)) up to *room bytes (always > 0) and then call
 * dag_file_commit() with the count.  The pointer is valid until the next
 * call on f. */
uint8_t *dag_file_space(dag_file_t *f, size_t *room);
/* Account n bytes written at dag_file_space(); emits every complete chunk.
 * Errors: TR_EUSAGE (n larger than the room), the put callback's, those of
 * hashing. */
int dag_file_commit(dag_file_t *f, size_t n) TR_WUR;
/* Copying input: the same as space + memcpy + commit, any length. */
int dag_file_write(dag_file_t *f, const void *p, size_t n) TR_WUR;
/* Whole chunks given to dag_file_write() are put where they lie, not
 * copied, when the leaves are raw and nothing is buffered: every leaf
 * the call can cut is put before any node it completes (so the nodes'
 * puts may use the memory after the last leaf, as blockstore/pipe.h's
 * room does: bytes after the whole chunks must not be given in the same
 * call from such memory).  With a fixed-size chunker every run of a
 * multiple of this many bytes is made of such chunks, so a caller that
 * can place its input (bs_pipe_room) reads runs of whole chunks; 0
 * (another chunker, dag-pb leaves, bytes buffered) when there is no such
 * length. */
size_t dag_file_inplace(const dag_file_t *f);
/* File bytes taken so far. */
uint64_t dag_file_bytes(const dag_file_t *f);
/* End of the file: emits the last chunk and the internal nodes, fills *res
 * and resets f for the next file.  Returns the first error the file met,
 * if any (f is reset all the same). */
int dag_file_finish(dag_file_t *f, dag_import_result_t *res) TR_WUR;

/* Drop the file in progress (after a read error, say) and make f ready for
 * the next one.  Blocks already handed to put stay where put put them. */
void dag_file_reset(dag_file_t *f);

/* One-shot import of data[0..len) (tests, small inputs). */
int dag_import_bytes(const dag_import_opts_t *o, const void *data, size_t len,
                     dag_put_cb put, void *ud, dag_import_result_t *res) TR_WUR;

/* ------------------------------------------------------------- symlinks */

/* A UnixFS Symlink node { Type Symlink, Data target } (no filesize, as boxo
 * writes it), with meta's mtime if any (Kubo's adder stores no mode for a
 * symlink: meta's mode is ignored), as a dag-pb block of o->cid_version.
 * Errors: TR_EUSAGE (empty target or over 4096 bytes), the put callback's. */
int dag_import_symlink(const dag_import_opts_t *o, const char *target,
                       size_t len, const dag_meta_t *meta, dag_put_cb put,
                       void *ud, dag_import_result_t *res) TR_WUR;

/* ---------------------------------------------------------- directories */

typedef struct dag_dir dag_dir_t;

/* A directory builder; like dag_file_t it is reusable after _finish.
 * Errors: TR_EUSAGE (bad options), -ENOMEM. */
int dag_dir_new(dag_dir_t **d, const dag_import_opts_t *o, dag_put_cb put,
                void *ud) TR_WUR;
void dag_dir_free(dag_dir_t *d);

/* Add an entry (name and CID are copied).  The name must be a valid path
 * segment: not empty, not "." or "..", no '/' and no NUL (TR_EUNSAFE).
 * Errors: TR_EUNSAFE, -ENOMEM. */
int dag_dir_add(dag_dir_t *d, const char *name, size_t name_len,
                const dag_cid_t *cid, uint64_t tsize) TR_WUR;
/* Metadata for the directory in progress (NULL: none); copied; cleared by
 * _finish. */
void dag_dir_set_meta(dag_dir_t *d, const dag_meta_t *m);

/* Entries added so far. */
size_t dag_dir_count(const dag_dir_t *d);
/* Emit the directory (flat or HAMT), fill *res, reset d.  Errors: TR_EEXIST
 * (two entries with the same name), those of dag_hamt_build(), the put
 * callback's, -ENOMEM. */
int dag_dir_finish(dag_dir_t *d, dag_import_result_t *res) TR_WUR;

/* The size estimate dag_dir_finish() compares with the threshold, for the
 * entries added so far (tests, and the CLI's progress messages). */
uint64_t dag_dir_estimate(const dag_dir_t *d);

/* True when name[0..len) is a safe path segment (see dag_dir_add). */
bool dag_name_ok(const char *name, size_t len);

#endif /* DAG_IMPORTER_H */

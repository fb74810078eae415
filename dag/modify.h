/*
 * modify.h — changing a UnixFS file DAG in place, block for block as boxo's
 * DagModifier (ipld/unixfs/mod, v0.43.0) does it under Kubo's MFS, so that
 * `trove files write` gives the CIDs `ipfs files write` gives.
 *
 * Sans-I/O: blocks come in through a get callback (reader.h) and every block
 * made goes out through a put callback (unixfs.h); what was stored stays.
 *
 * The model is one MFS file descriptor, as Kubo's `files write` drives it:
 *
 *   dag_mod_new       open the file (its root CID, or NULL: a new empty one)
 *   dag_mod_truncate  Truncate(size) (--truncate is Truncate(0))
 *   dag_mod_seek      Seek(offset) (--offset)
 *   dag_mod_write     the bytes, as io.Copy hands them over
 *   dag_mod_finish    Close: flush and take the new root
 *
 * and the operations do what boxo's do, quirks included:
 *
 *   - Writes are buffered (boxo's wrBuf) and applied ("Sync") when the
 *     buffer passes wbuf_max (2 MiB) at the end of one copy_size (32 KiB)
 *     write, as io.Copy makes them, and at seek, truncate and finish.  So
 *     the leaves of a long write come in runs of 8 x 256 KiB + 32 KiB, as
 *     Kubo's do, however the caller slices the bytes it passes.
 *   - A Sync first overwrites the bytes inside the file: the leaves under
 *     them are rewritten with the same length (raw stays raw with its own
 *     CID prefix, dag-pb stays dag-pb with its own), their parents get the
 *     new CIDs but keep the old Tsize values, as boxo's modifyDag does.
 *     What lies past the end is appended with boxo's trickle.Append, cut
 *     in chunk_size (256 KiB) chunks, new nodes with the root's CID version
 *     and hash, new leaves raw or dag-pb (UnixFS Raw) per raw_leaves.
 *     Append continues the trickle shape where boxo thinks it stopped,
 *     which for a balanced DAG or after some appends is not what `add
 *     --trickle` of the whole file would give: the CIDs are boxo's.
 *   - A raw root that grows becomes a File node whose first link is the
 *     old raw block; a dag-pb leaf root (a one-chunk `ipfs add`) keeps its
 *     data and takes links after it.
 *   - Seeking (or truncating) past the end first appends zeros, cut in
 *     4096-byte chunks (boxo's expandSparse).
 *   - Truncation (boxo's dagTruncate) cuts the child holding the new end
 *     and drops the children after it; a cut exactly at a child boundary
 *     keeps the next child truncated to nothing; a dag-pb leaf that is cut
 *     becomes a CIDv0 node whatever its CID was (boxo's NodeWithData).
 *   - At finish, with raw leaves, a root with one link to a raw leaf and
 *     no mode or mtime collapses to that leaf (boxo's GetNode).
 *   - Where boxo stamps time.Now() into an mtime already present (a leaf
 *     rewritten or cut, an append to a root without subtrees), the
 *     modifier writes opts.now when has_now is set, else keeps the mtime.
 *
 * Memory is bounded by the DAG's depth and the write buffer, not by the
 * file: the nodes on the path being changed (at most DAG_MOD_MAX_DEPTH,
 * each a copy of its block plus its decoded links, at most
 * DAG_IMPORT_MAX_LINKS) and wbuf_max + copy_size bytes of buffered writes.
 * Zeros appended by a seek past the end are never held: one zero chunk's
 * CID is computed once per append and reused.
 *
 * Everything read is untrusted.  A root that is not a file is refused
 * (TR_ENOTFILE: Directory, HAMTShard, Symlink, Metadata; TR_ECODEC: neither
 * dag-pb nor raw).  A node whose blocksizes do not match its links, sizes
 * that point past a leaf's data, a child that is not file data, sums that
 * overflow: TR_EUNIXFS.  A DAG deeper than DAG_MOD_MAX_DEPTH where a change
 * must go: TR_ETOOBIG.  A missing block: the get callback's code
 * (TR_ENOTFOUND).  Offsets and sizes above DAG_MOD_MAX_SIZE: TR_ETOOBIG.
 * After any error the modifier only returns that error (finish too) and
 * must be freed; blocks already put stay put.
 *
 * Not reproduced: identity-hashed nodes over 128 bytes switch to sha2-256
 * as boxo's do, but always keep their own CID version; unknown protobuf
 * fields of a UnixFS message that Go would carry over are dropped; links
 * of a File node are not re-sorted by name (boxo sorts them; file links
 * have empty names).
 */
#ifndef DAG_MODIFY_H
#define DAG_MODIFY_H

#include "importer.h"
#include "reader.h"

/* Deepest chain of nodes a change walks or builds. */
#define DAG_MOD_MAX_DEPTH 32
/* Largest offset or file size accepted (2^62). */
#define DAG_MOD_MAX_SIZE ((uint64_t)1 << 62)

/* raw_leaves: as boxo's mfs.File, raw when the root's CID is v1. */
#define DAG_MOD_RAW_DEFAULT (-1)

typedef struct dag_mod_opts {
  int raw_leaves;      /* DAG_MOD_RAW_DEFAULT, 0 or 1 (files write
                          --raw-leaves) */
  int cid_version;     /* only for a new file (root NULL): 0 or 1 */
  uint64_t mh_code;    /* only for a new file; 0: sha2-256 */
  size_t max_links;    /* 0: 174 (helpers.DefaultLinksPerBlock) */
  size_t chunk_size;   /* 0: 262144 (chunker.DefaultSplitter) */
  size_t copy_size;    /* 0: 32768 (io.Copy's buffer) */
  size_t wbuf_max;     /* 0: 2097152 (boxo's writebufferSize) */
  bool has_now;        /* the time to stamp into existing mtimes */
  int64_t now_sec;
  uint32_t now_nsec;
} dag_mod_opts_t;

typedef struct dag_mod dag_mod_t;

/* Open the file at root (NULL: make the empty file node { Type File,
 * filesize 0 } of o->cid_version and o->mh_code and put it, as `files
 * write --create` does) for changes.  get and put share ud.  o may be NULL
 * (all defaults).  Errors: TR_EUSAGE (bad options), TR_ENOTFILE,
 * TR_ECODEC, TR_EDAGPB, TR_EUNIXFS, get's, put's, -ENOMEM. */
int dag_mod_new(dag_mod_t **m, const dag_cid_t *root, const dag_mod_opts_t *o,
                dag_get_cb get, dag_put_cb put, void *ud) TR_WUR;
void dag_mod_free(dag_mod_t *m);

/* The file's size now, counting buffered writes (boxo's Size). */
uint64_t dag_mod_size(const dag_mod_t *m);

/* Apply buffered writes, then set the size: cut the DAG, or append zeros.
 * Errors: TR_ETOOBIG (size over DAG_MOD_MAX_SIZE), those listed above. */
int dag_mod_truncate(dag_mod_t *m, uint64_t size) TR_WUR;

/* Apply buffered writes, then move the write position to offset, appending
 * zeros first when it lies past the end.  Errors: as truncate. */
int dag_mod_seek(dag_mod_t *m, uint64_t offset) TR_WUR;

/* Write p[0..n) at the position, which moves on.  Buffered; applied as
 * described above.  Errors: TR_ETOOBIG (the end would pass
 * DAG_MOD_MAX_SIZE), those of a Sync, -ENOMEM. */
int dag_mod_write(dag_mod_t *m, const void *p, size_t n) TR_WUR;

/* Apply buffered writes and give the file's root (after the collapse
 * described above), its cumulative size (Tsize) and file size.  The
 * modifier stays open on the new root, as a descriptor after Flush.
 * Errors: the first error met, those of a Sync. */
int dag_mod_finish(dag_mod_t *m, dag_import_result_t *res) TR_WUR;

#endif /* DAG_MODIFY_H */

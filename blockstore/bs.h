/*
 * bs.h — trove's blockstore: one LMDB environment per repo holding blocks,
 * the link index, pins and repo metadata.  This header is the manual.
 *
 * Layout (named LMDB databases):
 *   blocks  multihash -> block bytes.  CIDv0 and CIDv1 of the same bytes share
 *           one entry; identity CIDs are never stored (their bytes are in the
 *           CID).
 *   links   multihash of a dag-pb/dag-cbor block -> the binary CIDs of its
 *           children, concatenated.  Written by bs_put(); GC and refs read it
 *           so they never decode blocks.
 *   pins    binary CID -> pin record (type, time, name).
 *   meta    "schema" -> version, and other repo-wide values.
 *
 * Concurrency: LMDB's.  Any number of readers (threads or processes) run
 * beside one writer and never block it or each other.  A read transaction
 * sees a snapshot; a block returned by bs_get() is a view into the map valid
 * until its transaction ends (like mdb_get()).  Write transactions are
 * serialised by LMDB.  GC additionally takes the repo's "gc lock"
 * exclusively, and an import holds it shared for its whole run, so GC can
 * never collect blocks an import has written but not pinned yet (Kubo's
 * GCLock/PinLock).
 *
 * Durability: every commit is synced (no MDB_NOSYNC); a crash at any instant
 * leaves the last committed state.  The map grows by itself: a write batch
 * that would outgrow it commits what it has, doubles the map and goes on.
 *
 * Errors: 0 or a negative code from common/tr.h; LMDB failures map to
 * TR_ENOTFOUND, TR_EMAPFULL, TR_ESTORE or -errno.
 */
#ifndef BS_H
#define BS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "../dag/cid.h"

/* 2: the keyspace index (bs_kspace_range); 3: its log (kspace.c); 4:
 * dag-json blocks' links in the links index; 5: dag-jose and git-raw
 * blocks' too (before, walks took them for leaves, and GC removed what
 * they link to).  A repo of an older schema is brought up to date at its
 * first writable open; a trove that knows an older schema refuses a
 * newer repo. */
#define BS_SCHEMA_VERSION 5
/* Largest block accepted (bitswap's limit is 2 MiB; we allow a little more
 * for imports with odd chunkers, and refuse the rest). */
#define BS_MAX_BLOCK (4u << 20)
/* Default budget of a write batch: it commits on its own once the pages
 * it dirtied (its values' pages, leaves and branches) or its values'
 * bytes reach it.  A transaction's dirty pages live in LMDB's heap until
 * the commit (or, with the write map, in our mapping: 237 MiB of RSS for
 * a 256 MiB commit), so they are an import's peak RSS; a stream's large
 * values commit sooner (BS_BATCH_STREAM_CAP: a 1 GiB add stays under
 * 64 MiB).  One budget for both, not 32 MiB of values and twice that of
 * pages as before: small blocks commit where they did (their pages reach
 * 64 MiB first), and blocks of ~10 KB every ~50 MiB instead of 32, which
 * halves the commits of bench_blockstore's mix (system time 1.3-1.9 ->
 * 1.0-1.3 s; bench/README.md).  TROVE_BATCH_MB overrides it. */
#define BS_BATCH_BYTES (64u << 20)

typedef struct bs_env bs_env_t;
typedef struct bs_txn bs_txn_t;

/* ---------------------------------------------------------- environment */

enum {
  BS_CREATE = 1,  /* create the repo files if missing (trove init) */
  BS_RDONLY = 2,  /* open for reading only */
};

/* Open the repo at path (a directory).  Without BS_CREATE a directory that
 * holds no repo gives TR_ENOREPO; a repo with a newer schema gives
 * TR_ESCHEMA.  *env is set only on success; close it with bs_close(). */
int bs_open(bs_env_t **env, const char *path, unsigned flags) TR_WUR;
void bs_close(bs_env_t *env);
const char *bs_path(const bs_env_t *env);

/* --------------------------------------------------------- transactions */

/* Begin a transaction (BS_RDONLY for a read-only snapshot).  A thread holds
 * at most ONE transaction at a time, read or write: transactions hold the
 * map lock shared and growing the map takes it exclusively, so nesting two
 * in one thread can deadlock.  Other threads and processes are free to run
 * their own.  Returns 0 and sets *txn. */
int bs_txn_begin(bs_env_t *env, unsigned flags, bs_txn_t **txn) TR_WUR;
/* Commit (and free) a write transaction; for a read one it just ends it.
 * On failure the transaction is aborted and freed all the same. */
int bs_txn_commit(bs_txn_t *txn) TR_WUR;
void bs_txn_abort(bs_txn_t *txn);

/* ---------------------------------------------------------------- blocks */

/* Look a block up.  *data stays valid until txn ends.  Identity CIDs are
 * answered from the CID itself: their bytes are copied into txn's memory,
 * so that the view, like any other, outlives the caller's dag_cid_t (a
 * reader decodes a child's CID into a local and hands the view on; cat
 * vmsplices it later).  Errors: TR_ENOTFOUND. */
int bs_get(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t **data,
           size_t *len) TR_WUR;
/* bs_get() shaped as dag/reader.h's dag_get_cb, with the transaction as
 * its ud: what every reader of UnixFS DAGs over the store passes. */
int bs_get_cb(const dag_cid_t *cid, const uint8_t **data, size_t *len,
              void *txn) TR_WUR;

/* 1 if present (stored, or referenced in the filestore), 0 if not,
 * negative on error. */
int bs_has(bs_txn_t *txn, const dag_cid_t *cid) TR_WUR;
/* bs_has for stored blocks alone: a filestore reference does not count
 * (Kubo's `filestore dups`). */
int bs_stored(bs_txn_t *txn, const dag_cid_t *cid) TR_WUR;

/* Store a block the caller has already verified against cid (the importer
 * computed the hash; bitswap and CAR import verify first).  Records the
 * block's links when its codec has them.  Storing a block twice is a no-op.
 * Errors: TR_ETOOBIG (over BS_MAX_BLOCK), TR_EDAGPB/TR_ECBOR (a dag-pb or
 * dag-cbor block that does not parse: nothing is stored), TR_EMAPFULL. */
int bs_put(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t *data,
           size_t len) TR_WUR;

/* One block in a write transaction of its own, pinned recursively when
 * pin (block put, dag put): bs_put's errors, bs_pin_add's, the commit's;
 * nothing is stored on error. */
int bs_put_one(bs_env_t *env, const dag_cid_t *cid, const uint8_t *data,
               size_t len, bool pin) TR_WUR;

/* Verify data against cid, then bs_put().  TR_EMISMATCH stores nothing. */
int bs_put_verified(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t *data,
                    size_t len) TR_WUR;

/* Remove a block (and its links entry).  TR_ENOTFOUND if absent.  Does not
 * look at pins: the CLI's block rm refuses pinned blocks itself. */
int bs_del(bs_txn_t *txn, const dag_cid_t *cid) TR_WUR;

/* The children of a block as recorded in the links index (an identity
 * CID's: parsed from the CID itself).  Calls cb for each child CID in link
 * order; stops early when cb returns non-zero and returns that value.  A
 * block with no entry has no children (raw, or a leaf; an identity CID
 * that does not parse). */
typedef int (*bs_link_cb)(const dag_cid_t *child, void *data);
int bs_links(bs_txn_t *txn, const dag_cid_t *cid, bs_link_cb cb,
             void *data) TR_WUR;

/* Visit root and every block reachable from it through the links index,
 * depth-first, pre-order, each multihash once: the order of `ipfs dag
 * export`.  A child whose block is missing is still visited (its links are
 * unknown, so nothing below it is).  cb returns non-zero to stop; that value
 * is returned.  Memory: the DAG's depth plus a set of the blocks seen. */
typedef int (*bs_visit_cb)(const dag_cid_t *cid, void *ud);
int bs_dag_walk(bs_txn_t *txn, const dag_cid_t *root, bs_visit_cb cb,
                void *ud) TR_WUR;

/* Iterate over every stored block as a CIDv1 with the raw codec (the store
 * is keyed by multihash and does not know codecs, as Kubo's `refs local`).
 * cb may return non-zero to stop; that value is returned. */
typedef int (*bs_block_cb)(const dag_cid_t *cid, const uint8_t *data,
                           size_t len, void *ud);
int bs_foreach(bs_txn_t *txn, bs_block_cb cb, void *ud) TR_WUR;

/* The keyspace index: every stored block's multihash (identity ones are
 * not stored) in the order of SHA-256 of the multihash, where the DHT
 * files its provider records (kspace.c).  From the first key >= from, cb
 * gets each key h and the multihash mh[0..mhl) (views valid until txn
 * ends) until it returns non-zero (that value is returned) or the index
 * ends (0).  Exact: kept by bs_put, bs_del and GC in their transactions -
 * except that GC deletes blocks first and their entries in a second pass,
 * so a GC killed between the two leaves entries of deleted blocks (never
 * a stored block without one), which the next GC's list finds and drops.
 * TR_ESCHEMA when the repo has no complete index (a repo of schema 1
 * opened read-only: a writable open builds it). */
typedef int (*bs_kspace_cb)(const uint8_t h[32], const uint8_t *mh,
                            size_t mhl, void *ud);
int bs_kspace_range(bs_txn_t *txn, const uint8_t from[32], bs_kspace_cb cb,
                    void *ud) TR_WUR;

/* Drop this process's page-table entries for the repo's map: the pages
 * stay in the page cache and fault back in when touched.  For a reader
 * that wanders the whole file over hours (the reprovider), whose touched
 * pages - and the neighbours the kernel maps with each fault - would
 * otherwise add up to the file's size in RSS.  Safe beside other threads'
 * transactions. */
void bs_release_map(bs_env_t *env);
/* bs_release_map when this process's file-backed resident memory
 * (/proc/self/statm's shared pages: the map's pages it has read, with the
 * neighbours each fault maps, and its libraries' text) is above keep
 * bytes.  For a process that reads the map for hours (the daemon: every
 * block it serves is read through it), whose RSS would otherwise grow
 * toward the size of what it has served.  1 when it released, 0 when
 * under keep, a negative errno when statm could not be read. */
int bs_trim_map(bs_env_t *env, uint64_t keep);

/* The same for one view p[0..n) that a bs_get() in txn returned, once the
 * caller is done with its bytes: the whole pages of the map under it leave
 * this process's page tables, so that a reader streaming a large file
 * (cat) holds a few pages of it in RSS, not all of them.  The view stays
 * valid until txn ends (touched again, it faults back in) - except a
 * filestore block's (below), whose buffer a release that reaches its end
 * frees: such a view must not be touched after its release, nor an
 * identity CID's, whose buffer goes once its views are all released.
 * Memory that is not the map (a write transaction's own pages) is left
 * alone, so any view of txn may be passed. */
void bs_txn_release(bs_txn_t *txn, const void *p, size_t n);

/* -------------------------------------------- frozen copies (frozen.c)
 *
 * A block's bytes as a sealed file, for sending without a copy.  A view
 * of the map cannot go to a socket by reference (sendfile, splice,
 * vmsplice): the kernel would hold page-cache pages of data.mdb that a
 * later write transaction may rewrite in place while they still wait in a
 * socket's queue (on loopback, in the reader's receive queue), so the
 * reader would get the new bytes (measured: http/stream.h).  A frozen
 * copy is a memfd written once and sealed against writes, shrinking and
 * growing (F_SEAL_WRITE, F_SEAL_SHRINK, F_SEAL_GROW): nothing can change
 * its pages while it exists, and when it is dropped the kernel frees each
 * page only once the last socket lets go of it.
 *
 * The environment keeps the copies of the blocks served most recently,
 * keyed by multihash, within BS_FROZEN_MAX bytes and BS_FROZEN_FILES
 * copies (least recently used go first).  A block gets one on its second request seen among recent ones
 * (a file streamed once is not copied twice), and only past BS_FROZEN_MIN
 * bytes (smaller bodies cost little to copy).  A copy is valid while the
 * deletion generation (BS_DEL_GEN, bumped by every transaction that
 * deletes blocks) is the one it was made under: a block deleted and
 * stored again (a scrubber's repair) is never served from its old copy.
 * Thread-safe: one mutex per environment, held for lookups only (the copy
 * is made outside it).  In memory only (shmem): nothing on disk.
 * TROVE_FROZEN_MB, read when the environment opens, sets the bound in MiB
 * (0: no copies, every body from the map). */
#define BS_FROZEN_MIN (64u << 10)
#define BS_FROZEN_MAX (64u << 20)
/* And at most this many (each holds a file descriptor), nor more than an
 * eighth of RLIMIT_NOFILE's soft limit. */
#define BS_FROZEN_FILES 128u

typedef struct bs_frozen bs_frozen_t;

/* The frozen copy of the block cid, whose bytes data[0..len) a bs_get()
 * in txn returned: 0 with *fd (a sealed file of len bytes, the block's
 * bytes at offset 0) and *fz, a reference that keeps *fd open until
 * bs_frozen_put(); the caller must not close *fd.  TR_ENOTFOUND when there
 * is none to give: too small, first seen, a failure making it (memfd).
 * Errors: those of reading the deletion generation. */
int bs_frozen_get(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t *data,
                  size_t len, bs_frozen_t **fz, int *fd) TR_WUR;
/* bs_frozen_get for a copy that exists already: never makes one, nor
 * counts as a request (for a caller that only tries, as the gateway does
 * on its event loop before it goes to the worker pool). */
int bs_frozen_find(bs_txn_t *txn, const dag_cid_t *cid, size_t len,
                   bs_frozen_t **fz, int *fd) TR_WUR;
/* Let go of a reference from bs_frozen_get or _find (NULL: nothing). */
void bs_frozen_put(bs_env_t *env, bs_frozen_t *fz);
/* The most bytes of copies env keeps (default BS_FROZEN_MAX; 0: none,
 * and those kept are dropped). */
void bs_frozen_set_max(bs_env_t *env, size_t max);
/* Copies held and their bytes, for tests and metrics. */
void bs_frozen_stats(bs_env_t *env, size_t *count, size_t *bytes);

/* ----------------------------------------------------------------- batch */

/* A batch is a write transaction that commits on its own when the pages
 * it dirtied (estimated: see batch.c) or its values' bytes reach
 * batch_bytes (0 = BS_BATCH_BYTES), and grows the map when needed.  Use
 * it for imports: bs_batch_txn() gives the current transaction for
 * bs_put() and friends, bs_batch_reserve() tells it what is about to be
 * put, and bs_batch_end() commits the rest.  Everything put
 * before a commit survives a crash of the process, and everything put
 * before bs_batch_end's a power cut too (the commits in between: see
 * bs_batch_durable_next); a pin written in the last step covers a
 * complete DAG. */
typedef struct bs_batch bs_batch_t;
int bs_batch_begin(bs_env_t *env, size_t batch_bytes, bs_batch_t **b) TR_WUR;
/* Commit also when the large values (BS_BATCH_LARGE bytes or more) put
 * since the last commit reach bytes, if that is below the batch's budget.
 * For a producer that overlaps its work with the batch's commits
 * (pipe.h): once it is done, what is left to write is at most that much.
 * Only large values count: their commit costs their bytes, where a
 * commit of small ones costs its leaves and syncs, which a shorter batch
 * pays more often (a 50,000-file tree took 0.86 s where it took 0.70). */
void bs_batch_cap_values(bs_batch_t *b, size_t bytes);
#define BS_BATCH_LARGE (64u << 10)
/* The cap of the batches that store a stream while its producer goes on
 * hashing (pipe.h, `trove dag import`): once the producer is done, what
 * is left for the writer is one such batch to write, and the commits come
 * closer together.  A 512 MiB add took 0.52-0.62 s at 16 MiB against
 * 0.64-0.70 s at the default 32 (bench/README.md). */
#define BS_BATCH_STREAM_CAP (16u << 20)
bs_txn_t *bs_batch_txn(bs_batch_t *b);
/* Account n bytes about to be written; may commit and start a new
 * transaction (growing the map first if needed).  Call before each put. */
int bs_batch_reserve(bs_batch_t *b, size_t n) TR_WUR;
/* Commit (commit != 0) or abort what is pending, and free the batch. */
int bs_batch_end(bs_batch_t *b, int commit) TR_WUR;

/* Called after each commit bs_batch_reserve() makes on its own (not after
 * bs_batch_end's: its caller knows), with every put before it committed:
 * it survives the process's crash, and a power cut too when
 * bs_batch_durable_next() asked for that since the previous commit: the
 * moment to report as added what that commit stored.  Replaces an
 * earlier callback; cb NULL removes it. */
typedef void (*bs_batch_commit_cb)(void *ud);
void bs_batch_on_commit(bs_batch_t *b, bs_batch_commit_cb cb, void *ud);

/* What is put so far will be reported after the next commit
 * bs_batch_reserve() makes on its own: that commit also syncs its meta
 * page (a second fdatasync) before the callback runs, so that a power cut
 * cannot take back what was reported.  The other intermediate commits
 * skip that sync (a power cut may roll them back, never to an
 * inconsistent state); bs_batch_end's commit syncs them all. */
void bs_batch_durable_next(bs_batch_t *b);

/* Test hook: with TROVE_DEBUG_KILL_COMMIT=N in the environment, the
 * process SIGKILLs itself when its Nth batch commit is due, just before
 * it (counted over every batch of the process, bs_batch_end's included):
 * the moment when the most is put and not yet committed (after a 200 ms
 * pause, so that what earlier commits made true has been handed out).
 * tests/it_import_kill.sh uses it to kill an import between a batch's
 * intermediate commits. */

/* Put through a batch: reserve + put. */
int bs_batch_put(bs_batch_t *b, const dag_cid_t *cid, const uint8_t *data,
                 size_t len) TR_WUR;

/* ------------------------------------------------------------------ undo */

/* All or nothing for an import that commits as it goes (dag import: a CAR
 * with one bad block must leave nothing behind, yet is stored through a
 * batch while it is verified, not verified whole first).  Put through
 * bs_undo_put(), which records the key of each block the put stored new;
 * when the import fails, end the batch and bs_undo_run() deletes those
 * blocks again.  Blocks that were in the repo before are never touched, nor
 * any block a pin made meanwhile reaches (the pin generation moved: the
 * undo then spares what GC's mark keeps).  Nothing here pins.  A crash
 * before the undo is done leaves the import's blocks unpinned: the next GC
 * takes them.  The log costs 1 + the multihash's bytes per new block, in
 * memory up to 1 MiB, then in an unlinked file in the repo directory.  One
 * thread at a time (the batch's). */
typedef struct bs_undo bs_undo_t;
/* Start a log (reads the pin generation: call it with no transaction of
 * this thread open).  0, -ENOMEM or LMDB's errors; *u set on success. */
int bs_undo_new(bs_env_t *env, bs_undo_t **u) TR_WUR;
/* bs_batch_put() that records cid when the put stored it new.  0, or
 * bs_batch_put's errors, -ENOMEM, or the spill file's -errno. */
int bs_undo_put(bs_undo_t *u, bs_batch_t *b, const dag_cid_t *cid,
                const uint8_t *data, size_t len) TR_WUR;
/* Blocks recorded so far. */
uint64_t bs_undo_count(const bs_undo_t *u);
/* bs_pin_add(txn, cid, BS_PIN_RECURSIVE, name, missing) for a root of the
 * import that succeeded, without looking up the blocks it stored new: a
 * pin's completeness walk otherwise looks up every block of the DAG, and
 * each lookup maps its B-tree leaf and the kernel's fault-around (a
 * 200k-block import: ~390 MiB of RSS).  Exact: the blocks the log
 * recorded are known stored while the deletion generation has not moved
 * since bs_undo_new (every deletion bumps it); when it has, every block is
 * looked up.  Blocks the import found present are looked up always
 * (another import's undo or a block rm may have taken them).  Call in a
 * write transaction that sees every commit of the import. */
int bs_undo_pin(bs_undo_t *u, bs_txn_t *txn, const dag_cid_t *cid,
                const char *name, dag_cid_t *missing) TR_WUR;
/* Add to u what older (an earlier import, succeeded) recorded, for
 * bs_undo_pin over both; u's deletion generation becomes older's.  Only
 * bs_undo_pin sees older's blocks: bs_undo_run deletes u's own.  What
 * the two remember is bounded (bs_int.h's BS__STORED_MAX): past that,
 * bs_undo_pin looks the blocks up. */
void bs_undo_merge(bs_undo_t *u, const bs_undo_t *older);
/* Delete the recorded blocks, UNDO_CHUNK per write transaction, the last
 * commit durable.  Call after bs_batch_end(b, 0), with no transaction of
 * this thread open.  Recorded blocks that are absent (put in the aborted
 * batch) are skipped.  *removed (may be NULL) gets the blocks deleted.
 * The log stays as it was (a second run finds them gone).  LMDB's errors,
 * -errno (mapping the spill file), -ENOMEM (the mark). */
int bs_undo_run(bs_undo_t *u, uint64_t *removed) TR_WUR;
void bs_undo_free(bs_undo_t *u);

/* ---------------------------------------------------------------- writer */

/* The one batching writer for blocks that arrive from the network: any
 * thread queues a verified block (copied), one thread writes whatever is
 * queued in one batch and commits, then reports the highest sequence
 * number now durable.  Many peers' blocks so cost one commit per wake-up,
 * not one each, and the loop never waits for the disk.  Blocks are put
 * unverified (the caller hashed them: bitswap checks every block against
 * its CID before it gets here). */
typedef struct bs_writer bs_writer_t;
/* Called on the writer thread after each commit (also a failed one: the
 * blocks then are not in the store, and readers find them missing):
 * every block queued with a sequence number <= seq has been handled. */
typedef void (*bs_writer_cb)(void *ud, uint64_t seq);

/* Bytes of blocks queued before bs_writer_put() refuses more. */
#define BS_WRITER_QUEUE_MAX (256u << 20)

/* 0, -ENOMEM, or pthread's error (negative). */
int bs_writer_new(bs_env_t *env, bs_writer_cb cb, void *ud,
                  bs_writer_t **out) TR_WUR;
/* Queue a block; its sequence number (> 0), or 0 when refused: the queue
 * holds BS_WRITER_QUEUE_MAX bytes already, the writer is closing, or no
 * memory.  Thread-safe. */
uint64_t bs_writer_put(bs_writer_t *w, const dag_cid_t *cid,
                       const uint8_t *data, size_t len);
/* Blocks written and commits, since bs_writer_new. */
void bs_writer_stats(bs_writer_t *w, uint64_t *blocks, uint64_t *commits);
/* Write what is queued, stop the thread (the callback runs for the last
 * time before this returns) and free. */
void bs_writer_free(bs_writer_t *w);

/* ------------------------------------------------------------------ pins */

enum {
  BS_PIN_DIRECT = 1,
  BS_PIN_RECURSIVE = 2,
  BS_PIN_INDIRECT = 4, /* reported by bs_pin_ls() only, never stored */
  BS_PIN_ALL = 7,
};

#define BS_PIN_NAME_MAX 255

typedef struct bs_pin {
  dag_cid_t cid;
  int type;           /* BS_PIN_DIRECT or BS_PIN_RECURSIVE */
  uint64_t created;   /* unix seconds */
  char name[BS_PIN_NAME_MAX + 1];
  dag_cid_t via;      /* for BS_PIN_INDIRECT: a recursive pin reaching it */
} bs_pin_t;

/* Pin cid.  A recursive pin first checks that every block of the DAG is
 * present (through the links index); if one is missing it fails with
 * TR_EINCOMPLETE, sets *missing (when not NULL) and pins nothing.  A direct
 * pin needs only the root block.  Pinning recursively over a direct pin
 * upgrades it; a direct pin over a recursive one fails with TR_EPINTYPE, as
 * in Kubo.  name may be NULL. */
int bs_pin_add(bs_txn_t *txn, const dag_cid_t *cid, int type,
               const char *name, dag_cid_t *missing) TR_WUR;

/* Unpin.  recursive=false refuses a recursive pin (TR_EPINTYPE).  A CID that
 * is only pinned indirectly gives TR_EINDIRECT; one not pinned at all
 * TR_ENOTPINNED. */
int bs_pin_rm(bs_txn_t *txn, const dag_cid_t *cid, bool recursive) TR_WUR;

/* boxo's dspinner Update: from must be pinned recursively (else
 * TR_ENOTPINNED) and to not (TR_EPINTYPE); to gets a recursive pin with
 * from's name, then from's pin goes when unpin is set.  A to that is not
 * whole gives TR_EINCOMPLETE (*missing set, as bs_pin_add) or
 * TR_ENOTFOUND (to itself absent), and nothing changes.  from equal to to
 * is 0 and changes nothing. */
int bs_pin_update(bs_txn_t *txn, const dag_cid_t *from, const dag_cid_t *to,
                  bool unpin, dag_cid_t *missing) TR_WUR;

/* Pin state of cid: fills *pin and returns 1 if pinned (directly,
 * recursively, or, when types includes BS_PIN_INDIRECT, through a recursive
 * pin - that costs a walk of every recursive DAG); 0 if not pinned. */
int bs_pin_get(bs_txn_t *txn, const dag_cid_t *cid, int types,
               bs_pin_t *pin) TR_WUR;

/* List pins of the given types (BS_PIN_* mask).  Indirect pins are each
 * reported once, with one recursive pin that reaches them.  cb returns
 * non-zero to stop. */
typedef int (*bs_pin_cb)(const bs_pin_t *pin, void *ud);
int bs_pin_ls(bs_txn_t *txn, int types, bs_pin_cb cb, void *ud) TR_WUR;

/* Check that every recursive pin's DAG is complete and every block in it
 * hashes to its CID.  cb is called once per pin with status 0 (ok),
 * TR_EINCOMPLETE or TR_EMISMATCH and, for a failure, the bad CID. */
typedef int (*bs_pin_verify_cb)(const bs_pin_t *pin, int status,
                                const dag_cid_t *bad, void *ud);
int bs_pin_verify(bs_txn_t *txn, bs_pin_verify_cb cb, void *ud) TR_WUR;

/* -------------------------------------------------------------------- gc */

typedef struct bs_gc_stats {
  uint64_t live;      /* blocks reachable from pins */
  uint64_t removed;   /* blocks deleted */
  uint64_t freed;     /* bytes of block data deleted */
  /* Where the time went, in microseconds (all rounds): marking, listing
   * the garbage, deleting it. */
  uint64_t mark_us, list_us, delete_us;
  /* Blocks a second thread looked up before the deletes got to them
   * (blockstore/ahead.c): their page faults were off the deleting one. */
  uint64_t read_ahead;
} bs_gc_stats_t;

/* Delete exactly the blocks no pin reaches.  Marks through the links index
 * in a read snapshot (readers and writers go on), lists the garbage by the
 * keyspace index, then deletes it 8192 blocks per write transaction (and
 * their keyspace entries after them, see bs_kspace_range).  A pin made meanwhile bumps
 * the pin generation, and GC marks again before deleting more; so killed at
 * any instant it leaves every pinned and reachable block intact (some
 * garbage may be left).  cb (may be NULL) sees each removed block, and
 * NULL once after each mark, when no transaction of GC's is open (a mark is
 * repeated when a pin lands meanwhile); a non-zero return stops GC with
 * that value.  Takes the gc lock exclusively; waits for running imports. */
typedef int (*bs_gc_cb)(const dag_cid_t *removed, void *ud);
int bs_gc(bs_env_t *env, bs_gc_cb cb, void *ud, bs_gc_stats_t *stats) TR_WUR;

/* Hold the gc lock shared for the duration of an import: GC waits until
 * bs_gc_unlock().  Returns a lock handle >= 0 or -errno. */
int bs_gc_lock_shared(bs_env_t *env) TR_WUR;
/* bs_gc_lock_shared() that never waits: -EWOULDBLOCK while a GC holds the
 * lock (for callers on a shared pool, which must not sit on a lock). */
int bs_gc_trylock_shared(bs_env_t *env) TR_WUR;
void bs_gc_unlock(int handle);

/* ---------------------------------------------------------------- verify */

/* Rehash every stored block.  cb sees each corrupt block (as a raw CIDv1,
 * see bs_foreach).  With drop, corrupt blocks are deleted in one commit at
 * the end.  checked and corrupt (may be NULL) count the blocks. */
typedef int (*bs_corrupt_cb)(const dag_cid_t *cid, void *ud);
int bs_verify(bs_env_t *env, bool drop, bs_corrupt_cb cb, void *ud,
              uint64_t *checked, uint64_t *corrupt) TR_WUR;

/* bs_verify in pieces, for a scrubber that must never hold a read
 * transaction long (a long reader keeps LMDB from reusing pages): rehash,
 * in txn, the blocks after the key after[0..after_len) in key order
 * (after_len 0: from the first), until max_blocks blocks or max_bytes
 * bytes have been hashed (0: no limit; at least one block is) or the store
 * ends.  cb (may be NULL) sees each corrupt block, as bs_verify's; its
 * non-zero return stops and is returned.  *pos gets the key of the last
 * block hashed (a copy: it outlives txn; the caller passes it as after in
 * the next transaction), the blocks, bytes and corrupt blocks of this
 * call, and end: no block follows.  Errors: TR_EUSAGE (after_len over
 * BS_KEY_MAX), LMDB's. */
#define BS_KEY_MAX DAG_MH_MAX
typedef struct bs_verify_pos {
  uint8_t key[BS_KEY_MAX];
  size_t key_len;
  uint64_t blocks, bytes, corrupt;
  bool end;
} bs_verify_pos_t;
int bs_verify_from(bs_txn_t *txn, const uint8_t *after, size_t after_len,
                   uint64_t max_blocks, uint64_t max_bytes, bs_corrupt_cb cb,
                   void *ud, bs_verify_pos_t *pos) TR_WUR;

/* In a write transaction: delete cid's block (bs_del) if its bytes do not
 * hash to it - checked again here, since a good copy may have replaced
 * it after a read transaction found it corrupt.  1 if deleted, 0 if not
 * (absent, or good), or an error. */
int bs_drop_corrupt(bs_txn_t *txn, const dag_cid_t *cid) TR_WUR;

/* ------------------------------------------------------------------ stat */

typedef struct bs_stat {
  uint64_t blocks;      /* number of stored blocks */
  uint64_t block_bytes; /* sum of their sizes */
  uint64_t repo_bytes;  /* bytes of data.mdb LMDB has written (high mark) */
  uint64_t data_bytes;  /* of those, the pages holding data (the rest is
                           LMDB's free list: space GC freed, which new
                           writes reuse and bs_compact() gives back) */
  uint64_t file_bytes;  /* size of data.mdb on disk */
  uint64_t map_bytes;   /* current map size */
  uint64_t pins;        /* direct + recursive pins */
  uint64_t refs;        /* filestore references to blocks not stored */
  uint64_t ref_bytes;   /* the sum of their sizes (in the user's files) */
} bs_stat_t;

int bs_stat(bs_env_t *env, bs_stat_t *st) TR_WUR;

/* The number of blocks stored as of txn, in constant time (LMDB keeps the
 * count): cheap enough to poll, as pin add's --progress does. */
int bs_count(bs_txn_t *txn, uint64_t *blocks) TR_WUR;

/* Rewrite the repo at path without its free pages, so that the file shrinks
 * after a GC (LMDB reuses freed pages but never shortens data.mdb).  Needs
 * the repo to itself: fails with TR_EINUSE while any other process (a
 * daemon, an add) has it open.  Copies with MDB_CP_COMPACT into
 * data.mdb.compact beside it, syncs, and renames it over data.mdb: a crash
 * at any point leaves either the old file or the new one.  before and
 * after (may be NULL) get the file's size. */
int bs_compact(const char *path, uint64_t *before, uint64_t *after) TR_WUR;

/* ------------------------------------------------------------------ meta */

/* The meta key of the MFS root (rpc/mfs.h): a binary CID that GC keeps
 * as a root, as it keeps pins. */
#define BS_META_FILES_ROOT "files-root"
/* Small repo-wide values (config, identity). *val is valid until txn ends.
 * bs_meta_get: TR_ENOTFOUND when absent. */
int bs_meta_get(bs_txn_t *txn, const char *key, const uint8_t **val,
                size_t *len) TR_WUR;
int bs_meta_put(bs_txn_t *txn, const char *key, const void *val,
                size_t len) TR_WUR;

/* ---------------------------------------------------------- export.c */

/* Resumable reads for streamed answers (dag export, refs, refs local, the
 * trustless gateway's CARs).  Each step runs in whatever transaction the
 * caller passes at that moment - a fresh short read transaction per piece
 * is the intended use - because the state holds CIDs and offsets, never
 * views into the map.  Not thread-safe: one thread at a time per object. */

/* A depth-first, pre-order walk of the DAG under root over the links index:
 * the root first (depth 0), then each child in link order followed by its
 * own subtree.  With BS_WALK_UNIQUE each block is reported once (a repeated
 * block's subtree is not walked again; blocks are told apart by 64-bit
 * fingerprints of their multihashes, so a collision - odds about n^2/2^65
 * for n blocks - would skip a block); without it every edge is followed, a
 * shared subtree as often as it is linked.  max_depth >= 0 stops below that
 * depth (-1: no limit); with BS_WALK_UNIQUE a block met again higher up
 * than before is then walked again, not reported (Kubo's refs -u
 * --max-depth: its subtree now reaches deeper).  Identity CIDs are
 * reported like others (their bytes are in the CID). */
enum { BS_WALK_UNIQUE = 1 };
typedef struct bs_walk bs_walk_t;
int bs_walk_new(const dag_cid_t *root, unsigned flags, int max_depth,
                bs_walk_t **w) TR_WUR;
/* The next block: returns 1 and sets *cid, *parent (zeroed for the root)
 * and *depth (parent and depth may be NULL); 0 when the walk is over.
 * Errors: TR_ENOTFOUND when a block of the DAG is not in the store (*cid
 * is then that block: a reader stops there; a checker such as the
 * scrubber may call again, and the walk goes on after the missing block,
 * whose own children are unknown), TR_ECORRUPT, -ENOMEM.  Any depth: the
 * stack grows with the DAG. */
int bs_walk_next(bs_walk_t *w, bs_txn_t *txn, dag_cid_t *cid,
                 dag_cid_t *parent, int *depth) TR_WUR;
/* Walk root's DAG next, with the same flags and depth, remembering what
 * the walks before reported: with BS_WALK_UNIQUE a block reported under an
 * earlier root is neither reported nor walked again under this one (Kubo's
 * `refs -u A B` and `provide once -r A B` keep one seen set across their
 * arguments).  The root itself is always reported, seen or not, and is not
 * remembered: a later root's walk reports it where it is linked, as Kubo's
 * refs writer does. */
void bs_walk_restart(bs_walk_t *w, const dag_cid_t *root);
void bs_walk_free(bs_walk_t *w);

/* A CARv1 of the DAG under root, as `ipfs dag export` writes it: the header
 * with that one root, then one section per block, depth-first pre-order,
 * each block once (go-car v2's TraverseV1 without duplicate puts; blocks
 * with identity CIDs are left out, as go-car does by default).  The same
 * bytes as `trove dag export` (cmd_dag.c over bs_dag_walk), resumable. */
typedef struct bs_car_export bs_car_export_t;
int bs_car_export_new(const dag_cid_t *root, bs_car_export_t **x) TR_WUR;
/* Write the next bytes of the CAR into buf[0..cap): returns the count
 * (> 0), 0 at the end, or an error: TR_ENOTFOUND (a block is missing:
 * bs_car_export_missing() names it; what was written so far is a truncated
 * CAR, so a streaming caller must cut its response visibly), TR_EBUFSIZE
 * (cap smaller than the header, about 60 bytes, on the first call), the
 * walker's errors.  Sections are cut across calls as cap requires. */
int64_t bs_car_export_read(bs_car_export_t *x, bs_txn_t *txn, uint8_t *buf,
                           size_t cap) TR_WUR;
const dag_cid_t *bs_car_export_missing(const bs_car_export_t *x);
/* Blocks and block bytes written so far. */
void bs_car_export_stats(const bs_car_export_t *x, uint64_t *blocks,
                         uint64_t *bytes);
void bs_car_export_free(bs_car_export_t *x);

/* bs_foreach() that starts after the block stored under the multihash
 * after[0..after_len) (after_len 0: from the first block), in key order, so
 * that a listing can be continued in a later transaction from the last
 * block it reported.  cb returning non-zero stops and is returned. */
int bs_foreach_from(bs_txn_t *txn, const uint8_t *after, size_t after_len,
                    bs_block_cb cb, void *ud) TR_WUR;

/* ------------------------------------------- the filestore (filestore.c)
 *
 * Kubo's filestore (`add --nocopy`, Experimental.FilestoreEnabled): a raw
 * block whose bytes stay in a file the user keeps, which the store
 * references by path, offset and size instead of holding a copy, so that
 * an archive of terabytes is not stored twice.
 *
 * Records: the named database "filestore", multihash -> boxo's DataObj
 * protobuf { FilePath = 1, Offset = 2, Size = 3 }, the values Kubo keeps
 * under /filestore/.  FilePath is relative to the root, '/'-separated.
 * The root is the directory that holds the repo (Kubo's filepath.Dir of
 * the repo path: ~ for ~/.trove); only files below it can be referenced.
 *
 * What the rest of the store does with a referenced block:
 *   bs_get     reads the file and checks that its bytes hash to the CID
 *              (boxo's readFileDataObj), each time: a file changed or
 *              gone gives TR_EFSCHANGED or TR_EFSFILE, never wrong bytes.
 *              A block both stored and referenced is read from the store.
 *              The view is a buffer of the transaction's, valid until it
 *              ends or until bs_txn_release() of it (which frees it).
 *   bs_has     stored or referenced (the file is not looked at, as boxo).
 *   bs_del     removes both; GC removes unreachable references as it
 *              removes blocks (the files are never touched).
 *   the keyspace index holds referenced blocks too: they are provided.
 *   bs_foreach, bs_verify and bs_count see stored blocks only; the
 *   references have bs_fs_range and bs_fs_count. */
#define BS_FS_PATH_MAX 4096

/* boxo's filestore.Status, with its values and words (bs_fs_status_str:
 * "ok", "error", "no-file", "changed", "ERROR", "missing"). */
enum {
  BS_FS_OK = 0,
  BS_FS_FILE_ERROR = 10, /* the file could not be read */
  BS_FS_NO_FILE = 11,    /* the file is not there */
  BS_FS_CHANGED = 12,    /* its bytes there no longer hash to the CID */
  BS_FS_OTHER = 20,      /* a record that does not parse */
  BS_FS_MISSING = 30,    /* no reference for that CID */
};
const char *bs_fs_status_str(int status);

typedef struct bs_fsref {
  char path[BS_FS_PATH_MAX]; /* relative to the root, as stored */
  uint64_t offset, size;
} bs_fsref_t;

/* The root: an absolute path without a trailing '/' ("/" itself aside). */
const char *bs_fs_root(const bs_env_t *env);

/* Reference cid's block as the bytes [offset, offset + size) of the file
 * abspath (absolute; "." and ".." are resolved by name, symlinks are not,
 * as Go's filepath.Clean), which the caller has read and hashed.  A block
 * stored or referenced already is left as it is (boxo's Filestore.Put):
 * 0 all the same.  Errors: TR_EFSOUTSIDE (abspath is not below the root;
 * bs_fs_outside_msg words it as Kubo does), TR_ETOOBIG (size over
 * BS_MAX_BLOCK, a path over BS_FS_PATH_MAX), TR_EUSAGE (not absolute; not
 * a raw CID). */
int bs_fs_put(bs_txn_t *txn, const dag_cid_t *cid, const char *abspath,
              uint64_t offset, uint64_t size) TR_WUR;
/* abspath's path as bs_fs_put would record it: cleaned, relative to the
 * root, into rel[0..BS_FS_PATH_MAX).  bs_fs_put's path errors; for an
 * importer that refuses a file before it reads it. */
int bs_fs_relpath(const bs_env_t *env, const char *abspath,
                  char rel[BS_FS_PATH_MAX]) TR_WUR;
/* Kubo's message for TR_EFSOUTSIDE: "cannot add filestore references
 * outside ipfs root (<root>)", into buf. */
void bs_fs_outside_msg(const bs_env_t *env, char *buf, size_t cap);

/* cid's reference (by its multihash): 0 and *ref; TR_ENOTFOUND;
 * TR_ECORRUPT for a record that does not parse. */
int bs_fs_get(bs_txn_t *txn, const dag_cid_t *cid, bs_fsref_t *ref) TR_WUR;

/* Read ref's bytes into buf (ref->size bytes) and check them against cid:
 * BS_FS_OK, _NO_FILE, _CHANGED (also a file now too short) or _FILE_ERROR,
 * with boxo's message in msg[0..cap) for the others ("data in file did
 * not match. <path> offset <n>", "open <abspath>: no such file or
 * directory", ...).  Needs no transaction. */
int bs_fs_read(const bs_env_t *env, const dag_cid_t *cid,
               const bs_fsref_t *ref, uint8_t *buf, char *msg,
               size_t cap) TR_WUR;

/* Remove cid's reference (a stored copy stays): TR_ENOTFOUND when there is
 * none.  Its keyspace entry goes with it unless the block is stored. */
int bs_fs_del(bs_txn_t *txn, const dag_cid_t *cid) TR_WUR;

/* Each reference in multihash order, from the first after the multihash
 * after[0..after_len) (0: from the first): cb gets it as a raw CIDv1, the
 * record (NULL when it does not parse: status BS_FS_OTHER) and returns
 * non-zero to stop; that value is returned, 0 at the end.  So a long
 * listing can go on in a later transaction after the last CID it saw. */
typedef int (*bs_fs_cb)(const dag_cid_t *cid, const bs_fsref_t *ref,
                        void *ud);
int bs_fs_range(bs_txn_t *txn, const uint8_t *after, size_t after_len,
                bs_fs_cb cb, void *ud) TR_WUR;

/* The number of references, in constant time. */
int bs_fs_count(bs_txn_t *txn, uint64_t *n) TR_WUR;

/* ------------------------------------------------- named databases (kv.c) */

/* Modules above the blockstore keep their own records in the repo's LMDB
 * environment, each in a named database of its own, so that their writes
 * commit in the same transactions as blocks and pins (the mirror's pin
 * objects beside bs_pin_add).  The names "blocks", "links", "pins",
 * "meta", "kspace", "kslog" and "filestore" are the blockstore's; BS_DB_MAX named databases in
 * all, theirs included.  A handle lives as long as the environment. */
#define BS_DB_MAX 16
typedef uint32_t bs_db_t;

/* Open the database name (created when the environment is writable, in a
 * write transaction of its own: call it at start, from one thread, and not
 * while this thread holds a transaction).  TR_ENOTFOUND (a read-only repo
 * without it), TR_EUSAGE (a name of the blockstore's), TR_ELIMIT (past
 * BS_DB_MAX). */
int bs_db_open(bs_env_t *env, const char *name, bs_db_t *db) TR_WUR;

/* Get: *val stays valid until txn ends.  TR_ENOTFOUND. */
int bs_kv_get(bs_txn_t *txn, bs_db_t db, const void *key, size_t klen,
              const uint8_t **val, size_t *vlen) TR_WUR;
/* Put (replacing).  Keys are 1..511 bytes (LMDB's limit): TR_ETOOBIG. */
int bs_kv_put(bs_txn_t *txn, bs_db_t db, const void *key, size_t klen,
              const void *val, size_t vlen) TR_WUR;
/* Delete.  TR_ENOTFOUND when absent. */
int bs_kv_del(bs_txn_t *txn, bs_db_t db, const void *key,
              size_t klen) TR_WUR;
/* Walk keys in byte order from the first key >= from (from NULL: the
 * first), or with reverse from the last key <= from (from NULL: the last)
 * downwards.  cb gets views valid until txn ends and returns non-zero to
 * stop; that value is returned, 0 at the end. */
typedef int (*bs_kv_cb)(const uint8_t *key, size_t klen, const uint8_t *val,
                        size_t vlen, void *ud);
int bs_kv_range(bs_txn_t *txn, bs_db_t db, const void *from, size_t flen,
                bool reverse, bs_kv_cb cb, void *ud) TR_WUR;

#endif /* BS_H */

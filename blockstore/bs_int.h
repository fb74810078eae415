/*
 * bs_int.h — what the blockstore's files share and nobody else sees.
 */
#ifndef BS_INT_H
#define BS_INT_H

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>

#include "../common/brlock.h"
#include "../dag/ipld.h"
#include "bs.h"

/* The frozen copies (frozen.c, bs.h): a hash table of FZ_BUCKETS chains
 * and a list from the least recently used, under mu; seen holds the
 * fingerprints of blocks asked for once (a slot each, by fingerprint). */
#define BS__FZ_BUCKETS 256
#define BS__FZ_SEEN 1024
typedef struct bs__fz {
  pthread_mutex_t mu;
  bs_frozen_t *bucket[BS__FZ_BUCKETS];
  bs_frozen_t *oldest, *newest;
  size_t count, bytes, max, max_files;
  uint64_t seen[BS__FZ_SEEN];
} bs__fz_t;
void bs__frozen_init(bs__fz_t *c);
/* Drops every copy; none may be in use. */
void bs__frozen_fini(bs__fz_t *c);

struct bs_env {
  MDB_env *mdb;
  MDB_dbi blocks, links, pins, meta;
  MDB_dbi kspace;  /* SHA-256(multihash) -> multihash (kspace.c) */
  bool has_kspace; /* the index is there and complete */
  MDB_dbi kslog;   /* the index's log: bucket, txn, n -> multihash */
  bool has_kslog;  /* the log is there (not in a read-only older repo) */
  MDB_dbi fs;      /* the filestore: multihash -> DataObj (filestore.c) */
  bool has_fs;     /* it is there (not in a read-only older repo) */
  char *path;
  char *fs_root;   /* the filestore's root: the repo's parent, absolute */
  size_t pagesize;
  /* Every transaction holds maplock shared; changing the map size (which
   * remaps, invalidating every view into it) takes it exclusively.  LMDB
   * itself only refuses a resize while this process has a write
   * transaction, not while other threads hold read views.  A big-reader
   * lock (common/brlock.h): a read touches only its thread's slot.
   *
   * Each slot's spare word holds a read transaction bs_txn_abort reset
   * and kept, for the next read transaction of that thread to renew:
   * under MDB_NOTLS a reset transaction keeps its reader slot, so
   * bs_txn_begin needs no allocation and no search of LMDB's reader
   * table under its mutex (a gateway request begins one or two).  A
   * reset transaction pins no pages.  bs_close ends the kept ones. */
  tr_brlock_t maplock;
  /* <repo>/repo.lock held shared while the environment is open, so that
   * bs_compact() can tell that nobody else has the repo open. */
  int repo_lock;
  /* The map's address range [map_lo, map_hi), 0 when not found: set when
   * the map is made or moved (map_locate in env.c, under maplock held
   * exclusively), read under a transaction (maplock shared). */
  uintptr_t map_lo, map_hi;
  /* Early writeback (env.c, flusher): while a batch commits, a thread of
   * the env's starts the writeback of the pages written so far.  Under
   * fl_mu. */
  pthread_mutex_t fl_mu;
  pthread_cond_t fl_cv;
  pthread_t fl_th;
  bool fl_started, fl_active, fl_closing;
  /* Meta-page syncs made (bs__sync, durable commits; atomic): tests check
   * that a reported commit had one and an unreported one did not. */
  uint64_t syncs;
  bs__fz_t fz;
};

struct bs_txn {
  bs_env_t *env;
  MDB_txn *mdb;
  bool rdonly;
  uint32_t ks_seq; /* keyspace log entries put in it (kspace.c) */
  unsigned slot;   /* of maplock, held shared */
  struct bs__fsbuf *fsbufs; /* referenced blocks read (filestore.c) */
  struct bs__idbuf *idbufs; /* identity CIDs' bytes given (idbuf.c) */
};

/* ------------------------------------------ identity CIDs (idbuf.c) */

/* An identity CID's bytes where they lie, in the CID: for a use that ends
 * before the CID does.  0 or TR_ECID. */
int bs__id_digest(const dag_cid_t *cid, const uint8_t **dig, size_t *len);
/* bs_get of an identity CID: its bytes copied into txn's buffers.
 * TR_ECID, -ENOMEM. */
int bs__id_get(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t **data,
               size_t *len);
/* Free the buffers bs__id_get gave txn (its end); bs__id_release: one
 * view of them fewer (bs_txn_release). */
void bs__id_txn_end(bs_txn_t *txn);
void bs__id_release(bs_txn_t *txn, const void *p);

/* ------------------------------------------------ the filestore's side */

/* Open (or, writable, create) the filestore's database in txn and set
 * env->fs_root (env.c calls it as it opens the others). */
int bs__fs_open(bs_env_t *env, MDB_txn *txn, bool rdonly) TR_WUR;
/* Whether txn's snapshot holds any reference: the filestore's lookups on
 * the paths of stored blocks (a put, a GC delete) are skipped without
 * one, which is every repo that never used --nocopy. */
bool bs__fs_any(bs_txn_t *txn);
/* 1 when mh is referenced, 0 when not, or an error (a repo without
 * references answers from bs__fs_any, without a lookup). */
int bs__fs_has(bs_txn_t *txn, const MDB_val *mh) TR_WUR;
/* bs_get's second half: the referenced block cid, read into a buffer of
 * txn's and checked.  TR_ENOTFOUND (not referenced), TR_EFSFILE,
 * TR_EFSCHANGED, TR_ECORRUPT, -ENOMEM. */
int bs__fs_get(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t **data,
               size_t *len) TR_WUR;
/* The record's codec and the paths' cleaning, for fuzz_filestore:
 * bs__fs_decode takes a DataObj as Go's proto.Unmarshal does (0 or
 * TR_ECORRUPT); bs__fs_encode writes one (at most BS__FS_REC_MAX bytes)
 * and returns its length; bs__fs_clean is Go's filepath.Clean of an
 * absolute path, in place. */
#define BS__FS_REC_MAX (BS_FS_PATH_MAX + 32)
int bs__fs_decode(const uint8_t *p, size_t len, bs_fsref_t *ref) TR_WUR;
size_t bs__fs_encode(uint8_t *out, const char *rel, size_t rlen,
                     uint64_t offset, uint64_t size);
void bs__fs_clean(char *p);
/* bs_stat's count of references to blocks not stored, and their sizes
 * (a walk of the records). */
void bs__fs_stat(bs_txn_t *txn, uint64_t *refs, uint64_t *bytes);
/* Free the buffers bs__fs_get gave txn (its end); bs__fs_release: the one
 * that p[0..n) ends, if any (bs_txn_release). */
void bs__fs_txn_end(bs_txn_t *txn);
void bs__fs_release(bs_txn_t *txn, const void *p, size_t n);

/* Drop this process's page-table entries for the whole map (env.c): the
 * pages stay in the page cache and fault back in when touched.  Bounds the
 * RSS of long scans and of batches. */
void bs__release_map(bs_env_t *env);
/* The same inside a write transaction: its dirty pages are in the heap,
 * and the map holds only clean pages - unless the environment has the
 * write map (TROVE_WRITEMAP=1), where this does nothing. */
void bs__release_map_in_txn(bs_env_t *env);

/* The same while txn is open (the map cannot move under it), without
 * reading /proc/self/maps: for loops that release often.  Does nothing in
 * a write transaction with the write map, whose dirty pages are there. */
void bs__release_map_held(bs_txn_t *txn);

/* A commit of many pages (a batch's, batch.c; a GC chunk's, gc.c; an
 * undo's, undo.c): the env's flusher starts their writeback while it
 * writes them (env.c, "early writeback").  Not durable: the pages are
 * written and synced, but the meta page that points at them is not synced
 * (MDB_NOMETASYNC), so a power loss may roll the repo back to the last
 * durable commit - never to a broken state; for work that is safe to
 * lose, made durable by bs__sync or any later durable commit.  Durable:
 * the meta page synced too, as bs_txn_commit. */
int bs__commit_batch(bs_txn_t *txn, bool durable) TR_WUR;
int bs__sync(bs_env_t *env) TR_WUR;

/* The most bytes one of LMDB's writes of data.mdb hands the kernel
 * (lmdb_io.c, which cuts larger ones): the page cache's folios follow a
 * write's length, and large ones were several times slower to fill on
 * this project's VMs (1 MiB ones too, once an import passes ~1 GB). */
#define BS_WRITE_CAP (64u << 10)

/* The map (env.c): bytes of data.mdb in use (up to the last page), the
 * map's size, and its growth so that need more bytes fit with
 * BS_MAP_SLACK to spare (0 or an error; the calling thread must hold no
 * transaction). */
#define BS_MAP_SLACK (256ull << 20)
uint64_t bs__used_bytes(bs_env_t *env);
uint64_t bs__map_bytes(bs_env_t *env);
int bs__grow_for(bs_env_t *env, uint64_t need) TR_WUR;

/* Generation counters in the meta table (meta.c): the value of key (0 when
 * never bumped; TR_ECORRUPT when it is not 8 bytes), and one more.
 * BS_PIN_GEN is bumped by every bs_pin_add (pins.c); GC compares it across
 * its chunks (gc.c).  BS_DEL_GEN is bumped in every transaction that
 * deletes blocks (bs_del, GC's chunks), so that whoever saw a block stored
 * can tell, by the same number later, that it is still there
 * (bs_undo_pin). */
#define BS_PIN_GEN "pingen"
#define BS_DEL_GEN "delgen"
int bs__gen(bs_txn_t *txn, const char *key, uint64_t *gen) TR_WUR;
int bs__gen_bump(bs_txn_t *txn, const char *key) TR_WUR;
static inline int bs__pin_gen(bs_txn_t *txn, uint64_t *gen) {
  return bs__gen(txn, BS_PIN_GEN, gen);
}
static inline int bs__del_gen(bs_txn_t *txn, uint64_t *gen) {
  return bs__gen(txn, BS_DEL_GEN, gen);
}
/* bs_pin_add, with the blocks in present (fingerprints, dag_cid_fp; may be
 * NULL) taken as stored without a lookup: the caller knows. */
int bs__pin_add(bs_txn_t *txn, const dag_cid_t *cid, int type,
                const char *name, dag_cid_t *missing,
                const tr_fpset_t *present) TR_WUR;
/* A recursive bs__pin_add for the root of an import that recorded the
 * blocks it stored new in stored (NULL: none kept) since the deletion
 * generation was del0: they are taken as present while it still is (only
 * a deletion can take a stored block, and every one bumps it), else every
 * block is looked up. */
int bs__pin_stored(bs_txn_t *txn, const dag_cid_t *cid, const char *name,
                   dag_cid_t *missing, const tr_fpset_t *stored,
                   uint64_t del0) TR_WUR;

/* bs_open() flag for bs_compact(), which holds repo.lock exclusively
 * itself. */
enum { BS__NOLOCK = 0x100 };

/* Open <dir>/<name> and flock() it with op (LOCK_SH, LOCK_EX, maybe
 * | LOCK_NB): returns the fd (closing it unlocks) or -errno
 * (-EWOULDBLOCK when LOCK_NB finds it taken). */
int bs__flock(const char *dir, const char *name, int op) TR_WUR;

/* The keyspace index (kspace.c; opened and built by bs_open in env.c):
 * the entry of a block being stored / deleted, in txn (del of an absent
 * entry is 0). */
int bs__kspace_put(bs_txn_t *txn, const uint8_t *mh, size_t mhl) TR_WUR;
int bs__kspace_del(bs_txn_t *txn, const uint8_t *mh, size_t mhl) TR_WUR;

/* bs_put() that tells a new block from one already stored: 1 when this
 * call stored it, 0 when it was there (an identity CID: always 0), or
 * bs_put's errors.  For the undo log (undo.c). */
int bs__put(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t *data,
            size_t len) TR_WUR;

/* Map an LMDB return code to trove's (meta.c). */
int bs__err(int mdb_rc);

/* The key under which a CID's block is stored: its multihash. */
static inline MDB_val bs__key(const dag_cid_t *cid) {
  size_t n;
  const uint8_t *mh = dag_cid_mh(cid, &n);
  MDB_val k = {n, (void *)mh};
  return k;
}

/* Whether blocks of this codec carry links that the links index records:
 * dag-pb, dag-cbor, dag-json, dag-jose, git-raw (ipld_codec_has_links). */
static inline bool bs__codec_has_links(uint64_t codec) {
  return ipld_codec_has_links(codec);
}

/* An identity CID's block is its digest, stored nowhere: its links (a
 * dag-cbor node of a few links fits in one, and may name stored blocks
 * that a pin must keep) come from the CID itself.
 * bs__id_links(): its links as binary CIDs back to back, in buf, which
 * BS__ID_LINKS_MAX bytes always hold (a link's binary form is shorter
 * than its encoding in the block): 1 and *v a view of buf, 0 when it has
 * none (or does not parse: a leaf then), or -ENOMEM.
 * bs__id_children(): fn for each stored block it links to, directly or
 * through identity links nested in it (each shorter than the CID holding
 * it, so this ends); 0 or the first error (fn's non-zero value). */
#define BS__ID_LINKS_MAX DAG_MH_MAX
int bs__id_links(const dag_cid_t *cid, uint8_t *buf, MDB_val *v) TR_WUR;
int bs__id_children(const dag_cid_t *cid,
                    int (*fn)(const dag_cid_t *child, void *ud),
                    void *ud) TR_WUR;

/* What an import records (beside dag_cid_fp, in the same set) for a block
 * it put under a links codec: bs__put returned >= 0, so the block's links
 * are indexed (parsed and written, or found written).  A pin over the
 * import's blocks (bs__pin_add's present) then needs no
 * bs__links_unindexed lookup for it: those lookups mapped the B-tree's
 * leaf pages with the large folios around them, 80 MiB of a 1 GiB v0
 * add's RSS.  The record is the fingerprint with its high word flipped:
 * keyed and 128 bits, it meets another block's only by chance (2^-128).
 * Zero (never, in practice) is not recorded. */
static inline tr_fp_t bs__indexed_fp(const dag_cid_t *cid) {
  tr_fp_t f = dag_cid_fp(cid);
  f.hi = ~f.hi;
  return f;
}
/* The blocks an import stored new, as dag_cid_fp fingerprints, beside
 * the bs__indexed_fp of those it put under a links codec: its pins take
 * them as stored (and indexed) without a lookup (bs__pin_stored; the
 * lookups of a 50,000-file tree's pin mapped 136 MiB of the file).  Only
 * a speed-up, so that an import's memory does not grow with its size: past
 * BS__STORED_MAX entries (a 32 MiB set), or short of memory, the set is
 * dropped for good and the pins look every block up (pins.c). */
#define BS__STORED_MAX (1u << 20)
typedef struct bs__stored {
  tr_fpset_t set;
  bool off; /* dropped */
} bs__stored_t;
/* After a put of cid that returned rc (> 0: stored new). */
void bs__stored_note(bs__stored_t *s, const dag_cid_t *cid, int rc);
/* Also take older's entries. */
void bs__stored_merge(bs__stored_t *s, const bs__stored_t *older);
/* The set for bs__pin_stored, or NULL once dropped. */
static inline const tr_fpset_t *bs__stored_set(const bs__stored_t *s) {
  return s->off ? NULL : &s->set;
}
void bs__stored_free(bs__stored_t *s);

/* A block reached under a links codec (dag-pb, dag-cbor) that has no links
 * entry because it was stored under another codec - IPFS Cluster's adder
 * puts every block of a DAG with the codec of its first block, often raw.
 * bs__links_unindexed(): 1 when cid's block is stored, has links when
 * parsed as cid's codec, and has no entry; 0 otherwise (absent, indexed,
 * or linkless); TR_EDAGPB/TR_ECBOR when it does not parse.  Read-only.
 * bs__links_index(): write its entry (0 when absent or already there). */
int bs__links_unindexed(bs_txn_t *txn, const dag_cid_t *cid) TR_WUR;
int bs__links_index(bs_txn_t *txn, const dag_cid_t *cid) TR_WUR;

/* Schema 3 or 4 -> 5 (pins.c), in one write transaction: index the links
 * of the dag-json, dag-jose and git-raw blocks the recursive pins and the
 * MFS root reach (put before schema 4 and 5, they have none), then write
 * schema 5. */
int bs__links_upgrade(bs_env_t *env) TR_WUR;

/* bs_open but for that upgrade (env.c), which bs_open (open.c) runs when
 * *links_upgrade says so: it walks pins, which sit above the env. */
int bs__env_open(bs_env_t **envp, const char *path, unsigned flags,
                 bool *links_upgrade) TR_WUR;

/* Sets of blocks seen are tr_fpset_t of dag_mh_fp() fingerprints (128-bit,
 * keyed: taken as exact). */

/* --------------------------------------------------------- DAG walking */

/* Depth-first walk over the links index from root.  visit is called for
 * every block reached (the root too, with via NULL) that was not in seen,
 * and the block is added to seen; returning non-zero stops the walk with
 * that value.  A block that has no links entry is a leaf.
 *
 * BS__WALK_LEAVES_AGAIN: only blocks with a links entry go into seen, and
 * a leaf reached through several parents may be visited again (the walk
 * remembers the last few thousand) - for visits that are cheap to repeat
 * (a pin's presence check), since most of a DAG's blocks are leaves: a
 * 900k-block file's pin kept a 32 MiB set of them, where its 880 inner
 * nodes take 32 KiB.
 *
 * The invariant that makes a shared set safe: a block in seen has been, or
 * is being, walked below by this or an earlier walk over the same set, so
 * the walk does not go below it again (a root in seen is skipped whole).
 * Callers must therefore put into seen only what a walk put there: a set
 * that also held, say, directly pinned blocks would cut off the DAGs below
 * them (that was GC's data-loss bug).  Keep other marks in another set.
 *
 * The walk keeps only a stack of views into LMDB values: memory grows with
 * the depth of the DAG, not its size. */
typedef int (*bs__visit_cb)(const dag_cid_t *cid, const dag_cid_t *via,
                            void *ud);
#define BS__WALK_LEAVES_AGAIN 1u
int bs__walk(bs_txn_t *txn, const dag_cid_t *root, tr_fpset_t *seen,
             unsigned flags, bs__visit_cb visit, void *ud) TR_WUR;

/* ------------------------------------------------------------ GC's mark */

/* A set of 64-bit fingerprints (the high half of dag_mh_fp) as a sorted
 * array with a bucket index on the top bits: 8 bytes a block, where a
 * tr_fpset_t of 128-bit ones at load 1/2 takes 32.  Filled by appending
 * to a[] (repeats allowed), then sealed: sorted, repeats dropped, index
 * built.  Zero-initialise; free with bs__fpvec_free. */
typedef struct bs__fpvec {
  uint64_t *a;
  size_t n, cap;
  size_t *idx; /* bucket b's values start at idx[b]; idx[buckets] = n */
  unsigned shift;
} bs__fpvec_t;

/* Seal v (0 or -ENOMEM); with dups, each value that was repeated is added
 * to it as {value, 1}. */
int bs__fpvec_seal(bs__fpvec_t *v, tr_fpset_t *dups) TR_WUR;
/* The index of x in a sealed v, or -1. */
ssize_t bs__fpvec_find(const bs__fpvec_t *v, uint64_t x);
/* Whether each of x[0..n) is in a sealed v (hit[i]), as bs__fpvec_find
 * would say, for scans that look many values up: the cache misses of
 * BS__FPVEC_BATCH lookups at a time overlap instead of following each
 * other. */
#define BS__FPVEC_BATCH 64
void bs__fpvec_has_many(const bs__fpvec_t *v, const uint64_t *x, size_t n,
                        bool *hit);
void bs__fpvec_free(bs__fpvec_t *v);

static inline uint64_t bs__fp64(const uint8_t *mh, size_t len) {
  return dag_mh_fp(mh, len).hi;
}

/* GC's mark: the fingerprints of every block the pins keep - each
 * recursive pin's DAG through the links index, each direct pin's block -
 * into live, sealed.  Unlike bs__walk it keeps no 128-bit set of every
 * block: only the links index's keys are deduplicated (a bit each, see
 * walk.c), and a 64-bit fingerprint two blocks share can only keep a
 * garbage block, never lose a live one.  In txn's snapshot. */
int bs__mark(bs_txn_t *txn, bs__fpvec_t *live) TR_WUR;

/* ---------------------------------------------------- GC's read-ahead */

/* A thread that looks up, in snap (GC's held snapshot, which it reads
 * under maplock and must outlive it), the keys GC is about to delete:
 * key i is [length byte][multihash] at base + order[i], i < n.  Its page
 * faults are then not the deleting thread's (ahead.c).  While it runs it
 * releases the map every BS__AHEAD_EPOCH keys, once the deletes have
 * passed them, and the deleting thread releases nothing.  NULL (GC goes
 * on alone) for fewer than two epochs of keys, with the write map, or
 * when no thread can start. */
#define BS__AHEAD_EPOCH 1024
/* How close the deletes come to the last key looked up before the map is
 * released: they do not wait for the release, and what they read while
 * it runs they may have to map again themselves. */
#define BS__AHEAD_MARGIN 128
typedef struct bs__ahead bs__ahead_t;
bs__ahead_t *bs__ahead_start(bs_env_t *env, MDB_txn *snap,
                             const uint8_t *base, const size_t *order,
                             size_t n);
/* The deleting thread begins key i (any order; a chunk done again goes
 * back). */
void bs__ahead_at(bs__ahead_t *a, size_t i);
/* The keys it looked up before the deletes got to them, so far. */
uint64_t bs__ahead_looked_up(const bs__ahead_t *a);
/* Stop and free a (NULL: nothing); returns bs__ahead_looked_up. */
uint64_t bs__ahead_stop(bs__ahead_t *a);

#endif /* BS_INT_H */

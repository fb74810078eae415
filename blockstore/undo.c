/*
 * undo.c — the undo log of an all-or-nothing import (bs.h's bs_undo_*):
 * the keys of the blocks an import stored new, and their deletion when the
 * import fails.
 *
 * Why: `dag import` promises that a CAR with one bad block stores nothing,
 * and once kept it by verifying the whole CAR before storing any of it -
 * reading and hashing every byte twice, or spooling an upload whole.  Now
 * the import stores as it verifies, through a batch that commits as it goes
 * (its RSS and its hold on the write lock stay bounded), and on failure
 * this deletes again exactly what it added.  Blocks that were stored before
 * the import are never recorded, so never touched.
 *
 * Another writer may come to rely on a block we stored meanwhile (an add of
 * the same bytes finds it present and stores nothing).  If it pinned, the
 * pin generation has moved since bs_undo_new: the undo then marks what the
 * pins keep, as GC does (bs__mark, in a read snapshot), and spares it;
 * every chunk checks the generation again in its write transaction and
 * marks again when it moved.  A writer that has put and not yet pinned is
 * in the position GC would leave it in, were it not for the gc lock: its
 * recursive pin then finds the DAG incomplete and fails (loudly, nothing
 * lost in silence).
 *
 * A crash mid-import or mid-undo leaves the import's blocks in the repo,
 * unpinned: the next GC takes them.  The log lives in memory up to
 * UNDO_MEM bytes, then in an unlinked file in the repo directory (gone
 * with the process): a 1M-block import records ~35 MB of keys.
 */
#include "bs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define UNDO_MEM (1u << 20)  /* log bytes kept in memory before the file */
#define UNDO_CHUNK 8192      /* blocks deleted per write transaction */

struct bs_undo {
  bs_env_t *env;
  uint64_t gen0;  /* the pin generation when the import began */
  tr_bytes_t mem; /* records (length byte, key) not yet in the file */
  int fd;         /* the spill file, or -1 */
  uint64_t filed; /* bytes in the file */
  uint64_t n;     /* records */
  /* The same blocks for bs_undo_pin (bs__stored_t), and the deletion
   * generation when the log began: while it has not moved, they are all
   * still stored. */
  bs__stored_t stored;
  uint64_t del0;
};

int bs_undo_new(bs_env_t *env, bs_undo_t **out) {
  bs_undo_t *u = tr_calloc(1, sizeof *u);
  if (!u)
    return -ENOMEM;
  u->env = env;
  u->fd = -1;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (!rc) {
    rc = bs__pin_gen(txn, &u->gen0);
    if (!rc)
      rc = bs__del_gen(txn, &u->del0);
    bs_txn_abort(txn);
  }
  if (rc) {
    tr_free(u);
    return rc;
  }
  *out = u;
  return 0;
}

void bs_undo_free(bs_undo_t *u) {
  if (!u)
    return;
  tr_bytes_free(&u->mem);
  bs__stored_free(&u->stored);
  if (u->fd >= 0)
    close(u->fd);
  tr_free(u);
}

uint64_t bs_undo_count(const bs_undo_t *u) { return u->n; }

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -errno;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int record(bs_undo_t *u, const dag_cid_t *cid) {
  MDB_val k = bs__key(cid);
  if (k.mv_size > 255)
    return TR_ECID; /* cannot come from dag_cid_decode */
  if (u->mem.len + 1 + k.mv_size > UNDO_MEM && u->fd != -2) {
    if (u->fd < 0)
      u->fd = open(bs_path(u->env), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (u->fd < 0) {
      u->fd = -2; /* no unlinked files here: the log stays in memory */
    } else {
      int rc = write_all(u->fd, u->mem.data, u->mem.len);
      if (rc)
        return rc;
      u->filed += u->mem.len;
      u->mem.len = 0;
    }
  }
  uint8_t l = (uint8_t)k.mv_size;
  int rc = tr_bytes_append(&u->mem, &l, 1);
  if (!rc)
    rc = tr_bytes_append(&u->mem, k.mv_data, k.mv_size);
  if (!rc)
    u->n++;
  return rc;
}

int bs_undo_put(bs_undo_t *u, bs_batch_t *b, const dag_cid_t *cid,
                const uint8_t *data, size_t len) {
  int rc = bs_batch_reserve(b, len);
  if (rc)
    return rc;
  rc = bs__put(bs_batch_txn(b), cid, data, len);
  bs__stored_note(&u->stored, cid, rc);
  if (rc <= 0)
    return rc;
  /* Recorded only once it is in the transaction: a failed record fails
   * the import, whose undo then deletes what was recorded before - this
   * block goes with the aborted batch, or stays for GC if committed. */
  return record(u, cid);
}

int bs_undo_pin(bs_undo_t *u, bs_txn_t *txn, const dag_cid_t *cid,
                const char *name, dag_cid_t *missing) {
  /* Only a deletion can take a block this log stored: the log's own undo
   * (not run: the import succeeded), GC (the import holds the gc lock,
   * and GC's chunks bump the generation anyway), block rm, scrub's drop
   * and another import's undo (bs_del: they bump it).  Should one have
   * committed since the log began, every block is looked up. */
  return bs__pin_stored(txn, cid, name, missing, bs__stored_set(&u->stored),
                        u->del0);
}

void bs_undo_merge(bs_undo_t *u, const bs_undo_t *older) {
  /* Its blocks are there only while nothing was deleted since it began. */
  u->del0 = older->del0;
  bs__stored_merge(&u->stored, &older->stored);
}

/* GC's mark of everything the pins keep, in a read snapshot; *gen the
 * generation it saw. */
static int mark(bs_env_t *env, bs__fpvec_t *live, uint64_t *gen) {
  bs__fpvec_free(live);
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  rc = bs__pin_gen(txn, gen);
  if (!rc)
    rc = bs__mark(txn, live);
  bs_txn_abort(txn);
  bs__release_map(env);
  return rc;
}

int bs_undo_run(bs_undo_t *u, uint64_t *removed) {
  uint64_t gone = 0;
  if (removed)
    *removed = 0;
  if (!u->n)
    return 0;
  /* The whole log as one run of bytes: the file (mapped: this is the
   * failure path, read once) then what is still in memory. */
  const uint8_t *parts[2] = {NULL, u->mem.data};
  size_t lens[2] = {0, u->mem.len};
  void *map = NULL;
  if (u->filed) {
    map = mmap(NULL, (size_t)u->filed, PROT_READ, MAP_PRIVATE, u->fd, 0);
    if (map == MAP_FAILED)
      return -errno;
    parts[0] = map;
    lens[0] = (size_t)u->filed;
  }
  bs__fpvec_t live = {0};
  bool marked = false;
  uint64_t gen_mark = u->gen0, gen = 0;
  int rc = 0;
  int part = 0;
  size_t off = 0;
  while (!rc && part < 2) {
    bs_txn_t *txn;
    if ((rc = bs_txn_begin(u->env, 0, &txn)))
      break;
    if ((rc = bs__pin_gen(txn, &gen)) == 0 && gen != gen_mark) {
      /* A pin since we last looked: it may reach what we stored.  Mark
       * outside the write transaction, then check again. */
      bs_txn_abort(txn);
      if ((rc = mark(u->env, &live, &gen_mark)) == 0)
        marked = true;
      continue;
    }
    size_t done = 0;
    while (!rc && part < 2 && done < UNDO_CHUNK) {
      if (off >= lens[part]) {
        part++;
        off = 0;
        continue;
      }
      const uint8_t *p = parts[part] + off;
      size_t kl = p[0];
      if (kl + 1 > lens[part] - off) {
        rc = TR_ECORRUPT; /* our own log: cannot be cut short */
        break;
      }
      off += 1 + kl;
      done++;
      if (marked && bs__fpvec_find(&live, bs__fp64(p + 1, kl)) >= 0)
        continue; /* a pin reaches it now: not ours to take back */
      dag_cid_t cid;
      if ((rc = dag_cid_make(&cid, 1, DAG_CODEC_RAW, p + 1, kl)) < 0)
        break;
      rc = bs_del(txn, &cid);
      if (rc == TR_ENOTFOUND)
        rc = 0; /* put in the batch that was aborted: never committed */
      else if (!rc)
        gone++;
    }
    /* Only the last commit need be durable, as GC's chunks: a crash may
     * roll back to an earlier one, which leaves garbage and loses nothing.
     * Their writeback starts while they are written, as GC's. */
    if (rc)
      bs_txn_abort(txn);
    else
      rc = bs__commit_batch(txn, part >= 2);
    bs__release_map(u->env);
  }
  bs__fpvec_free(&live);
  if (map)
    munmap(map, (size_t)u->filed);
  if (removed)
    *removed = gone;
  return rc;
}

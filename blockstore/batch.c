/*
 * batch.c — the write batch of bs.h (bs_batch_*): a write transaction that
 * commits on its own as it fills (its values' bytes, the pages it
 * dirtied, the map's room) and releases the map as it goes so that an
 * import's RSS stays bounded.  Transactions, commits and map growth are
 * env.c's.
 */
#include "bs_int.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A batch releases the map (see bs_batch_reserve) after this much cost
 * (value bytes + 2 pages a put) or this many puts, whichever comes first.
 * Each put touches a leaf of the blocks database and one of the keyspace
 * index, and each touch maps a whole page-cache folio (up to 256 KiB
 * here): the puts bound the file-mapped RSS, the cost the time between
 * releases of large blocks. */
#define BS_BATCH_RELEASE (4u << 20)
#define BS_BATCH_RELEASE_PUTS 64u
/* What a batch knows of one database's pages in its open transaction,
 * for the estimate of the pages it dirtied (batch_dirty). */
typedef struct dirt {
  uint64_t leaves, entries; /* as of the last look */
  uint64_t ov0;             /* overflow pages when the transaction began */
  double d;                 /* leaves dirtied, estimated */
} dirt_t;

enum { DIRT_BLOCKS, DIRT_KSPACE, DIRT_LINKS, DIRT_N };

struct bs_batch {
  bs_env_t *env;
  bs_txn_t *txn;
  size_t limit;   /* the budget: value bytes, and pages dirtied */
  size_t vlimit;  /* large values' bytes per commit: the budget or less */
  size_t plarge;  /* large values' bytes in the current transaction */
  size_t pending; /* value bytes put in the current transaction */
  dirt_t dirt[DIRT_N];
  uint64_t worst; /* map bytes the current transaction may use, at most */
  uint64_t room;  /* bytes the map had free when the txn began */
  size_t since;   /* cost (value bytes + 2 pages a put) since the map was
                     last released: small puts touch pages, not bytes */
  unsigned since_puts; /* and puts */
  bs_batch_commit_cb on_commit;
  void *on_commit_ud;
  bool durable_next; /* the next intermediate commit is reported */
};

void bs_batch_on_commit(bs_batch_t *b, bs_batch_commit_cb cb, void *ud) {
  b->on_commit = cb;
  b->on_commit_ud = ud;
}

void bs_batch_durable_next(bs_batch_t *b) { b->durable_next = true; }

/* TROVE_DEBUG_KILL_COMMIT (bs.h): a fault-injection point, so process-wide
 * as SQLite's faultsim is; read once. */
static void debug_kill_point(void) {
  static _Atomic long after = -1, seen;
  long n = after;
  if (n < 0) {
    const char *e = getenv("TROVE_DEBUG_KILL_COMMIT");
    after = n = e && atol(e) > 0 ? atol(e) : 0;
  }
  if (n > 0 && ++seen == n) {
    /* Let the other threads hand out what earlier commits made true (a
     * daemon's "added" lines go out on its loop thread) before the kill
     * the test then checks them against; this thread waits at the kill
     * point, so nothing more is stored meanwhile. */
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    raise(SIGKILL);
  }
}

/* The databases a put writes to: the blocks, the keyspace index (when the
 * repo has it) and the links index. */
static bool dirt_dbi(const bs_batch_t *b, int i, MDB_dbi *dbi) {
  const bs_env_t *env = b->env;
  *dbi = i == DIRT_BLOCKS ? env->blocks : i == DIRT_LINKS ? env->links
                                                          : env->kspace;
  return i != DIRT_KSPACE || env->has_kspace;
}

/* The pages the open transaction has dirtied, estimated from what LMDB
 * counts per database (mdb_stat: cheap, the transaction's own figures).
 * LMDB does not say how many pages are dirty; its dirty list is the
 * batch's heap (without the write map), and what a put dirties depends
 * on where its key falls, not on its bytes: a value above ~2 KB takes
 * its own overflow pages (counted exactly: the growth of the overflow
 * count), a smaller one shares a leaf, which a put dirties when it is
 * still clean.  Keys are hashes, so a new entry lands in a leaf drawn at
 * random: with d of L leaves dirty, it dirties a new one with
 * probability 1 - d/L; a split adds a dirty leaf (the leaf count grows).
 * Branch pages are counted whole (few: ~1 per 100 leaves).  Called
 * before each put, so the entries added since the last look are one put's
 * (a caller that puts through bs_batch_txn without reserving is counted
 * at the next look, in closed form). */
static uint64_t batch_dirty(bs_batch_t *b) {
  uint64_t pages = 0;
  for (int i = 0; i < DIRT_N; i++) {
    MDB_dbi dbi;
    MDB_stat st;
    if (!dirt_dbi(b, i, &dbi) || mdb_stat(b->txn->mdb, dbi, &st))
      continue;
    dirt_t *x = &b->dirt[i];
    uint64_t leaves = st.ms_leaf_pages;
    double d = x->d;
    if (leaves > x->leaves)
      d += (double)(leaves - x->leaves);
    if (st.ms_entries > x->entries && leaves) {
      /* Each of the added entries finds a clean leaf with probability
       * (L - d) / L: the clean ones left shrink by (1 - 1/L) each. */
      double keep = pow(1.0 - 1.0 / (double)leaves,
                        (double)(st.ms_entries - x->entries));
      d = (double)leaves - ((double)leaves - d) * keep;
    }
    x->d = d < (double)leaves ? d : (double)leaves;
    x->leaves = leaves;
    x->entries = st.ms_entries;
    pages += (uint64_t)x->d + st.ms_branch_pages +
             (st.ms_overflow_pages > x->ov0 ? st.ms_overflow_pages - x->ov0
                                            : 0);
  }
  return pages;
}

static int batch_open(bs_batch_t *b, uint64_t need) {
  int rc = bs__grow_for(b->env, need);
  if (rc)
    return rc;
  if ((rc = bs_txn_begin(b->env, 0, &b->txn)))
    return rc;
  b->room = bs__map_bytes(b->env) - bs__used_bytes(b->env);
  b->pending = b->plarge = 0;
  b->worst = 0;
  memset(b->dirt, 0, sizeof b->dirt);
  for (int i = 0; i < DIRT_N; i++) {
    MDB_dbi dbi;
    MDB_stat st;
    if (dirt_dbi(b, i, &dbi) && !mdb_stat(b->txn->mdb, dbi, &st))
      b->dirt[i] = (dirt_t){.leaves = st.ms_leaf_pages,
                            .entries = st.ms_entries,
                            .ov0 = st.ms_overflow_pages};
  }
  return 0;
}

int bs_batch_begin(bs_env_t *env, size_t batch_bytes, bs_batch_t **bp) {
  bs_batch_t *b = tr_calloc(1, sizeof *b);
  if (!b)
    return -ENOMEM;
  b->env = env;
  b->limit = batch_bytes ? batch_bytes : BS_BATCH_BYTES;
  /* TROVE_BATCH_MB overrides the default, for tuning on other disks. */
  const char *e = getenv("TROVE_BATCH_MB");
  if (!batch_bytes && e && atoi(e) > 0)
    b->limit = (size_t)atoi(e) << 20;
  b->vlimit = b->limit;
  /* Leave room for a whole batch plus LMDB's page overhead (see
   * bs_batch_reserve: a batch of small values may use twice its bytes). */
  int rc = batch_open(b, 2 * (uint64_t)b->limit);
  if (rc) {
    tr_free(b);
    return rc;
  }
  *bp = b;
  return 0;
}

void bs_batch_cap_values(bs_batch_t *b, size_t bytes) {
  if (bytes && bytes < b->vlimit)
    b->vlimit = bytes;
}

bs_txn_t *bs_batch_txn(bs_batch_t *b) { return b->txn; }

int bs_batch_reserve(bs_batch_t *b, size_t n) {
  /* Two budgets.  What the transaction costs in memory - its dirty
   * pages, LMDB's heap until the commit: every page it dirtied
   * (batch_dirty: the values', the leaves', the branches') up to limit,
   * and its values' bytes too (the estimate is one).  Counting value
   * bytes alone let a batch of small blocks into a large repo dirty ~5x
   * its bytes (a 200k-block CAR: 160 MiB of pages for 32 MiB of blocks,
   * 228 MiB of RSS).  Values of ~10 KB dirty ~1.2x their bytes, so a
   * 64 MiB budget commits every ~50 MiB of them (bs.h).  And map room,
   * checked against a worst case: a value of n bytes takes up to n + one
   * page, and the put may copy a leaf page; 2 pages per put plus 1/16 for
   * branch pages. */
  uint64_t cost = n + 2 * (uint64_t)b->env->pagesize;
  if ((!b->worst ||
       (b->pending + n <= b->limit &&
        (n < BS_BATCH_LARGE || b->plarge + n <= b->vlimit) &&
        batch_dirty(b) * b->env->pagesize + n + b->env->pagesize <=
            b->limit)) &&
      (b->worst + cost) + (b->worst + cost) / 16 + BS_MAP_SLACK / 2 < b->room)
    goto ok;
  if (b->worst) {
    debug_kill_point();
    int rc = bs__commit_batch(b->txn, false);
    b->txn = NULL;
    if (rc)
      return rc;
    bs__release_map(b->env);
    /* Someone reports what this commit stored: make it durable first.
     * The commit flushed its data but not its meta page (see commit()),
     * so a power cut could still roll it back; syncing the meta page
     * alone costs ~3 ms here (strace of a 512 MiB add), on the writer's
     * path, once per batch of an add that reports nothing until its end:
     * only when asked. */
    if (b->durable_next) {
      b->durable_next = false;
      if ((rc = bs__sync(b->env)))
        return rc;
    }
    if (b->on_commit)
      b->on_commit(b->on_commit_ud);
    if ((rc = batch_open(b, 2 * (uint64_t)b->limit + cost)))
      return rc;
  }
ok:
  /* Inside a transaction too: each block's keyspace entry goes to a
   * random leaf of the index, and each leaf read faults in (with its
   * neighbours: the kernel maps the whole folio) pages that would stay
   * counted in RSS until the commit.  Counted as cost, not value bytes:
   * small puts touch pages (4 MiB of 512-byte blocks is 8k puts, which
   * mapped 190-270 MB of a 400 MB map; a CAR import of 200k such blocks
   * peaked at 438 MiB without its pin, 300 MiB now, same time).  Without
   * the write map the transaction's pages are in the heap and the map
   * holds only clean pages: dropping them is safe (with it, the
   * transaction writes in the map: left alone until the commit). */
  if ((b->since += cost) >= BS_BATCH_RELEASE ||
      ++b->since_puts >= BS_BATCH_RELEASE_PUTS) {
    b->since = 0;
    b->since_puts = 0;
    bs__release_map_held(b->txn);
  }
  b->pending += n;
  if (n >= BS_BATCH_LARGE)
    b->plarge += n;
  b->worst += cost;
  return 0;
}

int bs_batch_end(bs_batch_t *b, int commit) {
  int rc = 0;
  if (b->txn) {
    if (commit)
      debug_kill_point();
    if (commit)
      rc = bs__commit_batch(b->txn, true);
    else
      bs_txn_abort(b->txn);
    bs__release_map(b->env);
  }
  tr_free(b);
  return rc;
}


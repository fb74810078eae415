/*
 * env.c — opening the repo's LMDB environment, transactions, map growth,
 * releasing the map, repo statistics and the keyspace index's build (the
 * write batch is batch.c's).
 *
 * Flags: no MDB_WRITEMAP (see bs_open: measured slower here, though
 * DESIGN.md expected the opposite); MDB_NOTLS, so that read transactions
 * are not tied to threads (the worker pool hands them around).  Never
 * MDB_NOSYNC.
 *
 * Map growth: the map starts at BS_MAP_INITIAL and doubles whenever a write
 * transaction begins with less than BS_MAP_SLACK free, or a batch is about to
 * outgrow it.  mdb_env_set_mapsize() must not run while this process has a
 * transaction open; the daemon serialises that (a single writer thread that
 * grows between transactions), and readers in other processes pick up the new
 * size through MDB_MAP_RESIZED, handled in bs_txn_begin().
 */
#include "bs_int.h"

#include "../dag/multihash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define BS_MAP_INITIAL (1ull << 30)

int bs__flock(const char *dir, const char *name, int op) {
  char file[4096];
  if ((size_t)snprintf(file, sizeof file, "%s/%s", dir, name) >= sizeof file)
    return -ENAMETOOLONG;
  int fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return -errno;
  while (flock(fd, op) < 0) {
    if (errno != EINTR) {
      int e = errno;
      close(fd);
      return -e;
    }
  }
  return fd;
}

uint64_t bs__used_bytes(bs_env_t *env) {
  MDB_envinfo info;
  mdb_env_info(env->mdb, &info);
  return (uint64_t)(info.me_last_pgno + 1) * env->pagesize;
}

uint64_t bs__map_bytes(bs_env_t *env) {
  MDB_envinfo info;
  mdb_env_info(env->mdb, &info);
  return info.me_mapsize;
}

static void map_locate(bs_env_t *env);

/* Grow the map so that at least need more bytes fit, keeping slack.  The
 * calling thread must hold no transaction; others finish theirs first
 * (maplock). */
int bs__grow_for(bs_env_t *env, uint64_t need) {
  uint64_t used = bs__used_bytes(env), map = bs__map_bytes(env);
  if (used + need + BS_MAP_SLACK <= map)
    return 0;
  tr_brlock_wrlock(&env->maplock);
  used = bs__used_bytes(env);
  map = bs__map_bytes(env);
  int rc = 0;
  if (used + need + BS_MAP_SLACK > map) {
    while (used + need + BS_MAP_SLACK > map)
      map *= 2;
    rc = bs__err(mdb_env_set_mapsize(env->mdb, map));
    map_locate(env);
  }
  tr_brlock_wrunlock(&env->maplock);
  return rc;
}

static int kspace_open(bs_env_t *env, MDB_txn *txn, bool rdonly,
                       bool created, bool *build);
static int kspace_build(bs_env_t *env);

int bs__env_open(bs_env_t **envp, const char *path, unsigned flags,
                 bool *links_upgrade) {
  *links_upgrade = false;
  struct stat st;
  char file[4096];
  if (strlen(path) > sizeof file - 32)
    return -ENAMETOOLONG;
  if (flags & BS_CREATE) {
    if (mkdir(path, 0700) && errno != EEXIST)
      return -errno;
  }
  snprintf(file, sizeof file, "%s/data.mdb", path);
  if (!(flags & BS_CREATE) && stat(file, &st))
    return TR_ENOREPO;

  bs_env_t *env = tr_calloc(1, sizeof *env);
  if (!env)
    return -ENOMEM;
  env->repo_lock = -1;
  env->path = tr_strdup(path);
  /* Writer preference (brlock.h): a resize must not starve behind a
   * stream of short readers.  The price: a thread must never nest two
   * transactions. */
  if (tr_brlock_init(&env->maplock)) {
    tr_free(env->path);
    tr_free(env);
    return -ENOMEM;
  }
  pthread_mutex_init(&env->fl_mu, NULL);
  pthread_cond_init(&env->fl_cv, NULL);
  bs__frozen_init(&env->fz);
  int rc = env->path ? mdb_env_create(&env->mdb) : ENOMEM;
  if (rc)
    goto fail;
  /* Shared, and not for read-only opens (they may lack write access). */
  if (!(flags & BS_RDONLY) && !(flags & BS__NOLOCK)) {
    env->repo_lock = bs__flock(path, "repo.lock", LOCK_SH);
    if (env->repo_lock < 0) {
      rc = -env->repo_lock;
      goto fail;
    }
  }
  mdb_env_set_maxdbs(env->mdb, BS_DB_MAX); /* 6 ours, the rest bs_db_open's */
  mdb_env_set_maxreaders(env->mdb, 512);
  /* TROVE_MAP_INITIAL lets tests exercise map growth without writing a
   * gigabyte first. */
  uint64_t initial = BS_MAP_INITIAL;
  const char *e = getenv("TROVE_MAP_INITIAL");
  if (e && strtoull(e, NULL, 10) >= (1u << 20))
    initial = strtoull(e, NULL, 10);
  if (stat(file, &st) == 0 && (uint64_t)st.st_size > initial)
    rc = mdb_env_set_mapsize(env->mdb, (size_t)st.st_size);
  else
    rc = mdb_env_set_mapsize(env->mdb, initial);
  if (rc)
    goto fail;
  /* No write map by default (TROVE_WRITEMAP=1 turns it on).  Measured
   * here (Linux 6.18, ext4, 2 cores), against DESIGN.md's guess: writing
   * through the map dirties far more page cache than it writes - 540 GB
   * dirtied for 10.7 GB of small blocks (bench/README.md) - and a 1 GiB
   * add with 32 MiB batches took 6.25 s and 106 MiB RSS with the map,
   * 4.39 s and 60 MiB without (dd conv=fsync of the file: 4.17 s).  The
   * map only wins for GC (fewer heap pages for its one big transaction). */
  const char *wm = getenv("TROVE_WRITEMAP");
  unsigned mflags = MDB_NOTLS | ((flags & BS_RDONLY) ? MDB_RDONLY
                                 : (wm && *wm == '1') ? MDB_WRITEMAP : 0);
  if (!(flags & BS_RDONLY))
    mflags |= MDB_NOMETASYNC; /* see commit() */
  if ((rc = mdb_env_open(env->mdb, path, mflags, 0600)))
    goto fail;
  MDB_stat ms;
  mdb_env_stat(env->mdb, &ms);
  env->pagesize = ms.ms_psize;
  /* A process killed inside a read transaction (a `trove cat` stopped
   * with SIGKILL, a GC after its mark) leaves its slot in the lock file's
   * reader table, and its snapshot keeps every page freed after it from
   * reuse, so the file only grows, until every opener has closed the repo.
   * Each open clears the slots of dead processes (GC again, as it
   * starts). */
  int dead;
  mdb_reader_check(env->mdb, &dead);

  MDB_txn *txn;
  if ((rc = mdb_txn_begin(env->mdb, NULL, (flags & BS_RDONLY) ? MDB_RDONLY : 0,
                          &txn)))
    goto fail;
  unsigned dflags = (flags & BS_RDONLY) ? 0 : MDB_CREATE;
  if ((rc = mdb_dbi_open(txn, "blocks", dflags, &env->blocks)) ||
      (rc = mdb_dbi_open(txn, "links", dflags, &env->links)) ||
      (rc = mdb_dbi_open(txn, "pins", dflags, &env->pins)) ||
      (rc = mdb_dbi_open(txn, "meta", dflags, &env->meta))) {
    mdb_txn_abort(txn);
    if (rc == MDB_NOTFOUND)
      rc = MDB_INVALID;
    goto fail;
  }
  /* Schema: written on creation, checked on every open.  Schema 1 lacks
   * the keyspace index (kspace.c), built below; its build writes the
   * current one.  Schema 2 lacks the index's log, made empty here. */
  MDB_val k = {6, "schema"}, v;
  bool build = false;
  rc = mdb_get(txn, env->meta, &k, &v);
  bool created = rc == MDB_NOTFOUND;
  if (rc == MDB_NOTFOUND && !(flags & BS_RDONLY)) {
    uint32_t ver = BS_SCHEMA_VERSION;
    v.mv_size = sizeof ver;
    v.mv_data = &ver;
    rc = mdb_put(txn, env->meta, &k, &v, 0);
  } else if (rc == 0) {
    uint32_t ver;
    if (v.mv_size != sizeof ver) {
      mdb_txn_abort(txn);
      rc = MDB_INVALID;
      goto fail;
    }
    memcpy(&ver, v.mv_data, sizeof ver);
    if (ver > BS_SCHEMA_VERSION) {
      mdb_txn_abort(txn);
      bs_close(env);
      return TR_ESCHEMA;
    }
    /* 2 -> 3: the keyspace index's log (kspace.c) is made below; a trove
     * that would not read it must not open the repo.  3 or 4 -> 5 is
     * bs_open's (bs__links_upgrade writes 5 once done). */
    if (ver == 2 && !(flags & BS_RDONLY)) {
      ver = 3;
      MDB_val sv = {sizeof ver, &ver};
      rc = mdb_put(txn, env->meta, &k, &sv, 0);
    }
    *links_upgrade = ver < 5 && !(flags & BS_RDONLY);
  }
  if (!rc)
    rc = kspace_open(env, txn, flags & BS_RDONLY, created, &build);
  if (!rc)
    rc = bs__fs_open(env, txn, flags & BS_RDONLY);
  if (rc) {
    mdb_txn_abort(txn);
    goto fail;
  }
  if ((rc = mdb_txn_commit(txn)))
    goto fail;
  map_locate(env);
  if (build && (rc = kspace_build(env))) {
    bs_close(env);
    return rc;
  }
  *envp = env;
  return 0;
fail:
  bs_close(env);
  return rc == ENOMEM ? -ENOMEM : bs__err(rc);
}

static void fl_stop(bs_env_t *env);

void bs_close(bs_env_t *env) {
  if (!env)
    return;
  fl_stop(env);
  for (unsigned i = 0; env->maplock.slot && i < TR_SLOTS; i++) {
    bs_txn_t *t = atomic_exchange(&env->maplock.slot[i].spare, NULL);
    if (t) {
      mdb_txn_abort(t->mdb);
      tr_free(t);
    }
  }
  if (env->mdb)
    mdb_env_close(env->mdb);
  tr_brlock_fini(&env->maplock);
  pthread_mutex_destroy(&env->fl_mu);
  pthread_cond_destroy(&env->fl_cv);
  bs__frozen_fini(&env->fz);
  if (env->repo_lock >= 0)
    close(env->repo_lock);
  tr_free(env->path);
  tr_free(env->fs_root);
  tr_free(env);
}

const char *bs_path(const bs_env_t *env) { return env->path; }

/* --------------------------------------------------------- transactions */

/* The reset read transaction this thread's slot keeps (bs_int.h, "spare"),
 * renewed, maplock held as for any transaction; NULL when there is none,
 * or it would not renew (the map grew in another process: a new
 * transaction adopts the size). */
static bs_txn_t *spare_renew(bs_env_t *env) {
  bs_txn_t *txn =
      atomic_exchange(&env->maplock.slot[tr_thread_slot()].spare, NULL);
  if (!txn)
    return NULL;
  txn->slot = tr_brlock_rdlock(&env->maplock);
  if (mdb_txn_renew(txn->mdb) == 0) {
    txn->ks_seq = 0;
    txn->fsbufs = NULL;
    txn->idbufs = NULL;
    return txn;
  }
  tr_brlock_rdunlock(&env->maplock, txn->slot);
  mdb_txn_abort(txn->mdb);
  tr_free(txn);
  return NULL;
}

int bs_txn_begin(bs_env_t *env, unsigned flags, bs_txn_t **txnp) {
  if ((flags & BS_RDONLY) && (*txnp = spare_renew(env)))
    return 0;
  bs_txn_t *txn = tr_malloc(sizeof *txn);
  if (!txn)
    return -ENOMEM;
  txn->env = env;
  txn->rdonly = (flags & BS_RDONLY) != 0;
  txn->ks_seq = 0;
  txn->fsbufs = NULL;
  txn->idbufs = NULL;
  int rc;
  if (!txn->rdonly && (rc = bs__grow_for(env, 0))) {
    tr_free(txn);
    return rc;
  }
  for (int tries = 0;; tries++) {
    txn->slot = tr_brlock_rdlock(&env->maplock);
    rc = mdb_txn_begin(env->mdb, NULL, txn->rdonly ? MDB_RDONLY : 0, &txn->mdb);
    if (rc == 0)
      break;
    tr_brlock_rdunlock(&env->maplock, txn->slot);
    /* Another process grew the map: adopt its size and try again. */
    if (rc == MDB_MAP_RESIZED && tries < 3) {
      tr_brlock_wrlock(&env->maplock);
      mdb_env_set_mapsize(env->mdb, 0);
      map_locate(env);
      tr_brlock_wrunlock(&env->maplock);
      continue;
    }
    tr_free(txn);
    return bs__err(rc);
  }
  *txnp = txn;
  return 0;
}

/* LMDB reports a short write - what a full file system gives - as EIO
 * ("short write, filesystem full?" in mdb_page_flush), which users read
 * as a failing disk.  When the file system holding the map has (almost) no
 * room left, say ENOSPC instead. */
static int free_bytes(bs_env_t *env, uint64_t *bytes) {
  int fd;
  struct statvfs sv;
  if (mdb_env_get_fd(env->mdb, &fd) || fstatvfs(fd, &sv))
    return -1;
  *bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
  return 0;
}

static int full_disk(bs_env_t *env, int rc) {
  uint64_t left;
  if (rc == EIO && free_bytes(env, &left) == 0 && left < (1u << 20))
    return ENOSPC;
  return rc;
}

/* ------------------------------------------------------ early writeback */

/* A batch's commit writes its pages with writev (a copy into the page
 * cache, 27-55 ms per 32 MiB) and only then waits for the disk in
 * fdatasync: the disk sat idle during the copy and the copy's CPU during
 * the flush.  While a batch commits, the env's flusher thread starts the
 * writeback of what has been written so far every FL_TICK_NS
 * (sync_file_range SYNC_FILE_RANGE_WRITE: it starts I/O and waits for
 * nothing), so the fdatasync that follows finds most pages on their way.
 * Durability is LMDB's as before: the fdatasync still decides.  The
 * thread starts with the first batch commit (commands that commit no
 * batch never have it) and sleeps between commits. */
#define FL_TICK_NS (2 * 1000 * 1000)

static void *flusher(void *arg) {
  bs_env_t *env = arg;
  int fd = -1;
  if (mdb_env_get_fd(env->mdb, &fd))
    fd = -1;
  pthread_mutex_lock(&env->fl_mu);
  while (!env->fl_closing) {
    if (!env->fl_active || fd < 0) {
      pthread_cond_wait(&env->fl_cv, &env->fl_mu);
      continue;
    }
    pthread_mutex_unlock(&env->fl_mu);
    struct timespec ts = {0, FL_TICK_NS};
    nanosleep(&ts, NULL);
    /* Only a hint: an error here is the fdatasync's to report. */
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    pthread_mutex_lock(&env->fl_mu);
  }
  pthread_mutex_unlock(&env->fl_mu);
  return NULL;
}

/* A batch commit begins (on) or has ended.  Without the thread (it could
 * not start) commits go on as they did before it. */
static void fl_set(bs_env_t *env, bool on) {
  pthread_mutex_lock(&env->fl_mu);
  if (on && !env->fl_started && !env->fl_closing)
    env->fl_started = pthread_create(&env->fl_th, NULL, flusher, env) == 0;
  env->fl_active = on;
  if (env->fl_started)
    pthread_cond_signal(&env->fl_cv);
  pthread_mutex_unlock(&env->fl_mu);
}

static void fl_stop(bs_env_t *env) {
  pthread_mutex_lock(&env->fl_mu);
  env->fl_closing = true;
  pthread_cond_signal(&env->fl_cv);
  bool started = env->fl_started;
  pthread_mutex_unlock(&env->fl_mu);
  if (started)
    pthread_join(env->fl_th, NULL);
}

/* The environment runs with MDB_NOMETASYNC: a commit flushes the data
 * pages, and the meta page that makes it durable is flushed separately by
 * mdb_env_sync().  Every public commit does both, so durability is LMDB's
 * usual; a batch's intermediate commits skip the second flush (half the
 * syncs of an import) and the batch's last commit does it for all of them,
 * unless someone will report what an intermediate commit stored
 * (bs_batch_durable_next).  A power loss mid-batch can only roll back to an
 * earlier consistent commit (MDB_NOMETASYNC keeps integrity).  A batch's
 * commits (early_wb) start their writeback early (above). */
static int commit(bs_txn_t *txn, bool durable, bool early_wb) {
  bs_env_t *env = txn->env;
  bool rdonly = txn->rdonly;
  early_wb = early_wb && !rdonly;
  if (early_wb)
    fl_set(env, true);
  int rc = mdb_txn_commit(txn->mdb);
  if (early_wb)
    fl_set(env, false);
  tr_brlock_rdunlock(&env->maplock, txn->slot);
  bs__fs_txn_end(txn);
  bs__id_txn_end(txn);
  tr_free(txn);
  rc = bs__err(full_disk(env, rc));
  return rc == 0 && durable && !rdonly ? bs__sync(env) : rc;
}

int bs_txn_commit(bs_txn_t *txn) { return commit(txn, true, false); }

int bs__commit_batch(bs_txn_t *txn, bool durable) {
  return commit(txn, durable, true);
}

int bs__sync(bs_env_t *env) {
  __atomic_fetch_add(&env->syncs, 1, __ATOMIC_RELAXED);
  return bs__err(full_disk(env, mdb_env_sync(env->mdb, 1)));
}

void bs_txn_abort(bs_txn_t *txn) {
  if (!txn)
    return;
  bs_env_t *env = txn->env;
  bs__fs_txn_end(txn);
  bs__id_txn_end(txn);
  if (txn->rdonly) {
    /* Kept as the spare of the slot of the thread that ends it (which is
     * where the next transaction of that thread looks), unless that one
     * has a spare already. */
    mdb_txn_reset(txn->mdb);
    tr_brlock_rdunlock(&env->maplock, txn->slot);
    void *none = NULL;
    if (atomic_compare_exchange_strong(
            &env->maplock.slot[tr_thread_slot()].spare, &none, txn))
      return;
    mdb_txn_abort(txn->mdb);
    tr_free(txn);
    return;
  }
  mdb_txn_abort(txn->mdb);
  tr_brlock_rdunlock(&env->maplock, txn->slot);
  tr_free(txn);
}

/* An address inside this environment's map: the first key of its meta
 * table, read in a snapshot of LMDB's own (no maplock: the callers hold it
 * exclusively or have not shared the environment yet); 0 when the table
 * is empty or unreadable. */
static uintptr_t map_pointer(bs_env_t *env) {
  MDB_txn *t;
  MDB_cursor *c;
  MDB_val k, v;
  uintptr_t p = 0;
  if (mdb_txn_begin(env->mdb, NULL, MDB_RDONLY, &t))
    return 0;
  if (!mdb_cursor_open(t, env->meta, &c)) {
    if (!mdb_cursor_get(c, &k, &v, MDB_FIRST))
      p = (uintptr_t)k.mv_data;
    mdb_cursor_close(c);
  }
  mdb_txn_abort(t);
  return p;
}

/* Where the map is, for the releases below and bs_txn_release: after
 * bs_open made its tables and after every mdb_env_set_mapsize (which
 * remaps), with no transaction of this process open (maplock held
 * exclusively, or the environment not yet shared).  LMDB does not say
 * where its map is (me_mapaddr is only set with MDB_FIXEDMAP), so find it
 * in /proc/self/maps: the run of lines of data.mdb's inode (one map shows
 * as several when madvise() split its flags), contiguous in address and
 * offset, that holds an address LMDB gave us.  Not every mapping of the
 * inode: a process with the repo open twice (a test's forked child) maps
 * it twice, and a range spanning both would cover the heap and thread
 * stacks between them, which MADV_DONTNEED zeroes. */
static void map_locate(bs_env_t *env) {
  env->map_lo = env->map_hi = 0;
  uintptr_t p = map_pointer(env);
  int fd;
  struct stat st;
  if (!p || mdb_env_get_fd(env->mdb, &fd) || fstat(fd, &st))
    return;
  FILE *f = fopen("/proc/self/maps", "re");
  if (!f)
    return;
  char line[4096 + 256]; /* the repo's path is shorter (bs_open) */
  /* The run so far: [lo, hi), mapping the file from lo_off on. */
  uintptr_t lo = 0, hi = 0, lo_off = 0, next_off = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long a = 0, b = 0, off = 0, ino = 0;
    char perms[8];
    unsigned maj, min;
    bool ours = sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &a, &b, perms, &off,
                       &maj, &min, &ino) == 7 &&
                ino == (unsigned long)st.st_ino && perms[3] == 's' &&
                makedev(maj, min) == st.st_dev;
    if (ours && hi && a == hi && off == next_off) {
      hi = b; /* the same map, split */
    } else {
      if (hi && p >= lo && p < hi)
        break;
      lo = ours ? a : 0;
      hi = ours ? b : 0;
      lo_off = off;
    }
    next_off = off + (b - a);
  }
  fclose(f);
  /* LMDB maps the file from its start: map_lo is offset 0 (blocks.c's
   * pread of a value's first bytes counts on it). */
  if (hi && p >= lo && p < hi && lo_off == 0)
    env->map_lo = lo, env->map_hi = hi;
}

/* Pages of the map stay counted in this process's RSS until it unmaps
 * them, though they are only page cache: those a batch read, and with the
 * write map every page a commit wrote (a 256 MiB commit maps 237 MiB).
 * And each page touched maps more than itself: the kernel maps the whole
 * page-cache folio around it (Linux 6.18, ext4: up to ~1 MB per touch of
 * a file written in large chunks, MADV_RANDOM or not).  After a commit
 * nothing of the map is needed in our page tables: drop it all.  Safe
 * beside readers in other threads, who simply fault their pages back
 * from the page cache. */
void bs__release_map(bs_env_t *env) {
  /* The map must not move while we drop it: a remap takes maplock
   * exclusively, so hold it shared - without blocking, as the caller may
   * be inside a transaction (holding it already: a blocking second
   * rdlock could deadlock behind a waiting writer).  Busy means a remap
   * is under way or queued: skip this release, the next one will do. */
  unsigned slot;
  if (!tr_brlock_tryrdlock(&env->maplock, &slot))
    return;
  if (env->map_hi > env->map_lo)
    madvise((void *)env->map_lo, env->map_hi - env->map_lo, MADV_DONTNEED);
  tr_brlock_rdunlock(&env->maplock, slot);
}

void bs__release_map_held(bs_txn_t *txn) {
  bs_env_t *env = txn->env;
  unsigned fl = 0;
  if (env->map_hi && (txn->rdonly || (!mdb_env_get_flags(env->mdb, &fl) &&
                                      !(fl & MDB_WRITEMAP))))
    madvise((void *)env->map_lo, env->map_hi - env->map_lo, MADV_DONTNEED);
}

void bs_txn_release(bs_txn_t *txn, const void *p, size_t n) {
  bs_env_t *env = txn->env;
  if (txn->fsbufs)
    bs__fs_release(txn, p, n);
  if (txn->idbufs)
    bs__id_release(txn, p);
  uintptr_t ps = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t lo = ((uintptr_t)p + ps - 1) & ~(ps - 1);
  uintptr_t hi = ((uintptr_t)p + n) & ~(ps - 1);
  /* Only whole pages of the map: a view may also be a block's bytes in
   * this transaction's heap pages, or an identity CID's, and dropping
   * those would zero them. */
  if (hi > lo && lo >= env->map_lo && hi <= env->map_hi)
    madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

void bs_release_map(bs_env_t *env) { bs__release_map(env); }

int bs_trim_map(bs_env_t *env, uint64_t keep) {
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  char buf[128];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  int e = errno;
  close(fd);
  if (n <= 0)
    return n < 0 ? -e : -EIO;
  buf[n] = 0;
  /* size resident shared text lib data dt, in pages */
  unsigned long long size, resident, shared;
  if (sscanf(buf, "%llu %llu %llu", &size, &resident, &shared) != 3)
    return -EIO;
  if (shared * (uint64_t)sysconf(_SC_PAGESIZE) <= keep)
    return 0;
  bs__release_map(env);
  return 1;
}

void bs__release_map_in_txn(bs_env_t *env) {
  unsigned fl = 0;
  if (!mdb_env_get_flags(env->mdb, &fl) && !(fl & MDB_WRITEMAP))
    bs__release_map(env);
}

/* ------------------------------------------------------------------ stat */

int bs_count(bs_txn_t *txn, uint64_t *blocks) {
  MDB_stat ms;
  int rc = mdb_stat(txn->mdb, txn->env->blocks, &ms);
  *blocks = rc ? 0 : ms.ms_entries;
  return rc ? bs__err(rc) : 0;
}

int bs_stat(bs_env_t *env, bs_stat_t *st) {
  memset(st, 0, sizeof *st);
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  MDB_stat ms;
  mdb_stat(txn->mdb, env->blocks, &ms);
  st->blocks = ms.ms_entries;
  mdb_stat(txn->mdb, env->pins, &ms);
  st->pins = ms.ms_entries;
  bs__fs_stat(txn, &st->refs, &st->ref_bytes);
  /* Sum of block sizes: a key-only cursor walk; LMDB hands out the size
   * without touching the value's overflow pages. */
  MDB_cursor *cur;
  if ((rc = mdb_cursor_open(txn->mdb, env->blocks, &cur)) == 0) {
    MDB_val k, v;
    for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op) == 0;
         op = MDB_NEXT)
      st->block_bytes += v.mv_size;
    mdb_cursor_close(cur);
  }
  /* Free pages: LMDB's free list (database 0), each value a page-number
   * list whose first word is its length, as mdb_stat -f counts them. */
  uint64_t free_pages = 0;
  if (!rc && (rc = mdb_cursor_open(txn->mdb, 0, &cur)) == 0) {
    MDB_val k, v;
    for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op) == 0;
         op = MDB_NEXT)
      if (v.mv_size >= sizeof(size_t))
        free_pages += *(const size_t *)v.mv_data;
    mdb_cursor_close(cur);
  }
  bs_txn_abort(txn);
  st->repo_bytes = bs__used_bytes(env);
  st->data_bytes = st->repo_bytes - free_pages * env->pagesize;
  if (free_pages * env->pagesize > st->repo_bytes)
    st->data_bytes = 0;
  char file[4096];
  struct stat fst;
  snprintf(file, sizeof file, "%s/data.mdb", env->path);
  if (stat(file, &fst) == 0)
    st->file_bytes = (uint64_t)fst.st_size;
  st->map_bytes = bs__map_bytes(env);
  return bs__err(rc);
}
/* ------------------------------------------------ the keyspace index */

/* The index itself is kspace.c's; opening it, and building it where it is
 * missing (a repo of schema 1, or a build cut short), is here, at open:
 * before bs_open() returns, in chunks of KS_BUILD_CHUNK blocks each its
 * own write transaction (bounded dirty memory; the map grows between
 * chunks), under an exclusive flock on <repo>/kspace.lock so that two
 * processes opening an old repo at once do not build it twice.  Then the
 * meta key "kspace" marks it complete and the schema becomes 2: a trove
 * that does not know the index (schema 1) refuses the repo rather than
 * write blocks behind its back. */

/* Blocks indexed per write transaction of a build: about 5 MiB of dirty
 * index pages. */
#define KS_BUILD_CHUNK 65536

static const MDB_val KS_MARK = {6, "kspace"};

/* kspace.c's put, which env.c may not call (it sits above). */
static int ks_put(bs_txn_t *txn, const uint8_t *mh, size_t mhl) {
  uint8_t h[32];
  dag_sha256(mh, mhl, h);
  MDB_val k = {32, h}, v = {mhl, (void *)mh};
  return bs__err(mdb_put(txn->mdb, txn->env->kspace, &k, &v, 0));
}

/* Index up to KS_BUILD_CHUNK blocks from the key after *last (from the
 * first when *lastl is 0), in one transaction; *done when the blocks ran
 * out (then the mark and schema 2 go in the same commit). */
static int build_chunk(bs_env_t *env, uint8_t *last, size_t *lastl,
                       bool *done, uint64_t *n) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, 0, &txn);
  if (rc)
    return rc;
  MDB_cursor *cur;
  if ((rc = mdb_cursor_open(txn->mdb, env->blocks, &cur))) {
    bs_txn_abort(txn);
    return bs__err(rc);
  }
  MDB_val k = {*lastl, last}, v;
  rc = mdb_cursor_get(cur, &k, &v, *lastl ? MDB_SET_RANGE : MDB_FIRST);
  if (!rc && *lastl && k.mv_size == *lastl && !memcmp(k.mv_data, last, *lastl))
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  int err = 0;
  for (unsigned i = 0; !rc && !err && i < KS_BUILD_CHUNK; i++) {
    if (k.mv_size <= DAG_MH_MAX) {
      err = ks_put(txn, k.mv_data, k.mv_size);
      memcpy(last, k.mv_data, k.mv_size);
      *lastl = k.mv_size;
      (*n)++;
    }
    if (!err)
      rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (!err && rc && rc != MDB_NOTFOUND)
    err = bs__err(rc);
  *done = rc == MDB_NOTFOUND;
  if (!err && *done) {
    uint32_t ver = 3; /* 5 once bs__links_upgrade has run */
    MDB_val one = {1, "1"}, sv = {sizeof ver, &ver};
    MDB_val sk = {6, "schema"};
    if ((rc = mdb_put(txn->mdb, env->meta, (MDB_val *)&KS_MARK, &one, 0)) ||
        (rc = mdb_put(txn->mdb, env->meta, &sk, &sv, 0)))
      err = bs__err(rc);
  }
  if (err) {
    bs_txn_abort(txn);
    return err;
  }
  return bs_txn_commit(txn);
}

/* Whether the mark is there, in a transaction of its own. */
static int marked(bs_env_t *env, bool *yes) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  MDB_val v;
  rc = mdb_get(txn->mdb, env->meta, (MDB_val *)&KS_MARK, &v);
  bs_txn_abort(txn);
  *yes = rc == 0;
  return rc == 0 || rc == MDB_NOTFOUND ? 0 : bs__err(rc);
}

static int kspace_open(bs_env_t *env, MDB_txn *txn, bool rdonly, bool created,
                    bool *build) {
  *build = false;
  /* The index's log; a repo of schema 2 or less read as it is has none. */
  int rc = mdb_dbi_open(txn, "kslog", rdonly ? 0 : MDB_CREATE, &env->kslog);
  if (rc && !(rc == MDB_NOTFOUND && rdonly))
    return rc;
  env->has_kslog = rc == 0;
  rc = mdb_dbi_open(txn, "kspace", rdonly ? 0 : MDB_CREATE, &env->kspace);
  if (rc == MDB_NOTFOUND && rdonly)
    return 0; /* an old repo read as it is: no index (has_kspace false) */
  if (rc)
    return rc;
  MDB_val v;
  rc = mdb_get(txn, env->meta, (MDB_val *)&KS_MARK, &v);
  if (rc == MDB_NOTFOUND && created) {
    /* A new repo: nothing to index, complete from the start. */
    MDB_val one = {1, "1"};
    if ((rc = mdb_put(txn, env->meta, (MDB_val *)&KS_MARK, &one, 0)))
      return rc;
    env->has_kspace = true;
    return 0;
  }
  if (rc == MDB_NOTFOUND) {
    *build = !rdonly;
    return 0;
  }
  if (rc)
    return rc;
  env->has_kspace = true;
  return 0;
}

static int kspace_build(bs_env_t *env) {
  int fd = bs__flock(env->path, "kspace.lock", LOCK_EX);
  if (fd < 0)
    return fd;
  bool done;
  int rc = marked(env, &done);
  if (!rc && !done) {
    /* Empty it first: what a build cut short left is redone whole. */
    bs_txn_t *txn;
    if (!(rc = bs_txn_begin(env, 0, &txn))) {
      rc = bs__err(mdb_drop(txn->mdb, env->kspace, 0));
      if (!rc)
        rc = bs__err(mdb_drop(txn->mdb, env->kslog, 0));
      rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
    }
    uint64_t n = 0, blocks = 0;
    if (!rc && !bs_txn_begin(env, BS_RDONLY, &txn)) {
      if (bs_count(txn, &blocks))
        blocks = 0;
      bs_txn_abort(txn);
    }
    tr_log(TR_LOG_INFO, "blockstore: building the keyspace index of %llu "
           "blocks (once, for the reprovider)", (unsigned long long)blocks);
    uint8_t last[DAG_MH_MAX];
    size_t lastl = 0;
    while (!rc && !done)
      rc = build_chunk(env, last, &lastl, &done, &n);
    if (!rc)
      tr_log(TR_LOG_INFO, "blockstore: keyspace index built (%llu keys)",
             (unsigned long long)n);
  }
  if (!rc)
    env->has_kspace = true;
  close(fd);
  return rc;
}

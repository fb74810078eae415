/*
 * bench_blockstore.c — the blockstore benchmarks of `make bench` (issue 3).
 *
 * 1. put: BENCH_BLOCKS blocks (default 1,000,000) of mixed sizes stored
 *    through trove (bs_batch_put with raw CIDv1, sha2-256 computed per
 *    block), then the same bytes stored by a plain LMDB put loop, in the
 *    same run, one store after the other (the first is deleted before the
 *    second starts, so the disk holds one at a time).  Prints both rates and
 *    the ratio trove / plain LMDB (target >= 0.8).
 *
 *    trove runs as shipped: bs_open() flags and its default batch size
 *    (BS_BATCH_BYTES, or TROVE_BATCH_MB; BENCH_BATCH_MB forces one).  The
 *    plain loop is the best plain LMDB does on this machine, so the ratio
 *    is honest: its map sized up front (no growth), mdb_put(MDB_RESERVE)
 *    and one memcpy per block, a commit every 256 MiB of values
 *    (BENCH_REF_BATCH_MB), each commit synced (no MDB_NOSYNC: trove syncs
 *    too), and the same key trove computes (the 34-byte sha2-256
 *    multihash, via dag_sha256: hashing is part of a content-addressed
 *    put).  Its env flags come from BENCH_REF_FLAGS, default none: measured
 *    here (Linux 6.18, ext4, 200k blocks of this mix, 256 MiB commits) no
 *    flags wrote ~200 MB/s, MDB_WRITEMAP ~115 MB/s and MDB_WRITEMAP +
 *    MDB_NORDAHEAD ~140 MB/s.  A write map dirties whole page-cache folios:
 *    the kernel's mmap readahead fills the cache with large folios, and a
 *    4 KiB page written through the map marks its folio dirty, so commits
 *    wrote 2.6x (256 MiB) to 15x (32 MiB commits) the data (the "dirtied"
 *    figure printed is /proc/self/io write_bytes).
 *
 *    Sizes: a uniform 256 B - 256 KiB mix would be ~128 GB for 1M blocks
 *    and a log-uniform one ~38 GB; the shared disk has ~80 GB free, so the
 *    default is a skewed mix: 92% of blocks log-uniform in [256 B, 16 KiB)
 *    and 8% log-uniform in [16 KiB, 256 KiB], mean ~10.7 KB, ~10.7 GB per
 *    store, two thirds of the bytes in the large blocks (as in real repos,
 *    where most blocks are small and most bytes sit in full chunks).
 *    BENCH_SPLIT_SIZE=256 BENCH_LARGE_PCT=100 gives pure log-uniform.
 *
 *    Block bytes are slices of a 64 MiB xorshift pool at planned offsets,
 *    with the block's index written over the first 8 bytes so every block
 *    is distinct; the plan (offsets, sizes) is made before the clock starts,
 *    so neither loop pays for generating data.
 *
 * 2. gc: BENCH_GC_BLOCKS blocks (default 1,000,000) of which BENCH_GC_GARBAGE
 *    (100,000) are unreachable.  The repo holds files as UnixFS-shaped DAGs:
 *    raw leaves under dag-pb CIDv1 parents of 174 or 1024 links, each live
 *    file pinned recursively; garbage is made of the same kind of files,
 *    left unpinned (so GC deletes links entries too).  Leaves are small
 *    (256 B - 4 KiB): GC's cost is per block (mark through the links index,
 *    sweep over keys), not per byte.  GC runs in a child process that only
 *    opens the repo and calls bs_gc(), so its peak RSS (VmHWM) is GC's;
 *    the parent samples the child's RssAnon/RssFile meanwhile to split that
 *    peak into heap and mapped LMDB pages.  The reference, on a copy of
 *    the same repo: plain LMDB deleting the known garbage keys in one
 *    sorted transaction (gc_ref_child).  Afterwards the parent checks
 *    that exactly the garbage went: removed == garbage, every garbage block
 *    absent, the store holds the live count, and every pin verifies
 *    (complete and rehashed).  Targets (issue 15): under 3 s, anonymous
 *    RSS under 64 MiB.
 *
 * Settings: BENCH_* environment variables, listed in bench/README.md
 * (BENCH_BLOCKS, the size mix, BENCH_ROUNDS, BENCH_GC_*, BENCH_STRICT...).
 *
 * This is a program, not library code: it exits on the first error.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <inttypes.h>
#include <lmdb.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../blockstore/bs.h"
#include "../common/tr.h"
#include "../dag/cid.h"
#include "../dag/dagpb.h"

#define POOL_BYTES (64u << 20)
#define TMPFS_MAGIC_ 0x01021994

/* ---------------------------------------------------------------- helpers */

TR_PRINTF(1, 2) static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("bench_blockstore: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(2);
}

static void check(int rc, const char *what) {
  if (rc)
    die("%s: %s", what, rc < -30000 && rc > -31000 ? mdb_strerror(rc)
                                                   : tr_strerror(rc));
}

static void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p)
    die("out of memory (%zu bytes)", n);
  return p;
}

static uint64_t env_u64(const char *name, uint64_t def) {
  const char *s = getenv(name);
  if (!s || !*s)
    return def;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end)
    die("%s=%s: not a number", name, s);
  return v;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1234567 -> "1,234,567" into buf. */
static const char *commas(uint64_t v, char buf[32]) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v), o = 0;
  for (int i = 0; i < n; i++) {
    if (i && (n - i) % 3 == 0)
      buf[o++] = ',';
    buf[o++] = tmp[i];
  }
  buf[o] = 0;
  return buf;
}

/* A value from /proc/<pid>/status in kB ("VmHWM", "RssAnon"), or -1. */
static long proc_status_kb(pid_t pid, const char *field) {
  char path[64], line[256];
  if (pid)
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  else
    snprintf(path, sizeof path, "/proc/self/status");
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  long v = -1;
  size_t fl = strlen(field);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, field, fl) && line[fl] == ':') {
      v = strtol(line + fl + 1, NULL, 10);
      break;
    }
  fclose(f);
  return v;
}

/* The first three fields of /proc/loadavg, into buf. */
static void loadavg(char *buf, size_t size) {
  FILE *f = fopen("/proc/loadavg", "r");
  double a = 0, b = 0, c = 0;
  if (!f || fscanf(f, "%lf %lf %lf", &a, &b, &c) != 3)
    a = b = c = -1;
  if (f)
    fclose(f);
  snprintf(buf, size, "%.2f %.2f %.2f", a, b, c);
}

/* Peak RSS split into anonymous memory (heap, LMDB's dirty pages) and
 * file-mapped memory (pages of data.mdb mapped in: page cache, counted in
 * RSS while mapped), sampled every 2 ms from a thread (VmHWM is the
 * kernel's exact peak of their sum, but not split). */
typedef struct mem_peak {
  long anon, file; /* kB */
} mem_peak_t;

typedef struct memwatch {
  pid_t pid; /* 0: this process */
  pthread_t th;
  int stop;
  mem_peak_t peak;
} memwatch_t;

static void mw_sample(memwatch_t *m) {
  long a = proc_status_kb(m->pid, "RssAnon"), f = proc_status_kb(m->pid, "RssFile");
  if (a > m->peak.anon)
    m->peak.anon = a;
  if (f > m->peak.file)
    m->peak.file = f;
}

static void *mw_main(void *arg) {
  memwatch_t *m = arg;
  while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
    mw_sample(m);
    nanosleep(&(struct timespec){0, 2000000}, NULL);
  }
  return NULL;
}

static void mw_start(memwatch_t *m, pid_t pid) {
  memset(m, 0, sizeof *m);
  m->pid = pid;
  if (pthread_create(&m->th, NULL, mw_main, m))
    die("pthread_create");
}

static mem_peak_t mw_stop(memwatch_t *m) {
  if (!m->pid)
    mw_sample(m); /* a child has exited: nothing left to read */
  __atomic_store_n(&m->stop, 1, __ATOMIC_RELEASE);
  pthread_join(m->th, NULL);
  return m->peak;
}

/* Reset this process's VmHWM to its current RSS (Linux >= 4.0). */
static void reset_hwm(void) {
  int fd = open("/proc/self/clear_refs", O_WRONLY);
  if (fd < 0 || write(fd, "5", 1) != 1)
    die("clear_refs: %s", strerror(errno));
  close(fd);
}

/* Delete a repo directory (flat: data.mdb, lock.mdb, gc.lock). */
static void rm_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *e;
  char p[4096];
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      if (unlink(p))
        die("unlink %s: %s", p, strerror(errno));
    }
  closedir(d);
  if (rmdir(dir))
    die("rmdir %s: %s", dir, strerror(errno));
}

/* xorshift64*: deterministic, fast, good enough for sizes and bytes. */
typedef struct rng {
  uint64_t s;
} rng_t;

static uint64_t rng_next(rng_t *r) {
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return r->s * 2685821657736338717ull;
}

static double rng_unit(rng_t *r) { return (double)(rng_next(r) >> 11) / 9007199254740992.0; }

/* Log-uniform integer in [lo, hi]. */
static uint64_t rng_logu(rng_t *r, uint64_t lo, uint64_t hi) {
  if (lo >= hi)
    return lo;
  double v = exp(log((double)lo) + rng_unit(r) * (log((double)hi + 1) - log((double)lo)));
  uint64_t n = (uint64_t)v;
  return n < lo ? lo : n > hi ? hi : n;
}

static double logu_mean(double lo, double hi) {
  return lo >= hi ? lo : (hi - lo) / log(hi / lo);
}

static void fill_pool(rng_t *r, uint8_t *p, size_t n) {
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = rng_next(r);
    memcpy(p + i, &v, 8);
  }
}

/* ---------------------------------------------------------- put: the plan */

typedef struct plan {
  uint64_t n;
  uint32_t *off, *len;
  uint8_t *pool;
  uint64_t bytes;     /* sum of block sizes */
  uint64_t disk_need; /* rough bytes one store takes on disk */
  size_t batch;       /* trove: bs_batch_begin's batch_bytes (0: default) */
  size_t ref_batch;   /* plain loop: value bytes per commit */
} plan_t;

static void plan_make(plan_t *p, rng_t *r) {
  uint64_t n = env_u64("BENCH_BLOCKS", 1000000);
  uint64_t lo = env_u64("BENCH_MIN_SIZE", 256);
  uint64_t hi = env_u64("BENCH_MAX_SIZE", 256 << 10);
  uint64_t split = env_u64("BENCH_SPLIT_SIZE", 16 << 10);
  uint64_t pct = env_u64("BENCH_LARGE_PCT", 8);
  if (lo < 8 || hi > BS_MAX_BLOCK || lo > hi || split < lo || split > hi ||
      pct > 100 || n == 0 || n > UINT32_MAX)
    die("bad BENCH_* size settings");
  p->n = n;
  p->batch = (size_t)env_u64("BENCH_BATCH_MB", 0) << 20;
  p->ref_batch = (size_t)env_u64("BENCH_REF_BATCH_MB", 256) << 20;
  p->off = xmalloc(n * sizeof *p->off);
  p->len = xmalloc(n * sizeof *p->len);
  p->pool = xmalloc(POOL_BYTES + hi);
  fill_pool(r, p->pool, POOL_BYTES + hi);
  uint64_t sizes[4] = {0}; /* < 4 KiB, < 64 KiB, < 256 KiB, = 256 KiB+ */
  p->bytes = p->disk_need = 0;
  for (uint64_t i = 0; i < n; i++) {
    bool large = rng_next(r) % 100 < pct;
    uint64_t sz = large ? rng_logu(r, split, hi) : rng_logu(r, lo, split - (split > lo));
    p->len[i] = (uint32_t)sz;
    p->off[i] = (uint32_t)(rng_next(r) % POOL_BYTES);
    p->bytes += sz;
    /* Values above ~2 KB go to overflow pages (whole 4 KiB pages); smaller
     * ones share leaf pages.  Count generously: this only guards the disk. */
    p->disk_need += sz > 2000 ? (sz + 16 + 4095) / 4096 * 4096 : sz + 64;
    sizes[sz < 4096 ? 0 : sz < 65536 ? 1 : sz < 262144 ? 2 : 3]++;
  }
  p->disk_need += p->disk_need / 8 + (1ull << 30);
  char a[32], b[32], c[32], d[32], e[32];
  double mean = (100 - pct) / 100.0 * logu_mean((double)lo, (double)split) +
                pct / 100.0 * logu_mean((double)split, (double)hi);
  printf("put data: %s blocks, %.2f GB (mean %.1f KB, expected %.1f KB); "
         "%" PRIu64 "%% log-uniform [%" PRIu64 ", %" PRIu64 ") B, %" PRIu64
         "%% log-uniform [%" PRIu64 ", %" PRIu64 "] B\n",
         commas(n, a), (double)p->bytes / 1e9, (double)p->bytes / (double)n / 1e3,
         mean / 1e3, 100 - pct, lo, split, pct, split, hi);
  const char *tb = getenv("TROVE_BATCH_MB");
  size_t tmib = p->batch ? p->batch >> 20
                : tb && atoi(tb) > 0 ? (size_t)atoi(tb) : BS_BATCH_BYTES >> 20;
  printf("put data: sizes <4K %s, 4K-64K %s, 64K-256K %s, 256K %s; commits "
         "every %zu MiB (trove%s), %zu MiB (plain LMDB)\n",
         commas(sizes[0], b), commas(sizes[1], c), commas(sizes[2], d),
         commas(sizes[3], e), tmib, p->batch ? "" : "'s default", p->ref_batch >> 20);
}

/* The block's bytes: its pool slice with its index written over the first
 * 8 bytes (restored by unstamp), so that no two blocks are equal. */
static uint8_t *stamp(plan_t *p, uint64_t i, uint64_t *saved) {
  uint8_t *b = p->pool + p->off[i];
  memcpy(saved, b, 8);
  memcpy(b, &i, 8);
  return b;
}

static void unstamp(plan_t *p, uint64_t i, const uint64_t *saved) {
  memcpy(p->pool + p->off[i], saved, 8);
}

typedef struct put_result {
  double secs;
  double user, sys;
  uint64_t commits;
  uint64_t dirtied; /* /proc/self/io write_bytes: page-cache bytes dirtied */
  long hwm;         /* kB: VmHWM over the puts, less the bench's own RSS */
  mem_peak_t mem;   /* sampled peaks, less the bench's own */
  memwatch_t mw;
  long base_rss, base_anon, base_file;
} put_result_t;

/* The puts' memory: VmHWM is reset before they start and the bench's own
 * (the plan and the data pool, ~70 MiB) taken off afterwards. */
static void put_mem_start(put_result_t *res) {
  reset_hwm();
  res->base_rss = proc_status_kb(0, "VmRSS");
  res->base_anon = proc_status_kb(0, "RssAnon");
  res->base_file = proc_status_kb(0, "RssFile");
  mw_start(&res->mw, 0);
}

static void put_mem_stop(put_result_t *res) {
  res->mem = mw_stop(&res->mw);
  res->hwm = proc_status_kb(0, "VmHWM") - res->base_rss;
  res->mem.anon -= res->base_anon;
  res->mem.file -= res->base_file;
}

static uint64_t io_write_bytes(void) {
  FILE *f = fopen("/proc/self/io", "r");
  char line[128];
  uint64_t v = 0;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "write_bytes:", 12))
      v = strtoull(line + 12, NULL, 10);
  if (f)
    fclose(f);
  return v;
}

static double cpu_secs(const struct timeval *tv) {
  return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static void rusage_delta(const struct rusage *a, put_result_t *res) {
  res->dirtied = io_write_bytes() - res->dirtied;
  struct rusage b;
  getrusage(RUSAGE_SELF, &b);
  res->user = cpu_secs(&b.ru_utime) - cpu_secs(&a->ru_utime);
  res->sys = cpu_secs(&b.ru_stime) - cpu_secs(&a->ru_stime);
}

/* ----------------------------------------------------- put: through trove */

static put_result_t put_trove(plan_t *p, const char *dir) {
  put_result_t res = {0};
  put_mem_start(&res);
  bs_env_t *env;
  check(bs_open(&env, dir, BS_CREATE), "bs_open");
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  res.dirtied = io_write_bytes();
  double t0 = now();
  bs_batch_t *b;
  check(bs_batch_begin(env, p->batch, &b), "bs_batch_begin");
  for (uint64_t i = 0; i < p->n; i++) {
    uint64_t saved;
    uint8_t *data = stamp(p, i, &saved);
    dag_cid_t cid;
    check(dag_cid_sum(&cid, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, data, p->len[i]),
          "dag_cid_sum");
    check(bs_batch_put(b, &cid, data, p->len[i]), "bs_batch_put");
    unstamp(p, i, &saved);
  }
  check(bs_batch_end(b, 1), "bs_batch_end");
  res.secs = now() - t0;
  put_mem_stop(&res);
  rusage_delta(&ru, &res);
  bs_stat_t st;
  check(bs_stat(env, &st), "bs_stat");
  if (st.blocks != p->n || st.block_bytes != p->bytes)
    die("trove store holds %" PRIu64 " blocks / %" PRIu64 " bytes, want %" PRIu64
        " / %" PRIu64, st.blocks, st.block_bytes, p->n, p->bytes);
  bs_close(env);
  return res;
}

/* ------------------------------------------------- put: plain LMDB loop */

/* BENCH_REF_FLAGS: a list with "writemap" and/or "nordahead". */
static unsigned ref_flags(char *names, size_t size) {
  const char *f = getenv("BENCH_REF_FLAGS") ? getenv("BENCH_REF_FLAGS") : "";
  unsigned fl = (strstr(f, "writemap") ? MDB_WRITEMAP : 0) |
                (strstr(f, "nordahead") ? MDB_NORDAHEAD : 0);
  snprintf(names, size, "%s%s%s", fl ? "" : "no env flags",
           fl & MDB_WRITEMAP ? "MDB_WRITEMAP " : "",
           fl & MDB_NORDAHEAD ? "MDB_NORDAHEAD" : "");
  return fl;
}

static put_result_t put_plain(plan_t *p, const char *dir) {
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  check(mdb_env_create(&env), "mdb_env_create");
  /* Map sized once for everything: the plain loop never stops to grow. */
  check(mdb_env_set_mapsize(env, (size_t)(p->disk_need * 2)), "mdb_env_set_mapsize");
  if (mkdir(dir, 0700) && errno != EEXIST)
    die("mkdir %s: %s", dir, strerror(errno));
  char names[64];
  put_result_t res = {0};
  put_mem_start(&res);
  check(mdb_env_open(env, dir, ref_flags(names, sizeof names), 0600), "mdb_env_open");
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  res.dirtied = io_write_bytes();
  double t0 = now();
  check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
  check(mdb_dbi_open(txn, NULL, 0, &dbi), "mdb_dbi_open");
  size_t pending = 0;
  uint8_t key[34] = {0x12, 0x20};
  for (uint64_t i = 0; i < p->n; i++) {
    size_t len = p->len[i];
    if (pending && pending + len > p->ref_batch) {
      check(mdb_txn_commit(txn), "mdb_txn_commit");
      res.commits++;
      check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
      pending = 0;
    }
    uint64_t saved;
    uint8_t *data = stamp(p, i, &saved);
    dag_sha256(data, len, key + 2);
    MDB_val k = {sizeof key, key}, v = {len, NULL};
    check(mdb_put(txn, dbi, &k, &v, MDB_RESERVE), "mdb_put");
    memcpy(v.mv_data, data, len);
    unstamp(p, i, &saved);
    pending += len;
  }
  check(mdb_txn_commit(txn), "mdb_txn_commit");
  res.commits++;
  res.secs = now() - t0;
  put_mem_stop(&res);
  rusage_delta(&ru, &res);
  MDB_stat ms;
  check(mdb_env_stat(env, &ms), "mdb_env_stat");
  if (ms.ms_entries != p->n)
    die("plain store holds %zu blocks, want %" PRIu64, (size_t)ms.ms_entries, p->n);
  mdb_env_close(env);
  return res;
}

static bool bench_put(const char *work, rng_t *r) {
  plan_t p;
  plan_make(&p, r);
  struct statvfs vfs;
  if (statvfs(work, &vfs))
    die("statvfs %s: %s", work, strerror(errno));
  uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
  if (p.disk_need > avail * 9 / 10)
    die("put needs ~%.1f GB on disk, %s has %.1f GB free: set BENCH_BLOCKS "
        "or the size mix lower", (double)p.disk_need / 1e9, work,
        (double)avail / 1e9);
  char tdir[4096], pdir[4096];
  snprintf(tdir, sizeof tdir, "%s/put-trove", work);
  snprintf(pdir, sizeof pdir, "%s/put-lmdb", work);
  bool ref_first = getenv("BENCH_ORDER") && !strcmp(getenv("BENCH_ORDER"), "ref-first");
  uint64_t rounds = env_u64("BENCH_ROUNDS", 1);
  put_result_t t = {.secs = 1e30}, l = {.secs = 1e30};
  char la0[64], la1[64];
  loadavg(la0, sizeof la0);
  /* One store on disk at a time; each is gone before the other starts.
   * With several rounds the order alternates and the best time of each side
   * counts: on a shared machine the slowest runs measure the neighbours. */
  for (uint64_t round = 0; round < (rounds ? rounds : 1); round++) {
    put_result_t rt, rl;
    if (ref_first != (round % 2 == 1)) {
      rl = put_plain(&p, pdir);
      rm_dir(pdir);
      rt = put_trove(&p, tdir);
      rm_dir(tdir);
    } else {
      rt = put_trove(&p, tdir);
      rm_dir(tdir);
      rl = put_plain(&p, pdir);
      rm_dir(pdir);
    }
    if (rounds > 1)
      printf("put round %" PRIu64 ": trove %.1f s, plain LMDB %.1f s, ratio %.2f\n",
             round + 1, rt.secs, rl.secs, rl.secs / rt.secs);
    if (rt.secs < t.secs)
      t = rt;
    if (rl.secs < l.secs)
      l = rl;
  }
  loadavg(la1, sizeof la1);
  double tmb = (double)p.bytes / 1e6 / t.secs, lmb = (double)p.bytes / 1e6 / l.secs;
  double ratio = tmb / lmb;
  char a[32], b[32];
  printf("put trove: %.1f s (user %.1f s, sys %.1f s, %.1f GB dirtied), peak "
         "RSS %.1f MiB: anonymous %.1f MiB, file-mapped %.1f MiB (the bench's "
         "own data not counted)\n", t.secs, t.user, t.sys, (double)t.dirtied / 1e9,
         t.hwm / 1024.0, t.mem.anon / 1024.0, t.mem.file / 1024.0);
  char names[64];
  ref_flags(names, sizeof names);
  printf("put plain LMDB: %.1f s (user %.1f s, sys %.1f s, %.1f GB dirtied, %" PRIu64
         " commits; %s, MDB_RESERVE, presized map, synced commits), peak RSS "
         "%.1f MiB: anonymous %.1f MiB, file-mapped %.1f MiB\n",
         l.secs, l.user, l.sys, (double)l.dirtied / 1e9, l.commits, names,
         l.hwm / 1024.0, l.mem.anon / 1024.0, l.mem.file / 1024.0);
  bool ok = ratio >= 0.8 && t.hwm < 128 * 1024;
  printf("blockstore put: trove %.0f MB/s (%s blocks/s), plain LMDB %.0f MB/s "
         "(%s blocks/s), ratio %.2f (target >= 0.8)%s; trove peak RSS %.0f MiB "
         "(target < 128 MiB); load %s -> %s%s\n",
         tmb, commas((uint64_t)((double)p.n / t.secs), a), lmb,
         commas((uint64_t)((double)p.n / l.secs), b), ratio,
         rounds > 1 ? ", best of each" : "", t.hwm / 1024.0, la0, la1,
         ok ? "" : "  MISSED");
  free(p.off);
  free(p.len);
  free(p.pool);
  return ok;
}

/* ------------------------------------------------------ gc: the repo */

#define GC_UNIXFS_FILE "\x08\x02" /* UnixFS Data { Type: File } */

typedef struct gc_build {
  bs_batch_t *b;
  rng_t *r;
  uint8_t *pool;
  size_t leaf_min, leaf_max;
  uint64_t counter;    /* stamps every leaf, so all leaves differ */
  dag_cid_t *lvl[2];   /* current and next level of a file's DAG */
  dag_pb_link_t *links;
  uint8_t *node;
  size_t node_cap;
  uint8_t *garbage;    /* multihashes (34 bytes) of every garbage block */
  uint64_t ngarbage;
  uint64_t pins;
} gc_build_t;

static uint64_t dag_blocks(uint64_t leaves, unsigned fanout) {
  uint64_t t = leaves, n = leaves;
  while (n > 1) {
    n = (n + fanout - 1) / fanout;
    t += n;
  }
  return t;
}

static void gc_put(gc_build_t *g, const dag_cid_t *cid, const uint8_t *d,
                   size_t len, bool garbage) {
  check(bs_batch_put(g->b, cid, d, len), "bs_batch_put");
  if (garbage) {
    size_t n;
    const uint8_t *mh = dag_cid_mh(cid, &n);
    if (n != 34)
      die("unexpected multihash length");
    memcpy(g->garbage + 34 * g->ngarbage++, mh, 34);
  }
}

/* Store one file of the given number of leaves as a balanced DAG and return
 * its root. */
static dag_cid_t gc_file(gc_build_t *g, uint64_t leaves, unsigned fanout,
                         bool garbage) {
  dag_cid_t *cur = g->lvl[0], *next = g->lvl[1];
  for (uint64_t i = 0; i < leaves; i++) {
    size_t len = (size_t)(g->leaf_min + rng_next(g->r) % (g->leaf_max - g->leaf_min + 1));
    uint8_t *d = g->pool + rng_next(g->r) % POOL_BYTES, saved[8];
    memcpy(saved, d, 8);
    memcpy(d, &g->counter, 8);
    g->counter++;
    check(dag_cid_sum(&cur[i], 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, d, len),
          "dag_cid_sum");
    gc_put(g, &cur[i], d, len, garbage);
    memcpy(d, saved, 8);
  }
  uint64_t n = leaves;
  while (n > 1) {
    uint64_t m = 0;
    for (uint64_t j = 0; j < n; j += fanout) {
      size_t k = (size_t)(n - j < fanout ? n - j : fanout);
      for (size_t t = 0; t < k; t++) {
        dag_pb_link_t *lk = &g->links[t];
        memset(lk, 0, sizeof *lk);
        lk->cid = cur[j + t];
        lk->name = "";
        lk->has_name = true;
        lk->tsize = 2048 + t;
        lk->has_tsize = true;
      }
      int len = dag_pb_encode(g->links, k, (const uint8_t *)GC_UNIXFS_FILE, 2,
                              true, g->node, g->node_cap);
      if (len < 0)
        check(len, "dag_pb_encode");
      check(dag_cid_sum(&next[m], 1, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256, g->node,
                        (size_t)len), "dag_cid_sum");
      gc_put(g, &next[m], g->node, (size_t)len, garbage);
      m++;
    }
    dag_cid_t *tmp = cur;
    cur = next;
    next = tmp;
    n = m;
  }
  return cur[0];
}

/* Build the GC repo: files drawn at random, live (pinned) or garbage, until
 * exactly nlive and ngarb blocks exist. */
static void gc_build(const char *dir, uint64_t nlive, uint64_t ngarb,
                     gc_build_t *g) {
  uint64_t max_leaves = env_u64("BENCH_GC_MAX_LEAVES", 20000);
  if (max_leaves < 2)
    die("BENCH_GC_MAX_LEAVES must be >= 2");
  g->lvl[0] = xmalloc(max_leaves * sizeof(dag_cid_t));
  g->lvl[1] = xmalloc((max_leaves / 174 + 2) * sizeof(dag_cid_t));
  g->links = xmalloc(1024 * sizeof *g->links);
  g->node_cap = 1024 * 64 + 64;
  g->node = xmalloc(g->node_cap);
  g->garbage = xmalloc(ngarb * 34 + 1);
  g->pool = xmalloc(POOL_BYTES + g->leaf_max);
  fill_pool(g->r, g->pool, POOL_BYTES + g->leaf_max);

  bs_env_t *env;
  check(bs_open(&env, dir, BS_CREATE), "bs_open");
  check(bs_batch_begin(env, 0, &g->b), "bs_batch_begin");
  uint64_t live_left = nlive, garb_left = ngarb, files = 0, dagpb = 0;
  while (live_left + garb_left) {
    bool garbage = rng_next(g->r) % (live_left + garb_left) < garb_left;
    uint64_t *left = garbage ? &garb_left : &live_left;
    /* 40% single-block files; the rest log-uniform up to max_leaves. */
    uint64_t leaves = rng_next(g->r) % 10 < 4 ? 1 : rng_logu(g->r, 2, max_leaves);
    unsigned fanout = rng_next(g->r) & 1 ? 174 : 1024;
    if (dag_blocks(leaves, fanout) > *left)
      leaves = 1; /* the tail is filled with single-block files */
    uint64_t nb = dag_blocks(leaves, fanout);
    dagpb += nb - leaves;
    dag_cid_t root = gc_file(g, leaves, fanout, garbage);
    if (!garbage) {
      dag_cid_t missing;
      check(bs_pin_add(bs_batch_txn(g->b), &root, BS_PIN_RECURSIVE, NULL, &missing),
            "bs_pin_add");
      g->pins++;
    }
    *left -= nb;
    files++;
  }
  check(bs_batch_end(g->b, 1), "bs_batch_end");
  bs_stat_t st;
  check(bs_stat(env, &st), "bs_stat");
  char a[32], b[32], c[32], d[32];
  printf("gc repo: %s blocks (%s dag-pb parents), %s files, %s recursive pins, "
         "%.2f GB of blocks, %.2f GB on disk; leaves %zu-%zu B\n",
         commas(st.blocks, a), commas(dagpb, b), commas(files, c),
         commas(st.pins, d), (double)st.block_bytes / 1e9,
         (double)st.repo_bytes / 1e9, g->leaf_min, g->leaf_max);
  if (st.blocks != nlive + ngarb)
    die("gc repo holds %" PRIu64 " blocks, want %" PRIu64, st.blocks, nlive + ngarb);
  bs_close(env);
  free(g->lvl[0]);
  free(g->lvl[1]);
  free(g->links);
  free(g->node);
  free(g->pool);
}

/* ------------------------------------------------------ gc: the cache */

/* The built repo, its garbage list and pin count live in one directory:
 * work/gc-src, or BENCH_GC_REPO, which survives the run and is reused by
 * the next one with the same settings (building 1M blocks takes minutes;
 * every round copies it, so GC always starts from the same bytes). */
static void gc_meta_save(const char *dir, const char *key, const gc_build_t *g) {
  char p[4200];
  snprintf(p, sizeof p, "%s/bench.garbage", dir);
  FILE *f = fopen(p, "w");
  if (!f || fwrite(g->garbage, 34, g->ngarbage, f) != g->ngarbage || fclose(f))
    die("write %s: %s", p, strerror(errno));
  snprintf(p, sizeof p, "%s/bench.info", dir);
  if (!(f = fopen(p, "w")) ||
      fprintf(f, "%s\n%" PRIu64 " %" PRIu64 "\n", key, g->ngarbage, g->pins) < 0 ||
      fclose(f))
    die("write %s: %s", p, strerror(errno));
}

static bool gc_meta_load(const char *dir, const char *key, gc_build_t *g) {
  char p[4200], line[512];
  snprintf(p, sizeof p, "%s/bench.info", dir);
  FILE *f = fopen(p, "r");
  if (!f)
    return false;
  bool ok = fgets(line, sizeof line, f) && !strncmp(line, key, strlen(key)) &&
            line[strlen(key)] == '\n' &&
            fscanf(f, "%" SCNu64 " %" SCNu64, &g->ngarbage, &g->pins) == 2;
  fclose(f);
  if (!ok)
    return false;
  snprintf(p, sizeof p, "%s/bench.garbage", dir);
  g->garbage = xmalloc(g->ngarbage * 34 + 1);
  f = fopen(p, "r");
  ok = f && fread(g->garbage, 34, g->ngarbage, f) == g->ngarbage;
  if (f)
    fclose(f);
  return ok;
}

/* Copy <src>/data.mdb into a new repo dir, synced, so that the copy's
 * writeback does not run during the measurement. */
static void copy_repo(const char *src, const char *dst) {
  char a[4096], b[4096];
  snprintf(a, sizeof a, "%s/data.mdb", src);
  snprintf(b, sizeof b, "%s/data.mdb", dst);
  if (mkdir(dst, 0700))
    die("mkdir %s: %s", dst, strerror(errno));
  int in = open(a, O_RDONLY), out = open(b, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (in < 0 || out < 0)
    die("copy %s: %s", a, strerror(errno));
  for (;;) {
    ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
    if (n < 0)
      die("copy_file_range %s: %s", a, strerror(errno));
    if (n == 0)
      break;
  }
  if (fdatasync(out))
    die("fdatasync %s: %s", b, strerror(errno));
  close(in);
  close(out);
}

/* ------------------------------------------------------ gc: the children */

/* Both run in a freshly exec'd process, so that VmHWM covers only opening
 * the repo and the work.  They write one line of figures to fd. */

static void drop_cache(const char *dir) {
  if (env_u64("BENCH_GC_COLD", 0) != 1)
    return;
  char file[4096];
  snprintf(file, sizeof file, "%s/data.mdb", dir);
  int f = open(file, O_RDONLY);
  if (f >= 0) {
    posix_fadvise(f, 0, 0, POSIX_FADV_DONTNEED);
    close(f);
  }
}

/* trove: bs_open + bs_gc.  "removed live freed secs hwm_kb dirtied mark_s
 * list_s delete_s". */
static int gc_child(const char *dir, int fd) {
  drop_cache(dir);
  bs_env_t *env;
  check(bs_open(&env, dir, 0), "bs_open");
  bs_gc_stats_t st;
  uint64_t w0 = io_write_bytes();
  double t0 = now();
  check(bs_gc(env, NULL, NULL, &st), "bs_gc");
  double secs = now() - t0;
  long hwm = proc_status_kb(0, "VmHWM");
  bs_close(env);
  char out[256];
  int n = snprintf(out, sizeof out, "%" PRIu64 " %" PRIu64 " %" PRIu64
                   " %.6f %ld %" PRIu64 " %.6f %.6f %.6f\n", st.removed, st.live,
                   st.freed, secs, hwm, io_write_bytes() - w0,
                   (double)st.mark_us / 1e6, (double)st.list_us / 1e6,
                   (double)st.delete_us / 1e6);
  return write(fd, out, (size_t)n) == n ? 0 : 1;
}

static int cmp34(const void *a, const void *b) { return memcmp(a, b, 34); }
static int cmp32(const void *a, const void *b) { return memcmp(a, b, 32); }

/* The reference: plain LMDB deleting the garbage's known keys - from the
 * blocks, links and keyspace databases, each sorted, in one transaction,
 * synced - with no mark and no listing.  What GC cannot beat by much: the
 * same pages must be rewritten.  BENCH_REF_FLAGS applies.  "removed 0 0
 * secs hwm_kb dirtied 0 0 secs". */
static int gc_ref_child(const char *dir, int fd, const char *garbage_file) {
  drop_cache(dir);
  FILE *f = fopen(garbage_file, "r");
  if (!f)
    die("open %s: %s", garbage_file, strerror(errno));
  struct stat st;
  fstat(fileno(f), &st);
  size_t n = (size_t)st.st_size / 34;
  uint8_t *mh = xmalloc(n * 34 + 1), *sh = xmalloc(n * 32 + 1);
  if (fread(mh, 34, n, f) != n)
    die("read %s", garbage_file);
  fclose(f);
  char file[4096], names[64];
  snprintf(file, sizeof file, "%s/data.mdb", dir);
  if (stat(file, &st))
    die("stat %s: %s", file, strerror(errno));
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi blocks, links, ks;
  check(mdb_env_create(&env), "mdb_env_create");
  check(mdb_env_set_maxdbs(env, 16), "mdb_env_set_maxdbs");
  check(mdb_env_set_mapsize(env, (size_t)st.st_size + (1ull << 30)), "mapsize");
  check(mdb_env_open(env, dir, ref_flags(names, sizeof names), 0600), "mdb_env_open");
  uint64_t w0 = io_write_bytes();
  double t0 = now();
  qsort(mh, n, 34, cmp34);
  for (size_t i = 0; i < n; i++)
    dag_sha256(mh + 34 * i, 34, sh + 32 * i);
  qsort(sh, n, 32, cmp32);
  check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
  check(mdb_dbi_open(txn, "blocks", 0, &blocks), "mdb_dbi_open");
  check(mdb_dbi_open(txn, "links", 0, &links), "mdb_dbi_open");
  check(mdb_dbi_open(txn, "kspace", 0, &ks), "mdb_dbi_open");
  uint64_t removed = 0;
  for (size_t i = 0; i < n; i++) {
    MDB_val k = {34, mh + 34 * i};
    int rc = mdb_del(txn, blocks, &k, NULL);
    if (rc && rc != MDB_NOTFOUND)
      check(rc, "mdb_del");
    removed += rc == 0;
    if ((rc = mdb_del(txn, links, &k, NULL)) && rc != MDB_NOTFOUND)
      check(rc, "mdb_del");
  }
  for (size_t i = 0; i < n; i++) {
    MDB_val k = {32, sh + 32 * i};
    int rc = mdb_del(txn, ks, &k, NULL);
    if (rc && rc != MDB_NOTFOUND)
      check(rc, "mdb_del");
  }
  check(mdb_txn_commit(txn), "mdb_txn_commit");
  double secs = now() - t0;
  long hwm = proc_status_kb(0, "VmHWM");
  mdb_env_close(env);
  char out[256];
  int len = snprintf(out, sizeof out, "%" PRIu64 " 0 0 %.6f %ld %" PRIu64
                     " 0 0 %.6f\n", removed, secs, hwm, io_write_bytes() - w0, secs);
  return write(fd, out, (size_t)len) == len ? 0 : 1;
}

typedef struct gc_run {
  uint64_t removed, live, freed, dirtied;
  double secs, mark, list, del;
  long hwm;
  mem_peak_t mem;
} gc_run_t;

/* Run "bench_blockstore <mode> dir fd [arg]" and collect its line; the
 * child's memory is sampled from here meanwhile. */
static gc_run_t gc_spawn(const char *mode, const char *dir, const char *arg) {
  int pfd[2];
  if (pipe(pfd))
    die("pipe: %s", strerror(errno));
  char fdarg[16];
  snprintf(fdarg, sizeof fdarg, "%d", pfd[1]);
  pid_t pid = fork();
  if (pid < 0)
    die("fork: %s", strerror(errno));
  if (pid == 0) {
    close(pfd[0]);
    execl("/proc/self/exe", "bench_blockstore", mode, dir, fdarg, arg, (char *)NULL);
    _exit(127);
  }
  close(pfd[1]);
  memwatch_t mw;
  mw_start(&mw, pid);
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      die("waitpid: %s", strerror(errno));
  gc_run_t r = {0};
  r.mem = mw_stop(&mw);
  char buf[256];
  ssize_t n = read(pfd[0], buf, sizeof buf - 1);
  close(pfd[0]);
  if (!WIFEXITED(status) || WEXITSTATUS(status) || n <= 0)
    die("%s child failed (status %d)", mode, status);
  buf[n] = 0;
  if (sscanf(buf, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %lf %ld %" SCNu64
             " %lf %lf %lf", &r.removed, &r.live, &r.freed, &r.secs, &r.hwm,
             &r.dirtied, &r.mark, &r.list, &r.del) != 9)
    die("%s child said: %s", mode, buf);
  return r;
}

typedef struct pv_count {
  uint64_t ok, bad;
} pv_count_t;

static int pv_cb(const bs_pin_t *pin, int status, const dag_cid_t *bad, void *ud) {
  (void)pin, (void)bad;
  pv_count_t *c = ud;
  if (status)
    c->bad++;
  else
    c->ok++;
  return 0;
}

/* Exactly the garbage went, and every pin is still whole. */
static void gc_check(const char *dir, const gc_build_t *g, const gc_run_t *r,
                     uint64_t nlive) {
  bs_env_t *env;
  check(bs_open(&env, dir, 0), "bs_open");
  bs_txn_t *txn;
  check(bs_txn_begin(env, BS_RDONLY, &txn), "bs_txn_begin");
  uint64_t still = 0;
  for (uint64_t i = 0; i < g->ngarbage; i++) {
    dag_cid_t cid;
    check(dag_cid_make(&cid, 1, DAG_CODEC_RAW, g->garbage + 34 * i, 34), "dag_cid_make");
    int rc = bs_has(txn, &cid);
    if (rc < 0)
      check(rc, "bs_has");
    still += (uint64_t)rc;
  }
  double v0 = now();
  pv_count_t pv = {0, 0};
  check(bs_pin_verify(txn, pv_cb, &pv), "bs_pin_verify");
  double vsecs = now() - v0;
  bs_txn_abort(txn);
  bs_stat_t st;
  check(bs_stat(env, &st), "bs_stat");
  bs_close(env);
  char a[32], b[32], c[32], d[32];
  printf("gc check: removed %s (want %s), live %s (want %s), %.1f MB freed; "
         "garbage still present %" PRIu64 "; store now %" PRIu64
         " blocks; pins verified %" PRIu64 " ok, %" PRIu64 " bad (%.1f s)\n",
         commas(r->removed, a), commas(g->ngarbage, b), commas(r->live, c),
         commas(nlive, d), (double)r->freed / 1e6, still, st.blocks, pv.ok,
         pv.bad, vsecs);
  if (r->removed != g->ngarbage || r->live != nlive || still ||
      st.blocks != nlive || pv.bad || pv.ok != g->pins)
    die("gc removed the wrong blocks");
}

static bool bench_gc(const char *work, rng_t *r) {
  uint64_t total = env_u64("BENCH_GC_BLOCKS", 1000000);
  uint64_t ngarb = env_u64("BENCH_GC_GARBAGE", 100000);
  if (ngarb > total || total == 0)
    die("bad BENCH_GC_BLOCKS / BENCH_GC_GARBAGE");
  uint64_t nlive = total - ngarb;
  gc_build_t g = {0};
  g.r = r;
  g.leaf_min = (size_t)env_u64("BENCH_GC_MIN_SIZE", 256);
  g.leaf_max = (size_t)env_u64("BENCH_GC_MAX_SIZE", 4096);
  if (g.leaf_min < 8 || g.leaf_max < g.leaf_min || g.leaf_max > BS_MAX_BLOCK)
    die("bad BENCH_GC_MIN_SIZE / BENCH_GC_MAX_SIZE");
  char key[256], src[4096];
  snprintf(key, sizeof key, "gc1 blocks=%" PRIu64 " garbage=%" PRIu64
           " leaves=%zu-%zu max_leaves=%" PRIu64 " rng=%" PRIx64, total, ngarb,
           g.leaf_min, g.leaf_max, env_u64("BENCH_GC_MAX_LEAVES", 20000), r->s);
  const char *cache = getenv("BENCH_GC_REPO");
  if (cache && *cache)
    snprintf(src, sizeof src, "%s", cache);
  else
    snprintf(src, sizeof src, "%s/gc-src", work);
  if (cache && *cache && gc_meta_load(src, key, &g)) {
    printf("gc repo: reused from %s (%" PRIu64 " recursive pins)\n", src, g.pins);
  } else {
    struct stat st;
    char info[4200];
    snprintf(info, sizeof info, "%s/bench.info", src);
    if (stat(src, &st) == 0 && stat(info, &st) != 0)
      die("%s exists and is not a GC repo this bench made: not replacing it", src);
    if (stat(src, &st) == 0)
      rm_dir(src); /* built with other settings */
    double t0 = now();
    gc_build(src, nlive, ngarb, &g);
    gc_meta_save(src, key, &g);
    printf("gc repo: built in %.1f s\n", now() - t0);
  }
  fflush(stdout);

  char tdir[4096], rdir[4096], garbage_file[4200];
  snprintf(tdir, sizeof tdir, "%s/gc-trove", work);
  snprintf(rdir, sizeof rdir, "%s/gc-ref", work);
  snprintf(garbage_file, sizeof garbage_file, "%s/bench.garbage", src);
  uint64_t rounds = env_u64("BENCH_GC_ROUNDS", 1);
  gc_run_t t = {.secs = 1e30}, l = {.secs = 1e30};
  char la0[64], la1[64];
  loadavg(la0, sizeof la0);
  for (uint64_t round = 0; round < (rounds ? rounds : 1); round++) {
    copy_repo(src, tdir);
    copy_repo(src, rdir);
    gc_run_t rt, rl;
    if (round % 2 == 0) {
      rt = gc_spawn("--gc-child", tdir, NULL);
      rl = gc_spawn("--gc-ref", rdir, garbage_file);
    } else {
      rl = gc_spawn("--gc-ref", rdir, garbage_file);
      rt = gc_spawn("--gc-child", tdir, NULL);
    }
    if (rl.removed != ngarb)
      die("plain LMDB removed %" PRIu64 " blocks, want %" PRIu64, rl.removed, ngarb);
    gc_check(tdir, &g, &rt, nlive);
    rm_dir(tdir);
    rm_dir(rdir);
    if (rounds > 1)
      printf("gc round %" PRIu64 ": trove %.2f s, plain LMDB %.2f s, ratio %.2f\n",
             round + 1, rt.secs, rl.secs, rl.secs / rt.secs);
    if (rt.secs < t.secs)
      t = rt;
    if (rl.secs < l.secs)
      l = rl;
  }
  loadavg(la1, sizeof la1);
  if (!cache || !*cache)
    rm_dir(src);
  free(g.garbage);

  const char *warm = env_u64("BENCH_GC_COLD", 0) == 1 ? "cold page cache"
                                                      : "warm page cache";
  printf("gc trove: %.2f s (mark %.2f s, list %.2f s, delete %.2f s), peak RSS "
         "%.1f MiB: anonymous %.1f MiB, file-mapped %.1f MiB (sampled); %.2f GB "
         "written (%s)\n", t.secs, t.mark, t.list, t.del, t.hwm / 1024.0,
         t.mem.anon / 1024.0, t.mem.file / 1024.0, (double)t.dirtied / 1e9, warm);
  char names[64];
  ref_flags(names, sizeof names);
  printf("gc plain LMDB (the known garbage keys deleted from blocks, links and "
         "keyspace, sorted, one synced transaction; %s): %.2f s, peak RSS %.1f "
         "MiB: anonymous %.1f MiB, file-mapped %.1f MiB; %.2f GB written\n",
         names, l.secs, l.hwm / 1024.0, l.mem.anon / 1024.0, l.mem.file / 1024.0,
         (double)l.dirtied / 1e9);
  bool ok = t.secs < 3 && t.mem.anon < 64 * 1024;
  char a[32], b[32];
  printf("gc: %s blocks, %s garbage: trove %.2f s, plain LMDB %.2f s, ratio "
         "%.2f%s; trove %.2f s (target < 3 s), anonymous RSS %.1f MiB (target "
         "< 64 MiB), file-mapped RSS %.1f MiB; load %s -> %s%s\n",
         commas(total, a), commas(ngarb, b), t.secs, l.secs, l.secs / t.secs,
         rounds > 1 ? " (best of each)" : "", t.secs, t.mem.anon / 1024.0,
         t.mem.file / 1024.0, la0, la1, ok ? "" : "  MISSED");
  return ok;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "--gc-child"))
    return gc_child(argv[2], atoi(argv[3]));
  if (argc == 5 && !strcmp(argv[1], "--gc-ref"))
    return gc_ref_child(argv[2], atoi(argv[3]), argv[4]);
  if (argc != 1)
    die("usage: bench_blockstore (settings come from BENCH_* variables)");
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *tmp = getenv("BENCH_TMP") ? getenv("BENCH_TMP") : ".";
  const char *only = getenv("BENCH_ONLY") ? getenv("BENCH_ONLY") : "";
  char work[2048];
  if (strlen(tmp) > sizeof work - 64)
    die("BENCH_TMP is too long");
  snprintf(work, sizeof work, "%s/bench_blockstore.XXXXXX", tmp);
  if (!mkdtemp(work))
    die("mkdtemp %s: %s", work, strerror(errno));
  struct statfs sfs;
  if (statfs(work, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC_)
    printf("warning: %s is tmpfs; the figures will not be a disk's\n", work);
  rng_t r = {env_u64("BENCH_SEED", 0x9e3779b97f4a7c15ull) | 1};
  bool ok = true;
  if (strcmp(only, "gc"))
    ok &= bench_put(work, &r);
  if (strcmp(only, "put"))
    ok &= bench_gc(work, &r);
  if (rmdir(work))
    fprintf(stderr, "bench_blockstore: rmdir %s: %s\n", work, strerror(errno));
  bool strict = getenv("BENCH_STRICT") && !strcmp(getenv("BENCH_STRICT"), "1");
  return ok || !strict ? 0 : 1;
}

/*
 * bench_blockstore.c — the blockstore put benchmark of `make bench`
 * (issue 3).  The GC benchmark, which was here too, is bench_gc.c; what
 * both use (settings, /proc readers, the RSS sampler, the data pool) is in
 * bench_util.c.
 *
 * put: BENCH_BLOCKS blocks (default 1,000,000) of mixed sizes stored
 * through trove (bs_batch_put with raw CIDv1, sha2-256 computed per
 * block), then the same bytes stored by a plain LMDB put loop, in the
 * same run, one store after the other (the first is deleted before the
 * second starts, so the disk holds one at a time).  Prints both rates and
 * the ratio trove / plain LMDB (target >= 0.8).
 *
 * trove runs as shipped: bs_open() flags and its default batch size
 * (BS_BATCH_BYTES, or TROVE_BATCH_MB; BENCH_BATCH_MB forces one).  The
 * plain loop is the best plain LMDB does on this machine, so the ratio
 * is honest: its map sized up front (no growth), mdb_put(MDB_RESERVE)
 * and one memcpy per block, a commit every 256 MiB of values
 * (BENCH_REF_BATCH_MB), each commit synced (no MDB_NOSYNC: trove syncs
 * too), and the same key trove computes (the 34-byte sha2-256
 * multihash, via dag_sha256: hashing is part of a content-addressed
 * put).  Its env flags come from BENCH_REF_FLAGS, default none: measured
 * here (Linux 6.18, ext4, 200k blocks of this mix, 256 MiB commits) no
 * flags wrote ~200 MB/s, MDB_WRITEMAP ~115 MB/s and MDB_WRITEMAP +
 * MDB_NORDAHEAD ~140 MB/s.  A write map dirties whole page-cache folios:
 * the kernel's mmap readahead fills the cache with large folios, and a
 * 4 KiB page written through the map marks its folio dirty, so commits
 * wrote 2.6x (256 MiB) to 15x (32 MiB commits) the data (the "dirtied"
 * figure printed is /proc/self/io write_bytes).
 *
 * Sizes: a uniform 256 B - 256 KiB mix would be ~128 GB for 1M blocks
 * and a log-uniform one ~38 GB; the shared disk has ~80 GB free, so the
 * default is a skewed mix: 92% of blocks log-uniform in [256 B, 16 KiB)
 * and 8% log-uniform in [16 KiB, 256 KiB], mean ~10.7 KB, ~10.7 GB per
 * store, two thirds of the bytes in the large blocks (as in real repos,
 * where most blocks are small and most bytes sit in full chunks).
 * BENCH_SPLIT_SIZE=256 BENCH_LARGE_PCT=100 gives pure log-uniform.
 *
 * Block bytes are slices of a 64 MiB xorshift pool at planned offsets,
 * with the block's index written over the first 8 bytes so every block
 * is distinct; the plan (offsets, sizes) is made before the clock starts,
 * so neither loop pays for generating data.
 *
 * Settings: BENCH_* environment variables, listed in bench/README.md
 * (BENCH_BLOCKS, the size mix, BENCH_ROUNDS, BENCH_STRICT...).  BENCH_ONLY=gc
 * (from when this program ran both benchmarks) skips put.
 *
 * This is a program, not library code: it exits on the first error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lmdb.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../blockstore/bs.h"
#include "../common/tr.h"
#include "../dag/cid.h"
#include "bench_util.h"

/* ---------------------------------------------------------------- helpers */

/* Reset this process's VmHWM to its current RSS (Linux >= 4.0). */
static void reset_hwm(void) {
  int fd = open("/proc/self/clear_refs", O_WRONLY);
  if (fd < 0 || write(fd, "5", 1) != 1)
    die("clear_refs: %s", strerror(errno));
  close(fd);
}

static double logu_mean(double lo, double hi) {
  return lo >= hi ? lo : (hi - lo) / log(hi / lo);
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
  p->pool = pool_make(r, hi);
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
  double mean = (100 - pct) / 100.0 * logu_mean((double)lo, (double)split) +
                pct / 100.0 * logu_mean((double)split, (double)hi);
  printf("put data: %s blocks, %.2f GB (mean %.1f KB, expected %.1f KB); "
         "%" PRIu64 "%% log-uniform [%" PRIu64 ", %" PRIu64 ") B, %" PRIu64
         "%% log-uniform [%" PRIu64 ", %" PRIu64 "] B\n",
         commas(n), (double)p->bytes / 1e9, (double)p->bytes / (double)n / 1e3,
         mean / 1e3, 100 - pct, lo, split, pct, split, hi);
  const char *tb = getenv("TROVE_BATCH_MB");
  size_t tmib = p->batch ? p->batch >> 20
                : tb && atoi(tb) > 0 ? (size_t)atoi(tb) : BS_BATCH_BYTES >> 20;
  printf("put data: sizes <4K %s, 4K-64K %s, 64K-256K %s, 256K %s; commits "
         "every %zu MiB (trove%s), %zu MiB (plain LMDB)\n",
         commas(sizes[0]), commas(sizes[1]), commas(sizes[2]),
         commas(sizes[3]), tmib, p->batch ? "" : "'s default", p->ref_batch >> 20);
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
  uint64_t file; /* data.mdb's size at the end: the page cache it took */
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

static uint64_t data_file_bytes(const char *dir) {
  char f[4200];
  struct stat st;
  snprintf(f, sizeof f, "%s/data.mdb", dir);
  return stat(f, &st) ? 0 : (uint64_t)st.st_size;
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

/* Keep in *m the larger of each memory figure of *m and *r. */
static void peak_max(put_result_t *m, const put_result_t *r) {
  if (r->hwm > m->hwm)
    m->hwm = r->hwm;
  if (r->mem.anon > m->mem.anon)
    m->mem.anon = r->mem.anon;
  if (r->mem.file > m->mem.file)
    m->mem.file = r->mem.file;
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
  res.file = data_file_bytes(dir);
  return res;
}

/* ------------------------------------------------- put: plain LMDB loop */

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
  res.file = data_file_bytes(dir);
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
  uint64_t rounds = env_u64("BENCH_ROUNDS", 3);
  put_result_t t = {.secs = 1e30}, l = {.secs = 1e30}, tpeak = {0}, lpeak = {0};
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
      printf("put round %" PRIu64 ": trove %.1f s (sys %.1f s, file %.1f GB), "
             "plain LMDB %.1f s (sys %.1f s, file %.1f GB), ratio %.2f\n",
             round + 1, rt.secs, rt.sys, (double)rt.file / 1e9, rl.secs, rl.sys,
             (double)rl.file / 1e9, rl.secs / rt.secs);
    if (rt.secs < t.secs)
      t = rt;
    if (rl.secs < l.secs)
      l = rl;
    peak_max(&tpeak, &rt);
    peak_max(&lpeak, &rl);
  }
  /* Times are the best round's, memory the worst round's: a later round
   * starts with the heap an earlier one grew still resident, counted in
   * its baseline, so its peak reads low (47 MiB where the first round
   * reads the batch's 96). */
  t.hwm = tpeak.hwm, t.mem = tpeak.mem;
  l.hwm = lpeak.hwm, l.mem = lpeak.mem;
  loadavg(la1, sizeof la1);
  double tmb = (double)p.bytes / 1e6 / t.secs, lmb = (double)p.bytes / 1e6 / l.secs;
  double ratio = tmb / lmb;
  printf("put trove: %.1f s (user %.1f s, sys %.1f s, %.1f GB dirtied, file "
         "%.1f GB), peak RSS %.1f MiB: anonymous %.1f MiB, file-mapped %.1f "
         "MiB (the bench's own data not counted; memory: the worst round)\n",
         t.secs, t.user,
         t.sys, (double)t.dirtied / 1e9, (double)t.file / 1e9,
         t.hwm / 1024.0, t.mem.anon / 1024.0, t.mem.file / 1024.0);
  char names[64];
  ref_flags(names, sizeof names);
  printf("put plain LMDB: %.1f s (user %.1f s, sys %.1f s, %.1f GB dirtied, "
         "file %.1f GB, %" PRIu64 " commits; %s, MDB_RESERVE, presized map, "
         "synced commits), peak RSS %.1f MiB: anonymous %.1f MiB, file-mapped %.1f MiB\n",
         l.secs, l.user, l.sys, (double)l.dirtied / 1e9, (double)l.file / 1e9,
         l.commits, names,
         l.hwm / 1024.0, l.mem.anon / 1024.0, l.mem.file / 1024.0);
  bool ok = ratio >= 0.8 && t.hwm < 128 * 1024;
  printf("blockstore put: trove %.0f MB/s (%s blocks/s), plain LMDB %.0f MB/s "
         "(%s blocks/s), ratio %.2f (target >= 0.8)%s; trove peak RSS %.0f MiB "
         "(target < 128 MiB); load %s -> %s%s\n",
         tmb, commas((uint64_t)((double)p.n / t.secs)), lmb,
         commas((uint64_t)((double)p.n / l.secs)), ratio,
         rounds > 1 ? ", best of each" : "", t.hwm / 1024.0, la0, la1,
         ok ? "" : "  MISSED");
  free(p.off);
  free(p.len);
  free(p.pool);
  return ok;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv) {
  (void)argv;
  return bench_main("bench_blockstore", argc, "gc", bench_put);
}

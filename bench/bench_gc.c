/*
 * bench_gc.c — the blockstore GC benchmark of `make bench`, split out of
 * bench_blockstore.c (which keeps the put benchmark).  Helpers shared with
 * the other bench programs are in bench_util.c.
 *
 * gc: BENCH_GC_BLOCKS blocks (default 1,000,000) of which BENCH_GC_GARBAGE
 * (100,000) are unreachable.  The repo holds files as UnixFS-shaped DAGs:
 * raw leaves under dag-pb CIDv1 parents of 174 or 1024 links, each live
 * file pinned recursively; garbage is made of the same kind of files,
 * left unpinned (so GC deletes links entries too).  Leaves are small
 * (256 B - 4 KiB): GC's cost is per block (mark through the links index,
 * sweep over keys), not per byte.  GC runs in a child process that only
 * opens the repo and calls bs_gc(), so its peak RSS (VmHWM) is GC's;
 * the parent samples the child's RssAnon/RssFile meanwhile to split that
 * peak into heap and mapped LMDB pages.  The reference, on a copy of
 * the same repo: plain LMDB deleting the known garbage keys in one
 * sorted transaction (gc_ref_child).  Afterwards the parent checks
 * that exactly the garbage went: removed == garbage, every garbage block
 * absent, the store holds the live count, and every pin verifies
 * (complete and rehashed).  Targets (issue 15): under 3 s, anonymous
 * RSS under 64 MiB.
 *
 * The children are this program again (exec of /proc/self/exe with
 * --gc-child or --gc-ref), so that their peak RSS is their own.
 *
 * Settings: BENCH_* environment variables, listed in bench/README.md
 * (BENCH_GC_*, BENCH_REF_FLAGS, BENCH_SEED, BENCH_STRICT).  BENCH_ONLY=put
 * (from when bench_blockstore ran both benchmarks) skips GC.
 *
 * This is a program, not library code: it exits on the first error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../blockstore/bs.h"
#include "../common/tr.h"
#include "../dag/cid.h"
#include "../dag/dagpb.h"
#include "bench_util.h"

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
  g->pool = pool_make(g->r, g->leaf_max);

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
  printf("gc repo: %s blocks (%s dag-pb parents), %s files, %s recursive pins, "
         "%.2f GB of blocks, %.2f GB on disk; leaves %zu-%zu B\n",
         commas(st.blocks), commas(dagpb), commas(files),
         commas(st.pins), (double)st.block_bytes / 1e9,
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
 * list_s delete_s read_ahead". */
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
                   " %.6f %ld %" PRIu64 " %.6f %.6f %.6f %" PRIu64 "\n",
                   st.removed, st.live, st.freed, secs, hwm,
                   io_write_bytes() - w0, (double)st.mark_us / 1e6,
                   (double)st.list_us / 1e6, (double)st.delete_us / 1e6,
                   st.read_ahead);
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
  free(mh);
  free(sh);
  char out[256];
  int len = snprintf(out, sizeof out, "%" PRIu64 " 0 0 %.6f %ld %" PRIu64
                     " 0 0 %.6f 0\n", removed, secs, hwm, io_write_bytes() - w0, secs);
  return write(fd, out, (size_t)len) == len ? 0 : 1;
}

typedef struct gc_run {
  uint64_t removed, live, freed, dirtied, ahead;
  double secs, mark, list, del;
  long hwm;
  mem_peak_t mem;
} gc_run_t;

/* Run "bench_gc <mode> dir fd [arg]" and collect its line; the
 * child's memory is sampled from here meanwhile, from its exec on: until
 * then /proc/<pid> shows this process's image (the fork's copy, ~58 MiB
 * of anonymous memory here after building the repo), which the sampler
 * used to catch now and then as the child's peak.  xfd's write end is
 * close-on-exec: its read end sees EOF once the exec is done (or the child
 * has died). */
static gc_run_t gc_spawn(const char *mode, const char *dir, const char *arg) {
  int pfd[2], xfd[2];
  if (pipe(pfd) || pipe2(xfd, O_CLOEXEC))
    die("pipe: %s", strerror(errno));
  char fdarg[16];
  snprintf(fdarg, sizeof fdarg, "%d", pfd[1]);
  pid_t pid = fork();
  if (pid < 0)
    die("fork: %s", strerror(errno));
  if (pid == 0) {
    close(pfd[0]);
    close(xfd[0]);
    execl("/proc/self/exe", "bench_gc", mode, dir, fdarg, arg, (char *)NULL);
    _exit(127);
  }
  close(pfd[1]);
  close(xfd[1]);
  char c;
  while (read(xfd[0], &c, 1) < 0 && errno == EINTR)
    ;
  close(xfd[0]);
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
             " %lf %lf %lf %" SCNu64, &r.removed, &r.live, &r.freed, &r.secs,
             &r.hwm, &r.dirtied, &r.mark, &r.list, &r.del, &r.ahead) != 10)
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
  printf("gc check: removed %s (want %s), live %s (want %s), %.1f MB freed; "
         "garbage still present %" PRIu64 "; store now %" PRIu64
         " blocks; pins verified %" PRIu64 " ok, %" PRIu64 " bad (%.1f s)\n",
         commas(r->removed), commas(g->ngarbage), commas(r->live),
         commas(nlive), (double)r->freed / 1e6, still, st.blocks, pv.ok,
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
  uint64_t rounds = env_u64("BENCH_GC_ROUNDS", 3);
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
  printf("gc trove: %.2f s (mark %.2f s, list %.2f s, delete %.2f s, %s "
         "blocks read ahead of it), peak RSS %.1f MiB: anonymous %.1f MiB, "
         "file-mapped %.1f MiB (sampled); %.2f GB written (%s)\n", t.secs,
         t.mark, t.list, t.del, commas(t.ahead), t.hwm / 1024.0,
         t.mem.anon / 1024.0, t.mem.file / 1024.0, (double)t.dirtied / 1e9, warm);
  char names[64];
  ref_flags(names, sizeof names);
  printf("gc plain LMDB (the known garbage keys deleted from blocks, links and "
         "keyspace, sorted, one synced transaction; %s): %.2f s, peak RSS %.1f "
         "MiB: anonymous %.1f MiB, file-mapped %.1f MiB; %.2f GB written\n",
         names, l.secs, l.hwm / 1024.0, l.mem.anon / 1024.0, l.mem.file / 1024.0,
         (double)l.dirtied / 1e9);
  bool ok = t.secs < 3 && t.mem.anon < 64 * 1024;
  printf("gc: %s blocks, %s garbage: trove %.2f s, plain LMDB %.2f s, ratio "
         "%.2f%s; trove %.2f s (target < 3 s), anonymous RSS %.1f MiB (target "
         "< 64 MiB), file-mapped RSS %.1f MiB; load %s -> %s%s\n",
         commas(total), commas(ngarb), t.secs, l.secs, l.secs / t.secs,
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
  return bench_main("bench_gc", argc, "put", bench_gc);
}

/*
 * bench_util.c — the helpers the bench/ programs share (see bench_util.h).
 * Linked into each of them by the Makefile; not a benchmark itself and not
 * built as a program (the Makefile leaves it out of BENCHES).
 */
#include "bench_util.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <lmdb.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define TMPFS_MAGIC_ 0x01021994

/* ----------------------------------------------------------- failing */

/* The run's work directory (bench_begin) and the process that made it: a
 * child that dies leaves it to its parent, which then dies too. */
static char work_dir[2048];
static pid_t work_owner;

static int rm_one(const char *p, const struct stat *st, int type,
                  struct FTW *ftw) {
  (void)st, (void)type, (void)ftw;
  remove(p);
  return 0;
}

void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", program_invocation_short_name);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  /* Once: a removal that fails says so through die() again. */
  if (work_dir[0] && work_owner == getpid()) {
    char w[sizeof work_dir];
    memcpy(w, work_dir, sizeof w);
    work_dir[0] = '\0';
    nftw(w, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  }
  exit(2);
}

void check(int rc, const char *what) {
  if (rc)
    die("%s: %s", what, rc < -30000 && rc > -31000 ? mdb_strerror(rc)
                                                   : tr_strerror(rc));
}

void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p)
    die("out of memory (%zu bytes)", n);
  return p;
}

void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n, size);
  if (!p)
    die("out of memory (%zu x %zu bytes)", n, size);
  return p;
}

/* ---------------------------------------------------------- settings */

uint64_t env_u64(const char *name, uint64_t def) {
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

unsigned ref_flags(char *names, size_t size) {
  const char *f = getenv("BENCH_REF_FLAGS") ? getenv("BENCH_REF_FLAGS") : "";
  unsigned fl = (strstr(f, "writemap") ? MDB_WRITEMAP : 0) |
                (strstr(f, "nordahead") ? MDB_NORDAHEAD : 0);
  snprintf(names, size, "%s%s%s", fl ? "" : "no env flags",
           fl & MDB_WRITEMAP ? "MDB_WRITEMAP " : "",
           fl & MDB_NORDAHEAD ? "MDB_NORDAHEAD" : "");
  return fl;
}

/* ------------------------------------------------- clock and printing */

double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *commas(uint64_t v) {
  static char ring[16][32];
  static unsigned at;
  char *buf = ring[at++ % 16], tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v), o = 0;
  for (int i = 0; i < n; i++) {
    if (i && (n - i) % 3 == 0)
      buf[o++] = ',';
    buf[o++] = tmp[i];
  }
  buf[o] = 0;
  return buf;
}

/* ------------------------------------------------------------- /proc */

long proc_status_kb(pid_t pid, const char *field) {
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

void loadavg(char *buf, size_t size) {
  FILE *f = fopen("/proc/loadavg", "r");
  double a = 0, b = 0, c = 0;
  if (!f || fscanf(f, "%lf %lf %lf", &a, &b, &c) != 3)
    a = b = c = -1;
  if (f)
    fclose(f);
  snprintf(buf, size, "%.2f %.2f %.2f", a, b, c);
}

uint64_t io_write_bytes(void) {
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

void mw_start(memwatch_t *m, pid_t pid) {
  memset(m, 0, sizeof *m);
  m->pid = pid;
  if (pthread_create(&m->th, NULL, mw_main, m))
    die("pthread_create");
}

mem_peak_t mw_stop(memwatch_t *m) {
  if (!m->pid)
    mw_sample(m); /* a child has exited: nothing left to read */
  __atomic_store_n(&m->stop, 1, __ATOMIC_RELEASE);
  pthread_join(m->th, NULL);
  return m->peak;
}

/* ------------------------------------------------------------- files */

void rm_dir(const char *dir) {
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

/* ------------------------------------------------------ data and rng */

uint64_t rng_next(rng_t *r) {
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return r->s * 2685821657736338717ull;
}

double rng_unit(rng_t *r) { return (double)(rng_next(r) >> 11) / 9007199254740992.0; }

uint64_t rng_logu(rng_t *r, uint64_t lo, uint64_t hi) {
  if (lo >= hi)
    return lo;
  double v = exp(log((double)lo) + rng_unit(r) * (log((double)hi + 1) - log((double)lo)));
  uint64_t n = (uint64_t)v;
  return n < lo ? lo : n > hi ? hi : n;
}

uint8_t *pool_make(rng_t *r, size_t extra) {
  size_t n = POOL_BYTES + extra;
  uint8_t *p = xmalloc(n);
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = rng_next(r);
    memcpy(p + i, &v, 8);
  }
  return p;
}

/* ---------------------------------------------------------- the run */

void bench_begin(const char *name, char *work, size_t size, rng_t *r) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *tmp = getenv("BENCH_TMP") ? getenv("BENCH_TMP") : ".";
  if (strlen(tmp) + strlen(name) + 64 > size)
    die("BENCH_TMP is too long");
  snprintf(work, size, "%s/%s.XXXXXX", tmp, name);
  if (!mkdtemp(work))
    die("mkdtemp %s: %s", work, strerror(errno));
  snprintf(work_dir, sizeof work_dir, "%s", work);
  work_owner = getpid();
  struct statfs sfs;
  if (statfs(work, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC_)
    printf("warning: %s is tmpfs; the figures will not be a disk's\n", work);
  r->s = env_u64("BENCH_SEED", 0x9e3779b97f4a7c15ull) | 1;
}

int bench_main(const char *name, int argc, const char *skip,
               bool (*run)(const char *work, rng_t *r)) {
  if (argc != 1)
    die("usage: %s (settings come from BENCH_* variables)", name);
  const char *only = getenv("BENCH_ONLY") ? getenv("BENCH_ONLY") : "";
  if (skip && !strcmp(only, skip)) {
    printf("BENCH_ONLY=%s: %s skipped\n", skip, name);
    return 0;
  }
  char work[2048];
  rng_t r;
  bench_begin(name, work, sizeof work, &r);
  bool ok = run(work, &r);
  return bench_end(work, ok);
}

int bench_end(const char *work, bool ok) {
  work_dir[0] = '\0';
  if (rmdir(work))
    fprintf(stderr, "%s: rmdir %s: %s\n", program_invocation_short_name, work,
            strerror(errno));
  bool strict = getenv("BENCH_STRICT") && !strcmp(getenv("BENCH_STRICT"), "1");
  return ok || !strict ? 0 : 1;
}

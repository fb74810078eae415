/*
 * bench_util.h — what the benchmark programs in bench/ share: exiting on an
 * error, settings from BENCH_* variables, the clock, number printing,
 * readers of /proc, the RSS sampler, the xorshift generator and its data
 * pool, and the work directory every program makes under $BENCH_TMP.
 *
 * Program code, not library code: bench_util.c is linked into each
 * build/bench/ program (the Makefile's bench rule), never into
 * libtrove.a, and every failure here exits the process (status 2) after
 * a message on stderr; nothing returns an error.  The names are short and
 * unprefixed because they are a program's own helpers, as they were when
 * each program carried a copy; libtrove.a's symbols all carry a module
 * prefix, so they cannot collide.  Single-threaded except the sampler
 * (mw_*), whose thread only reads /proc.
 */
#ifndef TROVE_BENCH_UTIL_H
#define TROVE_BENCH_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/tr.h"

/* ----------------------------------------------------------- failing */

/* Print "<program>: <message>" on stderr and exit(2). */
TR_PRINTF(1, 2) void die(const char *fmt, ...) __attribute__((noreturn));

/* die("<what>: <error>") unless rc is 0; rc is a trove error (TR_E*,
 * -errno) or an LMDB one (MDB_*, shown with mdb_strerror). */
void check(int rc, const char *what);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);

/* ---------------------------------------------------------- settings */

/* The decimal value of environment variable name, or def when it is unset
 * or empty; anything else dies. */
uint64_t env_u64(const char *name, uint64_t def);

/* BENCH_REF_FLAGS ("writemap" and/or "nordahead") as mdb_env_open flags
 * for a plain LMDB reference; their names (or "no env flags") into names. */
unsigned ref_flags(char *names, size_t size);

/* ------------------------------------------------- clock and printing */

/* CLOCK_MONOTONIC in seconds. */
double now(void);

/* 1234567 -> "1,234,567", in one of 16 static buffers (so up to 16 may
 * appear in one printf). */
const char *commas(uint64_t v);

/* ------------------------------------------------------------- /proc */

/* A field of /proc/<pid>/status in kB ("VmHWM", "RssAnon"), pid 0 meaning
 * this process; -1 when unreadable. */
long proc_status_kb(pid_t pid, const char *field);

/* The first three fields of /proc/loadavg ("-1.00 ..." if unreadable). */
void loadavg(char *buf, size_t size);

/* write_bytes of /proc/self/io: bytes this process caused to be written. */
uint64_t io_write_bytes(void);

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

/* Start sampling pid (0: this process) from a new thread. */
void mw_start(memwatch_t *m, pid_t pid);
/* Stop the thread and return the peaks seen. */
mem_peak_t mw_stop(memwatch_t *m);

/* ------------------------------------------------------------- files */

/* Delete a flat directory (a repo: data.mdb, lock.mdb, ...) and its files;
 * nothing if it does not exist. */
void rm_dir(const char *dir);

/* ------------------------------------------------------ data and rng */

/* xorshift64*: deterministic, fast, good enough for sizes and bytes. */
typedef struct rng {
  uint64_t s;
} rng_t;

uint64_t rng_next(rng_t *r);
/* Uniform in [0, 1). */
double rng_unit(rng_t *r);
/* Log-uniform integer in [lo, hi]. */
uint64_t rng_logu(rng_t *r, uint64_t lo, uint64_t hi);

/* Block bytes are slices of a pool of POOL_BYTES (plus the largest block,
 * so that a slice starting anywhere in it fits) of xorshift output. */
#define POOL_BYTES (64u << 20)

/* A pool of POOL_BYTES + extra bytes filled from r; free() it. */
uint8_t *pool_make(rng_t *r, size_t extra);

/* ---------------------------------------------------------- the run */

/* The start of a benchmark's main: stdout line-buffered, a fresh work
 * directory "<BENCH_TMP or .>/<name>.XXXXXX" into work (a warning printed
 * if it is on tmpfs), and the generator seeded from BENCH_SEED.  die() in
 * this process removes the work directory and all in it from then on. */
void bench_begin(const char *name, char *work, size_t size, rng_t *r);

/* The end: removes work (which must be empty by now) and returns main's
 * exit status: 1 if a target was missed (!ok) and BENCH_STRICT=1, else 0. */
int bench_end(const char *work, bool ok);

/* A benchmark's main once its own options are dealt with: no arguments
 * left (settings come from BENCH_* variables), skipped when BENCH_ONLY
 * names the other one (skip; NULL for a program BENCH_ONLY never skips),
 * else run(work, r) between bench_begin and bench_end; returns main's
 * exit status. */
int bench_main(const char *name, int argc, const char *skip,
               bool (*run)(const char *work, rng_t *r));

#endif

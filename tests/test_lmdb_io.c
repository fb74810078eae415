/*
 * test_lmdb_io.c — LMDB's writes cut into calls of at most BS_WRITE_CAP
 * bytes, a page alone (blockstore/lmdb_io.c): the linker sends writev and
 * pwrite there, this test's calls too.  The bytes land where one call
 * would put them, the file offset moves as one writev moves it, the count
 * is the whole count, a failure part-way is -1 with its errno, and a
 * large write is indeed several system calls, a page-sized iovec one of
 * its own (counted in /proc/self/io's syscw).  Then LMDB itself: values
 * of several MiB committed, read back after a reopen.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../blockstore/bs_int.h"

/* Write system calls this process has made so far. */
static unsigned long syscw(void) {
  FILE *f = fopen("/proc/self/io", "r");
  assert_non_null(f);
  char line[128];
  unsigned long n = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "syscw: %lu", &n) == 1)
      break;
  fclose(f);
  return n;
}

static void fill(uint8_t *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(seed + i * 131 + (i >> 11));
}

static int open_tmp(char *dir, const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  return fd;
}

static void assert_file(int fd, off_t at, const uint8_t *want, size_t n) {
  uint8_t *got = malloc(n);
  assert_non_null(got);
  assert_int_equal(pread(fd, got, n, at), (ssize_t)n);
  assert_memory_equal(got, want, n);
  free(got);
}

/* 300 iovecs of uneven sizes (empty ones among them, more than a piece
 * holds, runs across the 1 MiB marks), after 7 bytes already written: one
 * writev's count, offset and bytes, in more than one system call. */
static void test_writev_cut(void **state) {
  (void)state;
  char *dir = tmpdir_new();
  int fd = open_tmp(dir, "f");
  assert_int_equal(write(fd, "prefix!", 7), 7);
  enum { N = 300 };
  struct iovec iov[N];
  size_t total = 0;
  for (int i = 0; i < N; i++) {
    size_t len = i % 7 == 3 ? 0 : (size_t)(i * 977 % 40000) + (i % 50 == 0 ? 400000 : 1);
    iov[i].iov_len = len;
    total += len;
  }
  uint8_t *all = malloc(total);
  assert_non_null(all);
  fill(all, total, 5);
  size_t at = 0;
  for (int i = 0; i < N; i++) {
    iov[i].iov_base = all + at;
    at += iov[i].iov_len;
  }
  assert_true(total > 3 * BS_WRITE_CAP);
  unsigned long c0 = syscw();
  assert_int_equal(writev(fd, iov, N), (ssize_t)total);
  unsigned long calls = syscw() - c0;
  assert_true(calls >= (total + BS_WRITE_CAP - 1) / BS_WRITE_CAP);
  assert_int_equal(lseek(fd, 0, SEEK_CUR), (off_t)(7 + total));
  assert_file(fd, 0, (const uint8_t *)"prefix!", 7);
  assert_file(fd, 7, all, total);

  /* At the cap or under it: one call, as before. */
  c0 = syscw();
  struct iovec one = {all, BS_WRITE_CAP};
  assert_int_equal(writev(fd, &one, 1), (ssize_t)BS_WRITE_CAP);
  assert_int_equal(syscw() - c0, 1);
  free(all);
  close(fd);
  tmpdir_rm(dir);
}

/* A page-sized iovec is a call of its own, so that the page gets a folio
 * of its own; longer runs share calls up to the cap.  LMDB's writev of a
 * commit: a leaf, a branch, runs of 3, 5 and 20 pages (overflow values:
 * 28 pages, two calls cut at the cap, 16 + 12 pages), a leaf: 5 calls,
 * the bytes in order. */
static void test_writev_pages_alone(void **state) {
  (void)state;
  size_t pg = (size_t)getpagesize();
  static const size_t pages[] = {1, 1, 3, 5, 20, 1};
  enum { N = sizeof pages / sizeof *pages };
  assert_int_equal(BS_WRITE_CAP / pg, 16);
  struct iovec iov[N];
  size_t total = 0;
  for (int i = 0; i < N; i++)
    total += pages[i] * pg;
  uint8_t *all = malloc(total);
  assert_non_null(all);
  fill(all, total, 11);
  size_t at = 0;
  for (int i = 0; i < N; i++) {
    iov[i] = (struct iovec){all + at, pages[i] * pg};
    at += iov[i].iov_len;
  }
  char *dir = tmpdir_new();
  int fd = open_tmp(dir, "f");
  unsigned long c0 = syscw();
  assert_int_equal(writev(fd, iov, N), (ssize_t)total);
  assert_int_equal(syscw() - c0, 5);
  assert_int_equal(lseek(fd, 0, SEEK_CUR), (off_t)total);
  assert_file(fd, 0, all, total);
  /* Two leaves and nothing else: two calls.  Less than a page in all: one. */
  c0 = syscw();
  assert_int_equal(writev(fd, iov, 2), (ssize_t)(2 * pg));
  assert_int_equal(syscw() - c0, 2);
  struct iovec bits[3] = {{all, 10}, {all + 10, 0}, {all + 10, 100}};
  c0 = syscw();
  assert_int_equal(writev(fd, bits, 3), 110);
  assert_int_equal(syscw() - c0, 1);
  assert_file(fd, (off_t)(total + 2 * pg), all, 110);
  free(all);
  close(fd);
  tmpdir_rm(dir);
}

/* pwrite of 2.5 MiB at an odd offset: the bytes where they belong, the
 * file offset left alone. */
static void test_pwrite_cut(void **state) {
  (void)state;
  char *dir = tmpdir_new();
  int fd = open_tmp(dir, "f");
  size_t n = 5 * BS_WRITE_CAP / 2;
  uint8_t *buf = malloc(n);
  assert_non_null(buf);
  fill(buf, n, 9);
  unsigned long c0 = syscw();
  assert_int_equal(pwrite(fd, buf, n, 4099), (ssize_t)n);
  assert_true(syscw() - c0 >= 3);
  assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
  assert_file(fd, 4099, buf, n);
  free(buf);
  close(fd);
  tmpdir_rm(dir);
}

/* A failure: -1 and the error, also when part of the bytes went out
 * (RLIMIT_FSIZE stops the second piece half-way: EFBIG). */
static void test_errors(void **state) {
  (void)state;
  size_t n = 3 * BS_WRITE_CAP;
  uint8_t *buf = calloc(1, n);
  assert_non_null(buf);
  struct iovec iov = {buf, n};
  errno = 0;
  assert_int_equal(writev(-1, &iov, 1), -1);
  assert_int_equal(errno, EBADF);
  errno = 0;
  assert_int_equal(pwrite(-1, buf, n, 0), -1);
  assert_int_equal(errno, EBADF);

  char *dir = tmpdir_new();
  int fd = open_tmp(dir, "f");
  struct rlimit old, lim;
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
  lim = old;
  lim.rlim_cur = BS_WRITE_CAP + BS_WRITE_CAP / 2;
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
  void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
  errno = 0;
  assert_int_equal(writev(fd, &iov, 1), -1);
  assert_int_equal(errno, EFBIG);
  errno = 0;
  assert_int_equal(pwrite(fd, buf, n, 0), -1);
  assert_int_equal(errno, EFBIG);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
  signal(SIGXFSZ, prev);
  free(buf);
  close(fd);
  tmpdir_rm(dir);
}

/* LMDB through it: values of 1.5 and 3 MiB and small ones beside them,
 * committed (in several write calls), whole after the environment is
 * closed and opened again. */
static void test_lmdb_values(void **state) {
  (void)state;
  char *dir = tmpdir_new();
  static const size_t sizes[] = {3u << 20, 100, (3u << 20) / 2, 5000, 1u << 20};
  enum { NV = sizeof sizes / sizeof *sizes };
  uint8_t *vals[NV];
  for (int i = 0; i < NV; i++) {
    vals[i] = malloc(sizes[i]);
    assert_non_null(vals[i]);
    fill(vals[i], sizes[i], (unsigned)i * 17 + 1);
  }
  for (int round = 0; round < 2; round++) {
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_mapsize(env, 64u << 20), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, round ? MDB_RDONLY : 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
    for (int i = 0; i < NV; i++) {
      MDB_val k = {sizeof i, &i}, v = {sizes[i], vals[i]};
      if (!round) {
        assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
        continue;
      }
      assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
      assert_int_equal(v.mv_size, sizes[i]);
      assert_memory_equal(v.mv_data, vals[i], sizes[i]);
    }
    unsigned long c0 = syscw();
    if (!round) {
      assert_int_equal(mdb_txn_commit(txn), 0);
      assert_true(syscw() - c0 >= 6); /* 6.5 MiB and more of pages */
    } else {
      mdb_txn_abort(txn);
    }
    mdb_env_close(env);
  }
  for (int i = 0; i < NV; i++)
    free(vals[i]);
  tmpdir_rm(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_writev_cut),
      cmocka_unit_test(test_writev_pages_alone),
      cmocka_unit_test(test_pwrite_cut),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_lmdb_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

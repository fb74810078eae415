/*
 * test_bs_frozen.c — the blockstore's frozen copies (bs.h): sealed memfds
 * of large blocks for sendfile.  A copy holds the block's bytes and can
 * never change (the seals refuse every write); it is made on a block's
 * second request, not its first, nor for small blocks; a deletion
 * anywhere in the store retires every copy made before it; a copy
 * evicted while in use stays open and whole until its last user lets go;
 * and the copies never take more than an eighth of the descriptors.
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs_fixture.h"

typedef bs_fixture_t fx_t;

#define BIG (256u << 10)

/* bs_frozen_get on cid in a read transaction of its own; the reference in
 * *fz (NULL when none), the result returned. */
static int frozen(fx_t *f, const dag_cid_t *cid, bs_frozen_t **fz, int *fd) {
  bs_txn_t *t = rtxn(f);
  const uint8_t *d;
  size_t n;
  assert_int_equal(bs_get(t, cid, &d, &n), 0);
  int rc = bs_frozen_get(t, cid, d, n, fz, fd);
  bs_txn_abort(t);
  return rc;
}

/* The file fd holds exactly the bytes of cid, and refuses writes. */
static void assert_copy_of(fx_t *f, int fd, const dag_cid_t *cid) {
  struct stat st;
  assert_int_equal(fstat(fd, &st), 0);
  uint8_t *buf = malloc((size_t)st.st_size);
  assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
  assert_int_equal(dag_cid_verify(cid, buf, (size_t)st.st_size), 0);
  free(buf);
  int seals = fcntl(fd, F_GET_SEALS);
  assert_true(seals & F_SEAL_WRITE);
  assert_true(seals & F_SEAL_SHRINK);
  assert_int_equal(pwrite(fd, "x", 1, 0), -1);
  assert_int_equal(errno, EPERM);
  assert_int_equal(ftruncate(fd, 0), -1);
  (void)f;
}

static ino_t ino(int fd) {
  struct stat st;
  assert_int_equal(fstat(fd, &st), 0);
  return st.st_ino;
}

static void test_second_request_gets_a_sealed_copy(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t big = raw_block(t, 1, BIG), small = raw_block(t, 2, 1000);
  assert_int_equal(bs_txn_commit(t), 0);
  bs_frozen_t *fz;
  int fd;
  /* Small blocks never; large ones from their second request on. */
  assert_int_equal(frozen(f, &small, &fz, &fd), TR_ENOTFOUND);
  assert_int_equal(frozen(f, &small, &fz, &fd), TR_ENOTFOUND);
  assert_null(fz);
  assert_int_equal(frozen(f, &big, &fz, &fd), TR_ENOTFOUND);
  assert_int_equal(frozen(f, &big, &fz, &fd), 0);
  assert_non_null(fz);
  assert_copy_of(f, fd, &big);
  /* The same copy again, while the first reference is held. */
  bs_frozen_t *fz2;
  int fd2;
  assert_int_equal(frozen(f, &big, &fz2, &fd2), 0);
  assert_ptr_equal(fz2, fz);
  assert_int_equal(fd2, fd);
  bs_frozen_put(f->env, fz2);
  bs_frozen_put(f->env, fz);
  size_t count, bytes;
  bs_frozen_stats(f->env, &count, &bytes);
  assert_int_equal(count, 1);
  assert_int_equal(bytes, BIG);
  bs_frozen_put(f->env, NULL);
}

/* A deletion (of any block) retires the copies made before it: a block
 * deleted and stored again is never sent from a copy of before. */
static void test_deletion_retires_copies(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t big = raw_block(t, 1, BIG), other = raw_block(t, 3, 10);
  assert_int_equal(bs_txn_commit(t), 0);
  bs_frozen_t *fz;
  int fd;
  assert_int_equal(frozen(f, &big, &fz, &fd), TR_ENOTFOUND);
  assert_int_equal(frozen(f, &big, &fz, &fd), 0);
  ino_t before = ino(fd);
  bs_frozen_put(f->env, fz);
  t = wtxn(f);
  assert_int_equal(bs_del(t, &other), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  /* A new copy (asked for before: no second first request). */
  assert_int_equal(frozen(f, &big, &fz, &fd), 0);
  assert_int_not_equal(ino(fd), before);
  assert_copy_of(f, fd, &big);
  bs_frozen_put(f->env, fz);
  size_t count, bytes;
  bs_frozen_stats(f->env, &count, &bytes);
  assert_int_equal(count, 1);
}

/* Past the bound the least recently used go; one in use stays open and
 * whole until its user lets go of it. */
static void test_eviction_spares_users(void **state) {
  fx_t *f = *state;
  bs_frozen_set_max(f->env, 2 * BIG);
  bs_txn_t *t = wtxn(f);
  dag_cid_t c[3];
  for (uint32_t i = 0; i < 3; i++)
    c[i] = raw_block(t, 10 + i, BIG);
  assert_int_equal(bs_txn_commit(t), 0);
  bs_frozen_t *fz[3];
  int fd[3];
  for (int i = 0; i < 3; i++) {
    assert_int_equal(frozen(f, &c[i], &fz[i], &fd[i]), TR_ENOTFOUND);
    assert_int_equal(frozen(f, &c[i], &fz[i], &fd[i]), 0);
  }
  size_t count, bytes;
  bs_frozen_stats(f->env, &count, &bytes);
  assert_int_equal(count, 2);
  assert_int_equal(bytes, 2 * BIG);
  /* c[0] was evicted while held: still its bytes. */
  assert_copy_of(f, fd[0], &c[0]);
  for (int i = 0; i < 3; i++)
    bs_frozen_put(f->env, fz[i]);
  /* Bound 0: none kept, none made. */
  bs_frozen_set_max(f->env, 0);
  bs_frozen_stats(f->env, &count, &bytes);
  assert_int_equal(count, 0);
  assert_int_equal(bytes, 0);
  assert_int_equal(frozen(f, &c[1], &fz[0], &fd[0]), TR_ENOTFOUND);
  assert_int_equal(frozen(f, &c[1], &fz[0], &fd[0]), TR_ENOTFOUND);
}

/* Each copy holds a descriptor: no more copies than an eighth of the
 * process's descriptor limit, whatever their bytes. */
static void test_copies_bounded_by_descriptors(void **state) {
  (void)state;
  struct rlimit old, low;
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
  low = old;
  low.rlim_cur = 16; /* two copies */
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
  fx_t fx, *f = &fx;
  bs_fixture_open(&f->dir, &f->env);
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
  bs_txn_t *t = wtxn(f);
  dag_cid_t c[3];
  for (uint32_t i = 0; i < 3; i++)
    c[i] = raw_block(t, 20 + i, BIG);
  assert_int_equal(bs_txn_commit(t), 0);
  for (int i = 0; i < 3; i++) {
    bs_frozen_t *fz;
    int fd;
    assert_int_equal(frozen(f, &c[i], &fz, &fd), TR_ENOTFOUND);
    assert_int_equal(frozen(f, &c[i], &fz, &fd), 0);
    bs_frozen_put(f->env, fz);
  }
  size_t count, bytes;
  bs_frozen_stats(f->env, &count, &bytes);
  assert_int_equal(count, 2);
  bs_fixture_close(f->dir, f->env);
}

int main(void) {
  unsetenv("TROVE_FROZEN_MB");
  const struct CMUnitTest tests[] = {
      bs_fixture_test(test_second_request_gets_a_sealed_copy),
      bs_fixture_test(test_deletion_retires_copies),
      bs_fixture_test(test_eviction_spares_users),
      cmocka_unit_test(test_copies_bounded_by_descriptors),
  };
  return cmocka_run_group_tests_name("bs_frozen", tests, NULL, NULL);
}

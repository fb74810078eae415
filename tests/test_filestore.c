/*
 * test_filestore.c — the blockstore's filestore (blockstore/filestore.c):
 * references read and checked on every bs_get, a changed or missing file
 * refused, bs_has/bs_del/GC over references, the keyspace index, the
 * root's bounds, and boxo's DataObj records byte for byte.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "bs_fixture.h"

typedef bs_fixture_t fx_t;

static void fill(uint8_t *p, size_t n, uint32_t seed) {
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    p[i] = (uint8_t)x;
  }
}

/* A file of n bytes at dir/name; its absolute path into path. */
static void make_file(fx_t *f, const char *name, const uint8_t *p, size_t n,
                      char *path, size_t cap) {
  snprintf(path, cap, "%s/%s", f->dir, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, p, n), (ssize_t)n);
  close(fd);
}

static dag_cid_t raw_cid(const uint8_t *p, size_t n) {
  dag_cid_t c;
  assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, p, n),
                   0);
  return c;
}

static int count_ks(const uint8_t h[32], const uint8_t *mh, size_t mhl,
                    void *ud) {
  (void)h, (void)mh, (void)mhl;
  ++*(int *)ud;
  return 0;
}

static int kspace_n(fx_t *f) {
  bs_txn_t *t = rtxn(f);
  int n = 0;
  uint8_t zero[32] = {0};
  assert_int_equal(bs_kspace_range(t, zero, count_ks, &n), 0);
  bs_txn_abort(t);
  return n;
}

/* Two blocks of one file: read back, refused once the file changes or
 * goes, and kept in the keyspace index. */
static void test_read_and_check(void **state) {
  fx_t *f = *state;
  uint8_t data[3000];
  fill(data, sizeof data, 1);
  char path[4096];
  make_file(f, "file", data, sizeof data, path, sizeof path);
  dag_cid_t a = raw_cid(data, 1000), b = raw_cid(data + 1000, 2000);

  bs_txn_t *t = wtxn(f);
  assert_int_equal(bs_fs_put(t, &a, path, 0, 1000), 0);
  assert_int_equal(bs_fs_put(t, &b, path, 1000, 2000), 0);
  assert_int_equal(bs_fs_put(t, &b, path, 1000, 2000), 0); /* no-op */
  assert_int_equal(bs_txn_commit(t), 0);
  assert_int_equal(kspace_n(f), 2);

  t = rtxn(f);
  const uint8_t *d;
  size_t n;
  assert_int_equal(bs_get(t, &b, &d, &n), 0);
  assert_int_equal(n, 2000);
  assert_memory_equal(d, data + 1000, 2000);
  assert_int_equal(bs_has(t, &a), 1);
  uint64_t refs;
  assert_int_equal(bs_fs_count(t, &refs), 0);
  assert_int_equal(refs, 2);
  bs_fsref_t ref;
  assert_int_equal(bs_fs_get(t, &b, &ref), 0);
  char rel[4200];
  snprintf(rel, sizeof rel, "%s/file", strrchr(f->dir, '/') + 1);
  assert_string_equal(ref.path, rel);
  assert_int_equal(ref.offset, 1000);
  assert_int_equal(ref.size, 2000);
  /* A released view of a whole buffer is freed; the other stays. */
  const uint8_t *d2;
  assert_int_equal(bs_get(t, &a, &d2, &n), 0);
  bs_txn_release(t, d, 2000);
  assert_memory_equal(d2, data, 1000);
  bs_txn_abort(t);

  /* The first byte changes: a's read fails, b's still works. */
  data[0] ^= 1;
  make_file(f, "file", data, sizeof data, path, sizeof path);
  t = rtxn(f);
  assert_int_equal(bs_get(t, &a, &d, &n), TR_EFSCHANGED);
  assert_int_equal(bs_get(t, &b, &d, &n), 0);
  char msg[8400];
  uint8_t buf[3000];
  assert_int_equal(bs_fs_get(t, &a, &ref), 0);
  assert_int_equal(bs_fs_read(f->env, &a, &ref, buf, msg, sizeof msg),
                   BS_FS_CHANGED);
  char want[8400];
  snprintf(want, sizeof want, "data in file did not match. %s offset 0",
           ref.path);
  assert_string_equal(msg, want);
  bs_txn_abort(t);

  /* Shorter: the tail block reads past the end. */
  make_file(f, "file", data, 1500, path, sizeof path);
  t = rtxn(f);
  assert_int_equal(bs_get(t, &b, &d, &n), TR_EFSCHANGED);
  bs_txn_abort(t);

  /* Gone. */
  assert_int_equal(unlink(path), 0);
  t = rtxn(f);
  assert_int_equal(bs_get(t, &b, &d, &n), TR_EFSFILE);
  assert_int_equal(bs_fs_get(t, &b, &ref), 0);
  assert_int_equal(bs_fs_read(f->env, &b, &ref, buf, msg, sizeof msg),
                   BS_FS_NO_FILE);
  snprintf(want, sizeof want, "open %s: no such file or directory", path);
  assert_string_equal(msg, want);
  assert_int_equal(bs_has(t, &b), 1); /* as boxo's Has: the file unread */
  bs_txn_abort(t);

  /* A FIFO in the file's place: refused at once, never waited on. */
  assert_int_equal(mkfifo(path, 0644), 0);
  t = rtxn(f);
  assert_int_equal(bs_get(t, &b, &d, &n), TR_EFSFILE);
  assert_int_equal(bs_fs_read(f->env, &b, &ref, buf, msg, sizeof msg),
                   BS_FS_FILE_ERROR);
  bs_txn_abort(t);
  unlink(path);
}

/* Paths: relative to the root (the repo's parent), cleaned, refused
 * outside it; the record is boxo's DataObj. */
static void test_paths_and_record(void **state) {
  fx_t *f = *state;
  const char *root = bs_fs_root(f->env);
  char parent[4096];
  snprintf(parent, sizeof parent, "%s", f->dir);
  *strrchr(parent, '/') = '\0';
  assert_string_equal(root, parent[0] ? parent : "/");

  uint8_t data[10];
  fill(data, sizeof data, 2);
  dag_cid_t c = raw_cid(data, sizeof data);
  char path[4096];
  bs_txn_t *t = wtxn(f);
  snprintf(path, sizeof path, "%s/../%s//./x/y", root, strrchr(root, '/') + 1);
  assert_int_equal(bs_fs_put(t, &c, path, 7, 10), 0);
  /* Outside: a sibling whose name starts with the root's. */
  dag_cid_t c2 = raw_cid(data, 5);
  snprintf(path, sizeof path, "%s2/x", root);
  assert_int_equal(bs_fs_put(t, &c2, path, 0, 5), TR_EFSOUTSIDE);
  snprintf(path, sizeof path, "%s/../x", root);
  if (strcmp(root, "/"))
    assert_int_equal(bs_fs_put(t, &c2, path, 0, 5), TR_EFSOUTSIDE);
  assert_int_equal(bs_fs_put(t, &c2, "rel/x", 0, 5), TR_EUSAGE);
  char msg[4200];
  bs_fs_outside_msg(f->env, msg, sizeof msg);
  char want[4200];
  snprintf(want, sizeof want,
           "cannot add filestore references outside ipfs root (%s)", root);
  assert_string_equal(msg, want);
  /* The stored record: FilePath "x/y", Offset 7, Size 10. */
  bs_fsref_t ref;
  assert_int_equal(bs_fs_get(t, &c, &ref), 0);
  assert_string_equal(ref.path, "x/y");
  assert_int_equal(ref.offset, 7);
  assert_int_equal(ref.size, 10);
  assert_int_equal(bs_txn_commit(t), 0);
}

/* A block also stored is read from the store; bs_del removes both, and
 * the keyspace entry only once neither is left. */
static void test_stored_and_referenced(void **state) {
  fx_t *f = *state;
  uint8_t data[500];
  fill(data, sizeof data, 3);
  char path[4096];
  make_file(f, "f", data, sizeof data, path, sizeof path);
  dag_cid_t c = raw_cid(data, sizeof data);
  bs_txn_t *t = wtxn(f);
  assert_int_equal(bs_fs_put(t, &c, path, 0, sizeof data), 0);
  assert_int_equal(bs_put(t, &c, data, sizeof data), 0); /* a plain add */
  assert_int_equal(bs_txn_commit(t), 0);
  assert_int_equal(kspace_n(f), 1);
  unlink(path);
  assert_intact(f, &c); /* from the store: the file is gone */

  t = wtxn(f);
  assert_int_equal(bs_fs_del(t, &c), 0);
  assert_int_equal(bs_fs_del(t, &c), TR_ENOTFOUND);
  assert_int_equal(bs_txn_commit(t), 0);
  assert_int_equal(kspace_n(f), 1); /* still stored */
  t = wtxn(f);
  make_file(f, "f", data, sizeof data, path, sizeof path);
  /* Stored already: the reference is not made (boxo's Put). */
  assert_int_equal(bs_fs_put(t, &c, path, 0, sizeof data), 0);
  bs_fsref_t ref;
  assert_int_equal(bs_fs_get(t, &c, &ref), TR_ENOTFOUND);
  assert_int_equal(bs_del(t, &c), 0);
  assert_int_equal(bs_fs_put(t, &c, path, 0, sizeof data), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  assert_int_equal(kspace_n(f), 1);
  t = wtxn(f);
  assert_int_equal(bs_del(t, &c), 0); /* a reference alone */
  assert_int_equal(bs_del(t, &c), TR_ENOTFOUND);
  assert_int_equal(bs_txn_commit(t), 0);
  assert_int_equal(kspace_n(f), 0);
  assert_int_equal(has(f, &c), 0);
}

/* GC: a pinned DAG over referenced leaves keeps them; unpinned ones go,
 * the files untouched. */
static void test_gc(void **state) {
  fx_t *f = *state;
  uint8_t data[4000];
  fill(data, sizeof data, 4);
  char path[4096];
  make_file(f, "g", data, sizeof data, path, sizeof path);
  dag_cid_t l[4];
  bs_txn_t *t = wtxn(f);
  for (int i = 0; i < 4; i++) {
    l[i] = raw_cid(data + i * 1000, 1000);
    assert_int_equal(bs_fs_put(t, &l[i], path, (uint64_t)i * 1000, 1000), 0);
  }
  dag_cid_t keep = pb_node(t, l, 2, 1);
  assert_int_equal(bs_pin_add(t, &keep, BS_PIN_RECURSIVE, NULL, NULL), 0);
  dag_cid_t drop = pb_node(t, l + 2, 2, 1);
  (void)drop;
  /* l[3] is stored as well: GC takes both its forms. */
  assert_int_equal(bs_put(t, &l[3], data + 3000, 1000), 0);
  assert_int_equal(bs_txn_commit(t), 0);

  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(st.removed, 3); /* drop and its two leaves */
  assert_intact(f, &l[0]);
  assert_intact(f, &l[1]);
  assert_int_equal(has(f, &l[2]), 0);
  assert_int_equal(has(f, &l[3]), 0);
  t = rtxn(f);
  uint64_t refs;
  assert_int_equal(bs_fs_count(t, &refs), 0);
  assert_int_equal(refs, 2);
  bs_txn_abort(t);
  assert_int_equal(kspace_n(f), 3);
  struct stat sb;
  assert_int_equal(stat(path, &sb), 0);
  assert_int_equal(sb.st_size, 4000);
  /* A pin over a referenced DAG checks the references. */
  t = wtxn(f);
  assert_int_equal(bs_pin_rm(t, &keep, true), 0);
  assert_int_equal(bs_pin_add(t, &keep, BS_PIN_RECURSIVE, NULL, NULL), 0);
  assert_int_equal(bs_txn_commit(t), 0);
}

typedef struct seen {
  int n;
  uint64_t offsets[8];
} seen_t;

static int collect(const dag_cid_t *cid, const bs_fsref_t *ref, void *ud) {
  (void)cid;
  seen_t *s = ud;
  s->offsets[s->n++] = ref ? ref->offset : UINT64_MAX;
  return 0;
}

static int first_mh(const dag_cid_t *cid, const bs_fsref_t *ref, void *ud) {
  (void)ref;
  size_t n;
  const uint8_t *mh = dag_cid_mh(cid, &n);
  memcpy(ud, mh, n);
  return 1;
}

/* bs_fs_range: every reference, and on from a key. */
static void test_range(void **state) {
  fx_t *f = *state;
  uint8_t data[300];
  fill(data, sizeof data, 5);
  char path[4096];
  make_file(f, "r", data, sizeof data, path, sizeof path);
  bs_txn_t *t = wtxn(f);
  for (int i = 0; i < 3; i++) {
    dag_cid_t c = raw_cid(data + i * 100, 100);
    assert_int_equal(bs_fs_put(t, &c, path, (uint64_t)i * 100, 100), 0);
  }
  assert_int_equal(bs_txn_commit(t), 0);
  t = rtxn(f);
  seen_t s = {0};
  assert_int_equal(bs_fs_range(t, NULL, 0, collect, &s), 0);
  assert_int_equal(s.n, 3);
  uint8_t mh[64];
  assert_int_equal(bs_fs_range(t, NULL, 0, first_mh, mh), 1);
  seen_t s2 = {0};
  assert_int_equal(bs_fs_range(t, mh, 34, collect, &s2), 0);
  assert_int_equal(s2.n, 2);
  assert_int_equal(s2.offsets[0], s.offsets[1]);
  bs_txn_abort(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_read_and_check, bs_fixture_setup,
                                      bs_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_paths_and_record, bs_fixture_setup,
                                      bs_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_stored_and_referenced,
                                      bs_fixture_setup, bs_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_gc, bs_fixture_setup,
                                      bs_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_range, bs_fixture_setup,
                                      bs_fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

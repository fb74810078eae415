/*
 * test_fs_list.c — Kubo's `filestore ls|verify|dups` (rpc/fs_list.c): the
 * key order of Kubo's datastore (against base32 strings, and Kubo's own
 * order from its sharness test t0271), --file-order, the JSON of the API
 * and the CLI's lines byte for byte as Kubo v0.43.1 wrote them, and
 * listings over a store: across several collecting transactions, verify
 * of a changed file, --remove-bad-blocks, arguments, dups.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "bs_fixture.h"
#include "../rpc/fs_list.h"
#include "../rpc/rpc_int.h"

typedef bs_fixture_t fx_t;

static void fill(uint8_t *p, size_t n, uint32_t seed) {
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    p[i] = (uint8_t)x;
  }
}

static dag_cid_t cid_of(const char *s) {
  dag_cid_t c;
  assert_int_equal(dag_cid_parse(&c, s, strlen(s)), 0);
  return c;
}

static int sign(int x) { return x < 0 ? -1 : x > 0; }

/* ----------------------------------------------------------- key order */

/* rpc_fsl_keycmp orders as strcmp orders the base32 keys. */
static void test_keycmp_base32(void **state) {
  (void)state;
  uint8_t a[40], b[40];
  char sa[128], sb[128];
  for (uint32_t i = 0; i < 5000; i++) {
    size_t al = 1 + i % 40, bl = i % 3 ? al : 1 + (i * 7) % 40;
    fill(a, al, i);
    fill(b, bl, i + 100000);
    if (i % 5 == 0) /* a long common prefix */
      memcpy(b, a, (al < bl ? al : bl) - 1);
    assert_true(dag_mb_encode(DAG_MB_BASE32UPPER, a, al, sa, sizeof sa) > 0);
    assert_true(dag_mb_encode(DAG_MB_BASE32UPPER, b, bl, sb, sizeof sb) > 0);
    assert_int_equal(sign(rpc_fsl_keycmp(a, al, b, bl)),
                     sign(strcmp(sa, sb)));
    assert_int_equal(rpc_fsl_keycmp(a, al, a, al), 0);
  }
}

static int cmp_cids(const void *x, const void *y) {
  size_t al, bl;
  const uint8_t *a = dag_cid_mh(x, &al), *b = dag_cid_mh(y, &bl);
  return rpc_fsl_keycmp(a, al, b, bl);
}

/* Kubo's own key order: t0271-filestore-utils.sh's verify_rm_expect. */
static void test_keycmp_kubo(void **state) {
  (void)state;
  static const char *const kubo[] = {
      "bafkreiap7vddw56ggaod7d7kot4s3tvcc6aidlyoqzp4wuqp7c63zsttw4",
      "bafkreidfpbh7afcrsl4bc67qnmrtiksdqoxdto7tug5zo7bkh3vq46svs4",
      "bafkreid4ozonym3z5tm5rm2cli5fmzudkcwnazzhbgu2k6kpbj5qj27mha",
      "bafkreigfefue3rninmokrkyuho5dvrj7sjfvzunztmqusnfms4jpjkg3sq",
      "bafkreihed5ipyj3uenaem5zroilgdrhp4lvs7c2r6ldgcd7is66xj6izmi",
      "bafkreihj5dckiavi3e3hpyxy544aewbne3gca2synmo6bpgmx6ezitklyq",
  };
  dag_cid_t c[6];
  for (int i = 0; i < 6; i++)
    c[i] = cid_of(kubo[5 - i]); /* reversed, then sorted back */
  qsort(c, 6, sizeof c[0], cmp_cids);
  for (int i = 0; i < 6; i++) {
    char s[DAG_CID_STR_MAX];
    assert_string_equal(dag_cid_str(&c[i], s), kubo[i]);
  }
}

/* boxo's listAllFileOrder: path, then offset, then the key. */
static void test_filecmp(void **state) {
  (void)state;
  const uint8_t k1[] = {0x12, 0x01, 0x00}, k2[] = {0x12, 0x01, 0xff};
  assert_true(rpc_fsl_filecmp("a/b", 9, k2, 3, "a/c", 0, k1, 3) < 0);
  assert_true(rpc_fsl_filecmp("a/c", 0, k1, 3, "a/b", 9, k2, 3) > 0);
  assert_true(rpc_fsl_filecmp("a", 262144, k1, 3, "a", 524288, k1, 3) < 0);
  assert_true(rpc_fsl_filecmp("a", 0, k1, 3, "a", 0, k2, 3) ==
              sign(rpc_fsl_keycmp(k1, 3, k2, 3)));
  assert_true(rpc_fsl_filecmp("a", 0, k1, 3, "a", 0, k1, 3) == 0);
  /* bytes, not locale: "B" < "a", "a" < "a/" */
  assert_true(rpc_fsl_filecmp("B", 0, k1, 3, "a", 0, k1, 3) < 0);
  assert_true(rpc_fsl_filecmp("a", 0, k1, 3, "a/", 0, k1, 3) < 0);
}

/* ------------------------------------------------------------- formats */

#define FILE1 "bafkreidefe5hav3wwgshvfj5dvqfbznpvcofmtqmm3kp5oaso7v5iqt4xa"
#define GONE "bafkreihed5ipyj3uenaem5zroilgdrhp4lvs7c2r6ldgcd7is66xj6izmi"

static void res_ok(rpc_fsl_res_t *r) {
  memset(r, 0, sizeof *r);
  r->has_key = r->has_ref = true;
  r->key = cid_of(FILE1);
  snprintf(r->ref.path, sizeof r->ref.path, "somedir/file1");
  r->ref.size = 1000;
}

static void json_is(const rpc_fsl_res_t *r, const char *want) {
  json_t *o = rpc_fsl_json(r);
  assert_non_null(o);
  char *s = rpc_json_dumps(o, JSON_COMPACT);
  assert_string_equal(s, want);
  rpc_fsl_res_t back;
  assert_int_equal(rpc_fsl_from_json(o, &back), 0);
  assert_int_equal(back.status, r->status);
  assert_int_equal(back.has_key, r->has_key);
  assert_int_equal(back.has_ref, r->has_ref);
  assert_string_equal(back.err, r->err);
  free(s);
  json_decref(o);
}

/* The values Kubo v0.43.1's /api/v0/filestore/ls answered. */
static void test_json(void **state) {
  (void)state;
  rpc_fsl_res_t r;
  res_ok(&r);
  json_is(&r, "{\"Status\":0,\"ErrorMsg\":\"\",\"Key\":{\"/\":\"" FILE1
              "\"},\"FilePath\":\"somedir/file1\",\"Offset\":0,\"Size\":1000}");
  memset(&r, 0, sizeof r);
  r.status = BS_FS_OTHER;
  dag_cid_t c;
  char msg[256];
  assert_int_not_equal(rpc_fsl_cid_arg("foo", &c, msg, sizeof msg), 0);
  snprintf(r.err, sizeof r.err, "foo: %s", msg);
  json_is(&r, "{\"Status\":20,\"ErrorMsg\":\"foo: invalid path \\\"foo\\\": "
              "path does not have enough components\",\"Key\":null,"
              "\"FilePath\":\"\",\"Offset\":0,\"Size\":0}");
  r.status = BS_FS_MISSING;
  r.has_key = true;
  r.key = cid_of(GONE);
  snprintf(r.err, sizeof r.err, "ipld: could not find " GONE);
  json_is(&r, "{\"Status\":30,\"ErrorMsg\":\"ipld: could not find " GONE
              "\",\"Key\":{\"/\":\"" GONE "\"},\"FilePath\":\"\",\"Offset\":"
              "0,\"Size\":0}");
}

/* The lines Kubo v0.43.1's CLI printed. */
static void test_lines(void **state) {
  (void)state;
  rpc_fsl_res_t r;
  char line[8192];
  res_ok(&r);
  rpc_fsl_line(&r, RPC_FSL_LS, false, 0, line, sizeof line);
  assert_string_equal(line, FILE1 "   1000 somedir/file1 0\n");
  rpc_fsl_line(&r, RPC_FSL_VERIFY, false, 0, line, sizeof line);
  assert_string_equal(line, "ok      " FILE1 "   1000 somedir/file1 0\n");
  rpc_fsl_line(&r, RPC_FSL_VERIFY, true, 0, line, sizeof line);
  assert_string_equal(line, "ok      " FILE1 "   1000 somedir/file1 0 keep\n");
  r.status = BS_FS_CHANGED;
  r.ref.offset = 786432;
  r.ref.size = 213568;
  rpc_fsl_line(&r, RPC_FSL_VERIFY, true, 0, line, sizeof line);
  assert_string_equal(line, "changed " FILE1 " 213568 somedir/file1 786432 "
                            "remove\n");
  res_ok(&r);
  rpc_fsl_line(&r, RPC_FSL_LS, false, DAG_MB_BASE58BTC, line, sizeof line);
  assert_string_equal(line, "zb2rhdPGRdiVGYWXPrK7bgs6QX7D2xj7MkwyNboDdgShYF711"
                            "    1000 somedir/file1 0\n");
  /* Without a path the key is base32 whatever the base (go-cid's String). */
  r.has_ref = false;
  r.status = BS_FS_MISSING;
  rpc_fsl_line(&r, RPC_FSL_VERIFY, false, DAG_MB_BASE58BTC, line, sizeof line);
  assert_string_equal(line, "missing " FILE1 "\n");
  r.has_key = false;
  r.status = BS_FS_OTHER;
  rpc_fsl_line(&r, RPC_FSL_VERIFY, true, 0, line, sizeof line);
  assert_string_equal(line, "ERROR   <corrupt key> keep\n");
}

static void test_cid_arg(void **state) {
  (void)state;
  dag_cid_t c;
  char msg[512];
  assert_int_equal(rpc_fsl_cid_arg(FILE1, &c, msg, sizeof msg), 0);
  assert_int_equal(rpc_fsl_cid_arg("/ipfs/" FILE1, &c, msg, sizeof msg), 0);
  assert_int_equal(rpc_fsl_cid_arg("ipfs://" FILE1, &c, msg, sizeof msg), 0);
  assert_int_not_equal(rpc_fsl_cid_arg(FILE1 "/a", &c, msg, sizeof msg), 0);
  assert_string_equal(msg, "\"" FILE1 "/a\" points below a root CID, "
                           "expected a single CID");
  assert_int_not_equal(rpc_fsl_cid_arg("/foo/bar", &c, msg, sizeof msg), 0);
  assert_string_equal(msg, "invalid path \"/foo/bar\": unknown namespace: "
                           "\"foo\"");
}

/* ------------------------------------------------------------ listings */

#define NSMALL 1100 /* more than RPC_FSL_BATCH: collecting resumes */

typedef struct lst {
  rpc_fsl_res_t r;
  dag_cid_t keys[NSMALL + 8];
  char paths[NSMALL + 8][256];
  uint64_t offs[NSMALL + 8];
  int status[NSMALL + 8];
  size_t n;
} lst_t;

static void run(fx_t *f, const rpc_fsl_opts_t *o, lst_t *l) {
  rpc_fsl_t *it;
  assert_int_equal(rpc_fsl_new(f->env, o, &it), 0);
  int rc;
  l->n = 0;
  while ((rc = rpc_fsl_next(it, &l->r)) == 1) {
    assert_true(l->n < NSMALL + 8);
    l->keys[l->n] = l->r.key;
    snprintf(l->paths[l->n], 256, "%.200s", l->r.has_ref ? l->r.ref.path : "");
    l->offs[l->n] = l->r.ref.offset;
    l->status[l->n] = l->r.status;
    l->n++;
  }
  assert_int_equal(rc, 0);
  rpc_fsl_free(it);
}

static void write_file(const char *path, const uint8_t *p, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, p, n), (ssize_t)n);
  close(fd);
}

static void test_listing(void **state) {
  fx_t *f = *state;
  static uint8_t small[NSMALL * 4], big[3000];
  static lst_t l;
  char a[4096], b[4096], rel[4096];
  fill(small, sizeof small, 7);
  fill(big, sizeof big, 8);
  snprintf(a, sizeof a, "%s/a", f->dir);
  snprintf(b, sizeof b, "%s/b", f->dir);
  write_file(a, small, sizeof small);
  write_file(b, big, sizeof big);
  /* b's three blocks, then a's 4-byte ones (distinct, with this seed). */
  dag_cid_t bk[3];
  bs_txn_t *t = wtxn(f);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(dag_cid_sum(&bk[i], 1, DAG_CODEC_RAW, DAG_MH_SHA2_256,
                                 big + i * 1000, 1000), 0);
    assert_int_equal(bs_fs_put(t, &bk[i], b, (uint64_t)i * 1000, 1000), 0);
  }
  for (int i = 0; i < NSMALL; i++) {
    dag_cid_t c;
    assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256,
                                 small + i * 4, 4), 0);
    assert_int_equal(bs_fs_put(t, &c, a, (uint64_t)i * 4, 4), 0);
  }
  assert_int_equal(bs_txn_commit(t), 0);
  uint64_t nrefs;
  t = rtxn(f);
  assert_int_equal(bs_fs_count(t, &nrefs), 0);
  bs_txn_abort(t);
  assert_int_equal(nrefs, NSMALL + 3);

  /* Key order, every reference once. */
  rpc_fsl_opts_t o = {.mode = RPC_FSL_LS, .allow_files = true};
  run(f, &o, &l);
  assert_int_equal(l.n, NSMALL + 3);
  for (size_t i = 1; i < l.n; i++)
    assert_true(cmp_cids(&l.keys[i - 1], &l.keys[i]) < 0);

  /* File order: a's blocks by offset, then b's. */
  o.file_order = true;
  run(f, &o, &l);
  assert_int_equal(l.n, NSMALL + 3);
  snprintf(rel, sizeof rel, "%s", l.paths[0]);
  assert_true(strlen(rel) > 2 && !strcmp(rel + strlen(rel) - 2, "/a"));
  for (size_t i = 0; i < NSMALL; i++)
    assert_int_equal(l.offs[i], i * 4);
  for (int i = 0; i < 3; i++) {
    assert_true(dag_cid_equal(&l.keys[NSMALL + (size_t)i], &bk[i]));
    assert_int_equal(l.offs[NSMALL + (size_t)i], (uint64_t)i * 1000);
  }

  /* Verify: all ok; then b's middle block changes. */
  o = (rpc_fsl_opts_t){.mode = RPC_FSL_VERIFY, .allow_files = true,
                       .file_order = true};
  run(f, &o, &l);
  for (size_t i = 0; i < l.n; i++)
    assert_int_equal(l.status[i], BS_FS_OK);
  big[1500] ^= 1;
  write_file(b, big, sizeof big);
  run(f, &o, &l);
  assert_int_equal(l.status[NSMALL + 1], BS_FS_CHANGED);
  assert_int_equal(l.status[NSMALL], BS_FS_OK);
  /* Without FilestoreEnabled (the urlstore alone) a file is refused. */
  o.allow_files = false;
  run(f, &o, &l);
  assert_int_equal(l.status[0], BS_FS_OTHER);
  o.allow_files = true;

  /* Arguments: verified even for ls; missing; not a CID. */
  char s1[DAG_CID_STR_MAX], s2[DAG_CID_STR_MAX];
  char *args[] = {dag_cid_str(&bk[1], s1), GONE, "foo",
                  dag_cid_str(&bk[0], s2)};
  o = (rpc_fsl_opts_t){.mode = RPC_FSL_LS, .allow_files = true,
                       .args = args, .nargs = 4};
  run(f, &o, &l);
  assert_int_equal(l.n, 4);
  assert_int_equal(l.status[0], BS_FS_CHANGED);
  assert_int_equal(l.status[1], BS_FS_MISSING);
  assert_int_equal(l.status[2], BS_FS_OTHER);
  assert_int_equal(l.status[3], BS_FS_OK);

  /* --remove-bad-blocks drops the changed reference alone. */
  o = (rpc_fsl_opts_t){.mode = RPC_FSL_VERIFY, .allow_files = true,
                       .remove_bad = true};
  run(f, &o, &l);
  assert_int_equal(l.n, NSMALL + 3);
  run(f, &o, &l);
  assert_int_equal(l.n, NSMALL + 2);
  for (size_t i = 0; i < l.n; i++)
    assert_int_equal(l.status[i], BS_FS_OK);

  /* dups: referenced and stored; a block only stored is not one. */
  o = (rpc_fsl_opts_t){.mode = RPC_FSL_DUPS, .allow_files = true};
  run(f, &o, &l);
  assert_int_equal(l.n, 0);
  t = wtxn(f);
  assert_int_equal(bs_put(t, &bk[2], big + 2000, 1000), 0);
  (void)raw_block(t, 99, 100);
  assert_int_equal(bs_txn_commit(t), 0);
  run(f, &o, &l);
  assert_int_equal(l.n, 1);
  assert_true(dag_cid_equal(&l.keys[0], &bk[2]));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keycmp_base32),
      cmocka_unit_test(test_keycmp_kubo),
      cmocka_unit_test(test_filecmp),
      cmocka_unit_test(test_json),
      cmocka_unit_test(test_lines),
      cmocka_unit_test(test_cid_arg),
      cmocka_unit_test_setup_teardown(test_listing, bs_fixture_setup,
                                      bs_fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

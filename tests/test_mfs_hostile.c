/*
 * test_mfs_hostile.c — the MFS (rpc/mfs.h) over directories a hostile peer
 * made: `files cp /ipfs/<CID>` links any DAG into the tree, and the edits
 * below it then load and rewrite those nodes.  Each case here is a shape
 * tests/fuzz/fuzz_mfs.c reaches, pinned with the exact code (and Kubo's
 * message, where mfs sets one): a flat directory holding a name twice; a
 * HAMT whose bitfield disagrees with its links, whose links lack their
 * bucket prefix, whose fanout is not a power of two, whose child shard is
 * missing (the store unchanged after the abort), which holds a name in a
 * bucket that is not its own; a directory 64 levels deep; link names with
 * '/', NUL and bytes that are not UTF-8; a CID of a codec trove does not
 * know.  The four bugs these found (a name listed twice, a name that is
 * not UTF-8, a missing block's code, the root's chcid however spelled)
 * are asserted fixed.
 */
#include "testutil.h"

#include "mfs_test.h"

#include "../dag/hamt.h"

/* dag-pb nodes of CID version 1, sha2-256, nothing inlined. */
static const dag_cidb_t SHA256_V1 = {1, DAG_MH_SHA2_256, 0};


/* ------------------------------------------------------------- blocks */

typedef struct lk {
  const char *name;
  size_t len;
  dag_cid_t cid;
  uint64_t tsize;
} lk_t;

/* A dag-pb node with UnixFS data u and links l[0..n), stored. */
static dag_cid_t pb(fx_t *f, const dag_unixfs_t *u, const lk_t *l, size_t n) {
  dag_pb_link_t pl[16];
  assert_true(n <= 16);
  for (size_t i = 0; i < n; i++)
    pl[i] = (dag_pb_link_t){.cid = l[i].cid, .name = l[i].name,
                            .name_len = l[i].len, .has_name = true,
                            .tsize = l[i].tsize, .has_tsize = true};
  uint8_t ub[512], blk[4096];
  int ul = dag_unixfs_encode(u, NULL, 0, ub, sizeof ub);
  assert_true(ul > 0);
  int bl = dag_pb_encode(pl, n, ub, (size_t)ul, true, blk, sizeof blk);
  assert_true(bl > 0);
  dag_cid_t c;
  assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256, blk,
                               (size_t)bl), 0);
  assert_int_equal(bs_put(f->txn, &c, blk, (size_t)bl), 0);
  return c;
}

static dag_cid_t flat_dir(fx_t *f, const lk_t *l, size_t n) {
  dag_unixfs_t u = {.type = DAG_UNIXFS_DIRECTORY};
  return pb(f, &u, l, n);
}

/* A HAMT shard: fanout, hash type, bitfield as given. */
static dag_cid_t shard(fx_t *f, uint64_t fanout, uint64_t hash_type,
                       const uint8_t *bf, size_t bflen, const lk_t *l,
                       size_t n) {
  dag_unixfs_t u = {.type = DAG_UNIXFS_HAMT, .has_fanout = true,
                    .fanout = fanout, .has_hash_type = true,
                    .hash_type = hash_type, .data = bf, .data_len = bflen,
                    .has_data = true};
  return pb(f, &u, l, n);
}

static dag_cid_t raw(fx_t *f, const char *s) {
  dag_cid_t c;
  assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, s,
                               strlen(s)), 0);
  assert_int_equal(bs_put(f->txn, &c, (const uint8_t *)s, strlen(s)), 0);
  return c;
}

/* The bucket of name in a shard of fanout 256 at depth 0. */
static unsigned bucket(const char *name) {
  return dag_hamt_index(dag_hamt_hash(name, strlen(name)), 0, 8);
}

/* "%02X" of the bucket, then name: a leaf link name in a 256 shard. */
static char *hamt_name(char *buf, unsigned idx, const char *name) {
  sprintf(buf, "%02X%s", idx, name);
  return buf;
}

static int put_cb(const dag_cid_t *cid, const uint8_t *d, size_t n,
                  void *txn) {
  return bs_put(txn, cid, d, n);
}

static void cp(fx_t *f, const dag_cid_t *c, const char *dst) {
  assert_int_equal(mfs_put(&f->m, dst, c, 100, false, false), 0);
}

static int run(fx_t *f, mfs_op_t op, const char *a0, const char *a1,
               bool flag, json_t **answer) {
  char *args[2] = {(char *)a0, (char *)a1};
  mfs_cmd_t c = {.op = op, .args = args, .n = a1 ? 2 : 1, .flag = flag};
  tr_bytes_t lines = {0};
  json_t *o = NULL;
  int rc = mfs_run(&f->m, &c, &o, &lines);
  tr_bytes_free(&lines);
  if (answer)
    *answer = o;
  else
    json_decref(o);
  return rc;
}

static char *dumps(json_t *o) {
  char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  return s;
}

/* ------------------------------------------------------------------ tests */

/* A flat directory with two links named "a" (a file, then a directory)
 * and one "b".  boxo keeps such a listing as it is; trove refuses to
 * write it back (dag_dir_finish's TR_EEXIST), so an edit that rewrites it
 * fails and changes nothing.  BUG: rm of the doubled name takes away one
 * link only, returns 0, and the name is still there (the second link). */
static void test_dup_names(void **state) {
  fx_t *f = *state;
  dag_cid_t file = raw(f, "file"), empty, got, root0;
  static const uint8_t e[] = {0x0a, 0x02, 0x08, 0x01};
  assert_int_equal(dag_cid_sum(&empty, 0, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256,
                               e, 4), 0);
  lk_t l[] = {{"a", 1, file, 4}, {"a", 1, empty, 4}, {"b", 1, file, 4}};
  dag_cid_t d = flat_dir(f, l, 3);
  cp(f, &d, "/h");
  assert_int_equal(mfs_lookup(&f->m, "/", &root0), 0);
  /* Reads see the first "a", as dag_resolve does. */
  assert_int_equal(mfs_lookup(&f->m, "/h/a", &got), 0);
  assert_true(dag_cid_equal(&got, &file));
  json_t *o;
  assert_int_equal(run(f, MFS_LS, "/h", NULL, false, &o), 0);
  char *s = dumps(o);
  assert_string_equal(s, "{\"Entries\":[{\"Name\":\"a\",\"Type\":0,\"Size\":0,"
                         "\"Hash\":\"\"},{\"Name\":\"a\",\"Type\":0,\"Size\":0,"
                         "\"Hash\":\"\"},{\"Name\":\"b\",\"Type\":0,\"Size\":0,"
                         "\"Hash\":\"\"}]}");
  free(s);
  /* An edit that rewrites /h: the listing cannot be stored. */
  assert_fails(f, mfs_mkdir(&f->m, "/h/c", false, NULL), TR_EEXIST, "");
  assert_fails(f, mfs_rm(&f->m, "/h/b", false, false), TR_EEXIST, "");
  assert_fails(f, mfs_chmod(&f->m, "/h", 0755), TR_EEXIST, "");
  /* Under the first "a", a file: mkdir says so (boxo words it with the
   * path above, "h"). */
  assert_fails(f, mfs_mkdir(&f->m, "/h/a/x", false, NULL), TR_ENOTDIR,
               "h was not a directory");
  assert_fails(f, mfs_mkdir(&f->m, "/h/a/x", true, NULL), TR_ENOTDIR,
               "h was not a directory");
  assert_int_equal(mfs_lookup(&f->m, "/", &got), 0);
  assert_true(dag_cid_equal(&got, &root0)); /* nothing changed */
  /* rm of "a" itself: the rest of the listing has no name twice. */
  assert_int_equal(mfs_rm(&f->m, "/h/a", true, false), 0);
  /* Both links of the name go, as boxo's RemoveNodeLink takes them. */
  assert_fails(f, mfs_lookup(&f->m, "/h/a", &got), TR_EPATH,
               "file does not exist");
}

/* A HAMT (fanout 256) of "a", "b", "c" in their buckets, whose bitfield
 * says nothing is there: reads and edits go by the link names, and the
 * shard written back has the canonical bitfield (the CID a build of the
 * same entries from scratch gives). */
static void test_hamt_bitfield(void **state) {
  fx_t *f = *state;
  dag_cid_t x = raw(f, "x"), got;
  const char *names[] = {"a", "b", "c"};
  char nb[3][8];
  lk_t l[3];
  for (int i = 0; i < 3; i++)
    l[i] = (lk_t){hamt_name(nb[i], bucket(names[i]), names[i]),
                  strlen(nb[i]), x, 1};
  /* bucket order */
  for (int i = 1; i < 3; i++)
    for (int j = i; j > 0 && strcmp(l[j - 1].name, l[j].name) > 0; j--) {
      lk_t t = l[j];
      l[j] = l[j - 1];
      l[j - 1] = t;
    }
  static const uint8_t zero[32] = {0};
  dag_cid_t h = shard(f, 256, DAG_HAMT_MURMUR3, zero, 32, l, 3);
  cp(f, &h, "/h");
  assert_int_equal(mfs_lookup(&f->m, "/h/b", &got), 0);
  assert_true(dag_cid_equal(&got, &x));
  assert_int_equal(mfs_put(&f->m, "/h/d", &x, 1, false, false), 0);
  dag_hamt_entry_t e[4];
  const char *all[] = {"a", "b", "c", "d"};
  for (int i = 0; i < 4; i++)
    e[i] = (dag_hamt_entry_t){all[i], 1, x.bytes, x.len, 1, 0};
  dag_cid_t want;
  uint64_t ts;
  assert_int_equal(dag_hamt_build(e, 4, 256, &SHA256_V1, NULL,
                                  put_cb, f->txn, &want,
                                  &ts), 0);
  assert_int_equal(mfs_lookup(&f->m, "/h", &got), 0);
  assert_true(dag_cid_equal(&got, &want));
}

/* Shard links without their bucket prefix: a malformed shard, refused by
 * reads and edits alike, and nothing is written.  `files ls` says so, with
 * the code of the failure (TR_EUNIXFS). */
static void test_hamt_no_prefix(void **state) {
  fx_t *f = *state;
  dag_cid_t x = raw(f, "x"), got, root0;
  lk_t l[] = {{"a", 1, x, 1}, {"b", 1, x, 1}};
  static const uint8_t bf[] = {0xff};
  dag_cid_t h = shard(f, 256, DAG_HAMT_MURMUR3, bf, 1, l, 2);
  cp(f, &h, "/h");
  assert_int_equal(mfs_lookup(&f->m, "/", &root0), 0);
  assert_int_equal(mfs_lookup(&f->m, "/h/a", &got), TR_EUNIXFS);
  assert_fails(f, mfs_mkdir(&f->m, "/h/d", false, NULL), TR_EUNIXFS, "");
  assert_fails(f, mfs_rm(&f->m, "/h/a", false, false), TR_EUNIXFS, "");
  assert_fails(f, run(f, MFS_LS, "/h", NULL, false, NULL), TR_EUNIXFS,
               "malformed UnixFS data");
  /* The directory itself can go. */
  assert_int_equal(mfs_lookup(&f->m, "/", &got), 0);
  assert_true(dag_cid_equal(&got, &root0));
  assert_int_equal(mfs_rm(&f->m, "/h", true, false), 0);
}

/* A fanout that is not a power of two (100), and a child shard whose
 * fanout differs from its root's. */
static void test_hamt_fanout(void **state) {
  fx_t *f = *state;
  dag_cid_t x = raw(f, "x"), got;
  char n1[8];
  lk_t l[] = {{hamt_name(n1, 0x11, "a"), 3, x, 1}};
  static const uint8_t bf[] = {0xff, 0xff};
  dag_cid_t h = shard(f, 100, DAG_HAMT_MURMUR3, bf, 2, l, 1);
  cp(f, &h, "/h");
  assert_int_equal(mfs_lookup(&f->m, "/h/a", &got), TR_EUNIXFS);
  assert_fails(f, mfs_mkdir(&f->m, "/h/d", false, NULL), TR_EUNIXFS, "");
  assert_fails(f, mfs_chmod(&f->m, "/h", 0700), TR_EUNIXFS, "");
  assert_fails(f, run(f, MFS_LS, "/h", NULL, false, NULL), TR_EUNIXFS,
               "malformed UnixFS data");
  /* A root of fanout 256 over a child of fanout 16 in the bucket of "a". */
  char n2[8];
  lk_t cl[] = {{hamt_name(n2, 0, "zz"), 4, x, 1}};
  dag_cid_t child = shard(f, 16, DAG_HAMT_MURMUR3, bf, 2, cl, 1);
  char n3[8];
  lk_t rl[] = {{hamt_name(n3, bucket("a"), ""), 2, child, 10}};
  dag_cid_t r = shard(f, 256, DAG_HAMT_MURMUR3, bf, 2, rl, 1);
  cp(f, &r, "/r");
  assert_fails(f, mfs_mkdir(&f->m, "/r/a", false, NULL), TR_EUNIXFS, "");
  /* A hash type that is not murmur3. */
  dag_cid_t m = shard(f, 256, 0x23, bf, 2, l, 1);
  cp(f, &m, "/m");
  assert_fails(f, mfs_mkdir(&f->m, "/m/d", false, NULL), TR_EUNIXFS, "");
}

/* A HAMT whose child shard is missing: an edit that goes through it gives
 * TR_ENOTFOUND (the API fetches the block and runs it again), one in
 * another bucket works; after the abort the store is as it was. */
static void test_hamt_missing_child(void **state) {
  fx_t *f = *state;
  dag_cid_t x = raw(f, "x"), missing, got, root0;
  assert_int_equal(dag_cid_sum(&missing, 1, DAG_CODEC_DAG_PB,
                               DAG_MH_SHA2_256, "not here", 8), 0);
  char n1[8], n2[8];
  unsigned ba = bucket("a"), bb = bucket("b");
  assert_int_not_equal(ba, bb);
  lk_t l[2] = {{hamt_name(n1, ba, ""), 2, missing, 50},
               {hamt_name(n2, bb, "b"), 3, x, 1}};
  if (ba > bb) {
    lk_t t = l[0];
    l[0] = l[1];
    l[1] = t;
  }
  static const uint8_t bf[] = {0xff};
  dag_cid_t h = shard(f, 256, DAG_HAMT_MURMUR3, bf, 1, l, 2);
  cp(f, &h, "/h");
  assert_int_equal(bs_txn_commit(f->txn), 0);
  bs_stat_t st0, st1;
  assert_int_equal(bs_stat(f->env, &st0), 0);
  assert_int_equal(bs_txn_begin(f->env, 0, &f->txn), 0);
  f->m.txn = f->txn;
  assert_int_equal(mfs_lookup(&f->m, "/", &root0), 0);
  assert_int_equal(mfs_lookup(&f->m, "/h/a", &got), TR_ENOTFOUND);
  assert_int_equal(mfs_mkdir(&f->m, "/h/a", false, NULL), TR_ENOTFOUND);
  assert_int_equal(mfs_put(&f->m, "/h/a", &x, 1, false, true), TR_ENOTFOUND);
  assert_int_equal(mfs_rm(&f->m, "/h/a", true, true), TR_ENOTFOUND);
  assert_int_equal(run(f, MFS_RM, "/h/a", NULL, true, NULL), TR_ENOTFOUND);
  /* mkdir -p wrote the empty directory's block before failing: the abort
   * takes it away with the rest. */
  assert_int_equal(mfs_mkdir(&f->m, "/h/a/b/c", true, NULL), TR_ENOTFOUND);
  assert_int_equal(mfs_lookup(&f->m, "/", &got), 0);
  assert_true(dag_cid_equal(&got, &root0));
  /* Another bucket: an edit that does not need the child works; removing
   * "b" does not, since the HAMT then has to be listed (whether it now
   * fits a flat directory) and the listing needs the child. */
  assert_int_not_equal(bucket("c"), ba);
  assert_int_equal(mfs_put(&f->m, "/h/c", &x, 1, false, false), 0);
  assert_int_equal(mfs_lookup(&f->m, "/h/c", &got), 0);
  assert_int_equal(mfs_rm(&f->m, "/h/b", false, false), TR_ENOTFOUND);
  bs_txn_abort(f->txn);
  assert_int_equal(bs_stat(f->env, &st1), 0);
  assert_int_equal(st0.blocks, st1.blocks);
  assert_int_equal(st0.block_bytes, st1.block_bytes);
  assert_int_equal(bs_txn_begin(f->env, 0, &f->txn), 0);
  f->m.txn = f->txn;
  assert_int_equal(mfs_lookup(&f->m, "/", &got), 0);
  assert_true(dag_cid_equal(&got, &root0));
  assert_int_equal(mfs_lookup(&f->m, "/h/b", &got), 0);
}

/* "a" both in its own bucket and, as the only other entry, in a bucket
 * that is not its own.  Lookups see the first; rm takes it away, the HAMT
 * then fits a flat directory and turns into one (boxo's switch lists every
 * link), and the misplaced "a" comes back into sight. */
static void test_hamt_misplaced(void **state) {
  fx_t *f = *state;
  dag_cid_t x = raw(f, "x"), y = raw(f, "y"), got;
  unsigned ba = bucket("a"), other = (ba + 0x30) & 0xff;
  char n1[8], n2[8];
  lk_t l[2] = {{hamt_name(n1, ba, "a"), 3, x, 1},
               {hamt_name(n2, other, "a"), 3, y, 1}};
  if (ba > other) {
    lk_t t = l[0];
    l[0] = l[1];
    l[1] = t;
  }
  static const uint8_t bf[] = {0xff};
  dag_cid_t h = shard(f, 256, DAG_HAMT_MURMUR3, bf, 1, l, 2);
  cp(f, &h, "/h");
  assert_int_equal(mfs_lookup(&f->m, "/h/a", &got), 0);
  assert_true(dag_cid_equal(&got, &x));
  json_t *o;
  assert_int_equal(run(f, MFS_LS, "/h", NULL, false, &o), 0);
  assert_int_equal(json_array_size(json_object_get(o, "Entries")), 2);
  json_decref(o);
  assert_int_equal(mfs_rm(&f->m, "/h/a", false, false), 0);
  assert_int_equal(mfs_lookup(&f->m, "/h/a", &got), 0);
  assert_true(dag_cid_equal(&got, &y));
  int kind;
  dag_node_info_t info;
  assert_int_equal(mfs_lookup(&f->m, "/h", &got), 0);
  assert_int_equal(dag_stat(&got, bs_get_cb, f->txn, &info), 0);
  assert_int_equal(info.unixfs_type, DAG_UNIXFS_DIRECTORY);
  (void)kind;
  /* An edit into the misplaced entry's bucket forks it with the new name
   * (a shard below for both): the new name is found. */
  dag_cid_t h2 = shard(f, 256, DAG_HAMT_MURMUR3, bf, 1, l, 2);
  cp(f, &h2, "/k");
  /* a name whose bucket is the misplaced one's */
  char nm[16];
  int i;
  for (i = 0; i < 100000; i++) {
    snprintf(nm, sizeof nm, "n%d", i);
    if (bucket(nm) == other)
      break;
  }
  assert_true(i < 100000);
  char path[32];
  snprintf(path, sizeof path, "/k/%s", nm);
  assert_int_equal(mfs_put(&f->m, path, &x, 1, false, false), 0);
  assert_int_equal(mfs_lookup(&f->m, path, &got), 0);
  assert_true(dag_cid_equal(&got, &x));
  assert_int_equal(mfs_lookup(&f->m, "/k/a", &got), 0);
  assert_true(dag_cid_equal(&got, &x));
}

/* Links out of bucket order, or two links for one bucket: reads go on,
 * but a shard cannot be written back in that order.  The code that comes
 * back is dag_hamt_emit's TR_EUSAGE, without a message (reported: a
 * malformed shard, TR_EUNIXFS, would say what is wrong). */
static void test_hamt_order(void **state) {
  fx_t *f = *state;
  dag_cid_t x = raw(f, "x"), got;
  unsigned ba = bucket("a"), bb = bucket("b");
  char n1[8], n2[8];
  lk_t l[2] = {{hamt_name(n1, ba, "a"), 3, x, 1},
               {hamt_name(n2, bb, "b"), 3, x, 1}};
  if (ba < bb) { /* the wrong order */
    lk_t t = l[0];
    l[0] = l[1];
    l[1] = t;
  }
  static const uint8_t bf[] = {0xff};
  dag_cid_t h = shard(f, 256, DAG_HAMT_MURMUR3, bf, 1, l, 2);
  cp(f, &h, "/h");
  assert_int_equal(mfs_lookup(&f->m, "/h/a", &got), 0);
  assert_int_equal(mfs_lookup(&f->m, "/h/b", &got), 0);
  assert_fails(f, mfs_put(&f->m, "/h/a", &x, 1, false, true), TR_EUSAGE,
               "");
  assert_fails(f, mfs_chmod(&f->m, "/h", 0700), TR_EUSAGE, "");
}

/* A directory 64 levels deep (each level one link "a"), linked with cp:
 * mkdir -p below its bottom, a lookup through all of it, rm at the bottom;
 * and one 2000 levels deep (MFS_PATH_MAX allows 2047 segments). */
static void deep(fx_t *f, int levels) {
  dag_cid_t c, got;
  static const uint8_t e[] = {0x0a, 0x02, 0x08, 0x01};
  assert_int_equal(dag_cid_sum(&c, 0, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256, e,
                               4), 0);
  for (int i = 0; i < levels; i++) {
    lk_t l[] = {{"a", 1, c, 100}};
    c = flat_dir(f, l, 1);
  }
  cp(f, &c, "/deep");
  char *path = malloc(8 + 2 * (size_t)levels + 16);
  strcpy(path, "/deep");
  for (int i = 0; i < levels; i++)
    strcat(path, "/a");
  size_t base = strlen(path);
  strcat(path, "/x/y");
  assert_int_equal(mfs_mkdir(&f->m, path, true, NULL), 0);
  assert_int_equal(mfs_lookup(&f->m, path, &got), 0);
  path[base] = 0;
  strcat(path, "/x");
  assert_int_equal(mfs_rm(&f->m, path, true, false), 0);
  assert_fails(f, mfs_lookup(&f->m, path, &got), TR_EPATH,
               "file does not exist");
  /* the bottom is still there, empty */
  path[base] = 0;
  json_t *o = mfs_ls_json(&f->m, path, false);
  assert_non_null(o);
  assert_true(json_is_null(json_object_get(o, "Entries")));
  json_decref(o);
  free(path);
}

static void test_deep(void **state) {
  fx_t *f = *state;
  deep(f, 64);
  assert_int_equal(mfs_rm(&f->m, "/deep", true, false), 0);
  deep(f, 2000);
}

/* Link names a hostile dag-pb node may hold: "x/y", "n\0l", "..", and
 * bytes that are not UTF-8.  They cannot be reached by path; a flat
 * directory holding them cannot be written back (TR_EUNSAFE: the
 * directory builder refuses such names), so editing a sibling fails and
 * changes nothing.  `files ls` lists them as they are (NUL and all).  BUG:
 * a name that is not UTF-8 makes `files ls` fail with -ENOMEM ("Cannot
 * allocate memory": jansson refuses the string), where Kubo answers with
 * the name's bytes as U+FFFD. */
static void test_odd_names(void **state) {
  fx_t *f = *state;
  dag_cid_t x = raw(f, "x"), got;
  lk_t l[] = {{"..", 2, x, 1}, {"b", 1, x, 1}, {"n\0l", 3, x, 1},
              {"x/y", 3, x, 1}};
  dag_cid_t d = flat_dir(f, l, 4);
  cp(f, &d, "/h");
  assert_fails(f, mfs_lookup(&f->m, "/h/x/y", &got), TR_EPATH,
               "file does not exist");
  assert_fails(f, mfs_lookup(&f->m, "/h/n", &got), TR_EPATH,
               "file does not exist");
  assert_int_equal(mfs_lookup(&f->m, "/h/b", &got), 0);
  json_t *o;
  assert_int_equal(run(f, MFS_LS, "/h", NULL, false, &o), 0);
  char *s = dumps(o);
  assert_string_equal(s, "{\"Entries\":[{\"Name\":\"..\",\"Type\":0,\"Size\":0,"
                         "\"Hash\":\"\"},{\"Name\":\"b\",\"Type\":0,\"Size\":0,"
                         "\"Hash\":\"\"},{\"Name\":\"n\\u0000l\",\"Type\":0,"
                         "\"Size\":0,\"Hash\":\"\"},{\"Name\":\"x/y\",\"Type\":"
                         "0,\"Size\":0,\"Hash\":\"\"}]}");
  free(s);
  assert_fails(f, mfs_mkdir(&f->m, "/h/c", false, NULL), TR_EUNSAFE, "");
  assert_fails(f, mfs_rm(&f->m, "/h/b", false, false), TR_EUNSAFE, "");
  assert_fails(f, mfs_mv(&f->m, "/h/b", "/h/c"), TR_EUNSAFE, "");
  assert_int_equal(mfs_lookup(&f->m, "/h", &got), 0);
  assert_true(dag_cid_equal(&got, &d));
  /* In a HAMT the edit touches the shard on its own path only: a sibling
   * in another bucket keeps its odd name. */
  char n1[8], n2[16];
  unsigned bs = bucket("x/y"), bb = bucket("b");
  lk_t hl[2] = {{hamt_name(n1, bb, "b"), 3, x, 1},
                {hamt_name(n2, bs, "x/y"), 5, x, 1}};
  if (bb > bs) {
    lk_t t = hl[0];
    hl[0] = hl[1];
    hl[1] = t;
  }
  static const uint8_t bf[] = {0xff};
  dag_cid_t h = shard(f, 256, DAG_HAMT_MURMUR3, bf, 1, hl, 2);
  cp(f, &h, "/s");
  assert_int_equal(mfs_mkdir(&f->m, "/s/c", false, NULL), 0);
  /* Removing one makes it fit a flat directory, which cannot hold "x/y". */
  assert_fails(f, mfs_rm(&f->m, "/s/b", false, false), TR_EUNSAFE, "");
  /* Not UTF-8. */
  lk_t ul[] = {{"\xc3\x28", 2, x, 1}};
  dag_cid_t u = flat_dir(f, ul, 1);
  cp(f, &u, "/u");
  o = NULL;
  int rc = run(f, MFS_LS, "/u", NULL, false, &o);
  json_decref(o);
  assert_int_equal(rc, 0);
}

/* A CID of a codec trove does not know (0x300001), linked in by an API
 * user's cp of an MFS path or by a hostile directory: lookups reach it,
 * nothing can be read through it, and it can be moved and removed. */
static void test_unknown_codec(void **state) {
  fx_t *f = *state;
  dag_cid_t c, got;
  assert_int_equal(dag_cid_sum(&c, 1, 0x300001, DAG_MH_SHA2_256, "?", 1), 0);
  assert_int_equal(bs_put(f->txn, &c, (const uint8_t *)"?", 1), 0);
  lk_t l[] = {{"u", 1, c, 1}};
  dag_cid_t d = flat_dir(f, l, 1);
  cp(f, &d, "/h");
  assert_int_equal(mfs_lookup(&f->m, "/h/u", &got), 0);
  assert_true(dag_cid_equal(&got, &c));
  assert_fails(f, mfs_lookup(&f->m, "/h/u/x", &got), TR_ECODEC, "");
  assert_fails(f, mfs_mkdir(&f->m, "/h/u/x", true, NULL), TR_ECODEC, "");
  assert_fails(f, mfs_chmod(&f->m, "/h/u", 0644), TR_ECODEC, "");
  assert_fails(f, mfs_touch(&f->m, "/h/u", 1, 0), TR_ECODEC, "");
  assert_fails(f, run(f, MFS_STAT, "/h/u", NULL, false, NULL), TR_ECODEC,
               "not unixfs node (proto or raw)");
  assert_fails(f, run(f, MFS_LS, "/h", NULL, true, NULL), TR_ECODEC,
               "not unixfs node (proto or raw)");
  json_t *o;
  assert_int_equal(run(f, MFS_LS, "/h", NULL, false, &o), 0);
  json_decref(o);
  char src[DAG_CID_STR_MAX + 8], s[DAG_CID_STR_MAX];
  snprintf(src, sizeof src, "/ipfs/%s", dag_cid_str(&c, s));
  assert_fails(f, run(f, MFS_CP, src, "/v", false, NULL), TR_EUNIXFS,
               "cp: source must be a valid UnixFS (dag-pb or raw codec)");
  assert_fails(f, run(f, MFS_CP, "/h/u", "/v", false, NULL), TR_EUNIXFS,
               "cp: source must be a valid UnixFS (dag-pb or raw codec)");
  assert_int_equal(mfs_mv(&f->m, "/h/u", "/w"), 0);
  /* rm without -r asks what it is (a directory?), which fails; -r does
   * not ask. */
  assert_fails(f, mfs_rm(&f->m, "/w", false, false), TR_ECODEC, "");
  assert_int_equal(mfs_rm(&f->m, "/w", true, false), 0);
  assert_fails(f, mfs_lookup(&f->m, "/w", &got), TR_EPATH,
               "file does not exist");
}

/* `files ls` of a directory whose block is missing.  BUG: mfs_run answers
 * -ENOMEM with no message (mfs_ls_json leaves m->err empty for
 * TR_ENOTFOUND, and mfs_run reads "no answer, no message" as out of
 * memory); mfs.h promises TR_ENOTFOUND, so the CLI offline says "Cannot
 * allocate memory". */
static void test_ls_missing(void **state) {
  fx_t *f = *state;
  dag_cid_t missing;
  assert_int_equal(dag_cid_sum(&missing, 1, DAG_CODEC_DAG_PB,
                               DAG_MH_SHA2_256, "gone", 4), 0);
  cp(f, &missing, "/h");
  json_t *o = NULL;
  dag_cid_t got;
  assert_int_equal(mfs_lookup(&f->m, "/h/x", &got), TR_ENOTFOUND);
  assert_int_equal(run(f, MFS_FLUSH, "/h/x", NULL, false, NULL),
                   TR_ENOTFOUND);
  int st = run(f, MFS_STAT, "/h", NULL, false, NULL);
  int ls = run(f, MFS_LS, "/h", NULL, false, &o);
  json_decref(o);
  assert_string_equal(f->m.err, "");
  assert_int_equal(st, TR_ENOTFOUND);
  assert_int_equal(ls, TR_ENOTFOUND);
}

/* A directory whose CID is an identity hash (the block inside the CID,
 * never stored): reads need no block; an edit writes it back with its own
 * prefix, identity, while it fits DAG_MH_IDENTITY_MAX bytes. */
static void test_identity_dir(void **state) {
  fx_t *f = *state;
  dag_cid_t x = raw(f, "x"), d, got;
  dag_pb_link_t pl = {.cid = x, .name = "a", .name_len = 1, .has_name = true,
                      .tsize = 1, .has_tsize = true};
  uint8_t blk[128];
  static const uint8_t dir[] = {0x08, 0x01};
  int bl = dag_pb_encode(&pl, 1, dir, 2, true, blk, sizeof blk);
  assert_true(bl > 0);
  assert_int_equal(dag_cid_sum(&d, 1, DAG_CODEC_DAG_PB, DAG_MH_IDENTITY, blk,
                               (size_t)bl), 0);
  cp(f, &d, "/h");
  assert_int_equal(mfs_lookup(&f->m, "/h/a", &got), 0);
  assert_true(dag_cid_equal(&got, &x));
  assert_int_equal(mfs_mkdir(&f->m, "/h/b", false, NULL), 0);
  assert_int_equal(mfs_lookup(&f->m, "/h", &got), 0);
  assert_int_equal(got.mh_code, DAG_MH_IDENTITY);
  assert_int_equal(mfs_lookup(&f->m, "/h/b", &got), 0);
  /* A third entry makes the node longer than an identity hash holds: the
   * edit fails (no message), until chcid gives the directory a hash. */
  assert_fails(f, mfs_mkdir(&f->m, "/h/c", false, NULL), TR_ETOOBIG, "");
  mfs_prefix_t v1 = {1, DAG_MH_SHA2_256};
  assert_int_equal(mfs_chcid(&f->m, "/h", &v1), 0);
  assert_int_equal(mfs_mkdir(&f->m, "/h/c", false, NULL), 0);
  assert_int_equal(mfs_lookup(&f->m, "/h", &got), 0);
  assert_int_equal(got.mh_code, DAG_MH_SHA2_256);
}

/* chcid refuses the root by its spelling "/" only.  BUG: "//", "/." and
 * "/a/.." are the root too (Kubo checks the cleaned path), and chcid
 * rewrites the root with the prefix asked for. */
static void test_chcid_root(void **state) {
  fx_t *f = *state;
  mfs_prefix_t v1 = {1, DAG_MH_SHA2_256};
  dag_cid_t got;
  assert_fails(f, mfs_chcid(&f->m, "/", &v1), TR_EUSAGE,
               "cannot change CID format of the MFS root; use 'ipfs config "
               "Import.CidVersion' and 'ipfs config Import.HashFunction' "
               "instead");
  int rc = mfs_chcid(&f->m, "/.", &v1);
  assert_int_equal(mfs_lookup(&f->m, "/", &got), 0);
  assert_int_equal(rc, TR_EUSAGE);
  assert_int_equal(got.version, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_dup_names, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hamt_bitfield, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hamt_no_prefix, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hamt_fanout, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hamt_missing_child, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_hamt_misplaced, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hamt_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_deep, setup, teardown),
      cmocka_unit_test_setup_teardown(test_odd_names, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_codec, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ls_missing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_identity_dir, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chcid_root, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

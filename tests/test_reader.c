/*
 * test_reader.c — dag/reader.h on hand-built and hostile DAGs: a node with
 * data and children (read in order), sizes that lie, children of the wrong
 * kind, missing blocks, a depth bomb, directories and HAMTs listed and
 * resolved, and the errors each case must give.  Well-formed imports are
 * read back in test_importer.c.
 */
#include "testutil.h"

#include "../dag/dagpb.h"
#include "../dag/importer.h"
#include "../dag/reader.h"
#include "memstore.h"

static dag_cid_t raw(memstore_t *ms, const char *s) {
  return ms_add(ms, 1, DAG_CODEC_RAW, (const uint8_t *)s, strlen(s));
}

/* A UnixFS node of type t with optional data, links (empty names) and the
 * given blocksizes. */
static dag_cid_t node(memstore_t *ms, int t, const char *data,
                      const dag_cid_t *kids, const uint64_t *bs, size_t nk,
                      size_t nbs) {
  dag_unixfs_t u = {0};
  u.type = t;
  u.data = (const uint8_t *)data;
  u.data_len = data ? strlen(data) : 0;
  u.has_data = data != NULL;
  uint64_t fs = u.data_len;
  for (size_t i = 0; i < nbs; i++)
    fs += bs[i];
  u.filesize = fs;
  u.has_filesize = t == DAG_UNIXFS_FILE;
  uint8_t ufs[512], blk[4096];
  int ul = dag_unixfs_encode(&u, bs, nbs, ufs, sizeof ufs);
  assert_true(ul > 0);
  dag_pb_link_t links[16] = {0};
  for (size_t i = 0; i < nk; i++) {
    links[i].cid = kids[i];
    links[i].name = "";
    links[i].has_name = links[i].has_tsize = true;
    links[i].tsize = 1;
  }
  int n = dag_pb_encode(links, nk, ufs, (size_t)ul, true, blk, sizeof blk);
  assert_true(n > 0);
  return ms_add(ms, 0, DAG_CODEC_DAG_PB, blk, (size_t)n);
}

typedef struct out {
  char buf[256];
  size_t len;
} out_t;

static int collect(const uint8_t *p, size_t n, void *ud) {
  out_t *o = ud;
  assert_true(o->len + n < sizeof o->buf);
  memcpy(o->buf + o->len, p, n);
  o->len += n;
  o->buf[o->len] = 0;
  return 0;
}

static int cat(memstore_t *ms, const dag_cid_t *c, uint64_t off, uint64_t len,
               out_t *o) {
  o->len = 0;
  o->buf[0] = 0;
  return dag_cat(c, off, len, ms_get, ms, collect, o);
}

/* ---------------------------------------------------------------- files */

/* A node's own data comes before its children (trickle-style roots). */
static void test_data_then_children(void **state) {
  (void)state;
  memstore_t ms = {0};
  dag_cid_t k[2] = {raw(&ms, "def"), raw(&ms, "gh")};
  uint64_t bs[2] = {3, 2};
  dag_cid_t mid = node(&ms, DAG_UNIXFS_FILE, "XY", k, bs, 2, 2);
  dag_cid_t k2[2] = {mid, raw(&ms, "ij")};
  uint64_t bs2[2] = {7, 2};
  dag_cid_t root = node(&ms, DAG_UNIXFS_FILE, "abc", k2, bs2, 2, 2);
  out_t o;
  assert_int_equal(cat(&ms, &root, 0, UINT64_MAX, &o), 0);
  assert_string_equal(o.buf, "abcXYdefghij");
  /* every range */
  const char *all = "abcXYdefghij";
  for (uint64_t off = 0; off <= 13; off++)
    for (uint64_t len = 0; len <= 13; len++) {
      assert_int_equal(cat(&ms, &root, off, len, &o), 0);
      size_t want = off >= 12 ? 0 : len < 12 - off ? len : 12 - off;
      assert_int_equal(o.len, want);
      assert_memory_equal(o.buf, all + (off < 12 ? off : 12), want);
    }
  dag_node_info_t info;
  assert_int_equal(dag_stat(&root, ms_get, &ms, &info), 0);
  assert_int_equal(info.kind, DAG_NODE_FILE);
  assert_true(info.size == 12);
  assert_int_equal(info.nlinks, 2);
  /* UnixFS type Raw with data is file data too (old go-ipfs leaves) */
  dag_cid_t old = node(&ms, DAG_UNIXFS_RAW, "old", NULL, NULL, 0, 0);
  assert_int_equal(cat(&ms, &old, 0, UINT64_MAX, &o), 0);
  assert_string_equal(o.buf, "old");
  ms_free(&ms);
}

static void test_lying_sizes(void **state) {
  (void)state;
  memstore_t ms = {0};
  out_t o;
  dag_cid_t k[2] = {raw(&ms, "def"), raw(&ms, "gh")};
  /* fewer blocksizes than links */
  uint64_t bs[2] = {3, 2};
  dag_cid_t c = node(&ms, DAG_UNIXFS_FILE, NULL, k, bs, 2, 1);
  assert_int_equal(cat(&ms, &c, 0, UINT64_MAX, &o), TR_EUNIXFS);
  /* more blocksizes than links */
  uint64_t bs3[3] = {3, 2, 1};
  c = node(&ms, DAG_UNIXFS_FILE, NULL, k, bs3, 2, 3);
  assert_int_equal(cat(&ms, &c, 0, UINT64_MAX, &o), TR_EUNIXFS);
  /* a raw child longer than its blocksize */
  uint64_t bad[2] = {2, 2};
  c = node(&ms, DAG_UNIXFS_FILE, NULL, k, bad, 2, 2);
  assert_int_equal(cat(&ms, &c, 0, UINT64_MAX, &o), TR_EUNIXFS);
  /* an internal child that gives less than its blocksize says */
  dag_cid_t inner = node(&ms, DAG_UNIXFS_FILE, NULL, k, bs, 2, 2); /* 5 */
  dag_cid_t k2[1] = {inner};
  uint64_t big[1] = {6};
  c = node(&ms, DAG_UNIXFS_FILE, NULL, k2, big, 1, 1);
  assert_int_equal(cat(&ms, &c, 0, UINT64_MAX, &o), TR_EUNIXFS);
  /* a dag-pb leaf whose data is not its blocksize */
  dag_cid_t leaf = node(&ms, DAG_UNIXFS_FILE, "abcd", NULL, NULL, 0, 0);
  dag_cid_t k3[1] = {leaf};
  uint64_t three[1] = {3};
  c = node(&ms, DAG_UNIXFS_FILE, NULL, k3, three, 1, 1);
  assert_int_equal(cat(&ms, &c, 0, UINT64_MAX, &o), TR_EUNIXFS);
  ms_free(&ms);
}

static void test_wrong_kinds(void **state) {
  (void)state;
  memstore_t ms = {0};
  out_t o;
  dag_cid_t dir = node(&ms, DAG_UNIXFS_DIRECTORY, NULL, NULL, NULL, 0, 0);
  dag_cid_t sym = node(&ms, DAG_UNIXFS_SYMLINK, "target", NULL, NULL, 0, 0);
  dag_cid_t meta = node(&ms, DAG_UNIXFS_METADATA, NULL, NULL, NULL, 0, 0);
  assert_int_equal(cat(&ms, &dir, 0, UINT64_MAX, &o), TR_ENOTFILE);
  assert_int_equal(cat(&ms, &sym, 0, UINT64_MAX, &o), TR_ENOTFILE);
  /* a directory inside a file */
  dag_cid_t k[1] = {dir};
  uint64_t bs[1] = {0};
  dag_cid_t c = node(&ms, DAG_UNIXFS_FILE, NULL, k, bs, 1, 1);
  assert_int_equal(cat(&ms, &c, 0, UINT64_MAX, &o), TR_EUNIXFS);
  dag_node_info_t info;
  assert_int_equal(dag_stat(&meta, ms_get, &ms, &info), TR_EUNIXFS);
  assert_int_equal(dag_stat(&sym, ms_get, &ms, &info), 0);
  assert_int_equal(info.kind, DAG_NODE_SYMLINK);
  assert_int_equal(info.target_len, 6);
  /* dag-pb without UnixFS data; an unknown codec; a missing block */
  uint8_t empty = 0;
  dag_cid_t bare = ms_add(&ms, 1, DAG_CODEC_DAG_PB, &empty, 0);
  assert_int_equal(cat(&ms, &bare, 0, UINT64_MAX, &o), TR_EUNIXFS);
  dag_cid_t cbor = ms_add(&ms, 1, DAG_CODEC_DAG_CBOR, (const uint8_t *)"\xa0", 1);
  assert_int_equal(cat(&ms, &cbor, 0, UINT64_MAX, &o), TR_ECODEC);
  dag_cid_t gone;
  assert_int_equal(
      dag_cid_sum(&gone, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, "gone", 4), 0);
  dag_cid_t k2[1] = {gone};
  uint64_t four[1] = {4};
  c = node(&ms, DAG_UNIXFS_FILE, NULL, k2, four, 1, 1);
  assert_int_equal(cat(&ms, &c, 0, UINT64_MAX, &o), TR_ENOTFOUND);
  /* ...but a range before the missing block never fetches it */
  dag_cid_t k3[2] = {raw(&ms, "here"), gone};
  uint64_t bs3[2] = {4, 4};
  c = node(&ms, DAG_UNIXFS_FILE, NULL, k3, bs3, 2, 2);
  assert_int_equal(cat(&ms, &c, 0, 4, &o), 0);
  assert_string_equal(o.buf, "here");
  ms_free(&ms);
}

/* Regression: a file DAG deeper than 64 levels could not be read (the
 * walk's stack was a fixed 64 frames); Kubo reads any depth.  A chain of
 * 5,000 levels now reads whole and by range; past DAG_READ_MAX_DEPTH (a
 * million levels) it would be refused with TR_ETOOBIG. */
static void test_deep_file_dag(void **state) {
  (void)state;
  memstore_t ms = {0};
  out_t o;
  dag_cid_t c = raw(&ms, "x");
  for (int i = 1; i <= 5000; i++) {
    uint64_t bs[1] = {1};
    c = node(&ms, DAG_UNIXFS_FILE, NULL, &c, bs, 1, 1);
    if (i == 65 || i == 5000) {
      assert_int_equal(cat(&ms, &c, 0, UINT64_MAX, &o), 0);
      assert_string_equal(o.buf, "x");
      assert_int_equal(cat(&ms, &c, 1, UINT64_MAX, &o), 0);
      assert_int_equal(o.len, 0);
    }
  }
  ms_free(&ms);
}

static int stop_cb(const uint8_t *p, size_t n, void *ud) {
  (void)p, (void)n;
  ++*(int *)ud;
  return 42;
}

static void test_output_error_stops(void **state) {
  (void)state;
  memstore_t ms = {0};
  dag_cid_t k[2] = {raw(&ms, "a"), raw(&ms, "b")};
  uint64_t bs[2] = {1, 1};
  dag_cid_t c = node(&ms, DAG_UNIXFS_FILE, NULL, k, bs, 2, 2);
  int calls = 0;
  assert_int_equal(dag_cat(&c, 0, UINT64_MAX, ms_get, &ms, stop_cb, &calls),
                   42);
  assert_int_equal(calls, 1);
  ms_free(&ms);
}

/* ---------------------------------------------------------- directories */

typedef struct seen {
  int n;
  bool hit[5000];
} seen_t;

static int count_cb(const dag_dirent_t *e, void *ud) {
  seen_t *s = ud;
  int i;
  char name[32];
  assert_true(e->name_len < sizeof name);
  memcpy(name, e->name, e->name_len);
  name[e->name_len] = 0;
  assert_int_equal(sscanf(name, "entry%d", &i), 1);
  assert_false(s->hit[i]);
  s->hit[i] = true;
  s->n++;
  return 0;
}

static void test_dirs_and_hamts(void **state) {
  (void)state;
  for (int sharded = 0; sharded < 2; sharded++) {
    memstore_t ms = {0};
    dag_import_opts_t o;
    assert_int_equal(dag_import_profile(&o, NULL), 0);
    if (sharded)
      o.hamt_threshold = 1000;
    dag_dir_t *d;
    assert_int_equal(dag_dir_new(&d, &o, ms_put, &ms), 0);
    dag_import_result_t sub;
    dag_dir_t *sd;
    assert_int_equal(dag_dir_new(&sd, &o, ms_put, &ms), 0);
    dag_cid_t leaf = raw(&ms, "leaf");
    assert_int_equal(dag_dir_add(sd, "inner", 5, &leaf, 4), 0);
    assert_int_equal(dag_dir_finish(sd, &sub), 0);
    dag_dir_free(sd);
    for (int i = 0; i < 3000; i++) {
      char name[32];
      snprintf(name, sizeof name, "entry%d", i);
      dag_cid_t c = i == 1234 ? sub.cid : leaf;
      assert_int_equal(dag_dir_add(d, name, strlen(name), &c, 4), 0);
    }
    dag_import_result_t r;
    assert_int_equal(dag_dir_finish(d, &r), 0);
    dag_dir_free(d);
    dag_node_info_t info;
    assert_int_equal(dag_stat(&r.cid, ms_get, &ms, &info), 0);
    assert_int_equal(info.kind, DAG_NODE_DIR);
    assert_int_equal(info.unixfs_type,
                     sharded ? DAG_UNIXFS_HAMT : DAG_UNIXFS_DIRECTORY);
    seen_t s = {0};
    assert_int_equal(dag_ls(&r.cid, ms_get, &ms, count_cb, &s), 0);
    assert_int_equal(s.n, 3000);
    /* resolve through the directory (and shards), then into the subdir */
    dag_cid_t got;
    assert_int_equal(dag_resolve(&r.cid, "entry77", 7, ms_get, &ms, &got), 0);
    assert_true(dag_cid_equal(&got, &leaf));
    const char *p = "/entry1234//inner/";
    assert_int_equal(dag_resolve(&r.cid, p, strlen(p), ms_get, &ms, &got), 0);
    assert_true(dag_cid_equal(&got, &leaf));
    assert_int_equal(dag_resolve(&r.cid, "entry3000", 9, ms_get, &ms, &got),
                     TR_EPATH);
    assert_int_equal(
        dag_resolve(&r.cid, "entry77/x", 9, ms_get, &ms, &got), TR_ENOTDIR);
    assert_int_equal(dag_resolve(&r.cid, "", 0, ms_get, &ms, &got), 0);
    assert_true(dag_cid_equal(&got, &r.cid));
    /* a file is not a directory */
    assert_int_equal(dag_ls(&leaf, ms_get, &ms, count_cb, &s), TR_ENOTDIR);
    ms_free(&ms);
  }
}

/* HAMT shards whose children are not shards, or not of the same fanout. */
static void test_bad_shard_children(void **state) {
  (void)state;
  memstore_t ms = {0};
  dag_cid_t dir = node(&ms, DAG_UNIXFS_DIRECTORY, NULL, NULL, NULL, 0, 0);
  static const uint8_t bf[] = {0x01};
  for (int variant = 0; variant < 2; variant++) {
    dag_cid_t child = dir; /* variant 0: a plain directory as a shard */
    if (variant == 1) { /* a shard of fanout 16 below one of 256 */
      dag_unixfs_t u = {0};
      u.type = DAG_UNIXFS_HAMT;
      u.data = bf;
      u.data_len = 1;
      u.has_data = u.has_hash_type = u.has_fanout = true;
      u.hash_type = 0x22;
      u.fanout = 16;
      uint8_t ufs[32], blk[64];
      int ul = dag_unixfs_encode(&u, NULL, 0, ufs, sizeof ufs);
      int n = dag_pb_encode(NULL, 0, ufs, (size_t)ul, true, blk, sizeof blk);
      child = ms_add(&ms, 1, DAG_CODEC_DAG_PB, blk, (size_t)n);
    }
    dag_unixfs_t u = {0};
    u.type = DAG_UNIXFS_HAMT;
    u.data = bf;
    u.data_len = 1;
    u.has_data = u.has_hash_type = u.has_fanout = true;
    u.hash_type = 0x22;
    u.fanout = 256;
    uint8_t ufs[32], blk[256];
    int ul = dag_unixfs_encode(&u, NULL, 0, ufs, sizeof ufs);
    dag_pb_link_t lk = {child, "00", 2, true, 4, true};
    int n = dag_pb_encode(&lk, 1, ufs, (size_t)ul, true, blk, sizeof blk);
    dag_cid_t root = ms_add(&ms, 1, DAG_CODEC_DAG_PB, blk, (size_t)n);
    seen_t s = {0};
    assert_int_equal(dag_ls(&root, ms_get, &ms, count_cb, &s), TR_EUNIXFS);
  }
  ms_free(&ms);
}

/* --------------------------------------------- hostile shapes (issue 8) */

/* ms_get that gives up after 100000 reads, so that a walk that would run
 * for ever on the code before the fix fails the test instead. */
static int capped_get(const dag_cid_t *cid, const uint8_t **data, size_t *len,
                      void *ud) {
  memstore_t *ms = ud;
  if (ms->gets >= 100000)
    return -E2BIG;
  return ms_get(cid, data, len, ud);
}

/* A HAMT shard of fanout 256: links[i] named by bucket (and name when an
 * entry). */
static dag_cid_t shard(memstore_t *ms, const dag_pb_link_t *links, size_t n) {
  static const uint8_t bf[] = {0x01};
  dag_unixfs_t u = {0};
  u.type = DAG_UNIXFS_HAMT;
  u.data = bf;
  u.data_len = 1;
  u.has_data = u.has_hash_type = u.has_fanout = true;
  u.hash_type = 0x22;
  u.fanout = 256;
  uint8_t ufs[32];
  int ul = dag_unixfs_encode(&u, NULL, 0, ufs, sizeof ufs);
  assert_true(ul > 0);
  size_t cap = 64 + n * 128;
  uint8_t *blk = malloc(cap);
  assert_non_null(blk);
  int len = dag_pb_encode(links, n, ufs, (size_t)ul, true, blk, cap);
  assert_true(len > 0);
  dag_cid_t c = ms_add(ms, 1, DAG_CODEC_DAG_PB, blk, (size_t)len);
  free(blk);
  return c;
}

/* The HAMT bomb: eight levels of shards where each of 256 buckets points at
 * the same child, above a shard of 4 entries: 98 KB of blocks that list as
 * 256^7 * 4 entries if walked as a tree.  The walk must see that a shard
 * is reached twice and stop at once (dag_ls), or pass over it and give each
 * entry and block once (DAG_LS_SKIP_SEEN). */
static dag_cid_t hamt_bomb(memstore_t *ms, dag_cid_t *leaf) {
  static char names[256][3];
  dag_pb_link_t lk[256] = {0};
  *leaf = raw(ms, "x");
  for (int i = 0; i < 4; i++) {
    snprintf(names[i], sizeof names[i], "%02X", i);
    static char full[4][32];
    snprintf(full[i], sizeof full[i], "%02Xentry%d", i, i);
    lk[i] = (dag_pb_link_t){*leaf, full[i], strlen(full[i]), true, 1, true};
  }
  dag_cid_t c = shard(ms, lk, 4);
  for (int level = 0; level < 7; level++) {
    for (int i = 0; i < 256; i++) {
      snprintf(names[i], sizeof names[i], "%02X", i);
      lk[i] = (dag_pb_link_t){c, names[i], 2, true, 1, true};
    }
    c = shard(ms, lk, 256);
  }
  return c;
}

typedef struct nodes_seen {
  size_t n;
} nodes_seen_t;

static int count_node(const dag_cid_t *c, const uint8_t *b, size_t len,
                      void *ud) {
  (void)c, (void)b, (void)len;
  ((nodes_seen_t *)ud)->n++;
  return 0;
}

static void test_hamt_bomb_shared_shards(void **state) {
  (void)state;
  memstore_t ms = {0};
  dag_cid_t leaf;
  dag_cid_t root = hamt_bomb(&ms, &leaf);
  assert_true(ms.bytes < 100000);
  seen_t s = {0};
  ms.gets = 0;
  assert_int_equal(dag_ls(&root, capped_get, &ms, count_cb, &s), TR_EUNIXFS);
  assert_true(s.n <= 4);      /* the first path's entries, no more */
  assert_true(ms.gets <= 20); /* down once, and one shard read again */
  /* Skipping what was seen: each shard entered once, each entry once. */
  dag_ls_iter_t it;
  nodes_seen_t ns = {0};
  dag_ls_iter_init(&it, &root, DAG_LS_SKIP_SEEN, count_node, &ns);
  memset(&s, 0, sizeof s);
  assert_int_equal(dag_ls_iter_run(&it, capped_get, &ms, count_cb, &s), 0);
  assert_int_equal(s.n, 4);
  assert_int_equal(ns.n, 8);
  assert_int_equal(dag_ls_iter_run(&it, ms_get, &ms, count_cb, &s), 0);
  dag_ls_iter_free(&it);
  ms_free(&ms);
}

/* Stop after every entry and resume: the same entries as one dag_ls, each
 * run reloading only the shards on its path. */
static int count_any(const dag_dirent_t *e, void *ud) {
  (void)e;
  ((seen_t *)ud)->n++;
  return 0;
}

static int pause_cb(const dag_dirent_t *e, void *ud) {
  seen_t *s = ud;
  (void)e;
  s->n++;
  return 7;
}

static void test_ls_iter_resumes(void **state) {
  (void)state;
  memstore_t ms = {0};
  dag_import_opts_t o;
  assert_int_equal(dag_import_profile(&o, NULL), 0);
  o.hamt_threshold = 1000;
  dag_dir_t *d;
  assert_int_equal(dag_dir_new(&d, &o, ms_put, &ms), 0);
  dag_cid_t leaf = raw(&ms, "leaf");
  for (int i = 0; i < 5000; i++) {
    char name[32];
    snprintf(name, sizeof name, "e%d", i);
    assert_int_equal(dag_dir_add(d, name, strlen(name), &leaf, 4), 0);
  }
  dag_import_result_t r;
  assert_int_equal(dag_dir_finish(d, &r), 0);
  dag_dir_free(d);
  /* Without pauses first, for the count of nodes. */
  dag_ls_iter_t it;
  nodes_seen_t all = {0};
  dag_ls_iter_init(&it, &r.cid, 0, count_node, &all);
  seen_t s = {0};
  assert_int_equal(dag_ls_iter_run(&it, ms_get, &ms, count_any, &s), 0);
  assert_int_equal(s.n, 5000);
  dag_ls_iter_free(&it);
  nodes_seen_t ns = {0};
  dag_ls_iter_init(&it, &r.cid, 0, count_node, &ns);
  s.n = 0;
  int rc, runs = 0;
  while ((rc = dag_ls_iter_run(&it, ms_get, &ms, pause_cb, &s)) == 7 ||
         rc == 0) {
    runs++;
    if (rc == 0)
      break;
  }
  assert_int_equal(rc, 0);
  assert_int_equal(s.n, 5000);
  assert_int_equal(it.entries, 5000);
  assert_true(ns.n > 1);
  assert_int_equal(ns.n, all.n); /* each shard entered once */
  dag_ls_iter_free(&it);
  ms_free(&ms);
}

/* A file bomb of size 0: each level links 16 times to the level below,
 * 40 levels down to one empty leaf: 16^40 reads if every zero-size child
 * is read.  A child that gives no bytes is not read. */
static void test_zero_size_file_bomb(void **state) {
  (void)state;
  memstore_t ms = {0};
  dag_cid_t c = node(&ms, DAG_UNIXFS_FILE, NULL, NULL, NULL, 0, 0);
  for (int level = 0; level < 40; level++) {
    dag_cid_t kids[16];
    uint64_t bs[16] = {0};
    for (int i = 0; i < 16; i++)
      kids[i] = c;
    c = node(&ms, DAG_UNIXFS_FILE, level == 39 ? "ab" : NULL, kids, bs, 16,
             16);
  }
  out_t o;
  ms.gets = 0;
  o.len = 0;
  assert_int_equal(dag_cat(&c, 0, UINT64_MAX, capped_get, &ms, collect, &o), 0);
  assert_int_equal(o.len, 2);
  assert_memory_equal(o.buf, "ab", 2);
  assert_true(ms.gets < 40); /* the root and its 16 links */
  ms_free(&ms);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_data_then_children),
      cmocka_unit_test(test_lying_sizes),
      cmocka_unit_test(test_wrong_kinds),
      cmocka_unit_test(test_deep_file_dag),
      cmocka_unit_test(test_output_error_stops),
      cmocka_unit_test(test_dirs_and_hamts),
      cmocka_unit_test(test_bad_shard_children),
      cmocka_unit_test(test_hamt_bomb_shared_shards),
      cmocka_unit_test(test_ls_iter_resumes),
      cmocka_unit_test(test_zero_size_file_bomb),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

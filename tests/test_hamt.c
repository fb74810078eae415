/*
 * test_hamt.c — dag/hamt.h: MurmurHash3_x64_128 against the reference's
 * outputs (as @multiformats/murmur3 prints them: h1 then h2, big-endian),
 * bucket arithmetic, link-name prefixes, HAMT directories against root CIDs
 * computed by js ipfs-unixfs-importer (shardSplitThresholdBytes 1, fanout
 * 256 and 16, both profiles), the shape of a built shard, lookups, and
 * malformed shards.
 */
#include "testutil.h"

#include <errno.h>

#include "../dag/hamt.h"
#include "../dag/importer.h"
#include "memstore.h"

/* dag-pb nodes of CID version 1, sha2-256, nothing inlined. */
static const dag_cidb_t SHA256_V1 = {1, DAG_MH_SHA2_256, 0};

/* ------------------------------------------------------------- murmur3 */

static void test_murmur3_vectors(void **state) {
  (void)state;
  static const struct {
    const char *in;
    uint64_t h1, h2;
  } v[] = {
      {"", 0, 0},
      {"a", UINT64_C(0x85555565f6597889), UINT64_C(0xe6b53a48510e895a)},
      {"hello", UINT64_C(0xcbd8a7b341bd9b02), UINT64_C(0x5b1e906a48ae1d19)},
      {"file-0", UINT64_C(0x9ee39de116cd08d0), UINT64_C(0x0c487b066ffc909a)},
      {"\xc3\xa9" "cole", UINT64_C(0x5beb77d6eaff3b59),
       UINT64_C(0xd89cef59661ab90f)},
      /* exactly one block, then one block + 1, + 8, + 9, + 15 bytes */
      {"0123456789abcdef", UINT64_C(0x4be06d94cf4ad1a7),
       UINT64_C(0x87c35b5c63a708da)},
      {"0123456789abcdefg", UINT64_C(0x8e32612daa45f9de),
       UINT64_C(0x0800f4c206c372ee)},
      {"0123456789abcdef01234567", UINT64_C(0x5563be523b289ed9),
       UINT64_C(0x2e22a45285c70cef)},
      {"0123456789abcdef012345678", UINT64_C(0x4e6d2c6e4f22f2a7),
       UINT64_C(0xab267964dd3cef7e)},
      {"0123456789abcdef0123456789abcde", UINT64_C(0x9afbac977e4daf00),
       UINT64_C(0x89fe4cda7efd8251)},
      {"The quick brown fox jumps over the lazy dog",
       UINT64_C(0xe34bbc7bbc071b6c), UINT64_C(0x7a433ca9c49a9347)},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(v); i++) {
    size_t n = strlen(v[i].in);
    /* exact-size copy: ASan checks the tail handling */
    char *in = malloc(n ? n : 1);
    memcpy(in, v[i].in, n);
    uint64_t h[2];
    dag_murmur3_x64_128(in, n, 0, h);
    if (h[0] != v[i].h1 || h[1] != v[i].h2)
      fail_msg("murmur3(\"%s\") = %016llx %016llx", v[i].in,
               (unsigned long long)h[0], (unsigned long long)h[1]);
    assert_true(dag_hamt_hash(in, n) == v[i].h1);
    free(in);
  }
}

/* -------------------------------------------------------------- helpers */

static void test_bits_and_prefixes(void **state) {
  (void)state;
  assert_int_equal(dag_hamt_bits(8), 3);
  assert_int_equal(dag_hamt_bits(16), 4);
  assert_int_equal(dag_hamt_bits(256), 8);
  assert_int_equal(dag_hamt_bits(1024), 10);
  assert_int_equal(dag_hamt_bits(4), TR_EUNIXFS);
  assert_int_equal(dag_hamt_bits(2048), TR_EUNIXFS);
  assert_int_equal(dag_hamt_bits(100), TR_EUNIXFS);
  assert_int_equal(dag_hamt_bits(0), TR_EUNIXFS);
  assert_int_equal(dag_hamt_padlen(8), 1);
  assert_int_equal(dag_hamt_padlen(16), 1);
  assert_int_equal(dag_hamt_padlen(32), 2);
  assert_int_equal(dag_hamt_padlen(256), 2);
  assert_int_equal(dag_hamt_padlen(1024), 3);

  uint64_t h = UINT64_C(0xabcdef0123456789);
  assert_int_equal(dag_hamt_index(h, 0, 8), 0xab);
  assert_int_equal(dag_hamt_index(h, 1, 8), 0xcd);
  assert_int_equal(dag_hamt_index(h, 7, 8), 0x89);
  assert_int_equal(dag_hamt_index(h, 0, 4), 0xa);
  assert_int_equal(dag_hamt_index(h, 15, 4), 0x9);
  assert_int_equal(dag_hamt_index(h, 0, 10), 0xabcdef0123456789 >> 54);
  assert_int_equal(dag_hamt_index(h, 5, 10), (h >> 4) & 0x3ff);

  assert_int_equal(dag_hamt_link_index("0Aname", 6, 2, 256), 10);
  assert_int_equal(dag_hamt_link_index("FF", 2, 2, 256), 255);
  assert_int_equal(dag_hamt_link_index("0a", 2, 2, 256), -1); /* lower */
  assert_int_equal(dag_hamt_link_index("G0", 2, 2, 256), -1);
  assert_int_equal(dag_hamt_link_index("1", 1, 2, 256), -1);  /* short */
  assert_int_equal(dag_hamt_link_index("80", 2, 2, 128), -1); /* >= fanout */
  assert_int_equal(dag_hamt_link_index("3FFx", 4, 3, 1024), 1023);
}

/* ------------------------------------------------- js-computed vectors */

/* Directory "d" of n files "file-i" holding "content i", always sharded. */
static dag_import_result_t build_dir(const char *profile, int n,
                                     uint64_t fanout, memstore_t *ms) {
  dag_import_opts_t o;
  assert_int_equal(dag_import_profile(&o, profile), 0);
  o.hamt_threshold = 1;
  o.hamt_fanout = fanout;
  dag_dir_t *d;
  assert_int_equal(dag_dir_new(&d, &o, ms_put, ms), 0);
  for (int i = 0; i < n; i++) {
    char name[32], content[32];
    snprintf(name, sizeof name, "file-%d", i);
    snprintf(content, sizeof content, "content %d", i);
    dag_import_result_t r;
    assert_int_equal(
        dag_import_bytes(&o, content, strlen(content), ms_put, ms, &r), 0);
    assert_int_equal(dag_dir_add(d, name, strlen(name), &r.cid, r.tsize), 0);
  }
  dag_import_result_t res;
  assert_int_equal(dag_dir_finish(d, &res), 0);
  dag_dir_free(d);
  return res;
}

static void test_js_vectors(void **state) {
  (void)state;
  static const struct {
    const char *profile;
    int n;
    uint64_t fanout;
    const char *cid;
    uint64_t size;
  } v[] = {
      {"unixfs-v1-2025", 50, 256,
       "bafybeicskthsldl76ajsiyvjlwm7th57gdx7jlkrxzh43yv2ygcvezsdeu", 3563},
      {"unixfs-v1-2025", 2000, 16,
       "bafybeidmb6q2y7zg6f5u6j3v4xykbqeqwjgy7aou3ra63lx2g5jcj5hb7q", 168958},
      {"unixfs-v0-2015", 300, 256,
       "QmeqTiysJgFWY8pZCtM87A572hi81ro8u6TrFi4UFrcXaw", 28172},
      {"unixfs-v1-2025", 1, 256,
       "bafybeidvvy6qa7xmvxo4aq7jejejhmw4h7g7yafglksncn332dejwbwcmi", 92},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(v); i++) {
    memstore_t ms = {0};
    dag_import_result_t r = build_dir(v[i].profile, v[i].n, v[i].fanout, &ms);
    char s[DAG_CID_STR_MAX];
    if (strcmp(dag_cid_str(&r.cid, s), v[i].cid))
      fail_msg("%s %d entries fanout %llu: %s, js %s", v[i].profile, v[i].n,
               (unsigned long long)v[i].fanout, s, v[i].cid);
    assert_true(r.tsize == v[i].size);
    /* the cumulative size is what the store holds */
    assert_int_equal(ms.bytes, (size_t)r.tsize);
    ms_free(&ms);
  }
}

/* ------------------------------------------------------ shape, lookups */

typedef struct walk {
  memstore_t *ms;
  int entries, shards, maxdepth;
} walk_t;

/* Check one shard node against the format and count what is in it. */
static void check_shard(walk_t *w, const dag_cid_t *cid, unsigned depth) {
  const uint8_t *blk = NULL;
  size_t len = 0;
  assert_int_equal(ms_get(cid, &blk, &len, w->ms), 0);
  dag_pb_node_t pn;
  assert_int_equal(dag_pb_decode(blk, len, NULL, NULL, &pn), 0);
  dag_unixfs_t u;
  assert_int_equal(dag_unixfs_decode(pn.data, pn.data_len, &u), 0);
  unsigned bits, padlen;
  assert_int_equal(dag_hamt_check(&u, &bits, &padlen), 0);
  assert_int_equal(bits, 8);
  assert_false(u.has_filesize);
  /* bitfield: minimal big-endian, bit i <=> a link with prefix i */
  assert_true(u.data_len >= 1 && u.data_len <= 32 && u.data[0] != 0);
  w->shards++;
  if ((int)depth > w->maxdepth)
    w->maxdepth = (int)depth;
  int bitcount = 0;
  for (size_t i = 0; i < u.data_len; i++)
    bitcount += __builtin_popcount(u.data[i]);
  assert_int_equal((size_t)bitcount, pn.nlinks);
}

static int collect_cb(const dag_pb_link_t *lk, size_t i, void *ud) {
  dag_pb_link_t *out = ud;
  out[i] = *lk;
  return 0;
}

static void walk_shard(walk_t *w, const dag_cid_t *cid, unsigned depth) {
  check_shard(w, cid, depth);
  const uint8_t *blk = NULL;
  size_t len = 0;
  assert_int_equal(ms_get(cid, &blk, &len, w->ms), 0);
  dag_pb_link_t links[256];
  dag_pb_node_t pn;
  assert_int_equal(dag_pb_decode(blk, len, collect_cb, links, &pn), 0);
  dag_unixfs_t u;
  assert_int_equal(dag_unixfs_decode(pn.data, pn.data_len, &u), 0);
  int prev = -1;
  for (size_t k = 0; k < pn.nlinks; k++) {
    int idx = dag_hamt_link_index(links[k].name, links[k].name_len, 2, 256);
    assert_true(idx > prev); /* bucket order, one link per bucket */
    prev = idx;
    /* the bit for idx is set: bit i is in byte len-1-i/8 */
    assert_true(u.data[u.data_len - 1 - (size_t)idx / 8] & (1u << (idx % 8)));
    assert_true(links[k].has_tsize);
    if (links[k].name_len == 2) {
      walk_shard(w, &links[k].cid, depth + 1);
    } else {
      /* the entry's name hashes to this bucket at this depth */
      uint64_t h = dag_hamt_hash(links[k].name + 2, links[k].name_len - 2);
      assert_int_equal(dag_hamt_index(h, depth, 8), (unsigned)idx);
      w->entries++;
    }
  }
}

/* Resolve name from the root shard down: 0 and the entry's link, or the
 * lookup's error. */
static int lookup(memstore_t *ms, const dag_cid_t *root, const char *name,
                  dag_pb_link_t *lk) {
  size_t nl = strlen(name);
  uint64_t h = dag_hamt_hash(name, nl);
  dag_cid_t cur = *root;
  for (unsigned depth = 0; depth < 8; depth++) {
    const uint8_t *blk = NULL;
    size_t len = 0;
    assert_int_equal(ms_get(&cur, &blk, &len, ms), 0);
    dag_pb_node_t pn;
    assert_int_equal(dag_pb_decode(blk, len, NULL, NULL, &pn), 0);
    dag_unixfs_t u;
    assert_int_equal(dag_unixfs_decode(pn.data, pn.data_len, &u), 0);
    bool descend;
    int rc = dag_hamt_find(blk, len, &u, name, nl, h, depth, lk, &descend);
    if (rc || !descend)
      return rc;
    cur = lk->cid;
  }
  fail_msg("lookup of %s went 8 levels deep", name);
  return -1;
}

static void test_shape_and_lookup(void **state) {
  (void)state;
  memstore_t ms = {0};
  dag_import_result_t r = build_dir("unixfs-v1-2025", 3000, 256, &ms);
  walk_t w = {&ms, 0, 0, 0};
  walk_shard(&w, &r.cid, 0);
  assert_int_equal(w.entries, 3000);
  assert_true(w.shards > 1);  /* 3000 names over 256 buckets collide */
  assert_true(w.maxdepth >= 1);

  /* every name is found, through child shards where needed */
  for (int i = 0; i < 3000; i += 7) {
    char name[32];
    snprintf(name, sizeof name, "file-%d", i);
    dag_pb_link_t lk;
    assert_int_equal(lookup(&ms, &r.cid, name, &lk), 0);
    assert_int_equal(lk.name_len, strlen(name) + 2);
    assert_memory_equal(lk.name + 2, name, strlen(name));
  }
  /* absent names: TR_EPATH at the shard that decides */
  for (int i = 0; i < 200; i++) {
    char name[32];
    snprintf(name, sizeof name, "absent-%d", i);
    dag_pb_link_t lk;
    assert_int_equal(lookup(&ms, &r.cid, name, &lk), TR_EPATH);
  }
  const uint8_t *blk = NULL;
  size_t len = 0;
  assert_int_equal(ms_get(&r.cid, &blk, &len, &ms), 0);
  dag_pb_node_t pn;
  assert_int_equal(dag_pb_decode(blk, len, NULL, NULL, &pn), 0);
  dag_unixfs_t u;
  assert_int_equal(dag_unixfs_decode(pn.data, pn.data_len, &u), 0);
  dag_pb_link_t lk;
  bool descend;
  /* depth past the 64 hash bits */
  uint64_t h = dag_hamt_hash("file-1", 6);
  assert_int_equal(dag_hamt_find(blk, len, &u, "file-1", 6, h, 8, &lk,
                                 &descend),
                   TR_EUNIXFS);
  ms_free(&ms);
}

/* Shards that break the format are refused by the lookup. */
static void test_malformed_shards(void **state) {
  (void)state;
  /* data: HAMTShard, bitfield 01 (bucket 0), hashType, fanout */
  static const uint8_t good_ufs[] = {0x08, 0x05, 0x12, 0x01, 0x01,
                                     0x28, 0x22, 0x30, 0x80, 0x02};
  dag_unixfs_t u;
  assert_int_equal(dag_unixfs_decode(good_ufs, sizeof good_ufs, &u), 0);
  unsigned bits, padlen;
  assert_int_equal(dag_hamt_check(&u, &bits, &padlen), 0);
  dag_unixfs_t bad = u;
  bad.hash_type = 0x23;
  assert_int_equal(dag_hamt_check(&bad, &bits, &padlen), TR_EUNIXFS);
  bad = u;
  bad.has_hash_type = false;
  assert_int_equal(dag_hamt_check(&bad, &bits, &padlen), TR_EUNIXFS);
  bad = u;
  bad.fanout = 100;
  assert_int_equal(dag_hamt_check(&bad, &bits, &padlen), TR_EUNIXFS);
  bad = u;
  bad.type = DAG_UNIXFS_DIRECTORY;
  assert_int_equal(dag_hamt_check(&bad, &bits, &padlen), TR_EUNIXFS);

  /* a shard whose link name has no hex prefix */
  dag_cid_t child;
  assert_int_equal(dag_cid_sum(&child, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256,
                               "x", 1),
                   0);
  dag_pb_link_t lk = {child, "zzname", 6, true, 1, true};
  uint8_t blk[256];
  int n = dag_pb_encode(&lk, 1, good_ufs, sizeof good_ufs, true, blk,
                        sizeof blk);
  assert_true(n > 0);
  uint64_t h = dag_hamt_hash("name", 4);
  dag_pb_link_t out;
  bool descend;
  assert_int_equal(dag_hamt_find(blk, (size_t)n, &u, "name", 4, h, 0, &out,
                                 &descend),
                   TR_EUNIXFS);
}

/* Two equal names hash alike all the way down: boxo's "too deep". */
static void test_equal_hashes(void **state) {
  (void)state;
  uint8_t cid[36] = {0x01, 0x55, 0x12, 0x20};
  dag_hamt_entry_t e[2] = {{"same", 4, cid, 36, 1, 0},
                           {"same", 4, cid, 36, 1, 0}};
  memstore_t ms = {0};
  dag_cid_t root;
  uint64_t tsize;
  assert_int_equal(dag_hamt_build(e, 2, 256, &SHA256_V1, NULL, ms_put, &ms,
                                  &root, &tsize),
                   TR_ETOOBIG);
  assert_int_equal(dag_hamt_build(e, 2, 100, &SHA256_V1, NULL, ms_put, &ms,
                                  &root, &tsize),
                   TR_EUSAGE);
  ms_free(&ms);
}

/* Every allocation failure is reported, and nothing leaks (ASan). */
static void test_alloc_failures(void **state) {
  (void)state;
  dag_import_opts_t o;
  assert_int_equal(dag_import_profile(&o, NULL), 0);
  dag_hamt_entry_t e[600];
  char names[600][16];
  dag_cid_t cid;
  assert_int_equal(
      dag_cid_sum(&cid, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, "x", 1), 0);
  for (int i = 0; i < 600; i++) {
    snprintf(names[i], sizeof names[i], "n%d", i);
    e[i] = (dag_hamt_entry_t){names[i], strlen(names[i]), cid.bytes, cid.len,
                              1, 0};
  }
  int ok = 0;
  for (long k = 0; !ok && k < 10000; k++) {
    memstore_t ms = {0};
    dag_cid_t root;
    uint64_t tsize;
    fm_start(k);
    int rc = dag_hamt_build(e, 600, 256, &SHA256_V1, NULL, ms_put, &ms,
                            &root, &tsize);
    fm_reset();
    ms_free(&ms);
    if (rc == 0)
      ok = 1;
    else
      assert_int_equal(rc, -ENOMEM);
  }
  assert_true(ok);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_murmur3_vectors),
      cmocka_unit_test(test_bits_and_prefixes),
      cmocka_unit_test(test_js_vectors),
      cmocka_unit_test(test_shape_and_lookup),
      cmocka_unit_test(test_malformed_shards),
      cmocka_unit_test(test_equal_hashes),
      cmocka_unit_test(test_alloc_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

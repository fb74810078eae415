/*
 * test_importer.c — dag/importer.h with an in-memory sink: published CIDs
 * (empty file and directory in both versions, "hello world" as Kubo's docs
 * show it), root CIDs computed by js ipfs-unixfs-importer for multi-level
 * trees (4-byte chunks, 3 links), the balanced shape and sizes read back
 * block by block, independence from how bytes are fed, round trips through
 * dag/reader.h, the directory builder (order, names, estimates, the exact
 * HAMT threshold), options, put failures, allocation failures, and that
 * memory does not grow with the file.
 */
#include "testutil.h"

#include <errno.h>
#include <limits.h>

#include "../dag/dagpb.h"
#include "../dag/importer.h"
#include "../dag/reader.h"
#include "memstore.h"

static uint8_t *pattern(size_t n) {
  uint8_t *b = malloc(n ? n : 1);
  for (size_t i = 0; i < n; i++)
    b[i] = (uint8_t)(i * 7 + 3);
  return b;
}

static const char *cidstr(const dag_cid_t *c) {
  static char s[DAG_CID_STR_MAX];
  return dag_cid_str(c, s);
}

static dag_import_opts_t profile(const char *name) {
  dag_import_opts_t o;
  assert_int_equal(dag_import_profile(&o, name), 0);
  return o;
}

/* ------------------------------------------------------------- vectors */

static void test_published_vectors(void **state) {
  (void)state;
  static const struct {
    const char *profile, *data, *cid;
  } v[] = {
      {"unixfs-v1-2025", "",
       "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"},
      {"unixfs-v0-2015", "", "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"},
      {"unixfs-v0-2015", "hello world",
       "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"},
      {"unixfs-v0-2015", "hello\n",
       "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN"},
      {"unixfs-v1-2025", "hello world",
       "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(v); i++) {
    dag_import_opts_t o = profile(v[i].profile);
    memstore_t ms = {0};
    dag_import_result_t r;
    assert_int_equal(dag_import_bytes(&o, v[i].data, strlen(v[i].data),
                                      ms_put, &ms, &r),
                     0);
    assert_string_equal(cidstr(&r.cid), v[i].cid);
    assert_int_equal(ms.n, 1); /* one chunk: the leaf is the root */
    assert_true(r.size == strlen(v[i].data));
    ms_free(&ms);
  }
  /* the empty directory */
  const char *dirs[][2] = {
      {"unixfs-v1-2025",
       "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"},
      {"unixfs-v0-2015", "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"}};
  for (size_t i = 0; i < 2; i++) {
    dag_import_opts_t o = profile(dirs[i][0]);
    memstore_t ms = {0};
    dag_dir_t *d;
    dag_import_result_t r;
    assert_int_equal(dag_dir_new(&d, &o, ms_put, &ms), 0);
    assert_int_equal(dag_dir_finish(d, &r), 0);
    assert_string_equal(cidstr(&r.cid), dirs[i][1]);
    assert_true(r.tsize == 4);
    dag_dir_free(d);
    ms_free(&ms);
  }
}

/* Multi-level trees against js: 4-byte chunks, 3 links per node. */
static void test_js_trees(void **state) {
  (void)state;
  static const struct {
    const char *profile;
    size_t n;
    const char *cid;
    uint64_t tsize;
  } v[] = {
      {"unixfs-v1-2025", 1, "bafkreiaij7wqrolyv5gx2glkordkq22yacpgg23bdwyweenwlknk37zjyu", 1},
      {"unixfs-v1-2025", 4, "bafkreiccufdntsxzlqgstm7kry2xj46eo5ml5qwnzom6n4idqhphpk3nkq", 4},
      {"unixfs-v1-2025", 5, "bafybeicgrdsdlgd6cadw3q5rtrx4blf7tqybn45xyctvfrfkgvcgqsmisu", 103},
      {"unixfs-v1-2025", 12, "bafybeic2mouavvzp7bhrb4uadrtj7knvcr6z26b4dvlojvzxlevgv7u64a", 156},
      {"unixfs-v1-2025", 13, "bafybeihitjscq6cpxhk44yojfvstvcg4uyz6lkiu5bghtcbiynzwndlwbe", 308},
      {"unixfs-v1-2025", 36, "bafybeiagsvtpszcuxuhxbxmwvrq5f2u5wr45lekefzxsrdosnvamg4hk4e", 615},
      {"unixfs-v1-2025", 37, "bafybeifazll3y267fa6zkqkjkrs6jcnmzcyrevame65vjixqmv66a5jhaq", 819},
      {"unixfs-v1-2025", 108, "bafybeihsit4fk5dtkcjmabexwvcqozd35aydize5yyvqg4cffwwwkuvxtu", 1992},
      {"unixfs-v1-2025", 109, "bafybeidgrjygpf7xcyrj4dl5xpf7n2lpdzcsxc7scy4q7apehaxqutashy", 2249},
      {"unixfs-v1-2025", 1000, "bafybeidfcnwzpv5dtaqrfnjqkzl2jpzka2tdb3zivblryl3e4botxeinsy", 19299},
      {"unixfs-v0-2015", 1, "QmTcYLauNCrhA67eQKBftMBTbhLmK8Q8gVRCkWYk3BcBhh", 9},
      {"unixfs-v0-2015", 4, "QmRcTFZ56XYkH9Ws58P43vF89c8nGQT3UTwSQwwtw6fCJh", 12},
      {"unixfs-v0-2015", 5, "QmdCaZZF8i1qgiXfBYwWaPxwJtemZsadp8MjSAthP1eL6e", 115},
      {"unixfs-v0-2015", 12, "QmfXQcnRkQPmYkAGDv4K6d6sbUebsL2TsRu5ybXyqwPYJL", 174},
      {"unixfs-v0-2015", 13, "QmUBPZSb3jrWa4Cn8SrQv2qagdeo5TG5wDYePxsJSd2cnV", 328},
      {"unixfs-v0-2015", 36, "QmNa3ayRrZoJs2fKVMw9yoMtcRtnmM547exCjneZYedg36", 663},
      {"unixfs-v0-2015", 37, "QmYT4K3LTu1okm8L2zLmKNfiycqKdFDQLg2RYQU7V2LZTx", 867},
      {"unixfs-v0-2015", 108, "QmcT6vPibNWf4LsCE9EeoTS12GUMdvYUKPDCNwxrPb5pk2", 2130},
      {"unixfs-v0-2015", 109, "QmbjwQMSqyhWN4zk96WqcyAtefzXMiBtaJXaotkdRGdV8U", 2385},
      {"unixfs-v0-2015", 1000, "QmdVrbBCdpf7y48yhFEty5avBKQ56Lw9DvMh4PsnaK7RyB", 20543},
      /* real profiles, 5 MB: 5 v1 chunks, 20 v0 chunks */
      {"unixfs-v1-2025", 5000000, "bafybeibwr3gtl32vuptdsbp4pjllygq2r2qycaltuzch2gpduesckygjyy", 5000259},
      {"unixfs-v0-2015", 5000000, "Qmb53HHPp5eXx1Do3Amobk2sjDueNHMfrE27LVF2MmQETG", 5001249},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(v); i++) {
    dag_import_opts_t o = profile(v[i].profile);
    if (v[i].n < 5000000) {
      o.chunker = "size-4";
      o.max_links = 3;
    }
    uint8_t *data = pattern(v[i].n);
    memstore_t ms = {0};
    dag_import_result_t r;
    assert_int_equal(dag_import_bytes(&o, data, v[i].n, ms_put, &ms, &r), 0);
    if (strcmp(cidstr(&r.cid), v[i].cid))
      fail_msg("%s %zu bytes: %s, js %s", v[i].profile, v[i].n, cidstr(&r.cid),
               v[i].cid);
    assert_true(r.tsize == v[i].tsize);
    assert_true(r.size == v[i].n);
    free(data);
    ms_free(&ms);
  }
}

/* ---------------------------------------------------------------- shape */

typedef struct shape {
  memstore_t *ms;
  int leaf_depth; /* -1 until the first leaf */
  size_t leaves, max_links;
  bool raw;
} shape_t;

static int collect(const dag_pb_link_t *lk, size_t i, void *ud) {
  ((dag_pb_link_t *)ud)[i] = *lk;
  return 0;
}

/* Walk a file DAG; check every invariant; return its file size and set
 * *tsize to the bytes of its blocks. */
static uint64_t walk(shape_t *s, const dag_cid_t *cid, int depth,
                     uint64_t *tsize) {
  const uint8_t *blk = NULL;
  size_t len = 0;
  assert_int_equal(ms_get(cid, &blk, &len, s->ms), 0);
  if (cid->codec == DAG_CODEC_RAW) {
    assert_true(s->raw);
    assert_int_equal(cid->version, 1);
    if (s->leaf_depth < 0)
      s->leaf_depth = depth;
    assert_int_equal(depth, s->leaf_depth); /* all leaves level */
    s->leaves++;
    *tsize = len;
    return len;
  }
  dag_pb_link_t links[64];
  dag_pb_node_t pn;
  assert_int_equal(dag_pb_decode(blk, len, NULL, NULL, &pn), 0);
  assert_true(pn.nlinks <= s->max_links && pn.nlinks <= 64);
  assert_int_equal(dag_pb_decode(blk, len, collect, links, &pn), 0);
  dag_unixfs_t u;
  assert_int_equal(dag_unixfs_decode(pn.data, pn.data_len, &u), 0);
  assert_int_equal(u.type, DAG_UNIXFS_FILE); /* raw leaves or not */
  assert_true(u.has_filesize);
  if (pn.nlinks == 0) { /* a dag-pb leaf */
    assert_false(s->raw);
    if (s->leaf_depth < 0)
      s->leaf_depth = depth;
    assert_int_equal(depth, s->leaf_depth);
    s->leaves++;
    assert_true(u.filesize == u.data_len);
    *tsize = len;
    return u.filesize;
  }
  assert_int_equal(u.n_blocksizes, pn.nlinks);
  assert_false(u.has_data && u.data_len);
  dag_unixfs_iter_t it;
  dag_unixfs_iter_init(&u, &it);
  uint64_t total = 0, ts = len;
  for (size_t k = 0; k < pn.nlinks; k++) {
    assert_true(links[k].has_name && links[k].name_len == 0);
    uint64_t bs, sub;
    assert_true(dag_unixfs_iter_next(&it, &bs));
    uint64_t fs = walk(s, &links[k].cid, depth + 1, &sub);
    assert_true(fs == bs);            /* blocksizes[k] = bytes below k */
    assert_true(links[k].tsize == sub); /* Tsize = serialized subtree */
    total += fs;
    ts += sub;
  }
  assert_true(u.filesize == total);
  *tsize = ts;
  return total;
}

/* The balanced shape: all leaves level, every node but the right edge
 * full, sizes consistent.  Chunks of 10 bytes, 4 links. */
static void test_balanced_shape(void **state) {
  (void)state;
  for (int raw = 0; raw < 2; raw++) {
    for (size_t n = 0; n < 700; n += n < 50 ? 1 : 37) {
      dag_import_opts_t o = profile(raw ? "unixfs-v1-2025" : "unixfs-v0-2015");
      o.chunker = "size-10";
      o.max_links = 4;
      uint8_t *data = pattern(n);
      memstore_t ms = {0};
      dag_import_result_t r;
      assert_int_equal(dag_import_bytes(&o, data, n, ms_put, &ms, &r), 0);
      shape_t s = {&ms, -1, 0, 4, raw == 1};
      uint64_t ts;
      assert_true(walk(&s, &r.cid, 0, &ts) == n);
      assert_true(ts == r.tsize);
      size_t chunks = n ? (n + 9) / 10 : 1;
      assert_int_equal(s.leaves, chunks);
      /* depth = ceil(log4(chunks)) */
      int depth = 0;
      for (size_t cap = 1; cap < chunks; cap *= 4)
        depth++;
      assert_int_equal(s.leaf_depth, depth);
      free(data);
      ms_free(&ms);
    }
  }
}

/* ------------------------------------------------------------- feeding */

static dag_cid_t import_fed(const dag_import_opts_t *o, const uint8_t *data,
                            size_t n, int how) {
  memstore_t ms = {0};
  dag_file_t *f;
  assert_int_equal(dag_file_new(&f, o, ms_put, &ms), 0);
  size_t off = 0, step = 1;
  while (off < n) {
    /* how 3: pieces of 7 and 12345 bytes by turns, so that the raw leaf
     * path that hashes whole chunks where they lie (dag_file_write) runs
     * now from a buffered part chunk, now from an empty buffer. */
    size_t k = how == 0 ? 1 : how == 1 ? step : how == 3 ? (step & 1 ? 7 : 12345)
                                                          : n - off;
    /* how 4: runs of dag_file_inplace's length when it gives one, as
     * `trove add` reads them into the pipe's room (a shorter last run
     * goes through the buffer), else pieces of 12345. */
    if (how == 4)
      k = dag_file_inplace(f) ? dag_file_inplace(f) : 12345;
    if (k > n - off)
      k = n - off;
    if (how == 2) { /* zero-copy: as much as fits */
      size_t room;
      uint8_t *p = dag_file_space(f, &room);
      assert_true(room > 0);
      if (k > room)
        k = room;
      memcpy(p, data + off, k);
      assert_int_equal(dag_file_commit(f, k), 0);
    } else {
      assert_int_equal(dag_file_write(f, data + off, k), 0);
    }
    off += k;
    step = step * 3 + 1;
  }
  assert_true(dag_file_bytes(f) == n);
  dag_import_result_t r;
  assert_int_equal(dag_file_finish(f, &r), 0);
  /* the builder is ready for another file right away */
  dag_import_result_t r2;
  assert_int_equal(dag_file_write(f, "x", 1), 0);
  assert_int_equal(dag_file_finish(f, &r2), 0);
  assert_false(dag_cid_equal(&r.cid, &r2.cid) && n != 1);
  dag_file_free(f);
  ms_free(&ms);
  return r.cid;
}

/* Byte by byte, growing pieces, zero-copy, small and large pieces by
 * turns, runs of dag_file_inplace's length: the same CID, for each
 * chunker. */
static void test_feeding(void **state) {
  (void)state;
  static const char *chunkers[] = {"size-1000", "size-4096", "rabin-512",
                                   "buzhash"};
  size_t n = 600000;
  uint8_t *data = malloc(n);
  uint32_t x = 12345;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    data[i] = (uint8_t)x;
  }
  for (size_t c = 0; c < TR_ARRAY_LEN(chunkers); c++) {
    for (int p = 0; p < 2; p++) {
      dag_import_opts_t o = profile(p ? "unixfs-v0-2015" : NULL);
      o.chunker = chunkers[c];
      size_t len = c < 2 ? 20000 : n; /* byte-by-byte is slow on big input */
      dag_cid_t a = import_fed(&o, data, len, 0);
      dag_cid_t b = import_fed(&o, data, len, 1);
      dag_cid_t d = import_fed(&o, data, len, 2);
      dag_cid_t e = import_fed(&o, data, len, 3);
      dag_cid_t g = import_fed(&o, data, len, 4);
      assert_true(dag_cid_equal(&a, &b));
      assert_true(dag_cid_equal(&a, &d));
      assert_true(dag_cid_equal(&a, &e));
      assert_true(dag_cid_equal(&a, &g));
      /* Whole chunks in place only for raw leaves of a fixed size, and
       * not while a part chunk is buffered. */
      dag_file_t *f;
      memstore_t ms = {0};
      assert_int_equal(dag_file_new(&f, &o, ms_put, &ms), 0);
      size_t want = c < 2 && o.raw_leaves ? (c == 0 ? 1000 : 4096) : 0;
      assert_int_equal(dag_file_inplace(f), want);
      assert_int_equal(dag_file_write(f, data, 10), 0);
      assert_int_equal(dag_file_inplace(f), 0);
      dag_import_result_t r;
      assert_int_equal(dag_file_finish(f, &r), 0);
      assert_int_equal(dag_file_inplace(f), want);
      dag_file_free(f);
      ms_free(&ms);
    }
  }
  free(data);
}

/* ---------------------------------------------------------- round trip */

typedef struct sink {
  uint8_t *buf;
  size_t len, cap;
} sink_t;

static int to_sink(const uint8_t *p, size_t n, void *ud) {
  sink_t *s = ud;
  assert_true(s->len + n <= s->cap);
  memcpy(s->buf + s->len, p, n);
  s->len += n;
  return 0;
}

static void test_roundtrip_ranges(void **state) {
  (void)state;
  static const char *chunkers[] = {"size-1024", "rabin-1024", "buzhash",
                                   "size-262144"};
  size_t n = 1500000;
  uint8_t *data = malloc(n), *out = malloc(n);
  uint32_t x = 99;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    data[i] = (uint8_t)(x >> 3);
  }
  for (size_t c = 0; c < TR_ARRAY_LEN(chunkers); c++) {
    for (int p = 0; p < 2; p++) {
      dag_import_opts_t o = profile(p ? "unixfs-v0-2015" : NULL);
      o.chunker = chunkers[c];
      o.max_links = 7;
      memstore_t ms = {0};
      dag_import_result_t r;
      assert_int_equal(dag_import_bytes(&o, data, n, ms_put, &ms, &r), 0);
      dag_node_info_t info;
      assert_int_equal(dag_stat(&r.cid, ms_get, &ms, &info), 0);
      assert_int_equal(info.kind, DAG_NODE_FILE);
      assert_true(info.size == n);
      sink_t s = {out, 0, n};
      assert_int_equal(
          dag_cat(&r.cid, 0, UINT64_MAX, ms_get, &ms, to_sink, &s), 0);
      assert_int_equal(s.len, n);
      assert_memory_equal(out, data, n);
      /* ranges: start, middle, end, past the end, empty */
      uint64_t ranges[][2] = {{0, 1},       {1, 1023},   {1023, 2},
                              {500000, 70000}, {n - 1, 10}, {n, 5},
                              {n + 10, 5},  {777, 0},    {123456, UINT64_MAX}};
      for (size_t k = 0; k < TR_ARRAY_LEN(ranges); k++) {
        uint64_t off = ranges[k][0], l = ranges[k][1];
        size_t want = off >= n ? 0 : (size_t)(l < n - off ? l : n - off);
        size_t gets = ms.gets;
        s.len = 0;
        assert_int_equal(dag_cat(&r.cid, off, l, ms_get, &ms, to_sink, &s), 0);
        assert_int_equal(s.len, want);
        if (want)
          assert_memory_equal(out, data + off, want);
        /* blocksizes let a small range skip most of the file */
        if (want && want < 100000 && ms.gets - gets > want / 256 + 30)
          fail_msg("chunker %s range %llu+%llu: %zu gets", chunkers[c],
                   (unsigned long long)off, (unsigned long long)l,
                   ms.gets - gets);
      }
      ms_free(&ms);
    }
  }
  free(data);
  free(out);
}

/* ---------------------------------------------------------- directories */

typedef struct names {
  char got[16][16];
  size_t n;
} names_t;

static int dirent_cb(const dag_dirent_t *e, void *ud) {
  names_t *s = ud;
  assert_true(s->n < 16 && e->name_len < 16);
  memcpy(s->got[s->n], e->name, e->name_len);
  s->got[s->n++][e->name_len] = 0;
  return 0;
}

static void test_dir_order_and_names(void **state) {
  (void)state;
  dag_import_opts_t o = profile(NULL);
  memstore_t ms = {0};
  dag_dir_t *d;
  assert_int_equal(dag_dir_new(&d, &o, ms_put, &ms), 0);
  dag_cid_t c;
  assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, "", 0),
                   0);
  /* given in any order, listed in byte order, a prefix first */
  const char *in[] = {"b", "a.b", "Z", "\xc3\xa9", "ab", "a", "a-b", "B"};
  const char *want[] = {"B", "Z", "a", "a-b", "a.b", "ab", "b", "\xc3\xa9"};
  for (size_t i = 0; i < 8; i++)
    assert_int_equal(dag_dir_add(d, in[i], strlen(in[i]), &c, 0), 0);
  /* unsafe names are refused before anything is stored */
  const char *bad[] = {"", ".", "..", "a/b", "/abs"};
  for (size_t i = 0; i < 5; i++)
    assert_int_equal(dag_dir_add(d, bad[i], strlen(bad[i]), &c, 0),
                     TR_EUNSAFE);
  assert_int_equal(dag_dir_add(d, "nul\0x", 5, &c, 0), TR_EUNSAFE);
  assert_int_equal(dag_dir_count(d), 8);
  dag_import_result_t r;
  assert_int_equal(dag_dir_finish(d, &r), 0);
  names_t got = {0};
  assert_int_equal(dag_ls(&r.cid, ms_get, &ms, dirent_cb, &got), 0);
  assert_int_equal(got.n, 8);
  for (size_t i = 0; i < 8; i++)
    assert_string_equal(got.got[i], want[i]);
  /* duplicates are an error, and the builder is reset after it */
  assert_int_equal(dag_dir_add(d, "x", 1, &c, 0), 0);
  assert_int_equal(dag_dir_add(d, "y", 1, &c, 0), 0);
  assert_int_equal(dag_dir_add(d, "x", 1, &c, 0), 0);
  assert_int_equal(dag_dir_finish(d, &r), TR_EEXIST);
  assert_int_equal(dag_dir_count(d), 0);
  dag_dir_free(d);
  ms_free(&ms);
}

/* The block estimate is the flat block's exact size; the links estimate
 * is names + CIDs; one byte over the threshold makes a HAMT. */
static void test_dir_estimates_and_threshold(void **state) {
  (void)state;
  for (int p = 0; p < 2; p++) {
    dag_import_opts_t o = profile(p ? "unixfs-v0-2015" : "unixfs-v1-2025");
    o.hamt_threshold = UINT64_MAX; /* measure first */
    memstore_t ms = {0};
    dag_dir_t *d;
    assert_int_equal(dag_dir_new(&d, &o, ms_put, &ms), 0);
    uint64_t links = 0;
    for (int i = 0; i < 300; i++) {
      char name[40], content[40];
      snprintf(name, sizeof name, "entry-%0*d", i % 17 + 1, i);
      snprintf(content, sizeof content, "%d", i * i);
      dag_import_result_t f;
      assert_int_equal(
          dag_import_bytes(&o, content, strlen(content), ms_put, &ms, &f), 0);
      assert_int_equal(dag_dir_add(d, name, strlen(name), &f.cid,
                                   f.tsize * 1000003 /* wide varints */),
                       0);
      links += strlen(name) + f.cid.len;
    }
    uint64_t est = dag_dir_estimate(d);
    dag_import_result_t r;
    assert_int_equal(dag_dir_finish(d, &r), 0);
    const uint8_t *blk = NULL;
    size_t len = 0;
    assert_int_equal(ms_get(&r.cid, &blk, &len, &ms), 0);
    if (p == 0)
      assert_true(est == len); /* the block itself */
    else
      assert_true(est == links);
    dag_dir_free(d);

    /* Same entries with the threshold at the estimate (flat) and one below
     * it (HAMT). */
    for (int over = 0; over < 2; over++) {
      dag_import_opts_t o2 = o;
      o2.hamt_threshold = est - (uint64_t)over;
      assert_int_equal(dag_dir_new(&d, &o2, ms_put, &ms), 0);
      for (int i = 0; i < 300; i++) {
        char name[40], content[40];
        snprintf(name, sizeof name, "entry-%0*d", i % 17 + 1, i);
        snprintf(content, sizeof content, "%d", i * i);
        dag_import_result_t f;
        assert_int_equal(
            dag_import_bytes(&o, content, strlen(content), ms_put, &ms, &f),
            0);
        assert_int_equal(
            dag_dir_add(d, name, strlen(name), &f.cid, f.tsize * 1000003), 0);
      }
      assert_int_equal(dag_dir_finish(d, &r), 0);
      dag_node_info_t info;
      assert_int_equal(dag_stat(&r.cid, ms_get, &ms, &info), 0);
      assert_int_equal(info.unixfs_type,
                       over ? DAG_UNIXFS_HAMT : DAG_UNIXFS_DIRECTORY);
      dag_dir_free(d);
    }
    ms_free(&ms);
  }
}

/* -------------------------------------------------------------- options */

static void test_options(void **state) {
  (void)state;
  dag_import_opts_t o;
  assert_int_equal(dag_import_profile(&o, "unixfs-v2-2099"), TR_EUSAGE);
  assert_int_equal(dag_import_profile(&o, "legacy-cid-v0"), 0);
  assert_int_equal(o.cid_version, 0);
  assert_int_equal(o.max_links, 174);
  assert_int_equal(o.hamt_estimate, DAG_HAMT_EST_LINKS);
  assert_int_equal(dag_import_profile(&o, NULL), 0);
  assert_int_equal(o.cid_version, 1);
  assert_true(o.raw_leaves);
  assert_int_equal(o.max_links, 1024);
  assert_string_equal(o.chunker, "size-1048576");
  assert_int_equal(o.hamt_estimate, DAG_HAMT_EST_BLOCK);
  assert_true(o.hamt_threshold == 262144 && o.hamt_fanout == 256);

  dag_file_t *f;
  dag_import_opts_t b = o;
  b.max_links = 1;
  assert_int_equal(dag_file_new(&f, &b, ms_put, NULL), TR_EUSAGE);
  b = o;
  b.cid_version = 0;
  b.mh_code = DAG_MH_IDENTITY;
  assert_int_equal(dag_file_new(&f, &b, ms_put, NULL), TR_EUSAGE);
  b = o;
  b.chunker = "size-0";
  assert_int_equal(dag_file_new(&f, &b, ms_put, NULL), TR_ECHUNKER);
  b = o;
  b.hamt_fanout = 300;
  dag_dir_t *d;
  assert_int_equal(dag_dir_new(&d, &b, ms_put, NULL), TR_EUSAGE);
  memstore_t ms = {0};
  dag_import_result_t r;
  assert_int_equal(dag_import_symlink(&o, "", 0, NULL, ms_put, &ms, &r), TR_EUSAGE);
  assert_int_equal(dag_import_symlink(&o, "a/b", 3, NULL, ms_put, &ms, &r), 0);
  dag_node_info_t info;
  assert_int_equal(dag_stat(&r.cid, ms_get, &ms, &info), 0);
  assert_int_equal(info.kind, DAG_NODE_SYMLINK);
  assert_int_equal(info.target_len, 3);
  assert_memory_equal(info.target, "a/b", 3);
  assert_true(r.tsize == 9); /* 0a 07 08 04 12 03 'a' '/' 'b' */
  ms_free(&ms);
}

/* UnixFS 1.5 metadata: roots Kubo v0.43.1 gave for the same bytes and
 * metadata (`add` through its API with --preserve-mode/--preserve-mtime or
 * --mtime, CIDv0 and dag-pb leaves, as it forces them), read back. */
static void test_meta_vectors(void **state) {
  (void)state;
  dag_import_opts_t o = profile("unixfs-v0-2015");
  memstore_t ms = {0};
  dag_import_result_t r;
  dag_node_info_t info;
  dag_file_t *f;
  assert_int_equal(dag_file_new(&f, &o, ms_put, &ms), 0);

  /* One chunk: the leaf is the root and carries the metadata; the leaf
   * without it is never stored. */
  dag_meta_t m = {true, 0644, true, 1700000000, 5};
  dag_file_set_meta(f, &m);
  assert_int_equal(dag_file_write(f, "hello\n", 6), 0);
  assert_int_equal(ms.n, 0); /* held back: it may be the root */
  assert_int_equal(dag_file_finish(f, &r), 0);
  assert_string_equal(cidstr(&r.cid),
                      "QmdmeNdzAXr2wiMkvEAEBTPCdkpviJoNqYyyaqmSai9QVV");
  assert_int_equal(ms.n, 1);
  assert_true(r.tsize == 30 && r.size == 6);
  assert_int_equal(dag_stat(&r.cid, ms_get, &ms, &info), 0);
  assert_true(info.has_mode && info.mode == 0644 && info.has_mtime &&
              info.mtime_sec == 1700000000 && info.mtime_nsec == 5);
  /* finish cleared it: the next file has none */
  assert_int_equal(dag_file_write(f, "hello\n", 6), 0);
  assert_int_equal(dag_file_finish(f, &r), 0);
  assert_string_equal(cidstr(&r.cid),
                      "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN");

  /* An empty file with an mtime and no mode. */
  dag_meta_t e = {false, 0, true, 1, 0};
  dag_file_set_meta(f, &e);
  assert_int_equal(dag_file_finish(f, &r), 0);
  assert_string_equal(cidstr(&r.cid),
                      "QmV93Gh79mu1vxHz5CNNfeQtVAUiNE4NtxaP1VZTAefM4Q");

  /* Three leaves: the first is stored as it is once the second comes, and
   * only the root carries the mode. */
  uint8_t *big = malloc(600000);
  for (size_t i = 0; i < 600000; i++)
    big[i] = (uint8_t)(i % 251);
  dag_meta_t x = {true, 0755, false, 0, 0};
  dag_file_set_meta(f, &x);
  ms_free(&ms);
  memset(&ms, 0, sizeof ms);
  assert_int_equal(dag_file_write(f, big, 600000), 0);
  assert_int_equal(dag_file_finish(f, &r), 0);
  assert_string_equal(cidstr(&r.cid),
                      "QmTG4aGMSS96Qsg1fe6Kdi9BVKtQu5m31QMQ3h3pqaGXm9");
  assert_int_equal(ms.n, 4);
  assert_true(r.tsize == 600197);
  free(big);

  /* CIDv1 with dag-pb leaves, as Kubo's add --cid-version=1 makes it. */
  dag_import_opts_t v1 = o;
  v1.cid_version = 1;
  dag_file_t *f1;
  assert_int_equal(dag_file_new(&f1, &v1, ms_put, &ms), 0);
  dag_file_set_meta(f1, &m);
  assert_int_equal(dag_file_write(f1, "hello\n", 6), 0);
  assert_int_equal(dag_file_finish(f1, &r), 0);
  assert_string_equal(cidstr(&r.cid), "bafybeihfizy5bvyd2iknnh2qwtzbvcp424ab"
                                      "pkr5c23lj3sdozafrmtlma");
  /* Raw leaves cannot carry metadata: a one-chunk file drops it (boxo). */
  v1.raw_leaves = true;
  dag_file_free(f1);
  assert_int_equal(dag_file_new(&f1, &v1, ms_put, &ms), 0);
  dag_file_set_meta(f1, &m);
  assert_int_equal(dag_file_write(f1, "hello world", 11), 0);
  assert_int_equal(dag_file_finish(f1, &r), 0);
  assert_string_equal(cidstr(&r.cid), "bafkreifzjut3te2nhyekklss27nh3k72ysco7"
                                      "y32koao5eei66wof36n5e");
  dag_file_free(f1);
  dag_file_free(f);

  /* A symlink keeps the mtime (negative here) and never a mode. */
  dag_meta_t l = {true, 0777, true, -5, 0};
  assert_int_equal(dag_import_symlink(&o, "a.txt", 5, &l, ms_put, &ms, &r), 0);
  assert_string_equal(cidstr(&r.cid),
                      "QmTUfdTD1t6zwC8iGjp83nsMzrEmZvH3j5srEkAXgmYof9");
  assert_int_equal(dag_stat(&r.cid, ms_get, &ms, &info), 0);
  assert_true(!info.has_mode && info.has_mtime && info.mtime_sec == -5);

  /* A directory's own metadata. */
  dag_dir_t *d;
  dag_cid_t hello;
  const char *hs = "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN";
  assert_int_equal(dag_cid_parse(&hello, hs, strlen(hs)), 0);
  assert_int_equal(dag_dir_new(&d, &o, ms_put, &ms), 0);
  dag_meta_t dm = {true, 0700, true, 1600000000, 0};
  dag_dir_set_meta(d, &dm);
  assert_int_equal(dag_dir_add(d, "a.txt", 5, &hello, 14), 0);
  assert_int_equal(dag_dir_finish(d, &r), 0);
  assert_string_equal(cidstr(&r.cid),
                      "QmNrjfLXMKZKV3LLReoek7oV9naXyWGQUaLayJDwf3B5cr");
  assert_true(r.tsize == 76);
  /* cleared by finish: the empty directory again */
  assert_int_equal(dag_dir_finish(d, &r), 0);
  assert_string_equal(cidstr(&r.cid),
                      "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
  dag_dir_free(d);
  ms_free(&ms);
}

/* The block estimate counts a directory's metadata as boxo's
 * dataFieldSerializedSize does (and the links estimate does not). */
static void test_meta_estimate(void **state) {
  (void)state;
  dag_import_opts_t o = profile("unixfs-v1-2025");
  dag_dir_t *d;
  assert_int_equal(dag_dir_new(&d, &o, ms_put, NULL), 0);
  assert_true(dag_dir_estimate(d) == 4); /* 0a 02 08 01 */
  dag_meta_t m = {true, 0755, true, -1, 7};
  dag_dir_set_meta(d, &m);
  /* 08 01, 38 ed 03, 42 10 { 08 + 10-byte varint, 15 + 4 bytes } */
  assert_true(dag_dir_estimate(d) == 2 + 2 + 3 + 2 + 16);
  dag_dir_free(d);
}

/* A failing put stops the import with its error; the builder recovers. */
static void test_put_failure(void **state) {
  (void)state;
  dag_import_opts_t o = profile("unixfs-v0-2015");
  o.chunker = "size-100";
  o.max_links = 3;
  uint8_t *data = pattern(5000);
  for (int at = 1; at < 80; at++) {
    memstore_t ms = {0};
    ms.fail_put_at = at;
    dag_file_t *f;
    assert_int_equal(dag_file_new(&f, &o, ms_put, &ms), 0);
    int rc = dag_file_write(f, data, 5000);
    dag_import_result_t r;
    int rc2 = dag_file_finish(f, &r);
    if (at <= 50 + 17 + 6 + 2 + 1) /* leaves + every internal node */
      assert_int_equal(rc ? rc : rc2, -5);
    /* then a good file */
    ms.fail_put_at = 0;
    assert_int_equal(dag_file_write(f, data, 1234), 0);
    assert_int_equal(dag_file_finish(f, &r), 0);
    dag_file_free(f);
    ms_free(&ms);
  }
  free(data);
}

/* Every allocation failure gives -ENOMEM (and ASan sees no leak). */
static void test_alloc_failures(void **state) {
  (void)state;
  uint8_t *data = pattern(20000);
  int done = 0;
  for (long k = 0; !done; k++) {
    dag_import_opts_t o = profile("unixfs-v0-2015");
    o.chunker = "size-64";
    o.max_links = 4;
    memstore_t ms = {0};
    dag_import_result_t r;
    fm_start(k);
    int rc = dag_import_bytes(&o, data, 20000, ms_put, &ms, &r);
    dag_dir_t *d = NULL;
    o.hamt_threshold = 10; /* the HAMT builder runs under failmalloc too */
    if (!rc && (rc = dag_dir_new(&d, &o, ms_put, &ms)) == 0) {
      for (int i = 0; i < 100 && !rc; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        rc = dag_dir_add(d, name, strlen(name), &r.cid, r.tsize);
      }
      if (!rc)
        rc = dag_dir_finish(d, &r);
    }
    dag_dir_free(d);
    fm_reset();
    ms_free(&ms);
    if (rc == 0)
      done = 1;
    else
      assert_int_equal(rc, -ENOMEM);
    assert_true(k < 100000);
  }
  free(data);
}

/* Allocations do not grow with the file: 1 MiB and 256 MiB cost the same
 * (plus one level's arrays per extra tree level). */
static int null_put(const dag_cid_t *c, const uint8_t *d, size_t l, void *u) {
  (void)c, (void)d, (void)l, (void)u;
  return 0;
}

static long allocs_for(size_t total) {
  dag_import_opts_t o = profile(NULL);
  o.chunker = "size-65536";
  o.max_links = 16;
  fm_start(LONG_MAX);
  dag_file_t *f;
  assert_int_equal(dag_file_new(&f, &o, null_put, NULL), 0);
  for (size_t done = 0; done < total;) {
    size_t room;
    uint8_t *p = dag_file_space(f, &room);
    if (room > total - done)
      room = total - done;
    memset(p, (int)(done >> 16), room);
    assert_int_equal(dag_file_commit(f, room), 0);
    done += room;
  }
  dag_import_result_t r;
  assert_int_equal(dag_file_finish(f, &r), 0);
  dag_file_free(f);
  long n = fm_count;
  fm_reset();
  return n;
}

static void test_bounded_memory(void **state) {
  (void)state;
  long small = allocs_for(1 << 20);  /* 16 leaves: 2 levels */
  long mid = allocs_for(64u << 20);  /* 1024 leaves: 4 levels */
  long big = allocs_for(256u << 20); /* 4096 leaves: 4 levels */
  /* two more levels' link arrays, and the node buffer regrown for them */
  if (big - small > 2 * 2 + 2 || big - mid > 1)
    fail_msg("%ld allocations for 1 MiB, %ld for 64 MiB, %ld for 256 MiB",
             small, mid, big);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_published_vectors),
      cmocka_unit_test(test_js_trees),
      cmocka_unit_test(test_balanced_shape),
      cmocka_unit_test(test_feeding),
      cmocka_unit_test(test_roundtrip_ranges),
      cmocka_unit_test(test_dir_order_and_names),
      cmocka_unit_test(test_dir_estimates_and_threshold),
      cmocka_unit_test(test_options),
      cmocka_unit_test(test_meta_vectors),
      cmocka_unit_test(test_meta_estimate),
      cmocka_unit_test(test_put_failure),
      cmocka_unit_test(test_alloc_failures),
      cmocka_unit_test(test_bounded_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

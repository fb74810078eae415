/*
 * test_modify.c — dag/modify.h against boxo's DagModifier and Kubo's
 * `ipfs files write`: every spec of tests/vectors/modify_vectors.h (made by
 * tests/gen_modify_vectors.sh; syntax in tests/modvec/main.go) is replayed
 * step by step, each step's root CID compared with boxo's and the file read
 * back (dag/reader.h) compared with a plain byte array.  Then hostile
 * input (roots that are not files, blocksizes that lie, missing blocks,
 * absurd offsets), independence from how the bytes are sliced, bounded
 * memory on a long append, mtime stamping and allocation failures.
 */
#include "testutil.h"

#include "../dag/dagpb.h"
#include "../dag/modify.h"
#include "../dag/reader.h"
#include "memstore.h"
#include "splitmix.h"
#include "vectors/modify_vectors.h"

/* ------------------------------------------------------------- the model */

typedef struct model {
  uint8_t *b;
  size_t n, cap;
} model_t;

static void model_size(model_t *md, size_t n) {
  if (n > md->cap) {
    md->cap = n + n / 2 + 16;
    md->b = realloc(md->b, md->cap);
    assert_non_null(md->b);
  }
  if (n > md->n)
    memset(md->b + md->n, 0, n - md->n);
  md->n = n;
}

static void model_write(model_t *md, size_t off, const uint8_t *p, size_t n) {
  if (off + n > md->n)
    model_size(md, off + n);
  memcpy(md->b + off, p, n);
}

typedef struct cmp {
  const model_t *md;
  size_t off;
} cmp_t;

static int cmp_cb(const uint8_t *p, size_t n, void *ud) {
  cmp_t *c = ud;
  if (c->off + n > c->md->n || memcmp(p, c->md->b + c->off, n))
    return -1;
  c->off += n;
  return 0;
}

static int model_cb(const uint8_t *p, size_t n, void *ud) {
  model_t *md = ud;
  model_write(md, md->n, p, n);
  return 0;
}

static void check_content(memstore_t *ms, const dag_cid_t *root,
                          const model_t *md) {
  cmp_t c = {md, 0};
  assert_int_equal(dag_cat(root, 0, UINT64_MAX, ms_get, ms, cmp_cb, &c), 0);
  assert_int_equal(c.off, md->n);
}

/* ------------------------------------------------------------ the steps */

static const char *cstr(const dag_cid_t *c) {
  static char s[4][DAG_CID_STR_MAX];
  static int k;
  k = (k + 1) % 4;
  return dag_cid_str(c, s[k]);
}

/* Feed p[0..n) in slices of varying length: the result must not depend on
 * them (the modifier cuts io.Copy's 32 KiB writes itself). */
static void feed(dag_mod_t *m, const uint8_t *p, size_t n, uint64_t seed) {
  size_t off = 0;
  while (off < n) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    size_t k = (size_t)(seed >> 33) % 100000 + 1;
    if (k > n - off)
      k = n - off;
    assert_int_equal(dag_mod_write(m, p + off, k), 0);
    off += k;
  }
}

static void flush_new(memstore_t *ms, const dag_cid_t *root, int raw,
                      dag_cid_t *out) {
  dag_mod_opts_t o = {0};
  o.raw_leaves = raw;
  dag_mod_t *m;
  assert_int_equal(dag_mod_new(&m, root, &o, ms_get, ms_put, ms), 0);
  dag_import_result_t r;
  assert_int_equal(dag_mod_finish(m, &r), 0);
  *out = r.cid;
  dag_mod_free(m);
}

static void init_step(char *s, memstore_t *ms, model_t *md, dag_cid_t *cid) {
  char *f[8] = {0}, *sv;
  size_t nf = 0;
  for (char *t = strtok_r(s, " ", &sv); t && nf < 8; t = strtok_r(NULL, " ", &sv))
    f[nf++] = t;
  if (!strcmp(f[0], "new")) {
    dag_mod_opts_t o = {0};
    o.raw_leaves = DAG_MOD_RAW_DEFAULT;
    o.cid_version = atoi(f[1]);
    assert_int_equal(dag_mh_from_name(f[2], &o.mh_code), 0);
    dag_mod_t *m;
    assert_int_equal(dag_mod_new(&m, NULL, &o, ms_get, ms_put, ms), 0);
    dag_import_result_t r;
    assert_int_equal(dag_mod_finish(m, &r), 0);
    dag_mod_free(m);
    *cid = r.cid;
    md->n = 0;
    return;
  }
  assert_string_equal(f[0], "add");
  dag_import_opts_t o;
  assert_int_equal(dag_import_profile(&o, "unixfs-v0-2015"), 0);
  o.layout = !strcmp(f[1], "trickle") ? DAG_LAYOUT_TRICKLE : DAG_LAYOUT_BALANCED;
  o.cid_version = atoi(f[2]);
  o.raw_leaves = atoi(f[3]) == 1;
  assert_int_equal(dag_mh_from_name(f[4], &o.mh_code), 0);
  char chunker[32];
  snprintf(chunker, sizeof chunker, "size-%s", f[5]);
  o.chunker = chunker;
  size_t len = (size_t)strtoull(f[7], NULL, 10);
  uint8_t *d = splitmix_alloc(strtoull(f[6], NULL, 10), len);
  dag_import_result_t r;
  assert_int_equal(dag_import_bytes(&o, d, len, ms_put, ms, &r), 0);
  md->n = 0;
  model_write(md, 0, d, len);
  free(d);
  /* `ipfs files cp` flushes the file: the collapse may apply. */
  flush_new(ms, &r.cid, DAG_MOD_RAW_DEFAULT, cid);
}

static uint64_t run_step(char *s, memstore_t *ms, model_t *md, dag_cid_t *cid) {
  char *f[10] = {0}, *sv;
  size_t nf = 0;
  for (char *t = strtok_r(s, " ", &sv); t && nf < 10; t = strtok_r(NULL, " ", &sv))
    f[nf++] = t;
  dag_mod_opts_t o = {0};
  o.raw_leaves = DAG_MOD_RAW_DEFAULT;
  bool trunc = false;
  long long count = -1;
  for (size_t i = 4; f[0][0] == 'W' && i < nf; i++) {
    if (!strcmp(f[i], "t"))
      trunc = true;
    else if (!strncmp(f[i], "c=", 2))
      count = atoll(f[i] + 2);
    else if (!strncmp(f[i], "r=", 2))
      o.raw_leaves = atoi(f[i] + 2);
  }
  dag_mod_t *m;
  assert_int_equal(dag_mod_new(&m, cid, &o, ms_get, ms_put, ms), 0);
  if (f[0][0] == 'T') {
    size_t size = (size_t)strtoull(f[1], NULL, 10);
    assert_int_equal(dag_mod_truncate(m, size), 0);
    model_size(md, size);
  } else {
    size_t off = (size_t)strtoull(f[1], NULL, 10);
    size_t len = (size_t)strtoull(f[3], NULL, 10);
    if (count >= 0 && (size_t)count < len)
      len = (size_t)count;
    uint8_t *d = splitmix_alloc(strtoull(f[2], NULL, 10), len);
    if (trunc) {
      assert_int_equal(dag_mod_truncate(m, 0), 0);
      md->n = 0;
    }
    assert_int_equal(dag_mod_seek(m, off), 0);
    if (off > md->n)
      model_size(md, off);
    feed(m, d, len, off + len);
    model_write(md, off, d, len);
    free(d);
  }
  if (dag_mod_size(m) != md->n)
    fail_msg("step \"%s\": size %llu, model %zu", s, (unsigned long long)dag_mod_size(m), md->n);
  dag_import_result_t r;
  assert_int_equal(dag_mod_finish(m, &r), 0);
  dag_mod_free(m);
  *cid = r.cid;
  return r.size;
}

static void test_vectors(void **state) {
  (void)state;
  for (size_t i = 0; i < TR_ARRAY_LEN(modify_vectors); i++) {
    char spec[512], cids[4096];
    snprintf(spec, sizeof spec, "%s", modify_vectors[i].spec);
    snprintf(cids, sizeof cids, "%s", modify_vectors[i].cids);
    memstore_t ms = {0};
    model_t md = {0};
    dag_cid_t cid;
    char *sv, *cv;
    char *want = strtok_r(cids, " ", &cv);
    size_t k = 0;
    for (char *st = strtok_r(spec, "|", &sv); st;
         st = strtok_r(NULL, "|", &sv), k++) {
      char step[256];
      snprintf(step, sizeof step, "%s", st);
      if (k == 0)
        init_step(step, &ms, &md, &cid);
      else if (run_step(step, &ms, &md, &cid) != md.n) {
        /* boxo's quirk: a root holding data and links (a one-chunk
         * `ipfs add` appended to) is overwritten as if its data were not
         * there, so the file is no longer model + write.  Only the spec
         * made for it may meet it; take the file as read back. */
        assert_non_null(strstr(modify_vectors[i].spec, "8 6 | W 6 1 6 | W 2"));
        md.n = 0;
        assert_int_equal(
            dag_cat(&cid, 0, UINT64_MAX, ms_get, &ms, model_cb, &md), 0);
      }
      assert_non_null(want);
      if (strcmp(cstr(&cid), want))
        fail_msg("spec %zu \"%s\" step %zu: %s, boxo %s", i,
                 modify_vectors[i].spec, k, cstr(&cid), want);
      check_content(&ms, &cid, &md);
      want = strtok_r(NULL, " ", &cv);
    }
    assert_null(want);
    ms_free(&ms);
    free(md.b);
  }
}

/* ----------------------------------------------------------- hostile */

static dag_mod_t *open_ok(memstore_t *ms, const dag_cid_t *root) {
  dag_mod_t *m;
  assert_int_equal(dag_mod_new(&m, root, NULL, ms_get, ms_put, ms), 0);
  return m;
}

static void test_not_a_file(void **state) {
  (void)state;
  memstore_t ms = {0};
  dag_import_opts_t o;
  assert_int_equal(dag_import_profile(&o, "unixfs-v0-2015"), 0);
  dag_dir_t *d;
  dag_import_result_t r;
  assert_int_equal(dag_dir_new(&d, &o, ms_put, &ms), 0);
  assert_int_equal(dag_dir_finish(d, &r), 0);
  dag_dir_free(d);
  dag_mod_t *m;
  assert_int_equal(dag_mod_new(&m, &r.cid, NULL, ms_get, ms_put, &ms),
                   TR_ENOTFILE);
  assert_int_equal(
      dag_import_symlink(&o, "target", 6, NULL, ms_put, &ms, &r), 0);
  assert_int_equal(dag_mod_new(&m, &r.cid, NULL, ms_get, ms_put, &ms),
                   TR_ENOTFILE);
  static const uint8_t cbor[] = {0xa0};
  dag_cid_t c = ms_add(&ms, 1, DAG_CODEC_DAG_CBOR, cbor, sizeof cbor);
  assert_int_equal(dag_mod_new(&m, &c, NULL, ms_get, ms_put, &ms), TR_ECODEC);
  static const uint8_t junk[] = {0x0a, 0x03, 0x08, 0x02};
  c = ms_add(&ms, 0, DAG_CODEC_DAG_PB, junk, sizeof junk);
  assert_true(dag_mod_new(&m, &c, NULL, ms_get, ms_put, &ms) < 0);
  /* Bad options. */
  dag_mod_opts_t bo = {0};
  bo.cid_version = 2;
  assert_int_equal(dag_mod_new(&m, NULL, &bo, ms_get, ms_put, &ms), TR_EUSAGE);
  ms_free(&ms);
}

/* A File node over one 10-byte raw leaf, with blocksizes bs[0..nbs). */
static dag_cid_t liar(memstore_t *ms, const uint64_t *bs, size_t nbs,
                      uint64_t filesize) {
  uint8_t leaf[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  dag_pb_link_t l = {0};
  l.cid = ms_add(ms, 1, DAG_CODEC_RAW, leaf, sizeof leaf);
  l.name = "";
  l.has_name = l.has_tsize = true;
  l.tsize = 10;
  dag_unixfs_t u = {0};
  u.type = DAG_UNIXFS_FILE;
  u.filesize = filesize;
  u.has_filesize = true;
  uint8_t ufs[128], blk[256];
  int ul = dag_unixfs_encode(&u, bs, nbs, ufs, sizeof ufs);
  assert_true(ul > 0);
  int bl = dag_pb_encode(&l, 1, ufs, (size_t)ul, true, blk, sizeof blk);
  assert_true(bl > 0);
  return ms_add(ms, 0, DAG_CODEC_DAG_PB, blk, (size_t)bl);
}

static void test_lying_sizes(void **state) {
  (void)state;
  memstore_t ms = {0};
  dag_mod_t *m;
  /* Two blocksizes for one link. */
  uint64_t two[] = {5, 5};
  dag_cid_t c = liar(&ms, two, 2, 10);
  assert_int_equal(dag_mod_new(&m, &c, NULL, ms_get, ms_put, &ms), TR_EUNIXFS);
  /* Blocksize 100 over 10 bytes: a write at 50 lands past the leaf. */
  uint64_t big[] = {100};
  c = liar(&ms, big, 1, 100);
  m = open_ok(&ms, &c);
  assert_int_equal(dag_mod_seek(m, 50), 0);
  assert_int_equal(dag_mod_write(m, "x", 1), 0);
  dag_import_result_t r;
  assert_int_equal(dag_mod_finish(m, &r), TR_EUNIXFS);
  assert_int_equal(dag_mod_write(m, "x", 1), TR_EUNIXFS); /* sticky */
  dag_mod_free(m);
  /* Truncating to 50 reads the child's real size (10): nothing to cut. */
  m = open_ok(&ms, &c);
  assert_int_equal(dag_mod_truncate(m, 50), TR_EUNIXFS);
  dag_mod_free(m);
  /* Blocksize 2^64 - 1 plus more: no overflow. */
  uint64_t wrap[] = {UINT64_MAX};
  c = liar(&ms, wrap, 1, 5);
  m = open_ok(&ms, &c);
  assert_int_equal(dag_mod_write(m, "abc", 3), 0);
  assert_int_equal(dag_mod_finish(m, &r), 0); /* 3 bytes over the leaf */
  dag_mod_free(m);
  ms_free(&ms);
}

static void drop(memstore_t *ms, const dag_cid_t *cid) {
  memblock_t *b = ms_find(ms, cid);
  assert_non_null(b);
  free(b->data);
  *b = ms->b[--ms->n];
}

static int first_link(const dag_pb_link_t *l, size_t i, void *ud) {
  if (i == 1)
    *(dag_cid_t *)ud = l->cid;
  return 0;
}

static void test_missing_blocks(void **state) {
  (void)state;
  memstore_t ms = {0};
  dag_import_opts_t o;
  assert_int_equal(dag_import_profile(&o, "unixfs-v0-2015"), 0);
  uint8_t *d = splitmix_alloc(3, 1000000);
  dag_import_result_t r;
  assert_int_equal(dag_import_bytes(&o, d, 1000000, ms_put, &ms, &r), 0);
  const uint8_t *blk = NULL;
  size_t len = 0;
  assert_int_equal(ms_get(&r.cid, &blk, &len, &ms), 0);
  dag_cid_t leaf;
  dag_pb_node_t nd;
  assert_int_equal(dag_pb_decode(blk, len, first_link, &leaf, &nd), 0);
  drop(&ms, &leaf); /* bytes 262144..524287 */
  dag_mod_t *m = open_ok(&ms, &r.cid);
  assert_int_equal(dag_mod_seek(m, 300000), 0);
  assert_int_equal(dag_mod_write(m, d, 10), 0);
  dag_import_result_t r2;
  assert_int_equal(dag_mod_finish(m, &r2), TR_ENOTFOUND);
  assert_int_equal(dag_mod_seek(m, 0), TR_ENOTFOUND);
  dag_mod_free(m);
  m = open_ok(&ms, &r.cid);
  assert_int_equal(dag_mod_truncate(m, 600000), TR_ENOTFOUND);
  dag_mod_free(m);
  /* The root itself missing. */
  drop(&ms, &r.cid);
  assert_int_equal(dag_mod_new(&m, &r.cid, NULL, ms_get, ms_put, &ms),
                   TR_ENOTFOUND);
  free(d);
  ms_free(&ms);
}

static void test_absurd_offsets(void **state) {
  (void)state;
  memstore_t ms = {0};
  dag_mod_t *m;
  assert_int_equal(dag_mod_new(&m, NULL, NULL, ms_get, ms_put, &ms), 0);
  assert_int_equal(dag_mod_seek(m, (uint64_t)1 << 63), TR_ETOOBIG);
  assert_int_equal(dag_mod_truncate(m, UINT64_MAX), TR_ETOOBIG);
  assert_int_equal(dag_mod_seek(m, DAG_MOD_MAX_SIZE + 1), TR_ETOOBIG);
  assert_int_equal(dag_mod_write(m, "x", SIZE_MAX), TR_ETOOBIG);
  dag_import_result_t r;
  assert_int_equal(dag_mod_finish(m, &r), 0);
  assert_string_equal(cstr(&r.cid),
                      "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
  dag_mod_free(m);
  ms_free(&ms);
}

/* ------------------------------------------------------------- memory */

static size_t live, peak;
static void *cnt_malloc(size_t n, void *d) {
  (void)d;
  size_t *p = malloc(n + 16);
  if (!p)
    return NULL;
  *p = n;
  live += n;
  if (live > peak)
    peak = live;
  return (char *)p + 16;
}
static void cnt_free(void *p, void *d) {
  (void)d;
  if (!p)
    return;
  size_t *h = (size_t *)((char *)p - 16);
  live -= *h;
  free(h);
}
static void *cnt_calloc(size_t n, size_t s, void *d) {
  void *p = cnt_malloc(n * s, d);
  if (p)
    memset(p, 0, n * s);
  return p;
}
static void *cnt_realloc(void *p, size_t n, void *d) {
  void *q = cnt_malloc(n, d);
  if (q && p) {
    size_t old = *(size_t *)((char *)p - 16);
    memcpy(q, p, old < n ? old : n);
    cnt_free(p, d);
  }
  return q;
}
static const tr_mem_t cnt_mem = {cnt_malloc, cnt_free, cnt_calloc,
                                 cnt_realloc, NULL};

/* A 64 MiB append and a 64 MiB sparse seek: the modifier's own memory
 * stays near the write buffer (2 MiB), whatever the file's size. */
static void test_bounded_memory(void **state) {
  (void)state;
  memstore_t ms = {0};
  uint8_t *d = splitmix_alloc(9, 1 << 20);
  live = peak = 0;
  tr_mem_set(&cnt_mem);
  dag_mod_t *m;
  assert_int_equal(dag_mod_new(&m, NULL, NULL, ms_get, ms_put, &ms), 0);
  for (int i = 0; i < 64; i++)
    assert_int_equal(dag_mod_write(m, d, 1 << 20), 0);
  assert_int_equal(dag_mod_seek(m, (uint64_t)128 << 20), 0);
  dag_import_result_t r;
  assert_int_equal(dag_mod_finish(m, &r), 0);
  dag_mod_free(m);
  tr_mem_set(NULL);
  assert_int_equal(live, 0);
  if (peak >= (5u << 20)) /* ~2 MiB buffer, its realloc, nodes */
    fail_msg("peak %zu bytes", peak);
  assert_int_equal(r.size, (uint64_t)128 << 20);
  free(d);
  ms_free(&ms);
}

/* Where boxo stamps time.Now(): an append that leaves the root without
 * subtrees, and a rewritten or cut leaf. */
static void test_mtime_now(void **state) {
  (void)state;
  memstore_t ms = {0};
  dag_import_opts_t o;
  assert_int_equal(dag_import_profile(&o, "unixfs-v0-2015"), 0);
  o.layout = DAG_LAYOUT_TRICKLE;
  dag_file_t *f;
  assert_int_equal(dag_file_new(&f, &o, ms_put, &ms), 0);
  dag_meta_t meta = {.has_mtime = true, .mtime_sec = 1000};
  dag_file_set_meta(f, &meta);
  assert_int_equal(dag_file_write(f, "abc", 3), 0);
  dag_import_result_t r;
  assert_int_equal(dag_file_finish(f, &r), 0);
  dag_file_free(f);
  dag_mod_opts_t mo = {.raw_leaves = DAG_MOD_RAW_DEFAULT,
                       .has_now = true,
                       .now_sec = 2000,
                       .now_nsec = 5};
  dag_mod_t *m;
  assert_int_equal(dag_mod_new(&m, &r.cid, &mo, ms_get, ms_put, &ms), 0);
  assert_int_equal(dag_mod_seek(m, 3), 0);
  assert_int_equal(dag_mod_write(m, "def", 3), 0);
  assert_int_equal(dag_mod_finish(m, &r), 0);
  dag_mod_free(m);
  dag_node_info_t info;
  assert_int_equal(dag_stat(&r.cid, ms_get, &ms, &info), 0);
  assert_true(info.has_mtime);
  assert_int_equal(info.mtime_sec, 2000);
  assert_int_equal(info.mtime_nsec, 5);
  assert_int_equal(info.size, 6);
  ms_free(&ms);
}

static void test_alloc_failures(void **state) {
  (void)state;
  uint8_t *d = splitmix_alloc(4, 600000);
  for (long k = 0;; k++) {
    memstore_t ms = {0};
    dag_import_opts_t o;
    assert_int_equal(dag_import_profile(&o, "unixfs-v0-2015"), 0);
    dag_import_result_t r;
    assert_int_equal(dag_import_bytes(&o, d, 300000, ms_put, &ms, &r), 0);
    fm_start(k);
    dag_mod_t *m = NULL;
    int rc = dag_mod_new(&m, &r.cid, NULL, ms_get, ms_put, &ms);
    if (!rc)
      rc = dag_mod_seek(m, 100000);
    if (!rc)
      rc = dag_mod_write(m, d, 600000);
    if (!rc)
      rc = dag_mod_truncate(m, 500000);
    if (!rc)
      rc = dag_mod_finish(m, &r);
    dag_mod_free(m);
    fm_reset();
    ms_free(&ms);
    if (!rc)
      break;
    assert_int_equal(rc, -ENOMEM);
  }
  free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vectors),
      cmocka_unit_test(test_not_a_file),
      cmocka_unit_test(test_lying_sizes),
      cmocka_unit_test(test_missing_blocks),
      cmocka_unit_test(test_absurd_offsets),
      cmocka_unit_test(test_bounded_memory),
      cmocka_unit_test(test_mtime_now),
      cmocka_unit_test(test_alloc_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

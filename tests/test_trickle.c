/*
 * test_trickle.c — the trickle layout of dag/importer.h (dag/trickle.c):
 * root CIDs of `ipfs add --trickle` from Kubo v0.43.1 for PRNG bytes
 * (tests/vectors/trickle_vectors.h, made by tests/gen_modify_vectors.sh)
 * over every leaf and CID option, small chunkers for deep trees, and
 * metadata; the shape (leaves then groups of 4 subtrees, Raw-type dag-pb
 * leaves); independence from how the bytes are fed; reading back through
 * dag/reader.h; allocation failures.
 */
#include "testutil.h"

#include "../dag/dagpb.h"
#include "../dag/importer.h"
#include "../dag/reader.h"
#include "memstore.h"
#include "splitmix.h"
#include "vectors/trickle_vectors.h"

/* Kubo's `ipfs add` flags as options: v0 dag-pb leaves by default, raw
 * leaves with CIDv1 unless --raw-leaves=false. */
static void parse_flags(const char *fl, dag_import_opts_t *o, dag_meta_t *m) {
  assert_int_equal(dag_import_profile(o, "unixfs-v0-2015"), 0);
  o->layout = DAG_LAYOUT_TRICKLE;
  memset(m, 0, sizeof *m);
  int raw = -1;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", fl);
  static char chunker[64];
  for (char *sv, *t = strtok_r(buf, " ", &sv); t; t = strtok_r(NULL, " ", &sv)) {
    if (!strcmp(t, "--raw-leaves"))
      raw = 1;
    else if (!strcmp(t, "--raw-leaves=false"))
      raw = 0;
    else if (!strcmp(t, "--cid-version=1"))
      o->cid_version = 1;
    else if (!strncmp(t, "--hash=", 7))
      assert_int_equal(dag_mh_from_name(t + 7, &o->mh_code), 0);
    else if (!strncmp(t, "--chunker=", 10)) {
      snprintf(chunker, sizeof chunker, "%s", t + 10);
      o->chunker = chunker;
    } else if (!strncmp(t, "--mode=", 7)) {
      m->has_mode = true;
      m->mode = (uint32_t)strtoul(t + 7, NULL, 8);
    } else if (!strncmp(t, "--mtime=", 8)) {
      m->has_mtime = true;
      m->mtime_sec = strtoll(t + 8, NULL, 10);
    } else
      fail_msg("unknown flag %s", t);
  }
  o->raw_leaves = raw >= 0 ? raw == 1 : o->cid_version == 1;
}

/* Import data through the streaming API, n bytes per write (0: all at
 * once through dag_file_space/commit). */
static size_t sink_bytes;
static int sink_put(const dag_cid_t *cid, const uint8_t *data, size_t len,
                    void *ud) {
  (void)ud;
  if (dag_cid_verify(cid, data, len))
    abort();
  sink_bytes += len;
  return 0;
}

static int import(const dag_import_opts_t *o, const dag_meta_t *m,
                  const uint8_t *d, size_t len, size_t step, memstore_t *ms,
                  dag_import_result_t *r) {
  dag_file_t *f;
  int rc = ms ? dag_file_new(&f, o, ms_put, ms)
              : dag_file_new(&f, o, sink_put, NULL);
  if (rc)
    return rc;
  if (m->has_mode || m->has_mtime)
    dag_file_set_meta(f, m);
  size_t off = 0;
  while (!rc && off < len) {
    if (step) {
      size_t k = len - off < step ? len - off : step;
      rc = dag_file_write(f, d + off, k);
      off += k;
    } else {
      size_t room;
      uint8_t *p = dag_file_space(f, &room);
      size_t k = len - off < room ? len - off : room;
      memcpy(p, d + off, k);
      rc = dag_file_commit(f, k);
      off += k;
    }
  }
  int rc2 = dag_file_finish(f, r);
  dag_file_free(f);
  return rc ? rc : rc2;
}

typedef struct cat {
  const uint8_t *want;
  size_t off;
} cat_t;

static int cat_cb(const uint8_t *p, size_t n, void *ud) {
  cat_t *c = ud;
  assert_memory_equal(p, c->want + c->off, n);
  c->off += n;
  return 0;
}

static void test_kubo_vectors(void **state) {
  (void)state;
  for (size_t i = 0; i < TR_ARRAY_LEN(trickle_vectors); i++) {
    dag_import_opts_t o;
    dag_meta_t m;
    parse_flags(trickle_vectors[i].flags, &o, &m);
    size_t len = (size_t)trickle_vectors[i].len;
    uint8_t *d = splitmix_alloc(trickle_vectors[i].seed, len);
    static const size_t steps[] = {0, 1 << 20, 4093};
    for (size_t s = 0; s < TR_ARRAY_LEN(steps); s++) {
      if (s == 2 && len > 200000)
        break; /* small writes: short inputs only */
      /* memstore searches linearly: DAGs of many blocks go to a sink that
       * only checks and counts them, and are not read back. */
      bool big = len / 64 > 4000 && strstr(trickle_vectors[i].flags, "size-");
      memstore_t ms = {0};
      dag_import_result_t r;
      int rc = import(&o, &m, d, len, steps[s], big ? NULL : &ms, &r);
      if (rc)
        fail_msg("vector %zu (%s): %s", i, trickle_vectors[i].flags,
                 tr_strerror(rc));
      char str[DAG_CID_STR_MAX];
      if (strcmp(dag_cid_str(&r.cid, str), trickle_vectors[i].cid))
        fail_msg("vector %zu (%llu bytes, %s): %s, Kubo %s", i,
                 (unsigned long long)len, trickle_vectors[i].flags, str,
                 trickle_vectors[i].cid);
      assert_int_equal(r.size, len);
      if (s == 0 && !big) {
        cat_t c = {d, 0};
        assert_int_equal(
            dag_cat(&r.cid, 0, UINT64_MAX, ms_get, &ms, cat_cb, &c), 0);
        assert_int_equal(c.off, len);
        /* Tsize: every block once (the PRNG repeats nothing). */
        assert_int_equal(r.tsize, ms.bytes);
      }
      ms_free(&ms);
    }
    free(d);
  }
}

/* One chunk: a root File node with one link to a Raw-type leaf. */
static void test_shape_one_chunk(void **state) {
  (void)state;
  dag_import_opts_t o;
  dag_meta_t m;
  parse_flags("", &o, &m);
  memstore_t ms = {0};
  dag_import_result_t r;
  assert_int_equal(dag_import_bytes(&o, "hello\n", 6, ms_put, &ms, &r), 0);
  assert_string_equal(dag_cid_str(&r.cid, (char[DAG_CID_STR_MAX]){0}),
                      "QmcFUHo1DBpydnTSeuXszKgQqnXQCJq6Wu1BUdzEfuRahM");
  assert_int_equal(ms.n, 2);
  /* The leaf: 0a 0c 08 00 12 06 "hello\n" 18 06. */
  static const uint8_t leaf[] = {0x0a, 0x0c, 0x08, 0x00, 0x12, 0x06, 'h', 'e',
                                 'l',  'l',  'o',  '\n', 0x18, 0x06};
  assert_int_equal(ms.b[0].len, sizeof leaf);
  assert_memory_equal(ms.b[0].data, leaf, sizeof leaf);
  ms_free(&ms);
}

static int count_links(const dag_pb_link_t *l, size_t i, void *ud) {
  (void)l;
  (void)i;
  ++*(size_t *)ud;
  return 0;
}

/* max_links 3, 2-byte chunks: the root takes 3 leaves, then 4 subtrees of
 * depth 1 (3 leaves each), then 4 of depth 2 (3 leaves + 4 of depth 1). */
static void test_shape_small(void **state) {
  (void)state;
  dag_import_opts_t o;
  dag_meta_t m;
  parse_flags("--raw-leaves --chunker=size-2", &o, &m);
  o.max_links = 3;
  size_t leaves = 3 + 4 * 3 + 4 * (3 + 4 * 3) + 1; /* one into depth 3 */
  uint8_t *d = splitmix_alloc(5, 2 * leaves);
  memstore_t ms = {0};
  dag_import_result_t r;
  assert_int_equal(dag_import_bytes(&o, d, 2 * leaves, ms_put, &ms, &r), 0);
  const uint8_t *blk = NULL;
  size_t len = 0, n = 0;
  assert_int_equal(ms_get(&r.cid, &blk, &len, &ms), 0);
  dag_pb_node_t nd;
  assert_int_equal(dag_pb_decode(blk, len, count_links, &n, &nd), 0);
  assert_int_equal(n, 3 + 4 + 4 + 1);
  /* raw leaves, every internal node a File node: leaves + internal nodes */
  size_t internal = 1 + 4 + 4 * (1 + 4) + 1;
  assert_int_equal(ms.n, leaves + internal);
  cat_t c = {d, 0};
  assert_int_equal(dag_cat(&r.cid, 0, UINT64_MAX, ms_get, &ms, cat_cb, &c), 0);
  assert_int_equal(c.off, 2 * leaves);
  ms_free(&ms);
  free(d);
}

static void test_bad_layout(void **state) {
  (void)state;
  dag_import_opts_t o;
  assert_int_equal(dag_import_profile(&o, NULL), 0);
  o.layout = 7;
  dag_file_t *f;
  assert_int_equal(dag_file_new(&f, &o, ms_put, NULL), TR_EUSAGE);
}

static void test_alloc_failures(void **state) {
  (void)state;
  dag_import_opts_t o;
  dag_meta_t m;
  parse_flags("--chunker=size-64", &o, &m);
  uint8_t *d = splitmix_alloc(6, 30000);
  for (long k = 0;; k++) {
    memstore_t ms = {0};
    dag_import_result_t r;
    fm_start(k);
    int rc = dag_import_bytes(&o, d, 30000, ms_put, &ms, &r);
    fm_reset();
    ms_free(&ms);
    if (rc == 0)
      break;
    assert_int_equal(rc, -ENOMEM);
  }
  free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kubo_vectors),
      cmocka_unit_test(test_shape_one_chunk),
      cmocka_unit_test(test_shape_small),
      cmocka_unit_test(test_bad_layout),
      cmocka_unit_test(test_alloc_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

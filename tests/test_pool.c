/*
 * test_pool.c — common/pool.h's parallel for-loop, and the importer's
 * hashing on it (dag_file_set_pool): every index runs exactly once, on no
 * more threads than asked, also in two steps (start, wait) and with two
 * callers at once on one pool; and
 * an import hashed on a pool gives the root, the blocks and the
 * children-before-parents order of the same import without one, for every
 * leaf kind, chunker, layout and hash the pool takes, fed whole, in reads
 * that fill the buffer, and in odd pieces; a put that fails mid-batch
 * fails the file.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>

#include "../common/pool.h"
#include "../dag/dagpb.h"
#include "../dag/importer.h"
#include "memstore.h"

/* ------------------------------------------------------------- the pool */

typedef struct count {
  atomic_uint *hits;
  atomic_uint running, most; /* calls inside fn now, and at most */
} count_t;

static void count_fn(void *ctx, size_t i) {
  count_t *c = ctx;
  unsigned now = atomic_fetch_add(&c->running, 1) + 1;
  unsigned m = atomic_load(&c->most);
  while (now > m && !atomic_compare_exchange_weak(&c->most, &m, now))
    ;
  atomic_fetch_add(&c->hits[i], 1);
  for (volatile int k = 0; k < 20000; k++) /* long enough to overlap */
    ;
  atomic_fetch_sub(&c->running, 1);
}

static void run_counted(tr_pool_t *p, unsigned threads, size_t n,
                        unsigned most_allowed) {
  count_t c = {.hits = calloc(n ? n : 1, sizeof *c.hits)};
  tr_pool_run(p, threads, n, count_fn, &c);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(atomic_load(&c.hits[i]), 1);
  assert_true(atomic_load(&c.most) <= most_allowed);
  assert_int_equal(atomic_load(&c.running), 0);
  free(c.hits);
}

static void test_each_index_once(void **state) {
  (void)state;
  tr_pool_t *p;
  assert_int_equal(tr_pool_new(&p, 4), 0);
  assert_int_equal(tr_pool_threads(p), 4);
  assert_int_equal(tr_pool_threads(NULL), 1);
  for (size_t n = 0; n < 40; n++) {
    run_counted(p, 0, n, 4);
    run_counted(p, 2, n, 2);
    run_counted(p, 1, n, 1);
    run_counted(p, 9, n, 4); /* more than the pool has: all of it */
  }
  run_counted(p, 3, 5000, 3);
  /* In two steps, the caller busy between them (a dag import reads). */
  for (size_t n = 0; n < 40; n += 3) {
    count_t c = {.hits = calloc(n + 1, sizeof *c.hits)};
    tr_pool_job_t j;
    tr_pool_start(p, &j, 0, n, count_fn, &c);
    for (volatile int k = 0; k < 100000; k++)
      ;
    tr_pool_wait(&j);
    for (size_t i = 0; i < n; i++)
      assert_int_equal(atomic_load(&c.hits[i]), 1);
    assert_int_equal(atomic_load(&c.running), 0);
    free(c.hits);
  }
  run_counted(NULL, 0, 100, 1);
  tr_pool_free(p);
  assert_int_equal(tr_pool_new(&p, 1), 0); /* no worker */
  assert_int_equal(tr_pool_threads(p), 1);
  run_counted(p, 0, 50, 1);
  tr_pool_free(p);
}

typedef struct caller {
  tr_pool_t *p;
  int rounds;
} caller_t;

static void *caller_main(void *arg) {
  caller_t *c = arg;
  for (int r = 0; r < c->rounds; r++)
    run_counted(c->p, 0, 1 + (size_t)r % 64, 4);
  return NULL;
}

/* Two callers at once: each run still gets every index exactly once (a
 * run that finds the workers busy does its own items). */
static void test_two_callers(void **state) {
  (void)state;
  tr_pool_t *p;
  assert_int_equal(tr_pool_new(&p, 4), 0);
  caller_t c = {p, 400};
  pthread_t a, b;
  assert_int_equal(pthread_create(&a, NULL, caller_main, &c), 0);
  assert_int_equal(pthread_create(&b, NULL, caller_main, &c), 0);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  tr_pool_free(p);
}

/* --------------------------------------------------- imports on a pool */

static uint8_t *noise(size_t n, uint32_t seed) {
  uint8_t *b = malloc(n ? n : 1);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    b[i] = (uint8_t)x;
  }
  return b;
}

/* Import data[0..n) with o, on pool (NULL: sequential), fed as mode says:
 * 0 one write, 1 reads that fill dag_file_space's buffer, 2 writes of odd
 * sizes; meta on the file when given.  The blocks go to ms (which checks
 * each against its CID); the root is returned. */
static dag_cid_t import(const dag_import_opts_t *o, tr_pool_t *pool,
                        const uint8_t *data, size_t n, int mode,
                        const dag_meta_t *meta, memstore_t *ms) {
  dag_file_t *f;
  assert_int_equal(dag_file_new(&f, o, ms_put, ms), 0);
  assert_int_equal(dag_file_set_pool(f, pool, 0), 0);
  dag_file_set_meta(f, meta);
  size_t off = 0;
  while (off < n) {
    size_t k = n - off;
    if (mode == 1) {
      size_t room;
      uint8_t *d = dag_file_space(f, &room);
      k = k < room ? k : room;
      memcpy(d, data + off, k);
      assert_int_equal(dag_file_commit(f, k), 0);
    } else {
      if (mode == 2 && k > 1 + (off * 31) % 700001)
        k = 1 + (off * 31) % 700001;
      assert_int_equal(dag_file_write(f, data + off, k), 0);
    }
    off += k;
  }
  dag_import_result_t r;
  assert_int_equal(dag_file_finish(f, &r), 0);
  dag_file_free(f);
  return r.cid;
}

/* Every dag-pb block's links name blocks stored before it. */
typedef struct before {
  const memstore_t *ms;
  size_t i;
} before_t;

static int link_before(const dag_pb_link_t *l, size_t index, void *ud) {
  (void)index;
  before_t *b = ud;
  for (size_t j = 0; j < b->i; j++)
    if (dag_cid_equal(&b->ms->b[j].cid, &l->cid))
      return 0;
  return -1;
}

static void assert_children_first(const memstore_t *ms) {
  for (size_t i = 0; i < ms->n; i++) {
    if (ms->b[i].cid.codec != DAG_CODEC_DAG_PB)
      continue;
    dag_pb_node_t nd;
    before_t b = {ms, i};
    assert_int_equal(
        dag_pb_decode(ms->b[i].data, ms->b[i].len, link_before, &b, &nd), 0);
  }
}

static void assert_same_blocks(const memstore_t *a, const memstore_t *b) {
  assert_int_equal(a->n, b->n);
  assert_int_equal(a->bytes, b->bytes);
  for (size_t i = 0; i < a->n; i++) {
    memblock_t *m = ms_find((memstore_t *)b, &a->b[i].cid);
    assert_non_null(m);
    assert_int_equal(m->len, a->b[i].len);
    assert_memory_equal(m->data, a->b[i].data, m->len);
  }
}

static void test_import_same_on_pool(void **state) {
  (void)state;
  static const struct {
    const char *profile, *chunker;
    int layout;
    uint64_t mh;
    bool raw;
  } cases[] = {
      {NULL, "size-1048576", DAG_LAYOUT_BALANCED, DAG_MH_SHA2_256, true},
      {NULL, "size-65536", DAG_LAYOUT_BALANCED, DAG_MH_SHA2_256, true},
      {NULL, "size-65536", DAG_LAYOUT_BALANCED, DAG_MH_BLAKE3, true},
      {NULL, "size-65536", DAG_LAYOUT_TRICKLE, DAG_MH_SHA2_256, true},
      {NULL, "rabin-16384", DAG_LAYOUT_BALANCED, DAG_MH_SHA2_256, true},
      {NULL, "buzhash", DAG_LAYOUT_BALANCED, DAG_MH_SHA2_256, true},
      {"unixfs-v0-2015", NULL, DAG_LAYOUT_BALANCED, DAG_MH_SHA2_256, false},
      {"unixfs-v0-2015", "size-4096", DAG_LAYOUT_BALANCED, DAG_MH_SHA2_256,
       false},
      {"unixfs-v0-2015", "size-4096", DAG_LAYOUT_TRICKLE, DAG_MH_SHA2_256,
       false},
      {"unixfs-v0-2015", "rabin-16384", DAG_LAYOUT_BALANCED, DAG_MH_SHA2_256,
       false},
      /* dag-pb leaves with another hash stay sequential */
      {NULL, "size-65536", DAG_LAYOUT_BALANCED, DAG_MH_BLAKE3, false},
  };
  static const size_t sizes[] = {0, 1, 4096, 65536 * 3 + 7, 3000001};
  tr_pool_t *pool;
  assert_int_equal(tr_pool_new(&pool, 3), 0);
  dag_meta_t meta = {.has_mode = true, .mode = 0644};
  for (size_t c = 0; c < TR_ARRAY_LEN(cases); c++) {
    dag_import_opts_t o;
    assert_int_equal(dag_import_profile(&o, cases[c].profile), 0);
    if (cases[c].chunker)
      o.chunker = cases[c].chunker;
    o.layout = cases[c].layout;
    o.mh_code = cases[c].mh;
    o.raw_leaves = cases[c].raw;
    o.max_links = 7; /* deep trees from few leaves: nodes amid batches */
    if (o.mh_code != DAG_MH_SHA2_256)
      o.cid_version = 1;
    for (size_t s = 0; s < TR_ARRAY_LEN(sizes); s++) {
      uint8_t *data = noise(sizes[s], (uint32_t)(c * 10 + s));
      for (int m = 0; m < 2; m++) {
        const dag_meta_t *mt = m ? &meta : NULL;
        memstore_t seq = {0};
        dag_cid_t want = import(&o, NULL, data, sizes[s], 0, mt, &seq);
        for (int mode = 0; mode < 3; mode++) {
          memstore_t par = {0};
          dag_cid_t got = import(&o, pool, data, sizes[s], mode, mt, &par);
          if (!dag_cid_equal(&want, &got))
            fail_msg("case %zu size %zu meta %d mode %d: root differs", c,
                     sizes[s], m, mode);
          assert_same_blocks(&seq, &par);
          assert_children_first(&par);
          ms_free(&par);
        }
        ms_free(&seq);
      }
      free(data);
    }
  }
  tr_pool_free(pool);
}

/* A put that fails amid a batch fails the file with its error; the
 * builder then takes the next file. */
static void test_put_failure_on_pool(void **state) {
  (void)state;
  tr_pool_t *pool;
  assert_int_equal(tr_pool_new(&pool, 3), 0);
  dag_import_opts_t o;
  assert_int_equal(dag_import_profile(&o, NULL), 0);
  o.chunker = "size-1000";
  o.max_links = 3;
  uint8_t *data = noise(50000, 9);
  for (int at = 1; at <= 50 + 17 + 6 + 2 + 1; at += 3) { /* every put */
    memstore_t ms = {.fail_put_at = at};
    dag_file_t *f;
    assert_int_equal(dag_file_new(&f, &o, ms_put, &ms), 0);
    assert_int_equal(dag_file_set_pool(f, pool, 0), 0);
    int rc = dag_file_write(f, data, 50000);
    dag_import_result_t r;
    int rc2 = dag_file_finish(f, &r);
    assert_int_equal(rc ? rc : rc2, -5);
    ms.fail_put_at = 0;
    assert_int_equal(dag_file_write(f, data, 12345), 0);
    assert_int_equal(dag_file_finish(f, &r), 0);
    dag_file_free(f);
    ms_free(&ms);
  }
  free(data);
  tr_pool_free(pool);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_each_index_once),
      cmocka_unit_test(test_two_callers),
      cmocka_unit_test(test_import_same_on_pool),
      cmocka_unit_test(test_put_failure_on_pool),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

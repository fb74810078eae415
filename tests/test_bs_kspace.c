/*
 * test_bs_kspace.c — the blockstore's keyspace index (bs_kspace_range) and
 * the reprovider's keys over it (dht_reprov_keys):
 *  - exactness: random puts (new and repeated), deletes, pins and GCs, and
 *    after each round the index equals what a scan of the blocks says
 *    (every stored multihash once, under its SHA-256, in order);
 *  - an old repo (schema 1, no index): read-only it has none
 *    (TR_ESCHEMA, and the reprovider falls back to the scan); the first
 *    writable open builds it, in several chunks, dropping what a build cut
 *    short had left, and writes schema 2;
 *  - the reprovider's pages for "all" from the index equal those of the
 *    scan, region by region, page by page;
 *  - the index's log (kspace.c): past its size the puts fold it into the
 *    index; ranges from a point inside a bucket, deletes from either
 *    side, a hash in both given once, and GC empties both.
 */
#include "testutil.h"

#include <lmdb.h>

#include "bs_fixture.h"
#include "../dag/dagpb.h"
#include "../dag/multihash.h"
#include "../dht/reprov.h"

typedef bs_fixture_t fx_t;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

static dag_cid_t raw_cid(uint32_t seed, uint8_t *buf, size_t *len) {
  *len = 8 + seed % 24;
  for (size_t i = 0; i < *len; i++)
    buf[i] = (uint8_t)(seed * 31 + i * 7);
  dag_cid_t cid;
  assert_int_equal(
      dag_cid_sum(&cid, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, buf, *len), 0);
  return cid;
}

static dag_cid_t put_raw(bs_txn_t *t, uint32_t seed) {
  uint8_t buf[64];
  size_t len;
  dag_cid_t cid = raw_cid(seed, buf, &len);
  assert_int_equal(bs_put(t, &cid, buf, len), 0);
  return cid;
}

/* ------------------------------------------------- index against a scan */

typedef struct mh {
  uint8_t len;
  uint8_t b[DAG_MH_MAX];
} mh_t;

typedef struct list {
  mh_t *v;
  size_t n, cap;
  uint8_t prev[32];
  bool bad;
} list_t;

static void add(list_t *l, const uint8_t *mh, size_t n) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 256;
    l->v = realloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n].len = (uint8_t)n;
  memcpy(l->v[l->n++].b, mh, n);
}

static int on_index(const uint8_t h[32], const uint8_t *mh, size_t mhl,
                    void *ud) {
  list_t *l = ud;
  uint8_t want[32];
  dag_sha256(mh, mhl, want);
  /* Under its own SHA-256, strictly after the previous key. */
  if (memcmp(h, want, 32) || (l->n && memcmp(l->prev, h, 32) >= 0))
    l->bad = true;
  memcpy(l->prev, h, 32);
  add(l, mh, mhl);
  return 0;
}

static int on_block(const dag_cid_t *cid, const uint8_t *d, size_t n,
                    void *ud) {
  (void)d, (void)n;
  size_t ml;
  const uint8_t *mh = dag_cid_mh(cid, &ml);
  add(ud, mh, ml);
  return 0;
}

static int mh_cmp(const void *a, const void *b) {
  const mh_t *x = a, *y = b;
  if (x->len != y->len)
    return x->len - y->len;
  return memcmp(x->b, y->b, x->len);
}

/* The index holds exactly the stored blocks' multihashes; returns how
 * many. */
static size_t check_exact(bs_env_t *env) {
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(env, BS_RDONLY, &t), 0);
  list_t idx = {0}, scan = {0};
  uint8_t zero[32] = {0};
  assert_int_equal(bs_kspace_range(t, zero, on_index, &idx), 0);
  assert_int_equal(bs_foreach(t, on_block, &scan), 0);
  bs_txn_abort(t);
  assert_false(idx.bad);
  assert_int_equal(idx.n, scan.n);
  if (idx.n) { /* qsort of an empty (NULL) list: UB */
    qsort(idx.v, idx.n, sizeof *idx.v, mh_cmp);
    qsort(scan.v, scan.n, sizeof *scan.v, mh_cmp);
  }
  for (size_t i = 0; i < idx.n; i++)
    assert_int_equal(mh_cmp(&idx.v[i], &scan.v[i]), 0);
  size_t n = idx.n;
  free(idx.v);
  free(scan.v);
  return n;
}

static int on_pin(const bs_pin_t *p, void *ud) {
  add(ud, p->cid.bytes, p->cid.len); /* the whole binary CID */
  return 0;
}

static void test_exact_through_put_del_gc(void **state) {
  fx_t *f = *state;
  dag_cid_t live[400];
  size_t nlive = 0;
  for (int round = 0; round < 30; round++) {
    bs_txn_t *t;
    assert_int_equal(bs_txn_begin(f->env, 0, &t), 0);
    /* New blocks, some put twice (no second entry), a dag-pb node over a
     * few of them, sometimes pinned. */
    for (int i = 0; i < 20; i++) {
      uint32_t seed = rnd() % 600;
      dag_cid_t c = put_raw(t, seed);
      if (rnd() % 4 == 0)
        put_raw(t, seed);
      if (nlive < TR_ARRAY_LEN(live))
        live[nlive++] = c;
    }
    if (nlive >= 3) {
      dag_pb_link_t links[3];
      for (int i = 0; i < 3; i++) {
        memset(&links[i], 0, sizeof links[i]);
        links[i].cid = live[rnd() % nlive];
      }
      uint8_t buf[1024];
      int len = dag_pb_encode(links, 3, NULL, 0, false, buf, sizeof buf);
      assert_true(len > 0);
      dag_cid_t node;
      assert_int_equal(dag_cid_sum(&node, 1, DAG_CODEC_DAG_PB,
                                   DAG_MH_SHA2_256, buf, (size_t)len),
                       0);
      assert_int_equal(bs_put(t, &node, buf, (size_t)len), 0);
      if (rnd() % 2) { /* a child deleted earlier: refused, fine */
        int rc = bs_pin_add(t, &node, BS_PIN_RECURSIVE, NULL, NULL);
        assert_true(rc == 0 || rc == TR_EINCOMPLETE);
      }
    }
    /* Deletes (block rm), of blocks there or already gone. */
    for (int i = 0; i < 5 && nlive; i++) {
      size_t at = rnd() % nlive;
      int rc = bs_del(t, &live[at]);
      assert_true(rc == 0 || rc == TR_ENOTFOUND);
      live[at] = live[--nlive];
    }
    if (rnd() % 3 == 0) {
      bs_txn_abort(t); /* rolled back: the index with it */
    } else {
      assert_int_equal(bs_txn_commit(t), 0);
    }
    if (round % 7 == 6) {
      bs_gc_stats_t st;
      assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
    }
    check_exact(f->env);
  }
  /* Everything unpinned and collected: an empty index. */
  bs_gc_stats_t st;
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(f->env, 0, &t), 0);
  list_t pins = {0};
  assert_int_equal(bs_pin_ls(t, BS_PIN_RECURSIVE, on_pin, &pins), 0);
  for (size_t i = 0; i < pins.n; i++) {
    dag_cid_t c;
    assert_int_equal(dag_cid_decode(&c, pins.v[i].b, pins.v[i].len),
                     pins.v[i].len);
    assert_int_equal(bs_pin_rm(t, &c, true), 0);
  }
  free(pins.v);
  assert_int_equal(bs_txn_commit(t), 0);
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(check_exact(f->env), 0);
}

/* ------------------------------------------------------ old repo upgrade */

/* Make f's repo look as a schema-1 repo, or one whose build was cut
 * short: the index's database gone (or left with a stray entry), no mark,
 * schema 1. */
/* f's repo closed and opened with LMDB itself, in a write transaction. */
static MDB_txn *raw_begin(fx_t *f, MDB_env **e) {
  bs_close(f->env);
  f->env = NULL;
  MDB_txn *t;
  assert_int_equal(mdb_env_create(e), 0);
  assert_int_equal(mdb_env_set_maxdbs(*e, 8), 0);
  assert_int_equal(mdb_env_set_mapsize(*e, 1ull << 30), 0);
  assert_int_equal(mdb_env_open(*e, f->dir, 0, 0600), 0);
  assert_int_equal(mdb_txn_begin(*e, NULL, 0, &t), 0);
  return t;
}

static void make_old(fx_t *f, bool partial) {
  MDB_env *e;
  MDB_txn *t = raw_begin(f, &e);
  MDB_dbi meta, ks;
  assert_int_equal(mdb_dbi_open(t, "meta", 0, &meta), 0);
  assert_int_equal(mdb_dbi_open(t, "kspace", 0, &ks), 0);
  if (partial) {
    uint8_t h[32];
    memset(h, 0xab, sizeof h);
    MDB_val k = {32, h}, v = {3, "abc"};
    assert_int_equal(mdb_put(t, ks, &k, &v, 0), 0);
  } else {
    assert_int_equal(mdb_drop(t, ks, 1), 0);
  }
  MDB_val mk = {6, "kspace"}, sk = {6, "schema"};
  uint32_t one = 1;
  MDB_val sv = {sizeof one, &one};
  assert_int_equal(mdb_del(t, meta, &mk, NULL), 0);
  assert_int_equal(mdb_put(t, meta, &sk, &sv, 0), 0);
  assert_int_equal(mdb_txn_commit(t), 0);
  mdb_env_close(e);
}

static uint32_t schema_of(fx_t *f) { return bs_fixture_schema(f->dir); }

static int count_cb(const uint8_t h[32], const uint8_t *mh, size_t mhl,
                    void *ud) {
  (void)h, (void)mh, (void)mhl;
  (*(size_t *)ud)++;
  return 0;
}

/* More blocks than one build chunk (65,536): the build takes several
 * transactions and resumes each after the last key. */
#define OLD_BLOCKS 70000

static void test_old_repo_upgrade(void **state) {
  fx_t *f = *state;
  bs_batch_t *b;
  assert_int_equal(bs_batch_begin(f->env, 0, &b), 0);
  for (uint32_t i = 0; i < OLD_BLOCKS; i++) {
    uint8_t buf[64];
    size_t len;
    dag_cid_t cid = raw_cid(i, buf, &len);
    /* distinct: the seed's bytes lead */
    memcpy(buf, &i, sizeof i);
    assert_int_equal(
        dag_cid_sum(&cid, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, buf, len), 0);
    assert_int_equal(bs_batch_put(b, &cid, buf, len), 0);
  }
  assert_int_equal(bs_batch_end(b, 1), 0);
  assert_int_equal(schema_of(f), BS_SCHEMA_VERSION);
  assert_int_equal(check_exact(f->env), OLD_BLOCKS);

  for (int partial = 0; partial < 2; partial++) {
    make_old(f, partial);
    assert_int_equal(schema_of(f), 1);
    /* Read-only: no index, and the reprovider scans instead. */
    assert_int_equal(bs_open(&f->env, f->dir, BS_RDONLY), 0);
    bs_txn_t *t;
    uint8_t zero[32] = {0};
    size_t n = 0;
    assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &t), 0);
    assert_int_equal(bs_kspace_range(t, zero, count_cb, &n), TR_ESCHEMA);
    bs_txn_abort(t);
    dht_reprov_src_t src = {f->env, DHT_PROVIDE_ALL, false, 0};
    dht_sweep_key_t out[16];
    assert_int_equal(dht_reprov_keys(&src, zero, 0, NULL, out, 16), 16);
    bs_close(f->env);
    /* Writable: built, exact (the stray entry gone), schema 2. */
    assert_int_equal(bs_open(&f->env, f->dir, 0), 0);
    assert_int_equal(check_exact(f->env), OLD_BLOCKS);
    assert_int_equal(schema_of(f), BS_SCHEMA_VERSION);
  }
  /* Opened again: nothing to build, the index still exact. */
  bs_close(f->env);
  assert_int_equal(bs_open(&f->env, f->dir, 0), 0);
  assert_int_equal(check_exact(f->env), OLD_BLOCKS);
}

/* ---------------------------------------------------------- the log */

/* Entries of the repo's kspace and kslog databases, read with LMDB
 * itself (the repo closed); with dup, one entry of the index is copied
 * into the log first (as a block deleted by a GC killed before its second
 * pass, then put again, leaves it). */
static void raw_counts(fx_t *f, size_t *idx, size_t *log, bool dup) {
  MDB_env *e;
  MDB_txn *t = raw_begin(f, &e);
  MDB_dbi ks, kl;
  MDB_stat st;
  assert_int_equal(mdb_dbi_open(t, "kspace", 0, &ks), 0);
  assert_int_equal(mdb_dbi_open(t, "kslog", 0, &kl), 0);
  if (dup) {
    MDB_cursor *c;
    MDB_val k, v;
    assert_int_equal(mdb_cursor_open(t, ks, &c), 0);
    assert_int_equal(mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
    uint8_t key[13] = {((const uint8_t *)k.mv_data)[0], 0xff, 0xff};
    assert_int_equal(mdb_put(t, kl, &(MDB_val){sizeof key, key}, &v, 0), 0);
    mdb_cursor_close(c);
  }
  assert_int_equal(mdb_stat(t, ks, &st), 0);
  *idx = st.ms_entries;
  assert_int_equal(mdb_stat(t, kl, &st), 0);
  *log = st.ms_entries;
  assert_int_equal(mdb_txn_commit(t), 0);
  mdb_env_close(e);
  assert_int_equal(bs_open(&f->env, f->dir, 0), 0);
}

typedef struct from_check {
  uint8_t from[32], prev[32];
  size_t n;
  bool bad;
} from_check_t;

static int on_from(const uint8_t h[32], const uint8_t *mh, size_t mhl,
                   void *ud) {
  (void)mh, (void)mhl;
  from_check_t *c = ud;
  if (memcmp(h, c->from, 32) < 0 || (c->n && memcmp(h, c->prev, 32) <= 0))
    c->bad = true;
  memcpy(c->prev, h, 32);
  c->n++;
  return 0;
}

static int collect_h(const uint8_t h[32], const uint8_t *mh, size_t mhl,
                     void *ud) {
  (void)mh, (void)mhl;
  add(ud, h, 32);
  return 0;
}

/* 100,000 blocks: past the log's 65,536 entries the puts fold buckets
 * into the index, and the two together hold every block once. */
#define LOG_BLOCKS 100000

static void test_log_folds_and_merges(void **state) {
  fx_t *f = *state;
  bs_batch_t *b;
  dag_cid_t *cids = malloc(LOG_BLOCKS * sizeof *cids);
  assert_int_equal(bs_batch_begin(f->env, 0, &b), 0);
  for (uint32_t i = 0; i < LOG_BLOCKS; i++) {
    uint8_t buf[64];
    size_t len;
    raw_cid(i, buf, &len);
    memcpy(buf, &i, sizeof i);
    assert_int_equal(dag_cid_sum(&cids[i], 1, DAG_CODEC_RAW, DAG_MH_SHA2_256,
                                 buf, len), 0);
    assert_int_equal(bs_batch_put(b, &cids[i], buf, len), 0);
  }
  assert_int_equal(bs_batch_end(b, 1), 0);
  assert_int_equal(check_exact(f->env), LOG_BLOCKS);
  size_t idx, log;
  raw_counts(f, &idx, &log, false);
  assert_true(log <= 65536 && log > 0);
  assert_true(idx >= LOG_BLOCKS - 65536);
  assert_int_equal(idx + log, LOG_BLOCKS);

  /* From a point inside a bucket (a stored key's, plus one): the keys
   * after it, in order, as many as the whole range has there. */
  bs_txn_t *t;
  list_t all = {0};
  uint8_t zero[32] = {0};
  assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &t), 0);
  assert_int_equal(bs_kspace_range(t, zero, collect_h, &all), 0);
  assert_int_equal(all.n, LOG_BLOCKS);
  for (size_t at = 1; at < all.n; at += all.n / 7) {
    from_check_t c = {0};
    memcpy(c.from, all.v[at].b, 32);
    c.from[31] ^= 1;
    assert_int_equal(bs_kspace_range(t, c.from, on_from, &c), 0);
    assert_false(c.bad);
    size_t want = 0;
    for (size_t i = 0; i < all.n; i++)
      want += memcmp(all.v[i].b, c.from, 32) >= 0;
    assert_int_equal(c.n, want);
  }
  bs_txn_abort(t);
  free(all.v);

  /* Deletes of blocks whose entries are in either. */
  assert_int_equal(bs_txn_begin(f->env, 0, &t), 0);
  size_t gone = 0;
  for (uint32_t i = 0; i < LOG_BLOCKS; i += 97, gone++)
    assert_int_equal(bs_del(t, &cids[i]), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  assert_int_equal(check_exact(f->env), LOG_BLOCKS - gone);

  /* A hash in both: given once, and GC drops both. */
  raw_counts(f, &idx, &log, true);
  assert_int_equal(idx + log, LOG_BLOCKS - gone + 1);
  assert_int_equal(check_exact(f->env), LOG_BLOCKS - gone);
  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(check_exact(f->env), 0);
  raw_counts(f, &idx, &log, false);
  assert_int_equal(idx + log, 0);
  free(cids);
}

/* ------------------------------------------------- the reprovider's keys */

/* Every region at 4 bits, paged by 7: the index gives what the scan
 * gives, key for key, and every key once in all. */
static void test_reprov_pages_index_vs_scan(void **state) {
  fx_t *f = *state;
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(f->env, 0, &t), 0);
  for (uint32_t i = 0; i < 500; i++)
    put_raw(t, i);
  assert_int_equal(bs_txn_commit(t), 0);
  dht_reprov_src_t idx = {f->env, DHT_PROVIDE_ALL, false, 0};
  dht_reprov_src_t scan = {f->env, DHT_PROVIDE_ALL, true, 0};
  size_t total = 0;
  for (unsigned r = 0; r < 16; r++) {
    uint8_t prefix[32] = {0};
    prefix[0] = (uint8_t)(r << 4);
    uint8_t after[32];
    bool have_after = false;
    for (;;) {
      dht_sweep_key_t a[7], b[7];
      int na = dht_reprov_keys(&idx, prefix, 4, have_after ? after : NULL,
                               a, 7);
      int nb = dht_reprov_keys(&scan, prefix, 4, have_after ? after : NULL,
                               b, 7);
      assert_true(na >= 0);
      assert_int_equal(na, nb);
      for (int i = 0; i < na; i++) {
        assert_int_equal(a[i].len, b[i].len);
        assert_memory_equal(a[i].mh, b[i].mh, a[i].len);
        uint8_t h[32];
        dag_sha256(a[i].mh, a[i].len, h);
        assert_int_equal(h[0] >> 4, r);
      }
      total += (size_t)na;
      if (na < 7)
        break;
      dag_sha256(a[na - 1].mh, a[na - 1].len, after);
      have_after = true;
    }
  }
  assert_int_equal(total, 500);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      bs_fixture_test(test_exact_through_put_del_gc),
      bs_fixture_test(test_old_repo_upgrade),
      bs_fixture_test(test_log_folds_and_merges),
      bs_fixture_test(test_reprov_pages_index_vs_scan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

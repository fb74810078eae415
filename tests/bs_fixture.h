/*
 * bs_fixture.h — a store in a fresh temporary directory, the fixture the
 * blockstore's tests (and those of what stores into it) start from, and
 * the blocks and transactions they make in it.  Include after testutil.h.
 */
#ifndef BS_FIXTURE_H
#define BS_FIXTURE_H

#include <lmdb.h>

#include "../blockstore/bs.h"
#include "../dag/dagpb.h"

/* Creates the directory and a store in it; fails the test if it cannot. */
static inline void bs_fixture_open(char **dir, bs_env_t **env) {
  *dir = tmpdir_new();
  assert_int_equal(bs_open(env, *dir, BS_CREATE), 0);
}

/* Closes the store and removes its directory (frees dir). */
static inline void bs_fixture_close(char *dir, bs_env_t *env) {
  bs_close(env);
  tmpdir_rm(dir);
}

/* cmocka set-up and tear-down for a test whose state is just the store. */
typedef struct bs_fixture {
  char *dir;
  bs_env_t *env;
} bs_fixture_t;

static inline int bs_fixture_setup(void **state) {
  bs_fixture_t *f = calloc(1, sizeof *f);
  bs_fixture_open(&f->dir, &f->env);
  *state = f;
  return 0;
}

static inline int bs_fixture_teardown(void **state) {
  bs_fixture_t *f = *state;
  bs_fixture_close(f->dir, f->env);
  free(f);
  return 0;
}

/* ------------------------------------------- blocks, transactions */

/* A raw block with deterministic content; returns its CID. */
static inline dag_cid_t raw_block(bs_txn_t *txn, uint32_t seed, size_t len) {
  uint8_t *buf = malloc(len ? len : 1);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < len; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    buf[i] = (uint8_t)x;
  }
  dag_cid_t cid;
  assert_int_equal(
      dag_cid_sum(&cid, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, buf, len), 0);
  if (txn)
    assert_int_equal(bs_put(txn, &cid, buf, len), 0);
  free(buf);
  return cid;
}

/* A dag-pb node linking to children; returns its CID (v1 or v0). */
static inline dag_cid_t pb_node(bs_txn_t *txn, const dag_cid_t *kids, size_t n,
                         int version) {
  dag_pb_link_t links[16];
  assert_true(n <= 16);
  for (size_t i = 0; i < n; i++) {
    memset(&links[i], 0, sizeof links[i]);
    links[i].cid = kids[i];
    links[i].has_name = true;
    links[i].name = "";
    links[i].has_tsize = true;
    links[i].tsize = 10;
  }
  uint8_t buf[4096];
  int len = dag_pb_encode(links, n, (const uint8_t *)"\x08\x02", 2, true, buf,
                          sizeof buf);
  assert_true(len > 0);
  dag_cid_t cid;
  assert_int_equal(dag_cid_sum(&cid, version, DAG_CODEC_DAG_PB,
                               DAG_MH_SHA2_256, buf, (size_t)len),
                   0);
  if (txn)
    assert_int_equal(bs_put(txn, &cid, buf, (size_t)len), 0);
  return cid;
}

static inline bs_txn_t *wtxn(bs_fixture_t *f) {
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(f->env, 0, &t), 0);
  return t;
}

static inline bs_txn_t *rtxn(bs_fixture_t *f) {
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &t), 0);
  return t;
}

static inline int has(bs_fixture_t *f, const dag_cid_t *c) {
  bs_txn_t *t = rtxn(f);
  int r = bs_has(t, c);
  bs_txn_abort(t);
  return r;
}

/* c is stored and its bytes hash to it. */
static inline void assert_intact(bs_fixture_t *f, const dag_cid_t *c) {
  bs_txn_t *t = rtxn(f);
  const uint8_t *d;
  size_t len;
  assert_int_equal(bs_get(t, c, &d, &len), 0);
  assert_int_equal(dag_cid_verify(c, d, len), 0);
  bs_txn_abort(t);
}

/* A cmocka test entry with that set-up and tear-down. */
/* The schema version a closed repo's meta holds, read with LMDB itself. */
static inline uint32_t bs_fixture_schema(const char *dir) {
  MDB_env *e;
  MDB_txn *t;
  MDB_dbi meta;
  MDB_val sk = {6, "schema"}, v;
  uint32_t ver = 0;
  assert_int_equal(mdb_env_create(&e), 0);
  assert_int_equal(mdb_env_set_maxdbs(e, 8), 0);
  assert_int_equal(mdb_env_open(e, dir, MDB_RDONLY, 0600), 0);
  assert_int_equal(mdb_txn_begin(e, NULL, MDB_RDONLY, &t), 0);
  assert_int_equal(mdb_dbi_open(t, "meta", 0, &meta), 0);
  assert_int_equal(mdb_get(t, meta, &sk, &v), 0);
  memcpy(&ver, v.mv_data, sizeof ver);
  mdb_txn_abort(t);
  mdb_env_close(e);
  return ver;
}

#define bs_fixture_test(fn)                                                  \
  cmocka_unit_test_setup_teardown(fn, bs_fixture_setup, bs_fixture_teardown)

#endif /* BS_FIXTURE_H */

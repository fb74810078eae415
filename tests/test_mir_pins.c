/*
 * test_mir_pins.c — mirror/'s pins store: add/get/status/delete/replace,
 * the listing's order, filters and resumable cursor (across transactions
 * and a reopen of the repo), the counters against a brute-force count at
 * many time bounds (pins spread over every counter level by moving the
 * store's last-created mark), tokens, and the request parsers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../blockstore/bs.h"
#include "../mirror/mir_int.h"
#include "testutil.h"
#include "bs_fixture.h"

typedef struct fx {
  char *dir;
  bs_env_t *env;
  mir_store_t *st;
} fx_t;

static int setup(void **state) {
  fx_t *f = calloc(1, sizeof *f);
  bs_fixture_open(&f->dir, &f->env);
  assert_int_equal(mir_store_open(f->env, &f->st), 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  mir_store_close(f->st);
  bs_fixture_close(f->dir, f->env);
  free(f);
  return 0;
}

static void reopen(fx_t *f) {
  mir_store_close(f->st);
  bs_close(f->env);
  assert_int_equal(bs_open(&f->env, f->dir, 0), 0);
  assert_int_equal(mir_store_open(f->env, &f->st), 0);
}

static void mkcid(dag_cid_t *c, unsigned i) {
  char s[32];
  snprintf(s, sizeof s, "block %u", i);
  assert_int_equal(dag_cid_sum(c, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, s,
                               strlen(s)),
                   0);
}

/* Add a pin of block i named name, with created jumped to at (0: now). */
static void add(fx_t *f, unsigned i, const char *name, uint64_t at,
                char id[MIR_REQID_LEN + 1]) {
  bs_txn_t *txn;
  assert_int_equal(bs_txn_begin(f->env, 0, &txn), 0);
  if (at) {
    uint8_t k = MIR_K_LAST, v[8];
    mir__be64(v, at - 1);
    assert_int_equal(bs_kv_put(txn, f->st->db, &k, 1, v, 8), 0);
  }
  mir_pin_t p = {0};
  mkcid(&p.cid, i);
  p.name = name;
  p.name_len = name ? strlen(name) : 0;
  p.meta = i % 2 ? "{\"odd\":\"1\"}" : "{\"odd\":\"0\"}";
  p.meta_len = strlen(p.meta);
  assert_int_equal(mir_pin_add(f->st, txn, &p), 0);
  if (at)
    assert_true(p.created == at);
  if (id)
    memcpy(id, p.requestid, MIR_REQID_LEN + 1);
  assert_int_equal(bs_txn_commit(txn), 0);
}

static void status(fx_t *f, const char *id, int s) {
  bs_txn_t *txn;
  assert_int_equal(bs_txn_begin(f->env, 0, &txn), 0);
  assert_int_equal(mir_pin_set_status(f->st, txn, id, s, NULL, 0, 0), 0);
  assert_int_equal(bs_txn_commit(txn), 0);
}

/* List q fully, one transaction per pin (the cursor resumes). */
static size_t list_all(fx_t *f, const mir_query_t *q, uint64_t *created,
                       size_t max) {
  mir_list_t *l;
  assert_int_equal(mir_list_new(f->st, q, &l), 0);
  size_t n = 0;
  for (;;) {
    bs_txn_t *txn;
    assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &txn), 0);
    mir_pin_t p;
    int rc = mir_list_next(l, txn, &p);
    assert_true(rc >= 0);
    if (rc && n < max)
      created[n] = p.created;
    bs_txn_abort(txn);
    if (!rc)
      break;
    n++;
  }
  mir_list_free(l);
  return n;
}

static uint64_t count(fx_t *f, const mir_query_t *q) {
  bs_txn_t *txn;
  uint64_t n;
  assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &txn), 0);
  assert_int_equal(mir_count(f->st, txn, q, &n), 0);
  bs_txn_abort(txn);
  return n;
}

static void test_add_get_status_del(void **state) {
  fx_t *f = *state;
  char id[MIR_REQID_LEN + 1], id2[MIR_REQID_LEN + 1];
  add(f, 1, "one", 0, id);
  add(f, 1, "again", 0, id2);
  bs_txn_t *txn;
  mir_pin_t p;
  assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &txn), 0);
  assert_int_equal(mir_pin_get(f->st, txn, id, &p), 0);
  assert_int_equal(p.status, MIR_QUEUED);
  assert_int_equal(p.name_len, 3);
  assert_memory_equal(p.name, "one", 3);
  /* Same created, another random half: not found. */
  char bad[MIR_REQID_LEN + 1];
  memcpy(bad, id, sizeof bad);
  bad[31] = bad[31] == '0' ? '1' : '0';
  assert_int_equal(mir_pin_get(f->st, txn, bad, &p), TR_ENOTFOUND);
  assert_int_equal(mir_pin_get(f->st, txn, "zz", &p), TR_ENOTFOUND);
  bs_txn_abort(txn);
  status(f, id, MIR_PINNED);
  assert_int_equal(bs_txn_begin(f->env, 0, &txn), 0);
  assert_int_equal(mir_pin_get(f->st, txn, id, &p), 0);
  assert_int_equal(p.status, MIR_PINNED);
  assert_memory_equal(p.meta, "{\"odd\":\"1\"}", p.meta_len);
  uint64_t c[MIR_NSTATUS];
  assert_int_equal(mir_pin_counts(f->st, txn, c), 0);
  assert_true(c[MIR_QUEUED] == 1 && c[MIR_PINNED] == 1);
  /* Another object holds the CID: it is held without this one. */
  assert_int_equal(mir_cid_held(f->st, txn, &p.cid, id), 1);
  assert_int_equal(mir_pin_del(f->st, txn, id2, NULL), 0);
  assert_int_equal(mir_cid_held(f->st, txn, &p.cid, id), 0);
  assert_int_equal(mir_pin_del(f->st, txn, id2, NULL), TR_ENOTFOUND);
  assert_int_equal(mir_pin_counts(f->st, txn, c), 0);
  assert_true(c[MIR_QUEUED] == 0 && c[MIR_PINNED] == 1);
  /* Replace: a new id, the old gone. */
  mir_pin_t np = {0};
  mkcid(&np.cid, 1);
  assert_int_equal(mir_pin_replace(f->st, txn, id, &np), 0);
  assert_string_not_equal(np.requestid, id);
  assert_int_equal(mir_pin_get(f->st, txn, id, &p), TR_ENOTFOUND);
  assert_int_equal(mir_pin_get(f->st, txn, np.requestid, &p), 0);
  assert_int_equal(bs_txn_commit(txn), 0);
}

/* Pins over every counter level; counts at many bounds match a brute
 * count; the listing is newest first and resumes across transactions
 * and a reopen. */
static void test_list_and_counts(void **state) {
  fx_t *f = *state;
  enum { N = 300 };
  uint64_t at[N], t = 4000000000000000ull; /* past the clock */
  char id[MIR_REQID_LEN + 1];
  for (unsigned i = 0; i < N; i++) {
    /* Steps from 1 us to past 2^36 us: every level's buckets. */
    static const uint64_t step[] = {1, 70000, 1u << 27, 1ull << 37, 3};
    t += step[i % 5];
    at[i] = t;
    add(f, i, i % 3 ? "Name" : "other", t, id);
    if (i % 4 == 0)
      status(f, id, MIR_PINNED);
  }
  reopen(f);
  mir_query_t q;
  mir_query_init(&q);
  uint64_t got[N];
  assert_int_equal(list_all(f, &q, got, N), N);
  for (unsigned i = 0; i < N; i++)
    assert_true(got[i] == at[N - 1 - i]);
  for (unsigned b = 0; b < N; b += 7) {
    for (int s = 0; s < 2; s++) {
      mir_query_init(&q);
      q.statuses = s ? MIR_ST(MIR_PINNED) : MIR_ST(MIR_QUEUED);
      q.before = at[b] + (b % 2);
      q.after = b > 20 ? at[b - 20] : 0;
      uint64_t want = 0;
      for (unsigned i = 0; i < N; i++)
        if (at[i] < q.before && at[i] > q.after &&
            (i % 4 == 0) == (s == 1))
          want++;
      assert_true(count(f, &q) == want);
      assert_true(list_all(f, &q, got, N) == want);
    }
  }
  /* Filters decided on the record: name, meta. */
  mir_query_init(&q);
  q.name = "nam";
  q.match = MIR_MATCH_IPARTIAL;
  q.meta = "{\"odd\":\"1\"}";
  q.meta_len = strlen(q.meta);
  uint64_t want = 0;
  for (unsigned i = 0; i < N; i++)
    want += (i % 3 != 0) && (i % 2 == 1);
  assert_true(count(f, &q) == want);
  q.match = MIR_MATCH_EXACT;
  assert_true(count(f, &q) == 0);
  /* cid filter: two CIDs. */
  mir_query_init(&q);
  mkcid(&q.cids[0], 5);
  mkcid(&q.cids[1], 250);
  q.ncids = 2;
  assert_true(list_all(f, &q, got, N) == 2);
  assert_true(got[0] == at[250] && got[1] == at[5]);
}

static void test_tokens(void **state) {
  fx_t *f = *state;
  bs_txn_t *txn;
  char tok[MIR_TOKEN_LEN + 1], name[MIR_TOKEN_NAME_MAX + 1];
  assert_int_equal(bs_txn_begin(f->env, 0, &txn), 0);
  assert_int_equal(mir_token_add(f->st, txn, "ci", tok, name), 0);
  assert_int_equal(strlen(tok), MIR_TOKEN_LEN);
  assert_int_equal(mir_token_add(f->st, txn, "ci", tok, name), TR_EEXIST);
  assert_int_equal(mir_token_add(f->st, txn, "bad name", tok, name),
                   TR_EUSAGE);
  assert_int_equal(mir_token_add(f->st, txn, NULL, tok, name), 0);
  assert_string_equal(name, "token-1");
  assert_int_equal(mir_token_check(f->st, txn, tok, strlen(tok)), 0);
  tok[10] ^= 1;
  assert_int_equal(mir_token_check(f->st, txn, tok, strlen(tok)),
                   TR_ENOTFOUND);
  tok[10] ^= 1;
  assert_int_equal(mir_token_rm(f->st, txn, "token-1"), 0);
  assert_int_equal(mir_token_check(f->st, txn, tok, strlen(tok)),
                   TR_ENOTFOUND);
  assert_int_equal(mir_token_rm(f->st, txn, "token-1"), TR_ENOTFOUND);
  assert_int_equal(bs_txn_commit(txn), 0);
}

static void test_parsers(void **state) {
  (void)state;
  char err[128], *meta;
  mir_query_t q;
  unsigned limit;
  assert_int_equal(mir__parse_query("", &q, &limit, &meta, err, sizeof err),
                   0);
  assert_int_equal(q.statuses, MIR_ST(MIR_PINNED));
  assert_int_equal(limit, MIR_LIMIT_DEFAULT);
  assert_int_equal(mir__parse_query("limit=1000&status=queued,failed&"
                                    "before=2024-01-02T03:04:05.5%2B01:00"
                                    "&name=a%20b&match=ipartial",
                                    &q, &limit, &meta, err, sizeof err),
                   0);
  assert_int_equal(limit, 1000);
  assert_int_equal(q.statuses, MIR_ST(MIR_QUEUED) | MIR_ST(MIR_FAILED));
  assert_true(q.before == (1704164645ull - 3600) * 1000000u + 500000u);
  assert_string_equal(q.name, "a b");
  tr_free((void *)q.name);
  assert_int_equal(mir__parse_query("limit=1001", &q, &limit, &meta, err,
                                    sizeof err),
                   TR_EUSAGE);
  assert_int_equal(mir__parse_query("meta=%7B%22a%22:1%7D", &q, &limit,
                                    &meta, err, sizeof err),
                   TR_EUSAGE);
  mir__body_t b;
  assert_int_equal(mir__parse_body("{\"cid\":\"bafkqaaa\",\"name\":\"n\"}",
                                   29, &b, err, sizeof err),
                   0);
  assert_int_equal(b.pin.name_len, 1);
  mir__body_free(&b);
  assert_int_equal(mir__parse_body("{\"cid\":\"x\"}", 11, &b, err,
                                   sizeof err),
                   TR_EUSAGE);
  mir__body_free(&b);
  char t[40];
  uint64_t us;
  mir_time_fmt(1704164645123456ull, t, sizeof t);
  assert_string_equal(t, "2024-01-02T03:04:05.123456Z");
  assert_int_equal(mir_time_parse(t, strlen(t), &us), 0);
  assert_true(us == 1704164645123456ull);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_add_get_status_del, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_list_and_counts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
      cmocka_unit_test(test_parsers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_gc_model.c — GC and pins against a model, over thousands of seeds.
 *
 * Each seed builds a random DAG in a fresh repo: raw and dag-pb blocks,
 * shared subtrees, links by CIDv0 and CIDv1, some linked blocks never
 * stored.  Random recursive and direct pins (either CID version of the
 * same block, as users pin them) and random unpins follow, with the
 * outcome of every call checked against Kubo's rules.  Then GC, sometimes
 * with a pin made while it runs (after its mark, before its deletes).
 * Afterwards a plain reference computation decides: every block a pin
 * reaches is still there, every other stored block is gone, every pin is
 * complete, and pin ls reports exactly the model's recursive, direct and
 * indirect sets.
 *
 * Regressions it covers: GC deleted the DAG below a block that was both
 * inside a recursive pin and pinned directly (the walk took the direct
 * mark as "walked"); pin ls left out the indirect pins below such a block;
 * a pin made during GC's mark must survive (making the pin generation
 * check a no-op fails this test).
 *
 * TROVE_GC_SEEDS sets the number of seeds (default 5000); the repo lives
 * under /dev/shm when it exists, so that thousands of commits do not wait
 * on a disk.
 */
#include "testutil.h"

#include <sys/stat.h>

#include "../blockstore/bs.h"
#include "../blockstore/bs_int.h" /* GC's fingerprint array */
#include "../dag/dagpb.h"

#define MAXB 48  /* blocks in a seed's DAG */
#define MAXK 6   /* links per dag-pb block */

typedef struct mblock {
  bool pb;          /* dag-pb (else raw) */
  bool stored;      /* put in the repo (else only linked to) */
  int kids[MAXK], nkids;
  dag_cid_t v1, v0; /* v0 only for dag-pb */
} mblock_t;

typedef struct mpin {
  int blk;
  bool v0;
  int type; /* 0: none, BS_PIN_DIRECT, BS_PIN_RECURSIVE */
} mpin_t;

typedef struct model {
  mblock_t b[MAXB];
  int n;
  mpin_t pins[2 * MAXB]; /* index: blk * 2 + v0 */
  bs_env_t *env;
  uint64_t rng, seed;
  /* GC hook state */
  int hook_pin;     /* block to pin recursively at the first mark, or -1 */
  int hook_calls;
} model_t;

static uint32_t rnd(model_t *m) {
  m->rng ^= m->rng << 13, m->rng ^= m->rng >> 7, m->rng ^= m->rng << 17;
  return (uint32_t)(m->rng >> 11);
}
static int chance(model_t *m, int pct) { return (int)(rnd(m) % 100) < pct; }

static const dag_cid_t *cid_of(model_t *m, int i, bool v0) {
  return v0 && m->b[i].pb ? &m->b[i].v0 : &m->b[i].v1;
}

/* ------------------------------------------------------------ building */

static void build(model_t *m, bs_txn_t *t) {
  m->n = 4 + (int)(rnd(m) % (MAXB - 4));
  for (int i = 0; i < m->n; i++) {
    mblock_t *b = &m->b[i];
    memset(b, 0, sizeof *b);
    b->pb = i > 0 && chance(m, 60);
    b->stored = chance(m, 95);
    uint8_t buf[4096];
    size_t len;
    if (b->pb) {
      dag_pb_link_t links[MAXK];
      b->nkids = 1 + (int)(rnd(m) % MAXK);
      for (int k = 0; k < b->nkids; k++) {
        int c = (int)(rnd(m) % (unsigned)i); /* earlier: a DAG, shared */
        b->kids[k] = c;
        memset(&links[k], 0, sizeof links[k]);
        links[k].cid = *cid_of(m, c, chance(m, 50));
        links[k].has_name = true;
        links[k].name = "";
      }
      /* UnixFS File with filesize i: no two blocks are the same bytes. */
      const uint8_t data[] = {0x08, 0x02, 0x18, (uint8_t)i};
      int l = dag_pb_encode(links, (size_t)b->nkids, data, sizeof data, true,
                            buf, sizeof buf);
      assert_true(l > 0);
      len = (size_t)l;
    } else {
      len = 1 + rnd(m) % 64;
      for (size_t j = 0; j < len; j++)
        buf[j] = (uint8_t)rnd(m);
    }
    uint64_t codec = b->pb ? DAG_CODEC_DAG_PB : DAG_CODEC_RAW;
    assert_int_equal(dag_cid_sum(&b->v1, 1, codec, DAG_MH_SHA2_256, buf, len), 0);
    if (b->pb)
      assert_int_equal(dag_cid_sum(&b->v0, 0, codec, DAG_MH_SHA2_256, buf, len), 0);
    if (b->stored)
      assert_int_equal(bs_put(t, &b->v1, buf, len), 0);
  }
}

/* reach[i] |= blocks reachable from i (i included). */
static void reach(model_t *m, int i, bool *seen) {
  if (seen[i])
    return;
  seen[i] = true;
  for (int k = 0; k < m->b[i].nkids; k++)
    reach(m, m->b[i].kids[k], seen);
}

static bool complete(model_t *m, int i) {
  bool seen[MAXB] = {0};
  reach(m, i, seen);
  for (int j = 0; j < m->n; j++)
    if (seen[j] && !m->b[j].stored)
      return false;
  return true;
}

/* ---------------------------------------------------------- pin model */

static void pin_add(model_t *m, bs_txn_t *t, int blk, bool v0, int type) {
  v0 = v0 && m->b[blk].pb;
  mpin_t *p = &m->pins[blk * 2 + v0];
  int want = 0;
  if (type == BS_PIN_DIRECT && p->type == BS_PIN_RECURSIVE)
    want = TR_EPINTYPE;
  else if (type == BS_PIN_RECURSIVE ? !complete(m, blk) : !m->b[blk].stored)
    want = TR_EINCOMPLETE;
  assert_int_equal(bs_pin_add(t, cid_of(m, blk, v0), type, NULL, NULL), want);
  if (!want) {
    p->blk = blk;
    p->v0 = v0;
    p->type = type;
  }
}

static void pin_rm(model_t *m, bs_txn_t *t, int blk, bool v0, bool recursive) {
  v0 = v0 && m->b[blk].pb;
  mpin_t *p = &m->pins[blk * 2 + v0];
  int rc = bs_pin_rm(t, cid_of(m, blk, v0), recursive);
  if (p->type == BS_PIN_RECURSIVE && !recursive)
    assert_int_equal(rc, TR_EPINTYPE);
  else if (p->type) {
    assert_int_equal(rc, 0);
    p->type = 0;
  } else
    assert_true(rc == TR_ENOTPINNED || rc == TR_EINDIRECT);
}

/* live[j]: block j is kept by some pin. below[j]: j is reached strictly
 * below some recursive root. */
static void expected(model_t *m, bool *live, bool *below) {
  memset(live, 0, MAXB);
  memset(below, 0, MAXB);
  for (int i = 0; i < 2 * m->n; i++) {
    mpin_t *p = &m->pins[i];
    if (p->type == BS_PIN_DIRECT)
      live[p->blk] = true;
    else if (p->type == BS_PIN_RECURSIVE) {
      bool seen[MAXB] = {0};
      reach(m, p->blk, seen);
      for (int j = 0; j < m->n; j++)
        live[j] |= seen[j];
      for (int k = 0; k < m->b[p->blk].nkids; k++) {
        bool s2[MAXB] = {0};
        reach(m, m->b[p->blk].kids[k], s2);
        for (int j = 0; j < m->n; j++)
          below[j] |= s2[j];
      }
    }
  }
}

/* ------------------------------------------------------------ checking */

typedef struct ls_seen {
  model_t *m;
  int type[MAXB]; /* mask of types listed for each block */
} ls_seen_t;

static int block_of(model_t *m, const dag_cid_t *c) {
  size_t n1, n2;
  const uint8_t *mh = dag_cid_mh(c, &n1);
  for (int i = 0; i < m->n; i++) {
    const uint8_t *mh2 = dag_cid_mh(&m->b[i].v1, &n2);
    if (n1 == n2 && !memcmp(mh, mh2, n1))
      return i;
  }
  return -1;
}

static int ls_cb(const bs_pin_t *p, void *ud) {
  ls_seen_t *s = ud;
  int i = block_of(s->m, &p->cid);
  assert_true(i >= 0);
  if (p->type == BS_PIN_INDIRECT)
    assert_int_equal(s->type[i] & BS_PIN_INDIRECT, 0); /* listed once */
  s->type[i] |= p->type;
  return 0;
}

static void check(model_t *m) {
  bool live[MAXB], below[MAXB];
  expected(m, live, below);
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(m->env, BS_RDONLY, &t), 0);
  for (int j = 0; j < m->n; j++) {
    int has = bs_has(t, &m->b[j].v1);
    if (has != (m->b[j].stored && live[j]))
      fail_msg("seed %llu: block %d (%s, stored %d) live %d but present %d",
               (unsigned long long)m->seed, j, m->b[j].pb ? "pb" : "raw",
               m->b[j].stored, live[j], has);
  }
  ls_seen_t s = {.m = m};
  assert_int_equal(bs_pin_ls(t, BS_PIN_ALL, ls_cb, &s), 0);
  for (int j = 0; j < m->n; j++) {
    int want = 0;
    for (int v = 0; v < 2; v++)
      want |= m->pins[j * 2 + v].type;
    if (below[j] && !want)
      want = BS_PIN_INDIRECT;
    if (s.type[j] != want)
      fail_msg("seed %llu: block %d: pin ls types %d, model %d",
               (unsigned long long)m->seed, j, s.type[j], want);
  }
  bs_txn_abort(t);
  for (int j = 0; j < m->n; j++)
    m->b[j].stored = m->b[j].stored && live[j]; /* GC took the rest */
}

/* GC's mark hook: at the first mark, pin a stored, complete, unpinned DAG
 * (garbage in the mark's snapshot).  GC must see the new pin. */
static int gc_hook(const dag_cid_t *removed, void *ud) {
  model_t *m = ud;
  if (removed || m->hook_calls++ || m->hook_pin < 0)
    return 0;
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(m->env, 0, &t), 0);
  pin_add(m, t, m->hook_pin, chance(m, 50), BS_PIN_RECURSIVE);
  assert_int_equal(bs_txn_commit(t), 0);
  return 0;
}

static void one_seed(const char *base, uint64_t seed) {
  model_t *m = calloc(1, sizeof *m);
  m->seed = seed;
  m->rng = seed * 0x9E3779B97F4A7C15ull + 1;
  char dir[512];
  snprintf(dir, sizeof dir, "%s/seed-%llu", base, (unsigned long long)seed);
  assert_int_equal(mkdir(dir, 0700), 0);
  assert_int_equal(bs_open(&m->env, dir, BS_CREATE), 0);

  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(m->env, 0, &t), 0);
  build(m, t);
  assert_int_equal(bs_txn_commit(t), 0);

  /* Two rounds of pins, unpins and GC on the same repo. */
  for (int round = 0; round < 2; round++) {
    assert_int_equal(bs_txn_begin(m->env, 0, &t), 0);
    int npins = 1 + (int)(rnd(m) % 8);
    for (int k = 0; k < npins; k++)
      pin_add(m, t, (int)(rnd(m) % (unsigned)m->n), chance(m, 50),
              chance(m, 50) ? BS_PIN_RECURSIVE : BS_PIN_DIRECT);
    int nrm = (int)(rnd(m) % 4);
    for (int k = 0; k < nrm; k++)
      pin_rm(m, t, (int)(rnd(m) % (unsigned)m->n), chance(m, 50), chance(m, 80));
    assert_int_equal(bs_txn_commit(t), 0);

    /* Half the time, pin a garbage DAG during the mark. */
    m->hook_pin = -1;
    m->hook_calls = 0;
    if (chance(m, 50)) {
      bool live[MAXB], below[MAXB];
      expected(m, live, below);
      for (int i = m->n - 1; i >= 0; i--)
        if (!live[i] && m->b[i].stored && complete(m, i)) {
          m->hook_pin = i;
          break;
        }
    }
    bs_gc_stats_t st;
    assert_int_equal(bs_gc(m->env, gc_hook, m, &st), 0);
    if (m->hook_pin >= 0)
      assert_true(m->hook_calls >= 2); /* the pin sent GC back to marking */
    check(m);
  }
  bs_close(m->env);
  free(m);
}

static void test_gc_model(void **state) {
  (void)state;
  const char *n = getenv("TROVE_GC_SEEDS");
  uint64_t seeds = n ? strtoull(n, NULL, 10) : 5000;
  if (!getenv("TMPDIR") && access("/dev/shm", W_OK) == 0)
    setenv("TMPDIR", "/dev/shm", 1);
  char *base = tmpdir_new();
  for (uint64_t s = 1; s <= seeds; s++) {
    one_seed(base, s);
    if (s % 100 == 0) { /* keep /dev/shm small */
      char cmd[600];
      snprintf(cmd, sizeof cmd, "rm -rf '%s'/seed-*", base);
      assert_int_equal(system(cmd), 0);
    }
  }
  tmpdir_rm(base);
}

/* The DAG below a directly pinned block inside a recursive pin, the exact
 * case of the report: a directory pinned as CIDv0, its child pinned
 * directly as CIDv1. */
static void test_regression_gc_direct_pin_inside_recursive(void **state) {
  (void)state;
  char *dir = tmpdir_new();
  bs_env_t *env;
  assert_int_equal(bs_open(&env, dir, BS_CREATE), 0);
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(env, 0, &t), 0);
  const uint8_t leafdata[] = "leaf";
  dag_cid_t leaf, mid, top;
  assert_int_equal(dag_cid_sum(&leaf, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, leafdata, 4), 0);
  assert_int_equal(bs_put(t, &leaf, leafdata, 4), 0);
  uint8_t buf[512];
  dag_pb_link_t l = {0};
  l.cid = leaf, l.has_name = true, l.name = "f";
  int len = dag_pb_encode(&l, 1, (const uint8_t *)"\x08\x01", 2, true, buf, sizeof buf);
  assert_int_equal(dag_cid_sum(&mid, 1, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256, buf, (size_t)len), 0);
  assert_int_equal(bs_put(t, &mid, buf, (size_t)len), 0);
  l.cid = mid, l.name = "d";
  len = dag_pb_encode(&l, 1, (const uint8_t *)"\x08\x01", 2, true, buf, sizeof buf);
  assert_int_equal(dag_cid_sum(&top, 0, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256, buf, (size_t)len), 0);
  assert_int_equal(bs_put(t, &top, buf, (size_t)len), 0);
  assert_int_equal(bs_pin_add(t, &top, BS_PIN_RECURSIVE, NULL, NULL), 0);
  assert_int_equal(bs_pin_add(t, &mid, BS_PIN_DIRECT, NULL, NULL), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  bs_gc_stats_t st;
  assert_int_equal(bs_gc(env, NULL, NULL, &st), 0);
  assert_int_equal(st.removed, 0);
  assert_int_equal(bs_txn_begin(env, BS_RDONLY, &t), 0);
  assert_int_equal(bs_has(t, &leaf), 1);
  bs_pin_t p;
  assert_int_equal(bs_pin_get(t, &leaf, BS_PIN_ALL, &p), 1);
  assert_int_equal(p.type, BS_PIN_INDIRECT);
  bs_txn_abort(t);
  bs_close(env);
  tmpdir_rm(dir);
}

/* A chain deeper than the old 4096-level cap of the walks: pin, GC, pin
 * verify and the resumable export walk all reach its last block.  Before,
 * pin/export/refs failed with "input too large". */
static int count_cb(const dag_cid_t *c, void *ud) {
  (void)c;
  (*(size_t *)ud)++;
  return 0;
}
static int verify_cb(const bs_pin_t *pin, int status, const dag_cid_t *bad,
                     void *ud) {
  (void)pin, (void)bad;
  assert_int_equal(status, 0);
  (*(size_t *)ud)++;
  return 0;
}

static void test_regression_deep_dag_walks(void **state) {
  (void)state;
  enum { DEPTH = 10000 };
  char *dir = tmpdir_new();
  bs_env_t *env;
  assert_int_equal(bs_open(&env, dir, BS_CREATE), 0);
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(env, 0, &t), 0);
  const uint8_t leafdata[] = "bottom";
  dag_cid_t cur, bottom;
  assert_int_equal(dag_cid_sum(&bottom, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, leafdata, 6), 0);
  assert_int_equal(bs_put(t, &bottom, leafdata, 6), 0);
  cur = bottom;
  for (int i = 0; i < DEPTH; i++) {
    uint8_t buf[256];
    dag_pb_link_t l = {0};
    l.cid = cur, l.has_name = true, l.name = "x", l.name_len = 1;
    int len = dag_pb_encode(&l, 1, (const uint8_t *)"\x08\x01", 2, true, buf, sizeof buf);
    assert_true(len > 0);
    assert_int_equal(dag_cid_sum(&cur, 1, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256, buf, (size_t)len), 0);
    assert_int_equal(bs_put(t, &cur, buf, (size_t)len), 0);
  }
  assert_int_equal(bs_pin_add(t, &cur, BS_PIN_RECURSIVE, NULL, NULL), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  bs_gc_stats_t st;
  assert_int_equal(bs_gc(env, NULL, NULL, &st), 0);
  assert_int_equal(st.removed, 0);
  assert_int_equal(st.live, DEPTH + 1);
  assert_int_equal(bs_txn_begin(env, BS_RDONLY, &t), 0);
  size_t n = 0;
  assert_int_equal(bs_dag_walk(t, &cur, count_cb, &n), 0);
  assert_int_equal(n, DEPTH + 1);
  n = 0;
  assert_int_equal(bs_pin_verify(t, verify_cb, &n), 0);
  assert_int_equal(n, 1);
  bs_walk_t *w;
  assert_int_equal(bs_walk_new(&cur, BS_WALK_UNIQUE, -1, &w), 0);
  dag_cid_t c;
  int depth = 0, rc;
  n = 0;
  while ((rc = bs_walk_next(w, t, &c, NULL, &depth)) == 1)
    n++;
  assert_int_equal(rc, 0);
  assert_int_equal(n, DEPTH + 1);
  assert_true(dag_cid_equal(&c, &bottom));
  assert_int_equal(depth, DEPTH);
  bs_walk_free(w);
  bs_txn_abort(t);
  bs_close(env);
  tmpdir_rm(dir);
}

/* GC's mark set (bs__fpvec_t): repeats dropped and reported, every value
 * found at its index, absent ones not found (bucket edges included: values
 * with equal top bits, the smallest and the largest). */
static void test_fpvec(void **state) {
  (void)state;
  bs__fpvec_t v = {0};
  uint64_t x = 0x243f6a8885a308d3ull;
  size_t n = 20000;
  v.a = malloc((n + 8) * sizeof *v.a);
  v.cap = n + 8;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    v.a[v.n++] = x & ~1ull; /* even: odd values are known absent */
  }
  uint64_t edge[] = {0, 2, 0xfffffffffffffffeull, 0x8000000000000000ull};
  for (size_t i = 0; i < 4; i++)
    v.a[v.n++] = edge[i];
  v.a[v.n++] = v.a[7];  /* two repeats */
  v.a[v.n++] = edge[2];
  uint64_t copy[20010];
  memcpy(copy, v.a, v.n * sizeof *copy);
  size_t total = v.n;
  tr_fpset_t dups = {0};
  assert_int_equal(bs__fpvec_seal(&v, &dups), 0);
  assert_int_equal(v.n, total - 2);
  assert_int_equal(dups.n, 2);
  assert_true(tr_fpset_has(&dups, (tr_fp_t){copy[7], 1}));
  assert_true(tr_fpset_has(&dups, (tr_fp_t){edge[2], 1}));
  for (size_t i = 1; i < v.n; i++)
    assert_true(v.a[i - 1] < v.a[i]);
  for (size_t i = 0; i < total; i++) {
    ssize_t at = bs__fpvec_find(&v, copy[i]);
    assert_true(at >= 0);
    assert_true(v.a[at] == copy[i]);
    assert_int_equal(bs__fpvec_find(&v, copy[i] | 1), -1);
  }
  assert_int_equal(bs__fpvec_find(&v, 1), -1);
  assert_int_equal(bs__fpvec_find(&v, ~0ull), -1);
  /* The batched lookup (GC's list) says what the single one says: present
   * and absent values interleaved, a count that is no multiple of the
   * batch, the edges. */
  static uint64_t q[2 * 20010 + 3];
  static bool hit[2 * 20010 + 3];
  size_t nq = 0;
  for (size_t i = 0; i < total; i++) {
    q[nq++] = copy[i];
    q[nq++] = copy[i] | 1;
  }
  q[nq++] = 1;
  q[nq++] = ~0ull;
  q[nq++] = 0;
  assert_true(nq % BS__FPVEC_BATCH != 0);
  bs__fpvec_has_many(&v, q, nq, hit);
  for (size_t i = 0; i < nq; i++)
    assert_int_equal(hit[i], bs__fpvec_find(&v, q[i]) >= 0);
  assert_true(hit[nq - 1]); /* 0 is in */
  assert_false(hit[nq - 2]);
  tr_fpset_free(&dups);
  bs__fpvec_free(&v);
  /* Empty, sealed: nothing found. */
  assert_int_equal(bs__fpvec_seal(&v, NULL), 0);
  assert_int_equal(bs__fpvec_find(&v, 42), -1);
  hit[0] = true;
  bs__fpvec_has_many(&v, q, 1, hit);
  assert_false(hit[0]);
  bs__fpvec_free(&v);
  /* Unsealed (no index): nothing found either. */
  hit[0] = hit[1] = true;
  bs__fpvec_has_many(&v, q, 2, hit);
  assert_false(hit[0] || hit[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_regression_gc_direct_pin_inside_recursive),
      cmocka_unit_test(test_regression_deep_dag_walks),
      cmocka_unit_test(test_gc_model),
      cmocka_unit_test(test_fpvec),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

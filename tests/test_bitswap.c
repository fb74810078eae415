/*
 * test_bitswap.c — the bitswap core's client side (bitswap/bitswap.h:
 * sessions, placement, DAG fetch-ahead, provider search, scoring) between
 * real cores on a simulated network (tests/bsw_sim.h: a virtual clock,
 * links with a latency and a rate each way, in-memory stores), fetching
 * real UnixFS files made by the importer and read back with dag_cat.
 *
 * Times are virtual (ms); the only timed assertions are loose bounds on
 * that clock.  Each scenario prints what it measured.
 */
#include "testutil.h"

#include "../bitswap/bsw_int.h"
#include "../dag/importer.h"
#include "../dag/reader.h"
#include "bsw_sim.h"

#define MIB (1u << 20)
#define FETCHER 0
#define LIMIT_MS 600000 /* ten virtual minutes: a stuck fetch, not a slow one */

/* ------------------------------------------------------------- the files */

typedef struct file {
  memstore_t st; /* every block of its DAG */
  uint8_t *data;
  size_t len;
  dag_cid_t root;
} file_t;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* A random file of len bytes as `trove add` makes it (CIDv1, raw leaves,
 * balanced), with chunks of chunk bytes and max_links links a node; v0:
 * the legacy profile (CIDv0, dag-pb leaves) instead. */
static void mkfile(file_t *f, size_t len, size_t chunk, size_t max_links,
                   bool v0) {
  memset(f, 0, sizeof *f);
  f->len = len;
  f->data = malloc(len);
  for (size_t i = 0; i < len; i++)
    f->data[i] = (uint8_t)rnd();
  dag_import_opts_t o;
  assert_int_equal(dag_import_profile(&o, v0 ? "unixfs-v0-2015" : NULL), 0);
  char spec[32];
  snprintf(spec, sizeof spec, "size-%zu", chunk);
  o.chunker = spec;
  o.max_links = max_links;
  dag_import_result_t res;
  assert_int_equal(dag_import_bytes(&o, f->data, len, ms_put, &f->st, &res),
                   0);
  f->root = res.cid;
}

static void file_free(file_t *f) {
  ms_free(&f->st);
  free(f->data);
}

struct cmp_ctx {
  const file_t *f;
  size_t off;
  bool same;
};

static int cmp_out(const uint8_t *p, size_t n, void *ud) {
  struct cmp_ctx *c = ud;
  if (c->off + n > c->f->len || memcmp(c->f->data + c->off, p, n))
    c->same = false;
  c->off += n;
  return 0;
}

/* The file reads back from node i's store, byte for byte. */
static void assert_file(sim_t *s, int i, const file_t *f) {
  struct cmp_ctx c = {f, 0, true};
  assert_int_equal(dag_cat(&f->root, 0, UINT64_MAX, ms_get, &s->node[i].st,
                           cmp_out, &c),
                   0);
  assert_true(c.same);
  assert_int_equal(c.off, f->len);
}

/* The leaves of f's DAG in file order (every block without links). */
static size_t leaves_of(const file_t *f, const dag_cid_t *cid, dag_cid_t *out,
                        size_t n);

struct leaves_ctx {
  const file_t *f;
  dag_cid_t *out;
  size_t n;
};

static int leaf_link(const dag_pb_link_t *l, size_t i, void *ud) {
  struct leaves_ctx *c = ud;
  (void)i;
  c->n = leaves_of(c->f, &l->cid, c->out, c->n);
  return 0;
}

static size_t leaves_of(const file_t *f, const dag_cid_t *cid, dag_cid_t *out,
                        size_t n) {
  memblock_t *m = ms_find((memstore_t *)&f->st, cid);
  assert_non_null(m);
  dag_pb_node_t node;
  if (cid->codec == DAG_CODEC_DAG_PB) {
    struct leaves_ctx c = {f, out, n};
    size_t before = n;
    assert_int_equal(dag_pb_decode(m->data, m->len, leaf_link, &c, &node), 0);
    if (c.n != before)
      return c.n;
  }
  out[n] = *cid;
  return n + 1;
}

static int leaf_index(const dag_cid_t *leaves, size_t n, const dag_cid_t *c) {
  for (size_t i = 0; i < n; i++)
    if (dag_cid_equal(&leaves[i], c))
      return (int)i;
  return -1;
}

/* ------------------------------------------------------------ scenarios */

/* A fetcher (node 0) and providers 1..np with the whole file, each linked
 * to the fetcher with latency lat and rate; the session started. */
static uint64_t start(sim_t *s, const file_t *f, int np, uint32_t lat,
                      double rate, int version) {
  assert_int_equal(sim_node(s, FETCHER), 0);
  for (int i = 1; i <= np; i++) {
    assert_int_equal(sim_node(s, i), 0);
    sim_fill(s, i, &f->st);
    assert_int_equal(sim_connect(s, FETCHER, i, version, lat, rate), 0);
  }
  uint64_t sid;
  assert_int_equal(bsw_session_new(s->node[FETCHER].b, s->now, &sid), 0);
  assert_int_equal(
      bsw_session_want(s->node[FETCHER].b, sid, &f->root, true, s->now), 0);
  return sid;
}

static bool stop_done(sim_t *s, void *ud) {
  (void)ud;
  return s->node[FETCHER].done_calls > 0;
}

/* Run to the end of the fetch; then on a while, to see that nothing more
 * happens (a second on_session_done, blocks).  Checks what every complete
 * fetch must show. */
static void finish(sim_t *s, const file_t *f, uint64_t sid) {
  sim_node_t *fe = &s->node[FETCHER];
  assert_true(sim_run(s, LIMIT_MS, stop_done, NULL));
  size_t blocks = fe->on_blocks;
  sim_run(s, s->now + 30000, NULL, NULL);
  assert_int_equal(fe->done_calls, 1);
  assert_int_equal(fe->done_sid, sid);
  assert_int_equal(fe->bad_on_blocks, 0);
  assert_int_equal(fe->on_blocks, blocks);
  assert_int_equal(fe->on_blocks, f->st.n); /* each block once */
  assert_int_equal(fe->bad_rc, 0);
  assert_file(s, FETCHER, f);
  bsw_stats_t st;
  bsw_stats(fe->b, &st);
  assert_int_equal(st.wants, 0);
  assert_int_equal(st.blocks_received, f->st.n);
}

static uint64_t fetch_time(int np, double rate0, double rate, size_t *from,
                           const file_t *f) {
  sim_t s;
  sim_init(&s);
  uint64_t sid = start(&s, f, np, 20, rate, BSW_V120);
  if (rate0 > 0)
    sim_link_set(&s, 1, FETCHER, 20, rate0);
  finish(&s, f, sid);
  for (int i = 1; i <= np; i++)
    from[i] = s.node[FETCHER].blocks_from[i];
  uint64_t t = s.node[FETCHER].done_at;
  sim_free(&s);
  return t;
}

static void test_one_provider(void **state) {
  (void)state;
  file_t f;
  mkfile(&f, 4 * MIB, 65536, 174, false);
  assert_int_equal(f.st.n, 65); /* 64 leaves and the root */
  size_t from[SIM_NODES] = {0};
  uint64_t t = fetch_time(1, 0, 1000, from, &f);
  printf("one provider: 4 MiB at 1000 B/ms in %llu ms virtual\n",
         (unsigned long long)t);
  assert_int_equal(from[1], 65);
  /* 4 MiB at 1000 bytes/ms cannot take less than 4194 ms. */
  assert_true(t >= 4194);
  file_free(&f);
}

static void test_four_providers(void **state) {
  (void)state;
  file_t f;
  mkfile(&f, 4 * MIB, 65536, 174, false);
  size_t from1[SIM_NODES] = {0}, from4[SIM_NODES] = {0},
         fast[SIM_NODES] = {0};
  uint64_t t1 = fetch_time(1, 0, 1000, from1, &f);
  uint64_t t4 = fetch_time(4, 0, 1000, from4, &f);
  printf("four equal providers: %llu ms vs %llu ms alone, ratio %.2f; "
         "blocks %zu %zu %zu %zu\n",
         (unsigned long long)t4, (unsigned long long)t1, (double)t4 / t1,
         from4[1], from4[2], from4[3], from4[4]);
  size_t sum = 0;
  for (int i = 1; i <= 4; i++) {
    assert_true(from4[i] > 0);
    sum += from4[i];
  }
  assert_true(sum >= f.st.n);
  assert_true(t4 < t1); /* loose: four links beat one */
  uint64_t tf = fetch_time(4, 4000, 1000, fast, &f);
  printf("one provider 4x faster: %llu ms; blocks %zu %zu %zu %zu\n",
         (unsigned long long)tf, fast[1], fast[2], fast[3], fast[4]);
  for (int i = 2; i <= 4; i++)
    assert_true(fast[1] > fast[i]);
  file_free(&f);
}

static bool stop_half(sim_t *s, void *ud) {
  return s->node[FETCHER].on_blocks >= *(size_t *)ud;
}

static void test_providers_down(void **state) {
  (void)state;
  file_t f;
  mkfile(&f, 4 * MIB, 65536, 174, false);
  sim_t s;
  sim_init(&s);
  uint64_t sid = start(&s, &f, 4, 20, 1000, BSW_V120);
  size_t half = f.st.n / 2;
  assert_true(sim_run(&s, LIMIT_MS, stop_half, &half));
  assert_int_equal(s.node[FETCHER].done_calls, 0);
  sim_kill(&s, FETCHER, 2);
  sim_kill(&s, FETCHER, 3);
  finish(&s, &f, sid);
  printf("two of four down at %zu blocks: done at %llu ms\n", half,
         (unsigned long long)s.node[FETCHER].done_at);
  sim_free(&s);
  file_free(&f);
}

/* Provider 1 has the root only: it says HAVE for it, joins the session,
 * gets want-blocks for leaves and answers DONT_HAVE; they go to 2. */
static void test_dont_have(void **state) {
  (void)state;
  file_t f;
  mkfile(&f, 4 * MIB, 65536, 174, false);
  sim_t s;
  sim_init(&s);
  assert_int_equal(sim_node(&s, FETCHER), 0);
  for (int i = 1; i <= 2; i++)
    assert_int_equal(sim_node(&s, i), 0);
  memblock_t *r = ms_find(&f.st, &f.root);
  ms_put(&f.root, r->data, r->len, &s.node[1].st);
  sim_fill(&s, 2, &f.st);
  /* The one lacking is the faster, so it is asked first. */
  assert_int_equal(sim_connect(&s, FETCHER, 1, BSW_V120, 5, 20000), 0);
  assert_int_equal(sim_connect(&s, FETCHER, 2, BSW_V120, 20, 10000), 0);
  uint64_t sid;
  assert_int_equal(bsw_session_new(s.node[FETCHER].b, 0, &sid), 0);
  assert_int_equal(bsw_session_want(s.node[FETCHER].b, sid, &f.root, true, 0),
                   0);
  finish(&s, &f, sid);
  size_t asked1 = 0;
  for (size_t i = 0; i < s.nlog; i++)
    if (s.log[i].from == FETCHER && s.log[i].to == 1 &&
        s.log[i].type == BSW_WANT_BLOCK && !s.log[i].cancel &&
        !dag_cid_equal(&s.log[i].cid, &f.root))
      asked1++;
  printf("DONT_HAVE: %zu leaves asked of the lacking peer, done at %llu ms\n",
         asked1, (unsigned long long)s.node[FETCHER].done_at);
  assert_true(asked1 > 0);
  /* Moved at the DONT_HAVE, not at a timeout. */
  assert_true(s.node[FETCHER].done_at < s.lim.want_timeout_ms);
  assert_int_equal(s.node[FETCHER].nbans, 0);
  sim_free(&s);
  file_free(&f);
}

/* Provider 1 answers the root (it joins the session), then never answers
 * again, without its connection closing: its want-blocks time out and
 * move to 2. */
static bool stop_root(sim_t *s, void *ud) {
  (void)ud;
  if (s->node[FETCHER].on_blocks >= 1) {
    s->node[1].dead = true;
    return true;
  }
  return false;
}

static void test_silent_provider(void **state) {
  (void)state;
  file_t f;
  mkfile(&f, 1 * MIB, 65536, 174, false);
  sim_t s;
  sim_init(&s);
  uint64_t sid = start(&s, &f, 2, 20, 1000, BSW_V120);
  sim_link_set(&s, 1, FETCHER, 5, 50000); /* the silent one looks best */
  sim_link_set(&s, FETCHER, 1, 5, 50000);
  assert_true(sim_run(&s, LIMIT_MS, stop_root, NULL));
  finish(&s, &f, sid);
  size_t to_dead = 0;
  for (size_t i = 0; i < s.nlog; i++)
    if (s.log[i].from == FETCHER && s.log[i].to == 1 &&
        s.log[i].type == BSW_WANT_BLOCK && !s.log[i].cancel)
      to_dead++;
  printf("silent provider: %zu want-blocks sent to it, done at %llu ms\n",
         to_dead, (unsigned long long)s.node[FETCHER].done_at);
  assert_true(to_dead > 0);
  assert_true(s.node[FETCHER].done_at >= s.lim.want_timeout_ms);
  sim_free(&s);
  file_free(&f);
}

/* A liar whose store corrupts every block it sends: the fetcher never
 * hands bad data on, bans it, and the file comes from the honest ones. */
static void test_liar_corrupt(void **state) {
  (void)state;
  file_t f;
  mkfile(&f, 4 * MIB, 65536, 174, false);
  sim_t s;
  sim_init(&s);
  uint64_t sid = start(&s, &f, 3, 20, 1000, BSW_V120);
  s.node[1].corrupt = true;
  sim_link_set(&s, 1, FETCHER, 5, 20000); /* fastest: it gets wants */
  finish(&s, &f, sid);
  sim_node_t *fe = &s.node[FETCHER];
  bsw_stats_t st;
  bsw_stats(fe->b, &st);
  printf("liar: banned after %llu bad blocks, done at %llu ms\n",
         (unsigned long long)st.bad_blocks, (unsigned long long)fe->done_at);
  assert_int_equal(fe->nbans, 1);
  assert_int_equal(fe->banned[0], 1);
  assert_int_equal(st.bans, 1);
  /* A block nobody asked for lately costs BSW_SCORE_FATAL: banned at the
   * first. */
  assert_int_equal(st.bad_blocks, BSW_SCORE_BAN / BSW_SCORE_FATAL);
  assert_int_equal(bsw_ledger(fe->b, &s.node[1].id, &(bsw_ledger_t){0}),
                   TR_ENOTFOUND);
  assert_int_equal(fe->bad_on_blocks, 0);
  sim_free(&s);
  file_free(&f);
}

/* Message with one block made of random bytes (a CIDv1 raw block). */
static void inject_block(sim_t *s, int from, int to, const uint8_t *data,
                         size_t len, const dag_cid_t *cid) {
  tr_bytes_t m = {0};
  assert_int_equal(bsw_enc_block(&m, cid, data, len, BSW_V120), 0);
  sim_transmit(s, from, to, m.data, m.len);
  tr_bytes_free(&m);
}

static void inject_junk(sim_t *s, void *arg) {
  (void)arg;
  for (int k = 0; k < 12; k++) {
    uint8_t junk[600];
    for (size_t i = 0; i < sizeof junk; i++)
      junk[i] = (uint8_t)rnd();
    dag_cid_t c;
    assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, junk,
                                 sizeof junk),
                     0);
    inject_block(s, 3, FETCHER, junk, sizeof junk, &c);
  }
}

static void test_liar_unasked(void **state) {
  (void)state;
  file_t f;
  mkfile(&f, 1 * MIB, 65536, 174, false);
  sim_t s;
  sim_init(&s);
  uint64_t sid = start(&s, &f, 3, 20, 1000, BSW_V120);
  sim_at(&s, 100, inject_junk, NULL);
  finish(&s, &f, sid);
  sim_node_t *fe = &s.node[FETCHER];
  assert_int_equal(fe->nbans, 1);
  assert_int_equal(fe->banned[0], 3);
  assert_int_equal(fe->bad_on_blocks, 0);
  sim_free(&s);
  file_free(&f);
}

/* Blocks a peer sends after our CANCEL crossed them: counted, not
 * charged.  Provider 2 sends the whole file again once it is fetched. */
static void test_dup_not_punished(void **state) {
  (void)state;
  file_t f;
  mkfile(&f, 1 * MIB, 65536, 174, false);
  sim_t s;
  sim_init(&s);
  uint64_t sid = start(&s, &f, 2, 20, 1000, BSW_V120);
  finish(&s, &f, sid);
  bsw_stats_t st;
  bsw_stats(s.node[FETCHER].b, &st);
  uint64_t dups = st.dup_blocks; /* a small root comes from both */
  /* The root was asked of both (want-have) and cancelled at one. */
  size_t cancels = 0;
  for (size_t i = 0; i < s.nlog; i++)
    cancels += s.log[i].from == FETCHER && s.log[i].cancel;
  assert_true(cancels > 0);
  for (size_t k = 0; k < f.st.n; k++)
    inject_block(&s, 2, FETCHER, f.st.b[k].data, f.st.b[k].len,
                 &f.st.b[k].cid);
  sim_run(&s, s.now + 10000, NULL, NULL);
  bsw_stats(s.node[FETCHER].b, &st);
  assert_int_equal(st.dup_blocks, dups + f.st.n);
  assert_int_equal(st.bad_blocks, 0);
  assert_int_equal(s.node[FETCHER].nbans, 0);
  assert_int_equal(s.node[FETCHER].on_blocks, f.st.n);
  bsw_ledger_t l;
  assert_int_equal(bsw_ledger(s.node[FETCHER].b, &s.node[2].id, &l), 0);
  sim_free(&s);
  file_free(&f);
}

/* bitswap.h lets io.on_block call bsw_block_added itself (the adapter
 * does it after a commit, later; a store that commits at once may do it
 * there): the want it satisfies was used after it was freed. */
static void test_on_block_calls_block_added(void **state) {
  (void)state;
  file_t f;
  mkfile(&f, 1 * MIB, 65536, 174, false);
  sim_t s;
  sim_init(&s);
  uint64_t sid = start(&s, &f, 2, 20, 1000, BSW_V120);
  s.node[FETCHER].sync_added = true;
  finish(&s, &f, sid);
  sim_free(&s);
  file_free(&f);
}

/* ---------------------------------------------------------- DAG order */

struct ahead_ctx {
  uint32_t max_wants;
  size_t stop_at; /* on_blocks; 0: to the end */
};

static bool stop_ahead(sim_t *s, void *ud) {
  struct ahead_ctx *a = ud;
  bsw_stats_t st;
  bsw_stats(s->node[FETCHER].b, &st);
  if (st.wants > a->max_wants)
    a->max_wants = st.wants;
  if (a->stop_at)
    return s->node[FETCHER].on_blocks >= a->stop_at;
  return s->node[FETCHER].done_calls > 0;
}

/* The leaf want-blocks the fetcher sent from log record `from` on, as leaf
 * indexes, first time each. */
static size_t leaf_wants(sim_t *s, size_t from, const dag_cid_t *leaves,
                         size_t nleaves, int *out) {
  size_t n = 0;
  bool *seen = calloc(nleaves, 1);
  for (size_t i = from; i < s->nlog; i++) {
    sim_rec_t *r = &s->log[i];
    if (r->from != FETCHER || r->cancel || r->type != BSW_WANT_BLOCK)
      continue;
    int k = leaf_index(leaves, nleaves, &r->cid);
    if (k >= 0 && !seen[k]) {
      seen[k] = true;
      out[n++] = k;
    }
  }
  free(seen);
  return n;
}

static void test_ahead_order(void **state) {
  (void)state;
  /* 64 leaves under 8 nodes under the root: three levels. */
  file_t f;
  mkfile(&f, 256 * 1024, 4096, 8, false);
  dag_cid_t leaves[64];
  assert_int_equal(leaves_of(&f, &f.root, leaves, 0), 64);
  sim_t s;
  sim_init(&s);
  s.lim.ahead_max = 4;
  uint64_t sid = start(&s, &f, 1, 20, 1000, BSW_V120);
  struct ahead_ctx a = {0, 0};
  assert_true(sim_run(&s, LIMIT_MS, stop_ahead, &a));
  finish(&s, &f, sid);
  int order[64];
  assert_int_equal(leaf_wants(&s, 0, leaves, 64, order), 64);
  for (int i = 0; i < 64; i++)
    assert_int_equal(order[i], i);
  printf("ahead: at most %u wants at once (ahead_max 4)\n", a.max_wants);
  assert_true(a.max_wants <= 4);
  sim_free(&s);
  file_free(&f);
}

static void test_ahead_cursor(void **state) {
  (void)state;
  /* 128 leaves under the root. */
  file_t f;
  mkfile(&f, 512 * 1024, 4096, 174, false);
  dag_cid_t leaves[128];
  assert_int_equal(leaves_of(&f, &f.root, leaves, 0), 128);
  sim_t s;
  sim_init(&s);
  s.lim.ahead_max = 4;
  uint64_t sid = start(&s, &f, 1, 20, 1000, BSW_V120);
  struct ahead_ctx a = {0, 9};
  assert_true(sim_run(&s, LIMIT_MS, stop_ahead, &a));
  int before[128];
  size_t nb = leaf_wants(&s, 0, leaves, 128, before);
  assert_true(nb >= 8 && nb < 20);
  size_t mark = s.nlog;
  /* A reader jumps to leaf 64 (a Range in the middle). */
  assert_int_equal(
      bsw_session_want(s.node[FETCHER].b, sid, &leaves[64], false, s.now), 0);
  a.stop_at = 0;
  assert_true(sim_run(&s, LIMIT_MS, stop_ahead, &a));
  finish(&s, &f, sid);
  int after[128];
  size_t na = leaf_wants(&s, mark, leaves, 128, after);
  assert_int_equal(nb + na, 128);
  /* 64..127 first, then what was left before the cursor, in order. */
  for (size_t i = 0; i < 64; i++)
    assert_int_equal(after[i], 64 + (int)i);
  for (size_t i = 64; i < na; i++) {
    assert_true(after[i] < 64);
    if (i > 64)
      assert_true(after[i] > after[i - 1]);
  }
  sim_free(&s);
  file_free(&f);
}

/* --------------------------------------------------- cancel, new peers */

static void test_free_cancels(void **state) {
  (void)state;
  file_t f;
  mkfile(&f, 4 * MIB, 65536, 174, false);
  sim_t s;
  sim_init(&s);
  uint64_t sid = start(&s, &f, 2, 20, 1000, BSW_V120);
  size_t some = 10;
  assert_true(sim_run(&s, LIMIT_MS, stop_half, &some));
  size_t mark = s.nlog;
  /* Which (peer, CID) hold a want of ours: the last entry sent is not a
   * cancel. */
  size_t held = 0, cancelled = 0;
  sim_rec_t *hold = malloc(mark * sizeof *hold);
  for (size_t i = 0; i < mark; i++) {
    sim_rec_t *r = &s.log[i];
    if (r->from != FETCHER || r->cancel)
      continue;
    bool later = false;
    for (size_t j = i + 1; j < mark && !later; j++)
      later = s.log[j].from == FETCHER && s.log[j].to == r->to &&
              dag_cid_equal(&s.log[j].cid, &r->cid);
    if (!later)
      hold[held++] = *r;
  }
  bsw_session_free(s.node[FETCHER].b, sid, s.now);
  for (size_t k = 0; k < held; k++) {
    bool c = false;
    for (size_t j = mark; j < s.nlog && !c; j++)
      c = s.log[j].from == FETCHER && s.log[j].to == hold[k].to &&
          s.log[j].cancel && dag_cid_equal(&s.log[j].cid, &hold[k].cid);
    cancelled += c;
  }
  free(hold);
  printf("session free: %zu wants held by peers, %zu cancelled\n", held,
         cancelled);
  assert_true(held > 0);
  assert_int_equal(cancelled, held);
  bsw_stats_t st;
  bsw_stats(s.node[FETCHER].b, &st);
  assert_int_equal(st.wants, 0);
  assert_int_equal(st.sessions, 0);
  /* The providers drop them from their ledgers. */
  sim_run(&s, s.now + 10000, NULL, NULL);
  for (int i = 1; i <= 2; i++) {
    bsw_ledger_t l;
    assert_int_equal(bsw_ledger(s.node[i].b, &s.node[FETCHER].id, &l), 0);
    assert_int_equal(l.wants, 0);
  }
  assert_int_equal(s.node[FETCHER].done_calls, 0);
  sim_free(&s);
  file_free(&f);
}

static void connect_2(sim_t *s, void *arg) {
  (void)arg;
  assert_int_equal(sim_connect(s, FETCHER, 2, BSW_V120, 20, 1000), 0);
}

/* The only provider goes away mid-fetch; a new one comes up and gets
 * want-haves for the wants that wait, answers, and the fetch ends. */
static void test_peer_up_midfetch(void **state) {
  (void)state;
  file_t f;
  mkfile(&f, 4 * MIB, 65536, 174, false);
  sim_t s;
  sim_init(&s);
  uint64_t sid = start(&s, &f, 1, 20, 1000, BSW_V120);
  assert_int_equal(sim_node(&s, 2), 0);
  sim_fill(&s, 2, &f.st);
  size_t half = f.st.n / 2;
  assert_true(sim_run(&s, LIMIT_MS, stop_half, &half));
  sim_kill(&s, FETCHER, 1);
  uint64_t t_up = s.now + 100;
  sim_at(&s, t_up, connect_2, NULL);
  sim_run(&s, t_up - 1, NULL, NULL);
  size_t mark = s.nlog;
  sim_run(&s, t_up, NULL, NULL);
  size_t haves = 0;
  for (size_t i = mark; i < s.nlog; i++)
    if (s.log[i].from == FETCHER && s.log[i].to == 2 &&
        s.log[i].type == BSW_WANT_HAVE && !s.log[i].cancel) {
      haves++;
      assert_null(ms_find(&s.node[FETCHER].st, &s.log[i].cid));
    }
  printf("peer up mid-fetch: %zu want-haves to the new peer\n", haves);
  assert_true(haves > 0);
  finish(&s, &f, sid);
  assert_true(s.node[FETCHER].blocks_from[2] > 0);
  sim_free(&s);
  file_free(&f);
}

/* ------------------------------------------------------------ versions */

static void fetch_versions(const int *v, int np, bool v0) {
  file_t f;
  mkfile(&f, 1 * MIB, 65536, 174, v0);
  sim_t s;
  sim_init(&s);
  assert_int_equal(sim_node(&s, FETCHER), 0);
  for (int i = 1; i <= np; i++) {
    assert_int_equal(sim_node(&s, i), 0);
    sim_fill(&s, i, &f.st);
    assert_int_equal(sim_connect(&s, FETCHER, i, v[i - 1], 20, 1000), 0);
  }
  uint64_t sid;
  assert_int_equal(bsw_session_new(s.node[FETCHER].b, 0, &sid), 0);
  assert_int_equal(bsw_session_want(s.node[FETCHER].b, sid, &f.root, true, 0),
                   0);
  finish(&s, &f, sid);
  for (int i = 1; i <= np; i++)
    printf("version %d: %zu blocks\n", v[i - 1],
           s.node[FETCHER].blocks_from[i]);
  /* Older peers get no want-have: nothing in our log to them is one. */
  for (size_t i = 0; i < s.nlog; i++)
    if (s.log[i].from == FETCHER && v[s.log[i].to - 1] < BSW_V120)
      assert_int_equal(s.log[i].type, BSW_WANT_BLOCK);
  sim_free(&s);
  file_free(&f);
}

static void test_v100(void **state) {
  (void)state;
  int v[] = {BSW_V100};
  fetch_versions(v, 1, true); /* 1.0.0 carries CIDv0 blocks only */
}

static void test_v110(void **state) {
  (void)state;
  int v[] = {BSW_V110};
  fetch_versions(v, 1, false);
}

static void test_versions_mixed(void **state) {
  (void)state;
  int v[] = {BSW_V100, BSW_V110, BSW_V120};
  fetch_versions(v, 3, true);
}

/* ------------------------------------------------------ provider search */

static uint64_t search_sid;

static void found(sim_t *s, void *arg) {
  (void)arg;
  assert_int_equal(sim_connect(s, FETCHER, 1, BSW_V120, 20, 1000), 0);
  bsw_session_add_peer(s->node[FETCHER].b, search_sid, &s->node[1].id,
                       s->now);
}

static void on_find(sim_t *s, sim_node_t *n) {
  (void)n;
  if (n->finds == 1)
    sim_at(s, s->now + 50, found, NULL); /* the DHT takes a while */
}

static void test_provider_search(void **state) {
  (void)state;
  file_t f;
  mkfile(&f, 1 * MIB, 65536, 174, false);
  sim_t s;
  sim_init(&s);
  s.lim.provider_delay_ms = 300;
  assert_int_equal(sim_node(&s, FETCHER), 0);
  assert_int_equal(sim_node(&s, 1), 0);
  sim_fill(&s, 1, &f.st);
  s.node[FETCHER].on_find = on_find;
  assert_int_equal(bsw_session_new(s.node[FETCHER].b, 0, &search_sid), 0);
  assert_int_equal(
      bsw_session_want(s.node[FETCHER].b, search_sid, &f.root, true, 0), 0);
  finish(&s, &f, search_sid);
  sim_node_t *fe = &s.node[FETCHER];
  printf("provider search at %llu ms (delay 300), done at %llu ms\n",
         (unsigned long long)fe->find_at, (unsigned long long)fe->done_at);
  assert_true(fe->finds >= 1);
  assert_int_equal(fe->find_sid, search_sid);
  assert_true(dag_cid_equal(&fe->find_cid, &f.root));
  assert_true(fe->find_at >= 300 && fe->find_at <= 1300);
  sim_free(&s);
  file_free(&f);
}

/* ---------------------------------------------------------- allocation */

/* An allocator that fails the calls from number la_at on (la_once: that
 * call only), and counts the blocks live, so a leak fails the test
 * without ASan. */
static long live_allocs, la_count, la_at = -1;
static bool la_once;
static bool la_fail(void) {
  long k = la_count++;
  return la_at >= 0 && (la_once ? k == la_at : k >= la_at);
}
static void *la_malloc(size_t n, void *d) {
  (void)d;
  void *p = la_fail() ? NULL : malloc(n);
  live_allocs += p != NULL;
  return p;
}
static void la_free(void *p, void *d) {
  (void)d;
  live_allocs -= p != NULL;
  free(p);
}
static void *la_calloc(size_t n, size_t sz, void *d) {
  (void)d;
  void *p = la_fail() ? NULL : calloc(n, sz);
  live_allocs += p != NULL;
  return p;
}
static void *la_realloc(void *p, size_t n, void *d) {
  (void)d;
  void *q = la_fail() ? NULL : realloc(p, n);
  if (!p && q)
    live_allocs++;
  return q;
}
static const tr_mem_t la_mem = {la_malloc, la_free, la_calloc, la_realloc,
                                NULL};

/* One fetch (two providers, a 64 KiB file of 9 blocks) with allocation
 * number at failing (and every one after it, unless once).  Returns
 * whether any allocation failed; *done: whether the fetch completed. */
static bool sweep_run(const file_t *f, long at, bool once, bool *done) {
  sim_t s;
  sim_init(&s);
  s.nolog = true;
  live_allocs = la_count = 0;
  la_at = at;
  la_once = once;
  tr_mem_set(&la_mem);
  int rc = 0;
  uint64_t sid = 0;
  bool up = true;
  for (int i = 0; i <= 2 && up; i++) {
    rc = sim_node(&s, i);
    assert_true(sim_ok_rc(rc));
    up = rc == 0;
    if (up && i)
      sim_fill(&s, i, &f->st);
  }
  for (int i = 1; i <= 2 && up; i++)
    assert_true(sim_ok_rc(sim_connect(&s, FETCHER, i, BSW_V120, 10, 1000)));
  if (up)
    rc = bsw_session_new(s.node[FETCHER].b, 0, &sid);
  assert_true(sim_ok_rc(rc));
  if (up && !rc)
    assert_true(
        sim_ok_rc(bsw_session_want(s.node[FETCHER].b, sid, &f->root, true, 0)));
  if (up)
    sim_run(&s, 60000, stop_done, NULL);
  bool failed = la_at >= 0 && la_count > la_at;
  la_at = -1; /* the checks below allocate */
  for (int i = 0; i < SIM_NODES; i++) {
    assert_int_equal(s.node[i].bad_rc, 0);
    assert_int_equal(s.node[i].bad_on_blocks, 0);
  }
  *done = s.node[FETCHER].done_calls > 0;
  if (*done) /* never done with a block missing */
    assert_file(&s, FETCHER, f);
  assert_true(s.node[FETCHER].done_calls <= 1);
  sim_free(&s);
  tr_mem_set(NULL);
  assert_int_equal(live_allocs, 0);
  if (!failed)
    assert_true(*done);
  return failed;
}

static void test_alloc_sweep(void **state) {
  (void)state;
  file_t f;
  mkfile(&f, 64 * 1024, 8192, 174, false);
  tr_log_level(TR_LOG_ERROR - 1);
  for (int once = 0; once <= 1; once++) {
    long n;
    size_t completed = 0;
    bool done;
    for (n = 0; sweep_run(&f, n, once, &done); n++)
      completed += done;
    printf("allocation sweep (%s): %ld runs, %zu completed despite it\n",
           once ? "one call fails" : "every call from one on fails", n + 1,
           completed);
    assert_true(n > 50);
  }
  tr_log_level(TR_LOG_INFO);
  file_free(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_provider),
      cmocka_unit_test(test_four_providers),
      cmocka_unit_test(test_providers_down),
      cmocka_unit_test(test_dont_have),
      cmocka_unit_test(test_silent_provider),
      cmocka_unit_test(test_liar_corrupt),
      cmocka_unit_test(test_liar_unasked),
      cmocka_unit_test(test_dup_not_punished),
      cmocka_unit_test(test_on_block_calls_block_added),
      cmocka_unit_test(test_ahead_order),
      cmocka_unit_test(test_ahead_cursor),
      cmocka_unit_test(test_free_cancels),
      cmocka_unit_test(test_peer_up_midfetch),
      cmocka_unit_test(test_v100),
      cmocka_unit_test(test_v110),
      cmocka_unit_test(test_versions_mixed),
      cmocka_unit_test(test_provider_search),
      cmocka_unit_test(test_alloc_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

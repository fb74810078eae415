/*
 * test_bsw_server.c — the server half of the bitswap core (bitswap/
 * server.c) alone: a struct bsw built by hand, an io whose send records
 * each message and whose stat/get read an in-memory table, messages read
 * back with bsw_msg_decode.  Covers the answers (HAVE, DONT_HAVE, inline
 * small blocks, blocks), the wantlist rules (cancel, full, want-block over
 * want-have, the cap), old protocol versions, blocks added later, the
 * fair scheduler (round robin, send_target, inflight_max), peers going
 * down, blocks vanishing before they are read, and allocation failures.
 */
#include "testutil.h"

#include "../bitswap/bsw_int.h"

#define NPEERS 4
#define NBLK 128

typedef struct tblk {
  dag_cid_t cid;
  uint8_t *data;
  size_t len;
  bool have; /* in the store */
} tblk_t;

typedef struct tsent {
  int peer;
  uint8_t *p;
  size_t n;
} tsent_t;

typedef struct h {
  bsw_t b;
  bsw__peer_t peer[NPEERS];
  tblk_t blk[NBLK];
  size_t nblk;
  tsent_t *log;
  size_t nlog, caplog;
  bool send_fail;
  size_t busy[NPEERS]; /* bytes sent, not yet readied, as the test sees */
  size_t busy_total, busy_peak;
  size_t gets;
} h_t;

static int peer_index(h_t *h, const net_peerid_t *id) {
  for (int i = 0; i < NPEERS; i++)
    if (net_peerid_equal(&h->peer[i].id, id))
      return i;
  abort();
}

static int t_send(void *ud, const net_peerid_t *peer, const uint8_t *p,
                  size_t n) {
  h_t *h = ud;
  if (h->send_fail)
    return -EPIPE;
  if (h->nlog == h->caplog) {
    h->caplog = h->caplog ? 2 * h->caplog : 64;
    h->log = realloc(h->log, h->caplog * sizeof *h->log);
  }
  tsent_t *s = &h->log[h->nlog++];
  s->peer = peer_index(h, peer);
  s->p = malloc(n);
  memcpy(s->p, p, n);
  s->n = n;
  h->busy[s->peer] += n;
  h->busy_total += n;
  if (h->busy_total > h->busy_peak)
    h->busy_peak = h->busy_total;
  return 0;
}

static tblk_t *find(h_t *h, const dag_cid_t *cid) {
  size_t l, ml;
  const uint8_t *mh = dag_cid_mh(cid, &ml);
  for (size_t i = 0; i < h->nblk; i++) {
    const uint8_t *m = dag_cid_mh(&h->blk[i].cid, &l);
    if (l == ml && !memcmp(m, mh, l))
      return &h->blk[i];
  }
  return NULL;
}

static int t_stat(void *ud, const dag_cid_t *cid, size_t *size) {
  tblk_t *k = find(ud, cid);
  if (!k || !k->have)
    return TR_ENOTFOUND;
  *size = k->len;
  return 0;
}

static int t_get(void *ud, const dag_cid_t *cid, tr_bytes_t *out) {
  h_t *h = ud;
  h->gets++;
  tblk_t *k = find(h, cid);
  if (!k || !k->have)
    return TR_ENOTFOUND;
  return tr_bytes_append(out, k->data, k->len);
}

static int h_init(h_t *h, const int *versions) {
  memset(h, 0, sizeof *h);
  h->b.io.send = t_send;
  h->b.io.stat = t_stat;
  h->b.io.get = t_get;
  h->b.io.ud = h;
  h->b.lim.wantlist_max = BSW_WANTLIST_MAX;
  h->b.lim.send_target = BSW_SEND_TARGET;
  h->b.lim.inflight_max = BSW_INFLIGHT_MAX;
  for (int i = 0; i < NPEERS; i++) {
    h->peer[i].id.len = 2;
    h->peer[i].id.bytes[0] = 0xaa;
    h->peer[i].id.bytes[1] = (uint8_t)i;
    h->peer[i].version = versions ? versions[i] : BSW_V120;
  }
  return bsw__srv_new(&h->b);
}

static void h_free(h_t *h) {
  bsw__srv_free(&h->b);
  tr_bytes_free(&h->b.scratch);
  for (size_t i = 0; i < h->nlog; i++)
    free(h->log[i].p);
  free(h->log);
  for (size_t i = 0; i < h->nblk; i++)
    free(h->blk[i].data);
}

/* A block of len bytes (CIDv1 raw, or CIDv0 when v0), in the store when
 * have.  Its index. */
static size_t mkblock(h_t *h, size_t len, bool v0, bool have) {
  assert_true(h->nblk < NBLK);
  tblk_t *k = &h->blk[h->nblk];
  k->data = malloc(len ? len : 1);
  for (size_t i = 0; i < len; i++)
    k->data[i] = (uint8_t)(i * 31 + h->nblk * 7 + (i >> 8));
  k->data[0] = (uint8_t)h->nblk;
  k->len = len;
  k->have = have;
  assert_int_equal(dag_cid_sum(&k->cid, v0 ? 0 : 1,
                               v0 ? DAG_CODEC_DAG_PB : DAG_CODEC_RAW,
                               DAG_MH_SHA2_256, k->data, len),
                   0);
  return h->nblk++;
}

static bsw_entry_t ent(h_t *h, size_t k, int type, bool sdh) {
  return (bsw_entry_t){.cid = h->blk[k].cid, .type = (uint8_t)type,
                       .send_dont_have = sdh, .priority = 1};
}

static bsw_entry_t cancel(h_t *h, size_t k) {
  return (bsw_entry_t){.cid = h->blk[k].cid, .cancel = true};
}

static int wl(h_t *h, int peer, bool full, bsw_entry_t *e, size_t n) {
  bsw_msg_t m = {.full = full, .entries = e, .nentries = n};
  int rc = bsw__srv_wantlist(&h->b, &h->peer[peer], &m, 0);
  bsw__srv_pump(&h->b, 0); /* as bitswap.c does after each entry point */
  return rc;
}

static int want1(h_t *h, int peer, size_t k, int type, bool sdh) {
  bsw_entry_t e = ent(h, k, type, sdh);
  return wl(h, peer, false, &e, 1);
}

static void ready(h_t *h, int peer) {
  h->busy_total -= h->busy[peer];
  h->busy[peer] = 0;
  bsw__srv_ready(&h->b, &h->peer[peer], 0);
  bsw__srv_pump(&h->b, 0);
}

/* The block k arrives in the store. */
static void added(h_t *h, size_t k) {
  h->blk[k].have = true;
  bsw__srv_block_added(&h->b, &h->blk[k].cid, h->blk[k].len, 0);
  bsw__srv_pump(&h->b, 0);
}

static void decode(h_t *h, size_t i, bsw_msg_t *m) {
  assert_true(i < h->nlog);
  assert_int_equal(bsw_msg_decode(m, h->log[i].p, h->log[i].n), 0);
}

static bool is_block(h_t *h, const bsw_block_t *bl, size_t k) {
  return bl->len == h->blk[k].len &&
         !memcmp(bl->data, h->blk[k].data, bl->len);
}

static int presence_of(const bsw_msg_t *m, h_t *h, size_t k) {
  for (size_t i = 0; i < m->npresences; i++)
    if (dag_cid_equal(&m->presences[i].cid, &h->blk[k].cid))
      return m->presences[i].type;
  return -1;
}

static void each_cb(void *ud, const dag_cid_t *cid, int type) {
  int *v = ud;
  (void)cid;
  v[0]++;
  v[1] = type;
}

/* The want type of peer's only entry. */
static int only_type(h_t *h, int peer) {
  int v[2] = {0, -1};
  bsw__srv_wantlist_each(&h->peer[peer], each_cb, v);
  assert_int_equal(v[0], 1);
  return v[1];
}

/* -------------------------------------------------------------- answers */

static void test_want_have(void **state) {
  (void)state;
  h_t h;
  assert_int_equal(h_init(&h, NULL), 0);
  size_t a = mkblock(&h, 2000, false, true);
  size_t s = mkblock(&h, 100, false, true);
  size_t x = mkblock(&h, 10, false, false);
  size_t y = mkblock(&h, 10, false, false);
  bsw_entry_t e[] = {ent(&h, a, BSW_WANT_HAVE, true),
                     ent(&h, s, BSW_WANT_HAVE, true),
                     ent(&h, x, BSW_WANT_HAVE, true),
                     ent(&h, y, BSW_WANT_HAVE, false)};
  assert_int_equal(wl(&h, 0, false, e, 4), 0);
  assert_int_equal(h.nlog, 1);
  assert_int_equal(h.log[0].peer, 0);
  bsw_msg_t m;
  decode(&h, 0, &m);
  assert_int_equal(m.nblocks, 1); /* the small one, inline */
  assert_true(is_block(&h, &m.blocks[0], s));
  assert_non_null(m.blocks[0].prefix);
  assert_int_equal(m.npresences, 2);
  assert_int_equal(presence_of(&m, &h, a), BSW_HAVE);
  assert_int_equal(presence_of(&m, &h, x), BSW_DONT_HAVE);
  assert_int_equal(presence_of(&m, &h, y), -1);
  bsw_msg_free(&m);
  /* HAVE and the block answered their entries; X and Y stay. */
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 2);
  assert_int_equal(h.b.st.blocks_sent, 1);
  assert_int_equal(h.b.st.data_sent, 100);
  assert_int_equal(h.peer[0].sent, 100);
  ready(&h, 0);
  assert_int_equal(h.nlog, 1);
  h_free(&h);
}

static void test_want_block(void **state) {
  (void)state;
  h_t h;
  assert_int_equal(h_init(&h, NULL), 0);
  size_t a = mkblock(&h, 5000, false, true);
  size_t x = mkblock(&h, 10, false, false);
  assert_int_equal(want1(&h, 0, a, BSW_WANT_BLOCK, true), 0);
  assert_int_equal(h.nlog, 1);
  bsw_msg_t m;
  decode(&h, 0, &m);
  assert_int_equal(m.nblocks, 1);
  assert_true(is_block(&h, &m.blocks[0], a));
  assert_int_equal(m.npresences, 0);
  bsw_msg_free(&m);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 0); /* sent: removed */
  /* Busy until ready: the DONT_HAVE waits. */
  assert_int_equal(want1(&h, 0, x, BSW_WANT_BLOCK, true), 0);
  assert_int_equal(h.nlog, 1);
  ready(&h, 0);
  assert_int_equal(h.nlog, 2);
  decode(&h, 1, &m);
  assert_int_equal(m.nblocks, 0);
  assert_int_equal(presence_of(&m, &h, x), BSW_DONT_HAVE);
  bsw_msg_free(&m);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 1); /* DONT_HAVE: stays */
  assert_int_equal(h.b.st.blocks_sent, 1);
  assert_int_equal(h.b.st.data_sent, 5000);
  h_free(&h);
}

static void test_cancel(void **state) {
  (void)state;
  h_t h;
  assert_int_equal(h_init(&h, NULL), 0);
  size_t a = mkblock(&h, 5000, false, true);
  size_t c = mkblock(&h, 5000, false, true);
  size_t x = mkblock(&h, 10, false, false);
  assert_int_equal(want1(&h, 0, a, BSW_WANT_BLOCK, true), 0);
  assert_int_equal(h.nlog, 1);
  /* Queued behind the busy peer, then cancelled: never sent. */
  assert_int_equal(want1(&h, 0, c, BSW_WANT_BLOCK, true), 0);
  assert_int_equal(want1(&h, 0, x, BSW_WANT_BLOCK, false), 0);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 2);
  bsw_entry_t e[] = {cancel(&h, c), cancel(&h, x), cancel(&h, a)};
  assert_int_equal(wl(&h, 0, false, e, 3), 0);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 0);
  ready(&h, 0);
  assert_int_equal(h.nlog, 1);
  added(&h, x);
  assert_int_equal(h.nlog, 1);
  h_free(&h);
}

static void test_full_replaces(void **state) {
  (void)state;
  h_t h;
  assert_int_equal(h_init(&h, NULL), 0);
  size_t x = mkblock(&h, 10, false, false);
  size_t y = mkblock(&h, 10, false, false);
  size_t z = mkblock(&h, 10, false, false);
  bsw_entry_t e[] = {ent(&h, x, BSW_WANT_BLOCK, false),
                     ent(&h, y, BSW_WANT_BLOCK, false)};
  assert_int_equal(wl(&h, 0, false, e, 2), 0);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 2);
  bsw_entry_t f = ent(&h, z, BSW_WANT_HAVE, false);
  assert_int_equal(wl(&h, 0, true, &f, 1), 0);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 1);
  assert_int_equal(only_type(&h, 0), BSW_WANT_HAVE);
  /* X no longer wanted: its arrival sends nothing. */
  added(&h, x);
  assert_int_equal(h.nlog, 0);
  assert_int_equal(wl(&h, 0, true, NULL, 0), 0);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 0);
  h_free(&h);
}

static void test_want_block_upgrades_have(void **state) {
  (void)state;
  h_t h;
  assert_int_equal(h_init(&h, NULL), 0);
  size_t x = mkblock(&h, 5000, false, false);
  size_t y = mkblock(&h, 5000, false, false);
  assert_int_equal(want1(&h, 0, x, BSW_WANT_HAVE, false), 0);
  assert_int_equal(only_type(&h, 0), BSW_WANT_HAVE);
  assert_int_equal(want1(&h, 0, x, BSW_WANT_BLOCK, false), 0);
  assert_int_equal(only_type(&h, 0), BSW_WANT_BLOCK);
  assert_int_equal(want1(&h, 0, x, BSW_WANT_HAVE, false), 0);
  assert_int_equal(only_type(&h, 0), BSW_WANT_BLOCK); /* not the reverse */
  added(&h, x);
  assert_int_equal(h.nlog, 1);
  bsw_msg_t m;
  decode(&h, 0, &m);
  assert_int_equal(m.nblocks, 1); /* the block, not HAVE */
  assert_true(is_block(&h, &m.blocks[0], x));
  assert_int_equal(m.npresences, 0);
  bsw_msg_free(&m);
  ready(&h, 0);
  /* A want-have of a big block that arrives later: HAVE, then gone. */
  assert_int_equal(want1(&h, 0, y, BSW_WANT_HAVE, false), 0);
  added(&h, y);
  assert_int_equal(h.nlog, 2);
  decode(&h, 1, &m);
  assert_int_equal(m.nblocks, 0);
  assert_int_equal(presence_of(&m, &h, y), BSW_HAVE);
  bsw_msg_free(&m);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 0);
  h_free(&h);
}

static void test_wantlist_cap(void **state) {
  (void)state;
  h_t h;
  assert_int_equal(h_init(&h, NULL), 0);
  h.b.lim.wantlist_max = 8;
  bsw_entry_t e[12];
  for (int i = 0; i < 12; i++)
    e[i] = ent(&h, mkblock(&h, 10, false, false), BSW_WANT_BLOCK, false);
  assert_int_equal(wl(&h, 0, false, e, 10), TR_ELIMIT);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 8);
  assert_int_equal(wl(&h, 0, false, &e[10], 1), TR_ELIMIT);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 8);
  /* Entries it has may be sent again, and room made by a cancel. */
  assert_int_equal(wl(&h, 0, false, e, 8), 0);
  bsw_entry_t c = cancel(&h, 0);
  assert_int_equal(wl(&h, 0, false, &c, 1), 0);
  assert_int_equal(wl(&h, 0, false, &e[11], 1), 0);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 8);
  /* A full wantlist over the cap keeps the first 8. */
  assert_int_equal(wl(&h, 0, true, e, 12), TR_ELIMIT);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 8);
  assert_int_equal(h.nlog, 0);
  h_free(&h);
}

static void test_old_versions(void **state) {
  (void)state;
  h_t h;
  int v[NPEERS] = {BSW_V100, BSW_V110, BSW_V120, BSW_V120};
  assert_int_equal(h_init(&h, v), 0);
  size_t b0 = mkblock(&h, 3000, true, true);  /* CIDv0 */
  size_t b1 = mkblock(&h, 3000, false, true); /* CIDv1 raw */
  size_t sm = mkblock(&h, 50, false, true);
  size_t x = mkblock(&h, 10, false, false);
  bsw_entry_t e[] = {ent(&h, b0, BSW_WANT_HAVE, true),
                     ent(&h, b1, BSW_WANT_BLOCK, true),
                     ent(&h, x, BSW_WANT_HAVE, true)};
  assert_int_equal(wl(&h, 0, false, e, 3), 0);
  assert_int_equal(h.nlog, 1);
  bsw_msg_t m;
  decode(&h, 0, &m);
  assert_int_equal(m.nblocks, 1); /* the raw block cannot go to 1.0.0 */
  assert_null(m.blocks[0].prefix);
  assert_true(is_block(&h, &m.blocks[0], b0));
  assert_int_equal(m.npresences, 0);
  bsw_msg_free(&m);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 1); /* X, as want-block */
  assert_int_equal(only_type(&h, 0), BSW_WANT_BLOCK);
  /* 1.1.0: blocks with a prefix, never a presence. */
  bsw_entry_t f[] = {ent(&h, b1, BSW_WANT_HAVE, true),
                     ent(&h, sm, BSW_WANT_HAVE, true),
                     ent(&h, x, BSW_WANT_BLOCK, true)};
  assert_int_equal(wl(&h, 1, false, f, 3), 0);
  assert_int_equal(h.nlog, 2);
  decode(&h, 1, &m);
  assert_int_equal(m.nblocks, 2);
  assert_non_null(m.blocks[0].prefix);
  assert_true(is_block(&h, &m.blocks[0], b1) || is_block(&h, &m.blocks[1], b1));
  assert_int_equal(m.npresences, 0);
  bsw_msg_free(&m);
  assert_int_equal(bsw__srv_wants(&h.peer[1]), 1);
  h_free(&h);
}

static void test_block_added(void **state) {
  (void)state;
  h_t h;
  assert_int_equal(h_init(&h, NULL), 0);
  size_t x = mkblock(&h, 5000, false, false);
  size_t o = mkblock(&h, 10, false, false);
  assert_int_equal(want1(&h, 0, x, BSW_WANT_BLOCK, false), 0);
  assert_int_equal(want1(&h, 1, x, BSW_WANT_HAVE, true), 0);
  assert_int_equal(want1(&h, 2, o, BSW_WANT_BLOCK, false), 0);
  assert_int_equal(h.nlog, 1); /* peer 1's DONT_HAVE */
  ready(&h, 1);
  added(&h, x);
  assert_int_equal(h.nlog, 3);
  for (size_t i = 1; i < 3; i++) {
    bsw_msg_t m;
    decode(&h, i, &m);
    if (h.log[i].peer == 0) {
      assert_int_equal(m.nblocks, 1);
      assert_true(is_block(&h, &m.blocks[0], x));
    } else {
      assert_int_equal(h.log[i].peer, 1);
      assert_int_equal(m.nblocks, 0);
      assert_int_equal(presence_of(&m, &h, x), BSW_HAVE);
    }
    bsw_msg_free(&m);
  }
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 0);
  assert_int_equal(bsw__srv_wants(&h.peer[1]), 0);
  assert_int_equal(bsw__srv_wants(&h.peer[2]), 1);
  h_free(&h);
}

/* The store gains blocks without naming them (an API import): the
 * recheck answers the unanswered wants it now can, and only those. */
static void test_store_grew(void **state) {
  (void)state;
  h_t h;
  assert_int_equal(h_init(&h, NULL), 0);
  size_t x = mkblock(&h, 5000, false, false);
  size_t y = mkblock(&h, 5000, false, false);
  size_t z = mkblock(&h, 10, false, false);
  assert_int_equal(want1(&h, 0, x, BSW_WANT_BLOCK, true), 0);
  assert_int_equal(want1(&h, 1, y, BSW_WANT_HAVE, false), 0);
  assert_int_equal(want1(&h, 2, z, BSW_WANT_BLOCK, false), 0);
  assert_int_equal(h.nlog, 1); /* peer 0's DONT_HAVE */
  ready(&h, 0);
  bsw__srv_recheck(&h.b); /* nothing new: nothing sent */
  bsw__srv_pump(&h.b, 0);
  assert_int_equal(h.nlog, 1);
  h.blk[x].have = h.blk[y].have = true; /* stored behind its back */
  bsw__srv_recheck(&h.b);
  bsw__srv_pump(&h.b, 0);
  assert_int_equal(h.nlog, 3);
  for (size_t i = 1; i < 3; i++) {
    bsw_msg_t m;
    decode(&h, i, &m);
    if (h.log[i].peer == 0) {
      assert_int_equal(m.nblocks, 1);
      assert_true(is_block(&h, &m.blocks[0], x));
    } else {
      assert_int_equal(h.log[i].peer, 1);
      assert_int_equal(m.nblocks, 0);
      assert_int_equal(presence_of(&m, &h, y), BSW_HAVE);
    }
    bsw_msg_free(&m);
  }
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 0);
  assert_int_equal(bsw__srv_wants(&h.peer[1]), 0);
  assert_int_equal(bsw__srv_wants(&h.peer[2]), 1); /* z is still missing */
  h_free(&h);
}

/* ------------------------------------------------------------ scheduler */

#define FAIR_BLOCKS 20
#define FAIR_SIZE (256u << 10)

/* Three peers each want FAIR_BLOCKS blocks of 256 KiB; ready is
 * signalled, oldest busy peer first, until nothing more is sent.  Checks
 * the order, the message sizes and the in-flight cap. */
static void run_fair(size_t inflight_max) {
  h_t h;
  assert_int_equal(h_init(&h, NULL), 0);
  h.b.lim.inflight_max = inflight_max;
  for (int p = 0; p < 3; p++) {
    bsw_entry_t e[FAIR_BLOCKS];
    for (int i = 0; i < FAIR_BLOCKS; i++)
      e[i] = ent(&h, mkblock(&h, FAIR_SIZE, false, true), BSW_WANT_BLOCK,
                 true);
    assert_int_equal(wl(&h, p, false, e, FAIR_BLOCKS), 0);
  }
  size_t next = 0; /* the oldest message whose peer is not readied */
  while (next < h.nlog)
    ready(&h, h.log[next++].peer);
  size_t got[3] = {0};
  for (size_t i = 0; i < h.nlog; i++) {
    /* Round robin: no peer's second turn before the others' first. */
    assert_int_equal(h.log[i].peer, (int)(i % 3));
    bsw_msg_t m;
    decode(&h, i, &m);
    size_t data = 0;
    for (size_t j = 0; j < m.nblocks; j++)
      data += m.blocks[j].len;
    assert_true(data <= BSW_SEND_TARGET);
    assert_int_equal(m.nblocks, BSW_SEND_TARGET / FAIR_SIZE);
    got[h.log[i].peer] += m.nblocks;
    bsw_msg_free(&m);
  }
  for (int p = 0; p < 3; p++) {
    assert_int_equal(got[p], FAIR_BLOCKS);
    assert_int_equal(bsw__srv_wants(&h.peer[p]), 0);
  }
  assert_int_equal(h.nlog, 3 * FAIR_BLOCKS * FAIR_SIZE / BSW_SEND_TARGET);
  assert_int_equal(h.b.st.blocks_sent, 3 * FAIR_BLOCKS);
  assert_int_equal(h.b.st.data_sent, 3 * FAIR_BLOCKS * FAIR_SIZE);
  /* Never more in flight than the cap, unless one message alone. */
  size_t one = h.log[0].n;
  assert_true(h.busy_peak <= (inflight_max > one ? inflight_max : one));
  h_free(&h);
}

static void test_fairness(void **state) {
  (void)state;
  run_fair(1);                       /* one message at a time */
  run_fair(BSW_SEND_TARGET * 5 / 2); /* two at a time */
  run_fair(BSW_INFLIGHT_MAX);        /* all at once */
}

static void test_big_block(void **state) {
  (void)state;
  h_t h;
  assert_int_equal(h_init(&h, NULL), 0);
  h.b.lim.send_target = 64 << 10;
  h.b.lim.inflight_max = 32 << 10; /* smaller than the message */
  size_t big = mkblock(&h, 100 << 10, false, true);
  size_t sm = mkblock(&h, 10 << 10, false, true);
  bsw_entry_t e[] = {ent(&h, big, BSW_WANT_BLOCK, true),
                     ent(&h, sm, BSW_WANT_BLOCK, true)};
  e[0].priority = 5; /* first */
  assert_int_equal(wl(&h, 0, false, e, 2), 0);
  assert_int_equal(h.nlog, 1);
  bsw_msg_t m;
  decode(&h, 0, &m);
  assert_int_equal(m.nblocks, 1); /* alone: over the target */
  assert_true(is_block(&h, &m.blocks[0], big));
  bsw_msg_free(&m);
  ready(&h, 0);
  assert_int_equal(h.nlog, 2);
  decode(&h, 1, &m);
  assert_int_equal(m.nblocks, 1);
  assert_true(is_block(&h, &m.blocks[0], sm));
  bsw_msg_free(&m);
  h_free(&h);
}

static void test_priority_order(void **state) {
  (void)state;
  h_t h;
  assert_int_equal(h_init(&h, NULL), 0);
  h.b.lim.send_target = 3000;
  size_t k[4];
  bsw_entry_t e[4];
  for (int i = 0; i < 4; i++) {
    k[i] = mkblock(&h, 2000, false, true);
    e[i] = ent(&h, k[i], BSW_WANT_BLOCK, false);
  }
  e[2].priority = 9;
  e[3].priority = 9;
  /* Peer 0 busy first, so all four wait and go in order. */
  size_t a = mkblock(&h, 10, false, true);
  assert_int_equal(want1(&h, 0, a, BSW_WANT_BLOCK, false), 0);
  assert_int_equal(wl(&h, 0, false, e, 4), 0);
  size_t order[] = {2, 3, 0, 1};
  for (int i = 0; i < 4; i++) {
    ready(&h, 0);
    assert_int_equal(h.nlog, (size_t)i + 2);
    bsw_msg_t m;
    decode(&h, (size_t)i + 1, &m);
    assert_int_equal(m.nblocks, 1);
    assert_true(is_block(&h, &m.blocks[0], k[order[i]]));
    bsw_msg_free(&m);
  }
  h_free(&h);
}

static void test_peer_down(void **state) {
  (void)state;
  h_t h;
  assert_int_equal(h_init(&h, NULL), 0);
  h.b.lim.inflight_max = 1;
  size_t a = mkblock(&h, 5000, false, true);
  size_t c = mkblock(&h, 5000, false, true);
  size_t x = mkblock(&h, 10, false, false);
  assert_int_equal(want1(&h, 0, a, BSW_WANT_BLOCK, false), 0);
  assert_int_equal(want1(&h, 0, c, BSW_WANT_BLOCK, false), 0);
  assert_int_equal(want1(&h, 0, x, BSW_WANT_BLOCK, false), 0);
  assert_int_equal(want1(&h, 1, a, BSW_WANT_BLOCK, false), 0);
  assert_int_equal(h.nlog, 1); /* peer 1 waits for the cap */
  bsw__srv_peer_down(&h.b, &h.peer[0]);
  assert_null(h.peer[0].srv);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 0);
  bsw__srv_pump(&h.b, 0); /* the cap freed: peer 1's turn */
  assert_int_equal(h.nlog, 2);
  assert_int_equal(h.log[1].peer, 1);
  bsw__srv_ready(&h.b, &h.peer[0], 0); /* late: harmless */
  added(&h, x);
  assert_int_equal(h.nlog, 2);
  h_free(&h);
}

static void test_block_gone_before_send(void **state) {
  (void)state;
  h_t h;
  assert_int_equal(h_init(&h, NULL), 0);
  size_t a = mkblock(&h, 10, false, true);
  size_t g1 = mkblock(&h, 5000, false, true);
  size_t g2 = mkblock(&h, 5000, false, true);
  assert_int_equal(want1(&h, 0, a, BSW_WANT_BLOCK, false), 0);
  assert_int_equal(want1(&h, 0, g1, BSW_WANT_BLOCK, true), 0);
  assert_int_equal(want1(&h, 0, g2, BSW_WANT_BLOCK, false), 0);
  h.blk[g1].have = h.blk[g2].have = false; /* GC, while queued */
  ready(&h, 0);
  assert_int_equal(h.nlog, 2);
  bsw_msg_t m;
  decode(&h, 1, &m);
  assert_int_equal(m.nblocks, 0);
  assert_int_equal(m.npresences, 1);
  assert_int_equal(presence_of(&m, &h, g1), BSW_DONT_HAVE);
  bsw_msg_free(&m);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 2); /* both stay */
  ready(&h, 0);
  assert_int_equal(h.nlog, 2);
  /* Back in the store: answered then. */
  added(&h, g2);
  assert_int_equal(h.nlog, 3);
  decode(&h, 2, &m);
  assert_int_equal(m.nblocks, 1);
  assert_true(is_block(&h, &m.blocks[0], g2));
  bsw_msg_free(&m);
  h_free(&h);
}

static void test_send_fails(void **state) {
  (void)state;
  h_t h;
  assert_int_equal(h_init(&h, NULL), 0);
  size_t a = mkblock(&h, 5000, false, true);
  h.send_fail = true;
  assert_int_equal(want1(&h, 0, a, BSW_WANT_BLOCK, false), 0);
  assert_int_equal(h.nlog, 0);
  assert_int_equal(h.b.st.blocks_sent, 0);
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 1); /* not sent: stays */
  h.send_fail = false;
  bsw__srv_pump(&h.b, 0);
  assert_int_equal(h.nlog, 0); /* the answer was dropped, not retried */
  added(&h, a);
  assert_int_equal(h.nlog, 1); /* not busy: the failed send did not count */
  assert_int_equal(bsw__srv_wants(&h.peer[0]), 0);
  h_free(&h);
}

/* ------------------------------------------------ through bitswap.c */

static void t_on_block(void *ud, const dag_cid_t *cid, const uint8_t *data,
                       size_t len) {
  (void)ud, (void)cid, (void)data, (void)len;
}

/* The same answers through the public entry points: a wantlist encoded
 * on the wire, dispatched by bsw_on_message, the block sent once the
 * peer is ready, and the ledger bsw_ledger reports. */
static void test_public_api(void **state) {
  (void)state;
  h_t h;
  assert_int_equal(h_init(&h, NULL), 0);
  bsw__srv_free(&h.b); /* only the store and the log of h are used */
  size_t a = mkblock(&h, 5000, false, true);
  size_t c = mkblock(&h, 7000, false, true);
  bsw_io_t io = {.send = t_send, .stat = t_stat, .get = t_get,
                 .on_block = t_on_block, .ud = &h};
  bsw_t *b;
  assert_int_equal(bsw_new(&io, NULL, 0, &b), 0);
  const net_peerid_t *id = &h.peer[0].id;
  assert_int_equal(bsw_peer_up(b, id, BSW_V120, 1), 0);
  bsw_entry_t e[] = {ent(&h, a, BSW_WANT_BLOCK, true),
                     ent(&h, c, BSW_WANT_BLOCK, true)};
  tr_bytes_t msg = {0};
  assert_int_equal(bsw_enc_wantlist(&msg, e, 2, true, BSW_V120), 0);
  assert_int_equal(bsw_on_message(b, id, msg.data, msg.len, 2), 0);
  tr_bytes_free(&msg);
  assert_int_equal(h.nlog, 1); /* both blocks fit one message */
  bsw_msg_t m;
  decode(&h, 0, &m);
  assert_int_equal(m.nblocks, 2);
  bsw_msg_free(&m);
  bsw_ledger_t lg;
  assert_int_equal(bsw_ledger(b, id, &lg), 0);
  assert_int_equal(lg.sent, 12000);
  assert_int_equal(lg.wants, 0);
  bsw_stats_t st;
  bsw_stats(b, &st);
  assert_int_equal(st.blocks_sent, 2);
  assert_int_equal(st.data_sent, 12000);
  bsw_peer_ready(b, id, 3);
  bsw_peer_down(b, id, 4);
  assert_int_equal(bsw_ledger(b, id, &lg), TR_ENOTFOUND);
  bsw_free(b);
  h_free(&h);
}

/* --------------------------------------------------------- failmalloc */

/* Everything at once; any allocation may fail.  Returns blocks sent. */
static uint64_t scenario(void) {
  h_t h;
  uint64_t sent = 0;
  if (h_init(&h, NULL) == 0) {
    h.b.lim.send_target = 8000;
    size_t k[40];
    for (int i = 0; i < 40; i++)
      k[i] = mkblock(&h, i % 4 ? 3000 : 500, false, i % 5 != 0);
    for (int p = 0; p < 3; p++) {
      bsw_entry_t e[40];
      for (int i = 0; i < 40; i++)
        e[i] = ent(&h, k[i], (i + p) % 2 ? BSW_WANT_HAVE : BSW_WANT_BLOCK,
                   true);
      int rc = wl(&h, p, p == 1, e, 40);
      assert_true(rc == 0 || rc == -ENOMEM);
    }
    bsw_entry_t c = cancel(&h, k[3]);
    int rc = wl(&h, 2, false, &c, 1);
    assert_true(rc == 0 || rc == -ENOMEM);
    for (int i = 0; i < 40; i += 5) {
      added(&h, k[i]);
    }
    for (int round = 0; round < 40; round++)
      for (int p = 0; p < 3; p++)
        ready(&h, p);
    bsw__srv_peer_down(&h.b, &h.peer[1]);
    sent = h.b.st.blocks_sent;
  }
  h_free(&h);
  return sent;
}

static void test_failmalloc(void **state) {
  (void)state;
  uint64_t want = scenario();
  assert_true(want > 40);
  for (long n = 0;; n++) {
    fm_start(n);
    uint64_t got = scenario();
    long used = fm_count;
    fm_reset();
    if (used <= n) {
      assert_int_equal(got, want); /* no failure: the same outcome */
      break;
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_want_have),
      cmocka_unit_test(test_want_block),
      cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_full_replaces),
      cmocka_unit_test(test_want_block_upgrades_have),
      cmocka_unit_test(test_wantlist_cap),
      cmocka_unit_test(test_old_versions),
      cmocka_unit_test(test_block_added),
      cmocka_unit_test(test_store_grew),
      cmocka_unit_test(test_fairness),
      cmocka_unit_test(test_big_block),
      cmocka_unit_test(test_priority_order),
      cmocka_unit_test(test_peer_down),
      cmocka_unit_test(test_block_gone_before_send),
      cmocka_unit_test(test_send_fails),
      cmocka_unit_test(test_public_api),
      cmocka_unit_test(test_failmalloc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

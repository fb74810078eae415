/*
 * test_dht_sweep.c — the sweep reprovider (dht/sweep.h) on the simulated
 * network (dht/sim.h): a sweep over thousands of keys from one node puts
 * each key's record at its k closest peers (checked against the network's
 * true k closest) with far fewer lookups than keys, so that other nodes
 * find it; the counters add up; regions of a key or two go the plain way;
 * keys outside their region are refused; dead nodes are stepped over; regions whose lookups reach
 * nobody (and a cycle whose estimate does) are retried later; cycles
 * repeat at the interval, spread over it when asked.  A node whose
 * transport takes only so many sends at once (the swarm's queue, full)
 * still sends every record: its pages pause and go on where they
 * stopped (they used to drop what was refused).  A one-shot sweep (`routing
 * provide` of many keys) runs one cycle, retries nothing, says once that
 * it is over (also when it reaches nobody), and can be let go after its
 * DHT is gone.
 */
#include "testutil.h"

#include <inttypes.h>
#include <stdlib.h>

#include "../dag/multihash.h"
#include "../dht/dht.h"
#include "../dht/sim.h"
#include "../dht/sweep.h"

/* ------------------------------------------------- the caller's keys */

typedef struct hkey {
  uint8_t h[32];
  uint8_t mh[34];
} hkey_t;

typedef struct keyset {
  hkey_t *v;
  size_t n;
  unsigned calls;
  bool fail;         /* the keys function errs */
  bool stray;        /* hand one key of another region with the first page */
} keyset_t;

static int hkey_cmp(const void *a, const void *b) {
  return memcmp(((const hkey_t *)a)->h, ((const hkey_t *)b)->h, 32);
}

static void mh_of(uint32_t i, uint8_t mh[34]) {
  mh[0] = 0x12, mh[1] = 0x20;
  uint8_t x[5] = {'s', (uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16), 9};
  dag_sha256(x, sizeof x, mh + 2);
}

static keyset_t keyset(size_t n, uint32_t salt) {
  keyset_t ks = {.v = calloc(n, sizeof(hkey_t)), .n = n};
  assert_non_null(ks.v);
  for (size_t i = 0; i < n; i++) {
    mh_of((uint32_t)(i + salt), ks.v[i].mh);
    dht_key(ks.v[i].mh, 34, ks.v[i].h);
  }
  qsort(ks.v, n, sizeof *ks.v, hkey_cmp);
  return ks;
}

static bool has_prefix(const uint8_t h[32], const uint8_t p[32],
                       unsigned bits) {
  for (unsigned b = 0; b < bits; b++)
    if ((h[b / 8] ^ p[b / 8]) & (0x80 >> (b % 8)))
      return false;
  return true;
}

/* A binary search for the first key of the region after after. */
static int keys_fn(void *ud, const uint8_t prefix[32], unsigned bits,
                   const uint8_t *after, dht_sweep_key_t *out, size_t max) {
  keyset_t *ks = ud;
  ks->calls++;
  if (ks->fail)
    return -EIO;
  size_t lo = 0, hi = ks->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    bool before = after ? memcmp(ks->v[mid].h, after, 32) <= 0
                        : memcmp(ks->v[mid].h, prefix, 32) < 0 &&
                              !has_prefix(ks->v[mid].h, prefix, bits);
    if (before)
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t n = 0;
  if (ks->stray && !after && max > 1) {
    /* A key of another region: the reprovider must skip it. */
    for (size_t i = 0; i < ks->n; i++)
      if (!has_prefix(ks->v[i].h, prefix, bits)) {
        out[n].len = 34;
        memcpy(out[n++].mh, ks->v[i].mh, 34);
        break;
      }
  }
  for (; lo < ks->n && n < max && has_prefix(ks->v[lo].h, prefix, bits); lo++) {
    out[n].len = 34;
    memcpy(out[n++].mh, ks->v[lo].mh, 34);
  }
  return (int)n;
}

/* ---------------------------------------------------------- driving */

#define SLICE_MS 100

/* Tick the reprovider (and node x's timers) and run the network in
 * slices until cond holds or the clock passes limit. */
typedef bool (*cond_fn)(const dht_sweep_stats_t *st, void *arg);

static void drive(dht_sim_t *sim, size_t x, dht_sweep_t *sw, cond_fn cond,
                  void *arg, uint64_t limit) {
  for (;;) {
    uint64_t now = dht_sim_now(sim);
    uint64_t next = dht_sweep_tick(sw, now);
    uint64_t dn = dht_tick(dht_sim_node(sim, x), now);
    dht_sweep_stats_t st;
    dht_sweep_stats(sw, &st);
    if (cond(&st, arg) || now > limit)
      return;
    if (dn < next)
      next = dn;
    if (next > now + SLICE_MS)
      next = now + SLICE_MS;
    dht_sim_run(sim, next > now ? next : now + 1);
  }
}

static bool cycles_at_least(const dht_sweep_stats_t *st, void *arg) {
  return st->cycles >= *(uint64_t *)arg;
}

static bool no_retry_left(const dht_sweep_stats_t *st, void *arg) {
  (void)arg;
  return st->retry_pending == 0 && st->active == 0;
}

/* --------------------------------------------------------- checking */

typedef struct found {
  net_peerid_t want;
  bool saw;
  int done;
} found_t;

static void on_prov(void *ud, const dht_peer_t *p) {
  found_t *f = ud;
  if (net_peerid_equal(&p->id, &f->want))
    f->saw = true;
}

static void on_done(void *ud, int status, const dht_peer_t *c, size_t n,
                    const uint8_t *val, size_t vl, const dht_qstats_t *st) {
  (void)status, (void)c, (void)n, (void)val, (void)vl, (void)st;
  ((found_t *)ud)->done++;
}

/* get_providers for key i from node `from`: did it name node x? */
static bool found_from(dht_sim_t *sim, size_t from, size_t x,
                       const uint8_t mh[34]) {
  dht_peer_t xp;
  dht_sim_peer(sim, x, &xp);
  found_t f = {.want = xp.id};
  const dht_query_cbs_t cbs = {.on_provider = on_prov, .on_done = on_done};
  assert_int_equal(dht_get_providers(dht_sim_node(sim, from), mh, 34, 1,
                                     &cbs, &f, dht_sim_now(sim), NULL),
                   0);
  dht_sim_run(sim, UINT64_MAX);
  assert_int_equal(f.done, 1);
  return f.saw;
}

typedef struct nk {
  uint8_t d[32];
  size_t i;
} nk_t;

static int nk_cmp(const void *a, const void *b) {
  return memcmp(((const nk_t *)a)->d, ((const nk_t *)b)->d, 32);
}

/* Of the network's true k closest live nodes to key h (x aside), how
 * many hold x's record for mh. */
static size_t holders(dht_sim_t *sim, size_t x, const uint8_t h[32],
                      const uint8_t mh[34], nk_t *tmp) {
  size_t n = dht_sim_size(sim), m = 0;
  for (size_t i = 0; i < n; i++) {
    if (i == x || !dht_sim_alive(sim, i))
      continue;
    dht_peer_t p;
    dht_sim_peer(sim, i, &p);
    uint8_t k[32];
    dht_key(p.id.bytes, p.id.len, k);
    for (int b = 0; b < 32; b++)
      tmp[m].d[b] = k[b] ^ h[b];
    tmp[m++].i = i;
  }
  qsort(tmp, m, sizeof *tmp, nk_cmp);
  dht_peer_t xp;
  dht_sim_peer(sim, x, &xp);
  size_t held = 0;
  for (size_t j = 0; j < DHT_K && j < m; j++) {
    dht_peer_t out[DHT_STORE_PER_KEY];
    size_t np = dht_store_providers(dht_store(dht_sim_node(sim, tmp[j].i)),
                                    mh, 34, dht_sim_now(sim), out,
                                    DHT_STORE_PER_KEY);
    for (size_t q = 0; q < np; q++)
      if (net_peerid_equal(&out[q].id, &xp.id)) {
        held++;
        break;
      }
  }
  return held;
}

static dht_sim_t *sim_filled(size_t n, uint64_t seed) {
  dht_sim_opts_t o = {.n = n, .seed = seed};
  dht_sim_t *s;
  assert_int_equal(dht_sim_new(&o, &s), 0);
  assert_int_equal(dht_sim_fill_tables(s), 0);
  return s;
}

/* ------------------------------------------------------------- tests */

/* 3,000 keys from node 7 of 1,000: each lands at its true k closest,
 * is found from elsewhere, and the sweep needed a few lookups per
 * region, not one per key. */
static void test_sweep_network(void **state) {
  (void)state;
  const size_t N = 1000, NKEYS = 3000, X = 7;
  dht_sim_t *sim = sim_filled(N, 11);
  keyset_t ks = keyset(NKEYS, 0);
  dht_sweep_opts_t o = {.keys = keys_fn, .ud = &ks, .page = 64};
  dht_sweep_t *sw;
  assert_int_equal(dht_sweep_new(dht_sim_node(sim, X), &o, &sw), 0);
  uint64_t one = 1, t0 = dht_sim_now(sim);
  drive(sim, X, sw, cycles_at_least, &one, t0 + 3600 * 1000);
  dht_sim_run(sim, UINT64_MAX); /* the last page's messages land */
  dht_sweep_stats_t st;
  dht_sweep_stats(sw, &st);
  /* 1,000 nodes, k = 20: regions of 5 or 6 bits (log2(1000/20) ~ 5.6). */
  print_message("sweep: %u bits, %" PRIu64 " regions, %" PRIu64
                " lookups (%" PRIu64 " failed, %" PRIu64 " requests), %" PRIu64
                " keys, %" PRIu64 " messages, cycle %" PRIu64 " ms\n",
                st.prefix_bits, st.regions, st.lookups, st.lookups_failed,
                st.lookup_requests, st.keys, st.messages, st.last_cycle_ms);
  assert_int_equal(st.cycles, 1);
  assert_true(st.prefix_bits >= 4 && st.prefix_bits <= 7);
  assert_int_equal(st.regions, 1ull << st.prefix_bits);
  assert_int_equal(st.regions_done, st.regions);
  assert_int_equal(st.keys, NKEYS);
  assert_int_equal(st.cycle_keys, NKEYS);
  assert_int_equal(st.keys_bad, 0);
  assert_int_equal(st.messages, NKEYS * DHT_K);
  assert_int_equal(st.regions_failed, 0);
  assert_int_equal(st.retry_pending, 0);
  assert_int_equal(st.active, 0);
  assert_int_equal(st.lookups_failed, 0);
  /* One estimate, then a few per region: far fewer than keys. */
  assert_true(st.lookups <= 1 + 8 * st.regions);
  assert_true(st.lookups * 20 < NKEYS);
  assert_true(st.last_cycle_ms > 0);
  /* Every key sits at its true k closest (all 20 of them, for nearly all
   * keys: a lookup may miss a peer, the sweep's exploration too). */
  nk_t *tmp = calloc(N, sizeof *tmp);
  assert_non_null(tmp);
  size_t held = 0, full = 0;
  for (size_t i = 0; i < NKEYS; i++) {
    size_t h = holders(sim, X, ks.v[i].h, ks.v[i].mh, tmp);
    held += h;
    full += h == DHT_K;
  }
  print_message("sweep: %zu of %zu records at the true k closest, %zu keys "
                "with all k\n", held, NKEYS * DHT_K, full);
  assert_true(held >= NKEYS * DHT_K * 98 / 100);
  assert_true(full >= NKEYS * 9 / 10);
  free(tmp);
  /* And other nodes find them. */
  size_t missed = 0;
  for (size_t i = 0; i < NKEYS; i += 10)
    missed += !found_from(sim, (i * 7919 + 3) % N == X ? 0 : (i * 7919 + 3) % N,
                          X, ks.v[i].mh);
  assert_int_equal(missed, 0);
  /* The next cycle comes one interval after the first began. */
  uint64_t next = dht_sweep_tick(sw, dht_sim_now(sim));
  assert_int_equal(next, st.cycle_start + DHT_SWEEP_INTERVAL_MS);
  dht_sweep_free(sw);
  free(ks.v);
  dht_sim_free(sim);
}

/* 1,000 keys from a node whose transport holds 100 ADD_PROVIDERs on the
 * way at most (a page is 64 x 20 = 1,280 of them): every record is sent
 * and lands at its true k closest, in pauses the stats count. */
static void test_sweep_full(void **state) {
  (void)state;
  const size_t N = 500, NKEYS = 1000, X = 3;
  dht_sim_opts_t so = {.n = N, .seed = 5, .out_max = 100};
  dht_sim_t *sim;
  assert_int_equal(dht_sim_new(&so, &sim), 0);
  assert_int_equal(dht_sim_fill_tables(sim), 0);
  keyset_t ks = keyset(NKEYS, 77);
  dht_sweep_opts_t o = {.keys = keys_fn, .ud = &ks, .page = 64};
  dht_sweep_t *sw;
  assert_int_equal(dht_sweep_new(dht_sim_node(sim, X), &o, &sw), 0);
  uint64_t one = 1, t0 = dht_sim_now(sim);
  drive(sim, X, sw, cycles_at_least, &one, t0 + 3600 * 1000);
  dht_sim_run(sim, UINT64_MAX);
  dht_sweep_stats_t st;
  dht_sweep_stats(sw, &st);
  print_message("sweep, transport full: %" PRIu64 " messages, %" PRIu64
                " pauses, cycle %" PRIu64 " ms\n", st.messages,
                st.send_pauses, st.last_cycle_ms);
  assert_int_equal(st.cycles, 1);
  assert_int_equal(st.keys, NKEYS);
  assert_int_equal(st.keys_bad, 0);
  assert_int_equal(st.messages, NKEYS * DHT_K);
  assert_true(st.send_pauses > 0);
  nk_t *tmp = calloc(N, sizeof *tmp);
  assert_non_null(tmp);
  size_t held = 0;
  for (size_t i = 0; i < NKEYS; i++)
    held += holders(sim, X, ks.v[i].h, ks.v[i].mh, tmp);
  print_message("sweep, transport full: %zu of %zu records at the true k "
                "closest\n", held, NKEYS * DHT_K);
  assert_true(held >= NKEYS * DHT_K * 98 / 100);
  free(tmp);
  dht_sweep_free(sw);
  free(ks.v);
  dht_sim_free(sim);
}

/* A tenth of the nodes dead (half refuse, half are silent) but still in
 * every table: the regions' lookups step over them, and each key still
 * reaches its true k closest among the living. */
static void test_sweep_dead(void **state) {
  (void)state;
  const size_t N = 600, NKEYS = 1200, X = 2;
  dht_sim_t *sim = sim_filled(N, 31);
  for (size_t i = 5; i < N; i += 10)
    dht_sim_kill(sim, i, i % 20 == 5);
  keyset_t ks = keyset(NKEYS, 40000);
  dht_sweep_opts_t o = {.keys = keys_fn, .ud = &ks};
  dht_sweep_t *sw;
  assert_int_equal(dht_sweep_new(dht_sim_node(sim, X), &o, &sw), 0);
  uint64_t one = 1;
  drive(sim, X, sw, cycles_at_least, &one, dht_sim_now(sim) + 3600 * 1000);
  dht_sim_run(sim, UINT64_MAX); /* the last page's messages land */
  dht_sweep_stats_t st;
  dht_sweep_stats(sw, &st);
  assert_int_equal(st.cycles, 1);
  assert_int_equal(st.keys, NKEYS);
  assert_int_equal(st.regions_failed, 0);
  assert_int_equal(st.messages, NKEYS * DHT_K); /* to peers that answered */
  nk_t *tmp = calloc(N, sizeof *tmp);
  assert_non_null(tmp);
  size_t held = 0;
  for (size_t i = 0; i < NKEYS; i++)
    held += holders(sim, X, ks.v[i].h, ks.v[i].mh, tmp);
  print_message("sweep with dead nodes: %u bits, %" PRIu64 " lookups, %zu of %zu "
                "records at the true k closest living\n",
                st.prefix_bits, st.lookups, held, NKEYS * DHT_K);
  assert_true(held >= NKEYS * DHT_K * 98 / 100);
  free(tmp);
  size_t missed = 0;
  for (size_t i = 0; i < NKEYS; i += 12) {
    size_t from = (i * 13 + 1) % N;
    while (from == X || !dht_sim_alive(sim, from))
      from = (from + 1) % N;
    missed += !found_from(sim, from, X, ks.v[i].mh);
  }
  assert_int_equal(missed, 0);
  dht_sweep_free(sw);
  free(ks.v);
  dht_sim_free(sim);
}

/* A network smaller than k, fixed regions of 4 bits and 3 keys: regions
 * with a key or two go by one lookup per key, and every key reaches every
 * other node.  A key handed to the wrong region is skipped. */
static void test_sweep_small(void **state) {
  (void)state;
  const size_t N = 12, X = 0;
  dht_sim_t *sim = sim_filled(N, 5);
  keyset_t ks = keyset(3, 100);
  dht_sweep_opts_t o = {.keys = keys_fn, .ud = &ks, .prefix_bits = 4};
  dht_sweep_t *sw;
  assert_int_equal(dht_sweep_new(dht_sim_node(sim, X), &o, &sw), 0);
  uint64_t one = 1;
  drive(sim, X, sw, cycles_at_least, &one, dht_sim_now(sim) + 3600 * 1000);
  dht_sweep_stats_t st;
  dht_sweep_stats(sw, &st);
  assert_int_equal(st.cycles, 1);
  assert_int_equal(st.regions, 16);
  assert_int_equal(st.regions_done, 16);
  assert_int_equal(st.keys, 3);
  assert_int_equal(st.lookups, 3); /* no estimate, one per key */
  assert_int_equal(st.messages, 3 * (N - 1));
  assert_int_equal(ks.calls, 16); /* one page per region */
  for (size_t i = 0; i < ks.n; i++)
    for (size_t j = 1; j < N; j++)
      assert_true(found_from(sim, j, X, ks.v[i].mh));
  dht_sweep_free(sw);

  /* Stray keys: each region's first page starts with a key of another
   * region; it is counted and skipped, the region's own keys go out. */
  ks.stray = true;
  keyset_t many = keyset(200, 500);
  many.stray = true;
  o.ud = &many;
  o.prefix_bits = 1;
  assert_int_equal(dht_sweep_new(dht_sim_node(sim, X), &o, &sw), 0);
  drive(sim, X, sw, cycles_at_least, &one, dht_sim_now(sim) + 3600 * 1000);
  dht_sweep_stats(sw, &st);
  assert_int_equal(st.keys, 200);
  assert_int_equal(st.keys_bad, 2);
  assert_int_equal(st.messages, 200 * (N - 1));
  dht_sweep_free(sw);
  free(many.v);
  free(ks.v);
  dht_sim_free(sim);
}

static void rt_collect(void *ud, unsigned bucket, const dht_peer_t *p,
                       uint64_t last_seen) {
  (void)bucket, (void)last_seen;
  dht_peer_t **w = ud;
  *(*w)++ = *p;
}

/* Node x loses its whole table: regions fail (their first lookup ends at
 * once) and wait for a retry, and so does an estimating cycle.  With the
 * table back, the retries provide everything. */
static void test_sweep_retry(void **state) {
  (void)state;
  const size_t N = 300, X = 3, NKEYS = 400;
  dht_sim_t *sim = sim_filled(N, 21);
  dht_t *x = dht_sim_node(sim, X);
  size_t n0 = dht_rt_size(x);
  dht_peer_t *saved = calloc(n0, sizeof *saved), *w = saved;
  assert_non_null(saved);
  dht_rt_walk(x, rt_collect, &w);
  assert_int_equal((size_t)(w - saved), n0);
  for (size_t i = 0; i < n0; i++)
    dht_remove_peer(x, &saved[i].id);
  assert_int_equal(dht_rt_size(x), 0);

  keyset_t ks = keyset(NKEYS, 9000);
  /* An estimating reprovider cannot even begin a cycle. */
  dht_sweep_opts_t oe = {.keys = keys_fn, .ud = &ks};
  dht_sweep_t *se;
  assert_int_equal(dht_sweep_new(x, &oe, &se), 0);
  uint64_t now = dht_sim_now(sim);
  assert_int_equal(dht_sweep_tick(se, now), now + DHT_SWEEP_RETRY_MS);
  dht_sweep_stats_t st;
  dht_sweep_stats(se, &st);
  assert_int_equal(st.lookups, 1);
  assert_int_equal(st.lookups_failed, 1);
  assert_int_equal(st.regions, 0);
  assert_int_equal(st.cycle_start, 0);
  dht_sweep_free(se);

  dht_sweep_opts_t o = {.keys = keys_fn, .ud = &ks, .prefix_bits = 3};
  dht_sweep_t *sw;
  assert_int_equal(dht_sweep_new(x, &o, &sw), 0);
  uint64_t next = dht_sweep_tick(sw, now);
  dht_sweep_stats(sw, &st);
  /* The cycle went through: each of the 8 regions failed at once. */
  assert_int_equal(st.cycles, 1);
  assert_int_equal(st.regions_done, 8);
  assert_int_equal(st.regions_failed, 8);
  assert_int_equal(st.retry_pending, 8);
  assert_int_equal(st.keys, 0);
  assert_int_equal(st.lookups, 8);
  assert_int_equal(st.lookups_failed, 8);
  assert_int_equal(next, now + DHT_SWEEP_RETRY_MS);
  /* Too early: nothing is retried. */
  dht_sim_run(sim, now + DHT_SWEEP_RETRY_MS - 1);
  dht_sweep_tick(sw, dht_sim_now(sim));
  dht_sweep_stats(sw, &st);
  assert_int_equal(st.regions_retried, 0);
  /* The table comes back; at the retry time the regions are done. */
  for (size_t i = 0; i < n0; i++)
    assert_int_equal(dht_add_peer(x, &saved[i], dht_sim_now(sim)), 0);
  drive(sim, X, sw, no_retry_left, NULL, now + 2 * DHT_SWEEP_RETRY_MS);
  dht_sweep_stats(sw, &st);
  assert_int_equal(st.regions_retried, 8);
  assert_int_equal(st.retry_pending, 0);
  assert_int_equal(st.regions_failed, 8);
  assert_int_equal(st.keys, NKEYS);
  assert_int_equal(st.cycle_keys, 0); /* retries are not the cycle's */
  assert_int_equal(st.messages, NKEYS * DHT_K);
  size_t missed = 0;
  for (size_t i = 0; i < NKEYS; i += 4)
    missed += !found_from(sim, (i * 31 + 1) % N == X ? 1 : (i * 31 + 1) % N,
                          X, ks.v[i].mh);
  assert_int_equal(missed, 0);
  /* A keys function that fails also sends its region to the retry list. */
  ks.fail = true;
  dht_sweep_restart(sw, dht_sim_now(sim));
  dht_sweep_stats(sw, &st);
  assert_int_equal(st.regions_failed, 16);
  assert_int_equal(st.retry_pending, 8);
  assert_int_equal(st.cycles, 2);
  dht_sweep_free(sw);
  free(saved);
  free(ks.v);
  dht_sim_free(sim);
}

typedef struct wakes {
  dht_sim_t *sim;
  unsigned n, early;
} wakes_t;

/* The reprovider wants a tick sooner: never for a time already past. */
static void on_wake(void *ud, uint64_t at) {
  wakes_t *w = ud;
  w->n++;
  w->early += at < dht_sim_now(w->sim);
}

static int keys_wake(void *ud, const uint8_t prefix[32], unsigned bits,
                     const uint8_t *after, dht_sweep_key_t *out, size_t max) {
  return keys_fn(((void **)ud)[0], prefix, bits, after, out, max);
}

static void wake_cb(void *ud, uint64_t at) { on_wake(((void **)ud)[1], at); }

/* Spread: with 8 regions and an interval of 80 s, region i starts at
 * cycle start + 10 s * i; the cycle ends after 70 s and some, and the
 * next one begins 80 s after the first. */
static void test_sweep_spread(void **state) {
  (void)state;
  const size_t N = 200, X = 1;
  dht_sim_t *sim = sim_filled(N, 4);
  keyset_t ks = keyset(300, 77);
  wakes_t wk = {.sim = sim};
  void *both[2] = {&ks, &wk};
  dht_sweep_opts_t o = {.keys = keys_wake, .wake = wake_cb, .ud = both,
                        .prefix_bits = 3, .spread = true,
                        .interval_ms = 80000};
  dht_sweep_t *sw;
  assert_int_equal(dht_sweep_new(dht_sim_node(sim, X), &o, &sw), 0);
  uint64_t t0 = dht_sim_now(sim);
  dht_sweep_tick(sw, t0);
  dht_sweep_stats_t st;
  dht_sweep_stats(sw, &st);
  assert_int_equal(st.active, 1); /* region 0 only */
  uint64_t one = 1, two = 2;
  drive(sim, X, sw, cycles_at_least, &one, t0 + 79000);
  dht_sweep_stats(sw, &st);
  assert_int_equal(st.cycles, 1);
  assert_true(st.last_cycle_ms >= 70000 && st.last_cycle_ms < 80000);
  assert_int_equal(st.keys, 300);
  assert_true(dht_sim_now(sim) < t0 + 80000);
  /* Lookups that end inside the network's run move regions on and ask
   * for a tick at the next page's time. */
  assert_true(wk.n > 0);
  assert_int_equal(wk.early, 0);
  drive(sim, X, sw, cycles_at_least, &two, t0 + 200000);
  dht_sweep_stats(sw, &st);
  assert_int_equal(st.cycles, 2);
  assert_int_equal(st.cycle_start, t0 + 80000);
  assert_int_equal(st.keys, 600);
  assert_int_equal(st.cycle_keys, 300);
  dht_sweep_free(sw);
  free(ks.v);
  dht_sim_free(sim);
}

typedef struct once {
  keyset_t *ks;
  unsigned done;
} once_t;

static int keys_once(void *ud, const uint8_t prefix[32], unsigned bits,
                     const uint8_t *after, dht_sweep_key_t *out, size_t max) {
  return keys_fn(((once_t *)ud)->ks, prefix, bits, after, out, max);
}

static void once_done(void *ud) { ((once_t *)ud)->done++; }

static bool once_over(const dht_sweep_stats_t *st, void *arg) {
  (void)st;
  return ((once_t *)arg)->done > 0;
}

/* Once: 500 keys from node 5 of 400 reach their true k closest in one
 * cycle of few lookups; done is said once, and then nothing more
 * happens, however long it is ticked. */
static void test_sweep_once(void **state) {
  (void)state;
  const size_t N = 400, NKEYS = 500, X = 5;
  dht_sim_t *sim = sim_filled(N, 17);
  keyset_t ks = keyset(NKEYS, 4242);
  once_t on = {.ks = &ks};
  dht_sweep_opts_t o = {.keys = keys_once, .done = once_done, .ud = &on,
                        .once = true, .page = 64, .concurrency = 16,
                        .pace_ms = UINT32_MAX};
  dht_sweep_t *sw;
  assert_int_equal(dht_sweep_new(dht_sim_node(sim, X), &o, &sw), 0);
  uint64_t t0 = dht_sim_now(sim);
  drive(sim, X, sw, once_over, &on, t0 + 600 * 1000);
  dht_sim_run(sim, UINT64_MAX);
  assert_int_equal(on.done, 1);
  dht_sweep_stats_t st;
  dht_sweep_stats(sw, &st);
  print_message("once: %u bits, %" PRIu64 " lookups for %zu keys, %" PRIu64
                " ms\n", st.prefix_bits, st.lookups, NKEYS, st.last_cycle_ms);
  assert_int_equal(st.cycles, 1);
  assert_int_equal(st.cycle_keys, NKEYS);
  assert_int_equal(st.messages, NKEYS * DHT_K);
  assert_int_equal(st.active, 0);
  assert_true(st.lookups * 5 < NKEYS);
  nk_t *tmp = calloc(N, sizeof *tmp);
  assert_non_null(tmp);
  size_t held = 0;
  for (size_t i = 0; i < NKEYS; i++)
    held += holders(sim, X, ks.v[i].h, ks.v[i].mh, tmp);
  assert_true(held >= NKEYS * DHT_K * 98 / 100);
  free(tmp);
  /* A day later: no second cycle, no lookup, no second done. */
  uint64_t lookups = st.lookups;
  for (int i = 1; i <= 30; i++)
    dht_sweep_tick(sw, t0 + (uint64_t)i * 3600 * 1000);
  dht_sweep_stats(sw, &st);
  assert_int_equal(st.cycles, 1);
  assert_int_equal(st.lookups, lookups);
  assert_int_equal(on.done, 1);
  dht_sweep_free(sw);
  dht_sim_free(sim);

  /* A fresh network whose node X lost its table: the estimate reaches
   * nobody, and that is the end (cycles 0); with a fixed prefix every
   * region fails, and none is retried. */
  sim = sim_filled(100, 23);
  dht_t *x = dht_sim_node(sim, X);
  size_t n0 = dht_rt_size(x);
  dht_peer_t *saved = calloc(n0, sizeof *saved), *w = saved;
  assert_non_null(saved);
  dht_rt_walk(x, rt_collect, &w);
  for (size_t i = 0; i < n0; i++)
    dht_remove_peer(x, &saved[i].id);
  assert_int_equal(dht_rt_size(x), 0);
  on.done = 0;
  assert_int_equal(dht_sweep_new(x, &o, &sw), 0);
  uint64_t now = dht_sim_now(sim);
  dht_sweep_tick(sw, now);
  assert_int_equal(on.done, 1);
  dht_sweep_stats(sw, &st);
  assert_int_equal(st.cycles, 0);
  assert_int_equal(st.cycle_keys, 0);
  dht_sweep_tick(sw, now + 2 * DHT_SWEEP_RETRY_MS);
  dht_sweep_stats(sw, &st);
  assert_int_equal(st.lookups, 1);
  assert_int_equal(on.done, 1);
  dht_sweep_free(sw);
  on.done = 0;
  o.prefix_bits = 3;
  assert_int_equal(dht_sweep_new(x, &o, &sw), 0);
  dht_sweep_tick(sw, now);
  assert_int_equal(on.done, 1);
  dht_sweep_stats(sw, &st);
  assert_int_equal(st.cycles, 1);
  assert_int_equal(st.regions_failed, 8);
  assert_int_equal(st.retry_pending, 0);
  assert_int_equal(st.cycle_keys, 0);
  dht_sweep_tick(sw, now + 2 * DHT_SWEEP_RETRY_MS);
  dht_sweep_stats(sw, &st);
  assert_int_equal(st.regions_retried, 0);
  assert_int_equal(st.lookups, 8);
  dht_sweep_free(sw);
  for (size_t i = 0; i < n0; i++)
    assert_int_equal(dht_add_peer(x, &saved[i], dht_sim_now(sim)), 0);
  free(saved);

  /* Lookups in flight when the network (and its dht_t) goes: forget lets
   * the sweep go without touching it (ASan would see it in make check). */
  o.prefix_bits = 0;
  assert_int_equal(dht_sweep_new(x, &o, &sw), 0);
  dht_sweep_tick(sw, dht_sim_now(sim));
  dht_sweep_stats(sw, &st);
  assert_int_equal(st.lookups, 1); /* the estimate, in flight */
  dht_sim_free(sim);
  dht_sweep_forget(sw);
  free(ks.v);
}

/* dht_sweep_hkeys_sort/page against a plain scan: 2,000 keys (300 of
 * them repeats), regions of 0 to 12 bits, from the start and after a key
 * inside, before or past the region, pages of 1 to 70. */
static void test_sweep_hkeys(void **state) {
  (void)state;
  const size_t N = 2000;
  dht_sweep_hkey_t *v = calloc(N, sizeof *v);
  assert_non_null(v);
  for (size_t i = 0; i < N; i++) {
    v[i].len = 34;
    mh_of((uint32_t)(i < 1700 ? i : i - 1700) + 5, v[i].mh);
  }
  size_t n = dht_sweep_hkeys_sort(v, N);
  assert_int_equal(n, 1700);
  for (size_t i = 0; i < n; i++) {
    uint8_t h[32];
    dht_key(v[i].mh, 34, h);
    assert_memory_equal(h, v[i].h, 32);
    if (i)
      assert_true(memcmp(v[i - 1].h, v[i].h, 32) < 0);
  }
  uint64_t rng = 88172645463325252ull;
  dht_sweep_key_t out[70];
  for (int t = 0; t < 3000; t++) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    unsigned bits = (unsigned)(rng % 13);
    size_t max = 1 + (size_t)(rng >> 8) % 70;
    uint8_t prefix[32] = {0};
    size_t pick = (size_t)(rng >> 20) % n;
    for (unsigned b = 0; b < bits; b++)
      prefix[b / 8] |= (uint8_t)(v[pick].h[b / 8] & (0x80u >> (b % 8)));
    if (t % 5 == 0)
      prefix[0] ^= 0x80; /* a region the keys may not reach */
    const uint8_t *after = NULL;
    if (t % 3 == 1)
      after = v[(size_t)(rng >> 32) % n].h; /* inside, before or past */
    int got = dht_sweep_hkeys_page(v, n, prefix, bits, after, out, max);
    size_t want = 0;
    for (size_t i = 0; i < n && want < max; i++) {
      if (!has_prefix(v[i].h, prefix, bits) ||
          (after && memcmp(v[i].h, after, 32) <= 0))
        continue;
      assert_true(want < (size_t)got);
      assert_memory_equal(out[want].mh, v[i].mh, 34);
      want++;
    }
    assert_int_equal(got, (int)want);
  }
  free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sweep_network),
      cmocka_unit_test(test_sweep_full),
      cmocka_unit_test(test_sweep_dead),
      cmocka_unit_test(test_sweep_small),
      cmocka_unit_test(test_sweep_retry),
      cmocka_unit_test(test_sweep_spread),
      cmocka_unit_test(test_sweep_once),
      cmocka_unit_test(test_sweep_hkeys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

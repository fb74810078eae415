/*
 * bench_dht.c — the Kademlia core (dht/dht.h) and the sweep reprovider
 * (dht/sweep.h) on the simulated network (dht/sim.h), one-way latency
 * 10-50 ms, tables as a long-running network has them
 * (dht_sim_fill_tables).  Nothing here touches a socket: the figures are
 * the algorithms', in hops, messages and lookups, not in seconds.
 *
 *  - lookups, at 1,000 and 10,000 nodes: get_providers of a key some
 *    node provided (stopping at the first provider, as a fetch does) and
 *    find_node of a random key, from random nodes: median and p90 of hops
 *    (the longest referral chain to the closest peer that answered) and
 *    of requests sent.  Target: median hops < 4 at 10,000 nodes.
 *  - reprovide: 1,000,000 CIDs from one node into the 10,000 nodes with
 *    the sweep, against one lookup per CID (dht_provide) measured on a
 *    sample of 10,000 CIDs and scaled.  Target: >= 20x fewer lookups.
 *    Memory: the reprovider's own peak (its stats, exact) and the
 *    process's peak RSS growth over the sweep (which includes the
 *    simulator's queues and the kept records); target < 256 MiB.  The
 *    simulated stores keep the records of 1 key in 256 only (and count
 *    the rest), or 10,000 nodes would hold 20 million records; the kept
 *    keys are checked: found by get_providers from other nodes, and held
 *    by their true k closest.
 *
 *  - the same reprovide with its keys read from a real repo
 *    (BENCH_DHT_REPO=1): the CIDs stored as blocks in a fresh blockstore
 *    (timed), the sweep's pages read through the daemon's own source
 *    (dht_reprov_keys, "all": ranges of the keyspace index), their time
 *    and the RSS they add (LMDB's pages mapped); against the index, the
 *    scan the reprovider did before it (a page costs a pass over every
 *    block), timed on a few pages and scaled to the cycle's pages.
 *
 * Settings: BENCH_DHT_LOOKUPS (1000 of each kind and size),
 * BENCH_DHT_CIDS (1000000), BENCH_DHT_SAMPLE (10000), BENCH_DHT_NODES
 * (10000, the big network), BENCH_DHT_REPO (0; 1: keys from a repo),
 * BENCH_STRICT (a missed target fails).
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/wait.h>
#include <unistd.h>

#include "../blockstore/bs.h"
#include "../common/tr.h"
#include "../dag/multihash.h"
#include "../dht/dht.h"
#include "../dht/reprov.h"
#include "../dht/sim.h"
#include "../dht/sweep.h"
#include "bench_util.h"

#define SEED 20261201
#define SLICE_MS 100

static int missed;

static uint64_t rng_s = SEED;
static uint64_t rnd(void) {
  rng_s ^= rng_s >> 12, rng_s ^= rng_s << 25, rng_s ^= rng_s >> 27;
  return rng_s * 2685821657736338717ull;
}

static int u32_cmp(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Median and p90 of v[0..n) (sorted in place). */
static void pct(uint32_t *v, size_t n, uint32_t *med, uint32_t *p90) {
  qsort(v, n, sizeof *v, u32_cmp);
  *med = n ? v[n / 2] : 0;
  *p90 = n ? v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1] : 0;
}

/* ------------------------------------------------------------- keys */

/* Keys of the lookup part: sha3-256-coded, always kept by the stores. */
static void lookup_key(uint32_t i, uint8_t mh[34]) {
  mh[0] = 0x16, mh[1] = 0x20;
  uint8_t x[5] = {'l', (uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16),
                  (uint8_t)(i >> 24)};
  dag_sha256(x, sizeof x, mh + 2);
}

/* The CIDs reprovided: sha2-256 multihashes. */
static void cid_key(uint32_t i, uint8_t mh[34]) {
  mh[0] = 0x12, mh[1] = 0x20;
  uint8_t x[5] = {'c', (uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16),
                  (uint8_t)(i >> 24)};
  dag_sha256(x, sizeof x, mh + 2);
}

/* The stores keep every record but those of CIDs, of which 1 in 256. */
static bool kept(const uint8_t *key, size_t kl) {
  return kl != 34 || key[0] != 0x12 || key[33] == 0;
}
static bool keep_fn(void *ud, const uint8_t *key, size_t kl) {
  (void)ud;
  return kept(key, kl);
}

/* The caller's side of the sweep: the CIDs' SHA-256 and index, sorted;
 * multihashes are rebuilt from the index (a daemon reads them from its
 * index in LMDB). */
typedef struct hk {
  uint8_t h[32];
  uint32_t i;
} hk_t;

typedef struct keyset {
  hk_t *v;
  size_t n;
} keyset_t;

static int hk_cmp(const void *a, const void *b) {
  return memcmp(((const hk_t *)a)->h, ((const hk_t *)b)->h, 32);
}

static bool has_prefix(const uint8_t h[32], const uint8_t p[32],
                       unsigned bits) {
  for (unsigned b = 0; b < bits; b++)
    if ((h[b / 8] ^ p[b / 8]) & (0x80 >> (b % 8)))
      return false;
  return true;
}

static int keys_fn(void *ud, const uint8_t prefix[32], unsigned bits,
                   const uint8_t *after, dht_sweep_key_t *out, size_t max) {
  keyset_t *ks = ud;
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
  for (; lo < ks->n && n < max && has_prefix(ks->v[lo].h, prefix, bits);
       lo++) {
    out[n].len = 34;
    cid_key(ks->v[lo].i, out[n++].mh);
  }
  return (int)n;
}

/* The keys from a real repo: dht_reprov_keys, timed and counted. */
typedef struct repo_keys {
  dht_reprov_src_t src;
  char dir[2100];
  uint64_t calls;
  double secs;
} repo_keys_t;

static int repo_keys_fn(void *ud, const uint8_t prefix[32], unsigned bits,
                        const uint8_t *after, dht_sweep_key_t *out,
                        size_t max) {
  repo_keys_t *r = ud;
  double t = now();
  int n = dht_reprov_keys(&r->src, prefix, bits, after, out, max);
  r->secs += now() - t;
  r->calls++;
  return n;
}

/* A fresh repo holding the ncids CIDs' blocks (cid_key(i) is the sha2-256
 * of 5 bytes: those bytes are the block), written by a child process so
 * that the writes' memory does not count in this one's peak RSS. */
static void repo_build(repo_keys_t *r, const char *work, size_t ncids) {
  snprintf(r->dir, sizeof r->dir, "%s/repo", work);
  if (mkdir(r->dir, 0700))
    die("mkdir %s: %s", r->dir, strerror(errno));
  r->src.strategy = DHT_PROVIDE_ALL;
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0)
    die("fork: %s", strerror(errno));
  if (pid > 0) {
    int ws;
    if (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws) || WEXITSTATUS(ws))
      die("the repo was not built");
    check(bs_open(&r->src.env, r->dir, 0), "bs_open");
    return;
  }
  check(bs_open(&r->src.env, r->dir, BS_CREATE), "bs_open");
  double t = now();
  bs_batch_t *b;
  check(bs_batch_begin(r->src.env, 0, &b), "bs_batch_begin");
  for (size_t i = 0; i < ncids; i++) {
    uint8_t x[5] = {'c', (uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16),
                    (uint8_t)(i >> 24)};
    uint8_t mh[34];
    cid_key((uint32_t)i, mh);
    dag_cid_t cid;
    check(dag_cid_make(&cid, 1, DAG_CODEC_RAW, mh, 34), "dag_cid_make");
    check(bs_batch_put(b, &cid, x, sizeof x), "bs_batch_put");
  }
  check(bs_batch_end(b, 1), "bs_batch_end");
  bs_close(r->src.env);
  printf("reprovide from a repo: %s blocks stored in %.1f s (keyspace "
         "index included, one process of its own)\n",
         commas(ncids), now() - t);
  fflush(stdout);
  _exit(0);
}

static void repo_free(repo_keys_t *r) {
  bs_close(r->src.env);
  rm_dir(r->dir);
}

/* The scan the index replaced: a few pages timed, scaled to the cycle's
 * page count. */
static void repo_scan_reference(repo_keys_t *r) {
  dht_reprov_src_t scan = r->src;
  scan.scan = true;
  dht_sweep_key_t out[DHT_SWEEP_PAGE];
  const int pages = 3;
  double t = now();
  for (int i = 0; i < pages; i++) {
    uint8_t prefix[32] = {(uint8_t)(i * 85)};
    if (dht_reprov_keys(&scan, prefix, 8, NULL, out, DHT_SWEEP_PAGE) < 0)
      die("scan failed");
  }
  double per = (now() - t) / pages;
  printf("dht reprovide keys from a repo: index %s pages in %.2f s "
         "(%.3f ms a page); reference: the scan, %.1f ms a page, %.0f s "
         "for the cycle's pages; ratio %.0fx\n",
         commas(r->calls), r->secs,
         r->calls ? r->secs * 1000 / (double)r->calls : 0.0, per * 1000,
         per * (double)r->calls,
         r->secs > 0 ? per * (double)r->calls / r->secs : 0.0);
}

/* ---------------------------------------------------------- lookups */

typedef struct one {
  int done, status;
  dht_qstats_t st;
} one_t;

static void one_done(void *ud, int status, const dht_peer_t *c, size_t n,
                     const uint8_t *val, size_t vl, const dht_qstats_t *st) {
  (void)c, (void)n, (void)val, (void)vl;
  one_t *o = ud;
  o->done++;
  o->status = status;
  o->st = *st;
}

static dht_sim_t *network(size_t n) {
  dht_sim_opts_t o = {.n = n, .seed = SEED, .keep = keep_fn};
  dht_sim_t *s;
  check(dht_sim_new(&o, &s), "dht_sim_new");
  check(dht_sim_fill_tables(s), "dht_sim_fill_tables");
  return s;
}

static void lookups(dht_sim_t *s, size_t count, bool big) {
  size_t n = dht_sim_size(s);
  uint32_t *ph = xcalloc(count, 4), *pm = xcalloc(count, 4),
           *fh = xcalloc(count, 4), *fm = xcalloc(count, 4);
  const dht_query_cbs_t cbs = {.on_done = one_done};
  size_t found = 0;
  for (size_t i = 0; i < count; i++) {
    uint8_t mh[34];
    lookup_key((uint32_t)i, mh);
    size_t a = rnd() % n, b = rnd() % n;
    if (b == a)
      b = (b + 1) % n;
    one_t p = {0}, g = {0};
    check(dht_provide(dht_sim_node(s, a), mh, 34, &cbs, &p, dht_sim_now(s),
                      NULL),
          "dht_provide");
    dht_sim_run(s, UINT64_MAX);
    check(dht_get_providers(dht_sim_node(s, b), mh, 34, 1, &cbs, &g,
                            dht_sim_now(s), NULL),
          "dht_get_providers");
    dht_sim_run(s, UINT64_MAX);
    if (g.done != 1)
      die("get_providers did not end");
    found += g.st.replies > 0 || g.status == 0;
    ph[i] = g.st.hops, pm[i] = g.st.sent;
    uint8_t rk[32];
    for (int j = 0; j < 32; j += 8) {
      uint64_t r = rnd();
      memcpy(rk + j, &r, 8);
    }
    one_t f = {0};
    check(dht_find_node(dht_sim_node(s, rnd() % n), rk, 32, &cbs, &f,
                        dht_sim_now(s), NULL),
          "dht_find_node");
    dht_sim_run(s, UINT64_MAX);
    fh[i] = f.st.hops, fm[i] = f.st.sent;
  }
  uint32_t phm, ph90, pmm, pm90, fhm, fh90, fmm, fm90;
  pct(ph, count, &phm, &ph90);
  pct(pm, count, &pmm, &pm90);
  pct(fh, count, &fhm, &fh90);
  pct(fm, count, &fmm, &fm90);
  printf("lookups, %s nodes, %s of each: get_providers hops median %u p90 %u, "
         "requests median %u p90 %u; find_node hops median %u p90 %u, "
         "requests median %u p90 %u\n",
         commas(n), commas(count), phm, ph90, pmm, pm90, fhm, fh90,
         fmm, fm90);
  if (big) {
    uint32_t worst = phm > fhm ? phm : fhm;
    bool ok = worst < 4;
    printf("dht lookup hops at %s nodes: median %u (get_providers %u, "
           "find_node %u), reference: target < 4, ratio %.2f%s\n",
           commas(n), worst, phm, fhm, worst / 4.0, ok ? "" : "  MISSED");
    missed += !ok;
  }
  free(ph), free(pm), free(fh), free(fm);
}

/* ------------------------------------------------------------ sweep */

typedef struct nk {
  uint8_t d[32];
  uint32_t i;
} nk_t;

static int nk_cmp(const void *a, const void *b) {
  return memcmp(((const nk_t *)a)->d, ((const nk_t *)b)->d, 32);
}

typedef struct found {
  net_peerid_t want;
  bool saw;
} found_t;

static void on_prov(void *ud, const dht_peer_t *p) {
  found_t *f = ud;
  if (net_peerid_equal(&p->id, &f->want))
    f->saw = true;
}

/* Kept CIDs (1 in 256): how many of a sample get_providers finds from a
 * random node, and how many of their records their true k closest hold. */
static void verify(dht_sim_t *s, size_t x, const keyset_t *ks, size_t want,
                   nk_t *tmp, uint32_t *keys_seen, uint32_t *found,
                   uint32_t *held, uint32_t *slots) {
  size_t n = dht_sim_size(s);
  dht_peer_t xp;
  dht_sim_peer(s, x, &xp);
  uint8_t xk[32];
  dht_key(xp.id.bytes, xp.id.len, xk);
  *keys_seen = *found = *held = *slots = 0;
  for (size_t j = 0; j < ks->n && *keys_seen < want; j++) {
    uint8_t mh[34];
    cid_key(ks->v[j].i, mh);
    if (!kept(mh, 34))
      continue;
    ++*keys_seen;
    found_t f = {.want = xp.id};
    const dht_query_cbs_t cbs = {.on_provider = on_prov};
    size_t from = rnd() % n;
    if (from == x)
      from = (from + 1) % n;
    check(dht_get_providers(dht_sim_node(s, from), mh, 34, 1, &cbs, &f,
                            dht_sim_now(s), NULL),
          "dht_get_providers");
    dht_sim_run(s, UINT64_MAX);
    *found += f.saw;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
      if (i == x)
        continue;
      dht_peer_t p;
      dht_sim_peer(s, i, &p);
      uint8_t k[32];
      dht_key(p.id.bytes, p.id.len, k);
      for (int b = 0; b < 32; b++)
        tmp[m].d[b] = k[b] ^ ks->v[j].h[b];
      tmp[m++].i = (uint32_t)i;
    }
    qsort(tmp, m, sizeof *tmp, nk_cmp);
    for (size_t q = 0; q < DHT_K && q < m; q++) {
      dht_peer_t out[DHT_STORE_PER_KEY];
      size_t np = dht_store_providers(dht_store(dht_sim_node(s, tmp[q].i)),
                                      mh, 34, dht_sim_now(s), out,
                                      DHT_STORE_PER_KEY);
      ++*slots;
      for (size_t r = 0; r < np; r++)
        if (net_peerid_equal(&out[r].id, &xp.id)) {
          ++*held;
          break;
        }
    }
  }
}

static void reprovide(dht_sim_t *s, const char *work, size_t ncids,
                      size_t sample) {
  const size_t X = 0;
  size_t n = dht_sim_size(s);
  double t0 = now();
  keyset_t ks = {.v = xcalloc(ncids, sizeof(hk_t)), .n = ncids};
  for (size_t i = 0; i < ncids; i++) {
    uint8_t mh[34];
    cid_key((uint32_t)i, mh);
    dht_key(mh, 34, ks.v[i].h);
    ks.v[i].i = (uint32_t)i;
  }
  qsort(ks.v, ncids, sizeof *ks.v, hk_cmp);
  printf("reprovide: %s CIDs keyed by SHA-256 in %.1f s (the caller's "
         "index: %.1f MiB)\n",
         commas(ncids), now() - t0,
         (double)ncids * sizeof(hk_t) / 1048576.0);

  /* Every store gets a record from X first: the first record a simulated
   * store takes allocates its tables (~40 KiB), which would otherwise
   * count as growth during the sweep. */
  dht_peer_t xp;
  dht_sim_peer(s, X, &xp);
  uint8_t warm[34];
  lookup_key(UINT32_MAX, warm);
  for (size_t i = 0; i < n; i++)
    check(dht_store_add_provider(dht_store(dht_sim_node(s, i)), warm, 34, &xp,
                                 UINT64_MAX / 2),
          "dht_store_add_provider");

  /* The sweep, as fast as it goes (spread off), from node X; its keys
   * from memory, or from a repo. */
  repo_keys_t repo = {0};
  bool from_repo = env_u64("BENCH_DHT_REPO", 0) != 0;
  if (from_repo)
    repo_build(&repo, work, ncids);
  dht_sweep_opts_t o = {.keys = from_repo ? repo_keys_fn : keys_fn,
                        .ud = from_repo ? (void *)&repo : (void *)&ks};
  dht_sweep_t *sw;
  dht_sim_stats_t s0, s1;
  dht_sim_stats(s, &s0);
  long rss0 = proc_status_kb(0, "VmRSS"), hwm0 = proc_status_kb(0, "VmHWM");
  size_t heap0 = mallinfo2().uordblks;
  double t1 = now();
  uint64_t sim0 = dht_sim_now(s);
  check(dht_sweep_new(dht_sim_node(s, X), &o, &sw), "dht_sweep_new");
  dht_sweep_stats_t st;
  for (;;) {
    uint64_t now = dht_sim_now(s);
    uint64_t next = dht_sweep_tick(sw, now);
    uint64_t dn = dht_tick(dht_sim_node(s, X), now);
    dht_sweep_stats(sw, &st);
    if (st.cycles >= 1)
      break;
    if (now - sim0 > 24ull * 3600 * 1000)
      die("the sweep did not end within a simulated day");
    if (dn < next)
      next = dn;
    if (next > now + SLICE_MS)
      next = now + SLICE_MS;
    dht_sim_run(s, next > now ? next : now + 1);
  }
  double secs = now() - t1;
  long hwm1 = proc_status_kb(0, "VmHWM"), rss1 = proc_status_kb(0, "VmRSS");
  size_t heap1 = mallinfo2().uordblks;
  dht_sim_stats(s, &s1);
  dht_sweep_free(sw);
  uint64_t sweep_msgs = st.messages + st.lookup_requests;
  printf("sweep: %s keys in %s regions (%u bits) in %.1f s of simulated "
         "time, %.1f s here; %s lookups (%s failed), %s lookup requests, %s "
         "ADD_PROVIDER (%s reached stores)\n",
         commas(st.keys), commas(st.regions), st.prefix_bits,
         (double)st.last_cycle_ms / 1000.0, secs, commas(st.lookups),
         commas(st.lookups_failed), commas(st.lookup_requests),
         commas(st.messages),
         commas(s1.provider_adds - s0.provider_adds));
  if (st.keys != ncids)
    die("the sweep provided %" PRIu64 " keys of %zu", st.keys, ncids);
  if (from_repo) {
    repo_scan_reference(&repo);
    repo_free(&repo);
  }

  nk_t *tmp = xcalloc(n, sizeof *tmp);
  uint32_t seen, found, held, slots;
  verify(s, X, &ks, 300, tmp, &seen, &found, &held, &slots);
  printf("sweep check: of %u kept CIDs, %u found by get_providers from a "
         "random node; %u of %u records at their true k closest\n",
         seen, found, held, slots);
  if (found != seen || held < slots * 95 / 100) {
    printf("sweep check: MISSED\n");
    missed++;
  }
  free(tmp);

  /* One lookup per CID, on a sample from another range of CIDs. */
  const dht_query_cbs_t cbs = {.on_done = one_done};
  uint64_t lk_msgs = 0, fails = 0;
  double t2 = now();
  for (size_t i = 0; i < sample; i++) {
    uint8_t mh[34];
    cid_key((uint32_t)(ncids + i), mh);
    one_t p = {0};
    check(dht_provide(dht_sim_node(s, X), mh, 34, &cbs, &p, dht_sim_now(s),
                      NULL),
          "dht_provide");
    dht_sim_run(s, UINT64_MAX);
    lk_msgs += p.st.sent;
    fails += p.status != 0;
  }
  double scale = (double)ncids / (double)sample;
  double per_lookups = (double)ncids, per_msgs = (double)lk_msgs * scale;
  printf("one lookup per CID: %s provides measured (%.1f s here, %s "
         "failed), %s requests (lookup + ADD_PROVIDER), scaled x%.0f to "
         "%s CIDs: %s lookups, %s requests\n",
         commas(sample), now() - t2, commas(fails),
         commas(lk_msgs), scale, commas(ncids),
         commas((uint64_t)per_lookups), commas((uint64_t)per_msgs));
  double lr = per_lookups / (double)(st.lookups ? st.lookups : 1);
  double mr = per_msgs / (double)(sweep_msgs ? sweep_msgs : 1);
  bool ok = lr >= 20;
  missed += !ok;
  printf("dht reprovide %s CIDs into %s nodes: sweep %s lookups, %s "
         "messages; reference one lookup per CID (scaled from %s): %s "
         "lookups, %s messages; ratio %.0fx fewer lookups (target >= 20x), "
         "%.2fx fewer messages%s\n",
         commas(ncids), commas(n), commas(st.lookups),
         commas(sweep_msgs), commas(sample),
         commas((uint64_t)per_lookups), commas((uint64_t)per_msgs),
         lr, mr, ok ? "" : "  MISSED");

  double own = (double)st.mem_peak / 1048576.0;
  double heap = ((double)heap1 - (double)heap0) / 1048576.0;
  double grow = (double)(hwm1 - hwm0) / 1024.0;
  bool mok = own < 256 && grow < 256;
  missed += !mok;
  printf("dht reprovider memory: own peak %.2f MiB (its allocations, "
         "exact); over the sweep the process's heap in use grew %+.1f MiB "
         "and its peak RSS %+.1f MiB (%.0f -> %.0f MiB, RSS %.0f -> %.0f; "
         "the simulator's queues and kept records included; before it: "
         "%s nodes' tables and stores, and %.1f MiB of the caller's "
         "keys); reference: target < 256 MiB, ratio %.3f%s\n",
         own, heap, grow, hwm0 / 1024.0, hwm1 / 1024.0, rss0 / 1024.0,
         rss1 / 1024.0, commas(n), (double)ncids * sizeof(hk_t) / 1048576.0,
         (own > grow ? own : grow) / 256.0, mok ? "" : "  MISSED");
  free(ks.v);
}

int main(void) {
  char work[2048];
  rng_t r;
  bench_begin("bench_dht", work, sizeof work, &r);
  size_t nl = env_u64("BENCH_DHT_LOOKUPS", 1000);
  size_t ncids = env_u64("BENCH_DHT_CIDS", 1000000);
  size_t sample = env_u64("BENCH_DHT_SAMPLE", 10000);
  size_t big = env_u64("BENCH_DHT_NODES", 10000);
  if (sample > ncids)
    sample = ncids;
  if (!nl || !ncids || big < 2 || ncids > UINT32_MAX / 2)
    die("bad settings");
  double t = now();
  dht_sim_t *s = network(1000);
  printf("network: 1,000 nodes filled in %.1f s\n", now() - t);
  lookups(s, nl, false);
  dht_sim_free(s);
  t = now();
  s = network(big);
  printf("network: %s nodes filled in %.1f s, VmRSS %.0f MiB\n",
         commas(big), now() - t, proc_status_kb(0, "VmRSS") / 1024.0);
  lookups(s, nl, true);
  reprovide(s, work, ncids, sample);
  dht_sim_free(s);
  return bench_end(work, !missed);
}

/*
 * sweep.c — the sweep reprovider of sweep.h.  Regions are bit prefixes of
 * the keyspace; positions in it are handled as their first 64 bits (a
 * region prefix is at most DHT_SWEEP_PREFIX_MAX bits, and a prefix that
 * a lookup proves known is ~log2(N/k) bits), so a known prefix is an
 * inclusive interval of uint64_t and a region's exploration is the union
 * of a few such intervals.  Everything happens in step(): callbacks of
 * lookups only record what they found and call it again.
 */
#include "sweep.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../dag/multihash.h"

#define COVERS_MAX (2 * DHT_SWEEP_LOOKUPS_MAX + 2)

enum { R_FREE, R_EXPLORE, R_SMALL, R_SEND };

typedef struct speer {
  dht_peer_t p;
  uint8_t key[32];
  uint64_t k64;
} speer_t;

typedef struct cover {
  uint64_t lo, hi; /* inclusive */
} cover_t;

typedef struct region {
  dht_sweep_t *s;
  uint8_t state;
  bool inflight, failed, retry;
  uint64_t cycle; /* the cycle it belongs to (0: a retry) */
  uint64_t qid;
  uint8_t prefix[32]; /* the region: its first bits bits */
  unsigned bits;
  uint64_t xlo, xhi; /* the prefix explored: the region or wider */
  unsigned xbits;
  uint8_t target[32]; /* of the lookup in flight */
  cover_t cov[COVERS_MAX];
  size_t ncov;
  unsigned nlookups;
  speer_t *peers;
  size_t npeers;
  dht_sweep_key_t *page;
  size_t npage, small_i;
  size_t send_i, send_j; /* where send_page stopped: key, peer */
  bool send_mid;         /* it stopped inside key send_i (past key_ok) */
  uint8_t after[32];
  bool have_after;
  uint64_t next_send;
} region_t;

typedef struct retry {
  uint64_t v, due;
  unsigned bits;
} retry_t;

struct dht_sweep {
  dht_t *d;
  dht_sweep_opts_t o;
  region_t *r; /* o.concurrency slots */
  dht_sweep_key_t *pages; /* a page of keys per slot */
  bool cycle_on, estimating;
  uint64_t cycle_id, cycle_start, next_cycle, nregions, cursor;
  unsigned bits;
  uint64_t est_qid;
  uint8_t est_target[32];
  retry_t *retry;
  size_t nretry;
  dht_sweep_stats_t st;
  uint64_t rng, promised;
  bool in_step, again;
  bool over, told; /* once: the cycle is over; done() was called */
  uint64_t mem; /* bytes held, for stats */
};

static void mem_add(dht_sweep_t *s, int64_t n) {
  s->mem = (uint64_t)((int64_t)s->mem + n);
  if (s->mem > s->st.mem_peak)
    s->st.mem_peak = s->mem;
}

/* ------------------------------------------------------------ helpers */

static uint64_t top64(const uint8_t h[32]) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | h[i];
  return v;
}

static void put64(uint8_t h[32], uint64_t v) {
  memset(h, 0, 32);
  for (int i = 7; i >= 0; i--, v >>= 8)
    h[i] = (uint8_t)v;
}

/* The bits below a prefix of b bits. */
static uint64_t low_mask(unsigned b) { return b >= 64 ? 0 : UINT64_MAX >> b; }

static uint64_t rnd(dht_sweep_t *s) {
  uint64_t x = s->rng; /* xorshift64*: lookup targets need no secrecy */
  x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
  s->rng = x;
  return x * 0x2545F4914F6CDD1Dull;
}

/* A sha2-256 multihash whose SHA-256 starts with the first b bits of v,
 * by trial (2^b hashes on average; b <= DHT_SWEEP_TARGET_BITS). */
static void target_in(dht_sweep_t *s, uint64_t v, unsigned b, uint8_t mh[34],
                      uint8_t h[32]) {
  mh[0] = 0x12, mh[1] = 0x20;
  uint64_t m = ~low_mask(b);
  for (;;) {
    for (unsigned i = 0; i < 32; i += 8) {
      uint64_t r = rnd(s);
      memcpy(mh + 2 + i, &r, 8);
    }
    dht_key(mh, 34, h);
    if (((top64(h) ^ v) & m) == 0)
      return;
  }
}

static void wake(dht_sweep_t *s, uint64_t now);
static void step(dht_sweep_t *s, uint64_t now);

/* ------------------------------------------------------- exploration */

static void cover_add(region_t *r, uint64_t lo, uint64_t hi) {
  if (r->ncov == COVERS_MAX)
    return; /* cannot happen: one per lookup, merged */
  size_t at = 0;
  while (at < r->ncov && r->cov[at].lo < lo)
    at++;
  memmove(&r->cov[at + 1], &r->cov[at], (r->ncov - at) * sizeof *r->cov);
  r->cov[at] = (cover_t){lo, hi};
  r->ncov++;
  /* Merge what overlaps or touches. */
  size_t w = 0;
  for (size_t i = 1; i < r->ncov; i++) {
    cover_t *c = &r->cov[w];
    if (c->hi == UINT64_MAX || r->cov[i].lo <= c->hi + 1) {
      if (r->cov[i].hi > c->hi)
        c->hi = r->cov[i].hi;
    } else {
      r->cov[++w] = r->cov[i];
    }
  }
  r->ncov = w + 1;
}

/* The first point of [lo, hi] no interval covers; false when none. */
static bool first_gap(const region_t *r, uint64_t lo, uint64_t hi,
                      uint64_t *g) {
  uint64_t p = lo;
  for (size_t i = 0; i < r->ncov; i++) {
    if (r->cov[i].hi < p)
      continue;
    if (r->cov[i].lo > p)
      break;
    if (r->cov[i].hi >= hi)
      return false;
    p = r->cov[i].hi + 1;
  }
  if (p > hi)
    return false;
  *g = p;
  return true;
}

/* The widest prefix (>= xbits bits) starting at gap point g that no
 * interval touches. */
static unsigned gap_bits(const region_t *r, uint64_t g) {
  uint64_t next = UINT64_MAX;
  bool have = false;
  for (size_t i = 0; i < r->ncov; i++)
    if (r->cov[i].lo > g) {
      next = r->cov[i].lo, have = true;
      break;
    }
  for (unsigned b = r->xbits; b < 64; b++)
    if ((g & low_mask(b)) == 0 && (!have || (g | low_mask(b)) < next))
      return b;
  return 64;
}

static size_t peers_under(const region_t *r, uint64_t lo, unsigned bits) {
  size_t n = 0;
  for (size_t i = 0; i < r->npeers; i++)
    n += (r->peers[i].k64 & ~low_mask(bits)) == lo;
  return n;
}

static void add_peers(region_t *r, const dht_peer_t *p, size_t n) {
  for (size_t i = 0; i < n && r->npeers < DHT_SWEEP_PEERS_MAX; i++) {
    bool dup = false;
    for (size_t j = 0; j < r->npeers && !dup; j++)
      dup = net_peerid_equal(&r->peers[j].p.id, &p[i].id);
    if (dup)
      continue;
    speer_t *sp = &r->peers[r->npeers++];
    sp->p = p[i];
    dht_key(p[i].id.bytes, p[i].id.len, sp->key);
    sp->k64 = top64(sp->key);
  }
}

static void explore_done(void *ud, int status, const dht_peer_t *closest,
                         size_t n, const uint8_t *val, size_t vl,
                         const dht_qstats_t *st) {
  (void)val, (void)vl, (void)status; /* a timeout with peers still counts */
  region_t *r = ud;
  dht_sweep_t *s = r->s;
  r->inflight = false;
  s->st.lookup_requests += st->sent;
  if (!n) {
    s->st.lookups_failed++;
    r->failed = true;
  } else {
    add_peers(r, closest, n);
    /* Every peer sharing more bits with the target than the farthest of
     * those found is among them: the target's prefix one bit longer than
     * that is known whole. */
    uint8_t fk[32];
    dht_key(closest[n - 1].id.bytes, closest[n - 1].id.len, fk);
    unsigned b = dht_cpl(r->target, fk) + 1;
    uint64_t t = top64(r->target);
    cover_add(r, t & ~low_mask(b), t | low_mask(b));
  }
  step(s, st->ended);
}

static void fail(region_t *r) { r->failed = true; }

/* Start the next exploration lookup, or move on to sending. */
static void explore_next(region_t *r, uint64_t now) {
  dht_sweep_t *s = r->s;
  for (;;) {
    uint64_t g;
    if (!first_gap(r, r->xlo, r->xhi, &g)) {
      if (r->xbits == 0 || peers_under(r, r->xlo, r->xbits) >= s->o.k)
        break;
      /* Too few peers under it for a key's k closest to be inside:
       * widen to the parent prefix and explore on. */
      r->xbits--;
      r->xlo &= ~low_mask(r->xbits);
      r->xhi = r->xlo | low_mask(r->xbits);
      continue;
    }
    if (r->nlookups >= DHT_SWEEP_LOOKUPS_MAX)
      break; /* do with what was found */
    unsigned b = gap_bits(r, g);
    if (b > DHT_SWEEP_TARGET_BITS) {
      /* A sliver of 2^-20 of the keyspace: too dear to aim at, and all
       * but surely empty. */
      cover_add(r, g, g | low_mask(b));
      continue;
    }
    uint8_t mh[34];
    target_in(s, g, b, mh, r->target);
    const dht_query_cbs_t cbs = {.on_done = explore_done};
    r->nlookups++;
    s->st.lookups++;
    r->inflight = true;
    int rc = dht_find_closest(s->d, mh, sizeof mh, &cbs, r, now, &r->qid);
    if (rc) {
      r->inflight = false;
      s->st.lookups_failed++;
      fail(r);
    }
    return; /* explore_done may have run already: step() goes on */
  }
  if (!r->npeers) {
    fail(r);
    return;
  }
  r->state = R_SEND;
  r->next_send = now;
}

/* ----------------------------------------------------------- sending */

/* The (at most) k peers of r closest to h, into idx; returns how many. */
static size_t closest_k(const region_t *r, const uint8_t h[32], unsigned k,
                        size_t *idx) {
  uint64_t h64 = top64(h), dist[DHT_K];
  size_t n = 0;
  for (size_t i = 0; i < r->npeers; i++) {
    uint64_t d = r->peers[i].k64 ^ h64;
    size_t at = n;
    while (at > 0 &&
           (d < dist[at - 1] ||
            (d == dist[at - 1] &&
             dht_closer(h, r->peers[i].key, r->peers[idx[at - 1]].key) < 0)))
      at--;
    if (at >= k)
      continue;
    size_t end = n < k ? n : k - 1;
    memmove(&dist[at + 1], &dist[at], (end - at) * sizeof *dist);
    memmove(&idx[at + 1], &idx[at], (end - at) * sizeof *idx);
    dist[at] = d, idx[at] = i;
    if (n < k)
      n++;
  }
  return n;
}

/* Ask the caller for the next page; false when the region failed. */
static bool fetch(region_t *r) {
  dht_sweep_t *s = r->s;
  int n = s->o.keys(s->o.ud, r->prefix, r->bits,
                    r->have_after ? r->after : NULL, r->page, s->o.page);
  if (n < 0) {
    fail(r);
    return false;
  }
  r->npage = (size_t)n > s->o.page ? s->o.page : (size_t)n;
  r->small_i = 0;
  r->send_i = r->send_j = 0;
  r->send_mid = false;
  return true;
}

/* The key's SHA-256 into h: false (counted) when it is outside the
 * region or not after the last. */
static bool key_ok(region_t *r, const dht_sweep_key_t *k, uint8_t h[32]) {
  dht_sweep_t *s = r->s;
  if (!k->len || k->len > DHT_SWEEP_MH_MAX) {
    s->st.keys_bad++;
    return false;
  }
  dht_key(k->mh, k->len, h);
  uint64_t m = ~low_mask(r->bits);
  if (((top64(h) ^ top64(r->prefix)) & m) ||
      (r->have_after && memcmp(h, r->after, 32) <= 0)) {
    s->st.keys_bad++;
    return false;
  }
  memcpy(r->after, h, 32);
  r->have_after = true;
  return true;
}

static void provided(region_t *r, int sent) {
  dht_sweep_t *s = r->s;
  s->st.keys++;
  if (r->cycle == s->cycle_id)
    s->st.cycle_keys++;
  s->st.messages += (uint64_t)sent;
}

static void sent_more(region_t *r, int sent) {
  r->s->st.messages += (uint64_t)(sent > 0 ? sent : 0);
}

static void region_done(region_t *r, uint64_t now);

/* One page of ADD_PROVIDERs; then the next page is fetched, or the
 * region is over.  When the adapter's queue is full (it refuses a send
 * for want of room), the page stops there and goes on from that key and
 * peer DHT_SWEEP_FULL_MS later: the records are sent as fast as the
 * network takes them, none dropped. */
static void send_page(region_t *r, uint64_t now) {
  dht_sweep_t *s = r->s;
  size_t idx[DHT_K];
  dht_peer_t to[DHT_K];
  for (; r->send_i < r->npage; r->send_i++, r->send_j = 0) {
    const dht_sweep_key_t *k = &r->page[r->send_i];
    uint8_t h[32];
    if (r->send_mid)
      dht_key(k->mh, k->len, h); /* it passed key_ok before the pause */
    else if (!key_ok(r, k, h))
      continue;
    size_t n = closest_k(r, h, s->o.k, idx);
    for (size_t j = 0; j < n; j++)
      to[j] = r->peers[idx[j]].p;
    size_t done = 0, j0 = r->send_j < n ? r->send_j : n;
    int sent = dht_add_provider_to(s->d, k->mh, k->len, to + j0, n - j0, now,
                                   &done);
    if (sent >= 0 && j0 + done < n) {
      sent_more(r, sent);
      r->send_j = j0 + done;
      r->send_mid = true;
      s->st.send_pauses++;
      r->next_send = now + DHT_SWEEP_FULL_MS;
      return;
    }
    r->send_mid = false;
    provided(r, sent > 0 ? sent : 0);
  }
  if (r->npage < s->o.page || !fetch(r) || !r->npage) {
    if (!r->failed)
      region_done(r, now);
    return;
  }
  r->next_send = s->o.pace_ms == UINT32_MAX ? now : now + s->o.pace_ms;
}

/* --------------------------------------------------- small regions */

static void small_done(void *ud, int status, const dht_peer_t *closest,
                       size_t n, const uint8_t *val, size_t vl,
                       const dht_qstats_t *st) {
  (void)val, (void)vl, (void)status;
  region_t *r = ud;
  dht_sweep_t *s = r->s;
  r->inflight = false;
  s->st.lookup_requests += st->sent;
  if (!n) {
    s->st.lookups_failed++;
    r->failed = true;
  } else {
    const dht_sweep_key_t *k = &r->page[r->small_i];
    int sent = dht_add_provider_to(s->d, k->mh, k->len, closest, n,
                                   st->ended, NULL);
    provided(r, sent > 0 ? sent : 0);
    r->small_i++;
  }
  step(s, st->ended);
}

/* The plain way for a region of a key or two: a lookup per key. */
static void small_next(region_t *r, uint64_t now) {
  dht_sweep_t *s = r->s;
  while (r->small_i < r->npage) {
    uint8_t h[32];
    const dht_sweep_key_t *k = &r->page[r->small_i];
    if (!key_ok(r, k, h)) {
      r->small_i++;
      continue;
    }
    const dht_query_cbs_t cbs = {.on_done = small_done};
    s->st.lookups++;
    r->inflight = true;
    int rc = dht_find_closest(s->d, k->mh, k->len, &cbs, r, now, &r->qid);
    if (rc) {
      r->inflight = false;
      s->st.lookups_failed++;
      fail(r);
    }
    return;
  }
  region_done(r, now);
}

/* ------------------------------------------------------------ regions */

static void region_free(region_t *r) {
  if (r->inflight)
    dht_cancel(r->s->d, r->qid);
  r->inflight = false;
  r->state = R_FREE;
  if (r->peers)
    mem_add(r->s, -(int64_t)(DHT_SWEEP_PEERS_MAX * sizeof *r->peers));
  tr_free(r->peers);
  r->peers = NULL;
}

static void region_done(region_t *r, uint64_t now) {
  (void)now;
  dht_sweep_t *s = r->s;
  if (r->cycle == s->cycle_id && s->cycle_on)
    s->st.regions_done++;
  region_free(r);
  s->again = true;
}

static void region_failed(region_t *r, uint64_t now) {
  dht_sweep_t *s = r->s;
  s->st.regions_failed++;
  if (r->cycle == s->cycle_id && s->cycle_on)
    s->st.regions_done++;
  if (!s->o.once && s->nretry < DHT_SWEEP_RETRY_MAX)
    s->retry[s->nretry++] = (retry_t){.v = top64(r->prefix),
                                      .bits = r->bits,
                                      .due = now + s->o.retry_ms};
  region_free(r);
  s->again = true;
}

static region_t *free_slot(dht_sweep_t *s) {
  for (unsigned i = 0; i < s->o.concurrency; i++)
    if (s->r[i].state == R_FREE)
      return &s->r[i];
  return NULL;
}

/* Begin the region of v's first bits bits in slot r: its first page, then
 * nothing (empty), a lookup per key, or exploration. */
static void region_start(dht_sweep_t *s, region_t *r, uint64_t v,
                         unsigned bits, uint64_t cycle, uint64_t now) {
  /* The retries it includes are done by it. */
  for (size_t i = 0; i < s->nretry; i++)
    if (s->retry[i].bits >= bits &&
        ((s->retry[i].v ^ v) & ~low_mask(bits)) == 0)
      s->retry[i--] = s->retry[--s->nretry];
  memset(r, 0, sizeof *r);
  r->s = s;
  r->cycle = cycle;
  r->retry = !cycle;
  put64(r->prefix, v & ~low_mask(bits));
  r->bits = r->xbits = bits;
  r->xlo = v & ~low_mask(bits);
  r->xhi = r->xlo | low_mask(bits);
  r->page = s->pages + (size_t)(r - s->r) * s->o.page;
  r->state = R_EXPLORE;
  s->again = true;
  if (!fetch(r)) {
    region_failed(r, now);
    return;
  }
  if (!r->npage) {
    region_done(r, now);
    return;
  }
  if (r->npage <= DHT_SWEEP_SMALL && r->npage < s->o.page) {
    r->state = R_SMALL;
    return;
  }
  r->peers = tr_malloc(DHT_SWEEP_PEERS_MAX * sizeof *r->peers);
  if (!r->peers)
    region_failed(r, now);
  else
    mem_add(s, (int64_t)(DHT_SWEEP_PEERS_MAX * sizeof *r->peers));
}

/* ------------------------------------------------------------- cycles */

static void cycle_regions(dht_sweep_t *s, unsigned bits, uint64_t now) {
  (void)now;
  s->bits = bits;
  s->nregions = 1ull << bits;
  s->cursor = 0;
  s->cycle_on = true;
  s->cycle_id++;
  s->st.prefix_bits = bits;
  s->st.regions = s->nregions;
  s->st.regions_done = 0;
  s->st.cycle_keys = 0;
  s->again = true;
}

static void est_done(void *ud, int status, const dht_peer_t *closest,
                     size_t n, const uint8_t *val, size_t vl,
                     const dht_qstats_t *st) {
  (void)val, (void)vl, (void)status;
  dht_sweep_t *s = ud;
  s->estimating = false;
  s->st.lookup_requests += st->sent;
  if (!n) {
    s->st.lookups_failed++;
    s->next_cycle = st->ended + s->o.retry_ms;
    s->st.cycle_start = 0;
    s->over = s->o.once;
  } else {
    /* The k closest to a random point share its first c bits: a prefix
     * that long holds about k peers (go's approxPrefixLen). */
    unsigned c = 0;
    if (n >= s->o.k) {
      uint8_t fk[32];
      dht_key(closest[n - 1].id.bytes, closest[n - 1].id.len, fk);
      c = dht_cpl(s->est_target, fk);
    }
    cycle_regions(s, c > DHT_SWEEP_PREFIX_MAX ? DHT_SWEEP_PREFIX_MAX : c,
                  st->ended);
  }
  step(s, st->ended);
}

static void cycle_begin(dht_sweep_t *s, uint64_t now) {
  s->st.cycle_start = now;
  s->cycle_start = now;
  s->next_cycle = s->o.once ? UINT64_MAX : now + s->o.interval_ms;
  if (s->o.prefix_bits) {
    cycle_regions(s, s->o.prefix_bits, now);
    return;
  }
  uint8_t mh[34];
  target_in(s, rnd(s), 0, mh, s->est_target);
  const dht_query_cbs_t cbs = {.on_done = est_done};
  s->st.lookups++;
  s->estimating = true;
  int rc = dht_find_closest(s->d, mh, sizeof mh, &cbs, s, now, &s->est_qid);
  if (rc) {
    s->estimating = false;
    s->st.lookups_failed++;
    s->next_cycle = now + s->o.retry_ms;
    s->over = s->o.once;
  }
}

static uint64_t region_due(const dht_sweep_t *s, uint64_t i) {
  if (!s->o.spread)
    return s->cycle_start;
  /* interval * i / n without overflow: n is a power of two <= 2^24. */
  return s->cycle_start + (s->o.interval_ms >> s->bits) * i +
         ((s->o.interval_ms & (s->nregions - 1)) * i >> s->bits);
}

static bool active_in_cycle(const dht_sweep_t *s) {
  for (unsigned i = 0; i < s->o.concurrency; i++)
    if (s->r[i].state != R_FREE && s->r[i].cycle == s->cycle_id)
      return true;
  return false;
}

/* Fill free slots: retries that are due, then the cycle's next regions. */
static void start_regions(dht_sweep_t *s, uint64_t now) {
  region_t *r;
  while ((r = free_slot(s))) {
    size_t due = SIZE_MAX;
    for (size_t i = 0; i < s->nretry; i++)
      if (s->retry[i].due <= now &&
          (due == SIZE_MAX || s->retry[i].due < s->retry[due].due))
        due = i;
    if (due != SIZE_MAX) {
      retry_t rt = s->retry[due];
      s->retry[due] = s->retry[--s->nretry];
      s->st.regions_retried++;
      region_start(s, r, rt.v, rt.bits, 0, now);
      continue;
    }
    if (!s->cycle_on || s->cursor >= s->nregions ||
        region_due(s, s->cursor) > now)
      return;
    uint64_t i = s->cursor++;
    region_start(s, r, s->bits ? i << (64 - s->bits) : 0, s->bits,
                 s->cycle_id, now);
  }
}

static void step(dht_sweep_t *s, uint64_t now) {
  if (s->in_step) {
    s->again = true;
    return;
  }
  s->in_step = true;
  do {
    s->again = false;
    for (unsigned i = 0; i < s->o.concurrency; i++) {
      region_t *r = &s->r[i];
      if (r->state == R_FREE)
        continue;
      if (!r->failed && !r->inflight && r->state == R_EXPLORE)
        explore_next(r, now);
      if (!r->failed && !r->inflight && r->state == R_SMALL)
        small_next(r, now);
      if (!r->failed && r->state == R_SEND && r->next_send <= now)
        send_page(r, now);
      if (r->state != R_FREE && r->failed && !r->inflight)
        region_failed(r, now);
    }
    if (!s->cycle_on && !s->estimating && !s->over && now >= s->next_cycle)
      cycle_begin(s, now);
    start_regions(s, now);
    if (s->cycle_on && s->cursor >= s->nregions && !active_in_cycle(s)) {
      s->cycle_on = false;
      s->st.cycles++;
      s->st.last_cycle_ms = now - s->cycle_start;
      s->st.last_cycle_end = now;
      s->over = s->o.once;
      s->again = true;
    }
  } while (s->again);
  s->in_step = false;
  if (s->over && !s->told) {
    s->told = true;
    if (s->o.done)
      s->o.done(s->o.ud);
  }
  wake(s, now);
}

/* When the next call is wanted: sends due, retries and regions due when a
 * slot is free, the next cycle. */
static uint64_t next_time(const dht_sweep_t *s, uint64_t now) {
  uint64_t next = s->next_cycle > now ? s->next_cycle : now;
  if (s->cycle_on || s->estimating)
    next = UINT64_MAX;
  bool slot = false;
  for (unsigned i = 0; i < s->o.concurrency; i++) {
    const region_t *r = &s->r[i];
    if (r->state == R_FREE)
      slot = true;
    else if (r->state == R_SEND && r->next_send < next)
      next = r->next_send;
  }
  if (slot) {
    for (size_t i = 0; i < s->nretry; i++)
      if (s->retry[i].due < next)
        next = s->retry[i].due;
    if (s->cycle_on && s->cursor < s->nregions &&
        region_due(s, s->cursor) < next)
      next = region_due(s, s->cursor);
  }
  if (next == UINT64_MAX) /* all waits on lookups: their end calls back */
    next = now + s->o.retry_ms;
  return next < now ? now : next;
}

static void wake(dht_sweep_t *s, uint64_t now) {
  uint64_t next = next_time(s, now);
  if (next < s->promised) {
    s->promised = next;
    if (s->o.wake)
      s->o.wake(s->o.ud, next);
  }
}

/* --------------------------------------------------------------- API */

static int hkey_cmp(const void *a, const void *b) {
  return memcmp(((const dht_sweep_hkey_t *)a)->h,
                ((const dht_sweep_hkey_t *)b)->h, 32);
}

size_t dht_sweep_hkeys_sort(dht_sweep_hkey_t *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    dht_key(v[i].mh, v[i].len, v[i].h);
  qsort(v, n, sizeof *v, hkey_cmp);
  size_t w = 0;
  for (size_t i = 0; i < n; i++)
    if (!w || memcmp(v[i].h, v[w - 1].h, 32))
      v[w++] = v[i];
  return w;
}

int dht_sweep_hkeys_page(const dht_sweep_hkey_t *v, size_t n,
                         const uint8_t prefix[32], unsigned bits,
                         const uint8_t *after, dht_sweep_key_t *out,
                         size_t max) {
  uint64_t p = top64(prefix) & ~low_mask(bits);
  uint8_t from[32];
  put64(from, p); /* the region's first point */
  /* The first key past after, or at or past that point, whichever is
   * later. */
  if (after && memcmp(after, from, 32) < 0)
    after = NULL;
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = memcmp(v[mid].h, after ? after : from, 32);
    if (after ? c <= 0 : c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t m = 0;
  for (size_t i = lo; i < n && m < max; i++) {
    if ((top64(v[i].h) & ~low_mask(bits)) != p)
      break;
    out[m].len = v[i].len;
    memcpy(out[m++].mh, v[i].mh, v[i].len);
  }
  return (int)m;
}

int dht_sweep_new(dht_t *d, const dht_sweep_opts_t *o, dht_sweep_t **out) {
  if (!o->keys || o->prefix_bits > DHT_SWEEP_PREFIX_MAX || o->page > 65536)
    return TR_EUSAGE;
  dht_sweep_t *s = tr_calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->d = d;
  s->o = *o;
  if (!s->o.interval_ms)
    s->o.interval_ms = DHT_SWEEP_INTERVAL_MS;
  if (!s->o.retry_ms)
    s->o.retry_ms = DHT_SWEEP_RETRY_MS;
  if (!s->o.concurrency)
    s->o.concurrency = DHT_SWEEP_CONCURRENCY;
  if (!s->o.page)
    s->o.page = DHT_SWEEP_PAGE;
  if (!s->o.pace_ms)
    s->o.pace_ms = DHT_SWEEP_PACE_MS;
  if (!s->o.k || s->o.k > DHT_K)
    s->o.k = DHT_K;
  s->r = tr_calloc(s->o.concurrency, sizeof *s->r);
  s->pages = tr_malloc((size_t)s->o.concurrency * s->o.page *
                       sizeof *s->pages);
  s->retry = tr_malloc(DHT_SWEEP_RETRY_MAX * sizeof *s->retry);
  if (!s->r || !s->pages || !s->retry) {
    dht_sweep_free(s);
    return -ENOMEM;
  }
  uint8_t seed[32];
  const net_peerid_t *self = dht_self(d);
  dht_key(self->bytes, self->len, seed);
  memcpy(&s->rng, seed + 8, 8);
  s->rng |= 1;
  s->promised = UINT64_MAX;
  mem_add(s, (int64_t)(sizeof *s + s->o.concurrency * sizeof *s->r +
                       (size_t)s->o.concurrency * s->o.page *
                           sizeof *s->pages +
                       DHT_SWEEP_RETRY_MAX * sizeof *s->retry));
  *out = s;
  return 0;
}

void dht_sweep_free(dht_sweep_t *s) {
  if (!s)
    return;
  for (unsigned i = 0; s->r && i < s->o.concurrency; i++)
    if (s->r[i].state != R_FREE)
      region_free(&s->r[i]);
  if (s->estimating)
    dht_cancel(s->d, s->est_qid);
  dht_sweep_forget(s);
}

void dht_sweep_forget(dht_sweep_t *s) {
  if (!s)
    return;
  for (unsigned i = 0; s->r && i < s->o.concurrency; i++)
    tr_free(s->r[i].peers);
  tr_free(s->r);
  tr_free(s->pages);
  tr_free(s->retry);
  tr_free(s);
}

uint64_t dht_sweep_tick(dht_sweep_t *s, uint64_t now) {
  step(s, now);
  s->promised = next_time(s, now);
  return s->promised;
}

void dht_sweep_restart(dht_sweep_t *s, uint64_t now) {
  if (s->estimating) {
    dht_cancel(s->d, s->est_qid);
    s->estimating = false;
  }
  s->cycle_on = false;
  s->next_cycle = now;
  step(s, now);
}

void dht_sweep_stats(const dht_sweep_t *s, dht_sweep_stats_t *out) {
  *out = s->st;
  out->retry_pending = (uint32_t)s->nretry;
  uint32_t active = 0;
  for (unsigned i = 0; i < s->o.concurrency; i++)
    active += s->r[i].state != R_FREE;
  out->active = active;
  out->mem = s->mem;
}

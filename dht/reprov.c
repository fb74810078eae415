/*
 * reprov.c — the sweep reprovider on the loop (reprov.h).
 */
#include "reprov.h"

#include <errno.h>
#include <string.h>

#include "../dag/multihash.h"

struct dht_reprov {
  uv_loop_t *loop;
  uv_timer_t timer;
  dht_swarm_t *sw;
  dht_reprov_src_t src;
  dht_sweep_t *sweep;
  bool closing;
};

int dht_provide_strategy(const char *s, dht_provide_strategy_t *out) {
  if (!s || !*s || !strcmp(s, "all"))
    *out = DHT_PROVIDE_ALL;
  else if (!strcmp(s, "pinned"))
    *out = DHT_PROVIDE_PINNED;
  else if (!strcmp(s, "roots"))
    *out = DHT_PROVIDE_ROOTS;
  else
    return TR_EUSAGE;
  return 0;
}

/* ------------------------------------------------------ the key scan */

typedef struct scan {
  const uint8_t *prefix;
  unsigned bits;
  const uint8_t *after;
  dht_sweep_key_t *out;
  uint8_t (*h)[32]; /* SHA-256 of out[i], sorted */
  size_t n, max;
} scan_t;

static bool in_region(const scan_t *s, const uint8_t h[32]) {
  for (unsigned i = 0; i < s->bits; i++) {
    uint8_t m = (uint8_t)(0x80 >> (i % 8));
    if ((h[i / 8] & m) != (s->prefix[i / 8] & m))
      return false;
  }
  return true;
}

/* Keep the max smallest SHA-256s above after: insertion into the sorted
 * page (max is a page, a few hundred). */
static void offer(scan_t *s, const uint8_t *mh, size_t mhl) {
  if (mhl > DHT_SWEEP_MH_MAX)
    return;
  uint8_t h[32];
  dag_sha256(mh, mhl, h);
  if (!in_region(s, h) || (s->after && memcmp(h, s->after, 32) <= 0))
    return;
  if (s->n == s->max && memcmp(h, s->h[s->n - 1], 32) >= 0)
    return;
  size_t at = s->n < s->max ? s->n++ : s->n - 1;
  while (at > 0 && memcmp(h, s->h[at - 1], 32) < 0) {
    memcpy(s->h[at], s->h[at - 1], 32);
    s->out[at] = s->out[at - 1];
    at--;
  }
  if (at > 0 && !memcmp(h, s->h[at - 1], 32)) {
    /* the same key twice (a block pinned two ways): once is enough */
    memmove(&s->h[at], &s->h[at + 1], (s->n - at - 1) * 32);
    memmove(&s->out[at], &s->out[at + 1], (s->n - at - 1) * sizeof *s->out);
    s->n--;
    return;
  }
  memcpy(s->h[at], h, 32);
  s->out[at].len = (uint8_t)mhl;
  memcpy(s->out[at].mh, mh, mhl);
}

static int on_pin(const bs_pin_t *p, void *ud) {
  offer(ud, p->cid.bytes + p->cid.mh_off, (size_t)(p->cid.len - p->cid.mh_off));
  return 0;
}

static int on_block(const dag_cid_t *cid, const uint8_t *data, size_t len,
                    void *ud) {
  (void)data, (void)len;
  offer(ud, cid->bytes + cid->mh_off, (size_t)(cid->len - cid->mh_off));
  return 0;
}

/* "all" from the keyspace index (bs_kspace_range): the region's keys in
 * order from the one after `after`, a page and no more read. */
static int on_key(const uint8_t h[32], const uint8_t *mh, size_t mhl,
                  void *ud) {
  scan_t *s = ud;
  if (!in_region(s, h))
    return 1; /* past the region: the rest of the index is too */
  if ((s->after && !memcmp(h, s->after, 32)) || mhl > DHT_SWEEP_MH_MAX)
    return 0;
  s->out[s->n].len = (uint8_t)mhl;
  memcpy(s->out[s->n].mh, mh, mhl);
  return ++s->n == s->max;
}

static int index_keys(bs_txn_t *txn, scan_t *s) {
  uint8_t from[32] = {0};
  if (s->after) {
    memcpy(from, s->after, 32);
  } else {
    /* The region's first point: the prefix, then zeros. */
    for (unsigned i = 0; i < s->bits; i++)
      from[i / 8] = (uint8_t)(from[i / 8] | (s->prefix[i / 8] & (0x80u >> (i % 8))));
  }
  if (!s->max)
    return 0;
  int rc = bs_kspace_range(txn, from, on_key, s);
  return rc == 1 ? 0 : rc;
}

int dht_reprov_keys(void *src, const uint8_t prefix[32], unsigned bits,
                    const uint8_t *after, dht_sweep_key_t *out, size_t max) {
  dht_reprov_src_t *r = src;
  scan_t s = {prefix, bits, after, out, NULL, 0, max};
  if (r->strategy == DHT_PROVIDE_ALL && !r->scan) {
    bs_txn_t *txn;
    int rc = bs_txn_begin(r->env, BS_RDONLY, &txn);
    if (!rc) {
      rc = index_keys(txn, &s);
      bs_txn_abort(txn);
      if (++r->reads % DHT_REPROV_RELEASE_PAGES == 0)
        bs_release_map(r->env);
    }
    if (rc != TR_ESCHEMA) /* no index (a read-only old repo): the scan */
      return rc ? rc : (int)s.n;
    s.n = 0;
  }
  s.h = tr_malloc((max ? max : 1) * sizeof *s.h);
  if (!s.h)
    return -ENOMEM;
  bs_txn_t *txn;
  int rc = bs_txn_begin(r->env, BS_RDONLY, &txn);
  if (!rc) {
    if (r->strategy == DHT_PROVIDE_ALL)
      rc = bs_foreach(txn, on_block, &s);
    else
      rc = bs_pin_ls(txn,
                     r->strategy == DHT_PROVIDE_PINNED
                         ? BS_PIN_ALL
                         : BS_PIN_DIRECT | BS_PIN_RECURSIVE,
                     on_pin, &s);
    bs_txn_abort(txn);
  }
  tr_free(s.h);
  return rc ? rc : (int)s.n;
}

/* ------------------------------------------------------------- timer */

static void fire(uv_timer_t *t);

static void arm(dht_reprov_t *r, uint64_t at) {
  uint64_t now = dht_swarm_now(r->sw);
  uint64_t in = at > now ? at - now : 0;
  if (in > 3600 * 1000)
    in = 3600 * 1000; /* look again within the hour whatever it said */
  uv_timer_start(&r->timer, fire, in, 0);
}

static void fire(uv_timer_t *t) {
  dht_reprov_t *r = t->data;
  if (r->closing)
    return;
  arm(r, dht_sweep_tick(r->sweep, dht_swarm_now(r->sw)));
}

/* The sweep's ud is the reprovider (wake needs it): its keys are its
 * src's. */
static int keys(void *ud, const uint8_t prefix[32], unsigned bits,
                const uint8_t *after, dht_sweep_key_t *out, size_t max) {
  return dht_reprov_keys(&((dht_reprov_t *)ud)->src, prefix, bits, after,
                         out, max);
}

static void wake(void *ud, uint64_t at) {
  dht_reprov_t *r = ud;
  if (!r->closing)
    arm(r, at);
}

int dht_reprov_new(uv_loop_t *loop, dht_swarm_t *sw, bs_env_t *env,
                   dht_provide_strategy_t strategy, uint64_t interval_ms,
                   dht_reprov_t **out) {
  dht_reprov_t *r = tr_calloc(1, sizeof *r);
  if (!r)
    return -ENOMEM;
  r->loop = loop, r->sw = sw;
  r->src = (dht_reprov_src_t){env, strategy, false, 0};
  dht_sweep_opts_t o = {.keys = keys, .wake = wake, .ud = r,
                        .interval_ms = interval_ms, .spread = true};
  int rc = dht_sweep_new(dht_swarm_dht(sw), &o, &r->sweep);
  if (!rc && (rc = uv_timer_init(loop, &r->timer)))
    dht_sweep_free(r->sweep);
  if (rc) {
    tr_free(r);
    return rc;
  }
  r->timer.data = r;
  /* The first cycle starts a minute after start, once the tables have
   * filled (at once with the short intervals of tests). */
  uv_timer_start(&r->timer, fire,
                 interval_ms && interval_ms < 120000 ? 1000 : 60000, 0);
  *out = r;
  return 0;
}

static void on_closed(uv_handle_t *h) { tr_free(h->data); }

void dht_reprov_close(dht_reprov_t *r) {
  if (!r || r->closing)
    return;
  r->closing = true;
  dht_sweep_free(r->sweep);
  r->sweep = NULL;
  uv_close((uv_handle_t *)&r->timer, on_closed);
}

void dht_reprov_stats(const dht_reprov_t *r, dht_sweep_stats_t *out) {
  dht_sweep_stats(r->sweep, out);
}

dht_provide_strategy_t dht_reprov_strategy(const dht_reprov_t *r) {
  return r->src.strategy;
}

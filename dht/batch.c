/*
 * batch.c — keys provided once through one-shot sweeps (batch.h).
 */
#include "batch.h"

#include <errno.h>

typedef struct bside {
  dht_batch_t *b;
  int i;
  dht_swarm_t *sw;
  dht_sweep_t *sweep;
  uint64_t at; /* the tick it wants, in its swarm's clock */
  bool over;
} bside_t;

struct dht_batch {
  uv_loop_t *loop;
  uv_timer_t timer;
  bside_t side[2];
  dht_sweep_hkey_t *keys;
  size_t n;
  dht_batch_here_fn here;
  dht_batch_done_fn done;
  void *ud;
  dht_batch_result_t res;
  bool ended;
  uint64_t flush_until; /* uv_now; 0: the sweeps still run */
};

static bool here(const bside_t *sd) {
  return !sd->b->here || sd->b->here(sd->b->ud, sd->i);
}

static void side_free(bside_t *sd) {
  if (here(sd))
    dht_sweep_free(sd->sweep);
  else
    dht_sweep_forget(sd->sweep);
  sd->sweep = NULL;
}

static int keys(void *ud, const uint8_t prefix[32], unsigned bits,
                const uint8_t *after, dht_sweep_key_t *out, size_t max) {
  const dht_batch_t *b = ((const bside_t *)ud)->b;
  return dht_sweep_hkeys_page(b->keys, b->n, prefix, bits, after, out, max);
}

static void tick(uv_timer_t *t);

/* The timer at the earliest a sweep wants a tick. */
static void arm(dht_batch_t *b) {
  uint64_t in = UINT64_MAX;
  for (int i = 0; i < 2; i++) {
    const bside_t *sd = &b->side[i];
    if (!sd->sweep || !here(sd))
      continue;
    uint64_t now = dht_swarm_now(sd->sw);
    uint64_t d = sd->over || sd->at <= now ? 0 : sd->at - now;
    if (d < in)
      in = d;
  }
  uv_timer_start(&b->timer, tick, in == UINT64_MAX ? 0 : in, 0);
}

static void wake(void *ud, uint64_t at) {
  bside_t *sd = ud;
  if (at < sd->at) {
    sd->at = at;
    arm(sd->b);
  }
}

/* Called inside the sweep: it is freed from the timer. */
static void over(void *ud) {
  bside_t *sd = ud;
  sd->over = true;
  uv_timer_start(&sd->b->timer, tick, 0, 0);
}

static void on_closed(uv_handle_t *h) {
  dht_batch_t *b = h->data;
  tr_free(b->keys);
  tr_free(b);
}

static void close_timer(dht_batch_t *b) {
  uv_timer_stop(&b->timer);
  /* At shutdown the daemon may have closed every handle already (its
   * walk): then b stays allocated until exit rather than be freed under
   * a handle libuv still holds. */
  if (!uv_is_closing((uv_handle_t *)&b->timer))
    uv_close((uv_handle_t *)&b->timer, on_closed);
}

static void tick(uv_timer_t *t) {
  dht_batch_t *b = t->data;
  if (b->ended)
    return;
  for (int i = 0; i < 2; i++) {
    bside_t *sd = &b->side[i];
    if (!sd->sweep)
      continue;
    if (!here(sd)) {
      side_free(sd);
      continue;
    }
    if (!sd->over)
      sd->at = dht_sweep_tick(sd->sweep, dht_swarm_now(sd->sw));
    if (sd->over) {
      dht_sweep_stats_t st;
      dht_sweep_stats(sd->sweep, &st);
      if (st.cycles && st.cycle_keys > b->res.provided)
        b->res.provided = (size_t)st.cycle_keys;
      side_free(sd);
    }
  }
  if (b->side[0].sweep || b->side[1].sweep) {
    arm(b);
    return;
  }
  /* The sweeps handed their ADD_PROVIDERs to the swarms, which write them
   * as streams come: the end waits until none is left on its way (others'
   * included: the reprovider's, the queue's), within DHT_BATCH_FLUSH_MS.
   * Lookups in flight do not hold it up. */
  uint64_t now = uv_now(b->loop);
  if (!b->flush_until)
    b->flush_until = now + DHT_BATCH_FLUSH_MS;
  for (int i = 0; i < 2 && now < b->flush_until; i++) {
    dht_swarm_stats_t st;
    if (!b->side[i].sw || !here(&b->side[i]))
      continue;
    dht_swarm_stats(b->side[i].sw, &st);
    if (st.sends) {
      uv_timer_start(&b->timer, tick, DHT_BATCH_FLUSH_POLL_MS, 0);
      return;
    }
  }
  b->ended = true;
  close_timer(b);
  b->done(b->ud, &b->res);
}

int dht_batch_new(uv_loop_t *loop, dht_swarm_t *const sw[2],
                  dht_sweep_hkey_t *keys_in, size_t n, dht_batch_here_fn hf,
                  dht_batch_done_fn done, void *ud, dht_batch_t **out) {
  bool any = false;
  for (int i = 0; i < 2; i++)
    any |= sw[i] && dht_rt_size(dht_swarm_dht(sw[i])) > 0;
  if (!any)
    return -ENETUNREACH;
  dht_batch_t *b = tr_calloc(1, sizeof *b);
  if (!b)
    return -ENOMEM;
  int rc = uv_timer_init(loop, &b->timer);
  if (rc) {
    tr_free(b);
    return rc;
  }
  b->loop = loop;
  b->timer.data = b;
  b->here = hf, b->done = done, b->ud = ud;
  b->keys = keys_in;
  b->n = dht_sweep_hkeys_sort(keys_in, n);
  b->res.keys = b->n;
  for (int i = 0; i < 2; i++) {
    bside_t *sd = &b->side[i];
    sd->b = b, sd->i = i, sd->sw = sw[i];
    if (!sw[i] || !dht_rt_size(dht_swarm_dht(sw[i])))
      continue;
    dht_t *d = dht_swarm_dht(sw[i]);
    uint64_t now = dht_swarm_now(sw[i]);
    dht_sweep_opts_t o = {.keys = keys,
                          .wake = wake,
                          .done = over,
                          .ud = sd,
                          .once = true,
                          .concurrency = DHT_BATCH_CONCURRENCY,
                          .page = DHT_BATCH_PAGE,
                          .pace_ms = UINT32_MAX};
    if (dht_sweep_new(d, &o, &sd->sweep))
      sd->sweep = NULL;
    sd->at = now;
  }
  if (!b->side[0].sweep && !b->side[1].sweep) {
    b->keys = NULL; /* not taken */
    b->ended = true;
    close_timer(b);
    return -ENOMEM;
  }
  uv_timer_start(&b->timer, tick, 0, 0);
  *out = b;
  return 0;
}

void dht_batch_cancel(dht_batch_t *b) {
  if (!b || b->ended)
    return;
  b->ended = true;
  for (int i = 0; i < 2; i++)
    if (b->side[i].sweep)
      side_free(&b->side[i]);
  close_timer(b);
}

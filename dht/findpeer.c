/*
 * findpeer.c — dht_findpeer (swarm.h): where a peer is, from several DHT
 * swarms at once; the first that hears of it with an address answers.
 *
 * A DHT's on_peer may not cancel its own lookup, so the answer goes out
 * from the loop's next turn (the timer, also the deadline).
 */
#include <string.h>

#include "swarm.h"

typedef struct side {
  dht_findpeer_t *f;
  dht_swarm_t *sw;
  uint64_t qid;
  bool live;
} side_t;

struct dht_findpeer {
  net_peerid_t target;
  side_t side[DHT_FINDPEER_SWARMS];
  uv_timer_t timer;
  dht_found_cb cb;
  void *ud;
  dht_findpeer_t **out;
  char *addrs[DHT_PEER_ADDRS_MAX];
  size_t n;
  int status; /* TR_ENOTFOUND once every lookup ended without it */
  bool found, ended;
};

static void closed(uv_handle_t *t) {
  dht_findpeer_t *f = t->data;
  for (size_t i = 0; i < f->n; i++)
    tr_free(f->addrs[i]);
  tr_free(f);
}

/* Stop the lookups, answer (unless cancelled), and go. */
static void end(dht_findpeer_t *f, int status) {
  if (f->ended)
    return;
  f->ended = true;
  for (int i = 0; i < DHT_FINDPEER_SWARMS; i++)
    if (f->side[i].live) {
      f->side[i].live = false;
      dht_cancel(dht_swarm_dht(f->side[i].sw), f->side[i].qid);
    }
  if (f->out)
    *f->out = NULL;
  if (f->cb)
    f->cb(f->ud, f->found ? 0 : status, f->addrs, f->n);
  uv_close((uv_handle_t *)&f->timer, closed);
}

static void timer_fired(uv_timer_t *t) {
  dht_findpeer_t *f = t->data;
  end(f, f->status ? f->status : -ETIMEDOUT);
}

static void on_peer(void *ud, const dht_peer_t *p) {
  dht_findpeer_t *f = ((side_t *)ud)->f;
  if (f->found || !net_peerid_equal(&p->id, &f->target))
    return;
  for (uint8_t i = 0; i < p->naddrs && f->n < DHT_PEER_ADDRS_MAX; i++) {
    char s[NET_MA_STR_MAX / 16];
    if (net_ma_format(p->addrs[i], p->addrlen[i], s, sizeof s) <= 0)
      continue;
    if ((f->addrs[f->n] = tr_strdup(s)))
      f->n++;
  }
  if (f->n) {
    f->found = true;
    uv_timer_start(&f->timer, timer_fired, 0, 0);
  }
}

static bool any_live(const dht_findpeer_t *f);

static void on_done(void *ud, int status, const dht_peer_t *closest,
                    size_t n, const uint8_t *val, size_t vl,
                    const dht_qstats_t *st) {
  (void)status, (void)closest, (void)n, (void)val, (void)vl, (void)st;
  side_t *sd = ud;
  dht_findpeer_t *f = sd->f;
  sd->live = false;
  if (!any_live(f) && !f->found) {
    f->status = TR_ENOTFOUND;
    uv_timer_start(&f->timer, timer_fired, 0, 0);
  }
}

static const dht_query_cbs_t CBS = {NULL, on_peer, NULL, on_done};

static bool any_live(const dht_findpeer_t *f) {
  for (int i = 0; i < DHT_FINDPEER_SWARMS; i++)
    if (f->side[i].live)
      return true;
  return false;
}

bool dht_findpeer_possible(dht_swarm_t *const *sw, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (sw[i] && dht_rt_size(dht_swarm_dht(sw[i])) > 0)
      return true;
  return false;
}

int dht_findpeer(uv_loop_t *loop, dht_swarm_t *const *sw, size_t nsw,
                 const net_peerid_t *id, uint32_t ms, dht_found_cb cb,
                 void *ud, dht_findpeer_t **out) {
  if (out)
    *out = NULL;
  if (nsw > DHT_FINDPEER_SWARMS)
    return TR_EUSAGE;
  if (!dht_findpeer_possible(sw, nsw))
    return TR_ENOTFOUND;
  dht_findpeer_t *f = tr_calloc(1, sizeof *f);
  if (!f)
    return -ENOMEM;
  f->target = *id;
  f->cb = cb;
  f->ud = ud;
  int rc = uv_timer_init(loop, &f->timer);
  if (rc) {
    tr_free(f);
    return rc;
  }
  f->timer.data = f;
  uv_timer_start(&f->timer, timer_fired, ms, 0);
  for (size_t i = 0; i < nsw; i++) {
    side_t *sd = &f->side[i];
    sd->f = f;
    sd->sw = sw[i];
    if (!sw[i] || !dht_rt_size(dht_swarm_dht(sw[i])))
      continue;
    dht_t *d = dht_swarm_dht(sw[i]);
    /* Until the k closest have answered: the one peer that knows the
     * target may answer last (as routing findpeer). */
    sd->live = true;
    if (dht_find_closest(d, id->bytes, id->len, &CBS, sd,
                         dht_swarm_now(sw[i]), &sd->qid))
      sd->live = false;
  }
  if (out) {
    f->out = out;
    *out = f;
  }
  if (!any_live(f) && !f->found) {
    f->status = TR_ENOTFOUND; /* none could start, or all ended at once */
    uv_timer_start(&f->timer, timer_fired, 0, 0);
  }
  return 0;
}

void dht_findpeer_cancel(dht_findpeer_t *f) {
  if (!f)
    return;
  f->cb = NULL;
  f->out = NULL;
  end(f, -ECANCELED);
}

/*
 * provq.c — the provide queue (provq.h): a mutex-guarded ring of keys,
 * a uv_async to wake the loop, and up to DHT_PROVQ_INFLIGHT provides, or
 * one batch.
 */
#include "provq.h"

#include <errno.h>
#include <string.h>

#include "batch.h"

#define SIDES 2

typedef struct pkey {
  uint8_t len;
  uint8_t b[DHT_KEY_MAX > 255 ? 255 : DHT_KEY_MAX];
} pkey_t;

/* Keys of dht_provq_push_many, waiting for their batch. */
struct held {
  struct held *next;
  dht_sweep_hkey_t *v;
  size_t n;
};

typedef struct slot {
  dht_provq_t *q;
  bool busy;
  uint64_t gen;  /* which key the slot holds now */
  int pending; /* DHTs still providing this key */
  bool ok;
  uint64_t qid[SIDES];
  bool live[SIDES];
} slot_t;

struct dht_provq {
  uv_loop_t *loop;
  uv_async_t async;
  uv_mutex_t mu;
  dht_swarm_t *sw[SIDES];
  pkey_t *ring;
  size_t head, n; /* guarded by mu */
  slot_t slots[DHT_PROVQ_INFLIGHT];
  dht_batch_t *batch; /* the batch in flight */
  size_t batch_n;     /* the keys it took */
  struct held *held, *held_tail; /* push_many's arrays, oldest first */
  size_t nheld;                  /* their keys */
  bool closing;
  dht_provq_stats_t st; /* pushed, dropped under mu; the rest on the loop */
};

static void drain(dht_provq_t *q);

static void slot_done(slot_t *s) {
  dht_provq_t *q = s->q;
  s->busy = false;
  if (s->ok)
    q->st.provided++;
  else
    q->st.failed++;
  if (!q->closing)
    drain(q);
}

static void on_done(void *ud, int status, const dht_peer_t *closest,
                    size_t n, const uint8_t *val, size_t vl,
                    const dht_qstats_t *st) {
  (void)closest, (void)val, (void)vl, (void)st;
  slot_t *s = ud;
  s->ok |= status == 0 && n > 0;
  if (!--s->pending)
    slot_done(s);
}

static const dht_query_cbs_t CBS = {NULL, NULL, NULL, on_done};

/* One key into a free slot: a provide on each DHT that knows a peer. */
static void start(dht_provq_t *q, slot_t *s, const pkey_t *k) {
  s->busy = true;
  s->ok = false;
  s->pending = 0;
  for (int i = 0; i < SIDES; i++)
    s->live[i] = q->sw[i] && dht_rt_size(dht_swarm_dht(q->sw[i])) > 0;
  for (int i = 0; i < SIDES; i++)
    s->pending += s->live[i];
  if (!s->pending) {
    slot_done(s);
    return;
  }
  /* pending counts down in on_done, which may run inside a call and
   * hand the slot to the next key: gen tells. */
  uint64_t gen = ++s->gen;
  for (int i = 0; i < SIDES && s->gen == gen; i++) {
    if (!s->live[i])
      continue;
    dht_t *d = dht_swarm_dht(q->sw[i]);
    if (dht_provide(d, k->b, k->len, &CBS, s, dht_swarm_now(q->sw[i]),
                    &s->qid[i])) {
      s->live[i] = false;
      if (!--s->pending) {
        slot_done(s);
        return;
      }
    }
  }
}

static void batch_done(void *ud, const dht_batch_result_t *r) {
  dht_provq_t *q = ud;
  q->batch = NULL;
  /* A repeat went with its twin. */
  q->st.failed += r->keys - r->provided;
  q->st.provided += q->batch_n - (r->keys - r->provided);
  if (!q->closing)
    drain(q);
}

/* v[0..m) as the batch in flight (v taken, whatever happens). */
static void batch_start(dht_provq_t *q, dht_sweep_hkey_t *v, size_t m) {
  q->st.batches++;
  q->batch_n = m;
  int rc = dht_batch_new(q->loop, q->sw, v, m, NULL, batch_done, q,
                         &q->batch);
  if (rc) {
    tr_free(v);
    q->batch = NULL;
    q->st.failed += m;
  }
}

/* Start a batch when none runs: push_many's keys first, else, when
 * DHT_PROVQ_BATCH_MIN or more wait in the ring, up to DHT_PROVQ_BATCH_MAX
 * of those.  While a batch runs (a big provide once may take minutes),
 * the ring's keys go one by one, so that a new root is not kept waiting
 * behind it; what piles up beyond the slots goes in the next batch. */
static void drain_batch(dht_provq_t *q) {
  if (q->batch)
    return;
  struct held *h = q->held;
  if (h) { /* push_many's first, in order */
    q->held = h->next;
    if (!q->held)
      q->held_tail = NULL;
    q->nheld -= h->n;
    dht_sweep_hkey_t *v = h->v;
    size_t n = h->n;
    tr_free(h);
    batch_start(q, v, n);
    return;
  }
  uv_mutex_lock(&q->mu);
  size_t m = q->n < DHT_PROVQ_BATCH_MIN ? 0
             : q->n < DHT_PROVQ_BATCH_MAX ? q->n
                                           : DHT_PROVQ_BATCH_MAX;
  uv_mutex_unlock(&q->mu);
  if (!m)
    return;
  dht_sweep_hkey_t *v = tr_malloc(m * sizeof *v);
  if (!v)
    return; /* one by one, then */
  size_t taken = 0;
  uv_mutex_lock(&q->mu);
  for (size_t i = 0; i < m; i++) {
    const pkey_t *k = &q->ring[q->head];
    if (k->len <= DHT_SWEEP_HKEY_MH) {
      v[taken].len = k->len;
      memcpy(v[taken++].mh, k->b, k->len);
    }
    q->head = (q->head + 1) % DHT_PROVQ_MAX;
    q->n--;
  }
  uv_mutex_unlock(&q->mu);
  q->st.failed += m - taken; /* a multihash too long for the sweep */
  batch_start(q, v, taken);
}

static void drain(dht_provq_t *q) {
  if (q->closing)
    return;
  drain_batch(q);
  for (size_t i = 0; i < DHT_PROVQ_INFLIGHT && !q->closing; i++) {
    slot_t *s = &q->slots[i];
    if (s->busy)
      continue;
    pkey_t k;
    uv_mutex_lock(&q->mu);
    bool any = q->n > 0;
    if (any) {
      k = q->ring[q->head];
      q->head = (q->head + 1) % DHT_PROVQ_MAX;
      q->n--;
    }
    uv_mutex_unlock(&q->mu);
    if (!any)
      return;
    start(q, s, &k);
  }
}

static void on_async(uv_async_t *a) { drain(a->data); }

int dht_provq_new(uv_loop_t *loop, dht_swarm_t *const *sw, size_t n,
                  dht_provq_t **out) {
  dht_provq_t *q = tr_calloc(1, sizeof *q);
  if (!q)
    return -ENOMEM;
  q->ring = tr_malloc(DHT_PROVQ_MAX * sizeof *q->ring);
  if (!q->ring) {
    tr_free(q);
    return -ENOMEM;
  }
  for (size_t i = 0; i < n && i < SIDES; i++)
    q->sw[i] = sw[i];
  for (size_t i = 0; i < DHT_PROVQ_INFLIGHT; i++)
    q->slots[i].q = q;
  q->loop = loop;
  int rc = uv_mutex_init(&q->mu);
  if (rc) {
    tr_free(q->ring);
    tr_free(q);
    return rc;
  }
  if ((rc = uv_async_init(loop, &q->async, on_async))) {
    uv_mutex_destroy(&q->mu);
    tr_free(q->ring);
    tr_free(q);
    return rc;
  }
  q->async.data = q;
  *out = q;
  return 0;
}

static void on_closed(uv_handle_t *h) { (void)h; }

static void held_drop(dht_provq_t *q) {
  while (q->held) {
    struct held *h = q->held;
    q->held = h->next;
    tr_free(h->v);
    tr_free(h);
  }
  q->held_tail = NULL;
  q->nheld = 0;
}

void dht_provq_free(dht_provq_t *q) {
  if (!q)
    return;
  held_drop(q);
  uv_mutex_destroy(&q->mu);
  tr_free(q->ring);
  tr_free(q);
}

void dht_provq_close(dht_provq_t *q) {
  if (!q || q->closing)
    return;
  /* Under the lock: a push from another thread either saw it open and
   * has sent its wake-up already, or sees it closing and sends nothing. */
  uv_mutex_lock(&q->mu);
  q->closing = true;
  uv_mutex_unlock(&q->mu);
  for (size_t i = 0; i < DHT_PROVQ_INFLIGHT; i++)
    for (int j = 0; j < SIDES; j++)
      if (q->slots[i].busy && q->slots[i].live[j])
        dht_cancel(dht_swarm_dht(q->sw[j]), q->slots[i].qid[j]);
  dht_batch_cancel(q->batch);
  q->batch = NULL;
  held_drop(q);
  uv_close((uv_handle_t *)&q->async, on_closed);
}

void dht_provq_push(void *ud, const uint8_t *mh, size_t mhl) {
  dht_provq_t *q = ud;
  if (!q || !mhl || mhl > sizeof q->ring[0].b)
    return;
  uv_mutex_lock(&q->mu);
  q->st.pushed++;
  if (q->closing || q->n == DHT_PROVQ_MAX) {
    q->st.dropped++;
  } else {
    pkey_t *k = &q->ring[(q->head + q->n) % DHT_PROVQ_MAX];
    k->len = (uint8_t)mhl;
    memcpy(k->b, mh, mhl);
    q->n++;
    uv_async_send(&q->async);
  }
  uv_mutex_unlock(&q->mu);
}

int dht_provq_push_many(dht_provq_t *q, dht_sweep_hkey_t *keys, size_t n) {
  if (q->closing)
    return TR_EUSAGE;
  if (n > DHT_PROVQ_HELD_MAX - q->nheld)
    return TR_ELIMIT;
  struct held *h = tr_calloc(1, sizeof *h);
  if (!h)
    return -ENOMEM;
  h->v = keys, h->n = n;
  if (q->held_tail)
    q->held_tail->next = h;
  else
    q->held = h;
  q->held_tail = h;
  q->nheld += n;
  uv_mutex_lock(&q->mu);
  q->st.pushed += n;
  uv_mutex_unlock(&q->mu);
  drain(q);
  return 0;
}

size_t dht_provq_clear(dht_provq_t *q) {
  size_t n = q->nheld;
  held_drop(q);
  uv_mutex_lock(&q->mu);
  n += q->n;
  q->head = q->n = 0;
  q->st.dropped += n;
  uv_mutex_unlock(&q->mu);
  return n;
}

void dht_provq_stats(dht_provq_t *q, dht_provq_stats_t *out) {
  uv_mutex_lock(&q->mu);
  *out = q->st;
  out->waiting = (uint32_t)(q->n + q->nheld);
  uv_mutex_unlock(&q->mu);
  out->inflight = q->batch ? (uint32_t)q->batch_n : 0;
  for (size_t i = 0; i < DHT_PROVQ_INFLIGHT; i++)
    out->inflight += q->slots[i].busy;
}

/*
 * engine.c — the pin engine (pins.h, "engine"): queued -> pinning ->
 * pinned | failed, on the daemon's loop.
 *
 * One job per pin being worked on, at most concurrency of them.  A job
 * takes the gc lock shared (without waiting: a running GC delays it by a
 * retry), tries to pin the DAG as the store has it, and when a block is
 * missing asks the fetcher for the whole DAG (BS_FETCH_DAG) and tries
 * again when it is done.  A fetch that gains the store no block for
 * stall_ms is given up (the same rule as the RPC API's pin add: a DAG
 * that keeps arriving is waited for, one nobody has is not), and the pin
 * fails with info.reason.  The pin and its status go in one write
 * transaction, and only if the pin object still exists: a pin deleted
 * while it was fetched is not pinned.
 *
 * The pin's completeness check (bs_pin_add's walk of the links index) and
 * the commits run on the loop: a walk over the links index of a DAG the
 * store has, and one fsync per pin.  Not for thousands of pins a second.
 */
#include "mir_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define RETRY_MS 1000 /* after a GC held the lock, or the store failed */

typedef struct job job_t;

struct mir_engine {
  uv_loop_t *loop;
  mir_store_t *st;
  const bs_fetcher_t *f;
  mir_engine_opts_t o;
  uv_timer_t kick;   /* deferred pump: never from inside a caller */
  job_t *jobs;
  unsigned active;
  unsigned handles;  /* open uv handles: freed when 0 after closing */
  bool closing;
  uint64_t pinned, failed;
};

struct job {
  mir_engine_t *e;
  job_t *next;
  char id[MIR_REQID_LEN + 1];
  dag_cid_t cid;
  uv_timer_t timer;
  uint64_t fetch;    /* running fetch handle, 0 none */
  uint64_t stall_n;  /* store's block count at the last check */
  int lock;          /* gc lock handle, -1 none */
  bool fetched;      /* a fetch completed: a second miss fails */
};

static void pump(mir_engine_t *e);
static void job_step(job_t *j);

/* --------------------------------------------------------------- handles */

static void kick_closed(uv_handle_t *h) {
  mir_engine_t *e = h->data;
  if (--e->handles == 0)
    tr_free(e);
}

static void job_closed(uv_handle_t *h) {
  job_t *j = h->data;
  mir_engine_t *e = j->e;
  tr_free(j);
  if (--e->handles == 0 && e->closing)
    tr_free(e);
}

/* Drop j: cancel its fetch, unlock, unlink, close its timer. */
static void job_end(job_t *j) {
  mir_engine_t *e = j->e;
  if (j->fetch && e->f)
    e->f->cancel(e->f->ud, j->fetch);
  j->fetch = 0;
  bs_gc_unlock(j->lock);
  j->lock = -1;
  for (job_t **pp = &e->jobs; *pp; pp = &(*pp)->next)
    if (*pp == j) {
      *pp = j->next;
      break;
    }
  e->active--;
  uv_timer_stop(&j->timer);
  uv_close((uv_handle_t *)&j->timer, job_closed);
}

/* ------------------------------------------------------------ finishing */

static uint64_t store_blocks(mir_engine_t *e) {
  bs_txn_t *txn;
  uint64_t n = 0;
  if (!bs_txn_begin(mir_store_env(e->st), BS_RDONLY, &txn)) {
    if (bs_count(txn, &n))
      n = 0;
    bs_txn_abort(txn);
  }
  return n;
}

/* Mark j failed with reason (the pin object may be gone: then nothing). */
static void job_fail(job_t *j, const char *reason) {
  mir_engine_t *e = j->e;
  json_t *o = json_pack("{s:s}", "reason", reason);
  char *info = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  bs_txn_t *txn;
  int rc = bs_txn_begin(mir_store_env(e->st), 0, &txn);
  if (!rc) {
    rc = mir_pin_set_status(e->st, txn, j->id, MIR_FAILED, info ? info : "",
                            info ? strlen(info) : 0, 0);
    rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
  }
  free(info); /* jansson's allocator */
  if (!rc)
    e->failed++;
  tr_log(TR_LOG_INFO, "mirror: pin %s failed: %s", j->id, reason);
  job_end(j);
  pump(e);
}

/* Try to pin j's DAG as the store has it now: 0 done (pinned, or the
 * object is gone), TR_EINCOMPLETE (fetch), another error. */
static int try_pin(job_t *j) {
  mir_engine_t *e = j->e;
  bs_txn_t *txn;
  int rc = bs_txn_begin(mir_store_env(e->st), 0, &txn);
  if (rc)
    return rc;
  mir_pin_t p;
  if ((rc = mir_pin_get(e->st, txn, j->id, &p))) {
    bs_txn_abort(txn);
    return rc == TR_ENOTFOUND ? 0 : rc; /* deleted meanwhile */
  }
  bs_pin_t old;
  uint32_t keep = 0;
  rc = bs_pin_get(txn, &j->cid, BS_PIN_RECURSIVE, &old);
  if (rc == 1 && old.type == BS_PIN_RECURSIVE &&
      !mir_cid_held(e->st, txn, &j->cid, j->id))
    keep = MIR_F_KEEP; /* someone else's pin: deleting ours leaves it */
  rc = rc < 0 ? rc : bs_pin_add(txn, &j->cid, BS_PIN_RECURSIVE, NULL, NULL);
  if (!rc)
    rc = mir_pin_set_status(e->st, txn, j->id, MIR_PINNED, NULL, 0, keep);
  if (rc) {
    bs_txn_abort(txn);
    return rc;
  }
  if ((rc = bs_txn_commit(txn)))
    return rc;
  e->pinned++;
  return 0;
}

/* ------------------------------------------------------------- fetching */

static void fetched(void *arg, int status) {
  job_t *j = arg;
  j->fetch = 0;
  uv_timer_stop(&j->timer);
  if (status) {
    char why[128];
    snprintf(why, sizeof why, "fetch failed: %s", tr_strerror(status));
    job_fail(j, why);
    return;
  }
  j->fetched = true;
  job_step(j);
}

static void stall_check(uv_timer_t *t) {
  job_t *j = t->data;
  uint64_t n = store_blocks(j->e);
  if (n != j->stall_n) {
    j->stall_n = n;
    uv_timer_start(&j->timer, stall_check, j->e->o.stall_ms, 0);
    return;
  }
  j->e->f->cancel(j->e->f->ud, j->fetch);
  j->fetch = 0;
  job_fail(j, "fetch gave up: no block of the DAG arrived in time");
}

static void retry_cb(uv_timer_t *t) { job_step(t->data); }

/* Connect to the pin's origins, through the daemon's hook. */
static void connect_origins(mir_engine_t *e, const char *id) {
  if (!e->o.connect)
    return;
  bs_txn_t *txn;
  if (bs_txn_begin(mir_store_env(e->st), BS_RDONLY, &txn))
    return;
  mir_pin_t p;
  json_t *a = NULL;
  if (!mir_pin_get(e->st, txn, id, &p) && p.origins)
    a = json_loadb(p.origins, p.origins_len, 0, NULL);
  bs_txn_abort(txn);
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) if (json_is_string(v) && i < MIR_ORIGINS_MAX)
      e->o.connect(e->o.ud, json_string_value(v));
  json_decref(a);
}

static void job_step(job_t *j) {
  mir_engine_t *e = j->e;
  if (j->lock < 0) {
    j->lock = bs_gc_trylock_shared(mir_store_env(e->st));
    if (j->lock < 0) {
      j->lock = -1;
      uv_timer_start(&j->timer, retry_cb, RETRY_MS, 0);
      return;
    }
  }
  int rc = try_pin(j);
  if (!rc) {
    job_end(j);
    pump(e);
    return;
  }
  if (rc != TR_EINCOMPLETE) {
    char why[128];
    snprintf(why, sizeof why, "cannot pin: %s", tr_strerror(rc));
    job_fail(j, why);
    return;
  }
  if (!e->f || j->fetched) {
    job_fail(j, e->f ? "the DAG is still incomplete after its fetch"
                     : "offline, and the DAG is not in the store");
    return;
  }
  if (!j->fetched)
    connect_origins(e, j->id);
  j->fetch = e->f->fetch(e->f->ud, &j->cid, &j->cid, BS_FETCH_DAG, fetched,
                         j);
  if (!j->fetch) {
    job_fail(j, "the fetcher refused the fetch");
    return;
  }
  j->stall_n = store_blocks(e);
  uv_timer_start(&j->timer, stall_check, e->o.stall_ms, 0);
}

/* ---------------------------------------------------------------- queue */

typedef struct first {
  uint64_t created;
} first_t;

static int first_cb(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
                    void *ud) {
  (void)v, (void)vl;
  first_t *f = ud;
  if (kl == 10 && k[0] == MIR_K_STATUS && k[1] == MIR_QUEUED)
    f->created = mir__rd64(k + 2);
  return 1;
}

/* Take the oldest queued pin: mark it pinning, return its job. */
static job_t *take(mir_engine_t *e) {
  bs_txn_t *txn;
  if (bs_txn_begin(mir_store_env(e->st), 0, &txn))
    return NULL;
  uint8_t k[2] = {MIR_K_STATUS, MIR_QUEUED};
  first_t f = {0};
  mir_pin_t p;
  job_t *j = NULL;
  if (bs_kv_range(txn, e->st->db, k, 2, false, first_cb, &f) < 0 ||
      !f.created || mir__get(e->st, txn, f.created, &p))
    goto out;
  j = tr_calloc(1, sizeof *j);
  if (!j)
    goto out;
  memcpy(j->id, p.requestid, sizeof j->id);
  j->cid = p.cid;
  if (mir_pin_set_status(e->st, txn, j->id, MIR_PINNING, NULL, 0, 0) ||
      bs_txn_commit(txn)) {
    tr_free(j);
    return NULL;
  }
  return j;
out:
  bs_txn_abort(txn);
  return NULL;
}

static void pump(mir_engine_t *e) {
  while (!e->closing && e->active < e->o.concurrency) {
    job_t *j = take(e);
    if (!j)
      return;
    j->e = e;
    j->lock = -1;
    uv_timer_init(e->loop, &j->timer);
    j->timer.data = j;
    e->handles++;
    j->next = e->jobs;
    e->jobs = j;
    e->active++;
    job_step(j);
  }
}

static void kick_cb(uv_timer_t *t) { pump(t->data); }

void mir_engine_kick(mir_engine_t *e) {
  if (!e->closing)
    uv_timer_start(&e->kick, kick_cb, 0, 0);
}

/* ------------------------------------------------------------- lifetime */

/* A daemon stopped while these were pinning: queue them again. */
static int requeue(mir_store_t *st) {
  for (;;) {
    bs_txn_t *txn;
    int rc = bs_txn_begin(mir_store_env(st), 0, &txn);
    if (rc)
      return rc;
    mir_query_t q;
    mir_query_init(&q);
    q.statuses = MIR_ST(MIR_PINNING);
    mir_list_t *l;
    if ((rc = mir_list_new(st, &q, &l))) {
      bs_txn_abort(txn);
      return rc;
    }
    mir_pin_t p;
    char id[MIR_REQID_LEN + 1];
    unsigned n = 0;
    /* A batch per transaction; a list never sees what it changed behind
     * it (its position only goes back in time). */
    while (n < 1000 && (rc = mir_list_next(l, txn, &p)) == 1) {
      memcpy(id, p.requestid, sizeof id);
      if ((rc = mir_pin_set_status(st, txn, id, MIR_QUEUED, NULL, 0, 0)))
        break;
      n++;
    }
    mir_list_free(l);
    if (rc < 0) {
      bs_txn_abort(txn);
      return rc;
    }
    if ((rc = bs_txn_commit(txn)) || !n)
      return rc;
  }
}

int mir_engine_new(uv_loop_t *loop, mir_store_t *st, const bs_fetcher_t *f,
                   const mir_engine_opts_t *o, mir_engine_t **out) {
  int rc = requeue(st);
  if (rc)
    return rc;
  mir_engine_t *e = tr_calloc(1, sizeof *e);
  if (!e)
    return -ENOMEM;
  e->loop = loop;
  e->st = st;
  e->f = f;
  if (o)
    e->o = *o;
  if (!e->o.concurrency)
    e->o.concurrency = MIR_CONCURRENCY_DEFAULT;
  if (e->o.concurrency > MIR_CONCURRENCY_MAX)
    e->o.concurrency = MIR_CONCURRENCY_MAX;
  if (!e->o.stall_ms)
    e->o.stall_ms = MIR_STALL_MS_DEFAULT;
  uv_timer_init(loop, &e->kick);
  e->kick.data = e;
  e->handles = 1;
  *out = e;
  mir_engine_kick(e);
  return 0;
}

void mir_engine_stats(const mir_engine_t *e, unsigned *active,
                      uint64_t *pinned, uint64_t *failed) {
  if (active)
    *active = e->active;
  if (pinned)
    *pinned = e->pinned;
  if (failed)
    *failed = e->failed;
}

void mir_engine_free(mir_engine_t *e) {
  if (!e)
    return;
  e->closing = true;
  /* Jobs end without a status change: their pins stay pinning and the
   * next engine queues them again. */
  while (e->jobs)
    job_end(e->jobs);
  uv_timer_stop(&e->kick);
  uv_close((uv_handle_t *)&e->kick, kick_closed);
}

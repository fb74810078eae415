/*
 * scrub.c — the scrubber's thread and its repairs on the loop (scrub.h).
 * The thread runs the core (scrub_core.c) step by step, sleeping on a
 * condition variable between paced steps and between passes, so that
 * mir_scrub_start and mir_scrub_close wake it at once.  Findings cross to
 * the loop through a bounded queue and a uv_async; repairs are fetches
 * through the daemon's fetcher with a deadline timer each, retried with
 * backoff from a single timer.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../dag/ipld.h"
#include "scrub_int.h"

/* A repair: fetching (handle set) or waiting until due_ms. */
typedef struct repair {
  mir_scrub_t *s;
  mir__finding_t f;
  unsigned tries;
  uint64_t due_ms;
  uint64_t handle;
  uint64_t deadline_ms;
  struct repair *next;
} repair_t;

struct mir_scrub {
  uv_loop_t *loop;
  bs_env_t *env;
  const bs_fetcher_t *fetcher;
  mir_scrub_cfg_t cfg;
  pthread_t thread;
  bool thread_ok;
  /* mu guards what the thread and the loop share: the flags, the queue,
   * the core's state copy and the thread's counters. */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool stop, kick;
  mir__core_t core; /* the thread's; st copied into shown under mu */
  mir__scrub_state_t shown;
  uint64_t store_blocks;
  mir__finding_t *q;
  size_t qn;
  mir_scrub_stats_t ctr; /* the *_total counters */
  /* The loop's. */
  uv_async_t async;
  uv_timer_t timer;
  int open_handles;
  repair_t *repairs;
  size_t nrepairs, inflight;
  tr_fpmap_t held; /* the repairs by their block's fingerprint */
  struct {
    uint64_t unix_ms;
    dag_cid_t cid, root;
    bool corrupt;
  } recent[MIR_SCRUB_RECENT]; /* a ring: recent_n entries before next */
  unsigned recent_n, recent_next;
};

static uint64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ the thread */

/* The core's findings (on the thread): queued for the loop. */
static void on_found(void *ud, const mir__finding_t *f) {
  mir_scrub_t *s = ud;
  pthread_mutex_lock(&s->mu);
  if (f->corrupt && !f->root.len)
    s->ctr.corrupt_total++;
  else if (!f->corrupt)
    s->ctr.missing_total++;
  bool repairable = f->root.len != 0; /* a corrupt one waits for the walk */
  if (repairable && s->qn < MIR_SCRUB_QUEUE_MAX)
    s->q[s->qn++] = *f;
  else if (repairable)
    s->ctr.dropped_total++;
  pthread_mutex_unlock(&s->mu);
  if (repairable)
    uv_async_send(&s->async);
}

/* Whether a pass is due by the interval (mu held). */
static uint64_t next_pass_ms(const mir_scrub_t *s) {
  if (!s->cfg.interval_ms)
    return 0;
  if (!s->core.st.pass)
    return 1; /* never scrubbed: now */
  return s->core.st.started_ms + s->cfg.interval_ms;
}

static void timed_wait(mir_scrub_t *s, uint64_t ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (ms > 3600000)
    ms = 3600000; /* wake now and then to look at the clock again */
  uint64_t ns = (uint64_t)ts.tv_nsec + (ms % 1000) * 1000000;
  ts.tv_sec += (time_t)(ms / 1000 + ns / 1000000000);
  ts.tv_nsec = (long)(ns % 1000000000);
  pthread_cond_timedwait(&s->cv, &s->mu, &ts);
}

static void save(mir_scrub_t *s) {
  int rc = mir__core_save(&s->core, s->env);
  if (rc)
    tr_log(TR_LOG_WARN, "scrub: the cursor was not saved: %s",
           tr_strerror(rc));
}

static void pass_begun(mir_scrub_t *s) {
  tr_log(TR_LOG_INFO, "scrub: pass %llu begins (%llu bytes/s)",
         (unsigned long long)s->core.st.pass,
         (unsigned long long)s->cfg.rate);
}

static void pass_over(mir_scrub_t *s) {
  const mir__scrub_state_t *st = &s->core.st;
  tr_log(TR_LOG_INFO, "scrub: pass %llu done: %llu blocks, %llu bytes "
         "hashed in %.1f s; %llu corrupt, %llu missing",
         (unsigned long long)st->pass, (unsigned long long)st->blocks,
         (unsigned long long)st->bytes,
         (double)(st->finished_ms - st->started_ms) / 1000.0,
         (unsigned long long)st->corrupt, (unsigned long long)st->missing);
  s->ctr.passes_total++;
}

static void *scrub_main(void *arg) {
  mir_scrub_t *s = arg;
  uint64_t saved_ms = wall_ms();
  pthread_mutex_lock(&s->mu);
  while (!s->stop) {
    uint64_t now = wall_ms();
    if (s->core.st.phase == MIR_SCRUB_IDLE) {
      uint64_t due = next_pass_ms(s);
      if (s->kick || (due && now >= due)) {
        s->kick = false;
        if (mir__core_begin(&s->core, now) == 0)
          pass_begun(s);
        s->shown = s->core.st;
        continue;
      }
      timed_wait(s, due ? due - now : UINT64_MAX);
      continue;
    }
    s->kick = false;
    uint64_t wait = mir__core_wait(&s->core, now);
    if (wait) {
      timed_wait(s, wait);
      continue;
    }
    uint64_t blocks = s->core.st.blocks, bytes = s->core.st.bytes;
    uint64_t unreadable = s->core.st.unreadable;
    pthread_mutex_unlock(&s->mu);
    int rc = mir__core_step(&s->core, s->env, now);
    bool over = rc == 0 && s->core.st.phase == MIR_SCRUB_IDLE;
    if (rc)
      tr_log(TR_LOG_WARN, "scrub: %s (retried in a second)", tr_strerror(rc));
    if (over || now - saved_ms >= MIR_SCRUB_SAVE_MS) {
      save(s);
      saved_ms = now;
    }
    pthread_mutex_lock(&s->mu);
    s->ctr.blocks_total += s->core.st.blocks - blocks;
    s->ctr.bytes_total += s->core.st.bytes - bytes;
    s->ctr.unreadable_total += s->core.st.unreadable - unreadable;
    s->shown = s->core.st;
    s->store_blocks = s->core.store_blocks;
    if (over)
      pass_over(s);
    if (rc) {
      s->ctr.errors_total++;
      timed_wait(s, 1000);
    }
  }
  pthread_mutex_unlock(&s->mu);
  save(s);
  return NULL;
}

/* ------------------------------------------------------------ repairs */

static void arm(mir_scrub_t *s);

static void repair_free(mir_scrub_t *s, repair_t *r) {
  for (repair_t **p = &s->repairs; *p; p = &(*p)->next)
    if (*p == r) {
      *p = r->next;
      break;
    }
  s->nrepairs--;
  tr_fpmap_del(&s->held, dag_cid_fp(&r->f.cid));
  tr_free(r);
}

static void failed(mir_scrub_t *s, repair_t *r, const char *why) {
  char c[DAG_CID_STR_MAX];
  pthread_mutex_lock(&s->mu);
  s->ctr.repair_failed_total++;
  if (++r->tries >= MIR_SCRUB_TRIES)
    s->ctr.repair_gaveup_total++;
  pthread_mutex_unlock(&s->mu);
  if (r->tries >= MIR_SCRUB_TRIES) {
    tr_log(TR_LOG_WARN, "scrub: repair of %s failed %u times (%s): left to "
           "the next pass", dag_cid_str(&r->f.cid, c), r->tries, why);
    repair_free(s, r);
    return;
  }
  uint64_t delay = s->cfg.retry_ms;
  for (unsigned i = 1; i < r->tries && delay < MIR_SCRUB_RETRY_MAX_MS; i++)
    delay *= 2;
  if (delay > MIR_SCRUB_RETRY_MAX_MS)
    delay = MIR_SCRUB_RETRY_MAX_MS;
  r->due_ms = uv_now(s->loop) + delay;
  tr_log(TR_LOG_INFO, "scrub: repair of %s failed (%s): retry in %llu s",
         dag_cid_str(&r->f.cid, c), why, (unsigned long long)delay / 1000);
}

static void fetched(void *arg, int status) {
  repair_t *r = arg;
  mir_scrub_t *s = r->s;
  r->handle = 0;
  s->inflight--;
  if (status) {
    failed(s, r, tr_strerror(status));
  } else {
    char c[DAG_CID_STR_MAX], root[DAG_CID_STR_MAX];
    tr_log(TR_LOG_INFO, "scrub: repaired %s block %s of %s (fetched again)",
           r->f.corrupt ? "corrupt" : "missing", dag_cid_str(&r->f.cid, c),
           dag_cid_str(&r->f.root, root));
    pthread_mutex_lock(&s->mu);
    s->ctr.repaired_total++;
    pthread_mutex_unlock(&s->mu);
    unsigned k = s->recent_next;
    s->recent[k].unix_ms = wall_ms();
    s->recent[k].cid = r->f.cid;
    s->recent[k].root = r->f.root;
    s->recent[k].corrupt = r->f.corrupt;
    s->recent_next = (k + 1) % MIR_SCRUB_RECENT;
    if (s->recent_n < MIR_SCRUB_RECENT)
      s->recent_n++;
    repair_free(s, r);
  }
  arm(s);
}

/* Start what is due, time out what is late, and set the timer for the
 * next of either. */
static void tick(uv_timer_t *t) {
  mir_scrub_t *s = t->data;
  uint64_t now = uv_now(s->loop);
  for (repair_t *r = s->repairs, *next; r; r = next) {
    next = r->next;
    if (r->handle && now >= r->deadline_ms) {
      s->fetcher->cancel(s->fetcher->ud, r->handle);
      r->handle = 0;
      s->inflight--;
      failed(s, r, "timed out");
    }
  }
  for (repair_t *r = s->repairs; r && s->inflight < MIR_SCRUB_FETCH_MAX;
       r = r->next) {
    if (r->handle || now < r->due_ms)
      continue;
    /* A block with links is fetched with its DAG: what was below a
     * missing node is unknown until it comes (present blocks are not
     * fetched again). */
    unsigned flags = ipld_codec_has_links(r->f.cid.codec) ? BS_FETCH_DAG : 0;
    r->handle = s->fetcher->fetch(s->fetcher->ud, &r->f.cid, &r->f.root, flags,
                                  fetched, r);
    if (!r->handle) {
      r->due_ms = now + s->cfg.retry_ms;
      continue;
    }
    s->inflight++;
    r->deadline_ms = now + s->cfg.fetch_timeout_ms;
  }
  arm(s);
}

static void arm(mir_scrub_t *s) {
  if (!s->repairs || uv_is_closing((uv_handle_t *)&s->timer))
    return;
  uint64_t now = uv_now(s->loop), next = UINT64_MAX;
  for (repair_t *r = s->repairs; r; r = r->next) {
    uint64_t at = r->handle ? r->deadline_ms
                  : s->inflight < MIR_SCRUB_FETCH_MAX ? r->due_ms
                                                       : UINT64_MAX;
    if (at < next)
      next = at;
  }
  if (next != UINT64_MAX)
    uv_timer_start(&s->timer, tick, next > now ? next - now : 0, 0);
}

/* Findings from the thread, into repairs (each block once). */
static void on_async(uv_async_t *a) {
  mir_scrub_t *s = a->data;
  mir__finding_t batch[64];
  for (;;) {
    pthread_mutex_lock(&s->mu);
    size_t n = s->qn < TR_ARRAY_LEN(batch) ? s->qn : TR_ARRAY_LEN(batch);
    memcpy(batch, s->q + s->qn - n, n * sizeof *batch);
    s->qn -= n;
    pthread_mutex_unlock(&s->mu);
    if (!n)
      break;
    for (size_t i = 0; i < n; i++) {
      if (!s->fetcher)
        continue; /* counted and logged: nothing can fetch */
      tr_fp_t fp = dag_cid_fp(&batch[i].cid);
      if (tr_fpmap_get(&s->held, fp))
        continue; /* already held */
      repair_t *r = s->nrepairs < MIR_SCRUB_REPAIR_MAX
                        ? tr_calloc(1, sizeof *r)
                        : NULL;
      if (!r || tr_fpmap_put(&s->held, fp, r)) {
        tr_free(r);
        pthread_mutex_lock(&s->mu);
        s->ctr.dropped_total++;
        pthread_mutex_unlock(&s->mu);
        continue;
      }
      r->s = s;
      r->f = batch[i];
      r->due_ms = uv_now(s->loop);
      r->next = s->repairs;
      s->repairs = r;
      s->nrepairs++;
    }
  }
  if (s->repairs)
    uv_timer_start(&s->timer, tick, 0, 0);
}

/* ------------------------------------------------------------ lifetime */

int mir_scrub_new(uv_loop_t *loop, bs_env_t *env, const bs_fetcher_t *fetcher,
                  const mir_scrub_cfg_t *cfg, mir_scrub_t **out) {
  if (!cfg->rate)
    return TR_EUSAGE;
  mir_scrub_t *s = tr_calloc(1, sizeof *s);
  mir__finding_t *q = tr_malloc(MIR_SCRUB_QUEUE_MAX * sizeof *q);
  if (!s || !q) {
    tr_free(s);
    tr_free(q);
    return -ENOMEM;
  }
  s->q = q;
  s->loop = loop;
  s->env = env;
  s->fetcher = fetcher;
  s->cfg = *cfg;
  if (!s->cfg.retry_ms)
    s->cfg.retry_ms = MIR_SCRUB_RETRY_MS;
  if (!s->cfg.fetch_timeout_ms)
    s->cfg.fetch_timeout_ms = MIR_SCRUB_FETCH_TIMEOUT_MS;
  mir__core_init(&s->core, cfg->rate, on_found, s);
  int rc = mir__core_load(&s->core, env);
  if (rc == TR_ECORRUPT)
    tr_log(TR_LOG_WARN, "scrub: the saved state is unreadable: starting "
           "afresh");
  else if (rc == 0 && s->core.st.phase != MIR_SCRUB_IDLE)
    tr_log(TR_LOG_INFO, "scrub: pass %llu resumes after %llu blocks",
           (unsigned long long)s->core.st.pass,
           (unsigned long long)s->core.st.blocks);
  else if (rc && rc != TR_ENOTFOUND)
    tr_log(TR_LOG_WARN, "scrub: the saved state: %s", tr_strerror(rc));
  s->shown = s->core.st;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  if ((rc = uv_async_init(loop, &s->async, on_async)) == 0) {
    s->open_handles++;
    if ((rc = uv_timer_init(loop, &s->timer)) == 0)
      s->open_handles++;
  }
  s->async.data = s->timer.data = s;
  if (rc == 0) {
    rc = -pthread_create(&s->thread, NULL, scrub_main, s);
    s->thread_ok = rc == 0;
  }
  if (rc) {
    mir_scrub_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

int mir_scrub_start(mir_scrub_t *s) {
  pthread_mutex_lock(&s->mu);
  int rc = s->shown.phase != MIR_SCRUB_IDLE || s->kick ? -EBUSY : 0;
  if (!rc) {
    s->kick = true;
    pthread_cond_signal(&s->cv);
  }
  pthread_mutex_unlock(&s->mu);
  return rc;
}

void mir_scrub_stats(mir_scrub_t *s, mir_scrub_stats_t *st) {
  pthread_mutex_lock(&s->mu);
  *st = s->ctr;
  const mir__scrub_state_t *c = &s->shown;
  st->rate = s->cfg.rate;
  st->interval_ms = s->cfg.interval_ms;
  st->pass = c->pass;
  st->phase = c->phase;
  st->pass_blocks = c->blocks;
  st->pass_bytes = c->bytes;
  st->pass_corrupt = c->corrupt;
  st->pass_missing = c->missing;
  st->pass_unreadable = c->unreadable;
  st->store_blocks = s->store_blocks;
  st->cursor_pct = c->phase == MIR_SCRUB_IDLE && c->pass ? 100.0
                   : !s->store_blocks ? 0.0
                   : c->phase == MIR_SCRUB_WALK || c->phase == MIR_SCRUB_REFS
                   ? 100.0
                   : 100.0 * (double)c->blocks / (double)s->store_blocks;
  if (st->cursor_pct > 100.0)
    st->cursor_pct = 100.0; /* blocks added during the pass */
  st->started_unix = c->started_ms / 1000;
  st->finished_unix = c->finished_ms / 1000;
  st->next_unix = s->cfg.interval_ms && c->pass
                      ? (c->started_ms + s->cfg.interval_ms) / 1000
                      : 0;
  pthread_mutex_unlock(&s->mu);
  st->repairs_pending = s->nrepairs; /* the loop's own, and we are on it */
}

static void free_scrub(mir_scrub_t *s) {
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  tr_free(s->q);
  tr_free(s);
}

static void handle_closed(uv_handle_t *h) {
  mir_scrub_t *s = h->data;
  if (--s->open_handles == 0)
    free_scrub(s);
}

void mir_scrub_close(mir_scrub_t *s) {
  if (!s)
    return;
  if (s->thread_ok) {
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL); /* after its step: under a second */
    s->thread_ok = false;
  }
  mir__core_free(&s->core);
  while (s->repairs) {
    repair_t *r = s->repairs;
    if (r->handle)
      s->fetcher->cancel(s->fetcher->ud, r->handle);
    repair_free(s, r);
  }
  tr_fpmap_free(&s->held);
  /* open_handles: 0 (none made), 1 (the async) or 2 (and the timer). */
  if (!s->open_handles) {
    free_scrub(s);
    return;
  }
  uv_close((uv_handle_t *)&s->async, handle_closed);
  if (s->open_handles == 2)
    uv_close((uv_handle_t *)&s->timer, handle_closed);
}

/* ------------------------------------------------------------ answers */

static const char *phase_name(mir_scrub_phase_t p) {
  return p == MIR_SCRUB_HASH   ? "hash"
         : p == MIR_SCRUB_REFS ? "refs"
         : p == MIR_SCRUB_WALK ? "walk"
                               : "idle";
}

json_t *mir_scrub_json(mir_scrub_t *s) {
  if (!s)
    return json_pack("{s:b}", "Enabled", 0);
  mir_scrub_stats_t st;
  mir_scrub_stats(s, &st);
  json_t *o = json_pack(
      "{s:b,s:I,s:I,s:I,s:s,s:I,s:I,s:f,s:I,s:I,s:I,s:I,s:I}", "Enabled", 1,
      "Rate", (json_int_t)st.rate, "IntervalSeconds",
      (json_int_t)(st.interval_ms / 1000), "Pass", (json_int_t)st.pass,
      "Phase", phase_name(st.phase), "Blocks", (json_int_t)st.pass_blocks,
      "Bytes", (json_int_t)st.pass_bytes, "CursorPercent", st.cursor_pct,
      "StoreBlocks", (json_int_t)st.store_blocks, "Corrupt",
      (json_int_t)st.pass_corrupt, "Missing", (json_int_t)st.pass_missing,
      "Started", (json_int_t)st.started_unix, "LastFinished",
      (json_int_t)st.finished_unix);
  if (o && json_object_set_new(o, "Unreadable",
                               json_integer((json_int_t)st.pass_unreadable))) {
    json_decref(o);
    o = NULL;
  }
  json_t *t = json_pack(
      "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "Passes",
      (json_int_t)st.passes_total, "Blocks", (json_int_t)st.blocks_total,
      "Bytes", (json_int_t)st.bytes_total, "Corrupt",
      (json_int_t)st.corrupt_total, "Missing", (json_int_t)st.missing_total,
      "Unreadable", (json_int_t)st.unreadable_total,
      "Repaired", (json_int_t)st.repaired_total, "RepairFailed",
      (json_int_t)st.repair_failed_total, "RepairGaveUp",
      (json_int_t)st.repair_gaveup_total, "RepairsPending",
      (json_int_t)st.repairs_pending, "Dropped", (json_int_t)st.dropped_total,
      "Errors", (json_int_t)st.errors_total, "Next",
      (json_int_t)st.next_unix);
  if (!o || !t) {
    json_decref(o);
    json_decref(t);
    return NULL;
  }
  if (json_object_set_new(o, "Totals", t)) {
    json_decref(o);
    return NULL;
  }
  return o;
}

/* ------------------------------------------------------------ config */

/* The parser is common's now (Swarm.MaxRecvRate takes the same syntax). */
int mir_scrub_parse_rate(const char *str, uint64_t *rate) {
  return tr_parse_rate(str, rate);
}

json_t *mir_scrub_recent_json(mir_scrub_t *s) {
  json_t *a = json_array();
  for (unsigned i = 0; a && s && i < s->recent_n; i++) {
    unsigned k = (s->recent_next + MIR_SCRUB_RECENT - 1 - i) % MIR_SCRUB_RECENT;
    char c[DAG_CID_STR_MAX], root[DAG_CID_STR_MAX];
    if (json_array_append_new(
            a, json_pack("{s:I,s:s,s:s,s:s}", "time",
                         (json_int_t)s->recent[k].unix_ms, "cid",
                         dag_cid_str(&s->recent[k].cid, c), "root",
                         dag_cid_str(&s->recent[k].root, root), "what",
                         s->recent[k].corrupt ? "corrupt" : "missing"))) {
      json_decref(a);
      return NULL;
    }
  }
  return a;
}

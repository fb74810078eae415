/*
 * peering.c — the peers the host keeps connected (peering.h).
 *
 * Each peer is an entry of its own (a dial under way holds it as its ud);
 * one removed while dialling is unlinked at once and freed when the dial
 * calls back.  The service counts what can still call back into it (the
 * timer, each dial) and frees itself when that reaches 0 after
 * net_peering_free.
 */
#include "peering.h"

#include <sodium.h>
#include <string.h>

typedef struct entry entry_t;
struct entry {
  net_peering_t *p;
  entry_t *next;
  net_peerid_t id;
  char **addrs;
  size_t n;
  uint64_t delay; /* the back-off's current delay */
  uint64_t due;   /* loop ms of the next dial; 0: none scheduled */
  net_dial_t *dial;
  bool dialling, removed;
};

struct net_peering {
  uv_loop_t *loop;
  net_host_t *h;
  uv_timer_t timer;
  entry_t *peers, **tail;
  size_t npeers;
  uint64_t initial, max;
  unsigned refs; /* the timer, each dial */
  bool closing;
};

uint64_t net_peering_next_delay(uint64_t cur, uint64_t max, uint64_t r1,
                                uint64_t r2) {
  if (cur < max)
    cur += cur / 2 + (cur ? r1 % cur : 0);
  if (cur > max) {
    uint64_t j = max * NET_PEERING_JITTER_PCT / 100;
    cur = max - (j ? r2 % j : 0);
  }
  return cur;
}

static uint64_t rand64(void) {
  uint64_t r;
  randombytes_buf(&r, sizeof r);
  return r;
}

static uint64_t backoff(entry_t *e) {
  e->delay = net_peering_next_delay(e->delay, e->p->max, rand64(), rand64());
  return e->delay;
}

static void entry_free(entry_t *e) {
  for (size_t i = 0; i < e->n; i++)
    tr_free(e->addrs[i]);
  tr_free(e->addrs);
  tr_free(e);
}

static void unref(net_peering_t *p) {
  if (--p->refs)
    return;
  while (p->peers) {
    entry_t *e = p->peers;
    p->peers = e->next;
    entry_free(e);
  }
  tr_free(p);
}

static void dialled(net_host_t *h, int status, const net_peerid_t *peer,
                    void *ud) {
  (void)h, (void)peer;
  entry_t *e = ud;
  net_peering_t *p = e->p;
  e->dialling = false;
  if (e->removed) {
    entry_free(e);
  } else if (status) {
    char id[NET_PEERID_STR_MAX] = "?";
    if (net_peerid_format(&e->id, 0, id, sizeof id) < 0)
      id[0] = '?', id[1] = 0;
    tr_log(TR_LOG_DEBUG, "peering: %s not reached: %s", id,
           tr_strerror(status));
    /* Connected meanwhile (it dialled us): the tick resets the delay. */
    e->due = uv_now(p->loop) + backoff(e);
  } else {
    e->due = 0;
    e->delay = p->initial;
  }
  unref(p);
}

static void start_dial(entry_t *e) {
  net_peering_t *p = e->p;
  e->dialling = true;
  p->refs++;
  int rc = net_host_dial(p->h, &e->id, (const char *const *)e->addrs, e->n,
                         dialled, e, &e->dial);
  if (rc) { /* no callback comes */
    e->dialling = false;
    e->due = uv_now(p->loop) + backoff(e);
    unref(p);
  }
}

/* boxo's stopIfConnected and startIfDisconnected, and the dials due. */
static void tick(uv_timer_t *t) {
  net_peering_t *p = t->data;
  uint64_t now = uv_now(p->loop);
  for (entry_t *e = p->peers; e && !p->closing; e = e->next) {
    if (e->dialling)
      continue;
    if (net_host_connected(p->h, &e->id)) {
      e->due = 0;
      e->delay = p->initial;
    } else if (!e->due) {
      e->due = now + backoff(e);
    } else if (now >= e->due) {
      start_dial(e); /* may call back at once: e stays, it is not removed */
    }
  }
}

int net_peering_new(uv_loop_t *loop, net_host_t *h, uint64_t initial_ms,
                    net_peering_t **out) {
  net_peering_t *p = tr_calloc(1, sizeof *p);
  if (!p)
    return -ENOMEM;
  p->loop = loop;
  p->h = h;
  p->tail = &p->peers;
  p->initial = initial_ms ? initial_ms : NET_PEERING_INITIAL_MS;
  p->max = p->initial * NET_PEERING_MAX_FACTOR;
  int rc = uv_timer_init(loop, &p->timer);
  if (rc) {
    tr_free(p);
    return rc;
  }
  p->timer.data = p;
  p->refs = 1;
  uint64_t every = p->initial / 5;
  every = every < 20 ? 20 : every > 1000 ? 1000 : every;
  uv_timer_start(&p->timer, tick, every, every);
  *out = p;
  return 0;
}

static entry_t **find(net_peering_t *p, const net_peerid_t *id) {
  entry_t **pp = &p->peers;
  while (*pp && !net_peerid_equal(&(*pp)->id, id))
    pp = &(*pp)->next;
  return pp;
}

int net_peering_add(net_peering_t *p, const net_peerid_t *id,
                    const char *const *addrs, size_t n) {
  if (n > NET_DIAL_ADDRS || net_peerid_equal(id, net_host_id(p->h)))
    return TR_EUSAGE;
  char **v = n ? tr_calloc(n, sizeof *v) : NULL;
  if (n && !v)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++)
    if (!(v[i] = tr_strdup(addrs[i]))) {
      while (i)
        tr_free(v[--i]);
      tr_free(v);
      return -ENOMEM;
    }
  entry_t *e = *find(p, id);
  if (!e) {
    int rc = p->npeers >= NET_PEERING_MAX ? TR_ELIMIT : 0;
    if (!rc && !(e = tr_calloc(1, sizeof *e)))
      rc = -ENOMEM;
    if (!rc && (rc = net_host_protect(p->h, id, NET_PEERING_TAG, true)))
      tr_free(e);
    if (rc) {
      for (size_t i = 0; i < n; i++)
        tr_free(v[i]);
      tr_free(v);
      return rc;
    }
    e->p = p;
    e->id = *id;
    e->delay = p->initial;
    *p->tail = e;
    p->tail = &e->next;
    p->npeers++;
  } else { /* new addresses; a dial under way keeps its own copy */
    for (size_t i = 0; i < e->n; i++)
      tr_free(e->addrs[i]);
    tr_free(e->addrs);
  }
  e->addrs = v;
  e->n = n;
  return 0;
}

int net_peering_remove(net_peering_t *p, const net_peerid_t *id) {
  entry_t **pp = find(p, id), *e = *pp;
  if (!e)
    return TR_ENOTFOUND;
  *pp = e->next;
  if (p->tail == &e->next)
    p->tail = pp;
  p->npeers--;
  if (net_host_protect(p->h, id, NET_PEERING_TAG, false))
    tr_log(TR_LOG_DEBUG, "peering: cannot lift the protection"); /* none */
  if (e->dialling) { /* freed when the dial calls back */
    e->removed = true;
    net_dial_cancel(e->dial);
  } else {
    entry_free(e);
  }
  return 0;
}

size_t net_peering_list(net_peering_t *p, net_peering_fn fn, void *ud) {
  size_t k = 0;
  for (entry_t *e = p->peers; e; e = e->next, k++)
    if (fn)
      fn(&e->id, (const char *const *)e->addrs, e->n, ud);
  return k;
}

static void timer_closed(uv_handle_t *t) { unref(t->data); }

void net_peering_free(net_peering_t *p) {
  if (!p || p->closing)
    return;
  p->closing = true;
  for (entry_t *e = p->peers; e; e = e->next)
    if (e->dialling)
      net_dial_cancel(e->dial);
  uv_close((uv_handle_t *)&p->timer, timer_closed);
}

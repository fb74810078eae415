/*
 * bsw_sim.h — a simulated network of bitswap cores (bitswap/bitswap.h)
 * wired back to back in memory, for tests/test_bitswap.c.
 *
 * A virtual clock (ms) and an event queue (a heap by time, then order of
 * insertion, so a run is deterministic).  Each ordered pair of nodes is a
 * link with a latency and a rate (bytes per ms) of its own: a message
 * io.send hands over leaves when the link has sent what was before it,
 * takes size/rate to go out, and arrives latency later at the other core's
 * bsw_on_message; bsw_peer_ready is signalled to the sender when it has
 * gone out (the "connection" has taken it), as the real adapter does when
 * its write completes.  Each node has an in-memory block store (memstore.h:
 * stat/get for the core); io.on_block checks the data against the CID,
 * stores it, and queues bsw_block_added for the same node, as the adapter
 * does after its writer's commit.  Timers: each node's bsw_tick runs at
 * the time it returned.
 *
 * Every message sent is also decoded here (the log): its wantlist entries
 * and its blocks' CIDs, with the time, sender and receiver, so that tests
 * can see what went on the wire.
 *
 * Test code: malloc directly (not tr_malloc), so an allocation-failure
 * sweep hits only the cores.
 */
#ifndef BSW_SIM_H
#define BSW_SIM_H

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bitswap/bitswap.h"
#include "memstore.h"

#define SIM_NODES 8
#define SIM_LOG_MAX (1u << 20)

enum { EV_DELIVER = 1, EV_READY, EV_ADDED, EV_CALL };

struct sim;

typedef struct sim_ev {
  uint64_t t, seq;
  int kind;
  int from, to;
  uint8_t *p; /* EV_DELIVER: the message */
  size_t n;
  dag_cid_t cid; /* EV_ADDED */
  void (*fn)(struct sim *s, void *arg); /* EV_CALL */
  void *arg;
} sim_ev_t;

typedef struct sim_link {
  bool up;
  int version;
  uint32_t lat_ms;
  double rate;          /* bytes per ms */
  double busy_until;    /* when what was sent so far has gone out */
} sim_link_t;

/* One wantlist entry or block seen on the wire. */
typedef struct sim_rec {
  uint64_t t;
  int from, to;
  dag_cid_t cid;
  uint8_t type;  /* BSW_WANT_*, or 255 for a block */
  bool cancel;
} sim_rec_t;

typedef struct sim_node {
  struct sim *sim;
  int idx;
  net_peerid_t id;
  bsw_t *b;
  memstore_t st;
  bool live;       /* made (sim_node) */
  bool dead;       /* stopped answering: gets nothing, sends nothing */
  bool corrupt;    /* a liar: its store's get flips a byte of each block */
  bool sync_added; /* on_block calls bsw_block_added itself */
  uint64_t next_tick;
  /* what its io saw */
  size_t on_blocks, bad_on_blocks; /* bad: data that is not the CID's */
  size_t done_calls;
  uint64_t done_sid, done_at;
  size_t nbans;
  int banned[SIM_NODES];
  size_t finds;
  uint64_t find_at, find_sid;
  dag_cid_t find_cid;
  void (*on_find)(struct sim *s, struct sim_node *n); /* test's hook */
  size_t blocks_from[SIM_NODES]; /* block payloads delivered to it */
  int bad_rc;                    /* a bsw_on_message result not 0/ENOMEM */
} sim_node_t;

typedef struct sim {
  uint64_t now, seq;
  sim_ev_t *q;
  size_t nq, capq;
  sim_node_t node[SIM_NODES];
  sim_link_t link[SIM_NODES][SIM_NODES];
  bsw_limits_t lim;
  bool nolog;
  sim_rec_t *log;
  size_t nlog, caplog;
  int any_rc; /* a result the tests do not expect from an entry point */
} sim_t;

/* ------------------------------------------------------------ the queue */

static inline bool ev_less(const sim_ev_t *a, const sim_ev_t *b) {
  return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

static inline void sim_push(sim_t *s, sim_ev_t ev) {
  if (s->nq == s->capq) {
    s->capq = s->capq ? 2 * s->capq : 256;
    s->q = realloc(s->q, s->capq * sizeof *s->q);
    if (!s->q)
      abort();
  }
  ev.seq = s->seq++;
  size_t i = s->nq++;
  s->q[i] = ev;
  while (i && ev_less(&s->q[i], &s->q[(i - 1) / 2])) {
    sim_ev_t t = s->q[i];
    s->q[i] = s->q[(i - 1) / 2];
    s->q[(i - 1) / 2] = t;
    i = (i - 1) / 2;
  }
}

static inline sim_ev_t sim_pop(sim_t *s) {
  sim_ev_t top = s->q[0];
  s->q[0] = s->q[--s->nq];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, m = i;
    if (l < s->nq && ev_less(&s->q[l], &s->q[m]))
      m = l;
    if (l + 1 < s->nq && ev_less(&s->q[l + 1], &s->q[m]))
      m = l + 1;
    if (m == i)
      break;
    sim_ev_t t = s->q[i];
    s->q[i] = s->q[m];
    s->q[m] = t;
    i = m;
  }
  return top;
}

/* Call fn(s, arg) at time t (outside any core call). */
static inline void sim_at(sim_t *s, uint64_t t,
                          void (*fn)(sim_t *s, void *arg), void *arg) {
  sim_push(s, (sim_ev_t){.t = t, .kind = EV_CALL, .fn = fn, .arg = arg});
}

/* ------------------------------------------------------------------ log */

static inline void sim_rec(sim_t *s, int from, int to, const dag_cid_t *cid,
                           uint8_t type, bool cancel) {
  if (s->nlog == s->caplog) {
    if (s->caplog >= SIM_LOG_MAX)
      return;
    s->caplog = s->caplog ? 2 * s->caplog : 1024;
    s->log = realloc(s->log, s->caplog * sizeof *s->log);
    if (!s->log)
      abort();
  }
  s->log[s->nlog++] = (sim_rec_t){s->now, from, to, *cid, type, cancel};
}

static inline void sim_log_msg(sim_t *s, int from, int to, const uint8_t *p,
                               size_t n) {
  if (s->nolog)
    return;
  bsw_msg_t m;
  if (bsw_msg_decode(&m, p, n))
    return; /* out of memory in a sweep: the log is not looked at */
  for (size_t i = 0; i < m.nentries; i++)
    sim_rec(s, from, to, &m.entries[i].cid, m.entries[i].type,
            m.entries[i].cancel);
  for (size_t i = 0; i < m.nblocks; i++) {
    dag_cid_t c;
    if (bsw_block_cid(&m.blocks[i], &c) == 0)
      sim_rec(s, from, to, &c, 255, false);
  }
  bsw_msg_free(&m);
}

/* ------------------------------------------------------------ io: store */

static inline int sim_stat(void *ud, const dag_cid_t *cid, size_t *size) {
  sim_node_t *n = ud;
  memblock_t *m = ms_find(&n->st, cid);
  if (!m)
    return TR_ENOTFOUND;
  *size = m->len;
  return 0;
}

static inline int sim_get(void *ud, const dag_cid_t *cid, tr_bytes_t *out) {
  sim_node_t *n = ud;
  memblock_t *m = ms_find(&n->st, cid);
  if (!m)
    return TR_ENOTFOUND;
  size_t at = out->len;
  int rc = tr_bytes_append(out, m->data, m->len);
  if (!rc && n->corrupt && m->len)
    out->data[at + m->len / 2] ^= 0x5a; /* the lie */
  return rc;
}

/* ------------------------------------------------------------- io: rest */

static inline int sim_index(sim_t *s, const net_peerid_t *id) {
  for (int i = 0; i < SIM_NODES; i++)
    if (s->node[i].live && net_peerid_equal(&s->node[i].id, id))
      return i;
  abort();
}

/* Put a message from a to b on their link. */
static inline void sim_transmit(sim_t *s, int a, int b, const uint8_t *p,
                                size_t n) {
  sim_link_t *l = &s->link[a][b];
  double start = l->busy_until > (double)s->now ? l->busy_until
                                                : (double)s->now;
  double drained = start + (l->rate > 0 ? (double)n / l->rate : 0);
  l->busy_until = drained;
  uint64_t td = (uint64_t)(drained + 0.999);
  uint8_t *copy = malloc(n ? n : 1);
  if (!copy)
    abort();
  memcpy(copy, p, n);
  sim_push(s, (sim_ev_t){.t = td, .kind = EV_READY, .from = a, .to = b});
  sim_push(s, (sim_ev_t){.t = td + l->lat_ms, .kind = EV_DELIVER, .from = a,
                         .to = b, .p = copy, .n = n});
}

static inline int sim_send(void *ud, const net_peerid_t *peer,
                           const uint8_t *p, size_t n) {
  sim_node_t *me = ud;
  sim_t *s = me->sim;
  int to = sim_index(s, peer);
  if (!s->link[me->idx][to].up)
    return -EPIPE;
  sim_log_msg(s, me->idx, to, p, n);
  sim_transmit(s, me->idx, to, p, n);
  return 0;
}

static inline void sim_on_block(void *ud, const dag_cid_t *cid,
                                const uint8_t *data, size_t len) {
  sim_node_t *me = ud;
  me->on_blocks++;
  if (dag_cid_verify(cid, data, len)) {
    me->bad_on_blocks++; /* never stored: ms_put would abort */
    return;
  }
  ms_put(cid, data, len, &me->st);
  if (me->sync_added)
    bsw_block_added(me->b, cid, data, len, me->sim->now);
  else
    sim_push(me->sim, (sim_ev_t){.t = me->sim->now, .kind = EV_ADDED,
                                 .from = me->idx, .cid = *cid});
}

static inline void sim_find(void *ud, uint64_t sid, const dag_cid_t *cid) {
  sim_node_t *me = ud;
  me->finds++;
  me->find_at = me->sim->now;
  me->find_sid = sid;
  me->find_cid = *cid;
  if (me->on_find)
    me->on_find(me->sim, me);
}

static inline void sim_done(void *ud, uint64_t sid) {
  sim_node_t *me = ud;
  me->done_calls++;
  me->done_sid = sid;
  me->done_at = me->sim->now;
}

static inline void sim_ban(void *ud, const net_peerid_t *peer,
                           const char *why) {
  sim_node_t *me = ud;
  (void)why;
  int i = sim_index(me->sim, peer);
  if (me->nbans < SIM_NODES)
    me->banned[me->nbans] = i;
  me->nbans++;
  /* The adapter closes its connections: the link goes down both ways. */
  me->sim->link[me->idx][i].up = false;
  me->sim->link[i][me->idx].up = false;
}

/* ------------------------------------------------------------ the world */

static inline void sim_init(sim_t *s) {
  memset(s, 0, sizeof *s);
  bsw_limits_default(&s->lim);
}

/* Node i, with an empty store.  The core's result (0 or -ENOMEM). */
static inline int sim_node(sim_t *s, int i) {
  sim_node_t *n = &s->node[i];
  memset(n, 0, sizeof *n);
  n->sim = s;
  n->idx = i;
  n->id.len = 3;
  n->id.bytes[0] = 0x51;
  n->id.bytes[1] = 0x77;
  n->id.bytes[2] = (uint8_t)i;
  n->live = true;
  n->next_tick = s->now;
  bsw_io_t io = {.send = sim_send, .stat = sim_stat, .get = sim_get,
                 .on_block = sim_on_block, .find_providers = sim_find,
                 .on_session_done = sim_done, .ban = sim_ban, .ud = n};
  return bsw_new(&io, &s->lim, s->now, &n->b);
}

/* Copy every block of src into node i's store. */
static inline void sim_fill(sim_t *s, int i, const memstore_t *src) {
  for (size_t k = 0; k < src->n; k++)
    ms_put(&src->b[k].cid, src->b[k].data, src->b[k].len, &s->node[i].st);
}

static inline void sim_link_set(sim_t *s, int a, int b, uint32_t lat_ms,
                                double rate) {
  s->link[a][b].lat_ms = lat_ms;
  s->link[a][b].rate = rate;
}

/* Connect a and b with protocol version v, the same latency and rate both
 * ways (sim_link_set after, for asymmetric links).  The cores' results:
 * 0, or the first error. */
static inline int sim_connect(sim_t *s, int a, int b, int v, uint32_t lat_ms,
                              double rate) {
  sim_link_set(s, a, b, lat_ms, rate);
  sim_link_set(s, b, a, lat_ms, rate);
  s->link[a][b].up = s->link[b][a].up = true;
  s->link[a][b].version = s->link[b][a].version = v;
  int rc = bsw_peer_up(s->node[a].b, &s->node[b].id, v, s->now);
  int rc2 = bsw_peer_up(s->node[b].b, &s->node[a].id, v, s->now);
  return rc ? rc : rc2;
}

/* b stops answering (it crashed, or its network did): a hears of it (the
 * connection closed) and calls bsw_peer_down. */
static inline void sim_kill(sim_t *s, int a, int b) {
  s->node[b].dead = true;
  s->link[a][b].up = s->link[b][a].up = false;
  bsw_peer_down(s->node[a].b, &s->node[b].id, s->now);
}

static inline bool sim_ok_rc(int rc) { return rc == 0 || rc == -ENOMEM; }

static inline void sim_event(sim_t *s, sim_ev_t *ev) {
  sim_node_t *from = &s->node[ev->from], *to = &s->node[ev->to];
  switch (ev->kind) {
  case EV_DELIVER:
    if (!to->dead && !from->dead && s->link[ev->from][ev->to].up &&
        to->b) {
      int rc = bsw_on_message(to->b, &from->id, ev->p, ev->n, s->now);
      if (!sim_ok_rc(rc))
        to->bad_rc = rc;
      if (!s->nolog) {
        bsw_msg_t m;
        if (bsw_msg_decode(&m, ev->p, ev->n) == 0) {
          to->blocks_from[ev->from] += m.nblocks;
          bsw_msg_free(&m);
        }
      }
    }
    free(ev->p);
    break;
  case EV_READY:
    if (!from->dead && s->link[ev->from][ev->to].up && from->b)
      bsw_peer_ready(from->b, &to->id, s->now);
    break;
  case EV_ADDED: {
    memblock_t *m = ms_find(&from->st, &ev->cid);
    if (!from->dead && m && from->b)
      bsw_block_added(from->b, &ev->cid, m->data, m->len, s->now);
    break;
  }
  case EV_CALL:
    ev->fn(s, ev->arg);
    break;
  }
}

/* Run until time limit, or until stop(s, ud) says so (checked after each
 * step).  Returns true when stop did. */
static inline bool sim_run(sim_t *s, uint64_t limit,
                           bool (*stop)(sim_t *s, void *ud), void *ud) {
  for (;;) {
    if (stop && stop(s, ud))
      return true;
    int ti = -1;
    for (int i = 0; i < SIM_NODES; i++)
      if (s->node[i].live && !s->node[i].dead && s->node[i].b &&
          (ti < 0 || s->node[i].next_tick < s->node[ti].next_tick))
        ti = i;
    uint64_t tq = s->nq ? s->q[0].t : UINT64_MAX;
    uint64_t tt = ti >= 0 ? s->node[ti].next_tick : UINT64_MAX;
    uint64_t t = tq < tt ? tq : tt;
    if (t > limit) {
      s->now = limit;
      return false;
    }
    if (t > s->now)
      s->now = t;
    if (tt <= tq) {
      sim_node_t *n = &s->node[ti];
      uint64_t next = bsw_tick(n->b, s->now);
      n->next_tick = next > s->now ? next : s->now + 1;
    } else {
      sim_ev_t ev = sim_pop(s);
      sim_event(s, &ev);
    }
  }
}

static inline void sim_free(sim_t *s) {
  for (int i = 0; i < SIM_NODES; i++)
    if (s->node[i].live) {
      bsw_free(s->node[i].b);
      ms_free(&s->node[i].st);
    }
  for (size_t i = 0; i < s->nq; i++)
    free(s->q[i].p);
  free(s->q);
  free(s->log);
}

/* Stop functions. */
static inline bool sim_stop_done(sim_t *s, void *ud) {
  return s->node[*(int *)ud].done_calls > 0;
}

#endif /* BSW_SIM_H */

/*
 * swarm.c — the DHT core on the libp2p host (swarm.h).  Requests out are
 * ops: queued by the core's send (never started inside it, so that no
 * answer reaches the core re-entrantly), started on the next loop turn,
 * then a dial through the peer's addresses if need be, a stream (an idle
 * one of ours to the peer, else a new one), the frame, and one answer
 * frame; the stream then waits, idle, for the next request to that peer.
 * Requests in are read frame by frame off the stream the peer opened.
 */
#include "swarm.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "../net/identify.h"
#include "../net/multiaddr.h"
#include "../net/peerstore.h"

/* A stream we are done with: whatever it reports now goes nowhere. */
static const net_stream_cbs_t DETACHED = {0};

typedef struct op {
  struct op *next;
  struct op *wnext; /* in the wait queue (queued) */
  dht_swarm_t *s;
  uint64_t req, deadline;
  dht_peer_t peer;
  tr_bytes_t frame, in;
  net_stream_t *st;
  bool want, queued, waiting_net, reported;
  bool reused; /* st was idle: if it fails before any answer, a new one */
  /* Getting a stream (dialing the peer or opening one), listed in the
   * swarm's getting; requests with no answer to the same peer that came
   * meanwhile wait on it, parked (pnext), to go on its stream after it. */
  bool getting;
  struct op *gnext, *parked, *pnext, *host;
} op_t;

/* A stream of ours that carried a request and its answer, kept open for
 * the next request to the same peer (swarm.h). */
typedef struct idle {
  struct idle *next;
  dht_swarm_t *s;
  net_stream_t *st;
  uint64_t since;
} idle_t;

typedef struct inb {
  struct inb *next;
  dht_swarm_t *s;
  net_stream_t *st;
  tr_bytes_t in;
  uint64_t last;
} inb_t;

struct dht_swarm {
  uv_loop_t *loop;
  net_host_t *h;
  dht_t *d;
  dht_swarm_opts_t o;
  const char *proto;
  uv_timer_t tick, kick;
  int handles; /* open uv handles */
  int64_t clock_off;
  op_t *ops;
  uint32_t nops;
  uint32_t nsends; /* of them, requests with no answer (ADD_PROVIDER) */
  uint32_t nactive;       /* ops started (not queued) */
  uint32_t nwait;         /* ops queued */
  op_t *whead, *wtail;    /* queued ops, oldest first */
  op_t *getting;          /* ops getting a stream (op_t.getting) */
  inb_t *inb;
  idle_t *idle;
  uint32_t nidle;
  size_t rt_last;  /* the table's size at the last tick */
  uint64_t fix_at; /* the last look at our connections (fix_low) */
  bool closing;
  dht_swarm_stats_t st;
};

uint64_t dht_swarm_now(const dht_swarm_t *s) {
  return (uint64_t)((int64_t)uv_now(s->loop) + s->clock_off);
}

dht_t *dht_swarm_dht(dht_swarm_t *s) { return s->d; }
const char *dht_swarm_protocol(const dht_swarm_t *s) { return s->proto; }
bool dht_swarm_lan(const dht_swarm_t *s) { return s->o.lan; }

void dht_swarm_stats(const dht_swarm_t *s, dht_swarm_stats_t *out) {
  *out = s->st;
  out->ops = s->nops;
  out->sends = s->nsends;
  out->idle = s->nidle;
}

static void maybe_free(dht_swarm_t *s) {
  if (s->closing && !s->handles && !s->nops && !s->inb && !s->idle) {
    dht_free(s->d);
    tr_free(s);
  }
}

/* ------------------------------------------------------------- scope */

static bool addr_ok(void *ud, const uint8_t *ma, size_t n) {
  dht_swarm_t *s = ud;
  uint8_t ip[16];
  if (!net_ma_ip(ma, n, ip))
    return false; /* a DNS name or a relay: not ours to judge here */
  if (!s->o.lan)
    return net_ma_is_public(ma, n);
  if (net_ma_is_loopback(ma, n))
    return s->o.loopback;
  return !net_ma_is_public(ma, n);
}

static void peer_from_ps(dht_swarm_t *s, const net_peerid_t *id,
                         dht_peer_t *out) {
  net_peerinfo_t *pi = net_ps_get(net_host_peerstore(s->h), id);
  const uint8_t *a[NET_PS_ADDRS_MAX];
  size_t l[NET_PS_ADDRS_MAX], n = 0;
  for (uint8_t i = 0; pi && i < pi->naddrs; i++)
    a[n] = pi->addrs[i], l[n++] = pi->addrlen[i];
  dht_peer_set(out, id, a, l, n);
}

void dht_swarm_update_self(dht_swarm_t *s) {
  char strs[16][NET_MA_STR_MAX / 16];
  size_t n = net_host_announce_addrs(s->h, strs, 16);
  if (n > 16)
    n = 16;
  uint8_t bin[16][DHT_ADDR_MAX];
  const uint8_t *a[16];
  size_t l[16], k = 0;
  for (size_t i = 0; i < n; i++) {
    int len = net_ma_parse(strs[i], strlen(strs[i]), bin[k], DHT_ADDR_MAX);
    if (len > 0 && addr_ok(s, bin[k], (size_t)len))
      a[k] = bin[k], l[k] = (size_t)len, k++;
  }
  dht_peer_t self;
  dht_peer_set(&self, net_host_id(s->h), a, l, k);
  dht_set_self_info(s->d, &self);
}

/* ------------------------------------------------------- idle streams */

static void idle_unlink(idle_t *ib) {
  dht_swarm_t *s = ib->s;
  for (idle_t **pp = &s->idle; *pp; pp = &(*pp)->next)
    if (*pp == ib) {
      *pp = ib->next;
      s->nidle--;
      break;
    }
  tr_free(ib);
}

/* Let an idle stream go: our FIN (the peer's handler closes its side) or,
 * when something is wrong with it, a reset. */
static void idle_end(idle_t *ib, bool reset) {
  net_stream_t *st = ib->st;
  net_stream_set(st, &DETACHED, NULL);
  if (reset)
    net_stream_reset(st);
  else
    net_stream_close(st);
  idle_unlink(ib);
}

/* Nothing may come on a stream with no request on it. */
static void idle_data(net_stream_t *st, const uint8_t *p, size_t n) {
  (void)p, (void)n;
  idle_t *ib = net_stream_ud(st);
  ib->s->st.resets++;
  idle_end(ib, true);
}

/* The peer closed it (its handler stopped: an idle timeout of its own). */
static void idle_fin(net_stream_t *st) { idle_end(net_stream_ud(st), false); }

static void idle_close(net_stream_t *st, int status) {
  (void)status;
  idle_unlink(net_stream_ud(st));
}

static const net_stream_cbs_t IDLE = {idle_data, idle_fin, idle_close, NULL};

/* Keep st, which has just carried a whole request (and its answer), for
 * the next request to its peer - unless the swarm closes or holds enough
 * already, in which case it ends as before: with our FIN. */
static void idle_put(dht_swarm_t *s, net_stream_t *st) {
  const net_peerid_t *peer = net_stream_peer(st);
  uint32_t same = 0;
  for (idle_t *ib = s->idle; ib; ib = ib->next)
    same += net_peerid_equal(net_stream_peer(ib->st), peer);
  idle_t *ib = NULL;
  if (!s->closing && s->nidle < DHT_SWARM_IDLE_OUT_MAX &&
      same < DHT_SWARM_IDLE_PEER_MAX)
    ib = tr_calloc(1, sizeof *ib);
  if (!ib) {
    net_stream_set(st, &DETACHED, NULL);
    net_stream_close(st);
    return;
  }
  ib->s = s;
  ib->st = st;
  ib->since = dht_swarm_now(s);
  ib->next = s->idle;
  s->idle = ib;
  s->nidle++;
  net_stream_set(st, &IDLE, ib);
}

/* An idle stream to peer, taken out of the pool (the most recently used:
 * the least likely to have been closed by the peer), or NULL. */
static net_stream_t *idle_take(dht_swarm_t *s, const net_peerid_t *peer) {
  for (idle_t *ib = s->idle; ib; ib = ib->next)
    if (net_peerid_equal(net_stream_peer(ib->st), peer)) {
      net_stream_t *st = ib->st;
      net_stream_set(st, &DETACHED, NULL);
      idle_unlink(ib);
      return st;
    }
  return NULL;
}

/* ------------------------------------------------------ requests out */

static void on_kick(uv_timer_t *t);
static bool op_retry(op_t *op);
static void op_start(op_t *op);
static void op_fail(op_t *op, int err);
static void wait_push(dht_swarm_t *s, op_t *op);

/* ------------------------------------------------------ parked ops */

/* A burst of ADD_PROVIDERs (a provide's k, the sweep's pages: hundreds to
 * one peer at once) would open a stream each before the first had opened
 * and gone idle.  So a request with no answer that finds no idle stream
 * to its peer, while another op is getting one, waits for that one
 * (parked) and goes on its stream after it: one stream a peer, as go's
 * message sender keeps. */

static void getting_on(op_t *op) {
  if (op->getting)
    return;
  op->getting = true;
  op->gnext = op->s->getting;
  op->s->getting = op;
}

static void getting_off(op_t *op) {
  if (!op->getting)
    return;
  for (op_t **pp = &op->s->getting; *pp; pp = &(*pp)->gnext)
    if (*pp == op) {
      *pp = op->gnext;
      break;
    }
  op->getting = false;
}

static op_t *getting_for(dht_swarm_t *s, const net_peerid_t *peer) {
  for (op_t *g = s->getting; g; g = g->gnext)
    if (net_peerid_equal(&g->peer.id, peer))
      return g;
  return NULL;
}

static void park(op_t *op, op_t *host) {
  op->s->st.parked++;
  op->host = host;
  op->pnext = host->parked;
  host->parked = op;
}

/* op leaves its host's list (it ends while parked). */
static void unpark(op_t *op) {
  if (!op->host)
    return;
  for (op_t **pp = &op->host->parked; *pp; pp = &(*pp)->pnext)
    if (*pp == op) {
      *pp = op->pnext;
      break;
    }
  op->host = NULL;
}

/* host's parked ops, detached from it. */
static op_t *parked_take(op_t *host) {
  op_t *l = host->parked;
  host->parked = NULL;
  for (op_t *p = l; p; p = p->pnext)
    p->host = NULL;
  return l;
}

enum { PARKED_START, PARKED_FAIL, PARKED_WAIT };

/* What becomes of parked ops when their host has a stream (start them: the
 * first takes it from the idle pool, each puts it back for the next), or
 * could not get one (fail them: the peer is unreachable, or closing), or
 * was sent back to the wait queue (they go too).  While the swarm closes
 * they are left alone: dht_swarm_close fails every op itself. */
static void parked_end(dht_swarm_t *s, op_t *l, int what, int err) {
  for (op_t *p = l, *next; p; p = next) {
    next = p->pnext;
    if (s->closing)
      continue;
    if (what == PARKED_START) {
      op_start(p);
    } else if (what == PARKED_FAIL) {
      op_fail(p, err);
    } else {
      s->nactive--;
      wait_push(s, p);
    }
  }
}

static void op_unlink(op_t *op) {
  dht_swarm_t *s = op->s;
  getting_off(op);
  unpark(op);
  (void)parked_take(op); /* none left: each path ends them first */
  for (op_t **pp = &s->ops; *pp; pp = &(*pp)->next)
    if (*pp == op) {
      *pp = op->next;
      s->nops--;
      s->nsends -= !op->want;
      break;
    }
  if (!op->queued && s->nactive) {
    s->nactive--;
    if (s->whead && !s->closing)
      uv_timer_start(&s->kick, on_kick, 0, 0); /* a slot for the next */
  }
  tr_bytes_free(&op->frame);
  tr_bytes_free(&op->in);
  tr_free(op);
  maybe_free(s);
}

/* The answer will not come: tell the core (once), then free op unless a
 * stream or a dial still holds it. */
static void op_fail(op_t *op, int err) {
  dht_swarm_t *s = op->s;
  getting_off(op);
  parked_end(s, parked_take(op), PARKED_FAIL, err);
  if (op->want && !op->reported && !s->closing) {
    op->reported = true;
    dht_on_fail(s->d, op->req, err, dht_swarm_now(s));
  }
  op->reported = true;
  if (op->st) {
    net_stream_t *st = op->st;
    op->st = NULL;
    net_stream_set(st, &DETACHED, NULL);
    net_stream_reset(st);
  }
  if (!op->waiting_net)
    op_unlink(op);
}

static void out_data(net_stream_t *st, const uint8_t *p, size_t n) {
  op_t *op = net_stream_ud(st);
  dht_swarm_t *s = op->s;
  if (!op->want || op->in.len + n > DHT_MSG_MAX + 16 ||
      tr_bytes_append(&op->in, p, n)) {
    op_fail(op, TR_EPROTO);
    return;
  }
  const uint8_t *body;
  size_t blen;
  int64_t took = dht_frame(op->in.data, op->in.len, DHT_MSG_MAX, &body,
                           &blen);
  if (took == 0)
    return;
  if (took < 0) {
    op_fail(op, (int)took);
    return;
  }
  op->reported = true;
  op->st = NULL;
  net_stream_set(st, &DETACHED, NULL);
  /* The answer and nothing after it: the stream can carry the next
   * request.  Bytes beyond it are a peer that does not follow the
   * protocol: our FIN ends the stream once the peer's is in. */
  if ((size_t)took == op->in.len)
    idle_put(s, st);
  else
    net_stream_close(st);
  if (!s->closing)
    dht_on_reply(s->d, op->req, body, blen, dht_swarm_now(s));
  op_unlink(op);
}

static void out_fin(net_stream_t *st) {
  op_t *op = net_stream_ud(st);
  if (op_retry(op))
    return;
  if (op->want)
    op_fail(op, TR_EPROTO); /* closed without an answer */
  else
    net_stream_close(st);
}

static void out_close(net_stream_t *st, int status) {
  op_t *op = net_stream_ud(st);
  if (!op)
    return;
  op->st = NULL;
  if (op_retry(op))
    return;
  op_fail(op, status ? status : TR_EPROTO);
}

static const net_stream_cbs_t OUT = {out_data, out_fin, out_close, NULL};

/* Write op's frame on st (new, or idle and reused).  The frame is kept
 * until op ends: a reused stream that fails before the answer sends it
 * again on a new one (op_retry). */
static void op_send(op_t *op, net_stream_t *st) {
  op->st = st;
  net_stream_set(st, &OUT, op);
  int rc = net_stream_write(st, op->frame.data, op->frame.len);
  if (rc) {
    if (op_retry(op))
      return;
    op_fail(op, rc);
    return;
  }
  if (!op->want) {
    /* ADD_PROVIDER: nothing comes back, so the stream is free at once
     * for the next request (as go-libp2p-kad-dht sends them back to back
     * on its stream to the peer). */
    op->reported = true;
    op->st = NULL;
    idle_put(op->s, st);
    op_unlink(op);
  }
}

static void op_opened(net_stream_t *st, int status, void *ud) {
  op_t *op = ud;
  dht_swarm_t *s = op->s;
  op->waiting_net = false;
  getting_off(op);
  if (status || s->closing || op->reported) {
    if (st)
      net_stream_reset(st);
    op_fail(op, status ? status : -ECANCELED); /* and its parked ops */
    return;
  }
  s->st.streams_out++;
  op_t *parked = parked_take(op);
  op_send(op, st); /* may free op */
  parked_end(s, parked, PARKED_START, 0);
}

/* Queue op (again) at the end of the wait queue. */
static void wait_push(dht_swarm_t *s, op_t *op) {
  op->queued = true;
  op->wnext = NULL;
  if (s->wtail)
    s->wtail->wnext = op;
  else
    s->whead = op;
  s->wtail = op;
  s->nwait++;
}

static void op_open(op_t *op) {
  op->waiting_net = true;
  int rc = net_host_open(op->s->h, &op->peer.id, op->s->proto, op_opened, op);
  if (rc == TR_ELIMIT) {
    /* The connection's streams are all in use (ours and the peer's, as
     * yamux counts them): not the peer's fault, so wait for one to end
     * rather than fail the request. */
    op->waiting_net = false;
    getting_off(op);
    op->s->nactive--;
    wait_push(op->s, op);
    parked_end(op->s, parked_take(op), PARKED_WAIT, 0);
    return;
  }
  if (rc) {
    op->waiting_net = false;
    op_fail(op, rc);
  }
}

static void op_dial(op_t *op);

static void op_dialled(net_host_t *h, int status, const net_peerid_t *peer,
                       void *ud) {
  (void)h, (void)peer;
  op_t *op = ud;
  op->waiting_net = false;
  if (op->s->closing || op->reported) {
    op_fail(op, -ECANCELED);
    return;
  }
  if (status) {
    op->s->st.dial_failures++;
    op_fail(op, status);
    return;
  }
  op_open(op);
}

/* Dial the peer at the addresses it came with, raced (net_host_dial),
 * without the router: a peer of a lookup that cannot be reached is
 * dropped by the lookup, not looked up in turn. */
static void op_dial(op_t *op) {
  dht_swarm_t *s = op->s;
  char ma[DHT_PEER_ADDRS_MAX][NET_MA_STR_MAX / 8];
  const char *addrs[DHT_PEER_ADDRS_MAX];
  size_t n = 0;
  for (uint8_t i = 0; i < op->peer.naddrs && n < DHT_PEER_ADDRS_MAX; i++)
    if (net_ma_format(op->peer.addrs[i], op->peer.addrlen[i], ma[n],
                      sizeof ma[n]) > 0) {
      addrs[n] = ma[n];
      n++;
    }
  if (!n) {
    op_fail(op, TR_ENOTCONN);
    return;
  }
  op->waiting_net = true;
  s->st.dials++;
  int rc = net_host_dial_flags(s->h, &op->peer.id, addrs, n,
                               NET_DIAL_NO_ROUTER, op_dialled, op, NULL);
  if (rc) {
    op->waiting_net = false;
    op_fail(op, rc);
  }
}

static void op_start_new(op_t *op) {
  getting_on(op);
  if (net_host_connected(op->s->h, &op->peer.id))
    op_open(op);
  else
    op_dial(op);
}

static void op_reuse(op_t *op, net_stream_t *st) {
  op->s->st.streams_reused++;
  op->reused = true;
  op_send(op, st);
}

static void op_start(op_t *op) {
  net_stream_t *st = idle_take(op->s, &op->peer.id);
  if (st) {
    op_reuse(op, st);
    return;
  }
  op_t *g = op->want ? NULL : getting_for(op->s, &op->peer.id);
  if (g)
    park(op, g);
  else
    op_start_new(op);
}

/* A reused stream failed (the peer closed or reset it, as its own idle
 * timeout may, or the write failed) before any of the answer came: send
 * the request again, once, on a new stream, as go-libp2p-kad-dht's
 * message sender does.  True when it did. */
static bool op_retry(op_t *op) {
  dht_swarm_t *s = op->s;
  if (!op->reused || op->in.len || op->reported || s->closing)
    return false;
  op->reused = false;
  if (op->st) {
    net_stream_t *st = op->st;
    op->st = NULL;
    net_stream_set(st, &DETACHED, NULL);
    net_stream_reset(st);
  }
  s->st.retries++;
  op_start_new(op);
  return true;
}

/* Start waiting ops, oldest first, while slots are free; each at most
 * once a round (one whose connection has no stream free goes back to the
 * end).  A start may finish (and free) ops, this one included, but never
 * a waiting one. */
static void on_kick(uv_timer_t *t) {
  dht_swarm_t *s = t->data;
  uint64_t now = dht_swarm_now(s);
  for (uint32_t n = s->nwait;
       n && s->whead && s->nactive < DHT_SWARM_OPS_MAX && !s->closing; n--) {
    op_t *op = s->whead;
    s->whead = op->wnext;
    if (!s->whead)
      s->wtail = NULL;
    s->nwait--;
    op->queued = false;
    s->nactive++;
    if (op->want && now + 1000 >= op->deadline) {
      /* Waited past the core's deadline: it has failed the request. */
      op->reported = true;
      op_unlink(op);
      continue;
    }
    op_start(op);
  }
}

static int send_cb(void *ud, uint64_t req, const dht_peer_t *peer,
                   bool want_reply, const uint8_t *p, size_t n) {
  dht_swarm_t *s = ud;
  if (s->closing)
    return -ECANCELED;
  if (s->nops >= DHT_SWARM_OPS_MAX + DHT_SWARM_WAIT_MAX)
    return TR_ELIMIT;
  op_t *op = tr_calloc(1, sizeof *op);
  if (!op)
    return -ENOMEM;
  if (tr_bytes_append(&op->frame, p, n)) {
    tr_free(op);
    return -ENOMEM;
  }
  op->s = s;
  op->req = req;
  op->peer = *peer;
  op->want = want_reply;
  op->deadline = dht_swarm_now(s) + (s->o.request_ms ? s->o.request_ms
                                                     : DHT_REQUEST_MS) +
                 1000;
  op->next = s->ops;
  s->ops = op;
  s->nops++;
  s->nsends += !want_reply;
  wait_push(s, op);
  if (s->nactive < DHT_SWARM_OPS_MAX)
    uv_timer_start(&s->kick, on_kick, 0, 0);
  return 0;
}

/* ------------------------------------------------------- requests in */

static void inb_free(inb_t *ib) {
  dht_swarm_t *s = ib->s;
  for (inb_t **pp = &s->inb; *pp; pp = &(*pp)->next)
    if (*pp == ib) {
      *pp = ib->next;
      break;
    }
  tr_bytes_free(&ib->in);
  tr_free(ib);
  maybe_free(s);
}

static void in_reset(inb_t *ib) {
  ib->s->st.resets++;
  net_stream_t *st = ib->st;
  net_stream_set(st, &DETACHED, NULL);
  net_stream_reset(st);
  inb_free(ib);
}

static void in_data(net_stream_t *st, const uint8_t *p, size_t n) {
  inb_t *ib = net_stream_ud(st);
  dht_swarm_t *s = ib->s;
  if (s->closing || ib->in.len + n > DHT_MSG_MAX + 16 ||
      tr_bytes_append(&ib->in, p, n)) {
    in_reset(ib);
    return;
  }
  ib->last = dht_swarm_now(s);
  size_t off = 0;
  for (;;) {
    const uint8_t *body;
    size_t blen;
    int64_t took = dht_frame(ib->in.data + off, ib->in.len - off,
                             DHT_MSG_MAX, &body, &blen);
    if (took == 0)
      break;
    if (took < 0) {
      in_reset(ib);
      return;
    }
    off += (size_t)took;
    dht_peer_t from;
    peer_from_ps(s, net_stream_peer(st), &from);
    tr_bytes_t resp = {0};
    int rc = dht_handle(s->d, &from, body, blen, dht_swarm_now(s), &resp);
    if (!rc && resp.len)
      rc = net_stream_write(st, resp.data, resp.len);
    tr_bytes_free(&resp);
    if (rc) {
      in_reset(ib);
      return;
    }
  }
  memmove(ib->in.data, ib->in.data + off, ib->in.len - off);
  ib->in.len -= off;
}

static void in_fin(net_stream_t *st) { net_stream_close(st); }

static void in_close(net_stream_t *st, int status) {
  (void)status;
  inb_t *ib = net_stream_ud(st);
  if (ib)
    inb_free(ib);
}

static const net_stream_cbs_t IN = {in_data, in_fin, in_close, NULL};

static void on_stream(net_stream_t *st, void *ud) {
  dht_swarm_t *s = ud;
  inb_t *ib = s->closing ? NULL : tr_calloc(1, sizeof *ib);
  if (!ib) {
    net_stream_reset(st);
    return;
  }
  s->st.streams_in++;
  ib->s = s;
  ib->st = st;
  ib->last = dht_swarm_now(s);
  ib->next = s->inb;
  s->inb = ib;
  net_stream_set(st, &IN, ib);
}

/* ------------------------------------------------------------- table */

/* peer, identified: into the table when it speaks our protocol (and
 * has an address in our scope), out of it when it does not. */
static void table_put(dht_swarm_t *s, const net_peerid_t *peer, bool drop) {
  net_peerinfo_t *pi = net_ps_get(net_host_peerstore(s->h), peer);
  uint64_t now = dht_swarm_now(s);
  if (!pi || !net_ps_speaks(pi, s->proto)) {
    if (drop)
      dht_remove_peer(s->d, peer);
    return;
  }
  bool was_empty = dht_rt_size(s->d) == 0;
  dht_peer_t p;
  peer_from_ps(s, peer, &p);
  if (dht_add_peer(s->d, &p, now))
    return; /* no address in our scope */
  if (was_empty && dht_rt_size(s->d)) {
    if (dht_bootstrap(s->d, now))
      tr_log(TR_LOG_DEBUG, "dht: bootstrap lookup not started");
    dht_refresh(s->d, now);
  }
}

static void on_identified(net_host_t *h, const net_peerid_t *peer, void *ud) {
  (void)h;
  dht_swarm_t *s = ud;
  if (!s->closing)
    table_put(s, peer, true);
}

static void fix_one(const net_peerid_t *peer, const char *addr, bool outbound,
                    void *ud) {
  (void)addr, (void)outbound;
  table_put(ud, peer, false);
}

/* go's fixLowPeers: the connected peers that speak the protocol, back
 * into a low table. */
static void fix_low(dht_swarm_t *s, uint64_t now) {
  size_t n = dht_rt_size(s->d);
  bool shrank = n < s->rt_last;
  s->rt_last = n;
  if (n >= DHT_SWARM_LOW_PEERS ||
      (!shrank && now - s->fix_at < DHT_SWARM_FIX_MS))
    return;
  s->fix_at = now;
  net_host_conns(s->h, fix_one, s);
  s->rt_last = dht_rt_size(s->d);
}

int dht_swarm_set_server(dht_swarm_t *s, bool on) {
  if (s->closing || on == s->o.server)
    return 0;
  int rc = on ? net_host_handle(s->h, s->proto, on_stream, s)
              : net_host_unhandle(s->h, s->proto);
  if (rc)
    return rc;
  s->o.server = on;
  dht_set_server(s->d, on);
  net_identify_push(s->h);
  tr_log(TR_LOG_INFO, "dht: %s in %s mode", s->proto,
         on ? "server" : "client");
  return 0;
}

bool dht_swarm_server(const dht_swarm_t *s) { return s->o.server; }

/* ------------------------------------------------------------ timers */

static void on_tick(uv_timer_t *t) {
  dht_swarm_t *s = t->data;
  uint64_t now = dht_swarm_now(s);
  dht_tick(s->d, now);
  fix_low(s, now);
  if (s->whead && s->nactive < DHT_SWARM_OPS_MAX)
    uv_timer_start(&s->kick, on_kick, 0, 0); /* ops a full connection held */
  for (op_t *op = s->ops; op;) {
    if (op->st && op->deadline <= now) {
      op_fail(op, -ETIMEDOUT);
      op = s->ops; /* the list changed */
      continue;
    }
    op = op->next;
  }
  for (inb_t *ib = s->inb; ib;) {
    inb_t *next = ib->next;
    if (now - ib->last >= DHT_SWARM_IDLE_MS)
      in_reset(ib);
    ib = next;
  }
  for (idle_t *ib = s->idle; ib;) {
    idle_t *next = ib->next;
    if (now - ib->since >= DHT_SWARM_REUSE_MS)
      idle_end(ib, false);
    ib = next;
  }
}

static void on_handle_closed(uv_handle_t *h) {
  dht_swarm_t *s = h->data;
  s->handles--;
  maybe_free(s);
}

int dht_swarm_new(uv_loop_t *loop, net_host_t *h, const dht_swarm_opts_t *o,
                  dht_swarm_t **out) {
  dht_swarm_t *s = tr_calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->loop = loop;
  s->h = h;
  s->o = *o;
  s->proto = o->lan ? DHT_PROTO_LAN : DHT_PROTO_WAN;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  s->clock_off = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 -
                 (int64_t)uv_now(loop);
  dht_opts_t d = {.self = *net_host_id(h), .server = o->server,
                  .request_ms = o->request_ms, .send = send_cb,
                  .validate = o->validate, .select = o->select,
                  .addr_ok = addr_ok, .ud = s, .vud = o->ud,
                  .store = o->store};
  int rc = dht_new(&d, dht_swarm_now(s), &s->d);
  if (rc) {
    tr_free(s);
    return rc;
  }
  if ((rc = uv_timer_init(loop, &s->tick)) ||
      (rc = uv_timer_init(loop, &s->kick))) {
    dht_free(s->d);
    tr_free(s);
    return rc;
  }
  s->tick.data = s->kick.data = s;
  s->handles = 2;
  rc = net_identify_watch(h, on_identified, s);
  if (!rc && o->server)
    rc = net_host_handle(h, s->proto, on_stream, s);
  if (rc) {
    /* The watcher cannot be taken back: it sees closing and does
     * nothing, so s must outlive the host.  Failing here stops the
     * daemon, which closes the host next. */
    dht_swarm_close(s);
    return rc;
  }
  uv_timer_start(&s->tick, on_tick, DHT_SWARM_TICK_MS, DHT_SWARM_TICK_MS);
  dht_swarm_update_self(s);
  *out = s;
  return 0;
}

void dht_swarm_close(dht_swarm_t *s) {
  if (!s || s->closing)
    return;
  s->closing = true;
  uv_timer_stop(&s->tick);
  uv_timer_stop(&s->kick);
  uv_close((uv_handle_t *)&s->tick, on_handle_closed);
  uv_close((uv_handle_t *)&s->kick, on_handle_closed);
  while (s->idle)
    idle_end(s->idle, false);
  while (s->inb)
    in_reset(s->inb);
  s->whead = s->wtail = NULL;
  s->nwait = 0;
  for (op_t *op = s->ops; op;) {
    op_t *next = op->next;
    op_fail(op, -ECANCELED);
    op = next;
  }
}

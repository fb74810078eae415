/*
 * swarm.c — the pubsub core on the libp2p host (swarm.h): the stream we
 * write to each peer, the streams peers write to us, the peers identify
 * reports, bans, the heartbeat's timer, and the local subscribers.
 *
 * The core is never re-entered: what must happen because of a call into
 * it (a subscriber that unsubscribes from its message callback, a peer
 * whose stream broke while the core sent to it) is queued and done from
 * the kick timer on the next loop turn.
 */
#include "swarm.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "../dag/varint.h"
#include "../net/bans.h"
#include "../net/identify.h"
#include "../net/peerstore.h"

static const net_stream_cbs_t DETACHED = {0};

typedef struct speer { /* a peer we write to */
  struct speer *next;
  ps_swarm_t *s;
  net_peerid_t id;
  int proto;
  net_stream_t *st;
  bool opening, orphan, broken, worked;
  tr_bytes_t q; /* frames waiting for the stream */
} speer_t;

typedef struct inb { /* a stream a peer writes to us on */
  struct inb *next;
  ps_swarm_t *s;
  net_stream_t *st;
  tr_bytes_t in;
} inb_t;

struct ps_swarm_sub {
  struct ps_swarm_sub *next;
  ps_swarm_t *s;
  char *t;
  size_t tlen;
  ps_swarm_msg_cb on_msg;
  ps_swarm_closed_cb on_closed;
  void *ud;
  bool dead; /* unsubscribed inside a callback: freed by the kick */
};

struct ps_swarm {
  uv_loop_t *loop;
  net_host_t *h;
  ps_t *core;
  bool floodsub, closing;
  uv_timer_t tick, kick;
  int handles;
  unsigned opens; /* net_host_open callbacks still to come */
  unsigned in_core;
  speer_t *peers;
  inb_t *inb;
  net_bans_t bans;
  ps_swarm_sub_t *subs;
  size_t nsubs;
};

static const char *const PROTOS[] = {PS_PROTO_MESH11, PS_PROTO_MESH10,
                                     PS_PROTO_FLOOD};
static const int VERSIONS[] = {PS_MESH11, PS_MESH10, PS_FLOOD};

static uint64_t now_ms(const ps_swarm_t *s) { return uv_now(s->loop); }

static void on_kick(uv_timer_t *t);

static void kick(ps_swarm_t *s) {
  if (!s->closing)
    uv_timer_start(&s->kick, on_kick, 0, 0);
}

static void maybe_free(ps_swarm_t *s) {
  if (s->closing && !s->handles && !s->opens)
    tr_free(s);
}

/* ----------------------------------------------------------------- bans */

static bool banned(ps_swarm_t *s, const net_peerid_t *id) {
  return net_bans_has(&s->bans, id, now_ms(s));
}

/* --------------------------------------------------------- peers we write */

static speer_t *speer_find(ps_swarm_t *s, const net_peerid_t *id) {
  for (speer_t *p = s->peers; p; p = p->next)
    if (net_peerid_equal(&p->id, id))
      return p;
  return NULL;
}

static void speer_free(speer_t *p) {
  ps_swarm_t *s = p->s;
  for (speer_t **pp = &s->peers; *pp; pp = &(*pp)->next)
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  if (p->st) {
    net_stream_set(p->st, &DETACHED, NULL);
    net_stream_close(p->st);
  }
  tr_bytes_free(&p->q);
  if (p->opening) { /* out_opened still comes: it frees p */
    p->orphan = true;
    return;
  }
  tr_free(p);
}

/* The stream we write on broke: the peer leaves the core on the next
 * turn (and comes back at once if it still worked until now). */
static void speer_broken(speer_t *p) {
  if (p->st) {
    net_stream_set(p->st, &DETACHED, NULL);
    net_stream_reset(p->st);
    p->st = NULL;
  }
  p->q.len = 0;
  p->broken = true;
  kick(p->s);
}

static void out_close(net_stream_t *st, int status) {
  speer_t *p = net_stream_ud(st);
  (void)status;
  p->st = NULL;
  p->broken = true;
  kick(p->s);
}

static void out_data(net_stream_t *st, const uint8_t *d, size_t n) {
  (void)st, (void)d, (void)n; /* nothing comes back on it */
}

static const net_stream_cbs_t OUT = {out_data, NULL, out_close, NULL};

static void out_opened(net_stream_t *st, int status, void *ud) {
  speer_t *p = ud;
  ps_swarm_t *s = p->s;
  p->opening = false;
  s->opens--;
  if (p->orphan || s->closing || status) {
    if (st)
      net_stream_reset(st);
    if (p->orphan)
      tr_free(p);
    else if (!s->closing)
      speer_broken(p);
    maybe_free(s);
    return;
  }
  p->st = st;
  p->worked = true;
  net_stream_set(st, &OUT, p);
  if (p->q.len && net_stream_write(st, p->q.data, p->q.len))
    speer_broken(p);
  tr_bytes_free(&p->q);
}

static const char *proto_name(int proto) {
  return proto == PS_MESH11   ? PS_PROTO_MESH11
         : proto == PS_MESH10 ? PS_PROTO_MESH10
                              : PS_PROTO_FLOOD;
}

static int send_cb(void *ud, const net_peerid_t *peer, const uint8_t *msg,
                   size_t n) {
  ps_swarm_t *s = ud;
  speer_t *p = speer_find(s, peer);
  if (!p || p->broken)
    return TR_ENOTCONN;
  uint8_t pre[DAG_VARINT_MAX];
  size_t pl = dag_varint_put(pre, n);
  if (p->st) {
    if (net_stream_write(p->st, pre, pl) || net_stream_write(p->st, msg, n)) {
      speer_broken(p);
      return TR_ENOTCONN;
    }
    return 0;
  }
  if (p->q.len + pl + n > PS_SWARM_QUEUE_MAX) {
    speer_broken(p);
    return TR_ELIMIT;
  }
  if (tr_bytes_append(&p->q, pre, pl) || tr_bytes_append(&p->q, msg, n))
    return -ENOMEM;
  if (!p->opening) {
    int rc = net_host_open(s->h, peer, proto_name(p->proto), out_opened, p);
    if (rc) {
      speer_broken(p);
      return rc;
    }
    p->opening = true;
    s->opens++;
  }
  return 0;
}

/* A peer that speaks proto: into the core (which says hello through
 * send_cb: our stream to it opens then). */
static void peer_up(ps_swarm_t *s, const net_peerid_t *id, int proto) {
  if (banned(s, id))
    return;
  speer_t *p = speer_find(s, id);
  if (p && (p->proto >= proto || p->broken))
    return;
  if (!p) {
    if (!(p = tr_calloc(1, sizeof *p)))
      return;
    p->s = s;
    p->id = *id;
    p->next = s->peers;
    s->peers = p;
  }
  p->proto = proto;
  s->in_core++;
  int rc = ps_peer_up(s->core, id, proto, now_ms(s));
  s->in_core--;
  if (rc) {
    ps_peer_down(s->core, id, now_ms(s));
    speer_free(p);
  }
}

static void peer_down(ps_swarm_t *s, speer_t *p) {
  ps_peer_down(s->core, &p->id, now_ms(s));
  speer_free(p);
}

static void on_identified(net_host_t *h, const net_peerid_t *peer, void *ud) {
  ps_swarm_t *s = ud;
  if (s->closing)
    return;
  net_peerinfo_t *pi = net_ps_get(net_host_peerstore(h), peer);
  for (size_t i = s->floodsub ? 2 : 0; pi && i < TR_ARRAY_LEN(PROTOS); i++)
    if (net_ps_speaks(pi, PROTOS[i])) {
      peer_up(s, peer, VERSIONS[i]);
      return;
    }
  speer_t *p = speer_find(s, peer); /* it no longer says it speaks pubsub */
  if (p && pi)
    peer_down(s, p);
}

/* ----------------------------------------------------- streams peers open */

static void inb_free(inb_t *ib) {
  ps_swarm_t *s = ib->s;
  for (inb_t **pp = &s->inb; *pp; pp = &(*pp)->next)
    if (*pp == ib) {
      *pp = ib->next;
      break;
    }
  tr_bytes_free(&ib->in);
  tr_free(ib);
}

static void in_reset(inb_t *ib) {
  net_stream_set(ib->st, &DETACHED, NULL);
  net_stream_reset(ib->st);
  inb_free(ib);
}

/* The peer broke the protocol: its streams go, the core forgets it, and
 * it is refused for PS_SWARM_BAN_MS. */
static void cut_off(ps_swarm_t *s, const net_peerid_t *peer, const char *why) {
  char id[NET_PEERID_STR_MAX];
  if (net_peerid_format(peer, 0, id, sizeof id) < 0)
    strcpy(id, "?");
  tr_log(TR_LOG_WARN, "pubsub: cutting off %s: %s", id, why);
  for (inb_t *ib = s->inb, *next; ib; ib = next) {
    next = ib->next;
    if (net_peerid_equal(net_stream_peer(ib->st), peer))
      in_reset(ib);
  }
  speer_t *p = speer_find(s, peer);
  if (p)
    peer_down(s, p);
  else
    ps_peer_down(s->core, peer, now_ms(s));
  if (net_bans_add(&s->bans, peer, now_ms(s) + PS_SWARM_BAN_MS))
    return; /* without memory the peer is only cut off, not kept out */
}

/* Hand the whole frames of p[0..n) to the core; *used gets the bytes they
 * took.  A reason when the peer must be cut off; "" when only the stream
 * must go (the core has no room for the peer: no fault of its own). */
static const char *in_frames(ps_swarm_t *s, const net_peerid_t *peer,
                             const uint8_t *p, size_t n, size_t *used) {
  size_t off = 0;
  while (off < n) {
    const uint8_t *body;
    size_t blen;
    int64_t took = ps_frame(p + off, n - off, &body, &blen);
    if (took == 0)
      break;
    if (took < 0)
      return took == TR_ETOOBIG ? "a frame over 1 MiB" : "a bad frame length";
    s->in_core++;
    int rc = ps_input(s->core, peer, body, blen, now_ms(s));
    s->in_core--;
    if (rc == TR_EPROTO)
      return "an RPC that does not decode";
    if (rc == TR_ETOOBIG)
      return "a frame over 1 MiB";
    if (rc)
      return "";
    off += (size_t)took;
  }
  *used = off;
  return NULL;
}

static void in_data(net_stream_t *st, const uint8_t *d, size_t n) {
  inb_t *ib = net_stream_ud(st);
  ps_swarm_t *s = ib->s;
  net_peerid_t peer = *net_stream_peer(st);
  if (s->closing) {
    in_reset(ib);
    return;
  }
  bool buffered = ib->in.len > 0;
  if (buffered && tr_bytes_append(&ib->in, d, n)) {
    in_reset(ib);
    return;
  }
  const uint8_t *p = buffered ? ib->in.data : d;
  size_t len = buffered ? ib->in.len : n, used = 0;
  const char *why = in_frames(s, &peer, p, len, &used);
  if (why && !why[0]) {
    in_reset(ib);
    return;
  }
  if (why) {
    cut_off(s, &peer, why); /* resets ib too */
    return;
  }
  size_t rest = len - used;
  if (buffered) {
    memmove(ib->in.data, ib->in.data + used, rest);
    ib->in.len = rest;
  } else if (rest && tr_bytes_append(&ib->in, d + used, rest)) {
    in_reset(ib);
  }
}

static void in_fin(net_stream_t *st) { net_stream_close(st); }

static void in_close(net_stream_t *st, int status) {
  (void)status;
  inb_free(net_stream_ud(st));
}

static const net_stream_cbs_t IN = {in_data, in_fin, in_close, NULL};

static void on_stream(net_stream_t *st, void *ud) {
  ps_swarm_t *s = ud;
  const net_peerid_t *peer = net_stream_peer(st);
  inb_t *ib;
  if (s->closing || banned(s, peer) || !(ib = tr_calloc(1, sizeof *ib))) {
    net_stream_reset(st);
    return;
  }
  /* One stream in per peer, as go-libp2p-pubsub reads: a new one replaces
   * the one before (reset), so a peer holds at most one unfinished frame
   * of ours. */
  for (inb_t *o = s->inb; o; o = o->next)
    if (net_peerid_equal(net_stream_peer(o->st), peer)) {
      in_reset(o);
      break;
    }
  const char *proto = net_stream_protocol(st);
  int version = PS_FLOOD;
  for (size_t i = 0; i < TR_ARRAY_LEN(PROTOS); i++)
    if (!strcmp(proto, PROTOS[i]))
      version = VERSIONS[i];
  peer_up(s, peer, version);
  ib->s = s;
  ib->st = st;
  ib->next = s->inb;
  s->inb = ib;
  net_stream_set(st, &IN, ib);
}

/* -------------------------------------------------------- subscribers */

static void on_deliver(void *ud, const ps_msg_t *m) {
  ps_swarm_t *s = ud;
  for (ps_swarm_sub_t *u = s->subs; u; u = u->next)
    if (!u->dead && u->tlen == m->topiclen &&
        !memcmp(u->t, m->topic, m->topiclen))
      u->on_msg(u->ud, m);
}

static void sub_free(ps_swarm_sub_t *u) {
  ps_swarm_t *s = u->s;
  for (ps_swarm_sub_t **pp = &s->subs; *pp; pp = &(*pp)->next)
    if (*pp == u) {
      *pp = u->next;
      break;
    }
  s->nsubs--;
  if (!s->closing && ps_leave(s->core, u->t, u->tlen, now_ms(s)))
    tr_log(TR_LOG_WARN, "pubsub: leaving a topic not joined");
  tr_free(u->t);
  tr_free(u);
}

int ps_swarm_sub(ps_swarm_t *s, const char *t, size_t tlen,
                 ps_swarm_msg_cb on_msg, ps_swarm_closed_cb on_closed,
                 void *ud, ps_swarm_sub_t **out) {
  if (s->closing || !on_msg || !tlen || tlen > PS_TOPIC_LEN_MAX)
    return TR_EUSAGE;
  if (s->nsubs >= PS_SWARM_SUBS_MAX)
    return TR_ELIMIT;
  ps_swarm_sub_t *u = tr_calloc(1, sizeof *u);
  if (!u || !(u->t = tr_malloc(tlen))) {
    tr_free(u);
    return -ENOMEM;
  }
  memcpy(u->t, t, tlen);
  u->tlen = tlen;
  s->in_core++;
  int rc = ps_join(s->core, t, tlen, now_ms(s));
  s->in_core--;
  if (rc) {
    tr_free(u->t);
    tr_free(u);
    return rc;
  }
  u->s = s;
  u->on_msg = on_msg;
  u->on_closed = on_closed;
  u->ud = ud;
  u->next = s->subs;
  s->subs = u;
  s->nsubs++;
  *out = u;
  return 0;
}

void ps_swarm_unsub(ps_swarm_sub_t *u) {
  ps_swarm_t *s = u->s;
  if (s->in_core) {
    u->dead = true;
    kick(s);
    return;
  }
  sub_free(u);
}

int ps_swarm_publish(ps_swarm_t *s, const char *t, size_t tlen,
                     const uint8_t *data, size_t len) {
  if (s->closing)
    return TR_EUSAGE;
  s->in_core++;
  int rc = ps_publish(s->core, t, tlen, data, len, now_ms(s));
  s->in_core--;
  kick(s); /* a subscriber may have left inside */
  return rc;
}

const ps_t *ps_swarm_core(const ps_swarm_t *s) { return s->core; }

size_t ps_swarm_seqno_reset(ps_swarm_t *s, const net_peerid_t *peer) {
  return s->closing ? 0 : ps_seqno_reset(s->core, peer);
}

/* ------------------------------------------------------------- timers */

static void on_kick(uv_timer_t *t) {
  ps_swarm_t *s = t->data;
  for (ps_swarm_sub_t *u = s->subs, *next; u; u = next) {
    next = u->next;
    if (u->dead)
      sub_free(u);
  }
  for (speer_t *p = s->peers, *next; p; p = next) {
    next = p->next;
    if (!p->broken)
      continue;
    net_peerid_t id = p->id;
    int proto = p->proto;
    bool again = p->worked && net_host_connected(s->h, &id);
    peer_down(s, p);
    if (again) /* a fresh stream, and our subscriptions on it */
      peer_up(s, &id, proto);
  }
}

static void on_tick(uv_timer_t *t) {
  ps_swarm_t *s = t->data;
  uint64_t now = now_ms(s);
  for (speer_t *p = s->peers, *next; p; p = next) {
    next = p->next;
    if (!p->opening && !net_host_connected(s->h, &p->id))
      peer_down(s, p);
  }
  s->in_core++;
  uint64_t next = ps_tick(s->core, now);
  s->in_core--;
  on_kick(&s->kick);
  uv_timer_start(&s->tick, on_tick, next > now ? next - now : 1, 0);
}

/* ---------------------------------------------------------- lifecycle */

static void on_handle_closed(uv_handle_t *hd) {
  ps_swarm_t *s = hd->data;
  s->handles--;
  maybe_free(s);
}

int ps_swarm_new(uv_loop_t *loop, net_host_t *h, const ps_swarm_opts_t *o,
                 ps_swarm_t **out) {
  ps_swarm_t *s = tr_calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->loop = loop;
  s->h = h;
  s->floodsub = o->floodsub;
  /* go-libp2p-pubsub's seqno counter starts at the time in ns. */
  struct timespec ts;
  uint64_t seqno0 = 0;
  if (!clock_gettime(CLOCK_REALTIME, &ts))
    seqno0 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  uint64_t seed;
  randombytes_buf(&seed, sizeof seed);
  ps_io_t io = {send_cb, on_deliver, s};
  ps_opts_t po = {o->key, o->floodsub, seqno0, seed | 1};
  int rc = ps_new(&io, &po, uv_now(loop), &s->core);
  if (rc) {
    tr_free(s);
    return rc;
  }
  uv_timer_init(loop, &s->tick);
  uv_timer_init(loop, &s->kick);
  s->tick.data = s->kick.data = s;
  s->handles = 2;
  rc = net_identify_watch(h, on_identified, s);
  for (size_t i = o->floodsub ? 2 : 0; !rc && i < TR_ARRAY_LEN(PROTOS); i++)
    rc = net_host_handle(h, PROTOS[i], on_stream, s);
  if (rc) {
    /* A watcher cannot be taken back: s stays (closing) until the host
     * goes, as bitswap's does. */
    ps_swarm_close(s);
    return rc;
  }
  uv_timer_start(&s->tick, on_tick, PS_HEARTBEAT_INIT_MS, 0);
  *out = s;
  return 0;
}

void ps_swarm_close(ps_swarm_t *s) {
  if (!s || s->closing)
    return;
  s->closing = true;
  for (size_t i = 0; i < TR_ARRAY_LEN(PROTOS); i++) {
    int rc = net_host_unhandle(s->h, PROTOS[i]);
    (void)rc;
  }
  while (s->subs) {
    ps_swarm_sub_t *u = s->subs;
    bool dead = u->dead;
    ps_swarm_closed_cb cb = u->on_closed;
    void *ud = u->ud;
    sub_free(u);
    if (!dead && cb)
      cb(ud);
  }
  while (s->inb)
    in_reset(s->inb);
  while (s->peers)
    speer_free(s->peers);
  net_bans_free(&s->bans);
  ps_free(s->core);
  s->core = NULL;
  uv_timer_stop(&s->tick);
  uv_timer_stop(&s->kick);
  uv_close((uv_handle_t *)&s->tick, on_handle_closed);
  uv_close((uv_handle_t *)&s->kick, on_handle_closed);
}

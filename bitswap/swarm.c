/*
 * swarm.c — the bitswap core on the libp2p host (swarm.h): streams in and
 * out, the peers identify reports, bans, provider searches, the store
 * for the core, and the clock.
 *
 * What the core asks for from inside its calls (a ban, a provider search,
 * "the peer's stream drained") is queued and done from the kick timer on
 * the next loop turn, since the core must not be re-entered.
 */
#include "swarm.h"

#include <errno.h>
#include <string.h>

#include "../dag/varint.h"
#include "../net/bans.h"
#include "../net/identify.h"
#include "../net/peerstore.h"
#include "fetch_int.h"
#include "httpnet.h"

static const net_stream_cbs_t DETACHED = {0};

typedef struct bpeer { /* a peer we send to */
  struct bpeer *next;
  bsw_swarm_t *s;
  net_peerid_t id;
  int version;
  net_stream_t *st;
  bool opening, ready, reset;
  bool orphan;  /* freed while its stream was opening: out_opened frees it */
  tr_bytes_t q; /* frames waiting for the stream */
} bpeer_t;

typedef struct inb { /* a stream a peer opened */
  struct inb *next;
  bsw_swarm_t *s;
  net_stream_t *st;
  tr_bytes_t in;
} inb_t;

typedef struct search { /* a provider search for a session */
  struct search *next;
  bsw_swarm_t *s;
  uint64_t sid;
  void *lookup;
  unsigned found;
} search_t;

typedef struct dial { /* a provider being dialled for a session */
  bsw_swarm_t *s;
  uint64_t sid;
  net_peerid_t id;
} dial_t;

typedef struct job { /* what the core asked for, done on the next turn */
  struct job *next;
  enum { JOB_BAN, JOB_FIND } kind;
  net_peerid_t peer;
  uint64_t sid;
  dag_cid_t cid;
} job_t;

struct bsw_swarm {
  uv_loop_t *loop;
  net_host_t *h;
  bsw_t *core;
  bsw_fetch_t *fetch;
  bsw_httpnet_t *http; /* trustless gateways as peers */
  bsw_swarm_opts_t o;
  bsw_router_t router;
  uv_timer_t tick, kick;
  int handles;
  bpeer_t *peers;
  inb_t *inb;
  net_bans_t bans;
  search_t *searches;
  job_t *jobs, **jobs_tail;
  unsigned dials;
  bool closing;
  bsw_swarm_stats_t st;
};

static const char *PROTOS[] = {BSW_PROTO_120, BSW_PROTO_110, BSW_PROTO_100,
                               BSW_PROTO_BARE};
static const int VERSIONS[] = {BSW_V120, BSW_V110, BSW_V100, BSW_V100};

static uint64_t now_ms(const bsw_swarm_t *s) { return uv_now(s->loop); }

static void kick(bsw_swarm_t *s);

/* Dials in flight hold s: their callbacks may come as the host closes,
 * after bsw_swarm_close. */
static void maybe_free(bsw_swarm_t *s) {
  if (s->closing && !s->handles && !s->dials)
    tr_free(s);
}

/* ----------------------------------------------------------------- bans */

static bool banned(bsw_swarm_t *s, const net_peerid_t *id) {
  return net_bans_has(&s->bans, id, now_ms(s));
}

/* ------------------------------------------------------------ peers out */

static bpeer_t *bpeer_find(bsw_swarm_t *s, const net_peerid_t *id) {
  for (bpeer_t *p = s->peers; p; p = p->next)
    if (net_peerid_equal(&p->id, id))
      return p;
  return NULL;
}

static void bpeer_free(bpeer_t *p) {
  bsw_swarm_t *s = p->s;
  for (bpeer_t **pp = &s->peers; *pp; pp = &(*pp)->next)
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  if (p->st) {
    net_stream_set(p->st, &DETACHED, NULL);
    net_stream_close(p->st);
  }
  tr_bytes_free(&p->q);
  if (p->opening) {
    /* net_host_open's callback still comes (at the latest with ECANCELED
     * as the host closes its connection): it must find p, and p->s, alive
     * (a SIGSEGV in out_opened at shutdown, it_mirror_follow under CI). */
    p->orphan = true;
    s->dials++;
    return;
  }
  tr_free(p);
}

/* The stream broke: what the peer was sent may be lost, so the core
 * forgets the peer and takes it again (it resends our wantlist), on the
 * next turn. */
static void bpeer_broken(bpeer_t *p) {
  if (p->st) {
    net_stream_set(p->st, &DETACHED, NULL);
    net_stream_reset(p->st);
    p->st = NULL;
  }
  p->q.len = 0;
  p->reset = true;
  kick(p->s);
}

static void out_close(net_stream_t *st, int status) {
  bpeer_t *p = net_stream_ud(st);
  (void)status;
  p->st = NULL;
  p->reset = true;
  kick(p->s);
}

static void out_drain(net_stream_t *st) {
  bpeer_t *p = net_stream_ud(st);
  p->ready = true;
  kick(p->s);
}

static void out_data(net_stream_t *st, const uint8_t *d, size_t n) {
  (void)st, (void)d, (void)n; /* nothing is expected back on it */
}

static const net_stream_cbs_t OUT = {out_data, NULL, out_close, out_drain};

static int bpeer_write(bpeer_t *p, const uint8_t *d, size_t n) {
  int rc = net_stream_write(p->st, d, n);
  if (rc) {
    bpeer_broken(p);
    return rc;
  }
  p->s->st.bytes_out += n;
  if (!net_stream_buffered(p->st)) {
    p->ready = true;
    kick(p->s);
  }
  return 0;
}

static void out_opened(net_stream_t *st, int status, void *ud) {
  bpeer_t *p = ud;
  p->opening = false;
  if (p->orphan) {
    bsw_swarm_t *s = p->s;
    if (st)
      net_stream_reset(st);
    tr_free(p);
    s->dials--;
    maybe_free(s);
    return;
  }
  if (p->s->closing || status) {
    if (st)
      net_stream_reset(st);
    if (!p->s->closing)
      bpeer_broken(p);
    return;
  }
  p->s->st.streams_out++;
  p->st = st;
  net_stream_set(st, &OUT, p);
  if (p->q.len) {
    tr_bytes_t q = p->q;
    p->q = (tr_bytes_t){0};
    (void)bpeer_write(p, q.data, q.len);
    tr_bytes_free(&q);
  }
}

static const char *proto_of(int version) {
  return version >= BSW_V120   ? BSW_PROTO_120
         : version >= BSW_V110 ? BSW_PROTO_110
                               : BSW_PROTO_100;
}

static int send_cb(void *ud, const net_peerid_t *peer, const uint8_t *msg,
                   size_t n) {
  bsw_swarm_t *s = ud;
  if (bsw__httpnet_owns(s->http, peer))
    return bsw__httpnet_send(s->http, peer, msg, n);
  bpeer_t *p = bpeer_find(s, peer);
  if (!p || p->reset)
    return TR_ENOTCONN;
  uint8_t pre[DAG_VARINT_MAX];
  size_t pl = dag_varint_put(pre, n);
  if (p->st) {
    int rc = bpeer_write(p, pre, pl);
    return rc ? rc : bpeer_write(p, msg, n);
  }
  if (p->q.len + pl + n > BSW_SWARM_QUEUE_MAX) {
    bpeer_broken(p);
    return TR_ELIMIT;
  }
  if (tr_bytes_append(&p->q, pre, pl) || tr_bytes_append(&p->q, msg, n))
    return -ENOMEM;
  if (!p->opening) {
    p->opening = true;
    int rc = net_host_open(s->h, peer, proto_of(p->version), out_opened, p);
    if (rc) {
      p->opening = false;
      bpeer_broken(p);
      return rc;
    }
  }
  return 0;
}

/* A peer that speaks bitswap, at version. */
static void peer_up(bsw_swarm_t *s, const net_peerid_t *id, int version) {
  if (banned(s, id))
    return;
  bpeer_t *p = bpeer_find(s, id);
  if (!p) {
    if (!(p = tr_calloc(1, sizeof *p)))
      return;
    p->s = s;
    p->id = *id;
    p->next = s->peers;
    s->peers = p;
  } else if (p->version >= version) {
    return;
  }
  p->version = version;
  if (bsw_peer_up(s->core, id, version, now_ms(s)))
    bpeer_free(p);
}

static void peer_down(bsw_swarm_t *s, bpeer_t *p) {
  bsw_peer_down(s->core, &p->id, now_ms(s));
  bpeer_free(p);
}

static void on_identified(net_host_t *h, const net_peerid_t *peer, void *ud) {
  bsw_swarm_t *s = ud;
  if (s->closing)
    return;
  net_peerinfo_t *pi = net_ps_get(net_host_peerstore(h), peer);
  for (size_t i = 0; pi && i < TR_ARRAY_LEN(PROTOS); i++)
    if (net_ps_speaks(pi, PROTOS[i])) {
      peer_up(s, peer, VERSIONS[i]);
      return;
    }
  bpeer_t *p = bpeer_find(s, peer);
  if (p)
    peer_down(s, p);
}

/* ------------------------------------------------------------- streams in */

static void inb_free(inb_t *ib) {
  bsw_swarm_t *s = ib->s;
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

/* Hand the whole messages in p[0..n) to the core; *used gets the bytes
 * they took.  -1 when the stream must be reset. */
static int in_messages(bsw_swarm_t *s, const net_peerid_t *peer,
                       const uint8_t *p, size_t n, size_t *used) {
  size_t off = 0;
  while (off < n) {
    const uint8_t *body;
    size_t blen;
    int64_t took =
        dag_varint_frame(p + off, n - off, BSW_MSG_MAX, &body, &blen);
    if (took == 0 && n - off <= BSW_MSG_MAX + DAG_VARINT_MAX)
      break;
    if (took <= 0) {
      /* A length over BSW_MSG_MAX (or a bad varint): a message that
       * breaks the limit, charged as the core charges one (its decoder
       * refuses n > BSW_MSG_MAX before reading a byte), not just a
       * stream reset the peer can open again. */
      static const uint8_t none;
      int rc = bsw_on_message(s->core, peer, &none, BSW_MSG_MAX + 1,
                              now_ms(s));
      (void)rc; /* TR_ETOOBIG, as meant */
      return -1;
    }
    if (bsw_on_message(s->core, peer, body, blen, now_ms(s)) < 0)
      return -1;
    off += (size_t)took;
  }
  *used = off;
  return 0;
}

/* Whole messages go to the core from the stream's own bytes; only a
 * message's unfinished start is copied to ib->in (a fetch of 256 MiB
 * copied every byte once more when all of it was). */
static void in_data(net_stream_t *st, const uint8_t *d, size_t n) {
  inb_t *ib = net_stream_ud(st);
  bsw_swarm_t *s = ib->s;
  s->st.bytes_in += n;
  net_peerid_t peer = *net_stream_peer(st);
  /* What one peer's streams hold of messages not yet whole, together: a
   * peer that opens many streams and half-fills each must not make us
   * hold a message's worth per stream. */
  size_t held = 0;
  for (inb_t *o = s->inb; o; o = o->next)
    if (net_peerid_equal(net_stream_peer(o->st), net_stream_peer(st)))
      held += o->in.len;
  bool buffered = ib->in.len > 0;
  if (s->closing ||
      (buffered && (ib->in.len + n > BSW_MSG_MAX + DAG_VARINT_MAX ||
                    held + n > BSW_SWARM_PEER_IN_MAX ||
                    tr_bytes_append(&ib->in, d, n)))) {
    in_reset(ib);
    return;
  }
  const uint8_t *p = buffered ? ib->in.data : d;
  size_t len = buffered ? ib->in.len : n, used;
  if (in_messages(s, &peer, p, len, &used) < 0) {
    in_reset(ib);
    return;
  }
  size_t rest = len - used;
  if (buffered) {
    memmove(ib->in.data, ib->in.data + used, rest);
    ib->in.len = rest;
  } else if (rest && (held + rest > BSW_SWARM_PEER_IN_MAX ||
                      tr_bytes_append(&ib->in, d + used, rest))) {
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
  bsw_swarm_t *s = ud;
  const net_peerid_t *peer = net_stream_peer(st);
  inb_t *ib;
  if (s->closing || banned(s, peer) || !(ib = tr_calloc(1, sizeof *ib))) {
    net_stream_reset(st);
    return;
  }
  s->st.streams_in++;
  const char *proto = net_stream_protocol(st);
  int version = BSW_V100;
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

/* -------------------------------------------------------------- the store */

static int store_stat(void *ud, const dag_cid_t *cid, size_t *size) {
  bsw_swarm_t *s = ud;
  bs_txn_t *txn;
  int rc = bs_txn_begin(s->o.env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  const uint8_t *d;
  rc = bs_get(txn, cid, &d, size);
  bs_txn_abort(txn);
  return rc;
}

static int store_get(void *ud, const dag_cid_t *cid, tr_bytes_t *out) {
  bsw_swarm_t *s = ud;
  bs_txn_t *txn;
  int rc = bs_txn_begin(s->o.env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  const uint8_t *d;
  size_t n;
  if (!(rc = bs_get(txn, cid, &d, &n)))
    rc = tr_bytes_append(out, d, n);
  bs_txn_abort(txn);
  return rc;
}

struct links_ctx {
  int (*fn)(void *fud, const dag_cid_t *child);
  void *fud;
};

static int link_cb(const dag_cid_t *child, void *ud) {
  struct links_ctx *c = ud;
  return c->fn(c->fud, child);
}

static int store_links(void *ud, const dag_cid_t *cid,
                       int (*fn)(void *fud, const dag_cid_t *child),
                       void *fud) {
  bsw_swarm_t *s = ud;
  bs_txn_t *txn;
  int rc = bs_txn_begin(s->o.env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  struct links_ctx c = {fn, fud};
  rc = bs_links(txn, cid, link_cb, &c);
  bs_txn_abort(txn);
  return rc;
}

/* ------------------------------------------------- what the core reports */

static void on_block(void *ud, const dag_cid_t *cid, const uint8_t *data,
                     size_t len) {
  bsw_swarm_t *s = ud;
  bsw__fetch_on_block(s->fetch, cid, data, len);
}

static void on_session_done(void *ud, uint64_t sid) {
  bsw_swarm_t *s = ud;
  bsw__fetch_session_done(s->fetch, sid);
}

static void job_push(bsw_swarm_t *s, job_t *j) {
  j->next = NULL;
  *s->jobs_tail = j;
  s->jobs_tail = &j->next;
  kick(s);
}

static void ban_cb(void *ud, const net_peerid_t *peer, const char *why) {
  bsw_swarm_t *s = ud;
  char id[NET_PEERID_STR_MAX];
  if (net_peerid_format(peer, 0, id, sizeof id) < 0)
    strcpy(id, "?");
  tr_log(TR_LOG_WARN, "bitswap: cutting off %s%s: %s", id,
         bsw__httpnet_owns(s->http, peer) ? " (an HTTP gateway)" : "", why);
  job_t *j = tr_calloc(1, sizeof *j);
  if (!j)
    return;
  j->kind = JOB_BAN;
  j->peer = *peer;
  job_push(s, j);
}

static void find_cb(void *ud, uint64_t sid, const dag_cid_t *cid) {
  bsw_swarm_t *s = ud;
  if (!s->router.find_providers)
    return;
  job_t *j = tr_calloc(1, sizeof *j);
  if (!j)
    return;
  j->kind = JOB_FIND;
  j->sid = sid;
  j->cid = *cid;
  job_push(s, j);
}

/* ------------------------------------------------------------- providers */

static void dial_identified(int status, void *ud) {
  dial_t *d = ud;
  bsw_swarm_t *s = d->s;
  s->dials--;
  if (!status && !s->closing && bpeer_find(s, &d->id))
    bsw_session_add_peer(s->core, d->sid, &d->id, now_ms(s));
  tr_free(d);
  maybe_free(s);
}

static void dial_done(net_host_t *h, int status, const net_peerid_t *peer,
                      void *ud) {
  dial_t *d = ud;
  bsw_swarm_t *s = d->s;
  if (status || s->closing ||
      net_identify_wait(h, peer, 10000, dial_identified, d)) {
    s->dials--;
    tr_free(d);
    maybe_free(s);
  }
}

/* "http://host:port" of a provider's address /ip4 (ip6, dns...)/H/tcp/P/http
 * address; false for others (https needs TLS, which we lack). */
static bool http_url(const char *ma, char *out, size_t cap) {
  char proto[8], host[256];
  unsigned port;
  int end = 0;
  if (sscanf(ma, "/%7[^/]/%255[^/]/tcp/%u/http%n", proto, host, &port,
             &end) != 3 || ma[end] != '\0' || port > 65535)
    return false;
  bool v6 = !strcmp(proto, "ip6");
  if (!v6 && strcmp(proto, "ip4") && strncmp(proto, "dns", 3))
    return false;
  return (size_t)snprintf(out, cap, v6 ? "http://[%s]:%u" : "http://%s:%u",
                          host, port) < cap;
}

static void prov_peer(void *arg, const char *peer, const char *const *addrs,
                      size_t naddrs) {
  search_t *q = arg;
  bsw_swarm_t *s = q->s;
  net_peerid_t id;
  if (q->found >= BSW_SWARM_PROV_MAX ||
      net_peerid_parse(&id, peer, strlen(peer)) ||
      net_peerid_equal(&id, net_host_id(s->h)) || banned(s, &id))
    return;
  q->found++;
  for (size_t i = 0; s->http && i < naddrs; i++) {
    char url[300];
    net_peerid_t hid;
    if (!http_url(addrs[i], url, sizeof url))
      continue;
    int rc = bsw__httpnet_add(s->http, url, &hid);
    if (!rc || rc == TR_EEXIST)
      bsw_session_add_peer(s->core, q->sid, &hid, now_ms(s));
    return; /* a gateway of its own: no libp2p dial needed */
  }
  if (bpeer_find(s, &id)) { /* connected already */
    bsw_session_add_peer(s->core, q->sid, &id, now_ms(s));
    return;
  }
  /* Its addresses raced until one connects (a provider often lists
   * private and IPv6 ones first that we cannot reach: each costs a
   * stagger, not a connect timeout), then where the host's router says. */
  dial_t *d = tr_calloc(1, sizeof *d);
  if (!d)
    return;
  *d = (dial_t){s, q->sid, id};
  s->dials++; /* before: dial_done may run inside the call */
  if (net_host_dial(s->h, &id, addrs,
                    naddrs < NET_DIAL_ADDRS ? naddrs : NET_DIAL_ADDRS,
                    dial_done, d, NULL)) {
    s->dials--;
    tr_free(d);
  }
}

static void search_free(search_t *q) {
  bsw_swarm_t *s = q->s;
  for (search_t **pp = &s->searches; *pp; pp = &(*pp)->next)
    if (*pp == q) {
      *pp = q->next;
      break;
    }
  tr_free(q);
}

static void prov_done(void *arg, int status) {
  (void)status;
  search_free(arg);
}

static void run_find(bsw_swarm_t *s, const job_t *j) {
  search_t *q = tr_calloc(1, sizeof *q);
  if (!q)
    return;
  q->s = s;
  q->sid = j->sid;
  size_t mhl;
  const uint8_t *mh = dag_cid_mh(&j->cid, &mhl);
  q->next = s->searches;
  s->searches = q;
  s->st.prov_searches++;
  if (s->router.find_providers(s->router.ud, mh, mhl, BSW_SWARM_PROV_MAX,
                               prov_peer, prov_done, q, &q->lookup))
    search_free(q);
}

/* ------------------------------------------------------------- the timers */

static void on_kick(uv_timer_t *t) {
  bsw_swarm_t *s = t->data;
  uint64_t now = now_ms(s);
  while (s->jobs && !s->closing) {
    job_t *j = s->jobs;
    s->jobs = j->next;
    if (!s->jobs)
      s->jobs_tail = &s->jobs;
    if (j->kind == JOB_BAN) {
      if (net_bans_add(&s->bans, &j->peer, now + BSW_SWARM_BAN_MS) == 0)
        s->st.bans++;
      bpeer_t *p = bpeer_find(s, &j->peer);
      if (p)
        bpeer_free(p); /* the core has forgotten it already */
      bsw__httpnet_remove(s->http, &j->peer);
      for (inb_t *ib = s->inb; ib;) {
        inb_t *next = ib->next;
        if (net_peerid_equal(net_stream_peer(ib->st), &j->peer))
          in_reset(ib);
        ib = next;
      }
      int rc = net_host_disconnect(s->h, &j->peer);
      (void)rc; /* gone already */
    } else {
      run_find(s, j);
    }
    tr_free(j);
  }
  for (bpeer_t *p = s->peers; p && !s->closing;) {
    bpeer_t *next = p->next;
    if (p->reset) { /* forget and take again: our wantlist is resent */
      p->reset = false;
      int version = p->version;
      net_peerid_t id = p->id;
      bsw_peer_down(s->core, &id, now);
      if (net_host_connected(s->h, &id)) {
        if (bsw_peer_up(s->core, &id, version, now))
          bpeer_free(p);
      } else {
        bpeer_free(p);
      }
    } else if (p->ready) {
      p->ready = false;
      bsw_peer_ready(s->core, &p->id, now);
    }
    p = next;
  }
}

static void kick(bsw_swarm_t *s) {
  if (!s->closing)
    uv_timer_start(&s->kick, on_kick, 0, 0);
}

static void on_tick(uv_timer_t *t) {
  bsw_swarm_t *s = t->data;
  uint64_t now = now_ms(s);
  /* A peer whose last connection closed leaves the core. */
  for (bpeer_t *p = s->peers; p;) {
    bpeer_t *next = p->next;
    if (!p->opening && !net_host_connected(s->h, &p->id))
      peer_down(s, p);
    p = next;
  }
  bsw_tick(s->core, now);
  bsw__fetch_tick(s->fetch, now);
}

/* ------------------------------------------------------------- lifecycle */

static void on_handle_closed(uv_handle_t *hd) {
  bsw_swarm_t *s = hd->data;
  s->handles--;
  maybe_free(s);
}

int bsw_swarm_new(uv_loop_t *loop, net_host_t *h, const bsw_swarm_opts_t *o,
                  bsw_swarm_t **out) {
  bsw_swarm_t *s = tr_calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->loop = loop;
  s->h = h;
  s->o = *o;
  if (o->router)
    s->router = *o->router;
  s->jobs_tail = &s->jobs;
  int rc = bsw__fetch_new(loop, o->env, &s->fetch);
  if (rc) {
    tr_free(s);
    return rc;
  }
  bsw_io_t io = {.send = send_cb, .stat = store_stat, .get = store_get,
                 .links = store_links, .on_block = on_block,
                 .find_providers = find_cb,
                 .on_session_done = on_session_done, .ban = ban_cb,
                 .ud = s};
  if ((rc = bsw_new(&io, o->limits, now_ms(s), &s->core))) {
    bsw__fetch_close(s->fetch);
    tr_free(s);
    return rc;
  }
  bsw__fetch_set_core(s->fetch, s->core);
  if (o->http && (rc = bsw__httpnet_new(loop, s->core, &s->http))) {
    bsw__fetch_close(s->fetch);
    bsw_free(s->core);
    tr_free(s);
    return rc;
  }
  if (s->http)
    bsw__httpnet_set_host(s->http, h);
  for (size_t i = 0; s->http && i < o->ngateways; i++) {
    net_peerid_t id;
    int grc = bsw__httpnet_add(s->http, o->gateways[i], &id);
    if (grc && grc != TR_EEXIST)
      tr_log(TR_LOG_WARN, "bitswap: gateway %s not used: %s", o->gateways[i],
             tr_strerror(grc));
  }
  uv_timer_init(loop, &s->tick);
  uv_timer_init(loop, &s->kick);
  s->tick.data = s->kick.data = s;
  s->handles = 2;
  rc = net_identify_watch(h, on_identified, s);
  for (size_t i = 0; !rc && o->server && i < TR_ARRAY_LEN(PROTOS); i++)
    rc = net_host_handle(h, PROTOS[i], on_stream, s);
  if (rc) {
    /* A watcher cannot be taken back: s stays (closing) until the host
     * goes, as the DHT's does. */
    bsw_swarm_close(s);
    return rc;
  }
  uv_timer_start(&s->tick, on_tick, BSW_SWARM_TICK_MS, BSW_SWARM_TICK_MS);
  *out = s;
  return 0;
}

void bsw_swarm_close(bsw_swarm_t *s) {
  if (!s || s->closing)
    return;
  s->closing = true;
  for (size_t i = 0; i < TR_ARRAY_LEN(PROTOS); i++) {
    int rc = net_host_unhandle(s->h, PROTOS[i]);
    (void)rc;
  }
  while (s->searches) {
    search_t *q = s->searches;
    if (q->lookup && s->router.cancel)
      s->router.cancel(s->router.ud, q->lookup);
    search_free(q);
  }
  while (s->jobs) {
    job_t *j = s->jobs;
    s->jobs = j->next;
    tr_free(j);
  }
  while (s->inb)
    in_reset(s->inb);
  bsw__fetch_close(s->fetch); /* frees its sessions while the core lives */
  bsw__httpnet_free(s->http);
  s->http = NULL;
  while (s->peers)
    bpeer_free(s->peers);
  bsw_free(s->core);
  s->core = NULL;
  net_bans_free(&s->bans);
  uv_timer_stop(&s->tick);
  uv_timer_stop(&s->kick);
  uv_close((uv_handle_t *)&s->tick, on_handle_closed);
  uv_close((uv_handle_t *)&s->kick, on_handle_closed);
}

/* ----------------------------------------------------------- the outside */

const bs_fetcher_t *bsw_swarm_fetcher(bsw_swarm_t *s) {
  return bsw__fetch_iface(s->fetch);
}

void bsw_swarm_store_grew(bsw_swarm_t *s) {
  if (!s->closing)
    bsw_store_grew(s->core, now_ms(s));
}

void bsw_swarm_block_added(bsw_swarm_t *s, const dag_cid_t *cid, size_t len) {
  if (!s->closing)
    bsw_block_added(s->core, cid, NULL, len, now_ms(s));
}

const bsw_t *bsw_swarm_core(const bsw_swarm_t *s) { return s->core; }

void bsw_swarm_stats(bsw_swarm_t *s, bsw_swarm_stats_t *out) {
  *out = s->st;
  bsw_fetch_stats_t f;
  bsw__fetch_stats(s->fetch, &f);
  out->blocks_written = f.blocks_written;
  out->commits = f.commits;
  out->fetches = f.fetches;
  out->fetch_sessions = f.sessions;
}

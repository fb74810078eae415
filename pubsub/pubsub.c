/*
 * pubsub.c — the pubsub core (pubsub.h): peers and their subscriptions,
 * the topics we joined, RPCs in (subscriptions, messages, control) and
 * publishing.  The heartbeat, the seen-cache and the message cache are in
 * gossip.c.
 *
 * Fanout: go-libp2p-pubsub keeps fanout peers for topics it publishes to
 * without joining them, but only on the path that floodPublish (Kubo's
 * setting, and ours) bypasses for the node's own messages, and messages
 * of others are forwarded only in topics joined; so there is none here.
 */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "ps_core.h"

/* ----------------------------------------------------------- helpers */

uint64_t ps__rand(ps_t *ps) { /* xorshift64* */
  uint64_t x = ps->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  ps->rng = x;
  return x * 0x2545F4914F6CDD1DULL;
}

uint64_t ps__hash(const ps_t *ps, const uint8_t *id, size_t n) {
  uint8_t h[crypto_shorthash_BYTES];
  crypto_shorthash(h, id, n, ps->hkey);
  uint64_t v = 0;
  memcpy(&v, h, sizeof v);
  return v;
}

ps_peer_t *ps__peer(const ps_t *ps, const net_peerid_t *id) {
  for (size_t i = 0; i < ps->npeers; i++)
    if (net_peerid_equal(&ps->peers[i]->id, id))
      return ps->peers[i];
  return NULL;
}

ps_topic_t *ps__topic(const ps_t *ps, const char *t, size_t tlen) {
  for (size_t i = 0; i < ps->ntopics; i++)
    if (ps->topics[i]->len == tlen && !memcmp(ps->topics[i]->t, t, tlen))
      return ps->topics[i];
  return NULL;
}

static ps_sub_t *peer_sub(const ps_peer_t *p, const char *t, size_t tlen) {
  for (size_t i = 0; i < p->nsubs; i++)
    if (p->subs[i].len == tlen && !memcmp(p->subs[i].t, t, tlen))
      return &p->subs[i];
  return NULL;
}

bool ps__peer_in(const ps_peer_t *p, const char *t, size_t tlen) {
  return peer_sub(p, t, tlen) != NULL;
}

bool ps__in_mesh(const ps_topic_t *tp, const ps_peer_t *p) {
  for (size_t i = 0; i < tp->nmesh; i++)
    if (tp->mesh[i] == p)
      return true;
  return false;
}

void ps__mesh_del(ps_topic_t *tp, const ps_peer_t *p) {
  for (size_t i = 0; i < tp->nmesh; i++)
    if (tp->mesh[i] == p) {
      tp->mesh[i] = tp->mesh[--tp->nmesh];
      return;
    }
}

static uint64_t topic_hash(const ps_t *ps, const char *t, size_t tlen) {
  return ps__hash(ps, (const uint8_t *)t, tlen);
}

bool ps__backed_off(const ps_t *ps, const ps_topic_t *tp,
                    const net_peerid_t *id, uint64_t now) {
  uint64_t th = topic_hash(ps, tp->t, tp->len);
  for (size_t i = 0; i < ps->nbo; i++)
    if (ps->bo[i].topic == th && net_peerid_equal(&ps->bo[i].id, id))
      return ps->bo[i].until > now;
  return false;
}

void ps__backoff_add(ps_t *ps, const char *t, size_t tlen,
                     const net_peerid_t *id, uint64_t until) {
  uint64_t th = topic_hash(ps, t, tlen);
  for (size_t i = 0; i < ps->nbo; i++)
    if (ps->bo[i].topic == th && net_peerid_equal(&ps->bo[i].id, id)) {
      if (ps->bo[i].until < until)
        ps->bo[i].until = until;
      return;
    }
  if (ps->nbo == ps->capbo) {
    if (ps->capbo >= PS_BACKOFF_MAX)
      return; /* full: this peer may be grafted early, no more */
    size_t cap = ps->capbo ? ps->capbo * 2 : 16;
    ps_backoff_t *n = tr_realloc(ps->bo, cap * sizeof *n);
    if (!n)
      return;
    ps->bo = n;
    ps->capbo = cap;
  }
  ps->bo[ps->nbo++] = (ps_backoff_t){*id, th, until};
}

void ps__backoff_expire(ps_t *ps, uint64_t now) {
  for (size_t i = 0; i < ps->nbo;)
    if (ps->bo[i].until <= now)
      ps->bo[i] = ps->bo[--ps->nbo];
    else
      i++;
}

int ps__send(ps_t *ps, ps_peer_t *p, const tr_bytes_t *rpc) {
  ps->st.rpcs_out++;
  return ps->io.send(ps->io.ud, &p->id, rpc->data, rpc->len);
}

size_t ps__candidates(ps_t *ps, ps_topic_t *tp, bool for_mesh, uint64_t now,
                      ps_peer_t **out) {
  size_t n = 0;
  for (size_t i = 0; i < ps->npeers; i++) {
    ps_peer_t *p = ps->peers[i];
    if (p->proto < PS_MESH10 || !ps__peer_in(p, tp->t, tp->len) ||
        ps__in_mesh(tp, p) || (for_mesh && ps__backed_off(ps, tp, &p->id, now)))
      continue;
    out[n++] = p;
  }
  for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
    size_t j = (size_t)(ps__rand(ps) % i);
    ps_peer_t *x = out[i - 1];
    out[i - 1] = out[j];
    out[j] = x;
  }
  return n;
}

/* ----------------------------------------------------------- control */

void ps__ctl_graft(ps_t *ps, ps_peer_t *p, const char *t, size_t tlen) {
  tr_bytes_t b = {0};
  if (!ps__put_bytes(&b, 1, t, tlen) &&
      !ps__put_bytes(&p->ctl, 3, b.data, b.len))
    ps->st.grafts_sent++;
  tr_bytes_free(&b);
}

void ps__ctl_prune(ps_t *ps, ps_peer_t *p, const char *t, size_t tlen,
                   uint64_t backoff_s) {
  tr_bytes_t b = {0};
  int rc = ps__put_bytes(&b, 1, t, tlen);
  if (!rc && p->proto >= PS_MESH11)
    rc = ps__put_varint(&b, 3, backoff_s);
  if (!rc && !ps__put_bytes(&p->ctl, 4, b.data, b.len))
    ps->st.prunes_sent++;
  tr_bytes_free(&b);
}

void ps__ctl_flush(ps_t *ps, ps_peer_t *p) {
  if (!p->ctl.len)
    return;
  tr_bytes_t rpc = {0};
  if (!ps__put_bytes(&rpc, 3, p->ctl.data, p->ctl.len))
    (void)ps__send(ps, p, &rpc);
  tr_bytes_free(&rpc);
  p->ctl.len = 0;
}

/* -------------------------------------------------------------- peers */

static void announce(ps_t *ps, ps_peer_t *only, bool sub, const char *t,
                     size_t tlen) {
  tr_bytes_t rpc = {0};
  if (!ps__put_subopt(&rpc, sub, t, tlen))
    for (size_t i = 0; i < ps->npeers; i++)
      if (!only || ps->peers[i] == only)
        (void)ps__send(ps, ps->peers[i], &rpc);
  tr_bytes_free(&rpc);
}

int ps_peer_up(ps_t *ps, const net_peerid_t *id, int proto, uint64_t now) {
  (void)now;
  if (proto < PS_FLOOD || proto > PS_MESH11)
    return TR_EUSAGE;
  ps_peer_t *p = ps__peer(ps, id);
  if (p) {
    p->proto = proto;
    return 0;
  }
  if (ps->npeers >= PS_PEERS_MAX)
    return TR_ELIMIT;
  if (ps->npeers == ps->cappeers) {
    size_t cap = ps->cappeers ? ps->cappeers * 2 : 16;
    ps_peer_t **n = tr_realloc(ps->peers, cap * sizeof *n);
    if (!n)
      return -ENOMEM;
    ps->peers = n;
    ps->cappeers = cap;
  }
  if (!(p = tr_calloc(1, sizeof *p)))
    return -ENOMEM;
  p->id = *id;
  p->proto = proto;
  ps->peers[ps->npeers++] = p;
  /* The hello: our subscriptions, in one RPC. */
  tr_bytes_t rpc = {0};
  int rc = 0;
  for (size_t i = 0; !rc && i < ps->ntopics; i++)
    rc = ps__put_subopt(&rpc, true, ps->topics[i]->t, ps->topics[i]->len);
  if (!rc && rpc.len)
    (void)ps__send(ps, p, &rpc);
  tr_bytes_free(&rpc);
  return 0;
}

static void peer_free(ps_peer_t *p) {
  for (size_t i = 0; i < p->nsubs; i++)
    tr_free(p->subs[i].t);
  tr_free(p->subs);
  tr_bytes_free(&p->ctl);
  tr_free(p);
}

void ps_peer_down(ps_t *ps, const net_peerid_t *id, uint64_t now) {
  (void)now;
  for (size_t i = 0; i < ps->npeers; i++) {
    ps_peer_t *p = ps->peers[i];
    if (!net_peerid_equal(&p->id, id))
      continue;
    for (size_t k = 0; k < ps->ntopics; k++)
      ps__mesh_del(ps->topics[k], p);
    ps->peers[i] = ps->peers[--ps->npeers];
    peer_free(p);
    return;
  }
}

bool ps_peer_known(const ps_t *ps, const net_peerid_t *peer) {
  return ps__peer(ps, peer) != NULL;
}

/* ---------------------------------------------------------------- input */

static void on_subopt(ps_t *ps, ps_peer_t *p, const uint8_t *b, size_t n) {
  ps__rd_t r = {b, b + n};
  ps__field_t f;
  bool sub = false;
  const char *t = NULL;
  size_t tlen = 0;
  while (ps__next(&r, &f) > 0) {
    if (f.num == 1)
      sub = f.v != 0;
    else if (f.num == 2)
      t = (const char *)f.b, tlen = f.n;
  }
  if (!t || !tlen || tlen > PS_TOPIC_LEN_MAX)
    return;
  ps_sub_t *s = peer_sub(p, t, tlen);
  if (sub && !s) {
    if (p->nsubs >= PS_PEER_TOPICS_MAX)
      return;
    if (p->nsubs == p->capsubs) {
      size_t cap = p->capsubs ? p->capsubs * 2 : 4;
      ps_sub_t *ns = tr_realloc(p->subs, cap * sizeof *ns);
      if (!ns)
        return;
      p->subs = ns;
      p->capsubs = cap;
    }
    char *c = tr_malloc(tlen);
    if (!c)
      return;
    memcpy(c, t, tlen);
    p->subs[p->nsubs++] = (ps_sub_t){c, tlen};
  } else if (!sub && s) {
    ps_topic_t *tp = ps__topic(ps, t, tlen);
    if (tp)
      ps__mesh_del(tp, p);
    tr_free(s->t);
    *s = p->subs[--p->nsubs];
  }
}

/* Send a message's RPC to the peers that should get it: every peer in
 * the topic for our own (floodPublish), else the mesh and the floodsub
 * peers; never back to src or to its author. */
static void forward(ps_t *ps, const ps_peer_t *src, const net_peerid_t *author,
                    ps_topic_t *tp, const char *t, size_t tlen,
                    const uint8_t *msg, size_t n, bool own) {
  tr_bytes_t rpc = {0};
  if (ps__put_bytes(&rpc, 2, msg, n)) {
    tr_bytes_free(&rpc);
    return;
  }
  for (size_t i = 0; i < ps->npeers; i++) {
    ps_peer_t *p = ps->peers[i];
    if (p == src || net_peerid_equal(&p->id, author) ||
        !ps__peer_in(p, t, tlen))
      continue;
    if (own || ps->floodsub || p->proto == PS_FLOOD ||
        (tp && ps__in_mesh(tp, p))) {
      if (!own)
        ps->st.forwarded++;
      (void)ps__send(ps, p, &rpc);
    }
  }
  tr_bytes_free(&rpc);
}

static void deliver(ps_t *ps, const net_peerid_t *from, const uint8_t *data,
                    size_t len, const uint8_t *seq, size_t seqlen,
                    const char *t, size_t tlen) {
  ps_msg_t m = {*from, data, len, seq, seqlen, t, tlen};
  ps->st.delivered++;
  ps->io.deliver(ps->io.ud, &m);
}

/* BasicSeqnoValidator: true when seq (big-endian, its first 8 bytes) is
 * above the last accepted from author, which it then becomes. */
static bool seqno_fresh(ps_t *ps, const net_peerid_t *author,
                        const uint8_t *sq, size_t sqlen) {
  if (sqlen < 8)
    return false;
  uint64_t seq = 0;
  for (int i = 0; i < 8; i++)
    seq = seq << 8 | sq[i];
  ps_author_t *a = NULL;
  for (size_t i = 0; i < ps->nauthors && !a; i++)
    if (net_peerid_equal(&ps->authors[i].id, author))
      a = &ps->authors[i];
  if (a && seq <= a->seqno)
    return false;
  if (!a && ps->nauthors < PS_AUTHORS_MAX) {
    a = &ps->authors[ps->nauthors++];
  } else if (!a) { /* full: the least recently heard author goes */
    a = &ps->authors[0];
    for (size_t i = 1; i < ps->nauthors; i++)
      if (ps->authors[i].used < a->used)
        a = &ps->authors[i];
  }
  *a = (ps_author_t){*author, seq, ++ps->accepts};
  return true;
}

size_t ps_seqno_reset(ps_t *ps, const net_peerid_t *peer) {
  size_t n = 0;
  for (size_t i = 0; i < ps->nauthors;)
    if (!peer || net_peerid_equal(&ps->authors[i].id, peer)) {
      ps->authors[i] = ps->authors[--ps->nauthors];
      n++;
    } else {
      i++;
    }
  return n;
}

static void on_message(ps_t *ps, ps_peer_t *src, const uint8_t *b, size_t n,
                       uint64_t now) {
  ps__message_t m;
  if (ps__message_decode(b, n, &m) || !m.topic.set || !m.from.set ||
      !m.seqno.set || !m.seqno.n || !m.sig.set ||
      m.from.n + m.seqno.n > PS_ID_MAX) {
    ps->st.rejected++;
    return;
  }
  const char *t = (const char *)m.topic.p;
  ps_topic_t *tp = ps__topic(ps, t, m.topic.n);
  if (!tp) { /* go: "received message in topic we're not subscribed to" */
    ps->st.rejected++;
    return;
  }
  uint8_t id[PS_ID_MAX];
  memcpy(id, m.from.p, m.from.n);
  memcpy(id + m.from.n, m.seqno.p, m.seqno.n);
  size_t idlen = m.from.n + m.seqno.n;
  uint64_t h = ps__hash(ps, id, idlen);
  if (ps__seen_has(ps, h, now)) {
    ps->st.duplicates++;
    return;
  }
  net_peerid_t from;
  /* Only a message that verifies is marked seen: a forgery must not
   * shadow the real message of the same ID. */
  if (ps__message_verify(&m, &from) || net_peerid_equal(&from, &ps->self)) {
    ps->st.rejected++;
    return;
  }
  if (!seqno_fresh(ps, &from, m.seqno.p, m.seqno.n)) {
    ps->st.stale++; /* go's ValidationIgnore: not seen, not forwarded */
    return;
  }
  ps__seen_add(ps, h, now);
  ps__mc_put(ps, h, id, idlen, t, m.topic.n, b, n);
  deliver(ps, &from, m.data.p, m.data.n, m.seqno.p, m.seqno.n, t, m.topic.n);
  forward(ps, src, &from, tp, t, m.topic.n, b, n, false);
}

/* A ControlMessage's field list of IDs (ihave's 2, iwant's 1) and topic. */
typedef struct ids {
  const char *t;
  size_t tlen;
  const uint8_t *body; /* the sub-message, to walk again for its IDs */
  size_t n;
  uint32_t idnum;
} ids_t;

static void ids_of(const uint8_t *b, size_t n, uint32_t idnum, ids_t *x) {
  *x = (ids_t){NULL, 0, b, n, idnum};
  ps__rd_t r = {b, b + n};
  ps__field_t f;
  while (ps__next(&r, &f) > 0)
    if (f.num == 1 && idnum != 1)
      x->t = (const char *)f.b, x->tlen = f.n;
}

static void on_ihave(ps_t *ps, ps_peer_t *p, const uint8_t *b, size_t n,
                     uint64_t now, tr_bytes_t *want) {
  ids_t x;
  ids_of(b, n, 2, &x);
  if (!x.t || !ps__topic(ps, x.t, x.tlen) || ++p->ihaves > PS_IHAVE_MSGS_MAX)
    return;
  ps__rd_t r = {b, b + n};
  ps__field_t f;
  while (ps__next(&r, &f) > 0 && p->asked < PS_IHAVE_MAX) {
    if (f.num != 2 || !f.n || f.n > PS_ID_MAX ||
        ps__seen_has(ps, ps__hash(ps, f.b, f.n), now))
      continue;
    if (!ps__put_bytes(want, 1, f.b, f.n))
      p->asked++;
  }
}

static void on_iwant(ps_t *ps, ps_peer_t *p, const uint8_t *b, size_t n,
                     tr_bytes_t *out, unsigned *served) {
  ps__rd_t r = {b, b + n};
  ps__field_t f;
  while (ps__next(&r, &f) > 0 && *served < PS_IWANT_MAX) {
    if (f.num != 1 || f.n > PS_ID_MAX)
      continue;
    const ps_mc_e_t *e = ps__mc_get(ps, ps__hash(ps, f.b, f.n), f.b, f.n);
    if (!e || out->len + e->n + 16 > PS_FRAME_MAX - 4096 ||
        p->served + e->n > PS_IWANT_BYTES_MAX)
      continue;
    (*served)++;
    p->served += e->n;
    if (!ps__put_bytes(out, 2, e->msg, e->n))
      ps->st.iwant_served++;
  }
}

static void on_graft(ps_t *ps, ps_peer_t *p, const uint8_t *b, size_t n,
                     uint64_t now) {
  ids_t x;
  ids_of(b, n, 0, &x);
  if (!x.t)
    return;
  ps_topic_t *tp = ps__topic(ps, x.t, x.tlen);
  if (tp && ps__in_mesh(tp, p))
    return;
  if (tp && ps__backed_off(ps, tp, &p->id, now)) {
    /* go refreshes the backoff of a peer that grafts inside it */
    ps__backoff_add(ps, x.t, x.tlen, &p->id, now + PS_PRUNE_BACKOFF_MS);
    ps__ctl_prune(ps, p, x.t, x.tlen, PS_PRUNE_BACKOFF_MS / 1000);
    return;
  }
  if (!tp || tp->nmesh >= PS_DHI || tp->nmesh >= PS_MESH_MAX) {
    ps__ctl_prune(ps, p, x.t, x.tlen, PS_PRUNE_BACKOFF_MS / 1000);
    return;
  }
  tp->mesh[tp->nmesh++] = p;
}

static void on_prune(ps_t *ps, ps_peer_t *p, const uint8_t *b, size_t n,
                     uint64_t now) {
  ps__rd_t r = {b, b + n};
  ps__field_t f;
  const char *t = NULL;
  size_t tlen = 0;
  uint64_t backoff = PS_PRUNE_BACKOFF_MS;
  while (ps__next(&r, &f) > 0) {
    if (f.num == 1)
      t = (const char *)f.b, tlen = f.n;
    else if (f.num == 3)
      backoff = (f.v > 3600 ? 3600 : f.v) * 1000;
  }
  if (!t)
    return;
  ps_topic_t *tp = ps__topic(ps, t, tlen);
  if (tp)
    ps__mesh_del(tp, p);
  ps__backoff_add(ps, t, tlen, &p->id, now + backoff);
}

static void on_control(ps_t *ps, ps_peer_t *p, const uint8_t *b, size_t n,
                       uint64_t now, tr_bytes_t *out) {
  tr_bytes_t want = {0};
  unsigned served = 0;
  ps__rd_t r = {b, b + n};
  ps__field_t f;
  while (ps__next(&r, &f) > 0) {
    switch (f.num) {
    case 1: on_ihave(ps, p, f.b, f.n, now, &want); break;
    case 2: on_iwant(ps, p, f.b, f.n, out, &served); break;
    case 3: on_graft(ps, p, f.b, f.n, now); break;
    case 4: on_prune(ps, p, f.b, f.n, now); break;
    default: break; /* IDONTWANT and extensions: not spoken */
    }
  }
  if (want.len && !ps__put_bytes(&p->ctl, 2, want.data, want.len))
    ps->st.iwants_sent++;
  tr_bytes_free(&want);
}

int ps_input(ps_t *ps, const net_peerid_t *peer, const uint8_t *b, size_t n,
             uint64_t now) {
  if (n > PS_FRAME_MAX)
    return TR_ETOOBIG;
  ps_peer_t *p = ps__peer(ps, peer);
  if (!p)
    return TR_ENOTCONN;
  if (ps__rpc_check(b, n)) {
    ps->st.bad_rpcs++;
    return TR_EPROTO;
  }
  ps->st.rpcs_in++;
  /* Subscriptions first, then messages, then control, as go handles an
   * RPC (a message may follow the subscription that admits it). */
  for (uint32_t pass = 1; pass <= 3; pass++) {
    ps__rd_t r = {b, b + n};
    ps__field_t f;
    tr_bytes_t out = {0};
    while (ps__next(&r, &f) > 0) {
      if (f.num != pass)
        continue;
      if (pass == 1)
        on_subopt(ps, p, f.b, f.n);
      else if (pass == 2)
        on_message(ps, p, f.b, f.n, now);
      else if (!ps->floodsub && p->proto >= PS_MESH10)
        on_control(ps, p, f.b, f.n, now, &out);
    }
    if (out.len)
      (void)ps__send(ps, p, &out);
    tr_bytes_free(&out);
    if (pass == 3)
      ps__ctl_flush(ps, p);
  }
  return 0;
}

/* ------------------------------------------------------------ topics */

int ps_join(ps_t *ps, const char *t, size_t tlen, uint64_t now) {
  if (!t || !tlen || tlen > PS_TOPIC_LEN_MAX)
    return TR_EUSAGE;
  ps_topic_t *tp = ps__topic(ps, t, tlen);
  if (tp) {
    tp->refs++;
    return 0;
  }
  if (ps->ntopics >= PS_TOPICS_MAX)
    return TR_ELIMIT;
  if (ps->ntopics == ps->captopics) {
    size_t cap = ps->captopics ? ps->captopics * 2 : 8;
    ps_topic_t **nt = tr_realloc(ps->topics, cap * sizeof *nt);
    if (!nt)
      return -ENOMEM;
    ps->topics = nt;
    ps->captopics = cap;
  }
  if (!(tp = tr_calloc(1, sizeof *tp)) || !(tp->t = tr_malloc(tlen))) {
    tr_free(tp);
    return -ENOMEM;
  }
  memcpy(tp->t, t, tlen);
  tp->len = tlen;
  tp->refs = 1;
  ps->topics[ps->ntopics++] = tp;
  announce(ps, NULL, true, t, tlen);
  if (ps->floodsub || !ps->npeers)
    return 0;
  ps_peer_t **c = tr_malloc(ps->npeers * sizeof *c);
  if (!c)
    return 0; /* the heartbeat builds the mesh */
  size_t nc = ps__candidates(ps, tp, true, now, c);
  for (size_t i = 0; i < nc && tp->nmesh < PS_D; i++) {
    tp->mesh[tp->nmesh++] = c[i];
    ps__ctl_graft(ps, c[i], t, tlen);
    ps__ctl_flush(ps, c[i]);
  }
  tr_free(c);
  return 0;
}

static void topic_free(ps_topic_t *tp) {
  tr_free(tp->t);
  tr_free(tp);
}

int ps_leave(ps_t *ps, const char *t, size_t tlen, uint64_t now) {
  for (size_t i = 0; i < ps->ntopics; i++) {
    ps_topic_t *tp = ps->topics[i];
    if (tp->len != tlen || memcmp(tp->t, t, tlen))
      continue;
    if (--tp->refs)
      return 0;
    announce(ps, NULL, false, t, tlen);
    for (size_t k = 0; k < tp->nmesh; k++) {
      ps__ctl_prune(ps, tp->mesh[k], t, tlen, PS_UNSUB_BACKOFF_MS / 1000);
      ps__ctl_flush(ps, tp->mesh[k]);
      ps__backoff_add(ps, t, tlen, &tp->mesh[k]->id,
                      now + PS_UNSUB_BACKOFF_MS);
    }
    ps->topics[i] = ps->topics[--ps->ntopics];
    topic_free(tp);
    return 0;
  }
  return TR_ENOTFOUND;
}

int ps_publish(ps_t *ps, const char *t, size_t tlen, const uint8_t *data,
               size_t len, uint64_t now) {
  if (!t || !tlen || tlen > PS_TOPIC_LEN_MAX || (!data && len))
    return TR_EUSAGE;
  if (len + tlen + 256 > PS_FRAME_MAX)
    return TR_ETOOBIG;
  tr_bytes_t msg = {0};
  uint64_t seq = ++ps->seqno;
  int rc = ps__message_build(&ps->key, &ps->self, seq, t, tlen,
                             data ? data : (const uint8_t *)"", len, &msg);
  if (rc) {
    tr_bytes_free(&msg);
    return rc;
  }
  uint8_t id[PS_ID_MAX], *sq = id + ps->self.len;
  memcpy(id, ps->self.bytes, ps->self.len);
  for (int i = 0; i < 8; i++)
    sq[i] = (uint8_t)(seq >> (56 - 8 * i));
  size_t idlen = ps->self.len + 8u;
  uint64_t h = ps__hash(ps, id, idlen);
  ps__seen_add(ps, h, now);
  ps__mc_put(ps, h, id, idlen, t, tlen, msg.data, msg.len);
  ps->st.published++;
  ps_topic_t *tp = ps__topic(ps, t, tlen);
  if (tp)
    deliver(ps, &ps->self, data, len, sq, 8, t, tlen);
  forward(ps, NULL, &ps->self, tp, t, tlen, msg.data, msg.len, true);
  tr_bytes_free(&msg);
  return 0;
}

/* ------------------------------------------------------------ lifecycle */

int ps_new(const ps_io_t *io, const ps_opts_t *o, uint64_t now,
           ps_t **out) {
  if (!io || !io->send || !io->deliver || !o || !o->key)
    return TR_EUSAGE;
  if (sodium_init() < 0)
    return -EIO;
  ps_t *ps = tr_calloc(1, sizeof *ps);
  if (!ps)
    return -ENOMEM;
  ps->seen = tr_calloc(PS_SEEN_MAX, sizeof *ps->seen);
  ps->buckets = tr_malloc(PS_SEEN_BUCKETS * sizeof *ps->buckets);
  ps->mc = tr_calloc(PS_MCACHE_MAX, sizeof *ps->mc);
  ps->authors = tr_malloc(PS_AUTHORS_MAX * sizeof *ps->authors);
  if (!ps->seen || !ps->buckets || !ps->mc || !ps->authors) {
    tr_free(ps->authors);
    tr_free(ps->seen);
    tr_free(ps->buckets);
    tr_free(ps->mc);
    tr_free(ps);
    return -ENOMEM;
  }
  for (size_t i = 0; i < PS_SEEN_BUCKETS; i++)
    ps->buckets[i] = -1;
  ps->io = *io;
  ps->key = *o->key;
  net_pubkey_t pk;
  net_privkey_pubkey(&ps->key, &pk);
  if (net_peerid_from_pubkey(&ps->self, &pk)) {
    ps_free(ps);
    return TR_EUSAGE;
  }
  ps->floodsub = o->floodsub;
  ps->seqno = o->seqno0;
  ps->rng = o->seed ? o->seed : 0x9E3779B97F4A7C15ULL;
  randombytes_buf(ps->hkey, sizeof ps->hkey);
  ps->next_beat = now + PS_HEARTBEAT_INIT_MS;
  *out = ps;
  return 0;
}

void ps_free(ps_t *ps) {
  if (!ps)
    return;
  for (size_t i = 0; i < ps->npeers; i++)
    peer_free(ps->peers[i]);
  for (size_t i = 0; i < ps->ntopics; i++)
    topic_free(ps->topics[i]);
  tr_free(ps->peers);
  tr_free(ps->topics);
  tr_free(ps->bo);
  ps__mc_free(ps);
  tr_free(ps->mc);
  tr_free(ps->authors);
  tr_free(ps->seen);
  tr_free(ps->buckets);
  sodium_memzero(&ps->key, sizeof ps->key);
  tr_free(ps);
}

/* -------------------------------------------------------- observation */

size_t ps_topics(const ps_t *ps, ps_topic_fn fn, void *ud) {
  for (size_t i = 0; fn && i < ps->ntopics; i++)
    fn(ud, ps->topics[i]->t, ps->topics[i]->len);
  return ps->ntopics;
}

size_t ps_peers(const ps_t *ps, const char *t, size_t tlen, ps_peer_fn fn,
                void *ud) {
  size_t n = 0;
  for (size_t i = 0; i < ps->npeers; i++)
    if (!t || ps__peer_in(ps->peers[i], t, tlen)) {
      n++;
      if (fn)
        fn(ud, &ps->peers[i]->id);
    }
  return n;
}

size_t ps_mesh(const ps_t *ps, const char *t, size_t tlen, ps_peer_fn fn,
               void *ud) {
  const ps_topic_t *tp = ps__topic(ps, t, tlen);
  for (size_t i = 0; tp && fn && i < tp->nmesh; i++)
    fn(ud, &tp->mesh[i]->id);
  return tp ? tp->nmesh : 0;
}

void ps_stats(const ps_t *ps, ps_stats_t *out) {
  *out = ps->st;
  out->peers = (uint32_t)ps->npeers;
  out->topics = (uint32_t)ps->ntopics;
  out->seen = (uint32_t)ps->nseen;
  out->mcache = (uint32_t)ps->nmc;
}

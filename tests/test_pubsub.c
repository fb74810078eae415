/*
 * test_pubsub.c — the pubsub core (pubsub/pubsub.h) alone and between
 * cores wired back to back on a simulated network: a FIFO of RPCs, a
 * virtual clock in milliseconds, each core ticked when it asks.  Checks
 * the wire (signing as go-libp2p-pubsub signs, frames), that every
 * subscriber gets every message exactly once across a sparse network of
 * ten, that mesh degrees settle within D_lo..D_hi, that forgeries,
 * replays and undecodable RPCs are refused, that IWANT is answered from
 * the message cache, and that leaving PRUNEs and unsubscribes.
 */
#include "testutil.h"

#include "../pubsub/ps_core.h"

#define NMAX 24
#define PUBS 16

typedef struct node {
  ps_t *ps;
  net_privkey_t key;
  net_peerid_t id;
  int idx;
  unsigned got[NMAX][PUBS]; /* deliveries of message k of publisher i */
  unsigned delivered;
  char last[64];
} node_t;

typedef struct pkt {
  struct pkt *next;
  int from, to;
  uint8_t *p;
  size_t n;
} pkt_t;

static node_t nodes[NMAX];
static int nn;
static bool link_[NMAX][NMAX];
static pkt_t *qhead, **qtail = &qhead;
static uint64_t now;
static uint64_t sent_rpcs;

static int node_of(const net_peerid_t *id) {
  for (int i = 0; i < nn; i++)
    if (net_peerid_equal(&nodes[i].id, id))
      return i;
  return -1;
}

static int sim_send(void *ud, const net_peerid_t *peer, const uint8_t *p,
                    size_t n) {
  node_t *me = ud;
  int to = node_of(peer);
  assert_true(to >= 0);
  assert_true(n <= PS_FRAME_MAX);
  if (!link_[me->idx][to])
    return TR_ENOTCONN;
  pkt_t *k = calloc(1, sizeof *k);
  k->from = me->idx;
  k->to = to;
  k->p = malloc(n ? n : 1);
  memcpy(k->p, p, n);
  k->n = n;
  *qtail = k;
  qtail = &k->next;
  sent_rpcs++;
  return 0;
}

static void sim_deliver(void *ud, const ps_msg_t *m) {
  node_t *me = ud;
  me->delivered++;
  int pub, k;
  char buf[64];
  size_t n = m->len < sizeof buf - 1 ? m->len : sizeof buf - 1;
  memcpy(buf, m->data, n);
  buf[n] = 0;
  snprintf(me->last, sizeof me->last, "%s", buf);
  if (sscanf(buf, "m%d-%d", &pub, &k) == 2 && pub >= 0 && pub < NMAX &&
      k >= 0 && k < PUBS) {
    assert_int_equal(node_of(&m->from), pub);
    me->got[pub][k]++;
  }
}

static void drain(void) {
  while (qhead) {
    pkt_t *k = qhead;
    qhead = k->next;
    if (!qhead)
      qtail = &qhead;
    if (link_[k->from][k->to])
      assert_int_equal(
          ps_input(nodes[k->to].ps, &nodes[k->from].id, k->p, k->n, now), 0);
    free(k->p);
    free(k);
  }
}

static void sim_start(int n, bool floodsub) {
  memset(nodes, 0, sizeof nodes);
  memset(link_, 0, sizeof link_);
  nn = n;
  now = 1000;
  for (int i = 0; i < n; i++) {
    uint8_t seed[32] = {0};
    seed[0] = (uint8_t)(i + 1);
    net_privkey_from_seed(&nodes[i].key, seed);
    net_pubkey_t pk;
    net_privkey_pubkey(&nodes[i].key, &pk);
    assert_int_equal(net_peerid_from_pubkey(&nodes[i].id, &pk), 0);
    nodes[i].idx = i;
    ps_io_t io = {sim_send, sim_deliver, &nodes[i]};
    ps_opts_t o = {&nodes[i].key, floodsub, 1000000u * (uint64_t)i,
                   (uint64_t)i + 1};
    assert_int_equal(ps_new(&io, &o, now, &nodes[i].ps), 0);
  }
}

static void sim_stop(void) {
  drain();
  for (int i = 0; i < nn; i++)
    ps_free(nodes[i].ps);
  nn = 0;
}

static void connect_(int a, int b, int proto_a, int proto_b) {
  link_[a][b] = link_[b][a] = true;
  /* each learns the other's protocol, as identify tells the adapter */
  assert_int_equal(ps_peer_up(nodes[a].ps, &nodes[b].id, proto_b, now), 0);
  assert_int_equal(ps_peer_up(nodes[b].ps, &nodes[a].id, proto_a, now), 0);
  drain();
}

static void run_ms(uint64_t ms) {
  uint64_t end = now + ms;
  while (now < end) {
    now += 50;
    for (int i = 0; i < nn; i++)
      (void)ps_tick(nodes[i].ps, now);
    drain();
  }
}

static void join(int i, const char *t) {
  assert_int_equal(ps_join(nodes[i].ps, t, strlen(t), now), 0);
  drain();
}

static void publish(int i, const char *t, int k) {
  char d[32];
  int n = snprintf(d, sizeof d, "m%d-%d", i, k);
  assert_int_equal(
      ps_publish(nodes[i].ps, t, strlen(t), (uint8_t *)d, (size_t)n, now), 0);
  drain();
}

/* ------------------------------------------------------------- the wire */

static void test_sign_verify(void **state) {
  (void)state;
  sim_start(2, false);
  tr_bytes_t m = {0};
  assert_int_equal(ps__message_build(&nodes[0].key, &nodes[0].id, 42, "top",
                                     3, (const uint8_t *)"hi", 2, &m),
                   0);
  ps__message_t v;
  assert_int_equal(ps__message_decode(m.data, m.len, &v), 0);
  assert_true(v.from.set && v.data.set && v.seqno.set && v.topic.set &&
              v.sig.set && !v.key.set);
  assert_int_equal(v.seqno.n, 8);
  assert_int_equal(v.seqno.p[7], 42);
  assert_int_equal(v.sig.n, 64);
  net_peerid_t from;
  assert_int_equal(ps__message_verify(&v, &from), 0);
  assert_true(net_peerid_equal(&from, &nodes[0].id));
  /* The signed bytes are the prefix and fields 1..4 as written. */
  tr_bytes_t sb = {0};
  assert_int_equal(ps__sign_bytes(&v, &sb), 0);
  assert_memory_equal(sb.data, "libp2p-pubsub:", 14);
  assert_int_equal(sb.len, 14 + (size_t)(v.sig.p - 2 - m.data));
  tr_bytes_free(&sb);
  /* Any change to a signed field breaks it. */
  uint8_t *d = (uint8_t *)v.data.p;
  d[0] ^= 1;
  assert_int_equal(ps__message_verify(&v, &from), TR_ESIG);
  d[0] ^= 1;
  /* A from that is not the signer's key. */
  uint8_t *f = (uint8_t *)v.from.p;
  memcpy(f, nodes[1].id.bytes, nodes[1].id.len);
  assert_int_not_equal(ps__message_verify(&v, &from), 0);
  tr_bytes_free(&m);
  sim_stop();
}

static void test_frames(void **state) {
  (void)state;
  sim_start(2, false);
  connect_(0, 1, PS_MESH11, PS_MESH11);
  static const uint8_t bad[] = {0x0a, 0x05, 0x08}; /* truncated SubOpts */
  assert_int_equal(ps_input(nodes[0].ps, &nodes[1].id, bad, sizeof bad, now),
                   TR_EPROTO);
  static const uint8_t group[] = {0x0b}; /* field 1 as a group */
  assert_int_equal(
      ps_input(nodes[0].ps, &nodes[1].id, group, sizeof group, now),
      TR_EPROTO);
  static const uint8_t wt[] = {0x10, 0x01}; /* publish as a varint */
  assert_int_equal(ps_input(nodes[0].ps, &nodes[1].id, wt, sizeof wt, now),
                   TR_EPROTO);
  assert_int_equal(ps_input(nodes[0].ps, &nodes[1].id, bad,
                            PS_FRAME_MAX + 1, now),
                   TR_ETOOBIG);
  net_peerid_t stranger = nodes[1].id;
  stranger.bytes[stranger.len - 1] ^= 1;
  assert_int_equal(ps_input(nodes[0].ps, &stranger, bad, 0, now),
                   TR_ENOTCONN);
  /* An empty RPC and unknown fields are fine. */
  static const uint8_t unk[] = {0x52, 0x01, 0x00}; /* field 10 */
  assert_int_equal(ps_input(nodes[0].ps, &nodes[1].id, unk, sizeof unk, now),
                   0);
  /* Frames: a length prefix and a body; over PS_FRAME_MAX refused. */
  uint8_t fr[8] = {0x03, 'a', 'b', 'c'};
  const uint8_t *body;
  size_t blen;
  assert_int_equal(ps_frame(fr, 4, &body, &blen), 4);
  assert_int_equal(blen, 3);
  assert_int_equal(ps_frame(fr, 2, &body, &blen), 0);
  uint8_t big[4] = {0x81, 0x80, 0x40}; /* 1 MiB + 1 */
  assert_int_equal(ps_frame(big, 3, &body, &blen), TR_ETOOBIG);
  sim_stop();
}

/* ---------------------------------------------------------- the network */

static void test_ten_nodes_exactly_once(void **state) {
  (void)state;
  sim_start(10, false);
  /* A ring with chords: each node has 4 neighbours, no more. */
  for (int i = 0; i < 10; i++) {
    connect_(i, (i + 1) % 10, PS_MESH11, PS_MESH11);
    if (i < 5)
      connect_(i, i + 5, PS_MESH11, PS_MESH11);
  }
  for (int i = 0; i < 9; i++) /* node 9 does not subscribe */
    join(i, "chat");
  run_ms(5000);
  for (int i = 0; i < 10; i++)
    for (int k = 0; k < 3; k++)
      publish(i, "chat", k);
  run_ms(3000);
  for (int i = 0; i < 9; i++)
    for (int p = 0; p < 10; p++)
      for (int k = 0; k < 3; k++)
        assert_int_equal(nodes[i].got[p][k], 1);
  assert_int_equal(nodes[9].delivered, 0);
  /* Node 9 is a peer of its neighbours, in no topic: 8 (next to 7, 9
   * and 3) has two peers in chat. */
  assert_int_equal(ps_peers(nodes[0].ps, NULL, 0, NULL, NULL), 3);
  assert_int_equal(ps_peers(nodes[8].ps, "chat", 4, NULL, NULL), 2);
  ps_stats_t st;
  ps_stats(nodes[0].ps, &st);
  print_message("node 0: %llu rpcs in, %llu duplicates, %llu forwarded\n",
                (unsigned long long)st.rpcs_in,
                (unsigned long long)st.duplicates,
                (unsigned long long)st.forwarded);
  sim_stop();
}

static void test_mesh_degrees_converge(void **state) {
  (void)state;
  sim_start(20, false);
  for (int i = 0; i < 20; i++)
    for (int j = i + 1; j < 20; j++)
      connect_(i, j, PS_MESH11, PS_MESH11);
  for (int i = 0; i < 20; i++)
    join(i, "t");
  run_ms(10000);
  for (int i = 0; i < 20; i++) {
    size_t d = ps_mesh(nodes[i].ps, "t", 1, NULL, NULL);
    assert_true(d >= PS_DLO && d <= PS_DHI);
    /* the mesh is symmetric: each of its peers has us in its own */
    for (int j = 0; j < 20; j++) {
      ps_topic_t *a = ps__topic(nodes[i].ps, "t", 1);
      ps_peer_t *pj = ps__peer(nodes[i].ps, &nodes[j].id);
      if (j == i || !ps__in_mesh(a, pj))
        continue;
      ps_topic_t *b = ps__topic(nodes[j].ps, "t", 1);
      assert_true(ps__in_mesh(b, ps__peer(nodes[j].ps, &nodes[i].id)));
    }
  }
  /* A message published now reaches all, mostly through the mesh. */
  uint64_t before = sent_rpcs;
  publish(3, "t", 0);
  for (int i = 0; i < 20; i++)
    assert_int_equal(nodes[i].got[3][0], 1);
  print_message("one message to 20 nodes: %llu RPCs\n",
                (unsigned long long)(sent_rpcs - before));
  sim_stop();
}

/* ------------------------------------------------------------ attacks */

/* Node 1 hands node 0 an RPC carrying message m. */
static int inject(const tr_bytes_t *m) {
  tr_bytes_t rpc = {0};
  assert_int_equal(ps__put_bytes(&rpc, 2, m->data, m->len), 0);
  int rc = ps_input(nodes[0].ps, &nodes[1].id, rpc.data, rpc.len, now);
  tr_bytes_free(&rpc);
  return rc;
}

static void test_forgery_and_replay(void **state) {
  (void)state;
  sim_start(3, false);
  connect_(0, 1, PS_MESH11, PS_MESH11);
  join(0, "t");
  /* Node 1 signs a message claiming to be node 2's. */
  tr_bytes_t m = {0};
  assert_int_equal(ps__message_build(&nodes[1].key, &nodes[2].id, 7, "t", 1,
                                     (const uint8_t *)"m2-0", 4, &m),
                   0);
  assert_int_equal(inject(&m), 0);
  assert_int_equal(nodes[0].delivered, 0);
  /* A message with a flipped signature byte. */
  tr_bytes_t g = {0};
  assert_int_equal(ps__message_build(&nodes[2].key, &nodes[2].id, 7, "t", 1,
                                     (const uint8_t *)"m2-0", 4, &g),
                   0);
  g.data[g.len - 1] ^= 0x55;
  assert_int_equal(inject(&g), 0);
  assert_int_equal(nodes[0].delivered, 0);
  /* The real one (same ID as both forgeries) still gets through, once. */
  g.data[g.len - 1] ^= 0x55;
  assert_int_equal(inject(&g), 0);
  assert_int_equal(inject(&g), 0); /* a replay */
  assert_int_equal(nodes[0].delivered, 1);
  assert_int_equal(nodes[0].got[2][0], 1);
  /* A message for a topic node 0 has not joined is dropped. */
  tr_bytes_t o = {0};
  assert_int_equal(ps__message_build(&nodes[2].key, &nodes[2].id, 8, "u", 1,
                                     (const uint8_t *)"m2-1", 4, &o),
                   0);
  assert_int_equal(inject(&o), 0);
  /* Our own message coming back is not ours to take. */
  tr_bytes_t s = {0};
  assert_int_equal(ps__message_build(&nodes[0].key, &nodes[0].id, 9, "t", 1,
                                     (const uint8_t *)"m0-1", 4, &s),
                   0);
  assert_int_equal(inject(&s), 0);
  assert_int_equal(nodes[0].delivered, 1);
  /* Past the seen-cache's TTL a replay is still dropped: its seqno is not
   * above the last one of its author (Kubo's seqno validator), nor is an
   * older message that was never seen; a newer one passes. */
  now += PS_SEEN_TTL_MS + 1;
  assert_int_equal(inject(&g), 0);
  tr_bytes_t old = {0}, nw = {0};
  assert_int_equal(ps__message_build(&nodes[2].key, &nodes[2].id, 6, "t", 1,
                                     (const uint8_t *)"m2-2", 4, &old),
                   0);
  assert_int_equal(inject(&old), 0);
  assert_int_equal(nodes[0].delivered, 1);
  assert_int_equal(ps__message_build(&nodes[2].key, &nodes[2].id, 9, "t", 1,
                                     (const uint8_t *)"m2-3", 4, &nw),
                   0);
  assert_int_equal(inject(&nw), 0);
  assert_int_equal(nodes[0].delivered, 2);
  assert_int_equal(nodes[0].got[2][3], 1);
  /* `pubsub reset` forgets the author: the old replay passes again. */
  assert_int_equal(ps_seqno_reset(nodes[0].ps, &nodes[1].id), 0);
  assert_int_equal(ps_seqno_reset(nodes[0].ps, &nodes[2].id), 1);
  assert_int_equal(inject(&g), 0);
  assert_int_equal(nodes[0].delivered, 3);
  assert_int_equal(ps_seqno_reset(nodes[0].ps, NULL), 1);
  tr_bytes_free(&old);
  tr_bytes_free(&nw);
  ps_stats_t st;
  ps_stats(nodes[0].ps, &st);
  assert_int_equal(st.rejected, 4);
  assert_int_equal(st.duplicates, 1);
  assert_int_equal(st.stale, 2);
  tr_bytes_free(&m);
  tr_bytes_free(&g);
  tr_bytes_free(&o);
  tr_bytes_free(&s);
  sim_stop();
}

/* ------------------------------------------------------------- gossip */

static void test_iwant_from_mcache(void **state) {
  (void)state;
  sim_start(2, false);
  join(1, "t");
  publish(0, "t", 5); /* nobody connected: only the cache holds it */
  connect_(0, 1, PS_MESH11, PS_MESH11);
  assert_int_equal(nodes[1].delivered, 0);
  /* Node 1 asks for it by ID (from + seqno). */
  uint8_t id[PS_ID_MAX];
  memcpy(id, nodes[0].id.bytes, nodes[0].id.len);
  uint64_t seq = 0 + 1; /* node 0's counter started at 0 */
  for (int i = 0; i < 8; i++)
    id[nodes[0].id.len + (size_t)i] = (uint8_t)(seq >> (56 - 8 * i));
  tr_bytes_t iw = {0}, ctl = {0}, rpc = {0};
  assert_int_equal(ps__put_bytes(&iw, 1, id, nodes[0].id.len + 8u), 0);
  assert_int_equal(ps__put_bytes(&ctl, 2, iw.data, iw.len), 0);
  assert_int_equal(ps__put_bytes(&rpc, 3, ctl.data, ctl.len), 0);
  assert_int_equal(ps_input(nodes[0].ps, &nodes[1].id, rpc.data, rpc.len,
                            now), 0);
  drain();
  assert_int_equal(nodes[1].got[0][5], 1);
  ps_stats_t st;
  ps_stats(nodes[0].ps, &st);
  assert_int_equal(st.iwant_served, 1);
  /* After PS_MCACHE_HISTORY heartbeats it is gone from the cache. */
  run_ms(PS_MCACHE_HISTORY * PS_HEARTBEAT_MS + 200);
  assert_int_equal(ps_input(nodes[0].ps, &nodes[1].id, rpc.data, rpc.len,
                            now), 0);
  ps_stats(nodes[0].ps, &st);
  assert_int_equal(st.iwant_served, 1);
  tr_bytes_free(&iw);
  tr_bytes_free(&ctl);
  tr_bytes_free(&rpc);
  sim_stop();
}

/* IWANT of one large cached message again and again: PS_IWANT_BYTES_MAX
 * a heartbeat, not a megabyte per small RPC without end. */
static void test_iwant_budget(void **state) {
  (void)state;
  sim_start(2, false);
  size_t big = 600u << 10;
  uint8_t *d = calloc(1, big);
  assert_int_equal(ps_publish(nodes[0].ps, "t", 1, d, big, now), 0);
  free(d);
  connect_(0, 1, PS_MESH11, PS_MESH11);
  uint8_t id[PS_ID_MAX];
  memcpy(id, nodes[0].id.bytes, nodes[0].id.len);
  memset(id + nodes[0].id.len, 0, 8);
  id[nodes[0].id.len + 7] = 1;
  tr_bytes_t iw = {0}, ctl = {0}, rpc = {0};
  assert_int_equal(ps__put_bytes(&iw, 1, id, nodes[0].id.len + 8u), 0);
  assert_int_equal(ps__put_bytes(&ctl, 2, iw.data, iw.len), 0);
  assert_int_equal(ps__put_bytes(&rpc, 3, ctl.data, ctl.len), 0);
  for (int i = 0; i < 20; i++)
    assert_int_equal(ps_input(nodes[0].ps, &nodes[1].id, rpc.data, rpc.len,
                              now), 0);
  ps_stats_t st;
  ps_stats(nodes[0].ps, &st);
  assert_int_equal(st.iwant_served, PS_IWANT_BYTES_MAX / (big + 64));
  now += PS_HEARTBEAT_MS;
  (void)ps_tick(nodes[0].ps, now);
  assert_int_equal(ps_input(nodes[0].ps, &nodes[1].id, rpc.data, rpc.len,
                            now), 0);
  ps_stats(nodes[0].ps, &st);
  assert_int_equal(st.iwant_served, PS_IWANT_BYTES_MAX / (big + 64) + 1);
  tr_bytes_free(&iw);
  tr_bytes_free(&ctl);
  tr_bytes_free(&rpc);
  sim_stop();
}

static void test_ihave_brings_iwant(void **state) {
  (void)state;
  /* 0 - 1 - 2 in a line, all joined; 1 publishes before 2 is connected.
   * Node 1 keeps 2 out of its mesh (a backoff), so 2 hears of the message
   * only by the IHAVE of 1's next heartbeat, and fetches it by IWANT. */
  sim_start(3, false);
  for (int i = 0; i < 3; i++)
    join(i, "t");
  connect_(0, 1, PS_MESH11, PS_MESH11);
  publish(1, "t", 0);
  assert_int_equal(nodes[0].got[1][0], 1);
  ps__backoff_add(nodes[1].ps, "t", 1, &nodes[2].id, now + 600000);
  ps__backoff_add(nodes[2].ps, "t", 1, &nodes[1].id, now + 600000);
  connect_(1, 2, PS_MESH11, PS_MESH11);
  assert_int_equal(nodes[2].delivered, 0);
  now += PS_HEARTBEAT_MS;
  (void)ps_tick(nodes[1].ps, now);
  drain();
  assert_int_equal(nodes[2].got[1][0], 1);
  ps_stats_t st;
  ps_stats(nodes[2].ps, &st);
  assert_int_equal(st.iwants_sent, 1);
  ps_stats(nodes[1].ps, &st);
  assert_int_equal(st.iwant_served, 1);
  sim_stop();
}

static void test_leave_prunes(void **state) {
  (void)state;
  sim_start(2, false);
  connect_(0, 1, PS_MESH11, PS_MESH11);
  join(0, "t");
  join(1, "t");
  run_ms(2000);
  assert_int_equal(ps_mesh(nodes[0].ps, "t", 1, NULL, NULL), 1);
  assert_int_equal(ps_mesh(nodes[1].ps, "t", 1, NULL, NULL), 1);
  /* Refcounted: the second join needs a second leave. */
  join(0, "t");
  assert_int_equal(ps_leave(nodes[0].ps, "t", 1, now), 0);
  drain();
  assert_int_equal(ps_topics(nodes[0].ps, NULL, NULL), 1);
  assert_int_equal(ps_leave(nodes[0].ps, "t", 1, now), 0);
  drain();
  assert_int_equal(ps_topics(nodes[0].ps, NULL, NULL), 0);
  assert_int_equal(ps_leave(nodes[0].ps, "t", 1, now), TR_ENOTFOUND);
  /* Node 1 got the PRUNE and the unsubscription. */
  assert_int_equal(ps_mesh(nodes[1].ps, "t", 1, NULL, NULL), 0);
  assert_int_equal(ps_peers(nodes[1].ps, "t", 1, NULL, NULL), 0);
  ps_topic_t *tp = ps__topic(nodes[1].ps, "t", 1);
  assert_true(ps__backed_off(nodes[1].ps, tp, &nodes[0].id, now));
  /* Its heartbeats do not graft node 0 back while backed off. */
  join(0, "t");
  run_ms(3000);
  assert_int_equal(ps_mesh(nodes[1].ps, "t", 1, NULL, NULL), 0);
  /* After the backoff they mesh again. */
  run_ms(PS_UNSUB_BACKOFF_MS);
  assert_int_equal(ps_mesh(nodes[1].ps, "t", 1, NULL, NULL), 1);
  sim_stop();
}

static void test_floodsub_peer(void **state) {
  (void)state;
  sim_start(3, false);
  /* 1 speaks floodsub only; 0 and 2 gossipsub; line 2 - 0 - 1. */
  connect_(0, 1, PS_MESH11, PS_FLOOD);
  connect_(0, 2, PS_MESH11, PS_MESH11);
  for (int i = 0; i < 3; i++)
    join(i, "t");
  run_ms(3000);
  assert_int_equal(ps_mesh(nodes[0].ps, "t", 1, NULL, NULL), 1); /* only 2 */
  publish(2, "t", 1); /* 0 forwards it to the floodsub peer */
  assert_int_equal(nodes[1].got[2][1], 1);
  assert_int_equal(nodes[0].got[2][1], 1);
  sim_stop();
}

static void test_floodsub_router(void **state) {
  (void)state;
  sim_start(4, true);
  for (int i = 0; i < 3; i++)
    connect_(i, i + 1, PS_FLOOD, PS_FLOOD);
  for (int i = 0; i < 4; i++)
    join(i, "t");
  run_ms(2000);
  publish(0, "t", 0);
  for (int i = 0; i < 4; i++)
    assert_int_equal(nodes[i].got[0][0], 1);
  assert_int_equal(ps_mesh(nodes[1].ps, "t", 1, NULL, NULL), 0);
  sim_stop();
}

static void test_limits(void **state) {
  (void)state;
  sim_start(2, false);
  char big[PS_TOPIC_LEN_MAX + 1];
  memset(big, 'x', sizeof big);
  assert_int_equal(ps_join(nodes[0].ps, big, sizeof big, now), TR_EUSAGE);
  assert_int_equal(ps_join(nodes[0].ps, "", 0, now), TR_EUSAGE);
  uint8_t *data = calloc(1, PS_FRAME_MAX);
  assert_int_equal(ps_publish(nodes[0].ps, "t", 1, data, PS_FRAME_MAX, now),
                   TR_ETOOBIG);
  free(data);
  /* The seen cache holds at most PS_SEEN_MAX and forgets after its TTL. */
  for (uint64_t i = 0; i < PS_SEEN_MAX + 10; i++)
    ps__seen_add(nodes[0].ps, i * 7919, now);
  assert_int_equal(nodes[0].ps->nseen, PS_SEEN_MAX);
  assert_false(ps__seen_has(nodes[0].ps, 0, now));
  assert_true(ps__seen_has(nodes[0].ps, (PS_SEEN_MAX + 9) * 7919ull, now));
  now += PS_SEEN_TTL_MS;
  assert_false(ps__seen_has(nodes[0].ps, (PS_SEEN_MAX + 9) * 7919ull, now));
  sim_stop();
}

/* Every allocation in a publish/deliver round may fail: no crash, no
 * leak. */
static void test_alloc_failures(void **state) {
  (void)state;
  for (long k = 0; k < 200; k++) {
    sim_start(3, false);
    connect_(0, 1, PS_MESH11, PS_MESH11);
    connect_(1, 2, PS_MESH11, PS_MESH11);
    fm_start(k);
    int rc = ps_join(nodes[1].ps, "t", 1, now);
    (void)rc;
    rc = ps_join(nodes[2].ps, "t", 1, now);
    (void)rc;
    rc = ps_publish(nodes[0].ps, "t", 1, (const uint8_t *)"x", 1, now);
    (void)rc;
    (void)ps_tick(nodes[1].ps, now + 200);
    fm_reset();
    sim_stop();
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sign_verify),
      cmocka_unit_test(test_frames),
      cmocka_unit_test(test_ten_nodes_exactly_once),
      cmocka_unit_test(test_mesh_degrees_converge),
      cmocka_unit_test(test_forgery_and_replay),
      cmocka_unit_test(test_iwant_from_mcache),
      cmocka_unit_test(test_iwant_budget),
      cmocka_unit_test(test_ihave_brings_iwant),
      cmocka_unit_test(test_leave_prunes),
      cmocka_unit_test(test_floodsub_peer),
      cmocka_unit_test(test_floodsub_router),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_alloc_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_autonat.c — AutoNAT v2 (net/autonat.h) and the observed-address
 * table (net/obsaddr.h): the messages against bytes built by hand from the
 * spec's proto, hostile input (truncated, oversized, unknown values), the
 * server's choice of address and its dial-data decision, the rate limiter,
 * the client's tally, which addresses are public (go's IsPublicAddr
 * table), the observed-address activation; then hosts on 127.0.0.1 (with
 * allow_private): a client checked by a server ends Public, a dial-back
 * with the wrong nonce is reset, a server asking too much dial data is
 * refused, and a request for private addresses is refused by a server
 * that does not allow them.
 */
#include "testutil.h"

#include <uv.h>

#include "../net/autonat.h"
#include "../net/host.h"
#include "../net/multiaddr.h"
#include "../net/obsaddr.h"
#include "../net/peerstore.h"

static size_t ma(const char *s, uint8_t *out) {
  int n = net_ma_parse(s, strlen(s), out, NET_MA_MAX);
  assert_true(n > 0);
  return (size_t)n;
}

/* ------------------------------------------------------------ messages */

/* DialRequest{addrs: [/ip4/1.2.3.4/tcp/4001], nonce: 0x0102030405060708}
 * in a Message, length first: built from the proto by hand. */
static const uint8_t REQ[] = {
    0x15,                                           /* length 21 */
    0x0a, 0x13,                                     /* Message.dialRequest */
    0x0a, 0x08, 0x04, 1, 2, 3, 4, 0x06, 0x0f, 0xa1, /* addrs[0] */
    0x11, 8, 7, 6, 5, 4, 3, 2, 1,                   /* nonce, fixed64 LE */
};
/* DialResponse{status: OK, addrIdx: 0 (not written), dialStatus: OK}. */
static const uint8_t RESP[] = {0x08, 0x12, 0x06, 0x08, 0xc8,
                               0x01, 0x18, 0xc8, 0x01};
/* DialDataRequest{addrIdx: 1, numBytes: 30000}. */
static const uint8_t DREQ[] = {0x08, 0x1a, 0x06, 0x08, 0x01,
                               0x10, 0xb0, 0xea, 0x01};
/* DialDataResponse{data: 3 zero bytes}. */
static const uint8_t DRESP[] = {0x07, 0x22, 0x05, 0x0a, 0x03, 0, 0, 0};

static void expect_bytes(const net_an_msg_t *m, const uint8_t *want,
                         size_t n) {
  tr_bytes_t b = {0};
  assert_int_equal(net_an_encode(m, &b), 0);
  assert_int_equal(b.len, n);
  assert_memory_equal(b.data, want, n);
  tr_bytes_free(&b);
}

static void test_encode(void **state) {
  (void)state;
  net_an_msg_t *m = calloc(1, sizeof *m);
  m->type = NET_AN_DIAL_REQUEST;
  m->naddrs = 1;
  m->addrlen[0] = (uint8_t)ma("/ip4/1.2.3.4/tcp/4001", m->addrs[0]);
  m->nonce = 0x0102030405060708ull;
  expect_bytes(m, REQ, sizeof REQ);
  memset(m, 0, sizeof *m);
  m->type = NET_AN_DIAL_RESPONSE;
  m->status = NET_AN_RS_OK;
  m->dial_status = NET_AN_DS_OK;
  expect_bytes(m, RESP, sizeof RESP);
  memset(m, 0, sizeof *m);
  m->type = NET_AN_DATA_REQUEST;
  m->addr_idx = 1;
  m->num_bytes = 30000;
  expect_bytes(m, DREQ, sizeof DREQ);
  memset(m, 0, sizeof *m);
  m->type = NET_AN_DATA_RESPONSE;
  m->data_len = 3;
  expect_bytes(m, DRESP, sizeof DRESP);
  /* What cannot be encoded. */
  tr_bytes_t b = {0};
  m->data_len = NET_AN_DATA_CHUNK + 1;
  assert_int_equal(net_an_encode(m, &b), TR_EUSAGE);
  m->type = 9;
  assert_int_equal(net_an_encode(m, &b), TR_EUSAGE);
  m->type = NET_AN_DIAL_REQUEST;
  m->naddrs = NET_AN_ADDRS_MAX + 1;
  assert_int_equal(net_an_encode(m, &b), TR_EUSAGE);
  /* dial-back: DialBack{nonce: 1} and an empty DialBackResponse{OK}. */
  static const uint8_t BACK[] = {0x09, 0x09, 1, 0, 0, 0, 0, 0, 0, 0};
  assert_int_equal(net_an_back_encode(1, &b), 0);
  assert_int_equal(net_an_back_ok_encode(&b), 0);
  assert_int_equal(b.len, sizeof BACK + 1);
  assert_memory_equal(b.data, BACK, sizeof BACK);
  assert_int_equal(b.data[sizeof BACK], 0x00);
  uint64_t nonce = 0;
  assert_int_equal(net_an_back_decode(BACK + 1, sizeof BACK - 1, &nonce), 0);
  assert_int_equal(nonce, 1);
  tr_bytes_free(&b);
  free(m);
}

static void test_decode(void **state) {
  (void)state;
  net_an_msg_t *m = calloc(1, sizeof *m);
  const uint8_t *body;
  size_t blen;
  assert_int_equal(net_an_frame(REQ, sizeof REQ, NET_AN_MSG_MAX, &body, &blen),
                   sizeof REQ);
  assert_int_equal(net_an_decode(body, blen, m), 0);
  assert_int_equal(m->type, NET_AN_DIAL_REQUEST);
  assert_int_equal(m->naddrs, 1);
  assert_int_equal(m->nonce, 0x0102030405060708ull);
  uint8_t want[NET_MA_MAX];
  assert_int_equal(m->addrlen[0], ma("/ip4/1.2.3.4/tcp/4001", want));
  assert_memory_equal(m->addrs[0], want, m->addrlen[0]);
  assert_int_equal(net_an_frame(RESP, sizeof RESP, NET_AN_MSG_MAX, &body,
                                &blen), sizeof RESP);
  assert_int_equal(net_an_decode(body, blen, m), 0);
  assert_int_equal(m->type, NET_AN_DIAL_RESPONSE);
  assert_int_equal(m->status, NET_AN_RS_OK);
  assert_int_equal(m->dial_status, NET_AN_DS_OK);
  assert_int_equal(m->addr_idx, 0);
  assert_int_equal(net_an_decode(DREQ + 1, sizeof DREQ - 1, m), 0);
  assert_int_equal(m->type, NET_AN_DATA_REQUEST);
  assert_int_equal(m->num_bytes, 30000);
  assert_int_equal(m->addr_idx, 1);
  assert_int_equal(net_an_decode(DRESP + 1, sizeof DRESP - 1, m), 0);
  assert_int_equal(m->type, NET_AN_DATA_RESPONSE);
  assert_int_equal(m->data_len, 3);
  /* A status the spec does not know is kept, for the caller to refuse. */
  static const uint8_t ODD[] = {0x12, 0x02, 0x08, 0x07};
  assert_int_equal(net_an_decode(ODD, sizeof ODD, m), 0);
  assert_int_equal(m->status, 7);
  free(m);
}

static void test_hostile(void **state) {
  (void)state;
  net_an_msg_t *m = calloc(1, sizeof *m);
  const uint8_t *body;
  size_t blen;
  /* Every cut of a frame waits for more; nothing is read past it. */
  for (size_t n = 0; n < sizeof REQ; n++)
    assert_int_equal(net_an_frame(REQ, n, NET_AN_MSG_MAX, &body, &blen), 0);
  /* A length over the cap, a malformed (non-minimal) length. */
  static const uint8_t BIG[] = {0x81, 0x40}; /* 8193 */
  assert_int_equal(net_an_frame(BIG, 2, NET_AN_MSG_MAX, &body, &blen),
                   TR_ETOOBIG);
  static const uint8_t BAD[] = {0x80, 0x00};
  assert_int_equal(net_an_frame(BAD, 2, NET_AN_MSG_MAX, &body, &blen),
                   TR_EPROTO);
  static const uint8_t LONG[10] = {0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff};
  assert_true(net_an_frame(LONG, 10, NET_AN_MSG_MAX, &body, &blen) < 0);
  /* A truncated body, an empty Message (no msg), a wrong wire type. */
  assert_int_equal(net_an_decode(REQ + 1, sizeof REQ - 2, m), TR_EPROTO);
  assert_int_equal(net_an_decode((const uint8_t *)"", 0, m), TR_EPROTO);
  static const uint8_t WT[] = {0x08, 0x01};
  assert_int_equal(net_an_decode(WT, 2, m), TR_EPROTO);
  uint64_t nonce;
  assert_int_equal(net_an_back_decode(REQ + 14, 3, &nonce), TR_EPROTO);
  /* 60 addresses: all counted, the first NET_AN_ADDRS_MAX kept, an
   * over-long one kept as unusable (len 0) at its index. */
  uint8_t one[NET_MA_MAX];
  size_t ol = ma("/ip4/8.8.8.8/tcp/1", one);
  tr_bytes_t body2 = {0}, msg = {0};
  for (int i = 0; i < 60; i++) {
    uint8_t h[2] = {0x0a, (uint8_t)(i == 3 ? 100 : ol)};
    static const uint8_t pad[100];
    assert_int_equal(tr_bytes_append(&body2, h, 2), 0);
    assert_int_equal(tr_bytes_append(&body2, i == 3 ? pad : one,
                                     i == 3 ? 100 : ol), 0);
  }
  uint8_t hdr[3] = {0x0a, (uint8_t)(0x80 | (body2.len & 0x7f)),
                    (uint8_t)(body2.len >> 7)};
  assert_int_equal(tr_bytes_append(&msg, hdr, 3), 0);
  assert_int_equal(tr_bytes_append(&msg, body2.data, body2.len), 0);
  assert_int_equal(net_an_decode(msg.data, msg.len, m), 0);
  assert_int_equal(m->type, NET_AN_DIAL_REQUEST);
  assert_int_equal(m->naddrs, 60);
  assert_int_equal(m->addrlen[3], 0);
  assert_int_equal(m->addrlen[NET_AN_ADDRS_MAX - 1], ol);
  assert_int_equal(net_an_pick(m, false), 0);
  tr_bytes_free(&body2), tr_bytes_free(&msg);
  free(m);
}

/* ---------------------------------------------------- server choices */

static void test_public(void **state) {
  (void)state;
  static const struct {
    const char *a;
    bool pub;
  } v[] = {
      {"/ip4/1.2.3.4/tcp/1", true},       {"/ip4/11.0.0.1/tcp/1", true},
      {"/ip4/127.0.0.1/tcp/1", false},    {"/ip4/10.1.2.3/tcp/1", false},
      {"/ip4/100.64.0.1/tcp/1", false},   {"/ip4/100.128.0.1/tcp/1", true},
      {"/ip4/172.16.0.1/tcp/1", false},   {"/ip4/172.32.0.1/tcp/1", true},
      {"/ip4/192.168.1.1/tcp/1", false},  {"/ip4/169.254.1.1/tcp/1", false},
      {"/ip4/0.1.2.3/tcp/1", false},      {"/ip4/192.0.2.7/tcp/1", false},
      {"/ip4/198.19.0.1/tcp/1", false},   {"/ip4/198.20.0.1/tcp/1", true},
      {"/ip4/203.0.113.9/tcp/1", false},  {"/ip4/224.0.0.1/tcp/1", false},
      {"/ip4/255.255.255.255/tcp/1", false},
      {"/ip6/2001:4860::1/tcp/1", true},  {"/ip6/2001:db8::1/tcp/1", false},
      {"/ip6/::1/tcp/1", false},          {"/ip6/fe80::1/tcp/1", false},
      {"/ip6/fd00::1/tcp/1", false},      {"/ip6/64:ff9b::808:808/tcp/1", true},
      {"/ip6/::ffff:8.8.8.8/tcp/1", false},
      {"/dns4/example.com/tcp/1", true},  {"/dns/localhost/tcp/1", false},
      {"/dns/a.local/tcp/1", false},      {"/dns/x.test/tcp/1", false},
      {"/tcp/1", false},
  };
  uint8_t b[NET_MA_MAX];
  for (size_t i = 0; i < TR_ARRAY_LEN(v); i++) {
    size_t n = ma(v[i].a, b);
    if (net_ma_is_public(b, n) != v[i].pub)
      fail_msg("%s: expected %s", v[i].a, v[i].pub ? "public" : "not");
  }
}

static void test_pick(void **state) {
  (void)state;
  net_an_msg_t *m = calloc(1, sizeof *m);
  const char *addrs[] = {
      "/ip4/10.0.0.1/tcp/4001",            /* private */
      "/ip4/8.8.8.8/udp/4001/quic-v1",     /* not TCP */
      "/dns4/example.com/tcp/4001",        /* a name: the host dials IPs */
      "/ip4/8.8.4.4/tcp/4001/wss",         /* TLS: the host cannot */
      "/ip4/8.8.4.4/tcp/4001/ws/ws",       /* not an address */
      "/ip4/1.2.3.4/tcp/4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA",
      "/ip4/5.6.7.8/tcp/4001",
      "/ip4/9.9.9.9/tcp/4002/ws/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA",
  };
  m->naddrs = TR_ARRAY_LEN(addrs);
  for (size_t i = 0; i < m->naddrs; i++)
    m->addrlen[i] = (uint8_t)ma(addrs[i], m->addrs[i]);
  assert_int_equal(net_an_pick(m, false), 5);
  assert_int_equal(net_an_pick(m, true), 0);
  m->addrlen[5] = 0; /* too long to keep: skipped */
  assert_int_equal(net_an_pick(m, false), 6);
  m->addrlen[6] = 0;
  assert_int_equal(net_an_pick(m, false), 7); /* /ws, the host dials it */
  m->naddrs = 5;
  assert_int_equal(net_an_pick(m, false), -1);
  /* Amplification: data when the IP is not the one the client is at. */
  uint8_t o[NET_MA_MAX], a[NET_MA_MAX];
  size_t on = ma("/ip4/1.2.3.4/tcp/55555", o);
  assert_false(net_an_needs_data(o, on, a, ma("/ip4/1.2.3.4/tcp/4001", a)));
  assert_true(net_an_needs_data(o, on, a, ma("/ip4/1.2.3.5/tcp/4001", a)));
  assert_true(net_an_needs_data(o, on, a, ma("/ip6/::1.2.3.4/tcp/4001", a)));
  on = ma("/ip6/2001:4860::1/tcp/9", o);
  assert_false(net_an_needs_data(o, on, a, ma("/ip6/2001:4860::1/tcp/1", a)));
  free(m);
}

static void test_data_feed(void **state) {
  (void)state;
  net_an_data_t d = {30000, 0};
  net_an_msg_t *m = calloc(1, sizeof *m);
  m->type = NET_AN_DATA_RESPONSE;
  m->data_len = NET_AN_DATA_CHUNK;
  for (int i = 0; i < 7; i++)
    assert_int_equal(net_an_data_feed(&d, m), 0);
  m->data_len = 99; /* crumbs before the end */
  assert_int_equal(net_an_data_feed(&d, m), TR_EPROTO);
  d = (net_an_data_t){30000, 29950};
  m->data_len = 50; /* a small last message is fine */
  assert_int_equal(net_an_data_feed(&d, m), 1);
  d = (net_an_data_t){30000, 0};
  m->type = NET_AN_DIAL_REQUEST;
  assert_int_equal(net_an_data_feed(&d, m), TR_EPROTO);
  free(m);
}

static void test_limiter(void **state) {
  (void)state;
  net_an_limiter_t *l = calloc(1, sizeof *l);
  net_an_limiter_init(l);
  net_peerid_t p[6];
  for (int i = 0; i < 6; i++) {
    memset(&p[i], 0, sizeof p[i]);
    p[i].len = 3, p[i].bytes[0] = (uint8_t)i;
  }
  uint64_t t = 1000000;
  /* Two at once per peer. */
  assert_true(net_an_limiter_accept(l, &p[0], t));
  assert_true(net_an_limiter_accept(l, &p[0], t));
  assert_false(net_an_limiter_accept(l, &p[0], t));
  net_an_limiter_done(l, &p[0]);
  net_an_limiter_done(l, &p[0]);
  /* NET_AN_SERVER_PEER_RPM a minute per peer. */
  for (int i = 2; i < NET_AN_SERVER_PEER_RPM; i++) {
    assert_true(net_an_limiter_accept(l, &p[0], t + (uint64_t)i));
    net_an_limiter_done(l, &p[0]);
  }
  assert_false(net_an_limiter_accept(l, &p[0], t + 100));
  assert_true(net_an_limiter_accept(l, &p[1], t + 100));
  net_an_limiter_done(l, &p[1]);
  /* A minute later the peer may ask again. */
  assert_true(net_an_limiter_accept(l, &p[0], t + NET_AN_LIMIT_WINDOW_MS));
  net_an_limiter_done(l, &p[0]);
  /* NET_AN_SERVER_RPM in all. */
  net_an_limiter_init(l);
  int ok = 0;
  for (int i = 0; i < 100; i++)
    if (net_an_limiter_accept(l, &p[i % 6], t)) {
      ok++;
      net_an_limiter_done(l, &p[i % 6]);
    }
  assert_int_equal(ok, 6 * NET_AN_SERVER_PEER_RPM < NET_AN_SERVER_RPM
                           ? 6 * NET_AN_SERVER_PEER_RPM
                           : NET_AN_SERVER_RPM);
  /* Dial data: NET_AN_SERVER_DATA_RPM a minute. */
  for (int i = 0; i < NET_AN_SERVER_DATA_RPM; i++)
    assert_true(net_an_limiter_accept_data(l, t));
  assert_false(net_an_limiter_accept_data(l, t + 1));
  assert_true(net_an_limiter_accept_data(l, t + NET_AN_LIMIT_WINDOW_MS));
  free(l);
}

/* ------------------------------------------------------------- tally */

static void test_tally(void **state) {
  (void)state;
  net_an_tally_t *t = calloc(1, sizeof *t);
  uint8_t a[2][NET_MA_MAX];
  size_t lens[2] = {ma("/ip4/1.2.3.4/tcp/4001", a[0]),
                    ma("/ip6/2001:4860::1/tcp/4001", a[1])};
  const uint8_t *ptr[2] = {a[0], a[1]};
  net_an_tally_set(t, ptr, lens, 2);
  assert_int_equal(t->n, 2);
  uint64_t now = 1000000;
  assert_int_equal(net_an_tally_reach(t, now), NET_REACH_UNKNOWN);
  assert_int_equal(net_an_addr_needed(&t->a[0], now), NET_AN_TARGET_CONFIDENCE);
  /* One success is not enough; two are. */
  net_an_tally_outcome(t, a[0], lens[0], now, NET_AN_OUT_OK);
  assert_int_equal(net_an_addr_reach(&t->a[0], now), NET_REACH_UNKNOWN);
  net_an_tally_outcome(t, a[0], lens[0], now + 1, NET_AN_OUT_OK);
  assert_int_equal(net_an_addr_reach(&t->a[0], now), NET_REACH_PUBLIC);
  assert_int_equal(net_an_tally_reach(t, now), NET_REACH_PUBLIC);
  assert_int_equal(net_an_addr_needed(&t->a[0], now), 1);
  /* The other address needs more: it is picked. */
  assert_int_equal(net_an_tally_pick(t, now), 1);
  t->a[1].busy = 3;
  assert_int_equal(net_an_tally_pick(t, now), 0);
  t->a[1].busy = 0;
  net_an_tally_outcome(t, a[0], lens[0], now + 2, NET_AN_OUT_OK);
  assert_int_equal(net_an_addr_needed(&t->a[0], now + 3), 0);
  /* Confident, then a recheck an hour on, or when the last disagrees. */
  assert_int_equal(net_an_addr_needed(&t->a[0], now + NET_AN_RECHECK_MS + 10), 1);
  net_an_tally_outcome(t, a[0], lens[0], now + 4, NET_AN_OUT_FAIL);
  assert_int_equal(net_an_addr_reach(&t->a[0], now + 5), NET_REACH_PUBLIC);
  assert_int_equal(net_an_addr_needed(&t->a[0], now + 5), 1);
  /* Failures win the window. */
  for (int i = 0; i < 4; i++)
    net_an_tally_outcome(t, a[0], lens[0], now + 10 + i, NET_AN_OUT_FAIL);
  assert_int_equal(t->a[0].nout, NET_AN_OUTCOMES);
  assert_int_equal(net_an_addr_reach(&t->a[0], now + 20), NET_REACH_PRIVATE);
  assert_int_equal(net_an_tally_reach(t, now + 20), NET_REACH_PRIVATE);
  /* One reachable address makes the node public. */
  net_an_tally_outcome(t, a[1], lens[1], now + 21, NET_AN_OUT_OK);
  net_an_tally_outcome(t, a[1], lens[1], now + 22, NET_AN_OUT_OK);
  assert_int_equal(net_an_tally_reach(t, now + 23), NET_REACH_PUBLIC);
  /* Results go stale. */
  assert_int_equal(net_an_tally_reach(t, now + NET_AN_RESULT_TTL_MS + 100),
                   NET_REACH_UNKNOWN);
  /* Setting the addresses keeps what is known of those that stay. */
  net_an_tally_outcome(t, a[1], lens[1], now + 30, NET_AN_OUT_OK);
  net_an_tally_outcome(t, a[1], lens[1], now + 31, NET_AN_OUT_OK);
  net_an_tally_set(t, ptr + 1, lens + 1, 1);
  assert_int_equal(t->n, 1);
  assert_int_equal(net_an_addr_reach(&t->a[0], now + 32), NET_REACH_PUBLIC);
  /* Refusals: after NET_AN_REFUSALS_MAX the address rests. */
  net_an_tally_set(t, ptr, lens, 1);
  for (int i = 0; i < NET_AN_REFUSALS_MAX; i++)
    net_an_tally_outcome(t, a[0], lens[0], now, NET_AN_OUT_REFUSED);
  assert_int_equal(net_an_addr_needed(&t->a[0], now + 1), 0);
  assert_int_equal(net_an_tally_pick(t, now + 1), -1);
  assert_true(net_an_addr_needed(&t->a[0], now + NET_AN_RECENT_MS + 1) > 0);
  /* An untracked address's answer is ignored. */
  uint8_t x[NET_MA_MAX];
  size_t xl = ma("/ip4/9.9.9.9/tcp/1", x);
  net_an_tally_outcome(t, x, xl, now, NET_AN_OUT_OK);
  assert_int_equal(t->n, 1);
  free(t);
}

/* ------------------------------------------------- observed addresses */

typedef struct got {
  char s[4][128];
  unsigned obs[4];
  int n;
} got_t;

static void got_one(const uint8_t *m, size_t len, unsigned observers,
                    void *ud) {
  got_t *g = ud;
  assert_true(g->n < 4);
  assert_true(net_ma_format(m, len, g->s[g->n], 128) > 0);
  g->obs[g->n++] = observers;
}

static void test_observed(void **state) {
  (void)state;
  net_obs_t o;
  net_obs_init(&o);
  uint8_t l[NET_MA_MAX], r[NET_MA_MAX], x[NET_MA_MAX], lp[NET_MA_MAX];
  size_t ll = ma("/ip4/192.168.1.2/tcp/4001", l);
  size_t xl = ma("/ip4/5.5.5.5/tcp/4001", x);
  char rs[64];
  /* Three observers from distinct IPs, one of them on two connections. */
  for (uintptr_t c = 1; c <= 3; c++) {
    snprintf(rs, sizeof rs, "/ip4/8.8.8.%u/tcp/1234", (unsigned)c);
    assert_int_equal(net_obs_record(&o, c, l, ll, r, ma(rs, r), x, xl), 1);
  }
  assert_int_equal(net_obs_record(&o, 9, l, ll, r,
                                  ma("/ip4/8.8.8.1/tcp/999", r), x, xl), 1);
  got_t g = {0};
  assert_int_equal(net_obs_addrs_for(&o, l, ll, 0, got_one, &g), 0);
  /* Two IPv6 peers in one /56 count once: still three. */
  assert_int_equal(net_obs_record(&o, 4, l, ll, r,
                                  ma("/ip6/2001:4860:0:1::1/tcp/5", r), x, xl), 1);
  assert_int_equal(net_obs_record(&o, 5, l, ll, r,
                                  ma("/ip6/2001:4860:0:2::9/tcp/5", r), x, xl), 1);
  g.n = 0;
  assert_int_equal(net_obs_addrs_for(&o, l, ll, 0, got_one, &g), 1);
  assert_string_equal(g.s[0], "/ip4/5.5.5.5/tcp/4001");
  assert_int_equal(g.obs[0], NET_OBS_ACTIVATION);
  /* The rest of the listen address follows the observed thin waist. */
  size_t lpl = ma("/ip4/192.168.1.2/tcp/4001/ws", lp);
  g.n = 0;
  assert_int_equal(net_obs_addrs_for(&o, lp, lpl, 0, got_one, &g), 1);
  assert_string_equal(g.s[0], "/ip4/5.5.5.5/tcp/4001/ws");
  /* Another listen port saw nothing. */
  assert_int_equal(net_obs_addrs_for(&o, r, ma("/ip4/192.168.1.2/tcp/4002", r),
                                     0, NULL, NULL), 0);
  /* A connection that closes takes its observation along. */
  net_obs_forget(&o, 4);
  net_obs_forget(&o, 5);
  assert_int_equal(net_obs_addrs_for(&o, l, ll, 0, NULL, NULL), 0);
  /* A connection that reports again replaces its observation. */
  assert_int_equal(net_obs_record(&o, 4, l, ll, r,
                                  ma("/ip4/7.7.7.7/tcp/5", r), x, xl), 1);
  assert_int_equal(net_obs_addrs_for(&o, l, ll, 0, NULL, NULL), 1);
  assert_int_equal(net_obs_record(&o, 4, l, ll, r,
                                  ma("/ip4/7.7.7.7/tcp/5", r), l, ll), 1);
  assert_int_equal(net_obs_addrs_for(&o, l, ll, 0, NULL, NULL), 0);
  /* Not kept: loopback, another transport, no IP, a relay, no conn. */
  size_t rl = ma("/ip4/6.6.6.6/tcp/5", r);
  uint8_t y[NET_MA_MAX];
  assert_int_equal(net_obs_record(&o, 7, l, ll, r, rl, y,
                                  ma("/ip4/127.0.0.1/tcp/4001", y)), 0);
  assert_int_equal(net_obs_record(&o, 7, l, ll, r, rl, y,
                                  ma("/ip6/2001:4860::5/tcp/4001", y)), 0);
  assert_int_equal(net_obs_record(&o, 7, l, ll, r, rl, y,
                                  ma("/ip4/5.5.5.5/udp/4001", y)), 0);
  assert_int_equal(net_obs_record(&o, 7, l, ll, r, rl, y,
                                  ma("/dns4/a.com/tcp/4001", y)), 0);
  assert_int_equal(
      net_obs_record(&o, 7, l, ll, r, rl, y,
                     ma("/ip4/5.5.5.5/tcp/4001/p2p-circuit", y)), 0);
  assert_int_equal(net_obs_record(&o, 0, l, ll, r, rl, x, xl), 0);
  assert_int_equal(net_obs_record(&o, 7, l, ll, y, ma("/dns4/a.com/tcp/1", y),
                                  x, xl), 0);
  /* At most NET_OBS_PER_LISTEN, most observed first. */
  net_obs_free(&o);
  net_obs_init(&o);
  uintptr_t c = 1;
  for (int k = 0; k < 5; k++) { /* address k: 4 + k observers */
    char xs[64];
    snprintf(xs, sizeof xs, "/ip4/5.5.5.%d/tcp/4001", k);
    size_t kl = ma(xs, x);
    for (int i = 0; i < 4 + k; i++, c++) {
      snprintf(rs, sizeof rs, "/ip4/9.%d.%d.1/tcp/1", k, i);
      assert_int_equal(net_obs_record(&o, c, l, ll, r, ma(rs, r), x, kl), 1);
    }
  }
  g.n = 0;
  assert_int_equal(net_obs_addrs_for(&o, l, ll, 0, got_one, &g),
                   NET_OBS_PER_LISTEN);
  assert_string_equal(g.s[0], "/ip4/5.5.5.4/tcp/4001");
  assert_string_equal(g.s[1], "/ip4/5.5.5.3/tcp/4001");
  assert_string_equal(g.s[2], "/ip4/5.5.5.2/tcp/4001");
  /* Full: the oldest observation makes room. */
  for (uintptr_t k = 0; k < NET_OBS_MAX + 5; k++)
    assert_int_equal(net_obs_record(&o, 1000 + k, l, ll, r,
                                    ma("/ip4/9.9.9.9/tcp/1", r), x, xl), 1);
  assert_int_equal(o.n, NET_OBS_MAX);
  net_obs_free(&o);
}

/* ------------------------------------------------ hosts on 127.0.0.1 */

typedef struct t {
  uv_loop_t loop;
  net_host_t *a, *b;
  net_autonat_t *an_a, *an_b;
  char addr_b[1024];
  int connected, changes, closed, back_closed, back_status;
  net_reach_t last;
} t_t;

#define RUN_UNTIL(t, cond)                                                     \
  for (int _i = 0; _i < 2000 && !(cond); _i++)                                 \
    uv_run(&(t)->loop, UV_RUN_NOWAIT), usleep(5000)

static void on_change(net_autonat_t *an, net_reach_t r, void *ud) {
  (void)an;
  t_t *t = ud;
  t->changes++;
  t->last = r;
}

static void on_conn(net_host_t *h, int status, const net_peerid_t *p,
                    void *ud) {
  (void)h, (void)p;
  t_t *t = ud;
  assert_int_equal(status, 0);
  t->connected++;
}

static void on_closed(void *ud) { ((t_t *)ud)->closed++; }

static void hosts_on(t_t *t, bool a_private, bool b_private,
                     const char *a_listen) {
  assert_int_equal(uv_loop_init(&t->loop), 0);
  net_privkey_t ka, kb;
  assert_int_equal(net_privkey_generate(&ka), 0);
  assert_int_equal(net_privkey_generate(&kb), 0);
  net_host_opts_t oa = {.key = &ka, .agent = "trove/client"};
  net_host_opts_t ob = {.key = &kb, .agent = "trove/server"};
  assert_int_equal(net_host_new(&t->loop, &oa, &t->a), 0);
  assert_int_equal(net_host_new(&t->loop, &ob, &t->b), 0);
  assert_int_equal(net_host_listen(t->a, a_listen), 0);
  assert_int_equal(net_host_listen(t->b, "/ip4/127.0.0.1/tcp/0"), 0);
  net_autonat_opts_t ca = {.client = true, .allow_private = a_private,
                           .tick_ms = 20, .throttle_ms = 1,
                           .on_change = on_change, .data = t};
  net_autonat_opts_t cb = {.service = true, .allow_private = b_private,
                           .tick_ms = 20};
  assert_int_equal(net_autonat_new(t->a, &ca, &t->an_a), 0);
  assert_int_equal(net_autonat_new(t->b, &cb, &t->an_b), 0);
  char addrs[2][NET_MA_STR_MAX / 16], id[NET_PEERID_STR_MAX];
  assert_int_equal(net_host_addrs(t->b, addrs, 2), 1);
  assert_true(net_peerid_format(net_host_id(t->b), 0, id, sizeof id) > 0);
  snprintf(t->addr_b, sizeof t->addr_b, "%s/p2p/%s", addrs[0], id);
  assert_int_equal(net_host_connect(t->a, t->addr_b, on_conn, t), 0);
  RUN_UNTIL(t, t->connected);
  assert_int_equal(t->connected, 1);
}

static void hosts(t_t *t, bool a_private, bool b_private) {
  hosts_on(t, a_private, b_private, "/ip4/127.0.0.1/tcp/0");
}

static void hosts_end(t_t *t) {
  net_autonat_close(t->an_a);
  net_autonat_close(t->an_b);
  net_host_close(t->a, on_closed, t);
  net_host_close(t->b, on_closed, t);
  uv_run(&t->loop, UV_RUN_DEFAULT);
  assert_int_equal(t->closed, 2);
  assert_int_equal(uv_loop_close(&t->loop), 0);
}

static void count_addr(const char *a, net_reach_t r, void *ud) {
  (void)a;
  if (r == NET_REACH_PUBLIC)
    (*(int *)ud)++;
}

static void test_public_loopback(void **state) {
  (void)state;
  t_t *t = calloc(1, sizeof *t);
  hosts(t, true, true);
  RUN_UNTIL(t, net_autonat_reachability(t->an_a) == NET_REACH_PUBLIC);
  assert_int_equal(net_autonat_reachability(t->an_a), NET_REACH_PUBLIC);
  assert_int_equal(t->changes, 1);
  assert_int_equal(t->last, NET_REACH_PUBLIC);
  int pub = 0;
  assert_int_equal(net_autonat_addrs(t->an_a, count_addr, &pub), 1);
  assert_int_equal(pub, 1);
  /* The dial-backs came on new connections, from throwaway PeerIDs: a
   * still has one connection to b, and knows peers other than b. */
  assert_true(net_host_connected(t->a, net_host_id(t->b)));
  assert_true(net_host_peerstore(t->a)->n >= 2);
  hosts_end(t);
  free(t);
}

/* The client listens on 127.0.0.2 but reaches the server from 127.0.0.1:
 * the server asks for dial data (amplification prevention), the client
 * pays it, the server dials back: Public. */
static void test_dial_data(void **state) {
  (void)state;
  t_t *t = calloc(1, sizeof *t);
  hosts_on(t, true, true, "/ip4/127.0.0.2/tcp/0");
  RUN_UNTIL(t, net_autonat_reachability(t->an_a) == NET_REACH_PUBLIC);
  assert_int_equal(net_autonat_reachability(t->an_a), NET_REACH_PUBLIC);
  hosts_end(t);
  free(t);
}

/* A dial-back with a nonce nobody asked for is reset. */
static void bad_close(net_stream_t *s, int status) {
  (void)s;
  t_t *t = net_stream_ud(s);
  t->back_closed++;
  t->back_status = status;
}
static void bad_fin(net_stream_t *s) { net_stream_close(s); }
static const net_stream_cbs_t BAD = {NULL, bad_fin, bad_close, NULL};

static void on_bad_open(net_stream_t *s, int status, void *ud) {
  assert_int_equal(status, 0);
  net_stream_set(s, &BAD, ud);
  tr_bytes_t b = {0};
  assert_int_equal(net_an_back_encode(0x1234, &b), 0);
  assert_int_equal(net_stream_write(s, b.data, b.len), 0);
  tr_bytes_free(&b);
}

/* A server that asks for more dial data than a client pays. */
static void greedy_close(net_stream_t *s, int status) {
  t_t *t = net_stream_ud(s);
  t->back_closed++;
  t->back_status = status;
}
static const net_stream_cbs_t GREEDY = {NULL, NULL, greedy_close, NULL};
static void on_greedy(net_stream_t *s, void *ud) {
  net_stream_set(s, &GREEDY, ud);
  net_an_msg_t m = {.type = NET_AN_DATA_REQUEST, .num_bytes = NET_AN_DATA_MAX + 1};
  tr_bytes_t b = {0};
  assert_int_equal(net_an_encode(&m, &b), 0);
  assert_int_equal(net_stream_write(s, b.data, b.len), 0);
  tr_bytes_free(&b);
}

static void test_hostile_peers(void **state) {
  (void)state;
  t_t *t = calloc(1, sizeof *t);
  /* b serves, a does not check (no client): b talks to a by hand. */
  hosts(t, true, true);
  RUN_UNTIL(t, net_host_connected(t->b, net_host_id(t->a)));
  assert_int_equal(net_host_open(t->b, net_host_id(t->a), NET_AN_BACK_PROTOCOL,
                                 on_bad_open, t), 0);
  RUN_UNTIL(t, t->back_closed);
  assert_int_equal(t->back_closed, 1);
  assert_int_equal(t->back_status, -ECONNRESET);
  hosts_end(t);
  free(t);

  /* A greedy server: the client resets the stream, learns nothing. */
  t = calloc(1, sizeof *t);
  assert_int_equal(uv_loop_init(&t->loop), 0);
  net_privkey_t ka, kb;
  assert_int_equal(net_privkey_generate(&ka), 0);
  assert_int_equal(net_privkey_generate(&kb), 0);
  net_host_opts_t oa = {.key = &ka}, ob = {.key = &kb};
  assert_int_equal(net_host_new(&t->loop, &oa, &t->a), 0);
  assert_int_equal(net_host_new(&t->loop, &ob, &t->b), 0);
  assert_int_equal(net_host_listen(t->a, "/ip4/127.0.0.1/tcp/0"), 0);
  assert_int_equal(net_host_listen(t->b, "/ip4/127.0.0.1/tcp/0"), 0);
  assert_int_equal(net_host_handle(t->b, NET_AN_DIAL_PROTOCOL, on_greedy, t), 0);
  net_autonat_opts_t ca = {.client = true, .allow_private = true,
                           .tick_ms = 20, .on_change = on_change, .data = t};
  assert_int_equal(net_autonat_new(t->a, &ca, &t->an_a), 0);
  char addrs[2][NET_MA_STR_MAX / 16];
  assert_int_equal(net_host_addrs(t->b, addrs, 2), 1);
  assert_int_equal(net_host_connect(t->a, addrs[0], on_conn, t), 0);
  RUN_UNTIL(t, t->back_closed);
  assert_int_equal(t->back_closed, 1);
  assert_int_equal(t->back_status, -ECONNRESET);
  assert_int_equal(net_autonat_reachability(t->an_a), NET_REACH_UNKNOWN);
  net_autonat_close(t->an_a);
  net_host_close(t->a, on_closed, t);
  net_host_close(t->b, on_closed, t);
  uv_run(&t->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&t->loop), 0);
  free(t);
}

/* A server that does not allow private addresses refuses 127.0.0.1: a
 * DialRequest by hand gets DialResponse{E_DIAL_REFUSED}. */
typedef struct hand {
  t_t *t;
  tr_bytes_t in;
  net_an_msg_t m;
  int got;
} hand_t;

static void hand_data(net_stream_t *s, const uint8_t *d, size_t n) {
  hand_t *h = net_stream_ud(s);
  assert_int_equal(tr_bytes_append(&h->in, d, n), 0);
  const uint8_t *body;
  size_t blen;
  if (net_an_frame(h->in.data, h->in.len, NET_AN_MSG_MAX, &body, &blen) > 0) {
    assert_int_equal(net_an_decode(body, blen, &h->m), 0);
    h->got++;
  }
}
static void hand_fin(net_stream_t *s) { net_stream_close(s); }
static void hand_close(net_stream_t *s, int status) {
  (void)status;
  hand_t *h = net_stream_ud(s);
  h->t->back_closed++;
}
static const net_stream_cbs_t HAND = {hand_data, hand_fin, hand_close, NULL};

static void on_hand_open(net_stream_t *s, int status, void *ud) {
  hand_t *h = ud;
  assert_int_equal(status, 0);
  net_stream_set(s, &HAND, h);
  net_an_msg_t *m = calloc(1, sizeof *m);
  m->type = NET_AN_DIAL_REQUEST;
  m->naddrs = 2;
  m->addrlen[0] = (uint8_t)ma("/ip4/127.0.0.1/tcp/1", m->addrs[0]);
  m->addrlen[1] = (uint8_t)ma("/ip4/10.0.0.1/tcp/1", m->addrs[1]);
  m->nonce = 7;
  tr_bytes_t b = {0};
  assert_int_equal(net_an_encode(m, &b), 0);
  assert_int_equal(net_stream_write(s, b.data, b.len), 0);
  tr_bytes_free(&b);
  free(m);
}

static void test_refused(void **state) {
  (void)state;
  t_t *t = calloc(1, sizeof *t);
  hosts(t, true, false);
  hand_t *h = calloc(1, sizeof *h);
  h->t = t;
  assert_int_equal(net_host_open(t->a, net_host_id(t->b), NET_AN_DIAL_PROTOCOL,
                                 on_hand_open, h), 0);
  RUN_UNTIL(t, t->back_closed);
  assert_int_equal(h->got, 1);
  assert_int_equal(h->m.type, NET_AN_DIAL_RESPONSE);
  assert_int_equal(h->m.status, NET_AN_RS_REFUSED);
  /* The client's own checks were refused the same way: no verdict. */
  assert_int_equal(net_autonat_reachability(t->an_a), NET_REACH_UNKNOWN);
  assert_int_equal(t->changes, 0);
  tr_bytes_free(&h->in);
  free(h);
  hosts_end(t);
  free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_encode),         cmocka_unit_test(test_decode),
      cmocka_unit_test(test_hostile),        cmocka_unit_test(test_public),
      cmocka_unit_test(test_pick),           cmocka_unit_test(test_data_feed),
      cmocka_unit_test(test_limiter),        cmocka_unit_test(test_tally),
      cmocka_unit_test(test_observed),       cmocka_unit_test(test_public_loopback),
      cmocka_unit_test(test_dial_data),      cmocka_unit_test(test_hostile_peers),
      cmocka_unit_test(test_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

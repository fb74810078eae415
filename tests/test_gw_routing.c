/*
 * test_gw_routing.c — the gateway's Delegated Routing V1 API
 * (gateway/gw_routing.c): its pure parsers (routes, Accept, keys), then the
 * handler on a real HTTP server (http_harness.h) with a fake router whose
 * lookups end when the test says, so that the answers' shapes, a client
 * that leaves mid-lookup (the lookup is cancelled) and the deadline (what
 * was found so far is the answer) can be checked without a DHT.
 * routing_v1.sh runs the real thing against Helia and Kubo.
 */
#include "http_harness.h"

#include "../gateway/gw_int.h"

/* ------------------------------------------------------------ parsers */

static void test_route(void **st) {
  (void)st;
  const char *k;
  size_t kl;
  assert_int_equal(gw__rt_route("/routing/v1/providers/bafyX", &k, &kl),
                   GW_RT_PROVIDERS);
  assert_int_equal(kl, 5);
  assert_memory_equal(k, "bafyX", 5);
  assert_int_equal(gw__rt_route("/routing/v1/peers/12D3", &k, &kl), GW_RT_PEERS);
  assert_int_equal(gw__rt_route("/routing/v1/ipns/k51", &k, &kl), GW_RT_IPNS);
  /* One segment, not empty, nothing after it (gorilla/mux's {cid}). */
  assert_int_equal(gw__rt_route("/routing/v1/providers/", &k, &kl), 0);
  assert_int_equal(gw__rt_route("/routing/v1/providers/a/b", &k, &kl), 0);
  assert_int_equal(gw__rt_route("/routing/v1/providers/a/", &k, &kl), 0);
  assert_int_equal(gw__rt_route("/routing/v1/dht/closest/peers/x", &k, &kl), 0);
  assert_int_equal(gw__rt_route("/routing/v1/providersX/a", &k, &kl), 0);
}

static void test_accept(void **st) {
  (void)st;
  assert_int_equal(gw__rt_accept(NULL), GW_RT_JSON);
  assert_int_equal(gw__rt_accept(""), GW_RT_JSON);
  assert_int_equal(gw__rt_accept("application/json"), GW_RT_JSON);
  assert_int_equal(gw__rt_accept("*/*"), GW_RT_JSON);
  assert_int_equal(gw__rt_accept("text/html, */*;q=0.1"), GW_RT_JSON);
  /* NDJSON wins whenever listed, whatever the q (boxo). */
  assert_int_equal(gw__rt_accept("application/x-ndjson"), GW_RT_NDJSON);
  assert_int_equal(
      gw__rt_accept("application/json;q=1, application/x-ndjson;q=0.1"),
      GW_RT_NDJSON);
  assert_int_equal(gw__rt_accept("application/x-ndjson, application/json;q=0.8"),
                   GW_RT_NDJSON);
  assert_int_equal(gw__rt_accept("Application/JSON"), GW_RT_JSON);
  assert_int_equal(gw__rt_accept("text/html"), TR_ENOTFOUND);
  assert_int_equal(gw__rt_accept("application/json-seq"), TR_ENOTFOUND);
  assert_int_equal(gw__rt_accept("garbage"), -EINVAL);
}

static void test_key(void **st) {
  (void)st;
  uint8_t mh[DAG_MH_MAX];
  size_t n;
  /* Providers: a CIDv1 and a CIDv0 give the same sha2-256 multihash. */
  const char *v1 = "bafybeie5nqv6kd3qnfjupgvz34woh3oksc3iau6abmyajn7qvtf6d2ho34";
  const char *v0 = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG";
  assert_int_equal(gw__rt_key(GW_RT_PROVIDERS, v1, strlen(v1), mh, sizeof mh, &n), 0);
  assert_int_equal(n, 34);
  assert_int_equal(mh[0], 0x12);
  uint8_t mh0[DAG_MH_MAX];
  size_t n0;
  assert_int_equal(gw__rt_key(GW_RT_PROVIDERS, v0, strlen(v0), mh0, sizeof mh0, &n0), 0);
  assert_int_equal(n0, n);
  assert_memory_equal(mh0, mh, n);
  assert_int_not_equal(gw__rt_key(GW_RT_PROVIDERS, "nope", 4, mh, sizeof mh, &n), 0);
  /* Percent-escapes are decoded; a broken one is refused. */
  assert_int_equal(gw__rt_key(GW_RT_PROVIDERS, "%62afybeie5nqv6kd3qnfjupgvz34woh3oksc3iau6abmyajn7qvtf6d2ho34",
                              61, mh, sizeof mh, &n), 0);
  assert_int_equal(gw__rt_key(GW_RT_PROVIDERS, "%zz", 3, mh, sizeof mh, &n), -EINVAL);
  char big[GW_RT_KEY_MAX + 2];
  memset(big, 'b', sizeof big);
  assert_int_equal(gw__rt_key(GW_RT_PROVIDERS, big, sizeof big, mh, sizeof mh, &n),
                   TR_ETOOBIG);

  /* Peers: bare base58btc, the same as a libp2p-key CID (base36), and any
   * CID's multihash (boxo's parsePeerID). */
  const char *pid = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";
  const char *pcid = "k51qzi5uqu5dhdmyb9bd18pypu2wp5lpv2xnskfmrqa4lb5knqryrotb05e7or";
  uint8_t a[DAG_MH_MAX], b[DAG_MH_MAX];
  size_t al, bl;
  assert_int_equal(gw__rt_key(GW_RT_PEERS, pid, strlen(pid), a, sizeof a, &al), 0);
  assert_int_equal(a[0], 0x00); /* identity: an Ed25519 key inlined */
  assert_int_equal(al, 38);
  assert_int_equal(gw__rt_key(GW_RT_PEERS, pcid, strlen(pcid), b, sizeof b, &bl), 0);
  assert_int_equal(bl, al);
  assert_memory_equal(a, b, al);
  assert_int_equal(gw__rt_key(GW_RT_PEERS, v1, strlen(v1), a, sizeof a, &al), 0);
  assert_int_equal(al, 34);
  assert_int_not_equal(gw__rt_key(GW_RT_PEERS, "12D3KooW0OIl", 12, a, sizeof a, &al), 0);

  /* IPNS: only a libp2p-key CID. */
  assert_int_equal(gw__rt_key(GW_RT_IPNS, pcid, strlen(pcid), a, sizeof a, &al), 0);
  assert_memory_equal(a, b, bl);
  assert_int_equal(gw__rt_key(GW_RT_IPNS, v1, strlen(v1), a, sizeof a, &al), TR_ECODEC);
  assert_int_not_equal(gw__rt_key(GW_RT_IPNS, pid, strlen(pid), a, sizeof a, &al), 0);
}

/* ------------------------------------------------------ a fake router */

/* One lookup at a time.  mode: what the next lookup does. */
enum { F_FINISH, F_HANG, F_NOTFOUND, F_FAIL_NOW };
static int f_mode;
static int f_kind; /* 1 providers, 2 peer, 3 get, 4 put */
static size_t f_max = 99;
static int f_cancels, f_lookups, f_puts;
static uv_timer_t *f_timer; /* the running lookup's, closed at its end */
static gw_peer_cb f_on_peer;
static gw_done_cb f_on_done;
static gw_ipns_cb f_on_ipns;
static void *f_ud;
static uint8_t f_body[16384];
static size_t f_body_len;
static const uint8_t F_REC[] = "a record, as far as the gateway knows";
static int f_token; /* the handle */

static const char *const ADDRS1[] = {"/ip4/1.2.3.4/tcp/4001",
                                     "/dns4/a\"b.example/tcp/1"};
static const gw_peer_t P1 = {"12D3KooWA", ADDRS1, 2};
static const gw_peer_t P2 = {"12D3KooWB", NULL, 0};

static void f_timer_close(void) {
  uv_close((uv_handle_t *)f_timer, (uv_close_cb)free);
  f_timer = NULL;
}

static void f_fire(uv_timer_t *t) {
  (void)t;
  f_timer_close();
  switch (f_kind) {
  case 1:
    f_on_peer(f_ud, &P1);
    f_on_peer(f_ud, &P2);
    f_on_done(f_ud, 0);
    break;
  case 2:
    if (f_mode == F_NOTFOUND)
      f_on_done(f_ud, TR_ENOTFOUND);
    else {
      f_on_peer(f_ud, &P1);
      f_on_done(f_ud, 0);
    }
    break;
  case 3: {
    if (f_mode == F_NOTFOUND) {
      f_on_ipns(f_ud, TR_ENOTFOUND, NULL);
      break;
    }
    gw_ipns_t r = {F_REC, sizeof F_REC - 1, (int64_t)time(NULL) + 3600, 60,
                   "/ipfs/bafkqaaa"};
    f_on_ipns(f_ud, 0, &r);
    break;
  }
  default:
    f_on_done(f_ud, 0);
  }
}

static int f_begin(int kind, void *ud, void **lookup) {
  if (f_mode == F_FAIL_NOW)
    return -ENOTSUP;
  f_timer = malloc(sizeof *f_timer);
  uv_timer_init(&loop, f_timer);
  f_kind = kind;
  f_ud = ud;
  *lookup = &f_token;
  f_lookups++;
  if (f_mode != F_HANG)
    uv_timer_start(f_timer, f_fire, 1, 0);
  return 0;
}

static int f_find_providers(void *ud, const uint8_t *mh, size_t mhl,
                            size_t max, gw_peer_cb on_peer, gw_done_cb on_done,
                            void *cb_ud, void **lookup) {
  (void)ud, (void)mh, (void)mhl;
  f_max = max;
  f_on_peer = on_peer, f_on_done = on_done;
  int rc = f_begin(1, cb_ud, lookup);
  if (!rc && f_mode == F_HANG)
    on_peer(cb_ud, &P2); /* from inside the call: allowed */
  return rc;
}

static int f_find_peer(void *ud, const uint8_t *id, size_t idl,
                       gw_peer_cb on_peer, gw_done_cb on_done, void *cb_ud,
                       void **lookup) {
  (void)ud, (void)id, (void)idl;
  f_on_peer = on_peer, f_on_done = on_done;
  return f_begin(2, cb_ud, lookup);
}

static int f_get_ipns(void *ud, const uint8_t *id, size_t idl,
                      gw_ipns_cb on_done, void *cb_ud, void **lookup) {
  (void)ud, (void)id, (void)idl;
  f_on_ipns = on_done;
  return f_begin(3, cb_ud, lookup);
}

static int f_put_ipns(void *ud, const uint8_t *id, size_t idl,
                      const uint8_t *rec, size_t rl, gw_done_cb on_done,
                      void *cb_ud, void **lookup) {
  (void)ud, (void)id, (void)idl;
  f_puts++;
  memcpy(f_body, rec, rl < sizeof f_body ? rl : sizeof f_body);
  f_body_len = rl;
  if (rl == 3 && !memcmp(rec, "bad", 3))
    return TR_ESIG;
  f_on_done = on_done;
  return f_begin(4, cb_ud, lookup);
}

static void f_cancel(void *ud, void *lookup) {
  (void)ud;
  if (lookup != &f_token || !f_timer)
    abort(); /* not a lookup of ours, or one that ended */
  f_timer_close();
  __atomic_add_fetch(&f_cancels, 1, __ATOMIC_SEQ_CST);
}

static const gw_router_t FAKE = {NULL,       f_find_providers, f_find_peer,
                                 f_get_ipns, f_put_ipns,       f_cancel};
static gw_ctx_t gctx;

static int setup(void **st) {
  (void)st;
  gctx = (gw_ctx_t){.loop = &loop, .expose_routing = true, .router = &FAKE,
                    .routing_timeout_ms = 300};
  th_handler = gw_gateway_handle;
  th_handler_ud = &gctx;
  start(NULL);
  return 0;
}

static int teardown(void **st) {
  (void)st;
  stop(); /* every lookup has ended, and its timer closed */
  return 0;
}

/* One request on a fresh connection ("Connection: close"): the response. */
static char resp[65536];
static const char *req(const char *method, const char *path,
                       const char *hdrs, const char *body, size_t bl) {
  int fd = dial();
  char head[2048];
  int n = snprintf(head, sizeof head,
                   "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s"
                   "Content-Length: %zu\r\n\r\n",
                   method, path, hdrs ? hdrs : "", bl);
  send_all(fd, head, (size_t)n);
  if (bl)
    send_all(fd, body, bl);
  recv_until(fd, resp, sizeof resp, NULL, 0);
  close(fd);
  return resp;
}
static const char *body_of(const char *r) {
  const char *b = strstr(r, "\r\n\r\n");
  return b ? b + 4 : "";
}

#define CID "bafybeie5nqv6kd3qnfjupgvz34woh3oksc3iau6abmyajn7qvtf6d2ho34"
#define PEER "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"
#define NAME "k51qzi5uqu5dhdmyb9bd18pypu2wp5lpv2xnskfmrqa4lb5knqryrotb05e7or"

/* ---------------------------------------------------------- answers */

static void test_providers_json(void **st) {
  (void)st;
  f_mode = F_FINISH;
  const char *r = req("GET", "/routing/v1/providers/" CID, NULL, NULL, 0);
  assert_non_null(strstr(r, "HTTP/1.1 200"));
  assert_non_null(strstr(r, "Content-Type: application/json\r\n"));
  assert_non_null(strstr(r, "Cache-Control: public, max-age=300,"));
  assert_non_null(strstr(r, "Vary: Accept"));
  /* Go's map order, Addrs only when there are some, JSON escapes. */
  assert_string_equal(body_of(r),
                      "{\"Providers\":[{\"Addrs\":[\"/ip4/1.2.3.4/tcp/4001\","
                      "\"/dns4/a\\\"b.example/tcp/1\"],\"ID\":\"12D3KooWA\","
                      "\"Schema\":\"peer\"},{\"ID\":\"12D3KooWB\",\"Schema\":"
                      "\"peer\"}]}");
  assert_int_equal(f_max, 20); /* boxo's records limit for JSON */
}

static void test_providers_ndjson(void **st) {
  (void)st;
  f_mode = F_FINISH;
  const char *r = req("GET", "/routing/v1/providers/" CID,
                      "Accept: application/x-ndjson\r\n", NULL, 0);
  assert_non_null(strstr(r, "HTTP/1.1 200"));
  assert_non_null(strstr(r, "Content-Type: application/x-ndjson\r\n"));
  assert_non_null(strstr(r, "\r\n{\"Addrs\":[\"/ip4/1.2.3.4/tcp/4001\","));
  assert_non_null(strstr(r, "\"Schema\":\"peer\"}\n"));
  assert_non_null(strstr(r, "{\"ID\":\"12D3KooWB\",\"Schema\":\"peer\"}\n"));
  assert_int_equal(f_max, 0); /* streams are not capped */
}

static void test_peers(void **st) {
  (void)st;
  f_mode = F_FINISH;
  const char *r = req("GET", "/routing/v1/peers/" PEER, NULL, NULL, 0);
  assert_non_null(strstr(r, "HTTP/1.1 200"));
  assert_non_null(strstr(body_of(r), "{\"Peers\":[{\"Addrs\":["));
  f_mode = F_NOTFOUND; /* IPIP-513: an empty list, cached briefly */
  r = req("GET", "/routing/v1/peers/" PEER, NULL, NULL, 0);
  assert_non_null(strstr(r, "HTTP/1.1 200"));
  assert_non_null(strstr(r, "Cache-Control: public, max-age=15,"));
  assert_string_equal(body_of(r), "{\"Peers\":[]}");
}

static void test_ipns_get(void **st) {
  (void)st;
  f_mode = F_FINISH;
  const char *r = req("GET", "/routing/v1/ipns/" NAME, NULL, NULL, 0);
  assert_non_null(strstr(r, "HTTP/1.1 200"));
  assert_non_null(strstr(r, "Content-Type: application/vnd.ipfs.ipns-record\r\n"));
  /* max-age is the TTL (60 s), the rest of the validity may be stale. */
  assert_non_null(strstr(r, "Cache-Control: public, max-age=60, "
                            "stale-while-revalidate=35"));
  assert_non_null(strstr(r, "Expires: "));
  assert_non_null(strstr(r, "Etag: \""));
  assert_non_null(strstr(r, "filename=\"" NAME ".ipns-record\""));
  assert_string_equal(body_of(r), (const char *)F_REC);
  f_mode = F_NOTFOUND;
  r = req("GET", "/routing/v1/ipns/" NAME, NULL, NULL, 0);
  assert_non_null(strstr(r, "HTTP/1.1 200"));
  assert_non_null(strstr(r, "Content-Type: text/plain"));
  r = req("GET", "/routing/v1/ipns/" NAME, "Accept: application/json\r\n",
          NULL, 0);
  assert_non_null(strstr(r, "HTTP/1.1 406"));
}

static void test_ipns_put(void **st) {
  (void)st;
  f_mode = F_FINISH;
  int puts = f_puts;
  const char *ct = "Content-Type: application/vnd.ipfs.ipns-record\r\n";
  const char *r = req("PUT", "/routing/v1/ipns/" NAME, ct, "record!", 7);
  assert_non_null(strstr(r, "HTTP/1.1 200"));
  assert_int_equal(f_body_len, 7);
  assert_memory_equal(f_body, "record!", 7);
  /* The router's validation errors are the request's fault. */
  r = req("PUT", "/routing/v1/ipns/" NAME, ct, "bad", 3);
  assert_non_null(strstr(r, "HTTP/1.1 400"));
  assert_non_null(strstr(r, "provided record is invalid"));
  assert_int_equal(f_puts, puts + 2);
  /* Without the content type, or over 10 KiB: refused before the router. */
  r = req("PUT", "/routing/v1/ipns/" NAME, NULL, "record!", 7);
  assert_non_null(strstr(r, "HTTP/1.1 406"));
  static char big[10241];
  memset(big, 'x', sizeof big);
  r = req("PUT", "/routing/v1/ipns/" NAME, ct, big, sizeof big);
  assert_non_null(strstr(r, "HTTP/1.1 400"));
  assert_int_equal(f_puts, puts + 2);
  /* PUT on providers: not a method there. */
  r = req("PUT", "/routing/v1/providers/" CID, ct, "x", 1);
  assert_non_null(strstr(r, "HTTP/1.1 405"));
}

static void test_refusals(void **st) {
  (void)st;
  f_mode = F_FINISH;
  int lookups = f_lookups;
  const char *r = req("GET", "/routing/v1/providers/not-a-cid", NULL, NULL, 0);
  assert_non_null(strstr(r, "HTTP/1.1 400"));
  r = req("GET", "/routing/v1/providers/" CID, "Accept: text/html\r\n", NULL, 0);
  assert_non_null(strstr(r, "HTTP/1.1 400"));
  r = req("GET", "/routing/v1/ipns/" CID, NULL, NULL, 0);
  assert_non_null(strstr(r, "HTTP/1.1 400"));
  r = req("GET", "/routing/v1/elsewhere/x", NULL, NULL, 0);
  assert_non_null(strstr(r, "HTTP/1.1 404"));
  assert_int_equal(f_lookups, lookups); /* none reached the router */
  f_mode = F_FAIL_NOW;
  r = req("GET", "/routing/v1/providers/" CID, NULL, NULL, 0);
  assert_non_null(strstr(r, "HTTP/1.1 500"));
  /* Switched off: the path is not served at all. */
  gctx.expose_routing = false;
  r = req("GET", "/routing/v1/providers/" CID, NULL, NULL, 0);
  gctx.expose_routing = true;
  assert_non_null(strstr(r, "HTTP/1.1 404"));
}

/* Wait (up to 2 s) until the fake has seen n cancels; the ms it took. */
static int wait_cancels(int n) {
  for (int ms = 0; ms < 2000; ms += 5) {
    if (__atomic_load_n(&f_cancels, __ATOMIC_SEQ_CST) >= n)
      return ms;
    usleep(5000);
  }
  return -1;
}

/* A client that leaves mid-lookup: an HTTP/2 stream reset cancels the
 * lookup at once. */
static void test_client_leaves(void **st) {
  (void)st;
  f_mode = F_HANG;
  int cancels = __atomic_load_n(&f_cancels, __ATOMIC_SEQ_CST);
  h2c_t c;
  h2c_open(&c, 65535, 5);
  int32_t id = h2c_get(&c, "GET", "/routing/v1/peers/" PEER);
  assert_int_equal(h2c_run_ms(&c, 1, 100), 1); /* no answer: it hangs */
  assert_int_equal(nghttp2_submit_rst_stream(c.s, NGHTTP2_FLAG_NONE, id,
                                             NGHTTP2_CANCEL), 0);
  assert_int_equal(h2c_flush(&c), 0);
  int ms = wait_cancels(cancels + 1);
  assert_true(ms >= 0 && ms < 150); /* not the 300 ms deadline */
  h2c_close(&c);
  /* HTTP/1.1: the server stops reading while a request is being answered
   * (no pipelining past it), so a close is seen at the deadline at the
   * latest, which still cancels the lookup and frees the connection. */
  int fd = dial();
  send_str(fd, "GET /routing/v1/peers/" PEER " HTTP/1.1\r\nHost: x\r\n\r\n");
  usleep(20000);
  close(fd);
  assert_true(wait_cancels(cancels + 2) >= 0);
  assert_int_equal(wait_conns_zero(), 0);
}

/* The deadline: a list answers with what was found in time, an IPNS get
 * fails; either way the lookup is cancelled. */
static void test_deadline(void **st) {
  (void)st;
  f_mode = F_HANG;
  int cancels = __atomic_load_n(&f_cancels, __ATOMIC_SEQ_CST);
  const char *r = req("GET", "/routing/v1/providers/" CID, NULL, NULL, 0);
  assert_non_null(strstr(r, "HTTP/1.1 200"));
  assert_string_equal(body_of(r),
                      "{\"Providers\":[{\"ID\":\"12D3KooWB\",\"Schema\":\"peer\"}]}");
  r = req("GET", "/routing/v1/ipns/" NAME, NULL, NULL, 0);
  assert_non_null(strstr(r, "HTTP/1.1 500"));
  assert_non_null(strstr(r, "deadline"));
  assert_int_equal(__atomic_load_n(&f_cancels, __ATOMIC_SEQ_CST), cancels + 2);
}

int main(void) {
  const struct CMUnitTest pure[] = {
      cmocka_unit_test(test_route),
      cmocka_unit_test(test_accept),
      cmocka_unit_test(test_key),
  };
  const struct CMUnitTest served[] = {
      cmocka_unit_test(test_providers_json),
      cmocka_unit_test(test_providers_ndjson),
      cmocka_unit_test(test_peers),
      cmocka_unit_test(test_ipns_get),
      cmocka_unit_test(test_ipns_put),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_client_leaves),
      cmocka_unit_test(test_deadline),
  };
  int fails = cmocka_run_group_tests_name("gw_routing parsers", pure, NULL, NULL);
  return fails + cmocka_run_group_tests_name("gw_routing handler", served,
                                             setup, teardown);
}

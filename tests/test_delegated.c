/*
 * test_delegated.c — delegated routing as a client (node/delegated.h):
 * the answer parser alone (NDJSON lines cut across reads at every byte,
 * lines over the cap, wrong field types, other schemas, one JSON document,
 * the records cap, a stop from the callback), then lookups against canned
 * routers on 127.0.0.1 (a tiny libuv server that answers every request
 * with fixed bytes): streamed and whole answers, a router that is down,
 * one that speaks garbage, a 404, find_peer picking its peer out of
 * others, a cancel from inside on_peer, and Routing.DelegatedRouters'
 * https:// entries skipped.  Each lookup test frees the routers, runs the
 * loop dry and checks that every handle closed (ASan checks the memory).
 */
#include "testutil.h"

#include "../node/delegated.h"

#define ID1 "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"
#define ID2 "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"
#define REC1 "{\"Addrs\":[\"/ip4/127.0.0.1/tcp/4001\"],\"ID\":\"" ID1 \
             "\",\"Schema\":\"peer\"}"
#define REC2 "{\"ID\":\"" ID2 "\",\"Schema\":\"peer\",\"Protocols\":[" \
             "\"transport-bitswap\"],\"Addrs\":[\"/ip4/10.0.0.2/udp/1/quic-v1\"," \
             "\"/not/an/addr\"]}"

/* ------------------------------------------------------------ parser */

typedef struct {
  int n;
  int stop_at; /* return non-zero at the n-th peer; 0: never */
  net_peerid_t last;
  uint8_t naddrs;
} seen_t;

static int count_peer(void *ud, const dht_peer_t *p) {
  seen_t *s = ud;
  s->n++;
  s->last = p->id;
  s->naddrs = p->naddrs;
  return s->stop_at && s->n >= s->stop_at;
}

static void feed_all(node_dparse_t *p, const char *s, size_t step) {
  size_t n = strlen(s);
  for (size_t i = 0; i < n; i += step) {
    size_t k = n - i < step ? n - i : step;
    int rc = node_dparse_feed(p, (const uint8_t *)s + i, k);
    assert_true(rc == 0 || rc == 1);
  }
}

static void test_ndjson_split_reads(void **st) {
  (void)st;
  const char *body = REC1 "\n" REC2 "\r\n\n" REC1;
  for (size_t step = 1; step <= strlen(body); step++) {
    seen_t s = {0};
    node_dparse_t p;
    node_dparse_init(&p, true, 0, 0, count_peer, &s);
    feed_all(&p, body, step);
    assert_int_equal(node_dparse_end(&p), 0); /* the last line unended */
    assert_int_equal(s.n, 3);
    assert_int_equal(p.skipped, 0);
  }
}

static void test_ndjson_bad_lines_skipped(void **st) {
  (void)st;
  const char *body =
      "{not json\n"
      "[1,2,3]\n"
      "{\"Schema\":\"bitswap\",\"ID\":\"" ID1 "\"}\n" /* another schema */
      "{\"Schema\":\"peer\",\"ID\":42}\n"               /* wrong type */
      "{\"Schema\":\"peer\",\"ID\":\"nope\"}\n"         /* not a PeerID */
      "{\"Schema\":\"peer\",\"ID\":\"" ID1 "\",\"Addrs\":\"x\"}\n"
      "{\"Schema\":\"peer\",\"ID\":\"" ID1 "\",\"Addrs\":[1]}\n"
      "{\"Schema\":7}\n" REC2 "\n";
  seen_t s = {0};
  node_dparse_t p;
  node_dparse_init(&p, true, 0, 0, count_peer, &s);
  feed_all(&p, body, 7);
  assert_int_equal(node_dparse_end(&p), 0);
  assert_int_equal(s.n, 1);
  assert_int_equal(p.skipped, 8);
  net_peerid_t want;
  assert_int_equal(net_peerid_parse(&want, ID2, strlen(ID2)), 0);
  assert_true(net_peerid_equal(&s.last, &want));
  assert_int_equal(s.naddrs, 1); /* the bad address left out */
}

static void test_ndjson_oversized_line(void **st) {
  (void)st;
  size_t big = 3000;
  char *body = tr_malloc(big + 2 * sizeof REC1 + 8);
  assert_non_null(body);
  memset(body, 'x', big);
  strcpy(body + big, "\n" REC1 "\n");
  for (size_t step = 1; step < 600; step += 97) {
    seen_t s = {0};
    node_dparse_t p;
    node_dparse_init(&p, true, 256, 0, count_peer, &s);
    feed_all(&p, body, step);
    assert_int_equal(node_dparse_end(&p), 0);
    assert_int_equal(s.n, 1);       /* the record after it still counts */
    assert_int_equal(p.skipped, 1);
    assert_true(p.cap <= 256);      /* never buffered past the cap */
  }
  /* An oversized last line without a newline: skipped too. */
  seen_t s = {0};
  node_dparse_t p;
  node_dparse_init(&p, true, 256, 0, count_peer, &s);
  body[big] = 0;
  feed_all(&p, body, 100);
  assert_int_equal(node_dparse_end(&p), 0);
  assert_int_equal(s.n, 0);
  assert_int_equal(p.skipped, 1);
  tr_free(body);
}

static void test_json_document(void **st) {
  (void)st;
  const char *body = "{\"Providers\":[" REC1 ",{\"Schema\":\"x\"},5," REC2
                     "]}";
  seen_t s = {0};
  node_dparse_t p;
  node_dparse_init(&p, false, 0, 0, count_peer, &s);
  feed_all(&p, body, 5);
  assert_int_equal(s.n, 0); /* nothing before the end */
  assert_int_equal(node_dparse_end(&p), 0);
  assert_int_equal(s.n, 2);
  assert_int_equal(p.skipped, 2);
  /* Garbage: no records, no error. */
  node_dparse_init(&p, false, 0, 0, count_peer, &s);
  feed_all(&p, "{\"Providers\": [", 3);
  assert_int_equal(node_dparse_end(&p), 0);
  assert_int_equal(s.n, 2);
  /* Over the document's cap. */
  node_dparse_init(&p, false, 16, 0, count_peer, &s);
  assert_int_equal(node_dparse_feed(&p, (const uint8_t *)body, strlen(body)),
                   TR_ETOOBIG);
  node_dparse_free(&p);
}

static void test_caps_and_stop(void **st) {
  (void)st;
  const char *body = REC1 "\n" REC2 "\n" REC1 "\n" REC2 "\n";
  seen_t s = {0};
  node_dparse_t p;
  node_dparse_init(&p, true, 0, 3, count_peer, &s); /* 3 records at most */
  int rc = node_dparse_feed(&p, (const uint8_t *)body, strlen(body));
  assert_int_equal(rc, 1);
  assert_int_equal(s.n, 3);
  assert_int_equal(node_dparse_feed(&p, (const uint8_t *)"x", 1), 1);
  assert_int_equal(node_dparse_end(&p), 1);
  node_dparse_free(&p);
  seen_t s2 = {.stop_at = 2};
  node_dparse_init(&p, true, 0, 0, count_peer, &s2);
  assert_int_equal(node_dparse_feed(&p, (const uint8_t *)body, strlen(body)),
                   1);
  assert_int_equal(s2.n, 2);
  node_dparse_free(&p);
  /* Regression (fuzz_delegated): an oversized line once the records cap
   * is reached was counted past the cap. */
  seen_t s3 = {0};
  node_dparse_init(&p, true, 64, 1, count_peer, &s3);
  const char *two = "{\"Schema\":\"peer\",\"ID\":7}\n"
                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n";
  assert_int_equal(node_dparse_feed(&p, (const uint8_t *)two, strlen(two)), 1);
  assert_int_equal(p.records, 1);
  assert_int_equal(p.peers + p.skipped, p.records);
  node_dparse_free(&p);
}

static void test_record(void **st) {
  (void)st;
  dht_peer_t p;
  assert_int_equal(node_dparse_record(REC1, strlen(REC1), &p), 0);
  assert_int_equal(p.naddrs, 1);
  assert_int_equal(node_dparse_record("{\"Schema\":\"other\"}", 18, &p),
                   TR_ENOTFOUND);
  assert_int_equal(node_dparse_record("{}", 2, &p), TR_EPROTO);
  assert_int_equal(node_dparse_record("\"peer\"", 6, &p), TR_EPROTO);
  const char *dup = "{\"Schema\":\"peer\",\"Schema\":\"peer\",\"ID\":\"" ID1
                    "\"}";
  assert_int_equal(node_dparse_record(dup, strlen(dup), &p), TR_EPROTO);
}

/* ---------------------------------------------------- canned routers */

typedef struct canned {
  uv_tcp_t tcp;
  int port;
  const char *answer; /* written whole to every request, then closed */
  int requests;
  char path[512];     /* the last request's target */
} canned_t;

typedef struct cconn {
  uv_tcp_t tcp;
  canned_t *s;
  char in[4096];
  size_t len;
  bool answered;
} cconn_t;

static uv_loop_t loop;

static void cc_closed(uv_handle_t *h) { tr_free(h->data); }

static void cc_wrote(uv_write_t *w, int status) {
  (void)status;
  cconn_t *c = w->data;
  tr_free(w);
  uv_close((uv_handle_t *)&c->tcp, cc_closed);
}

static void cc_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b) {
  (void)hint;
  cconn_t *c = h->data;
  *b = uv_buf_init(c->in + c->len, (unsigned)(sizeof c->in - c->len - 1));
}

static void cc_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b) {
  (void)b;
  cconn_t *c = st->data;
  if (n < 0) {
    if (!c->answered)
      uv_close((uv_handle_t *)&c->tcp, cc_closed);
    return;
  }
  c->len += (size_t)n;
  c->in[c->len] = 0;
  if (c->answered || !strstr(c->in, "\r\n\r\n"))
    return;
  c->answered = true;
  c->s->requests++;
  sscanf(c->in, "%*s %511s", c->s->path);
  uv_read_stop(st);
  uv_write_t *w = tr_malloc(sizeof *w);
  w->data = c;
  uv_buf_t out = uv_buf_init((char *)c->s->answer, strlen(c->s->answer));
  uv_write(w, st, &out, 1, cc_wrote);
}

static void cc_accept(uv_stream_t *l, int status) {
  assert_int_equal(status, 0);
  canned_t *s = l->data;
  cconn_t *c = tr_calloc(1, sizeof *c);
  c->s = s;
  uv_tcp_init(&loop, &c->tcp);
  c->tcp.data = c;
  assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
  uv_read_start((uv_stream_t *)&c->tcp, cc_alloc, cc_read);
}

static void canned_start(canned_t *s, const char *answer) {
  memset(s, 0, sizeof *s);
  s->answer = answer;
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  assert_int_equal(uv_tcp_init(&loop, &s->tcp), 0);
  s->tcp.data = s;
  assert_int_equal(uv_tcp_bind(&s->tcp, (struct sockaddr *)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t *)&s->tcp, 16, cc_accept), 0);
  struct sockaddr_storage ss;
  int len = sizeof ss;
  uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&ss, &len);
  s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* A port nobody listens on: bound, then closed.  Runs the loop until it
 * is idle: call it before any server starts. */
static int dead_port(void) {
  canned_t s;
  canned_start(&s, "");
  int port = s.port;
  uv_close((uv_handle_t *)&s.tcp, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  return port;
}

/* ------------------------------------------------------ lookup tests */

typedef struct {
  int peers, done, status;
  size_t vl;
  node_dlook_t *l;
  bool cancel_first;
} res_t;

static void r_peer(void *ud, const dht_peer_t *p) {
  (void)p;
  res_t *r = ud;
  r->peers++;
  if (r->cancel_first)
    node_deleg_cancel(r->l);
}

static void r_done(void *ud, int status, const uint8_t *val, size_t vl) {
  (void)val;
  res_t *r = ud;
  r->done++;
  r->status = status;
  r->vl = vl;
}

static const node_deleg_cbs_t CBS = {r_peer, r_done};

static node_deleg_t *routers(const int *ports, size_t n, const char *extra) {
  json_t *list = json_array();
  if (extra)
    json_array_append_new(list, json_string(extra));
  for (size_t i = 0; i < n; i++) {
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", ports[i]);
    json_array_append_new(list, json_string(url));
  }
  json_t *cfg = json_pack("{s:{s:o}}", "Routing", "DelegatedRouters", list);
  node_deleg_t *d;
  assert_int_equal(node_deleg_new(&loop, cfg, &d), 0);
  json_decref(cfg);
  return d;
}

static void run_until_done(res_t *r) {
  for (int i = 0; i < 100000 && !r->done; i++)
    uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(r->done, 1);
}

static void finish(node_deleg_t *d, canned_t *s, size_t ns) {
  node_deleg_free(d);
  for (size_t i = 0; i < ns; i++)
    uv_close((uv_handle_t *)&s[i].tcp, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static const uint8_t MH[34] = {0x12, 0x20, 1, 2, 3};

#define HEAD_ND "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n" \
                "Connection: close\r\n\r\n"
#define HEAD_JSON "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" \
                  "Connection: close\r\n\r\n"

static void test_providers_two_routers(void **st) {
  (void)st;
  assert_int_equal(uv_loop_init(&loop), 0);
  int dead = dead_port(); /* first: it runs the loop dry */
  canned_t s[2];
  canned_start(&s[0], HEAD_ND REC1 "\ngarbage\n" REC2 "\n");
  canned_start(&s[1], HEAD_JSON "{\"Providers\":[" REC1 "]}");
  int ports[3] = {s[0].port, s[1].port, dead};
  node_deleg_t *d = routers(ports, 3, "ftp://cid.contact");
  assert_int_equal(node_deleg_count(d), 3); /* the ftp one skipped */
  res_t r = {0};
  assert_int_equal(node_deleg_find_providers(d, MH, sizeof MH, 0, &CBS, &r,
                                             &r.l), 0);
  assert_int_equal(r.peers, 0); /* never from inside the start */
  run_until_done(&r);
  assert_int_equal(r.status, 0); /* a dead router does not spoil the rest */
  assert_int_equal(r.peers, 3);  /* merged across routers by routing.c */
  assert_int_equal(strncmp(s[0].path, "/routing/v1/providers/bafk", 26), 0);
  finish(d, s, 2);
}

static void test_router_down_or_garbage(void **st) {
  (void)st;
  assert_int_equal(uv_loop_init(&loop), 0);
  int dead = dead_port();
  node_deleg_t *d = routers(&dead, 1, NULL);
  res_t r = {0};
  assert_int_equal(node_deleg_find_providers(d, MH, sizeof MH, 0, &CBS, &r,
                                             &r.l), 0);
  run_until_done(&r);
  assert_int_equal(r.status, -ECONNREFUSED);
  assert_int_equal(r.peers, 0);
  finish(d, NULL, 0);

  assert_int_equal(uv_loop_init(&loop), 0);
  canned_t s[3];
  canned_start(&s[0], "SSH-2.0-nope\r\n\r\n");
  canned_start(&s[1], "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                      "Connection: close\r\n\r\n");
  canned_start(&s[2], HEAD_ND "\x01\x02{{{\n[]\n");
  int ports[3] = {s[0].port, s[1].port, s[2].port};
  for (int k = 0; k < 3; k++) {
    d = routers(&ports[k], 1, NULL);
    r = (res_t){0};
    assert_int_equal(node_deleg_find_providers(d, MH, sizeof MH, 0, &CBS, &r,
                                               &r.l), 0);
    run_until_done(&r);
    assert_int_equal(r.peers, 0);
    assert_int_equal(r.status, k == 0 ? TR_EPROTO : k == 1 ? TR_ENOTFOUND : 0);
    node_deleg_free(d);
  }
  finish(NULL, s, 3);
}

static void test_find_peer_picks_its_peer(void **st) {
  (void)st;
  assert_int_equal(uv_loop_init(&loop), 0);
  canned_t s;
  canned_start(&s, HEAD_JSON "{\"Peers\":[" REC1 "," REC2 "]}");
  node_deleg_t *d = routers(&s.port, 1, NULL);
  net_peerid_t id;
  assert_int_equal(net_peerid_parse(&id, ID2, strlen(ID2)), 0);
  res_t r = {0};
  assert_int_equal(node_deleg_find_peer(d, &id, &CBS, &r, &r.l), 0);
  run_until_done(&r);
  assert_int_equal(r.peers, 1);
  assert_int_equal(r.status, 0);
  assert_int_equal(strncmp(s.path, "/routing/v1/peers/bafz", 22), 0);
  finish(d, &s, 1);
}

static void test_ipns_not_a_record(void **st) {
  (void)st;
  assert_int_equal(uv_loop_init(&loop), 0);
  canned_t s[2];
  /* What trove's and boxo's servers say for an unknown name, and a body
   * that claims to be a record but is not one. */
  canned_start(&s[0], "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                      "Connection: close\r\n\r\nrouting: not found");
  canned_start(&s[1], "HTTP/1.1 200 OK\r\nContent-Type: "
                      "application/vnd.ipfs.ipns-record\r\n"
                      "Connection: close\r\n\r\n\x0a\x03xyz");
  int ports[2] = {s[0].port, s[1].port};
  node_deleg_t *d = routers(ports, 2, NULL);
  net_peerid_t id;
  assert_int_equal(net_peerid_parse(&id, ID1, strlen(ID1)), 0);
  res_t r = {0};
  assert_int_equal(node_deleg_get_ipns(d, &id, 1700000000000ull, &CBS, &r,
                                       &r.l), 0);
  run_until_done(&r);
  assert_int_equal(r.vl, 0);
  assert_true(r.status < 0 && r.status != 0);
  assert_int_equal(strncmp(s[0].path, "/routing/v1/ipns/k51", 20), 0);
  finish(d, s, 2);
}

static void test_cancel_inside_on_peer(void **st) {
  (void)st;
  assert_int_equal(uv_loop_init(&loop), 0);
  canned_t s;
  canned_start(&s, HEAD_ND REC1 "\n" REC2 "\n" REC1 "\n");
  node_deleg_t *d = routers(&s.port, 1, NULL);
  res_t r = {.cancel_first = true};
  assert_int_equal(node_deleg_find_providers(d, MH, sizeof MH, 0, &CBS, &r,
                                             &r.l), 0);
  for (int i = 0; i < 1000 && !r.peers; i++)
    uv_run(&loop, UV_RUN_ONCE);
  for (int i = 0; i < 50; i++)
    uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(r.peers, 1);
  assert_int_equal(r.done, 0); /* no callback after the cancel */
  finish(d, &s, 1);
  assert_int_equal(r.done, 0);
}

static void test_free_with_lookups_running(void **st) {
  (void)st;
  assert_int_equal(uv_loop_init(&loop), 0);
  canned_t s;
  canned_start(&s, HEAD_ND REC1 "\n");
  node_deleg_t *d = routers(&s.port, 1, NULL);
  res_t r = {0};
  assert_int_equal(node_deleg_find_providers(d, MH, sizeof MH, 0, &CBS, &r,
                                             &r.l), 0);
  node_deleg_free(d);
  uv_close((uv_handle_t *)&s.tcp, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(r.done, 1);
  assert_int_equal(r.status, -ECANCELED);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_config(void **st) {
  (void)st;
  node_deleg_t *d;
  json_t *cfg = json_pack("{s:{s:[s,s]}}", "Routing", "DelegatedRouters",
                          "ftp://cid.contact", "auto");
  assert_int_equal(node_deleg_new(&loop, cfg, &d), 0);
  assert_null(d); /* nothing trove can ask */
  json_decref(cfg);
  assert_int_equal(uv_loop_init(&loop), 0);
  cfg = json_pack("{s:{s:[s,s]}}", "Routing", "DelegatedRouters",
                  "https://cid.contact/", "auto");
  assert_int_equal(node_deleg_new(&loop, cfg, &d), 0);
  assert_non_null(d); /* https:// is spoken (http/tls.h) */
  assert_int_equal(node_deleg_count(d), 1);
  node_deleg_free(d);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  json_decref(cfg);
  cfg = json_pack("{s:{s:s}}", "Routing", "DelegatedRouters", "http://x");
  assert_int_equal(node_deleg_new(&loop, cfg, &d), TR_ECONFIG);
  json_decref(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ndjson_split_reads),
      cmocka_unit_test(test_ndjson_bad_lines_skipped),
      cmocka_unit_test(test_ndjson_oversized_line),
      cmocka_unit_test(test_json_document),
      cmocka_unit_test(test_caps_and_stop),
      cmocka_unit_test(test_record),
      cmocka_unit_test(test_providers_two_routers),
      cmocka_unit_test(test_router_down_or_garbage),
      cmocka_unit_test(test_find_peer_picks_its_peer),
      cmocka_unit_test(test_ipns_not_a_record),
      cmocka_unit_test(test_cancel_inside_on_peer),
      cmocka_unit_test(test_free_with_lookups_running),
      cmocka_unit_test(test_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

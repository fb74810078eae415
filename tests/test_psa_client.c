/*
 * test_psa_client.c — the Pinning Service API client (mirror/psa_client.h):
 * the answer parser alone (good PinStatus and PinResults, then each kind
 * of hostile answer refused whole: bad status, bad CID, bad time, count
 * below the results, too many results, oversized names, non-string
 * origins and meta, duplicate keys, not JSON), the time format, Kubo's
 * endpoint normalisation; then requests against a canned service on
 * 127.0.0.1 (a tiny libuv server whose answer depends on the request):
 * list walks of a simulated service (pages following before=, pins
 * sharing a created time across a page's end, more of them than a page),
 * the bearer header, an add's body, a 401 with the spec's Failure, a service that answers a page
 * not older than asked (refused, not looped on), a delete, and a free with
 * requests running.  Each loop test frees the client, runs the loop dry
 * and checks that every handle closed (ASan checks the memory).
 */
#include "testutil.h"

#include "../mirror/psa_client.h"

#define CID1 "bafkqaaa"
#define CID2 "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"

#define PS(id, st, cr, cid) \
  "{\"requestid\":\"" id "\",\"status\":\"" st "\",\"created\":\"" cr \
  "\",\"pin\":{\"cid\":\"" cid "\",\"name\":\"n-" id "\",\"origins\":" \
  "[\"/ip4/127.0.0.1/tcp/4001\"],\"meta\":{\"k\":\"v\"}},\"delegates\":" \
  "[\"/ip4/1.2.3.4/tcp/1/p2p/" CID2 "\"],\"info\":{\"x\":1}}"

/* ------------------------------------------------------------ parser */

static void test_parse_status(void **st) {
  (void)st;
  mir_psa_pin_t p;
  const char *s = PS("r1", "pinning", "2024-01-02T03:04:05.678Z", CID1);
  assert_int_equal(mir_psa_parse_status(s, strlen(s), &p), 0);
  assert_string_equal(p.requestid, "r1");
  assert_int_equal(p.status, MIR_PSA_PINNING);
  assert_string_equal(p.cid, CID1);
  assert_string_equal(p.name, "n-r1");
  assert_int_equal(p.created_ms, 1704164645678LL);
  assert_int_equal(json_array_size(p.origins), 1);
  assert_int_equal(json_array_size(p.delegates), 1);
  assert_string_equal(json_string_value(json_object_get(p.meta, "k")), "v");
  mir_psa_pin_free(&p);
  /* Minimal: no name, origins, meta or delegates; a time with an offset. */
  s = "{\"requestid\":\"x\",\"status\":\"queued\",\"created\":"
      "\"2024-01-02T04:04:05+01:00\",\"pin\":{\"cid\":\"" CID2 "\"}}";
  assert_int_equal(mir_psa_parse_status(s, strlen(s), &p), 0);
  assert_int_equal(p.created_ms, 1704164645000LL);
  assert_string_equal(p.name, "");
  assert_int_equal(json_array_size(p.origins), 0);
  assert_int_equal(json_object_size(p.meta), 0);
  mir_psa_pin_free(&p);
}

static void refused(const char *s) {
  mir_psa_pin_t p;
  int rc = mir_psa_parse_status(s, strlen(s), &p);
  if (rc != TR_EPROTO)
    fail_msg("accepted or wrong code %d: %s", rc, s);
}

static void test_parse_hostile(void **st) {
  (void)st;
  refused(PS("r1", "done", "2024-01-02T03:04:05Z", CID1));   /* status */
  refused(PS("r1", "pinned", "2024-01-02T03:04:05Z", "notacid"));
  refused(PS("r1", "pinned", "yesterday", CID1));
  refused(PS("r1", "pinned", "2024-13-02T03:04:05Z", CID1));
  refused(PS("", "pinned", "2024-01-02T03:04:05Z", CID1));   /* empty id */
  refused(PS("a\\nb", "pinned", "2024-01-02T03:04:05Z", CID1)); /* control */
  refused("{\"requestid\":\"x\",\"status\":\"queued\",\"created\":"
          "\"2024-01-02T03:04:05Z\",\"pin\":{\"cid\":\"" CID1 "\",\"origins\":[1]}}");
  refused("{\"requestid\":\"x\",\"status\":\"queued\",\"created\":"
          "\"2024-01-02T03:04:05Z\",\"pin\":{\"cid\":\"" CID1 "\",\"origins\":[\"tcp\"]}}");
  refused("{\"requestid\":\"x\",\"status\":\"queued\",\"created\":"
          "\"2024-01-02T03:04:05Z\",\"pin\":{\"cid\":\"" CID1 "\",\"meta\":{\"a\":1}}}");
  refused("{\"requestid\":\"x\",\"requestid\":\"y\",\"status\":\"queued\","
          "\"created\":\"2024-01-02T03:04:05Z\",\"pin\":{\"cid\":\"" CID1 "\"}}");
  refused("{\"requestid\":7,\"status\":\"queued\",\"created\":"
          "\"2024-01-02T03:04:05Z\",\"pin\":{\"cid\":\"" CID1 "\"}}");
  refused("[]");
  refused("{");
  /* A name over the spec's 255 bytes. */
  char big[1024];
  char name[300];
  memset(name, 'a', 256);
  name[256] = 0;
  snprintf(big, sizeof big,
           "{\"requestid\":\"x\",\"status\":\"queued\",\"created\":"
           "\"2024-01-02T03:04:05Z\",\"pin\":{\"cid\":\"" CID1
           "\",\"name\":\"%s\"}}", name);
  refused(big);
  /* 21 origins (spec maxItems 20). */
  tr_bytes_t b = {0};
  const char *h = "{\"requestid\":\"x\",\"status\":\"queued\",\"created\":"
                  "\"2024-01-02T03:04:05Z\",\"pin\":{\"cid\":\"" CID1
                  "\",\"origins\":[";
  assert_int_equal(tr_bytes_append(&b, h, strlen(h)), 0);
  for (int i = 0; i < 21; i++)
    assert_int_equal(tr_bytes_append(&b, i ? ",\"/a\"" : "\"/a\"", i ? 5 : 4), 0);
  assert_int_equal(tr_bytes_append(&b, "]}}", 4), 0);
  refused((const char *)b.data);
  tr_bytes_free(&b);
}

static void test_parse_page(void **st) {
  (void)st;
  mir_psa_page_t pg;
  const char *s = "{\"count\":7,\"results\":[" PS("a", "pinned",
                  "2024-01-02T03:04:05Z", CID1) "," PS("b", "failed",
                  "2024-01-02T03:04:04Z", CID2) "]}";
  assert_int_equal(mir_psa_parse_page(s, strlen(s), &pg), 0);
  assert_int_equal(pg.count, 7);
  assert_int_equal(pg.n, 2);
  assert_string_equal(pg.pins[1].requestid, "b");
  assert_int_equal(pg.pins[1].status, MIR_PSA_FAILED);
  mir_psa_page_free(&pg);
  /* All or nothing: one bad result refuses the page. */
  s = "{\"count\":2,\"results\":[" PS("a", "pinned", "2024-01-02T03:04:05Z",
      CID1) "," PS("b", "bogus", "2024-01-02T03:04:04Z", CID2) "]}";
  assert_int_equal(mir_psa_parse_page(s, strlen(s), &pg), TR_EPROTO);
  s = "{\"count\":0,\"results\":[" PS("a", "pinned", "2024-01-02T03:04:05Z",
      CID1) "]}";
  assert_int_equal(mir_psa_parse_page(s, strlen(s), &pg), TR_EPROTO);
  s = "{\"count\":-1,\"results\":[]}";
  assert_int_equal(mir_psa_parse_page(s, strlen(s), &pg), TR_EPROTO);
  s = "{\"results\":[]}";
  assert_int_equal(mir_psa_parse_page(s, strlen(s), &pg), TR_EPROTO);
  s = "{\"count\":0,\"results\":[]}";
  assert_int_equal(mir_psa_parse_page(s, strlen(s), &pg), 0);
  assert_int_equal(pg.n, 0);
  mir_psa_page_free(&pg);
  /* More results than a page may hold. */
  tr_bytes_t b = {0};
  assert_int_equal(tr_bytes_append(&b, "{\"count\":5000,\"results\":[", 25), 0);
  const char *one = PS("a", "pinned", "2024-01-02T03:04:05Z", CID1);
  for (unsigned i = 0; i <= MIR_PSA_RESULTS_MAX; i++) {
    if (i)
      assert_int_equal(tr_bytes_append(&b, ",", 1), 0);
    assert_int_equal(tr_bytes_append(&b, one, strlen(one)), 0);
  }
  assert_int_equal(tr_bytes_append(&b, "]}", 2), 0);
  assert_int_equal(mir_psa_parse_page((const char *)b.data, b.len, &pg),
                   TR_EPROTO);
  tr_bytes_free(&b);
  /* Over the body cap, before any parsing. */
  assert_int_equal(mir_psa_parse_page("{}", MIR_PSA_BODY_MAX + 1, &pg),
                   TR_ETOOBIG);
}

static void test_failure_time_status(void **st) {
  (void)st;
  char r[16], d[64];
  const char *s = "{\"error\":{\"reason\":\"UNAUTHORIZED\\nX\",\"details\":\"no\"}}";
  mir_psa_parse_failure(s, strlen(s), r, sizeof r, d, sizeof d);
  assert_string_equal(r, "UNAUTHORIZED?X");
  assert_string_equal(d, "no");
  mir_psa_parse_failure("garbage", 7, r, sizeof r, d, sizeof d);
  assert_string_equal(r, "");
  int64_t ms;
  assert_int_equal(mir_psa_parse_time("1970-01-01T00:00:01.5Z", &ms), 0);
  assert_int_equal(ms, 1500);
  assert_int_equal(mir_psa_parse_time("1970-01-01T00:00:01.", &ms), TR_EPROTO);
  assert_int_equal(mir_psa_parse_time("1970-01-01 00:00:01Z", &ms), TR_EPROTO);
  char t[40];
  mir_psa_format_time(1704164645678LL, t, sizeof t);
  assert_string_equal(t, "2024-01-02T03:04:05.678Z");
  assert_int_equal(mir_psa_parse_time(t, &ms), 0);
  assert_int_equal(ms, 1704164645678LL);
  mir_psa_format_time_us(1704164645678901LL, 6, t, sizeof t);
  assert_string_equal(t, "2024-01-02T03:04:05.678901Z");
  mir_psa_format_time_us(1704164645678901LL, 0, t, sizeof t);
  assert_string_equal(t, "2024-01-02T03:04:05Z");
  unsigned m;
  assert_int_equal(mir_psa_status_mask("queued,failed", &m), 0);
  assert_int_equal(m, MIR_PSA_QUEUED | MIR_PSA_FAILED);
  assert_int_equal(mir_psa_status_mask("queued,nope", &m), TR_EUSAGE);
  assert_int_equal(mir_psa_status_mask("", &m), TR_EUSAGE);
}

static void test_endpoint(void **st) {
  (void)st;
  char out[256], err[128];
  assert_int_equal(mir_psa_endpoint_normalize("http://h:1//a//b/./", out,
                                              sizeof out, err, sizeof err), 0);
  assert_string_equal(out, "http://h:1/a/b");
  assert_int_equal(mir_psa_endpoint_normalize("https://h", out, sizeof out,
                                              err, sizeof err), 0);
  assert_string_equal(out, "https://h");
  assert_int_equal(mir_psa_endpoint_normalize("http://h/api/pins/", out,
                                              sizeof out, err, sizeof err),
                   TR_EUSAGE);
  assert_string_equal(err, "service endpoint should be provided without the "
                           "/pins suffix");
  assert_int_equal(mir_psa_endpoint_normalize("http://h/?a=1", out, sizeof out,
                                              err, sizeof err), TR_EUSAGE);
  assert_int_equal(mir_psa_endpoint_normalize("ftp://h", out, sizeof out, err,
                                              sizeof err), TR_EUSAGE);
  assert_string_equal(err, "service endpoint must be a valid HTTP URL");
  uv_loop_t l;
  uv_loop_init(&l);
  mir_psa_t *c;
  assert_int_equal(mir_psa_new(&l, "https://h", "k", &c), 0); /* TLS */
  mir_psa_free(c);
  uv_run(&l, UV_RUN_DEFAULT);
  assert_int_equal(mir_psa_new(&l, "http://h", "a\nb", &c), TR_EUSAGE);
  assert_int_equal(uv_loop_close(&l), 0);
}

/* ---------------------------------------------------- canned service */

static uv_loop_t loop;

typedef struct svc {
  uv_tcp_t tcp;
  int port;
  int requests;
  char last[8192];       /* the last request, head and body */
  /* The answer to a request, chosen by the test. */
  const char *(*answer)(struct svc *s, const char *req);
  int mode;
} svc_t;

typedef struct sconn {
  uv_tcp_t tcp;
  svc_t *s;
  char in[8192];
  size_t len;
  bool answered;
  char *out;
} sconn_t;

static void sc_closed(uv_handle_t *h) {
  sconn_t *c = h->data;
  free(c->out);
  tr_free(c);
}

static void sc_wrote(uv_write_t *w, int status) {
  (void)status;
  sconn_t *c = w->data;
  tr_free(w);
  uv_close((uv_handle_t *)&c->tcp, sc_closed);
}

static void sc_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b) {
  (void)hint;
  sconn_t *c = h->data;
  *b = uv_buf_init(c->in + c->len, (unsigned)(sizeof c->in - c->len - 1));
}

static void sc_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b) {
  (void)b;
  sconn_t *c = st->data;
  if (n < 0) {
    if (!c->answered)
      uv_close((uv_handle_t *)&c->tcp, sc_closed);
    return;
  }
  c->len += (size_t)n;
  c->in[c->len] = 0;
  char *eoh = strstr(c->in, "\r\n\r\n");
  if (c->answered || !eoh)
    return;
  const char *cl = strcasestr(c->in, "content-length: ");
  if (cl && cl < eoh && (size_t)(eoh + 4 - c->in) + (size_t)atoi(cl + 16) > c->len)
    return; /* the body is not all here yet */
  c->answered = true;
  c->s->requests++;
  snprintf(c->s->last, sizeof c->s->last, "%s", c->in);
  const char *body = c->s->answer(c->s, c->in);
  const char *status = body[0] == '!' ? body + 1 : "200 OK";
  if (body[0] == '!')
    body = strchr(body, '|') + 1;
  int sl = (int)strcspn(status, "|");
  if (asprintf(&c->out, "HTTP/1.1 %.*s\r\nContent-Type: application/json\r\n"
               "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", sl, status,
               strlen(body), body) < 0)
    abort();
  uv_read_stop(st);
  uv_write_t *w = tr_malloc(sizeof *w);
  w->data = c;
  uv_buf_t out = uv_buf_init(c->out, strlen(c->out));
  uv_write(w, st, &out, 1, sc_wrote);
}

static void sc_accept(uv_stream_t *l, int status) {
  assert_int_equal(status, 0);
  svc_t *s = l->data;
  sconn_t *c = tr_calloc(1, sizeof *c);
  c->s = s;
  uv_tcp_init(&loop, &c->tcp);
  c->tcp.data = c;
  assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
  uv_read_start((uv_stream_t *)&c->tcp, sc_alloc, sc_read);
}

static mir_psa_t *svc_start(svc_t *s) {
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_tcp_init(&loop, &s->tcp), 0);
  s->tcp.data = s;
  assert_int_equal(uv_tcp_bind(&s->tcp, (struct sockaddr *)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t *)&s->tcp, 16, sc_accept), 0);
  struct sockaddr_storage ss;
  int len = sizeof ss;
  uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&ss, &len);
  s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/api/", s->port);
  mir_psa_t *c;
  assert_int_equal(mir_psa_new(&loop, url, "sekrit", &c), 0);
  return c;
}

static void svc_stop(mir_psa_t *c, svc_t *s) {
  mir_psa_free(c);
  uv_close((uv_handle_t *)&s->tcp, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
}

typedef struct {
  int done, status, http_status, pins;
  char reason[64];
  char ids[16][MIR_PSA_REQID_MAX + 1];
  char cid[MIR_PSA_CID_MAX + 1];
} res_t;

static void r_done(void *ud, const mir_psa_result_t *r) {
  res_t *x = ud;
  x->done++;
  x->status = r->status;
  x->http_status = r->http_status;
  snprintf(x->reason, sizeof x->reason, "%s", r->reason);
  if (r->pin)
    snprintf(x->cid, sizeof x->cid, "%s", r->pin->cid);
}

static int r_pin(void *ud, const mir_psa_pin_t *p) {
  res_t *x = ud;
  if (x->pins < 16)
    snprintf(x->ids[x->pins], sizeof x->ids[0], "%s", p->requestid);
  x->pins++;
  return 0;
}

static void run_until(res_t *r) {
  for (int i = 0; i < 100000 && !r->done; i++)
    uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(r->done, 1);
}

/* A simulated service: its pins newest first, listed as the spec has it
 * (created before before=, at most limit=, the count of those matching;
 * or, count_all, of every pin, as some services count). */
typedef struct spin {
  const char *id, *created;
} spin_t;
#define T0 "2024-01-01T00:00:0"
static const spin_t FIVE[] = {{"p5", T0 "5Z"}, {"p4", T0 "4Z"},
                              {"p3", T0 "3Z"}, {"p2", T0 "2Z"},
                              {"p1", T0 "1Z"}};
/* Created to the second, pins sharing one: c and g are the ones a walk
 * asking before= the oldest time of the last page (go's) never sees. */
static const spin_t TIES[] = {{"z", T0 "6Z"}, {"a", T0 "5Z"}, {"b", T0 "5Z"},
                              {"c", T0 "5Z"}, {"d", T0 "4Z"}, {"e", T0 "3Z"},
                              {"f", T0 "3Z"}, {"g", T0 "3Z"}, {"h", T0 "2Z"}};
/* The same to the millisecond. */
static const spin_t TIES_MS[] = {
    {"z", T0 "6.250Z"}, {"a", T0 "5.250Z"}, {"b", T0 "5.250Z"},
    {"c", T0 "5.250Z"}, {"d", T0 "4.250Z"}, {"e", T0 "3.250Z"},
    {"f", T0 "3.250Z"}, {"g", T0 "3.250Z"}, {"h", T0 "2.250Z"}};
/* More pins at one time than a page of 3 holds. */
static const spin_t CROWD[] = {{"a", T0 "5Z"}, {"b", T0 "5Z"}, {"c", T0 "5Z"},
                               {"d", T0 "5Z"}, {"e", T0 "4Z"}};

static const spin_t *sim_set;
static size_t sim_n;
static bool sim_count_all;
static char sim_buf[32768];

/* Query parameter k ("before=") of the request line, %-decoded. */
static bool qparam(const char *req, const char *k, char *out, size_t n) {
  const char *eol = strstr(req, " HTTP/1.1"), *p = strstr(req, k);
  if (!p || !eol || p > eol)
    return false;
  size_t o = 0;
  for (p += strlen(k); p < eol && *p != '&' && o + 1 < n; o++) {
    unsigned x;
    if (*p == '%' && sscanf(p + 1, "%2x", &x) == 1)
      out[o] = (char)x, p += 3;
    else
      out[o] = *p++;
  }
  out[o] = 0;
  return true;
}

static const char *pages(svc_t *s, const char *req) {
  if (!strstr(req, "Authorization: Bearer sekrit\r\n"))
    return "!401 Unauthorized|{\"error\":{\"reason\":\"UNAUTHORIZED\"}}";
  if (!strstr(req, "GET /api/pins?"))
    return "!400 Bad Request|{}";
  if (s->mode == 1) /* a liar: the same page for every before= */
    return "{\"count\":50,\"results\":[" PS("p5", "pinned",
           "2024-01-01T00:00:05Z", CID1) "," PS("p4", "pinned",
           "2024-01-01T00:00:04Z", CID1) "]}";
  char b[64], l[16];
  int64_t before = INT64_MAX, t;
  unsigned limit = 1000;
  if (qparam(req, "before=", b, sizeof b) && mir_psa_parse_time_us(b, &before))
    return "!400 Bad Request|{}";
  if (qparam(req, "limit=", l, sizeof l))
    limit = (unsigned)atoi(l);
  size_t len = snprintf(sim_buf, sizeof sim_buf, "{\"results\":["), matched = 0;
  for (size_t i = 0; i < sim_n; i++) {
    assert_int_equal(mir_psa_parse_time_us(sim_set[i].created, &t), 0);
    if (t >= before || matched++ >= limit)
      continue;
    len += snprintf(sim_buf + len, sizeof sim_buf - len,
                    "%s{\"requestid\":\"%s\",\"status\":\"pinned\",\"created\""
                    ":\"%s\",\"pin\":{\"cid\":\"" CID1 "\"}}",
                    matched > 1 ? "," : "", sim_set[i].id, sim_set[i].created);
  }
  snprintf(sim_buf + len, sizeof sim_buf - len, "],\"count\":%zu}",
           sim_count_all ? sim_n : matched);
  return sim_buf;
}

static void sim_use(const spin_t *set, size_t n, bool count_all) {
  sim_set = set, sim_n = n, sim_count_all = count_all;
}

/* Walk the simulated service in pages of limit: the ids in order. */
static void walk(mir_psa_t *c, svc_t *s, unsigned limit, res_t *r) {
  mir_psa_query_t q = {.status = MIR_PSA_ALL, .limit = limit};
  s->requests = 0;
  memset(r, 0, sizeof *r);
  assert_int_equal(mir_psa_list_all(c, &q, r_pin, r_done, r, NULL), 0);
  run_until(r);
}

static void test_list_all_pages(void **st) {
  (void)st;
  svc_t s = {.answer = pages};
  mir_psa_t *c = svc_start(&s);
  res_t r;
  /* A service that counts every pin: the walk ends on the short page.
   * Each next page is asked with before= a second past the last one's
   * oldest, which comes again and is skipped. */
  sim_use(FIVE, 5, true);
  walk(c, &s, 2, &r);
  if (r.status)
    fail_msg("%d %d %d %s", r.status, r.http_status, s.requests, s.last);
  assert_int_equal(r.pins, 5);
  assert_int_equal(s.requests, 5);
  assert_string_equal(r.ids[0], "p5");
  assert_string_equal(r.ids[2], "p3");
  assert_string_equal(r.ids[4], "p1");
  assert_non_null(strstr(s.last, "status=queued,pinning,pinned,failed"));
  assert_non_null(strstr(s.last, "limit=2"));
  assert_non_null(strstr(s.last, "before=2024-01-01T00%3A00%3A02Z&"));
  /* A count of the matching pins only, as the spec has it: every pin
   * still comes (it stopped at 4 of 5 when the pins seen were held
   * against each page's count), the last page known by its count. */
  sim_use(FIVE, 5, false);
  walk(c, &s, 2, &r);
  assert_int_equal(r.status, 0);
  assert_int_equal(r.pins, 5);
  assert_int_equal(s.requests, 4);
  assert_string_equal(r.ids[4], "p1");
  /* Pins sharing a created time across a page's end, to the second and
   * to the millisecond: each comes once (before= the oldest time itself
   * lost c and g). */
  const spin_t *sets[] = {TIES, TIES_MS};
  for (int k = 0; k < 2; k++) {
    sim_use(sets[k], 9, false);
    walk(c, &s, 3, &r);
    if (r.status || r.pins != 9)
      fail_msg("set %d: status %d, %d pins, %s", k, r.status, r.pins, s.last);
    for (int i = 0; i < 9; i++)
      assert_string_equal(r.ids[i], sets[k][i].id);
    assert_int_equal(s.requests, 5);
  }
  assert_non_null(strstr(s.last, "before=2024-01-01T00%3A00%3A03.250Z&"));
  /* More pins at one time than a page: refused whole, not a list with
   * holes (a follow would drop the missing ones as unwanted). */
  sim_use(CROWD, 5, false);
  walk(c, &s, 3, &r);
  assert_int_equal(r.status, TR_ELIMIT);
  assert_int_equal(r.pins, 3);
  /* A service that never moves back in time is refused, not followed. */
  s.mode = 1;
  walk(c, &s, 2, &r);
  assert_int_equal(r.status, TR_EPROTO);
  assert_int_equal(r.pins, 2);
  svc_stop(c, &s);
}

static void test_unauthorized(void **st) {
  (void)st;
  svc_t s = {.answer = pages};
  char url[64];
  mir_psa_t *c = svc_start(&s);
  mir_psa_free(c);
  snprintf(url, sizeof url, "http://127.0.0.1:%d/api", s.port);
  assert_int_equal(mir_psa_new(&loop, url, "wrong", &c), 0);
  res_t r = {0};
  mir_psa_query_t q = {0};
  assert_int_equal(mir_psa_list(c, &q, r_done, &r, NULL), 0);
  run_until(&r);
  assert_int_equal(r.status, -EACCES);
  assert_int_equal(r.http_status, 401);
  assert_string_equal(r.reason, "UNAUTHORIZED");
  svc_stop(c, &s);
}

static const char *crud(svc_t *s, const char *req) {
  (void)s;
  if (!strncmp(req, "POST /api/pins ", 15)) {
    if (!strstr(req, "{\"cid\":\"" CID1 "\",\"name\":\"nm\",\"origins\":"
                     "[\"/ip4/1.1.1.1/tcp/1\"],\"meta\":{\"a\":\"b\"}}"))
      return "!400 Bad Request|{}";
    return "!202 Accepted|" PS("new", "queued", "2024-01-01T00:00:05Z", CID1);
  }
  if (!strncmp(req, "GET /api/pins/new ", 18))
    return PS("new", "pinned", "2024-01-01T00:00:05Z", CID1);
  if (!strncmp(req, "DELETE /api/pins/new ", 21))
    return "!202 Accepted|";
  if (!strncmp(req, "GET /api/pins/bad ", 18))
    return PS("new", "pinned", "2024-01-01T00:00:05Z", "zzz");
  return "!404 Not Found|{\"error\":{\"reason\":\"NOT_FOUND\"}}";
}

static void test_add_get_delete(void **st) {
  (void)st;
  svc_t s = {.answer = crud};
  mir_psa_t *c = svc_start(&s);
  res_t r = {0};
  json_t *orig = json_pack("[s]", "/ip4/1.1.1.1/tcp/1");
  json_t *meta = json_pack("{s:s}", "a", "b");
  assert_int_equal(mir_psa_add(c, NULL, CID1, "nm", orig, meta, r_done, &r,
                               NULL), 0);
  json_decref(orig);
  json_decref(meta);
  run_until(&r);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.cid, CID1);
  memset(&r, 0, sizeof r);
  assert_int_equal(mir_psa_get(c, "new", r_done, &r, NULL), 0);
  run_until(&r);
  assert_int_equal(r.status, 0);
  memset(&r, 0, sizeof r);
  assert_int_equal(mir_psa_get(c, "bad", r_done, &r, NULL), 0);
  run_until(&r);
  assert_int_equal(r.status, TR_EPROTO);
  memset(&r, 0, sizeof r);
  assert_int_equal(mir_psa_delete(c, "new", r_done, &r, NULL), 0);
  run_until(&r);
  assert_int_equal(r.status, 0);
  memset(&r, 0, sizeof r);
  assert_int_equal(mir_psa_delete(c, "gone", r_done, &r, NULL), 0);
  run_until(&r);
  assert_int_equal(r.status, TR_ENOTFOUND);
  assert_string_equal(r.reason, "NOT_FOUND");
  /* Ids that would escape the path are refused before any request. */
  assert_int_equal(mir_psa_get(c, "../x", r_done, &r, NULL), TR_EUSAGE);
  assert_int_equal(mir_psa_delete(c, "", r_done, &r, NULL), TR_EUSAGE);
  svc_stop(c, &s);
}

static void test_free_with_ops_running(void **st) {
  (void)st;
  svc_t s = {.answer = crud};
  mir_psa_t *c = svc_start(&s);
  res_t r1 = {0}, r2 = {0};
  mir_psa_op_t *op;
  assert_int_equal(mir_psa_get(c, "new", r_done, &r1, NULL), 0);
  assert_int_equal(mir_psa_get(c, "new", r_done, &r2, &op), 0);
  mir_psa_cancel(op);
  svc_stop(c, &s);
  assert_int_equal(r1.done, 1);
  assert_int_equal(r1.status, -ECANCELED);
  assert_int_equal(r2.done, 0); /* cancelled: no callback */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_status),
      cmocka_unit_test(test_parse_hostile),
      cmocka_unit_test(test_parse_page),
      cmocka_unit_test(test_failure_time_status),
      cmocka_unit_test(test_endpoint),
      cmocka_unit_test(test_list_all_pages),
      cmocka_unit_test(test_unauthorized),
      cmocka_unit_test(test_add_get_delete),
      cmocka_unit_test(test_free_with_ops_running),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

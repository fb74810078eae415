/*
 * gw_routing.c — the Delegated Routing V1 HTTP API (IPIP-337,
 * specs.ipfs.tech/routing/http-routing-v1/) on the gateway's listener,
 * Kubo's Gateway.ExposeRoutingAPI, answered as boxo's routing/http/server
 * (v0.43.0, what Kubo 0.43.1 runs) answers:
 *
 *   GET /routing/v1/providers/{cid}   {"Providers":[peer records]}
 *   GET /routing/v1/peers/{peer-id}   {"Peers":[peer records]}
 *   GET /routing/v1/ipns/{name}       the record, application/vnd.ipfs.ipns-record
 *   PUT /routing/v1/ipns/{name}       store and publish a record
 *
 * A peer record is {"Addrs":[...],"ID":"12D3...","Schema":"peer"} (keys in
 * Go's map order; Addrs left out when there are none, no Protocols: the
 * DHT does not tell them).  Providers and peers come as one JSON document
 * (at most GW_RT_RECORDS_MAX records) or, when the Accept header lists
 * application/x-ndjson, streamed one record a line as the lookup finds
 * them.  No result is 200 with an empty list (IPIP-513; servers before it
 * said 404, and clients take both), cached briefly; an IPNS name nobody
 * has is 200 text/plain.  A bad key is 400, an Accept nothing matches 400
 * (406 for IPNS), a lookup that fails 500.
 *
 * The lookups are the router's (gw_routing.h), which the daemon wires in;
 * nothing here blocks: each request holds a small state, a timer
 * (GW_RT_TIMEOUT_MS, boxo's DefaultRoutingTimeout: then the answer is what
 * was found so far) and the router's handle, which it cancels when the
 * client leaves or the time is up.
 *
 * Not served: the deprecated PUT /routing/v1/providers (IPIP-526; Kubo
 * refuses it too), /routing/v1/dht/closest/peers, the filter-addrs and
 * filter-protocols parameters (IPIP-484).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gw_int.h"

#define GW_RT_TIMEOUT_MS 30000  /* boxo's DefaultRoutingTimeout */
#define GW_RT_RECORDS_MAX 20    /* boxo's DefaultRecordsLimit (JSON) */
#define GW_RT_IPNS_MAX 10240    /* boxo's ipns.MaxRecordSize */

/* boxo v0.43.0's Cache-Control: results are cached 5 minutes (stale while
 * revalidating 10, on errors 48 h, the DHT's record lifetime); an empty
 * answer 15 s (1 min, 1 h). */
#define CC_RESULTS \
  "public, max-age=300, stale-while-revalidate=600, stale-if-error=172800"
#define CC_EMPTY "public, max-age=15, stale-while-revalidate=60, " \
                 "stale-if-error=3600"
#define MT_JSON "application/json"
#define MT_NDJSON "application/x-ndjson"
#define MT_IPNS "application/vnd.ipfs.ipns-record"

/* ------------------------------------------------------------ parsing */

int gw__rt_route(const char *path, const char **key, size_t *kl) {
  static const struct {
    const char *prefix;
    int kind;
  } routes[] = {{"/routing/v1/providers/", GW_RT_PROVIDERS},
                {"/routing/v1/peers/", GW_RT_PEERS},
                {"/routing/v1/ipns/", GW_RT_IPNS}};
  for (size_t i = 0; i < TR_ARRAY_LEN(routes); i++) {
    size_t pl = strlen(routes[i].prefix);
    if (strncmp(path, routes[i].prefix, pl))
      continue;
    /* One non-empty segment, as gorilla/mux's {cid}: "a/b" or "" is no
     * route at all (404). */
    const char *k = path + pl;
    size_t n = strlen(k);
    if (!n || memchr(k, '/', n))
      return 0;
    *key = k;
    *kl = n;
    return routes[i].kind;
  }
  return 0;
}

int gw__rt_accept(const char *accept) {
  /* boxo's detectResponseType: no header means JSON; NDJSON wins when
   * listed at all (whatever its q), else JSON or * / *; a header that lists
   * neither is refused. */
  if (!accept || !*accept)
    return GW_RT_JSON;
  bool json = false, ndjson = false;
  for (const char *p = accept; *p;) {
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    size_t n = strcspn(p, ",;");
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
      n--;
    if (n == strlen(MT_JSON) && !strncasecmp(p, MT_JSON, n))
      json = true;
    else if (n == 3 && !strncmp(p, "*/*", 3))
      json = true;
    else if (n == strlen(MT_NDJSON) && !strncasecmp(p, MT_NDJSON, n))
      ndjson = true;
    else if (n && !memchr(p, '/', n))
      return -EINVAL; /* not a media type: Go's mime.ParseMediaType fails */
    p += strcspn(p, ",");
  }
  return ndjson ? GW_RT_NDJSON : json ? GW_RT_JSON : TR_ENOTFOUND;
}

int gw__rt_key(int kind, const char *s, size_t n, uint8_t *out, size_t cap,
               size_t *len) {
  char buf[GW_RT_KEY_MAX + 1];
  if (n > GW_RT_KEY_MAX)
    return TR_ETOOBIG;
  int dl = http_pct_decode(s, n, buf);
  if (dl <= 0)
    return -EINVAL;
  size_t d = (size_t)dl;
  const uint8_t *mh;
  size_t mhl;
  uint8_t raw[DAG_CID_MAX];
  dag_cid_t cid;
  if (kind == GW_RT_PEERS && (buf[0] == '1' || !strncmp(buf, "Qm", 2)) &&
      !dag_b58_decode(buf, d, raw, sizeof raw, &mhl)) {
    /* A PeerID in its legacy form, bare base58btc: the multihash. */
    mh = raw;
  } else {
    /* A CID.  For peers any codec, as boxo's parsePeerID retries with
     * the CID's multihash; an IPNS name must be a libp2p-key CID
     * (ipns.NameFromCid). */
    int rc = dag_cid_parse(&cid, buf, d);
    if (rc)
      return rc;
    if (kind == GW_RT_IPNS && cid.codec != DAG_CODEC_LIBP2P_KEY)
      return TR_ECODEC;
    mh = dag_cid_mh(&cid, &mhl);
  }
  uint64_t code;
  const uint8_t *dg;
  size_t dgl;
  int rc = dag_mh_parse(mh, mhl, &code, &dg, &dgl);
  if (rc < 0)
    return rc;
  if ((size_t)rc != mhl)
    return TR_EMULTIHASH; /* trailing bytes */
  if (mhl > cap)
    return TR_EBUFSIZE;
  memcpy(out, mh, mhl);
  *len = mhl;
  return 0;
}

/* ------------------------------------------------------ the request */

typedef struct rt_req {
  http_req_t *req; /* NULL once answered */
  gw_ctx_t *ctx;
  void *lookup;    /* the router's, NULL once it ended */
  uv_timer_t timer;
  int kind;        /* GW_RT_PROVIDERS, PEERS, IPNS */
  bool ndjson, started, ended;
  size_t count;    /* records written */
  tr_bytes_t out;  /* JSON: the records so far, comma-separated */
  tr_bytes_t body; /* PUT: the record */
  bool too_big, reading;
  uint8_t key[DAG_MH_MAX]; /* the multihash (the PeerID's bytes for names) */
  size_t kl;
} rt_req_t;

static void rt_timer_closed(uv_handle_t *h) {
  rt_req_t *q = h->data;
  tr_bytes_free(&q->out);
  tr_bytes_free(&q->body);
  tr_free(q);
}

/* Stop the lookup, let go of the request (the caller has answered it, or
 * the client left), free the state once the timer has closed. */
static void rt_end(rt_req_t *q) {
  if (q->ended)
    return;
  q->ended = true;
  if (q->lookup) {
    void *l = q->lookup;
    q->lookup = NULL;
    q->ctx->router->cancel(q->ctx->router->ud, l);
  }
  if (q->req) {
    http_req_on_close(q->req, NULL, NULL);
    if (q->reading) /* the rest of a PUT's body goes nowhere */
      http_req_body(q->req, NULL, NULL, NULL);
    http_res_end(q->req);
    q->req = NULL;
  }
  uv_timer_stop(&q->timer);
  uv_close((uv_handle_t *)&q->timer, rt_timer_closed);
}


/* boxo's writeErr: the cause as plain text (Go's sniffing names it
 * text/plain). */
static void rt_error(http_req_t *req, int status, const char *fmt, ...)
    TR_PRINTF(3, 4);
static void rt_error(http_req_t *req, int status, const char *fmt, ...) {
  char body[1100];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(body, 1025, fmt, ap); /* boxo cuts the cause at 1024 */
  va_end(ap);
  if (n < 0)
    n = 0;
  if (n > 1024)
    n = 1024;
  http_header_t h[] = {{"Content-Type", "text/plain; charset=utf-8"},
                       {"Access-Control-Allow-Origin", "*"}};
  http_res_start(req, status, h, TR_ARRAY_LEN(h), n);
  http_res_write(req, body, (size_t)n);
}

static void rt_fail(rt_req_t *q, int status, const char *what, int rc) {
  if (q->req)
    rt_error(q->req, status, "%s: %s", what, tr_strerror(rc));
  rt_end(q);
}

/* ----------------------------------------------------- peer records */

/* s as a JSON string (quotes included). */
static int json_str(tr_bytes_t *b, const char *s) {
  int rc = tr_bytes_append(b, "\"", 1);
  for (; !rc && *s; s++) {
    unsigned char c = (unsigned char)*s;
    char e[8];
    if (c == '"' || c == '\\')
      rc = tr_bytes_append(b, (char[]){'\\', (char)c}, 2);
    else if (c < 0x20) {
      snprintf(e, sizeof e, "\\u%04x", c);
      rc = tr_bytes_append(b, e, 6);
    } else
      rc = tr_bytes_append(b, s, 1);
  }
  return rc ? rc : tr_bytes_append(b, "\"", 1);
}

/* {"Addrs":[...],"ID":"...","Schema":"peer"}: boxo marshals the record as
 * a Go map, keys sorted, Addrs only when there are some. */
static int peer_json(tr_bytes_t *b, const gw_peer_t *p) {
  int rc = tr_bytes_append(b, "{", 1);
  if (!rc && p->naddrs) {
    rc = tr_bytes_append(b, "\"Addrs\":[", 9);
    for (size_t i = 0; !rc && i < p->naddrs; i++) {
      if (i)
        rc = tr_bytes_append(b, ",", 1);
      if (!rc)
        rc = json_str(b, p->addrs[i]);
    }
    if (!rc)
      rc = tr_bytes_append(b, "],", 2);
  }
  if (!rc)
    rc = tr_bytes_append(b, "\"ID\":", 5);
  if (!rc)
    rc = json_str(b, p->id);
  if (!rc)
    rc = tr_bytes_append(b, ",\"Schema\":\"peer\"}", 17);
  return rc;
}

static size_t list_headers(const char *type, const char *cc, char *date,
                           http_header_t *h) {
  http_date_format(time(NULL), date);
  h[0] = (http_header_t){"Content-Type", type};
  h[1] = (http_header_t){"Vary", "Accept"};
  h[2] = (http_header_t){"Cache-Control", cc};
  h[3] = (http_header_t){"Last-Modified", date};
  h[4] = (http_header_t){"Access-Control-Allow-Origin", "*"};
  return 5;
}

static void on_peer(void *ud, const gw_peer_t *p) {
  rt_req_t *q = ud;
  if (q->ended || !q->req)
    return;
  if (!q->ndjson) {
    size_t before = q->out.len;
    if ((q->count && tr_bytes_append(&q->out, ",", 1)) ||
        peer_json(&q->out, p))
      q->out.len = before; /* out of memory: this record is left out */
    else
      q->count++;
    return;
  }
  /* NDJSON: the headers go with the first record, so that the cache time
   * can say whether there are results (as boxo). */
  if (!q->started) {
    http_header_t h[5];
    char date[40];
    size_t n = list_headers(MT_NDJSON, CC_RESULTS, date, h);
    http_res_start(q->req, 200, h, n, -1);
    q->started = true;
  }
  tr_bytes_t line = {0};
  if (!peer_json(&line, p) && !tr_bytes_append(&line, "\n", 1)) {
    http_res_write(q->req, line.data, line.len);
    http_res_flush(q->req);
    q->count++;
  }
  tr_bytes_free(&line);
}

/* The list is complete (or the time is up): the answer's end. */
static void list_finish(rt_req_t *q, int status) {
  http_req_t *req = q->req;
  if (!req) {
    rt_end(q);
    return;
  }
  if (!q->started && !q->count && status && status != TR_ENOTFOUND) {
    rt_fail(q, 500, "delegate error", status);
    return;
  }
  if (q->ndjson) {
    if (!q->started) {
      http_header_t h[5];
      char date[40];
      size_t n = list_headers(MT_NDJSON, CC_EMPTY, date, h);
      http_res_start(req, 200, h, n, 0);
    }
    rt_end(q);
    return;
  }
  const char *name = q->kind == GW_RT_PROVIDERS ? "Providers" : "Peers";
  char head[32];
  int hl = snprintf(head, sizeof head, "{\"%s\":[", name);
  http_header_t h[5];
  char date[40];
  size_t n = list_headers(MT_JSON, q->count ? CC_RESULTS : CC_EMPTY, date, h);
  http_res_start(req, 200, h, n, (int64_t)((size_t)hl + q->out.len + 2));
  http_res_write(req, head, (size_t)hl);
  if (q->out.len)
    http_res_write(req, q->out.data, q->out.len);
  http_res_write(req, "]}", 2);
  rt_end(q);
}

static void on_list_done(void *ud, int status) {
  rt_req_t *q = ud;
  q->lookup = NULL;
  if (!q->ended)
    list_finish(q, status);
}

/* --------------------------------------------------------------- IPNS */

static void on_ipns(void *ud, int status, const gw_ipns_t *rec) {
  rt_req_t *q = ud;
  q->lookup = NULL;
  if (q->ended)
    return;
  http_req_t *req = q->req;
  if (status == TR_ENOTFOUND) {
    /* IPIP-513: 200, and a text/plain body says there is no record. */
    static const char msg[] = "delegate error: routing: not found\n";
    http_header_t h[] = {{"Content-Type", "text/plain; charset=utf-8"},
                         {"X-Content-Type-Options", "nosniff"},
                         {"Cache-Control", CC_EMPTY},
                         {"Access-Control-Allow-Origin", "*"}};
    http_res_start(req, 200, h, TR_ARRAY_LEN(h), sizeof msg - 1);
    http_res_write(req, msg, sizeof msg - 1);
    rt_end(q);
    return;
  }
  if (status || !rec) {
    rt_fail(q, 500, "delegate error", status ? status : -EIO);
    return;
  }
  /* Caches may keep the record for its TTL, and serve it stale, but never
   * past its end of life (boxo's setIPNSCacheControl). */
  time_t now = time(NULL);
  int64_t left = rec->eol > 0 ? rec->eol - (int64_t)now : 0;
  char cc[128], expires[40], date[40], etag[24], disp[DAG_CID_STR_MAX + 48];
  if (left <= 0)
    snprintf(cc, sizeof cc, "no-store");
  else {
    int64_t ttl = rec->ttl_s < 0 ? 300 : rec->ttl_s; /* DefaultRecordTTL */
    int64_t age = ttl < left ? ttl : left;
    snprintf(cc, sizeof cc, "public, max-age=%lld, stale-while-revalidate="
             "%lld, stale-if-error=%lld", (long long)age,
             (long long)(left - age), (long long)(left - age));
  }
  http_date_format(now, date);
  /* An opaque strong validator for the record's bytes: boxo hashes with
   * xxHash64; any hash serves. */
  snprintf(etag, sizeof etag, "\"%llx\"",
           (unsigned long long)tr_fnv1a(rec->rec, rec->len));
  http_header_t h[10];
  size_t n = 0;
  if (rec->eol > 0 && http_date_format(rec->eol, expires))
    h[n++] = (http_header_t){"Expires", expires};
  h[n++] = (http_header_t){"Cache-Control", cc};
  h[n++] = (http_header_t){"Last-Modified", date};
  h[n++] = (http_header_t){"Etag", etag};
  h[n++] = (http_header_t){"Content-Type", MT_IPNS};
  dag_cid_t cid;
  char name[DAG_CID_STR_MAX];
  if (!dag_cid_make(&cid, 1, DAG_CODEC_LIBP2P_KEY, q->key, q->kl) &&
      dag_cid_format(&cid, 'k', name, sizeof name) > 0) {
    snprintf(disp, sizeof disp, "attachment; filename=\"%s.ipns-record\"",
             name);
    h[n++] = (http_header_t){"Content-Disposition", disp};
  }
  h[n++] = (http_header_t){"Vary", "Accept"};
  h[n++] = (http_header_t){"Access-Control-Allow-Origin", "*"};
  http_res_start(req, 200, h, n, (int64_t)rec->len);
  http_res_write(req, rec->rec, rec->len);
  rt_end(q);
}

static void on_put_done(void *ud, int status) {
  rt_req_t *q = ud;
  q->lookup = NULL;
  if (q->ended)
    return;
  if (status) {
    rt_fail(q, 500, "delegate error", status);
    return;
  }
  http_header_t h[] = {{"Access-Control-Allow-Origin", "*"}};
  http_res_start(q->req, 200, h, 1, 0);
  rt_end(q);
}

static void put_data(http_req_t *req, const uint8_t *p, size_t n, void *ud) {
  (void)req;
  rt_req_t *q = ud;
  if (q->too_big || q->ended)
    return;
  if (q->body.len + n > GW_RT_IPNS_MAX || tr_bytes_append(&q->body, p, n))
    q->too_big = true;
}

static void put_end(http_req_t *req, int status, void *ud) {
  (void)req;
  rt_req_t *q = ud;
  q->reading = false;
  if (q->ended)
    return;
  if (status < 0) { /* the client left, or the body broke off */
    rt_end(q);
    return;
  }
  if (q->too_big) {
    rt_error(q->req, 400, "provided record is too long");
    rt_end(q);
    return;
  }
  const gw_router_t *r = q->ctx->router;
  int rc = r->put_ipns(r->ud, q->key, q->kl, q->body.data, q->body.len,
                       on_put_done, q, &q->lookup);
  if (rc == -ENOTSUP || rc == -ENOMEM || rc == TR_ELIMIT)
    rt_fail(q, 500, "delegate error", rc);
  else if (rc)
    rt_fail(q, 400, "provided record is invalid", rc);
}

/* ----------------------------------------------------------- handler */

static void rt_gone(http_req_t *req, void *ud) {
  rt_req_t *q = ud;
  (void)req;
  rt_end(q); /* the writes after a close are dropped; end still counts */
}

static void rt_timeout(uv_timer_t *t) {
  rt_req_t *q = t->data;
  if (q->lookup) {
    void *l = q->lookup;
    q->lookup = NULL;
    q->ctx->router->cancel(q->ctx->router->ud, l);
  }
  if (q->kind == GW_RT_IPNS) {
    if (q->req)
      rt_error(q->req, 500, "delegate error: context deadline exceeded");
    rt_end(q);
  } else
    list_finish(q, 0); /* what was found in time */
}

static rt_req_t *rt_new(http_req_t *req, gw_ctx_t *ctx, int kind) {
  rt_req_t *q = tr_calloc(1, sizeof *q);
  if (!q || uv_timer_init(ctx->loop, &q->timer)) {
    tr_free(q);
    rt_error(req, 500, "out of memory");
    http_res_end(req);
    return NULL;
  }
  q->req = req;
  q->ctx = ctx;
  q->kind = kind;
  q->timer.data = q;
  uv_timer_start(&q->timer, rt_timeout,
                 ctx->routing_timeout_ms ? ctx->routing_timeout_ms
                                         : GW_RT_TIMEOUT_MS,
                 0);
  http_req_on_close(req, rt_gone, q);
  return q;
}

static void answer(http_req_t *req, int status, const char *allow) {
  http_header_t h[] = {{"Allow", allow},
                       {"Access-Control-Allow-Origin", "*"},
                       {"Access-Control-Allow-Methods", allow},
                       {"Access-Control-Allow-Headers",
                        "Content-Type, Accept"}};
  http_res_start(req, status, h, TR_ARRAY_LEN(h), 0);
  http_res_end(req);
}

void gw__routing_handle(http_req_t *req, gw_ctx_t *ctx) {
  const char *m = http_req_method(req);
  const char *k;
  size_t kl;
  int kind = gw__rt_route(http_req_path(req), &k, &kl);
  if (!kind) {
    rt_error(req, 404, "404 page not found");
    http_res_end(req);
    return;
  }
  const char *allow = kind == GW_RT_IPNS ? "GET, PUT, OPTIONS" : "GET, OPTIONS";
  if (!strcmp(m, "OPTIONS")) {
    answer(req, 200, allow);
    return;
  }
  bool put = !strcmp(m, "PUT");
  if (strcmp(m, "GET") && !(put && kind == GW_RT_IPNS)) {
    answer(req, 405, allow);
    return;
  }
  int fmt = GW_RT_JSON;
  if (kind != GW_RT_IPNS) {
    fmt = gw__rt_accept(http_req_header(req, "accept"));
    if (fmt < 0) {
      rt_error(req, 400, fmt == -EINVAL ? "unable to parse Accept header"
                                        : "no supported content types");
      http_res_end(req);
      return;
    }
  } else if (put) {
    const char *ct = http_req_header(req, "content-type");
    if (!ct || !strstr(ct, MT_IPNS)) {
      rt_error(req, 406, "content type in 'Content-Type' header is missing "
               "or not supported");
      http_res_end(req);
      return;
    }
  } else {
    const char *acc = http_req_header(req, "accept");
    if (acc && *acc && !strstr(acc, "*/*") && !strstr(acc, MT_IPNS)) {
      rt_error(req, 406, "content type in 'Accept' header is not supported, "
               "retry with '" MT_IPNS "'");
      http_res_end(req);
      return;
    }
  }
  uint8_t key[DAG_MH_MAX];
  size_t keyl;
  int rc = gw__rt_key(kind, k, kl, key, sizeof key, &keyl);
  if (rc) {
    rt_error(req, 400, "%s \"%.200s\": %s",
             kind == GW_RT_PROVIDERS ? "unable to parse CID"
             : kind == GW_RT_PEERS   ? "unable to parse PeerID"
                                     : "peer ID CID is not valid",
             k, tr_strerror(rc));
    http_res_end(req);
    return;
  }
  if (!ctx->router) { /* ExposeRoutingAPI on, but the daemon has none */
    rt_error(req, 500, "delegate error: routing is off");
    http_res_end(req);
    return;
  }
  rt_req_t *q = rt_new(req, ctx, kind);
  if (!q)
    return;
  memcpy(q->key, key, keyl);
  q->kl = keyl;
  q->ndjson = fmt == GW_RT_NDJSON;
  const gw_router_t *r = ctx->router;
  if (put) {
    q->reading = true;
    http_req_body(req, put_data, put_end, q);
    return;
  }
  if (kind == GW_RT_PROVIDERS)
    rc = r->find_providers(r->ud, key, keyl,
                           q->ndjson ? 0 : GW_RT_RECORDS_MAX, on_peer,
                           on_list_done, q, &q->lookup);
  else if (kind == GW_RT_PEERS)
    rc = r->find_peer(r->ud, key, keyl, on_peer, on_list_done, q, &q->lookup);
  else
    rc = r->get_ipns(r->ud, key, keyl, on_ipns, q, &q->lookup);
  if (rc == TR_EPEERID)
    rt_fail(q, 400, kind == GW_RT_PEERS ? "unable to parse PeerID"
                                        : "peer ID CID is not valid", rc);
  else if (rc)
    rt_fail(q, 500, "delegate error", rc);
}

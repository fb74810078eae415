/*
 * delegated.c — lookups on delegated routers (node/delegated.h): one HTTP
 * request a router (http/client.h), the answers read by deleg_parse.c and
 * merged into one end.
 *
 * Lifetimes.  A lookup holds one dreq_t a router; each request's on_done
 * (always from the loop) marks it over, and the last one ends the lookup:
 * on_done to the caller unless it cancelled, then the memory.  A cancel
 * only marks the lookup and cancels its requests, so that a caller may
 * cancel from inside its on_peer (the parser is then mid-answer, on the
 * stack): nothing is freed before the HTTP client's on_done calls come.
 * The node_deleg_t itself lives until its last lookup is freed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../dag/cid.h"
#include "../dht/ipns.h"
#include "../http/client.h"
#include "delegated.h"

enum { K_PROVIDERS, K_PEER, K_GET, K_PUT };

#define MT_NDJSON "application/x-ndjson"
#define MT_IPNS "application/vnd.ipfs.ipns-record"

struct node_deleg {
  http_client_t *http;
  size_t n;
  char url[NODE_DELEG_ROUTERS_MAX][NODE_DELEG_URL_MAX];
  size_t lookups; /* not yet freed */
  bool closing;
};

typedef struct dreq {
  node_dlook_t *l;
  http_creq_t *h;  /* NULL once over */
  bool parsing;    /* a providers / peers answer of status 200 */
  bool stopped;    /* we stopped reading: enough, or cancelled */
  bool ipns_type;  /* the answer is an IPNS record */
  node_dparse_t parse;
  tr_bytes_t body; /* an IPNS record */
  size_t reported;
  int status;      /* the outcome: 0, TR_ENOTFOUND or an error */
} dreq_t;

struct node_dlook {
  node_deleg_t *d;
  int kind;
  const node_deleg_cbs_t *cbs;
  void *ud;
  bool cancelled;
  size_t nreq, live;
  size_t max;
  net_peerid_t target;
  uint8_t key[DHT_KEY_MAX]; /* get: the record's routing key */
  size_t kl;
  uint64_t now_ms;
  uint8_t *best; /* get: the best valid record so far */
  size_t bl;
  dreq_t req[];
};

/* ------------------------------------------------------------ config */

size_t node_deleg_count(const node_deleg_t *d) { return d ? d->n : 0; }

int node_deleg_new(uv_loop_t *loop, json_t *cfg, node_deleg_t **out) {
  *out = NULL;
  json_t *list = config_get(cfg, "Routing.DelegatedRouters");
  if (!list || json_is_null(list))
    return 0;
  if (!json_is_array(list))
    return TR_ECONFIG;
  node_deleg_t *d = tr_calloc(1, sizeof *d);
  if (!d)
    return -ENOMEM;
  size_t i, skipped = 0;
  json_t *v;
  json_array_foreach(list, i, v) {
    const char *s = json_string_value(v);
    size_t len = s ? strlen(s) : 0;
    while (len && s[len - 1] == '/')
      len--;
    size_t sl = s && !strncmp(s, "https://", 8) ? 8 : 7;
    if (!s || (strncmp(s, "http://", 7) && sl == 7) || len <= sl ||
        len >= NODE_DELEG_URL_MAX || d->n == NODE_DELEG_ROUTERS_MAX) {
      skipped++;
      continue;
    }
    memcpy(d->url[d->n], s, len);
    d->url[d->n++][len] = 0;
  }
  if (skipped)
    tr_log(TR_LOG_WARN,
           "Routing.DelegatedRouters: %zu of %zu entries skipped: only "
           "http:// and https:// URLs are used (no AutoConf for \"auto\"; "
           "at most %d routers)",
           skipped, json_array_size(list), NODE_DELEG_ROUTERS_MAX);
  if (!d->n) {
    tr_free(d);
    return 0;
  }
  http_client_opts_t o;
  http_client_opts_default(&o);
  o.deadline_ms = NODE_DELEG_TIMEOUT_MS;
  o.max_body_bytes = NODE_DELEG_BODY_MAX;
  int rc = http_client_new(loop, &o, &d->http);
  if (rc) {
    tr_free(d);
    return rc;
  }
  for (size_t k = 0; k < d->n; k++)
    tr_log(TR_LOG_INFO, "delegated router: %s", d->url[k]);
  *out = d;
  return 0;
}

void node_deleg_free(node_deleg_t *d) {
  if (!d)
    return;
  d->closing = true;
  http_client_free(d->http); /* every request ends from the loop */
  d->http = NULL;
  if (!d->lookups)
    tr_free(d);
}

/* --------------------------------------------------------- the end */

static void lookup_end(node_dlook_t *l) {
  node_deleg_t *d = l->d;
  if (!l->cancelled) {
    int st = 0, first = 0;
    bool ok = false;
    for (size_t i = 0; i < l->nreq; i++) {
      int s = l->req[i].status;
      if (!s)
        ok = true;
      else if (!first || (first == TR_ENOTFOUND && s != TR_ENOTFOUND))
        first = s;
    }
    if (!ok)
      st = first ? first : TR_ENOTFOUND;
    if (l->kind == K_GET && !l->best && !st)
      st = TR_ENOTFOUND;
    l->cancelled = true; /* nothing more, whatever the caller does */
    l->cbs->on_done(l->ud, st, l->best, l->bl);
  }
  tr_free(l->best);
  tr_free(l);
  if (--d->lookups == 0 && d->closing)
    tr_free(d);
}

/* A router's IPNS record: valid for the name now, and better than what
 * the others gave. */
static int take_record(node_dlook_t *l, const uint8_t *v, size_t vl) {
  int rc = dht_record_validate(NULL, l->key, l->kl, v, vl, l->now_ms);
  if (rc)
    return rc;
  if (l->best) {
    const uint8_t *vals[2] = {l->best, v};
    size_t lens[2] = {l->bl, vl};
    if (dht_record_select(NULL, l->key, l->kl, vals, lens, 2) == 0)
      return 0;
  }
  uint8_t *c = tr_malloc(vl ? vl : 1);
  if (!c)
    return -ENOMEM;
  memcpy(c, v, vl);
  tr_free(l->best);
  l->best = c, l->bl = vl;
  return 0;
}

/* ------------------------------------------------------ HTTP calls */

static int rq_peer(void *ud, const dht_peer_t *p) {
  dreq_t *r = ud;
  node_dlook_t *l = r->l;
  if (l->cancelled)
    return 1;
  if (l->kind == K_PEER && !net_peerid_equal(&p->id, &l->target))
    return 0; /* a router may answer with others: only the one asked */
  r->reported++;
  l->cbs->on_peer(l->ud, p); /* may cancel l: it stays until on_done */
  if (l->cancelled || l->kind == K_PEER ||
      (l->max && r->reported >= l->max))
    return 1;
  return 0;
}

static int rq_head(http_creq_t *h, int status, const http_header_t *hd,
                   size_t nh, void *ud) {
  (void)h;
  dreq_t *r = ud;
  node_dlook_t *l = r->l;
  if (l->cancelled)
    return 1;
  if (status == 404)
    return TR_ENOTFOUND;
  if (l->kind == K_PUT)
    return status >= 200 && status < 300 ? 0 : TR_EPROTO;
  if (status != 200)
    return TR_EPROTO;
  const char *ct = http_client_header(hd, nh, "content-type");
  if (l->kind == K_GET) {
    /* trove's and boxo's servers say 200 text/plain for a name nobody
     * has; only a record counts. */
    r->ipns_type = ct && !strncmp(ct, MT_IPNS, strlen(MT_IPNS));
    return r->ipns_type ? 0 : TR_ENOTFOUND;
  }
  bool nd = ct && !strncmp(ct, MT_NDJSON, strlen(MT_NDJSON));
  node_dparse_init(&r->parse, nd, 0, 0, rq_peer, r);
  r->parsing = true;
  return 0;
}

static int rq_body(http_creq_t *h, const uint8_t *p, size_t n, void *ud) {
  (void)h;
  dreq_t *r = ud;
  if (r->l->cancelled)
    return 1;
  if (r->l->kind == K_GET)
    return tr_bytes_append(&r->body, p, n);
  if (!r->parsing)
    return 0;
  int rc = node_dparse_feed(&r->parse, p, n);
  if (rc == 1)
    r->stopped = true;
  return rc;
}

static void rq_done(http_creq_t *h, int status, void *ud) {
  (void)h;
  dreq_t *r = ud;
  node_dlook_t *l = r->l;
  r->h = NULL;
  if (r->stopped && status == -ECANCELED)
    status = 0; /* we had what we wanted */
  if (!status && r->parsing && !l->cancelled &&
      node_dparse_end(&r->parse) < 0)
    status = -ENOMEM;
  if (!status && l->kind == K_GET && !l->cancelled)
    status = take_record(l, r->body.data, r->body.len);
  if (r->parsing)
    node_dparse_free(&r->parse);
  tr_bytes_free(&r->body);
  r->status = status;
  if (--l->live == 0)
    lookup_end(l);
}

static const http_client_cbs_t RQ_CBS = {rq_head, rq_body, rq_done};

/* ------------------------------------------------------------ starts */

static int start(node_deleg_t *d, int kind, const char *path,
                 const uint8_t *body, size_t bl, size_t max,
                 const node_deleg_cbs_t *cbs, void *ud, node_dlook_t *proto,
                 node_dlook_t **out) {
  if (!d || d->closing)
    return -ECANCELED;
  if (d->lookups >= NODE_DELEG_LOOKUPS_MAX)
    return TR_ELIMIT;
  node_dlook_t *l = tr_calloc(1, sizeof *l + d->n * sizeof(dreq_t));
  if (!l)
    return -ENOMEM;
  if (proto)
    memcpy(l, proto, sizeof *l);
  l->d = d, l->kind = kind, l->cbs = cbs, l->ud = ud, l->max = max;
  d->lookups++;
  http_header_t hs[2];
  size_t nh = 0;
  if (kind == K_PUT)
    hs[nh++] = (http_header_t){"Content-Type", MT_IPNS};
  hs[nh++] = (http_header_t){"Accept", kind == K_GET || kind == K_PUT
                                           ? MT_IPNS
                                           : MT_NDJSON ", application/json"};
  int first = 0;
  char url[NODE_DELEG_URL_MAX + 256];
  for (size_t i = 0; i < d->n; i++) {
    dreq_t *r = &l->req[l->nreq];
    *r = (dreq_t){.l = l};
    snprintf(url, sizeof url, "%s/routing/v1/%s", d->url[i], path);
    int rc = http_client_request(d->http, kind == K_PUT ? "PUT" : "GET", url,
                                 hs, nh, body, bl, &RQ_CBS, r, &r->h);
    if (rc) {
      if (!first)
        first = rc;
      continue;
    }
    if (kind == K_GET)
      http_creq_set_limits(r->h, NODE_DELEG_IPNS_MAX, 0);
    l->nreq++, l->live++;
  }
  if (!l->nreq) {
    d->lookups--;
    tr_free(l);
    return first;
  }
  *out = l;
  return 0;
}

int node_deleg_find_providers(node_deleg_t *d, const uint8_t *mh, size_t mhl,
                              size_t max, const node_deleg_cbs_t *cbs,
                              void *ud, node_dlook_t **out) {
  dag_cid_t cid;
  char path[32 + DAG_CID_STR_MAX];
  /* Routers look at the multihash; raw is what boxo's client sends for a
   * bare multihash too. */
  if (dag_cid_make(&cid, 1, DAG_CODEC_RAW, mh, mhl))
    return TR_EUSAGE;
  int n = snprintf(path, sizeof path, "providers/");
  if (dag_cid_format(&cid, 'b', path + n, sizeof path - (size_t)n) < 0)
    return TR_EUSAGE;
  return start(d, K_PROVIDERS, path, NULL, 0, max, cbs, ud, NULL, out);
}

/* prefix + the PeerID as a CIDv1 libp2p-key in base. */
static int id_path(char *path, size_t cap, const char *prefix,
                   const net_peerid_t *id, char base) {
  int n = snprintf(path, cap, "%s", prefix);
  return net_peerid_format(id, base, path + n, cap - (size_t)n) < 0
             ? TR_EUSAGE
             : 0;
}

int node_deleg_find_peer(node_deleg_t *d, const net_peerid_t *id,
                         const node_deleg_cbs_t *cbs, void *ud,
                         node_dlook_t **out) {
  char path[16 + NET_PEERID_STR_MAX];
  node_dlook_t proto = {.target = *id};
  if (id_path(path, sizeof path, "peers/", id, 'b'))
    return TR_EUSAGE;
  return start(d, K_PEER, path, NULL, 0, 0, cbs, ud, &proto, out);
}

int node_deleg_get_ipns(node_deleg_t *d, const net_peerid_t *name,
                        uint64_t now_ms, const node_deleg_cbs_t *cbs,
                        void *ud, node_dlook_t **out) {
  char path[16 + NET_PEERID_STR_MAX];
  node_dlook_t proto = {.target = *name, .now_ms = now_ms};
  int kl = dht_ipns_key(name, proto.key, sizeof proto.key);
  if (kl < 0 || id_path(path, sizeof path, "ipns/", name, 'k'))
    return TR_EUSAGE;
  proto.kl = (size_t)kl;
  return start(d, K_GET, path, NULL, 0, 0, cbs, ud, &proto, out);
}

int node_deleg_put_ipns(node_deleg_t *d, const net_peerid_t *name,
                        const uint8_t *rec, size_t rl,
                        const node_deleg_cbs_t *cbs, void *ud,
                        node_dlook_t **out) {
  char path[16 + NET_PEERID_STR_MAX];
  if (id_path(path, sizeof path, "ipns/", name, 'k'))
    return TR_EUSAGE;
  return start(d, K_PUT, path, rec, rl, 0, cbs, ud, NULL, out);
}

void node_deleg_cancel(node_dlook_t *l) {
  if (l->cancelled)
    return;
  l->cancelled = true;
  for (size_t i = 0; i < l->nreq; i++)
    if (l->req[i].h) {
      l->req[i].stopped = true;
      http_creq_cancel(l->req[i].h);
    }
}

/*
 * gw_ipns.c — /ipns/NAME/... on the path gateway: the name (a PeerID, as
 * base58btc or a libp2p-key CID) is resolved through the injected router
 * (gw_routing.h: the DHTs' best valid record), and the path it points at
 * is served as /ipfs/ would be, the rest of the request's path appended.
 * A value that is itself /ipns/ is followed, GW_IPNS_DEPTH_MAX deep.  The
 * client leaving cancels the lookup; the router's own deadline bounds it.
 * A domain is a DNSLink name (gw_dnslink.c: the offline map, then DNS),
 * looked up through the daemon's resolver when it covers the domain
 * (DNS-over-HTTPS, on the loop), else in the worker pool, its value
 * followed the same way.
 */
#include <errno.h>
#include <stdbool.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

#include "../dag/cid.h"
#include "../dag/multibase.h"
#include "gw_int.h"

#define GW_IPNS_DEPTH_MAX 32 /* Kubo's DefaultDepthLimit */
#define GW_IPNS_PATH_MAX 4096

typedef struct ipns_req {
  http_req_t *req;
  gw_ctx_t *ctx;
  gw_serve_fn serve;
  void *lookup;
  struct dl_job *dl; /* a DNSLink lookup running, or NULL */
  void *dlr;         /* a lookup of the injected resolver, or NULL */
  char dlr_dom[256]; /* its domain: the system resolver's if it says -ENOTSUP */
  int fail_code;     /* the HTTP status of a failed DNSLink lookup */
  bool dnslink;      /* the name (at depth 0) is a domain: no record */
  unsigned depth;
  bool want_record; /* ?format=ipns-record or its Accept: the record itself */
  /* The shortest TTL of the records followed so far, IPNS records' and
   * DNSLink TXT records' (INT64_MAX: none known yet: no Cache-Control). */
  int64_t ttl_s;
  bool hop_dns;     /* the lookup under way is a DNSLink one */
  char name[128];   /* the name as asked, for the download's file name */
  char *asked;      /* the /ipns/ path as asked (owned), for X-Ipfs-Path */
  char rest[GW_IPNS_PATH_MAX]; /* what follows the name, query excluded */
} ipns_req_t;

/* A DNSLink lookup in the worker pool (it may wait on DNS).  r is NULL
 * once the client has gone: the job then only frees itself. */
typedef struct dl_job {
  uv_work_t w;
  ipns_req_t *r;
  const gw_dnslink_t *d;
  int status;
  int64_t ttl_s;
  char domain[256];
  char value[GW_DNSLINK_VALUE_MAX];
} dl_job_t;

static void ipns_free(ipns_req_t *r) {
  tr_free(r->asked);
  tr_free(r);
}

static void ipns_gone(http_req_t *req, void *ud) {
  ipns_req_t *r = ud;
  http_res_end(req); /* the client went away */
  if (r->lookup)
    r->ctx->router->cancel(r->ctx->router->ud, r->lookup);
  if (r->dl)
    r->dl->r = NULL;
  if (r->dlr)
    r->ctx->dnslink->resolver->cancel(r->ctx->dnslink->resolver->ud, r->dlr);
  ipns_free(r);
}

static int start(ipns_req_t *r, const char *name, size_t n);

/* boxo's DefaultResolverCacheTTL, for a record without one. */
#define GW_IPNS_TTL_DEFAULT_S 60

/* The record itself (trustless gateway, application/vnd.ipfs.ipns-record):
 * the bytes as stored, cached for its TTL but never past its EOL (a cache
 * must not hand out a record that has expired), as boxo answers; a record
 * without a TTL gets Last-Modified (now) instead. */
static void serve_record(http_req_t *req, const ipns_req_t *r,
                         const gw_ipns_t *rec) {
  char cc[64], cd[1600], fname[512], expires[64], now_s[40];
  time_t now = time(NULL);
  int64_t ttl = rec->ttl_s;
  if (ttl >= 0 && rec->eol > 0 && rec->eol - (int64_t)now < ttl)
    ttl = rec->eol > (int64_t)now ? rec->eol - (int64_t)now : 0;
  snprintf(cc, sizeof cc, "public, max-age=%lld", (long long)ttl);
  if (!http_query_get(http_req_query(req), "filename", fname, sizeof fname) ||
      !fname[0])
    snprintf(fname, sizeof fname, "%s.ipns-record", r->name);
  gw__content_disposition(cd, sizeof cd, "attachment", fname);
  http_header_t h[8];
  size_t n = 0;
  h[n++] = (http_header_t){"Content-Type", "application/vnd.ipfs.ipns-record"};
  h[n++] = (http_header_t){"Content-Disposition", cd};
  if (ttl >= 0) {
    h[n++] = (http_header_t){"Cache-Control", cc};
  } else {
    http_date_format(now, now_s);
    h[n++] = (http_header_t){"Last-Modified", now_s};
  }
  h[n++] = (http_header_t){"X-Content-Type-Options", "nosniff"};
  h[n++] = (http_header_t){"Vary", "Accept"};
  if (rec->eol > 0 && http_date_format(rec->eol, expires))
    h[n++] = (http_header_t){"Expires", expires};
  http_res_start(req, 200, h, n, (int64_t)rec->len);
  if (strcmp(http_req_method(req), "HEAD"))
    http_res_write(req, rec->rec, rec->len);
  http_res_end(req);
}

/* rec's TTL into r's shortest, as boxo's minNonZeroTTL: a hop whose TTL
 * is unknown (or 0) takes nothing away -- a DNSLink from the name map; an
 * IPNS record without one counts as boxo's default (1 min), and none
 * counts past its EOL (dnslink: rec is a DNSLink answer, its TXT
 * record's TTL). */
static void note_ttl(ipns_req_t *r, const gw_ipns_t *rec, bool dnslink) {
  int64_t t = rec->ttl_s >= 0 ? rec->ttl_s
              : dnslink       ? -1
                              : GW_IPNS_TTL_DEFAULT_S;
  /* Never past the record's EOL (boxo's calculateBestTTL). */
  int64_t left = rec->eol > 0 ? rec->eol - (int64_t)time(NULL) : INT64_MAX;
  if (!dnslink && t > left)
    t = left > 0 ? left : 0;
  if (t > 0 && r->ttl_s > t)
    r->ttl_s = t;
}

static void resolved(void *ud, int status, const gw_ipns_t *rec) {
  ipns_req_t *r = ud;
  http_req_t *req = r->req;
  gw_ctx_t *ctx = r->ctx;
  gw_serve_fn serve = r->serve;
  r->lookup = NULL;
  if (!status && rec)
    note_ttl(r, rec, r->hop_dns);
  const char *v = !status && rec ? rec->value : "";
  if (r->want_record && !status && rec && r->depth == 0 && !r->dnslink) {
    http_req_on_close(req, NULL, NULL);
    serve_record(req, r, rec);
    ipns_free(r);
    return;
  }
  if (!strncmp(v, "/ipns/", 6) && ++r->depth < GW_IPNS_DEPTH_MAX) {
    /* A name for a name: its own rest comes before ours. */
    const char *nm = v + 6;
    size_t nl = strcspn(nm, "/");
    char rest[GW_IPNS_PATH_MAX];
    int k = snprintf(rest, sizeof rest, "%s%s", nm + nl, r->rest);
    if (k > 0 && (size_t)k < sizeof rest) {
      memcpy(r->rest, rest, (size_t)k + 1);
      if (!start(r, nm, nl))
        return;
    }
  }
  http_req_on_close(req, NULL, NULL);
  char path[GW_IPNS_PATH_MAX + 2048];
  int k = strncmp(v, "/ipfs/", 6)
              ? -1
              : snprintf(path, sizeof path, "%s%s", v, r->rest);
  int fail_code = r->fail_code;
  int64_t ttl_s = r->ttl_s == INT64_MAX ? -1 : r->ttl_s;
  if (ctx->ipns_max_ttl_s && ttl_s > (int64_t)ctx->ipns_max_ttl_s)
    ttl_s = ctx->ipns_max_ttl_s; /* Ipns.MaxCacheTTL */
  char *asked = r->asked;
  r->asked = NULL;
  ipns_free(r);
  if (status && fail_code) {
    gw_error(req, fail_code, "DNSLink lookup failed: %s", tr_strerror(status));
    tr_free(asked);
    return;
  }
  if (status || !rec) {
    /* No valid record is a 500 too, as boxo's (a name that cannot be
     * resolved is not a missing path): the conformance suite asks 5XX of
     * names whose only records are invalid (IPIP-428). */
    gw_error(req, 500,
             "failed to resolve the IPNS name: %s",
             status == TR_ENOTFOUND ? "no valid record found" :
                                      tr_strerror(status));
    tr_free(asked);
    return;
  }
  if (k < 0 || (size_t)k >= sizeof path) {
    gw_error(req, 500, "the IPNS record points at an unusable path");
    tr_free(asked);
    return;
  }
  serve(req, ctx, path, asked, ttl_s);
  tr_free(asked);
}

static void dl_work(uv_work_t *w) {
  dl_job_t *j = w->data;
  j->status = gw__dnslink_lookup(j->d, j->domain, j->value, sizeof j->value,
                                 &j->ttl_s);
}

static void dl_done(uv_work_t *w, int st) {
  dl_job_t *j = w->data;
  ipns_req_t *r = j->r;
  if (r) {
    r->dl = NULL;
    gw_ipns_t rec = {.value = j->value, .ttl_s = j->ttl_s};
    int status = st ? -EIO : j->status;
    resolved(r, status, status ? NULL : &rec);
  }
  tr_free(j);
}

/* The injected resolver's answer: as boxo, a lookup that found no DNSLink
 * is a 500; a resolver that failed is a 502 (504 when it did not answer
 * in time). */
static int dl_start(ipns_req_t *r, const char *name, size_t n);

static void dlr_done(void *ud, int status, const char *value, int64_t ttl_s) {
  ipns_req_t *r = ud;
  r->dlr = NULL;
  if (status == -ENOTSUP) { /* a relay's answer: not the resolver's name */
    int rc = dl_start(r, r->dlr_dom, strlen(r->dlr_dom));
    if (rc)
      resolved(r, rc, NULL);
    return;
  }
  if (status && status != TR_ENOTFOUND && status != -ENOMEM)
    r->fail_code = status == -ETIMEDOUT ? 504 : 502;
  gw_ipns_t rec = {.value = value, .ttl_s = ttl_s};
  resolved(r, status, status ? NULL : &rec);
}

/* The name map, then the system resolver, in the worker pool. */
static int dl_start(ipns_req_t *r, const char *name, size_t n) {
  dl_job_t *j = tr_calloc(1, sizeof *j);
  if (!j)
    return -ENOMEM;
  j->w.data = j;
  j->r = r;
  j->d = r->ctx->dnslink;
  memcpy(j->domain, name, n);
  if (r->depth == 0)
    r->dnslink = true;
  int rc = uv_queue_work(r->ctx->loop, &j->w, dl_work, dl_done);
  if (rc) {
    tr_free(j);
    return -EIO;
  }
  r->dl = j;
  return 0;
}

static int start(ipns_req_t *r, const char *name, size_t n) {
  uint8_t id[64];
  size_t idl;
  r->hop_dns = gw__name_id(name, n, id, &idl) != 0;
  if (r->hop_dns) {
    /* Not a key: a DNSLink domain? */
    const gw_dnslink_t *d = r->ctx->dnslink;
    if (!d || !gw_dnslink_domain_ok(name, n) || n >= sizeof r->dl->domain)
      return TR_EPEERID;
    if (d->resolver && !gw_dnslink_map_get(d, name, n) &&
        n < sizeof r->dlr_dom) {
      memcpy(r->dlr_dom, name, n);
      r->dlr_dom[n] = 0;
      int rc = d->resolver->lookup(d->resolver->ud, r->dlr_dom, dlr_done, r,
                                   &r->dlr);
      if (rc != -ENOTSUP) {
        if (!rc && r->depth == 0)
          r->dnslink = true;
        return rc;
      }
      r->dlr = NULL;
    }
    return dl_start(r, name, n);
  }
  if (!r->ctx->router)
    return -ENOTSUP;
  return r->ctx->router->get_ipns(r->ctx->router->ud, id, idl, resolved, r,
                                  &r->lookup);
}

/* A PeerID in base58 (12D3Koo..., Qm...), or as a libp2p-key CID in
 * another base than base36 (bafza..., K51...), is redirected, 302 as boxo,
 * to the same name as a CIDv1 libp2p-key in base36: one case-insensitive
 * DNS label, the form subdomain gateways need.  True when answered. */
static bool canonical_redirect(http_req_t *req, const char *name, size_t nl) {
  char k[DAG_CID_STR_MAX];
  int kl = gw__name_base36(name, nl, k, sizeof k);
  if (kl < 0 || ((size_t)kl == nl && !memcmp(k, name, nl)))
    return false;
  const char *rest = name + nl, *q = http_req_query(req);
  size_t ll = strlen(k) + strlen(rest) + strlen(q) + 16;
  char *loc = tr_malloc(ll);
  if (!loc) {
    gw_error(req, 500, "out of memory");
    return true;
  }
  snprintf(loc, ll, "/ipns/%s%s%s%s", k, rest, q[0] ? "?" : "", q);
  http_header_t h[] = {{"Location", loc}};
  http_res_start(req, 302, h, 1, 0);
  http_res_end(req);
  tr_free(loc);
  return true;
}

/* Ipfs-Uri (and X-Ipfs-Path) of the /ipns/ path, before it is resolved,
 * so that a failed lookup's answer names it too (boxo).  A path that does
 * not split gets none; it is answered 400 once resolved. */
static void path_headers(http_req_t *req, const gw_ctx_t *ctx,
                         const char *path) {
  size_t pl = strlen(path);
  char *buf = tr_malloc(pl + 1);
  char **segs = tr_malloc((pl / 2 + 2) * sizeof *segs);
  size_t nseg;
  bool slash;
  if (buf && segs && !gw__split_path(path + 6, buf, segs, &nseg, &slash))
    gw__path_headers(req, ctx, true, NULL, segs, nseg, slash);
  tr_free(buf);
  tr_free(segs);
}

void gw__serve_ipns(http_req_t *req, gw_ctx_t *ctx, const char *path,
                    gw_serve_fn serve) {
  const char *name = path + 6;
  size_t nl = strcspn(name, "/");
  if (strlen(name + nl) >= GW_IPNS_PATH_MAX) {
    gw_error(req, 414, "path too long");
    return;
  }
  if (canonical_redirect(req, name, nl))
    return;
  path_headers(req, ctx, path);
  ipns_req_t *r = tr_calloc(1, sizeof *r);
  if (!r) {
    gw_error(req, 500, "out of memory");
    return;
  }
  r->req = req;
  r->ctx = ctx;
  r->serve = serve;
  r->ttl_s = INT64_MAX;
  if (!(r->asked = tr_strdup(path))) {
    ipns_free(r);
    gw_error(req, 500, "out of memory");
    return;
  }
  snprintf(r->name, sizeof r->name, "%.*s", (int)nl, name);
  char f[32];
  const char *acc = http_req_header(req, "accept");
  if (http_query_get(http_req_query(req), "format", f, sizeof f))
    r->want_record = !strcmp(f, "ipns-record");
  else if (acc)
    r->want_record = !strncmp(acc, "application/vnd.ipfs.ipns-record", 32);
  memcpy(r->rest, name + nl, strlen(name + nl) + 1);
  int rc = start(r, name, nl);
  if (rc) {
    ipns_free(r);
    if (rc == TR_EPEERID)
      gw_error(req, ctx->dnslink ? 400 : 501,
               ctx->dnslink ? "not an IPNS name nor a DNSLink domain: %.*s"
                            : "only IPNS names that are keys are resolved "
                              "(no DNSLink): %.*s",
               (int)(nl < 100 ? nl : 100), name);
    else if (rc == -ENOTSUP)
      gw_error(req, 501, "IPNS needs routing (Routing.Type is none)");
    else
      gw_error(req, 500, "failed to resolve the IPNS name: %s",
               tr_strerror(rc));
    return;
  }
  http_req_on_close(req, ipns_gone, r);
}

/*
 * gw_site.c — `_redirects` on web sites with their own origin, as boxo's
 * gateway applies them (handler_unixfs_redirects.go): when a UnixFS
 * request on CID.ipfs.HOST, NAME.ipns.HOST or a DNSLink site's Host names
 * a path that does not exist, the `_redirects` file at the root of the
 * site's CID is read (gw_redirects.c parses it) and its first matching
 * rule applied:
 *
 *   200            a rewrite: the rule's target is served in the path's
 *                  place (ETag, If-None-Match and all), once;
 *   301..308       a redirect to the target, the request's query kept;
 *   404, 410, 451  the target, a file, served whole with that status;
 *   a bad file     500 with the reason, as boxo (the spec's error handling).
 *
 * Nothing here runs for paths that exist (the spec: no forced redirects),
 * for other formats, or on the path gateway, where every site would share
 * one origin.  The reads happen inside gw__prepare(), with its budget and
 * its missing-block handling, so a big or partly fetched site is handled
 * like any other path.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gw_int.h"

int gw__site_kind(http_req_t *req, const gw_ctx_t *ctx) {
  gw_host_t hp;
  char host[256];
  int hk = gw__host_parse(req, ctx, &hp);
  if (hk == GW_HOST_SUBDOMAIN)
    return hp.ipns ? GW_SITE_MUTABLE : GW_SITE_IMMUTABLE;
  /* gw_gateway_handle() serves a DNSLink site by its Host on this
   * condition only. */
  if (hk == GW_HOST_PATH && gw__dnslink_site(req, ctx, host, sizeof host))
    return GW_SITE_MUTABLE;
  return GW_SITE_NONE;
}

/* The request's path below the root, decoded: "/a/b" ("" at the root). */
static char *site_path(const gw_target_t *t) {
  size_t l = 1;
  for (size_t i = 1; i < t->nseg; i++)
    l += strlen(t->segs[i]) + 1;
  char *p = tr_malloc(l);
  if (!p)
    return NULL;
  size_t o = 0;
  for (size_t i = 1; i < t->nseg; i++)
    o += (size_t)snprintf(p + o, l - o, "/%s", t->segs[i]);
  p[o] = 0;
  return p;
}

static int set_msg(gw_target_t *t, int status, const char *fmt, ...)
    TR_PRINTF(3, 4);
static int set_msg(gw_target_t *t, int status, const char *fmt, ...) {
  char m[GW_REDIRECTS_TO_MAX + 512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m, sizeof m, fmt, ap);
  va_end(ap);
  tr_free(t->redir_msg);
  t->redir_msg = tr_strdup(m);
  if (!t->redir_msg)
    return -ENOMEM;
  t->redir_status = status;
  return 0;
}

/* The path part of a target (query and fragment cut), split into
 * segments below the root: *buf and *segs allocated. */
static int split_target(const char *to, char **buf, char ***segs, size_t *n,
                        bool *slash) {
  size_t l = strcspn(to, "?#");
  char *p = tr_malloc(l + 3);
  *buf = tr_malloc(l + 3);
  *segs = tr_malloc((l / 2 + 3) * sizeof **segs);
  if (!p || !*buf || !*segs) {
    tr_free(p);
    return -ENOMEM;
  }
  /* gw__split_path() wants "CID/names": a placeholder first segment. */
  snprintf(p, l + 3, "x%.*s", (int)l, to);
  int rc = gw__split_path(p, *buf, *segs, n, slash);
  tr_free(p);
  return rc;
}

/* A 200 rule: t's path becomes the root's and the target's names. */
static int rewrite(gw_target_t *t, const char *to) {
  char *buf = NULL, **segs = NULL;
  size_t n;
  bool slash;
  int rc = split_target(to, &buf, &segs, &n, &slash);
  char *nbuf = NULL, **nsegs = NULL, *ipath = NULL;
  dag_cid_t *pc = NULL;
  size_t l = strlen(t->segs[0]) + 1;
  for (size_t i = 1; rc == 0 && i < n; i++)
    l += strlen(segs[i]) + 1;
  if (rc == 0) {
    nbuf = tr_malloc(l);
    nsegs = tr_malloc((n + 1) * sizeof *nsegs);
    ipath = tr_malloc(l + 8);
    pc = tr_malloc((n + 1) * sizeof *pc);
    if (!nbuf || !nsegs || !ipath || !pc)
      rc = -ENOMEM;
  }
  if (rc == 0) {
    size_t o = 0, io = (size_t)snprintf(ipath, l + 8, "/ipfs");
    for (size_t i = 0; i < n; i++) {
      const char *s = i ? segs[i] : t->segs[0];
      nsegs[i] = nbuf + o;
      o += (size_t)snprintf(nbuf + o, l - o, "%s", s) + 1;
      io += (size_t)snprintf(ipath + io, l + 8 - io, "/%s", s);
    }
    gw__target_drop_paths(t);
    t->segbuf = nbuf;
    t->segs = nsegs;
    t->nseg = n;
    t->ipfs_path = ipath;
    t->path_cids = pc;
    t->last_name = n > 1 ? nsegs[n - 1] : "";
    /* A directory's index.html (or listing) is served in place: no
     * trailing-slash redirect, which would come back here. */
    t->trailing_slash = true;
    t->rewritten = true;
    nbuf = ipath = NULL;
    nsegs = NULL;
    pc = NULL;
  }
  tr_free(buf);
  tr_free(segs);
  tr_free(nbuf);
  tr_free(nsegs);
  tr_free(ipath);
  tr_free(pc);
  if (rc == -ENOMEM)
    return rc;
  if (rc)
    return set_msg(t, 500, "could not use _redirects file to \"%s\": not a "
                   "path below the site's root", to);
  return GW_SITE_REWRITE;
}

/* A 404, 410 or 451 rule: its target must be a file. */
static int custom_page(gw_target_t *t, gw_budget_t *b, const char *to,
                       int status) {
  char *buf = NULL, **segs = NULL;
  size_t n;
  bool slash;
  int rc = split_target(to, &buf, &segs, &n, &slash);
  if (rc == -ENOMEM) {
    tr_free(buf);
    tr_free(segs);
    return rc;
  }
  dag_cid_t cur = t->root, next;
  for (size_t i = 1; rc == 0 && i < n; i++)
    if ((rc = dag_resolve(&cur, segs[i], strlen(segs[i]), gw__budget_get, b,
                          &next)) == 0)
      cur = next;
  tr_free(buf);
  tr_free(segs);
  dag_node_info_t info;
  if (rc == 0 && (rc = dag_stat(&cur, gw__budget_get, b, &info)) == 0 &&
      info.kind != DAG_NODE_FILE)
    rc = TR_ENOTFILE;
  if (rc == TR_ENOTFOUND || b->over)
    return rc; /* fetched, or done in the worker: then again */
  if (rc)
    return set_msg(t, 500, "could not use _redirects file: the %d page "
                   "\"%s\": %s", status, to, tr_strerror(rc));
  info.target = NULL;
  t->cid = cur;
  t->info = info;
  t->status = status;
  return 0;
}

/* Read _redirects at t's root into a new buffer: 0 (*f, *len), 1 (there
 * is none), 2 (a 500 set on t), or a read's error. */
static int read_file(gw_target_t *t, gw_budget_t *b, const char *where,
                     char **f, size_t *len) {
  dag_cid_t cid;
  dag_node_info_t info;
  int rc = dag_resolve(&t->root, "_redirects", 10, gw__budget_get, b, &cid);
  if (rc == TR_EPATH || rc == TR_ENOTDIR || rc == TR_ECODEC ||
      rc == TR_EUNIXFS || rc == TR_EDAGPB)
    return 1; /* no file: the path's own answer (404) */
  if (rc == 0)
    rc = dag_stat(&cid, gw__budget_get, b, &info);
  if (rc)
    return rc;
  if (info.kind != DAG_NODE_FILE) {
    rc = set_msg(t, 500, "trouble processing _redirects file at \"%s\": "
                 "_redirects is not a file", where);
    return rc ? rc : 2;
  }
  if (info.size > GW_REDIRECTS_FILE_MAX) { /* the parser's words */
    rc = set_msg(t, 500, "trouble processing _redirects file at \"%s\": "
                 "could not parse _redirects: redirects file size cannot "
                 "exceed %d bytes", where, GW_REDIRECTS_FILE_MAX);
    return rc ? rc : 2;
  }
  *f = tr_malloc(info.size ? (size_t)info.size : 1);
  if (!*f)
    return -ENOMEM;
  http_copy_t c = {(uint8_t *)*f, 0, (size_t)info.size};
  rc = dag_cat(&cid, 0, info.size, gw__budget_get, b, http_copy_cb, &c);
  if (rc) {
    tr_free(*f);
    *f = NULL;
    return rc;
  }
  *len = c.n;
  return 0;
}

int gw__site_redirects(gw_target_t *t, gw_budget_t *b, int rc) {
  if (t->site == GW_SITE_NONE || t->rewritten || t->fmt != GW_FMT_UNIXFS ||
      (rc != TR_EPATH && rc != TR_ENOTDIR))
    return rc;
  char where[DAG_CID_STR_MAX + 24], s[DAG_CID_STR_MAX];
  snprintf(where, sizeof where, "/ipfs/%s/_redirects", dag_cid_str(&t->root, s));
  char *f = NULL;
  size_t len = 0;
  int r = read_file(t, b, where, &f, &len);
  if (r == 1)
    return rc;
  if (r == 2)
    return 0; /* t->redir_status: the 500 */
  if (r)
    return r;
  char *path = site_path(t), *to = tr_malloc(GW_REDIRECTS_TO_MAX);
  char err[GW_REDIRECTS_ERR_MAX];
  int status;
  if (!path || !to) {
    r = -ENOMEM;
    goto out;
  }
  r = gw__redirects_eval(f, len, path, strlen(path), &status, to,
                         GW_REDIRECTS_TO_MAX, err, sizeof err);
  if (r == 0) {
    r = rc; /* no rule: the path's own answer */
  } else if (r < 0 && r != TR_EBUFSIZE) {
    r = set_msg(t, 500, "trouble processing _redirects file at \"%s\": "
                "could not parse _redirects: %s", where, err);
  } else if (r < 0) {
    r = set_msg(t, 500, "trouble processing _redirects file at \"%s\": %s",
                where, err);
  } else if (status == 200) {
    r = to[0] == '/' ? rewrite(t, to)
                     : set_msg(t, 500, "could not use _redirects file to "
                               "\"%s\": a rewrite needs a path", to);
  } else if (status == 404 || status == 410 || status == 451) {
    r = to[0] == '/' ? custom_page(t, b, to, status)
                     : set_msg(t, 500, "could not use _redirects file: the "
                               "%d page \"%s\" is not a path", status, to);
  } else {
    r = set_msg(t, status, "%s", to); /* 301..308: answered in dispatch */
  }
out:
  tr_free(f);
  tr_free(path);
  tr_free(to);
  return r;
}

void gw__site_answer(http_req_t *req, const gw_target_t *t) {
  if (t->redir_status >= 500) {
    gw_error(req, t->redir_status, "%s", t->redir_msg);
    return;
  }
  size_t cap = strlen(t->redir_msg) * 3 + strlen(http_req_query(req)) * 3 + 8;
  char *loc = tr_malloc(cap);
  if (!loc || gw__redirects_location(t->redir_msg, http_req_query(req), loc,
                                     cap)) {
    tr_free(loc);
    gw_error(req, 500, "out of memory");
    return;
  }
  http_header_t h[] = {{"Location", loc}};
  http_res_start(req, t->redir_status, h, 1, 0);
  http_res_end(req);
  tr_free(loc);
}

/*
 * gw_host.c — the gateway by hostname, as Kubo's Gateway.PublicGateways:
 * on a gateway host with UseSubdomains, /ipfs/CID/... and /ipns/NAME/...
 * are redirected to CID.ipfs.HOST/... and NAME.ipns.HOST/... (CIDv1 in
 * base32, a key in base36, a DNSLink name inlined: dots to dashes), and
 * those subdomains serve their content at the origin's root.  Each
 * content root is then its own browser origin: a page from one cannot
 * read another's storage or cookies.  X-Forwarded-Host and
 * X-Forwarded-Proto (a reverse proxy's) override Host and the scheme.
 *
 * As Kubo's, the gateway answers a client that takes it for an HTTP proxy:
 * an absolute-form request ("GET http://CID.ipfs.HOST/") is served for the
 * target's host (http/ makes it the Host), and a CONNECT (curl
 * --proxytunnel) is answered 200 and the tunnelled requests served by the
 * gateway itself.  Kubo answers every CONNECT so; here only one naming
 * this gateway (its address, or a gateway host), and the others get 403:
 * nothing is ever forwarded to another host.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dag/cid.h"
#include "../dag/multibase.h"
#include "gw_int.h"

void gw_hosts_free(gw_hosts_t *h) {
  for (size_t i = 0; i < h->n; i++)
    tr_free(h->v[i].host);
  tr_free(h->v);
  h->v = NULL;
  h->n = 0;
}

int gw_hosts_add(gw_hosts_t *h, const char *host, bool subdomains,
                 bool inline_dnslink) {
  size_t n = strlen(host);
  if (!n || n > 253 || h->n == GW_HOSTS_MAX)
    return -EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)host[i]) && !strchr("-._", host[i]))
      return -EINVAL;
  gw_pubgw_t *v = tr_realloc(h->v, (h->n + 1) * sizeof *v);
  if (!v)
    return -ENOMEM;
  h->v = v;
  char *c = tr_strdup(host);
  if (!c)
    return -ENOMEM;
  for (char *p = c; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  v[h->n++] = (gw_pubgw_t){c, subdomains, inline_dnslink};
  return 0;
}

static const gw_pubgw_t *find(const gw_hosts_t *h, const char *s, size_t n) {
  for (size_t i = 0; h && i < h->n; i++)
    if (strlen(h->v[i].host) == n && !strncasecmp(h->v[i].host, s, n))
      return &h->v[i];
  return NULL;
}

/* A subdomain label: DNS name bytes only (dots for a DNSLink name not
 * inlined); it becomes a path segment, so '/', '%', '?' and the like
 * never pass. */
static bool label_ok(const char *s, const char *end) {
  for (; s < end; s++)
    if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
      return false;
  return true;
}

int gw__host_parse(http_req_t *req, const gw_ctx_t *ctx, gw_host_t *out) {
  const char *h = http_req_header(req, "x-forwarded-host");
  if (!h)
    h = http_req_header(req, "host");
  return gw__host_parse_str(ctx, h, http_req_header(req, "x-forwarded-proto"),
                            out);
}

int gw__host_parse_str(const gw_ctx_t *ctx, const char *h, const char *proto,
                       gw_host_t *out) {
  memset(out, 0, sizeof *out);
  if (!h || !ctx->hosts || h[0] == '[')
    return GW_HOST_PATH;
  /* The host, then a port: digits only (the parent goes into Location
   * headers: "localhost:@evil.example" must not become a redirect). */
  size_t hl = strcspn(h, ":,"), pl = 0;
  if (h[hl] == ':') {
    pl = 1 + strspn(h + hl + 1, "0123456789");
    if (pl == 1 || pl > 6 || (h[hl + pl] && h[hl + pl] != ','))
      return GW_HOST_PATH;
  }
  if (hl + pl >= sizeof out->parent)
    return GW_HOST_PATH;
  out->https = proto && !strncasecmp(proto, "https", 5);
  const gw_pubgw_t *g = find(ctx->hosts, h, hl);
  if (g) {
    out->gw = g;
    snprintf(out->parent, sizeof out->parent, "%.*s", (int)(hl + pl), h);
    return GW_HOST_GATEWAY;
  }
  /* <label>.ipfs.<gateway> or <label>.ipns.<gateway>; the label may hold
   * dots itself (a DNSLink name not inlined: example.org.ipns.<gateway>). */
  for (const char *dot = memchr(h, '.', hl); dot && dot < h + hl;
       dot = memchr(dot + 1, '.', (size_t)(h + hl - dot - 1))) {
    if ((size_t)(h + hl - dot) < 7 ||
        (strncasecmp(dot, ".ipfs.", 6) && strncasecmp(dot, ".ipns.", 6)))
      continue;
    const char *rest = dot + 6;
    g = find(ctx->hosts, rest, hl - (size_t)(rest - h));
    if (!g || !g->subdomains || dot == h ||
        (size_t)(dot - h) >= sizeof out->label || !label_ok(h, dot))
      continue;
    out->gw = g;
    out->ipns = tolower((unsigned char)dot[3]) == 'n';
    snprintf(out->label, sizeof out->label, "%.*s", (int)(dot - h), h);
    snprintf(out->parent, sizeof out->parent, "%.*s",
             (int)(h + hl + pl - rest), rest);
    return GW_HOST_SUBDOMAIN;
  }
  return GW_HOST_PATH;
}

/* A DNSLink name as one DNS label (Kubo's InlineDNSLink): "-" is "--",
 * "." is "-"; and back. */
static bool inline_name(const char *s, size_t n, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (o + 3 > cap)
      return false;
    if (s[i] == '-')
      out[o++] = '-', out[o++] = '-';
    else
      out[o++] = s[i] == '.' ? '-' : s[i];
  }
  out[o] = 0;
  return true;
}

static void uninline_name(const char *s, char *out) {
  size_t o = 0;
  for (size_t i = 0; s[i]; i++) {
    if (s[i] == '-' && s[i + 1] == '-')
      out[o++] = '-', i++;
    else
      out[o++] = s[i] == '-' ? '.' : s[i];
  }
  out[o] = 0;
}

/* A name as it goes in a subdomain: a key as a base36 libp2p-key CIDv1, a
 * DNSLink name inlined.  False when it cannot be one label. */
static bool name_label(const char *s, size_t n, bool inl, char *out,
                       size_t cap) {
  uint8_t mh[64];
  size_t ml;
  dag_cid_t cid;
  if (n && (s[0] == '1' || (n > 1 && s[0] == 'Q' && s[1] == 'm')) &&
      !dag_b58_decode(s, n, mh, sizeof mh, &ml) &&
      !dag_cid_make(&cid, 1, DAG_CODEC_LIBP2P_KEY, mh, ml))
    return dag_cid_format(&cid, 'k', out, cap) > 0;
  if (!dag_cid_parse(&cid, s, n) && cid.codec == DAG_CODEC_LIBP2P_KEY)
    return dag_cid_format(&cid, 'k', out, cap) > 0;
  /* A DNSLink name: a DNS name, inlined when it has dots.  It goes into
   * a Location header: nothing else passes. */
  if (!gw_dnslink_domain_ok(s, n) && (memchr(s, '.', n) || n >= cap))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
      return false;
  if (memchr(s, '.', n))
    return inl && inline_name(s, n, out, cap);
  if (n >= cap)
    return false;
  memcpy(out, s, n);
  out[n] = 0;
  return true;
}

static void redirect(http_req_t *req, const char *loc) {
  http_header_t h[] = {{"Location", loc}};
  http_res_start(req, 301, h, 1, 0);
  http_res_end(req);
}

#define DNS_LABEL_MAX 63

bool gw__host_redirect(http_req_t *req, const gw_host_t *hp) {
  const char *path = http_req_path(req), *q = http_req_query(req);
  bool ipns = !strncmp(path, "/ipns/", 6);
  if (!hp->gw->subdomains || (strncmp(path, "/ipfs/", 6) && !ipns) ||
      !path[6])
    return false;
  const char *name = path + 6;
  size_t nl = strcspn(name, "/");
  char label[DAG_CID_STR_MAX + 300];
  if (ipns) {
    if (!name_label(name, nl, hp->gw->inline_dnslink, label, sizeof label))
      return false; /* served on the path */
  } else {
    dag_cid_t cid, v1;
    if (dag_cid_parse(&cid, name, nl)) {
      gw_error(req, 400, "invalid path \"/ipfs/%.*s\": invalid CID",
               (int)(nl < 200 ? nl : 200), name);
      return true;
    }
    dag_cid_to_v1(&v1, &cid);
    if (dag_cid_format(&v1, 'b', label, sizeof label) < 0)
      return false;
  }
  if (strlen(label) > DNS_LABEL_MAX) {
    gw_error(req, 400, "%s CID incompatible with DNS label length limit of "
             "63: %s", ipns ? "IPNS" : "IPFS", label);
    return true;
  }
  size_t ll = strlen(label) + strlen(hp->parent) + strlen(path) + strlen(q) + 32;
  char *loc = tr_malloc(ll);
  if (!loc) {
    gw_error(req, 500, "out of memory");
    return true;
  }
  const char *rest = name + nl;
  snprintf(loc, ll, "%s://%s.%s.%s%s%s%s%s", hp->https ? "https" : "http",
           label, ipns ? "ipns" : "ipfs", hp->parent, *rest ? "" : "/", rest,
           q[0] ? "?" : "", q);
  redirect(req, loc);
  tr_free(loc);
  return true;
}

int gw__host_subdomain_path(http_req_t *req, const gw_host_t *hp, char **out) {
  const char *path = http_req_path(req);
  size_t l = strlen(hp->label);
  *out = NULL;
  if (!hp->ipns) {
    dag_cid_t cid, v1;
    char canon[DAG_CID_STR_MAX];
    if (dag_cid_parse(&cid, hp->label, l)) {
      gw_error(req, 400, "invalid CID \"%.100s\" in the subdomain", hp->label);
      return 1;
    }
    dag_cid_to_v1(&v1, &cid);
    if (dag_cid_format(&v1, 'b', canon, sizeof canon) < 0 ||
        strlen(canon) > DNS_LABEL_MAX || l > DNS_LABEL_MAX) {
      gw_error(req, 400, "IPFS CID incompatible with DNS label length limit "
               "of 63: %s", hp->label);
      return 1;
    }
    if (strcmp(canon, hp->label)) { /* CIDv0, another base: to base32 v1 */
      const char *q = http_req_query(req);
      size_t ll = strlen(canon) + strlen(hp->parent) + strlen(path) + strlen(q) + 32;
      char *loc = tr_malloc(ll);
      if (!loc) {
        gw_error(req, 500, "out of memory");
        return 1;
      }
      snprintf(loc, ll, "%s://%s.ipfs.%s%s%s%s", hp->https ? "https" : "http",
               canon, hp->parent, path, q[0] ? "?" : "", q);
      redirect(req, loc);
      tr_free(loc);
      return 1;
    }
  }
  char name[GW_DNSLINK_VALUE_MAX];
  dag_cid_t cid;
  if (hp->ipns && !dag_cid_parse(&cid, hp->label, l)) {
    /* A key: canonical as a base36 libp2p-key CID (another codec, such as
     * dag-pb, or another base is redirected to it). */
    char canon[DAG_CID_STR_MAX];
    size_t ml;
    const uint8_t *mh = dag_cid_mh(&cid, &ml);
    dag_cid_t k;
    if (!dag_cid_make(&k, 1, DAG_CODEC_LIBP2P_KEY, mh, ml) &&
        dag_cid_format(&k, 'k', canon, sizeof canon) > 0 &&
        strcmp(canon, hp->label)) {
      const char *q = http_req_query(req);
      size_t ll = strlen(canon) + strlen(hp->parent) + strlen(path) + strlen(q) + 32;
      char *loc = tr_malloc(ll);
      if (!loc) {
        gw_error(req, 500, "out of memory");
        return 1;
      }
      snprintf(loc, ll, "%s://%s.ipns.%s%s%s%s", hp->https ? "https" : "http",
               canon, hp->parent, path, q[0] ? "?" : "", q);
      redirect(req, loc);
      tr_free(loc);
      return 1;
    }
    snprintf(name, sizeof name, "%s", hp->label);
  } else if (hp->ipns && !strchr(hp->label, '.'))
    uninline_name(hp->label, name); /* an inlined DNSLink name */
  else
    snprintf(name, sizeof name, "%s", hp->label);
  size_t pl = strlen(name) + strlen(path) + 8;
  *out = tr_malloc(pl);
  if (!*out) {
    gw_error(req, 500, "out of memory");
    return 1;
  }
  snprintf(*out, pl, "/%s/%s%s", hp->ipns ? "ipns" : "ipfs", name, path);
  return 0;
}

/* ------------------------------------------------------------- CONNECT */

/* Is the text s[0..n) the numeric address a (as http_req_local gives it)?
 * Compared as addresses, so "::1" and "0::1" are one. */
static bool same_addr(const char *s, size_t n, const char *a) {
  char buf[64];
  unsigned char x[16], y[16];
  if (n >= sizeof buf)
    return false;
  memcpy(buf, s, n);
  buf[n] = 0;
  int fam = strchr(a, ':') ? AF_INET6 : AF_INET;
  return inet_pton(fam, buf, x) == 1 && inet_pton(fam, a, y) == 1 &&
         !memcmp(x, y, fam == AF_INET6 ? 16 : 4);
}

static bool loopback(const char *a) {
  return !strncmp(a, "127.", 4) || !strcmp(a, "::1");
}

bool gw__connect_ok(const gw_ctx_t *ctx, const char *target, const char *lhost,
                    int lport) {
  /* authority-form: host ":" port, the host maybe an [IPv6] literal. */
  const char *h = target, *hend;
  if (*h == '[') {
    hend = strchr(++h, ']');
    if (!hend || hend[1] != ':')
      return false;
  } else {
    hend = strrchr(h, ':');
    if (!hend || memchr(h, ':', (size_t)(hend - h)))
      return false;
  }
  const char *ps = hend + (*hend == ']' ? 2 : 1);
  size_t hl = (size_t)(hend - h), pl = strspn(ps, "0123456789");
  if (!hl || !pl || pl > 5 || ps[pl])
    return false;
  int port = atoi(ps);
  if (port == lport &&
      (same_addr(h, hl, lhost) ||
       (loopback(lhost) && hl == 9 && !strncasecmp(h, "localhost", 9))))
    return true;
  /* A gateway host of Gateway.PublicGateways or one of its subdomains,
   * on this port or plain HTTP's (curl -x GW --proxytunnel
   * http://CID.ipfs.HOST/ asks for HOST:80). */
  char name[300];
  gw_host_t hp;
  if (*target == '[' || hl >= sizeof name || (port != lport && port != 80))
    return false;
  memcpy(name, h, hl);
  name[hl] = 0;
  return gw__host_parse_str(ctx, name, NULL, &hp) != GW_HOST_PATH;
}

void gw__connect(http_req_t *req, const gw_ctx_t *ctx) {
  char lhost[64];
  int lport = 0;
  if (http_req_http_version(req) == 1 &&
      !http_req_local(req, lhost, sizeof lhost, &lport) &&
      gw__connect_ok(ctx, http_req_target(req), lhost, lport)) {
    /* No content and no length: the connection goes on as HTTP/1.1 to
     * this gateway (http.h), which is what the client tunnels to. */
    http_res_start(req, 200, NULL, 0, 0);
    http_res_end(req);
    return;
  }
  gw_error(req, 403,
           "CONNECT is answered only for this gateway's own address and "
           "hosts: it is not a proxy to other hosts");
}

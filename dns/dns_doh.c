/*
 * dns_doh.c — the DNS-over-HTTPS resolver of dns.h on the loop: the
 * DNS.Resolvers table (the longest suffix wins), RFC 8484 GET requests
 * (?dns=<base64url of the query>, id 0 so that HTTP caches may share
 * answers, Accept: application/dns-message) through trove's HTTP client
 * (https:// through http/tls.h), and a TTL cache bounded in names and
 * capped by DNS.MaxCacheTTL.  Only answers with records are cached (as
 * Kubo's go-doh-resolver does): a name without its TXT record is asked
 * again next time.
 *
 * Callbacks always come from the loop: a cache hit is delivered from an
 * idle handle's turn, never inside dns_resolver_txt.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../http/client.h"
#include "dns.h"

typedef struct entry {
  char suffix[DNS_NAME_MAX + 2]; /* lower-case, no final dot; "" is "." */
  char *url;
} entry_t;

typedef struct cached {
  char name[DNS_NAME_MAX + 2];
  uint64_t expires;   /* loop ms */
  uint64_t used;      /* loop ms, for eviction */
  char *txt;          /* records, each NUL-terminated, back to back */
  size_t len, n;
} cached_t;

typedef struct lookup {
  dns_resolver_t *r;
  struct lookup *prev, *next;
  dns_txt_done_cb cb;
  void *ud;
  http_creq_t *creq;   /* under way; NULL once done or for a cache hit */
  bool cancelled, hit;
  int status;          /* a finished lookup waiting for its turn */
  char name[DNS_NAME_MAX + 2];
  tr_bytes_t body;
  int http_status;
} lookup_t;

struct dns_resolver {
  uv_loop_t *loop;
  dns_resolver_opts_t o;
  http_client_t *http;
  entry_t ent[DNS_RESOLVERS_MAX];
  size_t nent;
  cached_t *cache;
  size_t ncache;
  lookup_t *live;      /* every lookup not yet called back */
  uint32_t ninflight;
  uv_idle_t idle;      /* delivers cache hits and frees cancelled lookups */
  bool idle_on, closing;
  dns_resolver_stats_t st;
};

/* -------------------------------------------------------------- names */

static int norm(const char *in, char out[DNS_NAME_MAX + 2]) {
  size_t n = strlen(in);
  if (n && in[n - 1] == '.')
    n--;
  if (n > DNS_NAME_MAX)
    return -EINVAL;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)in[i];
    if (c <= ' ' || c >= 0x7f || (c == '.' && (i == 0 || in[i - 1] == '.')))
      return -EINVAL;
    out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  out[n] = 0;
  return 0;
}

/* Is suffix (normalised; "" the root) a suffix of name on a label
 * boundary? */
static bool under(const char *name, const char *suffix) {
  size_t n = strlen(name), s = strlen(suffix);
  if (!s)
    return true;
  if (s > n || strcmp(name + n - s, suffix))
    return false;
  return s == n || name[n - s - 1] == '.';
}

static const entry_t *pick(const dns_resolver_t *r, const char *name) {
  const entry_t *best = NULL;
  for (size_t i = 0; i < r->nent; i++)
    if (under(name, r->ent[i].suffix) &&
        (!best || strlen(r->ent[i].suffix) > strlen(best->suffix)))
      best = &r->ent[i];
  return best;
}

/* ---------------------------------------------------------- lifecycle */

int dns_resolver_new(uv_loop_t *loop, const dns_resolver_opts_t *opts,
                     dns_resolver_t **out) {
  dns_resolver_t *r = tr_calloc(1, sizeof *r);
  if (!r)
    return -ENOMEM;
  r->loop = loop;
  if (opts)
    r->o = *opts;
  else
    r->o.max_cache_ttl_s = UINT32_MAX;
  if (!r->o.timeout_ms)
    r->o.timeout_ms = DNS_DOH_TIMEOUT_MS;
  if (!r->o.cache_max)
    r->o.cache_max = DNS_CACHE_MAX;
  http_client_opts_t ho;
  http_client_opts_default(&ho);
  ho.max_body_bytes = DNS_MSG_MAX;
  ho.connect_timeout_ms = r->o.timeout_ms;
  ho.header_timeout_ms = r->o.timeout_ms;
  ho.idle_timeout_ms = r->o.timeout_ms;
  ho.deadline_ms = r->o.timeout_ms;
  ho.max_queued = DNS_INFLIGHT_MAX;
  int rc = http_client_new(loop, &ho, &r->http);
  if (rc) {
    tr_free(r);
    return rc;
  }
  (void)uv_idle_init(loop, &r->idle);
  r->idle.data = r;
  *out = r;
  return 0;
}

static void cache_drop(cached_t *c) {
  tr_free(c->txt);
  c->txt = NULL;
}

static void on_idle_closed(uv_handle_t *h) {
  dns_resolver_t *r = h->data;
  tr_free(r);
}

static void unlink_lookup(dns_resolver_t *r, lookup_t *l) {
  if (l->prev)
    l->prev->next = l->next;
  else
    r->live = l->next;
  if (l->next)
    l->next->prev = l->prev;
  l->prev = l->next = NULL;
}

void dns_resolver_free(dns_resolver_t *r) {
  if (!r)
    return;
  r->closing = true;
  /* Lookups in HTTP get -ECANCELED through on_done (the client calls it
   * from the loop); cache hits waiting for their turn are called here,
   * from the loop too since this runs from the daemon's shutdown, not
   * inside a lookup call. */
  for (lookup_t *l = r->live, *next; l; l = next) {
    next = l->next;
    if (!l->creq) {
      unlink_lookup(r, l);
      if (!l->cancelled)
        l->cb(l->ud, -ECANCELED, NULL, 0, UINT32_MAX);
      tr_bytes_free(&l->body);
      tr_free(l);
    } else {
      l->r = NULL;
    }
  }
  http_client_free(r->http); /* on_done(-ECANCELED) for each, from the loop */
  for (size_t i = 0; i < r->nent; i++)
    tr_free(r->ent[i].url);
  for (size_t i = 0; i < r->ncache; i++)
    cache_drop(&r->cache[i]);
  tr_free(r->cache);
  uv_close((uv_handle_t *)&r->idle, on_idle_closed);
}

int dns_resolver_add(dns_resolver_t *r, const char *suffix, const char *url) {
  char s[DNS_NAME_MAX + 2];
  if ((strcmp(suffix, ".") && (!*suffix || norm(suffix, s))))
    return -EINVAL;
  if (!strcmp(suffix, "."))
    s[0] = 0;
  size_t ul = strlen(url);
  if (ul >= DNS_URL_MAX || strchr(url, '#'))
    return -EINVAL;
  if (strncasecmp(url, "https://", 8) && strncasecmp(url, "http://", 7))
    return strstr(url, "://") ? -EPROTONOSUPPORT : -EINVAL;
  char *u = tr_strdup(url);
  if (!u)
    return -ENOMEM;
  for (size_t i = 0; i < r->nent; i++)
    if (!strcmp(r->ent[i].suffix, s)) {
      tr_free(r->ent[i].url);
      r->ent[i].url = u;
      return 0;
    }
  if (r->nent == DNS_RESOLVERS_MAX) {
    tr_free(u);
    return TR_ELIMIT;
  }
  memcpy(r->ent[r->nent].suffix, s, sizeof s);
  r->ent[r->nent++].url = u;
  return 0;
}

const char *dns_resolver_url(const dns_resolver_t *r, const char *name) {
  char n[DNS_NAME_MAX + 2];
  if (!r || norm(name, n))
    return NULL;
  const entry_t *e = pick(r, n);
  return e ? e->url : NULL;
}

void dns_resolver_stats(const dns_resolver_t *r, dns_resolver_stats_t *st) {
  *st = r->st;
  st->cached = (uint32_t)r->ncache;
}

/* -------------------------------------------------------------- cache */

static cached_t *cache_find(dns_resolver_t *r, const char *name) {
  uint64_t now = uv_now(r->loop);
  for (size_t i = 0; i < r->ncache; i++) {
    cached_t *c = &r->cache[i];
    if (strcmp(c->name, name))
      continue;
    if (c->expires <= now) { /* stale: out */
      cache_drop(c);
      r->cache[i] = r->cache[--r->ncache];
      return NULL;
    }
    c->used = now;
    return c;
  }
  return NULL;
}

/* Keep the records txt[0..len) (n of them) of name for ttl_s seconds
 * (capped by MaxCacheTTL).  Out of memory only means not caching. */
static void cache_put(dns_resolver_t *r, const char *name, const char *txt,
                      size_t len, size_t n, uint32_t ttl_s) {
  if (ttl_s > r->o.max_cache_ttl_s)
    ttl_s = r->o.max_cache_ttl_s;
  if (!ttl_s || !n || len > DNS_CACHE_TXT_BYTES)
    return;
  uint64_t now = uv_now(r->loop);
  size_t slot = r->ncache;
  for (size_t i = 0; i < r->ncache; i++)
    if (!strcmp(r->cache[i].name, name)) {
      slot = i;
      break;
    }
  if (slot == r->ncache && r->ncache == r->o.cache_max) {
    /* Full: the expired or least recently used one goes. */
    slot = 0;
    for (size_t i = 1; i < r->ncache; i++)
      if (r->cache[i].expires <= now ||
          r->cache[i].used < r->cache[slot].used)
        slot = i;
  }
  if (!r->cache) {
    r->cache = tr_calloc(r->o.cache_max, sizeof *r->cache);
    if (!r->cache)
      return;
  }
  char *copy = tr_malloc(len);
  if (!copy)
    return;
  memcpy(copy, txt, len);
  cached_t *c = &r->cache[slot];
  if (slot < r->ncache)
    cache_drop(c);
  else
    r->ncache++;
  snprintf(c->name, sizeof c->name, "%s", name);
  c->txt = copy;
  c->len = len;
  c->n = n;
  c->used = now;
  c->expires = now + (uint64_t)ttl_s * 1000;
}

/* Call cb with the records txt[0..len) (n NUL-terminated strings), kept
 * ttl seconds. */
static void deliver(lookup_t *l, int status, const char *txt, size_t len,
                    size_t n, uint32_t ttl) {
  const char *v[64];
  size_t k = 0;
  for (size_t o = 0; o < len && k < n && k < TR_ARRAY_LEN(v); k++) {
    v[k] = txt + o;
    o += strlen(txt + o) + 1;
  }
  l->cb(l->ud, status, status ? NULL : v, status ? 0 : k,
        status || !k ? UINT32_MAX : ttl);
}

/* What the callback is told of a fresh answer's TTL: MaxCacheTTL caps it,
 * but for 0 (no caching), as boxo's capTTL. */
static uint32_t told_ttl(const dns_resolver_t *r, uint32_t ttl) {
  uint32_t cap = r->o.max_cache_ttl_s;
  return cap && ttl > cap ? cap : ttl;
}

/* --------------------------------------------------------------- HTTP */

static int on_head(http_creq_t *req, int status, const http_header_t *h,
                   size_t nh, void *ud) {
  (void)req, (void)h, (void)nh;
  lookup_t *l = ud;
  l->http_status = status;
  return status == 200 ? 0 : TR_EPROTO; /* RFC 8484 4.2.1: 2xx is an answer */
}

static int on_body(http_creq_t *req, const uint8_t *p, size_t n, void *ud) {
  (void)req;
  lookup_t *l = ud;
  if (l->body.len + n > DNS_MSG_MAX)
    return TR_ETOOBIG;
  return tr_bytes_append(&l->body, p, n);
}

typedef struct collect {
  tr_bytes_t b;
  size_t n;
} collect_t;

static int collect_cb(void *ud, const char *txt, size_t n, uint32_t ttl) {
  (void)ttl;
  collect_t *c = ud;
  if (memchr(txt, 0, n))
    return 0; /* a NUL inside: not text anyone asked for */
  if (c->n == 64)
    return 0;
  uint8_t z = 0;
  if (tr_bytes_append(&c->b, txt, n) || tr_bytes_append(&c->b, &z, 1))
    return -ENOMEM;
  c->n++;
  return 0;
}

static void on_done(http_creq_t *req, int status, void *ud) {
  (void)req;
  lookup_t *l = ud;
  dns_resolver_t *r = l->r;
  l->creq = NULL;
  if (r) {
    r->ninflight--;
    unlink_lookup(r, l);
  }
  if (l->cancelled) {
    tr_bytes_free(&l->body);
    tr_free(l);
    return;
  }
  if (!r && !status)
    status = -ECANCELED;
  /* The client's TR_ETOOBIG on a Content-Length over the cap; ours too. */
  collect_t c = {0};
  uint32_t ttl = UINT32_MAX;
  if (!status)
    status = dns_txt_parse(l->body.data, l->body.len, 0, l->name, collect_cb,
                           &c, &ttl);
  if (status && status != TR_ENOTFOUND)
    tr_log(TR_LOG_WARN, "DNS over HTTPS: %s: %s%s", l->name,
           tr_strerror(status),
           status == TR_EPROTO && l->http_status != 200 ? " (HTTP status)"
                                                         : "");
  if (!status && r)
    cache_put(r, l->name, (const char *)c.b.data, c.b.len, c.n, ttl);
  deliver(l, status, (const char *)c.b.data, c.b.len, c.n,
          r ? told_ttl(r, ttl) : ttl);
  tr_bytes_free(&c.b);
  tr_bytes_free(&l->body);
  tr_free(l);
}

/* Cache hits (and nothing else) wait on the live list with no creq. */
static void on_idle(uv_idle_t *h) {
  dns_resolver_t *r = h->data;
  uv_idle_stop(&r->idle);
  r->idle_on = false;
  for (lookup_t *l = r->live, *next; l; l = next) {
    next = l->next;
    if (l->creq || !l->hit)
      continue;
    unlink_lookup(r, l);
    cached_t *c = l->cancelled ? NULL : cache_find(r, l->name);
    if (c) /* what is left of it, whole seconds down */
      deliver(l, 0, c->txt, c->len, c->n,
              (uint32_t)((c->expires - uv_now(r->loop)) / 1000));
    else if (!l->cancelled) /* expired in between: rare, say so */
      l->cb(l->ud, -EAGAIN, NULL, 0, UINT32_MAX);
    tr_free(l);
    next = r->live; /* a callback may have added or cancelled lookups */
  }
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding (RFC 8484 6). */
static size_t b64url_enc(const uint8_t *p, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16;
    if (i + 1 < n)
      v |= (uint32_t)p[i + 1] << 8;
    if (i + 2 < n)
      v |= p[i + 2];
    out[o++] = b64url[v >> 18 & 63];
    out[o++] = b64url[v >> 12 & 63];
    if (i + 1 < n)
      out[o++] = b64url[v >> 6 & 63];
    if (i + 2 < n)
      out[o++] = b64url[v & 63];
  }
  out[o] = 0;
  return o;
}

int dns_resolver_txt(dns_resolver_t *r, const char *name, dns_txt_done_cb cb,
                     void *ud, void **h) {
  char n[DNS_NAME_MAX + 2];
  if (!cb || norm(name, n) || !n[0])
    return -EINVAL;
  const entry_t *e = pick(r, n);
  if (!e)
    return -ENOTSUP;
  if (r->closing)
    return -ECANCELED;
  lookup_t *l = tr_calloc(1, sizeof *l);
  if (!l)
    return -ENOMEM;
  l->r = r;
  l->cb = cb;
  l->ud = ud;
  memcpy(l->name, n, sizeof n);
  if (cache_find(r, n)) {
    r->st.cache_hits++;
    l->hit = true;
    if (!r->idle_on) {
      uv_idle_start(&r->idle, on_idle);
      r->idle_on = true;
    }
  } else {
    if (r->ninflight >= DNS_INFLIGHT_MAX) {
      tr_free(l);
      return TR_ELIMIT;
    }
    uint8_t q[DNS_NAME_MAX + 32];
    int ql = dns_query_encode(0, n, DNS_TYPE_TXT, q, sizeof q);
    if (ql < 0) {
      tr_free(l);
      return -EINVAL;
    }
    char url[DNS_URL_MAX + 8 + sizeof q * 4 / 3 + 4];
    int k = snprintf(url, sizeof url, "%s%cdns=", e->url,
                     strchr(e->url, '?') ? '&' : '?');
    b64url_enc(q, (size_t)ql, url + k);
    static const http_header_t hd[] = {{"Accept", "application/dns-message"}};
    static const http_client_cbs_t cbs = {on_head, on_body, on_done};
    int rc = http_client_get(r->http, url, hd, 1, &cbs, l, &l->creq);
    if (rc) {
      tr_free(l);
      return rc;
    }
    r->ninflight++;
    r->st.queries++;
  }
  l->next = r->live;
  if (r->live)
    r->live->prev = l;
  r->live = l;
  if (h)
    *h = l;
  return 0;
}

void dns_resolver_cancel(dns_resolver_t *r, void *h) {
  (void)r;
  lookup_t *l = h;
  l->cancelled = true;
  if (l->creq)
    http_creq_cancel(l->creq); /* on_done frees it */
}

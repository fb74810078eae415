/*
 * dnsaddr.c — /dnsaddr multiaddrs resolved through the system resolver
 * (dns.h).  A resolution is a tree of lookups (nested /dnsaddr names);
 * the resolver runs every resolution's lookups through one queue, one at
 * a time, and calls a resolution back when its last lookup is in.
 * Callbacks come only from a lookup's answer (the loop): never inside
 * dns_dnsaddr_resolve or dns_dnsaddr_cancel.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"

typedef struct res res_t;

typedef struct lk {
  dns_dnsaddr_t *r;
  res_t *res; /* NULL once cancelled while under way */
  struct lk *next;
  unsigned depth;
  char name[DNS_NAME_MAX + 16];
} lk_t;

struct res {
  dns_dnsaddr_t *r;
  res_t *prev, *next;
  dns_dnsaddr_cb cb;
  void *ud;
  char suffix[512]; /* what a record must end in; "" for any */
  unsigned pending; /* its lookups queued or under way */
  int err;          /* the first lookup's error */
  char *addrs[DNS_DNSADDR_MAX];
  size_t n;
};

struct dns_dnsaddr {
  uv_loop_t *loop;
  res_t *live;
  lk_t *lq, *lq_tail; /* waiting for their turn */
  lk_t *cur;          /* under way */
  void *cur_h;
};

int dns_dnsaddr_new(uv_loop_t *loop, dns_dnsaddr_t **out) {
  dns_dnsaddr_t *r = tr_calloc(1, sizeof *r);
  if (!r)
    return -ENOMEM;
  r->loop = loop;
  *out = r;
  return 0;
}

bool dns_is_dnsaddr(const char *maddr) {
  return !strncmp(maddr, "/dnsaddr/", 9);
}

/* The name of "/dnsaddr/<name>[/...]" into name; its length past the
 * name (where the suffix begins), or -EINVAL. */
static int split(const char *s, char name[DNS_NAME_MAX + 1]) {
  if (!dns_is_dnsaddr(s))
    return -EINVAL;
  size_t n = strcspn(s + 9, "/");
  if (!n || n > DNS_NAME_MAX)
    return -EINVAL;
  memcpy(name, s + 9, n);
  name[n] = 0;
  return (int)(9 + n);
}

static void res_free(res_t *x) {
  dns_dnsaddr_t *r = x->r;
  if (x->prev)
    x->prev->next = x->next;
  else
    r->live = x->next;
  if (x->next)
    x->next->prev = x->prev;
  for (size_t i = 0; i < x->n; i++)
    tr_free(x->addrs[i]);
  tr_free(x);
}

static int enqueue(res_t *x, const char *name, unsigned depth) {
  lk_t *l = tr_calloc(1, sizeof *l);
  if (!l)
    return -ENOMEM;
  snprintf(l->name, sizeof l->name, "_dnsaddr.%s", name);
  dns_dnsaddr_t *r = x->r;
  l->r = r;
  l->res = x;
  l->depth = depth;
  if (r->lq_tail)
    r->lq_tail->next = l;
  else
    r->lq = l;
  r->lq_tail = l;
  x->pending++;
  return 0;
}

/* l's answer: its records taken, nested names queued; the resolution
 * calls back once it has no lookup left. */
static void lookup_end(lk_t *l, int status, const char *const *txt,
                       size_t n) {
  res_t *x = l->res;
  if (status && !x->err)
    x->err = status;
  size_t sl = strlen(x->suffix);
  for (size_t i = 0; i < n; i++) {
    const char *ma = txt[i];
    char name[DNS_NAME_MAX + 1];
    if (strncmp(ma, "dnsaddr=", 8))
      continue;
    ma += 8;
    size_t ml = strlen(ma);
    if (ml < sl || strcmp(ma + ml - sl, x->suffix))
      continue; /* another peer's */
    if (dns_is_dnsaddr(ma)) {
      if (split(ma, name) > 0 && l->depth + 1 < DNS_DNSADDR_DEPTH &&
          enqueue(x, name, l->depth + 1) && !x->err)
        x->err = -ENOMEM;
      continue;
    }
    if (ma[0] != '/' || x->n == DNS_DNSADDR_MAX)
      continue;
    char *c = tr_malloc(ml + 1);
    if (c)
      x->addrs[x->n++] = memcpy(c, ma, ml + 1);
  }
  tr_free(l);
  if (--x->pending)
    return;
  x->cb(x->ud, x->n ? 0 : x->err ? x->err : TR_ENOTFOUND, x->addrs, x->n);
  res_free(x);
}

static void lookup_done(void *ud, int status, const char *const *txt,
                        size_t n, uint32_t ttl);

/* Start the first lookup in line: 0 (it is r->cur now), or the error
 * and the lookup back in *failed. */
static int start_first(dns_dnsaddr_t *r, lk_t **failed) {
  lk_t *l = r->lq;
  if (!(r->lq = l->next))
    r->lq_tail = NULL;
  l->next = NULL;
  int rc = dns_system_txt(r->loop, l->name, DNS_DNSADDR_MS, lookup_done, l,
                          &r->cur_h);
  if (rc)
    *failed = l;
  else
    r->cur = l;
  return rc;
}

/* The next lookup in line, when none is under way. */
static void pump(dns_dnsaddr_t *r) {
  while (!r->cur && r->lq) {
    lk_t *l;
    int rc = start_first(r, &l);
    if (rc)
      lookup_end(l, rc, NULL, 0);
  }
}

static void lookup_done(void *ud, int status, const char *const *txt,
                        size_t n, uint32_t ttl) {
  (void)ttl;
  lk_t *l = ud;
  dns_dnsaddr_t *r = l->r;
  r->cur = NULL;
  if (l->res)
    lookup_end(l, status, txt, n);
  else
    tr_free(l); /* its resolution was cancelled */
  pump(r);
}

int dns_dnsaddr_resolve(dns_dnsaddr_t *r, const char *maddr,
                        dns_dnsaddr_cb cb, void *ud, void **h) {
  char name[DNS_NAME_MAX + 1];
  uint8_t q[DNS_NAME_MAX + 64];
  int off = split(maddr, name);
  if (off < 0 || strlen(maddr + off) >= sizeof ((res_t *)0)->suffix)
    return -EINVAL;
  char full[DNS_NAME_MAX + 16];
  snprintf(full, sizeof full, "_dnsaddr.%s", name);
  if (dns_query_encode(0, full, DNS_TYPE_TXT, q, sizeof q) < 0)
    return -EINVAL;
  res_t *x = tr_calloc(1, sizeof *x);
  if (!x)
    return -ENOMEM;
  x->r = r;
  x->cb = cb;
  x->ud = ud;
  strcpy(x->suffix, maddr + off);
  if (enqueue(x, name, 0)) {
    tr_free(x);
    return -ENOMEM;
  }
  x->next = r->live;
  if (r->live)
    r->live->prev = x;
  r->live = x;
  if (h)
    *h = x;
  /* Its lookup starts now when none is under way; one that cannot start
   * is this call's error, not a callback inside it. */
  lk_t *l = NULL;
  int rc = r->cur ? 0 : start_first(r, &l);
  if (rc) {
    tr_free(l);
    res_free(x);
  }
  return rc;
}

void dns_dnsaddr_cancel(dns_dnsaddr_t *r, void *h) {
  res_t *x = h;
  for (lk_t **pp = &r->lq; *pp;) {
    lk_t *l = *pp;
    if (l->res == x) {
      *pp = l->next;
      tr_free(l);
    } else {
      pp = &l->next;
    }
  }
  r->lq_tail = NULL;
  for (lk_t *l = r->lq; l; l = l->next)
    r->lq_tail = l;
  /* The lookup under way keeps its place (and its worker thread) until
   * its answer: the queue moves on then, from the loop, and no other
   * resolution's callback runs inside this call. */
  if (r->cur && r->cur->res == x)
    r->cur->res = NULL;
  res_free(x);
}

void dns_dnsaddr_free(dns_dnsaddr_t *r) {
  if (!r)
    return;
  if (r->cur) {
    dns_system_cancel(r->cur_h);
    tr_free(r->cur);
  }
  while (r->lq) {
    lk_t *l = r->lq;
    r->lq = l->next;
    tr_free(l);
  }
  while (r->live)
    res_free(r->live);
  tr_free(r);
}

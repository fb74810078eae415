/*
 * bootstrap.c — Kubo's bootstrap rounds over the Bootstrap list, with
 * /dnsaddr resolution (bootstrap.h).
 *
 * An attempt is one entry's try in a round: its lookups (a tree of
 * /dnsaddr names), then its addresses dialled in turn.  The node_boot
 * counts what can still call back into it (the timer, each attempt) and
 * frees itself when that reaches 0 after node_boot_stop.
 *
 * Lookups go one at a time, in order: a system lookup holds one of
 * libuv's worker threads (4 by default, which the gateway and the API
 * use too) until its answer or timeout, and a node offline would
 * otherwise hold them all at each round.
 */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "../dns/dns.h"
#include "bootstrap.h"

typedef struct entry {
  char *addr;                   /* as configured */
  net_peerid_t id;
  bool has_id, busy;            /* busy: an attempt is under way */
  bool told;                    /* its failure was logged at INFO once */
  char host[DNS_NAME_MAX + 1];  /* a /dnsaddr entry's name; "" otherwise */
} entry_t;

typedef struct attempt attempt_t;

typedef struct lookup {
  attempt_t *a;
  struct lookup *next;
  unsigned depth;
  char name[DNS_NAME_MAX + 16];
} lookup_t;

struct attempt {
  node_boot_t *b;
  entry_t *e;
  attempt_t *prev, *next;
  unsigned pending; /* lookups queued or under way */
  char *addrs[NODE_BOOT_ADDRS];
  size_t naddrs, tried;
};

struct node_boot {
  uv_loop_t *loop;
  net_host_t *h;
  uv_timer_t timer;
  entry_t *e;
  size_t n;
  attempt_t *live;
  lookup_t *lq, *lq_tail; /* lookups waiting for their turn */
  lookup_t *lcur;         /* the one under way */
  void *lcur_h;
  unsigned refs; /* the timer, each attempt */
  bool closing;
};

static void unref(node_boot_t *b) {
  if (--b->refs)
    return;
  for (size_t i = 0; i < b->n; i++)
    tr_free(b->e[i].addr);
  tr_free(b->e);
  tr_free(b);
}

static void attempt_end(attempt_t *a, bool ok) {
  node_boot_t *b = a->b;
  if (!ok && !b->closing) {
    /* Every round while offline would repeat it: once at INFO. */
    tr_log(a->e->told ? TR_LOG_DEBUG : TR_LOG_INFO,
           "bootstrap: cannot reach %s%s", a->e->addr,
           a->naddrs ? "" : " (the name gave no address for it)");
    a->e->told = true;
  }
  a->e->busy = false;
  if (a->prev)
    a->prev->next = a->next;
  else
    b->live = a->next;
  if (a->next)
    a->next->prev = a->prev;
  for (size_t i = 0; i < a->naddrs; i++)
    tr_free(a->addrs[i]);
  tr_free(a);
  unref(b);
}

static void dial_next(attempt_t *a);

static void dialled(net_host_t *h, int status, const net_peerid_t *peer,
                    void *ud) {
  (void)h, (void)peer;
  attempt_t *a = ud;
  if (!status) {
    tr_log(TR_LOG_DEBUG, "bootstrap: connected to %s", a->e->addr);
    attempt_end(a, true);
  } else if (a->b->closing) {
    attempt_end(a, true);
  } else {
    tr_log(TR_LOG_DEBUG, "bootstrap: %s: %s", a->addrs[a->tried - 1],
           tr_strerror(status));
    dial_next(a);
  }
}

static void dial_next(attempt_t *a) {
  while (a->tried < a->naddrs) {
    const char *s = a->addrs[a->tried++];
    int rc = net_host_connect(a->b->h, s, dialled, a);
    if (!rc)
      return;
    tr_log(TR_LOG_DEBUG, "bootstrap: cannot dial %s: %s", s, tr_strerror(rc));
  }
  attempt_end(a, false);
}

/* The peer an address ends in (/p2p/<id>, or the older /ipfs/<id>). */
static bool addr_peer(const char *s, net_peerid_t *id) {
  const char *p = NULL;
  for (const char *q = s; (q = strstr(q, "/p2p/")); q++)
    p = q + 5;
  for (const char *q = s; (q = strstr(q, "/ipfs/")); q++)
    if (!p || q + 6 > p)
      p = q + 6;
  return p && !net_peerid_parse(id, p, strlen(p));
}

/* host <- the name of a "/dnsaddr/<name>[/...]" address; false when s is
 * not one. */
static bool dnsaddr_host(const char *s, char host[DNS_NAME_MAX + 1]) {
  if (strncmp(s, "/dnsaddr/", 9))
    return false;
  s += 9;
  size_t n = strcspn(s, "/");
  if (!n || n > DNS_NAME_MAX)
    return false;
  memcpy(host, s, n);
  host[n] = 0;
  return true;
}

static void lookup_start(attempt_t *a, const char *host, unsigned depth) {
  lookup_t *l = tr_calloc(1, sizeof *l);
  if (!l)
    return;
  snprintf(l->name, sizeof l->name, "_dnsaddr.%s", host);
  l->a = a;
  l->depth = depth;
  node_boot_t *b = a->b;
  if (b->lq_tail)
    b->lq_tail->next = l;
  else
    b->lq = l;
  b->lq_tail = l;
  a->pending++;
}

/* l's answer (status, records): its records taken, further names queued;
 * the attempt dials once it has no lookup left. */
static void lookup_end(lookup_t *l, int status, const char *const *txt,
                       size_t n) {
  attempt_t *a = l->a;
  if (status)
    tr_log(TR_LOG_INFO, "bootstrap: %s: no TXT records at %s: %s",
           a->e->addr, l->name,
           status == TR_ENOTFOUND ? "no such name" : tr_strerror(status));
  for (size_t i = 0; i < n; i++) {
    const char *ma = txt[i];
    char host[DNS_NAME_MAX + 1];
    net_peerid_t id;
    if (strncmp(ma, "dnsaddr=", 8))
      continue;
    ma += 8;
    if (a->e->has_id &&
        (!addr_peer(ma, &id) || !net_peerid_equal(&id, &a->e->id)))
      continue; /* another peer's, or names none */
    if (dnsaddr_host(ma, host)) {
      if (l->depth + 1 < NODE_BOOT_DNS_DEPTH)
        lookup_start(a, host, l->depth + 1);
      continue;
    }
    if (a->naddrs == NODE_BOOT_ADDRS)
      continue;
    char *c = tr_malloc(strlen(ma) + 1);
    if (c)
      a->addrs[a->naddrs++] = strcpy(c, ma);
  }
  tr_free(l);
  if (!--a->pending)
    dial_next(a);
}

static void lookup_done(void *ud, int status, const char *const *txt,
                        size_t n);

/* The next lookup in line, when none is under way. */
static void pump(node_boot_t *b) {
  while (!b->lcur && b->lq && !b->closing) {
    lookup_t *l = b->lq;
    if (!(b->lq = l->next))
      b->lq_tail = NULL;
    l->next = NULL;
    int rc = dns_system_txt(b->loop, l->name, NODE_BOOT_DNS_MS, lookup_done,
                            l, &b->lcur_h);
    if (rc)
      lookup_end(l, rc, NULL, 0);
    else
      b->lcur = l;
  }
}

static void lookup_done(void *ud, int status, const char *const *txt,
                        size_t n) {
  lookup_t *l = ud;
  node_boot_t *b = l->a->b;
  b->lcur = NULL;
  lookup_end(l, status, txt, n);
  pump(b);
}

static void attempt_start(node_boot_t *b, entry_t *e) {
  attempt_t *a = tr_calloc(1, sizeof *a);
  if (!a)
    return;
  a->b = b;
  a->e = e;
  e->busy = true;
  b->refs++;
  a->next = b->live;
  if (b->live)
    b->live->prev = a;
  b->live = a;
  if (e->host[0]) {
    lookup_start(a, e->host, 0);
    if (!a->pending)
      attempt_end(a, false);
    pump(b);
    return;
  }
  char *c = tr_malloc(strlen(e->addr) + 1);
  if (c)
    a->addrs[a->naddrs++] = strcpy(c, e->addr);
  dial_next(a);
}

static void round_(uv_timer_t *t) {
  node_boot_t *b = t->data;
  size_t conns = net_host_conns(b->h, NULL, NULL);
  if (b->closing || conns >= NODE_BOOT_MIN_CONNS)
    return;
  size_t want = NODE_BOOT_MIN_CONNS - conns;
  /* A random order (Fisher-Yates), so that every node does not lean on
   * the first entries. */
  size_t *ord = tr_malloc(b->n * sizeof *ord);
  if (!ord)
    return;
  for (size_t i = 0; i < b->n; i++)
    ord[i] = i;
  for (size_t i = b->n; i > 1; i--) {
    size_t j = randombytes_uniform((uint32_t)i), x = ord[i - 1];
    ord[i - 1] = ord[j];
    ord[j] = x;
  }
  for (size_t i = 0; i < b->n && want && !b->closing; i++) {
    entry_t *e = &b->e[ord[i]];
    if (e->has_id && net_host_connected(b->h, &e->id))
      continue;
    want--; /* one under way counts as one coming */
    if (!e->busy)
      attempt_start(b, e);
  }
  tr_free(ord);
}

int node_boot_start(uv_loop_t *loop, net_host_t *h, json_t *boot,
                    uint64_t period_ms, node_boot_t **out) {
  node_boot_t *b = tr_calloc(1, sizeof *b);
  size_t cap = json_array_size(boot);
  if (!b || !(b->e = tr_calloc(cap ? cap : 1, sizeof *b->e))) {
    tr_free(b);
    return -ENOMEM;
  }
  b->loop = loop;
  b->h = h;
  size_t i;
  json_t *v;
  json_array_foreach(boot, i, v) {
    const char *s = json_string_value(v);
    entry_t *e = &b->e[b->n];
    if (!s || (!strncmp(s, "/dnsaddr/", 9) && !dnsaddr_host(s, e->host))) {
      tr_log(TR_LOG_INFO, "bootstrap: entry %zu is not an address", i);
      continue;
    }
    e->has_id = addr_peer(s, &e->id);
    if (!(e->addr = tr_malloc(strlen(s) + 1))) {
      b->refs = 1;
      unref(b);
      return -ENOMEM;
    }
    strcpy(e->addr, s);
    b->n++;
  }
  int rc = uv_timer_init(loop, &b->timer);
  if (rc) {
    b->refs = 1;
    unref(b);
    return rc;
  }
  b->timer.data = b;
  b->refs = 1;
  uv_timer_start(&b->timer, round_, 0,
                 period_ms ? period_ms : NODE_BOOT_PERIOD_MS);
  *out = b;
  return 0;
}

static void timer_closed(uv_handle_t *t) { unref(t->data); }

void node_boot_stop(node_boot_t *b) {
  if (!b || b->closing)
    return;
  b->closing = true;
  uv_close((uv_handle_t *)&b->timer, timer_closed);
  /* Lookups are cancelled here (no callback comes); an attempt that was
   * only waiting on them ends now, one dialling ends when the host's
   * close calls its dial back. */
  if (b->lcur) {
    dns_system_cancel(b->lcur_h);
    tr_free(b->lcur);
    b->lcur = NULL;
  }
  while (b->lq) {
    lookup_t *l = b->lq;
    b->lq = l->next;
    tr_free(l);
  }
  b->lq_tail = NULL;
  for (attempt_t *a = b->live, *next; a; a = next) {
    next = a->next;
    if (a->pending)
      attempt_end(a, true);
  }
}

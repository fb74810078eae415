/*
 * bootstrap.c — Kubo's bootstrap rounds over the Bootstrap list, with
 * /dnsaddr resolution (bootstrap.h).
 *
 * An attempt is one entry's try in a round: its /dnsaddr resolution
 * (dns_dnsaddr_resolve), then its addresses dialled (net_host_dial races them).  The
 * node_boot counts what can still call back into it (the timer, each
 * attempt) and frees itself when that reaches 0 after node_boot_stop.
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
} entry_t;

typedef struct attempt attempt_t;

struct attempt {
  node_boot_t *b;
  entry_t *e;
  attempt_t *prev, *next;
  void *dns;        /* its /dnsaddr resolution, while under way */
  int dns_status;   /* and how it ended */
  net_dial_t *dial; /* its dial, while under way */
  int dial_status;  /* and how that ended */
};

struct node_boot {
  net_host_t *h;
  uv_timer_t timer;
  entry_t *e;
  size_t n;
  attempt_t *live;
  dns_dnsaddr_t *dns;
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
    int l = a->e->told ? TR_LOG_DEBUG : TR_LOG_INFO;
    if (a->dns_status)
      tr_log(l, "bootstrap: cannot resolve %s: %s", a->e->addr,
             a->dns_status == TR_ENOTFOUND ? "no address for it"
                                           : tr_strerror(a->dns_status));
    else
      tr_log(l, "bootstrap: cannot reach %s: %s", a->e->addr,
             tr_strerror(a->dial_status));
    a->e->told = true;
  }
  a->e->busy = false;
  if (a->prev)
    a->prev->next = a->next;
  else
    b->live = a->next;
  if (a->next)
    a->next->prev = a->prev;
  tr_free(a);
  unref(b);
}

static void dialled(net_host_t *h, int status, const net_peerid_t *peer,
                    void *ud) {
  (void)h, (void)peer;
  attempt_t *a = ud;
  a->dial_status = status;
  if (!status) {
    tr_log(TR_LOG_DEBUG, "bootstrap: connected to %s", a->e->addr);
    a->e->told = false; /* a later failure is news again */
  }
  attempt_end(a, !status || a->b->closing);
}

/* Dial the entry at addrs[0..n) (its own address, or what its /dnsaddr
 * resolved to), one after another until one connects. */
static void dial(attempt_t *a, const char *const *addrs, size_t n) {
  entry_t *e = a->e;
  int rc = net_host_dial(a->b->h, e->has_id ? &e->id : NULL, addrs, n,
                         dialled, a, &a->dial);
  if (rc) {
    a->dial_status = rc;
    attempt_end(a, false);
  }
}

/* The peer an address ends in (/p2p/<id>, or the older /ipfs/<id>):
 * false when it names none or is no multiaddr. */
static bool addr_peer(const char *s, net_peerid_t *id) {
  uint8_t b[NET_MA_MAX];
  int len = net_ma_parse(s, strlen(s), b, sizeof b);
  return len > 0 && !net_ma_peer(b, (size_t)len, id, NULL);
}

static void resolved(void *ud, int status, char *const *addrs, size_t n) {
  attempt_t *a = ud;
  a->dns = NULL;
  a->dns_status = status;
  if (status)
    attempt_end(a, false);
  else
    dial(a, (const char *const *)addrs, n < NODE_BOOT_ADDRS ? n : NODE_BOOT_ADDRS);
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
  if (dns_is_dnsaddr(e->addr)) {
    int rc = dns_dnsaddr_resolve(b->dns, e->addr, resolved, a, &a->dns);
    if (rc) {
      a->dns_status = rc;
      attempt_end(a, false);
    }
    return;
  }
  const char *one = e->addr;
  dial(a, &one, 1);
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

int node_boot_start(uv_loop_t *loop, net_host_t *h, dns_dnsaddr_t *dns,
                    json_t *boot, uint64_t period_ms, node_boot_t **out) {
  node_boot_t *b = tr_calloc(1, sizeof *b);
  size_t cap = json_array_size(boot);
  if (!b || !(b->e = tr_calloc(cap ? cap : 1, sizeof *b->e))) {
    tr_free(b);
    return -ENOMEM;
  }
  b->h = h;
  b->dns = dns;
  size_t i;
  json_t *v;
  json_array_foreach(boot, i, v) {
    const char *s = json_string_value(v);
    entry_t *e = &b->e[b->n];
    if (!s) {
      tr_log(TR_LOG_INFO, "bootstrap: entry %zu is not an address", i);
      continue;
    }
    e->has_id = addr_peer(s, &e->id);
    if (!(e->addr = tr_strdup(s))) {
      b->refs = 1;
      unref(b);
      return -ENOMEM;
    }
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
  /* Resolutions are cancelled here (no callback comes, none inside the
   * cancel); an attempt resolving ends now, one dialling when its dial
   * calls back (at the latest, the host's close ends it). */
  for (attempt_t *a = b->live, *next; a; a = next) {
    next = a->next;
    if (a->dns) {
      dns_dnsaddr_cancel(b->dns, a->dns);
      a->dns = NULL;
      attempt_end(a, true);
    } else {
      net_dial_cancel(a->dial);
    }
  }
}

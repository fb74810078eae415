/*
 * dial.c — net_host_dial: a peer dialled at its addresses, raced: the
 * next one starts NET_DIAL_STAGGER_MS after the last while none has
 * connected (at once when one fails), as go-libp2p's dial ranker starts
 * a peer's TCP addresses, so that a dead address (a LAN address seen from
 * outside, an old port) costs a moment, not its connect timeout.  /dns
 * names are resolved on the way, and the host's router is asked where the
 * peer is when none worked.  Above host.c (it dials through net_host_connect);
 * the host ends the dials still resolving or looking up at its close
 * through the pointer it holds (dials_close), never by calling up here.
 */
#include "host_int.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

struct net_dial {
  net_host_t *h; /* NULL once the host closed under a lookup */
  net_dial_t *next, *prev;
  net_peerid_t peer;
  bool has_peer;
  char **addrs; /* tr_malloc'ed strings, tried from i on */
  size_t n, cap, i;
  net_connect_cb cb;
  void *ud;
  net_dial_t **out;
  int last;       /* the last failure */
  bool cancelled;
  bool done;      /* cb ran: what is still under way is awaited, then d
                     is freed (maybe_free) */
  bool resolving; /* gai is under way */
  bool launching; /* inside next(): a callback from inside a connect
                     must not free d under it */
  unsigned inflight; /* connects under way */
  bool timer_init, timer_on; /* the stagger timer */
  uv_timer_t timer;
  bool looked;    /* the router was asked */
  void *find;     /* its lookup, while under way */
  uint32_t find_gen; /* the router's (net_host.router_gen) */
  uv_getaddrinfo_t gai;
  char tail[NET_MA_STR_MAX / 16]; /* what follows the name being resolved */
};

static void unlink_(net_dial_t *d) {
  if (!d->h)
    return;
  if (d->prev)
    d->prev->next = d->next;
  else
    d->h->dials = d->next;
  if (d->next)
    d->next->prev = d->prev;
  d->next = d->prev = NULL;
}

static void timer_closed(uv_handle_t *t) { tr_free(t->data); }

static void free_(net_dial_t *d) {
  for (size_t i = 0; i < d->n; i++)
    tr_free(d->addrs[i]);
  tr_free(d->addrs);
  d->addrs = NULL;
  d->n = 0;
  if (d->timer_init)
    uv_close((uv_handle_t *)&d->timer, timer_closed);
  else
    tr_free(d);
}

/* d has called back: free it once nothing it started can call into it. */
static void maybe_free(net_dial_t *d) {
  if (d->done && !d->resolving && !d->inflight && !d->launching)
    free_(d);
}

static void finish(net_dial_t *d, int status, const net_peerid_t *peer) {
  net_host_t *h = d->h;
  unlink_(d);
  d->done = true;
  if (d->timer_on) {
    uv_timer_stop(&d->timer);
    d->timer_on = false;
  }
  if (d->out)
    *d->out = NULL;
  d->cb(h, status, peer, d->ud);
  maybe_free(d);
}

/* Insert a copy of s[0..len) at position at. */
static int insert(net_dial_t *d, size_t at, const char *s, size_t len) {
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 4;
    char **v = tr_realloc(d->addrs, cap * sizeof *v);
    if (!v)
      return -ENOMEM;
    d->addrs = v;
    d->cap = cap;
  }
  char *c = tr_strndup(s, len);
  if (!c)
    return -ENOMEM;
  memmove(d->addrs + at + 1, d->addrs + at, (d->n - at) * sizeof *d->addrs);
  d->addrs[at] = c;
  d->n++;
  return 0;
}

static void next(net_dial_t *d);

static bool is_ws(const char *s) {
  for (const char *p = strstr(s, "/ws"); p; p = strstr(p + 3, "/ws"))
    if (p[3] == '/' || p[3] == 0)
      return true;
  return false;
}

/* The addresses from i on, TCP ones before WebSocket ones, each kind in
 * its order: a WebSocket adds a round trip and framing to the same TCP,
 * so go-libp2p's dial ranker starts it only after the peer's TCP ones. */
static void rank(net_dial_t *d, size_t i) {
  size_t w = i;
  for (size_t r = i; r < d->n; r++)
    if (!is_ws(d->addrs[r])) {
      char *a = d->addrs[r];
      memmove(d->addrs + w + 1, d->addrs + w, (r - w) * sizeof *d->addrs);
      d->addrs[w++] = a;
    }
}

static void dialled(net_host_t *h, int status, const net_peerid_t *peer,
                    void *ud) {
  (void)h;
  net_dial_t *d = ud;
  d->inflight--;
  if (d->done) { /* another address won, or the dial was ended */
    maybe_free(d);
    return;
  }
  if (!status) {
    finish(d, 0, peer);
    return;
  }
  d->last = status;
  if (d->launching)
    return;
  if (d->timer_on) { /* a failure starts the next address at once */
    uv_timer_stop(&d->timer);
    d->timer_on = false;
  }
  next(d);
}

static void resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  net_dial_t *d = req->data;
  d->resolving = false;
  if (d->done) { /* the host closed, or the dial was ended, meanwhile */
    uv_freeaddrinfo(res);
    maybe_free(d);
    return;
  }
  size_t at = d->i, got = 0;
  for (struct addrinfo *ai = status ? NULL : res;
       ai && got < NET_DIAL_RESOLVED; ai = ai->ai_next) {
    char ip[INET6_ADDRSTRLEN], s[sizeof ip + sizeof d->tail + 8];
    const void *a = ai->ai_family == AF_INET
                        ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                    : ai->ai_family == AF_INET6
                        ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                        : NULL;
    if (!a || !inet_ntop(ai->ai_family, a, ip, sizeof ip))
      continue;
    int k = snprintf(s, sizeof s, "/ip%c/%s%s",
                     ai->ai_family == AF_INET ? '4' : '6', ip, d->tail);
    if (k < 0 || (size_t)k >= sizeof s || insert(d, at + got, s, (size_t)k))
      continue;
    got++;
  }
  uv_freeaddrinfo(res);
  if (!got)
    d->last = TR_ERESOLVE;
  next(d);
}

static void stagger(uv_timer_t *t) {
  net_dial_t *d = t->data;
  d->timer_on = false;
  next(d);
}

/* Start resolving the name of c (a /dns, /dns4 or /dns6 component) for an
 * address whose rest is rest[0..rlen) (binary).  0 when the lookup is
 * under way. */
static int resolve(net_dial_t *d, const net_ma_comp_t *c, const uint8_t *rest,
                   size_t rlen, const char *suffix) {
  char name[256];
  if (c->vlen == 0 || c->vlen >= sizeof name)
    return TR_EMULTIADDR;
  memcpy(name, c->value, c->vlen);
  name[c->vlen] = 0;
  int k = rlen ? net_ma_format(rest, rlen, d->tail, sizeof d->tail) : 0;
  if (k < 0)
    return k;
  if ((size_t)k + strlen(suffix) >= sizeof d->tail)
    return TR_ETOOBIG;
  strcpy(d->tail + k, suffix);
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = c->code == NET_MA_DNS4   ? AF_INET
                    : c->code == NET_MA_DNS6 ? AF_INET6
                                             : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  d->gai.data = d;
  int rc = uv_getaddrinfo(d->h->loop, &d->gai, resolved, name, NULL, &hints);
  if (!rc)
    d->resolving = true;
  return rc ? TR_ERESOLVE : 0;
}

/* Dial s (or resolve its name): 0 when something is under way. */
static int try_one(net_dial_t *d, const char *s) {
  uint8_t b[NET_MA_MAX];
  int len = net_ma_parse(s, strlen(s), b, sizeof b);
  if (len < 0)
    return len;
  net_ma_comp_t first = {0}, c = {0};
  size_t first_len = 0;
  bool has_p2p = false;
  for (int off = 0, k; off < len; off += k) {
    if ((k = net_ma_next(b + off, (size_t)(len - off), &c)) < 0)
      return k;
    if (!off) {
      first = c;
      first_len = (size_t)k;
    }
    if (c.code == NET_MA_P2P) {
      net_peerid_t p;
      if (net_peerid_from_bytes(&p, c.value, c.vlen))
        return TR_EMULTIADDR;
      if (d->has_peer && !net_peerid_equal(&p, &d->peer))
        return TR_EPEER;
      has_p2p = true;
    }
  }
  char suffix[NET_PEERID_STR_MAX + 8] = "";
  if (d->has_peer && !has_p2p) {
    memcpy(suffix, "/p2p/", 6);
    if (net_peerid_format(&d->peer, 0, suffix + 5, sizeof suffix - 5) < 0)
      return TR_EPEERID;
  }
  if (first.code == NET_MA_DNS || first.code == NET_MA_DNS4 ||
      first.code == NET_MA_DNS6)
    return resolve(d, &first, b + first_len, (size_t)len - first_len, suffix);
  char full[NET_MA_STR_MAX / 16 + sizeof suffix];
  int k = snprintf(full, sizeof full, "%s%s", s, suffix);
  if (k < 0 || (size_t)k >= sizeof full)
    return TR_ETOOBIG;
  d->inflight++;
  int rc = net_host_connect(d->h, full, dialled, d);
  if (rc)
    d->inflight--;
  return rc;
}

static void found(void *ctx, int status, char *const *addrs, size_t n) {
  net_dial_t *d = ctx;
  d->find = NULL;
  for (size_t i = 0; !status && i < n && d->n < NET_DIAL_ADDRS * 2; i++)
    if (insert(d, d->n, addrs[i], strlen(addrs[i])))
      break;
  rank(d, d->i);
  next(d); /* nothing found: d->last stays what failed before */
}

/* Every address failed, or there was none: ask the router, once.  true
 * when its lookup is under way. */
static bool look_up(net_dial_t *d) {
  net_host_t *h = d->h;
  if (d->looked || !d->has_peer || !h->router.find)
    return false;
  d->looked = true;
  d->find_gen = h->router_gen;
  return h->router.find(h->router.ud, &d->peer, found, d, &d->find) == 0;
}

/* Start the next address, unless one was started less than the stagger
 * ago (the timer comes back for it), a name is being resolved, or
 * NET_DIAL_RACE are under way; end the dial when nothing is under way and
 * nothing is left (after asking the router, once). */
static void next(net_dial_t *d) {
  if (d->done || d->resolving || d->timer_on)
    return;
  d->launching = true;
  bool started = false;
  unsigned race = d->has_peer ? NET_DIAL_RACE : 1;
  while (!d->done && !started && d->i < d->n && !d->cancelled &&
         !d->h->closing && d->inflight < race) {
    /* A connect may call back from inside the call (the peer is connected
     * already): launching keeps d alive through that. */
    int rc = try_one(d, d->addrs[d->i++]);
    if (rc == TR_ELIMIT && d->inflight) {
      /* The host's dials are all in use: this address waits for the
       * next turn instead of failing. */
      d->i--;
      break;
    }
    if (rc)
      d->last = rc;
    else
      started = true;
  }
  d->launching = false;
  if (d->done) {
    maybe_free(d);
    return;
  }
  if (d->resolving)
    return;
  if (d->inflight) {
    /* The next address in a moment, unless this one answers first. */
    if (d->i < d->n && !d->cancelled && !d->h->closing &&
        d->inflight < race) {
      if (!d->timer_init) {
        if (uv_timer_init(d->h->loop, &d->timer))
          return; /* no race: the next goes when this one fails */
        d->timer_init = true;
        d->timer.data = d;
      }
      d->timer_on = true;
      uv_timer_start(&d->timer, stagger, NET_DIAL_STAGGER_MS, 0);
    }
    return;
  }
  if (d->i < d->n && !d->cancelled && !d->h->closing) {
    next(d); /* what it started failed at once */
    return;
  }
  if (!d->cancelled && !d->h->closing && look_up(d))
    return;
  finish(d, d->cancelled || d->h->closing ? -ECANCELED
            : d->last                     ? d->last
                                          : TR_ENOADDR,
         NULL);
}

/* Stop d's router lookup (no callback comes). */
static void stop_find(net_dial_t *d) {
  if (d->find) {
    d->h->router.cancel(d->h->router.ud, d->find);
    d->find = NULL;
  }
}

/* The host closes: dials between two addresses are in a name's or the
 * router's lookup (the others got their connection's failure already and
 * ended). */
static void close_all(net_host_t *h) {
  while (h->dials) {
    net_dial_t *d = h->dials;
    bool lookup = d->resolving; /* else finish frees d */
    stop_find(d);
    finish(d, -ECANCELED, NULL);
    if (lookup)
      d->h = NULL; /* resolved() frees it */
  }
}

void net_host_set_router(net_host_t *h, const net_router_t *r) {
  net_router_t old = h->router;
  uint32_t gen = h->router_gen++;
  if (r)
    h->router = *r;
  else
    memset(&h->router, 0, sizeof h->router);
  /* Each dial in the old router's lookup ends with what failed before it.
   * A callback may start or end other dials: the walk starts over (those
   * it starts use the new router). */
  for (net_dial_t *d = h->dials; d;) {
    if (!d->find || d->find_gen != gen) {
      d = d->next;
      continue;
    }
    old.cancel(old.ud, d->find);
    d->find = NULL;
    finish(d, d->last ? d->last : TR_ENOADDR, NULL);
    d = h->dials;
  }
}

int net_host_dial(net_host_t *h, const net_peerid_t *peer,
                  const char *const *addrs, size_t n, net_connect_cb cb,
                  void *ud, net_dial_t **out) {
  return net_host_dial_flags(h, peer, addrs, n, 0, cb, ud, out);
}

int net_host_dial_flags(net_host_t *h, const net_peerid_t *peer,
                        const char *const *addrs, size_t n, unsigned flags,
                        net_connect_cb cb, void *ud, net_dial_t **out) {
  if (out)
    *out = NULL;
  if (n > NET_DIAL_ADDRS)
    return TR_EUSAGE;
  net_dial_t *d = tr_calloc(1, sizeof *d);
  if (!d)
    return -ENOMEM;
  d->h = h;
  d->cb = cb;
  d->ud = ud;
  d->looked = flags & NET_DIAL_NO_ROUTER; /* as if asked already */
  if (peer && peer->len) {
    d->peer = *peer;
    d->has_peer = true;
  }
  for (size_t i = 0; i < n; i++)
    if (insert(d, d->n, addrs[i], strlen(addrs[i]))) {
      free_(d);
      return -ENOMEM;
    }
  net_peerinfo_t *pi = !n && d->has_peer ? net_ps_get(&h->ps, peer) : NULL;
  for (size_t i = 0; pi && i < pi->naddrs; i++) {
    char a[NET_MA_STR_MAX / 16];
    int k = net_ma_format(pi->addrs[i], pi->addrlen[i], a, sizeof a);
    if (k > 0 && insert(d, d->n, a, (size_t)k)) {
      free_(d);
      return -ENOMEM;
    }
  }
  rank(d, 0);
  h->dials_close = close_all;
  d->next = h->dials;
  if (h->dials)
    h->dials->prev = d;
  h->dials = d;
  if (out) {
    d->out = out;
    *out = d;
  }
  if (d->has_peer && net_host_connected(h, &d->peer)) {
    finish(d, 0, &d->peer);
    return 0;
  }
  next(d);
  return 0;
}

void net_dial_cancel(net_dial_t *d) {
  if (d)
    d->cancelled = true;
}

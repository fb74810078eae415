/*
 * p2pmount.c — the daemon's libp2p stream mounting (see p2pmount.h):
 * listeners (a protocol handler on the host, or a TCP listener), and the
 * bridges between a libp2p stream and a TCP connection.
 *
 * A bridge's life: made when a stream comes in (listen) or a connection is
 * accepted (forward); registered (an ID, `p2p stream ls`) once both ends
 * are up, as Kubo registers them; unregistered when either end fails or
 * both have ended; freed when its TCP handle's close callback has run and
 * the stream (or the dial, the open) is gone.  That free only ever happens
 * from a callback of the loop, never inside a call into the host, so a
 * stream's on_close coming inside net_stream_reset() finds its bridge
 * alive.
 *
 * Build options: none.
 */
#include "p2pmount.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../net/multiaddr.h"
#include "../net/peerid.h"

#define ADDR_MAX 160 /* a TCP multiaddr or /p2p/ID as text */
#define PROTECT_TAG "stream-fwd"

typedef struct lsn {
  struct lsn *next;
  p2pm_t *p;
  bool local; /* forward: a TCP listener; else a protocol handler */
  const char *proto; /* interned */
  char listen[ADDR_MAX], target[ADDR_MAX];
  /* listen */
  struct sockaddr_storage ta;
  bool dialable, report;
  /* forward */
  uv_tcp_t tcp;
  net_peerid_t peer;
  char **addrs;
  size_t naddrs;
} lsn_t;

typedef struct bridge {
  struct bridge *next;
  p2pm_t *p;
  uint64_t id;
  bool registered;
  const char *proto;
  char origin[ADDR_MAX], target[ADDR_MAX];
  net_peerid_t peer;
  net_stream_t *s;
  net_dial_t *dial;
  bool dialing, opening;
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_shutdown_t sreq;
  bool connected, closing, closed;
  bool tcp_eof, fin_seen, shut_sent, shut_done;
  bool read_paused, st_paused, reading;
  size_t wq; /* bytes in TCP writes under way */
  tr_bytes_t pre; /* the stream's bytes before the TCP connection is up */
  uint8_t rbuf[P2PM_READ_BUF];
} bridge_t;

typedef struct proto_name {
  struct proto_name *next;
  char s[];
} proto_name_t;

struct p2pm {
  uv_loop_t *loop;
  net_host_t *host;
  rpc_p2p_t rpc;
  lsn_t *lsns;
  size_t nlsns;
  bridge_t *bridges;
  size_t nbridges, streams_max;
  uint64_t next_id;
  proto_name_t *protos;
  size_t nprotos;
  bool stopped;
};

/* ------------------------------------------------------------ helpers */

static const char *intern(p2pm_t *p, const char *s) {
  for (proto_name_t *n = p->protos; n; n = n->next)
    if (!strcmp(n->s, s))
      return n->s;
  if (p->nprotos == P2PM_PROTOS_MAX)
    return NULL;
  size_t len = strlen(s);
  proto_name_t *n = tr_malloc(sizeof *n + len + 1);
  if (!n)
    return NULL;
  memcpy(n->s, s, len + 1);
  n->next = p->protos;
  p->protos = n;
  p->nprotos++;
  return n->s;
}

static void sa_format(const struct sockaddr *sa, char *out, size_t n) {
  char ip[INET6_ADDRSTRLEN] = "";
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const void *)sa;
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    snprintf(out, n, "/ip6/%s/tcp/%u", ip, ntohs(a->sin6_port));
  } else {
    const struct sockaddr_in *a = (const void *)sa;
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    snprintf(out, n, "/ip4/%s/tcp/%u", ip, ntohs(a->sin_port));
  }
}

static void peer_ma(const net_peerid_t *id, char *out, size_t n) {
  char s[NET_PEERID_STR_MAX] = "";
  if (net_peerid_format(id, 0, s, sizeof s) < 0)
    s[0] = 0;
  snprintf(out, n, "/p2p/%s", s);
}

/* A multiaddr's text as go-multiaddr's String() gives it, its IP and its
 * transport (NET_MA_TCP, NET_MA_UDP, 0: none) and port.  0, or
 * TR_EMULTIADDR with Kubo's message in err. */
static int ma_split(const char *s, char *norm, size_t normlen,
                    struct sockaddr_storage *ss, uint32_t *tpt,
                    uint16_t *port, char *err, size_t errlen) {
  uint8_t b[NET_MA_MAX];
  int len = net_ma_parse(s, strlen(s), b, sizeof b);
  if (len < 0 || net_ma_format(b, (size_t)len, norm, normlen) < 0) {
    snprintf(err, errlen, "failed to parse multiaddr \"%s\": %s", s,
             s[0] == '/' ? tr_strerror(len < 0 ? len : TR_EMULTIADDR)
                         : "must begin with /");
    return TR_EMULTIADDR;
  }
  memset(ss, 0, sizeof *ss);
  *tpt = 0;
  *port = 0;
  net_ma_comp_t c;
  int k, i = 0;
  for (size_t off = 0; off < (size_t)len; off += (size_t)k, i++) {
    if ((k = net_ma_next(b + off, (size_t)len - off, &c)) < 0)
      break;
    if (i == 0 && c.code == NET_MA_IP4 && c.vlen == 4) {
      struct sockaddr_in *a = (void *)ss;
      a->sin_family = AF_INET;
      memcpy(&a->sin_addr, c.value, 4);
    } else if (i == 0 && c.code == NET_MA_IP6 && c.vlen == 16) {
      struct sockaddr_in6 *a = (void *)ss;
      a->sin6_family = AF_INET6;
      memcpy(&a->sin6_addr, c.value, 16);
    } else if (!*tpt && (c.code == NET_MA_TCP || c.code == NET_MA_UDP) &&
               c.vlen == 2) {
      *tpt = c.code;
      *port = (uint16_t)(c.value[0] << 8 | c.value[1]);
      if (i == 1 && ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(*port);
      else if (i == 1 && ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(*port);
      else
        *tpt |= 0x80000000u; /* not at the thin waist: not dialable */
    }
  }
  return 0;
}

/* Go's net error text for errno e ("address already in use"). */
static void go_errno(int e, char *out, size_t n) {
  snprintf(out, n, "%s", strerror(e));
  if (out[0] >= 'A' && out[0] <= 'Z')
    out[0] = (char)(out[0] - 'A' + 'a');
}

/* ------------------------------------------------------------ bridges */

static void protect(p2pm_t *p, const net_peerid_t *peer, bool on) {
  if (!on)
    for (bridge_t *b = p->bridges; b; b = b->next)
      if (b->registered && net_peerid_equal(&b->peer, peer))
        return; /* another stream to it holds the tag */
  if (net_host_protect(p->host, peer, PROTECT_TAG, on))
    tr_log(TR_LOG_DEBUG, "p2p: cannot %s a peer", on ? "protect" : "free");
}

static void reg(bridge_t *b) {
  b->id = b->p->next_id++;
  b->registered = true;
  protect(b->p, &b->peer, true);
}

static void unreg(bridge_t *b) {
  if (!b->registered)
    return;
  b->registered = false;
  protect(b->p, &b->peer, false);
}

static void maybe_free(bridge_t *b) {
  if (!b->closed || b->s || b->dialing || b->opening)
    return;
  p2pm_t *p = b->p;
  unreg(b);
  for (bridge_t **pp = &p->bridges; *pp; pp = &(*pp)->next)
    if (*pp == b) {
      *pp = b->next;
      break;
    }
  p->nbridges--;
  tr_bytes_free(&b->pre);
  tr_free(b);
}

static void on_tcp_closed(uv_handle_t *h) {
  bridge_t *b = h->data;
  b->closed = true;
  maybe_free(b);
}

/* Close the TCP side (with an RST when reset, as a Go conn closed with
 * unread data is); the bridge goes once its close callback has run. */
static void tcp_close(bridge_t *b, bool reset) {
  if (b->closing)
    return;
  b->closing = true;
  if (b->reading)
    uv_read_stop((uv_stream_t *)&b->tcp);
  if (!(reset && b->connected && !b->shut_sent &&
        uv_tcp_close_reset(&b->tcp, on_tcp_closed) == 0))
    uv_close((uv_handle_t *)&b->tcp, on_tcp_closed);
}

/* Reset both sides. */
static void fail(bridge_t *b) {
  unreg(b);
  if (b->s) {
    net_stream_t *s = b->s;
    b->s = NULL;
    net_stream_set(s, &(net_stream_cbs_t){0}, NULL);
    net_stream_reset(s);
  }
  tcp_close(b, true);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)hint;
  bridge_t *b = h->data;
  *buf = uv_buf_init((char *)b->rbuf, sizeof b->rbuf);
}

static void on_read(uv_stream_t *t, ssize_t n, const uv_buf_t *buf);

static void read_start(bridge_t *b) {
  if (b->reading || b->closing || b->tcp_eof || !b->connected)
    return;
  if (uv_read_start((uv_stream_t *)&b->tcp, on_alloc, on_read))
    fail(b);
  else
    b->reading = true;
}

static void read_stop(bridge_t *b) {
  if (b->reading)
    uv_read_stop((uv_stream_t *)&b->tcp);
  b->reading = false;
}

/* TCP -> stream. */
static void on_read(uv_stream_t *t, ssize_t n, const uv_buf_t *buf) {
  bridge_t *b = t->data;
  (void)buf;
  if (n == 0 || b->closing)
    return;
  if (!b->s) {
    fail(b);
    return;
  }
  if (n == UV_EOF) {
    read_stop(b);
    b->tcp_eof = true;
    net_stream_close(b->s); /* may end it (on_close) */
    return;
  }
  if (n < 0) {
    fail(b);
    return;
  }
  if (net_stream_write(b->s, b->rbuf, (size_t)n)) {
    fail(b);
    return;
  }
  if (net_stream_buffered(b->s) > 0) { /* the window is full: wait */
    read_stop(b);
    b->read_paused = true;
  }
}

typedef struct wreq {
  uv_write_t w;
  bridge_t *b;
  size_t n;
  uint8_t data[];
} wreq_t;

static void on_shut(uv_shutdown_t *r, int status) {
  bridge_t *b = r->data;
  b->shut_done = true;
  if (status && status != UV_ECANCELED)
    fail(b);
  else if (!b->s && !b->closing)
    tcp_close(b, false); /* both ways ended */
}

static void shut(bridge_t *b) {
  if (b->shut_sent || b->closing || !b->connected || !b->fin_seen)
    return;
  b->shut_sent = true;
  b->sreq.data = b;
  if (uv_shutdown(&b->sreq, (uv_stream_t *)&b->tcp, on_shut)) {
    b->shut_done = true;
    fail(b);
  }
}

static void on_written(uv_write_t *w, int status) {
  wreq_t *r = (wreq_t *)w;
  bridge_t *b = r->b;
  b->wq -= r->n;
  tr_free(r);
  if (status) {
    if (status != UV_ECANCELED)
      fail(b);
    return;
  }
  if (b->st_paused && b->wq <= P2PM_HIGH_WATER / 2 && b->s) {
    b->st_paused = false;
    net_stream_pause(b->s, false);
  }
}

static int tcp_write(bridge_t *b, const uint8_t *p, size_t n) {
  wreq_t *r = tr_malloc(sizeof *r + n);
  if (!r)
    return -ENOMEM;
  memcpy(r->data, p, n);
  r->b = b;
  r->n = n;
  uv_buf_t buf = uv_buf_init((char *)r->data, (unsigned)n);
  int rc = uv_write(&r->w, (uv_stream_t *)&b->tcp, &buf, 1, on_written);
  if (rc) {
    tr_free(r);
    return rc;
  }
  b->wq += n;
  return 0;
}

/* Stream -> TCP. */
static void st_data(net_stream_t *s, const uint8_t *p, size_t n) {
  bridge_t *b = net_stream_ud(s);
  if (b->closing)
    return;
  if (!b->connected) { /* held: at most the window, the stream paused */
    if (tr_bytes_append(&b->pre, p, n))
      fail(b);
    return;
  }
  if (tcp_write(b, p, n)) {
    fail(b);
    return;
  }
  if (b->wq > P2PM_HIGH_WATER && !b->st_paused) {
    b->st_paused = true;
    net_stream_pause(s, true);
  }
}

static void st_fin(net_stream_t *s) {
  bridge_t *b = net_stream_ud(s);
  b->fin_seen = true;
  shut(b);
}

static void st_drain(net_stream_t *s) {
  bridge_t *b = net_stream_ud(s);
  if (b->read_paused) {
    b->read_paused = false;
    read_start(b);
  }
}

static void st_close(net_stream_t *s, int status) {
  bridge_t *b = net_stream_ud(s);
  (void)s;
  b->s = NULL;
  unreg(b);
  if (status)
    tcp_close(b, true);
  else if (b->shut_done || !b->connected)
    tcp_close(b, false);
  /* else on_shut closes it */
  maybe_free(b); /* after the TCP handle closed first */
}

static const net_stream_cbs_t BRIDGE_CBS = {
    .on_data = st_data, .on_fin = st_fin, .on_close = st_close,
    .on_drain = st_drain};

static bridge_t *bridge_new(p2pm_t *p, const char *proto) {
  if (p->stopped || p->nbridges >= p->streams_max)
    return NULL;
  bridge_t *b = tr_calloc(1, sizeof *b);
  if (!b)
    return NULL;
  if (uv_tcp_init(p->loop, &b->tcp)) {
    tr_free(b);
    return NULL;
  }
  b->p = p;
  b->proto = proto;
  b->tcp.data = b;
  b->next = p->bridges;
  p->bridges = b;
  p->nbridges++;
  return b;
}

/* ------------------------------------------------ listen: peer -> TCP */

static void on_connected(uv_connect_t *r, int status) {
  bridge_t *b = r->data;
  if (b->closing)
    return;
  if (status || !b->s) {
    fail(b);
    return;
  }
  b->connected = true;
  if (b->pre.len) {
    int rc = tcp_write(b, b->pre.data, b->pre.len);
    tr_bytes_free(&b->pre);
    memset(&b->pre, 0, sizeof b->pre);
    if (rc) {
      fail(b);
      return;
    }
  }
  reg(b);
  net_stream_pause(b->s, false);
  if (b->fin_seen)
    shut(b);
  read_start(b);
}

static void on_stream(net_stream_t *s, void *ud) {
  lsn_t *l = ud;
  p2pm_t *p = l->p;
  bridge_t *b = l->dialable ? bridge_new(p, l->proto) : NULL;
  if (!b) { /* over the bound, or nowhere to go: Kubo resets it */
    net_stream_reset(s);
    return;
  }
  b->peer = *net_stream_peer(s);
  peer_ma(&b->peer, b->origin, sizeof b->origin);
  snprintf(b->target, sizeof b->target, "%s", l->target);
  b->s = s;
  net_stream_set(s, &BRIDGE_CBS, b);
  net_stream_pause(s, true); /* until the TCP connection is up */
  if (l->report) {
    char id[NET_PEERID_STR_MAX] = "";
    if (net_peerid_format(&b->peer, 0, id, sizeof id) < 0 ||
        tr_bytes_append(&b->pre, id, strlen(id)) ||
        tr_bytes_append(&b->pre, "\n", 1)) {
      fail(b);
      return;
    }
  }
  b->creq.data = b;
  if (uv_tcp_connect(&b->creq, &b->tcp, (struct sockaddr *)&l->ta,
                     on_connected))
    fail(b);
}

/* -------------------------------------------- forward: TCP -> peer */

static void on_open(net_stream_t *s, int status, void *ud) {
  bridge_t *b = ud;
  b->opening = false;
  if (status || b->closing) {
    if (s)
      net_stream_reset(s);
    if (!b->closing)
      tcp_close(b, true);
    maybe_free(b);
    return;
  }
  b->s = s;
  net_stream_set(s, &BRIDGE_CBS, b);
  reg(b);
  read_start(b);
}

static void open_stream(bridge_t *b) {
  b->opening = true;
  if (net_host_open(b->p->host, &b->peer, b->proto, on_open, b)) {
    b->opening = false;
    tcp_close(b, true);
  }
}

static void on_dialled(net_host_t *h, int status, const net_peerid_t *peer,
                       void *ud) {
  (void)h, (void)peer;
  bridge_t *b = ud;
  b->dialing = false;
  b->dial = NULL;
  if (status || b->closing) {
    if (!b->closing)
      tcp_close(b, true);
    maybe_free(b);
    return;
  }
  open_stream(b);
}

static void free_handle(uv_handle_t *h) { tr_free(h); }

static void on_accept(uv_stream_t *srv, int status) {
  lsn_t *l = srv->data;
  p2pm_t *p = l->p;
  if (status)
    return;
  bridge_t *b = bridge_new(p, l->proto);
  if (!b) { /* over the bound: take the connection and reset it */
    uv_tcp_t *t = tr_malloc(sizeof *t);
    if (t && !uv_tcp_init(p->loop, t)) {
      if (uv_accept(srv, (uv_stream_t *)t) ||
          uv_tcp_close_reset(t, free_handle))
        uv_close((uv_handle_t *)t, free_handle);
    } else {
      tr_free(t);
    }
    return;
  }
  if (uv_accept(srv, (uv_stream_t *)&b->tcp)) {
    tcp_close(b, false);
    return;
  }
  b->connected = true;
  struct sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_tcp_getpeername(&b->tcp, (struct sockaddr *)&ss, &len) == 0)
    sa_format((struct sockaddr *)&ss, b->origin, sizeof b->origin);
  b->peer = l->peer;
  snprintf(b->target, sizeof b->target, "%s", l->target);
  b->dialing = true;
  if (net_host_dial(p->host, &l->peer, (const char *const *)l->addrs,
                    l->naddrs, on_dialled, b, &b->dial)) {
    b->dialing = false;
    tcp_close(b, true);
  }
}

/* ---------------------------------------------------------- listeners */

static void lsn_free(lsn_t *l) {
  for (size_t i = 0; i < l->naddrs; i++)
    tr_free(l->addrs[i]);
  tr_free(l->addrs);
  tr_free(l);
}

static void on_lsn_closed(uv_handle_t *h) { lsn_free(h->data); }

/* Unlink l and stop it; its open streams go on (Kubo's close()). */
static void lsn_close(p2pm_t *p, lsn_t *l) {
  for (lsn_t **pp = &p->lsns; *pp; pp = &(*pp)->next)
    if (*pp == l) {
      *pp = l->next;
      break;
    }
  p->nlsns--;
  if (l->local) {
    uv_close((uv_handle_t *)&l->tcp, on_lsn_closed);
  } else {
    if (net_host_unhandle(p->host, l->proto))
      tr_log(TR_LOG_DEBUG, "p2p: %s was not registered", l->proto);
    lsn_free(l);
  }
}

static void lsn_add(p2pm_t *p, lsn_t *l) {
  lsn_t **pp = &p->lsns;
  while (*pp)
    pp = &(*pp)->next;
  *pp = l;
  p->nlsns++;
}

static int r_listen(void *ud, const char *proto, const char *target,
                    bool report, char *err, size_t errlen) {
  p2pm_t *p = ud;
  uint32_t tpt;
  uint16_t port;
  lsn_t *l = tr_calloc(1, sizeof *l);
  if (!l) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  int rc = ma_split(target, l->target, sizeof l->target, &l->ta, &tpt, &port,
                    err, errlen);
  if (!rc && !tpt) {
    snprintf(err, errlen, "address does not contain tcp or udp protocol");
    rc = TR_EMULTIADDR;
  } else if (!rc && !port) {
    snprintf(err, errlen, "port can not be 0");
    rc = TR_EMULTIADDR;
  }
  for (lsn_t *o = p->lsns; !rc && o; o = o->next)
    if (!o->local && !strcmp(o->proto, proto)) {
      snprintf(err, errlen, "listener already registered");
      rc = TR_EEXIST;
    }
  if (!rc && p->nlsns >= P2PM_LISTENERS_MAX) {
    snprintf(err, errlen, "too many listeners (%d)", P2PM_LISTENERS_MAX);
    rc = TR_ELIMIT;
  }
  if (!rc && !(l->proto = intern(p, proto))) {
    snprintf(err, errlen, "too many protocol names");
    rc = TR_ELIMIT;
  }
  if (rc) {
    lsn_free(l);
    return rc;
  }
  l->p = p;
  l->report = report;
  /* udp (Kubo takes it, and fails each stream's dial) or an address
   * whose transport is not at its start: streams are reset. */
  l->dialable = tpt == NET_MA_TCP && l->ta.ss_family != 0;
  peer_ma(net_host_id(p->host), l->listen, sizeof l->listen);
  if ((rc = net_host_handle(p->host, l->proto, on_stream, l))) {
    snprintf(err, errlen, "%s", rc == TR_EEXIST
                                    ? "listener already registered"
                                    : "too many protocol handlers");
    lsn_free(l);
    return rc;
  }
  lsn_add(p, l);
  return 0;
}

static int r_forward(void *ud, const char *proto, const char *listen,
                     const net_peerid_t *peer, const char *const *addrs,
                     size_t n, char *err, size_t errlen) {
  p2pm_t *p = ud;
  uint32_t tpt;
  uint16_t port;
  struct sockaddr_storage ss;
  char norm[ADDR_MAX], ip[INET6_ADDRSTRLEN] = "";
  int rc = ma_split(listen, norm, sizeof norm, &ss, &tpt, &port, err, errlen);
  if (rc)
    return rc;
  bool v6 = ss.ss_family == AF_INET6;
  if (ss.ss_family)
    inet_ntop(ss.ss_family,
              v6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                 : (void *)&((struct sockaddr_in *)&ss)->sin_addr,
              ip, sizeof ip);
  if (tpt != NET_MA_TCP || !ss.ss_family) {
    if (tpt == NET_MA_UDP && ss.ss_family)
      snprintf(err, errlen, "listen udp%c %s%s%s:%u: address %s%s%s:%u: "
               "unexpected address type", v6 ? '6' : '4', v6 ? "[" : "", ip,
               v6 ? "]" : "", port, v6 ? "[" : "", ip, v6 ? "]" : "", port);
    else
      snprintf(err, errlen, "cannot listen on %s: not a TCP address",
               norm);
    return TR_EMULTIADDR;
  }
  if (p->nlsns >= P2PM_LISTENERS_MAX) {
    snprintf(err, errlen, "too many listeners (%d)", P2PM_LISTENERS_MAX);
    return TR_ELIMIT;
  }
  lsn_t *l = tr_calloc(1, sizeof *l);
  if (!l || (n && !(l->addrs = tr_calloc(n, sizeof *l->addrs)))) {
    tr_free(l);
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  for (; l->naddrs < n; l->naddrs++)
    if (!(l->addrs[l->naddrs] = tr_strdup(addrs[l->naddrs]))) {
      lsn_free(l);
      snprintf(err, errlen, "out of memory");
      return -ENOMEM;
    }
  l->p = p;
  l->local = true;
  l->peer = *peer;
  peer_ma(peer, l->target, sizeof l->target);
  if (!(l->proto = intern(p, proto))) {
    lsn_free(l);
    snprintf(err, errlen, "too many protocol names");
    return TR_ELIMIT;
  }
  if ((rc = uv_tcp_init(p->loop, &l->tcp))) {
    lsn_free(l);
    snprintf(err, errlen, "%s", uv_strerror(rc));
    return rc;
  }
  l->tcp.data = l;
  char e[128];
  if ((rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss, 0)) == 0)
    rc = uv_listen((uv_stream_t *)&l->tcp, 128, on_accept);
  if (rc) {
    go_errno(-rc, e, sizeof e);
    snprintf(err, errlen, "listen tcp%c %s%s%s:%u: bind: %s", v6 ? '6' : '4',
             v6 ? "[" : "", ip, v6 ? "]" : "", port, e);
    uv_close((uv_handle_t *)&l->tcp, on_lsn_closed);
    return rc;
  }
  int len = sizeof ss;
  if (uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &len) == 0)
    sa_format((struct sockaddr *)&ss, l->listen, sizeof l->listen);
  for (lsn_t *o = p->lsns; o; o = o->next)
    if (o->local && !strcmp(o->listen, l->listen)) {
      snprintf(err, errlen, "listener already registered");
      uv_close((uv_handle_t *)&l->tcp, on_lsn_closed);
      return TR_EEXIST;
    }
  lsn_add(p, l);
  return 0;
}

static void each(p2pm_t *p, bool local,
                 void (*fn)(void *ctx, const rpc_p2p_listener_t *l),
                 void *ctx) {
  for (lsn_t *l = p->lsns; l; l = l->next)
    if (l->local == local)
      fn(ctx, &(rpc_p2p_listener_t){l->proto, l->listen, l->target});
}

static void r_listeners(void *ud,
                        void (*fn)(void *ctx, const rpc_p2p_listener_t *l),
                        void *ctx) {
  each(ud, true, fn, ctx);
  each(ud, false, fn, ctx);
}

static size_t r_close(void *ud,
                      bool (*match)(void *ctx, const rpc_p2p_listener_t *l),
                      void *ctx) {
  p2pm_t *p = ud;
  size_t n = 0;
  for (lsn_t *l = p->lsns, *next; l; l = next) {
    next = l->next;
    if (match(ctx, &(rpc_p2p_listener_t){l->proto, l->listen, l->target})) {
      lsn_close(p, l);
      n++;
    }
  }
  return n;
}

static void r_streams(void *ud,
                      void (*fn)(void *ctx, const rpc_p2p_stream_t *s),
                      void *ctx) {
  p2pm_t *p = ud;
  /* By ID: the list is newest first, and short (streams_max). */
  uint64_t last = 0;
  bool first = true;
  for (;;) {
    bridge_t *best = NULL;
    for (bridge_t *b = p->bridges; b; b = b->next)
      if (b->registered && (first || b->id > last) &&
          (!best || b->id < best->id))
        best = b;
    if (!best)
      return;
    fn(ctx, &(rpc_p2p_stream_t){best->id, best->proto, best->origin,
                                best->target});
    last = best->id;
    first = false;
  }
}

static size_t r_stream_close(void *ud, bool all, uint64_t id) {
  p2pm_t *p = ud;
  size_t n = 0;
  for (bridge_t *b = p->bridges; b; b = b->next)
    if (b->registered && (all || b->id == id)) {
      fail(b); /* frees nothing now: the TCP close is to come */
      n++;
      if (!all)
        break;
    }
  return n;
}

/* ---------------------------------------------------------- lifetime */

int p2pm_new(uv_loop_t *loop, net_host_t *host, uint32_t streams_max,
             p2pm_t **out) {
  p2pm_t *p = tr_calloc(1, sizeof *p);
  if (!p)
    return -ENOMEM;
  p->loop = loop;
  p->host = host;
  p->streams_max = streams_max ? streams_max : P2PM_STREAMS_MAX;
  p->rpc = (rpc_p2p_t){.ud = p,
                       .listen = r_listen,
                       .forward = r_forward,
                       .listeners = r_listeners,
                       .close = r_close,
                       .streams = r_streams,
                       .stream_close = r_stream_close};
  *out = p;
  return 0;
}

const rpc_p2p_t *p2pm_rpc(p2pm_t *p) { return &p->rpc; }

void p2pm_stop(p2pm_t *p) {
  if (!p || p->stopped)
    return;
  p->stopped = true;
  while (p->lsns)
    lsn_close(p, p->lsns);
  for (bridge_t *b = p->bridges; b; b = b->next) {
    if (b->dial)
      net_dial_cancel(b->dial); /* on_dialled comes later */
    fail(b);
  }
}

void p2pm_free(p2pm_t *p) {
  if (!p)
    return;
  if (p->nbridges)
    tr_log(TR_LOG_WARN, "p2p: %zu streams left at exit", p->nbridges);
  while (p->protos) {
    proto_name_t *n = p->protos;
    p->protos = n->next;
    tr_free(n);
  }
  tr_free(p);
}

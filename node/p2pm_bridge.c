/*
 * p2pm_bridge.c — the bridges of the daemon's libp2p stream mounting (see
 * p2pmount.h): a libp2p stream and a TCP connection, bytes both ways with
 * their ends and resets, and neither side holding more than a window.
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
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "p2pm_int.h"

void p2pm__sa_format(const struct sockaddr *sa, char *out, size_t n) {
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

void p2pm__peer_ma(const net_peerid_t *id, char *out, size_t n) {
  char s[NET_PEERID_STR_MAX] = "";
  if (net_peerid_format(id, 0, s, sizeof s) < 0)
    s[0] = 0;
  snprintf(out, n, "/p2p/%s", s);
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
void p2pm__fail(bridge_t *b) {
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
    p2pm__fail(b);
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
    p2pm__fail(b);
    return;
  }
  if (n == UV_EOF) {
    read_stop(b);
    b->tcp_eof = true;
    net_stream_close(b->s); /* may end it (on_close) */
    return;
  }
  if (n < 0) {
    p2pm__fail(b);
    return;
  }
  if (net_stream_write(b->s, b->rbuf, (size_t)n)) {
    p2pm__fail(b);
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
    p2pm__fail(b);
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
    p2pm__fail(b);
  }
}

static void on_written(uv_write_t *w, int status) {
  wreq_t *r = (wreq_t *)w;
  bridge_t *b = r->b;
  b->wq -= r->n;
  tr_free(r);
  if (status) {
    if (status != UV_ECANCELED)
      p2pm__fail(b);
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
      p2pm__fail(b);
    return;
  }
  if (tcp_write(b, p, n)) {
    p2pm__fail(b);
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
    p2pm__fail(b);
    return;
  }
  b->connected = true;
  if (b->pre.len) {
    int rc = tcp_write(b, b->pre.data, b->pre.len);
    tr_bytes_free(&b->pre);
    memset(&b->pre, 0, sizeof b->pre);
    if (rc) {
      p2pm__fail(b);
      return;
    }
  }
  reg(b);
  net_stream_pause(b->s, false);
  if (b->fin_seen)
    shut(b);
  read_start(b);
}

void p2pm__on_stream(net_stream_t *s, void *ud) {
  lsn_t *l = ud;
  p2pm_t *p = l->p;
  bridge_t *b = l->dialable ? bridge_new(p, l->proto) : NULL;
  if (!b) { /* over the bound, or nowhere to go: Kubo resets it */
    net_stream_reset(s);
    return;
  }
  b->peer = *net_stream_peer(s);
  p2pm__peer_ma(&b->peer, b->origin, sizeof b->origin);
  snprintf(b->target, sizeof b->target, "%s", l->target);
  b->s = s;
  net_stream_set(s, &BRIDGE_CBS, b);
  net_stream_pause(s, true); /* until the TCP connection is up */
  if (l->report) {
    char id[NET_PEERID_STR_MAX] = "";
    if (net_peerid_format(&b->peer, 0, id, sizeof id) < 0 ||
        tr_bytes_append(&b->pre, id, strlen(id)) ||
        tr_bytes_append(&b->pre, "\n", 1)) {
      p2pm__fail(b);
      return;
    }
  }
  b->creq.data = b;
  if (uv_tcp_connect(&b->creq, &b->tcp, (struct sockaddr *)&l->ta,
                     on_connected))
    p2pm__fail(b);
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

void p2pm__on_accept(uv_stream_t *srv, int status) {
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
    p2pm__sa_format((struct sockaddr *)&ss, b->origin, sizeof b->origin);
  b->peer = l->peer;
  snprintf(b->target, sizeof b->target, "%s", l->target);
  b->dialing = true;
  if (net_host_dial(p->host, &l->peer, (const char *const *)l->addrs,
                    l->naddrs, on_dialled, b, &b->dial)) {
    b->dialing = false;
    tcp_close(b, true);
  }
}

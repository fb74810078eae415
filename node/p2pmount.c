/*
 * p2pmount.c — the daemon's libp2p stream mounting (see p2pmount.h):
 * listeners (a protocol handler on the host, or a TCP listener), and the
 * bridges between a libp2p stream and a TCP connection.
 *
 * The bridges themselves are p2pm_bridge.c's.
 *
 * Build options: none.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../net/multiaddr.h"
#include "p2pm_int.h"

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
  if (l->closed) {
    void (*fn)(void *) = l->closed;
    l->closed = NULL;
    fn(l->closed_ctx);
  }
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
                    bool report, void **lh, char *err, size_t errlen) {
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
  p2pm__peer_ma(net_host_id(p->host), l->listen, sizeof l->listen);
  if ((rc = net_host_handle(p->host, l->proto, p2pm__on_stream, l))) {
    snprintf(err, errlen, "%s", rc == TR_EEXIST
                                    ? "listener already registered"
                                    : "too many protocol handlers");
    lsn_free(l);
    return rc;
  }
  lsn_add(p, l);
  if (lh)
    *lh = l;
  return 0;
}

static int r_forward(void *ud, const char *proto, const char *listen,
                     const net_peerid_t *peer, const char *const *addrs,
                     size_t n, void **lh, char *err, size_t errlen) {
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
  p2pm__peer_ma(peer, l->target, sizeof l->target);
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
    rc = uv_listen((uv_stream_t *)&l->tcp, 128, p2pm__on_accept);
  if (rc) {
    go_errno(-rc, e, sizeof e);
    snprintf(err, errlen, "listen tcp%c %s%s%s:%u: bind: %s", v6 ? '6' : '4',
             v6 ? "[" : "", ip, v6 ? "]" : "", port, e);
    uv_close((uv_handle_t *)&l->tcp, on_lsn_closed);
    return rc;
  }
  int len = sizeof ss;
  if (uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &len) == 0)
    p2pm__sa_format((struct sockaddr *)&ss, l->listen, sizeof l->listen);
  for (lsn_t *o = p->lsns; o; o = o->next)
    if (o->local && !strcmp(o->listen, l->listen)) {
      snprintf(err, errlen, "listener already registered");
      uv_close((uv_handle_t *)&l->tcp, on_lsn_closed);
      return TR_EEXIST;
    }
  lsn_add(p, l);
  if (lh)
    *lh = l;
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
      p2pm__fail(b); /* frees nothing now: the TCP close is to come */
      n++;
      if (!all)
        break;
    }
  return n;
}

static bool known(p2pm_t *p, const lsn_t *l) {
  for (lsn_t *o = p->lsns; o; o = o->next)
    if (o == l)
      return true;
  return false;
}

static void r_watch(void *ud, void *lh, void (*closed)(void *ctx),
                    void *ctx) {
  lsn_t *l = lh;
  assert(known(ud, l));
  l->closed = closed;
  l->closed_ctx = ctx;
}

static void r_close_quiet(void *ud, void *lh) {
  lsn_t *l = lh;
  if (!known(ud, l))
    return;
  l->closed = NULL;
  lsn_close(ud, l);
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
                       .stream_close = r_stream_close,
                       .watch = r_watch,
                       .close_quiet = r_close_quiet};
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
    p2pm__fail(b);
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

/*
 * server.c — the top of the HTTP server: the listening socket, accepting a
 * connection (or refusing it over a limit), choosing its framing from its
 * first bytes, and starting and stopping the server.
 *
 * It does no I/O on a connection itself: conn.c reads, writes, times and
 * closes connections, and calls the framing through the connection's
 * protocol table (c->proto).  A new connection gets the table below, whose
 * feed looks at the first read: the HTTP/2 connection preface chooses
 * http2.c (prior knowledge), anything else http1.c (which may still switch
 * to HTTP/2 through an h2c upgrade).
 *
 * Several servers may listen on one port, one per loop (http_server_start_ex
 * with reuseport): the kernel spreads connections over their sockets, and
 * each server then runs on its own loop and thread alone; what they share is
 * the per-address table (a http_ipshare_t, under its lock).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "http_int.h"

void http_limits_default(http_limits_t *l) {
  l->max_conns = 20000;
  l->max_conns_per_ip = 2000;
  l->max_header_bytes = 16 << 10;
  l->header_timeout_ms = 10000;
  l->idle_timeout_ms = 120000;
  l->body_timeout_ms = 60000;
  l->rate_per_ip = 2000;
  l->rate_burst = 4000;
  l->max_streams = 100;
}

/* ------------------------------------------------------ framing choice */

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/* The first read: prior-knowledge HTTP/2 starts with the connection
 * preface; anything else is HTTP/1.x. */
static int choose_feed(http_conn_t *c, const uint8_t *p, size_t len) {
  size_t cmp = len < sizeof h2_preface - 1 ? len : sizeof h2_preface - 1;
  if (!memcmp(p, h2_preface, cmp) && len >= sizeof h2_preface - 1) {
    if (http__h2_init(c, NULL, NULL, 0))
      return -1;
  } else {
    http__h1_init(c);
  }
  return c->proto->feed(c, p, len);
}

/* Until the first bytes come there is no request: a timeout closes the
 * connection (the idle timeout), and nothing waits on a drain. */
static const http_proto_t choose_proto = {.version = 0, .feed = choose_feed};

/* ---------------------------------------------------------- accepting */

/* A connection the server cannot take (out of memory) is still accepted,
 * into the server's one spare handle, and closed at once: libuv does not
 * call on_conn again until the pending connection has been accepted, so
 * leaving it would make the listener deaf for good.  While the spare is
 * closing, the next refusal waits for its close callback (accept_pending),
 * which accepts again. */
static void on_conn(uv_stream_t *ls, int status);

static void reject_closed(uv_handle_t *h) {
  http_server_t *s = h->data;
  s->reject_busy = false;
  if (s->accept_pending && !s->stopping) {
    s->accept_pending = false;
    on_conn(&s->listener.stream, 0);
  }
  http__server_unref(s);
}

static void reject(http_server_t *s) {
  if (s->reject_busy || http__sock_init(s, &s->reject, false)) {
    s->accept_pending = true;
    return;
  }
  s->reject_busy = true;
  s->reject.handle.data = s;
  s->pending_closes++;
  (void)uv_accept(&s->listener.stream, &s->reject.stream);
  uv_close(&s->reject.handle, reject_closed);
}

/* The client's address, the key of the per-address limits.  Every client
 * of a Unix socket is one local user's process: they share one key. */
static void peer_name(http_server_t *s, uv_tcp_t *tcp, char addr[48]) {
  struct sockaddr_storage sa;
  int salen = sizeof sa;
  snprintf(addr, 48, s->is_unix ? "unix" : "?");
  if (!s->is_unix &&
      uv_tcp_getpeername(tcp, (struct sockaddr *)&sa, &salen) == 0) {
    if (sa.ss_family == AF_INET)
      uv_ip4_name((struct sockaddr_in *)&sa, addr, 48);
    else
      uv_ip6_name((struct sockaddr_in6 *)&sa, addr, 48);
  }
}

int http_req_local(const http_req_t *req, char *host, size_t cap, int *port) {
  if (!req->conn)
    return -ENOTCONN;
  if (req->conn->srv->is_unix)
    return UV_EAFNOSUPPORT;
  struct sockaddr_storage sa;
  int salen = sizeof sa;
  int rc = uv_tcp_getsockname(&req->conn->sock.tcp, (struct sockaddr *)&sa, &salen);
  if (rc)
    return rc;
  if (sa.ss_family == AF_INET) {
    rc = uv_ip4_name((struct sockaddr_in *)&sa, host, cap);
    *port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
  } else {
    rc = uv_ip6_name((struct sockaddr_in6 *)&sa, host, cap);
    *port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
  }
  return rc;
}

static void on_conn(uv_stream_t *ls, int status) {
  http_server_t *s = ls->data;
  if (status < 0 || s->stopping)
    return;
  http_conn_t *c = http__conn_new(s, &choose_proto);
  if (!c) {
    reject(s);
    return;
  }
  if (uv_accept(ls, &c->sock.stream)) {
    http__conn_close(c);
    return;
  }
  char addr[48];
  peer_name(s, &c->sock.tcp, addr);
  /* c->ip is set only once the address's count includes c: every close
   * decrements exactly what its accept incremented (a refused connection
   * used to be closed with c->ip set but uncounted, and its close wrapped
   * the counter, locking the address out until restart). */
  if (s->nconns > s->lim.max_conns) {
    /* Over a limit: close at once, before spending anything on it. */
    http__conn_close(c);
    return;
  }
  http_ip_t *ip = http__ip_take(s, addr);
  if (!ip) { /* out of memory, or the address holds its share */
    http__conn_close(c);
    return;
  }
  c->ip = ip;
  c->write_ms = uv_now(s->loop);
  if (!s->is_unix)
    uv_tcp_nodelay(&c->sock.tcp, 1);
  http__conn_read_start(c);
  http__conn_timer(c);
}

/* --------------------------------------------------------------- server */

static void server_handle_closed(uv_handle_t *h) { http__server_unref(h->data); }

/* A listening socket with SO_REUSEPORT, for libuv to adopt: libuv 1.44
 * has no flag for it (UV_TCP_REUSEPORT came in 1.49).  Every socket on the
 * port must set it, the first one too, and all belong to one user (the
 * kernel's rule, which also keeps other users off the port). */
static int reuseport_socket(const struct sockaddr *sa, int *fdp) {
  int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  int one = 1;
  socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                            : sizeof(struct sockaddr_in);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) ||
      (sa->sa_family == AF_INET6 &&
       setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one)) ||
      bind(fd, sa, len)) {
    int e = errno;
    close(fd);
    return -e;
  }
  *fdp = fd;
  return 0;
}

int http_server_start(uv_loop_t *loop, const char *host, int port,
                      const http_limits_t *limits, http_handler_fn handler,
                      void *ud, http_server_t **srvp) {
  return http_server_start_ex(loop, host, port, limits, handler, ud, NULL,
                              srvp);
}

/* A server not yet listening, with its idle handle and listener inited
 * (its kind from is_unix); NULL and *rc when that fails. */
static http_server_t *server_new(uv_loop_t *loop, const http_limits_t *limits,
                                 http_handler_fn handler, void *ud,
                                 const http_listen_t *lo, bool is_unix,
                                 int *rc) {
  http_server_t *s = tr_calloc(1, sizeof *s);
  if (!s) {
    *rc = -ENOMEM;
    return NULL;
  }
  s->loop = loop;
  s->is_unix = is_unix;
  if (limits)
    s->lim = *limits;
  else
    http_limits_default(&s->lim);
  s->handler = handler;
  s->ud = ud;
  s->ips = s->own_ips;
  if (lo && lo->share) {
    s->ips = lo->share->ips;
    s->ipstripe = lo->share->stripe;
  }
  if ((*rc = uv_idle_init(loop, &s->idle))) {
    tr_free(s);
    return NULL;
  }
  s->idle.data = s;
  if ((*rc = http__sock_init(s, &s->listener, false))) {
    s->stopping = true;
    s->pending_closes = 1;
    uv_close((uv_handle_t *)&s->idle, server_handle_closed);
    return NULL;
  }
  s->listener.handle.data = s;
  return s;
}

/* Listen on s's bound listener; on failure s is closed and freed. */
static int server_listen(http_server_t *s, int rc, http_server_t **srvp) {
  if (rc == 0)
    rc = uv_listen(&s->listener.stream, 4096, on_conn);
  if (rc) {
    /* libuv needs both handles (they live inside s) until their close
     * callbacks have run, in an order it chooses: s is freed by the last
     * one.  Freeing it in the listener's callback was a use-after-free,
     * as libuv finished the idle handle after it. */
    s->stopping = true;
    s->pending_closes = 2;
    uv_close((uv_handle_t *)&s->idle, server_handle_closed);
    uv_close(&s->listener.handle, server_handle_closed);
    return rc;
  }
  *srvp = s;
  return 0;
}

int http_server_start_ex(uv_loop_t *loop, const char *host, int port,
                         const http_limits_t *limits, http_handler_fn handler,
                         void *ud, const http_listen_t *lo,
                         http_server_t **srvp) {
  struct sockaddr_storage sa;
  int rc = strchr(host, ':') ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&sa)
                             : uv_ip4_addr(host, port, (struct sockaddr_in *)&sa);
  if (rc)
    return rc;
  http_server_t *s = server_new(loop, limits, handler, ud, lo, false, &rc);
  if (!s)
    return rc;
  if (lo && lo->reuseport) {
    int fd = -1;
    rc = reuseport_socket((struct sockaddr *)&sa, &fd);
    if (rc == 0 && (rc = uv_tcp_open(&s->listener.tcp, fd)))
      close(fd);
  } else
    rc = uv_tcp_bind(&s->listener.tcp, (struct sockaddr *)&sa, 0);
  return server_listen(s, rc, srvp);
}

int http_server_start_unix(uv_loop_t *loop, const char *path,
                           const http_limits_t *limits,
                           http_handler_fn handler, void *ud,
                           http_server_t **srvp) {
  struct sockaddr_un un;
  if (strlen(path) >= sizeof un.sun_path)
    return -ENAMETOOLONG;
  int rc;
  http_server_t *s = server_new(loop, limits, handler, ud, NULL, true, &rc);
  if (!s)
    return rc;
  rc = uv_pipe_bind(&s->listener.pipe, path);
  /* Between bind and chmod the file has the umask's mode: the caller's
   * directory is what keeps others out then (http.h). */
  if (rc == 0 && chmod(path, 0600))
    rc = -errno;
  return server_listen(s, rc, srvp);
}

int http_server_port(const http_server_t *s) {
  struct sockaddr_storage sa;
  int len = sizeof sa;
  if (s->is_unix ||
      uv_tcp_getsockname(&s->listener.tcp, (struct sockaddr *)&sa, &len))
    return -1;
  return sa.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&sa)->sin_port)
                                 : ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
}

uint32_t http_server_conns(const http_server_t *s) { return s->nconns; }

void http_server_on_done(http_server_t *s, http_done_fn fn, void *ud) {
  s->done = fn;
  s->done_ud = ud;
}

void http_server_stop(http_server_t *s, void (*cb)(void *ud), void *ud) {
  s->stopping = true;
  s->stop_cb = cb;
  s->stop_ud = ud;
  s->pending_closes += 2; /* the listener and the idle handle */
  while (s->drain_head)
    http__drain_cancel(s->drain_head);
  uv_close((uv_handle_t *)&s->idle, server_handle_closed);
  while (s->conns)
    http__conn_close(s->conns);
  /* A shared table is the share's to free (other loops use it); each
   * connection closed above has given its count back. */
  for (int i = 0; !s->ipstripe && i < HTTP_IP_BUCKETS; i++)
    while (s->ips[i]) {
      http_ip_t *n = s->ips[i]->next;
      tr_free(s->ips[i]);
      s->ips[i] = n;
    }
  uv_close(&s->listener.handle, server_handle_closed);
}

/*
 * host.c — the libuv side of the host (see host.h): listeners, dials,
 * reads into one shared buffer, sealed writes, the sweep timer that
 * enforces deadlines, and the public calls that look connections up.
 * What the bytes mean (the upgrade, yamux, streams) is conn.c's job.
 *
 * Reads use the host's 64 KiB buffer for every connection, since each read
 * is handled before the next: only the bytes short of a whole Noise frame
 * are copied into the connection (conn->in), so an idle connection holds
 * no buffer.  Writes copy the sealed frames into one allocation per flush;
 * the socket's queue is capped (sock_buf_max) and conn.c stops pulling
 * from yamux above it, which pushes back on the writers through their
 * windows.  A queue that does not shrink for write_ms means a peer that
 * stopped reading: the sweep cuts it.
 *
 * Admission: inbound connections are counted per remote IP (conns_per_ip)
 * and handshakes in progress are capped (pending_max) with the oldest one
 * evicted for a newcomer; dials are capped (dials_max) and refused during
 * their backoff (connmgr.h).  The sweep also runs the connection manager.
 *
 * A WebSocket (ws.h) sits here too, under the protector: a /ws connection
 * first runs its HTTP upgrade (ws_head_input), then each write is framed
 * in place in its buffer's headroom (NET_WS_HDR_MAX bytes before the
 * payload, so no copy), and each read is unframed in place before the
 * protector decrypts it.
 *
 * A private network's protector (pnet.h) sits here, at the socket, under
 * everything conn.c does: the nonce is the first write of a connection,
 * each write buffer is encrypted in place just before it is queued (so the
 * keystream follows the order of the bytes on the wire), and each read is
 * decrypted in place in the shared buffer before conn.c sees it.  No copy
 * and no allocation is added.
 */
#include "host_int.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define SWEEP_MS 250

/* What a peer outside a private network sends first, in the clear. */
static const uint8_t MSS_HEADER[] = "\x13" NET_MSS_PROTOCOL "\n";

void net_host_limits_default(net_host_limits_t *l) {
  l->conns_max = NET_HOST_CONNS_MAX;
  l->conns_per_peer = NET_HOST_CONNS_PER_PEER;
  l->conns_per_ip = NET_HOST_CONNS_PER_IP;
  l->pending_max = NET_HOST_PENDING_MAX;
  l->dials_max = NET_HOST_DIALS_MAX;
  l->streams_max = NET_HOST_STREAMS_MAX;
  l->stream_buf_max = NET_HOST_STREAM_BUF_MAX;
  l->stream_window = NET_HOST_STREAM_WINDOW;
  l->conn_buf_max = NET_HOST_CONN_BUF_MAX;
  l->sock_buf_max = NET_HOST_SOCK_BUF_MAX;
  l->dial_ms = NET_HOST_DIAL_MS;
  l->handshake_ms = NET_HOST_HANDSHAKE_MS;
  l->negotiate_ms = NET_HOST_NEGOTIATE_MS;
  l->write_ms = NET_HOST_WRITE_MS;
  l->keepalive_ms = NET_HOST_KEEPALIVE_MS;
  l->recv_rate = NET_HOST_RECV_RATE;
}

static void tcp_close(net_conn_t *c, int status);
static size_t tcp_queued(net_conn_t *c);
static void rx_init(net_host_t *h);

/* Cut the connections whose socket queue has not shrunk for write_ms. */
static void sweep_writes(net_host_t *h, uint64_t now) {
  for (net_conn_t *c = h->conns, *next; c; c = next) {
    next = c->next;
    size_t q = tcp_queued(c);
    if (q == 0 || q < c->wq_last)
      c->wprogress = now;
    c->wq_last = q;
    if (q && h->lim.write_ms && now - c->wprogress >= h->lim.write_ms)
      tcp_close(c, -ETIMEDOUT);
  }
}

/* The connection manager: past HighWater, close what net_cm_trim picks. */
static void sweep_trim(net_host_t *h, uint64_t now) {
  uint32_t n = 0;
  for (net_conn_t *c = h->conns; c; c = c->next)
    n += c->phase == NET_PH_OPEN;
  if (!h->cm.cfg.enabled || n <= h->cm.cfg.high)
    return;
  net_cm_conn_t *cc = tr_malloc(n * sizeof *cc);
  net_conn_t **conns = tr_malloc(n * sizeof *conns);
  size_t *out = tr_malloc(n * sizeof *out);
  if (cc && conns && out) {
    size_t k = 0;
    for (net_conn_t *c = h->conns; c; c = c->next)
      if (c->phase == NET_PH_OPEN) {
        cc[k] = (net_cm_conn_t){.peer = &c->peer, .opened = c->opened,
                                .used = c->used, .inbound = !c->outbound,
                                .streams = net_yamux_nstreams(&c->mux)};
        conns[k++] = c;
      }
    size_t m = net_cm_trim(&h->cm, cc, k, now, out);
    if (m)
      tr_log(TR_LOG_DEBUG, "connmgr: %zu connections, closing %zu", k, m);
    for (size_t i = 0; i < m; i++)
      tcp_close(conns[out[i]], -ECONNABORTED);
  }
  tr_free(cc);
  tr_free(conns);
  tr_free(out);
}

static void on_sweep(uv_timer_t *t) {
  net_host_t *h = t->data;
  uint64_t now = uv_now(h->loop);
  net__sweep(h, now);
  sweep_writes(h, now);
  sweep_trim(h, now);
  net__identify_sweep(h, now);
  net__bw_tick(h, now);
}

int net_host_new(uv_loop_t *loop, const net_host_opts_t *o,
                 net_host_t **out) {
  if (!o || !o->key)
    return TR_EUSAGE;
  net_host_t *h = tr_calloc(1, sizeof *h);
  if (!h)
    return -ENOMEM;
  h->loop = loop;
  h->key = *o->key;
  net_pubkey_t pk;
  net_privkey_pubkey(&h->key, &pk);
  int rc = net_peerid_from_pubkey(&h->id, &pk);
  snprintf(h->agent, sizeof h->agent, "%s", o->agent ? o->agent : "trove");
  h->no_ws = o->no_ws;
  h->policy = o->policy;
  if (o->psk) {
    h->has_psk = true;
    memcpy(h->psk, o->psk, sizeof h->psk);
  }
  if (o->limits)
    h->lim = *o->limits;
  else
    net_host_limits_default(&h->lim);
  if (net_cm_init(&h->cm, o->connmgr)) {
    tr_free(h);
    return TR_EUSAGE;
  }
  net_ps_init(&h->ps, 0);
  net_obs_init(&h->obs);
  if (!rc)
    rc = net__identify_init(h);
  if (!rc)
    rc = net__ping_init(h);
  if (!rc)
    rc = uv_timer_init(loop, &h->sweep);
  if (!rc)
    rc = uv_timer_init(loop, &h->rx_timer);
  if (rc) {
    net_ps_free(&h->ps);
    net_cm_free(&h->cm);
    net_obs_free(&h->obs);
    tr_free(h);
    return rc;
  }
  h->sweep.data = h;
  h->rx_timer.data = h;
  h->open_handles = 2;
  uv_timer_start(&h->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
  uv_unref((uv_handle_t *)&h->sweep);
  uv_unref((uv_handle_t *)&h->rx_timer);
  rx_init(h);
  *out = h;
  return 0;
}

const net_peerid_t *net_host_id(const net_host_t *h) { return &h->id; }
void net_host_stats(const net_host_t *h, net_host_stats_t *out) {
  *out = h->stats;
}
const char *net_host_agent(const net_host_t *h) { return h->agent; }
struct net_peerstore *net_host_peerstore(net_host_t *h) { return &h->ps; }

/* ----------------------------------------------------------- sockets */

/* One handle of h fewer; the last one, once h is closing, frees h. */
static void handle_gone(net_host_t *h) {
  if (--h->open_handles || !h->closing)
    return;
  void (*done)(void *) = h->done;
  void *ud = h->done_ud;
  net_ps_free(&h->ps);
  net_cm_free(&h->cm);
  net_obs_free(&h->obs);
  sodium_memzero(&h->key, sizeof h->key);
  sodium_memzero(h->psk, sizeof h->psk);
  tr_free(h);
  if (done)
    done(ud);
}

static void on_closed(uv_handle_t *hd) {
  net_host_t *h = ((net_conn_t *)hd->data)->h;
  tr_free(hd->data);
  handle_gone(h);
}

static void on_listener_closed(uv_handle_t *hd) {
  net_host_t *h = ((net_listener_t *)hd->data)->h;
  tr_free(hd->data);
  handle_gone(h);
}

static void on_sweep_closed(uv_handle_t *hd) { handle_gone(hd->data); }

/* A connection that had its TCP up but never finished the upgrade. */
static void handshake_failed(net_conn_t *c, int status) {
  net_host_t *h = c->h;
  h->stats.handshakes_failed++;
  char addr[NET_MA_STR_MAX / 16] = "?";
  if (c->malen && net_ma_format(c->ma, c->malen, addr, sizeof addr) < 0)
    snprintf(addr, sizeof addr, "?");
  tr_log(TR_LOG_DEBUG, "swarm: %s handshake with %s failed%s: %s",
         c->outbound ? "outbound" : "inbound", addr,
         h->has_psk ? " (private network)" : "", tr_strerror(status));
}

static void tcp_close(net_conn_t *c, int status) {
  if (c->closing)
    return;
  c->closing = true;
  net_host_t *h = c->h;
  if (c->phase >= NET_PH_SEC && c->phase < NET_PH_OPEN && !h->closing)
    handshake_failed(c, status);
  /* Out of the host's list before teardown calls back: a callback that
   * closes the whole host must not find c there again (closing c twice
   * is a no-op, and net_host_close's loop would spin on it). */
  net_obs_forget(&h->obs, (uintptr_t)c);
  if (c->prev)
    c->prev->next = c->next;
  else
    h->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  h->nconns--;
  if (c->phase < NET_PH_OPEN && c->outbound) {
    h->ndials--;
    /* A failed dial goes into backoff; one we gave up ourselves does not. */
    if (!h->closing && status != -ECANCELED)
      net_backoff_fail(&h->cm, &c->expect, c->ma, c->malen, uv_now(h->loop));
  } else if (c->phase < NET_PH_OPEN) {
    h->npending--;
  }
  net__conn_teardown(c, status);
  if (c->pnet_on)
    net_pnet_wipe(&c->pn);
  c->pnet_on = false;
  c->ws_hs = c->ws_on = false;
  tr_bytes_free(&c->ws_head);
  c->phase = NET_PH_CLOSED;
  tr_bytes_free(&c->in);
  tr_bytes_free(&c->plain);
  uv_close((uv_handle_t *)&c->tcp, on_closed);
}

/* ------------------------------------------------------ receive rate */

static void on_alloc(uv_handle_t *hd, size_t sz, uv_buf_t *buf);
static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf);

static void rx_init(net_host_t *h) {
  uint64_t rate = h->lim.recv_rate;
  if (!rate)
    return;
  if (rate < NET_HOST_RECV_RATE_MIN)
    rate = NET_HOST_RECV_RATE_MIN;
  uint64_t chunk = rate / 64;
  chunk = chunk < NET_HOST_RECV_CHUNK_MIN   ? NET_HOST_RECV_CHUNK_MIN
          : chunk > NET_HOST_RECV_CHUNK_MAX ? NET_HOST_RECV_CHUNK_MAX
                                            : chunk;
  uint64_t burst = rate * NET_HOST_RECV_BURST_MS / 1000;
  if (burst < 4 * chunk)
    burst = 4 * chunk;
  h->rx_chunk = (uint32_t)chunk;
  tr_bucket_init(&h->rx, rate, burst, uv_now(h->loop));
}

/* Read c's socket or not, as its own back-pressure (c->paused, conn.c's)
 * and the host's rate limit (h->rx_throttled) say.  0 or libuv's error
 * from uv_read_start. */
static int tcp_sync(net_conn_t *c) {
  if (c->closing || !c->rd_started)
    return 0;
  bool want = !c->paused && !c->h->rx_throttled;
  if (want == c->reading)
    return 0;
  c->reading = want;
  if (!want)
    return uv_read_stop((uv_stream_t *)&c->tcp);
  int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  if (rc)
    c->reading = false;
  return rc;
}

/* Throttle or release every connection.  A release (from the timer, never
 * inside a connection's callbacks) that fails to read again closes that
 * connection, which would never be read otherwise. */
static void rx_set(net_host_t *h, bool throttled) {
  h->rx_throttled = throttled;
  for (net_conn_t *c = h->conns, *next; c; c = next) {
    next = c->next;
    int rc = tcp_sync(c);
    if (rc && !throttled)
      tcp_close(c, rc);
  }
}

static void on_rx_timer(uv_timer_t *t) {
  net_host_t *h = t->data;
  uint64_t now = uv_now(h->loop);
  uint64_t wait = tr_bucket_wait_ms(&h->rx, h->rx_chunk, now);
  if (wait) {
    uv_timer_start(&h->rx_timer, on_rx_timer, wait, 0);
    return;
  }
  rx_set(h, false);
}

/* After a read of n bytes: charge them, and stop everyone's reading until
 * a chunk's worth is back. */
static void rx_charge(net_host_t *h, size_t n) {
  if (!h->lim.recv_rate)
    return;
  uint64_t now = uv_now(h->loop);
  h->stats.recv_metered += n;
  tr_bucket_take(&h->rx, n, now);
  uint64_t wait = tr_bucket_wait_ms(&h->rx, h->rx_chunk, now);
  if (!wait || h->rx_throttled || h->closing)
    return;
  h->stats.recv_throttled++;
  rx_set(h, true);
  uv_timer_start(&h->rx_timer, on_rx_timer, wait, 0);
}

uint64_t net_host_recv_charge(net_host_t *h, size_t n) {
  if (!h || !h->lim.recv_rate)
    return 0;
  rx_charge(h, n);
  return tr_bucket_wait_ms(&h->rx, h->rx_chunk, uv_now(h->loop));
}

/* ----------------------------------------------------------- reading */

/* Without a limit, the whole shared buffer.  With one, what the bucket
 * holds, within [NET_HOST_RECV_CHUNK_MIN, the buffer] (a connection that
 * started reading while the bucket was low still reads a little; its
 * debt is paid before anyone reads again). */
static void on_alloc(uv_handle_t *hd, size_t sz, uv_buf_t *buf) {
  (void)sz;
  net_conn_t *c = hd->data;
  net_host_t *h = c->h;
  size_t len = sizeof h->rbuf;
  if (h->lim.recv_rate) {
    uint64_t avail = tr_bucket_avail(&h->rx, uv_now(h->loop));
    if (avail < NET_HOST_RECV_CHUNK_MIN)
      avail = NET_HOST_RECV_CHUNK_MIN;
    if (avail < len)
      len = (size_t)avail;
  }
  *buf = uv_buf_init((char *)h->rbuf, (unsigned)len);
}

static void deliver(net_conn_t *c, uint8_t *p, size_t len);
static void ws_head_input(net_conn_t *c, const uint8_t *p, size_t n);
static int ws_pong(net_conn_t *c);

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  net_conn_t *c = st->data;
  if (n < 0) {
    tcp_close(c, n == UV_EOF ? -ECONNRESET : (int)n);
    return;
  }
  if (n == 0)
    return;
  c->rx_at = uv_now(c->h->loop);
  rx_charge(c->h, (size_t)n);
  if (c->ws_hs)
    ws_head_input(c, (const uint8_t *)buf->base, (size_t)n);
  else
    deliver(c, (uint8_t *)buf->base, (size_t)n);
}

/* Bytes from the socket, in writable memory (the host's read buffer, or
 * what followed a WebSocket head): unframed and decrypted in place, then
 * handed to conn.c. */
static void deliver(net_conn_t *c, uint8_t *p, size_t len) {
  if (c->ws_on) {
    if (net_ws_recv(&c->wsr, p, len, &len)) {
      tcp_close(c, TR_EPROTO);
      return;
    }
    if (c->wsr.pong_due && ws_pong(c))
      return;
  }
  if (c->pnet_on) {
    size_t k = net_pnet_recv(&c->pn, p, len); /* the peer's nonce first */
    if (k &&
        net_pnet_nonce_starts(&c->pn, MSS_HEADER, sizeof MSS_HEADER - 1)) {
      tcp_close(c, TR_EPROTO); /* a peer outside the private network */
      return;
    }
    p += k;
    len -= k;
  }
  if (len)
    net__conn_input(c, p, len);
  if (c->ws_on && c->wsr.closed && !c->closing)
    tcp_close(c, -ECONNRESET); /* the peer's close frame: as an EOF */
}

static void tcp_pause(net_conn_t *c, bool pause) {
  if (c->closing || pause == c->paused)
    return;
  c->paused = pause;
  (void)tcp_sync(c); /* as before: a socket being closed refuses, no harm */
}

/* A write: its bytes start NET_WS_HDR_MAX into data, so that a
 * WebSocket frame header can go in front of them without a copy. */
typedef struct wreq {
  uv_write_t req;
  net_conn_t *c;
  uint8_t data[];
} wreq_t;

#define PAYLOAD(w) ((w)->data + NET_WS_HDR_MAX)

static wreq_t *wreq_new(size_t n) {
  return tr_malloc(sizeof(wreq_t) + NET_WS_HDR_MAX + n);
}

static void on_written(uv_write_t *req, int status) {
  wreq_t *w = (wreq_t *)req;
  net_conn_t *c = w->c;
  tr_free(w);
  if (c->closing)
    return;
  c->wprogress = uv_now(c->h->loop);
  if (status < 0)
    tcp_close(c, status);
  else
    net__conn_pump(c);
}

static size_t tcp_queued(net_conn_t *c) {
  return uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
}

/* Send w (n bytes; w is taken): straight to the socket as far as the
 * kernel takes it when nothing waits before it, the rest queued with
 * uv_write.  A uv_write that the kernel takes whole at once still costs an
 * epoll_ctl (libuv re-arms the socket's watcher when its queue drains):
 * one a frame, 34 a CID of a DHT provide (strace), as many syscalls as the
 * writes themselves; http/conn.c writes the same way.  What goes out here
 * needs no on_written: nothing waits behind it.  Under a private network
 * the bytes are encrypted here, in send order; a failure closes the
 * connection (the callers pass it up), so a keystream that ran ahead is
 * never used again. */
static int send_out(net_conn_t *c, wreq_t *w, uint8_t *start, size_t n);

/* Send PAYLOAD(w)[0..n): encrypted for a private network, then framed
 * for a WebSocket (a client's frame masked, RFC 6455 5.3). */
static int send_buf(net_conn_t *c, wreq_t *w, size_t n) {
  uint8_t *start = PAYLOAD(w);
  if (c->pnet_on)
    net_pnet_send(&c->pn, start, n);
  if (c->ws_on) {
    uint8_t hdr[NET_WS_HDR_MAX], mask[4];
    if (c->outbound)
      randombytes_buf(mask, sizeof mask);
    size_t h = net_ws_header(hdr, NET_WS_BIN, n, c->outbound ? mask : NULL);
    if (c->outbound)
      net_ws_mask(start, n, mask);
    start -= h;
    memcpy(start, hdr, h);
    n += h;
  }
  return send_out(c, w, start, n);
}

/* Write start[0..n), bytes of w. */
static int send_out(net_conn_t *c, wreq_t *w, uint8_t *start, size_t n) {
  w->c = c;
  size_t off = 0;
  uv_buf_t b = uv_buf_init((char *)start, (unsigned)n);
  int k = uv_try_write((uv_stream_t *)&c->tcp, &b, 1); /* EAGAIN: queued */
  if (k > 0) {
    off = (size_t)k;
    c->wprogress = uv_now(c->h->loop);
  }
  if (off == n) {
    tr_free(w);
    return 0;
  }
  b = uv_buf_init((char *)start + off, (unsigned)(n - off));
  int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
  if (rc)
    tr_free(w);
  return rc;
}

static int tcp_send_raw(net_conn_t *c, const uint8_t *p, size_t n) {
  if (n == 0 || c->closing)
    return 0;
  wreq_t *w = wreq_new(n);
  if (!w)
    return -ENOMEM;
  memcpy(PAYLOAD(w), p, n);
  return send_buf(c, w, n);
}

static int tcp_send_sealed(net_conn_t *c, const uint8_t *p, size_t n) {
  if (n == 0 || c->closing)
    return 0;
  size_t frames = (n + NET_NOISE_PLAIN_MAX - 1) / NET_NOISE_PLAIN_MAX;
  size_t total = n + frames * (2 + NET_NOISE_TAG), off = 0, o = 0;
  wreq_t *w = wreq_new(total);
  if (!w)
    return -ENOMEM;
  uint8_t *d = PAYLOAD(w);
  while (off < n) {
    size_t k = n - off < NET_NOISE_PLAIN_MAX ? n - off : NET_NOISE_PLAIN_MAX;
    int rc = net_noise_cs_seal(&c->tx, NULL, 0, p + off, k, d + o + 2);
    if (rc) {
      tr_free(w);
      return rc;
    }
    size_t ct = k + NET_NOISE_TAG;
    d[o] = (uint8_t)(ct >> 8), d[o + 1] = (uint8_t)ct;
    o += ct + 2;
    off += k;
  }
  return send_buf(c, w, total);
}

static uint64_t tcp_now(net_conn_t *c) { return uv_now(c->h->loop); }

/* What conn.c may do with a TCP connection's socket. */
static const net_transport_t TCP = {
    .send_raw = tcp_send_raw, .send_sealed = tcp_send_sealed,
    .pause = tcp_pause,       .queued = tcp_queued,
    .close = tcp_close,       .now = tcp_now,
};

/* A new connection object for h, counted; NULL past the limits
 * (inbound handshakes are capped by on_accept, which evicts). */
static net_conn_t *conn_new(net_host_t *h, bool outbound) {
  if (h->closing || h->nconns >= h->lim.conns_max ||
      (outbound && h->ndials >= h->lim.dials_max))
    return NULL;
  net_conn_t *c = tr_calloc(1, sizeof *c);
  if (!c)
    return NULL;
  if (uv_tcp_init(h->loop, &c->tcp)) {
    tr_free(c);
    return NULL;
  }
  c->h = h;
  c->tp = &TCP;
  c->tcp.data = c;
  c->outbound = outbound;
  c->next = h->conns;
  if (h->conns)
    h->conns->prev = c;
  h->conns = c;
  h->nconns++;
  if (outbound)
    h->ndials++;
  else
    h->npending++;
  h->open_handles++;
  uint64_t now = uv_now(h->loop);
  c->started = c->rx_at = c->wprogress = now;
  c->deadline = now + (outbound ? h->lim.dial_ms : h->lim.handshake_ms);
  return c;
}

/* The key conns_per_ip counts by: an IPv4 address, an IPv6 /56 (as
 * go-libp2p's resource manager).  The machine itself (127.0.0.1, ::1) is
 * exempt, as loopback is in go-libp2p, so that local clusters and tests
 * work; go-libp2p exempts all of 127.0.0.0/8, trove only the address
 * programs use, so that tests can play distinct hosts on 127.0.0.x. */
static void ip_key(net_conn_t *c, const struct sockaddr *sa) {
  static const uint8_t LO6[16] = {[15] = 1};
  c->iplen = 0;
  if (sa->sa_family == AF_INET) {
    const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
    if (a[0] == 127 && a[1] == 0 && a[2] == 0 && a[3] == 1)
      return;
    memcpy(c->ip, a, 4);
    c->iplen = 4;
  } else if (sa->sa_family == AF_INET6) {
    const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (!memcmp(a, LO6, 16))
      return;
    memcpy(c->ip, a, 7);
    c->iplen = 7;
  }
}

static void set_remote(net_conn_t *c) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
    c->malen = (uint8_t)net__sa_to_ma((struct sockaddr *)&ss, c->ws, c->ma);
    if (!c->outbound)
      ip_key(c, (struct sockaddr *)&ss);
  }
  len = sizeof ss;
  if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
    c->lmalen = (uint8_t)net__sa_to_ma((struct sockaddr *)&ss, c->ws, c->lma);
}

/* Whether c's IP already has conns_per_ip other inbound connections. */
static bool ip_full(net_host_t *h, net_conn_t *c) {
  if (!c->iplen)
    return false;
  uint32_t same = 0;
  for (net_conn_t *o = h->conns; o; o = o->next)
    if (o != c && !o->closing && o->iplen == c->iplen &&
        !memcmp(o->ip, c->ip, c->iplen))
      same++;
  return same >= h->lim.conns_per_ip;
}

/* pending_max inbound handshakes and one more (c): the oldest other one
 * goes.  Closing the newcomer instead would let whoever holds the table
 * with silent connections lock every peer out for a handshake timeout. */
static void evict_pending(net_host_t *h, net_conn_t *c) {
  if (h->npending <= h->lim.pending_max)
    return;
  net_conn_t *old = NULL;
  for (net_conn_t *o = h->conns; o; o = o->next)
    if (o != c && !o->outbound && o->phase < NET_PH_OPEN && !o->closing &&
        (!old || o->started < old->started))
      old = o;
  if (old) {
    tr_log(TR_LOG_DEBUG, "swarm: handshakes full, dropping the oldest");
    tcp_close(old, TR_ELIMIT);
  }
}

/* A private network: our nonce goes first, as it is; every byte after it
 * either way goes through the protector. */
static int pnet_start(net_conn_t *c) {
  uint8_t nonce[NET_PNET_NONCE_LEN];
  randombytes_buf(nonce, sizeof nonce);
  int rc = tcp_send_raw(c, nonce, sizeof nonce); /* pnet_on is still off */
  if (rc)
    return rc;
  net_pnet_init(&c->pn, c->h->psk, nonce);
  c->pnet_on = true;
  return 0;
}

/* The libp2p upgrade begins: the private network's nonce, then
 * multistream-select. */
static int upgrade_start(net_conn_t *c) {
  int rc = c->h->has_psk ? pnet_start(c) : 0;
  return rc ? rc : net__conn_start(c);
}

/* ------------------------------------------------------- WebSocket */

/* Answer the ping that came (ws.h): a control frame, outside the
 * private network's stream. */
static int ws_pong(net_conn_t *c) {
  wreq_t *w = wreq_new(NET_WS_CTRL_MAX);
  if (!w) {
    tcp_close(c, -ENOMEM);
    return -ENOMEM;
  }
  uint8_t mask[4];
  if (c->outbound)
    randombytes_buf(mask, sizeof mask);
  size_t n = net_ws_pong(&c->wsr, w->data, c->outbound ? mask : NULL);
  int rc = send_out(c, w, w->data, n);
  if (rc)
    tcp_close(c, rc);
  return rc;
}

/* A client's request goes first, with a fresh key. */
static int ws_request(net_conn_t *c) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  char ip[INET6_ADDRSTRLEN] = "", host[INET6_ADDRSTRLEN + 16], req[512];
  int rc = uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len);
  if (rc)
    return rc;
  if (ss.ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const void *)&ss;
    uv_ip6_name(s6, ip, sizeof ip);
    snprintf(host, sizeof host, "[%s]:%u", ip, ntohs(s6->sin6_port));
  } else {
    const struct sockaddr_in *s4 = (const void *)&ss;
    uv_ip4_name(s4, ip, sizeof ip);
    snprintf(host, sizeof host, "%s:%u", ip, ntohs(s4->sin_port));
  }
  randombytes_buf(c->ws_key, sizeof c->ws_key);
  int n = net_ws_request(req, sizeof req, host, c->ws_key);
  return n < 0 ? n : tcp_send_raw(c, (const uint8_t *)req, (size_t)n);
}

/* Bytes of the HTTP upgrade (either side's head): once it is whole and
 * right, the upgrade begins, and what followed the head is the first of
 * the frames. */
static void ws_head_input(net_conn_t *c, const uint8_t *p, size_t n) {
  if (tr_bytes_append(&c->ws_head, p, n)) {
    tcp_close(c, -ENOMEM);
    return;
  }
  char resp[256];
  size_t rlen = 0;
  int k = c->outbound
              ? net_ws_client_head(c->ws_head.data, c->ws_head.len, c->ws_key)
              : net_ws_server_head(c->ws_head.data, c->ws_head.len, resp,
                                   sizeof resp, &rlen);
  if (k == 0)
    return;
  int rc = k < 0 ? TR_EPROTO : 0;
  if (!rc && rlen)
    rc = tcp_send_raw(c, (const uint8_t *)resp, rlen); /* before ws_on */
  if (!rc) {
    c->ws_hs = false;
    c->ws_on = true;
    rc = upgrade_start(c);
  }
  if (rc) {
    tcp_close(c, rc);
    return;
  }
  tr_bytes_t head = c->ws_head;
  c->ws_head = (tr_bytes_t){0};
  if (head.len > (size_t)k)
    deliver(c, head.data + k, head.len - (size_t)k);
  tr_bytes_free(&head);
}

static void start_conn(net_conn_t *c) {
  uv_tcp_nodelay(&c->tcp, 1);
  set_remote(c);
  c->deadline = uv_now(c->h->loop) + c->h->lim.handshake_ms;
  c->rd_started = true;
  int rc = tcp_sync(c);
  if (!rc && c->ws) {
    /* The HTTP upgrade first; the libp2p one when it is done. */
    c->ws_hs = true;
    net_ws_init(&c->wsr, c->outbound);
    if (c->outbound)
      rc = ws_request(c);
  } else if (!rc) {
    rc = upgrade_start(c);
  }
  if (rc)
    tcp_close(c, rc);
}

static void on_accept(uv_stream_t *srv, int status) {
  net_listener_t *l = srv->data;
  if (status < 0)
    return;
  net_conn_t *c = conn_new(l->h, false);
  if (!c) {
    /* Over a limit: take the socket and close it, so the backlog does not
     * keep the peer waiting. */
    uv_tcp_t *t = tr_malloc(sizeof *t);
    if (t && uv_tcp_init(srv->loop, t) == 0) {
      if (uv_accept(srv, (uv_stream_t *)t) == 0)
        uv_close((uv_handle_t *)t, (uv_close_cb)tr_free);
      else
        uv_close((uv_handle_t *)t, (uv_close_cb)tr_free);
    } else {
      tr_free(t);
    }
    return;
  }
  if (uv_accept(srv, (uv_stream_t *)&c->tcp)) {
    tcp_close(c, -EIO);
    return;
  }
  c->ws = l->ws;
  set_remote(c);
  if (ip_full(l->h, c)) {
    tcp_close(c, TR_ELIMIT);
    return;
  }
  if (l->h->policy && net_ap_blocked(l->h->policy, c->ma, c->malen)) {
    tcp_close(c, TR_EFILTERED); /* Swarm.AddrFilters, as go-libp2p's gater */
    return;
  }
  evict_pending(l->h, c);
  start_conn(c);
}

int net_host_listen(net_host_t *h, const char *maddr) {
  struct sockaddr_storage ss;
  net_peerid_t none;
  bool ws;
  int rc = net__ma_to_sa(maddr, &ss, &ws, &none);
  if (rc)
    return rc;
  if (ws && h->no_ws)
    return TR_ENOTRANSPORT;
  if (h->nls == NET_HOST_LISTENERS_MAX)
    return TR_ELIMIT;
  net_listener_t *l = tr_calloc(1, sizeof *l);
  if (!l)
    return -ENOMEM;
  l->h = h;
  l->tcp.data = l;
  if ((rc = uv_tcp_init(h->loop, &l->tcp))) {
    tr_free(l);
    return rc;
  }
  h->open_handles++;
  unsigned flags = ss.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0;
  rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss, flags);
  if (!rc)
    rc = uv_listen((uv_stream_t *)&l->tcp, 128, on_accept);
  int len = sizeof ss;
  if (!rc)
    rc = uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &len);
  if (rc) {
    uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
    return rc;
  }
  l->ws = ws;
  l->malen = (uint8_t)net__sa_to_ma((struct sockaddr *)&ss, ws, l->ma);
  h->ls[h->nls++] = l;
  return 0;
}

static void on_connected(uv_connect_t *req, int status) {
  net_conn_t *c = req->data;
  if (c->closing)
    return;
  if (status < 0) {
    tcp_close(c, status);
    return;
  }
  start_conn(c);
}

int net_host_connect(net_host_t *h, const char *maddr, net_connect_cb cb,
                     void *ud) {
  struct sockaddr_storage ss;
  net_peerid_t peer;
  bool ws;
  int rc = net__ma_to_sa(maddr, &ss, &ws, &peer);
  if (rc)
    return rc;
  if (ws && h->no_ws)
    return TR_ENOTRANSPORT;
  if (peer.len && net_host_connected(h, &peer)) {
    cb(h, 0, &peer, ud);
    return 0;
  }
  uint8_t ma[NET_CONN_MA_MAX];
  size_t malen = net__sa_to_ma((struct sockaddr *)&ss, ws, ma);
  if (h->policy && net_ap_blocked(h->policy, ma, malen))
    return TR_EFILTERED;
  if (net_backoff_left(&h->cm, &peer, ma, malen, uv_now(h->loop)))
    return TR_EBACKOFF;
  net_conn_t *c = conn_new(h, true);
  if (!c)
    return h->nconns >= h->lim.conns_max || h->ndials >= h->lim.dials_max
               ? TR_ELIMIT : -ENOMEM;
  c->phase = NET_PH_DIAL;
  c->ws = ws;
  memcpy(c->ma, ma, malen);
  c->malen = (uint8_t)malen;
  c->ccb = cb;
  c->cud = ud;
  if (peer.len) {
    c->expect = peer;
    c->has_expect = true;
  }
  c->creq.data = c;
  rc = uv_tcp_connect(&c->creq, &c->tcp, (struct sockaddr *)&ss, on_connected);
  if (rc) {
    c->ccb = NULL; /* failed synchronously: no callback */
    tcp_close(c, rc);
  }
  return rc;
}

/* ------------------------------------------------------------- queries */

int net_host_protect(net_host_t *h, const net_peerid_t *peer,
                     const char *tag, bool on) {
  return net_cm_protect(&h->cm, peer, tag, on);
}

bool net_host_protected(net_host_t *h, const net_peerid_t *peer) {
  return net_cm_protected(&h->cm, peer);
}

int net_host_disconnect(net_host_t *h, const net_peerid_t *peer) {
  int rc = TR_ENOTCONN;
  for (net_conn_t *c = h->conns, *next; c; c = next) {
    next = c->next;
    if (c->phase == NET_PH_OPEN && net_peerid_equal(&c->peer, peer)) {
      tcp_close(c, -ECONNABORTED);
      rc = 0;
    }
  }
  return rc;
}

size_t net_host_conns(net_host_t *h, net_conn_fn fn, void *ud) {
  size_t n = 0;
  for (net_conn_t *c = h->conns; c; c = c->next) {
    if (c->phase != NET_PH_OPEN)
      continue;
    char s[NET_MA_STR_MAX / 16] = "";
    if (net_ma_format(c->ma, c->malen, s, sizeof s) < 0)
      s[0] = 0;
    if (fn)
      fn(&c->peer, s, c->outbound, ud);
    n++;
  }
  return n;
}

size_t net_host_conns_view(net_host_t *h, net_conn_view_fn fn, void *ud) {
  size_t n = 0;
  for (net_conn_t *c = h->conns; c; c = c->next) {
    if (c->phase != NET_PH_OPEN)
      continue;
    char s[NET_MA_STR_MAX / 16] = "";
    if (net_ma_format(c->ma, c->malen, s, sizeof s) < 0)
      s[0] = 0;
    const char **v = c->mux.nstreams
                         ? tr_malloc(c->mux.nstreams * sizeof *v)
                         : NULL;
    net_conn_view_t cv = {&c->peer, s, c->outbound, v, 0};
    for (uint32_t i = 0; v && i < c->mux.nstreams; i++) {
      const net_stream_t *st = c->mux.streams[i].data;
      if (st)
        v[cv.nstreams++] = st->mss || !st->proto ? "" : st->proto;
    }
    fn(&cv, ud);
    tr_free(v);
    n++;
  }
  return n;
}

void net_host_close(net_host_t *h, void (*done)(void *ud), void *ud) {
  h->closing = true;
  h->done = done;
  h->done_ud = ud;
  net__identify_close(h);
  while (h->conns)
    tcp_close(h->conns, -ECANCELED);
  if (h->dials_close)
    h->dials_close(h);
  for (size_t i = 0; i < h->nls; i++)
    uv_close((uv_handle_t *)&h->ls[i]->tcp, on_listener_closed);
  h->nls = 0;
  uv_close((uv_handle_t *)&h->sweep, on_sweep_closed);
  uv_close((uv_handle_t *)&h->rx_timer, on_sweep_closed);
}

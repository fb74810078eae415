/*
 * conn.c — what a host connection does with its bytes (see host.h): the
 * upgrade (multistream-select "/noise", the Noise handshake, then
 * multistream-select "/yamux/1.0.0" inside the encrypted channel), the
 * yamux session, and streams with their own protocol negotiation.  No
 * libuv call here: bytes come from host.c and go back through the
 * connection's transport (c->tp), and a connection that is up is told to
 * the hooks registered with net__on_conn_up() (identify's), so that this
 * file calls nothing above it.
 *
 * Memory per connection once upgraded: the net_conn_t (yamux session and
 * two CipherStates; the handshake's 6 KiB of state is freed when it ends),
 * a stream table of 40 bytes a stream, and only the bytes short of a
 * frame.  What a stream holds beyond the peer's window is capped
 * (stream_buf_max), and so is the sum over the streams the peer opened
 * (conn_buf_max): their handlers answer what the peer asks, so a peer
 * that opens many streams, asks and never reads would otherwise make us
 * hold up to streams_max * stream_buf_max (a peer that never reads made
 * trove hold 50 MB a connection: tests/it_p2p_hostile.sh).  Streams we open
 * write what our own code chose, and are not counted.
 */
#include "host_int.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

static const char *SEC[] = {NET_NOISE_PROTOCOL};
static const char *MUX[] = {NET_YAMUX_PROTOCOL};

/* Largest undecoded input kept: one whole Noise frame and its prefix. */
#define IN_MAX (2 + NET_NOISE_MSG_MAX)

/* pump() and input() with notify false are what the stream calls use: they
 * never run on_drain, which only the loop's events (bytes read, a write
 * done) deliver. */
static void pump(net_conn_t *c, bool notify);
static void input(net_conn_t *c, const uint8_t *p, size_t n, bool notify);

/* ------------------------------------------------------------ streams */

static net_stream_t *sdata(net_conn_t *c, uint32_t id) {
  return net_yamux_stream_data(&c->mux, id);
}

/* Count n more (or fewer) bytes held by s against its connection. */
static void held(net_stream_t *s, size_t n, bool more) {
  if (s->inbound)
    s->c->wbuffered = more ? s->c->wbuffered + n : s->c->wbuffered - n;
}

static void stream_free(net_stream_t *s) {
  if (s->c)
    held(s, s->wbuf.len - s->woff, false);
  tr_free(s->mss);
  tr_bytes_free(&s->wbuf);
  tr_free(s);
}

/* s is gone (yamux dropped it, or the connection closed). */
static void stream_gone(net_stream_t *s, int status) {
  if (s->ocb) {
    net_open_cb cb = s->ocb;
    s->ocb = NULL;
    cb(NULL, status ? status : TR_ENOPROTO, s->oud);
  } else if (!s->mss && s->cbs.on_close) {
    s->cbs.on_close(s, status);
  }
  stream_free(s);
}

/* Push what the stream holds into yamux, as far as the window allows. */
static void stream_flush(net_stream_t *s) {
  net_conn_t *c = s->c;
  while (s->woff < s->wbuf.len) {
    int64_t w = net_yamux_write(&c->mux, s->id, s->wbuf.data + s->woff,
                                s->wbuf.len - s->woff);
    if (w <= 0)
      return;
    s->woff += (size_t)w;
    held(s, (size_t)w, false);
  }
  s->wbuf.len = s->woff = 0;
  if (s->wbuf.cap > 64 * 1024) {
    tr_bytes_free(&s->wbuf);
    memset(&s->wbuf, 0, sizeof s->wbuf);
  }
  if (s->fin_pending) {
    s->fin_pending = false;
    if (net_yamux_close(&c->mux, s->id)) /* may free s */
      return;
  }
}

/* Write without the negotiation check (multistream messages). */
static int stream_put(net_stream_t *s, const uint8_t *p, size_t n) {
  net_conn_t *c = s->c;
  if (c->closing || s->fin_pending)
    return TR_ENOSTREAM;
  if (s->woff == s->wbuf.len) {
    /* Nothing waits before these bytes: yamux takes what the window
     * allows straight from p, and only the rest is copied into wbuf (a
     * bulk writer within its window never pays for that copy). */
    int64_t w = net_yamux_write(&c->mux, s->id, p, n);
    if (w > 0) {
      net__bw_add(c, s, false, (size_t)w);
      p += w, n -= (size_t)w;
    }
    if (n == 0)
      return 0;
  }
  if (s->wbuf.len - s->woff + n > c->h->lim.stream_buf_max ||
      (s->inbound && c->wbuffered + n > c->h->lim.conn_buf_max))
    return TR_ELIMIT;
  if (tr_bytes_append(&s->wbuf, p, n))
    return -ENOMEM;
  net__bw_add(c, s, false, n);
  held(s, n, true);
  stream_flush(s);
  return 0;
}

static void stream_mss_out(net_stream_t *s) {
  size_t n;
  const uint8_t *o = net_mss_output(s->mss, &n);
  if (n && stream_put(s, o, n))
    net_stream_reset(s);
}

/* Flush s, and tell its writer when what it left buffered is all out.
 * Only the loop's events call it (see pump()), so that on_drain never runs
 * inside net_stream_write(): a writer that writes again from on_drain
 * would recurse. */
static void stream_flush_notify(net_stream_t *s) {
  if (s->fin_pending) {
    stream_flush(s); /* may free s; a closed stream wants no more bytes */
    return;
  }
  stream_flush(s);
  if (s->drain_wanted && s->woff == s->wbuf.len) {
    s->drain_wanted = false;
    if (s->cbs.on_drain)
      s->cbs.on_drain(s);
  }
}

int net_stream_write(net_stream_t *s, const uint8_t *p, size_t n) {
  if (s->mss)
    return TR_EUSAGE;
  s->wrote = true;
  int rc = stream_put(s, p, n);
  if (rc == TR_ELIMIT) {
    net_stream_reset(s);
    return rc;
  }
  if (!rc) {
    if (s->woff < s->wbuf.len)
      s->drain_wanted = true;
    pump(s->c, false);
  }
  return rc;
}

size_t net_stream_buffered(const net_stream_t *s) {
  return s->wbuf.len - s->woff;
}

void net_stream_close(net_stream_t *s) {
  net_conn_t *c = s->c;
  if (c->closing)
    return;
  s->fin_pending = true;
  if (s->woff == s->wbuf.len)
    stream_flush(s); /* may free s */
  pump(c, false);
}

void net_stream_reset(net_stream_t *s) {
  net_conn_t *c = s->c;
  if (c->closing)
    return;
  s->reset_seen = true;
  if (net_yamux_reset(&c->mux, s->id)) /* frees s through on_close */
    tr_log(TR_LOG_DEBUG, "yamux: reset not queued");
  pump(c, false);
}

void net_stream_pause(net_stream_t *s, bool paused) {
  net_conn_t *c = s->c;
  s->paused = paused;
  if (paused || !s->owed || c->closing)
    return;
  /* The window stays as it is: a reader that pauses is not one to grow
   * it for. */
  net_yamux_consume(&c->mux, s->id, s->owed, false);
  s->owed = 0;
  pump(c, false);
}

void net_stream_set(net_stream_t *s, const net_stream_cbs_t *cbs, void *ud) {
  s->cbs = *cbs;
  s->ud = ud;
}
void *net_stream_ud(net_stream_t *s) { return s->ud; }
const char *net_stream_protocol(net_stream_t *s) { return s->proto; }
const net_peerid_t *net_stream_peer(net_stream_t *s) { return &s->c->peer; }
net_host_t *net_stream_host(net_stream_t *s) { return s->c->h; }
const uint8_t *net_stream_remote_ma(net_stream_t *s, size_t *len) {
  *len = s->c->malen;
  return s->c->ma;
}

/* Negotiation finished on s: hand it over.  Returns whether s still
 * exists. */
static bool stream_ready(net_conn_t *c, net_stream_t *s) {
  uint32_t id = s->id;
  const char *sel = net_mss_selected(s->mss);
  net__bw_bind(s, sel);
  tr_free(s->mss);
  s->mss = NULL;
  s->deadline = 0;
  if (s->ocb) {
    net_open_cb cb = s->ocb;
    s->ocb = NULL;
    cb(s, 0, s->oud);
  } else {
    net_host_t *h = c->h;
    size_t i = 0;
    while (i < h->nhandlers && strcmp(h->handlers[i].proto, sel))
      i++;
    if (i < h->nhandlers) {
      s->proto = h->handlers[i].proto;
      h->handlers[i].cb(s, h->handlers[i].ud);
    } else {
      net_stream_reset(s); /* unhandled while it was being negotiated */
    }
  }
  return !c->closing && sdata(c, id) == s;
}

/* ------------------------------------------------------ yamux events */

static int y_stream(net_yamux_t *y, uint32_t id) {
  net_conn_t *c = y->data;
  net_host_t *h = c->h;
  net_stream_t *s = c->closing ? NULL : tr_calloc(1, sizeof *s);
  if (!s || !h->nhandlers)
    goto refuse;
  s->mss = tr_malloc(sizeof *s->mss);
  if (!s->mss || net_mss_listener(s->mss, h->protos, h->nhandlers))
    goto refuse;
  s->c = c;
  s->id = id;
  s->inbound = true;
  s->deadline = c->used = c->tp->now(c);
  s->deadline += h->lim.negotiate_ms;
  if (net_yamux_set_stream_data(y, id, s))
    goto refuse;
  stream_mss_out(s);
  return 0;
refuse:
  if (s)
    tr_free(s->mss);
  tr_free(s);
  return -1;
}

static void y_data(net_yamux_t *y, uint32_t id, const uint8_t *p, size_t n) {
  net_conn_t *c = y->data;
  net_stream_t *s = sdata(c, id);
  size_t off = 0;
  c->used = c->rx_at;
  net__bw_add(c, NULL, true, n);
  if (s && s->mss) {
    size_t used;
    int rc = net_mss_feed(s->mss, p, n, &used);
    stream_mss_out(s);
    if ((s = sdata(c, id)) == NULL)
      goto out;
    if (rc < 0) {
      /* Our open failed: its callback hears why (TR_ENOPROTO for "na"),
       * not the reset that follows. */
      if (s->ocb) {
        net_open_cb cb = s->ocb;
        s->ocb = NULL;
        cb(NULL, rc, s->oud);
        if ((s = sdata(c, id)) == NULL)
          goto out;
      }
      net_stream_reset(s);
      s = NULL;
    } else if (rc == NET_MSS_DONE && !stream_ready(c, s)) {
      s = NULL;
    }
    off = used;
  }
  if (s && !s->mss && off < n && s->bwp)
    net__bw_add_proto(s, true, n - off);
  if (s && !s->mss && off < n && s->cbs.on_data)
    s->cbs.on_data(s, p + off, n - off);
out:
  /* The application has taken the bytes (copied or used them).  The
   * window grows only on a stream the application reads without writing
   * on it (bitswap's messages, a bulk transfer), and while no stream the
   * peer opened holds answers back: on a stream that answers what it
   * reads (ping, an echo, a DHT query), yamux's 256 KiB is what keeps a
   * peer that asks faster than it reads the answers from piling them up
   * here (up to conn_buf_max, where its streams are reset). */
  s = sdata(c, id);
  if (s && s->paused) { /* credited by net_stream_pause(s, false) */
    s->owed += (uint32_t)n;
    return;
  }
  net_yamux_consume(y, id, (uint32_t)n,
                    s && !s->mss && !s->wrote && !c->wbuffered);
}

static void y_fin(net_yamux_t *y, uint32_t id) {
  net_stream_t *s = sdata(y->data, id);
  if (s && !s->mss && s->cbs.on_fin)
    s->cbs.on_fin(s);
}

static void y_reset(net_yamux_t *y, uint32_t id) {
  net_stream_t *s = sdata(y->data, id);
  if (s)
    s->reset_seen = true;
}

static void y_window(net_yamux_t *y, uint32_t id) {
  net_stream_t *s = sdata(y->data, id);
  if (s)
    stream_flush(s); /* on_drain comes from the pump that follows */
}

static void y_close(net_yamux_t *y, uint32_t id, void *data) {
  (void)y, (void)id;
  net_stream_t *s = data;
  if (s)
    stream_gone(s, s->reset_seen ? -ECONNRESET : 0);
}

static void y_pong(net_yamux_t *y, uint32_t opaque) {
  net_conn_t *c = y->data;
  if (opaque == c->ping_id)
    c->ping_at = 0;
}

static const net_yamux_cbs_t YCBS = {
    .on_stream = y_stream, .on_data = y_data,  .on_fin = y_fin,
    .on_reset = y_reset,   .on_window = y_window, .on_close = y_close,
    .on_pong = y_pong,
};

int net__open_on(net_conn_t *c, const char *proto, net_open_cb cb,
                 void *ud) {
  if (c->phase != NET_PH_OPEN || c->closing)
    return TR_ENOTCONN;
  net_stream_t *s = tr_calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->proto = proto;
  s->mss = tr_malloc(sizeof *s->mss);
  int rc = s->mss ? net_mss_initiator(s->mss, &s->proto, 1) : -ENOMEM;
  int64_t id = rc ? rc : net_yamux_open(&c->mux);
  if (id < 0) {
    stream_free(s);
    return (int)id;
  }
  s->c = c;
  s->id = (uint32_t)id;
  s->ocb = cb;
  s->oud = ud;
  s->deadline = c->used = c->tp->now(c);
  s->deadline += c->h->lim.negotiate_ms;
  if (net_yamux_set_stream_data(&c->mux, s->id, s))
    return TR_ENOSTREAM;
  stream_mss_out(s);
  pump(c, false);
  return 0;
}

int net_host_open(net_host_t *h, const net_peerid_t *peer, const char *proto,
                  net_open_cb cb, void *ud) {
  for (net_conn_t *c = h->conns; c; c = c->next)
    if (c->phase == NET_PH_OPEN && !c->mux.goaway_recv &&
        net_peerid_equal(&c->peer, peer))
      return net__open_on(c, proto, cb, ud);
  return TR_ENOTCONN;
}

int net_host_handle(net_host_t *h, const char *proto, net_handler_cb cb,
                    void *ud) {
  for (size_t i = 0; i < h->nhandlers; i++)
    if (!strcmp(h->handlers[i].proto, proto))
      return TR_EEXIST;
  if (h->nhandlers == NET_HOST_HANDLERS_MAX || h->nhandlers == NET_MSS_PROTOS_MAX)
    return TR_ELIMIT;
  h->handlers[h->nhandlers] = (net_handler_t){proto, cb, ud};
  h->protos[h->nhandlers++] = proto;
  return 0;
}

int net_host_unhandle(net_host_t *h, const char *proto) {
  for (size_t i = 0; i < h->nhandlers; i++)
    if (!strcmp(h->handlers[i].proto, proto)) {
      memmove(&h->handlers[i], &h->handlers[i + 1],
              (h->nhandlers - i - 1) * sizeof *h->handlers);
      memmove(&h->protos[i], &h->protos[i + 1],
              (h->nhandlers - i - 1) * sizeof *h->protos);
      /* protos[nhandlers] keeps its old (valid) string: a negotiation in
       * progress may still read up to the count it started with. */
      h->nhandlers--;
      return 0;
    }
  return TR_ENOTFOUND;
}

int net__on_conn_up(net_host_t *h, net_conn_up_cb cb, void *ud) {
  if (h->nup == NET_HOST_HOOKS_MAX)
    return TR_ELIMIT;
  h->up[h->nup].cb = cb;
  h->up[h->nup++].ud = ud;
  return 0;
}

size_t net_host_protocols(net_host_t *h, const char **out, size_t max) {
  for (size_t i = 0; i < h->nhandlers && i < max; i++)
    out[i] = h->protos[i];
  return h->nhandlers;
}

/* ------------------------------------------------------------ upgrade */

static int mss_start(net_conn_t *c, const char **protos) {
  c->mss = tr_malloc(sizeof *c->mss);
  if (!c->mss)
    return -ENOMEM;
  return c->outbound ? net_mss_initiator(c->mss, protos, 1)
                     : net_mss_listener(c->mss, protos, 1);
}

static int mss_out(net_conn_t *c, bool sealed) {
  size_t n;
  const uint8_t *o = net_mss_output(c->mss, &n);
  return sealed ? c->tp->send_sealed(c, o, n) : c->tp->send_raw(c, o, n);
}

int net__conn_start(net_conn_t *c) {
  c->phase = NET_PH_SEC;
  int rc = mss_start(c, SEC);
  return rc ? rc : mss_out(c, false);
}

static int noise_start(net_conn_t *c) {
  tr_free(c->mss);
  c->mss = NULL;
  c->noise = tr_malloc(sizeof *c->noise);
  if (!c->noise)
    return -ENOMEM;
  c->phase = NET_PH_NOISE;
  int rc = net_noise_start(c->noise, c->outbound, &c->h->key,
                           c->has_expect ? &c->expect : NULL);
  size_t n;
  const uint8_t *o = net_noise_output(c->noise, &n);
  return rc ? rc : c->tp->send_raw(c, o, n);
}

static int noise_done(net_conn_t *c) {
  net_noise_t *ns = c->noise;
  size_t n;
  const uint8_t *o = net_noise_output(ns, &n);
  int rc = c->tp->send_raw(c, o, n); /* message 3 from the initiator */
  c->peer = *net_noise_remote(ns);
  c->tx = ns->send;
  c->rx = ns->recv;
  net_noise_wipe(ns);
  tr_free(ns);
  c->noise = NULL;
  if (rc)
    return rc;
  uint32_t same = 0;
  for (net_conn_t *o2 = c->h->conns; o2; o2 = o2->next)
    if (o2 != c && o2->phase >= NET_PH_MUX && o2->phase <= NET_PH_OPEN &&
        net_peerid_equal(&o2->peer, &c->peer))
      same++;
  if (same >= c->h->lim.conns_per_peer)
    return TR_ELIMIT;
  c->phase = NET_PH_MUX;
  rc = mss_start(c, MUX);
  return rc ? rc : mss_out(c, true);
}

static int mux_start(net_conn_t *c) {
  net_host_t *h = c->h;
  tr_free(c->mss);
  c->mss = NULL;
  net_yamux_limits_t lim;
  net_yamux_limits_default(&lim);
  lim.streams_max = h->lim.streams_max;
  lim.window_max = h->lim.stream_window;
  int rc = net_yamux_init(&c->mux, c->outbound, &YCBS, &lim, c);
  if (rc)
    return rc;
  c->phase = NET_PH_OPEN;
  c->deadline = 0;
  c->opened = c->used = c->tp->now(c);
  if (c->outbound) {
    h->ndials--;
    net_backoff_clear(&h->cm, &c->peer, c->ma, c->malen);
    net_peerinfo_t *pi = net_ps_put(&h->ps, &c->peer);
    if (pi)
      net_ps_add_addr(pi, c->ma, c->malen);
  } else {
    h->npending--;
  }
  if (c->ccb) {
    net_connect_cb cb = c->ccb;
    c->ccb = NULL;
    cb(h, 0, &c->peer, c->cud);
  }
  for (size_t i = 0; i < h->nup && !c->closing; i++)
    h->up[i].cb(c, h->up[i].ud);
  return 0;
}

/* Feed yamux.  A callback may close c (an application that closes the
 * host from on_close, say), and yamux.h forbids freeing the session
 * inside feed: teardown empties it and marks it failed, feed stops at the
 * next frame, and what the session allocated since is freed here.
 * *took is n once c is closing. */
static int mux_feed(net_conn_t *c, const uint8_t *p, size_t n, size_t *took) {
  int rc = net_yamux_feed(&c->mux, p, n, took);
  if (!c->closing)
    return rc;
  net_yamux_free(&c->mux);
  *took = n;
  return 0;
}

/* Plaintext from one Noise frame. */
static int plain_input(net_conn_t *c, const uint8_t *p, size_t n) {
  size_t used = 0;
  if (c->phase == NET_PH_MUX) {
    int rc = net_mss_feed(c->mss, p, n, &used);
    int rc2 = mss_out(c, true);
    if (rc < 0)
      return rc;
    if (rc2)
      return rc2;
    if (rc != NET_MSS_DONE)
      return 0;
    if ((rc = mux_start(c)) || c->closing)
      return rc;
  }
  if (used == n)
    return 0;
  if (c->plain.len)
    return tr_bytes_append(&c->plain, p + used, n - used);
  size_t took;
  int rc = mux_feed(c, p + used, n - used, &took);
  if (rc || c->closing)
    return rc;
  if (used + took < n) {
    /* yamux's output is at its cap: keep the rest, stop reading. */
    if (tr_bytes_append(&c->plain, p + used + took, n - used - took))
      return -ENOMEM;
    c->tp->pause(c, true);
  }
  return 0;
}

/* Handle p[0..n); returns the bytes used (the rest waits for more), or a
 * negative error. */
static int64_t process(net_conn_t *c, const uint8_t *p, size_t n) {
  size_t off = 0;
  while (off < n && !c->closing && !c->plain.len) {
    size_t used = 0;
    int rc = 0;
    if (c->phase == NET_PH_SEC) {
      rc = net_mss_feed(c->mss, p + off, n - off, &used);
      int rc2 = mss_out(c, false);
      if (rc >= 0 && rc2)
        rc = rc2;
      if (rc == NET_MSS_DONE)
        rc = noise_start(c);
    } else if (c->phase == NET_PH_NOISE) {
      rc = net_noise_feed(c->noise, p + off, n - off, &used);
      if (rc == NET_NOISE_DONE) {
        rc = noise_done(c);
      } else if (rc == NET_NOISE_AGAIN) {
        size_t k;
        const uint8_t *o = net_noise_output(c->noise, &k);
        rc = c->tp->send_raw(c, o, k);
        if (!rc && used == 0)
          break;
      }
    } else {
      if (n - off < 2)
        break;
      size_t f = (size_t)p[off] << 8 | p[off + 1];
      if (n - off < 2 + f)
        break;
      rc = net_noise_cs_open(&c->rx, NULL, 0, p + off + 2, f, c->h->pbuf);
      if (!rc)
        rc = plain_input(c, c->h->pbuf, f - NET_NOISE_TAG);
      used = 2 + f;
    }
    if (rc < 0)
      return rc;
    off += used;
  }
  return (int64_t)off;
}

void net__conn_input(net_conn_t *c, const uint8_t *p, size_t n) {
  input(c, p, n, true);
}

/* c->in holds the start of a transport frame (2-byte length, then the
 * sealed bytes): complete it from p[0..n), then open it.  Returns the
 * bytes of p taken, or a negative error.  Only the rest of the frame is
 * copied: appending the whole read to c->in, as the handshake's path
 * does, copied nearly every byte of a bulk transfer once more, since
 * reads rarely end where a frame ends. */
static int64_t frame_complete(net_conn_t *c, const uint8_t *p, size_t n) {
  size_t want = 2, took = 0;
  for (int step = 0; step < 2; step++) {
    if (c->in.len >= 2)
      want = 2 + ((size_t)c->in.data[0] << 8 | c->in.data[1]);
    size_t k = want - c->in.len < n - took ? want - c->in.len : n - took;
    if (tr_bytes_append(&c->in, p + took, k))
      return -ENOMEM;
    took += k;
  }
  if (c->in.len < want)
    return (int64_t)took; /* still short: wait for more */
  int64_t used = process(c, c->in.data, c->in.len);
  if (used < 0 || c->closing) /* closing: c->in is freed */
    return used < 0 ? used : (int64_t)took;
  /* A whole frame is always used. */
  memmove(c->in.data, c->in.data + used, c->in.len - (size_t)used);
  c->in.len -= (size_t)used;
  return (int64_t)took;
}

static void input(net_conn_t *c, const uint8_t *p, size_t n, bool notify) {
  int64_t used;
  if (c->in.len && !c->plain.len && c->phase >= NET_PH_MUX && n) {
    int64_t k = frame_complete(c, p, n);
    if (k < 0) {
      c->tp->close(c, (int)k);
      return;
    }
    if (c->closing)
      return;
    p += k, n -= (size_t)k;
  }
  if (c->in.len == 0 && !c->plain.len) {
    used = process(c, p, n);
    if (used >= 0 && (size_t)used < n && !c->closing &&
        tr_bytes_append(&c->in, p + used, n - (size_t)used))
      used = -ENOMEM;
  } else {
    if (tr_bytes_append(&c->in, p, n)) {
      c->tp->close(c, -ENOMEM);
      return;
    }
    used = c->plain.len ? 0 : process(c, c->in.data, c->in.len);
    if (used > 0 && !c->closing) {
      memmove(c->in.data, c->in.data + used, c->in.len - (size_t)used);
      c->in.len -= (size_t)used;
    }
  }
  if (used < 0) {
    c->tp->close(c, (int)used);
    return;
  }
  if (c->closing)
    return;
  /* More than a frame waiting means the peer ignores back-pressure. */
  if (c->in.len > 2 * IN_MAX) {
    c->tp->close(c, TR_ELIMIT);
    return;
  }
  if (c->in.len == 0 && c->in.cap > 4096) {
    tr_bytes_free(&c->in);
    memset(&c->in, 0, sizeof c->in);
  }
  pump(c, notify);
}

void net__conn_pump(net_conn_t *c) { pump(c, true); }

/* Whether a stream of c holds bytes yamux has not taken yet. */
static bool streams_waiting(const net_conn_t *c) {
  for (uint32_t i = 0; i < c->mux.nstreams; i++) {
    const net_stream_t *s = c->mux.streams[i].data;
    if (s && s->woff < s->wbuf.len)
      return true;
  }
  return false;
}

static void pump(net_conn_t *c, bool notify) {
  if (c->closing || c->phase != NET_PH_OPEN)
    return;
  net_host_t *h = c->h;
  for (int round = 0; round < 4 && !c->closing; round++) {
    /* on_drain may open, reset or close streams, which moves the table:
     * a stream skipped this round is flushed in the next. */
    for (uint32_t i = 0; i < c->mux.nstreams && !c->closing; i++) {
      net_stream_t *s = c->mux.streams[i].data;
      if (s && notify && (s->woff < s->wbuf.len || s->drain_wanted))
        stream_flush_notify(s);
      else if (s && s->woff < s->wbuf.len)
        stream_flush(s);
    }
    size_t n;
    const uint8_t *o;
    bool sent = false;
    while (c->tp->queued(c) < h->lim.sock_buf_max &&
           (o = net_yamux_output(&c->mux, &n), n > 0)) {
      size_t k = n < 256 * 1024 ? n : 256 * 1024;
      int rc = c->tp->send_sealed(c, o, k);
      if (rc) {
        c->tp->close(c, rc);
        return;
      }
      net_yamux_output_done(&c->mux, k);
      sent = true;
    }
    if (!c->plain.len) {
      /* yamux took at most out_max of the streams' bytes this round.  The
       * kernel took all of it at once, so no write completes to pump
       * again: with the peer's window still open, nothing else would (a
       * window of 16 MiB is credited after 8 MiB, and this stalled after
       * 1 MiB).  Go on while rounds move bytes and the socket takes them;
       * once it queues, its write completion pumps. */
      if (sent && !c->closing && c->tp->queued(c) == 0 && streams_waiting(c)) {
        round = -1;
        continue;
      }
      return;
    }
    /* Bytes yamux could not take: try again now that output drained. */
    size_t took;
    int rc = mux_feed(c, c->plain.data, c->plain.len, &took);
    if (rc) {
      c->tp->close(c, rc);
      return;
    }
    if (c->closing)
      return;
    memmove(c->plain.data, c->plain.data + took, c->plain.len - took);
    c->plain.len -= took;
    if (c->plain.len == 0) {
      c->tp->pause(c, false);
      if (c->in.len) {
        /* Frames that arrived while paused. */
        input(c, (const uint8_t *)"", 0, notify);
        return;
      }
    }
  }
}

void net__conn_teardown(net_conn_t *c, int status) {
  if (c->ccb) {
    net_connect_cb cb = c->ccb;
    c->ccb = NULL;
    /* A dial that raced others to the same peer (a `swarm connect` while
     * the mirror or the DHT dials it too) ends refused as a connection
     * too many (conns_per_peer) once its handshake names the peer: what
     * the caller asked for, a connection, is there all the same.  (it_mirror
     * failed on this: "connect ... failure: limit reached".) */
    if (c->peer.len && net_host_connected(c->h, &c->peer))
      cb(c->h, 0, &c->peer, c->cud);
    else
      cb(c->h, status ? status : -ECONNRESET, NULL, c->cud);
  }
  if (c->phase == NET_PH_OPEN) {
    while (c->mux.nstreams) {
      net_yamux_stream_t *ys = &c->mux.streams[--c->mux.nstreams];
      if (ys->data)
        stream_gone(ys->data, status ? status : -ECONNRESET);
    }
    net_yamux_free(&c->mux);
    c->mux.failed = true; /* a feed in progress stops (see mux_feed) */
  }
  tr_free(c->mss);
  c->mss = NULL;
  if (c->noise) {
    net_noise_wipe(c->noise);
    tr_free(c->noise);
    c->noise = NULL;
  }
  sodium_memzero(&c->tx, sizeof c->tx);
  sodium_memzero(&c->rx, sizeof c->rx);
}

/* go-yamux's keep-alive: after keepalive_ms without input, a ping; no
 * pong within write_ms and the peer is gone (or a truncated frame holds
 * its input: either way the connection is dead). */
static void keepalive(net_conn_t *c, uint64_t now) {
  const net_host_limits_t *lim = &c->h->lim;
  if (c->ping_at) {
    if (now - c->ping_at >= lim->write_ms)
      c->tp->close(c, -ETIMEDOUT);
    return;
  }
  if (!lim->keepalive_ms || now - c->rx_at < lim->keepalive_ms)
    return;
  if (net_yamux_ping(&c->mux, ++c->ping_id))
    return; /* out of memory: again at the next sweep */
  c->ping_at = now ? now : 1;
  net__conn_pump(c);
}

void net__sweep(net_host_t *h, uint64_t now) {
  for (net_conn_t *c = h->conns, *next; c; c = next) {
    next = c->next;
    if (c->phase < NET_PH_OPEN && c->deadline && now >= c->deadline) {
      c->tp->close(c, -ETIMEDOUT);
      continue;
    }
    if (c->phase != NET_PH_OPEN)
      continue;
    keepalive(c, now);
    for (uint32_t i = 0; i < c->mux.nstreams && !c->closing;) {
      net_stream_t *s = c->mux.streams[i].data;
      if (s && s->mss && s->deadline && now >= s->deadline) {
        if (s->ocb) {
          net_open_cb cb = s->ocb;
          s->ocb = NULL;
          cb(NULL, -ETIMEDOUT, s->oud);
        }
        net_stream_reset(s); /* the table shrinks: look at i again */
        continue;
      }
      i++;
    }
  }
}

/* Here rather than in host.c: it only reads the connection list, and
 * identify.c (which host.c starts) asks it. */
bool net_host_connected(net_host_t *h, const net_peerid_t *peer) {
  for (net_conn_t *c = h->conns; c; c = c->next)
    if (c->phase == NET_PH_OPEN && net_peerid_equal(&c->peer, peer))
      return true;
  return false;
}

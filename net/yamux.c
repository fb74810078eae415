/*
 * yamux.c — the /yamux/1.0.0 session (see yamux.h).
 *
 * The stream table is an array searched linearly: it holds at most
 * lim.streams_max entries (256 by default) and a connection rarely has more
 * than a handful, so a hash would cost more than it saves.  No pointer into
 * the table is held across a callback, since a callback may open or close
 * streams (and so move the table).  Data is handed to the application as it
 * arrives, not after the whole frame: a 256 KiB frame needs no buffer here.
 */
#include "yamux.h"

#include <errno.h>
#include <string.h>

/* Largest data frame we send: go-yamux splits its writes the same way, and
 * it keeps a slow stream from holding the connection for long. */
#define YAMUX_CHUNK (64 * 1024)

void net_yamux_limits_default(net_yamux_limits_t *lim) {
  lim->streams_max = NET_YAMUX_STREAMS_MAX;
  lim->out_max = NET_YAMUX_OUT_MAX;
  lim->window = NET_YAMUX_WINDOW;
  lim->window_max = NET_YAMUX_WINDOW;
}

int net_yamux_init(net_yamux_t *y, bool client, const net_yamux_cbs_t *cbs,
                   const net_yamux_limits_t *lim, void *data) {
  memset(y, 0, sizeof *y);
  if (lim)
    y->lim = *lim;
  else
    net_yamux_limits_default(&y->lim);
  if (y->lim.window < NET_YAMUX_WINDOW || y->lim.streams_max == 0)
    return TR_EUSAGE;
  if (cbs)
    y->cbs = *cbs;
  y->client = client;
  y->next_id = client ? 1 : 2;
  y->data = data;
  return 0;
}

void net_yamux_free(net_yamux_t *y) {
  tr_free(y->streams);
  tr_bytes_free(&y->out);
  y->streams = NULL;
  y->nstreams = y->cap = 0;
}

void net_yamux_header(uint8_t o[NET_YAMUX_HDR], uint8_t type, uint16_t flags,
                      uint32_t id, uint32_t length) {
  o[0] = 0;
  o[1] = type;
  o[2] = (uint8_t)(flags >> 8), o[3] = (uint8_t)flags;
  o[4] = (uint8_t)(id >> 24), o[5] = (uint8_t)(id >> 16);
  o[6] = (uint8_t)(id >> 8), o[7] = (uint8_t)id;
  o[8] = (uint8_t)(length >> 24), o[9] = (uint8_t)(length >> 16);
  o[10] = (uint8_t)(length >> 8), o[11] = (uint8_t)length;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static int emit(net_yamux_t *y, uint8_t type, uint16_t flags, uint32_t id,
                uint32_t length) {
  uint8_t h[NET_YAMUX_HDR];
  net_yamux_header(h, type, flags, id, length);
  return tr_bytes_append(&y->out, h, sizeof h);
}

/* ---------------------------------------------------------- stream table */

static net_yamux_stream_t *find(const net_yamux_t *y, uint32_t id) {
  for (uint32_t i = 0; i < y->nstreams; i++)
    if (y->streams[i].id == id)
      return &y->streams[i];
  return NULL;
}

static net_yamux_stream_t *add(net_yamux_t *y, uint32_t id) {
  if (y->nstreams == y->cap) {
    uint32_t cap = y->cap ? 2 * y->cap : 4;
    if (cap > y->lim.streams_max)
      cap = y->lim.streams_max;
    void *p = tr_realloc(y->streams, cap * sizeof *y->streams);
    if (!p)
      return NULL;
    y->streams = p;
    y->cap = cap;
  }
  net_yamux_stream_t *s = &y->streams[y->nstreams++];
  memset(s, 0, sizeof *s);
  s->id = id;
  s->send_win = NET_YAMUX_WINDOW;
  s->recv_win = NET_YAMUX_WINDOW;
  s->win = y->lim.window;
  return s;
}

/* Forget stream id and tell the application. */
static void drop(net_yamux_t *y, uint32_t id) {
  net_yamux_stream_t *s = find(y, id);
  if (!s)
    return;
  void *data = s->data;
  *s = y->streams[--y->nstreams];
  if (y->cbs.on_close)
    y->cbs.on_close(y, id, data);
}

/* Drop the stream once both halves are closed. */
static void maybe_drop(net_yamux_t *y, uint32_t id) {
  net_yamux_stream_t *s = find(y, id);
  if (s && (s->flags & NET_YAMUX_S_LFIN) && (s->flags & NET_YAMUX_S_RFIN))
    drop(y, id);
}

void *net_yamux_stream_data(const net_yamux_t *y, uint32_t id) {
  net_yamux_stream_t *s = find(y, id);
  return s ? s->data : NULL;
}

int net_yamux_set_stream_data(net_yamux_t *y, uint32_t id, void *data) {
  net_yamux_stream_t *s = find(y, id);
  if (!s)
    return TR_ENOSTREAM;
  s->data = data;
  return 0;
}

/* The ACK flag our first frame on a stream the peer opened carries. */
static uint16_t ack_flag(net_yamux_stream_t *s) {
  if (!(s->flags & NET_YAMUX_S_NEEDACK))
    return 0;
  s->flags &= (uint8_t)~NET_YAMUX_S_NEEDACK;
  return NET_YAMUX_ACK;
}

/* --------------------------------------------------------------- reading */

static int fail(net_yamux_t *y, int rc) {
  if (!y->failed && !y->goaway_sent) {
    y->goaway_sent = true;
    if (emit(y, NET_YAMUX_GOAWAY, 0, 0,
             rc == -ENOMEM ? NET_YAMUX_GO_INTERNAL : NET_YAMUX_GO_PROTO))
      rc = -ENOMEM;
  }
  y->failed = true;
  return rc;
}

/* A SYN for id: accept it (the application agrees, a slot is free) or
 * refuse it with RST.  Returns 0, or a fatal error. */
static int peer_open(net_yamux_t *y, uint32_t id) {
  /* The peer's ids have the other parity from ours. */
  if ((id & 1) == (y->client ? 1u : 0u) || find(y, id))
    return TR_EPROTO;
  if (y->goaway_sent || y->goaway_recv || y->nstreams >= y->lim.streams_max)
    return emit(y, NET_YAMUX_WINUP, NET_YAMUX_RST, id, 0);
  net_yamux_stream_t *s = add(y, id);
  if (!s)
    return -ENOMEM;
  s->flags |= NET_YAMUX_S_NEEDACK;
  if (y->cbs.on_stream && y->cbs.on_stream(y, id)) {
    drop(y, id);
    return emit(y, NET_YAMUX_WINUP, NET_YAMUX_RST, id, 0);
  }
  s = find(y, id);
  if (!s)
    return 0;
  /* Accepted: grant the window beyond the default, and ACK with it unless
   * the application's first bytes (written in on_stream) carried the ACK
   * already.  The credit is due either way: the peer starts at 256 KiB,
   * and consume() credits only once half of the window is owed. */
  uint16_t ack = ack_flag(s);
  uint32_t extra = y->lim.window - NET_YAMUX_WINDOW;
  if (!ack && !extra)
    return 0;
  s->recv_win += extra;
  return emit(y, NET_YAMUX_WINUP, ack, id, extra);
}

/* FIN and RST flags, after the frame's payload. */
static void end_flags(net_yamux_t *y, uint32_t id, uint16_t flags) {
  net_yamux_stream_t *s = find(y, id);
  if (!s)
    return;
  if (flags & NET_YAMUX_RST) {
    if (y->cbs.on_reset)
      y->cbs.on_reset(y, id);
    drop(y, id);
    return;
  }
  if ((flags & NET_YAMUX_FIN) && !(s->flags & NET_YAMUX_S_RFIN)) {
    s->flags |= NET_YAMUX_S_RFIN;
    if (y->cbs.on_fin)
      y->cbs.on_fin(y, id);
    maybe_drop(y, id);
  }
}

/* A whole header is in y->hdr: act on it. */
static int on_header(net_yamux_t *y) {
  const uint8_t *h = y->hdr;
  uint8_t type = h[1];
  uint16_t flags = (uint16_t)(h[2] << 8 | h[3]);
  uint32_t id = be32(h + 4), len = be32(h + 8);
  int rc;
  if (h[0] != 0 || type > NET_YAMUX_GOAWAY)
    return TR_EPROTO;
  if (type == NET_YAMUX_PING || type == NET_YAMUX_GOAWAY) {
    if (id != 0)
      return TR_EPROTO;
    if (type == NET_YAMUX_GOAWAY) {
      y->goaway_recv = true;
      if (y->cbs.on_goaway)
        y->cbs.on_goaway(y, len);
    } else if (flags & NET_YAMUX_SYN) {
      return emit(y, NET_YAMUX_PING, NET_YAMUX_ACK, 0, len);
    } else if ((flags & NET_YAMUX_ACK) && y->cbs.on_pong) {
      y->cbs.on_pong(y, len);
    }
    return 0;
  }
  if (id == 0)
    return TR_EPROTO;
  if ((flags & NET_YAMUX_SYN) && (rc = peer_open(y, id)))
    return rc;
  net_yamux_stream_t *s = find(y, id);
  if (type == NET_YAMUX_DATA) {
    /* Data for a stream we no longer know (we reset it and the peer had
     * not heard yet) is read and thrown away, as go-yamux does. */
    if (s && len > s->recv_win)
      return TR_EPROTO;
    if (s)
      s->recv_win -= len;
    y->body_left = len;
    y->body_id = s ? id : 0;
    if (len > 0)
      return 0; /* flags wait for the payload */
  } else if (s && len) {
    if (s->send_win > UINT32_MAX - len)
      return TR_EPROTO;
    s->send_win += len;
    if (y->cbs.on_window)
      y->cbs.on_window(y, id);
  }
  end_flags(y, id, flags);
  return 0;
}

int net_yamux_feed(net_yamux_t *y, const uint8_t *in, size_t len,
                   size_t *consumed) {
  size_t off = 0;
  int rc = 0;
  *consumed = 0;
  if (y->failed)
    return TR_EUSAGE;
  while (off < len) {
    if (y->body_left) {
      size_t k = len - off < y->body_left ? len - off : y->body_left;
      uint32_t id = y->body_id;
      y->body_left -= (uint32_t)k;
      if (id && find(y, id) && y->cbs.on_data)
        y->cbs.on_data(y, id, in + off, k);
      off += k;
      if (!y->body_left)
        end_flags(y, be32(y->hdr + 4),
                  (uint16_t)(y->hdr[2] << 8 | y->hdr[3]));
      continue;
    }
    /* Between frames: stop while too much output waits (back-pressure on
     * a peer that makes us answer but does not read).  Writes stop at
     * out_max, reading at twice that: if data the application wrote could
     * stop reading, two peers echoing to each other would both stop. */
    if (y->hdrlen == 0 && y->out.len - y->out_off >= 2 * y->lim.out_max)
      break;
    size_t k = NET_YAMUX_HDR - y->hdrlen;
    if (k > len - off)
      k = len - off;
    memcpy(y->hdr + y->hdrlen, in + off, k);
    y->hdrlen = (uint8_t)(y->hdrlen + k);
    off += k;
    if (y->hdrlen < NET_YAMUX_HDR)
      break;
    y->hdrlen = 0;
    if ((rc = on_header(y)))
      break;
    if (y->failed) /* a callback reset things under us */
      break;
  }
  *consumed = off;
  return rc ? fail(y, rc) : 0;
}

const uint8_t *net_yamux_output(net_yamux_t *y, size_t *len) {
  *len = y->out.len - y->out_off;
  return y->out.data ? y->out.data + y->out_off : (const uint8_t *)"";
}

void net_yamux_output_done(net_yamux_t *y, size_t n) {
  y->out_off += n;
  if (y->out_off >= y->out.len) {
    y->out.len = y->out_off = 0;
    /* Give back a buffer a burst made large. */
    if (y->out.cap > 256 * 1024) {
      tr_bytes_free(&y->out);
      memset(&y->out, 0, sizeof y->out);
    }
  } else if (y->out_off > y->out.len / 2) {
    memmove(y->out.data, y->out.data + y->out_off, y->out.len - y->out_off);
    y->out.len -= y->out_off;
    y->out_off = 0;
  }
}

/* --------------------------------------------------------------- writing */

int64_t net_yamux_open(net_yamux_t *y) {
  if (y->goaway_sent || y->goaway_recv || y->failed)
    return TR_EGOAWAY;
  if (y->nstreams >= y->lim.streams_max || y->next_id > UINT32_MAX - 2)
    return TR_ELIMIT;
  uint32_t id = y->next_id;
  size_t mark = y->out.len;
  net_yamux_stream_t *s = add(y, id);
  if (!s)
    return -ENOMEM;
  s->recv_win = y->lim.window;
  if (emit(y, NET_YAMUX_WINUP, NET_YAMUX_SYN, id,
           y->lim.window - NET_YAMUX_WINDOW)) {
    y->out.len = mark;
    y->nstreams--;
    return -ENOMEM;
  }
  y->next_id += 2;
  return id;
}

uint32_t net_yamux_send_window(const net_yamux_t *y, uint32_t id) {
  net_yamux_stream_t *s = find(y, id);
  if (!s || (s->flags & NET_YAMUX_S_LFIN))
    return 0;
  size_t q = y->out.len - y->out_off;
  size_t room = q >= y->lim.out_max ? 0 : y->lim.out_max - q;
  return s->send_win < room ? s->send_win : (uint32_t)room;
}

int64_t net_yamux_write(net_yamux_t *y, uint32_t id, const uint8_t *p,
                        size_t n) {
  net_yamux_stream_t *s = find(y, id);
  if (!s || (s->flags & NET_YAMUX_S_LFIN) || y->failed)
    return TR_ENOSTREAM;
  size_t can = net_yamux_send_window(y, id), done = 0;
  if (can > n)
    can = n;
  while (done < can) {
    size_t k = can - done < YAMUX_CHUNK ? can - done : YAMUX_CHUNK;
    size_t mark = y->out.len;
    if (emit(y, NET_YAMUX_DATA, ack_flag(s), id, (uint32_t)k) ||
        tr_bytes_append(&y->out, p + done, k)) {
      y->out.len = mark;
      return done ? (int64_t)done : -ENOMEM;
    }
    s->send_win -= (uint32_t)k;
    done += k;
  }
  return (int64_t)done;
}

void net_yamux_consume(net_yamux_t *y, uint32_t id, uint32_t n,
                       bool grow) {
  net_yamux_stream_t *s = find(y, id);
  if (!s || (s->flags & NET_YAMUX_S_RFIN))
    return;
  s->unacked += n;
  /* Credit in one update once half the window is owed, as go-yamux does:
   * an update per read would double the frames. */
  if (s->unacked < s->win / 2)
    return;
  uint32_t win = s->win;
  if (grow && win < y->lim.window_max)
    win = win > y->lim.window_max / 2 ? y->lim.window_max : win * 2;
  if (emit(y, NET_YAMUX_WINUP, ack_flag(s), id, s->unacked + (win - s->win)))
    return; /* retried with the next consume */
  s->recv_win += s->unacked + (win - s->win);
  s->win = win;
  s->unacked = 0;
}

int net_yamux_close(net_yamux_t *y, uint32_t id) {
  net_yamux_stream_t *s = find(y, id);
  if (!s || (s->flags & NET_YAMUX_S_LFIN))
    return TR_ENOSTREAM;
  if (emit(y, NET_YAMUX_WINUP, (uint16_t)(NET_YAMUX_FIN | ack_flag(s)), id,
           0))
    return -ENOMEM;
  s->flags |= NET_YAMUX_S_LFIN;
  maybe_drop(y, id);
  return 0;
}

int net_yamux_reset(net_yamux_t *y, uint32_t id) {
  net_yamux_stream_t *s = find(y, id);
  if (!s)
    return TR_ENOSTREAM;
  int rc = emit(y, NET_YAMUX_WINUP, NET_YAMUX_RST, id, 0);
  drop(y, id);
  return rc;
}

int net_yamux_ping(net_yamux_t *y, uint32_t opaque) {
  return emit(y, NET_YAMUX_PING, NET_YAMUX_SYN, 0, opaque);
}

int net_yamux_goaway(net_yamux_t *y, uint32_t code) {
  if (y->goaway_sent)
    return 0;
  y->goaway_sent = true;
  return emit(y, NET_YAMUX_GOAWAY, 0, 0, code);
}

/*
 * bw.c — the host's bandwidth counters (net_host_bw in host.h): the bytes
 * of streams, counted where conn.c hands them to yamux and takes them
 * from it, in three places at once: the host (all), the connection (a
 * peer's is the sum over its connections), the protocol (a small table of
 * names, filled as protocols are first negotiated).  The rates are
 * recomputed by the host's sweep once NET_BW_RATE_MS has passed, so a
 * byte costs a few additions and nothing else.
 *
 * What it does not do: keep a peer's count after its connections close,
 * or count transport overhead (Noise tags, yamux headers), which
 * go-libp2p's counter, at the same place in its stack, does not count
 * either.
 */
#include "host_int.h"

#include <string.h>

static void add(net__bwc_t *b, bool in, size_t n) {
  if (in)
    b->in += n;
  else
    b->out += n;
}

void net__bw_add(net_conn_t *c, const net_stream_t *s, bool in, size_t n) {
  net_host_t *h = c->h;
  add(&h->bw, in, n);
  add(&c->bw, in, n);
  if (s && s->bwp && !s->mss)
    add(&h->bwp[s->bwp - 1].c, in, n);
}

void net__bw_add_proto(const net_stream_t *s, bool in, size_t n) {
  if (s->bwp)
    add(&s->c->h->bwp[s->bwp - 1].c, in, n);
}

static int proto_find(const net_host_t *h, const char *proto) {
  for (size_t i = 0; i < h->nbwp; i++)
    if (!strcmp(h->bwp[i].name, proto))
      return (int)i;
  return -1;
}

void net__bw_bind(net_stream_t *s, const char *proto) {
  net_host_t *h = s->c->h;
  if (!proto || strlen(proto) >= NET_BW_PROTO_LEN)
    return;
  int i = proto_find(h, proto);
  if (i < 0) {
    if (h->nbwp == NET_BW_PROTOS_MAX)
      return; /* counted in the totals only */
    i = (int)h->nbwp++;
    memcpy(h->bwp[i].name, proto, strlen(proto) + 1);
  }
  s->bwp = (uint8_t)(i + 1);
}

static void rate(net__bwc_t *b, uint64_t dt) {
  b->rate_in = (double)(b->in - b->in_last) * 1000.0 / (double)dt;
  b->rate_out = (double)(b->out - b->out_last) * 1000.0 / (double)dt;
  b->in_last = b->in;
  b->out_last = b->out;
}

void net__bw_tick(net_host_t *h, uint64_t now) {
  if (!h->bw_at) {
    h->bw_at = now;
    return;
  }
  uint64_t dt = now - h->bw_at;
  if (dt < NET_BW_RATE_MS)
    return;
  h->bw_at = now;
  rate(&h->bw, dt);
  for (size_t i = 0; i < h->nbwp; i++)
    rate(&h->bwp[i].c, dt);
  for (net_conn_t *c = h->conns; c; c = c->next)
    rate(&c->bw, dt);
}

static void put(net_bw_t *out, const net__bwc_t *b) {
  out->total_in += b->in;
  out->total_out += b->out;
  out->rate_in += b->rate_in;
  out->rate_out += b->rate_out;
}

void net_host_bw(const net_host_t *h, const net_peerid_t *peer,
                 const char *proto, net_bw_t *out) {
  memset(out, 0, sizeof *out);
  if (peer) {
    for (const net_conn_t *c = h->conns; c; c = c->next)
      if (c->phase == NET_PH_OPEN && net_peerid_equal(&c->peer, peer))
        put(out, &c->bw);
    return;
  }
  if (proto) {
    int i = proto_find(h, proto);
    if (i >= 0)
      put(out, &h->bwp[i].c);
    return;
  }
  put(out, &h->bw);
}

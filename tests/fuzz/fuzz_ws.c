/*
 * fuzz_ws.c — libFuzzer target for the WebSocket wire (net/ws.h).
 *
 * The first input byte picks the role (bit 0: we dialled, so frames come
 * unmasked) and a chunk size (the other bits, 1 to 128); the rest is read
 * three times by fresh decoders: whole, in chunks of that size, and one
 * byte at a time.  Properties: a call returns 0 or TR_EPROTO only, with no
 * data out when it fails and never more out than it was given; the three
 * agree on failing or not (the decoder's verdict depends on the bytes, not
 * on where reads end), a chunked read fails in the chunk holding the byte
 * that fails the byte-wise one, with what it gave out before that a prefix
 * of what the byte-wise read gave; without a failure all three give the
 * same data and end in the same state (message open, close, the ping due
 * and its payload, the header and payload left); a due pong built from
 * that state is read by the other role as nothing at all.  The same bytes
 * are also a handshake head for net_ws_server_head and net_ws_client_head:
 * each returns 0, TR_EPROTO (or TR_ETOOBIG) or a length within the input
 * and NET_WS_HEAD_MAX, and a head that is taken is taken again alone, but
 * not a byte shorter.
 * Build: make build-fuzz/fuzz_ws; seeds in tests/fuzz/corpus/fuzz_ws.
 */
#include "../../net/ws.h"

#include <stdlib.h>
#include <string.h>

/* The key trove's own request in the seeds was made with (00..0f). */
static const uint8_t KEY[NET_WS_KEY_LEN] = {0, 1, 2,  3,  4,  5,  6,  7,
                                            8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t MASK[4] = {0x12, 0x34, 0x56, 0x78};

typedef struct run {
  net_ws_t ws;
  uint8_t *data; /* what came out, concatenated */
  size_t n;
  int rc;
  size_t fail_from, fail_to; /* the call that failed read [from, to) */
} run_t;

/* Read in[0..len) in calls of chunk bytes (all of it when chunk is 0). */
static void read_in(run_t *r, bool client, const uint8_t *in, size_t len,
                    size_t chunk, uint8_t *buf) {
  net_ws_init(&r->ws, client);
  memcpy(buf, in, len);
  r->n = 0;
  r->rc = 0;
  size_t off = 0;
  do {
    size_t k = chunk && chunk < len - off ? chunk : len - off, out = 1;
    int rc = net_ws_recv(&r->ws, buf + off, k, &out);
    if (rc != 0 && rc != TR_EPROTO)
      abort();
    if (out > k)
      abort();
    if (rc) {
      if (out != 0)
        abort();
      r->rc = rc;
      r->fail_from = off, r->fail_to = off + k;
      return;
    }
    memcpy(r->data + r->n, buf + off, out);
    r->n += out;
    off += k;
  } while (off < len);
}

/* The state a reader of the rest of the stream depends on. */
static bool same_state(const net_ws_t *a, const net_ws_t *b) {
  return a->in_msg == b->in_msg && a->closed == b->closed &&
         a->pong_due == b->pong_due && a->plen == b->plen &&
         !memcmp(a->ping, b->ping, a->plen) && a->hlen == b->hlen &&
         !memcmp(a->hdr, b->hdr, a->hlen) && a->in_frame == b->in_frame &&
         (!a->in_frame ||
          (a->opcode == b->opcode && a->left == b->left &&
           a->moff == b->moff && a->clen == b->clen &&
           !memcmp(a->ctrl, b->ctrl, a->clen)));
}

static void frames(const uint8_t *data, size_t size) {
  bool client = data[0] & 1;
  size_t chunk = (data[0] >> 1) + 1;
  const uint8_t *in = data + 1;
  size_t len = size - 1;
  uint8_t *buf = malloc(len + 1);
  static run_t w, c, b;
  w.data = malloc(len + 1), c.data = malloc(len + 1), b.data = malloc(len + 1);
  if (!buf || !w.data || !c.data || !b.data)
    abort();
  read_in(&w, client, in, len, 0, buf);
  read_in(&c, client, in, len, chunk, buf);
  read_in(&b, client, in, len, 1, buf);
  if (w.rc != c.rc || w.rc != b.rc)
    abort();
  if (b.rc) {
    /* The byte that fails is in the chunk that fails. */
    size_t at = b.fail_from;
    if (at < c.fail_from || at >= c.fail_to)
      abort();
    if (c.n > b.n || memcmp(c.data, b.data, c.n))
      abort();
  } else {
    if (w.n != b.n || c.n != b.n || memcmp(w.data, b.data, b.n) ||
        memcmp(c.data, b.data, b.n))
      abort();
    if (!same_state(&w.ws, &b.ws) || !same_state(&c.ws, &b.ws))
      abort();
    if (b.ws.pong_due) {
      /* The pong, read by the peer (its own role): nothing comes out. */
      uint8_t pong[NET_WS_HDR_MAX + NET_WS_CTRL_MAX];
      size_t pn = net_ws_pong(&b.ws, pong, client ? MASK : NULL), out = 1;
      if (b.ws.pong_due || pn != 2u + (client ? 4u : 0u) + b.ws.plen)
        abort();
      net_ws_t peer;
      net_ws_init(&peer, !client);
      if (net_ws_recv(&peer, pong, pn, &out) || out || peer.pong_due ||
          peer.in_frame || peer.hlen || peer.closed)
        abort();
    }
  }
  free(buf);
  free(w.data), free(c.data), free(b.data);
}

static void heads(const uint8_t *in, size_t n) {
  char resp[256];
  size_t rlen = 0;
  int rc = net_ws_server_head(in, n, resp, sizeof resp, &rlen);
  if (rc < 0 && rc != TR_EPROTO && rc != TR_ETOOBIG)
    abort();
  if (rc > 0) {
    if ((size_t)rc > n || rc > NET_WS_HEAD_MAX || rlen >= sizeof resp ||
        memcmp(resp, "HTTP/1.1 101 ", 13))
      abort();
    size_t r2;
    if (net_ws_server_head(in, (size_t)rc, resp, sizeof resp, &r2) != rc ||
        r2 != rlen ||
        net_ws_server_head(in, (size_t)rc - 1, resp, sizeof resp, &r2) != 0)
      abort();
  }
  rc = net_ws_client_head(in, n, KEY);
  if (rc < 0 && rc != TR_EPROTO)
    abort();
  if (rc > 0) {
    if ((size_t)rc > n || rc > NET_WS_HEAD_MAX ||
        net_ws_client_head(in, (size_t)rc, KEY) != rc ||
        net_ws_client_head(in, (size_t)rc - 1, KEY) != 0)
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  frames(data, size);
  heads(data + 1, size - 1);
  return 0;
}

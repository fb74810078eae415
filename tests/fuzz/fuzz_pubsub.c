/*
 * fuzz_pubsub.c — libFuzzer target for pubsub's frame decoder (ps_frame)
 * and the core's input (ps_input) fed by hostile peers.  A core that
 * joined topics "t" and "u", with three gossipsub peers (the third is
 * floodsub).  The input is a list of operations:
 *
 *   op & 3 == 0  a stream chunk: 2 bytes of length, then the bytes, cut
 *                into frames by ps_frame as the adapter cuts a stream, each
 *                body handed to ps_input (a bad frame ends the stream)
 *             1  time passes (the next byte x 16 ms) and ps_tick runs
 *             2  we publish (the next byte picks the topic, then 1 byte
 *                of length and the data)
 *             3  a peer sends a well-signed message (its own key), the
 *                next byte picks the topic and seqno, then 1 byte of
 *                length and the data; or (op & 4) an IWANT/IHAVE for it
 *   op >> 3 % 3: the peer.
 *
 * Asserts: ps_input returns only 0, TR_EPROTO and TR_ETOOBIG; ps_frame
 * only its documented codes; deliver sees only topics joined; every RPC
 * sent is at most PS_FRAME_MAX and decodes.
 * Build: make build-fuzz/fuzz_pubsub; seeds in
 * tests/fuzz/corpus/fuzz_pubsub.
 */
#include "../../pubsub/ps_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static net_privkey_t keys[4]; /* ours, then the peers' */
static net_peerid_t ids[4];

static int on_send(void *ud, const net_peerid_t *peer, const uint8_t *p,
                   size_t n) {
  (void)ud, (void)peer;
  if (n > PS_FRAME_MAX || ps__rpc_check(p, n))
    abort();
  return 0;
}

static void on_deliver(void *ud, const ps_msg_t *m) {
  (void)ud;
  if (m->topiclen != 1 || (m->topic[0] != 't' && m->topic[0] != 'u'))
    abort();
}

static void init_once(void) {
  static bool done;
  if (done)
    return;
  done = true;
  for (int i = 0; i < 4; i++) {
    uint8_t seed[32] = {(uint8_t)(i + 7)};
    net_privkey_from_seed(&keys[i], seed);
    net_pubkey_t pk;
    net_privkey_pubkey(&keys[i], &pk);
    if (net_peerid_from_pubkey(&ids[i], &pk))
      abort();
  }
}

static void input(ps_t *ps, int peer, const uint8_t *p, size_t n,
                  uint64_t now) {
  int rc = ps_input(ps, &ids[peer], p, n, now);
  if (rc && rc != TR_EPROTO && rc != TR_ETOOBIG)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  init_once();
  ps_io_t io = {on_send, on_deliver, NULL};
  ps_opts_t o = {&keys[0], false, 1, 1};
  uint64_t now = 1000;
  ps_t *ps;
  if (ps_new(&io, &o, now, &ps))
    return 0;
  if (ps_join(ps, "t", 1, now) || ps_join(ps, "u", 1, now))
    abort();
  for (int i = 1; i < 4; i++)
    if (ps_peer_up(ps, &ids[i], i == 3 ? PS_FLOOD : PS_MESH11, now))
      abort();
  size_t i = 0;
  while (i < n) {
    uint8_t op = d[i++];
    int peer = 1 + (op >> 3) % 3;
    switch (op & 3) {
    case 0: {
      if (i + 2 > n)
        goto out;
      size_t len = (size_t)d[i] << 8 | d[i + 1];
      i += 2;
      if (len > n - i)
        len = n - i;
      size_t off = 0;
      while (off < len) {
        const uint8_t *body;
        size_t blen;
        int64_t took = ps_frame(d + i + off, len - off, &body, &blen);
        if (took < 0 && took != TR_ETOOBIG && took != TR_EPROTO)
          abort();
        if (took <= 0)
          break;
        input(ps, peer, body, blen, now);
        off += (size_t)took;
      }
      i += len;
      break;
    }
    case 1:
      if (i < n)
        now += (uint64_t)d[i++] * 16;
      (void)ps_tick(ps, now);
      break;
    case 2: {
      if (i + 2 > n)
        goto out;
      const char *t = d[i] & 1 ? "u" : "v";
      size_t len = d[i + 1];
      i += 2;
      if (len > n - i)
        len = n - i;
      int rc = ps_publish(ps, t, 1, d + i, len, now);
      if (rc && rc != -ENOMEM)
        abort();
      i += len;
      break;
    }
    case 3: {
      if (i + 2 > n)
        goto out;
      uint8_t sel = d[i];
      const char *t = sel & 1 ? "t" : "w";
      size_t len = d[i + 1];
      i += 2;
      if (len > n - i)
        len = n - i;
      tr_bytes_t m = {0}, rpc = {0};
      int rc = ps__message_build(&keys[peer], &ids[peer], sel >> 1, t, 1,
                                 d + i, len, &m);
      i += len;
      if (!rc && (op & 4)) { /* an IWANT (or IHAVE) of that ID */
        uint8_t id[PS_ID_MAX];
        memcpy(id, ids[peer].bytes, ids[peer].len);
        memset(id + ids[peer].len, 0, 8);
        id[ids[peer].len + 7] = (uint8_t)(sel >> 1);
        tr_bytes_t in = {0}, ctl = {0};
        bool ihave = sel & 2;
        rc = ihave ? ps__put_bytes(&in, 1, t, 1) : 0;
        if (!rc)
          rc = ps__put_bytes(&in, ihave ? 2 : 1, id, ids[peer].len + 8u);
        if (!rc)
          rc = ps__put_bytes(&ctl, ihave ? 1 : 2, in.data, in.len);
        if (!rc)
          rc = ps__put_bytes(&rpc, 3, ctl.data, ctl.len);
        tr_bytes_free(&in);
        tr_bytes_free(&ctl);
      } else if (!rc) {
        rc = ps__put_bytes(&rpc, 2, m.data, m.len);
      }
      if (!rc)
        input(ps, peer, rpc.data, rpc.len, now);
      tr_bytes_free(&m);
      tr_bytes_free(&rpc);
      break;
    }
    }
  }
out:
  if (ps_leave(ps, "t", 1, now))
    abort();
  ps_free(ps);
  return 0;
}

/*
 * noise.c — the libp2p Noise session: framing, the signed handshake
 * payload, transport frames (see noise.h; Noise itself is in
 * noise_core.c).
 *
 * The payload is built and parsed with protobuf-c (net/proto/noise.proto).
 * A peer proves its PeerID by signing its Noise static key with its
 * identity key; the PeerID is computed here from that key, never taken
 * from the peer's word.
 */
#include "noise.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "net/proto/noise.pb-c.h"
#include "net_int.h"

/* ------------------------------------------------------------- payload */

/* "noise-libp2p-static-key:" || static public key. */
static void sig_msg(const uint8_t pk[32], uint8_t out[24 + 32]) {
  memcpy(out, NET_NOISE_SIG_PREFIX, 24);
  memcpy(out + 24, pk, 32);
}

/* Our payload: identity key and signature, no extensions. */
static int make_payload(net_noise_t *s, uint8_t *out, size_t outsize) {
  net_pubkey_t pk;
  uint8_t key[NET_PUBKEY_PB_MAX], msg[56], sig[64];
  net_privkey_pubkey(s->identity, &pk);
  int kn = net_pubkey_marshal(&pk, key, sizeof key);
  if (kn < 0)
    return kn;
  sig_msg(s->hs.s_pk, msg);
  net_sign(s->identity, msg, sizeof msg, sig);
  Netpb__NoiseHandshakePayload p = NETPB__NOISE_HANDSHAKE_PAYLOAD__INIT;
  p.has_identity_key = p.has_identity_sig = 1;
  p.identity_key.data = key;
  p.identity_key.len = (size_t)kn;
  p.identity_sig.data = sig;
  p.identity_sig.len = sizeof sig;
  size_t n = netpb__noise_handshake_payload__get_packed_size(&p);
  if (n > outsize)
    return TR_EBUFSIZE;
  return (int)netpb__noise_handshake_payload__pack(&p, out);
}

/* Check the peer's payload against the static key the handshake gave. */
static int check_payload(net_noise_t *s, const uint8_t *b, size_t n) {
  Netpb__NoiseHandshakePayload *p =
      netpb__noise_handshake_payload__unpack(&net__pb_mem, n, b);
  if (!p) {
    /* Out of memory or malformed: tell them apart as peerid.c does. */
    p = netpb__noise_handshake_payload__unpack(NULL, n, b);
    if (p)
      netpb__noise_handshake_payload__free_unpacked(p, NULL);
    return p ? -ENOMEM : TR_EPROTO;
  }
  int rc = TR_EPROTO;
  if (p->has_identity_key && p->has_identity_sig) {
    uint8_t msg[56];
    sig_msg(s->hs.rs, msg);
    rc = net_pubkey_unmarshal(&s->remote_key, p->identity_key.data,
                              p->identity_key.len);
    if (rc == 0)
      rc = net_verify(&s->remote_key, msg, sizeof msg, p->identity_sig.data,
                      p->identity_sig.len);
    if (rc == 0)
      rc = net_peerid_from_pubkey(&s->remote, &s->remote_key);
    if (rc == 0 && s->expect.len && !net_peerid_equal(&s->expect, &s->remote))
      rc = TR_EPEER;
  }
  netpb__noise_handshake_payload__free_unpacked(p, &net__pb_mem);
  return rc;
}

/* -------------------------------------------------------------- framing */

/* Write our next handshake message, with its length, to the output. */
static int queue_msg(net_noise_t *s) {
  uint8_t payload[NET_NOISE_HS_MAX];
  int pn = 0;
  if (s->hs.step > 0 && (pn = make_payload(s, payload, sizeof payload)) < 0)
    return pn;
  uint8_t *o = s->out + s->outlen;
  int n = net_noise_hs_write(&s->hs, payload, (size_t)pn, o + 2,
                             sizeof s->out - s->outlen - 2);
  if (n < 0)
    return n;
  o[0] = (uint8_t)(n >> 8), o[1] = (uint8_t)n;
  s->outlen += 2 + (size_t)n;
  return 0;
}

int net_noise_start(net_noise_t *s, bool initiator,
                    const net_privkey_t *identity,
                    const net_peerid_t *expect) {
  memset(s, 0, offsetof(net_noise_t, out));
  if (sodium_init() < 0)
    return -EIO;
  uint8_t sk[32];
  randombytes_buf(sk, sizeof sk);
  net_noise_hs_init(&s->hs, initiator, NULL, 0, sk, NULL);
  sodium_memzero(sk, sizeof sk);
  s->identity = identity;
  if (expect)
    s->expect = *expect;
  return initiator ? queue_msg(s) : 0;
}

/* The length of the frame at the start of in[0..len), 0 if incomplete. */
static size_t frame_len(const uint8_t *in, size_t len) {
  if (len < 2)
    return 0;
  size_t n = (size_t)in[0] << 8 | in[1];
  return len >= 2 + n ? 2 + n : 0;
}

static int feed_frame(net_noise_t *s, const uint8_t *msg, size_t n) {
  uint8_t payload[NET_NOISE_HS_MAX];
  int pn = net_noise_hs_read(&s->hs, msg, n, payload, sizeof payload);
  if (pn < 0)
    return pn == TR_EBUFSIZE ? TR_ETOOBIG : pn;
  /* Message 1's payload is early data, which libp2p ignores; 2 and 3
   * carry the peer's identity. */
  int rc = s->hs.step == 1 ? 0 : check_payload(s, payload, (size_t)pn);
  if (rc == 0 && s->hs.step < 3)
    rc = queue_msg(s);
  if (rc == 0 && s->hs.step == 3) {
    rc = net_noise_hs_split(&s->hs, &s->send, &s->recv, NULL);
    s->done = true;
    s->identity = NULL;
    sodium_memzero(&s->hs, sizeof s->hs); /* ephemeral and static secrets */
  }
  return rc;
}

int net_noise_feed(net_noise_t *s, const uint8_t *in, size_t len,
                   size_t *consumed) {
  *consumed = 0;
  if (s->done || s->failed)
    return TR_EUSAGE;
  if (len >= 2 && ((size_t)in[0] << 8 | in[1]) > NET_NOISE_HS_MAX) {
    s->failed = true;
    return TR_ETOOBIG;
  }
  size_t f = frame_len(in, len);
  if (f == 0)
    return NET_NOISE_AGAIN;
  *consumed = f;
  int rc = feed_frame(s, in + 2, f - 2);
  if (rc < 0) {
    s->failed = true;
    return rc;
  }
  return s->done ? NET_NOISE_DONE : NET_NOISE_AGAIN;
}

const uint8_t *net_noise_output(net_noise_t *s, size_t *len) {
  *len = s->outlen;
  s->outlen = 0;
  return s->out;
}

const net_peerid_t *net_noise_remote(const net_noise_t *s) {
  return s->done ? &s->remote : NULL;
}

const net_pubkey_t *net_noise_remote_key(const net_noise_t *s) {
  return s->done ? &s->remote_key : NULL;
}

/* ------------------------------------------------------------ transport */

int net_noise_seal(net_noise_t *s, const uint8_t *pt, size_t n, uint8_t *out,
                   size_t outsize) {
  if (!s->done || s->failed)
    return TR_EUSAGE;
  if (n > NET_NOISE_PLAIN_MAX)
    return TR_ETOOBIG;
  if (outsize < n + 2 + NET_NOISE_TAG)
    return TR_EBUFSIZE;
  size_t c = n + NET_NOISE_TAG;
  int rc = net_noise_cs_seal(&s->send, NULL, 0, pt, n, out + 2);
  if (rc < 0) {
    s->failed = true;
    return rc;
  }
  out[0] = (uint8_t)(c >> 8), out[1] = (uint8_t)c;
  return (int)(c + 2);
}

int net_noise_open(net_noise_t *s, const uint8_t *in, size_t len,
                   size_t *consumed, uint8_t *out, size_t outsize,
                   size_t *outlen) {
  *consumed = 0;
  if (!s->done || s->failed)
    return TR_EUSAGE;
  size_t f = frame_len(in, len);
  if (f == 0)
    return 0;
  size_t c = f - 2;
  if (c >= NET_NOISE_TAG && c - NET_NOISE_TAG > outsize)
    return TR_EBUFSIZE;
  int rc = net_noise_cs_open(&s->recv, NULL, 0, in + 2, c, out);
  if (rc < 0) {
    s->failed = true;
    return rc;
  }
  *consumed = f;
  *outlen = c - NET_NOISE_TAG;
  return 1;
}

void net_noise_wipe(net_noise_t *s) { sodium_memzero(s, sizeof *s); }

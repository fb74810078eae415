/*
 * noise.h — the libp2p Noise secure channel, /noise (libp2p/specs
 * noise/README.md): Noise_XX_25519_ChaChaPoly_SHA256 with the libp2p
 * handshake payload.
 *
 * Two layers, both sans-I/O with fixed-size structs (the one allocation is
 * a cipher context per thread, made on first use):
 *
 *   - net_noise_hs_t / net_noise_cs_t: the Noise Protocol Framework's XX
 *     handshake and CipherState (noiseprotocol.org, rev 34): X25519,
 *     SHA-256 and HMAC-SHA-256 for HKDF from libsodium, ChaCha20-Poly1305
 *     (IETF) from OpenSSL for frames of 1 KiB and more (twice
 *     libsodium's speed on AVX-512 cores), from libsodium for smaller ones
 *     and where OpenSSL has none.
 *     Checked against cacophony's vectors.
 *   - net_noise_t: a libp2p session over it.  Every message goes on the
 *     wire with a 2-byte big-endian length; handshake messages 2 and 3
 *     carry a NoiseHandshakePayload (net/proto/noise.proto) with the
 *     sender's identity key and its Ed25519 signature over
 *     "noise-libp2p-static-key:" || its Noise static key, which binds the
 *     PeerID to the channel.  Message 1's payload (early data) is ignored;
 *     trove sends none and no extensions (so muxers are negotiated with
 *     multistream-select afterwards).
 *
 * Use: net_noise_start(); then loop { send net_noise_output(); feed
 * received bytes to net_noise_feed() } until it returns NET_NOISE_DONE; the
 * remote PeerID is then known and authenticated.  After that, seal each
 * outgoing chunk with net_noise_seal() and open incoming frames with
 * net_noise_open().  The caller keeps received bytes until they form a
 * whole frame: feed and open consume nothing until one is complete, then
 * exactly one frame.  Time limits are the caller's (no clock here).
 *
 * After any error the session is dead: the caller closes the connection
 * (a failed decryption or a bad frame means tampering or a broken peer).
 * Static and ephemeral secrets are wiped by net_noise_wipe().
 */
#ifndef NET_NOISE_H
#define NET_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "peerid.h"

#define NET_NOISE_PROTOCOL "/noise"
/* The Noise and libp2p limits: a message is at most 65535 bytes, the
 * 16-byte tag included, so a transport frame carries at most 65519. */
#define NET_NOISE_MSG_MAX 65535
#define NET_NOISE_TAG 16
#define NET_NOISE_PLAIN_MAX (NET_NOISE_MSG_MAX - NET_NOISE_TAG)
/* Handshake messages trove accepts or sends, length prefix excluded: room
 * for an RSA-8192 identity key and signature (go-libp2p's largest) and
 * extensions; real ones are 32 (message 1) to ~250 bytes with Ed25519. */
#define NET_NOISE_HS_MAX 4096
/* The signed prefix of the libp2p payload. */
#define NET_NOISE_SIG_PREFIX "noise-libp2p-static-key:"

/* ------------------------------------------------------- Noise itself */

/* A CipherState: key and nonce.  Nonces count up from 0; the last one,
 * 2^64 - 1, is never used (the spec reserves it). */
typedef struct net_noise_cs {
  uint8_t k[32];
  uint64_t n;
} net_noise_cs_t;

/* Encrypt pt[0..n) with associated data ad[0..adlen) into out (n + 16
 * bytes; out may equal pt).  0, TR_ETOOBIG (nonces used up, or n or
 * adlen past INT_MAX), -ENOMEM (OpenSSL failed half-way, which it does
 * only without memory; the connection must end). */
int net_noise_cs_seal(net_noise_cs_t *cs, const uint8_t *ad, size_t adlen,
                      const uint8_t *pt, size_t n, uint8_t *out) TR_WUR;
/* Decrypt ct[0..n) (tag included, n >= 16) into out (n - 16 bytes; out
 * may equal ct).  0, or TR_EDECRYPT (forged, corrupt, or n < 16; the nonce
 * does not advance; out's bytes are zeroed), TR_ETOOBIG (nonces used up). */
int net_noise_cs_open(net_noise_cs_t *cs, const uint8_t *ad, size_t adlen,
                      const uint8_t *ct, size_t n, uint8_t *out) TR_WUR;
/* Frames of fewer plaintext bytes than this are sealed and opened with
 * libsodium's ChaCha20-Poly1305, larger ones with OpenSSL's: per call
 * OpenSSL costs about 500 ns more, per byte half as much (this VM: 100 B
 * 501 against 945 ns, 1000 B 1437 against 1206 ns, 64 KiB 1.3 against
 * 2.8 GB/s). */
#define NET_NOISE_SODIUM_MAX 1024
/* Seal and open with libsodium's ChaCha20-Poly1305 (on) or OpenSSL's
 * (off, the default), for every thread from the next call on.  The bytes
 * are the same; OpenSSL's is twice as fast on AVX-512 cores.  A process
 * whose OpenSSL has no ChaCha20-Poly1305 (FIPS-only providers) uses
 * libsodium's whatever this says.  For the tests. */
void net_noise_aead_use_sodium(bool on);

/* The XX handshake: -> e; <- e, ee, s, es; -> s, se. */
typedef struct net_noise_hs {
  uint8_t ck[32], h[32];
  net_noise_cs_t cs;
  bool has_key, initiator;
  uint8_t step; /* messages processed, 0..3 */
  uint8_t s_sk[32], s_pk[32], e_sk[32], e_pk[32], rs[32], re[32];
} net_noise_hs_t;

/* Start a handshake with our static X25519 secret s_sk and the prologue.
 * e_sk fixes the ephemeral secret (known-answer tests only); NULL draws
 * one at random when it is needed. */
void net_noise_hs_init(net_noise_hs_t *hs, bool initiator,
                       const uint8_t *prologue, size_t plen,
                       const uint8_t s_sk[32], const uint8_t *e_sk);

/* Write the next handshake message with payload[0..n) into out.  Returns
 * its length; TR_EUSAGE (not our turn, or done), TR_EBUFSIZE, TR_ETOOBIG
 * (over NET_NOISE_MSG_MAX), TR_EPROTO (a Diffie-Hellman result of zero: the
 * peer's key is of low order). */
int net_noise_hs_write(net_noise_hs_t *hs, const uint8_t *payload, size_t n,
                       uint8_t *out, size_t outsize) TR_WUR;
/* Read the next handshake message msg[0..n); its payload goes to out.
 * Returns the payload length; TR_EUSAGE (not the peer's turn), TR_EPROTO
 * (too short, low-order key), TR_EDECRYPT (forged or corrupt),
 * TR_EBUFSIZE. */
int net_noise_hs_read(net_noise_hs_t *hs, const uint8_t *msg, size_t n,
                      uint8_t *out, size_t outsize) TR_WUR;
/* After the third message: the two CipherStates (ours to send with, the
 * peer's to receive with) and the handshake hash.  TR_EUSAGE before. */
int net_noise_hs_split(net_noise_hs_t *hs, net_noise_cs_t *send,
                       net_noise_cs_t *recv, uint8_t hash[32]) TR_WUR;

/* -------------------------------------------------- the libp2p session */

enum {
  NET_NOISE_AGAIN = 0, /* feed more bytes (after sending the output) */
  NET_NOISE_DONE = 1,  /* handshake complete: net_noise_remote() is set */
};

typedef struct net_noise {
  net_noise_hs_t hs;
  net_noise_cs_t send, recv;
  const net_privkey_t *identity; /* borrowed until the handshake ends */
  net_peerid_t expect;           /* len 0: any peer */
  net_peerid_t remote;
  net_pubkey_t remote_key;
  bool done, failed;
  size_t outlen;
  uint8_t out[2 + NET_NOISE_HS_MAX];
} net_noise_t;

/* Start a session as initiator (dialer) or responder, authenticating as
 * identity (borrowed until NET_NOISE_DONE).  expect, when not NULL, is the
 * peer we dialled: a handshake with anyone else fails with TR_EPEER.  A
 * fresh X25519 static key is drawn for the session (libp2p's keys are
 * per-connection).  An initiator queues message 1.  0, or -EIO when
 * libsodium cannot start. */
int net_noise_start(net_noise_t *s, bool initiator,
                    const net_privkey_t *identity,
                    const net_peerid_t *expect) TR_WUR;

/* Feed received handshake bytes in[0..len).  Consumes nothing until a
 * whole frame is there, then one frame (*consumed says how much).
 * Returns NET_NOISE_AGAIN, NET_NOISE_DONE, or:
 *   TR_ETOOBIG    a frame over NET_NOISE_HS_MAX
 *   TR_EPROTO     a message of the wrong shape, a payload that does not
 *                 parse or lacks its key or signature, a low-order key
 *   TR_EDECRYPT   a message that does not decrypt (tampering)
 *   TR_EKEY       an identity key trove cannot use (only Ed25519 verifies)
 *   TR_ESIG       the signature over the static key is wrong
 *   TR_EPEER      the peer is not the one expected
 *   TR_EUSAGE     fed after NET_NOISE_DONE or an error
 *   -ENOMEM */
int net_noise_feed(net_noise_t *s, const uint8_t *in, size_t len,
                   size_t *consumed) TR_WUR;

/* Handshake bytes to send now; the same contract as net_mss_output(). */
const uint8_t *net_noise_output(net_noise_t *s, size_t *len);

/* The authenticated peer, after NET_NOISE_DONE. */
const net_peerid_t *net_noise_remote(const net_noise_t *s);
const net_pubkey_t *net_noise_remote_key(const net_noise_t *s);

/* Seal pt[0..n) (n <= NET_NOISE_PLAIN_MAX) as one transport frame into
 * out: 2-byte length, ciphertext, tag; n + 18 bytes.  Returns that size;
 * TR_EUSAGE (handshake not done, or the session failed), TR_ETOOBIG (n too
 * large, or nonces used up), TR_EBUFSIZE. */
int net_noise_seal(net_noise_t *s, const uint8_t *pt, size_t n, uint8_t *out,
                   size_t outsize) TR_WUR;

/* Open the transport frame at the start of in[0..len).  Returns 0 with
 * *consumed 0 when the frame is not whole yet; otherwise *consumed is the
 * frame's size and the plaintext (frame - 18 bytes, at most
 * NET_NOISE_PLAIN_MAX) goes to out, its length to *outlen, and the result
 * is 1.  Errors: TR_EDECRYPT (forged, reordered, replayed, or shorter than
 * a tag), TR_EBUFSIZE, TR_EUSAGE, TR_ETOOBIG (nonces used up). */
int net_noise_open(net_noise_t *s, const uint8_t *in, size_t len,
                   size_t *consumed, uint8_t *out, size_t outsize,
                   size_t *outlen) TR_WUR;

/* Wipe every secret in s (keys, chaining key, handshake state). */
void net_noise_wipe(net_noise_t *s);

#endif /* NET_NOISE_H */

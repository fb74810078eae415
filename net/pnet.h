/*
 * pnet.h — libp2p private networks ("PSK v1", libp2p/specs pnet/
 * Private-Networks-PSK-V1.md), as go-libp2p and Kubo do them: every node of
 * the private swarm holds the same 32-byte pre-shared key, read from a
 * swarm.key file, and every TCP connection runs the protector under
 * everything else (under multistream-select and Noise).  A peer without the
 * key reads noise and fails the handshake; nothing on the wire says that a
 * key is in use beyond the 24 random bytes each side sends first.
 *
 * The protector: each side first sends a fresh random 24-byte nonce; every
 * byte it writes after that is XORed with the XSalsa20 keystream of (PSK,
 * its own nonce), and every byte it reads after the peer's 24 with that of
 * (PSK, the peer's nonce).  There is no MAC: integrity comes from Noise
 * above.  The keystream is continuous across calls, so a stream cut at any
 * byte gives the same bytes.
 *
 * Sans-I/O, no allocation: the caller owns every buffer and the socket
 * (net/host.c does the I/O); nonces are the caller's to draw
 * (randombytes_buf()).  Depends on libsodium (XSalsa20) and OpenSSL's
 * libcrypto (SHAKE-128, for the fingerprint only).
 */
#ifndef NET_PNET_H
#define NET_PNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

#define NET_PNET_KEY_LEN 32   /* the PSK */
#define NET_PNET_NONCE_LEN 24 /* what each side sends first */
#define NET_PNET_FP_LEN 16    /* Kubo's fingerprint */
/* Bytes of a swarm.key a reader needs to look at: a file is parsed from
 * its first NET_PNET_FILE_MAX bytes (go reads only what it needs, too; a
 * longer file is a valid key followed by bytes nobody reads). */
#define NET_PNET_FILE_MAX 4096
/* The first line of a swarm.key (without its line end). */
#define NET_PNET_HEADER "/key/swarm/psk/1.0.0/"

/* --------------------------------------------------------- swarm.key */

/* Decode a swarm.key file p[0..n) as go-libp2p's DecodeV1PSK does:
 *
 *   /key/swarm/psk/1.0.0/      the header line
 *   /base16/                   the encoding: /base16/, /base64/ or /bin/
 *   <the key>                  64 hex digits (either case), the standard
 *                              base64 of 32 bytes (line ends may break it
 *                              anywhere), or 32 raw bytes
 *
 * A line ends at its first '\n'; any '\r's before it are dropped (so CRLF
 * and stray CRs are fine).  Only the bytes the key needs are read: what
 * follows them (a final newline, anything) is ignored, as in go.  base64
 * follows go's non-strict decoder: the bits past the key may be set, a
 * 33-byte encoding gives its first 32, and "xx==" quanta count for one
 * byte each once 30 bytes are decoded.  One deliberate difference: go
 * accepts padding inside the first 40 base64 digits when it happens to
 * fall at the end of one of its internal reads (whose size depends on
 * where the line breaks are); trove refuses padding there.
 *
 * psk receives the key (left unspecified on error).  why (may be NULL)
 * receives a static one-line reason on error ("unknown encoding (expected
 * /base16/, /base64/ or /bin/)").  Returns 0 or TR_ESWARMKEY. */
int net_pnet_key_parse(const uint8_t *p, size_t n,
                       uint8_t psk[NET_PNET_KEY_LEN], const char **why) TR_WUR;

/* Kubo's fingerprint of a PSK (core/node/libp2p/pnet.go): SHAKE-128,
 * 16 bytes out, of the first Salsa20 block of (psk, nonce "finprint"), so
 * that the key itself is never hashed.  Printed in lower-case hex after
 * "Swarm key fingerprint: ".  0, or -ENOMEM (OpenSSL could not allocate). */
int net_pnet_fingerprint(const uint8_t psk[NET_PNET_KEY_LEN],
                         uint8_t fp[NET_PNET_FP_LEN]) TR_WUR;

/* -------------------------------------------------------- the stream */

/* One direction's keystream: XSalsa20(psk, nonce) from where it stopped.
 * XSalsa20 is Salsa20 under HSalsa20(psk, nonce[0..16)) with nonce[16..24),
 * so the subkey is derived once and each call runs plain Salsa20 from its
 * block counter; a call that ends inside a 64-byte block keeps the rest of
 * that block's keystream for the next call. */
typedef struct net_pnet_stream {
  uint8_t subkey[32];
  uint8_t nonce8[8];
  uint64_t block;   /* the next keystream block to make */
  uint8_t ks[64];   /* block - 1's keystream, ks[used..64) not yet used */
  uint8_t used;     /* 64 when nothing is left */
} net_pnet_stream_t;

void net_pnet_stream_init(net_pnet_stream_t *s,
                          const uint8_t psk[NET_PNET_KEY_LEN],
                          const uint8_t nonce[NET_PNET_NONCE_LEN]);
/* out[i] = in[i] XOR the next n keystream bytes.  out may be in (in
 * place); otherwise the two must not overlap. */
void net_pnet_stream_xor(net_pnet_stream_t *s, uint8_t *out,
                         const uint8_t *in, size_t n);

/* ---------------------------------------------------- the connection */

/* A connection's protector: our keystream for what we send, the peer's for
 * what we receive (ready once its nonce is in). */
typedef struct net_pnet {
  uint8_t psk[NET_PNET_KEY_LEN];
  net_pnet_stream_t tx, rx;
  uint8_t rnonce[NET_PNET_NONCE_LEN];
  uint8_t rnlen; /* bytes of the peer's nonce received; 24: rx is ready */
} net_pnet_t;

/* Start a protector with our nonce, which the caller must send before any
 * other byte of the connection (unencrypted: it is the nonce).  nonce must
 * be fresh random bytes (randombytes_buf()): a nonce used twice under one
 * PSK gives away the XOR of the two streams. */
void net_pnet_init(net_pnet_t *pn, const uint8_t psk[NET_PNET_KEY_LEN],
                   const uint8_t nonce[NET_PNET_NONCE_LEN]);

/* Bytes received, in order: the first NET_PNET_NONCE_LEN ever are the
 * peer's nonce and are taken; the rest are decrypted in place.  Returns
 * the offset in p where the plaintext starts (n when every byte was
 * nonce). */
size_t net_pnet_recv(net_pnet_t *pn, uint8_t *p, size_t n);

/* Whether what the peer sent where its nonce belongs starts with p[0..n)
 * (n <= NET_PNET_NONCE_LEN; false until n bytes are in).  A peer outside
 * the private network opens in the clear; a listener that sends only
 * multistream-select's 20-byte header then waits for our answer while we
 * wait for the 4 bytes its "nonce" lacks, until a time limit ends it.  The
 * host asks this to cut such a peer at once: a random nonce starts with a
 * given 20 bytes with odds of 2^-160. */
bool net_pnet_nonce_starts(const net_pnet_t *pn, const uint8_t *p, size_t n);

/* Encrypt p[0..n) in place.  Bytes must be encrypted in the order they go
 * on the wire, each once. */
void net_pnet_send(net_pnet_t *pn, uint8_t *p, size_t n);

/* Zero the key material. */
void net_pnet_wipe(net_pnet_t *pn);

#endif /* NET_PNET_H */

/*
 * peerid.h — libp2p PeerIDs and the keys behind them (libp2p/specs
 * peer-ids/peer-ids.md).
 *
 * A PeerID is a multihash of a peer's marshalled public key (the protobuf
 * PublicKey of net/proto/keys.proto): the identity multihash when the
 * marshalled key is at most 42 bytes (Ed25519, secp256k1), sha2-256
 * otherwise (RSA, ECDSA).  Its text forms are the legacy bare base58btc
 * ("12D3KooW..." for Ed25519, "Qm..." for hashed keys) and a CIDv1 with the
 * libp2p-key codec (0x72) in any multibase, base32 ("bafz...") or base36
 * ("k51...") in practice.
 *
 * Pure computation over caller memory: no I/O; the string functions do not
 * allocate.  Inputs are untrusted and checked.
 */
#ifndef NET_PEERID_H
#define NET_PEERID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

/* Keys up to this many marshalled bytes are inlined (identity multihash). */
#define NET_PEERID_INLINE_MAX 42
/* Largest binary PeerID: an identity multihash of an inlined key (2 + 42);
 * a sha2-256 one is 34 bytes. */
#define NET_PEERID_MAX (2 + NET_PEERID_INLINE_MAX)
/* A buffer that holds any text form, with its NUL (base32 of a CIDv1 of
 * NET_PEERID_MAX bytes is the longest). */
#define NET_PEERID_STR_MAX 96

/* A PeerID: its binary form, the multihash.  A value type: copy it with
 * '=', compare with net_peerid_equal(). */
typedef struct net_peerid {
  uint8_t len;
  uint8_t bytes[NET_PEERID_MAX];
} net_peerid_t;

/* ---------------------------------------------------------- PeerID forms */

/* Take the binary PeerID b[0..n) (a multihash).  0, or TR_EPEERID: not one
 * multihash filling b exactly, a function other than identity and
 * sha2-256, a sha2-256 digest not 32 bytes, an identity digest over
 * NET_PEERID_INLINE_MAX bytes. */
int net_peerid_from_bytes(net_peerid_t *id, const uint8_t *b,
                          size_t n) TR_WUR;

/* Parse a text PeerID s[0..n): bare base58btc when it starts with "Qm" or
 * "1" (as go-libp2p decides), else a CIDv1 string whose codec must be
 * libp2p-key.  0, or TR_EPEERID (any malformation, including a CID of
 * another codec or version). */
int net_peerid_parse(net_peerid_t *id, const char *s, size_t n) TR_WUR;

/* Format id: base 0 writes the legacy base58btc form, a multibase prefix
 * character ('b', 'k', 'z', ...) the CIDv1 libp2p-key form in that base.
 * Returns the string length; TR_EBUFSIZE, TR_EBASE. */
int net_peerid_format(const net_peerid_t *id, char base, char *out,
                      size_t outsize) TR_WUR;

static inline bool net_peerid_equal(const net_peerid_t *a,
                                    const net_peerid_t *b) {
  for (size_t i = 0; a->len == b->len && i < a->len; i++)
    if (a->bytes[i] != b->bytes[i])
      return false;
  return a->len == b->len;
}

#endif /* NET_PEERID_H */

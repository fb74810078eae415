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
 * The keys: marshalling of PublicKey/PrivateKey (protobuf-c), PeerIDs of
 * keys of every type, Ed25519 signing and verification (libsodium), and
 * verification of RSA, secp256k1 and ECDSA signatures as go-libp2p checks
 * them (libcrypto, pkverify.c).
 *
 * Pure computation over caller memory: no I/O.  Only the unmarshal
 * functions allocate (protobuf-c's temporaries, through tr_malloc(), freed
 * before they return).  Inputs are untrusted and checked.
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

/* A set of PeerIDs, to report each peer once (a lookup's providers, the
 * merged answers of two DHTs).  Zero it to start; linear, for the tens to
 * hundreds of peers a lookup meets. */
typedef struct net_peerset {
  net_peerid_t *v;
  size_t n, cap;
} net_peerset_t;

/* Add id: true when it was not in s.  Out of memory it answers false as
 * for a peer already there: better not report one twice. */
bool net_peerset_add(net_peerset_t *s, const net_peerid_t *id);
void net_peerset_free(net_peerset_t *s);

/* ----------------------------------------------------------------- keys */

/* KeyType of keys.proto. */
enum {
  NET_KEY_RSA = 0,
  NET_KEY_ED25519 = 1,
  NET_KEY_SECP256K1 = 2,
  NET_KEY_ECDSA = 3,
};

/* Largest public key data kept: an RSA-8192 PKIX key (~1062 bytes), the
 * largest go-libp2p accepts, with room. */
#define NET_PUBKEY_MAX 1200
/* Largest marshalled PublicKey (type and length fields around the data). */
#define NET_PUBKEY_PB_MAX (NET_PUBKEY_MAX + 8)
/* A marshalled Ed25519 PrivateKey: 4 bytes of fields and 64 of key. */
#define NET_PRIVKEY_PB_LEN 68

/* RSA keys go-libp2p accepts (MinRsaKeyBits, maxRsaKeyBits): a signature
 * by a smaller or larger key does not verify. */
#define NET_RSA_MIN_BITS 2048
#define NET_RSA_MAX_BITS 8192

/* A public key of any type, as its PublicKey.Data bytes: Ed25519 the 32-byte
 * point, secp256k1 a 33-byte compressed point, RSA and ECDSA DER (PKIX).
 * Keys of every type verify signatures (net_verify); only Ed25519 keys
 * are made and sign here. */
typedef struct net_pubkey {
  int type;
  uint16_t len;
  uint8_t data[NET_PUBKEY_MAX];
} net_pubkey_t;

/* An Ed25519 private key in libsodium's form: the 32-byte seed followed by
 * the 32-byte public key, which is also the PrivateKey.Data that Kubo and
 * go-libp2p write.  Wipe it with sodium_memzero() when done. */
typedef struct net_privkey {
  uint8_t sk[64];
} net_privkey_t;

/* Decode a marshalled PublicKey b[0..n).  0, or TR_EKEY (not a PublicKey,
 * an unknown type, data of the wrong size for its type: Ed25519 32 bytes,
 * secp256k1 33 or 65, others 1..NET_PUBKEY_MAX), -ENOMEM. */
int net_pubkey_unmarshal(net_pubkey_t *k, const uint8_t *b, size_t n) TR_WUR;

/* Encode k as a PublicKey in the deterministic encoding the spec requires
 * (what protobuf-c writes).  Returns its length, or TR_EBUFSIZE
 * (NET_PUBKEY_PB_MAX always suffices). */
int net_pubkey_marshal(const net_pubkey_t *k, uint8_t *out,
                       size_t outsize) TR_WUR;

/* The PeerID of k: the identity multihash of its marshalled form when that
 * is at most NET_PEERID_INLINE_MAX bytes, else its sha2-256 multihash.
 * 0 or TR_EKEY. */
int net_peerid_from_pubkey(net_peerid_t *id, const net_pubkey_t *k) TR_WUR;

/* The public key inlined in id.  0; TR_EKEY when id is a hash (the key must
 * come from the peer, as in the Noise handshake) or does not hold a valid
 * PublicKey; -ENOMEM. */
int net_peerid_pubkey(const net_peerid_t *id, net_pubkey_t *k) TR_WUR;

/* Whether k is the key id names. */
bool net_peerid_matches(const net_peerid_t *id, const net_pubkey_t *k);

/* A fresh Ed25519 key from libsodium's generator.  0, or -EIO when libsodium
 * cannot start. */
int net_privkey_generate(net_privkey_t *k) TR_WUR;

/* The key of a 32-byte seed (RFC 8032's private key). */
void net_privkey_from_seed(net_privkey_t *k, const uint8_t seed[32]);

/* Decode a marshalled PrivateKey b[0..n): Ed25519 only, its Data 64 bytes
 * (seed and public key) or the 96-byte form old go-libp2p wrote (the
 * public key once more at the end).  The public half must be the one the
 * seed gives.  0, or TR_EKEY, -ENOMEM. */
int net_privkey_unmarshal(net_privkey_t *k, const uint8_t *b, size_t n) TR_WUR;

/* Encode k as a PrivateKey: NET_PRIVKEY_PB_LEN bytes into out, which must
 * hold that many. */
void net_privkey_marshal(const net_privkey_t *k,
                         uint8_t out[NET_PRIVKEY_PB_LEN]);

/* The public key of k. */
void net_privkey_pubkey(const net_privkey_t *k, net_pubkey_t *pk);

/* Sign msg[0..n) with k: a 64-byte Ed25519 signature into sig. */
void net_sign(const net_privkey_t *k, const uint8_t *msg, size_t n,
              uint8_t sig[64]);

/* Verify sig[0..siglen) over msg[0..n) with k, as go-libp2p does for its
 * type: Ed25519 (a 64-byte signature), RSA (PKCS#1 v1.5 with SHA-256, a
 * key of NET_RSA_MIN_BITS..NET_RSA_MAX_BITS), secp256k1 and ECDSA (DER
 * (r, s) over SHA-256 of msg; ECDSA on P-224/256/384/521).  0, TR_ESIG (a
 * bad signature, one of the wrong length or encoding), TR_EKEY (key data
 * that does not decode as its type's, an RSA key of another size, an
 * unknown type), -ENOMEM. */
int net_verify(const net_pubkey_t *k, const uint8_t *msg, size_t n,
               const uint8_t *sig, size_t siglen) TR_WUR;

/* --------------------------------------- private keys of every type */

/* Kubo's keystore holds keys of every type go-libp2p makes, not only
 * Ed25519: `key sign` signs with any of them (pksign.c, through
 * libcrypto), as go-libp2p's PrivKey.Sign does.  Such a key stays in its
 * marshalled PrivateKey form (what the keystore's file holds): its Data
 * is PKCS#1 DER for RSA, the 32-byte scalar for secp256k1, SEC1 DER for
 * ECDSA. */

/* Largest signature net_sign_any() writes: an RSA-8192 one (1024 bytes);
 * an ECDSA P-521 one is under 140. */
#define NET_SIG_MAX 1024
/* Largest marshalled PrivateKey taken (an RSA-8192 one is ~4.7 KiB). */
#define NET_PRIVKEY_ANY_MAX 16384

/* The public key of the marshalled PrivateKey b[0..n) of any type, as
 * go-libp2p's UnmarshalPrivateKey reads it (net_privkey_unmarshal() for
 * Ed25519; RSA of NET_RSA_MIN_BITS..NET_RSA_MAX_BITS, secp256k1 Data of 32
 * bytes, ECDSA on the curves net_verify() takes) and GetPublic() writes
 * it (RSA and ECDSA PKIX DER, secp256k1 compressed).  0; TR_EKEY (not
 * such a key), -ENOMEM. */
int net_privkey_any_pubkey(const uint8_t *b, size_t n,
                           net_pubkey_t *pk) TR_WUR;

/* Sign msg[0..mlen) with the marshalled PrivateKey b[0..n) of any type,
 * as go-libp2p signs with its type: Ed25519 as net_sign(), RSA
 * RSASSA-PKCS1-v1_5 with SHA-256, secp256k1 and ECDSA a DER (r, s) over
 * SHA-256 of msg.  The signature goes to sig[0..cap) (NET_SIG_MAX always
 * suffices).  Returns its length; TR_EKEY (as net_privkey_any_pubkey()),
 * TR_EBUFSIZE, -ENOMEM. */
int net_sign_any(const uint8_t *b, size_t n, const uint8_t *msg, size_t mlen,
                 uint8_t *sig, size_t cap) TR_WUR;

#endif /* NET_PEERID_H */

/*
 * net_int.h — what the files of net/ share and nothing else includes: the
 * protobuf-c allocator that routes through tr_malloc(), so that protobuf
 * decoding obeys the swappable allocator (and its failure tests); and
 * the signature check of the key types libcrypto verifies.
 */
#ifndef NET_INT_H
#define NET_INT_H

#include <openssl/evp.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

#include "peerid.h"

extern ProtobufCAllocator net__pb_mem;

/* pkverify.c: net_verify() for RSA, secp256k1 and ECDSA keys, through
 * libcrypto.  0, TR_ESIG, TR_EKEY (a key that does not decode, or one
 * go-libp2p refuses: RSA under NET_RSA_MIN_BITS or over NET_RSA_MAX_BITS,
 * another curve), -ENOMEM. */
int net__verify_evp(const net_pubkey_t *k, const uint8_t *msg, size_t n,
                    const uint8_t *sig, size_t siglen);

/* peerid.c: decode a marshalled PublicKey (priv false) or PrivateKey
 * b[0..n): its type (one of NET_KEY_*) and its Data, copied into
 * data[0..cap) (*len bytes; the decoder's copy is wiped).  0, TR_EKEY (not
 * such a message, an unknown type, empty Data or more than cap bytes),
 * -ENOMEM. */
int net__unpack_key(bool priv, const uint8_t *b, size_t n, int *type,
                    uint8_t *data, size_t cap, size_t *len);

/* pkverify.c: whether an EC key is on one of the NIST curves go-libp2p's
 * ECDSA keys may use (P-224, P-256, P-384, P-521). */
bool net__ecdsa_curve_ok(EVP_PKEY *key);

#endif /* NET_INT_H */

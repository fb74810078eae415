/*
 * net_int.h — what the files of net/ share and nothing else includes: the
 * protobuf-c allocator that routes through tr_malloc(), so that protobuf
 * decoding obeys the swappable allocator (and its failure tests); and
 * the signature check of the key types libcrypto verifies.
 */
#ifndef NET_INT_H
#define NET_INT_H

#include <protobuf-c/protobuf-c.h>

#include "peerid.h"

extern ProtobufCAllocator net__pb_mem;

/* pkverify.c: net_verify() for RSA, secp256k1 and ECDSA keys, through
 * libcrypto.  0, TR_ESIG, TR_EKEY (a key that does not decode, or one
 * go-libp2p refuses: RSA under NET_RSA_MIN_BITS or over NET_RSA_MAX_BITS,
 * another curve), -ENOMEM. */
int net__verify_evp(const net_pubkey_t *k, const uint8_t *msg, size_t n,
                    const uint8_t *sig, size_t siglen);

#endif /* NET_INT_H */

/*
 * keysign.h — Kubo's `key sign` and `key verify` (core/coreapi/key.go
 * Sign and Verify, core/commands/keystore.go) over the node's own key and
 * the keystore's (keystore.h): a signature over "libp2p-key signed
 * message:" + the data, so that a key's holder proves it holds the key
 * without the signature being good for anything else (an IPNS record, a
 * handshake).  The answers are Kubo's JSON, built here for both the CLI
 * and the RPC API:
 *
 *   sign    {"Key":{"Name","Id"},"Signature": base64url multibase}
 *   verify  {"Key":{"Name","Id"},"SignatureValid": bool}
 *
 * Id in the ipns-base asked for (dht_key_format_id(); NULL: base36).
 * Keys of every type sign and verify (net_sign_any(), net_verify()).
 * Blocking file reads (a key file): the daemon calls these on its loop,
 * as it does the keystore's.
 */
#ifndef DHT_KEYSIGN_H
#define DHT_KEYSIGN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "../net/peerid.h"

/* What is signed before the data (Kubo's signedMessagePrefix). */
#define DHT_KEYSIGN_PREFIX "libp2p-key signed message:"
/* The most data signed or verified at once.  Kubo reads any amount; the
 * whole message must be in memory (an Ed25519 signature is over all of
 * it), so trove bounds it. */
#define DHT_KEYSIGN_DATA_MAX (16u << 20)

/* Sign data[0..n) with key name: NULL, "" or "self" is self (the node's
 * own key; NULL when the node has none at hand), else a keystore key.  The
 * answer into *out (a new reference).  0; TR_ENOTFOUND (no such key),
 * TR_ETOOBIG (n over DHT_KEYSIGN_DATA_MAX), TR_EKEY, -ENOMEM, -errno; the
 * words to print (Kubo's where Kubo has them) in err. */
int dht_keysign_sign(const char *repo, const net_privkey_t *self,
                     const char *name, const char *base, const uint8_t *data,
                     size_t n, json_t **out, char *err, size_t errn) TR_WUR;

/* Verify sig (a multibase string) over data[0..n) with key: NULL, "" or
 * "self" (self, Name "self"), a keystore key (Name its name), else an IPNS
 * name or PeerID whose key it inlines (Name "").  A signature that does
 * not match answers SignatureValid false, except an RSA one, which is an
 * error as in go-libp2p ("crypto/rsa: verification error").  0 and *out;
 * TR_EUSAGE (sig not multibase), TR_ENOTFOUND (key is none of those),
 * TR_EKEY (a name whose key is not inlined), TR_ESIG (RSA), TR_ETOOBIG,
 * -ENOMEM, -errno; the words in err. */
int dht_keysign_verify(const char *repo, const net_privkey_t *self,
                       const char *key, const char *sig, const char *base,
                       const uint8_t *data, size_t n, json_t **out, char *err,
                       size_t errn) TR_WUR;

#endif /* DHT_KEYSIGN_H */

/*
 * keystore.h — the repo's IPNS keys besides the node's own ("self"), as
 * Kubo keeps them (boxo/keystore FSKeystore): one file per key in
 * $repo/keystore/, named "key_" + the unpadded lowercase base32 of the
 * key's name, holding the libp2p PrivateKey protobuf (what `ipfs key
 * export` writes).  A Kubo keystore folder copied into a trove repo is
 * read as it is, and the other way round.
 *
 * Files are written whole into a temporary file (mode 0600), synced, and
 * linked into place, so a key file is never seen half written and an
 * existing one is never overwritten by gen or import; the folder is 0700.
 *
 * Keys of every type go-libp2p has are kept, listed, imported and
 * exported (an RSA or secp256k1 key `ipfs key gen` made, copied or
 * imported), and `key sign` signs with them (keysign.h); but IPNS
 * records are signed with Ed25519 keys alone (dht_key_load(): any other
 * reads as TR_EKEYTYPE), and gen makes only those.
 *
 * The operations answer Kubo's error words (core/coreapi/key.go,
 * core/commands/keystore.go) in err, so that the CLI and the RPC API say
 * the same thing; err may be NULL.  Blocking file I/O: the daemon calls
 * these on its loop, which is fine for a few small files.
 */
#ifndef DHT_KEYSTORE_H
#define DHT_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/tr.h"
#include "../net/peerid.h"

/* Longest key name, in bytes: its file name ("key_" and 205 characters
 * of base32) stays under the 255 most file systems allow. */
#define DHT_KEY_NAME_MAX 128
/* Largest key file read (a PrivateKey of an RSA-8192 key is ~4.7 KiB). */
#define DHT_KEY_FILE_MAX 16384
/* The reserved name of the node's own key. */
#define DHT_KEY_SELF "self"

/* Decode a key file's bytes b[0..n) (the libp2p PrivateKey protobuf).  0,
 * TR_EKEYTYPE (a well-formed PrivateKey of another type), TR_EKEY
 * (anything else), -ENOMEM.  Untrusted input. */
int dht_key_file_parse(const uint8_t *b, size_t n, net_privkey_t *k) TR_WUR;

/* Whether name may name a key in the store: 1..DHT_KEY_NAME_MAX bytes,
 * none of them a control character.  0, or TR_EUSAGE with the reason in
 * err. */
int dht_key_name_check(const char *name, char *err, size_t errn) TR_WUR;

/* Read key name, an Ed25519 one.  0, TR_ENOTFOUND, TR_EKEYTYPE (a key of
 * another type), TR_EKEY (a bad file), TR_EUSAGE (a bad name), -errno. */
int dht_key_load(const char *repo, const char *name, net_privkey_t *k) TR_WUR;

/* Read key name of any type: the file's bytes (a marshalled PrivateKey,
 * net_privkey_any_pubkey() reads it) into buf, its public key into *pk.
 * Returns the length; TR_ENOTFOUND, TR_EKEY (not a key), TR_EUSAGE (a bad
 * name), -errno.  Wipe buf when done. */
int dht_key_load_file(const char *repo, const char *name,
                      uint8_t buf[DHT_KEY_FILE_MAX], net_pubkey_t *pk) TR_WUR;

/* Store k under a new name (gen and import): refused for "self", a bad
 * name, a name in use (TR_EEXIST).  0, TR_EUSAGE, TR_EEXIST, -errno. */
int dht_key_store(const char *repo, const char *name, const net_privkey_t *k,
                  char *err, size_t errn) TR_WUR;

/* Import the key file b[0..n) (what `ipfs key export` writes) under a
 * new name, as dht_key_store(): an Ed25519 key written in the 64-byte
 * form, a key of another type as it came once it decodes.  Its PeerID
 * into *id.  0, TR_EKEY (not a key go-libp2p reads), TR_EUSAGE,
 * TR_EEXIST, -ENOMEM, -errno. */
int dht_key_import(const char *repo, const char *name, const uint8_t *b,
                   size_t n, net_peerid_t *id, char *err,
                   size_t errn) TR_WUR;

/* Remove key name, its PeerID into *id.  0, TR_EUSAGE ("self"),
 * TR_ENOTFOUND, -errno. */
int dht_key_remove(const char *repo, const char *name, net_peerid_t *id,
                   char *err, size_t errn) TR_WUR;

/* Rename key from to to, its PeerID into *id; with force an existing key
 * named to is replaced (*overwritten set), else refused (TR_EEXIST).  The
 * same name twice changes nothing.  0, TR_EUSAGE, TR_ENOTFOUND, TR_EEXIST,
 * -errno. */
int dht_key_rename(const char *repo, const char *from, const char *to,
                   bool force, net_peerid_t *id, bool *overwritten, char *err,
                   size_t errn) TR_WUR;

/* One key of a listing. */
typedef struct dht_key_entry {
  char name[DHT_KEY_NAME_MAX + 1];
  net_peerid_t id;
} dht_key_entry_t;

/* The keys in the store ("self" is not among them), sorted by name; files
 * whose names or contents do not decode are left out, as boxo's List
 * skips them.  *out is tr_malloc()ed (free with tr_free()).  0 (no store
 * yet: 0 keys), -ENOMEM, -errno. */
int dht_key_list(const char *repo, dht_key_entry_t **out, size_t *n) TR_WUR;

/* Format id as `--ipns-base` and `id --peerid-base` name it (Kubo's
 * keyencode): "b58mh" or "v0" the bare base58btc multihash, a multibase
 * name or prefix ("base36", "k", "base32", "🚀": go-multibase's
 * EncoderByName) the libp2p-key CIDv1 in it.  The length, or TR_EBASE (an
 * unknown base, and identity: Kubo prints the raw bytes, NULs and all,
 * which no C string holds), TR_EBUFSIZE (base2 takes over
 * NET_PEERID_STR_MAX). */
int dht_key_format_id(const net_peerid_t *id, const char *base, char *out,
                      size_t outsize) TR_WUR;

#endif /* DHT_KEYSTORE_H */

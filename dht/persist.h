/*
 * persist.h — a DHT's state as bytes, so that the daemon can keep it in
 * the repo (LMDB's meta table) across restarts: the routing table's peers
 * with their addresses, and the provider and value records of its
 * in-memory store that have not expired.  Sans-I/O: the daemon decides
 * where and when the bytes go (a snapshot every few minutes and at
 * shutdown; loaded at start).
 *
 * Format: "TRDHT1\n", then entries: 1 (a table peer: peer), 2 (a provider
 * record: u16 key length, key, peer, u64 expiry), 3 (a value record: u16
 * key length, key, u32 value length, value, u64 expiry); a peer is u8 id
 * length, id, u8 address count, then u8 length and bytes for each;
 * integers little-endian; expiry in the DHT's now (wall-clock ms).
 */
#ifndef DHT_PERSIST_H
#define DHT_PERSIST_H

#include "dht.h"

/* Append d's state at now to out.  0, -ENOMEM, TR_EUSAGE (d's store is
 * not the in-memory one). */
int dht_persist_dump(dht_t *d, uint64_t now, tr_bytes_t *out) TR_WUR;

/* Restore what p[0..n) holds into d: table peers (through dht_add_peer,
 * so the scope's filter applies) and the records not expired at now.
 * Malformed input stops the load at the first bad entry (what came
 * before stays): returns the entries taken (>= 0) or TR_ECORRUPT for a
 * bad header. */
int dht_persist_load(dht_t *d, const uint8_t *p, size_t n, uint64_t now);

#endif /* DHT_PERSIST_H */

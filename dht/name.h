/*
 * name.h — the node's IPNS names: the last record each key signed, kept in
 * the repo ($repo/ipns-self.record for the node's own key,
 * $repo/ipns-<PeerID>.record for a keystore key, keystore.h) so that the
 * next one gets a higher sequence across restarts, and the signing of the
 * next (for `name publish`, and for the republisher, which re-signs the
 * same value before the record expires, as Kubo's does every
 * Ipns.RepublishPeriod); and the records `routing put` stored for other
 * names, which the republisher re-puts unchanged while they are valid.
 */
#ifndef DHT_NAME_H
#define DHT_NAME_H

#include <stdint.h>

#include "../common/tr.h"
#include "../net/peerid.h"

#define DHT_NAME_LIFETIME_NS (48ull * 3600 * 1000000000) /* Kubo's */
#define DHT_NAME_TTL_NS (5ull * 60 * 1000000000)         /* Kubo's */
#define DHT_NAME_REPUBLISH_MS (4ull * 3600 * 1000)       /* Kubo's */

/* The last record signed by the key id names (NULL: the node's own;
 * else a PeerID string, legacy base58btc), appended to out: 0,
 * TR_ENOTFOUND (none yet), -errno. */
int dht_name_last(const char *repo, const char *id, tr_bytes_t *out) TR_WUR;

/* Sign the next record with sk, whose name id is (as dht_name_last()): value (NULL: the last record's value; a path
 * such as "/ipfs/bafy..."), valid for lifetime_ns from now, with TTL
 * ttl_ns (capped to the lifetime), sequence the last one's plus one (0
 * for the first) or min_seq if that is higher; keep it in the repo
 * (written whole, then renamed) and append it to out.  0, TR_ENOTFOUND
 * (no value and no last record), the errors of dht_ipns_create(),
 * -errno. */
int dht_name_sign(const net_privkey_t *sk, const char *repo, const char *id,
                  const char *value, uint64_t lifetime_ns, uint64_t ttl_ns,
                  uint64_t min_seq, tr_bytes_t *out) TR_WUR;

/* The node's identity became the keystore key whose PeerID is id (key
 * rotate): the last record it signed is kept as that key's, so that the
 * old name's next record continues its sequence and the republisher
 * re-signs it with the key now in the keystore.  0 (none kept: nothing to
 * do), -errno. */
int dht_name_rekey(const char *repo, const char *id) TR_WUR;

/* ---------------------------------------------- records held for others */

/* Records `routing put` stored for a name: kept in the repo
 * ($repo/ipns-held-<PeerID>.record, the last one put for the name) so
 * that the republisher re-puts them as they are -- never re-signed: they
 * are not ours to sign -- until they expire, when they are dropped.  At
 * most DHT_NAME_HELD_MAX names. */
#define DHT_NAME_HELD_MAX 1024

/* Keep rec[0..n) as the record held for id (written whole, then renamed;
 * the one held before for id is replaced).  0; TR_ETOOBIG (n over
 * DHT_IPNS_RECORD_MAX, or DHT_NAME_HELD_MAX other names held already),
 * TR_EBUFSIZE, -errno. */
int dht_name_hold(const char *repo, const net_peerid_t *id,
                  const uint8_t *rec, size_t n) TR_WUR;

/* Call fn once per record held, with its name and bytes (valid for the
 * call), in no set order; files whose names or sizes are not a held
 * record's are skipped.  0 (none, or no repo), -errno (the directory
 * cannot be read). */
typedef void (*dht_name_held_fn)(void *ud, const net_peerid_t *id,
                                 const uint8_t *rec, size_t n);
int dht_name_held(const char *repo, dht_name_held_fn fn, void *ud) TR_WUR;

/* Stop holding id's record: 0, TR_ENOTFOUND, -errno. */
int dht_name_unhold(const char *repo, const net_peerid_t *id) TR_WUR;

#endif /* DHT_NAME_H */

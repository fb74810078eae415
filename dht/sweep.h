/*
 * sweep.h — the sweep reprovider: keeps a node's provider records alive
 * in the DHT by walking the keyspace region by region, free of I/O, on
 * top of dht.h.  Modelled on go-libp2p-kad-dht's provider.SweepingProvider
 * (Kubo 0.39+'s Provide.DHT.SweepEnabled), whose algorithm is:
 *
 *  - The keyspace (SHA-256 of each multihash, as the DHT places it) is cut
 *    into regions, each a bit prefix short enough that the DHT servers
 *    under it number at least k (replication factor): then the k closest
 *    peers to any key of the region are all inside the region, and one
 *    set of peers serves every key there.  The prefix length is estimated
 *    from a lookup of a random key (go's approxPrefixLen: the common
 *    prefix length of the k closest peers found, ~log2(N/k)).
 *  - A region is explored, not looked up key by key: GetClosestPeers
 *    lookups toward points of the region, each of which proves that every
 *    peer under the prefix its target shares with the farthest of the k
 *    peers found plus one bit is known (go's ShortestCoveredPrefix), until
 *    the known prefixes tile the region (go's closestPeersToPrefix/
 *    TrieGaps).  Too few peers under it: the region is widened to its
 *    parent prefix and explored on.  Then each key of the region gets an
 *    ADD_PROVIDER at the k peers closest to it among those found (go's
 *    AllocateToKClosest).  A region with at most two keys is cheaper done
 *    the plain way, one lookup per key (go's individualProvide).
 *  - Regions are scheduled across the reprovide interval (22 h) in
 *    keyspace order, so each is reprovided once per interval and the load
 *    is spread evenly over it (go's reprovideTimeForPrefix, without the
 *    XOR with our own key).  A region whose lookups reach nobody is
 *    retried every retry interval (5 min) until it succeeds (go's
 *    reprovideQueue and retryInterval).
 *
 *  What differs from go: keys are never held all at once.  The caller owns
 *  them (the daemon's blockstore) and hands them over a page at a time,
 *  region by region, in SHA-256 order, through dht_sweep_keys_fn; the
 *  reprovider keeps, per region in progress, one page of keys and the
 *  peers found (at most DHT_SWEEP_PEERS_MAX).  Nothing is persisted: after
 *  a restart a cycle begins again from the first region.  go also adds
 *  every key to the local provider store; that is left to the caller (an
 *  in-memory store of a million keys is itself ~150 MB, and the daemon
 *  knows its own blocks without it).  The ADD_PROVIDERs of a region go out one page per
 *  opts.pace_ms, as nothing acknowledges them (go sends them from a few
 *  workers, one message at a time per peer).
 *
 * Time and re-entrancy: as dht.h.  dht_sweep_tick() runs what is due and
 * returns when it wants the next call; lookups finishing (inside dht_*
 * calls) move regions on and call opts.wake when the next wanted time
 * moved earlier.  The reprovider must be freed before its dht_t.
 */
#ifndef DHT_SWEEP_H
#define DHT_SWEEP_H

#include "dht.h"

#define DHT_SWEEP_INTERVAL_MS (22ull * 3600 * 1000) /* Kubo's default */
#define DHT_SWEEP_RETRY_MS (5u * 60 * 1000)         /* go's retryInterval */
#define DHT_SWEEP_CONCURRENCY 4   /* regions in progress at once */
#define DHT_SWEEP_PAGE 256        /* keys asked of the caller at once */
#define DHT_SWEEP_PACE_MS 50      /* between two pages of a region */
#define DHT_SWEEP_PEERS_MAX 256   /* peers a region keeps */
#define DHT_SWEEP_LOOKUPS_MAX 32  /* exploration lookups a region (go: 64) */
#define DHT_SWEEP_RETRY_MAX 4096  /* failed regions waiting for a retry */
#define DHT_SWEEP_PREFIX_MAX 24   /* region prefix bits (go's maxPrefixSize) */
#define DHT_SWEEP_TARGET_BITS 20  /* lookup targets: bits matched by trial */
#define DHT_SWEEP_SMALL 2         /* keys a region provides one by one */
#define DHT_SWEEP_FULL_MS 100     /* a page's pause when the adapter is full */
#define DHT_SWEEP_MH_MAX 128      /* a key (multihash), bytes */

typedef struct dht_sweep dht_sweep_t;

typedef struct dht_sweep_key {
  uint8_t len;
  uint8_t mh[DHT_SWEEP_MH_MAX];
} dht_sweep_key_t;

/* The caller's keys.  Fill out[0..max) with the keys whose SHA-256 starts
 * with the first bits bits of prefix (bits 0: all keys) and is greater
 * than after (NULL: from the region's first), in increasing order of
 * SHA-256, and return how many (fewer than max: no more in the region);
 * or a negative error, and the region is retried later.  Keys outside
 * the region or out of order are skipped (counted in stats.keys_bad).
 * The daemon keeps an index by SHA-256 of the multihash for this (go's
 * keystore does the same); a small caller may scan. */
typedef int (*dht_sweep_keys_fn)(void *ud, const uint8_t prefix[32],
                                 unsigned bits, const uint8_t *after,
                                 dht_sweep_key_t *out, size_t max);

/* Keys held in memory (a one-shot sweep's, dht/batch.h), each with its
 * place in the keyspace: 101 bytes a key, for multihashes of digests up to
 * 64 bytes under a code of up to three bytes (blake2b-512's, the longest
 * Kubo makes by default; a longer blake3 output is not held this way). */
#define DHT_SWEEP_HKEY_MH 68
typedef struct dht_sweep_hkey {
  uint8_t h[32]; /* SHA-256 of the multihash */
  uint8_t len;
  uint8_t mh[DHT_SWEEP_HKEY_MH];
} dht_sweep_hkey_t;

/* Fill each v[i].h from its multihash, sort v by it and drop repeats:
 * the new count. */
size_t dht_sweep_hkeys_sort(dht_sweep_hkey_t *v, size_t n);
/* A dht_sweep_keys_fn's work over v[0..n) sorted by dht_sweep_hkeys_sort:
 * the region's keys after after, at most max; a binary search. */
int dht_sweep_hkeys_page(const dht_sweep_hkey_t *v, size_t n,
                         const uint8_t prefix[32], unsigned bits,
                         const uint8_t *after, dht_sweep_key_t *out,
                         size_t max);

typedef struct dht_sweep_opts {
  dht_sweep_keys_fn keys;
  /* Optional: the reprovider wants dht_sweep_tick() at at (absolute)
   * sooner than it last said.  Called from inside dht_* calls. */
  void (*wake)(void *ud, uint64_t at);
  void *ud;
  uint64_t interval_ms;  /* 0: DHT_SWEEP_INTERVAL_MS */
  uint32_t retry_ms;     /* 0: DHT_SWEEP_RETRY_MS */
  unsigned concurrency;  /* 0: DHT_SWEEP_CONCURRENCY */
  unsigned page;         /* 0: DHT_SWEEP_PAGE */
  uint32_t pace_ms;      /* 0: DHT_SWEEP_PACE_MS; UINT32_MAX: none */
  unsigned prefix_bits;  /* 0: estimated each cycle; else fixed (max 24) */
  unsigned k;            /* 0: DHT_K; as the dht_t's opts.k */
  /* false: each cycle's regions run back to back as fast as concurrency
   * allows (a burst, then idle until the next cycle); true (the daemon's
   * choice): region i of n is due at cycle start + interval * i / n. */
  bool spread;
  /* One cycle and no more (dht/batch.h: `routing provide` of many keys,
   * go's ProvideOnce): its failed regions are not retried (stats.cycle_keys
   * tells how many keys were provided), and once it is over - its
   * regions all done, or the estimation lookup reached nobody (then
   * stats.cycles stays 0) - done(ud) is called, once, from inside a
   * dht_* call or a tick: free the sweep later, from the loop. */
  bool once;
  void (*done)(void *ud);
} dht_sweep_opts_t;

/* 0, TR_EUSAGE (no keys function, prefix_bits over DHT_SWEEP_PREFIX_MAX,
 * page over 65536), -ENOMEM.  The first cycle starts at the first tick. */
int dht_sweep_new(dht_t *d, const dht_sweep_opts_t *o,
                  dht_sweep_t **out) TR_WUR;
/* Cancel the lookups in flight (no callbacks) and free. */
void dht_sweep_free(dht_sweep_t *s);
/* Free once its dht_t is gone (freed with the lookups): nothing to
 * cancel. */
void dht_sweep_forget(dht_sweep_t *s);

/* Run what is due at now: start the cycle, regions and retries, send the
 * next page of regions being sent.  Returns the time (absolute) it wants
 * the next call at, at the latest. */
uint64_t dht_sweep_tick(dht_sweep_t *s, uint64_t now);

/* Start a new cycle now (trove provide reprovide): the cycle in progress
 * is abandoned where it stands (its regions in progress finish). */
void dht_sweep_restart(dht_sweep_t *s, uint64_t now);

/* For trove provide stat.  Totals count since dht_sweep_new(); "cycle"
 * fields the cycle in progress (or the last, when idle). */
typedef struct dht_sweep_stats {
  uint64_t cycles;        /* completed */
  uint64_t cycle_start;   /* now of the current cycle's start; 0: none */
  uint64_t last_cycle_ms; /* duration of the last completed cycle */
  uint64_t last_cycle_end;
  unsigned prefix_bits;   /* of the current cycle's regions */
  uint64_t regions;       /* in the current cycle (2^prefix_bits) */
  uint64_t regions_done;  /* of the current cycle, finished: empty and
                           * failed ones included */
  uint64_t regions_failed; /* total: regions sent to the retry list */
  uint64_t regions_retried; /* total: retries started */
  uint32_t retry_pending;  /* now */
  uint32_t active;         /* regions in progress now */
  uint64_t cycle_keys;     /* keys provided in the current cycle */
  uint64_t keys;           /* total keys provided */
  uint64_t keys_bad;       /* total keys skipped (outside, out of order) */
  uint64_t lookups;        /* total lookups started */
  uint64_t lookups_failed; /* total lookups that reached nobody */
  uint64_t lookup_requests; /* total requests those lookups sent */
  uint64_t messages;       /* total ADD_PROVIDERs handed to the adapter */
  uint64_t send_pauses;    /* total: a page waited, the adapter full */
  uint64_t mem, mem_peak;  /* bytes the reprovider holds: now, at most */
} dht_sweep_stats_t;
void dht_sweep_stats(const dht_sweep_t *s, dht_sweep_stats_t *out);

#endif /* DHT_SWEEP_H */

/*
 * fetch.h — blocks the store lacks, from elsewhere: the interface through
 * which the gateway and the RPC API ask the node to fetch a block (or a
 * whole DAG) from the network.  Only the shape lives here; the daemon
 * implements it on bitswap (and HTTP retrieval) and hands it to the
 * services, so that they never name bitswap/ or net/ (as the gateway's
 * router, gateway/gw_routing.h).  A test hands them a fake.
 *
 * Threading: fetch and cancel run on the loop thread only, and done is
 * called there, never from inside fetch.
 *
 * Garbage collection: a fetched block is an ordinary unpinned block.  A
 * caller that must keep it (pin add) holds the GC lock shared from before
 * the fetch until its pin is written, as an import does.
 */
#ifndef BS_FETCH_H
#define BS_FETCH_H

#include <stdint.h>

#include "../dag/cid.h"

/* fetch()'s flags. */
enum {
  /* The whole DAG under cid: done once every block it links to (through
   * dag-pb and dag-cbor links, to any depth) is in the store. */
  BS_FETCH_DAG = 1,
  /* The caller will read the whole DAG under root (a CAR of it): fetch all
   * of it ahead of the reader, whatever its kind (without it only a file
   * is fetched ahead: a reader of one file of an archive must not fetch
   * the archive). */
  BS_FETCH_AHEAD = 2,
};

/* status: 0 once what was asked is in the store (a read transaction begun
 * after this call sees it); TR_ECID/TR_EHASH (a CID we can never verify);
 * TR_ELIMIT (too many fetches at once); -ECANCELED is never reported
 * (cancel is silent). */
typedef void (*bs_fetch_done_cb)(void *arg, int status);

typedef struct bs_fetcher {
  /* Fetch cid.  root (may be NULL or equal to cid): the DAG cid belongs to,
   * a hint: the fetcher fetches ahead in that DAG's order from cid on, so
   * that a sequential reader finds the next blocks arriving.  Returns a
   * non-zero handle, and done follows exactly once unless cancelled; 0 is
   * a failure now (no callback).  A fetch never gives up by itself: the
   * caller's deadline cancels it. */
  uint64_t (*fetch)(void *ud, const dag_cid_t *cid, const dag_cid_t *root,
                    unsigned flags, bs_fetch_done_cb done, void *arg);
  /* Stop a fetch: done will not be called.  Unknown handles are ignored. */
  void (*cancel)(void *ud, uint64_t handle);
  void *ud;
} bs_fetcher_t;

#endif /* BS_FETCH_H */

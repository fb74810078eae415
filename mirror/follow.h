/*
 * follow.h — mirrors that follow: keep, as local pins (mirror/pins.h),
 * what another party says should be kept.  Three kinds of follow:
 *
 *   MIR_FOLLOW_PSA   every pinned pin of another node's Pinning Service
 *                    API (a mir_psa_list_all walk, status=pinned), with
 *                    its origins and delegates as the local pin's origins
 *                    so that the engine connects to them before fetching;
 *   MIR_FOLLOW_IPNS  the last `keep` CIDs an IPNS name resolved to (the
 *                    newest first), through the resolver the daemon hands
 *                    in (mirror/ does not know the DHTs);
 *   MIR_FOLLOW_LIST  the CIDs of a text file, one a line ("CID [name]";
 *                    blank lines and #comments skipped), read at each sync.
 *
 * One sync (reconcile) per follow: the wanted set (CID -> name, origins)
 * against the local pin objects whose source is the follow's id.  A CID
 * wanted and not held becomes a queued pin (source = id) and the engine is
 * kicked; a held pin no longer wanted is marked missing (its time kept)
 * and deleted once grace_ms have passed with it still missing (one wanted
 * again is unmarked); a failed pin is queued again.  A wanted set that
 * could not be had whole (a service error, a bad line in the file, a name
 * that did not resolve) changes nothing: the error is kept for status.
 *
 * Storage: the named database "follow" of the repo's environment
 * (bs_db_open), keys one kind byte first, integers big-endian:
 *
 *   'F' id(4)              -> the follow, a JSON object (kind, source,
 *                             token, keep, versions[], last sync, error)
 *   'M' id(4) created(8)   -> since(8): a pin of the follow missing from
 *                             the wanted set since that time (us)
 *   'I'                    -> u32 the last id handed out
 *
 * so that follows and their state survive a restart: mir_follower_new
 * loads them and each is synced at once.  A PSA follow's token is kept as
 * given (the client needs it); the repo is the operator's.
 *
 * Threads: everything on the loop's thread.  Errors: 0 or negative TR_E*
 * (common/tr.h): TR_ENOTFOUND (no such follow), TR_EUSAGE (a bad source,
 * keep out of range), TR_EEXIST (already followed), TR_ELIMIT (past
 * MIR_FOLLOW_MAX), -ENOMEM, the store's own.
 */
#ifndef MIR_FOLLOW_H
#define MIR_FOLLOW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "pins.h"

#define MIR_FOLLOW_MAX 256                      /* follows in a repo */
#define MIR_FOLLOW_POLL_MS_DEFAULT 60000u       /* Mirror.Follow.Interval */
#define MIR_FOLLOW_GRACE_MS_DEFAULT 86400000u   /* Mirror.Follow.Grace */
#define MIR_FOLLOW_CONCURRENCY_DEFAULT 4u       /* syncs running at once */
#define MIR_FOLLOW_KEEP_DEFAULT 1u              /* IPNS versions kept */
#define MIR_FOLLOW_KEEP_MAX 64u
#define MIR_FOLLOW_SOURCE_MAX 2048u             /* URL, name or path */
#define MIR_FOLLOW_LIST_MAX (64u << 20)         /* bytes of a list file */
#define MIR_FOLLOW_WANT_MAX 10000000u           /* CIDs of one wanted set */
#define MIR_FOLLOW_ERR_MAX 256u                 /* last error kept */
#define MIR_FOLLOW_TICK_MS 1000u                /* the scheduler's tick */

enum { MIR_FOLLOW_PSA = 1, MIR_FOLLOW_IPNS = 2, MIR_FOLLOW_LIST = 3 };

/* "psa", "ipns", "list"; NULL for anything else. */
const char *mir_follow_kind_name(int kind);

/* The resolver's answer: status 0 with value the record's path
 * ("/ipfs/CID[/...]"), or an error (TR_ENOTFOUND: no record). */
typedef void (*mir_resolve_cb)(void *ud, int status, const char *value);

typedef struct mir_follow_opts {
  uint32_t poll_ms;      /* 0: MIR_FOLLOW_POLL_MS_DEFAULT */
  uint32_t grace_ms;     /* UINT32_MAX: the default; 0: delete at once */
  unsigned concurrency;  /* syncs at once; 0: the default */
  /* Resolve the IPNS name (a PeerID or libp2p-key CID, without /ipns/):
   * on_done once, from the loop, unless cancelled.  *op names the lookup
   * for cancel.  NULL: IPNS follows fail with -ENOTSUP. */
  int (*resolve)(void *rud, const char *name, mir_resolve_cb on_done,
                 void *ud, void **op);
  void (*resolve_cancel)(void *rud, void *op);
  void *rud;
  /* The clock, microseconds (tests); NULL: the wall clock. */
  uint64_t (*now_us)(void *cud);
  void *cud;
} mir_follow_opts_t;

typedef struct mir_follower mir_follower_t;

/* Open the "follow" database of st's environment, load the follows and
 * schedule a sync of each at once.  loop, st and eng (may be NULL: pins
 * are queued, nobody fetches) must outlive the follower. */
int mir_follower_new(uv_loop_t *loop, mir_store_t *st, mir_engine_t *eng,
                     const mir_follow_opts_t *o, mir_follower_t **out) TR_WUR;
/* Stop: running syncs are cancelled (their follows resume at the next
 * start); memory goes once the loop has closed the timer. */
void mir_follower_free(mir_follower_t *f);

/* Follow source: a Pinning Service API endpoint (with token), an IPNS name
 * ("/ipns/NAME" or NAME; keep versions, 0: the default) or a list file (an
 * absolute path).  The follow is stored and synced at once; *id (may be
 * NULL) gets its id. */
int mir_follow_add(mir_follower_t *f, int kind, const char *source,
                   const char *token, unsigned keep, uint32_t *id) TR_WUR;
/* Stop following id and delete its pin objects (their DAGs are unpinned
 * unless something else holds them).  *removed (may be NULL) counts them. */
int mir_follow_rm(mir_follower_t *f, uint32_t id, uint64_t *removed) TR_WUR;
/* Sync id now (0: every follow), unless it is syncing already. */
int mir_follow_sync(mir_follower_t *f, uint32_t id) TR_WUR;

/* Every follow as Kubo-style JSON: {"Follows":[{"ID","Kind","Source",
 * "Keep","Versions","LastSync" (RFC 3339 or ""),"Syncs","Syncing",
 * "Wanted","Queued","Pinning","Pinned","Failed","Missing","LastError"}]}
 * (never the token).  NULL on -ENOMEM. */
json_t *mir_follow_status(mir_follower_t *f);

#endif /* MIR_FOLLOW_H */

/*
 * pins.h — the mirror module: pins as the IPFS Pinning Service API sees
 * them (its PinStatus objects), the engine that turns a queued pin into a
 * pinned DAG, the API's bearer tokens and the HTTP API itself.  This header
 * is the manual of mirror/.
 *
 * The published spec is ipfs/pinning-services-api-spec,
 * ipfs-pinning-service.yaml (v1.0.0).  One pin object:
 *
 *   requestid  opaque string naming this object (MIR_REQID_LEN hex chars)
 *   status     queued | pinning | pinned | failed
 *   created    when it was queued (RFC 3339, microseconds here)
 *   pin        { cid, name, origins[], meta{} }
 *   delegates  multiaddrs of this node (filled at answer time, not stored)
 *   info       { string: string } (a failed pin's "reason" here)
 *
 * Storage (store.c, list.c): one named LMDB database, "mirror", in the
 * repo's environment (bs_db_open), so that a pin object and the recursive
 * pin (bs_pin_add) behind it commit in one transaction.  Keys, one byte of
 * kind first; all integers big-endian so that byte order is number order:
 *
 *   'R' created(8)               -> the record (the pin object, encoded)
 *   'S' status(1) created(8)     -> "" (listing by status, newest first)
 *   'C' cidlen(1) cid created(8) -> "" (the cid filter; "is this CID held
 *                                   by another pin object")
 *   'O' source(4) created(8)     -> "" (pins of one owner: the follower)
 *   'K' status(1) level(1) bucket(8) -> u64 (counters, below)
 *   'A' sha256(token)(32)        -> created(8) name (tokens.c)
 *   'N' name                     -> sha256(token) (tokens.c)
 *   'V'                          -> u32 schema of this database
 *   'L'                          -> u64 the last created handed out
 *
 * created is unique in a store: microseconds since the epoch, and one more
 * than the last when the clock has not moved (or went back).  So a record
 * is keyed by it, the requestid carries it (16 hex digits of created, then
 * 16 of random bits, which a lookup checks: an id cannot be guessed from
 * another), and before/after pagination is exact: no two pins share a
 * timestamp to be skipped or repeated at a page's edge.
 *
 * Counting: PinResults.count is the number of pins matching the query
 * without its limit, and clients (Kubo's) page with before= until count
 * equals what a page returned, so count is asked for on every page of a
 * million-pin listing.  For a query on status and time only it comes from
 * counters kept by every write: per status, per bucket of created at
 * three levels (2^36, 2^26 and 2^16 us), so a count below a time sums at
 * most ~2x1024 counters plus the pins of one 65 ms bucket.  Other filters
 * (cid, name, meta, source) count by scanning what the query selects.
 *
 * Transactions: every function here that takes a bs_txn_t runs in it and
 * nothing else (the caller commits); a write needs a write transaction.
 * Views (mir_pin_t's pointers) returned by a read stay valid until the
 * transaction ends.
 *
 * Errors: 0 or a negative TR_E* (common/tr.h): TR_ENOTFOUND (no such pin,
 * token), TR_EUSAGE (an argument out of range), TR_ETOOBIG (a field past its
 * cap), -ENOMEM, and the blockstore's own (TR_ESTORE, TR_EMAPFULL).
 */
#ifndef MIR_PINS_H
#define MIR_PINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "../blockstore/bs.h"
#include "../blockstore/fetch.h"
#include "../http/http.h"

/* ---------------------------------------------------------------- caps */

#define MIR_REQID_LEN 32        /* hex chars of a requestid */
#define MIR_NAME_MAX 255        /* spec: Pin.name maxLength 255 */
#define MIR_ORIGINS_MAX 20      /* spec: Pin.origins maxItems 20 */
#define MIR_DELEGATES_MAX 20    /* spec: Delegates maxItems 20 */
#define MIR_CIDS_MAX 10         /* spec: the cid filter, maxItems 10 */
#define MIR_LIMIT_MAX 1000      /* spec: limit maximum 1000 */
#define MIR_LIMIT_DEFAULT 10    /* spec: limit default 10 */
#define MIR_JSON_MAX 16384      /* bytes of each of origins, meta, info */
#define MIR_BODY_MAX (64u << 10) /* a request body past this gets 413 */

/* ------------------------------------------------------------- statuses */

enum {
  MIR_QUEUED = 0,
  MIR_PINNING = 1,
  MIR_PINNED = 2,
  MIR_FAILED = 3,
  MIR_NSTATUS = 4,
};
/* Masks of statuses, as a query takes them. */
#define MIR_ST(s) (1u << (s))
#define MIR_ST_ALL 0xfu

/* "queued" ... for a status; NULL for one out of range. */
const char *mir_status_name(int status);
/* The status named by s[0..n), or -1. */
int mir_status_parse(const char *s, size_t n);

/* Who made a pin: MIR_SRC_API for the Pinning Service API (and the CLI),
 * or the id (> 0) of a mirror follow (the follower keeps its pins apart
 * with it; ids are the follower's to hand out). */
#define MIR_SRC_API 0u

/* Record flags. */
enum {
  /* The CID was pinned recursively already (by pin add, another tool)
   * when this object was pinned: deleting the object leaves that pin. */
  MIR_F_KEEP = 1,
};

/* ----------------------------------------------------------- the object */

typedef struct mir_pin {
  char requestid[MIR_REQID_LEN + 1];
  uint64_t created;        /* microseconds since the epoch, unique */
  int status;              /* MIR_QUEUED ... */
  uint32_t source;         /* MIR_SRC_API or a follow id */
  uint32_t flags;          /* MIR_F_* */
  dag_cid_t cid;
  /* Views (not NUL-terminated; NULL/0 when absent): the caller's on a
   * write, into the map on a read (valid until the transaction ends).
   * origins is a JSON array of multiaddr strings, meta and info JSON
   * objects of strings, as the API received or the engine wrote them:
   * the store keeps them as text and does not re-check them. */
  const char *name;
  size_t name_len;
  const char *origins;
  size_t origins_len;
  const char *meta;
  size_t meta_len;
  const char *info;
  size_t info_len;
} mir_pin_t;

/* ----------------------------------------------------------------- store */

typedef struct mir_store mir_store_t;

/* Open (creating when the repo is writable) the "mirror" database of env.
 * One per environment, shared by threads (it holds only handles).  env
 * must outlive it.  Errors: TR_ENOTFOUND (a read-only repo that has never
 * had one: nothing to list), TR_ESCHEMA (written by a newer trove). */
int mir_store_open(bs_env_t *env, mir_store_t **st) TR_WUR;
void mir_store_close(mir_store_t *st);
bs_env_t *mir_store_env(const mir_store_t *st);

/* Add a pin object: p->cid, name, origins, meta and source are the
 * caller's; this sets p->requestid, p->created and p->status (queued),
 * and writes info as given (usually none).  Errors: TR_ETOOBIG (name past
 * MIR_NAME_MAX, a JSON text past MIR_JSON_MAX). */
int mir_pin_add(mir_store_t *st, bs_txn_t *txn, mir_pin_t *p) TR_WUR;

/* Read the pin object named by requestid (a NUL-terminated string).
 * TR_ENOTFOUND for an unknown or malformed one. */
int mir_pin_get(mir_store_t *st, bs_txn_t *txn, const char *requestid,
                mir_pin_t *out) TR_WUR;

/* Change a pin object's status, and its info (info NULL: keep it; "" with
 * len 0: drop it), and its flags (flags_set ORed in).  Indexes and
 * counters follow.  TR_ENOTFOUND. */
int mir_pin_set_status(mir_store_t *st, bs_txn_t *txn, const char *requestid,
                       int status, const char *info, size_t info_len,
                       uint32_t flags_set) TR_WUR;

/* Remove a pin object.  When it was pinned, no other pin object (of any
 * source) holds the same CID and it does not carry MIR_F_KEEP, its
 * recursive pin is removed too (bs_pin_rm; one already gone is no error),
 * so GC may take the DAG.  *unpinned (may be NULL) tells whether it was.
 * TR_ENOTFOUND. */
int mir_pin_del(mir_store_t *st, bs_txn_t *txn, const char *requestid,
                bool *unpinned) TR_WUR;

/* Replace: add p (as mir_pin_add: a new requestid, queued) and remove the
 * object old names, in one transaction.  The old one's recursive pin is
 * kept when p has the same CID (the spec's reason for replace: no GC of
 * what both hold), else removed as mir_pin_del does.  TR_ENOTFOUND (old
 * unknown: nothing is added). */
int mir_pin_replace(mir_store_t *st, bs_txn_t *txn, const char *old,
                    mir_pin_t *p) TR_WUR;

/* Whether a pin object other than except (may be NULL) holds cid: 1, 0. */
int mir_cid_held(mir_store_t *st, bs_txn_t *txn, const dag_cid_t *cid,
                 const char *except) TR_WUR;

/* Pins per status (out[MIR_NSTATUS]), from the counters: constant time. */
int mir_pin_counts(mir_store_t *st, bs_txn_t *txn,
                   uint64_t out[MIR_NSTATUS]) TR_WUR;

/* -------------------------------------------------------------- queries */

enum {
  MIR_MATCH_EXACT = 0,    /* spec TextMatchingStrategy, default exact */
  MIR_MATCH_IEXACT = 1,
  MIR_MATCH_PARTIAL = 2,
  MIR_MATCH_IPARTIAL = 3,
};

typedef struct mir_query {
  dag_cid_t cids[MIR_CIDS_MAX]; /* ncids 0: any CID */
  size_t ncids;
  const char *name;       /* NULL: any; NUL-terminated */
  int match;              /* MIR_MATCH_*, for name */
  unsigned statuses;      /* mask of MIR_ST(s); 0 means MIR_ST_ALL */
  uint64_t before, after; /* created < before / > after; 0: no bound */
  /* A JSON object of strings: a pin matches when its meta has every key
   * with the same value (the spec's subset match).  NULL: any. */
  const char *meta;
  size_t meta_len;
  int64_t source;         /* -1: any; else only pins of that source */
} mir_query_t;

/* A query that matches every pin (statuses all, no bounds, source -1). */
void mir_query_init(mir_query_t *q);

/* Listing, newest first (created descending, the spec's order), resumable
 * across transactions: the state holds the query and the position (the
 * created of the last pin returned), never views into the map, so each
 * call may run in a fresh short read transaction.  A pin added or removed
 * between calls is seen or not as its position says (newer than the
 * position: not listed).  Memory is the query's, whatever the store's
 * size.  Not thread-safe: one thread at a time per object.
 * mir_list_new copies q (meta too).  -ENOMEM, TR_EUSAGE (meta that is not a
 * JSON object of strings). */
typedef struct mir_list mir_list_t;
int mir_list_new(mir_store_t *st, const mir_query_t *q,
                 mir_list_t **l) TR_WUR;
/* The next matching pin into *out (views valid until txn ends): 1, or 0
 * at the end, or an error. */
int mir_list_next(mir_list_t *l, bs_txn_t *txn, mir_pin_t *out) TR_WUR;
void mir_list_free(mir_list_t *l);

/* The number of pins matching q (no limit): from the counters when q
 * filters on statuses and time only, else by a scan of what q selects. */
int mir_count(mir_store_t *st, bs_txn_t *txn, const mir_query_t *q,
              uint64_t *n) TR_WUR;

/* Whether p matches q (every filter but the order). */
bool mir_query_match(const mir_query_t *q, const mir_pin_t *p);

/* ------------------------------------------------------ text <-> values */

/* created as RFC 3339 UTC with microseconds ("2024-01-02T03:04:05.123456Z")
 * into buf (>= 32 bytes).  Returns the length. */
size_t mir_time_fmt(uint64_t created, char *buf, size_t cap);
/* Parse an RFC 3339 date-time (any offset, any fraction digits: beyond
 * microseconds truncated) into microseconds.  TR_EUSAGE. */
int mir_time_parse(const char *s, size_t n, uint64_t *us) TR_WUR;

/* ----------------------------------------------------------------- tokens */

/* Bearer tokens of the API.  A token is "trove_" and 43 base64url
 * characters (32 random bytes); only its SHA-256 is stored, with a name
 * (unique) and when it was made.  It is shown once, by mir_token_add. */
#define MIR_TOKEN_LEN 49
#define MIR_TOKEN_NAME_MAX 64

/* Make a token named name (NULL or "": "token-<n>") into out; the name
 * used goes to name_out (>= MIR_TOKEN_NAME_MAX + 1 bytes, may be NULL).
 * TR_EEXIST (the name is taken), TR_EUSAGE (a name with bytes outside
 * [A-Za-z0-9._-] or too long). */
int mir_token_add(mir_store_t *st, bs_txn_t *txn, const char *name,
                  char out[MIR_TOKEN_LEN + 1], char *name_out) TR_WUR;
/* Revoke the token named name.  TR_ENOTFOUND. */
int mir_token_rm(mir_store_t *st, bs_txn_t *txn, const char *name) TR_WUR;
typedef int (*mir_token_cb)(const char *name, uint64_t created_s, void *ud);
/* Every token's name and creation time (unix seconds), by name. */
int mir_token_ls(mir_store_t *st, bs_txn_t *txn, mir_token_cb cb,
                 void *ud) TR_WUR;
/* 0 when tok[0..n) is a live token, TR_ENOTFOUND when not (compared as
 * hashes, so in time independent of the secret). */
int mir_token_check(mir_store_t *st, bs_txn_t *txn, const char *tok,
                    size_t n) TR_WUR;

/* ----------------------------------------------------------------- engine */

/* The pin engine, on the daemon's loop: takes queued pins (oldest first),
 * marks them pinning, fetches each whole DAG through the fetcher
 * (BS_FETCH_DAG) holding the gc lock shared, then pins it recursively and
 * marks it pinned in one transaction; a fetch that gains no block for
 * stall_ms, or a DAG that cannot be pinned, marks it failed with
 * info.reason.  At most concurrency pins are fetched at once.  At start a
 * pin left pinning by a stopped daemon is queued again.  Pins already
 * complete in the store are pinned without fetching. */
#define MIR_CONCURRENCY_DEFAULT 8
#define MIR_CONCURRENCY_MAX 256
#define MIR_STALL_MS_DEFAULT 120000u

typedef struct mir_engine mir_engine_t;
typedef struct mir_engine_opts {
  unsigned concurrency;  /* 0: MIR_CONCURRENCY_DEFAULT */
  uint32_t stall_ms;     /* 0: MIR_STALL_MS_DEFAULT */
  /* Called on the loop for origins of a pin before its fetch (a multiaddr
   * string each, NUL-terminated): the daemon connects to them.  May be
   * NULL. */
  void (*connect)(void *ud, const char *maddr);
  void *ud;
} mir_engine_opts_t;

/* fetcher may be NULL (offline: only what the store has is pinned, the
 * rest fails at once).  loop, st and fetcher must outlive the engine.
 * -ENOMEM, a store error. */
int mir_engine_new(uv_loop_t *loop, mir_store_t *st,
                   const bs_fetcher_t *fetcher, const mir_engine_opts_t *o,
                   mir_engine_t **out) TR_WUR;
/* Something was queued: look for work (cheap; callers call it after every
 * add/replace they commit). */
void mir_engine_kick(mir_engine_t *e);
/* Pins being fetched now, and pins finished since start (pinned, failed). */
void mir_engine_stats(const mir_engine_t *e, unsigned *active,
                      uint64_t *pinned, uint64_t *failed);
/* Cancel running fetches (their pins stay pinning in the store and are
 * resumed by the next engine) and free, once the loop has closed the
 * engine's handles: run the loop after this until they are. */
void mir_engine_free(mir_engine_t *e);

/* ------------------------------------------------------------------ api */

/* The HTTP side: GET/POST /pins, GET/POST/DELETE /pins/{requestid}, with
 * the spec's status codes and Failure bodies ({"error":{"reason",
 * "details"}}).  Every request needs "Authorization: Bearer <token>" of a
 * live token: otherwise 401 and nothing else.  Listing answers stream
 * from the worker pool (http/stream.h).  delegates: this node's
 * multiaddrs with /p2p/<id> (copied; up to MIR_DELEGATES_MAX). */
typedef struct mir_api mir_api_t;
int mir_api_new(mir_store_t *st, mir_engine_t *eng, const char *const *delegates,
                size_t ndelegates, mir_api_t **out) TR_WUR;
void mir_api_free(mir_api_t *a);
/* true when req's path is the API's (/pins, /pins/...): it has been
 * answered (or is being); false: not ours, untouched. */
bool mir_api_handle(mir_api_t *a, http_req_t *req);
/* An http_handler_fn for a listener of its own: the API, else 404. */
void mir_api_serve(http_req_t *req, void *a);

#endif /* MIR_PINS_H */

/*
 * scrub.h — the scrubber: a background pass over the repo that rehashes
 * every stored block at a configured rate and checks that every block of
 * every pinned DAG is there, and the repair of what it finds: a block
 * whose bytes do not hash to its key (corrupt) is removed, and a block a
 * pinned DAG needs that is not in the store (missing, or removed as
 * corrupt) is fetched again through the fetcher the daemon hands in
 * (blockstore/fetch.h: bitswap, which asks the peers the node is
 * connected to - the mirrors it follows among them - first).  Every
 * finding and every repair is logged with its CID and counted.
 *
 * A pass has three phases:
 *   hash  the blocks in key order, a chunk (at most MIR_SCRUB_CHUNK_BLOCKS
 *         blocks, and bytes for a quarter of a second at the rate) per
 *         short read transaction (bs_verify_from), paced to the rate in
 *         bytes per second.  A corrupt block is removed at once (in a
 *         write transaction of its own, bs_drop_corrupt) and a walk of the
 *         pins (below) runs next, so that a pinned one is refetched within
 *         seconds rather than at the end of the pass.
 *   refs  the filestore's references (blockstore/bs.h, `add --nocopy`),
 *         each read from its file and rehashed, paced as the hash phase.
 *         A reference whose file now holds other bytes is removed as a
 *         corrupt block is (the walk then refetches the block, stored
 *         this time); one whose file cannot be read (gone, unmounted,
 *         unreadable) is logged and counted as unreadable, and kept: the
 *         file may come back, and refetching a whole archive because a
 *         disk is not mounted would fill the repo (`filestore verify
 *         --remove-bad-blocks` removes such references by hand).
 *   walk  every direct and recursive pin's DAG through the links index
 *         (bs_walk: no block is read), MIR_SCRUB_WALK_STEPS blocks per read
 *         transaction, not paced (index lookups only); each block that is
 *         not in the store, while its pin still exists, is a finding and a
 *         repair.
 * Why removal before refetch: the fetcher fetches what the store lacks,
 * and the writer never overwrites a block; and why the walk refetches
 * rather than the hash phase: the store is keyed by multihash and does
 * not know a block's codec, which the parent's link gives (a dag-pb block
 * fetched as raw would lose its links index entry, and GC its children).
 * A corrupt block no pin reaches is removed and not fetched again.
 *
 * Resumable: the pass's state (pass number, phase, the hash phase's
 * cursor - the last key hashed -, counts) is saved in the repo's meta
 * table under MIR_SCRUB_META_KEY every MIR_SCRUB_SAVE_MS, at the end of a
 * pass and at close; a restarted daemon continues where it stopped (a
 * walk in progress starts over: it reads only the index).
 *
 * Threads: the passes run on a thread of the scrubber's own (a chunk of
 * hashing is milliseconds to seconds of CPU: not for the loop, nor for
 * libuv's small shared pool), which holds at most one transaction at a
 * time and none while it waits.  Repairs run on the loop: the thread
 * queues findings (at most MIR_SCRUB_QUEUE_MAX waiting; beyond that they
 * are counted and found again by the next pass) and wakes the loop; each
 * repair is a fetch with a deadline (fetch_timeout_ms), at most
 * MIR_SCRUB_FETCH_MAX at once, retried after retry_ms doubling up to
 * MIR_SCRUB_RETRY_MAX_MS, and given up after MIR_SCRUB_TRIES attempts
 * (the next pass finds it again).  All functions below are called on the
 * loop thread.
 *
 * Peers: fetch.h has no way to name the peers to ask; bitswap asks every
 * connected peer (the followed mirrors are connected) before it searches
 * the DHTs, which is "other mirrors first" as far as the interface goes.
 *
 * The sans-I/O core (scrub_core.c: one step at a time in a transaction of
 * its own, the time passed in) is what tests drive with a simulated clock:
 * scrub_int.h.
 */
#ifndef MIRROR_SCRUB_H
#define MIRROR_SCRUB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../blockstore/bs.h"
#include "../blockstore/fetch.h"

/* Blocks hashed per read transaction, at most. */
#define MIR_SCRUB_CHUNK_BLOCKS 1024u
/* Bytes hashed per read transaction: a quarter second at the rate, within
 * these bounds. */
#define MIR_SCRUB_CHUNK_MIN (256u << 10)
#define MIR_SCRUB_CHUNK_MAX (16u << 20)
/* Blocks of pinned DAGs looked up per read transaction in the walk. */
#define MIR_SCRUB_WALK_STEPS 4096u
/* Findings waiting for the loop. */
#define MIR_SCRUB_QUEUE_MAX 4096u
/* Repairs (waiting or fetching) kept at once; more wait for the next pass. */
#define MIR_SCRUB_REPAIR_MAX 65536u
/* Repair fetches in flight at once. */
#define MIR_SCRUB_FETCH_MAX 16u
/* Attempts of one repair before it waits for the next pass. */
#define MIR_SCRUB_TRIES 8u
/* Repairs remembered for the status page (the newest ones). */
#define MIR_SCRUB_RECENT 32u
/* Defaults and bounds of the retry delay and the fetch deadline. */
#define MIR_SCRUB_RETRY_MS 30000u
#define MIR_SCRUB_RETRY_MAX_MS (3600u * 1000u)
#define MIR_SCRUB_FETCH_TIMEOUT_MS 120000u
/* How often the cursor is saved during a pass. */
#define MIR_SCRUB_SAVE_MS 5000u
/* Where the state lives in the meta table. */
#define MIR_SCRUB_META_KEY "mirror.scrub"

typedef struct mir_scrub mir_scrub_t;

typedef struct mir_scrub_cfg {
  uint64_t rate;        /* bytes hashed per second (Mirror.Scrub.Rate);
                           0: no scrubber (mir_scrub_new refuses it) */
  uint64_t interval_ms; /* from the start of a pass to the start of the
                           next (Mirror.Scrub.Interval); 0: passes start
                           only by mir_scrub_start (a pass cut by a stop
                           is still resumed) */
  uint32_t retry_ms;    /* first retry of a failed repair; 0: default */
  uint32_t fetch_timeout_ms; /* one repair fetch's deadline; 0: default */
} mir_scrub_cfg_t;

typedef enum {
  MIR_SCRUB_IDLE = 0, /* between passes */
  MIR_SCRUB_HASH = 1,
  MIR_SCRUB_WALK = 2,
  MIR_SCRUB_REFS = 3, /* between hash and walk (numbered after them: the
                         saved state's values stay) */
} mir_scrub_phase_t;

/* What status and metrics show.  The *_total counters count since the
 * scrubber started (Prometheus counters); the pass_* values belong to
 * the pass in progress (or the last one, when idle), restored across
 * restarts. */
typedef struct mir_scrub_stats {
  uint64_t rate, interval_ms;
  uint64_t pass;           /* the current or last pass, from 1; 0: none */
  mir_scrub_phase_t phase;
  uint64_t pass_blocks;    /* blocks hashed in this pass */
  uint64_t pass_bytes;
  uint64_t pass_corrupt;   /* corrupt blocks found in this pass */
  uint64_t pass_missing;   /* missing blocks of pinned DAGs, this pass */
  uint64_t pass_unreadable; /* filestore references whose file cannot be
                               read, this pass */
  uint64_t store_blocks;   /* blocks in the store when last looked */
  double cursor_pct;       /* hash phase: pass_blocks of store_blocks */
  uint64_t started_unix, finished_unix; /* this pass; the last one done */
  uint64_t next_unix;      /* when the next pass starts (0: on request) */
  uint64_t passes_total;   /* passes finished */
  uint64_t blocks_total, bytes_total;
  uint64_t corrupt_total, missing_total, unreadable_total;
  uint64_t repaired_total;     /* blocks fetched again */
  uint64_t repair_failed_total; /* fetch attempts that failed or timed out */
  uint64_t repair_gaveup_total; /* repairs left to the next pass */
  uint64_t repairs_pending;    /* waiting or fetching now */
  uint64_t dropped_total;      /* findings over the queue caps */
  uint64_t errors_total;       /* store errors that cut a step */
} mir_scrub_stats_t;

/* Start the scrubber over env (and its thread), repairing through fetcher
 * (NULL: findings are only logged and counted).  The loop, env and fetcher
 * must outlive it.  Loads the saved state: a pass that was cut resumes at
 * once, the next one starts interval_ms after the last one started.
 * Errors: TR_EUSAGE (rate 0), -ENOMEM, libuv's and pthread's (negative). */
int mir_scrub_new(uv_loop_t *loop, bs_env_t *env, const bs_fetcher_t *fetcher,
                  const mir_scrub_cfg_t *cfg, mir_scrub_t **out) TR_WUR;

/* Begin a pass now.  0, or -EBUSY while one runs. */
int mir_scrub_start(mir_scrub_t *s) TR_WUR;

/* A consistent copy of the counters. */
void mir_scrub_stats(mir_scrub_t *s, mir_scrub_stats_t *st);

/* The stats as the API answers /api/v0/mirror/scrub/status (a new
 * reference; NULL on out-of-memory): {"Enabled": true, "Pass": 3,
 * "Phase": "hash", "Blocks": ..., "Bytes": ..., "CursorPercent": 41.2,
 * "Corrupt": ..., "Missing": ..., "Repaired": ..., ...}.  s may be NULL:
 * {"Enabled": false}. */
json_t *mir_scrub_json(mir_scrub_t *s);

/* The last MIR_SCRUB_RECENT repairs, newest first (a new reference; NULL
 * on out-of-memory): [{"time": unix ms, "cid": the block, "root": the
 * pinned DAG, "what": "corrupt" | "missing"}].  On the loop.  s may be
 * NULL: []. */
json_t *mir_scrub_recent_json(mir_scrub_t *s);

/* Stop: the thread ends after its current step and the state is saved,
 * repairs in flight are cancelled, and the scrubber is freed once its
 * handles have closed (run the loop).  NULL is ignored. */
void mir_scrub_close(mir_scrub_t *s);

/* Mirror.Scrub.Rate as written in the config: an integer (bytes per
 * second) or a string "50MiB", "8 MB/s", "1GiB" (B, kB/KB, KiB, MB, MiB,
 * GB, GiB; an optional "/s").  0 or TR_ECONFIG. */
int mir_scrub_parse_rate(const char *s, uint64_t *rate) TR_WUR;

#endif /* MIRROR_SCRUB_H */

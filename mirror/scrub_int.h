/*
 * scrub_int.h — the scrubber's sans-I/O core (scrub_core.c), which
 * scrub.c runs on its thread and tests/test_mir_scrub.c drives with a
 * simulated clock: no thread, no timer, no clock of its own; each step
 * opens and ends its own transactions in the env it is given.
 */
#ifndef MIRROR_SCRUB_INT_H
#define MIRROR_SCRUB_INT_H

#include "scrub.h"

/* What a step found: a corrupt block or filestore reference (removed
 * already; root unset), or a block of the pinned DAG under root that is
 * not in the store (corrupt set when it is one the hash or refs phase
 * removed). */
typedef struct mir__finding {
  dag_cid_t cid, root;
  bool corrupt;
} mir__finding_t;

/* Called for each finding, from inside the step (no transaction open). */
typedef void (*mir__found_cb)(void *ud, const mir__finding_t *f);

/* The saved part of the state (MIR_SCRUB_META_KEY). */
typedef struct mir__scrub_state {
  uint64_t pass;
  mir_scrub_phase_t phase;
  uint8_t key[BS_KEY_MAX]; /* the hash phase's cursor: last key hashed */
  size_t key_len;
  uint64_t blocks, bytes, corrupt, missing; /* this pass */
  uint64_t unreadable; /* filestore references, this pass */
  uint64_t started_ms, finished_ms; /* this pass; the last one done */
} mir__scrub_state_t;

typedef struct mir__core {
  mir__scrub_state_t st;
  uint64_t rate;
  uint64_t next_ms;  /* the hash phase may go on at this time */
  /* The walk: pins collected when it started (binary CIDs, each after a
   * byte of length and a byte of pin type), the one being walked. */
  bool walk_due;     /* a corrupt block was removed: walk before more */
  bool walking;
  tr_bytes_t pins;
  size_t pin_off;
  bs_walk_t *w;
  dag_cid_t root;
  tr_fpset_t dropped; /* removed as corrupt in this pass */
  tr_fpset_t reported; /* missing blocks reported in this pass (a pass
                          may walk twice: each is reported once) */
  uint64_t store_blocks;
  mir__found_cb found;
  void *ud;
} mir__core_t;

/* A fresh core at rate bytes/s (> 0), reporting to found. */
void mir__core_init(mir__core_t *c, uint64_t rate, mir__found_cb found,
                    void *ud);
void mir__core_free(mir__core_t *c);

/* Begin a pass at now_ms (wall clock, ms).  -EBUSY while one runs. */
int mir__core_begin(mir__core_t *c, uint64_t now_ms) TR_WUR;

/* Milliseconds until the next step may run: 0 now; UINT64_MAX when idle
 * (no pass running). */
uint64_t mir__core_wait(const mir__core_t *c, uint64_t now_ms);

/* One step (a chunk of hashing, or of the walk) at now_ms.  0, or a store
 * error (the step is retried at the next call).  When the walk at the end
 * of the hash phase ends, the pass is over: phase MIR_SCRUB_IDLE. */
int mir__core_step(mir__core_t *c, bs_env_t *env, uint64_t now_ms) TR_WUR;

/* The bytes a hash chunk may cover at this rate. */
uint64_t mir__chunk_bytes(uint64_t rate);

/* Save / load the state in the repo's meta table.  Load: 0 (restored; a
 * walk in progress starts again), TR_ENOTFOUND (nothing saved), TR_ECORRUPT
 * (unreadable: the caller starts afresh). */
int mir__core_save(const mir__core_t *c, bs_env_t *env) TR_WUR;
int mir__core_load(mir__core_t *c, bs_env_t *env) TR_WUR;

#endif /* MIRROR_SCRUB_INT_H */

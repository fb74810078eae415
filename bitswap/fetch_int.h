/*
 * fetch_int.h — the fetcher's side of bitswap/ (fetch.c), for swarm.c:
 * the waiters, their sessions, and the writer that fetched blocks go
 * through.  fetch.c calls into the core (sessions, bsw_block_added) and
 * never into swarm.c; swarm.c hands it what the core reports.
 */
#ifndef BITSWAP_FETCH_INT_H
#define BITSWAP_FETCH_INT_H

#include "swarm.h"

typedef struct bsw_fetch bsw_fetch_t;

typedef struct bsw_fetch_stats {
  uint64_t fetches, sessions, blocks_written, commits;
} bsw_fetch_stats_t;

/* The writer starts here.  0, -ENOMEM, libuv's and the writer's errors. */
int bsw__fetch_new(uv_loop_t *loop, bs_env_t *env, bsw_fetch_t **out) TR_WUR;
/* The core is made after the fetcher (its io points at both). */
void bsw__fetch_set_core(bsw_fetch_t *f, bsw_t *core);
/* Drop every waiter (no callbacks), free the sessions while the core is
 * alive, write what the writer holds, close the handles. */
void bsw__fetch_close(bsw_fetch_t *f);
const bs_fetcher_t *bsw__fetch_iface(bsw_fetch_t *f);

/* What the core reports (io.on_block, io.on_session_done). */
void bsw__fetch_on_block(bsw_fetch_t *f, const dag_cid_t *cid,
                         const uint8_t *data, size_t len);
void bsw__fetch_session_done(bsw_fetch_t *f, uint64_t sid);
/* Free sessions idle for BSW_SWARM_IDLE_MS. */
void bsw__fetch_tick(bsw_fetch_t *f, uint64_t now);
void bsw__fetch_stats(bsw_fetch_t *f, bsw_fetch_stats_t *out);

#endif /* BITSWAP_FETCH_INT_H */

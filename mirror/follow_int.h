/*
 * follow_int.h — what mirror/'s follow files share: a follow's state and
 * the follower, the wanted set, the follow database's keys and records,
 * and the reconcile step.  follow_state.c keeps them; follow.c (the
 * scheduler on the loop and follow.h's API) calls down into it, never the
 * other way.
 */
#ifndef MIR_FOLLOW_INT_H
#define MIR_FOLLOW_INT_H

#include "follow.h"
#include "mir_int.h"
#include "psa_client.h"

typedef struct want {
  dag_cid_t cid;
  char *name;    /* NULL: none */
  char *origins; /* a JSON array's text, NULL: none */
} want_t;

typedef struct wantset {
  want_t *v;
  size_t n, cap;
} wantset_t;

typedef struct follow {
  struct mir_follower *f;
  struct follow *next;
  uint32_t id;
  int kind;
  char *source, *token;
  unsigned keep;
  json_t *versions; /* IPNS: CIDs seen, newest first */
  uint64_t last_sync_us, syncs, next_due_us, wanted;
  char err[MIR_FOLLOW_ERR_MAX];
  bool syncing;
  int werr; /* a want not taken during a walk: the sync fails */
  mir_psa_t *psa;
  mir_psa_op_t *op;
  void *rop; /* the resolver's lookup */
  wantset_t ws;
} follow_t;

struct mir_follower {
  uv_loop_t *loop;
  mir_store_t *st;
  mir_engine_t *eng;
  mir_follow_opts_t o;
  bs_db_t db;
  uv_timer_t timer;
  follow_t *head;
  unsigned running, nfollows;
};


/* The follower's clock (its now_us option, else the real time). */
uint64_t mir__follow_now(const mir_follower_t *f);

/* The wanted set: add copies name and origins (NULL: none) and keeps the
 * CID in its v1 form; TR_ELIMIT past MIR_FOLLOW_WANT_MAX.  Sort before a
 * reconcile: by CID, each once (the first seen kept). */
void mir__ws_clear(wantset_t *ws);
int mir__ws_add(wantset_t *ws, const dag_cid_t *cid, const char *name,
                const char *origins);
void mir__ws_sort(wantset_t *ws);

/* Keys of the follow database: 'F' id (the follow's record), 'M' id
 * created (since when a pin of the follow has been missing). */
void mir__follow_key_f(uint8_t k[5], uint32_t id);
void mir__follow_key_m(uint8_t k[13], uint32_t id, uint64_t created);
bs_env_t *mir__follow_env(const mir_follower_t *f);

/* A follow's record written in its own transaction. */
int mir__follow_save(follow_t *fl);
/* A new follow, linked at the head of f's list; NULL when out of memory. */
follow_t *mir__follow_new(mir_follower_t *f, uint32_t id, int kind,
                          const char *source, const char *token,
                          unsigned keep);
/* Cancels what the follow has under way, then frees it (the caller
 * unlinks it). */
void mir__follow_free(follow_t *fl);
/* A bs_kv_range callback loading one 'F' record into the follower (ud);
 * stops at the first key past the follows. */
int mir__follow_load_one(const uint8_t *key, size_t klen, const uint8_t *val,
                         size_t vlen, void *ud);

/* The pin objects of follow id (the pins whose source is the follow), into
 * *out (*n of them; tr_free it). */
typedef struct local {
  char reqid[MIR_REQID_LEN + 1];
  uint64_t created;
  dag_cid_t cid;
  int status;
} local_t;
int mir__follow_locals(mir_follower_t *f, bs_txn_t *txn, uint32_t id,
                       local_t **out, size_t *n);

/* One reconcile of fl against fl->ws (sorted), in one write transaction:
 * wanted CIDs without a pin of the follow queued, pins no longer wanted
 * deleted once missing longer than the grace period, failed ones that
 * are still wanted queued again. */
int mir__follow_reconcile(follow_t *fl);

#endif /* MIR_FOLLOW_INT_H */

/*
 * rpc_rop.h — a routing operation of the RPC API (rpc_routing.c): one
 * lookup run on both DHTs at once (ctx->dht_lan, dht_wan), its answer a
 * stream of Kubo's QueryEvents, its state freed once both DHTs are done
 * and its deadline timer has closed.  Internal to rpc/: shared by the
 * routing commands (rpc_routing.c, rpc_routing_put.c) and the IPNS ones
 * (rpc_name.c).
 */
#ifndef RPC_ROP_H
#define RPC_ROP_H

#include "../dht/dht.h"
#include "../dht/swarm.h"
#include "../dht/batch.h"
#include "../net/peerstore.h"
#include "rpc_int.h"

#define ROUTING_MS 120000 /* the longest a routing command may run */
#define FINDPROVS_DEFAULT 20
/* Kubo's QueryEventType values. */
#define EV_FINAL_PEER 2
#define EV_PROVIDER 4
#define EV_VALUE 5

enum { R_FINDPROVS, R_FINDPEER, R_PROVIDE, R_QUERY, R_GET, R_PUT, R_RESOLVE };

typedef struct rop rop_t;
typedef struct side {
  rop_t *r;
  dht_swarm_t *sw;
  uint64_t qid;
  bool live;
  int status;
} side_t;

struct rop {
  http_req_t *req; /* NULL once answered */
  /* The answer is not started by rpc__rop_new2: the command's finish
   * answers whole (rpc__rop_take), an end with an error answers it as a
   * 500 (name get's raw record, name put's checks before its answer). */
  bool deferred;
  /* put (rpc__put_run): the answer once stored; NULL: routing put's
   * QueryEvent. */
  void (*put_answer)(rop_t *r);
  /* name put: the record to put once the get of the name's current one
   * is done, and the Value to answer (both owned, freed with r) */
  uint8_t *put_val;
  size_t put_vl;
  char *put_value;
  rpc_ctx_t *ctx;
  uv_timer_t timer;
  bool timer_closed, ended;
  int kind;
  side_t side[2];
  /* The third side: ctx->router's lookup (findprovs, findpeer, get of an
   * /ipns/ key), live until its on_done. */
  const rpc_router_t *router;
  void *dlook;
  bool dlive;
  /* When both DHTs are done: the command's own end (it must end r or
   * start another run); NULL: the kind's default (rpc_routing.c). */
  void (*finish)(rop_t *r);
  size_t max;
  net_peerset_t seen; /* each peer reported once */
  net_peerid_t target;
  bool found;
  uint8_t key[DHT_KEY_MAX]; /* get: for the selector */
  size_t kl;
  uint8_t *val; /* get: the best record; put: the record (owned) */
  size_t vl;
  size_t reached;
  /* provide (rpc_provide.c): the keys, each once, and the next
   * to announce on its own; or the batch announcing them all */
  dht_sweep_hkey_t *keys;
  size_t nkeys, next_key;
  dht_batch_t *batch;
  /* name publish: the answer; name resolve: depth, and whether to follow
   * /ipns/ values */
  char name[NET_PEERID_STR_MAX], value[1024];
  unsigned depth;
  bool recursive;
};

/* Whether ctx can route (a DHT or a router); when not, req is answered
 * with Kubo's 500. */
bool rpc__rop_can(http_req_t *req, const rpc_ctx_t *ctx);
/* A new operation of kind on req: the chunked answer is started, the
 * ROUTING_MS deadline set, a client that leaves cancels it.  NULL when
 * the node has no DHT or out of memory (req answered with 500 then). */
rop_t *rpc__rop_new(http_req_t *req, rpc_ctx_t *ctx, int kind);
/* As rpc__rop_new; deferred: nothing answered yet (rop.deferred). */
rop_t *rpc__rop_new2(http_req_t *req, rpc_ctx_t *ctx, int kind,
                     bool deferred);
/* Detach r's request (NULL when none is left): the caller answers it,
 * then ends r. */
http_req_t *rpc__rop_take(rop_t *r);
/* Move r's deadline to ms from now. */
void rpc__rop_deadline(rop_t *r, uint64_t ms);
/* Start the lookup of key on every DHT that knows a peer (a put or a
 * resolve: on every DHT, for the local store); false when none does
 * (nothing started, r not ended).  When every side ends inside its start,
 * the end (finish) runs before this returns. */
bool rpc__rop_run(rop_t *r, const uint8_t *key, size_t kl);
/* The end: lookups cancelled, the answer ended (err, when set, as a
 * trailing error value), r freed later.  Twice: nothing. */
void rpc__rop_end(rop_t *r, const char *err);
/* Whether side i's DHT is still the node's (ctx forgets them when it
 * stops, then frees them with their lookups). */
bool rpc__side_here(const rop_t *r, int i);
/* One QueryEvent line {"ID":"","Type",...} with p as its one response
 * (NULL: none) and extra. */
void rpc__rop_event(rop_t *r, int type, const dht_peer_t *p,
                    const char *extra);

/* rpc_routing_put.c, shared with name put: the routing's words for a
 * record its validator refuses (boxo's and go-libp2p-record's). */
const char *rpc__validator_msg(int rc);
/* Whether the routing takes val[0..vl) under key[0..kl): 0, or an error
 * with its words in *msg (the validator's; "can't replace a newer value
 * with an older value" when either DHT's store holds a better record). */
int rpc__put_check(rpc_ctx_t *ctx, const uint8_t *key, size_t kl,
                   const uint8_t *val, size_t vl, const char **msg);
/* Put r->val[0..vl) (owned by r) under r->key (the name r->target; r->max
 * set: allow-offline) on the DHTs; at the end r->put_answer (or routing
 * put's event), the record held for republishing. */
void rpc__put_run(rop_t *r);

#endif /* RPC_ROP_H */

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

#endif /* RPC_ROP_H */

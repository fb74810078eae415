/*
 * swarm_int.h — what the swarm's command files share (swarm_op.c defines
 * it): rpc_swarm.c (swarm connect, disconnect, addrs, filters; ping) and
 * rpc_id.c (id, swarm peers).  Those commands run on the loop thread
 * against ctx->host, and some wait on the network (connect, ping, id
 * PEER); an rpc__netop_t is the state of one such wait, which outlives
 * its request when the client goes away or the answer times out, until
 * the host lets go of it (net_host_dial, net_ping and net_identify_wait
 * always call back once, at the latest when the host closes).
 */
#ifndef RPC_SWARM_INT_H
#define RPC_SWARM_INT_H

#include "../net/host.h"
#include "rpc_int.h"

/* id's --peerid-base: a multibase name ("base256emoji" is the longest). */
#define RPC_ID_BASE_MAX 24

/* A command waiting on the network.  The callbacks it hands the host
 * clear net_busy when the host lets go of it; the op is freed once that
 * is so and its timer is closed. */
typedef struct rpc__netop {
  http_req_t *req; /* NULL once answered */
  rpc_ctx_t *ctx;
  uv_timer_t timer;
  bool net_busy;     /* the host holds the op as its ud */
  bool timer_closed;
  net_peerid_t peer;
  char id[NET_PEERID_STR_MAX];
  char base[RPC_ID_BASE_MAX]; /* id: --peerid-base, checked */
  /* ping */
  unsigned count, got;
  uint64_t total_us;
  /* connect, ping, id: the dial while under way (net_busy) */
  net_dial_t *dial;
  /* connect to a /dnsaddr: its resolution while under way */
  void *dns;
} rpc__netop_t;

/* ctx->host, or NULL after answering req with Kubo's "this command must
 * be run in online mode" (the daemon has no swarm). */
net_host_t *rpc__online(http_req_t *req, rpc_ctx_t *ctx);

/* p as base58 into out[0..n), "<unknown peer>" for none (NULL or empty)
 * or one that does not format. */
void rpc__peer_str(const net_peerid_t *p, char *out, size_t n);

/* A zeroed op, or NULL after answering req with 500 "out of memory".
 * The caller frees it with tr_free() until rpc__netop_start() succeeds. */
rpc__netop_t *rpc__netop_new(http_req_t *req);

/* Start op's timer of ms (on_timeout gets the timer, whose data is op)
 * and watch for req's client leaving (then the op ends, unanswered).  The
 * op is freed by rpc__netop_done() from then on; -errno before. */
int rpc__netop_start(rpc__netop_t *op, http_req_t *req, rpc_ctx_t *ctx,
                     uv_timer_cb on_timeout, uint64_t ms) TR_WUR;

/* The request, to answer now (the answer may free it): op forgets it and
 * stops watching it.  NULL when it is answered or gone already. */
http_req_t *rpc__netop_take(rpc__netop_t *op);

/* The answer is over (sent, or nobody to send it to): a /dnsaddr
 * resolution or a dial under way is cancelled, the timer closed, and op
 * freed here or later, once the timer is closed and the host has let go
 * of it.  op must not be used after. */
void rpc__netop_done(rpc__netop_t *op);

/* Dial op's peer (op->peer; none: whoever the addresses say) at
 * addrs[0..n), or n 0: where the peerstore says (the host asks the DHTs
 * when nothing it knows works); after gets the end, with op as its ud,
 * and must clear op->net_busy.  0, or the error (after does not run):
 * -ECANCELED when the node has stopped. */
int rpc__netop_dial(rpc__netop_t *op, const char *const *addrs, size_t n,
                    net_connect_cb after) TR_WUR;

#endif /* RPC_SWARM_INT_H */

/*
 * swarm_op.c — the helpers the swarm's command files share (swarm_int.h):
 * the online check, a PeerID's text, and the life of an rpc__netop_t, the
 * state of a command that waits on the network (swarm connect, ping, id
 * PEER): its timer, the client leaving, the dial, and freeing it only
 * once the host has let go of it.  Separate from rpc_swarm.c because
 * rpc_id.c's id PEER waits the same way.
 */
#include <errno.h>
#include <stdio.h>

#include "../dns/dns.h"
#include "swarm_int.h"

net_host_t *rpc__online(http_req_t *req, rpc_ctx_t *ctx) {
  if (!ctx->host)
    rpc_error(req, 500, "this command must be run in online mode");
  return ctx->host;
}

void rpc__peer_str(const net_peerid_t *p, char *out, size_t n) {
  if (!p || !p->len || net_peerid_format(p, 0, out, n) < 0)
    snprintf(out, n, "%s", "<unknown peer>");
}

static void op_maybe_free(rpc__netop_t *op) {
  if (!op->net_busy && op->timer_closed)
    tr_free(op);
}

static void on_timer_closed(uv_handle_t *t) {
  rpc__netop_t *op = t->data;
  op->timer_closed = true;
  op_maybe_free(op);
}

void rpc__netop_done(rpc__netop_t *op) {
  if (op->dns) {
    dns_dnsaddr_cancel(op->ctx->dnsaddr, op->dns);
    op->dns = NULL;
  }
  net_dial_cancel(op->dial); /* no address after the one under way */
  if (op->req) {
    http_req_on_close(op->req, NULL, NULL);
    op->req = NULL;
  }
  if (!uv_is_closing((uv_handle_t *)&op->timer))
    uv_close((uv_handle_t *)&op->timer, on_timer_closed);
  else
    op_maybe_free(op);
}

http_req_t *rpc__netop_take(rpc__netop_t *op) {
  http_req_t *req = op->req;
  if (req)
    http_req_on_close(req, NULL, NULL);
  op->req = NULL;
  return req;
}

static void op_gone(http_req_t *req, void *ud) {
  rpc__netop_t *op = ud;
  http_res_end(req); /* dropped: the client is gone */
  op->req = NULL;
  rpc__netop_done(op);
}

int rpc__netop_start(rpc__netop_t *op, http_req_t *req, rpc_ctx_t *ctx,
                     uv_timer_cb on_timeout, uint64_t ms) {
  op->req = req;
  op->ctx = ctx;
  int rc = uv_timer_init(ctx->loop, &op->timer);
  if (rc)
    return rc;
  op->timer.data = op;
  uv_timer_start(&op->timer, on_timeout, ms, 0);
  http_req_on_close(req, op_gone, op);
  return 0;
}

rpc__netop_t *rpc__netop_new(http_req_t *req) {
  rpc__netop_t *op = tr_calloc(1, sizeof *op);
  if (!op)
    rpc_error(req, 500, "out of memory");
  return op;
}

int rpc__netop_dial(rpc__netop_t *op, const char *const *addrs, size_t n,
                    net_connect_cb after) {
  if (!op->ctx->host) /* the node stops (a /dnsaddr answer came late) */
    return -ECANCELED;
  op->net_busy = true;
  int rc = net_host_dial(op->ctx->host, op->peer.len ? &op->peer : NULL,
                         addrs, n, after, op, &op->dial);
  if (rc)
    op->net_busy = false;
  return rc;
}

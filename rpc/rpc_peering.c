/*
 * rpc_peering.c — Kubo's `swarm peering` commands over net/peering.h:
 *
 *   swarm/peering/add arg=MADDR/p2p/ID...  {"ID":...,"Status":"success"}
 *                                          a line per peer (NDJSON)
 *   swarm/peering/ls                       {"Peers":[{"ID":...,"Addrs":[...]}]}
 *   swarm/peering/rm arg=ID...             {"ID":...,"Status":"success"}
 *
 * As Kubo: the addresses of one peer are gathered into one entry, kept
 * without their /p2p part; a peer added again gets the new addresses;
 * removing a peer that is not there succeeds; nothing is written to the
 * config.
 */
#include <string.h>

#include "../net/peering.h"
#include "rpc_int.h"

static net_peering_t *online(http_req_t *req, rpc_ctx_t *ctx) {
  if (!ctx->host || !ctx->peering)
    rpc_error(req, 500, "this command must be run in online mode");
  return ctx->host ? ctx->peering : NULL;
}

/* The service and the arguments (at least one, named name in the error),
 * or NULL when answered already. */
static net_peering_t *with_args(http_req_t *req, rpc_ctx_t *ctx,
                                const char *name, char ***args, size_t *n) {
  net_peering_t *p = online(req, ctx);
  if (!p)
    return NULL;
  if (rpc_args(req, "arg", args, n) || !*n) {
    rpc_strv_free(*args, *n);
    rpc_error(req, 400, "argument \"%s\" is required", name);
    return NULL;
  }
  return p;
}

static json_t *result(const net_peerid_t *id) {
  char s[NET_PEERID_STR_MAX] = "";
  if (net_peerid_format(id, 0, s, sizeof s) < 0)
    s[0] = 0;
  return json_pack("{s:s,s:s}", "ID", s, "Status", "success");
}

/* One peer of an add: its ID and the transport parts of its addresses. */
typedef struct group {
  net_peerid_t id;
  char *addrs[NET_DIAL_ADDRS];
  size_t n;
} group_t;

/* Split s into its transport part (written to out, "" when none) and its
 * peer, as go-libp2p's peer.SplitAddr: the last component must be /p2p.
 * 0, or the error to answer. */
static int split(const char *s, char *out, size_t outsize, net_peerid_t *id,
                 char *err, size_t errsize) {
  uint8_t b[NET_MA_MAX];
  int len = net_ma_parse(s, strlen(s), b, sizeof b);
  if (len < 0) {
    snprintf(err, errsize, "failed to parse multiaddr \"%s\": %s", s,
             tr_strerror(len));
    return len;
  }
  net_ma_comp_t c = {0};
  int off = 0, last = 0, k;
  for (; off < len; off += k) {
    if ((k = net_ma_next(b + off, (size_t)(len - off), &c)) < 0)
      break;
    last = off;
  }
  if (off != len || c.code != NET_MA_P2P ||
      net_peerid_from_bytes(id, c.value, c.vlen)) {
    snprintf(err, errsize, "invalid p2p multiaddr");
    return TR_EMULTIADDR;
  }
  out[0] = 0;
  if (last > 0 && net_ma_format(b, (size_t)last, out, outsize) < 0) {
    snprintf(err, errsize, "invalid p2p multiaddr");
    return TR_EMULTIADDR;
  }
  return 0;
}

void rpc_cmd_swarm_peering_add(http_req_t *req, rpc_ctx_t *ctx) {
  char **args;
  size_t n;
  net_peering_t *p = with_args(req, ctx, "address", &args, &n);
  if (!p)
    return;
  group_t *g = tr_calloc(n, sizeof *g);
  size_t ng = 0;
  char err[NET_MA_STR_MAX / 16 + 64] = "";
  int rc = g ? 0 : -ENOMEM;
  for (size_t i = 0; i < n && !rc; i++) {
    char addr[NET_MA_STR_MAX / 16];
    net_peerid_t id;
    if ((rc = split(args[i], addr, sizeof addr, &id, err, sizeof err)))
      break;
    size_t j = 0;
    while (j < ng && !net_peerid_equal(&g[j].id, &id))
      j++;
    if (j == ng)
      g[ng++].id = id;
    if (!addr[0])
      continue;
    if (g[j].n == NET_DIAL_ADDRS) {
      snprintf(err, sizeof err, "more than %d addresses for one peer",
               NET_DIAL_ADDRS);
      rc = TR_EUSAGE;
    } else if (!(g[j].addrs[g[j].n] = tr_strdup(addr))) {
      rc = -ENOMEM;
    } else {
      g[j].n++;
    }
  }
  /* Every argument is checked before any peer is added; an add that
   * fails (the node's own ID, NET_PEERING_MAX peers) leaves the ones
   * before it added, as Kubo's loop does. */
  size_t added = 0;
  while (!rc && added < ng) {
    rc = net_peering_add(p, &g[added].id, (const char *const *)g[added].addrs,
                         g[added].n);
    if (rc == TR_EUSAGE)
      snprintf(err, sizeof err, "cannot peer with this node itself");
    else if (rc)
      snprintf(err, sizeof err, "%s", tr_strerror(rc));
    else
      added++;
  }
  if (rc) {
    rpc_error(req, 500, "%s", err[0] ? err : tr_strerror(rc));
  } else {
    rpc_start(req, RPC_CHUNKED, NULL, -1, -1);
    for (size_t j = 0; j < ng; j++)
      rpc_write_line(req, result(&g[j].id));
    http_res_end(req);
  }
  for (size_t j = 0; j < ng; j++)
    for (size_t i = 0; i < g[j].n; i++)
      tr_free(g[j].addrs[i]);
  tr_free(g);
  rpc_strv_free(args, n);
}

static void ls_one(const net_peerid_t *id, const char *const *addrs,
                   size_t n, void *ud) {
  char s[NET_PEERID_STR_MAX] = "";
  if (net_peerid_format(id, 0, s, sizeof s) < 0)
    s[0] = 0;
  json_t *a = json_array();
  for (size_t i = 0; a && i < n; i++)
    json_array_append_new(a, rpc_json_str(addrs[i]));
  json_array_append_new(ud, json_pack("{s:s,s:o}", "ID", s, "Addrs",
                                      a ? a : json_null()));
}

void rpc_cmd_swarm_peering_ls(http_req_t *req, rpc_ctx_t *ctx) {
  net_peering_t *p = online(req, ctx);
  if (!p)
    return;
  json_t *peers = json_array();
  if (peers)
    net_peering_list(p, ls_one, peers);
  rpc_api_json(req, json_pack("{s:o}", "Peers",
                              peers ? peers : json_array()));
}

void rpc_cmd_swarm_peering_rm(http_req_t *req, rpc_ctx_t *ctx) {
  char **args;
  size_t n;
  net_peering_t *p = with_args(req, ctx, "ID", &args, &n);
  if (!p)
    return;
  net_peerid_t *ids = tr_calloc(n, sizeof *ids);
  size_t i = 0;
  while (ids && i < n && !net_peerid_parse(&ids[i], args[i], strlen(args[i])))
    i++;
  if (!ids)
    rpc_error(req, 500, "out of memory");
  else if (i < n)
    rpc_error(req, 500, "failed to parse peer ID \"%s\": %s", args[i],
              tr_strerror(TR_EPEERID));
  else {
    rpc_start(req, RPC_CHUNKED, NULL, -1, -1);
    for (i = 0; i < n; i++) {
      if (net_peering_remove(p, &ids[i]) == TR_ENOTFOUND) {
        /* not a peer of ours: a success too, as Kubo's */
      }
      rpc_write_line(req, result(&ids[i]));
    }
    http_res_end(req);
  }
  tr_free(ids);
  rpc_strv_free(args, n);
}

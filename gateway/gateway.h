/*
 * gateway.h — the HTTP faces of a trove node, as handlers on the server of
 * http.h:
 *
 *   gw_gateway_handle  the IPFS HTTP gateway: path gateway (/ipfs/CID/path,
 *                      index.html, directory listings, Range, ETag, caching
 *                      headers) and trustless gateway (?format=raw|car and
 *                      the application/vnd.ipld.raw / .car Accept types,
 *                      dag-scope, entity-bytes).  specs.ipfs.tech/http-gateways
 *   gw_api_handle      the API listener: Kubo's RPC API under /api/v0 (the
 *                      subset DESIGN.md names, Kubo's request and response
 *                      shapes) and, later, the Pinning Service API.
 *
 * Both take a gw_ctx_t as their ud.  Blocks are read in the worker pool
 * (uv_queue_work) one bounded piece at a time and written with back-pressure,
 * so a slow client holds at most about GW_HIGH_WATER of a response in memory
 * and never a whole file.
 */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include "../blockstore/bs.h"
#include "http.h"

typedef struct gw_ctx {
  uv_loop_t *loop;
  bs_env_t *env;
  const char *repo;     /* repo directory (config lives there) */
  const char *peerid;   /* the node's PeerID */
  const char *version;  /* "0.1.0" */
  struct net_host *host; /* the libp2p host (NULL outside the daemon) */
  /* Where the listeners ended up, for `id` and logs. */
  char gateway_addr[128];
  char api_addr[128];
  /* Called when the API asks the node to stop (/api/v0/shutdown). */
  void (*shutdown)(void *ud);
  void *shutdown_ud;
  /* The API's own state, kept by gateway/api*.c and rpc_*.c (zero at
   * start): the origins its CSRF check allows (API.HTTPHeaders'
   * Access-Control-Allow-Origin, NUL-separated, read from the config on the
   * first request), and the repo/gc run in progress. */
  char api_origins[4096];
  size_t api_origins_len;
  bool api_origins_read;
  struct rpc_gc *api_gc;
} gw_ctx_t;

void gw_gateway_handle(gw_req_t *req, void *ud);
void gw_api_handle(gw_req_t *req, void *ud);

/* Percent-decode s[0..n) into out (room for n+1); returns the decoded
 * length or -1 on a malformed escape or an encoded NUL. */
int gw_pct_decode(const char *s, size_t n, char *out);

/* Value of key in a query string ("a=1&b=2"), percent-decoded into out;
 * returns 1 if present, 0 if not. */
int gw_query_get(const char *query, const char *key, char *out, size_t outsz);

/* An error answer in the form Kubo's gateway and API give: text/plain for
 * the gateway ("<status text>: <message>"), JSON {"Message","Code","Type"}
 * for the API. */
void gw_error(gw_req_t *req, int status, const char *fmt, ...) TR_PRINTF(3, 4);

#endif /* GW_GATEWAY_H */

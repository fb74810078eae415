/*
 * gateway.h — the HTTP faces of a trove node, as handlers on the server of
 * http.h:
 *
 *   gw_gateway_handle  the IPFS HTTP gateway: path gateway (/ipfs/CID/path,
 *                      index.html, directory listings, Range, ETag, caching
 *                      headers) and trustless gateway (?format=raw|car and
 *                      the application/vnd.ipld.raw / .car Accept types,
 *                      dag-scope, entity-bytes), dag-json / dag-cbor /
 *                      json / cbor blocks as they are (IPIP-0524: 406 for
 *                      another codec) with pathing through their links and
 *                      an HTML preview for browsers, ?format=tar, and CORS
 *                      as Kubo sends it.  specs.ipfs.tech/http-gateways
 *                      With ctx->expose_routing, also the Delegated Routing
 *                      V1 API under /routing/v1/ (gw_routing.c).
 *   rpc_api_handle      the API listener: Kubo's RPC API under /api/v0 (the
 *                      subset DESIGN.md names, Kubo's request and response
 *                      shapes) and, later, the Pinning Service API.
 *
 * Both take a gw_ctx_t as their ud.  Blocks are read in the worker pool
 * (uv_queue_work) one bounded piece at a time and written with back-pressure,
 * so a slow client holds at most about HTTP_HIGH_WATER of a response in memory
 * and never a whole file.
 */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include "../blockstore/bs.h"
#include "../blockstore/fetch.h"
#include "../http/http.h"
#include "gw_routing.h"

typedef struct gw_ctx {
  uv_loop_t *loop;
  bs_env_t *env;
  const char *version; /* "0.1.0", for listings */
  /* The Delegated Routing V1 API under /routing/v1/ (gw_routing.h): served
   * when expose_routing is set (Kubo's Gateway.ExposeRoutingAPI), through
   * router (NULL: every lookup is a 500, routing is off).  Not owned. */
  bool expose_routing;
  const gw_router_t *router;
  uint32_t routing_timeout_ms; /* a lookup's deadline; 0: 30 s, boxo's */
  /* Blocks the repo lacks are fetched through fetcher (blockstore/fetch.h;
   * NULL: offline, a missing block is a 504 at once), unless no_fetch
   * (Kubo's Gateway.NoFetch).  fetch_timeout_ms (0: GW_FETCH_TIMEOUT_MS,
   * boxo's retrieval timeout): the first byte of the answer must be ready
   * within it, else 504 Gateway Timeout, and once the body has started
   * each wait for a block may last as long, else the body is cut short.
   * Not owned. */
  const bs_fetcher_t *fetcher;
  uint32_t fetch_timeout_ms;
  bool no_fetch;
} gw_ctx_t;

/* boxo's gateway.DefaultRetrievalTimeout (Kubo's Gateway.RetrievalTimeout). */
#define GW_FETCH_TIMEOUT_MS 30000u

void gw_gateway_handle(http_req_t *req, void *ud);

/* An error answer in the form Kubo's gateway and API give: text/plain for
 * the gateway ("<status text>: <message>"), JSON {"Message","Code","Type"}
 * for the API. */
void gw_error(http_req_t *req, int status, const char *fmt, ...) TR_PRINTF(3, 4);

#endif /* GW_GATEWAY_H */

/*
 * api.h — what the RPC API's files share (internal to gateway/).  Each
 * rpc_*.c file implements a family of /api/v0 commands as gw_rpc_fn
 * handlers; api_cmds.c lists them in gw_rpc_cmds[].
 */
#ifndef GW_API_H
#define GW_API_H

#include <jansson.h>

#include "gateway.h"

typedef void (*gw_rpc_fn)(http_req_t *req, gw_ctx_t *ctx);

typedef struct gw_rpc_cmd {
  const char *name; /* "pin/add" */
  gw_rpc_fn fn;
} gw_rpc_cmd_t;

/* Kubo's error body {"Message","Code":0,"Type":"error"} with status. */
void gw_api_error(http_req_t *req, int status, const char *msg);
/* A JSON answer (steals o). */
void gw_api_json(http_req_t *req, json_t *o);

#endif /* GW_API_H */

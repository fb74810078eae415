/*
 * api.h — what the RPC API's files share.  Each rpc_*.c file implements
 * a family of /api/v0 commands as rpc_fn handlers; api_cmds.c lists them
 * in rpc_cmds[].  The answer helpers below also serve the commands node/
 * adds through rpc_ctx_t.ext_cmd (the mirror's, the scrubber's).
 */
#ifndef RPC_API_H
#define RPC_API_H

#include <jansson.h>

#include "rpc.h"

typedef void (*rpc_fn)(http_req_t *req, rpc_ctx_t *ctx);

typedef struct rpc_cmd {
  const char *name; /* "pin/add" */
  rpc_fn fn;
} rpc_cmd_t;

/* Kubo's error body {"Message","Code":0,"Type":"error"} with status. */
void rpc_api_error(http_req_t *req, int status, const char *msg);
/* A JSON answer (steals o).  o may be NULL, when building it ran out of
 * memory: the answer is then Kubo's 500 error body. */
void rpc_api_json(http_req_t *req, json_t *o);

#endif /* RPC_API_H */

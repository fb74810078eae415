/*
 * scrub.h (node/) — the daemon's scrubber (mirror/scrub.h): read from the
 * config, handed the repo and the node's fetcher, and answered on the API
 * as /api/v0/mirror/scrub/status and /api/v0/mirror/scrub/start (through
 * rpc_ctx_t's ext_cmd, since rpc/ sits below mirror/).
 *
 * Config: Mirror.Scrub.Rate (bytes hashed per second: an integer or a
 * string such as "50MiB"; absent or 0: no scrubber), Mirror.Scrub.Interval
 * (a Go duration from the start of one pass to the next; default 24h; "0":
 * passes start only on `trove mirror scrub start`), Mirror.Scrub.RetryDelay
 * (first retry of a failed repair, doubling; default 30s),
 * Mirror.Scrub.FetchTimeout (one repair's deadline; default 2m).
 */
#ifndef NODE_SCRUB_H
#define NODE_SCRUB_H

#include "../config/config.h"
#include "../mirror/scrub.h"
#include "../rpc/rpc.h"

typedef struct node_scrub {
  mir_scrub_t *s; /* NULL when off */
} node_scrub_t;

/* Start the scrubber if the config asks for one, and serve its commands
 * on rpc.  fetcher may be NULL (offline: findings are only counted).  0,
 * TR_ECONFIG (with a line logged), or mir_scrub_new's errors. */
int node_scrub_start(node_scrub_t *ns, uv_loop_t *loop, bs_env_t *env,
                     const bs_fetcher_t *fetcher, json_t *cfg,
                     rpc_ctx_t *rpc) TR_WUR;
/* Before the fetcher goes: the scrubber stops and saves its cursor. */
void node_scrub_stop(node_scrub_t *ns);

#endif /* NODE_SCRUB_H */

/*
 * stream.h — streaming a response body produced in the worker pool.
 *
 * A fill function runs on a libuv worker thread (uv_queue_work) and writes
 * the next piece of the body (at most GW_STREAM_PIECE bytes) into a buffer;
 * back on the loop the piece is written to the client, and the next fill is
 * queued only when the client's queue is below GW_LOW_WATER.  So block reads
 * (page faults on the LMDB map, hashing) never stall the loop, and a slow
 * client holds about GW_HIGH_WATER + one piece of memory, whatever the size
 * of the file.  Internal to gateway/.
 */
#ifndef GW_STREAM_H
#define GW_STREAM_H

#include "gateway.h"

#define GW_STREAM_PIECE (256u << 10)

/* Produce the next piece into buf[0..cap).  Runs on a worker thread: it may
 * open its own read transaction on env (and must end it before returning)
 * and touch only state.  Returns bytes written (> 0), 0 at the end of the
 * body, or a negative TR_E* code (the response is then aborted so the client
 * sees a truncated body, never a silently short one). */
typedef int64_t (*gw_fill_fn)(void *state, bs_env_t *env, uint8_t *buf,
                              size_t cap);
typedef void (*gw_state_free_fn)(void *state);

/* Stream the body of req, whose headers the caller has sent with
 * gw_res_start().  Takes ownership of state (freed with free_fn at the
 * end, also when the client goes away).  Ends the response itself.
 * Returns 0 or -ENOMEM (then state is freed and the response aborted). */
int gw_stream_start(gw_req_t *req, gw_ctx_t *ctx, gw_fill_fn fill,
                    gw_state_free_fn free_fn, void *state);

/* Called on the loop thread once, when the first piece is ready (first > 0,
 * or 0 for an empty body) or could not be made (first < 0): it sends the
 * headers with gw_res_start() and returns 0, or answers the request in full
 * (an error status) and returns non-zero, and no body follows.  So a body
 * that fails early (a malformed DAG, a missing block) gets a real status,
 * not a 200 cut short; one that fails later is still cut short. */
typedef int (*gw_head_fn)(gw_req_t *req, void *state, int64_t first);

/* gw_stream_start() for a response whose headers wait for the first piece
 * (head, above).  Same ownership and return values. */
int gw_stream_start_head(gw_req_t *req, gw_ctx_t *ctx, gw_fill_fn fill,
                         gw_state_free_fn free_fn, void *state,
                         gw_head_fn head);

/* Bodies up to this size are produced on the loop thread, in one fill. */
#define GW_STREAM_INLINE (64u << 10)

/* gw_stream_start() for a body whose size is known: when it is at most
 * GW_STREAM_INLINE, fill runs right here on the loop thread into a stack
 * buffer and the response ends before this returns.  Handing a 1 KiB body
 * to a worker costs two thread wake-ups and context switches, which
 * measured as most of the time of a small request (bench/gateway.sh); one
 * small block read from the page cache is the kind of work path resolution
 * already does on the loop.  Larger bodies, and size 0 (unknown), go to
 * gw_stream_start().  Same ownership and return values. */
int gw_stream_start_sized(gw_req_t *req, gw_ctx_t *ctx, gw_fill_fn fill,
                          gw_state_free_fn free_fn, void *state,
                          uint64_t size);

/* A dag_data_cb (dag/reader.h) that copies into buf[0..cap): what fill
 * functions pass to dag_cat().  Bytes past cap are dropped, so a DAG that
 * yields more than asked can never overrun the piece; callers compare n
 * with what they asked for. */
typedef struct gw_copy {
  uint8_t *buf;
  size_t n, cap;
} gw_copy_t;
int gw_copy_cb(const uint8_t *p, size_t n, void *ud);

#endif /* GW_STREAM_H */

/*
 * stream.h — streaming a response body produced in the worker pool.
 *
 * A fill function runs on a libuv worker thread (uv_queue_work) and writes
 * the next piece of the body (at most HTTP_STREAM_PIECE bytes) into a buffer;
 * back on the loop the piece is written to the client, and the next fill is
 * queued only when the client's queue is below HTTP_LOW_WATER.  So block reads
 * (page faults on the LMDB map, hashing) never stall the loop, and a slow
 * client holds about HTTP_HIGH_WATER + one piece of memory, whatever the size
 * of the file.  Used by the gateway and the RPC API.
 */
#ifndef HTTP_STREAM_H
#define HTTP_STREAM_H

#include "http.h"

#define HTTP_STREAM_PIECE (256u << 10)

/* Produce the next piece into buf[0..cap).  Runs on a worker thread: it
 * touches only state and arg (the arg given to http_stream_start: the
 * gateway and the API pass their blockstore, on which a fill opens its own
 * read transaction and ends it before returning).  Returns bytes written (> 0), 0 at the end of the
 * body, or a negative TR_E* code (the response is then aborted so the client
 * sees a truncated body, never a silently short one). */
typedef int64_t (*http_fill_fn)(void *state, void *arg, uint8_t *buf,
                              size_t cap);
typedef void (*http_state_free_fn)(void *state);

/* Stream the body of req, whose headers the caller has sent with
 * http_res_start().  Takes ownership of state (freed with free_fn at the
 * end, also when the client goes away).  Ends the response itself.
 * Returns 0 or -ENOMEM (then state is freed and the response aborted). */
int http_stream_start(http_req_t *req, void *arg, http_fill_fn fill,
                    http_state_free_fn free_fn, void *state);

/* Called on the loop thread once, when the first piece is ready (first > 0,
 * or 0 for an empty body) or could not be made (first < 0): it sends the
 * headers with http_res_start() and returns 0, or answers the request in full
 * (an error status) and returns non-zero, and no body follows.  So a body
 * that fails early (a malformed DAG, a missing block) gets a real status,
 * not a 200 cut short; one that fails later is still cut short. */
typedef int (*http_head_fn)(http_req_t *req, void *state, int64_t first);

/* http_stream_start() for a response whose headers wait for the first piece
 * (head, above).  Same ownership and return values. */
int http_stream_start_head(http_req_t *req, void *arg, http_fill_fn fill,
                         http_state_free_fn free_fn, void *state,
                         http_head_fn head);

/* Bodies up to this size are produced on the loop thread, in one fill. */
#define HTTP_STREAM_INLINE (64u << 10)

/* http_stream_start() for a body whose size is known: when it is at most
 * HTTP_STREAM_INLINE, fill runs right here on the loop thread into a stack
 * buffer and the response ends before this returns.  Handing a 1 KiB body
 * to a worker costs two thread wake-ups and context switches, which
 * measured as most of the time of a small request (bench/gateway.sh); one
 * small block read from the page cache is the kind of work path resolution
 * already does on the loop.  Larger bodies, and size 0 (unknown), go to
 * http_stream_start().  Same ownership and return values. */
int http_stream_start_sized(http_req_t *req, void *arg, http_fill_fn fill,
                          http_state_free_fn free_fn, void *state,
                          uint64_t size);

/* A dag_data_cb (dag/reader.h) that copies into buf[0..cap): what fill
 * functions pass to dag_cat().  Bytes past cap are dropped, so a DAG that
 * yields more than asked can never overrun the piece; callers compare n
 * with what they asked for. */
typedef struct http_copy {
  uint8_t *buf;
  size_t n, cap;
} http_copy_t;
int http_copy_cb(const uint8_t *p, size_t n, void *ud);

#endif /* HTTP_STREAM_H */

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

/* ---------------------------------------------------- waiting for input
 *
 * A fill may find that it cannot go on until something from outside
 * arrives (the gateway: a block the repo lacks, which the node can fetch).
 * It returns a negative code as usual, having written into its state what
 * it waits for; the http layer knows nothing of what that is.  With a wait
 * hook, the stream asks the hook before failing: the hook takes over (0)
 * and the stream parks - no fill runs, nothing is written, the client's
 * connection stays open - until the hook calls http_stream_resume().  The
 * fill then runs again on the same state, so a fill must be restartable
 * where it stopped: one that produced part of a piece before the miss
 * returns those bytes, and the next fill starts at what was missing. */
typedef struct http_stream http_stream_t;

/* On the loop, when fill returned err < 0 (and the client is still there).
 * Returns 0 when it has taken over: it will call http_stream_resume(s, ...)
 * exactly once, later, on the loop (never from inside this call), unless
 * cancel comes first.  Non-zero: err stands (head answers it, or the
 * response is cut short), as without a hook. */
typedef int (*http_wait_fn)(void *state, int64_t err, http_stream_t *s);
/* On the loop, when the stream is parked and gives up: the client went
 * away, or wait_timeout_ms passed.  The hook drops s and never resumes it
 * (it cancels what it waited for).  Then the stream ends (gone) or goes on
 * as after http_stream_resume(s, -ETIMEDOUT). */
typedef void (*http_unwait_fn)(void *state);

typedef struct http_stream_opts {
  http_head_fn head;       /* may be NULL: headers already sent */
  http_wait_fn wait;       /* may be NULL: every error stands */
  http_unwait_fn cancel;   /* required with wait */
  /* Longest one wait may last (0: no limit): then cancel, and the fill's
   * result becomes -ETIMEDOUT (a 504 from head, or a body cut short).
   * Each wait has its own: the time between two pieces is bounded, not
   * the response's whole life (boxo's gateway retrieval timeout). */
  uint32_t wait_timeout_ms;
  /* The body's size when known (0: unknown): as http_stream_start_sized,
   * a body of at most HTTP_STREAM_INLINE is made on the loop, and one
   * whose fill fails there with a wait hook moves to the pool then. */
  uint64_t size;
} http_stream_opts_t;

/* http_stream_start_head() with the options above.  Same ownership and
 * return values. */
int http_stream_start_opts(http_req_t *req, void *arg, http_fill_fn fill,
                           http_state_free_fn free_fn, void *state,
                           const http_stream_opts_t *o);

/* From the hook, on the loop: status 0 runs the fill again; anything else
 * is the fill's result (head answers it, or the response is cut short). */
void http_stream_resume(http_stream_t *s, int status);

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

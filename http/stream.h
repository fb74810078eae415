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

#include <sys/uio.h>

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

/* ------------------------------------------------- bodies from views
 *
 * A fill that reads its bytes as views of memory that stay valid only
 * while it runs (an LMDB map under the fill's own read transaction) may
 * hand them to a piece instead of copying them into a buffer: where the
 * response allows (HTTP/1.1 with a known length, nothing else queued on
 * the connection), the piece writes them to the socket itself, from the
 * worker, with one non-blocking sendmsg - the kernel copies them into the
 * socket's buffer before the call returns, so the views may die right
 * after (unlike sendfile or vmsplice, which would leave page-cache pages
 * that a later LMDB write can rewrite in the socket's queue: see
 * cli/pipe_out.c.  Tried on Linux 6.18: 64 KiB sent with sendfile to a
 * loopback socket, then overwritten in the file with pwrite, as LMDB
 * writes a reused page, arrived as the new bytes; sent with send from a
 * mapping of the file, as the old).  What the socket does not take (a
 * slow client), and every byte of a response that cannot be written so
 * (HTTP/2, chunked, a body made on the loop), is copied into the piece's
 * buffer and queued on the loop as a copying fill's would be.  So the map's bytes are copied
 * once (into the socket) instead of twice, and no reader slot or snapshot
 * outlives the fill whatever the client does.  Bytes that also lie in a
 * file nothing rewrites (http_piece_add_file: the blockstore's sealed
 * copies) go by reference, with sendfile, and are not copied at all. */
#define HTTP_PIECE_IOV 64

typedef struct http_piece {
  /* Private: the stream sets them up for each fill. */
  uint8_t *buf;   /* bytes copied: buf[0..len), room for plen + cap */
  size_t cap;     /* the most body bytes one fill produces */
  size_t len;
  size_t plen;    /* bytes of pre among buf's */
  uint64_t sent;  /* body bytes written to the socket, all before buf's */
  int fd;         /* the socket while writes go straight to it, else -1 */
  bool loop;      /* the fill runs on the loop (http_piece_on_loop) */
  bool by_ref;    /* file views may go with sendfile (SIGPIPE ignored) */
  /* Bytes that go out before the body's (the response's head, so that
   * it leaves in the same segment as the body's first bytes), not
   * counted in the piece's room. */
  const uint8_t *pre;
  size_t npre;
  int niov;       /* views not yet written or copied: iov[1..niov] */
  size_t vlen;
  struct iovec iov[HTTP_PIECE_IOV + 1];
  /* The file each view also lies in (http_piece_add_file), -1 for none,
   * and the view's offset in it. */
  int ffd[HTTP_PIECE_IOV + 1];
  uint64_t foff[HTTP_PIECE_IOV + 1];
} http_piece_t;

/* A fill in view form: adds the body's next bytes (at most
 * http_piece_room(p) in all) with http_piece_add and calls
 * http_piece_flush before the views die (before the fill ends its read
 * transaction).  Same results as http_fill_fn: bytes produced (> 0), 0 at
 * the end of the body, or a negative TR_E* code; same restartability. */
typedef int64_t (*http_vfill_fn)(void *state, void *arg, http_piece_t *p);

/* Add p's next n bytes at data, which must stay valid until the next
 * http_piece_flush (and never point into the piece itself).  Written or
 * copied at once when the views are many.  n must be at most
 * http_piece_room(p); 0 always. */
int http_piece_add(http_piece_t *p, const void *data, size_t n);
/* http_piece_add for bytes that are also the bytes [off, off + n) of the
 * file fd, a file whose pages nothing rewrites while a socket may hold
 * them (blockstore/bs.h's frozen copies: sealed memfds; never data.mdb,
 * see above).  Where the piece writes to the socket they go with
 * sendfile, by reference, without a copy; where it copies, from data.
 * Both data and fd must stay valid until the next http_piece_flush (what
 * the socket does not take is copied from fd, so on the loop data is
 * never read).  By
 * reference only in a process that ignores SIGPIPE (the daemon): sendfile
 * cannot be told not to raise it when the client has gone. */
int http_piece_add_file(http_piece_t *p, const void *data, size_t n, int fd,
                        uint64_t off);
/* Whether the piece writes to the socket itself now (a view added now
 * may go by reference): worth asking before making a file to send. */
bool http_piece_direct(const http_piece_t *p);
/* Whether the fill runs on the event loop (http_stream_opts_t.loop): it
 * may then add file views and bytes of its own, but no view of memory
 * that may have to be read from disk (the map): it returns -EAGAIN
 * instead, having added none, and the stream goes on in the pool. */
bool http_piece_on_loop(const http_piece_t *p);
/* Room left in the piece. */
size_t http_piece_room(const http_piece_t *p);
/* Write the views added so far to the socket as far as it takes them
 * without waiting, and copy the rest into the piece's buffer. */
void http_piece_flush(http_piece_t *p);
/* A dag_data_cb (dag/reader.h) that adds views to the piece ud, dropping
 * bytes past its room (as http_copy_cb): what view fills pass to
 * dag_cat(). */
int http_piece_cb(const uint8_t *data, size_t n, void *ud);

typedef struct http_stream_opts {
  http_head_fn head;       /* may be NULL: headers already sent */
  /* The body's fill in view form (above), instead of the fill argument
   * (which may then be NULL). */
  http_vfill_fn vfill;
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
  /* A view fill's pieces are tried on the loop first (with a direct
   * socket): while they go out by reference (file views), whole, no
   * worker is woken and no thread hop is paid per piece (two context
   * switches, measured as a tenth of the daemon's time per 1 MiB
   * answer).  A fill that would read the map returns -EAGAIN there
   * (http_piece_on_loop), and the stream goes on in the pool. */
  bool loop;
  /* Written (a literal, not copied) before a body cut short after its
   * first bytes is aborted: a marker for a client, or a reverse proxy,
   * that would not notice the abort (boxo's CAR truncation marker).
   * NULL: none. */
  const char *cut_note;
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

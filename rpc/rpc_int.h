/*
 * rpc.h — what the RPC API's command files (rpc_*.c) share, internal to
 * gateway/: query parameters the way Kubo's go-ipfs-cmds reads them, error
 * answers in Kubo's shape, worker-pool jobs for blockstore work, and the
 * upload pipe that feeds multipart request bodies to a dedicated thread.
 *
 * Threading, as everywhere in the daemon: handlers run on the loop thread
 * and never touch LMDB there.  Short blockstore work runs as a job on the
 * libuv worker pool (rpc_job_*), each job in its own transactions; a
 * streamed answer produces its body piece by piece in the pool
 * (gateway/stream.h); an upload (add, block put, dag import) runs on a
 * thread of its own (rpc_up_*) because it holds one write batch for as long
 * as data flows, and LMDB ties a write transaction to the thread that began
 * it - the pool would hand consecutive pieces to different threads.
 */
#ifndef RPC_INT_H
#define RPC_INT_H

#include <stdarg.h>

#include "api.h"
#include "opts.h"
#include "multipart.h"
#include "../blockstore/pipe.h"
#include "../dag/reader.h"
#include "../http/stream.h"

/* Longest single argument or option value accepted (a path with its CID;
 * the HTTP layer caps the whole request line anyway). */
#define RPC_MAX_ARG 8192

/* ------------------------------------------------------------ reqlog */

/* rpc_diag.c's request log (diag/cmds): the router logs each command it
 * dispatches, with the request's args and options; the entry ends when
 * req does (it takes http_req_on_finish).  drop: the last begun was no
 * command after all (ext_cmd declined it).  free: at rpc_ctx_fini. */
void rpc__reqlog_begin(http_req_t *req, rpc_ctx_t *ctx, const char *cmd);
void rpc__reqlog_drop(http_req_t *req, rpc_ctx_t *ctx);
void rpc__reqlog_free(rpc_ctx_t *ctx);
/* rpc_log.c: log/tail's state, at rpc_ctx_fini (after the loop). */
void rpc__logtail_free(rpc_ctx_t *ctx);

/* ------------------------------------------------------------- params */

/* Every value of key in the request's query ("arg=a&arg=b"), percent- and
 * '+'-decoded, in order.  *out is a tr_malloc'ed array of tr_malloc'ed
 * strings (free with rpc_strv_free), NULL when n is 0.  Errors: -ENOMEM,
 * TR_EUSAGE (a malformed escape, an encoded NUL, a value over
 * RPC_MAX_ARG). */
int rpc_args(const http_req_t *req, const char *key, char ***out,
             size_t *n) TR_WUR;
void rpc_strv_free(char **v, size_t n);

/* The first value of key, or NULL when absent; tr_malloc'ed.  Errors as
 * rpc_args (*out is NULL then). */
int rpc_opt_str(const http_req_t *req, const char *key, char **out) TR_WUR;

/* Boolean option, parsed as Go's strconv.ParseBool (1 t T TRUE true True
 * and their false forms), an empty value meaning true as go-ipfs-cmds has
 * it; absent: dflt.  TR_EUSAGE on anything else. */
int rpc_opt_bool(const http_req_t *req, const char *key, bool dflt,
                 bool *out) TR_WUR;

/* Integer option (decimal, optional sign); absent: dflt.  TR_EUSAGE. */
int rpc_opt_i64(const http_req_t *req, const char *key, int64_t dflt,
                int64_t *out) TR_WUR;

/* Parse the options of command d (api_opts.h) from the request's query,
 * each under its API name, typed and range-checked as on the CLI.  Free
 * with rpc_vals_free().  TR_EUSAGE with a message in err (answer 400),
 * -ENOMEM. */
int rpc_vals_req(rpc_vals_t *v, const rpc_cmddef_t *d, const http_req_t *req,
                 char *err, size_t errlen) TR_WUR;

/* Exactly one "arg" (Kubo: `argument "name" is required`): answers 400
 * itself and returns non-zero when it is missing or repeated.  *out is
 * tr_malloc'ed. */
int rpc_one_arg(http_req_t *req, const char *what, char **out) TR_WUR;

/* A CID argument: "CID", "/ipfs/CID", "CID/path", "/ipfs/CID/path", or a
 * native URI ("ipfs://CID/path", "ipfs:CID": dag_path_rest).  Sets
 * *cid and *path (a view into arg after the CID, "" or "/a/b").  TR_ECID
 * and the codes of dag_cid_parse(). */
int rpc_parse_path(const char *arg, dag_cid_t *cid, const char **path) TR_WUR;

/* ------------------------------------------------------------ answers */

/* Kubo's error body {"Message", "Code", "Type": "error"}: Code 1 (client
 * error) for status 400, 0 otherwise.  Ends the response. */
void rpc_error(http_req_t *req, int status, const char *fmt, ...) TR_PRINTF(3, 4);

/* HTTP status Kubo gives for a trove error code (400 for bad arguments,
 * 500 for the rest, as go-ipfs-cmds maps ErrClient / ErrNormal). */
int rpc_status_for(int err);

/* Kubo's message for err about what (a CID or path), into buf. */
const char *rpc_errmsg(int err, const char *what, char *buf, size_t n);

/* Start a 200 answer with the headers go-ipfs-cmds sends: Content-Type,
 * Access-Control-Expose-Headers, Trailer: X-Stream-Error, Vary, and one of
 * X-Stream-Output (a byte stream) or X-Chunked-Output (NDJSON values).
 * ctype NULL means application/json.  length < 0: unknown (chunked).
 * x_content_length >= 0 adds X-Content-Length (cat and get). */
enum { RPC_SINGLE = 0, RPC_STREAM = 1, RPC_CHUNKED = 2 };
int rpc_start(http_req_t *req, int kind, const char *ctype, int64_t length,
              int64_t x_content_length);

/* ------------------------------------------------------------ one file */

/* What a command that takes one file (routing put, key import, ...) gets
 * once the body is read: the first part's bytes data[0..n), at most
 * max + 1 of them (n > max: the file was longer), valid during the call
 * (wiped after it); or req NULL when there is nothing to answer (the
 * client left, the body broke off, or it was refused and answered), to
 * free ud. */
typedef void (*rpc_file_fn)(http_req_t *req, const uint8_t *data, size_t n,
                            void *ud);
/* Read req's multipart body (rpc_file.c), then call done once, on the
 * loop (at once when the request has no multipart body).  A body without
 * a file part is answered with Kubo's `argument "what" is required`, a
 * broken one with a 400. */
void rpc_file_collect(http_req_t *req, const char *what, size_t max,
                      rpc_file_fn done, void *ud);

/* ----------------------------------------------------------- body args */

/* Bytes of arguments a request body may carry (body_args.c). */
#define RPC_BODY_ARGS_MAX (16u << 20)
/* For cmd (its API name) and a multipart body: read the body's lines as
 * more arg= values, then run fn; true when it took the request over. */
bool rpc__body_args(http_req_t *req, rpc_ctx_t *ctx, const char *cmd,
                    rpc_fn fn);
/* Its work, free of I/O: query (without '?'), then each non-empty line of
 * the file parts of body[0..len) (multipart, boundary in ctype) as arg=,
 * into q as "?a=1&arg=..." (nothing when both are empty).  0, the
 * multipart parser's errors, TR_EUSAGE (a line holds a NUL), -ENOMEM.
 * Exposed for its fuzz target. */
int rpc__body_query(const char *query, const char *ctype,
                    const uint8_t *body, size_t len, tr_bytes_t *q) TR_WUR;

/* ---------------------------------------------------------------- jobs */

typedef struct rpc_job rpc_job_t;
typedef void (*rpc_work_fn)(rpc_job_t *j);
typedef void (*rpc_done_fn)(rpc_job_t *j);

struct rpc_job {
  uv_work_t work;
  http_req_t *req;
  rpc_ctx_t *ctx;
  bs_env_t *env;
  rpc_work_fn fn;   /* on a worker thread */
  rpc_done_fn done; /* on the loop afterwards; NULL: the default answer */
  void *state;
  void (*free_state)(void *state);
  /* Results, set by fn.  The default answer is: an error when status is
   * >= 400 (message in err); else json when set; else the bytes in out
   * with ctype (NDJSON when kind is RPC_CHUNKED). */
  int status;
  char err[1024];
  json_t *json;
  tr_bytes_t out;
  int kind;
  const char *ctype;
  /* Fetching (rpc_job_run_fetch): fn reads through rpc_job_get(), which
   * notes a block the repo lacks, or notes a whole DAG with
   * rpc_job_missing(); when fn fails with one noted, it is fetched and fn
   * runs again from the start, so fn must be rerunnable on its state. */
  bool refetch, has_missing, has_last;
  unsigned missing_flags, last_flags; /* BS_FETCH_DAG: the DAG under it */
  dag_cid_t missing, last, hint;
  bs_txn_t *txn;           /* the transaction rpc_job_get() reads in */
  uint64_t deadline;       /* uv_now() past which no wait lasts: the
                              request's, from timeout= */
  uint64_t fetch;          /* the running fetch, 0 when none */
  uint64_t stall_n;        /* store's blocks when its stall timer began */
  uv_timer_t *timer;       /* its deadline */
  bool fetch_on;           /* this request fetches (rpc_fetch_policy) */
  uint32_t fetch_ms;
  /* Set by fn (pin add --progress): while a fetch runs the answer is
   * NDJSON, its headers sent as the first fetch begins, with Kubo's
   * {"Progress":N} every RPC_PROGRESS_MS (N: blocks the store gained since
   * then - others' fetches count too: an approximation), and the result
   * as the last line (an error: an error value, then a cut). */
  bool progress, started;
  uint64_t prog_base;
  uv_timer_t *ptimer;
  bool again; /* rpc_job_again() */
};

#define RPC_PROGRESS_MS 500
/* How long a job that cannot go on yet waits before it runs again. */
#define RPC_AGAIN_MS 100

/* The request's fetching: on unless the ctx has no fetcher, ctx->offline,
 * or offline=true in the query; *ms from timeout= (Kubo's global option,
 * a Go duration) or the ctx's.  TR_EUSAGE for a malformed one (the caller
 * answers 400). */
int rpc_fetch_policy(http_req_t *req, const rpc_ctx_t *ctx, bool *on,
                     uint32_t *ms) TR_WUR;

/* rpc_job_run() for a job that fetches what its fn finds missing. */
int rpc_job_run_fetch(http_req_t *req, rpc_ctx_t *ctx, rpc_work_fn fn,
                      rpc_done_fn done, void *state,
                      void (*free_state)(void *state));
/* The dag_get_cb of jobs that fetch: reads in j->txn (ud is j), notes a
 * missing block. */
int rpc_job_get(const dag_cid_t *cid, const uint8_t **data, size_t *len,
                void *ud);
/* From fn, before failing: what to fetch (flags: 0, or BS_FETCH_DAG for
 * the whole DAG under cid).  The last call before fn returns wins. */
void rpc_job_missing(rpc_job_t *j, const dag_cid_t *cid, unsigned flags);
/* From fn, failing: run fn again in RPC_AGAIN_MS, until the request's
 * deadline (a job of rpc_job_run_fetch; for what cannot be waited for on
 * the pool, such as the gc lock while a GC runs). */
void rpc_job_again(rpc_job_t *j);
/* From fn: whether the DAG under root is in the store down to max_depth
 * (-1: all of it) as a bs_walk with walk_flags sees it.  0 when it is;
 * TR_ENOTFOUND when not, having noted what to fetch (the whole DAG when
 * max_depth is -1, else the block the walk stopped at) and failed j with
 * Kubo's message; other bs_walk errors as they come (j untouched). */
int rpc_job_dag_check(rpc_job_t *j, bs_txn_t *txn, const dag_cid_t *root,
                      int max_depth, unsigned walk_flags);

/* A streamed body whose state begins with an rpc_miss_t waits for the
 * blocks its fill finds missing (the gateway's way: stream.h's hook). */
typedef struct rpc_miss {
  const bs_fetcher_t *f; /* NULL: does not fetch */
  dag_cid_t root, cid, last;
  bool has, has_last;
  uint64_t handle;
  http_stream_t *s;
  uv_loop_t *loop;
  const rpc_ctx_t *ctx;
  uint64_t deadline;  /* the job's: no wait lasts past it */
  uv_timer_t *timer;  /* while a fetch runs */
} rpc_miss_t;
/* From done: rpc_job_stream() with fetching when j fetches, each wait
 * ending at the latest at j's deadline. */
void rpc_job_stream_fetch(rpc_job_t *j, http_fill_fn fill, rpc_miss_t *m,
                          const dag_cid_t *root);

/* Run fn on the pool, then answer.  Takes ownership of state (freed with
 * free_state when the job ends, whatever happens).  If the job cannot be
 * queued the request is answered with 500.  Returns 0 or -ENOMEM. */
int rpc_job_run(http_req_t *req, rpc_ctx_t *ctx, rpc_work_fn fn, rpc_done_fn done,
                void *state, void (*free_state)(void *state));
/* From fn: record an error answer (the first one wins). */
void rpc_job_fail(rpc_job_t *j, int status, const char *fmt, ...) TR_PRINTF(3, 4);

/* Resolve "CID[/path]" inside txn.  rpc_job_resolve() also records Kubo's
 * message for a failure as j's answer. */
int rpc_resolve(bs_txn_t *txn, const char *arg, dag_cid_t *out) TR_WUR;
/* rpc_resolve() reading through get; *root (may be NULL) is the path's
 * first CID. */
int rpc_resolve_cb(const char *arg, dag_get_cb get, void *ud, dag_cid_t *out,
                   dag_cid_t *root) TR_WUR;
int rpc_job_resolve(rpc_job_t *j, bs_txn_t *txn, const char *arg,
                    dag_cid_t *out);
/* After TR_EPATH from resolving arg: Kubo's message, "no link named
 * \"SEG\" under CID" for the segment not found and the node it was looked
 * for in. */
void rpc_resolve_miss(const char *arg, dag_get_cb get, void *ud, char *buf,
                      size_t n);
/* From fn: append one NDJSON line (steals o).  -ENOMEM. */
int rpc_job_line(rpc_job_t *j, json_t *o) TR_WUR;
/* From done: the default answer, and the end of the job (frees j). */
void rpc_job_answer(rpc_job_t *j);
/* From done, for a job failed (j->status) after NDJSON lines it has in
 * j->out: those lines, then the error as the X-Stream-Error trailer, as
 * Kubo fails after values it streamed (files rm).  Frees j. */
void rpc_job_lines_fail(rpc_job_t *j);
/* From done: stream the rest of the body with http_stream_start(), after
 * headers the caller has sent; the job's state passes to the stream (it
 * will be freed with free_state).  Frees j. */
void rpc_job_stream(rpc_job_t *j, http_fill_fn fill);
/* From done: the request goes on elsewhere (done took what it needs out
 * of the state, which is freed with j), unanswered here.  Frees j. */
void rpc_job_handoff(rpc_job_t *j);

/* ------------------------------------------------------------- uploads */

typedef struct rpc_up rpc_up_t;

/* A command that reads a multipart body on the upload thread.  Every
 * callback but free_state runs on that thread, in this order:
 *   begin, then for each part: part, data*, part_end; then finish; cleanup
 * always runs last, with the result so far (0, or the error or -ECANCELED
 * that ended the upload: roll back then); free_state
 * runs on the loop once the thread has been joined.  A callback returns 0
 * or a negative code; after rpc_up_fail() the message goes to the client.
 * idle (may be NULL) is called once the body has stalled for 100 ms: the
 * place to commit a batch, so a slow client never holds the repo's write
 * lock while nothing arrives. */
typedef struct rpc_up_cmd {
  int (*begin)(rpc_up_t *u);
  int (*part)(rpc_up_t *u, const rpc_mp_part_t *part);
  int (*data)(rpc_up_t *u, const uint8_t *p, size_t n);
  int (*part_end)(rpc_up_t *u);
  int (*finish)(rpc_up_t *u);
  void (*idle)(rpc_up_t *u);
  void (*cleanup)(rpc_up_t *u, int rc);
  void (*free_state)(void *state);
} rpc_up_cmd_t;

/* Most uploads that run at once; more get 503 (each holds a thread). */
#define RPC_MAX_UPLOADS 16

/* Answer req by running cmd over its multipart body on a new thread.  The
 * answer is NDJSON (X-Chunked-Output), its headers sent once the body has
 * been read (or once 1 MiB of output waits), so that an error found while
 * reading still gets a proper status; an error after that ends the stream
 * with an error value and a cut connection.  Takes ownership of state.
 * Answers the request itself on every path. */
void rpc_upload(http_req_t *req, rpc_ctx_t *ctx, const rpc_up_cmd_t *cmd,
                void *state);

/* For the callbacks (upload thread): */
void *rpc_up_state(rpc_up_t *u);
bs_env_t *rpc_up_env(rpc_up_t *u);
rpc_ctx_t *rpc_up_ctx(rpc_up_t *u);
/* Queue a block into the command's import pipe, as bs_pipe_put does: a
 * block that lies in the run of body the data callback was handed (a raw
 * leaf, a CAR's block) is lent to the pipe (bs_pipe_lend), not copied,
 * and the upload keeps its slab until the writer is done with it; other
 * bytes (a piece the parser or the importer copied) and lends past the
 * upload's bound on held slabs are copied.  Every block of an upload goes
 * to the same pipe, which the command ends in finish or cleanup, not
 * before (the upload asks it how far its writer has got until then).
 * Returns bs_pipe_put's and bs_pipe_lend's codes. */
int rpc_up_put(rpc_up_t *u, bs_pipe_t *pipe, const dag_cid_t *cid,
               const uint8_t *data, size_t len) TR_WUR;
/* Queue one NDJSON value for the client (steals o). */
int rpc_up_emit(rpc_up_t *u, json_t *o) TR_WUR;
/* Queue NDJSON lines already serialized (s[0..n), each ending in "\n",
 * copied).  Thread-safe, as rpc_up_emit is: add's writer thread sends its
 * held lines with it. */
int rpc_up_write(rpc_up_t *u, const char *s, size_t n) TR_WUR;
/* Record the error message (first wins) and return rc, for
 * `return rpc_up_fail(u, rc, 500, "...")`. */
int rpc_up_fail(rpc_up_t *u, int rc, int status, const char *fmt, ...)
    TR_PRINTF(4, 5);
/* Start the answer at the first value emitted instead of once the body is
 * in (progress the client shows while it uploads); errors after that go
 * in the stream.  Call from begin. */
void rpc_up_early(rpc_up_t *u);
/* The client went away: stop early. */
bool rpc_up_cancelled(rpc_up_t *u);

/* ---------------------------------------------------------- utilities */

/* json_dumps as Go's encoding/json writes it (<, > and & escaped), what
 * every answer of the API goes through; malloc'd (free()). */
char *rpc_json_dumps(const json_t *o, size_t flags);
/* A JSON string of s[0..n) (or of s), made valid UTF-8 when it is not
 * (tr_utf8_fix: each bad byte becomes U+FFFD, as in Kubo's answers).
 * jansson refuses invalid UTF-8, so every name, path, argument or message
 * that goes into an answer is built with these.  NULL on out-of-memory
 * only. */
json_t *rpc_json_strn(const char *s, size_t n);
json_t *rpc_json_str(const char *s);
/* A JSON array of the strings v[0..n), sorted in place first (byte order,
 * as Go's sort.Strings).  NULL on out-of-memory. */
json_t *rpc_json_sorted(const char **v, size_t n);
/* Go's nil slice, as Kubo's answers marshal it: an empty array arr
 * becomes null (arr is taken; NULL stays NULL: -ENOMEM). */
json_t *rpc_json_nil_if_empty(json_t *arr);

/* Go's url.QueryUnescape of s into a new string ('+' is a space); NULL on
 * -ENOMEM.  A malformed escape leaves s as it is, as boxo/files does. */
char *rpc_query_unescape(const char *s);

/* go-ipfs-files' fileName(): the part's filename, unescaped and cleaned as
 * path.Clean("/" + name) without the leading '/' ("" for the root).  New
 * string, NULL on -ENOMEM. */
char *rpc_clean_path(const char *filename);

/* Write o (taken) as one NDJSON line of an answer already started
 * (rpc_start RPC_CHUNKED); nothing when o is NULL or out of memory. */
void rpc_write_line(http_req_t *req, json_t *o);

/* Announce cid's content on the network through ctx->announce, if any
 * (any thread). */
void rpc_announce(rpc_ctx_t *ctx, const dag_cid_t *cid);

/* ----------------------------------------------------------- commands */

/* The handlers, one family per file; api_cmds.c maps names to them. */
void rpc_cmd_add(http_req_t *req, rpc_ctx_t *ctx);          /* rpc_add.c */
void rpc_cmd_cat(http_req_t *req, rpc_ctx_t *ctx);          /* rpc_files.c */
void rpc_cmd_ls(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_refs(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_refs_local(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_get(http_req_t *req, rpc_ctx_t *ctx);          /* rpc_get.c */
void rpc_cmd_block_get(http_req_t *req, rpc_ctx_t *ctx);    /* rpc_block.c */
void rpc_cmd_block_put(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_block_stat(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_block_rm(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_pin_add(http_req_t *req, rpc_ctx_t *ctx);      /* rpc_pin.c */
void rpc_cmd_pin_rm(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_pin_ls(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_pin_update(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_pin_verify(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_dag_export(http_req_t *req, rpc_ctx_t *ctx);   /* rpc_dag.c */
void rpc_cmd_dag_import(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_dag_get(http_req_t *req, rpc_ctx_t *ctx);      /* rpc_dagcmd.c */
void rpc_cmd_dag_put(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_dag_resolve(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_dag_stat(http_req_t *req, rpc_ctx_t *ctx);
/* rpc_mfs.c: Kubo's files commands (files/read is rpc_files.c's). */
void rpc_cmd_files_ls(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_files_stat(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_files_flush(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_files_mkdir(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_files_cp(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_files_mv(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_files_rm(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_files_chcid(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_files_chmod(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_files_touch(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_files_read(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_files_write(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_config(http_req_t *req, rpc_ctx_t *ctx);           /* rpc_node.c */
void rpc_cmd_config_show(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_config_profile_apply(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_log_level(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_bootstrap_list(http_req_t *req, rpc_ctx_t *ctx); /* rpc_bootstrap.c */
void rpc_cmd_bootstrap_add(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_bootstrap_add_default(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_bootstrap_rm(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_bootstrap_rm_all(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_repo_gc(http_req_t *req, rpc_ctx_t *ctx);       /* rpc_gc.c */
void rpc_cmd_repo_stat(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_repo_verify(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_repo_version(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_id(http_req_t *req, rpc_ctx_t *ctx);            /* rpc_swarm.c */
void rpc_cmd_swarm_peers(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_swarm_connect(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_swarm_disconnect(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_swarm_addrs(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_swarm_addrs_local(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_swarm_filters(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_swarm_filters_add(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_swarm_filters_rm(http_req_t *req, rpc_ctx_t *ctx);
/* rpc_peering.c: swarm peering add, ls, rm (net/peering.h). */
void rpc_cmd_swarm_peering_add(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_swarm_peering_ls(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_swarm_peering_rm(http_req_t *req, rpc_ctx_t *ctx);
/* rpc_p2p.c */
void rpc_cmd_p2p_listen(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_p2p_forward(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_p2p_ls(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_p2p_close(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_p2p_stream_ls(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_p2p_stream_close(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_swarm_addrs_autonat(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_ping(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_routing_findprovs(http_req_t *req, rpc_ctx_t *ctx); /* rpc_routing.c */
void rpc_cmd_routing_findpeer(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_routing_provide(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_routing_get(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_routing_put(http_req_t *req, rpc_ctx_t *ctx); /* rpc_routing_put.c */
void rpc_cmd_dht_query(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_stats_dht(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_name_publish(http_req_t *req, rpc_ctx_t *ctx); /* rpc_name.c */
void rpc_cmd_key_gen(http_req_t *req, rpc_ctx_t *ctx); /* rpc_key.c */
void rpc_cmd_key_ls(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_key_rm(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_key_rename(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_key_import(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_key_sign(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_name_get(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_name_put(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_name_inspect(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_key_verify(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_name_resolve(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_resolve(http_req_t *req, rpc_ctx_t *ctx);     /* rpc_resolve.c */
void rpc_cmd_cid_format(http_req_t *req, rpc_ctx_t *ctx);  /* rpc_cid.c */
void rpc_cmd_cid_base32(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_cid_inspect(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_cid_bases(http_req_t *req, rpc_ctx_t *ctx); /* multibase/list */
void rpc_cmd_cid_codecs(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_cid_hashes(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_multibase_encode(http_req_t *req, rpc_ctx_t *ctx); /* rpc_multibase.c */
void rpc_cmd_multibase_decode(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_multibase_transcode(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_swarm_addrs_listen(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_config_replace(http_req_t *req, rpc_ctx_t *ctx); /* rpc_node.c */
void rpc_cmd_version(http_req_t *req, rpc_ctx_t *ctx); /* rpc_version.c */
void rpc_cmd_version_deps(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_commands(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_log_ls(http_req_t *req, rpc_ctx_t *ctx);      /* rpc_log.c */
void rpc_cmd_log_tail(http_req_t *req, rpc_ctx_t *ctx);
/* rpc_pubsub.c: Kubo's pubsub commands. */
void rpc_cmd_pubsub_pub(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_pubsub_sub(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_pubsub_ls(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_pubsub_peers(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_pubsub_reset(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_diag_cmds(http_req_t *req, rpc_ctx_t *ctx);   /* rpc_diag.c */
void rpc_cmd_diag_cmds_clear(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_diag_cmds_set_time(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_diag_sys(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_diag_healthy(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_provide_stat(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_provide_once(http_req_t *req, rpc_ctx_t *ctx); /* rpc_provide.c */
void rpc_cmd_provide_clear(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_bitswap_stat(http_req_t *req, rpc_ctx_t *ctx); /* rpc_bitswap.c */
void rpc_cmd_bitswap_wantlist(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_bitswap_ledger(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_bitswap_reprovide(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_stats_bw(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_filestore_ls(http_req_t *req, rpc_ctx_t *ctx); /* rpc_filestore.c */
void rpc_cmd_filestore_verify(http_req_t *req, rpc_ctx_t *ctx);
void rpc_cmd_filestore_dups(http_req_t *req, rpc_ctx_t *ctx);

/* ---------------------------------------------------------- rpc_obs.c */

/* Whether path is one of the observability pages, and their handler (the
 * origin check done by the caller). */
bool rpc__obs_path(const char *path);
void rpc__obs_handle(http_req_t *req, rpc_ctx_t *ctx);

#endif /* RPC_INT_H */

/*
 * pipe.h — an import's writer thread: the producer (the importer, which
 * reads, chunks and hashes) queues blocks, and a thread of the pipe's own
 * owns a blockstore batch (bs.h; an LMDB write transaction is bound to the
 * thread that began it): it puts them, commits, and waits for each
 * commit's sync while the producer goes on hashing the next blocks.  Used
 * by `trove add` (cli/cmd_add.c) and /api/v0/add (rpc/rpc_add.c).
 *
 * Between the two a bounded queue of BS_PIPE_BYTES: blocks are copied into
 * it once (the importer reuses its buffer when put returns), or read into
 * it in the first place (bs_pipe_room), and put from there; or lent
 * (bs_pipe_lend): put from the producer's memory, which it keeps until the
 * writer is done with them (an upload's body slabs, rpc/rpc_upload.c).
 * Everything queued is done in queue order.
 *
 * Lines: bs_pipe_line() queues bytes (an "added" line) that must not reach
 * anyone before every block queued ahead of them is committed.  The pipe
 * holds them, and after each commit that makes them true - the batch's own
 * at its size, a timed one, bs_pipe_commit's, bs_pipe_end's - hands them
 * to the lines callback on the writer thread.  A line queued while no
 * transaction is open (everything before it is committed) goes out at
 * once.  Lines held when the pipe fails are dropped, never handed out.
 *
 * Commits: the batch commits at its size (bs_batch_begin's default,
 * TROVE_BATCH_MB) and, when max_open_ms is set, before a put into a
 * transaction open that long; bs_pipe_commit() asks for one now.  After a
 * timed or asked-for commit the transaction stays closed until the next
 * item needs it, and the writer first steps aside for BS_PIPE_YIELD_MS:
 * the repo's write lock is not fair, and a writer woken by the commit (a
 * pin, another upload) would otherwise lose the race every time.
 *
 * Errors: the first error of the writer (a put's, a commit's: TR_EMAPFULL,
 * -ENOSPC, a callback's) is sticky; from then on the writer drops what is
 * queued and every call below returns it, so the producer stops at its
 * next put or sync.  A caller that must name the failing step syncs after
 * it.
 *
 * Undo: an all-or-nothing import (dag import) gives the pipe its undo log
 * (bs_pipe_set_undo, bs.h's bs_undo_*): the writer then puts every block
 * through bs_undo_put, which records those stored new.  On failure the
 * import ends the pipe with abort (what is pending is dropped) and then
 * runs the undo, which deletes what earlier commits stored.
 */
#ifndef BS_PIPE_H
#define BS_PIPE_H

#include "bs.h"

/* Bytes of queued blocks, lines and call arguments.  The importer races
 * ahead of the writer by up to this much; it adds to an add's RSS (the
 * batch's dirty pages are the rest). */
#define BS_PIPE_BYTES (16u << 20)
/* Queued items (a block, a line, a call) at most: bounds the queue of a
 * tree of tiny files. */
#define BS_PIPE_ITEMS 8192
/* How long the writer leaves the write lock alone after a timed or
 * asked-for commit. */
#define BS_PIPE_YIELD_MS 10

typedef struct bs_pipe bs_pipe_t;

/* Called on the writer thread with the batch's current transaction and the
 * pipe's copy of the argument bytes given to bs_pipe_call(). */
typedef int (*bs_pipe_fn)(bs_txn_t *txn, const void *arg, size_t len);
/* Called on the writer thread with lines whose blocks are all committed
 * (views valid during the call), in queue order.  Non-zero is an error:
 * it becomes sticky. */
typedef int (*bs_pipe_lines_cb)(const char *lines, size_t len, void *ud);

/* Start the writer thread on env; lines gets the lines (may be NULL when
 * none are queued); max_open_ms (0: no limit) bounds how long a
 * transaction stays open while blocks come.  The first transaction begins
 * here: its error is returned.  Returns 0, bs_batch_begin's error,
 * -ENOMEM or pthread's error (negative); *p is set only on success. */
int bs_pipe_start(bs_env_t *env, uint32_t max_open_ms, bs_pipe_lines_cb lines,
                  void *ud, bs_pipe_t **p) TR_WUR;
/* Put blocks through bs_undo_put(u, ...) from now on (u NULL: plain puts
 * again).  The log stays the caller's, and is the writer thread's until
 * bs_pipe_sync or bs_pipe_end returns: set it before the first put. */
void bs_pipe_set_undo(bs_pipe_t *p, bs_undo_t *u);
/* Kubo's add --fscache: from now on a block the filestore references
 * (bs.h) is not stored again, so that adding the files of a --nocopy add
 * the usual way costs no space for what their references cover.  Set it
 * before the first put. */
void bs_pipe_set_fscache(bs_pipe_t *p, bool on);
/* Queue a block (copied).  0, the sticky error, or TR_ETOOBIG (over
 * BS_MAX_BLOCK).  Waits while the queue is full. */
int bs_pipe_put(bs_pipe_t *p, const dag_cid_t *cid, const uint8_t *data,
                size_t len) TR_WUR;
/* Queue a block lent, not copied: the writer puts data[0..len) from where
 * it lies, so those bytes must stay as they are, and allocated, until the
 * writer is done with the block: until bs_pipe_done(p) >= *ticket, or
 * bs_pipe_sync or bs_pipe_end has returned.  (The put copies them into the
 * map; a block dropped after an error, or by an abort, is done too.)  Lent
 * bytes count against BS_PIPE_BYTES as copied ones do, and the call waits
 * while the queue is full, so a producer never has more than that lent at
 * once.  0 (*ticket set), the sticky error (nothing is queued, nothing
 * lent) or TR_ETOOBIG. */
int bs_pipe_lend(bs_pipe_t *p, const dag_cid_t *cid, const uint8_t *data,
                 size_t len, uint64_t *ticket) TR_WUR;
/* The items (blocks, lines, calls) the writer is done with so far, in
 * queue order: a lent block is done once this reaches its ticket.  Any
 * thread, until bs_pipe_end. */
uint64_t bs_pipe_done(bs_pipe_t *p);
/* Room in the queue itself for the bytes of the next blocks, so that a
 * producer that reads its input (read(2)) can read them straight there:
 * *room gets len writable bytes (len <= BS_PIPE_ROOM_MAX), and a
 * bs_pipe_put whose bytes lie inside them takes them where they are,
 * without the copy; what lies after them stays the producer's room, for
 * the next such put (the blocks in a room are put in the order they lie
 * in it; bytes skipped are dropped).  The room is the producer's until
 * its next other call on p: a put of bytes outside it, or any other call,
 * gives it up (its bytes may then be overwritten).  Waits while the queue
 * is full.  0, the sticky error or TR_ETOOBIG. */
#define BS_PIPE_ROOM_MAX (BS_PIPE_BYTES / 4)
int bs_pipe_room(bs_pipe_t *p, size_t len, uint8_t **room) TR_WUR;
/* Queue len bytes of lines (copied); TR_ETOOBIG over BS_PIPE_BYTES. */
int bs_pipe_line(bs_pipe_t *p, const char *line, size_t len) TR_WUR;
/* Queue a call of fn in the writer thread, in the transaction open then,
 * with a copy of arg[0..len) (len <= BS_PIPE_BYTES; the copy is aligned
 * as malloc's memory is, so arg may be a struct); its error becomes
 * sticky.  Does not wait: sync after it for its result. */
int bs_pipe_call(bs_pipe_t *p, bs_pipe_fn fn, const void *arg,
                 size_t len) TR_WUR;
/* Queue a recursive pin of cid named name (copied; may be NULL), written
 * in the transaction after every block queued before it (bs_pin_add's
 * errors become sticky).  TR_ETOOBIG for a name over BS_PIN_NAME_MAX.
 * Does not wait. */
int bs_pipe_pin(bs_pipe_t *p, const dag_cid_t *cid, const char *name) TR_WUR;
/* Queue a commit of what is pending (see Commits above); does not wait. */
int bs_pipe_commit(bs_pipe_t *p) TR_WUR;
/* Wait until everything queued is done; the sticky error or 0. */
int bs_pipe_sync(bs_pipe_t *p) TR_WUR;
/* Commit (commit and no error so far: the lines held go out) or abort what
 * is pending, stop the thread and free.  Returns the sticky error or the
 * last commit's. */
int bs_pipe_end(bs_pipe_t *p, bool commit) TR_WUR;

#endif /* BS_PIPE_H */

/*
 * add_pipe.h — `trove add`'s writer thread (add_pipe.c), internal to cli/.
 *
 * The add reads, chunks and hashes on the calling thread while a thread of
 * its own owns the blockstore batch (LMDB write transactions are bound to
 * the thread that began them): it puts the blocks, commits, and waits for
 * each commit's fdatasync while the next blocks are being hashed.  Between
 * them a bounded queue of CLI_PIPE_BYTES: blocks are copied into it once
 * (the importer reuses its buffer when put returns) and put from there.
 *
 * Order: everything queued is done in queue order, so a line queued after
 * a file's blocks (cli__pipe_line) is handed to the line callback only
 * once those blocks are put; the callback (bs_batch_on_commit's) runs on
 * the writer thread after each commit.
 *
 * Errors: the first error of the writer (a put's, a commit's: TR_EMAPFULL,
 * -ENOSPC, ...) is sticky; from then on the writer drops what is queued and
 * every call below returns it, so the producer stops at its next put or
 * sync.  A caller that must name the failing step syncs after it.
 */
#ifndef CLI_ADD_PIPE_H
#define CLI_ADD_PIPE_H

#include "../blockstore/bs.h"

/* Bytes of queued blocks and lines.  The writer commits every
 * BS_BATCH_BYTES and the importer races ahead meanwhile by up to this much;
 * it adds to an add's RSS (the batch's dirty pages are the rest). */
#define CLI_PIPE_BYTES (16u << 20)
/* Queued items (a block, a line, a call) at most: bounds the queue of a
 * tree of tiny files. */
#define CLI_PIPE_ITEMS 8192

typedef struct cli_pipe cli_pipe_t;

/* Called on the writer thread with the batch's current transaction. */
typedef int (*cli_pipe_fn)(bs_txn_t *txn, void *arg);
/* Called on the writer thread with each queued line, after every block
 * queued before it is put (not yet committed). */
typedef int (*cli_pipe_line_cb)(const char *line, size_t len, void *ud);

/* Start the writer thread and its batch on env (bs_batch_begin's default
 * size); on_commit is bs_batch_on_commit's callback, line gets the queued
 * lines.  Returns 0, bs_batch_begin's error, -ENOMEM or pthread's error
 * (negative); *p is set only on success. */
int cli__pipe_start(bs_env_t *env, bs_batch_commit_cb on_commit,
                    cli_pipe_line_cb line, void *ud, cli_pipe_t **p) TR_WUR;
/* Queue a block (copied).  0, the sticky error, or TR_ETOOBIG (over
 * BS_MAX_BLOCK).  Waits while the queue is full. */
int cli__pipe_put(cli_pipe_t *p, const dag_cid_t *cid, const uint8_t *data,
                  size_t len) TR_WUR;
/* Queue a line (copied) for the line callback. */
int cli__pipe_line(cli_pipe_t *p, const char *line, size_t len) TR_WUR;
/* Wait until everything queued is done; the sticky error or 0. */
int cli__pipe_sync(cli_pipe_t *p) TR_WUR;
/* Run fn in the writer thread after everything queued, and wait for it:
 * its error (which becomes sticky), or the sticky error from before (then
 * fn does not run). */
int cli__pipe_call(cli_pipe_t *p, cli_pipe_fn fn, void *arg) TR_WUR;
/* Commit (commit and no error so far) or abort what is pending, stop the
 * thread and free.  Returns the sticky error or bs_batch_end's. */
int cli__pipe_end(cli_pipe_t *p, bool commit) TR_WUR;

#endif /* CLI_ADD_PIPE_H */

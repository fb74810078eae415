/*
 * pipe_out.c — stdout for a stream of views into the repo's map (cat): the
 * bytes go out without a copy when stdout is a pipe, and the map's pages
 * leave this process's RSS as they go.
 *
 * Into a pipe, a piece of at least CLI_SPLICE_MIN bytes is vmsplice()d: the
 * pipe takes references to the page cache pages under the map instead of a
 * copy of them (measured: a 512 MiB file into `dd of=/dev/null bs=4M`,
 * 0.25 s copied through a 64 KiB pipe, 0.09 s spliced through a 1 MiB one).
 * Those pages are LMDB's, and the read transaction keeps them from being
 * reused only while it is open: once it ends, a writer may reuse the pages
 * of blocks a GC freed, and bytes still in the pipe would change under the
 * reader.  So the last pipe-size bytes of every stream are copied, never
 * spliced: a piece is spliced only when at least the pipe's size in bytes
 * follows it, and those later bytes all end up copied (queued views are
 * copied at the end).  The copied tail fills every slot of the pipe, so when
 * cli_out_finish() returns, no spliced page is still in it: the transaction
 * may end.  What is not covered: a reader that splices the pages onward
 * (tee(2), or `pv`) or grows the pipe while we write - the pages then
 * outlive the pipe, as a file's pages outlive sendfile(2); their bytes
 * change only if a GC deletes this very file and a write reuses its pages
 * in that moment.
 *
 * Elsewhere (a file, a terminal, /dev/null, a non-blocking pipe) every
 * piece is written with write(2), as cli_write_out() does.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cli.h"

/* The pipe size asked for: the kernel's default for unprivileged users'
 * largest (/proc/sys/fs/pipe-max-size); fewer switches between writer and
 * reader than the default 64 KiB.  A larger pipe is left as it is. */
#define CLI_PIPE_BYTES (1u << 20)

void cli_out_init(cli_out_t *o, bs_txn_t *txn) {
  *o = (cli_out_t){.txn = txn};
  struct stat st;
  int fl = fcntl(1, F_GETFL);
  if (fstat(1, &st) || !S_ISFIFO(st.st_mode) || fl < 0 || (fl & O_NONBLOCK))
    return;
  int sz = fcntl(1, F_GETPIPE_SZ);
  if (sz > 0 && (unsigned)sz < CLI_PIPE_BYTES &&
      fcntl(1, F_SETPIPE_SZ, CLI_PIPE_BYTES) > 0)
    sz = fcntl(1, F_GETPIPE_SZ);
  if (sz <= 0)
    return;
  o->splice = true;
  o->cap = (size_t)sz;
}

static int splice_out(const uint8_t *p, size_t n) {
  struct iovec v = {(void *)p, n};
  while (v.iov_len) {
    ssize_t w = vmsplice(1, &v, 1, 0);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    v.iov_base = (uint8_t *)v.iov_base + w;
    v.iov_len -= (size_t)w;
  }
  return 0;
}

/* Send the oldest queued view: spliced when enough follows it. */
static int send_front(cli_out_t *o) {
  cli_out_piece_t *f = &o->q[o->head];
  size_t after = o->queued - f->n;
  int rc = o->splice && f->n >= CLI_SPLICE_MIN && after >= o->cap
               ? splice_out(f->p, f->n)
               : cli_write_out(f->p, f->n);
  bs_txn_release(o->txn, f->p, f->n);
  o->head = (o->head + 1) % CLI_OUT_QUEUE;
  o->len--;
  o->queued = after;
  return rc;
}

int cli_out_write(const uint8_t *p, size_t n, void *ud) {
  cli_out_t *o = ud;
  if (!o->splice) {
    int rc = cli_write_out(p, n);
    bs_txn_release(o->txn, p, n);
    return rc;
  }
  if (o->len == CLI_OUT_QUEUE) {
    int rc = send_front(o); /* copied: less than cap follows it */
    if (rc)
      return rc;
  }
  o->q[(o->head + o->len) % CLI_OUT_QUEUE] = (cli_out_piece_t){p, n};
  o->len++;
  o->queued += n;
  while (o->len > 1 && o->queued - o->q[o->head].n >= o->cap) {
    int rc = send_front(o);
    if (rc)
      return rc;
  }
  return 0;
}

int cli_out_finish(cli_out_t *o) {
  int rc = 0;
  while (o->len && !rc) {
    o->cap = SIZE_MAX; /* copy all that is left */
    rc = send_front(o);
  }
  o->len = 0;
  o->queued = 0;
  return rc;
}

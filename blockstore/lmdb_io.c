/*
 * lmdb_io.c — LMDB's writes of data.mdb, cut into calls of at most
 * BS_WRITE_CAP (64 KiB) bytes, a page written alone in a call of its own.
 *
 * LMDB (linked statically, see the Makefile) writes a commit's dirty pages
 * with writev, a run of contiguous pages in one call (up to 64 runs: the
 * 1 MiB values of a `trove add` go out 16 MiB at a time), and a lone run
 * with pwrite.  The kernel sizes the page-cache folios it allocates for a
 * write after the write's length.  On this project's VMs (Linux 6.18,
 * ext4, virtio-balloon free page reporting) a new large folio is slow to
 * fill: the copy into it (perf: copy_folio_from_iter_atomic, 96% of the
 * samples) waits on the host to back the memory.  Appending to a file:
 * - 512 MiB with `dd conv=fsync`: 0.34-0.37 s with bs=1M, 1.65-2.08 s
 *   with bs=2M (an earlier VM); LMDB's writes were first cut to 1 MiB for
 *   that: a 512 MiB `trove add` went from 1.00-1.24 s to 0.43-0.47 s.
 * - Past ~1 GB 1 MiB writes are slow too (2026-12-05, a fresh process
 *   appending with pwrite; the time of the writes, before the fdatasync):
 *   2 GiB took 2.7-6.9 s with 1 MiB calls and 0.4-0.5 s with 64 or 128
 *   KiB calls; 3 GiB 6.8-11.6 s with 1 MiB, 0.8 s with 64 KiB and
 *   1.7-1.8 s with 4 KiB; 5 GiB 7.8-8.0 s with 1 MiB and 2.2-6.6 s with
 *   64 KiB (14.9 s once, the first run after a pause: new memory is slow
 *   at any size).  A `trove add` of a 3 GiB file: 6.2-8.6 s (1 MiB),
 *   5.3-5.4 s (256 KiB), 3.8-4.1 s (128 KiB), 3.4-5.4 s (64 KiB), the
 *   caps alternating.  The two binaries, 3
 *   s after a 2 GiB file was written and removed: 3.4-6.4 s with 1 MiB,
 *   2.8-2.9 s with 64 KiB; on a machine at rest both took 2.8-2.9 s.
 *   bench_blockstore at 100k blocks: 2.4-2.5 s with 1 MiB, 2.5-2.6 s
 *   with 64 KiB, its file-mapped RSS 24-26 MiB -> 11 MiB.
 * So the cap is 64 KiB (BS_WRITE_CAP).  On a machine without the effect the
 * cost is a syscall per 64 KiB written: 16k calls a GB, some tens of ms.
 *
 * A page written alone is also a call of its own (an iovec of at most a
 * page: in LMDB's writev each dirty page or overflow run is one), so that
 * leaves and branch pages sit in folios of one page.  Those are the pages
 * the next commits free and LMDB hands out again; rewriting one inside a
 * folio that a long write made (16 pages at the cap) dirtied, and wrote
 * back, the whole folio.  bench_blockstore at 300k blocks, each commit
 * using the pages the ones before freed: 10.5 GB dirtied for a 3.7 GB
 * file, 5.0 GB with this, in the same time (2026-12-05, bench/README.md).
 * Runs of contiguous new leaves, an import of small blocks, pay a call a
 * page: 150k blocks of 288 B imported through the daemon made 58k write
 * calls, 6k without this (it_api_hard), and a CAR of 1M blocks of 600 B
 * imported in 25.5-27.0 s with it and 24.7-26.0 s without (3 runs each,
 * alternating).
 *
 * The linker sends every call of writev and pwrite in the link here
 * (--wrap=writev, --wrap=pwrite): LMDB's, and trove's own, of which there
 * are none outside a test; libuv and the other shared libraries keep the
 * C library's.  The semantics LMDB relies on are kept: writev writes at
 * the file offset and advances it, pwrite at the offset given; a call
 * returns the whole count or fails.  A failure after part of the bytes
 * were written returns -1 with that part's errno (ENOSPC stays ENOSPC) -
 * LMDB aborts the commit on any error or short count, so what was written
 * of it does not matter.
 */
#include "bs_int.h"

#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

ssize_t __real_writev(int fd, const struct iovec *iov, int iovcnt);
ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_writev(int fd, const struct iovec *iov, int iovcnt);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off);

#define PIECE_IOV 64 /* iovecs a piece of a writev holds at most */

/* A write's result: 1 when it wrote something, 0 to try again (EINTR), -1
 * to fail (errno set; a write of nothing is EIO, as LMDB has it). */
static int outcome(ssize_t w) {
  if (w > 0)
    return 1;
  if (w < 0 && errno == EINTR)
    return 0;
  if (w == 0)
    errno = EIO;
  return -1;
}

/* Write all of iov[0..n) (one piece, at most BS_WRITE_CAP bytes), going on
 * after a short count; its length, or -1 with errno. */
static ssize_t write_piece(int fd, struct iovec *iov, int n, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t w = __real_writev(fd, iov, n);
    int o = outcome(w);
    if (o < 0)
      return -1;
    if (!o)
      continue;
    done += (size_t)w;
    for (size_t left = (size_t)w; left && n;) { /* drop what was written */
      size_t take = left < iov->iov_len ? left : iov->iov_len;
      iov->iov_base = (char *)iov->iov_base + take;
      iov->iov_len -= take;
      left -= take;
      if (!iov->iov_len)
        iov++, n--;
    }
  }
  return (ssize_t)len;
}

ssize_t __wrap_writev(int fd, const struct iovec *iov, int iovcnt) {
  size_t page = (size_t)getpagesize(), total = 0;
  for (int i = 0; i < iovcnt; i++)
    total += iov[i].iov_len;
  if (total <= BS_WRITE_CAP && (iovcnt == 1 || total <= page))
    return __real_writev(fd, iov, iovcnt);
  int i = 0;
  size_t off = 0; /* into iov[i] */
  while (i < iovcnt) {
    struct iovec piece[PIECE_IOV];
    int n = 0;
    size_t len = 0;
    bool alone = false; /* the piece is one iovec of at most a page */
    /* A piece: one iovec of at most a page; or runs longer than a page,
     * up to BS_WRITE_CAP bytes. */
    while (i < iovcnt && n < PIECE_IOV && len < BS_WRITE_CAP) {
      bool small = iov[i].iov_len <= page;
      if (n && (small || alone))
        break;
      alone = small;
      size_t take = iov[i].iov_len - off;
      if (take > BS_WRITE_CAP - len)
        take = BS_WRITE_CAP - len;
      piece[n++] = (struct iovec){(char *)iov[i].iov_base + off, take};
      len += take;
      off += take;
      if (off == iov[i].iov_len)
        i++, off = 0;
    }
    if (len && write_piece(fd, piece, n, len) < 0)
      return -1;
  }
  return (ssize_t)total;
}

ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off) {
  if (n <= BS_WRITE_CAP)
    return __real_pwrite(fd, buf, n, off);
  const char *p = buf;
  for (size_t done = 0; done < n;) {
    size_t len = n - done < BS_WRITE_CAP ? n - done : BS_WRITE_CAP;
    ssize_t w = __real_pwrite(fd, p + done, len, off + (off_t)done);
    int o = outcome(w);
    if (o < 0)
      return -1;
    if (o)
      done += (size_t)w;
  }
  return (ssize_t)n;
}

/*
 * mfs_write.c — `files write` (mfs.h's mfs_write_fd): boxo's getFileHandle,
 * then its DagModifier (dag/modify.h) over the file's DAG.
 */
#include "mfs_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../dag/dagpb.h"
#include "../dag/modify.h"

#define WRITE_CHUNK (1u << 20)

/* boxo's ft.FilePBData(nil, 0) as a dag-pb node: an empty File. */
static int empty_file(mfs_t *m, const mfs_prefix_t *p, dag_cid_t *cid) {
  static const uint8_t blk[] = {0x0a, 0x04, 0x08, 0x02, 0x18, 0x00};
  int rc = dag_cid_sum(cid, p->version, DAG_CODEC_DAG_PB, p->mh, blk,
                       sizeof blk);
  return rc ? rc : bs_put(m->txn, cid, blk, sizeof blk);
}

int mfs_write_fd(mfs_t *m, const mfs_write_t *w, int fd) {
  char clean[MFS_PATH_MAX + 2];
  int rc = mfs_check_path(m, w->path, clean, sizeof clean);
  if (rc)
    return rc;
  size_t cl = strlen(clean);
  if (cl > 1 && clean[cl - 1] == '/')
    clean[--cl] = 0;
  const mfs_prefix_t *pfx = w->has_pfx ? &w->pfx : &m->dflt;
  if (w->parents) {
    /* Kubo's ensureContainingDirectoryExists: mkdir -p of the parent. */
    char dir[MFS_PATH_MAX + 2];
    snprintf(dir, sizeof dir, "%s", clean);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
      *slash = 0;
      if ((rc = mfs_mkdir(m, dir, true, pfx)))
        return rc;
    }
  }
  dag_cid_t root;
  rc = mfs_lookup(m, clean, &root);
  if (rc == TR_EPATH && w->create) {
    /* boxo adds the empty file first, under the parent (which must be a
     * directory: "file does not exist" otherwise). */
    m->err[0] = 0;
    uint64_t ts = 6;
    if ((rc = empty_file(m, pfx, &root)) ||
        (rc = mfs_set_file(m, clean, &root, ts, true, false)))
      return rc;
  } else if (rc) {
    return rc;
  } else {
    dag_node_info_t info;
    if ((rc = dag_stat(&root, mfs__get_cb, m, &info)))
      return rc;
    if (info.kind == DAG_NODE_DIR)
      return mfs__fail(m, TR_ENOTFILE, "%s was not a file", clean);
    if (info.kind == DAG_NODE_SYMLINK)
      return mfs__fail(m, TR_ENOTFILE, "symlinks not yet supported");
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  dag_mod_opts_t o = {
      .raw_leaves = w->raw_leaves < 0 ? DAG_MOD_RAW_DEFAULT : w->raw_leaves,
      /* boxo stamps the time into an mtime the file already has */
      .has_now = true,
      .now_sec = now.tv_sec,
      .now_nsec = (uint32_t)now.tv_nsec,
  };
  dag_mod_t *md;
  if ((rc = dag_mod_new(&md, &root, &o, mfs__get_cb, mfs__put, m)))
    return mfs__fail(m, rc, "%s", tr_strerror(rc));
  /* Kubo: Truncate(0) when asked, Seek(offset), then io.Copy. */
  if (w->truncate)
    rc = dag_mod_truncate(md, 0);
  if (!rc)
    rc = dag_mod_seek(md, (uint64_t)w->offset);
  uint8_t *buf = rc ? NULL : tr_malloc(WRITE_CHUNK);
  if (!rc && !buf)
    rc = -ENOMEM;
  uint64_t left = w->count < 0 ? UINT64_MAX : (uint64_t)w->count;
  while (!rc && left) {
    size_t want = left < WRITE_CHUNK ? (size_t)left : WRITE_CHUNK;
    ssize_t n = read(fd, buf, want);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      rc = -errno;
      break;
    }
    if (!n)
      break;
    rc = dag_mod_write(md, buf, (size_t)n);
    left -= (uint64_t)n;
  }
  dag_import_result_t res;
  if (!rc)
    rc = dag_mod_finish(md, &res);
  dag_mod_free(md);
  tr_free(buf);
  if (!rc)
    rc = mfs_set_file(m, clean, &res.cid, res.tsize, false, false);
  if (rc && !m->err[0])
    mfs__fail(m, rc, "%s", tr_strerror(rc));
  return rc;
}

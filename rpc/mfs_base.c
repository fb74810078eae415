/*
 * mfs_base.c — what every part of the MFS stands on (mfs_int.h): reading
 * and storing blocks for it, the root in the repo's meta, what a node is,
 * its cumulative size, boxo's metadata setters, Kubo's messages.
 */
#include "mfs_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../dag/dagpb.h"
#include "../dag/multihash.h"

int mfs__fail(mfs_t *m, int rc, const char *fmt, ...) {
  if (!m->err[0]) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
  }
  return rc;
}

/* The empty directory, the root of a repo that has none yet (with the
 * default prefix QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn): Kubo
 * makes it at start, trove when the root first changes, so a read before
 * that finds it here instead of waiting for a fetch. */
static const uint8_t empty_dir_block[] = {0x0a, 0x02, 0x08, 0x01};

static bool is_empty_dir(const dag_cid_t *cid) {
  dag_cid_t e;
  return cid->codec == DAG_CODEC_DAG_PB &&
         !dag_cid_sum(&e, cid->version, DAG_CODEC_DAG_PB, cid->mh_code,
                      empty_dir_block, sizeof empty_dir_block) &&
         dag_cid_equal(&e, cid);
}

int mfs__get(mfs_t *m, const dag_cid_t *cid, const uint8_t **p, size_t *n) {
  if (is_empty_dir(cid)) {
    *p = empty_dir_block;
    *n = sizeof empty_dir_block;
    return 0;
  }
  return m->get ? m->get(cid, p, n, m->ud) : bs_get(m->txn, cid, p, n);
}

int mfs__put(const dag_cid_t *cid, const uint8_t *data, size_t len,
             void *ud) {
  return bs_put(((mfs_t *)ud)->txn, cid, data, len);
}

int mfs__get_cb(const dag_cid_t *cid, const uint8_t **p, size_t *n,
                void *m) {
  return mfs__get(m, cid, p, n);
}

int mfs_root(mfs_t *m, dag_cid_t *root) {
  const uint8_t *v;
  size_t n;
  int rc = bs_meta_get(m->txn, MFS_ROOT_KEY, &v, &n);
  /* Only a directory is ever stored there: anything else is damage. */
  if (!rc)
    return dag_cid_decode(root, v, n) == (int)n &&
                   root->codec == DAG_CODEC_DAG_PB
               ? 0
               : mfs__fail(m, TR_ECORRUPT, "the MFS root in the repo is not "
                           "a directory CID");
  if (rc != TR_ENOTFOUND)
    return rc;
  /* None yet: the empty directory in the root's format (Kubo's: the
   * Import settings'). */
  return dag_cid_sum(root, m->dflt.version, DAG_CODEC_DAG_PB,
                     m->dflt.mh ? m->dflt.mh : DAG_MH_SHA2_256,
                     empty_dir_block, sizeof empty_dir_block);
}

int mfs__kind(mfs_t *m, const dag_cid_t *cid, int *kind) {
  if (cid->codec == DAG_CODEC_RAW) {
    *kind = DAG_NODE_FILE;
    return 0;
  }
  dag_node_info_t info;
  int rc = dag_stat(cid, mfs__get_cb, m, &info);
  if (rc)
    return rc;
  *kind = info.kind == DAG_NODE_DIR ? DAG_NODE_DIR : DAG_NODE_FILE;
  return 0;
}

static int sum_tsize(const dag_pb_link_t *l, size_t i, void *ud) {
  (void)i;
  *(uint64_t *)ud += l->tsize;
  return 0;
}

int mfs_cumulative(mfs_t *m, const dag_cid_t *cid, uint64_t *size) {
  const uint8_t *p;
  size_t n;
  int rc = mfs__get(m, cid, &p, &n);
  if (rc)
    return rc;
  /* boxo's ProtoNode.Size: the block and its links' Tsizes. */
  uint64_t links = 0;
  dag_pb_node_t pb;
  if (cid->codec == DAG_CODEC_DAG_PB &&
      (rc = dag_pb_decode(p, n, sum_tsize, &links, &pb)))
    return rc;
  *size = n + links;
  return 0;
}

void mfs__meta_mode(dag_meta_t *meta, uint32_t mode) {
  /* boxo's ModePermsToUnixPerms of os.FileMode(mode): the 9 permission
   * bits; 0 clears the field. */
  meta->mode = mode & 0777;
  meta->has_mode = meta->mode != 0;
}

void mfs__meta_mtime(dag_meta_t *meta, int64_t sec, uint32_t nsec) {
  meta->has_mtime = true;
  meta->mtime_sec = sec;
  meta->mtime_nsec = nsec;
}


/*
 * nocopy.c — add --nocopy's references (nocopy.h).
 */
#include "nocopy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../config/config.h"
#include "fs_list.h"

/* boxo's messages (filestore.go, importer/helpers/dagbuilder.go) and
 * Kubo's (core/coreapi/unixfs.go). */
#define MSG_OFF                                                               \
  "either the filestore or the urlstore must be enabled to use nocopy, "      \
  "see: https://github.com/ipfs/kubo/blob/master/docs/"                       \
  "experimental-features.md#ipfs-filestore"
#define MSG_NO_REF "missing file path or URL, can't create filestore reference"

int rpc_nocopy_allowed(json_t *cfg, char *err, size_t cap) {
  bool fs = json_is_true(config_get(cfg, "Experimental.FilestoreEnabled"));
  bool url = json_is_true(config_get(cfg, "Experimental.UrlstoreEnabled"));
  if (fs)
    return 0;
  snprintf(err, cap, "%s", url ? RPC_FSL_OFF_MSG : MSG_OFF);
  return TR_EFSOFF;
}

int rpc_nocopy_file(rpc_nocopy_t *nc, const char *abspath, char *err,
                    size_t cap) {
  rpc_nocopy_end(nc);
  nc->off = 0;
  if (!abspath || !*abspath)
    return 0;
  char rel[BS_FS_PATH_MAX];
  int rc = bs_fs_relpath(nc->env, abspath, rel);
  if (rc == TR_EFSOUTSIDE)
    bs_fs_outside_msg(nc->env, err, cap);
  else if (rc)
    snprintf(err, cap, "%s: %s", abspath, tr_strerror(rc));
  if (!rc && !(nc->path = tr_strdup(abspath)))
    rc = -ENOMEM;
  return rc;
}

/* The writer thread's half: the argument is a ref_t and its path. */
typedef struct ref {
  dag_cid_t cid;
  uint64_t off, size;
  char path[];
} ref_t;

static int put_ref(bs_txn_t *txn, const void *arg, size_t len) {
  (void)len;
  const ref_t *r = arg;
  return bs_fs_put(txn, &r->cid, r->path, r->off, r->size);
}

int rpc_nocopy_put(rpc_nocopy_t *nc, bs_pipe_t *p, const dag_cid_t *cid,
                   size_t len, char *err, size_t cap) {
  /* Only raw leaves can be references (boxo's ProcessFileStore): a
   * file's dag-pb nodes, and anything outside a file, are blocks. */
  if (!nc->on || cid->codec != DAG_CODEC_RAW ||
      cid->mh_code == DAG_MH_IDENTITY)
    return 0;
  if (!nc->path) {
    snprintf(err, cap, "%s", MSG_NO_REF);
    return TR_EUSAGE;
  }
  size_t pl = strlen(nc->path) + 1;
  ref_t *r = tr_malloc(sizeof *r + pl);
  if (!r)
    return -ENOMEM;
  r->cid = *cid;
  r->off = nc->off;
  r->size = len;
  memcpy(r->path, nc->path, pl);
  nc->off += len;
  int rc = bs_pipe_call(p, put_ref, r, sizeof *r + pl);
  tr_free(r);
  return rc ? rc : 1;
}

void rpc_nocopy_end(rpc_nocopy_t *nc) {
  tr_free(nc->path);
  nc->path = NULL;
}

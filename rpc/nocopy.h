/*
 * nocopy.h — `add --nocopy` (Kubo's filestore, blockstore/bs.h): while a
 * file from the local disk is imported, its raw leaves become references
 * to its bytes (bs_fs_put, queued on the import's pipe, so that they are
 * written in order with the blocks and before the pin) instead of blocks.
 * Shared by `trove add` (cli/cmd_add.c), which knows each file's path, and
 * /api/v0/add (rpc_add.c), which takes it from a part's Abspath header as
 * Kubo's adder does.
 *
 * A reference is only as good as the file: the bytes uploaded are hashed,
 * and a read checks that the file still holds them (bs_get), so a client
 * that names a file it did not send gets blocks that fail to read, never
 * the file's bytes under another CID.
 */
#ifndef RPC_NOCOPY_H
#define RPC_NOCOPY_H

#include <jansson.h>

#include "../blockstore/pipe.h"

typedef struct rpc_nocopy {
  bool on;
  bs_env_t *env;
  char *path;   /* the file being imported, absolute; NULL: none known */
  uint64_t off; /* where its next leaf starts */
} rpc_nocopy_t;

/* Whether the repo's config (cfg, may be NULL) lets add --nocopy run:
 * 0, or TR_EFSOFF with Kubo's message in err ("either the filestore or
 * the urlstore must be enabled to use nocopy, ..." with neither flag,
 * "filestore is not enabled, see https://git.io/vNItf" with only
 * Experimental.UrlstoreEnabled: trove has no urlstore). */
int rpc_nocopy_allowed(json_t *cfg, char *err, size_t cap) TR_WUR;

/* A file begins: abspath (copied; NULL when the client sent none, which
 * its first leaf refuses as Kubo's ErrMissingFsRef).  TR_EFSOUTSIDE (err
 * worded as Kubo's), TR_ETOOBIG, TR_EUSAGE (not absolute), -ENOMEM. */
int rpc_nocopy_file(rpc_nocopy_t *nc, const char *abspath, char *err,
                    size_t cap) TR_WUR;
/* For a put callback: 1 when cid (len bytes) was queued on p as a
 * reference, 0 when it is no leaf of the file (store it as usual), or an
 * error (TR_EUSAGE: no path, err says so; the pipe's). */
int rpc_nocopy_put(rpc_nocopy_t *nc, bs_pipe_t *p, const dag_cid_t *cid,
                   size_t len, char *err, size_t cap) TR_WUR;
/* The file is done (its leaves are queued); frees the path. */
void rpc_nocopy_end(rpc_nocopy_t *nc);

#endif /* RPC_NOCOPY_H */

/*
 * tar.h — a UnixFS DAG (file, directory tree or symlink) as a tar stream,
 * as boxo's TarWriter makes it: what `trove get` sends and what the
 * gateway's ?format=tar / Accept: application/x-tar answers.  Sans-I/O:
 * blocks come from the caller's get callback, bytes go into the caller's
 * buffer, a piece at a time, from state that survives between pieces (so
 * each piece may run in its own read transaction).
 */
#ifndef DAG_TAR_H
#define DAG_TAR_H

#include "reader.h"

/* Deepest directory nesting written (a bound of the state's stack). */
#define DAG_TAR_MAX_DEPTH 1024

typedef struct dag_tar dag_tar_t;

/* Names in the DAG may hold '/', "." and "..", cleaned, as long as the
 * path stays strictly below the top entry (boxo's gateway TAR rule; Kubo's
 * legacy DAGs have such names).  Without it every name must be one plain
 * segment (dag_name_ok), what `trove get` writes to disk. */
#define DAG_TAR_CLEAN 1u

/* A tar of the DAG at root, its top entry named base (copied; a plain
 * name, checked by the caller), mtime for entries that store none, flags
 * DAG_TAR_*.  NULL when out of memory.  Free with dag_tar_free() (NULL is
 * fine). */
dag_tar_t *dag_tar_new(const dag_cid_t *root, const char *base,
                       int64_t mtime, unsigned flags);
void dag_tar_free(dag_tar_t *t);

/* The next up to cap bytes of the tar into buf, reading blocks with get
 * (whose views need last only for this call).  Returns the count (0 at
 * the end, after the two closing zero blocks), or an error when no byte
 * could be made: the get callback's (TR_ENOTFOUND: call again once the
 * block is in; the walk resumes where it stopped), TR_EUNSAFE (a name
 * that is not a plain path segment: one that would escape the archive),
 * TR_ETOOBIG (deeper than DAG_TAR_MAX_DEPTH), TR_EUNIXFS, TR_EDAGPB,
 * TR_ECODEC, -ENOMEM.  Bytes made before an error are returned first; the
 * error comes at the next call. */
int64_t dag_tar_read(dag_tar_t *t, dag_get_cb get, void *ud, uint8_t *buf,
                     size_t cap) TR_WUR;

/* Walk the directories under root (reading every node's first block, no
 * file data) and check every name as dag_tar_read() would: 0, TR_EUNSAFE,
 * TR_ETOOBIG, or the errors of dag_stat() and dag_ls().  Lets a server
 * refuse a DAG before its answer has started.  flags as dag_tar_new(). */
int dag_tar_check(const dag_cid_t *root, unsigned flags, dag_get_cb get,
                  void *ud) TR_WUR;

#endif /* DAG_TAR_H */

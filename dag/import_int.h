/*
 * import_int.h — what importer.c, dir.c, hamt.c, trickle.c, emit.c and the
 * modifier (mod_*.c, modify.c) share and nobody else
 * sees.
 */
#ifndef DAG_IMPORT_INT_H
#define DAG_IMPORT_INT_H

#include "dagpb.h"
#include "importer.h"

/* 0 when o can drive a builder, else TR_EUSAGE. */
int dag__opts_check(const dag_import_opts_t *o);

/* Make block[0..len)'s CID of codec with cb into *cid and hand the block
 * to put.  Returns hashing's error or put's value. */
int dag__emit(const dag_cidb_t *cb, uint64_t codec, const uint8_t *block,
              size_t len, dag_put_cb put, void *ud, dag_cid_t *cid);

/* A growable scratch buffer for encoding nodes. */
typedef struct dag__nbuf {
  uint8_t *ufs, *node;
  size_t ufs_cap, node_cap;
} dag__nbuf_t;

void dag__nbuf_free(dag__nbuf_t *b);

/* Encode the dag-pb node { links[0..n), Data: u with blocksizes
 * sizes[0..n) } (u's own n_blocksizes is ignored; has_data with data_len
 * 0 writes an empty Data field, as Go does for a present empty slice),
 * make its CID with cb into *cid, hand it to put and set *tsize to its
 * cumulative size (its bytes plus every link's Tsize, as Go's
 * ProtoNode.Size).  Errors: -ENOMEM, TR_EBUFSIZE, hashing's, put's. */
int dag__node_emit(dag__nbuf_t *b, const dag_cidb_t *cb,
                   const dag_unixfs_t *u, const dag_pb_link_t *links,
                   const uint64_t *sizes, size_t n, dag_put_cb put, void *ud,
                   dag_cid_t *cid, uint64_t *tsize);

/* ------------------------------------------------ trickle (trickle.c) */

/* Subtrees of one depth a trickle node takes before the next depth
 * (boxo's depthRepeat). */
#define DAG_TRICKLE_REPEAT 4

/* The push builder of boxo's trickle Layout: leaves in, File nodes out. */
typedef struct dag__trickle dag__trickle_t;

int dag__trickle_new(dag__trickle_t **t, const dag_cidb_t *cb,
                     size_t max_links, dag_put_cb put, void *ud);
void dag__trickle_free(dag__trickle_t *t);
/* Drop the tree in progress. */
void dag__trickle_reset(dag__trickle_t *t);
/* One more leaf (its link's CID and Tsize, and its file bytes). */
int dag__trickle_leaf(dag__trickle_t *t, const dag_cid_t *cid, uint64_t tsize,
                      uint64_t size);
/* Close every open node; the root carries meta (NULL: none).  Resets t. */
int dag__trickle_finish(dag__trickle_t *t, const dag_meta_t *meta,
                        dag_import_result_t *res);

#endif /* DAG_IMPORT_INT_H */

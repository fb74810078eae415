/*
 * import_int.h — what importer.c, dir.c and hamt.c share and nobody else
 * sees.
 */
#ifndef DAG_IMPORT_INT_H
#define DAG_IMPORT_INT_H

#include "importer.h"

/* 0 when o can drive a builder, else TR_EUSAGE. */
int dag__opts_check(const dag_import_opts_t *o);

/* Hash block[0..len) into *cid (version, codec, multihash function) and
 * hand it to put.  Returns hashing's error or put's value. */
int dag__emit(int version, uint64_t codec, uint64_t mh, const uint8_t *block,
              size_t len, dag_put_cb put, void *ud, dag_cid_t *cid);

#endif /* DAG_IMPORT_INT_H */

/*
 * chunker.h — splitting a byte stream into chunks, with the algorithms and
 * parameters of go-ipfs-chunker (what Kubo's `ipfs add --chunker` uses), so
 * that the same bytes give the same chunks and hence the same CIDs:
 *
 *   size-N               fixed N-byte chunks (default size-262144 for the v0
 *                        profile, size-1048576 for unixfs-v1-2025)
 *   rabin                rabin fingerprinting, avg 256 KiB (min avg/3,
 *                        max avg+avg/2)
 *   rabin-AVG            the same with another average
 *   rabin-MIN-AVG-MAX    explicit bounds
 *   buzhash              go-ipfs-chunker's buzhash (min 128 KiB, max 512 KiB,
 *                        32-byte window, mask 2^17-1)
 *
 * Sans-I/O and stateless between chunks: the caller buffers bytes from a
 * chunk boundary and asks where the chunk ends.  A chunk is never longer than
 * dag_chunker_max(), so a buffer of that size is all an import needs.
 */
#ifndef DAG_CHUNKER_H
#define DAG_CHUNKER_H

#include "cid.h"

/* Kubo refuses chunks over 1 MiB + a little for bitswap's sake; so do we. */
#define DAG_CHUNK_LIMIT (2u << 20)

enum { DAG_CHUNK_SIZE = 1, DAG_CHUNK_RABIN, DAG_CHUNK_BUZHASH };

typedef struct dag_chunker {
  int kind;
  size_t size;          /* DAG_CHUNK_SIZE */
  size_t min, avg, max; /* rabin, buzhash */
  uint64_t mask;        /* rabin/buzhash boundary mask */
  uint64_t pol;         /* rabin polynomial */
  uint64_t mod_table[256], out_table[256]; /* rabin tables */
} dag_chunker_t;

/* Parse a Kubo chunker spec (NULL or "" selects size-262144).  Errors:
 * TR_ECHUNKER (unknown algorithm, bad numbers, zero size, chunks over
 * DAG_CHUNK_LIMIT, min > avg > max). */
int dag_chunker_init(dag_chunker_t *c, const char *spec) TR_WUR;

/* Largest chunk this chunker can produce. */
size_t dag_chunker_max(const dag_chunker_t *c);

/* buf[0..len) starts at a chunk boundary.  Returns the length of the chunk
 * that starts there (1..len), or 0 when more bytes are needed to decide -
 * which happens only when !eof and len < dag_chunker_max(c).  With eof and
 * len == 0 it returns 0 (no more chunks). */
size_t dag_chunker_cut(const dag_chunker_t *c, const uint8_t *buf, size_t len,
                       bool eof);

#endif /* DAG_CHUNKER_H */

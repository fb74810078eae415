/*
 * chunker.h — splitting a byte stream into chunks, with the algorithms and
 * parameters of boxo/chunker (formerly go-ipfs-chunker, what Kubo's
 * `ipfs add --chunker` uses), so that the same bytes give the same chunks
 * and hence the same CIDs.  Specs, parsed as boxo's FromString does:
 *
 *   "", "default"        size-262144
 *   size-N               fixed N-byte chunks, 0 < N <= DAG_CHUNK_LIMIT
 *   rabin                rabin-262144
 *   rabin-AVG            min = AVG/3, max = AVG + AVG/2 (integer division);
 *                        max <= DAG_CHUNK_LIMIT
 *   rabin-MIN-AVG-MAX    explicit bounds, 16 <= MIN < AVG < MAX <=
 *                        DAG_CHUNK_LIMIT; each number may carry its label,
 *                        "rabin-min:MIN-avg:AVG-max:MAX"
 *   buzhash              min 128 KiB, max 512 KiB, 32-byte window, cut when
 *                        the hash has its low 17 bits clear; boxo ignores
 *                        anything after "buzhash-", and so do we
 *
 * Rabin is github.com/whyrusleeping/chunker (restic's chunker with a 16-byte
 * window) with boxo's polynomial DAG_RABIN_POL: a chunk is cut after the
 * first byte at length L >= MIN where the fingerprint of the 16 bytes ending
 * there has its low floor(log2(AVG)) bits clear, or at MAX.  Buzhash is
 * boxo's own (chunker/buzhash.go), with its 256-entry byte table.
 *
 * Where we refuse what boxo accepts: "rabin-AVG" with AVG < 48.  There
 * AVG/3 < 16 makes whyrusleeping/chunker's skip count (MIN - 16) wrap
 * around, and Go then returns the whole input as one unbounded chunk.
 *
 * Sans-I/O and stateless between chunks: the caller buffers bytes from a
 * chunk boundary and asks where the chunk ends.  This is exact, not an
 * approximation, for every algorithm: whyrusleeping/chunker resets its
 * digest and window at each cut and does not hash the first MIN - 16 bytes
 * of a chunk, so its first test (at length MIN) sees a window made only of
 * this chunk's bytes; buzhash likewise starts from a zero state at each cut.
 * Where a chunk ends therefore depends only on the bytes since the last cut.
 * A chunk is never longer than dag_chunker_max(), so a buffer of that size
 * is all an import needs.
 *
 * No allocation, no global state; a dag_chunker_t is read-only after
 * dag_chunker_init() and may be shared between threads.
 */
#ifndef DAG_CHUNKER_H
#define DAG_CHUNKER_H

#include "cid.h"

/* boxo's ChunkSizeLimit: bitswap's 2 MiB block limit less 256 bytes kept for
 * the dag-pb/UnixFS framing of a non-raw leaf.  No chunker spec may allow a
 * chunk longer than this (go-ipfs-chunker used 1 MiB; boxo raised it). */
#define DAG_CHUNK_LIMIT ((2u << 20) - 256u)

/* The irreducible polynomial of degree 53 that boxo gives the rabin chunker
 * (IpfsRabinPoly), and the chunker's window in bytes. */
#define DAG_RABIN_POL UINT64_C(17437180132763653)
#define DAG_RABIN_WINDOW 16

/* buzhash's fixed parameters (boxo chunker/buzhash.go). */
#define DAG_BUZHASH_MIN (128u << 10)
#define DAG_BUZHASH_MAX (512u << 10)
#define DAG_BUZHASH_WINDOW 32
#define DAG_BUZHASH_MASK ((1u << 17) - 1)

enum { DAG_CHUNK_SIZE = 1, DAG_CHUNK_RABIN, DAG_CHUNK_BUZHASH };

/* Filled by dag_chunker_init(); callers read kind and, if they wish, the
 * sizes, and never write any field. */
typedef struct dag_chunker {
  int kind;
  size_t size;          /* DAG_CHUNK_SIZE */
  size_t min, avg, max; /* rabin (all three), buzhash (min and max) */
  uint64_t mask;        /* rabin/buzhash: cut when (hash & mask) == 0 */
  uint64_t pol;         /* rabin polynomial */
  unsigned shift;       /* rabin: degree of pol - 8 */
  uint64_t mod_table[256], out_table[256]; /* rabin tables */
} dag_chunker_t;

/* Parse a Kubo chunker spec (NULL, "" and "default" select size-262144).
 * Errors: TR_ECHUNKER (unknown algorithm, malformed or out-of-range numbers,
 * wrong number of fields, chunks over DAG_CHUNK_LIMIT, see above). */
int dag_chunker_init(dag_chunker_t *c, const char *spec) TR_WUR;

/* Largest chunk this chunker can produce. */
size_t dag_chunker_max(const dag_chunker_t *c);

/* buf[0..len) starts at a chunk boundary.  Returns the length of the chunk
 * that starts there (1..len), or 0 when more bytes are needed to decide -
 * which happens only when !eof and len < dag_chunker_max(c).  With eof and
 * len == 0 it returns 0 (no more chunks).  eof means buf holds everything up
 * to the end of the stream; the last chunk may then be shorter than the
 * minimum.
 *
 * Each call scans from the boundary, so a caller that asks again after every
 * small read rescans the same bytes: buffer dag_chunker_max(c) bytes (or up
 * to the end of the stream) before asking, and every byte is hashed once. */
size_t dag_chunker_cut(const dag_chunker_t *c, const uint8_t *buf, size_t len,
                       bool eof);

#endif /* DAG_CHUNKER_H */

/*
 * hamt.h — UnixFS HAMT sharded directories (specs.ipfs.tech/unixfs, "HAMT
 * structure"), built and read exactly as boxo's ipld/unixfs/hamt and js
 * ipfs-unixfs-importer (dir-sharded.ts + hamt-sharding) do:
 *
 *   - the hash of a name is murmur3-x64-64 (multicodec 0x22): the first
 *     64-bit half (h1) of MurmurHash3_x64_128 with seed 0 over the name's
 *     bytes.  Go takes murmur3.New64().Sum() = h1 big-endian; js takes the
 *     same 8 bytes (its murmur3-128 output, sliced and reversed);
 *   - a shard of fanout F = 2^b uses b bits of the hash per level, most
 *     significant first: the bucket at depth d is bits [d*b, (d+1)*b) of h1
 *     counted from the top.  64 bits give 64/b levels; two names whose
 *     hashes agree on all of them cannot be stored (boxo: "sharded directory
 *     too deep"), TR_ETOOBIG here;
 *   - a shard node is dag-pb: one link per occupied bucket in bucket order,
 *     named by the bucket index in upper-case hex padded to the width of
 *     F-1 ("%02X" for 256), followed by the entry's name for a leaf entry
 *     and by nothing for a child shard; Tsize is the child's cumulative
 *     size.  Its UnixFS Data is { Type HAMTShard, Data = bitfield, hashType
 *     0x22, fanout F }, the bitfield being the set of occupied buckets as a
 *     big-endian integer (bit i = bucket i) with leading zero bytes removed
 *     (go-bitfield's Bytes());
 *   - the tree is canonical: a bucket holding one entry holds it directly,
 *     one holding several holds a child shard, whatever the insertion order.
 *
 * Pure computation over caller memory except dag_hamt_build(), which
 * allocates its scratch through tr_malloc and hands every block it makes to
 * the caller's put callback.
 */
#ifndef DAG_HAMT_H
#define DAG_HAMT_H

#include "dagpb.h"
#include "unixfs.h"

#define DAG_HAMT_MURMUR3 0x22
#define DAG_HAMT_FANOUT 256
/* The spec's bounds: a power of two, at least 8 (whole bitfield bytes) and
 * at most 1024 (to keep shard nodes small). */
#define DAG_HAMT_FANOUT_MIN 8
#define DAG_HAMT_FANOUT_MAX 1024

/* MurmurHash3_x64_128 (Austin Appleby's reference) of data with seed:
 * out[0] = h1, out[1] = h2, as the reference returns them. */
void dag_murmur3_x64_128(const void *data, size_t len, uint32_t seed,
                         uint64_t out[2]);

/* The HAMT hash of a name: h1 of dag_murmur3_x64_128(name, 0). */
uint64_t dag_hamt_hash(const void *name, size_t len);

/* log2 of a valid fanout (power of two in [8, 1024]), else TR_EUNIXFS. */
int dag_hamt_bits(uint64_t fanout) TR_WUR;

/* Width of the hex prefix of link names: 2 for fanout 256, 3 for 1024. */
unsigned dag_hamt_padlen(uint64_t fanout);

/* The bucket of hash at depth (0 for the root shard) with bits per level.
 * Precondition: (depth + 1) * bits <= 64. */
static inline unsigned dag_hamt_index(uint64_t hash, unsigned depth,
                                      unsigned bits) {
  return (unsigned)(hash >> (64 - (depth + 1) * bits)) & ((1u << bits) - 1);
}

/* Parse the bucket prefix of a shard link name: the index, or -1 when the
 * name is shorter than padlen or the prefix is not upper-case hex below
 * fanout. */
int dag_hamt_link_index(const char *name, size_t len, unsigned padlen,
                        uint64_t fanout);

/* --------------------------------------------------------------- build */

/* One directory entry for dag_hamt_build().  name and cid point into caller
 * memory that must stay valid during the call; hash is computed by the
 * build. */
typedef struct dag_hamt_entry {
  const char *name;
  size_t name_len;
  const uint8_t *cid; /* binary CID of the entry */
  size_t cid_len;
  uint64_t tsize;     /* cumulative size of the entry's DAG */
  uint64_t hash;
} dag_hamt_entry_t;

/* Build the shards for entries e[0..n) (n >= 1, names distinct - the
 * directory builder checks that), emitting every shard node through put
 * (children before parents) as dag-pb blocks whose CIDs cb makes; the
 * root shard carries meta (NULL: none), as boxo's carries the directory's
 * stat.  Reorders e.  Sets *root and *tsize (the root shard's cumulative
 * size).  If put fails, its value is returned and the build stops.
 * Errors: TR_EUSAGE (bad fanout), TR_ETOOBIG (two names with equal 64-bit
 * hashes), -ENOMEM, and those of dag_cid_sum(). */
int dag_hamt_build(dag_hamt_entry_t *e, size_t n, uint64_t fanout,
                   const dag_cidb_t *cb, const dag_meta_t *meta,
                   dag_put_cb put, void *ud, dag_cid_t *root,
                   uint64_t *tsize) TR_WUR;

/* The shard below the root at depth (>= 1) for entries e[0..n) that share
 * their first depth buckets: what a bucket of a shard at depth - 1 holds
 * when several entries fall in it (boxo's swapValue forking a leaf).  As
 * dag_hamt_build otherwise, without meta. */
int dag_hamt_build_at(dag_hamt_entry_t *e, size_t n, uint64_t fanout,
                      unsigned depth, const dag_cidb_t *cb, dag_put_cb put,
                      void *ud, dag_cid_t *cid, uint64_t *tsize) TR_WUR;

/* Encode and put one shard node from its links, in bucket order and named
 * with their bucket prefixes (the bitfield is made from them), meta for a
 * root shard (NULL for the others: a root without metadata passes NULL
 * too).  For editing a HAMT in place, shard by shard (rpc/mfs_hamt.c).
 * Errors: TR_EUSAGE (bad fanout, links out of bucket order), those of the
 * encoders and of put. */
int dag_hamt_emit(const dag_pb_link_t *links, size_t n, uint64_t fanout,
                  const dag_cidb_t *cb, const dag_meta_t *meta,
                  dag_put_cb put, void *ud, dag_cid_t *cid,
                  uint64_t *tsize) TR_WUR;

/* -------------------------------------------------------------- lookup */

/* Look name up in one shard node (node[0..len) is the dag-pb block, u its
 * decoded UnixFS data, which must be a HAMTShard) at the given depth, hash
 * being dag_hamt_hash(name).  On success *out is the matching link (views
 * into node) and *descend tells whether it is a child shard to continue in
 * at depth + 1 (true) or the entry itself (false).  Errors: TR_EPATH (no
 * such name), TR_EUNIXFS (a malformed shard: bad hash type or fanout, a
 * link name without its prefix, a depth past the hash's 64 bits). */
int dag_hamt_find(const uint8_t *node, size_t len, const dag_unixfs_t *u,
                  const char *name, size_t name_len, uint64_t hash,
                  unsigned depth, dag_pb_link_t *out, bool *descend) TR_WUR;

/* Check the UnixFS fields of a shard node: Type HAMTShard, hashType 0x22, a
 * valid fanout.  Sets *bits and *padlen.  TR_EUNIXFS otherwise. */
int dag_hamt_check(const dag_unixfs_t *u, unsigned *bits,
                   unsigned *padlen) TR_WUR;

#endif /* DAG_HAMT_H */

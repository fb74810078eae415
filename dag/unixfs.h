/*
 * unixfs.h — the UnixFS Data message (specs.ipfs.tech/unixfs), the payload
 * that dag-pb nodes of files, directories, symlinks and HAMT shards carry in
 * their Data field:
 *
 *   message Data {
 *     required DataType Type = 1;   Raw 0, Directory 1, File 2, Metadata 3,
 *                                   Symlink 4, HAMTShard 5
 *     optional bytes  Data = 2;     file bytes, symlink target, HAMT bitfield
 *     optional uint64 filesize = 3;
 *     repeated uint64 blocksizes = 4;
 *     optional uint64 hashType = 5; HAMT: 0x22 (murmur3-x64-64)
 *     optional uint64 fanout = 6;   HAMT: 256
 *     optional uint32 mode = 7;
 *     optional UnixTime mtime = 8;  { int64 Seconds = 1;
 *                                     fixed32 FractionalNanoseconds = 2; }
 *   }
 *
 * Encoding is canonical, byte for byte what boxo (Go protobuf) and js
 * ipfs-unixfs write: fields in number order, each present only when its
 * has_* flag says so, blocksizes unpacked.  An empty Data is left out, as
 * both reference encoders do, so has_data with data_len 0 writes nothing.
 *
 * Decoding is strict about what could hurt a reader and lenient about what
 * protobuf allows: fields may come in any order and unknown fields with a
 * valid wire type are skipped (newer writers may add some), but a missing or
 * unknown Type, a repeated non-repeated field, a wrong wire type, an overlong
 * or truncated varint, a length past the end, a mode over 32 bits, an
 * mtime without Seconds (required in boxo's .proto), a nanosecond value over
 * 999999999, more than DAG_UNIXFS_MAX_BLOCKSIZES
 * blocksizes or a blocksizes sum that overflows are all TR_EUNIXFS.
 * Decoding allocates nothing: the result points into the input.
 */
#ifndef DAG_UNIXFS_H
#define DAG_UNIXFS_H

#include "cid.h"

enum {
  DAG_UNIXFS_RAW = 0,
  DAG_UNIXFS_DIRECTORY = 1,
  DAG_UNIXFS_FILE = 2,
  DAG_UNIXFS_METADATA = 3,
  DAG_UNIXFS_SYMLINK = 4,
  DAG_UNIXFS_HAMT = 5,
};

/* The sink every builder (importer.h, hamt.h) writes blocks to: cid and
 * data[0..len) are valid only during the call.  Return 0, or a negative code
 * that stops the build and is returned by it. */
typedef int (*dag_put_cb)(const dag_cid_t *cid, const uint8_t *data,
                          size_t len, void *ud);

/* A node cannot hold more blocksizes than bytes (one per byte at least);
 * BS_MAX_BLOCK is 4 MiB, so this cap only stops absurd inputs early. */
#define DAG_UNIXFS_MAX_BLOCKSIZES (4u << 20)

typedef struct dag_unixfs {
  int type;               /* DAG_UNIXFS_* */
  const uint8_t *data;    /* view into the input (decode) or caller bytes */
  size_t data_len;
  bool has_data;
  uint64_t filesize;
  bool has_filesize;
  size_t n_blocksizes;    /* decode: how many; encode: see dag_unixfs_encode */
  uint64_t blocksizes_sum; /* decode only */
  uint64_t hash_type;
  bool has_hash_type;
  uint64_t fanout;
  bool has_fanout;
  uint32_t mode;
  bool has_mode;
  int64_t mtime_sec;
  uint32_t mtime_nsec;
  bool has_mtime;
  bool has_mtime_nsec;
  /* decode only: the whole message, for the blocksizes iterator */
  const uint8_t *msg;
  size_t msg_len;
} dag_unixfs_t;

/* UnixFS 1.5 metadata a builder writes into the root it makes
 * (importer.h): the mode field when has_mode (the 12 permission bits: the
 * caller applies boxo's rules for when a zero mode is written), the mtime
 * when has_mtime, with its nanoseconds field only when they are not 0. */
typedef struct dag_meta {
  bool has_mode;
  uint32_t mode;       /* & 07777 */
  bool has_mtime;
  int64_t mtime_sec;   /* may be negative */
  uint32_t mtime_nsec; /* < 1000000000 */
} dag_meta_t;

/* The most bytes a dag_meta_t adds to an encoded message. */
#define DAG_META_MAX 32

/* Set u's mode and mtime from m (NULL: neither). */
void dag_unixfs_set_meta(dag_unixfs_t *u, const dag_meta_t *m);

/* Decode in[0..len) into *u (views into in, valid as long as in is).
 * Errors: TR_EUNIXFS. */
int dag_unixfs_decode(const uint8_t *in, size_t len, dag_unixfs_t *u) TR_WUR;

/* Iterate over the blocksizes of a decoded message, in order.  Cannot fail:
 * the decoder has validated the message. */
typedef struct dag_unixfs_iter {
  const uint8_t *p, *end;   /* next top-level field */
  const uint8_t *pk, *pkend; /* inside a packed blocksizes run */
} dag_unixfs_iter_t;

void dag_unixfs_iter_init(const dag_unixfs_t *u, dag_unixfs_iter_t *it);
/* true and *v set, or false at the end. */
bool dag_unixfs_iter_next(dag_unixfs_iter_t *it, uint64_t *v);

/* Bytes dag_unixfs_encode() writes for u and blocksizes[0..n). */
size_t dag_unixfs_encoded_size(const dag_unixfs_t *u, const uint64_t *blocksizes,
                               size_t n);

/* Encode u (u->n_blocksizes and u->blocksizes_sum are ignored; the
 * blocksizes are blocksizes[0..n), which may be NULL when n is 0) into out.
 * Returns the length, or TR_EBUFSIZE. */
int dag_unixfs_encode(const dag_unixfs_t *u, const uint64_t *blocksizes,
                      size_t n, uint8_t *out, size_t outsize) TR_WUR;

/* Name of a type ("file", "directory", "hamt-sharded-directory", ...), as js
 * ipfs-unixfs spells them; "unknown" otherwise. */
const char *dag_unixfs_type_name(int type);

#endif /* DAG_UNIXFS_H */

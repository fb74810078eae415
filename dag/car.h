/*
 * car.h — the CAR (Content Addressable aRchive) codec: writing CARv1 and
 * reading CARv1 and CARv2 (specs: ipld.io/specs/transport/car/carv1 and
 * carv2).  `trove dag export/import` and the trustless gateway's
 * application/vnd.ipld.car responses are built on it.
 *
 * A CARv1 is a header block followed by sections:
 *
 *   varint(len(H)) H   varint(len(CID)+len(B)) CID B   ...
 *
 * where H is the DAG-CBOR map {"roots": [CID...], "version": 1} (CIDs as
 * tag 42 over a byte string 0x00 + binary CID) and each section carries one
 * block B with its CID in binary form.  A CARv2 is an 11-byte pragma, a
 * 40-byte header (characteristics, data offset, data size, index offset),
 * and a complete CARv1 at the data offset, optionally followed by an index.
 *
 * Sans-I/O: the writer formats into caller buffers, the reader takes bytes
 * in whatever pieces the caller got them (read(2), an HTTP body) and hands
 * back one event at a time.  Neither touches a file, a socket or the
 * blockstore.  The reader does not hash blocks: it checks the CID's syntax
 * only, and the caller verifies each block (dag_cid_verify()) before trusting
 * it.  Nothing here writes CARv2 or reads CARv2 indexes.
 *
 * Errors are the negative TR_E* codes of common/tr.h.
 */
#ifndef DAG_CAR_H
#define DAG_CAR_H

#include "cid.h"

/* ---------------------------------------------------------------- limits */

/* Largest block the reader accepts by default: the blockstore's own cap
 * (BS_MAX_BLOCK; dag/ sits below blockstore/ and cannot include it).  A
 * block we could not store is refused before it is buffered. */
#define DAG_CAR_MAX_BLOCK (4u << 20)
/* Largest section (CID + block, the value of its length varint). */
#define DAG_CAR_MAX_SECTION (DAG_CAR_MAX_BLOCK + DAG_CID_MAX)
/* Largest header block (the value of the first length varint).  The header
 * is buffered whole; 4 MiB is about 100000 roots, far more than any real
 * CAR carries (the spec recommends exactly one), and keeps the reader's one
 * buffer within the section cap.  go-car allows 32 MiB; js-car has no cap. */
#define DAG_CAR_MAX_HEADER (4u << 20)

/* The CARv2 pragma and fixed header. */
#define DAG_CAR_V2_PRAGMA_LEN 11
#define DAG_CAR_V2_HEADER_LEN 40
extern const uint8_t dag_car_v2_pragma[DAG_CAR_V2_PRAGMA_LEN];

/* Room dag_car_section_head() needs at most. */
#define DAG_CAR_SECTION_HEAD_MAX (DAG_VARINT_MAX + DAG_CID_MAX)

/* ---------------------------------------------------------------- writer */

/* Bytes dag_car_header_v1() writes for these roots (length varint
 * included). */
size_t dag_car_header_v1_size(const dag_cid_t *roots, size_t nroots);

/* Write the CARv1 header: varint(len) + the DAG-CBOR map
 * {"roots": [CID...], "version": 1} exactly as go-car and js-car encode it
 * (keys in DAG-CBOR order, "roots" first; each CID as tag 42 over 0x00 +
 * binary CID; minimal-length CBOR heads).  CIDv0 roots are written as their
 * bare multihash, as go-car does.  nroots may be 0 (js-car and go-car v2
 * read such a CAR; the spec recommends exactly one root).  Returns the bytes
 * written.  Errors: TR_EBUFSIZE (outsize < dag_car_header_v1_size()),
 * TR_ETOOBIG (header over DAG_CAR_MAX_HEADER). */
int dag_car_header_v1(const dag_cid_t *roots, size_t nroots, uint8_t *out,
                      size_t outsize) TR_WUR;

/* Write what precedes a block's bytes in its section: varint(len(CID) +
 * block_len) + the binary CID.  The caller then writes the block_len bytes
 * of the block itself, so a block read from the blockstore goes to the
 * output without a copy.  Returns the bytes written (at most
 * DAG_CAR_SECTION_HEAD_MAX).  Errors: TR_EBUFSIZE, TR_ETOOBIG (block_len over
 * DAG_CAR_MAX_BLOCK: the reader would refuse the section). */
int dag_car_section_head(const dag_cid_t *cid, size_t block_len, uint8_t *out,
                         size_t outsize) TR_WUR;

/* ---------------------------------------------------------------- reader */

/* Reader flags. */
enum {
  /* Treat a section length of 0 as the end of the CAR and ignore what
   * follows (go-car's ZeroLengthSectionAsEOF: null padding after a CARv1).
   * Without it a zero length is TR_ECAR, as in go-car and js-car. */
  DAG_CAR_ZERO_LEN_EOF = 1 << 0,
};

typedef struct dag_car_opts {
  unsigned flags;     /* DAG_CAR_* flags */
  size_t max_header;  /* 0 = DAG_CAR_MAX_HEADER */
  size_t max_section; /* 0 = DAG_CAR_MAX_SECTION */
} dag_car_opts_t;

/* What dag_car_feed() returns. */
enum {
  DAG_CAR_NEED_MORE = 0, /* all input consumed, no event yet */
  DAG_CAR_HEADER = 1,    /* ev->header is set */
  DAG_CAR_ROOT = 2,      /* ev->cid is root number ev->index */
  DAG_CAR_BLOCK = 3,     /* ev->cid, ev->block ... describe one section */
  DAG_CAR_END = 4,       /* the CAR's data ended before the input did */
};

typedef struct dag_car_header {
  /* 1 for a CARv1; 2 for a CARv2 (whose payload is a CARv1 all the same). */
  uint64_t version;
  size_t nroots; /* may be 0: see dag_car_header_v1() */
  /* CARv2 only (zero for a CARv1).  Offsets count from the pragma's first
   * byte.  index_offset is reported, never followed. */
  uint8_t characteristics[16];
  bool fully_indexed; /* the "fully-indexed" bit (left-most) */
  uint64_t data_offset;
  uint64_t data_size;
  uint64_t index_offset;
} dag_car_header_t;

typedef struct dag_car_event {
  dag_car_header_t header; /* DAG_CAR_HEADER */
  dag_cid_t cid;           /* DAG_CAR_ROOT, DAG_CAR_BLOCK */
  uint64_t index;          /* ROOT: 0..nroots-1; BLOCK: 0, 1, 2... */
  /* DAG_CAR_BLOCK: the block's bytes, a view (see dag_car_feed()). */
  const uint8_t *block;
  size_t block_len;
  /* DAG_CAR_BLOCK: where the section lies in the stream, counted from its
   * first byte (for a CARv2, from the pragma): the section starts at offset
   * with its length varint and spans length bytes; the block's bytes start
   * at block_offset.  These are the "offset", "length" and "blockOffset" of
   * the spec's fixture descriptions and what a CARv2 index records. */
  uint64_t offset;
  uint64_t length;
  uint64_t block_offset;
} dag_car_event_t;

/* The reader's state.  Fields are private; it is public so that it can live
 * on the stack or inside another object without an allocation. */
typedef struct dag_car_reader {
  int state;
  int err;             /* sticky error, 0 while healthy */
  unsigned flags;
  size_t max_header, max_section;
  bool v2;             /* inside a CARv2's payload */
  uint64_t pos;        /* stream bytes consumed so far */
  uint64_t end;        /* CARv2: end of the payload; UINT64_MAX for CARv1 */
  uint64_t skip;       /* bytes still to skip (CARv2 padding) */
  uint8_t vbuf[DAG_VARINT_MAX]; /* a length varint split across feeds */
  uint8_t vlen;
  uint64_t sec_off;    /* offset of the current section / header */
  uint64_t need;       /* length of the item being collected */
  uint8_t v2hdr[DAG_CAR_V2_HEADER_LEN];
  uint8_t *buf;        /* tr_malloc'ed; holds a header or a split section */
  size_t have, cap;    /* bytes collected (in buf, or in v2hdr); buf size */
  size_t root_pos;     /* next root in the buffered header (need bytes) */
  uint64_t nroots, nroot_done, nblocks;
  dag_car_header_t hdr;
} dag_car_reader_t;

/* Initialise r.  opts may be NULL for the defaults.  No allocation happens
 * here; the internal buffer is allocated on first need.  Never fails. */
void dag_car_reader_init(dag_car_reader_t *r, const dag_car_opts_t *opts);

/* Free the internal buffer.  r may then be initialised again. */
void dag_car_reader_free(dag_car_reader_t *r);

/* Consume bytes from in[0..len) until one event is complete or the input
 * runs out.  Sets *used to the bytes consumed (all of them when it returns
 * DAG_CAR_NEED_MORE) and returns:
 *
 *   DAG_CAR_NEED_MORE  feed more bytes (or call dag_car_finish() at EOF)
 *   DAG_CAR_HEADER     once, when the CARv1 header (for a CARv2: the inner
 *                      one, after the v2 header) has been read and checked
 *   DAG_CAR_ROOT       header.nroots times, right after DAG_CAR_HEADER and
 *                      without consuming input
 *   DAG_CAR_BLOCK      for each section, in stream order
 *   DAG_CAR_END        once, when the CAR's data ended: a CARv2 payload was
 *                      read to its data size, or a zero-length section was
 *                      met under DAG_CAR_ZERO_LEN_EOF.  Later input (an
 *                      index, padding) is consumed and ignored.
 *
 * Call it in a loop, advancing in by *used, until it returns
 * DAG_CAR_NEED_MORE; len may be 0 (to collect pending ROOT or END events).
 *
 * Lifetime of ev->block: until the next call on r.  When the whole section
 * was inside in, it points into in (no copy) and so also dies with the
 * caller's buffer; otherwise it points into r's buffer.
 *
 * Every length is checked against the limits as soon as its varint is
 * complete, before anything is buffered.  The reader keeps one buffer of up
 * to max(header, largest split section) bytes.
 *
 * Errors (sticky: every later call returns the same code):
 *   TR_ETOOBIG   header length over max_header, or section length over
 *                max_section
 *   TR_EVARINT   a length varint is not minimal or longer than 9 bytes
 *   TR_ECAR      header length 0; header that is not {"roots": [CID...],
 *                "version": 1} in strict DAG-CBOR (definite lengths,
 *                minimal integers, no duplicate or unknown keys; either key
 *                order is accepted, as js-car does), or a version other
 *                than 1 (2 only as the exact CARv2 pragma); a CARv2 header
 *                with data offset < 51, data size 0 or an overflowing
 *                range; a header or section that runs past a CARv2's data
 *                size; a zero section length (without DAG_CAR_ZERO_LEN_EOF)
 *   TR_ECID      a section whose bytes do not start with a valid CID (or
 *                whose CID is longer than the section)
 *   -ENOMEM      the buffer could not be allocated
 */
int dag_car_feed(dag_car_reader_t *r, const uint8_t *in, size_t len,
                 size_t *used, dag_car_event_t *ev) TR_WUR;

/* Tell the reader the input has ended.  Returns 0 when the stream ended at
 * a clean boundary: after the header and between sections (or after
 * DAG_CAR_END).  A CAR with no sections is valid.  Errors:
 *   TR_ETRUNC  the stream ended inside the header, the CARv2 header or
 *              padding, a section, or before a CARv2's data size was read
 *   the reader's sticky error, if it has one */
int dag_car_finish(dag_car_reader_t *r) TR_WUR;

#endif /* DAG_CAR_H */

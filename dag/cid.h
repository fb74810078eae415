/*
 * cid.h — CIDs (v0 and v1), and the other multiformats through the headers
 * it includes: varint.h, multibase.h, multicodec.h, multihash.h.
 *
 * Everything here is pure computation over caller memory: no I/O, no
 * allocation, no global state.  Inputs are untrusted; every length is checked
 * and a malformed input returns a negative TR_E* code (see common/tr.h).
 *
 * Spec: multiformats/cid.
 *
 * A CID is kept as a value type (dag_cid_t): its binary form in a fixed
 * buffer plus parsed fields.  It can be copied with '=' and compared with
 * dag_cid_equal().  For CIDv0 the binary form is the bare multihash, as on the
 * wire.
 */
#ifndef DAG_CID_H
#define DAG_CID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

#include "multibase.h"
#include "multicodec.h"
#include "multihash.h"
#include "varint.h"

/* ------------------------------------------------------------------ CID */

#define DAG_CODEC_RAW 0x55
#define DAG_CODEC_DAG_PB 0x70
#define DAG_CODEC_DAG_CBOR 0x71
#define DAG_CODEC_LIBP2P_KEY 0x72
#define DAG_CODEC_DAG_JSON 0x0129
#define DAG_CODEC_CBOR 0x51   /* plain CBOR, no links */
#define DAG_CODEC_JSON 0x0200 /* plain JSON, no links */
#define DAG_CODEC_DAG_JOSE 0x85 /* JWS (links to its payload) or JWE */
#define DAG_CODEC_GIT_RAW 0x78  /* a git object, named by its SHA-1 */

/* Binary CID: version + codec varints and a multihash. */
#define DAG_CID_MAX (2 * DAG_VARINT_MAX + DAG_MH_MAX)
/* Longest string form, with NUL. */
#define DAG_CID_STR_MAX DAG_MB_ENCODED_MAX(DAG_CID_MAX)

typedef struct dag_cid {
  uint8_t version;   /* 0 or 1 */
  uint8_t mh_off;    /* offset of the multihash in bytes[] */
  uint16_t len;      /* length of bytes[] in use */
  uint64_t codec;    /* multicodec of the content (dag-pb for v0) */
  uint64_t mh_code;  /* hash function */
  uint8_t bytes[DAG_CID_MAX]; /* binary form; v0: the bare multihash */
} dag_cid_t;

/* Decode a binary CID at the start of in[0..len) (a CIDv0 is recognised by
 * its leading 0x12 0x20).  Returns the bytes consumed, so that CIDs can be
 * read from a stream (CAR sections, dag-pb links).  Errors: TR_ETRUNC,
 * TR_EVARINT, TR_ECID (unknown version, v0 that is not sha2-256/32),
 * TR_EMULTIHASH. */
int dag_cid_decode(dag_cid_t *cid, const uint8_t *in, size_t len) TR_WUR;

/* Parse the string form s[0..slen): "Qm..." (v0) or a multibase CIDv1.
 * Errors: TR_ECID (including trailing bytes), and those of dag_mb_decode()
 * and dag_cid_decode(). */
int dag_cid_parse(dag_cid_t *cid, const char *s, size_t slen) TR_WUR;

/* Build a CID from a codec and a multihash.  version 0 requires dag-pb and a
 * sha2-256 multihash (else TR_ECID). */
int dag_cid_make(dag_cid_t *cid, int version, uint64_t codec,
                 const uint8_t *mh, size_t mhlen) TR_WUR;

/* Hash data and build the CID in one step. */
int dag_cid_sum(dag_cid_t *cid, int version, uint64_t codec, uint64_t mh_code,
                const void *data, size_t len) TR_WUR;

/* How a builder makes the CIDs of the blocks it writes (boxo's
 * cid.Builder): the CID version and hash function, and Kubo's `add
 * --inline` (go-cidutil's InlineBuilder): a block shorter than
 * inline_below bytes gets a CIDv1 identity CID of its codec instead, which
 * the blockstore does not store.  inline_below is --inline-limit + 1, at
 * most DAG_MH_IDENTITY_MAX + 1, so that a zeroed builder inlines nothing
 * and --inline-limit=0 still inlines an empty block, as Kubo's does. */
typedef struct dag_cidb {
  int version;
  uint64_t mh;
  size_t inline_below;
} dag_cidb_t;

/* The CID b gives block data[0..len) of codec.  A codec other than dag-pb
 * is CIDv1 whatever b's version, as boxo's V0Builder.WithCodec makes it
 * (raw leaves).  Errors: those of dag_cid_sum(). */
int dag_cidb_sum(const dag_cidb_t *b, uint64_t codec, const void *data,
                 size_t len, dag_cid_t *cid) TR_WUR;

/* Format: v0 as bare base58btc, v1 with the given multibase (0 selects
 * base32 lower).  Returns the string length or TR_EBUFSIZE / TR_EBASE. */
int dag_cid_format(const dag_cid_t *cid, char base, char *out,
                   size_t outsize) TR_WUR;

/* Format with the default base into a static-size buffer owned by the
 * caller; returns buf.  Convenience for messages and CLI output. */
char *dag_cid_str(const dag_cid_t *cid, char buf[DAG_CID_STR_MAX]);

/* A content path argument's namespace and what follows it: "/ipfs/X" and
 * the native URIs "ipfs://X" and "ipfs:X" (the scheme in any case, as
 * Kubo 0.43 and boxo's path.NewPathFromURI take them) give DAG_NS_IPFS
 * and X; the same for ipns; anything else gives DAG_NS_NONE and arg
 * itself (a bare CID, a name).  A view into arg, never NULL. */
enum { DAG_NS_NONE, DAG_NS_IPFS, DAG_NS_IPNS };
const char *dag_path_rest(const char *arg, int *ns);

/* Conversions.  to_v0 fails with TR_ECID unless the CID is dag-pb with a
 * sha2-256 multihash. */
void dag_cid_to_v1(dag_cid_t *out, const dag_cid_t *in);
int dag_cid_to_v0(dag_cid_t *out, const dag_cid_t *in) TR_WUR;

/* The multihash inside the CID (a view into cid->bytes). */
static inline const uint8_t *dag_cid_mh(const dag_cid_t *cid, size_t *len) {
  *len = (size_t)cid->len - cid->mh_off;
  return cid->bytes + cid->mh_off;
}

bool dag_cid_equal(const dag_cid_t *a, const dag_cid_t *b);

/* A non-zero 128-bit fingerprint of a multihash (of a CID's multihash), for
 * sets of blocks seen (tr_fpset_t): SipHash-128 under a key drawn at random
 * once per process, so equal multihashes give equal fingerprints within a
 * process and nobody can aim two blocks at one fingerprint.  Fingerprints
 * are never stored. */
tr_fp_t dag_mh_fp(const uint8_t *mh, size_t len);
static inline tr_fp_t dag_cid_fp(const dag_cid_t *cid) {
  size_t n;
  const uint8_t *mh = dag_cid_mh(cid, &n);
  return dag_mh_fp(mh, n);
}

/* Check that data hashes to the CID's multihash: 0 or TR_EMISMATCH
 * (TR_EHASH when the hash function is unsupported). */
int dag_cid_verify(const dag_cid_t *cid, const void *data, size_t len) TR_WUR;

/* Append cid written after fmt to out, as go-cidutil's Format (Kubo's
 * `ipfs cid format -f`): %% a '%', %b the base's name and %B its prefix,
 * %v "cidv1" and %V 1, %c the codec's name and %C its code, %h the hash
 * function's name and %H its code, %L the digest's length, %m and %M the
 * multihash in base (with and without the prefix), %d and %D the digest,
 * %s the CID in base (a CIDv0 in base58btc alone) and %S without the
 * prefix, %P "cidv1-raw-sha2-256-32".  Names trove does not know are
 * written as Go writes them ("Code(N)", "hash?N", "base?X").  0;
 * TR_EUSAGE (a specifier that is not one, or a '%' at the end), TR_EBASE,
 * -ENOMEM, with err set. */
int dag_cid_fmt(const char *fmt, char base, const dag_cid_t *cid,
                tr_bytes_t *out, char *err, size_t errsize) TR_WUR;

/* Kubo's `ipfs cid format` conversions: fmt (NULL: "%s"), a version ("0",
 * "1"), a codec and a base by name (each NULL or "" to keep the CID's;
 * a base implies CIDv1).  dag_cid_conv_opts checks them as Kubo does: 0,
 * or TR_EUSAGE with err set.  dag_cid_conv converts the CID string arg
 * and appends it written after fmt (in its own base when none was asked
 * for) to out: 0; TR_EUSAGE (fmt is wrong: no CID will do); another error
 * (this CID: it does not parse, or has no CIDv0), with err set. */
typedef struct dag_cid_conv {
  const char *fmt;
  int version;    /* -1: keep */
  uint64_t codec; /* 0: keep */
  char base;      /* 0: the argument's */
} dag_cid_conv_t;
int dag_cid_conv_opts(dag_cid_conv_t *c, const char *fmt, const char *v,
                      const char *mc, const char *b, char *err,
                      size_t errsize) TR_WUR;
int dag_cid_conv(const dag_cid_conv_t *c, const char *arg, tr_bytes_t *out,
                 char *err, size_t errsize) TR_WUR;

#endif /* DAG_CID_H */

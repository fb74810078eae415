/*
 * cid.h — the multiformats trove speaks: unsigned varints, multibase,
 * multihash and CIDs (v0 and v1).
 *
 * Everything here is pure computation over caller memory: no I/O, no
 * allocation, no global state.  Inputs are untrusted; every length is checked
 * and a malformed input returns a negative TR_E* code (see common/tr.h).
 *
 * Specs: multiformats/unsigned-varint, multibase, multihash, cid.
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

/* ---------------------------------------------------------------- varint */

/* The multiformats spec caps varints at 9 bytes (63 bits). */
#define DAG_VARINT_MAX 9

/* Bytes needed to encode v (1..10; values >= 2^63 need 10 and are refused by
 * the decoder, so never encode them). */
size_t dag_varint_size(uint64_t v);

/* Encode v into out (room for DAG_VARINT_MAX bytes).  Returns bytes written.
 * Precondition: v < 2^63. */
size_t dag_varint_put(uint8_t *out, uint64_t v);

/* Decode a varint from in[0..len).  On success returns the number of bytes
 * consumed (1..9) and sets *v.  Errors:
 *   TR_ETRUNC   the input ends inside the varint
 *   TR_EVARINT  non-minimal encoding (trailing 0x00 byte) or more than 9
 *               bytes */
int dag_varint_get(const uint8_t *in, size_t len, uint64_t *v) TR_WUR;

/* ------------------------------------------------------------- multibase */

/* Multibase prefixes trove knows.  Decoding accepts all of them; encoding
 * supports all of them too (base32 lower and base58btc are the ones CIDs use
 * by default, base36 is what libp2p-key CIDs use in subdomains). */
enum {
  DAG_MB_BASE16 = 'f',
  DAG_MB_BASE16UPPER = 'F',
  DAG_MB_BASE32 = 'b',
  DAG_MB_BASE32UPPER = 'B',
  DAG_MB_BASE36 = 'k',
  DAG_MB_BASE36UPPER = 'K',
  DAG_MB_BASE58BTC = 'z',
  DAG_MB_BASE64 = 'm',
  DAG_MB_BASE64URL = 'u',
  DAG_MB_BASE64URLPAD = 'U',
  DAG_MB_BASE64PAD = 'M',
};

/* Largest string dag_mb_encode() can produce for n input bytes, including the
 * prefix and the trailing NUL (base58/base36 are the longest: ~1.37n). */
#define DAG_MB_ENCODED_MAX(n) (2 * (size_t)(n) + 8)

/* Decode a multibase string s[0..slen) (prefix included) into out.  On
 * success returns 0, sets *outlen and, when base is not NULL, *base to the
 * prefix character.  Errors:
 *   TR_EBASE       empty string or unknown prefix
 *   TR_EMULTIBASE  a character outside the alphabet, bad padding, or
 *                  non-zero trailing bits
 *   TR_EBUFSIZE    out is too small
 *   TR_ETOOBIG     a base36/base58btc string over 4096 characters (those
 *                  bases decode in quadratic time, so their input is capped) */
int dag_mb_decode(const char *s, size_t slen, uint8_t *out, size_t outsize,
                  size_t *outlen, char *base) TR_WUR;

/* Encode in[0..n) in the given base with its prefix, NUL-terminated.
 * Returns the string length (without NUL), or TR_EBASE / TR_EBUFSIZE, or
 * TR_ETOOBIG for base36/base58btc input over 4096 bytes. */
int dag_mb_encode(char base, const uint8_t *in, size_t n, char *out,
                  size_t outsize) TR_WUR;

/* Bare base58btc (no prefix), as used by CIDv0 and PeerIDs.  Same return
 * conventions as the multibase functions. */
int dag_b58_encode(const uint8_t *in, size_t n, char *out,
                   size_t outsize) TR_WUR;
int dag_b58_decode(const char *s, size_t slen, uint8_t *out, size_t outsize,
                   size_t *outlen) TR_WUR;

/* ------------------------------------------------------------- multihash */

#define DAG_MH_IDENTITY 0x00
#define DAG_MH_SHA2_256 0x12
#define DAG_MH_BLAKE3 0x1e

/* Identity digests longer than this are refused (boxo's verifcid limit). */
#define DAG_MH_IDENTITY_MAX 128
/* Largest multihash trove handles: code and length varints + digest. */
#define DAG_MH_MAX (2 * DAG_VARINT_MAX + DAG_MH_IDENTITY_MAX)

/* Parse the multihash at the start of in[0..len).  On success returns the
 * bytes it occupies and fills the out-parameters (*digest points into in).
 * Errors: TR_ETRUNC, TR_EVARINT, TR_EMULTIHASH (a sha2-256 digest that is
 * not 32 bytes, or a digest longer than DAG_MH_IDENTITY_MAX). */
int dag_mh_parse(const uint8_t *in, size_t len, uint64_t *code,
                 const uint8_t **digest, size_t *dlen) TR_WUR;

/* Compute the multihash of data with function code into out.  Returns its
 * length, or TR_EHASH (unsupported function), TR_ETOOBIG (identity over the
 * limit), TR_EBUFSIZE. */
int dag_mh_sum(uint64_t code, const void *data, size_t len, uint8_t *out,
               size_t outsize) TR_WUR;

/* SHA-256 through OpenSSL's EVP (it uses the SHA-NI instructions). */
void dag_sha256(const void *data, size_t len, uint8_t out[32]);

/* Hash function name ("sha2-256", "identity", "blake3") and the reverse. */
const char *dag_mh_name(uint64_t code);
int dag_mh_from_name(const char *name, uint64_t *code) TR_WUR;

/* ------------------------------------------------------------------ CID */

#define DAG_CODEC_RAW 0x55
#define DAG_CODEC_DAG_PB 0x70
#define DAG_CODEC_DAG_CBOR 0x71
#define DAG_CODEC_LIBP2P_KEY 0x72
#define DAG_CODEC_DAG_JSON 0x0129

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

/* Format: v0 as bare base58btc, v1 with the given multibase (0 selects
 * base32 lower).  Returns the string length or TR_EBUFSIZE / TR_EBASE. */
int dag_cid_format(const dag_cid_t *cid, char base, char *out,
                   size_t outsize) TR_WUR;

/* Format with the default base into a static-size buffer owned by the
 * caller; returns buf.  Convenience for messages and CLI output. */
char *dag_cid_str(const dag_cid_t *cid, char buf[DAG_CID_STR_MAX]);

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
 * sets of blocks seen (tr_set64_t): SipHash-128 under a key drawn at random
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

/* Codec names as in the multicodec table ("dag-pb", "raw", ...). */
const char *dag_codec_name(uint64_t codec);
int dag_codec_from_name(const char *name, uint64_t *codec) TR_WUR;

#endif /* DAG_CID_H */

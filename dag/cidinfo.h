/*
 * cidinfo.h — what Kubo's `ipfs cid inspect`, `cid bases`, `cid codecs`,
 * `cid hashes` and `multibase list|decode` answer, worked out once for
 * trove's CLI and its /api/v0 alike (core/commands/cid.go and
 * multibase.go of Kubo v0.43.1): the inspection of a CID as a struct (the
 * API writes it as JSON, the CLI as Kubo's text), the lists as Kubo's
 * text, and a multibase file decoded as Kubo's command decodes it.
 *
 * Pure computation; the text goes into a growing buffer (tr_bytes_t).
 */
#ifndef DAG_CIDINFO_H
#define DAG_CIDINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cid.h"

/* Most bytes trove's `multibase encode|decode|transcode` take (CLI and
 * API alike; Kubo reads any size): base2 writes 8 characters a byte. */
#define DAG_MB_FILE_MAX (16u << 20)

/* Kubo's CidInspectRes.  When err is set the rest is zero, as Kubo sends
 * it (its JSON then still has every field). */
typedef struct dag_cid_info {
  int version;
  /* The multibase: the prefix's UTF-8 (Go's string(rune(code)): identity's
   * is one NUL byte, and "\uFFFD" when the first byte names no base, as
   * go-cid's ExtractEncoding leaves a base256emoji CID) and its name ("" if
   * none). */
  char prefix[4];
  size_t prefix_len;
  const char *base_name;
  uint64_t codec;
  const char *codec_name;   /* go-multicodec's, or "unknown" */
  uint64_t mh_code;
  const char *mh_name;      /* go-multihash's, or "unknown" */
  size_t mh_len;
  char digest[2 * DAG_MH_IDENTITY_MAX + 1]; /* hex */
  char cidv0[DAG_CID_STR_MAX]; /* "" when there is none */
  char cidv1[DAG_CID_STR_MAX]; /* base32; base36 for libp2p-key */
  char err[256];            /* Kubo's errorMsg, "" when none */
} dag_cid_info_t;

/* Inspect the CID string arg as Kubo's `cid inspect`: 0, or the parse
 * error with info->err set to Kubo's message ("invalid CID: ...", and for
 * a PeerID the note with its CID). */
int dag_cid_inspect(const char *arg, dag_cid_info_t *info);

/* The text Kubo's CLI prints for an inspection without error.  0 or
 * -ENOMEM. */
int dag_cid_inspect_text(const char *arg, const dag_cid_info_t *info,
                         tr_bytes_t *out) TR_WUR;

/* Kubo's text of `multibase list` / `cid bases` (--prefix, --numeric),
 * `cid codecs` and `cid hashes` (--numeric; supported: only what trove
 * handles: codecs it decodes or encodes, and libp2p-key as Kubo adds it;
 * hash functions it computes).  0 or -ENOMEM. */
int dag_bases_text(bool prefix, bool numeric, tr_bytes_t *out) TR_WUR;
int dag_codecs_text(bool numeric, bool supported, tr_bytes_t *out) TR_WUR;
int dag_hashes_text(bool numeric, bool supported, tr_bytes_t *out) TR_WUR;

/* The i-th codec of `cid codecs` (supported as above), i from 0, by
 * code: false past the last. */
bool dag_codecs_nth(size_t i, bool supported, uint64_t *code,
                    const char **name);

/* Decode in[0..n), a file's bytes, as Kubo's `multibase decode` (and
 * transcode) does: the whole of it is one multibase string, but CR and LF
 * are skipped in the bases whose Go decoders skip them (base32 and base64
 * in all their forms), so that `echo bafy... | multibase decode` works
 * there as in Kubo.  Appends the bytes to out; 0, or an error with Kubo's
 * message in err ("failed to decode multibase: ..."): TR_EBASE,
 * TR_EMULTIBASE, TR_ETOOBIG, -ENOMEM.  *base: the base's id. */
int dag_mb_decode_file(const uint8_t *in, size_t n, tr_bytes_t *out,
                       char *base, char *err, size_t errsize) TR_WUR;

#endif /* DAG_CIDINFO_H */

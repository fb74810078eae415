/*
 * multicodec.h — the multicodec table (multiformats/multicodec) as
 * go-multicodec v0.10.0, Kubo v0.43.1's, has it: every code's name, and
 * which codes are tagged "ipld" (the codecs of CIDs).
 *
 * The table is generated (scripts/gen_multicodec.py writes
 * multicodec_table.inc).  Pure lookups over static data.
 */
#ifndef DAG_MULTICODEC_H
#define DAG_MULTICODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

/* Any code's name, as go-multicodec's Code.String() ("dag-pb",
 * "sha2-256", "ip4"); NULL for a code the table lacks (Go writes
 * "Code(N)" then). */
const char *dag_mc_name(uint64_t code);

/* A code as go-multicodec's Code.Set takes it (Kubo's `cid format --mc`):
 * a name of the table's, or a number (Go's ParseUint base 0: decimal,
 * 0x hex, 0o or 0 octal, 0b binary) the table knows or in the reserved
 * range 0x300000-0x3fffff.  0, or TR_ECODEC. */
int dag_mc_parse(const char *text, uint64_t *code) TR_WUR;

/* The codecs tagged "ipld" alone, what `block put --cid-codec` takes and
 * CIDs name: a codec's name ("unknown" for any other code) and the code of
 * a name (TR_ECODEC). */
const char *dag_codec_name(uint64_t codec);
int dag_codec_from_name(const char *name, uint64_t *codec) TR_WUR;

/* The i-th codec tagged "ipld", i from 0, by code (go-multicodec's
 * KnownCodes order, which Kubo's `cid codecs` lists): false past the
 * last. */
bool dag_codec_nth(size_t i, uint64_t *codec, const char **name);

#endif /* DAG_MULTICODEC_H */

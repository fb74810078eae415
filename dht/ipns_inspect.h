/*
 * ipns_inspect.h — Kubo's `name inspect` (core/commands/name/name.go,
 * IpnsInspectCmd) over an IPNS record's bytes, sans-I/O: the fields boxo's
 * getters read from the signed data (each one left out when its getter
 * fails, as Kubo shows "everything we can"), the record's protobuf size
 * and signature type, the outcome of boxo's ValidateWithName against a
 * name when asked, and Go's hex.Dump of the bytes; and the text Kubo's
 * CLI prints for that (its tabwriter columns, Go's %q and
 * Duration.String()).  The API's JSON is built from the same result
 * (rpc/rpc_name_rec.c).
 *
 * Known differences, on records Kubo and trove do not write: the
 * validation's reasons are boxo's first line where boxo joins two errors
 * ("public key invalid", "record is malformed", "record contains an
 * invalid validity"); a Value path is checked and cleaned as boxo's
 * path.NewPath does, but quoted with every non-ASCII code point taken as
 * printable but the controls, spaces, format and private-use characters
 * listed in ipns_inspect.c (Go's unicode.IsPrint also refuses unassigned
 * code points and a few more).
 */
#ifndef DHT_IPNS_INSPECT_H
#define DHT_IPNS_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "../net/peerid.h"
#include "ipns.h"

typedef struct dht_ipns_inspect {
  /* The fields boxo's getters read (DHT_IPNS_D_* bits): the Value as a
   * path, the Validity as a time. */
  unsigned has;
  char *value;      /* the Value as a path: tr_malloc'd, NUL-terminated, */
  size_t value_len; /* value_len bytes (it may hold NULs) */
  int64_t validity_type;
  char validity[DHT_IPNS_TIME_STR_MAX]; /* RFC 3339, UTC */
  uint64_t sequence;
  int64_t ttl_ns;
  size_t pb_size;
  const char *sig_type; /* "V1+V2", "V2" */
  /* --verify: the name (base36 CIDv1), and boxo's verdict */
  bool verified, valid;
  char name[NET_PEERID_STR_MAX];
  char reason[96];
  char *hexdump; /* Go's hex.Dump of the record (tr_malloc'd); NULL: none */
} dht_ipns_inspect_t;

/* The largest record read: one past the size limit, which boxo refuses. */
#define DHT_INSPECT_READ_MAX (DHT_IPNS_RECORD_MAX + 1)

/* Inspect the record b[0..n) as Kubo does: verify (NULL: not asked) is an
 * IPNS name ("k51...", a PeerID, "/ipns/" + either) to validate the record
 * against at time now; dump asks for the hex dump.  0 and *out (free with
 * dht_ipns_inspect_free()); the command's errors with Kubo's words in err:
 * TR_ETOOBIG ("record exceeds allowed size limit"), TR_EIPNS ("record is
 * malformed"), TR_EPEERID (verify is no name), -ENOMEM. */
int dht_ipns_inspect(const uint8_t *b, size_t n, const char *verify,
                     bool dump, dht_ipns_time_t now, dht_ipns_inspect_t *out,
                     char *err, size_t errn) TR_WUR;

void dht_ipns_inspect_free(dht_ipns_inspect_t *in);

/* boxo's ValidateWithName of the parsed record r against name at now, in
 * boxo's words (see the header's note): 0, or an error code (the
 * dht_ipns_pubkey() and dht_ipns_verify() ones) with why[0..n) saying
 * it. */
int dht_ipns_validate_name(const dht_ipns_record_t *r,
                           const net_peerid_t *name, dht_ipns_time_t now,
                           char *why, size_t n) TR_WUR;

/* Append the text Kubo's CLI prints for in to out.  0, -ENOMEM. */
int dht_ipns_inspect_text(const dht_ipns_inspect_t *in,
                          tr_bytes_t *out) TR_WUR;

/* Go's strconv.Quote of s[0..n) (as the text's %q), appended to out
 * (quotes included).  0, -ENOMEM. */
int dht_go_quote(const char *s, size_t n, tr_bytes_t *out) TR_WUR;

/* Go's hex.Dump of b[0..n), appended to out.  0, -ENOMEM. */
int dht_hex_dump(const uint8_t *b, size_t n, tr_bytes_t *out) TR_WUR;

#endif /* DHT_IPNS_INSPECT_H */

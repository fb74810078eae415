/*
 * ipns.h — IPNS records and the DHT's two record validators, /ipns/ and
 * /pk/, sans-I/O.
 *
 * An IPNS record (specs.ipfs.tech/ipns/ipns-record/) maps a name, the
 * PeerID of a key, to a value (a path such as "/ipfs/bafy...").  It is the
 * protobuf IpnsEntry of dht/proto/ipns.proto whose `data` field holds a
 * DAG-CBOR map (Value, Validity, ValidityType, Sequence, TTL and any
 * extension keys) signed by the key: signatureV2 over "ipns-signature:" +
 * data.  The legacy V1 fields (value, validity, ... and signatureV1) are
 * still written for old readers but never trusted: when present they must
 * equal the signed data.
 *
 * The rules are boxo's ipns package (v0.42.0: ipns/record.go,
 * validation.go), the reference Kubo runs: dht_ipns_parse() is
 * UnmarshalRecord, dht_ipns_verify() Validate, dht_ipns_validate() the
 * DHT's Validator.Validate, dht_ipns_select() Validator.Select and
 * dht_ipns_create() NewRecord with its defaults (V1 fields and signatureV1
 * written, the public key embedded only when the PeerID cannot inline it).
 * Known differences, all on malformed input: in the signed data, duplicate
 * extension keys and non-minimal integers in extension values are accepted
 * (boxo's decoder refuses both; duplicates of the five reserved keys and
 * non-minimal heads of the map, its keys and reserved values are refused);
 * a Validity with a one-digit hour or a comma before the fraction, which
 * Go's lenient time.Parse path takes, is refused.
 *
 * Records of every key type go-libp2p has are verified (net_verify()):
 * Ed25519, RSA (2048 to 8192 bits), secp256k1 and ECDSA.  An RSA or
 * ECDSA name is a hash of its key, so the key must come in the record's
 * pubKey (or from the caller).
 *
 * Time is an argument (dht_ipns_time_t), never read from a clock.  Parsed
 * records own their memory (dht_ipns_record_free()); parsing and creation
 * allocate through tr_malloc(), everything else works in caller memory or
 * on the stack (at most DHT_IPNS_RECORD_MAX + 64 bytes).
 */
#ifndef DHT_IPNS_H
#define DHT_IPNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "../net/peerid.h"

/* The record size limit (the spec's 10 KiB; boxo's MaxRecordSize). */
#define DHT_IPNS_RECORD_MAX 10240
/* "/ipns/" and "/pk/" followed by a binary PeerID. */
#define DHT_IPNS_KEY_MAX (6 + NET_PEERID_MAX)
#define DHT_IPNS_PK_KEY_MAX (4 + NET_PEERID_MAX)
/* The longest Validity dht_ipns_time_format() writes, with its NUL:
 * "2006-01-02T15:04:05.999999999Z". */
#define DHT_IPNS_TIME_STR_MAX 32
/* Defaults of boxo (ipns/defaults.go), for `name publish`. */
#define DHT_IPNS_DEFAULT_LIFETIME_S (48 * 3600)
#define DHT_IPNS_DEFAULT_TTL_NS (5 * 60 * INT64_C(1000000000))

/* A point in time: seconds since the Unix epoch (negative before 1970) and
 * nanoseconds, 0..999999999.  Records carry years 0000..9999. */
typedef struct dht_ipns_time {
  int64_t sec;
  uint32_t nsec;
} dht_ipns_time_t;

/* A view of bytes inside a record's memory. */
typedef struct dht_ipns_bytes {
  const uint8_t *p;
  size_t len;
} dht_ipns_bytes_t;

/* Bits of dht_ipns_record_t.has: the protobuf fields present. */
enum {
  DHT_IPNS_HAS_VALUE = 1 << 0,
  DHT_IPNS_HAS_SIG_V1 = 1 << 1,
  DHT_IPNS_HAS_VALIDITY_TYPE = 1 << 2,
  DHT_IPNS_HAS_VALIDITY = 1 << 3,
  DHT_IPNS_HAS_SEQUENCE = 1 << 4,
  DHT_IPNS_HAS_TTL = 1 << 5,
  DHT_IPNS_HAS_PUBKEY = 1 << 6,
  DHT_IPNS_HAS_SIG_V2 = 1 << 7,
  DHT_IPNS_HAS_DATA = 1 << 8,
};

/* Bits of dht_ipns_data_t.has: a reserved key of the signed data present
 * with the kind boxo reads it as (bytes for Value and Validity, an integer
 * within int64 for the others).  A key of another kind counts as absent,
 * as in boxo, where it fails only when read. */
enum {
  DHT_IPNS_D_VALUE = 1 << 0,
  DHT_IPNS_D_VALIDITY = 1 << 1,
  DHT_IPNS_D_VALIDITY_TYPE = 1 << 2,
  DHT_IPNS_D_SEQUENCE = 1 << 3,
  DHT_IPNS_D_TTL = 1 << 4,
};

/* The reserved keys of the signed DAG-CBOR data. */
typedef struct dht_ipns_data {
  unsigned has; /* DHT_IPNS_D_* */
  dht_ipns_bytes_t value, validity;
  int64_t validity_type;
  int64_t sequence; /* boxo reads it as int64 and casts to uint64 */
  int64_t ttl;      /* nanoseconds */
} dht_ipns_data_t;

/* A record.  Filled by dht_ipns_parse(): every view points into memory the
 * record owns, valid until dht_ipns_record_free().  To marshal a record of
 * your own, zero one, set .has and the fields it names, and point the views
 * at your memory (dht_ipns_marshal() reads only those). */
typedef struct dht_ipns_record {
  unsigned has; /* DHT_IPNS_HAS_* */
  dht_ipns_bytes_t value, signature_v1, validity, pubkey, signature_v2, data;
  int32_t validity_type; /* 0: EOL, the only type there is */
  uint64_t sequence, ttl;
  dht_ipns_data_t d; /* the signed data's reserved keys (parse only) */
  size_t size;       /* the marshalled length (parse only) */
  void *pb;          /* internal: the decoded protobuf */
} dht_ipns_record_t;

/* Flags of dht_ipns_create(). */
enum {
  DHT_IPNS_V2_ONLY = 1 << 0,   /* no V1 fields, no signatureV1 */
  DHT_IPNS_EMBED_KEY = 1 << 1, /* write pubKey although the PeerID inlines it */
};

/* ------------------------------------------------------------ records */

/* Decode the record b[0..n) into rec, as boxo's UnmarshalRecord: the size
 * limit first, then the protobuf, a non-empty `data` and its DAG-CBOR,
 * which must be one map with text keys (trailing bytes refused) whose
 * reserved keys go to rec->d.  Nothing is verified: see dht_ipns_verify().
 * 0; TR_ETOOBIG (n > DHT_IPNS_RECORD_MAX), TR_EIPNS (not an IpnsEntry, no
 * data, data not such a map, a reserved key twice, a negative integer
 * beyond int64), -ENOMEM.  On error rec holds nothing to free. */
int dht_ipns_parse(dht_ipns_record_t *rec, const uint8_t *b, size_t n) TR_WUR;

/* Free what dht_ipns_parse() allocated; rec is zeroed.  Safe on a zeroed
 * record and twice. */
void dht_ipns_record_free(dht_ipns_record_t *rec);

/* The size of the decoded protobuf of a parsed record as Go's proto.Size
 * counts it (unknown fields included, a repeated field once): what Kubo's
 * `name inspect` prints as its Protobuf Size. */
size_t dht_ipns_pb_size(const dht_ipns_record_t *rec);

/* Append the protobuf of rec's fields named in rec->has to out, in field
 * order (what Go's proto.Marshal writes for the same fields).  A parsed
 * record marshals back to its input when that was deterministic.
 * 0, -ENOMEM. */
int dht_ipns_marshal(const dht_ipns_record_t *rec, tr_bytes_t *out) TR_WUR;

/* The key that verifies rec for the name `name`, as boxo's
 * ExtractPublicKey and Validator.getPublicKey: the record's pubKey when it
 * has one (whose PeerID must be the name), else the key the name inlines
 * (an identity multihash), else `known` (may be NULL: the caller's
 * peerstore entry for the name, which must match it).  0; TR_EKEY (pubKey
 * or the inlined key malformed), TR_EKEYMISMATCH (pubKey or known is
 * another key's), TR_ENOPUBKEY (a hashed name, no pubKey, no known),
 * -ENOMEM. */
int dht_ipns_pubkey(const dht_ipns_record_t *rec, const net_peerid_t *name,
                    const net_pubkey_t *known, net_pubkey_t *pk) TR_WUR;

/* Verify rec with pk at time now, as boxo's Validate, failing on the first
 * error in this order: size (TR_ETOOBIG), signatureV2 present (TR_ESIG),
 * data present (TR_EIPNS), the signature over "ipns-signature:" + data
 * (TR_ESIG; TR_EKEY when pk is a key go-libp2p refuses, as net_verify()),
 * the V1 fields when value or signatureV1 is present: value, validity,
 * validityType, sequence and ttl must equal the data's (TR_EIPNSV1, also
 * when the data lacks one), then the validity (as dht_ipns_eol()) and now
 * <= EOL (TR_EEXPIRED), and a TTL in the data must not be negative
 * (TR_EIPNS).  signatureV1 is never checked: boxo ignores it. */
int dht_ipns_verify(const dht_ipns_record_t *rec, const net_pubkey_t *pk,
                    dht_ipns_time_t now) TR_WUR;

/* The DHT's /ipns/ validator (boxo's Validator.Validate): key[0..keylen)
 * must be a routing key (dht_ipns_key_parse()), val[0..vlen) a record that
 * parses, has a key (dht_ipns_pubkey(), known may be NULL) and verifies at
 * now.  0 or the first error of those functions. */
int dht_ipns_validate(const uint8_t *key, size_t keylen, const uint8_t *val,
                      size_t vlen, dht_ipns_time_t now,
                      const net_pubkey_t *known) TR_WUR;

/* The record's end of life (boxo's Record.Validity).  0; TR_EIPNS (no
 * ValidityType or no Validity in the data), TR_EVALIDITY (a ValidityType
 * other than EOL, or a Validity that is not an RFC 3339 timestamp). */
int dht_ipns_eol(const dht_ipns_record_t *rec, dht_ipns_time_t *eol) TR_WUR;

/* Order two records as boxo's compare: *cmp = 1 when a is newer than b,
 * -1 when older, 0 when they cannot be told apart.  A record with
 * signatureV2 beats one without; then the higher Sequence (compared as
 * uint64); then the later EOL.  Neither is verified.  0; TR_EIPNS (a
 * record without Sequence), dht_ipns_eol()'s errors. */
int dht_ipns_compare(const dht_ipns_record_t *a, const dht_ipns_record_t *b,
                     int *cmp) TR_WUR;

/* The best of n marshalled records vals[i][0..lens[i]) (boxo's
 * Validator.Select).  Every record is parsed first; then, walking the
 * list, a record takes the place of the best so far when
 * dht_ipns_compare() finds it newer, or cannot tell them apart and its
 * bytes are greater (Go's bytes.Compare: lexicographic, a prefix is
 * smaller).  So of identical records the first wins.  None is verified:
 * validate each first.  Returns the index; TR_EUSAGE (n == 0), or the
 * first parse error, else the first compare error.  Keeps at most two
 * parsed records in memory. */
int dht_ipns_select(const uint8_t *const *vals, const size_t *lens,
                    size_t n) TR_WUR;

/* Create and sign a record for value[0..vlen) (a path such as
 * "/ipfs/bafy..."), as boxo's NewRecord: the DAG-CBOR data map in
 * DAG-CBOR's key order (TTL, Value, Sequence, Validity, ValidityType),
 * Sequence and TTL written as Go's int64 casts write them, signatureV2;
 * unless DHT_IPNS_V2_ONLY, also the V1 fields and signatureV1 over value +
 * validity + "EOL".  A negative ttl_ns counts as 0.  An Ed25519 PeerID
 * inlines its key, so pubKey is written only with DHT_IPNS_EMBED_KEY.  The
 * record is appended to out.  0; TR_EUSAGE (eol outside years 0000..9999
 * or nsec > 999999999), TR_ETOOBIG (the record would be over
 * DHT_IPNS_RECORD_MAX), -ENOMEM.  out is unchanged on error. */
int dht_ipns_create(const net_privkey_t *sk, const uint8_t *value,
                    size_t vlen, uint64_t seq, dht_ipns_time_t eol,
                    int64_t ttl_ns, unsigned flags, tr_bytes_t *out) TR_WUR;

/* --------------------------------------------------------- timestamps */

/* Parse an RFC 3339 timestamp s[0..n) as boxo reads Validity (Go's
 * time.Parse with RFC3339Nano): "YYYY-MM-DDTHH:MM:SS", an optional '.'
 * and fraction (digits past the ninth ignored), then 'Z' or "+hh:mm" /
 * "-hh:mm"; fields in range (the day within its month, no leap second).
 * 0 or TR_EVALIDITY. */
int dht_ipns_time_parse(const char *s, size_t n, dht_ipns_time_t *t) TR_WUR;

/* Write t as Go's RFC3339Nano in UTC ("2006-01-02T15:04:05.999999999Z":
 * the fraction without trailing zeros, none when nsec is 0).  Returns the
 * length; TR_EUSAGE (a year outside 0000..9999, nsec too big),
 * TR_EBUFSIZE (DHT_IPNS_TIME_STR_MAX always suffices). */
int dht_ipns_time_format(dht_ipns_time_t t, char *out, size_t cap) TR_WUR;

/* ---------------------------------------------------------------- keys */

/* Write the routing key "/ipns/" + binary PeerID of id to out.  Returns
 * its length; TR_EBUFSIZE (DHT_IPNS_KEY_MAX always suffices). */
int dht_ipns_key(const net_peerid_t *id, uint8_t *out, size_t cap) TR_WUR;

/* The name of the routing key k[0..n).  0; TR_ERECKEY (no "/ipns/"
 * prefix), TR_EPEERID (the rest is not a binary PeerID). */
int dht_ipns_key_parse(const uint8_t *k, size_t n, net_peerid_t *id) TR_WUR;

/* "/pk/" + binary PeerID, and back; as dht_ipns_key() and
 * dht_ipns_key_parse(). */
int dht_ipns_pk_key(const net_peerid_t *id, uint8_t *out, size_t cap) TR_WUR;
int dht_ipns_pk_key_parse(const uint8_t *k, size_t n,
                          net_peerid_t *id) TR_WUR;

/* The DHT's /pk/ validator (go-libp2p-record's PublicKeyValidator): the
 * value must be a marshalled PublicKey whose PeerID is the key's.  0;
 * TR_ERECKEY, TR_EPEERID (the key), TR_EKEY (the value),
 * TR_EKEYMISMATCH, -ENOMEM.  Its Select has nothing to choose: every
 * valid value for a key is the same key, so the first will do. */
int dht_ipns_pk_validate(const uint8_t *key, size_t keylen,
                         const uint8_t *val, size_t vlen) TR_WUR;

/* The DHT's record validator (go-libp2p-record's NamespacedValidator as
 * Kubo sets it up): keys under /ipns/ are IPNS records, under /pk/ public
 * keys, anything else is refused (TR_ERECKEY).  Shaped as dht.h's
 * dht_validate_fn and dht_select_fn (ud unused; now in milliseconds since
 * the epoch). */
int dht_record_validate(void *ud, const uint8_t *key, size_t kl,
                        const uint8_t *val, size_t vl, uint64_t now_ms);
size_t dht_record_select(void *ud, const uint8_t *key, size_t kl,
                         const uint8_t *const *vals, const size_t *lens,
                         size_t n);

#endif /* DHT_IPNS_H */

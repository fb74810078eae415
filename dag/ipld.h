/*
 * ipld.h — the IPLD data model and the codecs Kubo's `dag put/get` take
 * (go-ipld-prime's, through multicodec): a block decoded into a tree of
 * nodes, and a tree encoded into a block, so that `dag put` turns DAG-JSON
 * into DAG-CBOR, `dag get` DAG-CBOR into DAG-JSON, and `dag get` paths go
 * inside a block as Kubo's do.
 *
 *   codec            code    decoded as / encoded as
 *   raw              0x55    bytes
 *   dag-pb           0x70    {"Data": bytes (absent when none),
 *                             "Links": [{"Hash": link, "Name": string,
 *                             "Tsize": int}...]} (go-codec-dagpb's schema;
 *                             Name and Tsize absent when the link has none;
 *                             see the two forms below); links written
 *                             sorted by Name, stably
 *   cbor             0x51    CBOR without links (tag 42 refused); keys
 *                            written in the tree's order, floats as 64 bits
 *   dag-cbor         0x71    CBOR with links (tag 42); keys sorted length
 *                            first on encoding, floats as 64 bits
 *   json             0x0200  JSON without links or bytes; written as Go
 *                            indents it (tabs, "key": value, a newline
 *                            after a top-level map or list), keys in the
 *                            tree's order
 *   dag-json         0x0129  JSON with {"/": "cid"} links and
 *                            {"/": {"bytes": "base64"}} bytes; keys sorted
 *                            bytewise, no whitespace, numbers and string
 *                            escapes as Kubo v0.43.1 writes them
 *   dag-jose         0x85    a JWS {link, payload, signatures} or a JWE
 *                            {aad, ciphertext, iv, protected, recipients,
 *                            tag, unprotected} with base64url strings, as
 *                            go-dag-jose shows a dag-cbor block (the
 *                            flattened forms taken on encoding); see
 *                            dag/ipld_jose.c
 *
 * dag-pb has two data-model forms in Kubo, and so here: ipld_decode gives
 * `dag get`'s (go-codec-dagpb's typed node: "Links" then "Data", a link's
 * "Hash", "Name", "Tsize", every field there and an absent one a null node
 * with absent set, which dag-json writes as null, as Kubo does), and
 * ipld_decode_input gives `dag put --input-codec=dag-pb`'s (a plain map of
 * the fields present, in the block's order).
 *
 * Every decoder takes untrusted bytes: nesting deeper than IPLD_MAX_DEPTH,
 * a truncated or malformed input, trailing bytes, a duplicate map key, a
 * map key that is not a string, and (dag-cbor, cbor) an indefinite length,
 * a head not in its shortest form, NaN or an infinity, or a tag on a byte
 * string other than 42 are errors, never a crash; a tree holds no more
 * nodes than its input has bytes.  (As go-ipld-prime, a tag on anything but
 * a byte string is dropped, undefined reads as null, and 16- and 32-bit
 * floats are read; dag-cbor and cbor also keep its allocation budget of
 * 10 MiB.)  Encoders take any tree (one a decoder built, or one built by
 * hand with ipld_new) and fail only on what the codec cannot hold (bytes or
 * a link in json, a link in cbor, an integer above INT64_MAX in json or
 * dag-json, NaN or an infinity anywhere, a tree that is not dag-pb's schema
 * for dag-pb, anything but bytes for raw).
 *
 * Where trove parts from Kubo v0.43.1 on purpose (dag/ipld*.c say why):
 * nesting past IPLD_MAX_DEPTH (go-ipld-prime: 1024 in dag-cbor, none in
 * dag-json) is refused, and encoders refuse trees deeper than that too;
 * the one stray byte Kubo's JSON reader lets follow a number at the top
 * level ("1x", "01") is refused; `dag get --output-codec=dag-pb` of a
 * dag-pb node without Data works (Kubo fails on it), and so does `dag get`
 * of a dag-cbor integer above INT64_MAX to dag-cbor or cbor (Kubo fails on
 * it in every codec at `dag get`, though `dag put` keeps it); a dag-pb
 * Tsize of 2^63 or more is TR_EDAGPB (dag_pb_decode's varint limit; Kubo
 * shows it negative).
 */
#ifndef DAG_IPLD_H
#define DAG_IPLD_H

#include "cid.h"

#define IPLD_MAX_DEPTH 64

/* Multicodec codes (dag_cid_t.codec). */
#define IPLD_CODEC_RAW DAG_CODEC_RAW
#define IPLD_CODEC_DAG_PB DAG_CODEC_DAG_PB
#define IPLD_CODEC_CBOR DAG_CODEC_CBOR
#define IPLD_CODEC_DAG_CBOR DAG_CODEC_DAG_CBOR
#define IPLD_CODEC_JSON DAG_CODEC_JSON
#define IPLD_CODEC_DAG_JSON DAG_CODEC_DAG_JSON
#define IPLD_CODEC_DAG_JOSE DAG_CODEC_DAG_JOSE

typedef enum ipld_kind {
  IPLD_NULL,
  IPLD_BOOL,
  IPLD_INT,
  IPLD_FLOAT,
  IPLD_STRING,
  IPLD_BYTES,
  IPLD_LINK,
  IPLD_LIST,
  IPLD_MAP,
} ipld_kind_t;

typedef struct ipld_node ipld_node_t;

typedef struct ipld_entry {
  const char *key; /* UTF-8 as it came (not NUL-terminated) */
  size_t klen;
  ipld_node_t *val;
} ipld_entry_t;

struct ipld_node {
  ipld_kind_t kind;
  /* IPLD_NULL only: an optional dag-pb field the block lacks (see above):
   * written as null by the JSON and CBOR codecs, left out by dag-pb's. */
  bool absent;
  /* IPLD_INT only: the value is u.u, above INT64_MAX (dag-cbor and cbor
   * read such integers and write them back; json and dag-json cannot). */
  bool big;
  union {
    bool b;
    int64_t i;
    uint64_t u; /* IPLD_INT with big */
    double f;
    struct {
      const uint8_t *p; /* STRING (UTF-8 as it came) and BYTES */
      size_t n;
    } s;
    dag_cid_t link;
    struct {
      ipld_node_t **v;
      size_t n;
    } list;
    struct {
      ipld_entry_t *v; /* in the order decoded or built */
      size_t n;
    } map;
  } u;
};

/* Every node of a tree, its strings and arrays live in one arena, freed
 * at once. */
typedef struct ipld_arena ipld_arena_t;

/* An empty arena: NULL when out of memory. */
ipld_arena_t *ipld_arena_new(void);
void ipld_arena_free(ipld_arena_t *a);
/* n zeroed bytes from the arena (aligned for any node), or NULL. */
void *ipld_alloc(ipld_arena_t *a, size_t n);
/* A zeroed node of kind from the arena (fill in its u yourself), or NULL. */
ipld_node_t *ipld_new(ipld_arena_t *a, ipld_kind_t kind);

/* Is codec one of the seven above? */
bool ipld_codec_known(uint64_t codec);
/* A codec's name ("dag-cbor") and the code of a name (as multicodec's
 * table spells it): NULL / 0 when not one of the seven. */
const char *ipld_codec_name(uint64_t codec);
uint64_t ipld_codec_code(const char *name);

/* Decode the block in[0..len) of codec into a tree in a (which must
 * outlive it; strings and bytes may point into in, which must too).
 * 0 with *out set; TR_ECODEC (not one of the seven), TR_EJSON, TR_ECBOR,
 * TR_EDAGPB (malformed input of that codec), TR_ECID (a link that does not
 * parse), -ENOMEM; *out is NULL on error (what was built stays in a until
 * it is freed).  Nothing is allocated outside a but short-lived scratch. */
int ipld_decode(uint64_t codec, const uint8_t *in, size_t len,
                ipld_arena_t *a, ipld_node_t **out) TR_WUR;
/* The same, as `dag put --input-codec` decodes: differs only for dag-pb
 * (the plain form described on top). */
int ipld_decode_input(uint64_t codec, const uint8_t *in, size_t len,
                      ipld_arena_t *a, ipld_node_t **out) TR_WUR;

/* Append the tree n encoded in codec to out.  0; TR_ECODEC (not one of the
 * seven, or a tree codec cannot hold); -ENOMEM.  out may hold part of the
 * encoding on error. */
int ipld_encode(uint64_t codec, const ipld_node_t *n, tr_bytes_t *out) TR_WUR;

/* One step of a path inside a block, as go-ipld-prime takes a segment: a
 * map's entry of that key, or a list's element at that decimal index (as
 * Go's strconv.ParseInt reads it, so "01" and "+1" are index 1, as Kubo's
 * `dag get CID/a/01` has it).  NULL when there is none (a negative index
 * too), or when n is not a map or a list. */
const ipld_node_t *ipld_step(const ipld_node_t *n, const char *seg,
                             size_t len);

/* Whether blocks of codec can link to others: dag-pb, dag-cbor, dag-json,
 * dag-jose and git-raw (raw, cbor and json cannot; other codecs are not
 * decoded, nor are they by Kubo's walks).  What a DAG walk follows - GC's
 * mark, pins, refs, bitswap's fetch of a DAG - as Kubo's walks follow
 * every codec go-ipld-prime decodes. */
bool ipld_codec_has_links(uint64_t codec);

/* Call cb for each link of the block in[0..len) of codec, in document
 * order: dag-pb's Links, dag-cbor's tag-42 CIDs, dag-json's {"/": "cid"}
 * (decoded whole into a scratch arena: such blocks are few and small),
 * dag-jose's as dag-cbor's and then its JWS payload's CID (dag/ipld.c says
 * how), a git object's (dag/ipld_git.c); nothing for other codecs.  0,
 * cb's non-zero value, or TR_EDAGPB, TR_ECBOR, TR_EJSON, TR_EGIT, TR_ECID
 * (malformed), -ENOMEM. */
typedef int (*ipld_link_cb)(const dag_cid_t *cid, void *ud);
int ipld_links(uint64_t codec, const uint8_t *in, size_t len, ipld_link_cb cb,
               void *ud) TR_WUR;

#endif /* DAG_IPLD_H */

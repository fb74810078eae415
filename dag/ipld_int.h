/*
 * ipld_int.h — what dag/ipld.c (the arena, the CBOR, dag-pb and raw codecs,
 * dispatch), dag/ipld_json.c (the two JSON codecs) and dag/ipld_git.c
 * (git objects' links) share.  Not for other
 * modules: they include ipld.h.
 */
#ifndef DAG_IPLD_INT_H
#define DAG_IPLD_INT_H

#include "ipld.h"

/* Map entries in an order for encoding or for finding duplicates: a
 * tr_malloc'd array of pointers into v[0..n), sorted by cmp (memcmp's
 * convention on two keys); NULL when out of memory (and when n is 0, which
 * callers check first). */
typedef int (*ipld__key_cmp)(const char *a, size_t alen, const char *b,
                             size_t blen);
const ipld_entry_t **ipld__sorted(const ipld_entry_t *v, size_t n,
                                  ipld__key_cmp cmp);

/* Bytewise order, a shorter key before the longer one it begins: Go's
 * string comparison, which go-ipld-prime sorts dag-json keys by. */
int ipld__key_cmp_bytes(const char *a, size_t alen, const char *b,
                        size_t blen);

/* A null node marking an optional field the object lacks (ipld.h's
 * absent), or NULL when out of memory. */
ipld_node_t *ipld__absent(ipld_arena_t *a);

/* Map m's value of key[0..len) (the first, if it is there twice), or NULL
 * (also when m is not a map). */
const ipld_node_t *ipld__map_get(const ipld_node_t *m, const char *key,
                                 size_t len);

/* Whether m is a map whose keys are all among keys[0..nk), each once: a
 * schema's struct, as a typed builder takes one. */
bool ipld__keys_only(const ipld_node_t *m, const char *const *keys,
                     size_t nk);

/* Does the map of v[0..n) hold a key twice?  1 yes, 0 no, -ENOMEM. */
int ipld__has_dup(const ipld_entry_t *v, size_t n);

/* The JSON codecs (ipld_json.c): dag selects dag-json (links, bytes,
 * sorted keys, compact) over json (none of those, Go's indented form). */
int ipld__json_decode(const uint8_t *in, size_t len, bool dag,
                      ipld_arena_t *a, ipld_node_t **out);
int ipld__json_encode(const ipld_node_t *n, bool dag, tr_bytes_t *out);

/* dag-jose (ipld_jose.c): the decoded form of a block's dag-cbor tree,
 * and the dag-cbor tree to store for a decoded (or flattened) one; both
 * in a.  0, TR_ECODEC (not a JWS or JWE as go-dag-jose has them), -ENOMEM. */
int ipld__jose_decode(const ipld_node_t *cbor, ipld_arena_t *a,
                      ipld_node_t **out);
int ipld__jose_encode(const ipld_node_t *n, ipld_arena_t *a,
                      ipld_node_t **out);

/* The links of a git-raw block (ipld_git.c says which): as ipld_links;
 * and the block in go-ipld-git's data model, for `dag get`: 0, TR_EGIT,
 * -ENOMEM. */
int ipld__git_links(const uint8_t *in, size_t len, ipld_link_cb cb, void *ud);
int ipld__git_decode(const uint8_t *in, size_t len, ipld_arena_t *a,
                     ipld_node_t **out);

#endif /* DAG_IPLD_INT_H */

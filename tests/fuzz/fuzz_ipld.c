/*
 * fuzz_ipld.c — libFuzzer target for dag/ipld.h: every input is decoded
 * with each of the eight codecs (dag-pb in both of its forms; git-raw is
 * read only), and whatever decodes is encoded again, with its own codec
 * and across to the others.
 *
 * Properties: no read past the input, no leak (ASan), no undefined
 * behaviour (UBSan); each decoder fails only with its codec's error,
 * TR_ECID or -ENOMEM; each encoder only with TR_ECODEC or -ENOMEM.
 * Fixed points: for dag-cbor and cbor, decoding the re-encoding and
 * encoding again gives the same bytes; so for dag-json and json, unless
 * the tree holds a float with an integral value or -0.0 (Kubo writes 1.0
 * as "1" and -0.0 as "-0", which read back as integers), in which case
 * the property is checked one round later.  raw gives back the input.
 * dag-pb re-encodes to a fixed point unless a link has no valid Tsize.
 * A tree written as dag-cbor always reads back as dag-cbor.  ipld_links
 * gives the links the decoded tree holds, in the same order; as dag-jose,
 * the same, perhaps with its JWS payload's CID after them.  As git-raw,
 * every input gives git-raw sha1 links or TR_EGIT.
 * Build: make build-fuzz/fuzz_ipld; seeds in tests/fuzz/corpus/fuzz_ipld.
 */
#include "../../dag/ipld.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const uint64_t codecs[] = {IPLD_CODEC_RAW,  IPLD_CODEC_DAG_PB,
                                  IPLD_CODEC_CBOR, IPLD_CODEC_DAG_CBOR,
                                  IPLD_CODEC_JSON, IPLD_CODEC_DAG_JSON,
                                  IPLD_CODEC_DAG_JOSE, DAG_CODEC_GIT_RAW};

static int codec_err(uint64_t c) {
  switch (c) {
  case IPLD_CODEC_DAG_PB:
    return TR_EDAGPB;
  case IPLD_CODEC_CBOR:
  case IPLD_CODEC_DAG_CBOR:
  case IPLD_CODEC_DAG_JOSE: /* or TR_ECODEC: dag-cbor, not a JWS or JWE */
    return TR_ECBOR;
  case DAG_CODEC_GIT_RAW:
    return TR_EGIT;
  default:
    return TR_EJSON;
  }
}

/* A float that JSON text turns into an integer on the way back. */
static bool intlike_float(const ipld_node_t *n) {
  switch (n->kind) {
  case IPLD_FLOAT:
    return n->u.f == trunc(n->u.f) && fabs(n->u.f) < 1e21;
  case IPLD_LIST:
    for (size_t i = 0; i < n->u.list.n; i++)
      if (intlike_float(n->u.list.v[i]))
        return true;
    return false;
  case IPLD_MAP:
    for (size_t i = 0; i < n->u.map.n; i++)
      if (intlike_float(n->u.map.v[i].val))
        return true;
    return false;
  default:
    return false;
  }
}

/* Encode t in c; decode that and encode again: the same bytes.  Returns
 * whether the first encoding worked. */
static bool fixed_point(uint64_t c, const ipld_node_t *t) {
  tr_bytes_t e1 = {0}, e2 = {0};
  int rc = ipld_encode(c, t, &e1);
  if (rc && rc != TR_ECODEC && rc != -ENOMEM)
    abort();
  if (rc) {
    tr_bytes_free(&e1);
    return false;
  }
  ipld_arena_t *a = ipld_arena_new();
  ipld_node_t *t2;
  if (!a)
    abort();
  rc = ipld_decode(c, e1.data, e1.len, a, &t2);
  bool json = c == IPLD_CODEC_JSON || c == IPLD_CODEC_DAG_JSON;
  if (json && intlike_float(t)) {
    /* One round later the integers are integers: recurse once. */
    if (rc == 0)
      (void)fixed_point(c, t2);
  } else if (rc != -ENOMEM) {
    if (rc)
      abort(); /* our own encoding must read back */
    rc = ipld_encode(c, t2, &e2);
    if (rc != -ENOMEM &&
        (rc || e2.len != e1.len ||
         (e1.len && memcmp(e1.data, e2.data, e1.len))))
      abort();
  }
  ipld_arena_free(a);
  tr_bytes_free(&e1);
  tr_bytes_free(&e2);
  return true;
}

/* The links of a tree, and of ipld_links, in order (up to LINKS_MAX). */
#define LINKS_MAX 512
typedef struct links {
  dag_cid_t v[LINKS_MAX];
  size_t n;
} links_t;

static void tree_links(const ipld_node_t *n, links_t *l) {
  if (n->kind == IPLD_LINK) {
    if (l->n < LINKS_MAX)
      l->v[l->n] = n->u.link;
    l->n++;
  } else if (n->kind == IPLD_LIST) {
    for (size_t i = 0; i < n->u.list.n; i++)
      tree_links(n->u.list.v[i], l);
  } else if (n->kind == IPLD_MAP) {
    for (size_t i = 0; i < n->u.map.n; i++)
      tree_links(n->u.map.v[i].val, l);
  }
}

static int link_cb(const dag_cid_t *cid, void *ud) {
  links_t *l = ud;
  if (l->n < LINKS_MAX)
    l->v[l->n] = *cid;
  l->n++;
  return 0;
}

/* ipld_links gives what the decoded tree holds, in its order (the walks of
 * pins and GC follow the one, `dag get` shows the other); codecs without
 * links give none. */
static void links_agree(uint64_t c, const ipld_node_t *t, const uint8_t *data,
                        size_t size) {
  static links_t want, got;
  want.n = got.n = 0;
  if (ipld_codec_has_links(c))
    tree_links(t, &want);
  int rc = ipld_links(c, data, size, link_cb, &got);
  if (rc == -ENOMEM)
    return;
  if (rc || got.n != want.n)
    abort();
  for (size_t i = 0; i < got.n && i < LINKS_MAX; i++)
    if (!dag_cid_equal(&got.v[i], &want.v[i]))
      abort();
  /* dag-jose is dag-cbor read so: the same links, and perhaps its JWS
   * payload's after them. */
  if (c != IPLD_CODEC_DAG_CBOR)
    return;
  got.n = 0;
  rc = ipld_links(DAG_CODEC_DAG_JOSE, data, size, link_cb, &got);
  if (rc == -ENOMEM)
    return;
  if (rc || got.n < want.n || got.n > want.n + 1)
    abort();
  for (size_t i = 0; i < want.n && i < LINKS_MAX; i++)
    if (!dag_cid_equal(&got.v[i], &want.v[i]))
      abort();
}

static void one(uint64_t c, bool input_form, const uint8_t *data,
                size_t size) {
  ipld_arena_t *a = ipld_arena_new();
  ipld_node_t *t;
  if (!a)
    abort();
  int rc = input_form ? ipld_decode_input(c, data, size, a, &t)
                      : ipld_decode(c, data, size, a, &t);
  if (rc) {
    if (rc != codec_err(c) && rc != TR_ECID && rc != -ENOMEM &&
        !(c == IPLD_CODEC_DAG_JOSE && rc == TR_ECODEC))
      abort();
    ipld_arena_free(a);
    return;
  }
  if (!input_form)
    links_agree(c, t, data, size);
  if (c == IPLD_CODEC_RAW) {
    tr_bytes_t o = {0};
    if (ipld_encode(c, t, &o) == 0 &&
        (o.len != size || (size && memcmp(o.data, data, size))))
      abort();
    tr_bytes_free(&o);
  } else if (!fixed_point(c, t) && c != IPLD_CODEC_DAG_PB &&
             c != IPLD_CODEC_DAG_JOSE && c != DAG_CODEC_GIT_RAW) {
    /* A tree a codec read, it can write; not always dag-jose's, whose
     * decoded form takes what go-dag-jose will not write back (bytes in
     * a header, a JWS without signatures, a JWE's empty recipients), and
     * never git-raw's (no encoder). */
    abort();
  }
  /* Across: every codec either writes the tree or says it cannot. */
  for (size_t i = 0; i < sizeof codecs / sizeof *codecs; i++) {
    tr_bytes_t o = {0};
    rc = ipld_encode(codecs[i], t, &o);
    if (rc && rc != TR_ECODEC && rc != -ENOMEM)
      abort();
    if (rc == 0 && codecs[i] == IPLD_CODEC_DAG_CBOR) {
      ipld_arena_t *b = ipld_arena_new();
      ipld_node_t *t2;
      if (!b)
        abort();
      rc = ipld_decode(IPLD_CODEC_DAG_CBOR, o.data, o.len, b, &t2);
      if (rc && rc != -ENOMEM)
        abort();
      ipld_arena_free(b);
    }
    tr_bytes_free(&o);
  }
  /* A few path steps, for ASan's sake. */
  static const char *const segs[] = {"0", "1", "Links", "Data", "/", "a"};
  const ipld_node_t *n = t;
  for (size_t i = 0; n && i < sizeof segs / sizeof *segs; i++) {
    const ipld_node_t *next = ipld_step(n, segs[i], strlen(segs[i]));
    n = next ? next : n;
  }
  ipld_arena_free(a);
}

/* A git object's links: each a git-raw sha1 CID, or TR_EGIT. */
static int git_cb(const dag_cid_t *cid, void *ud) {
  (void)ud;
  if (cid->codec != DAG_CODEC_GIT_RAW || cid->mh_code != DAG_MH_SHA1)
    abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (size_t i = 0; i < sizeof codecs / sizeof *codecs; i++)
    one(codecs[i], false, data, size);
  one(IPLD_CODEC_DAG_PB, true, data, size);
  int rc = ipld_links(DAG_CODEC_GIT_RAW, data, size, git_cb, NULL);
  if (rc && rc != TR_EGIT)
    abort();
  return 0;
}

/*
 * test_bs_links.c — the links that walks follow beyond dag-pb and
 * dag-cbor blocks in the store, each a way GC lost pinned data before:
 *
 *  - identity CIDs: the block is the CID's digest and is stored nowhere,
 *    but a dag-cbor node of a link or two fits in one, and what it links to
 *    is stored.  GC took those blocks (the mark skipped identity links),
 *    refs and CAR export stopped at the identity node, and pinning an
 *    identity root checked nothing below it.  Kubo walks through them.
 *  - dag-json, dag-jose and git-raw blocks: the links index left them
 *    out, so every walk took them for leaves; GC removed what they link
 *    to (a dag-jose JWS links to its payload, the bytes of a CID; a git
 *    commit to its tree and parents, a tree to its entries).
 *  - a repo of schema 3 or 4, whose dag-json (3) and dag-jose blocks have
 *    no links entries: its first writable open indexes those its pins
 *    reach and writes schema 5.
 */
#include "testutil.h"

#include <lmdb.h>

#include "bs_fixture.h"
#include "../dag/multihash.h"

typedef bs_fixture_t fx_t;

/* A dag-cbor map {"l": link, ...} of n links, hashed with mh (sha2-256 or
 * identity); stored when txn is given (an identity CID stores nothing). */
static dag_cid_t cbor_node(bs_txn_t *txn, uint64_t mh, const dag_cid_t *kids,
                           size_t n) {
  uint8_t buf[512];
  size_t o = 0;
  buf[o++] = 0xa0 | (uint8_t)n; /* a map of n (< 24) entries */
  for (size_t i = 0; i < n; i++) {
    buf[o++] = 0x62, buf[o++] = 'l', buf[o++] = (uint8_t)('a' + i);
    buf[o++] = 0xd8, buf[o++] = 0x2a; /* tag 42 */
    buf[o++] = 0x58, buf[o++] = (uint8_t)(kids[i].len + 1);
    buf[o++] = 0x00;
    memcpy(buf + o, kids[i].bytes, kids[i].len);
    o += kids[i].len;
  }
  dag_cid_t c;
  assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_DAG_CBOR, mh, buf, o), 0);
  if (txn)
    assert_int_equal(bs_put(txn, &c, buf, o), 0);
  return c;
}

/* A dag-json {"l":{"/":"cid"}}, stored. */
static dag_cid_t json_node(bs_txn_t *txn, const dag_cid_t *kid) {
  char s[DAG_CID_STR_MAX], doc[256];
  int n = snprintf(doc, sizeof doc, "{\"l\":{\"/\":\"%s\"}}",
                   dag_cid_str(kid, s));
  dag_cid_t c;
  assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_DAG_JSON, DAG_MH_SHA2_256,
                               doc, (size_t)n),
                   0);
  assert_int_equal(bs_put(txn, &c, (const uint8_t *)doc, (size_t)n), 0);
  return c;
}

/* A dag-jose JWS whose payload is kid's CID, as go-dag-jose encodes one:
 * {"payload": bytes, "signatures": [{"protected": bytes, "signature":
 * bytes}]}; with link, an explicit "link" first (Kubo follows it alone).
 * Stored. */
static dag_cid_t jose_jws(bs_txn_t *txn, const dag_cid_t *kid,
                          const dag_cid_t *link) {
  uint8_t buf[512];
  size_t o = 0;
  buf[o++] = link ? 0xa3 : 0xa2;
  if (link) {
    buf[o++] = 0x64, memcpy(buf + o, "link", 4), o += 4;
    buf[o++] = 0xd8, buf[o++] = 0x2a, buf[o++] = 0x58;
    buf[o++] = (uint8_t)(link->len + 1), buf[o++] = 0x00;
    memcpy(buf + o, link->bytes, link->len), o += link->len;
  }
  buf[o++] = 0x67, memcpy(buf + o, "payload", 7), o += 7;
  buf[o++] = 0x58, buf[o++] = (uint8_t)kid->len;
  memcpy(buf + o, kid->bytes, kid->len), o += kid->len;
  buf[o++] = 0x6a, memcpy(buf + o, "signatures", 10), o += 10;
  buf[o++] = 0x81, buf[o++] = 0xa2;
  buf[o++] = 0x69, memcpy(buf + o, "protected", 9), o += 9;
  buf[o++] = 0x42, buf[o++] = '{', buf[o++] = '}';
  buf[o++] = 0x69, memcpy(buf + o, "signature", 9), o += 9;
  buf[o++] = 0x43, buf[o++] = 1, buf[o++] = 2, buf[o++] = 3;
  dag_cid_t c;
  assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_DAG_JOSE, DAG_MH_SHA2_256,
                               buf, o),
                   0);
  assert_int_equal(bs_put(txn, &c, buf, o), 0);
  return c;
}

/* A git object "<type> <len>\0<body>" under its SHA-1, stored. */
static dag_cid_t git_obj(bs_txn_t *txn, const char *type, const void *body,
                         size_t blen) {
  uint8_t buf[512];
  int h = snprintf((char *)buf, sizeof buf, "%s %zu", type, blen);
  assert_true(h > 0 && (size_t)h + 1 + blen <= sizeof buf);
  buf[h] = 0;
  memcpy(buf + h + 1, body, blen);
  dag_cid_t c;
  assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_GIT_RAW, DAG_MH_SHA1, buf,
                               (size_t)h + 1 + blen),
                   0);
  assert_int_equal(bs_put(txn, &c, buf, (size_t)h + 1 + blen), 0);
  return c;
}

/* The hex SHA-1 of a git object's CID. */
static void git_hex(const dag_cid_t *c, char out[41]) {
  size_t n;
  const uint8_t *mh = dag_cid_mh(c, &n);
  tr_hex(mh + 2, 20, out);
}

/* A dag-jose JWE whose ciphertext happens to be kid's CID: no links. */
static dag_cid_t jose_jwe(bs_txn_t *txn, const dag_cid_t *kid) {
  uint8_t buf[256];
  size_t o = 0;
  buf[o++] = 0xa1;
  buf[o++] = 0x6a, memcpy(buf + o, "ciphertext", 10), o += 10;
  buf[o++] = 0x58, buf[o++] = (uint8_t)kid->len;
  memcpy(buf + o, kid->bytes, kid->len), o += kid->len;
  dag_cid_t c;
  assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_DAG_JOSE, DAG_MH_SHA2_256,
                               buf, o),
                   0);
  assert_int_equal(bs_put(txn, &c, buf, o), 0);
  return c;
}

static int count_cb(const dag_cid_t *c, void *ud) {
  (void)c;
  (*(int *)ud)++;
  return 0;
}

static int verify_cb(const bs_pin_t *pin, int status, const dag_cid_t *bad,
                     void *ud) {
  (void)pin, (void)bad;
  int *v = ud;
  v[0]++;
  v[1] += status != 0;
  return 0;
}

/* Every block bs_walk reports under root, as refs -r lists them. */
static size_t walk_count(fx_t *f, const dag_cid_t *root, const dag_cid_t *want,
                         bool *found) {
  bs_walk_t *w;
  assert_int_equal(bs_walk_new(root, BS_WALK_UNIQUE, -1, &w), 0);
  bs_txn_t *t = rtxn(f);
  size_t n = 0;
  dag_cid_t c;
  int rc;
  *found = false;
  while ((rc = bs_walk_next(w, t, &c, NULL, NULL)) == 1) {
    n++;
    *found |= dag_cid_equal(&c, want);
  }
  assert_int_equal(rc, 0);
  bs_txn_abort(t);
  bs_walk_free(w);
  return n;
}

static void test_gc_keeps_what_identity_and_json_nodes_link_to(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t kid[5];
  for (int i = 0; i < 5; i++)
    kid[i] = raw_block(t, 300 + (uint32_t)i, 40);
  dag_cid_t loose = raw_block(t, 399, 40);
  /* A stored node over an identity node over kid[0]. */
  dag_cid_t id0 = cbor_node(NULL, DAG_MH_IDENTITY, &kid[0], 1);
  dag_cid_t top = cbor_node(t, DAG_MH_SHA2_256, &id0, 1);
  /* An identity root over kid[1]: pinned itself. */
  dag_cid_t id1 = cbor_node(NULL, DAG_MH_IDENTITY, &kid[1], 1);
  /* Identity in identity, the MFS root: kid[2]. */
  dag_cid_t id2 = cbor_node(NULL, DAG_MH_IDENTITY, &kid[2], 1);
  dag_cid_t id3 = cbor_node(NULL, DAG_MH_IDENTITY, &id2, 1);
  assert_true(id3.mh_code == DAG_MH_IDENTITY);
  /* A dag-json node over kid[3], and one in the middle of a dag-cbor
   * chain over kid[4]. */
  dag_cid_t j3 = json_node(t, &kid[3]);
  dag_cid_t j4 = json_node(t, &kid[4]);
  dag_cid_t over_j4 = cbor_node(t, DAG_MH_SHA2_256, &j4, 1);

  dag_cid_t missing;
  assert_int_equal(bs_pin_add(t, &top, BS_PIN_RECURSIVE, NULL, &missing), 0);
  assert_int_equal(bs_pin_add(t, &id1, BS_PIN_RECURSIVE, NULL, &missing), 0);
  assert_int_equal(bs_pin_add(t, &j3, BS_PIN_RECURSIVE, NULL, &missing), 0);
  assert_int_equal(
      bs_pin_add(t, &over_j4, BS_PIN_RECURSIVE, NULL, &missing), 0);
  assert_int_equal(bs_meta_put(t, BS_META_FILES_ROOT, id3.bytes, id3.len), 0);
  /* The links as bs_links gives them (the gateway's CARs, bitswap). */
  int n = 0;
  assert_int_equal(bs_links(t, &id0, count_cb, &n), 0);
  assert_int_equal(n, 1);
  n = 0;
  assert_int_equal(bs_links(t, &j3, count_cb, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(bs_txn_commit(t), 0);

  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(st.removed, 1);
  assert_int_equal(has(f, &loose), 0);
  for (int i = 0; i < 5; i++)
    assert_int_equal(has(f, &kid[i]), 1);

  /* refs -r: through the identity node and the dag-json nodes. */
  bool found;
  assert_int_equal(walk_count(f, &top, &kid[0], &found), 3);
  assert_true(found);
  assert_int_equal(walk_count(f, &id3, &kid[2], &found), 3);
  assert_true(found);
  assert_int_equal(walk_count(f, &over_j4, &kid[4], &found), 3);
  assert_true(found);
  /* pin verify agrees. */
  t = rtxn(f);
  int v[2] = {0, 0};
  assert_int_equal(bs_pin_verify(t, verify_cb, v), 0);
  assert_int_equal(v[0], 4);
  assert_int_equal(v[1], 0);
  bs_txn_abort(t);
}

/* A dag-jose JWS links to its payload's CID, or to its "link" when it has
 * one; a JWE links nowhere; a block that does not parse is stored, a leaf
 * (go-dag-jose v0.1.1's decoder, through Kubo's walks). */
static void test_gc_keeps_what_jose_links_to(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t kid[5];
  for (int i = 0; i < 5; i++)
    kid[i] = raw_block(t, 700 + (uint32_t)i, 40);
  dag_cid_t jws = jose_jws(t, &kid[0], NULL);
  dag_cid_t linked = jose_jws(t, &kid[2], &kid[1]);
  dag_cid_t jwe = jose_jwe(t, &kid[3]);
  dag_cid_t jws4 = jose_jws(t, &kid[4], NULL);
  dag_cid_t over = cbor_node(t, DAG_MH_SHA2_256, &jws4, 1);
  static const uint8_t junk[] = {0xa1, 0x67}; /* a map cut short */
  dag_cid_t bad;
  assert_int_equal(dag_cid_sum(&bad, 1, DAG_CODEC_DAG_JOSE, DAG_MH_SHA2_256,
                               junk, sizeof junk),
                   0);
  assert_int_equal(bs_put(t, &bad, junk, sizeof junk), 0);
  int n = 0;
  assert_int_equal(bs_links(t, &jws, count_cb, &n), 0);
  assert_int_equal(n, 1);
  n = 0;
  assert_int_equal(bs_links(t, &linked, count_cb, &n), 0);
  assert_int_equal(n, 1);
  n = 0;
  assert_int_equal(bs_links(t, &jwe, count_cb, &n), 0);
  assert_int_equal(n, 0);
  dag_cid_t missing, pins[] = {jws, linked, jwe, over, bad};
  for (size_t i = 0; i < TR_ARRAY_LEN(pins); i++)
    assert_int_equal(
        bs_pin_add(t, &pins[i], BS_PIN_RECURSIVE, NULL, &missing), 0);
  assert_int_equal(bs_txn_commit(t), 0);

  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(st.removed, 2);
  assert_int_equal(has(f, &kid[0]), 1);
  assert_int_equal(has(f, &kid[1]), 1);
  assert_int_equal(has(f, &kid[2]), 0); /* the payload of one with a link */
  assert_int_equal(has(f, &kid[3]), 0); /* a JWE's ciphertext */
  assert_int_equal(has(f, &kid[4]), 1);
  bool found;
  assert_int_equal(walk_count(f, &over, &kid[4], &found), 3);
  assert_true(found);
  assert_int_equal(walk_count(f, &linked, &kid[1], &found), 2);
  assert_true(found);
}

/* A git commit links to its tree and parents, a tree to its entries (as
 * go-ipld-git decodes them for Kubo's walks): a pinned commit keeps its
 * history; a git object that does not parse is stored, a leaf. */
static void test_gc_keeps_a_git_history(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t blob = git_obj(t, "blob", "hello\n", 6);
  dag_cid_t loose = git_obj(t, "blob", "loose\n", 6);
  uint8_t tree[64];
  memcpy(tree, "100644 a.txt", 13); /* with its NUL */
  size_t n;
  memcpy(tree + 13, dag_cid_mh(&blob, &n) + 2, 20);
  dag_cid_t tr = git_obj(t, "tree", tree, 33);
  char th[41], ph[41], body[256];
  git_hex(&tr, th);
  int bl = snprintf(body, sizeof body, "tree %s\nauthor T <a@b.c> 1 +0000\n"
                    "\nfirst\n", th);
  dag_cid_t c1 = git_obj(t, "commit", body, (size_t)bl);
  git_hex(&c1, ph);
  bl = snprintf(body, sizeof body, "tree %s\nparent %s\n\nsecond\n", th, ph);
  dag_cid_t c2 = git_obj(t, "commit", body, (size_t)bl);
  dag_cid_t junk = git_obj(t, "frob", "x", 1);
  int k = 0;
  assert_int_equal(bs_links(t, &c2, count_cb, &k), 0);
  assert_int_equal(k, 2);
  dag_cid_t missing;
  assert_int_equal(bs_pin_add(t, &c2, BS_PIN_RECURSIVE, NULL, &missing), 0);
  assert_int_equal(bs_pin_add(t, &junk, BS_PIN_RECURSIVE, NULL, &missing), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(st.removed, 1);
  assert_int_equal(has(f, &loose), 0);
  assert_int_equal(has(f, &blob), 1);
  assert_int_equal(has(f, &c1), 1);
  bool found;
  assert_int_equal(walk_count(f, &c2, &blob, &found), 4);
  assert_true(found);
}

/* A pin over an identity node whose child is not stored is incomplete, as
 * over any other node. */
static void test_pin_through_identity_sees_missing(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t absent = raw_block(NULL, 500, 40);
  dag_cid_t id = cbor_node(NULL, DAG_MH_IDENTITY, &absent, 1);
  dag_cid_t top = cbor_node(t, DAG_MH_SHA2_256, &id, 1);
  dag_cid_t missing;
  assert_int_equal(bs_pin_add(t, &id, BS_PIN_RECURSIVE, NULL, &missing),
                   TR_EINCOMPLETE);
  assert_true(dag_cid_equal(&missing, &absent));
  assert_int_equal(bs_pin_add(t, &top, BS_PIN_RECURSIVE, NULL, &missing),
                   TR_EINCOMPLETE);
  assert_true(dag_cid_equal(&missing, &absent));
  /* A link to an identity node that does not parse: no children, and
   * nothing breaks (its bytes are what they are). */
  static const uint8_t junk[] = {0xff, 0x00};
  dag_cid_t bad;
  assert_int_equal(dag_cid_sum(&bad, 1, DAG_CODEC_DAG_CBOR, DAG_MH_IDENTITY,
                               junk, sizeof junk),
                   0);
  int n = 0;
  assert_int_equal(bs_links(t, &bad, count_cb, &n), 0);
  assert_int_equal(n, 0);
  /* A DAG through it pins, and GC goes on (it takes it for a leaf). */
  dag_cid_t over_bad = cbor_node(t, DAG_MH_SHA2_256, &bad, 1);
  assert_int_equal(
      bs_pin_add(t, &over_bad, BS_PIN_RECURSIVE, NULL, &missing), 0);
  assert_int_equal(bs_pin_add(t, &bad, BS_PIN_RECURSIVE, NULL, &missing), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(has(f, &over_bad), 1);
  assert_int_equal(has(f, &top), 0); /* not pinned: the pin above failed */
}

/* DAG-JSON that trove's decoder refuses is stored (as before schema 4:
 * Kubo's decoder may take it), with no links, and pins like a leaf;
 * dag-cbor that does not parse is still refused. */
static void test_unparsable_json_stored_linkless(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  static const char junk[] = "{\"l\": not json";
  dag_cid_t j, c;
  assert_int_equal(dag_cid_sum(&j, 1, DAG_CODEC_DAG_JSON, DAG_MH_SHA2_256,
                               junk, sizeof junk - 1),
                   0);
  assert_int_equal(bs_put(t, &j, (const uint8_t *)junk, sizeof junk - 1), 0);
  assert_int_equal(bs_has(t, &j), 1);
  int n = 0;
  assert_int_equal(bs_links(t, &j, count_cb, &n), 0);
  assert_int_equal(n, 0);
  dag_cid_t missing;
  assert_int_equal(bs_pin_add(t, &j, BS_PIN_RECURSIVE, NULL, &missing), 0);
  static const uint8_t bad[] = {0x82, 0x01}; /* a list one item short */
  assert_int_equal(dag_cid_sum(&c, 1, DAG_CODEC_DAG_CBOR, DAG_MH_SHA2_256,
                               bad, sizeof bad),
                   0);
  assert_int_equal(bs_put(t, &c, bad, sizeof bad), TR_ECBOR);
  assert_int_equal(bs_has(t, &c), 0);
  assert_int_equal(bs_txn_commit(t), 0);
}

/* ------------------------------------------- schema 3, 4 -> 5 */

static MDB_env *raw_open(fx_t *f, unsigned flags) {
  MDB_env *e;
  assert_int_equal(mdb_env_create(&e), 0);
  assert_int_equal(mdb_env_set_maxdbs(e, 8), 0);
  assert_int_equal(mdb_env_set_mapsize(e, 1ull << 30), 0);
  assert_int_equal(mdb_env_open(e, f->dir, flags, 0600), 0);
  return e;
}

static uint32_t schema_of(fx_t *f) { return bs_fixture_schema(f->dir); }

/* Close f's repo and make it look as schema ver left it: the links entries
 * of the n blocks in late gone (dag-json and dag-jose blocks for 3,
 * dag-jose for 4). */
static void make_schema(fx_t *f, uint32_t ver, const dag_cid_t *late,
                        size_t n) {
  bs_close(f->env);
  f->env = NULL;
  MDB_env *e = raw_open(f, 0);
  MDB_txn *t;
  MDB_dbi meta, links;
  assert_int_equal(mdb_txn_begin(e, NULL, 0, &t), 0);
  assert_int_equal(mdb_dbi_open(t, "meta", 0, &meta), 0);
  assert_int_equal(mdb_dbi_open(t, "links", 0, &links), 0);
  for (size_t i = 0; i < n; i++) {
    size_t ml;
    const uint8_t *mh = dag_cid_mh(&late[i], &ml);
    MDB_val k = {ml, (void *)mh};
    assert_int_equal(mdb_del(t, links, &k, NULL), 0);
  }
  MDB_val sk = {6, "schema"}, sv = {sizeof ver, &ver};
  assert_int_equal(mdb_put(t, meta, &sk, &sv, 0), 0);
  assert_int_equal(mdb_txn_commit(t), 0);
  mdb_env_close(e);
}

static void test_schema3_upgrade_indexes_json_links(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t kid[3];
  for (int i = 0; i < 3; i++)
    kid[i] = raw_block(t, 600 + (uint32_t)i, 40);
  /* A dag-json node under another (the second is found only once the
   * first is indexed), one reached through an identity node, and one
   * that no pin reaches (left as it is). */
  dag_cid_t inner = json_node(t, &kid[0]);
  dag_cid_t outer = json_node(t, &inner);
  dag_cid_t j1 = json_node(t, &kid[1]);
  dag_cid_t id = cbor_node(NULL, DAG_MH_IDENTITY, &j1, 1);
  dag_cid_t stray = json_node(t, &kid[2]);
  dag_cid_t missing;
  assert_int_equal(bs_pin_add(t, &outer, BS_PIN_RECURSIVE, NULL, &missing), 0);
  assert_int_equal(bs_pin_add(t, &id, BS_PIN_RECURSIVE, NULL, &missing), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  dag_cid_t json[] = {inner, outer, j1, stray};
  make_schema(f, 3, json, 4);
  assert_int_equal(schema_of(f), 3);

  /* Read-only: opened as it is. */
  bs_env_t *ro;
  assert_int_equal(bs_open(&ro, f->dir, BS_RDONLY), 0);
  bs_close(ro);
  assert_int_equal(schema_of(f), 3);

  assert_int_equal(bs_open(&f->env, f->dir, 0), 0);
  assert_int_equal(schema_of(f), 5);
  int n = 0;
  t = rtxn(f);
  for (int i = 0; i < 3; i++) {
    n = 0;
    assert_int_equal(bs_links(t, &json[i], count_cb, &n), 0);
    assert_int_equal(n, 1);
  }
  n = 0;
  assert_int_equal(bs_links(t, &stray, count_cb, &n), 0);
  assert_int_equal(n, 0); /* no pin reaches it: garbage, left alone */
  bs_txn_abort(t);
  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(st.removed, 2); /* stray and kid[2] */
  assert_int_equal(has(f, &kid[0]), 1);
  assert_int_equal(has(f, &kid[1]), 1);
  assert_int_equal(has(f, &kid[2]), 0);

  /* Opened again: nothing to do. */
  bs_close(f->env);
  assert_int_equal(bs_open(&f->env, f->dir, 0), 0);
  assert_int_equal(schema_of(f), 5);
}

/* Schema 4 indexed dag-json but not dag-jose: a JWS a pin reaches only
 * through another is indexed, and what it links to survives GC. */
static void test_schema4_upgrade_indexes_jose_links(void **state) {
  fx_t *f = *state;
  bs_txn_t *t = wtxn(f);
  dag_cid_t kid[3];
  for (int i = 0; i < 3; i++)
    kid[i] = raw_block(t, 800 + (uint32_t)i, 40);
  dag_cid_t inner = jose_jws(t, &kid[0], NULL);
  dag_cid_t outer = jose_jws(t, &inner, NULL);
  dag_cid_t j1 = json_node(t, &kid[1]); /* indexed at 4 already */
  dag_cid_t top = cbor_node(t, DAG_MH_SHA2_256, &j1, 1);
  dag_cid_t stray = jose_jws(t, &kid[2], NULL);
  dag_cid_t missing;
  assert_int_equal(bs_pin_add(t, &outer, BS_PIN_RECURSIVE, NULL, &missing), 0);
  assert_int_equal(bs_pin_add(t, &top, BS_PIN_RECURSIVE, NULL, &missing), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  dag_cid_t jose[] = {inner, outer, stray};
  make_schema(f, 4, jose, 3);
  assert_int_equal(schema_of(f), 4);
  assert_int_equal(bs_open(&f->env, f->dir, 0), 0);
  assert_int_equal(schema_of(f), 5);
  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(st.removed, 2); /* stray and kid[2] */
  assert_int_equal(has(f, &kid[0]), 1);
  assert_int_equal(has(f, &kid[1]), 1);
  assert_int_equal(has(f, &inner), 1);
  assert_int_equal(has(f, &kid[2]), 0);
}

/* A repo of a newer schema than this trove knows is refused. */
static void test_newer_schema_refused(void **state) {
  fx_t *f = *state;
  bs_close(f->env);
  f->env = NULL;
  MDB_env *e = raw_open(f, 0);
  MDB_txn *t;
  MDB_dbi meta;
  assert_int_equal(mdb_txn_begin(e, NULL, 0, &t), 0);
  assert_int_equal(mdb_dbi_open(t, "meta", 0, &meta), 0);
  uint32_t five = BS_SCHEMA_VERSION + 1;
  MDB_val sk = {6, "schema"}, sv = {sizeof five, &five};
  assert_int_equal(mdb_put(t, meta, &sk, &sv, 0), 0);
  assert_int_equal(mdb_txn_commit(t), 0);
  mdb_env_close(e);
  assert_int_equal(bs_open(&f->env, f->dir, 0), TR_ESCHEMA);
  assert_null(f->env);
  /* Put it back for the tear-down. */
  e = raw_open(f, 0);
  assert_int_equal(mdb_txn_begin(e, NULL, 0, &t), 0);
  assert_int_equal(mdb_dbi_open(t, "meta", 0, &meta), 0);
  five = BS_SCHEMA_VERSION;
  assert_int_equal(mdb_put(t, meta, &sk, &sv, 0), 0);
  assert_int_equal(mdb_txn_commit(t), 0);
  mdb_env_close(e);
  assert_int_equal(bs_open(&f->env, f->dir, 0), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      bs_fixture_test(test_gc_keeps_what_identity_and_json_nodes_link_to),
      bs_fixture_test(test_gc_keeps_what_jose_links_to),
      bs_fixture_test(test_gc_keeps_a_git_history),
      bs_fixture_test(test_pin_through_identity_sees_missing),
      bs_fixture_test(test_unparsable_json_stored_linkless),
      bs_fixture_test(test_schema3_upgrade_indexes_json_links),
      bs_fixture_test(test_schema4_upgrade_indexes_jose_links),
      bs_fixture_test(test_newer_schema_refused),
  };
  return cmocka_run_group_tests_name("bs_links", tests, NULL, NULL);
}

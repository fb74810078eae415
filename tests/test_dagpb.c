/*
 * test_dagpb.c — the dag-pb codec against ipld/codec-fixtures and the
 * dag-pb spec's strictness rules (ipld/ipld specs/codecs/dag-pb/spec.md,
 * "Protobuf Strictness").
 *
 * Fixtures (tests/vectors/codec-fixtures/dagpb_*): each directory holds a
 * block as <cid>.dag-pb and the same data model as dag-json.  For each one
 * the CID of the bytes must be the file name, decoding must give the links
 * and data the dag-json spells out, re-encoding the decoded node and encoding
 * the dag-json's node must both give the exact bytes.  The negative fixtures
 * (negative-fixtures/dag-pb/decode/edges.json) must fail with TR_EDAGPB.
 *
 * Strictness: besides the spec's rules (link fields in order, no
 * duplicates, no unknown fields or wire types) trove refuses non-minimal
 * varints.  Data before Links is read, as the spec says decoders SHOULD
 * ("IPFS data exists in both forms") and js @ipld/dag-pb does, and flagged
 * as not canonical (test_legacy_data_first).
 *
 * Run from the repository root: vector paths are relative to it.
 */
#include "testutil.h"

#include "../dag/dagpb.h"

#include <jansson.h>

/* ------------------------------------------------------------ helpers */

typedef struct links {
  dag_pb_link_t l[64];
  size_t n;
  size_t calls;
} links_t;

static int collect_cb(const dag_pb_link_t *lk, size_t index, void *ud) {
  links_t *ls = ud;
  assert_int_equal(index, ls->calls);
  ls->calls++;
  if (ls->n < TR_ARRAY_LEN(ls->l))
    ls->l[ls->n++] = *lk;
  return 0;
}

/* Decode from a heap copy of exactly len bytes (ASan sees overreads).  The
 * copy stays alive (*keep) because links and data point into it. */
static int decode_exact(const uint8_t *in, size_t len, links_t *ls,
                        dag_pb_node_t *node, uint8_t **keep) {
  uint8_t *copy = malloc(len ? len : 1);
  if (len)
    memcpy(copy, in, len);
  memset(ls, 0, sizeof *ls);
  int rc = dag_pb_decode(len ? copy : NULL, len, collect_cb, ls, node);
  if (keep)
    *keep = copy;
  else
    free(copy);
  return rc;
}

/* Encode the decoded node again; it must be byte-identical. */
static void assert_reencodes(const uint8_t *in, size_t len, const links_t *ls,
                             const dag_pb_node_t *node) {
  assert_int_equal(ls->n, node->nlinks);
  size_t sz = dag_pb_encoded_size(ls->l, ls->n, node->data, node->data_len,
                                  node->has_data);
  assert_int_equal(sz, len);
  size_t parts = node->has_data ? 1 + dag_varint_size(node->data_len) +
                                      node->data_len
                                : 0;
  for (size_t i = 0; i < ls->n; i++)
    parts += dag_pb_link_size(&ls->l[i]);
  assert_int_equal(parts, len);
  uint8_t *out = malloc(len ? len : 1);
  int rc = dag_pb_encode(ls->l, ls->n, node->data, node->data_len,
                         node->has_data, out, len);
  assert_int_equal(rc, (int)len);
  if (node->canonical)
    assert_memory_equal(out, in, len);
  else { /* Data came first: the canonical order has the same size */
    dag_pb_node_t again;
    assert_int_equal(dag_pb_decode(out, len, NULL, NULL, &again), 0);
    assert_true(again.canonical);
  }
  free(out);
}

/* --------------------------------------------------- codec-fixtures */

/* Compare the decoded node with the dag-json form and build the links from
 * the dag-json alone, for an encoder check independent of the decoder. */
static void check_against_json(const char *jpath, const links_t *ls,
                               const dag_pb_node_t *node, const uint8_t *bytes,
                               size_t len) {
  json_error_t jerr;
  json_t *root = json_load_file(jpath, 0, &jerr);
  if (!root)
    fail_msg("%s: %s", jpath, jerr.text);
  json_t *jlinks = json_object_get(root, "Links");
  assert_true(json_is_array(jlinks));
  assert_int_equal(json_array_size(jlinks), node->nlinks);
  static links_t built;
  memset(&built, 0, sizeof built);
  for (size_t i = 0; i < json_array_size(jlinks); i++) {
    json_t *jl = json_array_get(jlinks, i);
    const char *cs =
        json_string_value(json_object_get(json_object_get(jl, "Hash"), "/"));
    assert_non_null(cs);
    dag_pb_link_t *b = &built.l[built.n++];
    assert_int_equal(dag_cid_parse(&b->cid, cs, strlen(cs)), 0);
    const dag_pb_link_t *got = &ls->l[i];
    char buf[DAG_CID_STR_MAX];
    assert_string_equal(dag_cid_str(&got->cid, buf), cs);
    assert_true(dag_cid_equal(&got->cid, &b->cid));
    json_t *jn = json_object_get(jl, "Name");
    assert_int_equal(got->has_name, jn != NULL);
    if (jn) {
      b->has_name = true;
      b->name = json_string_value(jn);
      b->name_len = json_string_length(jn);
      assert_int_equal(got->name_len, b->name_len);
      assert_memory_equal(got->name, b->name, b->name_len);
    }
    json_t *jt = json_object_get(jl, "Tsize");
    assert_int_equal(got->has_tsize, jt != NULL);
    if (jt) {
      b->has_tsize = true;
      b->tsize = (uint64_t)json_integer_value(jt);
      assert_true(got->tsize == b->tsize);
    }
  }
  json_t *jd = json_object_get(root, "Data");
  assert_int_equal(node->has_data, jd != NULL);
  uint8_t data[1024];
  size_t dlen = 0;
  if (jd) {
    /* {"/": {"bytes": base64 without padding}}: multibase 'm'. */
    const char *b64 =
        json_string_value(json_object_get(json_object_get(jd, "/"), "bytes"));
    assert_non_null(b64);
    char mb[1400];
    snprintf(mb, sizeof mb, "m%s", b64);
    assert_int_equal(dag_mb_decode(mb, strlen(mb), data, sizeof data, &dlen,
                                   NULL),
                     0);
    assert_int_equal(node->data_len, dlen);
    assert_memory_equal(node->data, data, dlen);
  }
  uint8_t out[2048];
  int rc = dag_pb_encode(built.l, built.n, data, dlen, jd != NULL, out,
                         sizeof out);
  assert_int_equal(rc, (int)len);
  assert_memory_equal(out, bytes, len);
  json_decref(root);
}

/* Every prefix and every one-byte change of a valid block: never a crash,
 * only TR_EDAGPB/TR_ETRUNC, and whatever is accepted re-encodes to itself
 * (or, when Data came first, to the canonical order). */
static void mutate(const uint8_t *in, size_t len) {
  uint8_t *m = malloc(len + 1);
  links_t ls;
  dag_pb_node_t node;
  for (size_t cut = 0; cut < len; cut++) {
    uint8_t *keep;
    int rc = decode_exact(in, cut, &ls, &node, &keep);
    if (rc == 0)
      assert_reencodes(keep, cut, &ls, &node);
    else
      assert_true(rc == TR_EDAGPB || rc == TR_ETRUNC);
    free(keep);
  }
  for (size_t i = 0; i < len; i++) {
    memcpy(m, in, len);
    for (int v = 0; v < 256; v += (len > 100 ? 17 : 1)) {
      m[i] = (uint8_t)v;
      uint8_t *keep;
      int rc = decode_exact(m, len, &ls, &node, &keep);
      if (rc == 0 && ls.n == node.nlinks)
        assert_reencodes(keep, len, &ls, &node);
      else if (rc != 0)
        assert_true(rc == TR_EDAGPB || rc == TR_ETRUNC);
      free(keep);
    }
  }
  free(m);
}

static void fixture_cb(const codec_fixture_t *f, void *ud) {
  if (strncmp(f->name, "dagpb_", 6))
    return;
  assert_true(f->pb[0] && f->json[0]);
  size_t len;
  uint8_t *bytes = slurp(f->pb, &len);
  /* The file name is the CIDv1 (dag-pb, sha2-256) of the bytes. */
  dag_cid_t cid;
  char s[DAG_CID_STR_MAX];
  assert_int_equal(
      dag_cid_sum(&cid, 1, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256, bytes, len), 0);
  if (strcmp(dag_cid_str(&cid, s), f->pb_cid))
    fail_msg("%s: CID %s, file name says %s", f->name, s, f->pb_cid);
  assert_int_equal(dag_cid_verify(&cid, bytes, len), 0);
  links_t ls;
  dag_pb_node_t node;
  uint8_t *keep;
  int rc = decode_exact(bytes, len, &ls, &node, &keep);
  if (rc != 0)
    fail_msg("%s: decode gave %d (%s)", f->name, rc, tr_errname(rc));
  assert_int_equal(ls.calls, node.nlinks);
  assert_reencodes(keep, len, &ls, &node);
  check_against_json(f->json, &ls, &node, bytes, len);
  free(keep);
  mutate(bytes, len);
  free(bytes);
  (*(int *)ud)++;
}

static void test_codec_fixtures(void **state) {
  (void)state;
  int nfix = 0;
  codec_fixtures_each(fixture_cb, &nfix);
  assert_int_equal(nfix, 17);
}

static void test_negative_fixtures(void **state) {
  (void)state;
  json_error_t jerr;
  json_t *root =
      json_load_file(CODEC_FIX_DIR "negative/dag-pb-decode-edges.json", 0,
                     &jerr);
  if (!root)
    fail_msg("edges.json: %s", jerr.text);
  assert_true(json_array_size(root) >= 9);
  for (size_t i = 0; i < json_array_size(root); i++) {
    json_t *c = json_array_get(root, i);
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *hex = json_string_value(json_object_get(c, "hex"));
    uint8_t in[256];
    size_t len = unhex(hex, in, sizeof in);
    links_t ls;
    dag_pb_node_t node;
    int rc = decode_exact(in, len, &ls, &node, NULL);
    if (rc != TR_EDAGPB)
      fail_msg("negative fixture \"%s\": got %d (%s)", name, rc,
               tr_errname(rc));
  }
  json_decref(root);
}

/* --------------------------------------------------------- strictness */

/* A CIDv0 (34 bytes) and a PBLink body holding just it (36 bytes). */
#define V0 "1220aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH "0a22" V0

typedef struct pb_case {
  const char *hex;
  int want;
  const char *why;
} pb_case_t;

static const pb_case_t cases[] = {
    {"", 0, "empty node"},
    {"1224" HASH, 0, "one link, hash only"},
    {"0a00", 0, "empty Data"},
    {"1224" HASH "0a00", 0, "link then Data"},
    {"120b0a09015500050001020304", 0, "CIDv1 identity hash"},
    {"122e" HASH "18ffffffffffffffff7f", 0, "Tsize 2^63-1"},
    /* Link fields out of order, repeated, unknown, or of the wrong type. */
    {"1226" "1200" HASH, TR_EDAGPB, "Name before Hash"},
    {"1226" "1801" HASH, TR_EDAGPB, "Tsize before Hash"},
    {"1228" HASH "1801" "1200", TR_EDAGPB, "Tsize before Name"},
    {"1248" HASH HASH, TR_EDAGPB, "Hash twice"},
    {"1228" HASH "1200" "1200", TR_EDAGPB, "Name twice"},
    {"1228" HASH "1801" "1801", TR_EDAGPB, "Tsize twice"},
    {"1226" HASH "2001", TR_EDAGPB, "unknown link field 4"},
    {"1226" HASH "0000", TR_EDAGPB, "link field 0"},
    {"1202" "0801", TR_EDAGPB, "Hash as varint"},
    {"1209" "090000000000000000", TR_EDAGPB, "Hash as fixed64"},
    {"1226" HASH "1000", TR_EDAGPB, "Name as varint"},
    {"1227" HASH "1a0100", TR_EDAGPB, "Tsize as bytes"},
    {"1229" HASH "1d00000000", TR_EDAGPB, "Tsize as fixed32"},
    {"1227" HASH "188000", TR_EDAGPB, "Tsize non-minimal"},
    {"1225" HASH "18", TR_EDAGPB, "Tsize missing"},
    {"122f" HASH "18ffffffffffffffffff01", TR_EDAGPB, "Tsize over 9 bytes"},
    {"1225" HASH "12", TR_EDAGPB, "Name length missing"},
    /* Hash that is not exactly one CID. */
    {"1205" "0a03010203", TR_EDAGPB, "Hash not a CID"},
    {"1225" "0a23" V0 "00", TR_EDAGPB, "Hash with a trailing byte"},
    {"1223" "0a21" "1220aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     TR_EDAGPB, "Hash one byte short"},
    {"1224" "0a23" V0, TR_EDAGPB, "Hash length past the link"},
    {"1226" "0a24" "0070" V0, TR_EDAGPB, "Hash with CID version 0"},
    /* The node: repeated, unknown, misplaced or mistyped fields. */
    {"0a000a00", TR_EDAGPB, "Data twice"},
    {"0801", TR_EDAGPB, "Data as varint"},
    {"1001", TR_EDAGPB, "Links as varint"},
    {"090000000000000000", TR_EDAGPB, "wire type 1"},
    {"0b", TR_EDAGPB, "wire type 3 (start group)"},
    {"0c", TR_EDAGPB, "wire type 4 (end group)"},
    {"0d00000000", TR_EDAGPB, "wire type 5"},
    {"0e00", TR_EDAGPB, "wire type 6"},
    {"1a00", TR_EDAGPB, "unknown node field 3"},
    {"0200", TR_EDAGPB, "node field 0"},
    {"8a808080800100", TR_EDAGPB, "node field 2^32+1"},
    /* Varints and lengths. */
    {"8a0000", TR_EDAGPB, "non-minimal tag"},
    {"0a8000", TR_EDAGPB, "non-minimal Data length"},
    {"12a400" HASH, TR_EDAGPB, "non-minimal Links length"},
    {"8a", TR_EDAGPB, "tag truncated"},
    {"0a", TR_ETRUNC, "Data length missing"},
    {"0a050000", TR_ETRUNC, "Data shorter than its length"},
    {"0affffffffffffffff7f", TR_ETRUNC, "Data length 2^63-1"},
    {"0affffffffffffffffff01", TR_EDAGPB, "Data length over 9 bytes"},
    {"12ffffffffffffffff7f" HASH, TR_ETRUNC, "Links length 2^63-1"},
    {"1225" HASH, TR_ETRUNC, "link longer than the node"},
};

static void test_strictness(void **state) {
  (void)state;
  for (size_t i = 0; i < TR_ARRAY_LEN(cases); i++) {
    uint8_t in[256];
    size_t len = unhex(cases[i].hex, in, sizeof in);
    links_t ls;
    dag_pb_node_t node;
    uint8_t *keep;
    int rc = decode_exact(in, len, &ls, &node, &keep);
    if (rc != cases[i].want)
      fail_msg("%s (%s): got %d (%s), want %s", cases[i].why, cases[i].hex, rc,
               tr_errname(rc), tr_errname(cases[i].want));
    if (rc == 0)
      assert_reencodes(keep, len, &ls, &node);
    free(keep);
  }
}

/* Data before Links: read (the spec's SHOULD), flagged not canonical, and
 * re-encoded in the canonical order. */
static int one_link(const dag_pb_link_t *l, size_t i, void *ud) {
  (void)i;
  *(dag_pb_link_t *)ud = *l;
  return 0;
}

static void test_legacy_data_first(void **state) {
  (void)state;
  uint8_t in[128], out[128], want[128];
  size_t len = unhex("0a020801" "1224" HASH, in, sizeof in);
  size_t wlen = unhex("1224" HASH "0a020801", want, sizeof want);
  dag_pb_link_t lk;
  dag_pb_node_t node;
  assert_int_equal(dag_pb_decode(in, len, one_link, &lk, &node), 0);
  assert_int_equal(node.nlinks, 1);
  assert_true(node.has_data);
  assert_false(node.canonical);
  assert_int_equal(node.data_len, 2);
  assert_memory_equal(node.data, "\x08\x01", 2);
  int n = dag_pb_encode(&lk, 1, node.data, node.data_len, true, out, sizeof out);
  assert_int_equal(n, (int)wlen);
  assert_memory_equal(out, want, wlen);
  assert_int_equal(dag_pb_decode(out, wlen, NULL, NULL, &node), 0);
  assert_true(node.canonical);
  /* Data twice is still refused, and so are links on both sides of Data
   * (codec-fixtures: "duplicate Links section"). */
  len = unhex("0a00" "1224" HASH "0a00", in, sizeof in);
  assert_int_equal(dag_pb_decode(in, len, NULL, NULL, &node), TR_EDAGPB);
  len = unhex("1224" HASH "0a00" "1224" HASH, in, sizeof in);
  assert_int_equal(dag_pb_decode(in, len, NULL, NULL, &node), TR_EDAGPB);
}

/* Regression: decode_link() truncated the protobuf field number to int, so a
 * tag for field 2^32+1 (or +2, +3) was read as field 1 (2, 3).  The block
 * was accepted and re-encoded to different bytes: a non-canonical form with
 * the same links, hence two CIDs for one node.  Found by review while writing
 * fuzz_dagpb's round-trip property. */
static void test_regression_link_field_number_truncated(void **state) {
  (void)state;
  const char *hex[] = {
      "1229" "8a8080808001" "22" V0,            /* Hash as field 2^32+1 */
      "122b" HASH "928080808001" "00",          /* Name as field 2^32+2 */
      "122b" HASH "988080808001" "01",          /* Tsize as field 2^32+3 */
      "122c" "8a80808080808080" "01" "22" V0,   /* field 2^53+1 */
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(hex); i++) {
    uint8_t in[128];
    size_t len = unhex(hex[i], in, sizeof in);
    links_t ls;
    dag_pb_node_t node;
    int rc = decode_exact(in, len, &ls, &node, NULL);
    if (rc != TR_EDAGPB)
      fail_msg("case %zu: got %d (%s), want EDAGPB", i, rc, tr_errname(rc));
  }
}

/* ---------------------------------------------------------- callback */

typedef struct stop_at {
  size_t at, calls;
  int ret;
} stop_at_t;

static int stop_cb(const dag_pb_link_t *lk, size_t index, void *ud) {
  (void)lk;
  stop_at_t *s = ud;
  assert_int_equal(index, s->calls);
  s->calls++;
  return index == s->at ? s->ret : 0;
}

static void test_callback(void **state) {
  (void)state;
  uint8_t in[256];
  size_t len = unhex("1224" HASH "1224" HASH "1224" HASH "0a0101", in,
                     sizeof in);
  dag_pb_node_t node;
  assert_int_equal(dag_pb_decode(in, len, NULL, NULL, &node), 0);
  assert_int_equal(node.nlinks, 3);
  assert_true(node.has_data);
  assert_int_equal(node.data_len, 1);
  assert_ptr_equal(node.data, in + len - 1);
  /* A non-zero return stops decoding and is handed back unchanged, even a
   * positive one or one that looks like a trove error. */
  const int rets[] = {1, -5, TR_EDAGPB, 12345};
  for (size_t i = 0; i < TR_ARRAY_LEN(rets); i++) {
    stop_at_t s = {1, 0, rets[i]};
    assert_int_equal(dag_pb_decode(in, len, stop_cb, &s, &node), rets[i]);
    assert_int_equal(s.calls, 2);
  }
  /* A node without Data reports it as absent, not empty. */
  len = unhex("1224" HASH, in, sizeof in);
  assert_int_equal(dag_pb_decode(in, len, NULL, NULL, &node), 0);
  assert_false(node.has_data);
  assert_null(node.data);
  assert_int_equal(node.data_len, 0);
  assert_int_equal(dag_pb_decode(NULL, 0, NULL, NULL, &node), 0);
  assert_int_equal(node.nlinks, 0);
  assert_false(node.has_data);
}

/* ------------------------------------------------------------ encoder */

static void test_encode_buffer(void **state) {
  (void)state;
  dag_pb_link_t lk[2];
  memset(lk, 0, sizeof lk);
  assert_int_equal(dag_cid_sum(&lk[0].cid, 0, DAG_CODEC_DAG_PB,
                               DAG_MH_SHA2_256, "a", 1),
                   0);
  lk[0].name = "a";
  lk[0].name_len = 1;
  lk[0].has_name = true;
  lk[0].tsize = 300;
  lk[0].has_tsize = true;
  assert_int_equal(dag_cid_sum(&lk[1].cid, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256,
                               "b", 1),
                   0);
  lk[1].has_name = true; /* empty Name: still written (spec, js, Kubo) */
  const uint8_t data[] = {8, 1};
  size_t sz = dag_pb_encoded_size(lk, 2, data, 2, true);
  assert_int_equal(sz, (2 + 36 + 3 + 3) + (2 + 38 + 2) + 4);
  uint8_t *out = malloc(sz);
  for (size_t small = 0; small < sz; small++)
    assert_int_equal(dag_pb_encode(lk, 2, data, 2, true, out, small),
                     TR_EBUFSIZE);
  assert_int_equal(dag_pb_encode(lk, 2, data, 2, true, out, sz), (int)sz);
  links_t ls;
  dag_pb_node_t node;
  uint8_t *keep;
  assert_int_equal(decode_exact(out, sz, &ls, &node, &keep), 0);
  assert_int_equal(ls.n, 2);
  assert_true(ls.l[0].has_name && ls.l[0].name_len == 1 &&
              ls.l[0].tsize == 300);
  assert_true(ls.l[1].has_name && ls.l[1].name_len == 0 &&
              !ls.l[1].has_tsize);
  assert_true(dag_cid_equal(&ls.l[1].cid, &lk[1].cid));
  free(keep);
  free(out);
  /* Empty node: zero bytes; empty Data: 0a 00. */
  uint8_t two[2];
  assert_int_equal(dag_pb_encoded_size(NULL, 0, NULL, 0, false), 0);
  assert_int_equal(dag_pb_encode(NULL, 0, NULL, 0, false, two, 0), 0);
  assert_int_equal(dag_pb_encode(NULL, 0, NULL, 0, true, two, 2), 2);
  assert_memory_equal(two, "\x0a\x00", 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_codec_fixtures),
      cmocka_unit_test(test_negative_fixtures),
      cmocka_unit_test(test_strictness),
      cmocka_unit_test(test_legacy_data_first),
      cmocka_unit_test(test_regression_link_field_number_truncated),
      cmocka_unit_test(test_callback),
      cmocka_unit_test(test_encode_buffer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

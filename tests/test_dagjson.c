/*
 * test_dagjson.c — dag/dagjson.h: the strict JSON validator, pathing inside
 * DAG-JSON and DAG-CBOR blocks, and the DAG-CBOR to DAG-JSON renderer the
 * gateway's HTML preview uses.
 *
 * Renderer: every ipld/codec-fixtures DAG-CBOR block renders to text the
 * validator accepts and that means the same as the fixture's own DAG-JSON
 * twin (both parsed with jansson and compared as values, since the
 * renderer keeps CBOR's key order).  Every twin is valid JSON too.
 *
 * Depth: the deepest DAG-CBOR block the strict profile allows, holding
 * bytes or a link, renders to valid DAG-JSON (the CI fuzz crash of
 * 2026-12-05: bytes at CBOR depth 64 nest two levels deeper in JSON, and
 * the validator refused them).  One level more is refused by each side.
 *
 * Validator: RFC 8259's grammar, case by case, in both directions.
 *
 * Run from the repository root: vector paths are relative to it.
 */
#include "testutil.h"

#include "../dag/dagjson.h"

#include <jansson.h>

#define LINK_HEX                                                               \
  "d82a58230012200000000000000000000000000000000000000000000000000000000000" \
  "000000"

/* Validate a heap copy of exactly len bytes (ASan sees overreads). */
static bool valid_exact(const void *in, size_t len) {
  uint8_t *copy = malloc(len ? len : 1);
  memcpy(copy, in, len);
  bool ok = dag_json_valid(copy, len);
  free(copy);
  return ok;
}

static int render_exact(const uint8_t *in, size_t len, tr_bytes_t *out) {
  uint8_t *copy = malloc(len ? len : 1);
  memcpy(copy, in, len);
  int rc = dag_cbor_to_json(copy, len, out);
  free(copy);
  return rc;
}

/* ------------------------------------------------------- validator */

static void test_valid(void **state) {
  (void)state;
  static const char *const good[] = {
      "0", "-0", "1.5", "-1.5e10", "1E+2", "1e-2", "\"\"", "\"a\\u00e9\\n\"",
      "true", "false", "null", " [ ] ", "{}", "[1,2,[3,{\"a\":null}]]",
      "{\"a\":1,\"b\":[true,false]}", "\t\r\n\"x\"\n", "123456789012345678901",
  };
  static const char *const bad[] = {
      "", " ", "01", "1.", ".5", "-", "1e", "1e+", "+1", "[1,]", "[,1]",
      "{\"a\":1,}", "{\"a\"}", "{a:1}", "[1 2]", "\"abc", "\"\\x\"",
      "\"\\u12\"", "\"a\x01\"", "tru", "nul", "True", "[1]]", "1 2", "{}{}",
      "[", "{\"a\":", "'a'", "NaN", "Infinity", "0x10",
  };
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    if (!valid_exact(good[i], strlen(good[i])))
      fail_msg("refused valid JSON: %s", good[i]);
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (valid_exact(bad[i], strlen(bad[i])))
      fail_msg("accepted invalid JSON: %s", bad[i]);
}

/* --------------------------------------------------------- fixtures */

/* codec_cbor_fixtures_each's callback: one fixture's dag-cbor block; ud
 * counts the blocks compared with their DAG-JSON twin. */
static void check_fixture(const codec_fixture_t *f, const uint8_t *in,
                          size_t len, void *ud) {
  int *ncompared = ud;
  const char *name = f->name, *json_path = f->json;
  tr_bytes_t out = {0};
  int rc = render_exact(in, len, &out);
  if (rc)
    fail_msg("%s: dag_cbor_to_json gave %d (%s)", name, rc, tr_errname(rc));
  if (!valid_exact(out.data, out.len))
    fail_msg("%s: rendered text is not valid JSON: %.*s", name,
             (int)out.len, (const char *)out.data);
  if (json_path[0]) {
    size_t jlen;
    uint8_t *twin = slurp(json_path, &jlen);
    if (!valid_exact(twin, jlen))
      fail_msg("%s: the fixture's DAG-JSON refused", name);
    const size_t fl =
        JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL | JSON_DECODE_ANY;
    json_error_t jerr;
    json_t *want = json_loadb((const char *)twin, jlen, fl, &jerr);
    if (!want)
      fail_msg("%s: jansson refused the fixture's DAG-JSON: %s", name,
               jerr.text);
    json_t *got = json_loadb((const char *)out.data, out.len, fl, &jerr);
    if (!got)
      fail_msg("%s: jansson refused the rendered text: %s", name, jerr.text);
    if (!json_equal(want, got))
      fail_msg("%s: rendered %.*s, fixture has %.*s", name, (int)out.len,
               (const char *)out.data, (int)jlen, (const char *)twin);
    (*ncompared)++;
    json_decref(want);
    json_decref(got);
    free(twin);
  }
  /* Every strict prefix is an error, not text. */
  for (size_t cut = 0; cut < len; cut++) {
    tr_bytes_t part = {0};
    assert_int_equal(render_exact(in, cut, &part), TR_ECBOR);
    tr_bytes_free(&part);
  }
  tr_bytes_free(&out);
}

static void test_codec_fixtures(void **state) {
  (void)state;
  int ncompared = 0;
  /* The fixtures hold 125 DAG-CBOR blocks, each with its twin. */
  assert_int_equal(codec_cbor_fixtures_each(check_fixture, &ncompared), 125);
  assert_int_equal(ncompared, 125);
}

/* ------------------------------------------------------------ depth */

/* k arrays of one item around leaf: 0x81 ... leaf. */
static size_t nest_cbor(uint8_t *buf, int k, const uint8_t *leaf,
                        size_t llen) {
  memset(buf, 0x81, (size_t)k);
  memcpy(buf + k, leaf, llen);
  return (size_t)k + llen;
}

static void test_depth(void **state) {
  (void)state;
  uint8_t buf[256], link[64];
  size_t llen = unhex(LINK_HEX, link, sizeof link);
  static const uint8_t bytes[] = {0x43, 'a', 'b', 'c'};
  static const uint8_t zero[] = {0x00};
  struct {
    const uint8_t *leaf;
    size_t len;
  } leaves[] = {{bytes, sizeof bytes}, {link, llen}, {zero, sizeof zero}};
  for (size_t i = 0; i < sizeof leaves / sizeof *leaves; i++) {
    for (int k = DAG_CBOR_MAX_DEPTH - 1; k <= DAG_CBOR_MAX_DEPTH + 1; k++) {
      size_t n = nest_cbor(buf, k, leaves[i].leaf, leaves[i].len);
      tr_bytes_t out = {0};
      int rc = render_exact(buf, n, &out);
      if (k > DAG_CBOR_MAX_DEPTH) {
        assert_int_equal(rc, TR_ECBOR);
      } else {
        assert_int_equal(rc, 0);
        if (!valid_exact(out.data, out.len))
          fail_msg("leaf %zu at depth %d: rendered text refused", i, k);
      }
      tr_bytes_free(&out);
    }
  }
  /* The validator's own limit: DAG_JSON_MAX_DEPTH levels below the top
   * value are fine, one more is refused, and a very deep input is refused
   * by the cap, not the stack. */
  size_t big = 200000;
  char *j = malloc(2 * big + 2);
  for (int k = DAG_JSON_MAX_DEPTH - 1; k <= DAG_JSON_MAX_DEPTH + 1; k++) {
    memset(j, '[', (size_t)k);
    j[k] = '0';
    memset(j + k + 1, ']', (size_t)k);
    assert_int_equal(valid_exact(j, 2 * (size_t)k + 1),
                     k <= DAG_JSON_MAX_DEPTH);
  }
  memset(j, '[', big);
  memset(j + big, ']', big);
  assert_false(valid_exact(j, 2 * big));
  free(j);
}

/* ------------------------------------------------------------ paths */

static void test_paths(void **state) {
  (void)state;
  static const char doc[] =
      "{\"a\":[1,{\"/\":\"bafkqaaa\"}],\"b\":{\"c\":{\"/\":"
      "\"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n\"},\"d\":2}}";
  dag_cid_t link;
  size_t used = 0;
  char s[DAG_CID_STR_MAX];
  char a[] = "a", one[] = "1", b[] = "b", c[] = "c", d[] = "d", x[] = "x",
       two[] = "2", more[] = "more";
  char *p1[] = {a, one, more};
  assert_int_equal(
      dag_json_path((const uint8_t *)doc, strlen(doc), p1, 3, &used, &link),
      0);
  assert_int_equal(used, 2);
  assert_string_equal(dag_cid_str(&link, s), "bafkqaaa");
  char *p2[] = {b, c};
  assert_int_equal(
      dag_json_path((const uint8_t *)doc, strlen(doc), p2, 2, &used, &link),
      0);
  assert_int_equal(used, 2);
  assert_string_equal(dag_cid_str(&link, s),
                      "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n");
  char *p3[] = {b, d};
  assert_int_equal(
      dag_json_path((const uint8_t *)doc, strlen(doc), p3, 2, &used, &link),
      TR_EPATHREM);
  char *p4[] = {x};
  assert_int_equal(
      dag_json_path((const uint8_t *)doc, strlen(doc), p4, 1, &used, &link),
      TR_EPATH);
  char *p5[] = {a, two};
  assert_int_equal(
      dag_json_path((const uint8_t *)doc, strlen(doc), p5, 2, &used, &link),
      TR_EPATH);
  /* The same shape in DAG-CBOR: {"a": [1, link]}. */
  uint8_t cb[64], lk[64];
  size_t llen = unhex(LINK_HEX, lk, sizeof lk), n = 0;
  cb[n++] = 0xa1;
  cb[n++] = 0x61;
  cb[n++] = 'a';
  cb[n++] = 0x82;
  cb[n++] = 0x01;
  memcpy(cb + n, lk, llen);
  n += llen;
  used = 0;
  assert_int_equal(dag_cbor_path(cb, n, p1, 3, &used, &link), 0);
  assert_int_equal(used, 2);
  char *p6[] = {a, two};
  assert_int_equal(dag_cbor_path(cb, n, p6, 2, &used, &link), TR_EPATH);
  char *p7[] = {a};
  assert_int_equal(dag_cbor_path(cb, n, p7, 1, &used, &link), TR_EPATHREM);
  /* Truncated: an error, never a read past the end. */
  for (size_t cut = 0; cut < n; cut++) {
    uint8_t *copy = malloc(cut ? cut : 1);
    memcpy(copy, cb, cut);
    assert_true(dag_cbor_path(copy, cut, p1, 3, &used, &link) < 0);
    free(copy);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid),
      cmocka_unit_test(test_codec_fixtures),
      cmocka_unit_test(test_depth),
      cmocka_unit_test(test_paths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

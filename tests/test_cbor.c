/*
 * test_cbor.c — the DAG-CBOR link walker (dag_cbor_links, dag_cbor_skip,
 * dag_cbor_head) against ipld/codec-fixtures and hand-made bad input.
 *
 * Fixtures (tests/vectors/codec-fixtures/<name>/<cid>.dag-cbor, 125 blocks):
 * every block must walk cleanly, hash to the CID in its file name, and
 * report the same links as its dag-json twin (where the fixture has links;
 * compared as sorted lists, because dag-json and dag-cbor order map keys
 * differently).  Every strict prefix of a block must be refused (one CBOR
 * item is prefix-free) and so must a block with a byte appended.
 *
 * Bad input: indefinite lengths, reserved additional-info values, two tags,
 * a tag other than 42 over bytes, malformed links, counts the input cannot
 * hold, nesting past DAG_CBOR_MAX_DEPTH: each TR_ECBOR from
 * dag_cbor_links(), never a crash.  A tag over anything but bytes is
 * dropped, as Kubo's decoder drops it (its GC follows the links of such
 * a block, so trove's must too).
 * The walker is not a full DAG-CBOR validator (it does not check map key
 * order or duplicates, or minimal integer encoding); those cases are left
 * out rather than asserted either way.
 *
 * The encoder (dag_cbor_put_*): RFC 8949 Appendix A's examples byte for
 * byte, every width boundary in its shortest form and read back by
 * dag_cbor_head(), DAG-CBOR's key order, and out unchanged when an
 * allocation fails.  (test_ipns.c checks a whole document: the signed data
 * of IPNS records made by boxo, rebuilt byte for byte.)
 *
 * Run from the repository root: vector paths are relative to it.
 */
#include "testutil.h"

#include "../dag/cbor.h"

#include <jansson.h>

/* Walk a heap copy of exactly len bytes (ASan sees overreads). */
static int links_exact(const uint8_t *in, size_t len, dag_cbor_link_cb cb,
                       void *ud) {
  uint8_t *copy = malloc(len ? len : 1);
  if (len)
    memcpy(copy, in, len);
  int rc = dag_cbor_links(len ? copy : NULL, len, cb, ud);
  free(copy);
  return rc;
}

/* ------------------------------------------------------ link lists */

typedef struct strlist {
  char **s;
  size_t n, cap;
} strlist_t;

static void sl_add(strlist_t *l, const char *s) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 16;
    l->s = realloc(l->s, l->cap * sizeof *l->s);
  }
  l->s[l->n++] = strdup(s);
}

static int sl_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sl_free(strlist_t *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->s[i]);
  free(l->s);
  memset(l, 0, sizeof *l);
}

static int collect_cb(const dag_cid_t *cid, void *ud) {
  char buf[DAG_CID_STR_MAX];
  sl_add(ud, dag_cid_str(cid, buf));
  return 0;
}

/* dag-json links are objects whose only key is "/" with a string value. */
static void json_links(json_t *j, strlist_t *out) {
  if (json_is_object(j)) {
    json_t *slash = json_object_get(j, "/");
    if (json_object_size(j) == 1 && json_is_string(slash)) {
      sl_add(out, json_string_value(slash));
      return;
    }
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v) json_links(v, out);
  } else if (json_is_array(j)) {
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v) json_links(v, out);
  }
}

/* --------------------------------------------------- codec-fixtures */

/* codec_cbor_fixtures_each's callback: one fixture's dag-cbor block; ud
 * counts the fixtures whose dag-json holds a link. */
static void check_fixture(const codec_fixture_t *f, const uint8_t *in,
                          size_t len, void *ud) {
  int *nlinked = ud;
  const char *name = f->name, *cidstr = f->cbor_cid, *json_path = f->json;
  dag_cid_t cid;
  char s[DAG_CID_STR_MAX];
  assert_int_equal(
      dag_cid_sum(&cid, 1, DAG_CODEC_DAG_CBOR, DAG_MH_SHA2_256, in, len), 0);
  if (strcmp(dag_cid_str(&cid, s), cidstr))
    fail_msg("%s: CID %s, file name says %s", name, s, cidstr);
  strlist_t got = {0};
  int rc = links_exact(in, len, collect_cb, &got);
  if (rc != 0)
    fail_msg("%s: dag_cbor_links gave %d (%s)", name, rc, tr_errname(rc));
  size_t pos = 0;
  assert_int_equal(dag_cbor_skip(in, len, &pos), 0);
  assert_int_equal(pos, len);
  if (json_path[0]) {
    json_error_t jerr;
    json_t *root = json_load_file(
        json_path, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL | JSON_DECODE_ANY,
        &jerr);
    if (!root)
      fail_msg("%s: %s", json_path, jerr.text);
    strlist_t want = {0};
    json_links(root, &want);
    json_decref(root);
    assert_int_equal(got.n, want.n);
    if (got.n) { /* qsort(NULL, 0, ...) is undefined */
      qsort(got.s, got.n, sizeof *got.s, sl_cmp);
      qsort(want.s, want.n, sizeof *want.s, sl_cmp);
    }
    for (size_t i = 0; i < got.n; i++)
      if (strcmp(got.s[i], want.s[i]))
        fail_msg("%s: link %s, dag-json has %s", name, got.s[i], want.s[i]);
    if (got.n)
      (*nlinked)++;
    sl_free(&want);
  } else {
    assert_int_equal(got.n, 0);
  }
  /* cid-<CID> fixtures hold exactly that one CID (named in any base). */
  if (!strncmp(name, "cid-", 4) && strcmp(name, "cid-arrayof") &&
      strcmp(name, "cid-mapof")) {
    dag_cid_t named, found;
    assert_int_equal(dag_cid_parse(&named, name + 4, strlen(name + 4)), 0);
    assert_int_equal(got.n, 1);
    assert_int_equal(dag_cid_parse(&found, got.s[0], strlen(got.s[0])), 0);
    assert_true(dag_cid_equal(&named, &found));
  }
  sl_free(&got);
  /* Prefix-free: every strict prefix is incomplete; one byte more is
   * trailing garbage. */
  for (size_t cut = 0; cut < len; cut++)
    assert_int_equal(links_exact(in, cut, NULL, NULL), TR_ECBOR);
  uint8_t *more = malloc(len + 1);
  memcpy(more, in, len);
  more[len] = 0;
  assert_int_equal(links_exact(more, len + 1, NULL, NULL), TR_ECBOR);
  /* One-byte changes: a clean answer either way, never a crash. */
  for (size_t i = 0; i < len && i < 600; i++) {
    uint8_t old = more[i];
    for (int v = 0; v < 256; v += 5) {
      more[i] = (uint8_t)v;
      rc = links_exact(more, len, NULL, NULL);
      assert_true(rc == 0 || rc == TR_ECBOR);
    }
    more[i] = old;
  }
  free(more);
}

static void test_codec_fixtures(void **state) {
  (void)state;
  int nlinked = 0;
  assert_int_equal(codec_cbor_fixtures_each(check_fixture, &nlinked), 125);
  /* Fixtures whose dag-json holds at least one link. */
  assert_int_equal(nlinked, 48);
}

/* ---------------------------------------------------------- headers */

typedef struct head_case {
  const char *hex;
  int rc;
  int major;
  uint64_t arg;
  size_t pos;
} head_case_t;

static const head_case_t heads[] = {
    {"00", 0, 0, 0, 1},
    {"17", 0, 0, 23, 1},
    {"1818", 0, 0, 24, 2},
    {"190100", 0, 0, 256, 3},
    {"1a00010000", 0, 0, 65536, 5},
    {"1bffffffffffffffff", 0, 0, UINT64_MAX, 9},
    {"20", 0, 1, 0, 1},
    {"5803", 0, 2, 3, 2},
    {"d82a", 0, 6, 42, 2},
    {"f6", 0, 7, 22, 1},
    {"fb3ff8000000000000", 0, 7, 0x3ff8000000000000ull, 9},
    {"", TR_ETRUNC, 0, 0, 0},
    {"18", TR_ETRUNC, 0, 0, 0},
    {"1901", TR_ETRUNC, 0, 0, 0},
    {"1b00000000000000", TR_ETRUNC, 0, 0, 0},
    {"1c", TR_ECBOR, 0, 0, 0},
    {"1d", TR_ECBOR, 0, 0, 0},
    {"1e", TR_ECBOR, 0, 0, 0},
    {"1f", TR_ECBOR, 0, 0, 0},
    {"9f", TR_ECBOR, 0, 0, 0},
    {"ff", TR_ECBOR, 0, 0, 0},
};

static void test_heads(void **state) {
  (void)state;
  for (size_t i = 0; i < TR_ARRAY_LEN(heads); i++) {
    uint8_t in[16];
    size_t len = unhex(heads[i].hex, in, sizeof in);
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, in, len);
    size_t pos = 0;
    int major = -1;
    uint64_t arg = 0;
    int rc = dag_cbor_head(copy, len, &pos, &major, &arg);
    free(copy);
    if (rc != heads[i].rc)
      fail_msg("head %s: got %d (%s)", heads[i].hex, rc, tr_errname(rc));
    if (rc == 0) {
      assert_int_equal(major, heads[i].major);
      assert_true(arg == heads[i].arg);
      assert_int_equal(pos, heads[i].pos);
    }
  }
}

/* -------------------------------------------------------- bad input */

#define V0 "1220aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LINK "d82a5823" "00" V0

typedef struct bad_case {
  const char *hex;
  int want;
  const char *why;
} bad_case_t;

static const bad_case_t cases[] = {
    {LINK, 0, "a link"},
    {"82" LINK LINK, 0, "two links"},
    {"a1616101", 0, "a map"},
    {"", TR_ECBOR, "empty input"},
    {"0000", TR_ECBOR, "trailing item"},
    {"9f0102ff", TR_ECBOR, "indefinite array"},
    {"bf616101ff", TR_ECBOR, "indefinite map"},
    {"5f4101ff", TR_ECBOR, "indefinite byte string"},
    {"7f616100ff", TR_ECBOR, "indefinite text string"},
    {"ff", TR_ECBOR, "lone break"},
    {"1c", TR_ECBOR, "reserved additional info 28"},
    {"3d", TR_ECBOR, "reserved additional info 29"},
    {"fc", TR_ECBOR, "reserved simple 28"},
    {"fe", TR_ECBOR, "reserved simple 30"},
    {"18", TR_ECBOR, "truncated uint8"},
    {"1b00000000000000", TR_ECBOR, "truncated uint64"},
    {"830102", TR_ECBOR, "array one item short"},
    {"a101", TR_ECBOR, "map key without value"},
    {"4301", TR_ECBOR, "bytes shorter than their length"},
    {"9bffffffffffffffff", TR_ECBOR, "array count 2^64-1"},
    {"9b7fffffffffffffff00", TR_ECBOR, "array count 2^63-1"},
    {"bb8000000000000000", TR_ECBOR, "map count 2^63 (pairs overflow)"},
    {"bbffffffffffffffff", TR_ECBOR, "map count 2^64-1"},
    {"5bffffffffffffffff", TR_ECBOR, "byte string length 2^64-1"},
    {"7bffffffffffffffff", TR_ECBOR, "text string length 2^64-1"},
    {"9a00010000" "00", TR_ECBOR, "array count 65536, one item"},
    /* Tags as Kubo decodes them (go-ipld-prime, refmt): one at most; over
     * a byte string only 42, over 0x00 + one whole CID; over anything else
     * any tag is dropped (`ipfs dag get` of c074... is the string). */
    {"c074323031332d30332d32315432303a30343a30305a", 0, "tag 0 over text"},
    {"d82b00", 0, "tag 43 over an integer"},
    {"dbffffffffffffffff00", 0, "tag 2^64-1 over an integer"},
    {"c1c16161", TR_ECBOR, "two tags"},
    {"c14100", TR_ECBOR, "tag 1 over bytes"},
    {"d82a", TR_ECBOR, "tag 42 alone"},
    {"d82a00", 0, "tag 42 over an integer"},
    {"d82a6100", 0, "tag 42 over a text string"},
    {"a1c1616c" LINK, 0, "a link under a tagged key"},
    {"d82a40", TR_ECBOR, "tag 42 over empty bytes"},
    {"d82a4100", TR_ECBOR, "tag 42 over just the 0x00 prefix"},
    {"d82a5823" "01" V0, TR_ECBOR, "link prefix not 0x00"},
    {"d82a5824" "00" V0 "00", TR_ECBOR, "link with a trailing byte"},
    {"d82a5822" "00" "1220aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     TR_ECBOR, "link one byte short"},
    {"d82a5824" "00" V0, TR_ECBOR, "link length past the input"},
    {"d82a5f4100ff", TR_ECBOR, "link as indefinite bytes"},
    {"d82a45" "0002550000", TR_ECBOR, "link with CID version 2"},
    {"d82a" LINK, TR_ECBOR, "tag 42 over tag 42"},
    {"82" LINK "d82a4100", TR_ECBOR, "good link then bad link"},
};

static void test_bad_input(void **state) {
  (void)state;
  for (size_t i = 0; i < TR_ARRAY_LEN(cases); i++) {
    uint8_t in[256];
    size_t len = unhex(cases[i].hex, in, sizeof in);
    int rc = links_exact(in, len, NULL, NULL);
    if (rc != cases[i].want)
      fail_msg("%s (%s): got %d (%s), want %s", cases[i].why, cases[i].hex,
               rc, tr_errname(rc), tr_errname(cases[i].want));
  }
}

/* DAG_CBOR_MAX_DEPTH levels of nesting below the top item are fine, one
 * more is refused; a very deep input is refused by the cap, not the stack. */
static void test_depth(void **state) {
  (void)state;
  size_t big = 200000;
  uint8_t *in = malloc(big + 2);
  for (int k = DAG_CBOR_MAX_DEPTH - 1; k <= DAG_CBOR_MAX_DEPTH + 1; k++) {
    memset(in, 0x81, (size_t)k);
    in[k] = 0x00;
    int want = k <= DAG_CBOR_MAX_DEPTH ? 0 : TR_ECBOR;
    assert_int_equal(links_exact(in, (size_t)k + 1, NULL, NULL), want);
    /* Maps nest the same way: {0: {0: ... 0}}. */
    for (int j = 0; j < k; j++) {
      in[2 * j] = 0xa1;
      in[2 * j + 1] = 0x00;
    }
    in[2 * k] = 0x00;
    assert_int_equal(links_exact(in, 2 * (size_t)k + 1, NULL, NULL), want);
  }
  /* A link at the deepest allowed level is still found. */
  uint8_t link[40];
  size_t llen = unhex(LINK, link, sizeof link);
  memset(in, 0x81, DAG_CBOR_MAX_DEPTH);
  memcpy(in + DAG_CBOR_MAX_DEPTH, link, llen);
  strlist_t got = {0};
  assert_int_equal(links_exact(in, DAG_CBOR_MAX_DEPTH + llen, collect_cb, &got),
                   0);
  assert_int_equal(got.n, 1);
  sl_free(&got);
  memset(in, 0x81, big);
  in[big] = 0;
  assert_int_equal(links_exact(in, big + 1, NULL, NULL), TR_ECBOR);
  memset(in, 0x9f, big); /* indefinite, deep */
  assert_int_equal(links_exact(in, big, NULL, NULL), TR_ECBOR);
  free(in);
}

/* ---------------------------------------------------------- callback */

typedef struct stop {
  int calls, at, ret;
  dag_cid_t seen[4];
} stop_t;

static int stop_cb(const dag_cid_t *cid, void *ud) {
  stop_t *s = ud;
  if (s->calls < 4)
    s->seen[s->calls] = *cid;
  s->calls++;
  return s->calls - 1 == s->at ? s->ret : 0;
}

static void test_callback(void **state) {
  (void)state;
  /* {"a": link(v0), "b": [link(v1 raw identity)]}: document order. */
  uint8_t in[128];
  size_t len = unhex("a26161" LINK "616281d82a4a00015500050001020304", in,
                     sizeof in);
  stop_t s = {0, -1, 0, {{0}}};
  assert_int_equal(links_exact(in, len, stop_cb, &s), 0);
  assert_int_equal(s.calls, 2);
  assert_int_equal(s.seen[0].version, 0);
  assert_int_equal(s.seen[1].version, 1);
  assert_true(s.seen[1].codec == DAG_CODEC_RAW);
  assert_true(s.seen[1].mh_code == DAG_MH_IDENTITY);
  char buf[DAG_CID_STR_MAX];
  assert_string_equal(dag_cid_str(&s.seen[1], buf), "bafkqabiaaebagba");
  /* A non-zero return stops the walk and comes back unchanged. */
  const int rets[] = {5, -3, TR_ENOTFOUND};
  for (size_t i = 0; i < TR_ARRAY_LEN(rets); i++) {
    stop_t t = {0, 0, rets[i], {{0}}};
    assert_int_equal(links_exact(in, len, stop_cb, &t), rets[i]);
    assert_int_equal(t.calls, 1);
  }
}

static void test_skip(void **state) {
  (void)state;
  uint8_t in[64];
  size_t len = unhex("8301020300a161610140", in, sizeof in);
  size_t pos = 0;
  assert_int_equal(dag_cbor_skip(in, len, &pos), 0);
  assert_int_equal(pos, 4);
  assert_int_equal(dag_cbor_skip(in, len, &pos), 0);
  assert_int_equal(pos, 5);
  assert_int_equal(dag_cbor_skip(in, len, &pos), 0);
  assert_int_equal(pos, 9);
  assert_int_equal(dag_cbor_skip(in, len, &pos), 0);
  assert_int_equal(pos, 10);
  assert_int_equal(dag_cbor_skip(in, len, &pos), TR_ETRUNC);
  pos = 0;
  assert_int_equal(dag_cbor_skip(in, 3, &pos), TR_ETRUNC);
  pos = 0;
  uint8_t t0[] = {0xc0, 0x00}, t2[] = {0xc0, 0xc0, 0x00};
  assert_int_equal(dag_cbor_skip(t0, 2, &pos), 0); /* the tag dropped */
  assert_int_equal(pos, 2);
  pos = 0;
  assert_int_equal(dag_cbor_skip(t2, 3, &pos), TR_ECBOR);
}

/* ---------------------------------------------------------- encoder */

static void expect(tr_bytes_t *b, const char *hex) {
  uint8_t want[64];
  size_t n = unhex(hex, want, sizeof want);
  if (b->len != n || memcmp(b->data, want, n)) {
    char got[160];
    tr_hex(b->data, b->len < 64 ? b->len : 64, got);
    fail_msg("wrote %s, want %s", got, hex);
  }
  b->len = 0;
}

/* RFC 8949 Appendix A. */
static void test_put_rfc8949(void **state) {
  (void)state;
  static const struct {
    int64_t v;
    const char *hex;
  } ints[] = {
      {0, "00"},
      {1, "01"},
      {10, "0a"},
      {23, "17"},
      {24, "1818"},
      {25, "1819"},
      {100, "1864"},
      {1000, "1903e8"},
      {1000000, "1a000f4240"},
      {1000000000000, "1b000000e8d4a51000"},
      {-1, "20"},
      {-10, "29"},
      {-100, "3863"},
      {-1000, "3903e7"},
      {INT64_MAX, "1b7fffffffffffffff"},
      {INT64_MIN, "3b7fffffffffffffff"},
  };
  tr_bytes_t b = {0};
  for (size_t i = 0; i < TR_ARRAY_LEN(ints); i++) {
    assert_int_equal(dag_cbor_put_int(&b, ints[i].v), 0);
    expect(&b, ints[i].hex);
  }
  assert_int_equal(dag_cbor_put_head(&b, 0, UINT64_MAX), 0);
  expect(&b, "1bffffffffffffffff"); /* 18446744073709551615 */
  assert_int_equal(dag_cbor_put_bytes(&b, "", 0), 0);
  expect(&b, "40");
  assert_int_equal(dag_cbor_put_bytes(&b, "\x01\x02\x03\x04", 4), 0);
  expect(&b, "4401020304");
  assert_int_equal(dag_cbor_put_text(&b, "", 0), 0);
  expect(&b, "60");
  assert_int_equal(dag_cbor_put_text(&b, "a", 1), 0);
  expect(&b, "6161");
  assert_int_equal(dag_cbor_put_text(&b, "IETF", 4), 0);
  expect(&b, "6449455446");
  assert_int_equal(dag_cbor_put_text(&b, "\xc3\xbc", 2), 0);
  expect(&b, "62c3bc");
  /* {"a": 1, "b": [2, 3]} */
  assert_int_equal(dag_cbor_put_head(&b, 5, 2), 0);
  assert_int_equal(dag_cbor_put_text(&b, "a", 1), 0);
  assert_int_equal(dag_cbor_put_int(&b, 1), 0);
  assert_int_equal(dag_cbor_put_text(&b, "b", 1), 0);
  assert_int_equal(dag_cbor_put_head(&b, 4, 2), 0);
  assert_int_equal(dag_cbor_put_int(&b, 2), 0);
  assert_int_equal(dag_cbor_put_int(&b, 3), 0);
  expect(&b, "a26161016162820203");
  /* A 24-byte string takes a one-byte length. */
  assert_int_equal(dag_cbor_put_bytes(&b, "abcdefghijklmnopqrstuvwx", 24), 0);
  assert_int_equal(b.len, 26);
  assert_int_equal(b.data[0], 0x58);
  assert_int_equal(b.data[1], 24);
  tr_bytes_free(&b);
}

/* Each width boundary: the shortest head, and dag_cbor_head() reads back
 * the same major type and argument. */
static void test_put_boundaries(void **state) {
  (void)state;
  static const struct {
    uint64_t arg;
    size_t len;
  } v[] = {
      {0, 1},          {23, 1},          {24, 2},
      {255, 2},        {256, 3},         {65535, 3},
      {65536, 5},      {0xffffffffu, 5}, {UINT64_C(0x100000000), 9},
      {UINT64_MAX, 9},
  };
  tr_bytes_t b = {0};
  for (int major = 0; major < 8; major++)
    for (size_t i = 0; i < TR_ARRAY_LEN(v); i++) {
      b.len = 0;
      assert_int_equal(dag_cbor_put_head(&b, major, v[i].arg), 0);
      assert_int_equal(b.len, v[i].len);
      size_t pos = 0;
      int m;
      uint64_t arg;
      assert_int_equal(dag_cbor_head(b.data, b.len, &pos, &m, &arg), 0);
      assert_int_equal(pos, b.len);
      assert_int_equal(m, major);
      assert_true(arg == v[i].arg);
    }
  tr_bytes_free(&b);
}

static void test_key_order(void **state) {
  (void)state;
  /* The IPNS data map's keys, in the order boxo writes them. */
  static const char *keys[] = {"TTL", "Value", "Sequence", "Validity",
                               "ValidityType"};
  for (size_t i = 0; i + 1 < TR_ARRAY_LEN(keys); i++)
    assert_true(dag_cbor_key_cmp(keys[i], strlen(keys[i]), keys[i + 1],
                                 strlen(keys[i + 1])) < 0);
  assert_true(dag_cbor_key_cmp("b", 1, "aa", 2) < 0); /* length first */
  assert_true(dag_cbor_key_cmp("aa", 2, "b", 1) > 0);
  assert_true(dag_cbor_key_cmp("ab", 2, "aa", 2) > 0);
  assert_int_equal(dag_cbor_key_cmp("ab", 2, "ab", 2), 0);
  assert_int_equal(dag_cbor_key_cmp("", 0, "", 0), 0);
  assert_true(dag_cbor_key_cmp("", 0, "a", 1) < 0);
  /* Bytewise, not signed char: 0xff sorts after 'a'. */
  assert_true(dag_cbor_key_cmp("\xff", 1, "a", 1) > 0);
}

/* A failed allocation leaves out as it was: no head without its bytes. */
static void test_put_nomem(void **state) {
  (void)state;
  static char big[300];
  memset(big, 'x', sizeof big);
  uint8_t buf[4];
  tr_bytes_t b;
  tr_bytes_borrow(&b, buf, sizeof buf);
  assert_int_equal(dag_cbor_put_int(&b, 5), 0);
  fm_start(0);
  assert_int_equal(dag_cbor_put_bytes(&b, big, sizeof big), -ENOMEM);
  assert_int_equal(b.len, 1);
  assert_int_equal(dag_cbor_put_text(&b, big, sizeof big), -ENOMEM);
  assert_int_equal(b.len, 1);
  assert_int_equal(dag_cbor_put_head(&b, 0, UINT64_MAX), -ENOMEM);
  assert_int_equal(b.len, 1);
  fm_reset();
  assert_int_equal(b.data[0], 0x05);
  tr_bytes_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_codec_fixtures), cmocka_unit_test(test_heads),
      cmocka_unit_test(test_bad_input),      cmocka_unit_test(test_depth),
      cmocka_unit_test(test_callback),       cmocka_unit_test(test_skip),
      cmocka_unit_test(test_put_rfc8949),
      cmocka_unit_test(test_put_boundaries),
      cmocka_unit_test(test_key_order),      cmocka_unit_test(test_put_nomem),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

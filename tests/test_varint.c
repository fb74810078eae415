/*
 * test_varint.c — dag_varint_* against the multiformats unsigned-varint spec:
 * the spec's example table and edge cases from tests/vectors/varint.txt, then
 * sweeps that check every boundary, every truncation and every non-minimal
 * form.  Run from the repository root (tests/run.sh does): the vector file
 * is found by a relative path.
 *
 * Inputs are copied into heap buffers of their exact length so that ASan
 * (make SAN=1) catches any read past the length the decoder was given.
 */
#include "testutil.h"

#include "../dag/cid.h"

#define VARINT_VECTORS "tests/vectors/varint.txt"

/* Decode with the input in a heap block of exactly len bytes. */
static int get_exact(const uint8_t *in, size_t len, uint64_t *v) {
  uint8_t *copy = malloc(len ? len : 1);
  assert_non_null(copy);
  if (len)
    memcpy(copy, in, len);
  int rc = dag_varint_get(len ? copy : NULL, len, v);
  free(copy);
  return rc;
}

/* ------------------------------------------------------------ vectors */

static void test_vector_file(void **state) {
  (void)state;
  FILE *f = fopen(VARINT_VECTORS, "r");
  if (!f)
    fail_msg("cannot open %s (run from the repository root)", VARINT_VECTORS);
  char line[256];
  int nok = 0, nerr = 0, lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    if (line[0] == '#' || line[0] == '\n')
      continue;
    char expect[64], hex[128];
    if (sscanf(line, "%63s %127s", expect, hex) != 2)
      fail_msg("%s:%d: bad line", VARINT_VECTORS, lineno);
    uint8_t in[64];
    size_t len = strcmp(hex, "-") ? unhex(hex, in, sizeof in) : 0;
    uint64_t v = 0xdeadbeef;
    int rc = get_exact(in, len, &v);
    if (expect[0] == '!') {
      if (rc >= 0 || strcmp(tr_errname(rc), expect + 1))
        fail_msg("%s:%d: %s gave %d (%s), want %s", VARINT_VECTORS, lineno,
                 hex, rc, tr_errname(rc), expect + 1);
      nerr++;
      continue;
    }
    uint64_t want = strtoull(expect, NULL, 10);
    if (rc != (int)len || v != want)
      fail_msg("%s:%d: %s gave rc %d value %llu, want %zu bytes %llu",
               VARINT_VECTORS, lineno, hex, rc, (unsigned long long)v, len,
               (unsigned long long)want);
    uint8_t out[DAG_VARINT_MAX + 1];
    assert_int_equal(dag_varint_put(out, want), len);
    assert_memory_equal(out, in, len);
    assert_int_equal(dag_varint_size(want), len);
    nok++;
  }
  fclose(f);
  /* The spec's six examples plus our edge cases: if the file shrank or the
   * parser skipped lines, the test would silently prove less. */
  assert_true(nok >= 21);
  assert_true(nerr >= 14);
}

/* ------------------------------------------------------------- sweeps */

/* Values at every length boundary, plus a spread of others. */
static size_t sample_values(uint64_t *vals, size_t cap) {
  size_t n = 0;
  for (int k = 0; k < 63 && n + 3 <= cap; k++) {
    uint64_t p = (uint64_t)1 << k;
    vals[n++] = p - 1;
    vals[n++] = p;
    vals[n++] = p + 1;
  }
  vals[n++] = ((uint64_t)1 << 63) - 1;
  uint64_t x = 0x9e3779b97f4a7c15ull; /* xorshift: fixed, reproducible */
  while (n < cap) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    vals[n++] = x >> (x & 63) >> 1; /* all magnitudes, always < 2^63 */
  }
  return n;
}

static void test_roundtrip_sweep(void **state) {
  (void)state;
  uint64_t vals[400];
  size_t n = sample_values(vals, TR_ARRAY_LEN(vals));
  for (size_t i = 0; i < n; i++) {
    uint8_t buf[DAG_VARINT_MAX];
    size_t len = dag_varint_put(buf, vals[i]);
    assert_true(len >= 1 && len <= DAG_VARINT_MAX);
    assert_int_equal(len, dag_varint_size(vals[i]));
    /* Minimal: the last byte is the only one without the high bit, and it
     * is zero only for the value 0. */
    for (size_t j = 0; j + 1 < len; j++)
      assert_true(buf[j] & 0x80);
    assert_false(buf[len - 1] & 0x80);
    assert_true(buf[len - 1] != 0 || vals[i] == 0);
    uint64_t v;
    assert_int_equal(get_exact(buf, len, &v), (int)len);
    assert_true(v == vals[i]);
  }
}

static void test_every_prefix_is_truncated(void **state) {
  (void)state;
  uint64_t vals[200];
  size_t n = sample_values(vals, TR_ARRAY_LEN(vals));
  for (size_t i = 0; i < n; i++) {
    uint8_t buf[DAG_VARINT_MAX];
    size_t len = dag_varint_put(buf, vals[i]);
    for (size_t cut = 0; cut < len; cut++) {
      uint64_t v;
      assert_int_equal(get_exact(buf, cut, &v), TR_ETRUNC);
    }
  }
}

/* Re-encode each value one byte longer (continuation bit on the last byte,
 * then 0x00): the same number, not minimal, so refused.  At 9 bytes the
 * longer form is a 10-byte varint, refused by the cap instead. */
static void test_padded_forms_refused(void **state) {
  (void)state;
  uint64_t vals[200];
  size_t n = sample_values(vals, TR_ARRAY_LEN(vals));
  for (size_t i = 0; i < n; i++) {
    uint8_t buf[DAG_VARINT_MAX + 2];
    size_t len = dag_varint_put(buf, vals[i]);
    buf[len - 1] |= 0x80;
    buf[len] = 0x00;
    uint64_t v;
    assert_int_equal(get_exact(buf, len + 1, &v), TR_EVARINT);
    /* Two bytes of padding as well. */
    buf[len] = 0x80;
    buf[len + 1] = 0x00;
    assert_int_equal(get_exact(buf, len + 2, &v), TR_EVARINT);
  }
}

/* A varint is read from the front of a stream: bytes after it are left for
 * the caller and do not change the result. */
static void test_trailing_bytes_untouched(void **state) {
  (void)state;
  const uint8_t in[] = {0xac, 0x02, 0xff, 0xff};
  uint64_t v = 0;
  assert_int_equal(get_exact(in, sizeof in, &v), 2);
  assert_true(v == 300);
  const uint8_t zero[] = {0x00, 0x80};
  assert_int_equal(get_exact(zero, sizeof zero, &v), 1);
  assert_true(v == 0);
}

/* The encoder's size function covers values the decoder refuses (it
 * documents 1..10), so that callers can size buffers for any uint64_t. */
static void test_size_of_unencodable_values(void **state) {
  (void)state;
  assert_int_equal(dag_varint_size((uint64_t)1 << 63), 10);
  assert_int_equal(dag_varint_size(UINT64_MAX), 10);
  assert_int_equal(dag_varint_size(0), 1);
}

/* On failure the output value is not written: callers may keep a default. */
static void test_failure_leaves_value(void **state) {
  (void)state;
  const uint8_t bad[] = {0x81, 0x00};
  uint64_t v = 12345;
  assert_int_equal(get_exact(bad, sizeof bad, &v), TR_EVARINT);
  assert_true(v == 12345);
  assert_int_equal(get_exact(bad, 1, &v), TR_ETRUNC);
  assert_true(v == 12345);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vector_file),
      cmocka_unit_test(test_roundtrip_sweep),
      cmocka_unit_test(test_every_prefix_is_truncated),
      cmocka_unit_test(test_padded_forms_refused),
      cmocka_unit_test(test_trailing_bytes_untouched),
      cmocka_unit_test(test_size_of_unencodable_values),
      cmocka_unit_test(test_failure_leaves_value),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

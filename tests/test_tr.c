/*
 * test_tr.c — common/tr.h's helpers that have no module of their own to
 * be tested with: Go durations (tr_parse_duration), as Kubo's config and
 * `name publish --lifetime/--ttl` take them.
 */
#include <string.h>
#include "testutil.h"

static uint64_t dur(const char *s) {
  uint64_t ns = 0;
  assert_int_equal(tr_parse_duration(s, &ns), 0);
  return ns;
}

static void test_duration(void **state) {
  (void)state;
  assert_int_equal(dur("300ms"), 300000000ull);
  assert_int_equal(dur("1.5h"), 5400000000000ull);
  assert_int_equal(dur("48h0m0s"), 172800000000000ull);
  assert_int_equal(dur("5m0s"), 300000000000ull);
  assert_int_equal(dur("7d2h45m"), (7 * 86400ull + 2 * 3600 + 45 * 60) *
                                       1000000000ull);
  assert_int_equal(dur("1us"), 1000);
  assert_int_equal(dur("1\xc2\xb5s"), 1000);
  assert_int_equal(dur("10ns"), 10);
  uint64_t ns;
  const char *bad[] = {"", "5", "h", "-1s", "1x", "1s2", " 1s", "1 s",
                       "99999999999999999999h"};
  for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++)
    assert_int_equal(tr_parse_duration(bad[i], &ns), TR_EUSAGE);
  assert_int_equal(tr_parse_duration(NULL, &ns), TR_EUSAGE);
}

/* tr_fpmap against a plain array as the reference, through random puts
 * and deletes that force growth and long probe runs (keys share their low
 * bits, so the backward shift of deletion is exercised). */
static void test_fpmap(void **state) {
  (void)state;
  enum { N = 4096 };
  static void *ref[N];
  memset(ref, 0, sizeof ref);
  tr_fpmap_t m = {0};
  uint64_t x = 88172645463325252ull;
  for (int step = 0; step < 200000; step++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    size_t k = x % N;
    tr_fp_t fp = {k + 1, (k % 64) << 8}; /* 64 homes for 4096 keys */
    if (x & (1ull << 40)) {
      void *v = (void *)(uintptr_t)(x | 1);
      assert_int_equal(tr_fpmap_put(&m, fp, v), 0);
      ref[k] = v;
    } else {
      assert_ptr_equal(tr_fpmap_del(&m, fp), ref[k]);
      ref[k] = NULL;
    }
    if (step % 997 == 0) {
      size_t n = 0;
      for (size_t i = 0; i < N; i++) {
        tr_fp_t f = {i + 1, (i % 64) << 8};
        assert_ptr_equal(tr_fpmap_get(&m, f), ref[i]);
        n += ref[i] != NULL;
      }
      assert_int_equal(m.n, n);
    }
  }
  tr_fpmap_free(&m);
  assert_null(tr_fpmap_get(&m, (tr_fp_t){1, 0}));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_duration),
                                     cmocka_unit_test(test_fpmap)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

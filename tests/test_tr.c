/*
 * test_tr.c — common/tr.h's helpers that have no module of their own to
 * be tested with: Go durations (tr_parse_duration), as Kubo's config and
 * `name publish --lifetime/--ttl` take them.
 */
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

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_duration)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

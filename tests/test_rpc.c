/*
 * test_rpc.c — the pure helpers of the RPC API (gateway/rpc.h): filenames
 * of multipart parts read the way go-ipfs-files reads them
 * (url.QueryUnescape, then path.Clean("/" + name) without the slash), so
 * that an upload's tree is the one Kubo would build - and never climbs out
 * of its root whatever the client sends.
 */
#include "testutil.h"

#include "../rpc/rpc_int.h"

static void check_clean(const char *in, const char *want) {
  char *got = rpc_clean_path(in);
  assert_non_null(got);
  assert_string_equal(got, want);
  tr_free(got);
}

static void test_clean_path(void **state) {
  (void)state;
  /* What kubo-rpc-client sends: encodeURIComponent(path). */
  check_clean("dir%2Fa.txt", "dir/a.txt");
  check_clean("a%20b%2Bc.txt", "a b+c.txt");
  check_clean("caf%C3%A9", "caf\xc3\xa9");
  /* Query unescaping: '+' is a space, as in Go. */
  check_clean("a+b", "a b");
  /* path.Clean: empty, ".", "..", repeated and trailing slashes. */
  check_clean("", "");
  check_clean(NULL, "");
  check_clean("/", "");
  check_clean("./a//b/./c/", "a/b/c");
  check_clean("a/../b", "b");
  check_clean("../../etc/passwd", "etc/passwd");
  check_clean("%2E%2E%2F%2E%2E%2Fx", "x");
  check_clean("a/b/../../..", "");
  check_clean("/abs/path", "abs/path");
  /* A malformed escape leaves the name as sent (boxo/files does too). */
  check_clean("100%", "100%");
  check_clean("%zz/a", "%zz/a");
  /* An encoded NUL is malformed too: the name stays as sent. */
  check_clean("a%00b", "a%00b");
}

static void test_unescape(void **state) {
  (void)state;
  char *s = rpc_query_unescape("x%3Dy%26z+w");
  assert_string_equal(s, "x=y&z w");
  tr_free(s);
  s = rpc_query_unescape("%");
  assert_string_equal(s, "%");
  tr_free(s);
}

static void test_status(void **state) {
  (void)state;
  assert_int_equal(rpc_status_for(TR_EUSAGE), 400);
  assert_int_equal(rpc_status_for(TR_ECID), 400);
  assert_int_equal(rpc_status_for(TR_ENOTFOUND), 500);
  char buf[300];
  assert_non_null(strstr(rpc_errmsg(TR_ENOTFOUND, "bafyx", buf, sizeof buf),
                         "not found locally"));
}

static void test_alloc_failure(void **state) {
  (void)state;
  for (long n = 0; n < 3; n++) {
    fm_start(n);
    char *p = rpc_clean_path("dir%2Fa");
    fm_reset();
    if (p) {
      assert_string_equal(p, "dir/a");
      tr_free(p);
    }
  }
}

/* Names that are not UTF-8 gave 500 "Cannot allocate memory": jansson
 * refused them.  Every bad byte becomes U+FFFD, as Go's encoding/json
 * writes it (so Kubo's answers); valid sequences pass untouched. */
static void check_fix(const char *in, size_t n, const char *want) {
  size_t len;
  char *got = tr_utf8_fix(in, n, &len);
  assert_non_null(got);
  assert_int_equal(len, strlen(want));
  assert_memory_equal(got, want, len);
  assert_true(tr_utf8_valid(got, len));
  json_t *j = rpc_json_strn(in, n);
  assert_non_null(j);
  assert_int_equal(json_string_length(j), len);
  assert_memory_equal(json_string_value(j), want, len);
  json_decref(j);
  tr_free(got);
}

#define R "\xEF\xBF\xBD" /* U+FFFD */

static void test_non_utf8_names_500(void **state) {
  (void)state;
  check_fix("a\xFF" "b", 3, "a" R "b");
  check_fix("plain", 5, "plain");
  check_fix("\xC3\xA9t\xC3\xA9", 5, "\xC3\xA9t\xC3\xA9");            /* été */
  check_fix("\xF0\x9F\x98\x80", 4, "\xF0\x9F\x98\x80");              /* emoji */
  check_fix("\xC3", 1, R);                                          /* cut */
  check_fix("\xF0\x9F\x98", 3, R R R);          /* cut 4-byte: per byte */
  check_fix("\xC0\xAF", 2, R R);                               /* overlong */
  check_fix("\xE0\x80\xAF", 3, R R R);                        /* overlong */
  check_fix("\xED\xA0\x80", 3, R R R);                       /* surrogate */
  check_fix("\xF4\x90\x80\x80", 4, R R R R);                 /* > 10FFFF */
  check_fix("\x80x\xBF", 3, R "x" R);                /* stray continuation */
  check_fix("", 0, "");
  assert_false(tr_utf8_valid("\xFE", 1));
  assert_true(tr_utf8_valid("\xEF\xBF\xBD", 3));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clean_path),
      cmocka_unit_test(test_unescape),
      cmocka_unit_test(test_status),
      cmocka_unit_test(test_alloc_failure),
      cmocka_unit_test(test_non_utf8_names_500),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_gw_redirects.c — the `_redirects` parser and matcher of the gateway
 * (gateway/gw_redirects.c): the spec's example file, line endings and
 * comments, every refusal go-ipfs-redirects-file makes (and the spec's
 * duplicate placeholder rule), the 64 KiB cap at its edge, placeholder and
 * splat expansion (encoded where it lands), and the Location a redirect
 * gets with the request's query.  Hostile inputs: NUL and control bytes,
 * CR LF smuggled through a placeholder, targets that expand past their
 * cap, a file of one 64 KiB line, placeholders past their cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../gateway/gw_int.h"

/* The spec's "examples" site (fixtures/redirects_file/redirects.car). */
static const char examples[] =
    "/redirect-one /one.html\n"
    "/301-redirect-one /one.html 301\n"
    "/302-redirect-two /two.html 302\n"
    "/200-index /index.html 200\n"
    "/posts/:year/:month/:day/:title /articles/:year/:month/:day/:title 301\n"
    "/splat/* /redirected-splat/:splat 301\n"
    "/not-found/* /404.html 404\n"
    "/gone/* /410.html 410\n"
    "/unavail/* /451.html 451\n"
    "/* /index.html 200\n";

static char to[GW_REDIRECTS_TO_MAX], err[GW_REDIRECTS_ERR_MAX];

/* Evaluate file f (NUL-terminated) for path. */
static int ev(const char *f, const char *path, int *status) {
  return gw__redirects_eval(f, strlen(f), path, strlen(path), status, to,
                            sizeof to, err, sizeof err);
}

static void expect(const char *f, const char *path, int status,
                   const char *want) {
  int st;
  int rc = ev(f, path, &st);
  if (rc != 1)
    fail_msg("%s: rc %d (%s)", path, rc, err);
  assert_int_equal(st, status);
  assert_string_equal(to, want);
}

static void expect_none(const char *f, const char *path) {
  int st = -1;
  assert_int_equal(ev(f, path, &st), 0);
  assert_int_equal(st, 0);
}

/* Refused, with reason among the words; *status is 0 even when a rule
 * before the bad line matched (fuzz_redirects found it was left set). */
static void expect_bad(const char *f, const char *reason) {
  int st = -1;
  assert_int_equal(ev(f, "/x", &st), -EINVAL);
  assert_int_equal(st, 0);
  if (!strstr(err, reason))
    fail_msg("%s: reason \"%s\", want \"%s\"", f, err, reason);
}

static void test_examples(void **state) {
  (void)state;
  expect(examples, "/redirect-one", 301, "/one.html");
  expect(examples, "/301-redirect-one", 301, "/one.html");
  expect(examples, "/302-redirect-two", 302, "/two.html");
  expect(examples, "/200-index", 200, "/index.html");
  expect(examples, "/posts/2022/01/01/hello-world", 301,
         "/articles/2022/01/01/hello-world");
  expect(examples, "/splat/one.html", 301, "/redirected-splat/one.html");
  expect(examples, "/splat/a/b/c", 301, "/redirected-splat/a/b/c");
  expect(examples, "/not-found/has-no-redirects-entry", 404, "/404.html");
  expect(examples, "/gone/x", 410, "/410.html");
  expect(examples, "/unavail/x", 451, "/451.html");
  expect(examples, "/catch-all", 200, "/index.html");
  /* The request's trailing slash is ignored, as boxo trims it. */
  expect(examples, "/redirect-one/", 301, "/one.html");
  /* Too few segments for the placeholders: the catch-all takes it. */
  expect(examples, "/posts/2022/01", 200, "/index.html");
  /* Matching is exact and case-sensitive. */
  expect(examples, "/Redirect-one", 200, "/index.html");
}

static void test_syntax(void **state) {
  (void)state;
  /* CRLF, blank lines, comments, blanks around and between fields. */
  const char *f = "# a comment\r\n\r\n  \t\r\n\t/a \t /b\t302  \r\n"
                  "   # indented comment\n/c /d";
  expect(f, "/a", 302, "/b");
  expect(f, "/c", 301, "/d"); /* no final newline, the default status */
  expect_none(f, "/e");
  expect_none("", "/a");
  expect_none("# only\n\n", "/a");
  /* Every supported status, and URLs of the allowed schemes. */
  static const int codes[] = {200, 301, 302, 303, 307, 308, 404, 410, 451};
  for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
    char line[64];
    snprintf(line, sizeof line, "/a /b %d\n", codes[i]);
    expect(line, "/a", codes[i], "/b");
  }
  expect("/a https://example.net/x?y=1 302", "/a", 302,
         "https://example.net/x?y=1");
  expect("/a HTTP://example.net/", "/a", 301, "HTTP://example.net/");
  expect("/a ipfs://bafy/x", "/a", 301, "ipfs://bafy/x");
  expect("/a ipns://example.org/", "/a", 301, "ipns://example.org/");
  expect_bad("/a +302", "invalid URL scheme"); /* two fields: "+302" is the to */
  expect("/a /b +302", "/a", 302, "/b"); /* strconv.Atoi takes a sign */
  /* The first matching rule wins. */
  expect("/a /first\n/a /second\n", "/a", 301, "/first");
}

static void test_refusals(void **state) {
  (void)state;
  expect_bad("/a\n", "line 1: missing 'to' path");
  expect_bad("/ok /fine\n\n/a /b 301 extra\n",
             "line 3: must match format 'from to [status]'");
  expect_bad("/a /b 301!\n", "forced redirects (or \"shadowing\") are not supported");
  expect_bad("/a /b 999\n", "status code 999 is not supported");
  expect_bad("/a /b 500\n", "status code 500 is not supported");
  expect_bad("/a /b 2OO\n", "parsing status \"2OO\": invalid syntax");
  expect_bad("/a /b -\n", "invalid syntax");
  expect_bad("/a /b 99999999999999999999\n", "is not supported");
  expect_bad("a /b\n", "parsing 'from': path must begin with '/'");
  expect_bad("/a*/b /c\n", "path must end with asterisk");
  expect_bad("/a/** /c\n", "path can have at most one asterisk");
  expect_bad("/a%zz /c\n", "invalid URL escape \"%zz\"");
  expect_bad("/a% /c\n", "invalid URL escape");
  expect_bad("/a /c%4\n", "parsing 'to': invalid URL escape");
  expect_bad("/a example.net/x\n", "parsing 'to': invalid URL scheme");
  expect_bad("/a javascript:alert(1)\n", "invalid URL scheme");
  expect_bad("/a //\x01 \n", "invalid control character in URL");
  expect_bad("/:x/:y/:x /b\n", "placeholder \":x\" used more than once");
  /* A bad line anywhere refuses the file, even after a matching rule. */
  expect_bad("/x /y\n/bad\n", "line 2: missing 'to' path");
  /* The query of a to is not unescaped by Go: "%zz" there is fine. */
  expect("/a /b?c=%zz", "/a", 301, "/b?c=%zz");
  /* NUL bytes: in a field they are control bytes, in a comment nothing. */
  static const char nul[] = "/a\0b /c\n";
  int st;
  assert_int_equal(gw__redirects_eval(nul, sizeof nul - 1, "/a", 2, &st, to,
                                      sizeof to, err, sizeof err), -EINVAL);
  assert_non_null(strstr(err, "control character"));
  static const char cnul[] = "# \0 comment\n/a /c\n";
  assert_int_equal(gw__redirects_eval(cnul, sizeof cnul - 1, "/a", 2, &st, to,
                                      sizeof to, err, sizeof err), 1);
  assert_string_equal(to, "/c");
}

static void test_size_cap(void **state) {
  (void)state;
  char *f = malloc(GW_REDIRECTS_FILE_MAX + 2);
  assert_non_null(f);
  /* Exactly 64 KiB of comments, one rule at the end: fine. */
  memset(f, '#', GW_REDIRECTS_FILE_MAX);
  memcpy(f + GW_REDIRECTS_FILE_MAX - 8, "\n/a /b\n", 7);
  f[GW_REDIRECTS_FILE_MAX - 1] = '\n';
  int st;
  assert_int_equal(gw__redirects_eval(f, GW_REDIRECTS_FILE_MAX, "/a", 2, &st,
                                      to, sizeof to, err, sizeof err), 1);
  assert_string_equal(to, "/b");
  /* One byte more: refused, with the words the suite looks for. */
  f[GW_REDIRECTS_FILE_MAX] = '\n';
  assert_int_equal(gw__redirects_eval(f, GW_REDIRECTS_FILE_MAX + 1, "/a", 2,
                                      &st, to, sizeof to, err, sizeof err),
                   TR_ETOOBIG);
  assert_string_equal(err, "redirects file size cannot exceed 65536 bytes");
  assert_int_equal(st, 0);
  /* One line of 64 KiB: a from that long parses and matches nothing. */
  f[0] = '/';
  memset(f + 1, 'a', GW_REDIRECTS_FILE_MAX - 4);
  memcpy(f + GW_REDIRECTS_FILE_MAX - 3, " /b", 3);
  assert_int_equal(gw__redirects_eval(f, GW_REDIRECTS_FILE_MAX, "/a", 2, &st,
                                      to, sizeof to, err, sizeof err), 0);
  /* Placeholders past their cap: refused, not checked pairwise. */
  size_t o = 0;
  for (int i = 0; i <= GW_REDIRECTS_PARAMS_MAX; i++)
    o += (size_t)snprintf(f + o, 64, "/:p%d", i);
  memcpy(f + o, " /b\n", 4);
  assert_int_equal(gw__redirects_eval(f, o + 4, "/a", 2, &st, to, sizeof to,
                                      err, sizeof err), -EINVAL);
  assert_non_null(strstr(err, "more than 64 placeholders"));
  free(f);
}

static void test_matching(void **state) {
  (void)state;
  /* ucarion/urlpath's rules. */
  const char *f = "/a/* /splat/:splat\n";
  expect_none(f, "/a");
  expect_none(f, "/a/"); /* the trailing slash is cut first */
  expect(f, "/a/b", 301, "/splat/b");
  expect(f, "/a/b/c/", 301, "/splat/b/c");
  expect_none(f, "/ab");
  expect_none("/* /x/:splat", "/"); /* the root: "" has no slash to split */
  expect("/a/ /b", "/a", 301, "/b");       /* from's trailing slash too */
  expect_none("/a/:b /c", "/a/x/y");
  expect_none("/a/:b /c", "/a");
  expect_none("/a/:b /c/:b", "/a/"); /* "/a/" is "/a": one segment short */
  expect_none("/a* /b", "/ab");             /* a splat is a segment */
  expect("/a* /b", "/a*", 301, "/b");
  expect("/a/:b/c /x", "/a//c", 301, "/x"); /* an empty segment */
  /* A placeholder may repeat in to; ":splat" with no splat is empty. */
  expect("/p/:id /q/:id/:id/:splat", "/p/7", 301, "/q/7/7/");
  /* The longest name that fits wins: ":ab" is not ":a" then "b". */
  expect("/:a/:ab /:ab-:a-:abc", "/1/2", 301, "/2-1-2c");
  /* A colon that names nothing stays. */
  expect("/:a /x::a:z", "/1", 301, "/x:1:z");
}

static void test_expansion_hostile(void **state) {
  (void)state;
  /* What a placeholder captures is encoded where it lands: CR LF cannot
   * become a header line, "?" and "#" not a query or a fragment. */
  expect("/:a /b/:a", "/x\r\nSet-Cookie: y", 301, "/b/x%0D%0ASet-Cookie:%20y");
  expect("/:a /b?c=:a", "/x&admin=1", 301, "/b?c=x%26admin%3D1");
  expect("/:a /b/:a", "/q?#", 301, "/b/q%3F%23");
  expect("/s/* /t/:splat", "/s/a b/c%d", 301, "/t/a%20b/c%25d");
  expect("/:a /:a", "/\xc3\xa9", 301, "/%C3%A9");
  /* A target that would expand past its cap is refused. */
  static char f[GW_REDIRECTS_FILE_MAX];
  size_t o = (size_t)snprintf(f, sizeof f, "/* /");
  while (o < 2000)
    o += (size_t)snprintf(f + o, sizeof f - o, ":splat");
  char path[1024] = "/";
  memset(path + 1, 'x', sizeof path - 2);
  path[sizeof path - 1] = 0;
  int st;
  assert_int_equal(gw__redirects_eval(f, o, path, strlen(path), &st, to,
                                      sizeof to, err, sizeof err), TR_EBUFSIZE);
  assert_int_equal(st, 0);
  assert_non_null(strstr(err, "longer than"));
  /* A tiny out buffer. */
  char small[4];
  assert_int_equal(gw__redirects_eval("/a /bcdef", 9, "/a", 2, &st, small,
                                      sizeof small, err, sizeof err),
                   TR_EBUFSIZE);
}

static void test_location(void **state) {
  (void)state;
  char out[256];
  assert_int_equal(gw__redirects_location("/one.html", "", out, sizeof out), 0);
  assert_string_equal(out, "/one.html");
  assert_int_equal(gw__redirects_location("/one.html", NULL, out, sizeof out), 0);
  assert_string_equal(out, "/one.html");
  /* The request's query is kept. */
  assert_int_equal(gw__redirects_location("/t", "a=1&b=2", out, sizeof out), 0);
  assert_string_equal(out, "/t?a=1&b=2");
  /* The rule's own parameters stay, unless the request names them. */
  assert_int_equal(gw__redirects_location("/t?s=1&a=0&k", "a=1", out, sizeof out), 0);
  assert_string_equal(out, "/t?s=1&k&a=1");
  assert_int_equal(gw__redirects_location("https://e.net/t?x=1#frag", "y=2",
                                          out, sizeof out), 0);
  assert_string_equal(out, "https://e.net/t?x=1&y=2#frag");
  assert_int_equal(gw__redirects_location("/t#f", "y", out, sizeof out), 0);
  assert_string_equal(out, "/t?y#f");
  /* Bytes that may not stand in a header's URL are encoded. */
  assert_int_equal(gw__redirects_location("/caf\xc3\xa9\"<x>", "q=a b\r\n",
                                          out, sizeof out), 0);
  assert_string_equal(out, "/caf%C3%A9%22%3Cx%3E?q=a%20b%0D%0A");
  assert_int_equal(gw__redirects_location("/long", "", out, 5), TR_EBUFSIZE);
  assert_int_equal(gw__redirects_location("/l", "abc", out, 5), TR_EBUFSIZE);
  assert_int_equal(gw__redirects_location("/l", "", out, 0), TR_EBUFSIZE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_examples),       cmocka_unit_test(test_syntax),
      cmocka_unit_test(test_refusals),       cmocka_unit_test(test_size_cap),
      cmocka_unit_test(test_matching),       cmocka_unit_test(test_expansion_hostile),
      cmocka_unit_test(test_location),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_multipart.c — the streaming multipart/form-data parser
 * (gateway/multipart.h): bodies shaped exactly as kubo-rpc-client and curl
 * send them, every split of the input into two feeds and byte-by-byte
 * feeding (a delimiter cut anywhere), data that looks like a delimiter
 * without being one, preamble/epilogue, header limits, malformed input and
 * allocation failure; each split also fed with the hints rpc_mp_clean
 * takes (the loop's search of each piece), which change nothing, while a
 * false one is believed.
 */
#include "testutil.h"

#include "../rpc/multipart.h"

/* ------------------------------------------------------------- helpers */

enum { HINT_NONE, HINT_TRUE, HINT_LIE };

/* The hint for a piece, as rpc_upload.c's loop makes it: clean up to the
 * first whole delimiter in it; HINT_LIE: all of it. */
static void hint_piece(rpc_mp_t *p, int hint, const uint8_t *piece, size_t n) {
  size_t dl;
  const char *d = rpc_mp_delim(p, &dl);
  const uint8_t *q = hint == HINT_TRUE ? memmem(piece, n, d, dl) : NULL;
  if (hint != HINT_NONE)
    rpc_mp_clean(p, q ? (size_t)(q - piece) + dl - 1 : n);
}

/* Run the parser over body, fed in pieces of at most step bytes (0 =
 * whole), with hints of the kind hint, and write a transcript: "P<name>|<filename>|<type>|<abspath>\n"
 * for each part, then its bytes, then "\nE\n" at its end and "END" at the
 * end of the body.  Returns the final error code (0 if the body was
 * complete and well-formed). */
static int run(const char *ct, const void *body, size_t len, size_t step,
               int hint, tr_bytes_t *out) {
  rpc_mp_t p;
  int rc = rpc_mp_init(&p, ct, 256);
  if (rc)
    return rc;
  const uint8_t *b = body;
  size_t off = 0;
  int last = 0;
  while (rc >= 0) {
    size_t n = step && len - off > step ? step : len - off;
    /* A heap copy of exactly this piece, so ASan sees over-reads and views
     * used after their call. */
    uint8_t *piece = malloc(n ? n : 1);
    memcpy(piece, b + off, n);
    hint_piece(&p, hint, piece, n);
    size_t pos = 0;
    for (;;) {
      rpc_mp_event_t ev;
      size_t used;
      rc = rpc_mp_feed(&p, piece + pos, n - pos, &used, &ev);
      assert_true(used <= n - pos);
      pos += used;
      if (rc <= 0)
        break;
      char line[512];
      switch (rc) {
      case RPC_MP_PART:
        assert_true(last == 0 || last == RPC_MP_PART_END);
        snprintf(line, sizeof line, "P%s|%s|%s|%s\n", ev.part.name,
                 ev.part.filename ? ev.part.filename : "(none)",
                 ev.part.content_type,
                 ev.part.abspath ? ev.part.abspath : "");
        assert_int_equal(tr_bytes_append(out, line, strlen(line)), 0);
        break;
      case RPC_MP_DATA:
        assert_true(last == RPC_MP_PART || last == RPC_MP_DATA);
        assert_true(ev.len > 0);
        assert_int_equal(tr_bytes_append(out, ev.data, ev.len), 0);
        break;
      case RPC_MP_PART_END:
        assert_true(last == RPC_MP_PART || last == RPC_MP_DATA);
        assert_int_equal(tr_bytes_append(out, "\nE\n", 3), 0);
        break;
      case RPC_MP_END:
        assert_true(last == 0 || last == RPC_MP_PART_END);
        assert_int_equal(tr_bytes_append(out, "END", 3), 0);
        break;
      }
      last = rc;
    }
    assert_true(rc < 0 || pos == n);
    free(piece);
    off += n;
    if (off == len || rc < 0)
      break;
  }
  if (rc >= 0)
    rc = rpc_mp_finish(&p);
  rpc_mp_free(&p);
  return rc;
}

/* The transcript of body fed whole must equal want; so must the transcript
 * for every two-piece split and byte-by-byte feeding. */
static void check_all_splits(const char *ct, const char *body, size_t len,
                             const char *want, int want_rc) {
  tr_bytes_t t = {0};
  assert_int_equal(run(ct, body, len, 0, HINT_NONE, &t), want_rc);
  if (want) {
    assert_int_equal(t.len, strlen(want));
    assert_memory_equal(t.data, want, t.len);
  }
  for (size_t step = 0; step <= 7; step++) {
    for (int hint = step ? HINT_NONE : HINT_TRUE; hint <= HINT_TRUE; hint++) {
      tr_bytes_t u = {0};
      assert_int_equal(run(ct, body, len, step, hint, &u), want_rc);
      assert_int_equal(u.len, t.len);
      if (t.len)
        assert_memory_equal(u.data, t.data, t.len);
      tr_bytes_free(&u);
    }
  }
  /* Every split into two pieces: feed [0,k) and [k,len). */
  for (size_t k = 0; k <= len; k++) {
    rpc_mp_t p;
    tr_bytes_t u = {0};
    assert_int_equal(rpc_mp_init(&p, ct, 256), 0);
    int rc = 0;
    const uint8_t *pieces[2] = {(const uint8_t *)body, (const uint8_t *)body + k};
    size_t lens[2] = {k, len - k};
    for (int i = 0; i < 2 && rc >= 0; i++) {
      uint8_t *copy = malloc(lens[i] ? lens[i] : 1);
      memcpy(copy, pieces[i], lens[i]);
      hint_piece(&p, k % 2 ? HINT_TRUE : HINT_NONE, copy, lens[i]);
      size_t pos = 0;
      for (;;) {
        rpc_mp_event_t ev;
        size_t used;
        rc = rpc_mp_feed(&p, copy + pos, lens[i] - pos, &used, &ev);
        pos += used;
        if (rc <= 0)
          break;
        if (rc == RPC_MP_DATA)
          assert_int_equal(tr_bytes_append(&u, ev.data, ev.len), 0);
      }
      free(copy);
    }
    if (rc >= 0)
      rc = rpc_mp_finish(&p);
    assert_int_equal(rc, want_rc);
    rpc_mp_free(&p);
    tr_bytes_free(&u);
  }
  tr_bytes_free(&t);
}

#define CT "multipart/form-data; boundary=-----------------------------XyZ"
#define B "-----------------------------XyZ"

/* --------------------------------------------------------------- tests */

static void test_boundary(void **state) {
  (void)state;
  char b[RPC_MP_MAX_BOUNDARY + 1];
  assert_int_equal(rpc_mp_boundary("multipart/form-data; boundary=abc", b, sizeof b), 0);
  assert_string_equal(b, "abc");
  assert_int_equal(rpc_mp_boundary("Multipart/Form-Data;charset=utf-8;BOUNDARY=\"a b;c\"", b, sizeof b), 0);
  assert_string_equal(b, "a b;c");
  assert_int_equal(rpc_mp_boundary("multipart/mixed; boundary = x ; other=1", b, sizeof b), 0);
  assert_string_equal(b, "x");
  assert_int_equal(rpc_mp_boundary("application/json; boundary=abc", b, sizeof b), TR_EMULTIPART);
  assert_int_equal(rpc_mp_boundary("multipart/form-data", b, sizeof b), TR_EMULTIPART);
  assert_int_equal(rpc_mp_boundary("multipart/form-data; boundary=", b, sizeof b), TR_EMULTIPART);
  assert_int_equal(rpc_mp_boundary("multipart/form-data; boundary=\"abc", b, sizeof b), TR_EMULTIPART);
  assert_int_equal(rpc_mp_boundary(NULL, b, sizeof b), TR_EMULTIPART);
  char ct[200];
  /* 70 characters is the RFC 2046 maximum; 71 is refused. */
  snprintf(ct, sizeof ct, "multipart/form-data; boundary=%070d", 7);
  assert_int_equal(rpc_mp_boundary(ct, b, sizeof b), 0);
  assert_int_equal(strlen(b), 70);
  snprintf(ct, sizeof ct, "multipart/form-data; boundary=%071d", 7);
  assert_int_equal(rpc_mp_boundary(ct, b, sizeof b), TR_EMULTIPART);
  rpc_mp_t p;
  assert_int_equal(rpc_mp_init(&p, "text/plain", 0), TR_EMULTIPART);
}

/* A body exactly as kubo-rpc-client's multipart-request.node.js writes it
 * for addAll([{path:'dir/a.txt', content}, {path:'dir/e'}]). */
static void test_kubo_rpc_client_shape(void **state) {
  (void)state;
  static const char body[] =
      "--" B "\r\n"
      "Content-Disposition: form-data; name=\"file\"; filename=\"dir%2Fa.txt\"\r\n"
      "Content-Type: application/octet-stream\r\n"
      "\r\n"
      "hello\nworld"
      "\r\n"
      "--" B "\r\n"
      "Content-Disposition: form-data; name=\"dir-1\"; filename=\"dir%2Fe\"\r\n"
      "Content-Type: application/x-directory\r\n"
      "\r\n"
      "\r\n--" B "--\r\n";
  const char *want = "Pfile|dir%2Fa.txt|application/octet-stream|\nhello\nworld\nE\n"
                     "Pdir-1|dir%2Fe|application/x-directory|\n\nE\nEND";
  check_all_splits(CT, body, sizeof body - 1, want, 0);
}

/* curl -F: a preamble-free body, a token name, a quoted filename with an
 * escaped quote and a ';', an Abspath header, mixed-case header names, an
 * epilogue after the closing delimiter, and transport padding. */
static void test_curl_shape_and_quoting(void **state) {
  (void)state;
  static const char body[] =
      "this preamble is ignored\r\n"
      "--b1  \t\r\n"
      "content-disposition: form-data; name=data; filename=\"a \\\"q\\\";b.bin\"\r\n"
      "CONTENT-TYPE: Application/Octet-Stream; charset=binary\r\n"
      "Abspath: /home/x/a.bin\r\n"
      "X-Other: ignored\r\n"
      "\r\n"
      "\r\n--b\r\n--b1x"
      "\r\n--b1--"
      "epilogue \r\n--b1\r\n is ignored too";
  const char *want = "Pdata|a \"q\";b.bin|application/octet-stream|/home/x/a.bin\n"
                     "\r\n--b\r\n--b1x\nE\nEND";
  check_all_splits("multipart/form-data; boundary=b1", body, sizeof body - 1,
                   want, 0);
}

/* Data full of near-misses: CRs, "\r\n-", "\r\n--b" prefixes cut short,
 * a CR right before the real delimiter, and a part with no headers. */
static void test_near_delimiters(void **state) {
  (void)state;
  static const char body[] =
      "--abcabd\r\n"
      "\r\n"
      "\r\r\n\r\n-\r\n--\r\n--a\r\n--abcab\r\n--abcabc\r\n--abcab\r\r\n--abcabc"
      "\r\n--abcabdX\r\n--abcabd-x\r\n--abcabd-"
      "\r\n--abcabd\r\n"
      "Content-Disposition: form-data; name=\"x\"\r\n"
      "\r\n"
      "\r\n--abcabd--";
  const char *want = "P|(none)||\n\r\r\n\r\n-\r\n--\r\n--a\r\n--abcab\r\n--abcabc"
                     "\r\n--abcab\r\r\n--abcabc\r\n--abcabdX\r\n--abcabd-x"
                     "\r\n--abcabd-\nE\nPx|(none)||\n\nE\nEND";
  check_all_splits("multipart/form-data; boundary=abcabd", body,
                   sizeof body - 1, want, 0);
}

/* The hint is believed: a body declared clean whole has its delimiters
 * skipped (so the hints above were used, not ignored), and a hint counts
 * from the next byte fed, over calls. */
static void test_clean_hint_believed(void **state) {
  (void)state;
  static const char body[] = "--q\r\n\r\nab\r\n--q\r\n\r\ncd\r\n--q--";
  const char *ct = "multipart/form-data; boundary=q";
  tr_bytes_t t = {0};
  assert_int_equal(run(ct, body, sizeof body - 1, 0, HINT_LIE, &t), TR_ETRUNC);
  tr_bytes_free(&t);
  /* Fed in two calls, the hint moves with the bytes consumed: "ab" then
   * the delimiter after it are searched as usual past the hint. */
  rpc_mp_t p;
  assert_int_equal(rpc_mp_init(&p, ct, 0), 0);
  rpc_mp_clean(&p, 12); /* "--q\r\n\r\nab\r\n--q" holds no whole "\r\n--q" */
  size_t off = 0, used, parts = 0;
  rpc_mp_event_t ev;
  int rc;
  while ((rc = rpc_mp_feed(&p, (const uint8_t *)body + off,
                           sizeof body - 1 - off, &used, &ev)) > 0) {
    off += used;
    parts += rc == RPC_MP_PART_END;
  }
  assert_int_equal(rc, 0);
  assert_int_equal(parts, 2);
  assert_int_equal(rpc_mp_finish(&p), 0);
  rpc_mp_free(&p);
}

/* The first delimiter may come after a CRLF (some clients send one). */
static void test_leading_crlf_and_empty(void **state) {
  (void)state;
  static const char body[] = "\r\n--q\r\n\r\nx\r\n--q--";
  check_all_splits("multipart/form-data; boundary=q", body, sizeof body - 1,
                   "P|(none)||\nx\nE\nEND", 0);
  /* A body with no parts at all. */
  check_all_splits("multipart/form-data; boundary=q", "--q--", 5, "END", 0);
}

/* A large part fed in big pieces comes out as views, byte for byte. */
static void test_large_part(void **state) {
  (void)state;
  size_t n = 3u << 20;
  tr_bytes_t body = {0};
  const char *head = "--zz9\r\nContent-Disposition: form-data; name=\"file\"; "
                     "filename=\"big\"\r\n\r\n";
  assert_int_equal(tr_bytes_append(&body, head, strlen(head)), 0);
  uint8_t *data = malloc(n);
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    /* plenty of CR LF '-' 'z' to tempt the matcher */
    static const char alpha[] = "\r\n-z\r\n-zab";
    data[i] = (uint8_t)alpha[x % 10]; /* never "\r\n--zz9" */
  }
  assert_int_equal(tr_bytes_append(&body, data, n), 0);
  assert_int_equal(tr_bytes_append(&body, "\r\n--zz9--\r\n", 11), 0);
  static const size_t steps[] = {0, 65536, 4093, 1};
  for (size_t s = 0; s < TR_ARRAY_LEN(steps); s++) {
    tr_bytes_t t = {0};
    assert_int_equal(run("multipart/form-data; boundary=zz9", body.data,
                         body.len, steps[s], s % 2 ? HINT_TRUE : HINT_NONE,
                         &t),
                     0);
    const char *p0 = "Pfile|big||\n";
    assert_int_equal(t.len, strlen(p0) + n + 3 + 3);
    assert_memory_equal(t.data + strlen(p0), data, n);
    tr_bytes_free(&t);
  }
  free(data);
  tr_bytes_free(&body);
}

static void test_errors(void **state) {
  (void)state;
  const char *ct = "multipart/form-data; boundary=q";
  /* Truncated: inside data, inside headers, before any delimiter. */
  check_all_splits(ct, "--q\r\n\r\nabc", 10, NULL, TR_ETRUNC);
  check_all_splits(ct, "--q\r\nContent-Type: x", 20, NULL, TR_ETRUNC);
  check_all_splits(ct, "nothing here", 12, NULL, TR_ETRUNC);
  check_all_splits(ct, "", 0, NULL, TR_ETRUNC);
  /* Junk after a delimiter; a header line without a colon; a NUL. */
  check_all_splits(ct, "--q \tX\r\n\r\n\r\n--q--", 18, NULL, TR_EMULTIPART);
  check_all_splits(ct, "--q\rX\r\n\r\n--q--", 14, NULL, TR_EMULTIPART);
  /* "--qX" is no delimiter: it is preamble, and the body is empty. */
  check_all_splits(ct, "--qX\r\n\r\n\r\n--q--", 16, "END", 0);
  /* Not a delimiter at all (Go's rule): the body never starts. */
  check_all_splits(ct, "--q-x\r\n\r\nabc", 12, NULL, TR_ETRUNC);
  check_all_splits(ct, "--q\r\nno colon\r\n\r\n\r\n--q--", 25, NULL,
                   TR_EMULTIPART);
  check_all_splits(ct, "--q\r\nA: b\0c\r\n\r\n\r\n--q--", 23, NULL,
                   TR_EMULTIPART);
  /* Headers over the limit (256 bytes in these tests). */
  char big[400];
  int n = snprintf(big, sizeof big, "--q\r\nX-Long: %0250d\r\n\r\nx\r\n--q--",
                   1);
  check_all_splits(ct, big, (size_t)n, NULL, TR_ETOOBIG);
  /* Errors are sticky. */
  rpc_mp_t p;
  assert_int_equal(rpc_mp_init(&p, ct, 0), 0);
  rpc_mp_event_t ev;
  size_t used;
  assert_int_equal(rpc_mp_feed(&p, (const uint8_t *)"--q !", 5, &used, &ev),
                   TR_EMULTIPART);
  assert_int_equal(rpc_mp_feed(&p, (const uint8_t *)"\r\n", 2, &used, &ev),
                   TR_EMULTIPART);
  assert_int_equal(rpc_mp_finish(&p), TR_EMULTIPART);
  rpc_mp_free(&p);
}

static void test_alloc_failure(void **state) {
  (void)state;
  static const char body[] = "--q\r\nA: b\r\n\r\nx\r\n--q--";
  rpc_mp_t p;
  assert_int_equal(rpc_mp_init(&p, "multipart/form-data; boundary=q", 0), 0);
  fm_start(0);
  rpc_mp_event_t ev;
  size_t used, off = 0;
  int rc;
  while ((rc = rpc_mp_feed(&p, (const uint8_t *)body + off, sizeof body - 1 - off,
                          &used, &ev)) > 0)
    off += used;
  fm_reset();
  assert_int_equal(rc, -ENOMEM);
  rpc_mp_free(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_boundary),
      cmocka_unit_test(test_kubo_rpc_client_shape),
      cmocka_unit_test(test_curl_shape_and_quoting),
      cmocka_unit_test(test_near_delimiters),
      cmocka_unit_test(test_clean_hint_believed),
      cmocka_unit_test(test_leading_crlf_and_empty),
      cmocka_unit_test(test_large_part),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_alloc_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

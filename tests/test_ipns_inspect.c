/*
 * test_ipns_inspect.c — `name inspect` (dht/ipns_inspect.h).
 *
 * Known answers: what Kubo 0.43.1's `ipfs name inspect FILE` and `ipfs
 * name inspect --dump=false --verify NAME FILE` printed (no daemon) for
 * each record of tests/vectors/ipns/, in tests/vectors/ipns/inspect/
 * (the record that Kubo refuses, the V1-only one, is refused here too);
 * the Value lines Kubo printed for records made here with odd values
 * (paths to clean, unknown namespaces, binary CIDs, bytes to quote); Go's
 * strconv.Quote and hex.Dump on their edge cases (go1.26 printed them).
 * Then the validation's words against the wrong names and past the EOL,
 * the command's errors, and allocation failures.
 *
 * Run from the repository root: vectors are read from tests/vectors/ipns/.
 */
#include "ipns_util.h"

#include <dirent.h>

#include "../dht/ipns_inspect.h"

#define VEC "tests/vectors/ipns/"

/* b as a C string, to compare. */
static int put_nul(tr_bytes_t *b) { return tr_bytes_append(b, "", 1); }

/* The name a vector is named after (its file name up to '_' or '.'). */
static void vec_name(const char *file, char *out, size_t cap) {
  const char *s = file;
  if (!strncmp(s, "tooling_", 8))
    s += 8;
  if (!strncmp(s, "kubo-0.43.1_", 12))
    s += 12;
  size_t n = strcspn(s, "_.");
  assert_true(n < cap);
  memcpy(out, s, n);
  out[n] = 0;
}

static void text_of(const uint8_t *b, size_t n, const char *verify,
                    bool dump, dht_ipns_time_t now, tr_bytes_t *out) {
  dht_ipns_inspect_t in;
  char err[128];
  assert_int_equal(dht_ipns_inspect(b, n, verify, dump, now, &in, err,
                                    sizeof err),
                   0);
  assert_int_equal(dht_ipns_inspect_text(&in, out), 0);
  dht_ipns_inspect_free(&in);
}

static void test_kubo_text(void **state) {
  (void)state;
  DIR *d = opendir(VEC);
  assert_non_null(d);
  struct dirent *e;
  int seen = 0, refused = 0;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l < 12 || strcmp(e->d_name + l - 12, ".ipns-record"))
      continue;
    char path[512], want_path[512], name[128];
    snprintf(path, sizeof path, VEC "%s", e->d_name);
    snprintf(want_path, sizeof want_path, VEC "inspect/%.*s.txt",
             (int)(l - 12), e->d_name);
    vec_name(e->d_name, name, sizeof name);
    size_t n, wn;
    uint8_t *b = slurp(path, &n);
    FILE *f = fopen(want_path, "rb");
    if (!f) { /* Kubo refused it: so must trove */
      dht_ipns_inspect_t in;
      char err[128];
      assert_int_equal(dht_ipns_inspect(b, n, NULL, true, NOW, &in, err,
                                        sizeof err),
                       TR_EIPNS);
      assert_string_equal(err, "record is malformed");
      refused++;
      free(b);
      continue;
    }
    fclose(f);
    uint8_t *want = slurp(want_path, &wn);
    tr_bytes_t got = {0};
    text_of(b, n, NULL, true, NOW, &got);
    text_of(b, n, name, false, NOW, &got);
    if (got.len != wn || memcmp(got.data, want, wn))
      fail_msg("%s: got\n%.*s\nwant\n%.*s", e->d_name, (int)got.len,
               (const char *)got.data, (int)wn, (const char *)want);
    tr_bytes_free(&got);
    free(want);
    free(b);
    seen++;
  }
  closedir(d);
  assert_int_equal(seen, 16);
  assert_int_equal(refused, 1);
}

/* Records made here (V1+V2 and V2 only) with the values given: the Value
 * line Kubo printed for each, or none when boxo refuses the path. */
static void test_values(void **state) {
  (void)state;
  static const struct {
    const char *value;
    size_t len;
    const char *line; /* NULL: no Value line */
  } cases[] = {
#define V(s) s, sizeof s - 1
      {V("/ipfs/bafkqaaa"), "\"/ipfs/bafkqaaa\""},
      {V("/ipfs/bafkqaaa/a/../b/"), "\"/ipfs/bafkqaaa/b/\""},
      {V("//ipfs//bafkqaaa//"), "\"/ipfs/bafkqaaa/\""},
      {V("/ipfs/bafkqaaa/../../.."), NULL},
      {V("/ipns/./x/."), "\"/ipns/x\""},
      {V("/ipns/example.com"), "\"/ipns/example.com\""},
      {V("/ipld/bafkqaaa/x"), "\"/ipld/bafkqaaa/x\""},
      {V("/foo/bar"), NULL},
      {V("/ipfs/notacid"), NULL},
      {V("/ipfs"), NULL},
      {V("/ipfs/"), NULL},
      {V(""), "\"/ipfs/bafkqaaa\""},
      {V("/ipfs/BAFKQAAA"), "\"/ipfs/BAFKQAAA\""},
      {V("/ipfs/QmYtUc4iTCbbfVSDNKvtQqrfyezPPnFvE33wFmutw9PBBk"),
       "\"/ipfs/QmYtUc4iTCbbfVSDNKvtQqrfyezPPnFvE33wFmutw9PBBk\""},
      {V("\x01\x55\x00\x00"), "\"/ipfs/bafkqaaa\""}, /* a binary CID */
      {V("\x12\x20\x01\x02"), NULL},                 /* cut short */
      {V("/ipfs/bafkqaaa/\x00z"), "\"/ipfs/bafkqaaa/\\x00z\""},
      {V("/ipns/a\"b\\c\t"), "\"/ipns/a\\\"b\\\\c\\t\""},
      {V("/ipns/x/\xc3\xa9/\xc2\xa0/\x01\xff"),
       "\"/ipns/x/\xc3\xa9/\\u00a0/\\x01\\xff\""},
      {V("/ipns/\xe2\x80\xa8\xef\xbb\xbf\xee\x80\x80\xf3\xb0\x80\x80"),
       "\"/ipns/\\u2028\\ufeff\\ue000\\U000f0000\""},
#undef V
  };
  net_privkey_t sk;
  seed_key(&sk, 7);
  for (size_t i = 0; i < TR_ARRAY_LEN(cases); i++)
    for (unsigned flags = 0; flags <= DHT_IPNS_V2_ONLY; flags++) {
      tr_bytes_t rec = {0}, got = {0};
      dht_ipns_time_t eol = {NOW.sec + HOUR, 0};
      assert_int_equal(dht_ipns_create(&sk, (const uint8_t *)cases[i].value,
                                       cases[i].len, 1, eol, 0, flags, &rec),
                       0);
      text_of(rec.data, rec.len, NULL, false, NOW, &got);
      assert_int_equal(put_nul(&got), 0);
      const char *t = (const char *)got.data;
      if (!cases[i].line) {
        assert_true(strncmp(t, "Value:", 6) != 0);
      } else {
        char want[256];
        snprintf(want, sizeof want, "Value:          %s\n", cases[i].line);
        assert_true(!strncmp(t, want, strlen(want)));
      }
      assert_non_null(strstr(t, flags ? "Signature Type: V2\n"
                                      : "Signature Type: V1+V2\n"));
      tr_bytes_free(&rec);
      tr_bytes_free(&got);
    }
}

static void test_go_quote(void **state) {
  (void)state;
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"abc", "\"abc\""},
      {"\"\\", "\"\\\"\\\\\""},
      {"\xc3\xa9", "\"\xc3\xa9\""},
      {"\xc2\x85", "\"\\u0085\""},
      {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},
      {"\xc2\xad", "\"\\u00ad\""},
      {"\xe2\x80\x8b", "\"\\u200b\""},
      {"a\xc3", "\"a\\xc3\""},
      {"\xed\xa0\x80", "\"\\xed\\xa0\\x80\""}, /* a surrogate */
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(cases); i++) {
    tr_bytes_t o = {0};
    assert_int_equal(dht_go_quote(cases[i].in, strlen(cases[i].in), &o), 0);
    assert_int_equal(put_nul(&o), 0);
    assert_string_equal((const char *)o.data, cases[i].out);
    tr_bytes_free(&o);
  }
  tr_bytes_t o = {0};
  assert_int_equal(dht_go_quote("\n\t\x01\x7f\x00\a\b\f\r\v", 10, &o), 0);
  assert_int_equal(put_nul(&o), 0);
  assert_string_equal((const char *)o.data,
                      "\"\\n\\t\\x01\\x7f\\x00\\a\\b\\f\\r\\v\"");
  tr_bytes_free(&o);
}

static void test_hex_dump(void **state) {
  (void)state;
  static const struct {
    size_t n;
    const char *out;
  } cases[] = {
      {0, ""},
      {1, "00000000  30                                                |0|\n"},
      {8, "00000000  30 37 3e 45 4c 53 5a 61                           "
          "|07>ELSZa|\n"},
      {15, "00000000  30 37 3e 45 4c 53 5a 61  68 6f 76 7d 84 8b 92     "
           "|07>ELSZahov}...|\n"},
      {17, "00000000  30 37 3e 45 4c 53 5a 61  68 6f 76 7d 84 8b 92 99  "
           "|07>ELSZahov}....|\n"
           "00000010  a0                                                "
           "|.|\n"},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(cases); i++) {
    uint8_t b[32];
    for (size_t j = 0; j < sizeof b; j++)
      b[j] = (uint8_t)(0x30 + j * 7);
    tr_bytes_t o = {0};
    assert_int_equal(dht_hex_dump(b, cases[i].n, &o), 0);
    assert_int_equal(put_nul(&o), 0);
    assert_string_equal((const char *)o.data, cases[i].out);
    tr_bytes_free(&o);
  }
}

/* boxo's words for what ValidateWithName refuses. */
static void test_reasons(void **state) {
  (void)state;
  static const char ED[] = "kubo-0.43.1_k51qzi5uqu5dlnvrbpztmtqr9ftdqpia88t"
                           "qjqnzvq9ym00wtpiol3rjt8sml4.ipns-record",
                    RSA[] = "kubo-0.43.1_k2k4r8ph6mjaqxb65opssmdu8o21ak13uzw"
                            "i6ro1cnlozbufa3npnsef.ipns-record",
                    ED_NAME[] = "k51qzi5uqu5dlnvrbpztmtqr9ftdqpia88tqjqnzvq9"
                                "ym00wtpiol3rjt8sml4",
                    RSA_NAME[] = "k2k4r8ph6mjaqxb65opssmdu8o21ak13uzwi6ro1cn"
                                 "lozbufa3npnsef";
  static const struct {
    const char *file, *name;
    int64_t later; /* seconds past NOW */
    const char *reason;
  } cases[] = {
      {ED, ED_NAME, 0, ""},
      {ED, ED_NAME, 200 * 365 * 86400LL, "record is expired"},
      {ED, RSA_NAME, 0, "public key is not embedded in peer ID"},
      {RSA, ED_NAME, 0, "record public key does not match the expected "
                        "public key"},
      {ED, "k51qzi5uqu5dit2ku9mutlfgwyz8u730on38kd10m97m36bjt66my99hb6103f",
       0, "signature verification failed"},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(cases); i++) {
    char path[256];
    snprintf(path, sizeof path, VEC "%s", cases[i].file);
    size_t n;
    uint8_t *b = slurp(path, &n);
    dht_ipns_inspect_t in;
    char err[128];
    dht_ipns_time_t now = {NOW.sec + cases[i].later, 0};
    assert_int_equal(dht_ipns_inspect(b, n, cases[i].name, false, now, &in,
                                      err, sizeof err),
                     0);
    assert_true(in.verified);
    assert_int_equal(in.valid, !cases[i].reason[0]);
    assert_string_equal(in.reason, cases[i].reason);
    assert_string_equal(in.name, cases[i].name);
    assert_null(in.hexdump);
    dht_ipns_inspect_free(&in);
    free(b);
  }
}

/* The command's own errors: no record, too big, not a name. */
static void test_errors(void **state) {
  (void)state;
  dht_ipns_inspect_t in;
  char err[128];
  static uint8_t big[DHT_INSPECT_READ_MAX];
  assert_int_equal(dht_ipns_inspect(big, sizeof big, NULL, true, NOW, &in,
                                    err, sizeof err),
                   TR_ETOOBIG);
  assert_string_equal(err, "record exceeds allowed size limit");
  assert_int_equal(dht_ipns_inspect((const uint8_t *)"hello", 5, NULL, true,
                                    NOW, &in, err, sizeof err),
                   TR_EIPNS);
  assert_int_equal(dht_ipns_inspect(big, 0, NULL, true, NOW, &in, err,
                                    sizeof err),
                   TR_EIPNS);
  net_privkey_t sk;
  seed_key(&sk, 3);
  tr_bytes_t rec = {0};
  make(&sk, 0, HOUR, 0, &rec);
  assert_int_equal(dht_ipns_inspect(rec.data, rec.len, "bogus", true, NOW,
                                    &in, err, sizeof err),
                   TR_EPEERID);
  assert_int_equal(strncmp(err, "failed to parse peer ID", 23), 0);
  /* Every allocation may fail: -ENOMEM, nothing leaked. */
  for (long i = 0;; i++) {
    fm_start(i);
    int rc = dht_ipns_inspect(rec.data, rec.len, NULL, true, NOW, &in, err,
                              sizeof err);
    tr_bytes_t t = {0};
    if (!rc) {
      rc = dht_ipns_inspect_text(&in, &t);
      dht_ipns_inspect_free(&in);
    }
    fm_reset();
    tr_bytes_free(&t);
    if (!rc)
      break;
    assert_int_equal(rc, -ENOMEM);
    assert_true(i < 100);
  }
  tr_bytes_free(&rec);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kubo_text), cmocka_unit_test(test_values),
      cmocka_unit_test(test_go_quote),  cmocka_unit_test(test_hex_dump),
      cmocka_unit_test(test_reasons),   cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_multihash.c — dag_mh_parse(), dag_mh_sum(), dag_sha256() and the
 * name table against published vectors:
 *   tests/vectors/multihash/test_cases.csv  multiformats/multihash
 *       tests/values/test_cases.csv, verbatim (sha1, sha2-256, sha2-512,
 *       sha3-512 multihashes at 80..512 bits of five ASCII inputs);
 *   tests/vectors/multihash/readme_examples.txt  the README's example table;
 *   tests/vectors/multihash/sha256_fips180.txt  FIPS 180-2 SHA-256 answers.
 * Each row at its function's full length is computed; truncated sha1 and
 * sha3 rows parse but are not computed (TR_EHASH), and truncated sha2-256
 * rows (80 and 160 bits) are refused with TR_EMULTIHASH: the multihash
 * format allows truncated digests, but cid.h documents that trove takes a
 * sha2-256 digest only at its full 32 bytes.  The functions themselves are
 * test_hashfn.c's; here, the dispatch by code, the lengths and the names
 * (go-multihash's).
 *
 * Run from the repository root: vector paths are relative to it.
 */
#include "testutil.h"

#include "../dag/cid.h"

#define MH_DIR "tests/vectors/multihash/"

/* Parse with the input in a heap block of exactly len bytes (ASan). */
static int parse_exact(const uint8_t *in, size_t len, uint64_t *code,
                       size_t *dlen, size_t *doff) {
  uint8_t *copy = malloc(len ? len : 1);
  if (len)
    memcpy(copy, in, len);
  const uint8_t *dig = NULL;
  int rc = dag_mh_parse(copy, len, code, &dig, dlen);
  if (rc >= 0 && doff)
    *doff = (size_t)(dig - copy);
  free(copy);
  return rc;
}

/* ------------------------------------------------------ test_cases.csv */

static void test_published_test_cases(void **state) {
  (void)state;
  FILE *f = fopen(MH_DIR "test_cases.csv", "r");
  if (!f)
    fail_msg("cannot open " MH_DIR "test_cases.csv (run from repo root)");
  char line[512];
  int rows = 0, computed = 0, refused = 0;
  assert_non_null(fgets(line, sizeof line, f)); /* header */
  assert_true(!strncmp(line, "algorithm,bits,input,multihash", 30));
  while (fgets(line, sizeof line, f)) {
    char alg[32], input[128], hex[300];
    int bits;
    if (sscanf(line, "%31[^,],%d,%127[^,],%299s", alg, &bits, input, hex) != 4)
      fail_msg("bad row: %s", line);
    uint64_t want_code = 0;
    int full = 0; /* the function's digest length, in bits */
    if (!strcmp(alg, "sha1"))
      want_code = 0x11, full = 160;
    else if (!strcmp(alg, "sha2-256"))
      want_code = 0x12, full = 256;
    else if (!strcmp(alg, "sha2-512"))
      want_code = 0x13, full = 512;
    else if (!strcmp(alg, "sha3"))
      want_code = 0x14, full = 512; /* the generator's "sha3" is sha3-512 */
    else
      fail_msg("unknown algorithm %s", alg);
    uint8_t mh[160];
    size_t len = unhex(hex, mh, sizeof mh);
    uint64_t code = 0;
    size_t dlen = 0, doff = 0;
    int rc = parse_exact(mh, len, &code, &dlen, &doff);
    rows++;
    if ((want_code == DAG_MH_SHA2_256 && bits != 256) ||
        (want_code == DAG_MH_SHA2_512 && bits != 512)) {
      assert_int_equal(rc, TR_EMULTIHASH);
      refused++;
      continue;
    }
    if (rc != (int)len)
      fail_msg("%s/%d %s: parse gave %d", alg, bits, hex, rc);
    assert_true(code == want_code);
    assert_int_equal(dlen, (size_t)bits / 8);
    assert_int_equal(doff, 2);
    /* The generator hashed the input column as ASCII text.  A truncated
     * digest parses, but trove does not compare prefixes. */
    uint8_t out[DAG_MH_MAX];
    rc = dag_mh_sum_len(want_code, dlen, input, strlen(input), out,
                        sizeof out);
    if (bits == full) {
      assert_int_equal(rc, (int)len);
      assert_memory_equal(out, mh, len);
      rc = dag_mh_sum(want_code, input, strlen(input), out, sizeof out);
      assert_int_equal(rc, (int)len);
      assert_memory_equal(out, mh, len);
      computed++;
    } else {
      assert_int_equal(rc, TR_EHASH);
    }
  }
  fclose(f);
  assert_int_equal(rows, 260);
  assert_int_equal(computed, 80); /* sha1, sha2-256, sha2-512, sha3-512 */
  assert_int_equal(refused, 100); /* sha2 digests of another length */
}

/* ------------------------------------------------ README example table */

static void test_readme_examples(void **state) {
  (void)state;
  FILE *f = fopen(MH_DIR "readme_examples.txt", "r");
  assert_non_null(f);
  char line[512];
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || line[0] == '\n')
      continue;
    char text[64], hex[160], b32[160], b58[160], b64[160];
    assert_int_equal(sscanf(line, "%63s %159s %159s %159s %159s", text, hex,
                            b32, b58, b64),
                     5);
    uint8_t mh[80], dec[80];
    size_t len = unhex(hex, mh, sizeof mh), dlen;
    uint64_t code;
    size_t digest_len;
    assert_int_equal(parse_exact(mh, len, &code, &digest_len, NULL), (int)len);
    /* Base32 upper padded is multibase 'C'; base64 padded is 'M'. */
    char s[200];
    snprintf(s, sizeof s, "C%s", b32);
    assert_int_equal(dag_mb_decode(s, strlen(s), dec, sizeof dec, &dlen, NULL),
                     0);
    assert_int_equal(dlen, len);
    assert_memory_equal(dec, mh, len);
    assert_true(dag_mb_encode('C', mh, len, s, sizeof s) > 0);
    assert_string_equal(s + 1, b32);
    assert_int_equal(dag_b58_decode(b58, strlen(b58), dec, sizeof dec, &dlen),
                     0);
    assert_int_equal(dlen, len);
    assert_memory_equal(dec, mh, len);
    assert_true(dag_b58_encode(mh, len, s, sizeof s) > 0);
    assert_string_equal(s, b58);
    snprintf(s, sizeof s, "M%s", b64);
    assert_int_equal(dag_mb_decode(s, strlen(s), dec, sizeof dec, &dlen, NULL),
                     0);
    assert_int_equal(dlen, len);
    assert_memory_equal(dec, mh, len);
    uint8_t out[DAG_MH_MAX];
    int rc = dag_mh_sum(code, text, strlen(text), out, sizeof out);
    assert_true(code == DAG_MH_SHA2_256 || code == DAG_MH_SHA1);
    assert_int_equal(rc, (int)len);
    assert_memory_equal(out, mh, len);
    n++;
  }
  fclose(f);
  assert_int_equal(n, 2);
  /* The README's binary example: sha1, a 4-byte digest. */
  const uint8_t bin[] = {0x11, 0x04, 0xb6, 0xf8, 0x5c, 0xb5};
  uint64_t code;
  size_t dl;
  assert_int_equal(parse_exact(bin, sizeof bin, &code, &dl, NULL), 6);
  assert_true(code == 0x11 && dl == 4);
}

static void test_sha256_fips180(void **state) {
  (void)state;
  FILE *f = fopen(MH_DIR "sha256_fips180.txt", "r");
  assert_non_null(f);
  char line[512];
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#')
      continue;
    char in_hex[300], want_hex[80];
    assert_int_equal(sscanf(line, "%299s %79s", in_hex, want_hex), 2);
    uint8_t in[150], want[32], got[32];
    size_t len = strcmp(in_hex, "-") ? unhex(in_hex, in, sizeof in) : 0;
    assert_int_equal(unhex(want_hex, want, sizeof want), 32);
    dag_sha256(in, len, got);
    assert_memory_equal(got, want, 32);
    n++;
  }
  fclose(f);
  assert_int_equal(n, 3);
}

/* ------------------------------------------------------------ identity */

static void test_identity(void **state) {
  (void)state;
  uint8_t data[DAG_MH_IDENTITY_MAX + 1];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)i;
  uint8_t out[DAG_MH_MAX];
  assert_int_equal(dag_mh_sum(DAG_MH_IDENTITY, "abc", 3, out, sizeof out), 5);
  assert_memory_equal(out, "\x00\x03" "abc", 5);
  assert_int_equal(dag_mh_sum(DAG_MH_IDENTITY, NULL, 0, out, sizeof out), 2);
  assert_memory_equal(out, "\x00\x00", 2);
  /* The limit: 128 bytes (two-byte length varint 0x80 0x01), not 129. */
  assert_int_equal(dag_mh_sum(DAG_MH_IDENTITY, data, 128, out, sizeof out),
                   131);
  assert_memory_equal(out, "\x00\x80\x01", 3);
  uint64_t code;
  size_t dlen, doff;
  assert_int_equal(parse_exact(out, 131, &code, &dlen, &doff), 131);
  assert_true(code == 0 && dlen == 128 && doff == 3);
  assert_int_equal(dag_mh_sum(DAG_MH_IDENTITY, data, 129, out, sizeof out),
                   TR_ETOOBIG);
  uint8_t big[140] = {0x00, 0x81, 0x01};
  assert_int_equal(parse_exact(big, sizeof big, &code, &dlen, NULL),
                   TR_EMULTIHASH);
}

/* ----------------------------------------------------------- bad input */

typedef struct bad_case {
  const char *hex;
  int want;
  const char *why;
} bad_case_t;

static const bad_case_t bad_cases[] = {
    {"", TR_ETRUNC, "empty"},
    {"12", TR_ETRUNC, "no length"},
    {"1220", TR_ETRUNC, "no digest"},
    {"122000010203040506070809101112131415161718192021222324252627282930",
     TR_ETRUNC, "sha2-256 digest one byte short (31 of 32)"},
    {"1221000102030405060708091011121314151617181920212223242526272829303132",
     TR_EMULTIHASH, "sha2-256 with a 33-byte digest"},
    {"121f00010203040506070809101112131415161718192021222324252627282930",
     TR_EMULTIHASH, "sha2-256 with a 31-byte digest"},
    {"1200", TR_EMULTIHASH, "sha2-256 with an empty digest"},
    {"80", TR_ETRUNC, "code varint truncated"},
    {"9200", TR_EVARINT, "code 0x12 non-minimal"},
    {"128000", TR_EVARINT, "length varint non-minimal"},
    {"12a000", TR_EVARINT, "length 32 non-minimal"},
    {"1181", TR_ETRUNC, "length varint truncated"},
    {"0081010000", TR_EMULTIHASH, "identity over 128 bytes"},
    {"00ffffffffffffffff7f", TR_EMULTIHASH, "length 2^63-1"},
    {"00ffffffffffffffffff01", TR_EVARINT, "length over 9 bytes"},
    {"ffffffffffffffffff0100", TR_EVARINT, "code over 9 bytes"},
    {"110a0102", TR_ETRUNC, "sha1/80 with 2 of 10 digest bytes"},
};

static void test_bad_input(void **state) {
  (void)state;
  for (size_t i = 0; i < TR_ARRAY_LEN(bad_cases); i++) {
    const bad_case_t *c = &bad_cases[i];
    uint8_t in[64];
    size_t len = unhex(c->hex, in, sizeof in);
    uint64_t code = 77;
    size_t dlen = 77;
    int rc = parse_exact(in, len, &code, &dlen, NULL);
    if (rc != c->want)
      fail_msg("%s (%s): got %d (%s), want %s", c->hex, c->why, rc,
               tr_errname(rc), tr_errname(c->want));
    /* Failure leaves the out-parameters alone. */
    assert_true(code == 77 && dlen == 77);
  }
}

/* A multihash is read from the front of a stream: bytes after it are left
 * for the caller. */
static void test_trailing_bytes(void **state) {
  (void)state;
  uint8_t in[40] = {0x12, 0x20};
  memset(in + 2, 0xee, 38);
  uint64_t code;
  size_t dlen;
  assert_int_equal(parse_exact(in, sizeof in, &code, &dlen, NULL), 34);
  /* A function trove does not compute is fine to parse, not to compute:
   * md5 (0xd5), and blake2b-152, below verifcid's 20 bytes. */
  const uint8_t md5[19] = {0xd5, 0x01, 0x10};
  assert_int_equal(parse_exact(md5, sizeof md5, &code, &dlen, NULL), 19);
  assert_true(code == 0xd5);
  uint8_t out[DAG_MH_MAX];
  assert_int_equal(dag_mh_sum(0xd5, "x", 1, out, sizeof out), TR_EHASH);
  assert_int_equal(dag_mh_sum(0xb213, "x", 1, out, sizeof out), TR_EHASH);
  assert_int_equal(dag_mh_sum(0xb214, "x", 1, out, sizeof out), 24);
  assert_int_equal(dag_mh_sum(DAG_MH_SHA2_512, "x", 1, out, sizeof out), 66);
  /* The XOFs at other lengths; the fixed ones at theirs alone. */
  assert_int_equal(dag_mh_sum(DAG_MH_BLAKE3, "x", 1, out, sizeof out), 34);
  assert_int_equal(
      dag_mh_sum_len(DAG_MH_BLAKE3, 128, "x", 1, out, sizeof out), 131);
  assert_int_equal(
      dag_mh_sum_len(DAG_MH_BLAKE3, 129, "x", 1, out, sizeof out), TR_EHASH);
  assert_int_equal(
      dag_mh_sum_len(DAG_MH_BLAKE3, 0, "x", 1, out, sizeof out), TR_EHASH);
  assert_int_equal(dag_mh_sum(DAG_MH_SHAKE_256, "x", 1, out, sizeof out), 66);
  assert_int_equal(
      dag_mh_sum_len(DAG_MH_SHAKE_256, 20, "x", 1, out, sizeof out), 22);
  assert_int_equal(
      dag_mh_sum_len(DAG_MH_SHAKE_256, 65, "x", 1, out, sizeof out), TR_EHASH);
  assert_int_equal(
      dag_mh_sum_len(0x1b, 20, "x", 1, out, sizeof out), TR_EHASH);
}

static void test_sum_buffer(void **state) {
  (void)state;
  uint8_t out[34];
  assert_int_equal(dag_mh_sum(DAG_MH_SHA2_256, "x", 1, out, 33), TR_EBUFSIZE);
  assert_int_equal(dag_mh_sum(DAG_MH_SHA2_256, "x", 1, out, 34), 34);
  assert_int_equal(dag_mh_sum(DAG_MH_IDENTITY, "xyz", 3, out, 4), TR_EBUFSIZE);
  assert_int_equal(dag_mh_sum(DAG_MH_IDENTITY, "xyz", 3, out, 5), 5);
}

static void test_names(void **state) {
  (void)state;
  const uint64_t codes[] = {DAG_MH_IDENTITY, DAG_MH_SHA2_256, DAG_MH_SHA2_512,
                            DAG_MH_BLAKE3,   0x11,            0x14,
                            0x17,            0x19,            0x1b,
                            0x56,            0xb214,          0xb220,
                            0xb240,          0x1d,            0xb260};
  const char *names[] = {"identity",     "sha2-256",    "sha2-512",
                         "blake3",       "sha1",        "sha3-512",
                         "sha3-224",     "shake-256",   "keccak-256",
                         "dbl-sha2-256", "blake2b-160", "blake2b-256",
                         "blake2b-512",  "keccak-512",  "blake2s-256"};
  for (size_t i = 0; i < TR_ARRAY_LEN(codes); i++) {
    assert_string_equal(dag_mh_name(codes[i]), names[i]);
    uint64_t c = 999;
    assert_int_equal(dag_mh_from_name(names[i], &c), 0);
    assert_true(c == codes[i]);
  }
  /* go-multihash names more than it computes: Kubo writes those names
   * (cid inspect, cid format -f %h); trove computes none of them. */
  const struct {
    uint64_t code;
    const char *name;
  } named[] = {{0xd5, "md5"},         {0xb213, "blake2b-152"},
               {0x1a, "keccak-224"},  {0x1c, "keccak-384"},
               {0xb25f, "blake2s-248"}, {0xb241, "blake2s-8"},
               {0xb201, "blake2b-8"}, {0x18, "shake-128"},
               {0x22, "murmur3-x64-64"}, {0x1100, "x11"},
               {0x1012, "sha2-256-trunc254-padded"},
               {0xb401, "poseidon-bls12_381-a2-fc1"}};
  for (size_t i = 0; i < TR_ARRAY_LEN(named); i++) {
    assert_string_equal(dag_mh_name(named[i].code), named[i].name);
    uint64_t c = 999;
    assert_int_equal(dag_mh_from_name(named[i].name, &c), TR_EHASH);
  }
  assert_string_equal(dag_mh_name(0x13ab), "unknown");
  assert_string_equal(dag_mh_name(0xb200), "unknown");
  assert_string_equal(dag_mh_name(0x1013), "unknown"); /* sha2-224: not in
                                                          go-multihash */
  uint64_t c = 999;
  assert_int_equal(dag_mh_from_name("md5", &c), TR_EHASH);
  assert_int_equal(dag_mh_from_name("blake2b-152", &c), TR_EHASH);
  assert_int_equal(dag_mh_from_name("", &c), TR_EHASH);
  assert_int_equal(dag_mh_from_name("SHA2-256", &c), TR_EHASH);
  assert_true(c == 999);
}

/* Kubo's `cid hashes`: the 73 names boxo's verifcid allows, by code; the
 * 59 trove computes are among them, and every one of those hashes. */
static void test_nth(void **state) {
  (void)state;
  uint64_t code, last = 0;
  const char *name;
  size_t n = 0;
  for (; dag_mh_nth(n, false, &code, &name); n++) {
    assert_true(n == 0 || code > last);
    assert_string_equal(dag_mh_name(code), name);
    last = code;
  }
  assert_int_equal(n, 73);
  assert_true(dag_mh_nth(0, false, &code, &name) && code == 0);
  assert_true(dag_mh_nth(72, false, &code, &name) && code == 0xb260);
  uint8_t out[DAG_MH_MAX];
  for (n = 0; dag_mh_nth(n, true, &code, &name); n++) {
    uint64_t c;
    assert_int_equal(dag_mh_from_name(name, &c), 0);
    assert_true(c == code);
    assert_true(dag_mh_sum(code, "x", 1, out, sizeof out) > 0);
  }
  assert_int_equal(n, 59);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nth),
      cmocka_unit_test(test_published_test_cases),
      cmocka_unit_test(test_readme_examples),
      cmocka_unit_test(test_sha256_fips180),
      cmocka_unit_test(test_identity),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_trailing_bytes),
      cmocka_unit_test(test_sum_buffer),
      cmocka_unit_test(test_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

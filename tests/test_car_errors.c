/*
 * test_car_errors.c — the CAR reader (dag/car.h) on input it must refuse:
 * go-car/js-car's broken samples, headers that are not strict
 * {"roots": [CID...], "version": 1} DAG-CBOR, malformed sections, CARv2
 * headers with impossible offsets, and the header and section limits,
 * which must be enforced before anything is allocated.  Each case is fed
 * whole and byte by byte, and both must fail the same way.  (Split from
 * test_car.c to keep both files a readable size.)
 *
 * Run from the repository root: fixtures are read from tests/vectors/car/.
 */
#include "car_test.h"

/* ------------------------------------------------------ broken samples */

static void test_rejected_samples(void **state) {
  (void)state;
  static const struct {
    const char *name;
    int rc;
    bool at_feed;
  } cases[] = {
      {"sample-rootless-v42.car", TR_ECAR, true},     /* {"version": 42} */
      {"sample-corrupt-pragma.car", TR_ETRUNC, false}, /* 18 of 15 bytes */
      {"badheaderlength.car", TR_ETOOBIG, true},
      {"badsectionlength.car", TR_ETOOBIG, true},
  };
  for (size_t k = 0; k < TR_ARRAY_LEN(cases); k++) {
    size_t len;
    uint8_t *car = load(cases[k].name, &len);
    big_req = 0;
    tr_mem_set(&cnt_mem);
    run_t run = feed_whole(car, len);
    tr_mem_set(NULL);
    if (run.rc != cases[k].rc)
      fail_msg("%s: %s, want %s", cases[k].name, tr_errname(run.rc),
               tr_errname(cases[k].rc));
    assert_int_equal(run.feed_error, cases[k].at_feed);
    /* The huge lengths were refused before any buffer was sized for them
     * (badsectionlength.car's 17-byte header took one 4 KiB buffer). */
    assert_true(big_req <= 4096);
    assert_int_equal(run.nblocks, 0);
    run_free(&run);
    free(car);
  }
}

/* ----------------------------------------------------- malformed input */

#define R " 65 726f6f7473 "               /* "roots" */
#define V " 67 76657273696f6e "           /* "version" */
#define LINK " d82a 45 00 01550000 "      /* identity raw CID, empty */
#define SHA "1220 6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"

static void test_bad_headers(void **state) {
  (void)state;
  static const struct {
    const char *hdr; /* header block, without its length */
    int rc;
    size_t nroots;
  } cases[] = {
      {"a2" R "80" V "01", 0, 0},                    /* no roots: accepted */
      {"a2" R "81" LINK V "01", 0, 1},
      {"a2" V "01" R "82" LINK LINK, 0, 2},          /* key order: either */
      {"a2" R "81 d82a 58 23 00" SHA V "01", 0, 1},  /* CIDv0 root */
      {"81 01", TR_ECAR, 0},                         /* not a map */
      {"01", TR_ECAR, 0},
      {"a2" R "80" V "03", TR_ECAR, 0},              /* version 3 */
      {"a2" R "80" V "02", TR_ECAR, 0},              /* 2, not the pragma */
      {"a1" V "01", TR_ECAR, 0},                     /* roots missing */
      {"a1" R "80", TR_ECAR, 0},                     /* version missing */
      {"a2" R "81 01" V "01", TR_ECAR, 0},           /* roots not CIDs */
      {"a2" R "81 45 0001550000" V "01", TR_ECAR, 0},   /* untagged */
      {"a2" R "81 d82b 45 0001550000" V "01", TR_ECAR, 0}, /* tag 43 */
      {"a2" R "81 d82a 44 01550000" V "01", TR_ECAR, 0},   /* no 0x00 */
      {"a2" R "81 d82a 46 0001550000 00" V "01", TR_ECAR, 0}, /* trailing */
      {"a2" R "81 d82a 45 0002550000" V "01", TR_ECAR, 0}, /* CID version 2 */
      {"a2" R "81 d82a 41 00" V "01", TR_ECAR, 0},        /* empty CID */
      {"a2" R "01" V "01", TR_ECAR, 0},              /* roots not a list */
      {"a2" R "9b 00ffffffffffffff" V "01", TR_ECAR, 0}, /* huge count */
      {"a3" R "80" V "01 61 78 01", TR_ECAR, 0},     /* a third key */
      {"a2" R "80 63 666f6f 01", TR_ECAR, 0},        /* unknown key */
      {"a2" V "01" V "01", TR_ECAR, 0},              /* duplicate key */
      {"a2" R "80" V "18 01", TR_ECAR, 0},           /* non-minimal int */
      {"a2 78 05 726f6f7473 80" V "01", TR_ECAR, 0}, /* non-minimal key */
      {"a2" R "81 d82a 58 05 0001550000" V "01", TR_ECAR, 0},
      {"a2" R "80" V "20", TR_ECAR, 0},              /* version -1 */
      {"a2" R "80" V "61 31", TR_ECAR, 0},           /* version "1" */
      {"a2" R "80" V "f9 3c00", TR_ECAR, 0},         /* version 1.0 */
      {"a2" R "80" V "01 00", TR_ECAR, 0},           /* trailing bytes */
      {"bf" R "80" V "01 ff", TR_ECAR, 0},           /* indefinite map */
      {"a2" R "9f ff" V "01", TR_ECAR, 0},           /* indefinite list */
      {"a2" R "80 67 76657273696f", TR_ECAR, 0},     /* cut inside */
  };
  for (size_t k = 0; k < TR_ARRAY_LEN(cases); k++) {
    uint8_t body[256];
    size_t n = hexs(cases[k].hdr, body, sizeof body);
    char hex[600];
    int w = snprintf(hex, sizeof hex, "%02zx", n);
    for (size_t i = 0; i < n; i++)
      w += snprintf(hex + w, sizeof hex - (size_t)w, "%02x", body[i]);
    run_t r = run_hex(hex, NULL);
    if (r.rc != cases[k].rc)
      fail_msg("case %zu (%s): %s", k, cases[k].hdr, tr_errname(r.rc));
    if (r.rc == 0) {
      assert_int_equal(r.n, 1 + cases[k].nroots);
      assert_int_equal(nth(&r, DAG_CAR_HEADER, 0)->header.nroots,
                       cases[k].nroots);
    } else {
      assert_int_equal(r.n, 0); /* nothing announced from a bad header */
    }
    run_free(&r);
  }
  /* A zero header length. */
  run_t r = run_hex("00", NULL);
  assert_int_equal(r.rc, TR_ECAR);
  run_free(&r);
  /* The header limit, checked on the varint. */
  dag_car_opts_t o = {.max_header = 17};
  r = run_hex("11 a2" R "80" V "01", &o);
  assert_int_equal(r.rc, 0);
  run_free(&r);
  o.max_header = 16;
  r = run_hex("11", &o);
  assert_int_equal(r.rc, TR_ETOOBIG);
  run_free(&r);
}

#define HDR0 "11 a2" R "80" V "01" /* a CARv1 header with no roots */

static void test_bad_sections(void **state) {
  (void)state;
  static const struct {
    const char *sec;
    int rc;
  } cases[] = {
      {"04 01550000", 0},                     /* empty identity block */
      {"06 01550000 ab cd", 0},
      {"22" SHA, 0},                          /* CIDv0, empty block */
      {"00", TR_ECAR},                        /* zero length */
      {"80 00", TR_EVARINT},                  /* non-minimal length */
      {"ffffffffffffffff ff 01", TR_EVARINT}, /* 10-byte varint */
      {"05 02550000 00", TR_ECID},            /* CID version 2 */
      {"03 015512", TR_ECID},                 /* CID longer than section */
      {"05 0155 1201 00", TR_ECID},           /* sha2-256 of 1 byte */
      {"04 01550000 04 01550001", TR_ECID},   /* digest runs past */
      {"06 01550000", TR_ETRUNC},             /* block cut short */
      {"86", TR_ETRUNC},                      /* varint cut short */
  };
  for (size_t k = 0; k < TR_ARRAY_LEN(cases); k++) {
    char hex[300];
    snprintf(hex, sizeof hex, "%s %s", HDR0, cases[k].sec);
    run_t r = run_hex(hex, NULL);
    if (r.rc != cases[k].rc)
      fail_msg("case %zu (%s): %s", k, cases[k].sec, tr_errname(r.rc));
    run_free(&r);
  }
  /* The section limit: at the limit the varint is accepted (the reader
   * then waits for the bytes), one over is refused before allocating. */
  uint8_t v[16];
  char hex[64];
  size_t n = dag_varint_put(v, DAG_CAR_MAX_SECTION);
  int w = snprintf(hex, sizeof hex, "%s", HDR0 " ");
  for (size_t i = 0; i < n; i++)
    w += snprintf(hex + w, sizeof hex - (size_t)w, "%02x", v[i]);
  run_t r = run_hex(hex, NULL);
  assert_int_equal(r.rc, TR_ETRUNC);
  run_free(&r);
  n = dag_varint_put(v, DAG_CAR_MAX_SECTION + 1);
  w = snprintf(hex, sizeof hex, "%s", HDR0 " ");
  for (size_t i = 0; i < n; i++)
    w += snprintf(hex + w, sizeof hex - (size_t)w, "%02x", v[i]);
  big_req = 0;
  tr_mem_set(&cnt_mem);
  r = run_hex(hex, NULL);
  tr_mem_set(NULL);
  assert_int_equal(r.rc, TR_ETOOBIG);
  assert_true(big_req <= 4096);
  run_free(&r);
  /* A caller's lower limit. */
  dag_car_opts_t o = {.max_section = 6};
  r = run_hex(HDR0 "06 01550000 abcd", &o);
  assert_int_equal(r.rc, 0);
  run_free(&r);
  r = run_hex(HDR0 "07 01550000 abcdef", &o);
  assert_int_equal(r.rc, TR_ETOOBIG);
  run_free(&r);
}

/* A CARv2 around HDR0 + two sections (5 and 14 bytes): 18 + 19 = 37 bytes
 * of payload, with the given header fields and padding. */
static run_t run_v2(uint64_t off, uint64_t size, uint64_t idx, uint8_t ch0,
                    const char *inner, const char *tail, size_t cut) {
  uint8_t buf[512];
  size_t n = hexs("0aa16776657273696f6e02", buf, sizeof buf);
  uint8_t h[40] = {ch0};
  for (int i = 0; i < 8; i++) {
    h[16 + i] = (uint8_t)(off >> (8 * i));
    h[24 + i] = (uint8_t)(size >> (8 * i));
    h[32 + i] = (uint8_t)(idx >> (8 * i));
  }
  memcpy(buf + n, h, 40);
  n += 40;
  while (n < off && n < 100)
    buf[n++] = 0xee; /* padding */
  n += hexs(inner ? inner : HDR0 "04 01550000 0d 01550000 000102030405060708",
            buf + n, sizeof buf - n);
  n += hexs(tail, buf + n, sizeof buf - n);
  if (cut)
    n = cut;
  run_t a = feed_all(buf, n, n, 0, 0, NULL);
  run_t b = feed_all(buf, n, 1, 0, 0, NULL);
  assert_same_events(&a, &b);
  run_free(&b);
  return a;
}

static void test_v2_headers(void **state) {
  (void)state;
  run_t r = run_v2(51, 37, 0, 0, NULL, "", 0);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.nblocks, 2);
  assert_int_equal(r.ev[r.n - 1].type, DAG_CAR_END);
  assert_int_equal(nth(&r, DAG_CAR_BLOCK, 1)->offset, 51 + 18 + 5);
  run_free(&r);
  /* Padding before the payload, an index after it, fully-indexed. */
  r = run_v2(60, 37, 101, 0x80, NULL, "0104 ffffffff", 0);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.nblocks, 2);
  assert_true(nth(&r, DAG_CAR_HEADER, 0)->header.fully_indexed);
  assert_int_equal(nth(&r, DAG_CAR_BLOCK, 0)->offset, 60 + 18);
  run_free(&r);
  static const struct {
    uint64_t off, size;
    const char *inner;
    size_t cut;
    int rc;
  } cases[] = {
      {50, 37, NULL, 0, TR_ECAR},            /* offset inside the header */
      {51, 0, NULL, 0, TR_ECAR},             /* no payload */
      {1ull << 63, 37, NULL, 0, TR_ECAR},    /* beyond int64 */
      {51, UINT64_MAX - 40, NULL, 0, TR_ECAR}, /* range overflows */
      {51, 34, NULL, 0, TR_ECAR},            /* ends inside a section */
      {51, 10, NULL, 0, TR_ECAR},            /* ends inside the header */
      {51, 18, NULL, 0, 0},                  /* just the header: valid */
      {51, 37, "0aa16776657273696f6e02", 0, TR_ECAR}, /* pragma again */
      {51, 37, NULL, 30, TR_ETRUNC},         /* input ends in the v2 header */
      {60, 37, NULL, 55, TR_ETRUNC},         /* input ends in padding */
      {51, 45, NULL, 0, TR_ETRUNC},          /* payload shorter than said */
  };
  for (size_t k = 0; k < TR_ARRAY_LEN(cases); k++) {
    r = run_v2(cases[k].off, cases[k].size, 0, 0, cases[k].inner, "",
               cases[k].cut);
    if (r.rc != cases[k].rc)
      fail_msg("case %zu: %s", k, tr_errname(r.rc));
    run_free(&r);
  }
  /* The payload ends inside a section's two-byte length varint. */
  r = run_v2(51, 19, 0, 0, HDR0 "8001", "", 0);
  assert_int_equal(r.rc, TR_ECAR);
  run_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rejected_samples),
      cmocka_unit_test(test_bad_headers),
      cmocka_unit_test(test_bad_sections),
      cmocka_unit_test(test_v2_headers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

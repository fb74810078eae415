/*
 * test_unixfs.c — the UnixFS Data codec (dag/unixfs.h): known answers
 * produced by js ipfs-unixfs's marshal() (the same bytes boxo's Go protobuf
 * writes), round trips, the blocksizes iterator over packed and unpacked
 * forms, and every rejection the strict decoder promises.
 */
#include "testutil.h"

#include "../dag/unixfs.h"

/* Encode u (+ blocksizes) and compare with hex; then decode it back. */
static void check_encode(const dag_unixfs_t *u, const uint64_t *bs, size_t n,
                         const char *hex) {
  uint8_t want[256], out[256];
  size_t wl = unhex(hex, want, sizeof want);
  int len = dag_unixfs_encode(u, bs, n, out, sizeof out);
  assert_int_equal(len, (int)wl);
  assert_memory_equal(out, want, wl);
  assert_int_equal(dag_unixfs_encoded_size(u, bs, n), wl);
  /* one byte short must not write past the end */
  assert_int_equal(dag_unixfs_encode(u, bs, n, out, wl - 1), TR_EBUFSIZE);
}

static int decode_hex(const char *hex, dag_unixfs_t *u, uint8_t *buf,
                      size_t cap) {
  size_t n = unhex(hex, buf, cap);
  return dag_unixfs_decode(buf, n, u);
}

/* ------------------------------------------------------------ vectors */

static void test_js_vectors(void **state) {
  (void)state;
  dag_unixfs_t u = {0};
  /* new UnixFS({type:'file', data:'hello\n'}).marshal() */
  u.type = DAG_UNIXFS_FILE;
  u.data = (const uint8_t *)"hello\n";
  u.data_len = 6;
  u.has_data = true;
  u.filesize = 6;
  u.has_filesize = true;
  check_encode(&u, NULL, 0, "0802120668656c6c6f0a1806");
  /* an empty file: Data left out, filesize 0 kept */
  u.data_len = 0;
  u.filesize = 0;
  check_encode(&u, NULL, 0, "08021800");
  /* a directory */
  memset(&u, 0, sizeof u);
  u.type = DAG_UNIXFS_DIRECTORY;
  check_encode(&u, NULL, 0, "0801");
  /* an internal file node: filesize then unpacked blocksizes */
  uint64_t bs[] = {262144, 262144, 5};
  memset(&u, 0, sizeof u);
  u.type = DAG_UNIXFS_FILE;
  u.filesize = 524293;
  u.has_filesize = true;
  check_encode(&u, bs, 3, "08021885802020808010208080102005");
  /* a HAMT shard */
  static const uint8_t bf[] = {0x80, 0x00, 0x01};
  memset(&u, 0, sizeof u);
  u.type = DAG_UNIXFS_HAMT;
  u.data = bf;
  u.data_len = 3;
  u.has_data = true;
  u.hash_type = 0x22;
  u.has_hash_type = true;
  u.fanout = 256;
  u.has_fanout = true;
  check_encode(&u, NULL, 0, "080512038000012822308002");
  /* mode and a negative mtime with nanoseconds (10-byte varint) */
  static const uint8_t three[] = {1, 2, 3};
  memset(&u, 0, sizeof u);
  u.type = DAG_UNIXFS_FILE;
  u.data = three;
  u.data_len = 3;
  u.has_data = true;
  u.filesize = 3;
  u.has_filesize = true;
  u.mode = 0755;
  u.has_mode = true;
  u.mtime_sec = -1;
  u.mtime_nsec = 5;
  u.has_mtime = u.has_mtime_nsec = true;
  check_encode(&u, NULL, 0,
               "08021203010203180338ed03421008ffffffffffffffffff011505000000");
  /* a directory with mode 0700 and whole-second mtime */
  memset(&u, 0, sizeof u);
  u.type = DAG_UNIXFS_DIRECTORY;
  u.mode = 0700;
  u.has_mode = true;
  u.mtime_sec = 1700000000;
  u.has_mtime = true;
  check_encode(&u, NULL, 0, "080138c00342060880e2cfaa06");
  /* a symlink, as boxo's SymlinkData writes it (no filesize) */
  memset(&u, 0, sizeof u);
  u.type = DAG_UNIXFS_SYMLINK;
  u.data = (const uint8_t *)"a/b";
  u.data_len = 3;
  u.has_data = true;
  check_encode(&u, NULL, 0, "08041203612f62");
}

static void test_decode_fields(void **state) {
  (void)state;
  uint8_t buf[128];
  dag_unixfs_t u;
  assert_int_equal(decode_hex("08021203010203180338ed03421008ffffffffffffffff"
                              "ff011505000000",
                              &u, buf, sizeof buf),
                   0);
  assert_int_equal(u.type, DAG_UNIXFS_FILE);
  assert_true(u.has_data);
  assert_int_equal(u.data_len, 3);
  assert_memory_equal(u.data, "\1\2\3", 3);
  assert_true(u.has_filesize);
  assert_int_equal(u.filesize, 3);
  assert_true(u.has_mode);
  assert_int_equal(u.mode, 0755);
  assert_true(u.has_mtime && u.has_mtime_nsec);
  assert_true(u.mtime_sec == -1);
  assert_int_equal(u.mtime_nsec, 5);
  assert_int_equal(u.n_blocksizes, 0);

  assert_int_equal(decode_hex("080512038000012822308002", &u, buf, sizeof buf),
                   0);
  assert_int_equal(u.type, DAG_UNIXFS_HAMT);
  assert_true(u.has_hash_type && u.hash_type == 0x22);
  assert_true(u.has_fanout && u.fanout == 256);
  assert_false(u.has_filesize);
  assert_string_equal(dag_unixfs_type_name(u.type), "hamt-sharded-directory");
  assert_string_equal(dag_unixfs_type_name(9), "unknown");
}

/* blocksizes: unpacked, packed (wire type 2) and mixed, in order. */
static void test_blocksizes_iter(void **state) {
  (void)state;
  uint8_t buf[128];
  dag_unixfs_t u;
  /* type, filesize, 3 unpacked, a packed run [1, 300], one more unpacked */
  assert_int_equal(decode_hex("08021885802020808010208080102005"
                              "2203" "01ac02" "2007",
                              &u, buf, sizeof buf),
                   0);
  assert_int_equal(u.n_blocksizes, 6);
  assert_true(u.blocksizes_sum == 262144 * 2 + 5 + 1 + 300 + 7);
  uint64_t want[] = {262144, 262144, 5, 1, 300, 7}, v;
  dag_unixfs_iter_t it;
  dag_unixfs_iter_init(&u, &it);
  for (size_t i = 0; i < 6; i++) {
    assert_true(dag_unixfs_iter_next(&it, &v));
    assert_true(v == want[i]);
  }
  assert_false(dag_unixfs_iter_next(&it, &v));
  /* an empty packed run is legal and yields nothing */
  assert_int_equal(decode_hex("08022200", &u, buf, sizeof buf), 0);
  dag_unixfs_iter_init(&u, &it);
  assert_false(dag_unixfs_iter_next(&it, &v));
}

/* Unknown fields with valid wire types are skipped; field order is free. */
static void test_lenient(void **state) {
  (void)state;
  uint8_t buf[128];
  dag_unixfs_t u;
  /* filesize before Type; unknown field 9 varint, 10 bytes, 11 fixed64,
   * 12 fixed32 */
  assert_int_equal(decode_hex("1805" "0802" "4801" "520161"
                              "590102030405060708" "6501020304",
                              &u, buf, sizeof buf),
                   0);
  assert_int_equal(u.type, DAG_UNIXFS_FILE);
  assert_int_equal(u.filesize, 5);
  /* unknown field inside mtime */
  assert_int_equal(decode_hex("0801420408011801", &u, buf, sizeof buf), 0);
  assert_true(u.has_mtime);
  assert_true(u.mtime_sec == 1);
}

static void test_rejects(void **state) {
  (void)state;
  static const char *const bad[] = {
      "",                       /* no Type */
      "1800",                   /* no Type */
      "0806",                   /* Type 6 does not exist */
      "08020802",               /* Type twice */
      "0a0102",                 /* Type with wire type 2 */
      "0802120568656c6c",       /* Data longer than the input */
      "080212016112016",        /* odd hex: truncated */
      "0802120161120162",       /* Data twice */
      "080218011802",           /* filesize twice */
      "08021a0100",             /* filesize with wire type 2 */
      "080238808080801010",     /* mode over 32 bits */
      "0802420315ffc9",         /* nanoseconds cut short */
      "08024205" "1500ca9a3b",  /* 1000000000 ns: over 999999999 */
      "08024204080108 02",      /* Seconds twice (hex skips the space) */
      "0802" "18ffffffffffffffffffff01", /* 11-byte varint */
      "0802" "188100",          /* non-minimal varint */
      "0802" "1880808080808080808002", /* bits past 64 */
      "0802" "4b",              /* a group start */
      "0802" "5c",              /* a group end */
      "0802" "00",              /* field number 0 */
      "0802" "2203ac02",        /* packed run shorter than its length */
      "0802" "2202ac",          /* packed varint cut short */
      "0802" "24",              /* blocksizes with wire type 4 */
      "0802" "2a0101",          /* hashType with wire type 2 */
      "0802" "42",              /* mtime without a length */
      "0802" "42051501000000",  /* mtime without Seconds */
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++) {
    char hex[128];
    size_t k = 0;
    for (const char *p = bad[i]; *p; p++)
      if (*p != ' ')
        hex[k++] = *p;
    hex[k & ~(size_t)1] = 0; /* whole bytes only */
    uint8_t buf[64];
    size_t n = unhex(hex, buf, sizeof buf);
    /* exact-size heap copy so that ASan sees any over-read */
    uint8_t *in = malloc(n ? n : 1);
    memcpy(in, buf, n);
    dag_unixfs_t u;
    int rc = dag_unixfs_decode(in, n, &u);
    if (rc != TR_EUNIXFS)
      fail_msg("case %zu (%s): got %d, want TR_EUNIXFS", i, bad[i], rc);
    free(in);
  }
}

/* Blocksizes that overflow 64 bits in sum are refused. */
static void test_blocksizes_overflow(void **state) {
  (void)state;
  uint8_t buf[64];
  dag_unixfs_t u;
  /* 2^63 + 2^63 */
  assert_int_equal(decode_hex("0802" "2080808080808080808001"
                              "2080808080808080808001",
                              &u, buf, sizeof buf),
                   TR_EUNIXFS);
}

/* Every prefix of a valid message other than at field boundaries fails,
 * and no prefix reads past its end (ASan). */
static void test_truncations(void **state) {
  (void)state;
  uint8_t full[64];
  size_t n = unhex("08021203010203180338ed03421008ffffffffffffffffff011505000000",
                   full, sizeof full);
  /* field boundaries: after 0802, after Data, after filesize, after mode */
  size_t ok[] = {2, 7, 9, 12, n};
  for (size_t len = 0; len <= n; len++) {
    uint8_t *in = malloc(len ? len : 1);
    memcpy(in, full, len);
    dag_unixfs_t u;
    int rc = dag_unixfs_decode(in, len, &u);
    bool boundary = false;
    for (size_t k = 0; k < TR_ARRAY_LEN(ok); k++)
      boundary |= ok[k] == len;
    if (boundary)
      assert_int_equal(rc, 0);
    else
      assert_int_equal(rc, TR_EUNIXFS);
    free(in);
  }
}

/* Encode what decode read: the canonical messages survive unchanged. */
static void test_roundtrip(void **state) {
  (void)state;
  static const char *const msgs[] = {
      "0802120668656c6c6f0a1806", "08021800", "0801",
      "08021885802020808010208080102005", "080512038000012822308002",
      "08021203010203180338ed03421008ffffffffffffffffff011505000000",
      "080138c00342060880e2cfaa06", "08041203612f62", "08001201091801"};
  for (size_t i = 0; i < TR_ARRAY_LEN(msgs); i++) {
    uint8_t in[128], out[128];
    size_t n = unhex(msgs[i], in, sizeof in);
    dag_unixfs_t u;
    assert_int_equal(dag_unixfs_decode(in, n, &u), 0);
    uint64_t bs[16];
    size_t k = 0;
    dag_unixfs_iter_t it;
    dag_unixfs_iter_init(&u, &it);
    while (k < 16 && dag_unixfs_iter_next(&it, &bs[k]))
      k++;
    assert_int_equal(k, u.n_blocksizes);
    int len = dag_unixfs_encode(&u, bs, k, out, sizeof out);
    assert_int_equal(len, (int)n);
    assert_memory_equal(out, in, n);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_js_vectors),
      cmocka_unit_test(test_decode_fields),
      cmocka_unit_test(test_blocksizes_iter),
      cmocka_unit_test(test_lenient),
      cmocka_unit_test(test_rejects),
      cmocka_unit_test(test_blocksizes_overflow),
      cmocka_unit_test(test_truncations),
      cmocka_unit_test(test_roundtrip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

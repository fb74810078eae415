/*
 * test_ipns_rules.c — the rest of dht/ipns.h's tests (test_ipns.c has the
 * known answers and boxo's sign/tamper/expiry tests): the rules on the
 * signed DAG-CBOR data (reserved keys, kinds, a negative TTL, 13 kinds of
 * malformed CBOR), boxo's TestOrdering for record selection, RFC 3339
 * timestamps as Go reads and writes them, the /pk/ validator, and
 * allocation-failure sweeps.
 */
#include "ipns_util.h"

#include "../dag/cbor.h"

#include <sodium.h>

static void sign_data(const net_privkey_t *sk, const tr_bytes_t *d,
                      tr_bytes_t *out) {
  uint8_t msg[2048], sig[64];
  assert_true(d->len + 15 <= sizeof msg);
  memcpy(msg, "ipns-signature:", 15);
  memcpy(msg + 15, d->data, d->len);
  net_sign(sk, msg, 15 + d->len, sig);
  dht_ipns_record_t r;
  memset(&r, 0, sizeof r);
  r.has = DHT_IPNS_HAS_SIG_V2 | DHT_IPNS_HAS_DATA;
  r.signature_v2 = (dht_ipns_bytes_t){sig, 64};
  r.data = (dht_ipns_bytes_t){d->data, d->len};
  out->len = 0;
  assert_int_equal(dht_ipns_marshal(&r, out), 0);
}

/* The data map's entries, as (key, kind, value) built in order. */
static void put_entry_bytes(tr_bytes_t *d, const char *k, const char *v) {
  assert_int_equal(dag_cbor_put_text(d, k, strlen(k)), 0);
  assert_int_equal(dag_cbor_put_bytes(d, v, strlen(v)), 0);
}
static void put_entry_int(tr_bytes_t *d, const char *k, int64_t v) {
  assert_int_equal(dag_cbor_put_text(d, k, strlen(k)), 0);
  assert_int_equal(dag_cbor_put_int(d, v), 0);
}

static void test_data_rules(void **state) {
  (void)state;
  net_privkey_t sk;
  seed_key(&sk, 9);
  uint8_t key[DHT_IPNS_KEY_MAX];
  size_t kl;
  net_peerid_t id;
  key_of(&sk, key, &kl, &id);
  tr_bytes_t d = {0}, r = {0};
  const char *eol = "2026-01-01T01:00:00Z";

  /* Extension keys (the spec's "Extensible Data") are signed and allowed;
   * a negative TTL is not (boxo's TestValidateRejectsNegativeTTL). */
  for (int ttl = 1; ttl >= -1; ttl -= 2) {
    d.len = 0;
    assert_int_equal(dag_cbor_put_head(&d, 5, 6), 0);
    put_entry_int(&d, "TTL", ttl);
    assert_int_equal(dag_cbor_put_text(&d, "_ext", 4), 0);
    assert_int_equal(dag_cbor_put_text(&d, "hello", 5), 0);
    put_entry_bytes(&d, "Value", PATH);
    put_entry_int(&d, "Sequence", 1);
    put_entry_bytes(&d, "Validity", eol);
    put_entry_int(&d, "ValidityType", 0);
    sign_data(&sk, &d, &r);
    assert_int_equal(dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL),
                     ttl < 0 ? TR_EIPNS : 0);
  }

  /* No TTL, or a TTL of another kind: ignored (boxo reads it only to
   * refuse a negative one).  No Sequence: valid, but cannot be selected. */
  d.len = 0;
  assert_int_equal(dag_cbor_put_head(&d, 5, 3), 0);
  put_entry_bytes(&d, "TTL", "x");
  put_entry_bytes(&d, "Validity", eol);
  put_entry_int(&d, "ValidityType", 0);
  sign_data(&sk, &d, &r);
  assert_int_equal(dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL), 0);
  const uint8_t *vals[2] = {r.data, r.data};
  size_t lens[2] = {r.len, r.len};
  assert_int_equal(dht_ipns_select(vals, lens, 1), 0);
  assert_int_equal(dht_ipns_select(vals, lens, 2), TR_EIPNS);

  /* Validity types and timestamps. */
  static const struct {
    int64_t type;
    const char *validity;
    int rc;
  } v[] = {
      {1, "2026-01-01T01:00:00Z", TR_EVALIDITY},
      {0, "2026-01-01 01:00:00Z", TR_EVALIDITY},
      {0, "2026-02-29T01:00:00Z", TR_EVALIDITY},
      {0, "2025-12-31T23:59:59.999999999Z", TR_EEXPIRED},
      {0, "2026-01-01T00:00:00Z", 0},
      {0, "2026-01-01T00:30:00+00:30", 0}, /* = NOW */
      {0, "2026-01-01T00:30:00+00:31", TR_EEXPIRED},
      {0, "2025-12-31T23:00:00-01:00", 0},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(v); i++) {
    d.len = 0;
    assert_int_equal(dag_cbor_put_head(&d, 5, 3), 0);
    put_entry_int(&d, "Sequence", 1);
    put_entry_bytes(&d, "Validity", v[i].validity);
    put_entry_int(&d, "ValidityType", v[i].type);
    sign_data(&sk, &d, &r);
    int rc = dht_ipns_validate(key, kl, r.data, r.len, NOW, NULL);
    if (rc != v[i].rc)
      fail_msg("%s: %s, want %s", v[i].validity, tr_errname(rc),
               tr_errname(v[i].rc));
  }

  /* Malformed data: each refused when parsing, before any signature. */
#define B(s) {s, sizeof s - 1}
  static const struct {
    const char *p;
    size_t n;
  } bad[] = {
      B("\x80"),                       /* a list, not a map */
      B("\xa1\x01\x02"),               /* a key that is not text */
      B("\xa1\x63TTL\x01\x00"),        /* trailing bytes */
      B("\xa2\x63TTL\x01\x63TTL\x02"), /* a reserved key twice */
      B("\xa1\x63TTL\x18\x01"),        /* a non-minimal integer */
      B("\xb8\x01\x63TTL\x01"),        /* a non-minimal map length */
      B("\xbf\x63TTL\x01\xff"),        /* an indefinite map */
      B("\xa1\x63TTL\x3b\xff\xff\xff\xff\xff\xff\xff\xff"), /* < INT64_MIN */
      B("\xa1\x63TTL"),                /* truncated */
      B("\xa1\x64_ext\xc1\x41\x00"),   /* a tag other than 42 on bytes
                                        (over a non-bytes item go-ipld-
                                        prime's decoder drops a tag) */
      B("\xa1\x65Value\x59\x00\x01X"), /* a non-minimal byte string */
      B("\xa1\x78\x03TTL\x01"),        /* a non-minimal key length */
      B("\xa5\x63TTL\x01"),            /* more entries than bytes */
  };
#undef B
  for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++) {
    d.len = 0;
    assert_int_equal(tr_bytes_append(&d, bad[i].p, bad[i].n), 0);
    sign_data(&sk, &d, &r);
    dht_ipns_record_t rec;
    int rc = dht_ipns_parse(&rec, r.data, r.len);
    if (rc != TR_EIPNS)
      fail_msg("bad data %zu: %s", i, tr_errname(rc));
  }
  /* A Sequence beyond int64 is not an integer to boxo (absent). */
  d.len = 0;
  assert_int_equal(dag_cbor_put_head(&d, 5, 1), 0);
  assert_int_equal(dag_cbor_put_text(&d, "Sequence", 8), 0);
  assert_int_equal(dag_cbor_put_head(&d, 0, UINT64_MAX), 0);
  sign_data(&sk, &d, &r);
  dht_ipns_record_t rec;
  assert_int_equal(dht_ipns_parse(&rec, r.data, r.len), 0);
  assert_int_equal(rec.d.has, 0);
  dht_ipns_record_free(&rec);
  tr_bytes_free(&d);
  tr_bytes_free(&r);
}

/* ------------------------------------------------------------ select */

static int pick(tr_bytes_t *recs, const int *idx, size_t n) {
  const uint8_t *vals[8];
  size_t lens[8];
  for (size_t i = 0; i < n; i++) {
    vals[i] = recs[idx[i]].data;
    lens[i] = recs[idx[i]].len;
  }
  int rc = dht_ipns_select(vals, lens, n);
  return rc < 0 ? rc : idx[rc];
}

/* boxo's TestOrdering: every order of each set picks the same record. */
static void test_select(void **state) {
  (void)state;
  net_privkey_t sk;
  seed_key(&sk, 10);
  tr_bytes_t r[7] = {{0}};
  make(&sk, 1, HOUR, 0, &r[0]);
  make(&sk, 2, HOUR, 0, &r[1]);
  make(&sk, 3, HOUR, 0, &r[2]);
  make(&sk, 3, 2 * HOUR, 0, &r[3]);
  make(&sk, 4, 3 * HOUR, 0, &r[4]);
  /* r5: seq 2^63 is written as a negative CBOR integer (boxo's int64
   * cast) and still compares as the greatest uint64 here. */
  make(&sk, UINT64_C(1) << 63, HOUR, 0, &r[5]);
  /* r6: r4 without signatureV2 loses to everything signed. */
  {
    dht_ipns_record_t rec;
    assert_int_equal(dht_ipns_parse(&rec, r[4].data, r[4].len), 0);
    rec.has &= ~(unsigned)DHT_IPNS_HAS_SIG_V2;
    rec.sequence = 100;
    assert_int_equal(dht_ipns_marshal(&rec, &r[6]), 0);
    dht_ipns_record_free(&rec);
  }
  static const struct {
    int set[6];
    size_t n;
    int best;
  } cases[] = {
      {{0}, 1, 0},          {{0, 1}, 2, 1},          {{0, 1, 2}, 3, 2},
      {{0, 1, 2, 3}, 4, 3}, {{0, 1, 2, 3, 4}, 5, 4}, {{6, 0}, 2, 0},
      {{0, 5, 4}, 3, 5},
  };
  for (size_t c = 0; c < TR_ARRAY_LEN(cases); c++) {
    int set[6];
    size_t n = cases[c].n;
    memcpy(set, cases[c].set, sizeof set);
    /* every rotation and its reverse */
    for (size_t rot = 0; rot < n; rot++) {
      for (int rev = 0; rev < 2; rev++) {
        int order[6];
        for (size_t i = 0; i < n; i++)
          order[i] = set[rev ? (rot + n - i) % n : (rot + i) % n];
        int got = pick(r, order, n);
        if (got != cases[c].best)
          fail_msg("case %zu rot %zu rev %d: %d, want %d", c, rot, rev, got,
                   cases[c].best);
      }
    }
  }
  /* Equal sequence and EOL: the greater bytes win, in either order.  Two
   * records differing only in their value have the same keys. */
  tr_bytes_t x = {0}, y = {0};
  dht_ipns_time_t eol = {NOW.sec + HOUR, 0};
  assert_int_equal(dht_ipns_create(&sk, (const uint8_t *)"/ipfs/a", 7, 9, eol,
                                   0, 0, &x),
                   0);
  assert_int_equal(dht_ipns_create(&sk, (const uint8_t *)"/ipfs/b", 7, 9, eol,
                                   0, 0, &y),
                   0);
  size_t n = x.len < y.len ? x.len : y.len;
  int c = memcmp(x.data, y.data, n);
  int bigger = c > 0 || (c == 0 && x.len > y.len) ? 0 : 1;
  const uint8_t *vals[2] = {x.data, y.data};
  size_t lens[2] = {x.len, y.len};
  assert_int_equal(dht_ipns_select(vals, lens, 2), bigger);
  vals[0] = y.data, vals[1] = x.data, lens[0] = y.len, lens[1] = x.len;
  assert_int_equal(dht_ipns_select(vals, lens, 2), 1 - bigger);
  /* The same record twice: the first. */
  vals[1] = y.data, lens[1] = y.len;
  assert_int_equal(dht_ipns_select(vals, lens, 2), 0);
  /* A record that does not parse, anywhere, fails the selection. */
  vals[1] = (const uint8_t *)"junk", lens[1] = 4;
  assert_int_equal(dht_ipns_select(vals, lens, 2), TR_EIPNS);
  assert_int_equal(dht_ipns_select(vals, lens, 0), TR_EUSAGE);
  tr_bytes_free(&x);
  tr_bytes_free(&y);
  for (size_t i = 0; i < TR_ARRAY_LEN(r); i++)
    tr_bytes_free(&r[i]);
}

/* -------------------------------------------------------- timestamps */

static void test_time(void **state) {
  (void)state;
  static const struct {
    const char *s;
    int64_t sec;
    uint32_t nsec;
    const char *canon; /* what format writes back; NULL: s itself */
  } ok[] = {
      {"1970-01-01T00:00:00.000000001Z", 0, 1, NULL},
      {"1970-01-01T00:00:00Z", 0, 0, NULL},
      {"2123-08-14T12:17:03.694052Z", 4847689023, 694052000, NULL},
      {"2024-02-29T23:59:59.5Z", 1709251199, 500000000, NULL},
      {"2024-02-29T23:59:59.500Z", 1709251199, 500000000,
       "2024-02-29T23:59:59.5Z"},
      {"2024-03-01T01:00:00+01:00", 1709251200, 0, "2024-03-01T00:00:00Z"},
      {"2024-02-29T23:00:00-01:00", 1709251200, 0, "2024-03-01T00:00:00Z"},
      {"2000-01-01T00:00:00.1234567891234Z", 946684800, 123456789,
       "2000-01-01T00:00:00.123456789Z"},
      {"0000-01-01T00:00:00Z", -62167219200, 0, NULL},
      {"9999-12-31T23:59:59.999999999Z", 253402300799, 999999999, NULL},
      {"1969-12-31T23:59:59Z", -1, 0, NULL},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(ok); i++) {
    dht_ipns_time_t t;
    assert_int_equal(dht_ipns_time_parse(ok[i].s, strlen(ok[i].s), &t), 0);
    if (t.sec != ok[i].sec || t.nsec != ok[i].nsec)
      fail_msg("%s: %lld.%09u", ok[i].s, (long long)t.sec, t.nsec);
    char out[DHT_IPNS_TIME_STR_MAX];
    const char *want = ok[i].canon ? ok[i].canon : ok[i].s;
    assert_int_equal(dht_ipns_time_format(t, out, sizeof out),
                     (int)strlen(want));
    assert_string_equal(out, want);
  }
  static const char *bad[] = {
      "",
      "2023-02-29T00:00:00Z",
      "2023-13-01T00:00:00Z",
      "2023-00-01T00:00:00Z",
      "2023-01-00T00:00:00Z",
      "2023-01-01T24:00:00Z",
      "2023-01-01T00:60:00Z",
      "2023-01-01T00:00:60Z",
      "2023-01-01T00:00:00",
      "2023-01-01t00:00:00Z",
      "2023-01-01T00:00:00z",
      "2023-01-01T00:00:00.Z",
      "2023-01-01T00:00:00+0100",
      "2023-01-01T00:00:00+24:00",
      "2023-01-01T00:00:00+01:60",
      "2023-01-01T00:00:00ZZ",
      "+023-01-01T00:00:00Z",
      "2023-1-01T00:00:00Z",
      "2023-01-01T00:00:00.1a",
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++) {
    dht_ipns_time_t t;
    if (dht_ipns_time_parse(bad[i], strlen(bad[i]), &t) != TR_EVALIDITY)
      fail_msg("accepted %s", bad[i]);
  }
  char out[DHT_IPNS_TIME_STR_MAX];
  dht_ipns_time_t t = {253402300800, 0}; /* year 10000 */
  assert_int_equal(dht_ipns_time_format(t, out, sizeof out), TR_EUSAGE);
  t.sec = -62167219201; /* year -1 */
  assert_int_equal(dht_ipns_time_format(t, out, sizeof out), TR_EUSAGE);
  t.sec = 0;
  t.nsec = 1000000000;
  assert_int_equal(dht_ipns_time_format(t, out, sizeof out), TR_EUSAGE);
  t.nsec = 0;
  assert_int_equal(dht_ipns_time_format(t, out, 20), TR_EBUFSIZE);
  assert_int_equal(dht_ipns_time_format(t, out, 21), 20);
  /* create refuses what format refuses */
  net_privkey_t sk;
  seed_key(&sk, 11);
  tr_bytes_t r = {0};
  t.sec = 253402300800;
  assert_int_equal(dht_ipns_create(&sk, (const uint8_t *)PATH, strlen(PATH),
                                   1, t, 0, 0, &r),
                   TR_EUSAGE);
  tr_bytes_free(&r);
}

/* --------------------------------------------------------------- /pk/ */

static void test_pk(void **state) {
  (void)state;
  net_privkey_t a, b;
  seed_key(&a, 12);
  seed_key(&b, 13);
  net_pubkey_t pka, pkb;
  net_privkey_pubkey(&a, &pka);
  net_privkey_pubkey(&b, &pkb);
  net_peerid_t ida, back;
  assert_int_equal(net_peerid_from_pubkey(&ida, &pka), 0);
  uint8_t key[DHT_IPNS_PK_KEY_MAX], va[NET_PUBKEY_PB_MAX],
      vb[NET_PUBKEY_PB_MAX];
  int kl = dht_ipns_pk_key(&ida, key, sizeof key);
  assert_true(kl == 4 + ida.len);
  assert_memory_equal(key, "/pk/", 4);
  assert_int_equal(dht_ipns_pk_key_parse(key, (size_t)kl, &back), 0);
  assert_true(net_peerid_equal(&back, &ida));
  int la = net_pubkey_marshal(&pka, va, sizeof va);
  int lb = net_pubkey_marshal(&pkb, vb, sizeof vb);
  assert_true(la > 0 && lb > 0);
  assert_int_equal(dht_ipns_pk_validate(key, (size_t)kl, va, (size_t)la), 0);
  assert_int_equal(dht_ipns_pk_validate(key, (size_t)kl, vb, (size_t)lb),
                   TR_EKEYMISMATCH);
  assert_int_equal(
      dht_ipns_pk_validate(key, (size_t)kl, (const uint8_t *)"xx", 2),
      TR_EKEY);
  assert_int_equal(dht_ipns_pk_validate((const uint8_t *)"/pk/zz", 6, va,
                                        (size_t)la),
                   TR_EPEERID);
  key[1] = 'q';
  assert_int_equal(dht_ipns_pk_validate(key, (size_t)kl, va, (size_t)la),
                   TR_ERECKEY);
}

/* --------------------------------------------------------- failmalloc */

/* Every allocation of parse, create, validate and select may fail: the
 * result is then -ENOMEM (never a crash, a leak or a false verdict), and
 * once enough succeed it is the normal one. */
static void test_failmalloc(void **state) {
  (void)state;
  net_privkey_t sk;
  seed_key(&sk, 14);
  uint8_t key[DHT_IPNS_KEY_MAX];
  size_t kl;
  net_peerid_t id;
  key_of(&sk, key, &kl, &id);
  tr_bytes_t a = {0}, b = {0};
  make(&sk, 1, HOUR, 0, &a);
  make(&sk, 2, HOUR, 0, &b);
  const uint8_t *vals[2] = {a.data, b.data};
  size_t lens[2] = {a.len, b.len};
  /* A value long enough that the data outgrows create's stack buffer. */
  uint8_t value[300];
  memset(value, 'v', sizeof value);
  bool done[3] = {false, false, false};
  for (long i = 0; i < 200 && !(done[0] && done[1] && done[2]); i++) {
    fm_start(i);
    int rv = dht_ipns_validate(key, kl, a.data, a.len, NOW, NULL);
    int rs = dht_ipns_select(vals, lens, 2);
    tr_bytes_t c = {0};
    int rc = dht_ipns_create(&sk, value, sizeof value, 1,
                             (dht_ipns_time_t){NOW.sec + 1, 0}, 0, 0, &c);
    fm_reset();
    tr_bytes_free(&c);
    assert_true(rv == 0 || rv == -ENOMEM);
    assert_true(rs == 1 || rs == -ENOMEM);
    assert_true(rc == 0 || rc == -ENOMEM);
    done[0] |= rv == 0;
    done[1] |= rs == 1;
    done[2] |= rc == 0;
  }
  assert_true(done[0] && done[1] && done[2]);
  tr_bytes_free(&a);
  tr_bytes_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_data_rules),
      cmocka_unit_test(test_select),
      cmocka_unit_test(test_time),
      cmocka_unit_test(test_pk),
      cmocka_unit_test(test_failmalloc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

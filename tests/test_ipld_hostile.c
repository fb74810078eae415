/*
 * test_ipld_hostile.c — the IPLD codecs (dag/ipld.h) on what an archive
 * node must survive: malformed input, each with its error (as Kubo v0.43.1
 * refuses it); trees a codec cannot hold; nesting, counts no input holds
 * and many keys; path steps; the two dag-pb forms; trees built by hand;
 * and an allocation-failure sweep over every codec.  The known answers
 * are test_ipld.c's.
 */
#include "ipld_test.h"

/* -------------------------------------------------------- bad input */

static const struct {
  const char *codec;
  const char *in; /* text, or hex after "h:" */
  int rc;
} bad[] = {
    /* dag-json: as Kubo refuses them */
    {"dag-json", "", TR_EJSON},
    {"dag-json", "  ", TR_EJSON},
    {"dag-json", "[", TR_EJSON},
    {"dag-json", "[1,2", TR_EJSON},
    {"dag-json", "{\"a\"}", TR_EJSON},
    {"dag-json", "{\"a\" 1}", TR_EJSON},
    {"dag-json", "{1:2}", TR_EJSON},
    {"dag-json", "[,1]", TR_EJSON},
    {"dag-json", "[1,,2]", TR_EJSON},
    {"dag-json", "[,]", TR_EJSON},
    {"dag-json", "{,}", TR_EJSON},
    {"dag-json", "nul", TR_EJSON},
    {"dag-json", "nope", TR_EJSON},
    {"dag-json", "[tru,1]", TR_EJSON},
    {"dag-json", "truex", TR_EJSON},
    {"dag-json", "true false", TR_EJSON},
    {"dag-json", "[1]x", TR_EJSON},
    {"dag-json", "1 x", TR_EJSON},
    {"dag-json", "[01]", TR_EJSON},
    {"dag-json", "-", TR_EJSON},
    {"dag-json", "1e", TR_EJSON},
    {"dag-json", "[1e+]", TR_EJSON},
    {"dag-json", "1.e5", TR_EJSON},
    {"dag-json", "9223372036854775808", TR_EJSON},
    {"dag-json", "-9223372036854775809", TR_EJSON},
    {"dag-json", "18446744073709551615", TR_EJSON},
    {"dag-json", "1e400", TR_EJSON},
    {"dag-json", "1.7976931348623159e308", TR_EJSON},
    {"dag-json", "{\"a\":1,\"a\":2}", TR_EJSON},
    {"dag-json", "{\"a\":1,\"b\":2,\"\\u0061\":3}", TR_EJSON},
    {"dag-json", "\"\\'\"", TR_EJSON},
    {"dag-json", "\"\\x\"", TR_EJSON},
    {"dag-json", "\"\\u12\"", TR_EJSON},
    {"dag-json", "\"a\nb\"", TR_EJSON},
    {"dag-json", "\"abc", TR_EJSON},
    {"dag-json", "{\"/\":\"notacid\"}", TR_ECID},
    {"dag-json", "{\"/\":\"\"}", TR_ECID},
    {"dag-json", "{\"/\":\"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1\"}",
     TR_ECID},
    {"dag-json", "{\"/\":{\"bytes\":\"!!\"}}", TR_EJSON},
    {"dag-json", "{\"/\":{\"bytes\":\"-_8\"}}", TR_EJSON},
    {"dag-json", "{\"/\":{\"bytes\":\"A\"}}", TR_EJSON},
    {"dag-json", "{\"/\":{\"bytes\":\"=\"}}", TR_EJSON},
    {"dag-json", "{\"/\":{\"bytes\":\"====\"}}", TR_EJSON},
    {"dag-json", "{\"/\":{\"bytes\":\"A===\"}}", TR_EJSON},
    {"dag-json", "{\"/\":{\"bytes\":\"AQID=\"}}", TR_EJSON},
    {"dag-json", "{\"/\":{\"bytes\":\"AQ=\"}}", TR_EJSON},
    {"dag-json", "{\"/\":{\"bytes\":\"AQ==AQ==\"}}", TR_EJSON},
    {"dag-json", "{\"/\":{\"bytes\":\"A Q\"}}", TR_EJSON},
    /* Kubo takes this one (refmt drops the byte after a top-level
     * number); trove does not. */
    {"dag-json", "1x", TR_EJSON},
    /* json: no links, so no CID to fail */
    {"json", "{\"/\":\"notacid\"}", 0},
    {"json", "{\"a\":1,\"a\":2}", TR_EJSON},
    /* dag-cbor: as Kubo refuses them */
    {"dag-cbor", "h:", TR_ECBOR},
    {"dag-cbor", "h:1801", TR_ECBOR},         /* not shortest */
    {"dag-cbor", "h:190001", TR_ECBOR},
    {"dag-cbor", "h:1a0000ffff", TR_ECBOR},
    {"dag-cbor", "h:1b00000000ffffffff", TR_ECBOR},
    {"dag-cbor", "h:5801ff", TR_ECBOR},
    {"dag-cbor", "h:780161", TR_ECBOR},
    {"dag-cbor", "h:980101", TR_ECBOR},
    {"dag-cbor", "h:b80161610101", TR_ECBOR},
    {"dag-cbor", "h:d8010101", TR_ECBOR},     /* a tag not shortest */
    {"dag-cbor", "h:3b8000000000000000", TR_ECBOR}, /* below INT64_MIN */
    {"dag-cbor", "h:f97e00", TR_ECBOR},       /* NaN */
    {"dag-cbor", "h:f97c00", TR_ECBOR},       /* infinity */
    {"dag-cbor", "h:fa7f800000", TR_ECBOR},
    {"dag-cbor", "h:fb7ff8000000000000", TR_ECBOR},
    {"dag-cbor", "h:fbfff0000000000000", TR_ECBOR},
    {"dag-cbor", "h:c1c101", TR_ECBOR},       /* two tags */
    {"dag-cbor", "h:c2420102", TR_ECBOR},     /* tag 2 on bytes */
    {"dag-cbor", "h:d8ff4101", TR_ECBOR},
    {"dag-cbor", "h:d82a420001", TR_ECID},
    {"dag-cbor", "h:d82a4100", TR_ECID},
    {"dag-cbor", "h:d82a40", TR_ECID},        /* no 0x00 prefix */
    {"dag-cbor", "h:d82a4101", TR_ECID},
    {"dag-cbor",
     "h:d82a5822001220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
     "7852b8",
     TR_ECID},
    {"dag-cbor",
     "h:d82a5824001220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
     "7852b85500",
     TR_ECID}, /* trailing byte inside the link */
    {"dag-cbor", "h:a2616101616102", TR_ECBOR}, /* duplicate key */
    {"dag-cbor", "h:a1016161", TR_ECBOR},       /* key not a string */
    {"dag-cbor", "h:a14161f6", TR_ECBOR},       /* key is bytes */
    {"dag-cbor", "h:9f01ff", TR_ECBOR},         /* indefinite lengths */
    {"dag-cbor", "h:5f4101ff", TR_ECBOR},
    {"dag-cbor", "h:7f6161ff", TR_ECBOR},
    {"dag-cbor", "h:bf616101ff", TR_ECBOR},
    {"dag-cbor", "h:0101", TR_ECBOR},           /* trailing bytes */
    {"dag-cbor", "h:f8ff", TR_ECBOR},           /* simple values */
    {"dag-cbor", "h:f820", TR_ECBOR},
    {"dag-cbor", "h:e0", TR_ECBOR},
    {"dag-cbor", "h:f0", TR_ECBOR},
    {"dag-cbor", "h:ff", TR_ECBOR},
    {"dag-cbor", "h:fc", TR_ECBOR},
    {"dag-cbor", "h:a1", TR_ECBOR},
    {"dag-cbor", "h:8201", TR_ECBOR},
    {"dag-cbor", "h:63e282", TR_ECBOR},
    {"dag-cbor", "h:fb3ff0000000", TR_ECBOR},
    {"dag-cbor", "h:a26162016161", TR_ECBOR},
    /* cbor: tag 42 is no link there */
    {"cbor",
     "h:d82a5823001220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
     "7852b855",
     TR_ECBOR},
    {"cbor", "h:c101", 0}, /* other tags dropped, as in dag-cbor */
    /* dag-pb */
    {"dag-pb", "h:0a", TR_EDAGPB},
    {"dag-pb", "h:ff", TR_EDAGPB},
    {"dag-pb", "h:1a00", TR_EDAGPB},
    {"dag-pb", "h:0a000a00", TR_EDAGPB},
    {"dag-pb", "h:12020a00", TR_EDAGPB}, /* a Hash that is no CID */
    {"dag-pb", "h:120b0a09015500050001020304", 0},
    {"raw", "h:", 0},
};

static void test_bad_input(void **state) {
  (void)state;
  for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++) {
    uint8_t buf[256];
    const char *in = bad[i].in;
    size_t n = strlen(in);
    if (!strncmp(in, "h:", 2))
      n = unhex(in + 2, buf, sizeof buf);
    else
      memcpy(buf, in, n);
    uint64_t c = codec(bad[i].codec);
    tr_bytes_t out = {0};
    int rc = conv(c, false, buf, n, c, &out);
    tr_bytes_free(&out);
    if (rc != bad[i].rc)
      fail_msg("bad[%zu] %s %s: %s, want %s", i, bad[i].codec, in,
               tr_errname(rc), tr_errname(bad[i].rc));
  }
}

/* What each codec cannot hold, from a dag-json input. */
static void test_cannot_encode(void **state) {
  (void)state;
  static const struct {
    const char *json, *codec;
  } t[] = {
      {"{\"/\":{\"bytes\":\"AQID\"}}", "json"},
      {"[{\"/\":\"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n\"}]", "json"},
      {"{\"/\":\"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n\"}", "cbor"},
      {"{\"a\":1}", "raw"},
      {"[]", "dag-pb"},
      {"{}", "dag-pb"}, /* Links is required */
      {"{\"Data\":{\"/\":{\"bytes\":\"AQID\"}}}", "dag-pb"},
      {"{\"Links\":null}", "dag-pb"},
      {"{\"Links\":[],\"Data\":null}", "dag-pb"},
      {"{\"Links\":[],\"x\":1}", "dag-pb"},
      {"{\"Data\":\"abc\",\"Links\":[]}", "dag-pb"},
      {"{\"Links\":[{\"Name\":\"x\"}]}", "dag-pb"},
      {"{\"Links\":[{\"Hash\":{\"/\":\"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJ"
       "gS1zR1n\"},\"Tsize\":-1}]}",
       "dag-pb"},
      {"{\"Links\":[{\"Hash\":{\"/\":\"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJ"
       "gS1zR1n\"},\"Tsize\":1.0}]}",
       "dag-pb"},
      {"{\"Links\":[{\"Hash\":{\"/\":\"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJ"
       "gS1zR1n\"},\"Name\":null}]}",
       "dag-pb"},
      {"{\"Links\":[{\"Hash\":{\"/\":\"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJ"
       "gS1zR1n\"},\"Extra\":1}]}",
       "dag-pb"},
      {"{\"Links\":[{\"Hash\":\"x\"}]}", "dag-pb"},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(t); i++) {
    tr_bytes_t out = {0};
    int rc = conv(IPLD_CODEC_DAG_JSON, true, t[i].json, strlen(t[i].json),
                  codec(t[i].codec), &out);
    tr_bytes_free(&out);
    if (rc != TR_ECODEC)
      fail_msg("%s as %s: %s, want ECODEC", t[i].json, t[i].codec,
               tr_errname(rc));
  }
  /* An integer above INT64_MAX: dag-cbor keeps it, JSON has none. */
  uint8_t big[] = {0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  tr_bytes_t out = {0};
  assert_int_equal(conv(IPLD_CODEC_DAG_CBOR, false, big, sizeof big,
                        IPLD_CODEC_DAG_JSON, &out), TR_ECODEC);
  assert_int_equal(conv(IPLD_CODEC_DAG_CBOR, false, big, sizeof big,
                        IPLD_CODEC_JSON, &out), TR_ECODEC);
  tr_bytes_free(&out);
  expect_conv("big", IPLD_CODEC_DAG_CBOR, false, big, sizeof big,
              IPLD_CODEC_CBOR, big, sizeof big);
}

/* --------------------------------------------------------- hostile */

static void nest(tr_bytes_t *b, const char *open, const char *mid,
                 const char *close, int n) {
  b->len = 0;
  for (int i = 0; i < n; i++)
    assert_int_equal(tr_bytes_append(b, open, strlen(open)), 0);
  assert_int_equal(tr_bytes_append(b, mid, strlen(mid)), 0);
  for (int i = 0; i < n; i++)
    assert_int_equal(tr_bytes_append(b, close, strlen(close)), 0);
}

static void test_depth(void **state) {
  (void)state;
  tr_bytes_t in = {0}, out = {0};
  /* IPLD_MAX_DEPTH containers nest; one more is refused. */
  nest(&in, "[", "1", "]", IPLD_MAX_DEPTH);
  assert_int_equal(conv(IPLD_CODEC_DAG_JSON, false, in.data, in.len,
                        IPLD_CODEC_DAG_CBOR, &out), 0);
  nest(&in, "[", "1", "]", IPLD_MAX_DEPTH + 1);
  assert_int_equal(conv(IPLD_CODEC_DAG_JSON, false, in.data, in.len,
                        IPLD_CODEC_DAG_CBOR, &out), TR_EJSON);
  nest(&in, "{\"a\":", "{}", "}", IPLD_MAX_DEPTH);
  assert_int_equal(conv(IPLD_CODEC_JSON, false, in.data, in.len,
                        IPLD_CODEC_JSON, &out), TR_EJSON);
  nest(&in, "\x81", "\x01", "", IPLD_MAX_DEPTH);
  assert_int_equal(conv(IPLD_CODEC_DAG_CBOR, false, in.data, in.len,
                        IPLD_CODEC_DAG_JSON, &out), 0);
  nest(&in, "\x81", "\x01", "", IPLD_MAX_DEPTH + 1);
  assert_int_equal(conv(IPLD_CODEC_DAG_CBOR, false, in.data, in.len,
                        IPLD_CODEC_DAG_JSON, &out), TR_ECBOR);
  nest(&in, "\xa1\x61\x61", "\xa0", "", IPLD_MAX_DEPTH);
  assert_int_equal(conv(IPLD_CODEC_CBOR, false, in.data, in.len,
                        IPLD_CODEC_CBOR, &out), TR_ECBOR);
  /* A million opening brackets: refused at the limit, no deep stack. */
  nest(&in, "[", "", "", 1000000);
  assert_int_equal(conv(IPLD_CODEC_DAG_JSON, false, in.data, in.len,
                        IPLD_CODEC_DAG_JSON, &out), TR_EJSON);
  tr_bytes_free(&in);
  tr_bytes_free(&out);
}

static void test_huge_counts(void **state) {
  (void)state;
  /* Lengths no input holds fail before anything is allocated for them. */
  static const char *const t[] = {
      "9b1000000000000000", "bb1000000000000000", "5b1000000000000000",
      "7b1000000000000000", "9bffffffffffffffff", "bbffffffffffffffff",
      "5bffffffffffffffff", "9a7fffffff01",       "b90100616101",
      "d82a5b0fffffffffffffff00",
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(t); i++) {
    uint8_t in[32];
    size_t n = unhex(t[i], in, sizeof in);
    tr_bytes_t out = {0};
    assert_int_equal(conv(IPLD_CODEC_DAG_CBOR, false, in, n,
                          IPLD_CODEC_DAG_CBOR, &out), TR_ECBOR);
    tr_bytes_free(&out);
  }
  /* go-ipld-prime's 10 MiB budget: a list of 0x190000 zeros passes (as in
   * Kubo), one of 0x200000 does not ("message structure demanded too
   * many resources"). */
  for (int k = 0; k < 2; k++) {
    size_t cnt = k ? 0x200000 : 0x190000;
    uint8_t *in = calloc(cnt + 5, 1);
    in[0] = 0x9a;
    in[1] = (uint8_t)(cnt >> 24);
    in[2] = (uint8_t)(cnt >> 16);
    in[3] = (uint8_t)(cnt >> 8);
    in[4] = (uint8_t)cnt;
    tr_bytes_t out = {0};
    assert_int_equal(conv(IPLD_CODEC_DAG_CBOR, false, in, cnt + 5,
                          IPLD_CODEC_DAG_CBOR, &out), k ? TR_ECBOR : 0);
    if (!k)
      expect_bytes("budget", &out, in, cnt + 5);
    tr_bytes_free(&out);
    free(in);
  }
}

/* 60000 keys: the duplicate check sorts, so a hostile map costs n log n;
 * one repeated key at the end is found. */
static void test_many_keys(void **state) {
  (void)state;
  tr_bytes_t in = {0}, out = {0};
  for (int dup = 0; dup < 2; dup++) {
    in.len = 0;
    assert_int_equal(tr_bytes_append(&in, "{", 1), 0);
    for (int i = 0; i < 60000; i++) {
      char k[32];
      int n = snprintf(k, sizeof k, "%s\"k%d\":%d", i ? "," : "", i, i);
      assert_int_equal(tr_bytes_append(&in, k, (size_t)n), 0);
    }
    if (dup)
      assert_int_equal(tr_bytes_append(&in, ",\"k7\":0", 7), 0);
    assert_int_equal(tr_bytes_append(&in, "}", 1), 0);
    out.len = 0;
    assert_int_equal(conv(IPLD_CODEC_DAG_JSON, false, in.data, in.len,
                          IPLD_CODEC_DAG_CBOR, &out), dup ? TR_EJSON : 0);
    if (!dup) { /* and back: same tree, keys now in dag-json's order */
      tr_bytes_t js = {0};
      assert_int_equal(conv(IPLD_CODEC_DAG_CBOR, false, out.data, out.len,
                            IPLD_CODEC_DAG_JSON, &js), 0);
      assert_int_equal(js.len, in.len);
      assert_memory_equal(js.data, "{\"k0\":0,\"k1\":1,\"k10\":10,", 24);
      tr_bytes_free(&js);
    }
  }
  tr_bytes_free(&in);
  tr_bytes_free(&out);
}

/* ----------------------------------------------------------- paths */

static void test_step(void **state) {
  (void)state;
  static const char doc[] =
      "{\"a\":[10,11,12],\"b\":{\"c\":true},\"\":1,\"l\":{\"/\":"
      "\"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n\"}}";
  ipld_arena_t *a = ipld_arena_new();
  ipld_node_t *t;
  assert_int_equal(ipld_decode(IPLD_CODEC_DAG_JSON, (const uint8_t *)doc,
                               strlen(doc), a, &t), 0);
  const ipld_node_t *l = ipld_step(t, "a", 1);
  assert_non_null(l);
  assert_int_equal(l->kind, IPLD_LIST);
  /* Indexes as Go's ParseInt, which Kubo's `dag get CID/a/01` uses. */
  static const struct {
    const char *seg;
    int64_t want; /* -1: none */
  } idx[] = {{"0", 10}, {"2", 12},  {"01", 11}, {"+1", 11}, {"-0", 10},
             {"3", -1}, {"-1", -1}, {"x", -1},  {"", -1},   {"1x", -1},
             {"+", -1}, {"99999999999999999999", -1}, {"9223372036854775807", -1}};
  for (size_t i = 0; i < TR_ARRAY_LEN(idx); i++) {
    const ipld_node_t *v = ipld_step(l, idx[i].seg, strlen(idx[i].seg));
    if (idx[i].want < 0)
      assert_null(v);
    else {
      assert_non_null(v);
      assert_int_equal(v->u.i, idx[i].want);
    }
  }
  const ipld_node_t *b = ipld_step(t, "b", 1);
  assert_true(ipld_step(b, "c", 1)->u.b);
  assert_null(ipld_step(b, "d", 1));
  assert_null(ipld_step(b, "cc", 2));
  assert_int_equal(ipld_step(t, "", 0)->u.i, 1);
  assert_null(ipld_step(ipld_step(b, "c", 1), "x", 1)); /* a scalar */
  const ipld_node_t *lk = ipld_step(t, "l", 1);
  assert_int_equal(lk->kind, IPLD_LINK);
  assert_null(ipld_step(lk, "/", 1)); /* a link is no map */
  ipld_arena_free(a);
}

/* ----------------------------------------------------- dag-pb forms */

static void test_dagpb_forms(void **state) {
  (void)state;
  /* A link with neither Name nor Tsize, and no Data. */
  uint8_t blk[64];
  size_t n = unhex("12240a221220e3b0c44298fc1c149afbf4c8996fb92427ae41e464"
                   "9b934ca495991b7852b855",
                   blk, sizeof blk);
  ipld_arena_t *a = ipld_arena_new();
  ipld_node_t *typed, *plain;
  assert_int_equal(ipld_decode(IPLD_CODEC_DAG_PB, blk, n, a, &typed), 0);
  assert_int_equal(ipld_decode_input(IPLD_CODEC_DAG_PB, blk, n, a, &plain),
                   0);
  /* dag get's form: Links then Data, absent fields there as null. */
  assert_int_equal(typed->u.map.n, 2);
  assert_string_equal(typed->u.map.v[0].key, "Links");
  const ipld_node_t *d = ipld_step(typed, "Data", 4);
  assert_int_equal(d->kind, IPLD_NULL);
  assert_true(d->absent);
  const ipld_node_t *lk = ipld_step(ipld_step(typed, "Links", 5), "0", 1);
  assert_int_equal(lk->u.map.n, 3);
  assert_true(ipld_step(lk, "Name", 4)->absent);
  assert_true(ipld_step(lk, "Tsize", 5)->absent);
  /* dag put's form: only what is there. */
  assert_int_equal(plain->u.map.n, 1);
  lk = ipld_step(ipld_step(plain, "Links", 5), "0", 1);
  assert_int_equal(lk->u.map.n, 1);
  /* Both write the block back as it was (Kubo fails to on the typed form
   * without Data; trove does not). */
  for (int k = 0; k < 2; k++) {
    tr_bytes_t out = {0};
    assert_int_equal(ipld_encode(IPLD_CODEC_DAG_PB, k ? plain : typed, &out),
                     0);
    expect_bytes("dag-pb back", &out, blk, n);
    tr_bytes_free(&out);
  }
  ipld_arena_free(a);
}

/* ---------------------------------------------------- by hand */

static ipld_node_t *str_node(ipld_arena_t *a, const char *s) {
  ipld_node_t *n = ipld_new(a, IPLD_STRING);
  n->u.s.p = (const uint8_t *)s;
  n->u.s.n = strlen(s);
  return n;
}

static void test_by_hand(void **state) {
  (void)state;
  ipld_arena_t *a = ipld_arena_new();
  ipld_node_t *m = ipld_new(a, IPLD_MAP), *l = ipld_new(a, IPLD_LIST);
  ipld_node_t *f = ipld_new(a, IPLD_FLOAT), *i = ipld_new(a, IPLD_INT);
  ipld_node_t *b = ipld_new(a, IPLD_BYTES), *k = ipld_new(a, IPLD_LINK);
  ipld_node_t *t = ipld_new(a, IPLD_BOOL), *z = ipld_new(a, IPLD_NULL);
  f->u.f = 1.5;
  i->u.i = -24;
  b->u.s.p = (const uint8_t *)"\x01\x02\x03";
  b->u.s.n = 3;
  t->u.b = true;
  const char *q = "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n";
  assert_int_equal(dag_cid_parse(&k->u.link, q, strlen(q)), 0);
  ipld_node_t **items = ipld_alloc(a, 4 * sizeof *items);
  items[0] = t, items[1] = z, items[2] = f, items[3] = b;
  l->u.list.v = items;
  l->u.list.n = 4;
  ipld_entry_t *e = ipld_alloc(a, 4 * sizeof *e);
  e[0] = (ipld_entry_t){"bb", 2, l};
  e[1] = (ipld_entry_t){"c", 1, i};
  e[2] = (ipld_entry_t){"a\xe2\x80\xa8", 4, str_node(a, "x\"\\/\x01\xff")};
  e[3] = (ipld_entry_t){"lnk", 3, k};
  m->u.map.v = e;
  m->u.map.n = 4;
  tr_bytes_t out = {0};
  assert_int_equal(ipld_encode(IPLD_CODEC_DAG_JSON, m, &out), 0);
  static const char dj[] =
      "{\"a\\u2028\":\"x\\\"\\\\/\\u0001\\ufffd\",\"bb\":[true,null,1.5,"
      "{\"/\":{\"bytes\":\"AQID\"}}],\"c\":-24,\"lnk\":{\"/\":"
      "\"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n\"}}";
  expect_bytes("by hand dag-json", &out, dj, strlen(dj));
  out.len = 0;
  assert_int_equal(ipld_encode(IPLD_CODEC_DAG_CBOR, m, &out), 0);
  /* Length first: "c", "bb", "lnk", "a\u2028". */
  assert_int_equal(out.data[0], 0xa4);
  assert_memory_equal(out.data + 1, "\x61" "c" "\x37", 3);
  assert_memory_equal(out.data + 4, "\x62" "bb" "\x84\xf5\xf6\xfb", 6);
  out.len = 0;
  /* What json, cbor and raw cannot hold. */
  assert_int_equal(ipld_encode(IPLD_CODEC_JSON, m, &out), TR_ECODEC);
  out.len = 0;
  assert_int_equal(ipld_encode(IPLD_CODEC_CBOR, m, &out), TR_ECODEC);
  out.len = 0;
  assert_int_equal(ipld_encode(IPLD_CODEC_RAW, m, &out), TR_ECODEC);
  f->u.f = NAN;
  out.len = 0;
  assert_int_equal(ipld_encode(IPLD_CODEC_DAG_CBOR, m, &out), TR_ECODEC);
  tr_bytes_free(&out);
  ipld_arena_free(a);
}

/* ------------------------------------------------- allocation failures */

static void sweep(const char *ic, bool input, const char *in, size_t n,
                  const char *oc) {
  for (long k = 0;; k++) {
    tr_bytes_t out = {0};
    fm_start(k);
    int rc = conv(codec(ic), input, in, n, codec(oc), &out);
    tr_bytes_free(&out);
    fm_reset();
    if (rc == 0)
      return;
    if (rc != -ENOMEM)
      fail_msg("%s -> %s, failing after %ld: %s", ic, oc, k, tr_errname(rc));
    assert_true(k < 100000);
  }
}

static void test_nomem(void **state) {
  (void)state;
  static const char js[] =
      "{\"b\":[1,2.5,\"x\\n\",{\"/\":{\"bytes\":\"AQID\"}}],\"a\":{\"/\":"
      "\"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n\"},\"c\":{\"d\":["
      "[],{},null,true]}}";
  static const char pb[] =
      "{\"Links\":[{\"Hash\":{\"/\":\"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJ"
      "gS1zR1n\"},\"Name\":\"b\",\"Tsize\":5},{\"Hash\":{\"/\":"
      "\"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n\"},\"Name\":\"a\"}],"
      "\"Data\":{\"/\":{\"bytes\":\"aGk\"}}}";
  const char *outs[] = {"dag-json", "dag-cbor", "dag-pb"};
  for (size_t i = 0; i < 2; i++)
    sweep("dag-json", true, js, strlen(js), outs[i]);
  sweep("dag-json", true, pb, strlen(pb), "dag-pb");
  sweep("json", true, "[{\"a\":[1,\"\\u00e9\"]},2]", 23, "json");
  sweep("json", true, "[{\"a\":[1,\"\\u00e9\"]},2]", 23, "cbor");
  uint8_t blk[128];
  size_t n = unhex("12240a221220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b9"
                   "34ca495991b7852b8550a03010203",
                   blk, sizeof blk);
  for (size_t i = 0; i < 3; i++) {
    sweep("dag-pb", false, (const char *)blk, n, outs[i]);
    sweep("dag-pb", true, (const char *)blk, n, outs[i]);
  }
  n = unhex("a3616201616182d82a5823001220e3b0c44298fc1c149afbf4c8996fb92427ae4"
            "1e4649b934ca495991b7852b85543010203626161f5",
            blk, sizeof blk);
  for (size_t i = 0; i < 2; i++)
    sweep("dag-cbor", false, (const char *)blk, n, outs[i]);
  sweep("raw", false, "abc", 3, "raw");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_cannot_encode),
      cmocka_unit_test(test_depth),
      cmocka_unit_test(test_huge_counts),
      cmocka_unit_test(test_many_keys),
      cmocka_unit_test(test_step),
      cmocka_unit_test(test_dagpb_forms),
      cmocka_unit_test(test_by_hand),
      cmocka_unit_test(test_nomem),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

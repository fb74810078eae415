/*
 * test_cidinfo.c — dag/cidinfo.c against what Kubo v0.43.1 prints: `cid
 * inspect`'s text and fields (the expected texts are Kubo's output), its
 * errors and PeerID note, the base, codec and hash lists, and `multibase
 * decode`'s reading of a file.  tests/interop/multibase_kubo.sh compares
 * the commands with Kubo itself.
 */
#include "testutil.h"

#include "../dag/cidinfo.h"

static char *text_of(const char *arg) {
  dag_cid_info_t in;
  assert_int_equal(dag_cid_inspect(arg, &in), 0);
  assert_string_equal(in.err, "");
  tr_bytes_t out = {0};
  assert_int_equal(dag_cid_inspect_text(arg, &in, &out), 0);
  assert_int_equal(tr_bytes_append(&out, "", 1), 0);
  return (char *)out.data;
}

static void test_inspect_text(void **state) {
  (void)state;
  static const struct {
    const char *cid, *want;
  } t[] = {
      {"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n",
       "CID:        QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n\n"
       "Version:    0\n"
       "Multibase:  base58btc (implicit)\n"
       "Multicodec: dag-pb (0x70, implicit)\n"
       "Multihash:  sha2-256 (0x12, implicit)\n"
       "  Length:   32 bytes\n"
       "  Digest:   e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
       "7852b855\n"
       "CIDv0:      QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n\n"
       "CIDv1:      bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
       "\n"},
      {"bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
       "CID:        bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy\n"
       "Version:    1\n"
       "Multibase:  base32 (b)\n"
       "Multicodec: raw (0x55)\n"
       "Multihash:  sha2-256 (0x12)\n"
       "  Length:   32 bytes\n"
       "  Digest:   c7d01489080858c500065836c658f847a6ca67c4864619212be4f820"
       "0e4bbace\n"
       "CIDv0:      not possible, requires dag-pb (0x70), got raw (0x55)\n"
       "CIDv1:      bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
       "\n"},
      {"k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8",
       "CID:        k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0"
       "v8\n"
       "Version:    1\n"
       "Multibase:  base36 (k)\n"
       "Multicodec: libp2p-key (0x72)\n"
       "Multihash:  identity (0x0)\n"
       "  Length:   36 bytes\n"
       "  Digest:   08011220e4680b2f8c8d21090e6aa327f1bb342ab8e7d9238f1e3583"
       "1a54d6a8f5c91124\n"
       "CIDv0:      not possible, requires dag-pb (0x70), got libp2p-key "
       "(0x72)\n"
       "CIDv1:      k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0"
       "v8\n"},
      /* An unknown codec (reserved range), in base2. */
      {"000000001100000011000000011000000000000010000000000000000",
       "CID:        000000001100000011000000011000000000000010000000000000000"
       "\n"
       "Version:    1\n"
       "Multibase:  base2 (0)\n"
       "Multicodec: unknown (0x300001)\n"
       "Multihash:  identity (0x0)\n"
       "  Length:   0 bytes\n"
       "  Digest:   \n"
       "CIDv0:      not possible, requires dag-pb (0x70), got unknown "
       "(0x300001)\n"
       "CIDv1:      bagaybqabaaaa\n"},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(t); i++) {
    char *s = text_of(t[i].cid);
    assert_string_equal(s, t[i].want);
    tr_free(s);
  }
}

static void test_inspect_fields(void **state) {
  (void)state;
  dag_cid_info_t in;
  /* A base256emoji CID: go-cid reads its first byte, which names no base,
   * so Kubo shows U+FFFD and no name. */
  const char *emoji = "\xf0\x9f\x9a\x80\xf0\x9f\xaa\x90\xf0\x9f\x91\x80"
                      "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80";
  assert_int_equal(dag_cid_inspect(emoji, &in), 0);
  assert_int_equal(in.prefix_len, 3);
  assert_memory_equal(in.prefix, "\xef\xbf\xbd", 3);
  assert_string_equal(in.base_name, "");
  assert_string_equal(in.cidv1, "bafkqaaa");
  /* A code go-multicodec names outside the ipld tag; md5, which
   * go-multihash names and nobody computes. */
  assert_int_equal(dag_cid_inspect("baecaaaa", &in), 0);
  assert_string_equal(in.codec_name, "ip4");
  assert_int_equal(dag_cid_inspect("bafk5kaiqaaaqeayeaudaocajbifqydiob4", &in),
                   0);
  assert_string_equal(in.mh_name, "md5");
  assert_int_equal(in.mh_len, 16);
  assert_string_equal(in.digest, "000102030405060708090a0b0c0d0e0f");
  assert_string_equal(in.cidv0, "");
  /* A dag-pb CIDv1 with sha2-256 has a CIDv0. */
  assert_int_equal(
      dag_cid_inspect(
          "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", &in),
      0);
  assert_string_equal(in.cidv0,
                      "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n");
}

static void test_inspect_errors(void **state) {
  (void)state;
  static const struct {
    const char *arg, *err;
  } t[] = {
      {"", "invalid CID: invalid cid: cid too short"},
      {"z", "invalid CID: invalid cid: cid too short"},
      {"x123", "invalid CID: invalid cid: selected encoding not supported"},
      {"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1",
       "invalid CID: invalid cid: selected encoding not supported"},
      {"12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA",
       "invalid CID: invalid cid: selected encoding not supported\n"
       "Note: the value is a PeerID; inspect its CID representation "
       "instead:\n"
       "  k51qzi5uqu5dhdmyb9bd18pypu2wp5lpv2xnskfmrqa4lb5knqryrotb05e7or"},
      {"foo", "invalid CID: invalid cid: malformed multibase string"},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(t); i++) {
    dag_cid_info_t in;
    assert_int_not_equal(dag_cid_inspect(t[i].arg, &in), 0);
    assert_string_equal(in.err, t[i].err);
    assert_int_equal(in.version, 0);
    assert_string_equal(in.cidv1, "");
  }
}

static void test_lists(void **state) {
  (void)state;
  tr_bytes_t b = {0};
  assert_int_equal(dag_bases_text(false, false, &b), 0);
  const char *names = "identity\nbase2\nbase32\nbase32upper\nbase32pad\n"
                      "base32padupper\nbase16\nbase16upper\nbase36\n"
                      "base36upper\nbase64\nbase64pad\nbase32hexpad\n"
                      "base32hexpadupper\nbase64url\nbase64urlpad\n"
                      "base32hex\nbase32hexupper\nbase58btc\nbase58flickr\n"
                      "base256emoji\n";
  assert_true(b.len == strlen(names) && !memcmp(b.data, names, b.len));
  tr_bytes_free(&b);
  assert_int_equal(dag_bases_text(true, true, &b), 0);
  assert_memory_equal(b.data, "        0  identity\n0      48  base2\n", 37);
  const char *last = "\xf0\x9f\x9a\x80  128640  base256emoji\n";
  assert_memory_equal(b.data + b.len - strlen(last), last, strlen(last));
  tr_bytes_free(&b);
  assert_int_equal(dag_bases_text(true, false, &b), 0);
  assert_memory_equal(b.data, "   identity\n0  base2\nb  base32\n", 31);
  tr_bytes_free(&b);
  assert_int_equal(dag_codecs_text(true, true, &b), 0);
  const char *sup = "   81  cbor\n   85  raw\n  112  dag-pb\n  113  dag-cbor\n"
                    "  114  libp2p-key\n  120  git-raw\n  133  dag-jose\n"
                    "  297  dag-json\n  512  json\n";
  assert_true(b.len == strlen(sup) && !memcmp(b.data, sup, b.len));
  tr_bytes_free(&b);
  assert_int_equal(dag_codecs_text(false, false, &b), 0);
  size_t lines = 0;
  for (size_t i = 0; i < b.len; i++)
    lines += b.data[i] == '\n';
  assert_int_equal(lines, 44);
  tr_bytes_free(&b);
  assert_int_equal(dag_hashes_text(true, false, &b), 0);
  assert_memory_equal(b.data, "    0  identity\n   17  sha1\n", 28);
  const char *h = "45664  blake2s-256\n";
  assert_memory_equal(b.data + b.len - strlen(h), h, strlen(h));
  tr_bytes_free(&b);
}

static void test_decode_file(void **state) {
  (void)state;
  static const struct {
    const char *in;
    size_t n;
    int rc;
    const char *out;
  } t[] = {
      {"bnbswy3dp\n", 10, 0, "hello"},
      {"bnbs\r\nwy3dp\r\n", 13, 0, "hello"},
      {"maGVs\nbG8", 9, 0, "hello"},
      {"UaGVsbG8=\n", 10, 0, "hello"},
      {"vD1IMOR3F\n", 10, 0, "hello"},
      {"f68656c6c6f", 11, 0, "hello"},
      {"f68656c6c6f\n", 12, TR_EMULTIBASE, NULL}, /* hex: no line ends */
      {"z3XuGqbzL\n", 10, TR_EMULTIBASE, NULL},
      {"\0a\nb\n", 5, 0, "a\nb\n"},               /* identity: all bytes */
      {"", 0, TR_EBASE, NULL},
      {"z", 1, TR_EMULTIBASE, NULL}, /* go-base58: "zero length string" */
      {"k", 1, TR_EMULTIBASE, NULL},
      {"b", 1, 0, ""},
      {"0", 1, 0, ""},
      {"x123", 4, TR_EBASE, NULL},
      {"\n", 1, TR_EBASE, NULL},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(t); i++) {
    tr_bytes_t out = {0};
    char err[160] = "", base;
    int rc = dag_mb_decode_file((const uint8_t *)t[i].in, t[i].n, &out, &base,
                                err, sizeof err);
    if (rc != t[i].rc)
      fail_msg("case %zu: %d, want %d", i, rc, t[i].rc);
    if (!rc)
      assert_true(out.len == strlen(t[i].out) &&
                  !memcmp(out.data, t[i].out, out.len));
    else
      assert_true(!strncmp(err, "failed to decode multibase: ", 28));
    tr_bytes_free(&out);
  }
  char err[160];
  tr_bytes_t out = {0};
  char base;
  assert_int_equal(dag_mb_decode_file((const uint8_t *)"", 0, &out, &base, err,
                                      sizeof err),
                   TR_EBASE);
  assert_string_equal(err, "failed to decode multibase: cannot decode "
                           "multibase for zero length string");
  assert_int_equal(dag_mb_decode_file((const uint8_t *)"x1", 2, &out, &base,
                                      err, sizeof err),
                   TR_EBASE);
  assert_string_equal(
      err, "failed to decode multibase: selected encoding not supported");
  tr_bytes_free(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_inspect_text),
      cmocka_unit_test(test_inspect_fields),
      cmocka_unit_test(test_inspect_errors),
      cmocka_unit_test(test_lists),
      cmocka_unit_test(test_decode_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

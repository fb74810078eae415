/*
 * test_cid.c — CID parsing, binary decoding, formatting, building and
 * conversion.  Known answers come from tests/vectors/cid.txt (published CIDs
 * from the cid and multihash specs, the IPFS docs and ipld/codec-fixtures,
 * cross-checked with js-multiformats; see the file's header), then the
 * cases a file cannot hold: over-long strings, buffers one byte short,
 * identity multihashes at their limit, verification.
 *
 * Run from the repository root: the vector path is relative to it.
 */
#include "testutil.h"

#include "../dag/cid.h"

#define CID_VECTORS "tests/vectors/cid.txt"

/* Parse from a heap copy of exactly slen bytes (ASan sees overreads). */
static int parse_exact(dag_cid_t *cid, const char *s, size_t slen) {
  char *copy = calloc(1, slen ? slen : 1);
  memcpy(copy, s, slen);
  int rc = dag_cid_parse(cid, copy, slen);
  free(copy);
  return rc;
}

static int decode_exact(dag_cid_t *cid, const uint8_t *in, size_t len) {
  uint8_t *copy = malloc(len ? len : 1);
  if (len)
    memcpy(copy, in, len);
  int rc = dag_cid_decode(cid, len ? copy : NULL, len);
  free(copy);
  return rc;
}

static int errcode(const char *name) {
  static const int codes[] = {TR_ECID,   TR_ETRUNC,     TR_EMULTIHASH,
                              TR_EVARINT, TR_EMULTIBASE, TR_EBASE};
  for (size_t i = 0; i < TR_ARRAY_LEN(codes); i++)
    if (!strcmp(tr_errname(codes[i]), name))
      return codes[i];
  fail_msg("unknown error name %s in " CID_VECTORS, name);
  return 0;
}

/* ------------------------------------------------------------- vectors */

static void check_ok(int lineno, const char *s, const char *hex, int version,
                     uint64_t codec, uint64_t mhcode) {
  dag_cid_t cid;
  int rc = parse_exact(&cid, s, strlen(s));
  if (rc != 0)
    fail_msg("line %d: parse %s gave %d (%s)", lineno, s, rc, tr_errname(rc));
  uint8_t bin[DAG_CID_MAX];
  size_t blen = unhex(hex, bin, sizeof bin);
  assert_int_equal(cid.len, blen);
  assert_memory_equal(cid.bytes, bin, blen);
  assert_int_equal(cid.version, version);
  assert_true(cid.codec == codec);
  assert_true(cid.mh_code == mhcode);
  /* The multihash view: v0 is all multihash, v1 skips version + codec. */
  size_t mhlen;
  const uint8_t *mh = dag_cid_mh(&cid, &mhlen);
  assert_int_equal(mh - cid.bytes,
                   version ? dag_varint_size(1) + dag_varint_size(codec) : 0);
  uint64_t code;
  const uint8_t *dig;
  size_t dlen;
  assert_int_equal(dag_mh_parse(mh, mhlen, &code, &dig, &dlen), (int)mhlen);
  /* Formatting in the string's own base gives the string back. */
  char out[DAG_CID_STR_MAX];
  rc = dag_cid_format(&cid, version ? s[0] : 0, out, sizeof out);
  assert_int_equal(rc, (int)strlen(s));
  assert_string_equal(out, s);
  /* The binary decoder agrees and consumes everything. */
  dag_cid_t c2;
  assert_int_equal(decode_exact(&c2, bin, blen), (int)blen);
  assert_true(dag_cid_equal(&cid, &c2));
  assert_int_equal(c2.version, version);
  assert_true(c2.codec == codec && c2.mh_code == mhcode);
  /* And dag_cid_make from the parts rebuilds the same CID. */
  dag_cid_t c3;
  assert_int_equal(dag_cid_make(&c3, version, codec, mh, mhlen), 0);
  assert_true(dag_cid_equal(&cid, &c3));
}

static void check_conv(const char *v0s, const char *v1s) {
  dag_cid_t v0, v1, t;
  assert_int_equal(parse_exact(&v0, v0s, strlen(v0s)), 0);
  assert_int_equal(parse_exact(&v1, v1s, strlen(v1s)), 0);
  assert_int_equal(v0.version, 0);
  assert_int_equal(v1.version, 1);
  assert_false(dag_cid_equal(&v0, &v1));
  dag_cid_to_v1(&t, &v0);
  assert_true(dag_cid_equal(&t, &v1));
  char buf[DAG_CID_STR_MAX];
  assert_string_equal(dag_cid_str(&t, buf), v1s);
  assert_int_equal(dag_cid_to_v0(&t, &v1), 0);
  assert_true(dag_cid_equal(&t, &v0));
  assert_string_equal(dag_cid_str(&t, buf), v0s);
  /* Converting in place (out == in) is allowed by the implementation's
   * copy of the multihash; callers rely on it for "cid = to_v1(cid)". */
  t = v0;
  dag_cid_to_v1(&t, &t);
  assert_true(dag_cid_equal(&t, &v1));
  /* Idempotent in each direction. */
  dag_cid_to_v1(&t, &v1);
  assert_true(dag_cid_equal(&t, &v1));
  assert_int_equal(dag_cid_to_v0(&t, &v0), 0);
  assert_true(dag_cid_equal(&t, &v0));
}

static void test_vector_file(void **state) {
  (void)state;
  FILE *f = fopen(CID_VECTORS, "r");
  if (!f)
    fail_msg("cannot open %s (run from the repository root)", CID_VECTORS);
  char line[1024];
  int lineno = 0, nok = 0, nconv = 0, nerr = 0, nbin = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    if (line[0] == '#' || line[0] == '\n')
      continue;
    char kind[8], a[400], b[400], c[32], d[32], e[32];
    int n = sscanf(line, "%7s %399s %399s %31s %31s %31s", kind, a, b, c, d, e);
    if (!strcmp(kind, "ok") && n == 6) {
      check_ok(lineno, a, b, atoi(c), strtoull(d, NULL, 0),
               strtoull(e, NULL, 0));
      nok++;
    } else if (!strcmp(kind, "conv") && n == 3) {
      check_conv(a, b);
      nconv++;
    } else if (!strcmp(kind, "err") && n == 3) {
      dag_cid_t cid;
      int want = errcode(a), rc = parse_exact(&cid, b, strlen(b));
      if (rc != want)
        fail_msg("line %d: %s gave %d (%s), want %s", lineno, b, rc,
                 tr_errname(rc), a);
      nerr++;
    } else if (!strcmp(kind, "bin") && n == 3) {
      uint8_t in[256];
      size_t len = strcmp(a, "-") ? unhex(a, in, sizeof in) : 0;
      dag_cid_t cid;
      int rc = decode_exact(&cid, in, len);
      int want = b[0] == '!' ? errcode(b + 1) : atoi(b);
      if (rc != want)
        fail_msg("line %d: decode %s gave %d (%s), want %s", lineno, a, rc,
                 tr_errname(rc), b);
      if (rc > 0) {
        /* The binary form is canonical: what was read is what is kept. */
        assert_int_equal(cid.len, rc);
        assert_memory_equal(cid.bytes, in, (size_t)rc);
      }
      nbin++;
    } else
      fail_msg("%s:%d: bad line", CID_VECTORS, lineno);
  }
  fclose(f);
  assert_true(nok >= 50);
  assert_true(nconv >= 3);
  assert_true(nerr >= 24);
  assert_true(nbin >= 20);
}

/* ------------------------------------------------------------ strings */

static void test_parse_lengths(void **state) {
  (void)state;
  dag_cid_t cid;
  assert_int_equal(parse_exact(&cid, "", 0), TR_EBASE);
  /* Longer than any CID string could be: refused before decoding. */
  size_t n = DAG_CID_STR_MAX + 1;
  char *s = malloc(n);
  s[0] = 'b';
  memset(s + 1, 'a', n - 1);
  assert_int_equal(parse_exact(&cid, s, n), TR_ECID);
  /* Short enough as a string, too long as bytes: base58 of 200 bytes is
   * ~273 characters and decodes past DAG_CID_MAX. */
  uint8_t big[200];
  memset(big, 0x55, sizeof big);
  big[0] = 0x01;
  int len = dag_mb_encode('z', big, sizeof big, s, n);
  assert_true(len > 0 && (size_t)len <= DAG_CID_STR_MAX);
  assert_int_equal(parse_exact(&cid, s, (size_t)len), TR_ECID);
  free(s);
}

/* --------------------------------------------------- building, format */

static void test_make_rules(void **state) {
  (void)state;
  uint8_t mh[DAG_MH_MAX];
  int mhlen = dag_mh_sum(DAG_MH_SHA2_256, "x", 1, mh, sizeof mh);
  assert_int_equal(mhlen, 34);
  dag_cid_t cid;
  /* v0 only for dag-pb + sha2-256. */
  assert_int_equal(dag_cid_make(&cid, 0, DAG_CODEC_RAW, mh, 34), TR_ECID);
  assert_int_equal(dag_cid_make(&cid, 0, DAG_CODEC_DAG_PB, mh, 34), 0);
  uint8_t id[8];
  int idlen = dag_mh_sum(DAG_MH_IDENTITY, "abc", 3, id, sizeof id);
  assert_int_equal(dag_cid_make(&cid, 0, DAG_CODEC_DAG_PB, id, (size_t)idlen),
                   TR_ECID);
  assert_int_equal(dag_cid_make(&cid, 2, DAG_CODEC_RAW, mh, 34), TR_ECID);
  assert_int_equal(dag_cid_make(&cid, -1, DAG_CODEC_RAW, mh, 34), TR_ECID);
  /* The multihash must be whole and alone. */
  assert_int_equal(dag_cid_make(&cid, 1, DAG_CODEC_RAW, mh, 33), TR_ETRUNC);
  uint8_t longer[35];
  memcpy(longer, mh, 34);
  longer[34] = 0;
  assert_int_equal(dag_cid_make(&cid, 1, DAG_CODEC_RAW, longer, 35),
                   TR_EMULTIHASH);
  assert_int_equal(dag_cid_make(&cid, 1, DAG_CODEC_RAW, mh, DAG_MH_MAX + 1),
                   TR_ETOOBIG);
  /* Codecs the decoder could never read back are refused. */
  assert_int_equal(dag_cid_make(&cid, 1, (uint64_t)1 << 63, mh, 34), TR_ECID);
  /* to_v0 of anything but dag-pb/sha2-256. */
  dag_cid_t raw, out;
  assert_int_equal(dag_cid_make(&raw, 1, DAG_CODEC_RAW, mh, 34), 0);
  assert_int_equal(dag_cid_to_v0(&out, &raw), TR_ECID);
  assert_int_equal(dag_cid_make(&raw, 1, DAG_CODEC_DAG_PB, id, (size_t)idlen),
                   0);
  assert_int_equal(dag_cid_to_v0(&out, &raw), TR_ECID);
}

/* The largest CID: a 9-byte codec and a 128-byte identity multihash. */
static void test_largest_cid(void **state) {
  (void)state;
  uint8_t data[DAG_MH_IDENTITY_MAX];
  memset(data, 0xab, sizeof data);
  dag_cid_t cid;
  uint64_t codec = ((uint64_t)1 << 63) - 1;
  assert_int_equal(dag_cid_sum(&cid, 1, codec, DAG_MH_IDENTITY, data,
                               sizeof data),
                   0);
  assert_int_equal(cid.len, 1 + 9 + 3 + 128);
  assert_true(cid.len <= DAG_CID_MAX);
  for (const char *b = "fFbBcCmMuUzkK"; *b; b++) {
    char s[DAG_CID_STR_MAX];
    int n = dag_cid_format(&cid, *b, s, sizeof s);
    assert_true(n > 0 && (size_t)n < DAG_CID_STR_MAX);
    dag_cid_t back;
    assert_int_equal(parse_exact(&back, s, (size_t)n), 0);
    assert_true(dag_cid_equal(&back, &cid));
    assert_true(back.codec == codec);
  }
  assert_int_equal(dag_cid_sum(&cid, 1, DAG_CODEC_RAW, DAG_MH_IDENTITY, data,
                               sizeof data),
                   0);
  uint8_t more[DAG_MH_IDENTITY_MAX + 1] = {0};
  assert_int_equal(
      dag_cid_sum(&cid, 1, DAG_CODEC_RAW, DAG_MH_IDENTITY, more, sizeof more),
      TR_ETOOBIG);
}

static void test_format_buffer(void **state) {
  (void)state;
  const char *strs[] = {"QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR",
                        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
                        "zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA"};
  for (size_t i = 0; i < TR_ARRAY_LEN(strs); i++) {
    dag_cid_t cid;
    assert_int_equal(parse_exact(&cid, strs[i], strlen(strs[i])), 0);
    char base = cid.version ? strs[i][0] : 0;
    size_t len = strlen(strs[i]);
    char *exact = malloc(len + 1);
    assert_int_equal(dag_cid_format(&cid, base, exact, len + 1), (int)len);
    assert_string_equal(exact, strs[i]);
    assert_int_equal(dag_cid_format(&cid, base, exact, len), TR_EBUFSIZE);
    free(exact);
  }
  dag_cid_t cid;
  assert_int_equal(parse_exact(&cid, strs[1], strlen(strs[1])), 0);
  char s[DAG_CID_STR_MAX];
  assert_int_equal(dag_cid_format(&cid, 'x', s, sizeof s), TR_EBASE);
  /* v0 ignores the base: it only has one string form. */
  assert_int_equal(parse_exact(&cid, strs[0], strlen(strs[0])), 0);
  assert_int_equal(dag_cid_format(&cid, 'b', s, sizeof s), 46);
  assert_string_equal(s, strs[0]);
}

/* dag_cid_sum over known bytes: the empty block is a published CID both as
 * raw and (as the empty dag-pb node) in ipld/codec-fixtures. */
static void test_sum_known(void **state) {
  (void)state;
  dag_cid_t cid;
  char s[DAG_CID_STR_MAX];
  assert_int_equal(
      dag_cid_sum(&cid, 1, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256, "", 0), 0);
  assert_string_equal(dag_cid_str(&cid, s),
                      "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  assert_int_equal(dag_cid_sum(&cid, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, "", 0),
                   0);
  assert_string_equal(dag_cid_str(&cid, s),
                      "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  /* codec-fixtures cid-bafkqabiaaebagba: identity over 00 01 02 03 04. */
  assert_int_equal(dag_cid_sum(&cid, 1, DAG_CODEC_RAW, DAG_MH_IDENTITY,
                               "\x00\x01\x02\x03\x04", 5),
                   0);
  assert_string_equal(dag_cid_str(&cid, s), "bafkqabiaaebagba");
  assert_int_equal(dag_cid_sum(&cid, 0, DAG_CODEC_RAW, DAG_MH_SHA2_256, "", 0),
                   TR_ECID);
  /* blake3, as Kubo's `block put --mhtype blake3` names no bytes. */
  assert_int_equal(dag_cid_sum(&cid, 1, DAG_CODEC_RAW, DAG_MH_BLAKE3, "", 0),
                   0);
  assert_string_equal(
      dag_cid_str(&cid, s),
      "bafkr4ifpcne3t5pzugtkaqcn5i3nzskjtpfslsnnyejlpte2spfoihzsmi");
  assert_int_equal(dag_cid_sum(&cid, 1, DAG_CODEC_RAW, 0xd5, "", 0), /* md5 */
                   TR_EHASH);
}

static void test_verify(void **state) {
  (void)state;
  dag_cid_t cid;
  const char *msg = "multihash";
  assert_int_equal(parse_exact(&cid, "QmYtUc4iTCbbfVSDNKvtQqrfyezPPnFvE33wFmutw9PBBk", 46),
                   0);
  assert_int_equal(dag_cid_verify(&cid, msg, strlen(msg)), 0);
  assert_int_equal(dag_cid_verify(&cid, msg, strlen(msg) - 1), TR_EMISMATCH);
  assert_int_equal(dag_cid_verify(&cid, "multihasH", 9), TR_EMISMATCH);
  /* Identity: the data is the digest. */
  assert_int_equal(parse_exact(&cid, "bafkqabiaaebagba", 16), 0);
  assert_int_equal(dag_cid_verify(&cid, "\x00\x01\x02\x03\x04", 5), 0);
  assert_int_equal(dag_cid_verify(&cid, "\x00\x01\x02\x03", 4), TR_EMISMATCH);
  uint8_t big[DAG_MH_IDENTITY_MAX + 1] = {0};
  assert_int_equal(dag_cid_verify(&cid, big, sizeof big), TR_EMISMATCH);
  /* A hash trove cannot compute: md5, which verifcid does not allow. */
  uint8_t md5[19] = {0xd5, 0x01, 0x10};
  assert_int_equal(dag_cid_make(&cid, 1, DAG_CODEC_RAW, md5, sizeof md5), 0);
  assert_int_equal(dag_cid_verify(&cid, "", 0), TR_EHASH);
  /* blake3 at a length other than its default: the XOF's first bytes. */
  uint8_t b3[2 + 64];
  assert_int_equal(dag_mh_sum_len(DAG_MH_BLAKE3, 64, "abc", 3, b3, sizeof b3),
                   2 + 64);
  assert_int_equal(dag_cid_make(&cid, 1, DAG_CODEC_RAW, b3, sizeof b3), 0);
  assert_int_equal(dag_cid_verify(&cid, "abc", 3), 0);
  assert_int_equal(dag_cid_verify(&cid, "abd", 3), TR_EMISMATCH);
  uint8_t b3s[34];
  assert_int_equal(dag_mh_sum(DAG_MH_BLAKE3, "abc", 3, b3s, sizeof b3s), 34);
  assert_memory_equal(b3s + 2, b3 + 2, 32);
}

static void test_codec_names(void **state) {
  (void)state;
  const struct {
    uint64_t code;
    const char *name;
  } t[] = {{0x55, "raw"},
           {0x70, "dag-pb"},
           {0x71, "dag-cbor"},
           {0x72, "libp2p-key"},
           {0x0129, "dag-json"},
           {0x51, "cbor"},
           {0x0200, "json"},
           {0x85, "dag-jose"},
           {0x78, "git-raw"},
           {0xb601, "json-jcs"}};
  for (size_t i = 0; i < TR_ARRAY_LEN(t); i++) {
    assert_string_equal(dag_codec_name(t[i].code), t[i].name);
    uint64_t c = 0;
    assert_int_equal(dag_codec_from_name(t[i].name, &c), 0);
    assert_true(c == t[i].code);
  }
  /* In the multicodec table, but not tagged "ipld". */
  assert_string_equal(dag_codec_name(0x12), "unknown");
  uint64_t c = 7;
  assert_int_equal(dag_codec_from_name("dag-yaml", &c), TR_ECODEC);
  assert_int_equal(dag_codec_from_name("sha2-256", &c), TR_ECODEC);
  assert_true(c == 7);
  /* The whole table names every code (Kubo's cid inspect and %c). */
  assert_string_equal(dag_mc_name(0x12), "sha2-256");
  assert_string_equal(dag_mc_name(0x00), "identity");
  assert_string_equal(dag_mc_name(0x70), "dag-pb");
  assert_string_equal(dag_mc_name(0x04), "ip4");
  assert_string_equal(dag_mc_name(0xd02000), "scion");
  assert_null(dag_mc_name(0x300000));
  assert_null(dag_mc_name(0x05));
  /* Kubo's `cid codecs`: the 44 tagged "ipld", by code. */
  uint64_t code, last = 0;
  const char *name;
  size_t n = 0;
  for (; dag_codec_nth(n, &code, &name); n++) {
    assert_true(n == 0 || code > last);
    assert_string_equal(dag_codec_name(code), name);
    last = code;
  }
  assert_int_equal(n, 44);
  assert_true(dag_codec_nth(0, &code, &name) && code == 0x51);
  assert_true(dag_codec_nth(43, &code, &name) && code == 0xb601);
}

/* Content path arguments and native URIs (Kubo 0.43, boxo's
 * path.NewPathFromURI): the namespace and what follows it. */
static void test_path_rest(void **state) {
  (void)state;
  static const struct {
    const char *in, *rest;
    int ns;
  } v[] = {
      {"/ipfs/bafyX/a", "bafyX/a", DAG_NS_IPFS},
      {"ipfs://bafyX/a/b", "bafyX/a/b", DAG_NS_IPFS},
      {"ipfs:bafyX", "bafyX", DAG_NS_IPFS},
      {"IPFS://bafyX", "bafyX", DAG_NS_IPFS},
      {"iPfS:/bafyX", "/bafyX", DAG_NS_IPFS}, /* one slash is the path's */
      {"/ipns/k51x/a", "k51x/a", DAG_NS_IPNS},
      {"ipns://example.org/a", "example.org/a", DAG_NS_IPNS},
      {"Ipns:k51x", "k51x", DAG_NS_IPNS},
      {"ipfs://", "", DAG_NS_IPFS},
      {"bafyX/a", "bafyX/a", DAG_NS_NONE},
      {"QmX", "QmX", DAG_NS_NONE},
      {"/IPFS/bafyX", "/IPFS/bafyX", DAG_NS_NONE}, /* a path's is lower case */
      {"ipfsX:bafy", "ipfsX:bafy", DAG_NS_NONE},
      {"ipld://bafyX", "ipld://bafyX", DAG_NS_NONE},
      {"ipfs", "ipfs", DAG_NS_NONE},
      {"", "", DAG_NS_NONE},
      {"/ipfs", "/ipfs", DAG_NS_NONE},
  };
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
    int ns = -1;
    assert_string_equal(dag_path_rest(v[i].in, &ns), v[i].rest);
    assert_int_equal(ns, v[i].ns);
  }
}

/* dag_cid_conv and dag_cid_fmt: `ipfs cid format` of Kubo v0.43.1 gave
 * each line (tests/interop/cid_kubo.sh compares many more with Kubo). */
static void test_cid_format(void **state) {
  (void)state;
  static const struct {
    const char *f, *v, *mc, *b, *arg, *want;
  } t[] = {
      {"%P_%c_%h_%L_%m_%b_%v", NULL, NULL, NULL,
       "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
       "cidv1-dag-pb-sha2-256-32_dag-pb_sha2-256_32_"
       "bciqmhrdth3ek77igz6pj75ip7rv42lwiljqxaaclw4ewnhbr32kdsgq_base32_"
       "cidv1"},
      {"%s_%m_%M_%d_%D_%S_%B_%H_%C_%V", NULL, NULL, "base64", "bafkqaaa",
       "mAVUAAA_mAAA_AAA_m__AVUAAA_m_0_85_1"},
      {NULL, "1", NULL, "base36",
       "QmYtUc4iTCbbfVSDNKvtQqrfyezPPnFvE33wFmutw9PBBk",
       "k2jmtxv9qq22jgabnlraw7fjeeuw4318n3yvlb3lc9tqnv66fdo8yssn"},
      {NULL, "1", NULL, NULL, "QmYtUc4iTCbbfVSDNKvtQqrfyezPPnFvE33wFmutw9PBBk",
       "zdj7WfyiyVnJg5CYCk974tWHDhEbsBq7Kg46MTTvaJZkax5Mg"},
      {NULL, "0", NULL, NULL,
       "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
       "QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR"},
      {"%S", NULL, NULL, NULL, "QmYtUc4iTCbbfVSDNKvtQqrfyezPPnFvE33wFmutw9PBBk",
       "QmYtUc4iTCbbfVSDNKvtQqrfyezPPnFvE33wFmutw9PBBk"},
      {"%h-%c-%C", NULL, NULL, NULL,
       "baf4bcfbcthbxs6bglkk4x2bvusypbo7rlkwvksi", "sha1-git-raw-120"},
      {"%s-%d", NULL, NULL, "base16", "bafkqaaa", "f01550000-f"},
      /* go-cidutil's %B is a byte: 0 for identity, 0x80 for 🚀; its %S
       * strips one byte of the rocket's four. */
      {"%B%b|%S", NULL, NULL, "identity", "bafkqaaa",
       "\0identity|\x01\x55\0\0"},
      {"%B|%S|%b", NULL, NULL, "base256emoji", "bafkqaaa",
       "\x80|\x9f\x9a\x80\xf0\x9f\xaa\x90\xf0\x9f\x91\x80\xf0\x9f"
       "\x9a\x80\xf0\x9f\x9a\x80|base256emoji"},
      {NULL, NULL, NULL, "base2", "bafkqaaa",
       "000000001010101010000000000000000"},
      {"%s %b", NULL, NULL, "Z", "bafkqaaa", "Z2Yxdu base58flickr"},
      {NULL, NULL, NULL, "base32hexupper", "bafkqaaa", "V05AG000"},
      /* --mc: any code of the table, by name or number (mc.Code.Set). */
      {"%c %h %s", NULL, "sha2-256", NULL, "bafkqaaa",
       "sha2-256 identity baejaaaa"},
      {"%c %C", NULL, "0x300001", NULL, "bafkqaaa", "Code(3145729) 3145729"},
      {"%c", NULL, "0x0_4", NULL, "bafkqaaa", "ip4"},
      {"%c", NULL, "0o160", NULL, "bafkqaaa", "dag-pb"},
      {"%%%s%%", NULL, "raw", NULL,
       "QmYtUc4iTCbbfVSDNKvtQqrfyezPPnFvE33wFmutw9PBBk",
       "%zb2rhhC767vh3rccgHmMRhB6kF8jvht7Gaf8or1ZSoUhRMMPU%"},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(t); i++) {
    dag_cid_conv_t c;
    char err[160];
    assert_int_equal(
        dag_cid_conv_opts(&c, t[i].f, t[i].v, t[i].mc, t[i].b, err, 160), 0);
    tr_bytes_t out = {0};
    assert_int_equal(dag_cid_conv(&c, t[i].arg, &out, err, sizeof err), 0);
    size_t wl = strlen(t[i].want);
    if (t[i].b && !strcmp(t[i].b, "identity"))
      wl = 14; /* NULs inside */
    assert_true(out.len == wl && !memcmp(out.data, t[i].want, out.len));
    tr_bytes_free(&out);
  }
  dag_cid_conv_t c;
  char err[160];
  tr_bytes_t out = {0};
  assert_int_equal(dag_cid_conv_opts(&c, "x", NULL, NULL, NULL, err, 160),
                   TR_EUSAGE);
  assert_int_equal(dag_cid_conv_opts(&c, NULL, "2", NULL, NULL, err, 160),
                   TR_EUSAGE);
  assert_int_equal(dag_cid_conv_opts(&c, NULL, "0", "raw", NULL, err, 160),
                   TR_EUSAGE);
  const char *bad_mc[] = {"5", "0x", "1__2", "_1", "1_", "0x300000000000000000",
                          "dag-yaml", "0b2", "-1", "0x400000"};
  for (size_t i = 0; i < TR_ARRAY_LEN(bad_mc); i++)
    if (dag_cid_conv_opts(&c, NULL, NULL, bad_mc[i], NULL, err, 160) !=
        TR_EUSAGE)
      fail_msg("--mc %s taken", bad_mc[i]);
  assert_int_equal(dag_cid_conv_opts(&c, "%x", NULL, NULL, NULL, err, 160),
                   0);
  assert_int_equal(dag_cid_conv(&c, "bafkqaaa", &out, err, sizeof err),
                   TR_EUSAGE);
  assert_string_equal(err, "unrecognized specifier in format string: %x");
  assert_int_equal(dag_cid_conv_opts(&c, NULL, "0", NULL, NULL, err, 160), 0);
  assert_int_not_equal(dag_cid_conv(&c, "bafkqaaa", &out, err, sizeof err),
                       0);
  assert_int_not_equal(dag_cid_conv(&c, "foo", &out, err, sizeof err), 0);
  tr_bytes_free(&out);
}

/* dag_cidb_sum: Kubo's `add --inline` (go-cidutil's InlineBuilder). */
static void test_cidb_inline(void **state) {
  (void)state;
  uint8_t buf[DAG_MH_IDENTITY_MAX + 1];
  memset(buf, 'x', sizeof buf);
  char s[DAG_CID_STR_MAX];
  dag_cid_t cid;
  /* The default limit, 32 (inline_below 33): 32 bytes inline, 33 not. */
  dag_cidb_t b = {0, DAG_MH_SHA2_256, 33};
  assert_int_equal(dag_cidb_sum(&b, DAG_CODEC_DAG_PB, buf, 32, &cid), 0);
  assert_int_equal(cid.version, 1);
  assert_int_equal(cid.codec, DAG_CODEC_DAG_PB);
  assert_int_equal(cid.mh_code, DAG_MH_IDENTITY);
  const uint8_t *d;
  size_t dl, ml;
  uint64_t code;
  const uint8_t *mh = dag_cid_mh(&cid, &ml);
  assert_int_equal(dag_mh_parse(mh, ml, &code, &d, &dl), (int)ml);
  assert_int_equal(dl, 32);
  assert_memory_equal(d, buf, 32);
  assert_int_equal(dag_cidb_sum(&b, DAG_CODEC_DAG_PB, buf, 33, &cid), 0);
  assert_int_equal(cid.version, 0);
  assert_int_equal(cid.mh_code, DAG_MH_SHA2_256);
  /* A raw block of a CIDv0 builder is CIDv1 (boxo's V0Builder.WithCodec). */
  assert_int_equal(dag_cidb_sum(&b, DAG_CODEC_RAW, buf, 40, &cid), 0);
  assert_int_equal(cid.version, 1);
  assert_int_equal(cid.codec, DAG_CODEC_RAW);
  assert_int_equal(dag_cidb_sum(&b, DAG_CODEC_RAW, "", 0, &cid), 0);
  assert_string_equal(dag_cid_str(&cid, s), "bafkqaaa");
  /* A zeroed limit inlines nothing, not even an empty block ... */
  b.inline_below = 0;
  assert_int_equal(dag_cidb_sum(&b, DAG_CODEC_RAW, "", 0, &cid), 0);
  assert_int_equal(cid.mh_code, DAG_MH_SHA2_256);
  /* ... --inline-limit=0 (1) inlines only that one. */
  b.inline_below = 1;
  assert_int_equal(dag_cidb_sum(&b, DAG_CODEC_RAW, "", 0, &cid), 0);
  assert_int_equal(cid.mh_code, DAG_MH_IDENTITY);
  assert_int_equal(dag_cidb_sum(&b, DAG_CODEC_RAW, "x", 1, &cid), 0);
  assert_int_equal(cid.mh_code, DAG_MH_SHA2_256);
  /* The largest limit, 128: the largest identity digest verifcid takes. */
  b.inline_below = DAG_MH_IDENTITY_MAX + 1;
  assert_int_equal(dag_cidb_sum(&b, DAG_CODEC_RAW, buf, DAG_MH_IDENTITY_MAX,
                                &cid), 0);
  assert_int_equal(cid.mh_code, DAG_MH_IDENTITY);
  assert_int_equal(dag_cid_verify(&cid, buf, DAG_MH_IDENTITY_MAX), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cidb_inline),
      cmocka_unit_test(test_vector_file),  cmocka_unit_test(test_parse_lengths),
      cmocka_unit_test(test_make_rules),   cmocka_unit_test(test_largest_cid),
      cmocka_unit_test(test_format_buffer), cmocka_unit_test(test_sum_known),
      cmocka_unit_test(test_verify),       cmocka_unit_test(test_codec_names),
      cmocka_unit_test(test_path_rest),
      cmocka_unit_test(test_cid_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

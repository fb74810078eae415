/*
 * test_ipld_links.c — ipld_links() for the codecs whose links Kubo's walks
 * follow beyond dag-pb, dag-cbor and dag-json: git-raw (go-ipld-git
 * v0.1.3) and dag-jose (go-dag-jose v0.1.1).  Each block below was put
 * into Kubo v0.43.1 (`ipfs block put --cid-codec git-raw --mhtype sha1`,
 * or `ipfs dag put --store-codec dag-jose`), and `ipfs refs` of it gave
 * the links listed, in that order; where Kubo failed to decode one, trove
 * refuses it too (and the blockstore then keeps it as a leaf:
 * test_bs_links.c).
 */
#include "testutil.h"

#include "../dag/ipld.h"

#define MAXL 8

typedef struct got {
  char s[MAXL][DAG_CID_STR_MAX];
  size_t n;
} got_t;

static int collect(const dag_cid_t *cid, void *ud) {
  got_t *g = ud;
  assert_true(g->n < MAXL);
  dag_cid_str(cid, g->s[g->n++]);
  return 0;
}

/* Build a git object "<type> <len>\0<body>" in buf. */
static size_t git_obj(uint8_t *buf, size_t cap, const char *type,
                      const void *body, size_t blen) {
  int h = snprintf((char *)buf, cap, "%s %zu", type, blen);
  assert_true(h > 0 && (size_t)h + 1 + blen <= cap);
  buf[h] = 0;
  memcpy(buf + h + 1, body, blen);
  return (size_t)h + 1 + blen;
}

/* The links of a git object as CID strings: rc, and want[0..n) on 0. */
static void check_git(const char *type, const void *body, size_t blen, int rc,
                      const char *const *want, size_t n) {
  uint8_t buf[2048];
  size_t len = git_obj(buf, sizeof buf, type, body, blen);
  got_t g = {.n = 0};
  assert_int_equal(ipld_links(DAG_CODEC_GIT_RAW, buf, len, collect, &g), rc);
  if (rc)
    return;
  assert_int_equal(g.n, n);
  for (size_t i = 0; i < n; i++)
    assert_string_equal(g.s[i], want[i]);
}

/* SHA-1s of objects in a test repo, and their CIDs (git-raw, sha1). */
#define SHA_A "2299c37978265a95cbe835a4b0f0bbf15aad5549"
#define SHA_B "291d91276ab69a8de05fe799c209789750e866f9"
#define SHA_C "2276e0cc34e29eff1ddf546b698b0d7243d496e7"
#define SHA_D "cb46d2637a1d77e0548311dd6d9d963f2b19bb46"
#define CID_A "baf4bcfbcthbxs6bglkk4x2bvusypbo7rlkwvksi"
#define CID_B "baf4bcfbjdwiso2vwtkg6ax7hthbas6exkdugn6i"
#define CID_C "baf4bcfbco3qmynhct37r3x2unnuywdlsipkjnzy"
#define CID_D "baf4bcfgli3jgg6q5o7qfjayr3vwz3fr7fmm3wrq"

static void test_git_commit(void **state) {
  (void)state;
  /* Its links: tree, parents, merge tags' objects, whatever the header
   * lines' order; none from the signature or the message. */
  static const char c1[] =
      "tree " SHA_B "\nparent " SHA_C "\nauthor T <a@b.c> 1 +0000\n"
      "committer T <a@b.c> 1 +0000\nmergetag object " SHA_D "\n type commit\n"
      " tag v1\n tagger T <a@b.c> 1 +0000\n \n tag v1\nparent " SHA_A "\n"
      "gpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n"
      " -----END PGP SIGNATURE-----\n\nmsg\ntree " SHA_A "\nparent " SHA_A
      "\n";
  static const char *const w1[] = {CID_B, CID_C, CID_A, CID_D};
  check_git("commit", c1, sizeof c1 - 1, 0, w1, 4);
  /* CRLF line ends; the parent before the tree. */
  static const char c2[] = "parent " SHA_C "\r\ntree " SHA_B
                           "\r\nauthor T <a@b.c> 1 +0000\r\n\r\nmsg\n";
  static const char *const w2[] = {CID_B, CID_C};
  check_git("commit", c2, sizeof c2 - 1, 0, w2, 2);
  /* Upper-case hex, as Go's hex.DecodeString takes it. */
  char c3[] = "tree " SHA_B "\nauthor T <a@b.c> 1 +0000\n\nm";
  for (char *p = c3 + 5; p < c3 + 45; p++)
    *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
  check_git("commit", c3, sizeof c3 - 1, 0, w2, 1);
  /* Hex that is not a SHA-1's: Kubo fails ("encoding/hex: invalid byte"). */
  static const char c4[] = "tree " SHA_B "\nparent zz\n\nm";
  check_git("commit", c4, sizeof c4 - 1, TR_EGIT, NULL, 0);
  static const char c5[] = "tree " SHA_B "0\n\nm";
  check_git("commit", c5, sizeof c5 - 1, TR_EGIT, NULL, 0);
}

static void test_git_tree_tag_blob(void **state) {
  (void)state;
  uint8_t t[64], *p = t;
  memcpy(p, "100644 a", 9), p += 9; /* the NUL is the string's */
  for (int i = 0; i < 20; i++)
    sscanf(SHA_A + 2 * i, "%2hhx", p++);
  memcpy(p, "40000 d", 8), p += 8;
  for (int i = 0; i < 20; i++)
    sscanf(SHA_B + 2 * i, "%2hhx", p++);
  static const char *const wt[] = {CID_A, CID_B};
  check_git("tree", t, (size_t)(p - t), 0, wt, 2);
  /* An entry cut short: Kubo fails (unexpected EOF). */
  check_git("tree", t, (size_t)(p - t) - 1, TR_EGIT, NULL, 0);
  check_git("tree", "", 0, 0, NULL, 0);
  /* A tag: the last "object" header; none from the message. */
  static const char tg[] = "object " SHA_A "\ntype blob\ntag x\n"
                           "tagger T <a@b.c> 1 +0000\nobject " SHA_B
                           "\n\nmsg\nobject " SHA_C "\n";
  static const char *const wg[] = {CID_B};
  check_git("tag", tg, sizeof tg - 1, 0, wg, 1);
  check_git("blob", "hello", 5, 0, NULL, 0);
  /* An unknown type, or no header: Kubo fails. */
  check_git("frob", "x", 1, TR_EGIT, NULL, 0);
  got_t g = {.n = 0};
  assert_int_equal(ipld_links(DAG_CODEC_GIT_RAW, (const uint8_t *)"blob 5",
                              6, collect, &g),
                   TR_EGIT);
  /* A tree's size must be a number (strconv.Atoi). */
  static const uint8_t bad[] = "tree x\0";
  assert_int_equal(
      ipld_links(DAG_CODEC_GIT_RAW, bad, sizeof bad - 1, collect, &g),
      TR_EGIT);
  assert_int_equal(g.n, 0);
}

/* dag-jose: Kubo's own JWS (`dag put --input-codec dag-json
 * --store-codec dag-jose` of {"payload": <the CID's bytes, base64url>,
 * "signatures": [...]}), whose `dag get` shows "link" to the payload. */
static void test_jose(void **state) {
  (void)state;
  static const char hex[] =
      "a2677061796c6f616458240155122018717a37f6e0d3fa71be4bb68d575f996e"
      "b2bd515729c45d2e3e9f6f4467e8416a7369676e61747572657381a26970726f"
      "7465637465644f7b22616c67223a224564445341227d697369676e6174757265"
      "43000000";
  uint8_t b[256];
  size_t n = 0;
  for (const char *p = hex; *p; p += 2)
    sscanf(p, "%2hhx", &b[n++]);
  got_t g = {.n = 0};
  assert_int_equal(ipld_links(DAG_CODEC_DAG_JOSE, b, n, collect, &g), 0);
  assert_int_equal(g.n, 1);
  assert_string_equal(
      g.s[0], "bafkreiayof5dp5xa2p5hdpslw2gvox4zn2zl2ukxfhcf2lr6t5xuiz7iie");
  /* The same bytes as dag-cbor: no links (the payload is only bytes). */
  g.n = 0;
  assert_int_equal(ipld_links(DAG_CODEC_DAG_CBOR, b, n, collect, &g), 0);
  assert_int_equal(g.n, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_git_commit),
      cmocka_unit_test(test_git_tree_tag_blob),
      cmocka_unit_test(test_jose),
  };
  return cmocka_run_group_tests_name("ipld_links", tests, NULL, NULL);
}

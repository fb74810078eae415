/*
 * test_peerid.c — PeerIDs and keys.
 *
 * Vectors:
 *   - libp2p/specs peer-ids/peer-ids.md "Test vectors": the marshalled
 *     Ed25519, secp256k1, ECDSA and RSA keys (public; Ed25519 private).
 *   - go-libp2p p2p/security/tls/crypto_test.go: the Ed25519 PublicKey
 *     08011220a77f1d92... inside its certificate belongs to
 *     12D3KooWM6CgA9iBFZmcYAHA6A2qvbAxqfkmrYiRQuz3XEsk4Ksv.
 *   - go-libp2p core/peer/peer_test.go: a CIDv1 of the raw codec
 *     (bafkreifoybyg...) is not a PeerID.
 *   - tests/vectors/keys/: RSA-2048, Ed25519 and secp256k1 keys made and
 *     exported by Kubo 0.43.1 (`ipfs key gen`, `key export`), and what its
 *     `ipfs key sign` printed for each over msg.txt.
 *   - The other text forms (CIDv1 base32/base36, the PeerIDs of the spec's
 *     keys) were computed with a 20-line Python script (hashlib, base58 and
 *     base36 by long division) that gives go-libp2p's answer for the TLS
 *     vector above.
 */
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "../dag/multibase.h"
#include "../net/peerid.h"

static const char *SPEC_ED_PRIV =
    "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d"
    "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
static const char *SPEC_ED_PUB =
    "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
static const char *SPEC_SECP_PUB = "08021221037777e994e452c21604f91de093ce415f"
                                   "5432f701dd8cd1a7a6fea0e630bfca99";
static const char *SPEC_ECDSA_PUB =
    "0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004de3d300fa3"
    "6ae0e8f5d530899d83abab44abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d"
    "6851510c098e5c47c646a597fb4dcec034e9f77c409e62";
static const char *GO_TLS_PUB =
    "08011220a77f1d92fedb59dddaea5a1c4abd1ac2fbde7d7b879ed364501809923d7c11b9";

/* Unmarshal a hex PublicKey, check that it marshals back to the same bytes
 * and that its PeerID has the three text forms given. */
static void check_pub(const char *hex, int type, const char *b58,
                      const char *b32, const char *b36) {
  uint8_t pb[NET_PUBKEY_PB_MAX], again[NET_PUBKEY_PB_MAX];
  size_t n = unhex(hex, pb, sizeof pb);
  net_pubkey_t k;
  assert_int_equal(net_pubkey_unmarshal(&k, pb, n), 0);
  assert_int_equal(k.type, type);
  assert_int_equal(net_pubkey_marshal(&k, again, sizeof again), (int)n);
  assert_memory_equal(pb, again, n);
  assert_int_equal(net_pubkey_marshal(&k, again, n - 1), TR_EBUFSIZE);

  net_peerid_t id, id2;
  assert_int_equal(net_peerid_from_pubkey(&id, &k), 0);
  assert_true(net_peerid_matches(&id, &k));
  char s[NET_PEERID_STR_MAX];
  assert_int_equal(net_peerid_format(&id, 0, s, sizeof s), (int)strlen(b58));
  assert_string_equal(s, b58);
  assert_true(net_peerid_format(&id, 'b', s, sizeof s) > 0);
  assert_string_equal(s, b32);
  assert_true(net_peerid_format(&id, 'k', s, sizeof s) > 0);
  assert_string_equal(s, b36);
  const char *forms[] = {b58, b32, b36};
  for (int i = 0; i < 3; i++) {
    assert_int_equal(net_peerid_parse(&id2, forms[i], strlen(forms[i])), 0);
    assert_true(net_peerid_equal(&id, &id2));
  }
  /* Keys of at most 42 marshalled bytes are inlined and come back out. */
  net_pubkey_t k2;
  if (n <= NET_PEERID_INLINE_MAX) {
    assert_int_equal(net_peerid_pubkey(&id, &k2), 0);
    assert_int_equal(k2.len, k.len);
    assert_memory_equal(k2.data, k.data, k.len);
  } else {
    assert_int_equal(id.bytes[0], 0x12);
    assert_int_equal(net_peerid_pubkey(&id, &k2), TR_EKEY);
  }
}

static void test_spec_keys(void **state) {
  (void)state;
  check_pub(GO_TLS_PUB, NET_KEY_ED25519,
            "12D3KooWM6CgA9iBFZmcYAHA6A2qvbAxqfkmrYiRQuz3XEsk4Ksv",
            "bafzaajaiaejcbj37dwjp5w2z3xnouwq4jk6rvqx33z6xxb462nsfagajsi6xyenz",
            "k51qzi5uqu5dkcvl8ex8ld8yc53yojhh0cchrvfm7uq5mpi0d32uhisklc9ku1");
  check_pub(SPEC_ED_PUB, NET_KEY_ED25519,
            "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq",
            "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6",
            "k51qzi5uqu5dgy8qsq67hbz73jqkw87l3fgf4a91qb0d9b5173tir7n4vxk1oe");
  check_pub(SPEC_SECP_PUB, NET_KEY_SECP256K1,
            "16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY",
            "bafzaajiiaijcca3xo7uzjzcsyilaj6i54cj44qk7kqzpoao5rti2pjx6udtdbp6kte",
            "kzwfwjn5ji4put13uvtwtc7azzwk42cq2o8ctfnxa6q8n90e72o3pjqbrp3lpcp");
  check_pub(SPEC_ECDSA_PUB, NET_KEY_ECDSA,
            "QmVMT29id3TUASyfZZ6k9hmNyc2nYabCo4uMSpDw4zrgDk",
            "bafzbeidigywdclqvl5hxfefwp5onbffcfife7pza57mmfb4tiqmtkdjw64",
            "k2k4r8m0iploq6r25jp915xawtnx0qdr0je62jws2kki6votbj5191x3");
}

/* The spec: "Implementations SHOULD check that they can produce the
 * provided public key from the private key." */
static void test_spec_private(void **state) {
  (void)state;
  uint8_t pb[128], want[64], out[NET_PRIVKEY_PB_LEN];
  size_t n = unhex(SPEC_ED_PRIV, pb, sizeof pb);
  net_privkey_t k;
  assert_int_equal(net_privkey_unmarshal(&k, pb, n), 0);
  net_pubkey_t pk;
  net_privkey_pubkey(&k, &pk);
  uint8_t pub[NET_PUBKEY_PB_MAX];
  size_t wn = unhex(SPEC_ED_PUB, want, sizeof want);
  assert_int_equal(net_pubkey_marshal(&pk, pub, sizeof pub), (int)wn);
  assert_memory_equal(pub, want, wn);
  net_privkey_marshal(&k, out);
  assert_int_equal(n, NET_PRIVKEY_PB_LEN);
  assert_memory_equal(out, pb, n);

  /* The 96-byte form of old go-libp2p: the public key repeated. */
  uint8_t old[4 + 96];
  memcpy(old, pb, 68);
  old[3] = 96;
  memcpy(old + 68, pb + 36, 32);
  net_privkey_t k2;
  assert_int_equal(net_privkey_unmarshal(&k2, old, sizeof old), 0);
  assert_memory_equal(k2.sk, k.sk, 64);
  old[99] ^= 1; /* the copies differ */
  assert_int_equal(net_privkey_unmarshal(&k2, old, sizeof old), TR_EKEY);

  /* A public half that the seed does not give. */
  pb[67] ^= 1;
  assert_int_equal(net_privkey_unmarshal(&k2, pb, n), TR_EKEY);
  /* Not Ed25519: the spec's secp256k1 private key. */
  n = unhex("0802122053DADF1D5A164D6B4ACDB15E24AA4C5B1D3461BDBD42ABEDB0A4404D"
            "56CED8FB",
            pb, sizeof pb);
  assert_int_equal(net_privkey_unmarshal(&k2, pb, n), TR_EKEY);
}

static void test_sign_verify(void **state) {
  (void)state;
  net_privkey_t k;
  assert_int_equal(net_privkey_generate(&k), 0);
  net_pubkey_t pk;
  net_privkey_pubkey(&k, &pk);
  uint8_t msg[] = "noise-libp2p-static-key:", sig[64];
  net_sign(&k, msg, sizeof msg, sig);
  assert_int_equal(net_verify(&pk, msg, sizeof msg, sig, 64), 0);
  assert_int_equal(net_verify(&pk, msg, sizeof msg, sig, 63), TR_ESIG);
  msg[0] ^= 1;
  assert_int_equal(net_verify(&pk, msg, sizeof msg, sig, 64), TR_ESIG);
  msg[0] ^= 1;
  sig[10] ^= 1;
  assert_int_equal(net_verify(&pk, msg, sizeof msg, sig, 64), TR_ESIG);
  /* A secp256k1 key (verified through libcrypto): an Ed25519 signature
   * is no DER ECDSA signature; a key of an unknown type is refused. */
  uint8_t pb[128];
  size_t n = unhex(SPEC_SECP_PUB, pb, sizeof pb);
  net_pubkey_t secp;
  assert_int_equal(net_pubkey_unmarshal(&secp, pb, n), 0);
  assert_int_equal(net_verify(&secp, msg, sizeof msg, sig, 64), TR_ESIG);
  secp.type = 7;
  assert_int_equal(net_verify(&secp, msg, sizeof msg, sig, 64), TR_EKEY);

  /* RFC 8032 test 1: the empty message under seed 9d61b19d... */
  uint8_t seed[32], want[64];
  unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        seed, sizeof seed);
  unhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        want, sizeof want);
  net_privkey_from_seed(&k, seed);
  net_sign(&k, (const uint8_t *)"", 0, sig);
  assert_memory_equal(sig, want, 64);
  sodium_memzero(&k, sizeof k);
}

static void test_bad_peerids(void **state) {
  (void)state;
  net_peerid_t id;
  static const char *bad[] = {
      "bafkreifoybygix7fh3r3g5rqle3wcnhqldgdg4shzf4k3ulyw3gn7mabt4", /* raw */
      "QmxoHT6iViN5xAjoz1VZ553cL31U9F94ht3QvWR1FrEbZY", /* digest > 32 */
      "12D3KooWM6CgA9iBFZmcYAHA6A2qvbAxqfkmrYiRQuz3XEsk4Ks", /* cut */
      "12D3KooWM6CgA9iBFZmcYAHA6A2qvbAxqfkmrYiRQuz3XEsk4Ks0", /* not b58 */
      "",
      "1",
      "k2jmtxwoe2phm1hbqp0e7nufqf6umvuu2e9qd7ana7h411a0haqj6i2z",
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++) {
    int rc = net_peerid_parse(&id, bad[i], strlen(bad[i]));
    if (rc != TR_EPEERID)
      fail_msg("should be refused: '%s' (%d)", bad[i], rc);
  }
  /* A CIDv0 string is a base58 sha2-256 multihash, which is exactly the
   * form of a hashed PeerID: go-libp2p takes it too. */
  const char *v0 = "QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR";
  assert_int_equal(net_peerid_parse(&id, v0, strlen(v0)), 0);
  /* Binary: an identity digest over 42 bytes, an unknown function,
   * trailing bytes. */
  uint8_t b[64] = {0x00, 43};
  assert_int_equal(net_peerid_from_bytes(&id, b, 45), TR_EPEERID);
  b[1] = 42;
  assert_int_equal(net_peerid_from_bytes(&id, b, 44), 0);
  assert_int_equal(net_peerid_from_bytes(&id, b, 45), TR_EPEERID);
  b[0] = 0x13, b[1] = 32;
  assert_int_equal(net_peerid_from_bytes(&id, b, 34), TR_EPEERID);
  char s[8];
  b[0] = 0x12;
  assert_int_equal(net_peerid_from_bytes(&id, b, 34), 0);
  assert_int_equal(net_peerid_format(&id, 0, s, sizeof s), TR_EBUFSIZE);
}

static void test_bad_keys(void **state) {
  (void)state;
  net_pubkey_t k;
  uint8_t pb[64];
  size_t n = unhex(SPEC_ED_PUB, pb, sizeof pb);
  /* Truncated, no Type, Ed25519 of 31 bytes, an unknown type. */
  assert_int_equal(net_pubkey_unmarshal(&k, pb, n - 1), TR_EKEY);
  assert_int_equal(net_pubkey_unmarshal(&k, pb + 2, n - 2), TR_EKEY);
  pb[3] = 31;
  assert_int_equal(net_pubkey_unmarshal(&k, pb, n - 1), TR_EKEY);
  pb[3] = 32, pb[1] = 7;
  assert_int_equal(net_pubkey_unmarshal(&k, pb, n), TR_EKEY);
  assert_int_equal(net_pubkey_unmarshal(&k, pb, 0), TR_EKEY);
  /* An identity PeerID whose digest is not a PublicKey. */
  net_peerid_t id;
  uint8_t junk[] = {0x00, 0x04, 0xff, 0xff, 0xff, 0xff};
  assert_int_equal(net_peerid_from_bytes(&id, junk, sizeof junk), 0);
  assert_int_equal(net_peerid_pubkey(&id, &k), TR_EKEY);
}

/* Every allocation protobuf-c makes can fail: -ENOMEM, never a crash or a
 * leak, and never mistaken for a bad key. */
static void test_unmarshal_enomem(void **state) {
  (void)state;
  uint8_t pb[128];
  size_t n = unhex(SPEC_ED_PRIV, pb, sizeof pb);
  for (long i = 0;; i++) {
    net_privkey_t k;
    fm_start(i);
    int rc = net_privkey_unmarshal(&k, pb, n);
    fm_reset();
    if (rc == 0) {
      assert_true(i > 0); /* the sweep did fail something */
      break;
    }
    assert_int_equal(rc, -ENOMEM);
    assert_true(i < 10);
  }
}

/* ------------------------------------------- private keys of any type */

#define KEYS "tests/vectors/keys/"
#define SIGN_PREFIX "libp2p-key signed message:"

/* The signatures `ipfs key sign` made over msg.txt with the three keys
 * (kubo-0.43.1_sign.txt, a JSON line each: the "Signature" value). */
static void kubo_sig(int line, char *out, size_t n) {
  size_t len;
  char *t = (char *)slurp(KEYS "kubo-0.43.1_sign.txt", &len);
  char *p = t;
  for (int i = 0; i < line; i++)
    p = strchr(p, '\n') + 1;
  p = strstr(p, "\"Signature\":\"") + 13;
  size_t l = strcspn(p, "\"");
  assert_true(l < n);
  memcpy(out, p, l);
  out[l] = 0;
  free(t);
}

/* PREFIX + msg.txt: what key sign signs. */
static uint8_t *signed_msg(size_t *n) {
  size_t ml;
  uint8_t *m = slurp(KEYS "msg.txt", &ml);
  uint8_t *b = malloc(sizeof SIGN_PREFIX - 1 + ml);
  memcpy(b, SIGN_PREFIX, sizeof SIGN_PREFIX - 1);
  memcpy(b + sizeof SIGN_PREFIX - 1, m, ml);
  free(m);
  *n = sizeof SIGN_PREFIX - 1 + ml;
  return b;
}

static void id_is(const net_pubkey_t *pk, const char *b36) {
  net_peerid_t id;
  char s[NET_PEERID_STR_MAX];
  assert_int_equal(net_peerid_from_pubkey(&id, pk), 0);
  assert_true(net_peerid_format(&id, 'k', s, sizeof s) > 0);
  assert_string_equal(s, b36);
}

/* Kubo's keys: the IDs `ipfs key ls` shows, and for RSA and Ed25519
 * (deterministic schemes) Kubo's signature byte for byte; secp256k1
 * signs with a random nonce here, an RFC 6979 one in go-libp2p: each
 * verifies the other's. */
static void test_any_kubo_keys(void **state) {
  (void)state;
  static const struct {
    const char *file, *id;
    int type;
    bool same_sig;
  } keys[] = {
      {"rsa", "k2k4r8ofcppf1i0agblytyqo1flvhwmyirosjsowqv1f4fo9n9jne8hh",
       NET_KEY_RSA, true},
      {"ed", "k51qzi5uqu5dl32p30zrv9r5u2p1ajl6sjd4gql2prckdwqczyd99z0f7vdl73",
       NET_KEY_ED25519, true},
      {"secp", "kzwfwjn5ji4puneksn5cx43ezz6aeabfhfqm7b0u0rxu1woyqg5c4k1sxw68xg6",
       NET_KEY_SECP256K1, false},
  };
  size_t mn;
  uint8_t *msg = signed_msg(&mn);
  for (int i = 0; i < 3; i++) {
    char path[128], want[2048], got[2048];
    snprintf(path, sizeof path, KEYS "kubo-0.43.1_%s.key", keys[i].file);
    size_t n;
    uint8_t *k = slurp(path, &n), sig[NET_SIG_MAX], ksig[NET_SIG_MAX];
    net_pubkey_t pk;
    assert_int_equal(net_privkey_any_pubkey(k, n, &pk), 0);
    assert_int_equal(pk.type, keys[i].type);
    id_is(&pk, keys[i].id);
    int sl = net_sign_any(k, n, msg, mn, sig, sizeof sig);
    assert_true(sl > 0);
    assert_int_equal(net_verify(&pk, msg, mn, sig, (size_t)sl), 0);
    kubo_sig(i, want, sizeof want);
    size_t kl;
    assert_int_equal(dag_mb_decode(want, strlen(want), ksig, sizeof ksig, &kl,
                                   NULL), 0);
    assert_int_equal(net_verify(&pk, msg, mn, ksig, kl), 0);
    if (keys[i].same_sig) {
      assert_true(dag_mb_encode('u', sig, (size_t)sl, got, sizeof got) > 0);
      assert_string_equal(got, want);
    }
    /* A signature over another message does not verify. */
    msg[0] ^= 1;
    assert_int_equal(net_verify(&pk, msg, mn, sig, (size_t)sl), TR_ESIG);
    msg[0] ^= 1;
    /* Too small a buffer for the signature. */
    assert_int_equal(net_sign_any(k, n, msg, mn, sig, 16), TR_EBUFSIZE);
    free(k);
  }
  free(msg);
}

/* The PrivateKey protobuf of type around data[0..n) into pb. */
static size_t wrap(int type, const uint8_t *d, size_t n, uint8_t *pb) {
  size_t o = 0;
  pb[o++] = 0x08, pb[o++] = (uint8_t)type, pb[o++] = 0x12;
  if (n < 128) {
    pb[o++] = (uint8_t)n;
  } else {
    pb[o++] = (uint8_t)(0x80 | (n & 0x7f));
    pb[o++] = (uint8_t)(n >> 7);
  }
  memcpy(pb + o, d, n);
  return o + n;
}

/* ECDSA (P-256), which Kubo does not make but go-libp2p reads: SEC1 DER
 * from libcrypto; its public key is the PKIX one, its signatures verify. */
static void test_any_ecdsa(void **state) {
  (void)state;
  EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  assert_non_null(key);
  unsigned char *der = NULL, *pub = NULL;
  int dl = i2d_PrivateKey(key, &der), pl = i2d_PUBKEY(key, &pub);
  assert_true(dl > 0 && pl > 0);
  uint8_t pb[512], sig[NET_SIG_MAX];
  size_t n = wrap(NET_KEY_ECDSA, der, (size_t)dl, pb);
  net_pubkey_t pk;
  assert_int_equal(net_privkey_any_pubkey(pb, n, &pk), 0);
  assert_int_equal(pk.type, NET_KEY_ECDSA);
  assert_int_equal(pk.len, pl);
  assert_memory_equal(pk.data, pub, (size_t)pl);
  int sl = net_sign_any(pb, n, (const uint8_t *)"m", 1, sig, sizeof sig);
  assert_true(sl > 0);
  assert_int_equal(net_verify(&pk, (const uint8_t *)"m", 1, sig, (size_t)sl),
                   0);
  /* The same key labelled RSA, secp256k1 or Ed25519 is no key. */
  for (int t = NET_KEY_RSA; t <= NET_KEY_SECP256K1; t++) {
    n = wrap(t, der, (size_t)dl, pb);
    assert_int_equal(net_privkey_any_pubkey(pb, n, &pk), TR_EKEY);
    assert_int_equal(net_sign_any(pb, n, (const uint8_t *)"m", 1, sig,
                                  sizeof sig),
                     TR_EKEY);
  }
  OPENSSL_free(der);
  OPENSSL_free(pub);
  EVP_PKEY_free(key);
}

/* Hostile key files: cut anywhere, a byte flipped anywhere, an RSA key
 * under go-libp2p's minimum, a secp256k1 scalar of the wrong size, an
 * unknown type: TR_EKEY (or a key that decodes), never a crash. */
static void test_any_hostile(void **state) {
  (void)state;
  static const char *const files[] = {"rsa", "ed", "secp"};
  for (int f = 0; f < 3; f++) {
    char path[128];
    snprintf(path, sizeof path, KEYS "kubo-0.43.1_%s.key", files[f]);
    size_t n;
    uint8_t *k = slurp(path, &n), sig[NET_SIG_MAX];
    net_pubkey_t pk;
    for (size_t cut = 0; cut < n; cut++)
      assert_int_equal(net_privkey_any_pubkey(k, cut, &pk), TR_EKEY);
    for (size_t i = 0; i < n; i += (n > 200 ? 7 : 1)) {
      k[i] ^= 0x41;
      int rc = net_privkey_any_pubkey(k, n, &pk);
      assert_true(rc == 0 || rc == TR_EKEY);
      rc = net_sign_any(k, n, (const uint8_t *)"m", 1, sig, sizeof sig);
      assert_true(rc > 0 || rc == TR_EKEY);
      k[i] ^= 0x41;
    }
    free(k);
  }
  EVP_PKEY *small = EVP_RSA_gen(1024);
  unsigned char *der = NULL;
  int dl = i2d_PrivateKey(small, &der);
  uint8_t pb[1024];
  size_t n = wrap(NET_KEY_RSA, der, (size_t)dl, pb);
  net_pubkey_t pk;
  assert_int_equal(net_privkey_any_pubkey(pb, n, &pk), TR_EKEY);
  OPENSSL_free(der);
  EVP_PKEY_free(small);
  uint8_t scalar[33] = {1};
  n = wrap(NET_KEY_SECP256K1, scalar, 31, pb);
  assert_int_equal(net_privkey_any_pubkey(pb, n, &pk), TR_EKEY);
  n = wrap(NET_KEY_SECP256K1, scalar, 33, pb);
  assert_int_equal(net_privkey_any_pubkey(pb, n, &pk), TR_EKEY);
  n = wrap(9, scalar, 32, pb);
  assert_int_equal(net_privkey_any_pubkey(pb, n, &pk), TR_EKEY);
  assert_int_equal(net_privkey_any_pubkey(pb, 0, &pk), TR_EKEY);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spec_keys),      cmocka_unit_test(test_spec_private),
      cmocka_unit_test(test_sign_verify),    cmocka_unit_test(test_bad_peerids),
      cmocka_unit_test(test_bad_keys),       cmocka_unit_test(test_unmarshal_enomem),
      cmocka_unit_test(test_any_kubo_keys),  cmocka_unit_test(test_any_ecdsa),
      cmocka_unit_test(test_any_hostile),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_keysign.c — `key sign` and `key verify` (dht/keysign.h) over a
 * keystore holding Kubo 0.43.1's RSA, Ed25519 and secp256k1 keys
 * (tests/vectors/keys/, imported with dht_key_import): the answers Kubo's
 * `ipfs key sign` printed over msg.txt, byte for byte for the
 * deterministic schemes (RSA PKCS#1 v1.5, Ed25519); each of Kubo's
 * signatures verifies; the refusals in Kubo's words (an unknown key, a
 * name whose key is not inlined, an RSA signature over other bytes, a
 * signature that is no multibase); the node's own key by "self" and by
 * PeerID.
 */
#include "testutil.h"

#include <sodium.h>

#include "../dht/keysign.h"
#include "../dht/keystore.h"

#define KEYS "tests/vectors/keys/"

static char repo[64];

static int setup(void **st) {
  (void)st;
  snprintf(repo, sizeof repo, "/tmp/trove-ksig.XXXXXX");
  if (!mkdtemp(repo))
    return -1;
  static const char *const names[] = {"rsa", "ed", "secp"};
  for (int i = 0; i < 3; i++) {
    char path[128], err[256];
    snprintf(path, sizeof path, KEYS "kubo-0.43.1_%s.key", names[i]);
    size_t n;
    uint8_t *k = slurp(path, &n);
    net_peerid_t id;
    int rc = dht_key_import(repo, names[i], k, n, &id, err, sizeof err);
    free(k);
    if (rc)
      return -1;
  }
  return 0;
}

static int teardown(void **st) {
  (void)st;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", repo);
  return system(cmd) == 0 ? 0 : -1;
}

/* Kubo's answer line i (kubo-0.43.1_sign.txt), without its newline. */
static char *kubo_line(int i) {
  size_t n;
  char *t = (char *)slurp(KEYS "kubo-0.43.1_sign.txt", &n), *p = t;
  for (int k = 0; k < i; k++)
    p = strchr(p, '\n') + 1;
  size_t l = strcspn(p, "\n");
  char *s = strndup(p, l);
  free(t);
  return s;
}

static char *dump(json_t *o) {
  char *s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  assert_non_null(s);
  return s;
}

static uint8_t *msg(size_t *n) { return slurp(KEYS "msg.txt", n); }

static void test_sign_as_kubo(void **st) {
  (void)st;
  size_t n;
  uint8_t *m = msg(&n);
  static const char *const names[] = {"rsa", "ed"};
  for (int i = 0; i < 2; i++) {
    json_t *o;
    char err[256];
    assert_int_equal(dht_keysign_sign(repo, NULL, names[i], NULL, m, n, &o,
                                      err, sizeof err),
                     0);
    char *got = dump(o), *want = kubo_line(i);
    assert_string_equal(got, want);
    free(got);
    free(want);
  }
  free(m);
}

/* The Signature of Kubo's line i. */
static char *kubo_sig(int i) {
  char *l = kubo_line(i), *p = strstr(l, "\"Signature\":\"") + 13;
  char *s = strndup(p, strcspn(p, "\""));
  free(l);
  return s;
}

static void test_verify_kubo(void **st) {
  (void)st;
  size_t n;
  uint8_t *m = msg(&n);
  static const char *const names[] = {"rsa", "ed", "secp"};
  for (int i = 0; i < 3; i++) {
    char *sig = kubo_sig(i), err[256];
    json_t *o;
    assert_int_equal(dht_keysign_verify(repo, NULL, names[i], sig, "b58mh", m,
                                        n, &o, err, sizeof err),
                     0);
    assert_true(json_is_true(json_object_get(o, "SignatureValid")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(o, "Key"), "Name")),
        names[i]);
    json_decref(o);
    /* Other bytes: false for Ed25519 and secp256k1, an error for RSA. */
    m[0] ^= 1;
    int rc = dht_keysign_verify(repo, NULL, names[i], sig, NULL, m, n, &o, err,
                                sizeof err);
    if (i == 0) {
      assert_int_equal(rc, TR_ESIG);
      assert_string_equal(err, "crypto/rsa: verification error");
    } else {
      assert_int_equal(rc, 0);
      assert_true(json_is_false(json_object_get(o, "SignatureValid")));
      json_decref(o);
    }
    m[0] ^= 1;
    free(sig);
  }
  /* secp256k1 here, checked here (the nonce is random) */
  json_t *o;
  char err[256];
  assert_int_equal(dht_keysign_sign(repo, NULL, "secp", NULL, m, n, &o, err,
                                    sizeof err),
                   0);
  char *sig = strdup(
      json_string_value(json_object_get(o, "Signature")));
  json_decref(o);
  assert_int_equal(dht_keysign_verify(repo, NULL, "secp", sig, NULL, m, n, &o,
                                      err, sizeof err),
                   0);
  assert_true(json_is_true(json_object_get(o, "SignatureValid")));
  json_decref(o);
  free(sig);
  free(m);
}

static void test_refusals(void **st) {
  (void)st;
  size_t n;
  uint8_t *m = msg(&n);
  char *sig = kubo_sig(1), err[256];
  json_t *o;
  assert_int_equal(dht_keysign_sign(repo, NULL, "nokey", NULL, m, n, &o, err,
                                    sizeof err),
                   TR_ENOTFOUND);
  assert_string_equal(err, "no key by the given name was found");
  assert_int_equal(dht_keysign_verify(repo, NULL, "nokey", sig, NULL, m, n,
                                      &o, err, sizeof err),
                   TR_ENOTFOUND);
  assert_string_equal(err, "'\"nokey\"' is not a known key, an IPNS Name, "
                           "or a valid PeerID");
  /* The RSA key's name: a hash, its key not inlined. */
  assert_int_equal(
      dht_keysign_verify(repo, NULL,
                         "k2k4r8ofcppf1i0agblytyqo1flvhwmyirosjsowqv1f4fo9n9"
                         "jne8hh",
                         sig, NULL, m, n, &o, err, sizeof err),
      TR_EKEY);
  assert_string_equal(err, "public key is not embedded in peer ID");
  /* The Ed25519 key's name inlines it: Name "". */
  assert_int_equal(
      dht_keysign_verify(repo, NULL,
                         "/ipns/k51qzi5uqu5dl32p30zrv9r5u2p1ajl6sjd4gql2prckd"
                         "wqczyd99z0f7vdl73",
                         sig, NULL, m, n, &o, err, sizeof err),
      0);
  assert_true(json_is_true(json_object_get(o, "SignatureValid")));
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(o, "Key"), "Name")),
      "");
  json_decref(o);
  assert_int_equal(dht_keysign_verify(repo, NULL, "ed", "", NULL, m, n, &o,
                                      err, sizeof err),
                   TR_EUSAGE);
  assert_string_equal(err, "cannot decode multibase for zero length string");
  assert_int_equal(dht_keysign_verify(repo, NULL, "ed", "?abc", NULL, m, n,
                                      &o, err, sizeof err),
                   TR_EUSAGE);
  assert_int_equal(dht_keysign_verify(repo, NULL, "ed", "u***", NULL, m, n,
                                      &o, err, sizeof err),
                   TR_EUSAGE);
  /* Too much data. */
  uint8_t *big = calloc(1, DHT_KEYSIGN_DATA_MAX + 1);
  assert_int_equal(dht_keysign_sign(repo, NULL, "ed", NULL, big,
                                    DHT_KEYSIGN_DATA_MAX + 1, &o, err,
                                    sizeof err),
                   TR_ETOOBIG);
  free(big);
  free(sig);
  free(m);
}

/* self: the node's key given by the caller; none at hand is an error. */
static void test_self(void **st) {
  (void)st;
  net_privkey_t self;
  uint8_t seed[32] = {9};
  net_privkey_from_seed(&self, seed);
  json_t *o;
  char err[256];
  assert_int_equal(dht_keysign_sign(repo, NULL, "self", NULL,
                                    (const uint8_t *)"x", 1, &o, err,
                                    sizeof err),
                   TR_ENOTFOUND);
  assert_int_equal(dht_keysign_sign(repo, &self, NULL, NULL,
                                    (const uint8_t *)"x", 1, &o, err,
                                    sizeof err),
                   0);
  char *sig = strdup(json_string_value(json_object_get(o, "Signature")));
  const char *id =
      json_string_value(json_object_get(json_object_get(o, "Key"), "Id"));
  char idc[NET_PEERID_STR_MAX];
  snprintf(idc, sizeof idc, "%s", id);
  json_decref(o);
  /* By "self", and by its PeerID (Name "" then). */
  const char *keys[] = {"", idc};
  for (int i = 0; i < 2; i++) {
    assert_int_equal(dht_keysign_verify(repo, &self, keys[i], sig, NULL,
                                        (const uint8_t *)"x", 1, &o, err,
                                        sizeof err),
                     0);
    assert_true(json_is_true(json_object_get(o, "SignatureValid")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(o, "Key"), "Name")),
        i ? "" : "self");
    json_decref(o);
  }
  free(sig);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sign_as_kubo),
      cmocka_unit_test(test_verify_kubo),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_self),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

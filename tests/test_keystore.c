/*
 * test_keystore.c — dht/keystore.h: the files of $repo/keystore/ (Kubo's
 * names and bytes, mode 0600, never overwritten by a store), rename with
 * and without force, listing (sorted, junk files skipped), the key file
 * parser's answers (a Kubo-exported key, the old 96-byte form, RSA,
 * garbage), the ID bases; Kubo's RSA and secp256k1 keys imported,
 * listed, renamed and removed (tests/vectors/keys/).
 */
#include "testutil.h"

#include <sodium.h>
#include <sys/stat.h>

#include "../dht/keystore.h"
#include "../dht/ipns.h"
#include "../dht/name.h"

static char repo[64];

static int setup(void **st) {
  (void)st;
  snprintf(repo, sizeof repo, "/tmp/trove-ks.XXXXXX");
  return mkdtemp(repo) ? 0 : -1;
}

static int teardown(void **st) {
  (void)st;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", repo);
  return system(cmd) == 0 ? 0 : -1;
}

static void key_of(uint8_t b, net_privkey_t *k) {
  uint8_t seed[32];
  memset(seed, b, sizeof seed);
  net_privkey_from_seed(k, seed);
}

static void test_store_files(void **st) {
  (void)st;
  net_privkey_t k, r;
  char err[256], path[256];
  key_of(1, &k);
  assert_int_equal(dht_key_store(repo, "alpha", &k, err, sizeof err), 0);
  /* boxo's encode(): "key_" + lowercase unpadded base32 of the name. */
  snprintf(path, sizeof path, "%s/keystore/key_mfwha2db", repo);
  struct stat sb;
  assert_int_equal(stat(path, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0600);
  assert_int_equal(sb.st_size, NET_PRIVKEY_PB_LEN);
  FILE *f = fopen(path, "rb");
  uint8_t b[80], pb[NET_PRIVKEY_PB_LEN];
  size_t n = fread(b, 1, sizeof b, f);
  fclose(f);
  net_privkey_marshal(&k, pb);
  assert_int_equal(n, sizeof pb);
  assert_memory_equal(b, pb, sizeof pb);
  assert_int_equal(dht_key_load(repo, "alpha", &r), 0);
  assert_memory_equal(r.sk, k.sk, 64);
  /* Never overwritten; "self" and bad names refused; no temp left. */
  key_of(2, &r);
  assert_int_equal(dht_key_store(repo, "alpha", &r, err, sizeof err),
                   TR_EEXIST);
  assert_string_equal(err, "key with name 'alpha' already exists");
  assert_int_equal(dht_key_load(repo, "alpha", &r), 0);
  assert_memory_equal(r.sk, k.sk, 64);
  assert_int_equal(dht_key_store(repo, "self", &k, err, sizeof err),
                   TR_EUSAGE);
  assert_int_equal(dht_key_store(repo, "", &k, err, sizeof err), TR_EUSAGE);
  assert_int_equal(dht_key_store(repo, "a\nb", &k, err, sizeof err),
                   TR_EUSAGE);
  char longname[DHT_KEY_NAME_MAX + 2];
  memset(longname, 'x', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  assert_int_equal(dht_key_store(repo, longname, &k, err, sizeof err),
                   TR_EUSAGE);
  longname[DHT_KEY_NAME_MAX] = 0; /* the longest name works */
  assert_int_equal(dht_key_store(repo, longname, &k, err, sizeof err), 0);
  assert_int_equal(dht_key_load(repo, "nope", &r), TR_ENOTFOUND);
  dht_key_entry_t *v;
  assert_int_equal(dht_key_list(repo, &v, &n), 0);
  assert_int_equal(n, 2);
  tr_free(v);
}

static void test_rename_rm_list(void **st) {
  (void)st;
  net_privkey_t a, b, r;
  net_peerid_t id, ida;
  net_pubkey_t pk;
  bool over;
  char err[256];
  key_of(3, &a);
  key_of(4, &b);
  net_privkey_pubkey(&a, &pk);
  assert_int_equal(net_peerid_from_pubkey(&ida, &pk), 0);
  assert_int_equal(dht_key_store(repo, "b", &a, err, sizeof err), 0);
  assert_int_equal(dht_key_store(repo, "a", &b, err, sizeof err), 0);
  assert_int_equal(dht_key_rename(repo, "b", "a", false, &id, &over, err,
                                  sizeof err), TR_EEXIST);
  assert_int_equal(dht_key_rename(repo, "self", "x", false, &id, &over, err,
                                  sizeof err), TR_EUSAGE);
  assert_int_equal(dht_key_rename(repo, "b", "self", true, &id, &over, err,
                                  sizeof err), TR_EUSAGE);
  assert_int_equal(dht_key_rename(repo, "zz", "y", false, &id, &over, err,
                                  sizeof err), TR_ENOTFOUND);
  assert_string_equal(err, "no key named zz was found");
  assert_int_equal(dht_key_rename(repo, "b", "a", true, &id, &over, err,
                                  sizeof err), 0);
  assert_true(over);
  assert_true(net_peerid_equal(&id, &ida));
  assert_int_equal(dht_key_load(repo, "a", &r), 0);
  assert_memory_equal(r.sk, a.sk, 64);
  assert_int_equal(dht_key_load(repo, "b", &r), TR_ENOTFOUND);
  assert_int_equal(dht_key_rename(repo, "a", "c", false, &id, &over, err,
                                  sizeof err), 0);
  assert_false(over);
  /* Junk in the folder is skipped by the listing. */
  char p[256];
  snprintf(p, sizeof p, "%s/keystore/key_mjqxe", repo); /* "bar": junk */
  FILE *f = fopen(p, "wb");
  fputs("not a key", f);
  fclose(f);
  snprintf(p, sizeof p, "%s/keystore/other", repo);
  fclose(fopen(p, "wb"));
  assert_int_equal(dht_key_store(repo, "0first", &b, err, sizeof err), 0);
  dht_key_entry_t *v;
  size_t n;
  assert_int_equal(dht_key_list(repo, &v, &n), 0);
  assert_int_equal(n, 2);
  assert_string_equal(v[0].name, "0first");
  assert_string_equal(v[1].name, "c");
  assert_true(net_peerid_equal(&v[1].id, &ida));
  tr_free(v);
  assert_int_equal(dht_key_remove(repo, "c", &id, err, sizeof err), 0);
  assert_true(net_peerid_equal(&id, &ida));
  assert_int_equal(dht_key_remove(repo, "c", &id, err, sizeof err),
                   TR_ENOTFOUND);
  assert_int_equal(dht_key_remove(repo, "self", &id, err, sizeof err),
                   TR_EUSAGE);
}

/* Kubo's RSA and secp256k1 keys: imported as they are, listed with their
 * IDs, renamed and removed; read whole by dht_key_load_file, refused by
 * dht_key_load (IPNS signs with Ed25519 only).  Garbage is not imported. */
static void test_other_types(void **st) {
  (void)st;
  static const struct {
    const char *file, *id;
  } keys[] = {
      {"tests/vectors/keys/kubo-0.43.1_rsa.key",
       "k2k4r8ofcppf1i0agblytyqo1flvhwmyirosjsowqv1f4fo9n9jne8hh"},
      {"tests/vectors/keys/kubo-0.43.1_secp.key",
       "kzwfwjn5ji4puneksn5cx43ezz6aeabfhfqm7b0u0rxu1woyqg5c4k1sxw68xg6"},
  };
  char err[256], s[NET_PEERID_STR_MAX];
  for (int i = 0; i < 2; i++) {
    size_t n;
    uint8_t *k = slurp(keys[i].file, &n), buf[DHT_KEY_FILE_MAX];
    net_peerid_t id;
    assert_int_equal(dht_key_import(repo, "other", k, n, &id, err, sizeof err),
                     0);
    assert_true(dht_key_format_id(&id, "base36", s, sizeof s) > 0);
    assert_string_equal(s, keys[i].id);
    assert_int_equal(dht_key_import(repo, "other", k, n, &id, err, sizeof err),
                     TR_EEXIST);
    dht_key_entry_t *v;
    size_t nv;
    assert_int_equal(dht_key_list(repo, &v, &nv), 0);
    assert_int_equal(nv, 1);
    assert_true(net_peerid_equal(&v[0].id, &id));
    tr_free(v);
    net_pubkey_t pk;
    assert_int_equal(dht_key_load_file(repo, "other", buf, &pk), (int)n);
    assert_memory_equal(buf, k, n);
    net_privkey_t ed;
    assert_int_equal(dht_key_load(repo, "other", &ed), TR_EKEYTYPE);
    bool over;
    assert_int_equal(dht_key_rename(repo, "other", "other2", false, &id,
                                    &over, err, sizeof err),
                     0);
    assert_int_equal(dht_key_remove(repo, "other2", &id, err, sizeof err), 0);
    assert_true(dht_key_format_id(&id, "base36", s, sizeof s) > 0);
    assert_string_equal(s, keys[i].id);
    assert_int_equal(dht_key_import(repo, "bad", k, n - 1, &id, err,
                                    sizeof err),
                     TR_EKEY);
    if (i == 0) { /* a byte of the modulus: an RSA key that does not hold */
      k[40] ^= 0x10;
      assert_int_equal(dht_key_import(repo, "bad", k, n, &id, err,
                                      sizeof err),
                       TR_EKEY);
    }
    free(k);
  }
  net_pubkey_t pk;
  uint8_t buf[DHT_KEY_FILE_MAX];
  assert_int_equal(dht_key_load_file(repo, "nope", buf, &pk), TR_ENOTFOUND);
}

static void test_parse(void **st) {
  (void)st;
  net_privkey_t k, r;
  key_of(5, &k);
  uint8_t pb[NET_PRIVKEY_PB_LEN], old[100];
  net_privkey_marshal(&k, pb);
  assert_int_equal(dht_key_file_parse(pb, sizeof pb, &r), 0);
  assert_memory_equal(r.sk, k.sk, 64);
  /* The 96-byte form of old go-libp2p: the public key once more. */
  memcpy(old, "\x08\x01\x12\x60", 4);
  memcpy(old + 4, k.sk, 64);
  memcpy(old + 68, k.sk + 32, 32);
  assert_int_equal(dht_key_file_parse(old, 100, &r), 0);
  assert_memory_equal(r.sk, k.sk, 64);
  static const uint8_t rsa[] = {0x08, 0x00, 0x12, 0x03, 1, 2, 3};
  assert_int_equal(dht_key_file_parse(rsa, sizeof rsa, &r), TR_EKEYTYPE);
  assert_int_equal(dht_key_file_parse(pb, sizeof pb - 1, &r), TR_EKEY);
  assert_int_equal(dht_key_file_parse((const uint8_t *)"", 0, &r), TR_EKEY);
  pb[10] ^= 1; /* the public half no longer the seed's */
  assert_int_equal(dht_key_file_parse(pb, sizeof pb, &r), TR_EKEY);
}

static void test_format(void **st) {
  (void)st;
  net_privkey_t k;
  net_pubkey_t pk;
  net_peerid_t id;
  char s[NET_PEERID_STR_MAX];
  key_of(6, &k);
  net_privkey_pubkey(&k, &pk);
  assert_int_equal(net_peerid_from_pubkey(&id, &pk), 0);
  assert_true(dht_key_format_id(&id, "base36", s, sizeof s) > 0);
  assert_memory_equal(s, "k51", 3);
  assert_true(dht_key_format_id(&id, "b58mh", s, sizeof s) > 0);
  assert_memory_equal(s, "12D3KooW", 8);
  assert_true(dht_key_format_id(&id, "base32", s, sizeof s) > 0);
  assert_memory_equal(s, "bafz", 4);
  assert_int_equal(dht_key_format_id(&id, "base99", s, sizeof s), TR_EBASE);
}

/* Records held for other names (dht/name.h): kept per name, the last one
 * put replacing the one before, listed with their bytes, dropped. */
typedef struct seen {
  int n;
  net_peerid_t id[4];
  uint8_t first[4];
  size_t len[4];
} seen_t;

static void on_held(void *ud, const net_peerid_t *id, const uint8_t *rec,
                    size_t n) {
  seen_t *s = ud;
  assert_true(s->n < 4);
  s->id[s->n] = *id;
  s->first[s->n] = n ? rec[0] : 0;
  s->len[s->n++] = n;
}

static void test_held(void **st) {
  (void)st;
  net_privkey_t a, b;
  net_pubkey_t pa, pb;
  net_peerid_t ia, ib;
  key_of(1, &a);
  key_of(2, &b);
  net_privkey_pubkey(&a, &pa);
  net_privkey_pubkey(&b, &pb);
  assert_int_equal(net_peerid_from_pubkey(&ia, &pa), 0);
  assert_int_equal(net_peerid_from_pubkey(&ib, &pb), 0);
  seen_t s = {0};
  assert_int_equal(dht_name_held(repo, on_held, &s), 0);
  assert_int_equal(s.n, 0);
  assert_int_equal(dht_name_hold(repo, &ia, (const uint8_t *)"one", 3), 0);
  assert_int_equal(dht_name_hold(repo, &ib, (const uint8_t *)"b", 1), 0);
  assert_int_equal(dht_name_hold(repo, &ia, (const uint8_t *)"two!", 4), 0);
  /* A file of another kind in the repo is no held record. */
  char path[256];
  snprintf(path, sizeof path, "%s/ipns-held-junk.record", repo);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fclose(f);
  assert_int_equal(dht_name_held(repo, on_held, &s), 0);
  assert_int_equal(s.n, 2);
  for (int i = 0; i < 2; i++) {
    bool isa = net_peerid_equal(&s.id[i], &ia);
    assert_true(isa || net_peerid_equal(&s.id[i], &ib));
    assert_int_equal(s.len[i], isa ? 4 : 1);
    assert_int_equal(s.first[i], isa ? 't' : 'b');
  }
  uint8_t big[DHT_IPNS_RECORD_MAX + 1] = {0};
  assert_int_equal(dht_name_hold(repo, &ib, big, sizeof big), TR_ETOOBIG);
  assert_int_equal(dht_name_unhold(repo, &ia), 0);
  assert_int_equal(dht_name_unhold(repo, &ia), TR_ENOTFOUND);
  memset(&s, 0, sizeof s);
  assert_int_equal(dht_name_held(repo, on_held, &s), 0);
  assert_int_equal(s.n, 1);
  assert_true(net_peerid_equal(&s.id[0], &ib));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_store_files, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rename_rm_list, setup, teardown),
      cmocka_unit_test_setup_teardown(test_other_types, setup, teardown),
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_format),
      cmocka_unit_test_setup_teardown(test_held, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

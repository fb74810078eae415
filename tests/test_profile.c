/*
 * test_profile.c — config/profile.h and rpc/bootstrap.h on hand-made and
 * hostile configs: the diff in elgris/jsondiff's format (nested objects,
 * arrays that grow and shrink, a value that changes type, colours), the
 * Bootstrap "auto" expansion, profiles on a config whose sections are
 * not objects (refused, nothing half-written is saved by the callers),
 * and the bootstrap commands on entries and arguments that are not peer
 * addresses.  interop/config_kubo.sh holds them against Kubo itself.
 */
#include "testutil.h"

#include "../config/config.h"
#include "../config/profile.h"
#include "../rpc/bootstrap.h"

static json_t *js(const char *s) {
  json_error_t e;
  json_t *v = json_loads(s, JSON_DECODE_ANY, &e);
  if (!v)
    fail_msg("bad test JSON %s: %s", s, e.text);
  return v;
}

static void diff_is(const char *a, const char *b, bool color,
                    const char *want) {
  json_t *x = js(a), *y = js(b);
  char *d = config_diff(x, y, color);
  assert_non_null(d);
  if (strcmp(d, want))
    fail_msg("diff of %s and %s:\n%s\nwanted:\n%s", a, b, d, want);
  free(d);
  json_decref(x);
  json_decref(y);
}

static void test_diff(void **state) {
  (void)state;
  diff_is("{}", "{}", false, "{\n}");
  diff_is("{\"a\":1}", "{\"a\":1}", false, "{\n\"a\": 1\n}");
  diff_is("{\"b\":1,\"a\":\"x\"}", "{\"a\":\"y\",\"c\":[1]}", false,
          "{\n<> \"a\": \"x\",\n** \"a\": \"y\",\n>> \"b\": 1,\n"
          "<< \"c\": [1]\n}");
  /* nested: an object within, an array that grows and one that shrinks */
  diff_is("{\"S\":{\"L\":[1,2],\"M\":[1,2,3],\"k\":{\"z\":1,\"a\":2}}}",
          "{\"S\":{\"L\":[1,5,7],\"M\":[1],\"k\":{\"z\":1,\"a\":2}}}", false,
          "{\n\"S\": {\n    \"L\": {\n        \"\": 1,\n"
          "        <> \"\": 2,\n        ** \"\": 5,\n        << \"\": 7\n"
          "        },\n    \"M\": {\n        \"\": 1,\n"
          "        >> \"\": 2,\n        >> \"\": 3\n        },\n"
          "    \"k\": {\"a\":2,\"z\":1}\n    }\n}");
  /* a value that changes type is one change; null is a value; the last
   * item's two lines both go without a comma, as jsondiff writes them */
  diff_is("{\"a\":{\"x\":1},\"n\":null}", "{\"a\":[1],\"n\":false}", false,
          "{\n<> \"a\": {\"x\":1},\n** \"a\": [1],\n<> \"n\": null\n"
          "** \"n\": false\n}");
  diff_is("{\"a\":1}", "{\"a\":2,\"b\":3}", true,
          "{\n\033[33m<> \"a\": 1,\n** \"a\": 2,\033[0m\n"
          "\033[32m<< \"b\": 3\033[0m\n}");
}

static void test_bootstrap_expand(void **state) {
  (void)state;
  json_t *in = js("[\"/ip4/1.2.3.4/tcp/1/p2p/x\",\"auto\",5,\"auto\","
                  "\"/ip4/1.2.3.4/tcp/1/p2p/x\"]");
  json_t *out = config_bootstrap_expand(in);
  assert_int_equal(json_array_size(out), 1 + config_bootstrap_ndefault);
  assert_string_equal(json_string_value(json_array_get(out, 1)),
                      config_bootstrap_default[0]);
  json_decref(out);
  out = config_bootstrap_expand(NULL);
  assert_int_equal(json_array_size(out), 0);
  json_decref(out);
  json_decref(in);
}

static void test_profiles_on_odd_configs(void **state) {
  (void)state;
  char err[256];
  json_t *c = js("{\"Swarm\":5,\"Addresses\":\"x\"}");
  assert_int_equal(config_profile_apply(c, "server", err, sizeof err),
                   TR_ECONFIG);
  json_decref(c);
  c = js("{\"Addresses\":{\"NoAnnounce\":[\"/ip4/10.0.0.0/ipcidr/8\",7,"
         "\"/a\",\"/a\"]}}");
  assert_int_equal(config_profile_apply(c, "server", err, sizeof err),
                   0);
  json_t *na = config_get(c, "Addresses.NoAnnounce");
  /* Kubo's appendSingle: duplicates out, the list's first, then the rest */
  assert_string_equal(json_string_value(json_array_get(na, 0)),
                      "/ip4/10.0.0.0/ipcidr/8");
  assert_string_equal(json_string_value(json_array_get(na, 1)), "/a");
  assert_int_equal(json_array_size(na), 2 + 18);
  assert_int_equal(
      config_profile_apply(c, "local-discovery", err, sizeof err), 0);
  assert_int_equal(json_array_size(config_get(c, "Addresses.NoAnnounce")), 1);
  assert_true(json_is_true(config_get(c, "Discovery.MDNS.Enabled")));
  assert_int_equal(config_profile_apply(c, "flatfs", err, sizeof err),
                   TR_EUSAGE);
  assert_non_null(strstr(err, "LMDB"));
  assert_int_equal(config_profile_apply(c, "", err, sizeof err),
                   TR_EUSAGE);
  assert_string_equal(err, " is not a profile");
  json_decref(c);
}

static int boot(json_t *cfg, int op, char *const *p, size_t n, char *err,
                json_t **out) {
  *out = NULL;
  return rpc_bootstrap(cfg, op, p, n, out, err, 512);
}

static void test_bootstrap_hostile(void **state) {
  (void)state;
  char err[512], big[5000];
  memset(big, 'a', sizeof big - 1);
  big[0] = '/';
  big[sizeof big - 1] = 0;
  json_t *cfg = js("{\"Bootstrap\":[\"auto\",3,\"/ip4/1.2.3.4/tcp/1/p2p/"
                   "QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ\"],"
                   "\"AutoConf\":{\"Enabled\":false}}"),
         *out;
  char *bad[] = {"", "/", "/p2p/", "/ip4/1.2.3.4/tcp/1/p2p/notapeer", big,
                 "/ip4/1.2.3.4/tcp/1", "/p2p/QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtf"
                 "smvsqQLuvuJ"};
  for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++) {
    assert_int_equal(boot(cfg, RPC_BOOT_ADD, &bad[i], 1, err, &out),
                     TR_EUSAGE);
    assert_null(out);
  }
  assert_int_equal(boot(cfg, RPC_BOOT_ADD, NULL, 0, err, &out), TR_EUSAGE);
  char *dflt[] = {"default"};
  assert_int_equal(boot(cfg, RPC_BOOT_ADD, dflt, 1, err, &out), TR_EUSAGE);
  assert_non_null(strstr(err, "AutoConf is disabled"));
  /* rm: entries that are not addresses ("auto" with AutoConf off, a
   * number) are left; a bad argument is refused, nothing removed */
  assert_int_equal(boot(cfg, RPC_BOOT_RM, &bad[4], 1, err, &out), TR_EUSAGE);
  char *peer[] = {"/p2p/QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ"};
  assert_int_equal(boot(cfg, RPC_BOOT_RM, peer, 1, err, &out), 0);
  assert_int_equal(json_array_size(out), 1);
  json_decref(out);
  assert_int_equal(json_array_size(json_object_get(cfg, "Bootstrap")), 1);
  assert_int_equal(boot(cfg, RPC_BOOT_RM_ALL, NULL, 0, err, &out), 0);
  assert_int_equal(json_array_size(out), 1);
  json_decref(out);
  assert_true(json_is_null(json_object_get(cfg, "Bootstrap")));
  assert_int_equal(boot(cfg, RPC_BOOT_LIST, NULL, 0, err, &out), 0);
  assert_int_equal(json_array_size(out), 0);
  json_decref(out);
  json_decref(cfg);
  /* a Bootstrap that is not a list reads as an empty one */
  cfg = js("{\"Bootstrap\":{\"x\":1}}");
  assert_int_equal(boot(cfg, RPC_BOOT_LIST_EXPANDED, NULL, 0, err, &out), 0);
  assert_int_equal(json_array_size(out), 0);
  json_decref(out);
  json_decref(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_diff),
      cmocka_unit_test(test_bootstrap_expand),
      cmocka_unit_test(test_profiles_on_odd_configs),
      cmocka_unit_test(test_bootstrap_hostile),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

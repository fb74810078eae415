/*
 * fuzz_bootstrap.c — libFuzzer target for what a client hands the
 * bootstrap and config profile commands (rpc/bootstrap.h,
 * config/profile.h), and for the config file they read.
 *
 * The input is lines.  The first line is read as JSON: when it is an
 * object it is the config (a hostile config file), else a fixed one with
 * a Bootstrap list of addresses, "auto" and a number.  The first byte of
 * the second line picks the operation (list, list expanded, add, rm, rm
 * all) and the rest of that line a profile name; the lines after it are
 * the peers.  Properties: every call returns 0 or a negative code, with
 * a message when it is TR_EUSAGE; on success the answer is an array of
 * strings and Bootstrap is an array of strings or null; the profile
 * applies or is refused, and the diff of the config before and after it
 * is a string that starts with '{' and ends with '}'.  No crash, no leak.
 * Build: make build-fuzz/fuzz_bootstrap; seeds in
 * tests/fuzz/corpus/fuzz_bootstrap.
 */
#include "../../config/config.h"
#include "../../config/profile.h"
#include "../../rpc/bootstrap.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PEERS 64

static void check_strings(const json_t *a, bool null_ok) {
  if (null_ok && json_is_null(a))
    return;
  if (!json_is_array(a))
    abort();
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) {
    if (!json_is_string(v))
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *in = malloc(size + 1);
  if (!in)
    return 0;
  memcpy(in, data, size);
  in[size] = 0;
  char *lines[MAX_PEERS + 2];
  size_t n = 0;
  for (char *p = in; n < MAX_PEERS + 2;) {
    lines[n++] = p;
    char *nl = memchr(p, '\n', size - (size_t)(p - in));
    if (!nl)
      break;
    *nl = 0;
    p = nl + 1;
  }
  json_t *cfg = json_loads(lines[0], 0, NULL);
  if (!json_is_object(cfg)) {
    json_decref(cfg);
    cfg = json_loads("{\"Bootstrap\":[\"auto\",\"/ip4/1.2.3.4/tcp/1/p2p/"
                     "QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ\",7,"
                     "\"/dnsaddr/x.io/p2p/12D3KooWKnDdG3iXw9eTFijk3EWSunZcF"
                     "i54Zka4wmtqtt6rPxc8\"],\"AutoConf\":{\"Enabled\":"
                     "false}}",
                     0, NULL);
  }
  const char *ctl = n > 1 ? lines[1] : "";
  int op = *ctl ? (unsigned char)*ctl % 5 : RPC_BOOT_LIST;
  char err[512] = "";
  json_t *out = NULL, *before = json_deep_copy(cfg);
  int rc = rpc_bootstrap(cfg, op, n > 2 ? lines + 2 : NULL, n > 2 ? n - 2 : 0,
                         &out, err, sizeof err);
  if (rc > 0 || (rc == TR_EUSAGE && !*err))
    abort();
  if (!rc) {
    check_strings(out, false);
    if (op != RPC_BOOT_LIST && op != RPC_BOOT_LIST_EXPANDED)
      check_strings(json_object_get(cfg, "Bootstrap"), true);
  }
  json_decref(out);
  if (*ctl) {
    *err = 0;
    rc = config_profile_apply(cfg, ctl + 1, err, sizeof err);
    if (rc > 0 || (rc == TR_EUSAGE && !*err))
      abort();
    char *d = config_diff(before, cfg, ctl[0] & 1);
    if (d && (d[0] != '{' || d[strlen(d) - 1] != '}'))
      abort();
    free(d);
  }
  json_decref(before);
  json_decref(cfg);
  free(in);
  return 0;
}

/*
 * cmd_repo.c — repo-level commands: init, version, id, config, repo
 * stat/gc/verify.  Output shapes follow Kubo's.
 */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../node/config.h"
#include "cli.h"

int cmd_init(cli_t *cli, int argc, char **argv) {
  (void)argc, (void)argv;
  char path[4096];
  snprintf(path, sizeof path, "%s/" NODE_CONFIG_FILE, cli->repo);
  if (access(path, F_OK) == 0)
    return cli_failf("init: a repo already exists at %s", cli->repo);
  node_identity_t id;
  int rc = node_identity_new(&id);
  if (rc)
    return cli_fail("init: generating identity", rc);
  printf("generating ED25519 keypair...done\npeer identity: %s\n", id.peerid);
  bs_env_t *env;
  if (cli_env(cli, BS_CREATE, &env))
    return 1;
  json_t *cfg = node_config_default(&id);
  sodium_memzero(&id, sizeof id);
  if (!cfg)
    return cli_fail("init: building config", -ENOMEM);
  rc = node_config_save(cli->repo, cfg);
  json_decref(cfg);
  if (rc)
    return cli_fail("init: writing config", rc);
  printf("initialized trove repo at %s\n", cli->repo);
  return 0;
}

int cmd_version(cli_t *cli, int argc, char **argv) {
  (void)cli, (void)argc, (void)argv;
  printf("trove version " TROVE_VERSION "\n");
  return 0;
}

static int load_config(cli_t *cli, json_t **cfg) {
  int rc = node_config_load(cli->repo, cfg);
  if (rc == TR_ENOREPO)
    return cli_failf("no repo at %s (run 'trove init')", cli->repo);
  if (rc)
    return cli_failf("reading %s/config: %s", cli->repo, tr_strerror(rc));
  return 0;
}

int cmd_id(cli_t *cli, int argc, char **argv) {
  (void)argc, (void)argv;
  json_t *cfg;
  if (load_config(cli, &cfg))
    return 1;
  node_identity_t id;
  int rc = node_config_identity(cfg, &id);
  if (rc) {
    json_decref(cfg);
    return cli_fail("id: config Identity", rc);
  }
  uint8_t pub[36];
  node_pubkey_proto(&id, pub);
  sodium_memzero(id.sk, sizeof id.sk);
  char b64[sodium_base64_ENCODED_LEN(36, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(b64, sizeof b64, pub, sizeof pub,
                    sodium_base64_VARIANT_ORIGINAL);
  /* Addresses are those the node listens on; without a running swarm it has
   * none, as `ipfs id` offline prints an empty list. */
  json_t *o = json_pack("{s:s,s:s,s:[],s:s,s:[]}", "ID", id.peerid,
                        "PublicKey", b64, "Addresses", "AgentVersion",
                        "trove/" TROVE_VERSION, "Protocols");
  char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  printf("%s\n", s);
  free(s);
  json_decref(o);
  json_decref(cfg);
  return 0;
}

int cmd_config(cli_t *cli, int argc, char **argv) {
  bool as_json = false;
  int n = 0;
  char *args[3];
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--json"))
      as_json = true;
    else if (!strcmp(argv[i], "--bool"))
      as_json = true; /* true/false parse as JSON */
    else if (n < 3)
      args[n++] = argv[i];
    else
      return cli_failf("config: too many arguments");
  }
  if (n == 0)
    return cli_failf("config: usage: trove config KEY [VALUE] [--json]");
  if (node_config_key_private(args[0]))
    return cli_failf("config %s: " NODE_CONFIG_PRIVKEY_MSG, args[0]);
  json_t *cfg;
  if (load_config(cli, &cfg))
    return 1;
  int rc = 0;
  if (n == 1 && !strcmp(args[0], "show")) {
    /* Like `ipfs config show`, never print the private key. */
    json_t *copy = json_deep_copy(cfg);
    json_t *ident = json_object_get(copy, "Identity");
    if (ident)
      json_object_del(ident, "PrivKey");
    char *s = json_dumps(copy, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", s);
    free(s);
    json_decref(copy);
  } else if (n == 1) {
    json_t *v = node_config_get(cfg, args[0]);
    if (!v)
      rc = cli_failf("config: key has no value: %s", args[0]);
    else if (json_is_string(v))
      printf("%s\n", json_string_value(v));
    else {
      char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY |
                                   JSON_PRESERVE_ORDER);
      printf("%s\n", s);
      free(s);
    }
  } else {
    json_t *v;
    if (as_json) {
      json_error_t err;
      v = json_loads(args[1], JSON_DECODE_ANY, &err);
      if (!v) {
        json_decref(cfg);
        return cli_failf("config: value is not JSON: %s", err.text);
      }
    } else {
      /* JSON holds only UTF-8: bad bytes become U+FFFD, as in Kubo. */
      size_t len;
      char *fixed = tr_utf8_fix(args[1], strlen(args[1]), &len);
      v = fixed ? json_stringn(fixed, len) : NULL;
      tr_free(fixed);
      if (!v) {
        json_decref(cfg);
        return cli_fail("config", -ENOMEM);
      }
    }
    int e = node_config_set(cfg, args[0], v);
    if (!e)
      e = node_config_save(cli->repo, cfg);
    if (e)
      rc = cli_fail("config: setting value", e);
  }
  json_decref(cfg);
  return rc;
}

/* ------------------------------------------------------------------ repo */

static void human(uint64_t n, char *out, size_t sz) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)n;
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    u++;
  }
  snprintf(out, sz, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

int cmd_repo_stat(cli_t *cli, int argc, char **argv) {
  bool hum = false;
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--human") || !strcmp(argv[i], "-H"))
      hum = true;
    else
      return cli_failf("repo stat: unknown option %s", argv[i]);
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  bs_stat_t st;
  int rc = bs_stat(env, &st);
  if (rc)
    return cli_fail("repo stat", rc);
  char a[32], b[32], c[32];
  if (hum) {
    human(st.repo_bytes, a, sizeof a);
    human(st.block_bytes, b, sizeof b);
    human(st.map_bytes, c, sizeof c);
  } else {
    snprintf(a, sizeof a, "%llu", (unsigned long long)st.repo_bytes);
    snprintf(b, sizeof b, "%llu", (unsigned long long)st.block_bytes);
    snprintf(c, sizeof c, "%llu", (unsigned long long)st.map_bytes);
  }
  printf("NumObjects: %llu\nRepoSize:   %s\nBlockBytes: %s\nMapSize:    "
         "%s\nPins:       %llu\nRepoPath:   %s\nVersion:    trove-repo@%d\n",
         (unsigned long long)st.blocks, a, b, c, (unsigned long long)st.pins,
         cli->repo, BS_SCHEMA_VERSION);
  return 0;
}

static int gc_print(const dag_cid_t *cid, void *ud) {
  if (*(bool *)ud || !cid) /* NULL: the end of a mark */
    return 0;
  char s[DAG_CID_STR_MAX];
  printf("removed %s\n", dag_cid_str(cid, s));
  return 0;
}

int cmd_repo_gc(cli_t *cli, int argc, char **argv) {
  bool quiet = false;
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
      quiet = true;
    else
      return cli_failf("repo gc: unknown option %s", argv[i]);
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  bs_gc_stats_t st;
  int rc = bs_gc(env, gc_print, &quiet, &st);
  if (rc)
    return cli_fail("repo gc", rc);
  if (!quiet)
    fprintf(stderr, "gc: %llu blocks kept, %llu removed (%llu bytes)\n",
            (unsigned long long)st.live, (unsigned long long)st.removed,
            (unsigned long long)st.freed);
  return 0;
}

static int verify_print(const dag_cid_t *cid, void *ud) {
  (void)ud;
  char s[DAG_CID_STR_MAX];
  printf("block %s was corrupt\n", dag_cid_str(cid, s));
  return 0;
}

typedef struct broken_ctx {
  int n;
} broken_ctx_t;

static int report_broken(const bs_pin_t *pin, int status, const dag_cid_t *bad,
                         void *ud) {
  broken_ctx_t *b = ud;
  if (status == 0)
    return 0;
  char s1[DAG_CID_STR_MAX], s2[DAG_CID_STR_MAX];
  printf("pin %s is now incomplete: %s %s\n", dag_cid_str(&pin->cid, s1),
         dag_cid_str(bad, s2),
         status == TR_EINCOMPLETE ? "missing" : "corrupt");
  b->n++;
  return 0;
}

int cmd_repo_verify(cli_t *cli, int argc, char **argv) {
  bool drop = false;
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--drop"))
      drop = true;
    else
      return cli_failf("repo verify: unknown option %s", argv[i]);
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  uint64_t checked, corrupt;
  int rc = bs_verify(env, drop, verify_print, NULL, &checked, &corrupt);
  if (rc)
    return cli_fail("repo verify", rc);
  if (corrupt == 0) {
    printf("verified %llu blocks: all intact\n", (unsigned long long)checked);
    return 0;
  }
  printf("verified %llu blocks: %llu corrupt%s\n", (unsigned long long)checked,
         (unsigned long long)corrupt, drop ? ", removed" : "");
  if (drop) {
    /* Tell which pins the drop left incomplete: they need a re-fetch. */
    bs_txn_t *txn;
    broken_ctx_t b = {0};
    if ((rc = bs_txn_begin(env, BS_RDONLY, &txn)) == 0) {
      rc = bs_pin_verify(txn, report_broken, &b);
      bs_txn_abort(txn);
    }
    if (rc)
      return cli_fail("repo verify: checking pins", rc);
  }
  return cli_failf("repo verify: %llu corrupt blocks%s",
                   (unsigned long long)corrupt, drop ? " removed" : "");
}

/*
 * cmd_repo.c — repo-level commands: init, version, id, config, repo
 * stat/gc/verify.  Output shapes follow Kubo's.
 */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../config/config.h"
#include "../config/profile.h"
#include "../rpc/bootstrap.h"
#include "../rpc/rpc.h"
#include "../node/identity.h"
#include "cli.h"

int cmd_init(cli_t *cli, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("init: takes no arguments");
  return cli_init_repo(cli, CLI_STR(cli, "profile"));
}

int cli_init_repo(cli_t *cli, const char *profiles) {
  char path[4096];
  snprintf(path, sizeof path, "%s/" CONFIG_FILE, cli->repo);
  if (access(path, F_OK) == 0)
    return cli_failf("init: a repo already exists at %s", cli->repo);
  node_identity_t id;
  int rc = node_identity_new(&id);
  if (rc)
    return cli_fail("init: generating identity", rc);
  json_t *cfg = node_config_default(&id);
  sodium_memzero(&id, sizeof id);
  if (!cfg)
    return cli_fail("init: building config", -ENOMEM);
  /* Kubo's --profile: each of a comma-separated list, in order, before
   * anything is written. */
  while (profiles && *profiles) {
    size_t n = strcspn(profiles, ",");
    char name[64], err[512];
    snprintf(name, sizeof name, "%.*s", (int)(n < 63 ? n : 63), profiles);
    rc = config_profile_apply(cfg, name, err, sizeof err);
    if (rc) {
      json_decref(cfg);
      if (rc == TR_EUSAGE && strstr(err, "is not a profile"))
        return cli_failf("init: invalid configuration profile: %s", name);
      return rc == TR_EUSAGE ? cli_failf("init: %s", err)
                             : cli_fail("init: profile", rc);
    }
    profiles += n + (profiles[n] == ',');
  }
  printf("generating ED25519 keypair...done\npeer identity: %s\n",
         json_string_value(config_get(cfg, "Identity.PeerID")));
  bs_env_t *env;
  if (cli_env(cli, BS_CREATE, &env)) {
    json_decref(cfg);
    return 1;
  }
  rc = config_save(cli->repo, cfg);
  json_decref(cfg);
  if (rc)
    return cli_fail("init: writing config", rc);
  printf("initialized trove repo at %s\n", cli->repo);
  return 0;
}

/* version [-n|--commit|--repo|--all], version deps, repo version [-q]:
 * Kubo's lines, run here (what they say is this binary's). */
int cmd_version(cli_t *cli, int argc, char **argv) {
  (void)argv;
  const char *name = cli->v.def->name;
  if (argc != 1)
    return cli_failf("%s: takes no arguments", name);
  if (!strcmp(name, "repo version")) {
    printf("%strove-repo@%d\n", CLI_BOOL(cli, "quiet") ? ""
                                 : "trove repo version ", BS_SCHEMA_VERSION);
  } else if (!strcmp(name, "version deps")) {
    json_t *a = rpc_version_deps(TROVE_VERSION), *d;
    size_t i;
    if (!a)
      return cli_fail(name, -ENOMEM);
    json_array_foreach(a, i, d)
      printf("%s@%s\n", json_string_value(json_object_get(d, "Path")),
             json_string_value(json_object_get(d, "Version")));
    json_decref(a);
  } else if (CLI_BOOL(cli, "all")) {
    printf("trove version: %s\nRepo version: %d\nSystem version: %s\n"
           "C compiler version: gcc %s\n", TROVE_VERSION, BS_SCHEMA_VERSION,
           rpc_system(), __VERSION__);
  } else if (CLI_BOOL(cli, "repo")) {
    printf("%d\n", BS_SCHEMA_VERSION);
  } else if (CLI_BOOL(cli, "number")) {
    printf("%s\n", TROVE_VERSION); /* no commit is known to add */
  } else {
    printf("trove version %s\n", TROVE_VERSION);
  }
  return 0;
}

/* Kubo's cmdPathStrings: every path, and with -f each option's names
 * ("trove add --recursive / trove add -r"), sorted together. */
static int command_lines(json_t *node, const char *prefix, bool flags,
                         json_t *out) {
  char path[256];
  snprintf(path, sizeof path, "%s%s", prefix,
           json_string_value(json_object_get(node, "Name")));
  int rc = json_array_append_new(out, json_string(path));
  json_t *o, *n;
  size_t i, j;
  if (*prefix && flags)
    json_array_foreach(json_object_get(node, "Options"), i, o) {
      char line[1024] = "";
      size_t len = 0;
      json_array_foreach(json_object_get(o, "Names"), j, n) {
        const char *f = json_string_value(n);
        len += (size_t)snprintf(line + len, sizeof line - len, "%s%s %s%s",
                                j ? " / " : "", path,
                                strlen(f) == 1 ? "-" : "--", f);
        if (len >= sizeof line)
          len = sizeof line - 1;
      }
      rc = rc || json_array_append_new(out, json_string(line));
    }
  char sub[260];
  snprintf(sub, sizeof sub, "%s ", path);
  json_array_foreach(json_object_get(node, "Subcommands"), i, n)
    rc = rc || command_lines(n, sub, flags, out);
  return rc;
}

static int cmp_lines(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cmd_commands(cli_t *cli, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("commands: takes no arguments");
  json_t *tree = rpc_commands_tree(), *lines = json_array();
  int rc = !tree || !lines ||
           command_lines(tree, "", CLI_BOOL(cli, "flags"), lines);
  size_t n = json_array_size(lines);
  const char **v = rc || !n ? NULL : tr_malloc(n * sizeof *v);
  if (v) {
    for (size_t i = 0; i < n; i++)
      v[i] = json_string_value(json_array_get(lines, i));
    qsort(v, n, sizeof *v, cmp_lines);
    for (size_t i = 0; i < n; i++)
      printf("%s\n", v[i]);
    tr_free(v);
  }
  json_decref(tree);
  json_decref(lines);
  return rc || !v ? cli_fail("commands", -ENOMEM) : 0;
}

static int load_config(cli_t *cli, json_t **cfg) {
  int rc = config_load(cli->repo, cfg);
  if (rc == TR_ENOREPO)
    return cli_failf("no repo at %s (run 'trove init')", cli->repo);
  if (rc)
    return cli_failf("reading %s/config: %s", cli->repo, tr_strerror(rc));
  return 0;
}

static void print_json(json_t *v) {
  char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY |
                              JSON_PRESERVE_ORDER);
  if (s)
    printf("%s\n", s);
  free(s);
}

/* config replace FILE ("-": stdin): run here, on the file the daemon
 * reads at its next start (as Kubo's). */
int cmd_config_replace(cli_t *cli, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("config replace: one argument, the file");
  tr_bytes_t b = {0};
  char err[512];
  int rc = cli_read_file(argv[1], 4u << 20, "file", &b, err, sizeof err);
  if (rc) {
    tr_bytes_free(&b);
    return cli_failf("config replace: %s", err);
  }
  json_t *next = json_loadb((const char *)b.data, b.len,
                            JSON_REJECT_DUPLICATES, NULL), *cur;
  tr_bytes_free(&b);
  if (!next)
    return cli_failf("config replace: failed to decode file as config");
  if (load_config(cli, &cur)) {
    json_decref(next);
    return 1;
  }
  rc = config_replace(cur, next, err, sizeof err);
  if (!rc)
    rc = config_save(cli->repo, next);
  json_decref(cur);
  json_decref(next);
  if (rc == TR_ECONFIG)
    return cli_failf("config replace: %s", err);
  return rc ? cli_fail("config replace", rc) : 0;
}

/* config edit: $EDITOR on the file itself, as Kubo's. */
int cmd_config_edit(cli_t *cli, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("config edit: takes no arguments");
  const char *ed = getenv("EDITOR");
  if (!ed || !*ed)
    return cli_failf("config edit: ENV variable $EDITOR not set");
  char path[4200];
  snprintf(path, sizeof path, "%s/config", cli->repo);
  if (access(path, F_OK))
    return cli_failf("no repo at %s (run 'trove init')", cli->repo);
  pid_t pid = fork();
  if (pid < 0)
    return cli_fail("config edit", -errno);
  if (pid == 0) {
    execlp(ed, ed, path, (char *)NULL);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0
             ? 0
             : cli_failf("config edit: %s exited with status %d", ed,
                         WIFEXITED(st) ? WEXITSTATUS(st) : 128);
}

int cmd_config_show(cli_t *cli, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("config show: takes no arguments");
  json_t *cfg;
  if (load_config(cli, &cfg))
    return 1;
  /* Like `ipfs config show`, never print the private key. */
  json_t *ident = json_object_get(cfg, "Identity");
  if (ident)
    json_object_del(ident, "PrivKey");
  print_json(cfg);
  json_decref(cfg);
  return 0;
}

int cmd_config(cli_t *cli, int argc, char **argv) {
  bool as_json = CLI_BOOL(cli, "json"), as_bool = CLI_BOOL(cli, "bool");
  char **args = argv + 1;
  int n = argc - 1;
  if (n == 0 || n > 2)
    return cli_failf("config: usage: trove config KEY [VALUE] [--json]");
  if (config_key_private(args[0]))
    return cli_failf("config %s: " CONFIG_PRIVKEY_MSG, args[0]);
  json_t *cfg;
  if (load_config(cli, &cfg))
    return 1;
  int rc = 0;
  if (n == 1) {
    json_t *v = config_get(cfg, args[0]);
    if (!v)
      rc = cli_failf("config: key has no value: %s", args[0]);
    else if (json_is_string(v))
      printf("%s\n", json_string_value(v));
    else
      print_json(v);
  } else {
    json_t *v;
    char err[512];
    int e = config_value(args[0], args[1],
                              as_json   ? CONFIG_JSON
                              : as_bool ? CONFIG_BOOLEAN
                                        : CONFIG_TEXT,
                              &v, err, sizeof err);
    if (e) {
      json_decref(cfg);
      return e == TR_EUSAGE ? cli_failf("config %s", err)
                            : cli_fail("config", e);
    }
    e = config_set(cfg, args[0], v);
    if (!e)
      e = config_save(cli->repo, cfg);
    if (e)
      rc = cli_fail("config: setting value", e);
  }
  json_decref(cfg);
  return rc;
}

/* The config as Kubo's commands show it: without Identity.PrivKey. */
static void scrub(json_t *cfg) {
  json_object_del(json_object_get(cfg, "Identity"), "PrivKey");
}

int cmd_config_profile_apply(cli_t *cli, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("config profile apply: takes one profile (see 'trove "
                     "config profile apply --help')");
  json_t *cfg, *cur;
  if (load_config(cli, &cfg))
    return 1;
  char err[512];
  int rc = (cur = json_deep_copy(cfg)) ? 0 : -ENOMEM;
  if (!rc)
    rc = config_profile_apply(cur, argv[1], err, sizeof err);
  if (!rc && !CLI_BOOL(cli, "dry-run"))
    rc = config_save(cli->repo, cur);
  if (!rc) {
    scrub(cfg);
    scrub(cur);
    char *d = config_diff(cfg, cur, isatty(STDOUT_FILENO));
    if (d)
      printf("%s\n", d);
    else
      rc = -ENOMEM;
    free(d);
  }
  json_decref(cfg);
  json_decref(cur);
  if (rc == TR_EUSAGE)
    return cli_failf("config profile apply: %s", err);
  return rc ? cli_fail("config profile apply", rc) : 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* `bootstrap`, `bootstrap list|add|rm`, `bootstrap add default`,
 * `bootstrap rm all`: rpc/bootstrap.h on the config file, printed as
 * Kubo's text encoder prints them (sorted, "added "/"removed "). */
int cmd_bootstrap(cli_t *cli, int argc, char **argv) {
  const char *w = argv[0];
  int op = !strcmp(w, "add") || !strcmp(w, "default") ? RPC_BOOT_ADD
           : !strcmp(w, "rm")                         ? RPC_BOOT_RM
           : !strcmp(w, "all")                        ? RPC_BOOT_RM_ALL
                                                      : RPC_BOOT_LIST;
  if (op == RPC_BOOT_LIST && CLI_BOOL(cli, "expand-auto"))
    op = RPC_BOOT_LIST_EXPANDED;
  if (op == RPC_BOOT_RM && CLI_BOOL(cli, "all"))
    op = RPC_BOOT_RM_ALL;
  char *dflt[] = {"default"};
  char *const *peers = !strcmp(w, "default") ? dflt : argv + 1;
  size_t n = !strcmp(w, "default") ? 1 : (size_t)(argc - 1);
  if ((op == RPC_BOOT_LIST || op == RPC_BOOT_LIST_EXPANDED ||
       op == RPC_BOOT_RM_ALL) && argc > 1)
    return cli_failf("bootstrap: takes no arguments here");
  json_t *cfg, *out = NULL;
  if (load_config(cli, &cfg))
    return 1;
  char err[512];
  int rc = rpc_bootstrap(cfg, op, peers, n, &out, err, sizeof err);
  if (!rc && op != RPC_BOOT_LIST && op != RPC_BOOT_LIST_EXPANDED)
    rc = config_save(cli->repo, cfg);
  json_decref(cfg);
  if (rc) {
    json_decref(out);
    return rc == TR_EUSAGE ? cli_failf("bootstrap: %s", err)
                           : cli_fail("bootstrap", rc);
  }
  size_t k = json_array_size(out);
  const char **v = k ? malloc(k * sizeof *v) : NULL;
  for (size_t i = 0; v && i < k; i++)
    v[i] = json_string_value(json_array_get(out, i));
  if (v)
    qsort(v, k, sizeof *v, cmp_str);
  const char *prefix = op == RPC_BOOT_ADD                           ? "added "
                       : op == RPC_BOOT_RM || op == RPC_BOOT_RM_ALL ? "removed "
                                                                    : "";
  for (size_t i = 0; v && i < k; i++)
    printf("%s%s\n", prefix, v[i]);
  free(v);
  json_decref(out);
  return k && !v ? cli_fail("bootstrap", -ENOMEM) : 0;
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
  (void)argv;
  if (argc != 1)
    return cli_failf("repo stat: takes no arguments");
  bool hum = CLI_BOOL(cli, "human"), size_only = CLI_BOOL(cli, "size-only");
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  bs_stat_t st;
  int rc = bs_stat(env, &st);
  if (rc)
    return cli_fail("repo stat", rc);
  uint64_t v[] = {st.repo_bytes, st.block_bytes, st.data_bytes,
                  st.file_bytes, st.map_bytes};
  char s[TR_ARRAY_LEN(v)][32];
  for (size_t i = 0; i < TR_ARRAY_LEN(v); i++)
    if (hum)
      human(v[i], s[i], sizeof s[i]);
    else
      snprintf(s[i], sizeof s[i], "%llu", (unsigned long long)v[i]);
  /* Kubo's lines first (RepoSize: what LMDB has written), then trove's:
   * DataSize is what the pages in use hold, FileSize what data.mdb takes
   * on disk; the difference is free space `repo compact` gives back. */
  printf("RepoSize:   %s\n", s[0]);
  if (size_only)
    return 0;
  printf("NumObjects: %llu\nBlockBytes: %s\nDataSize:   %s\nFileSize:   "
         "%s\nMapSize:    %s\nPins:       %llu\nRepoPath:   %s\nVersion:    "
         "trove-repo@%d\n",
         (unsigned long long)(st.blocks + st.refs), s[1], s[2], s[3], s[4],
         (unsigned long long)st.pins, cli->repo, BS_SCHEMA_VERSION);
  return 0;
}

int cmd_repo_compact(cli_t *cli, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("repo compact: takes no arguments");
  uint64_t before = 0, after = 0;
  int rc = bs_compact(cli->repo, &before, &after);
  if (rc == TR_EINUSE)
    return cli_failf("repo compact: %s is open in another process (stop "
                     "the daemon first)", cli->repo);
  if (rc == TR_ENOREPO)
    return cli_failf("no repo at %s (run 'trove init')", cli->repo);
  if (rc)
    return cli_failf("repo compact %s: %s", cli->repo, tr_strerror(rc));
  printf("compacted %s: data.mdb %llu -> %llu bytes\n", cli->repo,
         (unsigned long long)before, (unsigned long long)after);
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
  (void)argv;
  bool quiet = CLI_BOOL(cli, "quiet");
  if (argc != 1)
    return cli_failf("repo gc: takes no arguments");
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
  (void)argv;
  bool drop = CLI_BOOL(cli, "drop");
  if (argc != 1)
    return cli_failf("repo verify: takes no arguments");
  if (CLI_BOOL(cli, "heal")) /* cli_remote took it when a daemon runs */
    return cli_failf("repo verify --heal: this command must be run in "
                     "online mode (start 'trove daemon')");
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

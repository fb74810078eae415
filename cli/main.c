/*
 * main.c — the `trove` command: global options, the command table and
 * dispatch.  Commands follow Kubo's shape (`trove pin add CID`), so users of
 * `ipfs` already know them.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The handlers of the commands in rpc_cmddefs[] (gateway/api_cmddefs.c),
 * which holds their options, arguments and help. */
static const struct {
  const char *name;
  cli_fn fn;
} handlers[] = {
    {"init", cmd_init},
    {"daemon", cmd_daemon},
    {"shutdown", cmd_shutdown},
    {"add", cmd_add},
    {"cat", cmd_cat},
    {"get", cmd_get},
    {"ls", cmd_ls},
    {"refs", cmd_refs},
    {"refs local", cmd_refs_local},
    {"pin add", cmd_pin_add},
    {"pin update", cmd_pin_update},
    {"pin rm", cmd_pin_rm},
    {"pin ls", cmd_pin_ls},
    {"pin verify", cmd_pin_verify},
    {"pin remote service add", cmd_pin_remote_service_add},
    {"pin remote service ls", cmd_pin_remote_service_ls},
    {"pin remote service rm", cmd_pin_remote_service_rm},
    {"pin remote add", cmd_pin_remote_add},
    {"pin remote ls", cmd_pin_remote_ls},
    {"pin remote rm", cmd_pin_remote_rm},
    {"mirror token add", cmd_mirror_token_add},
    {"mirror token rm", cmd_mirror_token_rm},
    {"mirror token ls", cmd_mirror_token_ls},
    {"block put", cmd_block_put},
    {"block get", cmd_block_get},
    {"block stat", cmd_block_stat},
    {"block rm", cmd_block_rm},
    {"dag export", cmd_dag_export},
    {"dag import", cmd_dag_import},
    {"dag get", cmd_dag_get},
    {"dag put", cmd_dag_put},
    {"dag resolve", cmd_dag_resolve},
    {"dag stat", cmd_dag_stat},
    {"files ls", cmd_files},
    {"files stat", cmd_files},
    {"files flush", cmd_files},
    {"files mkdir", cmd_files},
    {"files cp", cmd_files},
    {"files mv", cmd_files},
    {"files rm", cmd_files},
    {"files chcid", cmd_files},
    {"files chmod", cmd_files},
    {"files touch", cmd_files},
    {"files read", cmd_files_read},
    {"files write", cmd_files_write},
    {"files chroot", cmd_files_chroot},
    {"repo stat", cmd_repo_stat},
    {"stats repo", cmd_repo_stat},
    {"repo gc", cmd_repo_gc},
    {"repo verify", cmd_repo_verify},
    {"repo compact", cmd_repo_compact},
    {"filestore ls", cmd_filestore_ls},
    {"filestore verify", cmd_filestore_verify},
    {"filestore dups", cmd_filestore_dups},
    {"config", cmd_config},
    {"config show", cmd_config_show},
    {"config replace", cmd_config_replace},
    {"config edit", cmd_config_edit},
    {"config profile apply", cmd_config_profile_apply},
    {"log level", cmd_online_only},
    {"log ls", cmd_online_only},
    {"log tail", cmd_online_only},
    {"pubsub pub", cmd_online_only},
    {"pubsub sub", cmd_online_only},
    {"pubsub ls", cmd_online_only},
    {"pubsub peers", cmd_online_only},
    {"pubsub reset", cmd_online_only},
    {"bootstrap", cmd_bootstrap},
    {"bootstrap list", cmd_bootstrap},
    {"bootstrap add", cmd_bootstrap},
    {"bootstrap add default", cmd_bootstrap},
    {"bootstrap rm", cmd_bootstrap},
    {"bootstrap rm all", cmd_bootstrap},
    {"id", cmd_id},
    {"version", cmd_version},
    {"version deps", cmd_version},
    {"commands", cmd_commands},
    {"repo version", cmd_version},
    {"repo ls", cmd_refs_local},
    {"cid format", cmd_cid_format},
    {"cid base32", cmd_cid_base32},
    {"cid inspect", cmd_cid_inspect},
    {"cid bases", cmd_cid_bases},
    {"cid codecs", cmd_cid_codecs},
    {"cid hashes", cmd_cid_hashes},
    {"multibase encode", cmd_multibase_encode},
    {"multibase decode", cmd_multibase_decode},
    {"multibase transcode", cmd_multibase_transcode},
    {"multibase list", cmd_cid_bases},
    {"diag cmds", cmd_online_only},
    {"diag cmds clear", cmd_online_only},
    {"diag cmds set-time", cmd_online_only},
    {"diag sys", cmd_online_only},
    {"diag healthy", cmd_online_only},
    {"swarm peers", cmd_online_only},
    {"swarm connect", cmd_online_only},
    {"swarm disconnect", cmd_online_only},
    {"swarm addrs", cmd_online_only},
    {"swarm addrs local", cmd_online_only},
    {"swarm addrs listen", cmd_online_only},
    {"swarm filters", cmd_online_only},
    {"swarm filters add", cmd_online_only},
    {"swarm filters rm", cmd_online_only},
    {"swarm addrs autonat", cmd_online_only},
    {"swarm peering add", cmd_online_only},
    {"swarm peering ls", cmd_online_only},
    {"swarm peering rm", cmd_online_only},
    {"p2p listen", cmd_p2p_offline},
    {"p2p forward", cmd_p2p_offline},
    {"p2p ls", cmd_p2p_offline},
    {"p2p close", cmd_p2p_offline},
    {"p2p stream ls", cmd_p2p_offline},
    {"p2p stream close", cmd_p2p_offline},
    {"ping", cmd_online_only},
    {"routing findprovs", cmd_routing_offline},
    {"routing findpeer", cmd_routing_offline},
    {"routing provide", cmd_routing_offline},
    {"routing get", cmd_routing_offline},
    {"routing put", cmd_routing_offline},
    {"dht query", cmd_routing_offline},
    {"stats dht", cmd_routing_offline},
    {"name publish", cmd_routing_offline},
    {"provide stat", cmd_routing_offline},
    {"stats provide", cmd_routing_offline},
    {"provide once", cmd_routing_offline},
    {"provide clear", cmd_routing_offline},
    {"name resolve", cmd_routing_offline},
    {"resolve", cmd_routing_offline},
    {"key gen", cmd_key_gen},
    {"key ls", cmd_key_ls},
    {"key list", cmd_key_ls},
    {"key rm", cmd_key_rm},
    {"key rename", cmd_key_rename},
    {"key export", cmd_key_export},
    {"key import", cmd_key_import},
    {"key sign", cmd_key_sign},
    {"key verify", cmd_key_verify},
    {"key rotate", cmd_key_rotate},
    {"name get", cmd_routing_offline},
    {"name put", cmd_routing_offline},
    {"name inspect", cmd_name_inspect},
    {"bitswap stat", cmd_bitswap_offline},
    {"bitswap wantlist", cmd_bitswap_offline},
    {"bitswap ledger", cmd_bitswap_offline},
    {"bitswap reprovide", cmd_bitswap_offline},
    {"routing reprovide", cmd_bitswap_offline},
    {"stats bitswap", cmd_bitswap_offline},
    {"stats bw", cmd_bitswap_offline},
    {"mirror scrub status", cmd_bitswap_offline},
    {"mirror scrub start", cmd_bitswap_offline},
    {"mirror follow", cmd_bitswap_offline},
    {"mirror unfollow", cmd_bitswap_offline},
    {"mirror sync", cmd_bitswap_offline},
    {"mirror status", cmd_bitswap_offline},
};

/* ------------------------------------------------------------------ main */

/* The command whose words start argv, the longest one (so "config show"
 * wins over "config"); *words is how many words it took. */
static const rpc_cmddef_t *lookup(int argc, char **argv, int *words) {
  const rpc_cmddef_t *best = NULL;
  for (size_t i = 0; i < rpc_ncmddefs; i++) {
    const char *p = rpc_cmddefs[i].name;
    int w = 0;
    while (*p && w < argc) {
      size_t n = strcspn(p, " ");
      if (strlen(argv[w]) != n || strncmp(argv[w], p, n))
        break;
      w++;
      p += n;
      if (*p == ' ')
        p++;
      else if (!*p && (!best || w > *words)) {
        best = &rpc_cmddefs[i];
        *words = w;
      }
    }
  }
  return best;
}

static cli_fn handler(const char *name) {
  for (size_t i = 0; i < TR_ARRAY_LEN(handlers); i++)
    if (!strcmp(handlers[i].name, name))
      return handlers[i].fn;
  return NULL;
}

static bool is_help(const char *a) {
  return !strcmp(a, "--help") || !strcmp(a, "-h");
}

/* `trove help [COMMAND...]`, `trove --help`, `trove COMMAND... --help`. */
static int help(int argc, char **argv) {
  int words = 0;
  if (argc == 0) {
    cli_help_all(stdout);
    return 0;
  }
  if (argc == 1 && !strcmp(argv[0], "--commands")) {
    /* For scripts (and the test of every --help): each command, a tab,
     * its options. */
    for (size_t i = 0; i < rpc_ncmddefs; i++) {
      printf("%s\t", rpc_cmddefs[i].name);
      for (const rpc_optdef_t *o = rpc_cmddefs[i].opts; o->name; o++)
        printf("%s--%s", o == rpc_cmddefs[i].opts ? "" : " ", o->name);
      printf("\n");
    }
    return 0;
  }
  const rpc_cmddef_t *d = lookup(argc, argv, &words);
  if (d && words == argc) {
    cli_help_cmd(d, stdout);
    return 0;
  }
  if (argc == 1 && cli_help_group(argv[0], stdout))
    return 0;
  cli_failf("unknown command '%s' (see 'trove help')", argv[0]);
  return 2;
}

/* Where LMDB's dirty pages come from.  Without the write map a write
 * transaction holds each value in a malloc'd run of pages until its
 * commit frees them; glibc served every run of a block's size (up to
 * BS_MAX_BLOCK) with its own mmap, or trimmed the heap after each commit,
 * so every batch of an import faulted in and zeroed fresh pages (a tenth
 * of a 512 MiB add's CPU in page faults, zeroing and unmaps).  Runs up to
 * 8 MiB now come from the heap, and the heap keeps up to 64 MiB of free
 * pages at its top for the next batch: an import's peak RSS stays what
 * its batch needs (bench/README.md, "The add at hashing speed"). */
static void malloc_policy(void) {
  mallopt(M_MMAP_THRESHOLD, 8 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

int main(int argc, char **argv) {
  cli_t cli = {0};
  malloc_policy();
  char repo_buf[4096];
  /* Global options may come before the command or anywhere after it, as in
   * Kubo; take --repo, --offline and --timeout out of argv wherever they
   * are. */
  int out = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--repo") && i + 1 < argc)
      cli.repo = argv[++i];
    else if (!strncmp(argv[i], "--repo=", 7))
      cli.repo = argv[i] + 7;
    else if (!strcmp(argv[i], "--offline") ||
             !strcmp(argv[i], "--offline=true"))
      cli.offline = true;
    else if (!strcmp(argv[i], "--offline=false"))
      cli.offline = false;
    else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
      cli.timeout = argv[++i];
    else if (!strncmp(argv[i], "--timeout=", 10))
      cli.timeout = argv[i] + 10;
    else
      argv[out++] = argv[i];
  }
  argc = out;
  argv[argc] = NULL;
  if (!cli.repo)
    cli.repo = getenv("TROVE_PATH");
  if (!cli.repo || !*cli.repo) {
    const char *home = getenv("HOME");
    snprintf(repo_buf, sizeof repo_buf, "%s/.trove", home ? home : ".");
    cli.repo = repo_buf;
  }
  if (argc < 2) {
    cli_help_all(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "help") || is_help(argv[1]))
    return help(argc - 2, argv + 2);
  int words = 0, nargs = 0;
  const rpc_cmddef_t *d = lookup(argc - 1, argv + 1, &words);
  bool want_help = false;
  for (int i = 1 + words; i < argc; i++)
    want_help |= is_help(argv[i]);
  if (!d) {
    /* Kubo's removed commands: what to use instead, in Kubo's words
     * (dht keeps its query). */
    static const struct {
      const char *family, *instead;
      bool whole;
    } removed[] = {{"object", "'trove dag' or 'trove files'", true},
                   {"dht", "'trove routing'", false}};
    for (size_t i = 0; i < TR_ARRAY_LEN(removed); i++)
      if (!strcmp(argv[1], removed[i].family) &&
          (removed[i].whole || (argc > 2 && !is_help(argv[2])))) {
        bool sub = argc > 2 && argv[2][0] != '-';
        cli_failf("%s%s%s: removed, use %s instead", argv[1], sub ? " " : "",
                  sub ? argv[2] : "", removed[i].instead);
        return 2;
      }
    /* A family word alone ("trove pin"): its commands on --help, else
     * one line saying what is missing. */
    if (want_help && cli_help_group(argv[1], stdout))
      return 0;
    FILE *devnull = fopen("/dev/null", "w");
    bool family = devnull && cli_help_group(argv[1], devnull);
    if (devnull)
      fclose(devnull);
    if (family) {
      cli_failf("%s: which command? (see 'trove %s --help')", argv[1],
                argv[1]);
      return 2;
    }
    cli_failf("unknown command '%s' (see 'trove help')", argv[1]);
    return 2;
  }
  if (want_help) {
    cli_help_cmd(d, stdout);
    return 0;
  }
  /* Options through the command's table; the handler gets argv[0] (its
   * last word) and the positional arguments, the options in cli.v. */
  char **cargv = argv + words, err[512];
  int cargc = argc - words;
  if (rpc_vals_argv(&cli.v, d, cargc, cargv, cargv + 1, &nargs, err,
                    sizeof err)) {
    cli_failf("%s (see 'trove %s --help')", err, d->name);
    return 1;
  }
  cargc = nargs + 1;
  cargv[cargc] = NULL;
  char **stdin_argv = NULL;
  if (cargc == 1 && d->rpc && rpc_cmddef_stdin_args(d->rpc)) {
    int e = cli_stdin_args(cargv[0], &cargc, &stdin_argv);
    if (e) {
      if (e == -EINVAL)
        cli_failf("%s: arguments on stdin: a line holds a NUL byte", d->name);
      else if (e == TR_ETOOBIG)
        cli_failf("%s: arguments on stdin: more than %u MiB", d->name,
                  CLI_STDIN_ARGS_MAX >> 20);
      else
        cli_failf("%s: arguments on stdin: %s", d->name, tr_strerror(e));
      return 1;
    }
    if (stdin_argv)
      cargv = stdin_argv;
    else
      cargc = 1;
  }
  cli_fn fn = handler(d->name);
  int rc;
  if (!fn) {
    cli_failf("%s: not implemented", d->name);
    return 1;
  }
  /* When a daemon holds the repo, writing commands go through its API. */
  if (!cli_remote(&cli, d->name, cargc, cargv, &rc)) {
    cli_remote_prefetch(&cli, d->name, cargc, cargv);
    rc = fn(&cli, cargc, cargv);
  }
  bs_close(cli.env);
  tr_free(stdin_argv);
  return rc;
}

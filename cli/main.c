/*
 * main.c — the `trove` command: global options, the command table and
 * dispatch.  Commands follow Kubo's shape (`trove pin add CID`), so users of
 * `ipfs` already know them.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const cli_cmd_t commands[] = {
    {"init", cmd_init, "init", "create a repo and the node's identity"},
    {"daemon", cmd_daemon, "daemon [--gateway=MADDR] [--api=MADDR]",
     "run the node: gateway, RPC API"},
    {"dag", cmd_dag, "dag export CID > f.car | dag import [--pin-roots=false] FILE...",
     "CAR export (depth-first, each block once) and verified import"},
    {"version", cmd_version, "version", "print trove's version"},
    {"id", cmd_id, "id", "print the node's identity as JSON"},
    {"config", cmd_config, "config KEY [VALUE] [--json] | config show",
     "read or set a config value"},
    {"repo stat", cmd_repo_stat, "repo stat [--human]", "repo statistics"},
    {"repo gc", cmd_repo_gc, "repo gc [-q]", "delete blocks no pin reaches"},
    {"repo verify", cmd_repo_verify, "repo verify [--drop]",
     "rehash every block; --drop removes corrupt ones"},
    {"block put", cmd_block_put,
     "block put [--cid-codec C] [--mhtype H] [--format v0] [FILE]",
     "store a block (stdin when no FILE)"},
    {"block get", cmd_block_get, "block get CID", "write a block to stdout"},
    {"block stat", cmd_block_stat, "block stat CID", "a block's size"},
    {"block rm", cmd_block_rm, "block rm [-f] [-q] CID...",
     "remove unpinned blocks"},
    {"pin add", cmd_pin_add, "pin add [--recursive=false] [--name N] CID...",
     "pin a DAG (or one block)"},
    {"pin rm", cmd_pin_rm, "pin rm [--recursive=false] CID...", "unpin"},
    {"pin ls", cmd_pin_ls,
     "pin ls [--type=all|recursive|direct|indirect] [-q] [--names] [CID...]",
     "list pins"},
    {"pin verify", cmd_pin_verify, "pin verify [--verbose] [-q]",
     "check that pinned DAGs are complete and intact"},
    {"add", cmd_add,
     "add [-r] [-w] [-q|-Q] [-n] [--pin=false] [--hidden] [--profile P] "
     "[--cid-version N] [--raw-leaves] [--chunker C] [--hash H] [PATH...]",
     "import files and trees as UnixFS (stdin when no PATH)"},
    {"cat", cmd_cat, "cat [--offset N] [--length N] CID[/path]...",
     "write a file's bytes to stdout"},
    {"get", cmd_get, "get CID[/path] [-o PATH]",
     "write a file, directory or symlink to PATH"},
    {"ls", cmd_ls, "ls [-v] [--size=false] CID[/path]...",
     "list a directory: <cid> <size> <name>"},
    {"refs", cmd_refs, "refs [-r] [-u] [--max-depth N] CID...",
     "list the CIDs a DAG links to"},
    {"refs local", cmd_refs_local, "refs local", "list every stored block"},
};

/* ----------------------------------------------------------------- errors */

int cli_fail(const char *what, int err) {
  fprintf(stderr, "trove: %s: %s\n", what, tr_strerror(err));
  return 1;
}

int cli_failf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("trove: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

/* ---------------------------------------------------------------- helpers */

int cli_env(cli_t *cli, unsigned flags, bs_env_t **env) {
  if (!cli->env) {
    int rc = bs_open(&cli->env, cli->repo, flags);
    if (rc) {
      if (rc == TR_ENOREPO)
        cli_failf("no repo at %s (run 'trove init')", cli->repo);
      else
        cli_failf("opening repo %s: %s", cli->repo, tr_strerror(rc));
      return rc;
    }
  }
  *env = cli->env;
  return 0;
}

int cli_cid(const char *arg, dag_cid_t *cid) {
  const char *s = arg;
  if (!strncmp(s, "/ipfs/", 6))
    s += 6;
  size_t n = strcspn(s, "/");
  int rc = dag_cid_parse(cid, s, n);
  if (rc)
    cli_failf("invalid CID '%s': %s", arg, tr_strerror(rc));
  return rc;
}

int cli_bool(const char *opt, const char *val, bool *out) {
  if (!val || !strcmp(val, "true") || !strcmp(val, "1"))
    *out = true;
  else if (!strcmp(val, "false") || !strcmp(val, "0"))
    *out = false;
  else {
    cli_failf("--%s: expected true or false, got '%s'", opt, val);
    return TR_EUSAGE;
  }
  return 0;
}

int cli_write_out(const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = write(1, c, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

/* --------------------------------------------------------- directories */

static int cmp_str(const void *x, const void *y) {
  return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The names in directory fd, sorted by bytes (os.ReadDir's order, in which
 * Kubo adds and prints), dot files left out unless --hidden. */
int cli_list_dir(int fd, bool hidden, char ***names, size_t *n) {
  int dfd = dup(fd);
  DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
  if (!d) {
    int e = -errno;
    if (dfd >= 0)
      close(dfd);
    return e;
  }
  char **v = NULL;
  size_t cnt = 0, cap = 0;
  int rc = 0;
  struct dirent *de;
  errno = 0;
  while (!rc && (de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    if (de->d_name[0] == '.' && !hidden)
      continue;
    if (cnt == cap) {
      cap = cap ? 2 * cap : 32;
      char **nv = tr_realloc(v, cap * sizeof *v);
      if (!nv) {
        rc = -ENOMEM;
        break;
      }
      v = nv;
    }
    if (!(v[cnt] = tr_strdup(de->d_name)))
      rc = -ENOMEM;
    else
      cnt++;
  }
  if (!rc && errno)
    rc = -errno;
  closedir(d);
  if (rc) {
    cli_free_names(v, cnt);
    return rc;
  }
  if (cnt > 1)
    qsort(v, cnt, sizeof *v, cmp_str);
  *names = v;
  *n = cnt;
  return 0;
}

void cli_free_names(char **names, size_t n) {
  for (size_t i = 0; i < n; i++)
    tr_free(names[i]);
  tr_free(names);
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *f) {
  fprintf(f, "usage: trove [--repo DIR] COMMAND [ARGS]\n\ncommands:\n");
  for (size_t i = 0; i < TR_ARRAY_LEN(commands); i++)
    fprintf(f, "  trove %-58s %s\n", commands[i].usage, commands[i].help);
  fprintf(f, "\nThe repo is --repo DIR, else $TROVE_PATH, else ~/.trove.\n");
}

/* Find the longest command whose words match argv; sets *words. */
static const cli_cmd_t *lookup(int argc, char **argv, int *words) {
  const cli_cmd_t *best = NULL;
  for (size_t i = 0; i < TR_ARRAY_LEN(commands); i++) {
    const char *name = commands[i].name;
    int w = 0;
    const char *p = name;
    while (*p && w < argc) {
      size_t n = strcspn(p, " ");
      if (strlen(argv[w]) != n || strncmp(argv[w], p, n))
        break;
      w++;
      p += n;
      if (*p == ' ')
        p++;
      else if (!*p) {
        if (!best || w > *words) {
          best = &commands[i];
          *words = w;
        }
      }
    }
  }
  return best;
}

int main(int argc, char **argv) {
  cli_t cli = {0};
  char repo_buf[4096];
  /* Global options may come before the command or anywhere after it, as in
   * Kubo; take --repo out of argv wherever it is. */
  int out = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--repo") && i + 1 < argc)
      cli.repo = argv[++i];
    else if (!strncmp(argv[i], "--repo=", 7))
      cli.repo = argv[i] + 7;
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
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
      !strcmp(argv[1], "help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  int words = 0;
  const cli_cmd_t *cmd = lookup(argc - 1, argv + 1, &words);
  if (!cmd) {
    cli_failf("unknown command '%s' (see 'trove --help')", argv[1]);
    return 2;
  }
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      printf("usage: trove %s\n  %s\n", cmd->usage, cmd->help);
      return 0;
    }
  /* argv[0] for the handler is the last command word, as getopt expects.
   * When a daemon holds the repo, writing commands go through its API. */
  int rc;
  if (!cli_remote(&cli, cmd->name, argc - words, argv + words, &rc))
    rc = cmd->fn(&cli, argc - words, argv + words);
  bs_close(cli.env);
  return rc;
}

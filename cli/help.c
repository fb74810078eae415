/*
 * help.c — `trove help`, `trove COMMAND --help` and `trove FAMILY --help`,
 * drawn from the command table (gateway/api_cmddefs.c), so that every
 * option a command parses is listed with its default, and nothing is
 * listed that it does not parse.  The global options and environment
 * variables are documented here and in README.md.
 */
#include <string.h>

#include "cli.h"

static const char *const globals[][2] = {
    {"--repo=DIR", "The repo (default $TROVE_PATH, else ~/.trove)."},
    {"-h, --help", "Show the help of the command."},
};

static const char *const environment[][2] = {
    {"TROVE_PATH", "The repo directory when --repo is not given "
     "(default ~/.trove)."},
    {"TROVE_OFFLINE", "Set (and not 0): run every command on the repo "
     "directly, never through a running daemon's API."},
    {"TROVE_PASS_FDS", "0: uploads to a daemon on this machine send "
     "their files' bytes over its socket, instead of passing the open "
     "files for the daemon to read."},
    {"TROVE_LOG", "Log level on stderr: error, warn, info (default) or "
     "debug."},
    {"TROVE_BATCH_MB", "Size of the write batches of an import in MiB "
     "(default 64): a batch commits when the pages it changed, or its "
     "blocks' bytes, reach it."},
    {"TROVE_HASH_THREADS", "Threads an import hashes its leaves on "
     "(default: one per CPU, at most 16; an add into the repo leaves one "
     "to its writer; 1: the importing thread alone)."},
    {"TROVE_MAP_INITIAL", "Initial LMDB map size in bytes (it grows as "
     "needed)."},
    {"TROVE_FROZEN_MB", "Memory in MiB for the sealed copies of large "
     "blocks the gateway sends with sendfile (default 64; 0: none)."},
    {"TROVE_WRITEMAP", "1: write through LMDB's writable map (off by "
     "default; see bench/README.md)."},
    {"LIBP2P_FORCE_PNET", "1: the daemon refuses to start without a "
     "swarm.key in the repo (a private network), as Kubo."},
};

static void row(FILE *f, const char *left, const char *right) {
  if (strlen(left) <= 26)
    fprintf(f, "  %-26s %s\n", left, right);
  else
    fprintf(f, "  %s\n  %-26s %s\n", left, "", right);
}

void cli_help_all(FILE *f) {
  fprintf(f, "usage: trove [--repo DIR] COMMAND [OPTIONS] [ARGS]\n\n"
             "commands:\n");
  for (size_t i = 0; i < rpc_ncmddefs; i++) {
    char left[128];
    snprintf(left, sizeof left, "%s %s", rpc_cmddefs[i].name,
             rpc_cmddefs[i].args);
    row(f, left, rpc_cmddefs[i].help);
  }
  fprintf(f, "  %-26s %s\n", "help [COMMAND]", "Show this, or a command's "
          "options.");
  fprintf(f, "\nglobal options:\n");
  for (size_t i = 0; i < TR_ARRAY_LEN(globals); i++)
    row(f, globals[i][0], globals[i][1]);
  fprintf(f, "\nenvironment:\n");
  for (size_t i = 0; i < TR_ARRAY_LEN(environment); i++)
    row(f, environment[i][0], environment[i][1]);
  fprintf(f, "\nWhen a daemon runs on the repo, commands that write (add, "
             "pin, block put/rm, dag import,\nrepo gc) and some that read go "
             "through its RPC API; the others open the repo.\nSee 'trove "
             "COMMAND --help' for a command's options.\n");
}

void cli_help_cmd(const rpc_cmddef_t *d, FILE *f) {
  fprintf(f, "usage: trove %s%s%s%s\n\n  %s\n", d->name,
          d->opts[0].name ? " [OPTIONS]" : "", *d->args ? " " : "", d->args,
          d->help);
  if (d->rpc)
    fprintf(f, "  RPC API: POST /api/v0/%s\n", d->rpc);
  fprintf(f, "\noptions:\n");
  for (const rpc_optdef_t *o = d->opts; o->name; o++) {
    char left[96], right[512];
    const char *arg = o->type == RPC_OPT_BOOL  ? ""
                      : o->type == RPC_OPT_INT ? "=N"
                                               : "=VALUE";
    if (o->shrt)
      snprintf(left, sizeof left, "-%c, --%s%s", o->shrt, o->name, arg);
    else
      snprintf(left, sizeof left, "    --%s%s", o->name, arg);
    int n = snprintf(right, sizeof right, "%s", o->help);
    if (o->dflt && n > 0 && (size_t)n < sizeof right)
      n += snprintf(right + n, sizeof right - (size_t)n, " (default: %s)",
                    o->dflt);
    if (o->type == RPC_OPT_INT && n > 0 && (size_t)n < sizeof right &&
        o->max < INT32_MAX)
      snprintf(right + n, sizeof right - (size_t)n, " [%lld..%lld]",
               (long long)o->min, (long long)o->max);
    row(f, left, right);
  }
  for (size_t i = 0; i < TR_ARRAY_LEN(globals); i++) {
    char left[64];
    snprintf(left, sizeof left, "%s%s", globals[i][0][1] == '-' ? "    " : "",
             globals[i][0]);
    row(f, left, globals[i][1]);
  }
  size_t n = strlen(d->name);
  bool any = false;
  for (size_t i = 0; i < rpc_ncmddefs; i++)
    if (!strncmp(rpc_cmddefs[i].name, d->name, n) &&
        rpc_cmddefs[i].name[n] == ' ') {
      if (!any)
        fprintf(f, "\nsubcommands:\n");
      any = true;
      row(f, rpc_cmddefs[i].name, rpc_cmddefs[i].help);
    }
  fprintf(f, "\nSee 'trove help' for the environment variables.\n");
}

bool cli_help_group(const char *family, FILE *f) {
  size_t n = strlen(family);
  bool any = false;
  for (size_t i = 0; i < rpc_ncmddefs; i++) {
    const char *name = rpc_cmddefs[i].name;
    if (strncmp(name, family, n) || name[n] != ' ')
      continue;
    if (!any)
      fprintf(f, "usage: trove %s COMMAND [OPTIONS] [ARGS]\n\ncommands:\n",
              family);
    any = true;
    char left[128];
    snprintf(left, sizeof left, "%s %s", name, rpc_cmddefs[i].args);
    row(f, left, rpc_cmddefs[i].help);
  }
  if (any)
    fprintf(f, "\nSee 'trove %s COMMAND --help' for a command's options.\n",
            family);
  return any;
}

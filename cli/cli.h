/*
 * cli.h — what the `trove` command's files share: the command table, the
 * repo opened for a command, argument helpers and the one error format.
 *
 * Each subcommand family lives in its own file (cmd_repo.c, cmd_block.c,
 * cmd_pin.c, ...) and exposes its handlers here.  A handler gets argv with
 * the command words removed (argv[0] is the last command word, as getopt
 * expects) and returns the process exit status.  Errors are printed as one
 * line on stderr, "trove: what failed: why", by cli_fail().
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "../blockstore/bs.h"
#include "../dag/cid.h"

typedef struct cli {
  const char *repo; /* repo directory (--repo, TROVE_PATH, ~/.trove) */
  bs_env_t *env;    /* opened on demand by cli_env() */
} cli_t;

typedef int (*cli_fn)(cli_t *cli, int argc, char **argv);

typedef struct cli_cmd {
  const char *name; /* "pin add" */
  cli_fn fn;
  const char *usage;
  const char *help;
} cli_cmd_t;

/* Print "trove: what: strerror(err)" and return the exit status 1. */
int cli_fail(const char *what, int err);
/* Print "trove: message" (printf-style) and return 1. */
int cli_failf(const char *fmt, ...) TR_PRINTF(1, 2);

/* Open the repo (once) with bs flags; prints the error itself. */
int cli_env(cli_t *cli, unsigned flags, bs_env_t **env);

/* Parse a CID argument (a leading "/ipfs/" is accepted); prints an error
 * naming the argument on failure. */
int cli_cid(const char *arg, dag_cid_t *cid);

/* Parse a boolean option value as Kubo does ("true"/"false"). */
int cli_bool(const char *opt, const char *val, bool *out);

/* Write all bytes to fd 1; -errno on failure. */
int cli_write_out(const void *p, size_t n);

/* The names in directory fd (not closed), sorted by bytes (os.ReadDir's
 * order, in which Kubo adds and prints), "." and ".." left out, dot files
 * too unless hidden.  Free with cli_free_names().  0 or -errno/-ENOMEM. */
int cli_list_dir(int fd, bool hidden, char ***names, size_t *n);
void cli_free_names(char **names, size_t n);

/* Command handlers. */
int cmd_init(cli_t *, int, char **);
int cmd_daemon(cli_t *, int, char **);
int cmd_dag(cli_t *, int, char **);
int cmd_version(cli_t *, int, char **);
int cmd_id(cli_t *, int, char **);
int cmd_config(cli_t *, int, char **);
int cmd_repo_stat(cli_t *, int, char **);
int cmd_repo_gc(cli_t *, int, char **);
int cmd_repo_verify(cli_t *, int, char **);
int cmd_block_put(cli_t *, int, char **);
int cmd_block_get(cli_t *, int, char **);
int cmd_block_stat(cli_t *, int, char **);
int cmd_block_rm(cli_t *, int, char **);
int cmd_pin_add(cli_t *, int, char **);
int cmd_pin_rm(cli_t *, int, char **);
int cmd_pin_ls(cli_t *, int, char **);
int cmd_pin_verify(cli_t *, int, char **);
int cmd_add(cli_t *, int, char **);
int cmd_cat(cli_t *, int, char **);
int cmd_get(cli_t *, int, char **);
int cmd_ls(cli_t *, int, char **);
int cmd_refs(cli_t *, int, char **);
int cmd_refs_local(cli_t *, int, char **);

/* cmd_remote.c: run the command through the RPC API of a daemon that
 * holds the repo (found through <repo>/api).  Returns true when it did -
 * *status is then the exit status - and false when the command has no
 * remote form, asks for nothing to be written (add -n), TROVE_OFFLINE is
 * set, or no daemon answers: the caller then runs it locally. */
bool cli_remote(cli_t *cli, const char *name, int argc, char **argv,
                int *status);

#define TROVE_VERSION "0.1.0"

#endif /* CLI_H */

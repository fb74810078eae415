/*
 * cmd_mirror.c — `trove mirror token add [NAME] | rm NAME | ls`: the
 * Pinning Service API's bearer tokens (mirror/pins.h).  Works on the repo
 * directly, beside a running daemon (LMDB serves both): a token added is
 * good at the daemon's next request, one removed refused.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../mirror/pins.h"
#include "cli.h"

static int with_store(cli_t *cli, unsigned flags, mir_store_t **st,
                      bs_env_t **env) {
  int rc = cli_env(cli, flags, env);
  if (rc)
    return rc;
  if ((rc = mir_store_open(*env, st))) {

    return cli_fail("mirror: opening the pins store", rc);
  }
  return 0;
}

int cmd_mirror_token_add(cli_t *cli, int argc, char **argv) {
  if (argc > 2)
    return cli_failf("mirror token add: takes at most one NAME");
  bs_env_t *env;
  mir_store_t *st;
  int rc = with_store(cli, 0, &st, &env);
  if (rc)
    return rc;
  char tok[MIR_TOKEN_LEN + 1], name[MIR_TOKEN_NAME_MAX + 1];
  bs_txn_t *txn;
  if (!(rc = bs_txn_begin(env, 0, &txn))) {
    rc = mir_token_add(st, txn, argc == 2 ? argv[1] : NULL, tok, name);
    rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
  }
  mir_store_close(st);
  if (rc == TR_EEXIST)
    return cli_failf("mirror token add: a token named %s exists", argv[1]);
  if (rc == TR_EUSAGE)
    return cli_failf("mirror token add: a NAME is 1-%d of [A-Za-z0-9._-]",
                     MIR_TOKEN_NAME_MAX);
  if (rc)
    return cli_fail("mirror token add", rc);
  fprintf(stderr, "token %s (shown once; only its hash is kept):\n", name);
  printf("%s\n", tok);
  return 0;
}

int cmd_mirror_token_rm(cli_t *cli, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("mirror token rm: takes one NAME");
  bs_env_t *env;
  mir_store_t *st;
  int rc = with_store(cli, 0, &st, &env);
  if (rc)
    return rc;
  bs_txn_t *txn;
  if (!(rc = bs_txn_begin(env, 0, &txn))) {
    rc = mir_token_rm(st, txn, argv[1]);
    rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
  }
  mir_store_close(st);
  if (rc == TR_ENOTFOUND)
    return cli_failf("mirror token rm: no token named %s", argv[1]);
  if (rc)
    return cli_fail("mirror token rm", rc);
  printf("removed %s\n", argv[1]);
  return 0;
}

static int ls_one(const char *name, uint64_t created, void *ud) {
  (void)ud;
  char t[32] = "?";
  time_t s = (time_t)created;
  struct tm tm;
  if (gmtime_r(&s, &tm))
    strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
  printf("%s\t%s\n", name, t);
  return 0;
}

int cmd_mirror_token_ls(cli_t *cli, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("mirror token ls: takes no arguments");
  bs_env_t *env;
  mir_store_t *st;
  int rc = with_store(cli, 0, &st, &env);
  if (rc)
    return rc;
  bs_txn_t *txn;
  if (!(rc = bs_txn_begin(env, BS_RDONLY, &txn))) {
    rc = mir_token_ls(st, txn, ls_one, NULL);
    bs_txn_abort(txn);
  }
  mir_store_close(st);
  return rc ? cli_fail("mirror token ls", rc) : 0;
}

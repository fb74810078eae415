/*
 * cmd_pin.c — `trove pin add|rm|ls|verify` with Kubo's semantics and output:
 * recursive (default) and direct pins, indirect pins reported by ls, names.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"

static const char *type_name(int t) {
  return t == BS_PIN_RECURSIVE ? "recursive"
         : t == BS_PIN_DIRECT  ? "direct"
                               : "indirect";
}

int cmd_pin_add(cli_t *cli, int argc, char **argv) {
  bool recursive = CLI_BOOL(cli, "recursive");
  const char *name = CLI_STR(cli, "name");
  char **cids = argv + 1;
  int ncids = argc - 1;
  if (name && strlen(name) > BS_PIN_NAME_MAX)
    return cli_failf("pin add: pin name too long: at most %d bytes",
                     BS_PIN_NAME_MAX);
  if (!ncids)
    return cli_failf("pin add: usage: trove pin add [--recursive=false] "
                     "CID... (or a CID a line on stdin)");
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  /* All CIDs in one transaction: either every pin lands or none does. */
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, 0, &txn);
  if (rc)
    return cli_fail("pin add", rc);
  dag_cid_t *parsed = tr_calloc((size_t)ncids, sizeof *parsed);
  if (!parsed) {
    bs_txn_abort(txn);
    return cli_fail("pin add", -ENOMEM);
  }
  for (int i = 0; i < ncids && !rc; i++) {
    if (cli_resolve_path(txn, cids[i], &parsed[i])) {
      rc = 1;
      break;
    }
    dag_cid_t missing;
    int e = bs_pin_add(txn, &parsed[i],
                       recursive ? BS_PIN_RECURSIVE : BS_PIN_DIRECT, name,
                       &missing);
    char s[DAG_CID_STR_MAX];
    if (e == TR_EINCOMPLETE)
      rc = cli_failf("pin add %s: DAG is incomplete: block %s is missing",
                     cids[i], dag_cid_str(&missing, s));
    else if (e == TR_EPINTYPE)
      rc = cli_failf("pin add %s: already pinned recursively", cids[i]);
    else if (e)
      rc = cli_failf("pin add %s: %s", cids[i], tr_strerror(e));
  }
  if (rc) {
    bs_txn_abort(txn);
  } else if ((rc = bs_txn_commit(txn))) {
    rc = cli_fail("pin add", rc);
  } else {
    for (int i = 0; i < ncids; i++) {
      char s[DAG_CID_STR_MAX];
      printf("pinned %s %s\n", dag_cid_str(&parsed[i], s),
             recursive ? "recursively" : "directly");
    }
  }
  tr_free(parsed);
  return rc;
}

int cmd_pin_update(cli_t *cli, int argc, char **argv) {
  if (argc != 3)
    return cli_failf("pin update: usage: trove pin update FROM TO");
  dag_cid_t from, to, missing;
  bs_env_t *env;
  bs_txn_t *txn;
  if (cli_env(cli, 0, &env))
    return 1;
  int rc = bs_txn_begin(env, 0, &txn);
  if (rc)
    return cli_fail("pin update", rc);
  if (cli_resolve_path(txn, argv[1], &from) ||
      cli_resolve_path(txn, argv[2], &to)) {
    bs_txn_abort(txn);
    return 1;
  }
  rc = bs_pin_update(txn, &from, &to, CLI_BOOL(cli, "unpin"), &missing);
  char s[DAG_CID_STR_MAX];
  if (rc == TR_ENOTPINNED)
    rc = cli_failf("pin update: '%s' was not recursively pinned already",
                   argv[1]);
  else if (rc == TR_EPINTYPE)
    rc = cli_failf("pin update: '%s' was already recursively pinned",
                   argv[2]);
  else if (rc == TR_EINCOMPLETE)
    rc = cli_failf("pin update %s: DAG is incomplete: block %s is missing",
                   argv[2], dag_cid_str(&missing, s));
  else if (rc)
    rc = cli_fail("pin update", rc);
  else if ((rc = bs_txn_commit(txn)))
    return cli_fail("pin update", rc);
  else
    printf("updated %s to %s\n", argv[1], argv[2]);
  if (rc)
    bs_txn_abort(txn);
  return rc ? 1 : 0;
}

int cmd_pin_rm(cli_t *cli, int argc, char **argv) {
  bool recursive = CLI_BOOL(cli, "recursive");
  int rc = 0, any = 0;
  bs_env_t *env;
  if (argc < 2)
    return cli_failf("pin rm: usage: trove pin rm [--recursive=false] "
                     "CID... (or a CID a line on stdin)");
  if (cli_env(cli, 0, &env))
    return 1;
  bs_txn_t *txn;
  int e = bs_txn_begin(env, 0, &txn);
  if (e)
    return cli_fail("pin rm", e);
  for (int i = 1; i < argc; i++) {
    any = 1;
    dag_cid_t cid;
    if (cli_resolve_path(txn, argv[i], &cid)) { /* the CID at a path */
      rc = 1;
      break;
    }
    e = bs_pin_rm(txn, &cid, recursive);
    if (e == TR_EPINTYPE)
      rc = cli_failf("pin rm %s: is pinned recursively", argv[i]);
    else if (e == TR_EINDIRECT)
      rc = cli_failf("pin rm %s: is pinned indirectly", argv[i]);
    else if (e == TR_ENOTPINNED)
      rc = cli_failf("pin rm %s: not pinned or pinned indirectly", argv[i]);
    else if (e)
      rc = cli_fail("pin rm", e);
    if (rc)
      break;
  }
  if (!any && !rc)
    rc = cli_failf("pin rm: usage: trove pin rm [--recursive=false] "
                   "CID... (or a CID a line on stdin)");
  if (rc) {
    bs_txn_abort(txn);
    return rc;
  }
  if ((e = bs_txn_commit(txn)))
    return cli_fail("pin rm", e);
  for (int i = 1; i < argc; i++)
    printf("unpinned %s\n", argv[i]);
  return 0;
}

typedef struct ls_ctx {
  bool quiet, names;
  const char *name; /* only pins whose name holds this; NULL: all */
} ls_ctx_t;

static int ls_print(const bs_pin_t *pin, void *ud) {
  ls_ctx_t *c = ud;
  char s[DAG_CID_STR_MAX];
  if (c->name && !strstr(pin->name, c->name))
    return 0;
  dag_cid_str(&pin->cid, s);
  if (c->quiet)
    printf("%s\n", s);
  else if (c->names && pin->name[0])
    printf("%s %s %s\n", s, type_name(pin->type), pin->name);
  else
    printf("%s %s\n", s, type_name(pin->type));
  return 0;
}

/* The --type value as bs pin types; -1 for a bad one (reported). */
int cli_pin_type(const char *v) {
  if (!strcmp(v, "all"))
    return BS_PIN_ALL;
  if (!strcmp(v, "recursive"))
    return BS_PIN_RECURSIVE;
  if (!strcmp(v, "direct"))
    return BS_PIN_DIRECT;
  if (!strcmp(v, "indirect"))
    return BS_PIN_INDIRECT;
  cli_failf("pin ls: invalid type '%s', must be one of {direct, indirect, "
            "recursive, all}", v);
  return -1;
}

int cmd_pin_ls(cli_t *cli, int argc, char **argv) {
  int types = cli_pin_type(CLI_STR(cli, "type")), n = argc - 1;
  /* Kubo: --name filters by a part of the name and implies --names. */
  ls_ctx_t c = {CLI_BOOL(cli, "quiet"), CLI_BOOL(cli, "names"),
                CLI_STR(cli, "name")};
  c.names |= c.name != NULL;
  char **cids = argv + 1;
  if (types < 0)
    return 1;
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return cli_fail("pin ls", rc);
  if (!n) {
    rc = bs_pin_ls(txn, types, ls_print, &c);
    bs_txn_abort(txn);
    return rc ? cli_fail("pin ls", rc) : 0;
  }
  /* Kubo: each path resolved (to the CID at its end) and found pinned
   * before anything is printed (with --stream, each as it is found); the
   * first that is not fails the whole.  The name filter is for a listing
   * of every pin only. */
  bool stream = CLI_BOOL(cli, "stream");
  bs_pin_t *pins = tr_calloc((size_t)n, sizeof *pins);
  int status = pins ? 0 : cli_fail("pin ls", -ENOMEM), got = 0;
  c.name = NULL;
  for (int i = 0; i <= n && !status; i++) {
    for (; got < (stream || i == n ? i : 0); got++) {
      const bs_pin_t *pin = &pins[got];
      if (pin->type == BS_PIN_INDIRECT && !c.quiet) {
        char s[DAG_CID_STR_MAX], via[DAG_CID_STR_MAX];
        printf("%s indirect through %s\n", dag_cid_str(&pin->cid, s),
               dag_cid_str(&pin->via, via));
      } else
        ls_print(pin, &c);
    }
    if (i == n)
      break;
    dag_cid_t cid;
    if (cli_resolve_path(txn, cids[i], &cid)) {
      status = 1;
      break;
    }
    rc = bs_pin_get(txn, &cid, types, &pins[i]);
    if (rc < 0)
      status = cli_fail("pin ls", rc);
    else if (rc == 0)
      status = cli_failf("pin ls: path '%s' is not pinned", cids[i]);
  }
  fflush(stdout);
  tr_free(pins);
  bs_txn_abort(txn);
  return status;
}

typedef struct verify_ctx {
  bool verbose, quiet;
  int broken;
} verify_ctx_t;

static int verify_print(const bs_pin_t *pin, int status, const dag_cid_t *bad,
                        void *ud) {
  verify_ctx_t *c = ud;
  char s[DAG_CID_STR_MAX], b[DAG_CID_STR_MAX];
  dag_cid_str(&pin->cid, s);
  if (status == 0) {
    if (c->verbose)
      printf("%s ok\n", s);
    return 0;
  }
  c->broken++;
  if (c->quiet)
    printf("%s\n", s);
  else
    printf("%s broken: %s %s\n", s, dag_cid_str(bad, b),
           status == TR_EINCOMPLETE ? "missing" : "corrupt");
  return 0;
}

int cmd_pin_verify(cli_t *cli, int argc, char **argv) {
  (void)argv;
  verify_ctx_t c = {CLI_BOOL(cli, "verbose"), CLI_BOOL(cli, "quiet"), 0};
  if (argc != 1)
    return cli_failf("pin verify: takes no arguments");
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return cli_fail("pin verify", rc);
  rc = bs_pin_verify(txn, verify_print, &c);
  bs_txn_abort(txn);
  if (rc)
    return cli_fail("pin verify", rc);
  return c.broken ? cli_failf("pin verify: %d broken pins", c.broken) : 0;
}

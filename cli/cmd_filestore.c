/*
 * cmd_filestore.c — `trove filestore ls|verify|dups`, Kubo's commands for
 * the references `add --nocopy` keeps (rpc/fs_list.h does the work), run
 * on the repo or, when a daemon holds it, through the daemon's API
 * (cli_remote): both print exactly what Kubo v0.43.1's CLI prints.
 *
 *   ls       FormatLong lines ("%-50s %6d %s %d": key, size, path,
 *            offset); an entry's error goes to stderr and the command
 *            ends with "errors while displaying some entries" (status 1).
 *   verify   the status padded to 7, FormatLong, and with
 *            --remove-bad-blocks "remove" or "keep"; an ERROR entry's
 *            message goes to stderr too (status 0).
 *   dups     a CID a line.
 *
 * --cid-base applies to the keys as Kubo's CLI applies it (never to a
 * key printed without its path, which boxo writes in base32).
 */
#include <stdlib.h>
#include <string.h>

#include "../rpc/fs_list.h"
#include "remote_int.h"

static int mode_of(const char *name) {
  if (!strcmp(name, "filestore verify"))
    return RPC_FSL_VERIFY;
  return strcmp(name, "filestore dups") ? RPC_FSL_LS : RPC_FSL_DUPS;
}

/* --cid-base as Kubo's GetCidEncoder reads it: 0 (base32) when absent. */
static int cid_base(const rpc_vals_t *v, char *base) {
  const char *b = rpc_vals_str(v, "cid-base");
  *base = 0;
  if (b && *b && dag_mb_from_name(b, base))
    return cli_failf("unsupported multibase encoding: %s", b);
  return 0;
}

/* One value as Kubo's CLI prints it; *errors notes an ls entry's error. */
static void print_res(const rpc_fsl_res_t *r, int mode, bool remove_bad,
                      char base, bool *errors) {
  static char line[RPC_FSL_ERR_MAX + 128];
  if (mode == RPC_FSL_DUPS) {
    if (dag_cid_format(&r->key, base, line, sizeof line) < 0)
      dag_cid_str(&r->key, line);
    printf("%s\n", line);
    return;
  }
  if (mode == RPC_FSL_LS && r->err[0]) {
    fprintf(stderr, "%s\n", r->err);
    *errors = true;
    return;
  }
  if (r->status == BS_FS_OTHER)
    fprintf(stderr, "%s\n", r->err);
  rpc_fsl_line(r, mode, remove_bad, base, line, sizeof line);
  fputs(line, stdout);
}

static int finish(const char *name, bool errors) {
  fflush(stdout);
  return errors ? cli_failf("%s: errors while displaying some entries", name)
                : 0;
}

static int run_local(cli_t *cli, int argc, char **argv) {
  const char *name = cli->v.def->name;
  int mode = mode_of(name);
  bool remove_bad = mode == RPC_FSL_VERIFY &&
                    CLI_BOOL(cli, "remove-bad-blocks");
  char base;
  bs_env_t *env;
  if (cid_base(&cli->v, &base) ||
      cli_env(cli, remove_bad ? 0 : BS_RDONLY, &env))
    return 1;
  rpc_fsl_opts_t o = {.mode = mode, .remove_bad = remove_bad,
                      .args = mode == RPC_FSL_DUPS ? NULL : argv + 1,
                      .nargs = mode == RPC_FSL_DUPS ? 0 : (size_t)argc - 1};
  if (mode != RPC_FSL_DUPS)
    o.file_order = CLI_BOOL(cli, "file-order");
  if (!rpc_fsl_enabled(cli->repo, &o.allow_files))
    return cli_failf("%s: %s", name, RPC_FSL_OFF_MSG);
  rpc_fsl_t *l;
  rpc_fsl_res_t *r = malloc(sizeof *r);
  if (!r || rpc_fsl_new(env, &o, &l)) {
    free(r);
    return cli_fail(name, -ENOMEM);
  }
  bool errors = false;
  int rc;
  while ((rc = rpc_fsl_next(l, r)) > 0)
    print_res(r, mode, remove_bad, base, &errors);
  rpc_fsl_free(l);
  free(r);
  if (rc < 0) {
    fflush(stdout);
    return cli_fail(name, rc);
  }
  return finish(name, errors);
}

int cmd_filestore_ls(cli_t *cli, int argc, char **argv) {
  return run_local(cli, argc, argv);
}

int cmd_filestore_verify(cli_t *cli, int argc, char **argv) {
  return run_local(cli, argc, argv);
}

int cmd_filestore_dups(cli_t *cli, int argc, char **argv) {
  return run_local(cli, argc, argv);
}

/* ------------------------------------------------------- through the API */

int cli__remote_filestore(remote_t *r, int argc, char **argv) {
  int mode = mode_of(r->what);
  bool remove_bad = mode == RPC_FSL_VERIFY &&
                    rpc_vals_bool(r->v, "remove-bad-blocks");
  char base;
  if (cid_base(r->v, &base))
    return 1;
  if (mode == RPC_FSL_DUPS && argc > 1)
    return cli_failf("%s: takes no arguments", r->what);
  const char *api = mode == RPC_FSL_LS       ? "filestore/ls"
                    : mode == RPC_FSL_VERIFY ? "filestore/verify"
                                             : "filestore/dups";
  if (cli__qargs(r, argc, argv) || cli__call(r, api))
    return 1;
  rpc_fsl_res_t *res = malloc(sizeof *res);
  if (!res)
    return cli_fail(r->what, -ENOMEM);
  json_t *o;
  int rc;
  bool errors = false;
  while ((rc = cli__next_value(r, &o)) > 0) {
    if (mode == RPC_FSL_DUPS) { /* Kubo's refs encoder: an Err ends it */
      const char *err = cli__jstr(o, "Err");
      if (*err) {
        cli_failf("%s: %s", r->what, err);
        json_decref(o);
        rc = -1;
        break;
      }
      printf("%s\n", cli__jstr(o, "Ref"));
    } else if (rpc_fsl_from_json(o, res)) {
      cli_failf("%s: the daemon's answer is not a filestore entry", r->what);
      json_decref(o);
      rc = -1;
      break;
    } else {
      print_res(res, mode, remove_bad, base, &errors);
    }
    json_decref(o);
  }
  free(res);
  if (rc < 0) {
    fflush(stdout);
    return 1;
  }
  return finish(r->what, errors);
}

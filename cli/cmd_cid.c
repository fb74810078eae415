/*
 * cmd_cid.c — `trove cid format|base32`: CIDs converted and written as
 * Kubo's `ipfs cid` does (dag_cid_conv), without a repo.  Arguments come
 * from the command line or, when there are none, one a line on stdin.  A
 * CID that does not parse or convert is reported on stderr ("<arg>:
 * <why>") and the others still written; the exit status is then 1, after
 * Kubo's "errors while displaying some entries".
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int run(const dag_cid_conv_t *c, int argc, char **argv) {
  int bad = 0;
  for (int i = 1; i < argc; i++) {
    tr_bytes_t out = {0};
    char err[160];
    int rc = dag_cid_conv(c, argv[i], &out, err, sizeof err);
    if (rc == TR_EUSAGE) {
      tr_bytes_free(&out);
      return cli_failf("%s", err);
    }
    fflush(stdout); /* the lines and the errors in the arguments' order */
    if (rc) {
      fprintf(stderr, "%s: %s\n", argv[i], err);
      bad = 1;
    } else {
      fwrite(out.data, 1, out.len, stdout);
      putchar('\n');
    }
    tr_bytes_free(&out);
  }
  fflush(stdout);
  return bad ? cli_failf("errors while displaying some entries") : 0;
}

int cmd_cid_format(cli_t *cli, int argc, char **argv) {
  dag_cid_conv_t c;
  char err[160];
  if (dag_cid_conv_opts(&c, CLI_STR(cli, "f"), CLI_STR(cli, "v"),
                        CLI_STR(cli, "mc"), CLI_STR(cli, "b"), err,
                        sizeof err))
    return cli_failf("%s", err);
  return run(&c, argc, argv);
}

int cmd_cid_base32(cli_t *cli, int argc, char **argv) {
  (void)cli;
  dag_cid_conv_t c = {"%s", 1, 0, DAG_MB_BASE32};
  return run(&c, argc, argv);
}

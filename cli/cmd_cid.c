/*
 * cmd_cid.c — `trove cid format|base32|inspect|bases|codecs|hashes` and
 * `multibase list`, written as Kubo's `ipfs cid` does (dag/cidfmt.c,
 * dag/cidinfo.c), without a repo.  format and base32 take their arguments
 * from the command line or, when there are none, one a line on stdin; a
 * CID that does not parse or convert is reported on stderr ("<arg>:
 * <why>") and the others still written; the exit status is then 1, after
 * Kubo's "errors while displaying some entries".  inspect takes one CID
 * (or stdin's first line) and fails with Kubo's message when it is none.
 */
#include <stdio.h>
#include <string.h>

#include "../dag/cidinfo.h"
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

/* The text of a listing or an inspection to stdout; the exit status. */
static int emit(int rc, tr_bytes_t *out) {
  if (!rc)
    rc = cli_write_out(out->data, out->len);
  tr_bytes_free(out);
  return rc ? cli_fail("write", rc) : 0;
}

int cmd_cid_inspect(cli_t *cli, int argc, char **argv) {
  (void)cli;
  char **lines = NULL;
  int n = argc;
  if (argc == 1) {
    /* Kubo reads the argument from stdin's first line. */
    int e = cli_stdin_args(argv[0], &n, &lines);
    if (e) {
      tr_free(lines);
      return cli_fail("cid inspect: reading stdin", e);
    }
  }
  if (n < 2 || argc > 2) {
    tr_free(lines);
    return n < 2 ? cli_failf("argument \"cid\" is required")
                 : cli_failf("expected 1 argument(s), got %d", argc - 1);
  }
  const char *arg = argc == 2 ? argv[1] : lines[1];
  dag_cid_info_t in;
  int rc;
  tr_bytes_t out = {0};
  if (dag_cid_inspect(arg, &in))
    rc = cli_failf("%s", in.err);
  else
    rc = emit(dag_cid_inspect_text(arg, &in, &out), &out);
  tr_free(lines);
  return rc;
}

/* A listing: no arguments, as Kubo's; fn's text with the options o1 and
 * o2 (its two flags, in its order). */
static int list(cli_t *cli, int argc, char **argv,
                int (*fn)(bool, bool, tr_bytes_t *), const char *o1,
                const char *o2) {
  if (argc > 1)
    return cli_failf("expected 0 argument(s), got %d (%s...)", argc - 1,
                     argv[1]);
  tr_bytes_t out = {0};
  return emit(fn(CLI_BOOL(cli, o1), CLI_BOOL(cli, o2), &out), &out);
}

int cmd_cid_bases(cli_t *cli, int argc, char **argv) {
  return list(cli, argc, argv, dag_bases_text, "prefix", "numeric");
}

int cmd_cid_codecs(cli_t *cli, int argc, char **argv) {
  return list(cli, argc, argv, dag_codecs_text, "numeric", "supported");
}

int cmd_cid_hashes(cli_t *cli, int argc, char **argv) {
  return list(cli, argc, argv, dag_hashes_text, "numeric", "supported");
}

/*
 * cmd_multibase.c — `trove multibase encode|decode|transcode [FILE]`, as
 * Kubo's `ipfs multibase` (without a repo): the file's bytes, or stdin's
 * without FILE, encoded (-b, base64url by default), decoded
 * (dag_mb_decode_file: Kubo's leniency about line ends in base32 and
 * base64) or both; the result to stdout with no newline added.  `multibase
 * list` is `cid bases` (cmd_cid.c).
 */
#include <errno.h>
#include <string.h>

#include "../dag/cidinfo.h"
#include "cli.h"

enum { MB_ENCODE, MB_DECODE, MB_TRANSCODE };

/* FILE's bytes, or stdin's (Kubo's FileArg: "file" to encode,
 * "encoded_file" to decode and transcode); 0, or 1 once said why. */
static int read_input(int cmd, int argc, char **argv, tr_bytes_t *b) {
  if (argc > 2)
    return cli_failf("expected 1 argument(s), got %d", argc - 1);
  char err[512];
  int rc = cli_read_file(argc == 2 ? argv[1] : NULL, DAG_MB_FILE_MAX,
                         cmd == MB_ENCODE ? "file" : "encoded_file", b, err,
                         sizeof err);
  if (rc == TR_ETOOBIG)
    return cli_failf("failed to read file contents: trove takes files of up "
                     "to %u MiB", DAG_MB_FILE_MAX >> 20);
  return rc ? cli_failf("%s", err) : 0;
}

static int run(cli_t *cli, int cmd, int argc, char **argv) {
  char base = 0, got, err[160] = "";
  const char *b = cmd == MB_DECODE ? NULL : CLI_STR(cli, "b");
  if (b && dag_mb_from_name(b, &base))
    return cli_failf(*b ? "unsupported multibase encoding: %s"
                        : "empty multibase encoding%s", b);
  tr_bytes_t in = {0}, dec = {0};
  if (read_input(cmd, argc, argv, &in))
    return 1;
  const uint8_t *p = in.data;
  size_t n = in.len;
  char *s = NULL;
  int rc = 0;
  if (cmd != MB_ENCODE) {
    rc = dag_mb_decode_file(p, n, &dec, &got, err, sizeof err);
    p = dec.data, n = dec.len;
  }
  if (!rc && cmd != MB_DECODE) {
    s = tr_malloc(DAG_MB_ENCODED_MAX_ANY(n));
    int k = s ? dag_mb_encode(base, p, n, s, DAG_MB_ENCODED_MAX_ANY(n))
              : -ENOMEM;
    if (k == TR_ETOOBIG)
      snprintf(err, sizeof err, "%s encodes up to 4096 bytes (its encoding "
               "takes quadratic time)", dag_mb_name(base));
    rc = k < 0 ? k : 0;
    p = (const uint8_t *)s, n = k < 0 ? 0 : (size_t)k;
  }
  if (!rc && (rc = cli_write_out(p, n)))
    snprintf(err, sizeof err, "write: %s", tr_strerror(rc));
  tr_free(s);
  tr_bytes_free(&in);
  tr_bytes_free(&dec);
  return rc ? cli_failf("%s", err[0] ? err : tr_strerror(rc)) : 0;
}

int cmd_multibase_encode(cli_t *cli, int argc, char **argv) {
  return run(cli, MB_ENCODE, argc, argv);
}

int cmd_multibase_decode(cli_t *cli, int argc, char **argv) {
  return run(cli, MB_DECODE, argc, argv);
}

int cmd_multibase_transcode(cli_t *cli, int argc, char **argv) {
  return run(cli, MB_TRANSCODE, argc, argv);
}

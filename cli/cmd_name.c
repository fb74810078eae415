/*
 * cmd_name.c — `trove name get|put|inspect`: signed IPNS records as they
 * are (rpc/rpc_name_rec.c).  get and put need the daemon (the routing
 * lives there, as Kubo's need a node online); inspect reads only the
 * record, so it runs here whether a daemon runs or not, and prints what
 * Kubo's text encoder prints (dht/ipns_inspect.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../dht/ipns_inspect.h"
#include "remote_int.h"

/* FILE's bytes, or stdin's without one (Kubo's FileArg "record"), at
 * most max + 1 of them (more: the file is longer than max, which the
 * reader of the record reports).  0, or 1 (reported). */
static int read_arg(const char *what, const char *file, size_t max,
                    tr_bytes_t *b) {
  char err[512];
  int rc = cli_read_file(file, max, "record", b, err, sizeof err);
  if (rc && rc != TR_ETOOBIG)
    return cli_failf("%s: %s", what, err);
  return 0;
}

int cmd_name_inspect(cli_t *cli, int argc, char **argv) {
  if (argc > 2)
    return cli_failf("name inspect: usage: trove name inspect [--verify "
                     "NAME] [--dump=false] [FILE]");
  tr_bytes_t rec = {0}, out = {0};
  if (read_arg("name inspect", argc > 1 ? argv[1] : NULL,
               DHT_INSPECT_READ_MAX, &rec)) {
    tr_bytes_free(&rec);
    return 1;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  dht_ipns_time_t now = {ts.tv_sec, (uint32_t)ts.tv_nsec};
  dht_ipns_inspect_t in;
  char err[160];
  int rc = dht_ipns_inspect(rec.data, rec.len, CLI_STR(cli, "verify"),
                            CLI_BOOL(cli, "dump"), now, &in, err, sizeof err);
  tr_bytes_free(&rec);
  if (rc)
    return cli_failf("name inspect: %s", err);
  rc = dht_ipns_inspect_text(&in, &out);
  dht_ipns_inspect_free(&in);
  if (!rc)
    rc = cli_write_out(out.data, out.len);
  tr_bytes_free(&out);
  return rc ? cli_fail("name inspect", rc) : 0;
}

int cli__remote_name_get(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("name get: usage: trove name get NAME");
  if (cli__qargs(r, argc, argv) || cli__call(r, "name/get"))
    return 1;
  return cli__body_out(r);
}

int cli__remote_name_put(remote_t *r, int argc, char **argv) {
  if (argc != 2 && argc != 3)
    return cli_failf("name put: usage: trove name put [OPTIONS] NAME "
                     "[FILE]");
  tr_bytes_t rec = {0};
  json_t *o = NULL;
  /* As Kubo's CLI: the record as it is (the daemon judges its size). */
  int rc = read_arg("name put", argc == 3 ? argv[2] : NULL,
                    DHT_IPNS_RECORD_MAX, &rec) ||
           cli__qadd(r, "arg", argv[1]) ||
           cli__send_file(r, "name/put", "record", rec.data, rec.len) ||
           cli__next_value(r, &o) <= 0;
  tr_bytes_free(&rec);
  if (!rc && !rpc_vals_bool(r->v, "quiet"))
    printf("%s\n", cli__jstr(o, "Name"));
  json_decref(o);
  return rc;
}

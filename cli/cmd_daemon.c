/*
 * cmd_daemon.c — `trove daemon`: run the node (see node/daemon.h).
 */
#include <string.h>

#include "../node/daemon.h"
#include "cli.h"

int cmd_daemon(cli_t *cli, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("daemon: takes no arguments");
  char err[512] = "";
  node_daemon_opts_t o = {.repo = cli->repo,
                          .gateway_addr = CLI_STR(cli, "gateway"),
                          .api_addr = CLI_STR(cli, "api"),
                          .enable_gc = CLI_BOOL(cli, "enable-gc"),
                          .err = err,
                          .errsz = sizeof err};
  int rc = node_daemon_run(&o);
  if (rc && err[0])
    return cli_failf("daemon: %s", err);
  return rc ? cli_fail("daemon", rc) : 0;
}

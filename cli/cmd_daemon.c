/*
 * cmd_daemon.c — `trove daemon`: run the node (see node/daemon.h).
 */
#include <string.h>

#include "../node/daemon.h"
#include "cli.h"

int cmd_daemon(cli_t *cli, int argc, char **argv) {
  char err[512] = "";
  node_daemon_opts_t o = {cli->repo, NULL, NULL, err, sizeof err};
  for (int i = 1; i < argc; i++) {
    if (!strncmp(argv[i], "--gateway=", 10))
      o.gateway_addr = argv[i] + 10;
    else if (!strncmp(argv[i], "--api=", 6))
      o.api_addr = argv[i] + 6;
    else
      return cli_failf("daemon: unknown option %s", argv[i]);
  }
  int rc = node_daemon_run(&o);
  if (rc && err[0])
    return cli_failf("daemon: %s", err);
  return rc ? cli_fail("daemon", rc) : 0;
}

/*
 * cmd_daemon.c — `trove daemon`: run the node (see node/daemon.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../node/daemon.h"
#include "cli.h"

int cmd_daemon(cli_t *cli, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("daemon: takes no arguments");
  /* Kubo's --init: make the repo first when there is none (what
   * containers and service units run). */
  char cfg[4096];
  snprintf(cfg, sizeof cfg, "%s/config", cli->repo);
  if (CLI_BOOL(cli, "init") && access(cfg, F_OK)) {
    if (cli_init_repo(cli, CLI_STR(cli, "init-profile")))
      return 1;
    bs_close(cli->env); /* the daemon opens it; LMDB wants one open */
    cli->env = NULL;
  } else if (CLI_SET(cli, "init-profile") && !CLI_BOOL(cli, "init")) {
    return cli_failf("daemon: --init-profile needs --init");
  }
  char err[512] = "";
  node_daemon_opts_t o = {.repo = cli->repo,
                          .gateway_addr = CLI_STR(cli, "gateway"),
                          .api_addr = CLI_STR(cli, "api"),
                          .enable_gc = CLI_BOOL(cli, "enable-gc"),
                          .enable_pubsub =
                              !CLI_SET(cli, "enable-pubsub-experiment") ? -1
                              : CLI_BOOL(cli, "enable-pubsub-experiment"),
                          .err = err,
                          .errsz = sizeof err};
  int rc = node_daemon_run(&o);
  if (rc && err[0])
    return cli_failf("daemon: %s", err);
  return rc ? cli_fail("daemon", rc) : 0;
}

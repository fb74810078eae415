/*
 * open.c — bs_open: the env (env.c), then what a repo of an older schema
 * needs that walks its pins (pins.c), which env.c sits beneath.
 */
#include "bs_int.h"

int bs_open(bs_env_t **envp, const char *path, unsigned flags) {
  bs_env_t *env;
  bool upgrade;
  int rc = bs__env_open(&env, path, flags, &upgrade);
  if (rc)
    return rc;
  if (upgrade && (rc = bs__links_upgrade(env))) {
    bs_close(env);
    return rc;
  }
  *envp = env;
  return 0;
}

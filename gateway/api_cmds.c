/*
 * api_cmds.c — the table of /api/v0 commands implemented in rpc_*.c.
 */
#include "api.h"

const gw_rpc_cmd_t gw_rpc_cmds[] = {
    {"", NULL},
};
const size_t gw_rpc_ncmds = 0;

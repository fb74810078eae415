/*
 * api_cmds.c — the table of /api/v0 commands implemented in rpc_*.c (the
 * router in api.c also answers version and shutdown itself).  Names and
 * parameters are Kubo's, so that kubo-rpc-client and the ipfs CLI's
 * --api work against trove unchanged.
 */
#include "rpc.h"

const gw_rpc_cmd_t gw_rpc_cmds[] = {
    {"add", gw_rpc_add},
    {"cat", gw_rpc_cat},
    {"get", gw_rpc_get},
    {"ls", gw_rpc_ls},
    {"refs", gw_rpc_refs},
    {"refs/local", gw_rpc_refs_local},
    {"block/get", gw_rpc_block_get},
    {"block/put", gw_rpc_block_put},
    {"block/stat", gw_rpc_block_stat},
    {"block/rm", gw_rpc_block_rm},
    {"pin/add", gw_rpc_pin_add},
    {"pin/rm", gw_rpc_pin_rm},
    {"pin/ls", gw_rpc_pin_ls},
    {"pin/verify", gw_rpc_pin_verify},
    {"dag/export", gw_rpc_dag_export},
    {"dag/import", gw_rpc_dag_import},
    {"id", gw_rpc_id},
    {"config", gw_rpc_config},
    {"config/show", gw_rpc_config_show},
    {"repo/gc", gw_rpc_repo_gc},
    {"repo/stat", gw_rpc_repo_stat},
    {"repo/verify", gw_rpc_repo_verify},
    {"repo/version", gw_rpc_repo_version},
};
const size_t gw_rpc_ncmds = TR_ARRAY_LEN(gw_rpc_cmds);

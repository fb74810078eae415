/*
 * api_cmds.c — the table of /api/v0 commands implemented in rpc_*.c (the
 * router in api.c also answers version and shutdown itself).  Names and
 * parameters are Kubo's, so that kubo-rpc-client and the ipfs CLI's
 * --api work against trove unchanged.
 */
#include "rpc_int.h"

const rpc_cmd_t rpc_cmds[] = {
    {"add", rpc_cmd_add},
    {"cat", rpc_cmd_cat},
    {"get", rpc_cmd_get},
    {"ls", rpc_cmd_ls},
    {"refs", rpc_cmd_refs},
    {"refs/local", rpc_cmd_refs_local},
    {"block/get", rpc_cmd_block_get},
    {"block/put", rpc_cmd_block_put},
    {"block/stat", rpc_cmd_block_stat},
    {"block/rm", rpc_cmd_block_rm},
    {"pin/add", rpc_cmd_pin_add},
    {"pin/rm", rpc_cmd_pin_rm},
    {"pin/ls", rpc_cmd_pin_ls},
    {"pin/verify", rpc_cmd_pin_verify},
    {"dag/export", rpc_cmd_dag_export},
    {"dag/import", rpc_cmd_dag_import},
    {"id", rpc_cmd_id},
    {"config", rpc_cmd_config},
    {"config/show", rpc_cmd_config_show},
    {"repo/gc", rpc_cmd_repo_gc},
    {"repo/stat", rpc_cmd_repo_stat},
    {"repo/verify", rpc_cmd_repo_verify},
    {"repo/version", rpc_cmd_repo_version},
    {"swarm/peers", rpc_cmd_swarm_peers},
    {"swarm/connect", rpc_cmd_swarm_connect},
    {"swarm/disconnect", rpc_cmd_swarm_disconnect},
    {"swarm/addrs", rpc_cmd_swarm_addrs},
    {"swarm/addrs/local", rpc_cmd_swarm_addrs_local},
    {"swarm/addrs/autonat", rpc_cmd_swarm_addrs_autonat},
    {"ping", rpc_cmd_ping},
    {"routing/findprovs", rpc_cmd_routing_findprovs},
    {"routing/findpeer", rpc_cmd_routing_findpeer},
    {"routing/provide", rpc_cmd_routing_provide},
    {"routing/get", rpc_cmd_routing_get},
    {"routing/put", rpc_cmd_routing_put},
    {"dht/query", rpc_cmd_dht_query},
    {"stats/dht", rpc_cmd_stats_dht},
    {"name/publish", rpc_cmd_name_publish},
    {"name/resolve", rpc_cmd_name_resolve},
    {"provide/stat", rpc_cmd_provide_stat},
    {"bitswap/stat", rpc_cmd_bitswap_stat},
    {"bitswap/wantlist", rpc_cmd_bitswap_wantlist},
    {"bitswap/ledger", rpc_cmd_bitswap_ledger},
    {"bitswap/reprovide", rpc_cmd_bitswap_reprovide},
    {"routing/reprovide", rpc_cmd_bitswap_reprovide},
    {"stats/bitswap", rpc_cmd_bitswap_stat},
    {"stats/bw", rpc_cmd_stats_bw},
};
const size_t rpc_ncmds = TR_ARRAY_LEN(rpc_cmds);

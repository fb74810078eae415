/*
 * api_cmddefs_ps.c — the option tables of `pubsub pub|sub|ls|peers|reset`
 * (Kubo's core/commands/pubsub.go), kept beside api_cmddefs.c, whose rows
 * name it.  Kubo's four take no options of their own (sub's --enc is
 * go-ipfs-cmds' global one, not trove's: the CLI writes the text form);
 * `pubsub reset`'s --peer is its one option.
 */
#include "cmddefs_int.h"

#define END {NULL, 0, 0, NULL, NULL, NULL, 0, 0}

const rpc_optdef_t rpc__pubsub_opts[] = {END};

const rpc_optdef_t rpc__pubsub_reset_opts[] = {
    {"peer", 'p', RPC_OPT_STRING, NULL, "Only reset state for this peer ID",
     "peer", 0, 0},
    END};

/*
 * api_cmddefs_ps.c — the option table of `pubsub pub|sub|ls|peers`
 * (Kubo's core/commands/pubsub.go), kept beside api_cmddefs.c, whose rows
 * name it.  Kubo's four take no options of their own (sub's --enc is
 * go-ipfs-cmds' global one, not trove's: the CLI writes the text form);
 * `pubsub reset` and its --peer are not here (trove keeps no seqno
 * validator state).
 */
#include "opts.h"

#define END {NULL, 0, 0, NULL, NULL, NULL, 0, 0}

const rpc_optdef_t rpc__pubsub_opts[] = {END};

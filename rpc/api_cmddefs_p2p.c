/*
 * api_cmddefs_p2p.c — the option tables of `p2p listen|forward|ls|close`
 * and `p2p stream ls|close` (Kubo's core/commands/p2p.go, v0.43.1; the
 * handlers in rpc_p2p.c), kept beside api_cmddefs.c, whose rows name
 * them.
 */
#include "opts.h"

#define OB(n, c, h) {n, c, RPC_OPT_BOOL, "false", h, n, 0, 0}
#define OS(n, c, h) {n, c, RPC_OPT_STRING, NULL, h, n, 0, 0}
#define END {NULL, 0, 0, NULL, NULL, NULL, 0, 0}
#define CUSTOM OB("allow-custom-protocol", 0, "Don't require /x/ prefix")

const rpc_optdef_t rpc__p2p_listen_opts[] = {
    CUSTOM,
    OB("report-peer-id", 'r', "Send remote base58 peerid to target when a "
       "new connection is established"),
    OB("foreground", 'f', "Run in foreground; listener is removed when "
       "command exits"),
    END};

const rpc_optdef_t rpc__p2p_forward_opts[] = {
    CUSTOM,
    OB("foreground", 'f', "Run in foreground; forwarder is removed when "
       "command exits"),
    END};

const rpc_optdef_t rpc__p2p_ls_opts[] = {
    OB("headers", 'v', "Print table headers (Protocol, Listen, Target)."),
    END};

const rpc_optdef_t rpc__p2p_close_opts[] = {
    OB("all", 'a', "Close all listeners."),
    OS("protocol", 'p', "Match protocol name"),
    OS("listen-address", 'l', "Match listen address"),
    OS("target-address", 't', "Match target address"),
    END};

const rpc_optdef_t rpc__p2p_stream_ls_opts[] = {
    OB("headers", 'v', "Print table headers (ID, Protocol, Local, Remote)."),
    END};

const rpc_optdef_t rpc__p2p_stream_close_opts[] = {
    OB("all", 'a', "Close all streams."),
    END};

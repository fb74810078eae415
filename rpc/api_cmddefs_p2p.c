/*
 * api_cmddefs_p2p.c — the option tables of `p2p listen|forward|ls|close`
 * and `p2p stream ls|close` (Kubo's core/commands/p2p.go, v0.43.1; the
 * handlers in rpc_p2p.c), kept beside api_cmddefs.c, whose rows name
 * them.
 */
#include "cmddefs_int.h"

#define CUSTOM                                                             \
  OB("allow-custom-protocol", 0, "false", "Don't require /x/ prefix")

const rpc_optdef_t rpc__p2p_listen_opts[] = {
    CUSTOM,
    OB("report-peer-id", 'r', "false", "Send remote base58 peerid to "
       "target when a new connection is established"),
    OB("foreground", 'f', "false", "Run in foreground; listener is "
       "removed when command exits"),
    END};

const rpc_optdef_t rpc__p2p_forward_opts[] = {
    CUSTOM,
    OB("foreground", 'f', "false", "Run in foreground; forwarder is "
       "removed when command exits"),
    END};

const rpc_optdef_t rpc__p2p_ls_opts[] = {
    OB("headers", 'v', "false",
       "Print table headers (Protocol, Listen, Target)."),
    END};

const rpc_optdef_t rpc__p2p_close_opts[] = {
    OB("all", 'a', "false", "Close all listeners."),
    OS("protocol", 'p', NULL, "Match protocol name"),
    OS("listen-address", 'l', NULL, "Match listen address"),
    OS("target-address", 't', NULL, "Match target address"),
    END};

const rpc_optdef_t rpc__p2p_stream_ls_opts[] = {
    OB("headers", 'v', "false",
       "Print table headers (ID, Protocol, Local, Remote)."),
    END};

const rpc_optdef_t rpc__p2p_stream_close_opts[] = {
    OB("all", 'a', "false", "Close all streams."),
    END};

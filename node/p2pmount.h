/*
 * p2pmount.h — Kubo's libp2p stream mounting (`ipfs p2p`, its p2p/
 * package; Experimental.Libp2pStreamMounting) in the daemon: listeners
 * and the streams bridged between libp2p and local TCP, on the daemon's
 * loop and its libp2p host (net/host.h).
 *
 *   listen  PROTO TARGET   a protocol handler on the host: each stream a
 *                          peer opens for PROTO is bridged to a new TCP
 *                          connection to TARGET (/ip4|ip6/A/tcp/P), with
 *                          --report-peer-id the peer's ID and "\n" first
 *                          (Kubo's remote.go).
 *   forward PROTO LISTEN /p2p/ID   a TCP listener at LISTEN: each
 *                          connection accepted opens a stream to ID for
 *                          PROTO (dialling ID first: its addresses given,
 *                          then the peerstore's, then the host's router)
 *                          and is bridged to it (Kubo's local.go).
 *
 * A bridge carries bytes both ways, and an end either way: a TCP EOF is
 * the stream's FIN and a FIN the TCP's shutdown (Kubo closes both
 * directions at the first end: a client that half-closes still gets its
 * answer here), a reset or a TCP error resets the other side.  Neither
 * side buffers more than a window: TCP reads stop while the stream holds
 * bytes the peer's window has no room for (they start again from the
 * stream's on_drain), and the stream stops crediting the peer
 * (net_stream_pause) while more than P2PM_HIGH_WATER waits to be written
 * to the TCP socket.
 *
 * Limits: P2PM_LISTENERS_MAX listeners, streams_max bridges at once
 * (connecting ones included; a stream or a connection past it is reset
 * or closed at once), P2PM_PROTOS_MAX protocol names over the node's
 * life (the host keeps pointers to them: see p2pm_free).
 *
 * What it does not do: decide whether the feature is enabled (the API
 * reads the config each request, as Kubo) or parse the commands
 * (rpc/rpc_p2p.c, which holds --foreground's requests: the table tells it
 * when their listener closes, rpc_p2p_t.watch).
 *
 * Threading: everything on the loop thread.
 */
#ifndef NODE_P2PMOUNT_H
#define NODE_P2PMOUNT_H

#include <stdint.h>
#include <uv.h>

#include "../common/tr.h"
#include "../net/host.h"
#include "../rpc/rpc_p2p.h"

#define P2PM_LISTENERS_MAX 64
#define P2PM_STREAMS_MAX 256
#define P2PM_PROTOS_MAX 1024
#define P2PM_HIGH_WATER (256 * 1024)
#define P2PM_READ_BUF (64 * 1024)

typedef struct p2pm p2pm_t;

/* A mount table on host (which must outlive it; see p2pm_free).
 * streams_max 0: P2PM_STREAMS_MAX.  0 or -ENOMEM. */
int p2pm_new(uv_loop_t *loop, net_host_t *host, uint32_t streams_max,
             p2pm_t **out) TR_WUR;

/* The table the API calls (rpc_ctx_t.p2p), valid until p2pm_free. */
const rpc_p2p_t *p2pm_rpc(p2pm_t *p);

/* Close every listener and bridge (the streams reset, the sockets
 * closed); before the host closes.  Their handles finish closing on the
 * loop; a dial or stream open under way ends with the host's close. */
void p2pm_stop(p2pm_t *p);

/* Free p once the loop has run dry after p2pm_stop and the host's close:
 * the host holds pointers to the protocol names until then. */
void p2pm_free(p2pm_t *p);

#endif /* NODE_P2PMOUNT_H */

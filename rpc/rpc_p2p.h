/*
 * rpc_p2p.h — what `ipfs p2p` (Kubo's libp2p stream mounting,
 * Experimental.Libp2pStreamMounting) needs of the node, as function
 * pointers: the listeners and bridged streams live in the daemon
 * (node/p2pmount.h, on its loop), and rpc/ sits below node/, so the
 * daemon hands the API this table in rpc_ctx_t.p2p (NULL offline).
 *
 * Everything runs on the loop thread.  Errors are answered in err (Kubo's
 * text), with a negative code: the handler sends err as it is.
 */
#ifndef RPC_RPC_P2P_H
#define RPC_RPC_P2P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net_peerid;

/* A listener as `p2p ls` shows it (views valid during the call). */
typedef struct rpc_p2p_listener {
  const char *proto, *listen, *target;
} rpc_p2p_listener_t;

/* A bridged stream as `p2p stream ls` shows it. */
typedef struct rpc_p2p_stream {
  uint64_t id;
  const char *proto, *origin, *target;
} rpc_p2p_stream_t;

typedef struct rpc_p2p {
  void *ud;
  /* `p2p listen`: streams for proto go to a new TCP connection to target
   * (a multiaddr, checked), with report the peer's ID and "\n" first;
   * *lh (lh may be NULL) the listener, for watch. */
  int (*listen)(void *ud, const char *proto, const char *target,
                bool report, void **lh, char *err, size_t errlen);
  /* `p2p forward`: connections accepted at listen (a TCP multiaddr) open
   * a stream for proto to peer, dialled at addrs[0..n) (may be none). */
  int (*forward)(void *ud, const char *proto, const char *listen,
                 const struct net_peerid *peer, const char *const *addrs,
                 size_t n, void **lh, char *err, size_t errlen);
  /* Every listener, the forwards first (Kubo's order), each in the order
   * made. */
  void (*listeners)(void *ud,
                    void (*fn)(void *ctx, const rpc_p2p_listener_t *l),
                    void *ctx);
  /* Close the listeners match says yes to (their streams stay); returns
   * how many. */
  size_t (*close)(void *ud,
                  bool (*match)(void *ctx, const rpc_p2p_listener_t *l),
                  void *ctx);
  /* Every bridged stream, by ID. */
  void (*streams)(void *ud, void (*fn)(void *ctx, const rpc_p2p_stream_t *s),
                  void *ctx);
  /* Reset stream id (all: every one); returns how many. */
  size_t (*stream_close)(void *ud, bool all, uint64_t id);
  /* Kubo's --foreground: the listener *lh of a listen or forward (its
   * out parameter, may be NULL) tells closed(ctx) once when it is closed
   * (`p2p close`, the daemon's stop), after which lh is gone; or
   * close_quiet closes it without telling (the request went away). */
  void (*watch)(void *ud, void *lh, void (*closed)(void *ctx), void *ctx);
  void (*close_quiet)(void *ud, void *lh);
} rpc_p2p_t;

#endif /* RPC_RPC_P2P_H */

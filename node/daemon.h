/*
 * daemon.h — `trove daemon`: one libuv loop that owns every socket, a small
 * worker pool (libuv's, sized by UV_THREADPOOL_SIZE, default 4 here) for
 * block reads and hashing, the gateway and API listeners, and a clean stop
 * on SIGINT/SIGTERM (listeners close, in-flight responses are cut, the repo
 * is closed; LMDB needs nothing more to stay consistent).
 *
 * While it runs the daemon holds <repo>/daemon.lock (flock) and writes
 * <repo>/api with the API's multiaddr, as Kubo does, so that the CLI can find
 * it; both go away when it stops.
 */
#ifndef NODE_DAEMON_H
#define NODE_DAEMON_H

#include "../common/tr.h"

typedef struct node_daemon_opts {
  const char *repo;
  const char *gateway_addr; /* override Addresses.Gateway (multiaddr) */
  const char *api_addr;     /* override Addresses.API */
} node_daemon_opts_t;

/* Run until stopped.  Returns 0 after a clean stop, or a negative code if
 * start-up failed (the reason is logged). */
int node_daemon_run(const node_daemon_opts_t *opts);

/* Parse a TCP multiaddr "/ip4/127.0.0.1/tcp/8080" or "/ip6/::1/tcp/5001"
 * into host (numeric) and port.  TR_EUSAGE if it is not one. */
int node_maddr_tcp(const char *maddr, char *host, size_t hostsz,
                   int *port) TR_WUR;

/* The API multiaddr of a daemon running on repo (read from <repo>/api and
 * checked by connecting); 1 if one answers, 0 if none. */
int node_daemon_api(const char *repo, char *host, size_t hostsz, int *port);

#endif /* NODE_DAEMON_H */

/*
 * daemon.h — `trove daemon`: one libuv loop that owns every socket, a small
 * worker pool (libuv's, sized by UV_THREADPOOL_SIZE, default 4 here) for
 * block reads and hashing, the gateway and API listeners, and a clean stop
 * on SIGINT/SIGTERM (listeners close, in-flight responses are cut, the repo
 * is closed; LMDB needs nothing more to stay consistent).
 *
 * While it runs the daemon holds <repo>/daemon.lock (flock) and writes
 * <repo>/api with the API's multiaddr, as Kubo does, so that the CLI can find
 * it; the api file goes away when it stops, and the lock with the process
 * (the empty daemon.lock file stays: removing it while another process
 * may be opening it would let two daemons lock two different files).
 *
 * A private network, as Kubo: <repo>/swarm.key (net/pnet.h) limits the
 * swarm to peers with the same key, and the daemon says so ("Swarm is
 * limited to private network of peers with the swarm key", "Swarm key
 * fingerprint: <hex>").  LIBP2P_FORCE_PNET=1 in the environment refuses to
 * start without one.
 */
#ifndef NODE_DAEMON_H
#define NODE_DAEMON_H

#include "../common/tr.h"

typedef struct node_daemon_opts {
  const char *repo;
  const char *gateway_addr; /* override Addresses.Gateway (multiaddr) */
  const char *api_addr;     /* override Addresses.API */
  /* Kubo's --enable-gc: every Datastore.GCPeriod (default 1h; "0": never)
   * a GC runs when the blocks take more than Datastore.StorageGCWatermark
   * percent (default 90) of Datastore.StorageMax (default 10GB). */
  bool enable_gc;
  /* Kubo's --enable-pubsub-experiment: 1 pubsub runs, 0 (=false) it does
   * not, whatever Pubsub.Enabled says; -1 (not given): Pubsub.Enabled
   * decides. */
  int enable_pubsub;
  char *err;                /* NULL, or where start-up failures are said */
  size_t errsz;
} node_daemon_opts_t;

/* Run until stopped.  Returns 0 after a clean stop, or a negative code if
 * start-up failed, the reason written to opts->err as one line
 * ("gateway: cannot listen on /ip4/127.0.0.1/tcp/8080: address already in
 * use"), or logged when err is NULL.  Errors: TR_ENOREPO (no repo at
 * opts->repo: nothing is created there), TR_EEXIST (another daemon holds
 * the repo), TR_EUSAGE (an address that is not a TCP multiaddr),
 * TR_ESWARMKEY (a swarm.key that does not parse), TR_ECONFIG (no swarm.key
 * while LIBP2P_FORCE_PNET=1), -errno from libuv or the file system. */
int node_daemon_run(const node_daemon_opts_t *opts);

/* Parse a TCP multiaddr "/ip4/127.0.0.1/tcp/8080" or "/ip6/::1/tcp/5001"
 * into host (numeric) and port.  TR_EUSAGE if it is not one. */
int node_maddr_tcp(const char *maddr, char *host, size_t hostsz,
                   int *port) TR_WUR;

/* The path of the Unix socket on which a daemon serves its API beside
 * the TCP one, <repo>/api.sock, into buf[cap]: false when it does not fit
 * a socket address (sun_path), and then there is none.  trove's CLI
 * talks to its daemon there (an upload costs the sender a third of what
 * it does over TCP loopback); the socket's mode (0600, in the repo's
 * 0700 directory) keeps other users' processes and web pages off it, and
 * Kubo's clients keep using the TCP address in <repo>/api. */
bool node_daemon_sock(const char *repo, char *buf, size_t cap);

/* Take <repo>/daemon.lock (flock) as a daemon does for its life: the fd
 * to hold (closing it lets go); TR_EEXIST while a daemon holds it, -errno.
 * Commands that must not run beside a daemon (key rotate) hold it too, so
 * that none starts meanwhile. */
int node_daemon_lock(const char *repo) TR_WUR;

/* The API multiaddr of a daemon running on repo (read from <repo>/api and
 * checked by connecting); 1 if one answers, 0 if none. */
int node_daemon_api(const char *repo, char *host, size_t hostsz, int *port);

#endif /* NODE_DAEMON_H */

/*
 * obsaddr.h — the addresses peers observe us at (identify's observedAddr),
 * kept as go-libp2p's observed-address manager keeps them
 * (p2p/host/observedaddrs): one observation per connection, replaced when
 * the connection reports again and dropped when it closes; an observed
 * address counts once NET_OBS_ACTIVATION distinct observers report it,
 * an observer being the remote IPv4 address or IPv6 /56 of the connection,
 * so that many connections from one machine count once.
 *
 * Observations are kept per "thin waist" (/ip4|ip6/A/tcp|udp/P): the
 * connection's local address and the address it was observed at.  Only
 * the observed addresses of connections whose local address is one of our
 * listen addresses are activated: a TCP connection we dialled has an
 * ephemeral local port (trove does not dial from its listen port), and
 * what a peer saw of that port says nothing about where we can be reached.
 * Observations of loopback addresses, and ones whose transport differs
 * from the connection's (ip4/tcp seen as ip6/tcp), are not kept.
 *
 * Pure memory, no I/O: the host keeps one (net_host_observed_addrs() in
 * host.h reads it), identify.c records into it, host.c forgets a
 * connection when it closes.  Bounded: NET_OBS_MAX observations (one per
 * connection, the host's connection cap); when full the oldest goes.
 */
#ifndef NET_OBSADDR_H
#define NET_OBSADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

/* Distinct observers that activate an observed address (go's
 * ActivationThresh). */
#define NET_OBS_ACTIVATION 4
/* Activated observed addresses per listen address, most observed first
 * (go's maxExternalThinWaistAddrsPerLocalAddr). */
#define NET_OBS_PER_LISTEN 3
/* Observations kept: one per connection (NET_HOST_CONNS_MAX). */
#define NET_OBS_MAX 512
/* Largest thin waist: /ip6/A (17 bytes) and /udp/P (4). */
#define NET_OBS_TW_MAX 24

typedef struct net_obs_entry {
  uintptr_t conn; /* the connection's identity; 0: free slot */
  uint64_t age;   /* a counter: larger is more recent */
  uint8_t local[NET_OBS_TW_MAX], observed[NET_OBS_TW_MAX];
  uint8_t llen, olen;
  uint8_t observer[16]; /* IPv4 address, or IPv6 /56 prefix (zero-padded) */
} net_obs_entry_t;

typedef struct net_obs {
  net_obs_entry_t *v; /* NET_OBS_MAX slots, allocated at the first record */
  size_t n;           /* slots in use */
  uint64_t clock;
} net_obs_t;

void net_obs_init(net_obs_t *o);
void net_obs_free(net_obs_t *o);

/* Record that the connection conn (non-zero), local address local and
 * remote address remote (binary multiaddrs), was observed at observed.
 * Replaces the connection's earlier observation.  Returns 1 when kept, 0
 * when not worth keeping (loopback, no thin waist, transports that
 * differ, remote without an IP), -ENOMEM. */
int net_obs_record(net_obs_t *o, uintptr_t conn, const uint8_t *local,
                   size_t llen, const uint8_t *remote, size_t rlen,
                   const uint8_t *observed, size_t olen) TR_WUR;

/* Forget the observation of conn (a no-op when there is none). */
void net_obs_forget(net_obs_t *o, uintptr_t conn);

/* The activated observed addresses of the listen address listen (binary;
 * only its thin waist matters): for each, fn gets the address (binary,
 * observed thin waist followed by the rest of listen after its thin
 * waist) and how many distinct observers reported it; at most
 * NET_OBS_PER_LISTEN, most observed first.  min is the activation
 * threshold (0: NET_OBS_ACTIVATION).  Returns how many fn got. */
typedef void (*net_obs_fn)(const uint8_t *ma, size_t len, unsigned observers,
                           void *ud);
size_t net_obs_addrs_for(const net_obs_t *o, const uint8_t *listen,
                         size_t llen, unsigned min, net_obs_fn fn, void *ud);

#endif /* NET_OBSADDR_H */

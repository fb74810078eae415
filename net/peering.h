/*
 * peering.h — Kubo's Peering.Peers (boxo/peering): peers the host keeps
 * connected, for mirrors and cluster members that must reach each other
 * whatever the connection manager or the network does.
 *
 * Each peer is protected from the connection manager (tag "ipfs-peering")
 * and, whenever it is not connected, dialled after a back-off, as boxo's
 * peerHandler does it: the delay starts at initial_ms (Kubo: 5 s, so
 * that two peers of each other do not dial at the same moment), grows by
 * 1.5-2.5x after each failed dial up to 120 x initial_ms (Kubo: 10 min,
 * then 90-100% of it), and goes back to initial_ms once connected.  The
 * first dial after a start or a loss comes one such delay later
 * (7.5-12.5 s with Kubo's numbers).  Where boxo reacts to the network's
 * disconnect events, this polls the host every initial_ms / 5 (at most
 * 1 s), which the delays dwarf.
 *
 * A peer's addresses are dialled with net_host_dial (raced, /dns
 * names resolved); a peer given none is dialled where the peerstore says
 * it is.  The schedule itself is net_peering_next_delay, free of I/O.
 *
 * Layering: net/ only, above host.c and dial.c; the daemon makes it from
 * the config and the RPC API's swarm/peering calls change it.
 */
#ifndef NET_PEERING_H
#define NET_PEERING_H

#include <stdint.h>

#include "host.h"

#define NET_PEERING_INITIAL_MS 5000u /* boxo's initialDelay */
#define NET_PEERING_MAX_FACTOR 120u  /* maxBackoff = 10 min */
#define NET_PEERING_JITTER_PCT 10u   /* maxBackoffJitter */
#define NET_PEERING_TAG "ipfs-peering"
#define NET_PEERING_MAX 1024 /* peers */

typedef struct net_peering net_peering_t;

/* The delay after cur (ms) when a dial is due: cur grown by 1.5-2.5x
 * (r1 in [0, cur) picks where) while under max; past max, max less
 * r2 % (max * NET_PEERING_JITTER_PCT / 100). */
uint64_t net_peering_next_delay(uint64_t cur, uint64_t max, uint64_t r1,
                                uint64_t r2);

/* A service on h (which must outlive it until net_peering_free); initial_ms
 * 0 is NET_PEERING_INITIAL_MS.  0, -ENOMEM or libuv's error. */
int net_peering_new(uv_loop_t *loop, net_host_t *h, uint64_t initial_ms,
                    net_peering_t **out) TR_WUR;

/* Keep id connected at addrs[0..n) (multiaddrs, with or without its
 * /p2p; n 0: the peerstore's).  A peer added again gets the new addresses.
 * 0, TR_EUSAGE (id is the host's own, or n over NET_DIAL_ADDRS), TR_ELIMIT
 * (NET_PEERING_MAX peers), -ENOMEM. */
int net_peering_add(net_peering_t *p, const net_peerid_t *id,
                    const char *const *addrs, size_t n) TR_WUR;

/* Stop keeping id: unprotected, no further dial.  0 or TR_ENOTFOUND. */
int net_peering_remove(net_peering_t *p, const net_peerid_t *id) TR_WUR;

/* Each peer in the order added, with its addresses as given. */
typedef void (*net_peering_fn)(const net_peerid_t *id,
                               const char *const *addrs, size_t n, void *ud);
size_t net_peering_list(net_peering_t *p, net_peering_fn fn, void *ud);

/* Stop, before the host closes: the dials under way are cancelled and p
 * frees itself once they have called back (net_host_close calls them
 * back).  The peers stay protected until the host closes.  NULL: no-op. */
void net_peering_free(net_peering_t *p);

#endif /* NET_PEERING_H */

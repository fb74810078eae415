/*
 * mdns.h — libp2p's mDNS discovery on the local link, as Kubo runs it
 * with Discovery.MDNS.Enabled (go-libp2p's p2p/discovery/mdns): the node
 * asks 224.0.0.251:5353 for "_p2p._udp.local" now and then (1 s after
 * start, then at doubling intervals up to a minute), answers others'
 * questions with the addresses it announces that suit a link (an IP or a
 * .local name first, no /ws, /wss or relay), and dials the peers the
 * answers name (each at most once in NODE_MDNS_REDIAL_MS).  The link is
 * not trusted: one answer a second at most, eight dials in ten seconds.
 *
 * IPv4 only; the group is joined on every up, multicast-capable
 * interface, and the node's own answers and questions go out on the
 * first of them (IP_MULTICAST_IF).  The DNS codec is dns/dns.h's.
 * Layering: node/ (it drives net/host.h).
 */
#ifndef NODE_MDNS_H
#define NODE_MDNS_H

#include <uv.h>

#include "../net/host.h"

#define NODE_MDNS_FIRST_MS 1000u
#define NODE_MDNS_MAX_MS 60000u
#define NODE_MDNS_REDIAL_MS 30000u

typedef struct node_mdns node_mdns_t;

/* Start on loop for host.  0, -ENOMEM, or libuv's error (the port
 * cannot be bound: the caller logs it and goes on without). */
int node_mdns_start(uv_loop_t *loop, net_host_t *host,
                    node_mdns_t **out) TR_WUR;
/* Stop before the host closes; frees itself once its handles are
 * closed.  NULL is a no-op. */
void node_mdns_stop(node_mdns_t *m);

#endif /* NODE_MDNS_H */

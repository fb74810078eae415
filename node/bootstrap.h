/*
 * bootstrap.h — the Bootstrap peers, dialled as Kubo's core/bootstrap does:
 * a round at start and one every period while the host holds fewer than
 * NODE_BOOT_MIN_CONNS connections; each round dials as many Bootstrap
 * peers as are missing to that number, picked at random among those we
 * are not connected to and not already dialling.  A node that started
 * offline, or whose peers all went away, joins again without a restart.
 *
 * A /dnsaddr/<host>[/p2p/<id>] entry (Kubo's default list is mostly those)
 * is resolved first (dns_dnsaddr_resolve: the TXT records of
 * _dnsaddr.<host>, the entry's peer's, nested names followed); its
 * addresses are then tried one after another until one connects (the
 * host dials the TCP ones).
 *
 * Layering: node/ only; it drives net/host.h and dns/dns.h and is driven
 * by the daemon (p2p.c starts it, daemon.c stops it).
 */
#ifndef NODE_BOOTSTRAP_H
#define NODE_BOOTSTRAP_H

#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "../dns/dns.h"
#include "../net/host.h"

#define NODE_BOOT_PERIOD_MS 30000u /* Kubo's Bootstrap period */
#define NODE_BOOT_MIN_CONNS 4u     /* Kubo's MinPeerThreshold */
#define NODE_BOOT_ADDRS DNS_DNSADDR_MAX /* addresses an entry is tried at */

typedef struct node_boot node_boot_t;

/* Start the rounds for the Bootstrap list boot (a JSON array of strings;
 * an entry that is not one is logged and skipped), /dnsaddr entries
 * resolved through dns (which must outlive b).  period_ms 0 is NODE_BOOT_PERIOD_MS.  0, -ENOMEM or libuv's
 * error. */
int node_boot_start(uv_loop_t *loop, net_host_t *h, dns_dnsaddr_t *dns,
                    json_t *boot, uint64_t period_ms, node_boot_t **out) TR_WUR;

/* Stop, before the host closes: no dial or lookup starts after this, the
 * lookups under way are cancelled, and b frees itself once the dials
 * under way have called back (net_host_close calls them back).  NULL is a
 * no-op. */
void node_boot_stop(node_boot_t *b);

#endif /* NODE_BOOTSTRAP_H */

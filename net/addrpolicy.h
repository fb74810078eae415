/*
 * addrpolicy.h — which of our addresses the host announces, and which
 * addresses it will not talk to, from Kubo's config keys:
 *
 *   Addresses.Announce        when not empty, announced instead of the
 *                             listen addresses
 *   Addresses.AppendAnnounce  announced besides them
 *   Addresses.NoAnnounce      never announced: an address exactly, or a
 *                             range "/ip4/10.0.0.0/ipcidr/8" (the server
 *                             profile's list)
 *   Swarm.AddrFilters         ranges the host neither dials nor accepts
 *                             connections from (go-libp2p's connection
 *                             gater on Kubo's filters: the server
 *                             profile keeps a node in a data centre from
 *                             dialling private ranges, which hosting
 *                             providers take for a port scan)
 *
 * As Kubo's makeAddrsFactory (core/node/libp2p/addrs.go): Announce
 * replaces, AppendAnnounce entries already in Announce are not repeated,
 * NoAnnounce filters both; a range matches an address whose first
 * component is an IP inside it (a /dns address matches no range).
 * Sans-I/O; the host applies it (host.h: net_host_announce_addrs, dials,
 * accepts).
 */
#ifndef NET_ADDRPOLICY_H
#define NET_ADDRPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "multiaddr.h"

/* An IP range: family 4 or 6, the address, the prefix length. */
typedef struct net_ap_range {
  uint8_t fam;
  uint8_t ip[16];
  uint8_t bits;
} net_ap_range_t;

typedef struct net_ap {
  uint8_t **announce, **append, **noann; /* binary multiaddrs */
  size_t *announce_len, *append_len, *noann_len;
  size_t nannounce, nappend, nnoann;
  net_ap_range_t *noann_ranges, *filters;
  size_t nnoann_ranges, nfilters;
} net_ap_t;

/* The lists, as strings (each may be NULL with its count 0).  0, -ENOMEM,
 * or TR_EUSAGE naming the bad entry and its key in err (an address that
 * does not parse; a filter that is not /ip4|ip6/A/ipcidr/N). *p is zeroed
 * first and left empty on error. */
int net_ap_init(net_ap_t *p, const char *const *announce, size_t na,
                const char *const *append, size_t nap,
                const char *const *noannounce, size_t nno,
                const char *const *filters, size_t nf, char *err,
                size_t errlen) TR_WUR;
void net_ap_free(net_ap_t *p);

/* Add the filter s ("/ip4/A/ipcidr/N"; a copy of one there already is
 * not added again) or remove it (every one equal to it: the same family,
 * prefix and network), as `swarm filters add|rm` change the running
 * node's.  0, TR_EUSAGE (not such a range), -ENOMEM. */
int net_ap_filter_add(net_ap_t *p, const char *s) TR_WUR;
int net_ap_filter_rm(net_ap_t *p, const char *s) TR_WUR;
/* The filters as go-multiaddr writes them (the network, masked: "/ip4/
 * 10.0.0.0/ipcidr/8"), into out[0..max) of NET_MA_STR_MAX / 16 bytes
 * each; returns how many there are. */
size_t net_ap_filters(const net_ap_t *p, char (*out)[NET_MA_STR_MAX / 16],
                      size_t max);

/* Whether Swarm.AddrFilters block the binary multiaddr ma[0..len). */
bool net_ap_blocked(const net_ap_t *p, const uint8_t *ma, size_t len);

/* What to announce, from the listen addresses in[0..n) (strings): written
 * to out (up to max; each of NET_MA_STR_MAX / 16 bytes), duplicates
 * dropped; returns how many it wrote, or more than max when out was too
 * small (a count that may then hold duplicates). */
size_t net_ap_announce(const net_ap_t *p, char (*in)[NET_MA_STR_MAX / 16],
                       size_t n, char (*out)[NET_MA_STR_MAX / 16],
                       size_t max);

#endif /* NET_ADDRPOLICY_H */

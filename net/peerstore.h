/*
 * peerstore.h — what the node knows about other peers: the addresses,
 * protocols, agent and protocol version they announced with identify (and
 * addresses we dialled them at).  A bounded table (NET_PS_PEERS_MAX peers,
 * NET_PS_ADDRS_MAX addresses and NET_PS_PROTOS_BYTES of protocol names
 * each): when full, the entry seen longest ago makes room.
 *
 * Pure memory, no I/O; one per host (net_host_peerstore()).
 */
#ifndef NET_PEERSTORE_H
#define NET_PEERSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "peerid.h"

#define NET_PS_PEERS_MAX 1024
#define NET_PS_ADDRS_MAX 16
#define NET_PS_ADDR_MAX 64
#define NET_PS_PROTOS_BYTES 4096

typedef struct net_peerinfo {
  net_peerid_t id;
  uint64_t seen; /* a counter: larger is more recent */
  char agent[128];
  char protover[32];
  uint8_t naddrs;
  uint8_t addrlen[NET_PS_ADDRS_MAX];
  uint8_t addrs[NET_PS_ADDRS_MAX][NET_PS_ADDR_MAX];
  char *protos; /* NUL-separated names, tr_malloc'ed; NULL when none */
  size_t protolen;
  uint8_t *pubkey; /* marshalled PublicKey the peer proved, tr_malloc'ed */
  uint16_t pklen;
  bool identified; /* it answered our identify at least once */
  uint64_t latency_ns; /* EWMA of our pings' round trips; 0: none yet */
} net_peerinfo_t;

typedef struct net_peerstore {
  net_peerinfo_t *v;
  size_t n, cap, max;
  uint64_t clock;
} net_peerstore_t;

void net_ps_init(net_peerstore_t *ps, size_t max);
void net_ps_free(net_peerstore_t *ps);

/* The entry for id, or NULL.  The pointer lasts until the next net_ps_put. */
net_peerinfo_t *net_ps_get(net_peerstore_t *ps, const net_peerid_t *id);
/* The entry for id, made (or an old one recycled) if absent; NULL on
 * -ENOMEM. */
net_peerinfo_t *net_ps_put(net_peerstore_t *ps, const net_peerid_t *id);

/* Add a binary multiaddr (duplicates and the over-long skipped; past
 * NET_PS_ADDRS_MAX the oldest goes). */
void net_ps_add_addr(net_peerinfo_t *pi, const uint8_t *ma, size_t len);
/* Replace the protocol list with names[0..n).  0 or -ENOMEM; names past
 * NET_PS_PROTOS_BYTES are dropped. */
int net_ps_set_protos(net_peerinfo_t *pi, const char *const *names,
                      size_t n) TR_WUR;
/* Fold a ping's round trip into pi->latency_ns as go-libp2p's peerstore
 * does (RecordLatency): the first taken as it is, then an EWMA that gives
 * the new one a weight of NET_PS_LATENCY_SMOOTHING. */
#define NET_PS_LATENCY_SMOOTHING 0.1
void net_ps_record_latency(net_peerinfo_t *pi, uint64_t rtt_ns);
/* Whether the peer's identify listed proto. */
bool net_ps_speaks(const net_peerinfo_t *pi, const char *proto);
/* Keep the marshalled PublicKey b[0..n) (at most NET_PUBKEY_PB_MAX bytes;
 * the caller has checked that it is the key pi->id names).  0, TR_EKEY
 * (too long), -ENOMEM. */
int net_ps_set_pubkey(net_peerinfo_t *pi, const uint8_t *b, size_t n) TR_WUR;

#endif /* NET_PEERSTORE_H */

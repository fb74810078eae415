/*
 * connmgr.h — the host's connection policy, sans-I/O: which connections to
 * close when there are too many (the connection manager), which peers must
 * be kept (protection tags), and which dials to refuse because the same
 * dial failed a moment ago (dial backoff).  No socket and no clock here:
 * the host (host.c) passes the time in and does what the answers say, so
 * that the policy is tested with a made-up clock (tests/test_connmgr.c).
 *
 * The connection manager follows go-libp2p's BasicConnMgr (p2p/net/connmgr),
 * which Kubo configures with Swarm.ConnMgr.{Type,LowWater,HighWater,
 * GracePeriod}:
 *
 *   - nothing happens while the open connections are at most HighWater;
 *   - above it, at most once per silence period (go-libp2p's 10 s, or the
 *     grace period when that is shorter, so that a short grace is honoured
 *     promptly), the candidates are the connections that are neither
 *     protected nor younger than the grace period; when there are fewer
 *     than LowWater of them nothing is closed (go-libp2p: trimming then
 *     would kill connections still proving their use), else all but
 *     LowWater of them are closed;
 *   - the first to go are those without streams, then inbound before
 *     outbound, then those with fewer streams, then the least recently
 *     used (stream opened or data received), then the oldest.
 *
 * go-libp2p counts a peer's connections together; trove ranks each
 * connection, and protection and the grace period are per peer and per
 * connection respectively.
 *
 * Dial backoff follows go-libp2p's swarm (DialBackoff): a failed dial puts
 * (peer, address) in backoff for 5 s, and each further failure for
 * 5 s + 1 s * tries^2, at most 5 min; a successful connection to the peer
 * clears all its entries.  A dial in backoff fails at once (TR_EBACKOFF).
 * An entry is forgotten once it has been expired for as long again.  The
 * table holds NET_BACKOFF_MAX entries; when full, the one closest to
 * being forgotten makes room.
 */
#ifndef NET_CONNMGR_H
#define NET_CONNMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "peerid.h"

/* Kubo's defaults (config/swarm.go: DefaultConnMgr*). */
#define NET_CM_LOW_WATER 32
#define NET_CM_HIGH_WATER 96
#define NET_CM_GRACE_MS 20000
/* go-libp2p's silencePeriod: the least time between two trims. */
#define NET_CM_SILENCE_MS 10000
/* Protection tags: (peer, tag) pairs held at once, and a tag's length. */
#define NET_CM_PROTECT_MAX 4096
#define NET_CM_TAG_MAX 32

#define NET_BACKOFF_BASE_MS 5000
#define NET_BACKOFF_COEF_MS 1000
#define NET_BACKOFF_MAX_MS (5 * 60 * 1000)
#define NET_BACKOFF_MAX 256
/* Largest binary address a backoff entry keeps (net_conn's NET_CONN_MA_MAX). */
#define NET_BACKOFF_MA_MAX 32

typedef struct net_cm_cfg {
  bool enabled;   /* Swarm.ConnMgr.Type "basic" (true) or "none" */
  uint32_t low;   /* LowWater */
  uint32_t high;  /* HighWater */
  uint32_t grace_ms;
} net_cm_cfg_t;

/* Kubo's: basic, 32, 96, 20 s. */
void net_cm_cfg_default(net_cm_cfg_t *cfg);

/* What the policy knows of one open connection. */
typedef struct net_cm_conn {
  const net_peerid_t *peer; /* borrowed for the call */
  uint64_t opened;          /* ms, when it came up */
  uint64_t used;            /* ms, last stream opened or data received */
  uint32_t streams;         /* open now */
  bool inbound;
} net_cm_conn_t;

typedef struct net_cm_prot {
  net_peerid_t peer;
  char tag[NET_CM_TAG_MAX + 1];
} net_cm_prot_t;

typedef struct net_backoff_ent {
  net_peerid_t peer; /* len 0: a dial that named no peer */
  uint8_t ma[NET_BACKOFF_MA_MAX];
  uint8_t malen;
  uint32_t tries;
  uint64_t until; /* ms */
} net_backoff_ent_t;

typedef struct net_cm {
  net_cm_cfg_t cfg;
  uint64_t last_trim;
  bool trimmed; /* last_trim is set */
  net_cm_prot_t *prot; /* allocated as tags come */
  size_t nprot, protcap;
  net_backoff_ent_t bo[NET_BACKOFF_MAX];
  size_t nbo;
} net_cm_t;

/* Start with cfg (NULL: defaults).  Allocates nothing.  0, or TR_EUSAGE
 * (enabled with low > high, or high 0). */
int net_cm_init(net_cm_t *cm, const net_cm_cfg_t *cfg) TR_WUR;
void net_cm_free(net_cm_t *cm);

/* ------------------------------------------------------------ trimming */

/* Which of conns[0..n) (every open connection) to close now: their indices
 * go to out (room for n), in the order to close them; returns how many.
 * 0 when disabled, at or under HighWater, within the silence period of the
 * last trim, or when fewer than LowWater connections are candidates.  A
 * call past HighWater and out of the silence period starts a new one even
 * when it closes nothing. */
size_t net_cm_trim(net_cm_t *cm, const net_cm_conn_t *conns, size_t n,
                   uint64_t now, size_t *out);

/* ---------------------------------------------------------- protection */

/* Protect peer under tag (on) or lift that tag (off).  A protected peer's
 * connections are never trimmed; tags let several users (the DHT, bitswap)
 * protect one peer independently.  0; TR_EUSAGE (tag empty or over
 * NET_CM_TAG_MAX); TR_ELIMIT (NET_CM_PROTECT_MAX pairs held); -ENOMEM.
 * Lifting a tag that is not there is 0. */
int net_cm_protect(net_cm_t *cm, const net_peerid_t *peer, const char *tag,
                   bool on) TR_WUR;
bool net_cm_protected(const net_cm_t *cm, const net_peerid_t *peer);

/* ------------------------------------------------------------- backoff */

/* Milliseconds until (peer, ma) may be dialled again; 0: now.  peer may
 * have len 0 (a dial without /p2p). */
uint64_t net_backoff_left(net_cm_t *cm, const net_peerid_t *peer,
                          const uint8_t *ma, size_t malen, uint64_t now);
/* A dial to (peer, ma) failed: start or lengthen its backoff. */
void net_backoff_fail(net_cm_t *cm, const net_peerid_t *peer,
                      const uint8_t *ma, size_t malen, uint64_t now);
/* A connection to peer succeeded: forget its entries, and the peerless
 * entry of ma (the address dialled, may be NULL). */
void net_backoff_clear(net_cm_t *cm, const net_peerid_t *peer,
                       const uint8_t *ma, size_t malen);

#endif /* NET_CONNMGR_H */

/*
 * republish.h — one round of the IPNS republisher (the daemon's timer
 * calls it every Ipns.RepublishPeriod, the first a minute after start).
 *
 * The records of the node's own keys -- its identity and every keystore
 * key (dht/keystore.h) that has published a record here (dht/name.h) --
 * are re-signed: the same value, the next sequence, a fresh lifetime, as
 * Kubo's republisher does.  The records `routing put` stored for other
 * names (dht_name_held) are re-put exactly as they are, never re-signed,
 * while they validate; an expired (or no longer valid) one is dropped and
 * never put again.  A held record of a name this node signs itself is left
 * to the re-signing.  Every record goes to both DHTs (each stores it
 * locally first, then sends it to the closest peers it knows).
 */
#ifndef NODE_REPUBLISH_H
#define NODE_REPUBLISH_H

#include <stdint.h>

#include "../dht/swarm.h"
#include "../net/peerid.h"

typedef struct node_republish {
  const char *repo;
  const net_privkey_t *self; /* the node's identity key */
  uint64_t lifetime_ns;      /* Ipns.RecordLifetime */
  dht_swarm_t *lan, *wan;    /* either may be NULL */
} node_republish_t;

/* What one round did, for the log and the tests. */
typedef struct node_republish_stats {
  unsigned resigned; /* own keys' records re-signed and put */
  unsigned reput;    /* held records put again as they are */
  unsigned dropped;  /* held records expired or invalid: dropped */
} node_republish_stats_t;

/* One round; *st (may be NULL) gets what it did.  Errors are logged: a
 * key or a record that fails is skipped, the others go on. */
void node_republish(const node_republish_t *p, node_republish_stats_t *st);

#endif /* NODE_REPUBLISH_H */

/*
 * bans.h — peers cut off for a while: the list a protocol adapter on the
 * host (bitswap/swarm.c, pubsub/swarm.c) keeps of the peers that broke
 * its protocol, whose streams it refuses until their ban ends.  Few
 * entries (a peer is banned for misbehaving, not for being many), so a
 * list; an entry whose time is up goes at the next look.
 */
#ifndef NET_BANS_H
#define NET_BANS_H

#include <stdbool.h>
#include <stdint.h>

#include "peerid.h"

typedef struct net_ban net_ban_t;
typedef struct net_bans {
  net_ban_t *head;
} net_bans_t; /* zero-initialise */

/* Ban id until until_ms (the caller's clock).  0 or -ENOMEM (nobody is
 * banned then: a ban is a defence, not a guarantee). */
int net_bans_add(net_bans_t *b, const net_peerid_t *id,
                 uint64_t until_ms) TR_WUR;
/* Whether id is banned at now_ms; entries ended by then are dropped. */
bool net_bans_has(net_bans_t *b, const net_peerid_t *id, uint64_t now_ms);
void net_bans_free(net_bans_t *b);

#endif /* NET_BANS_H */

/*
 * bans.c — peers cut off for a while (bans.h).
 */
#include "bans.h"

#include <errno.h>

struct net_ban {
  net_ban_t *next;
  net_peerid_t id;
  uint64_t until;
};

int net_bans_add(net_bans_t *b, const net_peerid_t *id, uint64_t until_ms) {
  net_ban_t *e = tr_calloc(1, sizeof *e);
  if (!e)
    return -ENOMEM;
  *e = (net_ban_t){b->head, *id, until_ms};
  b->head = e;
  return 0;
}

bool net_bans_has(net_bans_t *b, const net_peerid_t *id, uint64_t now_ms) {
  for (net_ban_t **pp = &b->head; *pp;) {
    net_ban_t *e = *pp;
    if (e->until <= now_ms) {
      *pp = e->next;
      tr_free(e);
    } else if (net_peerid_equal(&e->id, id)) {
      return true;
    } else {
      pp = &e->next;
    }
  }
  return false;
}

void net_bans_free(net_bans_t *b) {
  while (b->head) {
    net_ban_t *e = b->head;
    b->head = e->next;
    tr_free(e);
  }
}

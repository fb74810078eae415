/*
 * cache.c — the core's memory: the seen-cache (message IDs for
 * PS_SEEN_TTL_MS, at most PS_SEEN_MAX, a ring in arrival order with a
 * hash index) and the message cache (PS_MCACHE_HISTORY windows, one per
 * heartbeat, at most PS_MCACHE_MAX messages, a ring too; IWANT is
 * answered from it and IHAVE made of its last PS_MCACHE_GOSSIP windows).
 *
 * IDs are kept as their keyed 64-bit SipHash (ps_t.hkey, random per
 * core): a peer cannot aim collisions, and two honest IDs share a hash
 * with odds of about n/2^64.  The cache compares whole IDs as well.
 */
#include <errno.h>
#include <string.h>

#include "ps_core.h"

/* ------------------------------------------------------------- seen */

static void seen_unlink(ps_t *ps, int32_t slot) {
  int32_t *pp = &ps->buckets[ps->seen[slot].h % PS_SEEN_BUCKETS];
  while (*pp >= 0 && *pp != slot)
    pp = &ps->seen[*pp].next;
  if (*pp == slot)
    *pp = ps->seen[slot].next;
}

void ps__seen_expire(ps_t *ps, uint64_t now) {
  while (ps->nseen && ps->seen[ps->seen_tail].exp <= now) {
    seen_unlink(ps, (int32_t)ps->seen_tail);
    ps->seen_tail = (ps->seen_tail + 1) % PS_SEEN_MAX;
    ps->nseen--;
  }
}

bool ps__seen_has(ps_t *ps, uint64_t h, uint64_t now) {
  for (int32_t i = ps->buckets[h % PS_SEEN_BUCKETS]; i >= 0;
       i = ps->seen[i].next)
    if (ps->seen[i].h == h && ps->seen[i].exp > now)
      return true;
  return false;
}

void ps__seen_add(ps_t *ps, uint64_t h, uint64_t now) {
  ps__seen_expire(ps, now);
  if (ps->nseen == PS_SEEN_MAX) { /* full: the oldest goes early */
    seen_unlink(ps, (int32_t)ps->seen_tail);
    ps->seen_tail = (ps->seen_tail + 1) % PS_SEEN_MAX;
    ps->nseen--;
  }
  size_t slot = (ps->seen_tail + ps->nseen) % PS_SEEN_MAX;
  int32_t *b = &ps->buckets[h % PS_SEEN_BUCKETS];
  ps->seen[slot] = (ps_seen_e_t){h, now + PS_SEEN_TTL_MS, *b};
  *b = (int32_t)slot;
  ps->nseen++;
}

/* ----------------------------------------------------------- mcache */

static void mc_drop_oldest(ps_t *ps) {
  ps_mc_e_t *e = &ps->mc[ps->mc_tail];
  tr_free(e->t);
  tr_free(e->msg);
  memset(e, 0, sizeof *e);
  ps->mc_tail = (ps->mc_tail + 1) % PS_MCACHE_MAX;
  ps->nmc--;
}

void ps__mc_put(ps_t *ps, uint64_t h, const uint8_t *id, size_t idlen,
                const char *t, size_t tlen, const uint8_t *msg, size_t n) {
  if (idlen > PS_ID_MAX)
    return;
  if (ps->nmc == PS_MCACHE_MAX)
    mc_drop_oldest(ps);
  char *tc = tr_malloc(tlen);
  uint8_t *mc = tr_malloc(n ? n : 1);
  if (!tc || !mc) {
    tr_free(tc);
    tr_free(mc);
    return;
  }
  memcpy(tc, t, tlen);
  memcpy(mc, msg, n);
  ps_mc_e_t *e = &ps->mc[(ps->mc_tail + ps->nmc) % PS_MCACHE_MAX];
  e->h = h;
  e->gen = ps->gen;
  memcpy(e->id, id, idlen);
  e->idlen = idlen;
  e->t = tc;
  e->tlen = tlen;
  e->msg = mc;
  e->n = n;
  ps->nmc++;
}

const ps_mc_e_t *ps__mc_get(const ps_t *ps, uint64_t h, const uint8_t *id,
                            size_t idlen) {
  for (size_t k = 0; k < ps->nmc; k++) {
    const ps_mc_e_t *e = &ps->mc[(ps->mc_tail + k) % PS_MCACHE_MAX];
    if (e->h == h && e->idlen == idlen && !memcmp(e->id, id, idlen))
      return e;
  }
  return NULL;
}

void ps__mc_free(ps_t *ps) {
  while (ps->nmc)
    mc_drop_oldest(ps);
}

/* A new window: what is PS_MCACHE_HISTORY windows old goes. */
void ps__mc_shift(ps_t *ps) {
  ps->gen++;
  while (ps->nmc &&
         ps->mc[ps->mc_tail].gen + PS_MCACHE_HISTORY <= ps->gen)
    mc_drop_oldest(ps);
}


/*
 * gossip.c — the heartbeat (ps_tick): mesh upkeep (GRAFT below PS_DLO up to
 * PS_D, PRUNE above PS_DHI down to PS_D, chosen at random: no scores),
 * backoffs expiring, IHAVE gossip of the last PS_MCACHE_GOSSIP windows to
 * PS_DLAZY (or a quarter, if more) peers of each topic outside its mesh.
 * The seen and message caches it ages are cache.c's.
 */
#include <errno.h>
#include <string.h>

#include "ps_core.h"

/* ---------------------------------------------------------- heartbeat */

static void mesh_upkeep(ps_t *ps, ps_topic_t *tp, ps_peer_t **c,
                        uint64_t now) {
  /* Peers that left the topic leave the mesh (on_subopt does it too). */
  for (size_t i = 0; i < tp->nmesh;)
    if (!ps__peer_in(tp->mesh[i], tp->t, tp->len))
      ps__mesh_del(tp, tp->mesh[i]);
    else
      i++;
  if (tp->nmesh < PS_DLO) {
    size_t nc = ps__candidates(ps, tp, true, now, c);
    for (size_t i = 0; i < nc && tp->nmesh < PS_D; i++) {
      tp->mesh[tp->nmesh++] = c[i];
      ps__ctl_graft(ps, c[i], tp->t, tp->len);
    }
  } else if (tp->nmesh > PS_DHI) {
    for (size_t i = tp->nmesh; i > 1; i--) {
      size_t j = (size_t)(ps__rand(ps) % i);
      ps_peer_t *x = tp->mesh[i - 1];
      tp->mesh[i - 1] = tp->mesh[j];
      tp->mesh[j] = x;
    }
    while (tp->nmesh > PS_D) {
      ps_peer_t *p = tp->mesh[--tp->nmesh];
      ps__ctl_prune(ps, p, tp->t, tp->len, PS_PRUNE_BACKOFF_MS / 1000);
      ps__backoff_add(ps, tp->t, tp->len, &p->id, now + PS_PRUNE_BACKOFF_MS);
    }
  }
}

/* IHAVE of the topic's messages of the gossip windows to peers outside
 * its mesh. */
static void emit_gossip(ps_t *ps, ps_topic_t *tp, ps_peer_t **c,
                        uint64_t now) {
  tr_bytes_t ih = {0};
  size_t nids = 0;
  int rc = ps__put_bytes(&ih, 1, tp->t, tp->len);
  for (size_t k = 0; !rc && k < ps->nmc && nids < PS_IHAVE_MAX; k++) {
    const ps_mc_e_t *e = &ps->mc[(ps->mc_tail + k) % PS_MCACHE_MAX];
    if (e->gen + PS_MCACHE_GOSSIP > ps->gen && e->tlen == tp->len &&
        !memcmp(e->t, tp->t, tp->len)) {
      rc = ps__put_bytes(&ih, 2, e->id, e->idlen);
      nids++;
    }
  }
  if (!rc && nids) {
    size_t nc = ps__candidates(ps, tp, false, now, c);
    size_t target = nc / 4 > PS_DLAZY ? nc / 4 : PS_DLAZY;
    for (size_t i = 0; i < nc && i < target; i++)
      if (!ps__put_bytes(&c[i]->ctl, 1, ih.data, ih.len))
        ps->st.ihaves_sent++;
  }
  tr_bytes_free(&ih);
}

static void ps__heartbeat(ps_t *ps, uint64_t now) {
  ps__seen_expire(ps, now);
  ps__backoff_expire(ps, now);
  for (size_t i = 0; i < ps->npeers; i++) {
    ps->peers[i]->ihaves = ps->peers[i]->asked = 0;
    ps->peers[i]->served = 0;
  }
  ps_peer_t **c = ps->npeers ? tr_malloc(ps->npeers * sizeof *c) : NULL;
  if (c && !ps->floodsub)
    for (size_t i = 0; i < ps->ntopics; i++) {
      mesh_upkeep(ps, ps->topics[i], c, now);
      emit_gossip(ps, ps->topics[i], c, now);
    }
  tr_free(c);
  for (size_t i = 0; i < ps->npeers; i++)
    ps__ctl_flush(ps, ps->peers[i]);
  ps__mc_shift(ps);
}

uint64_t ps_tick(ps_t *ps, uint64_t now) {
  if (now >= ps->next_beat) {
    ps__heartbeat(ps, now);
    ps->next_beat = now + PS_HEARTBEAT_MS;
  }
  return ps->next_beat;
}

/*
 * connmgr.c — connection trimming, protection tags and dial backoff (see
 * connmgr.h).  Pure policy over the arrays it is handed: no I/O, no clock
 * of its own, and the only allocation is the protection table.
 *
 * Tables are searched linearly: the backoff table holds at most
 * NET_BACKOFF_MAX entries and is read once per dial; protections are read
 * once per connection per trim, at most once per silence period.
 */
#include "connmgr.h"

#include <errno.h>
#include <string.h>

void net_cm_cfg_default(net_cm_cfg_t *cfg) {
  cfg->enabled = true;
  cfg->low = NET_CM_LOW_WATER;
  cfg->high = NET_CM_HIGH_WATER;
  cfg->grace_ms = NET_CM_GRACE_MS;
}

int net_cm_init(net_cm_t *cm, const net_cm_cfg_t *cfg) {
  memset(cm, 0, sizeof *cm);
  if (cfg)
    cm->cfg = *cfg;
  else
    net_cm_cfg_default(&cm->cfg);
  if (cm->cfg.enabled && (cm->cfg.high == 0 || cm->cfg.low > cm->cfg.high))
    return TR_EUSAGE;
  return 0;
}

void net_cm_free(net_cm_t *cm) {
  tr_free(cm->prot);
  cm->prot = NULL;
  cm->nprot = cm->protcap = 0;
  cm->nbo = 0;
}

/* ------------------------------------------------------------ trimming */

/* qsort order: the first to close first. */
static int cmp_close(const void *pa, const void *pb) {
  const net_cm_conn_t *a = pa, *b = pb;
  /* Idle connections (no stream) before busy ones. */
  if ((a->streams == 0) != (b->streams == 0))
    return a->streams == 0 ? -1 : 1;
  /* Inbound before outbound: we chose to dial the others. */
  if (a->inbound != b->inbound)
    return a->inbound ? -1 : 1;
  if (a->streams != b->streams)
    return a->streams < b->streams ? -1 : 1;
  if (a->used != b->used)
    return a->used < b->used ? -1 : 1;
  if (a->opened != b->opened)
    return a->opened < b->opened ? -1 : 1;
  return 0;
}

size_t net_cm_trim(net_cm_t *cm, const net_cm_conn_t *conns, size_t n,
                   uint64_t now, size_t *out) {
  const net_cm_cfg_t *cfg = &cm->cfg;
  if (!cfg->enabled || n <= cfg->high)
    return 0;
  uint64_t silence = cfg->grace_ms < NET_CM_SILENCE_MS ? cfg->grace_ms
                                                        : NET_CM_SILENCE_MS;
  if (cm->trimmed && now - cm->last_trim < silence)
    return 0;
  cm->trimmed = true;
  cm->last_trim = now;
  size_t nc = 0;
  for (size_t i = 0; i < n; i++) {
    bool young = now < conns[i].opened + cfg->grace_ms;
    if (!young && !net_cm_protected(cm, conns[i].peer))
      out[nc++] = i;
  }
  if (nc <= cfg->low)
    return 0;
  /* Insertion sort of the candidates' indices: a few hundred at most, once
   * per silence period, and stable (ties keep the caller's order). */
  for (size_t k = 1; k < nc; k++) {
    size_t v = out[k], j = k;
    for (; j > 0 && cmp_close(&conns[out[j - 1]], &conns[v]) > 0; j--)
      out[j] = out[j - 1];
    out[j] = v;
  }
  return nc - cfg->low;
}

/* ---------------------------------------------------------- protection */

int net_cm_protect(net_cm_t *cm, const net_peerid_t *peer, const char *tag,
                   bool on) {
  size_t tlen = tag ? strlen(tag) : 0;
  if (tlen == 0 || tlen > NET_CM_TAG_MAX)
    return TR_EUSAGE;
  for (size_t i = 0; i < cm->nprot; i++)
    if (net_peerid_equal(&cm->prot[i].peer, peer) &&
        !strcmp(cm->prot[i].tag, tag)) {
      if (!on)
        cm->prot[i] = cm->prot[--cm->nprot];
      return 0;
    }
  if (!on)
    return 0;
  if (cm->nprot == NET_CM_PROTECT_MAX)
    return TR_ELIMIT;
  if (cm->nprot == cm->protcap) {
    size_t cap = cm->protcap ? 2 * cm->protcap : 16;
    if (cap > NET_CM_PROTECT_MAX)
      cap = NET_CM_PROTECT_MAX;
    void *p = tr_realloc(cm->prot, cap * sizeof *cm->prot);
    if (!p)
      return -ENOMEM;
    cm->prot = p;
    cm->protcap = cap;
  }
  net_cm_prot_t *e = &cm->prot[cm->nprot++];
  e->peer = *peer;
  memcpy(e->tag, tag, tlen + 1);
  return 0;
}

bool net_cm_protected(const net_cm_t *cm, const net_peerid_t *peer) {
  for (size_t i = 0; i < cm->nprot; i++)
    if (net_peerid_equal(&cm->prot[i].peer, peer))
      return true;
  return false;
}

/* ------------------------------------------------------------- backoff */

/* go-libp2p's formula: base + coef * tries^2, capped. */
static uint64_t backoff_ms(uint32_t tries) {
  uint64_t t = (uint64_t)tries * tries;
  if (t > NET_BACKOFF_MAX_MS / NET_BACKOFF_COEF_MS)
    return NET_BACKOFF_MAX_MS;
  uint64_t ms = NET_BACKOFF_BASE_MS + NET_BACKOFF_COEF_MS * t;
  return ms < NET_BACKOFF_MAX_MS ? ms : NET_BACKOFF_MAX_MS;
}

/* When entry e may be forgotten: expired for as long again (go-libp2p's
 * cleanup), so that failures in a row keep growing the backoff. */
static uint64_t forget_at(const net_backoff_ent_t *e) {
  return e->until + backoff_ms(e->tries);
}

static void bo_expire(net_cm_t *cm, uint64_t now) {
  for (size_t i = 0; i < cm->nbo;)
    if (now >= forget_at(&cm->bo[i]))
      cm->bo[i] = cm->bo[--cm->nbo];
    else
      i++;
}

static net_backoff_ent_t *bo_find(net_cm_t *cm, const net_peerid_t *peer,
                                  const uint8_t *ma, size_t malen) {
  if (malen > NET_BACKOFF_MA_MAX)
    malen = NET_BACKOFF_MA_MAX;
  for (size_t i = 0; i < cm->nbo; i++) {
    net_backoff_ent_t *e = &cm->bo[i];
    if (e->malen == malen && !memcmp(e->ma, ma, malen) &&
        e->peer.len == peer->len &&
        (peer->len == 0 || net_peerid_equal(&e->peer, peer)))
      return e;
  }
  return NULL;
}

uint64_t net_backoff_left(net_cm_t *cm, const net_peerid_t *peer,
                          const uint8_t *ma, size_t malen, uint64_t now) {
  bo_expire(cm, now);
  net_backoff_ent_t *e = bo_find(cm, peer, ma, malen);
  return e && now < e->until ? e->until - now : 0;
}

void net_backoff_fail(net_cm_t *cm, const net_peerid_t *peer,
                      const uint8_t *ma, size_t malen, uint64_t now) {
  bo_expire(cm, now);
  net_backoff_ent_t *e = bo_find(cm, peer, ma, malen);
  if (e) {
    e->until = now + backoff_ms(e->tries);
    e->tries++;
    return;
  }
  if (cm->nbo == NET_BACKOFF_MAX) {
    /* Full: the entry nearest to being forgotten makes room. */
    size_t k = 0;
    for (size_t i = 1; i < cm->nbo; i++)
      if (forget_at(&cm->bo[i]) < forget_at(&cm->bo[k]))
        k = i;
    cm->bo[k] = cm->bo[--cm->nbo];
  }
  e = &cm->bo[cm->nbo++];
  memset(e, 0, sizeof *e);
  e->peer = *peer;
  e->malen = (uint8_t)(malen < NET_BACKOFF_MA_MAX ? malen : NET_BACKOFF_MA_MAX);
  memcpy(e->ma, ma, e->malen);
  e->tries = 1;
  e->until = now + NET_BACKOFF_BASE_MS;
}

void net_backoff_clear(net_cm_t *cm, const net_peerid_t *peer,
                       const uint8_t *ma, size_t malen) {
  net_peerid_t none = {0};
  net_backoff_ent_t *e;
  if (ma && (e = bo_find(cm, &none, ma, malen)))
    *e = cm->bo[--cm->nbo];
  for (size_t i = 0; i < cm->nbo;)
    if (peer->len && net_peerid_equal(&cm->bo[i].peer, peer))
      cm->bo[i] = cm->bo[--cm->nbo];
    else
      i++;
}

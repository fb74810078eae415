/*
 * obsaddr.c — the observed-address table (see obsaddr.h).  Linear scans
 * over at most NET_OBS_MAX entries: a record happens once per identify,
 * a query once per AutoNAT round or command.
 */
#include "obsaddr.h"

#include <errno.h>
#include <string.h>

#include "multiaddr.h"

void net_obs_init(net_obs_t *o) { memset(o, 0, sizeof *o); }

void net_obs_free(net_obs_t *o) {
  tr_free(o->v);
  memset(o, 0, sizeof *o);
}

/* The observer's key: an IPv4 address, or the /56 of an IPv6 one. */
static bool observer_of(const uint8_t *remote, size_t rlen, uint8_t out[16]) {
  uint8_t ip[16];
  size_t n = net_ma_ip(remote, rlen, ip);
  memset(out, 0, 16);
  if (n == 4)
    memcpy(out, ip, 4);
  else if (n == 16)
    memcpy(out, ip, 7), out[15] = 6; /* the 6 keeps /56s apart from v4s */
  return n != 0;
}

/* The two thin waists name the same protocols (ip4/tcp and ip4/tcp). */
static bool same_transport(const uint8_t *a, size_t al, const uint8_t *b,
                           size_t bl) {
  net_ma_comp_t ca, cb;
  for (size_t oa = 0, ob = 0; oa < al || ob < bl;) {
    int ka = net_ma_next(a + oa, al - oa, &ca);
    int kb = net_ma_next(b + ob, bl - ob, &cb);
    if (ka < 0 || kb < 0 || ca.code != cb.code)
      return false;
    oa += (size_t)ka, ob += (size_t)kb;
  }
  return true;
}

int net_obs_record(net_obs_t *o, uintptr_t conn, const uint8_t *local,
                   size_t llen, const uint8_t *remote, size_t rlen,
                   const uint8_t *observed, size_t olen) {
  if (!conn || net_ma_validate(observed, olen) ||
      net_ma_is_loopback(observed, olen))
    return 0;
  size_t ltw = net_ma_thin_waist(local, llen);
  size_t otw = net_ma_thin_waist(observed, olen);
  uint8_t who[16];
  if (!ltw || !otw || ltw > NET_OBS_TW_MAX || otw > NET_OBS_TW_MAX ||
      !same_transport(local, ltw, observed, otw) ||
      !observer_of(remote, rlen, who))
    return 0;
  /* Relayed addresses name the relay: not ours. */
  net_ma_comp_t c;
  for (size_t off = 0; off < olen;) {
    int k = net_ma_next(observed + off, olen - off, &c);
    if (k < 0 || c.code == NET_MA_P2P_CIRCUIT)
      return 0;
    off += (size_t)k;
  }
  if (!o->v && !(o->v = tr_calloc(NET_OBS_MAX, sizeof *o->v)))
    return -ENOMEM;
  net_obs_entry_t *e = NULL;
  for (size_t i = 0; i < o->n && !e; i++)
    if (o->v[i].conn == conn)
      e = &o->v[i];
  if (!e && o->n < NET_OBS_MAX)
    e = &o->v[o->n++];
  if (!e) {
    e = &o->v[0];
    for (size_t i = 1; i < o->n; i++)
      if (o->v[i].age < e->age)
        e = &o->v[i];
  }
  memset(e, 0, sizeof *e);
  e->conn = conn;
  e->age = ++o->clock;
  memcpy(e->local, local, ltw), e->llen = (uint8_t)ltw;
  memcpy(e->observed, observed, otw), e->olen = (uint8_t)otw;
  memcpy(e->observer, who, 16);
  return 1;
}

void net_obs_forget(net_obs_t *o, uintptr_t conn) {
  for (size_t i = 0; i < o->n; i++)
    if (o->v[i].conn == conn) {
      o->v[i] = o->v[--o->n];
      return;
    }
}

/* ------------------------------------------------------------ queries */

typedef struct cand {
  const net_obs_entry_t *e; /* an entry naming this observed address */
  unsigned observers;
} cand_t;

/* Distinct observers of observed address e->observed among the entries
 * whose local thin waist is tw. */
static unsigned count_observers(const net_obs_t *o, const uint8_t *tw,
                                size_t twl, const net_obs_entry_t *e) {
  unsigned n = 0;
  for (size_t i = 0; i < o->n; i++) {
    const net_obs_entry_t *a = &o->v[i];
    if (a->llen != twl || memcmp(a->local, tw, twl) || a->olen != e->olen ||
        memcmp(a->observed, e->observed, e->olen))
      continue;
    bool seen = false; /* this observer counted already? */
    for (size_t j = 0; j < i && !seen; j++) {
      const net_obs_entry_t *b = &o->v[j];
      seen = b->llen == twl && !memcmp(b->local, tw, twl) &&
             b->olen == e->olen && !memcmp(b->observed, e->observed, e->olen) &&
             !memcmp(b->observer, a->observer, 16);
    }
    n += !seen;
  }
  return n;
}

static int cand_cmp(const cand_t *a, const cand_t *b) {
  if (a->observers != b->observers)
    return a->observers > b->observers ? -1 : 1;
  size_t n = a->e->olen < b->e->olen ? a->e->olen : b->e->olen;
  int c = memcmp(a->e->observed, b->e->observed, n);
  return c ? c : (int)a->e->olen - (int)b->e->olen;
}

size_t net_obs_addrs_for(const net_obs_t *o, const uint8_t *listen,
                         size_t llen, unsigned min, net_obs_fn fn, void *ud) {
  size_t twl = net_ma_thin_waist(listen, llen);
  if (!min)
    min = NET_OBS_ACTIVATION;
  if (!twl)
    return 0;
  cand_t top[NET_OBS_PER_LISTEN];
  size_t ntop = 0;
  for (size_t i = 0; i < o->n; i++) {
    const net_obs_entry_t *e = &o->v[i];
    if (e->llen != twl || memcmp(e->local, listen, twl))
      continue;
    bool dup = false; /* an earlier entry named the same address */
    for (size_t j = 0; j < i && !dup; j++)
      dup = o->v[j].llen == twl && !memcmp(o->v[j].local, listen, twl) &&
            o->v[j].olen == e->olen &&
            !memcmp(o->v[j].observed, e->observed, e->olen);
    if (dup)
      continue;
    cand_t c = {e, count_observers(o, listen, twl, e)};
    if (c.observers < min)
      continue;
    /* Insert in order into the short list. */
    size_t at = ntop;
    while (at > 0 && cand_cmp(&c, &top[at - 1]) < 0)
      at--;
    if (at >= NET_OBS_PER_LISTEN)
      continue;
    if (ntop < NET_OBS_PER_LISTEN)
      ntop++;
    memmove(&top[at + 1], &top[at], (ntop - 1 - at) * sizeof top[0]);
    top[at] = c;
  }
  for (size_t i = 0; i < ntop && fn; i++) {
    uint8_t ma[NET_MA_MAX];
    size_t n = top[i].e->olen;
    if (n + llen - twl > sizeof ma)
      continue;
    memcpy(ma, top[i].e->observed, n);
    memcpy(ma + n, listen + twl, llen - twl);
    fn(ma, n + llen - twl, top[i].observers, ud);
  }
  return ntop;
}

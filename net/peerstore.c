/*
 * peerstore.c — the bounded peer table (see peerstore.h).  Lookups are a
 * linear scan: at most NET_PS_PEERS_MAX entries, and each lookup happens
 * once per identify or command, not per packet.
 */
#include "peerstore.h"

#include <errno.h>
#include <string.h>

void net_ps_init(net_peerstore_t *ps, size_t max) {
  memset(ps, 0, sizeof *ps);
  ps->max = max ? max : NET_PS_PEERS_MAX;
}

void net_ps_free(net_peerstore_t *ps) {
  for (size_t i = 0; i < ps->n; i++) {
    tr_free(ps->v[i].protos);
    tr_free(ps->v[i].pubkey);
  }
  tr_free(ps->v);
  memset(ps, 0, sizeof *ps);
}

net_peerinfo_t *net_ps_get(net_peerstore_t *ps, const net_peerid_t *id) {
  for (size_t i = 0; i < ps->n; i++)
    if (net_peerid_equal(&ps->v[i].id, id)) {
      ps->v[i].seen = ++ps->clock;
      return &ps->v[i];
    }
  return NULL;
}

net_peerinfo_t *net_ps_put(net_peerstore_t *ps, const net_peerid_t *id) {
  net_peerinfo_t *pi = net_ps_get(ps, id);
  if (pi)
    return pi;
  if (ps->n == ps->cap && ps->cap < ps->max) {
    size_t cap = ps->cap ? 2 * ps->cap : 8;
    if (cap > ps->max)
      cap = ps->max;
    void *p = tr_realloc(ps->v, cap * sizeof *ps->v);
    if (!p)
      return NULL;
    ps->v = p;
    ps->cap = cap;
  }
  if (ps->n < ps->cap) {
    pi = &ps->v[ps->n++];
  } else {
    pi = &ps->v[0];
    for (size_t i = 1; i < ps->n; i++)
      if (ps->v[i].seen < pi->seen)
        pi = &ps->v[i];
    tr_free(pi->protos);
    tr_free(pi->pubkey);
  }
  memset(pi, 0, sizeof *pi);
  pi->id = *id;
  pi->seen = ++ps->clock;
  return pi;
}

void net_ps_add_addr(net_peerinfo_t *pi, const uint8_t *ma, size_t len) {
  if (len == 0 || len > NET_PS_ADDR_MAX)
    return;
  for (size_t i = 0; i < pi->naddrs; i++)
    if (pi->addrlen[i] == len && !memcmp(pi->addrs[i], ma, len))
      return;
  if (pi->naddrs == NET_PS_ADDRS_MAX) {
    memmove(pi->addrs[0], pi->addrs[1],
            (NET_PS_ADDRS_MAX - 1) * sizeof pi->addrs[0]);
    memmove(pi->addrlen, pi->addrlen + 1, NET_PS_ADDRS_MAX - 1);
    pi->naddrs--;
  }
  memcpy(pi->addrs[pi->naddrs], ma, len);
  pi->addrlen[pi->naddrs++] = (uint8_t)len;
}

int net_ps_set_protos(net_peerinfo_t *pi, const char *const *names,
                      size_t n) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(names[i]) + 1;
    if (total + l > NET_PS_PROTOS_BYTES)
      break;
    total += l;
  }
  char *p = total ? tr_malloc(total) : NULL;
  if (total && !p)
    return -ENOMEM;
  size_t off = 0;
  for (size_t i = 0; i < n && off < total; i++) {
    size_t l = strlen(names[i]) + 1;
    if (off + l > total)
      break;
    memcpy(p + off, names[i], l);
    off += l;
  }
  tr_free(pi->protos);
  pi->protos = p;
  pi->protolen = off;
  return 0;
}

bool net_ps_speaks(const net_peerinfo_t *pi, const char *proto) {
  for (size_t off = 0; pi && off < pi->protolen;
       off += strlen(pi->protos + off) + 1)
    if (!strcmp(pi->protos + off, proto))
      return true;
  return false;
}

int net_ps_set_pubkey(net_peerinfo_t *pi, const uint8_t *b, size_t n) {
  if (n == 0 || n > NET_PUBKEY_PB_MAX)
    return TR_EKEY;
  if (pi->pklen == n && !memcmp(pi->pubkey, b, n))
    return 0;
  uint8_t *p = tr_malloc(n);
  if (!p)
    return -ENOMEM;
  memcpy(p, b, n);
  tr_free(pi->pubkey);
  pi->pubkey = p;
  pi->pklen = (uint16_t)n;
  return 0;
}

void net_ps_record_latency(net_peerinfo_t *pi, uint64_t rtt_ns) {
  const double s = NET_PS_LATENCY_SMOOTHING;
  /* Go's time.Duration(float64): truncated toward zero. */
  pi->latency_ns = pi->latency_ns
                       ? (uint64_t)((1.0 - s) * (double)pi->latency_ns +
                                    s * (double)rtt_ns)
                       : rtt_ns;
}

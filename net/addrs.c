/*
 * addrs.c — socket addresses and multiaddrs for the host (host.c dials
 * and listens with them) and the listen addresses the host announces
 * (identify.c sends them).  No libuv call: it sits beneath both.
 */
#include "host_int.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

/* /ws as a binary component: its code, 477, as a varint. */
static const uint8_t WS[] = {0xdd, 0x03};

/* A binary multiaddr /ip4|ip6/A/tcp/P[/ws] of a socket address. */
size_t net__sa_to_ma(const struct sockaddr *sa, bool ws, uint8_t *out) {
  size_t n = 0;
  const uint8_t *ip;
  uint16_t port;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *s4 = (const void *)sa;
    out[n++] = NET_MA_IP4;
    ip = (const uint8_t *)&s4->sin_addr;
    memcpy(out + n, ip, 4), n += 4;
    port = ntohs(s4->sin_port);
  } else {
    const struct sockaddr_in6 *s6 = (const void *)sa;
    out[n++] = NET_MA_IP6;
    ip = (const uint8_t *)&s6->sin6_addr;
    memcpy(out + n, ip, 16), n += 16;
    port = ntohs(s6->sin6_port);
  }
  out[n++] = NET_MA_TCP;
  out[n++] = (uint8_t)(port >> 8), out[n++] = (uint8_t)port;
  if (ws) {
    memcpy(out + n, WS, sizeof WS);
    n += sizeof WS;
  }
  return n;
}

/* Read /ip4|ip6/A/tcp/P[/ws][/p2p/ID] into a socket address, the /ws
 * flag and a PeerID (len 0 when absent). */
int net__ma_to_sa(const char *s, struct sockaddr_storage *ss, bool *ws,
                  net_peerid_t *peer) {
  uint8_t b[NET_MA_MAX];
  int len = net_ma_parse(s, strlen(s), b, sizeof b);
  if (len < 0)
    return len;
  net_ma_comp_t c[4];
  size_t nc = 0;
  for (size_t off = 0; off < (size_t)len;) {
    int k = net_ma_next(b + off, (size_t)len - off, &c[nc < 3 ? nc : 3]);
    if (k < 0)
      return k;
    off += (size_t)k;
    nc++;
  }
  memset(ss, 0, sizeof *ss);
  peer->len = 0;
  *ws = nc >= 3 && c[2].code == NET_MA_WS;
  size_t np = *ws ? 3 : 2; /* where /p2p may be */
  if (nc < 2 || nc > np + 1 || c[1].code != NET_MA_TCP ||
      (nc == np + 1 && c[np].code != NET_MA_P2P))
    return TR_ENOTRANSPORT;
  uint16_t port = (uint16_t)(c[1].value[0] << 8 | c[1].value[1]);
  if (c[0].code == NET_MA_IP4) {
    struct sockaddr_in *s4 = (void *)ss;
    s4->sin_family = AF_INET;
    memcpy(&s4->sin_addr, c[0].value, 4);
    s4->sin_port = htons(port);
  } else if (c[0].code == NET_MA_IP6) {
    struct sockaddr_in6 *s6 = (void *)ss;
    s6->sin6_family = AF_INET6;
    memcpy(&s6->sin6_addr, c[0].value, 16);
    s6->sin6_port = htons(port);
  } else {
    return TR_ENOTRANSPORT;
  }
  if (nc == np + 1 && net_peerid_from_bytes(peer, c[np].value, c[np].vlen))
    return TR_EMULTIADDR;
  return 0;
}

static void add_addr(char (*out)[NET_MA_STR_MAX / 16], size_t max, size_t *n,
                     const uint8_t *ma, size_t len) {
  char s[NET_MA_STR_MAX / 16];
  if (net_ma_format(ma, len, s, sizeof s) < 0)
    return;
  for (size_t i = 0; i < *n && i < max; i++)
    if (!strcmp(out[i], s))
      return;
  if (*n < max)
    snprintf(out[*n], sizeof out[*n], "%s", s);
  (*n)++;
}

size_t net_host_addrs(net_host_t *h, char (*out)[NET_MA_STR_MAX / 16],
                      size_t max) {
  size_t n = 0;
  struct ifaddrs *ifs = NULL;
  for (size_t i = 0; i < h->nls; i++) {
    net_listener_t *l = h->ls[i];
    bool any4 = l->ma[0] == NET_MA_IP4 && !memcmp(l->ma + 1, "\0\0\0\0", 4);
    bool any6 = l->ma[0] == NET_MA_IP6 &&
                !memcmp(l->ma + 1, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    if (!any4 && !any6) {
      add_addr(out, max, &n, l->ma, l->malen);
      continue;
    }
    /* A wildcard: every interface address of that family, as go-libp2p
     * lists them. */
    if (!ifs && getifaddrs(&ifs))
      continue;
    const uint8_t *port = l->ma + (any4 ? 1 + 4 + 1 : 1 + 16 + 1);
    for (struct ifaddrs *a = ifs; a; a = a->ifa_next) {
      if (!a->ifa_addr || !(a->ifa_flags & IFF_UP) ||
          a->ifa_addr->sa_family != (any4 ? AF_INET : AF_INET6))
        continue;
      uint8_t ma[NET_CONN_MA_MAX];
      size_t k = net__sa_to_ma(a->ifa_addr, l->ws, ma);
      if (ma[0] == NET_MA_IP6 && ma[1] == 0xfe && (ma[2] & 0xc0) == 0x80)
        continue; /* link-local: needs a zone to be dialled */
      memcpy(ma + (any4 ? 1 + 4 + 1 : 1 + 16 + 1), port, 2);
      add_addr(out, max, &n, ma, k);
    }
  }
  if (ifs)
    freeifaddrs(ifs);
  return n;
}


size_t net_host_announce_addrs(net_host_t *h, char (*out)[NET_MA_STR_MAX / 16],
                               size_t max) {
  if (!h->policy)
    return net_host_addrs(h, out, max);
  enum { LISTEN_MAX = 32 };
  char(*ls)[NET_MA_STR_MAX / 16] = tr_malloc(LISTEN_MAX * sizeof *ls);
  if (!ls)
    return 0;
  size_t nl = net_host_addrs(h, ls, LISTEN_MAX);
  size_t n = net_ap_announce(h->policy, ls, nl < LISTEN_MAX ? nl : LISTEN_MAX,
                             out, max);
  tr_free(ls);
  return n;
}

/* ------------------------------------------------- observed addresses */

typedef struct obs_out {
  char (*out)[NET_MA_STR_MAX / 16];
  size_t max, n;
} obs_out_t;

static void obs_one(const uint8_t *ma, size_t len, unsigned observers,
                    void *ud) {
  (void)observers;
  obs_out_t *o = ud;
  add_addr(o->out, o->max, &o->n, ma, len);
}

size_t net_host_observed_addrs(net_host_t *h, char (*out)[NET_MA_STR_MAX / 16],
                               size_t max) {
  enum { LISTEN_MAX = 32 };
  char(*ls)[NET_MA_STR_MAX / 16] = tr_malloc(LISTEN_MAX * sizeof *ls);
  if (!ls)
    return 0;
  obs_out_t o = {out, max, 0};
  size_t nl = net_host_addrs(h, ls, LISTEN_MAX);
  for (size_t i = 0; i < nl && i < LISTEN_MAX; i++) {
    uint8_t b[NET_CONN_MA_MAX];
    int k = net_ma_parse(ls[i], strlen(ls[i]), b, sizeof b);
    if (k > 0)
      net_obs_addrs_for(&h->obs, b, (size_t)k, 0, obs_one, &o);
  }
  tr_free(ls);
  return o.n;
}

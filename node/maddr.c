/*
 * maddr.c — node_maddr_tcp (daemon.h), in a file of its own so that the
 * daemon's modules (node/mirror.c) call it without calling daemon.c, which
 * calls them (scripts/layering.py's circle check).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "../net/multiaddr.h"
#include "daemon.h"

int node_maddr_tcp(const char *m, char *host, size_t hostsz, int *port) {
  /* Parsed with net/multiaddr.h (strict, fuzzed); only /ip4|ip6/.../tcp/N
   * can be listened on by the HTTP servers. */
  uint8_t b[NET_MA_MAX];
  int len = net_ma_parse(m, strlen(m), b, sizeof b);
  if (len < 0)
    return TR_EUSAGE;
  net_ma_comp_t ip, tcp;
  int n = net_ma_next(b, (size_t)len, &ip);
  if (n < 0 || (ip.code != NET_MA_IP4 && ip.code != NET_MA_IP6))
    return TR_EUSAGE;
  int n2 = net_ma_next(b + n, (size_t)len - (size_t)n, &tcp);
  if (n2 < 0 || tcp.code != NET_MA_TCP || tcp.vlen != 2 || n + n2 != len)
    return TR_EUSAGE;
  char h[INET6_ADDRSTRLEN];
  if (!inet_ntop(ip.code == NET_MA_IP4 ? AF_INET : AF_INET6, ip.value, h,
                 sizeof h))
    return TR_EUSAGE;
  snprintf(host, hostsz, "%s", h);
  *port = tcp.value[0] << 8 | tcp.value[1];
  return 0;
}

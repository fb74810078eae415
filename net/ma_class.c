/*
 * ma_class.c — what kind of address a multiaddr names (see multiaddr.h,
 * "address classes"): public or not, as go-multiaddr's manet package
 * decides it (net/private.go), so that trove and go-libp2p agree on which
 * addresses AutoNAT may test and dial.  Pure computation, no I/O.
 */
#include "multiaddr.h"

#include <string.h>

typedef struct cidr {
  uint8_t ip[16];
  uint8_t bits;
} cidr_t;

static const cidr_t PRIVATE4[] = {
    {{127}, 8},      {{10}, 8},        {{100, 64}, 10},
    {{172, 16}, 12}, {{192, 168}, 16}, {{169, 254}, 16},
};
static const cidr_t UNROUTABLE4[] = {
    {{0}, 8},           {{192, 0, 0}, 26},     {{192, 0, 2}, 24},
    {{192, 88, 99}, 24}, {{198, 18}, 15},       {{198, 51, 100}, 24},
    {{203, 0, 113}, 24}, {{224}, 4},            {{240}, 4},
    {{255, 255, 255, 255}, 32},
};
static const cidr_t UNROUTABLE6[] = {
    {{0xff}, 8},                   /* multicast */
    {{0x20, 0x01, 0x0d, 0xb8}, 32}, /* documentation */
};
static const cidr_t GLOBAL6 = {{0x20}, 3};
static const cidr_t NAT64[] = {
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48},
    {{0x00, 0x64, 0xff, 0x9b}, 96},
};

static bool in(const uint8_t *ip, const cidr_t *c) {
  unsigned full = c->bits / 8, rest = c->bits % 8;
  if (memcmp(ip, c->ip, full))
    return false;
  if (!rest)
    return true;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (ip[full] & mask) == (c->ip[full] & mask);
}

static bool in_any(const uint8_t *ip, const cidr_t *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (in(ip, &v[i]))
      return true;
  return false;
}

/* Whether name is parent (".local") or under it. */
static bool subdomain(const uint8_t *name, size_t n, const char *parent) {
  size_t pl = strlen(parent);
  if (n >= pl && !memcmp(name + n - pl, parent, pl))
    return true;
  return n == pl - 1 && !memcmp(name, parent + 1, n);
}

static bool dns_public(const uint8_t *name, size_t n) {
  static const char *const never[] = {".localhost", ".in-addr.arpa",
                                      ".ip6.arpa", ".invalid", ".home.arpa",
                                      ".local", ".test"};
  for (size_t i = 0; i < TR_ARRAY_LEN(never); i++)
    if (subdomain(name, n, never[i]))
      return false;
  return true;
}

bool net_ma_is_public(const uint8_t *b, size_t len) {
  net_ma_comp_t c;
  for (size_t off = 0; off < len;) {
    int k = net_ma_next(b + off, len - off, &c);
    if (k < 0)
      return false;
    off += (size_t)k;
    switch (c.code) {
    case 42: /* ip6zone: skipped, as go does */
      continue;
    case NET_MA_IP4:
      return !in_any(c.value, PRIVATE4, TR_ARRAY_LEN(PRIVATE4)) &&
             !in_any(c.value, UNROUTABLE4, TR_ARRAY_LEN(UNROUTABLE4));
    case NET_MA_IP6:
      if (in(c.value, &GLOBAL6) &&
          !in_any(c.value, UNROUTABLE6, TR_ARRAY_LEN(UNROUTABLE6)))
        return true;
      return in_any(c.value, NAT64, TR_ARRAY_LEN(NAT64));
    case NET_MA_DNS:
    case NET_MA_DNS4:
    case NET_MA_DNS6:
    case NET_MA_DNSADDR:
      return dns_public(c.value, c.vlen);
    default:
      return false;
    }
  }
  return false;
}

bool net_ma_is_loopback(const uint8_t *b, size_t len) {
  uint8_t ip[16];
  size_t n = net_ma_ip(b, len, ip);
  static const uint8_t one6[16] = {[15] = 1};
  return (n == 4 && ip[0] == 127) || (n == 16 && !memcmp(ip, one6, 16));
}

size_t net_ma_ip(const uint8_t *b, size_t len, uint8_t ip[16]) {
  net_ma_comp_t c;
  if (net_ma_next(b, len, &c) < 0 ||
      (c.code != NET_MA_IP4 && c.code != NET_MA_IP6))
    return 0;
  memcpy(ip, c.value, c.vlen);
  return c.vlen;
}

size_t net_ma_thin_waist(const uint8_t *b, size_t len) {
  net_ma_comp_t c;
  int k1 = net_ma_next(b, len, &c);
  if (k1 < 0 || (c.code != NET_MA_IP4 && c.code != NET_MA_IP6))
    return 0;
  int k2 = net_ma_next(b + k1, len - (size_t)k1, &c);
  if (k2 < 0 || (c.code != NET_MA_TCP && c.code != NET_MA_UDP))
    return 0;
  return (size_t)k1 + (size_t)k2;
}

/*
 * multiaddr.h — multiaddrs, binary and string (multiformats/multiaddr).
 *
 * A multiaddr is a sequence of components, each a protocol code (varint)
 * followed by the protocol's value: fixed-size (ip4: 4 bytes, tcp: 2),
 * length-prefixed (dns, p2p, unix) or absent (ws, noise, p2p-circuit).  The
 * binary form travels in identify, the DHT and the pnet/relay messages; the
 * string form ("/ip4/1.2.3.4/tcp/4001/p2p/12D3Koo...") lives in configs and
 * on command lines.
 *
 * Pure computation over caller memory: no I/O, no allocation, no DNS.  Every
 * input is untrusted and parsing is strict: an unknown protocol, a value that
 * does not fit its protocol, an empty component or trailing bytes is an
 * error, so that every accepted binary multiaddr formats to a string that
 * parses back to the same bytes (the fuzz target checks it).  A string may
 * end with one '/' (go-multiaddr accepts "/ip4/1.2.3.4/tcp/1/"), and "ipfs"
 * is read as the old name of "p2p"; formatting writes neither.
 *
 * Protocols known (name, code, value):
 *   ip4 4 (dotted quad), tcp 6 / udp 273 / dccp 33 / sctp 132 (port),
 *   ip6 41 (RFC 4291 text), ip6zone 42, ipcidr 43 (0..255),
 *   dns 53, dns4 54, dns6 55, dnsaddr 56, sni 449 (a name: printable ASCII,
 *   no '/', at most 255 bytes), unix 400 (a path: takes the rest of the
 *   string, so it must come last), p2p 421 (a PeerID: base58btc "Qm..." /
 *   "12D3Koo..." or a CIDv1 with the libp2p-key codec; binary: its
 *   multihash, sha2-256 or identity), certhash 466 (a multibase multihash,
 *   written back in base64url), and without a value: tls 448, noise 454,
 *   quic 460, quic-v1 461, webtransport 465, ws 477, wss 478, http 480,
 *   https 443, p2p-circuit 290, webrtc-direct 280, webrtc 281, udt 301,
 *   utp 302.  Others (onion, garlic, memory, http-path...) are refused with
 *   TR_EMULTIADDR: their values cannot be skipped without knowing them.
 *
 * Bounds: NET_MA_MAX bytes binary, NET_MA_STR_MAX characters of string.
 */
#ifndef NET_MULTIADDR_H
#define NET_MULTIADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

/* Largest binary multiaddr accepted or produced.  Real ones are under 100
 * bytes; a dns name (255) plus a p2p-circuit path fits with room. */
#define NET_MA_MAX 1024
/* Largest string accepted; also a buffer size that always suffices for
 * net_ma_format() of a valid multiaddr of at most NET_MA_MAX bytes (a
 * two-byte "/webrtc-direct" becomes 14 characters: x7, plus the NUL). */
#define NET_MA_STR_MAX (8 * NET_MA_MAX)

/* Protocol codes the host layer looks for. */
enum {
  NET_MA_IP4 = 4,
  NET_MA_TCP = 6,
  NET_MA_IP6 = 41,
  NET_MA_DNS = 53,
  NET_MA_DNS4 = 54,
  NET_MA_DNS6 = 55,
  NET_MA_DNSADDR = 56,
  NET_MA_UDP = 273,
  NET_MA_P2P_CIRCUIT = 290,
  NET_MA_UNIX = 400,
  NET_MA_P2P = 421,
  NET_MA_HTTPS = 443,
  NET_MA_TLS = 448,
  NET_MA_NOISE = 454,
  NET_MA_QUIC_V1 = 461,
  NET_MA_WS = 477,
  NET_MA_WSS = 478,
  NET_MA_HTTP = 480,
};

/* One component: a view into the multiaddr it was read from, valid as long
 * as those bytes are. */
typedef struct net_ma_comp {
  uint32_t code;        /* protocol code */
  const char *name;     /* protocol name (static) */
  const uint8_t *value; /* the value bytes, without a length prefix */
  size_t vlen;          /* 0 for protocols without a value */
} net_ma_comp_t;

/* Parse the string s[0..slen) into out.  Returns the binary length (> 0).
 * Errors:
 *   TR_EMULTIADDR  not a multiaddr: no leading '/', empty, an empty or
 *                  unknown protocol name, a missing or malformed value
 *   TR_ETOOBIG     slen > NET_MA_STR_MAX, or the binary form would exceed
 *                  NET_MA_MAX
 *   TR_EBUFSIZE    out is too small (NET_MA_MAX always suffices) */
int net_ma_parse(const char *s, size_t slen, uint8_t *out,
                 size_t outsize) TR_WUR;

/* Check a binary multiaddr b[0..len): 0, or TR_EMULTIADDR (empty, unknown
 * protocol, bad or truncated value, trailing bytes, a component after a
 * path), TR_ETOOBIG (len > NET_MA_MAX). */
int net_ma_validate(const uint8_t *b, size_t len) TR_WUR;

/* Format a binary multiaddr as a NUL-terminated string.  Returns the string
 * length, or the errors of net_ma_validate(), or TR_EBUFSIZE (out too small;
 * NET_MA_STR_MAX always suffices).  Nothing is written on a validation
 * error. */
int net_ma_format(const uint8_t *b, size_t len, char *out,
                  size_t outsize) TR_WUR;

/* Read the component at the start of b[0..len) into *c.  Returns the bytes
 * it occupies (> 0), or TR_EMULTIADDR (len 0, unknown protocol, a value that
 * is truncated or malformed).  Walk a multiaddr with it:
 *
 *   for (size_t off = 0; off < len; off += (size_t)n)
 *     if ((n = net_ma_next(b + off, len - off, &c)) < 0) ...
 */
int net_ma_next(const uint8_t *b, size_t len, net_ma_comp_t *c) TR_WUR;

/* The peer a binary multiaddr b[0..len) ends in (its last component is
 * /p2p/ID): 0, *id set and *tpt (may be NULL) the bytes before that
 * component (0 for a bare /p2p/ID); TR_EMULTIADDR when it is malformed
 * or does not end so, or the ID does not parse. */
struct net_peerid;
int net_ma_peer(const uint8_t *b, size_t len, struct net_peerid *id,
                size_t *tpt) TR_WUR;

/* The protocol's name, or NULL when unknown. */
const char *net_ma_proto_name(uint32_t code);

/* ------------------------------------------------- address classes */
/* (ma_class.c) */

/* Whether the IP (or DNS name) of a binary multiaddr is publicly routable,
 * as go-multiaddr's manet.IsPublicAddr decides it: IPv4 outside loopback,
 * RFC 1918, CGNAT 100.64/10, link-local and the unroutable ranges
 * (0/8, 192.0.0/26, TEST-NETs, 198.18/15, 192.88.99/24, multicast,
 * 240/4, broadcast); IPv6 inside 2000::/3 but not 2001:db8::/32, or a
 * NAT64 prefix; a DNS name that is not localhost, .local, .home.arpa,
 * .test, .invalid or a reverse-lookup name.  false for anything else
 * (no IP, malformed). */
bool net_ma_is_public(const uint8_t *b, size_t len);
/* Whether it is a loopback address (127/8, ::1). */
bool net_ma_is_loopback(const uint8_t *b, size_t len);
/* The IP of a multiaddr that starts with /ip4 or /ip6: its bytes (4 or
 * 16) into ip and the count, or 0 when it starts with something else. */
size_t net_ma_ip(const uint8_t *b, size_t len, uint8_t ip[16]);
/* The first two components (the "thin waist": /ip4|ip6/A/tcp|udp/P) of
 * b: their length in bytes, or 0 when b does not start so. */
size_t net_ma_thin_waist(const uint8_t *b, size_t len);

#endif /* NET_MULTIADDR_H */

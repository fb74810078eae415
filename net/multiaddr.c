/*
 * multiaddr.c — multiaddr string <-> binary (see multiaddr.h).
 *
 * One table describes every protocol: its code, name, value size (fixed
 * bytes, variable with a varint length, or none) and the kind of value,
 * which picks the text codec.  The string parser and the binary reader both
 * end in the same value check (value_ok), so a value the parser writes is
 * one the reader accepts and the reverse: that is what makes formatting a
 * valid binary multiaddr and parsing the result give the same bytes.
 *
 * IP addresses go through inet_pton/inet_ntop: pure functions of the C
 * library (no resolver); glibc's inet_pton refuses leading zeros in IPv4,
 * which go-multiaddr refuses too.
 */
#include "multiaddr.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../dag/cid.h"
#include "peerid.h"

/* ----------------------------------------------------------- the table */

enum { V_NONE, V_IP4, V_IP6, V_PORT, V_NAME, V_CIDR, V_P2P, V_PATH, V_HASH };

#define VAR (-1) /* length-prefixed value */

typedef struct proto {
  uint32_t code;
  const char *name;
  int16_t size; /* value bytes, 0 for none, VAR */
  uint8_t kind;
} proto_t;

static const proto_t protos[] = {
    {4, "ip4", 4, V_IP4},
    {6, "tcp", 2, V_PORT},
    {33, "dccp", 2, V_PORT},
    {41, "ip6", 16, V_IP6},
    {42, "ip6zone", VAR, V_NAME},
    {43, "ipcidr", 1, V_CIDR},
    {53, "dns", VAR, V_NAME},
    {54, "dns4", VAR, V_NAME},
    {55, "dns6", VAR, V_NAME},
    {56, "dnsaddr", VAR, V_NAME},
    {132, "sctp", 2, V_PORT},
    {273, "udp", 2, V_PORT},
    {280, "webrtc-direct", 0, V_NONE},
    {281, "webrtc", 0, V_NONE},
    {290, "p2p-circuit", 0, V_NONE},
    {301, "udt", 0, V_NONE},
    {302, "utp", 0, V_NONE},
    {400, "unix", VAR, V_PATH},
    {421, "p2p", VAR, V_P2P},
    {443, "https", 0, V_NONE},
    {448, "tls", 0, V_NONE},
    {449, "sni", VAR, V_NAME},
    {454, "noise", 0, V_NONE},
    {460, "quic", 0, V_NONE},
    {461, "quic-v1", 0, V_NONE},
    {465, "webtransport", 0, V_NONE},
    {466, "certhash", VAR, V_HASH},
    {477, "ws", 0, V_NONE},
    {478, "wss", 0, V_NONE},
    {480, "http", 0, V_NONE},
};

/* DNS names are at most 253 characters; 255 leaves the usual slack. */
#define NAME_MAX_LEN 255

static const proto_t *by_code(uint64_t code) {
  for (size_t i = 0; i < TR_ARRAY_LEN(protos); i++)
    if (protos[i].code == code)
      return &protos[i];
  return NULL;
}

static const proto_t *by_name(const char *s, size_t n) {
  if (n == 4 && !memcmp(s, "ipfs", 4)) /* the old name of p2p */
    return by_code(NET_MA_P2P);
  for (size_t i = 0; i < TR_ARRAY_LEN(protos); i++)
    if (strlen(protos[i].name) == n && !memcmp(protos[i].name, s, n))
      return &protos[i];
  return NULL;
}

const char *net_ma_proto_name(uint32_t code) {
  const proto_t *p = by_code(code);
  return p ? p->name : NULL;
}

/* ------------------------------------------------------- value checks */

/* Is v[0..n) a value of kind k?  Shared by both directions. */
static bool value_ok(int k, const uint8_t *v, size_t n) {
  switch (k) {
  case V_NAME:
    if (n == 0 || n > NAME_MAX_LEN)
      return false;
    for (size_t i = 0; i < n; i++)
      if (v[i] <= 0x20 || v[i] >= 0x7f || v[i] == '/')
        return false;
    return true;
  case V_PATH:
    /* The string form gives the rest of the string, '/' included, so a
     * path starts with '/'; a trailing '/' would be eaten by the parser. */
    if (n < 2 || v[0] != '/' || v[n - 1] == '/')
      return false;
    for (size_t i = 0; i < n; i++)
      if (v[i] < 0x20 || v[i] == 0x7f)
        return false;
    return true;
  case V_P2P: {
    net_peerid_t id;
    return net_peerid_from_bytes(&id, v, n) == 0;
  }
  case V_HASH: {
    uint64_t code;
    const uint8_t *d;
    size_t dlen;
    return dag_mh_parse(v, n, &code, &d, &dlen) == (int)n;
  }
  default:
    return true; /* fixed sizes: every bit pattern is a value */
  }
}

/* ------------------------------------------------------ string -> binary */

/* Strict decimal 0..max without sign or leading zeros. */
static bool parse_uint(const char *s, size_t n, unsigned max, unsigned *out) {
  if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
    return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  if (v > max)
    return false;
  *out = v;
  return true;
}

/* Encode the text value s[0..n) of kind k into v (room: NET_MA_MAX).
 * Returns its byte length or a negative code. */
static int value_from_text(int k, const char *s, size_t n, uint8_t *v) {
  char tmp[64];
  unsigned u;
  switch (k) {
  case V_IP4:
  case V_IP6:
    if (n >= sizeof tmp)
      return TR_EMULTIADDR;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    if (inet_pton(k == V_IP4 ? AF_INET : AF_INET6, tmp, v) != 1)
      return TR_EMULTIADDR;
    return k == V_IP4 ? 4 : 16;
  case V_PORT:
    if (!parse_uint(s, n, 65535, &u))
      return TR_EMULTIADDR;
    v[0] = (uint8_t)(u >> 8), v[1] = (uint8_t)u;
    return 2;
  case V_CIDR:
    if (!parse_uint(s, n, 255, &u))
      return TR_EMULTIADDR;
    v[0] = (uint8_t)u;
    return 1;
  case V_NAME:
  case V_PATH:
    if (n > NET_MA_MAX)
      return TR_ETOOBIG;
    memcpy(v, s, n);
    return (int)n;
  case V_P2P: {
    net_peerid_t id;
    if (net_peerid_parse(&id, s, n) < 0)
      return TR_EMULTIADDR;
    memcpy(v, id.bytes, id.len);
    return id.len;
  }
  case V_HASH: {
    size_t len;
    int rc = dag_mb_decode(s, n, v, NET_MA_MAX, &len, NULL);
    return rc < 0 ? TR_EMULTIADDR : (int)len;
  }
  }
  return TR_EMULTIADDR;
}

/* Append p's code and the value of text s[0..n) to out at *pos. */
static int put_component(const proto_t *p, const char *s, size_t n,
                         uint8_t *out, size_t outsize, size_t *pos) {
  uint8_t v[NET_MA_MAX], hdr[2 * DAG_VARINT_MAX];
  int vlen = 0;
  if (p->size != 0) {
    vlen = value_from_text(p->kind, s, n, v);
    if (vlen < 0)
      return vlen;
    if (!value_ok(p->kind, v, (size_t)vlen))
      return TR_EMULTIADDR;
  }
  size_t h = dag_varint_put(hdr, p->code);
  if (p->size == VAR)
    h += dag_varint_put(hdr + h, (uint64_t)vlen);
  size_t need = h + (size_t)vlen;
  if (*pos + need > NET_MA_MAX)
    return TR_ETOOBIG;
  if (*pos + need > outsize)
    return TR_EBUFSIZE;
  memcpy(out + *pos, hdr, h);
  memcpy(out + *pos + h, v, (size_t)vlen);
  *pos += need;
  return 0;
}

/* The segment of s[0..slen) that starts at *at and ends before the next '/'
 * or the end; *at moves past that '/'.  false when nothing is left. */
static bool next_seg(const char *s, size_t slen, size_t *at, const char **seg,
                     size_t *n) {
  if (*at > slen)
    return false;
  const char *e = memchr(s + *at, '/', slen - *at);
  size_t end = e ? (size_t)(e - s) : slen;
  *seg = s + *at;
  *n = end - *at;
  *at = end + 1; /* past the end when the string is used up */
  return true;
}

int net_ma_parse(const char *s, size_t slen, uint8_t *out, size_t outsize) {
  if (slen > NET_MA_STR_MAX)
    return TR_ETOOBIG;
  if (slen < 2 || s[0] != '/')
    return TR_EMULTIADDR;
  if (s[slen - 1] == '/') /* one trailing slash, as go-multiaddr allows */
    slen--;
  size_t at = 1, pos = 0, n;
  const char *name;
  while (next_seg(s, slen, &at, &name, &n)) {
    const proto_t *p = by_name(name, n);
    if (!p)
      return TR_EMULTIADDR;
    const char *val = NULL;
    size_t vn = 0;
    if (p->kind == V_PATH) {
      /* A path takes the rest of the string, with its leading '/'. */
      if (at >= slen)
        return TR_EMULTIADDR;
      val = s + at - 1, vn = slen - at + 1;
      at = slen + 1;
    } else if (p->size != 0 && !next_seg(s, slen, &at, &val, &vn)) {
      return TR_EMULTIADDR;
    }
    int rc = put_component(p, val, vn, out, outsize, &pos);
    if (rc < 0)
      return rc;
  }
  return pos ? (int)pos : TR_EMULTIADDR;
}

/* ------------------------------------------------------ binary -> string */

int net_ma_next(const uint8_t *b, size_t len, net_ma_comp_t *c) {
  uint64_t code, vlen;
  int n = dag_varint_get(b, len, &code);
  if (n < 0)
    return TR_EMULTIADDR;
  const proto_t *p = by_code(code);
  if (!p)
    return TR_EMULTIADDR;
  size_t off = (size_t)n;
  if (p->size == VAR) {
    n = dag_varint_get(b + off, len - off, &vlen);
    if (n < 0 || vlen == 0)
      return TR_EMULTIADDR;
    off += (size_t)n;
  } else {
    vlen = (uint64_t)p->size;
  }
  if (vlen > len - off || !value_ok(p->kind, b + off, (size_t)vlen))
    return TR_EMULTIADDR;
  c->code = p->code;
  c->name = p->name;
  c->value = b + off;
  c->vlen = (size_t)vlen;
  return (int)(off + vlen);
}

int net_ma_validate(const uint8_t *b, size_t len) {
  if (len > NET_MA_MAX)
    return TR_ETOOBIG;
  if (len == 0)
    return TR_EMULTIADDR;
  net_ma_comp_t c;
  for (size_t off = 0; off < len;) {
    int n = net_ma_next(b + off, len - off, &c);
    if (n < 0)
      return n;
    off += (size_t)n;
    /* A path eats the rest of the string form: nothing may follow it. */
    if (c.code == NET_MA_UNIX && off < len)
      return TR_EMULTIADDR;
  }
  return 0;
}

/* Write the text of c's value to out[0..cap); returns its length. */
static int value_to_text(const net_ma_comp_t *c, int kind, char *out,
                         size_t cap) {
  const uint8_t *v = c->value;
  switch (kind) {
  case V_IP4:
  case V_IP6:
    if (!inet_ntop(kind == V_IP4 ? AF_INET : AF_INET6, v, out,
                   (socklen_t)cap))
      return TR_EBUFSIZE;
    return (int)strlen(out);
  case V_PORT:
    return snprintf(out, cap, "%u", (unsigned)(v[0] << 8 | v[1]));
  case V_CIDR:
    return snprintf(out, cap, "%u", (unsigned)v[0]);
  case V_NAME:
  case V_PATH:
    if (c->vlen >= cap)
      return TR_EBUFSIZE;
    memcpy(out, v, c->vlen);
    out[c->vlen] = 0;
    return (int)c->vlen;
  case V_P2P: {
    net_peerid_t id;
    if (net_peerid_from_bytes(&id, v, c->vlen) < 0)
      return TR_EMULTIADDR;
    return net_peerid_format(&id, 0, out, cap);
  }
  case V_HASH: /* go-multiaddr writes certhashes in base64url */
    return dag_mb_encode(DAG_MB_BASE64URL, v, c->vlen, out, cap);
  }
  return 0;
}

int net_ma_format(const uint8_t *b, size_t len, char *out, size_t outsize) {
  int rc = net_ma_validate(b, len);
  if (rc < 0)
    return rc;
  size_t pos = 0;
  net_ma_comp_t c;
  char val[NET_MA_STR_MAX];
  for (size_t off = 0; off < len;) {
    int n = net_ma_next(b + off, len - off, &c);
    off += (size_t)n;
    const proto_t *p = by_code(c.code);
    int vn = 0;
    if (p->size != 0 && (vn = value_to_text(&c, p->kind, val, sizeof val)) < 0)
      return vn;
    /* "/name", then "/value" (a path brings its own '/'). */
    size_t nl = strlen(p->name), sep = p->size != 0 && p->kind != V_PATH;
    if (pos + 1 + nl + sep + (size_t)vn >= outsize)
      return TR_EBUFSIZE;
    out[pos++] = '/';
    memcpy(out + pos, p->name, nl);
    pos += nl;
    if (sep)
      out[pos++] = '/';
    memcpy(out + pos, val, (size_t)vn);
    pos += (size_t)vn;
  }
  out[pos] = 0;
  return (int)pos;
}

int net_ma_peer(const uint8_t *b, size_t len, net_peerid_t *id, size_t *tpt) {
  net_ma_comp_t c = {0};
  size_t last = 0;
  for (size_t off = 0; off < len;) {
    int k = net_ma_next(b + off, len - off, &c);
    if (k < 0)
      return TR_EMULTIADDR;
    last = off;
    off += (size_t)k;
  }
  if (!len || c.code != NET_MA_P2P || net_peerid_from_bytes(id, c.value, c.vlen))
    return TR_EMULTIADDR;
  if (tpt)
    *tpt = last;
  return 0;
}

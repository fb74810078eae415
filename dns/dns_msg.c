/*
 * dns_msg.c — the DNS wire codec of dns.h: a TXT query out, the TXT
 * records of an answer in.  Sans-I/O and allocation-free: bytes in, calls
 * out.  Everything read from an answer is hostile: offsets are checked
 * before each read, compression pointers only go backwards (no loops) and
 * are counted, names are bounded, records are counted.
 *
 * Names are compared as text, lower-cased, without the final dot.  A label
 * holding a dot or a byte outside printable ASCII cannot be part of a name
 * we ask about (dns_query_encode refuses them), so such a name is read as
 * one that matches nothing.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "dns.h"

#define HDR_LEN 12
#define FLAG_QR 0x8000u
#define FLAG_TC 0x0200u
#define FLAG_RD 0x0100u
#define OPCODE_MASK 0x7800u
#define RCODE_MASK 0x000fu

static uint16_t get16(const uint8_t *p) {
  return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/* ------------------------------------------------------------- query */

int dns_query_encode(uint16_t id, const char *name, uint16_t qtype,
                     uint8_t *out, size_t cap) {
  size_t n = strlen(name);
  if (n && name[n - 1] == '.')
    n--;
  if (!n || n > DNS_NAME_MAX)
    return -EINVAL;
  /* header, labels (n + 1 length bytes at most + the root), type, class */
  size_t need = HDR_LEN + n + 2 + 4;
  if (need > cap)
    return TR_EBUFSIZE;
  memset(out, 0, HDR_LEN);
  put16(out, id);
  put16(out + 2, FLAG_RD);
  put16(out + 4, 1); /* QDCOUNT */
  size_t o = HDR_LEN;
  for (size_t i = 0; i < n;) {
    const char *dot = memchr(name + i, '.', n - i);
    size_t ll = dot ? (size_t)(dot - (name + i)) : n - i;
    if (ll == 0 || ll > 63)
      return -EINVAL;
    for (size_t k = 0; k < ll; k++) {
      unsigned char c = (unsigned char)name[i + k];
      if (c <= ' ' || c >= 0x7f)
        return -EINVAL;
    }
    out[o++] = (uint8_t)ll;
    memcpy(out + o, name + i, ll);
    o += ll;
    i += ll + 1;
    if (dot && i >= n) /* "a..": an empty last label */
      return -EINVAL;
  }
  out[o++] = 0;
  put16(out + o, qtype);
  put16(out + o + 2, DNS_CLASS_IN);
  return (int)(o + 4);
}

/* ------------------------------------------------------------- names */

/* Read the name at msg[*off] into out (lower-case text, no final dot, NUL;
 * "" for the root), following compression pointers; *off moves past the
 * name where it sits (not where pointers led).  *odd is set when a label
 * holds a byte no name we ask about has.  0 or TR_EPROTO. */
static int read_name(const uint8_t *msg, size_t len, size_t *off,
                     char out[DNS_NAME_MAX + 2], bool *odd) {
  size_t p = *off, o = 0, end = 0;
  unsigned jumps = 0;
  bool jumped = false;
  *odd = false;
  for (;;) {
    if (p >= len)
      return TR_EPROTO;
    uint8_t l = msg[p];
    if ((l & 0xc0) == 0xc0) {
      if (p + 1 >= len || ++jumps > DNS_PTR_MAX)
        return TR_EPROTO;
      size_t to = (size_t)(l & 0x3f) << 8 | msg[p + 1];
      if (to >= p) /* only backwards: a loop cannot be built */
        return TR_EPROTO;
      if (!jumped)
        end = p + 2;
      jumped = true;
      p = to;
      continue;
    }
    if (l & 0xc0) /* 0x40, 0x80: extended / reserved label types */
      return TR_EPROTO;
    if (l == 0) {
      if (!jumped)
        end = p + 1;
      break;
    }
    if (p + 1 + l > len)
      return TR_EPROTO;
    if (o + l + (o ? 1 : 0) > DNS_NAME_MAX) /* a name over 253 as text */
      return TR_EPROTO;
    if (o)
      out[o++] = '.';
    for (size_t k = 0; k < l; k++) {
      unsigned char c = msg[p + 1 + k];
      if (c <= ' ' || c >= 0x7f || c == '.')
        *odd = true;
      out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    p += 1u + l;
  }
  out[o] = 0;
  *off = end;
  return 0;
}

/* Is the text name (any case, a final dot allowed) the lower-case s? */
static bool same_name(const char *name, const char *s) {
  size_t n = strlen(name), m = strlen(s);
  if (n && name[n - 1] == '.')
    n--;
  return n == m && !strncasecmp(name, s, n);
}

/* -------------------------------------------------------------- answer */

typedef struct rr {
  char owner[DNS_NAME_MAX + 2];
  bool odd;
  uint16_t type, cls;
  uint32_t ttl;
  size_t rdoff, rdlen;
} rr_t;

static int read_rr(const uint8_t *msg, size_t len, size_t *off, rr_t *rr) {
  if (read_name(msg, len, off, rr->owner, &rr->odd))
    return TR_EPROTO;
  size_t p = *off;
  if (p + 10 > len)
    return TR_EPROTO;
  rr->type = get16(msg + p);
  rr->cls = get16(msg + p + 2);
  rr->ttl = get32(msg + p + 4);
  if (rr->ttl > 0x7fffffffu) /* RFC 2181 8: a TTL with the top bit is 0 */
    rr->ttl = 0;
  rr->rdlen = get16(msg + p + 8);
  rr->rdoff = p + 10;
  if (rr->rdoff + rr->rdlen > len)
    return TR_EPROTO;
  *off = rr->rdoff + rr->rdlen;
  return 0;
}

/* A TXT record's character-strings joined into out: the length, or -1
 * when malformed or over DNS_TXT_MAX. */
static long join_txt(const uint8_t *rd, size_t rl, char *out) {
  size_t o = 0;
  for (size_t j = 0; j < rl;) {
    size_t sl = rd[j++];
    if (sl > rl - j || sl > DNS_TXT_MAX - o)
      return -1;
    memcpy(out + o, rd + j, sl);
    o += sl;
    j += sl;
  }
  return (long)o;
}

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

int dns_txt_parse(const uint8_t *msg, size_t len, uint16_t id,
                  const char *name, dns_txt_cb cb, void *ud,
                  uint32_t *min_ttl) {
  if (min_ttl)
    *min_ttl = UINT32_MAX;
  if (len > DNS_MSG_MAX)
    return TR_ETOOBIG;
  if (len < HDR_LEN)
    return TR_EPROTO;
  uint16_t flags = get16(msg + 2);
  if (get16(msg) != id || !(flags & FLAG_QR) || (flags & OPCODE_MASK) ||
      (flags & FLAG_TC) || get16(msg + 4) != 1)
    return TR_EPROTO;
  size_t off = HDR_LEN;
  char qn[DNS_NAME_MAX + 2];
  bool odd;
  if (read_name(msg, len, &off, qn, &odd) || odd || off + 4 > len ||
      !same_name(name, qn) || get16(msg + off) != DNS_TYPE_TXT ||
      get16(msg + off + 2) != DNS_CLASS_IN)
    return TR_EPROTO;
  off += 4;
  unsigned rcode = flags & RCODE_MASK;
  if (rcode == DNS_RCODE_NXDOMAIN)
    return TR_ENOTFOUND;
  if (rcode)
    return -EREMOTEIO;
  unsigned an = get16(msg + 6);
  if (an > DNS_RR_MAX)
    an = DNS_RR_MAX;
  size_t start = off;
  uint32_t ttl = UINT32_MAX;
  /* The name whose records count: the question's, then each CNAME's
   * target in turn.  One pass per link of the chain. */
  char want[DNS_NAME_MAX + 2];
  memcpy(want, qn, sizeof want);
  for (unsigned depth = 0; depth <= DNS_CNAME_MAX; depth++) {
    bool any_txt = false, moved = false;
    char next[DNS_NAME_MAX + 2];
    uint32_t cname_ttl = UINT32_MAX;
    off = start;
    for (unsigned i = 0; i < an; i++) {
      rr_t rr;
      if (read_rr(msg, len, &off, &rr))
        return TR_EPROTO;
      if (rr.odd || rr.cls != DNS_CLASS_IN || strcmp(rr.owner, want))
        continue;
      if (rr.type == DNS_TYPE_TXT) {
        char txt[DNS_TXT_MAX];
        long k = join_txt(msg + rr.rdoff, rr.rdlen, txt);
        if (k < 0)
          continue;
        any_txt = true;
        ttl = min32(ttl, rr.ttl);
        int rc = cb ? cb(ud, txt, (size_t)k, rr.ttl) : 0;
        if (rc) {
          if (min_ttl)
            *min_ttl = ttl;
          return rc;
        }
      } else if (rr.type == DNS_TYPE_CNAME && !moved) {
        size_t t = rr.rdoff;
        bool todd;
        if (read_name(msg, len, &t, next, &todd) || t != rr.rdoff + rr.rdlen)
          return TR_EPROTO;
        if (!todd) {
          moved = true;
          cname_ttl = rr.ttl;
        }
      }
    }
    if (any_txt || !moved)
      break;
    ttl = min32(ttl, cname_ttl);
    memcpy(want, next, sizeof want);
  }
  if (min_ttl)
    *min_ttl = ttl;
  return 0;
}

/* ---------------------------------------------------------------- mDNS */

#define FLAG_AA 0x0400u
#define CLASS_QU 0x8000u /* a question's top class bit: answer unicast */

/* Append the name (labels of 1..63 bytes, no final dot) uncompressed. */
static int put_name(uint8_t *out, size_t cap, size_t *o, const char *name) {
  size_t n = strlen(name), p = *o;
  if (p + n + 2 > cap)
    return TR_EBUFSIZE;
  for (size_t i = 0; i < n;) {
    const char *dot = memchr(name + i, '.', n - i);
    size_t ll = dot ? (size_t)(dot - (name + i)) : n - i;
    if (ll == 0 || ll > 63)
      return -EINVAL;
    out[p++] = (uint8_t)ll;
    memcpy(out + p, name + i, ll);
    p += ll;
    i += ll + 1;
  }
  out[p++] = 0;
  *o = p;
  return 0;
}

/* Append a record's header: name, type, class IN, ttl; its rdlength's
 * place goes to *rdl (filled by end_rr). */
static int put_rr(uint8_t *out, size_t cap, size_t *o, const char *name,
                  uint16_t type, uint32_t ttl, size_t *rdl) {
  int rc = put_name(out, cap, o, name);
  if (rc)
    return rc;
  if (*o + 10 > cap)
    return TR_EBUFSIZE;
  put16(out + *o, type);
  put16(out + *o + 2, DNS_CLASS_IN);
  put16(out + *o + 4, (uint16_t)(ttl >> 16));
  put16(out + *o + 6, (uint16_t)ttl);
  *rdl = *o + 8;
  *o += 10;
  return 0;
}

static void end_rr(uint8_t *out, size_t o, size_t rdl) {
  put16(out + rdl, (uint16_t)(o - rdl - 2));
}

int dns_mdns_query(uint8_t *out, size_t cap) {
  int n = dns_query_encode(0, DNS_MDNS_SERVICE, DNS_TYPE_PTR, out, cap);
  if (n > 0)
    put16(out + 2, 0); /* no recursion: mDNS */
  return n;
}

int dns_mdns_asks(const uint8_t *msg, size_t len, bool *unicast) {
  *unicast = false;
  if (len < HDR_LEN)
    return TR_EPROTO;
  uint16_t flags = get16(msg + 2);
  if ((flags & FLAG_QR) || (flags & OPCODE_MASK))
    return 0;
  unsigned qd = get16(msg + 4);
  size_t off = HDR_LEN;
  int asks = 0;
  for (unsigned i = 0; i < qd && i < DNS_RR_MAX; i++) {
    char qn[DNS_NAME_MAX + 2];
    bool odd;
    if (read_name(msg, len, &off, qn, &odd) || off + 4 > len)
      return TR_EPROTO;
    uint16_t type = get16(msg + off), cls = get16(msg + off + 2);
    off += 4;
    if (!odd && !strcmp(qn, DNS_MDNS_SERVICE) &&
        (type == DNS_TYPE_PTR || type == DNS_TYPE_ANY) &&
        (cls & ~CLASS_QU) == DNS_CLASS_IN) {
      asks = 1;
      *unicast = (cls & CLASS_QU) != 0;
    }
  }
  return asks;
}

int dns_mdns_answer(const char *name, const char *const *txt, size_t n,
                    const uint8_t *ip4, uint8_t *out, size_t cap) {
  size_t nl = strlen(name);
  if (!nl || nl > 63)
    return -EINVAL;
  for (size_t i = 0; i < nl; i++)
    if (!((name[i] >= 'a' && name[i] <= 'z') ||
          (name[i] >= '0' && name[i] <= '9')))
      return -EINVAL;
  char inst[DNS_NAME_MAX + 2], host[80];
  snprintf(inst, sizeof inst, "%s." DNS_MDNS_SERVICE, name);
  snprintf(host, sizeof host, "%s.local", name);
  if (cap < HDR_LEN)
    return TR_EBUFSIZE;
  memset(out, 0, HDR_LEN);
  put16(out + 2, FLAG_QR | FLAG_AA);
  put16(out + 6, 1);                    /* the PTR */
  put16(out + 10, (uint16_t)(ip4 ? 3 : 2)); /* SRV, TXT, A */
  size_t o = HDR_LEN, rdl;
  int rc;
  /* zeroconf's TTLs: 3200 s, and 120 s for address records. */
  if ((rc = put_rr(out, cap, &o, DNS_MDNS_SERVICE, DNS_TYPE_PTR, 3200, &rdl)) ||
      (rc = put_name(out, cap, &o, inst)))
    return rc;
  end_rr(out, o, rdl);
  if ((rc = put_rr(out, cap, &o, inst, DNS_TYPE_SRV, 3200, &rdl)))
    return rc;
  if (o + 6 > cap)
    return TR_EBUFSIZE;
  put16(out + o, 0), put16(out + o + 2, 0), put16(out + o + 4, 4001);
  o += 6;
  if ((rc = put_name(out, cap, &o, host)))
    return rc;
  end_rr(out, o, rdl);
  if ((rc = put_rr(out, cap, &o, inst, DNS_TYPE_TXT, 3200, &rdl)))
    return rc;
  for (size_t i = 0; i < n; i++) {
    size_t sl = strlen(txt[i]);
    if (sl > 255)
      return -EINVAL;
    if (o + 1 + sl > cap)
      return TR_EBUFSIZE;
    out[o++] = (uint8_t)sl;
    memcpy(out + o, txt[i], sl);
    o += sl;
  }
  if (!n) { /* a TXT record holds one string at least */
    if (o + 1 > cap)
      return TR_EBUFSIZE;
    out[o++] = 0;
  }
  end_rr(out, o, rdl);
  if (ip4) {
    if ((rc = put_rr(out, cap, &o, host, DNS_TYPE_A, 120, &rdl)))
      return rc;
    if (o + 4 > cap)
      return TR_EBUFSIZE;
    memcpy(out + o, ip4, 4);
    o += 4;
    end_rr(out, o, rdl);
  }
  return (int)o;
}

int dns_mdns_txts(const uint8_t *msg, size_t len, dns_mdns_txt_cb cb,
                  void *ud) {
  if (len > DNS_MSG_MAX)
    return TR_ETOOBIG;
  if (len < HDR_LEN)
    return TR_EPROTO;
  if (!(get16(msg + 2) & FLAG_QR))
    return 0;
  unsigned qd = get16(msg + 4);
  unsigned rrs = (unsigned)get16(msg + 6) + get16(msg + 8) + get16(msg + 10);
  size_t off = HDR_LEN;
  for (unsigned i = 0; i < qd && i < DNS_RR_MAX; i++) {
    char qn[DNS_NAME_MAX + 2];
    bool odd;
    if (read_name(msg, len, &off, qn, &odd) || off + 4 > len)
      return TR_EPROTO;
    off += 4;
  }
  static const char suffix[] = "." DNS_MDNS_SERVICE;
  for (unsigned i = 0; i < rrs && i < DNS_RR_MAX; i++) {
    rr_t rr;
    if (read_rr(msg, len, &off, &rr))
      return TR_EPROTO;
    size_t ol = strlen(rr.owner);
    if (rr.type != DNS_TYPE_TXT || (rr.cls & 0x7fff) != DNS_CLASS_IN ||
        ol <= sizeof suffix - 1 ||
        strcmp(rr.owner + ol - (sizeof suffix - 1), suffix))
      continue;
    const uint8_t *rd = msg + rr.rdoff;
    for (size_t j = 0; j < rr.rdlen;) {
      size_t sl = rd[j++];
      if (sl > rr.rdlen - j)
        return TR_EPROTO;
      if (sl)
        cb(ud, (const char *)rd + j, sl);
      j += sl;
    }
  }
  return 0;
}

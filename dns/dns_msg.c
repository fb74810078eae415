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

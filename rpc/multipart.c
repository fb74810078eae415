/*
 * multipart.c — the streaming multipart/form-data parser of multipart.h.
 *
 * The body is scanned for the delimiter "\r\n--BOUNDARY".  The very first
 * delimiter may come without its CRLF, so the parser starts as if "\r\n" had
 * already been seen (held = 2).  At the end of each feed, the longest suffix
 * of the input that is a prefix of the delimiter is held back: its bytes are
 * known (they are delim[0..held)), so nothing is copied; when the next feed
 * shows they were data after all, they are released as a view into delim.
 * Pure computation over caller memory plus one header buffer; no I/O.
 */
#include "multipart.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

enum { S_PREAMBLE, S_AFTER, S_HEADERS, S_DATA, S_DONE };

/* ------------------------------------------------------------- boundary */

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

static char lc(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

/* Parse one parameter value at *s (quoted-string or token) into out
 * (unescaped); advances *s.  Returns the length, or -1. */
static int param_value(const char **s, char *out, size_t outsz) {
  const char *p = *s;
  size_t n = 0;
  if (*p == '"') {
    for (p++; *p && *p != '"'; p++) {
      if (*p == '\\' && p[1])
        p++;
      if (n + 1 >= outsz)
        return -1;
      out[n++] = *p;
    }
    if (*p != '"')
      return -1;
    p++;
  } else {
    for (; *p && *p != ';' && !is_ows(*p); p++) {
      if (n + 1 >= outsz)
        return -1;
      out[n++] = *p;
    }
  }
  out[n] = 0;
  *s = p;
  return (int)n;
}

int rpc_mp_boundary(const char *ct, char *out, size_t outsz) {
  if (!ct)
    return TR_EMULTIPART;
  while (is_ows(*ct))
    ct++;
  if (strncasecmp(ct, "multipart/", 10))
    return TR_EMULTIPART;
  const char *p = strchr(ct, ';');
  while (p && *p == ';') {
    p++;
    while (is_ows(*p))
      p++;
    const char *key = p;
    while (*p && *p != '=' && *p != ';')
      p++;
    size_t klen = (size_t)(p - key);
    while (klen && is_ows(key[klen - 1]))
      klen--;
    if (*p != '=')
      continue;
    p++;
    while (is_ows(*p))
      p++;
    char val[RPC_MP_MAX_BOUNDARY + 2];
    int n = param_value(&p, val, sizeof val);
    if (n < 0)
      return TR_EMULTIPART;
    if (klen == 8 && !strncasecmp(key, "boundary", 8)) {
      if (n < 1 || n > RPC_MP_MAX_BOUNDARY || val[n - 1] == ' ' ||
          (size_t)n + 1 > outsz)
        return TR_EMULTIPART;
      for (int i = 0; i < n; i++)
        if ((unsigned char)val[i] < 0x20 || (unsigned char)val[i] > 0x7e)
          return TR_EMULTIPART;
      memcpy(out, val, (size_t)n + 1);
      return 0;
    }
    while (*p && *p != ';')
      p++;
  }
  return TR_EMULTIPART;
}

int rpc_mp_init(rpc_mp_t *p, const char *content_type, size_t max_header) {
  memset(p, 0, sizeof *p);
  char b[RPC_MP_MAX_BOUNDARY + 1];
  int rc = rpc_mp_boundary(content_type, b, sizeof b);
  if (rc)
    return rc;
  size_t bl = strlen(b);
  memcpy(p->delim, "\r\n--", 4);
  memcpy(p->delim + 4, b, bl);
  p->dlen = 4 + bl;
  p->state = S_PREAMBLE;
  p->held = 2; /* the first delimiter may start the body without CRLF */
  p->max_header = max_header ? max_header : RPC_MP_MAX_HEADER;
  return 0;
}

void rpc_mp_free(rpc_mp_t *p) {
  tr_free(p->hbuf);
  p->hbuf = NULL;
  p->hlen = p->hcap = 0;
}

int rpc_mp_finish(const rpc_mp_t *p) {
  if (p->err)
    return p->err;
  return p->state == S_DONE ? 0 : TR_ETRUNC;
}

/* -------------------------------------------------------------- headers */

/* Parse Content-Disposition parameters of the value v, in place: a quoted
 * value is unescaped over itself, a token value is moved one byte left
 * (over the '=' or blank before it) so that its NUL does not clobber the
 * ';' after it. */
static void parse_disposition(char *v, rpc_mp_part_t *part) {
  char *p = v + strcspn(v, ";");
  while (*p == ';') {
    p++;
    while (is_ows(*p))
      p++;
    char *key = p;
    p += strcspn(p, "=;");
    size_t klen = (size_t)(p - key);
    while (klen && is_ows(key[klen - 1]))
      klen--;
    if (*p != '=')
      continue;
    p++;
    while (is_ows(*p))
      p++;
    char *val;
    if (*p == '"') {
      char *w = p;
      const char *r = p + 1;
      while (*r && *r != '"') {
        if (*r == '\\' && r[1])
          r++;
        *w++ = *r++;
      }
      if (*r != '"')
        return; /* an unterminated quote: take nothing from it */
      *w = 0;
      val = p;
      p = (char *)r + 1;
    } else {
      size_t n = strcspn(p, "; \t");
      val = p - 1;
      memmove(val, p, n);
      val[n] = 0;
      p += n;
    }
    if (klen == 4 && !strncasecmp(key, "name", 4))
      part->name = val;
    else if (klen == 8 && !strncasecmp(key, "filename", 8))
      part->filename = val;
    p += strcspn(p, ";");
  }
}

/* Split hbuf ("\r\n" + lines) into the part's fields. */
static int parse_headers(rpc_mp_t *p, rpc_mp_part_t *part) {
  memset(part, 0, sizeof *part);
  part->name = "";
  part->content_type = "";
  char *s = p->hbuf + 2, *end = p->hbuf + p->hlen;
  while (s < end) {
    char *eol = memchr(s, '\r', (size_t)(end - s));
    if (!eol || eol + 1 >= end || eol[1] != '\n')
      return TR_EMULTIPART;
    *eol = 0;
    if (memchr(s, 0, (size_t)(eol - s)))
      return TR_EMULTIPART; /* a NUL inside a header */
    char *colon = strchr(s, ':');
    if (!colon)
      return TR_EMULTIPART;
    char *name = s;
    size_t nlen = (size_t)(colon - s);
    while (nlen && is_ows(name[nlen - 1]))
      nlen--;
    name[nlen] = 0;
    char *v = colon + 1;
    while (is_ows(*v))
      v++;
    size_t vlen = strlen(v);
    while (vlen && is_ows(v[vlen - 1]))
      v[--vlen] = 0;
    if (!strcasecmp(name, "content-disposition")) {
      parse_disposition(v, part);
    } else if (!strcasecmp(name, "content-type")) {
      size_t t = strcspn(v, ";");
      while (t && is_ows(v[t - 1]))
        t--;
      v[t] = 0;
      for (size_t i = 0; i < t; i++)
        v[i] = lc(v[i]);
      part->content_type = v;
    } else if (!strcasecmp(name, "abspath")) {
      part->abspath = v;
    } else if (!strcasecmp(name, "abspath-encoded")) {
      part->abspath_encoded = v;
    }
    s = eol + 2;
  }
  return 0;
}

/* Collect header bytes until the blank line.  Returns RPC_MP_PART,
 * RPC_MP_NEED_MORE or an error; *n is set to the input bytes taken. */
static int feed_headers(rpc_mp_t *p, const uint8_t *in, size_t len, size_t *n,
                        rpc_mp_event_t *ev) {
  if (!p->hbuf) {
    p->hcap = p->max_header + 4;
    if (!(p->hbuf = tr_malloc(p->hcap)))
      return -ENOMEM;
  }
  if (p->hlen == 0) { /* the CRLF that ended the delimiter line */
    memcpy(p->hbuf, "\r\n", 2);
    p->hlen = 2;
  }
  size_t cap = p->max_header + 2;
  size_t take = len < cap - p->hlen ? len : cap - p->hlen;
  size_t old = p->hlen;
  memcpy(p->hbuf + old, in, take);
  p->hlen += take;
  size_t from = old >= 3 ? old - 3 : 0;
  for (size_t i = from; i + 4 <= p->hlen; i++) {
    if (p->hbuf[i] == '\r' && !memcmp(p->hbuf + i, "\r\n\r\n", 4)) {
      *n = i + 4 - old;
      p->hlen = i + 2; /* keep the CRLF that ends the last line */
      int rc = parse_headers(p, &ev->part);
      p->hlen = 0;
      if (rc)
        return rc;
      p->parts++;
      p->state = S_DATA;
      p->held = 0;
      return RPC_MP_PART;
    }
  }
  *n = take;
  if (p->hlen == cap)
    return TR_ETOOBIG;
  return RPC_MP_NEED_MORE;
}

/* --------------------------------------------------------- after delims */

/* After a delimiter: "--" closes the body; otherwise transport padding
 * (spaces, tabs) and CRLF lead to the next part's headers. */
static int feed_after(rpc_mp_t *p, const uint8_t *in, size_t len, size_t *n) {
  size_t i = 0;
  for (; i < len; i++) {
    uint8_t c = in[i];
    switch (p->nafter) {
    case 0:
      p->nafter = c == '-' ? 1 : is_ows((char)c) ? 2 : c == '\r' ? 3 : 9;
      break;
    case 1:
      if (c != '-')
        return TR_EMULTIPART;
      *n = i + 1;
      p->state = S_DONE;
      return RPC_MP_END;
    case 2:
      p->nafter = is_ows((char)c) ? 2 : c == '\r' ? 3 : 9;
      break;
    case 3:
      if (c != '\n')
        return TR_EMULTIPART;
      *n = i + 1;
      p->state = S_HEADERS;
      p->nafter = 0;
      p->hlen = 0;
      return RPC_MP_NEED_MORE; /* no event yet: go on with the headers */
    }
    if (p->nafter == 9)
      return TR_EMULTIPART;
  }
  *n = i;
  return RPC_MP_NEED_MORE;
}

/* ----------------------------------------------------------------- feed */

/* A delimiter was just consumed in the preamble or in a part. */
static int delimiter_seen(rpc_mp_t *p) {
  int was = p->state;
  p->state = S_AFTER;
  p->nafter = 0;
  p->held = 0;
  return was == S_DATA ? RPC_MP_PART_END : RPC_MP_NEED_MORE;
}

const char *rpc_mp_delim(const rpc_mp_t *p, size_t *len) {
  *len = p->dlen;
  return p->delim;
}

void rpc_mp_clean(rpc_mp_t *p, size_t n) { p->clean = n; }

static int feed(rpc_mp_t *p, const uint8_t *in, size_t len, size_t *used,
                rpc_mp_event_t *ev) {
  size_t off = 0;
  int rc = RPC_MP_NEED_MORE;
  *used = 0;
  if (p->err)
    return p->err;
  memset(ev, 0, sizeof *ev);
  for (;;) {
    size_t n = 0;
    switch (p->state) {
    case S_DONE: /* the epilogue is ignored */
      *used = len;
      return RPC_MP_NEED_MORE;
    case S_AFTER:
      rc = feed_after(p, in + off, len - off, &n);
      off += n;
      if (rc < 0)
        goto fail;
      if (rc == RPC_MP_END) {
        *used = off;
        return rc;
      }
      if (p->state == S_AFTER) {
        *used = off;
        return RPC_MP_NEED_MORE;
      }
      continue;
    case S_HEADERS:
      rc = feed_headers(p, in + off, len - off, &n, ev);
      off += n;
      if (rc < 0)
        goto fail;
      *used = off;
      return rc;
    default:
      break;
    }
    /* S_PREAMBLE or S_DATA: look for the delimiter. */
    bool data = p->state == S_DATA;
    if (p->release || p->release_dash) {
      const uint8_t *d = (const uint8_t *)p->delim;
      size_t r = p->release;
      if (r)
        p->release = 0;
      else {
        d = (const uint8_t *)"-";
        r = 1;
        p->release_dash = false;
      }
      if (data) {
        ev->data = d;
        ev->len = r;
        *used = off;
        return RPC_MP_DATA;
      }
      continue;
    }
    if (p->held == p->dlen) {
      /* A whole delimiter: it counts if a blank, CR, LF or "--" follows
       * (Go's matchAfterPrefix); otherwise it was data. */
      if (off == len) {
        *used = off;
        return RPC_MP_NEED_MORE;
      }
      uint8_t c = in[off];
      if (!p->dash && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
        rc = delimiter_seen(p);
      } else if (!p->dash && c == '-') {
        p->dash = true;
        off++;
        continue;
      } else if (p->dash && c == '-') {
        p->dash = false;
        rc = delimiter_seen(p);
        p->nafter = 1; /* the first '-' of "--" is consumed */
      } else {
        p->release = p->dlen;
        p->release_dash = p->dash;
        p->dash = false;
        p->held = 0;
        continue;
      }
      if (rc == RPC_MP_PART_END) {
        *used = off;
        return rc;
      }
      continue;
    }
    if (p->held) {
      size_t need = p->dlen - p->held;
      size_t k = len - off < need ? len - off : need;
      if (k == 0) {
        *used = off;
        return RPC_MP_NEED_MORE;
      }
      if (!memcmp(in + off, p->delim + p->held, k)) {
        off += k;
        p->held += k;
        if (k == need)
          continue; /* a whole delimiter: see what follows */
        *used = off;
        return RPC_MP_NEED_MORE;
      }
      /* Not the delimiter at that alignment.  The shortest shift s that
       * leaves the held bytes a prefix of the delimiter again decides how
       * many of them are data for sure. */
      size_t s = 1;
      while (s < p->held && memcmp(p->delim + s, p->delim, p->held - s))
        s++;
      p->release = s;
      p->held -= s;
      continue;
    }
    /* A delimiter lies whole in no byte of in[0..clean): one can start
     * only after clean - dlen. */
    size_t from = p->clean >= off + p->dlen ? p->clean - p->dlen + 1 : off;
    if (from > len)
      from = len;
    const uint8_t *q = memmem(in + from, len - from, p->delim, p->dlen);
    if (q) {
      size_t k = (size_t)(q - (in + off));
      if (k > 0) {
        ev->data = in + off;
        ev->len = k;
        off += k;
        if (data) {
          *used = off;
          return RPC_MP_DATA;
        }
      }
      off += p->dlen;
      p->held = p->dlen;
      continue;
    }
    /* No whole delimiter: hold back the longest suffix that starts one. */
    size_t rem = len - off, t = rem >= p->dlen ? rem - (p->dlen - 1) : 0;
    for (; t < rem; t++)
      if (in[off + t] == '\r' && !memcmp(in + off + t, p->delim, rem - t))
        break;
    p->held = rem - t;
    *used = len;
    if (data && t > 0) {
      ev->data = in + off;
      ev->len = t;
      return RPC_MP_DATA;
    }
    ev->data = NULL;
    ev->len = 0;
    return RPC_MP_NEED_MORE;
  }
fail:
  p->err = rc;
  *used = off;
  return rc;
}

int rpc_mp_feed(rpc_mp_t *p, const uint8_t *in, size_t len, size_t *used,
                rpc_mp_event_t *ev) {
  int rc = feed(p, in, len, used, ev);
  /* The hint counts from the next byte fed. */
  p->clean = p->clean > *used ? p->clean - *used : 0;
  return rc;
}

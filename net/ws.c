/*
 * ws.c — RFC 6455 framing and handshake for the WebSocket transport (see
 * ws.h).  The decoder is a byte-at-a-time state machine for the header and
 * a bulk copy for payloads, so a frame may be cut anywhere between reads.
 */
#include "ws.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "../dag/multibase.h"

static const char GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

void net_ws_init(net_ws_t *ws, bool client) {
  memset(ws, 0, sizeof *ws);
  ws->client = client;
}

/* ------------------------------------------------------------- frames */

/* XOR p[0..n) with the mask key from its byte off on: eight bytes at a
 * time (a byte loop held a /ws stream to 0.6 of TCP's rate). */
static void xor_mask(uint8_t *p, size_t n, const uint8_t mask[4],
                     unsigned off) {
  uint8_t pat[8];
  for (unsigned i = 0; i < 8; i++)
    pat[i] = mask[(off + i) & 3];
  uint64_t k;
  memcpy(&k, pat, 8);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    memcpy(&v, p + i, 8);
    v ^= k;
    memcpy(p + i, &v, 8);
  }
  for (; i < n; i++)
    p[i] ^= pat[i & 7];
}

void net_ws_mask(uint8_t *p, size_t n, const uint8_t mask[4]) {
  xor_mask(p, n, mask, 0);
}

size_t net_ws_header(uint8_t out[NET_WS_HDR_MAX], uint8_t opcode,
                     uint64_t len, const uint8_t *mask) {
  size_t n = 0;
  out[n++] = (uint8_t)(0x80 | (opcode & 0x0f));
  uint8_t m = mask ? 0x80 : 0;
  if (len < 126) {
    out[n++] = (uint8_t)(m | len);
  } else if (len <= 0xffff) {
    out[n++] = (uint8_t)(m | 126);
    out[n++] = (uint8_t)(len >> 8), out[n++] = (uint8_t)len;
  } else {
    out[n++] = (uint8_t)(m | 127);
    for (int s = 56; s >= 0; s -= 8)
      out[n++] = (uint8_t)(len >> s);
  }
  if (mask) {
    memcpy(out + n, mask, 4);
    n += 4;
  }
  return n;
}

size_t net_ws_pong(net_ws_t *ws, uint8_t *out, const uint8_t *mask) {
  size_t h = net_ws_header(out, NET_WS_PONG, ws->plen, mask);
  memcpy(out + h, ws->ping, ws->plen);
  if (mask)
    net_ws_mask(out + h, ws->plen, mask);
  ws->pong_due = false;
  return h + ws->plen;
}

/* Bytes the header needs in all, from what it holds (at least 2). */
static size_t hdr_need(const net_ws_t *ws) {
  size_t need = 2;
  if (ws->hlen < 2)
    return need;
  uint8_t l = ws->hdr[1] & 0x7f;
  need += l == 126 ? 2 : l == 127 ? 8 : 0;
  need += (ws->hdr[1] & 0x80) ? 4 : 0;
  return need;
}

/* The header is whole: check it and set the frame up. */
static int hdr_done(net_ws_t *ws) {
  uint8_t b0 = ws->hdr[0], b1 = ws->hdr[1];
  bool fin = b0 & 0x80;
  uint8_t op = b0 & 0x0f;
  if (b0 & 0x70)
    return TR_EPROTO; /* no extension was negotiated */
  ws->masked = b1 & 0x80;
  if (ws->masked == ws->client)
    return TR_EPROTO; /* clients mask, servers do not (RFC 6455 5.1) */
  uint64_t len = b1 & 0x7f;
  size_t at = 2;
  if (len == 126) {
    len = (uint64_t)ws->hdr[2] << 8 | ws->hdr[3];
    at = 4;
  } else if (len == 127) {
    len = 0;
    for (int i = 0; i < 8; i++)
      len = len << 8 | ws->hdr[2 + i];
    at = 10;
    if (len >> 63)
      return TR_EPROTO;
  }
  if (ws->masked)
    memcpy(ws->mask, ws->hdr + at, 4);
  switch (op) {
  case NET_WS_CONT:
    if (!ws->in_msg)
      return TR_EPROTO;
    break;
  case NET_WS_TEXT:
  case NET_WS_BIN:
    if (ws->in_msg)
      return TR_EPROTO;
    break;
  case NET_WS_CLOSE:
  case NET_WS_PING:
  case NET_WS_PONG:
    if (!fin || len > NET_WS_CTRL_MAX)
      return TR_EPROTO;
    break;
  default:
    return TR_EPROTO;
  }
  if (op < NET_WS_CLOSE)
    ws->in_msg = !fin;
  ws->opcode = op;
  ws->left = len;
  ws->moff = 0;
  ws->clen = 0;
  ws->in_frame = true;
  ws->hlen = 0;
  return 0;
}

/* A control frame's payload is whole. */
static void ctrl_done(net_ws_t *ws) {
  if (ws->opcode == NET_WS_PING) {
    memcpy(ws->ping, ws->ctrl, ws->clen);
    ws->plen = ws->clen;
    ws->pong_due = true;
  } else if (ws->opcode == NET_WS_CLOSE) {
    ws->closed = true;
  }
}

int net_ws_recv(net_ws_t *ws, uint8_t *p, size_t n, size_t *out) {
  size_t r = 0, w = 0;
  *out = 0;
  if (ws->failed)
    return TR_EPROTO;
  while (r < n && !ws->closed) {
    if (!ws->in_frame) {
      ws->hdr[ws->hlen++] = p[r++];
      if (ws->hlen == hdr_need(ws)) {
        int rc = hdr_done(ws);
        if (rc) {
          ws->failed = true; /* and hdr[] is full: no more bytes go there */
          return rc;
        }
      }
    } else {
      size_t k = n - r < ws->left ? n - r : (size_t)ws->left;
      if (ws->opcode >= NET_WS_CLOSE) {
        memcpy(ws->ctrl + ws->clen, p + r, k);
        if (ws->masked)
          xor_mask(ws->ctrl + ws->clen, k, ws->mask, ws->moff);
        ws->clen = (uint8_t)(ws->clen + k);
      } else {
        if (w != r)
          memmove(p + w, p + r, k);
        if (ws->masked)
          xor_mask(p + w, k, ws->mask, ws->moff);
        w += k;
      }
      ws->moff = (uint8_t)((ws->moff + k) & 3);
      r += k;
      ws->left -= k;
    }
    if (ws->in_frame && ws->left == 0) {
      if (ws->opcode >= NET_WS_CLOSE)
        ctrl_done(ws);
      ws->in_frame = false;
    }
  }
  *out = w;
  return 0;
}

/* ---------------------------------------------------------- handshake */

/* Padded base64 of in[0..n) (n <= 20) into out, NUL-terminated: the
 * multibase encoder's, without its prefix. */
static void b64(const uint8_t *in, size_t n, char *out) {
  char m[DAG_MB_ENCODED_MAX(20)];
  int k = dag_mb_encode(DAG_MB_BASE64PAD, in, n, m, sizeof m);
  if (k < 1)
    k = 1; /* cannot happen for 20 bytes; an empty key matches nothing */
  memcpy(out, m + 1, (size_t)k); /* the NUL too */
}

void net_ws_accept(const char *key, size_t klen,
                   char out[NET_WS_ACCEPT_B64 + 1]) {
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  if (!c || !EVP_DigestInit_ex(c, EVP_sha1(), NULL) ||
      !EVP_DigestUpdate(c, key, klen) ||
      !EVP_DigestUpdate(c, GUID, sizeof GUID - 1) ||
      !EVP_DigestFinal_ex(c, md, &mdlen) || mdlen != 20)
    memset(md, 0, sizeof md), mdlen = 20; /* matches no peer's answer */
  EVP_MD_CTX_free(c);
  b64(md, mdlen, out);
}

int net_ws_request(char *out, size_t cap, const char *host,
                   const uint8_t key[NET_WS_KEY_LEN]) {
  char k[NET_WS_KEY_B64 + 1];
  b64(key, NET_WS_KEY_LEN, k);
  int n = snprintf(out, cap,
                   "GET / HTTP/1.1\r\n"
                   "Host: %s\r\n"
                   "Upgrade: websocket\r\n"
                   "Connection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\n"
                   "Sec-WebSocket-Version: 13\r\n"
                   "\r\n",
                   host, k);
  return n < 0 || (size_t)n >= cap ? TR_ETOOBIG : n;
}

/* The head's length (through its empty line), 0 while it is incomplete,
 * TR_EPROTO past NET_WS_HEAD_MAX. */
static int head_len(const uint8_t *p, size_t n) {
  size_t lim = n < NET_WS_HEAD_MAX ? n : NET_WS_HEAD_MAX;
  for (size_t i = 0; i + 3 < lim; i++)
    if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' &&
        p[i + 3] == '\n')
      return (int)(i + 4);
  return n >= NET_WS_HEAD_MAX ? TR_EPROTO : 0;
}

typedef struct field {
  const char *v;
  size_t n;
} field_t;

/* A header field's value in head[0..n) (lines after the first), its
 * surrounding whitespace trimmed; false when absent.  A field given twice
 * is refused (no WebSocket header may repeat in a handshake we accept). */
static bool field(const char *h, size_t n, const char *name, field_t *f) {
  size_t nl = strlen(name);
  bool found = false;
  const char *line = memchr(h, '\n', n);
  while (line && (size_t)(line + 1 - h) < n) {
    const char *s = line + 1;
    const char *e = memchr(s, '\n', n - (size_t)(s - h));
    if (!e)
      break;
    if ((size_t)(e - s) > nl && s[nl] == ':' && !strncasecmp(s, name, nl)) {
      if (found)
        return false;
      const char *v = s + nl + 1, *ve = e;
      while (v < ve && (*v == ' ' || *v == '\t'))
        v++;
      while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
      *f = (field_t){v, (size_t)(ve - v)};
      found = true;
    }
    line = e;
  }
  return found;
}

/* Whether a comma-separated list of tokens holds tok (any case). */
static bool has_token(field_t f, const char *tok) {
  size_t tl = strlen(tok);
  const char *s = f.v, *e = f.v + f.n;
  while (s < e) {
    const char *c = memchr(s, ',', (size_t)(e - s));
    const char *te = c ? c : e;
    const char *a = s;
    while (a < te && (*a == ' ' || *a == '\t'))
      a++;
    const char *b = te;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
      b--;
    if ((size_t)(b - a) == tl && !strncasecmp(a, tok, tl))
      return true;
    s = c ? c + 1 : e;
  }
  return false;
}

static bool is_b64(char c) {
  return isalnum((unsigned char)c) || c == '+' || c == '/';
}

int net_ws_server_head(const uint8_t *p, size_t n, char *resp, size_t cap,
                       size_t *rlen) {
  int len = head_len(p, n);
  if (len <= 0)
    return len;
  const char *h = (const char *)p;
  /* "GET <target> HTTP/1.1" */
  const char *eol = memchr(h, '\r', (size_t)len);
  if (!eol || eol - h < 14 || memcmp(h, "GET ", 4) ||
      memcmp(eol - 9, " HTTP/1.1", 9))
    return TR_EPROTO;
  field_t up, conn, key, ver, host;
  if (!field(h, (size_t)len, "Host", &host) ||
      !field(h, (size_t)len, "Upgrade", &up) ||
      !has_token(up, "websocket") ||
      !field(h, (size_t)len, "Connection", &conn) ||
      !has_token(conn, "upgrade") ||
      !field(h, (size_t)len, "Sec-WebSocket-Version", &ver) ||
      ver.n != 2 || memcmp(ver.v, "13", 2) ||
      !field(h, (size_t)len, "Sec-WebSocket-Key", &key) ||
      key.n != NET_WS_KEY_B64 || memcmp(key.v + 22, "==", 2))
    return TR_EPROTO;
  for (size_t i = 0; i < 22; i++)
    if (!is_b64(key.v[i]))
      return TR_EPROTO;
  char acc[NET_WS_ACCEPT_B64 + 1];
  net_ws_accept(key.v, key.n, acc);
  int k = snprintf(resp, cap,
                   "HTTP/1.1 101 Switching Protocols\r\n"
                   "Upgrade: websocket\r\n"
                   "Connection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: %s\r\n"
                   "\r\n",
                   acc);
  if (k < 0 || (size_t)k >= cap)
    return TR_ETOOBIG;
  *rlen = (size_t)k;
  return len;
}

int net_ws_client_head(const uint8_t *p, size_t n,
                       const uint8_t key[NET_WS_KEY_LEN]) {
  int len = head_len(p, n);
  if (len <= 0)
    return len;
  const char *h = (const char *)p;
  if ((size_t)len < 13 || memcmp(h, "HTTP/1.1 101", 12) ||
      (h[12] != ' ' && h[12] != '\r'))
    return TR_EPROTO;
  field_t up, conn, acc;
  if (!field(h, (size_t)len, "Upgrade", &up) ||
      !has_token(up, "websocket") ||
      !field(h, (size_t)len, "Connection", &conn) ||
      !has_token(conn, "upgrade") ||
      !field(h, (size_t)len, "Sec-WebSocket-Accept", &acc) ||
      acc.n != NET_WS_ACCEPT_B64)
    return TR_EPROTO;
  char k[NET_WS_KEY_B64 + 1], want[NET_WS_ACCEPT_B64 + 1];
  b64(key, NET_WS_KEY_LEN, k);
  net_ws_accept(k, NET_WS_KEY_B64, want);
  return memcmp(acc.v, want, NET_WS_ACCEPT_B64) ? TR_EPROTO : len;
}

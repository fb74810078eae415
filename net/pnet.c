/*
 * pnet.c — libp2p private networks (see pnet.h): the swarm.key reader, the
 * fingerprint Kubo prints, and the XSalsa20 protector.  No I/O, no
 * allocation (OpenSSL allocates its digest context for the fingerprint).
 *
 * The key reader mirrors what go-libp2p's DecodeV1PSK does through its
 * readers (bufio lines, then encoding/hex or encoding/base64 decoders that
 * are read until 32 bytes are out), so that a file Kubo accepts works here
 * and one it refuses is refused; tests/vectors/pnet/keys.txt holds go's
 * verdicts and tests/test_pnet.c checks each.
 */
#include "pnet.h"

#include <errno.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

/* --------------------------------------------------------- swarm.key */

/* The next line of p[0..n) from *off: its text up to the first '\n',
 * without the '\r's just before it (go's bytes.TrimRight(line, "\r\n")).
 * false when no '\n' is left (go's ReadBytes fails with EOF there). */
static bool next_line(const uint8_t *p, size_t n, size_t *off,
                      const uint8_t **s, size_t *len) {
  const uint8_t *nl = memchr(p + *off, '\n', n - *off);
  if (!nl)
    return false;
  size_t end = (size_t)(nl - p), e = end;
  while (e > *off && p[e - 1] == '\r')
    e--;
  *s = p + *off;
  *len = e - *off;
  *off = end + 1;
  return true;
}

static bool line_is(const uint8_t *s, size_t len, const char *text) {
  return len == strlen(text) && !memcmp(s, text, len);
}

/* Go's hex.Decoder: the next 64 bytes must be hex digits; what follows is
 * never read. */
static int parse_hex(const uint8_t *p, size_t n, uint8_t *psk,
                     const char **why) {
  for (size_t i = 0; i < 2 * NET_PNET_KEY_LEN; i++) {
    if (i == n) {
      *why = "key shorter than 32 bytes (64 hex digits)";
      return TR_ESWARMKEY;
    }
    int v = tr_hexval(p[i]);
    if (v < 0) {
      /* A line end there: the key is short (go calls it a bad byte). */
      *why = p[i] == '\n' || p[i] == '\r'
                 ? "key shorter than 32 bytes (64 hex digits)"
                 : "not a hex digit in the key";
      return TR_ESWARMKEY;
    }
    if (i % 2)
      psk[i / 2] = (uint8_t)(psk[i / 2] << 4 | v);
    else
      psk[i / 2] = (uint8_t)v;
  }
  return 0;
}

static int b64val(uint8_t c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

/* Go's base64.NewDecoder(StdEncoding): '\r' and '\n' are skipped
 * anywhere, the rest is read in 4-digit quanta until 32 bytes are out.
 * Go decodes each quantum from the 31st byte on by itself (its reads are
 * sized to what is missing), so "xxx=" (2 bytes) and "xx==" (1) end no
 * more than that read there; before it, padding is refused (pnet.h). */
static int parse_b64(const uint8_t *p, size_t n, uint8_t *psk,
                     const char **why) {
  uint8_t out[NET_PNET_KEY_LEN + 2]; /* a last quantum may give 2 too many */
  uint8_t q[4];
  size_t got = 0, qn = 0;
  for (size_t i = 0; i < n && got < NET_PNET_KEY_LEN; i++) {
    if (p[i] == '\r' || p[i] == '\n')
      continue;
    q[qn++] = p[i];
    if (qn < 4)
      continue;
    qn = 0;
    /* Digits, then the padding: "xxxx", "xxx=", "xx==". */
    size_t digits = 0;
    while (digits < 4 && b64val(q[digits]) >= 0)
      digits++;
    for (size_t k = digits; k < 4; k++)
      if (q[k] != '=') {
        *why = "not a base64 digit in the key";
        return TR_ESWARMKEY;
      }
    if (digits < 2 || (digits < 4 && got < NET_PNET_KEY_LEN - 2)) {
      *why = "base64 padding inside the key, or bad padding";
      return TR_ESWARMKEY;
    }
    uint32_t v = 0;
    for (size_t k = 0; k < 4; k++)
      v = v << 6 | (uint32_t)(k < digits ? b64val(q[k]) : 0);
    /* Bits past the last whole byte are ignored (go's StdEncoding is not
     * Strict). */
    for (size_t k = 0; k < digits - 1; k++)
      out[got++] = (uint8_t)(v >> (16 - 8 * k));
  }
  if (got < NET_PNET_KEY_LEN) {
    *why = "key shorter than 32 bytes (44 base64 digits)";
    return TR_ESWARMKEY;
  }
  memcpy(psk, out, NET_PNET_KEY_LEN);
  sodium_memzero(out, sizeof out);
  return 0;
}

int net_pnet_key_parse(const uint8_t *p, size_t n,
                       uint8_t psk[NET_PNET_KEY_LEN], const char **why) {
  const char *dummy;
  if (!why)
    why = &dummy;
  size_t off = 0, len;
  const uint8_t *s;
  if (!next_line(p, n, &off, &s, &len)) {
    *why = "no header line (expected " NET_PNET_HEADER ")";
    return TR_ESWARMKEY;
  }
  if (!line_is(s, len, NET_PNET_HEADER)) {
    *why = "expected file header " NET_PNET_HEADER;
    return TR_ESWARMKEY;
  }
  if (!next_line(p, n, &off, &s, &len)) {
    *why = "no encoding line (expected /base16/, /base64/ or /bin/)";
    return TR_ESWARMKEY;
  }
  if (line_is(s, len, "/base16/"))
    return parse_hex(p + off, n - off, psk, why);
  if (line_is(s, len, "/base64/"))
    return parse_b64(p + off, n - off, psk, why);
  if (line_is(s, len, "/bin/")) {
    if (n - off < NET_PNET_KEY_LEN) {
      *why = "key shorter than 32 bytes";
      return TR_ESWARMKEY;
    }
    memcpy(psk, p + off, NET_PNET_KEY_LEN);
    return 0;
  }
  *why = "unknown encoding (expected /base16/, /base64/ or /bin/)";
  return TR_ESWARMKEY;
}

int net_pnet_fingerprint(const uint8_t psk[NET_PNET_KEY_LEN],
                         uint8_t fp[NET_PNET_FP_LEN]) {
  uint8_t block[64];
  /* Salsa20's keystream over 64 zero bytes is the keystream itself. */
  crypto_stream_salsa20(block, sizeof block, (const uint8_t *)"finprint",
                        psk);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int ok = ctx && EVP_DigestInit_ex(ctx, EVP_shake128(), NULL) &&
           EVP_DigestUpdate(ctx, block, sizeof block) &&
           EVP_DigestFinalXOF(ctx, fp, NET_PNET_FP_LEN);
  EVP_MD_CTX_free(ctx);
  sodium_memzero(block, sizeof block);
  return ok ? 0 : -ENOMEM;
}

/* -------------------------------------------------------- the stream */

void net_pnet_stream_init(net_pnet_stream_t *s,
                          const uint8_t psk[NET_PNET_KEY_LEN],
                          const uint8_t nonce[NET_PNET_NONCE_LEN]) {
  /* What crypto_stream_xsalsa20_xor_ic() does on every call, once. */
  crypto_core_hsalsa20(s->subkey, nonce, psk, NULL);
  memcpy(s->nonce8, nonce + 16, sizeof s->nonce8);
  s->block = 0;
  s->used = sizeof s->ks;
}

void net_pnet_stream_xor(net_pnet_stream_t *s, uint8_t *out,
                         const uint8_t *in, size_t n) {
  /* The rest of a block a previous call started. */
  while (n && s->used < sizeof s->ks) {
    *out++ = *in++ ^ s->ks[s->used++];
    n--;
  }
  size_t whole = n - n % 64;
  if (whole) {
    crypto_stream_salsa20_xor_ic(out, in, whole, s->nonce8, s->block,
                                 s->subkey);
    s->block += whole / 64;
    out += whole, in += whole, n -= whole;
  }
  if (n) {
    /* Part of one block: make all of it and keep what is left. */
    memset(s->ks, 0, sizeof s->ks);
    crypto_stream_salsa20_xor_ic(s->ks, s->ks, sizeof s->ks, s->nonce8,
                                 s->block++, s->subkey);
    for (size_t i = 0; i < n; i++)
      out[i] = in[i] ^ s->ks[i];
    s->used = (uint8_t)n;
  }
}

/* ---------------------------------------------------- the connection */

void net_pnet_init(net_pnet_t *pn, const uint8_t psk[NET_PNET_KEY_LEN],
                   const uint8_t nonce[NET_PNET_NONCE_LEN]) {
  memcpy(pn->psk, psk, NET_PNET_KEY_LEN);
  net_pnet_stream_init(&pn->tx, psk, nonce);
  pn->rnlen = 0;
}

size_t net_pnet_recv(net_pnet_t *pn, uint8_t *p, size_t n) {
  size_t k = 0;
  if (pn->rnlen < NET_PNET_NONCE_LEN) {
    k = NET_PNET_NONCE_LEN - pn->rnlen;
    if (k > n)
      k = n;
    memcpy(pn->rnonce + pn->rnlen, p, k);
    pn->rnlen = (uint8_t)(pn->rnlen + k);
    if (pn->rnlen == NET_PNET_NONCE_LEN)
      net_pnet_stream_init(&pn->rx, pn->psk, pn->rnonce);
  }
  if (k < n)
    net_pnet_stream_xor(&pn->rx, p + k, p + k, n - k);
  return k;
}

bool net_pnet_nonce_starts(const net_pnet_t *pn, const uint8_t *p,
                           size_t n) {
  return n <= pn->rnlen && !memcmp(pn->rnonce, p, n);
}

void net_pnet_send(net_pnet_t *pn, uint8_t *p, size_t n) {
  net_pnet_stream_xor(&pn->tx, p, p, n);
}

void net_pnet_wipe(net_pnet_t *pn) { sodium_memzero(pn, sizeof *pn); }

/*
 * fuzz_http_client.c — libFuzzer target for the HTTP client's code free of
 * I/O (http/client_parse.c): the response parser fed what a hostile server
 * may send, and the URL parser and request writer.
 *
 * Input: byte 0 chooses the request (bit 0: HEAD) and the caps (bit 1: a
 * 100-byte body cap, bit 2: a 256-byte head cap); byte 1 seeds how the
 * second run cuts the bytes; the rest is the response byte stream, ended
 * by the connection's close.
 *
 * Properties:
 *   - the parser never crashes, never reads past what it is given, never
 *     takes more than it is given, and reports at most one head, with a
 *     status in 100..999 (never 1xx, which it skips);
 *   - body bytes never pass the cap, and never come for a 204 or 304;
 *   - feeding the stream in one piece and feeding it cut into random pieces
 *     while pausing at every event (as a paused caller makes the client
 *     do) give the same outcome: both fail (the first error may differ
 *     with the cuts), or both succeed; the same status and headers count, and for a complete response the same body bytes, keep-alive
 *     decision and end byte;
 *   - http__url_parse on the stream as text, when it accepts, yields a
 *     request http__req_build writes with CRLF line ends only, a request
 *     line of exactly two spaces, and the Host header the URL named.
 *
 * Build: make build-fuzz/fuzz_http_client; seeds in
 * tests/fuzz/corpus/fuzz_http_client (responses of Kubo's gateway, a
 * delegated router, a pinning service, and broken ones).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../http/client_int.h"

typedef struct out {
  int heads, status, nh, result;
  size_t body, end; /* body bytes; where the response ended */
  uint64_t body_hash;
  bool keep_alive, pause;
  bool err_seen;
} out_t;

static int on_head(void *ud, int status, const http_header_t *h, size_t nh) {
  out_t *o = ud;
  assert(o->heads == 0);
  assert(status >= 200 && status <= 999);
  for (size_t i = 0; i < nh; i++) {
    assert(h[i].name && h[i].value);
    for (const char *p = h[i].name; *p; p++)
      assert(!(*p >= 'A' && *p <= 'Z'));
  }
  o->heads++;
  o->status = status;
  o->nh = (int)nh;
  return o->pause ? HTTP__PAUSE : HTTP__GO;
}

static int on_body(void *ud, const uint8_t *p, size_t n) {
  out_t *o = ud;
  assert(o->heads == 1);
  assert(o->status != 204 && o->status != 304); /* never content */
  for (size_t i = 0; i < n; i++)
    o->body_hash = (o->body_hash ^ p[i]) * 1099511628211ull;
  o->body += n;
  return o->pause ? HTTP__PAUSE : HTTP__GO;
}

/* Run the parser over s[0..n), cut into pieces from seed (0: one piece). */
static void run(const uint8_t *s, size_t n, uint8_t flags, uint32_t seed,
                out_t *o) {
  memset(o, 0, sizeof *o);
  o->pause = seed != 0;
  o->body_hash = 14695981039346656037ull;
  uint64_t max_body = (flags & 2) ? 100 : UINT64_MAX;
  http__resp_t r;
  http__resp_init(&r, flags & 1, (flags & 4) ? 256 : 64u << 10, max_body,
                  on_head, on_body, o);
  size_t pos = 0;
  int rc = HTTP__RESP_MORE;
  while (pos < n) {
    size_t piece = n - pos;
    if (seed) {
      seed = seed * 1103515245u + 12345u;
      piece = 1 + (seed >> 16) % 17;
      if (piece > n - pos)
        piece = n - pos;
    }
    /* Each piece is a fresh heap copy: ASan sees any read past it. */
    uint8_t *copy = malloc(piece);
    memcpy(copy, s + pos, piece);
    size_t used = 0;
    rc = http__resp_feed(&r, copy, piece, &used);
    free(copy);
    assert(used <= piece);
    pos += used;
    if (rc < 0 || rc == HTTP__RESP_DONE)
      break;
    /* MORE takes all it is given; PAUSED may leave some for later. */
    assert(rc == HTTP__RESP_PAUSED || used == piece);
  }
  if (rc == HTTP__RESP_MORE || rc == HTTP__RESP_PAUSED)
    rc = http__resp_eof(&r);
  assert(rc < 0 || rc == HTTP__RESP_DONE);
  if (max_body != UINT64_MAX)
    assert(o->body <= max_body);
  if (rc == HTTP__RESP_DONE) {
    assert(o->heads == 1);
    o->keep_alive = r.keep_alive;
  }
  if (flags & 1)
    assert(o->body == 0);
  o->result = rc;
  o->end = pos;
  /* The sticky error: feeding more changes nothing. */
  size_t used = 0;
  int again = http__resp_feed(&r, (const uint8_t *)"x", 1, &used);
  assert(again == rc && used == 0);
  http__resp_free(&r);
}

static void check_url(const uint8_t *data, size_t size) {
  char *url = malloc(size + 1);
  memcpy(url, data, size);
  url[size] = 0;
  http__url_t u;
  if (http__url_parse(url, &u) == 0) {
    assert(u.port != 0);
    tr_bytes_t b = {0};
    http_header_t h = {"Accept", "application/vnd.ipld.raw"};
    int rc = http__req_build(&b, "GET", &u, &h, 1, NULL, 0, false, "trove");
    assert(rc == 0);
    assert(b.len >= 4 && !memcmp(b.data + b.len - 4, "\r\n\r\n", 4));
    size_t spaces = 0, i = 0;
    for (; i < b.len && b.data[i] != '\r'; i++)
      spaces += b.data[i] == ' ';
    assert(spaces == 2);
    assert(b.data[4] == '/');
    for (i = 0; i < b.len; i++) {
      if (b.data[i] == '\r')
        assert(i + 1 < b.len && b.data[i + 1] == '\n');
      if (b.data[i] == '\n')
        assert(i > 0 && b.data[i - 1] == '\r');
    }
    char host[HTTP__KEY_MAX + 16];
    snprintf(host, sizeof host, "\r\nHost: %s\r\n", u.hosthdr);
    assert(memmem(b.data, b.len, host, strlen(host)));
    tr_bytes_free(&b);
  }
  free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  uint8_t flags = data[0];
  uint32_t seed = (uint32_t)data[1] * 2654435761u | 1u;
  const uint8_t *s = data + 2;
  size_t n = size - 2;
  out_t whole, cut;
  run(s, n, flags, 0, &whole);
  run(s, n, flags, seed, &cut);
  /* Both fail or both succeed alike.  Which error comes first may depend
   * on the cuts: a head over its cap that also holds a NUL is TR_ETOOBIG
   * when a cut lets the parser report the value before the NUL, TR_EPROTO
   * when it reaches the NUL first. */
  assert((whole.result < 0 && cut.result < 0) || whole.result == cut.result);
  assert(whole.heads == cut.heads);
  assert(whole.status == cut.status);
  assert(whole.nh == cut.nh);
  /* After an error the body may stop at a different byte (a cap is met
   * inside a piece of one run and at a piece's edge of the other). */
  if (whole.result == HTTP__RESP_DONE) {
    assert(whole.body == cut.body);
    assert(whole.body_hash == cut.body_hash);
    assert(whole.keep_alive == cut.keep_alive);
    assert(whole.end == cut.end);
  }
  check_url(s, n);
  return 0;
}

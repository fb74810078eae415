/*
 * fuzz_http.c — libFuzzer target for the HTTP request path: the real
 * server (server.c, http1.c, http2.c, req.c) and the real gateway handler
 * (gateway.c, gw_file.c, gw_dir.c, gw_car.c) over an empty temp repo, fed
 * each input as the byte stream of one TCP connection on 127.0.0.1; plus the
 * pure helpers that parse what a URL carries (gw__split_path,
 * gw__ipfs_uri, http_pct_decode, http_query_get, http_media_type_ok, the
 * HTML and URL escapers), checked for
 * their properties on the same bytes.
 *
 * The stream can be anything: HTTP/1.1 requests (pipelined, chunked,
 * malformed), an HTTP/2 preface and frames, an h2c upgrade.  Identity CIDs
 * in a URL resolve without the repo, so seeds that inline small UnixFS
 * files and directories reach the file, listing and CAR code; other CIDs
 * answer 504 from the empty repo.  Each input ends with the client's
 * half-close; the run goes on until the server has closed the connection
 * (it must: every path ends in an answer and a close, or the EOF closes
 * it), so no connection outlives its input.
 *
 * Properties of the pure helpers:
 *   - gw__split_path: segments are non-empty, hold no '/', are never "."
 *     or "..", and decode at most as many bytes as were given;
 *   - gw__ipfs_uri of those segments: none, or only the scheme,
 *     unreserved bytes, '/' and %XX escapes;
 *   - http_media_type_ok reads no byte past the length it is given;
 *   - an HTTP date http_date_parse reads, written by http_date_format,
 *     reads back the same;
 *   - gw__url_escape then http_pct_decode gives the bytes back, and the
 *     escaped form has only unreserved and sub-delim characters;
 *   - gw__html_escape's output has no '<', '>', '"' or '\'';
 *   - http_query_get never writes past its buffer and NUL-terminates.
 *
 * Build: make build-fuzz/fuzz_http; seeds in tests/fuzz/corpus/fuzz_http
 * (real request streams: curl, browsers, nghttp, h2c, trustless gateway
 * clients, and broken ones).  About 2-5k inputs/s: one TCP connection each.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../gateway/gw_int.h"
#include "../../http/http.h"

/* ------------------------------------------------------ pure helpers */

static void check_pure(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1), *buf = malloc(size + 1);
  if (!s || !buf)
    abort();
  memcpy(s, data, size);
  s[size] = 0; /* the server hands NUL-terminated strings to the handler */
  char *segs[GW_MAX_SEGMENTS + 1];
  size_t nseg = 7;
  bool slash;
  int rc = gw__split_path(s, buf, segs, &nseg, &slash);
  if (rc == 0) {
    if (nseg == 0 || nseg > GW_MAX_SEGMENTS + 1)
      abort();
    size_t total = 0;
    for (size_t i = 0; i < nseg; i++) {
      size_t l = strlen(segs[i]);
      if (l == 0 || memchr(segs[i], '/', l) || !strcmp(segs[i], ".") ||
          !strcmp(segs[i], ".."))
        abort();
      total += l + 1;
    }
    if (total > strlen(s) + 1)
      abort();
    /* Ipfs-Uri of the same segments, both namespaces: none, or a value of
     * the scheme, unreserved bytes, '/' and %XX only, that fits. */
    for (int ns = 0; ns < 2; ns++) {
      char u[GW_IPFS_URI_MAX + 1];
      int l = gw__ipfs_uri(ns, NULL, segs, nseg, slash, u, sizeof u);
      if (l < 0)
        continue;
      if ((size_t)l != strlen(u) || strncmp(u, ns ? "ipns://" : "ipfs://", 7))
        abort();
      for (const char *p = u + 7; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || strchr("-._~/", *p) ||
              (*p == '%' && strspn(p + 1, "0123456789ABCDEF") >= 2)))
          abort();
    }
  } else if (rc != TR_EPATH && rc != TR_ETOOBIG && rc != -EINVAL) {
    abort();
  }
  if (slash != (strlen(s) > 0 && s[strlen(s) - 1] == '/'))
    abort();

  /* A media type never reads past its length. */
  (void)http_media_type_ok((const char *)data, size);

  /* An HTTP date that parses, written again, parses to the same time. */
  int64_t when, again;
  char date[40];
  if (http_date_parse(s, &when) && http_date_format(when, date) &&
      (!http_date_parse(date, &again) || again != when))
    abort();

  /* Escapers on the raw bytes up to the first NUL (names are C strings). */
  size_t n = strlen(s);
  if (n > 300)
    n = 300; /* the escapers truncate at their buffer: stay under it */
  char esc[4 * 300 + 8], dec[4 * 300 + 8];
  gw__url_escape(s, n, esc, sizeof esc);
  for (const char *p = esc; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || strchr("-._~!$()*+,;=:@%", *p)))
      abort();
  int d = http_pct_decode(esc, strlen(esc), dec);
  if (d != (int)n || memcmp(dec, s, n))
    abort();
  char html[8 * 300 + 8];
  gw__html_escape(s, n, html, sizeof html);
  if (strpbrk(html, "<>\"'"))
    abort();

  /* http_query_get: the first byte picks a key length, the rest is the query;
   * the output buffer sits between canaries. */
  if (size > 1) {
    size_t kl = data[0] % 8;
    char key[8];
    memcpy(key, s + 1, kl < size - 1 ? kl : size - 1);
    key[kl < size - 1 ? kl : size - 1] = 0;
    struct {
      char pre[8], out[17], post[8];
    } q;
    memset(&q, 0x5a, sizeof q);
    if (http_query_get(s + 1, key, q.out, sizeof q.out)) {
      if (!memchr(q.out, 0, sizeof q.out))
        abort();
    }
    for (size_t i = 0; i < 8; i++)
      if (q.pre[i] != 0x5a || q.post[i] != 0x5a)
        abort();
  }
  free(s);
  free(buf);
}

/* ---------------------------------------------------- the live server */

static struct {
  uv_loop_t loop;
  http_server_t *srv;
  gw_ctx_t ctx;
  bs_env_t *env;
  int port;
} g;

static void setup(void) {
  char dir[] = "/tmp/fuzz_http.XXXXXX";
  if (!mkdtemp(dir) || bs_open(&g.env, dir, BS_CREATE))
    abort();
  uv_loop_init(&g.loop);
  g.ctx.loop = &g.loop;
  g.ctx.env = g.env;
  g.ctx.version = "fuzz";
  g.ctx.xipfs_path = true; /* X-Ipfs-Path too: both path headers built */
  http_limits_t lim;
  http_limits_default(&lim);
  lim.rate_per_ip = 0;          /* every input is a fresh client */
  lim.header_timeout_ms = 2000; /* a stuck input shows as a slow unit */
  lim.body_timeout_ms = 2000;
  if (http_server_start(&g.loop, "127.0.0.1", 0, &lim, gw_gateway_handle,
                      &g.ctx, &g.srv))
    abort();
  g.port = http_server_port(g.srv);
}

static void drain(int fd) {
  char buf[65536];
  while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
    ;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g.srv)
    setup();
  check_pure(data, size);

  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)g.port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  /* The kernel completes the handshake from the listen backlog; the loop
   * accepts it before any byte is sent. */
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa))
    abort();
  fcntl(fd, F_SETFL, O_NONBLOCK);
  for (int spins = 0; http_server_conns(g.srv) == 0; spins++) {
    uv_run(&g.loop, spins < 1000 ? UV_RUN_NOWAIT : UV_RUN_ONCE);
    if (spins > 100000)
      abort(); /* never accepted */
  }
  size_t off = 0;
  while (off < size) {
    ssize_t w = send(fd, data + off, size - off, MSG_NOSIGNAL);
    if (w > 0)
      off += (size_t)w;
    else if (w < 0 && errno != EAGAIN)
      break; /* the server closed on a bad request: fine */
    drain(fd);
    uv_run(&g.loop, UV_RUN_NOWAIT);
  }
  shutdown(fd, SHUT_WR);
  /* Until the server has closed: every path ends in a close (an answer with
   * Connection: close, an error, or the client's EOF). */
  for (int spins = 0; http_server_conns(g.srv) > 0; spins++) {
    drain(fd);
    uv_run(&g.loop, spins < 1000 ? UV_RUN_NOWAIT : UV_RUN_ONCE);
    if (spins > 2000000)
      abort(); /* a connection the server never lets go of */
  }
  drain(fd);
  close(fd);
  /* Close callbacks and late worker results. */
  uv_run(&g.loop, UV_RUN_NOWAIT);
  return 0;
}

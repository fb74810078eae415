/*
 * fuzz_body_args.c — libFuzzer target for the RPC API's arguments in a
 * request body (rpc/body_args.c: rpc__body_query), which a client sends
 * as a multipart "stdin" part, one argument a line.
 *
 * The input is the body, under a fixed boundary ("B").  When it parses,
 * the query built must start with the URL's own ("?a=1"), and each arg=
 * after it must percent-decode, be non-empty, hold no LF, encode back to
 * the same text, and be, byte for byte, a line of the body ended by LF or
 * CR LF (one CR dropped, as Go's bufio.ScanLines, which Kubo reads them
 * with, drops it).  Any difference aborts.
 *
 * Build: make build-fuzz/fuzz_body_args (clang).
 * Seeds: tests/fuzz/corpus/fuzz_body_args.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../http/http.h"
#include "../../rpc/rpc_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* A heap copy of exactly the input's size: ASan sees an over-read. */
  uint8_t *body = malloc(size ? size : 1);
  if (!body)
    return 0;
  memcpy(body, data, size);
  tr_bytes_t q = {0};
  int rc = rpc__body_query("a=1", "multipart/form-data; boundary=B", body,
                           size, &q);
  if (!rc) {
    if (q.len < 4 || memcmp(q.data, "?a=1", 4))
      abort();
    char *s = malloc(q.len + 1);
    if (!s)
      abort();
    memcpy(s, q.data, q.len);
    s[q.len] = 0;
    for (char *p = s + 4; *p;) {
      if (strncmp(p, "&arg=", 5))
        abort();
      p += 5;
      size_t n = strcspn(p, "&");
      char *v = strndup(p, n), *dec = malloc(n + 1);
      if (!v || !dec)
        abort();
      int dl = http_pct_decode(v, n, dec);
      if (dl <= 0 || memchr(dec, '\n', (size_t)dl))
        abort();
      char *again = http_uri_encode(dec);
      if (!again || strcmp(again, v))
        abort();
      /* A line of the body: at its start or after a LF, then LF or CR LF. */
      bool found = false;
      for (const uint8_t *at = body;
           !found && (at = memmem(at, size - (size_t)(at - body), dec,
                                  (size_t)dl));
           at++) {
        size_t end = (size_t)(at - body) + (size_t)dl;
        bool starts = at == body || at[-1] == '\n';
        /* LF, CR LF, or - the part's last line - a CR before the
         * delimiter's CR LF. */
        const uint8_t *e = body + end;
        size_t left = size - end;
        bool ends = (left >= 1 && e[0] == '\n') ||
                    (left >= 2 && e[0] == '\r' && e[1] == '\n') ||
                    (left >= 3 && !memcmp(e, "\r\r\n", 3));
        found = starts && ends;
      }
      if (!found)
        abort();
      free(again);
      free(dec);
      free(v);
      p += n;
    }
    free(s);
  }
  tr_bytes_free(&q);
  free(body);
  return 0;
}

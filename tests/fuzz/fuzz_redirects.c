/*
 * fuzz_redirects.c — libFuzzer target for the `_redirects` parser and
 * matcher (gateway/gw_redirects.c: gw__redirects_eval, then
 * gw__redirects_location), whose input is a site's own file: anyone may
 * publish one.
 *
 * Input: one byte n, then n bytes of request path (decoded, as the
 * gateway passes it: any byte but NUL), then the file.  The path's bytes
 * also serve as the request's query for the Location.
 *
 * Properties: the result is one of the documented codes; a match has a
 * supported status and a NUL-terminated target within its cap holding no
 * control byte, space or DEL (the file's fields cannot hold them, and
 * what a placeholder takes from the path is encoded); a Location holds
 * only printable ASCII; no rule means status 0; a refusal says why; the
 * same input gives the same answer.
 * Build: make build-fuzz/fuzz_redirects; seeds in tests/fuzz/corpus/fuzz_redirects.
 */
#include "../../gateway/gw_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char to[GW_REDIRECTS_TO_MAX], to2[GW_REDIRECTS_TO_MAX];
static char loc[GW_REDIRECTS_TO_MAX * 3 + 1024];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!size)
    return 0;
  size_t pl = data[0];
  if (pl > size - 1)
    pl = size - 1;
  char path[257];
  memcpy(path, data + 1, pl);
  for (size_t i = 0; i < pl; i++)
    if (!path[i])
      path[i] = '/';
  path[pl] = 0;
  const char *file = (const char *)data + 1 + pl;
  size_t fl = size - 1 - pl;
  char err[GW_REDIRECTS_ERR_MAX], err2[GW_REDIRECTS_ERR_MAX];
  int st, st2;
  int rc = gw__redirects_eval(file, fl, path, pl, &st, to, sizeof to, err,
                              sizeof err);
  int rc2 = gw__redirects_eval(file, fl, path, pl, &st2, to2, sizeof to2,
                               err2, sizeof err2);
  if (rc != rc2 || st != st2)
    abort();
  switch (rc) {
  case 1:
    switch (st) {
    case 200: case 301: case 302: case 303: case 307: case 308:
    case 404: case 410: case 451:
      break;
    default:
      abort();
    }
    if (!memchr(to, 0, sizeof to) || strcmp(to, to2) || !to[0])
      abort();
    for (const unsigned char *p = (const unsigned char *)to; *p; p++)
      if (*p <= 0x20 || *p == 0x7f)
        abort();
    /* The query: the path's bytes, NULs already made '/'. */
    if (gw__redirects_location(to, path, loc, sizeof loc) == 0)
      for (const unsigned char *p = (const unsigned char *)loc; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
          abort();
    break;
  case 0:
    if (st != 0)
      abort();
    break;
  case -EINVAL:
  case TR_ETOOBIG:
  case TR_EBUFSIZE:
    if (st != 0 || !memchr(err, 0, sizeof err) || !err[0] || strcmp(err, err2))
      abort();
    break;
  default:
    abort();
  }
  return 0;
}

/*
 * fuzz_filestore.c — libFuzzer target for the filestore's records and
 * paths (blockstore/filestore.c): a repo's DataObj values are read back on
 * every bs_get of a referenced block, and a corrupt repo must give an
 * error, never a crash or a path past its buffer.
 *
 * Properties:
 *   - bs__fs_decode answers 0 or TR_ECORRUPT, and a record it takes,
 *     written again, reads back the same (path, offset, size);
 *   - bs__fs_clean of "/" + input is idempotent, absolute, has no "."
 *     or ".." element, no "//" and no trailing '/', and is never longer.
 * Build: make build-fuzz/fuzz_filestore; seeds in
 * tests/fuzz/corpus/fuzz_filestore (records as Kubo writes them).
 */
#include "../../blockstore/bs_int.h"

#include <stdlib.h>
#include <string.h>

static void check_clean(const uint8_t *data, size_t size) {
  if (size > 2000 || memchr(data, 0, size))
    return;
  char p[2002], q[2002];
  p[0] = '/';
  memcpy(p + 1, data, size);
  p[size + 1] = '\0';
  bs__fs_clean(p);
  size_t n = strlen(p);
  if (p[0] != '/' || n > size + 1 || (n > 1 && p[n - 1] == '/') ||
      strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../"))
    abort();
  if ((n >= 2 && !strcmp(p + n - 2, "/.")) ||
      (n >= 3 && !strcmp(p + n - 3, "/..")))
    abort();
  memcpy(q, p, n + 1);
  bs__fs_clean(q);
  if (strcmp(p, q))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bs_fsref_t ref, again;
  int rc = bs__fs_decode(data, size, &ref);
  if (rc != 0 && rc != TR_ECORRUPT)
    abort();
  if (rc == 0) {
    static uint8_t rec[BS__FS_REC_MAX];
    size_t pl = strlen(ref.path);
    size_t n = bs__fs_encode(rec, ref.path, pl, ref.offset, ref.size);
    if (n > sizeof rec || bs__fs_decode(rec, n, &again) ||
        strcmp(again.path, ref.path) || again.offset != ref.offset ||
        again.size != ref.size)
      abort();
  }
  check_clean(data, size);
  return 0;
}

/*
 * gz.h — gzip (RFC 1952) compression as a stream, through zlib: what
 * `get --compress` sends and writes.  The output is a valid gzip member
 * (zlib's header: mtime 0, OS unix; Go's writes OS "unknown", so the bytes
 * differ from Kubo's, the data inside does not).
 */
#ifndef COMMON_GZ_H
#define COMMON_GZ_H

#include <stdbool.h>
#include <zlib.h>

#include "tr.h"

typedef struct tr_gz {
  z_stream z;
  bool on;
} tr_gz_t;

/* level: 1 (fast) .. 9 (small), or -1 for zlib's default (6, as Go's
 * DefaultCompression).  0, TR_EUSAGE (another level), -ENOMEM. */
int tr_gz_init(tr_gz_t *g, int level) TR_WUR;
/* Compress in[0..n) onto the end of out; with end, the member's trailer
 * too (nothing may be put after).  0 or -ENOMEM. */
int tr_gz_put(tr_gz_t *g, const void *in, size_t n, bool end,
              tr_bytes_t *out) TR_WUR;
void tr_gz_free(tr_gz_t *g);

#endif /* COMMON_GZ_H */

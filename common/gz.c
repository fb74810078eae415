/*
 * gz.c — gzip through zlib's deflate (gz.h).
 */
#include "gz.h"

#include <errno.h>
#include <string.h>

int tr_gz_init(tr_gz_t *g, int level) {
  memset(g, 0, sizeof *g);
  if (level != -1 && (level < 1 || level > 9))
    return TR_EUSAGE;
  /* 15 + 16: a 32 KiB window, with the gzip header and trailer */
  if (deflateInit2(&g->z, level == -1 ? Z_DEFAULT_COMPRESSION : level,
                   Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return -ENOMEM;
  g->on = true;
  return 0;
}

int tr_gz_put(tr_gz_t *g, const void *in, size_t n, bool end,
              tr_bytes_t *out) {
  g->z.next_in = (Bytef *)(uintptr_t)in;
  g->z.avail_in = (uInt)n;
  for (;;) {
    /* deflateBound of what is left, at least a little for the trailer */
    size_t room = deflateBound(&g->z, g->z.avail_in) + 64;
    if (tr_bytes_reserve(out, room))
      return -ENOMEM;
    g->z.next_out = out->data + out->len;
    g->z.avail_out = (uInt)room;
    int rc = deflate(&g->z, end ? Z_FINISH : Z_NO_FLUSH);
    out->len += room - g->z.avail_out;
    if (rc == Z_STREAM_END || (!end && !g->z.avail_in && g->z.avail_out))
      return 0;
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      return -ENOMEM;
  }
}

void tr_gz_free(tr_gz_t *g) {
  if (g->on)
    deflateEnd(&g->z);
  g->on = false;
}

/*
 * fuzz_unixfs.c — libFuzzer target for the UnixFS decoder (dag/unixfs.h)
 * and the DAG reader (dag/reader.h) on hostile DAGs.
 *
 * First byte even: the rest is a UnixFS Data message.  A decoded message
 * must have its views inside the input, its blocksizes iterator must yield
 * exactly n_blocksizes values summing to blocksizes_sum, and re-encoding
 * the decoded fields must decode again to the same fields (the input may be
 * in another field order, so bytes are not compared).  Failures must be
 * TR_EUNIXFS.
 *
 * First byte odd: the rest is up to 8 blocks, each a 2-byte little-endian
 * length and its bytes.  Any CID is answered with block (last digest byte
 * mod n), so links go anywhere - including back up, making cycles that real
 * hashes would forbid.  The root is block 0 as dag-pb.  dag_stat, dag_cat
 * (whole and a range taken from the input), dag_ls and dag_resolve run on
 * it; the reader must neither crash nor loop: every call is capped at 4096
 * block fetches and 1 MiB of output, past which the callbacks fail it.
 * Build: make build-fuzz/fuzz_unixfs; seeds in tests/fuzz/corpus/fuzz_unixfs.
 */
#include "../../dag/reader.h"

#include <stdlib.h>
#include <string.h>

static void same(const dag_unixfs_t *a, const dag_unixfs_t *b) {
  if (a->type != b->type || a->has_data != (b->has_data && b->data_len) ||
      a->filesize != b->filesize || a->has_filesize != b->has_filesize ||
      a->n_blocksizes != b->n_blocksizes ||
      a->blocksizes_sum != b->blocksizes_sum || a->hash_type != b->hash_type ||
      a->has_hash_type != b->has_hash_type || a->fanout != b->fanout ||
      a->has_fanout != b->has_fanout || a->mode != b->mode ||
      a->has_mode != b->has_mode || a->has_mtime != b->has_mtime ||
      a->mtime_sec != b->mtime_sec || a->mtime_nsec != b->mtime_nsec ||
      a->has_mtime_nsec != b->has_mtime_nsec)
    abort();
  if (a->has_data && (a->data_len != b->data_len ||
                      memcmp(a->data, b->data, a->data_len)))
    abort();
}

static void fuzz_data(const uint8_t *in, size_t len) {
  dag_unixfs_t u;
  int rc = dag_unixfs_decode(in, len, &u);
  if (rc) {
    if (rc != TR_EUNIXFS)
      abort();
    return;
  }
  if (u.has_data && u.data_len &&
      (u.data < in || u.data + u.data_len > in + len))
    abort();
  uint64_t *bs = malloc(sizeof *bs * (u.n_blocksizes + 1));
  dag_unixfs_iter_t it;
  dag_unixfs_iter_init(&u, &it);
  size_t n = 0;
  uint64_t sum = 0, v;
  while (dag_unixfs_iter_next(&it, &v)) {
    if (n == u.n_blocksizes)
      abort();
    bs[n++] = v;
    sum += v;
  }
  if (n != u.n_blocksizes || sum != u.blocksizes_sum)
    abort();
  size_t sz = dag_unixfs_encoded_size(&u, bs, n);
  uint8_t *out = malloc(sz);
  if (dag_unixfs_encode(&u, bs, n, out, sz) != (int)sz)
    abort();
  dag_unixfs_t u2;
  if (dag_unixfs_decode(out, sz, &u2))
    abort();
  same(&u2, &u);
  free(out);
  free(bs);
}

/* -------------------------------------------------------------- reader */

typedef struct store {
  const uint8_t *blk[8];
  size_t len[8], n;
  int gets;
  size_t out;
} store_t;

static int get(const dag_cid_t *cid, const uint8_t **data, size_t *len,
               void *ud) {
  store_t *s = ud;
  if (++s->gets > 4096)
    return TR_ENOTFOUND;
  size_t i = cid->bytes[cid->len - 1] % s->n;
  *data = s->blk[i];
  *len = s->len[i];
  return 0;
}

static int out(const uint8_t *p, size_t n, void *ud) {
  store_t *s = ud;
  volatile uint8_t x = 0;
  for (size_t i = 0; i < n; i++) /* touch it all: ASan checks the view */
    x ^= p[i];
  (void)x;
  s->out += n;
  return s->out > (1u << 20) ? 1 : 0;
}

static int dirent(const dag_dirent_t *e, void *ud) {
  store_t *s = ud;
  volatile uint8_t x = 0;
  for (size_t i = 0; i < e->name_len; i++)
    x ^= (uint8_t)e->name[i];
  (void)x;
  return ++s->gets > 4096 ? 1 : 0;
}

static void fuzz_reader(const uint8_t *in, size_t len) {
  store_t s = {0};
  while (len >= 2 && s.n < 8) {
    size_t l = (size_t)in[0] | (size_t)in[1] << 8;
    in += 2, len -= 2;
    if (l > len)
      l = len;
    /* exact-size copies: ASan sees reads past a block */
    uint8_t *b = malloc(l ? l : 1);
    memcpy(b, in, l);
    s.blk[s.n] = b;
    s.len[s.n++] = l;
    in += l, len -= l;
  }
  if (!s.n)
    return;
  dag_cid_t root;
  uint8_t mh[34] = {0x12, 0x20};
  if (dag_cid_make(&root, 1, DAG_CODEC_DAG_PB, mh, sizeof mh))
    abort(); /* digest ends in 0: block 0 */
  dag_node_info_t info;
  (void)dag_stat(&root, get, &s, &info);
  s.gets = 0;
  (void)dag_cat(&root, 0, UINT64_MAX, get, &s, out, &s);
  s.gets = 0;
  s.out = 0;
  uint64_t off = s.len[0] ? s.blk[0][0] * 3u : 0;
  (void)dag_cat(&root, off, 5000, get, &s, out, &s);
  s.gets = 0;
  (void)dag_ls(&root, get, &s, dirent, &s);
  s.gets = 0;
  dag_cid_t got;
  (void)dag_resolve(&root, "a/00/b", 6, get, &s, &got);
  for (size_t i = 0; i < s.n; i++)
    free((void *)s.blk[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  /* exact-size copy of the message for the decoder */
  uint8_t *copy = malloc(size - 1 ? size - 1 : 1);
  memcpy(copy, data + 1, size - 1);
  if (data[0] & 1)
    fuzz_reader(copy, size - 1);
  else
    fuzz_data(copy, size - 1);
  free(copy);
  return 0;
}

/*
 * hamt.c — murmur3, HAMT shard building and lookup; see hamt.h for the
 * format.
 *
 * Building sorts the entries by hash once.  Because a bucket at any depth is
 * a run of leading hash bits, every bucket of every shard is then a
 * contiguous range of the sorted array, in bucket order: a shard is built by
 * one pass over its range, recursing into runs of more than one entry.  The
 * recursion is at most 64 / bits deep (8 for fanout 256), each level holding
 * one link array of at most fanout entries.
 */
#include "hamt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- murmur3 */

static inline uint64_t rotl64(uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}

static inline uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= UINT64_C(0xff51afd7ed558ccd);
  k ^= k >> 33;
  k *= UINT64_C(0xc4ceb9fe1a85ec53);
  k ^= k >> 33;
  return k;
}

void dag_murmur3_x64_128(const void *key, size_t len, uint32_t seed,
                         uint64_t out[2]) {
  const uint64_t c1 = UINT64_C(0x87c37b91114253d5);
  const uint64_t c2 = UINT64_C(0x4cf5ad432745937f);
  const uint8_t *data = key;
  size_t nblocks = len / 16;
  uint64_t h1 = seed, h2 = seed, k1, k2;
  for (size_t i = 0; i < nblocks; i++) {
    k1 = tr_le64(data + 16 * i);
    k2 = tr_le64(data + 16 * i + 8);
    k1 *= c1, k1 = rotl64(k1, 31), k1 *= c2, h1 ^= k1;
    h1 = rotl64(h1, 27), h1 += h2, h1 = h1 * 5 + 0x52dce729;
    k2 *= c2, k2 = rotl64(k2, 33), k2 *= c1, h2 ^= k2;
    h2 = rotl64(h2, 31), h2 += h1, h2 = h2 * 5 + 0x38495ab5;
  }
  /* The tail: up to 15 bytes, little-endian into k1 (bytes 0..7) and k2
   * (bytes 8..14), as the reference's fall-through switch does. */
  const uint8_t *tail = data + nblocks * 16;
  size_t rem = len & 15;
  k1 = k2 = 0;
  for (size_t i = rem; i > 8; i--)
    k2 ^= (uint64_t)tail[i - 1] << (8 * (i - 9));
  if (rem > 8) {
    k2 *= c2, k2 = rotl64(k2, 33), k2 *= c1, h2 ^= k2;
  }
  for (size_t i = rem < 8 ? rem : 8; i > 0; i--)
    k1 ^= (uint64_t)tail[i - 1] << (8 * (i - 1));
  if (rem) {
    k1 *= c1, k1 = rotl64(k1, 31), k1 *= c2, h1 ^= k1;
  }
  h1 ^= (uint64_t)len, h2 ^= (uint64_t)len;
  h1 += h2, h2 += h1;
  h1 = fmix64(h1), h2 = fmix64(h2);
  h1 += h2, h2 += h1;
  out[0] = h1;
  out[1] = h2;
}

uint64_t dag_hamt_hash(const void *name, size_t len) {
  uint64_t h[2];
  dag_murmur3_x64_128(name, len, 0, h);
  return h[0];
}

/* ------------------------------------------------------------- helpers */

int dag_hamt_bits(uint64_t fanout) {
  if (fanout < DAG_HAMT_FANOUT_MIN || fanout > DAG_HAMT_FANOUT_MAX ||
      (fanout & (fanout - 1)))
    return TR_EUNIXFS;
  int b = 0;
  while ((UINT64_C(1) << b) < fanout)
    b++;
  return b;
}

unsigned dag_hamt_padlen(uint64_t fanout) {
  unsigned n = 1;
  for (uint64_t v = fanout - 1; v >= 16; v >>= 4)
    n++;
  return n;
}

int dag_hamt_link_index(const char *name, size_t len, unsigned padlen,
                        uint64_t fanout) {
  if (len < padlen)
    return -1;
  unsigned v = 0;
  for (unsigned i = 0; i < padlen; i++) {
    char c = name[i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = (unsigned)(c - '0');
    else if (c >= 'A' && c <= 'F')
      d = (unsigned)(c - 'A' + 10);
    else
      return -1;
    v = v * 16 + d;
  }
  return v < fanout ? (int)v : -1;
}

int dag_hamt_check(const dag_unixfs_t *u, unsigned *bits, unsigned *padlen) {
  if (u->type != DAG_UNIXFS_HAMT || !u->has_hash_type ||
      u->hash_type != DAG_HAMT_MURMUR3 || !u->has_fanout)
    return TR_EUNIXFS;
  int b = dag_hamt_bits(u->fanout);
  if (b < 0)
    return b;
  *bits = (unsigned)b;
  *padlen = dag_hamt_padlen(u->fanout);
  return 0;
}

/* --------------------------------------------------------------- build */

typedef struct build {
  uint64_t fanout;
  unsigned bits, padlen;
  dag_cidb_t cb;
  dag_put_cb put;
  void *ud;
  const dag_meta_t *meta; /* the root's */
} build_t;

static int cmp_hash(const void *a, const void *b) {
  uint64_t x = ((const dag_hamt_entry_t *)a)->hash;
  uint64_t y = ((const dag_hamt_entry_t *)b)->hash;
  return x < y ? -1 : x > y;
}

static void put_prefix(char *out, unsigned idx, unsigned padlen) {
  static const char hex[] = "0123456789ABCDEF";
  for (unsigned i = padlen; i > 0; i--, idx >>= 4)
    out[i - 1] = hex[idx & 15];
}

/* Encode and emit one shard node from its links and bitfield. */
static int emit_shard(const build_t *b, const dag_pb_link_t *links, size_t n,
                      const uint8_t *bitfield, size_t bflen, bool root,
                      dag_cid_t *cid, uint64_t *tsize) {
  size_t skip = 0; /* go-bitfield's Bytes(): no leading zero bytes */
  while (skip < bflen && !bitfield[skip])
    skip++;
  dag_unixfs_t u = {0};
  u.type = DAG_UNIXFS_HAMT;
  u.data = bitfield + skip;
  u.data_len = bflen - skip;
  u.has_data = true;
  u.hash_type = DAG_HAMT_MURMUR3;
  u.has_hash_type = true;
  u.fanout = b->fanout;
  u.has_fanout = true;
  dag_unixfs_set_meta(&u, root ? b->meta : NULL);
  uint8_t ufs[DAG_HAMT_FANOUT_MAX / 8 + 32 + DAG_META_MAX];
  int ulen = dag_unixfs_encode(&u, NULL, 0, ufs, sizeof ufs);
  if (ulen < 0)
    return ulen;
  size_t sz = dag_pb_encoded_size(links, n, ufs, (size_t)ulen, true);
  uint8_t *blk = tr_malloc(sz);
  if (!blk)
    return -ENOMEM;
  int rc = dag_pb_encode(links, n, ufs, (size_t)ulen, true, blk, sz);
  if (rc >= 0)
    rc = dag_cidb_sum(&b->cb, DAG_CODEC_DAG_PB, blk, sz, cid);
  if (rc >= 0)
    rc = b->put(cid, blk, sz, b->ud);
  tr_free(blk);
  if (rc < 0)
    return rc;
  uint64_t t = sz;
  for (size_t i = 0; i < n; i++)
    t += links[i].tsize;
  *tsize = t;
  return 0;
}

/* Build the shard over e[0..n) (sorted by hash) at depth. */
static int build_shard(const build_t *b, dag_hamt_entry_t *e, size_t n,
                       unsigned depth, dag_cid_t *cid, uint64_t *tsize) {
  if ((depth + 1) * b->bits > 64)
    return TR_ETOOBIG; /* equal hashes: boxo's "sharded directory too deep" */
  /* Scratch: one link per occupied bucket and their names. */
  size_t nbuckets = 0, names = 0;
  for (size_t i = 0; i < n;) {
    unsigned idx = dag_hamt_index(e[i].hash, depth, b->bits);
    size_t j = i + 1;
    while (j < n && dag_hamt_index(e[j].hash, depth, b->bits) == idx)
      j++;
    names += b->padlen + (j - i == 1 ? e[i].name_len : 0);
    nbuckets++;
    i = j;
  }
  dag_pb_link_t *links = tr_calloc(nbuckets, sizeof *links);
  char *namebuf = tr_malloc(names ? names : 1);
  int rc = links && namebuf ? 0 : -ENOMEM;
  uint8_t bitfield[DAG_HAMT_FANOUT_MAX / 8] = {0};
  size_t bflen = (size_t)(b->fanout / 8), k = 0;
  char *np = namebuf;
  for (size_t i = 0; i < n && !rc;) {
    unsigned idx = dag_hamt_index(e[i].hash, depth, b->bits);
    size_t j = i + 1;
    while (j < n && dag_hamt_index(e[j].hash, depth, b->bits) == idx)
      j++;
    dag_pb_link_t *lk = &links[k++];
    put_prefix(np, idx, b->padlen);
    lk->name = np;
    lk->name_len = b->padlen;
    lk->has_name = lk->has_tsize = true;
    if (j - i == 1) {
      memcpy(np + b->padlen, e[i].name, e[i].name_len);
      lk->name_len += e[i].name_len;
      lk->tsize = e[i].tsize;
      int d = dag_cid_decode(&lk->cid, e[i].cid, e[i].cid_len);
      rc = d < 0 ? d : (size_t)d != e[i].cid_len ? TR_ECID : 0;
    } else {
      rc = build_shard(b, e + i, j - i, depth + 1, &lk->cid, &lk->tsize);
    }
    np += lk->name_len;
    bitfield[bflen - 1 - idx / 8] |= (uint8_t)(1u << (idx % 8));
    i = j;
  }
  if (!rc)
    rc = emit_shard(b, links, k, bitfield, bflen, depth == 0, cid, tsize);
  tr_free(links);
  tr_free(namebuf);
  return rc;
}

int dag_hamt_emit(const dag_pb_link_t *links, size_t n, uint64_t fanout,
                  const dag_cidb_t *cb, const dag_meta_t *meta,
                  dag_put_cb put, void *ud, dag_cid_t *cid,
                  uint64_t *tsize) {
  int bits = dag_hamt_bits(fanout);
  if (bits < 0)
    return TR_EUSAGE;
  build_t b = {fanout,  (unsigned)bits, dag_hamt_padlen(fanout),
               *cb, put, ud, meta};
  uint8_t bitfield[DAG_HAMT_FANOUT_MAX / 8] = {0};
  size_t bflen = (size_t)(fanout / 8);
  for (size_t i = 0; i < n; i++) {
    int idx = dag_hamt_link_index(links[i].name, links[i].name_len, b.padlen,
                                  fanout);
    if (idx < 0 || (i && dag_hamt_link_index(links[i - 1].name,
                                             links[i - 1].name_len, b.padlen,
                                             fanout) >= idx))
      return TR_EUSAGE; /* not in bucket order */
    bitfield[bflen - 1 - (unsigned)idx / 8] |= (uint8_t)(1u << (idx % 8));
  }
  return emit_shard(&b, links, n, bitfield, bflen, meta != NULL, cid, tsize);
}

int dag_hamt_build_at(dag_hamt_entry_t *e, size_t n, uint64_t fanout,
                      unsigned depth, const dag_cidb_t *cb, dag_put_cb put,
                      void *ud, dag_cid_t *cid, uint64_t *tsize) {
  int bits = dag_hamt_bits(fanout);
  if (bits < 0 || n == 0)
    return TR_EUSAGE;
  build_t b = {fanout,  (unsigned)bits, dag_hamt_padlen(fanout),
               *cb, put, ud, NULL};
  for (size_t i = 0; i < n; i++)
    e[i].hash = dag_hamt_hash(e[i].name, e[i].name_len);
  qsort(e, n, sizeof *e, cmp_hash);
  return build_shard(&b, e, n, depth, cid, tsize);
}

int dag_hamt_build(dag_hamt_entry_t *e, size_t n, uint64_t fanout,
                   const dag_cidb_t *cb, const dag_meta_t *meta,
                   dag_put_cb put, void *ud, dag_cid_t *root,
                   uint64_t *tsize) {
  int bits = dag_hamt_bits(fanout);
  if (bits < 0 || n == 0)
    return TR_EUSAGE;
  build_t b = {fanout,  (unsigned)bits, dag_hamt_padlen(fanout),
               *cb, put, ud, meta};
  for (size_t i = 0; i < n; i++)
    e[i].hash = dag_hamt_hash(e[i].name, e[i].name_len);
  qsort(e, n, sizeof *e, cmp_hash);
  return build_shard(&b, e, n, 0, root, tsize);
}

/* -------------------------------------------------------------- lookup */

typedef struct find {
  unsigned idx, padlen;
  uint64_t fanout;
  const char *name;
  size_t name_len;
  dag_pb_link_t *out;
  bool found, descend;
} find_t;

static int find_cb(const dag_pb_link_t *lk, size_t i, void *ud) {
  (void)i;
  find_t *f = ud;
  int idx = dag_hamt_link_index(lk->name, lk->name_len, f->padlen, f->fanout);
  if (idx < 0)
    return TR_EUNIXFS;
  if ((unsigned)idx != f->idx)
    return 0;
  if (lk->name_len == f->padlen) {
    f->descend = true;
  } else if (lk->name_len - f->padlen != f->name_len ||
             memcmp(lk->name + f->padlen, f->name, f->name_len)) {
    return 1; /* the bucket holds another name: ours is absent */
  }
  *f->out = *lk;
  f->found = true;
  return 1;
}

int dag_hamt_find(const uint8_t *node, size_t len, const dag_unixfs_t *u,
                  const char *name, size_t name_len, uint64_t hash,
                  unsigned depth, dag_pb_link_t *out, bool *descend) {
  unsigned bits, padlen;
  int rc = dag_hamt_check(u, &bits, &padlen);
  if (rc)
    return rc;
  if ((depth + 1) * bits > 64)
    return TR_EUNIXFS;
  find_t f = {dag_hamt_index(hash, depth, bits), padlen, u->fanout, name,
              name_len, out, false, false};
  dag_pb_node_t pn;
  rc = dag_pb_decode(node, len, find_cb, &f, &pn);
  if (rc < 0)
    return rc;
  if (!f.found)
    return TR_EPATH;
  *descend = f.descend;
  return 0;
}

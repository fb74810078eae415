/*
 * dir.c — the directory builder of importer.h: collects entries, decides
 * between a flat UnixFS Directory node and a HAMT with Kubo's estimate, and
 * emits the result.
 *
 * Entries are kept compactly (their names and binary CIDs packed in one
 * arena, 40-odd bytes of bookkeeping each) because a directory may hold
 * millions of them; full dag_pb_link_t values (~200 bytes) exist only for
 * the one node being encoded.
 */
#include "import_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dagpb.h"
#include "hamt.h"

typedef struct ent {
  size_t name_off, cid_off;
  uint32_t name_len;
  uint16_t cid_len;
  uint64_t tsize;
} ent_t;

struct dag_dir {
  dag_import_opts_t o;
  dag_put_cb put;
  void *ud;
  tr_bytes_t arena;
  ent_t *e;
  size_t n, cap;
  uint64_t est_links, est_block; /* running estimates (without Data) */
  dag_meta_t meta;
  bool has_meta;
};

/* The UnixFS data of the directory node (Type Directory and the metadata)
 * into out[0..DIR_DATA_MAX); its length. */
#define DIR_DATA_MAX (2 + DAG_META_MAX)
static size_t dir_data(const dag_dir_t *d, uint8_t *out) {
  dag_unixfs_t u = {0};
  u.type = DAG_UNIXFS_DIRECTORY;
  dag_unixfs_set_meta(&u, d->has_meta ? &d->meta : NULL);
  int n = dag_unixfs_encode(&u, NULL, 0, out, DIR_DATA_MAX);
  return n > 0 ? (size_t)n : 0; /* cannot fail: DIR_DATA_MAX bounds it */
}

bool dag_name_ok(const char *name, size_t len) {
  if (len == 0 || (len == 1 && name[0] == '.') ||
      (len == 2 && name[0] == '.' && name[1] == '.'))
    return false;
  return !memchr(name, '/', len) && !memchr(name, 0, len);
}

int dag_dir_new(dag_dir_t **dp, const dag_import_opts_t *o, dag_put_cb put,
                void *ud) {
  int rc = dag__opts_check(o);
  if (rc)
    return rc;
  dag_dir_t *d = tr_calloc(1, sizeof *d);
  if (!d)
    return -ENOMEM;
  d->o = *o;
  d->o.chunker = NULL; /* not used here; the caller's string may go away */
  d->put = put;
  d->ud = ud;
  *dp = d;
  return 0;
}

static void reset(dag_dir_t *d) {
  d->arena.len = 0;
  d->n = 0;
  d->est_links = d->est_block = 0;
  d->has_meta = false;
}

void dag_dir_set_meta(dag_dir_t *d, const dag_meta_t *m) {
  d->has_meta = m != NULL;
  if (m)
    d->meta = *m;
}

void dag_dir_free(dag_dir_t *d) {
  if (!d)
    return;
  tr_bytes_free(&d->arena);
  tr_free(d->e);
  tr_free(d);
}

size_t dag_dir_count(const dag_dir_t *d) { return d->n; }

/* Bytes a PBLink with these lengths takes inside a PBNode: boxo's
 * linkSerializedSize, dag_pb_link_size without building the link. */
static uint64_t link_block_size(size_t name_len, size_t cid_len,
                                uint64_t tsize) {
  uint64_t body = 1 + dag_varint_size(cid_len) + cid_len + 1 +
                  dag_varint_size(name_len) + name_len + 1 +
                  dag_varint_size(tsize);
  return 1 + dag_varint_size(body) + body;
}

int dag_dir_add(dag_dir_t *d, const char *name, size_t name_len,
                const dag_cid_t *cid, uint64_t tsize) {
  if (!dag_name_ok(name, name_len) || name_len > UINT32_MAX)
    return TR_EUNSAFE;
  if (d->n == d->cap) {
    size_t cap = d->cap ? 2 * d->cap : 64;
    ent_t *e = tr_realloc(d->e, cap * sizeof *e);
    if (!e)
      return -ENOMEM;
    d->e = e;
    d->cap = cap;
  }
  ent_t *e = &d->e[d->n];
  e->name_off = d->arena.len;
  e->name_len = (uint32_t)name_len;
  e->cid_len = cid->len;
  e->tsize = tsize;
  if (tr_bytes_append(&d->arena, name, name_len))
    return -ENOMEM;
  e->cid_off = d->arena.len;
  if (tr_bytes_append(&d->arena, cid->bytes, cid->len)) {
    d->arena.len = e->name_off;
    return -ENOMEM;
  }
  d->n++;
  d->est_links += name_len + cid->len;
  d->est_block += link_block_size(name_len, cid->len, tsize);
  return 0;
}

uint64_t dag_dir_estimate(const dag_dir_t *d) {
  switch (d->o.hamt_estimate) {
  case DAG_HAMT_EST_LINKS:
    return d->est_links;
  case DAG_HAMT_EST_BLOCK: {
    /* The PBNode's Data field around the UnixFS data (boxo's
     * dataFieldSerializedSize, which counts the metadata too). */
    uint8_t data[DIR_DATA_MAX];
    size_t n = dir_data(d, data);
    return d->est_block + 1 + dag_varint_size(n) + n;
  }
  default:
    return 0;
  }
}

/* dag-pb's link order: names as bytes, a prefix before longer names (Go's
 * string comparison and @ipld/dag-pb's linkComparator agree on this). */
static int cmp_name(const void *a, const void *b) {
  const dag_hamt_entry_t *x = a, *y = b;
  size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
  int c = memcmp(x->name, y->name, n);
  if (c)
    return c;
  return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

static int emit_flat(dag_dir_t *d, const dag_hamt_entry_t *v, size_t n,
                     dag_import_result_t *res) {
  dag_pb_link_t *links = n ? tr_calloc(n, sizeof *links) : NULL;
  if (n && !links)
    return -ENOMEM;
  uint64_t tsize = 0;
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    int k = dag_cid_decode(&links[i].cid, v[i].cid, v[i].cid_len);
    rc = k < 0 ? k : (size_t)k != v[i].cid_len ? TR_ECID : 0;
    links[i].name = v[i].name;
    links[i].name_len = v[i].name_len;
    links[i].has_name = true;
    links[i].tsize = v[i].tsize;
    links[i].has_tsize = true;
    tsize += v[i].tsize;
  }
  uint8_t data[DIR_DATA_MAX];
  size_t dlen = dir_data(d, data);
  size_t sz = dag_pb_encoded_size(links, n, data, dlen, true);
  uint8_t *blk = rc ? NULL : tr_malloc(sz);
  if (!rc && !blk)
    rc = -ENOMEM;
  dag_cidb_t cb = dag_import_cidb(&d->o);
  if (!rc && (rc = dag_pb_encode(links, n, data, dlen, true, blk, sz)) >= 0)
    rc = dag__emit(&cb, DAG_CODEC_DAG_PB, blk, sz, d->put, d->ud, &res->cid);
  tr_free(blk);
  tr_free(links);
  if (rc)
    return rc;
  res->tsize = tsize + sz;
  res->size = 0;
  return 0;
}

int dag_dir_finish(dag_dir_t *d, dag_import_result_t *res) {
  size_t n = d->n;
  dag_hamt_entry_t *v = n ? tr_calloc(n, sizeof *v) : NULL;
  if (n && !v) {
    reset(d);
    return -ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    const ent_t *e = &d->e[i];
    v[i].name = (const char *)d->arena.data + e->name_off;
    v[i].name_len = e->name_len;
    v[i].cid = d->arena.data + e->cid_off;
    v[i].cid_len = e->cid_len;
    v[i].tsize = e->tsize;
  }
  if (n > 1)
    qsort(v, n, sizeof *v, cmp_name);
  int rc = 0;
  for (size_t i = 1; i < n && !rc; i++)
    if (!cmp_name(&v[i - 1], &v[i]))
      rc = TR_EEXIST;
  if (!rc) {
    /* boxo's needsToSwitchToHAMTDir: the size estimate (unless
     * disabled), or more entries than MaxLinks under any estimate. */
    if ((d->o.hamt_estimate != DAG_HAMT_EST_DISABLED &&
         dag_dir_estimate(d) > d->o.hamt_threshold) ||
        (d->o.dir_max_links && n > d->o.dir_max_links)) {
      dag_cidb_t cb = dag_import_cidb(&d->o);
      rc = dag_hamt_build(v, n, d->o.hamt_fanout, &cb,
                          d->has_meta ? &d->meta : NULL, d->put, d->ud,
                          &res->cid, &res->tsize);
      res->size = 0;
    } else
      rc = emit_flat(d, v, n, res);
  }
  tr_free(v);
  reset(d);
  return rc;
}

/*
 * memstore.h — an in-memory block store for the importer, HAMT and reader
 * tests: a put callback (dag_put_cb) that keeps copies of the blocks, and a
 * get callback (dag_get_cb) that serves them, with counters.  Test code
 * only: linear search, malloc directly (not tr_malloc, so that failmalloc
 * sweeps hit only the code under test).
 */
#ifndef MEMSTORE_H
#define MEMSTORE_H

#include <stdlib.h>
#include <string.h>

#include "../dag/cid.h"

typedef struct memblock {
  dag_cid_t cid;
  uint8_t *data;
  size_t len;
} memblock_t;

typedef struct memstore {
  memblock_t *b;
  size_t n, cap;
  size_t puts, gets;
  size_t bytes;      /* bytes of distinct blocks */
  int fail_put_at;   /* > 0: the Nth put fails with -EIO */
} memstore_t;

/* Same bytes under the same multihash count once, as in the blockstore. */
static inline memblock_t *ms_find(memstore_t *s, const dag_cid_t *cid) {
  size_t ml;
  const uint8_t *mh = dag_cid_mh(cid, &ml);
  for (size_t i = 0; i < s->n; i++) {
    size_t l;
    const uint8_t *m = dag_cid_mh(&s->b[i].cid, &l);
    if (l == ml && !memcmp(m, mh, l))
      return &s->b[i];
  }
  return NULL;
}

static inline int ms_put(const dag_cid_t *cid, const uint8_t *data, size_t len,
                         void *ud) {
  memstore_t *s = ud;
  s->puts++;
  if (s->fail_put_at > 0 && (int)s->puts == s->fail_put_at)
    return -5; /* -EIO */
  if (dag_cid_verify(cid, data, len))
    abort(); /* the importer handed over a block that is not its CID */
  if (ms_find(s, cid))
    return 0;
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 64;
    s->b = realloc(s->b, s->cap * sizeof *s->b);
    if (!s->b)
      abort();
  }
  memblock_t *m = &s->b[s->n++];
  m->cid = *cid;
  m->data = malloc(len ? len : 1);
  if (!m->data)
    abort();
  memcpy(m->data, data, len);
  m->len = len;
  s->bytes += len;
  return 0;
}

static inline int ms_get(const dag_cid_t *cid, const uint8_t **data,
                         size_t *len, void *ud) {
  memstore_t *s = ud;
  s->gets++;
  memblock_t *m = ms_find(s, cid);
  if (!m)
    return TR_ENOTFOUND;
  *data = m->data;
  *len = m->len;
  return 0;
}

/* Store a block under its own CID (tests that build hostile DAGs). */
static inline dag_cid_t ms_add(memstore_t *s, int version, uint64_t codec,
                               const uint8_t *data, size_t len) {
  dag_cid_t cid;
  if (dag_cid_sum(&cid, version, codec, DAG_MH_SHA2_256, data, len) < 0 ||
      ms_put(&cid, data, len, s))
    abort();
  return cid;
}

static inline void ms_free(memstore_t *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->b[i].data);
  free(s->b);
  memset(s, 0, sizeof *s);
}

#endif /* MEMSTORE_H */

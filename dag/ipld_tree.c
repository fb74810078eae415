/*
 * ipld_tree.c — what the IPLD codecs build on (ipld_int.h): the arena a
 * tree lives in, and map keys in an order (for encoding, and to find a key
 * given twice).  Below both ipld.c and ipld_json.c, so that neither calls
 * the other back.
 */
#include "ipld_int.h"

#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "cbor.h"

/* ------------------------------------------------------------- arena */

/* A list of chunks; allocation bumps a pointer in the newest.  Chunks grow
 * from 4 KiB to 1 MiB so a small tree costs one malloc and a large one
 * few; a request larger than a chunk gets a chunk of its own. */
typedef struct chunk {
  struct chunk *next;
  size_t size, used;
  alignas(max_align_t) unsigned char data[];
} chunk_t;

struct ipld_arena {
  chunk_t *head;
  size_t next_size;
};

#define ARENA_MIN 4096
#define ARENA_MAX (1u << 20)

ipld_arena_t *ipld_arena_new(void) {
  ipld_arena_t *a = tr_calloc(1, sizeof *a);
  if (a)
    a->next_size = ARENA_MIN;
  return a;
}

void ipld_arena_free(ipld_arena_t *a) {
  if (!a)
    return;
  for (chunk_t *c = a->head, *next; c; c = next) {
    next = c->next;
    tr_free(c);
  }
  tr_free(a);
}

void *ipld_alloc(ipld_arena_t *a, size_t n) {
  size_t al = alignof(max_align_t);
  if (n > SIZE_MAX / 2)
    return NULL;
  n = tr_round_up(n ? n : 1, al);
  chunk_t *c = a->head;
  if (!c || c->size - c->used < n) {
    size_t size = n > a->next_size ? n : a->next_size;
    chunk_t *nc = tr_malloc(sizeof *nc + size);
    if (!nc)
      return NULL;
    nc->size = size;
    nc->used = 0;
    if (c && size == n && c->size - c->used > al) {
      /* A big one-off: keep filling the current chunk afterwards. */
      nc->next = c->next;
      c->next = nc;
    } else {
      nc->next = c;
      a->head = nc;
      if (a->next_size < ARENA_MAX)
        a->next_size *= 2;
    }
    c = nc;
  }
  void *p = c->data + c->used;
  c->used += n;
  memset(p, 0, n);
  return p;
}

ipld_node_t *ipld_new(ipld_arena_t *a, ipld_kind_t kind) {
  ipld_node_t *n = ipld_alloc(a, sizeof *n);
  if (n)
    n->kind = kind;
  return n;
}

/* ---------------------------------------------------- key ordering */

int ipld__key_cmp_bytes(const char *a, size_t alen, const char *b,
                        size_t blen) {
  size_t n = alen < blen ? alen : blen;
  int c = n ? memcmp(a, b, n) : 0;
  if (c)
    return c;
  return alen < blen ? -1 : alen > blen;
}

/* qsort has no context argument in C11: the comparison goes through a
 * wrapper per order. */
static int by_len_first(const void *x, const void *y) {
  const ipld_entry_t *a = *(const ipld_entry_t *const *)x;
  const ipld_entry_t *b = *(const ipld_entry_t *const *)y;
  return dag_cbor_key_cmp(a->key, a->klen, b->key, b->klen);
}

static int by_bytes(const void *x, const void *y) {
  const ipld_entry_t *a = *(const ipld_entry_t *const *)x;
  const ipld_entry_t *b = *(const ipld_entry_t *const *)y;
  return ipld__key_cmp_bytes(a->key, a->klen, b->key, b->klen);
}

const ipld_entry_t **ipld__sorted(const ipld_entry_t *v, size_t n,
                                  ipld__key_cmp cmp) {
  if (!n || n > SIZE_MAX / sizeof(void *))
    return NULL;
  const ipld_entry_t **s = tr_malloc(n * sizeof *s);
  if (!s)
    return NULL;
  for (size_t i = 0; i < n; i++)
    s[i] = &v[i];
  qsort(s, n, sizeof *s, cmp == dag_cbor_key_cmp ? by_len_first : by_bytes);
  return s;
}

int ipld__has_dup(const ipld_entry_t *v, size_t n) {
  if (n < 2)
    return 0;
  /* Sorting makes this O(n log n): a hostile block of 100k keys must not
   * cost n^2 comparisons. */
  const ipld_entry_t **s = ipld__sorted(v, n, dag_cbor_key_cmp);
  if (!s)
    return -ENOMEM;
  int dup = 0;
  for (size_t i = 1; i < n && !dup; i++)
    dup = s[i - 1]->klen == s[i]->klen &&
          (!s[i]->klen || !memcmp(s[i - 1]->key, s[i]->key, s[i]->klen));
  tr_free(s);
  return dup;
}

ipld_node_t *ipld__absent(ipld_arena_t *a) {
  ipld_node_t *n = ipld_new(a, IPLD_NULL);
  if (n)
    n->absent = true;
  return n;
}

/* ---------------------------------------------------------- map keys */

const ipld_node_t *ipld__map_get(const ipld_node_t *m, const char *key,
                                 size_t len) {
  if (m->kind != IPLD_MAP)
    return NULL;
  for (size_t i = 0; i < m->u.map.n; i++) {
    const ipld_entry_t *e = &m->u.map.v[i];
    if (e->klen == len && (!len || !memcmp(e->key, key, len)))
      return e->val;
  }
  return NULL;
}

bool ipld__keys_only(const ipld_node_t *m, const char *const *keys,
                     size_t nk) {
  if (m->kind != IPLD_MAP || m->u.map.n > nk)
    return false;
  for (size_t i = 0; i < m->u.map.n; i++) {
    const ipld_entry_t *e = &m->u.map.v[i];
    bool known = false;
    for (size_t k = 0; k < nk && !known; k++)
      known = e->klen == strlen(keys[k]) && !memcmp(e->key, keys[k], e->klen);
    if (!known || ipld__map_get(m, e->key, e->klen) != e->val)
      return false; /* unknown, or a duplicate (the first one found) */
  }
  return true;
}

/*
 * frozen.c — sealed copies of recently served blocks, for sending with
 * sendfile (bs.h, "frozen copies").
 *
 * Why a copy rather than the map: the kernel may hold the pages it sends
 * by reference long after sendfile returns, and LMDB rewrites freed pages
 * of data.mdb in place; a memfd sealed against writes never changes, and
 * its pages outlive the file for as long as a socket holds them.  The
 * copy costs one memcpy of the block once, where sending from the map
 * costs one per request.
 *
 * Not here: deciding what is sent (the gateway asks for the blocks it
 * sends), or any disk I/O (memfds are memory).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bs_int.h"

#define FZ_KEY 72 /* longest multihash kept (a 64-byte digest and its prefix) */

struct bs_frozen {
  bs_frozen_t *hnext;         /* chain of the bucket */
  bs_frozen_t *older, *newer; /* the LRU list */
  uint64_t h;                 /* fingerprint of the key */
  uint64_t gen;               /* the deletion generation it was made under */
  size_t len;
  int fd;
  unsigned refs; /* bs_frozen_get's, plus one while in the table */
  uint8_t klen;
  uint8_t key[FZ_KEY];
};

void bs__frozen_init(bs__fz_t *c) {
  memset(c, 0, sizeof *c);
  pthread_mutex_init(&c->mu, NULL);
  c->max = BS_FROZEN_MAX;
  /* TROVE_FROZEN_MB overrides the default (0: no copies). */
  const char *e = getenv("TROVE_FROZEN_MB");
  if (e && *e)
    c->max = (size_t)strtoul(e, NULL, 10) << 20;
  /* Each copy holds a descriptor: at most an eighth of what the process
   * may open, so that sockets never run short for them. */
  c->max_files = BS_FROZEN_FILES;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur / 8 < c->max_files)
    c->max_files = (size_t)(rl.rlim_cur / 8);
}

static void destroy(bs_frozen_t *e) {
  close(e->fd);
  tr_free(e);
}

static void unref(bs_frozen_t *e) {
  assert(e->refs > 0);
  if (--e->refs == 0)
    destroy(e);
}

static bs_frozen_t **slot(bs__fz_t *c, uint64_t h, const MDB_val *k) {
  bs_frozen_t **p = &c->bucket[h % BS__FZ_BUCKETS];
  for (; *p; p = &(*p)->hnext)
    if ((*p)->h == h && (*p)->klen == k->mv_size &&
        !memcmp((*p)->key, k->mv_data, k->mv_size))
      return p;
  return p;
}

static void lru_unlink(bs__fz_t *c, bs_frozen_t *e) {
  *(e->older ? &e->older->newer : &c->oldest) = e->newer;
  *(e->newer ? &e->newer->older : &c->newest) = e->older;
  e->older = e->newer = NULL;
}

static void lru_push(bs__fz_t *c, bs_frozen_t *e) {
  e->older = c->newest;
  e->newer = NULL;
  *(c->newest ? &c->newest->newer : &c->oldest) = e;
  c->newest = e;
}

/* Take e out of the table; its file closes with its last user. */
static void drop(bs__fz_t *c, bs_frozen_t *e) {
  bs_frozen_t **p = slot(c, e->h, &(MDB_val){e->klen, e->key});
  assert(*p == e);
  *p = e->hnext;
  lru_unlink(c, e);
  c->count--;
  c->bytes -= e->len;
  unref(e);
}

static void trim(bs__fz_t *c) {
  while (c->bytes > c->max || c->count > c->max_files)
    drop(c, c->oldest);
}

void bs__frozen_fini(bs__fz_t *c) {
  c->max = 0;
  trim(c);
  assert(c->count == 0);
  pthread_mutex_destroy(&c->mu);
}

/* A sealed memfd holding data[0..len), or NULL. */
static bs_frozen_t *make(const MDB_val *k, uint64_t h, uint64_t gen,
                         const uint8_t *data, size_t len) {
  bs_frozen_t *e = tr_calloc(1, sizeof *e);
  if (!e)
    return NULL;
  e->fd = memfd_create("trove-frozen", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (e->fd < 0) {
    tr_free(e);
    return NULL;
  }
  for (size_t off = 0; off < len;) {
    ssize_t w = write(e->fd, data + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      destroy(e);
      return NULL;
    }
    off += (size_t)w;
  }
  if (fcntl(e->fd, F_ADD_SEALS,
            F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)) {
    destroy(e);
    return NULL;
  }
  e->h = h;
  e->gen = gen;
  e->len = len;
  e->klen = (uint8_t)k->mv_size;
  memcpy(e->key, k->mv_data, k->mv_size);
  return e;
}

/* The copy of k made under gen, with one more reference; NULL if none.
 * A copy made under another generation is dropped.  Under c->mu. */
static bs_frozen_t *take(bs__fz_t *c, uint64_t h, const MDB_val *k,
                         uint64_t gen, size_t len) {
  bs_frozen_t *e = *slot(c, h, k);
  if (!e)
    return NULL;
  if (e->gen != gen || e->len != len) {
    drop(c, e);
    return NULL;
  }
  e->refs++;
  lru_unlink(c, e);
  lru_push(c, e);
  return e;
}

/* bs_frozen_get, or bs_frozen_find when data is NULL. */
static int get(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t *data,
               size_t len, bs_frozen_t **fz, int *fd) {
  bs__fz_t *c = &txn->env->fz;
  *fz = NULL;
  *fd = -1;
  MDB_val k = bs__key(cid);
  if (len < BS_FROZEN_MIN || k.mv_size > FZ_KEY ||
      cid->mh_code == DAG_MH_IDENTITY)
    return TR_ENOTFOUND;
  uint64_t gen;
  int rc = bs__del_gen(txn, &gen);
  if (rc)
    return rc;
  /* The key is a hash already: FNV-1a only folds it. */
  uint64_t h = tr_fnv1a(k.mv_data, k.mv_size);
  pthread_mutex_lock(&c->mu);
  bs_frozen_t *e = len <= c->max ? take(c, h, &k, gen, len) : NULL;
  bool admit = false;
  if (!e && data && len <= c->max && c->max_files) {
    /* A copy for a block asked for before. */
    admit = c->seen[h % BS__FZ_SEEN] == h;
    c->seen[h % BS__FZ_SEEN] = h;
  }
  pthread_mutex_unlock(&c->mu);
  if (!e && admit) {
    /* Made outside the lock: a megabyte's copy must not hold up the
     * other workers' lookups. */
    bs_frozen_t *n = make(&k, h, gen, data, len);
    if (!n)
      return TR_ENOTFOUND;
    pthread_mutex_lock(&c->mu);
    if ((e = take(c, h, &k, gen, len))) /* another thread's came first */
      destroy(n);
    else if (len <= c->max) {
      e = n;
      e->refs = 2;
      *slot(c, h, &k) = e;
      lru_push(c, e);
      c->count++;
      c->bytes += len;
      trim(c);
    } else
      destroy(n);
    pthread_mutex_unlock(&c->mu);
  }
  if (!e)
    return TR_ENOTFOUND;
  *fz = e;
  *fd = e->fd;
  return 0;
}

int bs_frozen_get(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t *data,
                  size_t len, bs_frozen_t **fz, int *fd) {
  assert(data);
  return get(txn, cid, data, len, fz, fd);
}

int bs_frozen_find(bs_txn_t *txn, const dag_cid_t *cid, size_t len,
                   bs_frozen_t **fz, int *fd) {
  return get(txn, cid, NULL, len, fz, fd);
}

void bs_frozen_put(bs_env_t *env, bs_frozen_t *fz) {
  if (!fz)
    return;
  pthread_mutex_lock(&env->fz.mu);
  unref(fz);
  pthread_mutex_unlock(&env->fz.mu);
}

void bs_frozen_set_max(bs_env_t *env, size_t max) {
  pthread_mutex_lock(&env->fz.mu);
  env->fz.max = max;
  trim(&env->fz);
  pthread_mutex_unlock(&env->fz.mu);
}

void bs_frozen_stats(bs_env_t *env, size_t *count, size_t *bytes) {
  pthread_mutex_lock(&env->fz.mu);
  *count = env->fz.count;
  *bytes = env->fz.bytes;
  pthread_mutex_unlock(&env->fz.mu);
}

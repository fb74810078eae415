/*
 * fetch.c — the node's fetcher (blockstore/fetch.h) on the bitswap core,
 * and the path of a fetched block into the store.
 *
 * A fetch is a waiter: the block (or DAG) it waits for, and the session
 * that fetches it.  Sessions are per DAG a reader is in: fetches with the
 * same root hint share one, so the reader's blocks and the ones fetched
 * ahead of it come from the same peers, and the session outlives its last
 * reader by BSW_SWARM_IDLE_MS for the next request of the same reader (a
 * video player's next Range).  A root hint that is a UnixFS file (or raw)
 * makes the session fetch that whole file ahead of the reader, in order
 * from the reader's position; a directory hint does not (a reader of one
 * file of an archive must not fetch the archive).
 *
 * A block the core hands over (verified) goes to the writer; a waiter for
 * it completes when the writer's commit covers its sequence number, so a
 * read transaction begun in the done callback finds it.  A DAG waiter
 * completes when its session has every block and the writer has
 * committed the last.  Callbacks run from a timer, never from inside the
 * core or from inside fetch().
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "../dag/dagpb.h"
#include "../dag/unixfs.h"
#include "fetch_int.h"

typedef struct froot {
  struct froot *next;
  tr_fp_t key;
  uint64_t sid;
  unsigned refs;
  uint64_t idle_since;
  uint64_t done_seq; /* writer seq when the session was last done */
  bool done;
  bool ahead; /* the whole file was wanted (fetch-ahead) */
} froot_t;

typedef struct waiter {
  struct waiter *next;
  uint64_t handle;
  dag_cid_t cid;
  tr_fp_t fp;
  froot_t *root;
  bs_fetch_done_cb done;
  void *arg;
  uint64_t need_seq; /* complete once the writer committed this far */
  bool dag, ready;
  int status;
} waiter_t;

/* A block handed to the writer and not yet committed. */
typedef struct pend {
  dag_cid_t cid;
  uint64_t seq;
  size_t len;
} pend_t;

struct bsw_fetch {
  uv_loop_t *loop;
  bs_env_t *env;
  bsw_t *core;
  bs_writer_t *writer;
  uv_async_t async;
  uv_timer_t defer;
  int handles;
  atomic_uint_fast64_t committed;
  uint64_t queued_seq, seen_commit;
  tr_fpmap_t pending; /* fp -> pend_t */
  waiter_t *waiters;
  froot_t *roots;
  uint64_t next_handle;
  bs_fetcher_t iface;
  bsw_fetch_stats_t st;
  bool closing;
};

/* ------------------------------------------------------------ completion */

static void on_defer(uv_timer_t *t) {
  bsw_fetch_t *f = t->data;
  /* Take the ready waiters out first: a callback may fetch again. */
  waiter_t *ready = NULL, **rt = &ready;
  for (waiter_t **pp = &f->waiters; *pp;) {
    waiter_t *w = *pp;
    if (w->ready) {
      *pp = w->next;
      w->next = NULL;
      *rt = w;
      rt = &w->next;
    } else {
      pp = &w->next;
    }
  }
  while (ready) {
    waiter_t *w = ready;
    ready = w->next;
    if (w->root && w->root->refs && !--w->root->refs)
      w->root->idle_since = uv_now(f->loop);
    w->done(w->arg, w->status);
    tr_free(w);
  }
}

static void complete(bsw_fetch_t *f, waiter_t *w, int status) {
  if (w->ready)
    return;
  w->ready = true;
  w->status = status;
  if (!f->closing)
    uv_timer_start(&f->defer, on_defer, 0, 0);
}

static bool has_block(bsw_fetch_t *f, const dag_cid_t *cid) {
  bs_txn_t *txn;
  if (bs_txn_begin(f->env, BS_RDONLY, &txn))
    return false;
  int rc = bs_has(txn, cid);
  bs_txn_abort(txn);
  return rc == 1;
}

/* The writer committed up to f->committed: blocks become visible to the
 * server's peers and to their waiters. */
static void on_async(uv_async_t *a) {
  bsw_fetch_t *f = a->data;
  uint64_t c = atomic_load(&f->committed);
  if (c == f->seen_commit)
    return;
  f->seen_commit = c;
  uint64_t now = uv_now(f->loop);
  tr_fpmap_t *m = &f->pending;
  for (size_t i = 0; i < m->cap; i++) {
    pend_t *p = m->vals[i];
    if (!p || p->seq > c)
      continue;
    pend_t one = *p;
    tr_fpmap_del(m, dag_cid_fp(&one.cid));
    tr_free(p);
    if (f->core)
      bsw_block_added(f->core, &one.cid, NULL, one.len, now);
    i--; /* the backward shift may have moved an entry into slot i */
  }
  for (waiter_t *w = f->waiters; w; w = w->next)
    if (w->need_seq && w->need_seq <= c)
      complete(f, w, 0);
}

static void on_commit(void *ud, uint64_t seq) {
  bsw_fetch_t *f = ud; /* the writer's thread */
  atomic_store(&f->committed, seq);
  uv_async_send(&f->async);
}

/* ---------------------------------------------------------- from the core */

void bsw__fetch_on_block(bsw_fetch_t *f, const dag_cid_t *cid,
                         const uint8_t *data, size_t len) {
  uint64_t seq = bs_writer_put(f->writer, cid, data, len);
  if (!seq) {
    tr_log(TR_LOG_WARN, "bitswap: writer queue full, a block is dropped");
    return;
  }
  f->queued_seq = seq;
  tr_fp_t fp = dag_cid_fp(cid);
  pend_t *p = tr_fpmap_get(&f->pending, fp);
  if (!p && (p = tr_malloc(sizeof *p)) && tr_fpmap_put(&f->pending, fp, p)) {
    tr_free(p);
    p = NULL;
  }
  if (p)
    *p = (pend_t){*cid, seq, len};
  for (waiter_t *w = f->waiters; w; w = w->next)
    if (!w->dag && tr_fp_eq(w->fp, fp) && !w->need_seq)
      w->need_seq = seq;
}

void bsw__fetch_session_done(bsw_fetch_t *f, uint64_t sid) {
  for (froot_t *r = f->roots; r; r = r->next)
    if (r->sid == sid) {
      r->done = true;
      r->done_seq = f->queued_seq;
      for (waiter_t *w = f->waiters; w; w = w->next)
        if (w->root == r && w->dag && !w->ready) {
          if (!r->done_seq || r->done_seq <= atomic_load(&f->committed))
            complete(f, w, 0);
          else
            w->need_seq = r->done_seq;
        }
    }
}

/* ---------------------------------------------------------------- roots */

/* Is root a file (or raw) the store has, whose DAG a reader will read in
 * order?  Only then is it fetched ahead. */
static bool is_file(bsw_fetch_t *f, const dag_cid_t *root) {
  if (root->codec == DAG_CODEC_RAW)
    return true;
  if (root->codec != DAG_CODEC_DAG_PB)
    return false;
  bs_txn_t *txn;
  if (bs_txn_begin(f->env, BS_RDONLY, &txn))
    return false;
  const uint8_t *data;
  size_t len;
  bool file = false;
  dag_pb_node_t node;
  dag_unixfs_t fs;
  if (!bs_get(txn, root, &data, &len) &&
      !dag_pb_decode(data, len, NULL, NULL, &node) && node.has_data &&
      !dag_unixfs_decode(node.data, node.data_len, &fs))
    file = fs.type == DAG_UNIXFS_FILE || fs.type == DAG_UNIXFS_RAW;
  bs_txn_abort(txn);
  return file;
}

static void root_free(bsw_fetch_t *f, froot_t *r);

static froot_t *root_get(bsw_fetch_t *f, const dag_cid_t *key, bool ahead,
                         uint64_t now) {
  tr_fp_t fp = dag_cid_fp(key);
  froot_t *r;
  for (r = f->roots; r; r = r->next)
    if (tr_fp_eq(r->key, fp))
      break;
  if (!r) {
    if (!(r = tr_calloc(1, sizeof *r)))
      return NULL;
    int rc = bsw_session_new(f->core, now, &r->sid);
    if (rc == TR_ELIMIT) {
      /* At the core's cap: sessions no fetch holds are only kept for a
       * next read of the same DAG, and the one idle longest makes room.
       * Refusing instead failed a mirror's pins past the 4096th DAG it
       * fetched within BSW_SWARM_IDLE_MS (bench/mirror_converge.sh). */
      froot_t *old = NULL;
      for (froot_t *x = f->roots; x; x = x->next)
        if (!x->refs && (!old || x->idle_since < old->idle_since))
          old = x;
      if (old) {
        root_free(f, old);
        rc = bsw_session_new(f->core, now, &r->sid);
      }
    }
    if (rc) {
      tr_free(r);
      return NULL;
    }
    r->key = fp;
    r->next = f->roots;
    f->roots = r;
    f->st.sessions++;
  }
  /* The session may have been made for the root block alone (a reader's
   * first read is the root itself): fetch-ahead starts with the first
   * read inside the file, whichever session that finds. */
  if (ahead && !r->ahead) {
    r->ahead = true;
    if (bsw_session_want(f->core, r->sid, key, true, now))
      tr_log(TR_LOG_DEBUG, "bitswap: no fetch-ahead for a file");
  }
  return r;
}

static void root_free(bsw_fetch_t *f, froot_t *r) {
  for (froot_t **pp = &f->roots; *pp; pp = &(*pp)->next)
    if (*pp == r) {
      *pp = r->next;
      break;
    }
  if (f->core)
    bsw_session_free(f->core, r->sid, uv_now(f->loop));
  tr_free(r);
}

void bsw__fetch_tick(bsw_fetch_t *f, uint64_t now) {
  for (froot_t *r = f->roots; r;) {
    froot_t *next = r->next;
    if (!r->refs && now - r->idle_since >= BSW_SWARM_IDLE_MS)
      root_free(f, r);
    r = next;
  }
}

/* ------------------------------------------------------------ interface */

static uint64_t fetch(void *ud, const dag_cid_t *cid, const dag_cid_t *root,
                      unsigned flags, bs_fetch_done_cb done, void *arg) {
  bsw_fetch_t *f = ud;
  if (f->closing || !f->core || !done)
    return 0;
  uint64_t now = uv_now(f->loop);
  bool dag = flags & BS_FETCH_DAG;
  waiter_t *w = tr_calloc(1, sizeof *w);
  if (!w)
    return 0;
  w->handle = ++f->next_handle;
  w->cid = *cid;
  w->fp = dag_cid_fp(cid);
  w->done = done;
  w->arg = arg;
  w->dag = dag;
  w->next = f->waiters;
  f->waiters = w;
  f->st.fetches++;
  pend_t *p = tr_fpmap_get(&f->pending, w->fp);
  if (!dag && p) { /* arrived, being written */
    w->need_seq = p->seq;
    return w->handle;
  }
  if (!dag && has_block(f, cid)) {
    complete(f, w, 0);
    return w->handle;
  }
  /* The session: the DAG's own for a whole-DAG fetch, the file's for a
   * reader in a file, else one of its own. */
  const dag_cid_t *key = cid;
  bool ahead = false;
  if (!dag && root &&
      ((flags & BS_FETCH_AHEAD) ||
       (!dag_cid_equal(root, cid) && is_file(f, root))))
    key = root, ahead = true;
  froot_t *r = root_get(f, key, ahead, now);
  if (!r) {
    f->waiters = w->next;
    tr_free(w);
    return 0;
  }
  w->root = r;
  r->refs++;
  int rc = bsw_session_want(f->core, r->sid, cid, dag, now);
  if (rc) /* a DAG whose blocks the store all has is done by now */
    complete(f, w, rc);
  return w->handle;
}

static void cancel(void *ud, uint64_t handle) {
  bsw_fetch_t *f = ud;
  for (waiter_t **pp = &f->waiters; *pp; pp = &(*pp)->next)
    if ((*pp)->handle == handle) {
      waiter_t *w = *pp;
      *pp = w->next;
      if (w->root && w->root->refs && !--w->root->refs)
        w->root->idle_since = uv_now(f->loop);
      tr_free(w);
      return;
    }
}

const bs_fetcher_t *bsw__fetch_iface(bsw_fetch_t *f) { return &f->iface; }

void bsw__fetch_stats(bsw_fetch_t *f, bsw_fetch_stats_t *out) {
  *out = f->st;
  bs_writer_stats(f->writer, &out->blocks_written, &out->commits);
}

/* ------------------------------------------------------------ lifecycle */

int bsw__fetch_new(uv_loop_t *loop, bs_env_t *env, bsw_fetch_t **out) {
  bsw_fetch_t *f = tr_calloc(1, sizeof *f);
  if (!f)
    return -ENOMEM;
  f->loop = loop;
  f->env = env;
  f->iface = (bs_fetcher_t){fetch, cancel, f};
  int rc = uv_async_init(loop, &f->async, on_async);
  if (rc) {
    tr_free(f);
    return rc;
  }
  f->handles = 1;
  uv_timer_init(loop, &f->defer);
  f->handles++;
  f->async.data = f->defer.data = f;
  if ((rc = bs_writer_new(env, on_commit, f, &f->writer))) {
    f->writer = NULL;
    bsw__fetch_close(f);
    return rc;
  }
  *out = f;
  return 0;
}

void bsw__fetch_set_core(bsw_fetch_t *f, bsw_t *core) { f->core = core; }

static void on_closed(uv_handle_t *h) {
  bsw_fetch_t *f = h->data;
  if (--f->handles == 0)
    tr_free(f);
}

static void free_pend(void *ud, void *v) {
  (void)ud;
  tr_free(v);
}

void bsw__fetch_close(bsw_fetch_t *f) {
  f->closing = true;
  /* The writer writes what it holds and stops: its last callback comes
   * before bs_writer_free returns, so the async handle may close next. */
  bs_writer_free(f->writer);
  f->writer = NULL;
  while (f->waiters) {
    waiter_t *w = f->waiters;
    f->waiters = w->next;
    tr_free(w);
  }
  while (f->roots)
    root_free(f, f->roots);
  tr_fpmap_each(&f->pending, free_pend, NULL);
  tr_fpmap_free(&f->pending);
  uv_timer_stop(&f->defer);
  uv_close((uv_handle_t *)&f->async, on_closed);
  uv_close((uv_handle_t *)&f->defer, on_closed);
}

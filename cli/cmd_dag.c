/*
 * cmd_dag.c — `trove dag export CID > f.car` and `trove dag import f.car`:
 * CARv1 out (depth-first, each block once, as `ipfs dag export`), CARv1 and
 * CARv2 in, with every block rehashed before it is stored.
 *
 * An import is all or nothing: a block whose bytes do not match its CID, or
 * a CAR that is malformed or truncated, rejects the import and leaves none
 * of it.  The CAR is read once, file or pipe: each window is verified on
 * the hash pool (common/pool.h: a thread per core) and then stored through a batch that commits as it goes
 * (read_car), with the keys of the blocks that were new recorded
 * (bs_undo_put); a failure deletes those again (bs_undo_run), blocks that
 * were stored before stay.  A crash mid-import leaves only unpinned
 * blocks, which GC takes.
 * Roots are then pinned recursively, as Kubo does
 * (--pin-roots=false to skip); a root whose DAG is incomplete is reported
 * and left unpinned, the blocks stay.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/pool.h"
#include "../dag/car.h"
#include "cli.h"

/* ---------------------------------------------------------------- export */

typedef struct export_ctx {
  bs_txn_t *txn;
  tr_bytes_t out;
  int err;
  uint64_t written;
  cli_progress_t bar; /* bytes out; the total is not known beforehand */
} export_ctx_t;

static int flush_out(export_ctx_t *e) {
  int rc = cli_write_out(e->out.data, e->out.len);
  e->written += e->out.len;
  e->out.len = 0;
  cli_progress_set(&e->bar, e->written);
  return rc;
}

static int export_block(const dag_cid_t *cid, void *ud) {
  export_ctx_t *e = ud;
  if (cid->mh_code == DAG_MH_IDENTITY)
    return 0; /* inline data: nothing to carry (Kubo skips them too) */
  const uint8_t *data;
  size_t len;
  int rc = bs_get(e->txn, cid, &data, &len);
  if (rc) {
    char s[DAG_CID_STR_MAX];
    cli_failf("dag export: block %s: %s", dag_cid_str(cid, s), tr_strerror(rc));
    return e->err = rc;
  }
  uint8_t head[DAG_CAR_SECTION_HEAD_MAX];
  int n = dag_car_section_head(cid, len, head, sizeof head);
  if (n < 0)
    return e->err = n;
  if ((rc = tr_bytes_append(&e->out, head, (size_t)n)))
    return e->err = rc;
  /* Large blocks go straight from the map to stdout. */
  if (len >= (64u << 10)) {
    if ((rc = flush_out(e)) || (rc = cli_write_out(data, len)))
      return e->err = rc;
    e->written += len;
    return 0;
  }
  if ((rc = tr_bytes_append(&e->out, data, len)))
    return e->err = rc;
  return e->out.len >= (1u << 20) ? (e->err = flush_out(e)) : 0;
}

int cmd_dag_export(cli_t *cli, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("dag export: usage: trove dag export CID > file.car");
  dag_cid_t root;
  bs_env_t *env;
  if (cli_env(cli, BS_RDONLY, &env))
    return 1;
  if (isatty(1))
    return cli_failf("dag export: refusing to write a CAR to a terminal");
  export_ctx_t e = {0};
  cli_progress_start(&e.bar, cli_progress_wanted(CLI_SET(cli, "progress"),
                                                 CLI_BOOL(cli, "progress"),
                                                 false),
                     0);
  int rc = bs_txn_begin(env, BS_RDONLY, &e.txn);
  if (rc)
    return cli_fail("dag export", rc);
  if (cli_resolve_path(e.txn, argv[1], &root)) { /* Kubo takes a path */
    bs_txn_abort(e.txn);
    return 1;
  }
  size_t hn = dag_car_header_v1_size(&root, 1);
  if ((rc = tr_bytes_reserve(&e.out, hn)) == 0) {
    int w = dag_car_header_v1(&root, 1, e.out.data, hn);
    if (w < 0)
      rc = w;
    else
      e.out.len = (size_t)w;
  }
  if (!rc)
    rc = bs_dag_walk(e.txn, &root, export_block, &e);
  if (!rc)
    rc = flush_out(&e);
  bs_txn_abort(e.txn);
  tr_bytes_free(&e.out);
  if (!rc)
    cli_progress_end(&e.bar);
  else
    cli_progress_clear(&e.bar);
  if (rc && !e.err)
    return cli_fail("dag export", rc);
  return rc ? 1 : 0;
}

/* ---------------------------------------------------------------- import */

/* The CAR is read in windows of WIN_BYTES into private buffers (what is
 * hashed is what is stored: no view of a file another process may be
 * writing).  A pipeline: the main thread reads and parses a window while
 * the one before it is verified on the hash pool's workers and the one before
 * that is put by the store thread, which owns the batch and waits for its
 * commits (as `trove add`'s writer does): a single thread that reads,
 * hashes and writes in turn took 2x the time of `trove add` of the same
 * bytes, and with the puts and commits on the main thread the reading and
 * hashing stopped at each commit (1.5x).  (The import once verified a
 * whole file first and read it again to store it, so that a bad CAR stored
 * nothing: 2.3x add's time.  The undo log keeps that promise in one pass.)
 * The windows are an import's RSS beside the batch's dirty pages (4 MiB
 * windows took 15 MiB less for a CAR of 900k small blocks, but their
 * effect on large blocks' speed was not measured apart from the noise). */
#define WIN_BYTES (8u << 20)
/* being read, being verified, queued or being stored (two: the store
 * thread may lag a window behind) */
#define WIN_COUNT 4
#define VERIFY_GRAIN 8 /* items a verifier takes at a time */

typedef struct item {
  const uint8_t *sec; /* CID, then the block */
  uint32_t len;       /* of the whole section body */
  uint32_t cid_len;
  int rc;             /* verification result */
} item_t;

typedef struct win {
  uint8_t *mem; /* the window's own buffer */
  size_t len;
  item_t *items;
  size_t n, cap;
  uint8_t **owned; /* sections that straddled two reads, copied */
  size_t nowned, capowned;
  tr_pool_job_t job; /* its verification on the hash pool */
  bool busy; /* queued for or being stored; under the storer's mutex */
} win_t;

typedef struct import_ctx {
  bs_batch_t *batch;
  bs_undo_t *undo; /* the blocks this file's import stored new */
  bs_undo_t *done; /* those of the files imported so far, for the pins */
  dag_car_reader_t car;
  bool eof;
  dag_cid_t roots[64];
  size_t nroots;
  uint64_t blocks;
  char where[128];
  cli_progress_t *bar; /* bytes read */
} import_ctx_t;

static void win_reset(win_t *w) {
  for (size_t i = 0; i < w->nowned; i++)
    tr_free(w->owned[i]);
  w->nowned = 0;
  w->n = 0;
}

static void win_free(win_t *w) {
  win_reset(w);
  tr_free(w->owned);
  tr_free(w->items);
  tr_free(w->mem);
}

static int win_add(win_t *w, const dag_car_event_t *ev) {
  if (w->n == w->cap) {
    size_t cap = w->cap ? 2 * w->cap : 1024;
    item_t *it = tr_realloc(w->items, cap * sizeof *it);
    if (!it)
      return -ENOMEM;
    w->items = it;
    w->cap = cap;
  }
  size_t len = ev->cid.len + ev->block_len;
  const uint8_t *sec = ev->block - ev->cid.len;
  if (sec < w->mem || ev->block + ev->block_len > w->mem + w->len) {
    /* Split across two reads: the reader's own buffer, reused by the next
     * section; keep a copy. */
    if (w->nowned == w->capowned) {
      size_t cap = w->capowned ? 2 * w->capowned : 8;
      uint8_t **o = tr_realloc(w->owned, cap * sizeof *o);
      if (!o)
        return -ENOMEM;
      w->owned = o;
      w->capowned = cap;
    }
    uint8_t *copy = tr_malloc(len);
    if (!copy)
      return -ENOMEM;
    memcpy(copy, sec, len);
    w->owned[w->nowned++] = copy;
    sec = copy;
  }
  w->items[w->n++] = (item_t){.sec = sec,
                              .len = (uint32_t)len,
                              .cid_len = ev->cid.len};
  return 0;
}

/* Read the next window of the CAR and parse it into w's items. */
static int win_fill(int fd, win_t *w, import_ctx_t *c) {
  win_reset(w);
  size_t have = 0;
  if (!w->mem && !(w->mem = tr_malloc(WIN_BYTES)))
    return -ENOMEM;
  while (have < WIN_BYTES) {
    ssize_t n = read(fd, w->mem + have, WIN_BYTES - have);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if (n == 0) {
      c->eof = true;
      break;
    }
    have += (size_t)n;
  }
  w->len = have;
  if (c->bar)
    cli_progress_add(c->bar, have);
  size_t off = 0;
  while (off < have) {
    size_t used;
    dag_car_event_t ev;
    int e = dag_car_feed(&c->car, w->mem + off, have - off, &used, &ev);
    off += used;
    if (e < 0)
      return e;
    if (e == DAG_CAR_NEED_MORE)
      break;
    if (e == DAG_CAR_ROOT && c->nroots < TR_ARRAY_LEN(c->roots))
      c->roots[c->nroots++] = ev.cid;
    else if (e == DAG_CAR_BLOCK && (e = win_add(w, &ev)))
      return e;
  }
  return c->eof ? dag_car_finish(&c->car) : 0;
}

static int item_verify(const item_t *it) {
  dag_cid_t cid;
  int n = dag_cid_decode(&cid, it->sec, it->len);
  if (n < 0)
    return n;
  return dag_cid_verify(&cid, it->sec + n, it->len - (size_t)n);
}

/* On a pool thread: items [VERIFY_GRAIN * g, + VERIFY_GRAIN). */
static void verify_grain(void *ctx, size_t g) {
  win_t *w = ctx;
  size_t i = g * VERIFY_GRAIN;
  size_t end = i + VERIFY_GRAIN < w->n ? i + VERIFY_GRAIN : w->n;
  for (; i < end; i++)
    w->items[i].rc = item_verify(&w->items[i]);
}

/* Hand w's verification to the hash pool's idle workers (common/pool.h):
 * they verify while this thread reads the next window. */
static void verify_start(win_t *w) {
  tr_pool_start(tr_pool_hash(), &w->job, 0,
                (w->n + VERIFY_GRAIN - 1) / VERIFY_GRAIN, verify_grain, w);
}

/* Wait for w's verification (verifying what is left here, also when no
 * thread could start); the first bad block's error, named in c->where. */
static int verify_join(win_t *w, import_ctx_t *c) {
  tr_pool_wait(&w->job);
  for (size_t i = 0; i < w->n; i++) {
    if (w->items[i].rc == 0)
      continue;
    dag_cid_t cid;
    char s[DAG_CID_STR_MAX];
    if (dag_cid_decode(&cid, w->items[i].sec, w->items[i].len) >= 0)
      snprintf(c->where, sizeof c->where, "block %s", dag_cid_str(&cid, s));
    return w->items[i].rc;
  }
  return 0;
}

static int win_store(win_t *w, import_ctx_t *c) {
  for (size_t i = 0; i < w->n; i++) {
    const item_t *it = &w->items[i];
    dag_cid_t cid;
    int rc = dag_cid_decode(&cid, it->sec, it->len);
    if (rc < 0)
      return rc;
    const uint8_t *data = it->sec + rc;
    size_t len = it->len - (size_t)rc;
    if ((rc = bs_undo_put(c->undo, c->batch, &cid, data, len)))
      return rc;
  }
  c->blocks += w->n;
  return 0;
}

/* ---------------------------------------------------------- store thread */

/* The thread that owns the batch (an LMDB write transaction stays on the
 * thread that began it) and puts verified windows in file order.  Its
 * first error is sticky; windows queued after it are skipped. */
typedef struct storer {
  import_ctx_t *c;
  bs_env_t *env;
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  win_t *q[WIN_COUNT];
  size_t head, n;
  bool closing, commit;
  int err, end_rc;
} storer_t;

static void *storer_main(void *arg) {
  storer_t *s = arg;
  int rc = bs_batch_begin(s->env, 0, &s->c->batch);
  if (!rc)
    bs_batch_cap_values(s->c->batch, BS_BATCH_STREAM_CAP);
  pthread_mutex_lock(&s->mu);
  s->err = rc;
  for (;;) {
    while (!s->n && !s->closing)
      pthread_cond_wait(&s->cv, &s->mu);
    if (!s->n)
      break;
    win_t *w = s->q[s->head];
    bool skip = s->err != 0;
    pthread_mutex_unlock(&s->mu);
    int e = skip ? 0 : win_store(w, s->c);
    pthread_mutex_lock(&s->mu);
    if (e && !s->err)
      s->err = e;
    w->busy = false;
    s->head = (s->head + 1) % WIN_COUNT;
    s->n--;
    pthread_cond_broadcast(&s->cv);
  }
  bool commit = s->commit && !s->err;
  pthread_mutex_unlock(&s->mu);
  if (s->c->batch)
    s->end_rc = bs_batch_end(s->c->batch, commit);
  s->c->batch = NULL;
  return NULL;
}

static int storer_start(storer_t *s, bs_env_t *env, import_ctx_t *c) {
  memset(s, 0, sizeof *s);
  s->c = c;
  s->env = env;
  if (pthread_mutex_init(&s->mu, NULL))
    return -ENOMEM;
  if (pthread_cond_init(&s->cv, NULL)) {
    pthread_mutex_destroy(&s->mu);
    return -ENOMEM;
  }
  int e = pthread_create(&s->th, NULL, storer_main, s);
  if (e) {
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    return -e;
  }
  return 0;
}

static void store_submit(storer_t *s, win_t *w) {
  pthread_mutex_lock(&s->mu);
  w->busy = true;
  s->q[(s->head + s->n++) % WIN_COUNT] = w;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

/* Wait until w is not in the store thread's hands (w NULL: until nothing
 * is); the sticky error. */
static int store_wait(storer_t *s, win_t *w) {
  pthread_mutex_lock(&s->mu);
  while (w ? w->busy : s->n > 0)
    pthread_cond_wait(&s->cv, &s->mu);
  int e = s->err;
  pthread_mutex_unlock(&s->mu);
  return e;
}

/* Commit (commit and no error) or abort, stop the thread; the first error
 * (a put's, or the commit's). */
static int storer_end(storer_t *s, bool commit) {
  pthread_mutex_lock(&s->mu);
  s->closing = true;
  s->commit = commit;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->th, NULL);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  return s->err ? s->err : s->end_rc;
}

/* Read the whole CAR from fd, verifying every block and storing each once
 * it is verified. */
static int read_car(int fd, import_ctx_t *c, storer_t *s) {
  win_t w[WIN_COUNT];
  memset(w, 0, sizeof w);
  dag_car_reader_init(&c->car, NULL);
  c->eof = false;
  win_t *prev = NULL, *cur = &w[0];
  int rc = win_fill(fd, cur, c), k = 1;
  while (!rc) {
    verify_start(cur);
    if (prev)
      store_submit(s, prev);
    win_t *next = c->eof ? NULL : &w[k++ % WIN_COUNT];
    int st = next ? store_wait(s, next) : 0;
    int fe = next && !st ? win_fill(fd, next, c) : 0;
    int ve = verify_join(cur, c);
    /* In file order: the stores of the windows before, cur's blocks, then
     * next's parse. */
    rc = st ? st : ve ? ve : fe;
    prev = cur;
    cur = next;
    if (!cur)
      break;
  }
  if (!rc && prev)
    store_submit(s, prev);
  /* The windows are the store thread's until it is done with them; its
   * errors come first in file order. */
  int st = store_wait(s, NULL);
  rc = st ? st : rc;
  for (int i = 0; i < WIN_COUNT; i++)
    win_free(&w[i]);
  dag_car_reader_free(&c->car);
  return rc;
}

/* Import one CAR into the repo, all or nothing: on any failure the blocks
 * it stored new are deleted again (bs_undo_run); c->where names a bad
 * block. */
static int import_one(bs_env_t *env, const char *path, import_ctx_t *c) {
  int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
  if (fd < 0)
    return -errno;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  storer_t s;
  int rc = bs_undo_new(env, &c->undo);
  if (!rc && (rc = storer_start(&s, env, c)) == 0) {
    rc = read_car(fd, c, &s);
    int e = storer_end(&s, rc == 0);
    if (!rc)
      rc = e;
    uint64_t removed = 0;
    if (rc && (e = bs_undo_run(c->undo, &removed)))
      fprintf(stderr, "trove: dag import %s: removing the %llu blocks it "
              "stored: %s (they are unpinned: gc removes them)\n", path,
              (unsigned long long)bs_undo_count(c->undo), tr_strerror(e));
  }
  /* Kept for the roots' pins (bs_undo_pin), which need not look up what
   * the files before stored either. */
  if (!rc) {
    if (c->done)
      bs_undo_merge(c->undo, c->done);
    bs_undo_free(c->done);
    c->done = c->undo;
  } else
    bs_undo_free(c->undo);
  c->undo = NULL;
  if (fd)
    close(fd);
  return rc;
}

int cmd_dag_import(cli_t *cli, int argc, char **argv) {
  bool pin = CLI_BOOL(cli, "pin-roots"), stats = CLI_BOOL(cli, "stats");
  char **files = argv + 1;
  int nfiles = argc - 1;
  static char *dash[] = {"-"};
  if (!nfiles) {
    files = dash;
    nfiles = 1;
  }
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  int lock = bs_gc_lock_shared(env);
  if (lock < 0)
    return cli_fail("dag import: gc lock", lock);
  import_ctx_t c = {0};
  cli_progress_t bar;
  bool on = cli_progress_wanted(CLI_SET(cli, "progress"),
                                CLI_BOOL(cli, "progress"), false);
  uint64_t total = 0;
  struct stat st;
  for (int i = 0; on && i < nfiles; i++)
    if (strcmp(files[i], "-") && stat(files[i], &st) == 0 && S_ISREG(st.st_mode))
      total += (uint64_t)st.st_size;
  cli_progress_start(&bar, on, total);
  c.bar = &bar;
  int rc = 0;
  for (int i = 0; i < nfiles && !rc; i++) {
    rc = import_one(env, files[i], &c);
    if (rc) {
      cli_failf("dag import %s: %s%s%s: nothing imported", files[i],
                c.where[0] ? c.where : "", c.where[0] ? ": " : "",
                tr_strerror(rc));
      rc = 1;
    }
  }
  int status = rc;
  if (!rc)
    cli_progress_end(&bar);
  else
    cli_progress_clear(&bar);
  if (!rc && pin && c.nroots) {
    bs_txn_t *txn;
    if ((rc = bs_txn_begin(env, 0, &txn)) == 0) {
      for (size_t i = 0; i < c.nroots; i++) {
        char s[DAG_CID_STR_MAX];
        int e = c.done ? bs_undo_pin(c.done, txn, &c.roots[i], NULL, NULL)
                       : bs_pin_add(txn, &c.roots[i], BS_PIN_RECURSIVE, NULL,
                                    NULL);
        if (e == 0)
          printf("Pinned root\t%s\tsuccess\n", dag_cid_str(&c.roots[i], s));
        else {
          printf("Pinned root\t%s\tFAILED: %s\n", dag_cid_str(&c.roots[i], s),
                 tr_strerror(e));
          status = 1;
        }
      }
      rc = bs_txn_commit(txn);
    }
    if (rc)
      status = cli_fail("dag import: pinning roots", rc);
  }
  bs_undo_free(c.done);
  bs_gc_unlock(lock);
  if (stats)
    printf("Imported %llu blocks\n", (unsigned long long)c.blocks);
  return status;
}

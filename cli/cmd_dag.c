/*
 * cmd_dag.c — `trove dag export CID > f.car` and `trove dag import f.car`:
 * CARv1 out (depth-first, each block once, as `ipfs dag export`), CARv1 and
 * CARv2 in, with every block rehashed before it is stored.
 *
 * An import is all or nothing: a block whose bytes do not match its CID, or
 * a CAR that is malformed or truncated, rejects the import and stores none
 * of it.  A regular file is read twice (verify everything, then store in
 * large batches); a pipe is stored in one write transaction that is
 * aborted on any error.  Roots are then pinned recursively, as Kubo does
 * (--pin-roots=false to skip); a root whose DAG is incomplete is reported
 * and left unpinned, the blocks stay.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
  if (cli_cid(argv[1], &root) || cli_env(cli, BS_RDONLY, &env))
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

typedef struct import_ctx {
  bs_batch_t *batch;  /* NULL in the verify-only pass */
  bs_txn_t *txn;      /* single-transaction mode (pipes) */
  dag_cid_t roots[64];
  size_t nroots;
  uint64_t blocks;
  char where[128];
  cli_progress_t *bar; /* bytes read, each pass */
} import_ctx_t;

static int on_block(import_ctx_t *c, const dag_car_event_t *ev) {
  int rc = dag_cid_verify(&ev->cid, ev->block, ev->block_len);
  if (rc) {
    char s[DAG_CID_STR_MAX];
    snprintf(c->where, sizeof c->where, "block %s", dag_cid_str(&ev->cid, s));
    return rc;
  }
  c->blocks++;
  if (c->batch)
    return bs_batch_put(c->batch, &ev->cid, ev->block, ev->block_len);
  if (c->txn)
    return bs_put(c->txn, &ev->cid, ev->block, ev->block_len);
  return 0;
}

/* Read the whole CAR from fd, verifying (and storing, per c). */
static int read_car(int fd, import_ctx_t *c) {
  dag_car_reader_t r;
  dag_car_reader_init(&r, NULL);
  static uint8_t buf[1u << 20];
  int rc = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      rc = -errno;
      break;
    }
    if (n == 0) {
      rc = dag_car_finish(&r);
      break;
    }
    if (c->bar)
      cli_progress_add(c->bar, (uint64_t)n);
    size_t off = 0;
    do {
      size_t used;
      dag_car_event_t ev;
      int e = dag_car_feed(&r, buf + off, (size_t)n - off, &used, &ev);
      off += used;
      if (e < 0)
        rc = e;
      else if (e == DAG_CAR_ROOT && c->nroots < TR_ARRAY_LEN(c->roots))
        c->roots[c->nroots++] = ev.cid;
      else if (e == DAG_CAR_BLOCK)
        rc = on_block(c, &ev);
      else if (e == DAG_CAR_NEED_MORE)
        break;
    } while (rc == 0);
    if (rc)
      break;
  }
  dag_car_reader_free(&r);
  return rc;
}

static int import_one(bs_env_t *env, const char *path, import_ctx_t *c) {
  int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
  if (fd < 0)
    return -errno;
  struct stat st;
  int rc;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    /* Pass 1 verifies everything; only a clean CAR reaches pass 2. */
    import_ctx_t v = {0};
    v.bar = c->bar;
    rc = read_car(fd, &v);
    if (rc) {
      memcpy(c->where, v.where, sizeof c->where);
    } else if (lseek(fd, 0, SEEK_SET) < 0) {
      rc = -errno;
    } else if ((rc = bs_batch_begin(env, 0, &c->batch)) == 0) {
      rc = read_car(fd, c);
      int e = bs_batch_end(c->batch, rc == 0);
      c->batch = NULL;
      if (!rc)
        rc = e;
    }
  } else if ((rc = bs_txn_begin(env, 0, &c->txn)) == 0) {
    rc = read_car(fd, c);
    rc = rc ? (bs_txn_abort(c->txn), rc) : bs_txn_commit(c->txn);
    c->txn = NULL;
  }
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
  for (int i = 0; on && i < nfiles; i++) /* a file is read twice, a pipe once */
    if (strcmp(files[i], "-") && stat(files[i], &st) == 0 && S_ISREG(st.st_mode))
      total += 2 * (uint64_t)st.st_size;
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
        int e = bs_pin_add(txn, &c.roots[i], BS_PIN_RECURSIVE, NULL, NULL);
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
  bs_gc_unlock(lock);
  if (stats)
    printf("Imported %llu blocks\n", (unsigned long long)c.blocks);
  return status;
}

/*
 * cmd_add.c — `trove add`: files, symlinks and directory trees into UnixFS
 * DAGs with Kubo's CIDs (dag/importer.h), stored in large LMDB batches and
 * pinned, with Kubo's options and output:
 *
 *   trove add [-r] [-w] [-q|-Q] [-n] [--pin=false] [--hidden] [--progress]
 *             [--profile P] [--cid-version N] [--raw-leaves[=B]]
 *             [--chunker C | -s C] [--hash H] [--max-file-links N]
 *             [PATH...]          (no PATH: stdin)
 *
 * Settings resolve as in Kubo with the profile applied to its config: the
 * profile (default unixfs-v1-2025) gives every Import.* value, flags
 * override them, a hash other than sha2-256 needs CIDv1.  Files are read
 * with large read(2)s straight into the importer's chunk buffer, or, for
 * whole raw leaves of a fixed-size chunker, into the writer's queue: one
 * copy from the page cache, one hash per block; the blocks go through a
 * bounded queue (one copy, none when read there) to a writer thread that
 * owns the batch (blockstore/pipe.h), so that hashing goes on while a
 * commit writes and syncs.  The whole
 * add holds the repo's gc lock shared, so GC cannot collect blocks written
 * but not yet pinned; the pins are written in the batch's last transaction.
 *
 * Output: "added <cid> <name>" per file and symlink once its blocks are
 * committed (after the batch's next commit: a line printed is a file a
 * crash cannot lose), then
 * per directory (children first, as Kubo prints them at the end), names
 * relative to the argument's parent; -q prints only the CIDs, -Q only the
 * last root.  With --progress (default when stderr is a terminal and
 * neither -q nor -Q is given) a byte counter runs on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../config/config.h"
#include "../dag/importer.h"
#include "../blockstore/pipe.h"
#include "../rpc/mfs.h"
#include "../rpc/nocopy.h"
#include "cli.h"

#define READ_SIZE (4u << 20)
/* Deepest tree added.  add_entry() and add_dir() recur once per level;
 * their frames hold no buffers, so 4096 levels take well under 1 MiB of
 * the main thread's stack. */
#define MAX_TREE_DEPTH 4096
#define SYMLINK_MAX 4096

typedef struct add {
  dag_import_opts_t o;
  bool recursive, wrap, quiet, quieter, silent, only_hash, pin;
  bool progress, empty_dirs;
  cli_filter_t filter; /* --hidden, --ignore, --ignore-rules-path */
  const char *pin_name;
  json_t *cfg;         /* the repo's config: o.chunker may point into it */
  bs_env_t *env;
  bs_pipe_t *pipe;     /* the writer thread, which owns the batch */
  dag_file_t *file;
  tr_bytes_t dirs;     /* "added" lines of directories, printed at the end */
  pthread_mutex_t out; /* stdout's lines and the progress bar on stderr,
                          which the writer thread clears to print */
  tr_bytes_t path;     /* name of the entry being added, relative */
  uint64_t bytes, blocks;
  cli_progress_t bar;
  dag_import_result_t last_root;
  rpc_add_opts_t mo; /* the metadata options (rpc_add_meta) */
  dag_cid_t *tops;   /* --to-files: each argument's root, in order */
  rpc_nocopy_t nc;   /* --nocopy */
  char absdir[8200]; /* the argument's directory, absolute (--nocopy) */
  char err[4200];    /* --nocopy's message for the failure, or "" */
} add_t;

/* The metadata add stores for an entry of kind whose stat is st (NULL:
 * none of its own), or NULL. */
static const dag_meta_t *entry_meta(const add_t *a, const struct stat *st,
                                    int kind, dag_meta_t *m) {
  rpc_fmeta_t own;
  if (st)
    rpc_fmeta_stat(st, &own);
  return rpc_add_meta(&a->mo, st ? &own : NULL, kind, m) ? m : NULL;
}

/* --------------------------------------------------------------- output */

static int put_block(const dag_cid_t *cid, const uint8_t *data, size_t len,
                     void *ud) {
  add_t *a = ud;
  a->blocks++;
  if (!a->pipe)
    return 0;
  int rc = rpc_nocopy_put(&a->nc, a->pipe, cid, len, a->err, sizeof a->err);
  return rc ? (rc < 0 ? rc : 0) : bs_pipe_put(a->pipe, cid, data, len);
}

/* Print the "added" lines of files whose blocks are now committed (the
 * pipe's lines callback, on its writer thread): a line is printed only
 * once nothing it names can be lost to a crash. */
static int print_lines(const char *lines, size_t len, void *ud) {
  add_t *a = ud;
  pthread_mutex_lock(&a->out);
  cli_progress_clear(&a->bar);
  fwrite(lines, 1, len, stdout);
  fflush(stdout);
  pthread_mutex_unlock(&a->out);
  return 0;
}

/* Print (or, for a directory, keep for the end; for a file whose blocks
 * are not all committed, keep until they are) one "added" line. */
static int report(add_t *a, const dag_cid_t *cid, const char *name,
                  bool is_dir) {
  char s[DAG_CID_STR_MAX], line[DAG_CID_STR_MAX + 4200];
  dag_cid_str(cid, s);
  if (a->quieter)
    return 0;
  /* Kubo's "added %s %s\n" whatever the name: -w's directory, named "",
   * ends in a space. */
  int n = a->quiet ? snprintf(line, sizeof line, "%s\n", s)
                   : snprintf(line, sizeof line, "added %s %s\n", s, name);
  if (n < 0 || (size_t)n >= sizeof line)
    return TR_ETOOBIG;
  if (is_dir)
    return tr_bytes_append(&a->dirs, line, (size_t)n);
  if (a->pipe)
    return bs_pipe_line(a->pipe, line, (size_t)n);
  cli_progress_clear(&a->bar);
  fputs(line, stdout);
  return 0;
}

/* ---------------------------------------------------------------- files */

/* Whole raw leaves of a fixed-size chunker are read straight into the
 * writer's queue (bs_pipe_room) and put from there: the copy from the
 * importer's buffer into the queue was a twelfth of a large add's CPU.
 * Two chunks per hashing thread at a time (at most BS_PIPE_ROOM_MAX), so
 * that the importer hashes them together (dag_file_set_pool).  Returns 1
 * at the end of the input, 0 when the chunks can no longer be placed (the
 * caller reads the rest), or an error. */
static int add_fd_placed(add_t *a, int fd) {
  size_t chunk;
  while ((chunk = dag_file_inplace(a->file))) {
    size_t k = 2 * tr_pool_hash_threads(true);
    if (k > BS_PIPE_ROOM_MAX / chunk)
      k = BS_PIPE_ROOM_MAX / chunk;
    size_t want = chunk * (k ? k : 1);
    uint8_t *room;
    int rc = bs_pipe_room(a->pipe, want, &room);
    if (rc)
      return rc;
    ssize_t r = tr_read_full(fd, room, want);
    if (r < 0)
      return (int)r;
    if (r == 0)
      return 1;
    a->bytes += (uint64_t)r;
    /* The last part chunk is set aside first: the puts of the nodes the
     * whole ones complete take the room after them (dag_file_inplace). */
    size_t whole = (size_t)r - (size_t)r % chunk, part = (size_t)r - whole;
    uint8_t *tail = part ? tr_malloc(part) : NULL;
    if (part && !tail)
      return -ENOMEM;
    if (part)
      memcpy(tail, room + whole, part);
    rc = whole ? dag_file_write(a->file, room, whole) : 0;
    if (!rc && part)
      rc = dag_file_write(a->file, tail, part);
    tr_free(tail);
    if (rc)
      return rc;
    pthread_mutex_lock(&a->out);
    cli_progress_set(&a->bar, a->bytes);
    pthread_mutex_unlock(&a->out);
    if ((size_t)r < want)
      return 1;
  }
  return 0;
}

static int add_fd(add_t *a, int fd, dag_import_result_t *res) {
  /* --nocopy puts no leaf bytes in the queue: nothing to place there. */
  if (a->pipe && !a->nc.on) {
    int rc = add_fd_placed(a, fd);
    if (rc < 0) {
      dag_file_reset(a->file);
      return rc;
    }
    if (rc == 1)
      return dag_file_finish(a->file, res);
  }
  for (;;) {
    size_t room;
    uint8_t *p = dag_file_space(a->file, &room);
    ssize_t r = read(fd, p, room < READ_SIZE ? room : READ_SIZE);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      int e = -errno;
      dag_file_reset(a->file);
      return e;
    }
    if (r == 0)
      break;
    a->bytes += (uint64_t)r;
    int rc = dag_file_commit(a->file, (size_t)r);
    if (rc) {
      dag_file_reset(a->file);
      return rc;
    }
    pthread_mutex_lock(&a->out);
    cli_progress_set(&a->bar, a->bytes);
    pthread_mutex_unlock(&a->out);
  }
  return dag_file_finish(a->file, res);
}

/* ------------------------------------------------------------------ tree */

static int add_entry(add_t *a, int dirfd, const char *name, int depth,
                     dag_import_result_t *res);

/* Whether dirfd/name is a directory with nothing the filter takes. */
static bool empty_dir(add_t *a, int dirfd, const char *name) {
  struct stat st;
  if (!a->recursive || fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) ||
      !S_ISDIR(st.st_mode))
    return false;
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                   O_CLOEXEC);
  char **names = NULL;
  size_t n = 1;
  if (fd >= 0 && cli_list_dir(fd, &a->filter, &names, &n) == 0)
    cli_free_names(names, n);
  else
    n = 1; /* unreadable: add_entry says why */
  if (fd >= 0)
    close(fd);
  return n == 0;
}

static int add_dir(add_t *a, int fd, int depth, const dag_meta_t *meta,
                   dag_import_result_t *res) {
  if (depth >= MAX_TREE_DEPTH)
    return TR_ETOOBIG;
  char **names = NULL;
  size_t n = 0;
  int rc = cli_list_dir(fd, &a->filter, &names, &n);
  if (rc)
    return rc;
  dag_dir_t *d;
  if ((rc = dag_dir_new(&d, &a->o, put_block, a)) == 0) {
    size_t base = a->path.len;
    for (size_t i = 0; i < n && !rc; i++) {
      dag_import_result_t r;
      size_t nl = strlen(names[i]);
      a->path.len = base;
      if ((rc = tr_bytes_append(&a->path, "/", 1)) ||
          (rc = tr_bytes_append(&a->path, names[i], nl + 1)))
        break;
      a->path.len--; /* keep the NUL out of the length */
      if (!a->empty_dirs && empty_dir(a, fd, names[i]))
        continue; /* Kubo's adder leaves it out, and says nothing */
      if ((rc = add_entry(a, fd, names[i], depth + 1, &r)) == 0)
        rc = dag_dir_add(d, names[i], nl, &r.cid, r.tsize);
    }
    a->path.len = base;
    a->path.data[base] = 0;
    dag_dir_set_meta(d, meta);
    if (!rc)
      rc = dag_dir_finish(d, res);
    dag_dir_free(d);
  }
  cli_free_names(names, n);
  return rc;
}

/* The name of the entry being added.  Read it at each use and never keep
 * the pointer across a call that adds: adding a directory grows a->path,
 * and a realloc may move it (a kept pointer printed freed memory). */
static const char *rel(const add_t *a) { return (const char *)a->path.data; }

/* Add dirfd/name (lstat: symlinks are stored, never followed). */
static int add_entry(add_t *a, int dirfd, const char *name, int depth,
                     dag_import_result_t *res) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
    return -errno;
  int rc;
  dag_meta_t m;
  if (S_ISLNK(st.st_mode)) {
    /* On the heap: this frame recurs once per level of the tree, and
     * MAX_TREE_DEPTH levels of a 4 KiB buffer would not fit the stack. */
    char *target = tr_malloc(SYMLINK_MAX + 1);
    if (!target)
      return -ENOMEM;
    ssize_t n = readlinkat(dirfd, name, target, SYMLINK_MAX + 1);
    rc = n < 0 ? -errno : (size_t)n > SYMLINK_MAX ? TR_ETOOBIG : 0;
    if (!rc)
      rc = dag_import_symlink(&a->o, target, (size_t)n,
                              entry_meta(a, &st, RPC_META_SYMLINK, &m),
                              put_block, a, res);
    tr_free(target);
    return rc ? rc : report(a, &res->cid, rel(a), false);
  }
  if (S_ISDIR(st.st_mode)) {
    if (!a->recursive) {
      cli_failf("add: %s is a directory (use -r)", rel(a));
      return TR_EUSAGE;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                     O_CLOEXEC);
    if (fd < 0)
      return -errno;
    rc = add_dir(a, fd, depth, entry_meta(a, &st, RPC_META_DIR, &m), res);
    close(fd);
    return rc ? rc : report(a, &res->cid, rel(a), true);
  }
  if (!S_ISREG(st.st_mode)) {
    cli_failf("add: %s: not a regular file, directory or symlink", rel(a));
    return TR_EUSAGE;
  }
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  dag_file_set_meta(a->file, entry_meta(a, &st, RPC_META_FILE, &m));
  if (a->nc.on && a->pipe) {
    char abspath[16500];
    snprintf(abspath, sizeof abspath, "%s/%s", a->absdir, rel(a));
    if ((rc = rpc_nocopy_file(&a->nc, abspath, a->err, sizeof a->err))) {
      close(fd);
      return rc;
    }
  }
  rc = add_fd(a, fd, res);
  rpc_nocopy_end(&a->nc);
  close(fd);
  return rc ? rc : report(a, &res->cid, rel(a), false);
}

/* Add one command-line argument; its "added" name is its base name. */
static int add_arg(add_t *a, const char *arg, dag_import_result_t *res) {
  /* "." and ".." have no name of their own: Kubo names them by the
   * directory they are. */
  char real[4096];
  const char *b = strrchr(arg, '/') ? strrchr(arg, '/') + 1 : arg;
  if ((!strcmp(b, ".") || !strcmp(b, "..")) && realpath(arg, real))
    arg = real;
  char *dup1 = tr_strdup(arg), *dup2 = tr_strdup(arg);
  int rc = dup1 && dup2 ? 0 : -ENOMEM;
  if (!rc) {
    /* Kubo names the entry by the argument's last element. */
    size_t l = strlen(dup1);
    while (l > 1 && dup1[l - 1] == '/') {
      l--;
      dup1[l] = dup2[l] = 0;
    }
    const char *base = basename(dup1), *dir = dirname(dup2);
    /* --nocopy records where each file lies (bs_fs_put cleans it). */
    rc = cli_abs_path(dir, a->absdir, sizeof a->absdir);
    a->path.len = 0;
    if (!rc && (rc = tr_bytes_append(&a->path, base, strlen(base) + 1)) == 0) {
      a->path.len--;
      int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0)
        rc = -errno;
      else {
        rc = add_entry(a, dfd, base, 0, res);
        close(dfd);
        /* The writer's errors (a commit that failed on a full disk) are
         * this argument's, as they were when it put the blocks itself. */
        if (!rc && a->pipe)
          rc = bs_pipe_sync(a->pipe);
      }
    }
  }
  if (rc && a->err[0])
    cli_failf("add %s: %s", arg, a->err);
  else if (rc && rc != TR_EUSAGE)
    cli_failf("add %s: %s", arg, tr_strerror(rc));
  tr_free(dup1);
  tr_free(dup2);
  return rc;
}

/* -------------------------------------------------------------- options */

/* add's options, resolved by rpc_add_resolve(): the code /api/v0/add runs,
 * so that an add gives the same CIDs and errors with and without a
 * daemon. */
static int parse(cli_t *cli, add_t *a) {
  rpc_add_opts_t r;
  char err[512];
  /* The repo's Import.* as the defaults, as the daemon's add takes them
   * (none without a repo: `add -n` needs none). */
  if (config_load(cli->repo, &a->cfg))
    a->cfg = NULL;
  if (rpc_add_resolve(&cli->v, json_object_get(a->cfg, "Import"), &r, err,
                      sizeof err))
    return cli_failf("add: %s", err);
  a->o = r.o;
  a->recursive = r.recursive;
  a->wrap = r.wrap;
  a->quiet = r.quiet;
  a->quieter = r.quieter || r.silent;
  a->silent = r.silent;
  a->only_hash = r.only_hash;
  a->pin = r.pin;
  a->empty_dirs = r.empty_dirs;
  a->nc.on = r.nocopy && !r.only_hash;
  if (a->nc.on && rpc_nocopy_allowed(a->cfg, err, sizeof err))
    return cli_failf("add: %s", err);
  if (cli_filter_from(&a->filter, &cli->v))
    return 1;
  a->pin_name = r.pin_name;
  a->progress = cli_progress_wanted(r.progress_set, r.progress,
                                    r.quiet || r.quieter || r.silent);
  a->mo = r;
  return 0;
}

/* ------------------------------------------------------------------ main */

/* Pin cid recursively in the batch's transaction, after every block
 * queued before (the writer thread runs it). */
static int pin(add_t *a, const dag_cid_t *cid) {
  int rc = bs_pipe_pin(a->pipe, cid, a->pin_name);
  return rc ? rc : bs_pipe_sync(a->pipe);
}

static int run(add_t *a, char **paths, int npaths) {
  int rc = dag_file_new(&a->file, &a->o, put_block, a);
  if (!rc)
    rc = dag_file_set_pool(a->file, tr_pool_hash(),
                           /* --nocopy leaves its writer little to do */
                           tr_pool_hash_threads(a->pipe && !a->nc.on));
  if (rc) {
    cli_fail("add: bad import settings", rc);
    return rc;
  }
  dag_dir_t *wrap = NULL;
  if (a->wrap && (rc = dag_dir_new(&wrap, &a->o, put_block, a)))
    return rc;
  dag_import_result_t r;
  dag_meta_t m;
  if (npaths == 0) { /* stdin; named --stdin-name, else by its CID */
    char s[DAG_CID_STR_MAX];
    dag_file_set_meta(a->file, entry_meta(a, NULL, RPC_META_FILE, &m));
    if (!(rc = add_fd(a, 0, &r)) && a->pipe)
      rc = bs_pipe_sync(a->pipe);
    if (!rc) {
      const char *name = a->mo.stdin_name && *a->mo.stdin_name
                             ? a->mo.stdin_name
                             : dag_cid_str(&r.cid, s);
      rc = report(a, &r.cid, name, false);
      if (!rc && wrap)
        rc = dag_dir_add(wrap, name, strlen(name), &r.cid, r.tsize);
    }
    if (rc && a->err[0])
      cli_failf("add: %s", a->err);
    else if (rc)
      cli_fail("add", rc);
    a->last_root = r;
  }
  for (int i = 0; i < npaths && !rc; i++) {
    if ((rc = add_arg(a, paths[i], &r)))
      break;
    a->last_root = r;
    if (a->tops)
      a->tops[i] = r.cid;
    if (wrap) {
      const char *base = strrchr((const char *)a->path.data, '/');
      base = base ? base + 1 : (const char *)a->path.data;
      if ((rc = dag_dir_add(wrap, base, strlen(base), &r.cid, r.tsize)))
        cli_failf("add -w %s: %s", paths[i], tr_strerror(rc));
    } else if (a->pin && a->pipe) {
      /* Each argument is its own root, pinned as Kubo pins it. */
      rc = pin(a, &r.cid);
      if (rc)
        cli_fail("add: pin", rc);
    }
  }
  if (!rc && wrap) {
    dag_dir_set_meta(wrap, entry_meta(a, NULL, RPC_META_DIR, &m));
    if ((rc = dag_dir_finish(wrap, &a->last_root)) == 0)
      rc = report(a, &a->last_root.cid, "", true);
    if (!rc && a->pin && a->pipe)
      rc = pin(a, &a->last_root.cid);
    if (rc)
      cli_fail("add -w", rc);
  } else if (!rc && npaths == 0 && a->pin && a->pipe) {
    if ((rc = pin(a, &a->last_root.cid)))
      cli_fail("add: pin", rc);
  }
  dag_dir_free(wrap);
  return rc;
}

/* --to-files: each argument's root linked into MFS as Kubo's add links it
 * (rpc/mfs.h), after the commit, under the gc lock still held. */
static int to_files(add_t *a, char **paths, int npaths) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(a->env, 0, &txn);
  if (rc)
    return cli_fail("add --to-files", rc);
  mfs_t m = {.txn = txn};
  mfs_import_prefix(bs_path(a->env), &m.dflt);
  bool linked = false;
  if (!npaths)
    rc = mfs_to_files(&m, a->mo.to_files, "", &a->last_root.cid, &linked);
  for (int i = 0; i < npaths && !rc; i++) {
    const char *b = strrchr(paths[i], '/');
    rc = mfs_to_files(&m, a->mo.to_files, b && b[1] ? b + 1 : paths[i],
                      &a->tops[i], &linked);
  }
  if (rc) {
    bs_txn_abort(txn);
    return m.err[0] ? cli_failf("add: %s", m.err)
                    : cli_fail("add --to-files", rc);
  }
  if ((rc = bs_txn_commit(txn)))
    cli_fail("add --to-files", rc);
  return rc;
}

int cmd_add(cli_t *cli, int argc, char **argv) {
  add_t a = {0};
  pthread_mutex_init(&a.out, NULL);
  char **paths = argv + 1;
  int npaths = argc - 1, lock = -1;
  int rc = parse(cli, &a) ? TR_EUSAGE : 0;
  if (!rc && a.mo.to_files && !(a.tops = tr_calloc(npaths ? (size_t)npaths
                                                          : 1,
                                                   sizeof *a.tops)))
    rc = cli_fail("add", -ENOMEM);
  if (!rc && !a.only_hash) {
    if (cli_env(cli, 0, &a.env))
      rc = TR_ENOREPO;
    else if ((lock = bs_gc_lock_shared(a.env)) < 0) {
      rc = lock;
      cli_fail("add: gc lock", rc);
    } else if ((rc = bs_pipe_start(a.env, 0, print_lines, &a, &a.pipe)))
      cli_fail("add", rc);
    a.nc.env = a.env;
    if (a.pipe)
      bs_pipe_set_fscache(a.pipe, a.mo.fscache);
  }
  if (!rc)
    cli_progress_start(&a.bar, a.progress,
                       a.progress ? cli_paths_size(paths, npaths, a.recursive,
                                                   &a.filter)
                                  : 0);
  if (!rc)
    rc = run(&a, paths, npaths);
  if (!rc)
    cli_progress_end(&a.bar);
  else
    cli_progress_clear(&a.bar);
  if (a.pipe) {
    int e = bs_pipe_end(a.pipe, rc == 0);
    if (!rc && e) {
      rc = e;
      cli_fail("add: commit", rc);
    }
  }
  if (!rc && a.tops)
    rc = to_files(&a, paths, npaths);
  bs_gc_unlock(lock);
  if (!rc) {
    if (a.dirs.len)
      fwrite(a.dirs.data, 1, a.dirs.len, stdout);
    if (a.quieter && !a.silent) {
      char s[DAG_CID_STR_MAX];
      printf("%s\n", dag_cid_str(&a.last_root.cid, s));
    }
  }
  dag_file_free(a.file);
  cli_filter_free(&a.filter);
  json_decref(a.cfg);
  tr_free(a.tops);
  tr_bytes_free(&a.dirs);
  tr_bytes_free(&a.path);
  pthread_mutex_destroy(&a.out);
  return rc ? 1 : 0;
}

/*
 * cmd_remote_up.c — the uploading half of cmd_remote.c: `add`, `block put`,
 * `dag put` and `dag import` through the daemon's RPC API, their files streamed as
 * multipart/form-data parts in chunked pieces as they are read (never held
 * whole), the way `ipfs add` sends a tree to Kubo: one part per file,
 * directory (application/x-directory) and symlink (application/symlink,
 * the target as body), each named by its URL-encoded path.  The walk is
 * the local add's: sorted names, dot files only with --hidden, symlinks
 * stored and never followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../config/config.h"
#include "remote_int.h"

#define MAX_DEPTH 4096
/* Bytes per chunk of a file sent with sendfile. */
#define SENDFILE_CHUNK (4u << 20)

/* ----------------------------------------------------- multipart upload */


/* A part's headers; st, when given, names the part with the entry's mode
 * and mtime as Kubo's client does (rpc_fmeta_form_name): the daemon
 * stores them with --preserve-mode/--preserve-mtime. */
static int part_fd(up_t *u, const char *path, const char *ctype,
                   const struct stat *st, int fd, bool file) {
  char *enc = http_uri_encode(path), *abs = NULL;
  file = file && *path && u->absbase[0]; /* stdin has no path */
  if (enc && file) {
    char p[16500];
    snprintf(p, sizeof p, "%s%s", u->absbase,
             strlen(path) >= u->namelen ? path + u->namelen : "");
    abs = http_uri_encode(p);
  }
  if (!enc || (file && !abs)) {
    tr_free(enc);
    return -ENOMEM;
  }
  char form[96] = "file";
  if (st) {
    rpc_fmeta_t m;
    rpc_fmeta_stat(st, &m);
    rpc_fmeta_form_name(&m, form, sizeof form);
  }
  tr_bytes_t b = {0};
  int rc = tr_bytes_append(&b, u->parts ? "\r\n--" : "--", u->parts ? 4 : 2);
  u->parts++;
  const char *pieces[] = {u->boundary, "\r\nContent-Disposition: form-data; "
                          "name=\"", form, "\"; filename=\"", enc,
                          "\"\r\nContent-Type: ", ctype,
                          abs ? "\r\nAbspath-Encoded: " : "", abs ? abs : "",
                          "\r\n\r\n"};
  for (size_t i = 0; i < TR_ARRAY_LEN(pieces) && !rc; i++)
    rc = tr_bytes_append(&b, pieces[i], strlen(pieces[i]));
  if (!rc)
    rc = fd >= 0 ? cli_http_send_fd(&u->r->h, b.data, b.len, fd)
                 : cli_http_send(&u->r->h, b.data, b.len);
  tr_bytes_free(&b);
  tr_free(enc);
  tr_free(abs);
  return rc;
}

static int part(up_t *u, const char *path, const char *ctype,
                const struct stat *st) {
  return part_fd(u, path, ctype, st, -1, false);
}

/* A regular file goes by sendfile (the client's read of it was the
 * largest copy of an add through the daemon: 9% of the CPU of a 512 MiB
 * add, more than the daemon's own copies); anything else by read and
 * send.  1 if fd is not a regular file (nothing went). */
static int send_file(up_t *u, int fd) {
  struct stat st;
  off_t off = lseek(fd, 0, SEEK_CUR);
  if (off < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode))
    return 1;
  while (off < st.st_size) {
    off_t left = st.st_size - off;
    size_t n = left < SENDFILE_CHUNK ? (size_t)left : SENDFILE_CHUNK;
    int rc = cli_http_sendfile(&u->r->h, fd, &off, n);
    if (rc)
      return rc;
    if (u->out.bar.on)
      cli_progress_add(&u->out.bar, (uint64_t)n);
  }
  return 0;
}

static int send_fd(up_t *u, int fd) {
  int sent = send_file(u, fd);
  if (sent <= 0)
    return sent;
  for (;;) {
    ssize_t n = read(fd, u->buf, READ_SIZE);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if (n == 0)
      return 0;
    int rc = cli_http_send(&u->r->h, u->buf, (size_t)n);
    if (rc)
      return rc;
    /* The bar moves with the bytes sent (the daemon reads at most a few
     * MiB ahead of its import); its own Bytes lines, read once the body
     * is out, take it to the end. */
    if (u->out.bar.on)
      cli_progress_add(&u->out.bar, (uint64_t)n);
  }
}

/* A file's part: a regular file as a passed descriptor when the daemon
 * takes them (u->pass: it reads the file itself, and no byte of it
 * crosses the socket), else its bytes (send_fd).  st: the part's own
 * metadata (may be NULL). */
static int file_part(up_t *u, const char *path, const struct stat *st,
                     int fd) {
  struct stat fs;
  if (u->pass && u->r->h.is_unix && !fstat(fd, &fs) && S_ISREG(fs.st_mode))
    return part_fd(u, path, RPC_UP_FD_TYPE, st, fd, true);
  int rc = part_fd(u, path, "application/octet-stream", st, -1, true);
  return rc ? rc : send_fd(u, fd);
}

static int send_entry(up_t *u, int dirfd, const char *name, tr_bytes_t *path,
                      int depth);

static int send_dir(up_t *u, int fd, tr_bytes_t *path, int depth) {
  if (depth >= MAX_DEPTH)
    return TR_ETOOBIG;
  char **v = NULL;
  size_t n = 0;
  int rc = cli_list_dir(fd, &u->filter, &v, &n);
  if (rc)
    return rc;
  size_t base = path->len;
  for (size_t i = 0; i < n && !rc; i++) {
    path->len = base;
    if ((rc = tr_bytes_append(path, "/", 1)) ||
        (rc = tr_bytes_append(path, v[i], strlen(v[i]) + 1)))
      break;
    path->len--;
    rc = send_entry(u, fd, v[i], path, depth + 1);
  }
  path->len = base;
  cli_free_names(v, n);
  return rc;
}

/* One file, symlink or directory (path: its name in the upload). */
static int send_entry(up_t *u, int dirfd, const char *name, tr_bytes_t *path,
                      int depth) {
  struct stat st;
  const char *p = (const char *)path->data;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
    return -errno;
  int rc;
  if (S_ISLNK(st.st_mode)) {
    char target[4097];
    ssize_t n = readlinkat(dirfd, name, target, sizeof target);
    if (n < 0)
      return -errno;
    if ((size_t)n >= sizeof target)
      return TR_ETOOBIG;
    if ((rc = part(u, p, "application/symlink", &st)))
      return rc;
    return cli_http_send(&u->r->h, target, (size_t)n);
  }
  if (S_ISDIR(st.st_mode)) {
    if (!u->recursive) {
      cli_failf("add: %s is a directory (use -r)", p);
      return TR_EUSAGE;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return -errno;
    rc = part(u, p, "application/x-directory", &st);
    if (!rc)
      rc = send_dir(u, fd, path, depth);
    close(fd);
    return rc;
  }
  if (!S_ISREG(st.st_mode)) {
    cli_failf("add: %s: not a regular file, directory or symlink", p);
    return TR_EUSAGE;
  }
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  rc = file_part(u, p, &st, fd);
  close(fd);
  return rc;
}

/* One command-line path, named by its last element ('.' and '..' by the
 * directory they are, as the local add does). */
static int send_arg(up_t *u, const char *arg) {
  char *a = tr_strdup(arg), *b = tr_strdup(arg), real[PATH_MAX];
  int rc = a && b ? 0 : -ENOMEM;
  if (!rc) {
    size_t l = strlen(a);
    while (l > 1 && a[l - 1] == '/') {
      l--;
      a[l] = b[l] = 0;
    }
    const char *base = basename(a), *dir = dirname(b);
    const char *name = base, *open_dir = dir, *entry = base;
    char abs[4096];
    if ((!strcmp(base, ".") || !strcmp(base, "..")) && realpath(arg, real)) {
      name = strrchr(real, '/') + 1;
      entry = ".";
      open_dir = arg;
      snprintf(u->absbase, sizeof u->absbase, "%s", real);
    } else if (!cli_abs_path(dir, abs, sizeof abs)) {
      snprintf(u->absbase, sizeof u->absbase, "%s/%s", abs, base);
    } else {
      u->absbase[0] = 0; /* no Abspath then, never the last argument's */
    }
    u->namelen = strlen(name);
    tr_bytes_t path = {0};
    int dfd = open(open_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
      rc = -errno;
    else {
      if (!(rc = tr_bytes_append(&path, name, strlen(name) + 1))) {
        path.len--;
        rc = send_entry(u, dfd, entry, &path, 0);
      }
      close(dfd);
    }
    tr_bytes_free(&path);
  }
  if (rc && rc != TR_EUSAGE && rc != -EPIPE)
    cli_failf("add %s: %s", arg, rc < 0 && rc > -4096 ? strerror(-rc)
                                                      : tr_strerror(rc));
  tr_free(a);
  tr_free(b);
  return rc;
}

/* --------------------------------------------------------------- add */

/* One value of add's answer: progress moves the bar, a CID is printed
 * as the local add prints it.  Kubo's PostRun: Bytes count up within a
 * file (Name), and start again with the next one. */
static void add_line(add_out_t *o, json_t *v) {
  const char *hash = cli__jstr(v, "Hash"), *name = cli__jstr(v, "Name");
  json_t *bytes = json_object_get(v, "Bytes");
  if (!*hash && json_is_integer(bytes)) {
    uint64_t b = (uint64_t)json_integer_value(bytes);
    if (strcmp(name, o->file) || b < o->file_bytes) {
      o->prev += o->file_bytes;
      snprintf(o->file, sizeof o->file, "%s", name);
    }
    o->file_bytes = b;
    if (o->prev + b > o->bar.done) /* the bytes sent may be ahead */
      cli_progress_set(&o->bar, o->prev + b);
    return;
  }
  if (!*hash)
    return;
  snprintf(o->last, sizeof o->last, "%s", hash);
  if (o->quieter)
    return;
  cli_progress_clear(&o->bar);
  if (o->quiet)
    printf("%s\n", hash);
  else
    printf("added %s %s\n", hash, name); /* Kubo's, -w's "" included */
  fflush(stdout);
}

static int r_add(remote_t *r, int argc, char **argv, up_t *u) {
  rpc_add_opts_t a;
  char err[512];
  /* Resolved here as the daemon will resolve them (the same code): a bad
   * combination fails before anything is sent. */
  json_t *cfg = NULL;
  if (config_load(r->cli->repo, &cfg))
    cfg = NULL;
  int bad = rpc_add_resolve(r->v, json_object_get(cfg, "Import"), &a, err,
                            sizeof err);
  json_decref(cfg); /* a.o is not used past the checks below */
  if (bad)
    return cli_failf("add: %s", err);
  add_out_t *o = &u->out;
  o->quiet = a.quiet;
  o->quieter = a.quieter || a.silent;
  u->recursive = a.recursive;
  if (cli_filter_from(&u->filter, r->v))
    return 1;
  char **paths = argv + 1;
  int npaths = argc - 1, rc = 0;
  bool bar = cli_progress_wanted(a.progress_set, a.progress,
                                 a.quiet || a.quieter || a.silent);
  if (bar && !a.progress_set && cli__qadd(r, "progress", "true"))
    return 1;
  cli_progress_start(&o->bar, bar,
                     bar ? cli_paths_size(paths, npaths, a.recursive, &u->filter)
                         : 0);
  if (!rc && getrandom(u->boundary, 16, 0) != 16)
    rc = cli_failf("add: no randomness for the multipart boundary");
  if (!rc) {
    /* 16 random bytes as hex: no file can be expected to contain it. */
    uint8_t rnd[16];
    memcpy(rnd, u->boundary, 16);
    memcpy(u->boundary, "trove-", 6);
    tr_hex(rnd, 16, u->boundary + 6);
    char ct[96];
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", u->boundary);
    u->pass = cli__passes_fds(r);
    if (!(u->buf = tr_malloc(READ_SIZE)))
      rc = cli_fail("add", -ENOMEM);
    else
      rc = cli__start(r, "add", ct);
  }
  for (int i = 0; i < npaths && !rc; i++)
    rc = send_arg(u, paths[i]);
  if (!rc && npaths == 0) { /* stdin: named as asked, else by its CID */
    rc = file_part(u, a.stdin_name ? a.stdin_name : "", NULL, 0);
    if (rc && rc != -EPIPE)
      cli_failf("add: reading stdin: %s", strerror(-rc));
  }
  if (rc && rc != -EPIPE) {
    cli_progress_clear(&o->bar);
    return 1;
  }
  if (!rc) {
    char end[80];
    int n = snprintf(end, sizeof end, "%s--%s--\r\n", u->parts ? "\r\n" : "",
                     u->boundary);
    rc = cli_http_send(&r->h, end, (size_t)n);
    if (!rc)
      rc = cli_http_end(&r->h);
  }
  /* Sent, or the daemon stopped reading: its answer says why. */
  if (cli__answer(r)) {
    cli_progress_clear(&o->bar);
    return 1;
  }
  json_t *v;
  while ((rc = cli__next_value(r, &v)) > 0) {
    add_line(o, v);
    json_decref(v);
  }
  if (rc < 0) {
    cli_progress_clear(&o->bar);
    return 1;
  }
  cli_progress_end(&o->bar);
  if (o->quieter && !a.silent && *o->last)
    printf("%s\n", o->last);
  return 0;
}

int cli__remote_add(remote_t *r, int argc, char **argv) {
  up_t u = {.r = r};
  int rc = r_add(r, argc, argv, &u);
  tr_free(u.buf);
  cli_filter_free(&u.filter);
  return rc;
}

/* `dag import [--pin-roots=false] [--stats] FILE...`: the CARs as parts of
 * one request (Kubo's dag import takes several), printed as the local
 * command prints. */
int cli__remote_dag_import(remote_t *r, int argc, char **argv) {
  (void)rpc_vals_bool(r->v, "stats");
  char **files = argv + 1;
  int nfiles = argc - 1, rc = 0;
  static char *dash[] = {"-"};
  if (!nfiles) {
    files = dash;
    nfiles = 1;
  }
  up_t u = {.r = r};
  uint8_t rnd[16];
  r->what = "dag import";
  if (!rc && getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
    rc = cli_failf("dag import: no randomness");
  if (!rc && !(u.buf = tr_malloc(READ_SIZE)))
    rc = cli_fail("dag import", -ENOMEM);
  char ct[96];
  memcpy(u.boundary, "trove-", 6);
  tr_hex(rnd, sizeof rnd, u.boundary + 6);
  snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", u.boundary);
  u.pass = !rc && cli__passes_fds(r);
  if (!rc)
    rc = cli__start(r, "dag/import", ct);
  int e = 0;
  for (int f = 0; f < nfiles && !rc && !e; f++) {
    int fd = strcmp(files[f], "-") ? open(files[f], O_RDONLY | O_CLOEXEC) : 0;
    if (fd < 0) {
      rc = cli_failf("dag import %s: %s", files[f], strerror(errno));
      break;
    }
    e = file_part(&u, "", NULL, fd);
    if (fd)
      close(fd);
  }
  if (!rc && !e) {
    char end[80];
    int n = snprintf(end, sizeof end, "\r\n--%s--\r\n", u.boundary);
    e = cli_http_send(&r->h, end, (size_t)n);
    if (!e)
      e = cli_http_end(&r->h);
  }
  tr_free(u.buf);
  if (rc || (e && e != -EPIPE))
    return rc ? rc : cli_failf("dag import: %s", strerror(-e));
  if (cli__answer(r))
    return 1;
  json_t *o;
  int status = 0;
  char s[DAG_CID_STR_MAX];
  while ((rc = cli__next_value(r, &o)) > 0) {
    json_t *root = json_object_get(o, "Root");
    if (root) {
      snprintf(s, sizeof s, "%s", cli__jstr(json_object_get(root, "Cid"), "/"));
      const char *msg = cli__jstr(root, "PinErrorMsg");
      if (*msg) {
        printf("Pinned root\t%s\tFAILED: %s\n", s, msg);
        status = 1;
      } else
        printf("Pinned root\t%s\tsuccess\n", s);
    }
    json_t *st = json_object_get(o, "Stats");
    if (st)
      printf("Imported %lld blocks\n",
             (long long)json_integer_value(json_object_get(st, "BlockCount")));
    json_decref(o);
  }
  return rc < 0 || status;
}

/* block put and dag put: one request per file (stdin when none) to cmd,
 * as the local commands store them one by one, each answered by one JSON
 * line whose CID is printed ("Key", or dag put's {"Cid":{"/":...}}). */
static int put_each(remote_t *r, int argc, char **argv, const char *what,
                    const char *cmd, int rc, bool answers) {
  char **files = argv + 1;
  int nfiles = argc - 1;
  static char *dash[] = {"-"};
  if (!nfiles) {
    files = dash;
    nfiles = 1;
  }
  up_t u = {.r = r};
  uint8_t rnd[16];
  if (!rc && getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
    rc = cli_failf("%s: no randomness", what);
  if (!rc && !(u.buf = tr_malloc(READ_SIZE)))
    rc = cli_fail(what, -ENOMEM);
  memcpy(u.boundary, "trove-", 6);
  tr_hex(rnd, sizeof rnd, u.boundary + 6);
  char ct[96];
  snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", u.boundary);
  u.pass = !rc && cli__passes_fds(r);
  for (int f = 0; f < nfiles && !rc; f++) {
    int fd = strcmp(files[f], "-") ? open(files[f], O_RDONLY | O_CLOEXEC) : 0;
    if (fd < 0) {
      rc = cli_failf("%s: %s: %s", what, files[f], strerror(errno));
      break;
    }
    u.parts = 0;
    int e = cli__start(r, cmd, ct) ? -EIO : 0;
    if (!e)
      e = file_part(&u, "", NULL, fd);
    if (fd)
      close(fd);
    if (!e) {
      char end[80];
      int n = snprintf(end, sizeof end, "\r\n--%s--\r\n", u.boundary);
      e = cli_http_send(&r->h, end, (size_t)n);
      if (!e)
        e = cli_http_end(&r->h);
    }
    if (e == -EIO || (e && e != -EPIPE)) {
      rc = e == -EIO ? 1 : cli_failf("%s: %s", what, strerror(-e));
    } else if (cli__answer(r)) {
      rc = 1;
    } else if (!answers) {
      json_t *o;
      rc = cli__next_value(r, &o) < 0;
      json_decref(o);
    } else {
      json_t *o;
      if (cli__next_value(r, &o) > 0) {
        json_t *c = json_object_get(o, "Cid");
        printf("%s\n", c ? cli__jstr(c, "/") : cli__jstr(o, "Key"));
        json_decref(o);
      } else
        rc = 1;
    }
    cli_http_close(&r->h);
  }
  tr_free(u.buf);
  return rc;
}

int cli__remote_block_put(remote_t *r, int argc, char **argv) {
  int version;
  uint64_t codec, mh;
  /* Checked here as the local command checks them. */
  int rc = cli_block_format(r->cli, &version, &codec, &mh);
  return put_each(r, argc, argv, "block put", "block/put", rc, true);
}

int cli__remote_dag_put(remote_t *r, int argc, char **argv) {
  return put_each(r, argc, argv, "dag put", "dag/put", 0, true);
}

int cli__remote_files_write(remote_t *r, int argc, char **argv) {
  if (argc < 2 || argc > 3)
    return cli_failf("files write: usage: trove files write [options] PATH "
                     "[FILE]");
  /* The path is the query's argument; the data (FILE or stdin) the body. */
  return cli__qadd(r, "arg", argv[1]) ||
         put_each(r, argc - 1, argv + 1, "files write", "files/write", 0,
                  false);
}

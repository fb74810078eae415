/*
 * cmd_remote.c — CLI commands that go through a running daemon's RPC API
 * (issue 5: "CLI commands use the API when a daemon holds the repo").
 *
 * LMDB lets any number of processes read the repo safely, but the daemon
 * should be the only writer - it holds the gc lock for its uploads, and
 * its in-flight imports are only safe from a GC that it runs.  So when
 * <repo>/api names a daemon that answers, the writing commands (add, pin
 * add/rm, repo gc, block put/rm, dag import) and the ones asked for besides
 * (cat, pin ls, block get) are sent to its API with Kubo's parameters, and the
 * answers are printed exactly as the local commands print them.  Commands
 * not listed here run locally as before; so does `add -n` (nothing to
 * write), and everything when TROVE_OFFLINE=1.
 *
 * `add` streams the files: the walk is the local add's (sorted names, dot
 * files only with --hidden, symlinks stored, never followed) and each file
 * goes out as a multipart part in chunked pieces as it is read, the way
 * `ipfs add` sends directories to Kubo (Content-Type
 * application/x-directory and application/symlink parts, URL-encoded
 * paths as filenames).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../node/daemon.h"
#include "api_client.h"
#include "cli.h"

#define READ_SIZE (1u << 20)
#define MAX_DEPTH 4096

typedef struct remote {
  char host[64];
  int port;
  const char *what; /* command name for messages */
  tr_bytes_t q;     /* query string being built */
  cli_http_t h;
} remote_t;

/* ------------------------------------------------------------ plumbing */

static int qadd(remote_t *r, const char *k, const char *v) {
  if (cli_query_add(&r->q, k, v)) {
    cli_failf("%s: out of memory", r->what);
    return 1;
  }
  return 0;
}

/* Open the connection and send the request line (body if ctype). */
static int start(remote_t *r, const char *cmd, const char *ctype) {
  char target[128];
  snprintf(target, sizeof target, "/api/v0/%s", cmd);
  tr_bytes_t t = {0};
  int rc = tr_bytes_append(&t, target, strlen(target));
  if (!rc && r->q.len)
    rc = tr_bytes_append(&t, r->q.data, r->q.len);
  if (!rc)
    rc = tr_bytes_append(&t, "", 1);
  if (!rc && (rc = cli_http_open(&r->h, r->host, r->port)))
    cli_failf("%s: cannot reach the daemon at %s:%d: %s", r->what, r->host,
              r->port, strerror(-rc));
  else if (!rc && (rc = cli_http_request(&r->h, (const char *)t.data, ctype)))
    cli_failf("%s: sending to the daemon: %s", r->what, strerror(-rc));
  tr_bytes_free(&t);
  return rc ? 1 : 0;
}

/* Read the response head; a non-200 answer is reported. */
static int answer(remote_t *r) {
  int rc = cli_http_response(&r->h);
  if (rc)
    return cli_failf("%s: no answer from the daemon: %s", r->what,
                     tr_strerror(rc));
  if (r->h.status != 200) {
    char msg[1024];
    cli_http_error(&r->h, msg, sizeof msg);
    return cli_failf("%s: %s", r->what, msg);
  }
  return 0;
}

static int call(remote_t *r, const char *cmd) {
  return start(r, cmd, NULL) || answer(r) ? 1 : 0;
}

/* Next NDJSON value of the answer: 1 and *o, 0 at the end; an error value
 * in the stream (Kubo's {"Message","Type":"error"}) or a cut answer is
 * reported and gives -1. */
static int next_value(remote_t *r, json_t **o) {
  static char line[1 << 16];
  size_t n;
  *o = NULL;
  for (;;) {
    int rc = cli_http_line(&r->h, line, sizeof line, &n);
    if (rc < 0) {
      cli_failf("%s: the daemon's answer was cut: %s", r->what,
                tr_strerror(rc));
      return -1;
    }
    if (rc == 0)
      return 0;
    if (n == 0)
      continue;
    *o = json_loadb(line, n, 0, NULL);
    if (!*o) {
      cli_failf("%s: malformed answer from the daemon", r->what);
      return -1;
    }
    const char *type = json_string_value(json_object_get(*o, "Type"));
    if (type && !strcmp(type, "error")) {
      cli_failf("%s: %s", r->what,
                json_string_value(json_object_get(*o, "Message")));
      json_decref(*o);
      *o = NULL;
      return -1;
    }
    return 1;
  }
}

/* The body of the answer to stdout. */
static int body_out(remote_t *r) {
  static uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = cli_http_read(&r->h, buf, sizeof buf);
    if (n < 0)
      return cli_failf("%s: the daemon's answer was cut: %s", r->what,
                       tr_strerror((int)n));
    if (n == 0)
      return 0;
    int rc = cli_write_out(buf, (size_t)n);
    if (rc)
      return cli_failf("%s: writing: %s", r->what, strerror(-rc));
  }
}

static const char *jstr(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

/* "--name=V", "--name V", "-x V": the value, or NULL. */
static const char *opt_val(int argc, char **argv, int *i, const char *lng,
                           const char *shrt) {
  const char *a = argv[*i];
  size_t n = strlen(lng);
  if (!strncmp(a, lng, n) && a[n] == '=')
    return a + n + 1;
  if ((!strcmp(a, lng) || (shrt && !strcmp(a, shrt))) && *i + 1 < argc)
    return argv[++*i];
  return NULL;
}

/* "--name" or "--name=B": 1 and *b; 0 if argv[i] is not that option. */
static int opt_bool(const char *a, const char *lng, const char *shrt, bool *b,
                    int *err) {
  size_t n = strlen(lng);
  if (!strcmp(a, lng) || (shrt && !strcmp(a, shrt))) {
    *b = true;
    return 1;
  }
  if (!strncmp(a, lng, n) && a[n] == '=') {
    if (cli_bool(lng + 2, a + n + 1, b))
      *err = 1;
    return 1;
  }
  return 0;
}

/* ---------------------------------------------------- reads: cat, block */

static int r_cat(remote_t *r, int argc, char **argv) {
  const char *v;
  int args = 0;
  for (int i = 1; i < argc; i++) {
    if ((v = opt_val(argc, argv, &i, "--offset", "-o"))) {
      if (qadd(r, "offset", v))
        return 1;
    } else if ((v = opt_val(argc, argv, &i, "--length", "-l"))) {
      if (qadd(r, "length", v))
        return 1;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      return cli_failf("cat: unknown option %s", argv[i]);
    } else if (qadd(r, "arg", argv[i]))
      return 1;
    else
      args++;
  }
  if (!args)
    return cli_failf("cat: usage: trove cat [--offset N] [--length N] CID[/path]...");
  return call(r, "cat") || body_out(r);
}

static int r_block_get(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("block get: usage: trove block get CID");
  return qadd(r, "arg", argv[1]) || call(r, "block/get") || body_out(r);
}

/* ------------------------------------------------------------------ pins */

static int r_pin_add(remote_t *r, int argc, char **argv) {
  bool recursive = true;
  const char *v;
  int err = 0, args = 0;
  for (int i = 1; i < argc; i++) {
    if (opt_bool(argv[i], "--recursive", "-r", &recursive, &err)) {
      if (err)
        return 1;
    } else if ((v = opt_val(argc, argv, &i, "--name", NULL))) {
      if (qadd(r, "name", v))
        return 1;
    } else if (argv[i][0] == '-' && argv[i][1])
      return cli_failf("pin add: unknown option %s", argv[i]);
    else if (qadd(r, "arg", argv[i]))
      return 1;
    else
      args++;
  }
  if (!args)
    return cli_failf("pin add: usage: trove pin add [--recursive=false] CID...");
  if (qadd(r, "recursive", recursive ? "true" : "false") || call(r, "pin/add"))
    return 1;
  json_t *o;
  if (next_value(r, &o) <= 0)
    return 1;
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(o, "Pins"), i, p)
    printf("pinned %s %s\n", json_string_value(p),
           recursive ? "recursively" : "directly");
  json_decref(o);
  return 0;
}

static int r_pin_rm(remote_t *r, int argc, char **argv) {
  bool recursive = true;
  int err = 0, args = 0;
  for (int i = 1; i < argc; i++) {
    if (opt_bool(argv[i], "--recursive", "-r", &recursive, &err)) {
      if (err)
        return 1;
    } else if (argv[i][0] == '-')
      return cli_failf("pin rm: unknown option %s", argv[i]);
    else if (qadd(r, "arg", argv[i]))
      return 1;
    else
      args++;
  }
  if (!args)
    return cli_failf("pin rm: usage: trove pin rm [--recursive=false] CID...");
  if (qadd(r, "recursive", recursive ? "true" : "false") || call(r, "pin/rm"))
    return 1;
  json_t *o;
  if (next_value(r, &o) <= 0)
    return 1;
  json_decref(o);
  for (int i = 1; i < argc; i++)
    if (argv[i][0] != '-')
      printf("unpinned %s\n", argv[i]);
  return 0;
}

static int r_pin_ls(remote_t *r, int argc, char **argv) {
  bool quiet = false, names = false;
  const char *v;
  int err = 0;
  for (int i = 1; i < argc; i++) {
    if ((v = opt_val(argc, argv, &i, "--type", "-t"))) {
      if (qadd(r, "type", v))
        return 1;
    } else if (opt_bool(argv[i], "--quiet", "-q", &quiet, &err) ||
               opt_bool(argv[i], "--names", NULL, &names, &err)) {
      if (err)
        return 1;
    } else if (argv[i][0] == '-' && argv[i][1])
      return cli_failf("pin ls: unknown option %s", argv[i]);
    else if (qadd(r, "arg", argv[i]))
      return 1;
  }
  if (qadd(r, "stream", "true") || (names && qadd(r, "names", "true")) ||
      call(r, "pin/ls"))
    return 1;
  json_t *o;
  int rc;
  while ((rc = next_value(r, &o)) > 0) {
    const char *name = jstr(o, "Name");
    if (quiet)
      printf("%s\n", jstr(o, "Cid"));
    else if (names && *name)
      printf("%s %s %s\n", jstr(o, "Cid"), jstr(o, "Type"), name);
    else
      printf("%s %s\n", jstr(o, "Cid"), jstr(o, "Type"));
    json_decref(o);
  }
  return rc < 0;
}

/* ------------------------------------------------------------- repo gc */

static int r_repo_gc(remote_t *r, int argc, char **argv) {
  bool quiet = false;
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
      quiet = true;
    else
      return cli_failf("repo gc: unknown option %s", argv[i]);
  if (call(r, "repo/gc"))
    return 1;
  json_t *o;
  int rc;
  unsigned long long removed = 0;
  while ((rc = next_value(r, &o)) > 0) {
    removed++;
    if (!quiet)
      printf("removed %s\n", jstr(json_object_get(o, "Key"), "/"));
    json_decref(o);
  }
  if (rc == 0 && !quiet)
    fprintf(stderr, "gc: %llu removed (through the daemon)\n", removed);
  return rc < 0;
}

/* -------------------------------------------------------------- blocks */

static int r_block_rm(remote_t *r, int argc, char **argv) {
  bool force = false, quiet = false;
  int err = 0, args = 0;
  for (int i = 1; i < argc; i++) {
    if (opt_bool(argv[i], "--force", "-f", &force, &err) ||
        opt_bool(argv[i], "--quiet", "-q", &quiet, &err)) {
      if (err)
        return 1;
    } else if (argv[i][0] == '-')
      return cli_failf("block rm: unknown option %s", argv[i]);
    else if (qadd(r, "arg", argv[i]))
      return 1;
    else
      args++;
  }
  if (!args)
    return cli_failf("block rm: usage: trove block rm [-f] [-q] CID...");
  if ((force && qadd(r, "force", "true")) || call(r, "block/rm"))
    return 1;
  json_t *o;
  int rc, failed = 0;
  while ((rc = next_value(r, &o)) > 0) {
    if (*jstr(o, "Error")) {
      cli_failf("cannot remove %s: %s", jstr(o, "Hash"), jstr(o, "Error"));
      failed = 1;
    } else if (!quiet)
      printf("removed %s\n", jstr(o, "Hash"));
    json_decref(o);
  }
  return rc < 0 || failed;
}

/* ----------------------------------------------------- multipart upload */

typedef struct up {
  remote_t *r;
  char boundary[48];
  int parts;
  bool hidden, recursive;
  uint8_t *buf;
} up_t;

static int part(up_t *u, const char *path, const char *ctype) {
  char *enc = cli_uri_encode(path);
  if (!enc)
    return -ENOMEM;
  tr_bytes_t b = {0};
  int rc = tr_bytes_append(&b, u->parts ? "\r\n--" : "--", u->parts ? 4 : 2);
  u->parts++;
  const char *pieces[] = {u->boundary, "\r\nContent-Disposition: form-data; "
                          "name=\"file\"; filename=\"", enc,
                          "\"\r\nContent-Type: ", ctype, "\r\n\r\n"};
  for (size_t i = 0; i < TR_ARRAY_LEN(pieces) && !rc; i++)
    rc = tr_bytes_append(&b, pieces[i], strlen(pieces[i]));
  if (!rc)
    rc = cli_http_send(&u->r->h, b.data, b.len);
  tr_bytes_free(&b);
  tr_free(enc);
  return rc;
}

static int send_fd(up_t *u, int fd) {
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
  }
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int send_entry(up_t *u, int dirfd, const char *name, tr_bytes_t *path,
                      int depth);

static int send_dir(up_t *u, int fd, tr_bytes_t *path, int depth) {
  if (depth >= MAX_DEPTH)
    return TR_ETOOBIG;
  int dfd = dup(fd);
  DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
  if (!d) {
    if (dfd >= 0)
      close(dfd);
    return -errno;
  }
  char **v = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  struct dirent *de;
  while (!rc && (de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    if (de->d_name[0] == '.' && !u->hidden)
      continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 32;
      char **nv = tr_realloc(v, cap * sizeof *nv);
      if (!nv) {
        rc = -ENOMEM;
        break;
      }
      v = nv;
    }
    if (!(v[n] = tr_strdup(de->d_name)))
      rc = -ENOMEM;
    else
      n++;
  }
  closedir(d);
  if (!rc && n > 1)
    qsort(v, n, sizeof *v, cmp_str);
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
  for (size_t i = 0; i < n; i++)
    tr_free(v[i]);
  tr_free(v);
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
    if ((rc = part(u, p, "application/symlink")))
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
    rc = part(u, p, "application/x-directory");
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
  rc = part(u, p, "application/octet-stream");
  if (!rc)
    rc = send_fd(u, fd);
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
    if ((!strcmp(base, ".") || !strcmp(base, "..")) && realpath(arg, real)) {
      name = strrchr(real, '/') + 1;
      entry = ".";
      open_dir = arg;
    }
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

static int r_add(remote_t *r, int argc, char **argv, up_t *u) {
  bool quiet = false, quieter = false, b;
  int err = 0, npaths = 0;
  char **paths = tr_calloc((size_t)argc + 1, sizeof *paths);
  if (!paths)
    return cli_fail("add", -ENOMEM);
  static const char *const with_value[][2] = {
      {"--profile", "profile"}, {"--chunker", "chunker"}, {"-s", "chunker"},
      {"--hash", "hash"}, {"--cid-version", "cid-version"},
      {"--pin-name", "pin-name"}, {"--max-file-links", "max-file-links"}};
  static const char *const flags[][2] = {
      {"--wrap-with-directory", "wrap-with-directory"}, {"-w", "wrap-with-directory"},
      {"--pin", "pin"}, {"--raw-leaves", "raw-leaves"}, {"--trickle", "trickle"},
      {"-t", "trickle"}};
  int rc = 0;
  for (int i = 1; i < argc && !rc; i++) {
    const char *a = argv[i], *v;
    bool done = false;
    for (size_t k = 0; k < TR_ARRAY_LEN(with_value) && !done; k++)
      if ((v = opt_val(argc, argv, &i, with_value[k][0], NULL))) {
        rc = qadd(r, with_value[k][1], v);
        done = true;
      }
    for (size_t k = 0; k < TR_ARRAY_LEN(flags) && !done; k++)
      if (opt_bool(a, flags[k][0], NULL, &b, &err)) {
        rc = err ? 1 : qadd(r, flags[k][1], b ? "true" : "false");
        done = true;
      }
    if (done)
      continue;
    if (opt_bool(a, "--recursive", "-r", &u->recursive, &err) ||
        opt_bool(a, "--hidden", "-H", &u->hidden, &err) ||
        opt_bool(a, "--quiet", "-q", &quiet, &err) ||
        opt_bool(a, "--quieter", "-Q", &quieter, &err) ||
        opt_bool(a, "--progress", "-p", &b, &err)) {
      rc = err;
    } else if (a[0] == '-' && a[1] == '-') {
      rc = cli_failf("add: unknown option %s", a);
    } else if (a[0] == '-' && a[1]) {
      /* grouped short flags: -rq, -rwQ ... */
      for (const char *c = a + 1; *c && !rc; c++) {
        if (*c == 'r') u->recursive = true;
        else if (*c == 'q') quiet = true;
        else if (*c == 'Q') quieter = true;
        else if (*c == 'H') u->hidden = true;
        else if (*c == 'p') {}
        else if (*c == 'w') rc = qadd(r, "wrap-with-directory", "true");
        else rc = cli_failf("add: unknown option -%c", *c);
      }
    } else {
      paths[npaths++] = argv[i];
    }
  }
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
    if (!(u->buf = tr_malloc(READ_SIZE)))
      rc = cli_fail("add", -ENOMEM);
    else
      rc = start(r, "add", ct);
  }
  for (int i = 0; i < npaths && !rc; i++)
    rc = send_arg(u, paths[i]);
  if (!rc && npaths == 0) { /* stdin: no name, Kubo names it by its CID */
    rc = part(u, "", "application/octet-stream");
    if (!rc)
      rc = send_fd(u, 0);
    if (rc && rc != -EPIPE)
      cli_failf("add: reading stdin: %s", strerror(-rc));
  }
  tr_free(paths);
  if (rc && rc != -EPIPE)
    return 1;
  if (!rc) {
    char end[80];
    int n = snprintf(end, sizeof end, "%s--%s--\r\n", u->parts ? "\r\n" : "",
                     u->boundary);
    rc = cli_http_send(&r->h, end, (size_t)n);
    if (!rc)
      rc = cli_http_end(&r->h);
  }
  /* Sent, or the daemon stopped reading: its answer says why. */
  if (answer(r))
    return 1;
  json_t *o;
  char last[DAG_CID_STR_MAX] = "";
  while ((rc = next_value(r, &o)) > 0) {
    const char *hash = jstr(o, "Hash"), *name = jstr(o, "Name");
    if (*hash) {
      snprintf(last, sizeof last, "%s", hash);
      if (quiet && !quieter)
        printf("%s\n", hash);
      else if (!quieter)
        printf(*name ? "added %s %s\n" : "added %s\n", hash, name);
    }
    json_decref(o);
  }
  if (rc < 0)
    return 1;
  if (quieter && *last)
    printf("%s\n", last);
  return 0;
}

/* -------------------------------------------------------------- table */

typedef struct rcmd {
  const char *name;
  int (*fn)(remote_t *r, int argc, char **argv);
  /* NULL, or false when this invocation should run locally. */
  bool (*wants)(int argc, char **argv);
} rcmd_t;

/* add -n writes nothing: hashing locally is faster. */
static bool add_wants(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--only-hash") || !strcmp(a, "--only-hash=true") ||
        (a[0] == '-' && a[1] != '-' && strchr(a, 'n') && !strchr(a, 's')))
      return false;
  }
  return true;
}

/* `dag import` writes; `dag export` only reads. */
static bool dag_wants(int argc, char **argv) {
  return argc >= 2 && !strcmp(argv[1], "import");
}

static int r_dag_import(remote_t *r, int argc, char **argv);

static int r_add_entry(remote_t *r, int argc, char **argv) {
  up_t u = {.r = r};
  int rc = r_add(r, argc, argv, &u);
  tr_free(u.buf);
  return rc;
}

static int r_block_put(remote_t *r, int argc, char **argv);

static const rcmd_t table[] = {
    {"add", r_add_entry, add_wants},
    {"cat", r_cat, NULL},
    {"pin add", r_pin_add, NULL},
    {"pin rm", r_pin_rm, NULL},
    {"pin ls", r_pin_ls, NULL},
    {"repo gc", r_repo_gc, NULL},
    {"block get", r_block_get, NULL},
    {"block put", r_block_put, NULL},
    {"block rm", r_block_rm, NULL},
    {"dag", r_dag_import, dag_wants},
};

/* `dag import [--pin-roots=false] [--stats] FILE...`: the CARs as parts of
 * one request (Kubo's dag import takes several), printed as the local
 * command prints. */
static int r_dag_import(remote_t *r, int argc, char **argv) {
  bool stats = false, pin = true;
  int err = 0, nfiles = 0;
  argc--, argv++; /* past "dag": argv[0] is "import" */
  char **files = tr_calloc((size_t)argc + 1, sizeof *files);
  if (!files)
    return cli_fail("dag import", -ENOMEM);
  int rc = 0;
  for (int i = 1; i < argc && !rc; i++) {
    if (opt_bool(argv[i], "--pin-roots", NULL, &pin, &err))
      rc = err;
    else if (opt_bool(argv[i], "--stats", NULL, &stats, &err))
      rc = err;
    else if (argv[i][0] == '-' && argv[i][1])
      rc = cli_failf("dag import: unknown option %s", argv[i]);
    else
      files[nfiles++] = argv[i];
  }
  if (!nfiles)
    files[nfiles++] = "-";
  up_t u = {.r = r};
  uint8_t rnd[16];
  r->what = "dag import";
  if (!rc && (qadd(r, "pin-roots", pin ? "true" : "false") ||
              qadd(r, "stats", stats ? "true" : "false")))
    rc = 1;
  if (!rc && getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
    rc = cli_failf("dag import: no randomness");
  if (!rc && !(u.buf = tr_malloc(READ_SIZE)))
    rc = cli_fail("dag import", -ENOMEM);
  char ct[96];
  memcpy(u.boundary, "trove-", 6);
  tr_hex(rnd, sizeof rnd, u.boundary + 6);
  snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", u.boundary);
  if (!rc)
    rc = start(r, "dag/import", ct);
  int e = 0;
  for (int f = 0; f < nfiles && !rc && !e; f++) {
    int fd = strcmp(files[f], "-") ? open(files[f], O_RDONLY | O_CLOEXEC) : 0;
    if (fd < 0) {
      rc = cli_failf("dag import %s: %s", files[f], strerror(errno));
      break;
    }
    e = part(&u, "", "application/octet-stream");
    if (!e)
      e = send_fd(&u, fd);
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
  tr_free(files);
  if (rc || (e && e != -EPIPE))
    return rc ? rc : cli_failf("dag import: %s", strerror(-e));
  if (answer(r))
    return 1;
  json_t *o;
  int status = 0;
  char s[DAG_CID_STR_MAX];
  while ((rc = next_value(r, &o)) > 0) {
    json_t *root = json_object_get(o, "Root");
    if (root) {
      snprintf(s, sizeof s, "%s", jstr(json_object_get(root, "Cid"), "/"));
      const char *msg = jstr(root, "PinErrorMsg");
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

static int r_block_put(remote_t *r, int argc, char **argv) {
  static const char *const opts[][2] = {{"--cid-codec", "cid-codec"},
                                        {"--mhtype", "mhtype"},
                                        {"--format", "format"}};
  int nfiles = 0, err = 0;
  bool pin = false;
  char **files = tr_calloc((size_t)argc + 1, sizeof *files);
  if (!files)
    return cli_fail("block put", -ENOMEM);
  int rc = 0;
  for (int i = 1; i < argc && !rc; i++) {
    const char *v = NULL;
    size_t k;
    for (k = 0; k < TR_ARRAY_LEN(opts); k++)
      if ((v = opt_val(argc, argv, &i, opts[k][0], NULL)))
        break;
    if (v)
      rc = qadd(r, opts[k][1], v);
    else if (opt_bool(argv[i], "--pin", NULL, &pin, &err))
      rc = err ? 1 : qadd(r, "pin", pin ? "true" : "false");
    else if (argv[i][0] == '-' && argv[i][1])
      rc = cli_failf("block put: unknown option %s", argv[i]);
    else
      files[nfiles++] = argv[i];
  }
  if (!nfiles)
    files[nfiles++] = "-";
  up_t u = {.r = r};
  uint8_t rnd[16];
  if (!rc && getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
    rc = cli_failf("block put: no randomness");
  if (!rc && !(u.buf = tr_malloc(READ_SIZE)))
    rc = cli_fail("block put", -ENOMEM);
  memcpy(u.boundary, "trove-", 6);
  tr_hex(rnd, sizeof rnd, u.boundary + 6);
  char ct[96];
  snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", u.boundary);
  /* One request per file, as the local command stores them one by one. */
  for (int f = 0; f < nfiles && !rc; f++) {
    int fd = strcmp(files[f], "-") ? open(files[f], O_RDONLY | O_CLOEXEC) : 0;
    if (fd < 0) {
      rc = cli_failf("block put: %s: %s", files[f], strerror(errno));
      break;
    }
    u.parts = 0;
    int e = start(r, "block/put", ct) ? -EIO : 0;
    if (!e)
      e = part(&u, "", "application/octet-stream");
    if (!e)
      e = send_fd(&u, fd);
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
      rc = e == -EIO ? 1 : cli_failf("block put: %s", strerror(-e));
    } else if (answer(r)) {
      rc = 1;
    } else {
      json_t *o;
      if (next_value(r, &o) > 0) {
        printf("%s\n", jstr(o, "Key"));
        json_decref(o);
      } else
        rc = 1;
    }
    cli_http_close(&r->h);
  }
  tr_free(u.buf);
  tr_free(files);
  return rc;
}

bool cli_remote(cli_t *cli, const char *name, int argc, char **argv,
                int *status) {
  const rcmd_t *c = NULL;
  for (size_t i = 0; i < TR_ARRAY_LEN(table); i++)
    if (!strcmp(table[i].name, name))
      c = &table[i];
  const char *off = getenv("TROVE_OFFLINE");
  if (!c || (off && *off && strcmp(off, "0")) || (c->wants && !c->wants(argc, argv)))
    return false;
  remote_t r = {.what = name, .h = {.fd = -1}};
  if (node_daemon_api(cli->repo, r.host, sizeof r.host, &r.port) != 1)
    return false;
  tr_log(TR_LOG_DEBUG, "%s: through the daemon's API at %s:%d", name, r.host,
         r.port);
  *status = c->fn(&r, argc, argv) ? 1 : 0;
  cli_http_close(&r.h);
  tr_bytes_free(&r.q);
  fflush(stdout);
  return true;
}

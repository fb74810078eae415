/*
 * cmd_files.c — reading UnixFS back out of the repo, as Kubo's commands do:
 *
 *   trove cat [--offset N|-o N] [--length N|-l N] CID[/path]...
 *   trove get [-o PATH] CID[/path]
 *   trove ls [-v] [--size=false] CID[/path]...
 *   trove refs [-r] [-u|--unique] [--max-depth N] CID...
 *   trove refs local
 *
 * All reads happen inside one LMDB read transaction per argument: blocks are
 * views into the map (dag/reader.h), so cat streams a file of any size with
 * the memory of a few stack frames (and into a pipe without a copy, its
 * map pages released as it goes: pipe_out.c).  get writes only below its output path:
 * every name is checked (dag_name_ok: no "", ".", "..", '/', NUL), every
 * file, directory and symlink is created relative to its parent's directory
 * descriptor with O_EXCL/O_NOFOLLOW semantics, so neither a hostile name nor
 * a symlink written earlier can redirect a later write.  As `ipfs get`
 * does, the UnixFS 1.5 metadata a node stores is restored: the mtime of
 * files, directories (after their children) and symlinks, the permissions
 * of files and directories - without setuid and setgid, which an archive
 * from elsewhere must not hand out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/gz.h"
#include "../dag/importer.h"
#include "../dag/tar.h"
#include "../dag/reader.h"
#include "../rpc/dagcmd.h"
#include "cli.h"

#define MAX_GET_DEPTH 256

/* ------------------------------------------------------------ plumbing */

/* Reads from the store that remember the first block found missing, so
 * that an error names it ("block X not found"), not only the argument
 * whose DAG it is in. */
typedef struct getter {
  bs_txn_t *txn;
  bool missed;
  dag_cid_t missing;
} getter_t;

static int get_cb(const dag_cid_t *cid, const uint8_t **data, size_t *len,
                  void *ud) {
  getter_t *g = ud;
  int rc = bs_get_cb(cid, data, len, g->txn);
  if (rc == TR_ENOTFOUND && !g->missed) {
    g->missed = true;
    g->missing = *cid;
  }
  return rc;
}

/* "what arg: why", naming the missing block when that is the why. */
static int read_fail(const char *what, const char *arg, int rc,
                     const getter_t *g) {
  char s[DAG_CID_STR_MAX];
  if (rc == TR_ENOTFOUND && g->missed)
    return cli_failf("%s %s: block %s not found in the repo", what, arg,
                     dag_cid_str(&g->missing, s));
  return cli_failf("%s %s: %s", what, arg, tr_strerror(rc));
}

int cli_resolve_path(bs_txn_t *txn, const char *arg, dag_cid_t *out) {
  int ns;
  const char *s = dag_path_rest(arg, &ns);
  size_t n = ns == DAG_NS_IPNS ? 0 : strcspn(s, "/");
  dag_cid_t root;
  int rc = dag_cid_parse(&root, s, n);
  if (rc) {
    cli_failf("invalid CID '%s': %s", arg, tr_strerror(rc));
    return rc;
  }
  getter_t g = {txn, false, {0}};
  rc = dag_resolve(&root, s + n, strlen(s + n), get_cb, &g, out);
  if (rc)
    read_fail("resolving", arg, rc, &g);
  return rc;
}

/* ------------------------------------------------------------------ cat */

/* One path of cat's plan: what it reads and from where. */
typedef struct catpart {
  const char *arg;
  dag_cid_t cid;
  uint64_t off, len;
  bool symlink; /* its bytes are its target (boxo's files.Symlink) */
} catpart_t;

/* Kubo's cat(): every path is looked up before a byte goes out (a
 * directory among them fails the whole command), the offset skips into
 * the concatenation, length caps the whole of it, and the paths past the
 * one that fills it are not looked at; length 0 looks at none. */
int cmd_cat(cli_t *cli, int argc, char **argv) {
  int64_t offset = CLI_INT(cli, "offset");
  int64_t length = CLI_SET(cli, "length") ? CLI_INT(cli, "length") : -1;
  char **args = argv + 1;
  int nargs = argc - 1;
  if (offset < 0)
    return cli_failf("cat: cannot specify negative offset");
  if (CLI_SET(cli, "length") && length < 0)
    return cli_failf("cat: cannot specify negative length");
  if (!nargs)
    return cli_failf("cat: usage: trove cat [-o N] [-l N] CID[/path]... "
                     "(or one a line on stdin)");
  if (length == 0)
    return 0;
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return cli_fail("cat", rc);
  catpart_t *parts = tr_calloc((size_t)nargs, sizeof *parts);
  if (!parts) {
    bs_txn_abort(txn);
    return cli_fail("cat", -ENOMEM);
  }
  int np = 0, status = 0;
  uint64_t skip = (uint64_t)offset, total = 0;
  getter_t g = {txn, false, {0}};
  for (int i = 0; i < nargs && !status; i++) {
    catpart_t *p = &parts[np];
    dag_node_info_t info;
    if (cli_resolve_path(txn, args[i], &p->cid)) {
      status = 1;
      break;
    }
    if ((rc = dag_stat(&p->cid, get_cb, &g, &info))) {
      status = read_fail("cat", args[i], rc, &g);
      break;
    }
    if (info.kind == DAG_NODE_DIR) {
      status = cli_failf("cat %s: this dag node is a directory", args[i]);
      break;
    }
    p->arg = args[i];
    p->symlink = info.kind == DAG_NODE_SYMLINK;
    uint64_t size = p->symlink ? info.target_len : info.size;
    if (skip > size) {
      skip -= size;
      continue;
    }
    p->off = skip;
    p->len = size - skip;
    skip = 0;
    np++;
    if (length > 0 && total + p->len >= (uint64_t)length) {
      p->len = (uint64_t)length - total;
      break;
    }
    total += p->len;
  }
  for (int i = 0; i < np && !status; i++) {
    const catpart_t *p = &parts[i];
    cli_out_t out;
    cli_out_init(&out, txn);
    dag_node_info_t info;
    if (!p->symlink)
      rc = dag_cat(&p->cid, p->off, p->len, get_cb, &g, cli_out_write, &out);
    else if (!(rc = dag_stat(&p->cid, get_cb, &g, &info)))
      rc = cli_out_write(info.target + p->off, (size_t)p->len, &out);
    int frc = cli_out_finish(&out); /* before the txn ends: views queued */
    if (!rc)
      rc = frc;
    if (rc == -EPIPE)
      status = 1;
    else if (rc)
      status = read_fail("cat", p->arg, rc, &g);
  }
  tr_free(parts);
  bs_txn_abort(txn);
  return status;
}

/* ------------------------------------------------------------------ get */

typedef struct getctx {
  getter_t gt;
  int dirfd;
  int depth;
  const char *what; /* for messages */
  tr_bytes_t path;  /* the output path of the node being written, for
                       messages; NUL-terminated */
  cli_progress_t bar;
} getctx_t;

typedef struct getout {
  int fd;
  cli_progress_t *bar;
} getout_t;

/* The bytes of the files under cid, for the bar's total (best effort: a
 * failure here is reported by the pass that writes). */
typedef struct sizer {
  getter_t *gt;
  int depth;
  uint64_t total;
} sizer_t;

static int size_node(sizer_t *z, const dag_cid_t *cid);

static int size_entry(const dag_dirent_t *e, void *ud) {
  return size_node(ud, &e->cid);
}

static int size_node(sizer_t *z, const dag_cid_t *cid) {
  dag_node_info_t info;
  int rc = dag_stat(cid, get_cb, z->gt, &info);
  if (rc)
    return rc;
  if (info.kind == DAG_NODE_FILE)
    z->total += info.size;
  if (info.kind != DAG_NODE_DIR || z->depth >= MAX_GET_DEPTH)
    return 0;
  z->depth++;
  rc = dag_ls(cid, get_cb, z->gt, size_entry, z);
  z->depth--;
  return rc;
}

static int write_fd(const uint8_t *p, size_t n, void *ud) {
  getout_t *o = ud;
  int fd = o->fd;
  cli_progress_add(o->bar, n);
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int get_node(getctx_t *g, int dirfd, const char *name,
                    const dag_cid_t *cid);

static int get_entry(const dag_dirent_t *e, void *ud) {
  getctx_t *g = ud;
  if (!dag_name_ok(e->name, e->name_len)) {
    cli_failf("get: refusing unsafe name \"%.*s\" in %s", (int)e->name_len,
              e->name, g->what);
    return TR_EUNSAFE;
  }
  size_t base = g->path.len;
  int rc = tr_bytes_append(&g->path, "/", 1);
  if (!rc)
    rc = tr_bytes_append(&g->path, e->name, e->name_len);
  if (!rc)
    rc = tr_bytes_append(&g->path, "", 1);
  /* A copy of its own: a pointer into g->path would not survive the
   * path growing below this entry. */
  char *name = rc ? NULL : tr_strndup(e->name, e->name_len);
  if (!name)
    return rc ? rc : -ENOMEM;
  g->path.len--; /* keep the NUL out of the length */
  rc = get_node(g, g->dirfd, name, &e->cid);
  tr_free(name);
  g->path.len = base;
  g->path.data[base] = 0;
  return rc;
}

/* The stored metadata onto what fd (or, with fd < 0, the symlink
 * dirfd/name) now is.  Best effort, as the writes before it are not: a
 * file system that keeps no mtimes fails nothing here. */
static void restore_meta(const dag_node_info_t *info, int fd, int dirfd,
                         const char *name) {
  if (fd >= 0 && info->has_mode)
    (void)fchmod(fd, info->mode & 07777 & ~(mode_t)(S_ISUID | S_ISGID));
  if (!info->has_mtime)
    return;
  struct timespec ts[2] = {{0, UTIME_OMIT},
                           {(time_t)info->mtime_sec, (long)info->mtime_nsec}};
  if (fd >= 0)
    (void)futimens(fd, ts);
  else
    (void)utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
}

/* Write the node cid as dirfd/name. */
static int get_node(getctx_t *g, int dirfd, const char *name,
                    const dag_cid_t *cid) {
  dag_node_info_t info;
  int rc = dag_stat(cid, get_cb, &g->gt, &info);
  if (rc)
    return rc;
  if (info.kind == DAG_NODE_SYMLINK) {
    /* A symlink cannot point nowhere (symlink(2) refuses "" with ENOENT,
     * which is what `ipfs get` reports) nor hold a NUL. */
    const char *why = !info.target_len ? "symlink with an empty target"
                      : memchr(info.target, 0, info.target_len)
                          ? "symlink target holds a NUL byte"
                      : info.target_len > 4096 ? "symlink target too long"
                                               : NULL;
    if (why) {
      cli_failf("get %s: %s: %s", g->what, (const char *)g->path.data, why);
      return TR_EUNSAFE;
    }
    char *target = tr_strndup((const char *)info.target, info.target_len);
    if (!target)
      return -ENOMEM;
    rc = symlinkat(target, dirfd, name) ? -errno : 0;
    tr_free(target);
    if (!rc)
      restore_meta(&info, -1, dirfd, name);
    return rc;
  }
  if (info.kind == DAG_NODE_FILE) {
    int fd = openat(dirfd, name,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
      return -errno;
    getout_t o = {fd, &g->bar};
    rc = dag_cat(cid, 0, UINT64_MAX, get_cb, &g->gt, write_fd, &o);
    if (!rc)
      restore_meta(&info, fd, dirfd, name);
    if (close(fd) && !rc)
      rc = -errno;
    return rc;
  }
  if (g->depth >= MAX_GET_DEPTH)
    return TR_ETOOBIG;
  if (mkdirat(dirfd, name, 0755))
    return -errno;
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  int saved = g->dirfd;
  g->dirfd = fd;
  g->depth++;
  rc = dag_ls(cid, get_cb, &g->gt, get_entry, g);
  g->depth--;
  g->dirfd = saved;
  if (!rc)
    restore_meta(&info, fd, dirfd, name);
  close(fd);
  return rc;
}

/* get -a / -C: the tar (or, -C alone, a file's bytes) into one file,
 * gzipped with -C, as Kubo's writeArchive names it. */
typedef struct arch {
  int fd;
  bool gz;
  tr_gz_t z;
  tr_bytes_t out;
} arch_t;

static int arch_write(const uint8_t *p, size_t n, void *ud) {
  arch_t *a = ud;
  const uint8_t *w = p;
  size_t wn = n;
  if (a->gz) {
    a->out.len = 0;
    int rc = tr_gz_put(&a->z, p, n, n == 0, &a->out);
    if (rc)
      return rc;
    w = a->out.data, wn = a->out.len;
  }
  while (wn) {
    ssize_t k = write(a->fd, w, wn);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0)
      return -errno;
    w += k, wn -= (size_t)k;
  }
  return 0;
}

static int get_archive(bs_txn_t *txn, const dag_cid_t *cid, const char *out,
                       const char *name, bool archive, int level) {
  char path[4200];
  size_t l = strlen(out);
  dag_node_info_t info;
  int rc = dag_stat(cid, bs_get_cb, txn, &info);
  if (rc)
    return rc;
  if (!archive && info.kind != DAG_NODE_FILE)
    return cli_failf("get: file is not regular");
  if (l > sizeof path - 8)
    return cli_failf("get: %s: name too long", out);
  memcpy(path, out, l + 1);
  if (archive && !(l >= 4 && !strcmp(path + l - 4, ".tar")) &&
      !(l >= 7 && !strcmp(path + l - 7, ".tar.gz")))
    memcpy(path + l, ".tar", 5), l += 4;
  if (level && !(l >= 3 && !strcmp(path + l - 3, ".gz")))
    memcpy(path + l, ".gz", 4);
  printf("Saving archive to %s\n", path);
  fflush(stdout);
  arch_t a = {.fd = -1, .gz = level != 0};
  if (a.gz && (rc = tr_gz_init(&a.z, level)))
    return rc;
  a.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (a.fd < 0) {
    tr_gz_free(&a.z);
    return cli_failf("get: %s: %s", path, strerror(errno));
  }
  if (archive) {
    dag_tar_t *t = dag_tar_new(cid, name, (int64_t)time(NULL), 0);
    static uint8_t buf[1 << 16];
    int64_t n = t ? 1 : -ENOMEM;
    while (n > 0 && (n = dag_tar_read(t, bs_get_cb, txn, buf, sizeof buf)) > 0)
      rc = arch_write(buf, (size_t)n, &a), n = rc ? rc : n;
    rc = n < 0 ? (int)n : 0;
    dag_tar_free(t);
  } else {
    rc = dag_cat(cid, 0, UINT64_MAX, bs_get_cb, txn, arch_write, &a);
  }
  if (!rc && a.gz)
    rc = arch_write(NULL, 0, &a); /* the gzip trailer */
  if (close(a.fd) && !rc)
    rc = -errno;
  tr_gz_free(&a.z);
  tr_bytes_free(&a.out);
  return rc;
}

int cmd_get(cli_t *cli, int argc, char **argv) {
  const char *out = CLI_STR(cli, "output"), *arg = argc > 1 ? argv[1] : NULL;
  if (argc > 2)
    return cli_failf("get: one CID at a time");
  if (!arg)
    return cli_failf("get: usage: trove get CID[/path] [-o PATH]");
  /* Kubo's default name: the last path element, or the CID. */
  char defname[DAG_CID_STR_MAX + 256] = "";
  int ns;
  const char *s = dag_path_rest(arg, &ns);
  size_t l = strlen(s);
  while (l && s[l - 1] == '/')
    l--;
  size_t b = l;
  while (b && s[b - 1] != '/')
    b--;
  if (l - b < sizeof defname && dag_name_ok(s + b, l - b)) {
    memcpy(defname, s + b, l - b);
    defname[l - b] = 0;
  }
  if (!out && !*defname)
    return cli_failf("get: give an output path with -o");
  if (!out)
    out = defname;
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return cli_fail("get", rc);
  dag_cid_t cid;
  if (cli_resolve_path(txn, arg, &cid)) {
    bs_txn_abort(txn);
    return 1;
  }
  bool archive = CLI_BOOL(cli, "archive");
  int level = 0; /* Kubo's getCompressOptions: 0 is no gzip */
  if (CLI_BOOL(cli, "compress")) {
    level = CLI_SET(cli, "compression-level")
                ? (int)CLI_INT(cli, "compression-level") : -1;
    if (!level || level < -1) {
      bs_txn_abort(txn);
      return cli_failf("get: compression level must be between 1 and 9");
    }
  }
  if (archive || level) {
    rc = get_archive(txn, &cid, out, *defname ? defname : out, archive,
                     level);
    bs_txn_abort(txn);
    return rc == 1 ? 1 : rc ? cli_failf("get %s: %s", arg, tr_strerror(rc))
                            : 0;
  }
  printf("Saving file(s) to %s\n", out);
  fflush(stdout);
  getctx_t g = {{txn, false, {0}}, AT_FDCWD, 0, arg, {0}, {0}};
  bool on = cli_progress_wanted(CLI_SET(cli, "progress"),
                                CLI_BOOL(cli, "progress"), false);
  sizer_t z = {&g.gt, 0, 0};
  if (on)
    (void)size_node(&z, &cid);
  g.gt.missed = false;
  cli_progress_start(&g.bar, on, z.total);
  rc = tr_bytes_append(&g.path, out, strlen(out) + 1);
  if (!rc) {
    g.path.len--;
    rc = get_node(&g, AT_FDCWD, out, &cid);
  }
  tr_bytes_free(&g.path);
  bs_txn_abort(txn);
  if (!rc)
    cli_progress_end(&g.bar);
  else
    cli_progress_clear(&g.bar);
  if (rc == TR_EUNSAFE)
    return 1; /* already explained */
  if (rc == -EEXIST)
    return cli_failf("get %s: %s (or a name inside it) already exists", arg,
                     out);
  return rc ? read_fail("get", arg, rc, &g.gt) : 0;
}

/* ------------------------------------------------------------------- ls */

typedef struct lsrow {
  char cid[DAG_CID_STR_MAX];
  char size[24];
  char mode[12], mtime[24]; /* --long */
  char *name;               /* a directory's with '/' after its nlen bytes */
  size_t nlen, idx;
  uint64_t bytes;           /* --sort-size's: a directory's is 0 */
} lsrow_t;

typedef struct lsctx {
  getter_t gt;
  lsrow_t *rows;
  size_t n, cap;
  bool size, long_, human;
  bool resolve; /* children looked into (Kubo's ResolveChildren: size or
                   resolve-type): else no '/', mode or mtime */
} lsctx_t;

/* Kubo's formatMode: ls -l's ten characters for a Go FileMode. */
static void ls_mode(uint32_t m, char out[12]) {
  if (!m) {
    strcpy(out, "-");
    return;
  }
  static const char rwx[] = "rwxrwxrwx";
  out[0] = m & (1u << 31) ? 'd' : m & (1u << 27) ? 'l' : '-';
  for (int i = 0; i < 9; i++)
    out[1 + i] = m & (0400u >> i) ? rwx[i] : '-';
  /* setuid, setgid, sticky (Go's bits): s/t over x, S/T without it */
  static const uint32_t special[] = {1u << 23, 1u << 22, 1u << 20};
  static const char lower[] = "sst", upper[] = "SST";
  for (int i = 0; i < 3; i++)
    if (m & special[i])
      out[3 + 3 * i] = m & (0100u >> (3 * i)) ? lower[i] : upper[i];
  out[10] = 0;
}

/* Kubo's formatModTime: local time, "Jan 02 15:04" within the last six
 * months (and up to a day ahead), "Jan 02  2006" otherwise. */
static void ls_mtime(const dag_node_info_t *info, char out[24]) {
  if (!info->has_mtime) {
    strcpy(out, "-");
    return;
  }
  time_t t = (time_t)info->mtime_sec, now = time(NULL);
  struct tm tm, six;
  localtime_r(&now, &six);
  six.tm_mon -= 6;
  time_t six_ago = mktime(&six);
  if (!localtime_r(&t, &tm) ||
      !strftime(out, 24, t > six_ago && t < now + 86400 ? "%b %d %H:%M"
                                                         : "%b %d  %Y",
                &tm))
    strcpy(out, "-");
}

static int ls_entry(const dag_dirent_t *e, void *ud) {
  lsctx_t *l = ud;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 64;
    lsrow_t *r = tr_realloc(l->rows, cap * sizeof *r);
    if (!r)
      return -ENOMEM;
    l->rows = r;
    l->cap = cap;
  }
  lsrow_t *r = &l->rows[l->n];
  dag_cid_str(&e->cid, r->cid);
  dag_node_info_t info = {.kind = DAG_NODE_FILE};
  int rc = l->resolve ? dag_stat(&e->cid, get_cb, &l->gt, &info) : 0;
  if (rc)
    return rc;
  bool dir = info.kind == DAG_NODE_DIR;
  ls_mode(info.has_mode ? rpc_fmeta_gomode(info.unixfs_type, info.mode) : 0,
          r->mode);
  ls_mtime(&info, r->mtime);
  r->bytes = dir ? 0 : info.size;
  r->idx = l->n;
  r->nlen = e->name_len;
  if (dir)
    strcpy(r->size, "-");
  else if (l->human)
    cli_humanize(info.size, r->size, sizeof r->size);
  else
    snprintf(r->size, sizeof r->size, "%llu", (unsigned long long)info.size);
  size_t nl = e->name_len;
  if (!(r->name = tr_malloc(nl + 2)))
    return -ENOMEM;
  memcpy(r->name, e->name, nl);
  if (dir)
    r->name[nl++] = '/';
  r->name[nl] = 0;
  l->n++;
  return 0;
}

/* A file's own links (Kubo lists them with empty names). */
static int ls_file_links(const dag_pb_link_t *lk, size_t i, void *ud) {
  (void)i;
  dag_dirent_t e = {"", 0, lk->cid, lk->tsize};
  return ls_entry(&e, ud);
}

/* Kubo's lsLinkByName (Go's strings.Compare: bytes) and lsLinkBySize
 * (largest first, then by name); the traversal order last, for a sort
 * that does not move equals. */
static int ls_cmp_name(const void *a, const void *b) {
  const lsrow_t *x = a, *y = b;
  int c = memcmp(x->name, y->name, x->nlen < y->nlen ? x->nlen : y->nlen);
  if (!c)
    c = x->nlen != y->nlen ? (x->nlen < y->nlen ? -1 : 1) : 0;
  return c ? c : x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int ls_cmp_size(const void *a, const void *b) {
  const lsrow_t *x = a, *y = b;
  if (x->bytes != y->bytes)
    return x->bytes < y->bytes ? 1 : -1;
  return ls_cmp_name(a, b);
}

/* --stream: Kubo writes each entry through a tabwriter of its own (min
 * width 10, padding 1), the first with the header line when there is one:
 * a cell is its widest of those lines plus a space, 10 at least. */
static void ls_print_stream(const lsctx_t *l, bool headers) {
  for (size_t i = 0; i < l->n; i++) {
    const lsrow_t *r = &l->rows[i];
    const char *row[4], *head[4];
    int nc = 0;
    if (l->long_)
      row[nc] = r->mode, head[nc++] = "Mode";
    row[nc] = r->cid, head[nc++] = "Hash";
    if (l->size)
      row[nc] = r->size, head[nc++] = "Size";
    if (l->long_)
      row[nc] = r->mtime, head[nc++] = "ModTime";
    bool h = headers && i == 0;
    int w[4];
    for (int k = 0; k < nc; k++) {
      size_t a = strlen(row[k]) + 1, b = h ? strlen(head[k]) + 1 : 0;
      w[k] = (int)(a > b ? a : b) < 10 ? 10 : (int)(a > b ? a : b);
    }
    if (h) {
      for (int k = 0; k < nc; k++)
        printf("%-*s", w[k], head[k]);
      printf("Name\n");
    }
    for (int k = 0; k < nc; k++)
      printf("%-*s", w[k], row[k]);
    printf("%s\n", r->name);
  }
}

/* Kubo prints through a tabwriter (min width 1, padding 1): columns as wide
 * as their widest cell plus one space. */
static void ls_print(const lsctx_t *l, bool headers) {
  size_t w0 = headers ? 4 : 0, w1 = headers ? 4 : 0;
  for (size_t i = 0; i < l->n; i++) {
    size_t a = strlen(l->rows[i].cid), b = strlen(l->rows[i].size);
    w0 = a > w0 ? a : w0;
    w1 = b > w1 ? b : w1;
  }
  if (l->long_) { /* Mode Hash [Size] ModTime Name */
    size_t wm = headers ? 4 : 0, wt = headers ? 7 : 0;
    for (size_t i = 0; i < l->n; i++) {
      size_t a = strlen(l->rows[i].mode), b = strlen(l->rows[i].mtime);
      wm = a > wm ? a : wm;
      wt = b > wt ? b : wt;
    }
    if (headers && l->size)
      printf("%-*s %-*s %-*s %-*s Name\n", (int)wm, "Mode", (int)w0, "Hash",
             (int)w1, "Size", (int)wt, "ModTime");
    else if (headers)
      printf("%-*s %-*s %-*s Name\n", (int)wm, "Mode", (int)w0, "Hash",
             (int)wt, "ModTime");
    for (size_t i = 0; i < l->n; i++) {
      const lsrow_t *r = &l->rows[i];
      if (l->size)
        printf("%-*s %-*s %-*s %-*s %s\n", (int)wm, r->mode, (int)w0, r->cid,
               (int)w1, r->size, (int)wt, r->mtime, r->name);
      else
        printf("%-*s %-*s %-*s %s\n", (int)wm, r->mode, (int)w0, r->cid,
               (int)wt, r->mtime, r->name);
    }
    return;
  }
  if (headers && l->size)
    printf("%-*s %-*s Name\n", (int)w0, "Hash", (int)w1, "Size");
  else if (headers)
    printf("%-*s Name\n", (int)w0, "Hash");
  for (size_t i = 0; i < l->n; i++) {
    if (l->size)
      printf("%-*s %-*s %s\n", (int)w0, l->rows[i].cid, (int)w1,
             l->rows[i].size, l->rows[i].name);
    else
      printf("%-*s %s\n", (int)w0, l->rows[i].cid, l->rows[i].name);
  }
}

int cmd_ls(cli_t *cli, int argc, char **argv) {
  bool headers = CLI_BOOL(cli, "headers"), size = CLI_BOOL(cli, "size");
  bool long_ = CLI_BOOL(cli, "long"), stream = CLI_BOOL(cli, "stream");
  bool sort_size = CLI_BOOL(cli, "sort-size");
  char **args = argv + 1;
  int nargs = argc - 1;
  if (sort_size && stream)
    return cli_failf("ls: cannot use --sort-size with --stream");
  if (sort_size && !size)
    return cli_failf("ls: cannot use --sort-size with --size=false");
  if (!nargs)
    return cli_failf("ls: usage: trove ls [-v] CID[/path]... (or one a "
                     "line on stdin)");
  bool printed = false; /* --stream: a heading so far */
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  int status = 0;
  for (int i = 0; i < nargs && !status; i++) {
    bs_txn_t *txn;
    int rc = bs_txn_begin(env, BS_RDONLY, &txn);
    if (rc)
      return cli_fail("ls", rc);
    lsctx_t l = {{txn, false, {0}}, NULL, 0, 0, size, long_,
                 CLI_BOOL(cli, "human"),
                 size || CLI_BOOL(cli, "resolve-type")};
    dag_cid_t cid;
    if (cli_resolve_path(txn, args[i], &cid)) {
      bs_txn_abort(txn);
      return 1;
    }
    rc = dag_ls(&cid, get_cb, &l.gt, ls_entry, &l);
    /* Kubo sorts a directory's entries unless it streams them (a HAMT's
     * come in hash order). */
    if (!rc && !stream && l.n > 1)
      qsort(l.rows, l.n, sizeof *l.rows, sort_size ? ls_cmp_size : ls_cmp_name);
    if (rc == TR_ENOTDIR && cid.codec == DAG_CODEC_DAG_PB) {
      const uint8_t *blk;
      size_t len;
      dag_pb_node_t pn;
      if (!(rc = bs_get(txn, &cid, &blk, &len)))
        rc = dag_pb_decode(blk, len, ls_file_links, &l, &pn);
    } else if (rc == TR_ENOTDIR)
      rc = 0; /* a raw block: no links */
    if (rc)
      status = read_fail("ls", args[i], rc, &l.gt);
    else if (stream) {
      /* Each entry is Kubo's object: an empty listing has no heading. */
      if (nargs > 1 && l.n)
        printf("%s%s:\n", printed ? "\n" : "", args[i]);
      printed |= l.n > 0;
      ls_print_stream(&l, headers && l.n);
    } else {
      if (nargs > 1)
        printf("%s%s:\n", i ? "\n" : "", args[i]);
      ls_print(&l, headers);
    }
    for (size_t k = 0; k < l.n; k++)
      tr_free(l.rows[k].name);
    tr_free(l.rows);
    bs_txn_abort(txn);
  }
  return status;
}

/* ----------------------------------------------------------------- refs */

/* refs walks with the blockstore's resumable walker (bs_walk_*): no
 * recursion, so a DAG of any depth lists (a 4,096-level cap made deeper
 * ones fail), and with --unique each block is walked once.  One walker
 * serves all the arguments, so --unique spans them, as Kubo's refs writer
 * does. */
typedef struct refs {
  bs_txn_t *txn;
  bool unique, edges;
  const char *format;
  int max_depth;
  bs_walk_t *walk;
} refs_t;

static int refs_walk(refs_t *r, const dag_cid_t *root) {
  if (r->walk)
    bs_walk_restart(r->walk, root);
  else {
    int rc = bs_walk_new(root, r->unique ? BS_WALK_UNIQUE : 0, r->max_depth,
                         &r->walk);
    if (rc)
      return rc;
  }
  dag_cid_t c, parent;
  int depth, rc;
  bool names = r->format && strstr(r->format, "<linkname>");
  while ((rc = bs_walk_next(r->walk, r->txn, &c, &parent, &depth)) == 1) {
    if (depth == 0)
      continue; /* refs lists the links, not the root */
    char line[2 * DAG_CID_STR_MAX + 600], name[256] = "";
    if (names)
      rpc_ref_linkname(bs_get_cb, r->txn, &parent, &c, name, sizeof name);
    rpc_ref_format(r->format, r->edges, &parent, &c, name, line, sizeof line);
    printf("%s\n", line);
  }
  return rc;
}

static int refs_local(const dag_cid_t *cid, const uint8_t *data, size_t len,
                      void *ud) {
  (void)data, (void)len, (void)ud;
  char s[DAG_CID_STR_MAX];
  printf("%s\n", dag_cid_str(cid, s));
  return 0;
}

static int refs_local_ref(const dag_cid_t *cid, const bs_fsref_t *ref,
                          void *ud) {
  (void)ref;
  return refs_local(cid, NULL, 0, ud);
}

int cmd_refs_local(cli_t *cli, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("refs local: takes no arguments");
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (!rc) {
    rc = bs_foreach(txn, refs_local, NULL);
    if (!rc) /* then the filestore's references, as Kubo lists them */
      rc = bs_fs_range(txn, NULL, 0, refs_local_ref, NULL);
    bs_txn_abort(txn);
  }
  return rc ? cli_fail("refs local", rc) : 0;
}

int cmd_refs(cli_t *cli, int argc, char **argv) {
  refs_t r = {0};
  /* Kubo: -r lists everything unless --max-depth says otherwise; without
   * -r only the direct links, whatever --max-depth says. */
  r.max_depth = !CLI_BOOL(cli, "recursive") ? 1
                : CLI_SET(cli, "max-depth") ? (int)CLI_INT(cli, "max-depth")
                                            : -1;
  r.unique = CLI_BOOL(cli, "unique");
  r.edges = CLI_BOOL(cli, "edges");
  r.format = CLI_STR(cli, "format");
  if (r.edges && r.format && strcmp(r.format, "<dst>"))
    return cli_failf("refs: using format argument with edges is not allowed");
  if (r.edges)
    r.format = NULL; /* "<src> -> <dst>" */
  char **args = argv + 1;
  int nargs = argc - 1;
  if (!nargs)
    return cli_failf("refs: usage: trove refs [-r] [-u] CID... (or a CID "
                     "a line on stdin)");
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return cli_fail("refs", rc);
  r.txn = txn;
  for (int i = 0; i < nargs && !rc; i++) {
    dag_cid_t cid;
    if (cli_resolve_path(txn, args[i], &cid)) {
      rc = 1;
      break;
    }
    if ((rc = bs_has(txn, &cid)) == 0)
      rc = TR_ENOTFOUND;
    else if (rc == 1 && r.max_depth != 0)
      rc = refs_walk(&r, &cid);
    else if (rc == 1)
      rc = 0;
    if (rc)
      cli_failf("refs %s: %s", args[i], tr_strerror(rc));
  }
  bs_txn_abort(txn);
  bs_walk_free(r.walk);
  return rc ? 1 : 0;
}

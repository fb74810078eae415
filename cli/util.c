/*
 * util.c — what every command shares (cli.h): errors in the one-line
 * "trove: what: why" form, opening the repo, CID arguments, writing to
 * stdout.  Below the commands and main.c, so
 * that main.c's dispatch and the commands never call each other in a
 * circle.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* ----------------------------------------------------------------- errors */

int cli_fail(const char *what, int err) {
  fprintf(stderr, "trove: %s: %s\n", what, tr_strerror(err));
  return 1;
}

int cli_failf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("trove: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

/* ---------------------------------------------------------------- helpers */

int cli_env(cli_t *cli, unsigned flags, bs_env_t **env) {
  if (!cli->env) {
    int rc = bs_open(&cli->env, cli->repo, flags);
    if (rc) {
      if (rc == TR_ENOREPO)
        cli_failf("no repo at %s (run 'trove init')", cli->repo);
      else
        cli_failf("opening repo %s: %s", cli->repo, tr_strerror(rc));
      return rc;
    }
  }
  *env = cli->env;
  return 0;
}

int cli_bool(const char *opt, const char *val, bool *out) {
  if (!val || !strcmp(val, "true") || !strcmp(val, "1"))
    *out = true;
  else if (!strcmp(val, "false") || !strcmp(val, "0"))
    *out = false;
  else {
    cli_failf("--%s: expected true or false, got '%s'", opt, val);
    return TR_EUSAGE;
  }
  return 0;
}

int cli_write_out(const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = write(1, c, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    c += w;
    n -= (size_t)w;
  }
  return 0;
}


const char *cli_humanize(uint64_t s, char *buf, size_t n) {
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB",
                                      "EB"};
  if (s < 10) {
    snprintf(buf, n, "%llu B", (unsigned long long)s);
    return buf;
  }
  int e = (int)floor(log((double)s) / log(1000.0));
  if (e > 6)
    e = 6;
  double val = floor((double)s / pow(1000.0, e) * 10 + 0.5) / 10;
  snprintf(buf, n, val < 10 ? "%.1f %s" : "%.0f %s", val, units[e]);
  return buf;
}

/* Runes of s[0..n): the bytes that do not continue a UTF-8 sequence. */
static size_t runes(const char *s, size_t n) {
  size_t r = 0;
  for (size_t i = 0; i < n; i++)
    r += ((unsigned char)s[i] & 0xc0) != 0x80;
  return r;
}

void cli_tabwrite(const char *text, size_t minwidth, size_t padding) {
  enum { COLS = 32 };
  size_t w[COLS] = {0};
  for (const char *l = text; *l;) { /* the widths */
    size_t len = strcspn(l, "\n"), col = 0;
    for (const char *c = l, *e = l + len; c < e && col < COLS; col++) {
      const char *t = memchr(c, '\t', (size_t)(e - c));
      if (!t)
        break;
      size_t cw = runes(c, (size_t)(t - c)) + padding;
      w[col] = cw > w[col] ? cw : w[col];
      c = t + 1;
    }
    l += len + (l[len] == '\n');
  }
  for (const char *l = text; *l;) {
    size_t len = strcspn(l, "\n"), col = 0;
    const char *c = l, *e = l + len;
    for (; c < e && col < COLS; col++) {
      const char *t = memchr(c, '\t', (size_t)(e - c));
      if (!t)
        break;
      size_t cw = runes(c, (size_t)(t - c));
      size_t want = w[col] < minwidth ? minwidth : w[col];
      printf("%.*s%*s", (int)(t - c), c, (int)(want - cw), "");
      c = t + 1;
    }
    printf("%.*s%s", (int)(e - c), c, l[len] == '\n' ? "\n" : "");
    l += len + (l[len] == '\n');
  }
}

int cli_read_all(int fd, tr_bytes_t *b, size_t max) {
  for (;;) {
    if (tr_bytes_reserve(b, 65536))
      return -ENOMEM;
    ssize_t r = read(fd, b->data + b->len, b->cap - b->len);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    if (r == 0)
      return 0;
    b->len += (size_t)r;
    if (b->len > max)
      return TR_ETOOBIG;
  }
}

/* "OP PATH: why" as Go's *PathError prints it, and -e.  Go's errno texts
 * are glibc's with the first letter lower-cased ("no such file or
 * directory"), which is what Kubo's messages carry. */
static int go_path_err(char *err, size_t errlen, const char *op,
                       const char *path, int e) {
  int k = snprintf(err, errlen, "%s %s: ", op, path);
  if (k >= 0 && (size_t)k < errlen) {
    snprintf(err + k, errlen - (size_t)k, "%s", strerror(e));
    err[k] = (char)tolower((unsigned char)err[k]);
  }
  return -e;
}

int cli_abs_path(const char *path, char *out, size_t cap) {
  char cwd[4096];
  int n;
  if (path[0] == '/')
    n = snprintf(out, cap, "%s", path);
  else if (getcwd(cwd, sizeof cwd))
    n = snprintf(out, cap, "%s/%s", cwd, path);
  else
    return -errno;
  return n < 0 || (size_t)n >= cap ? TR_ETOOBIG : 0;
}

int cli_read_file(const char *path, size_t max, const char *arg,
                  tr_bytes_t *b, char *err, size_t errlen) {
  bool in = !path || (arg && !strcmp(path, "-"));
  int fd = STDIN_FILENO;
  if (!in) {
    /* Kubo's command line lstats a file argument before it opens it: a
     * missing file fails there, and a directory is refused by name. */
    struct stat st;
    if (arg && lstat(path, &st))
      return go_path_err(err, errlen, "lstat", path, errno);
    if (arg && S_ISDIR(st.st_mode)) {
      snprintf(err, errlen, "invalid path '%s', argument '%s' does not "
               "support directories", path, arg);
      return -EISDIR;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
      return go_path_err(err, errlen, "open", path, errno);
  }
  int rc = cli_read_all(fd, b, max);
  if (!in)
    close(fd);
  if (rc == TR_ETOOBIG)
    snprintf(err, errlen, "%s is larger than %zu bytes", in ? "stdin" : path,
             max);
  else if (rc == -ENOMEM)
    snprintf(err, errlen, "out of memory");
  else if (rc)
    go_path_err(err, errlen, "read", in ? "/dev/stdin" : path, -rc);
  return rc;
}

int cli_stdin_args(const char *argv0, int *argc, char ***argv) {
  *argc = 0, *argv = NULL;
  if (isatty(STDIN_FILENO))
    return 0;
  tr_bytes_t b = {0};
  int rc = cli_read_all(STDIN_FILENO, &b, CLI_STDIN_ARGS_MAX);
  if (!rc && b.len && memchr(b.data, 0, b.len))
    rc = -EINVAL; /* no argument holds a NUL */
  if (rc) {
    tr_bytes_free(&b);
    return rc;
  }
  /* The lines become strings behind the vector: one allocation. */
  size_t lines = 1;
  for (size_t i = 0; i < b.len; i++)
    lines += b.data[i] == '\n';
  size_t vec = (lines + 2) * sizeof(char *);
  char **v = tr_malloc(vec + b.len + 1);
  if (!v) {
    tr_bytes_free(&b);
    return -ENOMEM;
  }
  char *text = (char *)v + vec;
  if (b.len)
    memcpy(text, b.data, b.len);
  size_t len = b.len;
  tr_bytes_free(&b);
  int n = 0;
  v[n++] = (char *)argv0;
  for (size_t i = 0; i < len;) {
    size_t e = i;
    while (e < len && text[e] != '\n')
      e++;
    size_t end = e;
    if (end > i && text[end - 1] == '\r')
      end--;
    text[end] = 0; /* over the newline or the CR; the last: the spare byte */
    if (end > i)
      v[n++] = text + i;
    i = e + 1;
  }
  v[n] = NULL;
  *argc = n, *argv = v;
  return 0;
}

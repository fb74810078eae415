/*
 * filter.c — which entries of a directory an add takes: the sorted
 * listing (cli_list_dir) through the filter (cli_filter_t): hidden ones
 * with --hidden, and none that --ignore and --ignore-rules-path match:
 * Kubo's filter, go-gitignore's rules (github.com/crackcomm/go-gitignore, which
 * boxo's files.Filter uses) matched against each entry's name, as boxo
 * matches them (fileInfo.Name(): the name alone, not its path).
 *
 * A rule becomes a regular expression by go-gitignore's own rewriting,
 * step for step, so that a rule means here what it means to Kubo, odd
 * corners included ("?" is a literal question mark; "[...]" a class).
 * The expression is POSIX extended (glibc takes "(|x)" as Go's RE2 does).
 * A rule whose expression does not compile is dropped, as Go drops it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <regex.h> /* regex_t is struct re_pattern_buffer (cli.h) */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define MAGIC_STAR "#$~"

/* Replace every from in s (NUL-terminated, in b) with to. */
static int replace_all(tr_bytes_t *b, const char *from, const char *to) {
  tr_bytes_t out = {0};
  size_t fl = strlen(from), tl = strlen(to);
  const char *s = (const char *)b->data, *p;
  int rc = 0;
  while (!rc && (p = strstr(s, from))) {
    rc = tr_bytes_append(&out, s, (size_t)(p - s)) ||
         tr_bytes_append(&out, to, tl);
    s = p + fl;
  }
  rc = rc || tr_bytes_append(&out, s, strlen(s) + 1);
  if (rc) {
    tr_bytes_free(&out);
    return -ENOMEM;
  }
  tr_bytes_free(b);
  *b = out;
  return 0;
}

/* go-gitignore's `([^\/+])/.*\*\.`: a '/' after a character that is not
 * '/' or '+', with "*." somewhere after it. */
static bool slash_star_dot(const char *s) {
  for (size_t i = 1; s[i]; i++)
    if (s[i] == '/' && s[i - 1] != '/' && s[i - 1] != '+' &&
        strstr(s + i + 1, "*."))
      return true;
  return false;
}

/* getPatternFromLine: 1 and the expression in *expr, 0 for a comment or
 * a blank line, -ENOMEM. */
static int rule_expr(const char *line, size_t len, tr_bytes_t *expr,
                     bool *negate) {
  while (len && line[len - 1] == '\r')
    len--;
  if (len && line[0] == '#')
    return 0;
  while (len && line[0] == ' ')
    line++, len--;
  while (len && line[len - 1] == ' ')
    len--;
  if (!len)
    return 0;
  *negate = line[0] == '!';
  if (*negate)
    line++, len--;
  if (len && (line[0] == '#' || line[0] == '!'))
    line++, len--;
  tr_bytes_t b = {0};
  if (tr_bytes_append(&b, "/", 1) || tr_bytes_append(&b, line, len) ||
      tr_bytes_append(&b, "", 1))
    goto oom;
  /* the leading '/' only when the rule wants it */
  if (!(slash_star_dot((char *)b.data + 1) && b.data[1] != '/')) {
    memmove(b.data, b.data + 1, b.len - 1);
    b.len--;
  }
  if (replace_all(&b, ".", "\\."))
    goto oom;
  if (!strncmp((char *)b.data, "/**/", 4)) {
    memmove(b.data, b.data + 1, b.len - 1);
    b.len--;
  }
  if (replace_all(&b, "/**/", "(/|/.+/)") ||
      replace_all(&b, "**/", "(|." MAGIC_STAR "/)") ||
      replace_all(&b, "/**", "(|/." MAGIC_STAR ")") ||
      replace_all(&b, "\\*", "\\" MAGIC_STAR) ||
      replace_all(&b, "*", "([^/]*)") || replace_all(&b, "?", "\\?") ||
      replace_all(&b, MAGIC_STAR, "*"))
    goto oom;
  const char *s = (const char *)b.data;
  size_t l = strlen(s);
  bool dir = l && s[l - 1] == '/';
  expr->len = 0;
  int rc = s[0] == '/' ? (tr_bytes_append(expr, "^(|/)", 5) ||
                          tr_bytes_append(expr, s + 1, l - 1))
                       : (tr_bytes_append(expr, "^(|.*/)", 7) ||
                          tr_bytes_append(expr, s, l));
  rc = rc || (dir ? tr_bytes_append(expr, "(|.*)$", 7)
                  : tr_bytes_append(expr, "(|/.*)$", 8));
  tr_bytes_free(&b);
  return rc ? -ENOMEM : 1;
oom:
  tr_bytes_free(&b);
  return -ENOMEM;
}

static int add_rule(cli_filter_t *ig, const char *line, size_t len) {
  tr_bytes_t expr = {0};
  bool neg = false;
  int rc = rule_expr(line, len, &expr, &neg);
  if (rc <= 0) {
    tr_bytes_free(&expr);
    return rc;
  }
  if (ig->n == ig->cap) {
    size_t cap = ig->cap ? ig->cap * 2 : 8;
    regex_t *re = tr_realloc(ig->re, cap * sizeof *re);
    if (!re) {
      tr_bytes_free(&expr);
      return -ENOMEM;
    }
    ig->re = re;
    bool *nv = tr_realloc(ig->neg, cap * sizeof *nv);
    if (!nv) {
      tr_bytes_free(&expr);
      return -ENOMEM;
    }
    ig->neg = nv;
    ig->cap = cap;
  }
  if (!regcomp(&ig->re[ig->n], (const char *)expr.data,
               REG_EXTENDED | REG_NOSUB))
    ig->neg[ig->n++] = neg;
  tr_bytes_free(&expr);
  return 0;
}

int cli_filter_init(cli_filter_t *ig, bool hidden, const char *rules_path,
                    const char *const *rules, size_t n, char *err,
                    size_t errlen) {
  memset(ig, 0, sizeof *ig);
  ig->hidden = hidden;
  int rc = 0;
  if (rules_path) { /* the file's lines first, then the --ignore ones */
    /* Kubo opens it with os.Open: no FileArg, so "-" is a file name. */
    tr_bytes_t b = {0};
    rc = cli_read_file(rules_path, 1u << 20, NULL, &b, err, errlen);
    if (rc) { /* nothing is held yet but b */
      tr_bytes_free(&b);
      return rc == -ENOMEM ? rc : TR_EUSAGE;
    }
    for (size_t i = 0, s = 0; !rc && i <= b.len; i++)
      if (i == b.len || b.data[i] == '\n') {
        rc = add_rule(ig, (const char *)b.data + s, i - s);
        s = i + 1;
      }
    tr_bytes_free(&b);
    if (rc) {
      snprintf(err, errlen, "reading %s: %s", rules_path, tr_strerror(rc));
      cli_filter_free(ig);
      return rc;
    }
  }
  for (size_t i = 0; !rc && i < n; i++)
    rc = add_rule(ig, rules[i], strlen(rules[i]));
  if (rc) {
    snprintf(err, errlen, "%s", tr_strerror(rc));
    cli_filter_free(ig);
  }
  return rc;
}

bool cli_filter_skip(const cli_filter_t *ig, const char *name) {
  if (name[0] == '.' && !ig->hidden)
    return true;
  bool m = false;
  for (size_t i = 0; i < ig->n; i++)
    if (!regexec(&ig->re[i], name, 0, NULL, 0))
      m = ig->neg[i] ? false : true;
  return m;
}

int cli_filter_from(cli_filter_t *f, const rpc_vals_t *v) {
  const char *rules[RPC_MAX_LIST];
  size_t n = rpc_vals_strs(v, "ignore", rules, RPC_MAX_LIST);
  char err[512];
  if (cli_filter_init(f, rpc_vals_bool(v, "hidden"),
                      rpc_vals_str(v, "ignore-rules-path"), rules, n, err,
                      sizeof err))
    return cli_failf("add: %s", err);
  return 0;
}

void cli_filter_free(cli_filter_t *ig) {
  for (size_t i = 0; i < ig->n; i++)
    regfree(&ig->re[i]);
  tr_free(ig->re);
  tr_free(ig->neg);
  memset(ig, 0, sizeof *ig);
}

/* --------------------------------------------------------- directories */

static int cmp_str(const void *x, const void *y) {
  return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The names in directory fd, sorted by bytes (os.ReadDir's order, in which
 * Kubo adds and prints), through f. */
int cli_list_dir(int fd, const cli_filter_t *f, char ***names, size_t *n) {
  static const cli_filter_t none = {0};
  int dfd = dup(fd);
  DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
  if (!d) {
    int e = -errno;
    if (dfd >= 0)
      close(dfd);
    return e;
  }
  char **v = NULL;
  size_t cnt = 0, cap = 0;
  int rc = 0;
  struct dirent *de;
  errno = 0;
  while (!rc && (de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    if (cli_filter_skip(f ? f : &none, de->d_name))
      continue;
    if (cnt == cap) {
      cap = cap ? 2 * cap : 32;
      char **nv = tr_realloc(v, cap * sizeof *v);
      if (!nv) {
        rc = -ENOMEM;
        break;
      }
      v = nv;
    }
    if (!(v[cnt] = tr_strdup(de->d_name)))
      rc = -ENOMEM;
    else
      cnt++;
  }
  if (!rc && errno)
    rc = -errno;
  closedir(d);
  if (rc) {
    cli_free_names(v, cnt);
    return rc;
  }
  if (cnt > 1)
    qsort(v, cnt, sizeof *v, cmp_str);
  *names = v;
  *n = cnt;
  return 0;
}

void cli_free_names(char **names, size_t n) {
  for (size_t i = 0; i < n; i++)
    tr_free(names[i]);
  tr_free(names);
}

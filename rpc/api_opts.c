/*
 * api_opts.c — parsing a command's options through its table (api_opts.h):
 * argv for the CLI, the typed checks both parsers share, and the typed
 * accessors.  The query parser is in rpc_util.c (it needs the request),
 * the table itself in api_cmddefs.c, add's resolution in add_resolve.c.
 */
#include "opts.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------------------- values */

int rpc_parse_bool(const char *s, bool *out) {
  /* Go's strconv.ParseBool, which go-ipfs-cmds uses for both paths. */
  static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (size_t i = 0; i < TR_ARRAY_LEN(t); i++)
    if (!strcmp(s, t[i])) {
      *out = true;
      return 0;
    }
  for (size_t i = 0; i < TR_ARRAY_LEN(f); i++)
    if (!strcmp(s, f[i])) {
      *out = false;
      return 0;
    }
  return TR_EUSAGE;
}

int rpc_parse_int(const char *s, int64_t *out) {
  /* Whole string, decimal, optional sign, no blanks: strtoll alone takes
   * "x" as 0 and " 1" as 1. */
  const char *p = s + (*s == '-' || *s == '+');
  if (*p < '0' || *p > '9')
    return TR_EUSAGE;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end)
    return TR_EUSAGE;
  *out = v;
  return 0;
}

static const char *type_word(int type) {
  return type == RPC_OPT_BOOL ? "a boolean (true or false)"
         : type == RPC_OPT_INT ? "an integer"
                               : "a string";
}

int rpc_vals_set(rpc_vals_t *v, size_t k, const char *val, char *err,
                 size_t errlen) {
  const rpc_optdef_t *o = &v->def->opts[k];
  rpc_val_t *x = &v->v[k];
  switch (o->type) {
  case RPC_OPT_BOOL:
    /* An empty value is true, as go-ipfs-cmds reads "?pin" or "pin=". */
    if (*val && rpc_parse_bool(val, &x->b))
      goto bad;
    if (!*val)
      x->b = true;
    break;
  case RPC_OPT_INT:
    if (rpc_parse_int(val, &x->i))
      goto bad;
    if (x->i < o->min || x->i > o->max) {
      snprintf(err, errlen, "option --%s: %s is out of range (%lld to %lld)",
               o->name, val, (long long)o->min, (long long)o->max);
      return TR_EUSAGE;
    }
    break;
  case RPC_OPT_STRINGS:
    if (v->nlist == RPC_MAX_LIST) {
      snprintf(err, errlen, "option --%s: more than %d values", o->name,
               RPC_MAX_LIST);
      return TR_EUSAGE;
    }
    v->list_opt[v->nlist] = (uint8_t)k;
    v->list[v->nlist++] = val;
    break;
  default:
    break;
  }
  x->s = val;
  x->set = true;
  return 0;
bad:
  snprintf(err, errlen, "option --%s: expected %s, got \"%s\"", o->name,
           type_word(o->type), val);
  return TR_EUSAGE;
}

void rpc_vals_free(rpc_vals_t *v) {
  for (size_t i = 0; i < RPC_MAX_OPTS; i++) {
    tr_free(v->owned[i]);
    v->owned[i] = NULL;
  }
}

/* ---------------------------------------------------------------- argv */

static long find_long(const rpc_cmddef_t *d, const char *name, size_t n) {
  for (size_t k = 0; d->opts[k].name; k++)
    if (strlen(d->opts[k].name) == n && !memcmp(d->opts[k].name, name, n))
      return (long)k;
  return -1;
}

static long find_short(const rpc_cmddef_t *d, char c) {
  for (size_t k = 0; d->opts[k].name; k++)
    if (d->opts[k].shrt == c)
      return (long)k;
  return -1;
}

/* An option given twice on the command line, under either of its names:
 * go-ipfs-cmds refuses it (a list option takes each value). */
static int once(const rpc_vals_t *v, size_t k, char *err, size_t errlen) {
  const rpc_optdef_t *o = &v->def->opts[k];
  if (!v->v[k].set || o->type == RPC_OPT_STRINGS)
    return 0;
  snprintf(err, errlen, "multiple values for option \"%s\"", o->name);
  return TR_EUSAGE;
}

/* "--name", "--name=V", "--name V". */
static int long_opt(rpc_vals_t *v, int argc, char **argv, int *i, char *err,
                    size_t errlen) {
  const char *a = argv[*i] + 2, *eq = strchr(a, '=');
  size_t n = eq ? (size_t)(eq - a) : strlen(a);
  long k = find_long(v->def, a, n);
  if (k < 0) {
    snprintf(err, errlen, "%s: unknown option --%.*s", v->def->name, (int)n,
             a);
    return TR_EUSAGE;
  }
  if (once(v, (size_t)k, err, errlen))
    return TR_EUSAGE;
  const rpc_optdef_t *o = &v->def->opts[k];
  const char *val = eq ? eq + 1 : NULL;
  if (!val && o->type == RPC_OPT_BOOL)
    val = "true";
  if (!val) {
    if (*i + 1 >= argc) {
      snprintf(err, errlen, "option --%s needs a value", o->name);
      return TR_EUSAGE;
    }
    val = argv[++*i];
  }
  return rpc_vals_set(v, (size_t)k, val, err, errlen);
}

/* "-x", "-rwQ", "-s V", "-sV". */
static int short_opts(rpc_vals_t *v, int argc, char **argv, int *i, char *err,
                      size_t errlen) {
  for (const char *c = argv[*i] + 1; *c; c++) {
    long k = find_short(v->def, *c);
    if (k < 0) {
      snprintf(err, errlen, "%s: unknown option -%c", v->def->name, *c);
      return TR_EUSAGE;
    }
    if (once(v, (size_t)k, err, errlen))
      return TR_EUSAGE;
    const rpc_optdef_t *o = &v->def->opts[k];
    if (o->type == RPC_OPT_BOOL) {
      if (c[1] == '=') /* -r=false */
        return rpc_vals_set(v, (size_t)k, c + 2, err, errlen);
      int rc = rpc_vals_set(v, (size_t)k, "true", err, errlen);
      if (rc)
        return rc;
      continue;
    }
    const char *val = c[1] == '=' ? c + 2 : c[1] ? c + 1 : NULL;
    if (!val) {
      if (*i + 1 >= argc) {
        snprintf(err, errlen, "option -%c (--%s) needs a value", *c, o->name);
        return TR_EUSAGE;
      }
      val = argv[++*i];
    }
    return rpc_vals_set(v, (size_t)k, val, err, errlen);
  }
  return 0;
}

int rpc_vals_argv(rpc_vals_t *v, const rpc_cmddef_t *d, int argc, char **argv,
                  char **args, int *nargs, char *err, size_t errlen) {
  memset(v, 0, sizeof *v);
  v->def = d;
  *nargs = 0;
  bool opts = true;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int rc = 0;
    if (!opts || a[0] != '-' || !a[1])
      args[(*nargs)++] = argv[i];
    else if (!strcmp(a, "--"))
      opts = false;
    else if (a[1] == '-')
      rc = long_opt(v, argc, argv, &i, err, errlen);
    else
      rc = short_opts(v, argc, argv, &i, err, errlen);
    if (rc)
      return rc;
  }
  return 0;
}

/* ------------------------------------------------------------- reading */

size_t rpc_vals_idx(const rpc_vals_t *v, const char *name) {
  long k = find_long(v->def, name, strlen(name));
  assert(k >= 0 && "option missing from the command's table");
  return k < 0 ? 0 : (size_t)k;
}

bool rpc_vals_isset(const rpc_vals_t *v, const char *name) {
  return v->v[rpc_vals_idx(v, name)].set;
}

bool rpc_vals_bool(const rpc_vals_t *v, const char *name) {
  size_t k = rpc_vals_idx(v, name);
  bool b = false;
  if (v->v[k].set)
    return v->v[k].b;
  const char *d = v->def->opts[k].dflt;
  return d && !rpc_parse_bool(d, &b) && b;
}

int64_t rpc_vals_int(const rpc_vals_t *v, const char *name) {
  size_t k = rpc_vals_idx(v, name);
  int64_t i = 0;
  if (v->v[k].set)
    return v->v[k].i;
  const char *d = v->def->opts[k].dflt;
  return d && !rpc_parse_int(d, &i) ? i : 0;
}

const char *rpc_vals_str(const rpc_vals_t *v, const char *name) {
  size_t k = rpc_vals_idx(v, name);
  return v->v[k].set ? v->v[k].s : v->def->opts[k].dflt;
}

size_t rpc_vals_strs(const rpc_vals_t *v, const char *name, const char **out,
                     size_t max) {
  size_t k = rpc_vals_idx(v, name), n = 0;
  for (size_t i = 0; i < v->nlist; i++)
    if (v->list_opt[i] == k && n < max)
      out[n++] = v->list[i];
  return n;
}

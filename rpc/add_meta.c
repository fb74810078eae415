/*
 * add_meta.c — the UnixFS metadata of `add` (opts.h): how Kubo's adder
 * picks each entry's mode and mtime, how boxo's multipart reader reads an
 * entry's own from its form name, and how its writer names a part.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opts.h"

/* Go's os.FileMode bits. */
#define GO_DIR (1u << 31)
#define GO_SYMLINK (1u << 27)
#define GO_DEVICE (1u << 26)
#define GO_PIPE (1u << 25)
#define GO_SOCKET (1u << 24)
#define GO_SETUID (1u << 23)
#define GO_SETGID (1u << 22)
#define GO_CHARDEV (1u << 21)
#define GO_STICKY (1u << 20)

/* boxo's files.ModePermsToUnixPerms. */
static uint32_t unix_perms(uint32_t m) {
  return ((m & (GO_SETUID | GO_SETGID)) >> 12) | ((m & GO_STICKY) >> 11) |
         (m & 0777);
}

bool rpc_add_meta(const rpc_add_opts_t *a, const rpc_fmeta_t *own, int kind,
                  dag_meta_t *out) {
  static const rpc_fmeta_t none = {0};
  memset(out, 0, sizeof *out);
  if (!a->with_meta)
    return false;
  rpc_fmeta_t cur = a->meta;
  if (!own)
    own = &none;
  if (a->preserve_mode)
    cur.gomode = own->gomode;
  if (a->preserve_mtime) {
    cur.has_mtime = own->has_mtime;
    cur.sec = own->sec;
    cur.nsec = own->nsec;
  }
  uint32_t perms = unix_perms(cur.gomode);
  switch (kind) {
  case RPC_META_FILE: /* FSNode.SetMode: nothing for no permission bits */
    out->has_mode = perms != 0;
    break;
  case RPC_META_DIR: /* FolderPBDataWithStat: whenever mode != 0 */
    out->has_mode = cur.gomode != 0;
    break;
  default: /* addSymlink sets the mtime alone */
    break;
  }
  out->mode = out->has_mode ? perms : 0;
  out->has_mtime = cur.has_mtime;
  out->mtime_sec = cur.has_mtime ? cur.sec : 0;
  out->mtime_nsec = cur.has_mtime ? cur.nsec : 0;
  return out->has_mode || out->has_mtime;
}

uint32_t rpc_fmeta_gomode(int unixfs_type, uint32_t perms) {
  perms &= 07777;
  if (!perms)
    return 0;
  uint32_t m = (perms & 0777) | ((perms & 06000) << 12) | ((perms & 01000) << 11);
  if (unixfs_type == DAG_UNIXFS_DIRECTORY || unixfs_type == DAG_UNIXFS_HAMT)
    m |= GO_DIR;
  else if (unixfs_type == DAG_UNIXFS_SYMLINK)
    m |= GO_SYMLINK;
  return m;
}

void rpc_fmeta_time_json(bool has, int64_t sec, uint32_t nsec, char out[48]) {
  time_t t = (time_t)sec;
  struct tm tm;
  if (!has || !gmtime_r(&t, &tm)) {
    strcpy(out, "0001-01-01T00:00:00Z");
    return;
  }
  size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
  if (nsec && nsec < 1000000000) {
    char frac[16];
    snprintf(frac, sizeof frac, ".%09u", nsec);
    size_t k = strlen(frac);
    while (frac[k - 1] == '0')
      frac[--k] = 0;
    memcpy(out + n, frac, k);
    n += k;
  }
  strcpy(out + n, "Z");
}

/* ------------------------------------------------------------ form names */

static void form_parse(const char *name, rpc_fmeta_t *m);

/* time.Unix(sec, nsec): nanoseconds outside [0, 1e9) move into seconds
 * (wrapping as Go's int64 arithmetic does). */
static void go_unix(int64_t sec, int64_t nsec, rpc_fmeta_t *m) {
  const int64_t g = 1000000000;
  if (nsec < 0 || nsec >= g) {
    int64_t n = nsec / g;
    sec = (int64_t)((uint64_t)sec + (uint64_t)n);
    nsec -= n * g;
    if (nsec < 0) {
      nsec += g;
      sec = (int64_t)((uint64_t)sec - 1);
    }
  }
  m->has_mtime = true;
  m->sec = sec;
  m->nsec = (uint32_t)nsec;
}

static int hexval(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* Whether every '%' of s[0..n) starts a valid escape (url.ParseQuery
 * fails the whole query otherwise). */
static bool escapes_ok(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] == '%' &&
        (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0))
      return false;
  return true;
}

/* url.QueryUnescape of s[0..n) (escapes checked) into out, NUL-terminated;
 * false when it does not fit in cap bytes. */
static bool unescape(const char *s, size_t n, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%') {
      c = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
      i += 2;
    } else if (c == '+') {
      c = ' ';
    }
    if (o + 1 >= cap)
      return false;
    out[o++] = c;
  }
  out[o] = 0;
  return true;
}

/* strconv.ParseInt/ParseUint(s, base, bits), for base 8, 10 or 0 (Go's
 * prefixes 0x, 0o, 0b and a leading 0, and underscores between digits,
 * which base 0 alone takes).  1 and the value in *v (signed) or *u; 0 for
 * a syntax error; -1 for a value out of range, clamped there as Go returns
 * it. */
static int go_parse(const char *s, int base, bool is_signed, int bits,
                    int64_t *v, uint64_t *u) {
  bool neg = false;
  if (is_signed && (*s == '-' || *s == '+'))
    neg = *s++ == '-';
  const char *d = s;
  bool under = base == 0, zero = false; /* zero: a leading 0 read */
  if (base == 0) {
    base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
      base = 16, d = s + 2;
    else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
      base = 8, d = s + 2;
    else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
      base = 2, d = s + 2;
    else if (s[0] == '0' && s[1])
      base = 8, d = s + 1, zero = true;
  }
  uint64_t max = is_signed ? (neg ? (uint64_t)1 << (bits - 1)
                                  : ((uint64_t)1 << (bits - 1)) - 1)
                 : bits == 64 ? UINT64_MAX
                              : ((uint64_t)1 << bits) - 1;
  uint64_t x = 0;
  bool digits = zero, range = false;
  for (const char *p = d; *p; p++) {
    if (*p == '_' && under) {
      /* after the prefix or a digit, before a digit */
      if ((p == s) || p[-1] == '_' || !p[1] || p[1] == '_')
        return 0;
      continue;
    }
    int k = hexval(*p);
    if (k < 0 || k >= base)
      return 0;
    digits = true;
    if (range || x > (max - (uint64_t)k) / (uint64_t)base)
      range = true;
    else
      x = x * (uint64_t)base + (uint64_t)k;
  }
  if (!digits)
    return 0;
  if (range)
    x = max;
  if (u)
    *u = x;
  if (v)
    *v = neg ? (int64_t)(0 - x) : (int64_t)x;
  return range ? -1 : 1;
}

void rpc_fmeta_form(const char *name, bool symlink, rpc_fmeta_t *m) {
  memset(m, 0, sizeof *m);
  form_parse(name, m);
  if (symlink)
    m->gomode = GO_SYMLINK | 0777;
}

static void form_parse(const char *name, rpc_fmeta_t *m) {
  const char *q = name ? strchr(name, '?') : NULL;
  if (!q)
    return;
  /* url.ParseQuery: '&'-separated key=value pairs, the first value of a
   * key wins; a ';' or a bad escape anywhere fails the whole query. */
  char mode[64] = "", mt[64] = "", ns[64] = "";
  bool have_mode = false, have_mt = false, have_ns = false;
  for (const char *p = q + 1; *p;) {
    size_t n = strcspn(p, "&");
    if (memchr(p, ';', n) || !escapes_ok(p, n))
      return;
    const char *eq = memchr(p, '=', n);
    size_t kl = eq ? (size_t)(eq - p) : n;
    char key[16];
    if (n && unescape(p, kl, key, sizeof key)) {
      bool *have = !strcmp(key, "mode")          ? &have_mode
                   : !strcmp(key, "mtime")       ? &have_mt
                   : !strcmp(key, "mtime-nsecs") ? &have_ns
                                                 : NULL;
      char *dst = have == &have_mode ? mode : have == &have_mt ? mt : ns;
      if (have && !*have) {
        *have = true;
        const char *vs = eq ? eq + 1 : p + n;
        /* Longer than any number this reads: garbage to the parser. */
        if (!unescape(vs, (size_t)(p + n - vs), dst, 64))
          strcpy(dst, "x");
      }
    }
    p += n + (p[n] == '&');
  }
  uint64_t u;
  if (have_mode && go_parse(mode, 8, false, 32, NULL, &u) == 1)
    m->gomode = (uint32_t)u;
  int64_t sec = 0, nsec = 0;
  if (have_mt && go_parse(mt, 10, true, 64, &sec, NULL) != 1)
    return; /* boxo returns the FileInfo as it is: no mtime */
  if (have_ns)
    (void)go_parse(ns, 10, true, 64, &nsec, NULL); /* boxo ignores errors */
  go_unix(sec, nsec, m);
}

void rpc_fmeta_stat(const struct stat *st, rpc_fmeta_t *m) {
  uint32_t g = st->st_mode & 0777;
  switch (st->st_mode & S_IFMT) {
  case S_IFDIR: g |= GO_DIR; break;
  case S_IFLNK: g |= GO_SYMLINK; break;
  case S_IFIFO: g |= GO_PIPE; break;
  case S_IFSOCK: g |= GO_SOCKET; break;
  case S_IFBLK: g |= GO_DEVICE; break;
  case S_IFCHR: g |= GO_DEVICE | GO_CHARDEV; break;
  default: break;
  }
  if (st->st_mode & S_ISUID)
    g |= GO_SETUID;
  if (st->st_mode & S_ISGID)
    g |= GO_SETGID;
  if (st->st_mode & S_ISVTX)
    g |= GO_STICKY;
  m->gomode = g;
  m->has_mtime = true;
  m->sec = (int64_t)st->st_mtim.tv_sec;
  m->nsec = (uint32_t)st->st_mtim.tv_nsec;
}

void rpc_fmeta_form_name(const rpc_fmeta_t *m, char *out, size_t n) {
  /* url.Values.Encode sorts by key: mode, mtime, mtime-nsecs. */
  int k = snprintf(out, n, "file");
  const char *sep = "?";
  if (m->gomode && k >= 0 && (size_t)k < n) {
    k += snprintf(out + k, n - (size_t)k, "%smode=0%o", sep, m->gomode);
    sep = "&";
  }
  if (m->has_mtime && k >= 0 && (size_t)k < n) {
    k += snprintf(out + k, n - (size_t)k, "%smtime=%lld", sep,
                  (long long)m->sec);
    if (m->nsec && k >= 0 && (size_t)k < n)
      snprintf(out + k, n - (size_t)k, "&mtime-nsecs=%u", m->nsec);
  }
}

/* ---------------------------------------------------------------- options */

int rpc_add_meta_opts(const rpc_vals_t *v, rpc_add_opts_t *a, char *err,
                      size_t n) {
  a->preserve_mode = rpc_vals_bool(v, "preserve-mode");
  a->preserve_mtime = rpc_vals_bool(v, "preserve-mtime");
  memset(&a->meta, 0, sizeof a->meta);
  static const struct {
    const char *name, *type;
    bool is_signed;
    int bits;
  } num[] = {{"mode", "uint", false, 32},
             {"mtime", "int64", true, 64},
             {"mtime-nsecs", "uint", false, 32}};
  int64_t val[3] = {0};
  for (size_t i = 0; i < TR_ARRAY_LEN(num); i++) {
    const char *s = rpc_vals_str(v, num[i].name);
    uint64_t u = 0;
    if (!s)
      continue;
    if (!*s) {
      snprintf(err, n, "could not convert empty value to type \"%s\" "
               "(for option \"-%s\")", num[i].type, num[i].name);
      return -EINVAL;
    }
    if (go_parse(s, 0, num[i].is_signed, num[i].bits, &val[i], &u) != 1) {
      snprintf(err, n, "could not convert value \"%s\" to type \"%s\" "
               "(for option \"-%s\")", s, num[i].type, num[i].name);
      return -EINVAL;
    }
    if (!num[i].is_signed)
      val[i] = (int64_t)u;
  }
  a->with_meta =
      a->preserve_mode || a->preserve_mtime || val[0] != 0 || val[1] != 0;
  if (a->with_meta) {
    /* Kubo: a mode or an mtime needs the root to be dag-pb.  An explicit
     * --raw-leaves is refused, as Kubo does; the profile's raw leaves are
     * turned off (Kubo refuses those of its config too: trove's profile
     * is its default, which a user of --preserve-mtime did not choose). */
    if (rpc_vals_isset(v, "raw-leaves") && rpc_vals_bool(v, "raw-leaves")) {
      snprintf(err, n, "raw-leaves can't be used with UnixFS metadata like "
               "mode or modification time");
      return TR_EUSAGE;
    }
    a->o.raw_leaves = false;
  }
  a->meta.gomode = (uint32_t)val[0];
  if (val[1] != 0) {
    if (val[2] > 999999999) {
      snprintf(err, n, "mtime nanoseconds must be in range [1, 999999999]");
      return TR_EUSAGE;
    }
    go_unix(val[1], val[2], &a->meta);
  } else if (val[2] != 0) {
    snprintf(err, n, "option \"mtime-nsecs\" requires \"mtime\" to be "
             "provided as well");
    return TR_EUSAGE;
  }
  return 0;
}

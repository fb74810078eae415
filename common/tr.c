/*
 * tr.c — error table, swappable allocator and byte buffers (see tr.h).
 *
 * LMDB's error strings are reached through mdb_strerror() only when the
 * blockstore links this file with LMDB; tr.c itself knows the LMDB band by
 * number so that dag/ stays free of the dependency.
 */
#include "tr.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

/* ---------------------------------------------------------------- errors */

const char *tr_strerror(int err) {
  switch (err) {
#define TR__ERR_MSG(name, val, msg)                                            \
  case val:                                                                    \
    return msg;
    TR_ERRNO_MAP(TR__ERR_MSG)
#undef TR__ERR_MSG
  default:
    break;
  }
  if (err < 0 && err > -4096)
    return strerror(-err);
  if (err <= -30780 && err >= -30799)
    return "LMDB error";
  return "unknown error";
}

const char *tr_errname(int err) {
  switch (err) {
#define TR__ERR_NAME(name, val, msg)                                           \
  case val:                                                                    \
    return #name;
    TR_ERRNO_MAP(TR__ERR_NAME)
#undef TR__ERR_NAME
  case -ENOMEM:
    return "ENOMEM";
  case -ENOENT:
    return "ENOENT";
  case -EINVAL:
    return "EINVAL";
  case -EIO:
    return "EIO";
  case -EACCES:
    return "EACCES";
  case -EEXIST:
    return "EEXIST";
  default:
    return "UNKNOWN";
  }
}

/* ------------------------------------------------------------- allocator */

static void *libc_malloc(size_t n, void *d) {
  (void)d;
  return malloc(n);
}
static void libc_free(void *p, void *d) {
  (void)d;
  free(p);
}
static void *libc_calloc(size_t n, size_t s, void *d) {
  (void)d;
  return calloc(n, s);
}
static void *libc_realloc(void *p, size_t n, void *d) {
  (void)d;
  return realloc(p, n);
}

static const tr_mem_t libc_mem = {libc_malloc, libc_free, libc_calloc,
                                  libc_realloc, NULL};
static const tr_mem_t *cur_mem = &libc_mem;

void tr_mem_set(const tr_mem_t *mem) { cur_mem = mem ? mem : &libc_mem; }

void *tr_malloc(size_t size) { return cur_mem->malloc(size, cur_mem->data); }
void *tr_calloc(size_t n, size_t size) {
  return cur_mem->calloc(n, size, cur_mem->data);
}
void *tr_realloc(void *ptr, size_t size) {
  return cur_mem->realloc(ptr, size, cur_mem->data);
}
void tr_free(void *ptr) {
  if (ptr)
    cur_mem->free(ptr, cur_mem->data);
}

char *tr_strndup(const char *s, size_t n) {
  char *p = tr_malloc(n + 1);
  if (!p)
    return NULL;
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *tr_strdup(const char *s) { return tr_strndup(s, strlen(s)); }

/* -------------------------------------------------------- growable bytes */

int tr_bytes_reserve(tr_bytes_t *b, size_t n) {
  if (b->cap - b->len >= n)
    return 0;
  if (n > SIZE_MAX / 2 - b->len)
    return -ENOMEM;
  size_t cap = b->cap ? b->cap : 64;
  while (cap - b->len < n)
    cap *= 2;
  uint8_t *p = tr_realloc(b->borrowed ? NULL : b->data, cap);
  if (!p)
    return -ENOMEM;
  if (b->borrowed && b->len)
    memcpy(p, b->data, b->len);
  b->borrowed = false;
  b->data = p;
  b->cap = cap;
  return 0;
}

int tr_bytes_append(tr_bytes_t *b, const void *p, size_t n) {
  int rc = tr_bytes_reserve(b, n);
  if (rc)
    return rc;
  if (n)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

void tr_bytes_free(tr_bytes_t *b) {
  if (!b->borrowed)
    tr_free(b->data);
  b->borrowed = false;
  b->data = NULL;
  b->len = b->cap = 0;
}

/* -------------------------------------------------------------- hex */

void tr_hex(const uint8_t *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = 0;
}

uint64_t tr_fnv1a(const void *p, size_t n) {
  const uint8_t *b = p;
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

int tr_hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c |= 0x20;
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* ------------------------------------------------- set of fingerprints */

static bool fp_empty(tr_fp_t v) { return !(v.hi | v.lo); }
static bool fp_eq(tr_fp_t a, tr_fp_t b) { return a.hi == b.hi && a.lo == b.lo; }

static int fpset_grow(tr_fpset_t *s) {
  size_t cap = s->cap ? s->cap * 2 : 1024;
  tr_fp_t *slots = tr_calloc(cap, sizeof *slots);
  if (!slots)
    return -ENOMEM;
  for (size_t i = 0; i < s->cap; i++) {
    tr_fp_t v = s->slots[i];
    if (fp_empty(v))
      continue;
    size_t j = (size_t)v.lo & (cap - 1);
    while (!fp_empty(slots[j]))
      j = (j + 1) & (cap - 1);
    slots[j] = v;
  }
  tr_free(s->slots);
  s->slots = slots;
  s->cap = cap;
  return 0;
}

int tr_fpset_add(tr_fpset_t *s, tr_fp_t v) {
  assert(!fp_empty(v));
  if ((s->n + 1) * 2 > s->cap) { /* load factor <= 1/2 */
    int rc = fpset_grow(s);
    if (rc)
      return rc;
  }
  size_t j = (size_t)v.lo & (s->cap - 1);
  while (!fp_empty(s->slots[j])) {
    if (fp_eq(s->slots[j], v))
      return 0;
    j = (j + 1) & (s->cap - 1);
  }
  s->slots[j] = v;
  s->n++;
  return 1;
}

bool tr_fpset_has(const tr_fpset_t *s, tr_fp_t v) {
  if (!s->cap)
    return false;
  size_t j = (size_t)v.lo & (s->cap - 1);
  while (!fp_empty(s->slots[j])) {
    if (fp_eq(s->slots[j], v))
      return true;
    j = (j + 1) & (s->cap - 1);
  }
  return false;
}

void tr_fpset_free(tr_fpset_t *s) {
  tr_free(s->slots);
  s->slots = NULL;
  s->cap = s->n = 0;
}

/* ------------------------------------------------------ fingerprint map */

static size_t fpmap_find(const tr_fpmap_t *m, tr_fp_t k) {
  size_t j = (size_t)k.lo & (m->cap - 1);
  while (!fp_empty(m->keys[j]) && !fp_eq(m->keys[j], k))
    j = (j + 1) & (m->cap - 1);
  return j;
}

static int fpmap_grow(tr_fpmap_t *m) {
  size_t ncap = m->cap ? m->cap * 2 : 16;
  tr_fpmap_t g = {tr_calloc(ncap, sizeof *g.keys), tr_calloc(ncap, sizeof *g.vals),
                  ncap, 0};
  if (!g.keys || !g.vals) {
    tr_free(g.keys);
    tr_free(g.vals);
    return -ENOMEM;
  }
  for (size_t i = 0; i < m->cap; i++)
    if (!fp_empty(m->keys[i])) {
      size_t j = fpmap_find(&g, m->keys[i]);
      g.keys[j] = m->keys[i];
      g.vals[j] = m->vals[i];
      g.n++;
    }
  tr_free(m->keys);
  tr_free(m->vals);
  *m = g;
  return 0;
}

int tr_fpmap_put(tr_fpmap_t *m, tr_fp_t k, void *v) {
  assert(!fp_empty(k));
  if ((m->n + 1) * 2 > m->cap) {
    int rc = fpmap_grow(m);
    if (rc)
      return rc;
  }
  size_t j = fpmap_find(m, k);
  if (fp_empty(m->keys[j])) {
    m->keys[j] = k;
    m->n++;
  }
  m->vals[j] = v;
  return 0;
}

void *tr_fpmap_get(const tr_fpmap_t *m, tr_fp_t k) {
  if (!m->cap)
    return NULL;
  size_t j = fpmap_find(m, k);
  return fp_empty(m->keys[j]) ? NULL : m->vals[j];
}

void *tr_fpmap_del(tr_fpmap_t *m, tr_fp_t k) {
  if (!m->cap)
    return NULL;
  size_t mask = m->cap - 1, i = fpmap_find(m, k);
  if (fp_empty(m->keys[i]))
    return NULL;
  void *v = m->vals[i];
  /* Backward shift: move later entries of the probe run into the hole
   * when their home slot is not between the hole and them. */
  for (size_t j = (i + 1) & mask; !fp_empty(m->keys[j]); j = (j + 1) & mask) {
    size_t home = (size_t)m->keys[j].lo & mask;
    if (((j - home) & mask) >= ((j - i) & mask)) {
      m->keys[i] = m->keys[j];
      m->vals[i] = m->vals[j];
      i = j;
    }
  }
  m->keys[i] = (tr_fp_t){0, 0};
  m->vals[i] = NULL;
  m->n--;
  return v;
}

void tr_fpmap_each(const tr_fpmap_t *m, void (*fn)(void *ud, void *v),
                   void *ud) {
  for (size_t i = 0; i < m->cap; i++)
    if (!fp_empty(m->keys[i]))
      fn(ud, m->vals[i]);
}

void tr_fpmap_free(tr_fpmap_t *m) {
  tr_free(m->keys);
  tr_free(m->vals);
  m->keys = NULL;
  m->vals = NULL;
  m->cap = m->n = 0;
}

/* --------------------------------------------------------------- logging */

/* Read by every thread that logs (the loop, workers, upload threads), so
 * atomic; the first tr_log sets it from TROVE_LOG with a compare-and-swap,
 * so threads that race there agree, and never undo tr_log_level. */
static _Atomic int log_level = -1;

int tr_log_parse(const char *name) {
  static const char *names[] = {"error", "warn", "info", "debug"};
  for (int i = 0; i < 4; i++)
    if (name && !strcmp(name, names[i]))
      return i;
  return -1;
}

void tr_log_level(int level) { atomic_store(&log_level, level); }

static void log_init(void);

int tr_log_current(void) {
  if (atomic_load(&log_level) < 0)
    log_init();
  return atomic_load(&log_level);
}

static void log_init(void) {
  int l = tr_log_parse(getenv("TROVE_LOG"));
  int unset = -1;
  /* Only if no one has set a level yet: a racing tr_log_level wins. */
  atomic_compare_exchange_strong(&log_level, &unset, l >= 0 ? l : TR_LOG_INFO);
}

static pthread_mutex_t tap_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic bool tap_on;
static tr_log_tap_fn tap_fn;
static void *tap_ud;

void tr_log_tap(tr_log_tap_fn fn, void *ud) {
  pthread_mutex_lock(&tap_mu);
  tap_fn = fn;
  tap_ud = ud;
  atomic_store(&tap_on, fn != NULL);
  pthread_mutex_unlock(&tap_mu);
}

void tr_log(int level, const char *fmt, ...) {
  if (atomic_load(&log_level) < 0)
    log_init();
  if (level > atomic_load(&log_level))
    return;
  static const char *tags[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
  char ts[32];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s %s %s\n", ts, tags[level < 0 ? 0 : level > 3 ? 3 : level], line);
  if (atomic_load(&tap_on)) {
    pthread_mutex_lock(&tap_mu);
    if (tap_fn)
      tap_fn(tap_ud, level, ts, line);
    pthread_mutex_unlock(&tap_mu);
  }
}

/* ------------------------------------------------------------- durations */

/* Go's fmtFrac: the fraction of v / 10^prec, trailing zeros (and the
 * point, when nothing is left) left out, written backwards before w. */
static size_t frac_back(char *buf, size_t w, uint64_t *v, int prec) {
  bool print = false;
  for (int i = 0; i < prec; i++) {
    int digit = (int)(*v % 10);
    print = print || digit;
    if (print)
      buf[--w] = (char)('0' + digit);
    *v /= 10;
  }
  if (print)
    buf[--w] = '.';
  return w;
}

static size_t int_back(char *buf, size_t w, uint64_t v) {
  do
    buf[--w] = (char)('0' + v % 10);
  while ((v /= 10));
  return w;
}

int tr_format_duration(int64_t ns, char out[TR_DURATION_STR_MAX]) {
  char buf[TR_DURATION_STR_MAX];
  size_t w = sizeof buf;
  uint64_t u = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
  buf[--w] = 's';
  if (u < 1000000000u) {
    int prec = 0;
    if (u == 0) {
      buf[--w] = '0';
    } else {
      if (u < 1000u) {
        buf[--w] = 'n';
      } else if (u < 1000000u) {
        prec = 3;
        buf[--w] = '\xb5'; /* U+00B5, the micro sign */
        buf[--w] = '\xc2';
      } else {
        prec = 6;
        buf[--w] = 'm';
      }
      w = frac_back(buf, w, &u, prec);
      w = int_back(buf, w, u);
    }
  } else {
    w = frac_back(buf, w, &u, 9);
    w = int_back(buf, w, u % 60); /* seconds */
    u /= 60;
    if (u > 0) {
      buf[--w] = 'm';
      w = int_back(buf, w, u % 60);
      u /= 60;
      if (u > 0) { /* hours: the largest unit (days vary in length) */
        buf[--w] = 'h';
        w = int_back(buf, w, u);
      }
    }
  }
  if (ns < 0)
    buf[--w] = '-';
  size_t len = sizeof buf - w;
  memcpy(out, buf + w, len);
  out[len] = 0;
  return (int)len;
}

int tr_parse_duration(const char *s, uint64_t *ns) {
  static const struct {
    const char *u;
    double ns;
  } units[] = {{"ns", 1},      {"us", 1e3},   {"\xc2\xb5s", 1e3},
               {"ms", 1e6},    {"s", 1e9},    {"m", 60e9},
               {"h", 3600e9},  {"d", 86400e9}};
  double total = 0;
  if (!s || !*s)
    return TR_EUSAGE;
  if (!strcmp(s, "0")) { /* Go's ParseDuration takes a bare 0 */
    *ns = 0;
    return 0;
  }
  while (*s) {
    if ((*s < '0' || *s > '9') && *s != '.')
      return TR_EUSAGE;
    char *end;
    double n = strtod(s, &end);
    if (end == s || n < 0)
      return TR_EUSAGE;
    s = end;
    size_t best = 0, blen = 0;
    for (size_t i = 0; i < TR_ARRAY_LEN(units); i++) {
      size_t l = strlen(units[i].u);
      /* The longest unit that matches: "ms" before "m". */
      if (!strncmp(s, units[i].u, l) && l > blen)
        best = i, blen = l;
    }
    if (!blen)
      return TR_EUSAGE;
    s += blen;
    total += n * units[best].ns;
  }
  if (total >= 18446744073709551615.0)
    return TR_EUSAGE;
  *ns = (uint64_t)total;
  return 0;
}

/* ------------------------------------------------------- thread slots */

static atomic_uint next_slot;
static _Thread_local unsigned my_slot; /* slot + 1; 0: not given yet */

void *tr_calloc_pairs(size_t n, void **mem) {
  *mem = tr_calloc(1, n + TR_LINE_PAIR);
  if (!*mem)
    return NULL;
  return (void *)tr_round_up((uintptr_t)*mem, TR_LINE_PAIR);
}

unsigned tr_thread_slot(void) {
  if (!my_slot)
    my_slot = atomic_fetch_add_explicit(&next_slot, 1, memory_order_relaxed) %
                  TR_SLOTS + 1;
  return my_slot - 1;
}

/* --------------------------------------------------------------- I/O */

ssize_t tr_read_full(int fd, void *p, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *)p + got, n - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -errno;
    if (r == 0)
      break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

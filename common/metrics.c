/*
 * metrics.c — the registry and exposition writer of metrics.h.
 *
 * Families live in a fixed table (TR_METRICS_MAX_FAMILIES), each with up
 * to TR_METRICS_MAX_CHILDREN label sets; a child's labels are escaped once,
 * at registration, into the text they are written as.  Values are C11
 * atomics so that any thread may update them while the loop writes:
 * counters and histogram buckets as uint64_t, gauges and histogram sums as
 * the bits of a double (a compare-and-swap loop adds to a sum).
 *
 * Counters and histograms are sharded: SHARDS copies, each on cache lines
 * of its own, a thread updating the one of its slot (tr_thread_slot) and
 * a scrape summing them.  The gateway's loops each observe every request
 * (ipfs_http_request_duration_seconds and the status counters): with one
 * copy every request on every core would write the same lines.  The
 * price: SHARDS x 128 bytes (more for a histogram of many buckets) per
 * counter or histogram.  Gauges are set, not summed: one copy.
 *
 * Numbers are written as Go's strconv.FormatFloat(v, 'g', -1, 64) writes
 * them (what client_golang sends): the shortest text that reads back as
 * the same double, "+Inf", "-Inf", "NaN".  Not done: timestamps, exemplars,
 * the OpenMetrics format, summaries.
 */
#include "metrics.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS 16    /* a power of two */

/* A shard's words: a counter's value; or a histogram's sum (double bits)
 * and then its nb + 1 buckets (not cumulative). */
typedef _Atomic uint64_t word_t;

struct tr_metric {
  int type;
  char labels[TR_METRICS_LABELS_MAX]; /* escaped 'k="v",k2="v2"' or "" */
  _Atomic uint64_t v;                 /* gauge: double bits */
  /* Histogram. */
  size_t nb;
  double bounds[TR_METRICS_MAX_BUCKETS];
  /* Counter and histogram: SHARDS shards of stride bytes from shard, an
   * aligned address in mem. */
  char *shard;
  size_t stride;
  void *mem;
};

static word_t *shard_of(const tr_metric_t *c, unsigned i) {
  return (word_t *)(c->shard + (size_t)i * c->stride);
}

static word_t *my_shard(const tr_metric_t *c) {
  return shard_of(c, tr_thread_slot() & (SHARDS - 1));
}

typedef struct family {
  char name[TR_METRICS_NAME_MAX];
  char *help;
  int type;
  size_t n;
  tr_metric_t *kids[TR_METRICS_MAX_CHILDREN];
} family_t;

typedef struct collector {
  tr_metrics_collect_fn fn;
  void *ud;
} collector_t;

struct tr_metrics {
  size_t nfam, ncol;
  family_t fam[TR_METRICS_MAX_FAMILIES];
  collector_t col[TR_METRICS_MAX_COLLECTORS];
};

struct tr_mw {
  tr_bytes_t *out;
  int err;
};

/* ------------------------------------------------------------- names */

static bool name_ok(const char *s, bool colon) {
  if (!s || !*s || strlen(s) >= TR_METRICS_NAME_MAX)
    return false;
  for (const char *p = s; *p; p++) {
    char c = *p;
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 c == '_' || (colon && c == ':');
    if (!alpha && !(p > s && c >= '0' && c <= '9'))
      return false;
  }
  return true;
}

/* Escape labels {k, v, ..., NULL} into out[0..cap) as 'k="v",...'; 0,
 * TR_EUSAGE (a bad label name, or "le" where extra is set), TR_ELIMIT. */
static int labels_fmt(const char *const *labels, char *out, size_t cap) {
  size_t n = 0;
  out[0] = 0;
  for (size_t i = 0; labels && labels[i]; i += 2) {
    if (!name_ok(labels[i], false) || !labels[i + 1])
      return TR_EUSAGE;
    size_t need = strlen(labels[i]) + 4;
    if (n + need >= cap)
      return TR_ELIMIT;
    n += (size_t)snprintf(out + n, cap - n, "%s%s=\"", n ? "," : "",
                          labels[i]);
    for (const char *p = labels[i + 1]; *p; p++) {
      const char *esc = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" :
                        *p == '\n' ? "\\n" : NULL;
      size_t l = esc ? 2 : 1;
      if (n + l + 2 >= cap)
        return TR_ELIMIT;
      if (esc)
        memcpy(out + n, esc, 2);
      else
        out[n] = *p;
      n += l;
    }
    out[n++] = '"';
    out[n] = 0;
  }
  return 0;
}

/* --------------------------------------------------------- registry */

tr_metrics_t *tr_metrics_new(void) { return tr_calloc(1, sizeof(tr_metrics_t)); }

void tr_metrics_free(tr_metrics_t *m) {
  if (!m)
    return;
  for (size_t i = 0; i < m->nfam; i++) {
    for (size_t k = 0; k < m->fam[i].n; k++) {
      tr_free(m->fam[i].kids[k]->mem);
      tr_free(m->fam[i].kids[k]);
    }
    tr_free(m->fam[i].help);
  }
  tr_free(m);
}

/* nb: the histogram's buckets but +Inf (0 for the other types). */
static int reg(tr_metrics_t *m, int type, const char *name, const char *help,
               const char *const *labels, size_t nb, tr_metric_t **out) {
  if (!name_ok(name, true))
    return TR_EUSAGE;
  char lab[TR_METRICS_LABELS_MAX];
  int rc = labels_fmt(labels, lab, sizeof lab);
  if (rc)
    return rc;
  family_t *f = NULL;
  for (size_t i = 0; i < m->nfam && !f; i++)
    if (!strcmp(m->fam[i].name, name))
      f = &m->fam[i];
  if (f) {
    if (f->type != type)
      return TR_EUSAGE;
    for (size_t k = 0; k < f->n; k++)
      if (!strcmp(f->kids[k]->labels, lab))
        return TR_EUSAGE;
    if (f->n == TR_METRICS_MAX_CHILDREN)
      return TR_ELIMIT;
  } else if (m->nfam == TR_METRICS_MAX_FAMILIES) {
    return TR_ELIMIT;
  }
  tr_metric_t *c = tr_calloc(1, sizeof *c);
  if (!c)
    return -ENOMEM;
  if (type != TR_METRIC_GAUGE) {
    size_t words = type == TR_METRIC_HISTOGRAM ? nb + 2 : 1;
    c->stride = tr_round_up(words * sizeof(word_t), TR_LINE_PAIR);
    c->shard = tr_calloc_pairs(SHARDS * c->stride, &c->mem);
    if (!c->shard) {
      tr_free(c);
      return -ENOMEM;
    }
  }
  if (!f) {
    char *h = tr_strdup(help ? help : "");
    if (!h) {
      tr_free(c->mem);
      tr_free(c);
      return -ENOMEM;
    }
    f = &m->fam[m->nfam++];
    snprintf(f->name, sizeof f->name, "%s", name);
    f->help = h;
    f->type = type;
  }
  c->type = type;
  c->nb = nb;
  memcpy(c->labels, lab, sizeof lab);
  f->kids[f->n++] = c;
  *out = c;
  return 0;
}

int tr_metrics_counter(tr_metrics_t *m, const char *name, const char *help,
                       const char *const *labels, tr_metric_t **out) {
  return reg(m, TR_METRIC_COUNTER, name, help, labels, 0, out);
}

int tr_metrics_gauge(tr_metrics_t *m, const char *name, const char *help,
                     const char *const *labels, tr_metric_t **out) {
  return reg(m, TR_METRIC_GAUGE, name, help, labels, 0, out);
}

int tr_metrics_histogram(tr_metrics_t *m, const char *name, const char *help,
                         const char *const *labels, const double *bounds,
                         size_t nb, tr_metric_t **out) {
  if (nb > TR_METRICS_MAX_BUCKETS)
    return TR_EUSAGE;
  for (size_t i = 0; i < nb; i++)
    if (isnan(bounds[i]) || isinf(bounds[i]) ||
        (i && !(bounds[i] > bounds[i - 1])))
      return TR_EUSAGE;
  tr_metric_t *h;
  int rc = reg(m, TR_METRIC_HISTOGRAM, name, help, labels, nb, &h);
  if (rc)
    return rc;
  memcpy(h->bounds, bounds, nb * sizeof *bounds);
  *out = h;
  return 0;
}

static uint64_t dbits(double v) {
  uint64_t u;
  memcpy(&u, &v, sizeof u);
  return u;
}

static double bitsd(uint64_t u) {
  double v;
  memcpy(&v, &u, sizeof v);
  return v;
}

void tr_metric_add(tr_metric_t *c, uint64_t n) {
  assert(c->type != TR_METRIC_HISTOGRAM);
  if (c->type == TR_METRIC_COUNTER) {
    atomic_fetch_add_explicit(my_shard(c), n, memory_order_relaxed);
    return;
  }
  uint64_t old = atomic_load_explicit(&c->v, memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(
      &c->v, &old, dbits(bitsd(old) + (double)n), memory_order_relaxed,
      memory_order_relaxed))
    ;
}

void tr_metric_set(tr_metric_t *g, double v) {
  assert(g->type == TR_METRIC_GAUGE);
  if (g->type == TR_METRIC_GAUGE)
    atomic_store_explicit(&g->v, dbits(v), memory_order_relaxed);
}

void tr_metric_observe(tr_metric_t *h, double v) {
  assert(h->type == TR_METRIC_HISTOGRAM);
  if (h->type != TR_METRIC_HISTOGRAM)
    return;
  size_t i = 0;
  while (i < h->nb && v > h->bounds[i]) /* le: v <= bound */
    i++;
  word_t *s = my_shard(h);
  atomic_fetch_add_explicit(&s[1 + i], 1, memory_order_relaxed);
  uint64_t old = atomic_load_explicit(&s[0], memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(
      &s[0], &old, dbits(bitsd(old) + v), memory_order_relaxed,
      memory_order_relaxed))
    ;
}

/* Word w of every shard of c, summed (as integers). */
static uint64_t shards_sum(const tr_metric_t *c, size_t w) {
  uint64_t n = 0;
  for (unsigned i = 0; i < SHARDS; i++)
    n += atomic_load_explicit(&shard_of(c, i)[w], memory_order_relaxed);
  return n;
}

/* A histogram's sum: its shards' sums, as doubles. */
static double shards_dsum(const tr_metric_t *h) {
  double v = 0;
  for (unsigned i = 0; i < SHARDS; i++)
    v += bitsd(atomic_load_explicit(&shard_of(h, i)[0], memory_order_relaxed));
  return v;
}

uint64_t tr_metric_value(const tr_metric_t *c) {
  tr_metric_t *m = (tr_metric_t *)c; /* atomic loads of a const object */
  if (c->type == TR_METRIC_COUNTER)
    return shards_sum(c, 0);
  if (c->type == TR_METRIC_GAUGE) {
    double v = bitsd(atomic_load_explicit(&m->v, memory_order_relaxed));
    return v > 0 && v < 1.8e19 ? (uint64_t)v : 0;
  }
  uint64_t n = 0;
  for (size_t i = 0; i <= c->nb; i++)
    n += shards_sum(c, 1 + i);
  return n;
}

int tr_metrics_collector_add(tr_metrics_t *m, tr_metrics_collect_fn fn,
                             void *ud) {
  for (size_t i = 0; i < m->ncol; i++)
    if (m->col[i].fn == fn && m->col[i].ud == ud)
      return TR_EEXIST;
  if (m->ncol == TR_METRICS_MAX_COLLECTORS)
    return TR_ELIMIT;
  m->col[m->ncol++] = (collector_t){fn, ud};
  return 0;
}

void tr_metrics_collector_rm(tr_metrics_t *m, tr_metrics_collect_fn fn,
                             void *ud) {
  for (size_t i = 0; i < m->ncol; i++)
    if (m->col[i].fn == fn && m->col[i].ud == ud) {
      memmove(&m->col[i], &m->col[i + 1],
              (m->ncol - i - 1) * sizeof m->col[0]);
      m->ncol--;
      return;
    }
}

/* ----------------------------------------------------------- writer */

static void put(tr_mw_t *w, const char *s, size_t n) {
  if (!w->err && tr_bytes_append(w->out, s, n))
    w->err = -ENOMEM;
}

static void puts_(tr_mw_t *w, const char *s) { put(w, s, strlen(s)); }

/* Go's FormatFloat(v, 'g', -1, 64): the shortest round-tripping text. */
static void fmt_double(double v, char *out, size_t cap) {
  if (isnan(v)) {
    snprintf(out, cap, "NaN");
    return;
  }
  if (isinf(v)) {
    snprintf(out, cap, v > 0 ? "+Inf" : "-Inf");
    return;
  }
  /* The fewest significant digits that read back as v; then, as Go's
   * shortest 'g': exponent form below 1e-4 or from 1e+06 up, else
   * positional with as many decimals as those digits need. */
  int prec = 1;
  for (; prec < 17; prec++) {
    snprintf(out, cap, "%.*e", prec - 1, v);
    if (strtod(out, NULL) == v)
      break;
  }
  snprintf(out, cap, "%.*e", prec - 1, v);
  int exp = atoi(strchr(out, 'e') + 1);
  if (exp < -4 || exp >= 6)
    return;
  int dec = prec - 1 - exp;
  snprintf(out, cap, "%.*f", dec > 0 ? dec : 0, v);
}

static const char *type_name(int type) {
  return type == TR_METRIC_COUNTER ? "counter"
         : type == TR_METRIC_GAUGE ? "gauge"
                                   : "histogram";
}

void tr_mw_family(tr_mw_t *w, const char *name, int type, const char *help) {
  if (!w->err && !name_ok(name, true))
    w->err = TR_EUSAGE;
  puts_(w, "# HELP ");
  puts_(w, name);
  puts_(w, " ");
  /* HELP text escapes backslash and newline only. */
  for (const char *p = help ? help : ""; *p; p++) {
    if (*p == '\\')
      puts_(w, "\\\\");
    else if (*p == '\n')
      puts_(w, "\\n");
    else
      put(w, p, 1);
  }
  puts_(w, "\n# TYPE ");
  puts_(w, name);
  puts_(w, " ");
  puts_(w, type_name(type));
  puts_(w, "\n");
}

/* name{labels} value\n with labels already escaped. */
static void line(tr_mw_t *w, const char *name, const char *lab,
                 const char *val) {
  puts_(w, name);
  if (lab && *lab) {
    puts_(w, "{");
    puts_(w, lab);
    puts_(w, "}");
  }
  puts_(w, " ");
  puts_(w, val);
  puts_(w, "\n");
}

static void sample_text(tr_mw_t *w, const char *name,
                        const char *const *labels, const char *val) {
  char lab[TR_METRICS_LABELS_MAX];
  int rc = name_ok(name, true) ? labels_fmt(labels, lab, sizeof lab)
                               : TR_EUSAGE;
  if (rc) {
    if (!w->err)
      w->err = rc;
    return;
  }
  line(w, name, lab, val);
}

void tr_mw_sample(tr_mw_t *w, const char *name, const char *const *labels,
                  double v) {
  char val[40];
  fmt_double(v, val, sizeof val);
  sample_text(w, name, labels, val);
}

void tr_mw_sample_u64(tr_mw_t *w, const char *name,
                      const char *const *labels, uint64_t v) {
  char val[24];
  snprintf(val, sizeof val, "%llu", (unsigned long long)v);
  sample_text(w, name, labels, val);
}

void tr_mw_one(tr_mw_t *w, const char *name, int type, const char *help,
               double v) {
  tr_mw_family(w, name, type, help);
  tr_mw_sample(w, name, NULL, v);
}

static void write_histogram(tr_mw_t *w, const family_t *f, tr_metric_t *h) {
  char name[TR_METRICS_NAME_MAX + 8], lab[TR_METRICS_LABELS_MAX + 64];
  char val[40];
  uint64_t cum = 0;
  snprintf(name, sizeof name, "%s_bucket", f->name);
  for (size_t i = 0; i <= h->nb; i++) {
    cum += shards_sum(h, 1 + i);
    char le[40];
    if (i < h->nb)
      fmt_double(h->bounds[i], le, sizeof le);
    else
      snprintf(le, sizeof le, "+Inf");
    snprintf(lab, sizeof lab, "%s%sle=\"%s\"", h->labels,
             *h->labels ? "," : "", le);
    snprintf(val, sizeof val, "%llu", (unsigned long long)cum);
    line(w, name, lab, val);
  }
  snprintf(name, sizeof name, "%s_sum", f->name);
  fmt_double(shards_dsum(h), val, sizeof val);
  line(w, name, h->labels, val);
  snprintf(name, sizeof name, "%s_count", f->name);
  snprintf(val, sizeof val, "%llu", (unsigned long long)cum);
  line(w, name, h->labels, val);
}

int tr_metrics_write(tr_metrics_t *m, tr_bytes_t *out) {
  tr_mw_t w = {out, 0};
  for (size_t i = 0; i < m->nfam; i++) {
    const family_t *f = &m->fam[i];
    tr_mw_family(&w, f->name, f->type, f->help);
    for (size_t k = 0; k < f->n; k++) {
      tr_metric_t *c = f->kids[k];
      char val[40];
      if (f->type == TR_METRIC_HISTOGRAM) {
        write_histogram(&w, f, c);
        continue;
      }
      uint64_t v = f->type == TR_METRIC_COUNTER
                       ? shards_sum(c, 0)
                       : atomic_load_explicit(&c->v, memory_order_relaxed);
      if (f->type == TR_METRIC_COUNTER)
        snprintf(val, sizeof val, "%llu", (unsigned long long)v);
      else
        fmt_double(bitsd(v), val, sizeof val);
      line(&w, f->name, c->labels, val);
    }
  }
  for (size_t i = 0; i < m->ncol; i++)
    m->col[i].fn(&w, m->col[i].ud);
  return w.err;
}

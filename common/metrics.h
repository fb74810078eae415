/*
 * metrics.h — a tiny metrics registry and the Prometheus text exposition
 * format (version 0.0.4) it writes: counters, gauges and histograms that a
 * module owns and updates as things happen, plus collect callbacks that
 * read a module's own statistics (bsw_stats, dht_stats, net_host_bw, ...)
 * at scrape time and write them through a writer.  This is the hook other
 * modules use to appear at /debug/metrics/prometheus: whoever wires them
 * (node/) registers a collector that reads their stats struct, so a module
 * below node/ never needs to know the registry exists (it may, though: the
 * registry is in common/ so that any layer can own a metric).
 *
 * The registry lives in common/ because every layer may use it and it uses
 * nothing but common's allocator and byte buffers; it knows nothing of
 * HTTP (rpc/ serves the text, node/ owns the registry).
 *
 * Names.  A family's name is the name of its samples as Prometheus writes
 * them: a counter is registered as "trove_gc_runs_total" (TYPE lines in
 * the text format carry the sample name), a histogram as
 * "ipfs_http_request_duration_seconds" and written as _bucket{le=...},
 * _sum and _count.  Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 * [a-zA-Z_][a-zA-Z0-9_]*; label values are escaped (\\, \", \n) when
 * written.  A family name belongs to one owner: two registrations of the
 * same name with other label values become children of one family (one
 * HELP/TYPE, samples together, as the format requires); a collector must
 * not write a family name that the registry or another collector writes.
 *
 * Threads.  Registration (tr_metrics_counter/gauge/histogram, collectors)
 * and tr_metrics_write() run on one thread (the daemon's loop).  Updates
 * (tr_metric_add/set/observe) may come from any thread: they are relaxed
 * atomics, so a scrape sees each value whole, though a histogram's count,
 * sum and buckets may be a few observations apart.  Counters and
 * histograms keep a copy per thread slot (tr_thread_slot, modulo 16),
 * summed when read: threads that count the same thing do not write the
 * same cache line.
 */
#ifndef COMMON_METRICS_H
#define COMMON_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "tr.h"

/* Caps: families the registry owns, label sets per family, collectors,
 * histogram buckets (not counting +Inf), and the longest name and label
 * set (escaped, "k=\"v\",...") one child may have. */
#define TR_METRICS_MAX_FAMILIES 128
#define TR_METRICS_MAX_CHILDREN 16
#define TR_METRICS_MAX_COLLECTORS 32
#define TR_METRICS_MAX_BUCKETS 24
#define TR_METRICS_NAME_MAX 96
#define TR_METRICS_LABELS_MAX 256

enum { TR_METRIC_COUNTER, TR_METRIC_GAUGE, TR_METRIC_HISTOGRAM };

typedef struct tr_metrics tr_metrics_t; /* the registry */
typedef struct tr_metric tr_metric_t;   /* one label set of a family */
typedef struct tr_mw tr_mw_t;           /* the writer a collector gets */

/* A new, empty registry; NULL when out of memory.  Free with
 * tr_metrics_free(), which frees every metric it handed out. */
tr_metrics_t *tr_metrics_new(void) TR_WUR;
void tr_metrics_free(tr_metrics_t *m);

/* Register a counter / gauge / histogram child of the family name (made
 * on first use, with help and the type; a later registration of the same
 * name must have the same type).  labels: NULL or a NULL-terminated list
 * of name, value pairs ({"handler", "gateway", NULL}); the values are
 * copied.  bounds: nb upper bounds in increasing order (+Inf is implied).
 * *out lives as long as the registry.  Errors: TR_EUSAGE (a bad name or
 * label name, bounds not increasing or more than TR_METRICS_MAX_BUCKETS, a
 * type other than the family's, a label set already registered), TR_ELIMIT
 * (past a TR_METRICS_MAX_* cap, or labels longer than
 * TR_METRICS_LABELS_MAX), -ENOMEM. */
int tr_metrics_counter(tr_metrics_t *m, const char *name, const char *help,
                       const char *const *labels, tr_metric_t **out) TR_WUR;
int tr_metrics_gauge(tr_metrics_t *m, const char *name, const char *help,
                     const char *const *labels, tr_metric_t **out) TR_WUR;
int tr_metrics_histogram(tr_metrics_t *m, const char *name, const char *help,
                         const char *const *labels, const double *bounds,
                         size_t nb, tr_metric_t **out) TR_WUR;

/* Updates, from any thread.  add: a counter (or a gauge, as an integer
 * step); set: a gauge; observe: a histogram.  A call of the wrong kind is
 * ignored (asserted in debug builds). */
void tr_metric_add(tr_metric_t *c, uint64_t n);
void tr_metric_set(tr_metric_t *g, double v);
void tr_metric_observe(tr_metric_t *h, double v);
/* A counter's value, a gauge's (truncated) or a histogram's count. */
uint64_t tr_metric_value(const tr_metric_t *c);

/* A collector: called by every tr_metrics_write(), after the registry's
 * own families, in the order added; writes its families through w.
 * Errors of add: TR_ELIMIT (TR_METRICS_MAX_COLLECTORS), TR_EEXIST (the
 * same fn and ud are registered).  rm of a pair not registered does
 * nothing.  ud must outlive the registration. */
typedef void (*tr_metrics_collect_fn)(tr_mw_t *w, void *ud);
int tr_metrics_collector_add(tr_metrics_t *m, tr_metrics_collect_fn fn,
                             void *ud) TR_WUR;
void tr_metrics_collector_rm(tr_metrics_t *m, tr_metrics_collect_fn fn,
                             void *ud);

/* For collectors: the HELP and TYPE lines of a family, then its samples.
 * sample's name is the sample's full name (for a counter the family's; a
 * collector writing a histogram writes name_bucket with an "le" label,
 * name_sum and name_count itself); labels as for registration.  Errors
 * (out of memory, a bad name) stick to the writer and tr_metrics_write()
 * returns the first; later calls do nothing. */
void tr_mw_family(tr_mw_t *w, const char *name, int type, const char *help);
void tr_mw_sample(tr_mw_t *w, const char *name, const char *const *labels,
                  double v);
void tr_mw_sample_u64(tr_mw_t *w, const char *name,
                      const char *const *labels, uint64_t v);
/* family + one unlabelled sample: the common case. */
void tr_mw_one(tr_mw_t *w, const char *name, int type, const char *help,
               double v);

/* Append the whole exposition to out: the registry's families in the
 * order first registered, then each collector's.  0, or the writer's
 * first error (-ENOMEM, TR_EUSAGE for a bad name a collector wrote); out
 * may then hold part of the text. */
int tr_metrics_write(tr_metrics_t *m, tr_bytes_t *out) TR_WUR;

/* The Content-Type of what tr_metrics_write() produces. */
#define TR_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif /* COMMON_METRICS_H */

/*
 * test_metrics.c — common/metrics.h: the registry and the Prometheus text
 * exposition (0.0.4) it writes, compared byte for byte with what
 * client_golang writes for the same metrics (HELP/TYPE once per family,
 * cumulative buckets ending in +Inf, _sum and _count, shortest floats,
 * escaped label values), the caps and usage errors, and an allocation
 * failure sweep.  tests/it_metrics.sh runs promtool on a daemon's output.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "../common/metrics.h"
#include "testutil.h"

/* m's exposition into out, as a C string (out is the caller's to free). */
static const char *written(tr_metrics_t *m, tr_bytes_t *out) {
  assert_int_equal(tr_metrics_write(m, out), 0);
  assert_int_equal(tr_bytes_append(out, "", 1), 0);
  return (const char *)out->data;
}

static void collect(tr_mw_t *w, void *ud) {
  int *calls = ud;
  (*calls)++;
  tr_mw_family(w, "trove_pins", TR_METRIC_GAUGE, "Pins by type.");
  tr_mw_sample_u64(w, "trove_pins", (const char *const[]){"type", "recursive",
                                                          NULL}, 3);
  tr_mw_sample_u64(w, "trove_pins", (const char *const[]){"type", "direct",
                                                          NULL}, 1);
  tr_mw_one(w, "process_cpu_seconds_total", TR_METRIC_COUNTER,
            "Total user and system CPU time spent in seconds.", 0.25);
}

static const char EXPECTED[] =
    "# HELP ipfs_http_requests_total Requests answered, by listener.\n"
    "# TYPE ipfs_http_requests_total counter\n"
    "ipfs_http_requests_total{handler=\"gateway\"} 3\n"
    "ipfs_http_requests_total{handler=\"a\\\"b\\\\c\\nd\"} 0\n"
    "# HELP trove_up A gauge.\\nWith a second line and a \\\\.\n"
    "# TYPE trove_up gauge\n"
    "trove_up 0.1\n"
    "# HELP ipfs_http_request_duration_seconds Latency.\n"
    "# TYPE ipfs_http_request_duration_seconds histogram\n"
    "ipfs_http_request_duration_seconds_bucket{handler=\"api\",le=\"0.005\"} 1\n"
    "ipfs_http_request_duration_seconds_bucket{handler=\"api\",le=\"0.5\"} 3\n"
    "ipfs_http_request_duration_seconds_bucket{handler=\"api\",le=\"1\"} 3\n"
    "ipfs_http_request_duration_seconds_bucket{handler=\"api\",le=\"+Inf\"} 4\n"
    "ipfs_http_request_duration_seconds_sum{handler=\"api\"} 12.605\n"
    "ipfs_http_request_duration_seconds_count{handler=\"api\"} 4\n"
    "# HELP trove_pins Pins by type.\n"
    "# TYPE trove_pins gauge\n"
    "trove_pins{type=\"recursive\"} 3\n"
    "trove_pins{type=\"direct\"} 1\n"
    "# HELP process_cpu_seconds_total Total user and system CPU time spent in "
    "seconds.\n"
    "# TYPE process_cpu_seconds_total counter\n"
    "process_cpu_seconds_total 0.25\n";

static const double BOUNDS[] = {0.005, 0.5, 1};

/* The registry of EXPECTED; 0 or the first error. */
static int build(tr_metrics_t *m, int *calls) {
  tr_metric_t *gw, *odd, *up, *h;
  int rc;
  if ((rc = tr_metrics_counter(m, "ipfs_http_requests_total",
                               "Requests answered, by listener.",
                               (const char *const[]){"handler", "gateway",
                                                     NULL}, &gw)))
    return rc;
  if ((rc = tr_metrics_counter(m, "ipfs_http_requests_total", "ignored",
                               (const char *const[]){"handler", "a\"b\\c\nd",
                                                     NULL}, &odd)))
    return rc;
  if ((rc = tr_metrics_gauge(m, "trove_up",
                             "A gauge.\nWith a second line and a \\.", NULL,
                             &up)))
    return rc;
  if ((rc = tr_metrics_histogram(m, "ipfs_http_request_duration_seconds",
                                 "Latency.",
                                 (const char *const[]){"handler", "api", NULL},
                                 BOUNDS, 3, &h)))
    return rc;
  if ((rc = tr_metrics_collector_add(m, collect, calls)))
    return rc;
  tr_metric_add(gw, 2);
  tr_metric_add(gw, 1);
  tr_metric_set(up, 0.1);
  tr_metric_observe(h, 0.005); /* le: on the bound counts in it */
  tr_metric_observe(h, 0.1);
  tr_metric_observe(h, 0.5);
  tr_metric_observe(h, 12);
  assert_int_equal(tr_metric_value(gw), 3);
  assert_int_equal(tr_metric_value(h), 4);
  return 0;
}

static void test_exposition(void **state) {
  (void)state;
  tr_metrics_t *m = tr_metrics_new();
  assert_non_null(m);
  int calls = 0;
  assert_int_equal(build(m, &calls), 0);
  tr_bytes_t out = {0};
  assert_int_equal(tr_metrics_write(m, &out), 0);
  assert_int_equal(calls, 1);
  assert_int_equal(out.len, strlen(EXPECTED));
  assert_memory_equal(out.data, EXPECTED, out.len);
  /* A collector removed is not called again; the rest is unchanged. */
  tr_metrics_collector_rm(m, collect, &calls);
  out.len = 0;
  assert_int_equal(tr_metrics_write(m, &out), 0);
  assert_int_equal(calls, 1);
  const char *cut = strstr(EXPECTED, "# HELP trove_pins");
  assert_int_equal(out.len, (size_t)(cut - EXPECTED));
  tr_bytes_free(&out);
  tr_metrics_free(m);
}

static void bad_collector(tr_mw_t *w, void *ud) {
  (void)ud;
  tr_mw_one(w, "9starts_with_digit", TR_METRIC_GAUGE, "", 1);
}

static void test_errors(void **state) {
  (void)state;
  tr_metrics_t *m = tr_metrics_new();
  tr_metric_t *c;
  assert_int_equal(tr_metrics_counter(m, "bad-name", "", NULL, &c), TR_EUSAGE);
  assert_int_equal(tr_metrics_counter(m, "", "", NULL, &c), TR_EUSAGE);
  assert_int_equal(tr_metrics_counter(m, "x", "",
                                      (const char *const[]){"a:b", "v", NULL},
                                      &c),
                   TR_EUSAGE); /* no colon in label names */
  assert_int_equal(tr_metrics_counter(m, "x_total", "", NULL, &c), 0);
  /* The same label set twice; another type under the same name. */
  assert_int_equal(tr_metrics_counter(m, "x_total", "", NULL, &c), TR_EUSAGE);
  assert_int_equal(tr_metrics_gauge(m, "x_total", "",
                                    (const char *const[]){"k", "v", NULL}, &c),
                   TR_EUSAGE);
  double down[] = {1, 0.5}, inf[] = {1, INFINITY};
  assert_int_equal(tr_metrics_histogram(m, "h", "", NULL, down, 2, &c),
                   TR_EUSAGE);
  assert_int_equal(tr_metrics_histogram(m, "h", "", NULL, inf, 2, &c),
                   TR_EUSAGE);
  /* Caps: children of a family, and label text. */
  char v[16];
  int rc = 0;
  for (int i = 0; i <= TR_METRICS_MAX_CHILDREN && !rc; i++) {
    snprintf(v, sizeof v, "%d", i);
    rc = tr_metrics_gauge(m, "g", "", (const char *const[]){"i", v, NULL}, &c);
  }
  assert_int_equal(rc, TR_ELIMIT);
  char big[TR_METRICS_LABELS_MAX];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  assert_int_equal(tr_metrics_gauge(m, "g2", "",
                                    (const char *const[]){"k", big, NULL}, &c),
                   TR_ELIMIT);
  /* Collectors: no duplicates; a bad name is the write's error. */
  assert_int_equal(tr_metrics_collector_add(m, bad_collector, NULL), 0);
  assert_int_equal(tr_metrics_collector_add(m, bad_collector, NULL),
                   TR_EEXIST);
  tr_bytes_t out = {0};
  assert_int_equal(tr_metrics_write(m, &out), TR_EUSAGE);
  tr_bytes_free(&out);
  tr_metrics_free(m);
}

static void test_floats(void **state) {
  (void)state;
  tr_metrics_t *m = tr_metrics_new();
  tr_metric_t *a, *b, *c, *d, *e, *f, *g, *h;
  assert_int_equal(tr_metrics_gauge(m, "a", "", NULL, &a), 0);
  assert_int_equal(tr_metrics_gauge(m, "b", "", NULL, &b), 0);
  assert_int_equal(tr_metrics_gauge(m, "c", "", NULL, &c), 0);
  assert_int_equal(tr_metrics_gauge(m, "d", "", NULL, &d), 0);
  assert_int_equal(tr_metrics_gauge(m, "e", "", NULL, &e), 0);
  assert_int_equal(tr_metrics_gauge(m, "f", "", NULL, &f), 0);
  assert_int_equal(tr_metrics_gauge(m, "g", "", NULL, &g), 0);
  assert_int_equal(tr_metrics_gauge(m, "h", "", NULL, &h), 0);
  tr_metric_set(e, 40960);
  tr_metric_set(f, 0.0005);
  tr_metric_set(g, 0.00001);
  tr_metric_set(h, 999999);
  tr_metric_set(a, 1e21);
  tr_metric_set(b, -INFINITY);
  tr_metric_set(c, NAN);
  tr_metric_set(d, 123456789012.0);
  tr_metric_add(d, 1); /* a gauge steps by whole numbers */
  tr_bytes_t out = {0};
  const char *s = written(m, &out);
  assert_non_null(strstr(s, "\na 1e+21\n"));
  assert_non_null(strstr(s, "\nb -Inf\n"));
  assert_non_null(strstr(s, "\nc NaN\n"));
  assert_non_null(strstr(s, "\nd 1.23456789013e+11\n"));
  assert_non_null(strstr(s, "\ne 40960\n"));
  assert_non_null(strstr(s, "\nf 0.0005\n"));
  assert_non_null(strstr(s, "\ng 1e-05\n"));
  assert_non_null(strstr(s, "\nh 999999\n"));
  tr_bytes_free(&out);
  tr_metrics_free(m);
}

/* Every allocation failing in turn: an error, never a crash or a leak,
 * and the registry still frees. */
static void test_alloc_failures(void **state) {
  (void)state;
  for (long n = 0;; n++) {
    fm_start(n);
    tr_metrics_t *m = tr_metrics_new();
    int calls = 0, rc = m ? build(m, &calls) : -ENOMEM;
    tr_bytes_t out = {0};
    if (!rc)
      rc = tr_metrics_write(m, &out);
    fm_reset();
    tr_bytes_free(&out);
    tr_metrics_free(m);
    if (!rc)
      break;
    assert_int_equal(rc, -ENOMEM);
    assert_true(n < 1000);
  }
}

/* Updates from 20 threads at once - more than the shards, so some share
 * one - add up exactly: every count, every bucket and the sum (0.25 is
 * exact in binary, so the sum of 200,000 of them is too). */
typedef struct {
  tr_metric_t *c, *h;
} upd_t;

static void *updater(void *arg) {
  upd_t *u = arg;
  for (int i = 0; i < 10000; i++) {
    tr_metric_add(u->c, 1);
    tr_metric_observe(u->h, 0.25);
  }
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  tr_metrics_t *m = tr_metrics_new();
  assert_non_null(m);
  upd_t u;
  static const double b[] = {0.1, 1};
  assert_int_equal(tr_metrics_counter(m, "t_total", "T.", NULL, &u.c), 0);
  assert_int_equal(tr_metrics_histogram(m, "t_seconds", "T.", NULL, b, 2, &u.h),
                   0);
  pthread_t th[20];
  for (int i = 0; i < 20; i++)
    assert_int_equal(pthread_create(&th[i], NULL, updater, &u), 0);
  for (int i = 0; i < 20; i++)
    pthread_join(th[i], NULL);
  assert_int_equal(tr_metric_value(u.c), 200000);
  assert_int_equal(tr_metric_value(u.h), 200000);
  tr_bytes_t out = {0};
  const char *t = written(m, &out);
  assert_non_null(strstr(t, "\nt_total 200000\n"));
  assert_non_null(strstr(t, "\nt_seconds_bucket{le=\"0.1\"} 0\n"));
  assert_non_null(strstr(t, "\nt_seconds_bucket{le=\"1\"} 200000\n"));
  assert_non_null(strstr(t, "\nt_seconds_bucket{le=\"+Inf\"} 200000\n"));
  assert_non_null(strstr(t, "\nt_seconds_sum 50000\n"));
  assert_non_null(strstr(t, "\nt_seconds_count 200000\n"));
  tr_bytes_free(&out);
  tr_metrics_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exposition), cmocka_unit_test(test_errors),
      cmocka_unit_test(test_floats), cmocka_unit_test(test_alloc_failures),
      cmocka_unit_test(test_threads)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

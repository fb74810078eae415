/*
 * test_tr.c — common/tr.h's helpers that have no module of their own to
 * be tested with: Go durations (tr_parse_duration), as Kubo's config and
 * `name publish --lifetime/--ttl` take them, and as Go prints them
 * (tr_format_duration, `name inspect`'s TTL); and the big-reader lock
 * (common/brlock.h) with its thread slots.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/brlock.h"
#include "testutil.h"

static uint64_t dur(const char *s) {
  uint64_t ns = 0;
  assert_int_equal(tr_parse_duration(s, &ns), 0);
  return ns;
}

static void test_duration(void **state) {
  (void)state;
  assert_int_equal(dur("300ms"), 300000000ull);
  assert_int_equal(dur("1.5h"), 5400000000000ull);
  assert_int_equal(dur("48h0m0s"), 172800000000000ull);
  assert_int_equal(dur("5m0s"), 300000000000ull);
  assert_int_equal(dur("7d2h45m"), (7 * 86400ull + 2 * 3600 + 45 * 60) *
                                       1000000000ull);
  assert_int_equal(dur("1us"), 1000);
  assert_int_equal(dur("1\xc2\xb5s"), 1000);
  assert_int_equal(dur("10ns"), 10);
  assert_int_equal(dur("0"), 0); /* Go's one unitless duration */
  assert_int_equal(dur("0s"), 0);
  uint64_t ns;
  const char *bad[] = {"", "5", "h", "-1s", "1x", "1s2", " 1s", "1 s",
                       "99999999999999999999h", "00", "0 ", "0x"};
  for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++)
    assert_int_equal(tr_parse_duration(bad[i], &ns), TR_EUSAGE);
  assert_int_equal(tr_parse_duration(NULL, &ns), TR_EUSAGE);
}

/* Go's time.Duration.String() cases (time_test.go's durationTests), and
 * what every duration parsed back from its text gives. */
static void test_duration_format(void **state) {
  (void)state;
  static const struct {
    const char *s;
    int64_t ns;
  } cases[] = {
      {"0s", 0},
      {"1ns", 1},
      {"1.1\xc2\xb5s", 1100},
      {"2.2ms", 2200000},
      {"3.3s", 3300000000},
      {"4m5s", 245000000000},
      {"4m5.001s", 245001000000},
      {"5h6m7.001s", 18367001000000},
      {"8m0.000000001s", 480000000001},
      {"2562047h47m16.854775807s", INT64_MAX},
      {"-2562047h47m16.854775808s", INT64_MIN},
      {"5m0s", 300000000000},
      {"48h0m0s", 172800000000000},
      {"-1.5s", -1500000000},
  };
  char out[TR_DURATION_STR_MAX];
  for (size_t i = 0; i < TR_ARRAY_LEN(cases); i++) {
    int n = tr_format_duration(cases[i].ns, out);
    assert_string_equal(out, cases[i].s);
    assert_int_equal(n, (int)strlen(cases[i].s));
    /* (the parser sums in a double: exact below 2^53 ns) */
    if (cases[i].ns >= 0 && cases[i].ns < (INT64_C(1) << 53))
      assert_int_equal(dur(out), (uint64_t)cases[i].ns);
  }
}

/* tr_fpmap against a plain array as the reference, through random puts
 * and deletes that force growth and long probe runs (keys share their low
 * bits, so the backward shift of deletion is exercised). */
static void test_fpmap(void **state) {
  (void)state;
  enum { N = 4096 };
  static void *ref[N];
  memset(ref, 0, sizeof ref);
  tr_fpmap_t m = {0};
  uint64_t x = 88172645463325252ull;
  for (int step = 0; step < 200000; step++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    size_t k = x % N;
    tr_fp_t fp = {k + 1, (k % 64) << 8}; /* 64 homes for 4096 keys */
    if (x & (1ull << 40)) {
      void *v = (void *)(uintptr_t)(x | 1);
      assert_int_equal(tr_fpmap_put(&m, fp, v), 0);
      ref[k] = v;
    } else {
      assert_ptr_equal(tr_fpmap_del(&m, fp), ref[k]);
      ref[k] = NULL;
    }
    if (step % 997 == 0) {
      size_t n = 0;
      for (size_t i = 0; i < N; i++) {
        tr_fp_t f = {i + 1, (i % 64) << 8};
        assert_ptr_equal(tr_fpmap_get(&m, f), ref[i]);
        n += ref[i] != NULL;
      }
      assert_int_equal(m.n, n);
    }
  }
  tr_fpmap_free(&m);
  assert_null(tr_fpmap_get(&m, (tr_fp_t){1, 0}));
}

/* Rates as the config writes them (tr_parse_rate, moved here from the
 * scrubber: Mirror.Scrub.Rate and Swarm.MaxRecvRate share it). */
static void test_rate_parse(void **state) {
  (void)state;
  uint64_t r = 0;
  assert_int_equal(tr_parse_rate("1MiB", &r), 0);
  assert_int_equal(r, 1048576);
  assert_int_equal(tr_parse_rate("8 MB/s", &r), 0);
  assert_int_equal(r, 8000000);
  assert_int_equal(tr_parse_rate("512", &r), 0);
  assert_int_equal(r, 512);
  assert_int_equal(tr_parse_rate("0", &r), 0);
  assert_int_equal(r, 0);
  assert_int_equal(tr_parse_rate("1.5KiB/s", &r), 0);
  assert_int_equal(r, 1536);
  assert_int_equal(tr_parse_rate("1MiB/h", &r), TR_ECONFIG);
  assert_int_equal(tr_parse_rate("-1MB", &r), TR_ECONFIG);
  assert_int_equal(tr_parse_rate("fast", &r), TR_ECONFIG);
  assert_int_equal(tr_parse_rate(NULL, &r), TR_ECONFIG);
}

/* The token bucket, byte by byte and millisecond by millisecond. */
static void test_bucket(void **state) {
  (void)state;
  tr_bucket_t b;
  /* 1000 B/s is one byte a millisecond; a burst of 100. */
  tr_bucket_init(&b, 1000, 100, 5000);
  assert_int_equal(tr_bucket_avail(&b, 5000), 100); /* starts full */
  assert_int_equal(tr_bucket_wait_ms(&b, 100, 5000), 0);
  tr_bucket_take(&b, 60, 5000);
  assert_int_equal(tr_bucket_avail(&b, 5000), 40);
  assert_int_equal(tr_bucket_wait_ms(&b, 50, 5000), 10);
  assert_int_equal(tr_bucket_avail(&b, 5010), 50);
  /* Never more than the burst, however long it waits. */
  assert_int_equal(tr_bucket_avail(&b, 99999), 100);
  /* A read larger than what was there: a debt, paid before anything is
   * available again. */
  tr_bucket_take(&b, 130, 99999);
  assert_int_equal(tr_bucket_avail(&b, 99999), 0);
  assert_int_equal(tr_bucket_wait_ms(&b, 1, 99999), 31);
  assert_int_equal(tr_bucket_avail(&b, 100029), 0);
  assert_int_equal(tr_bucket_avail(&b, 100030), 1);
  /* More than the burst is waited for as the burst. */
  assert_int_equal(tr_bucket_wait_ms(&b, 1000, 100030), 99);
  /* A clock that goes back adds nothing (and takes nothing). */
  assert_int_equal(tr_bucket_avail(&b, 100000), 1);

  /* Fractions: 1500 B/s refilled a millisecond at a time loses nothing. */
  tr_bucket_init(&b, 1500, 3000, 0);
  tr_bucket_take(&b, 3000, 0);
  for (uint64_t t = 1; t <= 1000; t++)
    (void)tr_bucket_avail(&b, t);
  assert_int_equal(tr_bucket_avail(&b, 1000), 1500);

  /* Over a long run, what a greedy reader takes stays within rate * T +
   * burst + its last read: 10 kB/s, reads of up to 700 B as soon as
   * 200 B are there, for 60 s. */
  tr_bucket_init(&b, 10000, 1000, 0);
  uint64_t got = 0, now = 0;
  while (now < 60000) {
    uint64_t w = tr_bucket_wait_ms(&b, 200, now);
    if (w) {
      now += w;
      continue;
    }
    uint64_t a = tr_bucket_avail(&b, now);
    uint64_t n = a > 700 ? 700 : a;
    tr_bucket_take(&b, n, now);
    got += n;
  }
  assert_true(got <= 10000 * 60 + 1000 + 700);
  assert_true(got >= 10000 * 60 - 1000); /* and it is not starved */

  /* Unlimited. */
  tr_bucket_init(&b, 0, 0, 0);
  assert_true(tr_bucket_avail(&b, 0) == UINT64_MAX);
  tr_bucket_take(&b, 1u << 30, 0);
  assert_int_equal(tr_bucket_wait_ms(&b, 1u << 30, 0), 0);

  /* Huge values neither overflow nor wedge it. */
  tr_bucket_init(&b, UINT64_MAX, UINT64_MAX, 0);
  assert_int_equal(b.rate, TR_BUCKET_RATE_MAX);
  tr_bucket_take(&b, UINT64_MAX, 0);
  assert_int_equal(tr_bucket_avail(&b, 0), 0);
  assert_true(tr_bucket_avail(&b, UINT64_MAX / 2) == TR_BUCKET_RATE_MAX);
}

/* ------------------------------------------------------------ brlock */

typedef struct {
  tr_brlock_t l;
  /* Written by the writer under the lock, both at once as seen by a
   * reader: a reader that sees them differ ran beside a writer. */
  volatile uint64_t a, b;
  atomic_bool stop;
  atomic_uint torn, reads;
} brl_t;

static void *brl_reader(void *arg) {
  brl_t *x = arg;
  while (!atomic_load(&x->stop)) {
    unsigned s = tr_brlock_rdlock(&x->l);
    uint64_t a = x->a;
    sched_yield();
    if (x->b != a)
      atomic_fetch_add(&x->torn, 1);
    tr_brlock_rdunlock(&x->l, s);
    atomic_fetch_add(&x->reads, 1);
  }
  return NULL;
}

/* Readers on 6 threads (more than the cores here) and a writer that
 * changes two words one after the other under the lock: no reader ever
 * sees them differ, and both sides make progress (writer preference keeps
 * the writer from starving, the readers get in between writes). */
static void test_brlock_excludes(void **state) {
  (void)state;
  brl_t x = {0};
  assert_int_equal(tr_brlock_init(&x.l), 0);
  pthread_t th[6];
  for (int i = 0; i < 6; i++)
    assert_int_equal(pthread_create(&th[i], NULL, brl_reader, &x), 0);
  for (int w = 0; w < 2000; w++) {
    tr_brlock_wrlock(&x.l);
    x.a++;
    sched_yield();
    x.b++;
    tr_brlock_wrunlock(&x.l);
    if (w % 100 == 0)
      sched_yield();
  }
  atomic_store(&x.stop, true);
  for (int i = 0; i < 6; i++)
    pthread_join(th[i], NULL);
  assert_int_equal(atomic_load(&x.torn), 0);
  assert_true(atomic_load(&x.reads) > 0);
  assert_int_equal(x.a, 2000);
  tr_brlock_fini(&x.l);
}

typedef struct {
  tr_brlock_t *l;
  atomic_int state; /* 1: wants the lock, 2: has it */
} brw_t;

static void *brl_writer(void *arg) {
  brw_t *w = arg;
  atomic_store(&w->state, 1);
  tr_brlock_wrlock(w->l);
  atomic_store(&w->state, 2);
  tr_brlock_wrunlock(w->l);
  return NULL;
}

static unsigned held_slot;
static void *brl_take(void *arg) {
  held_slot = tr_brlock_rdlock(arg);
  return NULL;
}

/* A writer waits for a reader that holds the lock - here one taken on
 * another thread and released on this one, as a transaction that moved
 * between threads is - and keeps new readers out while it waits and
 * while it holds the lock; tryrdlock then fails without waiting. */
static void test_brlock_waits(void **state) {
  (void)state;
  tr_brlock_t l;
  assert_int_equal(tr_brlock_init(&l), 0);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, brl_take, &l), 0);
  pthread_join(t, NULL);
  brw_t w = {.l = &l};
  assert_int_equal(pthread_create(&t, NULL, brl_writer, &w), 0);
  while (atomic_load(&w.state) == 0)
    sched_yield();
  usleep(30000);
  assert_int_equal(atomic_load(&w.state), 1); /* still waiting */
  unsigned s;
  assert_false(tr_brlock_tryrdlock(&l, &s));  /* the writer's flag is up */
  tr_brlock_rdunlock(&l, held_slot);
  pthread_join(t, NULL);
  assert_int_equal(atomic_load(&w.state), 2);
  /* Held by this thread as writer: tryrdlock fails at once. */
  tr_brlock_wrlock(&l);
  assert_false(tr_brlock_tryrdlock(&l, &s));
  tr_brlock_wrunlock(&l);
  assert_true(tr_brlock_tryrdlock(&l, &s));
  assert_int_equal(s, tr_thread_slot());
  tr_brlock_rdunlock(&l, s);
  tr_brlock_fini(&l);
}

static void *slot_of(void *arg) {
  *(unsigned *)arg = tr_thread_slot();
  return NULL;
}

/* Threads get slots in turn: 8 threads, 8 different slots, and a thread
 * keeps its slot. */
static void test_thread_slots(void **state) {
  (void)state;
  unsigned got[8];
  for (int i = 0; i < 8; i++) {
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, slot_of, &got[i]), 0);
    pthread_join(t, NULL);
    assert_true(got[i] < TR_SLOTS);
    for (int k = 0; k < i; k++)
      assert_true(got[k] != got[i]);
  }
  assert_int_equal(tr_thread_slot(), tr_thread_slot());
}

/* tr_utf8_put writes what tr_utf8_seq reads back, at every length's
 * edges. */
static void test_utf8_put(void **state) {
  (void)state;
  const struct {
    uint32_t c;
    size_t len;
  } t[] = {{0, 1},      {0x7f, 1},     {0x80, 2},      {0x7ff, 2},
           {0x800, 3},  {0xfffd, 3},   {0x10000, 4},   {0x1f680, 4},
           {0x10ffff, 4}};
  for (size_t i = 0; i < TR_ARRAY_LEN(t); i++) {
    uint8_t b[4];
    assert_int_equal(tr_utf8_put(t[i].c, b), t[i].len);
    assert_int_equal(tr_utf8_seq(b, t[i].len), t[i].len);
  }
  uint8_t b[4];
  assert_int_equal(tr_utf8_put(0x1f680, b), 4);
  assert_memory_equal(b, "\xf0\x9f\x9a\x80", 4);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_duration),
                                     cmocka_unit_test(test_duration_format),
                                     cmocka_unit_test(test_brlock_excludes),
                                     cmocka_unit_test(test_brlock_waits),
                                     cmocka_unit_test(test_thread_slots),
                                     cmocka_unit_test(test_fpmap),
                                     cmocka_unit_test(test_rate_parse),
                                     cmocka_unit_test(test_bucket),
                                     cmocka_unit_test(test_utf8_put)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

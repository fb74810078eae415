/*
 * car_test.h — what tests/test_car.c and tests/test_car_errors.c share: a
 * driver that feeds a CAR to the reader in chosen pieces (each a heap copy
 * of exactly its length, so ASan catches over-reads and stale views) and
 * records every event with a copy of its block, plus small helpers.
 *
 * Run the tests from the repository root: fixtures are read from
 * tests/vectors/car/.
 */
#ifndef CAR_TEST_H
#define CAR_TEST_H

#include "testutil.h"

#include <errno.h>

#include "../dag/car.h"

#define VEC "tests/vectors/car/"

/* ------------------------------------------------------------ helpers */

static inline uint8_t *load(const char *name, size_t *len) {
  char path[256];
  snprintf(path, sizeof path, VEC "%s", name);
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot open %s (run from the repository root)", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc(n ? (size_t)n : 1);
  assert_non_null(p);
  assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return p;
}

/* One recorded event, with its own copy of the block bytes. */
typedef struct rec {
  int type;
  dag_car_header_t header;
  dag_cid_t cid;
  uint64_t index, offset, length, block_offset;
  uint8_t *block;
  size_t block_len;
  bool block_in_input; /* the view pointed into the piece fed */
} rec_t;

typedef struct run {
  rec_t *ev;
  size_t n, cap;
  int rc;          /* first error, else dag_car_finish()'s result */
  bool feed_error; /* rc came from dag_car_feed() */
  size_t nblocks, nroots;
} run_t;

static inline void run_free(run_t *r) {
  for (size_t i = 0; i < r->n; i++)
    free(r->ev[i].block);
  free(r->ev);
  memset(r, 0, sizeof *r);
}

static inline void record(run_t *run, int type, const dag_car_event_t *ev,
                   const uint8_t *piece, size_t plen) {
  if (run->n == run->cap) {
    run->cap = run->cap ? run->cap * 2 : 64;
    run->ev = realloc(run->ev, run->cap * sizeof *run->ev);
    assert_non_null(run->ev);
  }
  rec_t *r = &run->ev[run->n++];
  memset(r, 0, sizeof *r);
  r->type = type;
  if (type == DAG_CAR_HEADER)
    r->header = ev->header;
  if (type == DAG_CAR_ROOT || type == DAG_CAR_BLOCK) {
    r->cid = ev->cid;
    r->index = ev->index;
  }
  if (type == DAG_CAR_ROOT)
    run->nroots++;
  if (type == DAG_CAR_BLOCK) {
    run->nblocks++;
    r->offset = ev->offset;
    r->length = ev->length;
    r->block_offset = ev->block_offset;
    r->block_len = ev->block_len;
    r->block = malloc(ev->block_len ? ev->block_len : 1);
    assert_non_null(r->block);
    if (ev->block_len)
      memcpy(r->block, ev->block, ev->block_len);
    r->block_in_input = ev->block >= piece && ev->block < piece + plen;
  }
}

/* Feed data[0..len) in pieces: chunk > 0 gives fixed-size pieces, chunk == 0
 * random sizes from seed (1..2*avg).  Records every event.  The reader is
 * freed before returning. */
static inline run_t feed_all(const uint8_t *data, size_t len, size_t chunk,
                      unsigned seed, size_t avg, const dag_car_opts_t *opts) {
  run_t run = {0};
  dag_car_reader_t rd;
  dag_car_reader_init(&rd, opts);
  size_t off = 0;
  srand(seed);
  do {
    size_t n = chunk ? chunk : 1 + (size_t)rand() % (2 * avg);
    if (n > len - off)
      n = len - off;
    uint8_t *piece = malloc(n ? n : 1);
    assert_non_null(piece);
    memcpy(piece, data + off, n);
    size_t p = 0;
    for (;;) {
      size_t used = 12345;
      dag_car_event_t ev;
      int rc = dag_car_feed(&rd, piece + p, n - p, &used, &ev);
      if (rc < 0) {
        run.rc = rc;
        run.feed_error = true;
        /* Sticky: the same error again, and from finish. */
        assert_int_equal(dag_car_feed(&rd, piece, n, &used, &ev), rc);
        assert_int_equal(used, 0);
        free(piece);
        assert_int_equal(dag_car_finish(&rd), rc);
        dag_car_reader_free(&rd);
        return run;
      }
      assert_true(used <= n - p);
      if (rc == DAG_CAR_ROOT)
        assert_int_equal(used, 0);
      p += used;
      if (rc == DAG_CAR_NEED_MORE) {
        assert_int_equal(p, n);
        break;
      }
      record(&run, rc, &ev, piece + p - used, used);
    }
    free(piece);
    off += n;
  } while (off < len);
  /* Drain events that need no input (roots of a header at the very end,
   * END of a CARv2 whose payload ends with the input). */
  for (;;) {
    size_t used;
    dag_car_event_t ev;
    int rc = dag_car_feed(&rd, NULL, 0, &used, &ev);
    if (rc <= 0) {
      if (rc < 0) {
        run.rc = rc;
        run.feed_error = true;
        dag_car_reader_free(&rd);
        return run;
      }
      break;
    }
    record(&run, rc, &ev, NULL, 0);
  }
  run.rc = dag_car_finish(&rd);
  dag_car_reader_free(&rd);
  return run;
}

static inline run_t feed_whole(const uint8_t *data, size_t len) {
  return feed_all(data, len, len ? len : 1, 0, 0, NULL);
}

static inline void assert_same_events(const run_t *a, const run_t *b) {
  assert_int_equal(a->rc, b->rc);
  assert_int_equal(a->n, b->n);
  for (size_t i = 0; i < a->n; i++) {
    const rec_t *x = &a->ev[i], *y = &b->ev[i];
    assert_int_equal(x->type, y->type);
    assert_memory_equal(&x->header, &y->header, sizeof x->header);
    assert_true(x->type == DAG_CAR_HEADER || x->type == DAG_CAR_END ||
                dag_cid_equal(&x->cid, &y->cid));
    assert_int_equal(x->index, y->index);
    assert_int_equal(x->offset, y->offset);
    assert_int_equal(x->length, y->length);
    assert_int_equal(x->block_offset, y->block_offset);
    assert_int_equal(x->block_len, y->block_len);
    if (x->block_len)
      assert_memory_equal(x->block, y->block, x->block_len);
  }
}

static inline const rec_t *nth(const run_t *r, int type, size_t k) {
  for (size_t i = 0; i < r->n; i++)
    if (r->ev[i].type == type && k-- == 0)
      return &r->ev[i];
  fail_msg("event %d #%zu missing", type, k);
  return NULL;
}

static inline dag_cid_t cid_of(const char *s) {
  dag_cid_t c;
  assert_int_equal(dag_cid_parse(&c, s, strlen(s)), 0);
  return c;
}

/* A counting allocator: the largest request, to show a limit is checked
 * before anything is allocated for it. */
static size_t big_req;
static inline void *cnt_malloc(size_t n, void *d) {
  (void)d;
  big_req = n > big_req ? n : big_req;
  return malloc(n);
}
static inline void cnt_free(void *p, void *d) {
  (void)d;
  free(p);
}
static inline void *cnt_calloc(size_t n, size_t s, void *d) {
  (void)d;
  return calloc(n, s);
}
static inline void *cnt_realloc(void *p, size_t n, void *d) {
  (void)d;
  big_req = n > big_req ? n : big_req;
  return realloc(p, n);
}
static const tr_mem_t cnt_mem = {cnt_malloc, cnt_free, cnt_calloc, cnt_realloc,
                                 NULL};

/* Hex to bytes, spaces ignored. */
static inline size_t hexs(const char *h, uint8_t *out, size_t cap) {
  size_t n = 0;
  for (; *h; h++) {
    if (*h == ' ')
      continue;
    unsigned v;
    assert_int_equal(sscanf(h, "%2x", &v), 1);
    assert_true(n < cap);
    out[n++] = (uint8_t)v;
    h++;
  }
  return n;
}

/* Run a CAR given as hex, whole and byte by byte; both must agree. */
static inline run_t run_hex(const char *hex, const dag_car_opts_t *opts) {
  uint8_t buf[512];
  size_t n = hexs(hex, buf, sizeof buf);
  run_t a = feed_all(buf, n, n ? n : 1, 0, 0, opts);
  run_t b = feed_all(buf, n, 1, 0, 0, opts);
  assert_same_events(&a, &b);
  run_free(&b);
  return a;
}


#endif /* CAR_TEST_H */

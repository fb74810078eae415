/*
 * test_chunker.c — dag/chunker.h: spec parsing against boxo's parse rules
 * and parse_test.go cases, and rabin/buzhash chunk boundaries against the
 * known-answer files in tests/vectors/chunker/, which were computed by the
 * Go reference implementations (see the header of each file).
 *
 * Each vector is chunked three ways, because the API promises they agree:
 * the whole input at once, a dag_chunker_max()-sized window as an importer
 * would use, and a buffer that grows by a few bytes at a time (exercising
 * the "0 = need more bytes" answer).
 *
 * Run from the repository root: vectors are read from tests/vectors/chunker/.
 */
#include "testutil.h"

#include "../dag/chunker.h"

#define VEC "tests/vectors/chunker/"

/* ------------------------------------------------------- input generator */

/* The generators named in the vector files; see rabin.txt's header. */
static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static void fill_rand(uint64_t seed, uint8_t *out, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = splitmix(&seed);
    for (size_t k = 0; k < 8 && i + k < n; k++)
      out[i + k] = (uint8_t)(v >> (8 * k));
  }
}

/* Build the input that desc describes; *len gets its length. */
static uint8_t *make_input(const char *desc, size_t *len) {
  uint8_t *buf = NULL;
  size_t n = 0;
  char *copy = strdup(desc), *save = NULL;
  for (char *seg = strtok_r(copy, ",", &save); seg;
       seg = strtok_r(NULL, ",", &save)) {
    unsigned long long a, p, l;
    char kind[8];
    if (sscanf(seg, "rep:%llu:%llu:%llu", &a, &p, &l) == 3)
      strcpy(kind, "rep");
    else
      assert_int_equal(sscanf(seg, "%4[a-z]:%llu:%llu", kind, &a, &l), 3);
    buf = realloc(buf, n + l + 1);
    assert_non_null(buf);
    uint8_t *d = buf + n;
    if (!strcmp(kind, "rand")) {
      fill_rand(a, d, l);
    } else if (!strcmp(kind, "fill")) {
      memset(d, (int)a, l);
    } else if (!strcmp(kind, "text")) {
      fill_rand(a, d, l);
      for (size_t i = 0; i < l; i++)
        d[i] = (uint8_t) "acgt"[d[i] & 3];
    } else {
      assert_string_equal(kind, "rep");
      uint8_t *r = malloc(p);
      fill_rand(a, r, p);
      for (size_t i = 0; i < l; i++)
        d[i] = r[i % p];
      free(r);
    }
    n += l;
  }
  free(copy);
  *len = n;
  return buf;
}

/* --------------------------------------------------------- vector files */

typedef struct vec {
  char spec[128];
  char input[512];
  size_t *lens, n;
} vec_t;

/* Next record of f into v; false at the end of the file. */
static bool read_vec(FILE *f, vec_t *v) {
  char line[1024];
  v->spec[0] = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || line[0] == '\n')
      continue;
    assert_int_equal(sscanf(line, "spec %127s", v->spec), 1);
    break;
  }
  if (!v->spec[0])
    return false;
  assert_non_null(fgets(line, sizeof line, f));
  assert_int_equal(sscanf(line, "input %511s", v->input), 1);
  assert_non_null(fgets(line, sizeof line, f));
  assert_int_equal(sscanf(line, "chunks %zu", &v->n), 1);
  v->lens = calloc(v->n, sizeof *v->lens);
  for (size_t i = 0; i < v->n; i++)
    assert_int_equal(fscanf(f, "%zu", &v->lens[i]), 1);
  return true;
}

/* Chunk data[0..len) and compare with want[0..n).  mode 0: the whole rest
 * each time; 1: at most dag_chunker_max() bytes; 2: a buffer that grows by
 * step bytes until the chunker answers. */
static void check_chunks(const dag_chunker_t *c, const uint8_t *data,
                         size_t len, const size_t *want, size_t n, int mode,
                         size_t step) {
  size_t off = 0, k = 0, max = dag_chunker_max(c);
  while (off < len) {
    size_t rest = len - off, got;
    if (mode == 0) {
      got = dag_chunker_cut(c, data + off, rest, true);
    } else if (mode == 1) {
      got = rest <= max ? dag_chunker_cut(c, data + off, rest, true)
                        : dag_chunker_cut(c, data + off, max, false);
    } else {
      size_t have = 0;
      got = 0;
      while (!got) {
        have = have + step < rest ? have + step : rest;
        got = dag_chunker_cut(c, data + off, have, have == rest);
        if (!got) /* "need more" only below the maximum */
          assert_true(have < max && have < rest);
      }
      assert_true(got <= have);
    }
    assert_true(k < n);
    if (got != want[k])
      fail_msg("chunk %zu: got %zu, want %zu (mode %d)", k, got, want[k],
               mode);
    assert_true(got <= max);
    if (off + got < len)
      assert_true(got >= c->min);
    off += got;
    k++;
  }
  assert_int_equal(k, n);
  assert_int_equal(dag_chunker_cut(c, data + len, 0, true), 0);
}

static void run_vector_file(const char *path, int want_kind) {
  FILE *f = fopen(path, "r");
  if (!f)
    fail_msg("cannot open %s (run from the repository root)", path);
  vec_t v;
  int records = 0;
  while (read_vec(f, &v)) {
    dag_chunker_t c;
    assert_int_equal(dag_chunker_init(&c, v.spec), 0);
    assert_int_equal(c.kind, want_kind);
    size_t len, sum = 0;
    uint8_t *data = make_input(v.input, &len);
    for (size_t i = 0; i < v.n; i++)
      sum += v.lens[i];
    assert_int_equal(sum, len); /* the file is self-consistent */
    check_chunks(&c, data, len, v.lens, v.n, 0, 0);
    check_chunks(&c, data, len, v.lens, v.n, 1, 0);
    /* Growing in steps of about max/5 keeps this linear enough. */
    check_chunks(&c, data, len, v.lens, v.n, 2, dag_chunker_max(&c) / 5 + 7);
    free(data);
    free(v.lens);
    records++;
  }
  fclose(f);
  assert_true(records >= 5);
}

static void test_rabin_vectors(void **state) {
  (void)state;
  run_vector_file(VEC "rabin.txt", DAG_CHUNK_RABIN);
}

static void test_buzhash_vectors(void **state) {
  (void)state;
  run_vector_file(VEC "buzhash.txt", DAG_CHUNK_BUZHASH);
}

/* ---------------------------------------------------------------- parsing */

static void expect_ok(const char *spec, int kind, size_t min, size_t avg,
                      size_t max, uint64_t mask) {
  dag_chunker_t c;
  int r = dag_chunker_init(&c, spec);
  if (r)
    fail_msg("%s: %s", spec, tr_strerror(r));
  assert_int_equal(c.kind, kind);
  if (kind == DAG_CHUNK_SIZE) {
    assert_int_equal(c.size, min);
    assert_int_equal(dag_chunker_max(&c), min);
    return;
  }
  assert_int_equal(c.min, min);
  if (kind == DAG_CHUNK_RABIN)
    assert_int_equal(c.avg, avg);
  assert_int_equal(c.max, max);
  assert_int_equal(dag_chunker_max(&c), max);
  assert_int_equal(c.mask, mask);
}

static void expect_err(const char *spec) {
  dag_chunker_t c;
  if (dag_chunker_init(&c, spec) != TR_ECHUNKER)
    fail_msg("%s was accepted", spec);
}

static void test_parse(void **state) {
  (void)state;
  const size_t lim = DAG_CHUNK_LIMIT;
  char buf[64];
  assert_int_equal(lim, 2097152 - 256); /* boxo ChunkSizeLimit */
  expect_ok(NULL, DAG_CHUNK_SIZE, 262144, 0, 0, 0);
  expect_ok("", DAG_CHUNK_SIZE, 262144, 0, 0, 0);
  expect_ok("default", DAG_CHUNK_SIZE, 262144, 0, 0, 0);
  /* parse_test.go TestParseSize */
  expect_err("size-0");
  expect_ok("size-32", DAG_CHUNK_SIZE, 32, 0, 0, 0);
  snprintf(buf, sizeof buf, "size-%zu", lim);
  expect_ok(buf, DAG_CHUNK_SIZE, lim, 0, 0, 0);
  snprintf(buf, sizeof buf, "size-%zu", lim + 1);
  expect_err(buf);
  expect_err("size-123-extra");
  expect_ok("size-+5", DAG_CHUNK_SIZE, 5, 0, 0, 0); /* strconv.Atoi */
  expect_ok("size-00000000000000000007", DAG_CHUNK_SIZE, 7, 0, 0, 0);
  expect_err("size--5");
  expect_err("size-5x");
  expect_err("size-");
  expect_err("size");
  expect_err("size-99999999999999999999999");
  /* parse_test.go TestParseRabin */
  expect_ok("rabin-18-25-32", DAG_CHUNK_RABIN, 18, 25, 32, 15);
  expect_err("rabin-15-23-31");
  expect_err("rabin-20-20-21");
  expect_err("rabin-19-21-21");
  snprintf(buf, sizeof buf, "rabin-19-21-%zu", lim);
  expect_ok(buf, DAG_CHUNK_RABIN, 19, 21, lim, 15);
  snprintf(buf, sizeof buf, "rabin-19-21-%zu", lim + 1);
  expect_err(buf);
  expect_ok("rabin-1397931", DAG_CHUNK_RABIN, 465977, 1397931, 2096896,
            (1u << 20) - 1);
  expect_err("rabin-1397932");
  /* defaults: rabin.go NewRabin */
  expect_ok("rabin", DAG_CHUNK_RABIN, 87381, 262144, 393216, (1u << 18) - 1);
  expect_ok("rabin-262144", DAG_CHUNK_RABIN, 87381, 262144, 393216,
            (1u << 18) - 1);
  expect_ok("rabin-100000", DAG_CHUNK_RABIN, 33333, 100000, 150000, 65535);
  expect_ok("rabin-65535", DAG_CHUNK_RABIN, 21845, 65535, 98302, 32767);
  expect_ok("rabin-48", DAG_CHUNK_RABIN, 16, 48, 72, 31);
  expect_err("rabin-47"); /* ours: Go would make one unbounded chunk */
  expect_err("rabin-0");
  /* labels, as parseRabinString reads them */
  expect_ok("rabin-min:100-avg:200-max:300", DAG_CHUNK_RABIN, 100, 200, 300,
            127);
  expect_ok("rabin-100-avg:200-300", DAG_CHUNK_RABIN, 100, 200, 300, 127);
  expect_ok("rabin-min:x:100-avg:200-max:300", DAG_CHUNK_RABIN, 100, 200,
            300, 127);
  expect_err("rabin-avg:100-min:200-max:300");
  expect_err("rabin-min:100-avg:200-maxi:300");
  expect_err("rabin-min:-avg:200-max:300");
  expect_err("rabin-avg:1000");
  expect_err("rabin-100-200");
  expect_err("rabin-1-2-3-4");
  expect_err("rabin-");
  expect_err("rabin--");
  expect_err("rabinx");
  expect_err("rabin-x");
  /* buzhash: boxo takes the name before the first '-' and ignores the rest */
  expect_ok("buzhash", DAG_CHUNK_BUZHASH, 131072, 0, 524288, 131071);
  expect_ok("buzhash-whatever-1-2-3-4-5", DAG_CHUNK_BUZHASH, 131072, 0,
            524288, 131071);
  expect_err("buzhashx");
  expect_err("Buzhash");
  expect_err("unknown-chunker");
  expect_err("-");
}

/* --------------------------------------------------------------- contract */

/* The answers at the edges of the API, for every kind. */
static void test_cut_contract(void **state) {
  (void)state;
  const char *specs[] = {"size-1000", "rabin-4096", "buzhash"};
  size_t big = 1u << 20;
  uint8_t *data = malloc(big);
  fill_rand(99, data, big);
  for (size_t s = 0; s < TR_ARRAY_LEN(specs); s++) {
    dag_chunker_t c;
    assert_int_equal(dag_chunker_init(&c, specs[s]), 0);
    size_t max = dag_chunker_max(&c);
    size_t min = c.kind == DAG_CHUNK_SIZE ? c.size : c.min;
    assert_int_equal(dag_chunker_cut(&c, data, 0, true), 0);
    assert_int_equal(dag_chunker_cut(&c, data, 0, false), 0);
    assert_int_equal(dag_chunker_cut(&c, data, 1, true), 1);
    assert_int_equal(dag_chunker_cut(&c, data, min - 1, false), 0);
    assert_int_equal(dag_chunker_cut(&c, data, min - 1, true), min - 1);
    /* With max bytes the answer never needs more, and eof is irrelevant. */
    size_t a = dag_chunker_cut(&c, data, max, false);
    assert_true(a >= min && a <= max);
    assert_int_equal(dag_chunker_cut(&c, data, max, true), a);
    assert_int_equal(dag_chunker_cut(&c, data, big, false), a);
    /* Bytes after the cut do not move it (stateless, from the boundary). */
    assert_int_equal(dag_chunker_cut(&c, data, a, false), a);
  }
  free(data);
}

/* The null-byte case of whyrusleeping/chunker's TestChunker (chunks2): over
 * zeros the fingerprint is 0, so rabin cuts at exactly MIN, also when the
 * length is a multiple of MIN (no empty or short chunk at the end). */
static void test_rabin_zeros(void **state) {
  (void)state;
  dag_chunker_t c;
  assert_int_equal(dag_chunker_init(&c, "rabin"), 0);
  size_t len = 4 * c.min;
  uint8_t *z = calloc(len, 1);
  for (size_t off = 0; off < len; off += c.min)
    assert_int_equal(dag_chunker_cut(&c, z + off, len - off, true), c.min);
  free(z);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_cut_contract),
      cmocka_unit_test(test_rabin_zeros),
      cmocka_unit_test(test_rabin_vectors),
      cmocka_unit_test(test_buzhash_vectors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

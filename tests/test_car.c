/*
 * test_car.c — the CAR codec (dag/car.h) against the published fixtures:
 * the CARv1/CARv2 spec fixtures with their JSON descriptions (every root,
 * CID, offset and length), go-car/js-car's samples with js-car's CID lists
 * and go-car's `car inspect` figures; then the writer byte for byte against
 * those files, round trips, split feeding, truncation at every offset,
 * malformed headers and sections, limits checked before allocation, and an
 * allocation-failure sweep.
 *
 * Run from the repository root: fixtures are read from tests/vectors/car/.
 * Every piece of input is fed from a heap copy of exactly its length, so
 * ASan (make SAN=1) catches a read past what the reader was given or a view
 * used after the call that made it stale.
 */
#include "testutil.h"

#include <errno.h>
#include <jansson.h>

#include "../dag/car.h"

#define VEC "tests/vectors/car/"

/* ------------------------------------------------------------ helpers */

static uint8_t *load(const char *name, size_t *len) {
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

static void run_free(run_t *r) {
  for (size_t i = 0; i < r->n; i++)
    free(r->ev[i].block);
  free(r->ev);
  memset(r, 0, sizeof *r);
}

static void record(run_t *run, int type, const dag_car_event_t *ev,
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
static run_t feed_all(const uint8_t *data, size_t len, size_t chunk,
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

static run_t feed_whole(const uint8_t *data, size_t len) {
  return feed_all(data, len, len ? len : 1, 0, 0, NULL);
}

static void assert_same_events(const run_t *a, const run_t *b) {
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

static const rec_t *nth(const run_t *r, int type, size_t k) {
  for (size_t i = 0; i < r->n; i++)
    if (r->ev[i].type == type && k-- == 0)
      return &r->ev[i];
  fail_msg("event %d #%zu missing", type, k);
  return NULL;
}

static dag_cid_t cid_of(const char *s) {
  dag_cid_t c;
  assert_int_equal(dag_cid_parse(&c, s, strlen(s)), 0);
  return c;
}

/* ------------------------------------------------ spec fixtures + JSON */

/* Compare a run with a fixture description (ipld specs' fixture JSON). */
static void check_against_json(const run_t *run, const char *jsonname) {
  char path[256];
  snprintf(path, sizeof path, VEC "%s", jsonname);
  json_error_t jerr;
  json_t *j = json_load_file(path, 0, &jerr);
  if (!j)
    fail_msg("%s: %s", path, jerr.text);
  json_t *hdr = json_object_get(j, "header");
  json_t *roots = json_object_get(hdr, "roots");
  json_t *blocks = json_object_get(j, "blocks");
  const rec_t *h = nth(run, DAG_CAR_HEADER, 0);
  assert_int_equal(h->header.version,
                   json_integer_value(json_object_get(hdr, "version")));
  assert_int_equal(h->header.nroots, json_array_size(roots));
  assert_int_equal(run->nroots, json_array_size(roots));
  for (size_t i = 0; i < json_array_size(roots); i++) {
    const char *s =
        json_string_value(json_object_get(json_array_get(roots, i), "/"));
    dag_cid_t want = cid_of(s);
    const rec_t *r = nth(run, DAG_CAR_ROOT, i);
    assert_int_equal(r->index, i);
    assert_true(dag_cid_equal(&r->cid, &want));
  }
  if (h->header.version == 2) {
    assert_int_equal(h->header.data_offset,
                     json_integer_value(json_object_get(hdr, "dataOffset")));
    assert_int_equal(h->header.data_size,
                     json_integer_value(json_object_get(hdr, "dataSize")));
    assert_int_equal(h->header.index_offset,
                     json_integer_value(json_object_get(hdr, "indexOffset")));
  }
  assert_int_equal(run->nblocks, json_array_size(blocks));
  for (size_t i = 0; i < json_array_size(blocks); i++) {
    json_t *b = json_array_get(blocks, i);
    const rec_t *r = nth(run, DAG_CAR_BLOCK, i);
    dag_cid_t want =
        cid_of(json_string_value(json_object_get(json_object_get(b, "cid"), "/")));
    assert_true(dag_cid_equal(&r->cid, &want));
    assert_int_equal(r->index, i);
    assert_int_equal(r->offset, json_integer_value(json_object_get(b, "offset")));
    assert_int_equal(r->length, json_integer_value(json_object_get(b, "length")));
    assert_int_equal(r->block_offset,
                     json_integer_value(json_object_get(b, "blockOffset")));
    assert_int_equal(r->block_len,
                     json_integer_value(json_object_get(b, "blockLength")));
    /* The reader does not hash; these fixtures are all sha2-256, so the
     * caller's check must pass. */
    assert_int_equal(dag_cid_verify(&r->cid, r->block, r->block_len), 0);
  }
  json_decref(j);
}

static void test_spec_carv1_basic(void **state) {
  (void)state;
  size_t len;
  uint8_t *car = load("carv1-basic.car", &len);
  run_t run = feed_whole(car, len);
  assert_int_equal(run.rc, 0);
  check_against_json(&run, "carv1-basic.json");
  assert_int_equal(run.ev[0].type, DAG_CAR_HEADER);
  assert_int_equal(run.ev[run.n - 1].type, DAG_CAR_BLOCK); /* no END in v1 */
  /* Fed whole, every block is a view into the input: no copy. */
  for (size_t i = 0; i < run.n; i++)
    if (run.ev[i].type == DAG_CAR_BLOCK)
      assert_true(run.ev[i].block_in_input);
  run_free(&run);
  free(car);
}

static void test_spec_carv2_basic(void **state) {
  (void)state;
  size_t len;
  uint8_t *car = load("carv2-basic.car", &len);
  run_t run = feed_whole(car, len);
  assert_int_equal(run.rc, 0);
  check_against_json(&run, "carv2-basic.json");
  const rec_t *h = nth(&run, DAG_CAR_HEADER, 0);
  uint8_t zero[16] = {0};
  assert_memory_equal(h->header.characteristics, zero, 16);
  assert_false(h->header.fully_indexed);
  /* The payload ends at 51 + 448 = 499; the index after it is skipped. */
  assert_int_equal(run.ev[run.n - 1].type, DAG_CAR_END);
  assert_int_equal(run.ev[run.n - 2].type, DAG_CAR_BLOCK);
  run_free(&run);
  free(car);
}

/* ------------------------------------------------- go-car / js-car samples */

static void check_cid_list(const run_t *run, const char *listname) {
  char path[256];
  snprintf(path, sizeof path, VEC "%s", listname);
  FILE *f = fopen(path, "r");
  if (!f)
    fail_msg("cannot open %s", path);
  char line[256];
  size_t i = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    const rec_t *r = nth(run, DAG_CAR_BLOCK, i++);
    char s[DAG_CID_STR_MAX];
    assert_true(dag_cid_format(&r->cid, 0, s, sizeof s) > 0);
    assert_string_equal(s, line);
  }
  fclose(f);
  assert_int_equal(i, run->nblocks);
}

/* go-car's `car inspect` figures for sample-v1.car and its v2 wrapping. */
static void check_inspect(const run_t *run) {
  size_t n = 0, bmin = SIZE_MAX, bmax = 0, btot = 0, cmin = SIZE_MAX,
         cmax = 0, ctot = 0, raw = 0, cbor = 0, ident = 0, b2b = 0;
  for (size_t i = 0; i < run->n; i++) {
    const rec_t *r = &run->ev[i];
    if (r->type != DAG_CAR_BLOCK)
      continue;
    n++;
    btot += r->block_len;
    bmin = r->block_len < bmin ? r->block_len : bmin;
    bmax = r->block_len > bmax ? r->block_len : bmax;
    ctot += r->cid.len;
    cmin = r->cid.len < cmin ? r->cid.len : cmin;
    cmax = r->cid.len > cmax ? r->cid.len : cmax;
    raw += r->cid.codec == DAG_CODEC_RAW;
    cbor += r->cid.codec == DAG_CODEC_DAG_CBOR;
    ident += r->cid.mh_code == DAG_MH_IDENTITY;
    b2b += r->cid.mh_code == 0xb220; /* blake2b-256 */
    /* Identity blocks can be checked without blake2b. */
    if (r->cid.mh_code == DAG_MH_IDENTITY)
      assert_int_equal(dag_cid_verify(&r->cid, r->block, r->block_len), 0);
  }
  assert_int_equal(n, 1049);
  assert_int_equal(bmin, 1);
  assert_int_equal(btot / n, 417);
  assert_int_equal(bmax, 1342);
  assert_int_equal(cmin, 14);
  assert_int_equal(ctot / n, 37);
  assert_int_equal(cmax, 38);
  assert_int_equal(raw, 6);
  assert_int_equal(cbor, 1043);
  assert_int_equal(ident, 6);
  assert_int_equal(b2b, 1043);
  dag_cid_t root =
      cid_of("bafy2bzaced4ueelaegfs5fqu4tzsh6ywbbpfk3cxppupmxfdhbpbhzawfw5oy");
  assert_int_equal(run->nroots, 1);
  assert_true(dag_cid_equal(&nth(run, DAG_CAR_ROOT, 0)->cid, &root));
}

static void test_sample_v1(void **state) {
  (void)state;
  size_t len;
  uint8_t *car = load("sample-v1.car", &len);
  run_t run = feed_whole(car, len);
  assert_int_equal(run.rc, 0);
  assert_int_equal(nth(&run, DAG_CAR_HEADER, 0)->header.version, 1);
  check_cid_list(&run, "sample-v1.cids");
  check_inspect(&run);
  run_free(&run);
  free(car);
}

static void test_sample_wrapped_v2(void **state) {
  (void)state;
  size_t len, len1;
  uint8_t *car = load("sample-wrapped-v2.car", &len);
  uint8_t *v1 = load("sample-v1.car", &len1);
  run_t run = feed_whole(car, len), run1 = feed_whole(v1, len1);
  assert_int_equal(run.rc, 0);
  const dag_car_header_t *h = &nth(&run, DAG_CAR_HEADER, 0)->header;
  assert_int_equal(h->version, 2);
  assert_int_equal(h->data_offset, 51);
  assert_int_equal(h->data_size, 479907);
  assert_int_equal(h->index_offset, 479958);
  check_cid_list(&run, "sample-wrapped-v2.cids");
  check_inspect(&run);
  /* The payload is sample-v1.car: same sections, offsets shifted by 51. */
  assert_int_equal(run.nblocks, run1.nblocks);
  for (size_t i = 0; i < run.nblocks; i++) {
    const rec_t *a = nth(&run, DAG_CAR_BLOCK, i), *b = nth(&run1, DAG_CAR_BLOCK, i);
    assert_true(dag_cid_equal(&a->cid, &b->cid));
    assert_int_equal(a->offset, b->offset + 51);
    assert_int_equal(a->length, b->length);
    assert_int_equal(a->block_len, b->block_len);
  }
  assert_int_equal(run.ev[run.n - 1].type, DAG_CAR_END);
  run_free(&run);
  run_free(&run1);
  free(car);
  free(v1);
}

static void test_small_v2_samples(void **state) {
  (void)state;
  static const char *names[] = {"sample-unixfs-v2", "sample-rw-bs-v2"};
  for (size_t k = 0; k < TR_ARRAY_LEN(names); k++) {
    char car_name[64], list[64];
    snprintf(car_name, sizeof car_name, "%s.car", names[k]);
    snprintf(list, sizeof list, "%s.cids", names[k]);
    size_t len;
    uint8_t *car = load(car_name, &len);
    run_t run = feed_whole(car, len);
    assert_int_equal(run.rc, 0);
    assert_int_equal(nth(&run, DAG_CAR_HEADER, 0)->header.version, 2);
    check_cid_list(&run, list);
    for (size_t i = 0; i < run.nblocks; i++) {
      const rec_t *r = nth(&run, DAG_CAR_BLOCK, i);
      assert_int_equal(dag_cid_verify(&r->cid, r->block, r->block_len), 0);
    }
    run_free(&run);
    free(car);
  }
}

static void test_zero_length_section(void **state) {
  (void)state;
  size_t len;
  uint8_t *car = load("sample-v1-with-zero-len-section2.car", &len);
  run_t run = feed_whole(car, len);
  /* Default, as go-car and js-car: a zero length is an error. */
  assert_int_equal(run.rc, TR_ECAR);
  assert_true(run.feed_error);
  assert_int_equal(run.nblocks, 20);
  run_free(&run);
  dag_car_opts_t o = {.flags = DAG_CAR_ZERO_LEN_EOF};
  run = feed_all(car, len, 1000, 0, 0, &o);
  assert_int_equal(run.rc, 0);
  assert_int_equal(run.nblocks, 20);
  assert_int_equal(run.ev[run.n - 1].type, DAG_CAR_END);
  /* The last section ends where the zero length starts. */
  const rec_t *last = nth(&run, DAG_CAR_BLOCK, 19);
  assert_int_equal(last->offset + last->length, 20819);
  run_free(&run);
  free(car);
}

/* A counting allocator: the largest request, to show a limit is checked
 * before anything is allocated for it. */
static size_t big_req;
static void *cnt_malloc(size_t n, void *d) {
  (void)d;
  big_req = n > big_req ? n : big_req;
  return malloc(n);
}
static void cnt_free(void *p, void *d) {
  (void)d;
  free(p);
}
static void *cnt_calloc(size_t n, size_t s, void *d) {
  (void)d;
  return calloc(n, s);
}
static void *cnt_realloc(void *p, size_t n, void *d) {
  (void)d;
  big_req = n > big_req ? n : big_req;
  return realloc(p, n);
}
static const tr_mem_t cnt_mem = {cnt_malloc, cnt_free, cnt_calloc, cnt_realloc,
                                 NULL};

static void test_rejected_samples(void **state) {
  (void)state;
  static const struct {
    const char *name;
    int rc;
    bool at_feed;
  } cases[] = {
      {"sample-rootless-v42.car", TR_ECAR, true},     /* {"version": 42} */
      {"sample-corrupt-pragma.car", TR_ETRUNC, false}, /* 18 of 15 bytes */
      {"badheaderlength.car", TR_ETOOBIG, true},
      {"badsectionlength.car", TR_ETOOBIG, true},
  };
  for (size_t k = 0; k < TR_ARRAY_LEN(cases); k++) {
    size_t len;
    uint8_t *car = load(cases[k].name, &len);
    big_req = 0;
    tr_mem_set(&cnt_mem);
    run_t run = feed_whole(car, len);
    tr_mem_set(NULL);
    if (run.rc != cases[k].rc)
      fail_msg("%s: %s, want %s", cases[k].name, tr_errname(run.rc),
               tr_errname(cases[k].rc));
    assert_int_equal(run.feed_error, cases[k].at_feed);
    /* The huge lengths were refused before any buffer was sized for them
     * (badsectionlength.car's 17-byte header took one 4 KiB buffer). */
    assert_true(big_req <= 4096);
    assert_int_equal(run.nblocks, 0);
    run_free(&run);
    free(car);
  }
}

/* --------------------------------------------------------------- writer */

/* Rewrite a CAR from its events with the writer; must give the same bytes. */
static size_t rewrite(const run_t *run, uint8_t *out, size_t cap) {
  dag_cid_t roots[8];
  size_t nroots = run->nroots;
  assert_true(nroots <= 8);
  for (size_t i = 0; i < nroots; i++)
    roots[i] = nth(run, DAG_CAR_ROOT, i)->cid;
  int n = dag_car_header_v1(roots, nroots, out, cap);
  assert_true(n > 0);
  assert_int_equal((size_t)n, dag_car_header_v1_size(roots, nroots));
  size_t p = (size_t)n;
  for (size_t i = 0; i < run->nblocks; i++) {
    const rec_t *r = nth(run, DAG_CAR_BLOCK, i);
    n = dag_car_section_head(&r->cid, r->block_len, out + p, cap - p);
    assert_true(n > 0);
    assert_int_equal((uint64_t)n, r->block_offset - r->offset);
    p += (size_t)n;
    memcpy(out + p, r->block, r->block_len);
    p += r->block_len;
  }
  return p;
}

static void test_writer_reproduces_fixtures(void **state) {
  (void)state;
  static const struct {
    const char *name;
    size_t off, size; /* the CARv1 inside; size 0 = all */
  } cases[] = {{"carv1-basic.car", 0, 0},
               {"carv2-basic.car", 51, 448},
               {"sample-v1.car", 0, 0},
               {"sample-wrapped-v2.car", 51, 479907}};
  for (size_t k = 0; k < TR_ARRAY_LEN(cases); k++) {
    size_t len;
    uint8_t *car = load(cases[k].name, &len);
    run_t run = feed_whole(car, len);
    assert_int_equal(run.rc, 0);
    uint8_t *out = malloc(len);
    size_t n = rewrite(&run, out, len);
    size_t want = cases[k].size ? cases[k].size : len;
    assert_int_equal(n, want);
    assert_memory_equal(out, car + cases[k].off, want);
    run_free(&run);
    free(out);
    free(car);
  }
}

static void test_writer_errors(void **state) {
  (void)state;
  dag_cid_t roots[2] = {
      cid_of("bafyreihyrpefhacm6kkp4ql6j6udakdit7g3dmkzfriqfykhjw6cad5lrm"),
      cid_of("QmNX6Tffavsya4xgBi2VJQnSuqy9GsxongxZZ9uZBqp16d")};
  uint8_t out[256];
  size_t need = dag_car_header_v1_size(roots, 2);
  for (size_t cap = 0; cap < need; cap++)
    assert_int_equal(dag_car_header_v1(roots, 2, out, cap), TR_EBUFSIZE);
  assert_int_equal(dag_car_header_v1(roots, 2, out, need), (int)need);
  /* No roots: {"roots": [], "version": 1}, as js-car writes it. */
  static const uint8_t empty[] = {0x11, 0xa2, 0x65, 'r', 'o', 'o', 't', 's',
                                  0x80, 0x67, 'v',  'e', 'r', 's', 'i', 'o',
                                  'n',  0x01};
  assert_int_equal(dag_car_header_v1(NULL, 0, out, sizeof out), sizeof empty);
  assert_memory_equal(out, empty, sizeof empty);
  /* Section heads: exact size, too small, block too big. */
  int n = dag_car_section_head(&roots[0], 55, out, sizeof out);
  assert_int_equal(n, 1 + 36);
  assert_int_equal(out[0], 91); /* 36 + 55 */
  assert_memory_equal(out + 1, roots[0].bytes, 36);
  assert_int_equal(dag_car_section_head(&roots[0], 55, out, 36), TR_EBUFSIZE);
  assert_int_equal(
      dag_car_section_head(&roots[0], DAG_CAR_MAX_BLOCK + 1, out, sizeof out),
      TR_ETOOBIG);
  n = dag_car_section_head(&roots[0], DAG_CAR_MAX_BLOCK, out, sizeof out);
  assert_int_equal(n, (int)dag_varint_size(DAG_CAR_MAX_BLOCK + 36) + 36);
}

/* ------------------------------------------------------------ round trip */

/* A CAR built with the writer.  The blocks cover the varint boundary at
 * 128, an empty block, an identity CID, a CIDv0 and, when big, a block of
 * exactly DAG_CAR_MAX_BLOCK bytes. */
typedef struct built {
  uint8_t *car;
  size_t len;
  dag_cid_t cids[8];
  size_t sizes[8];
  size_t n;
} built_t;

static built_t build_car(bool big, size_t nroots) {
  static const size_t small[] = {0, 1, 91, 92, 1000, 5000, 70000};
  built_t b = {0};
  size_t cap = 1 << 16;
  for (size_t i = 0; i < TR_ARRAY_LEN(small); i++)
    cap += small[i] + 64;
  if (big)
    cap += DAG_CAR_MAX_BLOCK + 64;
  b.car = malloc(cap);
  uint8_t *data = malloc(big ? DAG_CAR_MAX_BLOCK : 70000);
  b.n = TR_ARRAY_LEN(small) + (big ? 1 : 0);
  for (size_t i = 0; i < b.n; i++) {
    b.sizes[i] = i < TR_ARRAY_LEN(small) ? small[i] : DAG_CAR_MAX_BLOCK;
    int version = i == 3 ? 0 : 1;
    uint64_t codec = i == 3 ? DAG_CODEC_DAG_PB : DAG_CODEC_RAW;
    uint64_t mh = i == 1 ? DAG_MH_IDENTITY : DAG_MH_SHA2_256;
    for (size_t k = 0; k < b.sizes[i]; k++)
      data[k] = (uint8_t)(k * 31 + i);
    assert_int_equal(
        dag_cid_sum(&b.cids[i], version, codec, mh, data, b.sizes[i]), 0);
  }
  int n = dag_car_header_v1(b.cids, nroots, b.car, cap);
  assert_true(n > 0);
  size_t p = (size_t)n;
  for (size_t i = 0; i < b.n; i++) {
    n = dag_car_section_head(&b.cids[i], b.sizes[i], b.car + p, cap - p);
    assert_true(n > 0);
    p += (size_t)n;
    for (size_t k = 0; k < b.sizes[i]; k++)
      b.car[p + k] = (uint8_t)(k * 31 + i);
    p += b.sizes[i];
  }
  b.len = p;
  free(data);
  return b;
}

static void check_built(const built_t *b, const run_t *run, size_t nroots) {
  assert_int_equal(run->rc, 0);
  assert_int_equal(run->nroots, nroots);
  for (size_t i = 0; i < nroots; i++)
    assert_true(dag_cid_equal(&nth(run, DAG_CAR_ROOT, i)->cid, &b->cids[i]));
  assert_int_equal(run->nblocks, b->n);
  for (size_t i = 0; i < b->n; i++) {
    const rec_t *r = nth(run, DAG_CAR_BLOCK, i);
    assert_true(dag_cid_equal(&r->cid, &b->cids[i]));
    assert_int_equal(r->block_len, b->sizes[i]);
    assert_int_equal(dag_cid_verify(&r->cid, r->block, r->block_len), 0);
  }
}

static void test_roundtrip(void **state) {
  (void)state;
  for (size_t nroots = 0; nroots <= 2; nroots += 2) {
    built_t b = build_car(true, nroots);
    run_t whole = feed_whole(b.car, b.len);
    check_built(&b, &whole, nroots);
    run_t bytes = feed_all(b.car, b.len, 1, 0, 0, NULL);
    assert_same_events(&whole, &bytes);
    run_t rnd = feed_all(b.car, b.len, 0, 7, 5000, NULL);
    assert_same_events(&whole, &rnd);
    /* Split into 1-byte pieces, the sections were buffered, not viewed. */
    assert_false(nth(&bytes, DAG_CAR_BLOCK, 2)->block_in_input);
    run_free(&whole);
    run_free(&bytes);
    run_free(&rnd);
    free(b.car);
  }
}

/* ------------------------------------------------------- split feeding */

static void test_split_equivalence(void **state) {
  (void)state;
  static const char *names[] = {
      "carv1-basic.car",         "carv2-basic.car",
      "sample-unixfs-v2.car",    "sample-rw-bs-v2.car",
      "sample-v1.car",           "sample-wrapped-v2.car",
      "sample-v1-with-zero-len-section2.car",
      "sample-rootless-v42.car", "sample-corrupt-pragma.car",
      "badheaderlength.car",     "badsectionlength.car"};
  for (size_t k = 0; k < TR_ARRAY_LEN(names); k++) {
    size_t len;
    uint8_t *car = load(names[k], &len);
    run_t whole = feed_whole(car, len);
    run_t bytes = feed_all(car, len, 1, 0, 0, NULL);
    assert_same_events(&whole, &bytes);
    run_free(&bytes);
    static const size_t chunks[] = {2, 3, 7, 64, 4096};
    for (size_t c = 0; c < TR_ARRAY_LEN(chunks); c++) {
      run_t r = feed_all(car, len, chunks[c], 0, 0, NULL);
      assert_same_events(&whole, &r);
      run_free(&r);
    }
    for (unsigned seed = 1; seed <= 4; seed++) {
      run_t r = feed_all(car, len, 0, seed, seed * 40, NULL);
      assert_same_events(&whole, &r);
      run_free(&r);
    }
    run_free(&whole);
    free(car);
  }
}

/* --------------------------------------------------------- truncation */

/* Cut a CAR at every offset.  Feeding never fails; finish is clean exactly
 * at the ends of the header and of each section (CARv1) or from the end of
 * the payload on (CARv2), and TR_ETRUNC everywhere else.  The events seen
 * are a prefix of the full run's. */
static void truncate_everywhere(const uint8_t *car, size_t len) {
  run_t full = feed_whole(car, len);
  assert_int_equal(full.rc, 0);
  const dag_car_header_t *h = &nth(&full, DAG_CAR_HEADER, 0)->header;
  bool v2 = h->version == 2;
  for (size_t k = 0; k < len; k++) {
    run_t r = feed_all(car, k, 0, (unsigned)k, 16, NULL);
    assert_false(r.feed_error);
    bool clean;
    size_t nb = 0;
    for (size_t i = 0; i < full.nblocks; i++) {
      const rec_t *b = nth(&full, DAG_CAR_BLOCK, i);
      nb += b->offset + b->length <= k;
    }
    if (v2) {
      clean = k >= h->data_offset + h->data_size;
    } else {
      clean = full.nblocks ? k == nth(&full, DAG_CAR_BLOCK, 0)->offset : false;
      for (size_t i = 0; i < full.nblocks; i++) {
        const rec_t *b = nth(&full, DAG_CAR_BLOCK, i);
        clean = clean || k == b->offset + b->length;
      }
    }
    if (r.rc != (clean ? 0 : TR_ETRUNC))
      fail_msg("cut at %zu: %s", k, tr_errname(r.rc));
    assert_int_equal(r.nblocks, nb);
    for (size_t i = 0; i < r.n; i++) {
      assert_int_equal(r.ev[i].type, full.ev[i].type);
      assert_int_equal(r.ev[i].offset, full.ev[i].offset);
    }
    run_free(&r);
  }
  run_free(&full);
}

static void test_truncated_everywhere(void **state) {
  (void)state;
  static const char *names[] = {"carv1-basic.car", "carv2-basic.car",
                                "sample-unixfs-v2.car"};
  for (size_t k = 0; k < TR_ARRAY_LEN(names); k++) {
    size_t len;
    uint8_t *car = load(names[k], &len);
    truncate_everywhere(car, len);
    free(car);
  }
  /* The writer's CAR through its first five sections (CIDv0, identity,
   * an empty block, two-byte section lengths). */
  built_t b = build_car(false, 2);
  run_t whole = feed_whole(b.car, b.len);
  const rec_t *fifth = nth(&whole, DAG_CAR_BLOCK, 4);
  truncate_everywhere(b.car, (size_t)(fifth->offset + fifth->length));
  run_free(&whole);
  free(b.car);
}

/* ----------------------------------------------------- malformed input */

/* Hex to bytes, spaces ignored. */
static size_t hexs(const char *h, uint8_t *out, size_t cap) {
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
static run_t run_hex(const char *hex, const dag_car_opts_t *opts) {
  uint8_t buf[512];
  size_t n = hexs(hex, buf, sizeof buf);
  run_t a = feed_all(buf, n, n ? n : 1, 0, 0, opts);
  run_t b = feed_all(buf, n, 1, 0, 0, opts);
  assert_same_events(&a, &b);
  run_free(&b);
  return a;
}

#define R " 65 726f6f7473 "               /* "roots" */
#define V " 67 76657273696f6e "           /* "version" */
#define LINK " d82a 45 00 01550000 "      /* identity raw CID, empty */
#define SHA "1220 6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"

static void test_bad_headers(void **state) {
  (void)state;
  static const struct {
    const char *hdr; /* header block, without its length */
    int rc;
    size_t nroots;
  } cases[] = {
      {"a2" R "80" V "01", 0, 0},                    /* no roots: accepted */
      {"a2" R "81" LINK V "01", 0, 1},
      {"a2" V "01" R "82" LINK LINK, 0, 2},          /* key order: either */
      {"a2" R "81 d82a 58 23 00" SHA V "01", 0, 1},  /* CIDv0 root */
      {"81 01", TR_ECAR, 0},                         /* not a map */
      {"01", TR_ECAR, 0},
      {"a2" R "80" V "03", TR_ECAR, 0},              /* version 3 */
      {"a2" R "80" V "02", TR_ECAR, 0},              /* 2, not the pragma */
      {"a1" V "01", TR_ECAR, 0},                     /* roots missing */
      {"a1" R "80", TR_ECAR, 0},                     /* version missing */
      {"a2" R "81 01" V "01", TR_ECAR, 0},           /* roots not CIDs */
      {"a2" R "81 45 0001550000" V "01", TR_ECAR, 0},   /* untagged */
      {"a2" R "81 d82b 45 0001550000" V "01", TR_ECAR, 0}, /* tag 43 */
      {"a2" R "81 d82a 44 01550000" V "01", TR_ECAR, 0},   /* no 0x00 */
      {"a2" R "81 d82a 46 0001550000 00" V "01", TR_ECAR, 0}, /* trailing */
      {"a2" R "81 d82a 45 0002550000" V "01", TR_ECAR, 0}, /* CID version 2 */
      {"a2" R "81 d82a 41 00" V "01", TR_ECAR, 0},        /* empty CID */
      {"a2" R "01" V "01", TR_ECAR, 0},              /* roots not a list */
      {"a2" R "9b 00ffffffffffffff" V "01", TR_ECAR, 0}, /* huge count */
      {"a3" R "80" V "01 61 78 01", TR_ECAR, 0},     /* a third key */
      {"a2" R "80 63 666f6f 01", TR_ECAR, 0},        /* unknown key */
      {"a2" V "01" V "01", TR_ECAR, 0},              /* duplicate key */
      {"a2" R "80" V "18 01", TR_ECAR, 0},           /* non-minimal int */
      {"a2 78 05 726f6f7473 80" V "01", TR_ECAR, 0}, /* non-minimal key */
      {"a2" R "81 d82a 58 05 0001550000" V "01", TR_ECAR, 0},
      {"a2" R "80" V "20", TR_ECAR, 0},              /* version -1 */
      {"a2" R "80" V "61 31", TR_ECAR, 0},           /* version "1" */
      {"a2" R "80" V "f9 3c00", TR_ECAR, 0},         /* version 1.0 */
      {"a2" R "80" V "01 00", TR_ECAR, 0},           /* trailing bytes */
      {"bf" R "80" V "01 ff", TR_ECAR, 0},           /* indefinite map */
      {"a2" R "9f ff" V "01", TR_ECAR, 0},           /* indefinite list */
      {"a2" R "80 67 76657273696f", TR_ECAR, 0},     /* cut inside */
  };
  for (size_t k = 0; k < TR_ARRAY_LEN(cases); k++) {
    uint8_t body[256];
    size_t n = hexs(cases[k].hdr, body, sizeof body);
    char hex[600];
    int w = snprintf(hex, sizeof hex, "%02zx", n);
    for (size_t i = 0; i < n; i++)
      w += snprintf(hex + w, sizeof hex - (size_t)w, "%02x", body[i]);
    run_t r = run_hex(hex, NULL);
    if (r.rc != cases[k].rc)
      fail_msg("case %zu (%s): %s", k, cases[k].hdr, tr_errname(r.rc));
    if (r.rc == 0) {
      assert_int_equal(r.n, 1 + cases[k].nroots);
      assert_int_equal(nth(&r, DAG_CAR_HEADER, 0)->header.nroots,
                       cases[k].nroots);
    } else {
      assert_int_equal(r.n, 0); /* nothing announced from a bad header */
    }
    run_free(&r);
  }
  /* A zero header length. */
  run_t r = run_hex("00", NULL);
  assert_int_equal(r.rc, TR_ECAR);
  run_free(&r);
  /* The header limit, checked on the varint. */
  dag_car_opts_t o = {.max_header = 17};
  r = run_hex("11 a2" R "80" V "01", &o);
  assert_int_equal(r.rc, 0);
  run_free(&r);
  o.max_header = 16;
  r = run_hex("11", &o);
  assert_int_equal(r.rc, TR_ETOOBIG);
  run_free(&r);
}

#define HDR0 "11 a2" R "80" V "01" /* a CARv1 header with no roots */

static void test_bad_sections(void **state) {
  (void)state;
  static const struct {
    const char *sec;
    int rc;
  } cases[] = {
      {"04 01550000", 0},                     /* empty identity block */
      {"06 01550000 ab cd", 0},
      {"22" SHA, 0},                          /* CIDv0, empty block */
      {"00", TR_ECAR},                        /* zero length */
      {"80 00", TR_EVARINT},                  /* non-minimal length */
      {"ffffffffffffffff ff 01", TR_EVARINT}, /* 10-byte varint */
      {"05 02550000 00", TR_ECID},            /* CID version 2 */
      {"03 015512", TR_ECID},                 /* CID longer than section */
      {"05 0155 1201 00", TR_ECID},           /* sha2-256 of 1 byte */
      {"04 01550000 04 01550001", TR_ECID},   /* digest runs past */
      {"06 01550000", TR_ETRUNC},             /* block cut short */
      {"86", TR_ETRUNC},                      /* varint cut short */
  };
  for (size_t k = 0; k < TR_ARRAY_LEN(cases); k++) {
    char hex[300];
    snprintf(hex, sizeof hex, "%s %s", HDR0, cases[k].sec);
    run_t r = run_hex(hex, NULL);
    if (r.rc != cases[k].rc)
      fail_msg("case %zu (%s): %s", k, cases[k].sec, tr_errname(r.rc));
    run_free(&r);
  }
  /* The section limit: at the limit the varint is accepted (the reader
   * then waits for the bytes), one over is refused before allocating. */
  uint8_t v[16];
  char hex[64];
  size_t n = dag_varint_put(v, DAG_CAR_MAX_SECTION);
  int w = snprintf(hex, sizeof hex, "%s", HDR0 " ");
  for (size_t i = 0; i < n; i++)
    w += snprintf(hex + w, sizeof hex - (size_t)w, "%02x", v[i]);
  run_t r = run_hex(hex, NULL);
  assert_int_equal(r.rc, TR_ETRUNC);
  run_free(&r);
  n = dag_varint_put(v, DAG_CAR_MAX_SECTION + 1);
  w = snprintf(hex, sizeof hex, "%s", HDR0 " ");
  for (size_t i = 0; i < n; i++)
    w += snprintf(hex + w, sizeof hex - (size_t)w, "%02x", v[i]);
  big_req = 0;
  tr_mem_set(&cnt_mem);
  r = run_hex(hex, NULL);
  tr_mem_set(NULL);
  assert_int_equal(r.rc, TR_ETOOBIG);
  assert_true(big_req <= 4096);
  run_free(&r);
  /* A caller's lower limit. */
  dag_car_opts_t o = {.max_section = 6};
  r = run_hex(HDR0 "06 01550000 abcd", &o);
  assert_int_equal(r.rc, 0);
  run_free(&r);
  r = run_hex(HDR0 "07 01550000 abcdef", &o);
  assert_int_equal(r.rc, TR_ETOOBIG);
  run_free(&r);
}

/* A CARv2 around HDR0 + two sections (5 and 14 bytes): 18 + 19 = 37 bytes
 * of payload, with the given header fields and padding. */
static run_t run_v2(uint64_t off, uint64_t size, uint64_t idx, uint8_t ch0,
                    const char *inner, const char *tail, size_t cut) {
  uint8_t buf[512];
  size_t n = hexs("0aa16776657273696f6e02", buf, sizeof buf);
  uint8_t h[40] = {ch0};
  for (int i = 0; i < 8; i++) {
    h[16 + i] = (uint8_t)(off >> (8 * i));
    h[24 + i] = (uint8_t)(size >> (8 * i));
    h[32 + i] = (uint8_t)(idx >> (8 * i));
  }
  memcpy(buf + n, h, 40);
  n += 40;
  while (n < off && n < 100)
    buf[n++] = 0xee; /* padding */
  n += hexs(inner ? inner : HDR0 "04 01550000 0d 01550000 000102030405060708",
            buf + n, sizeof buf - n);
  n += hexs(tail, buf + n, sizeof buf - n);
  if (cut)
    n = cut;
  run_t a = feed_all(buf, n, n, 0, 0, NULL);
  run_t b = feed_all(buf, n, 1, 0, 0, NULL);
  assert_same_events(&a, &b);
  run_free(&b);
  return a;
}

static void test_v2_headers(void **state) {
  (void)state;
  run_t r = run_v2(51, 37, 0, 0, NULL, "", 0);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.nblocks, 2);
  assert_int_equal(r.ev[r.n - 1].type, DAG_CAR_END);
  assert_int_equal(nth(&r, DAG_CAR_BLOCK, 1)->offset, 51 + 18 + 5);
  run_free(&r);
  /* Padding before the payload, an index after it, fully-indexed. */
  r = run_v2(60, 37, 101, 0x80, NULL, "0104 ffffffff", 0);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.nblocks, 2);
  assert_true(nth(&r, DAG_CAR_HEADER, 0)->header.fully_indexed);
  assert_int_equal(nth(&r, DAG_CAR_BLOCK, 0)->offset, 60 + 18);
  run_free(&r);
  static const struct {
    uint64_t off, size;
    const char *inner;
    size_t cut;
    int rc;
  } cases[] = {
      {50, 37, NULL, 0, TR_ECAR},            /* offset inside the header */
      {51, 0, NULL, 0, TR_ECAR},             /* no payload */
      {1ull << 63, 37, NULL, 0, TR_ECAR},    /* beyond int64 */
      {51, UINT64_MAX - 40, NULL, 0, TR_ECAR}, /* range overflows */
      {51, 34, NULL, 0, TR_ECAR},            /* ends inside a section */
      {51, 10, NULL, 0, TR_ECAR},            /* ends inside the header */
      {51, 18, NULL, 0, 0},                  /* just the header: valid */
      {51, 37, "0aa16776657273696f6e02", 0, TR_ECAR}, /* pragma again */
      {51, 37, NULL, 30, TR_ETRUNC},         /* input ends in the v2 header */
      {60, 37, NULL, 55, TR_ETRUNC},         /* input ends in padding */
      {51, 45, NULL, 0, TR_ETRUNC},          /* payload shorter than said */
  };
  for (size_t k = 0; k < TR_ARRAY_LEN(cases); k++) {
    r = run_v2(cases[k].off, cases[k].size, 0, 0, cases[k].inner, "",
               cases[k].cut);
    if (r.rc != cases[k].rc)
      fail_msg("case %zu: %s", k, tr_errname(r.rc));
    run_free(&r);
  }
  /* The payload ends inside a section's two-byte length varint. */
  r = run_v2(51, 19, 0, 0, HDR0 "8001", "", 0);
  assert_int_equal(r.rc, TR_ECAR);
  run_free(&r);
}

/* --------------------------------------------------- allocation failures */

static void test_alloc_failure_sweep(void **state) {
  (void)state;
  built_t b = build_car(false, 2);
  run_t ref = feed_all(b.car, b.len, 997, 0, 0, NULL);
  check_built(&b, &ref, 2);
  int nomem = 0;
  for (long n = 0; n < 100; n++) {
    fm_start(n);
    run_t r = feed_all(b.car, b.len, 997, 0, 0, NULL);
    fm_reset();
    if (r.rc == -ENOMEM) {
      assert_true(r.feed_error);
      nomem++;
      run_free(&r);
      continue;
    }
    assert_same_events(&ref, &r);
    run_free(&r);
    break;
  }
  /* The header buffer, then growth for the 5000- and 70000-byte blocks. */
  assert_true(nomem >= 3);
  run_free(&ref);
  free(b.car);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spec_carv1_basic),
      cmocka_unit_test(test_spec_carv2_basic),
      cmocka_unit_test(test_sample_v1),
      cmocka_unit_test(test_sample_wrapped_v2),
      cmocka_unit_test(test_small_v2_samples),
      cmocka_unit_test(test_zero_length_section),
      cmocka_unit_test(test_rejected_samples),
      cmocka_unit_test(test_writer_reproduces_fixtures),
      cmocka_unit_test(test_writer_errors),
      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_split_equivalence),
      cmocka_unit_test(test_truncated_everywhere),
      cmocka_unit_test(test_bad_headers),
      cmocka_unit_test(test_bad_sections),
      cmocka_unit_test(test_v2_headers),
      cmocka_unit_test(test_alloc_failure_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

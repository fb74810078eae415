/*
 * test_car.c — the CAR codec (dag/car.h) against the published fixtures:
 * the CARv1/CARv2 spec fixtures with their JSON descriptions (every root,
 * CID, offset and length), go-car/js-car's samples with js-car's CID lists
 * and go-car's `car inspect` figures; then the writer byte for byte against
 * those files, round trips, split feeding, truncation at every offset and
 * an allocation-failure sweep.  Malformed input: test_car_errors.c.
 *
 * Run from the repository root: fixtures are read from tests/vectors/car/.
 * Every piece of input is fed from a heap copy of exactly its length, so
 * ASan (make SAN=1) catches a read past what the reader was given or a view
 * used after the call that made it stale.
 */
#include "car_test.h"

#include <jansson.h>

#include "../blockstore/bs.h"

/* dag/ cannot include the blockstore, so the cap is restated there. */
_Static_assert(DAG_CAR_MAX_BLOCK == BS_MAX_BLOCK,
               "the CAR reader must accept exactly what the store can hold");

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
    /* Every block hashes to its CID: identity and blake2b-256. */
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

/* The header cap, from both sides: the most roots that fit in
 * DAG_CAR_MAX_HEADER are written and read back, one more is refused by the
 * writer.  Roots with 128-byte identity digests take 138 bytes each. */
static void test_header_at_cap(void **state) {
  (void)state;
  uint8_t digest[DAG_MH_IDENTITY_MAX];
  memset(digest, 0x5a, sizeof digest);
  dag_cid_t one;
  assert_int_equal(dag_cid_sum(&one, 1, DAG_CODEC_RAW, DAG_MH_IDENTITY,
                               digest, sizeof digest),
                   0);
  assert_int_equal(one.len, 133);
  size_t fit = DAG_CAR_MAX_HEADER / 138;
  dag_cid_t *roots = malloc((fit + 8) * sizeof *roots);
  assert_non_null(roots);
  for (size_t i = 0; i < fit + 8; i++)
    roots[i] = one;
  /* The exact boundary (4 = the length varint of a ~4 MiB header). */
  while (dag_car_header_v1_size(roots, fit + 1) - 4 <= DAG_CAR_MAX_HEADER)
    fit++;
  assert_true(fit + 1 < DAG_CAR_MAX_HEADER / 138 + 8);
  size_t cap = dag_car_header_v1_size(roots, fit + 1);
  uint8_t *out = malloc(cap);
  assert_int_equal(dag_car_header_v1(roots, fit + 1, out, cap), TR_ETOOBIG);
  int n = dag_car_header_v1(roots, fit, out, cap);
  assert_int_equal((size_t)n, dag_car_header_v1_size(roots, fit));
  run_t r = feed_all(out, (size_t)n, 65536, 0, 0, NULL);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.nroots, fit);
  assert_true(dag_cid_equal(&nth(&r, DAG_CAR_ROOT, fit - 1)->cid, &one));
  run_free(&r);
  free(out);
  free(roots);
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
      cmocka_unit_test(test_writer_reproduces_fixtures),
      cmocka_unit_test(test_writer_errors),
      cmocka_unit_test(test_header_at_cap),
      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_split_equivalence),
      cmocka_unit_test(test_truncated_everywhere),
      cmocka_unit_test(test_alloc_failure_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz_car.c — libFuzzer target for the CAR reader (dag/car.h).
 *
 * The first byte picks the reader flags and a split seed; the rest is the
 * CAR.  It is parsed twice: fed whole, and fed in pseudo-random pieces (each
 * a heap copy of exactly its size, so ASan sees any over-read or a view used
 * after its call).  Both runs must produce the same events and the same
 * result, and every event must be consistent with the bytes it came from:
 * a section re-encoded with dag_car_section_head() plus its block must equal
 * the input at its offset.  Any difference aborts.
 *
 * Build: make build-fuzz/fuzz_car (clang).  Seeds: tests/fuzz/corpus/fuzz_car.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../dag/car.h"

typedef struct outcome {
  int rc;
  uint64_t hash; /* FNV-1a over every event's fields and bytes */
  uint64_t nevents;
} outcome_t;

static void mix(uint64_t *h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    *h = (*h ^ b[i]) * 0x100000001b3ull;
}

static void mix64(uint64_t *h, uint64_t v) { mix(h, &v, sizeof v); }

/* Check one event against the input and fold it into the hash. */
static void check_event(outcome_t *o, int type, const dag_car_event_t *ev,
                        const uint8_t *car, size_t len, int *last) {
  /* HEADER, then ROOTs, then BLOCKs, then at most one END. */
  if (type < *last && !(type == DAG_CAR_BLOCK && *last == DAG_CAR_BLOCK))
    abort();
  if (type == DAG_CAR_HEADER && *last != 0)
    abort();
  if (type == DAG_CAR_END && *last == DAG_CAR_END)
    abort();
  *last = type;
  o->nevents++;
  mix64(&o->hash, (uint64_t)type);
  if (type == DAG_CAR_HEADER) {
    const dag_car_header_t *h = &ev->header;
    if (h->version != 1 && h->version != 2)
      abort();
    mix64(&o->hash, h->version);
    mix64(&o->hash, h->nroots);
    mix64(&o->hash, h->data_offset);
    mix64(&o->hash, h->data_size);
  }
  if (type == DAG_CAR_ROOT || type == DAG_CAR_BLOCK) {
    mix64(&o->hash, ev->index);
    mix(&o->hash, ev->cid.bytes, ev->cid.len);
  }
  if (type != DAG_CAR_BLOCK)
    return;
  mix64(&o->hash, ev->offset);
  mix64(&o->hash, ev->length);
  mix(&o->hash, ev->block, ev->block_len);
  /* The section lies in the input exactly as the writer would encode it. */
  if (ev->offset > len || ev->length > len - ev->offset ||
      ev->block_offset + ev->block_len != ev->offset + ev->length)
    abort();
  uint8_t head[DAG_CAR_SECTION_HEAD_MAX];
  int n = dag_car_section_head(&ev->cid, ev->block_len, head, sizeof head);
  if (n < 0 || (uint64_t)n != ev->block_offset - ev->offset ||
      memcmp(head, car + ev->offset, (size_t)n) ||
      (ev->block_len &&
       memcmp(ev->block, car + ev->block_offset, ev->block_len)))
    abort();
}

static outcome_t run(const uint8_t *car, size_t len, unsigned flags,
                     uint32_t seed) {
  outcome_t o = {0, 0xcbf29ce484222325ull, 0};
  dag_car_opts_t opts = {.flags = flags};
  dag_car_reader_t r;
  dag_car_reader_init(&r, &opts);
  int last = 0;
  size_t off = 0;
  do {
    size_t n = len - off;
    if (seed) {
      seed = seed * 1103515245u + 12345u;
      size_t piece = 1 + (seed >> 16) % 300;
      n = n < piece ? n : piece;
    }
    uint8_t *p = malloc(n ? n : 1);
    if (!p)
      abort();
    if (n)
      memcpy(p, car + off, n);
    size_t i = 0;
    for (;;) {
      size_t used;
      dag_car_event_t ev;
      int rc = dag_car_feed(&r, p + i, n - i, &used, &ev);
      if (used > n - i)
        abort();
      if (rc < 0) {
        o.rc = rc;
        free(p);
        dag_car_reader_free(&r);
        return o;
      }
      i += used;
      if (rc == DAG_CAR_NEED_MORE) {
        if (i != n)
          abort();
        break;
      }
      if (rc == DAG_CAR_ROOT && used)
        abort();
      check_event(&o, rc, &ev, car, len, &last);
    }
    free(p);
    off += n;
  } while (off < len);
  for (;;) {
    size_t used;
    dag_car_event_t ev;
    int rc = dag_car_feed(&r, NULL, 0, &used, &ev);
    if (rc < 0) {
      o.rc = rc;
      break;
    }
    if (rc == DAG_CAR_NEED_MORE) {
      o.rc = dag_car_finish(&r);
      break;
    }
    check_event(&o, rc, &ev, car, len, &last);
  }
  dag_car_reader_free(&r);
  return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  unsigned flags = (data[0] & 1) ? DAG_CAR_ZERO_LEN_EOF : 0;
  uint32_t seed = (uint32_t)data[0] * 2654435761u | 1u;
  const uint8_t *car = data + 1;
  size_t len = size - 1;
  outcome_t whole = run(car, len, flags, 0);
  outcome_t split = run(car, len, flags, seed);
  if (whole.rc != split.rc || whole.hash != split.hash ||
      whole.nevents != split.nevents)
    abort();
  return 0;
}

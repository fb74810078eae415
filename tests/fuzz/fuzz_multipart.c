/*
 * fuzz_multipart.c — libFuzzer target for the streaming multipart parser
 * (gateway/multipart.h), which reads untrusted upload bodies on the API.
 *
 * The first byte picks a boundary and a split seed; the rest is the body.
 * It is parsed twice: fed whole, and fed in pseudo-random pieces, each a
 * heap copy of exactly its size so ASan sees an over-read or a view used
 * after its call.  Both runs must give the same transcript (part headers,
 * data bytes, part ends, the end) and the same result; event order and the
 * `used` counts are checked on every call.  Any difference aborts.  Each
 * part's form name is also read for add's metadata (rpc_fmeta_form, the
 * Go url.ParseQuery and strconv rules): the nanoseconds stay below 1e9 and
 * what it read, named again the way trove's client names a part, reads
 * back the same (but for a mode without an mtime, which no name can say).
 *
 * Build: make build-fuzz/fuzz_multipart (clang).
 * Seeds: tests/fuzz/corpus/fuzz_multipart.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../rpc/multipart.h"
#include "../../rpc/opts.h"

static void check_form(const char *name) {
  rpc_fmeta_t m, back;
  rpc_fmeta_form(name, false, &m);
  if (m.nsec >= 1000000000u)
    abort();
  char again[96];
  rpc_fmeta_form_name(&m, again, sizeof again);
  rpc_fmeta_form(again, false, &back);
  /* A mode without an mtime cannot be named: any query reads as an mtime
   * of 0 (time.Unix(0, 0)), in Go's reader as here. */
  bool named = m.has_mtime || !m.gomode;
  if (back.gomode != m.gomode ||
      (named && (back.has_mtime != m.has_mtime || back.sec != m.sec ||
                 back.nsec != m.nsec)))
    abort();
}

typedef struct outcome {
  int rc;
  uint64_t hash;
  uint64_t n;
} outcome_t;

static void mix(uint64_t *h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    *h = (*h ^ b[i]) * 0x100000001b3ull;
}

static void mix_str(uint64_t *h, const char *s) {
  if (s)
    mix(h, s, strlen(s) + 1);
  else
    mix(h, "\xff", 1);
}

static const char *const cts[4] = {
    "multipart/form-data; boundary=q",
    "multipart/form-data; boundary=\"--b-\"",
    "multipart/mixed; boundary=abcabd",
    "multipart/form-data; boundary=-----------------------------XyZ",
};

static outcome_t run(const char *ct, const uint8_t *in, size_t len,
                     uint32_t seed) {
  outcome_t o = {0, 1469598103934665603ull, 0};
  rpc_mp_t p;
  if (rpc_mp_init(&p, ct, 512))
    abort();
  size_t off = 0;
  int last = 0, rc = 0;
  do {
    size_t n = len - off;
    if (seed) {
      seed = seed * 1103515245u + 12345u;
      size_t cap = 1 + (seed >> 16) % 13;
      if (n > cap)
        n = cap;
    }
    uint8_t *piece = malloc(n ? n : 1);
    memcpy(piece, in + off, n);
    size_t pos = 0;
    for (;;) {
      rpc_mp_event_t ev;
      size_t used;
      rc = rpc_mp_feed(&p, piece + pos, n - pos, &used, &ev);
      if (used > n - pos)
        abort();
      pos += used;
      if (rc == 0 && pos != n)
        abort(); /* NEED_MORE means everything was taken */
      if (rc <= 0)
        break;
      o.n++;
      if (rc != RPC_MP_DATA)
        mix(&o.hash, &rc, sizeof rc);
      switch (rc) {
      case RPC_MP_PART:
        if (last && last != RPC_MP_PART_END)
          abort();
        mix_str(&o.hash, ev.part.name);
        check_form(ev.part.name);
        mix_str(&o.hash, ev.part.filename);
        mix_str(&o.hash, ev.part.content_type);
        mix_str(&o.hash, ev.part.abspath);
        mix_str(&o.hash, ev.part.abspath_encoded);
        break;
      case RPC_MP_DATA:
        if (last != RPC_MP_PART && last != RPC_MP_DATA)
          abort();
        if (!ev.len)
          abort();
        /* Data events are split differently by the two runs; hash the
         * bytes only (the event count is split-dependent too). */
        o.n--;
        mix(&o.hash, ev.data, ev.len);
        break;
      case RPC_MP_PART_END:
        if (last != RPC_MP_PART && last != RPC_MP_DATA)
          abort();
        break;
      case RPC_MP_END:
        if (last && last != RPC_MP_PART_END)
          abort();
        break;
      default:
        abort();
      }
      if (rc != RPC_MP_DATA)
        last = rc;
      else if (last == RPC_MP_PART)
        last = RPC_MP_DATA;
    }
    free(piece);
    off += n;
  } while (rc >= 0 && off < len);
  o.rc = rc < 0 ? rc : rpc_mp_finish(&p);
  rpc_mp_free(&p);
  return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  const char *ct = cts[data[0] & 3];
  uint32_t seed = (uint32_t)data[0] * 2654435761u | 1;
  outcome_t a = run(ct, data + 1, size - 1, 0);
  outcome_t b = run(ct, data + 1, size - 1, seed);
  /* Data bytes are hashed in arrival order in both runs, but a DATA
   * event's boundaries differ, so the mix is only equal because mix() is
   * a byte-wise stream hash. */
  if (a.rc != b.rc || a.n != b.n || (a.rc >= 0 && a.hash != b.hash)) {
    fprintf(stderr, "whole: rc %d n %llu hash %llx; split: rc %d n %llu hash %llx\n",
            a.rc, (unsigned long long)a.n, (unsigned long long)a.hash, b.rc,
            (unsigned long long)b.n, (unsigned long long)b.hash);
    abort();
  }
  return 0;
}

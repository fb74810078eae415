/*
 * ipld_test.h — what test_ipld.c (known answers) and test_ipld_hostile.c
 * (bad and hostile input) share: running a conversion through dag/ipld.h
 * and checking its bytes or CID against the expected hex.
 */
#ifndef TESTS_IPLD_TEST_H
#define TESTS_IPLD_TEST_H

#include "testutil.h"

#include "../dag/ipld.h"

#include <math.h>

#define IT_UNUSED __attribute__((unused))

/* ----------------------------------------------------------- helpers */

IT_UNUSED
static uint64_t codec(const char *name) {
  uint64_t c = ipld_codec_code(name);
  if (!c)
    fail_msg("unknown codec %s", name);
  return c;
}

/* Decode a heap copy of exactly len bytes (so ASan sees an overread) with
 * codec ic, in `dag put`'s form when input, and encode the tree with oc
 * into out.  Returns the first error. */
IT_UNUSED
static int conv(uint64_t ic, bool input, const void *in, size_t len,
                uint64_t oc, tr_bytes_t *out) {
  uint8_t *copy = malloc(len ? len : 1);
  if (len)
    memcpy(copy, in, len);
  ipld_arena_t *a = ipld_arena_new();
  if (!a) {
    free(copy);
    return -ENOMEM;
  }
  ipld_node_t *t = NULL;
  int rc = input ? ipld_decode_input(ic, copy, len, a, &t)
                 : ipld_decode(ic, copy, len, a, &t);
  if (rc == 0)
    rc = ipld_encode(oc, t, out);
  ipld_arena_free(a);
  free(copy);
  return rc;
}

IT_UNUSED
static void expect_bytes(const char *what, const tr_bytes_t *got,
                         const void *want, size_t wlen) {
  if (got->len == wlen && (!wlen || !memcmp(got->data, want, wlen)))
    return;
  char g[8192], w[8192];
  size_t gn = got->len < 4000 ? got->len : 4000, wn = wlen < 4000 ? wlen : 4000;
  tr_hex(got->data, gn, g);
  tr_hex(want, wn, w);
  fail_msg("%s:\n  got  %s (%zu bytes)\n  want %s (%zu bytes)", what, g,
           got->len, w, wlen);
}

IT_UNUSED
static void expect_conv(const char *what, uint64_t ic, bool input,
                        const void *in, size_t len, uint64_t oc,
                        const void *want, size_t wlen) {
  tr_bytes_t out = {0};
  int rc = conv(ic, input, in, len, oc, &out);
  if (rc)
    fail_msg("%s: %s -> %s: %s", what, ipld_codec_name(ic),
             ipld_codec_name(oc), tr_errname(rc));
  expect_bytes(what, &out, want, wlen);
  tr_bytes_free(&out);
}

IT_UNUSED
static void expect_cid(const char *what, uint64_t c, const void *block,
                       size_t len, const char *want) {
  dag_cid_t cid;
  char s[DAG_CID_STR_MAX];
  assert_int_equal(dag_cid_sum(&cid, 1, c, DAG_MH_SHA2_256, block, len), 0);
  if (strcmp(dag_cid_str(&cid, s), want))
    fail_msg("%s: CID %s, want %s", what, s, want);
}


#endif /* TESTS_IPLD_TEST_H */

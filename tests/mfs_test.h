/*
 * mfs_test.h — what test_mfs.c and test_mfs_hostile.c share: an MFS over
 * a fresh store, in one write transaction per test (CIDv0 sha2-256 for
 * new directories, Kubo's default), and the assertion of a refusal with
 * its code and Kubo's message.  Include after testutil.h.
 */
#ifndef MFS_TEST_H
#define MFS_TEST_H

#include <jansson.h>

#include "bs_fixture.h"
#include "../dag/multihash.h"
#include "../rpc/mfs.h"

typedef struct fx {
  char *dir;
  bs_env_t *env;
  bs_txn_t *txn;
  mfs_t m;
} fx_t;

static int setup(void **state) {
  fx_t *f = calloc(1, sizeof *f);
  bs_fixture_open(&f->dir, &f->env);
  assert_int_equal(bs_txn_begin(f->env, 0, &f->txn), 0);
  f->m.txn = f->txn;
  f->m.dflt = (mfs_prefix_t){0, DAG_MH_SHA2_256};
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  if (f->txn)
    bs_txn_abort(f->txn);
  bs_fixture_close(f->dir, f->env);
  free(f);
  return 0;
}

/* rc must be want, with msg as the MFS's message (then cleared). */
static void assert_fails(fx_t *f, int rc, int want, const char *msg) {
  assert_int_equal(rc, want);
  assert_string_equal(f->m.err, msg);
  f->m.err[0] = 0;
}

#endif /* MFS_TEST_H */

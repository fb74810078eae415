/*
 * bs_fixture.h — a store in a fresh temporary directory, the fixture the
 * blockstore's tests (and those of what stores into it) start from.
 * Include after testutil.h.
 */
#ifndef BS_FIXTURE_H
#define BS_FIXTURE_H

#include "../blockstore/bs.h"

/* Creates the directory and a store in it; fails the test if it cannot. */
static inline void bs_fixture_open(char **dir, bs_env_t **env) {
  *dir = tmpdir_new();
  assert_int_equal(bs_open(env, *dir, BS_CREATE), 0);
}

/* Closes the store and removes its directory (frees dir). */
static inline void bs_fixture_close(char *dir, bs_env_t *env) {
  bs_close(env);
  tmpdir_rm(dir);
}

/* cmocka set-up and tear-down for a test whose state is just the store. */
typedef struct bs_fixture {
  char *dir;
  bs_env_t *env;
} bs_fixture_t;

static inline int bs_fixture_setup(void **state) {
  bs_fixture_t *f = calloc(1, sizeof *f);
  bs_fixture_open(&f->dir, &f->env);
  *state = f;
  return 0;
}

static inline int bs_fixture_teardown(void **state) {
  bs_fixture_t *f = *state;
  bs_fixture_close(f->dir, f->env);
  free(f);
  return 0;
}

/* A cmocka test entry with that set-up and tear-down. */
#define bs_fixture_test(fn)                                                  \
  cmocka_unit_test_setup_teardown(fn, bs_fixture_setup, bs_fixture_teardown)

#endif /* BS_FIXTURE_H */

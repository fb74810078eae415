/*
 * test_mir_scrub.c — the scrubber (mirror/scrub.h): its sans-I/O core on
 * a simulated clock (corrupt and missing blocks found, the cursor resumed
 * from the meta table, the rate honoured) and the whole scrubber on a
 * loop with a fake fetcher (blocks repaired; a repair that cannot succeed
 * retried with backoff and given up).  Damage is done as a disk does it:
 * a block's bytes are overwritten inside LMDB, behind the blockstore.
 */
#include "testutil.h"

#include <lmdb.h>
#include <uv.h>

#include <fcntl.h>
#include <unistd.h>

#include "../blockstore/bs_int.h" /* corrupt(): LMDB behind bs_put's back */
#include "../mirror/scrub_int.h"
#include "bs_fixture.h"

/* What fake_fetcher.h expects of http_harness.h, whose server this test
 * does not need: the loop (run here, on the test's thread). */
#define TH_UNUSED __attribute__((unused))
static uv_loop_t loop;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "fake_fetcher.h"
#pragma GCC diagnostic pop

/* ------------------------------------------------------------ helpers */

/* Flip a byte in the middle of cid's stored bytes (tests only). */
static void corrupt(bs_env_t *env, const dag_cid_t *cid) {
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(env, 0, &t), 0);
  MDB_val k = bs__key(cid), v;
  assert_int_equal(mdb_get(t->mdb, env->blocks, &k, &v), 0);
  uint8_t *copy = malloc(v.mv_size);
  memcpy(copy, v.mv_data, v.mv_size);
  copy[v.mv_size / 2] ^= 0x55;
  MDB_val nv = {v.mv_size, copy};
  assert_int_equal(mdb_put(t->mdb, env->blocks, &k, &nv, 0), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  free(copy);
}

static void delete(bs_env_t *env, const dag_cid_t *cid) {
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(env, 0, &t), 0);
  assert_int_equal(bs_del(t, cid), 0);
  assert_int_equal(bs_txn_commit(t), 0);
}

/* The n-th block (pre-order, unique) of the DAG under r in env. */
static dag_cid_t nth(bs_env_t *env, const dag_cid_t *r, int n) {
  bs_txn_t *t;
  bs_walk_t *w;
  dag_cid_t c;
  assert_int_equal(bs_txn_begin(env, BS_RDONLY, &t), 0);
  assert_int_equal(bs_walk_new(r, BS_WALK_UNIQUE, -1, &w), 0);
  for (int i = 0; i <= n; i++)
    assert_int_equal(bs_walk_next(w, t, &c, NULL, NULL), 1);
  bs_walk_free(w);
  bs_txn_abort(t);
  return c;
}

/* A first child of the HAMT root that has children itself: a shard. */
static dag_cid_t shard(bs_env_t *env) {
  bs_txn_t *t;
  bs_walk_t *w;
  dag_cid_t c, parent;
  int depth;
  assert_int_equal(bs_txn_begin(env, BS_RDONLY, &t), 0);
  assert_int_equal(bs_walk_new(&hamt, BS_WALK_UNIQUE, -1, &w), 0);
  dag_cid_t found = {0};
  while (bs_walk_next(w, t, &c, &parent, &depth) == 1)
    if (depth == 1 && c.codec == DAG_CODEC_DAG_PB) {
      MDB_val k = bs__key(&c), v;
      if (mdb_get(t->mdb, env->links, &k, &v) == 0) {
        found = c;
        break;
      }
    }
  bs_walk_free(w);
  bs_txn_abort(t);
  assert_true(found.len > 0);
  return found;
}

static bool dag_intact(bs_env_t *env, const dag_cid_t *r) {
  bs_txn_t *t;
  bs_walk_t *w;
  dag_cid_t c;
  assert_int_equal(bs_txn_begin(env, BS_RDONLY, &t), 0);
  assert_int_equal(bs_walk_new(r, BS_WALK_UNIQUE, -1, &w), 0);
  int rc;
  bool ok = true;
  while ((rc = bs_walk_next(w, t, &c, NULL, NULL)) == 1) {
    const uint8_t *d;
    size_t n;
    if (bs_get(t, &c, &d, &n) || dag_cid_verify(&c, d, n))
      ok = false;
  }
  bs_walk_free(w);
  bs_txn_abort(t);
  return ok && rc == 0;
}

static void pin(bs_env_t *env, const dag_cid_t *r) {
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(env, 0, &t), 0);
  assert_int_equal(bs_pin_add(t, r, BS_PIN_RECURSIVE, "archive", NULL), 0);
  assert_int_equal(bs_txn_commit(t), 0);
}

/* dst: a copy of the whole DAG under root, pinned. */
static void fresh_dst(void) {
  if (dst) {
    bs_close(dst);
    tmpdir_rm(dst_dir);
  }
  dst_dir = tmpdir_new();
  assert_int_equal(bs_open(&dst, dst_dir, BS_CREATE), 0);
  bs_txn_t *t;
  bs_walk_t *w;
  dag_cid_t c;
  assert_int_equal(bs_txn_begin(src, BS_RDONLY, &t), 0);
  assert_int_equal(bs_walk_new(&root, BS_WALK_UNIQUE, -1, &w), 0);
  dag_cid_t *all = malloc(4096 * sizeof *all);
  size_t n = 0;
  while (bs_walk_next(w, t, &c, NULL, NULL) == 1 && n < 4096)
    all[n++] = c;
  bs_walk_free(w);
  bs_txn_abort(t);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(copy_block(&all[i]), 0);
  free(all);
  pin(dst, &root);
}

/* ------------------------------------------------------------ the core */

typedef struct seen {
  int corrupt, missing, missing_corrupt;
  dag_cid_t last_root;
} seen_t;

static void on_found(void *ud, const mir__finding_t *f) {
  seen_t *s = ud;
  if (!f->root.len) {
    assert_true(f->corrupt);
    s->corrupt++;
    return;
  }
  s->last_root = f->root;
  if (f->corrupt)
    s->missing_corrupt++;
  else
    s->missing++;
}

/* Run a pass to its end on a simulated clock from *now; returns steps. */
static int run_pass(mir__core_t *c, bs_env_t *env, uint64_t *now) {
  int steps = 0;
  while (c->st.phase != MIR_SCRUB_IDLE) {
    uint64_t w = mir__core_wait(c, *now);
    assert_true(w != UINT64_MAX);
    *now += w;
    assert_int_equal(mir__core_step(c, env, *now), 0);
    steps++;
  }
  return steps;
}

static void core_finds_corrupt_and_missing(void **state) {
  (void)state;
  fresh_dst();
  dag_cid_t leaf = nth(dst, &bigf, 5); /* a raw leaf of big.bin */
  dag_cid_t gone = shard(dst);         /* a HAMT shard: its files unknown */
  corrupt(dst, &leaf);
  delete(dst, &gone);
  assert_false(dag_intact(dst, &root));
  seen_t s = {0};
  mir__core_t c;
  /* 1 MiB/s: chunks of 256 KiB, so that the leaf is found mid-pass and
   * the pass walks twice (after the drop, and at its end): each missing
   * block is still reported once. */
  mir__core_init(&c, 1u << 20, on_found, &s);
  uint64_t now = 1000;
  assert_int_equal(mir__core_begin(&c, now), 0);
  assert_int_equal(mir__core_begin(&c, now), -EBUSY);
  run_pass(&c, dst, &now);
  assert_int_equal(c.st.pass, 1);
  assert_int_equal(c.st.corrupt, 1);
  assert_int_equal(c.st.missing, 1);
  assert_int_equal(s.corrupt, 1);
  /* The corrupt leaf was removed, then found missing by the walk. */
  assert_int_equal(s.missing_corrupt, 1);
  assert_int_equal(s.missing, 1);
  assert_true(dag_cid_equal(&s.last_root, &root));
  bs_txn_t *t;
  assert_int_equal(bs_txn_begin(dst, BS_RDONLY, &t), 0);
  assert_int_equal(bs_has(t, &leaf), 0);
  uint64_t blocks;
  assert_int_equal(bs_count(t, &blocks), 0);
  bs_txn_abort(t);
  /* Every block that remained was hashed once. */
  assert_int_equal(c.st.blocks, blocks + 1);
  uint64_t checked, bad;
  assert_int_equal(bs_verify(dst, false, NULL, NULL, &checked, &bad), 0);
  assert_int_equal(bad, 0);
  /* A second pass finds the missing two again (nothing repaired them),
   * and no corrupt block. */
  s = (seen_t){0};
  assert_int_equal(mir__core_begin(&c, now), 0);
  assert_int_equal(c.st.pass, 2);
  run_pass(&c, dst, &now);
  assert_int_equal(s.corrupt, 0);
  assert_int_equal(s.missing, 2);
  mir__core_free(&c);
}

/* The refs phase: a filestore reference whose file changed is removed
 * and found missing by the walk (so it is refetched); one whose file is
 * gone is counted unreadable and kept; the state saves the count. */
static void core_checks_references(void **state) {
  (void)state;
  bs_fixture_t f;
  bs_fixture_open(&f.dir, &f.env);
  uint8_t data[3000];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 7 + 1);
  char path[4200], gone[4200];
  snprintf(path, sizeof path, "%s/f", f.dir);
  snprintf(gone, sizeof gone, "%s/g", f.dir);
  const char *files[2] = {path, gone};
  for (int i = 0; i < 2; i++) {
    int fd = open(files[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, sizeof data), (ssize_t)sizeof data);
    close(fd);
  }
  dag_cid_t l[4];
  bs_txn_t *t = wtxn(&f);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(dag_cid_sum(&l[i], 1, DAG_CODEC_RAW, DAG_MH_SHA2_256,
                                 data + i * 1000, 1000), 0);
    assert_int_equal(bs_fs_put(t, &l[i], path, (uint64_t)i * 1000, 1000), 0);
  }
  assert_int_equal(dag_cid_sum(&l[3], 1, DAG_CODEC_RAW, DAG_MH_SHA2_256,
                               data, 999), 0);
  assert_int_equal(bs_fs_put(t, &l[3], gone, 0, 999), 0);
  dag_cid_t top = pb_node(t, l, 4, 1);
  assert_int_equal(bs_pin_add(t, &top, BS_PIN_RECURSIVE, NULL, NULL), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  /* l[1]'s bytes change; g goes. */
  int fd = open(path, O_WRONLY);
  assert_true(fd >= 0);
  assert_int_equal(pwrite(fd, "x", 1, 1500), 1);
  close(fd);
  assert_int_equal(unlink(gone), 0);

  seen_t s = {0};
  mir__core_t c;
  mir__core_init(&c, 1u << 20, on_found, &s);
  uint64_t now = 1000;
  assert_int_equal(mir__core_begin(&c, now), 0);
  run_pass(&c, f.env, &now);
  assert_int_equal(c.st.corrupt, 1);
  assert_int_equal(c.st.unreadable, 1);
  assert_int_equal(c.st.blocks, 5); /* the node, then four references */
  assert_int_equal(s.corrupt, 1);
  assert_int_equal(s.missing_corrupt, 1); /* the walk: refetch it */
  assert_int_equal(s.missing, 0);
  assert_int_equal(has(&f, &l[1]), 0);
  assert_int_equal(has(&f, &l[3]), 1); /* unreadable: kept */
  assert_intact(&f, &l[0]);
  assert_intact(&f, &l[2]);
  assert_int_equal(mir__core_save(&c, f.env), 0);
  mir__core_t d;
  mir__core_init(&d, 1, on_found, &s);
  assert_int_equal(mir__core_load(&d, f.env), 0);
  assert_int_equal(d.st.unreadable, 1);
  assert_int_equal(d.st.corrupt, 1);
  mir__core_free(&d);
  mir__core_free(&c);
  bs_fixture_close(f.dir, f.env);
}

static void core_cursor_resumes(void **state) {
  (void)state;
  fresh_dst();
  bs_txn_t *t;
  uint64_t blocks;
  assert_int_equal(bs_txn_begin(dst, BS_RDONLY, &t), 0);
  assert_int_equal(bs_count(t, &blocks), 0);
  bs_txn_abort(t);
  seen_t s = {0};
  mir__core_t c;
  /* A slow rate: chunks of MIR_SCRUB_CHUNK_MIN, so the pass takes many. */
  mir__core_init(&c, 1u << 10, on_found, &s);
  uint64_t now = 5000;
  assert_int_equal(mir__core_begin(&c, now), 0);
  while (c.st.bytes < (1u << 20)) {
    now += mir__core_wait(&c, now);
    assert_int_equal(mir__core_step(&c, dst, now), 0);
  }
  uint64_t half = c.st.blocks;
  assert_true(half > 0 && half < blocks);
  assert_int_equal(c.st.phase, MIR_SCRUB_HASH);
  assert_int_equal(mir__core_save(&c, dst), 0);
  mir__core_free(&c);
  /* A restart: a new core takes the pass up where it stopped. */
  mir__core_t d;
  mir__core_init(&d, 64u << 20, on_found, &s);
  assert_int_equal(mir__core_load(&d, dst), 0);
  assert_int_equal(d.st.pass, 1);
  assert_int_equal(d.st.blocks, half);
  assert_int_equal(d.st.started_ms, 5000);
  assert_int_equal(mir__core_begin(&d, now), -EBUSY);
  run_pass(&d, dst, &now);
  /* No block skipped, none hashed twice. */
  assert_int_equal(d.st.blocks, blocks);
  assert_int_equal(s.corrupt + s.missing, 0);
  assert_int_equal(mir__core_save(&d, dst), 0);
  mir__core_free(&d);
  mir__core_t e;
  mir__core_init(&e, 1, on_found, &s);
  assert_int_equal(mir__core_load(&e, dst), 0);
  assert_int_equal(e.st.phase, MIR_SCRUB_IDLE);
  assert_int_equal(e.st.finished_ms, now);
  mir__core_free(&e);
  /* A damaged record is refused, not misread. */
  assert_int_equal(bs_txn_begin(dst, 0, &t), 0);
  assert_int_equal(bs_meta_put(t, MIR_SCRUB_META_KEY, "\x01\x09", 2), 0);
  assert_int_equal(bs_txn_commit(t), 0);
  assert_int_equal(mir__core_load(&e, dst), TR_ECORRUPT);
}

static void core_rate_honoured(void **state) {
  (void)state;
  fresh_dst();
  seen_t s = {0};
  mir__core_t c;
  const uint64_t rate = 1u << 20; /* 1 MiB/s over ~3.5 MiB */
  mir__core_init(&c, rate, on_found, &s);
  uint64_t now = 0;
  assert_int_equal(mir__core_begin(&c, now), 0);
  int steps = run_pass(&c, dst, &now);
  uint64_t bytes = c.st.bytes;
  assert_true(bytes > (3u << 20));
  /* The pass took the bytes' time at the rate (the last chunk's cost is
   * paid after it, so up to a chunk less), never much more. */
  uint64_t ideal = bytes * 1000 / rate;
  uint64_t chunk_ms = mir__chunk_bytes(rate) * 1000 / rate;
  assert_true(now + chunk_ms + 1 >= ideal);
  assert_true(now <= ideal + 10);
  assert_true(steps >= (int)(bytes / mir__chunk_bytes(rate)));
  mir__core_free(&c);
  /* The rate parser of the config. */
  uint64_t r;
  assert_int_equal(mir_scrub_parse_rate("50MiB", &r), 0);
  assert_int_equal(r, 50u << 20);
  assert_int_equal(mir_scrub_parse_rate("8 MB/s", &r), 0);
  assert_int_equal(r, 8000000);
  assert_int_equal(mir_scrub_parse_rate("1000", &r), 0);
  assert_int_equal(r, 1000);
  assert_int_equal(mir_scrub_parse_rate("5 parsecs", &r), TR_ECONFIG);
  assert_int_equal(mir_scrub_parse_rate("-5MB", &r), TR_ECONFIG);
}

/* ------------------------------------------------------ the scrubber */

static mir_scrub_t *sc;
static bool (*until)(const mir_scrub_stats_t *);
static uv_timer_t poll_t;

static void poll_cb(uv_timer_t *t) {
  mir_scrub_stats_t st;
  mir_scrub_stats(sc, &st);
  if (until(&st))
    uv_stop(t->loop);
}

/* Run the loop until cond holds or 20 s pass. */
static void run_until(bool (*cond)(const mir_scrub_stats_t *)) {
  until = cond;
  uv_timer_init(&loop, &poll_t);
  uv_timer_start(&poll_t, poll_cb, 5, 5);
  uint64_t t0 = uv_now(&loop);
  while (uv_now(&loop) - t0 < 20000) {
    uv_run(&loop, UV_RUN_ONCE);
    mir_scrub_stats_t st;
    mir_scrub_stats(sc, &st);
    if (cond(&st))
      break;
  }
  uv_close((uv_handle_t *)&poll_t, NULL);
  uv_run(&loop, UV_RUN_NOWAIT);
}

static bool repaired_two(const mir_scrub_stats_t *st) {
  return st->repaired_total >= 2 && st->phase == MIR_SCRUB_IDLE &&
         st->repairs_pending == 0;
}

static bool two_passes(const mir_scrub_stats_t *st) {
  return st->passes_total >= 2 && st->phase == MIR_SCRUB_IDLE;
}

static bool repaired_one(const mir_scrub_stats_t *st) {
  return st->repaired_total >= 1 && st->phase == MIR_SCRUB_IDLE &&
         st->repairs_pending == 0;
}

static void close_scrub(void) {
  mir_scrub_close(sc);
  sc = NULL;
  uv_run(&loop, UV_RUN_DEFAULT); /* its handles close */
}

static void scrub_repairs_from_fetcher(void **state) {
  (void)state;
  fresh_dst();
  dag_cid_t leaf = nth(dst, &bigf, 7);
  dag_cid_t gone = shard(dst);
  corrupt(dst, &leaf);
  delete(dst, &gone);
  f_mode = F_COPY;
  f_fetches = f_dag = 0;
  mir_scrub_cfg_t cfg = {.rate = 1u << 30, .interval_ms = 0};
  assert_int_equal(mir_scrub_new(&loop, dst, &FAKE, &cfg, &sc), 0);
  assert_int_equal(mir_scrub_start(sc), 0);
  run_until(repaired_two);
  mir_scrub_stats_t st;
  mir_scrub_stats(sc, &st);
  assert_int_equal(st.corrupt_total, 1);
  assert_int_equal(st.missing_total, 1);
  assert_int_equal(st.repaired_total, 2);
  assert_int_equal(st.passes_total, 1);
  assert_true(st.cursor_pct == 100.0);
  assert_int_equal(fetches(), 2);
  assert_int_equal(dag_fetches(), 1); /* the shard, with what is below */
  assert_true(dag_intact(dst, &root));
  /* The JSON the API answers. */
  json_t *o = mir_scrub_json(sc);
  assert_non_null(o);
  assert_int_equal(json_integer_value(json_object_get(
                       json_object_get(o, "Totals"), "Repaired")),
                   2);
  assert_string_equal(json_string_value(json_object_get(o, "Phase")),
                      "idle");
  json_decref(o);
  /* A second pass finds nothing more. */
  assert_int_equal(mir_scrub_start(sc), 0);
  run_until(two_passes);
  mir_scrub_stats(sc, &st);
  assert_int_equal(st.passes_total, 2);
  assert_int_equal(st.corrupt_total + st.missing_total, 2);
  assert_int_equal(fetches(), 2);
  close_scrub();
}

static bool gave_up(const mir_scrub_stats_t *st) {
  return st->repair_gaveup_total >= 1;
}

static void scrub_retries_then_gives_up(void **state) {
  (void)state;
  fresh_dst();
  dag_cid_t leaf = nth(dst, &bigf, 3);
  delete(dst, &leaf);
  f_mode = F_HANG; /* nobody has it */
  f_fetches = f_cancels = 0;
  mir_scrub_cfg_t cfg = {.rate = 1u << 30, .retry_ms = 5,
                         .fetch_timeout_ms = 20};
  assert_int_equal(mir_scrub_new(&loop, dst, &FAKE, &cfg, &sc), 0);
  assert_int_equal(mir_scrub_start(sc), 0);
  run_until(gave_up);
  mir_scrub_stats_t st;
  mir_scrub_stats(sc, &st);
  assert_int_equal(st.missing_total, 1);
  assert_int_equal(st.repaired_total, 0);
  assert_int_equal(st.repair_failed_total, MIR_SCRUB_TRIES);
  assert_int_equal(st.repair_gaveup_total, 1);
  assert_int_equal(st.repairs_pending, 0);
  assert_int_equal(fetches(), MIR_SCRUB_TRIES);
  assert_int_equal(cancels(), MIR_SCRUB_TRIES); /* each deadline cancels */
  close_scrub();
  /* The state outlived the scrubber: a new one resumes after pass 1. */
  f_mode = F_COPY;
  cfg.interval_ms = 0;
  assert_int_equal(mir_scrub_new(&loop, dst, &FAKE, &cfg, &sc), 0);
  mir_scrub_stats(sc, &st);
  assert_int_equal(st.pass, 1);
  assert_int_equal(st.phase, MIR_SCRUB_IDLE);
  assert_int_equal(mir_scrub_start(sc), 0);
  run_until(repaired_one);
  mir_scrub_stats(sc, &st);
  assert_int_equal(st.pass, 2);
  assert_int_equal(st.repaired_total, 1);
  assert_true(dag_intact(dst, &root));
  close_scrub();
}

int main(void) {
  tr_log_level(TR_LOG_ERROR);
  assert_int_equal(uv_loop_init(&loop), 0);
  src_dir = tmpdir_new();
  assert_int_equal(bs_open(&src, src_dir, BS_CREATE), 0);
  make_content();
  pin(src, &root);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(core_finds_corrupt_and_missing),
      cmocka_unit_test(core_checks_references),
      cmocka_unit_test(core_cursor_resumes),
      cmocka_unit_test(core_rate_honoured),
      cmocka_unit_test(scrub_repairs_from_fetcher),
      cmocka_unit_test(scrub_retries_then_gives_up),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  bs_close(dst);
  tmpdir_rm(dst_dir);
  bs_close(src);
  tmpdir_rm(src_dir);
  free(big);
  uv_loop_close(&loop);
  return rc;
}

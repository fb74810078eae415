/*
 * test_crash.c — crash safety: a child process writes blocks and pins in
 * batches (each batch: raw leaves, a dag-pb node over them, a recursive pin,
 * one commit) and reports each committed batch number through a pipe.  The
 * parent kills it with SIGKILL at a random moment, then checks that
 *   - the repo opens and `repo verify` finds no corrupt block,
 *   - every pin of every batch reported committed is present and complete,
 *   - no pin of a batch that was not committed is half there (a pin exists
 *     only with its whole DAG),
 * and starts the next round on the same repo.  30 rounds; also once with
 * the real `trove repo verify` and `trove pin verify` when TROVE_BIN is set.
 */
#include "testutil.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "../blockstore/bs.h"
#include "../dag/dagpb.h"

#define ROUNDS 30
#define LEAVES 24

static uint32_t rng_state;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

/* The batch number is encoded in the pin's name so the parent can tell
 * which batch each pin belongs to. */
static void child(const char *dir, int wfd, uint32_t start) {
  bs_env_t *env;
  if (bs_open(&env, dir, BS_CREATE))
    _exit(2);
  uint8_t *buf = malloc(300000);
  for (uint32_t batch = start;; batch++) {
    bs_batch_t *b;
    if (bs_batch_begin(env, 8u << 20, &b))
      _exit(3);
    dag_pb_link_t links[LEAVES];
    for (int i = 0; i < LEAVES; i++) {
      size_t len = 1 + rnd() % 300000;
      for (size_t j = 0; j < len; j += 4) {
        uint32_t r = rnd();
        memcpy(buf + j, &r, len - j < 4 ? len - j : 4);
      }
      memset(&links[i], 0, sizeof links[i]);
      if (dag_cid_sum(&links[i].cid, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, buf, len) ||
          bs_batch_put(b, &links[i].cid, buf, len))
        _exit(4);
      links[i].has_name = true;
      links[i].name = "";
      links[i].has_tsize = true;
      links[i].tsize = len;
    }
    uint8_t node[8192];
    int n = dag_pb_encode(links, LEAVES, (const uint8_t *)"\x08\x02", 2, true,
                          node, sizeof node);
    dag_cid_t root;
    char name[32];
    snprintf(name, sizeof name, "batch-%u", batch);
    if (n < 0 ||
        dag_cid_sum(&root, 1, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256, node, (size_t)n) ||
        bs_batch_put(b, &root, node, (size_t)n) ||
        bs_pin_add(bs_batch_txn(b), &root, BS_PIN_RECURSIVE, name, NULL) ||
        bs_batch_end(b, 1))
      _exit(5);
    if (write(wfd, &batch, sizeof batch) != sizeof batch)
      _exit(6);
  }
}

typedef struct check {
  uint32_t max_batch;
  int pins;
  int broken;
} check_t;

static int pin_seen(const bs_pin_t *pin, int status, const dag_cid_t *bad,
                    void *ud) {
  (void)bad;
  check_t *c = ud;
  unsigned batch;
  assert_int_equal(sscanf(pin->name, "batch-%u", &batch), 1);
  if (batch > c->max_batch || c->pins == 0)
    c->max_batch = batch;
  c->pins++;
  if (status)
    c->broken++;
  return 0;
}

static void test_kill_during_writes(void **state) {
  (void)state;
  char *dir = tmpdir_new();
  rng_state = (uint32_t)time(NULL) | 1;
  print_message("seed %u\n", rng_state);
  uint32_t next = 0;     /* first batch number of the next child */
  int expected_pins = 0; /* pins reported committed so far */
  for (int round = 0; round < ROUNDS; round++) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      rng_state ^= (uint32_t)round * 7919u;
      child(dir, fds[1], next);
    }
    close(fds[1]);
    /* Let it run 20..400 ms, kill it mid-whatever. */
    struct timespec ts = {0, (long)(20 + rnd() % 380) * 1000000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFSIGNALED(st));
    uint32_t b;
    int committed = 0;
    while (read(fds[0], &b, sizeof b) == sizeof b) {
      committed++;
      next = b + 1;
    }
    close(fds[0]);
    expected_pins += committed;

    bs_env_t *env;
    assert_int_equal(bs_open(&env, dir, 0), 0);
    uint64_t checked, corrupt;
    assert_int_equal(bs_verify(env, false, NULL, NULL, &checked, &corrupt), 0);
    assert_int_equal(corrupt, 0);
    bs_txn_t *txn;
    assert_int_equal(bs_txn_begin(env, BS_RDONLY, &txn), 0);
    check_t c = {0, 0, 0};
    assert_int_equal(bs_pin_verify(txn, pin_seen, &c), 0);
    bs_txn_abort(txn);
    bs_close(env);
    /* Every reported pin is there and complete; at most one more (a batch
     * that committed just before the kill, unreported). */
    assert_int_equal(c.broken, 0);
    assert_true(c.pins >= expected_pins);
    assert_true(c.pins <= expected_pins + 1);
    if (c.pins == expected_pins + 1) {
      expected_pins++;
      next = c.max_batch + 1;
    }
  }
  print_message("%d rounds, %d pins committed\n", ROUNDS, expected_pins);
  assert_true(expected_pins > 0);

  /* The CLI agrees. */
  const char *bin = getenv("TROVE_BIN");
  if (bin && access(bin, X_OK) == 0) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s --repo '%s' repo verify >/dev/null", bin, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s --repo '%s' pin verify >/dev/null", bin, dir);
    assert_int_equal(system(cmd), 0);
  }
  tmpdir_rm(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kill_during_writes),
  };
  return cmocka_run_group_tests_name("crash", tests, NULL, NULL);
}

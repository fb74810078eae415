/*
 * mir_fill.c — puts N pin objects into a repo's pins store quickly, for
 * bench/mirror_list.sh: mir_pin_add through the store's API (so indexes
 * and counters are the real ones), 20,000 per write transaction, the
 * objects marked pinned (no DAG behind them: a listing does not look).
 * Not a benchmark itself (no bench_ prefix: bench/run.sh does not run it).
 *
 *   mir_fill REPO N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../blockstore/bs.h"
#include "../mirror/pins.h"

#define PER_TXN 20000

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: mir_fill REPO N\n");
    return 2;
  }
  unsigned long n = strtoul(argv[2], NULL, 10);
  bs_env_t *env;
  mir_store_t *st;
  int rc = bs_open(&env, argv[1], 0);
  if (!rc)
    rc = mir_store_open(env, &st);
  if (rc) {
    fprintf(stderr, "mir_fill: %s\n", tr_strerror(rc));
    return 1;
  }
  for (unsigned long i = 0; i < n && !rc;) {
    bs_txn_t *txn;
    if ((rc = bs_txn_begin(env, 0, &txn)))
      break;
    for (unsigned j = 0; j < PER_TXN && i < n && !rc; j++, i++) {
      char s[32], name[32];
      snprintf(s, sizeof s, "pin %lu", i);
      snprintf(name, sizeof name, "archive-%lu", i);
      mir_pin_t p = {0};
      rc = dag_cid_sum(&p.cid, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, s,
                       strlen(s));
      p.name = name;
      p.name_len = strlen(name);
      if (!rc)
        rc = mir_pin_add(st, txn, &p);
      if (!rc)
        rc = mir_pin_set_status(st, txn, p.requestid, MIR_PINNED, NULL, 0, 0);
    }
    rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
  }
  mir_store_close(st);
  bs_close(env);
  if (rc) {
    fprintf(stderr, "mir_fill: %s\n", tr_strerror(rc));
    return 1;
  }
  return 0;
}
